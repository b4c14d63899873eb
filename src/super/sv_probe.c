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

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "labo/host/host.h"
#include "labo/model/records.h"
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

/* ---- exec health checks, off the loop ----
 * labo_pid_run blocks until the command ends (up to the probe timeout):
 * it runs in a child of the supervisor, which writes its verdict into a
 * pipe ("O" and the output, or "E" and labo_pid_run's error) and exits with
 * the command's status; the loop watches the child's pidfd. */

static void
exec_close (struct sv_node *n)
{
  labo_timer_disarm (n->u.sv->loop, &n->exec_timer);
  labo_loop_del (n->u.sv->loop, n->exec_pidfd);
  close (n->exec_pidfd);
  close (n->exec_out);
  n->exec_pid = 0;
}

/* Stops a check in flight: the child killed and reaped (a SIGKILLed
 * process goes at once; the command it started dies at its own deadline,
 * labo_pid_run's). */
static void
exec_cancel (struct sv_node *n)
{
  siginfo_t si;

  if (n->exec_pid <= 0)
    return;
  syscall (SYS_pidfd_send_signal, n->exec_pidfd, SIGKILL, NULL, 0);
  while (waitid ((idtype_t) P_PIDFD, (id_t) n->exec_pidfd, &si, WEXITED) < 0 && errno == EINTR)
    ;
  exec_close (n);
}

static void round_done (struct sv_node *n);

static void
on_exec_done (struct labo_loop *loop, int fd, uint32_t events, void *data)
{
  struct sv_node *n = data;
  char *const *argv = labo_kind_of (n->node)->exec (n->node);
  char buf[LABO_KIND_EXEC_OUT_MAX + 2];
  siginfo_t si;
  ssize_t len = 0;
  int status = -1;

  (void) loop;
  (void) fd;
  (void) events;
  memset (&si, 0, sizeof (si));
  if (waitid ((idtype_t) P_PIDFD, (id_t) n->exec_pidfd, &si, WEXITED | WNOHANG) < 0
      || si.si_pid == 0)
    return; /* not yet: a spurious wake-up */
  /* the child has exited: all it wrote is in the pipe */
  while ((len = read (n->exec_out, buf, sizeof (buf) - 1)) < 0 && errno == EINTR)
    ;
  buf[len > 0 ? len : 0] = '\0';
  exec_close (n);
  if (si.si_code == CLD_EXITED && buf[0] == 'O')
    status = si.si_status;
  else if (si.si_code != CLD_EXITED)
    status = 124; /* killed by the backstop: the command did not end in time */
  labo_kind_exec_outcome (argv, status, buf[0] ? buf + 1 : "no verdict from the check's process",
                          n->u.cfg->probe_timeout_ms, &n->reply[0], &n->error[0]);
  if (--n->pending == 0)
    round_done (n);
}

static void
on_exec_late (struct labo_loop *loop, void *data)
{
  struct sv_node *n = data;
  (void) loop;
  /* its pidfd then says it is gone */
  syscall (SYS_pidfd_send_signal, n->exec_pidfd, SIGKILL, NULL, 0);
}

/* Starts the check; 0, or -1 with *error set. */
static int
exec_start (struct sv_node *n, char *const *argv, char **error)
{
  struct labo_loop *loop = n->u.sv->loop;
  int timeout_ms = n->u.cfg->probe_timeout_ms, p[2], pidfd;
  labo_error_t err = NULL;
  pid_t child;

  if (n->u.pid <= 0)
    {
      *error = xasprintf ("node %s is not running", n->u.name);
      return -1;
    }
  if (pipe2 (p, O_CLOEXEC | O_NONBLOCK) < 0)
    {
      *error = xasprintf ("running the health check of %s: making a pipe: %s", n->u.name,
                          strerror (errno));
      return -1;
    }
  child = fork ();
  if (child < 0)
    {
      *error = xasprintf ("running the health check of %s: fork: %s", n->u.name,
                          strerror (errno));
      close (p[0]);
      close (p[1]);
      return -1;
    }
  if (child == 0)
    {
      sigset_t none;
      char *out = NULL;
      int st;

      /* the loop's blocked signals and ignored SIGPIPE are not the
       * command's; nor does it outlive the supervisor's end */
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      signal (SIGPIPE, SIG_DFL);
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      st = labo_pid_run (n->u.pid, n->u.name, argv, NULL, timeout_ms, LABO_KIND_EXEC_OUT_MAX,
                         &out, &err);
      if (st < 0)
        dprintf (p[1], "E%s", err->msg);
      else
        dprintf (p[1], "O%s", out);
      _exit (st < 0 ? 0 : st & 0xff);
    }
  close (p[1]);
  pidfd = (int) syscall (SYS_pidfd_open, child, 0);
  if (pidfd < 0 || labo_loop_add (loop, pidfd, EPOLLIN, on_exec_done, n, &err) < 0)
    {
      *error = xasprintf ("running the health check of %s: watching its process: %s",
                          n->u.name, err ? err->msg : strerror (errno));
      labo_error_release (&err);
      kill (child, SIGKILL);
      waitpid (child, NULL, 0);
      if (pidfd >= 0)
        close (pidfd);
      close (p[0]);
      return -1;
    }
  n->exec_pid = child;
  n->exec_pidfd = pidfd;
  n->exec_out = p[0];
  labo_timer_init (&n->exec_timer, on_exec_late, n);
  labo_timer_arm (loop, &n->exec_timer, labo_now () + timeout_ms / 1e3 + 2.0);
  return 0;
}

static void
round_clear (struct sv_node *n)
{
  exec_cancel (n);
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
  char *const *argv = kind->exec ? kind->exec (node) : NULL;
  uint16_t port = kind->port (node);
  cleanup_close int own = -1;
  struct labo_node_reach r;

  if (argv != NULL || port == 0)
    {
      /* request 0 is answered in the node: its check runs there (off the
       * loop), or there is nothing to ask, and a node whose unit is up
       * runs (probes are asked of nodes up only: probe_tick) */
      round_clear (n);
      n->pending = 0;
      if (argv == NULL)
        n->reply[0] = xstrdup ("");
      else if (exec_start (n, argv, &n->error[0]) == 0)
        n->pending = 1;
      if (n->pending == 0)
        round_done (n);
      return;
    }
  labo_node_reach_port (sv->lab, node, port, &r);
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
      char buf[LABO_KIND_ASK_MAX];
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
  if (n->paused)
    schedule (n, n->u.cfg->probe_interval_ms / 1e3 / 2); /* asked again once resumed */
  else if (n->u.state == SV_UP && n->pending == 0)
    ask (n);
}

void
sv_probe_hold (struct sv_node *n, bool paused)
{
  struct sv *sv = n->u.sv;

  if (n->paused == paused)
    return;
  n->paused = paused;
  sv_event (sv, paused ? "pause" : "resume", n->u.name,
            json_pack ("{s:s, s:s}", "verb", paused ? "pause" : "resume", "was",
                       labo_mode_name (n->mode)),
            paused ? "held for `labo pause`: frozen with its sockets, not probed, not restarted"
                   : "probed again (`labo resume`)");
  if (paused)
    {
      /* a round in flight would only time out */
      round_clear (n);
      n->mode = LABO_MODE_DOWN;
      sv_ensemble_check (sv);
    }
  else
    {
      /* counted from now: a node frozen for minutes is no hung node */
      n->failures = 0;
      n->started = labo_now ();
      if (n->u.state == SV_UP)
        schedule (n, 0);
    }
}

void
sv_probe_pause_lost (struct sv_node *n)
{
  labo_error_t err = NULL;

  if (!n->paused)
    return;
  n->paused = false;
  if (labo_paused_record (n->u.sv->lab, n->index, false, &err) < 0)
    {
      sv_event (n->u.sv, "warning", n->u.name, NULL, "%s", err->msg);
      labo_error_release (&err);
    }
  sv_event (n->u.sv, "resume", n->u.name, json_pack ("{s:s}", "verb", "died"),
            "died while paused: the pause ends with it");
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

  const struct labo_kind *electing = NULL;

  /* the ensemble: the nodes of the lab's first electing kind */
  for (size_t i = 0; i < sv->n_nodes && electing == NULL; i++)
    if (labo_kind_of (sv->nodes[i].node)->elects)
      electing = labo_kind_of (sv->nodes[i].node);
  for (size_t i = 0; i < sv->n_nodes; i++)
    {
      const struct sv_node *n = &sv->nodes[i];
      if (labo_kind_of (n->node) != electing)
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
  bool serving = n->mode >= LABO_MODE_LEADER && n->node->service == LABO_SERVICE_ZOOKEEPER;

  json_object_set_new (o, "mode", json_string (n->paused        ? "paused"
                                               : n->not_started ? "not started"
                                                                : labo_mode_name (n->mode)));
  json_object_set_new (o, "paused", json_boolean (n->paused));
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
