#!/bin/sh
# Builds the root filesystem of labo/etcd as a tar, offline, from the
# etcd-server .deb in labo's cache and files Debian packages installed on
# this machine (see README.md):
#
#   build-rootfs.sh OUTPUT_TAR [progress]
#
# With "progress", each step is said on stdout as it starts (labo up shows
# them).
#
# The same inputs (inputs.sh) give the same bytes: names sorted, times,
# owners and modes fixed, nothing taken from the clock or the network.
set -eu
export LC_ALL=C
umask 022

if [ $# -lt 1 ] || [ $# -gt 2 ] || [ -z "$1" ]; then
  echo "usage: $0 OUTPUT_TAR [progress]" >&2
  exit 2
fi
PROGRESS=${2:-}
case $1 in
  /*) OUT=$1 ;;
  *) OUT=$PWD/$1 ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)

step ()
{
  [ -z "$PROGRESS" ] || printf '  image %s\n' "$*"
}

die ()
{
  echo "build-rootfs.sh: $*" >&2
  exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/labo-etcd-rootfs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 1' HUP INT TERM
R=$WORK/rootfs
mkdir -p "$R"

# The package list (and the key labo computes) must cover every file copied
# below: a file from a package not listed would change without changing the
# key. Checked rather than trusted.
INPUTS=$("$HERE/inputs.sh")
PACKAGES=$("$HERE/inputs.sh" --packages)
DEBS=$("$HERE/inputs.sh" --debs)
X=$WORK/debs
owner_listed ()
{
  # A file from a downloaded .deb: the .deb it was extracted from, which
  # inputs.sh chose and hashed.
  case $1 in
    "$X"/*)
      d=${1#"$X"/}
      d=${d%%/*}
      printf '%s\n' "$DEBS" | grep -q "^$d " && return 0
      die "$1 comes from the .deb of $d, which inputs.sh does not list"
      ;;
  esac
  # dpkg records a file under the path its package ships it at, which with
  # merged /usr may lack or have the /usr prefix the path was reached by.
  owner=$(dpkg-query -S "$1" 2>/dev/null || dpkg-query -S "${1#/usr}" 2>/dev/null \
            || dpkg-query -S "/usr$1" 2>/dev/null) || die "$1 belongs to no package"
  owner=$(printf '%s\n' "$owner" | head -n 1)
  owner=${owner%%:*}
  owner=${owner%%,*}
  for p in $PACKAGES; do
    [ "$p" = "$owner" ] && return 0
  done
  die "$1 comes from $owner, which inputs.sh does not list"
}

# Copies a file from the machine (or from an extracted .deb) to a path in
# the rootfs, following symlinks (the image holds the file under the name it
# is looked up by).
copy_in ()
{
  src=$1
  dst=$R${2:-$1}
  owner_listed "$(readlink -f "$src")"
  mkdir -p "$(dirname "$dst")"
  cp -L "$src" "$dst"
}

# Copies into the image every library ldd names for the given files (which
# are already in the rootfs), under the path ldd found it at, and the loader.
copy_libs ()
{
  out=$WORK/ldd.txt
  for f in "$@"; do
    ldd "$f"
  done > "$out"
  if awk '$2 == "=>" && $3 == "not" { bad = 1 } END { exit !bad }' "$out"; then
    die "ldd: $(awk '$2 == "=>" && $3 == "not" { print $1 }' "$out" | sort -u | tr '\n' ' ')not found"
  fi
  for lib in $(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' "$out" \
                 | grep -v "^$R/" | sort -u); do
    [ -e "$R$lib" ] || copy_in "$lib"
  done
}

cd "$R"
mkdir -p bin usr/bin etc/labo var/lib/etcd tmp root proc sys dev
chmod 1777 tmp
chmod 700 root var/lib/etcd

step "1/5: busybox and its applets"
# 1. busybox (static) and one symlink per applet: sh, nc, wget, ping, ip,
#    nslookup, ps, timeout, ... (not setpriv: util-linux's, below, can change
#    user, busybox's cannot)
copy_in /bin/busybox /bin/busybox
for a in $(/bin/busybox --list); do
  case $a in
    busybox|setpriv) ;;
    *) ln -s busybox "bin/$a" ;;
  esac
done

step "2/5: etcd (from the etcd-server .deb), etcdctl, setpriv"
# 2. etcd comes from the .deb inputs.sh chose in /var/cache/labo/debs,
#    extracted here (never installed on the machine: its postinst would
#    start an etcd service there); etcdctl and setpriv from installed
#    packages.
printf '%s\n' "$DEBS" | while read -r d f; do
  mkdir -p "$X/$d"
  dpkg-deb -x "$f" "$X/$d"
  # the control fields must say what the file name said (inputs.sh's key)
  got=$(dpkg-deb -f "$f" Package)
  [ "$got" = "$d" ] || die "$f holds package $got, not $d"
done
copy_in "$X/etcd-server/usr/bin/etcd" /usr/bin/etcd
copy_in /usr/bin/etcdctl /usr/bin/etcdctl
copy_in /usr/bin/setpriv /usr/bin/setpriv
chmod 755 usr/bin/*

step "3/5: the shared libraries"
# 3. What ldd names (Debian builds etcd with cgo: libc and the loader;
#    setpriv adds libcap-ng).
copy_libs usr/bin/etcd usr/bin/etcdctl usr/bin/setpriv

step "4/5: /etc and the entrypoint"
# 4. /etc: root and nobody (the etcd user is added by the entrypoint, with
#    the numbers labo gives, see README.md); names through Docker's DNS.
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' > etc/passwd
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' > etc/group
printf '%s\n' 'root:*:::::::' 'nobody:*:::::::' > etc/shadow
chmod 600 etc/shadow
printf '%s\n' 'passwd: files' 'group: files' 'shadow: files' 'hosts: files dns' > etc/nsswitch.conf
printf '%s\n' "$INPUTS" > etc/labo/etcd-image.inputs
cp "$HERE/docker-entrypoint.sh" docker-entrypoint.sh
chmod 755 docker-entrypoint.sh

step "5/5: the tar"
# 5. The tar, deterministic: sorted names, time 0, numeric root ownership,
#    GNU format (no atime/ctime, no pax headers carrying times).
chmod 755 "$R"
tar --sort=name --mtime=@0 --numeric-owner --owner=0 --group=0 --format=gnu \
  -C "$R" -cf "$OUT.tmp" .
mv "$OUT.tmp" "$OUT"
