#!/bin/bash
# The linearizability checker (issue 17), measured on histories of a
# linearizable CAS register made by build/bench/linbench (bench/linbench.c):
#   1. throughput: 2 and 10 clients, 1k, 10k and 100k operations, on one
#      key and on 8, 1% of them never answered (INFO); median of 3 seeds
#   2. the same with one stale read planted (INVALID): time with the witness
#   3. where it gives up: one key, 1,000 operations, more and more clients,
#      until UNKNOWN under the limits (SECONDS, MIB)
#   4. if ETCD_LOGS names a directory of Jepsen's etcd logs (Porcupine's
#      test_data/jepsen, from ahorn/linearizability-checker): each checked,
#      the total and the slowest
# Writes build/bench/lin.md. Usage: bench/lin.sh [SECONDS] [MIB] (no root)
set -euo pipefail
cd "$(dirname "$0")/.."
S=${1:-10}
M=${2:-1024}
make -s build/bench/linbench
LB=build/bench/linbench
OUT=build/bench; mkdir -p "$OUT"
MD=$OUT/lin.md
med() { sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

{
echo "## linbench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), limits $S s and $M MiB"
echo
echo "### 1. Valid histories, 1% INFO (median ops/s of seeds 1-3; configs, peak of seed 1)"
echo
echo "| clients | ops | keys | verdict | ops/s checked | seconds | configs | peak MiB |"
echo "|---|---|---|---|---|---|---|---|"
for c in 2 10; do
  for n in 1000 10000 100000; do
    for k in 1 8; do
      rows=$(for s in 1 2 3; do $LB -c $c -n $n -k $k -i 0.01 -s $s -t "$S" -m "$M"; done)
      first=$(echo "$rows" | head -1)
      ops=$(echo "$rows" | cut -f10 | med)
      secs=$(echo "$rows" | cut -f9 | med)
      echo "$first" | awk -F'\t' -v o="$ops" -v t="$secs" \
        '{printf "| %s | %s | %s | %s | %.0f | %s | %s | %s |\n", $1, $2, $3, $5, o, t, $7, $8}'
    done
  done
done
echo
echo "### 2. One stale read planted (INVALID), 10 clients, 1% INFO: the search and the witness"
echo
echo "| ops | keys | verdict | seconds (witness included) | configs | witness ops |"
echo "|---|---|---|---|---|---|"
for n in 1000 10000 100000; do
  for k in 1 8; do
    $LB -c 10 -n $n -k $k -i 0.01 --stale -t "$S" -m "$M" | awk -F'\t' \
      '{printf "| %s | %s | %s | %s | %s | %s |\n", $2, $3, $5, $9, $7, $11}'
  done
done
echo
echo "### 3. Where it gives up: one key, 1,000 ops, 1% INFO, more clients"
echo
echo "| clients | verdict | seconds | configs | peak MiB | why |"
echo "|---|---|---|---|---|---|"
for c in 10 15 20 25 30 35 40 50 60; do
  $LB -c $c -n 1000 -k 1 -i 0.01 -t "$S" -m "$M" | awk -F'\t' \
    '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $5, $9, $7, $8, ($13 == "" ? "" : $13)}'
done
echo
echo "### 3b. 10 clients, one key, longer histories, 10% INFO"
echo
echo "| ops | verdict | seconds | configs | peak MiB | why |"
echo "|---|---|---|---|---|---|"
for n in 10000 100000 300000; do
  $LB -c 10 -n $n -k 1 -i 0.1 -t "$S" -m "$M" | awk -F'\t' \
    '{printf "| %s | %s | %s | %s | %s | %s |\n", $2, $5, $9, $7, $8, ($13 == "" ? "" : $13)}'
done
if [ -n "${ETCD_LOGS:-}" ]; then
  echo
  echo "### 4. Jepsen's etcd logs ($ETCD_LOGS)"
  echo
  $LB --jepsen -t "$S" -m "$M" "$ETCD_LOGS"/etcd_*.log >"$OUT/lin-etcd.tsv"
  awk -F'\t' 'NR > 1 { n++; v[$3]++; t += $6; if ($6 > m) { m = $6; f = $1 } }
    END { printf "%d histories: %d valid, %d invalid, %d unknown; %.3f s in all, the slowest %s in %.4f s\n",
          n, v["valid"], v["invalid"], v["unknown"], t, f, m }' "$OUT/lin-etcd.tsv"
  echo
  echo "| log | ops | verdict | seconds | configs | witness |"
  echo "|---|---|---|---|---|---|"
  grep -E 'etcd_0(07|40|57|85|97|99)\.log' "$OUT/lin-etcd.tsv" | awk -F'\t' \
    '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $6, $4, $7}'
fi
} | tee "$MD"
