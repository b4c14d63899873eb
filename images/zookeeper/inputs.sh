#!/bin/sh
# Prints every input that determines the content of the labo/zookeeper image,
# one per line, so that labo can hash this list into the image's cache key
# instead of hashing the 45 MB it produces.
#
#   recipe NAME SHA256      each file build-rootfs.sh puts in or runs
#   arch ARCH               dpkg's architecture (jlink output, libraries)
#   package NAME ARCH VERSION   each installed Debian package the image's
#                               files come from
#   deb NAME ARCH VERSION SHA256  each downloaded .deb the image's files come
#                               from (packages that must not be installed on
#                               the machine: openssh-server would start an
#                               sshd on it), found in $LABO_DEB_DIR
#                               (/var/cache/labo/debs)
#
# Why package versions are enough: a Debian package version names exactly one
# build, whose files never change under that version (dpkg refuses to install
# two different builds with one version from the same archive), so the
# version pins the bytes of the JRE, the jars, busybox and the libraries.
# The tools that shape the output (jlink in the JDK package, GNU tar) are
# packages listed here too.
#
# With --packages, prints only the installed packages' names, and with --debs
# "NAME PATH" for each .deb (build-rootfs.sh checks that every file it copies
# belongs to one of them, so these lists cannot go stale, and extracts the
# .debs this script chose, so the key and the build agree on them).
set -eu
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)

# The JDK provides jlink and the jmods the JRE is cut from (jdk-headless) and
# the runtime jlink itself runs on (jre-headless); ZooKeeper 3.8 was tested
# on 17.
#
# The tutorial's tools (section 4): bash (root's shell), the ssh client,
# ssh-keygen and ssh-copy-id (openssh-client), curl; base-files gives root's
# .bashrc and .profile; iputils-ping the ping that needs no CAP_NET_RAW;
# util-linux gives setpriv (busybox's cannot change
# user), by which ZooKeeper runs as the zookeeper user; libfaketime skews
# the node's clock (labo clock), and coreutils' date shows it. The libraries are
# those ldd names for all of them and for sshd (the build checks this list).
PACKAGES="
base-files
bash
busybox-static
coreutils
curl
iputils-ping
libaudit1
libbrotli1
libc6
libcap-ng0
libcap2
libcom-err2
libcrypt1
libcurl4
libdropwizard-metrics-java
libfaketime
libffi8
libgcc-s1
libgcrypt20
libgmp10
libgnutls30
libgpg-error0
libgssapi-krb5-2
libhogweed6
libidn2-0
libk5crypto3
libkeyutils1
libkrb5-3
libkrb5support0
libldap-2.5-0
liblz4-1
liblzma5
libnettle8
libnghttp2-14
libnsl2
libp11-kit0
libpam0g
libpcre2-8-0
libpsl5
librtmp1
libsasl2-2
libselinux1
libslf4j-java
libsnappy-java
libssh2-1
libssl3
libstdc++6
libsystemd0
libtasn1-6
libtinfo6
libtirpc3
libunistring2
libzookeeper-java
libzstd1
openjdk-17-jdk-headless
openjdk-17-jre-headless
openssh-client
tar
util-linux
zlib1g
"

# Downloaded, never installed: sshd (openssh-server), the sftp-server scp
# talks to since OpenSSH 9.0 (openssh-sftp-server), and libwrap, which sshd
# links and nothing installed provides. scripts/bootstrap downloads them.
DEBS="libwrap0 openssh-server openssh-sftp-server"
DEB_DIR=${LABO_DEB_DIR:-/var/cache/labo/debs}
ARCH=$(dpkg --print-architecture)

die ()
{
  echo "inputs.sh: $*" >&2
  exit 1
}

# The .deb of package $1 in $DEB_DIR: apt-get download names it
# NAME_VERSION_ARCH.deb (the epoch's ':' as %3a). With several versions
# there, the highest. Root runs the build: the directory and the file must be
# root's and writable by no one else.
deb_of ()
{
  best='' bestv=''
  for f in "$DEB_DIR/$1"_*_"$ARCH".deb "$DEB_DIR/$1"_*_all.deb; do
    [ -f "$f" ] || continue
    v=${f##*/}
    v=${v#"$1"_}
    v=${v%_*}
    v=$(printf '%s' "$v" | sed 's/%3a/:/g; s/%3A/:/g')
    if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$bestv"; then
      best=$f bestv=$v
    fi
  done
  [ -n "$best" ] || die "no $1 .deb in $DEB_DIR (run scripts/bootstrap up, or: mkdir -p $DEB_DIR && cd $DEB_DIR && apt-get download $DEBS)"
  for x in "$DEB_DIR" "$best"; do
    [ ! -L "$x" ] || die "$x is a symbolic link"
    # shellcheck disable=SC2046 # two numbers, split on purpose
    set -- $(stat -L -c '%u %a' "$x")
    [ "$1" = 0 ] || die "$x belongs to uid $1, not root"
    case $2 in
      *[2367]?|*[2367]) die "$x is writable by others than root (mode $2)" ;;
    esac
  done
  DEB_FILE=$best DEB_VERSION=$bestv
}

case ${1:-} in
  --packages)
    for p in $PACKAGES; do echo "$p"; done
    exit 0
    ;;
  --debs)
    for p in $DEBS; do
      deb_of "$p"
      echo "$p $DEB_FILE"
    done
    exit 0
    ;;
esac

for f in build-rootfs.sh docker-entrypoint.sh zkServer.sh; do
  sum=$(sha256sum < "$HERE/$f")
  echo "recipe $f ${sum%% *}"
done
echo "arch $ARCH"
# One dpkg-query for all (one per package took half a second). A package
# that is not installed makes this script fail: a key computed without it
# would not describe what a build would produce. (dpkg-query also lists
# removed packages, hence the status check.)
lines=$(dpkg-query -W -f '${db:Status-Abbrev}|${Package} ${Architecture} ${Version}\n' \
          $PACKAGES 2>/dev/null | sort) || true
installed=$(printf '%s\n' "$lines" | sed -n 's/^ii[^|]*|//p')
for p in $PACKAGES; do
  case "
$installed" in
    *"
$p "*) ;;
    *) die "package $p is not installed" ;;
  esac
done
printf '%s\n' "$installed" | sed 's/^/package /'
for p in $DEBS; do
  deb_of "$p"
  sum=$(sha256sum < "$DEB_FILE")
  arch=${DEB_FILE##*_}
  echo "deb $p ${arch%.deb} $DEB_VERSION ${sum%% *}"
done
