/* A ZooKeeper node's data directory, the one both runtimes use:
 * $LABO_STATE_DIR (/var/lib/labo) /<lab>/_data/<node>, bound over the
 * container's /data (Docker runtime) or over /var/lib/zookeeper (process
 * runtime). It outlives the node: a restart, or `down --keep-data` then
 * `up`, finds every committed znode.
 *
 * Who owns what: everything up to _data/ is root's (0700), so the server
 * cannot replace its own directory with a link; the node's directory and
 * all in it belong to the service user (the machine's `zookeeper`), which
 * ZooKeeper runs as under both runtimes, so that data resumes under either
 * without a chown at each start. Root acts in that directory only through
 * descriptors (include/labo/util/fs.h): the server may have planted links. */
#ifndef LABO_ZKDATA_H
#define LABO_ZKDATA_H

#include <stdbool.h>
#include <sys/types.h>

#include "labo/util/error.h"

/* $LABO_STATE_DIR/<lab>/_data/<node>. Caller frees. */
char *labo_node_data_dir (const char *lab, const char *node);
/* Did a `down --keep-data` leave this lab's data? */
bool labo_lab_has_kept_data (const char *lab);

/* The service user ZooKeeper runs as, in both runtimes: the `zookeeper`
 * user Debian's package makes. An error says what to install. */
int labo_zk_service_user (uid_t *uid, gid_t *gid, labo_error_t *err);

/* Makes the node's data directory right, once: root's path down to
 * _data/ (links refused), the node's directory the service user's (made
 * so when new; given to it, on descriptors and never through a link, when
 * it is kept data from an older labo that ran ZooKeeper as root), and its
 * myid written when it has none (O_EXCL|O_NOFOLLOW: a link planted there
 * is left alone; kept data keeps its own, which ZooKeeper checks against
 * its configuration). Nothing is changed at a restart. */
int labo_zk_data_prepare (const char *lab, const char *node, int myid, uid_t uid, gid_t gid,
                          labo_error_t *err);
/* (myid 0: none written, a node whose attendee writes it: start: by-hand.) */

/* Removes the node's data directory and all in it (`labo reset`): its next
 * start makes it again as `up` does (labo_zk_data_prepare). Absent already
 * is success; links in it are removed, never followed. */
int labo_node_data_wipe (const char *lab, const char *node, labo_error_t *err);

/* What `zkServer.sh start` writes in the data directory, as ZooKeeper's own
 * script does, and `zkServer.sh stop` removes (images/zookeeper). */
#define LABO_ZK_PID_FILE "zookeeper_server.pid"
/* Has the attendee started the by-hand node's ZooKeeper (and not stopped
 * it)? Its pid file is in the data directory, which the container has on
 * /var/lib/zookeeper. Only looked at, never followed. */
bool labo_zk_started_by_hand (const char *lab, const char *node);

#endif
