#!/bin/bash
# `service: shell` nodes and `after:` (issue 13), with real dockerd: the
# tutorial's ubuntu-sshd stand-in (sshd and the tools, no ZooKeeper), and a
# start order honoured by up:
#   - three shell nodes, s3 after s2 after s1: up starts them in three waves,
#     each container started only once the one before it answered on its
#     sshd (Docker's own StartedAt times, in order and apart);
#   - each is healthy in status (its sshd answers), runs no ZooKeeper, and
#     root's keys are exchanged: ssh from s1 to s3 asks for nothing;
#   - verify: the steps that apply (ping, ssh) are done, ZooKeeper's are n/a;
#   - a killed shell node is restarted and healthy again.
. "$(dirname "$0")/lib.sh"
need_root
need_json
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
need_docker_lab_tools "shell nodes"

new_lab LAB
F=$(lab_file "$LAB" <<EOL
lab: $LAB
segments:
  net: {subnet: 198.51.100.112/28, root: 198.51.100.113}
hosts:
  h1:
    docker: manager
    links: [{segment: net, address: 198.51.100.114}]
overlay: {name: weave, subnet: 10.0.0.0/24}
supervise:
  backoff: {initial: 200ms, max: 2s}
nodes:
  s1: {host: h1, address: 10.0.0.1, service: shell}
  s2: {host: h1, address: 10.0.0.2, service: shell, after: [s1]}
  s3: {host: h1, address: 10.0.0.3, service: shell, after: [s2]}
EOL
)
run "$LABO" up "$F"
expect_rc 0 "labo up (three shell nodes, s3 after s2 after s1)" || { show_run; die "cannot go on"; }
record_ns "$LAB"
assert_match "$OUT" "^  containers .*3 started, in 3 waves \\(after:\\)" "up starts the nodes in 3 waves"
status_json "$LAB" || die "status --json failed"
assert_eq "$(jqs '[.nodes[].service] | unique | join(",")')" "shell" "status: three shell nodes"
assert_eq "$(jqs '[.nodes[].mode] | unique | join(",")')" "healthy" "status: every shell node healthy (its sshd answers)"
SOCK=$(jqs '.hosts[0].docker.socket')
started() { docker -H "unix://$SOCK" inspect -f '{{.State.StartedAt}}' "$1" | xargs -I{} date -d {} +%s.%N; }
T1=$(started s1) T2=$(started s2) T3=$(started s3)
awk -v a="$T1" -v b="$T2" -v c="$T3" 'BEGIN { exit !(a < b && b < c) }' &&
	ok "Docker started s1, s2, s3 in that order ($T1, $T2, $T3)" ||
	fail "the containers did not start in order: s1 $T1, s2 $T2, s3 $T3"
run timeout 30 "$LABO" exec -l "$LAB" s1 -- sh -c 'ps -o args | grep -c "[Q]uorumPeerMain"; true'
assert_eq "0" "$OUT" "s1 runs no ZooKeeper"
run timeout 30 "$LABO" exec -l "$LAB" s1 -- ssh -o BatchMode=yes -o ConnectTimeout=5 s3 hostname
assert_eq "s3" "$OUT" "s1: ssh s3 hostname, without a password (keys exchanged)" || show_run
run "$LABO" verify --json "$LAB"
assert_eq "$(printf '%s\n' "$OUT" | jq -r '[.checks[] | select(.id == "ping" or .id == "ssh") | .state] | join(",")')" \
	"done,done" "verify: ping and ssh done"
assert_eq "$(printf '%s\n' "$OUT" | jq -r '[.checks[] | select(.id == "myid" or .id == "servers" or .id == "roles") | .state] | join(",")')" \
	"n/a,n/a,n/a" "verify: ZooKeeper's steps and roles are n/a"
PID2=$(jqs '.nodes[] | select(.name == "s2") | .pid')
run "$LABO" kill s2
expect_rc 0 "labo kill s2"
wait_for "$LAB" 30 "s2 restarted and healthy" \
	"[.nodes[] | select(.name == \"s2\") | select(.mode == \"healthy\" and .pid != $PID2)] | length == 1" ||
	fail "s2, killed, was not restarted healthy"
run "$LABO" down "$LAB"
expect_rc 0 "down"
assert_lab_gone "$LAB"
finish
