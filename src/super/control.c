/* The CLI's side of the supervisor: finding it, stopping it, and talking
 * to it over its control socket. See include/labo/super/control.h. */
#include "labo/super/control.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "labo/model/state.h"
#include "labo/util/util.h"

/* A SIGKILLed supervisor is gone within this, or something is wrong. */
#define KILL_WAIT_MS 5000

char *
labo_control_path (const char *lab, const char *file)
{
  return xasprintf ("%s/%s/%s", labo_run_dir (), lab, file);
}

pid_t
labo_supervisor_alive (const char *lab, bool *died)
{
  cleanup_free char *path = labo_control_path (lab, LABO_SUPERVISOR_PIDFILE);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  char buf[32] = "";
  ssize_t n;

  if (died)
    *died = fd >= 0;
  if (fd < 0)
    return 0;
  /* a lock we can take is a lock nobody holds: the supervisor is gone */
  if (flock (fd, LOCK_SH | LOCK_NB) == 0)
    return 0;
  if (died)
    *died = false;
  n = pread (fd, buf, sizeof (buf) - 1, 0);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  return (pid_t) atol (buf);
}

int
labo_supervisor_stop (const char *lab, double timeout_s, labo_error_t *err)
{
  pid_t pid = labo_supervisor_alive (lab, NULL);
  cleanup_close int pfd = -1;
  struct pollfd p;

  if (pid <= 0)
    return 0;
  pfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (pfd < 0)
    return errno == ESRCH ? 0 : labo_error_errno (err, "opening the supervisor (pid %d)", pid);
  /* the pid was read under the supervisor's lock; still locked now means
   * the pidfd is that very process, not a newcomer with a reused pid */
  if (labo_supervisor_alive (lab, NULL) != pid)
    return 0;
  for (int sig = SIGTERM;; sig = SIGKILL)
    {
      if (syscall (SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0 && errno != ESRCH)
        return labo_error_errno (err, "signalling the supervisor (pid %d)", pid);
      p = (struct pollfd){ pfd, POLLIN, 0 };
      while (poll (&p, 1, sig == SIGTERM ? (int) (timeout_s * 1000) : KILL_WAIT_MS) < 0
             && errno == EINTR)
        ;
      if (p.revents & POLLIN)
        return 1;
      if (sig == SIGKILL)
        return labo_error_make (err, 0, "the supervisor (pid %d) did not exit after SIGKILL",
                                pid);
    }
}

void
labo_supervisor_forget (const char *lab)
{
  cleanup_free char *path = labo_control_path (lab, LABO_SUPERVISOR_RECORD);
  unlink (path);
}

/* Connects to the lab's control socket. */
static int
connect_control (const char *lab, labo_error_t *err)
{
  cleanup_free char *path = labo_control_path (lab, LABO_CONTROL_SOCKET);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  cleanup_close int fd = -1;

  if (strlen (path) >= sizeof (sa.sun_path))
    return labo_error_make (err, 0, "the control socket path %s is too long", path);
  strcpy (sa.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return labo_error_errno (err, "creating a socket");
  if (connect (fd, (struct sockaddr *) &sa, sizeof (sa)) < 0)
    return labo_error_errno (err, "connecting to the supervisor of lab %s (%s)", lab, path);
  return steal_fd (&fd);
}

static int
send_request (int fd, json_t *req, labo_error_t *err)
{
  cleanup_free char *text = json_dumps (req, JSON_COMPACT);
  cleanup_free char *line = xasprintf ("%s\n", text ? text : "{}");
  size_t len = strlen (line), off = 0;

  while (off < len)
    {
      ssize_t n = send (fd, line + off, len - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return labo_error_errno (err, "sending to the supervisor");
      off += (size_t) n;
    }
  return 0;
}

/* Reads lines from fd, each parsed and given to cb, until cb says stop,
 * EOF, or (timeout_ms >= 0) the time is up. */
static int
read_lines (int fd, int timeout_ms, int (*cb) (json_t *, void *), void *data, labo_error_t *err)
{
  double deadline = labo_now () + timeout_ms / 1e3;
  cleanup_free char *buf = NULL;
  size_t len = 0, cap = 0;

  for (;;)
    {
      char *nl;
      ssize_t n;
      while (buf && (nl = memchr (buf, '\n', len)) != NULL)
        {
          json_t *obj;
          int stop;
          *nl = '\0';
          obj = json_loads (buf, 0, NULL);
          len -= (size_t) (nl + 1 - buf);
          memmove (buf, nl + 1, len);
          if (obj == NULL)
            return labo_error_make (err, 0, "the supervisor sent something that is not JSON");
          stop = cb (obj, data);
          json_decref (obj);
          if (stop)
            return 0;
        }
      if (timeout_ms >= 0)
        {
          int left = (int) ((deadline - labo_now ()) * 1000);
          struct pollfd p = { fd, POLLIN, 0 };
          int r = left > 0 ? poll (&p, 1, left) : 0;
          if (r < 0 && errno == EINTR)
            continue;
          if (r <= 0)
            return labo_error_make (err, ETIMEDOUT, "waiting for the supervisor's answer");
        }
      if (cap - len < 4096)
        buf = xrealloc (buf, cap = cap ? cap * 2 : 8192);
      n = read (fd, buf + len, cap - len - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return labo_error_errno (err, "reading from the supervisor");
      if (n == 0)
        return timeout_ms >= 0 ? labo_error_make (err, 0, "the supervisor closed the connection")
                               : 0;
      len += (size_t) n;
    }
}

static int
keep_first (json_t *obj, void *data)
{
  *(json_t **) data = json_incref (obj);
  return 1;
}

int
labo_control_call (const char *lab, json_t *req, int timeout_ms, json_t **reply,
                   labo_error_t *err)
{
  cleanup_close int fd = connect_control (lab, err);

  *reply = NULL;
  if (fd < 0 || send_request (fd, req, err) < 0
      || read_lines (fd, timeout_ms, keep_first, reply, err) < 0)
    return -1;
  if (!json_is_true (json_object_get (*reply, "ok")))
    {
      const char *e = json_string_value (json_object_get (*reply, "error"));
      labo_error_make (err, 0, "the supervisor of %s: %s", lab, e ? e : "request refused");
      json_decref (*reply);
      *reply = NULL;
      return -1;
    }
  return 0;
}

int
labo_control_stream (const char *lab, json_t *req, int (*cb) (json_t *obj, void *data),
                     void *data, labo_error_t *err)
{
  cleanup_close int fd = connect_control (lab, err);

  if (fd < 0 || send_request (fd, req, err) < 0)
    return -1;
  return read_lines (fd, -1, cb, data, err);
}

int
labo_control_open (const char *lab, json_t *req, labo_error_t *err)
{
  cleanup_close int fd = connect_control (lab, err);

  if (fd < 0 || send_request (fd, req, err) < 0)
    return -1;
  return steal_fd (&fd);
}

void
labo_control_note (const char *lab, const char *kind, const char *subject, json_t *fields,
                   const char *fmt, ...)
{
  json_t *req, *reply = NULL;
  labo_error_t err = NULL;
  char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  req = json_pack ("{s:s, s:s, s:s, s:s, s:o}", "cmd", "note", "kind", kind, "subject", subject,
                   "message", msg ? msg : "", "fields", fields ? fields : json_object ());
  free (msg);
  /* no supervisor, no events: nothing to tell */
  if (labo_supervisor_alive (lab, NULL) > 0)
    labo_control_call (lab, req, LABO_CONTROL_NOTE_MS, &reply, &err);
  labo_error_release (&err);
  json_decref (reply);
  json_decref (req);
}
