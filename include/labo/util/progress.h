/* Progress lines of the long verbs (up, down): each stage with its time,
 * printed or gathered for --json; and the test hook that makes a stage
 * fail. Pure of labo's model: a verb in any layer can report with it. */
#ifndef LABO_PROGRESS_H
#define LABO_PROGRESS_H

#include <stdbool.h>

#include "labo/util/error.h"

typedef struct json_t json_t;

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

#endif
