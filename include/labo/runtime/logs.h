/* The logs of a lab's nodes and daemons: where they are while the lab
 * runs, and the copy a failed `up` keeps, so that the advice its error
 * gives (`labo logs NODE`) still works after the rollback removed the lab.
 *
 * Kept logs live in <log root>/<lab>/<name>.log (labo_log_root(): $LABO_LOG_DIR,
 * else /var/log/labo), as plain text, root's and 0600, until the lab's next
 * `up` or `down`. */
#ifndef LABO_LOGS_H
#define LABO_LOGS_H

#include <stdbool.h>
#include <stddef.h>

#include "labo/util/error.h"
#include "labo/model/lab.h"

/* Where a runtime keeps node i's log (its table's node_log_path):
 * *docker_json says the file is in Docker's json-file format. */
typedef char *(*labo_node_log_path_fn) (const struct labo_lab *lab, size_t i, bool *docker_json,
                                        labo_error_t *err);
struct labo_runtime_ops;

/* Docker's json-file lines as the plain text the node wrote (both of its
 * streams); any other line as it is. Caller frees. */
char *labo_log_plain (const char *text, size_t len);

/* The last `lines` lines of node i's log, as plain text, or NULL. */
char *labo_node_log_tail (const struct labo_lab *lab, size_t i, size_t lines,
                          labo_node_log_path_fn path_of);

/* Copies every node's log and every daemon's (the host's name, ".dockerd")
 * to the lab's kept-log directory, best effort (the last MiB of each).
 * Returns the directory (caller frees), or NULL if nothing was kept. */
char *labo_logs_keep (const struct labo_lab *lab, const struct labo_runtime_ops *rt);

/* <log root>/<lab>/<name>.log if it was kept, else NULL. */
char *labo_logs_kept (const char *lab, const char *name);

/* Removes the lab's kept logs (a new `up`, a `down`). 0, or -1 with err. */
int labo_logs_forget (const char *lab, labo_error_t *err);

#endif
