#!/bin/bash
# labo deploy on a stand-in Swarm (issue 15): a lab of labo's own plays two
# real servers (srv-a, the manager; srv-c, a worker) with no node; the seed
# is deployed on them (namenode1 on srv-a, namenode2 on srv-c), then its
# leader is killed ROUNDS times. Measured from the shell, as a user waits:
#   deploy    until `labo deploy` returns (every task running healthy)
#   leader    from then until `labo status` names a leader
#   task      from a kill until Swarm runs the leader's new task
#   serving   from a kill until both nodes serve again (leader and follower)
#   down      `labo down` of the deployed lab
# Prints each figure's median, min and max, and writes build/bench/deploy.md.
#   bench/deploy.sh [ROUNDS]     (as root; the image is built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/deploy.sh: run as root" >&2; exit 1; }
LABO=${LABO:-$PWD/labo}
R=${1:-${BENCH_ROUNDS:-4}}
OUT=build/bench; mkdir -p "$OUT"
T=$(mktemp -d); SW=bs$$; DEP=bd$$
cleanup() {
  "$LABO" down -q "$DEP" >/dev/null 2>&1 || true
  "$LABO" down -q "$SW" >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT
cat > "$T/swarm.yaml" <<EOF2
lab: $SW
segments:
  net:
    subnet: 198.51.100.208/28
    root: {address: 198.51.100.209, expose: [32181/tcp]}
hosts:
  srv-a:
    docker: {role: manager}
    links: [{segment: net, address: 198.51.100.210}]
  srv-c:
    docker: {role: worker}
    links: [{segment: net, address: 198.51.100.212}]
EOF2
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f\n", b - a }'; }
stats() { sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f s (min %.2f, max %.2f, n=%d)", m, a[1], a[NR], NR }'; }
leader() { "$LABO" status "$DEP" --json 2>/dev/null | jq -er .leader 2>/dev/null; }
serving() {
  "$LABO" status "$DEP" --json 2>/dev/null \
    | jq -e '.leader and (.nodes | all(.mode == "leader" or .mode == "follower"))' >/dev/null 2>&1
}

"$LABO" export netns/seed.yaml --images "$T/img" -o /dev/null 2>/dev/null
"$LABO" up -q "$T/swarm.yaml"
"$LABO" exec -l "$SW" srv-c -- sh -c "docker load -i $T/img/zookeeper-*.tar" >/dev/null
SOCK=$("$LABO" status -l "$SW" --json | jq -r '.hosts[] | select(.name == "srv-a") | .docker.socket')
DK() { env -u DOCKER_HOST docker -H "unix://$SOCK" "$@"; }

t0=$EPOCHREALTIME
"$LABO" deploy netns/seed.yaml --name "$DEP" --on "unix://$SOCK" \
  --place mida-clm1=srv-a --place mida-clm2=srv-c >/dev/null 2>&1
DEPLOY=$(since "$t0")
t0=$EPOCHREALTIME
until leader >/dev/null; do sleep 0.1; done
LEADER=$(since "$t0")
: >"$T/task"; : >"$T/serving"
for i in $(seq 1 "$R"); do
  until ldr=$(leader); do sleep 0.1; done
  until serving; do sleep 0.1; done
  old=$(DK service ps -q --filter desired-state=running "${DEP}_$ldr")
  t0=$EPOCHREALTIME
  "$LABO" kill -l "$DEP" "$ldr" >/dev/null
  while :; do
    new=$(DK service ps -q --filter desired-state=running "${DEP}_$ldr")
    [ -n "$new" ] && [ "$new" != "$old" ] \
      && [ "$(DK inspect -f '{{.Status.State}}' "$new")" = running ] && break
    sleep 0.1
  done
  since "$t0" >>"$T/task"
  until serving; do sleep 0.1; done
  since "$t0" >>"$T/serving"
done
t0=$EPOCHREALTIME
"$LABO" down -q "$DEP" >/dev/null
DOWN=$(since "$t0")

{
  echo "# labo deploy on a stand-in Swarm (bench/deploy.sh, $(date -u +%F), $(nproc) CPUs)"
  echo
  echo "| figure | time |"
  echo "|---|---|"
  echo "| deploy (tasks running healthy; the manager's image loaded by deploy) | $DEPLOY s |"
  echo "| then a leader | $LEADER s |"
  echo "| kill of the leader: Swarm runs its new task | $(stats <"$T/task") |"
  echo "| kill of the leader: both nodes serve again | $(stats <"$T/serving") |"
  echo "| down | $DOWN s |"
} | tee "$OUT/deploy.md"
