#!/bin/bash
# A failed `up` exits 1, names what failed, and leaves nothing behind; and it
# never removes what is not its own.
#   A: the root interface's name is taken before `up` (the pre-check sees it)
#   B: the name is taken while `up` runs, after the host namespaces exist and
#      before the root link is made: a real failure half-way, that no check
#      can see in advance (the test pauses labo with SIGSTOP to take the name)
#   C: LABO_FAIL_AT=<stage> fault injection (hosts, links, addresses), where
#      the binary has it
. "$(dirname "$0")/lib.sh"
need_root

# lab_with_root LAB NHOSTS: segment wan (198.51.100.48/28, root .49), h1 and
# h2 with addresses, then hosts without addresses up to NHOSTS.
lab_with_root() {
	local lab=$1 n=$2 i
	{
		cat <<EOF
lab: $lab
segments:
  wan:
    subnet: 198.51.100.48/28
    root: 198.51.100.49
hosts:
  h1:
    links:
      - segment: wan
        address: 198.51.100.50
  h2:
    links:
      - segment: wan
        address: 198.51.100.51
EOF
		for ((i = 3; i <= n; i++)); do
			printf '  h%d:\n    links:\n      - segment: wan\n' "$i"
		done
	} | lab_file "$lab"
}

# the_foreign_if_survived NAME: labo left the interface it did not make.
the_foreign_if_survived() {
	run ip -o link show "$1"
	expect_rc 0 "$1 (not labo's) still exists after the failed up" &&
		assert_not_contains "$OUT" "alias labo:" "$1 was not given labo's alias"
}

# ---- A: the name is taken before up ----
new_lab A
FA=$(lab_with_root "$A" 2)
make_foreign_if "$A-wan" || die "cannot create interface $A-wan"
defer "ip link del $A-wan"
foreign_if "$A-wan"
run "$LABO" up "$FA"
expect_rc 1 "A: up when $A-wan already exists in the root namespace"
assert_contains "$ERR" "$A-wan" "A: the message names the interface $A-wan"
assert_contains "$ERR" "already exists" "A: the message says it already exists"
assert_lab_gone "$A"
the_foreign_if_survived "$A-wan"
ip link del "$A-wan"

# ---- B: the name is taken half-way ----
new_lab B
FB=$(lab_with_root "$B" 120)
defer "ip link del $B-wan"
foreign_if "$B-wan"
say "+ $LABO up $FB &  (stopped once labo.$B exists)"
"$LABO" up "$FB" >"$TMP/b.out" 2>"$TMP/b.err" </dev/null &
pid=$!
deadline=$((SECONDS + 30))
while [ ! -e "/run/netns/labo.$B" ] && kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
	: # busy wait: a fork per round would be too slow
done
kill -STOP "$pid" 2>/dev/null || die "B: labo up exited before its switch namespace appeared: $(cat "$TMP/b.out" "$TMP/b.err")"
n_ns=$(lab_netns "$B" | wc -l)
record_ns "$B"
say "B: labo (pid $pid) stopped with $n_ns namespace(s) of the lab made"
[ "$n_ns" -ge 1 ] || fail "B: no namespace of the lab existed when labo was stopped"
if ip link show "$B-wan" >/dev/null 2>&1; then
	kill -CONT "$pid"
	wait "$pid"
	die "B: labo had already made $B-wan when it was stopped (a faster machine? raise the host count)"
fi
grep -q '^  links' "$TMP/b.out" && fail "B: labo was past the links stage when stopped"
make_foreign_if "$B-wan" || {
	kill -CONT "$pid"
	die "cannot create interface $B-wan"
}
kill -CONT "$pid"
wait "$pid"
RC=$?
OUT=$(cat "$TMP/b.out")
ERR=$(cat "$TMP/b.err")
expect_rc 1 "B: up when $B-wan appears in the root namespace half-way"
assert_match "$OUT" "^  hosts +[0-9.]+ ms +120 namespaces" "B: the failure came after the 120 host namespaces were made"
assert_contains "$OUT" "rolling back" "B: up says it rolls back"
assert_contains "$ERR" "$B-wan" "B: the message names the interface $B-wan"
assert_match "$ERR" "[Ff]ile exists|already exists" "B: the message gives the kernel's reason (exists)"
assert_lab_gone "$B"
the_foreign_if_survived "$B-wan"
ip link del "$B-wan"
# and the lab comes up once the name is free again
up_lab "$FB" "$B"
run "$LABO" exec -l "$B" h1 -- ping -n -c 1 -W 2 198.51.100.51
expect_rc 0 "B: after the failure, the same lab comes up and works"
run "$LABO" down "$B"
expect_rc 0 "B: down"
assert_lab_gone "$B"

# ---- C: injected faults, where the binary has them ----
if grep -q LABO_FAIL_AT "$LABO" 2>/dev/null; then
	new_lab C
	FC=$(lab_with_root "$C" 3)
	# hosts: after half the hosts; links: after all the host namespaces;
	# addresses: after every link, the root one included
	declare -A made_before=([hosts]=switch [links]=hosts [addresses]=links)
	for stage in hosts links addresses; do
		run env LABO_FAIL_AT=$stage "$LABO" up "$FC"
		expect_rc 1 "C: up with LABO_FAIL_AT=$stage"
		assert_contains "$ERR" "injected" "C: the message says the failure at $stage was injected"
		assert_match "$OUT" "^  ${made_before[$stage]} +[0-9.]+ ms" "C: the failure at $stage came after the ${made_before[$stage]} stage"
		assert_contains "$OUT" "rolling back" "C: up says it rolls back"
		assert_lab_gone "$C"
		[ "$RC" -eq 1 ] || "$LABO" down -q "$C" >/dev/null 2>&1
	done
else
	say "note: $LABO has no LABO_FAIL_AT fault injection: scenario C not run"
fi

finish
