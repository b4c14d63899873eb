#!/bin/sh
# Prints every input that determines the content of the labo/etcd image, one
# per line, so that labo can hash this list into the image's cache key
# instead of hashing the 25 MB it produces (see ../zookeeper/inputs.sh, the
# same scheme):
#
#   recipe NAME SHA256      each file build-rootfs.sh puts in or runs
#   arch ARCH               dpkg's architecture
#   package NAME ARCH VERSION   each installed Debian package the image's
#                               files come from
#   deb NAME ARCH VERSION SHA256  each downloaded .deb the image's files come
#                               from, found in $LABO_DEB_DIR
#                               (/var/cache/labo/debs): etcd-server, which
#                               must not be installed on the machine (its
#                               postinst starts an etcd service there)
#
# A Debian package version names exactly one build, so the versions pin the
# bytes of etcd, etcdctl, busybox, setpriv and the libraries; GNU tar, which
# writes the image, is listed too.
#
# With --packages, prints only the installed packages' names, and with --debs
# "NAME PATH" for each .deb (build-rootfs.sh checks that every file it copies
# belongs to one of them, and extracts the .debs this script chose, so the
# key and the build agree on them; etcd-bin.sh extracts the process runtime's
# etcd from the same .deb).
set -eu
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)

# busybox-static: sh, nc, wget, ping, ip, ... ; etcd-client: etcdctl (the
# machine's, installed by scripts/bootstrap: the same upstream build as the
# server, from the same source package); util-linux: setpriv, by which etcd
# runs as an unprivileged user (busybox-static has no chpst and its setpriv
# cannot change user); libc6 and libcap-ng0: what ldd names for etcd,
# etcdctl and setpriv (the build checks this list).
PACKAGES="
busybox-static
etcd-client
libc6
libcap-ng0
tar
util-linux
"

# Downloaded, never installed: the etcd server. scripts/bootstrap downloads it.
DEBS="etcd-server"
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

for f in build-rootfs.sh docker-entrypoint.sh; do
  sum=$(sha256sum < "$HERE/$f")
  echo "recipe $f ${sum%% *}"
done
echo "arch $ARCH"
# One dpkg-query for all. A package that is not installed makes this script
# fail: a key computed without it would not describe what a build would
# produce. (dpkg-query also lists removed packages, hence the status check.)
lines=$(dpkg-query -W -f '${db:Status-Abbrev}|${Package} ${Architecture} ${Version}\n' \
          $PACKAGES 2>/dev/null | sort) || true
installed=$(printf '%s\n' "$lines" | sed -n 's/^ii[^|]*|//p')
for p in $PACKAGES; do
  case "
$installed" in
    *"
$p "*) ;;
    *) die "package $p is not installed (scripts/bootstrap installs it)" ;;
  esac
done
printf '%s\n' "$installed" | sed 's/^/package /'
for p in $DEBS; do
  deb_of "$p"
  sum=$(sha256sum < "$DEB_FILE")
  arch=${DEB_FILE##*_}
  echo "deb $p ${arch%.deb} $DEB_VERSION ${sum%% *}"
done
