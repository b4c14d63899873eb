#!/bin/bash
# labo capture on a network-only lab (h1 on two segments, h2 on one, h3 on
# the other), read back with another program (tcpdump):
#   - -w FILE -c 4 icmp while h2 pings h1: tcpdump reads exactly 4 ICMP
#     packets between h2's and h1's addresses; the summary says 4;
#   - live: `capture ... | tcpdump -r - -c 3` shows 3 packets as they come,
#     and the capture ends cleanly (exit 0) when tcpdump goes; TERM ends
#     one with its file whole;
#   - a filter keeps out other traffic (udp: the datagrams, none of the pings);
#   - `any`: every interface of the host, Linux cooked headers;
#   - refusals: a bad filter (exit 2, no file), a path that is a symbolic
#     link (exit 2, its target not made), a host with two links named alone
#     (exit 2, listing them), pcap to a terminal (exit 2);
#   - a scenario's capture step: a pcap of the traffic during the scenario,
#     and a bad filter in one fails before any step;
#   - a capture running when the lab goes down ends by itself, exit 0, its
#     file whole; nothing of the lab or of the captures is left.
# timeout: 150
. "$(dirname "$0")/lib.sh"
need_root
need_cmd tcpdump tcpdump
need_cmd script util-linux
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
      - segment: lan
        address: 198.51.100.114
EOF
)
H1=198.51.100.98 H2=198.51.100.99
up_lab "$F" "$LAB"

# pings h2 -> h1 in the background (exec becomes the ping: its pid is
# PING); stop_ping ends it, so that no ping of one case lands in the next
PING=
ping_bg() { # ping_bg COUNT
	"$LABO" exec -l "$LAB" h2 -- ping -q -c "$1" -i 0.2 "$H1" >/dev/null 2>&1 &
	PING=$!
}
stop_ping() {
	[ -n "$PING" ] || return 0
	kill "$PING" 2>/dev/null
	wait "$PING" 2>/dev/null
	PING=
}
defer stop_ping
# the packets of a pcap as tcpdump prints them, in $PKTS (and their number)
read_pcap() {
	PKTS=$(tcpdump -nr "$1" 2>"$TMP/tcpdump.err")
	say "  $(wc -l <<<"$PKTS" | tr -d ' ') lines in $1 ($(cat "$TMP/tcpdump.err"))"
}
count() { grep -c -- "$1" <<<"$PKTS" || true; }

# ---- to a file, with a count and a filter ----
ping_bg 20
run timeout 20 "$LABO" capture -l "$LAB" h2 -w "$TMP/a.pcap" -c 4 icmp
expect_rc 0 "capture -w FILE -c 4 icmp"
assert_contains "$ERR" "4 packets captured on h2@wan, 0 dropped by the kernel" "the summary"
read_pcap "$TMP/a.pcap"
assert_eq 4 "$(wc -l <<<"$PKTS")" "tcpdump reads exactly 4 packets"
assert_eq 4 "$(count "ICMP echo")" "all 4 are ICMP echo requests or replies"
assert_eq 4 "$(grep -cE "IP ($H2 > $H1|$H1 > $H2): ICMP" <<<"$PKTS")" \
	"between h2's and h1's addresses"
assert_contains "$(cat "$TMP/tcpdump.err")" "EN10MB" "the pcap's link is Ethernet"
stop_ping

# ---- live down a pipe ----
ping_bg 20
say "+ labo capture -l $LAB h1 wan icmp | tcpdump -nr - -c 3"
LIVE=$(timeout 20 "$LABO" capture -l "$LAB" h1 wan icmp 2>"$TMP/live.err" |
	timeout 20 tcpdump -nr - -c 3 2>/dev/null; echo "rc=${PIPESTATUS[*]}")
say "$LIVE" | indent
assert_eq 3 "$(grep -c "ICMP echo" <<<"$LIVE")" "tcpdump -r - shows 3 packets, live"
assert_contains "$LIVE" "rc=0 0" "the capture ends cleanly when its reader goes"
assert_contains "$(cat "$TMP/live.err")" "(reader gone)" "and says why it ended"
stop_ping

# ---- a filter keeps other traffic out; any ----
("$LABO" capture -l "$LAB" h1 any --duration 3s -q -w "$TMP/any.pcap" &)
"$LABO" capture -l "$LAB" h1 wan --duration 3s -w "$TMP/udp.pcap" udp 2>"$TMP/udp.err" &
CAP=$!
sleep 0.5
"$LABO" exec -l "$LAB" h2 -- ping -q -c 3 -i 0.2 "$H1" >/dev/null
# a sink answers nothing but takes them: no port unreachable to refuse the
# next send of h2's connected socket
"$LABO" exec -l "$LAB" h1 -- "$NETPROBE" sink 9 1 >/dev/null &
SINK=$!
sleep 0.2
"$LABO" exec -l "$LAB" h2 -- "$NETPROBE" send "$H1" 9 5 1000 >/dev/null
wait "$SINK"
"$LABO" exec -l "$LAB" h3 -- ping -q -c 2 -i 0.2 198.51.100.113 >/dev/null
wait "$CAP"
RC=$?
expect_rc 0 "capture --duration 3s udp"
read_pcap "$TMP/udp.pcap"
assert_eq 5 "$(count "UDP")" "the 5 datagrams h2 sent are there"
assert_eq 0 "$(count "ICMP echo")" "and none of the pings"
sleep 0.5
read_pcap "$TMP/any.pcap"
assert_contains "$(cat "$TMP/tcpdump.err")" "LINUX_SLL" "any: Linux cooked headers"
assert_eq 5 "$(grep -c "ICMP echo request" <<<"$PKTS")" "any: the 3 pings of h2 (wan), 2 of h3 (lan)"

# ---- TERM ends it with the file whole ----
"$LABO" capture -l "$LAB" h2 -w "$TMP/term.pcap" icmp 2>"$TMP/term.err" &
CAP=$!
sleep 0.5
"$LABO" exec -l "$LAB" h2 -- ping -q -c 2 -i 0.2 "$H1" >/dev/null
sleep 0.5
kill -TERM "$CAP"
wait "$CAP"
RC=$?
expect_rc 0 "a capture ended by TERM"
assert_contains "$(cat "$TMP/term.err")" "4 packets captured on h2@wan, 0 dropped by the kernel (stopped)" \
	"says what it captured"
read_pcap "$TMP/term.pcap"
assert_eq 4 "$(count "ICMP echo")" "its file is whole: 2 pings, 2 replies"

# ---- refusals ----
run "$LABO" capture -l "$LAB" h1 wan -w "$TMP/bad.pcap" icmp and
expect_rc 2 "a bad filter"
assert_contains "$ERR" "bad filter 'icmp and'" "libpcap's message, with the filter"
[ -e "$TMP/bad.pcap" ] && fail "a bad filter left $TMP/bad.pcap" || ok "a bad filter leaves no file"
ln -s "$TMP/target.pcap" "$TMP/link.pcap"
run "$LABO" capture -l "$LAB" h2 -c 1 -w "$TMP/link.pcap"
expect_rc 2 "-w a symbolic link"
assert_contains "$ERR" "symbolic link" "the refusal says why"
[ -e "$TMP/target.pcap" ] && fail "the link's target was made" || ok "the link's target was not made"
run "$LABO" capture -l "$LAB" h1 -c 1 -w "$TMP/h1.pcap"
expect_rc 2 "a host with two links, named alone"
assert_contains "$ERR" "wan, lan" "the error lists h1's links"
assert_contains "$ERR" "any" "and offers any"
run "$LABO" capture -l "$LAB" nohost -w "$TMP/x.pcap"
expect_rc 4 "a host that does not exist"
say "+ script -qec 'labo capture -l $LAB h2' /dev/null (stdout a terminal)"
TTY_OUT=$(timeout 10 script -qec "$LABO capture -l $LAB h2 -c 1" /dev/null)
RC=$?
expect_rc 2 "pcap to a terminal is refused"
assert_contains "$TTY_OUT" "not for a terminal" "with a clear error"
run "$LABO" __names links "$LAB" h1
assert_eq "wan lan any" "$(tr '\n' ' ' <<<"$OUT" | sed 's/ $//')" "completion: where h1 can be captured"

# ---- a scenario's capture step ----
cat >"$TMP/sc.yaml" <<EOF
lab: $LAB
end: 2s
steps:
  - capture: h2
    file: $TMP/sc.pcap
    filter: icmp
  - at: 1s
    partition: [h1, h2]
EOF
ping_bg 15
run timeout 30 "$LABO" chaos "$TMP/sc.yaml"
expect_rc 0 "a scenario with a capture step"
stop_ping
assert_match "$OUT" "capture h2@wan: [0-9]+ packets in $TMP/sc.pcap" "the player says what it captured"
read_pcap "$TMP/sc.pcap"
REQ=$(count "ICMP echo request") REP=$(count "ICMP echo reply")
say "  $REQ requests, $REP replies"
# h2's own rules drop its requests before its interface from the partition
# on (1 s): a 2 s capture of pings 0.2 s apart sees about 5, not 10
if [ "$REQ" -ge 2 ] && [ "$REQ" -le 8 ] && [ "$REP" -eq "$REQ" ]; then
	ok "the pcap shows the pings until the partition"
else
	fail "the pcap shows $REQ requests and $REP replies (expected 2 to 8, each answered)"
fi
sed -i 's/filter: icmp/filter: icmp and/' "$TMP/sc.yaml"
rm -f "$TMP/sc.pcap"
run timeout 30 "$LABO" chaos "$TMP/sc.yaml"
expect_rc 1 "a scenario whose capture's filter does not compile"
assert_contains "$ERR" "bad filter" "fails before any step"
assert_not_contains "$OUT" "partition" "no fault was made"
[ -e "$TMP/sc.pcap" ] && fail "it left $TMP/sc.pcap" || ok "and no file"

# ---- down under a running capture ----
"$LABO" capture -l "$LAB" h2 -w "$TMP/down.pcap" 2>"$TMP/down.err" &
CAP=$!
sleep 0.5
ping_bg 3
sleep 1
stop_ping
run "$LABO" down "$LAB"
expect_rc 0 "down while a capture runs"
T0=$EPOCHREALTIME
for _ in $(seq 30); do kill -0 "$CAP" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$CAP" 2>/dev/null; then
	fail "the capture still runs 3 s after down"
	kill "$CAP"
fi
wait "$CAP"
RC=$?
expect_rc 0 "the capture ended by itself after down ($(secs_since "$T0") s)"
assert_contains "$(cat "$TMP/down.err")" "(interface gone)" "saying why"
read_pcap "$TMP/down.pcap"
assert_eq 6 "$(count "ICMP echo")" "its file is whole: the 3 pings and replies"
assert_eq "" "$(pgrep -f "labo capture -l $LAB" || true)" "no capture process is left"
assert_lab_gone "$LAB"
finish
