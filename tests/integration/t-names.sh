#!/bin/bash
# A lab's name becomes a path (/run/labo/<lab>, /var/lib/labo/<lab>) and
# the prefix of its namespaces' names: a name that is not a lab's must never
# get that far. In a sandbox of its own (LABO_RUN_DIR and LABO_STATE_DIR in
# the test's directory, beside a decoy lab that is up and a second decoy
# that the first one's journal is made to name), every verb is given the
# names an attacker or a careless script would give: "", ".", "..", "../x",
# "*", "-", a name with a newline, a 300-byte name. Each is refused as bad
# input (exit 2) with a clear message, and nothing outside changes: the
# decoys' namespaces, run and state directories are exactly as they were.
# Then the paths from the environment (LABO_RUN_DIR, LABO_STATE_DIR: not
# absolute, "/", a link, writable by others, another user's) and from the
# state files (a journal line naming another lab's namespace, a link and a
# mount point inside a lab's directories) are shown to stay inside the lab.
. "$(dirname "$0")/lib.sh"
need_root
need_json
need_cmd jq jq

export LABO_RUN_DIR=$TMP/run LABO_STATE_DIR=$TMP/state
RUN_DIR=$LABO_RUN_DIR
mkdir -m 0700 "$LABO_RUN_DIR" "$LABO_STATE_DIR" || die "cannot make the sandbox's directories"

net_lab() { # net_lab LAB NET: two hosts on a segment, nothing else
	lab_file "$1" <<EOF
lab: $1
segments:
  wan:
    subnet: 198.51.100.$2/28
    root: 198.51.100.$(($2 + 1))
hosts:
  h1:
    links: [{segment: wan, address: 198.51.100.$(($2 + 2))}]
  h2:
    links: [{segment: wan, address: 198.51.100.$(($2 + 3))}]
EOF
}
new_lab DECOY 7
new_lab OTHER 7
up_lab "$(net_lab "$DECOY" 176)" "$DECOY"
up_lab "$(net_lab "$OTHER" 192)" "$OTHER"
# what must not change: the decoys' state and data (made richer), their namespaces
mkdir -p "$LABO_STATE_DIR/$DECOY/_data/n1" "$LABO_STATE_DIR/$OTHER/h1" &&
	echo precious >"$LABO_STATE_DIR/$DECOY/_data/n1/f" && echo precious >"$LABO_STATE_DIR/$OTHER/h1/f" &&
	echo precious >"$TMP/outside" || die "cannot fill the decoys"
snapshot() {
	(cd "$TMP" && find run state outside -printf '%p %y %m %s\n' | sort)
	ls /run/netns | grep -E "^labo\\.($DECOY|$OTHER)(\\.|\$)" | sort
	ip -o link show | awk -F': ' '{ print $2 }' | grep -E "^($DECOY|$OTHER)-" | sort
}
BEFORE=$(snapshot)

LONG=$(head -c 300 /dev/zero | tr '\0' a)
NL=$'a\nb'
SCEN=$(lab_file scenario <<<"lab: $DECOY
steps:
  - {at: 1s, heal: all}")
for name in "" "." ".." "../x" "*" "-" "$NL" "$LONG"; do
	shown=$(printf '%q' "$name")
	[ ${#shown} -le 40 ] || shown="${shown:0:20}... (300 bytes)"
	for cmd in "down @" "down --keep-data @" "status @" "status --json @" "events --no-follow @" \
		"check @ --duration 1s" "link show @" "exec -l @ h1 -- true" "logs -l @ h1" \
		"restart -l @ h1" "partition -l @ h1 h2" "heal -l @" "stop -l @ h1" "start -l @ h1" \
		"kill -l @ n1" "link -l @ h1 --delay 1ms" "link reset -l @" "chaos -l @ $SCEN" "up @" \
		"validate @"; do
		read -r -a words <<<"$cmd"
		args=()
		for w in "${words[@]}"; do
			if [ "$w" = @ ]; then args+=("$name"); else args+=("$w"); fi
		done
		run "$LABO" "${args[@]}"
		if [ "$RC" -ne 2 ]; then
			fail "labo ${cmd/@/$shown}: expected exit status 2, got $RC"
			show_run
		elif [[ "$ERR" != *"invalid lab name"* && "$ERR" != *"reading lab file"* ]]; then
			fail "labo ${cmd/@/$shown}: no clear message"
			show_run
		fi
	done
	ok "every verb refuses the lab name $shown with exit status 2"
done
assert_eq "$BEFORE" "$(snapshot)" "after every verb with every bad name, nothing of the decoys changed"
run "$LABO" status "$DECOY"
expect_rc 0 "the decoy is still up"

# ==== the environment ====
ln -s "$LABO_RUN_DIR" "$TMP/link"
mkdir -m 0777 "$TMP/open" && mkdir -m 0700 "$TMP/theirs" && chown nobody "$TMP/theirs"
for bad in relative / "$TMP/link" "$TMP/open" "$TMP/theirs" "$TMP/run/../run" "$TMP//run"; do
	for var in LABO_RUN_DIR LABO_STATE_DIR; do
		run env "$var=$bad" "$LABO" down "$DECOY"
		expect_rc 2 "$var=$bad: down refuses it"
		assert_contains "$ERR" "$var" "$var=$bad: the error names the variable"
	done
done
run env LABO_RUN_DIR="$TMP/link" "$LABO" ls
expect_rc 2 "LABO_RUN_DIR through a link: ls refuses it"
assert_eq "$BEFORE" "$(snapshot)" "after bad environments, nothing of the decoys changed"

# ==== a lab that someone else holds: the busy message names the holder ====
flock -o "$LABO_RUN_DIR/$DECOY/lock" sleep 30 &  # -o: the lock is flock's alone, gone when it is killed
HOLDER=$!
sleep 0.3
run "$LABO" down "$DECOY"
expect_rc 1 "down of a lab whose lock another process holds"
assert_contains "$ERR" "is busy: another labo (pid $HOLDER, " "the busy message names the holder's pid, from the kernel's record"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
assert_eq "$BEFORE" "$(snapshot)" "a busy lab is left as it was"

# ==== the state files ====
# a directory in the run dir whose name is no lab's is not a lab
mkdir "$LABO_RUN_DIR/Not A Lab" "$LABO_RUN_DIR/a--b"
run "$LABO" ls --json
assert_eq "$(printf '%s\n' "$DECOY" "$OTHER" | sort)" "$(jq -r '.[].lab' <<<"$OUT" | sort)" "ls lists only the directories that are labs"
# DECOY's journal names OTHER's namespaces, and a path out of /run/netns;
# its directories hold links to the outside and a mount point
for line in "netns labo.$OTHER" "netns labo.$OTHER.h1" "netns ../../../etc" "netns labo.$DECOY/../x" \
	"rootlink $OTHER-wan x" "docker ../../etc"; do
	echo "$line" >>"$LABO_RUN_DIR/$DECOY/journal"
done
mkdir -m 0700 "$TMP/far" "$TMP/mnt" && echo precious >"$TMP/far/f" && echo precious >"$TMP/mnt/f"
ln -s "$TMP/far" "$LABO_RUN_DIR/$DECOY/evil"
ln -s "$TMP/far" "$LABO_STATE_DIR/$DECOY/_data/n1/evil"
mkdir "$LABO_RUN_DIR/$DECOY/mnt" && mount --bind "$TMP/mnt" "$LABO_RUN_DIR/$DECOY/mnt" ||
	die "cannot bind a mount point into the decoy's run dir"
defer "umount -l '$LABO_RUN_DIR/$DECOY/mnt'"
run "$LABO" down "$DECOY"
expect_rc 1 "down stops at a mount point inside the lab's run dir"
assert_contains "$ERR" "mnt" "the error names the mount point"
assert_eq "precious precious" "$(cat "$TMP/far/f" "$TMP/mnt/f" | tr '\n' ' ' | sed 's/ $//')" \
	"nothing behind the links or the mount point was removed"
umount "$LABO_RUN_DIR/$DECOY/mnt"
run "$LABO" down "$DECOY"
expect_rc 0 "down again, the mount gone: done"
assert_lab_gone "$DECOY"
assert_eq "precious" "$(cat "$TMP/far/f")" "the link's target outside is still there"
run "$LABO" status "$OTHER"
expect_rc 0 "the lab the journal named is still up"
assert_eq 3 "$(ls /run/netns | grep -cE "^labo\\.$OTHER(\\.|\$)")" "its namespaces are all still there"
assert_eq precious "$(cat "$LABO_STATE_DIR/$OTHER/h1/f")" "its data is still there"
run "$LABO" down "$OTHER"
expect_rc 0 "down the other"
assert_lab_gone "$OTHER"
finish
