#!/bin/bash
# check-lab.sh SWNS N [BRIDGE]
#
# Checks, outside any timing, that a benchmark lab really is up with the shape
# labo gives it: named namespaces SWNS (the "switch") and SWNS.h1 .. SWNS.hN,
# in SWNS a bridge BRIDGE (default "lan") up, mtu 1500, with exactly N ports,
# all up with carrier (which also proves every host's eth0 is up); and, in the
# first, a middle and the last host, eth0 carrying 10.200.x.y/16 (host i has
# the i-th address of 10.200.0.0/16, as bench/gen-lab.sh writes) and lo up.
# Exits non-zero with a message on the first mismatch.
set -u
sw=${1:?usage: check-lab.sh SWNS N [BRIDGE]}
n=${2:?usage: check-lab.sh SWNS N [BRIDGE]}
br=${3:-lan}

fail() { echo "check-lab: $sw: $*" >&2; exit 1; }

[ -e "/run/netns/$sw" ] || fail "no namespace /run/netns/$sw"
have=$(find /run/netns -maxdepth 1 -name "$sw.h*" | grep -cE "/$sw\.h[0-9]+$")
[ "$have" -eq "$n" ] || fail "$have host namespaces, expected $n"

brinfo=$(ip -n "$sw" -o link show dev "$br" 2>&1) || fail "no bridge $br: $brinfo"
case $brinfo in *"<"*UP*">"*"mtu 1500 "*) ;; *) fail "bridge not up with mtu 1500: $brinfo" ;; esac
# (stderr: `ip link show` looks up the names of the peers' namespaces and
# may complain about other users' namespaces being deleted meanwhile)
ports=$(ip -n "$sw" -o link show master "$br" 2>/dev/null)
np=$(printf '%s\n' "$ports" | grep -c .)
[ "$np" -eq "$n" ] || fail "$np bridge ports, expected $n"
bad=$(printf '%s\n' "$ports" | grep -v 'LOWER_UP' | grep -c .)
[ "$bad" -eq 0 ] || fail "$bad bridge ports without carrier (peer eth0 down?)"

addr_of() { # the i-th address of 10.200.0.0/16
	echo "10.200.$(($1 / 256)).$(($1 % 256))"
}
for i in $(printf '%s\n' 1 $(((n + 1) / 2)) "$n" | sort -un); do
	h="$sw.h$i"
	a=$(ip -n "$h" -o -4 addr show dev eth0 2>&1) || fail "$h: $a"
	case $a in *" $(addr_of "$i")/16 "*) ;; *) fail "$h: eth0 has no $(addr_of "$i")/16: $a" ;; esac
	l=$(ip -n "$h" -o link show dev eth0 2>/dev/null)
	case $l in *"<"*",UP"*">"*) ;; *) fail "$h: eth0 not up: $l" ;; esac
	l=$(ip -n "$h" -o link show dev lo)
	case $l in *"<"*",UP"*">"*) ;; *) fail "$h: lo not up: $l" ;; esac
done
exit 0
