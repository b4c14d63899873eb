#!/bin/bash
# netns/etcd3.yaml (issue 13): a 3-member etcd cluster from Debian's
# etcd-server, offline, under both runtimes, with real dockerd and real etcd:
#   - up waits for the cluster (one leader, every member serving);
#   - status shows the members and the leader, verify passes (the steps that
#     apply to etcd);
#   - a key put through one member (Debian's etcdctl, from the machine,
#     through the published ports) is read through another;
#   - killing the leader: a new leader, in status and in the supervisor's
#     events, and the killed member restarted and serving again;
#   - down leaves nothing.
. "$(dirname "$0")/lib.sh"
need_root
need_json
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
need_docker_lab_tools "the etcd3 lab"
command -v etcdctl >/dev/null || die "etcdctl is missing (Debian package etcd-client)"
getent passwd labo-etcd >/dev/null || die "the labo-etcd user is missing (scripts/bootstrap adds it)"

A=(198.51.100.162 198.51.100.163 198.51.100.164)
ctl() { ETCDCTL_API=3 timeout 20 etcdctl --dial-timeout=3s --command-timeout=5s "$@"; }

one_runtime() {
	local runtime=$1 leader new i pid0
	new_lab LAB
	# a restart no sooner than 10 s after a start: the killed leader stays
	# down for longer than an election takes (about 1 s), so that another
	# member leads whatever the supervisor's speed
	F=$(supervised_lab_file "$LAB" etcd3.yaml | sed -e 's/^supervise:$/supervise:\n  min_gap: 10s/' |
		lab_file "$LAB-$runtime")
	grep -q "min_gap: 10s" "$F" || die "the test's supervise block has no line to extend"
	run "$LABO" up --runtime "$runtime" "$F"
	expect_rc 0 "$runtime: labo up etcd3" || { show_run; die "cannot go on"; }
	record_ns "$LAB"
	assert_match "$OUT" "^  quorum .* etcd[123] leads 3 members" "$runtime: up waits for a leader of 3 members"
	status_json "$LAB" || die "status --json failed"
	assert_eq "$(jqs '[.nodes[].service] | unique | join(",")')" "etcd" "$runtime: status: three etcd nodes"
	assert_eq "$(jqs '[.nodes[].mode] | sort | join(",")')" "follower,follower,leader" "$runtime: status: one leader, two followers"
	assert_eq "$(jqs '.ensemble.quorum')" "true" "$runtime: status: the cluster has a quorum"
	leader=$(jqs '.nodes[] | select(.mode == "leader") | .name')
	run "$LABO" verify "$LAB"
	expect_rc 0 "$runtime: verify: every step that applies is done" || show_run

	# a write through member 1, read through member 3
	run ctl --endpoints="http://${A[0]}:2379" put labo-key "through etcd1"
	assert_eq "$OUT" "OK" "$runtime: etcdctl put through etcd1" || show_run
	run ctl --endpoints="http://${A[2]}:2379" get --print-value-only labo-key
	assert_eq "$OUT" "through etcd1" "$runtime: etcdctl get through etcd3 reads it" || show_run

	# the leader killed: a new one, seen in status and events
	pid0=$(jqs ".nodes[] | select(.name == \"$leader\") | .pid")
	run "$LABO" kill "$leader"
	expect_rc 0 "$runtime: labo kill $leader (the leader)"
	wait_for "$LAB" 20 "another member leads" \
		"[.nodes[] | select(.mode == \"leader\") | .name] | (length == 1 and .[0] != \"$leader\")" ||
		fail "$runtime: no new leader after $leader was killed"
	new=$(jqs '.nodes[] | select(.mode == "leader") | .name')
	# the supervisor's own probes come every second: its event may follow
	# the status's direct look by a round
	for i in $(seq 1 30); do
		events_of "$LAB" | jq -r 'select(.kind == "leader" or .kind == "quorum") | .message' |
			grep -q "$new leads" && break
		sleep 0.2
	done
	assert_match "$(events_of "$LAB" | jq -r 'select(.kind == "leader" or .kind == "quorum") | .message' | tr '\n' ' ')" \
		"$new leads" "$runtime: the supervisor's events tell the new leader ($new)"
	wait_for "$LAB" 30 "$leader serves again, restarted" \
		"[.nodes[] | select(.name == \"$leader\") | .mode] | .[0] == \"follower\"" ||
		fail "$runtime: $leader, killed, did not come back as a follower"
	status_json "$LAB"
	[ "$(jqs ".nodes[] | select(.name == \"$leader\") | .pid")" != "$pid0" ] &&
		ok "$runtime: $leader runs again, a new process" || fail "$runtime: $leader has its old pid"
	run ctl --endpoints="http://${A[1]}:2379" get --print-value-only labo-key
	assert_eq "$OUT" "through etcd1" "$runtime: the key survived the leader's death (read through etcd2)"

	run "$LABO" down "$LAB"
	expect_rc 0 "$runtime: down"
	assert_lab_gone "$LAB"
}

one_runtime docker
one_runtime process
finish
