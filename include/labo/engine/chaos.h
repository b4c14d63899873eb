/* `labo chaos FILE`: plays a scenario (include/labo/model/scenario.h) against a
 * running lab, and says what happens.
 *
 * Each step runs at its time (from the start, or after the step before),
 * through the same functions as the verbs (faults.h, links.h): a
 * partition is the nf_tables cuts of `labo partition`, a power cut and a
 * signal are asked of the supervisor. Between steps the player watches
 * the ensemble (srvr of every node, twice a second) and prints each
 * change of a node's mode and of the quorum as it sees it, with the time.
 *
 * At the end, or when interrupted (SIGINT or SIGTERM, which the caller
 * blocks: the player waits for them with sigtimedwait), the lab is put
 * back as it was before the scenario: the cuts that were there, the hosts
 * that were on, the links' settings; unless `keep`. A kill needs no
 * undoing: the supervisor restarts what was killed. Captures (a thread
 * each, engine/capture.h) run until their duration or the very end,
 * after the putting back, `keep` or not; their filters and files are
 * checked before the first step. */
#ifndef LABO_CHAOS_H
#define LABO_CHAOS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "labo/util/error.h"
#include "labo/model/lab.h"
#include "labo/model/scenario.h"

struct labo_check;

struct labo_chaos_opts
{
  FILE *out;                 /* what happens, a line an event */
  struct labo_check *check;  /* or NULL: each step is marked on its timeline */
  bool keep;                 /* leave the faults as the scenario left them */
  const sigset_t *stop;      /* blocked signals that interrupt the scenario */
  uint64_t seed;             /* the scenario's choices (random, follower, halves,
                                ring, link steps' draws) are drawn from it */
};

/* Returns 0 when every step ran, 1 when interrupted, -1 (err set) when a
 * step failed: in every case after putting the lab back (unless keep). */
int labo_chaos_play (const struct labo_lab *lab, const struct labo_scenario *sc,
                     const struct labo_chaos_opts *o, labo_error_t *err);

#endif
