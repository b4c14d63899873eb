#!/bin/bash
# Benchmark of a dockerd's crash (issue 9): the seed lab, the product's own
# restart policy, and series of `kill -9` of one or both hosts' dockerd,
# each timed from the kill (at its system call, bench/zkwait) until the
# ensemble serves again through the published ports (`srvr` of
# 198.51.100.198:32181 and 198.51.100.101:32181 every 5 ms: one leader,
# one follower). Within each recovery, from the supervisor's own events:
# when the killed daemons answered again, and when their nodes' containers
# ran again; the rest is the overlay and ZooKeeper.
#
# The series, in this order, ROUNDS crashes each:
#   clm1    mida-clm1's dockerd (the Swarm manager, namenode1's host),
#           SETTLE s after the ensemble last served again
#   clm2    mida-clm2's dockerd (the worker, namenode2's host), the same
#   both    both dockerds at once, the same
#   quick   one dockerd, then the other, then both, in turn, QUICK s after
#           the ensemble served again: the crash a few seconds after a
#           recovery that issue 9 found slowest
# A round that does not serve within TIMEOUT s counts as TIMEOUT and the
# next waits for the ensemble to serve.
#
# The lab is the seed under a name of its own, with the product's default
# policy but for give_up (raised to 100 deaths: a benchmark that kills a
# daemon every 20 s must not be given up). Writes build/bench/daemon-crash.md
# and build/bench/daemon-crash.csv (kind,round,serving_s,daemons_s,nodes_s).
# Usage: bench/daemon-crash.sh [ROUNDS]  (root; ROUNDS default 6, so 24 crashes)
#   env: SETTLE (15), QUICK (3), TIMEOUT (180), LABO (./labo), NOTE (a line
#   for the report, e.g. "before the fix"), LOGS (a directory to copy the
#   dockerd and ZooKeeper logs and the events into before `down`)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/daemon-crash.sh: run as root" >&2; exit 1; }
R=${1:-${BENCH_ROUNDS:-6}}
SETTLE=${SETTLE:-15}
QUICK=${QUICK:-3}
TIMEOUT=${TIMEOUT:-180}
LABO=${LABO:-./labo}
[ -x "$LABO" ] || make -s labo
OUT=build/bench; mkdir -p "$OUT"
cc -O2 -Wall -Wextra -o "$OUT/zkwait" bench/zkwait.c
T=$(mktemp -d); LAB=""
cleanup() { [ -z "$LAB" ] || "$LABO" down -q "$LAB" >/dev/null 2>&1 || true; rm -rf "$T"; }
trap cleanup EXIT
A="198.51.100.198:32181 198.51.100.101:32181"

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# six characters at most: the root interface "<lab>-internet" fits 15 bytes
LAB=dc$(( $$ % 9000 + 1000 ))
sed -e "s/^lab: seed\$/lab: $LAB/" netns/seed.yaml > "$T/lab.yaml"
printf 'supervise: {give_up: {deaths: 100}}\n' >> "$T/lab.yaml"
echo "== lab $LAB: up"
"$LABO" up -q "$T/lab.yaml" > /dev/null
"$OUT/zkwait" serving 120 $A > /dev/null

dpid() { "$LABO" status --json "$LAB" | jq -r --arg h "$1" '.hosts[] | select(.name == $h) | .docker.pid'; }

# crash KIND ROUND WAIT HOSTS...: waits WAIT s, kills the HOSTS' dockerds
# at once, times the recovery; appends "KIND,ROUND,serving,daemons,nodes"
crash() {
  local kind=$1 round=$2 wait=$3 pids="" h t0 s ev
  shift 3
  sleep "$wait"
  for h in "$@"; do pids="$pids${pids:+,}$(dpid "$h")"; done
  if read -r t0 s < <("$OUT/zkwait" kill "$pids" "$TIMEOUT" $A); then :; else
    t0=${t0:-$(date +%s.%N)} s=$TIMEOUT
    "$OUT/zkwait" serving 600 $A > /dev/null || { echo "the ensemble never served again" >&2; exit 1; }
  fi
  # the last of the killed daemons to answer, the last of their nodes to
  # run again (the supervisor's "up" events after the kill)
  ev=$("$LABO" events --json -n 100 --no-follow "$LAB" | jq -rs --argjson t0 "$t0" --arg hosts "$*" '
    ($hosts | split(" ")) as $h
    | [.[] | select(.t >= $t0 and .kind == "up")] as $up
    | ([$up[] | select(.subject as $s | $h | index($s))] | map(.t) | max) as $d
    | ([$up[] | select(.message | startswith("node"))] | map(.t) | max) as $n
    | "\((($d // $t0) - $t0) * 100 | round / 100) \((($n // $t0) - $t0) * 100 | round / 100)"')
  echo "$kind,$round,$s,${ev// /,}" >> "$T/rounds.csv"
  printf '  %-5s %2d: serving again after %7.3f s (daemons up %s s, nodes up %s s)\n' \
    "$kind" "$round" "$s" ${ev}
}

for i in $(seq "$R"); do crash clm1 "$i" "$SETTLE" mida-clm1; done
for i in $(seq "$R"); do crash clm2 "$i" "$SETTLE" mida-clm2; done
for i in $(seq "$R"); do crash both "$i" "$SETTLE" mida-clm1 mida-clm2; done
sleep "$SETTLE"
for i in $(seq "$R"); do
  case $((i % 3)) in
    1) crash quick "$i" "$QUICK" mida-clm1 ;;
    2) crash quick "$i" "$QUICK" mida-clm2 ;;
    0) crash quick "$i" "$QUICK" mida-clm1 mida-clm2 ;;
  esac
done
if [ -n "${LOGS:-}" ]; then
  # the evidence: each dockerd's log, each node's ZooKeeper log, the events
  mkdir -p "$LOGS"
  for h in /run/labo/"$LAB"/h*/; do cp "$h/dockerd.log" "$LOGS/$(basename "$h")-dockerd.log"; done
  for n in namenode1 namenode2; do "$LABO" logs -l "$LAB" "$n" > "$LOGS/$n.log" 2>&1 || true; done
  "$LABO" events --json -n 100000 --no-follow "$LAB" > "$LOGS/events.jsonl"
fi
"$LABO" down -q "$LAB"; LAB=""
cp "$T/rounds.csv" "$OUT/daemon-crash.csv"

col() { awk -F, -v k="$1" -v c="$2" '$1 == k || k == "all" { print $c }' "$T/rounds.csv"; }
stats() { # min median max of a column
  local v; v=$(col "$1" "$2")
  echo "$(echo "$v" | sort -n | head -1) / $(echo "$v" | median) / $(echo "$v" | sort -n | tail -1)"
}
over() { col "$1" 3 | awk '$1 > 15 { n++ } END { print n + 0 }'; }
{
  echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'), \`bench/daemon-crash.sh $R\` (SETTLE=$SETTLE QUICK=$QUICK): $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), kernel $(uname -r), $("$LABO" --version)${NOTE:+, $NOTE}. Seconds: min / median / max."
  echo
  echo "| series | crashes | kill -9 to serving again | to the daemons answering | to the nodes running | over 15 s |"
  echo "|---|---|---|---|---|---|"
  for k in clm1 clm2 both quick all; do
    echo "| $k | $(col "$k" 3 | wc -l) | $(stats "$k" 3) | $(stats "$k" 4) | $(stats "$k" 5) | $(over "$k") |"
  done
  echo
  echo "Every crash, serving again (s):"
  echo
  for k in clm1 clm2 both quick; do echo "- $k: $(col "$k" 3 | tr '\n' ' ')"; done
} | tee "$OUT/daemon-crash.md"
