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

#include "labo/super/control.h"
#include "labo/util/util.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define RING_SIZE SV_RING_SIZE
#define EVENTS_MAX (4 << 20)
#define STATE_FILE LABO_SUPERVISOR_RECORD

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

void
sv_events_load (struct sv *sv)
{
  cleanup_free char *path = labo_control_path (sv->lab->name, SV_EVENTS_FILE);
  /* 256 events of a few hundred bytes */
  cleanup_free char *tail = sv_file_tail (path, 128 * 1024, RING_SIZE);
  char *line, *save = NULL;

  for (line = strtok_r (tail, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      json_t *ev = json_loads (line, 0, NULL);
      bool whole = json_is_object (ev); /* the first may be cut by the tail */
      json_decref (ev);
      if (!whole)
        continue;
      if (sv->ring_len == RING_SIZE)
        free (sv->ring[sv->ring_next]);
      else
        sv->ring_len++;
      sv->ring[sv->ring_next] = xasprintf ("%s\n", line);
      sv->ring_next = (sv->ring_next + 1) % RING_SIZE;
    }
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

/* ---- the table ----
 *
 * Every (state, event) of a unit, after s6-supervise's actions[][]: what
 * the unit core does and the state it leaves the unit in. Nothing else
 * sets a unit's state: the runtimes and the requests raise events
 * (sv_unit_on), and tests/unit/test_unit_fsm.c walks every cell. A cell
 * that cannot happen says so (IMPOSSIBLE: logged, nothing done) rather
 * than being left out; why it cannot is said where it is not plain:
 *   - the FOUND_ events come at the supervisor's start, before anything
 *     has moved a unit from STARTING;
 *   - a restart timer runs only in DOWN (sv_unit_on disarms it on the
 *     way to any other state), so RESTART_DUE comes only there;
 *   - a death needs a watched pid: STARTING, UP, STOPPING, or OFF (a
 *     power-off leaves the watch, and the death is then its own);
 *   - a refused start needs a start under way: a Docker node's (STARTING,
 *     or WAITING while its container is made again), a dockerd's launch
 *     from DOWN, a process's from STARTING;
 *   - probes run in UP; a round in flight when `labo restart` killed the
 *     node can still find it hung in STOPPING;
 *   - power-on and power-off come only for a host that is off, or on.
 * A daemon is never STOPPING: it stays UP until its pidfd says it died, so
 * that the gossip gates (sv_docker.c) count it as running until then;
 * that is why `labo restart` of a daemon and of a node are two events. */

#define GO(act, st) { SV_DO_##act, SV_##st }
#define NEVER { SV_DO_IMPOSSIBLE, SV_STARTING } /* next: the state it is in */

static const struct sv_transition table[SV_N_STATES][SV_N_EVENTS] = {
  [SV_STARTING] = {
    [SV_ON_FOUND_OFF]      = GO (NOTHING, OFF),
    [SV_ON_FOUND_GAVE_UP]  = GO (NOTHING, GAVE_UP),
    [SV_ON_WAIT_DAEMON]    = GO (NOTHING, WAITING),
    [SV_ON_RESTART_DUE]    = NEVER,
    [SV_ON_LAUNCH]         = GO (LAUNCH, STARTING), /* Docker: found stopped as it started */
    [SV_ON_UP]             = GO (UP, UP),
    [SV_ON_DIED_RESTART]   = GO (RESTART_LATER, DOWN), /* also found dead at adoption */
    [SV_ON_DIED_GIVE_UP]   = GO (GIVE_UP, GAVE_UP),
    [SV_ON_DIED_LEAVE]     = GO (LEAVE, LEFT),
    [SV_ON_DAEMON_DIED]    = GO (DIED_WITH_DAEMON, WAITING),
    [SV_ON_REFUSED_RETRY]  = GO (RETRY_LATER, DOWN),
    [SV_ON_REFUSED_LEAVE]  = GO (LEAVE_REFUSED, LEFT),
    [SV_ON_HUNG]           = NEVER,
    [SV_ON_RESTART_NODE]   = GO (BUSY, STARTING),
    [SV_ON_RESTART_DAEMON] = GO (BUSY, STARTING),
    [SV_ON_SIGNAL]         = GO (SIGNAL, STARTING),
    [SV_ON_POWER_OFF]      = GO (POWER_OFF, OFF),
    [SV_ON_POWER_ON]       = NEVER,
  },
  [SV_UP] = {
    [SV_ON_FOUND_OFF]      = NEVER,
    [SV_ON_FOUND_GAVE_UP]  = NEVER,
    [SV_ON_WAIT_DAEMON]    = NEVER,
    [SV_ON_RESTART_DUE]    = NEVER,
    [SV_ON_LAUNCH]         = NEVER,
    [SV_ON_UP]             = GO (UP, UP), /* Docker: its init's pidfd fired, yet it runs */
    [SV_ON_DIED_RESTART]   = GO (RESTART_LATER, DOWN),
    [SV_ON_DIED_GIVE_UP]   = GO (GIVE_UP, GAVE_UP),
    [SV_ON_DIED_LEAVE]     = GO (LEAVE, LEFT),
    [SV_ON_DAEMON_DIED]    = GO (DIED_WITH_DAEMON, WAITING),
    [SV_ON_REFUSED_RETRY]  = NEVER,
    [SV_ON_REFUSED_LEAVE]  = NEVER,
    [SV_ON_HUNG]           = GO (KILL, STOPPING),
    [SV_ON_RESTART_NODE]   = GO (RETRY_KILL, STOPPING),
    [SV_ON_RESTART_DAEMON] = GO (RETRY_KILL, UP),
    [SV_ON_SIGNAL]         = GO (SIGNAL, UP),
    [SV_ON_POWER_OFF]      = GO (POWER_OFF, OFF),
    [SV_ON_POWER_ON]       = NEVER,
  },
  [SV_STOPPING] = {
    [SV_ON_FOUND_OFF]      = NEVER,
    [SV_ON_FOUND_GAVE_UP]  = NEVER,
    [SV_ON_WAIT_DAEMON]    = NEVER,
    [SV_ON_RESTART_DUE]    = NEVER,
    [SV_ON_LAUNCH]         = NEVER,
    [SV_ON_UP]             = GO (UP, UP), /* Docker: started again (by hand) before it died */
    [SV_ON_DIED_RESTART]   = GO (RESTART_LATER, DOWN),
    [SV_ON_DIED_GIVE_UP]   = GO (GIVE_UP, GAVE_UP),
    [SV_ON_DIED_LEAVE]     = GO (LEAVE, LEFT),
    [SV_ON_DAEMON_DIED]    = GO (DIED_WITH_DAEMON, WAITING),
    [SV_ON_REFUSED_RETRY]  = NEVER,
    [SV_ON_REFUSED_LEAVE]  = NEVER,
    [SV_ON_HUNG]           = GO (KILL, STOPPING),
    [SV_ON_RESTART_NODE]   = GO (BUSY, STOPPING),
    [SV_ON_RESTART_DAEMON] = GO (BUSY, STOPPING),
    [SV_ON_SIGNAL]         = GO (NOT_RUNNING, STOPPING),
    [SV_ON_POWER_OFF]      = GO (POWER_OFF, OFF),
    [SV_ON_POWER_ON]       = NEVER,
  },
  [SV_DOWN] = {
    [SV_ON_FOUND_OFF]      = NEVER,
    [SV_ON_FOUND_GAVE_UP]  = NEVER,
    [SV_ON_WAIT_DAEMON]    = GO (NOTHING, WAITING),
    [SV_ON_RESTART_DUE]    = GO (START, DOWN), /* the runtime's start moves it on */
    [SV_ON_LAUNCH]         = GO (LAUNCH, STARTING),
    [SV_ON_UP]             = GO (UP, UP), /* Docker: started by hand while it waited */
    [SV_ON_DIED_RESTART]   = NEVER,
    [SV_ON_DIED_GIVE_UP]   = NEVER,
    [SV_ON_DIED_LEAVE]     = NEVER,
    [SV_ON_DAEMON_DIED]    = GO (NOTHING, WAITING), /* its restart comes with the daemon's */
    [SV_ON_REFUSED_RETRY]  = GO (RETRY_LATER, DOWN), /* a dockerd's launch */
    [SV_ON_REFUSED_LEAVE]  = GO (LEAVE_REFUSED, LEFT),
    [SV_ON_HUNG]           = NEVER,
    [SV_ON_RESTART_NODE]   = GO (RETRY, DOWN),
    [SV_ON_RESTART_DAEMON] = GO (RETRY, DOWN),
    [SV_ON_SIGNAL]         = GO (NOT_RUNNING, DOWN),
    [SV_ON_POWER_OFF]      = GO (POWER_OFF, OFF),
    [SV_ON_POWER_ON]       = NEVER,
  },
  [SV_WAITING] = {
    [SV_ON_FOUND_OFF]      = NEVER,
    [SV_ON_FOUND_GAVE_UP]  = NEVER,
    [SV_ON_WAIT_DAEMON]    = GO (NOTHING, WAITING),
    [SV_ON_RESTART_DUE]    = NEVER,
    [SV_ON_LAUNCH]         = GO (LAUNCH, STARTING),
    [SV_ON_UP]             = GO (UP, UP), /* found running once its daemon is */
    [SV_ON_DIED_RESTART]   = NEVER,
    [SV_ON_DIED_GIVE_UP]   = NEVER,
    [SV_ON_DIED_LEAVE]     = NEVER,
    [SV_ON_DAEMON_DIED]    = GO (NOTHING, WAITING),
    [SV_ON_REFUSED_RETRY]  = GO (RETRY_LATER, DOWN), /* its container made again, refused */
    [SV_ON_REFUSED_LEAVE]  = GO (LEAVE_REFUSED, LEFT),
    [SV_ON_HUNG]           = NEVER,
    [SV_ON_RESTART_NODE]   = GO (BUSY, WAITING),
    [SV_ON_RESTART_DAEMON] = GO (BUSY, WAITING),
    [SV_ON_SIGNAL]         = GO (NOT_RUNNING, WAITING),
    [SV_ON_POWER_OFF]      = GO (POWER_OFF, OFF),
    [SV_ON_POWER_ON]       = NEVER,
  },
  [SV_GAVE_UP] = {
    [SV_ON_FOUND_OFF]      = NEVER,
    [SV_ON_FOUND_GAVE_UP]  = NEVER,
    [SV_ON_WAIT_DAEMON]    = NEVER,
    [SV_ON_RESTART_DUE]    = NEVER,
    [SV_ON_LAUNCH]         = NEVER,
    [SV_ON_UP]             = GO (UP, UP), /* Docker: started by hand */
    [SV_ON_DIED_RESTART]   = NEVER,
    [SV_ON_DIED_GIVE_UP]   = NEVER,
    [SV_ON_DIED_LEAVE]     = NEVER,
    [SV_ON_DAEMON_DIED]    = GO (NOTHING, GAVE_UP),
    [SV_ON_REFUSED_RETRY]  = NEVER,
    [SV_ON_REFUSED_LEAVE]  = NEVER,
    [SV_ON_HUNG]           = NEVER,
    [SV_ON_RESTART_NODE]   = GO (RETRY, DOWN),
    [SV_ON_RESTART_DAEMON] = GO (RETRY, DOWN),
    [SV_ON_SIGNAL]         = GO (NOT_RUNNING, GAVE_UP),
    [SV_ON_POWER_OFF]      = GO (POWER_OFF, OFF),
    [SV_ON_POWER_ON]       = NEVER,
  },
  [SV_LEFT] = {
    [SV_ON_FOUND_OFF]      = NEVER,
    [SV_ON_FOUND_GAVE_UP]  = NEVER,
    [SV_ON_WAIT_DAEMON]    = NEVER,
    [SV_ON_RESTART_DUE]    = NEVER,
    [SV_ON_LAUNCH]         = NEVER,
    [SV_ON_UP]             = GO (UP, UP), /* Docker: started by hand */
    [SV_ON_DIED_RESTART]   = NEVER,
    [SV_ON_DIED_GIVE_UP]   = NEVER,
    [SV_ON_DIED_LEAVE]     = NEVER,
    [SV_ON_DAEMON_DIED]    = GO (NOTHING, LEFT),
    [SV_ON_REFUSED_RETRY]  = NEVER,
    [SV_ON_REFUSED_LEAVE]  = NEVER,
    [SV_ON_HUNG]           = NEVER,
    [SV_ON_RESTART_NODE]   = GO (RETRY, DOWN),
    [SV_ON_RESTART_DAEMON] = GO (RETRY, DOWN),
    [SV_ON_SIGNAL]         = GO (NOT_RUNNING, LEFT),
    [SV_ON_POWER_OFF]      = GO (POWER_OFF, OFF),
    [SV_ON_POWER_ON]       = NEVER,
  },
  [SV_OFF] = {
    [SV_ON_FOUND_OFF]      = NEVER,
    [SV_ON_FOUND_GAVE_UP]  = NEVER,
    [SV_ON_WAIT_DAEMON]    = NEVER,
    [SV_ON_RESTART_DUE]    = NEVER,
    [SV_ON_LAUNCH]         = NEVER,
    [SV_ON_UP]             = NEVER,
    [SV_ON_DIED_RESTART]   = GO (OFF_DEATH, OFF),
    [SV_ON_DIED_GIVE_UP]   = GO (OFF_DEATH, OFF),
    [SV_ON_DIED_LEAVE]     = GO (OFF_DEATH, OFF),
    [SV_ON_DAEMON_DIED]    = NEVER, /* a daemon powered off is no news for its nodes */
    [SV_ON_REFUSED_RETRY]  = NEVER,
    [SV_ON_REFUSED_LEAVE]  = NEVER,
    [SV_ON_HUNG]           = NEVER,
    [SV_ON_RESTART_NODE]   = GO (BUSY, OFF),
    [SV_ON_RESTART_DAEMON] = GO (BUSY, OFF),
    [SV_ON_SIGNAL]         = GO (NOT_RUNNING, OFF),
    [SV_ON_POWER_OFF]      = NEVER,
    [SV_ON_POWER_ON]       = GO (POWER_ON, DOWN), /* the runtime's start moves it on */
  },
};

#undef GO
#undef NEVER

struct sv_transition
sv_unit_decide (enum sv_state s, enum sv_unit_event e)
{
  struct sv_transition t = { SV_DO_UNSET, s };

  if ((unsigned) s >= SV_N_STATES || (unsigned) e >= SV_N_EVENTS)
    return t;
  t = table[s][e];
  if (t.action == SV_DO_IMPOSSIBLE || t.action == SV_DO_UNSET)
    t.next = s;
  return t;
}

enum sv_unit_event
sv_unit_death_event (enum labo_policy_verdict v)
{
  switch (v)
    {
    case LABO_POLICY_RESTART:
      return SV_ON_DIED_RESTART;
    case LABO_POLICY_GIVE_UP:
      return SV_ON_DIED_GIVE_UP;
    case LABO_POLICY_LEAVE:
    default:
      return SV_ON_DIED_LEAVE;
    }
}

enum sv_unit_event
sv_unit_refusal_event (enum labo_policy_verdict v)
{
  /* a refusal is never a give-up: giving up is for what runs and dies */
  return v == LABO_POLICY_RESTART ? SV_ON_REFUSED_RETRY : SV_ON_REFUSED_LEAVE;
}

const char *
sv_unit_event_name (enum sv_unit_event e)
{
  static const char *const names[SV_N_EVENTS] = {
    [SV_ON_FOUND_OFF] = "found-off",
    [SV_ON_FOUND_GAVE_UP] = "found-gave-up",
    [SV_ON_WAIT_DAEMON] = "wait-daemon",
    [SV_ON_RESTART_DUE] = "restart-due",
    [SV_ON_LAUNCH] = "launch",
    [SV_ON_UP] = "up",
    [SV_ON_DIED_RESTART] = "died:restart",
    [SV_ON_DIED_GIVE_UP] = "died:give-up",
    [SV_ON_DIED_LEAVE] = "died:leave",
    [SV_ON_DAEMON_DIED] = "daemon-died",
    [SV_ON_REFUSED_RETRY] = "refused:retry",
    [SV_ON_REFUSED_LEAVE] = "refused:leave",
    [SV_ON_HUNG] = "hung",
    [SV_ON_RESTART_NODE] = "restart-node",
    [SV_ON_RESTART_DAEMON] = "restart-daemon",
    [SV_ON_SIGNAL] = "signal",
    [SV_ON_POWER_OFF] = "power-off",
    [SV_ON_POWER_ON] = "power-on",
  };
  return (unsigned) e < SV_N_EVENTS && names[e] ? names[e] : "?";
}

const char *
sv_unit_action_name (enum sv_unit_action a)
{
  static const char *const names[SV_N_ACTIONS] = {
    [SV_DO_UNSET] = "unset",
    [SV_DO_IMPOSSIBLE] = "impossible",
    [SV_DO_NOTHING] = "nothing",
    [SV_DO_START] = "start",
    [SV_DO_LAUNCH] = "launch",
    [SV_DO_UP] = "up",
    [SV_DO_RESTART_LATER] = "restart-later",
    [SV_DO_GIVE_UP] = "give-up",
    [SV_DO_LEAVE] = "leave",
    [SV_DO_DIED_WITH_DAEMON] = "died-with-daemon",
    [SV_DO_OFF_DEATH] = "off-death",
    [SV_DO_RETRY_LATER] = "retry-later",
    [SV_DO_LEAVE_REFUSED] = "leave-refused",
    [SV_DO_KILL] = "kill",
    [SV_DO_RETRY] = "retry",
    [SV_DO_RETRY_KILL] = "retry-kill",
    [SV_DO_BUSY] = "busy",
    [SV_DO_SIGNAL] = "signal",
    [SV_DO_NOT_RUNNING] = "not-running",
    [SV_DO_POWER_OFF] = "power-off",
    [SV_DO_POWER_ON] = "power-on",
  };
  return (unsigned) a < SV_N_ACTIONS && names[a] ? names[a] : "?";
}

/* ---- the actions ---- */

/* What every death does to the unit, whatever follows: the pid's watch
 * gone, how and why it ended kept. The moment it was noticed, if known
 * (the pidfd's), else now. */
static json_t *
death_begin (struct sv_unit *u, const struct sv_unit_arg *a, const char *cause)
{
  double noticed = u->noticed ? u->noticed : a->now;
  char noticed_iso[32];

  sv_unwatch_pid (u);
  u->ours = false;
  snprintf (u->last_exit, sizeof (u->last_exit), "%s", a->exit_text);
  snprintf (u->cause, sizeof (u->cause), "%s", cause);
  u->up_since = 0;
  u->noticed = 0;
  return json_pack ("{s:s, s:s, s:s, s:f}", "exit", a->exit_text, "cause", a->cause, "noticed",
                    labo_iso_time (labo_wall () - (a->now - noticed), noticed_iso), "noticed_t",
                    labo_wall () - (a->now - noticed));
}

/* A death with the policy's verdict: the policy, as it was asked, kept. */
static json_t *
death_judged (struct sv_unit *u, const struct sv_unit_arg *a)
{
  json_t *f = death_begin (u, a, a->cause);
  u->policy = a->policy;
  json_object_set_new (f, "deaths", json_integer (u->policy.deaths));
  return f;
}

/* What every refused start does: nothing ran, it is no death (policy.h). */
static void
refusal_begin (struct sv_unit *u, const struct sv_unit_arg *a)
{
  sv_unwatch_pid (u);
  u->ours = false;
  u->up_since = 0;
  snprintf (u->cause, sizeof (u->cause), "%s", a->cause);
  u->policy = a->policy;
}

static void
act (struct sv_unit *u, enum sv_unit_action action, const struct sv_unit_arg *a)
{
  struct sv *sv = u->sv;
  char w1[24], w2[24], when[32];
  json_t *f;

  switch (action)
    {
    case SV_DO_START:
      sv_event (sv, "start", u->name,
                json_pack ("{s:i}", "restart", labo_policy_restarts (&u->policy) + 1),
                "starting (restart %u)", labo_policy_restarts (&u->policy) + 1);
      u->start (u);
      break;
    case SV_DO_LAUNCH:
      u->kill_sent = false;
      u->ours = true;
      break;
    case SV_DO_UP:
      if (a->counted)
        {
          /* when it really started (min_gap and quick deaths count from
           * there), not when the supervisor first saw it */
          double ago = a->up_since > 0 ? labo_wall () - a->up_since : 0;
          labo_policy_started (&u->policy, a->now - (ago > 0 ? ago : 0));
        }
      u->up_since = a->up_since;
      u->kill_sent = false;
      u->ours = false;
      free (u->log_tail);
      u->log_tail = NULL;
      sv_event (sv, "up", u->name,
                json_pack ("{s:i, s:i}", "pid", (int) u->pid, "restarts",
                           labo_policy_restarts (&u->policy)),
                "%s (pid %d, up since %s, %u restart%s)", u->kind, (int) u->pid,
                a->up_since > 0 ? labo_iso_time (a->up_since, when) : "?",
                labo_policy_restarts (&u->policy),
                labo_policy_restarts (&u->policy) == 1 ? "" : "s");
      sv_save (sv);
      break;
    case SV_DO_RESTART_LATER:
      f = death_judged (u, a);
      u->restart_at = a->at;
      json_object_set_new (f, "delay_ms", json_integer ((json_int_t) ((a->at - a->now) * 1000)));
      sv_event (sv, "died", u->name, f, "%s (%s); restart %u in %s", a->cause, a->exit_text,
                labo_policy_restarts (&u->policy) + 1,
                labo_duration_format ((long long) ((a->at - a->now) * 1000), w1));
      labo_timer_arm (sv->loop, &u->restart_timer, a->at);
      sv_save (sv);
      break;
    case SV_DO_GIVE_UP:
      f = death_judged (u, a);
      free (u->log_tail);
      u->log_tail = sv->ops->log_tail (u);
      sv_event (sv, "died", u->name, f, "%s (%s)", a->cause, a->exit_text);
      sv_event (sv, "gave-up", u->name,
                json_pack ("{s:s, s:i}", "exit", a->exit_text, "deaths", u->policy.deaths),
                "%d deaths within %s: not restarting it (last: %s); `labo logs %s`, then "
                "`labo restart %s`",
                u->cfg->give_up_deaths, labo_duration_format (u->cfg->give_up_within_ms, w2),
                a->exit_text, u->name, u->name);
      sv_save (sv);
      break;
    case SV_DO_LEAVE:
      f = death_judged (u, a);
      sv_event (sv, "died", u->name, f, "%s (%s); restart is off", a->cause, a->exit_text);
      sv_save (sv);
      break;
    case SV_DO_DIED_WITH_DAEMON:
      f = death_begin (u, a, a->cause);
      labo_policy_collateral (&u->policy, u->cfg, a->now);
      sv_event (sv, "died", u->name, f, "%s (%s); starts again with its daemon", a->cause,
                a->exit_text);
      sv_save (sv);
      break;
    case SV_DO_OFF_DEATH:
      /* its host was powered off: nothing for the policy */
      json_decref (death_begin (u, a, "powered off"));
      sv_save (sv);
      break;
    case SV_DO_RETRY_LATER:
      refusal_begin (u, a);
      u->restart_at = a->at;
      sv_event (sv, "start-failed", u->name,
                json_pack ("{s:s, s:i, s:I}", "error", a->cause, "refused", u->policy.refused,
                           "delay_ms", (json_int_t) ((a->at - a->now) * 1000)),
                "%s; trying again in %s", a->cause,
                labo_duration_format ((long long) ((a->at - a->now) * 1000), w1));
      labo_timer_arm (sv->loop, &u->restart_timer, a->at);
      sv_save (sv);
      break;
    case SV_DO_LEAVE_REFUSED:
      refusal_begin (u, a);
      sv_event (sv, "start-failed", u->name, json_pack ("{s:s}", "error", a->cause),
                "%s; restart is off", a->cause);
      sv_save (sv);
      break;
    case SV_DO_KILL:
      u->kill_sent = true;
      sv->ops->kill (u);
      break;
    case SV_DO_RETRY:
      labo_policy_reset (&u->policy);
      sv_event (sv, "retry", u->name, json_pack ("{s:s}", "verb", "restart"),
                "restart asked for (`labo restart`)");
      labo_timer_arm (sv->loop, &u->restart_timer, a->now);
      break;
    case SV_DO_RETRY_KILL:
      /* down, then up through the usual path: a kill is a death */
      labo_policy_reset (&u->policy);
      sv_event (sv, "retry", u->name, json_pack ("{s:s}", "verb", "restart"),
                "restart asked for (`labo restart`): killing it");
      u->kill_sent = true;
      sv->ops->kill (u);
      break;
    case SV_DO_BUSY:
      /* the tallies forgiven all the same: the next start, whenever it
       * comes, is a fresh one */
      labo_policy_reset (&u->policy);
      break;
    case SV_DO_SIGNAL:
      sv_event (sv, "kill", u->name, json_pack ("{s:s, s:i}", "verb", "kill", "signal", a->signal),
                "SIG%s sent (`labo kill`)",
                sigabbrev_np (a->signal) ? sigabbrev_np (a->signal) : "?");
      sv->ops->signal ((struct sv_node *) u, a->signal);
      break;
    case SV_DO_POWER_OFF:
      sv->ops->quiesce (u);
      break;
    case SV_DO_POWER_ON:
      u->start (u);
      break;
    case SV_DO_NOTHING:
    case SV_DO_NOT_RUNNING:
      break;
    case SV_DO_UNSET:
    case SV_DO_IMPOSSIBLE:
    case SV_N_ACTIONS:
    default:
      break; /* sv_unit_on stops before */
    }
}

enum sv_unit_action
sv_unit_on (struct sv_unit *u, enum sv_unit_event e, const struct sv_unit_arg *arg)
{
  struct sv_transition t = sv_unit_decide (u->state, e);
  struct sv_unit_arg a = arg ? *arg : (struct sv_unit_arg){ 0 };

  if (t.action == SV_DO_IMPOSSIBLE || t.action == SV_DO_UNSET)
    {
      /* a bug of the supervisor's: said where its log is read, and the
       * unit left as it is rather than moved somewhere wrong */
      fprintf (stderr, "labo: supervisor: internal error: %s %s: event %s while %s; ignored\n",
               u->kind, u->name, sv_unit_event_name (e), sv_state_name (u->state));
      return t.action;
    }
  if (a.now == 0)
    a.now = labo_now ();
  if (t.next != SV_DOWN)
    labo_timer_disarm (u->sv->loop, &u->restart_timer);
  u->state = t.next;
  act (u, t.action, &a);
  return t.action;
}

/* ---- the events the runtimes raise ---- */

static void
restart_due (struct labo_loop *loop, void *data)
{
  sv_unit_on (data, SV_ON_RESTART_DUE, NULL);
}

void
sv_unit_up (struct sv_unit *u, double up_since_wall, bool counted_start)
{
  struct sv_unit_arg a = { .up_since = up_since_wall, .counted = counted_start };
  sv_unit_on (u, SV_ON_UP, &a);
}

void
sv_unit_died (struct sv_unit *u, const char *exit_text, const char *cause)
{
  struct sv_unit_arg a = { .now = labo_now (), .exit_text = exit_text, .cause = cause,
                           .policy = u->policy };

  /* asked on a copy: the table says whether this death is the policy's */
  sv_unit_on (u, sv_unit_death_event (labo_policy_died (&a.policy, u->cfg, a.now, &a.at)), &a);
}

bool
sv_unit_adopt (struct sv_unit *u, pid_t pid)
{
  if (u->policy.gave_up)
    {
      sv_unit_on (u, SV_ON_FOUND_GAVE_UP, NULL);
      return false;
    }
  if (pid > 0 && sv_watch_pid (u, pid, sv_is_child (pid)) == 0)
    return true;
  /* gone while nobody watched: the policy decides */
  sv_unit_died (u, "unknown", "found dead");
  return false;
}

void
sv_unit_start_failed (struct sv_unit *u, const char *why)
{
  struct sv_unit_arg a = { .now = labo_now (), .cause = why, .policy = u->policy };

  sv_unit_on (u, sv_unit_refusal_event (labo_policy_refused (&a.policy, u->cfg, a.now, &a.at)),
              &a);
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
