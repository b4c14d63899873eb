#!/bin/bash
# The gate on a root link (include/labo/engine/gate.h): the machine and a lab reach
# each other only where the lab file says so, filtered in the lab's own
# switch namespace, never in the machine's firewall.
#   - a lab with no word about it: its hosts cannot open a TCP connection or
#     send UDP to a listener of the root namespace (on the root's lab address
#     or bound to 0.0.0.0); the machine, even an unprivileged user of it,
#     cannot open one to a port the lab does not publish; ping works both
#     ways, and the hosts still reach each other;
#   - a lab whose segment says `root: {allow: [...], expose: [...]}`: exactly
#     those get through, and nothing else;
#   - the machine's firewall is the same before, during and after.
# (Published ports and the Docker APIs through the gate: t-seed-docker.)
. "$(dirname "$0")/lib.sh"
need_root
need_cmd busybox busybox-static
need_cmd setpriv util-linux
need_cmd jq jq
NETPROBE=$REPO/build/tools/netprobe
[ -x "$NETPROBE" ] || die "no $NETPROBE (make build/tools/netprobe)"
fw_snapshot >"$TMP/.fw.before"

gate_lab() { # gate_lab LAB NET [ROOT-EXTRA]: two hosts; root .1, h1 .2 (its default route: the root), h2 .3
	lab_file "$1" <<EOF
lab: $1
segments:
  wan:
    subnet: 198.51.100.$2/28
    root: {address: 198.51.100.$(($2 + 1))${3:+, $3}}
hosts:
  h1:
    links: [{segment: wan, address: 198.51.100.$(($2 + 2))}]
    routes: [{to: default, via: 198.51.100.$(($2 + 1))}]
  h2:
    links: [{segment: wan, address: 198.51.100.$(($2 + 3))}]
EOF
}
# tcp_from WHERE ADDR PORT: opens a TCP connection (1.5 s at most: a connection inside the machine takes well under a millisecond); WHERE is
# "root", "nobody" (an unprivileged user of the machine) or a host of $CUR
tcp_from() {
	case $1 in
	root) timeout 1.5 bash -c 'exec 3<>/dev/tcp/$0/$1' "$2" "$3" 2>/dev/null ;;
	nobody) setpriv --reuid=nobody --regid=nogroup --clear-groups timeout 1.5 bash -c 'exec 3<>/dev/tcp/$0/$1' "$2" "$3" 2>/dev/null ;;
	*) "$LABO" exec -l "$CUR" "$1" -- timeout 1.5 bash -c 'exec 3<>/dev/tcp/$0/$1' "$2" "$3" 2>/dev/null ;;
	esac
}
# listen_root PORT: a TCP listener of the root namespace on 0.0.0.0, one connection
listen_root() {
	busybox nc -l -p "$1" </dev/null >/dev/null 2>&1 &
	LISTENER=$!
	sleep 0.2
}
stop_listener() { kill "$LISTENER" 2>/dev/null; wait "$LISTENER" 2>/dev/null; }
# listen_host HOST PORT: the same in a host of $CUR
listen_host() {
	"$LABO" exec -l "$CUR" "$1" -- busybox nc -l -p "$2" </dev/null >/dev/null 2>&1 &
	LISTENER=$!
	sleep 0.3
}
# udp_to_root HOST ADDR PORT: 5 datagrams from HOST; prints how many the root got
udp_to_root() {
	timeout 3 "$NETPROBE" sink "$3" 1 >"$TMP/sink.json" 2>/dev/null &
	local sink=$!
	sleep 0.2
	"$LABO" exec -l "$CUR" "$1" -- "$NETPROBE" send "$2" "$3" 5 1000 >/dev/null 2>&1
	wait "$sink" 2>/dev/null
	local n
	n=$(jq -r '.received // 0' "$TMP/sink.json" 2>/dev/null)
	echo "${n:-0}"
}
expect_tcp() { # expect_tcp yes|no WHERE ADDR PORT WHAT
	local want=$1 what=$5
	shift
	if tcp_from "$@"; then got=yes; else got=no; fi
	assert_eq "$want" "$got" "$what"
}

# ==== a lab that says nothing: nothing gets through ====
new_lab A 7
CUR=$A
up_lab "$(gate_lab "$A" 224)" "$A"
assert_match "$OUT" "^  gate .* 1 root link: the machine reaches nothing; the lab reaches nothing" \
	"up says what goes through the gate"
ROOT=198.51.100.225 H1=198.51.100.226 H2=198.51.100.227
run "$LABO" status "$A"
assert_match "$OUT" "^lab $A: up .*hosts and links only\)" "status of a lab with no daemon and no node names no runtime"
run "$LABO" status --json "$A"
assert_eq none "$(jq -r .runtime <<<"$OUT")" "status --json: runtime none"
listen_root 47001
expect_tcp no h1 "$ROOT" 47001 "$A: h1 cannot open a connection to the root's lab address"
stop_listener
# another address of the machine, which h1's default route (the root) reaches
OTHER_IF=gt-$A
make_foreign_if "$OTHER_IF" && defer "ip link del $OTHER_IF" && ip addr add 10.199.77.1/32 dev "$OTHER_IF" &&
	ip link set "$OTHER_IF" up || die "cannot make a second address of the machine"
listen_root 47001
expect_tcp no h1 10.199.77.1 47001 "$A: nor to another address of the machine, through its default route"
stop_listener
assert_eq 0 "$(udp_to_root h1 "$ROOT" 47002)" "$A: h1's UDP to a root listener does not arrive"
listen_host h2 47003
expect_tcp yes h1 "$H2" 47003 "$A: the hosts still reach each other"
stop_listener
listen_host h1 47004
expect_tcp no root "$H1" 47004 "$A: the machine cannot open a connection to a port the lab does not publish"
stop_listener
listen_host h1 47004
expect_tcp no nobody "$H1" 47004 "$A: nor can an unprivileged user of the machine"
stop_listener
run ping -n -c 1 -W 2 -I "$A-wan" "$H1"
expect_rc 0 "$A: the machine pings h1"
run "$LABO" exec -l "$A" h1 -- ping -n -c 1 -W 2 "$ROOT"
expect_rc 0 "$A: h1 pings the machine"

# ==== a lab that says what: exactly that gets through ====
new_lab B 7
CUR=$B
up_lab "$(gate_lab "$B" 240 'allow: [47011/tcp, 47012/udp], expose: [47013, 47020-47021/tcp]')" "$B"
assert_match "$OUT" "the machine reaches 47013/tcp, 47020-47021/tcp; the lab reaches 47011/tcp, 47012/udp" \
	"up says what goes through the gate"
ROOT=198.51.100.241 H1=198.51.100.242
listen_root 47011
expect_tcp yes h1 "$ROOT" 47011 "$B: h1 opens a connection to the root on an allowed port (47011/tcp)"
stop_listener
listen_root 47014
expect_tcp no h1 "$ROOT" 47014 "$B: but not on another (47014)"
stop_listener
assert_match "$(udp_to_root h1 "$ROOT" 47012)" '^[1-5]$' "$B: h1's UDP to an allowed port (47012/udp) arrives"
assert_eq 0 "$(udp_to_root h1 "$ROOT" 47015)" "$B: h1's UDP to another port does not"
for port in 47013 47021; do
	listen_host h1 "$port"
	expect_tcp yes nobody "$H1" "$port" "$B: the machine (an unprivileged user too) reaches an exposed port ($port)"
	stop_listener
done
listen_host h1 47016
expect_tcp no root "$H1" 47016 "$B: but not another one (47016)"
stop_listener

fw_snapshot >"$TMP/.fw.during"
cmp -s "$TMP/.fw.before" "$TMP/.fw.during" && ok "the machine's firewall is untouched while the labs are up" ||
	{ fail "the machine's firewall changed:"; diff -u "$TMP/.fw.before" "$TMP/.fw.during" | indent; }
run "$LABO" down "$A"
expect_rc 0 "down $A"
run "$LABO" down "$B"
expect_rc 0 "down $B"
assert_lab_gone "$A"
assert_lab_gone "$B"
fw_snapshot >"$TMP/.fw.after"
cmp -s "$TMP/.fw.before" "$TMP/.fw.after" && ok "the machine's firewall is as it was after down" ||
	fail "the machine's firewall changed after down"
finish
