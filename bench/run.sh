#!/bin/bash
# bench/run.sh: labo's benchmark (`make bench`, as root).
#
# N hosts on one segment, each with one address, for N = 100 and 1000: the
# wall time to bring the lab up and to tear it down, side by side in the same
# run with
#   ipbatch  iproute2 alone (`ip -batch`, bench/ipbatch.sh): the same lab
#   kernel-lab   bench/nscost.c: the same lab straight from C with raw
#            rtnetlink, one request per kernel operation, where the kernel's
#            own cost shows (its "up" is split into namespaces, veths, addresses)
#   kernel-lab6  the same with IPv6 off in the lab (when labo leaves it on):
#            how much of the cost is IPv6 multicast flooded by the bridge
#   kernel-netns bench/nscost.c: the N namespaces alone (creation, removal)
#   mininet  `mn --topo single,N --switch lxbr --controller none --test none`
#            (Mininet 2.3, bench/mininet.sh), for N = 100 only
# Contenders alternate within each round (the order rotates every round), so
# drift on the machine hits them all. Up and down are timed separately with
# CLOCK_MONOTONIC (build/bench/timeit); every lab is checked after "up"
# (bench/check-lab.sh, untimed) and every teardown is checked to leave nothing.
# Between runs the kernel is let finish: after "down" we wait until it has
# really destroyed the namespaces ("kernel tail", it works asynchronously:
# `nscost settle`), and after "up" until the CPUs stop being busy in the
# kernel ("busy after up": with IPv6 on, every link that comes up sends
# multicast the bridge floods to every port).
#
# Output: a Markdown report on stdout and in build/bench/results.md; every
# run in build/bench/runs.csv; logs under build/bench/log/.
#
# Environment:
#   BENCH_N="100 1000"       lab sizes
#   BENCH_R100=5 BENCH_R1000=3  rounds per size (BENCH_R<N>; default 3)
#   BENCH_WARMUP=1           untimed warm-up rounds per size
#   BENCH_MININET_N=100      sizes at which Mininet runs ("" for none)
#   BENCH_SKIP_MININET=1     run without Mininet (otherwise a missing `mn` is
#                            an error)
#   BENCH_SKIP_LABO=1        measure the peers only (labo not built or run)
#   BENCH_IPV6=auto|on|off   IPv6 on the lab links for ipbatch/kernel; auto
#                            (default) does what labo does, seen in its first
#                            run (labo runs first); on if labo is not measured
#   BENCH_QUIET_MAX=10       max seconds to wait for the CPUs after "up"
#   IPB_HOSTS                see bench/ipbatch.sh
#   LABO=./labo              the labo binary
set -u
export LC_ALL=C

cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
OUT=$ROOT/build/bench
LOG=$OUT/log
TIMEIT=$OUT/timeit
NSCOST=$OUT/nscost
LABO=${LABO:-$ROOT/labo}
BENCH_N=${BENCH_N:-100 1000}
BENCH_R100=${BENCH_R100:-5}
BENCH_R1000=${BENCH_R1000:-3}
BENCH_WARMUP=${BENCH_WARMUP:-1}
BENCH_MININET_N=${BENCH_MININET_N-100}
BENCH_SKIP_MININET=${BENCH_SKIP_MININET:-0}
BENCH_SKIP_LABO=${BENCH_SKIP_LABO:-0}
BENCH_IPV6=${BENCH_IPV6:-auto}
BENCH_QUIET_MAX=${BENCH_QUIET_MAX:-10}

say() { echo "bench: $*" >&2; }
die() { say "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (it creates network namespaces): sudo make bench"
case $BENCH_IPV6 in auto | on | off) ;; *) die "BENCH_IPV6 must be auto, on or off" ;; esac
for t in ip nsenter xargs awk cc; do
	command -v "$t" >/dev/null || die "$t not found"
done
if [ "$BENCH_SKIP_MININET" != 1 ] && [ -n "$BENCH_MININET_N" ]; then
	command -v mn >/dev/null && command -v brctl >/dev/null ||
		die "Mininet is missing: apt-get install mininet bridge-utils (or BENCH_SKIP_MININET=1)"
fi
[ "$BENCH_SKIP_MININET" = 1 ] && BENCH_MININET_N=""

mkdir -p "$OUT" "$LOG" || exit 1

# ---- build ---------------------------------------------------------------
say "building build/bench/timeit and build/bench/nscost"
cc -O2 -Wall -Wextra -o "$TIMEIT" bench/timeit.c || die "cannot build timeit"
cc -O2 -Wall -Wextra -o "$NSCOST" bench/nscost.c || die "cannot build nscost"

labo_ok=1
labo_why=""
if [ "$BENCH_SKIP_LABO" = 1 ]; then
	labo_ok=0
	labo_why="skipped (BENCH_SKIP_LABO=1)"
elif [ "$LABO" = "$ROOT/labo" ]; then
	say "building labo (make labo)"
	if ! make -s labo >"$LOG/make-labo.log" 2>&1; then
		tail -20 "$LOG/make-labo.log" >&2
		labo_ok=0
		labo_why="\`make labo\` failed (see build/bench/log/make-labo.log)"
	fi
fi
if [ $labo_ok = 1 ] && [ ! -x "$LABO" ]; then
	labo_ok=0
	labo_why="no executable $LABO"
fi
[ $labo_ok = 1 ] || say "error: labo will not be measured: $labo_why"

# ---- state of the machine --------------------------------------------------
links_before=$(ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort)

# Busy-ness of the kernel: share of CPU time spent in system + irq + softirq
# over 0.2 s (other sessions' user-space load does not count).
kbusy() {
	local a b
	a=$(head -1 /proc/stat)
	sleep 0.2
	b=$(head -1 /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN {
		na = split(a, x, " "); split(b, y, " ")
		for (i = 2; i <= na; i++) d += y[i] - x[i]
		k = (y[4] - x[4]) + (y[7] - x[7]) + (y[8] - x[8]) # system irq softirq
		printf "%.3f", (d > 0 ? k / d : 0) }'
}
# Wait until the kernel is (nearly) idle, i.e. its busy share is under
# QUIET_THR, for at most $1 seconds (default BENCH_QUIET_MAX): prints the
# seconds waited. QUIET_THR is set before each run from the share measured
# then, so that other users' load on a shared machine does not count.
QUIET_THR=0.10
quiet() {
	local t0 t1 max=${1:-$BENCH_QUIET_MAX}
	t0=$(awk '{print $1}' /proc/uptime)
	while :; do
		t1=$(awk '{print $1}' /proc/uptime)
		awk -v a="$t0" -v b="$t1" -v m="$max" 'BEGIN { exit !(b - a >= m) }' && break
		awk -v x="$(kbusy)" -v t="$QUIET_THR" 'BEGIN { exit !(x < t) }' && break
	done
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
settle() { # the kernel's tail after a teardown, in seconds
	"$NSCOST" settle | sed -n 's/^settle=//p'
}
# Namespaces whose name starts with $1 that still exist.
ns_left() { find /run/netns -maxdepth 1 \( -name "$1" -o -name "$1.*" \) -printf '%f\n' 2>/dev/null; }
links_new() {
	ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort |
		comm -13 <(echo "$links_before") -
}

# ---- results ---------------------------------------------------------------
declare -A V # "contender|N|metric" -> values, space separated
add() { V["$1|$2|$3"]="${V["$1|$2|$3"]:-}${V["$1|$2|$3"]:+ }$4"; }
echo "contender,n,round,up_s,down_s,kernel_tail_s,busy_after_up_s" >"$OUT/runs.csv"
record() { # contender N round up down tail busy
	add "$1" "$2" up "$4"
	add "$1" "$2" down "$5"
	add "$1" "$2" updown "$(awk -v a="$4" -v b="$5" 'BEGIN { printf "%.6f", a + b }')"
	add "$1" "$2" tail "$6"
	add "$1" "$2" busy "$7"
	echo "$1,$2,$3,$4,$5,$6,$7" >>"$OUT/runs.csv"
}
stat() { # values... -> "median min max" (empty if none)
	[ $# -gt 0 ] || return 0
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.6f %.6f %.6f\n", m, v[1], v[NR] }'
}
med() { # contender N metric -> median or ""
	local s
	s=$(stat ${V["$1|$2|$3"]:-})
	echo "${s%% *}"
}

failed=0
declare -A FAILED # contender|N -> reason

# ---- contenders --------------------------------------------------------------
# Each sets R_UP R_DOWN R_TAIL R_BUSY and returns 0, or prints why and returns 1.
# $1 = N, $2 = round label (w for warm-up), $3 = 1 to keep the record.

ipv6_mode=on # what the peers do, settled from labo's first run when auto
ipv6_seen=0
[ "$BENCH_IPV6" = auto ] || ipv6_mode=$BENCH_IPV6

run_labo() {
	local n=$1 lab="bench$1" f="$OUT/bench$1.yaml" l="$LOG/labo-$1"
	bench/gen-lab.sh "$n" "$lab" >"$f" || return 1
	"$TIMEIT" -o "$l.up.t" "$LABO" up "$f" >"$l.up.log" 2>&1
	local rc=$?
	if [ $rc -ne 0 ]; then
		say "error: \`$LABO up $f\` failed (exit $rc); its last output lines:"
		tail -15 "$l.up.log" | sed 's/^/    /' >&2
		[ -s "$l.up.log" ] || say "    (no output)"
		"$LABO" down "$lab" >>"$l.down.log" 2>&1
		scrub "labo.$lab"
		return 1
	fi
	if ! bench/check-lab.sh "labo.$lab" "$n"; then
		say "error: the lab \`labo up\` built is not the expected one (above)"
		"$LABO" down "$lab" >>"$l.down.log" 2>&1
		scrub "labo.$lab"
		return 1
	fi
	if [ "$BENCH_IPV6" = auto ] && [ "$ipv6_seen" = 0 ]; then
		ipv6_seen=1
		# Does labo leave IPv6 on (a link-local address on eth0)?
		if [ -n "$(ip -n "labo.$lab.h1" -6 -o addr show dev eth0 scope link 2>/dev/null)" ]; then
			ipv6_mode=on
		else
			ipv6_mode=off
		fi
	fi
	R_BUSY=$(quiet)
	if ! "$TIMEIT" -o "$l.down.t" "$LABO" down "$lab" >"$l.down.log" 2>&1; then
		say "error: \`$LABO down $lab\` failed; its last output lines:"
		tail -15 "$l.down.log" | sed 's/^/    /' >&2
		scrub "labo.$lab"
		return 1
	fi
	R_TAIL=$(settle)
	R_UP=$(<"$l.up.t") R_DOWN=$(<"$l.down.t")
	left "labo.$lab" || return 1
	[ ! -e "/run/labo/$lab" ] || { say "labo down left /run/labo/$lab"; return 1; }
}

run_ipbatch() {
	local n=$1 p="ipb$$n$1" d="$OUT/ipbatch-$1" l="$LOG/ipbatch-$1"
	rm -rf "$d"
	IPB_IPV6=$ipv6_mode bench/ipbatch.sh prepare "$n" "$p" "$d" || return 1
	if ! "$TIMEIT" -o "$l.up.t" bench/ipbatch.sh up "$d" >"$l.up.log" 2>&1 ||
		! bench/check-lab.sh "$p" "$n"; then
		say "ip -batch up failed:"
		tail -15 "$l.up.log" >&2
		scrub "$p"
		return 1
	fi
	R_BUSY=$(quiet)
	if ! "$TIMEIT" -o "$l.down.t" bench/ipbatch.sh down "$d" >"$l.down.log" 2>&1; then
		say "ip -batch down failed:"
		tail -15 "$l.down.log" >&2
		scrub "$p"
		return 1
	fi
	R_TAIL=$(settle)
	R_UP=$(<"$l.up.t") R_DOWN=$(<"$l.down.t")
	left "$p"
}

run_kernel() { # mode: lab | lab6 | netns, N, round, keep
	local mode=${1%6} n=$2 p="nsc$$n$2" o="$LOG/nscost-$1-$2" six="" k
	[ "$1" = lab6 ] || { [ "$mode" = lab ] && [ "$ipv6_mode" = off ]; } && six=-6
	if ! "$NSCOST" $six -k -p "$p" "$mode" "$n" >"$o.up" 2>&1; then
		cat "$o.up" >&2
		scrub "$p"
		return 1
	fi
	if [ "$mode" = lab ] && ! bench/check-lab.sh "$p" "$n"; then
		scrub "$p"
		return 1
	fi
	R_BUSY=$(quiet)
	if ! "$NSCOST" -p "$p" down "$n" >"$o.down" 2>&1; then
		cat "$o.down" >&2
		scrub "$p"
		return 1
	fi
	R_TAIL=$(settle)
	R_UP=$(sed -n 's/^up=//p' "$o.up") R_DOWN=$(sed -n 's/^down=//p' "$o.down")
	if [ "$4" = 1 ]; then
		for k in netns ns_file ns_unshare ns_mount veth addr; do
			grep -q "^$k=" "$o.up" && add "kernel-$1" "$n" "$k" "$(sed -n "s/^$k=//p" "$o.up")"
		done
	fi
	left "$p"
}

run_mininet() {
	local n=$1 d="$LOG/mininet-$1"
	rm -rf "$d"
	if ! bench/mininet.sh "$n" "$d" >/dev/null; then
		return 1
	fi
	R_UP=$(<"$d/up") R_DOWN=$(<"$d/down") R_BUSY=""
	R_TAIL=$(settle)
}

scrub() { # remove namespaces named $1 or $1.* (ours: the names carry our pid or bench<N>)
	local s
	for s in $(ns_left "$1"); do ip netns del "$s" 2>/dev/null; done
}
left() {
	local s
	s=$(ns_left "$1" | head -5 | tr '\n' ' ')
	[ -z "$s" ] || { say "teardown left namespaces: $s"; scrub "$1"; return 1; }
	s=$(links_new | tr '\n' ' ')
	[ -z "$s" ] || say "warning: new links in the root namespace (ours or another user's?): $s"
	return 0
}

on_signal() {
	local n s
	say "interrupted: removing this run's labs"
	for n in $BENCH_N; do
		[ $labo_ok = 1 ] && [ -n "$(ns_left "labo.bench$n")" ] && "$LABO" down "bench$n" >/dev/null 2>&1
	done
	for s in $(find /run/netns -maxdepth 1 \( -name "ipb$$n*" -o -name "nsc$$n*" \) -printf '%f\n'); do
		ip netns del "$s" 2>/dev/null
	done
	exit 130
}
trap on_signal INT TERM

contenders_for() { # N
	local c=""
	[ $labo_ok = 1 ] && c="labo"
	c="$c ipbatch kernel-lab kernel-lab6 kernel-netns"
	case " $BENCH_MININET_N " in *" $1 "*) c="$c mininet" ;; esac
	echo $c
}

one() { # contender N round keep
	local c=$1 n=$2 r=$3 rc
	[ -n "${FAILED["$c|$n"]:-}" ] && return 0
	# start each run on a kernel at rest (or as much at rest as other users
	# let it be: then "busy after up" counts what goes beyond their load)
	QUIET_THR=0.10
	quiet 3 >/dev/null
	QUIET_THR=$(awk -v b="$(kbusy)" 'BEGIN { t = b + 0.05; printf "%.3f", (t > 0.10 ? t : 0.10) }')
	R_UP="" R_DOWN="" R_TAIL="" R_BUSY=""
	case $c in
	labo) run_labo "$n" "$r" ;;
	ipbatch) run_ipbatch "$n" ;;
	kernel-lab) run_kernel lab "$n" "$r" "$4" ;;
	kernel-lab6)
		[ "$ipv6_mode" = off ] && return 0 # the same as kernel-lab then
		run_kernel lab6 "$n" "$r" "$4" ;;
	kernel-netns) run_kernel netns "$n" "$r" "$4" ;;
	mininet) run_mininet "$n" ;;
	esac
	rc=$?
	if [ $rc -ne 0 ]; then
		FAILED["$c|$n"]="failed in round $r (see above and build/bench/log/)"
		failed=1
		return 0
	fi
	[ "$4" = 1 ] && record "$c" "$n" "$r" "$R_UP" "$R_DOWN" "$R_TAIL" "$R_BUSY"
	say "  $c N=$n round $r: up ${R_UP}s down ${R_DOWN}s (kernel tail ${R_TAIL}s${R_BUSY:+, busy after up ${R_BUSY}s})"
	sleep 0.2
}

# Stale bench labs from an interrupted run: labo's own are removed by labo.
for n in $BENCH_N; do
	if [ -n "$(ns_left "labo.bench$n")" ]; then
		[ $labo_ok = 1 ] && "$LABO" down "bench$n" >/dev/null 2>&1
		[ -z "$(ns_left "labo.bench$n")" ] || die "namespaces labo.bench$n* exist (a stale bench run?): labo down bench$n"
	fi
done

# What "kernel tail" shows on an idle kernel (the sentinels' own cost).
tail0=$(stat "$(settle)" "$(settle)" "$(settle)")
tail0=${tail0%% *}
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load0=$(cut -d' ' -f1-3 /proc/loadavg)
say "machine kernel busy share now: $(kbusy)"
for n in $BENCH_N; do
	r_var="BENCH_R$n"
	rounds=${!r_var:-3}
	set -- $(contenders_for "$n")
	cs=("$@")
	for ((w = 1; w <= BENCH_WARMUP; w++)); do
		say "N=$n warm-up"
		for c in "${cs[@]}"; do one "$c" "$n" w 0; done
		QUIET_THR=0.10
		quiet 3 >/dev/null
	done
	for ((r = 1; r <= rounds; r++)); do
		say "N=$n round $r/$rounds"
		k=${#cs[@]}
		for ((i = 0; i < k; i++)); do
			c=${cs[$(((i + r - 1) % k))]}
			one "$c" "$n" "$r" 1
		done
	done
done

# ---- report ----------------------------------------------------------------
fmt() { awk -v x="$1" 'BEGIN { if (x == "") print "–"; else if (x < 1) printf "%.0f ms", x * 1000; else printf "%.2f s", x }'; }
cell() { # contender N metric -> "median (min–max)"
	local s m lo hi
	s=$(stat ${V["$1|$2|$3"]:-})
	[ -n "$s" ] || { echo "–"; return; }
	read -r m lo hi <<<"$s"
	echo "$(fmt "$m") ($(fmt "$lo")–$(fmt "$hi"))"
}
ratio() { # a b -> a/b
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "–"; else printf "%.1f×", a / b }'
}
label() {
	case $1 in
	labo) echo "labo" ;;
	ipbatch) echo "ip -batch" ;;
	kernel-lab) echo "direct C (nscost: raw netlink, one request at a time)" ;;
	kernel-lab6) echo "direct C, IPv6 off in the lab (nscost -6)" ;;
	kernel-netns) echo "kernel: namespaces alone" ;;
	mininet) echo "Mininet 2.3 (lxbr)" ;;
	esac
}

rev=$(git describe --always --dirty 2>/dev/null || echo "no commit yet")
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
deb=$(cat /etc/debian_version 2>/dev/null || echo "?")
runfs=$(findmnt -n -o FSTYPE -T /run/netns 2>/dev/null || echo "?")
mnv=$(dpkg-query -W -f '${Version}' mininet 2>/dev/null || echo "-")
ipv=$(ip -V | sed 's/.*iproute2-\([^,]*\).*/\1/')

{
	echo "# labo benchmark: N hosts on one segment"
	echo
	echo "Run $started. \`make bench\` (bench/run.sh). Times are wall time, CLOCK_MONOTONIC;"
	echo "median (min–max) over the rounds."
	echo
	echo "| machine | |"
	echo "|---|---|"
	echo "| kernel | $(uname -r) |"
	echo "| CPUs | $(nproc) × $cpu |"
	echo "| memory | $mem |"
	echo "| Debian | $deb |"
	echo "| labo | $rev |"
	echo "| iproute2 / Mininet | $ipv / $mnv |"
	echo "| /run/netns on | $runfs |"
	echo "| load average at start | $load0 |"
	echo "| IPv6 on the lab links | $ipv6_mode ($([ "$BENCH_IPV6" = auto ] && echo "as labo does" || echo "BENCH_IPV6"); ip -batch and direct C do the same) |"
	echo
	for n in $BENCH_N; do
		r_var="BENCH_R$n"
		echo "## N = $n (${!r_var:-3} rounds)"
		echo
		echo "| contender | up | down | up + down | kernel tail after down | busy after up |"
		echo "|---|---|---|---|---|---|"
		for c in $(contenders_for "$n"); do
			[ "$c" = kernel-lab6 ] && [ "$ipv6_mode" = off ] && continue
			if [ -n "${FAILED["$c|$n"]:-}" ]; then
				echo "| $(label "$c") | FAILED ${FAILED["$c|$n"]} | | | | |"
				continue
			fi
			echo "| $(label "$c") | $(cell "$c" "$n" up) | $(cell "$c" "$n" down) | $(cell "$c" "$n" updown) | $(cell "$c" "$n" tail) | $(cell "$c" "$n" busy) |"
		done
		[ $labo_ok = 1 ] || echo "| labo | not measured: $labo_why | | | | |"
		echo
		lu=$(med labo "$n" up) ld=$(med labo "$n" down) lud=$(med labo "$n" updown)
		if [ -n "$lud" ]; then
			echo "| ratio (medians) | up | down | up + down |"
			echo "|---|---|---|---|"
			echo "| ip -batch / labo | $(ratio "$(med ipbatch "$n" up)" "$lu") | $(ratio "$(med ipbatch "$n" down)" "$ld") | $(ratio "$(med ipbatch "$n" updown)" "$lud") |"
			echo "| labo / direct C | $(ratio "$lu" "$(med kernel-lab "$n" up)") | $(ratio "$ld" "$(med kernel-lab "$n" down)") | $(ratio "$lud" "$(med kernel-lab "$n" updown)") |"
			if [ -n "$(med mininet "$n" updown)" ]; then
				echo "| Mininet / labo | $(ratio "$(med mininet "$n" up)" "$lu") | $(ratio "$(med mininet "$n" down)" "$ld") | $(ratio "$(med mininet "$n" updown)" "$lud") |"
			fi
			echo
		fi
		if [ -n "$(med kernel-lab "$n" netns)" ]; then
			echo "Direct C, where its \"up\" goes (medians): namespaces $(fmt "$(med kernel-lab "$n" netns)")" \
				"(of which: mount-point files in /run/netns $(fmt "$(med kernel-lab "$n" ns_file)")," \
				"unshare(CLONE_NEWNET) $(fmt "$(med kernel-lab "$n" ns_unshare)")," \
				"bind mounts $(fmt "$(med kernel-lab "$n" ns_mount)")), veth pairs into the bridge" \
				"$(fmt "$(med kernel-lab "$n" veth)"), addresses and links up in the hosts" \
				"$(fmt "$(med kernel-lab "$n" addr)")."
			if [ -n "$(med kernel-lab6 "$n" netns)" ]; then
				echo "With IPv6 off: namespaces $(fmt "$(med kernel-lab6 "$n" netns)") (files" \
					"$(fmt "$(med kernel-lab6 "$n" ns_file)"), unshare" \
					"$(fmt "$(med kernel-lab6 "$n" ns_unshare)")), veth pairs $(fmt "$(med kernel-lab6 "$n" veth)")," \
					"addresses and links up $(fmt "$(med kernel-lab6 "$n" addr)")."
			fi
			echo "Namespaces alone: unshare(CLONE_NEWNET) $(fmt "$(med kernel-netns "$n" ns_unshare)")," \
				"mount-point files $(fmt "$(med kernel-netns "$n" ns_file)"), bind mounts" \
				"$(fmt "$(med kernel-netns "$n" ns_mount)")."
			echo
		fi
	done
	echo "## Targets"
	echo
	t_mn=$(ratio "$(med mininet 100 updown)" "$(med labo 100 updown)")
	t_ip=$(ratio "$(med ipbatch 100 updown)" "$(med labo 100 updown)")
	t_up=$(med labo 1000 up)
	verdict() { awk -v x="${1%×}" -v t="$2" -v op="$3" 'BEGIN { if (x == "–" || x == "") print "not measured"; else if ((op == ">=" && x + 0 >= t) || (op == "<" && x + 0 < t)) print "met"; else print "NOT met" }'; }
	echo "| target | measured | |"
	echo "|---|---|---|"
	echo "| labo up+down, N=100: ≥ 20× faster than Mininet | $t_mn | $(verdict "$t_mn" 20 ">=") |"
	echo "| labo up+down, N=100: no slower than ip -batch (ratio ≥ 1) | $t_ip | $(verdict "$t_ip" 1 ">=") |"
	echo "| labo up, N=1000: under 3 s | $(fmt "$t_up") | $(verdict "$t_up" 3 "<") |"
	echo
	echo "Notes: the kernel destroys namespaces asynchronously: \"down\" is what the"
	echo "command waits for (umount + unlink per namespace, for all contenders but"
	echo "Mininet, which deletes its links one by one), \"kernel tail\" is the time"
	echo "the kernel then still needs (measured with sentinel namespaces, see"
	echo "bench/nscost.c; with nothing to destroy it reads $(fmt "$tail0") here)."
	echo "\"busy after up\" is how long, once the lab was up and checked, the"
	echo "kernel's share of the CPUs (system + irq + softirq) stayed above what it"
	echo "was before the run (+5 points, at least 10 %), at most ${BENCH_QUIET_MAX} s: with"
	echo "IPv6 on the lab links this is the multicast every new link sends, which"
	echo "the bridge floods to every port (O(N²) packets). The ip -batch peer runs"
	echo "its per-host step in parallel on all CPUs (see bench/ipbatch.sh)."
	if [ "$runfs" != tmpfs ]; then
		echo
		echo "/run/netns is on $runfs here, not tmpfs: the empty file each named"
		echo "namespace is mounted on is a disk filesystem's inode (\"mount-point"
		echo "files\" above); on ext4 without a journal its allocation slows down"
		echo "while many inodes were freed in the last minutes (recently_deleted())."
	fi
	if [ $labo_ok = 1 ]; then
		for n in $BENCH_N; do
			[ -s "$LOG/labo-$n.up.log" ] || continue
			echo
			echo "Last \`labo up\` output, N=$n:"
			echo
			echo '```'
			cat "$LOG/labo-$n.up.log"
			echo '```'
		done
	fi
} >"$OUT/results.md"

cat "$OUT/results.md"
say "report: build/bench/results.md, runs: build/bench/runs.csv"
[ $labo_ok = 1 ] || [ "$BENCH_SKIP_LABO" = 1 ] || failed=1
exit $failed
