#!/bin/bash
# Clock skew per node (issue 16), on the seed lab under a name of its own,
# with real ZooKeeper, under the Docker runtime then the process runtime:
#   - before any skew, `date` in a node reads the machine's time;
#   - `labo clock namenode2 +30s`: inside namenode2, `date +%s` and Java's
#     System.currentTimeMillis (a class compiled here with javac 17, run by
#     the node's own JRE) read 30 s +- 1 s ahead of the machine; a JVM
#     started before the skew sees it too (no restart); namenode1 is not
#     skewed; status shows it (text and --json);
#   - `--drift +50000ppm` makes the node's clock gain 0.25 s in 5 s (the
#     supervisor steps it once a second; a rate inside libfaketime would
#     hang the JVM's waits: docs/clock.md), and the JVM's sleeps return;
#   - `reset`: the clock is the machine's again; ZooKeeper still serves;
#   - a scenario's clock step is put back at its end;
#   - down leaves nothing.
# timeout: 300
. "$(dirname "$0")/lib.sh"
need_root
need_json
need_cmd jq jq
need_cmd javac openjdk-17-jdk-headless
need_cmd python3 python3
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
need_docker_lab_tools "labo clock"
T_TEST=$EPOCHREALTIME

javac --release 17 -d "$TMP" "$REPO/tests/integration/clock/Clock.java" || die "javac Clock.java"

# skew_of NODE: what `date +%s.%N` in the node reads, less the machine's
# (both taken around it: their mean)
skew_of() {
	local a b n
	a=$EPOCHREALTIME
	n=$("$LABO" exec "$1" -- date +%s.%N)
	b=$EPOCHREALTIME
	awk -v a="$a" -v b="$b" -v n="$n" 'BEGIN { printf "%.3f\n", n - (a + b) / 2 }'
}
# jskew_of NODE: the same by the node's JVM (System.currentTimeMillis),
# against the machine's wall clock at the JVM's System.nanoTime: the
# machine's CLOCK_MONOTONIC, which neither libfaketime (told not to) nor
# the node (no time namespace) changes. A JVM takes seconds to start here:
# timing it from outside would not do.
jskew_of() {
	local n off
	n=$("$LABO" exec "$1" -- java -cp "$CDIR" Clock 1)
	off=$(python3 -c 'import time; print(repr(time.time() - time.monotonic()))')
	awk -v n="$n" -v off="$off" 'BEGIN { split(n, f, " "); printf "%.3f\n", f[1] / 1000 - (f[2] / 1e9 + off) }'
}
within() { awk -v x="$1" -v w="$2" -v t="$3" 'BEGIN { d = x - w; exit !(d <= t && d >= -t) }'; }

clock() { # clock RUNTIME LAB
	local rt=$1 lab=$2 s j t0 out rate bg
	CDIR=/tmp/labo-t-clock-$lab
	"$LABO" exec namenode2 -- sh -c "mkdir -p $CDIR && cat > $CDIR/Clock.class" <"$TMP/Clock.class"
	[ "$rt" = process ] && defer "rm -rf $CDIR"
	s=$(skew_of namenode2)
	within "$s" 0 1 && ok "$rt: unskewed, date in namenode2 reads the machine's time ($s s)" \
		|| fail "$rt: unskewed, date in namenode2 is $s s off"
	# a JVM running before the skew (its first reading made): 10 readings,
	# 0.5 s apart
	"$LABO" exec namenode2 -- java -cp "$CDIR" Clock 10 >"$TMP/bg.$rt" &
	bg=$!
	for _ in $(seq 50); do [ -s "$TMP/bg.$rt" ] && break; sleep 0.2; done
	t0=$EPOCHREALTIME
	run "$LABO" clock namenode2 +30s
	expect_rc 0 "$rt: labo clock namenode2 +30s"
	s=$(skew_of namenode2)
	within "$s" 30 1 && ok "$rt: date in namenode2 is $s s ahead" || fail "$rt: date in namenode2 is $s s off, not 30"
	j=$(jskew_of namenode2)
	within "$j" 30 1 && ok "$rt: System.currentTimeMillis in namenode2 is $j s ahead" \
		|| fail "$rt: System.currentTimeMillis in namenode2 is $j s off, not 30"
	s=$(skew_of namenode1)
	within "$s" 0 1 && ok "$rt: namenode1 is not skewed ($s s)" || fail "$rt: namenode1 is $s s off"
	wait "$bg"
	# the last reading against the first, on the JVM's monotonic clock: it jumped by 30 s
	out=$(awk 'NR == 1 { m0 = $1; n0 = $2 } END { printf "%.3f\n", ($1 - m0) / 1000 - ($2 - n0) / 1e9 }' "$TMP/bg.$rt")
	within "$out" 30 1 && ok "$rt: a JVM started before the skew saw its clock jump by $out s" \
		|| { fail "$rt: a JVM started before the skew saw its clock move $out s"; indent <"$TMP/bg.$rt"; }
	say "  (seen within $(secs_since "$t0") s of labo clock, the readings 0.5 s apart)"
	status_json "$lab"
	assert_eq "namenode2 30000" "$(jqs '.faults.clocks[] | "\(.node) \(.offset_ms)"')" "$rt: status --json: faults.clocks"
	assert_match "$("$LABO" status "$lab")" "clock namenode2: \\+30s, drift none" "$rt: status: the clock's line"
	# a drift: stepped by the supervisor once a second (docs/clock.md);
	# +50000 ppm gains 0.25 s in 5 s, in steps of 0.05 s
	run "$LABO" clock namenode2 +30s --drift +50000ppm
	expect_rc 0 "$rt: labo clock namenode2 +30s --drift +50000ppm"
	sleep 1.5
	s=$(skew_of namenode2)
	sleep 5
	j=$(skew_of namenode2)
	out=$(awk -v a="$s" -v b="$j" 'BEGIN { printf "%.3f\n", b - a }')
	within "$out" 0.25 0.1 && ok "$rt: with --drift +50000ppm, namenode2 gained $out s in 5 s" \
		|| fail "$rt: with --drift +50000ppm, namenode2 gained $out s in 5 s, not 0.25 +-0.1"
	# the JVM's waits under a drift: readings 0.5 s apart, as many as asked
	out=$("$LABO" exec namenode2 -- timeout 20 java -cp "$CDIR" Clock 4 | wc -l)
	assert_eq 4 "$out" "$rt: a JVM's Thread.sleep under a drift returns (4 readings 0.5 s apart)"
	run "$LABO" clock namenode2 reset
	expect_rc 0 "$rt: labo clock namenode2 reset"
	s=$(skew_of namenode2)
	within "$s" 0 1 && ok "$rt: after reset, namenode2 reads the machine's time ($s s)" \
		|| fail "$rt: after reset, namenode2 is $s s off"
	status_json "$lab"
	assert_eq 0 "$(jqs '.faults.clocks | length')" "$rt: status: no clock skewed after reset"
	# a clock that jumps back 30 s is a fault too: the two servers may
	# elect again (seen once in the process runtime); they must serve
	# again, and the time it takes is said
	if wait_for "$lab" 60 "a quorum after the clock's jumps" '.ensemble.quorum == true'; then
		ok "$rt: ZooKeeper serves after the skews (quorum $WAITED s after the reset)"
	else
		fail "$rt: ZooKeeper has no quorum 60 s after the reset"
		events_of "$lab" | jq -r '"\(.time) \(.kind) \(.subject) \(.message)"' | tail -n 20 | indent
	fi
	# the leader by its role, and what is refused
	run "$LABO" clock -l "$lab" leader +2s
	expect_rc 0 "$rt: labo clock leader +2s"
	status_json "$lab"
	assert_eq "$(jqs '.nodes[] | select(.mode == "leader") | .name') 2000" \
		"$(jqs '.faults.clocks[] | "\(.node) \(.offset_ms)"')" "$rt: the leader's clock is skewed"
	run "$LABO" clock -l "$lab" leader reset
	expect_rc 0 "$rt: labo clock leader reset"
	run "$LABO" clock namenode2 +30
	expect_rc 2 "$rt: an offset without a unit is refused"
	assert_contains "$ERR" "clock offset '+30' is not one" "$rt: and it says the spelling"
	assert_eq "clock clock" "$(events_of "$lab" | jq -r 'select(.verb == "clock") | .verb' | head -n 2 | paste -sd ' ')" \
		"$rt: events: each clock change"
	# a scenario's clock step, put back
	cat >"$TMP/sc.yaml" <<'EOS'
steps:
  - clock: follower
    offset: -5s
  - after: 1s
    wait: quorum
EOS
	run "$LABO" chaos -l "$lab" "$TMP/sc.yaml"
	expect_rc 0 "$rt: chaos with a clock step"
	assert_match "$OUT" "put back: .*'s clock as it was" "$rt: chaos put the clock back"
	status_json "$lab"
	assert_eq 0 "$(jqs '.faults.clocks | length')" "$rt: no clock skewed after the scenario"
}

for rt in docker process; do
	new_lab LAB 6
	F=$(supervised_lab_file "$LAB" seed.yaml | lab_file "$LAB")
	t=$EPOCHREALTIME
	run "$LABO" up --runtime "$rt" "$F"
	expect_rc 0 "up --runtime $rt" || die "cannot go on"
	say "  up took $(secs_since "$t") s"
	record_ns "$LAB"
	clock "$rt" "$LAB"
	run "$LABO" down "$LAB"
	expect_rc 0 "down"
	assert_lab_gone "$LAB"
	[ "$rt" = docker ] && assert_docker_gone "$LAB"
done
say "whole test: $(secs_since "$T_TEST") s"
finish
