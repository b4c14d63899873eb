#!/bin/bash
# Benchmark of clock skew per node (issue 16): on the seed lab under a unique
# name, under each runtime, the skew `labo clock namenode2 OFFSET` asks
# against the skew measured inside the node by `date +%s.%N` (coreutils',
# through `labo exec`) and by the node's JVM (System.currentTimeMillis,
# tests/integration/clock/Clock.java compiled here), and the time from `labo clock` to the skew
# being seen by a JVM that runs in the node (reading every 20 ms). Also
# `labo up` warm with libfaketime (this labo) and, given BEFORE=path/to/labo
# built before it, without. Writes build/bench/clock.md.
# Usage: bench/clock.sh [ROUNDS]   (as root; BEFORE=... optional)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/clock.sh: run as root" >&2; exit 1; }
R=${1:-${BENCH_ROUNDS:-3}}
LABO=${LABO:-./labo}
BEFORE=${BEFORE:-}
[ -x "$LABO" ] || make -s labo
OUT=build/bench; mkdir -p "$OUT"
T=$(mktemp -d); LAB=bk$$
CDIR=/tmp/labo-bench-clock-$$
cleanup() { "$LABO" down -q "$LAB" >/dev/null 2>&1 || true; rm -rf "$T" "$CDIR"; }
trap cleanup EXIT
sed -e "s/^lab: seed\$/lab: $LAB/" -e '/root: 198.51.100.1/d' netns/seed.yaml >"$T/seed.yaml"
javac --release 17 -d "$T" tests/integration/clock/Clock.java

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
mono_off() { python3 -c 'import time; print(repr(time.time() - time.monotonic()))'; }
date_skew() { # the node's `date` less the machine's (the mean of before and after)
  local a b n; a=$EPOCHREALTIME; n=$("$LABO" exec namenode2 -- date +%s.%N); b=$EPOCHREALTIME
  awk -v a="$a" -v b="$b" -v n="$n" 'BEGIN { printf "%.3f\n", n - (a + b) / 2 }'
}
jvm_skew() { # currentTimeMillis less the machine's wall clock at the JVM's nanoTime
  local n; n=$("$LABO" exec namenode2 -- java -cp "$CDIR" Clock 1)
  awk -v n="$n" -v off="$(mono_off)" 'BEGIN { split(n, f, " "); printf "%.3f\n", f[1] / 1000 - (f[2] / 1e9 + off) }'
}
up_times() { # up_times LABO RUNTIME: R warm ups (one first to warm the image), median s
  local bin=$1 rt=$2 t0
  "$bin" up -q --runtime "$rt" "$T/seed.yaml" >/dev/null && "$bin" down -q "$LAB"
  for _ in $(seq "$R"); do
    t0=$EPOCHREALTIME; "$bin" up -q --runtime "$rt" "$T/seed.yaml" >/dev/null
    awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f\n", b - a }'
    "$bin" down -q "$LAB"
  done | median
}

{
echo "## Clock skew per node (issue 16)"
echo
echo "\`make bench-clock\` (bench/clock.sh $R), labo $(git rev-parse --short HEAD), $(date -u '+%Y-%m-%d %H:%M UTC'),"
echo "$(nproc) cores, kernel $(uname -r), libfaketime $(dpkg-query -W -f '${Version}' libfaketime)."
echo "The seed lab under a unique name; namenode2 skewed, measured inside it."
for rt in docker process; do
  echo
  echo "### $rt runtime"
  echo
  up_new=$(up_times "$LABO" "$rt")
  if [ -n "$BEFORE" ]; then
    up_old=$(up_times "$BEFORE" "$rt")
    echo "\`labo up\` warm, median of $R: $up_new s with libfaketime in every ZooKeeper node, $up_old s without (labo before it)."
  else
    echo "\`labo up\` warm, median of $R: $up_new s."
  fi
  "$LABO" up -q --runtime "$rt" "$T/seed.yaml" >/dev/null
  "$LABO" exec namenode2 -- sh -c "mkdir -p $CDIR && cat > $CDIR/Clock.class" <"$T/Clock.class"
  echo
  echo "| asked | by \`date\`, s (median of 3) | by the JVM, s |"
  echo "|---|---|---|"
  for off in +30s -5s +0.25s +1h 0; do
    "$LABO" clock namenode2 "$off" >/dev/null
    d=$(for _ in 1 2 3; do date_skew; done | median)
    j=$(jvm_skew)
    echo "| $off | $d | $j |"
  done
  "$LABO" clock namenode2 reset >/dev/null
  # from `labo clock` to a running JVM seeing it: +30s then reset, R times each
  lat=()
  for i in $(seq "$R"); do
    for off in +30s reset; do
      "$LABO" exec namenode2 -- java -cp "$CDIR" Clock 150 20 >"$T/lat" &
      p=$!
      for _ in $(seq 50); do [ -s "$T/lat" ] && break; sleep 0.1; done
      sleep 0.3
      t0=$EPOCHREALTIME
      "$LABO" clock namenode2 $off >/dev/null
      wait "$p"
      want=$([ "$off" = reset ] && echo 0 || echo 30)
      lat+=("$(awk -v t0="$t0" -v off="$(mono_off)" -v w="$want" '{ s = $1 / 1000 - ($2 / 1e9 + off); t = $2 / 1e9 + off }
        t > t0 && (s - w) < 1 && (s - w) > -1 { printf "%.3f\n", t - t0; exit }' "$T/lat")")
    done
  done
  echo
  echo "From \`labo clock\` to a running JVM seeing the skew (+30s and back, $((2 * R)) changes): median $(printf '%s\n' "${lat[@]}" | median) s, min $(printf '%s\n' "${lat[@]}" | sort -n | head -n 1) s, max $(printf '%s\n' "${lat[@]}" | sort -n | tail -n 1) s."
  "$LABO" down -q "$LAB"
  [ "$rt" != process ] || rm -rf "$CDIR"
done
} | tee "$OUT/clock.md"
