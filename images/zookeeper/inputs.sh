#!/bin/sh
# Prints every input that determines the content of the labo/zookeeper image,
# one per line, so that labo can hash this list into the image's cache key
# instead of hashing the 45 MB it produces.
#
#   recipe NAME SHA256      each file build-rootfs.sh puts in or runs
#   arch ARCH               dpkg's architecture (jlink output, libraries)
#   package NAME ARCH VERSION   each Debian package the image's files come from
#
# Why package versions are enough: a Debian package version names exactly one
# build, whose files never change under that version (dpkg refuses to install
# two different builds with one version from the same archive), so the
# version pins the bytes of the JRE, the jars, busybox and the libraries.
# The tools that shape the output (jlink in the JDK package, GNU tar) are
# packages listed here too.
#
# With --packages, prints only the package names (build-rootfs.sh checks that
# every file it copies belongs to one of them, so this list cannot go stale).
set -eu
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)

# The JDK provides jlink and the jmods the JRE is cut from (jdk-headless) and
# the runtime jlink itself runs on (jre-headless); ZooKeeper 3.8 was tested
# on 17.
PACKAGES="
busybox-static
libc6
libdropwizard-metrics-java
libgcc-s1
libslf4j-java
libsnappy-java
libstdc++6
libzookeeper-java
openjdk-17-jdk-headless
openjdk-17-jre-headless
tar
zlib1g
"

if [ "${1:-}" = --packages ]; then
  for p in $PACKAGES; do echo "$p"; done
  exit 0
fi

for f in build-rootfs.sh docker-entrypoint.sh zkServer.sh; do
  sum=$(sha256sum < "$HERE/$f")
  echo "recipe $f ${sum%% *}"
done
echo "arch $(dpkg --print-architecture)"
for p in $PACKAGES; do
  # A package that is not installed makes this script fail: a key computed
  # without it would not describe what a build would produce. (dpkg-query
  # also lists removed packages, hence the status check.)
  lines=$(dpkg-query -W -f '${db:Status-Abbrev}|${Package} ${Architecture} ${Version}\n' "$p")
  found=
  while IFS='|' read -r status what; do
    case $status in
      ii*) echo "package $what"; found=1 ;;
    esac
  done <<END
$lines
END
  if [ -z "$found" ]; then
    echo "inputs.sh: package $p is not installed" >&2
    exit 1
  fi
done
