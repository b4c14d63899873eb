/* A Docker daemon per lab host: see include/labo/docker/daemon.h. */
#include "labo/docker/daemon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "labo/docker/docker.h"
#include "labo/util/fs.h"
#include "labo/host/freezer.h"
#include "labo/host/host.h"
#include "labo/net/inspect.h"
#include "labo/net/netlink.h"
#include "labo/net/netns.h"
#include "labo/model/plan.h"
#include "labo/model/state.h"
#include "labo/util/util.h"

/* Machine paths that dockerd and containerd write to whatever their flags
 * say: each gets a private directory bound over it inside the host, which
 * needs the mount point to exist on the machine. */
static const struct
{
  const char *point; /* on the machine */
  const char *sub;   /* under the host's state dir ("" = the run dir) */
} private_dirs[] = {
  { "/run", NULL },
  { "/etc/docker", "etc" },
  { "/var/lib/docker", "docker" },
  { "/opt/containerd", "opt" },
};

#define MADE_DIRS_FILE ".machine-dirs" /* in the run dir root */

void
labo_daemon_paths (const char *lab, size_t index, const char *host, struct labo_daemon_paths *p)
{
  p->run = xasprintf ("%s/%s/h%zu", labo_run_dir (), lab, index);
  p->socket = xasprintf ("%s/docker.sock", p->run);
  p->log = xasprintf ("%s/dockerd.log", p->run);
  p->pidfile = xasprintf ("%s/docker.pid", p->run);
  p->state = xasprintf ("%s/%s/%s", labo_state_root (), lab, host);
  p->cgroup = xasprintf ("labo.%s.%s", lab, host);
  p->tls = xasprintf ("%s/tls", p->run);
}

char *
labo_daemon_tls_client_dir (const char *lab)
{
  return xasprintf ("%s/%s/tls", labo_run_dir (), lab);
}

void
labo_daemon_paths_free (struct labo_daemon_paths *p)
{
  free (p->run);
  free (p->socket);
  free (p->log);
  free (p->pidfile);
  free (p->state);
  free (p->cgroup);
  free (p->tls);
  memset (p, 0, sizeof (*p));
}

int
labo_daemon_connect (const struct labo_lab *lab, size_t h, struct labo_docker *d,
                     labo_error_t *err)
{
  struct labo_daemon_paths p;
  int r;
  labo_daemon_paths (lab->name, h, lab->hosts[h].name, &p);
  r = labo_docker_open (d, p.socket, lab->hosts[h].name, err);
  labo_daemon_paths_free (&p);
  return r;
}

bool
labo_daemon_available (void)
{
  const char *path = getenv ("PATH");
  cleanup_free char *copy = xstrdup (path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
  char *dir, *save = NULL;

  for (dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      cleanup_free char *f = xasprintf ("%s/dockerd", dir);
      if (access (f, X_OK) == 0)
        return true;
    }
  return false;
}

/* Creates a machine mount point if missing and remembers that labo made it. */
static int
ensure_machine_dir (const char *point, labo_error_t *err)
{
  cleanup_free char *record = NULL;
  cleanup_close int fd = -1;
  cleanup_free char *line = NULL;

  if (access (point, F_OK) == 0)
    return 0;
  if (labo_mkdir_p (point, 0755) < 0)
    return labo_error_errno (err, "creating the mount point %s", point);
  record = xasprintf ("%s/" MADE_DIRS_FILE, labo_run_dir ());
  fd = open (record, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  line = xasprintf ("%s\n", point);
  if (fd < 0 || write (fd, line, strlen (line)) != (ssize_t) strlen (line))
    return labo_error_errno (err, "recording %s in %s", point, record);
  return 0;
}

/* The cgroup directories of the calling process, one per hierarchy, with
 * `name` appended: "/sys/fs/cgroup/<controller><path>/<name>". The unified
 * (v2) hierarchy is "unified" on a hybrid machine, the root on a pure v2 one. */
static char **
cgroup_dirs (const char *name, size_t *n)
{
  cleanup_free char *self = labo_read_file ("/proc/self/cgroup", NULL);
  char **v = NULL, *line, *save = NULL;
  bool hybrid = access ("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0;

  *n = 0;
  for (line = self ? strtok_r (self, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      const char *ctrl, *path;
      char **slot;
      if (c2 == NULL)
        continue;
      *c2 = '\0';
      ctrl = c1 + 1;
      path = c2 + 1;
      if (strcmp (path, "/") == 0)
        path = "";
      slot = labo_array_push (&v, n, sizeof (char *));
      if (*ctrl == '\0')
        *slot = xasprintf ("/sys/fs/cgroup%s%s/%s", hybrid ? "/unified" : "", path, name);
      else
        {
          if (strncmp (ctrl, "name=", 5) == 0)
            ctrl += 5;
          *slot = xasprintf ("/sys/fs/cgroup/%.*s%s/%s", (int) strcspn (ctrl, ","), ctrl, path,
                             name);
        }
    }
  return v;
}

static int
write_str (const char *path, const char *s)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  return write (fd, s, strlen (s)) == (ssize_t) strlen (s) ? 0 : -1;
}

/* Moves the calling process into `name` in every hierarchy (the child,
 * before it execs dockerd). */
static int
join_cgroups (const char *name, labo_error_t *err)
{
  size_t n;
  char **dirs = cgroup_dirs (name, &n);
  int ret = 0;

  for (size_t i = 0; i < n && ret == 0; i++)
    {
      cleanup_free char *procs = xasprintf ("%s/cgroup.procs", dirs[i]);
      if (mkdir (dirs[i], 0755) < 0 && errno != EEXIST)
        ret = labo_error_errno (err, "creating cgroup %s", dirs[i]);
      else if (strstr (dirs[i], "/cpuset/"))
        {
          /* a v1 cpuset takes no task before it has cpus and mems */
          for (const char *const *k = (const char *const[]){ "cpuset.cpus", "cpuset.mems", NULL };
               *k; k++)
            {
              cleanup_free char *parent = xasprintf ("%s/../%s", dirs[i], *k);
              cleanup_free char *mine = xasprintf ("%s/%s", dirs[i], *k);
              cleanup_free char *val = labo_read_file (parent, NULL);
              if (val && write_str (mine, val) < 0)
                ret = labo_error_errno (err, "setting %s", mine);
            }
        }
      if (ret == 0 && write_str (procs, "0\n") < 0)
        ret = labo_error_errno (err, "joining cgroup %s", dirs[i]);
    }
  labo_strv_free (dirs, n);
  return ret;
}

/* In the child: the host, the cgroup, the private directories, then dockerd. */
static void __attribute__ ((noreturn))
child_exec (const struct labo_lab *lab, size_t h, const struct labo_daemon_paths *p)
{
  labo_error_t err = NULL;
  int log;
  char host_arg[32];
  const char *tcp = NULL;

  labo_child_reset_signals ();
  if (labo_host_enter (lab->name, lab->hosts[h].name, NULL, &err) < 0)
    goto fail;
  if (join_cgroups (p->cgroup, &err) < 0)
    goto fail;
  for (size_t i = 0; i < sizeof (private_dirs) / sizeof (private_dirs[0]); i++)
    {
      cleanup_free char *src = private_dirs[i].sub
                                   ? xasprintf ("%s/%s", p->state, private_dirs[i].sub)
                                   : xstrdup (p->run);
      if (mount (src, private_dirs[i].point, NULL, MS_BIND, NULL) < 0)
        {
          labo_error_errno (&err, "binding %s over %s in %s", src, private_dirs[i].point,
                            lab->hosts[h].name);
          goto fail;
        }
    }
  /* /run is the host's own here, which its processes could write */
  log = labo_fs_open_log ("/run/dockerd.log", 0600);
  if (log < 0)
    {
      labo_error_errno (&err, "opening %s", p->log);
      goto fail;
    }
  setsid ();
  dup2 (log, 1);
  dup2 (log, 2);
  {
    int null = open ("/dev/null", O_RDONLY);
    if (null >= 0)
      dup2 (null, 0);
  }
  if (lab->hosts[h].docker_tcp != LABO_API_OFF)
    {
      char a[16];
      snprintf (host_arg, sizeof (host_arg), "tcp://%s:%d",
                labo_ipv4_format (lab->hosts[h].lab_address, a),
                labo_host_api_port (&lab->hosts[h]));
      tcp = host_arg;
    }
  {
    const char *argv[32] = { "dockerd",
                             "--data-root", "/var/lib/docker",
                             "--exec-root", "/run/docker",
                             "--pidfile", "/run/docker.pid",
                             "-H", "unix:///run/docker.sock",
                             "--cgroup-parent", p->cgroup };
    size_t n = 11;
    if (lab->hosts[h].docker_tcp == LABO_API_TLS)
      {
        /* only a client with a certificate of the lab's CA gets in (the
         * host's /run is its run dir: the certificates are in /run/tls) */
        static const char *const tls[] = { "--tlsverify", "--tlscacert", "/run/tls/ca.pem",
                                           "--tlscert", "/run/tls/server-cert.pem",
                                           "--tlskey", "/run/tls/server-key.pem" };
        for (size_t i = 0; i < sizeof (tls) / sizeof (tls[0]); i++)
          argv[n++] = tls[i];
      }
    else if (lab->hosts[h].docker_tcp == LABO_API_INSECURE)
      /* the lab file's explicit choice of an unauthenticated API: say so,
       * or dockerd 20.10 stalls its start 15 s to warn */
      argv[n++] = "--tls=false";
    if (tcp)
      {
        argv[n++] = "-H";
        argv[n++] = tcp;
      }
    argv[n] = NULL;
    execvp ("dockerd", (char **) argv);
    labo_error_errno (&err, "running dockerd in %s", lab->hosts[h].name);
  }
fail:
  fprintf (stderr, "labo: %s\n", err ? err->msg : "starting dockerd failed");
  _exit (127);
}

/* A pid file that names a zombie or nobody is stale: removed. A
 * restarted dockerd refuses to start while its own names a live process
 * ("pid file found"), and reuses the containerd its containerd's names if
 * that one lives (it waits 15 s for it, then fails); both old processes
 * died, but until their parent reaps them they are zombies, which
 * kill(0) calls alive: an adopted daemon's parent is init, which can be
 * slow to reap. */
static void
forget_if_dead (const char *file)
{
  cleanup_free char *text = labo_read_file (file, NULL);
  char path[64];
  cleanup_free char *stat = NULL;
  const char *st;
  long pid = text ? atol (text) : 0;

  if (pid <= 0)
    return;
  snprintf (path, sizeof (path), "/proc/%ld/stat", pid);
  stat = labo_read_file (path, NULL);
  st = stat ? strrchr (stat, ')') : NULL;
  if (st == NULL || st[1] == '\0' || st[2] == 'Z' || st[2] == 'X')
    unlink (file);
}

/* A dockerd that dies takes its containerd with it (its death signal), but
 * not at once: a Go process of many threads may take a while to exit on a
 * busy machine. A dockerd started meanwhile finds it still running
 * ("libcontainerd: containerd is still running"), waits on it, and exits
 * 15 s later ("failed to start containerd: timeout waiting for containerd
 * to start"): seen when the supervisor restarted the manager's dockerd
 * 0.1 s after a kill -9 (issue 9, one of 12 such restarts). So the previous
 * run's containerd, if it runs, is ended and waited for first. */
static void
end_previous_containerd (const char *file)
{
  cleanup_free char *text = labo_read_file (file, NULL);
  cleanup_free char *comm = NULL;
  cleanup_close int pfd = -1;
  long pid = text ? atol (text) : 0;
  char path[64];
  struct pollfd p;

  if (pid <= 0)
    return;
  /* the descriptor first, then its name: what is killed is what was
   * looked at, even if the number is given to another process meanwhile */
  pfd = (int) syscall (SYS_pidfd_open, (pid_t) pid, 0);
  if (pfd < 0)
    return;
  snprintf (path, sizeof (path), "/proc/%ld/comm", pid);
  comm = labo_read_file (path, NULL);
  if (comm == NULL || strcmp (comm, "containerd\n") != 0)
    return; /* gone, or the pid is another process's now */
  syscall (SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
  /* readable once it has exited; a containerd that SIGKILL does not end
   * within 5 s is beyond waiting for, and dockerd will say so */
  p = (struct pollfd){ .fd = pfd, .events = POLLIN };
  while (poll (&p, 1, 5000) < 0 && errno == EINTR)
    ;
}

/* The bridges a dockerd makes in its host, whose ports are its sandboxes'
 * and containers' (docker0 for the default network, docker_gwbridge for
 * the published ports of containers on an overlay).
 *
 * A daemon that died leaves its containers' network namespaces behind for
 * up to two minutes after their processes are gone (measured: 110 s after
 * a kill -9 of both dockerds; what holds them is no process of the lab,
 * most likely their TCP connections, closed towards peers that no longer
 * answer). Each keeps its port on docker_gwbridge, with the address and
 * MAC address (172.18.0.3, 02:42:ac:12:00:03) that the same node's new
 * container gets again, and the bridge goes on sending that address's
 * frames to the dead port: the node's published ports answer "Connection
 * refused" until the namespace goes (issue 9: the ensemble served inside
 * its hosts but not through 32181 for 30 to 110 s). With no daemon running
 * on the host, every port of its bridges is a previous run's. */
static const char *const daemon_bridges[] = { "docker_gwbridge", "docker0" };

int
labo_daemon_clear_bridges (const struct labo_lab *lab, size_t h, labo_error_t *err)
{
  cleanup_free char *ns = labo_host_netns_name (lab->name, lab->hosts[h].name);
  cleanup_free struct labo_ifinfo *ifs = NULL;
  cleanup_close int fd = -1;
  struct labo_nl nl;
  size_t n;
  int deleted = 0;

  fd = labo_netns_open (ns, err);
  if (fd < 0 || labo_inspect (fd, ns, &ifs, &n, err) < 0)
    return labo_error_wrap (err, "clearing the Docker bridges of %s", lab->hosts[h].name);
  if (labo_nl_open_in (&nl, fd, ns, err) < 0)
    return labo_error_wrap (err, "clearing the Docker bridges of %s", lab->hosts[h].name);
  for (size_t b = 0; b < sizeof (daemon_bridges) / sizeof (daemon_bridges[0]); b++)
    {
      const struct labo_ifinfo *br = labo_inspect_find (ifs, n, daemon_bridges[b]);
      for (size_t i = 0; br && i < n; i++)
        {
          if (ifs[i].master != br->ifindex)
            continue;
          /* one at a time: a port whose namespace went meanwhile took its
           * veth with it, and that is no failure */
          labo_nl_link_del (&nl, ifs[i].ifindex, ifs[i].ifname);
          if (labo_nl_flush (&nl, err) < 0)
            {
              if ((*err)->status != ENODEV)
                {
                  labo_nl_close (&nl);
                  return labo_error_wrap (err, "clearing %s of %s", daemon_bridges[b],
                                          lab->hosts[h].name);
                }
              labo_error_release (err);
              continue;
            }
          deleted++;
        }
    }
  labo_nl_close (&nl);
  return deleted;
}

pid_t
labo_daemon_start (const struct labo_lab *lab, size_t h, labo_error_t *err)
{
  struct labo_daemon_paths p;
  pid_t pid = -1;

  labo_daemon_paths (lab->name, h, lab->hosts[h].name, &p);
  if (strlen (p.socket) >= 108)
    {
      labo_error_make (err, 0, "the socket path %s is longer than a unix socket allows (107 "
                               "bytes): shorten LABO_RUN_DIR or the lab's name", p.socket);
      goto out;
    }
  for (size_t i = 0; i < sizeof (private_dirs) / sizeof (private_dirs[0]); i++)
    {
      cleanup_free char *dir = private_dirs[i].sub
                                   ? xasprintf ("%s/%s", p.state, private_dirs[i].sub)
                                   : xstrdup (p.run);
      if (labo_mkdir_p (dir, 0700) < 0)
        {
          labo_error_errno (err, "creating %s", dir);
          goto out;
        }
      if (ensure_machine_dir (private_dirs[i].point, err) < 0)
        goto out;
    }
  {
    /* The cgroups are named after labo's own at `up` (the child joins them
     * under its inherited ones): write them down, since `down` may run
     * from another cgroup (another login session). */
    size_t n;
    char **dirs = cgroup_dirs (p.cgroup, &n);
    size_t len = 0;
    cleanup_free char *text = NULL;
    cleanup_free char *file = xasprintf ("%s/cgroups", p.state);
    for (size_t i = 0; i < n; i++)
      len += strlen (dirs[i]) + 1;
    text = xcalloc (len + 1, 1);
    for (size_t i = 0; i < n; i++)
      strcat (strcat (text, dirs[i]), "\n");
    labo_strv_free (dirs, n);
    if (labo_write_file (file, text, strlen (text), 0600) < 0)
      {
        labo_error_errno (err, "writing %s", file);
        goto out;
      }
  }
  {
    cleanup_free char *containerd = xasprintf ("%s/docker/containerd/containerd.pid", p.run);
    forget_if_dead (p.pidfile);
    end_previous_containerd (containerd);
    forget_if_dead (containerd);
  }
  fflush (NULL);
  pid = fork ();
  if (pid < 0)
    labo_error_errno (err, "forking the dockerd of %s", lab->hosts[h].name);
  else if (pid == 0)
    child_exec (lab, h, &p);
out:
  labo_daemon_paths_free (&p);
  return pid;
}

static char *
log_tail (const char *path, size_t max)
{
  size_t len = 0;
  char *text = labo_read_file (path, &len);
  char *start;
  if (text == NULL)
    return xstrdup ("(no log)");
  start = len > max ? text + len - max : text;
  memmove (text, start, strlen (start) + 1);
  return text;
}

int
labo_daemon_wait_ready (const struct labo_lab *lab, size_t h, pid_t pid, double timeout_s,
                        labo_error_t *err)
{
  struct labo_daemon_paths p;
  cleanup_close int ino = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  cleanup_close int pfd = (int) syscall (SYS_pidfd_open, pid, 0);
  double deadline = labo_now () + timeout_s;
  struct labo_docker d = { 0 };
  int ret = -1;

  labo_daemon_paths (lab->name, h, lab->hosts[h].name, &p);
  if (ino < 0 || inotify_add_watch (ino, p.run, IN_CREATE | IN_ATTRIB) < 0)
    {
      labo_error_errno (err, "watching %s", p.run);
      goto out;
    }
  if (labo_daemon_connect (lab, h, &d, err) < 0)
    goto out;
  for (;;)
    {
      labo_error_t perr = NULL;
      struct pollfd fds[2] = { { ino, POLLIN, 0 }, { pfd, POLLIN, 0 } };
      double left = deadline - labo_now ();
      char buf[4096];

      if (access (p.socket, F_OK) == 0 && labo_docker_ping (&d, &perr) == 0)
        {
          ret = 0;
          break;
        }
      labo_error_release (&perr);
      if (left <= 0)
        {
          cleanup_free char *tail = log_tail (p.log, 600);
          labo_error_make (err, 0, "the dockerd of %s did not answer /_ping within %.0f s; "
                                   "the end of %s:\n%s", lab->hosts[h].name, timeout_s, p.log, tail);
          break;
        }
      /* The socket appears (inotify), or the daemon dies (pidfd); once the
       * socket exists but refuses, the API is seconds from serving: ask
       * again every 20 ms. */
      poll (fds, pfd >= 0 ? 2 : 1, access (p.socket, F_OK) == 0 ? 20 : (int) (left * 1000) + 1);
      while (read (ino, buf, sizeof (buf)) > 0)
        ;
      if (pfd >= 0 && (fds[1].revents & POLLIN))
        {
          cleanup_free char *tail = log_tail (p.log, 600);
          int status = 0;
          waitpid (pid, &status, WNOHANG);
          labo_error_make (err, 0, "the dockerd of %s exited (status %d) before answering; the "
                                   "end of %s:\n%s", lab->hosts[h].name,
                           WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status),
                           p.log, tail);
          break;
        }
    }
out:
  labo_docker_close (&d);
  labo_daemon_paths_free (&p);
  return ret;
}

static int
rm_cgroup_tree (const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  if (d == NULL)
    return errno == ENOENT ? 0 : -1;
  while ((de = readdir (d)) != NULL)
    if (de->d_type == DT_DIR && strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      {
        cleanup_free char *sub = xasprintf ("%s/%s", dir, de->d_name);
        rm_cgroup_tree (sub);
      }
  closedir (d);
  return rmdir (dir) < 0 && errno != ENOENT ? -1 : 0;
}

/* Waits until the v2 cgroup `dir` has no process left. */
static void
wait_unpopulated (const char *dir, int timeout_ms)
{
  cleanup_free char *events = xasprintf ("%s/cgroup.events", dir);
  cleanup_close int fd = open (events, O_RDONLY | O_CLOEXEC);
  double deadline = labo_now () + timeout_ms / 1e3;

  while (fd >= 0 && labo_now () < deadline)
    {
      char buf[256];
      ssize_t n = pread (fd, buf, sizeof (buf) - 1, 0);
      struct pollfd p = { fd, POLLPRI, 0 };
      if (n <= 0)
        return;
      buf[n] = '\0';
      if (strstr (buf, "populated 0"))
        return;
      /* cgroup.events notifies a change with POLLPRI */
      poll (&p, 1, (int) ((deadline - labo_now ()) * 1e3) + 1);
    }
}

/* A line of a host's cgroups record: a directory under /sys/fs/cgroup
 * whose last component is the host's cgroup, with no "." or ".."
 * component (so no other cgroup is reached through it). */
static bool
cgroup_record_ok (const char *line, const char *name)
{
  const char *last = strrchr (line, '/');
  return strncmp (line, "/sys/fs/cgroup/", 15) == 0 && last && strcmp (last + 1, name) == 0
         && strstr (line, "/../") == NULL && strstr (line, "/./") == NULL
         && strstr (line, "//") == NULL;
}

/* A line of the record of machine mount points labo made: one of those it
 * makes, and nothing else. */
static bool
machine_dir_ok (const char *line)
{
  for (size_t i = 0; i < sizeof (private_dirs) / sizeof (private_dirs[0]); i++)
    if (strcmp (line, private_dirs[i].point) == 0)
      return true;
  return false;
}

int
labo_daemon_kill (const char *lab, const char *host, labo_error_t *err)
{
  cleanup_free char *name = xasprintf ("labo.%s.%s", lab, host);
  cleanup_free char *record = xasprintf ("%s/%s/%s/cgroups", labo_state_root (), lab, host);
  cleanup_free char *recorded = labo_read_file (record, NULL);
  size_t n = 0;
  char **dirs = NULL;
  int killed = 0;

  /* the cgroups written down at `up`; computed again only if that record is
   * gone (a crash between the record and the fork leaves no daemon) */
  if (recorded)
    {
      char *line, *save = NULL;
      for (line = strtok_r (recorded, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        if (cgroup_record_ok (line, name)) /* never anything but the host's own */
          *(char **) labo_array_push (&dirs, &n, sizeof (char *)) = xstrdup (line);
    }
  else
    dirs = cgroup_dirs (name, &n);
  /* runc places containers under --cgroup-parent relative to the root of
   * the unified hierarchy: that one too. */
  cleanup_free char *v2root = xasprintf ("/sys/fs/cgroup%s/%s",
                                         access ("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0
                                             ? "/unified" : "",
                                         name);
  char **slot = labo_array_push (&dirs, &n, sizeof (char *));
  *slot = xstrdup (v2root);

  /* a paused container's tasks (`labo pause`, Docker's v1 freezer under
   * the host's cgroup) would ignore SIGKILL until thawed */
  for (size_t i = 0; i < n; i++)
    if (strstr (dirs[i], "/freezer/"))
      labo_freezer_thaw_tree_v1 (dirs[i]);
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *kill_file = xasprintf ("%s/cgroup.kill", dirs[i]);
      if (access (dirs[i], F_OK) < 0)
        continue;
      {
        cleanup_free char *procs_path = xasprintf ("%s/cgroup.procs", dirs[i]);
        cleanup_free char *procs = labo_read_file (procs_path, NULL);
        int here = 0;
        for (char *c = procs; c && *c; c++)
          here += *c == '\n';
        if (here > killed)
          killed = here; /* every hierarchy lists the same processes */
      }
      if (access (kill_file, F_OK) == 0)
        {
          if (write_str (kill_file, "1") < 0)
            labo_error_errno (err, "killing cgroup %s", dirs[i]);
          wait_unpopulated (dirs[i], 5000);
        }
      else
        {
          /* v1 or an old kernel: kill each process listed, twice over */
          for (int round = 0; round < 2; round++)
            {
              cleanup_free char *procs_path = xasprintf ("%s/cgroup.procs", dirs[i]);
              cleanup_free char *procs = labo_read_file (procs_path, NULL);
              char *line, *save = NULL;
              for (line = procs ? strtok_r (procs, "\n", &save) : NULL; line;
                   line = strtok_r (NULL, "\n", &save))
                kill ((pid_t) atoi (line), SIGKILL);
            }
        }
    }
  /* Processes killed in v2 leave the v1 cgroups as they exit; rmdir retries
   * cover the last ones still going. */
  for (int attempt = 0; attempt < 50; attempt++)
    {
      bool left = false;
      for (size_t i = 0; i < n; i++)
        if (rm_cgroup_tree (dirs[i]) < 0)
          left = true;
      if (!left)
        break;
      struct pollfd none = { -1, 0, 0 };
      poll (&none, 0, 20);
    }
  for (size_t i = 0; i < n; i++)
    if (access (dirs[i], F_OK) == 0 && (err == NULL || *err == NULL))
      labo_error_make (err, 0, "cgroup %s still has processes after SIGKILL", dirs[i]);
  labo_strv_free (dirs, n);
  return err && *err ? -1 : killed;
}

int
labo_daemon_remove_state (const char *lab, bool keep_data, labo_error_t *err)
{
  cleanup_free char *dir = xasprintf ("%s/%s", labo_state_root (), lab);
  char **labs = NULL;
  size_t n_labs = 0;

  if (keep_data)
    {
      /* every host's daemon state, but not the nodes' data ("_data") */
      DIR *d = opendir (dir);
      struct dirent *de;
      while (d && (de = readdir (d)) != NULL)
        {
          labo_error_t one = NULL;
          if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0
              || strcmp (de->d_name, "_data") == 0)
            continue;
          if (labo_fs_remove_tree (dir, de->d_name, &one) < 0)
            {
              if (err && *err == NULL)
                *err = one;
              else
                labo_error_release (&one);
            }
        }
      if (d)
        closedir (d);
      if (err && *err)
        return -1;
    }
  else if (labo_fs_remove_tree (labo_state_root (), lab, err) < 0)
    return -1;
  rmdir (labo_state_root ()); /* only if empty */

  /* The machine's mount points labo made go with the last lab. */
  if (labo_state_list (&labs, &n_labs, NULL) == 0 && (n_labs == 0 || (n_labs == 1 && strcmp (labs[0], lab) == 0)))
    {
      cleanup_free char *record = xasprintf ("%s/" MADE_DIRS_FILE, labo_run_dir ());
      cleanup_free char *text = labo_read_file (record, NULL);
      char *line, *save = NULL;
      for (line = text ? strtok_r (text, "\n", &save) : NULL; line;
           line = strtok_r (NULL, "\n", &save))
        if (machine_dir_ok (line))
          rmdir (line); /* only if empty: never anything of anyone else's */
      unlink (record);
    }
  labo_strv_free (labs, n_labs);
  return 0;
}
