#!/bin/bash
# `labo validate` needs no privilege; bad files give status 2 and
# "file:line:col: error:" diagnostics; `up` of a bad file makes nothing.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd setpriv util-linux

# The files must be readable by nobody.
chmod 755 "$TMP"
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --)

run "${AS_NOBODY[@]}" id -u
assert_eq "65534" "$OUT" "setpriv runs commands as uid 65534"

# ---- the seed file, unprivileged ----
run "${AS_NOBODY[@]}" "$LABO" validate "$REPO/netns/seed.yaml"
expect_rc 0 "validate netns/seed.yaml as nobody"
assert_match "$OUT" "ok: lab seed, 2 hosts, 1 segment" "validate reports the seed lab's shape"

# ---- the built-in seed, no argument ----
run "${AS_NOBODY[@]}" "$LABO" validate
expect_rc 0 "validate with no argument (the built-in seed) as nobody"
assert_match "$OUT" "built-in.*ok: lab seed, 2 hosts" "validate with no argument validates the built-in seed"

# ---- a good file, unprivileged ----
new_lab LAB
GOOD=$(lab_file "$LAB" <<EOF
lab: $LAB
segments:
  wan:
    subnet: 198.51.100.144/28
    root: 198.51.100.145
hosts:
  h1:
    links:
      - segment: wan
        address: 198.51.100.146
EOF
)
chmod 644 "$GOOD"
run "${AS_NOBODY[@]}" "$LABO" validate "$GOOD"
expect_rc 0 "validate a good file as nobody"
assert_contains "$OUT" "ok: lab $LAB, 1 host, 1 segment, 1 link" "validate reports the good file's shape"

# ---- a bad file: a misspelt key on line 10, column 9 ----
BAD=$TMP/bad.yaml
cat >"$BAD" <<EOF
lab: $LAB
segments:
  wan:
    subnet: 198.51.100.144/28
    root: 198.51.100.145
hosts:
  h1:
    links:
      - segment: wan
        adress: 198.51.100.146
EOF
chmod 644 "$BAD"
run "${AS_NOBODY[@]}" "$LABO" validate "$BAD"
expect_rc 2 "validate a file with an unknown key"
assert_match "$ERR" "^$BAD:[0-9]+:[0-9]+: error: " "diagnostics have the form file:line:col: error:"
assert_match "$ERR" "^$BAD:10:9: error: .*adress" "the unknown key is reported at 10:9, where it is"
assert_contains "$ERR" "address" "the message suggests 'address'"
assert_eq "" "$OUT" "nothing on stdout for a bad file"

# ---- several errors at once, each with its position ----
BAD2=$TMP/bad2.yaml
cat >"$BAD2" <<EOF
lab: $LAB
segments:
  wan:
    subnet: 198.51.100.144/28
hosts:
  h1:
    links:
      - segment: lan
        address: 198.51.100.146
  h2:
    links:
      - segment: wan
        address: 198.51.100.200
EOF
chmod 644 "$BAD2"
run "${AS_NOBODY[@]}" "$LABO" validate "$BAD2"
expect_rc 2 "validate a file with an undefined segment and an address outside its subnet"
assert_match "$ERR" "^$BAD2:8:[0-9]+: error: .*lan" "the undefined segment is reported on line 8"
assert_match "$ERR" "^$BAD2:13:[0-9]+: error: .*198\\.51\\.100\\.200" "the address outside the subnet is reported on line 13"

# ---- not YAML at all, and no file ----
printf 'lab: [unclosed\n' >"$TMP/bad3.yaml"
chmod 644 "$TMP/bad3.yaml"
run "${AS_NOBODY[@]}" "$LABO" validate "$TMP/bad3.yaml"
expect_rc 2 "validate a file that is not valid YAML"
assert_match "$ERR" "^$TMP/bad3.yaml:[0-9]+:[0-9]+: error: " "a YAML syntax error has a position too"
run "${AS_NOBODY[@]}" "$LABO" validate "$TMP/absent.yaml"
expect_rc 2 "validate a file that does not exist"
assert_contains "$ERR" "$TMP/absent.yaml" "the message names the missing file"
run "$LABO" validate "$GOOD" "$BAD"
expect_rc 2 "validate with two files (usage)"

# ---- up of a bad file, as root: status 2, nothing made ----
before=$(ls -A /run/netns 2>/dev/null | grep -E "^labo\\.$LAB(\\.|\$)")
run "$LABO" up "$BAD"
expect_rc 2 "up of a bad file"
assert_match "$ERR" "^$BAD:10:9: error: " "up of a bad file prints the same diagnostic"
assert_contains "$ERR" "nothing was created" "up of a bad file says nothing was created"
assert_eq "$before" "$(ls -A /run/netns 2>/dev/null | grep -E "^labo\\.$LAB(\\.|\$)")" "up of a bad file made no namespace"
assert_lab_gone "$LAB"

run "$LABO" up "$TMP/absent.yaml"
expect_rc 2 "up of a file that does not exist"
assert_lab_gone "$LAB"

# ---- limits (issue 9): refused where the file passes one, and nothing made ----
# 1024 hosts on one segment: a valid file, but a Linux bridge has 1023 ports
BIG=$TMP/big.yaml
{
	printf 'lab: %s\nsegments: {lan: {subnet: 10.200.0.0/16}}\nhosts:\n' "$LAB"
	for i in $(seq 1 1024); do printf '  h%d: {links: [{segment: lan}]}\n' "$i"; done
} >"$BIG"
chmod 644 "$BIG"
run "${AS_NOBODY[@]}" "$LABO" validate "$BIG"
expect_rc 0 "validate of 1024 hosts on one segment (validate does not look at the machine)"
run "${AS_NOBODY[@]}" "$LABO" --limit hosts=1000 validate "$BIG"
expect_rc 2 "validate under --limit hosts=1000"
assert_match "$ERR" "^$BIG:1004:3: error: too many hosts: more than 1000, the hosts limit \(labo --limit hosts=N raises it\)" \
	"past the hosts limit: refused at the first host too many"
run "$LABO" --limit hostz=1 validate "$BIG"
expect_rc 2 "an unknown limit is bad input"
before=$(ls -A /run/netns 2>/dev/null | grep -E "^labo\\.$LAB(\\.|\$)")
run "$LABO" up "$BIG"
expect_rc 1 "up of a lab no bridge can hold"
assert_contains "$ERR" "segment 'lan' has 1024 ports, and a Linux bridge has at most 1023" \
	"up says which segment has too many ports"
assert_contains "$ERR" "nothing was made" "and that nothing was made"
assert_eq "$before" "$(ls -A /run/netns 2>/dev/null | grep -E "^labo\\.$LAB(\\.|\$)")" "up of a lab too big made no namespace"
assert_lab_gone "$LAB"
# a hostile file: 100,000 '[' refused at the 64th, at once
printf 'lab: deep\nhosts: %s\n' "$(head -c 100000 /dev/zero | tr '\0' '[')" >"$TMP/deep.yaml"
chmod 644 "$TMP/deep.yaml"
t0=$EPOCHREALTIME
run "${AS_NOBODY[@]}" "$LABO" validate "$TMP/deep.yaml"
expect_rc 2 "validate of 100,000 ["
assert_match "$ERR" "^$TMP/deep.yaml:2:71: error: nested too deep: more than 64 levels" "nesting refused at its position"
assert_eq "1" "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print (b - a < 2) }')" "and at once (under 2 s)"

# --dry-run needs no privilege either and makes nothing
run "${AS_NOBODY[@]}" "$LABO" up --dry-run "$GOOD"
expect_rc 0 "up --dry-run of a good file as nobody"
assert_contains "$OUT" "labo.$LAB.h1" "the dry run shows the host namespace it would make"
assert_lab_gone "$LAB"

finish
