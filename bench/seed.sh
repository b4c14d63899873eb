#!/bin/bash
# Benchmark of the seed lab (issue 3): `labo up` cold (image built) and warm,
# with the time of each stage, and `labo down`, set against their floor
# measured in the same run:
#   - one dockerd's start to /_ping answering: the "daemons" stage of a lab
#     with one Docker host and nothing else;
#   - one ZooKeeper JVM's start to serving: the image's own rootfs, run
#     without Docker (chroot, fresh network/mount/pid namespaces), from exec
#     to `srvr` answering "Mode: standalone".
# The seed runs under a unique name and without its root address, so it does
# not collide with a seed lab the user may have up. Writes
# build/bench/seed.md. Usage: bench/seed.sh [ROUNDS]   (as root)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/seed.sh: run as root" >&2; exit 1; }
R=${1:-${BENCH_ROUNDS:-3}}
LABO=${LABO:-./labo}
[ -x "$LABO" ] || make -s labo
OUT=build/bench; mkdir -p "$OUT"
T=$(mktemp -d); LAB=bs$$; ONE=bo$$
cleanup() { [ -z "${ZK_PID:-}" ] || kill -9 "$ZK_PID" 2>/dev/null || true
            "$LABO" down -q "$LAB" >/dev/null 2>&1 || true; "$LABO" down -q "$ONE" >/dev/null 2>&1 || true
            umount -R "$T/rootfs/dev" "$T/rootfs/proc" 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT

sed -e "s/^lab: seed\$/lab: $LAB/" -e '/root: 198.51.100.1/d' netns/seed.yaml > "$T/seed.yaml"
cat > "$T/one.yaml" <<EOF2
lab: $ONE
segments: {lan: {subnet: 198.51.100.0/24}}
hosts:
  d1: {links: [{segment: lan, address: 198.51.100.10}], docker: manager}
EOF2

now() { date +%s.%N; }
stage() { awk -v s="$1" '$1 == s { print $2 / 1000 }' "$2"; }   # seconds of a stage line
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

STAGES="daemons swarm overlay image containers quorum"
run_seed() { # $1: label; appends "label up down stages..." to $T/runs
  local t0 t1 t2
  t0=$(now); "$LABO" up "$T/seed.yaml" > "$T/up.log"; t1=$(now)
  "$LABO" down -q "$LAB"; t2=$(now)
  local line="$1 $(echo "$t1 - $t0" | bc) $(echo "$t2 - $t1" | bc)"
  for s in $STAGES; do line="$line $(stage "$s" "$T/up.log")"; done
  echo "$line" >> "$T/runs"
}

# ---- cold: the image cache emptied first ----
key_tar=$(ls /var/cache/labo/images/zookeeper-*.tar 2>/dev/null || true)
[ -z "$key_tar" ] || rm -f $key_tar
echo "seed up, cold (builds the image)..."
run_seed cold
tar_path=$(ls /var/cache/labo/images/zookeeper-*.tar)
tar_size=$(stat -c %s "$tar_path")

for i in $(seq "$R"); do
  echo "seed up, warm $i/$R..."
  run_seed warm

  # floor 1: one dockerd, start to /_ping
  "$LABO" up "$T/one.yaml" > "$T/one.log"; "$LABO" down -q "$ONE"
  stage daemons "$T/one.log" >> "$T/floor.dockerd"

  # floor 2: one ZooKeeper JVM, start to serving, without Docker
  rm -rf "$T/rootfs"; mkdir -p "$T/rootfs"; tar -xf "$tar_path" -C "$T/rootfs"
  unshare --net --mount --pid --fork --kill-child bash -c '
    set -e; r=$1
    mount --bind /dev "$r/dev"; mount -t proc proc "$r/proc"; ip link set lo up
    t0=$(date +%s.%N)
    chroot "$r" /docker-entrypoint.sh zkServer >/dev/null 2>&1 &
    # a connection accepted while the server starts can be left unanswered:
    # each probe gets half a second
    until echo srvr | timeout 0.5 chroot "$r" /bin/nc 127.0.0.1 2181 2>/dev/null |
          grep -q "Mode: standalone"; do
      sleep 0.01
    done
    echo "$(date +%s.%N) - $t0" | bc' _ "$T/rootfs" >> "$T/floor.zk" &
  ZK_PID=$!   # unshare: killing it takes its whole PID namespace along
  wait "$ZK_PID"; ZK_PID=
  umount -R "$T/rootfs/dev" "$T/rootfs/proc" 2>/dev/null || true
done

fd=$(median < "$T/floor.dockerd"); fz=$(median < "$T/floor.zk")
floor=$(echo "$fd + $fz" | bc)
col() { awk -v c="$2" -v l="$1" '$1 == l { print $c }' "$T/runs" | median; }
{
  echo "## Seed lab: \`labo up\` (issue 3)"
  echo
  echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'), \`bench/seed.sh $R\`: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), kernel $(uname -r), labo $(git describe --always --dirty 2>/dev/null). Medians of $R warm runs; cold is one run. Seconds."
  echo
  echo "| | up | down | daemons | swarm | overlay | image | containers | quorum |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for l in cold warm; do
    printf '| %s |' "$l"
    for c in 2 3 4 5 6 7 8 9; do printf ' %.2f |' "$(col $l $c)"; done
    echo
  done
  echo
  echo "Floor, measured in the same run: one dockerd start to /_ping $(printf %.2f "$fd") s, one ZooKeeper JVM start to serving $(printf %.2f "$fz") s (the image's rootfs in a chroot, no Docker): $(printf %.2f "$floor") s."
  echo "Warm up / floor: $(echo "scale=2; $(col warm 2) / $floor" | bc)x (target 1.5x); warm up $(printf %.2f "$(col warm 2)") s (target < 10 s); down $(printf %.2f "$(col warm 3)") s (target < 3 s)."
  echo "Image: $(basename "$tar_path"), $tar_size bytes."
} | tee "$OUT/seed.md"
