/* The supervisor's one event loop: epoll over descriptors, one timerfd
 * armed at the earliest of any number of timers (a binary heap), and a
 * signalfd. Nothing in it sleeps or polls: the process wakes only when a
 * descriptor is ready, a timer is due, or a signal arrives, and each wake-up
 * is counted (labo_loop_wakeups) so the claim can be checked.
 *
 * Contract:
 *   - callbacks run one at a time, on the thread that runs the loop;
 *   - a callback may add, change or remove any descriptor or timer,
 *     itself included: a descriptor removed during a round of events is not
 *     called again in that round, and a fd number reused within it by a new
 *     registration does not receive the old one's events;
 *   - timers are absolute times on labo_now()'s clock (CLOCK_MONOTONIC);
 *     one due in the past runs on the next round;
 *   - the loop owns none of the descriptors it watches. */
#ifndef LABO_LOOP_H
#define LABO_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/signalfd.h>

#include "labo/util/error.h"

struct labo_loop;

typedef void (*labo_fd_cb) (struct labo_loop *loop, int fd, uint32_t events, void *data);
typedef void (*labo_timer_cb) (struct labo_loop *loop, void *data);
typedef void (*labo_signal_cb) (struct labo_loop *loop, const struct signalfd_siginfo *si,
                                void *data);

struct labo_timer
{
  double at;         /* when it is due (labo_now seconds) */
  labo_timer_cb cb;
  void *data;
  size_t slot;       /* its place in the heap, (size_t)-1 when not armed */
};

/* Blocks `sigs` (0-terminated) for the calling thread and delivers them
 * through a signalfd to cb. */
int labo_loop_new (struct labo_loop **loop, const int *sigs, labo_signal_cb cb, void *data,
                   labo_error_t *err);
/* Unblocks the signals again. Armed timers are simply forgotten. */
void labo_loop_free (struct labo_loop *loop);

/* Watches fd for `events` (EPOLLIN, EPOLLOUT...). One registration per fd. */
int labo_loop_add (struct labo_loop *loop, int fd, uint32_t events, labo_fd_cb cb, void *data,
                   labo_error_t *err);
int labo_loop_mod (struct labo_loop *loop, int fd, uint32_t events, labo_error_t *err);
/* Stops watching fd (before it is closed); unknown fds are ignored. */
void labo_loop_del (struct labo_loop *loop, int fd);
bool labo_loop_watches (const struct labo_loop *loop, int fd);

void labo_timer_init (struct labo_timer *t, labo_timer_cb cb, void *data);
/* (Re)arms t for time `at`. */
void labo_timer_arm (struct labo_loop *loop, struct labo_timer *t, double at);
void labo_timer_disarm (struct labo_loop *loop, struct labo_timer *t);
bool labo_timer_armed (const struct labo_timer *t);

/* Runs until labo_loop_quit; returns its code, or -1 if epoll fails. */
int labo_loop_run (struct labo_loop *loop, labo_error_t *err);
void labo_loop_quit (struct labo_loop *loop, int code);

/* Times the loop woke up (epoll_wait returned), since it was made. */
uint64_t labo_loop_wakeups (const struct labo_loop *loop);

#endif
