/* Unit tests for the event loop (src/super/loop.c): timers in order,
 * descriptors, removal from inside a callback, signals through the
 * signalfd, and no wake-up without a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "labo/util/loop.h"
#include "labo/util/util.h"

struct rec
{
  struct labo_loop *loop;
  char order[32];
  size_t n;
  int quit_after;
};

static void
note (struct rec *r, char c)
{
  r->order[r->n++] = c;
  r->order[r->n] = '\0';
  if ((int) r->n == r->quit_after)
    labo_loop_quit (r->loop, 7);
}

struct tagged
{
  struct rec *r;
  char c;
};

static void
on_timer (struct labo_loop *loop, void *data)
{
  struct tagged *t = data;
  note (t->r, t->c);
}

static void
timers_fire_in_time_order (void **state)
{
  struct labo_loop *loop = NULL;
  labo_error_t err = NULL;
  struct rec r = { .quit_after = 4 };
  struct tagged ta = { &r, 'a' }, tb = { &r, 'b' }, tc = { &r, 'c' }, td = { &r, 'd' },
                tx = { &r, 'x' };
  struct labo_timer a, b, c, d, x;
  double now = labo_now ();

  assert_int_equal (labo_loop_new (&loop, NULL, NULL, NULL, &err), 0);
  r.loop = loop;
  labo_timer_init (&a, on_timer, &ta);
  labo_timer_init (&b, on_timer, &tb);
  labo_timer_init (&c, on_timer, &tc);
  labo_timer_init (&d, on_timer, &td);
  labo_timer_init (&x, on_timer, &tx);
  labo_timer_arm (loop, &c, now + 0.030);
  labo_timer_arm (loop, &a, now + 0.010);
  labo_timer_arm (loop, &x, now + 0.015);
  labo_timer_arm (loop, &d, now - 1); /* in the past: next round */
  labo_timer_arm (loop, &b, now + 0.020);
  labo_timer_disarm (loop, &x); /* never fires */
  assert_false (labo_timer_armed (&x));
  assert_int_equal (labo_loop_run (loop, &err), 7);
  assert_string_equal (r.order, "dabc");
  assert_true (labo_now () - now >= 0.029);
  labo_loop_free (loop);
}

struct pipe_case
{
  struct rec r;
  int fds[2], other[2];
};

static void
on_readable (struct labo_loop *loop, int fd, uint32_t events, void *data)
{
  struct pipe_case *p = data;
  char b;
  assert_true (events & EPOLLIN);
  assert_int_equal (read (fd, &b, 1), 1);
  note (&p->r, b);
  /* removing the other, also ready in this round: it must not be called */
  labo_loop_del (loop, p->other[0]);
}

static void
descriptors_and_removal_inside_a_callback (void **state)
{
  struct labo_loop *loop = NULL;
  labo_error_t err = NULL;
  struct pipe_case p = { .r = { .quit_after = 1 } };
  struct labo_timer stop;
  struct tagged ts = { &p.r, 'T' };

  assert_int_equal (pipe (p.fds), 0);
  assert_int_equal (pipe (p.other), 0);
  assert_int_equal (labo_loop_new (&loop, NULL, NULL, NULL, &err), 0);
  p.r.loop = loop;
  assert_int_equal (labo_loop_add (loop, p.fds[0], EPOLLIN, on_readable, &p, &err), 0);
  assert_int_equal (labo_loop_add (loop, p.other[0], EPOLLIN, on_readable, &p, &err), 0);
  /* both ready before the loop runs: whichever comes first removes the
   * other; then a timer ends the test */
  assert_int_equal (write (p.fds[1], "p", 1), 1);
  assert_int_equal (write (p.other[1], "q", 1), 1);
  p.r.quit_after = 2;
  labo_timer_init (&stop, on_timer, &ts);
  labo_timer_arm (loop, &stop, labo_now () + 0.05);
  assert_int_equal (labo_loop_run (loop, &err), 7);
  assert_int_equal (strlen (p.r.order), 2);
  assert_true (p.r.order[1] == 'T');
  assert_true (p.r.order[0] == 'p' || p.r.order[0] == 'q');
  labo_loop_free (loop);
  close (p.fds[0]);
  close (p.fds[1]);
  close (p.other[0]);
  close (p.other[1]);
}

static void
on_signal (struct labo_loop *loop, const struct signalfd_siginfo *si, void *data)
{
  struct rec *r = data;
  note (r, si->ssi_signo == SIGUSR1 ? 'U' : '?');
}

static void
signals_arrive_through_the_loop (void **state)
{
  struct labo_loop *loop = NULL;
  labo_error_t err = NULL;
  struct rec r = { .quit_after = 1 };
  static const int sigs[] = { SIGUSR1, 0 };

  assert_int_equal (labo_loop_new (&loop, sigs, on_signal, &r, &err), 0);
  r.loop = loop;
  raise (SIGUSR1); /* blocked: pending until the loop reads it */
  assert_int_equal (labo_loop_run (loop, &err), 7);
  assert_string_equal (r.order, "U");
  labo_loop_free (loop); /* unblocks it again, nothing pending */
}

static void
no_wakeup_without_a_reason (void **state)
{
  struct labo_loop *loop = NULL;
  labo_error_t err = NULL;
  struct rec r = { .quit_after = 1 };
  struct tagged t = { &r, 'z' };
  struct labo_timer tm;

  assert_int_equal (labo_loop_new (&loop, NULL, NULL, NULL, &err), 0);
  r.loop = loop;
  labo_timer_init (&tm, on_timer, &t);
  labo_timer_arm (loop, &tm, labo_now () + 0.2);
  assert_int_equal (labo_loop_run (loop, &err), 7);
  /* 200 ms idle with one timer: one wake-up, for it */
  assert_int_equal (labo_loop_wakeups (loop), 1);
  labo_loop_free (loop);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (timers_fire_in_time_order),
    cmocka_unit_test (descriptors_and_removal_inside_a_callback),
    cmocka_unit_test (signals_arrive_through_the_loop),
    cmocka_unit_test (no_wakeup_without_a_reason),
  };
  return cmocka_run_group_tests_name ("loop", tests, NULL, NULL);
}
