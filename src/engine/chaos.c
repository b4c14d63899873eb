/* The scenario player (include/labo/engine/chaos.h). */
#include "labo/engine/chaos.h"
#include "labo/engine/clock.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "labo/kind/kind.h"
#include "labo/zk/check.h"
#include "labo/super/control.h"
#include "labo/runtime/docker_up.h"
#include "labo/engine/faults.h"
#include "labo/engine/links.h"
#include "labo/engine/pause.h"
#include "labo/engine/capture.h"
#include "labo/util/rng.h"
#include "labo/util/fs.h"
#include "labo/util/util.h"
#include "labo/zk/zk.h"

#define OBSERVE_S 0.5
#define PROBE_MS 300

struct player
{
  const struct labo_lab *lab;
  const struct labo_chaos_opts *o;
  double t0;
  bool interrupted;
  /* the ensemble as last seen */
  enum labo_mode *mode;
  long leader;
  size_t serving;
  bool seen;
  /* the lab before the scenario, for putting it back */
  struct labo_cut *cuts0;
  size_t n_cuts0;
  bool cuts_touched;
  bool *off0;
  bool power_touched;
  struct labo_linkset *links0;
  bool *link_touched;
  bool *paused0;
  bool pause_touched;
  struct labo_rng rng;  /* the scenario's choices, from its seed */
  /* the captures running (capture steps), stopped at the very end */
  struct labo_capture_job **caps;
  const char **cap_files;
  size_t n_caps;
  struct labo_skew *skews0; /* the clocks before (has0: skewed) */
  bool *has0;
  bool *clock_touched;
};

static void
say (struct player *p, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void
say (struct player *p, const char *fmt, ...)
{
  va_list ap;

  fprintf (p->o->out, "%8.1fs  ", labo_now () - p->t0);
  va_start (ap, fmt);
  vfprintf (p->o->out, fmt, ap);
  va_end (ap);
  fputc ('\n', p->o->out);
  fflush (p->o->out);
}

static void
mark (struct player *p, const char *text)
{
  if (p->o->check)
    labo_check_mark (p->o->check, text);
}

/* ---- watching the ensemble ---- */

static bool
serves (enum labo_mode m)
{
  return m == LABO_MODE_LEADER || m == LABO_MODE_FOLLOWER || m == LABO_MODE_STANDALONE;
}

/* Probes every node; prints what changed since the last look. */
static void
observe (struct player *p)
{
  const struct labo_lab *lab = p->lab;
  long leader = -1;
  size_t serving = 0;

  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      struct labo_probe_result s;
      labo_kind_probe (lab, &lab->nodes[i], 0, PROBE_MS, &s);
      if (p->seen && s.mode != p->mode[i])
        say (p, "%s: %s -> %s", lab->nodes[i].name, labo_mode_name (p->mode[i]),
             labo_mode_name (s.mode));
      p->mode[i] = s.mode;
      if (s.mode == LABO_MODE_LEADER || (s.mode == LABO_MODE_STANDALONE && lab->n_nodes == 1))
        leader = (long) i;
      serving += serves (s.mode);
    }
  if (!p->seen || leader != p->leader || serving != p->serving)
    {
      if (leader >= 0)
        say (p, "ensemble: leader %s, %zu of %zu serving%s", lab->nodes[leader].name, serving,
             lab->n_nodes, serving * 2 > lab->n_nodes ? "" : " (no quorum)");
      else
        say (p, "ensemble: no leader, %zu of %zu serving: writes are refused", serving,
             lab->n_nodes);
    }
  p->leader = leader;
  p->serving = serving;
  p->seen = true;
}

/* Waits `secs` for a stop signal, then looks at the ensemble; false (and
 * said) when stopped. */
static bool
watch (struct player *p, double secs)
{
  struct timespec ts = { (time_t) secs, (long) ((secs - floor (secs)) * 1e9) };

  if (sigtimedwait (p->o->stop, NULL, &ts) > 0)
    {
      p->interrupted = true;
      say (p, "interrupted");
      return false;
    }
  observe (p);
  return true;
}

/* Watches until monotonic time t (or a stop signal: returns false). */
static bool
pause_until (struct player *p, double t)
{
  for (double left; (left = t - labo_now ()) > 0;)
    if (!watch (p, fmin (left, OBSERVE_S)))
      return false;
  return true;
}

/* ---- resolving leader and follower ---- */

/* The hosts that run a node (every host when none does), and their
 * number: where a random host, halves and rings are drawn from. */
static size_t
node_hosts (const struct labo_lab *lab, size_t *out)
{
  size_t n = 0;
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      bool has = false;
      for (size_t i = 0; i < lab->n_nodes; i++)
        has |= lab->nodes[i].host == h;
      if (has || lab->n_nodes == 0)
        out[n++] = h;
    }
  return n;
}

static long
node_by_role (struct player *p, const char *name, labo_error_t *err)
{
  size_t found = 0;
  long pick = -1;

  if (strcmp (name, "random") == 0)
    {
      if (p->lab->n_nodes == 0)
        return labo_error_make (err, ENOENT, "lab %s has no node to draw", p->lab->name), -1;
      return (long) labo_rng_below (&p->rng, p->lab->n_nodes);
    }
  if (strcmp (name, "leader") != 0 && strcmp (name, "follower") != 0)
    {
      long n = labo_lab_find_node (p->lab, name);
      if (n < 0)
        labo_error_make (err, ENOENT, "lab %s has no node named %s", p->lab->name, name);
      return n;
    }
  observe (p);
  /* one of the nodes in that role: the leader, or a follower drawn from
   * the seed (reservoir sampling: one draw a candidate) */
  for (size_t i = 0; i < p->lab->n_nodes; i++)
    if (p->mode[i] == (strcmp (name, "leader") == 0 ? LABO_MODE_LEADER : LABO_MODE_FOLLOWER)
        && labo_rng_below (&p->rng, ++found) == 0)
      pick = (long) i;
  if (pick < 0)
    labo_error_make (err, 0, "no node is a %s now", name);
  return pick;
}

static long
host_by_role (struct player *p, const char *name, labo_error_t *err)
{
  long n;

  if (strcmp (name, "random") == 0)
    {
      cleanup_free size_t *hs = xcalloc (p->lab->n_hosts + 1, sizeof (*hs));
      size_t k = node_hosts (p->lab, hs);
      return k ? (long) hs[labo_rng_below (&p->rng, k)] : -1;
    }
  if (strcmp (name, "leader") == 0 || strcmp (name, "follower") == 0)
    {
      n = node_by_role (p, name, err);
      return n < 0 ? -1 : (long) p->lab->nodes[n].host;
    }
  n = labo_lab_find_host (p->lab, name);
  if (n < 0)
    labo_error_make (err, ENOENT, "lab %s has no host named %s", p->lab->name, name);
  return n;
}

/* partition: halves (the nodes' hosts shuffled, the first half cut from
 * the rest) or ring (Jepsen's majorities ring: shuffled onto a ring, each
 * host cut from all but its neighbours within (n/2 + 1) / 2 on each side:
 * at least n/2 others, a majority with itself, and no two hosts keep the
 * same majority; from 4 hosts). */
static int
partition_many (struct player *p, bool ring, labo_error_t *err)
{
  const struct labo_lab *lab = p->lab;
  cleanup_free size_t *hs = xcalloc (lab->n_hosts + 1, sizeof (*hs));
  size_t n = node_hosts (lab, hs), cuts = 0, keep = n / 2;
  cleanup_free char *groups = xstrdup ("");

  for (size_t i = n; i > 1; i--)
    {
      size_t j = labo_rng_below (&p->rng, i), t = hs[i - 1];
      hs[i - 1] = hs[j];
      hs[j] = t;
    }
  /* below 4 hosts every host is a neighbour of every other: no ring */
  if (n < (ring ? 4u : 2u))
    return labo_error_make (err, 0, "a %s needs %s hosts with nodes, lab %s has %zu",
                            ring ? "majority ring" : "partition into halves",
                            ring ? "4" : "2", lab->name, n);
  p->cuts_touched = true;
  for (size_t a = 0; a < n; a++)
    for (size_t b = a + 1; b < n; b++)
      {
        size_t d = b - a < n - (b - a) ? b - a : n - (b - a); /* distance on the ring */
        /* a ring keeps the neighbours within (n/2 + 1) / 2 each side */
        bool cut = ring ? d > (keep + 1) / 2 : (a < n / 2) != (b < n / 2);
        if (!cut)
          continue;
        if (labo_partition (lab, hs[a], hs[b], false, err) < 0)
          return -1;
        cuts++;
      }
  for (size_t i = 0; i < n; i++)
    {
      char *next = xasprintf ("%s%s%s", groups,
                              i == 0 ? "" : ring ? " - " : i == n / 2 ? " | " : " ",
                              lab->hosts[hs[i]].name);
      free (groups);
      groups = next;
    }
  say (p, "partition into %s: %s (%zu cut%s)", ring ? "a majority ring" : "halves", groups, cuts,
       cuts == 1 ? "" : "s");
  return 0;
}

/* "zk2", or "zk2 (the leader's host)" when a role named it. */
static char *
shown (const char *asked, const char *name, bool host)
{
  if (strcmp (asked, name) == 0)
    return xstrdup (name);
  if (strcmp (asked, "random") == 0)
    return xasprintf ("%s (drawn%s)", name, host ? ": a host with a node" : "");
  return xasprintf ("%s (the %s%s)", name, asked, host ? "'s host" : "");
}

/* ---- the steps ---- */

#define KILL_SEEN_S 5.0

static bool
ends_or_stops (int sig)
{
  return sig == SIGKILL || sig == SIGTERM || sig == SIGINT || sig == SIGQUIT || sig == SIGABRT
         || sig == SIGSTOP;
}

/* The nodes that serve with the leader: those whose hosts are on, and
 * joined to the leader's both ways through hosts without cuts. A server
 * cut off goes on calling itself leader (or follower) until its timeouts
 * run out, seconds later (ZooKeeper's syncLimit): a wait for a quorum
 * must not take that word for it. */
static size_t
serving_with_leader (struct player *p)
{
  const struct labo_lab *lab = p->lab;
  cleanup_free struct labo_cut *cuts = NULL;
  cleanup_free bool *off = NULL, *joined = NULL;
  size_t n_cuts = 0, count = 0;
  bool grew = true;

  if (p->leader < 0)
    return 0;
  if (labo_cuts_load (lab, &cuts, &n_cuts, NULL) < 0 || labo_power_load (lab, &off, NULL) < 0)
    return p->serving;
  joined = xcalloc (lab->n_hosts, sizeof (*joined));
  joined[lab->nodes[p->leader].host] = true;
  while (grew)
    {
      grew = false;
      for (size_t a = 0; a < lab->n_hosts; a++)
        for (size_t b = 0; b < lab->n_hosts; b++)
          {
            bool cut = false;
            if (!joined[a] || joined[b] || off[b])
              continue;
            for (size_t c = 0; c < n_cuts && !cut; c++)
              cut = (cuts[c].from == a && cuts[c].to == b) || (cuts[c].from == b && cuts[c].to == a);
            if (!cut)
              joined[b] = grew = true;
          }
    }
  for (size_t i = 0; i < lab->n_nodes; i++)
    count += joined[lab->nodes[i].host] && !off[lab->nodes[i].host] && serves (p->mode[i]);
  return count;
}

/* What the nodes say, as a client finds it: a write commits through the
 * leader, and (all) every other node syncs with it. A server a partition
 * cut off says it leads or follows until ZooKeeper's timeouts run out;
 * one just healed says it follows before it has caught up. */
#define CONFIRM_MS 2000

static bool
confirmed (struct player *p, bool all)
{
  if (!labo_zk_serves (p->lab, (size_t) p->leader, true, CONFIRM_MS))
    return false;
  for (size_t i = 0; all && i < p->lab->n_nodes; i++)
    if ((long) i != p->leader && !labo_zk_serves (p->lab, i, false, CONFIRM_MS))
      return false;
  return true;
}

static int
step_wait (struct player *p, const struct labo_step *st, labo_error_t *err)
{
  bool all = strcmp (st->target[0], "all") == 0, told = false;
  double start = labo_now (), deadline = start + (double) st->timeout_ms / 1000;
  size_t n = p->lab->n_nodes;

  for (;;)
    {
      size_t with;
      observe (p);
      with = serving_with_leader (p);
      if (p->leader >= 0 && (all ? with == n : with * 2 > n) && !confirmed (p, all))
        {
          if (!told)
            say (p, "the nodes say %s, but a client's %s does not go through yet",
                 all ? "they all serve" : "there is a quorum", all ? "write or sync" : "write");
          told = true;
        }
      else if (p->leader >= 0 && (all ? with == n : with * 2 > n))
        {
          say (p, "%s: leader %s, %zu of %zu serving with it, after %.1f s",
               all ? "every node serves" : "quorum", p->lab->nodes[p->leader].name, with, n,
               labo_now () - start);
          return 0;
        }
      if (labo_now () >= deadline)
        {
          char b[24];
          return labo_error_make (err, ETIMEDOUT, "%s within %s",
                                  all ? "not every node serves" : "no quorum",
                                  labo_duration_format (st->timeout_ms, b));
        }
      if (!pause_until (p, fmin (deadline, labo_now () + OBSERVE_S)))
        return 1;
    }
}

static int
step_link (struct player *p, const struct labo_step *st, labo_error_t *err)
{
  long h = host_by_role (p, st->target[0], err);
  struct labo_linkset want;
  cleanup_free char *name = NULL, *desc = NULL, *who = NULL;
  size_t l;

  if (h < 0 || labo_link_lookup (p->lab, p->lab->hosts[h].name, st->segment, &l, err) < 0)
    return -1;
  if (!p->link_touched[l])
    labo_linkset_load (p->lab, l, &p->links0[l]);
  p->link_touched[l] = true;
  labo_linkset_load (p->lab, l, &want);
  for (int k = 0; k < LABO_IMP_N; k++)
    if (st->set & LABO_IMP_BIT (k))
      labo_impair_copy (&want.im, &st->link.im, (enum labo_impair_param) k);
  /* the link's draws from the run's seed, unless the step gives one: the
   * same seed drops the same frames again */
  if (!(st->set & LABO_IMP_BIT (LABO_IMP_SEED)))
    want.im.seed = (uint64_t) labo_rng_below (&p->rng, 1ULL << 53) | 1;
  if (st->set & LABO_STEP_SET_DOWN)
    want.down = st->link.down;
  want.mech = LABO_MECH_NONE; /* the one in place, or the kernel's choice */
  if (labo_linkset_apply (p->lab, l, &want, err) < 0)
    return -1;
  name = labo_link_name (p->lab, l);
  desc = labo_impair_describe (&want.im);
  who = shown (st->target[0], p->lab->hosts[h].name, true);
  if (labo_impair_none (&want.im) && !want.down)
    say (p, "link %s%s: no impairment left%s", who, strchr (name, '@') ? strchr (name, '@') : "",
         want.mech != LABO_MECH_NONE ? "" : ", as `up` made it");
  else
    say (p, "link %s%s: %s%s%s%s", who, strchr (name, '@') ? strchr (name, '@') : "", desc,
         want.down ? ", pulled out" : "", want.mech != LABO_MECH_NONE ? ", by " : "",
         want.mech != LABO_MECH_NONE ? labo_link_mech_name (want.mech) : "");
  return 0;
}

/* pause, resume: a node (or a role's), a host's nodes, every node paused. */
static int
step_pause (struct player *p, const struct labo_step *st, labo_error_t *err)
{
  const struct labo_lab *lab = p->lab;
  bool pause = st->kind == LABO_STEP_PAUSE;
  const char *verb = pause ? "pause" : "resume";
  long h = st->target[0] ? labo_lab_find_host (lab, st->target[0]) : -1;
  long n;
  int r;

  p->pause_touched = true;
  if (st->target[0] == NULL || h >= 0)
    {
      if ((r = labo_pause_host (lab, h, pause, NULL, err)) < 0)
        return -1;
      if (h >= 0)
        say (p, "%s %s: %d node%s %s", verb, lab->hosts[h].name, r, r == 1 ? "" : "s",
             pause ? "frozen, the host runs on" : "thawed");
      else
        say (p, "resume: %d node%s thawed", r, r == 1 ? "" : "s");
      return 0;
    }
  if ((n = node_by_role (p, st->target[0], err)) < 0
      || (r = labo_pause_node (lab, (size_t) n, pause, err)) < 0)
    return -1;
  {
    cleanup_free char *who = shown (st->target[0], lab->nodes[n].name, false);
    say (p, "%s %s: %s%s", verb, who, pause ? "frozen with its sockets" : "thawed",
         r ? "" : pause ? " (it was already)" : " (it was not paused)");
  }
  return 0;
}

/* Starts a capture that runs until its duration or the scenario's end. */
static int
step_capture (struct player *p, const struct labo_step *st, labo_error_t *err)
{
  long h = host_by_role (p, st->target[0], err);
  struct labo_capture_job *j;
  cleanup_free char *who = NULL;

  if (h < 0)
    return -1;
  j = labo_capture_start (p->lab, p->lab->hosts[h].name, st->segment, st->filter, st->file,
                          st->duration_ms, err);
  if (j == NULL)
    return -1;
  p->cap_files[p->n_caps] = st->file;
  p->caps[p->n_caps++] = j;
  who = shown (st->target[0], p->lab->hosts[h].name, true);
  say (p, "capture %s%s: into %s%s%s", who, strchr (labo_capture_job_what (j), '@'), st->file,
       st->filter ? ", filter " : "", st->filter ? st->filter : "");
  return 0;
}

/* Stops every capture; says what each wrote. -1 (err: the first) if one
 * had failed. */
static int
finish_captures (struct player *p, labo_error_t *err)
{
  int r = 0;

  for (size_t i = 0; i < p->n_caps; i++)
    {
      cleanup_free char *what = xstrdup (labo_capture_job_what (p->caps[i]));
      struct labo_capture_stats cs;
      labo_error_t cerr = NULL;
      int end = labo_capture_finish (p->caps[i], &cs, &cerr);
      say (p, "capture %s: %ju packet%s in %s, %ju dropped by the kernel%s%s", what,
           (uintmax_t) cs.captured, cs.captured == 1 ? "" : "s", p->cap_files[i],
           (uintmax_t) cs.dropped, end < 0 ? "; it failed: " : "", end < 0 ? cerr->msg : "");
      if (end < 0 && r == 0)
        {
          *err = cerr;
          r = labo_error_wrap (err, "capture %s", what);
        }
      else
        labo_error_release (&cerr);
    }
  p->n_caps = 0;
  return r;
}

static int
run_step (struct player *p, const struct labo_step *st, labo_error_t *err)
{
  const struct labo_lab *lab = p->lab;
  cleanup_free char *what = labo_step_describe (st);
  long a, b;
  int r;

  switch (st->kind)
    {
    case LABO_STEP_KILL:
      if ((a = node_by_role (p, st->target[0], err)) < 0
          || labo_kill_request (lab, (size_t) a, st->signal, err) < 0)
        return -1;
      {
        cleanup_free char *who = shown (st->target[0], lab->nodes[a].name, false);
        enum labo_mode was = p->mode[a];
        double until = labo_now () + KILL_SEEN_S;
        say (p, "kill %s: SIG%s sent", who, sigabbrev_np (st->signal));
        /* a signal that ends or stops the node: the step lasts until the
         * node is seen to go, so that a `wait` after it does not take the
         * word of a node not dead yet (Docker takes tens of ms) */
        if (ends_or_stops (st->signal))
          while (p->mode[a] == was && labo_now () < until)
            if (!watch (p, 0.1))
              return 1;
      }
      return 0;
    case LABO_STEP_PARTITION:
      if (st->target[1] == NULL)
        return partition_many (p, strcmp (st->target[0], "ring") == 0, err);
      if ((a = host_by_role (p, st->target[0], err)) < 0
          || (b = host_by_role (p, st->target[1], err)) < 0)
        return -1;
      if (a == b)
        return labo_error_make (err, 0, "%s and %s are one host now (%s): nothing to cut",
                                st->target[0], st->target[1], lab->hosts[a].name);
      p->cuts_touched = true;
      if (labo_partition (lab, (size_t) a, (size_t) b, st->oneway, err) < 0)
        return -1;
      say (p, "partition: traffic %s %s %s %s dropped", st->oneway ? "from" : "between",
           lab->hosts[a].name, st->oneway ? "to" : "and", lab->hosts[b].name);
      return 0;
    case LABO_STEP_ISOLATE:
      if ((a = host_by_role (p, st->target[0], err)) < 0)
        return -1;
      p->cuts_touched = true;
      if (labo_isolate (lab, (size_t) a, err) < 0)
        return -1;
      {
        cleanup_free char *who = shown (st->target[0], lab->hosts[a].name, true);
        say (p, "isolate %s: cut from every other host", who);
      }
      return 0;
    case LABO_STEP_HEAL:
      a = b = -1;
      if (st->target[0]
          && ((a = host_by_role (p, st->target[0], err)) < 0
              || (b = host_by_role (p, st->target[1], err)) < 0))
        return -1;
      p->cuts_touched = true;
      if ((r = labo_heal (lab, a, b, err)) < 0)
        return -1;
      say (p, "heal: %d cut%s removed%s", r, r == 1 ? "" : "s",
           a < 0 ? ", traffic flows between every host" : "");
      return 0;
    case LABO_STEP_STOP:
    case LABO_STEP_START:
      {
        bool on = st->kind == LABO_STEP_START;
        cleanup_free char *who = NULL;
        if ((a = host_by_role (p, st->target[0], err)) < 0)
          return -1;
        p->power_touched = true;
        if (labo_power_request (lab, (size_t) a, on, err) < 0)
          return -1;
        who = shown (st->target[0], lab->hosts[a].name, true);
        say (p, on ? "power on %s: its daemon and nodes start under the supervisor"
                   : "power off %s: its processes ended, its links down", who);
        return 0;
      }
    case LABO_STEP_LINK:
      return step_link (p, st, err);
    case LABO_STEP_WAIT:
      say (p, "%s", what);
      return step_wait (p, st, err);
    case LABO_STEP_PAUSE:
    case LABO_STEP_RESUME:
      return step_pause (p, st, err);
    case LABO_STEP_CAPTURE:
      return step_capture (p, st, err);
    case LABO_STEP_CLOCK:
      if ((a = node_by_role (p, st->target[0], err)) < 0)
        return -1;
      p->clock_touched[a] = true;
      if (labo_clock_set (lab, (size_t) a, st->offset_ns, st->drift, NULL, err) < 0)
        return -1;
      {
        cleanup_free char *who = shown (st->target[0], lab->nodes[a].name, false);
        char o[32], d[32];
        say (p, "clock %s: %s, drift %s (seen within %d s)", who,
             labo_skew_offset_format (st->offset_ns, o), labo_skew_drift_format (st->drift, d),
             LABO_CLOCK_CACHE_S);
      }
      return 0;
    default:
      return labo_error_make (err, 0, "unknown step");
    }
}

/* ---- putting the lab back ---- */

static bool
same_cuts (const struct labo_cut *a, size_t na, const struct labo_cut *b, size_t nb)
{
  if (na != nb)
    return false;
  for (size_t i = 0; i < na; i++)
    {
      bool found = false;
      for (size_t j = 0; j < nb && !found; j++)
        found = a[i].from == b[j].from && a[i].to == b[j].to;
      if (!found)
        return false;
    }
  return true;
}

static bool
same_linkset (const struct labo_linkset *a, const struct labo_linkset *b)
{
  return labo_impair_equal (&a->im, &b->im) && a->down == b->down && a->mech == b->mech;
}

static int
restore (struct player *p, labo_error_t *err)
{
  const struct labo_lab *lab = p->lab;
  int failed = 0;

  if (p->cuts_touched)
    {
      cleanup_free struct labo_cut *now = NULL;
      size_t n = 0;
      if (labo_cuts_load (lab, &now, &n, err) < 0)
        return -1;
      if (!same_cuts (now, n, p->cuts0, p->n_cuts0))
        {
          int r = labo_heal (lab, -1, -1, err);
          for (size_t i = 0; r >= 0 && i < p->n_cuts0; i++)
            r = labo_partition (lab, p->cuts0[i].from, p->cuts0[i].to, true, err);
          if (r < 0)
            return -1;
          if (p->n_cuts0)
            say (p, "put back: the %zu cut%s there before", p->n_cuts0,
                 p->n_cuts0 == 1 ? "" : "s");
          else
            say (p, "put back: every cut healed");
        }
    }
  if (p->power_touched)
    {
      cleanup_free bool *off = NULL;
      if (labo_power_load (lab, &off, err) < 0)
        return -1;
      for (size_t h = 0; h < lab->n_hosts; h++)
        if (off[h] != p->off0[h])
          {
            if (labo_power_request (lab, h, off[h], err) < 0)
              return -1;
            say (p, "put back: %s powered %s", lab->hosts[h].name, off[h] ? "on" : "off");
          }
    }
  if (p->pause_touched)
    {
      cleanup_free bool *paused = NULL;
      if (labo_paused_load (lab, &paused, err) < 0)
        return -1;
      for (size_t i = 0; i < lab->n_nodes; i++)
        if (paused[i] != p->paused0[i])
          {
            if (labo_pause_node (lab, i, p->paused0[i], err) < 0)
              return -1;
            say (p, "put back: %s %s", lab->nodes[i].name, p->paused0[i] ? "paused" : "resumed");
          }
    }
  for (size_t l = 0; l < lab->n_links; l++)
    {
      struct labo_linkset now, want = p->links0[l];
      cleanup_free char *name = NULL;
      if (!p->link_touched[l])
        continue;
      labo_linkset_load (lab, l, &now);
      if (same_linkset (&now, &want))
        continue;
      name = labo_link_name (lab, l);
      /* exactly as it was (not the lab file's settings, which reset
       * would put back) */
      failed |= labo_linkset_apply (lab, l, &want, err) < 0;
      if (failed)
        return -1;
      say (p, "put back: link %s as it was", name);
    }
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (p->clock_touched[i])
      {
        if (labo_clock_put_back (lab, i, p->has0[i] ? &p->skews0[i] : NULL, err) < 0)
          return -1;
        say (p, "put back: %s's clock as it was", lab->nodes[i].name);
      }
  return 0;
}

int
labo_chaos_play (const struct labo_lab *lab, const struct labo_scenario *sc,
                 const struct labo_chaos_opts *o, labo_error_t *err)
{
  struct player p = { .lab = lab, .o = o, .leader = -1 };
  cleanup_free enum labo_mode *mode = xcalloc (lab->n_nodes + 1, sizeof (*mode));
  cleanup_free struct labo_linkset *links0 = xcalloc (lab->n_links + 1, sizeof (*links0));
  cleanup_free bool *touched = xcalloc (lab->n_links + 1, sizeof (*touched));
  cleanup_free struct labo_skew *skews0 = xcalloc (lab->n_nodes + 1, sizeof (*skews0));
  cleanup_free bool *has0 = xcalloc (lab->n_nodes + 1, sizeof (*has0));
  cleanup_free bool *clock_touched = xcalloc (lab->n_nodes + 1, sizeof (*clock_touched));
  cleanup_free struct labo_cut *cuts0 = NULL;
  cleanup_free bool *off0 = NULL;
  cleanup_free bool *paused0 = NULL;
  double next = 0; /* the nominal time of the step, from the start */
  int r = 0;

  cleanup_free struct labo_capture_job **caps = xcalloc (sc->n_steps + 1, sizeof (*caps));
  cleanup_free const char **cap_files = xcalloc (sc->n_steps + 1, sizeof (*cap_files));

  p.mode = mode;
  p.links0 = links0;
  p.link_touched = touched;
  p.caps = caps;
  p.cap_files = cap_files;
  p.skews0 = skews0;
  p.has0 = has0;
  p.clock_touched = clock_touched;
  labo_clock_load (lab, skews0, has0);
  /* a step only the supervisor can carry out fails now, not halfway */
  for (size_t i = 0; i < sc->n_steps; i++)
    {
      enum labo_step_kind k = sc->steps[i].kind;
      if ((k == LABO_STEP_KILL || k == LABO_STEP_STOP || k == LABO_STEP_START)
          && labo_supervisor_alive (lab->name, NULL) <= 0)
        return labo_error_make (err, 0, "step %zu (%s, %s:%d) needs the lab's supervisor, "
                                        "which is not running: `labo up` of the lab's file "
                                        "starts one", i + 1, labo_step_kind_name (k), sc->file,
                                sc->steps[i].pos.line);
      /* a capture's filter and file are checked before any fault */
      if (k == LABO_STEP_CAPTURE
          && (labo_capture_filter_check (sc->steps[i].filter, err) < 0
              || labo_fs_check_output (sc->steps[i].file, "a capture", err) < 0))
        return labo_error_wrap (err, "step %zu (capture, %s:%d)", i + 1, sc->file,
                                sc->steps[i].pos.line);
    }
  if (labo_cuts_load (lab, &cuts0, &p.n_cuts0, err) < 0 || labo_power_load (lab, &off0, err) < 0)
    return -1;
  if (labo_paused_load (lab, &paused0, err) < 0)
    return -1;
  p.cuts0 = cuts0;
  p.off0 = off0;
  p.paused0 = paused0;
  p.t0 = labo_now ();
  labo_rng_seed (&p.rng, o->seed, 1);
  say (&p, "scenario %s, %zu step%s, against lab %s, seed %llu (`--seed %llu` makes the same "
           "choices again)", sc->file, sc->n_steps, sc->n_steps == 1 ? "" : "s", lab->name,
       (unsigned long long) o->seed, (unsigned long long) o->seed);
  labo_control_note (lab->name, "chaos", lab->name,
                     json_pack ("{s:s, s:i, s:I}", "scenario", sc->file, "steps",
                                (int) sc->n_steps, "seed", (json_int_t) o->seed),
                     "chaos %s starts: %zu step%s", sc->file, sc->n_steps,
                     sc->n_steps == 1 ? "" : "s");
  observe (&p);
  for (size_t i = 0; i < sc->n_steps && r == 0; i++)
    {
      const struct labo_step *st = &sc->steps[i];
      cleanup_free char *what = labo_step_describe (st);
      if (st->at_ms >= 0)
        next = (double) st->at_ms / 1000;
      else
        next = fmax (next, labo_now () - p.t0) + (double) st->after_ms / 1000;
      if (!pause_until (&p, p.t0 + next))
        {
          r = 1;
          break;
        }
      if (st->kind != LABO_STEP_WAIT)
        {
          mark (&p, what);
          /* the events tell the scenario's steps beside what they cause */
          labo_control_note (lab->name, "chaos", lab->name,
                             json_pack ("{s:s, s:i, s:s, s:i, s:s}", "scenario", sc->file, "step",
                                        (int) (i + 1), "action", labo_step_kind_name (st->kind),
                                        "line", st->pos.line, "what", what),
                             "chaos %s, step %zu at %.1f s: %s", sc->file, i + 1, next, what);
        }
      r = run_step (&p, st, err);
      if (r < 0)
        {
          labo_error_wrap (err, "step %zu (%s, %s:%d)", i + 1, what, sc->file, st->pos.line);
          say (&p, "step %zu failed: %s", i + 1, (*err)->msg);
        }
      if (st->kind != LABO_STEP_WAIT)
        next = fmax (next, labo_now () - p.t0);
    }
  if (r == 0 && sc->end_ms > 0 && !pause_until (&p, p.t0 + (double) sc->end_ms / 1000))
    r = 1;
  if (!o->keep)
    {
      labo_error_t rerr = NULL;
      if (restore (&p, &rerr) < 0)
        {
          say (&p, "putting the lab back failed: %s", rerr->msg);
          if (r >= 0)
            {
              labo_error_t cerr = NULL;
              finish_captures (&p, &cerr);
              labo_error_release (&cerr);
              *err = rerr;
              return -1;
            }
          labo_error_release (&rerr);
        }
    }
  /* after the putting back, which the captures see too */
  {
    labo_error_t cerr = NULL;
    if (finish_captures (&p, &cerr) < 0 && r >= 0)
      {
        *err = cerr;
        r = -1;
      }
    else
      labo_error_release (&cerr);
  }
  say (&p, r == 0 ? "scenario done" : r > 0 ? "scenario stopped" : "scenario failed");
  labo_control_note (lab->name, "chaos", lab->name,
                     json_pack ("{s:s, s:s}", "scenario", sc->file, "result",
                                r == 0 ? "done" : r > 0 ? "stopped" : "failed"),
                     "chaos %s %s%s", sc->file,
                     r == 0 ? "done" : r > 0 ? "stopped" : "failed",
                     o->keep ? " (its last faults kept)" : ", the lab put back");
  return r;
}
