/* A node's mode, as its probes find it, and an ensemble of nodes that
 * elect a leader (ZooKeeper's servers, etcd's members): the one definition
 * of serving and of quorum that up, status, events, chaos and verify all
 * use, so that they never contradict each other, whatever the kind of node
 * (include/labo/kind/kind.h). Pure; tests/unit/test_zk.c. */
#ifndef LABO_MODEL_ENSEMBLE_H
#define LABO_MODEL_ENSEMBLE_H

#include <stdbool.h>
#include <stddef.h>

enum labo_mode
{
  LABO_MODE_DOWN = 0,        /* no answer */
  LABO_MODE_NOT_SERVING,     /* answers, but "not currently serving requests" (no quorum) */
  LABO_MODE_LEADER,
  LABO_MODE_FOLLOWER,
  LABO_MODE_OBSERVER,
  LABO_MODE_STANDALONE,
  /* alive, of a kind without roles (shell, generic: its health check
   * passed); never counts in an ensemble */
  LABO_MODE_HEALTHY,
};

const char *labo_mode_name (enum labo_mode m); /* "leader", "not serving", "down", "healthy"... */
/* A mode of an ensemble's member that serves while there is a quorum:
 * leader, follower, observer, standalone (not HEALTHY, which has no role). */
static inline bool
labo_mode_has_role (enum labo_mode m)
{
  return m >= LABO_MODE_LEADER && m <= LABO_MODE_STANDALONE;
}

/* The ensemble as its servers' modes show it: the one definition of
 * serving and of quorum that up, status, events and chaos all use, so that
 * they never contradict each other.
 *
 * A quorum is one leader (a lone server's "standalone" counts as leading
 * itself) with enough followers (observers do not vote) for a majority of
 * the voting servers. A server serves while there is a quorum and it is in
 * it: the leader, its followers and observers. Without a quorum none
 * serves, whatever mode a server still reports: a follower whose leader is
 * gone answers "follower" until it notices, and writes through it fail. */
struct labo_ensemble
{
  size_t nodes;    /* servers and observers: the modes given */
  size_t servers;  /* voting servers (observers excluded) */
  size_t majority; /* servers / 2 + 1 */
  size_t leaders;  /* that say they lead */
  size_t voters;   /* leaders and followers */
  size_t serving;  /* with a quorum: the leader, followers and observers; else 0 */
  long leader;     /* index of the single leader, or -1 */
  bool quorum;
  size_t tolerates; /* failures the quorum survives now */
};
void labo_ensemble_assess (const enum labo_mode *modes, size_t n,
                              struct labo_ensemble *e);
/* One line for people: "zoo1 leads; 3 of 3 servers serving", "no quorum:
 * no server leads (2 looking, 1 down)", "no quorum: 2 servers say they
 * lead"... names[i] is server i's name. Caller frees. */
char *labo_ensemble_text (const struct labo_ensemble *e, const enum labo_mode *modes,
                             const char *const *names);

#endif
