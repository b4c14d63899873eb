/* Between the check's client (check.c: the sessions, the writes and the
 * end's reading; check-register.c: the registers' workload), and its
 * analysis (check-report.c: pure, unit-tested with made-up records in
 * tests/unit/test_check.c, so that each kind of loss is shown to be
 * caught). Not part of the library's interface. */
#ifndef LABO_CHECK_INTERNAL_H
#define LABO_CHECK_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
/* the client's synchronous calls are declared for its threaded build */
#ifndef THREADED
#define THREADED 1
#endif
#include <zookeeper/zookeeper.h>

#include "labo/check/history.h"
#include "labo/model/lab.h"
#include "labo/util/rng.h"
#include "labo/zk/check.h"

enum cw_state
{
  CW_PENDING = 0,    /* sent, no answer yet (at the end: indeterminate) */
  CW_ACKED,          /* ZOK */
  CW_INDETERMINATE,  /* connection or session lost before the answer */
  CW_REFUSED,        /* not sent: no connection, or a backlog */
  CW_FAILED,         /* another answer */
};

/* One write attempt: one writer, one tick. */
struct cw
{
  uint32_t writer;   /* index of the node written through */
  uint32_t session;  /* the writer's session, counted from 1 */
  uint64_t n;        /* the writer's attempt number */
  long tick;         /* the tick it belongs to, from 0 */
  double t0, t1;     /* sent and answered, seconds from the start */
  int rc;            /* the client's answer */
  enum cw_state state;
  char *name;        /* acknowledged: the znode's name, "w0-0000000042" */
};

/* One znode as one node holds it. */
struct cz
{
  char *name;
  char *data;
  int64_t czxid;
};

/* What was read from one node at the end. */
struct cnode
{
  char *name;        /* the lab's node */
  char *endpoint;    /* "198.51.100.66:32181" */
  bool verified;     /* read whole after a sync */
  char *why;         /* or why not */
  struct cz *z;
  size_t nz;
};

struct cmark
{
  double t;
  char *text;
};

struct check_record
{
  const char *lab, *root;
  int rate;
  double duration_s; /* of the writes */
  long ticks;
  struct cw *w;
  size_t n_w;
  struct cnode *nodes; /* one a writer */
  size_t n_nodes;
  struct cmark *marks;
  size_t n_marks;
};

/* ---- the client (check.c) ---- */

struct writer
{
  struct labo_check *c;
  uint32_t index;
  const struct labo_node *node;
  char endpoint[64];
  char *prefix;           /* "<root>/w<index>-": the leader appends the sequence */
  int netns_fd;
  zhandle_t *zh;          /* the writes', and the registers' writes */
  zhandle_t *rzh;         /* the registers' reads: a session of their own, so that
                             they never wait in line behind a write (ZooKeeper
                             answers a session's requests in order) */
  uint32_t session;       /* of zh, from 1 */
  atomic_bool expired;    /* zh's session expired: the driver replaces it */
  size_t outstanding;     /* sent, unanswered (mu) */
  uint64_t next_n;        /* the next attempt's number (driver) */
};

struct labo_check
{
  pthread_mutex_t mu;
  pthread_cond_t cv;      /* an answer, a session's state changed */
  const struct labo_lab *lab;
  struct labo_check_opts o;
  struct writer *w;
  size_t n_w;
  struct cw *rec;         /* every attempt (mu) */
  size_t n_rec, cap_rec;
  struct cmark *marks;    /* (mu) */
  size_t n_marks;
  char *root;             /* "/labo-check/<lab>-<time>-<pid>" */
  double t0;              /* monotonic start of the writes */
  double t_stop;          /* and their end */
  long ticks;             /* ticks begun (driver) */
  struct labo_rng rng;    /* the stagger's draws (driver) */
  pthread_t driver;
  bool driver_running;
  atomic_bool quit;       /* the driver stops */
  FILE *log;
  double wall0;           /* the wall clock at t0 */
  /* the registers (check-register.c) */
  struct rclient *rc;     /* the register clients, n_w * o.clients */
  size_t n_rc;
  char **keys;            /* the registers' paths, "<root>/r<k>" */
  uint32_t n_keys;
  struct labo_op *ops;    /* the history, in call order (mu) */
  size_t n_ops, cap_ops;
  int64_t next_value;     /* the next value written: every value once (mu) */
  struct labo_history hist; /* taken at the end (labo_check_finish) */
  size_t *witness;        /* of an invalid history: indexes into hist.ops */
  size_t n_witness;
};


/* Whether w's session (or its reads' session) is connected. */
static inline bool
check_connected (const struct writer *w)
{
  return w->zh && zoo_state (w->zh) == ZOO_CONNECTED_STATE;
}

static inline bool
check_reads_connected (const struct writer *w)
{
  return w->rzh && zoo_state (w->rzh) == ZOO_CONNECTED_STATE;
}

/* ---- the registers (check-register.c) ----
 * Jepsen's independent CAS registers: znodes <root>/r<k> holding a
 * number, each written with a value never written before. Each node has
 * o.clients clients (Jepsen's processes), each with one operation at a
 * time: a read (after a quorum's multi, a sync or nothing: o.reads), a write (setData of
 * any version) or a CAS (setData of the version its last read saw, which
 * is a CAS on the value since no value is written twice). */

/* Makes the registers (holding 0, an operation of process 0 in the
 * history) and the clients. -1 with err. */
int check_registers_start (struct labo_check *c, labo_error_t *err);
/* The driver's turn for node w: each idle client of w's starts an
 * operation drawn from c->rng. */
void check_registers_tick (struct labo_check *c, struct writer *w);
/* Whether no register operation waits for an answer (c->mu held). */
bool check_registers_idle (const struct labo_check *c);
/* Whether znode `name` (a child of the root) is a register. */
bool check_is_register (const char *name);
/* The history so far (c->mu held): a copy, operations still unanswered
 * made INFO; the events from the marks and from the supervisor's file
 * events_path (NULL: none), between t0 and now. Free with
 * check_history_free. */
void check_history_take (struct labo_check *c, const char *events_path,
                         struct labo_history *h);
void check_history_free (struct labo_history *h);
/* The report's "linearizability" object: the history checked within the
 * limits of c->o. */
json_t *check_registers_verdict (struct labo_check *c, const struct labo_history *h,
                                 FILE *progress);
void check_registers_free (struct labo_check *c);

/* What a write's znode holds. Caller frees. */
char *check_data (uint32_t writer, uint32_t session, uint64_t n);
/* The sequence number of a znode's name ("w0-0000000042" -> 42), or -1. */
long long check_seq (const char *name);

/* The report (docs/status.md, "labo check"). */
json_t *check_analyse (const struct check_record *r);

#endif
