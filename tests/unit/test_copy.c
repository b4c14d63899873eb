/* Unit tests for copies of a lab (include/labo/model/copy.h): names that
 * fit IFNAMSIZ, the pool's blocks, the mapping, the meta's text. Pure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "labo/engine/gate.h"
#include "labo/model/copy.h"
#include "labo/model/labfile.h"
#include "labo/model/plan.h"
#include "labo/util/util.h"

static struct labo_lab *
seed (void)
{
  struct labo_diags d = { NULL, 0 };
  struct labo_lab *lab = labo_labfile_parse (LABO_SEED_FILE, labo_seed_yaml,
                                             labo_seed_yaml_len, &d);
  labo_diags_free (&d);
  assert_non_null (lab);
  return lab;
}

static struct labo_prefix
pfx (const char *s)
{
  struct labo_prefix p;
  bool has_len;
  assert_int_equal (labo_prefix_parse (s, &p, &has_len), 0);
  return p;
}

static void
ifnames_fit_and_differ (void **state)
{
  char a[IFNAMSIZ], b[IFNAMSIZ], c[IFNAMSIZ];
  (void) state;

  labo_copy_ifname ("seed-3", "internet", 0, a);
  assert_string_equal (a, "seed-3-internet"); /* 15 bytes: fits as it is */
  labo_copy_ifname ("attendee15", "internet", 0, a);
  labo_copy_ifname ("attendee14", "internet", 0, b);
  assert_int_equal (strlen (a), 15);
  assert_memory_equal (a, "attendee-", 9);
  assert_string_not_equal (a, b);
  /* the same names, the same interface: down finds what up made */
  labo_copy_ifname ("attendee15", "internet", 0, c);
  assert_string_equal (a, c);
  labo_copy_ifname ("attendee15", "internet", 1, c);
  assert_string_not_equal (a, c);
  labo_copy_ifname ("a-very-long-copy-name-of-32-byte", "s", 0, c);
  assert_int_equal (strlen (c), 15);
}

static void
a_copy_is_the_file_under_another_name (void **state)
{
  struct labo_lab *lab = seed ();
  cleanup_plan struct labo_plan *p = NULL;
  labo_error_t err = NULL;
  char buf[20];
  (void) state;

  assert_int_equal (labo_lab_copy (lab, "attendee15", &err), 0);
  assert_string_equal (lab->name, "attendee15");
  assert_string_equal (lab->copy_of, "seed");
  assert_int_equal (strlen (lab->segments[0].root_ifname), 15);
  /* a copy of a copy, or a bad name: refused */
  assert_int_equal (labo_lab_copy (lab, "again", &err), -1);
  labo_error_release (&err);

  /* mapped on 198.18.4.0/24: the machine's side is .1 of the block */
  assert_int_equal (labo_copy_roots_apply (lab, "internet:198.18.4.0/24"), 0);
  assert_true (lab->segments[0].mapped);
  assert_string_equal (labo_ipv4_format (labo_segment_root_address (&lab->segments[0]), buf),
                       "198.18.4.1");
  assert_string_equal (labo_ipv4_format (labo_lab_outside (lab, lab->hosts[0].lab_address), buf),
                       "198.18.4.198");
  /* the hosts keep the file's addresses: the plan's root address alone moves */
  p = labo_plan_build (lab);
  assert_string_equal (p->switch_ns, "labo.attendee15");
  for (size_t i = 0; i < p->n_addrs; i++)
    if (p->addrs[i].ns == LABO_NS_ROOT)
      assert_string_equal (labo_prefix_format (&p->addrs[i].addr, buf), "198.18.4.1/24");
    else
      assert_int_equal (p->addrs[i].addr.addr >> 8, 0xc63364); /* 198.51.100.x */

  {
    size_t n = 0;
    struct labo_gate *g = labo_gates_build (lab, p, &n);
    assert_int_equal (n, 1);
    assert_true (g[0].mapped);
    assert_int_equal (g[0].map.inside, 0xc6336400u);
    assert_int_equal (g[0].map.outside, 0xc6120400u);
    assert_int_equal (g[0].map.len, 24);
    assert_int_equal (g[0].map.root, 0xc6336401u);
    labo_gates_free (g, n);
  }
  {
    cleanup_free char *t = labo_copy_roots_text (lab);
    assert_string_equal (t, "internet:198.18.4.0/24");
  }
  labo_lab_free (lab);
}

static void
roots_text_is_checked (void **state)
{
  struct labo_lab *lab = seed ();
  labo_error_t err = NULL;
  struct labo_prefix *v = NULL;
  size_t n = 0;
  (void) state;

  assert_int_equal (labo_lab_copy (lab, "c1", &err), 0);
  assert_int_equal (labo_copy_roots_apply (lab, ""), -1);                   /* unmapped */
  assert_int_equal (labo_copy_roots_apply (lab, "nosuch:198.18.0.0/24"), -1);
  assert_int_equal (labo_copy_roots_apply (lab, "internet:198.18.0.0/23"), -1); /* size */
  assert_int_equal (labo_copy_roots_apply (lab, "internet:junk"), -1);
  assert_int_equal (labo_copy_roots_apply (lab, "internet"), -1);
  labo_copy_roots_prefixes ("a:198.18.0.0/24 junk b:198.18.9.0/24 c:1.2.3.4", &v, &n);
  assert_int_equal (n, 2);
  assert_int_equal (v[1].addr, 0xc6120900u);
  free (v);
  labo_lab_free (lab);
}

static bool
busy_first (const struct labo_prefix *b, void *ctx)
{
  return b->addr == *(uint32_t *) ctx;
}

static void
pool_gives_the_first_free_aligned_block (void **state)
{
  struct labo_prefix pool = pfx ("198.18.0.0/15"), out, used[2];
  uint32_t busy = 0xc6120100u; /* 198.18.1.0: the machine's */
  labo_error_t err = NULL;
  (void) state;

  assert_int_equal (labo_pool_pick (&pool, 24, NULL, 0, NULL, NULL, &out), 0);
  assert_int_equal (out.addr, 0xc6120000u);
  used[0] = pfx ("198.18.0.0/24");
  used[1] = pfx ("198.18.2.0/23"); /* a larger block covers two */
  assert_int_equal (labo_pool_pick (&pool, 24, used, 2, busy_first, &busy, &out), 0);
  assert_int_equal (out.addr, 0xc6120400u); /* .0 used, .1 busy, .2-.3 used */
  assert_int_equal (out.len, 24);
  /* a /23 pool holds two /24 blocks, and no third */
  pool = pfx ("198.18.200.0/23");
  used[0] = pfx ("198.18.200.0/24");
  used[1] = pfx ("198.18.201.0/24");
  assert_int_equal (labo_pool_pick (&pool, 24, used, 2, NULL, NULL, &out), -1);
  /* a block larger than the pool */
  assert_int_equal (labo_pool_pick (&pool, 16, NULL, 0, NULL, NULL, &out), -1);

  assert_int_equal (labo_pool_parse ("10.0.0.0/8", &pool, &err), 0);
  assert_int_equal (labo_pool_parse ("10.0.0.1/8", &pool, &err), -1);
  assert_string_equal (err->msg, "the pool '10.0.0.1/8' has host bits set");
  labo_error_release (&err);
  assert_int_equal (labo_pool_parse ("10.0.0.0", &pool, &err), -1);
  labo_error_release (&err);
  assert_int_equal (labo_pool_parse ("0.0.0.0/0", &pool, &err), -1);
  labo_error_release (&err);
  setenv ("LABO_POOL", "junk", 1);
  assert_int_equal (labo_pool_get (&pool, &err), -1);
  assert_non_null (strstr (err->msg, "LABO_POOL"));
  labo_error_release (&err);
  unsetenv ("LABO_POOL");
  assert_int_equal (labo_pool_get (&pool, &err), 0);
  assert_int_equal (pool.addr, 0xc6120000u);
  assert_int_equal (pool.len, 15);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (ifnames_fit_and_differ),
    cmocka_unit_test (a_copy_is_the_file_under_another_name),
    cmocka_unit_test (roots_text_is_checked),
    cmocka_unit_test (pool_gives_the_first_free_aligned_block),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
