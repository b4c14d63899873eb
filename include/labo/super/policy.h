/* The restart policy of the supervisor, after s6-supervise: when a daemon or
 * a node that died starts again, and when the supervisor stops trying.
 *
 * Pure logic over the times it is given (seconds on the monotonic clock,
 * labo_now(), which is the machine's and so stays valid across a
 * supervisor's restart), unit-tested in tests/unit/test_policy.c:
 *   - two starts of one thing are never less than min_gap apart;
 *   - a death that comes less than backoff_reset after the start is
 *     "quick": the first restart after a quick death is immediate, each
 *     further quick death in a row doubles the delay from backoff, up to
 *     backoff_max; a run that outlasts backoff_reset ends the series;
 *   - give_up_deaths deaths within give_up_within mean the thing will not
 *     run: the policy says so once and for all (until reset);
 *   - with restart off, deaths are tallied and nothing is restarted;
 *   - a start the runtime refuses (nothing ran: Docker's overlay not back
 *     yet after its daemon restarted, say) is retried with the backoff of
 *     a quick death, and is no death: giving up is for what runs and dies;
 *   - a death its daemon caused (a node's dockerd died and took it along)
 *     is counted, but is neither a reason to back off nor a step towards a
 *     give-up; a run that outlasted backoff_reset still ends the series, as
 *     any long run does. */
#ifndef LABO_POLICY_H
#define LABO_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "labo/model/lab.h"

struct labo_policy
{
  unsigned starts;   /* starts made or seen, the first included */
  unsigned deaths;   /* deaths seen */
  unsigned refused;  /* starts the runtime refused */
  unsigned quick;    /* quick deaths in a row */
  double started_at; /* of the last start; < 0: unknown (found running) */
  bool gave_up;
  /* the times of the last deaths, a ring of give_up_deaths at most */
  double death_at[LABO_SUPERVISE_MAX_DEATHS];
  size_t ring_next, ring_len;
};

enum labo_policy_verdict
{
  LABO_POLICY_RESTART, /* start again at *at */
  LABO_POLICY_GIVE_UP, /* too many deaths: stop trying, say so */
  LABO_POLICY_LEAVE,   /* restart is off: leave it down */
};

void labo_policy_init (struct labo_policy *p);
/* A start at `now` (made by the supervisor, or seen: a start event). */
void labo_policy_started (struct labo_policy *p, double now);
/* A death at `now`. With LABO_POLICY_RESTART, *at (>= now) is when to
 * start again. A thing that gave up stays given up. */
enum labo_policy_verdict labo_policy_died (struct labo_policy *p, const struct labo_supervise *cfg,
                                           double now, double *at);
/* A start at `now` that failed before anything ran. LABO_POLICY_RESTART
 * (try again at *at) or LABO_POLICY_LEAVE (restart off). */
enum labo_policy_verdict labo_policy_refused (struct labo_policy *p,
                                              const struct labo_supervise *cfg, double now,
                                              double *at);
/* A death at `now` that its daemon caused (labo_policy_died is for the
 * thing's own deaths): counted; if the run outlasted backoff_reset, the
 * series of quick deaths and refusals before it is over. No verdict: the
 * thing starts again with its daemon. */
void labo_policy_collateral (struct labo_policy *p, const struct labo_supervise *cfg, double now);
/* Clears the give-up and the series of quick deaths (a user's retry);
 * the tallies stay. */
void labo_policy_reset (struct labo_policy *p);
/* Restarts so far: starts after the first. */
unsigned labo_policy_restarts (const struct labo_policy *p);

#endif
