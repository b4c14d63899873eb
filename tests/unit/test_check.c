/* Unit tests for the check's analysis (src/zk/check-report.c): made-up
 * records of writes and of what each node holds, one per kind of loss,
 * so that "ok" is shown to be earned: a missing write, an altered one,
 * nodes that disagree, sequence and zxid orders that disagree, a
 * session's writes numbered out of order, a refused write that was
 * applied, a node that could not be read. And the timeline and outages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/zk/check-internal.h"
#include "labo/zk/check.h"
#include "labo/util/util.h"

#define N_NODES 3
#define N_TICKS 10

/* Three writers, ten ticks, every write acknowledged: znode w<k>-<seq>,
 * seq = tick * 3 + k, czxid = 0x100 + seq. Each node holds all of them. */
struct fixture
{
  struct cw w[N_NODES * N_TICKS];
  struct cnode nodes[N_NODES];
  struct check_record r;
};

static int
cmp_name (const void *a, const void *b)
{
  return strcmp (((const struct cz *) a)->name, ((const struct cz *) b)->name);
}

/* The index on node i of the znode numbered seq. */
static size_t
at (const struct fixture *f, size_t i, long long seq)
{
  for (size_t j = 0; j < f->nodes[i].nz; j++)
    if (check_seq (f->nodes[i].z[j].name) == seq)
      return j;
  fail_msg ("no znode %lld on node %zu", seq, i);
  return 0;
}

static void
make (struct fixture *f)
{
  static const char *names[N_NODES] = { "zoo1", "zoo2", "zoo3" };

  memset (f, 0, sizeof (*f));
  for (long t = 0; t < N_TICKS; t++)
    for (uint32_t k = 0; k < N_NODES; k++)
      {
        struct cw *w = &f->w[t * N_NODES + k];
        w->writer = k;
        w->session = 1;
        w->n = (uint64_t) t;
        w->tick = t;
        w->t0 = (double) t / 10;
        w->t1 = w->t0 + 0.005;
        w->state = CW_ACKED;
        w->name = xasprintf ("w%u-%010ld", k, t * N_NODES + k);
      }
  for (size_t i = 0; i < N_NODES; i++)
    {
      struct cnode *n = &f->nodes[i];
      n->name = xstrdup (names[i]);
      n->endpoint = xasprintf ("198.51.100.%zu:32181", 66 + i);
      n->verified = true;
      n->nz = N_NODES * N_TICKS;
      n->z = xcalloc (n->nz, sizeof (*n->z));
      for (size_t j = 0; j < n->nz; j++)
        {
          const struct cw *w = &f->w[j];
          n->z[j].name = xstrdup (w->name);
          n->z[j].data = check_data (w->writer, w->session, w->n);
          n->z[j].czxid = 0x100 + (int64_t) j;
        }
      /* as check.c leaves them: sorted by name */
      qsort (n->z, n->nz, sizeof (*n->z), cmp_name);
    }
  f->r = (struct check_record){ .lab = "zk3", .root = "/labo-check/t", .rate = 10,
                                .duration_s = 1.0, .ticks = N_TICKS, .w = f->w,
                                .n_w = N_NODES * N_TICKS, .nodes = f->nodes,
                                .n_nodes = N_NODES };
}

static void
release (struct fixture *f)
{
  for (size_t i = 0; i < f->r.n_w; i++)
    free (f->w[i].name);
  for (size_t i = 0; i < N_NODES; i++)
    {
      for (size_t j = 0; j < f->nodes[i].nz; j++)
        {
          free (f->nodes[i].z[j].name);
          free (f->nodes[i].z[j].data);
        }
      free (f->nodes[i].z);
      free (f->nodes[i].name);
      free (f->nodes[i].endpoint);
      free (f->nodes[i].why);
    }
}

/* Removes znode j from node i (keeping it sorted by name). */
static void
drop (struct fixture *f, size_t i, size_t j)
{
  struct cnode *n = &f->nodes[i];
  free (n->z[j].name);
  free (n->z[j].data);
  memmove (&n->z[j], &n->z[j + 1], (n->nz - j - 1) * sizeof (*n->z));
  n->nz--;
}

static json_int_t
geti (json_t *rep, const char *obj, const char *key)
{
  return json_integer_value (json_object_get (json_object_get (rep, obj), key));
}

/* The analysis, printed (it must not crash either), and its verdict. */
static json_t *
analyse (struct fixture *f)
{
  json_t *rep = check_analyse (&f->r);
  FILE *null = fopen ("/dev/null", "w");
  labo_check_print (rep, null);
  fclose (null);
  return rep;
}

static void
test_all_there (void **state)
{
  struct fixture f;
  json_t *rep;

  make (&f);
  rep = analyse (&f);
  assert_string_equal (labo_check_verdict (rep), "ok");
  assert_int_equal (geti (rep, "writes", "acknowledged"), 30);
  assert_int_equal (json_array_size (json_object_get (rep, "outages")), 0);
  assert_int_equal (json_array_size (json_object_get (rep, "verified")), 3);
  assert_string_equal (json_string_value (json_object_get (
                           json_array_get (json_object_get (rep, "nodes"), 0), "timeline")),
                       "#");
  json_decref (rep);
  release (&f);
}

static void
test_missing_on_one_node (void **state)
{
  struct fixture f;
  json_t *rep;

  make (&f);
  drop (&f, 2, at (&f, 2, 7));
  rep = analyse (&f);
  assert_string_equal (labo_check_verdict (rep), "lost");
  assert_int_equal (geti (rep, "lost", "missing"), 1);
  assert_non_null (strstr (json_string_value (json_array_get (
                               json_object_get (json_object_get (rep, "lost"), "examples"), 0)),
                           "is not on zoo3"));
  json_decref (rep);
  release (&f);
}

static void
test_missing_everywhere (void **state)
{
  struct fixture f;
  json_t *rep;

  make (&f);
  for (size_t i = 0; i < N_NODES; i++)
    drop (&f, i, at (&f, i, 4));
  rep = analyse (&f);
  assert_string_equal (labo_check_verdict (rep), "lost");
  assert_int_equal (geti (rep, "lost", "missing"), 1);
  json_decref (rep);
  release (&f);
}

static void
test_altered (void **state)
{
  struct fixture f;
  json_t *rep;

  make (&f);
  free (f.nodes[1].z[at (&f, 1, 3)].data);
  f.nodes[1].z[at (&f, 1, 3)].data = xstrdup ("w9 s9 n9");
  rep = analyse (&f);
  assert_string_equal (labo_check_verdict (rep), "lost");
  assert_int_equal (geti (rep, "lost", "altered"), 1);
  json_decref (rep);
  release (&f);
}

static void
test_czxid_differs (void **state)
{
  struct fixture f;
  json_t *rep;

  make (&f);
  f.nodes[2].z[at (&f, 2, 5)].czxid = 0x9999;
  rep = analyse (&f);
  assert_string_equal (labo_check_verdict (rep), "lost");
  assert_true (geti (rep, "divergent", "count") >= 1);
  json_decref (rep);
  release (&f);
}

/* The leader numbered two znodes against the order it committed them. */
static void
test_seq_against_zxid (void **state)
{
  struct fixture f;
  json_t *rep;

  make (&f);
  for (size_t i = 0; i < N_NODES; i++)
    {
      struct cz *a = &f.nodes[i].z[at (&f, i, 10)], *b = &f.nodes[i].z[at (&f, i, 11)];
      int64_t t = a->czxid;
      a->czxid = b->czxid;
      b->czxid = t;
    }
  rep = analyse (&f);
  assert_string_equal (labo_check_verdict (rep), "lost");
  assert_int_equal (geti (rep, "order_errors", "count"), 3); /* once a node */
  json_decref (rep);
  release (&f);
}

/* One session's later write got the lower number: FIFO order broken. */
static void
test_session_order (void **state)
{
  struct fixture f;
  json_t *rep;
  char *t;

  make (&f);
  /* writer 0's writes n2 and n3 swap names (and what the nodes hold
   * follows, so that only the session order is wrong) */
  t = f.w[2 * N_NODES].name;
  f.w[2 * N_NODES].name = f.w[3 * N_NODES].name;
  f.w[3 * N_NODES].name = t;
  for (size_t i = 0; i < N_NODES; i++)
    {
      struct cz *a = &f.nodes[i].z[at (&f, i, 6)], *b = &f.nodes[i].z[at (&f, i, 9)];
      char *d = a->data;
      a->data = b->data;
      b->data = d;
    }
  rep = analyse (&f);
  assert_string_equal (labo_check_verdict (rep), "lost");
  assert_int_equal (geti (rep, "order_errors", "count"), 1);
  json_decref (rep);
  release (&f);
}

/* A znode only one node holds, that nobody acknowledged. */
static void
test_extra_on_one_node (void **state)
{
  struct fixture f;
  json_t *rep;

  make (&f);
  f.w[29].state = CW_INDETERMINATE;
  drop (&f, 0, at (&f, 0, 29));
  drop (&f, 1, at (&f, 1, 29));
  rep = analyse (&f);
  assert_string_equal (labo_check_verdict (rep), "lost");
  assert_int_equal (geti (rep, "divergent", "count"), 1);
  json_decref (rep);
  release (&f);
}

/* Unanswered writes may or may not be there; both are fine. */
static void
test_indeterminate (void **state)
{
  struct fixture f;
  json_t *rep;

  make (&f);
  f.w[28].state = CW_INDETERMINATE; /* applied: all nodes hold it */
  f.w[29].state = CW_PENDING;       /* not applied */
  for (size_t i = 0; i < N_NODES; i++)
    drop (&f, i, at (&f, i, 29));
  rep = analyse (&f);
  assert_string_equal (labo_check_verdict (rep), "ok");
  assert_int_equal (geti (rep, "writes", "indeterminate"), 2);
  assert_int_equal (geti (rep, "writes", "indeterminate_applied"), 1);
  json_decref (rep);
  release (&f);
}

/* A write recorded as refused (never sent) cannot be on the nodes. */
static void
test_refused_but_there (void **state)
{
  struct fixture f;
  json_t *rep;

  make (&f);
  f.w[12].state = CW_REFUSED;
  rep = analyse (&f);
  assert_string_equal (labo_check_verdict (rep), "lost");
  assert_int_equal (geti (rep, "divergent", "count"), 1);
  json_decref (rep);
  release (&f);
}

static void
test_unverified_node (void **state)
{
  struct fixture f;
  json_t *rep;

  make (&f);
  f.nodes[1].verified = false;
  f.nodes[1].why = xstrdup ("no session");
  rep = analyse (&f);
  assert_string_equal (labo_check_verdict (rep), "unverified");
  json_decref (rep);
  /* and loss still wins over it */
  drop (&f, 0, 0);
  rep = analyse (&f);
  assert_string_equal (labo_check_verdict (rep), "lost");
  json_decref (rep);
  release (&f);
}

/* Ticks 3 to 5 acknowledged nowhere: one outage, 0.3 s; the timeline of
 * 1 s shows it as '+' (some acknowledged), x and . by kind. */
static void
test_outage (void **state)
{
  struct fixture f;
  json_t *rep, *o;

  make (&f);
  for (long t = 3; t <= 5; t++)
    for (uint32_t k = 0; k < N_NODES; k++)
      {
        struct cw *w = &f.w[t * N_NODES + k];
        w->state = k == 0 ? CW_REFUSED : CW_INDETERMINATE;
        for (size_t i = 0; i < N_NODES; i++)
          for (size_t j = 0; j < f.nodes[i].nz; j++)
            if (strcmp (f.nodes[i].z[j].name, w->name) == 0)
              {
                drop (&f, i, j);
                break;
              }
        free (w->name);
        w->name = NULL;
      }
  rep = analyse (&f);
  assert_string_equal (labo_check_verdict (rep), "ok");
  o = json_object_get (rep, "outages");
  assert_int_equal (json_array_size (o), 1);
  assert_true (fabs (json_real_value (json_object_get (json_array_get (o, 0), "from")) - 0.3)
               < 1e-9);
  assert_true (fabs (json_real_value (json_object_get (json_array_get (o, 0), "s")) - 0.3)
               < 1e-9);
  assert_string_equal (json_string_value (json_object_get (
                           json_array_get (json_object_get (rep, "nodes"), 0), "timeline")),
                       "+");
  assert_true (json_real_value (json_object_get (json_array_get (json_object_get (rep, "nodes"),
                                                                 1),
                                                 "unavailable_s"))
               > 0.29);
  json_decref (rep);
  release (&f);
}

static void
test_seq (void **state)
{
  assert_int_equal (check_seq ("w0-0000000042"), 42);
  assert_int_equal (check_seq ("w12-0000000000"), 0);
  assert_int_equal (check_seq ("w0-"), -1);
  assert_int_equal (check_seq ("w0-12x"), -1);
  assert_int_equal (check_seq ("nodash"), -1);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_all_there),       cmocka_unit_test (test_missing_on_one_node),
    cmocka_unit_test (test_missing_everywhere), cmocka_unit_test (test_altered),
    cmocka_unit_test (test_czxid_differs),   cmocka_unit_test (test_seq_against_zxid),
    cmocka_unit_test (test_session_order),   cmocka_unit_test (test_extra_on_one_node),
    cmocka_unit_test (test_indeterminate),   cmocka_unit_test (test_refused_but_there),
    cmocka_unit_test (test_unverified_node), cmocka_unit_test (test_outage),
    cmocka_unit_test (test_seq),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
