#!/bin/bash
# The seed's warm `labo up`, before and after sshd joined the nodes (issue
# 12): two labo binaries side by side in one run, A B A B..., each with its
# own image recipe (a labo finds images/ beside its binary) and its image
# already cached, so that only the nodes' start differs. Reports each side's
# up (wall, from `up`'s own total) and the ratio pair by pair, and the two
# images' sizes. The seed runs under a unique name without its root address.
#   bench/sshd.sh OLD_LABO NEW_LABO [ROUNDS]    (as root)
# OLD_LABO: a labo built from a commit before sshd, e.g.
#   git worktree add --detach /tmp/labo-old c1340f1 && make -C /tmp/labo-old labo
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/sshd.sh: run as root" >&2; exit 1; }
[ $# -ge 2 ] || { echo "usage: bench/sshd.sh OLD_LABO NEW_LABO [ROUNDS]" >&2; exit 2; }
OLD=$1 NEW=$2 R=${3:-${BENCH_ROUNDS:-5}}
OUT=build/bench; mkdir -p "$OUT"
T=$(mktemp -d); LAB=bh$$
cleanup() { "$OLD" down -q "$LAB" >/dev/null 2>&1 || true; "$NEW" down -q "$LAB" >/dev/null 2>&1 || true; rm -rf "$T"; }
trap cleanup EXIT
sed -e "s/^lab: seed\$/lab: $LAB/" -e '/root: 198.51.100.1/d' netns/seed.yaml > "$T/seed.yaml"

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# up LABO: one warm up of the seed, its total in seconds (up's own figure), then down
up() {
  local ms
  ms=$("$1" up "$T/seed.yaml" 2>&1 | sed -nE 's/^labo: lab .* is up in ([0-9.]+) ms.*/\1/p')
  "$1" down -q "$LAB" >/dev/null
  [ -n "$ms" ] || { echo "bench/sshd.sh: $1 up failed" >&2; exit 1; }
  awk -v m="$ms" 'BEGIN { printf "%.3f\n", m / 1000 }'
}

echo "warm-up (images built or cached, one up each)..."
up "$OLD" >/dev/null; up "$NEW" >/dev/null
: > "$T/runs"
for i in $(seq 1 "$R"); do
  a=$(up "$OLD"); b=$(up "$NEW")
  echo "$a $b" >> "$T/runs"
  echo "  round $i: before $a s, after $b s"
done
img() { # LABO: the image tar its lab would use (newest cached of its recipe's key)
  "$1" up -n "$T/seed.yaml" 2>/dev/null | sed -nE 's/^image (labo\/zookeeper:[0-9a-f]+) .*/\1/p'
}
size() { local key=${1#labo/zookeeper:}; stat -c %s "/var/cache/labo/images/zookeeper-$key.tar" 2>/dev/null || echo "?"; }
gz() { local key=${1#labo/zookeeper:}; gzip -c "/var/cache/labo/images/zookeeper-$key.tar" 2>/dev/null | wc -c; }
IO=$(img "$OLD") IN=$(img "$NEW")
{
  echo "# bench/sshd.sh: the seed's warm up before and after sshd ($R rounds, A B A B)"
  echo
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GB, $(uname -r)"
  echo
  echo "| | median | min | max |"
  echo "|---|---|---|---|"
  for c in 1 2; do
    name=$([ $c = 1 ] && echo "before (no sshd) up, s" || echo "after (sshd, keys) up, s")
    col=$(awk -v c=$c '{ print $c }' "$T/runs")
    echo "| $name | $(echo "$col" | median) | $(echo "$col" | sort -n | head -1) | $(echo "$col" | sort -n | tail -1) |"
  done
  d=$(awk '{ print $2 - $1 }' "$T/runs")
  echo "| after - before, s (pair by pair) | $(echo "$d" | median) | $(echo "$d" | sort -n | head -1) | $(echo "$d" | sort -n | tail -1) |"
  r=$(awk '{ printf "%.3f\n", $2 / $1 }' "$T/runs")
  echo "| after / before (pair by pair) | $(echo "$r" | median) | $(echo "$r" | sort -n | head -1) | $(echo "$r" | sort -n | tail -1) |"
  echo
  echo "| image | tar bytes | gzipped bytes |"
  echo "|---|---|---|"
  echo "| before: $IO | $(size "$IO") | $(gz "$IO") |"
  echo "| after: $IN | $(size "$IN") | $(gz "$IN") |"
} | tee "$OUT/sshd.md"
