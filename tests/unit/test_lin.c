/* Unit tests for the linearizability checker (src/check/wgl.c): made-up
 * histories of a CAS register, valid and not, each with the verdict it
 * must get and, when invalid, the witness it must give; the keys checked
 * apart; the limits; and 20,000 random small histories checked again by
 * brute force (every order the real-time order allows), verdicts and
 * witnesses both. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/check/lin.h"
#include "labo/util/rng.h"
#include "labo/util/util.h"

#define MAX_OPS 256

struct hb
{
  struct labo_op ops[MAX_OPS];
  struct labo_history h;
};

/* Appends an operation; the tests write them in call order. Returns its
 * index. ret -1: INFO. */
static size_t
add (struct hb *b, uint32_t process, uint32_t key, enum labo_op_f f, enum labo_op_type type,
     int64_t expect, int64_t value, int64_t call, int64_t ret)
{
  size_t i = b->h.n_ops++;
  assert_true (i < MAX_OPS);
  b->ops[i] = (struct labo_op) { .process = process, .key = key, .f = f, .type = type,
                                 .value = value, .expect = expect, .call_ns = call,
                                 .ret_ns = type == LABO_OP_INFO ? -1 : ret, .node = -1 };
  b->h.ops = b->ops;
  return i;
}

#define W(b, p, k, v, c, r) add (b, p, k, LABO_OP_WRITE, LABO_OP_OK, 0, v, c, r)
#define R(b, p, k, v, c, r) add (b, p, k, LABO_OP_READ, LABO_OP_OK, 0, v, c, r)
#define CAS(b, p, k, e, v, c, r) add (b, p, k, LABO_OP_CAS, LABO_OP_OK, e, v, c, r)
#define W_INFO(b, p, k, v, c) add (b, p, k, LABO_OP_WRITE, LABO_OP_INFO, 0, v, c, -1)

static enum labo_lin_verdict
check (struct hb *b, struct labo_lin_result *r)
{
  struct labo_lin_limits lim = { .seconds = 30, .memory_bytes = 256 * 1024 * 1024 };
  return labo_lin_check (&b->h, &lim, r);
}

static void
assert_valid (struct hb *b)
{
  struct labo_lin_result r;
  enum labo_lin_verdict v = check (b, &r);
  if (v != LABO_LIN_VALID)
    fail_msg ("%s, not valid (key %u, culprit %zu)", labo_lin_verdict_name (v), r.key,
              r.culprit);
  assert_int_equal (r.n_witness, 0);
  labo_lin_result_free (&r);
}

/* Invalid, with exactly the witness w[0..n) (indexes, in call order). */
static void
assert_invalid (struct hb *b, const size_t *w, size_t n)
{
  struct labo_lin_result r;
  assert_int_equal (check (b, &r), LABO_LIN_INVALID);
  assert_true (r.witness_minimal);
  if (r.n_witness != n)
    {
      for (size_t i = 0; i < r.n_witness; i++)
        print_message ("witness %zu: op %zu\n", i, r.witness[i]);
      fail_msg ("a witness of %zu ops, not %zu", r.n_witness, n);
    }
  for (size_t i = 0; i < n; i++)
    assert_int_equal (r.witness[i], w[i]);
  labo_lin_result_free (&r);
}

static struct hb *
new_hb (void)
{
  return xcalloc (1, sizeof (struct hb));
}

/* ---- valid ---- */

static void
test_sequential_write_read (void **state)
{
  cleanup_free struct hb *b = new_hb ();
  W (b, 0, 0, 0, 0, 1);
  W (b, 1, 0, 1, 2, 3);
  R (b, 2, 0, 1, 4, 5);
  W (b, 1, 0, 2, 6, 7);
  R (b, 0, 0, 2, 8, 9);
  assert_valid (b);
}

/* A read during a write may see the old value or the new one. */
static void
test_concurrent_read_sees_either (void **state)
{
  cleanup_free struct hb *b = new_hb ();
  W (b, 0, 0, 0, 0, 1);
  W (b, 1, 0, 1, 2, 10);
  R (b, 2, 0, 0, 3, 4);
  R (b, 3, 0, 1, 5, 6);
  assert_valid (b);
  /* at the same nanosecond: concurrent, not ordered */
  cleanup_free struct hb *c = new_hb ();
  W (c, 0, 0, 0, 0, 1);
  W (c, 1, 0, 1, 2, 5);
  R (c, 2, 0, 0, 5, 6);
  assert_valid (c);
}

static void
test_cas_success_and_fail (void **state)
{
  cleanup_free struct hb *b = new_hb ();
  W (b, 0, 0, 0, 0, 1);
  CAS (b, 1, 0, 0, 1, 2, 3);
  add (b, 2, 0, LABO_OP_CAS, LABO_OP_FAIL, 0, 2, 4, 5); /* took no effect */
  R (b, 0, 0, 1, 6, 7);
  CAS (b, 2, 0, 1, 3, 8, 9);
  R (b, 1, 0, 3, 10, 11);
  assert_valid (b);
}

/* An unanswered write that a later read saw: it took effect. */
static void
test_info_write_read_later (void **state)
{
  cleanup_free struct hb *b = new_hb ();
  W (b, 0, 0, 0, 0, 1);
  W_INFO (b, 1, 0, 1, 2);
  R (b, 2, 0, 0, 3, 4);
  R (b, 2, 0, 1, 5, 6);
  R (b, 0, 0, 1, 7, 8);
  assert_valid (b);
}

/* An unanswered write never seen: it never took effect, which is allowed. */
static void
test_info_write_never_read (void **state)
{
  cleanup_free struct hb *b = new_hb ();
  W (b, 0, 0, 0, 0, 1);
  W_INFO (b, 1, 0, 1, 2);
  R (b, 2, 0, 0, 5, 6);
  R (b, 0, 0, 0, 100, 101);
  /* an INFO read says nothing, even of a value never written */
  add (b, 3, 0, LABO_OP_READ, LABO_OP_INFO, 0, 42, 102, -1);
  assert_valid (b);
}

/* The search must undo a first choice: w1 first explains nothing. */
static void
test_valid_needs_backtracking (void **state)
{
  cleanup_free struct hb *b = new_hb ();
  W (b, 0, 0, 0, 0, 1);
  W (b, 1, 0, 1, 2, 10);
  W (b, 2, 0, 2, 2, 10);
  R (b, 3, 0, 2, 3, 4);
  R (b, 3, 0, 1, 5, 6);
  R (b, 0, 0, 1, 11, 12);
  assert_valid (b);
}

/* ---- invalid ---- */

/* Read of an unanswered write's value before the write was called. */
static void
test_read_before_info_write_called (void **state)
{
  cleanup_free struct hb *b = new_hb ();
  W (b, 0, 0, 0, 0, 1);
  R (b, 1, 0, 1, 2, 3);
  W_INFO (b, 2, 0, 1, 5);
  const size_t w[] = { 0, 1, 2 };
  assert_invalid (b, w, 3);
}

/* Write 1 answered, then a read returns 0: the witness is these three,
 * whatever else happened around them. */
static void
test_stale_read (void **state)
{
  cleanup_free struct hb *b = new_hb ();
  W (b, 0, 0, 0, 0, 1);
  R (b, 3, 0, 0, 2, 3);
  W (b, 1, 0, 1, 4, 5);
  R (b, 4, 0, 1, 6, 7);
  R (b, 2, 0, 0, 8, 9); /* stale */
  W (b, 1, 0, 2, 10, 11);
  R (b, 4, 0, 2, 12, 13);
  const size_t w[] = { 0, 2, 4 };
  assert_invalid (b, w, 3);
}

/* Writes 1 then 2, then a read of 1: write 2 lost. */
static void
test_lost_write (void **state)
{
  cleanup_free struct hb *b = new_hb ();
  W (b, 0, 0, 0, 0, 1);
  W (b, 1, 0, 1, 2, 3);
  W (b, 2, 0, 2, 4, 5);
  R (b, 3, 0, 2, 6, 7);
  R (b, 3, 0, 1, 8, 9);
  const size_t w[] = { 0, 1, 2, 4 };
  assert_invalid (b, w, 4);
}

static void
test_cas_on_wrong_value (void **state)
{
  cleanup_free struct hb *b = new_hb ();
  W (b, 0, 0, 0, 0, 1);
  W (b, 1, 0, 1, 2, 3);
  CAS (b, 2, 0, 0, 2, 4, 5); /* 0 -> 2, but it held 1 */
  const size_t w[] = { 0, 1, 2 };
  assert_invalid (b, w, 3);
}

static void
test_read_never_written (void **state)
{
  cleanup_free struct hb *b = new_hb ();
  W (b, 0, 0, 0, 0, 1);
  W (b, 1, 0, 1, 2, 3);
  R (b, 2, 0, 7, 4, 5);
  const size_t w[] = { 0, 2 };
  assert_invalid (b, w, 2);
}

/* A read of 2 then a later read of 1, when write 1 was answered before
 * write 2 was called: both reads are needed. */
static void
test_reads_out_of_order (void **state)
{
  cleanup_free struct hb *b = new_hb ();
  W (b, 0, 0, 0, 0, 1);
  W (b, 1, 0, 1, 2, 3);
  W (b, 1, 0, 2, 4, 20);
  R (b, 2, 0, 2, 5, 6);
  R (b, 3, 0, 1, 7, 8);
  const size_t w[] = { 0, 1, 2, 3, 4 };
  assert_invalid (b, w, 5);
}

/* Two concurrent writes and reads of 1, 2, 1: no order of the writes
 * explains them; every one is tried. */
static void
test_invalid_after_backtracking (void **state)
{
  cleanup_free struct hb *b = new_hb ();
  W (b, 0, 0, 0, 0, 1);
  W (b, 1, 0, 1, 2, 10);
  W (b, 2, 0, 2, 2, 10);
  R (b, 3, 0, 1, 3, 4);
  R (b, 3, 0, 2, 5, 6);
  R (b, 3, 0, 1, 7, 8);
  struct labo_lin_result r;
  assert_int_equal (check (b, &r), LABO_LIN_INVALID);
  assert_int_equal (r.culprit, 5);
  assert_true (r.configs > 3);
  labo_lin_result_free (&r);
  const size_t w[] = { 0, 1, 2, 3, 4, 5 };
  assert_invalid (b, w, 6);
}

/* 40 unanswered writes that nothing reads, concurrent with a stale read:
 * left out, they cost nothing (kept, the proof of invalidity would try
 * every set of them), and they are in no witness. */
static void
test_unread_info_writes_left_out (void **state)
{
  cleanup_free struct hb *b = new_hb ();
  struct labo_lin_result r;
  W (b, 0, 0, 0, 0, 1);
  W (b, 1, 0, 1, 2, 3);
  for (uint32_t p = 0; p < 40; p++)
    W_INFO (b, 10 + p, 0, 100 + p, 4 + p);
  R (b, 2, 0, 0, 100, 101);
  assert_int_equal (check (b, &r), LABO_LIN_INVALID);
  assert_int_equal (r.ops, 3);
  assert_true (r.configs < 100);
  assert_int_equal (r.n_witness, 3);
  assert_int_equal (r.witness[0], 0);
  assert_int_equal (r.witness[1], 1);
  assert_int_equal (r.witness[2], 42);
  labo_lin_result_free (&r);
}

/* Nothing to check is valid; an answer stamped before its call (a clock
 * stepped back) counts as given at the call, not as a fault. */
static void
test_odd_histories (void **state)
{
  cleanup_free struct hb *b = new_hb ();
  struct labo_lin_result r;
  b->h.ops = b->ops;
  assert_int_equal (labo_lin_check (&b->h, NULL, &r), LABO_LIN_VALID);
  assert_int_equal (r.keys, 0);
  assert_int_equal (r.ops, 0);
  labo_lin_result_free (&r);
  W (b, 0, 0, 0, 0, 1);
  W (b, 1, 0, 1, 5, 3);
  R (b, 2, 0, 1, 6, 7);
  assert_valid (b);
  assert_string_equal (labo_lin_verdict_name (LABO_LIN_UNKNOWN), "unknown");
}

/* ---- keys ---- */

/* Each key is its own register: key 1's read of 0 after key 0's write of
 * 1 is no stale read. */
static void
test_keys_apart (void **state)
{
  cleanup_free struct hb *b = new_hb ();
  struct labo_lin_result r;
  W (b, 0, 0, 0, 0, 1);
  W (b, 0, 1, 0, 0, 1);
  W (b, 1, 0, 1, 2, 3);
  R (b, 2, 1, 0, 4, 5);
  R (b, 2, 0, 1, 6, 7);
  assert_int_equal (check (b, &r), LABO_LIN_VALID);
  assert_int_equal (r.keys, 2);
  assert_int_equal (r.keys_checked, 2);
  assert_int_equal (r.ops, 5);
  labo_lin_result_free (&r);
  /* a stale read on key 5 only: key 5 is named, its ops only */
  R (b, 3, 5, LABO_NIL, 8, 9);
  W (b, 3, 5, 9, 10, 11);
  R (b, 2, 5, LABO_NIL, 12, 13);
  assert_int_equal (check (b, &r), LABO_LIN_INVALID);
  assert_int_equal (r.key, 5);
  assert_int_equal (r.n_witness, 2);
  assert_int_equal (r.witness[0], 6);
  assert_int_equal (r.witness[1], 7);
  assert_int_equal (r.culprit, 7);
  labo_lin_result_free (&r);
}

/* ---- limits ---- */

/* 40 concurrent writes, then a read that none explains: the search tries
 * every set of them, with each as the last, some 40 x 2^39 configurations.
 * (Not INFO writes: those whose value nothing reads are left out.) */
static void
blow_up (struct hb *b, uint32_t key)
{
  W (b, 0, key, 0, 0, 1);
  for (uint32_t p = 0; p < 40; p++)
    W (b, p + 1, key, p + 1, 2 + p, 500);
  R (b, 60, key, 1000, 600, 601);
}

static void
test_time_limit (void **state)
{
  cleanup_free struct hb *b = new_hb ();
  struct labo_lin_limits lim = { .seconds = 0.2 };
  struct labo_lin_result r;
  blow_up (b, 0);
  W (b, 0, 1, 0, 0, 1); /* key 1, valid: not reached, or checked */
  double t0 = labo_now ();
  assert_int_equal (labo_lin_check (&b->h, &lim, &r), LABO_LIN_UNKNOWN);
  assert_true (labo_now () - t0 < 2);
  assert_string_equal (r.why, "time limit of 0.2 s");
  assert_int_equal (r.key, 0);
  assert_int_equal (r.keys, 2);
  assert_int_equal (r.n_witness, 0);
  labo_lin_result_free (&r);
}

static void
test_memory_limit (void **state)
{
  cleanup_free struct hb *b = new_hb ();
  struct labo_lin_limits lim = { .seconds = 20, .memory_bytes = 1024 * 1024 };
  struct labo_lin_result r;
  blow_up (b, 3);
  assert_int_equal (labo_lin_check (&b->h, &lim, &r), LABO_LIN_UNKNOWN);
  assert_string_equal (r.why, "memory limit of 1 MiB");
  assert_int_equal (r.key, 3);
  assert_true (r.peak_bytes <= lim.memory_bytes);
  assert_true (r.peak_bytes > lim.memory_bytes / 4);
  labo_lin_result_free (&r);
  /* an invalid key after the unknown one settles it */
  W (b, 0, 4, 0, 0, 1);
  W (b, 1, 4, 1, 2, 3);
  R (b, 2, 4, 0, 4, 5);
  assert_int_equal (labo_lin_check (&b->h, &lim, &r), LABO_LIN_INVALID);
  assert_int_equal (r.key, 4);
  assert_int_equal (r.keys_checked, 2);
  assert_int_equal (r.n_witness, 3);
  labo_lin_result_free (&r);
}

/* ---- against brute force ---- */

struct bop
{
  int64_t call, ret; /* ret INT64_MAX: INFO */
  enum labo_op_f f;
  int64_t value, expect;
  bool info;
};

static bool
bstep (int64_t s, const struct bop *o, int64_t *next)
{
  switch (o->f)
    {
    case LABO_OP_READ:
      *next = s;
      return s == o->value;
    case LABO_OP_WRITE:
      *next = o->value;
      return true;
    case LABO_OP_CAS:
    default:
      *next = o->value;
      return s == o->expect;
    }
}

/* Places, one by one, an operation that no unplaced answered one must
 * precede (it answered before this one's call); INFO ones may stay out. */
static bool
dfs (const struct bop *o, size_t n, unsigned placed, int64_t s)
{
  bool all = true;
  for (size_t i = 0; i < n; i++)
    if (!(placed & (1u << i)) && !o[i].info)
      all = false;
  if (all)
    return true;
  for (size_t i = 0; i < n; i++)
    {
      int64_t next;
      bool free_to_go = true;
      if (placed & (1u << i))
        continue;
      for (size_t j = 0; j < n && free_to_go; j++)
        if (j != i && !(placed & (1u << j)) && !o[j].info && o[j].ret < o[i].call)
          free_to_go = false;
      if (free_to_go && bstep (s, &o[i], &next) && dfs (o, n, placed | (1u << i), next))
        return true;
    }
  return false;
}

/* The ops of h selected by sel (NULL: all), as the checker takes them. */
static bool
brute_linearizable (const struct labo_history *h, const size_t *sel, size_t k)
{
  struct bop o[16];
  size_t n = 0;
  for (size_t i = 0; i < k; i++)
    {
      const struct labo_op *op = &h->ops[sel ? sel[i] : i];
      if (op->type == LABO_OP_FAIL || (op->type == LABO_OP_INFO && op->f == LABO_OP_READ))
        continue;
      assert_true (n < 16);
      o[n++] = (struct bop) { op->call_ns, op->type == LABO_OP_INFO ? INT64_MAX : op->ret_ns,
                              op->f, op->value, op->expect, op->type == LABO_OP_INFO };
    }
  return dfs (o, n, 0, LABO_NIL);
}

/* A random history of one key: up to 8 ops by 3 clients, small values so
 * that they meet; half of them made by a real register (ops taking effect
 * at a random moment of their span, INFO ones maybe not at all), then
 * perhaps one read altered; half made of random answers. */
static void
random_history (struct labo_rng *g, struct hb *b, size_t max_ops, int clients)
{
  int64_t t[4], eff[16];
  uint32_t proc[4] = { 0, 1, 2, 3 }, next_proc = 4;
  size_t n = 2 + labo_rng_below (g, max_ops - 1);
  bool real = labo_rng_below (g, 2);

  memset (b, 0, sizeof *b);
  if (labo_rng_below (g, 5))
    {
      W (b, 9, 0, 0, 0, 1);
      eff[0] = 0;
    }
  for (int c = 0; c < clients; c++)
    t[c] = 1 + (int64_t) labo_rng_below (g, 4);
  while (b->h.n_ops < n)
    {
      int c = (int) labo_rng_below (g, (uint64_t) clients);
      int64_t call = t[c], d = 1 + (int64_t) labo_rng_below (g, 6);
      uint64_t k = labo_rng_below (g, 10);
      enum labo_op_f f = k < 4 ? LABO_OP_READ : k < 8 ? LABO_OP_WRITE : LABO_OP_CAS;
      uint64_t ty = labo_rng_below (g, 10);
      enum labo_op_type type = ty < 8 ? LABO_OP_OK : ty < 9 ? LABO_OP_INFO : LABO_OP_FAIL;
      int64_t v = 1 + (int64_t) labo_rng_below (g, 3), e = (int64_t) labo_rng_below (g, 4);
      if (f == LABO_OP_READ)
        v = labo_rng_below (g, 8) ? (int64_t) labo_rng_below (g, 4) : LABO_NIL;
      size_t i = add (b, proc[c], 0, f, type, e, v, call, call + d);
      eff[i] = call + (int64_t) labo_rng_below (g, (uint64_t) d + 1);
      if (type == LABO_OP_INFO)
        {
          proc[c] = next_proc++;
          if (labo_rng_below (g, 2))
            eff[i] = -1; /* never took effect */
        }
      t[c] = call + d + (int64_t) labo_rng_below (g, 3);
    }
  /* the ops, in call order (stable) */
  for (size_t i = 1; i < b->h.n_ops; i++)
    for (size_t j = i; j > 0 && b->ops[j - 1].call_ns > b->ops[j].call_ns; j--)
      {
        struct labo_op x = b->ops[j];
        int64_t y = eff[j];
        b->ops[j] = b->ops[j - 1];
        eff[j] = eff[j - 1];
        b->ops[j - 1] = x;
        eff[j - 1] = y;
      }
  if (!real)
    return;
  /* play them on a register in the order they took effect */
  size_t order[16], m = 0;
  for (size_t i = 0; i < b->h.n_ops; i++)
    if (eff[i] >= 0 && b->ops[i].type != LABO_OP_FAIL)
      order[m++] = i;
  for (size_t i = 1; i < m; i++)
    for (size_t j = i; j > 0 && eff[order[j - 1]] > eff[order[j]]; j--)
      {
        size_t x = order[j];
        order[j] = order[j - 1];
        order[j - 1] = x;
      }
  int64_t s = LABO_NIL;
  for (size_t i = 0; i < m; i++)
    {
      struct labo_op *o = &b->ops[order[i]];
      if (o->f == LABO_OP_READ)
        o->value = s;
      else if (o->f == LABO_OP_WRITE)
        s = o->value;
      else if (s == o->expect)
        s = o->value;
      else if (o->type == LABO_OP_OK)
        o->type = LABO_OP_FAIL;
    }
  if (labo_rng_below (g, 3) == 0)
    for (size_t i = 0; i < b->h.n_ops; i++)
      if (b->ops[i].f == LABO_OP_READ && b->ops[i].type == LABO_OP_OK)
        {
          b->ops[i].value = (int64_t) labo_rng_below (g, 4);
          break;
        }
}

/* The witness is closed as the checker means it: every value observed
 * that some op of the key writes is written by an op of the witness. */
static void
close_sel (const struct labo_history *h, size_t *sel, size_t *k, ssize_t pinned)
{
  for (bool dropped = true; dropped;)
    {
      size_t j = 0;
      dropped = false;
      for (size_t i = 0; i < *k; i++)
        {
          const struct labo_op *o = &h->ops[sel[i]];
          int64_t v = o->f == LABO_OP_READ ? o->value : o->expect;
          bool keep = true;
          if ((ssize_t) sel[i] != pinned && o->f != LABO_OP_WRITE && v != LABO_NIL)
            {
              bool anywhere = false, here = false;
              for (size_t a = 0; a < h->n_ops; a++)
                if (h->ops[a].f != LABO_OP_READ && h->ops[a].value == v
                    && h->ops[a].type != LABO_OP_FAIL)
                  anywhere = true;
              for (size_t a = 0; a < *k; a++)
                if (h->ops[sel[a]].f != LABO_OP_READ && h->ops[sel[a]].value == v)
                  here = true;
              keep = !anywhere || here;
            }
          if (keep)
            sel[j++] = sel[i];
          else
            dropped = true;
        }
      *k = j;
    }
}

static void
print_history (const struct labo_history *h)
{
  for (size_t i = 0; i < h->n_ops; i++)
    {
      const struct labo_op *o = &h->ops[i];
      print_message ("  %zu: p%u f%d t%d %lld->%lld [%lld, %lld]\n", i, o->process, o->f,
                     o->type, (long long) o->expect, (long long) o->value,
                     (long long) o->call_ns, (long long) o->ret_ns);
    }
}

static void
random_against_brute_force (size_t max_ops, int clients, int n_default, uint64_t seed_default)
{
  struct labo_rng g;
  cleanup_free struct hb *b = new_hb ();
  size_t counts[3] = { 0 };
  /* LABO_LIN_SEED and LABO_LIN_ROUNDS try others, by hand */
  const char *seed = getenv ("LABO_LIN_SEED"), *rounds = getenv ("LABO_LIN_ROUNDS");
  int n = rounds ? atoi (rounds) : n_default;
  labo_rng_seed (&g, seed ? strtoull (seed, NULL, 10) : seed_default, 0);
  for (int round = 0; round < n; round++)
    {
      struct labo_lin_result r;
      random_history (&g, b, max_ops, clients);
      bool expect = brute_linearizable (&b->h, NULL, b->h.n_ops);
      enum labo_lin_verdict v = labo_lin_check (&b->h, NULL, &r);
      counts[v]++;
      if (v != (expect ? LABO_LIN_VALID : LABO_LIN_INVALID))
        {
          print_history (&b->h);
          fail_msg ("round %d: %s, brute force says %s", round, labo_lin_verdict_name (v),
                    expect ? "valid" : "invalid");
        }
      if (v == LABO_LIN_INVALID)
        {
          /* the witness: unexplained, the initial write kept, closed,
           * and no single op removable */
          /* the key's first op, if an answered write, is its initial one */
          ssize_t pinned = -1;
          if (b->ops[0].type == LABO_OP_OK && b->ops[0].f == LABO_OP_WRITE)
            pinned = 0;
          assert_true (r.witness_minimal);
          assert_true (r.n_witness > 0 && r.n_witness <= b->h.n_ops);
          for (size_t i = 1; i < r.n_witness; i++)
            assert_true (r.witness[i - 1] < r.witness[i]);
          assert_false (brute_linearizable (&b->h, r.witness, r.n_witness));
          if (pinned >= 0)
            assert_int_equal (r.witness[0], pinned);
          size_t sel[16], k = r.n_witness;
          memcpy (sel, r.witness, k * sizeof *sel);
          close_sel (&b->h, sel, &k, pinned);
          assert_int_equal (k, r.n_witness);
          for (size_t drop = 0; drop < r.n_witness; drop++)
            {
              if ((ssize_t) r.witness[drop] == pinned)
                continue;
              k = 0;
              for (size_t i = 0; i < r.n_witness; i++)
                if (i != drop)
                  sel[k++] = r.witness[i];
              close_sel (&b->h, sel, &k, pinned);
              if (!brute_linearizable (&b->h, sel, k))
                {
                  print_history (&b->h);
                  for (size_t i = 0; i < r.n_witness; i++)
                    print_message ("  witness: %zu\n", r.witness[i]);
                  fail_msg ("round %d: the witness without its op %zu is still a witness",
                            round, r.witness[drop]);
                }
            }
        }
      labo_lin_result_free (&r);
    }
  print_message ("%d histories: %zu valid, %zu invalid\n", n, counts[0], counts[1]);
  assert_int_equal (counts[LABO_LIN_UNKNOWN], 0);
  assert_true (counts[LABO_LIN_VALID] > (size_t) n / 5);
  assert_true (counts[LABO_LIN_INVALID] > (size_t) n / 5);
}

/* Up to 9 ops by 3 clients, 20,000 times. */
static void
test_random_against_brute_force (void **state)
{
  random_against_brute_force (8, 3, 20000, 17);
}

/* Up to 13 ops by 4 clients, 20,000 times: longer searches. */
static void
test_random_longer_against_brute_force (void **state)
{
  random_against_brute_force (12, 4, 20000, 23);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_sequential_write_read),
    cmocka_unit_test (test_concurrent_read_sees_either),
    cmocka_unit_test (test_cas_success_and_fail),
    cmocka_unit_test (test_info_write_read_later),
    cmocka_unit_test (test_info_write_never_read),
    cmocka_unit_test (test_valid_needs_backtracking),
    cmocka_unit_test (test_read_before_info_write_called),
    cmocka_unit_test (test_stale_read),
    cmocka_unit_test (test_lost_write),
    cmocka_unit_test (test_cas_on_wrong_value),
    cmocka_unit_test (test_read_never_written),
    cmocka_unit_test (test_reads_out_of_order),
    cmocka_unit_test (test_invalid_after_backtracking),
    cmocka_unit_test (test_unread_info_writes_left_out),
    cmocka_unit_test (test_odd_histories),
    cmocka_unit_test (test_keys_apart),
    cmocka_unit_test (test_time_limit),
    cmocka_unit_test (test_memory_limit),
    cmocka_unit_test (test_random_against_brute_force),
    cmocka_unit_test (test_random_longer_against_brute_force),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
