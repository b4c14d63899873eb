/* Modes and ensembles: see include/labo/model/ensemble.h. */
#include "labo/model/ensemble.h"

#include <stdio.h>
#include <string.h>

#include "labo/util/util.h"

const char *
labo_mode_name (enum labo_mode m)
{
  switch (m)
    {
    case LABO_MODE_DOWN:
      return "down";
    case LABO_MODE_NOT_SERVING:
      return "not serving";
    case LABO_MODE_LEADER:
      return "leader";
    case LABO_MODE_FOLLOWER:
      return "follower";
    case LABO_MODE_OBSERVER:
      return "observer";
    case LABO_MODE_STANDALONE:
      return "standalone";
    case LABO_MODE_HEALTHY:
      return "healthy";
    default:
      return "unknown";
    }
}

void
labo_ensemble_assess (const enum labo_mode *modes, size_t n, struct labo_ensemble *e)
{
  size_t observers = 0;

  memset (e, 0, sizeof (*e));
  e->nodes = n;
  e->leader = -1;
  for (size_t i = 0; i < n; i++)
    {
      /* a node without roles is no member: a caller's slip, not a vote */
      if (modes[i] == LABO_MODE_HEALTHY)
        {
          e->nodes--;
          continue;
        }
      if (modes[i] == LABO_MODE_OBSERVER)
        {
          observers++;
          continue;
        }
      e->servers++;
      if (modes[i] == LABO_MODE_LEADER || (modes[i] == LABO_MODE_STANDALONE && n == 1))
        {
          e->leaders++;
          e->leader = (long) i;
        }
      if (modes[i] == LABO_MODE_LEADER || modes[i] == LABO_MODE_FOLLOWER
          || (modes[i] == LABO_MODE_STANDALONE && n == 1))
        e->voters++;
    }
  if (e->leaders != 1)
    e->leader = -1;
  e->majority = e->servers / 2 + 1;
  e->quorum = e->leaders == 1 && e->voters >= e->majority;
  e->serving = e->quorum ? e->voters + observers : 0;
  e->tolerates = e->quorum ? e->voters - e->majority : 0;
}

char *
labo_ensemble_text (const struct labo_ensemble *e, const enum labo_mode *modes,
                       const char *const *names)
{
  size_t n = e->servers, down = 0, looking = 0;

  if (e->quorum)
    return xasprintf ("%s leads; %zu of %zu servers serving", names[e->leader], e->serving, n);
  if (e->leaders > 1)
    return xasprintf ("no quorum: %zu servers say they lead (the two sides of a cut, until "
                      "the old leader notices)", e->leaders);
  if (e->leaders == 1)
    return xasprintf ("no quorum: %s leads %zu of %zu servers, %zu needed", names[e->leader],
                      e->voters, n, e->majority);
  for (size_t i = 0; modes && i < e->nodes; i++)
    {
      down += modes[i] == LABO_MODE_DOWN;
      looking += modes[i] == LABO_MODE_NOT_SERVING;
    }
  if (e->voters > 0)
    return xasprintf ("no quorum: no server leads (%zu still follow a leader that is gone, %zu "
                      "electing, %zu down)", e->voters, looking, down);
  return xasprintf ("no quorum: no server leads (%zu electing, %zu down; %zu needed)", looking,
                    down, e->majority);
}
