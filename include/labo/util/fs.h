/* File operations that labo does as root on trees that less-privileged
 * processes can write: a node's data directory (ZooKeeper's user owns it,
 * a container's root writes through its bind mount), and the run and state
 * directories that `down` removes.
 *
 * The rule (after bubblewrap and systemd's chase): never resolve a path
 * through a component another user could have replaced. Each function
 * opens with O_NOFOLLOW (and openat2's RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
 * | RESOLVE_NO_XDEV where the kernel has it, component by component where
 * not) and acts on the descriptor: fchown, fstat, unlinkat. A link is
 * removed or refused, never followed; a mount point is never crossed.
 *
 * Pure of labo's model: paths in, descriptors and errors out. */
#ifndef LABO_FS_H
#define LABO_FS_H

#include <stdbool.h>
#include <sys/types.h>

#include "labo/util/error.h"

/* A name that may become one component of a path: not empty, not "." or
 * "..", no '/', at most NAME_MAX bytes. */
bool labo_fs_component_ok (const char *name);

/* Is `path` a safe home for root's state (LABO_RUN_DIR, LABO_STATE_DIR)?
 * Absolute, canonical (no empty, "." or ".." component), and every
 * component that exists is a directory, not a link, owned by root and
 * writable by no one else (a parent may be sticky and world-writable, like
 * /tmp: its other users cannot remove or replace root's entry in it).
 * `what` names the path in the error ("LABO_RUN_DIR"). */
int labo_fs_check_secure (const char *what, const char *path, labo_error_t *err);

/* Opens `rel` (a relative path) beneath the directory dirfd: never through
 * a link, never out of dirfd by "..", never across a mount point (errno
 * ELOOP, EXDEV). flags as openat's; O_NOFOLLOW and O_CLOEXEC are added. */
int labo_fs_openat (int dirfd, const char *rel, int flags, mode_t mode);

/* mkdir -p of an absolute path that root owns, component by component,
 * refusing a link anywhere; new directories get `mode`. Returns a
 * descriptor on the last directory (O_DIRECTORY), or -1 with err. */
int labo_fs_mkdir (const char *path, mode_t mode, labo_error_t *err);

/* Removes base/name and everything beneath it, on descriptors: a link is
 * removed (not its target), a mount point is left (and makes this fail),
 * nothing outside base/name is touched. `name` must pass
 * labo_fs_component_ok; base is opened with O_NOFOLLOW. Returns 0 if
 * base/name is gone (or was never there), else -1 with err. */
int labo_fs_remove_tree (const char *base, const char *name, labo_error_t *err);

/* Gives the directory dirfd and everything beneath it to uid:gid, on
 * descriptors: links are changed themselves, never their targets; mounts
 * are not crossed; a file with a second name (a hard link: it could be one
 * of the machine's files) is refused. The top directory is changed last,
 * and only if all beneath it was: its owner says the whole tree is done. */
int labo_fs_chown_tree (int dirfd, uid_t uid, gid_t gid, labo_error_t *err);

/* Opens PATH to write an output into (a capture, a history, a plot), as
 * root may do it in a directory others can write to: never through a
 * symbolic link (O_NOFOLLOW), only a regular file (emptied, not replaced:
 * a file with other hard links is refused) or a FIFO (`mkfifo`, for a
 * reader such as Wireshark). A new file is made 0644. `what` names the
 * output in the errors ("a capture"). Returns the descriptor (O_CLOEXEC)
 * or -1. */
int labo_fs_open_output (const char *path, const char *what, labo_error_t *err);

/* What labo_fs_open_output would refuse, told without opening or making
 * anything (before the work whose output it is begins); a path that does
 * not exist yet needs a directory root may write in. */
int labo_fs_check_output (const char *path, const char *what, labo_error_t *err);

/* Opens base/name for appending (a log), creating it with mode: never
 * through a link at name. */
int labo_fs_open_log (const char *path, mode_t mode);

/* The descriptors labo was started with beyond 0, 1 and 2 (a shell's
 * `exec 3>`, flock(1)'s lock, a pipe of a caller's): called once at start,
 * marks them close-on-exec, so that no daemon labo starts (dockerd, a
 * ZooKeeper) holds them for its whole life, and remembers them. A file
 * named as /dev/fd/N still opens, as a new descriptor. */
void labo_fds_inherited_mark (void);

/* Closes the descriptors remembered above: for the supervisor, which
 * outlives the command that started it and never execs. */
void labo_fds_inherited_close (void);

#endif
