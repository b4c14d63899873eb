#!/bin/bash
# `labo verify`: the tutorial's steps over a real Docker lab (two hosts, a
# Swarm, the overlay, two ZooKeeper containers publishing the seed's ports).
# On today's image every step is done but ssh (no sshd yet: done or not yet
# with its hint, whichever the image gives); the whole verify is quick.
# Then something is broken and the step says so with the tutorial's
# command: a node's myid removed (and put back by running the hint itself),
# a node killed (the supervisor told not to restart it). And the trainer's
# view: with two labs up and none named, one line a lab.
# timeout: 240
. "$(dirname "$0")/lib.sh"
need_root
need_json
need_cmd jq jq
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
need_docker_lab_tools "a Docker lab to verify"

new_lab LAB 7
F=$(lab_file "$LAB" <<EOF2
lab: $LAB
segments:
  net:
    subnet: 198.51.100.160/28
hosts:
  h1:
    docker: manager
    links: [{segment: net, address: 198.51.100.162}]
  h2:
    docker: worker
    links: [{segment: net, address: 198.51.100.163}]
overlay:
  name: weave
  subnet: 10.0.0.0/24
nodes:
  n1: {host: h1, address: 10.0.0.1, service: zookeeper, ports: [32181:2181, 33888:3888, 22888:2888]}
  n2: {host: h2, address: 10.0.0.2, service: zookeeper, ports: [32181:2181, 33888:3888, 22888:2888]}
supervise:
  restart: false
EOF2
)

# verify_json WHEN: V holds `labo verify --json LAB`, VRC its status
verify_json() {
	local t0=$EPOCHREALTIME
	run timeout 30 "$LABO" verify --json "$LAB"
	VRC=$RC
	V=$OUT
	say "timing: verify ($1) took $(secs_since "$t0") s"
	printf '%s\n' "$V" | jq -e . >/dev/null 2>&1 || {
		show_run
		fail "verify --json ($1) is not JSON"
		V='{}'
	}
}
# step ID FIELD: that field of that step in $V
step() { printf '%s\n' "$V" | jq -r --arg id "$1" ".checks[] | select(.id == \$id) | .$2"; }

run "$LABO" up "$F"
expect_rc 0 "up of a two-node Docker lab" || die "cannot go on"
record_ns "$LAB"

# ==== all done but ssh on today's image ====
t0=$EPOCHREALTIME
verify_json "all up"
took=$(secs_since "$t0")
for id in docker swarm overlay containers ping java myid servers running roles; do
	assert_eq done "$(step $id state)" "all up: step $id is done ($(step $id detail))"
done
assert_eq "docker swarm overlay containers ping ssh java myid servers running roles" \
	"$(printf '%s\n' "$V" | jq -r '[.checks[].id] | join(" ")')" "the eleven steps, in the tutorial's order"
assert_eq "Docker answers on h1 and h2" "$(step docker detail)" "docker's detail names the hosts"
assert_eq "2 nodes, all Ready (manager h1)" "$(step swarm detail)" "swarm's detail"
assert_eq "weave, 10.0.0.0/24, on h1" "$(step overlay detail)" "overlay's detail"
case $(step ssh state) in
done) ok "ssh is done (the image has an sshd and keys)" ;;
not-yet)
	assert_match "$(step ssh hint)" "^on n1: ssh-keygen -t rsa, then ssh-copy-id -i ~/.ssh/id_rsa.pub root@n2\$|an sshd in n2" \
		"ssh not yet: the hint is the tutorial's, in the lab's names"
	assert_eq "10 11 false" "$(printf '%s\n' "$V" | jq -r '"\(.done) \(.steps) \(.ok)"')" "10 of 11 done"
	assert_eq 1 "$VRC" "verify exits 1 while a step is not done"
	;;
*) fail "ssh is $(step ssh state)" ;;
esac
awk -v t="$took" 'BEGIN { exit !(t < 2.0) }' || fail "verify of a healthy lab took $took s (want < 2 s)"
run "$LABO" verify "$LAB"
assert_match "$OUT" "^labo verify $LAB: 1[01] of 11 steps done\$" "the text's head line"
assert_match "$OUT" "^  done     ping        n1 -> n2 answers\$" "the text's ping line"

# ==== n1's myid removed: the step says so, and its hint puts it back ====
run "$LABO" exec -l "$LAB" n1 -- rm -f /var/lib/zookeeper/myid /data/myid
expect_rc 0 "rm n1's myid"
verify_json "n1's myid removed"
assert_eq not-yet "$(step myid state)" "myid removed: not yet"
assert_match "$(step myid detail)" "^n1 has no myid" "myid removed: the detail names n1"
HINT=$(step myid hint)
assert_match "$HINT" "^on n1: echo 1 > /.*/myid\$" "myid removed: the hint is the tutorial's echo 1 > .../myid"
assert_eq done "$(step running state)" "myid removed: ZooKeeper still answers (it read its myid at start)"
run "$LABO" exec -l "$LAB" n1 -- sh -c "${HINT#on n1: }"
expect_rc 0 "the hint run in n1"
verify_json "the hint run"
assert_eq done "$(step myid state)" "after the hint: myid done again"

# ==== n2 killed (not restarted: restart: false) ====
run "$LABO" kill -l "$LAB" n2
expect_rc 0 "kill n2"
sleep 0.5
verify_json "n2 killed"
assert_eq 1 "$VRC" "n2 killed: verify exits 1"
assert_eq not-yet "$(step containers state)" "n2 killed: containers not yet"
assert_match "$(step containers detail)" "^the container of n2 is " "n2 killed: the detail names n2"
assert_match "$(step containers hint)" "^on h2: weave run 10\\.0\\.0\\.2/24 --name n2 -d -P -p 32181:2181" \
	"n2 killed: the hint is weave run with n2's address, name and ports"
assert_eq not-yet "$(step running state)" "n2 killed: running not yet"
assert_eq "on n2: zkServer.sh start" "$(step running hint)" "n2 killed: zkServer.sh start on n2"
assert_eq not-yet "$(step roles state)" "n2 killed: roles not yet (no quorum of 2)"
assert_eq done "$(step docker state)" "n2 killed: docker still done"

# ==== two labs up, none named: one line each ====
new_lab BARE 7
FB=$(lab_file "$BARE" <<EOF2
lab: $BARE
segments:
  net:
    subnet: 198.51.100.176/28
hosts:
  b1:
    links: [{segment: net, address: 198.51.100.178}]
EOF2
)
run "$LABO" up "$FB"
expect_rc 0 "up of a bare lab" || die "cannot go on"
record_ns "$BARE"
# only our two labs may be up for the no-name form; else --all says the same
if [ "$("$LABO" ls --json | jq length)" -eq 2 ]; then
	run env -u LABO_LAB timeout 30 "$LABO" verify
else
	run timeout 30 "$LABO" verify --all
fi
assert_eq 1 "$RC" "several labs: exit 1 while one is not done"
assert_match "$OUT" "^$LAB +[0-9]+/11 +next: containers \\(the container of n2 is [a-z]+\\)\$" \
	"several labs: $LAB's line names its next step"
assert_match "$OUT" "^$BARE +0/0 +all done\$" "several labs: the bare lab's line (nothing applies)"
run timeout 30 "$LABO" verify --all --json
assert_eq "2" "$(printf '%s\n' "$OUT" | jq "[.[] | select(.lab == \"$LAB\" or .lab == \"$BARE\")] | length")" \
	"--all --json: an array with both labs"

finish
