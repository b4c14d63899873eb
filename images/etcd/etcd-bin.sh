#!/bin/sh
# The etcd binary of the process runtime (etcd as a process in a host's
# namespaces, no Docker), from the same etcd-server .deb the image is cut
# from (inputs.sh --debs chooses it), without installing the package (its
# postinst would start an etcd service on the machine):
#
#   etcd-bin.sh        prints the binary's path,
#                      /var/cache/labo/bin/etcd-VERSION/etcd, extracting it
#                      first if it is not there
#
# Idempotent and quick when the binary is there (about 0.1 s, mostly
# inputs.sh --debs), so labo may run it at each up; scripts/bootstrap runs it after
# downloading the .deb. A new .deb (a security update) gives a new directory;
# older ones stay until removed by hand (a running lab may use one).
#
# Root runs what it prints: /var/cache/labo, its bin/ and the binary's
# directory are root's and writable by no one else, the binary 0755 root,
# none of them a link, or this fails saying which.
set -eu
export LC_ALL=C
umask 022
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=${LABO_CACHE_DIR:-/var/cache/labo}
BIN=$TOP/bin

die ()
{
  echo "etcd-bin.sh: $*" >&2
  exit 1
}

# root's, writable by no one else, not a link
secure ()
{
  [ ! -L "$1" ] || die "$1 is a symbolic link"
  [ -e "$1" ] || return 1
  # shellcheck disable=SC2046 # two numbers, split on purpose
  set -- "$1" $(stat -c '%u %a' "$1")
  [ "$2" = 0 ] || die "$1 belongs to uid $2, not root"
  case $3 in
    *[2367]?|*[2367]) die "$1 is writable by others than root (mode $3)" ;;
  esac
  return 0
}

# shellcheck disable=SC2046 # "NAME PATH", split on purpose
set -- $("$HERE/inputs.sh" --debs | grep '^etcd-server ')
deb=$2
[ "$(dpkg-deb -f "$deb" Package)" = etcd-server ] || die "$deb does not hold etcd-server"
version=$(dpkg-deb -f "$deb" Version)
case $version in
  ''|*/*|.*) die "$deb: unexpected version '$version'" ;;
esac
dir=$BIN/etcd-$version

secure "$TOP" || die "$TOP does not exist (scripts/bootstrap makes it)"
if ! secure "$BIN"; then
  mkdir -m 755 "$BIN"
  secure "$BIN"
fi
if secure "$dir"; then
  secure "$dir/etcd" || die "$dir/etcd is missing (remove $dir to extract it again)"
  echo "$dir/etcd"
  exit 0
fi

tmp=$(mktemp -d "$BIN/.etcd-$version.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./usr/bin/etcd
# what the .deb's own md5sums says of it
want=$(dpkg-deb -I "$deb" md5sums | sed -n 's|^\([0-9a-f]*\)  usr/bin/etcd$|\1|p')
got=$(md5sum < "$tmp/usr/bin/etcd")
{ [ -n "$want" ] && [ "${got%% *}" = "$want" ]; } || die "$deb: usr/bin/etcd does not match the package's md5sums"
mkdir -m 755 "$tmp/out"
mv "$tmp/usr/bin/etcd" "$tmp/out/etcd"
chown 0:0 "$tmp/out" "$tmp/out/etcd"
chmod 755 "$tmp/out" "$tmp/out/etcd"
# atomic: a concurrent run either finds the whole directory or makes its own
mv -T "$tmp/out" "$dir" 2>/dev/null || secure "$dir" || die "could not create $dir"
echo "$dir/etcd"
