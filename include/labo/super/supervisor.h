/* The supervisor: one long-running process per lab that keeps every
 * Docker daemon and every ZooKeeper node alive, restarts what dies under
 * the lab's restart policy (policy.h), probes the nodes, knows who leads,
 * and tells it all over its control socket (control.h).
 *
 * It is the process that brought the lab up (so the daemons and node
 * processes it started are its children, and their exit statuses are
 * its to read), detached once the lab is up; or, after a supervisor died,
 * a new one that adopts what runs (`labo up` on a running lab). Its own
 * death leaves the lab running. It owns nothing that `down` needs: down
 * stops it first, then removes the lab as always.
 *
 * Its record, in $LABO_RUN_DIR/<lab>/: supervisor.pid (flocked while it
 * lives), control.sock, supervisor.log (its stdout and stderr when
 * detached), events.jsonl (every event, one JSON object a line) and
 * supervisor.json (the restart tallies, read back by a successor). */
#ifndef LABO_SUPERVISOR_H
#define LABO_SUPERVISOR_H

#include <stdbool.h>

#include "labo/util/error.h"
#include "labo/model/lab.h"

typedef struct json_t json_t;

struct labo_supervisor_opts
{
  bool foreground; /* events also printed on stdout, as they happen */
  bool adopt;      /* a successor: everything was started by someone else */
  int ready_fd;    /* written one byte (0) once the control socket listens; -1 none */
  json_t *reset;   /* a reset just done by this process (labo_reset's facts, borrowed):
                      told as the event "reset" done once the supervisor runs */
};

/* Does the lab have anything to supervise (Docker hosts or nodes)? */
bool labo_supervisor_needed (const struct labo_lab *lab, enum labo_runtime runtime);

/* Runs the supervisor of `lab` until SIGTERM, SIGINT or a stop request.
 * Returns 0, or -1 when it could not start (another one runs: EEXIST). */
int labo_supervise (const struct labo_lab *lab, enum labo_runtime runtime,
                    const struct labo_supervisor_opts *opts, labo_error_t *err);

#endif
