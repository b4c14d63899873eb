#!/bin/bash
# Benchmark of the supervisor (issue 4), both runtimes, on the seed lab
# (two servers: the ensemble serves again only once the killed one is back):
#   - kill -9 of the leader's process to the ensemble serving again (one
#     leader, one follower: bench/zkwait asks both every 5 ms), and within
#     it the supervisor's share, from its own events: death noticed (its
#     pidfd) -> restart issued; for Docker also Docker's own part, death
#     noticed -> Docker's "die" event, which a restart has to wait for;
#   - the same kill against Docker's own restart policy (`--restart
#     always`, a container of the same image on the same daemon and
#     overlay): kill -9 to the container running again, side by side with
#     labo's kill -9 to its container running again;
#   - the supervisor's resident memory (after the rounds, and its peak)
#     and its wake-ups per minute while the lab idles, with the default
#     probes (every 2 s) and with probes off (`probe: {interval: 0s}`).
# Writes build/bench/supervise.md. Usage: bench/supervise.sh [ROUNDS]  (root)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/supervise.sh: run as root" >&2; exit 1; }
R=${1:-${BENCH_ROUNDS:-5}}
IDLE=${BENCH_IDLE:-30}
LABO=${LABO:-./labo}
[ -x "$LABO" ] || make -s labo
OUT=build/bench; mkdir -p "$OUT"
cc -O2 -Wall -Wextra -o "$OUT/zkwait" bench/zkwait.c
T=$(mktemp -d); LABS=()
cleanup() { for l in "${LABS[@]}"; do "$LABO" down -q "$l" >/dev/null 2>&1 || true; done; rm -rf "$T"; }
trap cleanup EXIT
A="198.51.100.198:32181 198.51.100.101:32181"

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }
sv_pid() { "$LABO" status --json "$1" | jq -r .supervisor.pid; }

# lab RUNTIME NAME PROBE_INTERVAL: the seed as NAME, that runtime, that
# probe; with Docker, a third host, mida-clm3, a worker with no node, where
# the peer (Docker's own restart policy) runs alone on the overlay, as
# namenode2 does on mida-clm2: when the last container of an overlay on a
# host dies, Docker removes the overlay's sandbox there and makes it again
# at the next start (about a second of the restart, whoever asks for it)
lab() {
  sed -e "s/^lab: seed\$/lab: $2/" netns/seed.yaml | if [ "$1" = docker ]; then
    sed -e 's/^hosts:$/hosts:\n  mida-clm3:\n    docker: worker\n    links: [{segment: internet, address: 198.51.100.103}]/'
  else cat; fi
  # rounds come 3 s apart: a reset of 2 s makes each death a first one
  # (restarted at once), as after any stable run, and R deaths in a minute
  # must not be a give-up
  printf 'runtime: %s\nsupervise: {probe: {interval: %s}, backoff: {reset: 2s}, give_up: {deaths: 100}}\n' "$1" "$3"
}

up() { # up RUNTIME NAME PROBE
  lab "$1" "$2" "$3" > "$T/$2.yaml"
  LABS+=("$2")
  "$LABO" up -q "$T/$2.yaml" > /dev/null
  "$OUT/zkwait" serving 60 $A > /dev/null
}

# rounds NAME RUNTIME: R kills of the leader; appends to $T/rounds.NAME
# "serving_again noticed_ms share_ms docker_die_ms running_again"
rounds() {
  local lab=$1 i leader pid t0 s ev
  for i in $(seq "$R"); do
    sleep 3   # settled: the probes see the ensemble serve
    leader=$("$LABO" status --json "$lab" | jq -r '.nodes[] | select(.mode == "leader") | .name')
    pid=$("$LABO" status --json "$lab" | jq -r --arg n "$leader" '.nodes[] | select(.name == $n) | .pid')
    read -r t0 s < <("$OUT/zkwait" kill "$pid" 90 $A)
    # running again: when its new process started (the kernel's start time
    # of it: for a container, its init), as for the peer below
    started=$(date -d "$("$LABO" status --json "$lab" | jq -r --arg n "$leader" '.nodes[] | select(.name == $n) | .up_since')" +%s.%N)
    ev=$("$LABO" events --json -n 60 --no-follow "$lab" | jq -s --arg n "$leader" --argjson t0 "$t0" --argjson st "$started" '
      [.[] | select(.subject == $n and .t >= $t0)] as $e
      | ($e | map(select(.kind == "died")) | first) as $d
      | ($e | map(select(.kind == "start")) | first) as $s
      | "\((($d.noticed_t - $t0) * 1000) | floor) \((($s.t - $d.noticed_t) * 1000 * 10 | floor) / 10) \((($d.t - $d.noticed_t) * 1000) | floor) \(($st - $t0) * 1000 | floor)"')
    echo "$s ${ev//\"/}" >> "$T/rounds.$lab"
    echo "  $lab round $i: leader $leader, serving again after $s s; noticed/share/docker-die/running ms: ${ev//\"/}"
  done
}

# idle NAME: wake-ups a minute (the loop's count, and the kernel's context
# switches) over IDLE seconds, and resident memory; "wakeups ctxsw rss hwm"
idle() {
  local lab=$1 sv w0 w1 c0 c1
  sv=$(sv_pid "$lab")
  sleep 3
  w0=$("$LABO" status --json "$lab" | jq .supervisor.wakeups)
  c0=$(awk '/ctxt_switches/ { s += $2 } END { print s }' "/proc/$sv/status")
  sleep "$IDLE"
  c1=$(awk '/ctxt_switches/ { s += $2 } END { print s }' "/proc/$sv/status")
  w1=$("$LABO" status --json "$lab" | jq .supervisor.wakeups)
  # the loop's count includes the wake-up answering the second status
  # request (one); the context switches are read between the two calls
  echo "$(( (w1 - w0 - 1) * 60 / IDLE )) $(( (c1 - c0) * 60 / IDLE )) $(awk '/VmRSS/ { print $2 }' "/proc/$sv/status") $(awk '/VmHWM/ { print $2 }' "/proc/$sv/status")"
}

# soak NAME RUNTIME N: N kills of namenode1 in a row, each once it runs
# again (a lab with no backoff and no give-up); the supervisor's RSS at
# the start and after every N/4 kills: "rss0 rss1 rss2 rss3 rss4"
soak() {
  local lab=$1 rt=$2 n=$3 sv pid p i line
  sv=$(sv_pid "$lab")
  line=$(awk '/VmRSS/ { print $2 }' "/proc/$sv/status")
  for i in $(seq "$n"); do
    pid=$("$LABO" status --json "$lab" | jq -r '.nodes[0].pid')
    "$OUT/zkwait" kill "$pid" > /dev/null
    while :; do
      p=$("$LABO" status --json "$lab" | jq -r '.nodes[0].pid')
      [ "$p" != null ] && [ "$p" != "$pid" ] && break
      sleep 0.1
    done
    [ $((i % (n / 4))) -ne 0 ] || line="$line $(awk '/VmRSS/ { print $2 }' "/proc/$sv/status")"
  done
  echo "$line"
}

declare -A RSS0 IDLE_ON IDLE_OFF SOAK
SOAK_N=${BENCH_SOAK:-40}
# six characters at most: the root interface "<lab>-internet" fits 15 bytes
N=$(( $$ % 9000 + 1000 ))
for rt in process docker; do
  l=b${rt:0:1}$N
  echo "== $rt runtime: lab $l"
  up "$rt" "$l" 2s
  sleep 3
  RSS0[$rt]=$(awk '/VmRSS/ { print $2 }' "/proc/$(sv_pid "$l")/status")
  rounds "$l" "$rt"
  echo "$rt" > "$T/rt.$l"
  IDLE_ON[$rt]=$(idle "$l")
  echo "  idle with probes every 2 s: ${IDLE_ON[$rt]} (wake-ups/min, context switches/min, RSS kB, peak kB)"
  if [ "$rt" = docker ]; then
    # Docker's own restart policy: the same image and overlay, alone on
    # mida-clm3 (a worker, as mida-clm2); kills 11 s apart, past Docker's
    # 10 s reset of its own backoff (100 ms, doubling)
    sock=$("$LABO" status --json "$l" | jq -r '.hosts[] | select(.name == "mida-clm3") | .docker.socket')
    img=$(cat "/run/labo/$l/image")
    D() { env -u DOCKER_HOST docker -H "unix://$sock" "$@"; }
    D run -d --name labopeer --restart always --network weave --ip 10.0.0.50 "$img" sleep 1000000 > /dev/null
    for i in $(seq "$R"); do
      sleep 11
      pid=$(D inspect -f '{{.State.Pid}}' labopeer)
      t0=$("$OUT/zkwait" kill "$pid")
      while :; do
        p=$(curl -s --unix-socket "$sock" http://d/v1.41/containers/labopeer/json | jq -r 'select(.State.Running) | .State.Pid')
        [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pid" ] && break
        sleep 0.05
      done
      # when Docker started its new process (StartedAt: the same moment as
      # the kernel's start time of the container's init)
      st=$(date -d "$(D inspect -f '{{.State.StartedAt}}' labopeer)" +%s.%N)
      echo "$st $t0" | awk '{ printf "%d\n", ($1 - $2) * 1000 }' >> "$T/peer"
      echo "  docker --restart always, round $i: running again after $(tail -1 "$T/peer") ms"
    done
    D rm -f labopeer > /dev/null
  fi
  "$LABO" down -q "$l"
  l2=o${rt:0:1}$N
  up "$rt" "$l2" 0s
  IDLE_OFF[$rt]=$(idle "$l2")
  echo "  idle with probes off: ${IDLE_OFF[$rt]}"
  "$LABO" down -q "$l2"
  l3=s${rt:0:1}$N
  lab "$rt" "$l3" 2s | sed 's/^supervise: .*$/supervise: {min_gap: 0s, backoff: {initial: 0s, max: 0s}, give_up: {deaths: 100}}/' > "$T/$l3.yaml"
  LABS+=("$l3")
  "$LABO" up -q "$T/$l3.yaml" > /dev/null
  SOAK[$rt]=$(soak "$l3" "$rt" "$SOAK_N")
  echo "  soak, $SOAK_N restarts: RSS ${SOAK[$rt]} kB"
  "$LABO" down -q "$l3"
done

col() { awk -v c="$2" '{ print $c }' "$T/rounds.$1" | median; }
fld() { echo "$1" | awk -v c="$2" '{ print $c }'; }
LP=bp$N LD=bd$N
{
  echo "## The supervisor (issue 4)"
  echo
  echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'), \`bench/supervise.sh $R\`: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), kernel $(uname -r), labo $(git describe --always --dirty 2>/dev/null), release build. The seed lab (two servers) under each runtime; medians of $R kills of the leader's process (kill -9)."
  echo
  echo "| | process runtime | docker runtime |"
  echo "|---|---|---|"
  echo "| kill -9 of the leader to the ensemble serving again | $(col $LP 1) s | $(col $LD 1) s |"
  echo "| kill -9 to death noticed (the supervisor's pidfd) | $(col $LP 2) ms | $(col $LD 2) ms |"
  echo "| death noticed to Docker's \`die\` event (a restart waits for it) | - | $(col $LD 4) ms |"
  echo "| **death noticed to restart issued** (the supervisor's share) | $(col $LP 3) ms | $(col $LD 3) ms |"
  echo "| kill -9 to the node running again (its new process started: for a container, its init) | $(col $LP 5) ms | $(col $LD 5) ms |"
  echo "| the same for Docker's own \`--restart always\` (the same image, alone on the overlay on its host, as namenode2) | - | $(median < "$T/peer") ms |"
  echo "| supervisor resident memory: before the kills / after / peak | $(echo "${RSS0[process]}") / $(fld "${IDLE_ON[process]}" 3) / $(fld "${IDLE_ON[process]}" 4) kB | $(echo "${RSS0[docker]}") / $(fld "${IDLE_ON[docker]}" 3) / $(fld "${IDLE_ON[docker]}" 4) kB |"
  echo "| wake-ups a minute, idle, probes every 2 s (the loop's count / context switches) | $(fld "${IDLE_ON[process]}" 1) / $(fld "${IDLE_ON[process]}" 2) | $(fld "${IDLE_ON[docker]}" 1) / $(fld "${IDLE_ON[docker]}" 2) |"
  echo "| wake-ups a minute, idle, probes off | $(fld "${IDLE_OFF[process]}" 1) / $(fld "${IDLE_OFF[process]}" 2) | $(fld "${IDLE_OFF[docker]}" 1) / $(fld "${IDLE_OFF[docker]}" 2) |"
  echo "| supervisor resident memory through $SOAK_N restarts in a row (at 0, 1/4... of them) | ${SOAK[process]// / / } kB | ${SOAK[docker]// / / } kB |"
  echo
  echo "Every round (serving again s, noticed ms, share ms, Docker's die ms, running again ms):"
  echo
  for l in $LP $LD; do echo "- $(cat "$T/rt.$l"): $(tr '\n' ';' < "$T/rounds.$l" | sed 's/;$//; s/;/; /g')"; done
  echo "- docker --restart always, running again (ms): $(tr '\n' ' ' < "$T/peer")"
} | tee "$OUT/supervise.md"
