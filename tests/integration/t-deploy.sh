#!/bin/bash
# labo deploy, on a Swarm of labo's own (issue 15): a Docker lab stands in
# for three real servers, srv-a (the manager, its API also on TCP with
# TLS, certificates made by up), srv-b (a worker, its API on plain TCP,
# `api_tcp: insecure`) and srv-c (a worker), running no node. srv-c loads
# the image `labo export --images` wrote (`docker load`); then, from
# the root namespace: bad input gives one error each and leaves nothing on
# the Swarm (an unreachable URL, a --place naming a host the Swarm lacks, a
# TLS API without its CA, a worker's API, a server without the image,
# tasks not healthy in time). deploy loads the image on the manager.
# `labo deploy netns/seed.yaml --on tcp://... --place mida-clm1=srv-a
# --place mida-clm2=srv-c` over TLS brings namenode1 and namenode2 up
# there; `labo ls` and `labo status` show the deployed lab and its leader;
# a znode written through one published port is read through the other;
# `labo check --duration 20s` passes; `labo kill` of a node is Swarm
# replacing its task; `labo down` removes exactly what deploy made (the
# volume on srv-c, out of the manager's reach, is named with its command),
# and the servers are left as they were.
# timeout: 420
. "$(dirname "$0")/lib.sh"
need_root
need_cmd jq jq
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
need_docker_lab_tools "a Swarm for labo deploy"
[ -x "$CLI_MT" ] || die "no $CLI_MT (apt-get install libzookeeper-mt-dev... or zookeeper's cli_mt)"

# the deployed lab's name first: the EXIT trap downs it (from the Swarm)
# before the Swarm's own lab
new_lab DEP 7
new_lab LAB 7
A1=198.51.100.210
A2=198.51.100.211
A3=198.51.100.212
F=$(lab_file "$LAB" <<EOF2
lab: $LAB
segments:
  net:
    subnet: 198.51.100.208/28
    # the machine's way to the servers' APIs, and to the ZooKeeper port a
    # deploy publishes (a real server's firewall would open it too)
    root: {address: 198.51.100.209, expose: [32181/tcp]}
hosts:
  srv-a:
    docker: {role: manager, api_tcp: true}
    links: [{segment: net, address: $A1}]
  srv-b:
    docker: {role: worker, api_tcp: insecure}
    links: [{segment: net, address: $A2}]
  srv-c:
    docker: {role: worker}
    links: [{segment: net, address: $A3}]
EOF2
)
T0=$EPOCHREALTIME

# ==== the image, as export writes it ====
run "$LABO" export "$REPO/netns/seed.yaml" --images "$TMP/images" -o "$TMP/stack.yaml"
expect_rc 0 "labo export of the seed, with its images" || die "cannot go on"
IMAGE=$(ls "$TMP"/images/zookeeper-*.tar 2>/dev/null | head -n 1)
[ -n "$IMAGE" ] || die "no image archive in $TMP/images: $(ls "$TMP/images" 2>&1)"
REF=$(sed -n 's/^    image: //p' "$TMP/stack.yaml" | head -n 1)

# ==== the stand-in servers ====
run "$LABO" up -q "$F"
expect_rc 0 "up of three Docker hosts in a Swarm, no node" || { show_run; die "cannot go on"; }
record_ns "$LAB"
# by hand on srv-c only: deploy loads the manager's itself, and srv-b has
# none (a deploy placing a node there fails at once, saying so)
run "$LABO" exec -l "$LAB" srv-c -- docker load -i "$IMAGE"
expect_rc 0 "docker load on srv-c" || show_run
assert_contains "$OUT" "Loaded image: $REF" "srv-c loaded $REF, as deploy names it"
run "$LABO" status -l "$LAB" --json
expect_rc 0 "status --json" || show_run
host_json() { printf '%s\n' "$OUT" | jq -r --arg h "$1" ".hosts[] | select(.name == \$h) | $2"; }
SOCK=$(host_json srv-a .docker.socket)
TLS=$(host_json srv-a .docker.tcp)
CERTS=$(host_json srv-a .docker.cert_path)
TCP2=$(host_json srv-b .docker.tcp)
SOCK3=$(host_json srv-c .docker.socket)
[ -S "$SOCK" ] && [ -S "$SOCK3" ] || die "no Docker sockets for srv-a and srv-c in the status"
[ -f "$CERTS/ca.pem" ] || die "no client certificates in '$CERTS'"
TLSOPTS=(--tls-ca "$CERTS/ca.pem" --tls-cert "$CERTS/cert.pem" --tls-key "$CERTS/key.pem")
say "manager's API on TCP with TLS: $TLS; a worker's, plain: $TCP2"
DK() { env -u DOCKER_HOST -u DOCKER_CONTEXT docker -H "unix://$SOCK" "$@"; }
DK3() { env -u DOCKER_HOST -u DOCKER_CONTEXT docker -H "unix://$SOCK3" "$@"; }
labelled() {
	{ DK service ls -q --filter label=labo.deployed=true; DK network ls -q --filter label=labo.deployed=true; } 2>&1
}
# what each server holds, to compare after down: containers, services,
# networks, volumes
servers() {
	local h
	for h in srv-a srv-b srv-c; do
		printf '%s: ' "$h"
		"$LABO" exec -l "$LAB" "$h" -- sh -c 'docker ps -aq | wc -l; docker network ls -q | sort; docker volume ls -q | sort' 2>&1 | tr '\n' ' '
		echo
	done
	DK service ls -q
}
BEFORE=$(servers)
DEPLOY=("$LABO" deploy "$REPO/netns/seed.yaml" --name "$DEP" --place mida-clm1=srv-a --place mida-clm2=srv-c)

# ==== bad input: one error each, nothing made ====
run timeout 30 "${DEPLOY[@]}" --on "tcp://$A1:1"
expect_rc 1 "deploy on a URL where nothing listens fails"
assert_match "$ERR" "tcp://$A1:1.*(refused|connect)" "the error names the URL and the refusal" || show_run
run timeout 30 "$LABO" deploy "$REPO/netns/seed.yaml" --name "$DEP" --on "$TLS" "${TLSOPTS[@]}" --place mida-clm2=srv-x
expect_rc 1 "deploy with --place mida-clm2=srv-x fails"
assert_not_contains "$ERR" "without TLS" "no warning on a TLS API" || show_run
assert_contains "$ERR" "has no ready node named mida-clm1, srv-x" "the error names the missing hosts" || show_run
assert_contains "$ERR" "nothing was created" "and says nothing was made"
run timeout 30 "${DEPLOY[@]}" --on "$TLS" --tls-cert "$CERTS/cert.pem" --tls-key "$CERTS/key.pem"
expect_rc 1 "deploy over TLS without the daemon's CA fails"
assert_match "$ERR" "pinging the Docker daemon: .*(SSL|certificate)" "curl's TLS failure, said once" || show_run
run timeout 30 "${DEPLOY[@]}" --on "$TCP2"
expect_rc 1 "deploy on the worker's API fails"
assert_contains "$ERR" "warning: $TCP2 is the Docker API without TLS" "a plain TCP API is warned of"
assert_contains "$ERR" "not a swarm manager" "Docker's own words: not a manager" || show_run
run timeout 120 "$LABO" deploy "$REPO/netns/seed.yaml" --name "$DEP" --on "unix://$SOCK" --place mida-clm1=srv-a --place mida-clm2=srv-b
expect_rc 1 "deploy with a node on srv-b, which lacks the image, fails"
assert_contains "$ERR" "image $REF: loading it on the manager, srv-a" "deploy loads the image on the manager" || show_run
assert_contains "$ERR" "server srv-b has no image $REF" "the error names the server and the image" || show_run
assert_contains "$ERR" "removing what it made" "and what it made is removed"
assert_eq "$REF" "$(DK image ls --format '{{.Repository}}:{{.Tag}}' "$REF")" "the manager has the image deploy loaded"
run timeout 120 "${DEPLOY[@]}" --on "unix://$SOCK" --timeout 1
expect_rc 1 "deploy with --timeout 1 fails"
assert_contains "$ERR" "not every node runs healthy after 1 s" "the timeout is said, with each task's state" || show_run
assert_contains "$ERR" "removing what it made" "and what it made is removed"
assert_eq "" "$(labelled)" "nothing labelled labo.deployed on the Swarm after all that"
run "$LABO" status "$DEP"
expect_rc 4 "a failed deploy is not a lab: status says there is none" || show_run

# ==== the deploy, over TLS, on the hosts --place names ====
run timeout 200 "${DEPLOY[@]}" --on "$TLS" "${TLSOPTS[@]}" --timeout 150
expect_rc 0 "labo deploy netns/seed.yaml --on $TLS (TLS) --place ..." || {
	show_run
	DK service ps --no-trunc "${DEP}_namenode1" "${DEP}_namenode2" 2>&1 | indent
}
assert_match "$OUT" "namenode1 +${DEP}_namenode1 +on srv-a +running" "namenode1 runs on srv-a" || show_run
assert_match "$OUT" "namenode2 +${DEP}_namenode2 +on srv-c +running" "namenode2 runs on srv-c" || show_run
run timeout 30 "${DEPLOY[@]}" --on "$TLS" "${TLSOPTS[@]}"
expect_rc 2 "a second deploy under the same name is refused"
assert_contains "$ERR" "is deployed already" "it says the lab is there already" || show_run
assert_eq "2" "$(DK service ls -q --filter label=labo.deployed=true | wc -l)" "and leaves the first deploy's services alone"
run "$LABO" ls
assert_match "$OUT" "^$DEP +deployed +2 +tcp://$A1:2376 " "labo ls shows the deployed lab and its manager" || show_run

# ==== status: who leads, through the published ports ====
t0=$EPOCHREALTIME
while :; do
	run timeout 30 "$LABO" status "$DEP" --json
	leader=$(printf '%s\n' "$OUT" | jq -r '.leader // empty' 2>/dev/null)
	[ -n "$leader" ] && break
	[ "$(secs_since "$t0" | cut -d. -f1)" -lt 60 ] || break
	sleep 1
done
expect_rc 0 "labo status of the deployed lab" || show_run
if [ -n "$leader" ]; then ok "status names a leader ($leader) after $(secs_since "$t0") s"; else fail "no leader in status within 60 s: $OUT"; fi
assert_eq "$A1:32181 $A3:32181" "$(printf '%s\n' "$OUT" | jq -r '[.nodes[].endpoint] | join(" ")')" "each node's client port is its server's published port"
assert_eq "srv-a srv-c" "$(printf '%s\n' "$OUT" | jq -r '[.nodes[].host] | join(" ")')" "on the servers --place named"
run "$LABO" status "$DEP"
assert_match "$OUT" "deployed on the Swarm at $TLS" "the text says where" || show_run
assert_match "$OUT" "leader: $leader" "and who leads"

# a znode written through srv-a's published port is read through srv-c's,
# from the machine itself
znode=/labo-deploy-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
run timeout 20 "$CLI_MT" "$A1:32181" "cmd:create $znode"
assert_contains "$OUT$ERR" "[$znode]: rc = 0" "cli_mt creates $znode through $A1:32181" || show_run
for i in 1 2 3 4 5 6 7 8 9 10; do
	run timeout 20 "$CLI_MT" "$A3:32181" "cmd:ls /"
	printf '%s\n' "$OUT$ERR" | grep -qx "[[:space:]]*${znode#/}" && break
	sleep 0.3
done
assert_match "$OUT$ERR" "^[[:space:]]*${znode#/}\$" "cli_mt lists ${znode#/} through $A3:32181" || show_run

# ==== check, from the machine, through the published ports ====
run timeout 120 "$LABO" check "$DEP" --duration 20s --json
expect_rc 0 "labo check --duration 20s on the deployed lab" || show_run
assert_eq "ok" "$(printf '%s\n' "$OUT" | tail -n 1 | jq -r .verdict)" "its verdict is ok" || show_run
REP=$(printf '%s\n' "$OUT" | tail -n 1)
acked=$(printf '%s\n' "$REP" | jq '.writes.acknowledged // 0' 2>/dev/null)
# 20 s of 10 writes a second through each of two nodes: a check that wrote
# (nearly) nothing cannot pass
[ "${acked:-0}" -ge 300 ] && ok "check: $acked writes acknowledged (400 sent)" || fail "check: only ${acked:-0} writes acknowledged: $REP"
assert_eq "$A1:32181 $A3:32181" "$(printf '%s\n' "$REP" | jq -r '[.nodes[].endpoint] | join(" ")')" "written through the servers' published ports"

# ==== kill: Swarm replaces the task ====
old=$(DK service ps -q --filter desired-state=running "${DEP}_namenode2")
run timeout 30 "$LABO" kill -l "$DEP" namenode2
expect_rc 0 "labo kill namenode2 of the deployed lab" || show_run
assert_contains "$OUT" "SIGKILL sent to namenode2" "kill says what it sent"
t0=$EPOCHREALTIME
while :; do
	new=$(DK service ps -q --filter desired-state=running "${DEP}_namenode2")
	run timeout 30 "$LABO" status "$DEP" --json
	st=$(printf '%s\n' "$OUT" | jq -r '.nodes[1].state + " " + (.leader // "")' 2>/dev/null)
	[ -n "$new" ] && [ "$new" != "$old" ] && [ "${st%% *}" = running ] && [ -n "${st#* }" ] && break
	[ "$(secs_since "$t0" | cut -d. -f1)" -lt 90 ] || break
	sleep 1
done
if [ -n "$new" ] && [ "$new" != "$old" ]; then ok "namenode2 runs a new task"; else fail "namenode2 runs no new task (old $old, new $new)"; DK service ps "${DEP}_namenode2" 2>&1 | indent; fi
assert_match "$st" "^running [a-z]" "it runs again and the ensemble has a leader ($(secs_since "$t0") s)" || show_run
assert_match "$(DK3 ps -a --filter "label=com.docker.swarm.service.name=${DEP}_namenode2" --filter status=exited --format '{{.Status}}')" \
	"^Exited \(137\)" "the old task's container died of SIGKILL (exit 137), not a clean stop"
run "$LABO" kill -l "$DEP" namenode1 --signal TERM
expect_rc 1 "kill --signal TERM of a deployed node is refused"
assert_contains "$ERR" "KILL, not SIGTERM" "it says which signal Swarm sends" || show_run
run timeout 20 "$CLI_MT" "$A3:32181" "cmd:ls /"
assert_match "$OUT$ERR" "^[[:space:]]*${znode#/}\$" "namenode2 still has ${znode#/}: its volume outlived its task" || show_run

# ==== faults are the emulator's: said so ====
run "$LABO" stop -l "$DEP" mida-clm2
expect_rc 4 "labo stop of a deployed lab's host is refused"
assert_contains "$ERR" "faults act on labo's emulated network, not on real servers" "it says why" || show_run

# ==== one name is one lab ====
run "$LABO" up -q "$REPO/netns/seed.yaml" --name "$DEP"
expect_rc 1 "up under the deployed lab's name is refused"
assert_contains "$ERR" "is deployed on the Swarm at $TLS" "it says where the lab is" || show_run

# ==== down: exactly what deploy made ====
run timeout 120 "$LABO" down "$DEP"
expect_rc 0 "labo down of the deployed lab" || show_run
assert_contains "$OUT" "4 objects removed" "two services, the network and srv-a's volume removed" || show_run
assert_contains "$OUT" "on srv-c: docker volume rm ${DEP}_namenode2-data" "the volume on srv-c is named, with its command" || show_run
assert_eq "" "$(labelled)" "nothing labelled labo.deployed left on the Swarm"
run "$LABO" ls
assert_not_contains "$OUT" "$DEP" "labo ls no longer lists it"
run "$LABO" down "$DEP"
expect_rc 0 "a second down is a no-op"
# the command down printed, on srv-c; then every server is as it was
DK3 volume rm "${DEP}_namenode2-data" >/dev/null 2>&1
t0=$EPOCHREALTIME
while :; do
	AFTER=$(servers)
	[ "$AFTER" = "$BEFORE" ] && break
	[ "$(secs_since "$t0" | cut -d. -f1)" -lt 30 ] || break
	sleep 0.5
done
assert_eq "$BEFORE" "$AFTER" "the servers hold what they held before the deploys (containers, networks, volumes, services)"

run "$LABO" down "$LAB"
expect_rc 0 "down"
assert_lab_gone "$LAB"
say "timing: the whole test took $(secs_since "$T0") s"
finish
