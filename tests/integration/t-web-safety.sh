#!/bin/bash
# labo web's bad input and safety, with curl and bash alone: a port in use
# and a bad --listen (clear errors); path traversal, unknown labs and the
# embedded files' exact names (404); the security headers; the Host check
# (DNS rebinding); the check's plot (a link refused, its CSP); actions off without --allow-actions, refused without or
# with a wrong token, run with the right one (kill, partition, heal;
# names outside the lab's model refused); a slow client (cut after the
# connection timeout, and a per-address limit that leaves other clients
# served); clients leaving event streams mid-way; a flood of 2,000
# requests from 50 parallel clients (all answered, memory and threads
# back down). Ends with the server still answering and exiting 0 on
# SIGTERM, with no sanitizer report.
# timeout: 300
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-web.sh"
need_root
need_json
need_cmd jq jq
need_cmd curl curl
need_cmd ss iproute2
[ -r /usr/share/java/zookeeper.jar ] || die "this test needs ZooKeeper (Debian package zookeeper)"

new_lab LAB 7
F=$(supervised_lab_file "$LAB" zk3.yaml | lab_file "$LAB")
run "$LABO" up --runtime process "$F"
expect_rc 0 "up --runtime process (zk3 as $LAB)" || die "cannot go on"
record_ns "$LAB"

# code URL [CURL ARGS...]: the HTTP status only
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
threads() { awk '/^Threads:/ { print $2 }' "/proc/$WEB_PID/status"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$WEB_PID/status"; }

ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$TMP/asan:quarantine_size_mb=4:thread_local_quarantine_size_kb=64" web_start
ok "labo web answers on $WEB (read-only)"
for _ in $(seq 100); do
	[ "$(curl -s "$WEB/api/lab/$LAB" | jq -r .state)" = up ] && break
	sleep 0.1
done

# ---- bad input ----
run "$LABO" web --listen "127.0.0.1:$WEB_PORT"
expect_rc 1 "a second server on the same port" && {
	assert_contains "$ERR" "127.0.0.1:$WEB_PORT" "names the address"
	assert_contains "$ERR" "Address already in use" "and the kernel's reason"
}
for bad in 300.1.2.3:80 127.0.0.1:0 127.0.0.1:65536 127.0.0.1:http example.org:80 "127.0.0.1:"; do
	run "$LABO" web --listen "$bad"
	expect_rc 2 "--listen $bad" && assert_contains "$ERR" "--listen $bad:" "says what is wrong with it"
done
run "$LABO" web extra
expect_rc 2 "an argument web does not take"
# off loopback (the lab's root address: reachable from this machine only),
# a warning; Host names are then not checked
p=$(free_port)
"$LABO" web --listen "198.51.100.65:$p" 2>"$TMP/web-off.err" &
off_pid=$!
for _ in $(seq 50); do curl -s -o /dev/null --max-time 1 "http://198.51.100.65:$p/api/config" && break; sleep 0.1; done
assert_contains "$(cat "$TMP/web-off.err")" "WARNING: listening on 198.51.100.65:$p, not on loopback: anyone who can reach this address sees every lab" \
	"--listen off loopback warns on stderr"
assert_eq 200 "$(code -H "Host: labs.example:$p" "http://198.51.100.65:$p/api/labs")" "and serves any Host name there"
kill -TERM "$off_pid"
wait "$off_pid"
assert_eq 0 "$?" "it stops on SIGTERM (exit 0)"

# ---- only its own files ----
for p in /../../etc/passwd /%2e%2e/%2e%2e/etc/passwd /lab/..%2f..%2fetc%2fpasswd /app.js/../../etc/passwd \
	//etc/passwd /src/web/assets/app.js /web/app.js /.%2e/etc/passwd /lab/$LAB/../../../etc/passwd \
	"/lab/$LAB/%2e%2e/%2e%2e/etc/shadow" /index.html /lab.html /api/lab/../../etc/passwd; do
	body=$(curl -s --path-as-is --max-time 5 -w '\n%{http_code}' "$WEB$p")
	assert_eq 404 "${body##*$'\n'}" "GET $p is 404"
	assert_not_contains "$body" "root:" "and shows no file of the machine"
done
assert_eq 404 "$(code "$WEB/lab/nosuchlab")" "an unknown lab is 404"
assert_eq 404 "$(code "$WEB/lab/nosuchlab/events")" "and so are its events"
assert_eq 404 "$(code "$WEB/lab/NOT..A..NAME")" "a name no lab can have is 404"
for p in / /app.js /app.css /favicon.svg "/lab/$LAB" /api/labs "/api/lab/$LAB"; do
	assert_eq 200 "$(code "$WEB$p")" "GET $p is 200"
done
assert_eq 405 "$(code -X PUT "$WEB/")" "PUT is 405"
hdr=$(curl -s -D- -o /dev/null "$WEB/nothing-here")
assert_match "$hdr" "^Content-Security-Policy: default-src 'self'" "a 404 carries the Content-Security-Policy"
assert_match "$hdr" "^X-Content-Type-Options: nosniff" "and nosniff"
hdr=$(curl -s -D- -o /dev/null "$WEB/lab/$LAB")
assert_match "$hdr" "^Content-Security-Policy: default-src 'self'" "a page carries the Content-Security-Policy"
assert_match "$hdr" "^X-Content-Type-Options: nosniff" "and nosniff"
assert_not_contains "$(curl -s "$WEB/" "$WEB/lab/$LAB" "$WEB/app.js" "$WEB/app.css")" "http" \
	"the pages load nothing from elsewhere (no http(s) URL in them)"

# ---- the check's plot: the lab's own file, or nothing ----
plot="$RUN_DIR/$LAB/check.svg"
assert_eq 404 "$(code "$WEB/lab/$LAB/check.svg")" "no check has ended: its plot is 404"
ln -s /etc/shadow "$plot"
body=$(curl -s --max-time 5 -w '\n%{http_code}' "$WEB/lab/$LAB/check.svg")
assert_eq 404 "${body##*$'\n'}" "a check.svg that is a link is 404"
assert_not_contains "$body" "root:" "and shows not what it points to"
rm -f "$plot"
printf '<svg xmlns="http://www.w3.org/2000/svg"><title>t</title></svg>\n' >"$plot.tmp" && mv "$plot.tmp" "$plot"
hdr=$(curl -s -D- -o "$TMP/plot.svg" "$WEB/lab/$LAB/check.svg")
assert_match "$hdr" "^HTTP/1.1 200" "a check's plot is served"
assert_match "$hdr" "^Content-Type: image/svg\+xml" "as image/svg+xml"
assert_match "$hdr" "^Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'" \
	"under a CSP that lets nothing load or run"
assert_eq "$(cat "$plot")" "$(cat "$TMP/plot.svg")" "whole"
for _ in $(seq 50); do
	[ "$(curl -s "$WEB/api/lab/$LAB" | jq -r '.check_plot.version // empty')" ] && break
	sleep 0.1
done
assert_match "$(curl -s "$WEB/api/lab/$LAB" | jq -r '.check_plot.at // empty')" '^20[0-9-]+T' \
	"the lab's page is told of it (check_plot.at)"
rm -f "$plot"

# ---- Host: loopback's names only ----
assert_eq 403 "$(code -H "Host: rebind.example:$WEB_PORT" "$WEB/api/labs")" "Host rebind.example is refused"
assert_eq 403 "$(code -H "Host: 10.1.2.3:$WEB_PORT" "$WEB/api/labs")" "Host 10.1.2.3 is refused"
assert_eq 403 "$(code -H "Host:" "$WEB/api/labs")" "no Host is refused"
assert_eq 200 "$(code -H "Host: localhost:$WEB_PORT" "$WEB/api/labs")" "Host localhost is served"
assert_eq 200 "$(code -H "Host: 127.0.0.1" "$WEB/api/labs")" "Host 127.0.0.1 is served"

# ---- actions ----
assert_eq 403 "$(code -X POST "$WEB/api/lab/$LAB/kill?a=zoo1")" "read-only: an action is refused"
curl -s -X POST "$WEB/api/lab/$LAB/kill?a=zoo1" | grep -q -- --allow-actions && ok "saying why (--allow-actions)"
assert_eq false "$(curl -s "$WEB/api/config" | jq .actions)" "the pages are told: no action buttons"
W1_PID=$WEB_PID W1=$WEB W1_PORT=$WEB_PORT
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$TMP/asan" web_start --allow-actions
TOKEN=$(sed -n 's|.*#token=\([0-9a-f]*\)$|\1|p' "$TMP/web.err")
assert_match "$TOKEN" '^[0-9a-f]{32}$' "--allow-actions prints a token of 128 bits, in an address"
assert_eq true "$(curl -s "$WEB/api/config" | jq .actions)" "the pages are told: action buttons"
for _ in $(seq 100); do
	[ "$(curl -s "$WEB/api/lab/$LAB" | jq -r .state)" = up ] && break
	sleep 0.1
done
assert_eq 403 "$(code -X POST "$WEB/api/lab/$LAB/kill?a=zoo1")" "no token: refused"
# the token with its last digit changed (a "0" put in its place would be
# the token itself one time in sixteen)
if [ "${TOKEN: -1}" = 0 ]; then WRONG=${TOKEN%?}1; else WRONG=${TOKEN%?}0; fi
assert_eq 403 "$(code -X POST -H "X-Labo-Token: $WRONG" "$WEB/api/lab/$LAB/kill?a=zoo1")" "a wrong token: refused"
assert_eq 403 "$(code -X POST -H "X-Labo-Token: ${TOKEN}0" "$WEB/api/lab/$LAB/kill?a=zoo1")" "the token and more: refused"
assert_eq 403 "$(code -X POST -H "X-Labo-Token: ${TOKEN:0:16}" "$WEB/api/lab/$LAB/kill?a=zoo1")" "half the token: refused"
assert_eq 404 "$(code -H "X-Labo-Token: $TOKEN" "$WEB/api/lab/$LAB/kill?a=zoo1")" "GET of an action: not one (POST only)"
assert_eq 0 "$("$LABO" status "$LAB" --json | jq '[.nodes[].restarts] | add')" "nothing was killed"
T=(-H "X-Labo-Token: $TOKEN")
assert_eq 400 "$(code -X POST "${T[@]}" "$WEB/api/lab/$LAB/kill?a=--help")" "kill of a name not in the lab: 400"
assert_eq 400 "$(code -X POST "${T[@]}" "$WEB/api/lab/$LAB/kill?a=zoo1%3Brm%20-rf")" "nor a word smuggled in"
assert_eq 400 "$(code -X POST "${T[@]}" "$WEB/api/lab/$LAB/partition?a=zk1&b=zk1")" "a host cut from itself: 400"
assert_eq 404 "$(code -X POST "${T[@]}" "$WEB/api/lab/$LAB/shell?a=zk1")" "an unknown action: 404"
assert_eq 404 "$(code -X POST "${T[@]}" "$WEB/api/lab/nosuchlab/kill?a=zoo1")" "an unknown lab: 404"
body=$(curl -s -X POST "${T[@]}" "$WEB/api/lab/$LAB/kill?a=zoo1")
assert_eq true "$(jq .ok <<<"$body")" "the right token: labo kill zoo1 runs ($(jq -r .output <<<"$body" | head -1))"
body=$(curl -s -X POST "${T[@]}" "$WEB/api/lab/$LAB/partition?a=zk1&b=zk2")
assert_eq true "$(jq .ok <<<"$body")" "partition zk1 zk2 runs"
assert_eq "zk1>zk2 zk2>zk1" "$("$LABO" status "$LAB" --json | jq -r '[.faults.partitions[] | "\(.from)>\(.to)"] | sort | join(" ")')" \
	"the cut is in force"
for _ in $(seq 50); do
	[ "$(curl -s "$WEB/api/lab/$LAB" | jq '[.links[] | select(.type == "cut")] | length')" = 1 ] && break
	sleep 0.1
done
assert_eq 1 "$(curl -s "$WEB/api/lab/$LAB" | jq '[.links[] | select(.type == "cut")] | length')" "the page's snapshot shows the cut"
body=$(curl -s -X POST "${T[@]}" "$WEB/api/lab/$LAB/heal")
assert_eq true "$(jq .ok <<<"$body")" "heal runs"
assert_eq 0 "$("$LABO" status "$LAB" --json | jq '.faults.partitions | length')" "no cut left"
body=$(curl -s -X POST "${T[@]}" "$WEB/api/lab/$LAB/reset")
say "reset: $(jq -c . <<<"$body")"
jq -e 'has("ok") and has("output")' <<<"$body" >/dev/null && ok "reset runs labo reset (its answer relayed)"
web_stop
assert_eq 0 "$WEB_RC" "the server with actions exits 0"
WEB_PID=$W1_PID WEB=$W1 WEB_PORT=$W1_PORT

# ---- a slow client ----
exec {slow}<>"/dev/tcp/127.0.0.1/$WEB_PORT"
printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n' >&"$slow"
t0=$EPOCHREALTIME
cat <&"$slow" >/dev/null &
rd=$!
timeout 30 tail --pid="$rd" -f /dev/null
dt=$(secs_since "$t0")
exec {slow}>&-
say "timing: a half-sent request was cut after $dt s"
awk -v t="$dt" 'BEGIN { exit !(t >= 8 && t <= 15) }' && ok "a slow client is cut after the connection timeout (10 s)" ||
	fail "a slow client was cut after $dt s (10 s expected)"
fds=()
for _ in $(seq 70); do
	# opened and left silent (no write: the server closes those past its
	# limit, and a write to one would end this shell with SIGPIPE)
	exec {fd}<>"/dev/tcp/127.0.0.1/$WEB_PORT" && fds+=("$fd")
done
sleep 0.5
assert_eq 000 "$(code "$WEB/api/labs")" "70 slow connections from 127.0.0.1: a 71st from there is refused (per-address limit)"
assert_eq 200 "$(code --interface 127.0.0.2 "$WEB/api/labs")" "while another address is served"
for fd in "${fds[@]}"; do exec {fd}>&-; done
sleep 0.5
assert_eq 200 "$(code "$WEB/api/labs")" "the slow connections closed: 127.0.0.1 is served again"

# ---- clients leaving streams ----
sleep 1
base=$(threads)
pids=()
for i in $(seq 20); do
	curl -s -N --max-time 0.$((RANDOM % 9 + 1)) "$WEB/lab/$LAB/events" >/dev/null &
	pids+=($!)
	curl -s -N --max-time 0.$((RANDOM % 9 + 1)) "$WEB/events" >/dev/null &
	pids+=($!)
done
wait "${pids[@]}" 2>/dev/null
sse=$(curl -s -N --max-time 2 "$WEB/lab/$LAB/events" | grep -c '^event: snapshot')
assert_eq 1 "$sse" "after 40 clients left their streams mid-way, a new stream gets its snapshot"
t0=$EPOCHREALTIME
while [ "$(threads)" -gt "$base" ] && [ "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print (b - a < 15) }')" = 1 ]; do
	sleep 0.2
done
assert_eq "$base" "$(threads)" "their threads are gone ($(secs_since "$t0") s after)"

# ---- a flood ----
# flood N: N requests of 6 kinds from 50 parallel clients; the answers'
# statuses in $TMP/flood
flood() {
	seq "$1" | awk -v w="$WEB" -v lab="$LAB" '{ split("/ /app.js /api/labs /lab/" lab " /nothing /api/lab/" lab, p, " "); print w p[$1 % 6 + 1] }' |
		xargs -P 50 -n 1 curl -s -o /dev/null --max-time 20 -w '%{http_code}\n' >"$TMP/flood" 2>/dev/null
}
rss0=$(rss_kb)
t0=$EPOCHREALTIME
flood 2000
dt=$(secs_since "$t0")
say "timing: 2000 requests from 50 parallel clients in $dt s; answers: $(sort "$TMP/flood" | uniq -c | tr '\n' ' ')"
assert_eq 2000 "$(grep -c . "$TMP/flood")" "2000 requests made"
assert_eq 2000 "$(grep -cE '^(200|404)$' "$TMP/flood")" "every one answered (200, or 404 for /nothing)"
rss1=$(rss_kb)
flood 2000
assert_eq 2000 "$(grep -cE '^(200|404)$' "$TMP/flood")" "a second flood: every one answered"
rss2=$(rss_kb)
# the sanitized build keeps freed memory in a quarantine (web_start sets it
# small): the first flood fills it, the second must not grow it further
say "memory: VmRSS $rss0 kB before, $rss1 kB after a flood, $rss2 kB after another"
awk -v a="$rss0" -v b="$rss2" 'BEGIN { exit !(b - a < 65536) }' && ok "memory bounded (grew $(((rss2 - rss0) / 1024)) MB in all)" ||
	fail "memory grew by $(((rss2 - rss0) / 1024)) MB in two floods"
awk -v a="$rss1" -v b="$rss2" 'BEGIN { exit !(b - a < 8192) }' && ok "and not with the number of requests (the second flood: $(((rss2 - rss1) / 1024)) MB)" ||
	fail "the second flood grew the memory by $(((rss2 - rss1) / 1024)) MB"
t0=$EPOCHREALTIME
while [ "$(threads)" -gt "$base" ] && [ "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print (b - a < 15) }')" = 1 ]; do
	sleep 0.2
done
assert_eq "$base" "$(threads)" "its threads are gone"

# ---- still answering; a clean stop ----
assert_eq 200 "$(code "$WEB/api/labs")" "the server still answers"
assert_eq "$LAB" "$(curl -s "$WEB/api/labs" | jq -r --arg l "$LAB" '.[] | select(.name == $l) | .name')" "and still lists the lab"
web_stop
assert_eq 0 "$WEB_RC" "SIGTERM: exit status 0"
if ls "$TMP"/asan.* >/dev/null 2>&1; then
	fail "sanitizer report from labo web:"
	head -40 "$TMP"/asan.* | indent
else
	ok "no sanitizer report (no leak) from either server"
fi

finish
