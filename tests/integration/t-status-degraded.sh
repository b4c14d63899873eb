#!/bin/bash
# `status` compares the lab with the kernel: an interface set down, a root
# interface down, a host namespace gone each make the lab "degraded"; `down`
# still removes everything.
. "$(dirname "$0")/lib.sh"
need_root
need_json

new_lab LAB
F=$(lab_file "$LAB" <<EOF
lab: $LAB
segments:
  wan:
    subnet: 198.51.100.112/28
    root: 198.51.100.113
hosts:
  h1:
    links:
      - segment: wan
        address: 198.51.100.114
  h2:
    links:
      - segment: wan
        address: 198.51.100.115
  h3:
    links:
      - segment: wan
        address: 198.51.100.116
EOF
)
up_lab "$F" "$LAB"

# status_facts WHEN: S gets the summary of `labo status --json LAB`
status_facts() {
	S=""
	run "$LABO" status --json "$LAB"
	expect_rc 0 "status --json ($1)" || return 1
	S=$(printf '%s\n' "$OUT" | status_summary) || fail "status --json ($1) is not valid JSON"
}

status_facts "all up"
assert_match "$S" "^state up\$" "all up: the lab is up"
assert_eq 3 "$(grep -c '^iface .* up 1500 ' <<<"$S")" "all up: three interfaces up"

# ---- an interface set down inside a host ----
ip -n "labo.$LAB.h1" link set eth0 down || die "cannot set eth0 down in h1"
status_facts "h1's eth0 down"
assert_match "$S" "^state degraded\$" "h1's eth0 down: the lab is degraded"
assert_match "$S" "^iface h1 eth0 down 1500 198\\.51\\.100\\.114/28\$" "h1's eth0 down: status shows it down, with its address"
assert_match "$S" "^iface h2 eth0 up " "h1's eth0 down: h2's eth0 is still up"
run "$LABO" status "$LAB"
assert_match "$OUT" "^lab $LAB: degraded" "the human status says degraded too"
assert_match "$OUT" "^  eth0 +down " "the human status shows the interface down"
ip -n "labo.$LAB.h1" link set eth0 up
status_facts "h1's eth0 up again"
assert_match "$S" "^state up\$" "h1's eth0 up again: the lab is up again"

# ---- the root interface down ----
ip link set "$LAB-wan" down || die "cannot set $LAB-wan down"
status_facts "$LAB-wan down"
assert_match "$S" "^state degraded\$" "$LAB-wan down: the lab is degraded"
assert_match "$S" "^root wan $LAB-wan down 198\\.51\\.100\\.113/28\$" "$LAB-wan down: status shows the root interface down"
ip link set "$LAB-wan" up

# ---- a host's namespace removed behind labo's back ----
ip netns delete "labo.$LAB.h3" || die "cannot delete labo.$LAB.h3"
status_facts "h3 deleted"
assert_match "$S" "^state degraded\$" "h3 deleted: the lab is degraded"
assert_match "$S" "^host h3 missing " "h3 deleted: status shows the host missing"
assert_match "$S" "^iface h3 eth0 missing " "h3 deleted: status shows its interface missing"
assert_match "$S" "^host h2 up " "h3 deleted: h2 is still up"

# ---- down cleans up all the same ----
run "$LABO" down "$LAB"
expect_rc 0 "down of a degraded lab"
assert_lab_gone "$LAB"

finish
