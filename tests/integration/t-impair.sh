#!/bin/bash
# The impairments a Jepsen user asks for, on a network-only lab, each
# measured by tests/tools/netprobe (not by labo) over 10,000 datagrams
# h1 -> h2, 100 us apart, crossing h1's link one way:
#   - corrupt 5%: the datagrams refused for a corrupt IP header or UDP
#     checksum (by h2's kernel, or by the bridge's netfilter on the way:
#     their counters) are 5% of those sent;
#   - duplicate 5%: 5% of the datagrams come twice;
#   - reorder 25% (with a 10 ms delay): 25% come before one sent earlier;
#   - loss 10% with a correlation of 50%: 10% never come, in runs of
#     1 / ((1 - 0.1)(1 - 0.5)) = 2.22 on average (independent losses would
#     make runs of 1.11);
#   - gemodel 1%,10%: the chain's mean loss 1/11 = 9.09%, in runs of 10;
# each within 3 standard deviations of the binomial over the datagrams
# counted (for losses in runs, over the effective count n(1-rho)/(1+rho)),
# plus 0.5%; a mean run within 25%.
#   - --seed: the same seed twice, the same datagrams lost; another seed,
#     others;
#   - labo link --verify: within its tolerances on a working link; exit 1
#     and OFF when the link does not do what it was asked (its emulator
#     killed);
#   - a scenario's choices (a random host, a majority ring, halves, a
#     random link's drops) the same again from the same seed, others from
#     others; a run without a seed prints the one it drew;
#   - the lab file's settings: in place at up, in status as the lab file's,
#     what `link reset` returns to; a link the file pulls out does not
#     degrade the lab; conflicting settings: file:line:col, nothing made.
# timeout: 240
. "$(dirname "$0")/lib.sh"
need_root
need_json
need_cmd jq jq
need_cmd tc iproute2
NETPROBE=$REPO/build/tools/netprobe
[ -x "$NETPROBE" ] || die "no $NETPROBE (make build/tools/netprobe)"
N=10000

new_lab LAB
F=$(lab_file "$LAB" <<EOF
lab: $LAB
segments:
  wan:
    subnet: 198.51.100.80/28
hosts:
  h1:
    links:
      - segment: wan
        address: 198.51.100.82
        delay: 20ms
        loss: 1%
  h2:
    links:
      - segment: wan
        address: 198.51.100.83
  h3:
    links:
      - segment: wan
        address: 198.51.100.84
        down: true
  h4:
    links:
      - segment: wan
        address: 198.51.100.85
EOF
)
H2=198.51.100.83

# ---- the lab file's settings ----
up_lab "$F" "$LAB"
assert_contains "$OUT" "impairments" "up has a stage for the lab file's link settings"
status_json "$LAB"
assert_eq up "$(jqs .state)" "a link the lab file pulls out leaves the lab up, not degraded"
assert_eq "h1@wan delay 20ms, loss 1% true" \
	"$(jqs '.faults.links[] | select(.link == "h1@wan") | "\(.link) \(.settings) \(.declared)"')" \
	"status JSON: h1's link has the lab file's settings, declared"
run "$LABO" status "$LAB"
assert_contains "$OUT" "link h1@wan: delay 20ms, loss 1%, by" "status says h1's link settings"
assert_contains "$OUT" "link h3@wan: pulled out (the lab file's)" "status says h3's link is pulled out by the lab file"
run "$LABO" link -l "$LAB" h1 --delay 5ms --loss 0
expect_rc 0 "h1's settings changed"
run "$LABO" link reset -l "$LAB"
expect_rc 0 "link reset"
status_json "$LAB"
assert_eq "delay 20ms, loss 1%" "$(jqs '.faults.links[] | select(.link == "h1@wan") | .settings')" \
	"link reset returns h1's link to the lab file's settings"
run "$LABO" link -l "$LAB" h3 --up
expect_rc 0 "h3's link plugged in"
run "$LABO" link -l "$LAB" h1 --delay 0 --loss 0
expect_rc 0 "h1's link without its settings, for the measures"

# Neighbours fixed on both sides: no ARP frame crosses the link to take a
# draw, so that a seed meets the same datagrams twice
MAC1=$("$LABO" exec -l "$LAB" h1 -- cat /sys/class/net/eth0/address)
MAC2=$("$LABO" exec -l "$LAB" h2 -- cat /sys/class/net/eth0/address)
ip -n "labo.$LAB.h1" neigh replace "$H2" lladdr "$MAC2" dev eth0 nud permanent ||
	die "a fixed neighbour in h1"
ip -n "labo.$LAB.h2" neigh replace 198.51.100.82 lladdr "$MAC1" dev eth0 nud permanent ||
	die "a fixed neighbour in h2"

# Datagrams the switch namespace refused for a bad IP header: bridged IPv4
# is checked as it crosses netfilter, so a corrupt header dies there, not
# in h2 (Ip InHdrErrors)
sw_refused() {
	ip netns exec "labo.$LAB" awk '/^Ip:/ { if (!n) { for (i = 1; i <= NF; i++) if ($i == "InHdrErrors") k = i; n = 1 } else print $k }' /proc/net/snmp
}
# measure SETTINGS...: sets h1's link, sends N datagrams h1 -> h2, JSON of
# the sink in $JSON, with "refused" counting the switch's refusals too
measure() {
	run "$LABO" link -l "$LAB" h1 "$@"
	expect_rc 0 "link h1 $*" || return
	local sw0
	sw0=$(sw_refused)
	"$LABO" exec -l "$LAB" h2 -- "$NETPROBE" sink 9 2 >"$TMP/sink.json" &
	local sink=$!
	sleep 0.3
	"$LABO" exec -l "$LAB" h1 -- "$NETPROBE" send "$H2" 9 "$N" 100 >/dev/null
	wait "$sink"
	JSON=$(jq -c --argjson sw "$(($(sw_refused) - sw0))" '.refused += $sw | .switch_refused = $sw' "$TMP/sink.json")
}
# share_within WHAT COUNT OF P [RHO]: COUNT / OF within 3 sigma + 0.5% of
# P, sigma the binomial's over OF (1 - RHO) / (1 + RHO) (losses in runs
# vary more: RHO their lag-1 correlation)
share_within() {
	local what=$1 count=$2 of=$3 p=$4 rho=${5:-0}
	if awk -v c="$count" -v n="$of" -v p="$p" -v r="$rho" 'BEGIN {
		s = c / n; tol = 3 * sqrt(p * (1 - p) / (n * (1 - r) / (1 + r))) + 0.005
		exit !(s >= p - tol && s <= p + tol) }'; then
		ok "$what: $count of $of ($(awk -v c="$count" -v n="$of" 'BEGIN { printf "%.2f%%", 100 * c / n }'), asked $(awk -v p="$p" 'BEGIN { printf "%g%%", 100 * p }'))"
	else
		fail "$what: $count of $of, not within 3 sigma + 0.5% of $p ($JSON)"
	fi
}
run_within() { # run_within WHAT MEAN WANT: within 25%
	if awk -v m="$2" -v w="$3" 'BEGIN { exit !(m >= 0.75 * w && m <= 1.25 * w) }'; then
		ok "$1: runs of $2 on average (asked $3)"
	else
		fail "$1: runs of $2 on average, not $3 +-25% ($JSON)"
	fi
}

measure --corrupt 5%
share_within "--corrupt 5%: refused by h2's checksums" "$(jqs .refused)" "$N" 0.05
assert_eq "$N" "$(jqs '.distinct + .refused')" "--corrupt 5%: the others came intact"

measure --corrupt 0 --duplicate 5%
share_within "--duplicate 5%: came twice" "$(jqs .duplicates)" "$(jqs .distinct)" 0.05
assert_eq "$N" "$(jqs .distinct)" "--duplicate 5%: none lost"

measure --duplicate 0 --delay 10ms --reorder 25%
share_within "--reorder 25% (delay 10ms): came before one sent earlier" "$(jqs .reordered)" "$(jqs .distinct)" 0.25
assert_eq "$N" "$(jqs .distinct)" "--reorder 25%: none lost"

measure --reorder 0 --delay 0 --loss 10%,50%
share_within "--loss 10%,50%: never came" "$(jqs "$N - .distinct")" "$N" 0.10 0.5
run_within "--loss 10%,50%" "$(jqs '.missing_before_last / .missing_runs')" 2.222

measure --loss 0 --gemodel 1%,10%
share_within "--gemodel 1%,10%: never came" "$(jqs "$N - .distinct")" "$N" 0.0909 0.89
run_within "--gemodel 1%,10%" "$(jqs '.missing_before_last / .missing_runs')" 10

# ---- replayable ----
lost_set() { # the datagrams lost, as a digest
	"$LABO" exec -l "$LAB" h2 -- "$NETPROBE" sink 9 2 >"$TMP/sink.json" &
	local sink=$!
	sleep 0.3
	"$LABO" exec -l "$LAB" h1 -- "$NETPROBE" send "$H2" 9 2000 200 >/dev/null
	wait "$sink"
	jq -r '"\(.distinct) \(.missing_runs) \(.missing_before_last)"' "$TMP/sink.json"
}
run "$LABO" link -l "$LAB" h1 --gemodel 0 --loss 20% --seed 7
expect_rc 0 "--loss 20% --seed 7"
A=$(lost_set)
run "$LABO" link -l "$LAB" h1 --seed 7
B=$(lost_set)
run "$LABO" link -l "$LAB" h1 --seed 8
C=$(lost_set)
say "# seed 7: $A; seed 7 again: $B; seed 8: $C"
assert_eq "$A" "$B" "the same seed, the same datagrams lost (received, runs, lost)"
[ "$A" != "$C" ] && ok "another seed, other datagrams lost" || fail "seeds 7 and 8 lost the same ($A)"
run "$LABO" link show -l "$LAB" --json
JSON=$OUT
assert_eq 8 "$(jqs '.[] | select(.link == "h1@wan") | .seed')" "link show has the seed"

# ---- --verify ----
run "$LABO" link -l "$LAB" h1 --seed 0 --loss 2% --delay 20ms --jitter 5ms --verify --json
expect_rc 0 "link --verify on a working link"
JSON=$OUT
assert_eq true "$(jqs .within)" "every measure is within its tolerance"
assert_eq 0 "$(jqs '[.checks[] | select(.within | not)] | length')" "no measure is off"
say "$(jqs -c '.checks[] | [.setting, .asked, .measured]')" | indent
run "$LABO" link -l "$LAB" h1 --verify --peer h3 --probes 500
expect_rc 0 "--verify against h3"
assert_contains "$OUT" "measured against h3" "it says against whom"
run "$LABO" link -l "$LAB" h2 --delay 1ms
run "$LABO" link -l "$LAB" h1 --verify --peer h2
expect_rc 1 "--verify against a peer whose link has settings too is refused"
assert_contains "$ERR" "has settings too" "it says why"
run "$LABO" link reset -l "$LAB" h2
link_pid() { "$LABO" link show -l "$LAB" --json | jq -r '.[] | select(.link == "h1@wan") | .emulators[0].pid'; }
P=$(link_pid)
if [ -n "$P" ] && [ "$P" != null ]; then
	# the emulator and its forwarder: nothing carries the link
	pkill -9 -P "$P"
	kill -9 "$P"
	sleep 0.3
	run "$LABO" link -l "$LAB" h1 --verify --peer h2 --probes 300 --json
	expect_rc 1 "--verify with the link's emulator killed: measures off"
	JSON=$OUT
	assert_eq 100 "$(jqs '.checks[] | select(.setting == "loss from") | .measured | floor')" \
		"it measures every probe lost, against 2% asked"
	run "$LABO" link -l "$LAB" h1
	expect_rc 0 "the emulator started again"
fi
run "$LABO" link -l "$LAB" h1 --probes 10
expect_rc 2 "--probes without --verify"

# ---- bad settings: nothing changes ----
run "$LABO" link -l "$LAB" h1 --gemodel 1%,10%
expect_rc 2 "loss and gemodel together"
assert_contains "$ERR" "two models of loss" "it says why"
run "$LABO" link -l "$LAB" h1 --reorder 10% --delay 0
expect_rc 2 "reorder without a delay"
run "$LABO" link -l "$LAB" h1 --loss 5%,25%,3%
expect_rc 2 "a loss with three numbers"
assert_contains "$ERR" "correlation" "it says what loss takes"

# ---- a scenario's choices, from its seed ----
S=$TMP/choices.yaml
cat >"$S" <<EOF
lab: $LAB
steps:
  - isolate: random
  - heal: all
  - partition: ring
  - heal: all
  - partition: halves
  - heal: all
  - link: random
    loss: 30%
EOF
choices() { # the choices a run of the scenario made, without their times
	"$LABO" chaos "$S" --seed "$1" 2>&1 | sed -n 's/^ *[0-9.]*s *//p' |
		grep -E "^(isolate|partition into|link|scenario)" | sed 's/, seed [0-9]*.*//'
}
A=$(choices 5)
B=$(choices 5)
say "$A" | indent
assert_contains "$A" "partition into a majority ring" "a ring of the 4 hosts"
assert_contains "$A" "partition into halves" "halves of the 4 hosts"
assert_eq "$A" "$B" "the same seed makes the same choices"
DIFF=0
for seed in 6 7 8 9; do [ "$(choices $seed)" != "$A" ] && DIFF=$((DIFF + 1)); done
[ "$DIFF" -gt 0 ] && ok "other seeds make other choices ($DIFF of 4 differ)" || fail "seeds 6-9 all chose as seed 5 did"
run "$LABO" chaos "$S"
assert_match "$OUT" 'seed [0-9]+ \(`--seed [0-9]+` makes the same choices again\)' "a run without --seed prints the one it drew"
status_json "$LAB"
assert_eq 0 "$(jqs '.faults.partitions | length')" "chaos put the cuts back"

run "$LABO" down "$LAB"
expect_rc 0 "down"
assert_lab_gone "$LAB"

# ---- a lab file whose settings conflict: nothing made ----
new_lab BAD
G=$(lab_file "$BAD" <<EOF
lab: $BAD
segments:
  wan:
    subnet: 198.51.100.80/28
hosts:
  h1:
    links:
      - segment: wan
        address: 198.51.100.82
        loss: 1%
        gemodel: 1%,10%
EOF
)
run "$LABO" up "$G"
expect_rc 2 "up of a lab file with loss and gemodel on one link"
assert_contains "$ERR" "$G:8:9: error: loss and gemodel are two models of loss" "file:line:col and why"
assert_lab_gone "$BAD"

# ---- settings on a host-to-host link: netem's, or up refuses and rolls back ----
PROBE_NS=labo-test-netem-$$
ip netns add "$PROBE_NS" && defer "ip netns del $PROBE_NS"
if ip netns exec "$PROBE_NS" tc qdisc add dev lo root netem delay 1ms 2>/dev/null; then NETEM=yes; else NETEM=no; fi
new_lab P2P
G=$(lab_file "$P2P" <<EOF
lab: $P2P
hosts:
  a: {}
  b: {}
links:
  - endpoints:
      - {host: a, address: 198.51.100.89/30}
      - {host: b, address: 198.51.100.90/30}
    delay: 10ms
EOF
)
run "$LABO" up "$G"
if [ "$NETEM" = yes ]; then
	expect_rc 0 "up with a delay on a host-to-host link (netem)"
	run "$LABO" down "$P2P"
else
	expect_rc 1 "up with a delay on a host-to-host link, without netem"
	assert_contains "$ERR" "sch_netem" "it says the kernel has no netem"
	assert_contains "$ERR" "putting the lab file's link settings in place" "it says at which stage"
fi
assert_lab_gone "$P2P"
finish
