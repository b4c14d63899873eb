/* Bringing a lab up and down: the lab layer's verbs over net/ and host/.
 *
 * Contract of labo_up(): either the whole lab exists and its state says
 * "up", or nothing of it exists (what was made is rolled back) and err says
 * which object and operation failed and the kernel's reason. Every
 * namespace is recorded in the lab's journal before it is made, so a
 * labo_down() after a crash or kill -9 at any point removes it all.
 *
 * Contract of labo_down(): idempotent; removes exactly what the lab owns
 * (its journal's namespaces and names carrying its mark "labo.<lab>[.host]";
 * root interfaces through their peers in the lab's switch namespace), after
 * killing every process that runs in the lab's namespaces. The alias
 * "labo:<lab>" on root interfaces is for people reading `ip link`. */
#ifndef LABO_ENGINE_H
#define LABO_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "labo/util/error.h"
#include "labo/model/lab.h"
#include "labo/util/progress.h"

typedef struct json_t json_t;

struct labo_up_opts
{
  bool quiet;     /* no progress lines */
  bool dry_run;   /* print the plan, make nothing */
  json_t *stages; /* if set: each stage appended as {stage, ms, detail} (up --json) */
  size_t pool_hint; /* a copy: k > 0 tries the pool's k-th block first (copy k of --copies) */
};

/* lab is changed in one way: a copy (lab->copy_of) gets its blocks from
 * the pool (include/labo/model/copy.h), kept in its meta. */
int labo_up (struct labo_lab *lab, const char *text, size_t len,
             const struct labo_up_opts *opts, labo_error_t *err);

/* Returns 1 if something was removed, 0 if the lab was not there, -1.
 * keep_data keeps the nodes' data (ZooKeeper's snapshots and logs) for a
 * later `up` of the same lab to resume. */
struct labo_down_opts
{
  bool quiet;     /* no progress lines */
  bool keep_data; /* keep the nodes' data */
  json_t *stages; /* as labo_up_opts' */
  bool keep_logs; /* keep the logs a failed up kept (its rollback) */
};
int labo_down (const char *lab, const struct labo_down_opts *opts, labo_error_t *err);
/* The same with the lab's state already open and locked (st): up's
 * rollback, which holds the lock from the start. */
struct labo_state;
int labo_down_locked (struct labo_state *st, const struct labo_down_opts *o, labo_error_t *err);

/* Contract of labo_reset(): a lab that is up (else an error, ENOENT when
 * it is not up at all) is brought back to the state right after its `up`,
 * under its lock (a reset, up or down under way is an error naming its
 * process): its supervisor stopped (it would restart the nodes being
 * removed; the caller starts the next one), every cut healed, every link
 * as up made it, every host powered on, and the runtime's reset (the
 * nodes removed with their data and made again by up's own stages, then
 * up's wait). The namespaces, links, daemons, Swarm and overlay stay.
 * *facts: what was done ({"verb": "reset", "phase": "done" | "failed",
 * "cuts", "links", "powered_on", "ms", "error", "begun_told": whether a
 * supervisor was there to be told it began}), for the supervisor's
 * "reset" event (caller frees); set once the supervisor was stopped, also
 * on a failure after it: the lab, as it is then, is the caller's to
 * supervise (and to reset again or take down). NULL: nothing touched. */
/* A file of the lab's run dir while a reset holds its lock: status says
 * "resetting" rather than "building". */
#define LABO_RESET_MARK "resetting"
struct labo_reset_opts
{
  bool quiet;     /* no progress lines */
  json_t *stages; /* as labo_up_opts' */
};
int labo_reset (const struct labo_lab *lab, const struct labo_reset_opts *o, json_t **facts,
                labo_error_t *err);

#define LABO_ALIAS_PREFIX "labo:"

#endif
