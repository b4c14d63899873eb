/* The check's registers (check-internal.h): Jepsen's independent CAS
 * registers on ZooKeeper, through every node, recorded as a history
 * (check/history.h) that check/lin.h then checks for linearizability.
 *
 * A register is a znode <root>/r<k> holding a decimal number. Each node
 * has o.clients clients, each one Jepsen process: one operation at a
 * time, drawn from the seed at the driver's turn for the node:
 *   read   half of them: getData, after (o.reads)
 *            quorum  a multi of one check of the znode, any version: a
 *                    transaction, committed by a quorum like a write,
 *                    after which the session's read sees at least what
 *                    was committed then: linearizable;
 *            sync    a sync: ZooKeeper's advice for an up-to-date read,
 *                    not linearizable when a leader is cut off (it
 *                    answers syncs alone until it steps down:
 *                    ZOOKEEPER-1675);
 *            local   nothing: the node answers from what it has, which
 *                    ZooKeeper promises sequential, not linearizable;
 *   write  a quarter: setData of any version, a value never written before;
 *   cas    a quarter: setData of the version the client's last read (or
 *          write) of the key saw, with a new value. A value is never
 *          written twice, so a version names one value, and the CAS on
 *          the version is a CAS on the value: cas [seen new].
 * Reads go through a session of the node's own, writes through the
 * check's writer's: ZooKeeper answers a session's requests in order, and
 * a read must not wait behind a write that waits for a leader (a follower
 * cut from its leader goes on answering reads it can answer alone).
 * Answers: ZOK is ok; ZBADVERSION fails a CAS (nothing written); a lost
 * connection or session, no answer within CHECK_OP_TIMEOUT_S, or none by
 * the end, is info (it may have happened, or may yet), and the client
 * then goes on as a new process (Jepsen's rule: a process is never
 * concurrent with itself). A call with no session to go through is not
 * in the history: nothing was sent.
 *
 * The client's completion threads record the answers under c->mu; a
 * read's sync answer sends the read from that thread. */
#include "check-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "labo/check/lin.h"
#include "labo/util/util.h"

#define DEFAULT_KEYS 3
/* How long a client waits for an answer before it calls the operation
 * info and goes on as a new process (an election takes a few seconds) */
#define CHECK_OP_TIMEOUT_S 2.0
#define DEFAULT_LIN_SECONDS 60.0
#define DEFAULT_LIN_BYTES ((size_t) 1 << 30)

struct rclient
{
  struct labo_check *c;
  uint32_t process;  /* Jepsen's; + n_rc after each info */
  bool busy;         /* an operation in flight (mu) */
  size_t op;         /* its index in c->ops (mu) */
  double since;      /* and when it was sent (monotonic) */
  int64_t *seen;     /* per key: the value its last read or write saw */
  int32_t *version;  /* and its version, -1: none yet (mu) */
};

/* One operation sent: what its completion needs to find it. Freed by the
 * last completion (a read's sync passes it on to the read). */
struct ticket
{
  struct rclient *k;
  size_t op;
  zhandle_t *zh;     /* the session it went through */
  zoo_op_t check;    /* a quorum read's multi, and its result: the client */
  zoo_op_result_t result; /* writes it until the completion */
};

/* An operation the client gave up waiting for: info, and its answer, if
 * it ever comes, changes nothing (the client went on as a new process). */
#define RC_TIMED_OUT (-1000)

static int64_t
ns_since (const struct labo_check *c)
{
  return (int64_t) llround ((labo_now () - c->t0) * 1e9);
}

/* An answer that leaves the operation's effect unknown. */
static bool
indeterminate (int rc)
{
  return rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED
         || rc == ZCLOSING || rc == ZSESSIONMOVED || rc == ZINVALIDSTATE;
}

bool
check_is_register (const char *name)
{
  return name[0] == 'r' && name[1] >= '0' && name[1] <= '9';
}

/* k's operation is info: it may have happened, or may yet (c->mu held). */
static void
give_up (struct rclient *k, struct labo_op *op, int rc)
{
  op->type = LABO_OP_INFO;
  op->ret_ns = -1;
  op->rc = rc;
  k->process += (uint32_t) k->c->n_rc;
  k->busy = false;
}

/* Records the answer to t's operation, and frees t (takes c->mu). */
static void
answer (struct ticket *t, int rc, int64_t value, const struct Stat *stat)
{
  struct rclient *k = t->k;
  struct labo_check *c = k->c;
  struct labo_op *op;

  pthread_mutex_lock (&c->mu);
  op = &c->ops[t->op];
  if (op->rc == RC_TIMED_OUT)
    ;
  else if (rc == ZOK)
    {
      op->rc = rc;
      op->type = LABO_OP_OK;
      op->ret_ns = ns_since (c);
      if (op->f == LABO_OP_READ)
        op->value = value;
      k->seen[op->key] = op->value;
      k->version[op->key] = stat ? stat->version : -1;
      k->busy = false;
    }
  else if (indeterminate (rc))
    give_up (k, op, rc);
  else
    {
      op->rc = rc;
      op->type = LABO_OP_FAIL;
      op->ret_ns = ns_since (c);
      /* a CAS refused: the version seen is old; the next turn reads */
      k->version[op->key] = -1;
      k->busy = false;
    }
  pthread_cond_broadcast (&c->cv);
  pthread_mutex_unlock (&c->mu);
  free (t);
}

/* "17" -> 17; anything else -> LABO_NIL (a register holds only numbers
 * labo wrote: anything else read is a value no write wrote, and the
 * checker says so). */
static int64_t
parse_value (const char *v, int len)
{
  char buf[32];
  char *end;
  long long x;

  if (v == NULL || len <= 0 || len >= (int) sizeof (buf))
    return LABO_NIL;
  memcpy (buf, v, (size_t) len);
  buf[len] = '\0';
  errno = 0;
  x = strtoll (buf, &end, 10);
  return *end || errno || x == LABO_NIL ? LABO_NIL : (int64_t) x;
}

static void
got (int rc, const char *value, int value_len, const struct Stat *stat, const void *data)
{
  answer ((struct ticket *) data, rc, rc == ZOK ? parse_value (value, value_len) : LABO_NIL,
          stat);
}

static void
set_done (int rc, const struct Stat *stat, const void *data)
{
  answer ((struct ticket *) data, rc, 0, stat);
}

/* The read after its sync or its quorum's multi (from the completion
 * thread): queued behind it, on the session it went through. */
static void
then_read (struct ticket *t, int rc)
{
  const char *path;
  int r;

  if (rc != ZOK)
    {
      answer (t, rc, LABO_NIL, NULL);
      return;
    }
  pthread_mutex_lock (&t->k->c->mu);
  path = t->k->c->keys[t->k->c->ops[t->op].key];
  pthread_mutex_unlock (&t->k->c->mu);
  if ((r = zoo_aget (t->zh, path, 0, got, t)) != ZOK)
    answer (t, r, LABO_NIL, NULL);
}

static void
synced (int rc, const char *value, const void *data)
{
  then_read ((struct ticket *) data, rc);
}

static void
committed (int rc, const void *data)
{
  then_read ((struct ticket *) data, rc);
}

/* The clients of w that waited longer than CHECK_OP_TIMEOUT_S give up
 * (c->mu held): Jepsen's client timeout. Without it a client whose write
 * waits for a leader it cannot reach would do nothing else. */
static void
time_out (struct labo_check *c, size_t from, size_t to)
{
  double now = labo_now ();

  for (size_t i = from; i < to; i++)
    if (c->rc[i].busy && now - c->rc[i].since > CHECK_OP_TIMEOUT_S)
      give_up (&c->rc[i], &c->ops[c->rc[i].op], RC_TIMED_OUT);
}

void
check_registers_tick (struct labo_check *c, struct writer *w)
{
  size_t per = c->n_rc / c->n_w, from = w->index * per, to = from + per;

  pthread_mutex_lock (&c->mu);
  time_out (c, from, to);
  pthread_mutex_unlock (&c->mu);
  for (size_t i = from; i < to; i++)
    {
      struct rclient *k = &c->rc[i];
      struct ticket *t;
      struct labo_op *op;
      enum labo_op_f f;
      char buf[24];
      int64_t value = 0;
      int32_t version;
      uint32_t key;
      double draw;
      int rc;

      pthread_mutex_lock (&c->mu);
      if (k->busy)
        {
          pthread_mutex_unlock (&c->mu);
          continue;
        }
      key = (uint32_t) labo_rng_below (&c->rng, c->n_keys);
      draw = labo_rng_uniform (&c->rng);
      version = k->version[key];
      f = draw < 0.5 || (draw >= 0.75 && version < 0) ? LABO_OP_READ
          : draw < 0.75                                ? LABO_OP_WRITE
                                                       : LABO_OP_CAS;
      /* no session to send it through: nothing is sent, nothing recorded */
      if (!(f == LABO_OP_READ ? check_reads_connected (w) : check_connected (w)))
        {
          pthread_mutex_unlock (&c->mu);
          continue;
        }
      op = labo_array_push (&c->ops, &c->n_ops, sizeof (*c->ops));
      *op = (struct labo_op){ .process = k->process, .key = key, .f = f, .type = LABO_OP_INFO,
                              .value = LABO_NIL, .expect = LABO_NIL, .call_ns = ns_since (c),
                              .ret_ns = -1, .node = (int32_t) w->index, .rc = 0 };
      if (f != LABO_OP_READ)
        op->value = value = c->next_value++;
      if (f == LABO_OP_CAS)
        op->expect = k->seen[key];
      k->op = c->n_ops - 1;
      k->busy = true;
      k->since = labo_now ();
      t = xcalloc (1, sizeof (*t));
      t->k = k;
      t->op = k->op;
      t->zh = f == LABO_OP_READ ? w->rzh : w->zh;
      pthread_mutex_unlock (&c->mu);

      /* only this thread adds operations: k's stays the last until then */
      snprintf (buf, sizeof (buf), "%" PRId64, value);
      if (f == LABO_OP_READ && c->o.reads == LABO_READS_LOCAL)
        rc = zoo_aget (t->zh, c->keys[key], 0, got, t);
      else if (f == LABO_OP_READ && c->o.reads == LABO_READS_SYNC)
        rc = zoo_async (t->zh, c->keys[key], synced, t);
      else if (f == LABO_OP_READ)
        {
          zoo_check_op_init (&t->check, c->keys[key], -1);
          rc = zoo_amulti (t->zh, 1, &t->check, &t->result, committed, t);
        }
      else
        rc = zoo_aset (t->zh, c->keys[key], buf, (int) strlen (buf),
                       f == LABO_OP_CAS ? version : -1, set_done, t);
      if (rc != ZOK)
        {
          /* never queued: nothing was sent, and no completion will come */
          free (t);
          pthread_mutex_lock (&c->mu);
          c->n_ops--;
          k->busy = false;
          pthread_mutex_unlock (&c->mu);
        }
    }
}

bool
check_registers_idle (const struct labo_check *c)
{
  for (size_t i = 0; i < c->n_rc; i++)
    if (c->rc[i].busy)
      return false;
  return true;
}

int
check_registers_start (struct labo_check *c, labo_error_t *err)
{
  int clients = c->o.clients > 0 ? c->o.clients : 1;

  c->n_keys = (uint32_t) (c->o.keys > 0 ? c->o.keys : DEFAULT_KEYS);
  c->keys = xcalloc (c->n_keys, sizeof (*c->keys));
  c->next_value = 1;
  for (uint32_t k = 0; k < c->n_keys; k++)
    {
      struct labo_op *op;
      int64_t t = ns_since (c);
      int rc;

      c->keys[k] = xasprintf ("%s/r%" PRIu32, c->root, k);
      rc = zoo_create (c->w[0].zh, c->keys[k], "0", 1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
      if (rc != ZOK)
        {
          labo_error_make (err, 0, "creating the register %s through %s: %s", c->keys[k],
                           c->w[0].node->name, zerror (rc));
          /* those made so far go, with the run's root (labo_check_start) */
          for (uint32_t j = 0; j < k; j++)
            zoo_delete (c->w[0].zh, c->keys[j], -1);
          return -1;
        }
      /* the register's first value, written by process 0 before any
       * other operation: what the checker starts from */
      op = labo_array_push (&c->ops, &c->n_ops, sizeof (*c->ops));
      *op = (struct labo_op){ .process = 0, .key = k, .f = LABO_OP_WRITE, .type = LABO_OP_OK,
                              .value = 0, .expect = LABO_NIL, .call_ns = t,
                              .ret_ns = ns_since (c), .node = 0, .rc = ZOK };
    }
  c->n_rc = c->n_w * (size_t) clients;
  c->rc = xcalloc (c->n_rc, sizeof (*c->rc));
  for (size_t i = 0; i < c->n_rc; i++)
    {
      struct rclient *k = &c->rc[i];
      k->c = c;
      k->process = (uint32_t) i;
      k->seen = xcalloc (c->n_keys, sizeof (*k->seen));
      k->version = xcalloc (c->n_keys, sizeof (*k->version));
      for (uint32_t j = 0; j < c->n_keys; j++)
        k->version[j] = -1;
    }
  return 0;
}

void
check_registers_free (struct labo_check *c)
{
  for (size_t i = 0; i < c->n_rc; i++)
    {
      free (c->rc[i].seen);
      free (c->rc[i].version);
    }
  free (c->rc);
  for (uint32_t k = 0; k < c->n_keys; k++)
    free (c->keys[k]);
  free (c->keys);
  free (c->ops);
  c->rc = NULL;
  c->keys = NULL;
  c->ops = NULL;
  c->n_rc = c->n_keys = 0;
  c->n_ops = 0;
}

/* ---- the history, with its events ---- */

/* A supervisor's event, as the timeline shows it; false to leave it out:
 * a chaos step's note (the marks have them, also without a supervisor),
 * the supervisor's own start and stop. */
static bool
event_of (json_t *ev, const struct labo_check *c, struct labo_event *out)
{
  const char *kind = json_string_value (json_object_get (ev, "kind"));
  const char *subject = json_string_value (json_object_get (ev, "subject"));
  const char *msg = json_string_value (json_object_get (ev, "message"));
  const char *verb = json_string_value (json_object_get (ev, "verb"));
  double t = json_number_value (json_object_get (ev, "t"));

  if (kind == NULL || t <= 0 || strcmp (kind, "chaos") == 0 || strcmp (kind, "supervisor") == 0)
    return false;
  out->t_ns = (int64_t) llround ((t - c->wall0) * 1e9);
  out->subject = xstrdup (subject ? subject : "");
  out->text = xasprintf ("%s: %s", kind, msg ? msg : "");
  if (strcmp (kind, "leader") == 0)
    out->kind = LABO_EV_LEADER;
  else if (strcmp (kind, "fault") == 0)
    out->kind = labo_event_kind_of_step (verb ? verb : msg ? msg : "");
  else
    out->kind = LABO_EV_NOTE;
  return true;
}

static int
cmp_event (const void *a, const void *b)
{
  int64_t x = ((const struct labo_event *) a)->t_ns, y = ((const struct labo_event *) b)->t_ns;
  return (x > y) - (x < y);
}

/* The supervisor's events between t0 and end_ns (and the faults and
 * elections of the few seconds before: in force when the check began). */
static void
load_events (const struct labo_check *c, const char *path, struct labo_history *h)
{
  size_t len = 0;
  cleanup_free char *text = path ? labo_read_file_max (path, 64 << 20, &len) : NULL;
  char *line, *save = NULL;

  if (text == NULL)
    return;
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      json_t *ev = json_loads (line, 0, NULL);
      struct labo_event e;
      if (json_is_object (ev) && event_of (ev, c, &e))
        {
          /* a fault made just before the check is in force at its start */
          if (e.t_ns >= (e.kind == LABO_EV_NOTE ? 0 : -5000000000LL) && e.t_ns <= h->end_ns)
            *(struct labo_event *) labo_array_push (&h->events, &h->n_events,
                                                    sizeof (*h->events))
                = e;
          else
            {
              free ((char *) e.subject);
              free ((char *) e.text);
            }
        }
      json_decref (ev);
    }
}

void
check_history_take (struct labo_check *c, const char *events_path, struct labo_history *h)
{
  char **nodes = xcalloc (c->n_w ? c->n_w : 1, sizeof (*nodes));

  *h = (struct labo_history){ 0 };
  h->end_ns = ns_since (c);
  h->wall0 = c->wall0;
  h->n_ops = c->n_ops;
  h->ops = xcalloc (c->n_ops ? c->n_ops : 1, sizeof (*h->ops));
  memcpy (h->ops, c->ops, c->n_ops * sizeof (*h->ops));
  /* an operation still waiting is info: it may yet happen */
  for (size_t i = 0; i < h->n_ops; i++)
    if (h->ops[i].ret_ns < 0)
      h->ops[i].type = LABO_OP_INFO;
  for (size_t i = 0; i < c->n_w; i++)
    nodes[i] = xstrdup (c->w[i].node->name);
  h->nodes = (const char *const *) nodes;
  h->n_nodes = c->n_w;
  for (size_t m = 0; m < c->n_marks; m++)
    {
      struct labo_event *e = labo_array_push (&h->events, &h->n_events, sizeof (*h->events));
      e->t_ns = (int64_t) llround (c->marks[m].t * 1e9);
      e->kind = labo_event_kind_of_step (c->marks[m].text);
      e->subject = xstrdup ("");
      e->text = xstrdup (c->marks[m].text);
    }
  load_events (c, events_path, h);
  if (h->n_events > 1)
    qsort (h->events, h->n_events, sizeof (*h->events), cmp_event);
}

void
check_history_free (struct labo_history *h)
{
  for (size_t i = 0; i < h->n_events; i++)
    {
      free ((char *) h->events[i].subject);
      free ((char *) h->events[i].text);
    }
  for (size_t i = 0; i < h->n_nodes; i++)
    free ((char *) h->nodes[i]);
  free ((void *) h->nodes);
  free (h->events);
  free (h->ops);
  *h = (struct labo_history){ 0 };
}

/* ---- the verdict ---- */

static json_t *
value_json (int64_t v)
{
  return v == LABO_NIL ? json_null () : json_integer ((json_int_t) v);
}

/* One operation of the history, for the report. */
static json_t *
op_json (const struct labo_history *h, size_t i)
{
  const struct labo_op *op = &h->ops[i];
  json_t *o = json_pack ("{s:I, s:I, s:s, s:s, s:i, s:s, s:f}", "index", (json_int_t) i,
                         "process", (json_int_t) op->process, "node",
                         op->node >= 0 && (size_t) op->node < h->n_nodes ? h->nodes[op->node]
                                                                         : "",
                         "f", labo_op_f_name (op->f), "key", (int) op->key, "type",
                         labo_op_type_name (op->type), "call_s", (double) op->call_ns / 1e9);
  json_object_set_new (o, "ret_s", op->ret_ns >= 0 ? json_real ((double) op->ret_ns / 1e9)
                                                   : json_null ());
  json_object_set_new (o, "value", value_json (op->value));
  if (op->f == LABO_OP_CAS)
    json_object_set_new (o, "expect", value_json (op->expect));
  return o;
}

json_t *
check_registers_verdict (struct labo_check *c, const struct labo_history *h, FILE *progress)
{
  struct labo_lin_limits lim = { c->o.lin_seconds > 0 ? c->o.lin_seconds : DEFAULT_LIN_SECONDS,
                                 c->o.lin_bytes > 0 ? c->o.lin_bytes : DEFAULT_LIN_BYTES };
  struct labo_lin_result r;
  json_t *o, *w;
  size_t n_ok = 0, n_info = 0, n_fail = 0;

  for (size_t i = 0; i < h->n_ops; i++)
    {
      n_ok += h->ops[i].type == LABO_OP_OK;
      n_info += h->ops[i].type == LABO_OP_INFO;
      n_fail += h->ops[i].type == LABO_OP_FAIL;
    }
  if (progress)
    fprintf (progress, "check: checking %zu register operations for linearizability (limits: "
                       "%g s, %zu MiB)\n", h->n_ops, lim.seconds, lim.memory_bytes >> 20);
  labo_lin_check (h, &lim, &r);
  o = json_pack ("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I}", "verdict",
                 labo_lin_verdict_name (r.verdict), "reads",
                 labo_check_reads_name (c->o.reads), "keys", (json_int_t) c->n_keys, "clients",
                 (json_int_t) c->n_rc, "operations", (json_int_t) h->n_ops, "ok",
                 (json_int_t) n_ok, "info", (json_int_t) n_info, "fail", (json_int_t) n_fail,
                 "configs", (json_int_t) r.configs, "seconds", r.seconds, "peak_bytes",
                 (json_int_t) r.peak_bytes);
  if (r.verdict == LABO_LIN_UNKNOWN)
    json_object_set_new (o, "why", json_sprintf ("register r%u: %s", r.key, r.why));
  if (r.verdict == LABO_LIN_INVALID)
    {
      json_object_set_new (o, "key", json_integer (r.key));
      json_object_set_new (o, "minimal", json_boolean (r.witness_minimal));
      json_object_set_new (o, "culprit", op_json (h, r.culprit));
      w = json_array ();
      for (size_t i = 0; i < r.n_witness; i++)
        json_array_append_new (w, op_json (h, r.witness[i]));
      json_object_set_new (o, "witness", w);
      c->witness = r.witness;
      c->n_witness = r.n_witness;
      r.witness = NULL;
    }
  labo_lin_result_free (&r);
  return o;
}

const char *
labo_check_reads_name (enum labo_check_reads r)
{
  return r == LABO_READS_SYNC ? "sync" : r == LABO_READS_LOCAL ? "local" : "quorum";
}

int
labo_check_reads_parse (const char *s, enum labo_check_reads *r)
{
  for (int i = LABO_READS_QUORUM; i <= LABO_READS_LOCAL; i++)
    if (strcmp (s, labo_check_reads_name ((enum labo_check_reads) i)) == 0)
      {
        *r = (enum labo_check_reads) i;
        return 0;
      }
  return -1;
}
