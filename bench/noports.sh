#!/bin/bash
# What reaching nodes through their own address costs `up` (issue 10): a
# 3-node Docker ZooKeeper lab with its client ports published (up probes
# them on the hosts' addresses) against the same lab without ports (up
# probes each node inside its container's network namespace, asking its
# daemon for the container's pid). Rounds interleaved, up then down, so
# the machine's drift falls on both alike. Also the time the shell
# completion's helper (`labo __names targets`) takes with a lab up: a TAB
# must answer at once. Writes build/bench/noports.md.
# Usage: bench/noports.sh [ROUNDS] (root). BENCH_NET=203.0.113 uses another /24.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/noports.sh: run as root" >&2; exit 1; }
R=${1:-${BENCH_ROUNDS:-5}}
NET=${BENCH_NET:-203.0.113}
LABO=${LABO:-./labo}
[ -x "$LABO" ] || make -s labo
OUT=build/bench; mkdir -p "$OUT"
T=$(mktemp -d)
P=bnp$$ N=bnn$$
cleanup() { for l in $P $N; do "$LABO" down -q "$l" >/dev/null 2>&1 || true; done; rm -rf "$T"; }
trap cleanup EXIT
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

lab() { # lab NAME BASE PORTS(yes|no)
  echo "lab: $1"
  echo "segments: {net: {subnet: $NET.$2/28}}"
  echo "hosts:"
  for i in 1 2 3; do
    echo "  h$i: {docker: $([ $i = 1 ] && echo manager || echo worker), links: [{segment: net, address: $NET.$(($2 + i + 1))}]}"
  done
  echo "overlay: {name: weave, subnet: 10.0.0.0/24}"
  echo "nodes:"
  for i in 1 2 3; do
    echo -n "  n$i: {host: h$i, address: 10.0.0.$i, service: zookeeper"
    [ "$3" = yes ] && echo -n ", ports: [32181:2181]"
    echo "}"
  done
}
lab "$P" 32 yes > "$T/p.yaml"
lab "$N" 48 no > "$T/n.yaml"

now() { date +%s.%N; }
one() { # one FILE LAB: seconds of up (quorum included)
  local t0 t1
  t0=$(now)
  "$LABO" up -q "$1" >/dev/null
  t1=$(now)
  "$LABO" down -q "$2" >/dev/null
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}
one "$T/p.yaml" "$P" >/dev/null # warm-up: the image in the cache
: >"$T/p.s"; : >"$T/n.s"
for r in $(seq "$R"); do
  one "$T/p.yaml" "$P" >>"$T/p.s"
  one "$T/n.yaml" "$N" >>"$T/n.s"
done
paste "$T/n.s" "$T/p.s" | awk '{ printf "%.3f\n", $1 / $2 }' >"$T/ratio"

"$LABO" up -q "$T/n.yaml" >/dev/null
: >"$T/c.s"
for i in $(seq 50); do
  t0=$(now); "$LABO" __names targets "$N" >/dev/null; t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", (b - a) * 1e3 }' >>"$T/c.s"
done
"$LABO" down -q "$N" >/dev/null

{
  echo "# up of a 3-node Docker lab, ports published vs none ($R rounds, $(date -u +%FT%TZ))"
  echo
  echo "| lab | up, median s | min | max |"
  echo "|---|---|---|---|"
  for k in p n; do
    f=$T/$k.s
    echo "| $([ $k = p ] && echo "ports published" || echo "no ports") | $(median <"$f") | $(sort -n "$f" | head -1) | $(sort -n "$f" | tail -1) |"
  done
  echo
  echo "ratio no ports / ports, round by round: median $(median <"$T/ratio") (min $(sort -n "$T/ratio" | head -1), max $(sort -n "$T/ratio" | tail -1))"
  echo
  echo "\`labo __names targets LAB\` (completion), 50 runs: median $(median <"$T/c.s") ms, max $(sort -n "$T/c.s" | tail -1) ms"
} | tee "$OUT/noports.md"
