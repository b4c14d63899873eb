/* The process runtime's ZooKeeper: a node run as a process of its host,
 * without Docker, from the machine's own Debian packages (zookeeper, a
 * JRE, slf4j-simple for its log).
 *
 * The server runs in the host's network and UTS namespaces (hostname: the
 * node's name) and in a mount namespace of its own where the host's view
 * is kept (fresh sysfs, the lab's /etc/hosts, which names every node) and
 * two paths are the node's: its configuration directory over
 * /etc/zookeeper/conf and its data directory over /var/lib/zookeeper, the
 * places Debian's package uses. It runs as the `zookeeper` user the
 * package creates (or nobody), with every capability dropped (bounding,
 * ambient, inheritable, permitted, effective) and no_new_privs.
 *
 * Paths: $LABO_RUN_DIR/<lab>/n<index>/{zoo.cfg,zookeeper.log,pid}
 *        data /var/lib/labo/<lab>/_data/<node> (as for the Docker runtime,
 *        so `down --keep-data` data resumes under either) */
#ifndef LABO_ZKPROC_H
#define LABO_ZKPROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "labo/util/error.h"
#include "labo/model/lab.h"

struct labo_zkproc_paths
{
  char *dir;     /* $LABO_RUN_DIR/<lab>/n<index> */
  char *cfg;     /* <dir>/zoo.cfg */
  char *log;     /* <dir>/zookeeper.log */
  char *pidfile; /* <dir>/pid: "<pid> <start time in clock ticks>" */
  char *data;    /* /var/lib/labo/<lab>/_data/<node> */
};
void labo_zkproc_paths (const char *lab, size_t index, const char *node,
                        struct labo_zkproc_paths *p);
void labo_zkproc_paths_free (struct labo_zkproc_paths *p);

/* Can this machine run the process runtime? If not, *why says what to
 * install (caller frees). */
bool labo_zkproc_available (char **why);

/* In a child about to run node's process (any kind's): its log on
 * stdout and stderr, /dev/null on stdin, a session of its own, the host's
 * namespaces (a mount namespace of its own, labo_host_enter) and the
 * node's name as hostname. */
int labo_nodeproc_enter (const struct labo_lab *lab, const struct labo_node *node,
                         const struct labo_zkproc_paths *p, labo_error_t *err);

/* After the fork of a node's process (pid): "<pid> <start>" in its pid
 * file. Returns pid, or -1 (the process killed and reaped: one that
 * nobody could find again is not started). */
pid_t labo_nodeproc_record (const struct labo_zkproc_paths *p, pid_t pid, labo_error_t *err);

/* Writes the node's configuration and myid (unless kept data has one),
 * gives the data directory to the service user, and forks the server.
 * Records "<pid> <start>" in the pid file. Returns the pid (a child of the
 * caller), or -1. */
pid_t labo_zkproc_start (const struct labo_lab *lab, size_t node, labo_error_t *err);

/* The pid of the node's server if the pid file names a live process that
 * is that server (same start time), else 0. */
pid_t labo_zkproc_running (const char *lab, size_t index, const char *node);


#endif
