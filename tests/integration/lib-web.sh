# tests/integration/lib-web.sh: sourced by t-web*.sh after lib.sh.
#
#   free_port: a TCP port of 127.0.0.1 that nothing listens on
#   web_start [ARGS...]: starts `$LABO web --listen 127.0.0.1:$WEB_PORT ARGS`
#     in the background (stderr in $TMP/web.err), waits until it answers;
#     $WEB_PID, $WEB (its base URL)
#   web_stop: SIGTERM, waits; $WEB_RC its exit status
#   wd_start: chromedriver and a headless Chromium session ($WD, $WD_SID)
#   wd CMD PATH [JSON]: one WebDriver call, its answer's .value on stdout
#   wd_attr CSS ATTR: the attribute of the first element matching CSS, or ""
#   wd_count CSS: how many elements match CSS
#   wd_shot NAME: a screenshot into $LABO_WEB_SHOTS/NAME.png, when set

# Below the kernel's ephemeral range (ip_local_port_range), so that no
# outgoing connection of the machine holds the port by the time we bind it;
# ss's look and the bind still race with the rest of the machine, so
# web_start tries three ports.
free_port() {
	local p lo
	lo=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ "${lo:-0}" -gt 12000 ] || lo=32768
	for _ in $(seq 50); do
		p=$((10000 + RANDOM % (lo - 10000)))
		ss -Htan "sport = :$p" | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}

web_start() {
	local try
	for try in 1 2 3; do
		WEB_PORT=$(free_port) || die "no free port"
		WEB=http://127.0.0.1:$WEB_PORT
		"$LABO" web --listen "127.0.0.1:$WEB_PORT" "$@" 2>"$TMP/web.err" &
		WEB_PID=$!
		for _ in $(seq 100); do
			curl -s -o /dev/null --max-time 1 "$WEB/api/config" && {
				defer "kill -TERM $WEB_PID 2>/dev/null; wait $WEB_PID 2>/dev/null"
				return 0
			}
			kill -0 "$WEB_PID" 2>/dev/null || break
			sleep 0.1
		done
		wait "$WEB_PID" 2>/dev/null
		# taken between ss's look and the bind: another port
		grep -q "Address already in use" "$TMP/web.err" || break
		say "port $WEB_PORT was taken meanwhile; another"
	done
	kill -TERM "$WEB_PID" 2>/dev/null
	cat "$TMP/web.err" | indent
	die "labo web did not answer on $WEB"
}

web_stop() {
	kill -TERM "$WEB_PID" 2>/dev/null
	wait "$WEB_PID"
	WEB_RC=$?
}

# ---- WebDriver, with curl and jq ----

wd() {
	local method=$1 path=$2 body=${3:-}
	if [ -n "$body" ]; then
		curl -s --max-time 30 -X "$method" -H 'Content-Type: application/json' -d "$body" "$WD$path"
	else
		curl -s --max-time 30 -X "$method" "$WD$path"
	fi | jq -c '.value'
}

wd_start() {
	local port caps
	command -v chromedriver >/dev/null || die "this test needs chromedriver (Debian package chromium-driver)"
	command -v chromium >/dev/null || die "this test needs chromium (Debian package chromium)"
	port=$(free_port) || die "no free port for chromedriver"
	WD=http://127.0.0.1:$port
	chromedriver --port="$port" >"$TMP/chromedriver.log" 2>&1 &
	local cd_pid=$!
	defer "kill $cd_pid 2>/dev/null; wait $cd_pid 2>/dev/null"
	for _ in $(seq 100); do
		curl -s --max-time 1 "$WD/status" | jq -e '.value.ready' >/dev/null 2>&1 && break
		sleep 0.1
	done
	mkdir -p "$TMP/chrome"
	caps=$(jq -nc --arg dir "$TMP/chrome" '{capabilities: {alwaysMatch: {browserName: "chrome",
		"goog:chromeOptions": {binary: "/usr/bin/chromium", args: ["--headless", "--no-sandbox",
		"--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--window-size=1600,1000",
		("--user-data-dir=" + $dir)]}}}}')
	WD_SID=$(wd POST /session "$caps" | jq -r '.sessionId // empty')
	[ -n "$WD_SID" ] || { cat "$TMP/chromedriver.log" | tail -20 | indent; die "no WebDriver session"; }
	defer "curl -s -X DELETE $WD/session/$WD_SID >/dev/null"
}

wd_go() { wd POST "/session/$WD_SID/url" "$(jq -nc --arg u "$1" '{url: $u}')" >/dev/null; }

# The page's own DOM, read in one call (the page re-renders a list at each
# snapshot the server pushes: an element found, then asked, may be gone).
wd_js() {
	wd POST "/session/$WD_SID/execute/sync" "$(jq -nc --arg s "$1" --args '{script: $s, args: $ARGS.positional}' -- "${@:2}")"
}
wd_count() { wd_js 'return document.querySelectorAll(arguments[0]).length' "$1"; }
wd_attr() { wd_js 'const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null' "$1" "$2" | jq -r '. // empty'; }
wd_text() { wd_js 'const e = document.querySelector(arguments[0]); return e ? e.textContent : null' "$1" | jq -r '. // empty'; }

# wd_wait SECS CSS: until an element matches CSS; 1 on timeout
wd_wait() {
	local end
	end=$(awk -v a="$EPOCHREALTIME" -v s="$1" 'BEGIN { printf "%.3f", a + s }')
	while awk -v a="$EPOCHREALTIME" -v e="$end" 'BEGIN { exit !(a < e) }'; do
		[ "$(wd_count "$2")" -gt 0 ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

wd_shot() {
	[ -n "${LABO_WEB_SHOTS:-}" ] || return 0
	mkdir -p "$LABO_WEB_SHOTS"
	wd GET "/session/$WD_SID/screenshot" | jq -r . | base64 -d >"$LABO_WEB_SHOTS/$1.png" &&
		say "screenshot: $LABO_WEB_SHOTS/$1.png"
}
