/* `labo pause` and `labo resume`: a node that stops answering but keeps
 * its sockets, the classic way to fake a long GC pause (or a VM stalled
 * by its hypervisor). Its processes are frozen by the cgroup freezer, not
 * stopped with SIGSTOP: nothing is told to its parent, nothing runs, its
 * TCP connections stay open on both ends, and its peers see it only by
 * their timeouts.
 *
 * How a node freezes is its runtime's (runtime.h, node_pause): Docker
 * pauses the container (POST /containers/ID/pause, runc's freezer under
 * the host's cgroup); a process's tree goes into labo's own freezer
 * cgroup, "labo-pause.<lab>/<node>" (host/freezer.h). Either returns once
 * the kernel says FROZEN.
 *
 * A host's pause is the pause of every node it runs; its dockerd, its
 * links and its namespaces go on: the GC-pause model is a stalled
 * application on a live machine (a host that stops answering altogether
 * is `labo stop HOST`).
 *
 * The supervisor is told first ({"cmd":"pause"}, control.h): it holds the
 * node's probes, so it neither finds the node hung nor restarts it, and
 * shows it paused in status; on resume it probes again. The pause is on
 * record ($LABO_RUN_DIR/<lab>/paused, records.h) so that it outlives the
 * command, `labo status` shows it, a successor supervisor holds it too,
 * and chaos puts it back. `down` thaws and removes what it made, also
 * after a crash (labo_freezer_release).
 *
 * Every function is idempotent: a node paused already is no error. */
#ifndef LABO_ENGINE_PAUSE_H
#define LABO_ENGINE_PAUSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "labo/util/error.h"
#include "labo/model/lab.h"

/* Node i paused (pause) or resumed. Returns 1 if it changed, 0 if it was
 * so already, -1. */
int labo_pause_node (const struct labo_lab *lab, size_t i, bool pause, labo_error_t *err);

/* Every node of host h (or, h == -1 and !pause, every node on record as
 * paused). changed (may be NULL) gets a flag per node that changed
 * (lab->n_nodes entries; caller frees). Returns how many changed, -1 (the
 * nodes done before the failure stay as they are, and on record). */
int labo_pause_host (const struct labo_lab *lab, long h, bool pause, bool **changed,
                     labo_error_t *err);

/* A node named, or the node that leads (`leader`) or a follower
 * (`follower`) now, as each node's own probe says. -1 with err. */
long labo_node_by_role (const struct labo_lab *lab, const char *name, labo_error_t *err);

/* The nodes on record as paused, by name, for status. */
json_t *labo_paused_json (const struct labo_lab *lab);

#endif
