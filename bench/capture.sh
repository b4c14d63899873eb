#!/bin/bash
# Benchmark of `labo capture` (issue 16), on one lab of two hosts a, b on a
# segment:
#   - the packet rate a capture keeps without a drop: netprobe sends N UDP
#     datagrams a -> b, flat out (GAP 0) or paced, while `labo capture b
#     udp` writes them into a file (wherever build/ is; libpcap's blocks)
#     or down a pipe (immediate mode); what the capture wrote against what
#     b's sink received and what the kernel says it dropped;
#   - what a capture costs a TCP transfer a -> b (5 s, netprobe): no
#     capture; a capture of the headers (-s 128) down a pipe; whole frames
#     down a pipe (what `| wireshark -k -i -` asks), the reader `cat
#     >/dev/null` (a pipe, no disk); and the capture's CPU share.
# Medians of ROUNDS rounds (default 3), interleaved. Writes
# build/bench/capture.md. Usage: bench/capture.sh [ROUNDS] (root)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/capture.sh: run as root" >&2; exit 1; }
R=${1:-${BENCH_ROUNDS:-3}}
LABO=${LABO:-./labo}
[ -x "$LABO" ] || make -s labo
make -s build/tools/netprobe
NP=$PWD/build/tools/netprobe
OUT=build/bench; mkdir -p "$OUT"
T=$(mktemp -d -p "$PWD/build")
LAB=bc$$
A=198.51.100.145 B=198.51.100.146
cleanup() { "$LABO" down -q "$LAB" >/dev/null 2>&1 || true; rm -rf "$T"; }
trap cleanup EXIT

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

cat > "$T/lab.yaml" <<EOF
lab: $LAB
segments: {net: {subnet: 198.51.100.144/29}}
hosts:
  a: {links: [{segment: net, address: $A}]}
  b: {links: [{segment: net, address: $B}]}
EOF
"$LABO" up -q "$T/lab.yaml" > /dev/null

cpu_of() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

udp() { # udp file|pipe COUNT GAP_US: "sent received captured dropped secs"
  local mode=$1
  shift
  "$LABO" exec -l "$LAB" b -- "$NP" sink 9 3 > "$T/sink.json" &
  local sink=$! cap t0 t1
  if [ "$mode" = file ]; then
    "$LABO" capture -l "$LAB" b -w "$T/u.pcap" udp 2> "$T/cap.err" &
  else
    "$LABO" capture -l "$LAB" b udp 2> "$T/cap.err" > >(cat > /dev/null) &
  fi
  cap=$!
  sleep 0.5
  t0=$(date +%s.%N)
  "$LABO" exec -l "$LAB" a -- "$NP" send "$B" 9 "$1" "$2" > /dev/null
  t1=$(date +%s.%N)
  wait "$sink"
  kill -INT "$cap"; wait "$cap" || true
  # "labo: N packets captured on b@net, M dropped by the kernel (stopped)"
  echo "$1 $(jq .received "$T/sink.json") $(grep -o '[0-9]* packets captured' "$T/cap.err" | cut -d' ' -f1)" \
    "$(grep -o '[0-9]* dropped' "$T/cap.err" | cut -d' ' -f1) $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
}

tcp() { # tcp none|headers|full: "bit/s capture-cpu%"
  local cap="" c0=0 t0 t1
  "$LABO" exec -l "$LAB" b -- "$NP" tcp-sink 5001 > "$T/tsink.json" &
  local sink=$!
  case $1 in
  headers) "$LABO" capture -q -l "$LAB" b -s 128 tcp 2>/dev/null | cat > /dev/null & ;;
  full) "$LABO" capture -q -l "$LAB" b tcp 2>/dev/null | cat > /dev/null & ;;
  esac
  sleep 0.5
  if [ "$1" != none ]; then
    for _ in $(seq 50); do
      cap=$(pgrep -f "capture -q -l $LAB b" || true)
      [ -z "$cap" ] || break
      sleep 0.1
    done
    cap=${cap%%$'\n'*}
  fi
  [ -z "$cap" ] || c0=$(cpu_of "$cap")
  t0=$(date +%s.%N)
  "$LABO" exec -l "$LAB" a -- "$NP" tcp-send "$B" 5001 5 > /dev/null
  wait "$sink"
  t1=$(date +%s.%N)
  local pct=0
  if [ -n "$cap" ]; then
    pct=$(awk -v a="$c0" -v b="$(cpu_of "$cap")" -v s="$t0" -v e="$t1" -v hz="$(getconf CLK_TCK)" \
      'BEGIN { printf "%.0f", 100 * (b - a) / hz / (e - s) }')
    kill -INT "$cap"
    wait 2>/dev/null || true
  fi
  echo "$(jq .bps_after_1s "$T/tsink.json") $pct"
}

for r in $(seq "$R"); do
  for m in file pipe; do
    for g in 0 20; do
      x=$(udp "$m" 100000 "$g"); echo "$x" >> "$T/udp.$m.$g"
      echo "round $r udp $m gap ${g}us: sent received captured dropped secs = $x" >&2
    done
  done
  for m in none headers full; do
    x=$(tcp "$m"); echo "$x" >> "$T/tcp.$m"
    echo "round $r tcp $m: bit/s cpu% = $x" >&2
  done
done

col() { awk -v c="$1" '{ print $c }' "$2" | median; }
{
  echo "## labo capture (issue 16)"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) CPUs, kernel $(uname -r), libpcap $(pkg-config --modversion libpcap)," \
       "median of $R rounds; a -> b on one segment, the capture on b's interface."
  echo
  echo "| UDP, 100000 datagrams | sent at | received by b | captured | dropped by the kernel |"
  echo "|---|---|---|---|---|"
  for m in file pipe; do
    for g in 0 20; do
      f=$T/udp.$m.$g
      rate=$(awk -v n=100000 -v s="$(col 5 "$f")" 'BEGIN { printf "%.0f", n / s / 1000 }')
      label="-w FILE (blocks)"
      [ "$m" = pipe ] && label="down a pipe (immediate)"
      echo "| $label, gap ${g} µs | ${rate} kpps | $(col 2 "$f") | $(col 3 "$f") | $(col 4 "$f") |"
    done
  done
  echo
  echo "| TCP a -> b, 5 s | goodput after 1 s | capture's CPU |"
  echo "|---|---|---|"
  for m in none headers full; do
    label=$m
    case $m in none) label="no capture" ;; headers) label="capture -s 128, down a pipe" ;;
      full) label="capture whole frames, down a pipe" ;; esac
    echo "| $label | $(awk -v b="$(col 1 "$T/tcp.$m")" 'BEGIN { printf "%.2f Gbit/s", b / 1e9 }') | $(col 2 "$T/tcp.$m")% |"
  done
} > "$OUT/capture.md"
cat "$OUT/capture.md"
