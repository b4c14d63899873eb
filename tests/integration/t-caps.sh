#!/bin/bash
# Without CAP_NET_ADMIN and CAP_SYS_ADMIN, `up` (and down, status, exec)
# exit 3 naming both capabilities, before making anything.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd capsh libcap2-bin
need_cmd setpriv util-linux

chmod 755 "$TMP"
new_lab LAB
F=$(lab_file "$LAB" <<EOF
lab: $LAB
segments:
  wan:
    subnet: 198.51.100.128/28
    root: 198.51.100.129
hosts:
  h1:
    links:
      - segment: wan
        address: 198.51.100.130
  h2:
    links:
      - segment: wan
        address: 198.51.100.131
EOF
)
chmod 644 "$F"
DROP=(capsh --drop=cap_net_admin,cap_sys_admin --)

# The sandbox really lacks the capabilities (else the test proves nothing).
run "${DROP[@]}" -c 'grep ^CapEff /proc/self/status'
eff=$(awk '{ print $2 }' <<<"$OUT")
if [ -z "$eff" ]; then
	fail "cannot read the effective capabilities under capsh"
	show_run
elif (((0x$eff >> 12) & 1)) || (((0x$eff >> 21) & 1)); then
	fail "capsh did not drop CAP_NET_ADMIN (12) / CAP_SYS_ADMIN (21): CapEff $eff"
else
	ok "under capsh the effective set ($eff) lacks CAP_NET_ADMIN and CAP_SYS_ADMIN"
fi

# ---- up as root without the two capabilities ----
run "${DROP[@]}" -c "\"$LABO\" up \"$F\""
expect_rc 3 "up without CAP_NET_ADMIN and CAP_SYS_ADMIN"
assert_contains "$ERR" "CAP_NET_ADMIN" "the message names CAP_NET_ADMIN"
assert_contains "$ERR" "CAP_SYS_ADMIN" "the message names CAP_SYS_ADMIN"
assert_lab_gone "$LAB"

# ---- only one of them missing: the message names that one only ----
run capsh --drop=cap_sys_admin -- -c "\"$LABO\" up \"$F\""
expect_rc 3 "up without CAP_SYS_ADMIN"
assert_contains "$ERR" "CAP_SYS_ADMIN" "the message names CAP_SYS_ADMIN"
assert_not_contains "$ERR" "CAP_NET_ADMIN" "the message does not name CAP_NET_ADMIN, which is there"
assert_lab_gone "$LAB"

# ---- as an ordinary user ----
run setpriv --reuid=65534 --regid=65534 --clear-groups -- "$LABO" up "$F"
expect_rc 3 "up as uid 65534"
assert_contains "$ERR" "CAP_NET_ADMIN" "as nobody, the message names CAP_NET_ADMIN"
assert_contains "$ERR" "CAP_SYS_ADMIN" "as nobody, the message names CAP_SYS_ADMIN"
assert_lab_gone "$LAB"

# ---- the other verbs that act on a lab that is up ----
up_lab "$F" "$LAB"
run "${DROP[@]}" -c "\"$LABO\" exec -l $LAB h1 -- true"
expect_rc 3 "exec without the capabilities"
run "${DROP[@]}" -c "\"$LABO\" status $LAB"
expect_rc 3 "status without the capabilities"
run "${DROP[@]}" -c "\"$LABO\" down $LAB"
expect_rc 3 "down without the capabilities"
assert_contains "$ERR" "CAP_NET_ADMIN" "down's message names CAP_NET_ADMIN"
# nothing was taken down
run "$LABO" exec -l "$LAB" h1 -- ping -n -c 1 -W 2 198.51.100.131
expect_rc 0 "the lab still works after the refused down"
run "$LABO" down "$LAB"
expect_rc 0 "down as root"
assert_lab_gone "$LAB"

finish
