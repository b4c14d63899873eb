/* File operations as root on trees others can write: see include/labo/util/fs.h. */
#include "labo/util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "labo/util/util.h"

/* Deeper than any tree labo makes (dockerd's data root is about 10 levels):
 * past this, removal gives up rather than exhaust descriptors. */
#define TREE_DEPTH_MAX 128

bool
labo_fs_component_ok (const char *name)
{
  size_t n = name ? strlen (name) : 0;
  return n > 0 && n <= NAME_MAX && strcmp (name, ".") != 0 && strcmp (name, "..") != 0
         && strchr (name, '/') == NULL;
}

/* openat one component, as O_NOFOLLOW does it: the fallback of
 * labo_fs_openat for kernels without openat2 (before 5.6). A mount point
 * is told from a change of device, which misses bind mounts of the same
 * file system: openat2 sees those too. */
static int
openat_components (int dirfd, const char *rel, int flags, mode_t mode)
{
  cleanup_free char *copy = xstrdup (rel);
  cleanup_close int cur = -1;
  struct stat st_parent, st;
  char *save = NULL, *comp, *next;

  if (fstat (dirfd, &st_parent) < 0)
    return -1;
  comp = strtok_r (copy, "/", &save);
  while (comp)
    {
      int fd;
      next = strtok_r (NULL, "/", &save);
      if (strcmp (comp, "..") == 0)
        {
          errno = EXDEV;
          return -1;
        }
      if (next == NULL)
        return openat (cur >= 0 ? cur : dirfd, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
      fd = openat (cur >= 0 ? cur : dirfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return -1;
      if (fstat (fd, &st) < 0 || st.st_dev != st_parent.st_dev)
        {
          close (fd);
          errno = EXDEV;
          return -1;
        }
      if (cur >= 0)
        close (cur);
      cur = fd;
      comp = next;
    }
  errno = EINVAL; /* an empty path */
  return -1;
}

int
labo_fs_openat (int dirfd, const char *rel, int flags, mode_t mode)
{
  struct open_how how = {
    .flags = (unsigned long long) (flags | O_NOFOLLOW | O_CLOEXEC),
    .mode = (flags & O_CREAT) ? mode : 0,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  long fd = syscall (SYS_openat2, dirfd, rel, &how, sizeof (how));
  if (fd >= 0 || errno != ENOSYS)
    return (int) fd;
  return openat_components (dirfd, rel, flags, mode);
}

/* May root trust this directory, met on a walk from "/"? Root's own, and
 * writable by no one else; a parent may be sticky (its other users can
 * neither remove nor replace root's entries in it). */
static int
check_dir (const char *path, const struct stat *st, bool last, labo_error_t *err)
{
  if (!S_ISDIR (st->st_mode))
    return labo_error_make (err, 0, "%s is not a directory", path);
  if (st->st_uid != 0)
    return labo_error_make (err, 0, "%s belongs to uid %d, not root: another user could "
                                    "replace what labo keeps there", path, (int) st->st_uid);
  if ((st->st_mode & 022) && (last || !(st->st_mode & S_ISVTX)))
    return labo_error_make (err, 0, "%s is writable by %s: another user could replace what "
                                    "labo keeps there", path,
                            (st->st_mode & 002) ? "everyone" : "its group");
  return 0;
}

/* Walks an absolute path from "/", checking each directory; with create,
 * makes the missing ones (mode). Returns a descriptor on the last, or -1;
 * without create, a missing component returns -2 (nothing wrong so far). */
static int
walk (const char *path, bool create, mode_t mode, labo_error_t *err)
{
  cleanup_free char *copy = xstrdup (path);
  cleanup_free char *done = xstrdup ("");
  cleanup_close int cur = open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  char *save = NULL, *comp, *next;
  struct stat st;

  if (cur < 0 || fstat (cur, &st) < 0)
    return labo_error_errno (err, "opening /");
  if (check_dir ("/", &st, false, err) < 0)
    return -1;
  for (comp = strtok_r (copy, "/", &save); comp; comp = next)
    {
      int fd;
      char *grown;
      next = strtok_r (NULL, "/", &save);
      grown = xasprintf ("%s/%s", done, comp);
      free (done);
      done = grown;
      fd = openat (cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT && create)
        {
          if (mkdirat (cur, comp, mode) < 0 && errno != EEXIST)
            return labo_error_errno (err, "creating %s", done);
          fd = openat (cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
      if (fd < 0 && errno == ENOENT)
        return -2;
      if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
        {
          if (fstatat (cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (st.st_mode))
            return labo_error_make (err, 0, "%s is a symbolic link: labo does not follow links "
                                            "it did not make", done);
          return labo_error_make (err, 0, "%s is not a directory", done);
        }
      if (fd < 0)
        return labo_error_errno (err, "opening %s", done);
      close (cur);
      cur = fd;
      if (fstat (cur, &st) < 0)
        return labo_error_errno (err, "inspecting %s", done);
      if (check_dir (done, &st, next == NULL, err) < 0)
        return -1;
    }
  return steal_fd (&cur);
}

/* Absolute, no empty, "." or ".." component, not "/" itself. */
static int
check_syntax (const char *what, const char *path, labo_error_t *err)
{
  const char *p;

  if (path == NULL || path[0] != '/')
    return labo_error_make (err, 0, "%s must be an absolute path, not '%s'", what,
                            path ? path : "");
  if (path[1] == '\0')
    return labo_error_make (err, 0, "%s cannot be /", what);
  if (strlen (path) >= PATH_MAX / 2)
    return labo_error_make (err, 0, "%s is %zu bytes long, more than %d", what, strlen (path),
                            PATH_MAX / 2 - 1);
  for (p = path; *p; p++)
    if (*p == '/'
        && (p[1] == '/' || p[1] == '\0' || (p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
            || (p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == '\0'))))
      return labo_error_make (err, 0, "%s must be a plain absolute path (no '//', '.', '..' "
                                      "or trailing '/'), not '%s'", what, path);
  return 0;
}

int
labo_fs_check_secure (const char *what, const char *path, labo_error_t *err)
{
  int fd;

  if (check_syntax (what, path, err) < 0)
    return -1;
  fd = walk (path, false, 0, err);
  if (fd == -1)
    return labo_error_wrap (err, "%s", what);
  if (fd >= 0)
    close (fd);
  return 0;
}

int
labo_fs_mkdir (const char *path, mode_t mode, labo_error_t *err)
{
  if (check_syntax ("a directory labo keeps", path, err) < 0)
    return -1;
  return walk (path, true, mode, err);
}

static void
free_names (char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

/* The names in a directory (but "." and ".."), read before any is
 * removed: removing while reading may skip entries. */
static char **
list_names (int dirfd, size_t *n)
{
  int copy = dup (dirfd);
  DIR *d = copy >= 0 ? fdopendir (copy) : NULL;
  char **v = NULL;

  *n = 0;
  if (d == NULL)
    {
      if (copy >= 0)
        close (copy);
      return NULL;
    }
  /* a dup shares the offset: another reading of dirfd may have left it at the end */
  rewinddir (d);
  for (struct dirent *de = readdir (d); de; de = readdir (d))
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      *(char **) labo_array_push (&v, n, sizeof (char *)) = xstrdup (de->d_name);
  closedir (d);
  return v;
}

struct tree_walk
{
  const char *top;  /* for messages */
  int failures;
  char *first;      /* the first thing that could not be removed or changed, and why */
};

static void
tree_fail (struct tree_walk *w, const char *name, int errnum)
{
  if (w->failures++ == 0)
    w->first = xasprintf ("%s: %s", name, strerror (errnum));
}

/* A subdirectory to descend into, not past the depth bound, never through
 * a link nor across a mount (EXDEV: left, and counted); -1 after counting. */
static int
open_subdir (struct tree_walk *w, int dirfd, const char *name, int depth)
{
  int sub;
  if (depth >= TREE_DEPTH_MAX)
    {
      tree_fail (w, name, ELOOP);
      return -1;
    }
  sub = labo_fs_openat (dirfd, name, O_RDONLY | O_DIRECTORY, 0);
  if (sub < 0)
    tree_fail (w, name, errno);
  return sub;
}

/* Empties the directory dirfd, depth first. */
static void
empty_dir (struct tree_walk *w, int dirfd, int depth)
{
  size_t n = 0;
  char **names = list_names (dirfd, &n);

  for (size_t i = 0; i < n; i++)
    {
      int sub;
      if (unlinkat (dirfd, names[i], 0) == 0 || errno == ENOENT)
        continue; /* a file, a link (itself, never its target), a socket... */
      if (errno != EISDIR)
        {
          tree_fail (w, names[i], errno);
          continue;
        }
      sub = open_subdir (w, dirfd, names[i], depth);
      if (sub < 0)
        continue;
      empty_dir (w, sub, depth + 1);
      close (sub);
      if (unlinkat (dirfd, names[i], AT_REMOVEDIR) < 0 && errno != ENOENT)
        tree_fail (w, names[i], errno);
    }
  free_names (names, n);
}

int
labo_fs_remove_tree (const char *base, const char *name, labo_error_t *err)
{
  cleanup_close int bfd = -1, dfd = -1;
  struct tree_walk w = { .top = name };

  if (!labo_fs_component_ok (name))
    return labo_error_make (err, 0, "refusing to remove '%s' in %s: not one plain name",
                            name ? name : "", base);
  bfd = open (base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (bfd < 0)
    return errno == ENOENT ? 0 : labo_error_errno (err, "opening %s", base);
  if (unlinkat (bfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR)
    return labo_error_errno (err, "removing %s/%s", base, name);
  dfd = labo_fs_openat (bfd, name, O_RDONLY | O_DIRECTORY, 0);
  if (dfd < 0)
    return labo_error_errno (err, "opening %s/%s%s", base, name,
                             errno == EXDEV ? " (a mount point: left as it is)" : "");
  empty_dir (&w, dfd, 1);
  if (w.failures == 0 && unlinkat (bfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    tree_fail (&w, ".", errno);
  if (w.failures > 0)
    {
      labo_error_make (err, 0, "could not remove %s/%s entirely: %d entr%s left (first: %s)",
                       base, name, w.failures, w.failures == 1 ? "y" : "ies", w.first);
      free (w.first);
      return -1;
    }
  return 0;
}

static void
chown_dir (struct tree_walk *w, int dirfd, uid_t uid, gid_t gid, int depth)
{
  size_t n = 0;
  char **names = list_names (dirfd, &n);

  for (size_t i = 0; i < n; i++)
    {
      /* the inode itself, pinned by the descriptor: what is changed is what
       * was looked at, even if the name is swapped meanwhile */
      cleanup_close int fd = openat (dirfd, names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
      struct stat st;
      if (fd < 0 || fstat (fd, &st) < 0)
        {
          if (errno != ENOENT)
            tree_fail (w, names[i], errno);
          continue;
        }
      /* a second name of a file: it could be one of the machine's */
      if (!S_ISDIR (st.st_mode) && st.st_nlink > 1)
        {
          tree_fail (w, names[i], EMLINK);
          continue;
        }
      if (fchownat (fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
        {
          tree_fail (w, names[i], errno);
          continue;
        }
      if (S_ISDIR (st.st_mode))
        {
          cleanup_close int sub = open_subdir (w, dirfd, names[i], depth);
          if (sub >= 0)
            chown_dir (w, sub, uid, gid, depth + 1);
        }
    }
  free_names (names, n);
}

int
labo_fs_chown_tree (int dirfd, uid_t uid, gid_t gid, labo_error_t *err)
{
  struct tree_walk w = { .top = "." };

  chown_dir (&w, dirfd, uid, gid, 1);
  if (w.failures > 0)
    {
      labo_error_make (err, 0, "could not give %d entr%s to uid %d (first: %s)", w.failures,
                       w.failures == 1 ? "y" : "ies", (int) uid, w.first);
      free (w.first);
      return -1;
    }
  /* the top last: its owner says the whole tree was given */
  if (fchown (dirfd, uid, gid) < 0)
    return labo_error_errno (err, "giving a directory to uid %d", (int) uid);
  return 0;
}

int
labo_fs_open_log (const char *path, mode_t mode)
{
  /* O_NONBLOCK: a FIFO put in the log's place must not hang the opener */
  int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                 mode);
  struct stat st;

  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_nlink > 1)
    {
      close (fd);
      errno = EINVAL;
      return -1;
    }
  fcntl (fd, F_SETFL, O_APPEND);
  return fd;
}

/* Inherited descriptors: few in practice; more than this many are marked
 * close-on-exec all the same, and the rest left open by the supervisor. */
static int inherited[64];
static size_t n_inherited;

void
labo_fds_inherited_mark (void)
{
  DIR *d = opendir ("/proc/self/fd");
  struct dirent *e;
  int self;

  if (d == NULL)
    return;
  self = dirfd (d);
  while ((e = readdir (d)) != NULL)
    {
      char *end;
      long fd = strtol (e->d_name, &end, 10);
      int flags;

      if (*end != '\0' || end == e->d_name || fd <= 2 || fd == self)
        continue;
      flags = fcntl ((int) fd, F_GETFD);
      if (flags < 0)
        continue;
      fcntl ((int) fd, F_SETFD, flags | FD_CLOEXEC);
      if (n_inherited < sizeof (inherited) / sizeof (inherited[0]))
        inherited[n_inherited++] = (int) fd;
    }
  closedir (d);
}

void
labo_fds_inherited_close (void)
{
  /* labo closes no descriptor it did not open, so each number is still the
   * inherited one */
  for (size_t i = 0; i < n_inherited; i++)
    close (inherited[i]);
  n_inherited = 0;
}

int
labo_fs_open_output (const char *path, const char *what, labo_error_t *err)
{
  cleanup_close int fd = -1;
  struct stat st;
  int ret;

  /* no O_TRUNC: what the path is, is looked at before anything is lost */
  fd = open (path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
  if (fd < 0 && errno == ELOOP)
    return labo_error_refuse (err, ELOOP,
                              xasprintf ("%s is a symbolic link: %s is not written through "
                                         "one (name its target)", path, what));
  if (fd < 0)
    return labo_error_errno (err, "opening %s to write %s", path, what);
  if (fstat (fd, &st) < 0)
    return labo_error_errno (err, "%s", path);
  if (S_ISFIFO (st.st_mode))
    ;
  else if (!S_ISREG (st.st_mode))
    return labo_error_refuse (err, EINVAL,
                              xasprintf ("%s is neither a regular file nor a FIFO", path));
  else if (st.st_nlink > 1)
    return labo_error_refuse (err, EMLINK,
                              xasprintf ("%s has %ju hard links: %s is not written over a "
                                         "file that other names share", path,
                                         (uintmax_t) st.st_nlink, what));
  else if (ftruncate (fd, 0) < 0)
    return labo_error_errno (err, "emptying %s", path);
  ret = fd;
  fd = -1;
  return ret;
}

int
labo_fs_check_output (const char *path, const char *what, labo_error_t *err)
{
  cleanup_free char *dir = NULL;
  struct stat st;

  if (lstat (path, &st) == 0)
    {
      if (S_ISLNK (st.st_mode))
        return labo_error_refuse (err, ELOOP,
                                  xasprintf ("%s is a symbolic link: %s is not written "
                                             "through one (name its target)", path, what));
      if (!S_ISREG (st.st_mode) && !S_ISFIFO (st.st_mode))
        return labo_error_refuse (err, EINVAL,
                                  xasprintf ("%s is neither a regular file nor a FIFO", path));
      if (S_ISREG (st.st_mode) && st.st_nlink > 1)
        return labo_error_refuse (err, EMLINK,
                                  xasprintf ("%s has %ju hard links: %s is not written "
                                             "over a file that other names share", path,
                                             (uintmax_t) st.st_nlink, what));
      return 0;
    }
  if (errno != ENOENT)
    return labo_error_errno (err, "%s", path);
  dir = strrchr (path, '/') ? xasprintf ("%.*s", (int) (strrchr (path, '/') - path) + 1, path)
                            : xstrdup (".");
  if (stat (dir, &st) < 0 || !S_ISDIR (st.st_mode))
    return labo_error_make (err, ENOENT, "%s: no directory %s to write it in", path, dir);
  if (access (dir, W_OK) < 0)
    return labo_error_errno (err, "%s: cannot write in %s", path, dir);
  return 0;
}
