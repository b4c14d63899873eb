/* The cgroup freezer, for `labo pause` of a node that is a process of its
 * host (the process runtime): a process that stops answering but keeps
 * its sockets, the classic way to fake a long GC pause. Not SIGSTOP: a
 * stopped process is seen as stopped (its parent gets SIGCHLD, `ps` says
 * T), a frozen one is simply not scheduled.
 *
 * Each paused node's process tree is moved into a cgroup of labo's own,
 * "labo-pause.<lab>/<node>" at the root of one hierarchy (the dash keeps
 * it apart from the hosts' "labo.<lab>.<host>", whatever a host is
 * named), and frozen there:
 *   - v2 (cgroup.freeze) where the machine has it: the unified hierarchy
 *     (/sys/fs/cgroup on a pure v2 machine, /sys/fs/cgroup/unified on a
 *     hybrid one). Preferred: a v2-frozen task still dies of SIGKILL, so
 *     `down`, a power-off and `labo kill` work on a paused node;
 *   - else v1 (/sys/fs/cgroup/freezer, freezer.state), where a frozen
 *     task ignores even SIGKILL until thawed: labo_freezer_release thaws
 *     before it kills.
 * LABO_FREEZER_V1 in the environment makes a freeze take v1 even where v2
 * could (tests: the path of a machine without cgroup.freeze).
 * Freezing returns once the kernel says FROZEN (v2: "frozen 1" in
 * cgroup.events; v1: freezer.state reads FROZEN), not when asked.
 * Thawing leaves the processes in the cgroup (moving them back would need
 * to know where they came from): `down` removes it with them.
 *
 * Names reaching paths are checked (a lab name, a hostname); the files
 * are opened under a directory descriptor with O_NOFOLLOW. */
#ifndef LABO_HOST_FREEZER_H
#define LABO_HOST_FREEZER_H

#include <stdbool.h>
#include <sys/types.h>

#include "labo/util/error.h"

enum labo_freezer_state
{
  LABO_FREEZER_UNKNOWN,
  LABO_FREEZER_THAWED,
  LABO_FREEZER_FREEZING, /* v1: asked, not every task stopped yet */
  LABO_FREEZER_FROZEN,
};

/* Pure: the state in a v1 freezer.state ("THAWED\n", "FREEZING\n",
 * "FROZEN\n") or a v2 cgroup.events ("populated 1\nfrozen 0\n": frozen 0
 * is THAWED, even while a freeze is under way). */
enum labo_freezer_state labo_freezer_state_parse (const char *text, bool v2);
const char *labo_freezer_state_name (enum labo_freezer_state s);

/* Moves pid and every descendant into lab's cgroup for node, and freezes
 * it, within timeout_ms. Returns the number of processes moved, or -1. */
int labo_freezer_freeze (const char *lab, const char *node, pid_t pid, int timeout_ms,
                         labo_error_t *err);
/* Thaws node's cgroup. Returns 1 if it was frozen, 0 if not (or has no
 * cgroup), -1. */
int labo_freezer_thaw (const char *lab, const char *node, labo_error_t *err);
/* node's cgroup state now (UNKNOWN when it has none). */
enum labo_freezer_state labo_freezer_state (const char *lab, const char *node);

/* `down`, also after a crash: every cgroup of the lab's, in either
 * hierarchy, thawed, its processes killed, removed. Idempotent. Returns
 * the number of processes killed, or -1. */
int labo_freezer_release (const char *lab, labo_error_t *err);

/* Thaws every v1 freezer cgroup at and under dir (Docker's paused
 * containers under a host's cgroup), so that SIGKILL reaches their tasks.
 * Returns how many were frozen. */
int labo_freezer_thaw_tree_v1 (const char *dir);

#endif
