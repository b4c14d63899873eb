#!/bin/bash
# Benchmark of the link emulator (issue 5), side by side in one run, on one
# lab of six hosts on a segment, as three pairs measured in turn (rounds
# interleaved, so that the machine's drift falls on every column alike):
#   plain     a1 -> b1: veths and the bridge, nothing else
#   emulator  a2 -> b2: a2's link through labo's emulator, no impairment
#             (`labo link a2 --mechanism emulator`): one emulator crossed
#   2 emulators  a3 -> b3: both ends' links emulated: two crossed
#   netem     (where the kernel has sch_netem) a1 -> b1 again, with netem
#             of no delay on a1's link
# For each: TCP throughput (5 s, netprobe tcp-send/tcp-sink), the round trip
# of 5000 UDP probes 1 ms apart (min, median, p99), and the emulator's CPU
# time during the transfer. Then the accuracy of the settings on the
# emulator: delay (added round trip), loss (of 10000 datagrams), rate (TCP
# goodput). Writes build/bench/link.md. Usage: bench/link.sh [ROUNDS] (root)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/link.sh: run as root" >&2; exit 1; }
R=${1:-${BENCH_ROUNDS:-3}}
LABO=${LABO:-./labo}
[ -x "$LABO" ] || make -s labo
make -s build/tools/netprobe
NP=$PWD/build/tools/netprobe
OUT=build/bench; mkdir -p "$OUT"
T=$(mktemp -d)
LAB=bl$$
cleanup() { pkill -f "$NP" 2>/dev/null || true; "$LABO" down -q "$LAB" >/dev/null 2>&1 || true; rm -rf "$T"; }
trap cleanup EXIT

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
addr() { echo "198.51.100.$((129 + $1))"; }

{
  echo "lab: $LAB"
  echo "segments: {net: {subnet: 198.51.100.128/28}}"
  echo "hosts:"
  i=0
  for h in a1 b1 a2 b2 a3 b3; do
    echo "  $h: {links: [{segment: net, address: $(addr $i)}]}"
    i=$((i + 1))
  done
} > "$T/lab.yaml"
declare -A IP=([a1]=$(addr 0) [b1]=$(addr 1) [a2]=$(addr 2) [b2]=$(addr 3) [a3]=$(addr 4) [b3]=$(addr 5))
"$LABO" up -q "$T/lab.yaml" > /dev/null
"$LABO" link -l "$LAB" a2 --mechanism emulator > /dev/null
"$LABO" link -l "$LAB" a3 --mechanism emulator > /dev/null
"$LABO" link -l "$LAB" b3 --mechanism emulator > /dev/null

NETEM=no
probe_ns=labo-bench-netem-$$
ip netns add "$probe_ns"
if ip netns exec "$probe_ns" tc qdisc add dev lo root netem delay 1ms 2>/dev/null; then NETEM=yes; fi
ip netns del "$probe_ns"

emu_cpu() { # total CPU ticks of the lab's emulators
  local t=0 p
  for p in $(pgrep -f "__linkemu labo.$LAB " || true); do
    t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
  done
  echo "$t"
}

tcp() { # tcp FROM TO: bit/s; the emulators' CPU share (%) in $T/cpu
  "$LABO" exec -l "$LAB" "$2" -- "$NP" tcp-sink 5001 > "$T/sink.json" &
  local sink=$! c0 c1 t0 t1
  sleep 0.3
  c0=$(emu_cpu); t0=$(date +%s.%N)
  "$LABO" exec -l "$LAB" "$1" -- "$NP" tcp-send "${IP[$2]}" 5001 5 > /dev/null
  wait "$sink"
  c1=$(emu_cpu); t1=$(date +%s.%N)
  awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.0f\n", 100 * (b - a) / hz / (e - s) }' > "$T/cpu"
  jq .bps "$T/sink.json"
}

rtt() { # rtt FROM TO COUNT GAP_MS: "min median p99 lost%"
  "$LABO" exec -l "$LAB" "$2" -- "$NP" echo 7 &
  local e=$!
  sleep 0.3
  "$LABO" exec -l "$LAB" "$1" -- "$NP" rtt "${IP[$2]}" 7 "$3" "$4" | jq -r '"\(.min_us) \(.median_us) \(.p99_us) \(.lost_pct)"'
  pkill -f "$NP echo 7" || true
  wait "$e" 2>/dev/null || true
}

COLS="plain emu emu2"
[ "$NETEM" = yes ] && COLS="$COLS netem"
pair() { case $1 in plain|netem) echo "a1 b1" ;; emu) echo "a2 b2" ;; emu2) echo "a3 b3" ;; esac; }
set_netem() { # on a1's link only while its column runs
  if [ "$1" = on ]; then "$LABO" link -l "$LAB" a1 --mechanism netem > /dev/null
  else "$LABO" link reset -l "$LAB" a1 > /dev/null; fi
}

for r in $(seq "$R"); do
  for c in $COLS; do
    read -r from to <<< "$(pair "$c")"
    [ "$c" = netem ] && set_netem on
    bps=$(tcp "$from" "$to")
    echo "$bps $(cat "$T/cpu")" >> "$T/tcp.$c"
    rtt "$from" "$to" 5000 1 >> "$T/rtt.$c"
    [ "$c" = netem ] && set_netem off
    echo "round $r $c: $bps bit/s, cpu $(cat "$T/cpu")%, rtt $(tail -1 "$T/rtt.$c")" >&2
  done
done

# ---- accuracy, on the emulated pair ----
ACC=()
base=$(rtt a2 b2 500 2 | awk '{ print $2 }')
for d in 1ms 10ms 100ms; do
  "$LABO" link -l "$LAB" a2 --delay "$d" > /dev/null
  m=$(rtt a2 b2 200 5 | awk '{ print $2 }')
  ACC+=("| --delay $d | round trip +$(awk -v m="$m" -v b="$base" 'BEGIN { printf "%.3f", (m - b) / 1000 }') ms (want +$(( ${d%ms} * 2 )) ms) |")
done
"$LABO" link -l "$LAB" a2 --delay 0 > /dev/null
for l in 1 20; do
  "$LABO" link -l "$LAB" a2 --loss "$l%" > /dev/null
  "$LABO" exec -l "$LAB" b2 -- "$NP" sink 9 6 > "$T/s.json" &
  s=$!; sleep 0.3
  "$LABO" exec -l "$LAB" a2 -- "$NP" send "${IP[b2]}" 9 10000 200 > /dev/null
  wait "$s"
  ACC+=("| --loss $l% | $(jq -r '(10000 - .distinct) / 100' "$T/s.json")% of 10000 datagrams lost (one way) |")
done
"$LABO" link -l "$LAB" a2 --loss 0 > /dev/null
for rate in 10mbit 100mbit 1gbit; do
  "$LABO" link -l "$LAB" a2 --rate "$rate" > /dev/null
  "$LABO" exec -l "$LAB" b2 -- "$NP" tcp-sink 5001 > "$T/sink.json" &
  s=$!; sleep 0.3
  "$LABO" exec -l "$LAB" a2 -- "$NP" tcp-send "${IP[b2]}" 5001 6 > /dev/null
  wait "$s"
  ACC+=("| --rate $rate | TCP goodput $(jq -r '.bps_after_1s / 1e6 | . * 100 | round / 100' "$T/sink.json") Mbit/s (after the first second) |")
done
"$LABO" link -l "$LAB" a2 --rate 0 > /dev/null

col() { awk -v c="$2" '{ print $c }' "$T/$1" | median; }
gb() { awk -v v="$1" 'BEGIN { printf "%.2f", v / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
P=$(col tcp.plain 1)
{
  echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'), \`bench/link.sh $R\`: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), kernel $(uname -r), sch_netem: $NETEM, labo $(git describe --always --dirty 2>/dev/null), release build. Medians of $R rounds, columns interleaved."
  echo
  printf '| | plain veth |'
  for c in $COLS; do case $c in emu) printf ' emulator, no impairment |' ;; emu2) printf ' 2 emulators (both ends) |' ;; netem) printf ' netem, no delay |' ;; esac; done
  echo; printf '|---|---|'; for c in $COLS; do [ "$c" = plain ] || printf -- '---|'; done; echo
  printf '| TCP throughput, Gbit/s (ratio to plain) | %s |' "$(gb "$P")"
  for c in $COLS; do [ "$c" = plain ] || printf ' %s (%s) |' "$(gb "$(col "tcp.$c" 1)")" "$(ratio "$(col "tcp.$c" 1)" "$P")"; done; echo
  printf '| emulators'"'"' CPU during it | - |'; for c in $COLS; do [ "$c" = plain ] || printf ' %s%% |' "$(col "tcp.$c" 2)"; done; echo
  for k in 1:min 2:median 3:p99; do
    i=${k%%:*} n=${k#*:}
    printf '| round trip, %s, µs (added) | %s |' "$n" "$(col rtt.plain "$i")"
    for c in $COLS; do [ "$c" = plain ] || printf ' %s (+%s) |' "$(col "rtt.$c" "$i")" "$(awk -v a="$(col "rtt.$c" "$i")" -v b="$(col rtt.plain "$i")" 'BEGIN { print a - b }')"; done; echo
  done
  echo
  echo "Accuracy on the emulator (a2's link; each setting applies each way):"
  echo
  echo "| setting | measured |"
  echo "|---|---|"
  printf '%s\n' "${ACC[@]}"
  echo
  echo "Every round (TCP bit/s and emulator CPU %; round trip min median p99 µs, lost %):"
  echo
  for c in $COLS; do echo "- $c: $(tr '\n' ';' < "$T/tcp.$c" | sed 's/;$//; s/;/; /g') | $(tr '\n' ';' < "$T/rtt.$c" | sed 's/;$//; s/;/; /g')"; done
} | tee "$OUT/link.md"
