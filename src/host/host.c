/* Entering an emulated host: see include/labo/host/host.h. */
#include "labo/host/host.h"

#include <errno.h>
#include <sched.h>
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

/* In a child: enter every namespace of `pid` (exit 125 if that fails,
 * after saying why), then fork again (a PID
 * namespace applies to children only) and exec. Returns the grandchild's
 * status as an exit code. The caller's own namespaces never change, which
 * also keeps LeakSanitizer's exit-time thread stop (a clone in the caller's
 * PID namespace) working in sanitized builds. */
static int __attribute__ ((noreturn))
enter_and_run (pid_t pid, const char *what, char *const argv[])
{
  /* user and cgroup namespaces stay ours; mnt last: after it, /proc paths
   * of the old root would not resolve */
  static const struct
  {
    const char *name;
    int type;
  } kinds[] = { { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
                { "pid", CLONE_NEWPID }, { "mnt", CLONE_NEWNS } };
  int fds[5];
  pid_t child;
  int status;

  for (size_t i = 0; i < 5; i++)
    {
      char path[64];
      snprintf (path, sizeof (path), "/proc/%d/ns/%s", (int) pid, kinds[i].name);
      fds[i] = open (path, O_RDONLY | O_CLOEXEC);
      if (fds[i] < 0)
        {
          fprintf (stderr, "labo: opening the %s namespace of %s: %s\n", kinds[i].name, what,
                   strerror (errno));
          _exit (125);
        }
    }
  for (size_t i = 0; i < 5; i++)
    if (setns (fds[i], kinds[i].type) < 0)
      {
        fprintf (stderr, "labo: entering the %s namespace of %s: %s\n", kinds[i].name, what,
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
      /* the image's JRE, and Debian's zookeeper scripts for a node of the
       * process runtime (zkServer.sh status, zkCli.sh) */
      setenv ("PATH",
              "/opt/jre/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:"
              "/usr/share/zookeeper/bin",
              1);
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
