#!/bin/bash
# `labo reset`: a lab that is up, broken and written to, back to the state
# right after its `up`, under both runtimes:
#   - process runtime (netns/zk3.yaml): a one-way cut, a link's delay, a
#     host powered off, a node killed, a znode written, a file left in a
#     node's data; `reset` heals, resets, powers on, wipes and starts the
#     nodes again: no cut, no link setting, every host on, three servers
#     serving, the znode and the file gone, a new supervisor with no
#     restart on record, the events telling the reset begun and done;
#   - its refusals: a lab that is not up (exit 4), a lab whose lock is
#     held (the holder named), a reset under way (a second one refused);
#   - `reset --json`: the stages and the result;
#   - docker runtime (netns/seed.yaml): the same faults, the worker's host
#     powered off (its dockerd started again by the reset), a file made in
#     a container by hand (`labo exec`); reset: the containers made again
#     from the image (the file gone), the znode gone, the ensemble serving,
#     the manager's dockerd the same, the Swarm kept;
#   - a by-hand lab (netns/seed-by-hand.yaml): the attendee's myid, server
#     lines, key and started ZooKeeper; reset: no quorum to wait for, both
#     nodes "not started", nothing of the attendee's left.
# Times are printed, not asserted: bench/reset.sh measures them.
# timeout: 420
. "$(dirname "$0")/lib.sh"
need_root
need_json
need_cmd jq jq
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
[ -x "$CLI_MT" ] || die "this test needs $CLI_MT (Debian package zookeeper-bin)"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$TMP/lsan"

serving() { # serving N: N servers serving with a leader, under the supervisor
	echo ".ensemble.quorum == true and .supervisor.state == \"running\" and ([.nodes[] | select(.mode == \"leader\" or .mode == \"follower\")] | length) == $1 and ([.nodes[] | select(.mode == \"leader\")] | length) == 1"
}
zk_hasnt() { # zk_hasnt ADDR:PORT ZNODE WHAT
	run timeout 20 "$CLI_MT" "$1" "cmd:ls /"
	assert_contains "$OUT$ERR" "rc = 0" "$3: cli_mt lists / through $1" || show_run
	assert_not_contains "$OUT$ERR" "${2#/}" "$3: $2 is gone"
}
# after_reset LAB N WHAT: what every reset leaves
after_reset() {
	local lab=$1 n=$2 what=$3
	wait_for "$lab" 60 "$what: $n servers serving after reset" "$(serving "$n")" ||
		fail "$what: the ensemble does not serve after reset"
	assert_eq 0 "$(jqs '.faults.partitions | length')" "$what: no cut left"
	assert_eq 0 "$(jqs '.faults.powered_off | length')" "$what: every host on"
	assert_eq 0 "$(jqs '[.faults.links[] | select(.delay_us > 0 or .loss_ppm > 0 or .rate_bps > 0 or .state == "down")] | length')" \
		"$what: no link setting left"
	assert_eq 0 "$(jqs '[.nodes[].restarts] | add')" "$what: the new supervisor has no restart on record"
	assert_eq up "$(jqs .state)" "$what: status says up (nothing missing or down)"
	EV=$(events_of "$lab")
	assert_match "$EV" '"kind":"reset".*"phase":"begun"' "$what: events: reset begun"
	assert_match "$EV" '"kind":"reset".*"phase":"done"' "$what: events: reset done"
}

# ==== process runtime ====
new_lab LAB 7
F=$(supervised_lab_file "$LAB" zk3.yaml | lab_file "$LAB")
A1=198.51.100.66 A2=198.51.100.67
run "$LABO" up --runtime process "$F"
expect_rc 0 "up --runtime process" || die "cannot go on"
record_ns "$LAB"
status_json "$LAB"
SV=$(jqs .supervisor.pid)
wait_for "$LAB" 30 "3 servers serving" "$(serving 3)" || die "no ensemble after up"

ZNODE=/labo-reset-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
zk_create "$A1:32181" "$ZNODE"
touch "/var/lib/labo/$LAB/_data/zoo1/left-by-hand"
echo "labo-reset-marker before the reset" >>"$RUN_DIR/$LAB/n0/zookeeper.log"
run "$LABO" partition -l "$LAB" zk1 zk2 --oneway
expect_rc 0 "partition zk1 zk2 --oneway"
run "$LABO" link -l "$LAB" zk2 --delay 50ms --loss 1%
expect_rc 0 "link zk2 --delay 50ms --loss 1%"
run "$LABO" link -l "$LAB" zk1 --down
expect_rc 0 "link zk1 --down (the cable pulled out)"
run "$LABO" stop -l "$LAB" zk3
expect_rc 0 "stop zk3"
kill -9 "$(jqs '.nodes[] | select(.name == "zoo2") | .pid')"
status_json "$LAB"
assert_eq 1 "$(jqs '.faults.partitions | length')" "before reset: one cut"
assert_eq zk3 "$(jqs '.faults.powered_off | join(" ")')" "before reset: zk3 off"

# refusals: not up; busy with a named holder
run "$LABO" reset -l tnotup1
expect_rc 4 "reset of a lab that is not up"
assert_contains "$ERR" "not up" "reset says the lab is not up"
flock "$RUN_DIR/$LAB/lock" sleep 3 &
HOLDER=$!
sleep 0.3
run "$LABO" reset -l "$LAB"
expect_rc 1 "reset of a lab whose lock is held"
assert_match "$ERR" "busy: another labo \\(pid [0-9]+, .flock " "reset names who holds the lab"
wait "$HOLDER"

t0=$EPOCHREALTIME
"$LABO" reset -l "$LAB" >"$TMP/reset.out" 2>"$TMP/reset.err" &
RESET=$!
# the second, while the first holds the lock (it holds it until the quorum)
for _ in $(seq 1 50); do
	grep -q "^  power" "$TMP/reset.out" && break
	sleep 0.1
done
assert_eq resetting "$("$LABO" ls --json | jq -r --arg l "$LAB" '.[] | select(.lab == $l) | .state')" \
	"ls: the lab is resetting"
run "$LABO" reset -l "$LAB"
expect_rc 1 "a reset while another runs"
assert_match "$ERR" "busy: another labo \\(pid [0-9]+, .labo reset -l $LAB" "the second reset names the first"
run "$LABO" up "$F"
expect_rc 1 "up of the lab (a takeover) while a reset runs"
assert_match "$ERR" "busy: another labo \\(pid [0-9]+, .labo reset -l $LAB" "up names the reset"
wait "$RESET"
RC=$?
say "timing: process runtime, reset took $(secs_since "$t0") s"
assert_eq 0 "$RC" "reset (process runtime)" || indent <"$TMP/reset.err"
indent <"$TMP/reset.out"
OUT=$(cat "$TMP/reset.out")
assert_match "$OUT" "^  cuts .* 1 healed" "reset: 1 cut healed"
assert_match "$OUT" "^  links .* 2 reset" "reset: 2 links reset"
assert_match "$OUT" "^  power .* 1 host on again" "reset: 1 host on again"
assert_match "$OUT" "^  stopped .* node process" "reset: the nodes stopped, their data wiped"
assert_not_contains "$OUT" "kept by" "reset: the nodes start on no kept data"
assert_match "$OUT" "^  quorum .* leads 3 servers" "reset waits for the quorum"
assert_match "$OUT" "^labo: lab $LAB reset in [0-9.]+ s" "reset says how long it took"
after_reset "$LAB" 3 "process"
assert_eq "" "$(jqs ".supervisor.pid | select(. == $SV)")" "a new supervisor (not $SV)"
zk_hasnt "$A2:32181" "$ZNODE" "process"
[ -e "/var/lib/labo/$LAB/_data/zoo1/left-by-hand" ] && fail "the file left in zoo1's data outlived the reset" ||
	ok "the file left in zoo1's data is gone"
assert_eq 1 "$(cat "/var/lib/labo/$LAB/_data/zoo1/myid")" "zoo1's myid made again"
run "$LABO" logs -l "$LAB" zoo1
assert_not_contains "$OUT" "labo-reset-marker" "zoo1's log begins again with the reset"
assert_match "$OUT" "." "zoo1's new log has lines"
# the new supervisor restarts as the old one did, and knows how its nodes die
kill -9 "$(jqs '.nodes[] | select(.name == "zoo3") | .pid')"
wait_for "$LAB" 30 "zoo3 restarted by the new supervisor" \
	"$(serving 3) and (.nodes[] | select(.name == \"zoo3\") | .restarts) == 1" ||
	fail "the supervisor after reset does not restart"
assert_eq SIGKILL "$(jqs '.nodes[] | select(.name == "zoo3") | .supervision.last_exit')" \
	"the nodes are the new supervisor's children (their exit status known)"

# a reset of a lab whose supervisor died: it gets one, and the events both halves
status_json "$LAB"
kill -9 "$(jqs .supervisor.pid)"
wait_for "$LAB" 10 "the supervisor is dead" '.supervisor.state == "dead"' || fail "the supervisor did not die"
run "$LABO" reset --json -l "$LAB"
expect_rc 0 "reset --json"
assert_eq true "$(jq -r .ok <<<"$OUT")" "reset --json: ok"
assert_match "$(jq -r '[.stages[].stage] | join(" ")' <<<"$OUT")" "cuts links power clocks stopped .* quorum" \
	"reset --json: its stages"
wait_for "$LAB" 30 "serving after the second reset" "$(serving 3)" || fail "no ensemble after reset --json"
assert_match "$(events_of "$LAB")" '"kind":"reset".*"message":"reset begun [^"]* ago, with no supervisor running"' \
	"events: the reset of a lab without a supervisor begun, told by the next"
run "$LABO" down "$LAB"
expect_rc 0 "down after reset"
assert_lab_gone "$LAB"

# ==== docker runtime ====
need_docker_lab_tools "the seed lab"
new_lab DLAB 6
DF=$(supervised_lab_file "$DLAB" seed.yaml | lab_file "$DLAB")
B1=198.51.100.198 B2=198.51.100.101
t0=$EPOCHREALTIME
run "$LABO" up "$DF"
expect_rc 0 "up (docker runtime)" || die "cannot go on"
say "timing: docker runtime, up took $(secs_since "$t0") s"
record_ns "$DLAB"
wait_for "$DLAB" 60 "2 servers serving" "$(serving 2)" || die "no ensemble after up"
status_json "$DLAB"
DPIDS=$(jqs '[.hosts[] | select(.name == "mida-clm1") | .docker.pid] | join(" ")')
ZNODE=/labo-reset-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
zk_create "$B1:32181" "$ZNODE"
run "$LABO" exec -l "$DLAB" namenode1 -- touch /root/left-by-hand
expect_rc 0 "a file made by hand in namenode1"
run "$LABO" exec -l "$DLAB" namenode1 -- sh -c 'echo "# by hand" >>/etc/zookeeper/conf/zoo.cfg; true'
run "$LABO" partition -l "$DLAB" mida-clm1 mida-clm2 --oneway
expect_rc 0 "partition mida-clm1 mida-clm2 --oneway"
run "$LABO" link -l "$DLAB" mida-clm1 --delay 40ms
expect_rc 0 "link mida-clm1 --delay 40ms"
run "$LABO" stop -l "$DLAB" mida-clm2
expect_rc 0 "stop mida-clm2 (its dockerd ends)"

t0=$EPOCHREALTIME
run "$LABO" reset -l "$DLAB"
say "timing: docker runtime, reset took $(secs_since "$t0") s"
expect_rc 0 "reset (docker runtime)" || show_run
printf '%s\n' "$OUT" | indent
assert_match "$OUT" "^  daemons .* 2 dockerd answering, 1 started again" "reset: mida-clm2's dockerd started again"
assert_match "$OUT" "^  removed .* 2 containers, their data wiped" "reset: the containers removed"
assert_match "$OUT" "^  containers .* 2 started" "reset: the containers made again"
assert_match "$OUT" "^  quorum .* leads 2 servers" "reset waits for the quorum"
after_reset "$DLAB" 2 "docker"
assert_eq "$DPIDS" "$(jqs '[.hosts[] | select(.name == "mida-clm1") | .docker.pid] | join(" ")')" \
	"mida-clm1's dockerd is the same (kept, not started again)"
zk_hasnt "$B2:32181" "$ZNODE" "docker"
run "$LABO" exec -l "$DLAB" namenode1 -- test -e /root/left-by-hand
expect_rc 1 "the file made by hand in namenode1 is gone (a new container)"
run "$LABO" exec -l "$DLAB" namenode1 -- grep -c "by hand" /etc/zookeeper/conf/zoo.cfg
assert_eq 0 "$OUT" "namenode1's zoo.cfg is up's again"
run "$LABO" exec -l "$DLAB" namenode1 -- ping -c 1 -W 2 namenode2
expect_rc 0 "namenode1 reaches namenode2 over the overlay after reset"
run "$LABO" exec -l "$DLAB" mida-clm1 -- docker node ls --format '{{.Hostname}} {{.Status}}'
assert_eq "mida-clm1 Ready|mida-clm2 Ready" "$(sort <<<"$OUT" | paste -sd '|')" "the Swarm kept, both Ready"
run "$LABO" down "$DLAB"
expect_rc 0 "down after reset (docker)"
assert_lab_gone "$DLAB"
assert_docker_gone "$DLAB"
# ==== a by-hand lab (docker): the attendee's work undone ====
new_lab HLAB 6
HF=$(supervised_lab_file "$HLAB" seed-by-hand.yaml | sed -e "s/ifname: byhand-inet/ifname: $HLAB-in/" | lab_file "$HLAB")
grep -q "start: by-hand" "$HF" || die "netns/seed-by-hand.yaml has no 'start: by-hand'"
run "$LABO" up "$HF"
expect_rc 0 "up of the by-hand lab" || die "cannot go on"
record_ns "$HLAB"
hexec() { run timeout -k 5 60 "$LABO" exec -l "$HLAB" "$1" -- bash -c "$2"; }
for i in 1 2; do
	hexec namenode$i "echo $i > /var/lib/zookeeper/myid && printf 'server.1=namenode1:2888:3888\nserver.2=namenode2:2888:3888\n' >> /etc/zookeeper/conf/zoo.cfg && ssh-keygen -q -t rsa -N '' -f ~/.ssh/id_rsa && zkServer.sh start"
	expect_rc 0 "namenode$i: configured, keyed and started by hand" || show_run
done
wait_for "$HLAB" 60 "the attendee's ensemble serves" '([.nodes[].mode] | sort) == ["follower", "leader"]' ||
	fail "no ensemble after the attendee's zkServer.sh start"
t0=$EPOCHREALTIME
run "$LABO" reset -l "$HLAB"
say "timing: by-hand lab, reset took $(secs_since "$t0") s"
expect_rc 0 "reset of the by-hand lab" || show_run
assert_match "$OUT" "^  services .* 2 nodes to configure and start by hand" "reset waits for no quorum, as up"
assert_not_contains "$OUT" "quorum" "no quorum wait for by-hand nodes"
wait_for "$HLAB" 20 "both nodes not started again" '([.nodes[].mode] | unique) == ["not started"] and .supervisor.state == "running"' ||
	fail "the by-hand nodes are not back to 'not started'"
for i in 1 2; do
	hexec namenode$i 'test ! -e /var/lib/zookeeper/myid && ! grep -q "^server\." /etc/zookeeper/conf/zoo.cfg && test ! -e ~/.ssh/id_rsa && echo fresh'
	assert_eq fresh "$OUT" "namenode$i: no myid, no server line, no key: as up made it"
done
run "$LABO" down "$HLAB"
expect_rc 0 "down of the by-hand lab"
assert_lab_gone "$HLAB"

if ls "$TMP"/lsan.* >/dev/null 2>&1; then
	fail "sanitizer reports:"
	head -60 "$TMP"/lsan.* | indent
fi
finish
