/* The unit core of the supervisor: what every daemon and node shares,
 * whatever its runtime: its transitions, the watch on its pid, the events
 * told about it, and the record a successor reads. See src/super/unit.h. */
#include "unit.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "labo/control.h"
#include "labo/util.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define RING_SIZE SV_RING_SIZE
#define EVENTS_MAX (4 << 20)
#define STATE_FILE "supervisor.json"

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
  path = labo_control_path (sv->lab->name, SV_EVENTS_FILE);
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
  if (sv->broadcast)
    sv->broadcast (sv, line, strlen (line));
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

void
sv_restore (struct sv *sv)
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

/* ---- a unit's life ---- */

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
