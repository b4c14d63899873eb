/* Logs of nodes and daemons, and those a failed `up` keeps: see
 * include/labo/runtime/logs.h. */
#include "labo/runtime/logs.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/docker/daemon.h"
#include "labo/docker/docker.h"
#include "labo/util/fs.h"
#include "labo/runtime/runtime.h"
#include "labo/model/state.h"
#include "labo/util/util.h"
#include "labo/zk/zkproc.h"

#define KEEP_MAX (1 << 20) /* the end of a log that is kept, bytes */

char *
labo_log_plain (const char *text, size_t len)
{
  char *out = xmalloc (len + 1);
  size_t n = 0;

  for (const char *line = text, *end = text + len; line < end;)
    {
      const char *nl = memchr (line, '\n', (size_t) (end - line));
      size_t l = nl ? (size_t) (nl - line) : (size_t) (end - line);
      json_t *o = line[0] == '{' ? json_loadb (line, l, 0, NULL) : NULL;
      const char *msg = json_string_value (json_object_get (o, "log"));
      if (msg && strlen (msg) <= l)
        {
          memcpy (out + n, msg, strlen (msg));
          n += strlen (msg);
        }
      else
        {
          memcpy (out + n, line, l);
          n += l;
          if (nl)
            out[n++] = '\n';
        }
      json_decref (o);
      line += l + (nl != NULL);
    }
  out[n] = '\0';
  return out;
}

/* The last max bytes of a file, without following a link at its name (a
 * node's own user can write where its log is). */
static char *
read_end (const char *path, size_t max, size_t *len)
{
  cleanup_close int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  struct stat st;
  char *buf;
  ssize_t r;
  size_t have = 0;

  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    return NULL;
  if ((size_t) st.st_size > max && lseek (fd, st.st_size - (off_t) max, SEEK_SET) < 0)
    return NULL;
  buf = xmalloc (max + 1);
  while (have < max && (r = read (fd, buf + have, max - have)) > 0)
    have += (size_t) r;
  buf[have] = '\0';
  *len = have;
  return buf;
}

static char *
node_log_text (const struct labo_lab *lab, size_t i, size_t max, labo_node_log_path_fn path_of)
{
  labo_error_t err = NULL;
  bool json = false;
  cleanup_free char *path = path_of (lab, i, &json, &err);
  cleanup_free char *raw = NULL;
  size_t len = 0;

  labo_error_release (&err);
  if (path == NULL || (raw = read_end (path, max, &len)) == NULL)
    return NULL;
  return json ? labo_log_plain (raw, len) : xstrdup (raw);
}

char *
labo_node_log_tail (const struct labo_lab *lab, size_t i, size_t lines,
                    labo_node_log_path_fn path_of)
{
  char *text = node_log_text (lab, i, 64 * 1024, path_of), *p;
  size_t seen = 0;

  if (text == NULL || *text == '\0')
    {
      free (text);
      return NULL;
    }
  p = text + strlen (text);
  if (p > text && p[-1] == '\n')
    p--;
  while (p > text && seen < lines)
    if (*--p == '\n')
      seen++;
  if (*p == '\n')
    p++;
  memmove (text, p, strlen (p) + 1);
  return text;
}

static void
keep_one (int dir, const char *name, const char *text)
{
  cleanup_free char *file = xasprintf ("%s.log", name);
  cleanup_close int fd = -1;

  if (!labo_fs_component_ok (file))
    return;
  unlinkat (dir, file, 0);
  fd = labo_fs_openat (dir, file, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd >= 0 && write (fd, text, strlen (text)) < 0)
    {
      /* best effort: the error that made up fail is what matters */
    }
}

char *
labo_logs_keep (const struct labo_lab *lab, const struct labo_runtime_ops *rt)
{
  cleanup_free char *dir = xasprintf ("%s/%s", labo_log_root (), lab->name);
  cleanup_close int fd = -1;
  labo_error_t err = NULL;
  size_t kept = 0;

  if (labo_logs_forget (lab->name, &err) < 0
      || (fd = labo_fs_mkdir (dir, 0700, &err)) < 0)
    {
      labo_error_release (&err);
      return NULL;
    }
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      cleanup_free char *text = node_log_text (lab, i, KEEP_MAX, rt->node_log_path);
      if (text)
        keep_one (fd, lab->nodes[i].name, text), kept++;
    }
  for (size_t h = 0; rt->daemons && h < lab->n_hosts; h++)
    {
      struct labo_daemon_paths p;
      cleanup_free char *name = xasprintf ("%s.dockerd", lab->hosts[h].name);
      cleanup_free char *text = NULL;
      size_t len;
      if (lab->hosts[h].docker == LABO_DOCKER_NONE)
        continue;
      labo_daemon_paths (lab->name, h, lab->hosts[h].name, &p);
      text = read_end (p.log, KEEP_MAX, &len);
      labo_daemon_paths_free (&p);
      if (text)
        keep_one (fd, name, text), kept++;
    }
  if (kept == 0)
    {
      labo_logs_forget (lab->name, NULL);
      return NULL;
    }
  return xstrdup (dir);
}

char *
labo_logs_kept (const char *lab, const char *name)
{
  char *path = xasprintf ("%s/%s/%s.log", labo_log_root (), lab, name);
  struct stat st;

  if (lstat (path, &st) == 0 && S_ISREG (st.st_mode))
    return path;
  free (path);
  return NULL;
}

int
labo_logs_forget (const char *lab, labo_error_t *err)
{
  labo_error_t e = NULL;
  int r = labo_fs_remove_tree (labo_log_root (), lab, err ? err : &e);
  labo_error_release (&e);
  return r;
}
