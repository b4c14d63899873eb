#!/bin/bash
# tests/doc/check-man.sh LABO MANDIR: the man pages against the binary
# (`make doc-check`, part of `make check`; no privilege needed).
#
#   - labo.1 has a section for each verb of the table (src/cli/verbs.c), in
#     its order, and for no other: the verbs come from `labo __names verbs`,
#     checked against the overview of `labo help`;
#   - each section's synopsis is the verb's usage line, and its options
#     are the verb's (`labo VERB --help`), no more, no less;
#   - man renders each page in MANDIR without a warning (groff's, all of
#     them), at 80 columns.
#
# Prints "ok: ..." or "FAIL: ..." per check, and "N passed, N failed".
set -u
LABO=${1:?usage: $0 LABO MANDIR}
MANDIR=${2:?usage: $0 LABO MANDIR}
SRC=$(cd "$(dirname "$0")/../.." && pwd)/docs/man/labo.1.scd
export LC_ALL=C.UTF-8 MANWIDTH=80
passed=0 failed=0

ok() {
	echo "ok: $*"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}
# check WHAT EXPECTED GOT
check() {
	if [ "$2" == "$3" ]; then
		ok "$1"
	else
		fail "$1"
		diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/    /'
	fi
}

for t in man scdoc; do
	command -v "$t" >/dev/null || { fail "this check needs '$t' (Debian package ${t/man/man-db})"; }
done
[ -x "$LABO" ] || fail "$LABO is not an executable"
[ "$failed" -eq 0 ] || { echo "$passed passed, $failed failed"; exit 1; }

# ---- the verbs ----
verbs=$("$LABO" __names verbs)
overview=$("$LABO" help | awk '/^[A-Z].*:$/ { g = 1; next } /^$/ { g = 0 } g && /^  [a-z]/ { print $1 }')
check "labo __names verbs lists the verbs of labo help's overview" "$overview" "$verbs"
[ "$(printf '%s\n' "$verbs" | wc -l)" -ge 10 ] || fail "fewer than 10 verbs: $verbs"

# The sections of COMMANDS: "## VERB" up to the next "#" heading.
sections=$(awk '/^# / { in_cmds = ($0 == "# COMMANDS") } in_cmds && /^## / { print $2 }' "$SRC")
check "labo.1 has a section for each verb of the table, in its order ($(echo $verbs))" "$verbs" "$sections"

section() {
	awk -v v="$1" '/^#/ { on = ($0 == "## " v) ; next } on' "$SRC"
}

# The options of a verb's help: the words starting with '-' in the option
# column of its lines "  -l, --lab LAB  ..." (the column ends at two spaces).
help_options() {
	"$LABO" "$1" --help | sed -n 's/^ \{2,\}\(-[^ ].*\)$/\1/p' | sed 's/  .*//' |
		tr ', ' '\n\n' | grep '^-' | sort -u
}

# The options a section defines: its lines "*-l*, *--lab* _LAB_", tab-less.
man_options() {
	section "$1" | grep '^\*-' | grep -o '\*-[^*]*\*' | tr -d '*' | sort -u
}

for v in $verbs; do
	usage=$("$LABO" "$v" --help | sed -n 's/^usage: //p')
	synopsis=$(section "$v" | grep -m1 '^\*labo ' | sed -e 's/\\_/\x01/g' -e 's/[*_]//g' -e 's/\x01/_/g' -e 's/++$//')
	check "labo.1, $v: the synopsis is the usage line" "$usage" "$synopsis"
	check "labo.1, $v: the options are those of 'labo $v --help'" "$(help_options "$v")" "$(man_options "$v")"
done

# ---- rendering ----
n=0
for page in "$MANDIR"/*.[1-8]; do
	[ -f "$page" ] || continue
	n=$((n + 1))
	err=$(man --warnings=w -l "$page" 2>&1 >/dev/null)
	check "man renders $(basename "$page") without a warning" "" "$err"
	out=$(man -l "$page" 2>/dev/null | head -1)
	case $out in
	*"$(basename "${page%.*}")("*) ok "$(basename "$page"): its header names it" ;;
	*) fail "$(basename "$page"): the rendered page starts '$out'" ;;
	esac
done
[ "$n" -ge 3 ] && ok "$n man pages in $MANDIR" || fail "$MANDIR has $n man pages, not the 3 expected (make man)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
