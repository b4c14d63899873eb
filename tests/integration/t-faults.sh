#!/bin/bash
# Faults on a 3-server ensemble (netns/zk3.yaml under a name of its own),
# with real dockerd and ZooKeeper, then again under the process runtime:
#   - `partition --isolate` of the leader's host: the two others elect a
#     new leader and take writes; the isolated server stops serving; no
#     packet passes between it and the others (ping), the machine still
#     reaches it; `heal`: all three serve, the write is on every server;
#   - `partition A B --oneway` is one cut, A to B; `heal A B` removes it;
#   - `stop HOST`: its processes end, its links go down, the status says
#     so and nothing restarts them; `start HOST`: its daemon and node come
#     back under the supervisor, the node serves again;
#   - `kill NODE --signal TERM`: the node ends on SIGTERM and is restarted;
#   - down removes everything (the rules live in the lab's namespaces).
# timeout: 480
. "$(dirname "$0")/lib.sh"
need_root
need_json
need_cmd jq jq
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
need_docker_lab_tools "the fault verbs"

declare -A ADDR=([zk1]=198.51.100.66 [zk2]=198.51.100.67 [zk3]=198.51.100.68)
T_TEST=$EPOCHREALTIME
node_field() { jqs --arg n "$1" ".nodes[] | select(.name == \$n) | $2"; }
host_of() { jqs --arg n "$1" '.nodes[] | select(.name == $n) | .host'; }
node_on() { jqs --arg h "$1" '.nodes[] | select(.host == $h) | .name'; }
serving3='.ensemble.quorum == true and .supervisor.ensemble.quorum == true and ([.nodes[] | select(.mode == "leader" or .mode == "follower")] | length) == 3'

faults() { # faults RUNTIME LAB: every check, on a lab that is up
	local rt=$1 lab=$2 leader lh other a b h n r znode
	status_json "$lab" || die "no status"
	wait_for "$lab" 30 "the ensemble serves" "$serving3" || die "no ensemble"
	leader=$(jqs '.nodes[] | select(.mode == "leader") | .name')
	lh=$(host_of "$leader")
	other=$(jqs --arg h "$lh" '[.hosts[] | select(.name != $h) | .name][0]')
	say "# $rt: isolating $lh (its node $leader leads)"
	run "$LABO" partition --isolate "$lh"
	expect_rc 0 "partition --isolate $lh"
	wait_for "$lab" 60 "a new leader among the two others, $leader not serving" \
		"(.nodes[] | select(.name == \"$leader\") | .mode) == \"not serving\" and ([.nodes[] | select(.mode == \"leader\")] | length) == 1 and ([.nodes[] | select(.mode == \"follower\")] | length) == 1 and .ensemble.quorum == true" ||
		fail "$rt: the majority did not elect a new leader while $lh was isolated"
	assert_match "$(jqs '.faults.partitions | map("\(.from)>\(.to)") | join(" ")')" "$lh>$other" \
		"$rt: status lists the cuts of $lh"
	run "$LABO" exec -l "$lab" "$lh" -- ping -c 1 -W 1 "${ADDR[$other]}"
	expect_rc 1 "$rt: no ping from $lh to $other while it is isolated"
	run ping1 "$lab-net" "${ADDR[$lh]}"
	expect_rc 0 "$rt: the machine still reaches $lh"
	znode=/labo-fault-$rt-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	zk_create "${ADDR[$other]}:32181" "$znode"
	run "$LABO" heal -l "$lab"
	expect_rc 0 "heal"
	wait_for "$lab" 60 "all three serving after heal" "$serving3 and (.faults.partitions | length) == 0" ||
		fail "$rt: the ensemble did not come back whole after heal"
	zk_has "${ADDR[$lh]}:32181" "$znode" "$rt: after heal, through the formerly isolated $lh, cli_mt"
	run "$LABO" exec -l "$lab" "$lh" -- ping -c 1 -W 2 "${ADDR[$other]}"
	expect_rc 0 "$rt: ping from $lh to $other after heal"

	# ---- one way ----
	a=zk1 b=zk2
	run "$LABO" partition -l "$lab" "$a" "$b" --oneway
	expect_rc 0 "partition $a $b --oneway"
	status_json "$lab"
	assert_eq "$a>$b" "$(jqs '.faults.partitions | map("\(.from)>\(.to)") | join(" ")')" \
		"$rt: a one-way partition is one cut, $a to $b"
	run "$LABO" heal -l "$lab" "$b" "$a"
	expect_rc 0 "heal $b $a"
	assert_contains "$OUT" "1 cut removed" "$rt: heal removes it, whichever order the hosts come in"

	# ---- power ----
	h=$(jqs '[.nodes[] | select(.mode == "follower")][0].host')
	n=$(node_on "$h")
	r=$(node_field "$n" .restarts)
	say "# $rt: powering $h off"
	run "$LABO" stop "$h"
	expect_rc 0 "stop $h"
	wait_for "$lab" 20 "$h off, $n down, two serving" \
		"(.hosts[] | select(.name == \"$h\") | .power) == \"off\" and (.nodes[] | select(.name == \"$n\") | .supervision.state) == \"powered off\" and .ensemble.serving == 2" ||
		fail "$rt: $h is not shown powered off"
	assert_eq down "$(jqs --arg h "$h" '.hosts[] | select(.name == $h) | .interfaces[0].state')" \
		"$rt: $h's link is down"
	[ "$rt" = docker ] && assert_eq down "$(jqs --arg h "$h" '.hosts[] | select(.name == $h) | .docker.state')" \
		"$rt: $h's daemon is down"
	sleep 3
	status_json "$lab"
	assert_eq "powered off" "$(node_field "$n" .supervision.state)" "$rt: nothing restarts $n while $h is off"
	run "$LABO" start "$h"
	expect_rc 0 "start $h"
	# a restarted Docker host's published port was once seen refused for
	# ~100 s: the dead run's container namespaces outlived it with their
	# ports on docker_gwbridge, which labo clears before a dockerd starts
	# since issue 9
	wait_for "$lab" 180 "$h on and $n serving again" \
		"$serving3 and (.hosts[] | select(.name == \"$h\") | .power) == \"on\" and (.nodes[] | select(.name == \"$n\") | .restarts) > $r" ||
		fail "$rt: $n did not come back with $h"
	assert_match "$(events_of "$lab")" "\"kind\":\"power\",\"subject\":\"$h\",\"message\":\"powered on" \
		"$rt: events: $h powered on"

	# ---- a signal ----
	r=$(node_field "$n" .restarts)
	run "$LABO" kill -l "$lab" "$n" --signal TERM
	expect_rc 0 "kill $n --signal TERM"
	wait_for "$lab" 60 "$n restarted after SIGTERM" \
		"$serving3 and (.nodes[] | select(.name == \"$n\") | .restarts) == $r + 1" ||
		fail "$rt: $n was not restarted after SIGTERM"
	assert_match "$(node_field "$n" .supervision.last_exit)" "^exit 143 \\(SIGTERM\\)\$" \
		"$rt: $n ended on SIGTERM (exit 143)"

	# ---- a link, a restart; then every fault verb is in the events ----
	run "$LABO" link -l "$lab" "$h" --delay 20ms
	expect_rc 0 "link $h --delay 20ms"
	run "$LABO" link reset -l "$lab"
	expect_rc 0 "link reset"
	r=$(node_field "$n" .restarts)
	run "$LABO" restart -l "$lab" "$n"
	expect_rc 0 "restart $n"
	wait_for "$lab" 60 "$n restarted by labo restart" \
		"$serving3 and (.nodes[] | select(.name == \"$n\") | .restarts) > $r" ||
		fail "$rt: $n was not restarted"
	EV=$(events_of "$lab")
	verbs=" $(jq -r 'select(.verb != null) | .verb' <<<"$EV" | sort -u | tr '\n' ' ')"
	for v in partition heal stop start kill link restart; do
		assert_contains "$verbs" " $v " "$rt: events tell \`labo $v\`"
	done
	assert_eq "--isolate $lh|$a $b --oneway" \
		"$(jq -r 'select(.verb == "partition") | .args | join(" ")' <<<"$EV" | paste -sd '|')" \
		"$rt: events: each partition with its arguments"
	assert_match "$(jq -r 'select(.verb == "link") | .message' <<<"$EV" | head -n 1)" \
		"^link $h@net: .*20(\\.0)? ?ms" "$rt: events: the link's delay"
	assert_eq true "$(jq -r 'select(.verb != null) | .time | test("^[0-9]{4}-")' <<<"$EV" | sort -u)" \
		"$rt: events: every fault has its time"
}

for rt in docker process; do
	new_lab LAB 7
	F=$(supervised_lab_file "$LAB" zk3.yaml | lab_file "$LAB")
	run "$LABO" up --runtime "$rt" "$F"
	expect_rc 0 "up --runtime $rt" || die "cannot go on"
	record_ns "$LAB"
	faults "$rt" "$LAB"
	run "$LABO" down "$LAB"
	expect_rc 0 "down"
	assert_lab_gone "$LAB"
	[ "$rt" = docker ] && assert_docker_gone "$LAB"
done
say "whole test: $(secs_since "$T_TEST") s"
finish
