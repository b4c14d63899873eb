/* A node's clock skew: its spelling, its record and libfaketime's file.
 * See include/labo/model/clock.h. */
#include "labo/model/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/model/state.h"
#include "labo/util/fs.h"
#include "labo/util/util.h"

#define NS_PER_S 1000000000LL

int
labo_skew_parse_offset (const char *text, int64_t *ns, labo_error_t *err)
{
  static const struct
  {
    const char *unit;
    double ns;
  } units[] = { { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 }, { "d", 86400e9 } };
  const char *p = text;
  char *end = NULL;
  double v, scale = 0;

  /* a number of our own: strtod would take "inf", "0x10" and a locale's
   * comma */
  if (*p == '+' || *p == '-')
    p++;
  if (!(*p >= '0' && *p <= '9'))
    goto bad;
  for (const char *q = p; *q && *q != 'm' && *q != 's' && *q != 'h' && *q != 'd'; q++)
    if (!((*q >= '0' && *q <= '9') || *q == '.'))
      goto bad;
  v = strtod (text, &end);
  if (end == text)
    goto bad;
  if (*end == '\0')
    {
      /* a bare number is only 0: "30" might mean seconds or minutes */
      if (v != 0)
        goto bad;
      *ns = 0;
      return 0;
    }
  for (size_t i = 0; i < sizeof (units) / sizeof (units[0]); i++)
    if (strcmp (end, units[i].unit) == 0)
      scale = units[i].ns;
  if (scale == 0)
    goto bad;
  v *= scale;
  if (!(fabs (v) <= (double) LABO_CLOCK_OFFSET_MAX_S * 1e9))
    return labo_error_make (err, 0, "clock offset '%s' is beyond ten years either way", text);
  *ns = (int64_t) llround (v);
  return 0;
bad:
  return labo_error_make (err, 0, "clock offset '%s' is not one: a signed number and a unit, "
                                  "ms, s, m, h or d (+30s, -5s, +1.5m), or 0", text);
}

int
labo_skew_parse_drift (const char *text, double *rate, labo_error_t *err)
{
  size_t len = strlen (text);
  const char *p = text;
  char *end = NULL;
  double v;
  bool ppm = len > 3 && strcmp (text + len - 3, "ppm") == 0;

  if (*p == '+' || *p == '-')
    p++;
  if (!(*p >= '0' && *p <= '9'))
    goto bad;
  for (const char *q = p; q < text + len - (ppm ? 3 : 0); q++)
    if (!((*q >= '0' && *q <= '9') || *q == '.'))
      goto bad;
  v = strtod (text, &end);
  if (end != text + len - (ppm ? 3 : 0))
    goto bad;
  if (ppm)
    v = 1 + v / 1e6;
  else if (*text == '+' || *text == '-')
    /* "+1.001" is neither a rate nor ppm */
    goto bad;
  else if (v == 0)
    v = 1;
  if (!(v >= 0.01 && v <= 100))
    return labo_error_make (err, 0, "clock drift '%s' is a rate of %g: from 0.01 to 100 "
                                    "(-990000ppm to +99000000ppm)", text, v);
  *rate = v;
  return 0;
bad:
  return labo_error_make (err, 0, "clock drift '%s' is not one: a rate (1.001: a second "
                                  "and a millisecond each second) or parts per million "
                                  "(+1000ppm, -50ppm)", text);
}

const char *
labo_skew_offset_format (int64_t ns, char *buf)
{
  int64_t ms = ns >= 0 ? (ns + 500000) / 1000000 : -((-ns + 500000) / 1000000);
  long long a = ms < 0 ? -ms : ms;

  if (a % 1000 == 0)
    snprintf (buf, 32, "%c%llds", ms < 0 ? '-' : '+', a / 1000);
  else
    {
      int n = snprintf (buf, 32, "%c%lld.%03llds", ms < 0 ? '-' : '+', a / 1000, a % 1000);
      /* "+5.250s" reads "+5.25s" */
      while (n > 2 && buf[n - 2] == '0')
        {
          buf[n - 2] = 's';
          buf[--n] = '\0';
        }
    }
  return buf;
}

const char *
labo_skew_drift_format (double rate, char *buf)
{
  double ppm = (rate - 1) * 1e6;

  if (fabs (ppm) < 0.5)
    snprintf (buf, 32, "none");
  else if (fabs (ppm) < 10000)
    snprintf (buf, 32, "%+.0fppm", ppm);
  else
    snprintf (buf, 32, "x%.6g", rate);
  return buf;
}

int64_t
labo_skew_at (const struct labo_skew *s, int64_t now_ns)
{
  return s->offset_ns + (int64_t) llround ((s->rate - 1) * (double) (now_ns - s->since_ns));
}

char *
labo_skew_faketime_line (const struct labo_skew *s)
{
  /* libfaketime's clock: start + (t - start) * rate + offset written, start
   * the process's own; the offset written makes it since + offset at since */
  int64_t from = s->anchor_ns > 0 && s->anchor_ns < s->since_ns ? s->anchor_ns : s->since_ns;
  double off = (double) s->offset_ns - (s->rate - 1) * (double) (s->since_ns - from);

  return xasprintf ("%+.9fs x%.9f\n", off / 1e9, s->rate);
}

void
labo_skews_parse (const struct labo_lab *lab, const char *text, struct labo_skew *skews,
                  bool *has)
{
  cleanup_free char *copy = xstrdup (text ? text : "");
  char *save = NULL;

  for (size_t i = 0; i < lab->n_nodes; i++)
    has[i] = false;
  for (char *l = strtok_r (copy, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      char name[LABO_HOSTNAME_MAX + 1];
      long long off, since, anchor;
      double rate;
      long i;
      if (sscanf (l, "%63s %lld %lf %lld %lld", name, &off, &rate, &since, &anchor) != 5
          || (i = labo_lab_find_node (lab, name)) < 0 || !(rate >= 0.01 && rate <= 100))
        continue;
      skews[i] = (struct labo_skew){ off, rate, since, anchor };
      has[i] = true;
    }
}

char *
labo_skews_format (const struct labo_lab *lab, const struct labo_skew *skews, const bool *has)
{
  char *text = xstrdup ("");
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (has[i])
      {
        char *t = xasprintf ("%s%s %lld %.12g %lld %lld\n", text, lab->nodes[i].name,
                             (long long) skews[i].offset_ns, skews[i].rate,
                             (long long) skews[i].since_ns, (long long) skews[i].anchor_ns);
        free (text);
        text = t;
      }
  return text;
}

char *
labo_clock_dir (const char *lab, const char *node)
{
  /* beside the nodes' data, not in the run directory: a host's dockerd
   * has a /run of its own, and would bind an empty directory of it */
  return xasprintf ("%s/%s/_clock/%s", labo_state_root (), lab, node);
}

/* The node's clock directory, made if missing, opened: never through a
 * link (labo_fs_mkdir), and readable by the node's unprivileged server. */
static int
open_dir (const char *lab, const char *node, labo_error_t *err)
{
  cleanup_free char *dir = NULL;
  int fd;

  if (!labo_fs_component_ok (lab) || !labo_fs_component_ok (node))
    return labo_error_make (err, EINVAL, "'%s/%s' is no lab and node name", lab, node);
  dir = labo_clock_dir (lab, node);
  fd = labo_fs_mkdir (dir, 0755, err);
  if (fd >= 0 && fchmod (fd, 0755) < 0)
    {
      close (fd);
      return labo_error_errno (err, "opening %s", dir);
    }
  return fd;
}

static int
write_at (int dirfd, const char *dir, const char *line, labo_error_t *err)
{
  char tmp[64];
  size_t len = strlen (line);
  cleanup_close int fd = -1;

  snprintf (tmp, sizeof (tmp), "." LABO_CLOCK_FILE ".%d", (int) getpid ());
  /* a leftover of a killed writer with this pid */
  unlinkat (dirfd, tmp, 0);
  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    return labo_error_errno (err, "creating %s/%s", dir, tmp);
  if (fchmod (fd, 0644) < 0 || write (fd, line, len) != (ssize_t) len || fsync (fd) < 0
      || renameat (dirfd, tmp, dirfd, LABO_CLOCK_FILE) < 0)
    {
      labo_error_errno (err, "writing %s/" LABO_CLOCK_FILE, dir);
      unlinkat (dirfd, tmp, 0);
      return -1;
    }
  return 0;
}

int
labo_clock_write (const char *lab, const char *node, const char *line, labo_error_t *err)
{
  cleanup_close int dirfd = open_dir (lab, node, err);
  cleanup_free char *dir = NULL;

  if (dirfd < 0)
    return labo_error_wrap (err, "skewing the clock of node %s", node);
  dir = labo_clock_dir (lab, node);
  return write_at (dirfd, dir, line, err);
}

int
labo_clock_prepare (const char *lab, const char *node, labo_error_t *err)
{
  cleanup_close int dirfd = open_dir (lab, node, err);
  cleanup_free char *dir = NULL;
  struct stat st;

  if (dirfd < 0)
    return labo_error_wrap (err, "preparing the clock of node %s", node);
  if (fstatat (dirfd, LABO_CLOCK_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG (st.st_mode))
    return 0;
  dir = labo_clock_dir (lab, node);
  /* "x1" said: libfaketime keeps the last rate it read when a line has
   * none (measured with 0.9.10), so every line says its rate */
  return write_at (dirfd, dir, "+0 x1\n", err);
}

char **
labo_clock_env (const char *file)
{
  char **env = xcalloc (LABO_CLOCK_N_ENV + 1, sizeof (*env));

  env[0] = xstrdup ("LD_PRELOAD=" LABO_FAKETIME_LIB);
  env[1] = xasprintf ("FAKETIME_TIMESTAMP_FILE=%s", file);
  env[2] = xasprintf ("FAKETIME_CACHE_DURATION=%d", LABO_CLOCK_CACHE_S);
  env[3] = xstrdup ("FAKETIME_DONT_FAKE_MONOTONIC=1");
  env[4] = xstrdup ("FAKETIME_FORCE_MONOTONIC_FIX=0");
  return env;
}
