/* The restart policy: see include/labo/policy.h. */
#include "labo/policy.h"

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

enum labo_policy_verdict
labo_policy_died (struct labo_policy *p, const struct labo_supervise *cfg, double now, double *at)
{
  size_t cap = (size_t) cfg->give_up_deaths;
  double run, delay = 0;

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
  if (p->quick >= 2)
    {
      delay = cfg->backoff_ms / 1e3;
      for (unsigned i = 2; i < p->quick && delay < cfg->backoff_max_ms / 1e3; i++)
        delay *= 2;
      if (delay > cfg->backoff_max_ms / 1e3)
        delay = cfg->backoff_max_ms / 1e3;
    }
  *at = now + delay;
  if (p->started_at >= 0 && *at < p->started_at + cfg->min_gap_ms / 1e3)
    *at = p->started_at + cfg->min_gap_ms / 1e3;
  return LABO_POLICY_RESTART;
}
