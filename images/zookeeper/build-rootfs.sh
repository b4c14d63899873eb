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
# are already in the rootfs), under the path ldd found it at (the .debs'
# libraries under /lib/ARCH-TRIPLET, where the loader looks), and the loader.
# Libraries the JRE carries itself are skipped.
copy_libs ()
{
  out=$WORK/ldd.txt
  for f in "$@"; do
    LD_LIBRARY_PATH=$DEB_LIBS ldd "$f"
  done > "$out"
  for lib in $(awk '$2 == "=>" && $3 == "not" { print $1 }' "$out" | sort -u); do
    [ -e "opt/jre/lib/$lib" ] || [ -e "opt/jre/lib/server/$lib" ] \
      || die "ldd: $lib not found, and not part of the JRE"
  done
  for lib in $(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' "$out" \
                 | grep -v "^$R/" | sort -u); do
    case $lib in
      "$X"/*) copy_in "$lib" "/lib/$TRIPLET/${lib##*/}" ;;
      *) [ -e "$R$lib" ] || copy_in "$lib" ;;
    esac
  done
}
TRIPLET=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch 2>/dev/null \
            || echo x86_64-linux-gnu)

cd "$R"
mkdir -p bin sbin usr/bin usr/sbin usr/lib/openssh etc/ssh etc/zookeeper/conf opt \
  usr/share/java var/lib/zookeeper var/log/zookeeper run/sshd tmp root/.ssh proc sys dev
chmod 1777 tmp
chmod 700 root root/.ssh

step "1/8: busybox and its applets"
# 1. busybox (static) and one symlink per applet: sh, nc, ping, ip, wget,
#    tar, vi, hostname, ... (not setpriv: util-linux's, below, can change
#    user, busybox's cannot; not ping: iputils', below, pings without
#    CAP_NET_RAW, busybox's cannot; not date: coreutils', below, is linked
#    dynamically, so libfaketime skews it, and busybox's static one it
#    cannot)
copy_in /bin/busybox /bin/busybox
for a in $(/bin/busybox --list); do
  case $a in
    busybox|setpriv|ping|date) ;;
    *) ln -s busybox "bin/$a" ;;
  esac
done

step "2/8: a Java runtime cut by jlink (the longest step)"
# 2. A JRE cut by jlink to the modules ZooKeeper loads (see
#    build/research/NOTES.md section 4: fewer fail, more add nothing).
[ -x "$JAVA_HOME/bin/jlink" ] || die "$JAVA_HOME/bin/jlink not found (openjdk-17-jdk-headless)"
owner_listed "$JAVA_HOME/jmods/java.base.jmod"
"$JAVA_HOME/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files \
  --no-man-pages --compress=2 --output opt/jre
rm -f opt/jre/bin/keytool
# Java keeps a name it resolved 30 s, and one it could not resolve 10 s
# (java.security). ZooKeeper's servers name each other, and on a Swarm
# (labo deploy) a peer whose task has not started yet, or was replaced
# with a new address, was looked past that long: one second each.
# ZooKeeper resolves a peer anew at each attempt.
SEC=opt/jre/conf/security/java.security
sed -i 's/^networkaddress\.cache\.negative\.ttl=.*/networkaddress.cache.negative.ttl=1/' "$SEC"
printf '\n# labo: see images/zookeeper/build-rootfs.sh\nnetworkaddress.cache.ttl=1\n' >>"$SEC"
grep -qx 'networkaddress.cache.negative.ttl=1' "$SEC" || die "$SEC: no networkaddress.cache.negative.ttl to set"

step "3/8: the shared libraries the Java runtime needs"
# 3. The shared libraries the JRE needs, and the loader. ldd names the
#    JRE's own libraries too (found through $ORIGIN, or "not found" for
#    libjvm.so, which the launcher loads itself): those are already here.
DEB_LIBS=
copy_libs opt/jre/bin/java opt/jre/lib/*.so opt/jre/lib/server/*.so

step "4/8: ZooKeeper's jars"
# 4. ZooKeeper's jars, under the names its manifest's Class-Path uses.
for j in $JARS; do
  copy_in "/usr/share/java/$j.jar"
done

step "5/8: sshd (from .debs), ssh, bash, curl"
# 5. The tutorial's tools. sshd, the sftp-server and libwrap come from .debs
#    that inputs.sh chose in /var/cache/labo/debs, extracted here (never
#    installed on the machine: that would start an sshd on it); the rest
#    from installed packages. Then what ldd names for all of them.
printf '%s\n' "$DEBS" | while read -r d f; do
  mkdir -p "$X/$d"
  dpkg-deb -x "$f" "$X/$d"
  # the control fields must say what the file name said (inputs.sh's key)
  got=$(dpkg-deb -f "$f" Package)
  [ "$got" = "$d" ] || die "$f holds package $got, not $d"
done
DEB_LIBS=$X/libwrap0/usr/lib/$TRIPLET:$X/libwrap0/lib/$TRIPLET
copy_in "$X/openssh-server/usr/sbin/sshd" /usr/sbin/sshd
copy_in "$X/openssh-sftp-server/usr/lib/openssh/sftp-server" /usr/lib/openssh/sftp-server
# (no sftp client: it would bring libedit, libbsd, libmd for no step of the
# tutorial; scp and the server side of sftp are here)
for b in ssh scp ssh-keygen ssh-copy-id curl setpriv; do
  copy_in "/usr/bin/$b" "/usr/bin/$b"
done
copy_in /bin/bash /bin/bash
# iputils' ping, the tutorial's first command (and its output): an ICMP
# datagram socket where Docker allows it (net.ipv4.ping_group_range), no
# CAP_NET_RAW needed. Copied without its file capability.
copy_in /usr/bin/ping /bin/ping
# libfaketime, which every process of the node runs under (LD_PRELOAD, set
# by labo: `labo clock` skews the node's wall clock), at the machine's path,
# and coreutils' date, which it reaches (busybox's is static)
copy_in "/usr/lib/$TRIPLET/faketime/libfaketime.so.1"
copy_in /bin/date /bin/date
chmod 755 usr/sbin/sshd usr/lib/openssh/sftp-server usr/bin/* bin/bash bin/ping bin/date
copy_libs usr/sbin/sshd usr/lib/openssh/sftp-server usr/bin/ssh usr/bin/scp \
  usr/bin/ssh-keygen usr/bin/curl usr/bin/setpriv bin/bash bin/ping bin/date \
  "usr/lib/$TRIPLET/faketime/libfaketime.so.1"
# java and zkServer.sh answer on any PATH (sshd's, docker exec's)
ln -s /opt/jre/bin/java usr/bin/java

step "6/8: /etc and root's home"
# 6. /etc: users (root's password is "labo": the lab's attendees log in with
#    it, ssh-copy-id asks for it), names resolving through Docker's DNS
#    (glibc has the files and dns backends built in), ssh's configuration.
#    The zookeeper user is added by the entrypoint, with the machine's uid.
printf '%s\n' 'root:x:0:0:root:/root:/bin/bash' \
  'sshd:x:65533:65534:sshd privilege separation:/run/sshd:/bin/false' \
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' > etc/passwd
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' > etc/group
# openssl passwd -6 -salt labo.image labo (a fixed salt: same bytes each build;
# the password is public anyway). Empty aging fields: never expires.
printf '%s\n' 'root:$6$labo.image$3yZkZbKVM.Jbt3dWlvxdUrpI9rl95Z6Z9m/xGF.pNT5sYicvKvRVluVpxBl6nh0cX1/6bLK7cg.JyjDJdGzSE.:::::::' \
  'sshd:*:::::::' 'nobody:*:::::::' > etc/shadow
chmod 600 etc/shadow
printf '%s\n' 'passwd: files' 'group: files' 'shadow: files' 'hosts: files dns' > etc/nsswitch.conf
printf '%s\n' '/bin/sh' '/bin/bash' > etc/shells
cat > etc/ssh/sshd_config <<'END'
# labo/zookeeper: sshd for the tutorial's section 4 (ssh-copy-id, ssh
# namenode2). The entrypoint writes sshd_config.d/listen.conf at each start
# (ListenAddress LABO_SSH_LISTEN:22, the overlay address only) and starts
# sshd only then: without it, sshd would listen on every address.
Include /etc/ssh/sshd_config.d/*.conf
Port 22
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
PermitRootLogin yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
UsePAM no
X11Forwarding no
AllowAgentForwarding no
PrintMotd no
Subsystem sftp /usr/lib/openssh/sftp-server
END
mkdir -p etc/ssh/sshd_config.d
cat > etc/ssh/ssh_config <<'END'
# labo/zookeeper: the lab's network is closed and its hosts' keys are made
# at their first start, so no one could check a fingerprint anyway: the
# first "ssh namenode2" accepts and remembers the key instead of stopping
# on a yes/no question (a changed key is still refused).
Host *
    StrictHostKeyChecking accept-new
    SendEnv LANG LC_*
END
chmod 644 etc/ssh/sshd_config etc/ssh/ssh_config
# Debian's root's .bashrc and .profile; a prompt with the node's name, as in
# a Debian container
copy_in /usr/share/base-files/dot.bashrc /root/.bashrc
copy_in /usr/share/base-files/dot.profile /root/.profile
chmod 644 root/.bashrc root/.profile
printf '%s\n' "PS1='\\u@\\h:\\w\\\$ '" > etc/bash.bashrc
printf '%s\n' '# login shells (ssh): what interactive shells read too' \
  'if [ -n "${BASH:-}" ] && [ -f /etc/bash.bashrc ]; then . /etc/bash.bashrc; fi' > etc/profile
mkdir -p etc/labo
printf '%s\n' "$INPUTS" > etc/labo/zookeeper-image.inputs

step "7/8: the entrypoint and zkServer.sh"
# 7. The entrypoint, and zkServer.sh on PATH for the tutorial's start/status.
cp "$HERE/docker-entrypoint.sh" docker-entrypoint.sh
cp "$HERE/zkServer.sh" bin/zkServer.sh
chmod 755 docker-entrypoint.sh bin/zkServer.sh

step "8/8: the tar"
# 8. The tar, deterministic: sorted names, time 0, numeric root ownership,
#    GNU format (no atime/ctime, no pax headers carrying times).
chmod 755 "$R"
tar --sort=name --mtime=@0 --numeric-owner --owner=0 --group=0 --format=gnu \
  -C "$R" -cf "$OUT.tmp" .
mv "$OUT.tmp" "$OUT"
