/* A lab's run state directory, lock and journal: see include/labo/model/state.h. */
#include "labo/model/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "labo/util/fs.h"
#include "labo/model/copy.h"
#include "labo/model/labfile.h"
#include "labo/model/limits.h"
#include "labo/model/names.h"
#include "labo/util/util.h"

const char *
labo_run_dir (void)
{
  const char *d = getenv ("LABO_RUN_DIR");
  return d && *d ? d : "/run/labo";
}

const char *
labo_state_root (void)
{
  const char *d = getenv ("LABO_STATE_DIR");
  return d && *d ? d : "/var/lib/labo";
}

const char *
labo_log_root (void)
{
  const char *d = getenv ("LABO_LOG_DIR");
  return d && *d ? d : "/var/log/labo";
}

int
labo_state_check_env (labo_error_t *err)
{
  /* Root keeps journals, sockets and daemons' data there, and `down`
   * removes trees in them: a directory another user could write, or a
   * link, would hand that user root's hand. */
  if (labo_fs_check_secure ("LABO_RUN_DIR", labo_run_dir (), err) < 0
      || labo_fs_check_secure ("LABO_STATE_DIR", labo_state_root (), err) < 0
      || labo_fs_check_secure ("LABO_LOG_DIR", labo_log_root (), err) < 0)
    return -1;
  return 0;
}

char *
labo_state_dir (const char *lab)
{
  return xasprintf ("%s/%s", labo_run_dir (), lab);
}

/* The pid that holds the flock on fd's file, from /proc/locks (the
 * kernel's own record: right from the moment the lock is taken, before
 * the holder has written anything), or 0. */
static long
lock_holder (int fd)
{
  struct stat st;
  cleanup_free char *locks = NULL;
  char *line, *save = NULL;

  if (fstat (fd, &st) < 0 || (locks = labo_read_file ("/proc/locks", NULL)) == NULL)
    return 0;
  for (line = strtok_r (locks, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char kind[16], mode[16];
      long pid;
      unsigned maj, min;
      unsigned long long ino;
      /* "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF" */
      if (sscanf (line, "%*d: %15s %*s %15s %ld %x:%x:%llu", kind, mode, &pid, &maj, &min, &ino)
              == 6
          && strcmp (kind, "FLOCK") == 0 && ino == (unsigned long long) st.st_ino
          && makedev (maj, min) == st.st_dev)
        return pid;
    }
  return 0;
}

/* The command line of pid, its arguments joined by spaces (at most a
 * line's worth), to name who holds a lab's lock: `labo reset seed`. NULL
 * if it is gone. */
static char *
holder_command (long pid)
{
  char path[64];
  size_t len = 0;
  char *text;

  snprintf (path, sizeof (path), "/proc/%ld/cmdline", pid);
  text = labo_read_file (path, &len);
  if (text == NULL || len == 0)
    {
      free (text);
      return NULL;
    }
  if (len > 120)
    len = 120;
  text[len] = '\0';
  for (size_t i = 0; i + 1 < len; i++)
    if (text[i] == '\0' || text[i] == '\n')
      text[i] = ' ';
  {
    /* argv[0] as a user types it: its base name */
    char *slash = NULL;
    const char *first_end = strchr (text, ' ');
    size_t n0 = first_end ? (size_t) (first_end - text) : strlen (text);
    for (size_t i = 0; i < n0; i++)
      if (text[i] == '/')
        slash = text + i;
    if (slash)
      memmove (text, slash + 1, strlen (slash + 1) + 1);
  }
  return text;
}

int
labo_state_open (const char *lab, bool create, struct labo_state *st, labo_error_t *err)
{
  cleanup_free char *lock = NULL;
  cleanup_free char *journal = NULL;

  memset (st, 0, sizeof (*st));
  st->lock_fd = st->journal_fd = -1;
  if (labo_lab_name_check (lab, err) < 0)
    return -1;
  st->lab = xstrdup (lab);
  st->dir = labo_state_dir (lab);
  if (create)
    {
      /* checked on the way down: root's own, and no link */
      int fd = labo_fs_mkdir (st->dir, 0700, err);
      if (fd < 0)
        return -1;
      close (fd);
    }
  else if (access (st->dir, F_OK) < 0)
    {
      free (st->dir);
      st->dir = NULL;
      return 0;
    }
  lock = xasprintf ("%s/lock", st->dir);
  st->lock_fd = open (lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (st->lock_fd < 0)
    return labo_error_errno (err, "opening %s", lock);
  if (flock (st->lock_fd, LOCK_EX | LOCK_NB) < 0)
    {
      if (errno == EWOULDBLOCK)
        {
          long pid = lock_holder (st->lock_fd);
          cleanup_free char *cmd = pid > 0 ? holder_command (pid) : NULL;
          cleanup_free char *holder = pid > 0 && cmd ? xasprintf ("pid %ld, `%s`", pid, cmd)
                                      : pid > 0      ? xasprintf ("pid %ld", pid)
                                                     : xstrdup ("which has just let go");
          return labo_error_make (err, 0,
                                  "lab '%s' is busy: another labo (%s) is bringing it up, "
                                  "resetting it or taking it down; wait for it, or kill it "
                                  "and run `labo down %s`",
                                  lab, holder, lab);
        }
      return labo_error_errno (err, "locking %s", lock);
    }
  journal = xasprintf ("%s/journal", st->dir);
  st->journal_fd = open (journal, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (st->journal_fd < 0)
    return labo_error_errno (err, "opening %s", journal);
  return 0;
}

void
labo_state_close (struct labo_state *st)
{
  if (st->journal_fd >= 0)
    close (st->journal_fd);
  if (st->lock_fd >= 0)
    close (st->lock_fd); /* releases the flock */
  free (st->lab);
  free (st->dir);
  memset (st, 0, sizeof (*st));
  st->lock_fd = st->journal_fd = -1;
}

int
labo_state_record (struct labo_state *st, const char *kind, const char *name, labo_error_t *err)
{
  cleanup_free char *line = xasprintf ("%s %s\n", kind, name);
  size_t len = strlen (line);
  /* One write per line, O_APPEND: a line is in the journal whole or not at
   * all, whenever the process dies (the page cache outlives the process). */
  if (write (st->journal_fd, line, len) != (ssize_t) len)
    return labo_error_errno (err, "recording %s %s in %s/journal", kind, name, st->dir);
  return 0;
}

void
labo_strv_free (char **v, size_t n)
{
  if (v == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

/* Is a journal line one labo writes, for this lab? Its names become
 * paths (/run/netns/<netns>) and kernel names: a line that is not exactly
 * what `up` writes is ignored, never acted on. */
static bool
journal_line_ok (const char *lab, const char *kind, char *name)
{
  if (strcmp (kind, "netns") == 0)
    return labo_lab_netns_valid (lab, name);
  if (strcmp (kind, "docker") == 0)
    return labo_hostname_valid (name);
  if (strcmp (kind, "rootlink") == 0)
    {
      /* "<switch port> <root ifname>" */
      char *sp = strchr (name, ' ');
      bool ok;
      if (sp == NULL)
        return false;
      *sp = '\0';
      ok = labo_ifname_valid (name) && labo_ifname_valid (sp + 1);
      *sp = ' ';
      return ok;
    }
  return false;
}

int
labo_state_journal (const char *lab, char ***kinds, char ***names, size_t *n,
                    labo_error_t *err)
{
  cleanup_free char *text = labo_state_get (lab, "journal", NULL);
  size_t nk = 0;
  char *line, *save = NULL;

  *kinds = *names = NULL;
  *n = 0;
  if (text == NULL)
    return 0;
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *sp = strchr (line, ' ');
      char **k, **nm;
      if (sp == NULL || sp[1] == '\0')
        continue; /* a torn or foreign line: ignore it rather than guess */
      *sp = '\0';
      if (!journal_line_ok (lab, line, sp + 1))
        continue;
      k = labo_array_push (kinds, &nk, sizeof (char *));
      *k = xstrdup (line);
      nm = labo_array_push (names, n, sizeof (char *));
      *nm = xstrdup (sp + 1);
    }
  (void) err;
  return 0;
}

int
labo_state_put (struct labo_state *st, const char *file, const char *data, size_t len,
                labo_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", st->dir, file);
  if (labo_write_file (path, data, len, 0600) < 0)
    return labo_error_errno (err, "writing %s", path);
  return 0;
}

int
labo_state_share (struct labo_state *st, const char *file, labo_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", st->dir, file);
  if (chmod (path, 0644) < 0)
    return labo_error_errno (err, "making %s readable", path);
  return 0;
}

char *
labo_state_get (const char *lab, const char *file, size_t *len)
{
  cleanup_free char *path = NULL;

  if (!labo_lab_name_valid (lab))
    {
      errno = EINVAL;
      return NULL;
    }
  path = xasprintf ("%s/%s/%s", labo_run_dir (), lab, file);
  return labo_read_file (path, len);
}

char *
labo_state_meta (const char *lab, const char *key)
{
  cleanup_free char *text = labo_state_get (lab, "meta", NULL);
  size_t klen = strlen (key);
  char *p;

  if (text == NULL)
    return NULL;
  for (p = text; p && *p; p = strchr (p, '\n') ? strchr (p, '\n') + 1 : NULL)
    if (strncmp (p, key, klen) == 0 && p[klen] == '=')
      {
        char *v = p + klen + 1;
        size_t vlen = strcspn (v, "\n");
        char *r = xmalloc (vlen + 1);
        memcpy (r, v, vlen);
        r[vlen] = '\0';
        return r;
      }
  return NULL;
}

struct labo_lab *
labo_state_load_lab (const char *name)
{
  size_t len = 0;
  cleanup_free char *text = labo_state_get (name, "lab.yaml", &len);
  cleanup_free char *file = labo_state_meta (name, "file");
  cleanup_free char *runtime = labo_state_meta (name, "runtime");
  cleanup_free char *until = labo_state_meta (name, "until");
  cleanup_free char *copy_of = labo_state_meta (name, "copy_of");
  cleanup_free char *roots = labo_state_meta (name, "roots");
  struct labo_diags diags = { NULL, 0 };
  struct labo_lab *lab;

  if (text == NULL)
    return NULL;
  /* labo's own copy, read under the limits of the `up` that saved it:
   * the limits of this command may be lower */
  lab = labo_labfile_parse_limited (file ? file : "lab.yaml", text, len, &labo_limits_none,
                                    &diags);
  labo_diags_free (&diags);
  /* a copy: the file's lab under the copy's name, its root links mapped
   * on the blocks its `up` took (include/labo/model/copy.h) */
  if (lab && copy_of
      && (strcmp (lab->name, copy_of) != 0 || labo_lab_copy (lab, name, NULL) < 0
          || labo_copy_roots_apply (lab, roots ? roots : "") < 0))
    {
      labo_lab_free (lab);
      return NULL;
    }
  if (lab && strcmp (lab->name, name) != 0)
    {
      /* a lab file saved under another lab's name is not this lab */
      labo_lab_free (lab);
      return NULL;
    }
  if (lab && (runtime == NULL || labo_runtime_parse (runtime, &lab->runtime) < 0
              || lab->runtime == LABO_RUNTIME_AUTO))
    lab->runtime = LABO_RUNTIME_DOCKER;
  /* a lab brought up before --until existed went all the way */
  if (lab && (until == NULL || labo_stage_parse (until, &lab->until) < 0
              || lab->until == LABO_STAGE_SERVICES))
    lab->until = LABO_STAGE_ALL;
  return lab;
}

int
labo_state_remove (struct labo_state *st, labo_error_t *err)
{
  if (st->dir == NULL)
    return 0;
  /* Daemons' run dirs (sockets, containerd state) live below: removed on
   * descriptors, never through a link, never across a mount */
  return labo_fs_remove_tree (labo_run_dir (), st->lab, err);
}

static int
cmp_str (const void *a, const void *b)
{
  /* a classroom reads attendee-2 before attendee-10 */
  return strverscmp (*(char *const *) a, *(char *const *) b);
}

int
labo_state_list (char ***labs, size_t *n, labo_error_t *err)
{
  DIR *d = opendir (labo_run_dir ());
  struct dirent *de;

  *labs = NULL;
  *n = 0;
  if (d == NULL)
    return errno == ENOENT ? 0 : labo_error_errno (err, "listing %s", labo_run_dir ());
  while ((de = readdir (d)) != NULL)
    {
      char **slot;
      /* only what could be a lab: a name that is not one never becomes a
       * path or a namespace's prefix */
      if (de->d_type != DT_DIR || !labo_lab_name_valid (de->d_name))
        continue;
      slot = labo_array_push (labs, n, sizeof (char *));
      *slot = xstrdup (de->d_name);
    }
  closedir (d);
  if (*n > 1)
    qsort (*labs, *n, sizeof (char *), cmp_str);
  return 0;
}

int
labo_state_lock (const char *path, labo_error_t *err)
{
  int fd = open (path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

  if (fd < 0)
    return labo_error_errno (err, "opening %s", path);
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        int saved = errno;
        close (fd);
        return labo_error_make (err, saved, "locking %s", path);
      }
  return fd;
}
