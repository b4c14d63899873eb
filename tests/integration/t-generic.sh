#!/bin/bash
# Generic nodes (issue 13): the user's own image from a `docker save`
# archive the test makes, each kind of health check failing and
# recovering, as the supervisor sees it (status --json, events):
#   - a maker lab (one Docker host, no node) imports a busybox rootfs into
#     its daemon and `docker save`s it, gzipped, next to the second lab's
#     file (image: relative to the lab file);
#   - the second lab (one Docker host, the overlay) runs four nodes of it:
#     web (http: busybox httpd, 404 when its page is gone), port (tcp: a
#     busybox nc -ll listener stopped and started again), probe (exec:
#     test -e /tmp/ok) and plain (no health: healthy while it runs);
#   - each check made to fail: the node shows `down` with the check's own
#     error, in status and in a role event; made to pass again: `healthy`;
#   - plain's container killed: restarted, healthy again;
#   - a symbolic link as the archive is refused by up, saying so.
# Their probes tolerate many failures (the test makes them fail on
# purpose; a hung node would be restarted, which t-supervise-docker tests).
# timeout: 420
. "$(dirname "$0")/lib.sh"
need_root

# wait_event LAB REGEX: until an event of the supervisor matches (10 s at
# most): status asks a node directly, the supervisor at its next probe
# round, up to a second later
wait_event() {
	local i
	for i in $(seq 1 50); do
		events_of "$1" | grep -qE "$2" && return 0
		sleep 0.2
	done
	return 1
}
need_json
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
need_docker_lab_tools "generic nodes"
need_cmd jq jq
need_cmd gzip gzip

node_field() { jqs --arg n "$1" ".nodes[] | select(.name == \$n) | $2"; }
mode_is() { printf '(.nodes[] | select(.name == "%s") | .mode) == "%s"' "$1" "$2"; }
in_node() { # in_node LAB NODE CMD...: a command in the node, must succeed
	local lab=$1 node=$2
	shift 2
	run "$LABO" exec -l "$lab" "$node" -- "$@"
	expect_rc 0 "in $node: $*" || show_run
}

# ==== the archive: a busybox rootfs, imported and saved by a lab's daemon ====
ROOTFS=$TMP/rootfs
mkdir -p "$ROOTFS/bin" "$ROOTFS/tmp" "$ROOTFS/www" "$ROOTFS/etc" || die "mkdir"
cp /bin/busybox "$ROOTFS/bin/busybox" || die "no static busybox"
for a in sh test touch rm sleep nc httpd mkdir kill killall cat echo ps true; do
	ln -s busybox "$ROOTFS/bin/$a"
done
echo hello >"$ROOTFS/www/index.html"

new_lab MAKER 6
MF=$(lab_file "$MAKER" <<EOL
lab: $MAKER
segments:
  net: {subnet: 198.51.100.64/28, root: 198.51.100.65}
hosts:
  m1:
    docker: manager
    links: [{segment: net, address: 198.51.100.66}]
EOL
)
up_lab "$MF" "$MAKER"
status_json "$MAKER" || die "no status of $MAKER"
MSOCK=$(jqs '.hosts[0].docker.socket')
DOCKER_M=(timeout 60 env -u DOCKER_HOST -u DOCKER_CONTEXT docker -H "unix://$MSOCK")
mkdir -p "$TMP/images"
tar -C "$ROOTFS" -c . | "${DOCKER_M[@]}" import --change 'CMD ["/bin/sh"]' - labo-test/bb:1 >/dev/null ||
	die "importing the busybox rootfs into $MAKER's daemon"
"${DOCKER_M[@]}" save labo-test/bb:1 | gzip >"$TMP/images/bb.tar.gz" || die "docker save"
ok "made $TMP/images/bb.tar.gz ($(stat -c %s "$TMP/images/bb.tar.gz") bytes) with $MAKER's daemon"
run "$LABO" down "$MAKER"
expect_rc 0 "down $MAKER"

# ==== the lab of generic nodes ====
new_lab LAB 6
probe='supervise: {probe: {interval: 500ms, timeout: 1s, failures: 100, grace: 10m}}'
F=$(lab_file "$LAB" <<EOL
lab: $LAB
segments:
  net: {subnet: 198.51.100.80/28, root: 198.51.100.81}
hosts:
  g1:
    docker: manager
    links: [{segment: net, address: 198.51.100.82}]
overlay: {name: weave, subnet: 10.0.0.0/24}
supervise:
  backoff: {initial: 200ms, max: 2s}
nodes:
  web:
    host: g1
    address: 10.0.0.1
    image: images/bb.tar.gz
    command: [/bin/httpd, -f, -p, "8080", -h, /www]
    health: {http: "http://web:8080/index.html"}
    $probe
  port:
    host: g1
    address: 10.0.0.2
    image: images/bb.tar.gz
    command: [/bin/sh, -c, "while :; do [ -e /tmp/closed ] || nc -ll -p 9000 -e /bin/true; sleep 0.2; done"]
    health: {tcp: 9000}
    $probe
  probe:
    host: g1
    address: 10.0.0.3
    image: images/bb.tar.gz
    command: [/bin/sh, -c, "touch /tmp/ok; exec sleep 100000"]
    env: {GREETING: hello}
    health: {exec: [test, -e, /tmp/ok]}
    $probe
  plain:
    host: g1
    address: 10.0.0.4
    image: images/bb.tar.gz
    command: [/bin/sleep, "100000"]
    $probe
EOL
)
# the archive is next to the lab file: image: is relative to it
[ "$(dirname "$F")" = "$TMP" ] || die "lab_file wrote $F, not in $TMP"
up_lab "$F" "$LAB"
all_healthy='[.nodes[] | select(.mode == "healthy")] | length == 4'
wait_for "$LAB" 60 "every generic node healthy" "$all_healthy" ||
	fail "the generic nodes are not all healthy after up"
# and the supervisor has seen each healthy (its first round comes up to a
# second after its start): a check broken before that would be no change
# of its mode
for x in web port probe plain; do
	wait_event "$LAB" "\"kind\":\"role\",\"subject\":\"$x\".*\"mode\":\"healthy\"" ||
		fail "the supervisor never saw $x healthy"
done
run "$LABO" exec -l "$LAB" probe -- sh -c 'echo $GREETING'
assert_eq hello "$OUT" "env: reaches the node"

# ==== http: the page gone (404), then back ====
in_node "$LAB" web rm /www/index.html
wait_for "$LAB" 20 "web down (404)" "$(mode_is web down)" || fail "web not down after its page went"
wait_event "$LAB" '"kind":"role","subject":"web".*"mode":"down"'
EV=$(events_of "$LAB")
assert_match "$EV" '"kind":"role","subject":"web".*"mode":"down".*answered \\"HTTP/1.[01] 404' \
	"events: web down, the GET's 404 said"
in_node "$LAB" web sh -c 'echo back >/www/index.html'
wait_for "$LAB" 20 "web healthy again" "$(mode_is web healthy)" || fail "web not healthy again"

# ==== tcp: the listener stopped, then started again ====
in_node "$LAB" port sh -c 'touch /tmp/closed; killall nc'
wait_for "$LAB" 20 "port down (refused)" "$(mode_is port down)" || fail "port not down after its listener stopped"
wait_event "$LAB" '"kind":"role","subject":"port".*"mode":"down"'
EV=$(events_of "$LAB")
assert_match "$EV" '"kind":"role","subject":"port".*"mode":"down".*9000 \(connect\): Connection refused' \
	"events: port down, the connection refused"
in_node "$LAB" port rm /tmp/closed
wait_for "$LAB" 20 "port healthy again" "$(mode_is port healthy)" || fail "port not healthy again"

# ==== exec: the file gone, then back ====
in_node "$LAB" probe rm /tmp/ok
wait_for "$LAB" 20 "probe down (exit 1)" "$(mode_is probe down)" || fail "probe not down after /tmp/ok went"
wait_event "$LAB" '"kind":"role","subject":"probe".*"mode":"down"'
EV=$(events_of "$LAB")
assert_match "$EV" '"kind":"role","subject":"probe".*"mode":"down".*`test -e /tmp/ok` exited 1' \
	"events: probe down, the command's exit status said"
in_node "$LAB" probe touch /tmp/ok
wait_for "$LAB" 20 "probe healthy again" "$(mode_is probe healthy)" || fail "probe not healthy again"

# ==== no health: healthy while it runs; killed, restarted ====
status_json "$LAB"
R0=$(node_field plain .restarts)
SOCK=$(jqs '.hosts[0].docker.socket')
run timeout 20 env -u DOCKER_HOST -u DOCKER_CONTEXT docker -H "unix://$SOCK" kill plain
expect_rc 0 "docker kill plain"
wait_for "$LAB" 30 "plain restarted and healthy" \
	"$(mode_is plain healthy) and (.nodes[] | select(.name == \"plain\") | .restarts == $R0 + 1)" ||
	fail "plain not restarted, or not healthy after it"
EV=$(events_of "$LAB")
assert_match "$EV" '"kind":"died","subject":"plain"' "events: plain died"
assert_match "$EV" '"kind":"role","subject":"plain".*"mode":"healthy"' "events: plain healthy"

# ==== the container: the user's image, Docker's default capabilities ====
run curl -s --unix-socket "$SOCK" "http://d/v1.41/containers/web/json"
assert_eq '["no-new-privileges"]' "$(printf '%s' "$OUT" | jq -c .HostConfig.SecurityOpt)" "web: no-new-privileges"
assert_eq "null" "$(printf '%s' "$OUT" | jq -c .HostConfig.CapAdd)" "web: no capability added"
assert_match "$(printf '%s' "$OUT" | jq -r .Config.Image)" '^labo/archive:[0-9a-f]{16}$' "web: the archive's image, tagged by labo"
run "$LABO" down "$LAB"
expect_rc 0 "down $LAB"

# ==== an archive that is a link: refused ====
new_lab LINKED 6
ln -s "$TMP/images/bb.tar.gz" "$TMP/images/link.tar.gz"
F2=$(sed -e "s/^lab: .*/lab: $LINKED/" -e 's|images/bb.tar.gz|images/link.tar.gz|' \
	-e 's/198\.51\.100\.80/198.51.100.96/; s/198\.51\.100\.81/198.51.100.97/; s/198\.51\.100\.82/198.51.100.98/' \
	"$F" | lab_file "$LINKED")
run "$LABO" up "$F2"
expect_rc 1 "up with an archive that is a symbolic link"
assert_contains "$ERR" "is a symbolic link" "up says the archive is a link"
run "$LABO" down "$LINKED"

finish
