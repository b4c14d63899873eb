#!/bin/bash
# labo web in a real browser: a three-server ZooKeeper lab (netns/zk3.yaml
# under a name of its own, process runtime), `labo web` on a free port,
# headless Chromium driven through chromedriver's WebDriver API (curl and
# jq): the index lists the lab; the lab's page shows its picture and a
# leader (read from the DOM: data-node, data-mode); the leader killed with
# `labo kill`, the page shows another leader within 5 s, pushed by the
# server (the page never polls); the events' timeline shows the death.
# SIGTERM stops the server with exit 0, and the sanitized build finds no
# leak after its streams. LABO_WEB_SHOTS=DIR keeps screenshots.
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-web.sh"
need_root
need_json
need_cmd jq jq
need_cmd curl curl
[ -r /usr/share/java/zookeeper.jar ] || die "this test needs ZooKeeper (Debian package zookeeper)"

new_lab LAB 7
F=$(supervised_lab_file "$LAB" zk3.yaml | lab_file "$LAB")
run "$LABO" up --runtime process "$F"
expect_rc 0 "up --runtime process (zk3 as $LAB)" || die "cannot go on"
record_ns "$LAB"

# the sanitizer's reports of labo web (leaks at its exit) land in $TMP/asan.*
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$TMP/asan" web_start
ok "labo web answers on $WEB"
assert_contains "$(cat "$TMP/web.err")" "http://127.0.0.1:$WEB_PORT/" "it says where, on stderr"

# ---- the API, without a browser ----
t0=$EPOCHREALTIME
for _ in $(seq 100); do
	JSON=$(curl -s "$WEB/api/labs")
	[ "$(jqs --arg l "$LAB" '.[] | select(.name == $l) | .state')" = up ] && break
	sleep 0.1
done
assert_eq up "$(jqs --arg l "$LAB" '.[] | select(.name == $l) | .state')" "/api/labs lists $LAB, up"
assert_eq 3 "$(jqs --arg l "$LAB" '.[] | select(.name == $l) | .nodes')" "with its 3 nodes"
assert_eq 198.51.100.64/27 "$(jqs --arg l "$LAB" '.[] | select(.name == $l) | .subnet')" "and its root subnet"
say "timing: the lab's first snapshot after $(secs_since "$t0") s"

# ---- the browser ----
wd_start
ok "headless Chromium under chromedriver (session $WD_SID)"

wd_go "$WEB/"
if wd_wait 10 "[data-lab=\"$LAB\"]"; then
	ok "the index lists $LAB"
	assert_eq up "$(wd_attr "[data-lab=\"$LAB\"]" data-state)" "as up"
	wd_wait 5 "[data-lab=\"$LAB\"] .card-leader[data-leader]:not([data-leader=\"\"])" &&
		ok "with its leader ($(wd_text "[data-lab=\"$LAB\"] .card-leader"))"
	wd_wait 20 "[data-lab=\"$LAB\"] .card-verify[data-steps]" &&
		ok "and its tutorial steps, verified in the background: $(wd_attr "[data-lab=\"$LAB\"] .card-verify" data-done)/$(wd_attr "[data-lab=\"$LAB\"] .card-verify" data-steps)" ||
		fail "the index shows no verify progress for $LAB within 20 s"
	wd_shot index
else
	fail "the index does not list $LAB within 10 s"
fi

wd_go "$WEB/lab/$LAB"
wd_wait 15 '#nodes li[data-mode="leader"]' || die "the lab page shows no leader within 15 s"
L1=$(wd_attr '#nodes li[data-mode="leader"]' data-node)
ok "the lab page shows the leader: $L1"
assert_eq 3 "$(wd_count '#nodes li[data-node]')" "three nodes listed"
assert_eq 3 "$(wd_count '#picture svg g.node[data-node]')" "three nodes in the picture, each with its mode"
assert_eq leader "$(wd_attr "#picture svg g.node[data-node=\"$L1\"]" data-mode)" "the picture's $L1 is the leader too"
assert_eq "$L1" "$(wd_attr '#leader' data-leader)" "the header names it"
assert_eq live "$(wd_attr '#conn' data-conn)" "the page follows the server's event stream"
assert_eq true "$(wd_js 'return document.getElementById("actions").hidden')" "read-only: no actions panel"
assert_eq 0 "$(wd_count '#nodes button.kill')" "and no kill button"
wd_shot "lab-before"

# ---- the leader killed: another, on the page, within 5 s ----
run "$LABO" kill -l "$LAB" "$L1"
expect_rc 0 "labo kill $L1"
t0=$EPOCHREALTIME
L2=
while [ "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print (b - a < 10) }')" = 1 ]; do
	L2=$(wd_attr '#nodes li[data-mode="leader"]' data-node)
	[ -n "$L2" ] && [ "$L2" != "$L1" ] && break
	L2=
	sleep 0.1
done
dt=$(secs_since "$t0")
say "timing: the page showed a new leader $dt s after the kill"
if [ -n "$L2" ]; then
	ok "the page shows a new leader, $L2 (was $L1)"
	awk -v t="$dt" 'BEGIN { exit !(t <= 5.0) }' && ok "within 5 s ($dt s)" ||
		fail "the new leader took $dt s to show (5 s at most)"
else
	fail "no new leader on the page within 10 s of killing $L1"
fi
wd_wait 5 '#events li.ev-died' && ok "the timeline shows the death: $(wd_text '#events li.ev-died')" ||
	fail "the timeline shows no death"
wd_shot "lab-after"

# ---- a check's availability, while it runs ----
wd_wait 20 '#nodes li[data-mode="follower"] ~ li[data-mode="follower"], #nodes li[data-mode="follower"] ~ li ~ li[data-mode="follower"]' ||
	say "(the killed node is not back as a follower yet)"
"$LABO" check -l "$LAB" --duration 6s >"$TMP/check.out" 2>"$TMP/check.err" &
check_pid=$!
t0=$EPOCHREALTIME
if wd_wait 5 '#check .avail-row[data-node]'; then
	say "timing: the check's availability on the page $(secs_since "$t0") s after it started"
	sleep 2
	assert_eq 3 "$(wd_count '#check .avail-row[data-node]')" "the page shows a running check's availability through each node"
	assert_match "$(wd_text '#check')" "[1-9][0-9]* acked" "with its acknowledged writes"
	wd_shot "lab-check"
else
	fail "the page shows no running check within 5 s"
fi
wait "$check_pid"
assert_eq 0 "$?" "the check passes"
for _ in $(seq 50); do
	[ "$(wd_js 'return document.getElementById("check-box").hidden')" = true ] && break
	sleep 0.1
done
assert_eq true "$(wd_js 'return document.getElementById("check-box").hidden')" "its panel goes once it ended"

# ---- the last check's plot ----
# the check's own (check.svg in the lab's run dir), or, until it writes
# one, a plot put there as it would be (written aside, renamed over)
plot="$RUN_DIR/$LAB/check.svg"
if [ ! -s "$plot" ]; then
	printf '<svg xmlns="http://www.w3.org/2000/svg" width="960" height="420"><rect width="960" height="420" fill="#fff"/><text x="20" y="20">lab: valid</text></svg>\n' >"$plot.tmp"
	mv "$plot.tmp" "$plot"
fi
if wd_wait 5 '#plot-box:not([hidden]) img[src*="check.svg"]'; then
	for _ in $(seq 50); do
		[ "$(wd_js 'return document.getElementById("plot").naturalWidth')" -gt 0 ] 2>/dev/null && break
		sleep 0.1
	done
	assert_match "$(wd_js 'return document.getElementById("plot").naturalWidth')" '^[1-9][0-9]*$' \
		"the page shows the last check's plot, as an image that loads"
	assert_match "$(wd_text '#plot-cap')" "^last check: ended at " "with its caption"
	wd_shot "lab-check-plot"
else
	fail "the page shows no check plot within 5 s of check.svg"
fi

# ---- actions, in the browser: the token from the address ----
web_stop
assert_eq 0 "$WEB_RC" "the read-only server stops (exit 0)"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$TMP/asan" web_start --allow-actions
TOKEN=$(sed -n 's|.*#token=\([0-9a-f]*\)$|\1|p' "$TMP/web.err")
wd_go "$WEB/lab/$LAB#token=$TOKEN"
wd_wait 10 '#nodes button.kill' && ok "with --allow-actions and its address: kill buttons" ||
	fail "no kill button with --allow-actions"
assert_eq false "$(wd_js 'return document.getElementById("actions").hidden')" "and the actions panel"
assert_eq '""' "$(wd_js 'return location.hash')" "the token is taken out of the address bar"
F1=$(wd_attr '#nodes li[data-mode="follower"]' data-node)
r0=$("$LABO" status "$LAB" --json | jq --arg n "$F1" '.nodes[] | select(.name == $n) | .restarts')
wd_js "document.querySelector('#nodes li[data-node=\"$F1\"] button.kill').click()" >/dev/null
for _ in $(seq 100); do
	[ "$(wd_attr '#action-out' data-ok)" = true ] && break
	sleep 0.1
done
assert_eq true "$(wd_attr '#action-out' data-ok)" "the page's kill button killed $F1: $(wd_text '#action-out' | head -1)"
wd_wait 5 "#events li.ev-died" && assert_contains "$(wd_js 'return [...document.querySelectorAll("#events li.ev-died")].map(e => e.textContent).join("\n")')" "$F1" \
	"its death in the timeline"
for _ in $(seq 50); do
	r1=$("$LABO" status "$LAB" --json | jq --arg n "$F1" '.nodes[] | select(.name == $n) | .restarts')
	[ "$r1" -gt "$r0" ] && break
	sleep 0.2
done
assert_eq $((r0 + 1)) "$r1" "$F1 was restarted once"
wd_shot "lab-actions"

# ---- the server stops cleanly, leaving nothing ----
curl -s -N --max-time 3 "$WEB/lab/$LAB/events" >/dev/null &
c1=$!
curl -s -N --max-time 3 "$WEB/events" >/dev/null &
c2=$!
sleep 1
web_stop
assert_eq 0 "$WEB_RC" "SIGTERM: labo web exits 0 with streams open"
if ls "$TMP"/asan.* >/dev/null 2>&1; then
	fail "sanitizer report from labo web:"
	head -40 "$TMP"/asan.* | indent
else
	ok "no sanitizer report (no leak) from labo web"
fi
assert_contains "$(cat "$TMP/web.err")" "labo web: stopping" "it says it stops"
wait "$c1" "$c2"

finish
