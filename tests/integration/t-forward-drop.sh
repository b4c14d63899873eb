#!/bin/bash
# A FORWARD policy of DROP where labo runs (what Docker leaves behind), with
# bridged frames going through iptables (br_netfilter), does not break a lab:
# labo keeps its bridges in a namespace of its own. The machine's firewall is
# never touched: the whole scenario runs in a sandbox (new network and mount
# namespaces, a tmpfs on /run/netns, its own sysfs, a private LABO_RUN_DIR) that plays the
# machine, and vanishes with everything in it when it exits.
#
# Control experiment first: in the sandbox, a plain bridge with two veths to
# two throwaway namespaces passes pings with FORWARD ACCEPT and drops them
# with FORWARD DROP. If the DROP did not bite, the test fails: it would prove
# nothing.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd iptables iptables
need_cmd unshare util-linux
need_cmd nsenter util-linux
need_cmd ping iputils-ping

in_sandbox() {
	local lab=$1 v
	use_lab "$lab"

	# ---- the sandbox plays the machine ----
	[ -d /run/netns ] || mkdir -p /run/netns
	mount -t tmpfs -o mode=0755 labo-test-netns /run/netns || die "cannot mount a tmpfs on /run/netns in the sandbox"
	[ -z "$(ls -A /run/netns)" ] || die "the sandbox's /run/netns is not empty"
	# A machine's /sys shows its own network devices: so does the sandbox's.
	mount -t sysfs labo-test-sysfs /sys || die "cannot mount a sysfs for the sandbox"
	mkdir -p "$RUN_DIR" || die "cannot create $RUN_DIR"
	case $RUN_DIR in /run/labo | /run/labo/*) die "LABO_RUN_DIR must be private to the sandbox, not $RUN_DIR" ;; esac
	ip link set lo up
	run ip -o link show
	assert_eq 1 "$(grep -c . <<<"$OUT")" "the sandbox is a fresh network namespace (only lo)"

	iptables -P FORWARD DROP || die "iptables -P FORWARD DROP failed in the sandbox"
	run iptables -S FORWARD
	assert_match "$OUT" "^-P FORWARD DROP\$" "FORWARD's policy is DROP in the sandbox"
	fw_snapshot_reset # labo must leave the sandbox's rules exactly so
	v=$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null)
	assert_eq 1 "$v" "net.bridge.bridge-nf-call-iptables is 1 in the sandbox (bridged frames go through FORWARD)"

	# ---- control: a bridge in the "machine" namespace ----
	local c1=ctl1-$lab c2=ctl2-$lab i
	ip netns add "$c1" && ip netns add "$c2" || die "cannot create the control namespaces"
	defer "ip netns del $c1; ip netns del $c2"
	ip link add ctlbr type bridge && ip link set ctlbr up || die "cannot create the control bridge"
	for i in 1 2; do
		ip link add "ctl$i" type veth peer name eth0 netns "ctl$i-$lab" &&
			ip link set "ctl$i" master ctlbr up &&
			ip -n "ctl$i-$lab" addr add "198.51.100.16$i/28" dev eth0 &&
			ip -n "ctl$i-$lab" link set eth0 up &&
			ip -n "ctl$i-$lab" link set lo up || die "cannot wire control namespace $i"
	done
	iptables -P FORWARD ACCEPT
	run nsenter --net="/run/netns/$c1" ping -n -c 1 -W 2 198.51.100.162
	expect_rc 0 "control, FORWARD ACCEPT: a ping crosses the plain bridge"
	iptables -P FORWARD DROP
	run nsenter --net="/run/netns/$c1" ping -n -c 1 -W 1 198.51.100.162
	if [ "$RC" -ne 0 ]; then
		ok "control, FORWARD DROP: the ping across the plain bridge is dropped"
	else
		fail "control, FORWARD DROP: the ping crossed the plain bridge: the DROP has no effect here, so the test below would prove nothing"
	fi

	# ---- the lab ----
	local F
	F=$(lab_file "$lab" <<EOF
lab: $lab
segments:
  wan:
    subnet: 198.51.100.96/28
    root: 198.51.100.97
hosts:
  h1:
    links:
      - segment: wan
        address: 198.51.100.98
  h2:
    links:
      - segment: wan
        address: 198.51.100.99
EOF
)
	up_lab "$F" "$lab"
	run "$LABO" exec -l "$lab" h1 -- ping -n -c 1 -W 2 198.51.100.99
	expect_rc 0 "FORWARD DROP: h1 pings h2 across the lab's segment"
	run "$LABO" exec -l "$lab" h2 -- ping -n -c 1 -W 2 198.51.100.98
	expect_rc 0 "FORWARD DROP: h2 pings h1"
	run ping1 "$lab-wan" 198.51.100.98
	expect_rc 0 "FORWARD DROP: the sandbox (as the machine) pings h1"
	run ping1 "$lab-wan" 198.51.100.99
	expect_rc 0 "FORWARD DROP: the sandbox (as the machine) pings h2"
	fw_snapshot >"$TMP/fw.up"
	if cmp -s "$TMP/.fw.before" "$TMP/fw.up"; then
		ok "labo up added no rule to the sandbox's firewall"
	else
		fail "labo up changed the sandbox's firewall:"
		diff -u "$TMP/.fw.before" "$TMP/fw.up" | indent
	fi

	run "$LABO" down "$lab"
	expect_rc 0 "down in the sandbox"
	assert_lab_gone "$lab"
	run iptables -S FORWARD
	assert_match "$OUT" "^-P FORWARD DROP\$" "FORWARD's policy is still DROP after down"
}

if [ "${1:-}" = --sandbox ]; then
	in_sandbox "$2"
	finish
fi

new_lab LAB
say "+ unshare --net --mount --propagation private -- bash $0 --sandbox $LAB"
unshare --net --mount --propagation private -- \
	env LABO_RUN_DIR="$TMP/run" bash "$0" --sandbox "$LAB" </dev/null >"$TMP/sandbox.log" 2>&1
RC=$?
sed 's/^/  [sandbox] /' "$TMP/sandbox.log"
if [ "$RC" -eq 0 ]; then
	ok "the scenario in the sandbox passed"
else
	fail "the scenario in the sandbox failed (exit status $RC)"
fi
# Outside: nothing of the lab ever reached the machine, firewall included.
assert_lab_gone "$LAB"
finish
