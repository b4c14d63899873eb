#!/bin/bash
# The supervisor of a Docker lab (the seed, under a name of its own, with a
# quick restart policy), with real dockerd and real ZooKeeper:
#   - up leaves a supervisor running; status says so, with 0 restarts;
#   - the leader's container killed: restarted, an ensemble serves again,
#     the status shows the roles and 1 restart, the events tell it all;
#   - a host's dockerd killed: it comes back, and so does its container;
#   - a znode written by a real client survives a restart of every node
#     at once, and of every daemon at once;
#   - a node that cannot start (its myid changed to one not in the
#     ensemble): backoff, then give-up after 5 deaths, reported in status
#     with the exit code and the end of its log; `labo restart` after the
#     repair brings it back;
#   - the supervisor killed with SIGKILL: status says so; `up` of the same
#     file takes over what runs (same daemons, same containers) and the
#     new supervisor restarts a node killed after that;
#   - down removes everything, the supervisor included.
# The supervisor runs from the sanitized binary: LeakSanitizer reports
# into $TMP/lsan.* when it exits (at down), and the test fails on any.
# timeout: 420
. "$(dirname "$0")/lib.sh"
need_root
need_json
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
need_docker_lab_tools "a supervised Docker lab"
need_cmd jq jq

new_lab LAB 6
F=$(supervised_lab_file "$LAB" seed.yaml | lab_file "$LAB")
A1=198.51.100.198 A2=198.51.100.101
declare -A ADDR=([namenode1]=$A1 [namenode2]=$A2)
declare -A HOSTIDX=([namenode1]=0 [namenode2]=1)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$TMP/lsan"
T_TEST=$EPOCHREALTIME

node_field() { jqs --arg n "$1" ".nodes[] | select(.name == \$n) | $2"; }
# dkill NODE: the test's own docker CLI, on the host's daemon socket
dkill() {
	local sock
	sock=$(jqs ".hosts[${HOSTIDX[$1]}].docker.socket")
	run timeout 20 env -u DOCKER_HOST -u DOCKER_CONTEXT docker -H "unix://$sock" kill "$1"
	expect_rc 0 "docker kill $1"
}
cid_of() { # container id of NODE, through the daemon's API
	curl -s --unix-socket "$(jqs ".hosts[${HOSTIDX[$1]}].docker.socket")" \
		"http://d/v1.41/containers/$1/json" | jq -r .Id
}
# serving, as status's own probes see it and as the supervisor's do
serving='.ensemble.quorum == true and .supervisor.ensemble.quorum == true and ([.nodes[] | select(.mode == "leader" or .mode == "follower")] | length) == 2'

# ==== up ====
up_lab "$F" "$LAB"
assert_match "$OUT" "^labo: supervisor [0-9]+ keeps it running" "up says which supervisor keeps the lab"
status_json "$LAB" || die "no status"
SV=$(jqs .supervisor.pid)
assert_eq running "$(jqs .supervisor.state)" "status: the supervisor runs"
assert_eq "0 0" "$(jqs '[.hosts[].docker.restarts] | join(" ")')" "status: no daemon restarted"
assert_eq "0 0" "$(jqs '[.nodes[].restarts] | join(" ")')" "status: no node restarted"
assert_eq docker "$(jqs .runtime)" "status: the docker runtime"
[ "$(cat /proc/$SV/comm 2>/dev/null)" = labo ] || fail "supervisor pid $SV is not labo"
wait_for "$LAB" 20 "the supervisor sees the ensemble serve" "$serving" ||
	fail "the ensemble does not serve after up"

ZNODE=/labo-sv-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
zk_create "$A1:32181" "$ZNODE"

# ==== a node that can never start ====
# (first, while namenode1 has no death on record: five deaths in a minute
# are a give-up, and the kills below would count)
DATA=/var/lib/labo/$LAB/_data/namenode1
echo 999 >"$DATA/myid" || die "cannot change $DATA/myid"
say "# namenode1's myid is now 999: it cannot start any more"
dkill namenode1
wait_for "$LAB" 90 "namenode1 given up" '(.nodes[] | select(.name == "namenode1") | .supervision.state) == "given up"' ||
	fail "namenode1 was not given up"
assert_eq "exit 1" "$(node_field namenode1 .supervision.last_exit)" "status: the last death of namenode1 is exit 1"
assert_contains "$(node_field namenode1 .supervision.log_tail)" "My id 999 not in the peer list" \
	"status: the end of namenode1's log says why"
EV=$(events_of "$LAB")
assert_match "$EV" '"kind":"gave-up","subject":"namenode1".*5 deaths within 1m' "events: gave up after 5 deaths"
delays=$(printf '%s\n' "$EV" | jq -r 'select(.kind == "died" and .subject == "namenode1") | .delay_ms // empty' | tail -2 | tr '\n' ' ')
say "  the last restart delays of namenode1: $delays ms"
assert_match "$delays" '^[0-9]+ [0-9]+ $' "events: namenode1's restarts had delays"
set -- $delays
[ "$2" -gt "$1" ] && ok "the backoff grows ($1 ms, then $2 ms)" || fail "the backoff does not grow: $delays"
run "$LABO" status "$LAB"
assert_match "$OUT" "GIVEN UP; last death: exited \\(exit 1\\)" "status (human): GIVEN UP"
assert_contains "$OUT" "My id 999 not in the peer list" "status (human): the end of the log"
echo 1 >"$DATA/myid"
run "$LABO" restart -l "$LAB" namenode1
expect_rc 0 "labo restart namenode1"
wait_for "$LAB" 60 "namenode1 back after the repair" "$serving" || fail "namenode1 did not come back"
zk_has "$A1:32181" "$ZNODE" "after the repair, cli_mt"

# ==== the leader's container killed ====
LEADER=$(jqs '.nodes[] | select(.mode == "leader") | .name')
[ -n "$LEADER" ] || die "no leader to kill"
RL=$(node_field "$LEADER" .restarts)
say "# killing the leader $LEADER ($RL restarts so far)"
dkill "$LEADER"
wait_for "$LAB" 60 "$LEADER restarted and the ensemble serving" \
	"$serving and (.nodes[] | select(.name == \"$LEADER\") | .restarts == $RL + 1)" ||
	fail "after killing $LEADER: no ensemble, or no restart counted"
assert_eq "exit 137 (SIGKILL)" "$(node_field "$LEADER" .supervision.last_exit)" \
	"status: $LEADER's last death is exit 137 (SIGKILL)"
assert_match "$(node_field "$LEADER" .up_since)" '^20[0-9-]+T' "status: $LEADER has an up-since time"
EV=$(events_of "$LAB")
assert_match "$EV" "\"kind\":\"died\",\"subject\":\"$LEADER\",\"message\":\"exited \\(exit 137 \\(SIGKILL\\)\\); restart $((RL + 1)) in 0ms\"" \
	"events: $LEADER died, restart $((RL + 1)) at once"
assert_match "$EV" "\"kind\":\"start\",\"subject\":\"$LEADER\"" "events: $LEADER started again"
assert_match "$EV" "\"kind\":\"quorum\".*no quorum" "events: the quorum lost"
assert_match "$EV" "\"kind\":\"quorum\".*leads; 2 of 2 servers serving" "events: the quorum back"
run "$LABO" status "$LAB"
assert_match "$OUT" "^    up since 20[^,]+, $((RL + 1)) restarts?; last death: exited \\(exit 137 \\(SIGKILL\\)\\)\$" \
	"status (human): the restarts and the last death"
assert_contains "$OUT" "warning: with two servers, losing either stops the ensemble" \
	"status (human): the two-server warning"
assert_eq "two servers survive no failure: losing either stops the ensemble" "$(jqs .ensemble.warning)" \
	"status: the two-server warning in JSON"

# ==== a host's dockerd killed ====
D2=$(jqs '.hosts[1].docker.pid')
say "# killing mida-clm2's dockerd ($D2)"
kill -9 "$D2"
wait_for "$LAB" 90 "mida-clm2's daemon and namenode2 back, serving" \
	"$serving and .hosts[1].docker.state == \"running\" and .hosts[1].docker.restarts == 1 and .hosts[1].docker.pid != $D2" ||
	fail "mida-clm2's daemon did not come back with its container"
assert_eq "SIGKILL" "$(jqs .hosts[1].docker.supervision.last_exit)" "status: the daemon's death, SIGKILL (it is the supervisor's child)"
assert_eq running "$(node_field namenode2 .container)" "namenode2's container runs again"
zk_has "$A1:32181" "$ZNODE" "after the daemon's restart, cli_mt"

# ==== every node at once, then every daemon at once ====
say "# killing both containers"
dkill namenode1
dkill namenode2
wait_for "$LAB" 90 "both nodes restarted, serving" \
	"$serving and ([.nodes[].restarts] | min) >= 1 and (.nodes[] | select(.name == \"namenode1\") | .restarts) >= 1" ||
	fail "the nodes did not come back"
zk_has "$A2:32181" "$ZNODE" "after every node restarted, cli_mt"
say "# killing both daemons"
P1=$(jqs '.hosts[0].docker.pid') P2=$(jqs '.hosts[1].docker.pid')
kill -9 "$P1" "$P2"
wait_for "$LAB" 120 "both daemons and nodes back, serving" \
	"$serving and .hosts[0].docker.pid != $P1 and .hosts[1].docker.pid != $P2 and ([.hosts[].docker.state] | unique) == [\"running\"]" ||
	fail "the daemons did not come back"
if awk -v w="${WAITED:-999}" 'BEGIN { exit !(w > 30) }'; then
	say "note: that took over 30 s; the supervisor's events meanwhile:"
	events_of "$LAB" | jq -r '"\(.time) \(.kind) \(.subject) \(.message)"' | tail -30 | indent
fi
zk_has "$A1:32181" "$ZNODE" "after every daemon restarted, cli_mt"
zk_has "$A2:32181" "$ZNODE" "after every daemon restarted, cli_mt"

# ==== a node that stops answering ====
# SIGSTOP of its java: alive to the kernel and to Docker, silent to
# ZooKeeper's clients; the probes find it hung, the supervisor kills the
# container, and that death restarts it
HPID=$(node_field namenode1 .pid)
RH=$(node_field namenode1 .restarts)
say "# stopping namenode1's server (pid $HPID) with SIGSTOP"
kill -STOP "$HPID"
wait_for "$LAB" 60 "namenode1 found hung and restarted" \
	"$serving and (.nodes[] | select(.name == \"namenode1\") | .restarts == $RH + 1)" ||
	fail "namenode1, stopped, was not restarted"
assert_match "$(node_field namenode1 .supervision.cause)" '^hung \(3 probes in a row unanswered' \
	"status: namenode1's last death was a hang"
assert_eq "exit 137 (SIGKILL)" "$(node_field namenode1 .supervision.last_exit)" \
	"status: the supervisor's kill (SIGKILL) ended it"

# ==== the supervisor stopped, then killed ====
status_json "$LAB"
DPIDS=$(jqs '[.hosts[].docker.pid] | join(" ")')
CIDS="$(cid_of namenode1) $(cid_of namenode2)"
R1=$(node_field namenode1 .restarts)
say "# stopping the supervisor $SV (SIGTERM: it exits, LeakSanitizer checks it)"
kill -TERM "$SV"
wait_for "$LAB" 10 "status says no supervisor runs" '.supervisor.state == "not running" and .state == "degraded"' ||
	fail "status does not say the supervisor stopped"
if ls "$TMP/lsan.$SV" >/dev/null 2>&1; then
	fail "LeakSanitizer or AddressSanitizer on supervisor $SV (every restart above):"
	head -60 "$TMP/lsan.$SV" | indent
else
	ok "supervisor $SV exited with no sanitizer report, after $(jqs '[.nodes[].restarts, .hosts[].docker.restarts] | add') restarts"
fi
run "$LABO" up "$F"
expect_rc 0 "up of the running lab"
assert_match "$OUT" "supervisor was not running, supervisor [0-9]+ took over" "up says a new supervisor took over"
status_json "$LAB"
SV2=$(jqs .supervisor.pid)
say "# killing the supervisor $SV2 (SIGKILL)"
kill -9 "$SV2"
wait_for "$LAB" 10 "status says the supervisor is dead" '.supervisor.state == "dead" and .state == "degraded"' ||
	fail "status does not say the supervisor died"
run "$LABO" status "$LAB"
assert_contains "$OUT" "supervisor: NOT RUNNING (it died)" "status (human): the supervisor died"
run "$LABO" up "$F"
expect_rc 0 "up of the running lab"
assert_match "$OUT" "supervisor had died, supervisor [0-9]+ took over" "up says a new supervisor took over"
status_json "$LAB"
SV3=$(jqs .supervisor.pid)
[ "$SV3" != "$SV2" ] && [ "$(jqs .supervisor.state)" = running ] && ok "a new supervisor $SV3 runs" ||
	fail "no new supervisor (pid $SV3)"
assert_eq "$DPIDS" "$(jqs '[.hosts[].docker.pid] | join(" ")')" "the same daemons run (nothing made again)"
assert_eq "$CIDS" "$(cid_of namenode1) $(cid_of namenode2)" "the same containers run (nothing made again)"
assert_eq "$R1" "$(node_field namenode1 .restarts)" "the new supervisor keeps the old one's tallies"
R2=$(node_field namenode2 .restarts)
dkill namenode2
wait_for "$LAB" 60 "the new supervisor restarted namenode2" \
	"$serving and (.nodes[] | select(.name == \"namenode2\") | .restarts) > $R2" ||
	fail "the new supervisor does not restart"
SV=$SV3

# ==== down ====
run "$LABO" down "$LAB"
expect_rc 0 "down"
assert_match "$OUT" "supervisor .* stopped" "down stops the supervisor first"
assert_no_supervisor_left "$LAB" "$SV"
assert_lab_gone "$LAB"
assert_docker_gone "$LAB"
sleep 0.5
x=$(ls "$TMP"/lsan.* 2>/dev/null)
if [ -n "$x" ]; then
	fail "LeakSanitizer or AddressSanitizer reported:"
	cat $x | head -60 | indent
else
	ok "no sanitizer report from the supervisors (at their exit, through every restart above)"
fi
say "whole test: $(secs_since "$T_TEST") s"
finish
