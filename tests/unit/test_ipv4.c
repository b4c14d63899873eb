/* Unit tests for IPv4 parsing and prefix arithmetic (src/util/ipv4.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "labo/util/ipv4.h"

static uint32_t
A (const char *s)
{
  uint32_t a = 0;
  assert_int_equal (labo_ipv4_parse (s, &a), 0);
  return a;
}

static void
test_parse_good (void **state)
{
  assert_int_equal (A ("0.0.0.0"), 0);
  assert_int_equal (A ("255.255.255.255"), UINT32_MAX);
  assert_int_equal (A ("203.0.113.198"), 0xcb0071c6);
  assert_int_equal (A ("10.0.0.1"), 0x0a000001);
  assert_int_equal (A ("1.2.3.4"), 0x01020304);
}

static void
test_parse_bad (void **state)
{
  static const char *const bad[] = {
    "", "1", "1.2", "1.2.3", "1.2.3.4.5", "1.2.3.", ".1.2.3", "1..2.3",
    "256.0.0.1", "1.2.3.300", "010.0.0.1", "1.2.3.04", "00.1.2.3", "1.2.3.4 ",
    " 1.2.3.4", "1.2.3.4/24", "a.b.c.d", "1.2.3.-4", "+1.2.3.4", "1.2.3.0x1",
    "1.2.3.4\n", "1000.1.1.1", "1.2.3.4.",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      uint32_t a = 42;
      if (labo_ipv4_parse (bad[i], &a) != -1)
        fail_msg ("'%s' parsed", bad[i]);
      assert_int_equal (a, 42); /* untouched on failure */
    }
  assert_int_equal (labo_ipv4_parse (NULL, NULL), -1);
}

static void
test_prefix_parse (void **state)
{
  struct labo_prefix p;
  bool has_len = true;

  assert_int_equal (labo_prefix_parse ("203.0.113.0/24", &p, NULL), 0);
  assert_int_equal (p.addr, A ("203.0.113.0"));
  assert_int_equal (p.len, 24);
  assert_int_equal (labo_prefix_parse ("0.0.0.0/0", &p, NULL), 0);
  assert_int_equal (p.len, 0);
  assert_int_equal (labo_prefix_parse ("1.2.3.4/32", &p, NULL), 0);
  assert_int_equal (p.len, 32);

  /* a NULL has_len requires the length */
  assert_int_equal (labo_prefix_parse ("1.2.3.4", &p, NULL), -1);
  assert_int_equal (labo_prefix_parse ("1.2.3.4", &p, &has_len), 0);
  assert_false (has_len);
  assert_int_equal (p.len, 32);
  assert_int_equal (labo_prefix_parse ("1.2.3.4/8", &p, &has_len), 0);
  assert_true (has_len);
  assert_int_equal (p.len, 8);

  static const char *const bad[] = {
    "1.2.3.4/", "1.2.3.4/33", "1.2.3.4/024", "1.2.3.4/-1", "1.2.3.4/ 8",
    "1.2.3.4/8/8", "1.2.3/8", "1.2.3.4/100", "/24", "1.2.3.4/8 ", "1.2.3.04/8",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    if (labo_prefix_parse (bad[i], &p, &has_len) != -1)
      fail_msg ("'%s' parsed", bad[i]);
}

static void
test_masks (void **state)
{
  struct labo_prefix p = { A ("203.0.113.5"), 24 };

  assert_int_equal (labo_prefix_mask (0), 0);
  assert_int_equal (labo_prefix_mask (1), 0x80000000);
  assert_int_equal (labo_prefix_mask (24), 0xffffff00);
  assert_int_equal (labo_prefix_mask (31), 0xfffffffe);
  assert_int_equal (labo_prefix_mask (32), 0xffffffff);
  assert_int_equal (labo_prefix_network (&p), A ("203.0.113.0"));
  assert_false (labo_prefix_is_network (&p));
  p.addr = A ("203.0.113.0");
  assert_true (labo_prefix_is_network (&p));
  p.len = 0;
  assert_false (labo_prefix_is_network (&p));
  p.addr = 0;
  assert_true (labo_prefix_is_network (&p));
}

static void
test_contains_overlap (void **state)
{
  struct labo_prefix n24 = { A ("203.0.113.0"), 24 };
  struct labo_prefix n25 = { A ("203.0.113.128"), 25 };
  struct labo_prefix other = { A ("198.51.100.0"), 24 };
  struct labo_prefix all = { 0, 0 };
  struct labo_prefix host = { A ("203.0.113.7"), 32 };

  assert_true (labo_prefix_contains (&n24, A ("203.0.113.255")));
  assert_false (labo_prefix_contains (&n24, A ("203.0.114.0")));
  assert_false (labo_prefix_contains (&n25, A ("203.0.113.127")));
  assert_true (labo_prefix_contains (&all, A ("1.2.3.4")));
  assert_true (labo_prefix_overlap (&n24, &n25));
  assert_true (labo_prefix_overlap (&n25, &n24));
  assert_false (labo_prefix_overlap (&n24, &other));
  assert_true (labo_prefix_overlap (&all, &other));
  assert_true (labo_prefix_overlap (&host, &n24));
  assert_false (labo_prefix_overlap (&host, &n25));
}

static void
test_format (void **state)
{
  char b[19];
  struct labo_prefix p = { UINT32_MAX, 32 };

  assert_string_equal (labo_ipv4_format (A ("203.0.113.198"), b), "203.0.113.198");
  assert_string_equal (labo_ipv4_format (0, b), "0.0.0.0");
  assert_string_equal (labo_prefix_format (&p, b), "255.255.255.255/32");
  p = (struct labo_prefix){ A ("10.0.0.0"), 8 };
  assert_string_equal (labo_prefix_format (&p, b), "10.0.0.0/8");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_parse_good),    cmocka_unit_test (test_parse_bad),
    cmocka_unit_test (test_prefix_parse),  cmocka_unit_test (test_masks),
    cmocka_unit_test (test_contains_overlap), cmocka_unit_test (test_format),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
