/* The check's client (include/labo/zk/check.h): one libzookeeper-mt session a
 * node, a thread pacing the writes, and the end's sync and read of every
 * node. What it records goes to check-report.c.
 *
 * Locking: c->mu guards the write records, the writers' counters and
 * states; the client's completion threads take it to record an answer.
 * It is never held across a call into the client that may wait for one
 * of those threads (zookeeper_close, the synchronous calls). */
#include "labo/zk/check.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
/* the client's synchronous calls are declared for its threaded build */
#define THREADED 1
#include <zookeeper/zookeeper.h>

#include "check-internal.h"
#include "labo/check/plot.h"
#include "labo/net/netns.h"
#include "labo/model/plan.h"
#include "labo/model/state.h"
#include "labo/util/rng.h"
#include "labo/util/util.h"
#include "labo/zk/zk.h"

#define CONNECT_TIMEOUT_S 15.0
/* labo_zk_serves's session: long enough for a server that just joined to
 * sync, short enough that a dead one is told at once. */
#define SERVES_SESSION_MS 4000

/* ---- waiting on a condition variable, against the monotonic clock ---- */

/* Condition variables of the check wait on the monotonic clock, as every
 * deadline here is (labo_now). */
static void
cond_init (pthread_cond_t *cv)
{
  pthread_condattr_t a;

  pthread_condattr_init (&a);
  pthread_condattr_setclock (&a, CLOCK_MONOTONIC);
  pthread_cond_init (cv, &a);
  pthread_condattr_destroy (&a);
}

/* One wait on cv (mu held) until a signal or the deadline; at most 0.2 s,
 * so that a change nobody signals is seen soon too. */
static void
cond_wait_until (pthread_cond_t *cv, pthread_mutex_t *mu, double deadline)
{
  double t = labo_now () + fmax (0.0, fmin (deadline - labo_now (), 0.2));
  struct timespec ts = { (time_t) t, (long) ((t - floor (t)) * 1e9) };

  pthread_cond_timedwait (cv, mu, &ts);
}

/* ---- the client's callbacks (its completion thread) ---- */

static void
watcher (zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
  struct writer *w = ctx;

  if (type != ZOO_SESSION_EVENT || w == NULL)
    return;
  if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE)
    atomic_store (&w->expired, true);
  pthread_mutex_lock (&w->c->mu);
  pthread_cond_broadcast (&w->c->cv);
  pthread_mutex_unlock (&w->c->mu);
}

/* The answer to write data (its index in c->rec, plus one). */
static void
created (int rc, const char *value, const void *data)
{
  struct writer *w;
  struct labo_check *c;
  size_t i;
  struct cw *rec;

  /* data is the writer and the index, packed by send_write */
  w = ((struct writer *const *) data)[0];
  i = (size_t) ((const uintptr_t *) data)[1];
  free ((void *) data);
  c = w->c;
  pthread_mutex_lock (&c->mu);
  rec = &c->rec[i];
  rec->t1 = labo_now () - c->t0;
  rec->rc = rc;
  if (rc == ZOK)
    {
      const char *slash = value ? strrchr (value, '/') : NULL;
      rec->state = CW_ACKED;
      rec->name = xstrdup (slash ? slash + 1 : value ? value : "");
    }
  else if (rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED
           || rc == ZCLOSING || rc == ZSESSIONMOVED || rc == ZINVALIDSTATE)
    rec->state = CW_INDETERMINATE;
  else
    rec->state = CW_FAILED;
  if (w->outstanding > 0)
    w->outstanding--;
  pthread_cond_broadcast (&c->cv);
  pthread_mutex_unlock (&c->mu);
}

/* ---- sessions ---- */

/* "ADDR:PORT" where labo_node_reach says. */
static void
node_endpoint (const struct labo_node_reach *r, char *buf, size_t len)
{
  char a[16];
  snprintf (buf, len, "%s:%u", labo_ipv4_format (r->addr, a), (unsigned) r->port);
}

/* A client session from inside network namespace netns_fd (-1: this
 * thread's own): the client's threads, made by zookeeper_init, are born in
 * this thread's network namespace, and make their sockets there. */
static zhandle_t *
client_in (int netns_fd, const char *endpoint, watcher_fn fn, int session_ms, void *ctx,
           labo_error_t *err)
{
  cleanup_close int self = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  zhandle_t *zh;

  if (netns_fd < 0)
    {
      zh = zookeeper_init (endpoint, fn, session_ms, NULL, ctx, 0);
      if (zh == NULL)
        labo_error_errno (err, "starting a ZooKeeper client for %s", endpoint);
      return zh;
    }
  if (self < 0)
    {
      labo_error_errno (err, "opening this thread's network namespace");
      return NULL;
    }
  if (setns (netns_fd, CLONE_NEWNET) < 0)
    {
      labo_error_errno (err, "entering a host's network namespace for %s", endpoint);
      return NULL;
    }
  zh = zookeeper_init (endpoint, fn, session_ms, NULL, ctx, 0);
  if (setns (self, CLONE_NEWNET) < 0)
    abort (); /* back where this thread was: cannot fail for an fd we opened there */
  if (zh == NULL)
    labo_error_errno (err, "starting a ZooKeeper client for %s", endpoint);
  return zh;
}

static int
writer_connect (struct writer *w, labo_error_t *err)
{
  struct labo_node_reach r;

  labo_node_reach (w->c->lab, w->node, &r);
  if (r.in_container && w->c->o.endpoints == NULL)
    {
      /* the node's own namespace: a new one each time its container
       * restarts, so taken again for each session */
      if (w->netns_fd >= 0)
        close (w->netns_fd);
      w->netns_fd = labo_node_reach_netns (w->c->lab, w->node, &r,
                                           labo_node_pid (w->c->lab, w->node), err);
      if (w->netns_fd < 0)
        return -1;
    }
  atomic_store (&w->expired, false);
  w->zh = client_in (w->netns_fd, w->endpoint, watcher, w->c->o.session_ms, w, err);
  if (w->zh == NULL)
    return labo_error_wrap (err, "node %s", w->node->name);
  w->rzh = client_in (w->netns_fd, w->endpoint, watcher, w->c->o.session_ms, w, err);
  if (w->rzh == NULL)
    {
      zookeeper_close (w->zh);
      w->zh = NULL;
      return labo_error_wrap (err, "node %s", w->node->name);
    }
  w->session++;
  return 0;
}

static void
writer_close (struct writer *w)
{
  if (w->zh)
    zookeeper_close (w->zh);
  if (w->rzh)
    zookeeper_close (w->rzh);
  w->zh = w->rzh = NULL;
}

static bool
both_connected (const struct writer *w)
{
  return check_connected (w) && check_reads_connected (w);
}

/* Waits (on c->cv) until pred holds of every writer, or the deadline. */
static bool
wait_all (struct labo_check *c, bool (*pred) (const struct writer *), double deadline)
{
  bool all = false;

  pthread_mutex_lock (&c->mu);
  for (;;)
    {
      all = true;
      for (size_t i = 0; i < c->n_w; i++)
        all &= pred (&c->w[i]);
      if (all || labo_now () >= deadline)
        break;
      cond_wait_until (&c->cv, &c->mu, deadline);
    }
  pthread_mutex_unlock (&c->mu);
  return all;
}

/* ---- the writes ---- */

static struct cw *
record (struct labo_check *c, struct writer *w, long tick, enum cw_state state, size_t *index)
{
  struct cw *r;

  if (c->n_rec == c->cap_rec)
    {
      c->cap_rec = c->cap_rec ? 2 * c->cap_rec : 1024;
      c->rec = xrealloc (c->rec, c->cap_rec * sizeof (*c->rec));
    }
  *index = c->n_rec;
  r = &c->rec[c->n_rec++];
  *r = (struct cw){ .writer = w->index, .session = w->session, .n = w->next_n++,
                    .tick = tick, .t0 = labo_now () - c->t0, .state = state };
  return r;
}

static void
send_write (struct labo_check *c, struct writer *w, long tick)
{
  size_t backlog = (size_t) (2 * c->o.rate), i;
  cleanup_free char *data = NULL;
  uintptr_t *cookie;
  struct cw *r;
  uint64_t n;
  uint32_t session;
  int rc;

  pthread_mutex_lock (&c->mu);
  if (!check_connected (w) || w->outstanding >= backlog)
    {
      record (c, w, tick, CW_REFUSED, &i);
      pthread_mutex_unlock (&c->mu);
      return;
    }
  r = record (c, w, tick, CW_PENDING, &i);
  n = r->n;
  session = r->session;
  w->outstanding++;
  pthread_mutex_unlock (&c->mu);

  data = check_data (w->index, session, n);
  cookie = xcalloc (2, sizeof (uintptr_t));
  cookie[0] = (uintptr_t) w;
  cookie[1] = (uintptr_t) i;
  rc = zoo_acreate (w->zh, w->prefix, data, (int) strlen (data), &ZOO_OPEN_ACL_UNSAFE,
                    ZOO_SEQUENCE, created, cookie);
  if (rc != ZOK)
    {
      /* never queued: the completion will not run */
      free (cookie);
      pthread_mutex_lock (&c->mu);
      c->rec[i].state = rc == ZINVALIDSTATE || rc == ZCONNECTIONLOSS ? CW_REFUSED : CW_FAILED;
      c->rec[i].rc = rc;
      c->rec[i].t1 = labo_now () - c->t0;
      w->outstanding--;
      pthread_mutex_unlock (&c->mu);
    }
}

/* Replaces the sessions that expired (a server cut off long enough), so
 * that each writer keeps its node. */
static void
renew_expired (struct labo_check *c)
{
  for (size_t i = 0; i < c->n_w; i++)
    {
      struct writer *w = &c->w[i];
      labo_error_t err = NULL;
      if (!atomic_load (&w->expired))
        continue;
      writer_close (w);
      if (writer_connect (w, &err) < 0)
        {
          if (c->log)
            fprintf (c->log, "labo check: %s\n", err->msg);
          labo_error_release (&err);
        }
    }
}

/* The live counters (LABO_CHECK_LIVE_FILE), from the records. */
static void
write_live (struct labo_check *c)
{
  enum { S = LABO_CHECK_LIVE_SECONDS };
  long now_s = c->ticks / c->o.rate, first_s = now_s - S + 1;
  json_t *nodes = json_array ();
  size_t n = c->n_w;
  cleanup_free long *tot = xcalloc (n * 4, sizeof (long));
  cleanup_free int *sent = xcalloc (n * S, sizeof (int));
  cleanup_free int *acked = xcalloc (n * S, sizeof (int));
  cleanup_free int *pending = xcalloc (n * S, sizeof (int));
  cleanup_free char *dir = labo_state_dir (c->lab->name);
  cleanup_free char *path = NULL, *text = NULL;
  json_t *o;

  pthread_mutex_lock (&c->mu);
  for (size_t i = 0; i < c->n_rec; i++)
    {
      const struct cw *r = &c->rec[i];
      long sec = r->tick / c->o.rate;
      if (r->writer >= n)
        continue;
      if (r->state == CW_ACKED)
        tot[r->writer * 4]++;
      else if (r->state == CW_REFUSED)
        tot[r->writer * 4 + 1]++;
      else if (r->state == CW_INDETERMINATE)
        tot[r->writer * 4 + 2]++;
      else if (r->state == CW_FAILED)
        tot[r->writer * 4 + 3]++;
      if (sec < first_s || sec > now_s)
        continue;
      sent[r->writer * S + (sec - first_s)]++;
      acked[r->writer * S + (sec - first_s)] += r->state == CW_ACKED;
      pending[r->writer * S + (sec - first_s)] += r->state == CW_PENDING;
    }
  pthread_mutex_unlock (&c->mu);
  for (size_t w = 0; w < n; w++)
    {
      json_t *secs = json_array ();
      for (long k = first_s < 0 ? -first_s : 0; k < S; k++)
        {
          size_t at = w * S + (size_t) k;
          json_array_append_new (secs, json_string (pending[at] || !sent[at] ? "wait"
                                                    : acked[at] == sent[at] ? "ok"
                                                    : acked[at] == 0 ? "none" : "some"));
        }
      json_array_append_new (nodes, json_pack ("{s:s, s:I, s:I, s:I, s:I, s:o}", "name",
                                               c->w[w].node->name, "acked",
                                               (json_int_t) tot[w * 4], "refused",
                                               (json_int_t) tot[w * 4 + 1], "indeterminate",
                                               (json_int_t) tot[w * 4 + 2], "failed",
                                               (json_int_t) tot[w * 4 + 3], "seconds", secs));
    }
  o = json_pack ("{s:i, s:f, s:f, s:i, s:o}", "pid", (int) getpid (), "wall", labo_wall (),
                 "elapsed", labo_now () - c->t0, "rate", c->o.rate, "nodes", nodes);
  text = json_dumps (o, JSON_COMPACT);
  json_decref (o);
  path = xasprintf ("%s/%s", dir, LABO_CHECK_LIVE_FILE);
  /* best effort: the check's own result does not depend on it */
  if (text)
    labo_write_file (path, text, strlen (text), 0600);
}

static void
remove_live (struct labo_check *c)
{
  cleanup_free char *dir = labo_state_dir (c->lab->name);
  cleanup_free char *path = xasprintf ("%s/%s", dir, LABO_CHECK_LIVE_FILE);
  unlink (path);
}

/* The order of the writers within a tick, and when each writes: at a
 * uniform offset within the tick, drawn from the seed (Jepsen's stagger),
 * so that the writes through the nodes do not arrive in lockstep, and the
 * same seed writes in the same order at the same offsets again. */
struct slot
{
  size_t writer;
  long offset_ns;
};

static int
cmp_slot (const void *a, const void *b)
{
  long x = ((const struct slot *) a)->offset_ns, y = ((const struct slot *) b)->offset_ns;
  return (x > y) - (x < y);
}

static void
sleep_until (const struct timespec *t)
{
  while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL) == EINTR)
    ;
}

static struct timespec
plus_ns (struct timespec t, long ns)
{
  t.tv_nsec += ns;
  t.tv_sec += t.tv_nsec / 1000000000L;
  t.tv_nsec %= 1000000000L;
  return t;
}

static void *
driver (void *arg)
{
  struct labo_check *c = arg;
  long period_ns = 1000000000L / c->o.rate;
  struct slot *slots = xcalloc (c->n_w ? c->n_w : 1, sizeof (*slots));
  struct timespec tick;

  clock_gettime (CLOCK_MONOTONIC, &tick);
  while (!atomic_load (&c->quit))
    {
      renew_expired (c);
      for (size_t i = 0; i < c->n_w; i++)
        slots[i] = (struct slot){ i, (long) (labo_rng_uniform (&c->rng) * (double) period_ns) };
      qsort (slots, c->n_w, sizeof (*slots), cmp_slot);
      for (size_t i = 0; i < c->n_w && !atomic_load (&c->quit); i++)
        {
          struct timespec at = plus_ns (tick, slots[i].offset_ns);
          sleep_until (&at);
          send_write (c, &c->w[slots[i].writer], c->ticks);
          check_registers_tick (c, &c->w[slots[i].writer]);
        }
      c->ticks++;
      if (c->ticks % c->o.rate == 0)
        write_live (c);
      /* a pace, not a wait for an event: the writes are the clock */
      tick = plus_ns (tick, period_ns);
      sleep_until (&tick);
    }
  free (slots);
  return NULL;
}

/* ---- start ---- */

static FILE *
open_log (const char *path)
{
  FILE *f = fopen (path ? path : "/dev/null", "ae");
  if (f)
    setvbuf (f, NULL, _IOLBF, 0);
  return f;
}

/* The client library's log is one stream for the process: the check's
 * file while a check runs, else nowhere (it would write on stderr). */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static FILE *quiet_log;
static bool check_log_set;

static void
client_log_quiet (void)
{
  pthread_mutex_lock (&log_mu);
  if (!check_log_set && quiet_log == NULL && (quiet_log = open_log (NULL)) != NULL)
    {
      zoo_set_log_stream (quiet_log);
      zoo_set_debug_level (ZOO_LOG_LEVEL_ERROR);
    }
  pthread_mutex_unlock (&log_mu);
}

void
labo_check_free (struct labo_check *c)
{
  if (c == NULL)
    return;
  atomic_store (&c->quit, true);
  if (c->driver_running)
    {
      pthread_join (c->driver, NULL);
      remove_live (c);
    }
  for (size_t i = 0; i < c->n_w; i++)
    {
      writer_close (&c->w[i]);
      free (c->w[i].prefix);
      if (c->w[i].netns_fd >= 0)
        close (c->w[i].netns_fd);
    }
  for (size_t i = 0; i < c->n_rec; i++)
    free (c->rec[i].name);
  check_registers_free (c);
  check_history_free (&c->hist);
  free (c->witness);
  for (size_t i = 0; i < c->n_marks; i++)
    free (c->marks[i].text);
  free (c->marks);
  free (c->rec);
  free (c->w);
  free (c->root);
  pthread_mutex_lock (&log_mu);
  if (check_log_set)
    zoo_set_log_stream (quiet_log ? quiet_log : NULL);
  check_log_set = false;
  pthread_mutex_unlock (&log_mu);
  if (c->log)
    fclose (c->log);
  pthread_cond_destroy (&c->cv);
  pthread_mutex_destroy (&c->mu);
  free (c);
}

static void
check_freep (struct labo_check **c)
{
  labo_check_free (*c);
}

struct labo_check *
labo_check_start (const struct labo_lab *lab, const struct labo_check_opts *opts,
                  labo_error_t *err)
{
  __attribute__ ((cleanup (check_freep))) struct labo_check *c = xcalloc (1, sizeof (*c));
  char stamp[32];
  time_t now = time (NULL);
  struct tm tm;
  int rc;

  c->lab = lab;
  c->o = *opts;
  if (c->o.seed == 0)
    c->o.seed = labo_rng_fresh_seed ();
  labo_rng_seed (&c->rng, c->o.seed, 0);
  if (c->o.rate <= 0)
    c->o.rate = LABO_CHECK_DEFAULT_RATE;
  if (c->o.session_ms <= 0)
    c->o.session_ms = 6000;
  if (c->o.settle_ms <= 0)
    c->o.settle_ms = 120000;
  pthread_mutex_init (&c->mu, NULL);
  cond_init (&c->cv);
  c->log = open_log (c->o.log_path);
  if (c->log == NULL)
    {
      labo_error_errno (err, "opening %s", c->o.log_path);
      return NULL;
    }
  pthread_mutex_lock (&log_mu);
  zoo_set_log_stream (c->log);
  zoo_set_debug_level (ZOO_LOG_LEVEL_WARN);
  check_log_set = true;
  pthread_mutex_unlock (&log_mu);
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (lab->nodes[i].service != LABO_SERVICE_ZOOKEEPER)
      {
        /* its writes are ZooKeeper's znodes, through every node */
        labo_error_make (err, 0, "the check writes through ZooKeeper, and node %s of lab %s is "
                                 "not a zookeeper node (the check of other kinds is to come)",
                         lab->nodes[i].name, lab->name);
        return NULL;
      }
  if (lab->n_nodes == 0)
    {
      labo_error_make (err, 0, "lab %s has no ZooKeeper node to check", lab->name);
      return NULL;
    }
  c->n_w = lab->n_nodes;
  c->w = xcalloc (c->n_w, sizeof (*c->w));
  for (size_t i = 0; i < c->n_w; i++)
    c->w[i].netns_fd = -1;
  for (size_t i = 0; i < c->n_w; i++)
    {
      struct writer *w = &c->w[i];
      const struct labo_node *node = &lab->nodes[i];
      struct labo_node_reach r;

      w->c = c;
      w->index = (uint32_t) i;
      w->node = node;
      if (opts->endpoints)
        {
          snprintf (w->endpoint, sizeof (w->endpoint), "%s", opts->endpoints[i]);
          if (writer_connect (w, err) < 0)
            return NULL;
          continue;
        }
      labo_node_reach (lab, node, &r);
      node_endpoint (&r, w->endpoint, sizeof (w->endpoint));
      if (!r.in_container && (w->netns_fd = labo_node_reach_netns (lab, node, &r, 0, err)) < 0)
        return NULL;
      if (writer_connect (w, err) < 0)
        return NULL;
    }
  if (!wait_all (c, both_connected, labo_now () + CONNECT_TIMEOUT_S))
    {
      cleanup_free char *names = xstrdup ("");
      for (size_t i = 0; i < c->n_w; i++)
        if (!both_connected (&c->w[i]))
          {
            char *next = xasprintf ("%s%s%s (%s)", names, *names ? ", " : "",
                                    c->w[i].node->name, c->w[i].endpoint);
            free (names);
            names = next;
          }
      labo_error_make (err, 0, "no ZooKeeper session within %.0f s through %s: the check "
                               "starts against a serving ensemble (`labo status %s`)",
                       CONNECT_TIMEOUT_S, names, lab->name);
      return NULL;
    }
  localtime_r (&now, &tm);
  strftime (stamp, sizeof (stamp), "%Y%m%dT%H%M%S", &tm);
  c->root = xasprintf ("/labo-check/%s-%s-%d", lab->name, stamp, (int) getpid ());
  rc = zoo_create (c->w[0].zh, "/labo-check", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
  if (rc == ZOK || rc == ZNODEEXISTS)
    rc = zoo_create (c->w[0].zh, c->root, lab->name, (int) strlen (lab->name),
                     &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
  if (rc != ZOK)
    {
      labo_error_make (err, 0, "creating %s through %s: %s", c->root, c->w[0].node->name,
                       zerror (rc));
      return NULL;
    }
  for (size_t i = 0; i < c->n_w; i++)
    c->w[i].prefix = xasprintf ("%s/w%zu-", c->root, i);
  c->t0 = labo_now ();
  c->wall0 = labo_wall ();
  if (check_registers_start (c, err) < 0)
    {
      /* nothing left behind: the run's root, and /labo-check if empty */
      if (zoo_delete (c->w[0].zh, c->root, -1) == ZOK)
        zoo_delete (c->w[0].zh, "/labo-check", -1);
      return NULL;
    }
  if ((rc = pthread_create (&c->driver, NULL, driver, c)) != 0)
    {
      labo_error_make (err, rc, "starting the check's writer thread");
      return NULL;
    }
  c->driver_running = true;
  return steal_ptr (&c);
}

double
labo_check_elapsed (const struct labo_check *c)
{
  return labo_now () - c->t0;
}

void
labo_check_mark (struct labo_check *c, const char *text)
{
  pthread_mutex_lock (&c->mu);
  *(struct cmark *) labo_array_push (&c->marks, &c->n_marks, sizeof (*c->marks))
      = (struct cmark){ labo_now () - c->t0, xstrdup (text) };
  pthread_mutex_unlock (&c->mu);
}

/* ---- the end ---- */

static bool
answered (const struct writer *w)
{
  return w->outstanding == 0 && check_registers_idle (w->c);
}

/* Answers of a batch of reads (or deletes) of one node. */
struct batch
{
  struct labo_check *c;
  size_t done, bad;
  int last_rc;
};

struct item
{
  struct batch *b;
  struct cz *z;
};

static void
batch_done (struct batch *b, int rc)
{
  pthread_mutex_lock (&b->c->mu);
  b->done++;
  if (rc != ZOK)
    {
      b->bad++;
      b->last_rc = rc;
    }
  pthread_cond_broadcast (&b->c->cv);
  pthread_mutex_unlock (&b->c->mu);
}

static void
got_znode (int rc, const char *value, int value_len, const struct Stat *stat, const void *data)
{
  const struct item *it = data;

  if (rc == ZOK)
    {
      it->z->data = value && value_len > 0 ? xasprintf ("%.*s", value_len, value) : xstrdup ("");
      it->z->czxid = stat ? stat->czxid : -1;
    }
  batch_done (it->b, rc);
}

static void
synced (int rc, const char *value, const void *data)
{
  batch_done ((struct batch *) data, rc);
}

static void
deleted (int rc, const void *data)
{
  batch_done ((struct batch *) data, rc == ZNONODE ? ZOK : rc);
}

/* Until b has n answers, or the deadline. */
static bool
batch_wait (struct batch *b, size_t n, double deadline)
{
  bool all;

  pthread_mutex_lock (&b->c->mu);
  while (!(all = b->done >= n) && labo_now () < deadline)
    cond_wait_until (&b->c->cv, &b->c->mu, deadline);
  pthread_mutex_unlock (&b->c->mu);
  return all;
}

static int
cmp_cz (const void *a, const void *b)
{
  return strcmp (((const struct cz *) a)->name, ((const struct cz *) b)->name);
}

/* Reads every znode of the run through w's session, after a sync: the
 * node has then caught up with the leader. */
static void
read_node (struct labo_check *c, struct writer *w, struct cnode *out)
{
  struct batch sync_b = { c, 0, 0, 0 }, b = { c, 0, 0, 0 };
  struct String_vector names = { 0, NULL };
  cleanup_free struct item *items = NULL;
  int rc;

  out->name = xstrdup (w->node->name);
  out->endpoint = xstrdup (w->endpoint);
  rc = zoo_async (w->zh, c->root, synced, &sync_b);
  if (rc != ZOK || !batch_wait (&sync_b, 1, labo_now () + 30) || sync_b.bad)
    {
      if (rc == ZOK && sync_b.done == 0)
        {
          /* its answer would come into this frame: end the session first */
          writer_close (w);
          batch_wait (&sync_b, 1, labo_now () + 5);
        }
      out->why = xasprintf ("sync through %s failed: %s", w->endpoint,
                            zerror (rc != ZOK ? rc : sync_b.bad ? sync_b.last_rc
                                                                : ZOPERATIONTIMEOUT));
      return;
    }
  rc = zoo_get_children (w->zh, c->root, 0, &names);
  if (rc != ZOK)
    {
      out->why = xasprintf ("listing %s through %s: %s", c->root, w->endpoint, zerror (rc));
      return;
    }
  out->z = xcalloc (names.count > 0 ? (size_t) names.count : 1, sizeof (*out->z));
  items = xcalloc (names.count > 0 ? (size_t) names.count : 1, sizeof (*items));
  for (int32_t i = 0; i < names.count; i++)
    {
      size_t j = out->nz;
      cleanup_free char *path = NULL;
      /* the registers are the history's, checked apart */
      if (check_is_register (names.data[i]))
        continue;
      out->nz++;
      path = xasprintf ("%s/%s", c->root, names.data[i]);
      out->z[j].name = xstrdup (names.data[i]);
      out->z[j].czxid = -1;
      items[j] = (struct item){ &b, &out->z[j] };
      rc = zoo_aget (w->zh, path, 0, got_znode, &items[j]);
      if (rc != ZOK)
        batch_done (&b, rc);
    }
  deallocate_String_vector (&names);
  if (!batch_wait (&b, out->nz, labo_now () + 60))
    {
      writer_close (w);
      if (!batch_wait (&b, out->nz, labo_now () + 5))
        abort (); /* answers still due into freed memory: the client broke its word */
      out->why = xasprintf ("reading %zu znodes through %s took over a minute", out->nz,
                            w->endpoint);
      return;
    }
  if (b.bad)
    {
      out->why = xasprintf ("reading %zu of %zu znodes through %s failed: %s", b.bad, out->nz,
                            w->endpoint, zerror (b.last_rc));
      return;
    }
  qsort (out->z, out->nz, sizeof (*out->z), cmp_cz);
  out->verified = true;
}

/* Removes the run's znodes through w, and /labo-check when it is empty. */
static void
remove_run (struct labo_check *c, struct writer *w, const struct cnode *n)
{
  struct batch b = { c, 0, 0, 0 };
  size_t sent = 0;

  for (size_t j = 0; j < n->nz; j++)
    {
      cleanup_free char *path = xasprintf ("%s/%s", c->root, n->z[j].name);
      if (zoo_adelete (w->zh, path, -1, deleted, &b) == ZOK)
        sent++;
    }
  for (uint32_t k = 0; k < c->n_keys; k++)
    if (zoo_adelete (w->zh, c->keys[k], -1, deleted, &b) == ZOK)
      sent++;
  if (!batch_wait (&b, sent, labo_now () + 30))
    {
      writer_close (w);
      if (!batch_wait (&b, sent, labo_now () + 5))
        abort ();
      return;
    }
  if (zoo_delete (w->zh, c->root, -1) == ZOK)
    zoo_delete (w->zh, "/labo-check", -1); /* fails while another run's znodes are there */
}

static void
cnodes_free (struct cnode *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      for (size_t j = 0; j < v[i].nz; j++)
        {
          free (v[i].z[j].name);
          free (v[i].z[j].data);
        }
      free (v[i].z);
      free (v[i].name);
      free (v[i].endpoint);
      free (v[i].why);
    }
  free (v);
}

int
labo_check_plot (const struct labo_check *c, json_t *rep, FILE *out)
{
  const char *v = labo_check_verdict (rep);
  const char *lin = json_string_value (json_object_get (json_object_get (rep, "linearizability"),
                                                       "verdict"));
  cleanup_free char *title = NULL;
  struct labo_plot_opts o = { 0 };

  /* the registers' verdict when it is not the whole check's */
  if (lin && strcmp (v, "ok") == 0 && strcmp (lin, "valid") == 0)
    title = xasprintf ("lab %s, seed %llu: ok, linearizable", c->lab->name,
                       (unsigned long long) c->o.seed);
  else if (lin && strcmp (v, lin) != 0)
    title = xasprintf ("lab %s, seed %llu: %s (registers: %s)", c->lab->name,
                       (unsigned long long) c->o.seed, v, lin);
  else
    title = xasprintf ("lab %s, seed %llu: %s", c->lab->name, (unsigned long long) c->o.seed, v);
  o.title = title;
  o.highlight = c->witness;
  o.n_highlight = c->n_witness;
  return labo_plot_svg (out, &c->hist, &o);
}

/* The registers' verdict into the report: a history that is not
 * linearizable makes the verdict "invalid", one the checker gave up on
 * "unknown", unless something worse was found. And the plot, for labo
 * web (best effort: the report does not depend on it). */
static void
add_linearizability (struct labo_check *c, json_t *rep, FILE *progress)
{
  json_t *lin = check_registers_verdict (c, &c->hist, progress);
  const char *v = json_string_value (json_object_get (lin, "verdict"));
  cleanup_free char *dir = labo_state_dir (c->lab->name);
  cleanup_free char *path = xasprintf ("%s/%s", dir, LABO_CHECK_PLOT_FILE);
  cleanup_free char *svg = NULL;
  size_t len = 0;
  FILE *f;

  json_object_set_new (rep, "linearizability", lin);
  if (strcmp (labo_check_verdict (rep), "ok") == 0 && strcmp (v, "valid") != 0)
    json_object_set_new (rep, "verdict", json_string (strcmp (v, "invalid") == 0 ? "invalid"
                                                                                  : "unknown"));
  if ((f = open_memstream (&svg, &len)) == NULL)
    return;
  labo_check_plot (c, rep, f);
  if (fclose (f) == 0 && svg)
    labo_write_file (path, svg, len, 0600);
}

const struct labo_history *
labo_check_history (const struct labo_check *c)
{
  return &c->hist;
}

const size_t *
labo_check_witness (const struct labo_check *c, size_t *n)
{
  *n = c->n_witness;
  return c->witness;
}

json_t *
labo_check_finish (struct labo_check *c, FILE *progress)
{
  double settle_deadline, t_end;
  struct cnode *nodes;
  struct check_record r;
  long ticks = 0;
  json_t *rep;
  bool all;

  /* no more writes; then only this thread touches the sessions */
  atomic_store (&c->quit, true);
  if (c->driver_running)
    {
      pthread_join (c->driver, NULL);
      remove_live (c);
    }
  c->driver_running = false;
  t_end = labo_now () - c->t0;
  for (size_t i = 0; i < c->n_rec; i++)
    if (c->rec[i].tick + 1 > ticks)
      ticks = c->rec[i].tick + 1;
  if (progress)
    fprintf (progress, "check: %ld writes sent in %.1f s; waiting for their answers\n",
             (long) c->n_rec, t_end);
  if (!wait_all (c, answered, labo_now () + 2.0 * c->o.session_ms / 1000 + 5))
    if (progress)
      fprintf (progress, "check: some writes are still unanswered: counted as such\n");
  /* the registers' history ends here: what is still unanswered is info */
  pthread_mutex_lock (&c->mu);
  check_history_take (c, c->o.events_path, &c->hist);
  pthread_mutex_unlock (&c->mu);

  settle_deadline = labo_now () + c->o.settle_ms / 1000.0;
  all = wait_all (c, check_connected, labo_now ());
  if (!all && progress)
    fprintf (progress, "check: waiting up to %d s for every node to serve again\n",
             c->o.settle_ms / 1000);
  while (!all && labo_now () < settle_deadline)
    {
      renew_expired (c);
      all = wait_all (c, check_connected, fmin (settle_deadline, labo_now () + 0.5));
    }
  if (progress)
    fprintf (progress, "check: reading every node after a sync with the leader\n");
  nodes = xcalloc (c->n_w, sizeof (*nodes));
  for (size_t i = 0; i < c->n_w; i++)
    {
      if (check_connected (&c->w[i]))
        read_node (c, &c->w[i], &nodes[i]);
      else
        {
          nodes[i].name = xstrdup (c->w[i].node->name);
          nodes[i].endpoint = xstrdup (c->w[i].endpoint);
          nodes[i].why = xasprintf ("no session through %s within %d s: the node does not "
                                    "serve", c->w[i].endpoint, c->o.settle_ms / 1000);
        }
    }

  pthread_mutex_lock (&c->mu);
  r = (struct check_record){ .lab = c->lab->name, .root = c->root, .rate = c->o.rate,
                             .duration_s = (double) ticks / c->o.rate, .ticks = ticks,
                             .w = c->rec, .n_w = c->n_rec, .nodes = nodes,
                             .n_nodes = c->n_w, .marks = c->marks, .n_marks = c->n_marks };
  rep = check_analyse (&r);
  json_object_set_new (rep, "seed", json_integer ((json_int_t) c->o.seed));
  pthread_mutex_unlock (&c->mu);
  /* the history is a copy: the checker runs without c->mu, which late
   * answers take */
  add_linearizability (c, rep, progress);

  if (strcmp (labo_check_verdict (rep), "ok") == 0 && !c->o.keep)
    for (size_t i = 0; i < c->n_w; i++)
      if (nodes[i].verified)
        {
          remove_run (c, &c->w[i], &nodes[i]);
          break;
        }
  json_object_set_new (rep, "kept", json_boolean (strcmp (labo_check_verdict (rep), "ok") != 0
                                                  || c->o.keep));
  cnodes_free (nodes, c->n_w);
  return rep;
}

/* ---- is a node serving, as a client finds out ---- */

struct serves
{
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int state;     /* of the session */
  int answers;   /* sync, create */
  int rc[2];
};

static void
serves_watcher (zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
  struct serves *s = ctx;

  if (type != ZOO_SESSION_EVENT)
    return;
  pthread_mutex_lock (&s->mu);
  s->state = state;
  pthread_cond_broadcast (&s->cv);
  pthread_mutex_unlock (&s->mu);
}

static void
serves_answer (struct serves *s, int rc)
{
  pthread_mutex_lock (&s->mu);
  if (s->answers < 2)
    s->rc[s->answers] = rc;
  s->answers++;
  pthread_cond_broadcast (&s->cv);
  pthread_mutex_unlock (&s->mu);
}

static void
serves_synced (int rc, const char *value, const void *data)
{
  serves_answer ((struct serves *) data, rc);
}

static void
serves_created (int rc, const char *value, const void *data)
{
  serves_answer ((struct serves *) data, rc);
}

/* Until pred (under s->mu) or the deadline (monotonic). */
static bool
serves_wait (struct serves *s, bool (*pred) (const struct serves *), double deadline)
{
  bool ok;

  pthread_mutex_lock (&s->mu);
  while (!(ok = pred (s)) && labo_now () < deadline)
    cond_wait_until (&s->cv, &s->mu, deadline);
  pthread_mutex_unlock (&s->mu);
  return ok;
}

static bool
s_connected (const struct serves *s)
{
  return s->state == ZOO_CONNECTED_STATE;
}

static bool
s_synced (const struct serves *s)
{
  return s->answers >= 1;
}

static bool
s_created (const struct serves *s)
{
  return s->answers >= 2;
}

int
labo_zk_serves (const struct labo_lab *lab, size_t node, bool write, int timeout_ms)
{
  const struct labo_node *n = &lab->nodes[node];
  struct labo_node_reach r;
  cleanup_close int fd = -1;
  double deadline = labo_now () + timeout_ms / 1000.0;
  struct serves *s = xcalloc (1, sizeof (*s));
  labo_error_t err = NULL;
  char endpoint[64];
  zhandle_t *zh = NULL;
  int ok = 0;

  pthread_mutex_init (&s->mu, NULL);
  cond_init (&s->cv);
  client_log_quiet ();
  labo_node_reach (lab, n, &r);
  node_endpoint (&r, endpoint, sizeof (endpoint));
  if ((fd = labo_node_reach_netns (lab, n, &r, r.in_container ? labo_node_pid (lab, n) : 0,
                                   &err)) < 0
      || (zh = client_in (fd, endpoint, serves_watcher, SERVES_SESSION_MS, s, &err)) == NULL)
    goto out;
  /* connected: the server serves clients (one out of the quorum refuses
   * them); synced: it is joined to a leader (sync goes through it); with a
   * write: a quorum commits (an ephemeral znode, gone with the session) */
  if (!serves_wait (s, s_connected, deadline)
      || zoo_async (zh, "/", serves_synced, s) != ZOK || !serves_wait (s, s_synced, deadline)
      || s->rc[0] != ZOK)
    goto out;
  if (write
      && (zoo_acreate (zh, "/labo-serves-", "", 0, &ZOO_OPEN_ACL_UNSAFE,
                       ZOO_EPHEMERAL | ZOO_SEQUENCE, serves_created, s)
              != ZOK
          || !serves_wait (s, s_created, deadline) || s->rc[1] != ZOK))
    goto out;
  ok = 1;
out:
  labo_error_release (&err);
  /* closing ends the client's threads: no answer can come after it */
  if (zh)
    zookeeper_close (zh);
  pthread_cond_destroy (&s->cv);
  pthread_mutex_destroy (&s->mu);
  free (s);
  return ok;
}
