#!/bin/bash
# `labo pause` / `labo resume` on a 3-server ensemble (netns/zk3.yaml under
# a name of its own), under the process runtime, then Docker:
#   - pause the leader: its srvr port stops answering, yet the process is
#     there, frozen (its freezer cgroup says so), its listening and
#     connected sockets kept; the two others elect a new leader; the
#     supervisor holds its probes: same pid, no restart; status (text and
#     JSON) says paused; a second pause says it was paused already;
#   - resume: it answers srvr again and rejoins (three serving), same pid,
#     same restart count; a second resume says it was not paused;
#   - (process) a scenario's pause: step, and chaos putting the node back;
#   - pause of a host, then `resume` with no argument: every paused node;
#   - down with a node still paused leaves no cgroup of labo's;
#   - the v1 freezer (forced): a power-off and down of a paused node.
# timeout: 300
. "$(dirname "$0")/lib.sh"
need_root
need_json
need_cmd jq jq
need_cmd ss iproute2
need_cmd nsenter util-linux
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
need_docker_lab_tools "pause and resume"

declare -A ADDR=([zk1]=198.51.100.66 [zk2]=198.51.100.67 [zk3]=198.51.100.68)
T_TEST=$EPOCHREALTIME
node_field() { jqs --arg n "$1" ".nodes[] | select(.name == \$n) | $2"; }
serving3='.ensemble.quorum == true and ([.nodes[] | select(.mode == "leader" or .mode == "follower")] | length) == 3'

# srvr ADDR: ZooKeeper's srvr through the published client port, 2 s at most.
srvr() {
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/32181" && printf srvr >&3 && cat <&3' _ "$1" 2>/dev/null
}

# frozen PID: "frozen" if a freezer cgroup of PID says so (v2's
# cgroup.events, or v1's freezer.state), else "thawed".
frozen() {
	local v2 v1
	v2=$(sed -n 's/^0:://p' "/proc/$1/cgroup")
	v1=$(sed -n 's/^[0-9]*:freezer://p' "/proc/$1/cgroup")
	if grep -qx 'frozen 1' "/sys/fs/cgroup/unified$v2/cgroup.events" 2>/dev/null ||
		grep -qx 'frozen 1' "/sys/fs/cgroup$v2/cgroup.events" 2>/dev/null ||
		grep -qx FROZEN "/sys/fs/cgroup/freezer$v1/freezer.state" 2>/dev/null; then
		echo frozen
	else
		echo thawed
	fi
}

pause_resume() { # pause_resume RUNTIME LAB
	local rt=$1 lab=$2 leader lh pid r n h
	wait_for "$lab" 60 "the ensemble serves" "$serving3" || die "$rt: no ensemble"
	leader=$(jqs '.nodes[] | select(.mode == "leader") | .name')
	lh=$(node_field "$leader" .host)
	pid=$(node_field "$leader" .pid)
	r=$(node_field "$leader" .restarts)
	assert_match "$(srvr "${ADDR[$lh]}")" "Mode: leader" "$rt: $leader answers srvr before the pause"

	say "# $rt: pausing the leader, $leader (pid $pid)"
	run "$LABO" pause -l "$lab" leader
	expect_rc 0 "pause leader"
	assert_contains "$OUT" "$leader (the leader) paused in" "$rt: pause says which node the leader was"
	assert_eq frozen "$(frozen "$pid")" "$rt: $leader's process is frozen (its freezer cgroup)"
	assert_eq "" "$(srvr "${ADDR[$lh]}")" "$rt: $leader answers nothing on its srvr port"
	[ -d "/proc/$pid" ] && ok "$rt: $leader's process $pid still exists" || fail "$rt: $leader's process is gone"
	run nsenter -t "$pid" -n ss -Hltn 'sport = :2181'
	assert_contains "$OUT" ":2181" "$rt: its listening socket is kept"
	run nsenter -t "$pid" -n ss -Htn state established
	[ -n "$OUT" ] && ok "$rt: its connections are kept ($(printf '%s\n' "$OUT" | wc -l) established)" ||
		fail "$rt: no connection of $leader's left"
	run "$LABO" pause -l "$lab" "$leader"
	expect_rc 0 "pause $leader again"
	assert_contains "$OUT" "was paused already" "$rt: a second pause is no error and says so"

	wait_for "$lab" 60 "a new leader among the two others, $leader paused" \
		"(.nodes[] | select(.name == \"$leader\") | .mode) == \"paused\" and ([.nodes[] | select(.mode == \"leader\")] | length) == 1 and .ensemble.quorum == true" ||
		fail "$rt: no new leader while $leader was paused"
	# the probes' failures (3 of 1 s) and the grace are long past
	assert_eq "$pid/$r/up/true" "$(node_field "$leader" '"\(.pid)/\(.restarts)/\(.supervision.state)/\(.paused)"')" \
		"$rt: the supervisor holds $leader: same pid, no restart, paused"
	assert_eq "$leader" "$(jqs '.faults.paused | join(" ")')" "$rt: status --json lists it paused"
	run "$LABO" status "$lab"
	assert_match "$OUT" "^paused: $leader " "$rt: status says it is paused"
	run "$LABO" restart -l "$lab" "$leader"
	expect_rc 1 "restart of a paused node"
	assert_contains "$ERR" "is paused" "$rt: restart of a paused node is refused"

	run "$LABO" resume -l "$lab" "$leader"
	expect_rc 0 "resume $leader"
	assert_eq thawed "$(frozen "$pid")" "$rt: $leader is thawed"
	run "$LABO" resume -l "$lab" "$leader"
	assert_contains "$OUT" "was not paused" "$rt: a second resume says so"
	wait_for "$lab" 60 "$leader rejoins, three serving" \
		"$serving3 and (.faults.paused | length) == 0" || fail "$rt: $leader did not rejoin"
	assert_match "$(srvr "${ADDR[$lh]}")" "Mode: (leader|follower)" "$rt: $leader answers srvr again"
	status_json "$lab"
	assert_eq "$pid/$r" "$(node_field "$leader" '"\(.pid)/\(.restarts)"')" \
		"$rt: after resume, the same process, no restart"
	assert_eq "pause resume" "$(events_of "$lab" | jq -r "select(.subject == \"$leader\" and (.kind == \"pause\" or .kind == \"resume\")) | .kind" | paste -sd ' ')" \
		"$rt: events: the pause and the resume"

	if [ "$rt" = process ]; then
		# a scenario that pauses and ends: chaos puts the node back
		cat >"$TMP/pause.yaml" <<-'EOS'
			steps:
			  - pause: follower
			  - after: 1s
			    wait: quorum
			    timeout: 30s
		EOS
		run "$LABO" chaos -l "$lab" "$TMP/pause.yaml"
		expect_rc 0 "chaos: pause a follower"
		assert_match "$OUT" "pause zoo[0-9] \\(the follower\\): frozen with its sockets" \
			"$rt: chaos plays the pause step"
		assert_match "$OUT" "put back: zoo[0-9] resumed" "$rt: chaos puts the paused node back"
		wait_for "$lab" 60 "three serving after the scenario" \
			"$serving3 and (.faults.paused | length) == 0" || fail "$rt: not whole after chaos"
	fi

	# a host: every node it runs; `resume` alone: every node paused
	h=$(jqs '[.nodes[] | select(.mode == "follower")][0].host')
	n=$(jqs --arg h "$h" '.nodes[] | select(.host == $h) | .name')
	run "$LABO" pause -l "$lab" "$h"
	expect_rc 0 "pause $h"
	assert_contains "$OUT" "1 node of $h paused ($n)" "$rt: pause of a host pauses its node"
	run "$LABO" resume -l "$lab"
	expect_rc 0 "resume (all)"
	assert_contains "$OUT" "1 node resumed ($n)" "$rt: resume without a node resumes every node paused"
	# left paused for down
	run "$LABO" pause -l "$lab" "$n"
	expect_rc 0 "pause $n before down"
}

# The v1 freezer (a machine without cgroup v2's cgroup.freeze, forced with
# LABO_FREEZER_V1): its frozen tasks ignore SIGKILL until thawed, so a
# power-off and down must thaw first.
v1_pass() { # v1_pass LAB
	local lab=$1 n h pid
	wait_for "$lab" 60 "the ensemble serves" "$serving3" || die "v1: no ensemble"
	n=$(jqs '[.nodes[] | select(.mode == "follower")][0].name')
	h=$(node_field "$n" .host)
	pid=$(node_field "$n" .pid)
	run env LABO_FREEZER_V1=1 "$LABO" pause -l "$lab" "$n"
	expect_rc 0 "v1: pause $n"
	assert_eq FROZEN "$(cat "/sys/fs/cgroup/freezer/labo-pause.$lab/$n/freezer.state" 2>&1)" \
		"v1: $n frozen in a v1 freezer cgroup of labo's"
	assert_eq "" "$(srvr "${ADDR[$h]}")" "v1: $n answers nothing"
	run "$LABO" stop -l "$lab" "$h"
	expect_rc 0 "v1: stop $h with $n paused"
	wait_for "$lab" 20 "$h off, $n's pause ended with it" \
		"(.hosts[] | select(.name == \"$h\") | .power) == \"off\" and (.faults.paused | length) == 0" ||
		fail "v1: $h is not off, or $n is still on record as paused"
	[ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != D ] && ok "v1: $n's process is not left frozen" ||
		fail "v1: $n's process is still frozen"
	run "$LABO" start -l "$lab" "$h"
	expect_rc 0 "v1: start $h"
	wait_for "$lab" 60 "three serving again" "$serving3" || fail "v1: $n did not come back"
	status_json "$lab"
	run env LABO_FREEZER_V1=1 "$LABO" pause -l "$lab" "$(node_field "$n" .name)"
	expect_rc 0 "v1: pause $n before down"
}

new_lab LAB 7
F=$(supervised_lab_file "$LAB" zk3.yaml | lab_file "$LAB")
run "$LABO" up --runtime process "$F"
expect_rc 0 "up --runtime process (v1 freezer)" || die "cannot go on"
record_ns "$LAB"
v1_pass "$LAB"
run "$LABO" down "$LAB"
expect_rc 0 "down with a node paused in a v1 freezer"
assert_lab_gone "$LAB"
assert_eq "" "$(find /sys/fs/cgroup -maxdepth 3 -type d -name "labo-pause.$LAB" 2>/dev/null)" \
	"v1: down leaves no freezer cgroup of the lab's"

for rt in process docker; do
	new_lab LAB 7
	F=$(supervised_lab_file "$LAB" zk3.yaml | lab_file "$LAB")
	run "$LABO" up --runtime "$rt" "$F"
	expect_rc 0 "up --runtime $rt" || die "cannot go on"
	record_ns "$LAB"
	T=$EPOCHREALTIME
	pause_resume "$rt" "$LAB"
	say "# $rt: the checks took $(secs_since "$T") s"
	run "$LABO" down "$LAB"
	expect_rc 0 "down with a node paused"
	assert_lab_gone "$LAB"
	[ "$rt" = docker ] && assert_docker_gone "$LAB"
	x=$(find /sys/fs/cgroup -maxdepth 3 -type d -name "labo-pause.$LAB" 2>/dev/null)
	assert_eq "" "$x" "$rt: down leaves no freezer cgroup of the lab's"
done
say "whole test: $(secs_since "$T_TEST") s"
finish
