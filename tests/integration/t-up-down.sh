#!/bin/bash
# A two-host lab on one segment with a root address: up, reachability,
# MTU, status (human and JSON), ls, down, down again.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd ping iputils-ping
need_json

new_lab LAB
F=$(lab_file "$LAB" <<EOF
lab: $LAB
segments:
  wan:
    subnet: 198.51.100.16/28
    mtu: 1400
    root: 198.51.100.17
hosts:
  h1:
    links:
      - segment: wan
        address: 198.51.100.18
  h2:
    links:
      - segment: wan
        address: 198.51.100.19
EOF
)

# ---- up ----
up_lab "$F" "$LAB"
for stage in check switch hosts links addresses; do
	assert_match "$OUT" "^  $stage +[0-9.]+ ms" "up prints the '$stage' stage"
done
assert_match "$OUT" "lab $LAB is up" "up says the lab is up"

ns=$(ip netns list | awk '{ print $1 }')
for n in "labo.$LAB" "labo.$LAB.h1" "labo.$LAB.h2"; do
	if printf '%s\n' "$ns" | grep -qx "$n"; then
		ok "ip netns list shows $n"
	else
		fail "ip netns list does not show $n"
		printf '%s\n' "$ns" | grep -F "$LAB" | indent
	fi
done

# ---- exec, reachability ----
run "$LABO" exec -l "$LAB" h1 -- hostname
expect_rc 0 "exec hostname in h1" && assert_eq "h1" "$OUT" "hostname in h1 is h1"
run "$LABO" exec -l "$LAB" h2 -- hostname
expect_rc 0 "exec hostname in h2" && assert_eq "h2" "$OUT" "hostname in h2 is h2"

run "$LABO" exec -l "$LAB" h1 -- ping -n -c 1 -W 2 198.51.100.19
expect_rc 0 "h1 pings h2 (198.51.100.19)"
run "$LABO" exec -l "$LAB" h2 -- ping -n -c 1 -W 2 198.51.100.17
expect_rc 0 "h2 pings the root namespace (198.51.100.17)"
run ping1 "$LAB-wan" 198.51.100.18
expect_rc 0 "the root namespace pings h1 (198.51.100.18)"
run ping1 "$LAB-wan" 198.51.100.19
expect_rc 0 "the root namespace pings h2 (198.51.100.19)"

# ---- MTU and the root interface ----
for h in h1 h2; do
	run ip -n "labo.$LAB.$h" -o link show eth0
	expect_rc 0 "eth0 exists in $h" && assert_contains "$OUT" " mtu 1400 " "eth0 in $h has the lab file's mtu 1400"
done
run ip -o link show "$LAB-wan"
expect_rc 0 "root interface $LAB-wan exists" && {
	assert_contains "$OUT" " mtu 1400 " "$LAB-wan has mtu 1400"
	assert_contains "$OUT" "alias labo:$LAB" "$LAB-wan carries the alias labo:$LAB"
}
run ip -o -4 addr show dev "$LAB-wan"
assert_contains "$OUT" "inet 198.51.100.17/28 " "$LAB-wan has the root address 198.51.100.17/28"

# ---- status ----
run "$LABO" status "$LAB"
expect_rc 0 "status $LAB" && {
	assert_match "$OUT" "^lab $LAB: up" "status says the lab is up"
	assert_match "$OUT" "^host h1 +up" "status lists h1 up"
	assert_match "$OUT" "^host h2 +up" "status lists h2 up"
}

sum=""
run "$LABO" status --json "$LAB"
if expect_rc 0 "status --json $LAB"; then
	printf '%s\n' "$OUT" >"$TMP/status.json"
	sum=$(status_summary <"$TMP/status.json") || fail "status --json is not valid JSON of the documented shape"
	want="schema 1
lab $LAB
state up
hosts 2
segment wan up ports 3
root wan $LAB-wan up 198.51.100.17/28
host h1 up labo.$LAB.h1
iface h1 eth0 up 1400 198.51.100.18/28
host h2 up labo.$LAB.h2
iface h2 eth0 up 1400 198.51.100.19/28"
	assert_eq "$want" "$sum" "status --json: schema 1, the lab, 2 hosts, state up, each interface up with its address"
fi

# The usage text documents `status [LAB|FILE] [--json]`: the option after
# the lab must work too.
run "$LABO" status "$LAB" --json
expect_rc 0 "status LAB --json (the order the usage text shows)" &&
	assert_eq "$sum" "$(printf '%s\n' "$OUT" | status_summary)" "status LAB --json gives the same status"

# status by lab file rather than by name
run "$LABO" status --json "$F"
expect_rc 0 "status --json FILE" &&
	assert_contains "$OUT" "\"lab\": \"$LAB\"" "status FILE finds the lab named in the file"

# ---- ls ----
run "$LABO" ls
expect_rc 0 "ls" && assert_match "$OUT" "^$LAB +up +2 " "ls lists $LAB, up, 2 hosts"
run "$LABO" ls --json
expect_rc 0 "ls --json" &&
	assert_match "$(printf '%s\n' "$OUT" | ls_summary)" "^$LAB up 2\$" "ls --json lists $LAB, up, 2 hosts"

# ---- up again changes nothing; up of another file of that lab is refused ----
ino=$(stat -L -c %i "/run/netns/labo.$LAB.h1")
run "$LABO" up "$F"
expect_rc 0 "a second up of the same lab file"
assert_contains "$OUT" "lab $LAB is up" "a second up says the lab is up"
assert_eq "$ino" "$(stat -L -c %i "/run/netns/labo.$LAB.h1")" "a second up made nothing again"
sed 's/^  h1:/  h1x:/' "$F" >"$TMP/other.yaml"
run "$LABO" up "$TMP/other.yaml"
expect_rc 1 "up of another version of the lab's file"
assert_contains "$ERR" "is up, from another version of this lab file" "the refusal says why"
assert_contains "$ERR" "labo down $LAB" "the refusal says what to do"
run "$LABO" exec -l "$LAB" h1 -- ping -n -c 1 -W 2 198.51.100.19
expect_rc 0 "the lab still works after the second ups"

# ---- down ----
run "$LABO" down "$LAB"
expect_rc 0 "down $LAB"
assert_contains "$OUT" "lab $LAB is down" "down says the lab is down"
assert_lab_gone "$LAB"

run "$LABO" down "$LAB"
expect_rc 0 "a second down (idempotent)"
assert_contains "$OUT" "was not up" "a second down says there was nothing to do"
assert_lab_gone "$LAB"

run "$LABO" status "$LAB"
expect_rc 4 "status of a lab that is down"
run ip -o route get 198.51.100.18
assert_not_contains "$OUT" "dev $LAB-wan" "the root namespace has no route through the lab any more"

finish
