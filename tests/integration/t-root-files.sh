#!/bin/bash
# What labo does as root in a directory a less-privileged process can write
# never reaches through a link that process planted. A node's data
# directory belongs to the zookeeper user (the server writes it; under
# Docker, the container writes it through its bind mount): a compromised
# server can replace anything in it with a link to a root-owned file of the
# machine, then exit and wait for root to act. For each operation root does
# there, the test plants such links as the server would, triggers it, and
# checks that the root-owned targets are untouched (owner, mode, content):
#   - a restart by the supervisor (process runtime), twice over;
#   - `down --keep-data` (the links stay links);
#   - `up` resuming kept data that an older labo left root-owned (it is
#     given to the zookeeper user once: the links themselves, never their
#     targets, and a second name of a root file is refused);
#   - `down` (the data goes; the links go, their targets stay);
#   - the Docker runtime: a container recreated by the supervisor, whose
#     data directory holds the same links.
# The servers run as the zookeeper user, in both runtimes.
# timeout: 240
. "$(dirname "$0")/lib.sh"
need_root
need_json
need_cmd jq jq
[ -r /usr/share/java/zookeeper.jar ] || die "this test needs ZooKeeper (Debian package zookeeper)"
ZK_UID=$(id -u zookeeper) || die "this test needs the zookeeper user (Debian package zookeeper)"
STATE_ROOT=${LABO_STATE_DIR:-/var/lib/labo}

# ---- the machine's root-owned files the server aims at ----
V=$TMP/victim
mkdir -m 0700 "$V" "$V/dir" && echo "root's secret" >"$V/file" && chmod 0600 "$V/file" &&
	echo "inside" >"$V/dir/inner" || die "cannot make the victims"
victims() { stat -c '%n %u:%g %a %s' "$V" "$V/file" "$V/dir" "$V/dir/inner"; cat "$V/file" "$V/dir/inner"; }
BEFORE=$(victims)
untouched() { assert_eq "$BEFORE" "$(victims)" "$1: the root-owned targets of the planted links are untouched"; }
# plant DIR NAME TARGET: NAME in DIR becomes a link to TARGET, the zookeeper user's
plant() {
	rm -rf "${1:?}/$2" && ln -s "$3" "$1/$2" && chown -h zookeeper: "$1/$2" || die "cannot plant $1/$2"
}

one_node_lab() { # one_node_lab LAB NET: one host, one ZooKeeper server
	lab_file "$1" <<EOF
lab: $1
segments:
  wan:
    subnet: 198.51.100.$2/28
    root: 198.51.100.$(($2 + 1))
hosts:
  h1:
    links: [{segment: wan, address: 198.51.100.$(($2 + 2))}]
    docker: manager
overlay: {name: weave, subnet: 10.0.0.0/24}
nodes:
  zoo1: {host: h1, address: 10.0.0.1, service: zookeeper, ports: [32181:2181]}
supervise:
  backoff: {initial: 200ms, max: 1s}
  give_up: {deaths: 50, within: 1m}
  probe: {interval: 1s, timeout: 1s, failures: 3, grace: 60s}
EOF
}
serving='.ensemble.quorum == true and ([.nodes[] | select(.mode == "standalone")] | length) == 1'
starts() { "$LABO" events "$1" --json --no-follow -n 1000 | grep -c '"kind":"start"'; }

# ==== process runtime ====
new_lab LAB 7
F=$(one_node_lab "$LAB" 208)
run "$LABO" up --runtime process "$F"
expect_rc 0 "up --runtime process" || die "cannot go on"
record_ns "$LAB"
D=$STATE_ROOT/$LAB/_data/zoo1
assert_eq "zookeeper 700" "$(stat -c '%U %a' "$D")" "the node's data directory is the zookeeper user's, 0700"
assert_eq "root 700" "$(stat -c '%U %a' "$STATE_ROOT/$LAB/_data")" "_data above it is root's: the server cannot replace its own directory"
status_json "$LAB"
assert_eq "$ZK_UID" "$(awk '/^Uid:/ { print $2 }' /proc/"$(jqs '.nodes[0].pid')"/status)" "zoo1 runs as the zookeeper user"

# -- a restart, the server's data replaced by links to root's files --
mv "$D/version-2" "$D/v2.saved" && cp -p "$D/myid" "$TMP/myid.saved" || die "cannot set the data aside"
plant "$D" version-2 "$V/dir"
plant "$D" myid "$V/file"
n0=$(starts "$LAB")
run "$LABO" kill -l "$LAB" zoo1
expect_rc 0 "kill zoo1"
# it cannot start through those links: wait for two starts by the supervisor
for _ in $(seq 1 100); do
	[ "$(starts "$LAB")" -ge $((n0 + 2)) ] && break
	sleep 0.1
done
assert_match "$(($(starts "$LAB") - n0))" '^([2-9]|[1-9][0-9]+)$' "the supervisor started zoo1 again, twice"
untouched "two restarts through planted links"
assert_eq "$V/file" "$(readlink "$D/myid")" "the planted myid is left a link (not written through)"
# the server's repair
rm -f "$D/version-2" "$D/myid" && mv "$D/v2.saved" "$D/version-2" && cp -p "$TMP/myid.saved" "$D/myid"
wait_for "$LAB" 30 "zoo1 serves again after the repair" "$serving" || fail "zoo1 did not come back"

# -- down --keep-data, with links in the data and in the node's run dir --
plant "$D" evil "$V/file"
plant "$D/version-2" evil-dir "$V/dir"
run "$LABO" down --keep-data "$LAB"
expect_rc 0 "down --keep-data"
untouched "down --keep-data"
assert_eq "$V/file $V/dir" "$(readlink "$D/evil") $(readlink "$D/version-2/evil-dir")" "down --keep-data keeps the links as links"

# -- up resuming kept data an older labo left root-owned --
chown -hR root:root "$D"
ln "$V/file" "$D/second-name" 2>/dev/null && HARD=1 || HARD=0
run "$LABO" up --runtime process "$F"
if [ "$HARD" = 1 ]; then
	# a second name of a root file in the data: giving it away would give the file away
	expect_rc 1 "up refuses kept data holding a second name of a file"
	assert_contains "$ERR" "second-name" "the error names the entry"
	untouched "up refusing a hard link"
	rm -f "$D/second-name"
	run "$LABO" up --runtime process "$F"
fi
expect_rc 0 "up resuming root-owned kept data" || die "cannot go on"
record_ns "$LAB"
untouched "up resuming kept data with planted links"
assert_eq "zookeeper zookeeper zookeeper zookeeper" \
	"$(stat -c %U "$D" "$D/myid" "$D/version-2" "$D/evil" | tr '\n' ' ' | sed 's/ $//')" "the kept data is given to the zookeeper user, links included (the links themselves)"
wait_for "$LAB" 30 "zoo1 serves the kept data" "$serving" || fail "zoo1 does not serve the kept data"

# -- down: the data goes, the links' targets stay --
plant "$D" evil2 "$V"
run_dir=$RUN_DIR/$LAB
[ -d "$run_dir/n0" ] && ln -s "$V/dir" "$run_dir/n0/evil" # as root would never, but check removal
run "$LABO" down "$LAB"
expect_rc 0 "down"
untouched "down removing data full of links"
assert_eq "" "$(ls -A "$STATE_ROOT/$LAB" 2>/dev/null)" "down removed the lab's data"
assert_lab_gone "$LAB"

# ==== Docker runtime: the supervisor recreating a container ====
if ! command -v dockerd >/dev/null 2>&1; then
	die "this test needs dockerd (Debian package docker.io)"
fi
new_lab LABD 7
FD=$(one_node_lab "$LABD" 224)
run "$LABO" up --runtime docker "$FD"
expect_rc 0 "up --runtime docker" || die "cannot go on"
record_ns "$LABD"
DD=$STATE_ROOT/$LABD/_data/zoo1
status_json "$LABD"
cpid=$(jqs '.nodes[0].pid')
assert_eq "$ZK_UID" "$(awk '/^Uid:/ { print $2 }' /proc/"$cpid"/status)" "the container's ZooKeeper runs as the zookeeper user"
assert_eq "0000000000000000 1" "$(awk '/^CapEff:/ { c = $2 } /^NoNewPrivs:/ { n = $2 } END { print c, n }' /proc/"$cpid"/status)" \
	"the container's ZooKeeper has no capability and no_new_privs"
assert_eq "zookeeper" "$(stat -c %U "$DD/myid")" "the container's data is the zookeeper user's"
cp -p "$DD/myid" "$TMP/myidd.saved"
plant "$DD" myid "$V/file"
plant "$DD" evil "$V/dir"
SOCK=$(jqs '.hosts[0].docker.socket')
n0=$(starts "$LABD")
# the container removed behind labo's back: the supervisor makes it again
run curl -s --unix-socket "$SOCK" -X DELETE "http://localhost/containers/zoo1?force=true"
expect_rc 0 "the container removed through the daemon's API"
for _ in $(seq 1 100); do
	[ "$(starts "$LABD")" -gt "$n0" ] && break
	sleep 0.1
done
assert_match "$(("$(starts "$LABD")" - n0))" '^[1-9][0-9]*$' "the supervisor made and started zoo1 again"
# the entrypoint, as the zookeeper user, may try its myid through the link too
sleep 1
untouched "a container recreated over a data directory full of links"
assert_eq "$V/file" "$(readlink "$DD/myid")" "the planted myid is left a link"
rm -f "$DD/myid" "$DD/evil" && cp -p "$TMP/myidd.saved" "$DD/myid"
run "$LABO" down "$LABD"
expect_rc 0 "down (Docker)"
untouched "down (Docker)"
assert_lab_gone "$LABD"
finish
