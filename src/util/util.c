/* Helpers shared by every layer: see include/labo/util/util.h. */
#include "labo/util/util.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

void
labo_freep (void *p)
{
  free (*(void **) p);
}

void
labo_closep (int *fd)
{
  int saved = errno;
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
  errno = saved;
}

void
labo_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
  *f = NULL;
}

void
labo_say (const char *fmt, ...)
{
  va_list ap;
  char *text = NULL;
  int n;

  va_start (ap, fmt);
  n = vasprintf (&text, fmt, ap);
  va_end (ap);
  if (n < 0)
    {
      /* no memory for the line: the same text, in pieces */
      fputs ("labo: ", stderr);
      va_start (ap, fmt);
      vfprintf (stderr, fmt, ap);
      va_end (ap);
      fputc ('\n', stderr);
      return;
    }
  /* one call on the unbuffered stderr: one write */
  fprintf (stderr, "labo: %s\n", text);
  free (text);
}

/* Not through labo_say, which may allocate: out of memory, the least. */
static void __attribute__ ((noreturn))
oom (void)
{
  fputs ("labo: out of memory\n", stderr);
  abort ();
}

void *
xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
xcalloc (size_t n, size_t size)
{
  void *p = calloc (n ? n : 1, size ? size : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
xrealloc (void *p, size_t n)
{
  p = realloc (p, n ? n : 1);
  if (p == NULL)
    oom ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *r = strdup (s ? s : "");
  if (r == NULL)
    oom ();
  return r;
}

char *
xasprintf (const char *fmt, ...)
{
  va_list ap;
  char *s;
  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) < 0)
    oom ();
  va_end (ap);
  return s;
}

void *
labo_array_push (void *arr_p, size_t *n, size_t elem_size)
{
  char **arr = arr_p;
  /* grow by doubling: capacity is the next power of two >= n+1 */
  size_t cap = 1;
  while (cap < *n + 1)
    cap <<= 1;
  if (*n == 0 || (*n & (*n - 1)) == 0)
    *arr = xrealloc (*arr, cap * elem_size);
  memset (*arr + *n * elem_size, 0, elem_size);
  return *arr + (*n)++ * elem_size;
}

double
labo_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

size_t
labo_edit_distance (const char *a, const char *b)
{
  return labo_edit_distance_max (a, b, (size_t) -1 / 2);
}

/* Levenshtein's table, row by row, but only the cells within `max` of the
 * diagonal: a cell further off needs more than `max` edits. So it costs
 * O(max * (|a| + |b|)), not O(|a| * |b|), and it stops at the first row
 * whose every cell is past max, since the cells below only grow. */
size_t
labo_edit_distance_max (const char *a, const char *b, size_t max)
{
  size_t la = strlen (a), lb, far = max + 1;
  cleanup_free size_t *row = NULL;

  /* b may be long (a name from a hostile file): measure it only as far as
   * it matters; each character more than max beyond a's is one edit more */
  lb = strnlen (b, max >= (size_t) -1 - la - 1 ? (size_t) -1 : la + max + 1);
  if ((la > lb ? la - lb : lb - la) > max)
    return far;
  if (max > la + lb)
    max = la + lb;
  row = xmalloc ((lb + 1) * sizeof (size_t));
  for (size_t j = 0; j <= lb; j++)
    row[j] = j <= max ? j : far;
  for (size_t i = 1; i <= la; i++)
    {
      size_t lo = i > max ? i - max : 1, hi = i + max < lb ? i + max : lb;
      size_t diag = row[lo - 1], best_in_row;

      /* column 0 (i deletions), or the column before the band, out of reach */
      row[lo - 1] = lo == 1 && i <= max ? i : far;
      best_in_row = row[lo - 1];
      for (size_t j = lo; j <= hi; j++)
        {
          size_t up = row[j];
          size_t best = diag + (a[i - 1] != b[j - 1]);
          if (up + 1 < best)
            best = up + 1;
          if (row[j - 1] + 1 < best)
            best = row[j - 1] + 1;
          row[j] = best > far ? far : best;
          diag = up;
          if (row[j] < best_in_row)
            best_in_row = row[j];
        }
      if (hi < lb)
        row[hi + 1] = far; /* enters the band next row, from outside it */
      if (best_in_row > max)
        return far;
    }
  return row[lb] > max ? far : row[lb];
}

char *
labo_read_file (const char *path, size_t *len)
{
  return labo_read_file_max (path, SIZE_MAX - 1, len);
}

char *
labo_read_file_max (const char *path, size_t max, size_t *len)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  char *buf;
  size_t cap, used = 0, want = max < SIZE_MAX - 1 ? max + 1 : SIZE_MAX - 1;

  if (fd < 0)
    return NULL;
  if (fstat (fd, &st) < 0)
    return NULL;
  /* the size stat gives is a hint only (/proc files say 0) */
  cap = st.st_size > 0 && (uint64_t) st.st_size < want ? (size_t) st.st_size + 1 : 4096;
  buf = xmalloc (cap);
  while (used < want)
    {
      ssize_t r;
      if (used + 1 >= cap)
        buf = xrealloc (buf, cap *= 2);
      r = read (fd, buf + used, (cap - used - 1 < want - used ? cap - used - 1 : want - used));
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int saved = errno;
          free (buf);
          errno = saved;
          return NULL;
        }
      if (r == 0)
        break;
      used += (size_t) r;
    }
  buf[used] = '\0';
  if (len)
    *len = used;
  return buf;
}

int
labo_write_file (const char *path, const char *data, size_t len, int mode)
{
  cleanup_free char *tmp = xasprintf ("%s.tmp.%d", path, (int) getpid ());
  int fd;

  /* a file of its own, never opened through whatever stands at tmp (a
   * crashed writer's leftover, or a link): rename then replaces path's
   * entry itself, link or not */
  unlink (tmp);
  fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0)
    return -1;
  while (len > 0)
    {
      ssize_t w = write (fd, data, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        {
          int saved = errno;
          close (fd);
          unlink (tmp);
          errno = saved;
          return -1;
        }
      data += w;
      len -= (size_t) w;
    }
  if (close (fd) < 0 || rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      errno = saved;
      return -1;
    }
  return 0;
}

int
labo_mkdir_p (const char *path, int mode)
{
  char *p = xstrdup (path);
  int ret = 0;
  for (char *s = p + 1; *s && ret == 0; s++)
    if (*s == '/')
      {
        *s = '\0';
        if (mkdir (p, (mode_t) mode) < 0 && errno != EEXIST)
          ret = -1;
        *s = '/';
      }
  if (ret == 0 && mkdir (p, (mode_t) mode) < 0 && errno != EEXIST)
    ret = -1;
  free (p);
  return ret;
}

int
labo_duration_parse (const char *s, size_t len, long long *ms)
{
  static const struct
  {
    const char *unit;
    long long ms;
  } units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
  long long whole = 0, frac = 0, scale = 1;
  size_t i = 0, digits = 0;

  while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 9)
    whole = whole * 10 + (s[i++] - '0'), digits++;
  if (digits == 0 || (i < len && s[i] >= '0' && s[i] <= '9'))
    return -1;
  if (i < len && s[i] == '.')
    {
      size_t fd = 0;
      for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, fd++)
        if (fd < 6)
          frac = frac * 10 + (s[i] - '0'), scale *= 10;
      if (fd == 0)
        return -1;
    }
  if (i == len)
    {
      /* a bare number is ambiguous, but for zero */
      if (whole != 0 || frac != 0)
        return -1;
      *ms = 0;
      return 0;
    }
  for (size_t u = 0; u < sizeof (units) / sizeof (units[0]); u++)
    if (len - i == strlen (units[u].unit) && memcmp (s + i, units[u].unit, len - i) == 0)
      {
        long long v = whole * units[u].ms + frac * units[u].ms / scale;
        if (v > 24LL * 3600000)
          return -1;
        *ms = v;
        return 0;
      }
  return -1;
}

char *
labo_duration_format (long long ms, char *buf)
{
  if (ms % 60000 == 0 && ms >= 60000)
    snprintf (buf, 24, "%lldm", ms / 60000);
  else if (ms % 1000 == 0 && ms >= 1000)
    snprintf (buf, 24, "%llds", ms / 1000);
  else if (ms >= 1000 && ms % 100 == 0)
    snprintf (buf, 24, "%lld.%llds", ms / 1000, (ms % 1000) / 100);
  else
    snprintf (buf, 24, "%lldms", ms);
  return buf;
}

unsigned long long
labo_proc_start_ticks (pid_t pid)
{
  char path[64];
  cleanup_free char *stat = NULL;
  char *p;
  unsigned long long start = 0;

  snprintf (path, sizeof (path), "/proc/%d/stat", (int) pid);
  stat = labo_read_file (path, NULL);
  /* after the command name, which may hold spaces and parentheses */
  p = stat ? strrchr (stat, ')') : NULL;
  if (p == NULL)
    return 0;
  /* field 3 (state) is p+2; start time is field 22 */
  p += 2;
  for (int field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (p == NULL || sscanf (p, "%llu", &start) != 1)
    return 0;
  return start;
}

double
labo_proc_start_wall (pid_t pid)
{
  unsigned long long ticks = labo_proc_start_ticks (pid);
  struct timespec boot;

  if (ticks == 0)
    return 0;
  /* start ticks count from boot: now on the wall clock, minus how long
   * ago that was on the boot clock (btime in /proc/stat is whole seconds) */
  clock_gettime (CLOCK_BOOTTIME, &boot);
  return labo_wall ()
         - ((double) boot.tv_sec + (double) boot.tv_nsec / 1e9
            - (double) ticks / (double) sysconf (_SC_CLK_TCK));
}

char *
labo_iso_time (double wall, char *buf)
{
  time_t t = (time_t) wall;
  struct tm tm;
  int ms = (int) ((wall - (double) t) * 1000);
  size_t n;

  gmtime_r (&t, &tm);
  n = strftime (buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf + n, 32 - n, ".%03dZ", ms < 0 ? 0 : ms > 999 ? 999 : ms);
  return buf;
}

double
labo_wall (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

void
labo_child_reset_signals (void)
{
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  signal (SIGPIPE, SIG_DFL);
}

int
labo_signal_parse (const char *s)
{
  char *end;
  long n = strtol (s, &end, 10);

  if (*s && *end == '\0')
    return n > 0 && n < NSIG ? (int) n : -1;
  if (strncmp (s, "SIG", 3) == 0)
    s += 3;
  for (int i = 1; i < NSIG; i++)
    if (sigabbrev_np (i) && strcmp (sigabbrev_np (i), s) == 0)
      return i;
  return -1;
}
