/* The supervisor process: its loop, signals, control socket and the
 * requests it answers (status, events, restart, power, kill, pause, notes). See
 * include/labo/super/supervisor.h; its units are src/super/unit.h's. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "labo/super/control.h"
#include "labo/docker/daemon.h"
#include "labo/host/freezer.h"
#include "labo/host/host.h"
#include "labo/net/netns.h"
#include "labo/model/plan.h"
#include "labo/model/records.h"
#include "labo/model/state.h"
#include "labo/model/clock.h"
#include "labo/util/util.h"

#include "sv_probe.h"
#include "sv_runtime.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define HAVE_LSAN 1
#endif

#define RING_SIZE SV_RING_SIZE
#define CLIENT_OUT_MAX (1024 * 1024) /* a reader this far behind is dropped */

struct sv_client
{
  struct sv_client *next;
  struct sv *sv;
  int fd;
  char *in;
  size_t in_len, in_cap;
  char *out;
  size_t out_len, out_cap;
  bool subscribed;
};

/* ---- the control socket ---- */

static void
client_drop (struct sv_client *c)
{
  struct sv *sv = c->sv;
  for (struct sv_client **pp = &sv->clients; *pp; pp = &(*pp)->next)
    if (*pp == c)
      {
        *pp = c->next;
        break;
      }
  labo_loop_del (sv->loop, c->fd);
  close (c->fd);
  free (c->in);
  free (c->out);
  free (c);
}

/* Writes what it can; false if the client is gone (and freed). */
static bool
client_flush (struct sv_client *c)
{
  labo_error_t err = NULL;

  while (c->out_len > 0)
    {
      ssize_t n = send (c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        break;
      if (n < 0)
        {
          client_drop (c);
          return false;
        }
      memmove (c->out, c->out + n, c->out_len - (size_t) n);
      c->out_len -= (size_t) n;
    }
  labo_loop_mod (c->sv->loop, c->fd, EPOLLIN | (c->out_len ? EPOLLOUT : 0), &err);
  labo_error_release (&err);
  return true;
}

static bool
client_send (struct sv_client *c, const char *line, size_t len)
{
  if (c->out_len + len > CLIENT_OUT_MAX)
    {
      /* a reader that does not read would hold the supervisor's memory */
      client_drop (c);
      return false;
    }
  if (c->out_len + len > c->out_cap)
    {
      c->out_cap = (c->out_len + len) * 2;
      c->out = xrealloc (c->out, c->out_cap);
    }
  memcpy (c->out + c->out_len, line, len);
  c->out_len += len;
  return client_flush (c);
}

static bool
client_reply (struct sv_client *c, json_t *reply)
{
  cleanup_free char *text = json_dumps (reply, JSON_COMPACT);
  cleanup_free char *line = xasprintf ("%s\n", text ? text : "{}");
  json_decref (reply);
  return client_send (c, line, strlen (line));
}

/* An event, to the clients that follow them (sv_event calls it). */
static void
broadcast (struct sv *sv, const char *line, size_t len)
{
  for (struct sv_client *c = sv->clients, *next; c; c = next)
    {
      next = c->next; /* a reader that fell behind is dropped here */
      if (c->subscribed)
        client_send (c, line, len);
    }
}

static json_t *
unit_json (const struct sv_unit *u)
{
  char when[32];
  json_t *o = json_object ();

  json_object_set_new (o, "state", json_string (sv_state_name (u->state)));
  json_object_set_new (o, "pid", u->pidfd >= 0 ? json_integer (u->pid) : json_null ());
  json_object_set_new (o, "up_since",
                       u->up_since > 0 && u->state == SV_UP ? json_string (labo_iso_time (u->up_since, when))
                                                            : json_null ());
  json_object_set_new (o, "restarts", json_integer (labo_policy_restarts (&u->policy)));
  json_object_set_new (o, "deaths", json_integer (u->policy.deaths));
  json_object_set_new (o, "refused_starts", json_integer (u->policy.refused));
  json_object_set_new (o, "last_exit", u->last_exit[0] ? json_string (u->last_exit) : json_null ());
  json_object_set_new (o, "cause", u->cause[0] ? json_string (u->cause) : json_null ());
  json_object_set_new (o, "restart_in_ms",
                       u->state == SV_DOWN
                           ? json_integer ((json_int_t) ((u->restart_at - labo_now ()) * 1000))
                           : json_null ());
  json_object_set_new (o, "log_tail", u->log_tail ? json_string (u->log_tail) : json_null ());
  return o;
}

static long
rss_kb (void)
{
  cleanup_free char *s = labo_read_file ("/proc/self/status", NULL);
  const char *p = s ? strstr (s, "VmRSS:") : NULL;
  return p ? atol (p + 6) : -1;
}

static json_t *
status_reply (struct sv *sv)
{
  const struct labo_lab *lab = sv->lab;
  json_t *daemons = json_array (), *nodes = json_array ();
  char since[32];

  if (sv->daemons)
    for (size_t h = 0; h < lab->n_hosts; h++)
      if (sv->daemons[h].u.sv)
        {
          json_t *o = unit_json (&sv->daemons[h].u);
          json_object_set_new (o, "host", json_string (lab->hosts[h].name));
          json_array_append_new (daemons, o);
        }
  for (size_t i = 0; i < sv->n_nodes; i++)
    {
      json_t *o = unit_json (&sv->nodes[i].u);
      json_object_set_new (o, "name", json_string (lab->nodes[i].name));
      json_t *probe = sv_node_probe_json (&sv->nodes[i]);
      json_object_update (o, probe);
      json_decref (probe);
      json_array_append_new (nodes, o);
    }
  return json_pack ("{s:b, s:i, s:s, s:s, s:I, s:I, s:o, s:o, s:{s:o, s:b}}", "ok", 1, "pid",
                    (int) getpid (), "since", labo_iso_time (sv->started_wall, since), "runtime",
                    labo_runtime_name (sv->runtime), "wakeups",
                    (json_int_t) labo_loop_wakeups (sv->loop), "rss_kb", (json_int_t) rss_kb (),
                    "daemons", daemons, "nodes", nodes, "ensemble", "leader",
                    sv->leader[0] ? json_string (sv->leader) : json_null (), "quorum",
                    sv->quorum);
}

static struct sv_unit *
find_unit (struct sv *sv, const char *name)
{
  for (size_t i = 0; i < sv->n_nodes; i++)
    if (strcmp (sv->nodes[i].u.name, name) == 0)
      return &sv->nodes[i].u;
  if (sv->daemons)
    for (size_t h = 0; h < sv->lab->n_hosts; h++)
      if (sv->daemons[h].u.sv && strcmp (sv->daemons[h].u.name, name) == 0)
        return &sv->daemons[h].u;
  return NULL;
}

static json_t *
restart_request (struct sv *sv, const char *name)
{
  struct sv_unit *u = name ? find_unit (sv, name) : NULL;

  if (u == NULL)
    return json_pack ("{s:b, s:s+}", "ok", 0, "error", "no daemon or node named ",
                      name ? name : "(none)");
  /* a pause is the trainer's fault, not a failure to repair */
  if (strcmp (u->kind, "node") == 0 && ((struct sv_node *) u)->paused)
    return json_pack ("{s:b, s:s+}", "ok", 0, "error", name,
                      " is paused: `labo resume ", name, "` first");
  if (sv_unit_on (u, strcmp (u->kind, "daemon") == 0 ? SV_ON_RESTART_DAEMON : SV_ON_RESTART_NODE,
                  NULL)
      == SV_DO_BUSY)
    return json_pack ("{s:b, s:s+}", "ok", 0, "error", name, " is busy: ",
                      sv_state_name (u->state));
  return json_pack ("{s:b}", "ok", 1);
}

static struct sv_unit *
daemon_unit (struct sv *sv, size_t h)
{
  return sv->daemons && sv->daemons[h].u.sv ? &sv->daemons[h].u : NULL;
}

/* `labo stop HOST`: every process of the host ends at once (its daemon's
 * cgroup, then whatever runs in its network namespace), its links go
 * down. `labo start HOST`: links up, then its daemon, whose nodes start
 * with it, or (process runtime) its nodes. The kills are waited for here:
 * the loop pauses while they end (tens of milliseconds). */
static json_t *
power_request (struct sv *sv, const char *host, bool on)
{
  const struct labo_lab *lab = sv->lab;
  long h = host ? labo_lab_find_host (lab, host) : -1;
  cleanup_free bool *off = NULL;
  cleanup_free char *ns = NULL;
  labo_error_t err = NULL;
  struct sv_unit *d;
  int killed = 0, k;

  if (h < 0)
    return json_pack ("{s:b, s:s+}", "ok", 0, "error", "no host named ", host ? host : "(none)");
  labo_power_load (lab, &off, NULL);
  if (off[h] == !on)
    return json_pack ("{s:b, s:s}", "ok", 1, "note", on ? "it is on already" : "it is off already");
  d = daemon_unit (sv, (size_t) h);
  ns = labo_host_netns_name (lab->name, lab->hosts[h].name);
  if (!on)
    {
      if (labo_power_record (lab, (size_t) h, true, &err) < 0)
        goto fail;
      /* nothing in flight for them, nothing restarted: the kills below
       * are told as deaths while powered off */
      if (d)
        sv_unit_on (d, SV_ON_POWER_OFF, NULL);
      for (size_t i = 0; i < sv->n_nodes; i++)
        if (sv->nodes[i].node->host == (size_t) h)
          sv_unit_on (&sv->nodes[i].u, SV_ON_POWER_OFF, NULL);
      /* a node paused in a v1 freezer would ignore the SIGKILL below until
       * thawed (Docker's paused containers: labo_daemon_kill thaws them) */
      for (size_t i = 0; i < sv->n_nodes; i++)
        if (sv->nodes[i].node->host == (size_t) h && sv->nodes[i].paused)
          labo_freezer_thaw (lab->name, lab->nodes[i].name, NULL);
      if (d && (k = labo_daemon_kill (lab->name, lab->hosts[h].name, &err)) < 0)
        goto fail;
      killed += d ? k : 0;
      {
        char *names[] = { ns };
        if ((k = labo_netns_kill_all (names, 1, &err)) < 0)
          goto fail;
        killed += k;
      }
      if (labo_host_links_set (lab, (size_t) h, false, &err) < 0)
        goto fail;
      sv_event (sv, "power", lab->hosts[h].name, json_pack ("{s:s, s:b, s:i}", "verb", "stop", "on", 0, "killed", killed),
                "powered off: %d process%s ended, links down", killed, killed == 1 ? "" : "es");
    }
  else
    {
      if (labo_power_record (lab, (size_t) h, false, &err) < 0
          || labo_host_links_set (lab, (size_t) h, true, &err) < 0)
        goto fail;
      sv_event (sv, "power", lab->hosts[h].name, json_pack ("{s:s, s:b}", "verb", "start", "on", 1),
                "powered on: links up, %s", d ? "its daemon starts, then its nodes" : "its nodes start");
      /* the daemon first: a node of a Docker host then finds it starting,
       * and waits for it */
      if (d)
        sv_unit_on (d, SV_ON_POWER_ON, NULL);
      for (size_t i = 0; i < sv->n_nodes; i++)
        if (sv->nodes[i].node->host == (size_t) h)
          sv_unit_on (&sv->nodes[i].u, SV_ON_POWER_ON, NULL);
    }
  sv_save (sv);
  return json_pack ("{s:b}", "ok", 1);
fail:
  {
    json_t *r = json_pack ("{s:b, s:s}", "ok", 0, "error", err->msg);
    labo_error_release (&err);
    return r;
  }
}

/* `labo kill NODE [--signal S]`: the signal, as a fault (its death goes
 * the usual way, restart included). */
static json_t *
kill_request (struct sv *sv, const char *name, int sig)
{
  struct sv_unit *u = name ? find_unit (sv, name) : NULL;

  if (u == NULL || strcmp (u->kind, "node") != 0)
    return json_pack ("{s:b, s:s+}", "ok", 0, "error", "no node named ", name ? name : "(none)");
  if (sv_unit_on (u, SV_ON_SIGNAL, &(struct sv_unit_arg){ .signal = sig }) == SV_DO_NOT_RUNNING)
    return json_pack ("{s:b, s:s+}", "ok", 0, "error", name, " is not running: ",
                      sv_state_name (u->state));
  return json_pack ("{s:b}", "ok", 1);
}

/* `labo pause` / `labo resume` (engine/pause.h), told before the freeze
 * and after the thaw: the node's probes held meanwhile. */
static json_t *
pause_request (struct sv *sv, const char *name, bool paused)
{
  struct sv_unit *u = name ? find_unit (sv, name) : NULL;

  if (u == NULL || strcmp (u->kind, "node") != 0)
    return json_pack ("{s:b, s:s+}", "ok", 0, "error", "no node named ", name ? name : "(none)");
  /* nothing runs to freeze: said before anything is done */
  if (paused && !((struct sv_node *) u)->paused && u->state != SV_UP)
    return json_pack ("{s:b, s:s+++}", "ok", 0, "error", name, " is ", sv_state_name (u->state),
                      ": nothing to pause");
  sv_probe_hold ((struct sv_node *) u, paused);
  return json_pack ("{s:b}", "ok", 1);
}

/* Answers one request; false if the client is gone. */
/* A fault or a chaos step done by another labo process, into the events:
 * the events tell the whole story of the lab, causes included. */
static json_t *
note_request (struct sv *sv, json_t *req)
{
  const char *kind = json_string_value (json_object_get (req, "kind"));
  const char *subject = json_string_value (json_object_get (req, "subject"));
  const char *msg = json_string_value (json_object_get (req, "message"));
  json_t *fields = json_object_get (req, "fields");

  if (kind == NULL
      || (strcmp (kind, "fault") != 0 && strcmp (kind, "chaos") != 0
          && strcmp (kind, "reset") != 0)
      || subject == NULL || msg == NULL || (fields && !json_is_object (fields)))
    return json_pack ("{s:b, s:s}", "ok", 0, "error",
                      "a note is {kind: fault|chaos|reset, subject, message, fields}");
  fields = fields ? json_deep_copy (fields) : NULL;
  /* an event's own keys are the supervisor's to write */
  for (const char *const *k = (const char *const[]){ "time", "t", "kind", "subject", "message",
                                                     NULL };
       fields && *k; k++)
    json_object_del (fields, *k);
  sv_event (sv, kind, subject, fields, "%s", msg);
  return json_pack ("{s:b}", "ok", 1);
}

static bool
handle_request (struct sv_client *c, const char *line)
{
  bool alive = true;
  struct sv *sv = c->sv;
  json_t *req = json_loads (line, 0, NULL);
  const char *cmd = json_string_value (json_object_get (req, "cmd"));

  if (cmd == NULL)
    alive = client_reply (c, json_pack ("{s:b, s:s}", "ok", 0, "error", "not a request"));
  else if (strcmp (cmd, "status") == 0)
    alive = client_reply (c, status_reply (sv));
  else if (strcmp (cmd, "events") == 0)
    {
      json_int_t backlog = json_integer_value (json_object_get (req, "backlog"));
      size_t n = backlog < 0 ? 0 : (size_t) backlog > sv->ring_len ? sv->ring_len : (size_t) backlog;
      for (size_t k = sv->ring_len - n; k < sv->ring_len; k++)
        {
          size_t i = (sv->ring_next + RING_SIZE - sv->ring_len + k) % RING_SIZE;
          if (!(alive = client_send (c, sv->ring[i], strlen (sv->ring[i]))))
            break;
        }
      /* where the past ends: a client that wants only it stops there */
      if (alive && (alive = client_send (c, "{\"backlog_end\":true}\n", 21)))
        c->subscribed = true;
    }
  else if (strcmp (cmd, "power") == 0)
    alive = client_reply (c, power_request (sv, json_string_value (json_object_get (req, "host")),
                                            json_is_true (json_object_get (req, "on"))));
  else if (strcmp (cmd, "kill") == 0)
    alive = client_reply (c, kill_request (sv, json_string_value (json_object_get (req, "name")),
                                           (int) json_integer_value (json_object_get (req, "signal"))));
  else if (strcmp (cmd, "pause") == 0)
    alive = client_reply (c, pause_request (sv, json_string_value (json_object_get (req, "name")),
                                            json_is_true (json_object_get (req, "paused"))));
  else if (strcmp (cmd, "restart") == 0)
    alive = client_reply (c, restart_request (sv, json_string_value (json_object_get (req, "name"))));
  else if (strcmp (cmd, "note") == 0)
    alive = client_reply (c, note_request (sv, req));
  else if (strcmp (cmd, "leakcheck") == 0)
    {
#ifdef HAVE_LSAN
      int leaks = __lsan_do_recoverable_leak_check ();
      alive = client_reply (c, json_pack ("{s:b, s:b}", "ok", 1, "leaks", leaks != 0));
#else
      alive = client_reply (c, json_pack ("{s:b, s:n}", "ok", 1, "leaks"));
#endif
    }
  else if (strcmp (cmd, "stop") == 0)
    {
      alive = client_reply (c, json_pack ("{s:b}", "ok", 1));
      labo_loop_quit (sv->loop, 0);
    }
  else
    alive = client_reply (c, json_pack ("{s:b, s:s+}", "ok", 0, "error", "unknown command ", cmd));
  json_decref (req);
  return alive;
}

static void
on_client (struct labo_loop *loop, int fd, uint32_t events, void *data)
{
  struct sv_client *c = data;

  if ((events & EPOLLOUT) && !client_flush (c))
    return;
  if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
    return;
  for (;;)
    {
      ssize_t n;
      char *nl;
      if (c->in_cap - c->in_len < 1024)
        {
          if (c->in_cap > 64 * 1024)
            {
              client_drop (c); /* no request is that long */
              return;
            }
          c->in = xrealloc (c->in, c->in_cap = c->in_cap ? c->in_cap * 2 : 2048);
        }
      n = recv (fd, c->in + c->in_len, c->in_cap - c->in_len - 1, MSG_DONTWAIT);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return;
      if (n <= 0)
        {
          client_drop (c);
          return;
        }
      c->in_len += (size_t) n;
      c->in[c->in_len] = '\0';
      while ((nl = memchr (c->in, '\n', c->in_len)) != NULL)
        {
          *nl = '\0';
          if (!handle_request (c, c->in))
            return; /* dropped while answering */
          c->in_len -= (size_t) (nl + 1 - c->in);
          memmove (c->in, nl + 1, c->in_len + 1);
        }
    }
}

static void
on_accept (struct labo_loop *loop, int fd, uint32_t events, void *data)
{
  struct sv *sv = data;
  labo_error_t err = NULL;

  for (;;)
    {
      int cfd = accept4 (fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      struct ucred cred;
      socklen_t len = sizeof (cred);
      struct sv_client *c;

      if (cfd < 0)
        return;
      /* the directory and the socket are root's: this is the second lock */
      if (getsockopt (cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0)
        {
          close (cfd);
          continue;
        }
      c = xcalloc (1, sizeof (*c));
      c->sv = sv;
      c->fd = cfd;
      if (labo_loop_add (loop, cfd, EPOLLIN, on_client, c, &err) < 0)
        {
          labo_error_release (&err);
          close (cfd);
          free (c);
          continue;
        }
      c->next = sv->clients;
      sv->clients = c;
    }
}

static int
listen_control (struct sv *sv, labo_error_t *err)
{
  cleanup_free char *path = labo_control_path (sv->lab->name, LABO_CONTROL_SOCKET);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  mode_t old;

  if (strlen (path) >= sizeof (sa.sun_path))
    return labo_error_make (err, 0, "the control socket path %s is longer than a unix socket "
                                    "allows", path);
  strcpy (sa.sun_path, path);
  unlink (path); /* a dead supervisor's: the pid file's lock says it is dead */
  sv->listen_fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (sv->listen_fd < 0)
    return labo_error_errno (err, "creating the control socket");
  old = umask (0077);
  if (bind (sv->listen_fd, (struct sockaddr *) &sa, sizeof (sa)) < 0)
    {
      umask (old);
      return labo_error_errno (err, "binding the control socket %s", path);
    }
  umask (old);
  if (listen (sv->listen_fd, 16) < 0)
    return labo_error_errno (err, "listening on %s", path);
  return labo_loop_add (sv->loop, sv->listen_fd, EPOLLIN, on_accept, sv, err);
}

/* The pid file, locked for life: two supervisors of one lab never run. */
static int
take_pidfile (struct sv *sv, labo_error_t *err)
{
  cleanup_free char *path = labo_control_path (sv->lab->name, LABO_SUPERVISOR_PIDFILE);
  cleanup_free char *pid = xasprintf ("%d\n", (int) getpid ());

  sv->pid_fd = open (path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (sv->pid_fd < 0)
    return labo_error_errno (err, "opening %s", path);
  if (flock (sv->pid_fd, LOCK_EX | LOCK_NB) < 0)
    return labo_error_make (err, errno == EWOULDBLOCK ? EEXIST : errno,
                            "another supervisor of lab %s runs (%s is locked)", sv->lab->name,
                            path);
  if (ftruncate (sv->pid_fd, 0) < 0 || pwrite (sv->pid_fd, pid, strlen (pid), 0) < 0)
    return labo_error_errno (err, "writing %s", path);
  return 0;
}

/* ---- the process ---- */

static void
on_signal (struct labo_loop *loop, const struct signalfd_siginfo *si, void *data)
{
  struct sv *sv = data;
  if (si->ssi_signo == SIGTERM || si->ssi_signo == SIGINT || si->ssi_signo == SIGHUP)
    {
      sv->stopping = true;
      labo_loop_quit (loop, 0);
    }
}

/* The reset this process did before it supervised, told (its beginning
 * was its predecessor's event). */
static void
reset_event (struct sv *sv, json_t *facts)
{
  json_int_t cuts = json_integer_value (json_object_get (facts, "cuts"));
  json_int_t links = json_integer_value (json_object_get (facts, "links"));
  json_int_t on = json_integer_value (json_object_get (facts, "powered_on"));
  const char *error = json_string_value (json_object_get (facts, "error"));
  char took[24];

  labo_duration_format ((long long) json_number_value (json_object_get (facts, "ms")), took);
  /* no supervisor ran to be told of its beginning: told here, so that
   * the events always hold both */
  if (!json_is_true (json_object_get (facts, "begun_told")))
    sv_event (sv, "reset", sv->lab->name, json_pack ("{s:s, s:s}", "verb", "reset", "phase",
                                                     "begun"),
              "reset begun %s ago, with no supervisor running", took);
  if (error)
    sv_event (sv, "reset", sv->lab->name, json_deep_copy (facts),
              "reset failed after %s: %s; the lab is supervised as it is", took, error);
  else
    sv_event (sv, "reset", sv->lab->name, json_deep_copy (facts),
              "reset done in %s: %d cut%s healed, %d link%s reset, %d host%s powered on, "
              "the nodes made again", took, (int) cuts, cuts == 1 ? "" : "s", (int) links,
              links == 1 ? "" : "s", (int) on, on == 1 ? "" : "s");
}

bool
labo_supervisor_needed (const struct labo_lab *lab, enum labo_runtime runtime)
{
  const struct sv_runtime_ops *ops
      = runtime == LABO_RUNTIME_DOCKER ? &sv_docker_runtime : &sv_process_runtime;
  if (lab->n_nodes > 0 && labo_lab_reaches (lab, ops->nodes_at))
    return true;
  return runtime == LABO_RUNTIME_DOCKER && labo_lab_docker_hosts (lab) > 0
         && labo_lab_reaches (lab, LABO_STAGE_DAEMONS);
}

static size_t
count_daemons (const struct sv *sv)
{
  size_t n = 0;
  for (size_t h = 0; sv->daemons && h < sv->lab->n_hosts; h++)
    n += sv->daemons[h].u.sv != NULL;
  return n;
}

static void
teardown (struct sv *sv)
{
  const struct labo_lab *lab = sv->lab;

  while (sv->clients)
    client_drop (sv->clients);
  for (size_t i = 0; i < sv->n_nodes; i++)
    {
      sv_probe_end (&sv->nodes[i]);
      sv_unwatch_pid (&sv->nodes[i].u);
      labo_timer_disarm (sv->loop, &sv->nodes[i].u.restart_timer);
      labo_timer_disarm (sv->loop, &sv->nodes[i].settle_timer);
      free (sv->nodes[i].u.log_tail);
    }
  if (sv->ops)
    sv->ops->fini (sv);
  if (sv->daemons)
    for (size_t h = 0; h < lab->n_hosts; h++)
      {
        sv_unwatch_pid (&sv->daemons[h].u);
        free (sv->daemons[h].u.log_tail);
        labo_daemon_paths_free (&sv->daemons[h].paths);
      }
  labo_dmulti_free (sv->dm);
  if (sv->listen_fd >= 0)
    {
      cleanup_free char *path = labo_control_path (lab->name, LABO_CONTROL_SOCKET);
      labo_loop_del (sv->loop, sv->listen_fd);
      close (sv->listen_fd);
      unlink (path);
    }
  for (size_t h = 0; sv->host_ns && h < lab->n_hosts; h++)
    if (sv->host_ns[h] >= 0)
      close (sv->host_ns[h]);
  for (size_t i = 0; i < sv->ring_len; i++)
    free (sv->ring[(sv->ring_next + RING_SIZE - sv->ring_len + i) % RING_SIZE]);
  if (sv->events_fd >= 0)
    close (sv->events_fd);
  if (sv->pid_fd >= 0)
    close (sv->pid_fd); /* the lock goes with it */
  labo_loop_free (sv->loop);
  free (sv->daemons);
  free (sv->nodes);
  free (sv->host_ns);
  free (sv->images);
}

/* A drift, stepped: libfaketime, as the nodes run it, cannot run a clock
 * at a rate (the JVM's timed waits hang with one), so the supervisor
 * writes each drifting node's offset as it is now, at rate 1, every
 * LABO_CLOCK_CACHE_S: the node's wall clock drifts in steps of that many
 * seconds' worth (1 ms a second at +1000 ppm), and libfaketime reads each
 * within that time. The record (engine/clock.c) keeps the drift itself. */
static void
on_drift (struct labo_loop *loop, void *data)
{
  struct sv *sv = data;
  const struct labo_lab *lab = sv->lab;
  cleanup_free char *text = labo_state_get (lab->name, LABO_CLOCKS_RECORD, NULL);
  cleanup_free struct labo_skew *skews = xcalloc (lab->n_nodes + 1, sizeof (*skews));
  cleanup_free bool *has = xcalloc (lab->n_nodes + 1, sizeof (*has));
  struct timespec ts;
  int64_t now;

  clock_gettime (CLOCK_REALTIME, &ts);
  now = (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;

  labo_skews_parse (lab, text, skews, has);
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (has[i] && skews[i].rate != 1)
      {
        struct labo_skew flat = { labo_skew_at (&skews[i], now), 1, now, 0 };
        cleanup_free char *line = labo_skew_faketime_line (&flat);
        labo_error_t err = NULL;
        if (labo_clock_write (lab->name, lab->nodes[i].name, line, &err) < 0)
          labo_error_release (&err); /* the node went with its lab: the next tick */
      }
  labo_timer_arm (loop, &sv->drift_timer, labo_now () + LABO_CLOCK_CACHE_S);
}

int
labo_supervise (const struct labo_lab *lab, enum labo_runtime runtime,
                const struct labo_supervisor_opts *opts, labo_error_t *err)
{
  static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD, 0 };
  struct sv sv = { .lab = lab, .runtime = runtime, .opts = *opts, .listen_fd = -1,
                   .pid_fd = -1, .events_fd = -1, .broadcast = broadcast };
  cleanup_free char *events = labo_control_path (lab->name, SV_EVENTS_FILE);
  size_t n_daemons;
  int ret = -1;

  sv.started_wall = labo_wall ();
  sv.ops = runtime == LABO_RUNTIME_DOCKER ? &sv_docker_runtime : &sv_process_runtime;
  signal (SIGPIPE, SIG_IGN);
  if (labo_loop_new (&sv.loop, sigs, on_signal, &sv, err) < 0)
    return -1;
  if (take_pidfile (&sv, err) < 0 || labo_dmulti_new (sv.loop, &sv.dm, err) < 0)
    goto out;
  sv_events_load (&sv);
  sv.events_fd = open (events, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  sv.host_ns = xcalloc (lab->n_hosts ? lab->n_hosts : 1, sizeof (int));
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      cleanup_free char *ns = labo_host_netns_name (lab->name, lab->hosts[h].name);
      sv.host_ns[h] = labo_netns_open (ns, err);
      if (sv.host_ns[h] < 0)
        goto out;
    }
  /* nodes that `up --until` did not make are not the supervisor's to make */
  sv.n_nodes = labo_lab_reaches (lab, sv.ops->nodes_at) ? lab->n_nodes : 0;
  sv.nodes = xcalloc (lab->n_nodes ? lab->n_nodes : 1, sizeof (*sv.nodes));
  for (size_t i = 0; i < sv.n_nodes; i++)
    {
      struct sv_node *n = &sv.nodes[i];
      sv_unit_init (&sv, &n->u, lab->nodes[i].name, "node", &lab->nodes[i].supervise);
      n->index = i;
      n->node = &lab->nodes[i];
      n->result.synced = -1;
      labo_timer_init (&n->probe_timer, NULL, n);
      labo_timer_init (&n->settle_timer, NULL, n);
    }
  sv.ops->setup (&sv);
  sv_restore (&sv);
  {
    /* hosts powered off stay off under a new supervisor */
    cleanup_free bool *off = NULL;
    labo_power_load (lab, &off, NULL);
    for (size_t i = 0; i < sv.n_nodes; i++)
      if (off[lab->nodes[i].host])
        sv_unit_on (&sv.nodes[i].u, SV_ON_FOUND_OFF, NULL);
    for (size_t h = 0; sv.daemons && h < lab->n_hosts; h++)
      if (off[h] && sv.daemons[h].u.sv)
        sv_unit_on (&sv.daemons[h].u, SV_ON_FOUND_OFF, NULL);
  }
  if (listen_control (&sv, err) < 0)
    goto out;
  n_daemons = count_daemons (&sv);
  sv_event (&sv, "supervisor", lab->name,
            json_pack ("{s:i, s:s, s:b}", "pid", (int) getpid (), "runtime",
                       labo_runtime_name (runtime), "adopted", opts->adopt),
            "supervisor %d watching %zu daemon%s and %zu node%s (%s runtime%s)", (int) getpid (),
            n_daemons, n_daemons == 1 ? "" : "s", sv.n_nodes, sv.n_nodes == 1 ? "" : "s",
            labo_runtime_name (runtime), opts->adopt ? ", taking over what runs" : "");
  sv.ops->init (&sv);
  {
    /* nodes paused stay held under a new supervisor */
    cleanup_free bool *paused = NULL;
    labo_paused_load (lab, &paused, NULL);
    for (size_t i = 0; i < sv.n_nodes; i++)
      if (paused[i])
        sv_probe_hold (&sv.nodes[i], true);
  }
  labo_timer_init (&sv.drift_timer, on_drift, &sv);
  if (sv.n_nodes > 0)
    labo_timer_arm (sv.loop, &sv.drift_timer, labo_now () + LABO_CLOCK_CACHE_S);
  if (opts->reset)
    reset_event (&sv, opts->reset);
  if (opts->ready_fd >= 0)
    {
      char zero = 0;
      if (write (opts->ready_fd, &zero, 1) < 0)
        {
          /* the parent went away: nobody waits, the lab is still ours */
        }
    }
  ret = labo_loop_run (sv.loop, err);
  sv_event (&sv, "supervisor", lab->name, NULL, "supervisor %d stopping; the lab stays up",
            (int) getpid ());
  sv_save (&sv);
  {
    /* a stop, not a death: status says "not running" rather than "dead" */
    cleanup_free char *pidfile = labo_control_path (lab->name, LABO_SUPERVISOR_PIDFILE);
    unlink (pidfile);
  }
out:
  teardown (&sv);
  return ret < 0 ? -1 : 0;
}
