/* Entering an emulated host: see include/labo/host/host.h. */
#include "labo/host/host.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "labo/net/netlink.h"
#include "labo/net/netns.h"
#include "labo/model/plan.h"
#include "labo/model/state.h"
#include "labo/util/util.h"

/* A fresh sysfs for this network namespace (so /sys/class/net lists the
 * host's interfaces), with the machine's cgroup hierarchies carried over
 * (they live under /sys/fs/cgroup and would vanish with the old sysfs). */
static int
remount_sysfs (const char *aside, labo_error_t *err)
{
  bool have_cgroup = false;

  if (mkdir (aside, 0700) < 0 && errno != EEXIST)
    return labo_error_errno (err, "creating %s", aside);
  if (mount ("/sys/fs/cgroup", aside, NULL, MS_BIND | MS_REC, NULL) == 0)
    have_cgroup = true;
  if (umount2 ("/sys", MNT_DETACH) < 0 && errno != EINVAL)
    return labo_error_errno (err, "unmounting the machine's /sys");
  if (mount ("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    return labo_error_errno (err, "mounting a sysfs for the host");
  if (have_cgroup && mount (aside, "/sys/fs/cgroup", NULL, MS_MOVE, NULL) < 0)
    return labo_error_errno (err, "moving the cgroup mounts back under /sys/fs/cgroup");
  /* Without securityfs, runc concludes AppArmor is absent (see the Docker
   * notes); harmless to lack where the kernel has none. */
  mount ("securityfs", "/sys/kernel/security", "securityfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
         NULL);
  return 0;
}

int
labo_host_enter (const char *lab, const char *host, const char *run_dir, labo_error_t *err)
{
  cleanup_free char *ns = labo_host_netns_name (lab, host);
  cleanup_free char *dir = labo_state_dir (lab);
  cleanup_free char *aside = xasprintf ("%s/cgroup-aside", dir);
  cleanup_free char *hosts = xasprintf ("%s/hosts", dir);

  if (!labo_netns_exists (ns))
    return labo_error_make (err, ENOENT, "host %s of lab %s: namespace %s", host, lab, ns);
  if (labo_netns_enter (ns, err) < 0)
    return -1;
  if (unshare (CLONE_NEWNS | CLONE_NEWUTS) < 0)
    return labo_error_errno (err, "creating the mount and UTS namespaces of %s", host);
  /* slave, not private: mounts the machine makes later (a new lab's
   * /run/netns entry) still arrive; ours never leave */
  if (mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    return labo_error_errno (err, "making / a slave mount in %s", host);
  if (remount_sysfs (aside, err) < 0)
    return labo_error_wrap (err, "entering %s", host);
  if (access (hosts, R_OK) == 0 && mount (hosts, "/etc/hosts", NULL, MS_BIND, NULL) < 0)
    return labo_error_errno (err, "bind-mounting the lab's hosts file in %s", host);
  if (run_dir && mount (run_dir, "/run", NULL, MS_BIND, NULL) < 0)
    return labo_error_errno (err, "binding %s over /run in %s", run_dir, host);
  if (sethostname (host, strlen (host)) < 0)
    return labo_error_errno (err, "setting the hostname of %s", host);
  return 0;
}

int
labo_host_exec (const char *lab, const char *host, const char *run_dir, char *const argv[],
                int *exit_code, labo_error_t *err)
{
  *exit_code = 1;
  if (labo_host_enter (lab, host, run_dir, err) < 0)
    return -1;
  execvp (argv[0], argv);
  *exit_code = errno == ENOENT ? 127 : 126;
  return labo_error_errno (err, "running %s in %s", argv[0], host);
}

/* A node's namespaces, in the order they are entered: user and cgroup
 * namespaces stay ours; mnt last: after it, /proc paths of the old root
 * would not resolve. */
static const struct
{
  const char *name;
  int type;
} ns_kinds[] = { { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
                 { "pid", CLONE_NEWPID }, { "mnt", CLONE_NEWNS } };
#define N_NS_KINDS (sizeof (ns_kinds) / sizeof (ns_kinds[0]))

/* the image's JRE, and Debian's zookeeper scripts for a node of the process
 * runtime (zkServer.sh status, zkCli.sh) */
#define NODE_PATH                                                                              \
  "/opt/jre/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:"                 \
  "/usr/share/zookeeper/bin"

/* Moves the calling process into every cgroup of `pid`, as `docker exec`
 * does: a command run in a node is accounted with it, and sees the
 * cgroups its node sees. The JVM needs that: it reads its own cgroup from
 * /proc/self/cgroup and looks for it under the node's /sys/fs/cgroup, and
 * Java 17 fails with a NullPointerException (in ZooKeeper's JMX set-up:
 * `zkServer.sh start` typed through `labo exec`) when the path is the
 * caller's, which the node does not have. Best effort: a hierarchy that
 * refuses is left as it is. Async-signal-safe (open, read, write, close,
 * no allocation): it runs in a child forked from a threaded process. */
static void
join_cgroups (pid_t pid)
{
  char buf[4096], path[PATH_MAX], num[24];
  ssize_t n = 0, r;
  int fd;
  size_t k = 0;

  /* "/proc/<pid>/cgroup", by hand (no snprintf after a fork) */
  {
    static const char pre[] = "/proc/", post[] = "/cgroup";
    char digits[24];
    size_t d = 0, p = 0;
    unsigned long v = (unsigned long) pid;
    do
      digits[d++] = (char) ('0' + v % 10);
    while ((v /= 10) > 0);
    memcpy (path, pre, sizeof (pre) - 1);
    p = sizeof (pre) - 1;
    while (d > 0)
      path[p++] = digits[--d];
    memcpy (path + p, post, sizeof (post));
  }
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  while (n < (ssize_t) sizeof (buf) - 1 && (r = read (fd, buf + n, sizeof (buf) - 1 - (size_t) n)) > 0)
    n += r;
  close (fd);
  if (n <= 0)
    return;
  buf[n] = '\0';
  num[0] = '0';
  /* each line "ID:CONTROLLERS:PATH"; v1 hierarchies are mounted by their
   * controllers' names (name=systemd as "systemd"), v2 (empty
   * controllers) at "unified" beside them, or at the top alone */
  for (char *line = buf; *line; line += k + (line[k] == '\n'))
    {
      char *c1, *c2, *ctl;
      size_t ctl_len, plen, p = 0;
      static const char base[] = "/sys/fs/cgroup/", procs[] = "/cgroup.procs";
      k = strcspn (line, "\n");
      c1 = memchr (line, ':', k);
      c2 = c1 ? memchr (c1 + 1, ':', k - (size_t) (c1 + 1 - line)) : NULL;
      if (c2 == NULL || c2[1] != '/')
        continue;
      ctl = c1 + 1;
      ctl_len = (size_t) (c2 - ctl);
      if (ctl_len > 5 && memcmp (ctl, "name=", 5) == 0)
        {
          ctl += 5;
          ctl_len -= 5;
        }
      plen = k - (size_t) (c2 + 1 - line);
      if (sizeof (base) + ctl_len + 8 + plen + sizeof (procs) > sizeof (path))
        continue;
      memcpy (path, base, sizeof (base) - 1);
      p = sizeof (base) - 1;
      if (ctl_len == 0)
        {
          memcpy (path + p, "unified", 7);
          p += 7;
        }
      else
        {
          memcpy (path + p, ctl, ctl_len);
          p += ctl_len;
        }
      memcpy (path + p, c2 + 1, plen);
      p += plen;
      memcpy (path + p, procs, sizeof (procs));
      fd = open (path, O_WRONLY | O_CLOEXEC);
      if (fd < 0 && ctl_len == 0)
        {
          /* a pure v2 machine: the hierarchy is /sys/fs/cgroup itself */
          memmove (path + sizeof (base) - 1, path + sizeof (base) - 1 + 7,
                   plen + sizeof (procs));
          fd = open (path, O_WRONLY | O_CLOEXEC);
        }
      if (fd >= 0)
        {
          /* "0": the writer itself */
          if (write (fd, num, 1) < 0)
            {
              /* refused (a hierarchy of another's): left as it is */
            }
          close (fd);
        }
    }
}

/* The environment a command run in a node gets: its node's (the
 * environment of the node's init, as `docker exec` gives the container's),
 * with labo's PATH, root's HOME and the caller's TERM. Not the caller's
 * own: the machine's variables mean nothing in a node. In the forked child
 * of a single-threaded caller (labo exec). */
static void
node_environment (pid_t pid)
{
  char path[64];
  const char *term = getenv ("TERM");
  char *keep_term = term ? strdup (term) : NULL;
  size_t len = 0;
  char *env;

  snprintf (path, sizeof (path), "/proc/%d/environ", (int) pid);
  env = labo_read_file_max (path, 1 << 20, &len);
  clearenv ();
  for (size_t off = 0; env && off < len && len <= (1 << 20); off += strlen (env + off) + 1)
    if (strchr (env + off, '=') != NULL)
      putenv (env + off); /* env stays allocated: the environment is its strings */
  setenv ("PATH", NODE_PATH, 1);
  if (getenv ("HOME") == NULL)
    setenv ("HOME", "/root", 1);
  if (keep_term)
    setenv ("TERM", keep_term, 1);
  free (keep_term);
}

/* In a child: enter every namespace of `pid` (exit 125 if that fails,
 * after saying why), then fork again (a PID
 * namespace applies to children only) and exec. Returns the grandchild's
 * status as an exit code. The caller's own namespaces never change, which
 * also keeps LeakSanitizer's exit-time thread stop (a clone in the caller's
 * PID namespace) working in sanitized builds. */
static int __attribute__ ((noreturn))
enter_and_run (pid_t pid, const char *what, char *const argv[])
{
  int fds[N_NS_KINDS];
  pid_t child;
  int status;

  for (size_t i = 0; i < N_NS_KINDS; i++)
    {
      char path[64];
      snprintf (path, sizeof (path), "/proc/%d/ns/%s", (int) pid, ns_kinds[i].name);
      fds[i] = open (path, O_RDONLY | O_CLOEXEC);
      if (fds[i] < 0)
        {
          fprintf (stderr, "labo: opening the %s namespace of %s: %s\n", ns_kinds[i].name, what,
                   strerror (errno));
          _exit (125);
        }
    }
  node_environment (pid);
  join_cgroups (pid);
  for (size_t i = 0; i < N_NS_KINDS; i++)
    if (setns (fds[i], ns_kinds[i].type) < 0)
      {
        fprintf (stderr, "labo: entering the %s namespace of %s: %s\n", ns_kinds[i].name, what,
                 strerror (errno));
        _exit (125);
      }
  if (chdir ("/") < 0)
    _exit (125);
  child = fork ();
  if (child < 0)
    _exit (125);
  if (child == 0)
    {
      execvp (argv[0], argv);
      fprintf (stderr, "labo: running %s in %s: %s\n", argv[0], what, strerror (errno));
      _exit (errno == ENOENT ? 127 : 126);
    }
  while (waitpid (child, &status, 0) < 0)
    if (errno != EINTR)
      _exit (125);
  _exit (WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status));
}

int
labo_pid_exec (pid_t pid, const char *what, char *const argv[], labo_error_t *err)
{
  pid_t child;
  int status;

  fflush (NULL);
  child = fork ();
  if (child < 0)
    return labo_error_errno (err, "fork");
  if (child == 0)
    enter_and_run (pid, what, argv);
  while (waitpid (child, &status, 0) < 0)
    if (errno != EINTR)
      return labo_error_errno (err, "waiting for %s in %s", argv[0], what);
  /* 125: the child could not enter (it said why on stderr), as env(1) */
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

/* ---- labo_pid_run ---- */

/* Says why, on the captured output, and ends: between fork and exec only
 * async-signal-safe calls (the caller may have threads). */
static void __attribute__ ((noreturn))
run_child_fail (const char *doing, const char *what, int code)
{
  char msg[256];
  int n = snprintf (msg, sizeof (msg), "labo: %s of %s: %s\n", doing, what, strerror (errno));
  if (n > 0 && write (STDERR_FILENO, msg, (size_t) n < sizeof (msg) ? (size_t) n : sizeof (msg) - 1) < 0)
    _exit (code);
  _exit (code);
}

/* execvp over NODE_PATH, which is the command's own PATH: execvp would
 * search the caller's. */
static void
run_exec (char *const argv[], char *const envp[])
{
  static const char path[] = NODE_PATH;
  const char *p = path;
  int saved = ENOENT;

  if (strchr (argv[0], '/'))
    {
      execve (argv[0], argv, envp);
      return;
    }
  while (*p)
    {
      char file[4096];
      size_t dl = strcspn (p, ":");
      if (dl + 1 + strlen (argv[0]) < sizeof (file))
        {
          memcpy (file, p, dl);
          file[dl] = '/';
          strcpy (file + dl + 1, argv[0]);
          execve (file, argv, envp);
          if (errno != ENOENT)
            saved = errno;
        }
      p += dl + (p[dl] == ':');
    }
  errno = saved;
}

/* The first child: stdin and stdout+stderr on the pipes, into the node's
 * namespaces (fds opened by the parent), then the command as a child of
 * its own (a PID namespace applies to children only), in a process group
 * of its own that the deadline kills whole. Exits with the command's
 * status, 124 at the deadline. */
static void __attribute__ ((noreturn))
run_child (pid_t target, const int ns[N_NS_KINDS], int in_fd, int out_fd, const char *what,
           char *const argv[], char *const envp[], int timeout_ms)
{
  sigset_t chld;
  struct timespec end, now;
  pid_t cmd;
  int status;

  if (dup2 (in_fd, STDIN_FILENO) < 0 || dup2 (out_fd, STDOUT_FILENO) < 0
      || dup2 (out_fd, STDERR_FILENO) < 0)
    _exit (125);
  join_cgroups (target);
  for (size_t i = 0; i < N_NS_KINDS; i++)
    if (setns (ns[i], ns_kinds[i].type) < 0)
      {
        char doing[48];
        snprintf (doing, sizeof (doing), "entering the %s namespace", ns_kinds[i].name);
        run_child_fail (doing, what, 125);
      }
  /* every other descriptor of the caller (another thread's pipes) goes:
   * no command of this one may hold another's output open */
  close_range (3, ~0U, 0);
  if (chdir ("/") < 0)
    run_child_fail ("changing to /", what, 125);
  sigemptyset (&chld);
  sigaddset (&chld, SIGCHLD);
  sigprocmask (SIG_BLOCK, &chld, NULL);
  cmd = fork ();
  if (cmd < 0)
    run_child_fail ("forking", what, 125);
  if (cmd == 0)
    {
      sigprocmask (SIG_UNBLOCK, &chld, NULL);
      setpgid (0, 0);
      /* the parent's deadline kills this child's parent: the command goes too */
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      run_exec (argv, envp);
      run_child_fail ("running the command", what, errno == ENOENT ? 127 : 126);
    }
  setpgid (cmd, cmd);
  clock_gettime (CLOCK_MONOTONIC, &end);
  end.tv_sec += timeout_ms / 1000;
  end.tv_nsec += (long) (timeout_ms % 1000) * 1000000L;
  if (end.tv_nsec >= 1000000000L)
    {
      end.tv_sec++;
      end.tv_nsec -= 1000000000L;
    }
  for (;;)
    {
      struct timespec left;
      pid_t w = waitpid (cmd, &status, WNOHANG);
      if (w == cmd)
        _exit (WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status));
      clock_gettime (CLOCK_MONOTONIC, &now);
      left.tv_sec = end.tv_sec - now.tv_sec;
      left.tv_nsec = end.tv_nsec - now.tv_nsec;
      if (left.tv_nsec < 0)
        {
          left.tv_sec--;
          left.tv_nsec += 1000000000L;
        }
      if (left.tv_sec < 0)
        break;
      sigtimedwait (&chld, NULL, &left);
    }
  kill (-cmd, SIGKILL);
  while (waitpid (cmd, &status, 0) < 0 && errno == EINTR)
    ;
  _exit (124);
}

int
labo_pid_run (pid_t pid, const char *what, char *const argv[], const char *stdin_text,
              int timeout_ms, size_t max_out, char **out, labo_error_t *err)
{
  /* what the command sees, made before the fork (no allocation after it) */
  static char e_path[] = "PATH=" NODE_PATH, e_home[] = "HOME=/root", e_user[] = "USER=root",
              e_logname[] = "LOGNAME=root";
  static char *const envp[] = { e_path, e_home, e_user, e_logname, NULL };
  int ns[N_NS_KINDS], in[2] = { -1, -1 }, o[2] = { -1, -1 }, status, ret = -1;
  size_t len = 0, in_off = 0, in_len = stdin_text ? strlen (stdin_text) : 0;
  char *buf = xmalloc (max_out + 1);
  double deadline;
  pid_t child = -1;

  *out = NULL;
  for (size_t i = 0; i < N_NS_KINDS; i++)
    ns[i] = -1;
  for (size_t i = 0; i < N_NS_KINDS; i++)
    {
      char path[64];
      snprintf (path, sizeof (path), "/proc/%d/ns/%s", (int) pid, ns_kinds[i].name);
      if ((ns[i] = open (path, O_RDONLY | O_CLOEXEC)) < 0)
        {
          labo_error_errno (err, "opening the %s namespace of %s", ns_kinds[i].name, what);
          goto done;
        }
    }
  if (pipe2 (in, O_CLOEXEC) < 0 || pipe2 (o, O_CLOEXEC) < 0)
    {
      labo_error_errno (err, "making the pipes of %s in %s", argv[0], what);
      goto done;
    }
  child = fork ();
  if (child < 0)
    {
      labo_error_errno (err, "fork");
      goto done;
    }
  if (child == 0)
    run_child (pid, ns, in[0], o[1], what, argv, envp, timeout_ms);
  close (in[0]);
  close (o[1]);
  in[0] = o[1] = -1;
  if (in_len == 0)
    {
      close (in[1]);
      in[1] = -1;
    }
  else
    fcntl (in[1], F_SETFL, O_NONBLOCK);
  /* the child enforces the timeout; this one is for a child that could not
   * (stuck entering a namespace) */
  deadline = labo_now () + timeout_ms / 1000.0 + 2.0;
  while (o[0] >= 0)
    {
      struct pollfd pf[2] = { { o[0], POLLIN, 0 }, { in[1], POLLOUT, 0 } };
      double left = deadline - labo_now ();
      int r;
      if (left <= 0)
        {
          kill (child, SIGKILL);
          break;
        }
      r = poll (pf, in[1] >= 0 ? 2 : 1, (int) (left * 1000) + 1);
      if (r < 0 && errno != EINTR)
        break;
      if (r <= 0)
        continue;
      if (in[1] >= 0 && pf[1].revents)
        {
          ssize_t w = write (in[1], stdin_text + in_off, in_len - in_off);
          if (w > 0)
            in_off += (size_t) w;
          if (w < 0 && errno != EAGAIN && errno != EINTR)
            in_off = in_len; /* the command closed its stdin: it has what it wanted */
          if (in_off == in_len)
            {
              close (in[1]);
              in[1] = -1;
            }
        }
      if (pf[0].revents)
        {
          char chunk[4096];
          ssize_t n = read (o[0], chunk, sizeof (chunk));
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            {
              close (o[0]);
              o[0] = -1;
              break;
            }
          if (len < max_out)
            {
              size_t k = (size_t) n < max_out - len ? (size_t) n : max_out - len;
              memcpy (buf + len, chunk, k);
              len += k;
            }
        }
    }
  while (waitpid (child, &status, 0) < 0)
    if (errno != EINTR)
      {
        labo_error_errno (err, "waiting for %s in %s", argv[0], what);
        goto done;
      }
  ret = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  if (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL)
    ret = 124; /* the backstop above */
  buf[len] = '\0';
  *out = buf;
  buf = NULL;
done:
  for (size_t i = 0; i < N_NS_KINDS; i++)
    if (ns[i] >= 0)
      close (ns[i]);
  for (int i = 0; i < 2; i++)
    {
      if (in[i] >= 0)
        close (in[i]);
      if (o[i] >= 0)
        close (o[i]);
    }
  free (buf);
  return ret;
}

int
labo_host_links_set (const struct labo_lab *lab, size_t h, bool up, labo_error_t *err)
{
  cleanup_plan struct labo_plan *plan = labo_plan_build (lab);
  cleanup_close int fd = labo_netns_open (plan->host_ns[h], err);
  struct labo_nl nl;
  int ret;

  if (fd < 0 || labo_nl_open_in (&nl, fd, plan->host_ns[h], err) < 0)
    return -1;
  /* the host's end of every veth: its links, the overlay's (process) */
  for (size_t i = 0; i < plan->n_veths; i++)
    {
      const struct labo_plan_veth *v = &plan->veths[i];
      if (v->ns_a == (int) h)
        labo_nl_link_set (&nl, v->ifindex_a, v->ifname_a, up);
      if (v->ns_b == (int) h)
        labo_nl_link_set (&nl, v->ifindex_b, v->ifname_b, up);
    }
  ret = labo_nl_flush (&nl, err);
  labo_nl_close (&nl);
  return ret;
}
