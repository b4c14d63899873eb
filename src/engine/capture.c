/* Where a host's capture listens, and captures run in threads for the
 * scenario player (include/labo/engine/capture.h). */
#include "labo/engine/capture.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/engine/links.h"
#include "labo/model/plan.h"
#include "labo/util/fs.h"
#include "labo/util/util.h"

/* The host's end of link l (host h is its a or, host-to-host, its b). */
static const char *
host_ifname (const struct labo_link *k, size_t h)
{
  return k->a.host == h ? k->a.ifname : k->b.ifname;
}

static const char *
far_end (const struct labo_lab *lab, const struct labo_link *k, size_t h)
{
  if (k->kind == LABO_LINK_SEGMENT)
    return lab->segments[k->segment].name;
  return lab->hosts[k->a.host == h ? k->b.host : k->a.host].name;
}

bool
labo_capture_is_segment (const struct labo_lab *lab, const char *host, const char *word)
{
  long h = labo_lab_find_host (lab, host);

  if (strcmp (word, "any") == 0)
    return true;
  for (size_t l = 0; h >= 0 && l < lab->n_links; l++)
    {
      const struct labo_link *k = &lab->links[l];
      if ((k->a.host == (size_t) h || (k->kind == LABO_LINK_P2P && k->b.host == (size_t) h))
          && strcmp (far_end (lab, k, (size_t) h), word) == 0)
        return true;
    }
  return false;
}

int
labo_capture_where (const struct labo_lab *lab, const char *host, const char *segment,
                    struct labo_capture_where *w, labo_error_t *err)
{
  long h = labo_lab_find_host (lab, host);
  size_t l;

  memset (w, 0, sizeof (*w));
  if (h < 0)
    return labo_error_make (err, ENOENT, "lab %s has no host named %s", lab->name, host);
  if (segment && strcmp (segment, "any") == 0)
    snprintf (w->ifname, sizeof (w->ifname), "any");
  else if (labo_link_lookup (lab, host, segment, &l, err) < 0)
    {
      if (segment == NULL && (*err)->status == EINVAL)
        {
          /* link's words are "name the one to set": capture's own, listing them */
          cleanup_free char *list = xstrdup ("");
          size_t n = 0;
          for (size_t i = 0; i < lab->n_links; i++)
            {
              const struct labo_link *k = &lab->links[i];
              char *t;
              if (k->a.host != (size_t) h && !(k->kind == LABO_LINK_P2P && k->b.host == (size_t) h))
                continue;
              t = xasprintf ("%s%s%s", list, n++ ? ", " : "", far_end (lab, k, (size_t) h));
              free (list);
              list = t;
            }
          labo_error_release (err);
          labo_error_make (err, 0, "host %s has %zu links (to %s): name one, or any (every "
                                   "interface of the host)", host, n, list);
          (*err)->status = EINVAL;
        }
      return -1;
    }
  else
    {
      snprintf (w->ifname, sizeof (w->ifname), "%s", host_ifname (&lab->links[l], (size_t) h));
      segment = far_end (lab, &lab->links[l], (size_t) h);
    }
  w->netns = labo_host_netns_name (lab->name, host);
  w->what = xasprintf ("%s@%s", host, segment);
  return 0;
}

void
labo_capture_where_release (struct labo_capture_where *w)
{
  free (w->netns);
  free (w->what);
  w->netns = w->what = NULL;
}

/* ---- a capture in a thread ---- */

struct labo_capture_job
{
  struct labo_capture *c;
  char *what;
  int out_fd, stop_fd;
  long long duration_ms;
  pthread_t thread;
  /* the thread's result */
  int end;
  struct labo_capture_stats st;
  labo_error_t err;
};

static void *
job_run (void *arg)
{
  struct labo_capture_job *j = arg;
  sigset_t all;

  /* signals are the player's (sigtimedwait); a FIFO's reader gone is
   * EPIPE here, not SIGPIPE */
  sigfillset (&all);
  pthread_sigmask (SIG_BLOCK, &all, NULL);
  j->end = labo_capture_run (j->c, j->out_fd, 0, j->duration_ms, j->stop_fd, &j->st, &j->err);
  return NULL;
}

static void
job_free (struct labo_capture_job *j)
{
  labo_capture_close (j->c);
  if (j->out_fd >= 0)
    close (j->out_fd);
  if (j->stop_fd >= 0)
    close (j->stop_fd);
  labo_error_release (&j->err);
  free (j->what);
  free (j);
}

struct labo_capture_job *
labo_capture_start (const struct labo_lab *lab, const char *host, const char *segment,
                    const char *filter, const char *path, long long duration_ms,
                    labo_error_t *err)
{
  struct labo_capture_where w;
  struct labo_capture_job *j;
  int r;

  if (labo_capture_where (lab, host, segment, &w, err) < 0)
    return NULL;
  j = xcalloc (1, sizeof (*j));
  j->out_fd = j->stop_fd = -1;
  j->duration_ms = duration_ms;
  j->what = xstrdup (w.what);
  {
    struct stat sb;
    struct labo_capture_opts o = { .netns = w.netns, .ifname = w.ifname, .filter = filter,
                                   .promisc = true, .what = w.what };
    /* a FIFO has a reader waiting for each packet; a file takes blocks */
    o.immediate = lstat (path, &sb) == 0 && S_ISFIFO (sb.st_mode);
    j->c = labo_capture_open (&o, err);
  }
  labo_capture_where_release (&w);
  if (j->c == NULL || (j->out_fd = labo_fs_open_output (path, "a capture", err)) < 0)
    {
      job_free (j);
      return NULL;
    }
  if ((j->stop_fd = eventfd (0, EFD_CLOEXEC)) < 0)
    {
      labo_error_errno (err, "capture %s: eventfd", j->what);
      job_free (j);
      return NULL;
    }
  if ((r = pthread_create (&j->thread, NULL, job_run, j)) != 0)
    {
      labo_error_make (err, r, "capture %s: starting its thread", j->what);
      job_free (j);
      return NULL;
    }
  return j;
}

const char *
labo_capture_job_what (const struct labo_capture_job *j)
{
  return j->what;
}

int
labo_capture_finish (struct labo_capture_job *j, struct labo_capture_stats *st,
                     labo_error_t *err)
{
  uint64_t one = 1;
  int end;

  if (write (j->stop_fd, &one, sizeof (one)) < 0)
    abort (); /* an eventfd of our own takes a write: only a bug fails it */
  pthread_join (j->thread, NULL);
  *st = j->st;
  end = j->end;
  if (end < 0)
    {
      *err = j->err;
      j->err = NULL;
    }
  job_free (j);
  return end;
}
