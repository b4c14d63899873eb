#!/bin/bash
# The accuracy of every link setting of issue 16, over 10,000 datagrams
# each, measured by netprobe (not by labo) on a network-only lab: h1 -> h2,
# 100 us apart, crossing h1's link one way (the emulator: this kernel has
# no sch_netem). For each setting and value, ROUNDS rounds: what was asked,
# what was measured (median of the rounds, and min-max), and the gap.
#   corrupt    the datagrams refused for a corrupt IP header or UDP checksum
#              (h2's kernel, and the switch namespace's, where bridged IPv4
#              is checked), of those sent
#   duplicate  the datagrams that came twice, of those that came
#   reorder    (20 ms delay) those that came before one sent earlier
#   loss P,C   lost, and the mean run of lost ones (1/((1-P)(1-C)))
#   gemodel    lost (the chain's mean), and the mean run (1/r)
# Then labo link --verify on three settings (its time and verdict), and a
# seed's replay (the same datagrams lost twice). Writes build/bench/impair.md.
# Usage: bench/impair.sh [ROUNDS] (root; holds no lock: run it alone)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/impair.sh: run as root" >&2; exit 1; }
R=${1:-${BENCH_ROUNDS:-3}}
LABO=${LABO:-./labo}
[ -x "$LABO" ] || make -s labo
make -s build/tools/netprobe
NP=$PWD/build/tools/netprobe
OUT=build/bench; mkdir -p "$OUT"
T=$(mktemp -d)
LAB=bi$$
N=10000
cleanup() { pkill -f "$NP" 2>/dev/null || true; "$LABO" down -q "$LAB" >/dev/null 2>&1 || true; rm -rf "$T"; }
trap cleanup EXIT

cat >"$T/lab.yaml" <<EOF
lab: $LAB
segments: {net: {subnet: 198.51.100.128/28}}
hosts:
  h1: {links: [{segment: net, address: 198.51.100.130}]}
  h2: {links: [{segment: net, address: 198.51.100.131}]}
  h3: {links: [{segment: net, address: 198.51.100.132}]}
EOF
"$LABO" up -q "$T/lab.yaml" >/dev/null
M1=$("$LABO" exec -l "$LAB" h1 -- cat /sys/class/net/eth0/address)
M2=$("$LABO" exec -l "$LAB" h2 -- cat /sys/class/net/eth0/address)
ip -n "labo.$LAB.h1" neigh replace 198.51.100.131 lladdr "$M2" dev eth0 nud permanent
ip -n "labo.$LAB.h2" neigh replace 198.51.100.130 lladdr "$M1" dev eth0 nud permanent

sw_refused() {
	ip netns exec "labo.$LAB" awk '/^Ip:/ { if (!n) { for (i = 1; i <= NF; i++) if ($i == "InHdrErrors") k = i; n = 1 } else print $k }' /proc/net/snmp
}
# one round: N datagrams h1 -> h2; the sink's JSON, "refused" with the switch's
send_round() {
	local sw0 sink
	sw0=$(sw_refused)
	"$LABO" exec -l "$LAB" h2 -- "$NP" sink 9 2 >"$T/sink.json" &
	sink=$!
	sleep 0.3
	"$LABO" exec -l "$LAB" h1 -- "$NP" send 198.51.100.131 9 "$N" 100 >/dev/null
	wait "$sink"
	jq -c --argjson sw "$(($(sw_refused) - sw0))" '.refused += $sw' "$T/sink.json"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
range() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }

ROWS=()
# measure LABEL ASKED JQ-EXPR UNIT SETTINGS...: ROUNDS rounds of the
# expression over the sink's JSON
measure() {
	local label=$1 asked=$2 expr=$3 unit=$4
	shift 4
	"$LABO" link -l "$LAB" h1 "$@" >/dev/null
	: >"$T/v"
	for _ in $(seq 1 "$R"); do
		send_round | jq -r "$expr" >>"$T/v"
	done
	local med rng
	med=$(median <"$T/v")
	rng=$(range <"$T/v")
	ROWS+=("| $label | $asked | $(printf '%.3f' "$med") | $rng | $(awk -v m="$med" -v a="$asked" 'BEGIN { printf "%+.3f", m - a }') | $unit |")
	echo "$label: asked $asked, measured $med ($rng) $unit" >&2
}
pct_of_sent=".refused * 100 / $N"
for p in 1 5 20; do measure "corrupt $p%" "$p" "$pct_of_sent" "% of sent" --corrupt "$p%"; done
"$LABO" link -l "$LAB" h1 --corrupt 0 >/dev/null
for p in 1 5 20; do measure "duplicate $p%" "$p" ".duplicates * 100 / .distinct" "% of received" --duplicate "$p%"; done
"$LABO" link -l "$LAB" h1 --duplicate 0 >/dev/null
for p in 10 25 50; do measure "reorder $p% (delay 20ms)" "$p" ".reordered * 100 / .distinct" "% of received" --delay 20ms --reorder "$p%"; done
"$LABO" link -l "$LAB" h1 --reorder 0 --delay 0 >/dev/null
measure "loss 10%" 10 "($N - .distinct) * 100 / $N" "% lost" --loss 10%
measure "loss 10%,50%" 10 "($N - .distinct) * 100 / $N" "% lost" --loss 10%,50%
measure "loss 10%,50%: mean run" 2.222 ".missing_before_last / .missing_runs" "datagrams" --loss 10%,50%
measure "loss 10%: mean run (independent)" 1.111 ".missing_before_last / .missing_runs" "datagrams" --loss 10%
measure "gemodel 1%,10%" 9.091 "($N - .distinct) * 100 / $N" "% lost" --loss 0 --gemodel 1%,10%
measure "gemodel 1%,10%: mean run" 10 ".missing_before_last / .missing_runs" "datagrams" --gemodel 1%,10%
measure "gemodel 5%,20%,70%,1%" 14.8 "($N - .distinct) * 100 / $N" "% lost" --gemodel 5%,20%,70%,1%
"$LABO" link -l "$LAB" h1 --gemodel 0 >/dev/null

# the seed: the same datagrams lost twice
"$LABO" link -l "$LAB" h1 --loss 20% --seed 7 >/dev/null
A=$(send_round | jq -c '[.distinct, .missing_runs, .missing_before_last]')
"$LABO" link -l "$LAB" h1 --seed 7 >/dev/null
B=$(send_round | jq -c '[.distinct, .missing_runs, .missing_before_last]')
"$LABO" link -l "$LAB" h1 --loss 0 --seed 0 >/dev/null

# --verify: its time and verdict on three settings
VROWS=()
verify() {
	local label=$1
	shift
	"$LABO" link -l "$LAB" h1 "$@" >/dev/null
	local t0 t1 j
	t0=$EPOCHREALTIME
	j=$("$LABO" link -l "$LAB" h1 --verify --json || true)
	t1=$EPOCHREALTIME
	VROWS+=("| $label | $(jq -r '.probes' <<<"$j") | $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", b - a }') | $(jq -r '[.checks[] | "\(.setting) \(.measured * 1000 | round / 1000)"] | join("; ")' <<<"$j") | $(jq -r 'if .within then "within" else "OFF" end' <<<"$j") |")
}
verify "delay 20ms, jitter 5ms, loss 2%" --delay 20ms --jitter 5ms --loss 2%
verify "delay 10ms, loss 5%,25%, reorder 10%, duplicate 2%" --jitter 0 --delay 10ms --loss 5%,25% --reorder 10% --duplicate 2%
verify "rate 20mbit, corrupt 1%" --delay 0 --loss 0 --reorder 0 --duplicate 0 --rate 20mbit --corrupt 1%

{
	echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), kernel $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ); $R rounds of $N datagrams h1 -> h2, 100 us apart, through labo's emulator."
	echo
	echo "| setting | asked | measured (median) | rounds' range | gap | unit |"
	echo "|---|---|---|---|---|---|"
	printf '%s\n' "${ROWS[@]}"
	echo
	echo "Seed 7, loss 20%, twice: $A then $B ([received, runs of lost, lost before the last received])."
	echo
	echo "| labo link --verify on | probes each way | time | measured | verdict |"
	echo "|---|---|---|---|---|"
	printf '%s\n' "${VROWS[@]}"
} >"$OUT/impair.md"
cat "$OUT/impair.md"
