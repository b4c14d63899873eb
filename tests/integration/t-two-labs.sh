#!/bin/bash
# Two labs up at once (same host names, different subnets): each works, they
# do not see each other, and taking one down leaves the other intact.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd ping iputils-ping

# two_host_lab LAB NET: segment wan NET.N/28 with root .N+1, h1 .N+2, h2 .N+3
two_host_lab() {
	local lab=$1 base=$2
	lab_file "$lab" <<EOF
lab: $lab
segments:
  wan:
    subnet: 198.51.100.$base/28
    root: 198.51.100.$((base + 1))
hosts:
  h1:
    links:
      - segment: wan
        address: 198.51.100.$((base + 2))
  h2:
    links:
      - segment: wan
        address: 198.51.100.$((base + 3))
EOF
}

new_lab A
new_lab B
FA=$(two_host_lab "$A" 64)
FB=$(two_host_lab "$B" 80)
up_lab "$FA" "$A"
up_lab "$FB" "$B"

works() { # works LAB BASE WHAT
	local lab=$1 base=$2
	run "$LABO" exec -l "$lab" h1 -- ping -n -c 1 -W 2 "198.51.100.$((base + 3))"
	expect_rc 0 "$3: in $lab, h1 pings h2"
	run "$LABO" exec -l "$lab" h2 -- ping -n -c 1 -W 2 "198.51.100.$((base + 2))"
	expect_rc 0 "$3: in $lab, h2 pings h1"
	run ping1 "$lab-wan" "198.51.100.$((base + 2))"
	expect_rc 0 "$3: the root namespace pings $lab's h1"
	run ping1 "$lab-wan" "198.51.100.$((base + 3))"
	expect_rc 0 "$3: the root namespace pings $lab's h2"
}
works "$A" 64 "both up"
works "$B" 80 "both up"

# isolation: a lab's host has no way to the other lab's subnet
run "$LABO" exec -l "$A" h1 -- ping -n -c 1 -W 1 198.51.100.83
[ "$RC" -ne 0 ] && ok "$A's h1 cannot reach $B's h2" || fail "$A's h1 reached $B's h2 (198.51.100.83)"
run "$LABO" exec -l "$A" h1 -- ip -o link show
assert_eq 2 "$(grep -c . <<<"$OUT")" "$A's h1 has exactly two interfaces (lo, eth0)"

# same host name in two labs: exec needs -l
run "$LABO" exec h1 -- true
expect_rc 2 "exec h1 without -l while two labs have an h1"
assert_contains "$ERR" "-l LAB" "the message says to choose with -l"

run "$LABO" status
expect_rc 2 "status without a lab while two are up"

run "$LABO" ls
assert_match "$OUT" "^$A +up " "ls lists $A"
assert_match "$OUT" "^$B +up " "ls lists $B"

# down A: B unaffected
run "$LABO" down "$A"
expect_rc 0 "down $A"
assert_lab_gone "$A"
works "$B" 80 "after down $A"
run "$LABO" status --json "$B"
expect_rc 0 "status $B after down $A" && assert_match "$OUT" '"state": "up"' "$B is still up, not degraded"
run "$LABO" ls
assert_not_contains "$OUT" "$A" "ls no longer lists $A"
# (no ping of A's old addresses: with A gone, it would leave the machine)

# A again, while B is up: names and subnets are free again
up_lab "$FA" "$A"
works "$A" 64 "$A up again"

run "$LABO" down "$B"
expect_rc 0 "down $B"
assert_lab_gone "$B"
run "$LABO" down "$A"
expect_rc 0 "down $A"
assert_lab_gone "$A"

finish
