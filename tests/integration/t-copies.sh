#!/bin/bash
# Copies of a lab (issue 14). `labo up FILE --copies N --name B` brings up
# B-1 ... B-N, each the file's lab inside (the same host names, addresses and
# ports: the tutorial's commands work unchanged in each), each reached from the
# machine on a block of its own from the pool. Shown here:
#   - inside, each copy is the seed; from the machine, copy k's ZooKeeper
#     answers on its block; a znode written in one copy is not in another;
#   - copies do not reach each other, even through the machine: a host of
#     one copy, routed through the machine, reaches the machine's address
#     and nothing of another copy;
#   - `ls` and `status` show each copy's block; a long copy name gets kernel
#     names that fit IFNAMSIZ;
#   - bad input (a bad name, a name taken by another lab file, a pool too
#     small, a bad pool): a clear error each, and nothing half-made;
#   - `down --all` removes every lab (here in a private run dir).
# Both runtimes: the process runtime for most, two Docker copies of the seed
# for what Docker adds (published ports through each block, the overlay's
# names inside each).
# timeout: 420
. "$(dirname "$0")/lib.sh"
need_root
need_json
need_cmd jq jq
need_cmd ping iputils-ping
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
[ -x "$CLI_MT" ] || die "this test needs $CLI_MT (Debian package zookeeper)"
F=$REPO/netns/seed.yaml

# srvr ADDR PORT: ZooKeeper's srvr through a TCP connection from the machine
srvr() { timeout 5 bash -c "exec 3<>/dev/tcp/$1/$2; printf srvr >&3; cat <&3" 2>/dev/null; }
# root_of LAB: the lab's root subnet, as `ls --json` says
root_of() { "$LABO" ls --json | jq -r --arg l "$1" '.[] | select(.lab == $l) | .root'; }
# block_addr PREFIX LAST: the address LAST (last byte) of a /24 block
block_addr() { echo "${1%.0/24}.$2"; }

# ==== three copies, process runtime ====
new_lab B 6
for i in 1 2 3; do use_lab "$B-$i"; done
t0=$EPOCHREALTIME
run "$LABO" up "$F" --copies 3 --name "$B" --runtime process
say "timing: 3 copies (process runtime) up in $(secs_since "$t0") s"
expect_rc 0 "up --copies 3" || die "cannot go on without the copies"
for i in 1 2 3; do
	assert_match "$OUT" "^labo: $B-$i is up in [0-9.]+ s; the machine reaches it on 198\.18\.[0-9]+\.0/24 \(internet\)$" \
		"up says where the machine reaches $B-$i"
	record_ns "$B-$i"
done
declare -A ROOT=()
for i in 1 2 3; do ROOT[$i]=$(root_of "$B-$i"); done
assert_match "${ROOT[1]}" '^198\.18\.[0-9]+\.0/24$' "ls: $B-1's root subnet is a block of the pool (${ROOT[1]})"
[ "${ROOT[1]}" != "${ROOT[2]}" ] && [ "${ROOT[2]}" != "${ROOT[3]}" ] && [ "${ROOT[1]}" != "${ROOT[3]}" ] &&
	ok "ls: the three copies have three blocks (${ROOT[*]})" || fail "ls: blocks collide: ${ROOT[*]}"
run "$LABO" ls --json
assert_eq "seed seed seed" "$(jq -r --arg b "$B-" '[.[] | select(.lab | startswith($b)) | .copy_of] | join(" ")' <<<"$OUT")" \
	"ls --json: each is a copy of seed"
run "$LABO" ls --verify
expect_rc 0 "ls --verify"
assert_match "$OUT" "^$B-1 +up +[0-9]+/[0-9]+ +2 +${ROOT[1]//./\\.} " "ls --verify: $B-1's state, progress and block"
run "$LABO" status "$B-2" --json
assert_eq "${ROOT[2]}" "$(jq -r '.segments[0].root.subnet' <<<"$OUT")" "status --json: $B-2's root subnet is its block"
assert_eq "198.51.100.1/24" "$(jq -r '.segments[0].root.inside' <<<"$OUT")" \
	"status --json: inside, the machine is still the file's 198.51.100.1"
assert_match "$(jq -r '.nodes[0].ports[0]' <<<"$OUT")" "^${ROOT[2]%.0/24}\.[0-9]+:32181->2181$" \
	"status --json: ports as the machine reaches them, on the block"

# inside, each copy is the seed: same host names, same addresses
for i in 1 2 3; do
	run "$LABO" exec -l "$B-$i" mida-clm1 -- hostname
	assert_eq "mida-clm1" "$OUT" "$B-$i: the host is mida-clm1 inside"
	run "$LABO" exec -l "$B-$i" mida-clm1 -- ping -n -c 1 -W 2 198.51.100.101
	expect_rc 0 "$B-$i: mida-clm1 pings mida-clm2 at the file's 198.51.100.101"
done

# from the machine: each copy's ZooKeeper on its own block
for i in 1 2 3; do
	a=$(block_addr "${ROOT[$i]}" 198)
	assert_match "$(srvr "$a" 32181)" "^Mode: (leader|follower)$" "the machine reaches $B-$i's namenode1 at $a:32181"
done
# a znode written in copy 1 is not in copy 2
Z=/labo-copies-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
run timeout 20 "$CLI_MT" "$(block_addr "${ROOT[1]}" 198):32181" "cmd:create $Z"
assert_contains "$OUT$ERR" "[$Z]: rc = 0" "create $Z in $B-1 through its block"
run timeout 20 "$CLI_MT" "$(block_addr "${ROOT[1]}" 101):32181" "cmd:ls /"
assert_match "$OUT$ERR" "^[[:space:]]*${Z#/}\$" "$B-1's other server lists ${Z#/}"
run timeout 20 "$CLI_MT" "$(block_addr "${ROOT[2]}" 198):32181" "cmd:ls /"
assert_contains "$OUT$ERR" "zookeeper" "$B-2 answers ls /"
assert_not_contains "$OUT$ERR" "${Z#/}" "$B-2 has no ${Z#/}: its own ensemble"

# copies do not reach each other, even routed through the machine
run "$LABO" exec -l "$B-1" mida-clm1 -- ip route add default via 198.51.100.1
expect_rc 0 "$B-1's mida-clm1 routes everything through the machine"
run "$LABO" exec -l "$B-1" mida-clm1 -- ping -n -c 1 -W 2 198.51.100.1
expect_rc 0 "$B-1's mida-clm1 reaches the machine at the file's address"
for i in 2 3; do
	a=$(block_addr "${ROOT[$i]}" 198)
	run "$LABO" exec -l "$B-1" mida-clm1 -- ping -n -c 2 -W 1 "$a"
	[ "$RC" -ne 0 ] && ok "$B-1 does not reach $B-$i's $a (ping)" || fail "$B-1 pings $B-$i's $a"
	run "$LABO" exec -l "$B-1" mida-clm1 -- timeout 3 bash -c "exec 3<>/dev/tcp/$a/32181"
	[ "$RC" -ne 0 ] && ok "$B-1 does not reach $B-$i's $a:32181 (TCP)" || fail "$B-1 opens $B-$i's $a:32181"
done
# the machine's own address of another copy (its root interface) is not
# reached either: the machine is no router between copies
a=$(block_addr "${ROOT[2]}" 1)
run "$LABO" exec -l "$B-1" mida-clm1 -- ping -n -c 2 -W 1 "$a"
[ "$RC" -ne 0 ] && ok "$B-1 does not reach the machine's side of $B-2 ($a)" || fail "$B-1 pings $a"
# Whether the machine forwards or not, the copy's gate lets through toward
# the machine only what is for the machine's own address: counted on the
# copy's root interface, 5 pings to the machine arrive, 10 elsewhere do not.
IFN1=$("$LABO" status "$B-1" --json | jq -r '.segments[0].root.ifname')
rx() { cat "/sys/class/net/$IFN1/statistics/rx_packets"; }
r0=$(rx)
"$LABO" exec -l "$B-1" mida-clm1 -- ping -n -c 5 -i 0.2 -W 1 198.51.100.1 >/dev/null 2>&1
r1=$(rx)
"$LABO" exec -l "$B-1" mida-clm1 -- ping -n -c 5 -i 0.2 -W 1 "$(block_addr "${ROOT[2]}" 198)" >/dev/null 2>&1
"$LABO" exec -l "$B-1" mida-clm1 -- ping -n -c 5 -i 0.2 -W 1 10.99.0.1 >/dev/null 2>&1
r2=$(rx)
[ $((r1 - r0)) -ge 5 ] && ok "5 pings to the machine arrive on $IFN1 ($((r1 - r0)) packets)" ||
	fail "the machine's pings: $((r1 - r0)) packets on $IFN1"
[ $((r2 - r1)) -lt 5 ] && ok "10 pings through the machine to elsewhere never reach it ($((r2 - r1)) packets on $IFN1)" ||
	fail "pings through the machine reached $IFN1: $((r2 - r1)) packets"

# ==== a long name: kernel names fit ====
new_lab L 5
LONG=${L}attendee15
use_lab "$LONG"
run "$LABO" up "$F" --name "$LONG" --runtime process -q
expect_rc 0 "up --name $LONG (${#LONG} bytes)"
record_ns "$LONG"
run "$LABO" status "$LONG" --json
IFN=$(jq -r '.segments[0].root.ifname' <<<"$OUT")
[ "${#IFN}" -le 15 ] && ok "$LONG's root interface '$IFN' fits IFNAMSIZ" || fail "root interface '$IFN' is ${#IFN} bytes"
assert_match "$IFN" "^${LONG:0:8}-[0-9a-f]{6}$" "the interface keeps the copy's name's start"
ip link show "$IFN" >/dev/null 2>&1 && ok "$IFN exists in the root namespace" || fail "no $IFN in the root namespace"
assert_match "$(srvr "$(block_addr "$(root_of "$LONG")" 101)" 32181)" "^Mode: (leader|follower)$" \
	"$LONG answers on its block"

# ==== bad input: a clear error, nothing half-made ====
run "$LABO" up "$F" --name Bad_Name --runtime process
expect_rc 2 "up --name Bad_Name"
assert_contains "$ERR" "invalid lab name" "a bad copy name is named as such"
run "$LABO" up "$F" --copies 0
expect_rc 2 "up --copies 0"
assert_contains "$ERR" "--copies takes a number from 1 to 256" "--copies 0 says what it takes"
run "$LABO" up "$F" --name "$B-x" --pool 198.18.0.0/33
expect_rc 2 "up --pool 198.18.0.0/33"
assert_contains "$ERR" "the pool '198.18.0.0/33' is not a prefix" "a bad pool is named"
run "$LABO" up "$REPO/netns/zk3.yaml" --name "$B-1" --runtime process
expect_rc 1 "up of another file under a copy's name"
assert_contains "$ERR" "is up, from another version of this lab file" "a taken name says which lab holds it"
# a pool with room for two /24s, and three copies: two come up, the third
# says why and leaves nothing
new_lab P 6
for i in 1 2 3; do use_lab "$P-$i"; done
FREE=
for k in $(seq 100 250 | shuf -n 40); do
	c="198.18.$((k & ~1)).0/23"
	ip -4 route show | grep -q "^198\.18\.$((k & ~1))\.\|^198\.18\.$((k | 1))\." && continue
	"$LABO" ls --json | grep -q "198\.18\.$((k & ~1))\.\|198\.18\.$((k | 1))\." && continue
	FREE=$c
	break
done
[ -n "$FREE" ] || die "no free /23 in 198.18.0.0/15 for the pool test"
run "$LABO" up "$F" --copies 3 --name "$P" --pool "$FREE" --runtime process --parallel 1
expect_rc 1 "3 copies in a pool of two /24s ($FREE)"
assert_contains "$ERR" "the pool $FREE has no free /24 left for copy $P-3's segment 'internet'" \
	"the third copy says the pool is exhausted"
assert_contains "$OUT" "$P-1 is up" "the first copy came up"
assert_contains "$OUT" "$P-2 is up" "the second copy came up"
assert_lab_gone "$P-3"
assert_eq "" "$(ls -d "$RUN_DIR/$P-3" 2>/dev/null)" "nothing of $P-3 is left in the run dir"
for i in 1 2; do run "$LABO" down "$P-$i" -q; done

# ==== two Docker copies of the seed ====
need_docker_lab_tools
new_lab D 6
for i in 1 2; do use_lab "$D-$i"; done
t0=$EPOCHREALTIME
run "$LABO" up "$F" --copies 2 --name "$D"
say "timing: 2 Docker copies of the seed up in $(secs_since "$t0") s"
expect_rc 0 "up --copies 2 (docker)" || die "cannot go on without the Docker copies"
for i in 1 2; do
	record_ns "$D-$i"
	r=$(root_of "$D-$i")
	for last in 198 101; do
		assert_match "$(srvr "$(block_addr "$r" "$last")" 32181)" "^Mode: (leader|follower)$" \
			"$D-$i: published port 32181 answers on $(block_addr "$r" "$last")"
	done
	run "$LABO" exec -l "$D-$i" namenode1 -- ping -c 1 -W 2 namenode2
	expect_rc 0 "$D-$i: namenode1 pings namenode2 by name, in its own overlay"
	assert_contains "$OUT" "10.0.0.2" "$D-$i: namenode2 is the file's 10.0.0.2"
done
run "$LABO" exec -l "$D-1" namenode1 -- timeout 3 bash -c "exec 3<>/dev/tcp/$(block_addr "$(root_of "$D-2")" 198)/32181"
[ "$RC" -ne 0 ] && ok "$D-1's namenode1 does not reach $D-2's published port" || fail "$D-1's namenode1 reaches $D-2"

# ==== down --all, in a run dir of its own ====
PRIV=$TMP/run
mkdir -m 0700 "$PRIV"
new_lab Q 6
for i in 1 2; do use_lab "$Q-$i"; done
run env LABO_RUN_DIR="$PRIV" "$LABO" up "$F" --copies 2 --name "$Q" --runtime process -q
expect_rc 0 "2 copies in a private run dir"
run env LABO_RUN_DIR="$PRIV" "$LABO" down --all
expect_rc 0 "down --all"
assert_contains "$OUT" "labo: 2 labs down in" "down --all counts the labs"
for i in 1 2; do assert_lab_gone "$Q-$i"; done
run env LABO_RUN_DIR="$PRIV" "$LABO" down --all
expect_rc 0 "down --all again"
assert_contains "$OUT" "no lab is up; nothing to do" "down --all is idempotent"
run "$LABO" ls --json
assert_contains "$OUT" "\"$B-1\"" "down --all of another run dir left $B-1 alone"

# ==== down ====
for x in "$B-1" "$B-2" "$B-3" "$LONG" "$D-1" "$D-2"; do
	run "$LABO" down "$x" -q
	expect_rc 0 "down $x"
	assert_lab_gone "$x"
done
finish
