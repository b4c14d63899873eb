/* Unit tests for the verbs' table (src/cli/verbs.c): lookup, did-you-mean,
 * the words of other tools, help texts, and the one-line option errors.
 * The verbs themselves are stubs: only the table is under test. */
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/cli/cli.h"

#define STUB(name)                                                                             \
  int name (int argc, char **argv)                                                             \
  {                                                                                            \
    (void) argc;                                                                               \
    (void) argv;                                                                               \
    return 100;                                                                                \
  }
STUB (cmd_up)
STUB (cmd_down) STUB (cmd_reset) STUB (cmd_status) STUB (cmd_verify) STUB (cmd_events) STUB (cmd_graph) STUB (cmd_export) STUB (cmd_deploy) STUB (cmd_web) STUB (cmd_exec) STUB (cmd_logs)
STUB (cmd_restart) STUB (cmd_partition) STUB (cmd_heal) STUB (cmd_stop) STUB (cmd_start)
STUB (cmd_kill) STUB (cmd_pause) STUB (cmd_resume) STUB (cmd_link) STUB (cmd_chaos) STUB (cmd_check) STUB (cmd_linkemu)
STUB (cmd_version) STUB (cmd_validate) STUB (cmd_ls) STUB (cmd_names)
STUB (cmd_capture)
STUB (cmd_clock)

/* What fn prints on stream (stdout or stderr), as a string to free. */
static char *
captured (FILE **stream, void (*fn) (const void *), const void *arg)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream (&buf, &len), *saved = *stream;

  *stream = mem;
  fn (arg);
  *stream = saved;
  fclose (mem); /* buf and len are final here */
  return buf;
}

static void
find_verbs_and_words (void **state)
{
  (void) state;
  assert_string_equal (cli_verb_find ("status")->name, "status");
  /* containerlab's words where they mean the same */
  assert_string_equal (cli_verb_find ("destroy")->name, "down");
  assert_string_equal (cli_verb_find ("inspect")->name, "status");
  /* and where labo's differs, no verb: a pointer */
  assert_null (cli_verb_find ("ps"));
  assert_null (cli_verb_find ("stauts"));
  assert_null (cli_verb_find (""));
}

static void
did_you_mean (void **state)
{
  (void) state;
  assert_string_equal (cli_verb_suggest ("stauts"), "status");
  assert_string_equal (cli_verb_suggest ("staus"), "status");
  assert_string_equal (cli_verb_suggest ("lgos"), "logs");
  assert_string_equal (cli_verb_suggest ("chek"), "check");
  assert_string_equal (cli_verb_suggest ("partiton"), "partition");
  assert_string_equal (cli_verb_suggest ("valdiate"), "validate");
  assert_string_equal (cli_verb_suggest ("dwon"), "down");
  assert_null (cli_verb_suggest ("xyzzy"));
  assert_null (cli_verb_suggest ("frobnicate"));
  /* hidden verbs are never suggested */
  assert_null (cli_verb_suggest ("__linkem"));
}

static void
unknown (const void *arg)
{
  cli_unknown_verb (arg);
}

static void
unknown_verb_messages (void **state)
{
  char *out;
  (void) state;
  out = captured (&stderr, unknown, "stauts");
  assert_string_equal (out, "labo: 'stauts' is not a labo verb; did you mean 'status'? (see "
                            "'labo help')\n");
  free (out);
  out = captured (&stderr, unknown, "ps");
  assert_non_null (strstr (out, "`labo status` shows what runs"));
  free (out);
  out = captured (&stderr, unknown, "xyzzy");
  assert_string_equal (out, "labo: 'xyzzy' is not a labo verb (see 'labo help')\n");
  free (out);
  assert_int_equal (cli_unknown_verb ("xyzzy"), EXIT_INPUT);
}

static void
verb_help (const void *arg)
{
  cli_help_verb (arg, stdout);
}

static void
overview (const void *arg)
{
  (void) arg;
  cli_help_overview (stdout);
}

/* Every visible verb has a usage line, a summary in the overview, and (but
 * help and version) options or examples. */
static void
help_of_every_verb (void **state)
{
  size_t n;
  const struct cli_verb *v = cli_verbs (&n);
  char *all = captured (&stdout, overview, NULL);
  (void) state;

  for (size_t i = 0; i < n; i++)
    {
      char *out, want[64];
      if (v[i].group == CLI_GROUP_HIDDEN)
        {
          assert_null (strstr (all, v[i].name));
          continue;
        }
      snprintf (want, sizeof (want), "\n  %-10s %s", v[i].name, "");
      assert_non_null (strstr (all, want));
      out = captured (&stdout, verb_help, &v[i]);
      snprintf (want, sizeof (want), "usage: labo %s", v[i].name);
      assert_true (strncmp (out, want, strlen (want)) == 0);
      if (strcmp (v[i].name, "help") != 0 && strcmp (v[i].name, "version") != 0)
        assert_true (strstr (out, "Options:") || strstr (out, "Examples:"));
      /* 80 columns */
      for (char *line = out, *nl; (nl = strchr (line, '\n')); line = nl + 1)
        assert_true (nl - line <= 80);
      free (out);
    }
  free (all);
}

struct opt_case
{
  const char *args[4];
  int argc;
  const char *err;
};

static void
run_getopt (const void *arg)
{
  static const struct option opts[] = { { "lab", required_argument, NULL, 'l' },
                                        { "json", no_argument, NULL, 'j' },
                                        { NULL, 0, NULL, 0 } };
  struct opt_case *c = (struct opt_case *) arg;
  char *argv[5] = { NULL };
  int r;
  for (int i = 0; i < c->argc; i++)
    argv[i] = strdup (c->args[i]);
  optind = 1;
  while ((r = cli_getopt (c->argc, argv, "l:", opts)) != -1 && r != '?')
    ;
  for (int i = 0; i < c->argc; i++)
    free (argv[i]);
  c->argc = r;
}

static void
option_errors_are_one_line (void **state)
{
  struct opt_case cases[] = {
    { { "status", "--jsn", NULL }, 2, "labo: status: unknown option '--jsn'; see 'labo status --help'\n" },
    { { "status", "--jsn=1", NULL }, 2, "labo: status: unknown option '--jsn'; see 'labo status --help'\n" },
    { { "status", "-x", NULL }, 2, "labo: status: unknown option '-x'; see 'labo status --help'\n" },
    { { "status", "-l", NULL }, 2, "labo: status: option '-l' needs a value; see 'labo status --help'\n" },
    { { "status", "--lab", NULL }, 2, "labo: status: option '--lab' needs a value; see 'labo status --help'\n" },
    { { "status", "--json", "-l", "x" }, 4, "" },
  };
  (void) state;
  cli_verb_name = "status";
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      char *out = captured (&stderr, run_getopt, &cases[i]);
      assert_string_equal (out, cases[i].err);
      assert_int_equal (cases[i].argc, cases[i].err[0] ? '?' : -1);
      free (out);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (find_verbs_and_words),
    cmocka_unit_test (did_you_mean),
    cmocka_unit_test (unknown_verb_messages),
    cmocka_unit_test (help_of_every_verb),
    cmocka_unit_test (option_errors_are_one_line),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
