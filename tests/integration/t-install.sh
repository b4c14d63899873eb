#!/bin/bash
# make install and make uninstall, as a packager (DESTDIR, PREFIX=/usr) and
# as a user (a plain PREFIX), and the installed labo at work:
#   - install puts the binary, the image recipe, the example labs, the docs,
#     the man pages and the completion, and nothing of DESTDIR in any file;
#   - the installed labo, run from /, finds its image recipe beside itself
#     (BINDIR/../share/labo) and brings up a Docker lab (the seed under a
#     name of its own, from the installed netns/seed.yaml); status; down;
#   - the binary alone, without its data, says where it looked; as root,
#     a data directory its group may write is refused;
#   - the completion, sourced from where install put it: `labo st<TAB>`,
#     `labo exec -l LAB <TAB>` (the lab's hosts and nodes), `labo up <TAB>`
#     (lab files); `labo __names` as a user who may not read labo's state
#     says nothing;
#   - uninstall with the same variables leaves the directories as they
#     were before install, to the file.
# The seed takes 198.51.100.0/24: like t-seed-docker, this test fails (with
# up's message) while another lab on the machine uses that subnet.
# timeout: 420
. "$(dirname "$0")/lib.sh"
need_root
need_json
need_cmd make make
need_cmd setpriv util-linux
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
need_docker_lab_tools "an installed labo's Docker lab"

VERSION=$(cat "$REPO/VERSION")

# tree DIR: every entry below DIR with its type and mode, sorted
tree() { (cd "$1" && find . -printf '%y %m %p\n' | sort); }

# make_in VARS...: make install/uninstall in the source tree, as a packager
# would type it (it builds what is out of date first): not as a sub-make of
# `make check`, whose flags and jobserver are no business of this one
make_in() { run env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$REPO" --no-print-directory "$@"; }

# complete_labo DIR WORD...: what the installed completion offers for the
# command line WORD... (the last word is the one being completed), run in
# DIR by a bash with the installed labo first in its PATH, sorted, one line
complete_labo() {
	local dir=$1
	shift
	(cd "$dir" && PATH="$P/bin:$PATH" bash -c '
		source "$0"
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_labo
		printf "%s\n" "${COMPREPLY[@]}"' "$P/share/bash-completion/completions/labo" "$@") 2>&1 |
		sort -u | tr '\n' ' ' | sed 's/ $//'
}

# ==== as a packager: DESTDIR ====
D=$TMP/root
mkdir -p "$D"
BEFORE_D=$(tree "$D")
make_in install DESTDIR="$D" PREFIX=/usr
expect_rc 0 "make install DESTDIR=$D PREFIX=/usr" || die "cannot go on without an install"
for f in usr/bin/labo usr/share/labo/images/zookeeper/inputs.sh \
	usr/share/labo/images/zookeeper/build-rootfs.sh usr/share/labo/netns/seed.yaml \
	usr/share/labo/netns/zk3.yaml usr/share/labo/netns/scenarios/zk3-leader.yaml \
	usr/share/doc/labo/README.md usr/share/doc/labo/docs/labfile.md \
	usr/share/doc/labo/docs/tutorial.md usr/share/doc/labo/docs/fr/tutoriel.md \
	usr/share/man/man1/labo.1 usr/share/man/man5/labo-labfile.5 usr/share/man/man5/labo-scenario.5 \
	usr/share/bash-completion/completions/labo; do
	[ -f "$D/$f" ] && ok "install put /$f" || fail "install did not put /$f"
done
assert_eq "755 root" "$(stat -c '%a %U' "$D/usr/bin/labo")" "/usr/bin/labo is root's, mode 0755"
assert_eq "755 root" "$(stat -c '%a %U' "$D/usr/share/labo/images/zookeeper/inputs.sh")" \
	"the recipe's scripts are root's, mode 0755"
x=$(grep -rlaF "$D" "$D")
assert_eq "" "$x" "no installed file holds the DESTDIR path"
run "$D/usr/bin/labo" --version
assert_match "$OUT" "^labo $VERSION \\(commit [0-9a-f]+(-dirty)?\\)\$" "the installed labo says its version, $VERSION, and its commit"
run env MANWIDTH=80 man --warnings=w -l "$D/usr/share/man/man1/labo.1"
assert_eq "0" "$RC$ERR" "man renders the installed labo.1 without a warning"
assert_contains "$OUT" "labo exec" "the installed labo.1 tells of exec"

make_in uninstall DESTDIR="$D" PREFIX=/usr
expect_rc 0 "make uninstall DESTDIR=$D PREFIX=/usr"
assert_eq "$BEFORE_D" "$(tree "$D")" "uninstall leaves DESTDIR as it was before install"

# ==== as a user: a PREFIX of one's own ====
I=$TMP/inst
P=$I/prefix
mkdir -p "$I"
BEFORE_I=$(tree "$I")
make_in install PREFIX="$P"
expect_rc 0 "make install PREFIX=$P" || die "cannot go on without an install"

new_lab LAB 6
F=$(sed -e "s/^lab: seed\$/lab: $LAB/" "$P/share/labo/netns/seed.yaml" | lab_file "$LAB")
grep -qx "lab: $LAB" "$F" || die "the installed netns/seed.yaml has no line 'lab: seed' to rename"
cd / || die "cd /"

# ---- the binary alone, without its data: it says where it looked ----
mkdir -p "$TMP/alone/bin"
cp "$P/bin/labo" "$TMP/alone/bin/labo"
run "$TMP/alone/bin/labo" up "$F"
expect_rc 1 "up by a labo with no data beside it fails"
assert_contains "$ERR" "image recipe 'zookeeper' not found: looked in $TMP/alone/share/labo/images/zookeeper" \
	"it says it looked in BINDIR/../share/labo"
assert_contains "$ERR" "images/zookeeper in $TMP/alone/bin, $TMP/alone, $TMP" \
	"it says where it looked for a source tree"
assert_lab_gone "$LAB"

# ---- as root, data its group could change is refused ----
chmod g+w "$P/share/labo"
run "$P/bin/labo" up "$F"
expect_rc 1 "up with the data directory writable by its group fails"
assert_contains "$ERR" "$P/share/labo is writable by its group" "it says which directory, and why"
chmod g-w "$P/share/labo"
assert_lab_gone "$LAB"

# ---- the installed labo, from /, brings the lab up ----
run "$P/bin/labo" up "$F"
if [ "$RC" -ne 0 ]; then
	show_run
	case $ERR in
	*"already has 198.51.100."* | *"already routes 198.51.100."*)
		die "another lab on this machine uses 198.51.100.0/24, the seed's subnet: bring it down and run again" ;;
	esac
	die "the installed labo's up failed"
fi
ok "the installed labo, run from /, brings $LAB up"
record_ns "$LAB"
assert_match "$OUT" "^  image +[0-9.]+ ms +labo/zookeeper:[0-9a-f]+ " "up made or found the ZooKeeper image"
assert_match "$OUT" "lab $LAB is up" "up says the lab is up"

run "$P/bin/labo" status --json "$LAB"
if expect_rc 0 "the installed labo's status --json"; then
	sum=$(printf '%s\n' "$OUT" | docker_summary) || fail "status --json is not valid JSON of the documented shape"
	assert_match "$sum" "^state up\$" "status: state up"
	assert_match "$sum" "^docker mida-clm1 manager running " "status: mida-clm1's dockerd runs"
	assert_match "$sum" "^docker mida-clm2 worker running " "status: mida-clm2's dockerd runs"
	assert_match "$sum" "^ensemble servers 2 quorum true leader namenode[12] " "status: the ensemble has a leader"
fi
run "$P/bin/labo" status "$LAB"
expect_rc 0 "the installed labo's status" && assert_match "$OUT" "^lab $LAB: up" "status says the lab is up"

# ---- the completion, from where install put it ----
mkdir -p "$TMP/files/sub"
: >"$TMP/files/a.yaml"
: >"$TMP/files/b.yml"
: >"$TMP/files/notes.txt"
assert_eq "start status stop" "$(complete_labo / labo st)" "labo st<TAB>: start status stop"
assert_eq "mida-clm1 mida-clm2 namenode1 namenode2" "$(complete_labo / labo exec -l "$LAB" "")" \
	"labo exec -l $LAB <TAB>: the lab's hosts and nodes"
assert_eq "namenode1 namenode2" "$(complete_labo / labo kill -l "$LAB" "")" \
	"labo kill -l $LAB <TAB>: the lab's nodes"
assert_eq "internet" "$(complete_labo / labo link --lab="$LAB" mida-clm1 "")" \
	"labo link --lab=$LAB mida-clm1 <TAB>: the host's segments"
assert_eq "a.yaml b.yml sub" "$(complete_labo "$TMP/files" labo up "")" \
	"labo up <TAB>: lab files and directories, not notes.txt"
assert_contains " $(complete_labo / labo down "") " " $LAB " "labo down <TAB>: the labs up, $LAB among them"
assert_eq "--copies --dry-run --foreground --help --json --lab --name --parallel --pool --quiet --runtime --until" "$(complete_labo / labo up --)" \
	"labo up --<TAB>: up's options, as its help lists them"
assert_eq "containers" "$(complete_labo / labo up --until co)" "labo up --until co<TAB>: the stage"
assert_eq "auto docker process" "$(complete_labo / labo up --runtime "")" "labo up --runtime <TAB>: the runtimes"

# labo __names runs as whoever pressed TAB: without the right to read the
# state, nothing, not a word on stderr (the sanitized labo of the tree, as
# the installed one is in $TMP, which only root may enter)
run setpriv --reuid=nobody --regid=nogroup --clear-groups "$LABO" __names verbs
assert_contains "$OUT" "status" "as nobody, __names verbs lists the verbs"
run setpriv --reuid=nobody --regid=nogroup --clear-groups "$LABO" __names hosts "$LAB"
[ "$RC" -ne 0 ] && ok "as nobody, __names hosts $LAB fails (exit status $RC)" || fail "as nobody, __names hosts $LAB succeeded"
assert_eq "" "$OUT$ERR" "as nobody, __names hosts $LAB says nothing"
run "$LABO" __names hosts "$LAB"
assert_eq "mida-clm1
mida-clm2" "$OUT" "as root, __names hosts $LAB lists the hosts"

# ---- down ----
run "$P/bin/labo" down "$LAB"
expect_rc 0 "the installed labo's down" && assert_contains "$OUT" "lab $LAB is down" "down says the lab is down"
assert_lab_gone "$LAB"
assert_docker_gone "$LAB"

# ---- uninstall ----
cd "$REPO" || die "cd $REPO"
make_in uninstall PREFIX="$P"
expect_rc 0 "make uninstall PREFIX=$P"
assert_eq "$BEFORE_I" "$(tree "$I")" "uninstall leaves $I as it was before install"
finish
