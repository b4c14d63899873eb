/* Unit tests for clock skews (src/model/clock.c): the spellings `labo
 * clock` and the scenario step take, what status prints, and the line
 * libfaketime reads, with its drift moved back to the node's process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "labo/model/clock.h"
#include "labo/util/util.h"

static void
test_offsets (void **state)
{
  static const struct
  {
    const char *text;
    int64_t ns;
  } good[] = { { "+30s", 30000000000LL }, { "-5s", -5000000000LL }, { "30s", 30000000000LL },
               { "0", 0 },                { "+0s", 0 },               { "+1.5m", 90000000000LL },
               { "+250ms", 250000000LL }, { "-2h", -7200000000000LL }, { "+1d", 86400000000000LL } };
  static const char *const bad[] = { "30", "", "+", "s", "+30x", "+inf", "0x10s", "+3,5s",
                                     "+1e3s", "--5s", "+4000d", " +5s", "+5s " };
  labo_error_t err = NULL;
  int64_t ns;

  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    {
      assert_int_equal (labo_skew_parse_offset (good[i].text, &ns, &err), 0);
      assert_true (ns == good[i].ns);
    }
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      assert_int_equal (labo_skew_parse_offset (bad[i], &ns, &err), -1);
      assert_non_null (strstr (err->msg, "clock offset"));
      labo_error_release (&err);
    }
}

static void
test_drifts (void **state)
{
  labo_error_t err = NULL;
  static const char *const bad[] = { "+1.001", "x2", "0.001", "1000", "-1000000ppm", "ppm",
                                     "1.0.1", "", "+1e3ppm" };
  double r;

  assert_int_equal (labo_skew_parse_drift ("1.001", &r, &err), 0);
  assert_true (r == 1.001);
  assert_int_equal (labo_skew_parse_drift ("+1000ppm", &r, &err), 0);
  assert_true (r > 1.000999 && r < 1.001001);
  assert_int_equal (labo_skew_parse_drift ("-50ppm", &r, &err), 0);
  assert_true (r > 0.99994999 && r < 0.99995001);
  assert_int_equal (labo_skew_parse_drift ("0", &r, &err), 0);
  assert_true (r == 1);
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      assert_int_equal (labo_skew_parse_drift (bad[i], &r, &err), -1);
      assert_non_null (strstr (err->msg, "clock drift"));
      labo_error_release (&err);
    }
}

static void
test_formats (void **state)
{
  char b[32];

  assert_string_equal (labo_skew_offset_format (30000000000LL, b), "+30s");
  assert_string_equal (labo_skew_offset_format (-5250000000LL, b), "-5.25s");
  assert_string_equal (labo_skew_offset_format (0, b), "+0s");
  assert_string_equal (labo_skew_offset_format (1500000, b), "+0.002s");
  assert_string_equal (labo_skew_drift_format (1, b), "none");
  assert_string_equal (labo_skew_drift_format (1.001, b), "+1000ppm");
  assert_string_equal (labo_skew_drift_format (0.99995, b), "-50ppm");
  assert_string_equal (labo_skew_drift_format (1.5, b), "x1.5");
}

/* The offset written is the one asked less what the node's process has
 * drifted since it started: at `since` it shows the offset asked. */
static void
test_faketime_line (void **state)
{
  struct labo_skew s = { 30000000000LL, 1, 1000000000000LL, 0 };
  cleanup_free char *a = labo_skew_faketime_line (&s);
  cleanup_free char *b = NULL, *c = NULL;

  assert_string_equal (a, "+30.000000000s x1.000000000\n");
  s.rate = 1.001;
  s.anchor_ns = s.since_ns - 100000000000LL; /* started 100 s before */
  b = labo_skew_faketime_line (&s);
  assert_string_equal (b, "+29.900000000s x1.001000000\n");
  s.offset_ns = -5000000000LL;
  s.anchor_ns = 0; /* not known: counted from since */
  c = labo_skew_faketime_line (&s);
  assert_string_equal (c, "-5.000000000s x1.001000000\n");
  /* the skew a second later */
  assert_true (labo_skew_at (&s, s.since_ns + 1000000000LL) == -5000000000LL + 1000000);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_offsets),
    cmocka_unit_test (test_drifts),
    cmocka_unit_test (test_formats),
    cmocka_unit_test (test_faketime_line),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
