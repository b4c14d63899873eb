/* Link settings of a running lab: see include/labo/engine/links.h. */
#include "labo/engine/links.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "labo/super/control.h"
#include "labo/net/ethtool.h"
#include "labo/net/netlink.h"
#include "labo/net/netns.h"
#include "labo/model/plan.h"
#include "labo/super/policy.h"
#include "labo/runtime/runtime.h"
#include "labo/model/state.h"
#include "labo/util/util.h"

#define LINKS_DIR "links"
/* the emulator's veth pair of port pN: indexes no plan gives */
#define EMU_IFINDEX0 100000
#define NETEM_LIMIT 10000 /* packets: room for a second at 100 Mbit/s */
/* An emulator, and each forwarder it starts, is ready once its packet
 * sockets are bound: milliseconds of work; 5 s allows for a loaded machine
 * and still fails `labo link` in a time a user waits for. */
#define READY_TIMEOUT_MS 5000
/* An emulator stops within milliseconds of SIGTERM (its loop reads a
 * signalfd); after 2 s it is killed, and given 2 s more to go. */
#define STOP_TIMEOUT_MS 2000
/* How often a stopping emulator is looked at: its pid file's lock goes
 * with it. */
#define STOP_POLL_MS 10

char *
labo_link_name (const struct labo_lab *lab, size_t link)
{
  const struct labo_link *l = &lab->links[link];
  return xasprintf ("%s@%s", lab->hosts[l->a.host].name,
                    l->kind == LABO_LINK_SEGMENT ? lab->segments[l->segment].name
                                                 : lab->hosts[l->b.host].name);
}

static char *
links_dir (const struct labo_lab *lab)
{
  return xasprintf ("%s/%s/" LINKS_DIR, labo_run_dir (), lab->name);
}

/* What a link's name ends in, for the error listing a host's links. */
static const char *
far_end (const struct labo_lab *lab, const struct labo_link *l, size_t h)
{
  if (l->kind == LABO_LINK_SEGMENT)
    return lab->segments[l->segment].name;
  return lab->hosts[l->a.host == h ? l->b.host : l->a.host].name;
}

int
labo_link_lookup (const struct labo_lab *lab, const char *host, const char *segment,
                  size_t *link, labo_error_t *err)
{
  long h = labo_lab_find_host (lab, host);
  size_t found = 0, n = 0;
  cleanup_free char *list = xstrdup ("");

  if (h < 0)
    return labo_error_make (err, ENOENT, "lab %s has no host named %s", lab->name, host);
  for (size_t l = 0; l < lab->n_links; l++)
    {
      const struct labo_link *k = &lab->links[l];
      char *t;
      if (k->a.host != (size_t) h && !(k->kind == LABO_LINK_P2P && k->b.host == (size_t) h))
        continue;
      t = xasprintf ("%s%s%s", list, n ? ", " : "", far_end (lab, k, (size_t) h));
      free (list);
      list = t;
      n++;
      if (segment == NULL || strcmp (far_end (lab, k, (size_t) h), segment) == 0)
        {
          found++;
          *link = l;
        }
    }
  if (n == 0)
    return labo_error_make (err, ENOENT, "host %s has no link", host);
  if (found == 0)
    return labo_error_make (err, ENOENT, "host %s has no link to %s (its links go to: %s)", host,
                            segment, list);
  if (found > 1)
    return labo_error_make (err, EINVAL, "host %s has %zu links (to %s): name the one to set",
                            host, n, list);
  return 0;
}

/* ---- where a link's ends are ---- */

/* One veth that carries the link: its host end and its other end (the
 * bridge port pN, or the peer host's interface), and for the emulator the
 * pair it splices in. */
struct splice
{
  int ns_a, ns_b;           /* plan namespaces */
  char if_a[IFNAMSIZ], if_b[IFNAMSIZ];
  int idx_a, idx_b;
  int bridge;               /* the port's bridge, 0 for p2p */
  int mtu;
  char emu[IFNAMSIZ], br[IFNAMSIZ];
  int emu_idx, br_idx;
  char *base;               /* <run>/<lab>/links/<name>[+overlay] */
};

struct where
{
  struct labo_plan *plan;
  struct splice sp[2];
  size_t n;
  bool p2p;
  char *conf;               /* <base of sp[0]>.conf */
  char *name;
};

static void
where_free (struct where *w)
{
  for (size_t i = 0; i < w->n; i++)
    free (w->sp[i].base);
  free (w->conf);
  free (w->name);
  labo_plan_free (w->plan);
}

static void
splice_of (struct splice *s, const struct labo_plan_veth *v, const char *base)
{
  int port_no;
  s->ns_a = v->ns_a;
  s->ns_b = v->ns_b;
  snprintf (s->if_a, sizeof (s->if_a), "%s", v->ifname_a);
  snprintf (s->if_b, sizeof (s->if_b), "%s", v->ifname_b);
  s->idx_a = v->ifindex_a;
  s->idx_b = v->ifindex_b;
  s->bridge = v->master_b;
  s->mtu = v->mtu;
  port_no = v->ifindex_b - LABO_PORT_IFINDEX0;
  snprintf (s->emu, sizeof (s->emu), "%.8s-emu", v->ifname_b);
  snprintf (s->br, sizeof (s->br), "%.8s-br", v->ifname_b);
  s->emu_idx = EMU_IFINDEX0 + 2 * port_no;
  s->br_idx = s->emu_idx + 1;
  s->base = xstrdup (base);
}

/* The link's veth, and in the process runtime the host's overlay veth when
 * the link is the one its overlay traffic would ride (its lab address's):
 * with Docker that traffic is VXLAN across the link, so it is slowed too. */
static void
where_of (const struct labo_lab *lab, size_t link, struct where *w)
{
  const struct labo_link *l = &lab->links[link];
  cleanup_free char *dir = links_dir (lab);
  cleanup_free char *base = NULL;

  memset (w, 0, sizeof (*w));
  w->plan = labo_plan_build (lab);
  w->name = labo_link_name (lab, link);
  w->p2p = l->kind == LABO_LINK_P2P;
  base = xasprintf ("%s/%s", dir, w->name);
  w->conf = xasprintf ("%s.conf", base);
  for (size_t i = 0; i < w->plan->n_veths; i++)
    if (w->plan->veths[i].link == link)
      splice_of (&w->sp[w->n++], &w->plan->veths[i], base);
  if (labo_runtime_of (lab)->overlay_on_hosts && lab->overlay.present && !w->p2p && l->a.has_addr
      && l->a.addr.addr == lab->hosts[l->a.host].lab_address)
    {
      char ov[IFNAMSIZ];
      labo_plan_overlay_ifname (lab, l->a.host, ov);
      for (size_t i = 0; i < w->plan->n_veths; i++)
        {
          const struct labo_plan_veth *v = &w->plan->veths[i];
          if (v->link == (size_t) -1 && v->ns_a == (int) l->a.host && strcmp (v->ifname_a, ov) == 0)
            {
              cleanup_free char *b2 = xasprintf ("%s+overlay", base);
              splice_of (&w->sp[w->n++], v, b2);
              break;
            }
        }
    }
}

static const char *
ns_of (const struct where *w, int ns)
{
  return ns == LABO_NS_SWITCH ? w->plan->switch_ns : w->plan->host_ns[ns];
}

/* A netlink socket in plan namespace ns. */
static int
nl_in (const struct where *w, int ns, struct labo_nl *nl, labo_error_t *err)
{
  cleanup_close int fd = labo_netns_open (ns_of (w, ns), err);
  if (fd < 0)
    return -1;
  return labo_nl_open_in (nl, fd, ns_of (w, ns), err);
}

/* ---- the record ---- */

static void
parse_record (const char *text, struct labo_linkset *out)
{
  memset (out, 0, sizeof (*out));
  labo_impair_parse (text, &out->im);
  for (const char *l = text; l && *l; l = strchr (l, '\n') ? strchr (l, '\n') + 1 : NULL)
    if (strncmp (l, "down=", 5) == 0)
      out->down = l[5] == '1';
    else if (strncmp (l, "mechanism=", 10) == 0)
      {
        char m[16];
        size_t n = strcspn (l + 10, "\n");
        snprintf (m, sizeof (m), "%.*s", (int) (n < sizeof (m) ? n : sizeof (m) - 1), l + 10);
        if (labo_link_mech_parse (m, &out->mech) < 0)
          out->mech = LABO_MECH_NONE;
      }
}

void
labo_linkset_load (const struct labo_lab *lab, size_t link, struct labo_linkset *out)
{
  cleanup_free char *dir = links_dir (lab);
  cleanup_free char *name = labo_link_name (lab, link);
  cleanup_free char *path = xasprintf ("%s/%s.conf", dir, name);
  cleanup_free char *text = labo_read_file (path, NULL);
  parse_record (text ? text : "", out);
}

/* The emulator reads this file too (it ignores the keys it does not know). */
static int
write_record (const struct where *w, const struct labo_linkset *s, labo_error_t *err)
{
  cleanup_free char *im = labo_impair_format (&s->im);
  cleanup_free char *text
      = xasprintf ("%sdown=%d\nmechanism=%s\n", im, s->down ? 1 : 0, labo_link_mech_name (s->mech));
  if (labo_write_file (w->conf, text, strlen (text), 0600) < 0)
    return labo_error_errno (err, "recording the settings of link %s in %s", w->name, w->conf);
  return 0;
}

/* The links directory, flocked: one change of a lab's links at a time. */
static int
lock_links (const struct labo_lab *lab, labo_error_t *err)
{
  cleanup_free char *dir = links_dir (lab);
  cleanup_free char *path = xasprintf ("%s/.lock", dir);

  if (labo_mkdir_p (dir, 0700) < 0)
    return labo_error_errno (err, "creating %s", dir);
  return labo_state_lock (path, err);
}

/* ---- the emulator process ---- */

/* Its pid, if it runs: it holds the lock of its pid file while it does. */
static pid_t
emulator_pid (const char *base)
{
  cleanup_free char *path = xasprintf ("%s.pid", base);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  char buf[32] = "";
  ssize_t n;

  if (fd < 0)
    return 0;
  if (flock (fd, LOCK_SH | LOCK_NB) == 0)
    return 0; /* nobody holds it */
  n = pread (fd, buf, sizeof (buf) - 1, 0);
  buf[n > 0 ? n : 0] = '\0';
  return (pid_t) atol (buf);
}

static bool
emulator_gone (const char *base)
{
  return emulator_pid (base) == 0;
}

static int
stop_emulator (const char *base, labo_error_t *err)
{
  pid_t pid = emulator_pid (base);
  cleanup_free char *pidf = xasprintf ("%s.pid", base);

  if (pid <= 0)
    {
      unlink (pidf);
      return 0;
    }
  kill (pid, SIGTERM);
  for (int t = 0; t < STOP_TIMEOUT_MS / STOP_POLL_MS && !emulator_gone (base); t++)
    usleep (STOP_POLL_MS * 1000);
  if (!emulator_gone (base))
    {
      kill (pid, SIGKILL);
      for (int t = 0; t < STOP_TIMEOUT_MS / STOP_POLL_MS && !emulator_gone (base); t++)
        usleep (STOP_POLL_MS * 1000);
    }
  if (!emulator_gone (base))
    return labo_error_make (err, ETIMEDOUT, "the link emulator (pid %d) does not stop", (int) pid);
  unlink (pidf);
  return 0;
}

/* Starts `labo __linkemu` (this program, again: a fresh process that owns
 * nothing of ours) detached from us, in its own session, and waits until
 * it forwards. */
static int
start_emulator (const struct where *w, const struct splice *s, labo_error_t *err)
{
  cleanup_free char *log = xasprintf ("%s.log", s->base);
  char arg0[] = "labo", cmd[] = "__linkemu", fd3[] = "3", port[IFNAMSIZ], emu[IFNAMSIZ];
  char *const argv[] = { arg0, cmd, w->plan->switch_ns, port, emu, s->base, w->conf, fd3, NULL };
  int pfd[2], logfd, nullfd, status;
  pid_t pid;
  char byte;
  struct pollfd p;
  int r;

  memcpy (port, s->if_b, sizeof (port));
  memcpy (emu, s->emu, sizeof (emu));
  logfd = open (log, O_WRONLY | O_CREAT | O_NOFOLLOW | O_APPEND | O_CLOEXEC, 0600);
  if (logfd < 0)
    return labo_error_errno (err, "opening %s", log);
  nullfd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (nullfd < 0 || pipe2 (pfd, O_CLOEXEC) < 0)
    {
      int saved = errno;
      close (logfd);
      if (nullfd >= 0)
        close (nullfd);
      return labo_error_make (err, saved, "starting the link emulator of %s", w->name);
    }
  fflush (NULL);
  pid = fork ();
  if (pid == 0)
    {
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      setsid ();
      if (fork () != 0)
        _exit (0);
      /* stdin /dev/null, stdout and stderr its log, fd 3 the ready pipe */
      if (dup2 (nullfd, 0) < 0 || dup2 (logfd, 1) < 0 || dup2 (logfd, 2) < 0
          || dup2 (pfd[1], 3) < 0)
        _exit (127);
      execv ("/proc/self/exe", argv);
      _exit (127);
    }
  close (pfd[1]);
  close (logfd);
  close (nullfd);
  if (pid < 0)
    {
      close (pfd[0]);
      return labo_error_errno (err, "starting the link emulator of %s", w->name);
    }
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  p = (struct pollfd){ .fd = pfd[0], .events = POLLIN };
  do
    r = poll (&p, 1, READY_TIMEOUT_MS);
  while (r < 0 && errno == EINTR);
  r = r > 0 ? (int) read (pfd[0], &byte, 1) : -1;
  close (pfd[0]);
  if (r != 1)
    {
      cleanup_free char *tail = labo_read_file (log, NULL);
      const char *last = "";
      if (tail)
        {
          /* the last line of its log says why */
          size_t n = strlen (tail);
          while (n > 0 && tail[n - 1] == '\n')
            tail[--n] = '\0';
          last = strrchr (tail, '\n') ? strrchr (tail, '\n') + 1 : tail;
        }
      stop_emulator (s->base, NULL);
      return labo_error_make (err, 0, "the link emulator of %s did not start%s%s (log: %s)",
                              w->name, *last ? ": " : "", last, log);
    }
  return 0;
}

/* A line of the emulator's log (its stderr), "labo-linkemu PID: ...". */
static void emu_log (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
static void
emu_log (const char *fmt, ...)
{
  cleanup_free char *text = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&text, fmt, ap) < 0)
    text = NULL;
  va_end (ap);
  fprintf (stderr, "labo-linkemu %d: %s\n", (int) getpid (), text ? text : fmt);
}

/* Forks a forwarder (labo_linkemu_run between a and b) that dies with
 * `parent`. Returns its pid, and in *ready the end of the pipe on which it
 * writes a byte once ready; or -1. */
static pid_t
fork_forwarder (int a, int b, const char *conf, const char *stats, pid_t parent, int *ready,
                labo_error_t *err)
{
  int rp[2];
  pid_t w;

  if (pipe2 (rp, O_CLOEXEC) < 0)
    return labo_error_errno (err, "starting the forwarder");
  w = fork ();
  if (w < 0)
    {
      close (rp[0]);
      close (rp[1]);
      return labo_error_errno (err, "starting the forwarder");
    }
  if (w == 0)
    {
      labo_error_t werr = NULL;
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (getppid () != parent)
        _exit (1);
      prctl (PR_SET_NAME, "labo-linkemu-fw");
      close (rp[0]);
      if (labo_linkemu_run (a, b, conf, stats, rp[1], &werr) < 0)
        {
          emu_log ("%s", werr->msg);
          _exit (1);
        }
      _exit (0);
    }
  close (rp[1]);
  *ready = rp[0];
  return w;
}

/* A forwarder is ready once its sockets are bound: true when it says so
 * within READY_TIMEOUT_MS on `ready` (closed). The first ready one tells
 * labo link, on *ready_fd, once (then closed and -1). */
static bool
forwarder_ready (int ready, int *ready_fd)
{
  struct pollfd pf = { .fd = ready, .events = POLLIN };
  char byte;
  bool ok = poll (&pf, 1, READY_TIMEOUT_MS) == 1 && read (ready, &byte, 1) == 1;

  close (ready);
  if (ok && *ready_fd >= 0)
    {
      if (write (*ready_fd, &byte, 1) < 0)
        {
          /* labo link stopped waiting: it will say so */
        }
      close (*ready_fd);
      *ready_fd = -1;
    }
  return ok;
}

/* Waits for forwarder w to die, passing SIGHUP on. Returns true when
 * SIGTERM or SIGINT came (w then stopped and reaped), false when w died
 * (its wait status in *status). */
static bool
wait_forwarder (pid_t w, const sigset_t *sigs, int *status)
{
  siginfo_t si;

  for (;;)
    {
      if (sigwaitinfo (sigs, &si) < 0)
        continue;
      if (si.si_signo == SIGHUP)
        kill (w, SIGHUP);
      else if (si.si_signo == SIGTERM || si.si_signo == SIGINT)
        {
          kill (w, SIGTERM);
          while (waitpid (w, NULL, 0) < 0 && errno == EINTR)
            ;
          return true;
        }
      else if (waitpid (w, status, WNOHANG) == w)
        return false;
    }
}

/* A forwarder's death, into the log and the policy: 0 and when to start
 * the next one in *at, or -1 when the policy gives up. */
static int
forwarder_died (int status, struct labo_policy *pol, const struct labo_supervise *cfg,
                double *at, labo_error_t *err)
{
  char what[64];

  if (WIFSIGNALED (status))
    snprintf (what, sizeof (what), "killed by SIG%s", sigabbrev_np (WTERMSIG (status)));
  else
    snprintf (what, sizeof (what), "exit %d", WEXITSTATUS (status));
  if (labo_policy_died (pol, cfg, labo_now (), at) != LABO_POLICY_RESTART)
    {
      emu_log ("the forwarder died (%s), %u deaths: giving up", what, pol->deaths);
      return labo_error_make (err, 0, "the forwarder died %u times: gave up", pol->deaths);
    }
  emu_log ("the forwarder died (%s); restarting it in %.0f ms", what,
           1000 * (*at - labo_now () > 0 ? *at - labo_now () : 0));
  return 0;
}

/* Waits until `at` (the next start); true if SIGTERM or SIGINT came. */
static bool
backoff (const sigset_t *sigs, double at)
{
  siginfo_t si;

  while (labo_now () < at)
    {
      double left = at - labo_now ();
      struct timespec ts = { (time_t) left, (long) ((left - (double) (time_t) left) * 1e9) };
      int sig = sigtimedwait (sigs, &si, &ts);
      if (sig == SIGTERM || sig == SIGINT)
        return true;
    }
  return false;
}

/* The forwarder runs in a child of the emulator process, which restarts
 * it when it dies, after s6-supervise: with the supervisor's default
 * policy (a minimum gap, a doubling backoff, giving up after too many
 * deaths in a while), logging each death. The parent holds the pid file's
 * lock and does nothing else, so what kills the forwarder (a bug, the OOM
 * killer) does not leave the link cut; the parent's own death takes the
 * forwarder with it (PR_SET_PDEATHSIG) and shows in status. SIGTERM and
 * SIGINT stop both, SIGHUP (new settings) is passed on. Returns 0 when
 * stopped, -1 when the first forwarder could not start, or it gave up. */
static int
supervise_forwarder (int a, int b, const char *conf, const char *stats, int ready_fd,
                     labo_error_t *err)
{
  struct labo_supervise cfg = labo_supervise_defaults ();
  struct labo_policy pol;
  sigset_t sigs;
  pid_t parent = getpid ();
  bool ever_ready = false;

  labo_policy_init (&pol);
  sigemptyset (&sigs);
  sigaddset (&sigs, SIGTERM);
  sigaddset (&sigs, SIGINT);
  sigaddset (&sigs, SIGHUP);
  sigaddset (&sigs, SIGCHLD);
  sigprocmask (SIG_BLOCK, &sigs, NULL);
  for (;;)
    {
      double at;
      int status = 0, ready = -1;
      pid_t w;

      labo_policy_started (&pol, labo_now ());
      w = fork_forwarder (a, b, conf, stats, parent, &ready, err);
      if (w < 0)
        return -1;
      if (forwarder_ready (ready, &ready_fd))
        ever_ready = true;
      else if (!ever_ready)
        {
          /* the first one has nothing to restart: labo link reports it
           * (from the log) */
          kill (w, SIGKILL);
          while (waitpid (w, NULL, 0) < 0 && errno == EINTR)
            ;
          return labo_error_make (err, 0, "the forwarder did not start (see above)");
        }
      if (wait_forwarder (w, &sigs, &status))
        return 0;
      if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
        return 0; /* stopped on its own: told to */
      if (forwarder_died (status, &pol, &cfg, &at, err) < 0)
        return -1;
      if (backoff (&sigs, at))
        return 0;
    }
}

int
labo_linkemu_serve (const char *switch_ns, const char *port, const char *emu_port,
                    const char *base, const char *conf, int ready_fd, labo_error_t *err)
{
  cleanup_free char *pidf = xasprintf ("%s.pid", base);
  cleanup_free char *stats = xasprintf ("%s.stats", base);
  cleanup_close int fd = open (pidf, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  char buf[32];
  int a, b, r;

  prctl (PR_SET_NAME, "labo-linkemu");
  if (fd < 0)
    return labo_error_errno (err, "opening %s", pidf);
  if (flock (fd, LOCK_EX | LOCK_NB) < 0)
    return labo_error_errno (err, "an emulator already runs for %s (%s)", port, pidf);
  snprintf (buf, sizeof (buf), "%d\n", (int) getpid ());
  if (ftruncate (fd, 0) < 0 || pwrite (fd, buf, strlen (buf), 0) < 0)
    return labo_error_errno (err, "writing %s", pidf);
  if (labo_netns_enter (switch_ns, err) < 0)
    return -1;
  a = (int) if_nametoindex (port);
  b = (int) if_nametoindex (emu_port);
  if (a == 0 || b == 0)
    return labo_error_errno (err, "finding %s in %s", a == 0 ? port : emu_port, switch_ns);
  emu_log ("forwarding between %s and %s in %s", port, emu_port, switch_ns);
  r = supervise_forwarder (a, b, conf, stats, ready_fd, err);
  emu_log ("stopped");
  unlink (pidf);
  return r;
}

/* ---- putting mechanisms in place and away ---- */

static bool
status_is (labo_error_t *err, int status)
{
  return *err && (*err)->status == status;
}

/* Offloads a virtio-net header cannot describe: a packet socket drops a
 * frame that carries one (VXLAN's segmentation, which Docker's overlay
 * uses, first of all). Off on the two interfaces that send into the
 * emulator (the host's end, into pN; pN-br, into pN-emu), the kernel
 * segments such frames before they reach it. */
static const char *const tunnel_offloads[]
    = { "tx-udp_tnl-segmentation", "tx-udp_tnl-csum-segmentation", "tx-gre-segmentation",
        "tx-gre-csum-segmentation", "tx-ipxip4-segmentation", "tx-ipxip6-segmentation",
        "tx-sctp-segmentation", "tx-gso-list", "tx-esp-segmentation",
        "tx-tunnel-remcsum-segmentation", "tx-udp-segmentation", "tx-gso-partial" };
#define N_TUNNEL_OFFLOADS (sizeof (tunnel_offloads) / sizeof (tunnel_offloads[0]))

static int
offloads_set (const struct where *w, int ns, const char *ifname, bool on, labo_error_t *err)
{
  cleanup_close int fd = labo_netns_open (ns_of (w, ns), err);
  if (fd < 0)
    return -1;
  return labo_ethtool_features_set (fd, ns_of (w, ns), ifname, tunnel_offloads,
                                    N_TUNNEL_OFFLOADS, on, err);
}

/* The emulator between pN and the bridge: the pair, the emulator, then
 * the bridge port swapped in one batch (pN off, pN-br on). Done again on a
 * spliced link whose emulator died, it only starts the emulator. */
static int
splice_in (const struct where *w, const struct splice *s, labo_error_t *err)
{
  struct labo_nl nl;
  struct labo_nl_veth_end a = { s->emu, s->emu_idx, -1, 0, w->plan->switch_ns };
  struct labo_nl_veth_end b = { s->br, s->br_idx, -1, 0, w->plan->switch_ns };
  int ret = -1;

  if (nl_in (w, LABO_NS_SWITCH, &nl, err) < 0)
    return -1;
  labo_nl_veth_add (&nl, &a, &b, s->mtu);
  if (labo_nl_flush (&nl, err) < 0)
    {
      if (!status_is (err, EEXIST))
        goto out;
      labo_error_release (err);
    }
  /* pN-br up but not on the bridge yet: the emulator's frames to it go
   * nowhere while pN still is a port (no loop) */
  labo_nl_link_up (&nl, s->br_idx, s->br);
  if (labo_nl_flush (&nl, err) < 0 || offloads_set (w, LABO_NS_SWITCH, s->br, false, err) < 0
      || offloads_set (w, s->ns_a, s->if_a, false, err) < 0)
    goto out;
  if (emulator_gone (s->base) && start_emulator (w, s, err) < 0)
    goto out;
  labo_nl_set_nomaster (&nl, s->idx_b, s->if_b);
  labo_nl_set_master (&nl, s->br_idx, s->br, s->bridge);
  ret = labo_nl_flush (&nl, err);
out:
  labo_nl_close (&nl);
  return ret;
}

/* Back as `up` made it: pN on the bridge, the emulator stopped, the pair
 * gone. Each step is done even when there is nothing to undo. */
static int
splice_out (const struct where *w, const struct splice *s, labo_error_t *err)
{
  struct labo_nl nl;
  int ret = 0;

  if (nl_in (w, LABO_NS_SWITCH, &nl, err) < 0)
    return -1;
  /* the ports swapped back in one batch: never both on the bridge while
   * the emulator joins them (a loop) */
  labo_nl_set_nomaster (&nl, s->br_idx, s->br);
  labo_nl_set_master (&nl, s->idx_b, s->if_b, s->bridge);
  if (labo_nl_flush (&nl, err) < 0)
    {
      /* no pair (never made, or gone): pN alone */
      labo_error_release (err);
      labo_nl_set_master (&nl, s->idx_b, s->if_b, s->bridge);
      if (labo_nl_flush (&nl, err) < 0)
        ret = -1;
    }
  if (stop_emulator (s->base, ret < 0 ? NULL : err) < 0)
    ret = -1;
  labo_nl_link_del (&nl, s->emu_idx, s->emu);
  if (labo_nl_flush (&nl, ret < 0 ? NULL : err) < 0 && ret == 0)
    {
      if (status_is (err, ENODEV))
        labo_error_release (err);
      else
        ret = -1;
    }
  labo_nl_close (&nl);
  if (offloads_set (w, s->ns_a, s->if_a, true, ret < 0 ? NULL : err) < 0)
    ret = -1;
  {
    cleanup_free char *log = xasprintf ("%s.log", s->base);
    cleanup_free char *stats = xasprintf ("%s.stats", s->base);
    unlink (log);
    unlink (stats);
  }
  return ret;
}

/* netem on one end: (ns, idx) egress; none: the qdisc deleted. */
static int
netem_end (const struct where *w, int ns, int idx, const char *ifname,
           const struct labo_impair *im, labo_error_t *err)
{
  struct labo_nl nl;
  int ret;

  if (nl_in (w, ns, &nl, err) < 0)
    return -1;
  if (im)
    labo_nl_netem (&nl, idx, ifname, im, NETEM_LIMIT);
  else
    labo_nl_qdisc_del_root (&nl, idx, ifname);
  ret = labo_nl_flush (&nl, err);
  labo_nl_close (&nl);
  /* deleting what is not there */
  if (ret < 0 && !im && (status_is (err, ENOENT) || status_is (err, EINVAL)))
    {
      labo_error_release (err);
      ret = 0;
    }
  return ret;
}

/* netem on both ends of every veth of the link (im NULL: taken away). */
static int
netem_set (const struct where *w, const struct labo_impair *im, labo_error_t *err)
{
  for (size_t i = 0; i < w->n; i++)
    {
      const struct splice *s = &w->sp[i];
      if (netem_end (w, s->ns_b, s->idx_b, s->if_b, im, err) < 0
          || netem_end (w, s->ns_a, s->idx_a, s->if_a, im, err) < 0)
        return -1;
    }
  return 0;
}

static int
mech_away (const struct where *w, enum labo_link_mech m, labo_error_t *err)
{
  int ret = 0;
  if (m == LABO_MECH_NETEM)
    return netem_set (w, NULL, err);
  if (m == LABO_MECH_EMULATOR)
    for (size_t i = 0; i < w->n; i++)
      if (splice_out (w, &w->sp[i], ret < 0 ? NULL : err) < 0)
        ret = -1;
  return ret;
}

/* The link pulled out or plugged back: the far end of each veth (the
 * bridge port, or the peer host's interface) down or up, so that the host
 * sees no carrier, as with a cable out. */
static int
carrier_set (const struct where *w, bool up, labo_error_t *err)
{
  for (size_t i = 0; i < w->n; i++)
    {
      struct labo_nl nl;
      int ret;
      if (nl_in (w, w->sp[i].ns_b, &nl, err) < 0)
        return -1;
      labo_nl_link_set (&nl, w->sp[i].idx_b, w->sp[i].if_b, up);
      ret = labo_nl_flush (&nl, err);
      labo_nl_close (&nl);
      if (ret < 0)
        return -1;
    }
  return 0;
}

/* netem first, where it may be the mechanism (*m NONE: auto, or NETEM),
 * with the settings wanted: on success *m is NETEM. A kernel without it
 * says ENOENT (the module is requested first): then auto falls back to
 * the emulator (*m EMULATOR), a first --mechanism netem fails. */
static int
netem_probe (const struct where *w, const struct labo_linkset *want,
             const struct labo_linkset *cur, enum labo_link_mech *m, labo_error_t *err)
{
  if (netem_set (w, &want->im, err) == 0)
    {
      *m = LABO_MECH_NETEM;
      return 0;
    }
  if (*m == LABO_MECH_NETEM && cur->mech == LABO_MECH_NONE && status_is (err, ENOENT))
    return labo_error_wrap (err, "this kernel has no sch_netem (--mechanism emulator, or "
                                 "auto, uses labo's own)");
  if (*m == LABO_MECH_NONE && (status_is (err, ENOENT) || status_is (err, EOPNOTSUPP)))
    {
      labo_error_release (err);
      *m = LABO_MECH_EMULATOR;
      return 0;
    }
  return -1;
}

/* The emulator with the settings wanted: the record first (it reads it),
 * then each splice's emulator told (SIGHUP) or spliced in. A splice that
 * fails takes the emulator away again, and the record says so. */
static int
emulate (const struct where *w, struct labo_linkset *want, labo_error_t *err)
{
  if (w->p2p)
    return labo_error_make (err, EOPNOTSUPP,
                            "link %s joins two hosts directly: this kernel has no sch_netem, "
                            "and labo's emulator works on links to a segment (put the hosts on "
                            "a segment to slow the link between them)",
                            w->name);
  want->mech = LABO_MECH_EMULATOR;
  if (write_record (w, want, err) < 0)
    return -1;
  for (size_t i = 0; i < w->n; i++)
    {
      pid_t pid = emulator_pid (w->sp[i].base);
      if (pid > 0)
        kill (pid, SIGHUP);
      else if (splice_in (w, &w->sp[i], err) < 0)
        {
          mech_away (w, LABO_MECH_EMULATOR, NULL);
          want->mech = LABO_MECH_NONE;
          write_record (w, want, NULL);
          return -1;
        }
    }
  return 0;
}

/* Settings wanted: by the mechanism in place, else the one asked for
 * (NONE: netem if the kernel has it, else the emulator). Sets want->mech
 * to the one used. */
static int
impair (const struct where *w, struct labo_linkset *want, const struct labo_linkset *cur,
        labo_error_t *err)
{
  enum labo_link_mech m = cur->mech != LABO_MECH_NONE ? cur->mech : want->mech;

  if ((m == LABO_MECH_NONE || m == LABO_MECH_NETEM) && netem_probe (w, want, cur, &m, err) < 0)
    return -1;
  if (m == LABO_MECH_EMULATOR && emulate (w, want, err) < 0)
    return -1;
  want->mech = m;
  return 0;
}

/* The settings as JSON fields of o (docs/json.md): those every link has,
 * and the others when set. */
static void
impair_fields (json_t *o, const struct labo_impair *im)
{
  json_object_set_new (o, "delay_us", json_integer (im->delay_us));
  json_object_set_new (o, "jitter_us", json_integer (im->jitter_us));
  json_object_set_new (o, "loss_ppm", json_integer (im->loss_ppm));
  json_object_set_new (o, "rate_bps", json_integer ((json_int_t) im->rate_bps));
  if (im->loss_corr_ppm)
    json_object_set_new (o, "loss_corr_ppm", json_integer (im->loss_corr_ppm));
  if (im->ge_p_ppm)
    json_object_set_new (o, "gemodel",
                         json_pack ("{s:i, s:i, s:i, s:i}", "p_ppm", (int) im->ge_p_ppm, "r_ppm",
                                    (int) im->ge_r_ppm, "bad_ppm", (int) im->ge_bad_ppm,
                                    "good_ppm", (int) im->ge_good_ppm));
  if (im->corrupt_ppm)
    json_object_set_new (o, "corrupt_ppm", json_integer (im->corrupt_ppm));
  if (im->duplicate_ppm)
    json_object_set_new (o, "duplicate_ppm", json_integer (im->duplicate_ppm));
  if (im->reorder_ppm)
    json_object_set_new (o, "reorder_ppm", json_integer (im->reorder_ppm));
  if (im->seed)
    json_object_set_new (o, "seed", json_integer ((json_int_t) im->seed));
}

/* Into the events: what the link carries now. */
static void
note_link (const struct labo_lab *lab, const struct where *w, const struct labo_linkset *want)
{
  cleanup_free char *im = labo_impair_describe (&want->im);
  cleanup_free char *what = xasprintf ("%s%s%s", want->down ? "pulled out" : "",
                                       want->down && !labo_impair_none (&want->im) ? ", " : "",
                                       labo_impair_none (&want->im)
                                           ? (want->down ? "" : "as up made it")
                                           : im);
  json_t *o = json_pack ("{s:s, s:s, s:b, s:s}", "verb", "link", "link", w->name, "down",
                         want->down, "mechanism", labo_link_mech_name (want->mech));
  impair_fields (o, &want->im);
  labo_control_note (lab->name, "fault", w->name, o, "link %s: %s (`labo link`)", w->name, what);
}

/* The settings wanted in place (or taken away), then the carrier, then
 * the record: a link as up made it has none. */
static int
apply (const struct where *w, struct labo_linkset *want, const struct labo_linkset *cur,
       labo_error_t *err)
{
  if (labo_impair_none (&want->im) && want->mech == LABO_MECH_NONE)
    {
      if (mech_away (w, cur->mech, err) < 0)
        return -1;
      want->mech = LABO_MECH_NONE;
    }
  else if (impair (w, want, cur, err) < 0)
    return -1;
  if (want->down != cur->down && carrier_set (w, !want->down, err) < 0)
    return -1;
  if (want->mech == LABO_MECH_NONE && !want->down)
    {
      unlink (w->conf);
      return 0;
    }
  return write_record (w, want, err);
}

int
labo_linkset_apply (const struct labo_lab *lab, size_t link, struct labo_linkset *want,
                    labo_error_t *err)
{
  cleanup_close int lock = lock_links (lab, err);
  struct labo_linkset cur;
  struct where w;
  int ret;

  if (lock < 0)
    return -1;
  if (labo_impair_conflict (&want->im))
    return labo_error_make (err, EINVAL, "%s", labo_impair_conflict (&want->im));
  where_of (lab, link, &w);
  labo_linkset_load (lab, link, &cur);
  ret = apply (&w, want, &cur, err);
  if (ret < 0)
    labo_error_wrap (err, "setting link %s", w.name);
  else
    note_link (lab, &w, want);
  where_free (&w);
  return ret;
}

int
labo_linkset_reset (const struct labo_lab *lab, size_t link, labo_error_t *err)
{
  struct labo_linkset file = lab->links[link].set;
  file.mech = LABO_MECH_NONE;
  return labo_linkset_apply (lab, link, &file, err);
}

int
labo_links_apply_declared (const struct labo_lab *lab, labo_error_t *err)
{
  int n = 0;
  for (size_t l = 0; l < lab->n_links; l++)
    if (lab->links[l].has_set)
      {
        if (labo_linkset_reset (lab, l, err) < 0)
          return -1;
        n++;
      }
  return n;
}

json_t *
labo_links_json (const struct labo_lab *lab)
{
  json_t *out = json_array ();
  for (size_t l = 0; l < lab->n_links; l++)
    {
      const struct labo_link *k = &lab->links[l];
      struct labo_linkset s;
      struct where w;
      cleanup_free char *settings = NULL;
      json_t *o;

      labo_linkset_load (lab, l, &s);
      if (labo_impair_none (&s.im) && !s.down && s.mech == LABO_MECH_NONE)
        continue;
      where_of (lab, l, &w);
      settings = labo_impair_describe (&s.im);
      o = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "link", w.name,
                     "host", lab->hosts[k->a.host].name,
                     k->kind == LABO_LINK_SEGMENT ? "segment" : "peer", far_end (lab, k, k->a.host),
                     "interface", k->a.ifname, "mechanism", labo_link_mech_name (s.mech), "state",
                     s.down ? "down" : "up", "settings", settings);
      impair_fields (o, &s.im);
      json_object_set_new (o, "declared",
                           json_boolean (k->has_set && labo_impair_equal (&s.im, &k->set.im)
                                         && s.down == k->set.down));
      if (w.n > 0)
        json_object_set_new (o, "port", json_string (w.sp[0].if_b));
      if (s.mech == LABO_MECH_EMULATOR)
        {
          json_t *emus = json_array ();
          for (size_t i = 0; i < w.n; i++)
            {
              pid_t pid = emulator_pid (w.sp[i].base);
              json_t *e = json_pack ("{s:s, s:b}", "between",
                                     i == 0 ? "link" : "overlay", "running", pid > 0);
              cleanup_free char *sp = xasprintf ("%s.stats", w.sp[i].base);
              struct labo_linkemu_stats st;
              if (pid > 0)
                json_object_set_new (e, "pid", json_integer (pid));
              if (labo_linkemu_stats_read (sp, &st) == 0)
                for (int d = 0; d < 2; d++)
                  json_object_set_new (
                      e, d == 0 ? "from_host" : "to_host",
                      json_pack ("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "frames",
                                 (json_int_t) st.frames[d], "bytes", (json_int_t) st.bytes[d],
                                 "lost", (json_int_t) st.lost[d], "overflow",
                                 (json_int_t) st.overflow[d], "unsupported",
                                 (json_int_t) st.unsupported[d], "corrupted",
                                 (json_int_t) st.corrupted[d], "duplicated",
                                 (json_int_t) st.duplicated[d], "reordered",
                                 (json_int_t) st.reordered[d]));
              json_array_append_new (emus, e);
            }
          json_object_set_new (o, "emulators", emus);
        }
      json_array_append_new (out, o);
      where_free (&w);
    }
  return out;
}

int
labo_links_reset_all (const struct labo_lab *lab, labo_error_t *err)
{
  int n = 0;

  for (size_t l = 0; l < lab->n_links; l++)
    {
      struct labo_linkset s;
      labo_linkset_load (lab, l, &s);
      if (labo_impair_equal (&s.im, &lab->links[l].set.im) && s.down == lab->links[l].set.down
          && (s.mech == LABO_MECH_NONE || lab->links[l].has_set))
        continue; /* as up made it: nothing to touch */
      if (labo_linkset_reset (lab, l, err) < 0)
        return -1;
      n++;
    }
  return n;
}
