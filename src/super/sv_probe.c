/* The supervisor's probes: every probe interval, each running node is
 * asked ruok (alive?), then srvr (its mode, zxid, outstanding requests),
 * then mntr (a leader's synced followers). A node that answered once and
 * then misses `failures` probes in a row, or that never answers within
 * `grace` of its start, is hung and killed (its death restarts it). After
 * each answer the ensemble is looked at again: a new leader, a quorum lost
 * or regained is an event. */
#include "sv.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "labo/docker_up.h"
#include "labo/util.h"

static const char *const words[] = { "ruok", "srvr", "mntr" };
#define FIRST_PROBE_S 1.0 /* a JVM opens its port about 0.6 s after exec */

static void probe_tick (struct labo_loop *loop, void *data);

static void
schedule (struct sv_node *n, double delay)
{
  n->probe_timer.cb = probe_tick;
  n->probe_timer.data = n;
  if (n->u.cfg->probe_interval_ms > 0)
    labo_timer_arm (n->u.sv->loop, &n->probe_timer, labo_now () + delay);
}

void
sv_probe_begin (struct sv_node *n)
{
  double first = n->u.cfg->probe_interval_ms / 1e3;

  sv_probe_end (n);
  n->answered = false;
  n->failures = 0;
  n->started = labo_now ();
  schedule (n, first < FIRST_PROBE_S ? first : FIRST_PROBE_S);
}

void
sv_probe_end (struct sv_node *n)
{
  labo_timer_disarm (n->u.sv->loop, &n->probe_timer);
  if (n->probe)
    labo_zk_probe_cancel (n->u.sv->loop, n->probe);
  n->probe = NULL;
  n->mode = LABO_ZK_DOWN;
  n->synced_followers = -1;
  memset (&n->srvr, 0, sizeof (n->srvr));
}

/* Kills a hung node: its death restarts it. */
static void
hung (struct sv_node *n, const char *why)
{
  sv_event (n->u.sv, "hung", n->u.name, json_pack ("{s:i}", "failures", n->failures), "%s", why);
  snprintf (n->u.cause, sizeof (n->u.cause), "hung (%s)", why);
  sv_probe_end (n);
  if (n->u.sv->runtime == LABO_RUNTIME_DOCKER)
    sv_docker_kill_node (n);
  else
    sv_process_kill_node (n);
}

static void
failed (struct sv_node *n, const char *error)
{
  char a[24], b[24];
  double up = labo_now () - n->started;

  n->failures++;
  if (n->mode != LABO_ZK_DOWN)
    sv_event (n->u.sv, "role", n->u.name,
              json_pack ("{s:s, s:s, s:s}", "mode", "down", "was", labo_zk_mode_name (n->mode),
                         "error", error),
              "down (was %s): %s", labo_zk_mode_name (n->mode), error);
  n->mode = LABO_ZK_DOWN;
  if (n->answered && n->failures >= n->u.cfg->probe_failures)
    {
      cleanup_free char *why = xasprintf ("%d probes in a row unanswered (last: %s)",
                                          n->failures, error);
      hung (n, why);
      return;
    }
  if (!n->answered && up * 1000 > n->u.cfg->probe_grace_ms)
    {
      cleanup_free char *why = xasprintf ("no answer within %s of its start (last: %s)",
                                          labo_duration_format ((long long) (up * 1000), a),
                                          error);
      (void) b;
      hung (n, why);
      return;
    }
  sv_ensemble_check (n->u.sv);
  schedule (n, n->u.cfg->probe_interval_ms / 1e3);
}

static void ask (struct sv_node *n, int step);

static void
on_reply (void *data, const char *reply, const char *error)
{
  struct sv_node *n = data;
  struct sv *sv = n->u.sv;
  int step = n->probe_step;

  n->probe = NULL;
  if (error)
    {
      failed (n, error);
      return;
    }
  if (step == 0)
    {
      if (strncmp (reply, "imok", 4) != 0)
        {
          cleanup_free char *what = xasprintf ("ruok answered \"%.32s\"", reply);
          failed (n, what);
          return;
        }
      n->answered = true;
      n->failures = 0;
      n->probed_at = labo_wall ();
    }
  else if (step == 1)
    {
      struct labo_zk_srvr s;
      enum labo_zk_mode before = n->mode;
      if (labo_zk_parse_srvr (reply, &s) == 0)
        {
          n->srvr = s;
          n->mode = s.mode;
          if (before != n->mode)
            sv_event (sv, "role", n->u.name,
                      json_pack ("{s:s, s:s}", "mode", labo_zk_mode_name (n->mode), "was",
                                 labo_zk_mode_name (before)),
                      "%s (was %s)", labo_zk_mode_name (n->mode), labo_zk_mode_name (before));
        }
    }
  else
    {
      cleanup_free char *sf = labo_zk_mntr_get (reply, "zk_synced_followers");
      n->synced_followers = sf ? atol (sf) : -1;
    }
  if (step < 2)
    {
      ask (n, step + 1);
      return;
    }
  sv_ensemble_check (sv);
  schedule (n, n->u.cfg->probe_interval_ms / 1e3);
}

/* Where to ask: the published client port on the host's lab address, from
 * inside the host (as `labo status` does); without one, the client port
 * inside the container (Docker) or on the node's overlay address (process). */
static void
ask (struct sv_node *n, int step)
{
  struct sv *sv = n->u.sv;
  const struct labo_node *node = n->node;
  int port = labo_node_client_port (node), ns = sv->host_ns[node->host];
  uint32_t addr = sv->lab->hosts[node->host].lab_address;
  cleanup_close int own = -1;
  labo_error_t err = NULL;

  if (port < 0)
    {
      port = node->client_port;
      if (sv->runtime == LABO_RUNTIME_DOCKER)
        {
          char path[64];
          snprintf (path, sizeof (path), "/proc/%d/ns/net", (int) n->u.pid);
          own = open (path, O_RDONLY | O_CLOEXEC);
          ns = own;
          addr = 0x7f000001;
        }
      else
        addr = node->address;
    }
  n->probe_step = step;
  n->probe = labo_zk_probe_start (sv->loop, ns, addr, (uint16_t) port, words[step],
                                  n->u.cfg->probe_timeout_ms, on_reply, n, &err);
  if (n->probe == NULL)
    {
      failed (n, err->msg);
      labo_error_release (&err);
    }
}

static void
probe_tick (struct labo_loop *loop, void *data)
{
  struct sv_node *n = data;
  if (n->u.state == SV_UP && n->probe == NULL)
    ask (n, 0);
}

void
sv_ensemble_check (struct sv *sv)
{
  size_t n_zk = 0, serving = 0, leaders = 0, majority;
  const char *leader = NULL;
  bool quorum;

  for (size_t i = 0; i < sv->n_nodes; i++)
    {
      const struct sv_node *n = &sv->nodes[i];
      if (n->node->service != LABO_SERVICE_ZOOKEEPER)
        continue;
      n_zk++;
      if (n->mode == LABO_ZK_LEADER || (n->mode == LABO_ZK_STANDALONE && sv->n_nodes == 1))
        leaders++, leader = n->u.name;
      if (n->mode >= LABO_ZK_LEADER)
        serving++;
    }
  if (n_zk == 0)
    return;
  majority = n_zk / 2 + 1;
  quorum = leaders == 1 && serving >= majority;
  if (!quorum)
    leader = NULL;
  if (sv->ensemble_known && quorum == sv->quorum
      && strcmp (leader ? leader : "", sv->leader) == 0)
    return;
  if (quorum && sv->quorum && sv->ensemble_known)
    sv_event (sv, "leader", leader, json_pack ("{s:s, s:s}", "leader", leader, "was", sv->leader),
              "%s leads (was %s)", leader, sv->leader);
  else if (quorum)
    sv_event (sv, "quorum", sv->lab->name,
              json_pack ("{s:s, s:i, s:i}", "leader", leader, "serving", (int) serving,
                         "servers", (int) n_zk),
              "%s leads; %zu of %zu servers serving", leader, serving, n_zk);
  else if (sv->ensemble_known || sv->quorum)
    sv_event (sv, "quorum", sv->lab->name,
              json_pack ("{s:n, s:i, s:i}", "leader", "serving", (int) serving, "servers",
                         (int) n_zk),
              "no quorum: %zu of %zu servers serving, %zu needed", serving, n_zk, majority);
  sv->ensemble_known = true;
  sv->quorum = quorum;
  snprintf (sv->leader, sizeof (sv->leader), "%s", leader ? leader : "");
}

json_t *
sv_node_probe_json (const struct sv_node *n)
{
  char when[32];
  json_t *o = json_object ();
  bool serving = n->mode >= LABO_ZK_LEADER;

  json_object_set_new (o, "mode", json_string (labo_zk_mode_name (n->mode)));
  if (serving)
    {
      cleanup_free char *zx = xasprintf ("0x%llx", (unsigned long long) n->srvr.zxid);
      json_object_set_new (o, "zxid", json_string (zx));
      json_object_set_new (o, "outstanding", json_integer (n->srvr.outstanding));
    }
  json_object_set_new (o, "synced_followers",
                       n->synced_followers >= 0 ? json_integer (n->synced_followers)
                                                : json_null ());
  json_object_set_new (o, "probe_failures", json_integer (n->failures));
  json_object_set_new (o, "probed_at",
                       n->probed_at > 0 ? json_string (labo_iso_time (n->probed_at, when)) : json_null ());
  return o;
}
