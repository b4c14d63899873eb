#!/bin/bash
# A classroom on one machine (issue 14): N copies of a lab (default the seed,
# docker runtime) brought up at once with `labo up --copies N`, then:
#   - the time to bring all up (wall), and the CPU it took (the copies'
#     cgroups: daemons, containers, what they ran);
#   - memory: MemAvailable before and after (all of it: processes, page
#     cache of the images' layers, tmpfs, kernel), divided by N; and the
#     proportional set size (PSS) of every process of the copies;
#   - one more copy's `up` while the N run, against the same up alone
#     (measured first, on the empty machine);
#   - the CPU the N copies use while they idle (10 s);
#   - `labo down --all`.
#   bench/copies.sh [N] [FILE] [-- UP-OPTIONS]      (as root; make bench-copies)
# Refuses to run while another lab is up: it would be in the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/copies.sh: run as root" >&2; exit 1; }
N=${1:-15} FILE=${2:-netns/seed.yaml}
shift $(( $# > 2 ? 2 : $# )); [ "${1:-}" = -- ] && shift
LABO=${LABO:-./labo}
B=bc$$
OUT=build/bench; mkdir -p "$OUT"
[ -z "$("$LABO" ls --json | grep '"lab"' || true)" ] ||
  { echo "bench/copies.sh: labs are up (\`labo ls\`): bring them down first" >&2; exit 1; }
cleanup() { "$LABO" down --all -q >/dev/null 2>&1 || true; }
trap cleanup EXIT

avail() { awk '/MemAvailable/ { print $2 }' /proc/meminfo; }      # kB
# CPU seconds of the copies' cgroups (cgroup v1 cpuacct, or v2 cpu.stat)
cpu() {
  local t=0 f
  for f in /sys/fs/cgroup/cpuacct/labo."$B"-*/cpuacct.usage; do
    [ -e "$f" ] && t=$((t + $(cat "$f")))
  done
  if [ "$t" = 0 ]; then
    for f in /sys/fs/cgroup/labo."$B"-*/cpu.stat; do
      [ -e "$f" ] && t=$((t + $(awk '/usage_usec/ { print $2 * 1000 }' "$f")))
    done
  fi
  awk -v t="$t" 'BEGIN { printf "%.1f", t / 1e9 }'
}
# PSS in kB of every process of the copies (their cgroups' tasks) and their supervisors
pss() {
  local pids
  pids=$( { find /sys/fs/cgroup/pids/labo."$B"-* /sys/fs/cgroup/labo."$B"-* \
              -name cgroup.procs -exec cat {} + 2>/dev/null || true
            cat /run/labo/"$B"-*/supervisor.pid 2>/dev/null || true; } | sort -u)
  local t=0 p v
  for p in $pids; do
    v=$(awk '/^Pss:/ { print $2 }' /proc/"$p"/smaps_rollup 2>/dev/null || echo 0)
    t=$((t + ${v:-0}))
  done
  echo "$t"
}
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
now() { date +%s.%N; }

echo "one copy alone (warm: images built or cached)..."
"$LABO" up "$FILE" --name "$B-w" -q "$@" >/dev/null && "$LABO" down -q "$B-w"
t0=$(now); "$LABO" up "$FILE" --name "$B-0" -q "$@" >/dev/null; t1=$(now)
ALONE=$(secs "$t0" "$t1"); "$LABO" down -q "$B-0"

echo "$N copies at once..."
sync; echo 1 > /proc/sys/vm/drop_caches 2>/dev/null || true
A0=$(avail)
t0=$(now)
"$LABO" up "$FILE" --copies "$N" --name "$B" "$@" | tee "$OUT/copies-up.log"
t1=$(now)
ALL=$(secs "$t0" "$t1")
CPU_UP=$(cpu)
sleep 5
A1=$(avail)
PSS=$(pss)
c0=$(cpu); sleep 10; c1=$(cpu)
IDLE=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", (b - a) / 10 }')
UP=$("$LABO" ls --json | grep -c "\"lab\": \"$B-" || true)

echo "one more copy while $N run..."
t0=$(now); "$LABO" up "$FILE" --name "$B-x" -q "$@" >/dev/null; t1=$(now)
BUSY=$(secs "$t0" "$t1")
"$LABO" down -q "$B-x"
t0=$(now); "$LABO" down --all -q; t1=$(now)
DOWN=$(secs "$t0" "$t1")

{
  echo "# bench/copies.sh: $N copies of $FILE ($*)"
  echo
  echo "machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(free -g | awk '/Mem:/ { print $2 }') GB, kernel $(uname -r), load before $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| copies up | $UP of $N |"
  echo "| all $N up (wall) | $ALL s |"
  echo "| CPU the copies took to come up | $CPU_UP s ($(awk -v c="$CPU_UP" -v n="$N" 'BEGIN { printf "%.1f", c / n }') s a copy) |"
  echo "| MemAvailable drop, all | $(( (A0 - A1) / 1024 )) MB |"
  echo "| MemAvailable drop, per copy | $(( (A0 - A1) / 1024 / N )) MB |"
  echo "| PSS of the copies' processes, per copy | $(( PSS / 1024 / N )) MB |"
  echo "| one copy's up, alone | $ALONE s |"
  echo "| one copy's up while $N run | $BUSY s |"
  echo "| CPU used by the $N copies idling | $IDLE cores |"
  echo "| down --all | $DOWN s |"
} | tee "$OUT/copies.md"
