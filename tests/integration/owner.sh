# tests/integration/owner.sh: sourced by run.sh and lib.sh. A test run's
# directories say which process owns them, so that a later run can tell a
# directory (and the labs made from it) that a killed run left behind from
# one that a run still alive is using.
#
# The record is "PID STARTTIME" (STARTTIME: field 22 of /proc/PID/stat, in
# clock ticks since boot), so that a recycled pid is not taken for the owner.

_owner_start() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	set -- $s
	[ "$1" != Z ] || return 1 # a zombie has ended
	echo "${20}"
}

# owner_mark DIR PID: DIR is PID's.
owner_mark() { echo "$2 $(_owner_start "$2")" >"$1/.owner"; }

# owner_alive DIR: true while the process that marked DIR lives. A directory
# without a mark (one being made, or one of a run older than the mark) counts
# as alive when younger than a minute, as dead after.
owner_alive() {
	local pid start
	if ! read -r pid start 2>/dev/null <"$1/.owner"; then
		[ -n "$(find "$1" -maxdepth 0 -mmin -1 2>/dev/null)" ]
		return
	fi
	[ -n "$pid" ] && [ "$(_owner_start "$pid")" = "$start" ]
}
