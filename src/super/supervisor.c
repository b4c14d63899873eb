/* The supervisor process: its loop, signals, control socket, events and
 * record on disk, and the transitions every unit shares. See
 * include/labo/supervisor.h and src/super/sv.h. */
#include "sv.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "labo/control.h"
#include "labo/daemon.h"
#include "labo/faults.h"
#include "labo/netns.h"
#include "labo/plan.h"
#include "labo/state.h"
#include "labo/util.h"
#include "labo/zkproc.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define HAVE_LSAN 1
#endif

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define RING_SIZE (sizeof (((struct sv *) 0)->ring) / sizeof (char *))
#define CLIENT_OUT_MAX (1024 * 1024) /* a reader this far behind is dropped */
#define EVENTS_FILE "events.jsonl"
#define EVENTS_MAX (4 << 20)
#define STATE_FILE "supervisor.json"

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

/* ---- time ---- */

bool
sv_is_child (pid_t pid)
{
  char path[64];
  cleanup_free char *stat = NULL;
  const char *p;
  int ppid = 0;

  snprintf (path, sizeof (path), "/proc/%d/stat", (int) pid);
  stat = labo_read_file (path, NULL);
  p = stat ? strrchr (stat, ')') : NULL;
  /* ") S PPID ..." */
  return p && sscanf (p + 2, "%*c %d", &ppid) == 1 && ppid == (int) getpid ();
}

void
sv_exit_text (int code, int si_code, char *buf, size_t len)
{
  if (si_code == CLD_EXITED && code > 128 && code < 128 + 65 && sigabbrev_np (code - 128))
    /* a shell or a JVM ending on a signal it caught: 128 + its number */
    snprintf (buf, len, "exit %d (SIG%s)", code, sigabbrev_np (code - 128));
  else if (si_code == CLD_EXITED)
    snprintf (buf, len, "exit %d", code);
  else if (si_code == CLD_KILLED || si_code == CLD_DUMPED)
    {
      const char *abbrev = sigabbrev_np (code);
      snprintf (buf, len, "SIG%s%s", abbrev ? abbrev : "?",
                si_code == CLD_DUMPED ? " (core dumped)" : "");
    }
  else
    snprintf (buf, len, "unknown");
}

const char *
sv_state_name (enum sv_state s)
{
  switch (s)
    {
    case SV_STARTING:
      return "starting";
    case SV_UP:
      return "up";
    case SV_STOPPING:
      return "stopping";
    case SV_DOWN:
      return "restarting";
    case SV_WAITING:
      return "waiting for its daemon";
    case SV_GAVE_UP:
      return "given up";
    case SV_LEFT:
      return "down (restart off)";
    case SV_OFF:
      return "powered off";
    default:
      return "unknown";
    }
}

char *
sv_file_tail (const char *path, size_t max, int lines)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  char *buf, *p;
  ssize_t n;
  off_t off;

  if (fd < 0 || fstat (fd, &st) < 0)
    return xstrdup ("");
  off = st.st_size > (off_t) max ? st.st_size - (off_t) max : 0;
  buf = xmalloc (max + 1);
  n = pread (fd, buf, max, off);
  if (n < 0)
    n = 0;
  buf[n] = '\0';
  /* the last `lines` lines */
  p = buf + n;
  if (p > buf && p[-1] == '\n')
    p--;
  for (int k = 0; p > buf; p--)
    if (p[-1] == '\n' && ++k == lines)
      break;
  memmove (buf, p, strlen (p) + 1);
  return buf;
}

/* ---- events ---- */

static bool client_send (struct sv_client *c, const char *line, size_t len);

static void
print_event (json_t *ev, FILE *out)
{
  const char *t = json_string_value (json_object_get (ev, "time"));
  fprintf (out, "%s  %-10s %-14s %s\n", t ? t + 11 : "", json_string_value (json_object_get (ev, "kind")),
           json_string_value (json_object_get (ev, "subject")),
           json_string_value (json_object_get (ev, "message")));
  fflush (out);
}

/* events.jsonl, for a lab that runs for weeks: at 4 MiB it becomes
 * events.jsonl.1 (replacing the one before) and starts again. */
static void
rotate_events (struct sv *sv)
{
  struct stat st;
  cleanup_free char *path = NULL;
  cleanup_free char *old = NULL;

  if (sv->events_fd < 0 || fstat (sv->events_fd, &st) < 0 || st.st_size < EVENTS_MAX)
    return;
  path = labo_control_path (sv->lab->name, EVENTS_FILE);
  old = xasprintf ("%s.1", path);
  rename (path, old);
  close (sv->events_fd);
  sv->events_fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
}

void
sv_event (struct sv *sv, const char *kind, const char *subject, json_t *fields, const char *fmt,
          ...)
{
  json_t *ev = json_object ();
  char when[32];
  double now = labo_wall ();
  cleanup_free char *msg = NULL;
  char *line = NULL;
  cleanup_free char *text = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  json_object_set_new (ev, "time", json_string (labo_iso_time (now, when)));
  json_object_set_new (ev, "t", json_real (now));
  json_object_set_new (ev, "kind", json_string (kind));
  json_object_set_new (ev, "subject", json_string (subject));
  json_object_set_new (ev, "message", json_string (msg ? msg : ""));
  if (fields)
    {
      json_object_update (ev, fields);
      json_decref (fields);
    }
  text = json_dumps (ev, JSON_COMPACT);
  line = xasprintf ("%s\n", text ? text : "{}");
  if (sv->events_fd >= 0 && write (sv->events_fd, line, strlen (line)) < 0)
    {
      /* the record is a convenience; the stream and the ring go on */
    }
  rotate_events (sv);
  for (struct sv_client *c = sv->clients, *next; c; c = next)
    {
      next = c->next; /* a reader that fell behind is dropped here */
      if (c->subscribed)
        client_send (c, line, strlen (line));
    }
  if (sv->opts.foreground)
    print_event (ev, stdout);
  json_decref (ev);
  /* kept as its line: a fifth of the memory of the object */
  if (sv->ring_len == RING_SIZE)
    free (sv->ring[sv->ring_next]);
  else
    sv->ring_len++;
  sv->ring[sv->ring_next] = line;
  sv->ring_next = (sv->ring_next + 1) % RING_SIZE;
}

/* ---- units ---- */

static void
on_pidfd (struct labo_loop *loop, int fd, uint32_t events, void *data)
{
  struct sv_unit *u = data;
  char text[64] = "unknown";

  u->noticed = labo_now ();
  if (u->child)
    {
      siginfo_t si;
      memset (&si, 0, sizeof (si));
      if (waitid ((idtype_t) P_PIDFD, (id_t) u->pidfd, &si, WEXITED | WNOHANG) == 0
          && si.si_pid != 0)
        sv_exit_text (si.si_status, si.si_code, text, sizeof (text));
    }
  sv_unwatch_pid (u);
  u->exited (u, text);
}

int
sv_watch_pid (struct sv_unit *u, pid_t pid, bool child)
{
  labo_error_t err = NULL;

  sv_unwatch_pid (u);
  u->pid = pid;
  u->child = child;
  u->pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (u->pidfd < 0)
    return -1; /* gone already: the caller treats it as a death */
  if (labo_loop_add (u->sv->loop, u->pidfd, EPOLLIN, on_pidfd, u, &err) < 0)
    {
      fprintf (stderr, "labo: %s\n", err->msg);
      labo_error_release (&err);
      close (u->pidfd);
      u->pidfd = -1;
      return -1;
    }
  return 0;
}

void
sv_unwatch_pid (struct sv_unit *u)
{
  if (u->pidfd >= 0)
    {
      labo_loop_del (u->sv->loop, u->pidfd);
      close (u->pidfd);
    }
  u->pidfd = -1;
}

static void
restart_due (struct labo_loop *loop, void *data)
{
  struct sv_unit *u = data;
  json_t *f = json_pack ("{s:i}", "restart", labo_policy_restarts (&u->policy) + 1);

  sv_event (u->sv, "start", u->name, f, "starting (restart %u)",
            labo_policy_restarts (&u->policy) + 1);
  u->start (u);
}

void
sv_unit_up (struct sv_unit *u, double up_since_wall, bool counted_start)
{
  char when[32];

  if (counted_start)
    {
      /* when it really started (min_gap and quick deaths count from
       * there), not when the supervisor first saw it */
      double now = labo_now (), ago = up_since_wall > 0 ? labo_wall () - up_since_wall : 0;
      labo_policy_started (&u->policy, now - (ago > 0 ? ago : 0));
    }
  /* a restart it was waiting for is moot: a `docker start` by hand beat
   * it, and its timer would start the running container again */
  labo_timer_disarm (u->sv->loop, &u->restart_timer);
  u->state = SV_UP;
  u->up_since = up_since_wall;
  u->kill_sent = false;
  u->ours = false;
  free (u->log_tail);
  u->log_tail = NULL;
  sv_event (u->sv, "up", u->name,
            json_pack ("{s:i, s:i}", "pid", (int) u->pid, "restarts",
                       labo_policy_restarts (&u->policy)),
            "%s (pid %d, up since %s, %u restart%s)", u->kind, (int) u->pid,
            up_since_wall > 0 ? labo_iso_time (up_since_wall, when) : "?",
            labo_policy_restarts (&u->policy),
            labo_policy_restarts (&u->policy) == 1 ? "" : "s");
  sv_save (u->sv);
}

void
sv_unit_died (struct sv_unit *u, const char *exit_text, const char *cause, bool collateral)
{
  double now = labo_now (), at = now, noticed = u->noticed ? u->noticed : now;
  enum labo_policy_verdict v;
  char noticed_iso[32], w1[24], w2[24];
  json_t *f;

  sv_unwatch_pid (u);
  u->ours = false;
  snprintf (u->last_exit, sizeof (u->last_exit), "%s", exit_text);
  snprintf (u->cause, sizeof (u->cause), "%s", u->state == SV_OFF ? "powered off" : cause);
  u->up_since = 0;
  u->noticed = 0;
  if (u->state == SV_OFF)
    {
      /* its host was powered off: nothing for the policy */
      sv_save (u->sv);
      return;
    }
  f = json_pack ("{s:s, s:s, s:s, s:f}", "exit", exit_text, "cause", cause, "noticed",
                 labo_iso_time (labo_wall () - (now - noticed), noticed_iso), "noticed_t",
                 labo_wall () - (now - noticed));
  if (collateral)
    {
      labo_policy_collateral (&u->policy, u->cfg, now);
      u->state = SV_WAITING;
      sv_event (u->sv, "died", u->name, f, "%s (%s); starts again with its daemon", cause,
                exit_text);
      sv_save (u->sv);
      return;
    }
  v = labo_policy_died (&u->policy, u->cfg, now, &at);
  json_object_set_new (f, "deaths", json_integer (u->policy.deaths));
  switch (v)
    {
    case LABO_POLICY_RESTART:
      u->state = SV_DOWN;
      u->restart_at = at;
      json_object_set_new (f, "delay_ms", json_integer ((json_int_t) ((at - now) * 1000)));
      sv_event (u->sv, "died", u->name, f, "%s (%s); restart %u in %s", cause, exit_text,
                labo_policy_restarts (&u->policy) + 1,
                labo_duration_format ((long long) ((at - now) * 1000), w1));
      labo_timer_arm (u->sv->loop, &u->restart_timer, at);
      break;
    case LABO_POLICY_GIVE_UP:
      u->state = SV_GAVE_UP;
      free (u->log_tail);
      u->log_tail = u->sv->ops->log_tail (u);
      sv_event (u->sv, "died", u->name, f, "%s (%s)", cause, exit_text);
      sv_event (u->sv, "gave-up", u->name,
                json_pack ("{s:s, s:i}", "exit", exit_text, "deaths", u->policy.deaths),
                "%d deaths within %s: not restarting it (last: %s); `labo logs %s`, then "
                "`labo restart %s`",
                u->cfg->give_up_deaths, labo_duration_format (u->cfg->give_up_within_ms, w2),
                exit_text, u->name, u->name);
      break;
    case LABO_POLICY_LEAVE:
    default:
      u->state = SV_LEFT;
      sv_event (u->sv, "died", u->name, f, "%s (%s); restart is off", cause, exit_text);
      break;
    }
  sv_save (u->sv);
}

bool
sv_unit_adopt (struct sv_unit *u, pid_t pid)
{
  if (u->policy.gave_up)
    {
      u->state = SV_GAVE_UP;
      return false;
    }
  if (pid > 0 && sv_watch_pid (u, pid, sv_is_child (pid)) == 0)
    return true;
  /* gone while nobody watched: the policy decides */
  u->state = SV_UP;
  sv_unit_died (u, "unknown", "found dead", false);
  return false;
}

void
sv_unit_start_failed (struct sv_unit *u, const char *why)
{
  double now = labo_now (), at = now;
  char w[24];

  /* nothing ran: retried with a backoff, never a death (policy.h) */
  sv_unwatch_pid (u);
  u->ours = false;
  u->up_since = 0;
  snprintf (u->cause, sizeof (u->cause), "%s", why);
  if (labo_policy_refused (&u->policy, u->cfg, now, &at) == LABO_POLICY_LEAVE)
    {
      u->state = SV_LEFT;
      sv_event (u->sv, "start-failed", u->name, json_pack ("{s:s}", "error", why),
                "%s; restart is off", why);
    }
  else
    {
      u->state = SV_DOWN;
      u->restart_at = at;
      sv_event (u->sv, "start-failed", u->name,
                json_pack ("{s:s, s:i, s:I}", "error", why, "refused", u->policy.refused,
                           "delay_ms", (json_int_t) ((at - now) * 1000)),
                "%s; trying again in %s", why,
                labo_duration_format ((long long) ((at - now) * 1000), w));
      labo_timer_arm (u->sv->loop, &u->restart_timer, at);
    }
  sv_save (u->sv);
}

/* ---- the record a successor reads ---- */

static json_t *
unit_record (const struct sv_unit *u)
{
  json_t *ring = json_array ();
  for (size_t i = 0; i < u->policy.ring_len; i++)
    json_array_append_new (ring, json_real (u->policy.death_at[i]));
  return json_pack ("{s:i, s:i, s:i, s:i, s:f, s:b, s:s, s:s, s:o, s:i}", "starts",
                    u->policy.starts, "deaths", u->policy.deaths, "refused", u->policy.refused,
                    "quick", u->policy.quick, "started_at",
                    u->policy.started_at, "gave_up", u->policy.gave_up, "last_exit",
                    u->last_exit, "cause", u->cause, "ring", ring, "ring_next",
                    (int) u->policy.ring_next);
}

static void
unit_restore (struct sv_unit *u, json_t *r)
{
  json_t *ring = json_object_get (r, "ring"), *v;
  size_t i;

  if (!json_is_object (r))
    return;
  u->policy.starts = (unsigned) json_integer_value (json_object_get (r, "starts"));
  u->policy.deaths = (unsigned) json_integer_value (json_object_get (r, "deaths"));
  u->policy.refused = (unsigned) json_integer_value (json_object_get (r, "refused"));
  u->policy.quick = (unsigned) json_integer_value (json_object_get (r, "quick"));
  u->policy.started_at = json_number_value (json_object_get (r, "started_at"));
  u->policy.gave_up = json_is_true (json_object_get (r, "gave_up"));
  snprintf (u->last_exit, sizeof (u->last_exit), "%s",
            json_string_value (json_object_get (r, "last_exit")) ?: "");
  snprintf (u->cause, sizeof (u->cause), "%s",
            json_string_value (json_object_get (r, "cause")) ?: "");
  json_array_foreach (ring, i, v)
    if (i < LABO_SUPERVISE_MAX_DEATHS)
      u->policy.death_at[u->policy.ring_len++] = json_number_value (v);
  u->policy.ring_next = (size_t) json_integer_value (json_object_get (r, "ring_next"));
  if (u->policy.ring_len > 0)
    u->policy.ring_next %= u->policy.ring_len;
}

void
sv_save (struct sv *sv)
{
  const struct labo_lab *lab = sv->lab;
  json_t *daemons = json_object (), *nodes = json_object ();
  json_t *all = json_pack ("{s:o, s:o}", "daemons", daemons, "nodes", nodes);
  cleanup_free char *text = NULL;
  cleanup_free char *path = labo_control_path (lab->name, STATE_FILE);

  if (sv->daemons)
    for (size_t h = 0; h < lab->n_hosts; h++)
      if (sv->daemons[h].u.sv)
        json_object_set_new (daemons, lab->hosts[h].name, unit_record (&sv->daemons[h].u));
  for (size_t i = 0; i < sv->n_nodes; i++)
    json_object_set_new (nodes, lab->nodes[i].name, unit_record (&sv->nodes[i].u));
  text = json_dumps (all, JSON_COMPACT);
  json_decref (all);
  if (text)
    labo_write_file (path, text, strlen (text), 0600);
}

static void
restore (struct sv *sv)
{
  const struct labo_lab *lab = sv->lab;
  cleanup_free char *path = labo_control_path (lab->name, STATE_FILE);
  json_t *all = json_load_file (path, 0, NULL);

  if (all == NULL)
    return;
  if (sv->daemons)
    for (size_t h = 0; h < lab->n_hosts; h++)
      if (sv->daemons[h].u.sv)
        unit_restore (&sv->daemons[h].u,
                      json_object_get (json_object_get (all, "daemons"), lab->hosts[h].name));
  for (size_t i = 0; i < sv->n_nodes; i++)
    unit_restore (&sv->nodes[i].u,
                  json_object_get (json_object_get (all, "nodes"), lab->nodes[i].name));
  json_decref (all);
}

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
  labo_policy_reset (&u->policy);
  switch (u->state)
    {
    case SV_GAVE_UP:
    case SV_LEFT:
    case SV_DOWN:
      labo_timer_disarm (sv->loop, &u->restart_timer);
      sv_event (sv, "retry", u->name, json_pack ("{s:s}", "verb", "restart"),
                "restart asked for (`labo restart`)");
      u->state = SV_DOWN;
      labo_timer_arm (sv->loop, &u->restart_timer, labo_now ());
      break;
    case SV_UP:
      /* down, then up through the usual path: a kill is a death */
      sv_event (sv, "retry", u->name, json_pack ("{s:s}", "verb", "restart"),
                "restart asked for (`labo restart`): killing it");
      u->kill_sent = true;
      sv->ops->kill (u);
      break;
    default:
      return json_pack ("{s:b, s:s+}", "ok", 0, "error", name, " is busy: ",
                        sv_state_name (u->state));
    }
  return json_pack ("{s:b}", "ok", 1);
}

static struct sv_unit *
daemon_unit (struct sv *sv, size_t h)
{
  return sv->daemons && sv->daemons[h].u.sv ? &sv->daemons[h].u : NULL;
}

/* A unit of a host that goes off: nothing in flight, nothing restarted. */
static void
unit_off (struct sv_unit *u)
{
  labo_timer_disarm (u->sv->loop, &u->restart_timer);
  u->sv->ops->quiesce (u);
  u->state = SV_OFF;
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
      if (d)
        unit_off (d);
      for (size_t i = 0; i < sv->n_nodes; i++)
        if (sv->nodes[i].node->host == (size_t) h)
          unit_off (&sv->nodes[i].u);
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
      if (d)
        {
          d->state = SV_DOWN;
          d->start (d);
        }
      /* a node of a Docker host finds its daemon starting: it waits */
      for (size_t i = 0; i < sv->n_nodes; i++)
        if (sv->nodes[i].node->host == (size_t) h)
          {
            struct sv_unit *u = &sv->nodes[i].u;
            u->state = SV_DOWN;
            u->start (u);
          }
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
  if (u->state != SV_UP && u->state != SV_STARTING)
    return json_pack ("{s:b, s:s+}", "ok", 0, "error", name, " is not running: ",
                      sv_state_name (u->state));
  sv_event (sv, "kill", name, json_pack ("{s:s, s:i}", "verb", "kill", "signal", sig), "SIG%s sent (`labo kill`)",
            sigabbrev_np (sig) ? sigabbrev_np (sig) : "?");
  sv->ops->signal ((struct sv_node *) u, sig);
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

  if (kind == NULL || (strcmp (kind, "fault") != 0 && strcmp (kind, "chaos") != 0)
      || subject == NULL || msg == NULL || (fields && !json_is_object (fields)))
    return json_pack ("{s:b, s:s}", "ok", 0, "error",
                      "a note is {kind: fault|chaos, subject, message, fields}");
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

bool
labo_supervisor_needed (const struct labo_lab *lab, enum labo_runtime runtime)
{
  if (lab->n_nodes > 0)
    return true;
  return runtime == LABO_RUNTIME_DOCKER && labo_lab_docker_hosts (lab) > 0;
}

void
sv_unit_init (struct sv *sv, struct sv_unit *u, const char *name, const char *kind,
              const struct labo_supervise *cfg)
{
  u->sv = sv;
  u->name = name;
  u->kind = kind;
  u->cfg = cfg;
  u->pidfd = -1;
  u->state = SV_STARTING;
  labo_policy_init (&u->policy);
  labo_timer_init (&u->restart_timer, restart_due, u);
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
  free (sv->image);
}

int
labo_supervise (const struct labo_lab *lab, enum labo_runtime runtime,
                const struct labo_supervisor_opts *opts, labo_error_t *err)
{
  static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD, 0 };
  struct sv sv = { .lab = lab, .runtime = runtime, .opts = *opts, .listen_fd = -1,
                   .pid_fd = -1, .events_fd = -1 };
  cleanup_free char *events = labo_control_path (lab->name, EVENTS_FILE);
  size_t n_daemons;
  int ret = -1;

  sv.started_wall = labo_wall ();
  sv.ops = runtime == LABO_RUNTIME_DOCKER ? &sv_docker_runtime : &sv_process_runtime;
  signal (SIGPIPE, SIG_IGN);
  if (labo_loop_new (&sv.loop, sigs, on_signal, &sv, err) < 0)
    return -1;
  if (take_pidfile (&sv, err) < 0 || labo_dmulti_new (sv.loop, &sv.dm, err) < 0)
    goto out;
  sv.events_fd = open (events, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  sv.host_ns = xcalloc (lab->n_hosts ? lab->n_hosts : 1, sizeof (int));
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      cleanup_free char *ns = labo_host_netns_name (lab->name, lab->hosts[h].name);
      sv.host_ns[h] = labo_netns_open (ns, err);
      if (sv.host_ns[h] < 0)
        goto out;
    }
  sv.n_nodes = lab->n_nodes;
  sv.nodes = xcalloc (lab->n_nodes ? lab->n_nodes : 1, sizeof (*sv.nodes));
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      struct sv_node *n = &sv.nodes[i];
      sv_unit_init (&sv, &n->u, lab->nodes[i].name, "node", &lab->nodes[i].supervise);
      n->index = i;
      n->node = &lab->nodes[i];
      n->synced_followers = -1;
      labo_timer_init (&n->probe_timer, NULL, n);
      labo_timer_init (&n->settle_timer, NULL, n);
    }
  sv.ops->setup (&sv);
  restore (&sv);
  {
    /* hosts powered off stay off under a new supervisor */
    cleanup_free bool *off = NULL;
    labo_power_load (lab, &off, NULL);
    for (size_t i = 0; i < sv.n_nodes; i++)
      if (off[lab->nodes[i].host])
        sv.nodes[i].u.state = SV_OFF;
    for (size_t h = 0; sv.daemons && h < lab->n_hosts; h++)
      if (off[h] && sv.daemons[h].u.sv)
        sv.daemons[h].u.state = SV_OFF;
  }
  if (listen_control (&sv, err) < 0)
    goto out;
  n_daemons = count_daemons (&sv);
  sv_event (&sv, "supervisor", lab->name,
            json_pack ("{s:i, s:s, s:b}", "pid", (int) getpid (), "runtime",
                       labo_runtime_name (runtime), "adopted", opts->adopt),
            "supervisor %d watching %zu daemon%s and %zu node%s (%s runtime%s)", (int) getpid (),
            n_daemons, n_daemons == 1 ? "" : "s", lab->n_nodes, lab->n_nodes == 1 ? "" : "s",
            labo_runtime_name (runtime), opts->adopt ? ", taking over what runs" : "");
  sv.ops->init (&sv);
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
