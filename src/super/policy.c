/* The restart policy: see include/labo/super/policy.h. */
#include "labo/super/policy.h"

#include <string.h>

void
labo_policy_init (struct labo_policy *p)
{
  memset (p, 0, sizeof (*p));
  p->started_at = -1;
}

void
labo_policy_started (struct labo_policy *p, double now)
{
  p->starts++;
  p->started_at = now;
}

unsigned
labo_policy_restarts (const struct labo_policy *p)
{
  return p->starts > 0 ? p->starts - 1 : 0;
}

void
labo_policy_reset (struct labo_policy *p)
{
  p->gave_up = false;
  p->quick = 0;
  p->ring_len = 0;
  p->ring_next = 0;
}

/* Deaths in the ring no older than `within` seconds at now. */
static size_t
recent (const struct labo_policy *p, double now, double within)
{
  size_t n = 0;
  for (size_t i = 0; i < p->ring_len; i++)
    if (now - p->death_at[i] <= within)
      n++;
  return n;
}

/* The delay after the quick-th quick death in a row: none for the first,
 * then backoff, doubling, up to backoff_max. */
static double
backoff (const struct labo_supervise *cfg, unsigned quick)
{
  double delay = 0;
  if (quick >= 2)
    {
      delay = cfg->backoff_ms / 1e3;
      for (unsigned i = 2; i < quick && delay < cfg->backoff_max_ms / 1e3; i++)
        delay *= 2;
      if (delay > cfg->backoff_max_ms / 1e3)
        delay = cfg->backoff_max_ms / 1e3;
    }
  return delay;
}

/* Not before min_gap after the last start. */
static double
not_before_gap (const struct labo_policy *p, const struct labo_supervise *cfg, double at)
{
  if (p->started_at >= 0 && at < p->started_at + cfg->min_gap_ms / 1e3)
    return p->started_at + cfg->min_gap_ms / 1e3;
  return at;
}

enum labo_policy_verdict
labo_policy_refused (struct labo_policy *p, const struct labo_supervise *cfg, double now,
                     double *at)
{
  *at = now;
  p->refused++;
  p->started_at = now; /* the attempt, for min_gap */
  if (!cfg->restart)
    return LABO_POLICY_LEAVE;
  /* at least the second quick failure in a row: a refusal is never the
   * first thing to try again at once */
  p->quick = p->quick < 1 ? 2 : p->quick + 1;
  *at = not_before_gap (p, cfg, now + backoff (cfg, p->quick));
  return LABO_POLICY_RESTART;
}

/* Without this, a node whose daemon dies again and again never ends its
 * series: its own deaths are none, so each refusal of a start after a
 * daemon's restart doubled the delay of the next, across restarts that
 * ran for minutes in between (issue 9: namenode2 waited 30 s before each
 * start after the third crash of its dockerd). */
void
labo_policy_collateral (struct labo_policy *p, const struct labo_supervise *cfg, double now)
{
  p->deaths++;
  if (p->started_at < 0 || now - p->started_at >= cfg->backoff_reset_ms / 1e3)
    p->quick = 0;
}

enum labo_policy_verdict
labo_policy_died (struct labo_policy *p, const struct labo_supervise *cfg, double now, double *at)
{
  size_t cap = (size_t) cfg->give_up_deaths;
  double run;

  *at = now;
  p->deaths++;
  if (p->gave_up)
    return LABO_POLICY_GIVE_UP;
  if (cap > LABO_SUPERVISE_MAX_DEATHS)
    cap = LABO_SUPERVISE_MAX_DEATHS;
  if (cap == 0)
    cap = 1;
  /* the ring holds the last `cap` deaths: if they all fall within the
   * window, that is cap deaths within it */
  if (p->ring_len > cap)
    p->ring_len = cap, p->ring_next = 0;
  p->death_at[p->ring_next] = now;
  p->ring_next = (p->ring_next + 1) % cap;
  if (p->ring_len < cap)
    p->ring_len++;
  if (cfg->restart && recent (p, now, cfg->give_up_within_ms / 1e3) >= cap)
    {
      p->gave_up = true;
      return LABO_POLICY_GIVE_UP;
    }

  /* an unknown start (found running) counts as a long run */
  run = p->started_at < 0 ? 1e18 : now - p->started_at;
  if (run < cfg->backoff_reset_ms / 1e3)
    p->quick++;
  else
    p->quick = 1;
  if (!cfg->restart)
    return LABO_POLICY_LEAVE;
  *at = not_before_gap (p, cfg, now + backoff (cfg, p->quick));
  return LABO_POLICY_RESTART;
}
