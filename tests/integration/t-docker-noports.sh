#!/bin/bash
# A Docker lab whose ZooKeeper nodes publish no port (issue 10: it waited
# 90 s in silence and failed): up reaches each node through its own
# address, status and check see the ensemble; status and the supervisor's
# events tell the same quorum. Then an up that fails (LABO_FAIL_AT=quorum,
# once the ensemble formed): its error shows the end of the servers' logs
# and where they are kept, `labo logs` still answers after the rollback,
# and `down` removes what was kept.
# timeout: 240
. "$(dirname "$0")/lib.sh"
need_root
need_json
need_cmd jq jq
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
need_docker_lab_tools "a Docker lab without published ports"

new_lab LAB 7
F=$(lab_file "$LAB" <<EOF2
lab: $LAB
segments:
  net:
    subnet: 203.0.113.0/27
hosts:
  h1:
    docker: manager
    links: [{segment: net, address: 203.0.113.2}]
  h2:
    docker: worker
    links: [{segment: net, address: 203.0.113.3}]
  h3:
    docker: worker
    links: [{segment: net, address: 203.0.113.4}]
overlay:
  name: weave
  subnet: 10.0.0.0/24
nodes:
  n1: {host: h1, address: 10.0.0.1, service: zookeeper}
  n2: {host: h2, address: 10.0.0.2, service: zookeeper}
  n3: {host: h3, address: 10.0.0.3, service: zookeeper}
supervise:
  probe: {interval: 500ms, timeout: 1s, failures: 3, grace: 60s}
EOF2
)

# ==== up, with no port published ====
t0=$EPOCHREALTIME
run "$LABO" up "$F"
expect_rc 0 "up of a Docker lab without ports" || die "cannot go on"
record_ns "$LAB"
say "timing: up took $(secs_since "$t0") s"
assert_match "$OUT" "^  quorum .* n[123] leads 3 servers" "up waits for the quorum through the nodes' own addresses"
assert_not_contains "$OUT" "ports " "up publishes nothing"

status_json "$LAB" || die "no status"
assert_eq "true 3 3" "$(jqs '"\(.ensemble.quorum) \(.ensemble.serving) \(.ensemble.servers)"')" \
	"status: a quorum, 3 of 3 serving"
assert_eq "1" "$(jqs '[.nodes[] | select(.mode == "leader")] | length')" "status: one leader"
LEADER=$(jqs .ensemble.leader)
wait_for "$LAB" 20 "the supervisor sees the quorum" '.supervisor.ensemble.quorum == true' ||
	fail "the supervisor does not see the quorum of a lab without ports"

# ==== status and events agree (one definition) ====
run "$LABO" kill -l "$LAB" "$LEADER"
expect_rc 0 "kill the leader $LEADER"
wait_for "$LAB" 30 "a new quorum" '.ensemble.quorum == true and .supervisor.ensemble.quorum == true' ||
	fail "no quorum after the leader's kill"
EV=$(events_of "$LAB")
# every quorum event's own numbers obey the definition status uses
bad=$(printf '%s\n' "$EV" | jq -r 'select(.kind == "quorum") |
	select((.quorum == true and .serving < (.servers / 2 | floor) + 1) or (.quorum == false and .serving != 0)) | .message')
assert_eq "" "$bad" "events: no quorum event counts servers as serving without a quorum"
assert_match "$(printf '%s\n' "$EV" | jq -r 'select(.kind == "quorum") | .message')" \
	"^n[123] leads; [23] of 3 servers serving\$" "events: the quorum's text is status's summary"
status_json "$LAB" || die "no status"
assert_match "$(jqs .ensemble.summary)" "^n[123] leads; [23] of 3 servers serving\$" "status: the same summary"

# ==== check writes through nodes that publish nothing ====
run timeout 60 "$LABO" check -l "$LAB" --duration 3s
expect_rc 0 "check through the nodes' own addresses"

# ==== down ====
run "$LABO" down "$LAB"
expect_rc 0 "down"
assert_lab_gone "$LAB"

# ==== an up that fails: its advice works after the rollback ====
LOGS=${LABO_LOG_DIR:-/var/log/labo}/$LAB
run env LABO_FAIL_AT=quorum "$LABO" up "$F"
expect_rc 1 "up failing once the ensemble formed"
assert_contains "$ERR" "injected failure at stage 'quorum'" "up says what failed"
assert_contains "$ERR" "--- the end of n1's log" "the error shows the end of n1's log"
assert_contains "$ERR" "logs are kept in $LOGS until the next up or down" "the error says where the logs are kept"
assert_lab_gone "$LAB"
run "$LABO" logs -l "$LAB" n2
expect_rc 0 "labo logs -l LAB NODE after the rollback"
assert_match "$OUT" "[Zz]oo[Kk]eeper|QuorumPeer|myid" "the kept log is ZooKeeper's, on stdout"
run "$LABO" logs n3
expect_rc 0 "labo logs NODE (no lab named) after the rollback"
run "$LABO" logs -l "$LAB" h1
expect_rc 0 "labo logs HOST: the daemon's kept log"
assert_contains "$OUT" "msg=\"Starting up\"" "the host's kept log is dockerd's"
[ "$(stat -c %a "$LOGS")" = 700 ] && ok "the kept logs are root's alone (0700)" || fail "$LOGS is $(stat -c %a "$LOGS")"
run "$LABO" down "$LAB"
expect_rc 0 "down after a failed up"
[ -e "$LOGS" ] && fail "down left $LOGS" || ok "down removes the kept logs"
finish
