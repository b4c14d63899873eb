/* The cgroup freezer of a node's process tree: see
 * include/labo/host/freezer.h. */
#include "labo/host/freezer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/model/names.h"
#include "labo/util/util.h"

#define V2_HYBRID "/sys/fs/cgroup/unified"
#define V2_PURE "/sys/fs/cgroup"
#define V1_FREEZER "/sys/fs/cgroup/freezer"
#define RM_TRIES 50 /* x 20 ms: killed tasks leave their cgroup as they exit */
#define MOVE_PASSES 8

enum labo_freezer_state
labo_freezer_state_parse (const char *text, bool v2)
{
  if (text == NULL)
    return LABO_FREEZER_UNKNOWN;
  if (v2)
    {
      const char *f = strstr (text, "frozen ");
      /* "frozen" at the start of a line only */
      while (f && f != text && f[-1] != '\n')
        f = strstr (f + 1, "frozen ");
      if (f == NULL)
        return LABO_FREEZER_UNKNOWN;
      return f[7] == '1' ? LABO_FREEZER_FROZEN
             : f[7] == '0' ? LABO_FREEZER_THAWED
                           : LABO_FREEZER_UNKNOWN;
    }
  if (strncmp (text, "FROZEN", 6) == 0 && (text[6] == '\n' || text[6] == '\0'))
    return LABO_FREEZER_FROZEN;
  if (strncmp (text, "FREEZING", 8) == 0 && (text[8] == '\n' || text[8] == '\0'))
    return LABO_FREEZER_FREEZING;
  if (strncmp (text, "THAWED", 6) == 0 && (text[6] == '\n' || text[6] == '\0'))
    return LABO_FREEZER_THAWED;
  return LABO_FREEZER_UNKNOWN;
}

const char *
labo_freezer_state_name (enum labo_freezer_state s)
{
  switch (s)
    {
    case LABO_FREEZER_THAWED:
      return "thawed";
    case LABO_FREEZER_FREEZING:
      return "freezing";
    case LABO_FREEZER_FROZEN:
      return "frozen";
    case LABO_FREEZER_UNKNOWN:
    default:
      return "unknown";
    }
}

/* The unified hierarchy's root (hybrid or pure), or NULL. */
static const char *
v2_root (void)
{
  if (access (V2_HYBRID "/cgroup.procs", F_OK) == 0)
    return V2_HYBRID;
  if (access (V2_PURE "/cgroup.controllers", F_OK) == 0)
    return V2_PURE;
  return NULL;
}

static const char *
v1_root (void)
{
  return access (V1_FREEZER "/cgroup.procs", F_OK) == 0 ? V1_FREEZER : NULL;
}

static char *
lab_dir_name (const char *lab)
{
  return xasprintf ("labo-pause.%s", lab);
}

static int
check_names (const char *lab, const char *node, labo_error_t *err)
{
  if (!labo_lab_name_valid (lab))
    return labo_error_make (err, EINVAL, "freezing: invalid lab name");
  if (node && !labo_hostname_valid (node))
    return labo_error_make (err, EINVAL, "freezing: invalid node name");
  return 0;
}

/* dir/name opened as a directory, never through a link; made first if
 * make. -1 (errno) if not there. */
static int
open_sub (int dir, const char *name, bool make)
{
  if (make && mkdirat (dir, name, 0755) < 0 && errno != EEXIST)
    return -1;
  return openat (dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* The node's cgroup directory under root, or -1. */
static int
open_node (const char *root, const char *lab, const char *node, bool make)
{
  cleanup_close int r = open (root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_close int l = -1;
  cleanup_free char *name = lab_dir_name (lab);

  if (r < 0 || (l = open_sub (r, name, make)) < 0)
    return -1;
  return open_sub (l, node, make);
}

static int
write_at (int dir, const char *file, const char *text)
{
  cleanup_close int fd = openat (dir, file, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  size_t len = strlen (text);

  if (fd < 0)
    return -1;
  return write (fd, text, len) == (ssize_t) len ? 0 : -1;
}

static char *
read_at (int dir, const char *file)
{
  cleanup_close int fd = openat (dir, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  char buf[4096];
  ssize_t n;

  if (fd < 0)
    return NULL;
  n = pread (fd, buf, sizeof (buf) - 1, 0);
  if (n < 0)
    return NULL;
  buf[n] = '\0';
  return xstrdup (buf);
}

static enum labo_freezer_state
state_at (int dir, bool v2)
{
  cleanup_free char *text = read_at (dir, v2 ? "cgroup.events" : "freezer.state");
  return labo_freezer_state_parse (text, v2);
}

/* pid and its descendants, parents before children (a child forked after
 * its parent moved is born in the parent's new cgroup). */
static size_t
process_tree (pid_t pid, pid_t **out)
{
  size_t n = 0;

  *out = NULL;
  *(pid_t *) labo_array_push (out, &n, sizeof (pid_t)) = pid;
  for (size_t i = 0; i < n && n < 4096; i++)
    {
      cleanup_free char *tasks = xasprintf ("/proc/%d/task", (int) (*out)[i]);
      DIR *d = opendir (tasks);
      struct dirent *de;
      while (d && (de = readdir (d)) != NULL)
        {
          cleanup_free char *path = NULL;
          cleanup_free char *kids = NULL;
          char *save = NULL;
          if (de->d_name[0] == '.')
            continue;
          path = xasprintf ("%s/%s/children", tasks, de->d_name);
          kids = labo_read_file (path, NULL);
          for (char *k = kids ? strtok_r (kids, " \n", &save) : NULL; k;
               k = strtok_r (NULL, " \n", &save))
            *(pid_t *) labo_array_push (out, &n, sizeof (pid_t)) = (pid_t) atoi (k);
        }
      if (d)
        closedir (d);
    }
  return n;
}

static bool
has_pid (const pid_t *v, size_t n, pid_t p)
{
  for (size_t i = 0; i < n; i++)
    if (v[i] == p)
      return true;
  return false;
}

/* Waits for `want` in the node's cgroup: v2's cgroup.events tells a change
 * with POLLPRI; v1 has no notification, and is read every millisecond
 * (asking FROZEN again, as the kernel's documentation says, while it
 * reads FREEZING). */
static int
wait_state (int dir, bool v2, enum labo_freezer_state want, int timeout_ms, labo_error_t *err)
{
  double deadline = labo_now () + timeout_ms / 1e3;
  cleanup_close int ev = v2 ? openat (dir, "cgroup.events", O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
  enum labo_freezer_state s;

  while ((s = state_at (dir, v2)) != want)
    {
      int left = (int) ((deadline - labo_now ()) * 1000);
      if (left <= 0)
        return labo_error_make (err, ETIMEDOUT, "the cgroup is %s, not %s, after %d ms",
                                labo_freezer_state_name (s), labo_freezer_state_name (want),
                                timeout_ms);
      if (v2 && ev >= 0)
        {
          struct pollfd p = { ev, POLLPRI, 0 };
          poll (&p, 1, left < 50 ? left : 50);
        }
      else
        {
          struct pollfd none = { -1, 0, 0 };
          if (!v2 && s == LABO_FREEZER_FREEZING)
            write_at (dir, "freezer.state", "FROZEN");
          poll (&none, 0, 1);
        }
    }
  return 0;
}

int
labo_freezer_freeze (const char *lab, const char *node, pid_t pid, int timeout_ms,
                     labo_error_t *err)
{
  const char *root = v2_root ();
  cleanup_close int dir = -1;
  cleanup_free pid_t *moved = NULL;
  size_t n_moved = 0;
  bool v2 = false;

  if (check_names (lab, node, err) < 0)
    return -1;
  /* v2 where a cgroup there has cgroup.freeze (kernel 5.2 and later) */
  if (getenv ("LABO_FREEZER_V1") != NULL)
    root = NULL;
  if (root && (dir = open_node (root, lab, node, true)) >= 0
      && faccessat (dir, "cgroup.freeze", W_OK, 0) == 0)
    v2 = true;
  else
    {
      if (dir >= 0)
        {
          cleanup_free char *name = lab_dir_name (lab);
          cleanup_free char *path = xasprintf ("%s/%s/%s", root, name, node);
          close (dir);
          rmdir (path);
        }
      dir = -1;
      if ((root = v1_root ()) == NULL)
        return labo_error_make (err, ENOTSUP, "freezing node %s: this machine has no cgroup "
                                              "freezer (neither cgroup v2's cgroup.freeze nor "
                                              "a v1 freezer hierarchy)", node);
      if ((dir = open_node (root, lab, node, true)) < 0)
        return labo_error_errno (err, "creating the freezer cgroup of node %s under %s", node,
                                 root);
    }
  for (int pass = 0; pass < MOVE_PASSES; pass++)
    {
      cleanup_free pid_t *tree = NULL;
      size_t n = process_tree (pid, &tree);
      size_t before = n_moved;
      for (size_t i = 0; i < n; i++)
        {
          char text[24];
          if (has_pid (moved, n_moved, tree[i]))
            continue;
          snprintf (text, sizeof (text), "%d\n", (int) tree[i]);
          if (write_at (dir, "cgroup.procs", text) < 0)
            {
              /* a descendant may have ended meanwhile; the node's own
               * process must move */
              if (tree[i] == pid || errno != ESRCH)
                return labo_error_errno (err, "moving process %d of node %s into its freezer "
                                              "cgroup", (int) tree[i], node);
              continue;
            }
          *(pid_t *) labo_array_push (&moved, &n_moved, sizeof (pid_t)) = tree[i];
        }
      if (n_moved == before)
        break;
    }
  if (write_at (dir, v2 ? "cgroup.freeze" : "freezer.state", v2 ? "1" : "FROZEN") < 0)
    return labo_error_errno (err, "freezing node %s", node);
  if (wait_state (dir, v2, LABO_FREEZER_FROZEN, timeout_ms, err) < 0)
    return labo_error_wrap (err, "freezing node %s", node);
  return (int) n_moved;
}

/* The node's cgroup in the hierarchy that has it: v2 first. */
static int
find_node (const char *lab, const char *node, bool *v2)
{
  const char *r2 = v2_root (), *r1 = v1_root ();
  int dir;

  if (r2 && (dir = open_node (r2, lab, node, false)) >= 0)
    {
      if (faccessat (dir, "cgroup.freeze", F_OK, 0) == 0)
        {
          *v2 = true;
          return dir;
        }
      close (dir);
    }
  *v2 = false;
  return r1 ? open_node (r1, lab, node, false) : -1;
}

int
labo_freezer_thaw (const char *lab, const char *node, labo_error_t *err)
{
  cleanup_close int dir = -1;
  bool v2;

  if (check_names (lab, node, err) < 0)
    return -1;
  if ((dir = find_node (lab, node, &v2)) < 0)
    return 0;
  if (state_at (dir, v2) == LABO_FREEZER_THAWED)
    return 0;
  if (write_at (dir, v2 ? "cgroup.freeze" : "freezer.state", v2 ? "0" : "THAWED") < 0)
    return labo_error_errno (err, "thawing node %s", node);
  if (wait_state (dir, v2, LABO_FREEZER_THAWED, 5000, err) < 0)
    return labo_error_wrap (err, "thawing node %s", node);
  return 1;
}

enum labo_freezer_state
labo_freezer_state (const char *lab, const char *node)
{
  cleanup_close int dir = -1;
  bool v2;

  if (check_names (lab, node, NULL) < 0 || (dir = find_node (lab, node, &v2)) < 0)
    return LABO_FREEZER_UNKNOWN;
  return state_at (dir, v2);
}

/* One node's cgroup at down: thawed, its processes killed. */
static int
release_node (int dir, bool v2)
{
  cleanup_free char *procs = NULL;
  char *save = NULL;
  int killed = 0;

  if (v2)
    write_at (dir, "cgroup.freeze", "0");
  else
    write_at (dir, "freezer.state", "THAWED");
  procs = read_at (dir, "cgroup.procs");
  for (char *p = procs ? strtok_r (procs, "\n", &save) : NULL; p; p = strtok_r (NULL, "\n", &save))
    if (kill ((pid_t) atoi (p), SIGKILL) == 0)
      killed++;
  return killed;
}

int
labo_freezer_release (const char *lab, labo_error_t *err)
{
  const char *roots[] = { v2_root (), v1_root () };
  cleanup_free char *name = NULL;
  int killed = 0;

  if (check_names (lab, NULL, err) < 0)
    return -1;
  name = lab_dir_name (lab);
  for (size_t i = 0; i < 2; i++)
    {
      cleanup_close int r = -1, l = -1;
      DIR *d;
      struct dirent *de;
      bool left = true;

      if (roots[i] == NULL || (r = open (roots[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0
          || (l = open_sub (r, name, false)) < 0)
        continue;
      if ((d = fdopendir (dup (l))) == NULL)
        return labo_error_errno (err, "reading %s/%s", roots[i], name);
      while ((de = readdir (d)) != NULL)
        {
          cleanup_close int n = -1;
          if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
          if ((n = open_sub (l, de->d_name, false)) >= 0)
            killed += release_node (n, i == 0);
        }
      for (int attempt = 0; attempt < RM_TRIES && left; attempt++)
        {
          struct pollfd none = { -1, 0, 0 };
          left = false;
          rewinddir (d);
          while ((de = readdir (d)) != NULL)
            if (de->d_type == DT_DIR && de->d_name[0] != '.'
                && unlinkat (l, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
              left = true;
          if (left)
            poll (&none, 0, 20);
        }
      closedir (d);
      if (unlinkat (r, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return labo_error_errno (err, "removing the freezer cgroup %s/%s", roots[i], name);
    }
  return killed;
}

int
labo_freezer_thaw_tree_v1 (const char *dir)
{
  cleanup_free char *state = xasprintf ("%s/freezer.state", dir);
  cleanup_free char *text = labo_read_file (state, NULL);
  int thawed = 0;
  DIR *d;
  struct dirent *de;

  if (text && labo_freezer_state_parse (text, false) != LABO_FREEZER_THAWED)
    {
      cleanup_close int fd = open (state, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0 && write (fd, "THAWED", 6) == 6)
        thawed++;
    }
  if ((d = opendir (dir)) == NULL)
    return thawed;
  while ((de = readdir (d)) != NULL)
    if (de->d_type == DT_DIR && de->d_name[0] != '.')
      {
        cleanup_free char *sub = xasprintf ("%s/%s", dir, de->d_name);
        thawed += labo_freezer_thaw_tree_v1 (sub);
      }
  closedir (d);
  return thawed;
}
