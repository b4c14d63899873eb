#!/bin/bash
# Link settings on a network-only lab (three hosts on a segment, h1 on a
# second one too, h2 and h3 also joined directly), measured with
# tests/tools/netprobe from inside the hosts:
#   - --delay 100ms on h1's link: a round trip h1 <-> h2 takes 200 ms more
#     (it crosses the link twice), within 10%;
#   - --loss 20% (the delay stays: settings persist until changed): of 1000
#     datagrams h1 -> h2, 15% to 25% are lost;
#   - --rate 10mbit: a TCP transfer h1 -> h2 runs within 10% of 10 Mbit/s;
#   - the mechanism is netem where the kernel has it, labo's emulator where
#     not (this machine), and `link show` and `status` say which;
#   - --down: no carrier at h1, nothing passes; --up: it passes again;
#   - the emulator's forwarder killed: the emulator restarts it (backoff,
#     give-up: the supervisor's policy), traffic passes again;
#   - an emulator killed: status degraded; `labo link HOST SEG` restarts it;
#   - bad values and a host with two links named alone: exit 2, nothing
#     changed; a host-to-host link without netem: a clear refusal;
#   - reset: the round trip is back to what it was, no interface or process
#     of the emulator is left; down after settings leaves nothing.
# timeout: 240
. "$(dirname "$0")/lib.sh"
need_root
need_json
need_cmd jq jq
need_cmd tc iproute2
NETPROBE=$REPO/build/tools/netprobe
[ -x "$NETPROBE" ] || die "no $NETPROBE (make build/tools/netprobe)"

new_lab LAB
F=$(lab_file "$LAB" <<EOF
lab: $LAB
segments:
  wan:
    subnet: 198.51.100.96/28
  lan:
    subnet: 198.51.100.112/29
hosts:
  h1:
    links:
      - segment: wan
        address: 198.51.100.98
      - segment: lan
        address: 198.51.100.113
  h2:
    links:
      - segment: wan
        address: 198.51.100.99
  h3:
    links:
      - segment: wan
        address: 198.51.100.100
links:
  - endpoints:
      - {host: h2, address: 198.51.100.121/30}
      - {host: h3, address: 198.51.100.122/30}
EOF
)
H1=198.51.100.98 H2=198.51.100.99

# Does this kernel have sch_netem? (asked in a namespace of the test's own)
PROBE_NS=labo-test-netem-$$
ip netns add "$PROBE_NS" && defer "ip netns del $PROBE_NS"
if ip netns exec "$PROBE_NS" tc qdisc add dev lo root netem delay 1ms 2>/dev/null; then
	WANT_MECH=netem
else
	WANT_MECH=emulator
fi
say "# this kernel: links use $WANT_MECH"

up_lab "$F" "$LAB"

rtt() { # rtt FROM TO_ADDR COUNT GAP_MS: the JSON of netprobe rtt, in $JSON
	"$LABO" exec -l "$LAB" h2 -- "$NETPROBE" echo 7 &
	local echo_pid=$!
	sleep 0.3
	JSON=$("$LABO" exec -l "$LAB" "$1" -- "$NETPROBE" rtt "$2" 7 "$3" "$4")
	kill "$echo_pid" 2>/dev/null
	pkill -f "$NETPROBE echo 7" 2>/dev/null
	wait "$echo_pid" 2>/dev/null
	say "  rtt $1 -> $2: $JSON"
}
within() { # within VALUE LO HI
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'
}
link_json() { JSON=$("$LABO" link show -l "$LAB" --json); }

rtt h1 "$H2" 200 5
BASE=$(jqs .median_us)
assert_eq 0 "$(jqs .received | awk '{ print 200 - $1 }')" "no probe lost before any setting"

# ---- bad input: nothing changes ----
run "$LABO" link -l "$LAB" h1 --delay 100ms
expect_rc 2 "a host with two links, named alone"
assert_contains "$ERR" "wan, lan" "the error lists h1's links"
run "$LABO" link -l "$LAB" h1 wan --delay fast
expect_rc 2 "--delay fast"
assert_contains "$ERR" "expected a time like 100ms" "--delay fast: what was expected"
run "$LABO" link -l "$LAB" h1 wan --loss 120%
expect_rc 2 "--loss 120%"
run "$LABO" link -l "$LAB" h1 wan --rate 10mbps
expect_rc 2 "--rate 10mbps (tc's megabytes: refused, not guessed)"
assert_contains "$ERR" "10mbit" "--rate: what was expected"
run "$LABO" link -l "$LAB" h1 nowhere --delay 1ms
expect_rc 4 "a segment h1 has no link to"
link_json
assert_eq 0 "$(jqs length)" "after bad input no link has settings"

# ---- a host-to-host link ----
run "$LABO" link -l "$LAB" h2 h3 --delay 10ms
if [ "$WANT_MECH" = netem ]; then
	expect_rc 0 "delay on the h2-h3 link (netem)"
	run "$LABO" link reset -l "$LAB" h2 h3
	expect_rc 0 "reset of the h2-h3 link"
else
	expect_rc 1 "delay on the h2-h3 link without netem is refused"
	assert_contains "$ERR" "segment" "the refusal says the emulator needs a segment"
	link_json
	assert_eq 0 "$(jqs length)" "the refused setting left nothing"
fi

# ---- delay ----
run "$LABO" link -l "$LAB" h1 wan --delay 100ms
expect_rc 0 "link h1 wan --delay 100ms"
show_run
link_json
assert_eq "$WANT_MECH" "$(jqs '.[0].mechanism')" "link show names the mechanism"
assert_eq 100000 "$(jqs '.[0].delay_us')" "link show: the delay"
rtt h1 "$H2" 50 20
ADDED=$(jqs --argjson b "$BASE" '.median_us - $b')
if within "$ADDED" 180000 220000; then
	ok "--delay 100ms adds ${ADDED} us to the round trip (200 ms +-10%)"
else
	fail "--delay 100ms adds ${ADDED} us to the round trip, not 200 ms +-10%"
fi
assert_eq 50 "$(jqs .received)" "no probe lost with a delay alone"

# ---- loss (the delay stays) ----
run "$LABO" link -l "$LAB" h1 wan --loss 20%
expect_rc 0 "link h1 wan --loss 20%"
link_json
assert_eq "100000 200000" "$(jqs '.[0] | "\(.delay_us) \(.loss_ppm)"')" "the delay persists when the loss is set"
"$LABO" exec -l "$LAB" h2 -- "$NETPROBE" sink 9 4 >"$TMP/sink.json" &
SINK=$!
sleep 0.3
"$LABO" exec -l "$LAB" h1 -- "$NETPROBE" send "$H2" 9 1000 1000 >/dev/null
wait "$SINK"
GOT=$(jq .distinct "$TMP/sink.json")
LOST=$((1000 - GOT))
if within "$LOST" 150 250; then
	ok "--loss 20%: $LOST of 1000 datagrams lost (15-25%)"
else
	fail "--loss 20%: $LOST of 1000 datagrams lost, not 15-25% ($(cat "$TMP/sink.json"))"
fi
if [ "$WANT_MECH" = emulator ]; then
	link_json
	L=$(jqs '.[0].emulators[0].from_host.lost')
	within "$L" 150 250 && ok "the emulator counted $L frames lost from h1" ||
		fail "the emulator counted $L frames lost from h1"
fi

# ---- rate ----
run "$LABO" link -l "$LAB" h1 wan --delay 0 --loss 0 --rate 10mbit
expect_rc 0 "link h1 wan --delay 0 --loss 0 --rate 10mbit"
"$LABO" exec -l "$LAB" h2 -- "$NETPROBE" tcp-sink 5001 >"$TMP/tcp.json" &
SINK=$!
sleep 0.3
"$LABO" exec -l "$LAB" h1 -- "$NETPROBE" tcp-send "$H2" 5001 6 >/dev/null
wait "$SINK"
BPS=$(jq .bps_after_1s "$TMP/tcp.json")
if within "$BPS" 9000000 11000000; then
	ok "--rate 10mbit: TCP h1 -> h2 at $BPS bit/s (10 Mbit/s +-10%)"
else
	fail "--rate 10mbit: TCP h1 -> h2 at $BPS bit/s, not 10 Mbit/s +-10% ($(cat "$TMP/tcp.json"))"
fi

# ---- status ----
status_json "$LAB"
assert_eq "h1@wan rate 10mbit" "$(jqs '.faults.links[] | "\(.link) \(.settings)"')" "status JSON lists the link's settings"
run "$LABO" status "$LAB"
assert_match "$OUT" "link h1@wan: rate 10mbit, by $WANT_MECH" "status says the link's settings and mechanism"

# ---- pulled out, plugged back ----
run "$LABO" link -l "$LAB" h1 wan --down
expect_rc 0 "link h1 wan --down"
sleep 1.5
run "$LABO" exec -l "$LAB" h1 -- cat /sys/class/net/eth0/carrier
assert_eq 0 "$OUT" "h1's eth0 has no carrier with its link down"
run "$LABO" exec -l "$LAB" h2 -- ping -c 2 -i 0.2 -W 1 "$H1"
expect_rc 1 "nothing passes with the link down"
run "$LABO" link -l "$LAB" h1 wan --up
expect_rc 0 "link h1 wan --up"
sleep 1.5
run "$LABO" exec -l "$LAB" h2 -- ping -c 2 -i 0.2 -W 3 "$H1"
expect_rc 0 "it passes again with the link up"

# ---- a forwarder that dies is restarted; an emulator that dies is reported ----
if [ "$WANT_MECH" = emulator ]; then
	link_json
	P=$(jqs '.[0].emulators[0].pid')
	W=$(pgrep -P "$P" | head -1)
	[ -n "$W" ] || fail "the emulator $P runs no forwarder"
	kill -9 "$W"
	W2=""
	for _ in $(seq 1 50); do
		W2=$(pgrep -P "$P" | head -1)
		[ -n "$W2" ] && [ "$W2" != "$W" ] && break
		sleep 0.1
	done
	[ -n "$W2" ] && [ "$W2" != "$W" ] && ok "the emulator restarts its forwarder killed with SIGKILL ($W, then $W2)" ||
		fail "the emulator did not restart its forwarder ($W)"
	assert_contains "$(cat "$RUN_DIR/$LAB/links/h1@wan.log")" "the forwarder died (killed by SIGKILL); restarting it" \
		"its log says so"
	run "$LABO" exec -l "$LAB" h2 -- ping -c 1 -W 3 "$H1"
	expect_rc 0 "traffic passes through the restarted forwarder"
	status_json "$LAB"
	assert_eq up "$(jqs .state)" "status is up: the emulator runs"
	link_json
	P=$(jqs '.[0].emulators[0].pid')
	kill -9 "$P"
	sleep 0.2
	status_json "$LAB"
	assert_eq degraded "$(jqs .state)" "status is degraded with the emulator dead"
	run "$LABO" status "$LAB"
	assert_contains "$OUT" "NOT RUNNING" "status says the emulator does not run"
	run "$LABO" link -l "$LAB" h1 wan
	expect_rc 0 "labo link h1 wan starts it again"
	link_json
	assert_eq true "$(jqs '.[0].emulators[0].running')" "the emulator runs again"
	run "$LABO" exec -l "$LAB" h2 -- ping -c 1 -W 3 "$H1"
	expect_rc 0 "traffic passes through the new emulator"
fi

# ---- reset ----
run "$LABO" link reset -l "$LAB"
expect_rc 0 "link reset"
link_json
assert_eq 0 "$(jqs length)" "no link has settings after reset"
rtt h1 "$H2" 200 5
if within "$(jqs .median_us)" 0 $((BASE * 3 + 200)); then
	ok "after reset the round trip is $(jqs .median_us) us (it was $BASE us)"
else
	fail "after reset the round trip is $(jqs .median_us) us (it was $BASE us)"
fi
LEFT=$(ip -n "labo.$LAB" -o link show | grep -E -- '-emu|-br' || true)
assert_eq "" "$LEFT" "no interface of the emulator is left in the switch namespace"
assert_eq "" "$(pgrep -f "__linkemu labo.$LAB " || true)" "no emulator process is left"
run ip -n "labo.$LAB" -o link show p0
assert_contains "$OUT" "master wan" "h1's port is back on its bridge"

# ---- down with settings in place ----
run "$LABO" link -l "$LAB" h1 lan --delay 5ms --loss 1%
expect_rc 0 "settings on h1's lan link before down"
run "$LABO" down "$LAB"
expect_rc 0 "down with link settings in place"
assert_eq "" "$(pgrep -f "__linkemu labo.$LAB " || true)" "down stops the emulators"
assert_lab_gone "$LAB"
finish
