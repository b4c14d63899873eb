#!/bin/bash
# Benchmark of `labo pause` / `labo resume` (issue 16): netns/zk3.yaml
# under a name of its own, under each runtime in turn, ROUNDS rounds of a
# follower paused and resumed (a follower: the ensemble keeps its leader,
# so the rounds do not wait on elections). Each round times
#   pause    from the command's start until it returns, which it does once
#            the node's freezer says FROZEN (Docker's pause, or labo's
#            freezer cgroup); then checked: srvr is not answered
#   resume   from the command's start until the node answers `srvr` again
#            through its published port (a fresh connection every try)
# with HOLD s paused and SETTLE s between rounds. Writes
# build/bench/pause.md and build/bench/pause.csv (runtime,round,pause_ms,
# resume_ms). Usage: bench/pause.sh [ROUNDS]  (root; ROUNDS default 7)
#   env: HOLD (1), SETTLE (1), RUNTIMES ("process docker"), LABO (./labo).
# Hold the integration lock meanwhile (`make bench-pause` does).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/pause.sh: run as root" >&2; exit 1; }
R=${1:-${BENCH_ROUNDS:-7}}
HOLD=${HOLD:-1}
SETTLE=${SETTLE:-1}
RUNTIMES=${RUNTIMES:-process docker}
LABO=${LABO:-./labo}
[ -x "$LABO" ] || make -s labo
OUT=build/bench; mkdir -p "$OUT"
T=$(mktemp -d); LAB=""
cleanup() { [ -z "$LAB" ] || "$LABO" down -q "$LAB" >/dev/null 2>&1 || true; rm -rf "$T"; }
trap cleanup EXIT
declare -A ADDR=([zk1]=198.51.100.66 [zk2]=198.51.100.67 [zk3]=198.51.100.68)

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", (b - a) * 1e3 }'; }

# answers ADDR WAIT: one srvr through ADDR:32181, its first line within
# WAIT s (a frozen server's kernel still accepts the connection)
answers() {
  local line rc
  exec 3<>"/dev/tcp/$1/32181" || return 1
  printf srvr >&3
  IFS= read -r -t "$2" line <&3 && rc=0 || rc=1
  exec 3<&- 3>&-
  [ $rc -eq 0 ] && [ -n "$line" ]
}

serving() { # serving SECS: until one leader and two followers
  local i
  for i in $(seq $(($1 * 5))); do
    [ "$("$LABO" status --json "$LAB" | jq '[.nodes[] | select(.mode == "leader" or .mode == "follower")] | length')" = 3 ] && return 0
    sleep 0.2
  done
  return 1
}

: >"$T/rounds.csv"
for rt in $RUNTIMES; do
  LAB=bp$(( $$ % 9000 + 1000 ))
  sed -e "s/^lab: .*\$/lab: $LAB/" netns/zk3.yaml > "$T/lab.yaml"
  echo "== $rt: lab $LAB up"
  "$LABO" up -q --runtime "$rt" "$T/lab.yaml" > /dev/null
  serving 120 || { echo "the ensemble never served" >&2; exit 1; }
  node=$("$LABO" status --json "$LAB" | jq -r '[.nodes[] | select(.mode == "follower")][0].name')
  host=$("$LABO" status --json "$LAB" | jq -r --arg n "$node" '.nodes[] | select(.name == $n) | .host')
  a=${ADDR[$host]}
  for r in $(seq "$R"); do
    t0=$EPOCHREALTIME
    "$LABO" pause -l "$LAB" "$node" > /dev/null
    t1=$EPOCHREALTIME
    if answers "$a" 0.3 2>/dev/null; then echo "$node answered while paused" >&2; exit 1; fi
    sleep "$HOLD"
    t2=$EPOCHREALTIME
    "$LABO" resume -l "$LAB" "$node" > /dev/null
    until answers "$a" 1 2>/dev/null; do :; done
    t3=$EPOCHREALTIME
    p=$(ms "$t0" "$t1") s=$(ms "$t2" "$t3")
    echo "$rt,$r,$p,$s" >> "$T/rounds.csv"
    printf '  %-7s %2d: pause %6.1f ms (to FROZEN), resume %6.1f ms (to srvr answered)\n' \
      "$rt" "$r" "$p" "$s"
    sleep "$SETTLE"
  done
  "$LABO" down -q "$LAB" > /dev/null; LAB=""
done
cp "$T/rounds.csv" "$OUT/pause.csv"

col() { awk -F, -v k="$1" -v c="$2" '$1 == k { print $c }' "$T/rounds.csv"; }
stats() { # min / median / max of a column
  local v; v=$(col "$1" "$2")
  echo "$(echo "$v" | sort -n | head -1) / $(echo "$v" | median) / $(echo "$v" | sort -n | tail -1)"
}
{
  echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'), \`bench/pause.sh $R\` (HOLD=$HOLD SETTLE=$SETTLE): $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), kernel $(uname -r), $("$LABO" --version). A follower of zk3; milliseconds: min / median / max."
  echo
  echo "| runtime | rounds | pause: command start to FROZEN | resume: command start to srvr answered |"
  echo "|---|---|---|---|"
  for k in $RUNTIMES; do
    echo "| $k | $(col "$k" 3 | wc -l) | $(stats "$k" 3) | $(stats "$k" 4) |"
  done
} | tee "$OUT/pause.md"
