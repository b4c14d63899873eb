#!/bin/bash
# ipbatch.sh: the "ip -batch" peer of labo's benchmark. It builds the same lab
# as `labo up` (see bench/gen-lab.sh) with iproute2 alone, and removes it.
#
#   ipbatch.sh prepare N PREFIX DIR   write the batch files into DIR (untimed)
#   ipbatch.sh up DIR                 build the lab         (run.sh times this)
#   ipbatch.sh down DIR               remove it             (run.sh times this)
#   ipbatch.sh N                      all of it once, timed, checked, cleaned
#
# The lab, as labo makes it: a named namespace PREFIX (the "switch") with lo
# up and a bridge "lan" (up, mtu 1500); named namespaces PREFIX.h1 .. PREFIX.hN; per
# host a veth whose switch end hI-p is enslaved to the bridge and up and whose
# other end is eth0 in the host, up, with address 10.200.x.y/16 (the i-th
# address of 10.200.0.0/16); lo up in every host. No veth from the root
# namespace: the bench labs have no root address, so that no 10.200/16 route
# ever appears in the machine's own namespace.
#
# How it is done, the fastest correct way measured on the 2-core target
# (IPB_HOSTS=seq|xargs|par|nsenter1|nsenter|auto selects the host step, to
# re-measure; IPB_IPV6=on|off, see below):
#   1. one `ip -batch` in the root namespace: `netns add` for all N+1
#      namespaces (must run in the root mount namespace: `ip -n` moves ip into
#      a private mount namespace where new /run/netns mounts would not show);
#   2. one `ip -n PREFIX -batch`: the bridge, then per host ONE request
#      `link add hI-p master lan up type veth peer name eth0 netns PREFIX.hI`,
#      which creates the pair with its ends already in place, enslaved and up
#      (`peer ... up` is refused by this kernel with ENOTCONN: the peer cannot
#      be opened before the pair is linked, so eth0 goes up in step 3);
#   3. per host one `ip -batch FILE` inside the host's namespace (address,
#      eth0 up, lo up). `-n` is a global option, not available per batch
#      line, and an address can only be set from inside the namespace (it
#      does not survive a move between namespaces), so this is N ip processes.
#      Ways measured on the 2-core target, IPv6 on, lab up in seconds,
#      medians of interleaved runs on a machine other sessions kept busy:
#                                                  N=100       N=1000
#        seq       bash loop: ip -n NS -batch F    0.36        11.8
#        xargs     xargs -L1 ip -n NS -batch F     0.32        13.2
#        par       the same, xargs -P nproc        0.27 0.24   11.7  9.8
#        nsenter1  xargs -L1 nsenter --net=NS ip -batch F
#                                                  0.37        10.8
#        nsenter   the same, xargs -P nproc        0.28 0.26    9.9  5.6
#      (first column: all five, 5 and 3 runs each; second: par against
#      nsenter alone, 8 and 4 runs each, a quieter moment.)
#      `ip -n` (like `ip netns exec`) also unshares a mount namespace and
#      remounts /sys, and copying a mount table that holds one bind mount per
#      namespace costs O(N) each time, O(N^2) in all; nsenter only enters the
#      network namespace. The default, auto, takes the fastest measured:
#      par below 500 hosts, nsenter from 500 up.
# Down: one `ip -batch` of `netns del` (umount + unlink per namespace, the
# same as labo down); the kernel destroys the veths when the switch
# namespace goes. The batch files are written beforehand, untimed, so the
# peer's time is iproute2's time alone.
set -eu
IPB_HOSTS=${IPB_HOSTS:-auto}
IPB_IPV6=${IPB_IPV6:-on}
here=$(cd "$(dirname "$0")" && pwd)

addr_of() { echo "10.200.$(($1 / 256)).$(($1 % 256))"; }

prepare() { # N PREFIX DIR
	local n=$1 p=$2 d=$3 i
	[ "$n" -ge 1 ] && [ "$n" -le 65534 ] || { echo "ipbatch: N must be 1..65534" >&2; return 2; }
	mkdir -p "$d/hosts"
	echo "$p" >"$d/prefix"
	echo "$n" >"$d/n"
	{
		echo "netns add $p"
		for ((i = 1; i <= n; i++)); do echo "netns add $p.h$i"; done
	} >"$d/root.batch"
	# IPB_IPV6=off: no IPv6 link-local address (hence no DAD, MLD or router
	# solicitation multicast) on any lab link; "addrgenmode" is refused at
	# creation (EAFNOSUPPORT) and must precede "up", so it costs extra lines.
	local g6="" h6=""
	if [ "$IPB_IPV6" = off ]; then
		g6=" addrgenmode none"
		h6="link set eth0 addrgenmode none"$'\n'
	fi
	{
		echo "link set lo up"
		if [ -n "$g6" ]; then
			echo "link add lan mtu 1500 type bridge"
			echo "link set lan$g6"
			echo "link set lan up"
		else
			echo "link add lan mtu 1500 up type bridge"
		fi
		for ((i = 1; i <= n; i++)); do
			if [ -n "$g6" ]; then
				echo "link add h$i-p master lan type veth peer name eth0 netns $p.h$i"
				echo "link set h$i-p$g6"
				echo "link set h$i-p up"
			else
				echo "link add h$i-p master lan up type veth peer name eth0 netns $p.h$i"
			fi
		done
	} >"$d/switch.batch"
	: >"$d/hosts.args"
	: >"$d/hosts.nsenter"
	for ((i = 1; i <= n; i++)); do
		printf '%saddr add %s/16 dev eth0\nlink set eth0 up\nlink set lo up\n' \
			"$h6" "$(addr_of "$i")" >"$d/hosts/$i"
		echo "-n $p.h$i -batch $d/hosts/$i" >>"$d/hosts.args"
		echo "--net=/run/netns/$p.h$i ip -batch $d/hosts/$i" >>"$d/hosts.nsenter"
	done
	{
		for ((i = 1; i <= n; i++)); do echo "netns del $p.h$i"; done
		echo "netns del $p"
	} >"$d/down.batch"
}

up() { # DIR
	local d=$1 p hosts=$IPB_HOSTS
	p=$(<"$d/prefix")
	if [ "$hosts" = auto ]; then
		hosts=par
		[ "$(<"$d/n")" -ge 500 ] && hosts=nsenter
	fi
	ip -batch "$d/root.batch"
	ip -n "$p" -batch "$d/switch.batch"
	case $hosts in
	seq)
		local a
		while read -r -a a; do ip "${a[@]}"; done <"$d/hosts.args" ;;
	xargs)
		xargs -L1 ip <"$d/hosts.args" ;;
	par)
		xargs -P "$(nproc)" -L1 ip <"$d/hosts.args" ;;
	nsenter)
		xargs -P "$(nproc)" -L1 nsenter <"$d/hosts.nsenter" ;;
	nsenter1)
		xargs -L1 nsenter <"$d/hosts.nsenter" ;;
	*)
		echo "ipbatch: IPB_HOSTS must be auto, seq, xargs, par, nsenter or nsenter1" >&2; return 2 ;;
	esac
}

down() { # DIR
	ip -batch "$1/down.batch"
}

# Remove whatever is left of a run (after a failure), quietly.
scrub() { # PREFIX
	local f
	for f in /run/netns/"$1" /run/netns/"$1".h*; do
		[ -e "$f" ] && ip netns del "${f#/run/netns/}" 2>/dev/null
	done
	return 0
}

now() { # monotonic seconds
	local s
	read -r s _ </proc/uptime
	# /proc/uptime is CLOCK_BOOTTIME with 10 ms steps: fine only for the
	# standalone run; run.sh times with build/bench/timeit (CLOCK_MONOTONIC).
	echo "$s"
}

standalone() { # N
	local n=$1 t0 t1 t2 t3 rc=0
	[ "$(id -u)" -eq 0 ] || { echo "ipbatch: run as root" >&2; return 1; }
	p="ipb$$" # global: the EXIT trap uses p and d
	d=$(mktemp -d)
	trap 'scrub "$p"; rm -rf "$d"' EXIT
	prepare "$n" "$p" "$d"
	if [ -x "$here/../build/bench/timeit" ]; then
		"$here/../build/bench/timeit" -o "$d/t.up" "$0" up "$d" || rc=1
		[ $rc -eq 0 ] && { "$here/check-lab.sh" "$p" "$n" || rc=1; }
		"$here/../build/bench/timeit" -o "$d/t.down" "$0" down "$d" || rc=1
		t1=$(<"$d/t.up") t3=$(<"$d/t.down")
	else
		t0=$(now); up "$d" || rc=1; t1=$(echo "$(now) - $t0" | bc)
		[ $rc -eq 0 ] && { "$here/check-lab.sh" "$p" "$n" || rc=1; }
		t2=$(now); down "$d" || rc=1; t3=$(echo "$(now) - $t2" | bc)
	fi
	echo "ipbatch N=$n hosts=$IPB_HOSTS ipv6=$IPB_IPV6 up=${t1}s down=${t3}s rc=$rc"
	return $rc
}

case ${1:-} in
prepare) shift; prepare "$@" ;;
up) up "$2" ;;
down) down "$2" ;;
[0-9]*) standalone "$1" ;;
*) echo "usage: ipbatch.sh prepare N PREFIX DIR | up DIR | down DIR | N" >&2; exit 2 ;;
esac
