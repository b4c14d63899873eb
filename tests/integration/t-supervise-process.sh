#!/bin/bash
# The process runtime (no Docker: ZooKeeper from Debian's packages, run in
# each host's namespaces) under the same supervision as the Docker one, on
# the 3-server lab (netns/zk3.yaml, under a name of its own):
#   - `up --runtime process`: the servers run as the zookeeper user with
#     every capability dropped and no_new_privs, in the host's network
#     namespace, with the node's name as hostname; published ports work
#     from the machine (DNAT in each host), as with Docker;
#   - the leader killed (SIGKILL): restarted, a new leader elected, status
#     with the roles and 1 restart, the exit status known (the supervisor
#     is its parent);
#   - a znode written by a real client survives a restart of every node;
#   - a node that cannot start: backoff, give-up after 5 deaths, in status;
#     `labo restart` after the repair;
#   - the supervisor stopped and killed: status says so, `up` takes over;
#   - `labo logs NODE` and `labo exec NODE`; down removes everything.
# Sanitizer reports of the supervisors land in $TMP/lsan.* and fail it.
. "$(dirname "$0")/lib.sh"
need_root
need_json
need_cmd jq jq
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
[ -x "$CLI_MT" ] || die "this test needs $CLI_MT (Debian package zookeeper-bin)"
[ -r /usr/share/java/zookeeper.jar ] || die "this test needs ZooKeeper (Debian package zookeeper)"
command -v java >/dev/null || die "this test needs java (Debian package default-jre-headless)"

new_lab LAB 7
F=$(supervised_lab_file "$LAB" zk3.yaml | lab_file "$LAB")
declare -A ADDR=([zoo1]=198.51.100.66 [zoo2]=198.51.100.67 [zoo3]=198.51.100.68)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$TMP/lsan"
T_TEST=$EPOCHREALTIME
node_field() { jqs --arg n "$1" ".nodes[] | select(.name == \$n) | $2"; }
serving3='.ensemble.quorum == true and .supervisor.ensemble.quorum == true and ([.nodes[] | select(.mode == "leader" or .mode == "follower")] | length) == 3'
lsan_clean() { # lsan_clean PID WHAT
	if ls "$TMP/lsan.$1" >/dev/null 2>&1; then
		fail "sanitizer report from supervisor $1 ($2):"
		head -60 "$TMP/lsan.$1" | indent
	else
		ok "supervisor $1 exited with no sanitizer report ($2)"
	fi
}

# ==== up ====
t0=$EPOCHREALTIME
# a descriptor of the caller's (a shell's `exec 7>`, flock(1)'s lock): no
# process that outlives `up` keeps it
exec 7>"$TMP/held-by-caller"
run "$LABO" up --runtime process "$F"
expect_rc 0 "up --runtime process" || die "cannot go on"
exec 7>&-
record_ns "$LAB"
holders=$(find /proc/[0-9]*/fd -lname "$TMP/held-by-caller" 2>/dev/null | cut -d/ -f3 | sort -u)
if [ -z "$holders" ]; then
	ok "neither the supervisor nor the servers keep the caller's descriptors"
else
	fail "processes keep a descriptor of up's caller: $(for p in $holders; do ps -o pid=,comm= -p "$p"; done | tr '\n' ' ')"
fi
say "timing: up took $(secs_since "$t0") s"
assert_match "$OUT" "^  ports .* 9 published \\(DNAT in each host\\)" "up publishes 9 ports"
assert_match "$OUT" "^  nodes .* 3 ZooKeeper processes started" "up starts 3 processes"
assert_match "$OUT" "^  quorum .* zoo[123] leads 3 servers" "up waits for the quorum"
status_json "$LAB" || die "no status"
assert_eq process "$(jqs .runtime)" "status: the process runtime"
assert_eq running "$(jqs .supervisor.state)" "status: the supervisor runs"
assert_eq "null null null" "$(jqs '[.hosts[].docker] | map(tostring) | join(" ")')" "status: no Docker"
SV=$(jqs .supervisor.pid)
wait_for "$LAB" 20 "the ensemble serves" "$serving3" || fail "no ensemble after up"

# ==== what the servers run as ====
for n in zoo1 zoo2 zoo3; do
	pid=$(node_field $n .pid)
	st=/proc/$pid/status
	uid=$(awk '/^Uid:/ { print $2 }' "$st")
	assert_eq "$(id -u zookeeper)" "$uid" "$n (pid $pid) runs as the zookeeper user"
	for c in CapInh CapPrm CapEff CapBnd CapAmb; do
		assert_eq 0000000000000000 "$(awk -v c="$c:" '$1 == c { print $2 }' "$st")" "$n: $c is empty"
	done
	assert_eq 1 "$(awk '/^NoNewPrivs:/ { print $2 }' "$st")" "$n: no_new_privs"
	host=zk${n#zoo}
	assert_eq "$(stat -L -c %i "/run/netns/labo.$LAB.$host")" "$(stat -L -c %i /proc/$pid/ns/net)" \
		"$n runs in $host's network namespace"
	assert_eq "$(node_field $n .supervision.state)" up "$n: up under the supervisor"
done
run "$LABO" exec -l "$LAB" zoo2 -- hostname
assert_eq zoo2 "$OUT" "exec zoo2: its hostname is zoo2"
run "$LABO" exec -l "$LAB" zoo2 -- getent hosts zoo3.zk.local
assert_match "$OUT" "^10\\.0\\.0\\.3 +zoo3 zoo3\\.zk\\.local\$" "exec zoo2: NODE.OVERLAY.local (zoo3.zk.local, as Weave names them) resolves to zoo3's address"
run "$LABO" exec -l "$LAB" zoo2 -- zkServer.sh status
assert_match "$OUT$ERR" "Mode: (leader|follower)" "exec zoo2 -- zkServer.sh status: Debian's script finds the mode"

ZNODE=/labo-proc-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
zk_create "${ADDR[zoo1]}:32181" "$ZNODE"
zk_has "${ADDR[zoo3]}:32181" "$ZNODE"

# ==== a node that cannot start ====
# (first, while zoo3 has no death on record: five deaths in a minute are
# a give-up, and the kills below would count)
DATA=/var/lib/labo/$LAB/_data/zoo3
echo 999 >"$DATA/myid"
kill -9 "$(node_field zoo3 .pid)"
wait_for "$LAB" 40 "zoo3 given up" '(.nodes[] | select(.name == "zoo3") | .supervision.state) == "given up"' ||
	fail "zoo3 was not given up"
assert_eq "exit 1" "$(node_field zoo3 .supervision.last_exit)" "status: zoo3's last death is exit 1"
assert_contains "$(node_field zoo3 .supervision.log_tail)" "My id 999 not in the peer list" \
	"status: the end of zoo3's log says why"
assert_match "$(events_of "$LAB")" '"kind":"gave-up","subject":"zoo3"' "events: zoo3 given up"
assert_eq "true 0" "$(jqs '"\(.ensemble.quorum) \(.ensemble.tolerates)"')" \
	"the two others keep a quorum, and can lose no more"
run "$LABO" logs -l "$LAB" zoo3
assert_contains "$OUT" "My id 999 not in the peer list" "labo logs zoo3 shows its log"
echo 3 >"$DATA/myid"
run "$LABO" restart -l "$LAB" zoo3
expect_rc 0 "labo restart zoo3"
wait_for "$LAB" 30 "zoo3 back after the repair" "$serving3" || fail "zoo3 did not come back"

# ==== the leader killed ====
LEADER=$(jqs '.nodes[] | select(.mode == "leader") | .name')
LPID=$(node_field "$LEADER" .pid)
RL=$(node_field "$LEADER" .restarts)
say "# killing the leader $LEADER (pid $LPID, $RL restarts so far)"
kill -9 "$LPID"
wait_for "$LAB" 30 "$LEADER restarted, 3 servers serving" \
	"$serving3 and (.nodes[] | select(.name == \"$LEADER\") | .restarts == $RL + 1)" ||
	fail "no ensemble of 3 after the leader's death"
assert_eq SIGKILL "$(node_field "$LEADER" .supervision.last_exit)" "status: $LEADER died of SIGKILL"
assert_match "$(events_of "$LAB")" "\"kind\":\"died\",\"subject\":\"$LEADER\",\"message\":\"exited \\(SIGKILL\\); restart $((RL + 1)) in 0ms\"" \
	"events: $LEADER died, restarted at once"
zk_has "${ADDR[zoo2]}:32181" "$ZNODE" "after the leader's restart, cli_mt"

# ==== every node at once ====
say "# killing every server"
kill -9 $(jqs '[.nodes[].pid] | join(" ")')
wait_for "$LAB" 40 "every server restarted, serving" "$serving3 and ([.nodes[].restarts] | min) >= 1" ||
	fail "the servers did not come back"
zk_has "${ADDR[zoo1]}:32181" "$ZNODE" "after every server restarted, cli_mt"
zk_has "${ADDR[zoo3]}:32181" "$ZNODE" "after every server restarted, cli_mt"

# ==== a node that stops answering ====
# SIGSTOP: alive to the kernel, silent to ZooKeeper's clients; the probes
# (every 1 s, 3 failures) find it hung, and its kill is a death
HPID=$(node_field zoo2 .pid)
RH=$(node_field zoo2 .restarts)
say "# stopping zoo2 (pid $HPID) with SIGSTOP"
kill -STOP "$HPID"
wait_for "$LAB" 30 "zoo2 found hung and restarted" \
	"$serving3 and (.nodes[] | select(.name == \"zoo2\") | .restarts == $RH + 1)" ||
	fail "zoo2, stopped, was not restarted"
assert_match "$(node_field zoo2 .supervision.cause)" '^hung \(3 probes in a row unanswered' \
	"status: zoo2's last death was a hang"
assert_match "$(events_of "$LAB")" '"kind":"hung","subject":"zoo2"' "events: zoo2 hung"
[ -e "/proc/$HPID" ] && [ "$(awk '{ print $3 }' "/proc/$HPID/stat")" != Z ] &&
	fail "the stopped zoo2 ($HPID) still exists" || ok "the stopped zoo2 was killed"

# ==== logs -f ====
"$LABO" logs -f -l "$LAB" zoo1 >"$TMP/follow.log" 2>&1 &
FOLLOW=$!
sleep 0.5
run timeout 20 "$CLI_MT" "${ADDR[zoo1]}:32181" "cmd:ls /"
sleep 1
kill "$FOLLOW" 2>/dev/null
wait "$FOLLOW" 2>/dev/null
assert_match "$(tail -n 50 "$TMP/follow.log")" "Processing (srvr|ruok|mntr) command|session" \
	"logs -f zoo1 prints what is appended to the log"

# ==== the supervisor stopped, then killed ====
R1=$(node_field zoo1 .restarts)
PIDS=$(jqs '[.nodes[].pid] | join(" ")')
kill -TERM "$SV"
wait_for "$LAB" 10 "no supervisor runs" '.supervisor.state == "not running" and .state == "degraded"' ||
	fail "status does not say the supervisor stopped"
lsan_clean "$SV" "every restart above"
run "$LABO" up "$F"
expect_rc 0 "up of the running lab"
assert_match "$OUT" "took over" "up: a new supervisor takes over"
status_json "$LAB"
SV2=$(jqs .supervisor.pid)
assert_eq "$PIDS" "$(jqs '[.nodes[].pid] | join(" ")')" "the same servers run (nothing started again)"
assert_eq "$R1" "$(node_field zoo1 .restarts)" "the tallies are kept"
kill -9 "$SV2"
wait_for "$LAB" 10 "the supervisor is dead" '.supervisor.state == "dead"' || fail "status does not say it died"
run "$LABO" up --runtime docker "$F"
expect_rc 1 "up with another runtime than the running lab's"
assert_contains "$ERR" "is up with the process runtime" "up says which runtime the lab runs"
run "$LABO" up "$F"
expect_rc 0 "up of the running lab"
status_json "$LAB"
SV3=$(jqs .supervisor.pid)
kill -9 "$(node_field zoo1 .pid)"
wait_for "$LAB" 30 "the new supervisor restarted zoo1" \
	"$serving3 and (.nodes[] | select(.name == \"zoo1\") | .restarts) > $R1" ||
	fail "the new supervisor does not restart"
assert_eq unknown "$(node_field zoo1 .supervision.last_exit)" \
	"an adopted server's exit status is not known (it is not the new supervisor's child)"

# ==== down --keep-data, up: the data is resumed ====
run "$LABO" down --keep-data "$LAB"
expect_rc 0 "down --keep-data"
assert_no_supervisor_left "$LAB" "$SV3"
lsan_clean "$SV3" "at down --keep-data"
[ -s "/var/lib/labo/$LAB/_data/zoo1/myid" ] && ok "the nodes' data is kept" || fail "no kept data"
run "$LABO" up --runtime process "$F"
expect_rc 0 "up on the kept data"
assert_match "$OUT" "on the data kept by \`down --keep-data\`" "up says it resumes the kept data"
status_json "$LAB"
SV3=$(jqs .supervisor.pid)
zk_has "${ADDR[zoo2]}:32181" "$ZNODE" "after down --keep-data and up, cli_mt"

# ==== down ====
run "$LABO" down "$LAB"
expect_rc 0 "down"
assert_no_supervisor_left "$LAB" "$SV3"
assert_lab_gone "$LAB"
x=$(pgrep -u zookeeper -f "labo.$LAB|/var/lib/labo/$LAB" 2>/dev/null)
[ -z "$x" ] && ok "no ZooKeeper process of the lab is left" || fail "ZooKeeper processes left: $x"
[ ! -e "/var/lib/labo/$LAB" ] && ok "no /var/lib/labo/$LAB" || fail "/var/lib/labo/$LAB is left"
sleep 0.5
lsan_clean "$SV3" "at down"
say "whole test: $(secs_since "$T_TEST") s"
finish
