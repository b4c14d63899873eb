/* Unit tests for the restart policy (src/super/policy.c), the durations
 * lab files give it (src/util/util.c), and the supervise section of lab
 * files: times are handed in, nothing sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "labo/model/labfile.h"
#include "labo/super/policy.h"
#include "labo/util/util.h"

#define EPS 1e-9

static struct labo_supervise
cfg (void)
{
  struct labo_supervise c = labo_supervise_defaults ();
  return c;
}

/* One run of `run` seconds that ends in a death: returns the verdict and
 * the delay until the restart it asks for. */
static enum labo_policy_verdict
run_and_die (struct labo_policy *p, const struct labo_supervise *c, double *now, double run,
             double *delay)
{
  double at;
  enum labo_policy_verdict v;
  labo_policy_started (p, *now);
  *now += run;
  v = labo_policy_died (p, c, *now, &at);
  *delay = at - *now;
  *now = at;
  return v;
}

static void
first_death_after_a_long_run_restarts_at_once (void **state)
{
  struct labo_supervise c = cfg ();
  struct labo_policy p;
  double now = 1000, delay;

  labo_policy_init (&p);
  assert_int_equal (run_and_die (&p, &c, &now, 3600, &delay), LABO_POLICY_RESTART);
  assert_true (delay < EPS);
  assert_int_equal (p.deaths, 1);
  assert_int_equal (labo_policy_restarts (&p), 0);
  labo_policy_started (&p, now);
  assert_int_equal (labo_policy_restarts (&p), 1);
}

static void
quick_deaths_back_off_doubling_up_to_the_cap (void **state)
{
  struct labo_supervise c = cfg ();
  struct labo_policy p;
  double now = 1000, delay;
  /* quick deaths (runs of 2 s < reset 10 s): 0, then 0.5, 1, 2, 4, ...
   * capped at 5 s here; min_gap 1 s is always met by the 2 s runs */
  const double want[] = { 0, 0.5, 1, 2, 4, 5, 5, 5 };

  c.backoff_max_ms = 5000;
  c.give_up_deaths = 100;
  labo_policy_init (&p);
  for (size_t i = 0; i < sizeof (want) / sizeof (want[0]); i++)
    {
      assert_int_equal (run_and_die (&p, &c, &now, 2, &delay), LABO_POLICY_RESTART);
      if (delay < want[i] - 1e-6 || delay > want[i] + 1e-6)
        fail_msg ("death %zu: delay %.3f s, expected %.3f s", i + 1, delay, want[i]);
    }
}

static void
a_stable_run_ends_the_series_of_quick_deaths (void **state)
{
  struct labo_supervise c = cfg ();
  struct labo_policy p;
  double now = 1000, delay;

  c.give_up_deaths = 100;
  labo_policy_init (&p);
  run_and_die (&p, &c, &now, 2, &delay);
  run_and_die (&p, &c, &now, 2, &delay);
  run_and_die (&p, &c, &now, 2, &delay);
  assert_true (delay > 0.9); /* third quick death: 1 s */
  /* a run of 11 s (> reset 10 s), then a death: at once again */
  assert_int_equal (run_and_die (&p, &c, &now, 11, &delay), LABO_POLICY_RESTART);
  assert_true (delay < EPS);
  assert_int_equal (p.quick, 1);
}

static void
min_gap_holds_between_two_starts (void **state)
{
  struct labo_supervise c = cfg ();
  struct labo_policy p;
  double now = 1000, delay;

  labo_policy_init (&p);
  /* dies 0.2 s after its start: the next start waits until 1 s after it */
  assert_int_equal (run_and_die (&p, &c, &now, 0.2, &delay), LABO_POLICY_RESTART);
  assert_true (delay > 0.8 - 1e-6 && delay < 0.8 + 1e-6);
}

static void
gives_up_after_n_deaths_within_t (void **state)
{
  struct labo_supervise c = cfg ();
  struct labo_policy p;
  double now = 1000, delay;

  c.give_up_deaths = 3;
  c.give_up_within_ms = 60000;
  labo_policy_init (&p);
  assert_int_equal (run_and_die (&p, &c, &now, 0.1, &delay), LABO_POLICY_RESTART);
  assert_int_equal (run_and_die (&p, &c, &now, 0.1, &delay), LABO_POLICY_RESTART);
  assert_int_equal (run_and_die (&p, &c, &now, 0.1, &delay), LABO_POLICY_GIVE_UP);
  assert_true (p.gave_up);
  /* given up stays given up, deaths are still counted */
  assert_int_equal (run_and_die (&p, &c, &now, 0.1, &delay), LABO_POLICY_GIVE_UP);
  assert_int_equal (p.deaths, 4);
  /* a user's retry clears it */
  labo_policy_reset (&p);
  assert_int_equal (run_and_die (&p, &c, &now, 0.1, &delay), LABO_POLICY_RESTART);
}

static void
deaths_spread_beyond_the_window_never_give_up (void **state)
{
  struct labo_supervise c = cfg ();
  struct labo_policy p;
  double now = 1000, delay;

  c.give_up_deaths = 3;
  c.give_up_within_ms = 60000;
  labo_policy_init (&p);
  /* one death every 31 s: never three within 60 s */
  for (int i = 0; i < 20; i++)
    assert_int_equal (run_and_die (&p, &c, &now, 31, &delay), LABO_POLICY_RESTART);
  assert_false (p.gave_up);
  assert_int_equal (p.deaths, 20);
}

static void
restart_off_leaves_it_down_and_counts (void **state)
{
  struct labo_supervise c = cfg ();
  struct labo_policy p;
  double now = 1000, delay;

  c.restart = false;
  c.give_up_deaths = 2;
  labo_policy_init (&p);
  for (int i = 0; i < 5; i++)
    assert_int_equal (run_and_die (&p, &c, &now, 0.1, &delay), LABO_POLICY_LEAVE);
  assert_false (p.gave_up); /* nothing was tried, so nothing was given up */
  assert_int_equal (p.deaths, 5);
}

static void
found_running_counts_as_a_long_run (void **state)
{
  struct labo_supervise c = cfg ();
  struct labo_policy p;
  double at;

  labo_policy_init (&p); /* adopted: start time unknown */
  assert_int_equal (labo_policy_died (&p, &c, 1000, &at), LABO_POLICY_RESTART);
  assert_true (at - 1000 < EPS);
}

static void
refused_starts_back_off_but_never_give_up (void **state)
{
  struct labo_supervise c = cfg ();
  struct labo_policy p;
  double now = 1000, at;
  /* backoff 0.5, 1, 2, ...; min_gap (1 s) holds between two attempts too */
  const double want[] = { 1, 1, 2, 4, 8, 16, 30, 30, 30, 30 };

  c.give_up_deaths = 2;
  labo_policy_init (&p);
  /* ten refusals in a row: each retried later than the one before, up to
   * the cap; not one counts as a death */
  for (size_t i = 0; i < sizeof (want) / sizeof (want[0]); i++)
    {
      assert_int_equal (labo_policy_refused (&p, &c, now, &at), LABO_POLICY_RESTART);
      if (at - now < want[i] - 1e-6 || at - now > want[i] + 1e-6)
        fail_msg ("refusal %zu: retried after %.3f s, expected %.3f s", i + 1, at - now, want[i]);
      now = at;
    }
  assert_int_equal (p.deaths, 0);
  assert_int_equal (p.refused, 10);
  assert_false (p.gave_up);
  /* then it starts and runs long: the next death is a first one again */
  labo_policy_started (&p, now);
  assert_int_equal (labo_policy_died (&p, &c, now + 60, &at), LABO_POLICY_RESTART);
  assert_true (at - (now + 60) < EPS);
  c.restart = false;
  assert_int_equal (labo_policy_refused (&p, &c, now, &at), LABO_POLICY_LEAVE);
}

/* A node whose daemon dies with it: counted, no backoff; a long run before
 * it ends the refusals' series (issue 9: the delay grew across daemon
 * crashes minutes apart, up to 30 s before each start) */
static void
a_daemons_death_ends_a_long_runs_series (void **state)
{
  struct labo_supervise c = cfg ();
  struct labo_policy p;
  double now = 1000, at;

  c.give_up_deaths = 2;
  labo_policy_init (&p);
  for (int round = 0; round < 5; round++)
    {
      /* its daemon restarted: two starts refused, then it runs a minute */
      assert_int_equal (labo_policy_refused (&p, &c, now, &at), LABO_POLICY_RESTART);
      if (at - now > 1 + 1e-6)
        fail_msg ("round %d: first refusal retried after %.3f s, expected 1 s", round, at - now);
      now = at;
      assert_int_equal (labo_policy_refused (&p, &c, now, &at), LABO_POLICY_RESTART);
      if (at - now > 1 + 1e-6)
        fail_msg ("round %d: second refusal retried after %.3f s, expected 1 s", round, at - now);
      now = at;
      labo_policy_started (&p, now);
      now += 60;
      labo_policy_collateral (&p, &c, now);
      now += 2;
    }
  assert_int_equal (p.deaths, 5);
  assert_false (p.gave_up);
  /* a quick one keeps the series: the refusal after it backs off more */
  labo_policy_refused (&p, &c, now, &at);
  now = at;
  labo_policy_started (&p, now);
  labo_policy_collateral (&p, &c, now + 1);
  now += 2;
  assert_int_equal (labo_policy_refused (&p, &c, now, &at), LABO_POLICY_RESTART);
  assert_true (at - now > 1 - 1e-6);
  assert_int_equal (p.quick, 3);
}

static void
durations_parse_with_units (void **state)
{
  static const struct
  {
    const char *s;
    long long ms; /* -1: invalid */
  } cases[] = {
    { "0", 0 },         { "0s", 0 },    { "250ms", 250 },    { "1s", 1000 },
    { "1.5s", 1500 },   { "2m", 120000 }, { "1h", 3600000 }, { "0.001s", 1 },
    { "24h", 86400000 }, { "25h", -1 },  { "1", -1 },        { "s", -1 },
    { "1.s", -1 },      { "1sec", -1 }, { "-1s", -1 },       { "1 s", -1 },
    { "", -1 },         { "1.2.3s", -1 }, { "9999999999s", -1 },
  };
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      long long ms = -7;
      int r = labo_duration_parse (cases[i].s, strlen (cases[i].s), &ms);
      if (cases[i].ms < 0 ? r != -1 : (r != 0 || ms != cases[i].ms))
        fail_msg ("'%s': got r=%d ms=%lld, expected %lld", cases[i].s, r, ms, cases[i].ms);
    }
}

static void
durations_format_shortest (void **state)
{
  char b[24];
  assert_string_equal (labo_duration_format (0, b), "0ms");
  assert_string_equal (labo_duration_format (250, b), "250ms");
  assert_string_equal (labo_duration_format (1000, b), "1s");
  assert_string_equal (labo_duration_format (1500, b), "1.5s");
  assert_string_equal (labo_duration_format (1234, b), "1234ms");
  assert_string_equal (labo_duration_format (120000, b), "2m");
  assert_string_equal (labo_duration_format (90000, b), "90s");
}

static const char base[] = "lab: x\n"
                           "hosts:\n"
                           "  a: {docker: manager, links: [{segment: s, address: 198.51.100.2}]}\n"
                           "segments: {s: {subnet: 198.51.100.0/24}}\n"
                           "overlay: {name: w, subnet: 10.0.0.0/24}\n"
                           "nodes:\n"
                           "  n1: {host: a, address: 10.0.0.1, service: zookeeper}\n"
                           "  n2: {host: a, address: 10.0.0.2, service: zookeeper,\n"
                           "       supervise: {probe: {interval: 0s}, give_up: {deaths: 2}}}\n";

static void
labfile_defaults_and_overrides (void **state)
{
  struct labo_diags d = { NULL, 0 };
  cleanup_free char *text = xasprintf ("%s"
                                       "runtime: process\n"
                                       "supervise:\n"
                                       "  restart: true\n"
                                       "  min_gap: 2s\n"
                                       "  backoff: {initial: 100ms, max: 3s, reset: 20s}\n"
                                       "  give_up: {deaths: 7, within: 2m}\n"
                                       "  probe: {interval: 500ms, timeout: 300ms, failures: 4, "
                                       "grace: 45s}\n",
                                       base);
  struct labo_lab *lab = labo_labfile_parse ("t.yaml", text, strlen (text), &d);
  struct labo_supervise def = labo_supervise_defaults ();

  labo_diags_print (&d, stderr);
  assert_non_null (lab);
  assert_int_equal (lab->runtime, LABO_RUNTIME_PROCESS);
  assert_int_equal (lab->supervise.min_gap_ms, 2000);
  assert_int_equal (lab->supervise.backoff_ms, 100);
  assert_int_equal (lab->supervise.backoff_max_ms, 3000);
  assert_int_equal (lab->supervise.backoff_reset_ms, 20000);
  assert_int_equal (lab->supervise.give_up_deaths, 7);
  assert_int_equal (lab->supervise.give_up_within_ms, 120000);
  assert_int_equal (lab->supervise.probe_interval_ms, 500);
  assert_int_equal (lab->supervise.probe_timeout_ms, 300);
  assert_int_equal (lab->supervise.probe_failures, 4);
  assert_int_equal (lab->supervise.probe_grace_ms, 45000);
  /* nodes start from the lab's section (read before them, whatever the
   * file's order), their own keys over it */
  assert_int_equal (lab->nodes[0].supervise.min_gap_ms, 2000);
  assert_int_equal (lab->nodes[0].supervise.probe_interval_ms, 500);
  assert_int_equal (lab->nodes[1].supervise.probe_interval_ms, 0);
  assert_int_equal (lab->nodes[1].supervise.give_up_deaths, 2);
  assert_int_equal (lab->nodes[1].supervise.give_up_within_ms, 120000);
  assert_int_equal (lab->nodes[1].supervise.backoff_ms, 100);
  labo_lab_free (lab);
  labo_diags_free (&d);

  /* without a section: the documented defaults, runtime auto */
  lab = labo_labfile_parse ("t.yaml", base, strlen (base), &d);
  assert_non_null (lab);
  assert_int_equal (lab->runtime, LABO_RUNTIME_AUTO);
  /* field by field: the struct has padding after `restart` */
  assert_int_equal (lab->supervise.restart, def.restart);
  assert_int_equal (lab->supervise.min_gap_ms, def.min_gap_ms);
  assert_int_equal (lab->supervise.backoff_ms, def.backoff_ms);
  assert_int_equal (lab->supervise.backoff_max_ms, def.backoff_max_ms);
  assert_int_equal (lab->supervise.backoff_reset_ms, def.backoff_reset_ms);
  assert_int_equal (lab->supervise.give_up_deaths, def.give_up_deaths);
  assert_int_equal (lab->supervise.give_up_within_ms, def.give_up_within_ms);
  assert_int_equal (lab->supervise.probe_interval_ms, def.probe_interval_ms);
  assert_int_equal (lab->supervise.probe_timeout_ms, def.probe_timeout_ms);
  assert_int_equal (lab->supervise.probe_failures, def.probe_failures);
  assert_int_equal (lab->supervise.probe_grace_ms, def.probe_grace_ms);
  assert_int_equal (lab->nodes[0].supervise.give_up_deaths, 5);
  assert_int_equal (lab->nodes[1].supervise.give_up_deaths, 2);
  labo_lab_free (lab);
  labo_diags_free (&d);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (first_death_after_a_long_run_restarts_at_once),
    cmocka_unit_test (quick_deaths_back_off_doubling_up_to_the_cap),
    cmocka_unit_test (a_stable_run_ends_the_series_of_quick_deaths),
    cmocka_unit_test (min_gap_holds_between_two_starts),
    cmocka_unit_test (gives_up_after_n_deaths_within_t),
    cmocka_unit_test (deaths_spread_beyond_the_window_never_give_up),
    cmocka_unit_test (restart_off_leaves_it_down_and_counts),
    cmocka_unit_test (found_running_counts_as_a_long_run),
    cmocka_unit_test (refused_starts_back_off_but_never_give_up),
    cmocka_unit_test (a_daemons_death_ends_a_long_runs_series),
    cmocka_unit_test (durations_parse_with_units),
    cmocka_unit_test (durations_format_shortest),
    cmocka_unit_test (labfile_defaults_and_overrides),
  };
  return cmocka_run_group_tests_name ("policy", tests, NULL, NULL);
}
