/* The supervisor's Docker runtime: a dockerd per host, watched through its
 * pidfd (the supervisor's child, so its exit status is known) and its
 * /events stream; the nodes are containers, each watched through the pidfd
 * of its init (the kernel's word that it died, a millisecond after) and the
 * daemon's "die" event (Docker's word, with the exit code, tens of
 * milliseconds later: a container is only restarted once Docker knows it
 * stopped, or it would answer "already started"). */
#include "sv_runtime.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "labo/kind/kind.h"
#include "labo/docker/daemon.h"
#include "labo/docker/docker.h"
#include "labo/model/state.h"
#include "labo/util/util.h"
#include "labo/zk/zk.h"

#include "sv_probe.h"
#include "unit.h"

#define READY_TIMEOUT_S 60  /* a dockerd that has not answered /_ping by then is stuck */
#define PING_RETRY_S 0.05   /* the socket exists but refuses: seconds from serving */
#define SETTLE_S 5.0        /* pidfd said dead, Docker has not: ask it */
#define EVENTS_REOPEN_S 0.5 /* its event stream ended: its pidfd's moment to say it died */
/* Docker's calls: creating and starting a container wait on its image and
 * its network's attachment; asking about one or signalling it does not;
 * a daemon that answers at all answers /_ping and its gossip at once. */
#define CALL_TIMEOUT_MS 60000L
#define QUERY_TIMEOUT_MS 20000L
#define PING_TIMEOUT_MS 2000L

static void node_inspect (struct sv_node *n);
static void node_start (struct sv_unit *u);
static void create_then_start (struct sv_node *n);
static void daemon_launch (struct sv_daemon *d);
static void nodes_inspect (struct sv_daemon *d);

static struct sv_daemon *
daemon_of (struct sv_unit *u)
{
  return (struct sv_daemon *) u;
}

static struct sv_node *
node_of (struct sv_unit *u)
{
  return (struct sv_node *) u;
}

/* ---- daemons ---- */

static void
ready_stop (struct sv_daemon *d)
{
  struct sv *sv = d->u.sv;
  labo_timer_disarm (sv->loop, &d->ready_timer);
  if (d->ping)
    labo_dcall_cancel (sv->dm, d->ping);
  d->ping = NULL;
  if (d->inotify_fd >= 0)
    {
      labo_loop_del (sv->loop, d->inotify_fd);
      close (d->inotify_fd);
    }
  d->inotify_fd = -1;
}

static void
events_stop (struct sv_daemon *d)
{
  if (d->events)
    labo_dcall_cancel (d->u.sv->dm, d->events);
  d->events = NULL;
  d->events_open = false;
}

/* What went wrong with a call, in Docker's words: "MESSAGE (HTTP N)", or
 * the transport's error. Caller frees. */
static char *
docker_says (long status, const char *body, size_t len, const char *error)
{
  cleanup_free char *msg = NULL;
  if (error)
    return xstrdup (error);
  msg = labo_docker_error_message (body, len);
  return xasprintf ("%s (HTTP %ld)", msg[0] ? msg : "empty reply", status);
}

static struct sv_node *
node_named (struct sv *sv, const char *name)
{
  for (size_t i = 0; name && i < sv->n_nodes; i++)
    if (strcmp (sv->nodes[i].u.name, name) == 0)
      return &sv->nodes[i];
  return NULL;
}

/* "exit 137 (SIGKILL)": Docker's exit code, with the signal it means. */
static void
docker_exit_text (long code, char *buf, size_t len)
{
  const char *abbrev = code > 128 && code < 128 + 65 ? sigabbrev_np ((int) code - 128) : NULL;
  if (abbrev)
    snprintf (buf, len, "exit %ld (SIG%s)", code, abbrev);
  else
    snprintf (buf, len, "exit %ld", code);
}

static void
node_died (struct sv_node *n, const char *exit_text)
{
  const char *cause = "exited";
  char why[128];

  labo_timer_disarm (n->u.sv->loop, &n->settle_timer);
  sv_probe_end (n);
  sv_probe_pause_lost (n);
  if (n->u.kill_sent)
    {
      snprintf (why, sizeof (why), "%s", n->u.cause[0] ? n->u.cause : "killed by the supervisor");
      cause = why;
    }
  sv_unit_died (&n->u, exit_text, cause);
  sv_ensemble_check (n->u.sv);
}

static void
on_event_line (void *data, const char *line, size_t len)
{
  struct sv_daemon *d = data;
  struct sv *sv = d->u.sv;
  json_t *ev = json_loadb (line, len, 0, NULL);
  json_t *attrs = json_object_get (json_object_get (ev, "Actor"), "Attributes");
  const char *action = json_string_value (json_object_get (ev, "Action"));
  const char *name = json_string_value (json_object_get (attrs, "labo.node"));
  struct sv_node *n = node_named (sv, name);

  if (n == NULL || action == NULL || n->daemon != d)
    {
      json_decref (ev);
      return;
    }
  if (strcmp (action, "die") == 0)
    {
      char text[64];
      const char *code = json_string_value (json_object_get (attrs, "exitCode"));
      docker_exit_text (code ? atol (code) : -1, text, sizeof (text));
      if (n->u.state == SV_UP || n->u.state == SV_STOPPING || n->u.state == SV_STARTING)
        {
          if (n->u.state == SV_STARTING && n->call)
            {
              /* died while its start was being answered: let the call finish */
              labo_dcall_cancel (sv->dm, n->call);
              n->call = NULL;
            }
          if (n->u.noticed == 0)
            n->u.noticed = labo_now ();
          node_died (n, text);
        }
    }
  else if (strcmp (action, "start") == 0)
    {
      /* started by someone else (`docker start`): take it as it is */
      if (n->u.state != SV_UP && n->u.state != SV_STARTING && n->call == NULL)
        node_inspect (n);
    }
  else if (strcmp (action, "oom") == 0)
    snprintf (n->u.cause, sizeof (n->u.cause), "out of memory");
  json_decref (ev);
}

static void
on_events_opened (void *data)
{
  struct sv_daemon *d = data;

  d->events_open = true;
  /* from now on no event is missed: see what runs (unless its nodes wait
   * for its gossip: they are seen to when they may start) */
  if (d->gate != SV_GATE_NODES)
    nodes_inspect (d);
}

static void
nodes_inspect (struct sv_daemon *d)
{
  struct sv *sv = d->u.sv;
  for (size_t i = 0; i < sv->n_nodes; i++)
    if (sv->nodes[i].daemon == d && sv->nodes[i].call == NULL)
      node_inspect (&sv->nodes[i]);
}

static void events_start (struct sv_daemon *d);

static void
events_retry (struct labo_loop *loop, void *data)
{
  struct sv_daemon *d = data;
  if (d->u.state != SV_UP || d->events != NULL)
    return;
  sv_event (d->u.sv, "warning", d->u.name, NULL,
            "the daemon's event stream ended, the daemon runs on: reopening it");
  events_start (d);
}

static void
on_events_done (void *data, long status, const char *body, size_t len, const char *error)
{
  struct sv_daemon *d = data;
  struct sv *sv = d->u.sv;

  d->events = NULL;
  d->events_open = false;
  if (d->u.state != SV_UP)
    return; /* the daemon's death is told by its pidfd */
  /* a dying process closes its sockets before its pidfd says it is gone:
   * give the pidfd its moment before reopening (the death disarms this) */
  d->ready_timer.cb = events_retry;
  labo_timer_arm (sv->loop, &d->ready_timer, labo_now () + EVENTS_REOPEN_S);
}

static void
events_start (struct sv_daemon *d)
{
  struct sv *sv = d->u.sv;
  cleanup_free char *path = labo_docker_events_path (sv->lab->name);

  events_stop (d);
  d->events = labo_dstream (sv->dm, d->paths.socket, d->u.name, "watching the daemon's events",
                            path, on_event_line, on_events_opened, on_events_done, d);
}

/* ---- the gossip gates ----
 *
 * Docker's overlay rests on its gossip (networkdb, over memberlist): which
 * host has which container is learnt from it, for the VXLAN forwarding
 * entries and for the embedded DNS. A dockerd that restarts comes back as
 * a new member of it (a new random id), and dockerd 20.10 has three ways
 * of leaving the overlay between the ZooKeeper nodes cut long after their
 * containers run again (issue 9; each seen in the daemons' logs):
 *   - a worker joins the manager's gossip once, as it starts; if the
 *     manager's is not listening yet (both daemons restarted together),
 *     the next try comes with a 60 s ticker: "could not join node to
 *     memberlist: ... connection refused", then 104 s and 124 s before the
 *     ensemble served again;
 *   - a worker that restarts before the manager has found its previous
 *     run dead (memberlist's failure detection, ~5 s) is handed that run
 *     by the manager as a live member at its own address, and takes it
 *     for a newer incarnation of itself: "is the new incarnation of the
 *     active node <its own id>", "NodeActive --> NodeLeft"; its container's
 *     network attachment then timed out after 20 s (in each of the six
 *     crashes of the worker's dockerd alone in the first measured series);
 *   - what a restarted daemon announces before it is back in the gossip
 *     reaches no one, and the others' entries reach it only with the
 *     periodic bulk sync, every 30 s: joining a network syncs it all at
 *     once, but only with the members known at that moment (25 to 45 s
 *     after each crash of the manager's daemon).
 * So a worker's daemon starts only once the manager's gossip runs and no
 * running daemon lists the worker's previous run any more; and the nodes
 * of a daemon the supervisor restarted start only once its gossip has
 * every other running daemon in it. The gossip is read through the
 * Engine API, as the ingress network's peers each daemon sees, every
 * GOSSIP_POLL_S while something waits on it (never otherwise); after
 * GOSSIP_WAIT_S (a cut network, a daemon whose gossip is stuck) what
 * waits goes on anyway, and the events say so. */
#define GOSSIP_POLL_S 0.2
#define GOSSIP_WAIT_S 20.0

static uint32_t
host_address (const struct sv_daemon *d)
{
  return d->u.sv->lab->hosts[d->host].lab_address;
}

static bool
gossip_lists (const struct sv_daemon *d, uint32_t addr)
{
  for (size_t i = 0; i < d->n_peers; i++)
    if (d->peers[i] == addr)
      return true;
  return false;
}

/* Known as asked at `since` or later: an older view proves nothing. */
static bool
gossip_known (const struct sv_daemon *d, double since)
{
  return d->peers_at > 0 && d->peers_at >= since;
}

static void
gossip_forget (struct sv_daemon *d)
{
  if (d->peers_call)
    labo_dcall_cancel (d->u.sv->dm, d->peers_call);
  d->peers_call = NULL;
  free (d->peers);
  d->peers = NULL;
  d->n_peers = 0;
  d->peers_at = 0;
}

static struct sv_daemon *
manager_daemon (struct sv *sv)
{
  for (size_t h = 0; h < sv->lab->n_hosts; h++)
    if (sv->lab->hosts[h].docker == LABO_DOCKER_MANAGER && sv->daemons[h].u.sv)
      return &sv->daemons[h];
  return NULL;
}

/* Runs, or will soon: one given up, left down or powered off is no one to
 * wait for. */
static bool
runs_or_will (const struct sv_daemon *d)
{
  return d->u.state == SV_UP || d->u.state == SV_STARTING || d->u.state == SV_DOWN;
}

static bool
start_gate_open (struct sv_daemon *d, char *why, size_t len)
{
  struct sv *sv = d->u.sv;
  struct sv_daemon *m = manager_daemon (sv);

  /* The manager joins no one: a lab has one, and the others join it, each
   * once it has found the manager's last run dead. */
  if (sv->lab->hosts[d->host].docker != LABO_DOCKER_WORKER)
    return true;
  if (m != NULL && m != d && runs_or_will (m)
      && !(m->u.state == SV_UP && gossip_known (m, d->gate_since)
           && gossip_lists (m, host_address (m))))
    {
      snprintf (why, len, "the gossip of %s (the manager) runs", m->u.name);
      return false;
    }
  for (size_t h = 0; h < sv->lab->n_hosts; h++)
    {
      struct sv_daemon *p = &sv->daemons[h];
      if (p == d || p->u.sv == NULL || p->u.state != SV_UP)
        continue;
      if (!gossip_known (p, d->gate_since) || gossip_lists (p, host_address (d)))
        {
          snprintf (why, len, "the gossip of %s has found its last run gone", p->u.name);
          return false;
        }
    }
  return true;
}

static bool
nodes_gate_open (struct sv_daemon *d, char *why, size_t len)
{
  struct sv *sv = d->u.sv;

  for (size_t h = 0; h < sv->lab->n_hosts; h++)
    {
      struct sv_daemon *p = &sv->daemons[h];
      if (p == d || p->u.sv == NULL || p->u.state != SV_UP)
        continue;
      if (!gossip_known (d, d->gate_since) || !gossip_lists (d, host_address (p)))
        {
          snprintf (why, len, "its gossip has %s in it", p->u.name);
          return false;
        }
    }
  return true;
}

static void
gate_open (struct sv_daemon *d, const char *timed_out)
{
  struct sv *sv = d->u.sv;
  enum sv_gate g = d->gate;
  long long waited = (long long) ((labo_now () - d->gate_since) * 1000);
  char w[24];

  d->gate = SV_GATE_NONE;
  if (timed_out)
    sv_event (sv, "warning", d->u.name, json_pack ("{s:I}", "waited_ms", (json_int_t) waited),
              "Docker's gossip: not seen within %s that %s; %s anyway",
              labo_duration_format (waited, w), timed_out,
              g == SV_GATE_START ? "starting the daemon" : "starting its nodes");
  else if (d->gate_told)
    sv_event (sv, "wait", d->u.name, json_pack ("{s:I}", "waited_ms", (json_int_t) waited),
              "waited %s for Docker's gossip", labo_duration_format (waited, w));
  if (g == SV_GATE_START)
    daemon_launch (d);
  else if (d->events_open)
    nodes_inspect (d);
}

/* Opens d's gate if it may: true if it did. */
static bool
gate_check (struct sv_daemon *d)
{
  char why[160];
  bool open = d->gate == SV_GATE_START ? start_gate_open (d, why, sizeof (why))
                                       : nodes_gate_open (d, why, sizeof (why));
  if (open)
    {
      gate_open (d, NULL);
      return true;
    }
  if (labo_now () - d->gate_since >= GOSSIP_WAIT_S)
    {
      gate_open (d, why);
      return true;
    }
  if (!d->gate_told)
    {
      d->gate_told = true;
      sv_event (d->u.sv, "wait", d->u.name, json_pack ("{s:s}", "until", why),
                "%s once %s (Docker's gossip)",
                d->gate == SV_GATE_START ? "the daemon starts" : "its nodes start", why);
    }
  return false;
}

static void
gates_check (struct sv *sv)
{
  bool waiting = false;

  for (size_t h = 0; h < sv->lab->n_hosts; h++)
    if (sv->daemons[h].u.sv && sv->daemons[h].gate != SV_GATE_NONE
        && !gate_check (&sv->daemons[h]))
      waiting = true;
  if (!waiting)
    labo_timer_disarm (sv->loop, &sv->gossip_timer);
  else if (!labo_timer_armed (&sv->gossip_timer))
    labo_timer_arm (sv->loop, &sv->gossip_timer, labo_now () + GOSSIP_POLL_S);
}

static void
on_peers (void *data, long status, const char *body, size_t len, const char *error)
{
  struct sv_daemon *d = data;
  uint32_t *addrs;
  size_t n;

  d->peers_call = NULL;
  /* anything else (no ingress network yet, the daemon's Swarm not back):
   * unknown, asked again at the next poll */
  if (status == 200 && labo_docker_network_peers (body, len, &addrs, &n) == 0)
    {
      free (d->peers);
      d->peers = addrs;
      d->n_peers = n;
      d->peers_at = d->peers_asked;
    }
  gates_check (d->u.sv);
}

/* Asks every running daemon for its gossip, while something waits on it. */
static void
gossip_poll (struct labo_loop *loop, void *data)
{
  struct sv *sv = data;

  for (size_t h = 0; h < sv->lab->n_hosts; h++)
    {
      struct sv_daemon *d = &sv->daemons[h];
      if (d->u.sv == NULL || d->u.state != SV_UP || d->peers_call != NULL)
        continue;
      d->peers_asked = labo_now ();
      d->peers_call = labo_dcall (sv->dm, d->paths.socket, d->u.name,
                                  "reading the daemon's gossip peers", "GET",
                                  LABO_DOCKER_GOSSIP_PATH, NULL, PING_TIMEOUT_MS, on_peers, d);
    }
  gates_check (sv);
}

static void
gate_set (struct sv_daemon *d, enum sv_gate g)
{
  if (d->gate != g)
    {
      d->gate = g;
      d->gate_since = labo_now ();
      d->gate_told = false;
    }
  gossip_poll (d->u.sv->loop, d->u.sv);
}

static void
daemon_ready (struct sv_daemon *d, bool counted)
{
  bool ours = d->u.ours;

  ready_stop (d);
  sv_unit_up (&d->u, labo_proc_start_wall (d->u.pid), counted);
  events_start (d);
  /* a run the supervisor started: its nodes died with the last one */
  if (ours)
    gate_set (d, SV_GATE_NODES);
}

static void ping_now (struct sv_daemon *d);

static void
ready_tick (struct labo_loop *loop, void *data)
{
  struct sv_daemon *d = data;

  if (labo_now () > d->ready_deadline)
    {
      /* stuck: kill it, its death goes the usual way */
      snprintf (d->u.cause, sizeof (d->u.cause), "did not answer /_ping within %d s",
                READY_TIMEOUT_S);
      d->u.kill_sent = true;
      ready_stop (d);
      kill (d->u.pid, SIGKILL);
      return;
    }
  ping_now (d);
}

static void
on_ping (void *data, long status, const char *body, size_t len, const char *error)
{
  struct sv_daemon *d = data;
  struct sv *sv = d->u.sv;

  d->ping = NULL;
  if (status == 200 && len == 2 && memcmp (body, "OK", 2) == 0)
    {
      daemon_ready (d, d->u.ours || d->u.policy.starts == 0);
      return;
    }
  d->ready_timer.cb = ready_tick;
  labo_timer_arm (sv->loop, &d->ready_timer, labo_now () + PING_RETRY_S);
}

static void
ping_now (struct sv_daemon *d)
{
  struct sv *sv = d->u.sv;
  if (access (d->paths.socket, F_OK) != 0)
    return; /* inotify tells when it appears */
  if (d->ping == NULL)
    d->ping = labo_dcall (sv->dm, d->paths.socket, d->u.name, "pinging the Docker daemon", "GET",
                          "/_ping", NULL, PING_TIMEOUT_MS, on_ping, d);
}

static void
on_run_dir (struct labo_loop *loop, int fd, uint32_t events, void *data)
{
  struct sv_daemon *d = data;
  char buf[4096];
  while (read (fd, buf, sizeof (buf)) > 0)
    ;
  ping_now (d);
}

/* Waits for the daemon to answer: the socket's appearance (inotify), then
 * /_ping, again every 50 ms while it refuses, 60 s at most. */
static void
await_ready (struct sv_daemon *d)
{
  struct sv *sv = d->u.sv;
  labo_error_t err = NULL;

  ready_stop (d);
  d->ready_deadline = labo_now () + READY_TIMEOUT_S;
  d->inotify_fd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  if (d->inotify_fd >= 0
      && (inotify_add_watch (d->inotify_fd, d->paths.run, IN_CREATE | IN_ATTRIB) < 0
          || labo_loop_add (sv->loop, d->inotify_fd, EPOLLIN, on_run_dir, d, &err) < 0))
    {
      labo_error_release (&err);
      close (d->inotify_fd);
      d->inotify_fd = -1;
    }
  /* the deadline, and a retry when inotify could not be had */
  d->ready_timer.cb = ready_tick;
  labo_timer_arm (sv->loop, &d->ready_timer,
                  labo_now () + (d->inotify_fd < 0 ? PING_RETRY_S : READY_TIMEOUT_S));
  ping_now (d);
}

static void
daemon_exited (struct sv_unit *u, const char *exit_text)
{
  struct sv_daemon *d = daemon_of (u);
  struct sv *sv = u->sv;
  const char *cause = u->kill_sent && u->cause[0] ? u->cause : "exited";
  char why[128];

  snprintf (why, sizeof (why), "%s", cause);
  ready_stop (d);
  events_stop (d);
  d->gate = SV_GATE_NONE;
  gossip_forget (d);
  if (u->state == SV_OFF)
    {
      sv_unit_died (u, exit_text, "powered off");
      return; /* its nodes are off with it */
    }
  /* its containers are stopped when it starts again: they will start with it */
  for (size_t i = 0; i < sv->n_nodes; i++)
    {
      struct sv_node *n = &sv->nodes[i];
      const struct sv_unit_arg a = { .exit_text = "unknown", .cause = "its daemon died" };
      if (n->daemon != d)
        continue;
      if (n->call)
        labo_dcall_cancel (sv->dm, n->call);
      n->call = NULL;
      labo_timer_disarm (sv->loop, &n->settle_timer);
      sv_probe_end (n); /* (nothing to end for one that was not running) */
      sv_probe_pause_lost (n);
      sv_unit_on (&n->u, SV_ON_DAEMON_DIED, &a);
    }
  sv_unit_died (u, exit_text, why);
  sv_ensemble_check (sv);
}

/* The unit's start: through the gossip's gate (above). */
static void
daemon_start (struct sv_unit *u)
{
  gate_set (daemon_of (u), SV_GATE_START);
}

static void
daemon_launch (struct sv_daemon *d)
{
  struct sv_unit *u = &d->u;
  struct sv *sv = u->sv;
  labo_error_t err = NULL;
  pid_t pid;

  gossip_forget (d);
  /* its last run's containers may outlive it as namespaces whose ports on
   * docker_gwbridge take the published ports' traffic away from the new
   * ones (daemon.c): a failure here is no reason not to start it */
  if (labo_daemon_clear_bridges (sv->lab, d->host, &err) < 0)
    {
      sv_event (sv, "warning", u->name, NULL, "%s; starting the daemon all the same", err->msg);
      labo_error_release (&err);
    }
  pid = labo_daemon_start (sv->lab, d->host, &err);
  if (pid < 0)
    {
      sv_unit_start_failed (u, err->msg);
      labo_error_release (&err);
      return;
    }
  sv_unit_on (u, SV_ON_LAUNCH, NULL);
  if (sv_watch_pid (u, pid, true) < 0)
    {
      /* died already: the policy decides */
      u->pid = pid;
      daemon_exited (u, "unknown");
      return;
    }
  await_ready (d);
}

/* A daemon found at start: its pid file names a live dockerd of this host. */
static pid_t
daemon_running (struct sv_daemon *d, struct sv *sv)
{
  cleanup_free char *text = labo_read_file (d->paths.pidfile, NULL);
  char path[64];
  cleanup_free char *comm = NULL;
  struct stat mine, theirs;
  pid_t pid = text ? (pid_t) atol (text) : 0;

  if (pid <= 0)
    return 0;
  snprintf (path, sizeof (path), "/proc/%d/comm", (int) pid);
  comm = labo_read_file (path, NULL);
  if (comm == NULL || strncmp (comm, "dockerd", 7) != 0)
    return 0;
  /* a dockerd, in this very host (pids are reused, hosts have one each) */
  snprintf (path, sizeof (path), "/proc/%d/ns/net", (int) pid);
  if (fstat (sv->host_ns[d->host], &mine) < 0 || stat (path, &theirs) < 0
      || mine.st_ino != theirs.st_ino)
    return 0;
  return pid;
}

/* ---- nodes ---- */

/* A call about node n to its host's daemon; it is the node's call in flight. */
static void
node_call (struct sv_node *n, const char *op, const char *method, const char *path, json_t *body,
           long timeout_ms, labo_dcall_done done)
{
  n->call = labo_dcall (n->u.sv->dm, n->daemon->paths.socket, n->daemon->u.name, op, method, path,
                        body, timeout_ms, done, n);
}

/* Docker refused to create or start it: "WHAT failed: ...", to the policy. */
static void
refused (struct sv_node *n, const char *what, long status, const char *body, size_t len,
         const char *error)
{
  cleanup_free char *msg = docker_says (status, body, len, error);
  cleanup_free char *why = xasprintf ("%s failed: %s", what, msg);
  sv_unit_start_failed (&n->u, why);
}

static void
on_settle (struct labo_loop *loop, void *data)
{
  struct sv_node *n = data;
  /* the kernel said it died; Docker has said nothing for SETTLE_S: ask */
  if (n->call == NULL)
    node_inspect (n);
}

static void
node_exited (struct sv_unit *u, const char *exit_text)
{
  struct sv_node *n = node_of (u);

  sv_probe_pause_lost (n);
  if (u->state == SV_OFF)
    {
      sv_unit_died (u, exit_text, "powered off");
      return;
    }
  /* the container's init is gone; Docker's "die" event brings the exit
   * code and makes the restart possible */
  sv_probe_end (n);
  labo_timer_arm (u->sv->loop, &n->settle_timer, labo_now () + SETTLE_S);
}

/* The container as Docker describes it: running (watch its init), exited
 * (a death, unless it was one already), or missing (create it). */
static void
on_inspect (void *data, long status, const char *body, size_t len, const char *error)
{
  struct sv_node *n = data;
  struct sv *sv = n->u.sv;
  json_t *info, *st;
  const char *s;

  n->call = NULL;
  if (status == 404)
    {
      /* removed: made again, with the spec `up` used */
      free (n->start_error);
      n->start_error = NULL;
      if (n->u.state == SV_UP || n->u.state == SV_STOPPING)
        node_died (n, "removed");
      else if (n->u.state == SV_WAITING || n->u.state == SV_STARTING)
        create_then_start (n);
      return;
    }
  if (status != 200)
    {
      cleanup_free char *msg = docker_says (status, body, len, error);
      sv_event (sv, "warning", n->u.name, NULL, "inspecting the container: %s", msg);
      return;
    }
  info = json_loadb (body, len, 0, NULL);
  st = json_object_get (info, "State");
  s = json_string_value (json_object_get (st, "Status"));
  /* paused (`labo pause`) is running, frozen: its pid is watched the same */
  if (s && (strcmp (s, "running") == 0 || strcmp (s, "paused") == 0))
    {
      pid_t pid = (pid_t) json_integer_value (json_object_get (st, "Pid"));
      if (n->u.state != SV_UP || n->u.pidfd < 0)
        {
          /* a start is counted once: the supervisor's own, the first one
           * (by `up`), or one made by hand while it waited to restart */
          bool counted = n->u.ours || n->u.policy.starts == 0 || n->u.state == SV_DOWN;
          if (pid <= 0 || sv_watch_pid (&n->u, pid, false) < 0)
            {
              json_decref (info);
              node_inspect (n); /* it ended between the two: ask again */
              return;
            }
          sv_unit_up (&n->u, labo_proc_start_wall (pid), counted);
          sv_probe_begin (n);
        }
    }
  else if (n->start_error)
    {
      /* the container is there: the 404 of its start was about something
       * else (a network this daemon does not know yet) */
      cleanup_free char *why = xasprintf ("starting the container failed: %s", n->start_error);
      free (n->start_error);
      n->start_error = NULL;
      sv_unit_start_failed (&n->u, why);
    }
  else
    {
      char text[64];
      docker_exit_text ((long) json_integer_value (json_object_get (st, "ExitCode")), text,
                        sizeof (text));
      if (n->u.state == SV_UP || n->u.state == SV_STOPPING)
        node_died (n, text);
      else if (n->u.state == SV_WAITING || n->u.state == SV_STARTING)
        node_start (&n->u); /* after its daemon's restart, or found stopped */
    }
  json_decref (info);
}

static void
node_inspect (struct sv_node *n)
{
  cleanup_free char *path = xasprintf ("/containers/%s/json", n->u.name);

  node_call (n, "inspecting a container", "GET", path, NULL, QUERY_TIMEOUT_MS, on_inspect);
}

static void
on_started (void *data, long status, const char *body, size_t len, const char *error)
{
  struct sv_node *n = data;

  n->call = NULL;
  if (status == 204 || status == 304)
    {
      node_inspect (n); /* its pid, and whether it still runs */
      return;
    }
  if (status == 404)
    {
      /* no such container, or no such network yet: the container says */
      free (n->start_error);
      n->start_error = docker_says (status, body, len, error);
      node_inspect (n);
      return;
    }
  refused (n, "starting the container", status, body, len, error);
}

static void
start_container (struct sv_node *n)
{
  cleanup_free char *path = xasprintf ("/containers/%s/start", n->u.name);
  node_call (n, "starting a container", "POST", path, NULL, CALL_TIMEOUT_MS, on_started);
}

static void
on_created (void *data, long status, const char *body, size_t len, const char *error)
{
  struct sv_node *n = data;

  n->call = NULL;
  if (status == 201)
    {
      start_container (n);
      return;
    }
  refused (n, "creating the container", status, body, len, error);
}

/* The image node `name` was created from, as up recorded it. Caller frees. */
static char *
node_image (const struct sv *sv, const char *name)
{
  size_t len = strlen (name);
  for (const char *p = sv->images; p && *p; p = strchr (p, '\n') ? strchr (p, '\n') + 1 : NULL)
    if (strncmp (p, name, len) == 0 && p[len] == ' ')
      return xasprintf ("%.*s", (int) strcspn (p + len + 1, "\n"), p + len + 1);
  return NULL;
}

static void
create_then_start (struct sv_node *n)
{
  struct sv *sv = n->u.sv;
  labo_error_t err = NULL;
  cleanup_free char *path = xasprintf ("/containers/create?name=%s", n->u.name);
  cleanup_free char *image = node_image (sv, n->u.name);
  json_t *spec;

  if (image == NULL)
    {
      sv_unit_start_failed (&n->u, "the container is gone and its image is not on record");
      return;
    }
  spec = labo_kind_of (n->node)->container_spec (sv->lab, n->node, image, &err);
  if (spec == NULL)
    {
      sv_unit_start_failed (&n->u, err->msg);
      labo_error_release (&err);
      return;
    }
  sv_event (sv, "create", n->u.name, NULL, "the container is gone: creating it again from %s",
            image);
  node_call (n, "creating a container", "POST", path, spec, CALL_TIMEOUT_MS, on_created);
  json_decref (spec);
}

static void
node_start (struct sv_unit *u)
{
  struct sv_node *n = node_of (u);

  if (n->daemon->u.state != SV_UP || !n->daemon->events_open
      || n->daemon->gate == SV_GATE_NODES)
    {
      /* its daemon is not there (or its gossip not yet): it starts with it */
      sv_unit_on (u, SV_ON_WAIT_DAEMON, NULL);
      return;
    }
  if (n->call)
    {
      labo_dcall_cancel (u->sv->dm, n->call);
      n->call = NULL;
    }
  sv_unit_on (u, SV_ON_LAUNCH, NULL);
  start_container (n);
}

static void
on_killed (void *data, long status, const char *body, size_t len, const char *error)
{
  struct sv_node *n = data;
  n->call = NULL;
  /* 409: not running any more, which is what was wanted; the die event
   * (or the pidfd) carries on */
  if (status != 204 && status != 409)
    {
      cleanup_free char *msg = docker_says (status, body, len, error);
      sv_event (n->u.sv, "warning", n->u.name, NULL, "killing the container: %s", msg);
    }
}

static void
docker_kill (struct sv_unit *u)
{
  struct sv_node *n = node_of (u);
  cleanup_free char *path = NULL;

  if (strcmp (u->kind, "daemon") == 0)
    {
      /* this very process, not one that took its pid */
      syscall (SYS_pidfd_send_signal, u->pidfd, SIGKILL, NULL, 0);
      return;
    }
  path = xasprintf ("/containers/%s/kill", n->u.name);
  if (n->call)
    labo_dcall_cancel (u->sv->dm, n->call);
  node_call (n, "killing a container", "POST", path, NULL, QUERY_TIMEOUT_MS, on_killed);
}

static void
docker_signal (struct sv_node *n, int sig)
{
  cleanup_free char *path = xasprintf ("/containers/%s/kill?signal=%d", n->u.name, sig);
  if (n->call)
    labo_dcall_cancel (n->u.sv->dm, n->call);
  node_call (n, "signalling a container", "POST", path, NULL, QUERY_TIMEOUT_MS, on_killed);
}

static void
docker_quiesce (struct sv_unit *u)
{
  struct sv *sv = u->sv;

  if (strcmp (u->kind, "daemon") == 0)
    {
      ready_stop ((struct sv_daemon *) u);
      events_stop ((struct sv_daemon *) u);
      ((struct sv_daemon *) u)->gate = SV_GATE_NONE;
      gossip_forget ((struct sv_daemon *) u);
      return;
    }
  {
    struct sv_node *n = node_of (u);
    sv_probe_end (n);
    if (n->call)
      labo_dcall_cancel (sv->dm, n->call);
    n->call = NULL;
    labo_timer_disarm (sv->loop, &n->settle_timer);
    free (n->start_error);
    n->start_error = NULL;
  }
}

static char *
docker_log_tail (struct sv_unit *u)
{
  struct sv_node *n = node_of (u);
  cleanup_free char *dir = NULL;
  cleanup_free char *raw = NULL;
  char *out;
  DIR *dd;
  struct dirent *de;

  if (strcmp (u->kind, "daemon") == 0)
    return sv_file_tail (daemon_of (u)->paths.log, SV_LOG_TAIL_BYTES, SV_LOG_TAIL_LINES);
  /* Docker's json-file log, under the host's data-root (bound over
   * /var/lib/docker in its daemon's mount namespace) */
  dir = xasprintf ("%s/docker/containers", n->daemon->paths.state);
  out = xstrdup ("");
  dd = opendir (dir);

  /* the container's directory is named by its id; its config names it */
  while (dd && raw == NULL && (de = readdir (dd)) != NULL)
    {
      cleanup_free char *cfg = NULL;
      cleanup_free char *text = NULL;
      cleanup_free char *want = xasprintf ("\"Name\":\"/%s\"", n->u.name);
      if (de->d_name[0] == '.')
        continue;
      cfg = xasprintf ("%s/%s/config.v2.json", dir, de->d_name);
      text = labo_read_file (cfg, NULL);
      if (text && strstr (text, want))
        {
          cleanup_free char *log = xasprintf ("%s/%s/%s-json.log", dir, de->d_name, de->d_name);
          /* a JSON object a line: four times the bytes for the same lines */
          raw = sv_file_tail (log, 4 * SV_LOG_TAIL_BYTES, SV_LOG_TAIL_LINES);
        }
    }
  if (dd)
    closedir (dd);
  for (char *line = raw ? strtok (raw, "\n") : NULL; line; line = strtok (NULL, "\n"))
    {
      json_t *o = json_loads (line, 0, NULL);
      const char *msg = json_string_value (json_object_get (o, "log"));
      if (msg)
        {
          char *t = xasprintf ("%s%s", out, msg);
          free (out);
          out = t;
        }
      json_decref (o);
    }
  return out;
}

/* A daemon unit for each Docker host (the others' stay zeroed: u.sv NULL). */
static void
docker_setup (struct sv *sv)
{
  const struct labo_lab *lab = sv->lab;

  sv->daemons = xcalloc (lab->n_hosts ? lab->n_hosts : 1, sizeof (*sv->daemons));
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      struct sv_daemon *d = &sv->daemons[h];
      d->inotify_fd = -1;
      d->host = h;
      /* a lab brought up --until network has no daemons to keep */
      if (lab->hosts[h].docker == LABO_DOCKER_NONE || !labo_lab_reaches (lab, LABO_STAGE_DAEMONS))
        continue;
      sv_unit_init (sv, &d->u, lab->hosts[h].name, "daemon", &lab->supervise);
      labo_daemon_paths (lab->name, h, lab->hosts[h].name, &d->paths);
    }
}

static void
docker_init (struct sv *sv)
{
  const struct labo_lab *lab = sv->lab;

  sv->images = labo_state_get (lab->name, "images", NULL);
  labo_timer_init (&sv->gossip_timer, gossip_poll, sv);
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      struct sv_daemon *d = &sv->daemons[h];
      if (d->u.sv == NULL)
        continue;
      d->u.start = daemon_start;
      d->u.exited = daemon_exited;
      labo_timer_init (&d->ready_timer, ready_tick, d);
    }
  for (size_t i = 0; i < sv->n_nodes; i++)
    {
      struct sv_node *n = &sv->nodes[i];
      n->daemon = &sv->daemons[n->node->host];
      n->u.start = node_start;
      n->u.exited = node_exited;
      if (n->u.state != SV_OFF)
        sv_unit_on (&n->u, n->u.policy.gave_up ? SV_ON_FOUND_GAVE_UP : SV_ON_WAIT_DAEMON, NULL);
      n->settle_timer.cb = on_settle;
    }
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      struct sv_daemon *d = &sv->daemons[h];
      if (d->u.sv == NULL)
        continue;
      if (d->u.state == SV_OFF)
        continue; /* its host is powered off */
      if (sv_unit_adopt (&d->u, daemon_running (d, sv)))
        await_ready (d); /* STARTING until it answers */
    }
}

static void
docker_fini (struct sv *sv)
{
  if (sv->daemons == NULL)
    return; /* the supervisor failed before it had units */
  for (size_t i = 0; i < sv->n_nodes; i++)
    {
      if (sv->nodes[i].call)
        labo_dcall_cancel (sv->dm, sv->nodes[i].call);
      sv->nodes[i].call = NULL;
      free (sv->nodes[i].start_error);
      sv->nodes[i].start_error = NULL;
    }
  for (size_t h = 0; h < sv->lab->n_hosts; h++)
    if (sv->daemons[h].u.sv)
      {
        ready_stop (&sv->daemons[h]);
        events_stop (&sv->daemons[h]);
        gossip_forget (&sv->daemons[h]);
      }
  labo_timer_disarm (sv->loop, &sv->gossip_timer);
}

const struct sv_runtime_ops sv_docker_runtime = {
  .nodes_at = LABO_STAGE_CONTAINERS,
  .setup = docker_setup,
  .init = docker_init,
  .fini = docker_fini,
  .kill = docker_kill,
  .signal = docker_signal,
  .quiesce = docker_quiesce,
  .log_tail = docker_log_tail,
};
