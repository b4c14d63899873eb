/* Unit tests for scenario files (src/model/scenario.c): the corpus of bad
 * files under tests/scenarios/bad, each checked against netns/zk3.yaml;
 * the scenarios shipped in netns/scenarios, each against the lab it
 * names; and what the reader builds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/model/labfile.h"
#include "labo/model/scenario.h"
#include "labo/util/util.h"

#include "corpus.h"

/* netns/NAME.yaml, next to the tests directory. */
static struct labo_lab *
load_lab (const char *name)
{
  cleanup_free char *path = xasprintf ("%s/../netns/%s.yaml", testdata (), name);
  struct labo_diags d = { NULL, 0 };
  struct labo_lab *lab = labo_labfile_load (path, &d);

  if (lab == NULL)
    {
      labo_diags_print (&d, stderr);
      fail_msg ("%s did not load", path);
    }
  labo_diags_free (&d);
  return lab;
}

static bool
parse_scenario (const char *file, const char *text, size_t len, const struct labo_limits *lim,
                struct labo_diags *d, void *ctx)
{
  struct labo_scenario *sc = labo_scenario_parse_limited (file, text, len, ctx, lim, d);
  bool made = sc != NULL;

  labo_scenario_free (sc);
  return made;
}

static void
test_bad_corpus (void **state)
{
  cleanup_free char *dir = xasprintf ("%s/scenarios/bad", testdata ());
  cleanup_lab struct labo_lab *lab = load_lab ("zk3");
  size_t n;

  assert_int_equal (run_bad_corpus (dir, parse_scenario, lab, &n), 0);
  assert_true (n >= 25);
}

/* The shipped scenarios parse against the lab each names. */
static void
test_shipped (void **state)
{
  cleanup_free char *dir = xasprintf ("%s/../netns/scenarios", testdata ());
  size_t n, failures = 0;
  char **files = list_yaml (dir, &n);

  for (size_t i = 0; i < n; i++)
    {
      struct labo_diags d = { NULL, 0 };
      struct labo_scenario *sc = labo_scenario_load (files[i], NULL, &d);
      if (sc == NULL || sc->lab == NULL)
        {
          print_error ("%s: does not parse, or names no lab\n", files[i]);
          labo_diags_print (&d, stderr);
          failures++;
        }
      else
        {
          cleanup_lab struct labo_lab *lab = load_lab (sc->lab);
          struct labo_scenario *again = labo_scenario_load (files[i], lab, &d);
          if (again == NULL)
            {
              print_error ("%s: does not fit lab %s\n", files[i], sc->lab);
              labo_diags_print (&d, stderr);
              failures++;
            }
          labo_scenario_free (again);
        }
      labo_scenario_free (sc);
      labo_diags_free (&d);
    }
  free_list (files, n);
  assert_int_equal (failures, 0);
  assert_true (n >= 2);
}

static void
test_model (void **state)
{
  static const char text[] = "lab: zk3\n"
                             "end: 1m\n"
                             "steps:\n"
                             "  - {at: 5s, kill: leader, signal: TERM}\n"
                             "  - {after: 2s, partition: [zk1, zk2], oneway: true}\n"
                             "  - {after: 500ms, isolate: follower}\n"
                             "  - {at: 20s, heal: all}\n"
                             "  - {heal: [zk1, zk2]}\n"
                             "  - {link: zk3, delay: 100ms, loss: 2%, rate: 10mbit, down: false}\n"
                             "  - {wait: all, timeout: 30s}\n"
                             "  - {stop: zk2}\n"
                             "  - {after: 1s, start: zk2}\n";
  cleanup_lab struct labo_lab *lab = load_lab ("zk3");
  struct labo_diags d = { NULL, 0 };
  struct labo_scenario *sc = labo_scenario_parse ("t.yaml", text, strlen (text), lab, &d);
  cleanup_free char *d0 = NULL, *d1 = NULL, *d3 = NULL, *d5 = NULL, *d6 = NULL;

  if (sc == NULL)
    labo_diags_print (&d, stderr);
  assert_non_null (sc);
  assert_string_equal (sc->lab, "zk3");
  assert_int_equal (sc->end_ms, 60000);
  assert_int_equal (sc->n_steps, 9);
  assert_int_equal (sc->steps[0].kind, LABO_STEP_KILL);
  assert_int_equal (sc->steps[0].at_ms, 5000);
  assert_int_equal (sc->steps[0].signal, SIGTERM);
  assert_int_equal (sc->steps[1].at_ms, -1);
  assert_int_equal (sc->steps[1].after_ms, 2000);
  assert_true (sc->steps[1].oneway);
  assert_string_equal (sc->steps[2].target[0], "follower");
  assert_null (sc->steps[3].target[0]);
  assert_string_equal (sc->steps[4].target[1], "zk2");
  assert_int_equal (sc->steps[5].link.im.delay_us, 100000);
  assert_int_equal (sc->steps[5].link.im.loss_ppm, 20000);
  assert_int_equal (sc->steps[5].link.im.rate_bps, 10000000);
  assert_int_equal (sc->steps[5].set, LABO_IMP_BIT (LABO_IMP_DELAY) | LABO_IMP_BIT (LABO_IMP_LOSS)
                                          | LABO_IMP_BIT (LABO_IMP_RATE) | LABO_STEP_SET_DOWN);
  assert_int_equal (sc->steps[6].timeout_ms, 30000);
  assert_int_equal (sc->steps[7].kind, LABO_STEP_STOP);
  assert_int_equal (sc->steps[8].after_ms, 1000);

  d0 = labo_step_describe (&sc->steps[0]);
  d1 = labo_step_describe (&sc->steps[1]);
  d3 = labo_step_describe (&sc->steps[3]);
  d5 = labo_step_describe (&sc->steps[5]);
  d6 = labo_step_describe (&sc->steps[6]);
  assert_string_equal (d0, "kill leader with SIGTERM");
  assert_string_equal (d1, "partition zk1 -> zk2");
  assert_string_equal (d3, "heal every cut");
  assert_string_equal (d5, "link zk3: delay 100ms, loss 2%, rate 10mbit, down no");
  assert_string_equal (d6, "wait until every node serves");
  labo_scenario_free (sc);
}

/* pause and resume: a node, a host, a role; resume also all. */
static void
test_pause_steps (void **state)
{
  static const char text[] = "steps:\n"
                             "  - {pause: leader}\n"
                             "  - {pause: zk2}\n"
                             "  - {resume: zoo1}\n"
                             "  - {resume: all}\n";
  cleanup_lab struct labo_lab *lab = load_lab ("zk3");
  struct labo_diags d = { NULL, 0 };
  struct labo_scenario *sc = labo_scenario_parse ("t.yaml", text, strlen (text), lab, &d);
  cleanup_free char *d0 = NULL, *d3 = NULL;

  if (sc == NULL)
    labo_diags_print (&d, stderr);
  assert_non_null (sc);
  assert_int_equal (sc->n_steps, 4);
  assert_int_equal (sc->steps[0].kind, LABO_STEP_PAUSE);
  assert_string_equal (sc->steps[1].target[0], "zk2");
  assert_int_equal (sc->steps[2].kind, LABO_STEP_RESUME);
  assert_string_equal (sc->steps[2].target[0], "zoo1");
  assert_null (sc->steps[3].target[0]);
  d0 = labo_step_describe (&sc->steps[0]);
  d3 = labo_step_describe (&sc->steps[3]);
  assert_string_equal (d0, "pause leader");
  assert_string_equal (d3, "resume every node paused");
  labo_scenario_free (sc);
}

/* A capture step: its host, segment (or any), file, filter, duration. */
static void
test_capture (void **state)
{
  static const char text[] = "steps:\n"
                             "  - {capture: zk1, segment: net, file: zk1.pcap, filter: tcp port 2181,"
                             " duration: 30s}\n"
                             "  - {capture: leader, segment: any, file: out/leader.pcap}\n"
                             "  - {capture: zk2, file: zk2.pcap, filter: ''}\n";
  cleanup_lab struct labo_lab *lab = load_lab ("zk3");
  struct labo_diags d = { NULL, 0 };
  struct labo_scenario *sc = labo_scenario_parse ("t.yaml", text, strlen (text), lab, &d);
  cleanup_free char *d0 = NULL, *d1 = NULL;

  if (sc == NULL)
    labo_diags_print (&d, stderr);
  assert_non_null (sc);
  assert_int_equal (sc->steps[0].kind, LABO_STEP_CAPTURE);
  assert_string_equal (sc->steps[0].segment, "net");
  assert_string_equal (sc->steps[0].file, "zk1.pcap");
  assert_string_equal (sc->steps[0].filter, "tcp port 2181");
  assert_int_equal (sc->steps[0].duration_ms, 30000);
  assert_string_equal (sc->steps[1].segment, "any");
  assert_int_equal (sc->steps[1].duration_ms, 0);
  assert_null (sc->steps[2].filter); /* '' is every packet */
  assert_null (sc->steps[2].segment);
  d0 = labo_step_describe (&sc->steps[0]);
  d1 = labo_step_describe (&sc->steps[1]);
  assert_string_equal (d0, "capture zk1@net into zk1.pcap, filter tcp port 2181, for 30s");
  assert_string_equal (d1, "capture leader@any into out/leader.pcap");
  labo_scenario_free (sc);
}

/* Without a lab, names are not checked (the CLI reads `lab:` first). */
static void
test_no_lab (void **state)
{
  static const char text[] = "steps: [{kill: anyone}, {stop: anywhere}]\n";
  struct labo_scenario *sc = labo_scenario_parse ("t.yaml", text, strlen (text), NULL, NULL);

  assert_non_null (sc);
  assert_null (sc->lab);
  assert_string_equal (sc->steps[0].target[0], "anyone");
  labo_scenario_free (sc);
}

/* Several errors are all reported, in file order. */
static void
test_several (void **state)
{
  static const char text[] = "steps:\n"
                             "  - {kill: zk1}\n"
                             "  - {stop: zoo9}\n";
  cleanup_lab struct labo_lab *lab = load_lab ("zk3");
  struct labo_diags d = { NULL, 0 };

  assert_null (labo_scenario_parse ("t.yaml", text, strlen (text), lab, &d));
  assert_int_equal (d.n, 2);
  assert_int_equal (d.v[0].line, 2);
  assert_int_equal (d.v[1].line, 3);
  labo_diags_free (&d);
}

/* Choices left to the run's seed: random targets, halves, ring; a link
 * step's new settings. */
static void
test_seeded_choices (void **state)
{
  static const char text[] = "steps:\n"
                             "  - {kill: random}\n"
                             "  - {isolate: random}\n"
                             "  - {partition: halves}\n"
                             "  - {partition: ring}\n"
                             "  - {link: random, loss: '5%,25%', gemodel: '0', corrupt: 1%,"
                             " duplicate: 2%, reorder: 3%, delay: 10ms, seed: 9}\n";
  static const char bad[] = "steps:\n  - {partition: ring, oneway: true}\n";
  cleanup_lab struct labo_lab *lab = load_lab ("zk5");
  struct labo_diags d = { NULL, 0 };
  struct labo_scenario *sc = labo_scenario_parse ("t.yaml", text, strlen (text), lab, &d);
  cleanup_free char *d2 = NULL, *d3 = NULL, *d4 = NULL;

  if (sc == NULL)
    labo_diags_print (&d, stderr);
  assert_non_null (sc);
  assert_string_equal (sc->steps[0].target[0], "random");
  assert_string_equal (sc->steps[2].target[0], "halves");
  assert_null (sc->steps[2].target[1]);
  assert_int_equal (sc->steps[4].link.im.loss_corr_ppm, 250000);
  assert_int_equal (sc->steps[4].link.im.seed, 9);
  assert_true (sc->steps[4].set & LABO_IMP_BIT (LABO_IMP_GEMODEL));
  d2 = labo_step_describe (&sc->steps[2]);
  d3 = labo_step_describe (&sc->steps[3]);
  d4 = labo_step_describe (&sc->steps[4]);
  assert_string_equal (d2, "partition the nodes' hosts into two random halves");
  assert_string_equal (d3, "partition the nodes' hosts into a majority ring");
  assert_string_equal (d4, "link random: delay 10ms, loss 5%,25%, gemodel 0, corrupt 1%, "
                           "duplicate 2%, reorder 3%, seed 9");
  labo_scenario_free (sc);
  sc = labo_scenario_parse ("t.yaml", bad, strlen (bad), lab, &d);
  assert_null (sc);
  labo_diags_free (&d);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_bad_corpus), cmocka_unit_test (test_shipped),
    cmocka_unit_test (test_pause_steps), cmocka_unit_test (test_capture),
    cmocka_unit_test (test_model),      cmocka_unit_test (test_no_lab),
    cmocka_unit_test (test_seeded_choices),
    cmocka_unit_test (test_several),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
