#!/bin/bash
# The tutorial's section 4 typed by hand (issue 12), with real dockerd and
# real ZooKeeper: netns/seed-by-hand.yaml under a lab name of its own stops
# where section 4 begins (Docker, Swarm, the weave overlay, namenode1 and
# namenode2 running sshd, ZooKeeper installed but neither configured nor
# started). Then:
#   - status says "not started", which is no failure, and the supervisor
#     leaves the nodes alone (no restart, no hung, the same container pid);
#   - `labo verify` fails, naming the steps not done;
#   - the tutorial's commands, as an attendee types them, through `labo
#     exec` (ping, ssh-keygen -t rsa, ssh-copy-id with root's password,
#     authorized_keys, java -version, myid, server lines, zkServer.sh start
#     and status): one leader, one follower; ssh without a password;
#   - `labo verify` passes;
#   - a ZooKeeper started by hand is watched like any other: killed, it is
#     found hung, its container restarted, and its entrypoint starts it
#     again (the pid file says it was started);
#   - `zkServer.sh stop` makes the node "not started" again, and nothing
#     restarts it;
#   - down leaves nothing.
# The lab takes 198.51.100.0/24, as the seed: another lab on that subnet
# makes this test fail with up's message.
. "$(dirname "$0")/lib.sh"
need_root
need_json
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
need_docker_lab_tools "the by-hand seed lab"

new_lab LAB 6
# a grace of 8 s (a JVM answers in about 1 s): a server that never
# answers is found hung within the test's waits
F=$(supervised_lab_file "$LAB" seed-by-hand.yaml |
	sed -e "s/ifname: byhand-inet/ifname: $LAB-in/" -e "s/grace: 60s/grace: 8s/" | lab_file "$LAB")
grep -q "grace: 8s" "$F" || die "the test's supervise block has no 'grace: 60s' to shorten"
grep -q "start: by-hand" "$F" || die "netns/seed-by-hand.yaml has no 'start: by-hand'"

# lexec NODE SCRIPT [STDIN]: bash -c SCRIPT in the node, as `labo exec`
# does for an attendee, bounded by 60 s; STDIN is what the attendee types
# (lib.sh's run gives commands /dev/null).
lexec() {
	local node=$1 script=$2
	if [ $# -lt 3 ]; then
		run timeout -k 5 60 "$LABO" exec -l "$LAB" "$node" -- bash -c "$script"
		return
	fi
	say "+ $LABO exec -l $LAB $node -- bash -c '$script' (typing $(printf '%q' "$3"))"
	printf '%s' "$3" | timeout -k 5 60 "$LABO" exec -l "$LAB" "$node" -- bash -c "$script" \
		>"$TMP/.out" 2>"$TMP/.err"
	RC=$?
	OUT=$(cat "$TMP/.out")
	ERR=$(cat "$TMP/.err")
}

# ---- up: where section 4 begins ----
t0=$EPOCHREALTIME
run "$LABO" up "$F"
expect_rc 0 "labo up of the by-hand seed ($LAB)" || { show_run; die "cannot go on"; }
say "timing: by-hand up took $(secs_since "$t0") s"
record_ns "$LAB"
assert_match "$OUT" "^  containers +[0-9.]+ ms +2 started" "up starts the two containers"
assert_match "$OUT" "^  services .*2 nodes to configure and start by hand" "up says the services are the attendee's"
assert_not_contains "$OUT" "  quorum " "up waits for no quorum"

status_json "$LAB" || die "status --json failed"
assert_eq "$(jqs '[.nodes[].mode] | join(",")')" "not started,not started" "status: both nodes are 'not started'"
assert_eq "$(jqs '[.nodes[].start] | join(",")')" "by-hand,by-hand" "status: both nodes start by hand"
assert_eq "$(jqs '.nodes[0].ssh.password')" "labo" "status shows root's password"
assert_eq "$(jqs '.state')" "up" "status: a lab whose nodes are not started yet is up, not degraded"
run "$LABO" status "$LAB"
assert_match "$OUT" "root's password is 'labo'" "status (text) shows root's password"
PID1=$(jqs '.nodes[0].pid')

# inside: the tutorial's paths, ZooKeeper not configured
lexec namenode1 'test ! -e /var/lib/zookeeper/myid && ! grep -q "^server\." /etc/zookeeper/conf/zoo.cfg && grep -q "^dataDir=/var/lib/zookeeper" /etc/zookeeper/conf/zoo.cfg && test ! -e ~/.ssh/id_rsa && echo fresh'
assert_eq "$OUT" "fresh" "namenode1: zoo.cfg without server lines, no myid, no key for root"

# the supervisor does not fight the attendee: three probe intervals later,
# no restart and no hung
sleep 4
assert_eq "$(events_of "$LAB" | jq -r 'select(.kind == "hung" or .kind == "died" or .kind == "restart") | .subject' | sort -u | tr '\n' ' ')" "" "no node was found hung, died or was restarted while not started"
status_json "$LAB"
assert_eq "$(jqs '.nodes[0].pid')" "$PID1" "namenode1's container is the same (pid $PID1)"

run "$LABO" verify "$LAB"
expect_rc 1 "labo verify fails before section 4"
assert_match "$OUT" "ssh-copy-id" "verify's hint names ssh-copy-id"
assert_match "$OUT" "zkServer.sh start" "verify's hint names zkServer.sh start"

# ---- section 4, as typed ----
lexec namenode1 'ping -c 4 -q namenode2'
expect_rc 0 "namenode1: ping -c 4 -q namenode2"
lexec namenode1 'ping -c 1 -W 2 namenode2.weave.local'
expect_rc 0 "namenode1: ping namenode2.weave.local"
# ssh-keygen's three questions (file, passphrase twice), answered by Enter
lexec namenode1 'ssh-keygen -t rsa' $'\n\n\n'
expect_rc 0 "namenode1: ssh-keygen -t rsa" || show_run
# ssh-copy-id asks root's password: given as a person would, through askpass
lexec namenode1 'printf "#!/bin/sh\necho labo\n" > /tmp/askpass && chmod 700 /tmp/askpass &&
	SSH_ASKPASS=/tmp/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=:0 ssh-copy-id -i ~/.ssh/id_rsa.pub root@namenode2 </dev/null'
expect_rc 0 "namenode1: ssh-copy-id -i ~/.ssh/id_rsa.pub root@namenode2 (root's password 'labo')" || show_run
lexec namenode1 'cat ~/.ssh/id_rsa.pub >> ~/.ssh/authorized_keys && chmod 600 ~/.ssh/authorized_keys'
expect_rc 0 "namenode1: its own key in authorized_keys"
lexec namenode1 'ssh -o BatchMode=yes namenode2 hostname'
assert_eq "$OUT" "namenode2" "namenode1: ssh namenode2 hostname, without a password" || show_run
lexec namenode1 'java -version 2>&1 | head -1'
assert_match "$OUT" "version" "namenode1: java -version"
lexec namenode1 'for t in wget curl tar vi; do command -v $t >/dev/null || echo "no $t"; done'
assert_eq "$OUT" "" "namenode1: wget, curl, tar and vi are there"
for i in 1 2; do
	lexec namenode$i "echo $i > /var/lib/zookeeper/myid && printf 'server.1=namenode1:2888:3888\nserver.2=namenode2:2888:3888\n' >> /etc/zookeeper/conf/zoo.cfg"
	expect_rc 0 "namenode$i: myid $i and the server lines"
done
for i in 1 2; do
	lexec namenode$i 'zkServer.sh start'
	expect_rc 0 "namenode$i: zkServer.sh start" || show_run
done
wait_for "$LAB" 30 "one leader and one follower" \
	'([.nodes[].mode] | sort) == ["follower", "leader"]' || fail "no leader and follower after zkServer.sh start"
for i in 1 2; do
	lexec namenode$i 'zkServer.sh status 2>/dev/null'
	assert_match "$OUT" "^Mode: (leader|follower)" "namenode$i: zkServer.sh status"
done

run "$LABO" verify "$LAB"
expect_rc 0 "labo verify passes after section 4" || show_run
run "$LABO" verify --json "$LAB"
assert_eq "$(printf '%s\n' "$OUT" | jq -r '.ok')" "true" "verify --json: ok"

# ---- started by hand, then watched like any other ----
status_json "$LAB"
LEADER=$(jqs '.nodes[] | select(.mode == "leader") | .name')
lexec "$LEADER" 'kill -9 $(cat /var/lib/zookeeper/zookeeper_server.pid)'
expect_rc 0 "$LEADER: its ZooKeeper killed (the pid file stays: it was started)"
wait_for "$LAB" 40 "$LEADER serves again" \
	"[.nodes[] | select(.name == \"$LEADER\") | .mode] | .[0] | (. == \"leader\" or . == \"follower\")" ||
	fail "$LEADER's ZooKeeper, started by hand and killed, was not brought back"
assert_match "$(events_of "$LAB" | jq -r "select(.subject == \"$LEADER\") | .kind" | tr '\n' ' ')" "hung" "the supervisor found $LEADER hung, as any node"

# ---- an attendee's zoo.cfg that allows no four-letter word: not killed ----
lexec namenode2 'sed -i "/^4lw.commands.whitelist/d" /etc/zookeeper/conf/zoo.cfg && zkServer.sh restart'
expect_rc 0 "namenode2: zoo.cfg without 4lw.commands.whitelist, zkServer.sh restart" || show_run
t0=$EPOCHREALTIME
while ! events_of "$LAB" | jq -e 'select(.kind == "warning" and .subject == "namenode2" and (.message | test("4lw")))' >/dev/null 2>&1; do
	awk -v a="$t0" -v n="$EPOCHREALTIME" 'BEGIN { exit !(n - a > 15) }' && break
	sleep 0.5
done
assert_match "$(events_of "$LAB" | jq -r 'select(.kind == "warning" and .subject == "namenode2") | .message')" "4lw.commands.whitelist" \
	"the supervisor says it cannot see namenode2's mode, and why"
lexec namenode2 'cat /var/lib/zookeeper/zookeeper_server.pid'
ZKPID=$OUT
# past the grace (8 s) and three probes: a server that does not answer imok
# would have been found hung and killed by now
sleep 10
lexec namenode2 'cat /var/lib/zookeeper/zookeeper_server.pid && kill -0 $(cat /var/lib/zookeeper/zookeeper_server.pid) && echo alive'
assert_eq "$OUT" "$ZKPID
alive" "namenode2's ZooKeeper (pid $ZKPID) was not killed for its configuration"

# ---- stopped by hand: not started again, and left alone ----
lexec namenode2 'zkServer.sh stop'
expect_rc 0 "namenode2: zkServer.sh stop" || show_run
wait_for "$LAB" 10 "namenode2 is not started" \
	'[.nodes[] | select(.name == "namenode2") | .mode] | .[0] == "not started"' ||
	fail "namenode2, stopped by hand, is not 'not started'"
PID2=$(jqs '.nodes[] | select(.name == "namenode2") | .pid')
sleep 4
status_json "$LAB"
assert_eq "$(jqs '.nodes[] | select(.name == "namenode2") | .mode')" "not started" "namenode2 stays not started: the supervisor does not start it"
assert_eq "$(jqs '.nodes[] | select(.name == "namenode2") | .pid')" "$PID2" "namenode2's container was not restarted"

# ---- down ----
run "$LABO" down "$LAB"
expect_rc 0 "labo down $LAB"
assert_lab_gone "$LAB"
finish
