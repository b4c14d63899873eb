/* Named network namespaces: see include/labo/net/netns.h. */
#include "labo/net/netns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "labo/util/util.h"

/* A process killed with SIGKILL exits within milliseconds, unless stuck in
 * the kernel (D state, a hung mount): 5 s each, then `down` goes on rather
 * than hang with it. */
#define KILLED_EXIT_MS 5000

int
labo_netns_prepare (labo_error_t *err)
{
  bool bound = false;

  if (mkdir (LABO_NETNS_DIR, 0755) < 0 && errno != EEXIST)
    return labo_error_errno (err, "creating %s", LABO_NETNS_DIR);
  /* As iproute2 does: make it shared; if it is not a mount point yet, bind it
   * onto itself first. A shared /run/netns means a later unmount of a
   * namespace also disappears from mount namespaces created since, so none
   * of them keeps a deleted lab's namespace alive. */
  while (mount ("", LABO_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
    {
      if (errno != EINVAL || bound)
        return labo_error_errno (err, "making %s a shared mount", LABO_NETNS_DIR);
      if (mount (LABO_NETNS_DIR, LABO_NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
        return labo_error_errno (err, "bind-mounting %s onto itself", LABO_NETNS_DIR);
      bound = true;
    }
  return 0;
}

static char *
netns_path (const char *name)
{
  return xasprintf ("%s/%s", LABO_NETNS_DIR, name);
}

int
labo_netns_create_and_enter (const char *name, labo_error_t *err)
{
  cleanup_free char *path = netns_path (name);
  int fd;

  fd = open (path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0)
    return labo_error_errno (err, "creating namespace %s (%s)", name, path);
  close (fd);
  if (unshare (CLONE_NEWNET) < 0)
    {
      int saved = errno;
      unlink (path);
      return labo_error_make (err, saved, "creating namespace %s: unshare", name);
    }
  if (mount ("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0)
    {
      int saved = errno;
      unlink (path);
      return labo_error_make (err, saved, "naming namespace %s: bind mount on %s", name, path);
    }
  return 0;
}

int
labo_netns_delete (const char *name, labo_error_t *err)
{
  cleanup_free char *path = netns_path (name);

  if (umount2 (path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return labo_error_errno (err, "unmounting namespace %s", name);
  if (unlink (path) < 0 && errno != ENOENT)
    return labo_error_errno (err, "removing %s", path);
  return 0;
}

int
labo_netns_open (const char *name, labo_error_t *err)
{
  cleanup_free char *path = netns_path (name);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return labo_error_errno (err, "opening namespace %s", name);
  return fd;
}

bool
labo_netns_exists (const char *name)
{
  cleanup_free char *path = netns_path (name);
  return access (path, F_OK) == 0;
}

int
labo_netns_enter_fd (int fd, const char *what, labo_error_t *err)
{
  if (setns (fd, CLONE_NEWNET) < 0)
    return labo_error_errno (err, "entering namespace %s", what);
  return 0;
}

int
labo_netns_enter (const char *name, labo_error_t *err)
{
  cleanup_close int fd = labo_netns_open (name, err);
  if (fd < 0)
    return -1;
  return labo_netns_enter_fd (fd, name, err);
}

/* fn (arg) run with the calling thread in netns_fd's namespace, and back:
 * what it made (a socket, an open /proc/thread-self/net file) stays bound
 * to that namespace. -1 with errno from fn, or from setns. */
static int
in_netns (int netns_fd, int (*fn) (void *), void *arg, int *saved)
{
  cleanup_close int self = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  int fd;

  *saved = 0;
  if (self < 0 || setns (netns_fd, CLONE_NEWNET) < 0)
    {
      *saved = errno;
      return -2;
    }
  fd = fn (arg);
  *saved = errno;
  if (setns (self, CLONE_NEWNET) < 0)
    {
      labo_say ("returning to the original network namespace: %s", strerror (errno));
      abort ();
    }
  return fd;
}

struct socket_args
{
  int domain, type, protocol;
};

static int
make_socket (void *arg)
{
  const struct socket_args *a = arg;
  return socket (a->domain, a->type, a->protocol);
}

int
labo_netns_socket (int netns_fd, const char *what, int domain, int type, int protocol,
                   labo_error_t *err)
{
  struct socket_args a = { domain, type, protocol };
  int fd, saved;

  if (netns_fd < 0)
    {
      fd = socket (domain, type, protocol);
      if (fd < 0)
        return labo_error_errno (err, "creating a socket");
      return fd;
    }
  fd = in_netns (netns_fd, make_socket, &a, &saved);
  if (fd == -2)
    return labo_error_make (err, saved, "entering %s", what);
  if (fd < 0)
    return labo_error_make (err, saved, "creating a socket in %s", what);
  return fd;
}

static int
open_net_file (void *arg)
{
  return open ((const char *) arg, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

int
labo_netns_open_net_file (int netns_fd, const char *what, const char *name, labo_error_t *err)
{
  cleanup_free char *path = xasprintf ("/proc/thread-self/net/%s", name);
  int fd, saved;

  if (strchr (name, '/') != NULL)
    return labo_error_make (err, EINVAL, "not a file of /proc/net: %s", name);
  fd = in_netns (netns_fd, open_net_file, path, &saved);
  if (fd == -2)
    return labo_error_make (err, saved, "entering %s", what);
  if (fd < 0)
    return labo_error_make (err, saved, "opening /proc/net/%s in %s", name, what);
  return fd;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
labo_netns_list (const char *exact, const char *prefix, char ***names, size_t *n,
                 labo_error_t *err)
{
  DIR *d = opendir (LABO_NETNS_DIR);
  struct dirent *de;
  size_t plen = prefix ? strlen (prefix) : 0;

  *names = NULL;
  *n = 0;
  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return labo_error_errno (err, "listing %s", LABO_NETNS_DIR);
    }
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.' && (de->d_name[1] == 0 || strcmp (de->d_name, "..") == 0))
        continue;
      if ((exact && strcmp (de->d_name, exact) == 0)
          || (prefix && strncmp (de->d_name, prefix, plen) == 0))
        {
          char **slot = labo_array_push (names, n, sizeof (char *));
          *slot = xstrdup (de->d_name);
        }
    }
  closedir (d);
  if (*n > 1)
    qsort (*names, *n, sizeof (char *), cmp_str);
  return 0;
}

static int
cmp_ino (const void *a, const void *b)
{
  ino_t x = *(const ino_t *) a, y = *(const ino_t *) b;
  return x < y ? -1 : x > y;
}

int
labo_netns_kill_all (char *const *names, size_t n, labo_error_t *err)
{
  cleanup_free ino_t *inos = xcalloc (n, sizeof (ino_t));
  cleanup_free int *pidfds = NULL;
  size_t n_inos = 0, n_pidfds = 0;
  DIR *proc;
  struct dirent *de;
  int killed = 0;

  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *path = netns_path (names[i]);
      struct stat st;
      if (stat (path, &st) == 0)
        inos[n_inos++] = st.st_ino;
    }
  if (n_inos == 0)
    return 0;
  qsort (inos, n_inos, sizeof (ino_t), cmp_ino);

  proc = opendir ("/proc");
  if (proc == NULL)
    return labo_error_errno (err, "listing /proc");
  while ((de = readdir (proc)) != NULL)
    {
      char path[64];
      struct stat st;
      char *end;
      long pid = strtol (de->d_name, &end, 10);

      if (*end != '\0' || pid <= 0 || pid == getpid ())
        continue;
      snprintf (path, sizeof (path), "/proc/%ld/ns/net", pid);
      if (stat (path, &st) < 0)
        continue; /* gone already, or a kernel thread */
      if (bsearch (&st.st_ino, inos, n_inos, sizeof (ino_t), cmp_ino) == NULL)
        continue;
      /* A pidfd first, so that the wait below is for this very process. */
      int pfd = (int) syscall (SYS_pidfd_open, (pid_t) pid, 0);
      if (kill ((pid_t) pid, SIGKILL) == 0)
        killed++;
      if (pfd >= 0)
        {
          int *slot = labo_array_push (&pidfds, &n_pidfds, sizeof (int));
          *slot = pfd;
        }
    }
  closedir (proc);

  /* A killed process releases its namespaces as it exits; wait for that so
   * that "down" really means nothing of the lab runs any more. */
  for (size_t i = 0; i < n_pidfds; i++)
    {
      struct pollfd p = { .fd = pidfds[i], .events = POLLIN };
      while (poll (&p, 1, KILLED_EXIT_MS) < 0 && errno == EINTR)
        ;
      close (pidfds[i]);
    }
  return killed;
}
