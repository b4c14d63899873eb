#!/bin/bash
# etcd3 beside zk3 (issue 13), in one run, Docker runtime: each lab's up
# cold (its image built: the cached tar moved aside for that up, then put
# back) and warm (cached), and a leader kill to serving again (the time from
# `labo kill` to another member leading with every member serving, as status
# sees it, polled every 50 ms). Both labs run under unique names without
# their root addresses. Writes build/bench/kinds.md.
#   bench/kinds.sh [ROUNDS]    (as root)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/kinds.sh: run as root" >&2; exit 1; }
R=${1:-${BENCH_ROUNDS:-3}}
LABO=${LABO:-./labo}
OUT=build/bench; mkdir -p "$OUT"
T=$(mktemp -d)
LABS=()
cleanup() { for l in "${LABS[@]}"; do "$LABO" down -q "$l" >/dev/null 2>&1 || true; done
            for f in "$T"/*.aside; do [ -e "$f" ] && mv "$f" "$(cat "$f.path")"; done; rm -rf "$T"; }
trap cleanup EXIT

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }
# up FILE: seconds, from up's own total
up() { "$LABO" up "$1" | sed -nE 's/^labo: lab .* is up in ([0-9.]+) ms.*/\1/p' | awk '{ printf "%.3f\n", $1 / 1000 }'; }
# failover LAB: seconds from killing the leader to another leading, all serving
failover() {
  local lab=$1 leader t0 st
  leader=$("$LABO" status --json "$lab" | jq -r '.ensemble.leader')
  t0=$(now)
  "$LABO" kill -l "$lab" "$leader" >/dev/null
  while :; do
    st=$("$LABO" status --json "$lab" 2>/dev/null || true)
    if printf '%s' "$st" | jq -e --arg l "$leader" \
         '.ensemble.quorum and .ensemble.leader != $l and .ensemble.leader != null' >/dev/null 2>&1; then
      break
    fi
    sleep 0.05
  done
  awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f\n", b - a }'
}

: > "$T/rows"
for base in zk3 etcd3; do
  lab=b${base:0:2}$$
  LABS+=("$lab")
  # a restart no sooner than 10 s after a start: the killed leader stays
  # down, so that the figure is the others' election, not its quick return
  sed -e "s/^lab: .*/lab: $lab/" -e '/^    root: /d' "netns/$base.yaml" > "$T/$base.yaml"
  printf 'supervise:\n  min_gap: 10s\n' >> "$T/$base.yaml"
  # cold: the image's cached tar aside for this one up
  ref=$("$LABO" up -n "$T/$base.yaml" | sed -nE 's/^image labo\/([a-z]+):([0-9a-f]+) .*/\1-\2/p' | head -1)
  tar=/var/cache/labo/images/$ref.tar
  if [ -f "$tar" ]; then
    mv "$tar" "$T/$ref.aside"; echo "$tar" > "$T/$ref.aside.path"
  fi
  cold=$(up "$T/$base.yaml"); "$LABO" down -q "$lab"
  if [ -f "$T/$ref.aside" ]; then mv -f "$T/$ref.aside" "$tar"; rm -f "$T/$ref.aside.path"; fi
  warm=(); fo=()
  for i in $(seq 1 "$R"); do
    warm+=("$(up "$T/$base.yaml")")
    sleep 1
    fo+=("$(failover "$lab")")
    "$LABO" down -q "$lab"
    echo "  $base round $i: up ${warm[-1]} s, leader kill to serving ${fo[-1]} s"
  done
  echo "$base $cold $(printf '%s\n' "${warm[@]}" | median) $(printf '%s\n' "${warm[@]}" | sort -n | head -1) $(printf '%s\n' "${warm[@]}" | sort -n | tail -1) $(printf '%s\n' "${fo[@]}" | median) $(printf '%s\n' "${fo[@]}" | sort -n | head -1) $(printf '%s\n' "${fo[@]}" | sort -n | tail -1)" >> "$T/rows"
done
{
  echo "# bench/kinds.sh: etcd3 beside zk3, Docker runtime ($R rounds)"
  echo
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GB, $(uname -r)"
  echo
  echo "| lab | up cold, s | up warm, s (median, min-max) | leader kill to serving, s (median, min-max) |"
  echo "|---|---|---|---|"
  while read -r b c wm wn wx fm fn fx; do
    echo "| $b | $c | $wm ($wn-$wx) | $fm ($fn-$fx) |"
  done < "$T/rows"
} | tee "$OUT/kinds.md"
