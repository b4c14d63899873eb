/* The supervisor's probes: every probe interval, each running node is
 * asked ruok (alive?) and srvr (its mode, zxid, outstanding requests), and
 * a leader mntr too (its synced followers), all at once. A node that answered
 * once and then misses `failures` rounds in a row, or that never answers
 * within `grace` of its start, is hung and killed (its death restarts it).
 * After each round the ensemble is looked at again: a new leader, a quorum
 * lost or regained is an event.
 *
 * Rounds fall on multiples of the interval on the monotonic clock, so
 * nodes with the same interval are probed in the same wake-up of the loop,
 * and their answers mostly in the next few: the loop's count of wake-ups
 * is what the benchmark reads. */
#include "sv_probe.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "labo/util/util.h"
#include "labo/zk/zk.h"
#include "labo/zk/zkdata.h"

#include "unit.h"

#define FIRST_PROBE_S 1.0 /* a JVM opens its port about 0.6 s after exec */

static void probe_tick (struct labo_loop *loop, void *data);

/* Arms the next round at least `delay` from now, on the interval's grid. */
static void
schedule (struct sv_node *n, double delay)
{
  double interval = n->u.cfg->probe_interval_ms / 1e3, at;

  if (interval <= 0)
    return;
  at = ceil ((labo_now () + delay) / interval) * interval;
  n->probe_timer.cb = probe_tick;
  n->probe_timer.data = n;
  labo_timer_arm (n->u.sv->loop, &n->probe_timer, at);
}

static void
round_clear (struct sv_node *n)
{
  for (int k = 0; k < LABO_KIND_MAX_ASKS; k++)
    {
      if (n->probe[k])
        labo_zk_probe_cancel (n->u.sv->loop, n->probe[k]);
      n->probe[k] = NULL;
      free (n->reply[k]);
      free (n->error[k]);
      n->reply[k] = n->error[k] = NULL;
    }
  n->pending = 0;
}

void
sv_probe_begin (struct sv_node *n)
{
  double first = n->u.cfg->probe_interval_ms / 1e3;

  sv_probe_end (n);
  n->answered = false;
  n->failures = 0;
  n->started = labo_now ();
  n->not_started = labo_node_by_hand (n->u.sv->lab, n->node);
  schedule (n, first < FIRST_PROBE_S ? first : FIRST_PROBE_S);
}

void
sv_probe_end (struct sv_node *n)
{
  labo_timer_disarm (n->u.sv->loop, &n->probe_timer);
  round_clear (n);
  n->mode = LABO_MODE_DOWN;
  memset (&n->result, 0, sizeof (n->result));
  n->result.node_count = n->result.outstanding = n->result.synced = -1;
}

/* Kills a hung node: its death restarts it. */
static void
hung (struct sv_node *n, const char *why)
{
  sv_event (n->u.sv, "hung", n->u.name, json_pack ("{s:i}", "failures", n->failures), "%s", why);
  snprintf (n->u.cause, sizeof (n->u.cause), "hung (%s)", why);
  sv_probe_end (n);
  sv_unit_on (&n->u, SV_ON_HUNG, NULL);
}

/* A by-hand node that does not answer: is that its attendee's doing? Its
 * service not started (or stopped again, `zkServer.sh stop`) is no failure,
 * and nothing is restarted: the supervisor does not fight the attendee.
 * Once started by hand it is watched as any node, its grace counted from
 * when the start was seen. Returns true if the node is not started. */
static bool
not_started (struct sv_node *n)
{
  const struct labo_lab *lab = n->u.sv->lab;
  bool started;

  if (!labo_node_by_hand (lab, n->node))
    return false;
  started = labo_zk_started_by_hand (lab->name, n->node->name);
  if (!started && !n->not_started)
    {
      sv_event (n->u.sv, "role", n->u.name,
                json_pack ("{s:s, s:s}", "mode", "not started", "was",
                           labo_mode_name (n->mode)),
                "not started (was %s): stopped by hand", labo_mode_name (n->mode));
      n->mode = LABO_MODE_DOWN;
    }
  if (started && n->not_started)
    n->started = labo_now ();
  n->not_started = !started;
  if (!started)
    {
      n->answered = false;
      n->failures = 0;
    }
  return !started;
}

/* A round with no imok. Returns false if the node was found hung (and
 * killed: the caller stops there). */
static bool
failed (struct sv_node *n, const char *error)
{
  char a[24];
  double up;

  if (not_started (n))
    return true;
  up = labo_now () - n->started;
  n->failures++;
  if (n->mode != LABO_MODE_DOWN)
    sv_event (n->u.sv, "role", n->u.name,
              json_pack ("{s:s, s:s, s:s}", "mode", "down", "was", labo_mode_name (n->mode),
                         "error", error),
              "down (was %s): %s", labo_mode_name (n->mode), error);
  n->mode = LABO_MODE_DOWN;
  if (n->answered && n->failures >= n->u.cfg->probe_failures)
    {
      cleanup_free char *why = xasprintf ("%d probes in a row unanswered (last: %s)",
                                          n->failures, error);
      hung (n, why);
      return false;
    }
  if (!n->answered && up * 1000 > n->u.cfg->probe_grace_ms)
    {
      cleanup_free char *why = xasprintf ("no answer within %s of its start (last: %s)",
                                          labo_duration_format ((long long) (up * 1000), a),
                                          error);
      hung (n, why);
      return false;
    }
  return true;
}

/* The round's answers are in: the kind's verdict on them. */
static void
round_done (struct sv_node *n)
{
  struct sv *sv = n->u.sv;
  const struct labo_kind *kind = labo_kind_of (n->node);
  struct labo_probe_result res;

  memset (&res, 0, sizeof (res));
  res.mode = LABO_MODE_DOWN;
  res.node_count = res.outstanding = res.synced = -1;
  kind->judge (n->node, (const char *const *) n->reply, (const char *const *) n->error, &res);
  if (!res.alive)
    {
      if (!failed (n, res.why[0] ? res.why : "no answer"))
        return;
    }
  else if (res.unprobeable)
    {
      /* It answers, so it lives; but its configuration (an attendee's
       * zoo.cfg, typed by hand) refuses what labo asks: its mode cannot be
       * seen. No failure: killing a server for its configuration would be
       * fighting the attendee. Said once. */
      if (!n->unprobeable)
        sv_event (sv, "warning", n->u.name, NULL,
                  "%s answers but refuses labo's probes: labo cannot see its mode%s",
                  kind->name,
                  kind->service == LABO_SERVICE_ZOOKEEPER
                      ? " (its zoo.cfg allows no ruok and srvr: add "
                        "4lw.commands.whitelist=ruok,srvr,mntr)"
                      : "");
      n->unprobeable = true;
      n->answered = true;
      n->not_started = false;
      n->failures = 0;
    }
  else
    {
      enum labo_mode before = n->mode;

      n->answered = true;
      n->not_started = false;
      n->unprobeable = false;
      n->failures = 0;
      n->probed_at = labo_wall ();
      n->result = res;
      n->mode = res.mode;
      if (before != n->mode)
        sv_event (sv, "role", n->u.name,
                  json_pack ("{s:s, s:s}", "mode", labo_mode_name (n->mode), "was",
                             labo_mode_name (before)),
                  "%s (was %s)", labo_mode_name (n->mode), labo_mode_name (before));
    }
  round_clear (n);
  sv_ensemble_check (sv);
  schedule (n, n->u.cfg->probe_interval_ms / 1e3 / 2);
}

static void
on_reply (void *data, const char *reply, const char *error)
{
  struct sv_word *w = data;
  struct sv_node *n = w->node;

  n->probe[w->k] = NULL;
  if (reply)
    n->reply[w->k] = xstrdup (reply);
  else
    n->error[w->k] = xstrdup (error ? error : "no answer");
  if (--n->pending == 0)
    round_done (n);
}

/* Where to ask: labo_node_reach's rule (as up and status do), from the
 * host's namespace held open, or the container's of the node's pid. */
static void
ask (struct sv_node *n)
{
  struct sv *sv = n->u.sv;
  const struct labo_node *node = n->node;
  const struct labo_kind *kind = labo_kind_of (node);
  int ns = sv->host_ns[node->host];
  cleanup_close int own = -1;
  struct labo_node_reach r;

  labo_node_reach (sv->lab, node, &r);
  if (r.in_container)
    {
      labo_error_t e = NULL;
      own = labo_node_reach_netns (sv->lab, node, &r, n->u.pid, &e);
      labo_error_release (&e);
      ns = own;
    }
  round_clear (n);
  if (n->mode != LABO_MODE_LEADER)
    n->result.synced = -1;
  /* the kind's requests for this round, all at once; one that could not
   * even be asked is answered already (its error) */
  n->pending = 0;
  for (int k = 0; k < LABO_KIND_MAX_ASKS; k++)
    {
      char buf[512];
      const char *req = kind->ask (node, (size_t) k, n->mode, buf, sizeof (buf));
      labo_error_t err = NULL;
      if (req == NULL)
        continue;
      n->word[k] = (struct sv_word){ n, k };
      n->probe[k] = labo_zk_probe_start (sv->loop, ns, r.addr, r.port, req,
                                         n->u.cfg->probe_timeout_ms, on_reply, &n->word[k],
                                         &err);
      if (n->probe[k] == NULL)
        {
          n->error[k] = xstrdup (err->msg);
          labo_error_release (&err);
        }
      else
        n->pending++;
    }
  if (n->pending <= 0)
    round_done (n);
}

static void
probe_tick (struct labo_loop *loop, void *data)
{
  struct sv_node *n = data;
  if (n->u.state == SV_UP && n->pending == 0)
    ask (n);
}

void
sv_ensemble_check (struct sv *sv)
{
  size_t n_zk = 0;
  cleanup_free enum labo_mode *modes = xcalloc (sv->n_nodes + 1, sizeof (*modes));
  cleanup_free const char **names = xcalloc (sv->n_nodes + 1, sizeof (*names));
  cleanup_free char *text = NULL;
  struct labo_ensemble e;
  const char *leader;

  for (size_t i = 0; i < sv->n_nodes; i++)
    {
      const struct sv_node *n = &sv->nodes[i];
      if (n->node->service != LABO_SERVICE_ZOOKEEPER)
        continue;
      modes[n_zk] = n->mode;
      names[n_zk++] = n->u.name;
    }
  if (n_zk == 0)
    return;
  /* the definition status uses too (labo/zk.h) */
  labo_ensemble_assess (modes, n_zk, &e);
  leader = e.quorum ? names[e.leader] : NULL;
  if (sv->ensemble_known && e.quorum == sv->quorum
      && strcmp (leader ? leader : "", sv->leader) == 0)
    return;
  text = labo_ensemble_text (&e, modes, names);
  if (e.quorum && sv->quorum && sv->ensemble_known)
    sv_event (sv, "leader", leader, json_pack ("{s:s, s:s}", "leader", leader, "was", sv->leader),
              "%s leads (was %s)", leader, sv->leader);
  else if (e.quorum || sv->ensemble_known || sv->quorum)
    sv_event (sv, "quorum", sv->lab->name,
              json_pack ("{s:s?, s:b, s:i, s:i, s:i}", "leader", leader, "quorum", e.quorum,
                         "serving", (int) e.serving, "servers", (int) e.servers, "leaders",
                         (int) e.leaders),
              "%s", text);
  sv->ensemble_known = true;
  sv->quorum = e.quorum;
  snprintf (sv->leader, sizeof (sv->leader), "%s", leader ? leader : "");
}

json_t *
sv_node_probe_json (const struct sv_node *n)
{
  char when[32];
  json_t *o = json_object ();
  bool serving = labo_mode_has_role (n->mode);

  json_object_set_new (o, "mode", json_string (n->not_started ? "not started"
                                                               : labo_mode_name (n->mode)));
  if (serving)
    {
      cleanup_free char *zx = xasprintf ("0x%llx", (unsigned long long) n->result.zxid);
      json_object_set_new (o, "zxid", json_string (zx));
      json_object_set_new (o, "outstanding", json_integer (n->result.outstanding));
    }
  json_object_set_new (o, "synced_followers",
                       n->result.synced >= 0 ? json_integer (n->result.synced)
                                                : json_null ());
  json_object_set_new (o, "probe_failures", json_integer (n->failures));
  json_object_set_new (o, "probed_at",
                       n->probed_at > 0 ? json_string (labo_iso_time (n->probed_at, when)) : json_null ());
  return o;
}
