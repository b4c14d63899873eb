#!/bin/bash
# `labo up --until STAGE` (issue 12) on lab files other than the seed, with
# real dockerd and real ZooKeeper:
#   - zk3 (three Docker hosts) --until overlay: the daemons, the Swarm and
#     the overlay are made, no container; status says so ("until", nodes
#     "not made") and is not degraded; the supervisor keeps the daemons and
#     makes no node; verify has docker, swarm and overlay done and the rest
#     not yet, with the tutorial's hints; a second up with another stage is
#     refused; down leaves nothing;
#   - zk3 under the process runtime --until containers: ports published, no
#     ZooKeeper process started, every node "not started" (no failure), and
#     none started by the supervisor a few probes later.
. "$(dirname "$0")/lib.sh"
need_root
need_json
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
need_docker_lab_tools "zk3 stopped at a stage"

new_lab LAB
F=$(supervised_lab_file "$LAB" zk3.yaml | lab_file "$LAB")

# ---- Docker, --until overlay ----
run "$LABO" up --until overlay "$F"
expect_rc 0 "labo up --until overlay" || { show_run; die "cannot go on"; }
record_ns "$LAB"
assert_match "$OUT" "^  overlay +[0-9.]+ ms +zk " "up makes the overlay"
assert_not_contains "$OUT" "  containers " "up makes no container"
assert_not_contains "$OUT" "  image " "up imports no image"
status_json "$LAB" || die "status --json failed"
assert_eq "$(jqs '.until')" "overlay" "status: until overlay"
assert_eq "$(jqs '.state')" "up" "status: up, not degraded (nothing missing that up was to make)"
assert_eq "$(jqs '[.hosts[].docker.state] | unique | join(",")')" "running" "status: the three daemons run"
assert_eq "$(jqs '[.nodes[].mode] | unique | join(",")')" "not made" "status: the nodes are not made"
assert_eq "$(jqs '.supervisor.state')" "running" "a supervisor keeps the daemons"
run "$LABO" status "$LAB"
assert_match "$OUT" "stopped after stage overlay" "status (text) says where the lab stopped"
sleep 3
assert_eq "$(events_of "$LAB" | jq -r 'select(.kind == "start" or .kind == "create") | .subject' | grep -c '^zoo' || true)" "0" \
	"the supervisor started no node"
run "$LABO" verify --json "$LAB"
expect_rc 1 "verify: not every step done"
assert_eq "$(printf '%s\n' "$OUT" | jq -r '[.checks[] | select(.state == "done") | .id] | join(",")')" \
	"docker,swarm,overlay" "verify: docker, swarm and overlay done"
assert_eq "$(printf '%s\n' "$OUT" | jq -r '.checks[] | select(.id == "containers") | .state')" "not-yet" \
	"verify: containers not yet"
run "$LABO" up "$F"
expect_rc 1 "up of the same file without --until, on the lab stopped at overlay"
assert_contains "$ERR" "is up to stage overlay" "up says where the lab stopped and what to do"
run "$LABO" down "$LAB"
expect_rc 0 "down"
assert_lab_gone "$LAB"

# ---- the process runtime, --until containers ----
run "$LABO" up --runtime process --until containers "$F"
expect_rc 0 "labo up --runtime process --until containers" || { show_run; die "cannot go on"; }
record_ns "$LAB"
assert_match "$OUT" "^  ports " "up publishes the ports"
assert_match "$OUT" "^  services .*not started" "up starts no ZooKeeper"
status_json "$LAB" || die "status --json failed"
assert_eq "$(jqs '[.nodes[].mode] | unique | join(",")')" "not started" "status: every node not started"
assert_eq "$(jqs '.state')" "up" "status: up, not degraded"
sleep 3
status_json "$LAB"
assert_eq "$(jqs '[.nodes[].pid] | unique | join(",")')" "" "no ZooKeeper process was started (by up or the supervisor)"
run "$LABO" down "$LAB"
expect_rc 0 "down"
assert_lab_gone "$LAB"
finish
