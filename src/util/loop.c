/* The event loop: see include/labo/util/loop.h. */
#include "labo/util/loop.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "labo/util/util.h"

#define NOT_ARMED ((size_t) -1)
#define MAX_EVENTS 64

struct handler
{
  labo_fd_cb cb;   /* NULL: free */
  void *data;
  uint32_t gen;    /* bumped at every add: tells a reused fd from the old one */
};

struct labo_loop
{
  int epfd, timerfd, sigfd;
  sigset_t sigs, old_sigs;
  labo_signal_cb sig_cb;
  void *sig_data;
  struct handler *h; /* by fd */
  size_t n_h;
  struct labo_timer **heap;
  size_t n_heap, cap_heap;
  bool quit;
  int code;
  uint64_t wakeups;
  double armed_at; /* what the timerfd is set to; NAN: disarmed */
};

/* ---- timers: a binary heap on `at` ---- */

static void
heap_swap (struct labo_loop *l, size_t a, size_t b)
{
  struct labo_timer *t = l->heap[a];
  l->heap[a] = l->heap[b];
  l->heap[b] = t;
  l->heap[a]->slot = a;
  l->heap[b]->slot = b;
}

static void
heap_up (struct labo_loop *l, size_t i)
{
  while (i > 0 && l->heap[(i - 1) / 2]->at > l->heap[i]->at)
    {
      heap_swap (l, i, (i - 1) / 2);
      i = (i - 1) / 2;
    }
}

static void
heap_down (struct labo_loop *l, size_t i)
{
  for (;;)
    {
      size_t m = i, a = 2 * i + 1, b = 2 * i + 2;
      if (a < l->n_heap && l->heap[a]->at < l->heap[m]->at)
        m = a;
      if (b < l->n_heap && l->heap[b]->at < l->heap[m]->at)
        m = b;
      if (m == i)
        return;
      heap_swap (l, i, m);
      i = m;
    }
}

void
labo_timer_init (struct labo_timer *t, labo_timer_cb cb, void *data)
{
  t->at = 0;
  t->cb = cb;
  t->data = data;
  t->slot = NOT_ARMED;
}

bool
labo_timer_armed (const struct labo_timer *t)
{
  return t->slot != NOT_ARMED;
}

void
labo_timer_disarm (struct labo_loop *l, struct labo_timer *t)
{
  size_t i = t->slot;
  if (i == NOT_ARMED)
    return;
  t->slot = NOT_ARMED;
  l->n_heap--;
  if (i == l->n_heap)
    return;
  l->heap[i] = l->heap[l->n_heap];
  l->heap[i]->slot = i;
  heap_down (l, i);
  heap_up (l, i);
}

void
labo_timer_arm (struct labo_loop *l, struct labo_timer *t, double at)
{
  labo_timer_disarm (l, t);
  if (l->n_heap == l->cap_heap)
    {
      l->cap_heap = l->cap_heap ? l->cap_heap * 2 : 16;
      l->heap = xrealloc (l->heap, l->cap_heap * sizeof (*l->heap));
    }
  t->at = at;
  t->slot = l->n_heap;
  l->heap[l->n_heap++] = t;
  heap_up (l, t->slot);
}

/* Sets the timerfd to the earliest timer, only when that changed: a
 * round that armed nothing new costs no system call. */
static void
arm_timerfd (struct labo_loop *l)
{
  struct itimerspec its = { { 0, 0 }, { 0, 0 } };
  double at = l->n_heap ? l->heap[0]->at : NAN;

  if ((isnan (at) && isnan (l->armed_at)) || at == l->armed_at)
    return;
  if (!isnan (at))
    {
      /* 0 would disarm: a time in the past is at least 1 ns */
      if (at <= 0)
        at = 1e-9;
      its.it_value.tv_sec = (time_t) at;
      its.it_value.tv_nsec = (long) ((at - (double) its.it_value.tv_sec) * 1e9);
      if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
        its.it_value.tv_nsec = 1;
    }
  timerfd_settime (l->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
  l->armed_at = at;
}

static void
run_timers (struct labo_loop *l)
{
  uint64_t ticks;
  double now = labo_now ();

  while (read (l->timerfd, &ticks, sizeof (ticks)) > 0)
    ;
  /* the timerfd fired: whatever it is set to now, it is spent */
  l->armed_at = NAN;
  /* only those due now: one a callback arms for "now" runs next round,
   * so a timer that re-arms itself at once cannot starve descriptors */
  while (l->n_heap && l->heap[0]->at <= now && !l->quit)
    {
      struct labo_timer *t = l->heap[0];
      labo_timer_disarm (l, t);
      t->cb (l, t->data);
    }
}

/* ---- descriptors ---- */

static uint64_t
key (int fd, uint32_t gen)
{
  return ((uint64_t) gen << 32) | (uint32_t) fd;
}

int
labo_loop_add (struct labo_loop *l, int fd, uint32_t events, labo_fd_cb cb, void *data,
               labo_error_t *err)
{
  struct epoll_event ev = { .events = events };

  if (fd < 0)
    return labo_error_make (err, EBADF, "watching descriptor %d", fd);
  if ((size_t) fd >= l->n_h)
    {
      size_t n = (size_t) fd + 16;
      l->h = xrealloc (l->h, n * sizeof (*l->h));
      memset (l->h + l->n_h, 0, (n - l->n_h) * sizeof (*l->h));
      l->n_h = n;
    }
  l->h[fd].gen++;
  ev.data.u64 = key (fd, l->h[fd].gen);
  if (epoll_ctl (l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    return labo_error_errno (err, "watching descriptor %d", fd);
  l->h[fd].cb = cb;
  l->h[fd].data = data;
  return 0;
}

int
labo_loop_mod (struct labo_loop *l, int fd, uint32_t events, labo_error_t *err)
{
  struct epoll_event ev = { .events = events };

  if (fd < 0 || (size_t) fd >= l->n_h || l->h[fd].cb == NULL)
    return labo_error_make (err, EBADF, "changing the watch of descriptor %d", fd);
  ev.data.u64 = key (fd, l->h[fd].gen);
  if (epoll_ctl (l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
    return labo_error_errno (err, "changing the watch of descriptor %d", fd);
  return 0;
}

void
labo_loop_del (struct labo_loop *l, int fd)
{
  if (fd < 0 || (size_t) fd >= l->n_h || l->h[fd].cb == NULL)
    return;
  epoll_ctl (l->epfd, EPOLL_CTL_DEL, fd, NULL);
  l->h[fd].cb = NULL;
  l->h[fd].data = NULL;
}

bool
labo_loop_watches (const struct labo_loop *l, int fd)
{
  return fd >= 0 && (size_t) fd < l->n_h && l->h[fd].cb != NULL;
}

/* ---- the loop ---- */

int
labo_loop_new (struct labo_loop **loop, const int *sigs, labo_signal_cb cb, void *data,
               labo_error_t *err)
{
  struct labo_loop *l = xcalloc (1, sizeof (*l));
  struct epoll_event ev = { .events = EPOLLIN };

  l->epfd = l->timerfd = l->sigfd = -1;
  l->armed_at = NAN;
  sigemptyset (&l->sigs);
  for (const int *s = sigs; s && *s; s++)
    sigaddset (&l->sigs, *s);
  l->sig_cb = cb;
  l->sig_data = data;
  if (sigprocmask (SIG_BLOCK, &l->sigs, &l->old_sigs) < 0)
    {
      labo_error_errno (err, "blocking signals");
      free (l);
      return -1;
    }
  l->epfd = epoll_create1 (EPOLL_CLOEXEC);
  l->timerfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  l->sigfd = signalfd (-1, &l->sigs, SFD_NONBLOCK | SFD_CLOEXEC);
  if (l->epfd < 0 || l->timerfd < 0 || l->sigfd < 0)
    {
      labo_error_errno (err, "creating the event loop");
      labo_loop_free (l);
      return -1;
    }
  /* the two own descriptors are told apart by data.u64 = -1, -2 */
  ev.data.u64 = (uint64_t) -1;
  if (epoll_ctl (l->epfd, EPOLL_CTL_ADD, l->timerfd, &ev) < 0)
    goto fail;
  ev.data.u64 = (uint64_t) -2;
  if (epoll_ctl (l->epfd, EPOLL_CTL_ADD, l->sigfd, &ev) < 0)
    goto fail;
  *loop = l;
  return 0;
fail:
  labo_error_errno (err, "creating the event loop");
  labo_loop_free (l);
  return -1;
}

void
labo_loop_free (struct labo_loop *l)
{
  if (l == NULL)
    return;
  for (size_t i = 0; i < l->n_heap; i++)
    l->heap[i]->slot = NOT_ARMED;
  if (l->epfd >= 0)
    close (l->epfd);
  if (l->timerfd >= 0)
    close (l->timerfd);
  if (l->sigfd >= 0)
    close (l->sigfd);
  sigprocmask (SIG_SETMASK, &l->old_sigs, NULL);
  free (l->h);
  free (l->heap);
  free (l);
}

void
labo_loop_quit (struct labo_loop *l, int code)
{
  l->quit = true;
  l->code = code;
}

uint64_t
labo_loop_wakeups (const struct labo_loop *l)
{
  return l->wakeups;
}

static void
read_signals (struct labo_loop *l)
{
  struct signalfd_siginfo si;

  while (read (l->sigfd, &si, sizeof (si)) == (ssize_t) sizeof (si))
    if (l->sig_cb)
      l->sig_cb (l, &si, l->sig_data);
}

int
labo_loop_run (struct labo_loop *l, labo_error_t *err)
{
  struct epoll_event evs[MAX_EVENTS];

  l->quit = false;
  while (!l->quit)
    {
      int n;

      arm_timerfd (l);
      n = epoll_wait (l->epfd, evs, MAX_EVENTS, -1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return labo_error_errno (err, "waiting for events");
      l->wakeups++;
      for (int i = 0; i < n && !l->quit; i++)
        {
          uint64_t k = evs[i].data.u64;
          int fd = (int) (uint32_t) k;
          uint32_t gen = (uint32_t) (k >> 32);

          if (k == (uint64_t) -1)
            run_timers (l);
          else if (k == (uint64_t) -2)
            read_signals (l);
          else if ((size_t) fd < l->n_h && l->h[fd].cb && l->h[fd].gen == gen)
            l->h[fd].cb (l, fd, evs[i].events, l->h[fd].data);
        }
    }
  return l->code;
}
