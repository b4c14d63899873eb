#!/bin/bash
# Scenarios and the consistency check on a 3-server ensemble (netns/zk3.yaml
# under a name of its own), real ZooKeeper, with both runtimes:
#   - `labo chaos FILE --check`: the leader killed, then the new leader's
#     host isolated, then healed, while `labo check` writes through every
#     node; every acknowledged write is on every node, in order (exit 0,
#     verdict ok), the timeline shows the outage the isolation causes,
#     the player names who it killed and cut and sees the majority elect
#     a leader among themselves; afterwards no cut is left and the check's
#     znodes are gone;
#   - process runtime only (the mechanics do not depend on the runtime):
#     the check catches a loss for real: an acknowledged znode deleted
#     behind its back with Debian's cli_mt makes it exit 5, naming it;
#     a scenario naming a host the lab lacks is refused with file:line:col
#     and changes nothing; a scenario interrupted by SIGINT puts the lab
#     back (cuts, link settings); check of a lab that is not up exits 4.
# timeout: 420
. "$(dirname "$0")/lib.sh"
need_root
need_json
need_cmd jq jq
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
need_docker_lab_tools "the scenario player and the check"

declare -A ADDR=([zk1]=198.51.100.66 [zk2]=198.51.100.67 [zk3]=198.51.100.68)
T_TEST=$EPOCHREALTIME
serving3='.ensemble.quorum == true and ([.nodes[] | select(.mode == "leader" or .mode == "follower")] | length) == 3'

scenario() { # scenario RUNTIME LAB
	local rt=$1 lab=$2 rep killed cut leader2 t0
	cat >"$TMP/$rt.yaml" <<EOF
lab: $lab
steps:
  - {at: 2s, kill: leader}
  - {wait: all, timeout: 90s}
  - {after: 2s, isolate: leader}
  - {wait: quorum, timeout: 60s}
  - {after: 2s, heal: all}
  - {wait: all, timeout: 90s}
  - {after: 2s, wait: all}
EOF
	wait_for "$lab" 60 "the ensemble serves" "$serving3" || die "no ensemble"
	t0=$EPOCHREALTIME
	run "$LABO" chaos "$TMP/$rt.yaml" --check --json
	expect_rc 0 "$rt: chaos --check of kill leader, isolate leader, heal (in $(secs_since "$t0") s)" || show_run
	say "$rt: what the player printed:"
	printf '%s\n' "$ERR" | indent
	rep=$OUT
	jq -e . >/dev/null <<<"$rep" || die "$rt: the check's report is not JSON: $rep"
	say "$rt: the check's timeline:"
	jq -r '.nodes[] | "\(.name) \(.timeline)"' <<<"$rep" | indent
	assert_eq ok "$(jq -r .verdict <<<"$rep")" "$rt: verdict ok: nothing acknowledged was lost"
	assert_eq 0 "$(jq -r '.lost.missing + .lost.altered + .order_errors.count + .divergent.count' <<<"$rep")" \
		"$rt: no write missing, altered, out of order, or on some nodes only"
	assert_eq "3" "$(jq -r '.verified | length' <<<"$rep")" "$rt: verified on all three nodes"
	assert_eq true "$(jq -r '.writes.acknowledged > 150' <<<"$rep")" \
		"$rt: over 150 writes acknowledged ($(jq -r .writes.acknowledged <<<"$rep"))"
	assert_eq 0 "$(jq -r .writes.failed <<<"$rep")" "$rt: no write failed outright"
	assert_eq "kill leader|isolate leader|heal every cut" "$(jq -r '[.marks[].text] | join("|")' <<<"$rep")" \
		"$rt: the three faults are marked on the timeline"
	assert_eq true "$(jq -r '[.outages[].s] | add > 1' <<<"$rep")" \
		"$rt: the isolation of the leader shows as an outage ($(jq -r '[.outages[].s] | add' <<<"$rep") s)"
	assert_eq true "$(jq -r '[.nodes[].timeline | test("#")] | all' <<<"$rep")" \
		"$rt: every node's timeline has seconds where all its writes were acknowledged"
	killed=$(sed -n 's/.*kill \(zoo[0-9]\) (the leader): SIGKILL sent.*/\1/p' <<<"$ERR")
	cut=$(sed -n "s/.*isolate \(zk[0-9]\) (the leader's host): cut from every other host.*/\1/p" <<<"$ERR")
	leader2=$(sed -n 's/.*quorum: leader \(zoo[0-9]\), 2 of 3 serving with it.*/\1/p' <<<"$ERR")
	assert_match "$killed" '^zoo[123]$' "$rt: the player names the leader it killed ($killed)"
	assert_match "$cut" '^zk[123]$' "$rt: the player names the leader's host it isolated ($cut)"
	assert_match "$leader2" '^zoo[123]$' "$rt: the player sees the two others elect a leader ($leader2)"
	[ -n "$leader2" ] && [ "zk${leader2#zoo}" != "$cut" ] && ok "$rt: the new leader ($leader2) is not on the isolated host ($cut)" ||
		fail "$rt: the new leader ($leader2) is on the isolated host ($cut)"
	assert_contains "$ERR" "heal: 4 cuts removed" "$rt: heal removes the isolation's four cuts"
	# the events tell the scenario: its start, each step, its end, and the
	# faults the steps made, with their arguments
	EV=$(events_of "$lab")
	assert_eq "start kill isolate heal end" \
		"$(jq -r 'select(.kind == "chaos") | if .steps then "start" elif .result then "end" else .action end' <<<"$EV" | tr '\n' ' ' | sed 's/ $//')" \
		"$rt: events: the chaos run's start, its steps and its end"
	assert_match "$(jq -r 'select(.kind == "fault" and .verb == "partition") | .args | join(" ")' <<<"$EV")" \
		"^--isolate $cut\$" "$rt: events: the isolation of $cut, with its arguments"
	assert_eq 1 "$(jq -r 'select(.kind == "fault" and .verb == "heal")' <<<"$EV" | jq -s length)" \
		"$rt: events: the heal"
	status_json "$lab"
	assert_eq 0 "$(jqs '.faults.partitions | length')" "$rt: no cut left after the scenario"
	wait_for "$lab" 60 "all three serving after the scenario" "$serving3" ||
		fail "$rt: the ensemble is not whole after the scenario"
	run timeout 20 "$CLI_MT" "${ADDR[zk1]}:32181" "cmd:ls $(jq -r .root <<<"$rep")"
	assert_contains "$OUT$ERR" "rc = -101" "$rt: the check's znodes are removed once verified (ZNONODE)" || show_run
}

# ---- the check catches a loss, for real ----
loss() { # loss LAB
	local lab=$1 run child i
	"$LABO" check "$lab" --duration 8s --json >"$TMP/loss.json" 2>"$TMP/loss.err" &
	local pid=$!
	for i in $(seq 1 40); do
		sleep 0.25
		run=$(timeout 10 "$CLI_MT" "${ADDR[zk1]}:32181" "cmd:ls /labo-check" 2>&1 | grep -oE "$lab-[0-9T]+-$pid" | head -1)
		[ -n "$run" ] && break
	done
	sleep 2
	child=$(timeout 10 "$CLI_MT" "${ADDR[zk1]}:32181" "cmd:ls /labo-check/$run" 2>&1 | grep -oE 'w[0-9]+-[0-9]{10}' | sort | head -1)
	[ -n "$child" ] || fail "no znode of the check's run ($run) to delete"
	run timeout 10 "$CLI_MT" "${ADDR[zk2]}:32181" "cmd:delete /labo-check/$run/$child"
	assert_contains "$OUT$ERR" "$child: rc = 0" "cli_mt deletes $child behind the check's back" || show_run
	wait "$pid"
	assert_eq 5 "$?" "check exits 5 when an acknowledged write is lost"
	assert_eq lost "$(jq -r .verdict "$TMP/loss.json")" "its verdict is lost"
	assert_eq 1 "$(jq -r .lost.missing "$TMP/loss.json")" "one acknowledged write missing"
	assert_contains "$(jq -r '.lost.examples[0]' "$TMP/loss.json")" "$child" "the report names it"
	assert_eq true "$(jq -r .kept "$TMP/loss.json")" "the run's znodes are kept for inspection"
}

# ---- bad scenarios change nothing; an interrupted one is put back ----
refusals() { # refusals LAB
	local lab=$1 pid
	printf 'lab: %s\nsteps:\n  - stop: nohost\n' "$lab" >"$TMP/bad.yaml"
	run "$LABO" chaos "$TMP/bad.yaml"
	expect_rc 2 "a scenario naming a host the lab lacks"
	assert_contains "$ERR" "$TMP/bad.yaml:3:11: error: lab $lab has no host named 'nohost'" \
		"its error names file:line:col"
	cat >"$TMP/long.yaml" <<EOF
lab: $lab
steps:
  - {at: 1s, partition: [zk1, zk2]}
  - {at: 1500ms, link: zk3, delay: 20ms}
end: 5m
EOF
	"$LABO" chaos "$TMP/long.yaml" >"$TMP/long.out" 2>&1 &
	pid=$!
	for _ in $(seq 1 50); do grep -q "link zk3@" "$TMP/long.out" && break; sleep 0.2; done
	status_json "$lab"
	assert_eq "zk1>zk2 zk2>zk1" "$(jqs '.faults.partitions | map("\(.from)>\(.to)") | join(" ")')" \
		"while it plays, the scenario's partition is there"
	assert_eq 1 "$(jqs '.faults.links | length')" "and its link setting"
	kill -INT "$pid"
	wait "$pid"
	assert_eq 1 "$?" "an interrupted scenario exits 1"
	say "the interrupted scenario printed:"
	indent <"$TMP/long.out"
	assert_contains "$(cat "$TMP/long.out")" "interrupted" "it says it was interrupted"
	status_json "$lab"
	assert_eq 0 "$(jqs '.faults.partitions | length')" "its cuts are healed"
	assert_eq 0 "$(jqs '.faults.links | length')" "its link is as up made it"
	run "$LABO" check "nolab$$"
	expect_rc 4 "check of a lab that is not up"
}

for rt in process docker; do
	new_lab LAB 7
	F=$(supervised_lab_file "$LAB" zk3.yaml | lab_file "$LAB")
	run "$LABO" up --runtime "$rt" "$F"
	expect_rc 0 "up --runtime $rt" || die "cannot go on"
	record_ns "$LAB"
	scenario "$rt" "$LAB"
	if [ "$rt" = process ]; then
		loss "$LAB"
		refusals "$LAB"
	fi
	run "$LABO" down "$LAB"
	expect_rc 0 "down"
	assert_lab_gone "$LAB"
	[ "$rt" = docker ] && assert_docker_gone "$LAB"
done
say "whole test: $(secs_since "$T_TEST") s"
finish
