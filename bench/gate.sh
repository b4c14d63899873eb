#!/bin/bash
# What the gate on a root link costs the traffic that does not cross it
# (issue 9): every frame bridged in a lab's switch namespace walks the gate's
# chain, whose rules all start by matching the root link's port. Two labs,
# side by side in one run, rounds interleaved so that the machine's drift
# falls on both alike:
#   gated    two hosts on a segment with a root link (so: a gate)
#   plain    the same without a root link (no gate)
# For each: TCP throughput host to host (5 s, netprobe tcp-send/tcp-sink) and
# the round trip of 2000 UDP probes 1 ms apart (median, p99). Also the time
# `up` spends making the gate. Writes build/bench/gate.md.
# Usage: bench/gate.sh [ROUNDS] (root). BENCH_NET=203.0.113 uses another /24.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/gate.sh: run as root" >&2; exit 1; }
R=${1:-${BENCH_ROUNDS:-3}}
NET=${BENCH_NET:-198.51.100}
LABO=${LABO:-./labo}
[ -x "$LABO" ] || make -s labo
make -s build/tools/netprobe
NP=$PWD/build/tools/netprobe
OUT=build/bench; mkdir -p "$OUT"
T=$(mktemp -d)
G=bg$$ P=bp$$
cleanup() { pkill -f "$NP" 2>/dev/null || true; for l in $G $P; do "$LABO" down -q "$l" >/dev/null 2>&1 || true; done; rm -rf "$T"; }
trap cleanup EXIT
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

lab() { # lab NAME BASE ROOT(yes|no)
  echo "lab: $1"
  echo "segments:"
  echo "  net:"
  echo "    subnet: $NET.$2/28"
  [ "$3" = yes ] && echo "    root: $NET.$(($2 + 1))"
  echo "hosts:"
  echo "  h1: {links: [{segment: net, address: $NET.$(($2 + 2))}]}"
  echo "  h2: {links: [{segment: net, address: $NET.$(($2 + 3))}]}"
}
lab "$G" 96 yes > "$T/g.yaml"
lab "$P" 112 no > "$T/p.yaml"
GATE_MS=$("$LABO" up "$T/g.yaml" | awk '$1 == "gate" { print $2 }')
"$LABO" up -q "$T/p.yaml" > /dev/null
declare -A H2=([$G]=$NET.99 [$P]=$NET.115)

tput() { # tput LAB: Mbit/s h1 -> h2
  "$LABO" exec -l "$1" h2 -- "$NP" tcp-sink 5001 > "$T/sink.json" &
  local s=$!
  sleep 0.3
  "$LABO" exec -l "$1" h1 -- "$NP" tcp-send "${H2[$1]}" 5001 5 > /dev/null
  wait "$s"
  jq -r '.bps / 1e6' "$T/sink.json"
}
rtt() { # rtt LAB: "median_us p99_us"
  "$LABO" exec -l "$1" h2 -- "$NP" echo 7 &
  local e=$!
  sleep 0.3
  "$LABO" exec -l "$1" h1 -- "$NP" rtt "${H2[$1]}" 7 2000 1 | jq -r '"\(.median_us) \(.p99_us)"'
  kill "$e" 2>/dev/null || true
  pkill -f "$NP echo 7" 2>/dev/null || true
  wait "$e" 2>/dev/null || true
}
for r in $(seq 1 "$R"); do
  # alternate which goes first, so that neither always follows the other
  order="$G $P"
  [ $((r % 2)) = 0 ] && order="$P $G"
  for l in $order; do
    tput "$l" >> "$T/$l.tput"
    rtt "$l" >> "$T/$l.rtt"
  done
done
paste "$T/$G.tput" "$T/$P.tput" | awk '{ printf "round %d: gated %.0f, plain %.0f Mbit/s (%.2f)\n", NR, $1, $2, $1 / $2 }' > "$T/rounds"
tg=$(median < "$T/$G.tput"); tp=$(median < "$T/$P.tput")
mg=$(awk '{ print $1 }' "$T/$G.rtt" | median); mp=$(awk '{ print $1 }' "$T/$P.rtt" | median)
pg=$(awk '{ print $2 }' "$T/$G.rtt" | median); pp=$(awk '{ print $2 }' "$T/$P.rtt" | median)
{
  echo "## The gate on a root link: its cost to host-to-host traffic"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, kernel $(uname -r), $R rounds interleaved (medians)."
  echo "\`bench/gate.sh $R\`; \`up\` made the gate in $GATE_MS ms."
  echo
  echo "| | gated (root link) | plain (no root link) | gated / plain |"
  echo "|---|---|---|---|"
  printf '| TCP h1 -> h2, Mbit/s | %.0f | %.0f | %.2f |\n' "$tg" "$tp" "$(awk -v a="$tg" -v b="$tp" 'BEGIN { print a / b }')"
  printf '| UDP round trip, median us | %s | %s | %.2f |\n' "$mg" "$mp" "$(awk -v a="$mg" -v b="$mp" 'BEGIN { print a / b }')"
  printf '| UDP round trip, p99 us | %s | %s | %.2f |\n' "$pg" "$pp" "$(awk -v a="$pg" -v b="$pp" 'BEGIN { print a / b }')"
  echo
  echo "Median of the rounds' TCP ratios: $(awk '{ print $1 / $2 }' <(paste "$T/$G.tput" "$T/$P.tput") | median)."
  echo "Each round's TCP figures (a wide spread is the machine's noise):"
  echo
  sed 's/^/    /' "$T/rounds"
} | tee "$OUT/gate.md"
