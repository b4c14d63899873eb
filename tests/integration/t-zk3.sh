#!/bin/bash
# A three-server ZooKeeper ensemble (netns/zk3.yaml) with real dockerd and
# real ZooKeeper, under a lab name of its own: up; status, JSON and human
# (3 Docker hosts running in a ready Swarm, 3 nodes, one leader and two
# followers, a quorum that tolerates one failure, no two-server warning);
# one follower killed: the two others still serve (status, and a ZooKeeper
# client writing through one and reading through the other); the leader
# killed too: no quorum, the last server "not serving"; down leaving
# nothing (no namespace, interface, daemon, container, cgroup, state, mount).
# The lab's supervisor has restart off: it reports the deaths
# (events, status) and restarts nothing.
#
# The containers are killed from the test with the docker CLI on the host's
# daemon socket, as `labo status --json` gives it (labo itself has no docker
# CLI; a test may use one).
#
# zk3's segment, 198.51.100.64/27, has a root address: while another lab on
# the machine uses an overlapping subnet (the seed's 198.51.100.0/24, say),
# `labo up` refuses, and this test FAILS with up's message. A missing
# dockerd or docker CLI, JDK, busybox-static or zookeeper-bin is a failure
# too, never a skip.
. "$(dirname "$0")/lib.sh"
need_root
need_json

CLI_MT=/usr/lib/zookeeper/bin/cli_mt
SEGMENT=net # zk3.yaml's one segment: the root interface is "<lab>-net"

# ---- prerequisites, all reported at once ----
need_docker_lab_tools "netns/zk3.yaml"

# ---- the lab: zk3 under a name of its own ----
# The root interface "<lab>-net" must fit IFNAMSIZ-1 = 15 bytes: new_lab's
# default 7 characters leave room ("t1a2b3c-net", 11 bytes).
new_lab LAB 7
[ $((${#LAB} + 1 + ${#SEGMENT})) -le 15 ] || die "root interface $LAB-$SEGMENT would not fit 15 bytes"
# Killed nodes must stay down here: the supervisor watches and reports,
# and restarts nothing (`restart: false`; t-supervise-* test restarts).
F=$( (sed -e "s/^lab: zk3\$/lab: $LAB/" "$REPO/netns/zk3.yaml"; printf 'supervise: {restart: false}\n') | lab_file "$LAB")
grep -qx "lab: $LAB" "$F" || die "netns/zk3.yaml has no line 'lab: zk3' to rename"
grep -qE "^  $SEGMENT:\$" "$F" || die "netns/zk3.yaml has no segment '$SEGMENT' (the test names the root interface after it)"

declare -A HOST_OF=([zoo1]=zk1 [zoo2]=zk2 [zoo3]=zk3)
declare -A ADDR_OF=([zk1]=198.51.100.66 [zk2]=198.51.100.67 [zk3]=198.51.100.68)
declare -A ZADDR_OF=([zoo1]=10.0.0.1 [zoo2]=10.0.0.2 [zoo3]=10.0.0.3)

TIMINGS=()
T_TEST=$EPOCHREALTIME

# ---- helpers ----

# status_now: `labo status --json` of the lab as docker_summary lines, in
# $SUM (empty, and returns 1, if status fails or its JSON is not valid).
status_now() {
	local json
	SUM=""
	json=$("$LABO" status --json "$LAB" 2>"$TMP/.status.err") || return 1
	SUM=$(printf '%s\n' "$json" | docker_summary) || {
		SUM=""
		return 1
	}
}

# wait_status SECS WHAT ERE...: polls the JSON status (every 0.2 s, SECS at
# most) until every ERE matches a line of the summary. $SUM holds the last
# summary; says how long it took. Returns 1 on timeout (the caller asserts
# on $SUM, which shows what did not come).
wait_status() {
	local secs=$1 what=$2 t0=$EPOCHREALTIME deadline ere all
	shift 2
	deadline=$(awk -v a="$t0" -v s="$secs" 'BEGIN { printf "%.3f", a + s }')
	say "+ $LABO status --json $LAB (until $what, ${secs} s at most)"
	while :; do
		all=1
		if status_now; then
			for ere in "$@"; do
				printf '%s\n' "$SUM" | grep -Eq -- "$ere" || {
					all=0
					break
				}
			done
		else
			all=0
		fi
		if [ "$all" -eq 1 ]; then
			say "  $what after $(secs_since "$t0") s"
			return 0
		fi
		if awk -v d="$deadline" -v n="$EPOCHREALTIME" 'BEGIN { exit !(n > d) }'; then
			say "  not $what after $(secs_since "$t0") s"
			[ -z "$SUM" ] && say "  (status failed: $(cat "$TMP/.status.err"))"
			return 1
		fi
		sleep 0.2
	done
}

# node_mode NAME: NAME's ZooKeeper mode in $SUM ("leader", "not serving"...)
node_mode() {
	printf '%s\n' "$SUM" | sed -nE "s/^node $1 [^ ]+ [^ ]+ [^ ]+ (.*) ports .*\$/\\1/p"
}
# node_field NAME N: the Nth field of NAME's node line in $SUM (5: container)
node_field() {
	printf '%s\n' "$SUM" | awk -v n="$1" -v f="$2" '$1 == "node" && $2 == n { print $f }'
}
# host_socket HOST: the Docker socket of HOST in $SUM
host_socket() {
	printf '%s\n' "$SUM" | awk -v h="$1" '$1 == "docker" && $2 == h { print $8 }'
}

# dkill NODE: kills NODE's container with the docker CLI, through the
# socket `labo status --json` gives for NODE's host.
dkill() {
	local node=$1 host=${HOST_OF[$1]} sock
	sock=$(host_socket "$host")
	[ -S "$sock" ] || {
		fail "no Docker socket for $host in the status (got '$sock'): cannot kill $node"
		return 1
	}
	run timeout 20 env -u DOCKER_HOST -u DOCKER_CONTEXT docker -H "unix://$sock" kill "$node"
	expect_rc 0 "docker -H unix://$sock kill $node" && assert_eq "$node" "$OUT" "docker kill names $node"
}

# zk_write_read WHAT W R: a ZooKeeper client in the root namespace creates
# a znode through node W's published client port and lists it through R's.
# (cli_mt writes its results to stderr and exits 0 whatever happens.)
zk_write_read() {
	local what=$1 w=${ADDR_OF[${HOST_OF[$2]}]} r=${ADDR_OF[${HOST_OF[$3]}]} znode i
	znode=/labo-zk3-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	run timeout 20 "$CLI_MT" "$w:32181" "cmd:create $znode"
	assert_contains "$OUT$ERR" "[$znode]: rc = 0" "$what: cli_mt creates $znode through $2 ($w:32181)" || show_run
	# a write acknowledged by the quorum reaches the other server's reads a
	# moment later at most
	for i in 1 2 3 4 5 6 7 8 9 10; do
		run timeout 20 "$CLI_MT" "$r:32181" "cmd:ls /"
		printf '%s\n' "$OUT$ERR" | grep -qx "[[:space:]]*${znode#/}" && break
		sleep 0.3
	done
	assert_match "$OUT$ERR" "^[[:space:]]*${znode#/}\$" "$what: cli_mt lists ${znode#/} through $3 ($r:32181)" || show_run
}

# ==== up ====
t0=$EPOCHREALTIME
run "$LABO" up "$F"
secs=$(secs_since "$t0")
TIMINGS+=("up: ${secs} s")
say "timing: up took $secs s"
if [ "$RC" -ne 0 ]; then
	show_run
	case $ERR in
	*"already has 198.51.100."* | *"already routes 198.51.100."*)
		die "another lab on this machine uses a subnet overlapping zk3's 198.51.100.64/27, so \`labo up\` refuses: $(printf '%s\n' "$ERR" | grep -m1 'already') (\`labo ls\`; bring that lab down and run again)" ;;
	esac
	die "\`labo up\` of netns/zk3.yaml ($LAB) failed: cannot go on"
fi
ok "up of zk3 ($LAB): exit status 0"
record_ns "$LAB"
assert_match "$OUT" "^  daemons .* 3 dockerd answering" "up: the daemons stage counts 3 dockerd"
assert_match "$OUT" "^  swarm .* 3 nodes joined" "up: the swarm stage counts 3 nodes"
assert_match "$OUT" "^  containers .* 3 started" "up: the containers stage counts 3 containers"
assert_match "$OUT" "^  quorum .* zoo[123] leads 3 servers" "up: the quorum stage names the leader of 3 servers"
assert_match "$OUT" "lab $LAB is up" "up says the lab is up"

# ==== status: all three serving ====
# (up returns once every server is leader or follower: no waiting here)
run "$LABO" status --json "$LAB"
expect_rc 0 "status --json" || die "cannot go on without the status"
SUM=$(printf '%s\n' "$OUT" | docker_summary) || {
	printf '%s\n' "$OUT" | indent
	die "status --json is not valid JSON of the documented shape"
}
say "  status summary:"
printf '%s\n' "$SUM" | indent
assert_match "$SUM" "^state up\$" "status: state up"
assert_match "$SUM" "^docker zk1 manager running pid [0-9]+ socket [^ ]+ log [^ ]+ swarm ready manager leader true\$" \
	"status: zk1's dockerd running, swarm ready, manager and leader"
for h in zk2 zk3; do
	assert_match "$SUM" "^docker $h worker running pid [0-9]+ socket [^ ]+ log [^ ]+ swarm ready worker leader (false|null)\$" \
		"status: $h's dockerd running, swarm ready, a worker"
done
assert_eq 3 "$(printf '%s\n' "$SUM" | grep -cE '^docker [^ ]+ [^ ]+ running .* swarm ready ')" \
	"status: 3 Docker hosts running with Swarm ready"
while read -r _ host _ _ _ pid _ sock _; do
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] ||
		fail "status: $host's docker.pid $pid is not a running dockerd"
	[ -S "$sock" ] || fail "status: $host's socket $sock is not a socket"
done < <(printf '%s\n' "$SUM" | grep '^docker ')
for n in zoo1 zoo2 zoo3; do
	a=${ADDR_OF[${HOST_OF[$n]}]}
	assert_match "$SUM" "^node $n ${HOST_OF[$n]} ${ZADDR_OF[$n]//./\\.} running (leader|follower) ports $a:32181->2181,$a:33888->3888,$a:22888->2888\$" \
		"status: $n running on ${HOST_OF[$n]} at ${ZADDR_OF[$n]}, serving, its ports on $a"
done
assert_eq 3 "$(printf '%s\n' "$SUM" | grep -c '^node [^ ]* [^ ]* [^ ]* running ')" "status: 3 nodes running"
LEADER="" FOLLOWERS=()
for n in zoo1 zoo2 zoo3; do
	case $(node_mode "$n") in
	leader) LEADER+="${LEADER:+ }$n" ;;
	follower) FOLLOWERS+=("$n") ;;
	esac
done
modes="zoo1 $(node_mode zoo1), zoo2 $(node_mode zoo2), zoo3 $(node_mode zoo3)"
[[ "$LEADER" == zoo? ]] && [ ${#FOLLOWERS[@]} -eq 2 ] ||
	die "status: expected exactly one leader and two followers, got: $modes"
ok "status: exactly one leader ($LEADER) and two followers (${FOLLOWERS[*]})"
assert_match "$SUM" "^ensemble servers 3 quorum true leader $LEADER tolerates 1\$" \
	"status: ensemble of 3, quorum, leader $LEADER, tolerates 1"

run "$LABO" status "$LAB"
expect_rc 0 "status $LAB" && {
	assert_match "$OUT" "^lab $LAB: up" "status: the lab is up"
	assert_contains "$OUT" "ensemble: $LEADER leads; 3 of 3 servers serving; quorum yes, survives 1 more failure" \
		"status: 3 of 3 serving, quorum, leader $LEADER, survives 1 more failure"
	assert_not_contains "$OUT" "with two servers" "status does not print the two-server warning"
	assert_not_contains "$OUT" "warning" "status prints no warning at all"
}
zk_write_read "all three up" "${FOLLOWERS[0]}" "${FOLLOWERS[1]}"

# ==== one follower killed: the two others still serve ====
F1=${FOLLOWERS[0]} F2=${FOLLOWERS[1]}
say "# killing follower $F1 (on ${HOST_OF[$F1]})"
dkill "$F1"
t0=$EPOCHREALTIME
wait_status 10 "$F1 down, quorum kept" \
	"^node $F1 .* down ports " "^node $LEADER .* leader ports " "^node $F2 .* follower ports " \
	"^ensemble servers 3 quorum true "
TIMINGS+=("follower kill seen: $(secs_since "$t0") s")
printf '%s\n' "$SUM" | grep -E '^(state|node|ensemble) ' | indent
assert_eq down "$(node_mode "$F1")" "after killing $F1: its mode is down"
assert_eq exited "$(node_field "$F1" 5)" "after killing $F1: its container exited"
assert_eq leader "$(node_mode "$LEADER")" "after killing $F1: $LEADER still leads"
assert_eq follower "$(node_mode "$F2")" "after killing $F1: $F2 still follows"
assert_match "$SUM" "^ensemble servers 3 quorum true leader $LEADER tolerates 0\$" \
	"after killing $F1: ensemble quorum true, leader $LEADER, tolerates no more failure"
assert_match "$SUM" "^state degraded\$" "after killing $F1: the lab is degraded (a server is down)"
run "$LABO" status "$LAB"
expect_rc 0 "status after killing $F1" && {
	assert_contains "$OUT" "ensemble: $LEADER leads; 2 of 3 servers serving; quorum yes, survives 0 more failures (warning: one more failure stops the ensemble)" \
		"status: 2 of 3 serving, quorum yes, leader $LEADER, warns that one more failure stops it"
	assert_match "$OUT" "^node $F1 +exited .*: down\$" "status: $F1 exited, down"
}
zk_write_read "after killing $F1" "$F2" "$LEADER"
# the supervisor saw it, and (restart: false) left it down
sup=$("$LABO" status --json "$LAB" | jq -r --arg n "$F1" '.nodes[] | select(.name == $n) | "\(.supervision.state)|\(.supervision.last_exit)|\(.restarts)"')
assert_eq "down (restart off)|exit 137 (SIGKILL)|0" "$sup" "the supervisor reports $F1 dead, left down (restart off), never restarted"
assert_match "$("$LABO" events --json -n 100 --no-follow "$LAB")" "\"kind\":\"died\",\"subject\":\"$F1\",\"message\":\"exited \\(exit 137 \\(SIGKILL\\)\\); restart is off\"" \
	"events: $F1 died, restart is off"

# ==== the leader killed too: no quorum ====
say "# killing leader $LEADER (on ${HOST_OF[$LEADER]})"
dkill "$LEADER"
t0=$EPOCHREALTIME
wait_status 15 "$F2 not serving, no quorum" \
	"^node $LEADER .* down ports " "^node $F2 .* not serving ports " "^ensemble servers 3 quorum false "
TIMINGS+=("leader kill seen: $(secs_since "$t0") s")
printf '%s\n' "$SUM" | grep -E '^(state|node|ensemble) ' | indent
assert_eq down "$(node_mode "$LEADER")" "after killing $LEADER: its mode is down"
assert_eq down "$(node_mode "$F1")" "after killing $LEADER: $F1 still down"
assert_eq "not serving" "$(node_mode "$F2")" "after killing $LEADER: $F2, alone, is not serving"
assert_eq running "$(node_field "$F2" 5)" "after killing $LEADER: $F2's container still runs"
assert_match "$SUM" "^ensemble servers 3 quorum false leader null tolerates 0\$" \
	"after killing $LEADER: ensemble quorum false, no leader"
run "$LABO" status "$LAB"
expect_rc 0 "status after killing $LEADER" && {
	assert_contains "$OUT" "ensemble: no quorum: no server leads" "status: 0 of 3 serving (the last one is up but not serving), quorum NO, leader none"
	assert_match "$OUT" "^node $F2 +running .*: not serving\$" "status: $F2 running, not serving"
}

# ==== down ====
t0=$EPOCHREALTIME
run "$LABO" down "$LAB"
secs=$(secs_since "$t0")
TIMINGS+=("down: ${secs} s")
say "timing: down took $secs s"
expect_rc 0 "down" && assert_contains "$OUT" "lab $LAB is down" "down says the lab is down"
if awk -v s="$secs" 'BEGIN { exit !(s < 10) }'; then
	ok "down took $secs s (< 10 s)"
else
	fail "down took $secs s (10 s at most expected)"
fi
assert_lab_gone "$LAB"
assert_docker_gone "$LAB"

say "timings: ${TIMINGS[*]/%/;} whole test $(secs_since "$T_TEST") s"
finish
