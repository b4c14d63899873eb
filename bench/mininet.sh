#!/bin/bash
# mininet.sh N [OUTDIR]
#
# The Mininet peer of labo's benchmark: runs, once,
#   mn --topo single,N --switch lxbr --controller none --test none
# (Mininet 2.3 from Debian, with bridge-utils), which builds N hosts on one
# Linux bridge and tears them down again in the same process, and times it
# with build/bench/timeit (CLOCK_MONOTONIC). Mininet's own log lines are
# time-stamped as they come, which splits the run into
#   up   = start of the process .. its "*** Stopping" line
#   down = that line .. exit of the process
# Prints "mininet N=.. up=.. down=.. total=.."; with OUTDIR, also writes
# OUTDIR/up, OUTDIR/down, OUTDIR/total (seconds) and OUTDIR/mn.log.
#
# Safety, as this runs on a shared machine:
#  * `mn -c` is never run. Its cleanup kills processes by broad names
#    (killall controller ... ping ..., pkill -f mininet:), deletes every OVS
#    bridge and every link named like "*-ethN", and removes /tmp/*.log and
#    /tmp/*.out. /usr/bin/mn also calls that cleanup by itself when it hits an
#    exception or Ctrl-C, so mn is run through a small Python wrapper that
#    replaces mininet.clean.cleanup with a refusal before running /usr/bin/mn
#    unchanged (the successful path never calls it, so the timed work is the
#    same). What a failed run leaves is removed here, narrowly: the bridge s1
#    and links s1-ethI / hI-eth0 that did not exist before, and the
#    "mininet:hI"/"mininet:s1" shells by process id.
#  * Mininet raises a few system-wide sysctls (fixLimits: fs.file-max,
#    net.core.*mem_max, tcp_rmem/wmem, netdev_max_backlog, neighbour gc
#    thresholds, route max_size, kernel.pty.max): their values are saved
#    before and restored after.
#  * It refuses to start if a Mininet is already running or its link names
#    are taken.
# Mininet's bridge s1 lives in the root namespace (lxbr), its hosts in
# unnamed namespaces held by a shell each; no address or route is added to
# the root namespace (hosts get 10.0.0.0/8 addresses inside their own
# namespaces only) and --test none sends no traffic.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
timeit=${TIMEIT:-$root/build/bench/timeit}
n=${1:?usage: mininet.sh N [OUTDIR]}
out=${2:-}

die() { echo "mininet.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root"
command -v mn >/dev/null || die "mn not found: apt-get install mininet bridge-utils"
command -v brctl >/dev/null || die "brctl not found: apt-get install bridge-utils"
[ -x "$timeit" ] || die "$timeit missing: build it with bench/run.sh (or cc -O2 -o $timeit bench/timeit.c)"
case $n in '' | *[!0-9]*) die "N must be a number" ;; esac

mn_procs() { pgrep -f '^bash --norc --noediting -is mininet:' || true; }
mn_links() { ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' |
	grep -E '^(s1|s1-eth[0-9]+|h[0-9]+-eth[0-9]+)$' || true; }

[ -z "$(mn_procs)" ] || die "a Mininet is already running (mininet: shells exist); not touching it"
[ -z "$(mn_links)" ] || die "links named like Mininet's already exist: $(mn_links | head -3 | tr '\n' ' ')"

sysctls="fs.file-max net.core.wmem_max net.core.rmem_max net.ipv4.tcp_rmem
net.ipv4.tcp_wmem net.core.netdev_max_backlog net.ipv4.neigh.default.gc_thresh1
net.ipv4.neigh.default.gc_thresh2 net.ipv4.neigh.default.gc_thresh3
net.ipv4.route.max_size kernel.pty.max"
declare -A saved
for k in $sysctls; do saved[$k]=$(sysctl -n "$k" 2>/dev/null) || true; done

work=$(mktemp -d)
tpid=
cleanup() {
	local p l i
	# mn itself first (the child of our timeit), if it is still running
	if [ -n "$tpid" ]; then
		for p in $(pgrep -P "$tpid"); do kill -TERM "$p" 2>/dev/null; done
		for ((i = 0; i < 50; i++)); do
			kill -0 "$tpid" 2>/dev/null || break
			sleep 0.1
		done
		for p in $(pgrep -P "$tpid"); do kill -KILL "$p" 2>/dev/null; done
	fi
	for p in $(mn_procs); do kill -9 "$p" 2>/dev/null; done
	for l in $(mn_links); do ip link del "$l" 2>/dev/null; done
	for k in $sysctls; do
		[ -n "${saved[$k]}" ] && [ "$(sysctl -n "$k")" != "${saved[$k]}" ] &&
			sysctl -q -w "$k=${saved[$k]}"
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The interpreter mn names in its "#!" line (another python3 may come first
# in PATH, without Debian's mininet module).
mnbin=$(command -v mn)
py=$(head -1 "$mnbin" | sed -n 's/^#! *\([^ ]*\).*/\1/p')
[ -x "$py" ] || die "cannot find the interpreter of $mnbin"
wrapper='
import sys, runpy
import mininet.clean
def refuse(*args, **kwargs):
    sys.stderr.write("mininet.sh: mn asked for its broad cleanup (mn -c): refused\n")
mininet.clean.cleanup = refuse
mininet.clean.Cleanup.cleanup = classmethod(lambda cls: refuse())
sys.argv = ["mn"] + sys.argv[1:]  # then argv[1] is the path of mn
runpy.run_path(sys.argv.pop(1), run_name="__main__")
'
# In the background, so that a signal reaches our trap at once and the
# trap knows which process is mn (the child of timeit $tpid).
PYTHONUNBUFFERED=1 "$timeit" -l -o "$work/total" \
	"$py" -c "$wrapper" "$mnbin" --topo "single,$n" --switch lxbr --controller none --test none \
	>"$work/mn.log" 2>&1 </dev/null &
tpid=$!
wait "$tpid"
rc=$?
tpid=
[ -n "$out" ] && mkdir -p "$out" && cp "$work/mn.log" "$out/mn.log"
if [ $rc -ne 0 ] || ! grep -q '\*\*\* Done' "$work/mn.log" ||
	grep -qE 'Caught exception|refused' "$work/mn.log"; then
	tail -20 "$work/mn.log" >&2
	die "mn failed (rc=$rc)"
fi
total=$(<"$work/total")
up=$(awk '/\*\*\* Stopping/ { print $1; exit }' "$work/mn.log")
[ -n "$up" ] || die "no '*** Stopping' line in mn's output"
down=$(awk -v t="$total" -v u="$up" 'BEGIN { printf "%.6f", t - u }')
left=$( (mn_procs; mn_links) | tr '\n' ' ')
[ -z "$left" ] || die "mn left behind: $left"
if [ -n "$out" ]; then
	echo "$up" >"$out/up"
	echo "$down" >"$out/down"
	echo "$total" >"$out/total"
fi
echo "mininet N=$n up=${up}s down=${down}s total=${total}s"
