#!/bin/sh
# Builds the root filesystem of labo/zookeeper as a tar, offline, from files
# Debian packages installed on this machine (see README.md):
#
#   build-rootfs.sh OUTPUT_TAR [progress]
#
# With "progress", each step is said on stdout as it starts (labo up shows
# them: the build takes a minute the first time).
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
ARCH=$(dpkg --print-architecture)
JAVA_HOME=/usr/lib/jvm/java-17-openjdk-$ARCH
MODULES=java.base,java.management,java.security.sasl,jdk.management
JARS="zookeeper zookeeper-jute slf4j-api slf4j-simple metrics-core snappy-java"

step ()
{
  [ -z "$PROGRESS" ] || printf '  image %s\n' "$*"
}

die ()
{
  echo "build-rootfs.sh: $*" >&2
  exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/labo-zk-rootfs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 1' HUP INT TERM
R=$WORK/rootfs
mkdir -p "$R"

# The package list (and the key labo computes) must cover every file copied
# below: a file from a package not listed would change without changing the
# key. Checked rather than trusted.
INPUTS=$("$HERE/inputs.sh")
PACKAGES=$("$HERE/inputs.sh" --packages)
owner_listed ()
{
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

# Copies a file from the machine to the same path in the rootfs, following
# symlinks (the image holds the file under the name it is looked up by).
copy_in ()
{
  src=$1
  dst=$R${2:-$1}
  owner_listed "$(readlink -f "$src")"
  mkdir -p "$(dirname "$dst")"
  cp -L "$src" "$dst"
}

cd "$R"
mkdir -p bin etc opt usr/share/java conf data tmp root proc sys dev
chmod 1777 tmp
chmod 700 root

step "1/7: busybox and its applets"
# 1. busybox (static) and one symlink per applet: sh, nc, ping, ip, ...
copy_in /bin/busybox /bin/busybox
for a in $(/bin/busybox --list); do
  [ "$a" = busybox ] || ln -s busybox "bin/$a"
done

step "2/7: a Java runtime cut by jlink (the longest step)"
# 2. A JRE cut by jlink to the modules ZooKeeper loads (see
#    build/research/NOTES.md section 4: fewer fail, more add nothing).
[ -x "$JAVA_HOME/bin/jlink" ] || die "$JAVA_HOME/bin/jlink not found (openjdk-17-jdk-headless)"
owner_listed "$JAVA_HOME/jmods/java.base.jmod"
"$JAVA_HOME/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files \
  --no-man-pages --compress=2 --output opt/jre
rm -f opt/jre/bin/keytool

step "3/7: the shared libraries the Java runtime needs"
# 3. The shared libraries the JRE needs, and the loader. ldd names the
#    JRE's own libraries too (found through $ORIGIN, or "not found" for
#    libjvm.so, which the launcher loads itself): those are already here.
ldd_out=$WORK/ldd.txt
for f in opt/jre/bin/java opt/jre/lib/*.so opt/jre/lib/server/*.so; do
  ldd "$f"
done > "$ldd_out"
for lib in $(awk '$2 == "=>" && $3 == "not" { print $1 }' "$ldd_out" | sort -u); do
  [ -e "opt/jre/lib/$lib" ] || [ -e "opt/jre/lib/server/$lib" ] \
    || die "ldd: $lib not found, and not part of the JRE"
done
for lib in $(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' "$ldd_out" \
               | grep -v "^$R/" | sort -u); do
  copy_in "$lib"
done

step "4/7: ZooKeeper's jars"
# 4. ZooKeeper's jars, under the names its manifest's Class-Path uses.
for j in $JARS; do
  copy_in "/usr/share/java/$j.jar"
done

step "5/7: /etc"
# 5. /etc: enough for `id`, and for names to resolve through Docker's DNS
#    (glibc has the files and dns backends built in).
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
  > etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' > etc/group
printf 'hosts: files dns\n' > etc/nsswitch.conf
mkdir -p etc/labo
printf '%s\n' "$INPUTS" > etc/labo/zookeeper-image.inputs

step "6/7: the entrypoint and zkServer.sh"
# 6. The entrypoint, and zkServer.sh on PATH for `zkServer.sh status`.
cp "$HERE/docker-entrypoint.sh" docker-entrypoint.sh
cp "$HERE/zkServer.sh" bin/zkServer.sh
chmod 755 docker-entrypoint.sh bin/zkServer.sh

step "7/7: the tar"
# 7. The tar, deterministic: sorted names, time 0, numeric root ownership,
#    GNU format (no atime/ctime, no pax headers carrying times).
chmod 755 "$R"
tar --sort=name --mtime=@0 --numeric-owner --owner=0 --group=0 --format=gnu \
  -C "$R" -cf "$OUT.tmp" .
mv "$OUT.tmp" "$OUT"
