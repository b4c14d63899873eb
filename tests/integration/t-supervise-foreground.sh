#!/bin/bash
# `labo up --foreground` (for systemd or debugging): one process builds the
# lab and supervises it, attached, printing the events as they happen; its
# SIGTERM ends the supervision and leaves the lab up (status says nothing
# supervises it); `up` again starts a detached supervisor; down removes all.
# A one-node lab with no runtime given, brought up with no dockerd on PATH:
# the process runtime is chosen (a standalone ZooKeeper, so it is quick);
# the supervision itself is t-supervise-process's and -docker's.
. "$(dirname "$0")/lib.sh"
need_root
need_json
need_cmd jq jq
[ -r /usr/share/java/zookeeper.jar ] || die "this test needs ZooKeeper (Debian package zookeeper)"

new_lab LAB 7
F=$(lab_file "$LAB" <<EOF
lab: $LAB
segments: {lan: {subnet: 198.51.100.128/28, root: 198.51.100.129}}
hosts:
  solo: {docker: manager, links: [{segment: lan, address: 198.51.100.130}]}
overlay: {name: ov, subnet: 10.0.0.0/24}
nodes:
  z1: {host: solo, address: 10.0.0.1, service: zookeeper, ports: [42181:2181]}
supervise: {probe: {interval: 500ms}}
EOF
)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$TMP/lsan"

# No runtime in the file, and no dockerd on PATH: `auto` is the process
# runtime (what a machine without Docker gets)
NODOCKER=$(printf '%s' "$PATH" | tr ':' '\n' | while read -r d; do [ -x "$d/dockerd" ] || printf '%s:' "$d"; done)
PATH=${NODOCKER%:} "$LABO" up --foreground "$F" >"$TMP/fg.out" 2>"$TMP/fg.err" </dev/null &
FG=$!
wait_for "$LAB" 60 "the lab up, supervised by the foreground process" \
	".supervisor.state == \"running\" and .supervisor.pid == $FG and .nodes[0].mode == \"standalone\"" ||
	{ cat "$TMP/fg.out" "$TMP/fg.err" | indent; die "no supervised lab"; }
assert_eq "$FG" "$(jqs .supervisor.pid)" "the process that ran up --foreground supervises"
assert_eq process "$(jqs .runtime)" "without dockerd, the runtime is process"
sleep 1
assert_match "$(cat "$TMP/fg.out")" "lab $LAB is up in" "it printed up's progress"
assert_match "$(cat "$TMP/fg.out")" "up +z1 +node \\(pid [0-9]+" "it prints the events as they happen"
pid=$(jqs '.nodes[0].pid')
kill -9 "$pid"
wait_for "$LAB" 30 "z1 restarted" '.nodes[0].restarts == 1 and .nodes[0].mode == "standalone"' ||
	fail "z1 was not restarted"
assert_match "$(cat "$TMP/fg.out")" "died +z1 +exited \\(SIGKILL\\); restart 1 in" "the death on its output"
kill -TERM "$FG"
wait "$FG"
assert_eq 0 "$?" "SIGTERM ends it with status 0"
status_json "$LAB"
assert_eq "not running" "$(jqs .supervisor.state)" "the lab stays up, unsupervised"
assert_eq "standalone" "$(jqs '.nodes[0].mode')" "z1 still serves"
[ -e "$TMP/lsan.$FG" ] && { fail "sanitizer report:"; head -40 "$TMP/lsan.$FG" | indent; } ||
	ok "no sanitizer report from the foreground supervisor"
run "$LABO" up "$F"
expect_rc 0 "up again: a detached supervisor takes over"
status_json "$LAB"
SV=$(jqs .supervisor.pid)
[ "$SV" != "$FG" ] && [ "$(jqs .supervisor.state)" = running ] && ok "supervisor $SV runs" || fail "no supervisor"
run "$LABO" down "$LAB"
expect_rc 0 down
assert_no_supervisor_left "$LAB" "$SV"
assert_lab_gone "$LAB"
finish
