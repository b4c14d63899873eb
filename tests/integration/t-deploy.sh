#!/bin/bash
# labo deploy, on a Swarm of labo's own (issue 15): a Docker lab stands in
# for two real servers, named as the seed's hosts (mida-clm1 manages the
# Swarm, its API also on TCP with TLS; mida-clm2 joins it, its API on
# plain TCP), running no node. Each daemon loads the image `labo export
# --images` wrote (`docker load`); then, from the root namespace, bad
# input gives one error each and leaves nothing on the Swarm: a --place
# naming a host the Swarm lacks, a TLS API without its CA, a worker's API,
# tasks that are not healthy in time. `labo deploy netns/seed.yaml` on the
# manager's unix socket brings namenode1 and namenode2 up on their hosts,
# a znode written through one published port is read through the other;
# `labo deploy --rm` over TLS leaves nothing labelled labo.deployed; then
# the lab goes.
# timeout: 300
. "$(dirname "$0")/lib.sh"
need_root
need_cmd jq jq
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
need_docker_lab_tools "a Swarm for labo deploy"

new_lab LAB 7
A1=198.51.100.210
A2=198.51.100.211
F=$(lab_file "$LAB" <<EOF2
lab: $LAB
segments:
  net:
    subnet: 198.51.100.208/28
    root: 198.51.100.209     # the machine's way to the manager's TCP API
hosts:
  mida-clm1:
    docker: {role: manager, api_tcp: true}
    links: [{segment: net, address: $A1}]
  mida-clm2:
    docker: {role: worker, api_tcp: insecure}
    links: [{segment: net, address: $A2}]
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
expect_rc 0 "up of two Docker hosts in a Swarm, no node" || { show_run; die "cannot go on"; }
record_ns "$LAB"
for h in mida-clm1 mida-clm2; do
	run "$LABO" exec -l "$LAB" "$h" -- docker load -i "$IMAGE"
	expect_rc 0 "docker load on $h" || show_run
	assert_contains "$OUT" "Loaded image: $REF" "$h loaded $REF, as deploy names it"
done
run "$LABO" status -l "$LAB" --json
expect_rc 0 "status --json" || show_run
SOCK=$(printf '%s\n' "$OUT" | jq -r '.hosts[] | select(.name == "mida-clm1") | .docker.socket')
[ -S "$SOCK" ] || die "no Docker socket for mida-clm1 in the status (got '$SOCK')"
TLS=$(printf '%s\n' "$OUT" | jq -r '.hosts[] | select(.name == "mida-clm1") | .docker.tcp')
CERTS=$(printf '%s\n' "$OUT" | jq -r '.hosts[] | select(.name == "mida-clm1") | .docker.cert_path')
TCP2=$(printf '%s\n' "$OUT" | jq -r '.hosts[] | select(.name == "mida-clm2") | .docker.tcp')
[ -f "$CERTS/ca.pem" ] || die "no client certificates in '$CERTS'"
TLSOPTS=(--tls-ca "$CERTS/ca.pem" --tls-cert "$CERTS/cert.pem" --tls-key "$CERTS/key.pem")
say "manager's socket: $SOCK, its API on TCP with TLS: $TLS; the worker's, plain: $TCP2"
DK() { env -u DOCKER_HOST -u DOCKER_CONTEXT docker -H "unix://$SOCK" "$@"; }
labelled() {
	{ DK service ls -q --filter label=labo.deployed=true; DK network ls -q --filter label=labo.deployed=true; } 2>&1
}

# ==== bad input: one error each, nothing made ====
run timeout 30 "$LABO" deploy "$REPO/netns/seed.yaml" --on "$TLS" "${TLSOPTS[@]}" --place mida-clm2=srv-b
expect_rc 1 "deploy with --place mida-clm2=srv-b fails"
assert_not_contains "$ERR" "without TLS" "no warning on a TLS API" || show_run
assert_contains "$ERR" "has no ready node named srv-b" "the error names the missing host" || show_run
assert_contains "$ERR" "nothing was created" "and says nothing was made"
run timeout 30 "$LABO" deploy "$REPO/netns/seed.yaml" --on "$TLS" --tls-cert "$CERTS/cert.pem" --tls-key "$CERTS/key.pem"
expect_rc 1 "deploy over TLS without the daemon's CA fails"
assert_match "$ERR" "pinging the Docker daemon: .*(SSL|certificate)" "curl's TLS failure, said once" || show_run
run timeout 30 "$LABO" deploy "$REPO/netns/seed.yaml" --on "$TCP2"
expect_rc 1 "deploy on the worker's API fails"
assert_contains "$ERR" "warning: $TCP2 is the Docker API without TLS" "a plain TCP API is warned of"
assert_contains "$ERR" "not a swarm manager" "Docker's own words: not a manager" || show_run
run timeout 120 "$LABO" deploy "$REPO/netns/seed.yaml" --on "unix://$SOCK" --timeout 1
expect_rc 1 "deploy with --timeout 1 fails"
assert_contains "$ERR" "not every node runs healthy after 1 s" "the timeout is said, with each task's state" || show_run
assert_contains "$ERR" "removing what it made" "and what it made is removed"
assert_eq "" "$(labelled)" "nothing labelled labo.deployed on the Swarm after all that"

# ==== the deploy ====
run timeout 200 "$LABO" deploy "$REPO/netns/seed.yaml" --on "unix://$SOCK" --timeout 150
expect_rc 0 "labo deploy netns/seed.yaml on the manager's socket" || {
	show_run
	DK service ps --no-trunc seed_namenode1 seed_namenode2 2>&1 | indent
}
assert_match "$OUT" "namenode1 +seed_namenode1 +on mida-clm1 +running" "namenode1 runs on mida-clm1" || show_run
assert_match "$OUT" "namenode2 +seed_namenode2 +on mida-clm2 +running" "namenode2 runs on mida-clm2" || show_run
run timeout 30 "$LABO" deploy "$REPO/netns/seed.yaml" --on "unix://$SOCK"
expect_rc 1 "a second deploy of the same lab is refused"
assert_contains "$ERR" "deployed on this Swarm already" "it says the lab is there already"
assert_eq "2" "$(DK service ls -q --filter label=labo.deployed=true | wc -l)" "and leaves the first deploy's services alone"

# a znode written through mida-clm1's published port is read through
# mida-clm2's (both nodes answer once their quorum is formed)
znode=/labo-deploy-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
t0=$EPOCHREALTIME
while :; do
	run timeout 20 "$LABO" exec -l "$LAB" mida-clm1 -- "$CLI_MT" "$A1:32181" "cmd:create $znode"
	case "$OUT$ERR" in *"[$znode]: rc = 0"*) break ;; esac
	[ "$(secs_since "$t0" | cut -d. -f1)" -lt 60 ] || break
	sleep 1
done
assert_contains "$OUT$ERR" "[$znode]: rc = 0" "cli_mt creates $znode through $A1:32181" || show_run
for i in 1 2 3 4 5 6 7 8 9 10; do
	run timeout 20 "$LABO" exec -l "$LAB" mida-clm2 -- "$CLI_MT" "$A2:32181" "cmd:ls /"
	printf '%s\n' "$OUT$ERR" | grep -qx "[[:space:]]*${znode#/}" && break
	sleep 0.3
done
assert_match "$OUT$ERR" "^[[:space:]]*${znode#/}\$" "cli_mt lists ${znode#/} through $A2:32181" || show_run

# ==== --rm: exactly what deploy made ====
run timeout 120 "$LABO" deploy --rm "$REPO/netns/seed.yaml" --on "$TLS" "${TLSOPTS[@]}"
expect_rc 0 "labo deploy --rm, over TLS" || show_run
assert_contains "$OUT" "3 objects removed" "two services and the network removed" || show_run
assert_eq "" "$(labelled)" "nothing labelled labo.deployed left on the Swarm"
t0=$EPOCHREALTIME
while :; do
	left=$(for h in mida-clm1 mida-clm2; do "$LABO" exec -l "$LAB" "$h" -- docker ps -q; done 2>/dev/null)
	[ -z "$left" ] && break
	[ "$(secs_since "$t0" | cut -d. -f1)" -lt 30 ] || break
	sleep 0.5
done
assert_eq "" "$left" "no task left on either host after --rm"

run "$LABO" down "$LAB"
expect_rc 0 "down"
assert_lab_gone "$LAB"
say "timing: the whole test took $(secs_since "$T0") s"
finish
