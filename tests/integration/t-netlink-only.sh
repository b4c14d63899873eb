#!/bin/bash
# labo speaks netlink itself: no source file runs ip, tc, brctl, nft,
# iptables, bridge (or a shell to run them), nor the docker CLI (the Engine
# API is spoken over the socket), and none calls system(), popen() or
# posix_spawn(). The one program labo runs by name is dockerd: a real Docker
# daemon per emulated host is the point. The other fixed exec is labo itself,
# through /proc/self/exe (the link emulator runs as `labo __linkemu`). Two
# programs that are no network tool are run by a path of their own: the
# machine's ssh-keygen (the nodes' SSH keys, zk/sshkeys.c) and an image's
# recipe. Two shells are allowed, and neither is the machine's: `labo
# verify` runs its script with the node's own sh, inside the node's
# namespaces (labo_pid_run, as `labo exec NODE` does), src/engine/verify.c;
# and an exported node's TCP health check is bash's /dev/tcp in the node's
# own image, run by the servers' Docker, never by labo (src/kind/health.c).
# The checker is first shown to catch each kind of
# offence on planted samples, so that a pass means something.
. "$(dirname "$0")/lib.sh"
need_cmd perl perl

# check_tree DIR: prints one line "file:line: what" per offence.
cat >"$TMP/check.pl" <<'PERL'
use strict;
use warnings;
my $tools = qr{(?:ip|tc|brctl|nft|iptables|ip6tables|ebtables|arptables|iptables-restore|iptables-save|ip6tables-restore|nft-restore|bridge|sysctl|modprobe|ethtool)};
for my $file (@ARGV) {
    open my $fh, '<', $file or die "$file: $!";
    local $/;
    my $src = <$fh>;
    close $fh;
    # Blank out comments, keeping newlines (so line numbers stay right) and
    # string and character literals intact.
    $src =~ s{("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')|/\*(.*?)\*/|//[^\n]*}{
        defined $1 ? $1 : defined $2 ? ("\n" x ($2 =~ tr/\n//)) : ""
    }gse;
    my @lines = split /\n/, $src, -1;
    for my $i (0 .. $#lines) {
        my $l = $lines[$i];
        my $at = "$file:" . ($i + 1);
        print "$at: calls $1()\n"
            while $l =~ /\b(system|popen|posix_spawnp?|wordexp)\s*\(/g;
        # exec*() with a literal anywhere in its arguments: a fixed program
        if ($l =~ /\b(exec(?:l|lp|le|v|vp|ve|vpe|veat)|fexecve)\s*\(([^;]*)/) {
            my ($fn, $args) = ($1, $2);
            print "$at: $fn() of a fixed program: $args\n"
                if $args =~ /"/ && $args !~ /^\s*"(?:dockerd|\/proc\/self\/exe)"\s*,/;
        }
        while ($l =~ /"((?:\\.|[^"\\])*)"/g) {
            my $s = $1;
            # a path to one of the tools, or a shell
            print "$at: names the program \"$s\"\n"
                if $s =~ m{(?:^|\s)(?:/usr)?/s?bin/(?:$tools|sh|bash|dash)(?:\s|$)};
            # a command line: the tool, a space, a subcommand or an option
            print "$at: a command line \"$s\"\n"
                if $s =~ m{^(?:sudo\s+)?$tools\s+(?:-|netns|link|addr|address|route|rule|neigh|qdisc|class|filter|add|del|show|fdb|vlan|list|flush|-w)\b};
            # the bare name of one of the tools (not "bridge": the netlink
            # kind of a bridge device is exactly that word)
            print "$at: the bare program name \"$s\"\n"
                if $s =~ m{^(?:ip|tc|brctl|nft|iptables|ip6tables|ebtables|iptables-restore)$};
            # the docker CLI
            print "$at: a docker command line \"$s\"\n"
                if $s =~ m{^(?:/usr/s?bin/)?docker\s+(?:-H|run|ps|exec|swarm|network|node|image|import|create|start|info|container)\b};
            # a shell running a command (but the node's own, in verify)
            print "$at: runs a shell: \"$s\"\n"
                if $s eq "-c" && $file !~ m{(?:^|/)src/(?:engine/verify|kind/health)\.c$};
        }
    }
}
PERL
check_tree() { find "$@" -type f \( -name '*.c' -o -name '*.h' -o -name '*.S' \) -print0 | sort -z | xargs -0 -r perl "$TMP/check.pl"; }

# ---- the checker catches each kind of offence ----
mkdir -p "$TMP/bad" "$TMP/good"
cat >"$TMP/bad/offences.c" <<'EOF'
#include <stdlib.h>
static void a (void) { system ("ip link add br0 type bridge"); }
static void b (void) { FILE *f = popen ("tc qdisc show", "r"); }
static void c (void) { execlp ("ip", "ip", "netns", "add", "x", NULL); }
static void d (void) { char *argv[] = { "brctl", "addbr", "x", NULL }; execvp (argv[0], argv); }
static void e (void) { execl ("/usr/sbin/nft", "nft", "list", "ruleset", (char *) NULL); }
static void f (void) { const char *cmd = "iptables -P FORWARD ACCEPT"; run (cmd); }
static void g (void) { char *v[] = { "/bin/sh", "-c", cmd, NULL }; execv (v[0], v); }
static void h (void) { posix_spawnp (&pid, "bridge", NULL, NULL, argv, environ); }
static void i (void) { const char *prog = "ip"; }
EOF
want_lines="2 3 4 5 6 7 8 9 10"
got=$(check_tree "$TMP/bad")
say "the checker on planted offences:"
printf '%s\n' "$got" | indent
for n in $want_lines; do
	if grep -q "^$TMP/bad/offences.c:$n: " <<<"$got"; then
		ok "the checker catches the offence on line $n"
	else
		fail "the checker misses the offence on line $n: $(sed -n "${n}p" "$TMP/bad/offences.c")"
	fi
done

cat >"$TMP/good/fine.c" <<'EOF'
/* Unlike `ip netns exec`, this keeps the cgroup mounts; no system("ip ...")
 * and no popen ("tc qdisc") here: it is a comment. */
// execlp ("ip", "ip", "link", NULL) in a line comment
static const char *kind = "bridge";
static void run_user_command (char **argv) { execvp (argv[0], argv); }
static void reexec_self (char **argv) { execv ("/proc/self/exe", argv); }
static const char *msg = "creating bridge %s in %s";
static const char *hint = "see `ip link show` for more";
EOF
got=$(check_tree "$TMP/good")
assert_eq "" "$got" "the checker passes comments, the \"bridge\" netlink kind, execvp of the user's argv, labo re-executing itself"

# ---- the real sources ----
got=$(check_tree "$REPO/src" "$REPO/include")
n_files=$(find "$REPO/src" "$REPO/include" -type f \( -name '*.c' -o -name '*.h' \) | wc -l)
[ "$n_files" -gt 0 ] || die "no sources found under $REPO/src"
assert_eq "" "$got" "no source file under src/ or include/ ($n_files files) runs a network tool, a shell, system(), popen() or posix_spawn()"

# ---- and the binary imports none of those functions ----
if command -v nm >/dev/null 2>&1; then
	for bin in "$LABO" "$REPO/labo"; do
		[ -x "$bin" ] || continue
		imp=$(nm -D --undefined-only "$bin" 2>/dev/null | awk '{ print $NF }' | sed 's/@.*//' |
			grep -xE 'system|popen|posix_spawnp?|wordexp|execl|execlp|execle')
		assert_eq "" "$imp" "$(basename "$bin") ($bin) imports none of system, popen, posix_spawn, execl*"
	done
fi

finish
