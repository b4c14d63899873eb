#!/bin/bash
# The tutorial (docs/tutorial.md, and docs/fr/tutoriel.md in French) run as
# a reader runs it: every command block, in order, on both of its paths,
# against real labs with real Docker and ZooKeeper.
#
#   t-tutorial.sh           run it (root; run.sh runs it so)
#   t-tutorial.sh --list    no privilege, nothing made: check both documents'
#                           blocks and print the commands, FILE:LINE each
#
# The blocks (the convention is explained to readers in the tutorial,
# "Reading the commands"): a fenced block whose info string starts with
# `sh` is a command block, and must say where it runs:
#   ```sh machine ...       on the machine, as root, `labo` on PATH, from
#                           the source directory: `bash -c BLOCK` here
#   ```sh NODE ...          inside NODE (or a host) of the lab:
#                           `labo exec NODE -- bash -c BLOCK`
# then words KEY=VALUE:
#   path=by-hand|at-once    run on that path only (none: on both)
#   stdin=newlines          the command asks questions: stdin is empty lines
#                           (ssh-keygen reads its answers from stdin when it
#                           has no terminal)
#   password=PW             it asks a password (ssh, ssh-copy-id): given by
#                           SSH_ASKPASS, SSH_ASKPASS_REQUIRE=force, DISPLAY,
#                           and no terminal
#   expect=fail             the block must fail: exit status 1 (labo's
#                           "failure"; 2 bad input, 3 privileges, 4 no such
#                           lab, 126/127 no such command are not the failure
#                           the tutorial means)
#   retry=Ns                run it again until it succeeds, N seconds at most
#   interrupt=Ns            it runs until Ctrl-C: SIGINT after N seconds,
#                           which is its success (machine blocks only)
# Any other word, a `sh` block with no place, an indented `sh` block or an
# empty one is an error: no command of the tutorial goes untested by
# mistake. Blocks in other languages (text, yaml) are not run.
#
# Both documents must carry the same command blocks, in the same order,
# byte for byte (info string and text): then running one runs the other,
# and the test runs the English one (LABO_TUTORIAL=docs/fr/tutoriel.md runs
# the French one). Running both would double a test of several minutes to
# prove nothing more; the comparison is what keeps them from drifting, and
# it needs no privilege (--list).
#
# A block runs with `set -eE` and an ERR trap, so a failing command is
# named with its line: a failure reads
#   FAIL: docs/tutorial.md:312 (by-hand, in namenode1): exit status 1 at
#         line 313: zkServer.sh start
# with the block's output. The rest of that path is then skipped (each step
# needs the ones before it), its lab brought down, and the other path run.
#
# The paths, in order: by-hand (`labo up netns/seed-by-hand.yaml` ... `labo
# down`), then at-once (`labo up` ... `labo down`), each with nothing of its
# lab left afterwards. The labs get names of their own (lib.sh's new_lab),
# never `seed` or `seed-by-hand`, which may be someone's: in machine blocks
#   netns/seed-by-hand.yaml, netns/seed.yaml, netns/scenarios/seed-partition.yaml
# become copies with the lab renamed, a bare `labo up` becomes `labo up`
# of the renamed seed, and LABO_LAB names the path's lab for every verb
# that leaves the lab out. A machine block that still names the lab `seed`
# or `seed-by-hand` is an error (it would act on someone else's lab).
#
# Besides each block's exit status, the test checks what the tutorial says
# the reader sees, on the blocks whose command is exactly the one below
# (and fails if such a block is gone from the tutorial):
#   by-hand, `labo status` before any `zkServer.sh start`: "not started"
#   `labo verify` with expect=fail: "not yet"
#   `ssh namenode2 hostname` in namenode1: "namenode2" (no password asked:
#       the block has no password=, so a password prompt fails it)
#   `cat /var/lib/zookeeper/myid ...` in namenodeN: N first
#   `zkServer.sh status` in both nodes: one leader, one follower
# and, at the end of each path, that nothing of its lab is left.
#
# Both paths use 198.51.100.0/24, so another lab on it (someone's `labo
# up`) makes `labo up` refuse and this test fail, saying so. Without root,
# Docker, a JDK, busybox-static or zookeeper-bin it FAILS, never skips.
# timeout: 1500

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DOC_EN=docs/tutorial.md
DOC_FR=docs/fr/tutoriel.md
DOC_RUN=${LABO_TUTORIAL:-$DOC_EN}

# ==== the blocks (no privilege) ====

# parse_doc FILE: the command blocks of FILE (relative to the repo) in the
# arrays P_LINE (the opening fence's line), P_WHERE, P_ATTRS (the words
# after the place, as written), P_TEXT; errors printed as FILE:LINE: ...,
# counted in P_ERRORS.
parse_doc() {
	local file=$1 n=0 line in=0 fence="" info="" start=0 text="" lang where rest w k v words
	P_LINE=() P_WHERE=() P_ATTRS=() P_TEXT=() P_ERRORS=0
	if [ ! -r "$ROOT/$file" ]; then
		echo "$file: cannot read it"
		P_ERRORS=1
		return 1
	fi
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		if [ "$in" -eq 0 ]; then
			# an opening fence (indented by 3 spaces at most, as CommonMark has it)
			if [[ $line =~ ^(\ {0,3})(\`\`\`+)[[:space:]]*(.*)$ ]]; then
				in=1 fence=${BASH_REMATCH[2]} info=${BASH_REMATCH[3]} start=$n text=""
				if [ -n "${BASH_REMATCH[1]}" ] && [[ $info =~ ^sh([[:space:]]|$) ]]; then
					echo "$file:$n: an indented \`sh\` block is not run: start the fence at the line's start"
					P_ERRORS=$((P_ERRORS + 1))
				fi
			elif [[ $line =~ ^[[:space:]]+\`\`\`+[[:space:]]*sh([[:space:]]|$) ]]; then
				echo "$file:$n: an indented \`sh\` block is not run: start the fence at the line's start"
				P_ERRORS=$((P_ERRORS + 1))
			fi
			continue
		fi
		# a closing fence: at least as many backticks, nothing else
		if [[ $line =~ ^\ {0,3}(\`\`\`+)[[:space:]]*$ ]] && [ ${#BASH_REMATCH[1]} -ge ${#fence} ]; then
			in=0
			read -r lang where rest <<<"$info"
			[ "$lang" = sh ] || continue
			if [ -z "$where" ]; then
				echo "$file:$start: a \`sh\` block must say where it runs: \`\`\`sh machine, \`\`\`sh namenode1, ..."
				P_ERRORS=$((P_ERRORS + 1))
				continue
			fi
			if [ "$where" != machine ] && ! [[ $where =~ ^[a-z][a-z0-9-]*$ ]]; then
				echo "$file:$start: '$where' is neither 'machine' nor a host's or node's name"
				P_ERRORS=$((P_ERRORS + 1))
			fi
			for w in $rest; do
				k=${w%%=*} v=${w#*=}
				case "$k=$v" in
				path=by-hand | path=at-once | stdin=newlines | expect=fail) ;;
				password=?*) [[ $v =~ ^[A-Za-z0-9._-]+$ ]] ||
					{ echo "$file:$start: password=$v: letters, digits, '.', '_' and '-' only"; P_ERRORS=$((P_ERRORS + 1)); } ;;
				retry=* | interrupt=*)
					[[ $v =~ ^[1-9][0-9]*s$ ]] ||
						{ echo "$file:$start: $w: a number of seconds, as $k=30s"; P_ERRORS=$((P_ERRORS + 1)); }
					if [ "$k" = interrupt ] && [ "$where" != machine ]; then
						echo "$file:$start: interrupt= is for machine blocks only"
						P_ERRORS=$((P_ERRORS + 1))
					fi ;;
				*) echo "$file:$start: unknown word '$w' in the block's first line (path=, stdin=newlines, password=, expect=fail, retry=, interrupt=)"
				   P_ERRORS=$((P_ERRORS + 1)) ;;
				esac
			done
			if [ -z "${text//[[:space:]]/}" ]; then
				echo "$file:$start: an empty \`sh\` block"
				P_ERRORS=$((P_ERRORS + 1))
				continue
			fi
			P_LINE+=("$start")
			P_WHERE+=("$where")
			read -r -a words <<<"$rest"
			P_ATTRS+=("${words[*]}")
			P_TEXT+=("${text%$'\n'}")
			continue
		fi
		text+=$line$'\n'
	done <"$ROOT/$file"
	if [ "$in" -eq 1 ]; then
		echo "$file:$start: a block is never closed"
		P_ERRORS=$((P_ERRORS + 1))
	fi
	[ "$P_ERRORS" -eq 0 ]
}

# attr ATTRS KEY: the value of KEY=... in ATTRS, or nothing.
attr() {
	local w
	for w in $1; do
		case $w in "$2"=*) printf '%s\n' "${w#*=}" ;; esac
	done
}

# load_docs: parses both documents, compares them, and keeps the blocks of
# the one to run in B_*. Prints the problems; returns 1 if any.
load_docs() {
	local bad=0 i n
	parse_doc "$DOC_EN" || bad=1
	local -a en_line=("${P_LINE[@]}") en_where=("${P_WHERE[@]}") en_attrs=("${P_ATTRS[@]}") en_text=("${P_TEXT[@]}")
	parse_doc "$DOC_FR" || bad=1
	local -a fr_line=("${P_LINE[@]}") fr_where=("${P_WHERE[@]}") fr_attrs=("${P_ATTRS[@]}") fr_text=("${P_TEXT[@]}")
	n=${#en_line[@]}
	[ ${#fr_line[@]} -gt "$n" ] && n=${#fr_line[@]}
	[ -r "$ROOT/$DOC_EN" ] && [ -r "$ROOT/$DOC_FR" ] || n=0
	for ((i = 0; i < n; i++)); do
		if [ "${en_where[i]:-}|${en_attrs[i]:-}" != "${fr_where[i]:-}|${fr_attrs[i]:-}" ] ||
			[ "${en_text[i]:-}" != "${fr_text[i]:-}" ]; then
			echo "the documents' command blocks differ from block $((i + 1)) on:"
			echo "  $DOC_EN:${en_line[i]:-(no more blocks)}: ${en_where[i]:+sh ${en_where[i]}${en_attrs[i]:+ ${en_attrs[i]}}}"
			printf '%s\n' "${en_text[i]:-}" | sed 's/^/    | /'
			echo "  $DOC_FR:${fr_line[i]:-(no more blocks)}: ${fr_where[i]:+sh ${fr_where[i]}${fr_attrs[i]:+ ${fr_attrs[i]}}}"
			printf '%s\n' "${fr_text[i]:-}" | sed 's/^/    | /'
			echo "  (both must carry the same commands, in the same order: keep explanations in the prose)"
			bad=1
			break
		fi
	done
	if [ ${#en_line[@]} -eq 0 ]; then
		echo "$DOC_EN: no command block at all"
		bad=1
	fi
	if [ "$DOC_RUN" = "$DOC_FR" ]; then
		B_LINE=("${fr_line[@]}") B_WHERE=("${fr_where[@]}") B_ATTRS=("${fr_attrs[@]}") B_TEXT=("${fr_text[@]}")
	else
		B_LINE=("${en_line[@]}") B_WHERE=("${en_where[@]}") B_ATTRS=("${en_attrs[@]}") B_TEXT=("${en_text[@]}")
	fi
	return "$bad"
}

if [ "${1:-}" = --list ]; then
	rc=0
	load_docs || rc=1
	for ((i = 0; i < ${#B_LINE[@]}; i++)); do
		echo "$DOC_RUN:${B_LINE[i]}: ${B_WHERE[i]}${B_ATTRS[i]:+ ${B_ATTRS[i]}}"
		printf '%s\n' "${B_TEXT[i]}" | sed 's/^/    /'
	done
	echo "# ${#B_LINE[@]} command blocks in $DOC_RUN$([ "$rc" -eq 0 ] && echo ", the same in $DOC_EN and $DOC_FR")"
	exit "$rc"
elif [ $# -gt 0 ]; then
	echo "usage: $0 [--list]" >&2
	exit 2
fi

# ==== running them (root) ====

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
[ "$ROOT" = "$REPO" ] || die "lib.sh's REPO ($REPO) is not this test's ($ROOT)"
load_docs >"$TMP/docs.err" 2>&1 || {
	indent <"$TMP/docs.err"
	die "the tutorial's command blocks are not runnable as written (above)"
}
ok "${#B_LINE[@]} command blocks in $DOC_RUN, the same in $DOC_FR"

need_root
need_json
CLI_MT=/usr/lib/zookeeper/bin/cli_mt # read by need_docker_lab_tools
export CLI_MT
need_docker_lab_tools "the tutorial"

[ -f "$REPO/netns/seed-by-hand.yaml" ] ||
	die "netns/seed-by-hand.yaml is missing: the tutorial's by-hand path brings it up"

# The labs, renamed: "<lab>-internet" must fit 15 bytes, so 6 characters.
new_lab LAB_HAND 6
new_lab LAB_SEED 6
HAND_FILE=$(sed "s/^lab: seed-by-hand\$/lab: $LAB_HAND/" "$REPO/netns/seed-by-hand.yaml" | lab_file "$LAB_HAND")
SEED_FILE=$(sed "s/^lab: seed\$/lab: $LAB_SEED/" "$REPO/netns/seed.yaml" | lab_file "$LAB_SEED")
SCEN_FILE=$(sed "s/^lab: seed\$/lab: $LAB_SEED/" "$REPO/netns/scenarios/seed-partition.yaml" | lab_file "scenario-$LAB_SEED")
grep -qx "lab: $LAB_HAND" "$HAND_FILE" || die "netns/seed-by-hand.yaml has no line 'lab: seed-by-hand' to rename"
grep -qx "lab: $LAB_SEED" "$SEED_FILE" || die "netns/seed.yaml has no line 'lab: seed' to rename"
grep -qx "lab: $LAB_SEED" "$SCEN_FILE" || die "netns/scenarios/seed-partition.yaml has no line 'lab: seed' to rename"

# `labo` on PATH, as the tutorial has it
mkdir -p "$TMP/bin"
ln -s "$LABO" "$TMP/bin/labo"

# rewrite TEXT: a machine block with the test's labs in place of the
# tutorial's (see the header); prints it, or returns 1 if it still names
# the lab seed or seed-by-hand.
rewrite() {
	local out="" line
	while IFS= read -r line; do
		line=${line//netns\/seed-by-hand.yaml/$HAND_FILE}
		line=${line//netns\/scenarios\/seed-partition.yaml/$SCEN_FILE}
		line=${line//netns\/seed.yaml/$SEED_FILE}
		if [[ $line =~ ^([[:space:]]*labo[[:space:]]+up)([[:space:]].*)?$ ]] && [[ $line != *.yaml* ]]; then
			line="${BASH_REMATCH[1]} $SEED_FILE${BASH_REMATCH[2]}"
		fi
		out+=$line$'\n'
	done <<<"$1"
	printf '%s' "$out"
	! printf '%s' "$out" | grep -Eq '(^|[^A-Za-z0-9/._-])seed(-by-hand)?([^A-Za-z0-9._/-]|$)'
}

# The line every block starts with (one line, so that the block's line k
# is the script's line k + 1): stop at the first failure and name it.
# shellcheck disable=SC2016 # expanded by the block's shell, not here
TRAP_LINE='set -eE; trap '\''echo "labo-tutorial: exit status $? at block line $((LINENO - 1)): $BASH_COMMAND" >&2'\'' ERR'

# run_block I PATH LAB: runs block I once; $RC, $OUT, $ERR.
run_block() {
	local i=$1 path=$2 lab=$3 where=${B_WHERE[$1]} attrs=${B_ATTRS[$1]} text script head pw intr stdin=/dev/null
	text=${B_TEXT[i]}
	_record_all
	if [ "$where" = machine ]; then
		text=$(rewrite "$text") || {
			RC=2 OUT="" ERR="this machine block names the lab seed or seed-by-hand, which the test cannot rename: use a lab file's path, or leave the lab out"
			return
		}
	fi
	head=$TRAP_LINE
	[ "$(attr "$attrs" expect)" != fail ] || head='true'
	pw=$(attr "$attrs" password)
	if [ -n "$pw" ]; then
		# shellcheck disable=SC2016
		head="printf '#!/bin/sh\\necho $pw\\n' >/tmp/.labo-askpass && chmod 700 /tmp/.labo-askpass && export SSH_ASKPASS=/tmp/.labo-askpass SSH_ASKPASS_REQUIRE=force DISPLAY=:0; trap 'rm -f /tmp/.labo-askpass' EXIT; $head"
	fi
	script=$head$'\n'$text
	if [ "$(attr "$attrs" stdin)" = newlines ]; then
		printf '\n\n\n\n\n\n\n\n' >"$TMP/.stdin"
		stdin=$TMP/.stdin
	fi
	intr=$(attr "$attrs" interrupt)
	if [ "$where" = machine ]; then
		if [ -n "$intr" ]; then
			(cd "$REPO" && PATH=$TMP/bin:$PATH LABO_LAB=$lab timeout -s INT -k 10 "${intr%s}" bash -c "$script") \
				<"$stdin" >"$TMP/.out" 2>"$TMP/.err"
			RC=$?
			[ "$RC" -ne 124 ] || RC=0
		else
			(cd "$REPO" && PATH=$TMP/bin:$PATH LABO_LAB=$lab timeout -k 10 300 bash -c "$script") \
				<"$stdin" >"$TMP/.out" 2>"$TMP/.err"
			RC=$?
		fi
	else
		timeout -k 10 120 "$LABO" exec -l "$lab" "$where" -- bash -c "$script" \
			<"$stdin" >"$TMP/.out" 2>"$TMP/.err"
		RC=$?
	fi
	OUT=$(cat "$TMP/.out")
	ERR=$(cat "$TMP/.err")
}

# block_failed I PATH: the failure, named by file, line and command.
block_failed() {
	local i=$1 where=${B_WHERE[$1]} at cmd k
	at=$(printf '%s\n' "$ERR" | sed -n 's/^labo-tutorial: exit status [0-9]* at block line \([0-9]*\): .*/\1/p' | tail -n 1)
	if [ -n "$at" ]; then
		k=$((B_LINE[i] + at))
		cmd=$(printf '%s\n' "${B_TEXT[i]}" | sed -n "${at}p")
		fail "$DOC_RUN:${B_LINE[i]} ($2, in $where): exit status $RC at line $k: $cmd"
	elif [ "$(attr "${B_ATTRS[i]}" expect)" = fail ]; then
		fail "$DOC_RUN:${B_LINE[i]} ($2, in $where): expected to fail here (exit status 1), got $RC: $(printf '%s' "${B_TEXT[i]}" | head -n 1)"
	else
		fail "$DOC_RUN:${B_LINE[i]} ($2, in $where): exit status $RC: $(printf '%s' "${B_TEXT[i]}" | tr '\n' ';' | sed 's/;$//')"
	fi
	echo "  the block:"
	printf '%s\n' "${B_TEXT[i]}" | indent
	show_run
	case $ERR in
	*"already has 198.51.100."* | *"already routes 198.51.100."*)
		say "  (another lab on this machine uses 198.51.100.0/24, as the tutorial's labs do: \`labo ls\`, bring it down, run again)" ;;
	esac
}

# check_block I PATH: what the tutorial says the reader sees (see the
# header), on the blocks it names.
check_block() {
	local i=$1 path=$2 where=${B_WHERE[$1]} text=${B_TEXT[$1]} id at="$DOC_RUN:${B_LINE[$1]}"
	case "$where|$text" in
	"machine|labo status")
		if [ "$path" = by-hand ] && [ -z "$ZK_STARTED" ]; then
			CHECKED[not-started]=1
			assert_contains "$OUT" "not started" "$at: by hand, before zkServer.sh start, labo status says 'not started'"
		fi ;;
	"machine|labo verify")
		if [ "$(attr "${B_ATTRS[i]}" expect)" = fail ]; then
			CHECKED[verify-not-yet]=1
			assert_contains "$OUT$ERR" "not yet" "$at: labo verify says what is not yet done"
		fi ;;
	"namenode1|ssh namenode2 hostname")
		CHECKED[ssh]=1
		assert_eq namenode2 "$OUT" "$at: ssh namenode2 hostname from namenode1, with no password, answers namenode2" ;;
	"namenode1|zkServer.sh start" | "namenode2|zkServer.sh start")
		ZK_STARTED=1 ;;
	"namenode1|zkServer.sh status" | "namenode2|zkServer.sh status")
		MODES[$where]=$(printf '%s\n' "$OUT" | sed -n 's/^Mode: //p')
		if [ -n "${MODES[namenode1]:-}" ] && [ -n "${MODES[namenode2]:-}" ]; then
			CHECKED[roles]=1
			assert_eq "follower leader" "$(printf '%s\n' "${MODES[namenode1]}" "${MODES[namenode2]}" | sort | tr '\n' ' ' | sed 's/ $//')" \
				"$at: zkServer.sh status: one leader, one follower (namenode1 ${MODES[namenode1]}, namenode2 ${MODES[namenode2]})"
			MODES=()
		fi ;;
	"namenode1|cat /var/lib/zookeeper/myid"* | "namenode2|cat /var/lib/zookeeper/myid"*)
		id=${where#namenode}
		CHECKED[myid-$id]=1
		assert_eq "$id" "$(printf '%s\n' "$OUT" | head -n 1)" "$at: $where's myid is $id" ;;
	esac
}

# run_path PATH LAB: every block of the path, in order; stops at the first
# that fails. Then the lab is down, with nothing left.
run_path() {
	local path=$1 lab=$2 i p want tries t0 retry n=0
	local -A CHECKED=() MODES=()
	ZK_STARTED=""
	say "==== the $path path (lab $lab) ===="
	for ((i = 0; i < ${#B_LINE[@]}; i++)); do
		p=$(attr "${B_ATTRS[i]}" path)
		[ -z "$p" ] || [ "$p" = "$path" ] || continue
		n=$((n + 1))
		say "+ $DOC_RUN:${B_LINE[i]}: ${B_WHERE[i]}${B_ATTRS[i]:+ ${B_ATTRS[i]}}"
		printf '%s\n' "${B_TEXT[i]}" | indent
		want=0
		[ "$(attr "${B_ATTRS[i]}" expect)" != fail ] || want=1
		retry=$(attr "${B_ATTRS[i]}" retry)
		retry=${retry%s}
		t0=$EPOCHREALTIME tries=0
		while :; do
			tries=$((tries + 1))
			run_block "$i" "$path" "$lab"
			if [ "$RC" -eq "$want" ]; then
				break
			fi
			if [ -z "$retry" ] || [ "$RC" -eq 2 ]; then
				break
			fi
			awk -v a="$t0" -v s="$retry" -v n="$EPOCHREALTIME" 'BEGIN { exit !(n - a < s) }' || break
			sleep 2
		done
		[ "$tries" -eq 1 ] || say "  ($tries tries in $(secs_since "$t0") s)"
		if [ "$RC" -ne "$want" ]; then
			block_failed "$i" "$path"
			say "the rest of the $path path is skipped: each step needs the ones before it"
			break
		fi
		ok "$DOC_RUN:${B_LINE[i]} ($path, in ${B_WHERE[i]})"
		[ -z "$OUT" ] || printf '%s\n' "$OUT" | head -n 40 | indent
		check_block "$i" "$path"
	done
	say "$n blocks on the $path path"
	# what the test checks must still be in the tutorial
	local c need="ssh roles myid-1 myid-2"
	[ "$path" = by-hand ] && need+=" not-started verify-not-yet"
	if [ "$i" -ge ${#B_LINE[@]} ]; then
		for c in $need; do
			[ -n "${CHECKED[$c]:-}" ] ||
				fail "$path: the tutorial has no block for the test's '$c' check any more (see the header of $TEST_NAME.sh)"
		done
	fi
	# the tutorial ends with `labo down`; after a failure, the test does it
	if [ -e "$RUN_DIR/$lab" ] || [ -n "$(lab_netns "$lab")" ]; then
		[ "$i" -lt ${#B_LINE[@]} ] || fail "$path: the lab $lab is still up after the tutorial's last block"
		run "$LABO" down -q "$lab"
		expect_rc 0 "labo down $lab (after the $path path)"
	fi
	assert_lab_gone "$lab"
	assert_docker_gone "$lab"
}

run_path by-hand "$LAB_HAND"
run_path at-once "$LAB_SEED"
finish
