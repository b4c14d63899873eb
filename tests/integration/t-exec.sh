#!/bin/bash
# `labo exec`: exit status, stdin, stdout and stderr pass through; the host
# sees its own /sys/class/net, keeps the cgroup mounts, resolves the lab's
# host names; unknown hosts and commands give the documented statuses; `down`
# kills what still runs in the lab.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd getent libc-bin

new_lab LAB
F=$(lab_file "$LAB" <<EOF
lab: $LAB
segments:
  wan:
    subnet: 198.51.100.32/28
hosts:
  h1:
    links:
      - segment: wan
        address: 198.51.100.34
  h2:
    links:
      - segment: wan
        address: 198.51.100.35
EOF
)
up_lab "$F" "$LAB"
X=("$LABO" exec -l "$LAB")

# exit status
run "${X[@]}" h1 -- sh -c 'exit 7'
expect_rc 7 "exec of sh -c 'exit 7' passes the command's status through"
run "${X[@]}" h1 -- true
expect_rc 0 "exec of true"
run "${X[@]}" h1 -- sh -c 'kill -TERM $$'
expect_rc 143 "a command killed by SIGTERM gives 128+15"

# stdin, stdout, stderr
printf 'hello\nworld\n' >"$TMP/in"
run_in "$TMP/in" "${X[@]}" h1 -- cat
expect_rc 0 "exec cat with stdin" && assert_eq $'hello\nworld' "$OUT" "stdin reaches the command, its stdout comes back"
run "${X[@]}" h1 -- sh -c 'echo to-stdout; echo to-stderr >&2'
expect_rc 0 "exec with output on both streams"
assert_eq "to-stdout" "$OUT" "stdout carries only the command's stdout"
assert_eq "to-stderr" "$ERR" "stderr carries the command's stderr"

# the process is in the host's network namespace
want_ino=$(stat -L -c %i "/run/netns/labo.$LAB.h1")
run "${X[@]}" h1 -- readlink /proc/self/ns/net
assert_eq "net:[$want_ino]" "$OUT" "the command runs in namespace labo.$LAB.h1"

# a fresh sysfs: only the host's interfaces
run "${X[@]}" h1 -- ls /sys/class/net
expect_rc 0 "ls /sys/class/net in h1" && assert_eq $'eth0\nlo' "$OUT" "/sys/class/net in h1 lists only eth0 and lo"
run "${X[@]}" h1 -- cat /sys/class/net/eth0/mtu
assert_eq "1500" "$OUT" "h1's sysfs shows its own eth0 (mtu 1500)"

# the cgroup mounts survive the new sysfs
want=$(ls /sys/fs/cgroup)
[ -n "$want" ] || fail "/sys/fs/cgroup is empty on this machine: the cgroup check would prove nothing"
run "${X[@]}" h1 -- ls /sys/fs/cgroup
expect_rc 0 "ls /sys/fs/cgroup in h1" && assert_eq "$want" "$OUT" "/sys/fs/cgroup in h1 holds the machine's cgroup hierarchies"
want=$(awk '$9 ~ /^cgroup2?$/ { print $5 }' /proc/self/mountinfo | sort)
run "${X[@]}" h1 -- sh -c "awk '\$9 ~ /^cgroup2?\$/ { print \$5 }' /proc/self/mountinfo | sort"
assert_eq "$want" "$OUT" "h1 has the same cgroup mount points as the machine"

# names: the lab's /etc/hosts
run "${X[@]}" h1 -- getent hosts h2
expect_rc 0 "getent hosts h2 in h1" && assert_eq "198.51.100.35" "$(awk '{ print $1 }' <<<"$OUT")" "h2 resolves to its address in h1"
run "${X[@]}" h2 -- getent hosts h1
assert_eq "198.51.100.34" "$(awk '{ print $1 }' <<<"$OUT")" "h1 resolves to its address in h2"
run "${X[@]}" h1 -- ping -n -c 1 -W 2 h2
expect_rc 0 "h1 pings h2 by name"
run "${X[@]}" h1 -- hostname
assert_eq "h1" "$OUT" "the hostname in h1 is h1"
assert_eq "$(cat /proc/sys/kernel/hostname)" "$(hostname)" "the machine's hostname is untouched"

# without -l: the only lab up with a host h1 (other labs may be up)
run "$LABO" exec h2 -- hostname
if [ "$RC" -eq 0 ]; then
	assert_eq "h2" "$OUT" "exec without -l finds the lab holding h2"
elif [ "$RC" -eq 2 ]; then
	assert_contains "$ERR" "-l LAB" "exec without -l, several labs have h2: asks for -l"
else
	expect_rc 0 "exec without -l"
fi

# unknown hosts and labs
run "${X[@]}" nosuchhost -- true
expect_rc 4 "exec in an unknown host" && assert_contains "$ERR" "nosuchhost" "the message names the host"
run "$LABO" exec -l "${LAB}x" h1 -- true
expect_rc 4 "exec in an unknown lab"
run "$LABO" exec nosuchhost-$LAB -- true
expect_rc 4 "exec without -l in a host no lab has"

# commands that cannot run
run "${X[@]}" h1 -- no-such-command-$LAB
expect_rc 127 "exec of a command not found"
assert_contains "$ERR" "no-such-command-$LAB" "the message names the command"
run "${X[@]}" h1 -- /nonexistent/$LAB
expect_rc 127 "exec of an absent path"
printf 'echo should not run\n' >"$TMP/not-executable"
chmod 644 "$TMP/not-executable"
run "${X[@]}" h1 -- "$TMP/not-executable"
expect_rc 126 "exec of a file that is not executable"
run "${X[@]}" h1
expect_rc 2 "exec without a command (usage)"

# what runs in the lab dies with it
"$LABO" exec -l "$LAB" h2 -- sleep 300 </dev/null >/dev/null 2>&1 &
sleeper=$!
for _ in $(seq 100); do
	[ "$(readlink "/proc/$sleeper/ns/net" 2>/dev/null)" = "net:[$(stat -L -c %i "/run/netns/labo.$LAB.h2")]" ] && break
	sleep 0.02
done
assert_eq "net:[$(stat -L -c %i "/run/netns/labo.$LAB.h2")]" "$(readlink "/proc/$sleeper/ns/net")" "a background sleep runs in h2"
run "$LABO" down "$LAB"
expect_rc 0 "down with a process running in h2"
assert_match "$OUT" "processes +[0-9.]+ ms +1 killed" "down kills the process running in h2"
if kill -0 "$sleeper" 2>/dev/null; then
	fail "the sleep in h2 (pid $sleeper) survived down"
else
	ok "the sleep in h2 is gone"
fi
wait "$sleeper" 2>/dev/null
assert_lab_gone "$LAB"

finish
