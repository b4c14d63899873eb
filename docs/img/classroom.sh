#!/bin/bash
# Makes docs/img/web-classroom.png: `labo web`'s index over a classroom of
# 15 copies of the by-hand seed, each attendee at another step of the
# tutorial's section 4 (none, myid, the server lines, ZooKeeper started),
# taken by headless Chromium from Debian. As root, on a machine with no lab
# up; everything it brings up goes at the end.
#   docs/img/classroom.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "classroom.sh: run as root" >&2; exit 1; }
N=${1:-15} LABO=${LABO:-./labo} OUT=docs/img/web-classroom.png
B=attendee PORT=${PORT:-7475}
cleanup() {
  [ -n "${WEB_PID:-}" ] && kill -TERM "$WEB_PID" 2>/dev/null && wait "$WEB_PID" 2>/dev/null
  "$LABO" down --all -q || true
  rm -rf "${PROFILE:-}"
}
trap cleanup EXIT
"$LABO" up netns/seed-by-hand.yaml --copies "$N" --name "$B"

# attendee k has typed the first (k mod 4) steps of section 4, on both nodes
step() { # LAB STEP
  local lab=$1 s=$2 n
  for n in 1 2; do
    case $s in
    myid) "$LABO" exec -l "$lab" "namenode$n" -- sh -c "echo $n > /var/lib/zookeeper/myid" ;;
    servers) "$LABO" exec -l "$lab" "namenode$n" -- sh -c \
      'printf "server.1=namenode1:2888:3888\nserver.2=namenode2:2888:3888\n" >> /etc/zookeeper/conf/zoo.cfg' ;;
    start) "$LABO" exec -l "$lab" "namenode$n" -- zkServer.sh start >/dev/null ;;
    esac
  done
}
for k in $(seq 1 "$N"); do
  steps=(myid servers start)
  for s in "${steps[@]:0:$((k % 4))}"; do step "$B-$k" "$s"; done
done

"$LABO" web --listen "127.0.0.1:$PORT" &
WEB_PID=$!
sleep 15 # verify runs in the background, a lab at a time
# Chromium through chromedriver's WebDriver API (its --screenshot waits for
# a page whose event stream never ends)
PROFILE=$(mktemp -d)
chromedriver --port=$((PORT + 1)) >/dev/null 2>&1 &
CD_PID=$!
WD=http://127.0.0.1:$((PORT + 1))
for _ in $(seq 100); do curl -s "$WD/status" | jq -e .value.ready >/dev/null 2>&1 && break; sleep 0.1; done
caps=$(jq -nc --arg dir "$PROFILE" '{capabilities: {alwaysMatch: {browserName: "chrome",
  "goog:chromeOptions": {binary: "/usr/bin/chromium", args: ["--headless", "--no-sandbox",
  "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--window-size=1600,1100",
  ("--user-data-dir=" + $dir)]}}}}')
SID=$(curl -s -X POST -H 'Content-Type: application/json' -d "$caps" "$WD/session" | jq -r .value.sessionId)
curl -s -X POST -H 'Content-Type: application/json' -d "{\"url\": \"http://127.0.0.1:$PORT/\"}" \
  "$WD/session/$SID/url" >/dev/null
sleep 3
curl -s "$WD/session/$SID/screenshot" | jq -r .value | base64 -d > "$OUT"
curl -s -X DELETE "$WD/session/$SID" >/dev/null
kill "$CD_PID"
echo "classroom.sh: $OUT"
