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

#include "labo/error.h"
#include "labo/lab.h"

typedef struct json_t json_t;

struct labo_up_opts
{
  bool quiet;     /* no progress lines */
  bool dry_run;   /* print the plan, make nothing */
  json_t *stages; /* if set: each stage appended as {stage, ms, detail} (up --json) */
};

int labo_up (const struct labo_lab *lab, const char *text, size_t len,
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

/* Progress lines: "  <stage>  <ms>  <detail>" on stdout, or objects
 * {stage, ms, detail} appended to stages when it is set (then nothing is
 * printed). */
struct labo_progress
{
  bool quiet;
  double t0, t;
  json_t *stages;
};
void labo_progress_start (struct labo_progress *p, bool quiet, json_t *stages);
void labo_progress_stage (struct labo_progress *p, const char *stage, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* A test hook: with LABO_FAIL_AT=<stage> in the environment, `up` fails at
 * that stage (hosts: after half of them; links, addresses; swarm,
 * containers: with the daemons running; quorum: once the ensemble formed,
 * with the ends of the servers' logs), so tests can prove the
 * rollback. Returns -1 with err set when it fires. */
int labo_inject_failure (const char *stage, labo_error_t *err);

#define LABO_ALIAS_PREFIX "labo:"

#endif
