#!/bin/bash
# The seed tutorial end to end ("Le Labo #3 | Cluster Zookeeper Dockerisé"),
# with real dockerd and real ZooKeeper: netns/seed.yaml under a lab name of
# its own. up (daemons, swarm, overlay, image, containers, quorum); status,
# human and JSON; the tutorial's checks (ping between the containers, docker
# node ls, zkServer.sh status); a ZooKeeper client on the machine writing
# through one host and reading through the other; logs; published ports on
# the hosts' lab addresses only; down leaving nothing (no daemon, container,
# cgroup, state, mount); a second up that reuses the cached image; down.
#
# The seed takes all of 198.51.100.0/24 with a root address: while another
# lab on the machine uses that subnet (someone's `labo up` of the seed),
# `labo up` refuses, and this test FAILS with up's message. A missing
# dockerd, JDK, busybox-static or zookeeper-bin is a failure too, never a
# skip.
. "$(dirname "$0")/lib.sh"
need_root
need_json

CLI_MT=/usr/lib/zookeeper/bin/cli_mt
IMAGE_CACHE=/var/cache/labo/images
H1=mida-clm1 A1=198.51.100.198
H2=mida-clm2 A2=198.51.100.101
PORTS="32181 33888 22888"

# ---- prerequisites, all reported at once ----
need_docker_lab_tools "the seed lab"

# ---- the lab: the seed under a name of its own ----
# "<lab>-internet" must fit IFNAMSIZ-1 = 15 bytes: 6 characters for the name.
new_lab LAB 6
# The seed's Docker API on TCP: mida-clm1 over TLS with client certificates
# (api_tcp: true), mida-clm2 as the tutorial has it, unauthenticated on 2375,
# which the lab file must ask for in words (api_tcp: insecure).
F=$(sed -e "s/^lab: seed\$/lab: $LAB/" -e 's/^\( *\)docker: manager\(.*\)$/\1docker: {role: manager, api_tcp: true}\2/' \
	-e 's/^\( *\)docker: worker\(.*\)$/\1docker: {role: worker, api_tcp: insecure}\2/' \
	"$REPO/netns/seed.yaml" | lab_file "$LAB")
grep -qx "lab: $LAB" "$F" || die "netns/seed.yaml has no line 'lab: seed' to rename"
grep -q "api_tcp: true" "$F" || die "netns/seed.yaml has no line 'docker: manager' to extend"
grep -q "api_tcp: insecure" "$F" || die "netns/seed.yaml has no line 'docker: worker' to extend"

TIMINGS=()
T_TEST=$EPOCHREALTIME

# lexec TARGET CMD...: `labo exec` in the lab, bounded (a hung exec must
# not eat the suite's time).
lexec() {
	local target=$1
	shift
	run timeout -k 5 30 "$LABO" exec -l "$LAB" "$target" -- "$@"
	[ "$RC" -ne 124 ] || say "note: \`labo exec $target -- $*\` did not return within 30 s (killed by timeout)"
}

# up_seed WHICH: `labo up` of the seed, which must succeed.
up_seed() {
	local t0=$EPOCHREALTIME secs stage
	run "$LABO" up "$F"
	secs=$(secs_since "$t0")
	TIMINGS+=("$1 up: ${secs} s")
	say "timing: $1 up took $secs s"
	if [ "$RC" -ne 0 ]; then
		show_run
		case $ERR in
		*"already has 198.51.100."* | *"already routes 198.51.100."*)
			die "another lab on this machine uses 198.51.100.0/24, the seed's subnet, so \`labo up\` refuses: $(printf '%s\n' "$ERR" | grep -m1 'already') (\`labo ls\`; bring that lab down and run again)" ;;
		esac
		die "the $1 \`labo up\` of the seed lab ($LAB) failed: cannot go on"
	fi
	ok "$1 up of the seed lab ($LAB): exit status 0"
	UP_ERR=$ERR
	record_ns "$LAB"
	for stage in daemons swarm overlay image containers quorum; do
		assert_match "$OUT" "^  $stage +[0-9.]+ ms" "$1 up prints the '$stage' stage"
	done
	assert_match "$OUT" "^  daemons .* 2 dockerd answering" "$1 up: the daemons stage counts 2 dockerd"
	assert_match "$OUT" "^  overlay .* weave 10\\.0\\.0\\.0/24" "$1 up: the overlay stage names weave 10.0.0.0/24"
	assert_match "$OUT" "^  quorum .* (namenode1|namenode2) leads 2 servers" "$1 up: the quorum stage names the leader of 2 servers"
	assert_match "$OUT" "lab $LAB is up" "$1 up says the lab is up"
	IMAGE_LINE=$(printf '%s\n' "$OUT" | grep -E '^  image ')
	IMAGE_KEY=$(printf '%s\n' "$IMAGE_LINE" | sed -nE 's/^  image +[0-9.]+ ms +labo\/zookeeper:([0-9a-f]+) .*/\1/p')
}

# check_status WHICH: the JSON status of a seed that is up and serving.
check_status() {
	local sum m1 m2 lead
	run "$LABO" status --json "$LAB"
	expect_rc 0 "$1: status --json" || return
	sum=$(printf '%s\n' "$OUT" | docker_summary) || {
		fail "$1: status --json is not valid JSON of the documented shape"
		printf '%s\n' "$OUT" | indent
		return
	}
	say "  status summary:"
	printf '%s\n' "$sum" | indent
	assert_match "$sum" "^state up\$" "$1: status: state up"
	assert_match "$sum" "^docker $H1 manager running pid [0-9]+ socket [^ ]+ log [^ ]+ swarm ready manager leader true\$" \
		"$1: status: $H1's dockerd running, swarm ready, manager and leader"
	assert_match "$sum" "^docker $H2 worker running pid [0-9]+ socket [^ ]+ log [^ ]+ swarm ready worker leader (false|null)\$" \
		"$1: status: $H2's dockerd running, swarm ready, a worker"
	local host pid sock log
	while read -r _ host _ _ _ pid _ sock _ log _; do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] ||
			fail "$1: status: $host's docker.pid $pid is not a running dockerd"
		[ -S "$sock" ] || fail "$1: status: $host's socket $sock is not a socket"
		[ -s "$log" ] || fail "$1: status: $host's log $log is missing or empty"
	done < <(printf '%s\n' "$sum" | grep '^docker ')
	assert_match "$sum" "^node namenode1 $H1 10\\.0\\.0\\.1 running (leader|follower) ports $A1:32181->2181,$A1:33888->3888,$A1:22888->2888\$" \
		"$1: status: namenode1 running on $H1 at 10.0.0.1, serving, its ports on $A1"
	assert_match "$sum" "^node namenode2 $H2 10\\.0\\.0\\.2 running (leader|follower) ports $A2:32181->2181,$A2:33888->3888,$A2:22888->2888\$" \
		"$1: status: namenode2 running on $H2 at 10.0.0.2, serving, its ports on $A2"
	m1=$(printf '%s\n' "$sum" | awk '$1 == "node" && $2 == "namenode1" { print $6 }')
	m2=$(printf '%s\n' "$sum" | awk '$1 == "node" && $2 == "namenode2" { print $6 }')
	MODE1=$m1 MODE2=$m2
	assert_eq "follower leader" "$(printf '%s\n' "$m1" "$m2" | sort | tr '\n' ' ' | sed 's/ $//')" \
		"$1: status: exactly one leader and one follower (namenode1 $m1, namenode2 $m2)"
	lead=namenode1
	[ "$m2" = leader ] && lead=namenode2
	assert_match "$sum" "^ensemble servers 2 quorum true leader $lead tolerates 0\$" \
		"$1: status: ensemble of 2, quorum, leader $lead, tolerates 0"
}

# zk_roundtrip WHICH: a ZooKeeper client in the root namespace creates a
# znode through $H1's published port and finds it through $H2's. (cli_mt
# writes its results to stderr, and exits 0 whatever happens.)
zk_roundtrip() {
	local znode i
	znode=/labo-test-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	run timeout 20 "$CLI_MT" "$A1:32181" "cmd:create $znode"
	assert_contains "$OUT$ERR" "[$znode]: rc = 0" "$1: cli_mt creates $znode through $A1:32181" || show_run
	# a write acknowledged by the quorum reaches the other server's reads a
	# moment later at most
	for i in 1 2 3 4 5 6 7 8 9 10; do
		run timeout 20 "$CLI_MT" "$A2:32181" "cmd:ls /"
		printf '%s\n' "$OUT$ERR" | grep -qx "[[:space:]]*${znode#/}" && break
		sleep 0.3
	done
	assert_match "$OUT$ERR" "^[[:space:]]*${znode#/}\$" "$1: cli_mt lists ${znode#/} through $A2:32181" || show_run
	ZNODE=$znode
}

# down_seed WHICH: `labo down`, quick, leaving nothing.
down_seed() {
	local t0=$EPOCHREALTIME secs
	run "$LABO" down "$LAB"
	secs=$(secs_since "$t0")
	TIMINGS+=("$1 down: ${secs} s")
	say "timing: $1 down took $secs s"
	expect_rc 0 "$1 down" && assert_contains "$OUT" "lab $LAB is down" "$1 down says the lab is down"
	if awk -v s="$secs" 'BEGIN { exit !(s < 10) }'; then
		ok "$1 down took $secs s (< 10 s)"
	else
		fail "$1 down took $secs s (10 s at most expected)"
	fi
	assert_lab_gone "$LAB"
	assert_docker_gone "$LAB"
}

# ==== first up ====
up_seed first
case $IMAGE_LINE in
*", built;"*) say "note: the first up built the image: $IMAGE_LINE" ;;
*", cached;"*) say "note: the image was cached already: $IMAGE_LINE" ;;
*) fail "first up: the image stage says neither built nor cached: $IMAGE_LINE" ;;
esac
TAR=$IMAGE_CACHE/zookeeper-$IMAGE_KEY.tar
TAR_ID=""
if [ -n "$IMAGE_KEY" ] && [ -s "$TAR" ]; then
	ok "the image's tar is cached: $TAR"
	TAR_ID=$(stat -c '%i %s %Y.%y' "$TAR")
else
	fail "no cached image tar $TAR after up (image line: $IMAGE_LINE)"
fi

# ---- status ----
check_status "first up"
run "$LABO" status "$LAB"
expect_rc 0 "status $LAB" && {
	assert_match "$OUT" "^lab $LAB: up" "status: the lab is up"
	assert_contains "$OUT" "warning: with two servers, losing either stops the ensemble" \
		"status warns that two servers tolerate no failure"
}

# ---- the tutorial's checks ----
lexec namenode1 ping -c 4 -q namenode2
expect_rc 0 "namenode1 pings namenode2 (the seed's check)" &&
	assert_match "$OUT" "(^|[^0-9])0% packet loss" "namenode1 -> namenode2: 0% packet loss"
# the tutorial's ping answers as Weave's name: it resolves too, both ways
lexec namenode1 ping -c 1 -W 2 namenode2.weave.local
expect_rc 0 "namenode1 pings namenode2.weave.local" &&
	assert_contains "$OUT" "10.0.0.2" "namenode2.weave.local is 10.0.0.2"
lexec namenode2 ping -c 1 -W 2 namenode1.weave.local
expect_rc 0 "namenode2 pings namenode1.weave.local"

lexec "$H1" docker node ls
expect_rc 0 "docker node ls on $H1" && {
	assert_match "$OUT" "^[^ ]+ +(\\* +)?$H1 +Ready +Active" "docker node ls: $H1 Ready"
	assert_match "$OUT" "^[^ ]+ +(\\* +)?$H2 +Ready +Active" "docker node ls: $H2 Ready"
}

lexec namenode1 zkServer.sh status
expect_rc 0 "zkServer.sh status in namenode1" && {
	assert_match "$OUT" "^Mode: (leader|follower)\$" "zkServer.sh status in namenode1: leader or follower"
	assert_match "$OUT" "^Mode: ${MODE1:-?}\$" "zkServer.sh status in namenode1 agrees with labo status ($MODE1)"
}
lexec namenode2 zkServer.sh status
expect_rc 0 "zkServer.sh status in namenode2" &&
	assert_match "$OUT" "^Mode: ${MODE2:-?}\$" "zkServer.sh status in namenode2 agrees with labo status ($MODE2)"

# ---- a ZooKeeper client on the machine ----
zk_roundtrip "first up"
ZNODE1=$ZNODE

# ---- logs ----
run "$LABO" logs -l "$LAB" "$H1"
expect_rc 0 "logs $H1" && {
	assert_contains "$OUT" 'msg="Starting up"' "logs $H1: dockerd's log"
	assert_contains "$OUT" "API listen on /run/docker.sock" "logs $H1: dockerd serves its socket"
}
run "$LABO" logs -l "$LAB" namenode1
expect_rc 0 "logs namenode1" && {
	assert_contains "$OUT$ERR" "QuorumPeer" "logs namenode1: ZooKeeper's output"
	assert_match "$OUT$ERR" "(LEADING|FOLLOWING)" "logs namenode1: the server took a role"
}

# ---- the tutorial's end state inside the nodes (issue 12) ----
# root's keys exchanged: namenode1 reaches namenode2 without a password,
# and the other way, and itself
for pair in "namenode1 namenode2" "namenode2 namenode1" "namenode1 namenode1"; do
	set -- $pair
	lexec "$1" ssh -o BatchMode=yes -o ConnectTimeout=5 "$2" hostname
	assert_eq "$2" "$OUT" "$1: ssh $2 hostname, without a password (made at once)" || show_run
done
lexec namenode1 ssh -o BatchMode=yes -o ConnectTimeout=5 namenode2.weave.local hostname
assert_eq namenode2 "$OUT" "namenode1: ssh namenode2.weave.local hostname"
# sshd on the overlay address only: not on the gateway bridge the host
# reaches, not published on the host
lexec namenode1 sh -c 'cat /proc/net/tcp'
sshd_listen=$(printf '%s\n' "$OUT" | awk '$4 == "0A" && $2 ~ /:0016$/ { print $2 }')
assert_eq "0100000A:0016" "$sshd_listen" "namenode1: sshd listens on 10.0.0.1:22 only"
run ip netns exec "labo.$LAB.$H1" ss -Hltn
assert_eq "" "$(printf '%s\n' "$OUT" | awk '{ print $4 }' | grep -E ':22$')" "$H1 publishes no port 22"
# the tutorial's paths and tools
lexec namenode1 sh -c 'cat /var/lib/zookeeper/myid; grep -c "^server\.[12]=namenode[12]:2888:3888" /etc/zookeeper/conf/zoo.cfg'
assert_eq "$(printf '1\n2')" "$OUT" "namenode1: myid 1 in /var/lib/zookeeper, two server lines in /etc/zookeeper/conf/zoo.cfg"
lexec namenode2 sh -c 'java -version 2>&1 | grep -c version; for t in wget curl tar vi zkServer.sh; do command -v $t >/dev/null || echo "no $t"; done'
assert_eq "1" "$OUT" "namenode2: java -version answers; wget, curl, tar, vi, zkServer.sh on PATH"
lexec namenode1 sh -c 'ps -o user,args | grep "[Q]uorumPeerMain" | awk "{ print \$1 }"'
# (busybox's ps cuts user names at 8 characters)
assert_match "$OUT" "^(zookeepe|zookeeper|[1-9][0-9]*)\$" "namenode1: ZooKeeper does not run as root"
run "$LABO" status "$LAB"
assert_match "$OUT" "root's password is 'labo'" "status shows root's password in the nodes"

# ---- published ports: the hosts' lab addresses only ----
for hx in "$H1 $A1" "$H2 $A2"; do
	set -- $hx
	h=$1 a=$2
	run ip netns exec "labo.$LAB.$h" ss -Hltn
	expect_rc 0 "ss in $h" || continue
	listen=$(printf '%s\n' "$OUT" | awk '{ print $4 }')
	for p in $PORTS; do
		assert_eq "$a:$p" "$(printf '%s\n' "$listen" | grep -E ":$p\$")" \
			"$h: port $p is listened on $a only"
	done
	run ip netns exec "labo.$LAB.$h" iptables-save -t nat
	if expect_rc 0 "iptables-save -t nat in $h"; then
		for p in $PORTS; do
			dnat=$(printf '%s\n' "$OUT" | grep -E -- "--dport $p " | grep -- '-j DNAT')
			if [ -z "$dnat" ]; then
				say "note: $h has no DNAT rule for port $p (docker-proxy alone)"
			elif printf '%s\n' "$dnat" | grep -qv -- "-d $a/32 "; then
				fail "$h: a DNAT rule for port $p is not limited to $a:"
				printf '%s\n' "$dnat" | indent
			else
				ok "$h: the DNAT rules for port $p match $a only"
			fi
		done
	fi
done
# ---- the seed's Docker API on TCP, on each host's lab address only ----
run ip netns exec "labo.$LAB.$H1" ss -Hltn
assert_eq "$A1:2376" "$(printf '%s\n' "$OUT" | awk '{ print $4 }' | grep -E ':237[56]$')" \
	"$H1 (api_tcp: true): the Docker API listens on $A1:2376 (TLS) only"
run ip netns exec "labo.$LAB.$H2" ss -Hltn
assert_eq "$A2:2375" "$(printf '%s\n' "$OUT" | awk '{ print $4 }' | grep -E ':237[56]$')" \
	"$H2 (api_tcp: insecure): the Docker API listens on $A2:2375 only"
CERTS=$RUN_DIR/$LAB/tls
assert_eq "600 root" "$(stat -c '%a %U' "$CERTS/key.pem")" "the client key is root's alone (0600)"
run curl -s --max-time 5 --cacert "$CERTS/ca.pem" --cert "$CERTS/cert.pem" --key "$CERTS/key.pem" \
	"https://$A1:2376/_ping"
assert_eq OK "$OUT" "with the lab's client certificate, the root namespace reaches $H1's API over TLS (/_ping)"
run env DOCKER_HOST="tcp://$A1:2376" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$CERTS" docker info --format '{{.Name}} {{.Swarm.LocalNodeState}}'
assert_eq "$H1 active" "$OUT" "docker info as status prints it (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH)"
run curl -s --max-time 5 --cacert "$CERTS/ca.pem" "https://$A1:2376/_ping"
[ "$RC" -ne 0 ] && [ "$OUT" != OK ] && ok "without a client certificate, the TLS API refuses (curl exit $RC)" ||
	fail "the TLS API answered without a client certificate: $OUT"
# as a user of the machine with no privilege: no key, no way in
run setpriv --reuid=nobody --regid=nogroup --clear-groups cat "$CERTS/key.pem"
[ "$RC" -ne 0 ] && ok "an unprivileged user cannot read the client key" || fail "nobody read the client key"
run setpriv --reuid=nobody --regid=nogroup --clear-groups curl -sk --max-time 5 "https://$A1:2376/_ping"
[ "$RC" -ne 0 ] && [ "$OUT" != OK ] && ok "an unprivileged user is refused by the TLS API (curl exit $RC)" ||
	fail "an unprivileged user reached the TLS API: $OUT"
for port in 2377 7946; do
	run setpriv --reuid=nobody --regid=nogroup --clear-groups timeout 3 bash -c 'exec 3<>/dev/tcp/$0/$1' "$A1" "$port"
	[ "$RC" -ne 0 ] && ok "an unprivileged user cannot reach Swarm's port $port on $H1 (the gate)" ||
		fail "an unprivileged user reached Swarm's port $port on $H1"
done
run timeout 5 bash -c 'exec 3<>/dev/tcp/$0/2375 && printf "GET /_ping HTTP/1.0\r\n\r\n" >&3 && cat <&3' "$A2"
assert_contains "$OUT" "OK" "the lab file said insecure: the root namespace reaches $H2's plain API on tcp://$A2:2375"
assert_match "$UP_ERR" "warning: host '$H2' serves the Docker API on TCP port 2375 with no authentication" \
	"up warned about $H2's insecure API, at its position"
# the daemons' unix sockets: only root gets there (the run dir is root's, 0700)
run setpriv --reuid=nobody --regid=nogroup --clear-groups curl -s --max-time 5 \
	--unix-socket "$RUN_DIR/$LAB/h0/docker.sock" http://localhost/_ping
[ "$RC" -ne 0 ] && [ "$OUT" != OK ] && ok "an unprivileged user cannot reach a daemon's unix socket (curl exit $RC)" ||
	fail "an unprivileged user reached $H1's daemon through its unix socket"
# a container cannot open a connection to the machine (the gate): a listener
# of the root namespace on 0.0.0.0, dialled from namenode1 through its host
busybox nc -l -p 47031 </dev/null >/dev/null 2>&1 &
LISTENER=$!
sleep 0.2
run "$LABO" exec -l "$LAB" namenode1 -- nc -w 2 198.51.100.1 47031
[ "$RC" -ne 0 ] && ok "namenode1 cannot open a connection to the machine (nc exit $RC)" ||
	fail "namenode1 reached a listener of the root namespace"
kill "$LISTENER" 2>/dev/null
wait "$LISTENER" 2>/dev/null

x=$(ss -Hltn | awk '{ print $4 }' | grep -E ":(${PORTS// /|})\$")
assert_eq "" "$x" "the root namespace listens on none of the published ports"
fw_snapshot >"$TMP/.fw.up"
if cmp -s "$TMP/.fw.before" "$TMP/.fw.up"; then
	ok "the root namespace's firewall is unchanged while the lab is up"
else
	fail "the root namespace's firewall changed while the lab is up:"
	diff -u "$TMP/.fw.before" "$TMP/.fw.up" | indent
fi

# ==== down ====
down_seed first

# ==== second up: the image comes from the cache ====
up_seed second
assert_contains "$IMAGE_LINE" ", cached;" "second up: the image stage says cached"
if [ -n "$TAR_ID" ]; then
	assert_eq "$TAR_ID" "$(stat -c '%i %s %Y.%y' "$TAR" 2>&1)" \
		"second up: $TAR is the same file, not rebuilt"
fi
check_status "second up"
zk_roundtrip "second up"
run timeout 20 "$CLI_MT" "$A2:32181" "cmd:ls /"
assert_contains "$OUT$ERR" "/: rc = 0" "second up: cli_mt lists / through $A2:32181" &&
	assert_not_contains "$OUT$ERR" "${ZNODE1#/}" "second up: a fresh ensemble (the first up's ${ZNODE1#/} went with down)"

# ==== down --keep-data, then up: the ensemble resumes with its znodes ====
ZNODE2=$ZNODE
run "$LABO" down --keep-data "$LAB"
expect_rc 0 "down --keep-data"
assert_contains "$OUT" "_data" "down --keep-data says where the data is"
assert_lab_gone "$LAB"
assert_eq "_data" "$(ls /var/lib/labo/$LAB 2>&1 | tr '\n' ' ' | sed 's/ $//')" \
	"down --keep-data keeps /var/lib/labo/$LAB/_data and nothing else"
assert_eq "" "$(find /sys/fs/cgroup -type d -name "labo.$LAB.*" 2>/dev/null)" "down --keep-data: no cgroup left"
up_seed third
assert_contains "$OUT" "on the data kept by" "third up: the containers stage says it resumes kept data"
check_status "third up"
run timeout 20 "$CLI_MT" "$A2:32181" "cmd:ls /"
assert_match "$OUT$ERR" "^[[:space:]]*${ZNODE2#/}\$" \
	"third up: ${ZNODE2#/}, written before down --keep-data, is still there"

# ==== down again: the data goes too ====
down_seed second

# ==== a failure with the daemons, Swarm and containers running: rolled back ====
for stage in swarm quorum; do
	t0=$EPOCHREALTIME
	run env LABO_FAIL_AT=$stage "$LABO" up "$F"
	expect_rc 1 "up failing at $stage (LABO_FAIL_AT) exits 1"
	assert_contains "$ERR" "injected failure at stage '$stage'" "up says what failed ($stage)"
	assert_contains "$OUT" "rolling back" "up says it rolls back ($stage)"
	say "timing: up failing at $stage, rolled back, in $(secs_since "$t0") s"
	assert_lab_gone "$LAB"
	assert_docker_gone "$LAB"
done

say "timings: ${TIMINGS[*]/%/;} whole test $(secs_since "$T_TEST") s"
finish
