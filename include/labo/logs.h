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

#include "labo/error.h"
#include "labo/lab.h"

/* The file holding node i's log now; *docker_json: in Docker's json-file
 * format (a {"log": ...} object a line). NULL with err when it has none. */
char *labo_node_log_path (const struct labo_lab *lab, size_t i, bool *docker_json,
                          labo_error_t *err);

/* Docker's json-file lines as the plain text the node wrote (both of its
 * streams); any other line as it is. Caller frees. */
char *labo_log_plain (const char *text, size_t len);

/* The last `lines` lines of node i's log, as plain text, or NULL. */
char *labo_node_log_tail (const struct labo_lab *lab, size_t i, size_t lines);

/* Copies every node's log and every daemon's (the host's name, ".dockerd")
 * to the lab's kept-log directory, best effort (the last MiB of each).
 * Returns the directory (caller frees), or NULL if nothing was kept. */
char *labo_logs_keep (const struct labo_lab *lab);

/* <log root>/<lab>/<name>.log if it was kept, else NULL. */
char *labo_logs_kept (const char *lab, const char *name);

/* Removes the lab's kept logs (a new `up`, a `down`). 0, or -1 with err. */
int labo_logs_forget (const char *lab, labo_error_t *err);

#endif
