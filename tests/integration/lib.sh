# tests/integration/lib.sh: sourced by every tests/integration/t-*.sh.
#
# Gives each test:
#   - $LABO (the binary under test; default ./labo at the repo root), $REPO,
#     $TMP (a private temp dir, removed at exit), $RUN_DIR (labo's state dir)
#   - new_lab VAR [LEN]: a fresh lab name ("t" + 6 hex digits, or LEN
#     characters in all) in VAR, registered so that the EXIT trap runs
#     `$LABO down` on it whatever happens
#   - lab_file LAB: writes stdin to $TMP/LAB.yaml and prints the path
#   - run CMD...: runs CMD, stdout in $OUT, stderr in $ERR, status in $RC
#   - assertions that print what was expected and what came: expect_rc,
#     assert_eq, assert_contains, assert_not_contains, assert_match
#   - assert_lab_gone LAB: nothing of the lab is left on the machine
#   - assert_docker_gone LAB: nothing of the lab's Docker hosts is left (no
#     process, cgroup, state directory or mount)
#   - secs_since T0: seconds since $EPOCHREALTIME was T0, one decimal
#   - status_summary, docker_summary, ls_summary: JSON output as lines
#   - defer CMD: run CMD (eval'ed) at exit, after the labs are down
#
# Assertions are "soft": a failed one is counted and the test goes on (so one
# run shows every problem); the test exits 1 at the end if any failed. Use
# `|| die ...` where carrying on makes no sense. Every test sends traffic only
# to its own labs' addresses, in small subnets of 198.51.100.0/24 (the machine
# itself may sit on 192.0.2.0/24 and 203.0.113.0/24, see netns/seed.yaml).

set -u
set -o pipefail

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$TESTS_DIR/../.." && pwd)
LABO=${LABO:-$REPO/labo}
RUN_DIR=${LABO_RUN_DIR:-/run/labo}
TEST_NAME=$(basename "$0" .sh)
export LC_ALL=C

_LABS=()
_DEFERRED=()
_FAILS=0
declare -A _NS_INODES=()
declare -A _INO_SEEN=()
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
declare -A _FOREIGN_IFS=()

. "$TESTS_DIR/owner.sh"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/labo-it.$TEST_NAME.XXXXXX") || {
	echo "FATAL: mktemp failed"
	exit 1
}
# a later run removes the labs made from here once this shell is gone
owner_mark "$TMP" $$

# ---- reporting ----

say() { printf '%s\n' "$*"; }
ok() { printf 'ok: %s\n' "$*"; }
fail() {
	printf 'FAIL: %s\n' "$*"
	_FAILS=$((_FAILS + 1))
	return 1
}
die() {
	printf 'FATAL: %s\n' "$*"
	_FAILS=$((_FAILS + 1))
	exit 1
}

# Indents stdin for readable reports.
indent() { sed 's/^/    | /'; }

# ---- cleanup ----

defer() { _DEFERRED+=("$1"); }

_cleanup() {
	local rc=$? lab i
	trap - EXIT INT TERM HUP
	set +e
	# Our own background jobs first (a backgrounded `labo up` holds the lab's
	# lock, and `down` would find the lab busy).
	local pids
	pids=$(jobs -p)
	if [ -n "$pids" ]; then
		kill -9 $pids 2>/dev/null
		wait $pids 2>/dev/null
	fi
	for lab in "${_LABS[@]}"; do
		if ! timeout 60 "$LABO" down -q "$lab" >"$TMP/cleanup.out" 2>&1; then
			echo "cleanup: \`labo down -q $lab\` failed:"
			indent <"$TMP/cleanup.out"
			[ "$rc" -ne 0 ] || rc=1
		fi
	done
	for ((i = ${#_DEFERRED[@]} - 1; i >= 0; i--)); do
		eval "${_DEFERRED[i]}" >/dev/null 2>&1
	done
	rm -rf "$TMP"
	if [ "$_FAILS" -gt 0 ] && [ "$rc" -eq 0 ]; then
		rc=1
	fi
	exit "$rc"
}
trap _cleanup EXIT
trap 'echo "interrupted (SIGINT)"; exit 130' INT
trap 'echo "terminated (SIGTERM)"; exit 143' TERM
trap 'echo "hung up (SIGHUP)"; exit 129' HUP

# Ends the test: exit status 1 if any assertion failed.
finish() {
	if [ "$_FAILS" -gt 0 ]; then
		echo "$TEST_NAME: $_FAILS assertion(s) failed"
		exit 1
	fi
	exit 0
}

# ---- prerequisites ----

# need_cmd CMD PACKAGE: a missing tool is a failure, never a skip.
need_cmd() {
	command -v "$1" >/dev/null 2>&1 || die "this test needs '$1' (Debian package $2)"
}

need_root() {
	[ "$(id -u)" -eq 0 ] || die "this test must run as root"
	[ -x "$LABO" ] || die "LABO=$LABO is not an executable (build it: make labo build/asan/labo)"
}

# ---- labs ----

_register_lab() {
	_LABS+=("$1")
	if [ -n "${LABO_TEST_LABS:-}" ]; then
		echo "$1" >>"$LABO_TEST_LABS"
	fi
}

# new_lab VAR [LEN]: VAR gets a new lab name, "t" and random hex digits,
# LEN characters in all (2 to 9, default 7), torn down at exit. Labs with
# long segment names need short names: the root interface "<lab>-<segment>"
# must fit in 15 bytes (the seed's "internet" leaves 6 for the lab).
new_lab() {
	local len=${2:-7} hex
	[ "$len" -ge 2 ] && [ "$len" -le 9 ] || die "new_lab: length $len is not within 2..9"
	hex=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	printf -v "$1" 't%s' "${hex:0:len-1}"
	_register_lab "${!1}"
}

# use_lab NAME: registers an existing name (made by a parent) for teardown.
use_lab() { _register_lab "$1"; }

# lab_file NAME: stdin to $TMP/NAME.yaml; prints the path.
lab_file() {
	cat >"$TMP/$1.yaml"
	echo "$TMP/$1.yaml"
}

# Names in /run/netns belonging to LAB: labo.LAB and labo.LAB.*
lab_netns() {
	local lab=$1
	ls -A /run/netns 2>/dev/null | grep -E "^labo\\.${lab}(\\..+)?\$"
}

# secs_since T0: seconds since $EPOCHREALTIME was T0, one decimal.
secs_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# Clock ticks since boot (the unit of a process's start time in /proc).
now_ticks() { awk -v hz="$CLK_TCK" '{ printf "%d\n", $1 * hz }' /proc/uptime; }

# Start time of PID in clock ticks since boot (field 22 of /proc/PID/stat).
start_ticks() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	set -- $s
	echo "${20}"
}

# Records the inodes of the lab's namespaces, for the process check of
# assert_lab_gone, and when they were last seen. `run` calls it before every
# labo command, so the last record is taken just before a `down`.
#
# Namespace inode numbers are reused once a namespace is freed: a process of
# some other program (on a busy machine) may later sit in a namespace with a
# recorded number. A process that started after the lab's namespaces were
# last seen cannot be one of the lab's, and is not held against it.
# (_INO_SEEN: inode -> clock tick it was last seen as one of our labs'.)
record_ns() {
	local lab=$1 ns ino now paths=()
	for ns in $(lab_netns "$lab"); do
		paths+=("/run/netns/$ns")
	done
	[ ${#paths[@]} -gt 0 ] || return 0
	now=$(now_ticks)
	for ino in $(stat -L -c %i "${paths[@]}" 2>/dev/null); do
		case " ${_NS_INODES[$lab]:-} " in
		*" $ino "*) ;;
		*) _NS_INODES[$lab]="${_NS_INODES[$lab]:-} $ino" ;;
		esac
		_INO_SEEN[$ino]=$now
	done
}

_record_all() {
	local lab
	for lab in "${_LABS[@]}"; do
		record_ns "$lab"
	done
}

# Lets assert_lab_gone accept a root interface named like the lab's own
# (LAB-seg) that the TEST made (e.g. to provoke a collision).
foreign_if() { _FOREIGN_IFS[$1]=1; }

# ---- running commands ----

# run CMD...: stdin from /dev/null; $OUT, $ERR, $RC.
run() {
	say "+ $*"
	[ "$1" != "$LABO" ] || _record_all
	"$@" </dev/null >"$TMP/.out" 2>"$TMP/.err"
	RC=$?
	OUT=$(cat "$TMP/.out")
	ERR=$(cat "$TMP/.err")
}

# run_in FILE CMD...: as run, stdin from FILE.
run_in() {
	local in=$1
	shift
	say "+ $* < $in"
	[ "$1" != "$LABO" ] || _record_all
	"$@" <"$in" >"$TMP/.out" 2>"$TMP/.err"
	RC=$?
	OUT=$(cat "$TMP/.out")
	ERR=$(cat "$TMP/.err")
}

show_run() {
	echo "  exit status: $RC"
	echo "  stdout:"
	printf '%s\n' "$OUT" | indent
	echo "  stderr:"
	printf '%s\n' "$ERR" | indent
}

# ---- assertions ----

# expect_rc N WHAT: the last run's exit status is N.
expect_rc() {
	local want=$1
	shift
	if [ "$RC" -eq "$want" ]; then
		ok "$*: exit status $want"
		return 0
	fi
	fail "$*: expected exit status $want, got $RC"
	show_run
	return 1
}

# assert_eq EXPECTED GOT WHAT
assert_eq() {
	if [ "$1" == "$2" ]; then
		ok "$3"
		return 0
	fi
	fail "$3"
	echo "  expected:"
	printf '%s\n' "$1" | indent
	echo "  got:"
	printf '%s\n' "$2" | indent
	return 1
}

# assert_contains TEXT NEEDLE WHAT (fixed string)
assert_contains() {
	if [[ "$1" == *"$2"* ]]; then
		ok "$3"
		return 0
	fi
	fail "$3"
	echo "  expected to contain: $2"
	echo "  got:"
	printf '%s\n' "$1" | indent
	return 1
}

assert_not_contains() {
	if [[ "$1" != *"$2"* ]]; then
		ok "$3"
		return 0
	fi
	fail "$3"
	echo "  expected NOT to contain: $2"
	echo "  got:"
	printf '%s\n' "$1" | indent
	return 1
}

# assert_match TEXT ERE WHAT: some line of TEXT matches the extended regex.
assert_match() {
	# a here-string, not a pipe: under pipefail, grep -q leaving at the
	# first match made printf of a long text die of SIGPIPE, and a text
	# that matched failed (CI: t-docker-noports, on a whole ZooKeeper log)
	if grep -Eq -- "$2" <<<"$1"; then
		ok "$3"
		return 0
	fi
	fail "$3"
	echo "  expected a line matching: $2"
	echo "  got:"
	printf '%s\n' "$1" | indent
	return 1
}

# ---- JSON (jq, else python3) ----

# status_summary: reads `labo status --json` on stdin, prints one fact a line:
#   schema N / lab NAME / state S / hosts N
#   segment NAME STATE ports N
#   root SEGMENT IFNAME STATE ADDRESS
#   host NAME STATE NETNS
#   iface HOST IFNAME STATE MTU ADDR,ADDR
# Invalid JSON makes it fail (exit non-zero).
status_summary() {
	if command -v jq >/dev/null 2>&1; then
		jq -r '
		  "schema \(.schema)", "lab \(.lab)", "state \(.state)",
		  "hosts \(.hosts | length)",
		  (.segments[] | "segment \(.name) \(.state) ports \(.ports)",
		     (select(.root != null) | "root \(.name) \(.root.ifname) \(.root.state) \(.root.address)")),
		  (.hosts[] | "host \(.name) \(.state) \(.netns)",
		     (.name as $h | .interfaces[] |
		      "iface \($h) \(.ifname) \(.state) \(.mtu) \(.addresses | join(","))"))'
	else
		python3 -c '
import json, sys
d = json.load(sys.stdin)
print("schema %s" % d["schema"]); print("lab %s" % d["lab"]); print("state %s" % d["state"])
print("hosts %d" % len(d["hosts"]))
for s in d["segments"]:
    print("segment %s %s ports %s" % (s["name"], s["state"], s["ports"]))
    r = s.get("root")
    if r is not None:
        print("root %s %s %s %s" % (s["name"], r["ifname"], r["state"], r["address"]))
for h in d["hosts"]:
    print("host %s %s %s" % (h["name"], h["state"], h["netns"]))
    for i in h["interfaces"]:
        print("iface %s %s %s %s %s" % (h["name"], i["ifname"], i["state"], i["mtu"], ",".join(i["addresses"])))
'
	fi
}

# ls_summary: `labo ls --json` on stdin -> "LAB STATE HOSTS" lines.
ls_summary() {
	if command -v jq >/dev/null 2>&1; then
		jq -r '.[] | "\(.lab) \(.state) \(.hosts)"'
	else
		python3 -c '
import json, sys
for l in json.load(sys.stdin):
    print("%s %s %s" % (l["lab"], l["state"], l["hosts"]))
'
	fi
}

# docker_summary: reads `labo status --json` on stdin, prints the Docker and
# ZooKeeper facts one a line (fields separated by single spaces; null as
# "null"):
#   state S
#   docker HOST ROLE STATE pid PID socket PATH log PATH swarm STATE ROLE leader BOOL
#   node NAME HOST ADDRESS CONTAINER MODE ports P,P,...
#   ensemble servers N quorum BOOL leader NAME tolerates N
# Hosts without Docker are left out; so is the ensemble line if the lab has
# no nodes. Invalid JSON makes it fail (exit non-zero).
docker_summary() {
	if command -v jq >/dev/null 2>&1; then
		jq -r '
		  "state \(.state)",
		  (.hosts[] | select(.docker != null) | .docker as $d |
		   "docker \(.name) \($d.role) \($d.state) pid \($d.pid) socket \($d.socket) log \($d.log) swarm \($d.swarm.state) \($d.swarm.role) leader \($d.swarm.leader)"),
		  ((.nodes // [])[] | "node \(.name) \(.host) \(.address) \(.container) \(.mode) ports \(.ports | join(","))"),
		  (select(.ensemble != null) | .ensemble |
		   "ensemble servers \(.servers) quorum \(.quorum) leader \(.leader) tolerates \(.tolerates)")'
	else
		python3 -c '
import json, sys
def j(v):
    return v if isinstance(v, str) else json.dumps(v)
d = json.load(sys.stdin)
print("state %s" % d["state"])
for h in d["hosts"]:
    k = h.get("docker")
    if k is None:
        continue
    s = k.get("swarm") or {}
    print("docker %s %s %s pid %s socket %s log %s swarm %s %s leader %s" % (h["name"], j(k.get("role")),
          j(k.get("state")), j(k.get("pid")), j(k.get("socket")), j(k.get("log")), j(s.get("state")),
          j(s.get("role")), j(s.get("leader"))))
for n in d.get("nodes") or []:
    print("node %s %s %s %s %s ports %s" % (n["name"], n["host"], n["address"], j(n.get("container")),
          j(n.get("mode")), ",".join(n.get("ports") or [])))
e = d.get("ensemble")
if e is not None:
    print("ensemble servers %s quorum %s leader %s tolerates %s" % (j(e.get("servers")), j(e.get("quorum")),
          j(e.get("leader")), j(e.get("tolerates"))))
'
	fi
}

need_json() {
	command -v jq >/dev/null 2>&1 || command -v python3 >/dev/null 2>&1 ||
		die "this test needs jq (Debian package jq) or python3"
}

# ---- the machine's firewall ----

# The root namespace's rules, counters removed.
fw_snapshot() {
	if command -v iptables-save >/dev/null 2>&1; then
		echo "## iptables-save"
		iptables-save 2>&1 | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]//g'
	fi
	if command -v nft >/dev/null 2>&1; then
		echo "## nft list ruleset"
		nft list ruleset 2>&1 | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/g'
	fi
}
fw_snapshot_reset() { fw_snapshot >"$TMP/.fw.before"; }
fw_snapshot_reset

# ---- nothing of a lab left ----

# assert_lab_gone LAB: no /run/netns entry labo.LAB or labo.LAB.*, no root
# interface aliased labo:LAB (or named LAB-*, except those passed to
# foreign_if), no $RUN_DIR/LAB, no process in one of the lab's namespaces
# (as recorded by record_ns), no mount mentioning labo.LAB, and the root
# firewall as it was when the test started. Returns 1 if anything is left.
assert_lab_gone() {
	local lab=$1 bad=0 x f ifn
	# a namespace still named?
	x=$(lab_netns "$lab")
	if [ -n "$x" ]; then
		fail "$lab: /run/netns still has:"
		printf '%s\n' "$x" | indent
		bad=1
	fi
	# a root interface with the lab's alias, or its default name
	x=$(ip -o link show 2>&1 | grep -E "alias labo:${lab}([^a-z0-9-]|\$)")
	for f in /sys/class/net/*/ifalias; do
		[ -r "$f" ] || continue
		if [ "$(cat "$f" 2>/dev/null)" = "labo:$lab" ]; then
			x+=$'\n'"$f: labo:$lab"
		fi
	done
	for ifn in $(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
		case $ifn in
		"$lab"-*) [ -n "${_FOREIGN_IFS[$ifn]:-}" ] || x+=$'\n'"interface $ifn" ;;
		esac
	done
	x=$(printf '%s\n' "$x" | grep -v '^$')
	if [ -n "$x" ]; then
		fail "$lab: root namespace interfaces of the lab are left:"
		printf '%s\n' "$x" | indent
		sleep 0.5
		if ip -o link show | grep -qE "alias labo:${lab}([^a-z0-9-]|\$)|^[0-9]+: ${lab}-"; then
			echo "  (still there 0.5 s later)"
		else
			echo "  (gone 0.5 s later: removed by the kernel's asynchronous cleanup of a"
			echo "   namespace labo still held, not by labo before it returned)"
		fi
		bad=1
	fi
	# the state directory
	if [ -e "$RUN_DIR/$lab" ]; then
		fail "$lab: $RUN_DIR/$lab is left:"
		ls -la "$RUN_DIR/$lab" 2>&1 | indent
		bad=1
	fi
	# processes in the lab's namespaces
	if [ -n "${_NS_INODES[$lab]:-}" ]; then
		local ino pat=""
		for ino in ${_NS_INODES[$lab]}; do
			pat+="${pat:+|}net:\\[$ino\\]"
		done
		x=$(find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/net' -printf '%l %p\n' 2>/dev/null |
			grep -E "^($pat) ")
		local pid start ns alive left=""
		while read -r ns f; do
			[ -n "$f" ] || continue
			pid=${f#/proc/}
			pid=${pid%%/*}
			ino=${ns#net:[}
			ino=${ino%]}
			alive=${_INO_SEEN[$ino]:-0}
			start=$(start_ticks "$pid") || continue
			if [ "$start" -gt $((alive + 1)) ]; then
				say "note: pid $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)) is in a namespace numbered $ino, but started after that number was last seen as the lab's: a reused number, not the lab's"
				continue
			fi
			left+="pid $pid in net:[$ino] (started at tick $start, the namespace last seen as the lab's at tick $alive): $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"$'\n'
		done <<<"$x"
		if [ -n "$left" ]; then
			fail "$lab: processes still run in the lab's namespaces:"
			printf '%s' "$left" | indent
			bad=1
		fi
	fi
	# mounts
	x=$(grep -E "labo\\.${lab}([. ]|\$)" /proc/self/mountinfo)
	if [ -n "$x" ]; then
		fail "$lab: mounts are left:"
		printf '%s\n' "$x" | indent
		bad=1
	fi
	# the firewall
	fw_snapshot >"$TMP/.fw.after"
	if ! cmp -s "$TMP/.fw.before" "$TMP/.fw.after"; then
		fail "$lab: the root namespace's firewall changed:"
		diff -u "$TMP/.fw.before" "$TMP/.fw.after" | indent
		bad=1
	fi
	[ "$bad" -eq 0 ] && ok "$lab: nothing of the lab is left"
	return "$bad"
}

# assert_docker_gone LAB: no live process of the lab's Docker hosts (by
# cgroup or command line), no cgroup, no state or run directory, no mount.
assert_docker_gone() {
	local lab=$1 p cg st comm cmd left="" zombies=0 x
	for p in /proc/[0-9]*; do
		cg=$(cat "$p/cgroup" 2>/dev/null) || continue
		cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)
		case "$cg $cmd" in
		*"labo.$lab."*) ;;
		*) continue ;;
		esac
		st=$(cat "$p/stat" 2>/dev/null) || continue
		st=${st##*) }
		st=${st%% *}
		comm=$(cat "$p/comm" 2>/dev/null)
		if [ "$st" = Z ]; then
			zombies=$((zombies + 1))
			continue
		fi
		left+="pid ${p#/proc/} ($comm, state $st): $cmd"$'\n'"  cgroup: $(printf '%s\n' "$cg" | grep -m1 "labo\\.$lab\\.")"$'\n'
	done
	if [ -n "$left" ]; then
		fail "$lab: processes of the lab's Docker hosts still run:"
		printf '%s' "$left" | indent
	else
		ok "$lab: no live process in the lab's cgroups ($zombies zombie(s) awaiting PID 1's wait, allowed)"
	fi
	x=$(find /sys/fs/cgroup -type d -name "labo.$lab.*" 2>/dev/null)
	if [ -n "$x" ]; then
		fail "$lab: cgroups are left:"
		printf '%s\n' "$x" | indent
	else
		ok "$lab: no cgroup labo.$lab.* under /sys/fs/cgroup"
	fi
	for x in "/var/lib/labo/$lab" "$RUN_DIR/$lab"; do
		if [ -e "$x" ]; then
			fail "$lab: $x is left:"
			find "$x" -maxdepth 3 2>&1 | head -20 | indent
		else
			ok "$lab: no $x"
		fi
	done
	x=$(grep -E "labo[./]$lab([./ ]|\$)" /proc/self/mountinfo)
	if [ -n "$x" ]; then
		fail "$lab: mounts mentioning the lab are left:"
		printf '%s\n' "$x" | indent
	else
		ok "$lab: no mount mentions the lab"
	fi
}

# up_lab FILE LAB: `labo up FILE` must succeed (else the test stops); records
# the lab's namespace inodes.
up_lab() {
	run "$LABO" up "$1"
	expect_rc 0 "labo up $(basename "$1")" || die "cannot go on without the lab"
	record_ns "$2"
}

# ping1 IFACE ADDR: one ping from the root namespace, 2 s at most, bound to
# the lab's root interface IFACE (so that, whatever happens, nothing is sent
# anywhere but into the lab).
ping1() { ping -n -c 1 -W 2 -I "$1" "$2"; }

# A root-namespace interface that is not labo's: dummy if the kernel has it,
# else a bridge (no ports, no address: inert).
make_foreign_if() {
	ip link add "$1" type dummy 2>/dev/null || ip link add "$1" type bridge
}

# need_docker_lab_tools WHAT: everything a lab with real Docker and
# ZooKeeper needs, all missing pieces reported at once with their Debian
# packages; a failure, never a skip. Uses $CLI_MT.
need_docker_lab_tools() {
	local missing=() x
	for x in "dockerd docker.io" "docker docker.io" "java default-jdk-headless" \
		"jlink default-jdk-headless" "ss iproute2" "iptables-save iptables"; do
		set -- $x
		command -v "$1" >/dev/null 2>&1 || missing+=("'$1' (Debian package $2)")
	done
	case $(dpkg-query -W -f '${db:Status-Abbrev}' busybox-static 2>/dev/null) in
	ii*) ;;
	*) missing+=("a static busybox (Debian package busybox-static)") ;;
	esac
	[ -x "$CLI_MT" ] || missing+=("$CLI_MT, a ZooKeeper client (Debian package zookeeper-bin)")
	if [ ${#missing[@]} -gt 0 ]; then
		for x in "${missing[@]}"; do
			say "missing: $x"
		done
		die "this test runs $1 with real Docker and ZooKeeper and needs all of the above (apt-get install docker.io default-jdk-headless busybox-static zookeeper-bin)"
	fi
}

# ---- supervised labs (issue 4) ----

# status_json LAB: `labo status --json LAB` in $JSON; returns 1 if it fails.
status_json() {
	JSON=$("$LABO" status --json "$1" 2>"$TMP/.status.err") || {
		JSON=""
		return 1
	}
}

# jqs EXPR: jq -r EXPR on $JSON.
jqs() { printf '%s\n' "$JSON" | jq -r "$@"; }

# wait_for LAB SECS WHAT EXPR: polls the status (every 0.2 s, SECS at most)
# until the jq expression EXPR is true of it; says how long that took.
# Returns 1 on timeout, with $JSON holding the last status.
wait_for() {
	local lab=$1 secs=$2 what=$3 expr=$4 t0=$EPOCHREALTIME
	say "+ wait until $what (${secs} s at most)"
	while :; do
		if status_json "$lab" && printf '%s\n' "$JSON" | jq -e "$expr" >/dev/null 2>&1; then
			WAITED=$(secs_since "$t0")
			say "  $what after $WAITED s"
			return 0
		fi
		if awk -v a="$t0" -v s="$secs" -v n="$EPOCHREALTIME" 'BEGIN { exit !(n - a > s) }'; then
			say "  not $what after $(secs_since "$t0") s; the last status:"
			printf '%s\n' "$JSON" | jq -c '{state, supervisor, ensemble,
			  daemons: [.hosts[] | select(.docker != null) | {name, s: .docker.state, pid: .docker.pid, r: .docker.restarts, sv: .docker.supervision.state}],
			  nodes: [.nodes[] | {name, mode, pid, r: .restarts, sv: .supervision.state, exit: .supervision.last_exit}]}' 2>/dev/null | indent
			say "  the supervisor's last events:"
			"$LABO" events --json -n 30 --no-follow "$lab" 2>&1 |
				jq -r '"\(.time) \(.kind) \(.subject) \(.message)"' 2>/dev/null | indent
			return 1
		fi
		sleep 0.2
	done
}

# events_of LAB: every event the supervisor still holds, as JSON lines.
events_of() { "$LABO" events --json -n 1000 --no-follow "$1"; }

# zk_create ADDR:PORT ZNODE / zk_has ADDR:PORT ZNODE: a real ZooKeeper
# client (Debian's cli_mt, which reports on stderr and always exits 0)
# through a published client port. zk_has retries for 10 s: a read may
# reach a server that is still catching up.
zk_create() {
	run timeout 20 "$CLI_MT" "$1" "cmd:create $2"
	assert_contains "$OUT$ERR" "[$2]: rc = 0" "cli_mt creates $2 through $1" || show_run
}
zk_has() {
	local i
	for i in $(seq 1 20); do
		run timeout 20 "$CLI_MT" "$1" "cmd:ls /"
		printf '%s\n' "$OUT$ERR" | grep -qx "[[:space:]]*${2#/}" && break
		sleep 0.5
	done
	assert_match "$OUT$ERR" "^[[:space:]]*${2#/}\$" "${3:-cli_mt} lists $2 through $1" || show_run
}

# supervised_lab_file LAB BASE: BASE (a file of netns/) renamed LAB, with
# the quick policy the tests use
# (so that giving up takes seconds, not minutes), on stdout.
# Five deaths in a minute make a give-up: more than a test's own kills of
# one node within a minute (so only the node made to fail is given up).
supervised_lab_file() {
	sed -e "s/^lab: .*\$/lab: $1/" "$REPO/netns/$2"
	cat <<'EOP'
supervise:
  backoff: {initial: 200ms, max: 2s}
  give_up: {deaths: 5, within: 1m}
  probe: {interval: 1s, timeout: 1s, failures: 3, grace: 60s}
EOP
}

# assert_no_supervisor_left LAB PID: the supervisor PID is gone (or a
# zombie awaiting PID 1), and no process holds a file of the lab's run dir.
assert_no_supervisor_left() {
	local st x
	st=$(awk '{ print $3 }' "/proc/$2/stat" 2>/dev/null)
	case $st in
	"" | Z) ok "$1: supervisor $2 is gone${st:+ (a zombie awaiting PID 1)}" ;;
	*) fail "$1: supervisor $2 still runs (state $st): $(tr '\0' ' ' <"/proc/$2/cmdline")" ;;
	esac
	x=$(find /proc/[0-9]*/fd -maxdepth 1 -lname "$RUN_DIR/$1/*" 2>/dev/null | head -5)
	if [ -n "$x" ]; then
		fail "$1: processes still hold files of $RUN_DIR/$1:"
		printf '%s\n' "$x" | indent
	fi
}
