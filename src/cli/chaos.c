/* `labo chaos FILE [--check]` plays a scenario (engine/chaos.c); `labo check`
 * writes through every node and verifies nothing acknowledged was lost
 * (zk/check.c). Both wait for SIGINT and SIGTERM with sigtimedwait: the
 * signals are blocked before the client's threads exist, so that none of
 * those threads takes them. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "labo/model/state.h"
#include "labo/util/caps.h"
#include "labo/engine/chaos.h"
#include "labo/zk/check.h"
#include "labo/super/control.h"
#include "labo/model/scenario.h"
#include "labo/util/rng.h"
#include "labo/check/history.h"
#include "labo/util/fs.h"
#include "labo/util/util.h"

/* check's verdicts "lost" and "invalid" */
#define EXIT_LOST 5
#define EXIT_INVALID 6

static int
verdict_code (json_t *rep)
{
  const char *v = labo_check_verdict (rep);
  return strcmp (v, "ok") == 0        ? EXIT_OK
         : strcmp (v, "lost") == 0    ? EXIT_LOST
         : strcmp (v, "invalid") == 0 ? EXIT_INVALID
                                      : EXIT_FAIL;
}

static int
parse_duration_arg (const char *name, const char *s, long min_ms, long long *ms)
{
  if (labo_duration_parse (s, strlen (s), ms) < 0 || *ms < min_ms)
    {
      fprintf (stderr, "labo: --%s takes a duration like 30s, 2m or 500ms, not '%s'\n", name, s);
      return -1;
    }
  return 0;
}

struct check_args
{
  struct labo_check_opts o;
  bool json;
  /* the history's outputs, written at the end (NULL: none; "-": stdout,
   * after the report, for the timeline) */
  const char *history, *plot, *timeline;
};

/* The options of the check's registers and outputs: long only. */
enum
{
  OPT_CLIENTS = 1000,
  OPT_KEYS,
  OPT_READS,
  OPT_HISTORY,
  OPT_PLOT,
  OPT_TIMELINE,
  OPT_LIN_TIME,
  OPT_LIN_MEMORY,
};
#define CHECK_LONG_OPTS                                                                        \
  { "clients", required_argument, NULL, OPT_CLIENTS },                                        \
      { "keys", required_argument, NULL, OPT_KEYS },                                          \
      { "reads", required_argument, NULL, OPT_READS },                                        \
      { "history", required_argument, NULL, OPT_HISTORY },                                    \
      { "plot", required_argument, NULL, OPT_PLOT },                                          \
      { "timeline", required_argument, NULL, OPT_TIMELINE },                                  \
      { "lin-time", required_argument, NULL, OPT_LIN_TIME },                                  \
      { "lin-memory", required_argument, NULL, OPT_LIN_MEMORY }

/* A whole number in [min, max] for --name, or -1 with the error said. */
static long
number_arg (const char *name, const char *s, long min, long max, const char *what)
{
  char *end;
  long v;

  errno = 0;
  v = strtol (s, &end, 10);
  if (*s == '\0' || *end || errno || v < min || v > max)
    {
      fprintf (stderr, "labo: --%s takes %s, %ld to %ld, not '%s'\n", name, what, min, max, s);
      return -1;
    }
  return v;
}

/* The options the two verbs share; 1 if `c` was one, -1 if bad. */
static int
check_option (int c, struct check_args *a)
{
  long long ms;
  char *end;
  long v;

  switch (c)
    {
    case 'r':
      if ((v = number_arg ("rate", optarg, 1, 1000, "writes a second through each node")) < 0)
        return -1;
      a->o.rate = (int) v;
      return 1;
    case 'S':
      if (parse_duration_arg ("settle", optarg, 1000, &ms) < 0)
        return -1;
      a->o.settle_ms = (int) ms;
      return 1;
    case 'k':
      a->o.keep = true;
      return 1;
    case OPT_CLIENTS:
      if ((v = number_arg ("clients", optarg, 1, 16, "register clients a node")) < 0)
        return -1;
      a->o.clients = (int) v;
      return 1;
    case OPT_KEYS:
      if ((v = number_arg ("keys", optarg, 1, 1000, "registers")) < 0)
        return -1;
      a->o.keys = (int) v;
      return 1;
    case OPT_READS:
      if (labo_check_reads_parse (optarg, &a->o.reads) < 0)
        {
          fprintf (stderr, "labo: --reads takes quorum, sync or local, not '%s'\n", optarg);
          return -1;
        }
      return 1;
    case OPT_HISTORY:
      a->history = optarg;
      return 1;
    case OPT_PLOT:
      a->plot = optarg;
      return 1;
    case OPT_TIMELINE:
      a->timeline = optarg;
      return 1;
    case OPT_LIN_TIME:
      if (parse_duration_arg ("lin-time", optarg, 100, &ms) < 0)
        return -1;
      a->o.lin_seconds = (double) ms / 1000;
      return 1;
    case OPT_LIN_MEMORY:
      if ((v = number_arg ("lin-memory", optarg, 1, 1 << 20, "MiB")) < 0)
        return -1;
      a->o.lin_bytes = (size_t) v << 20;
      return 1;
    case 'j':
      a->json = true;
      return 1;
    case 's':
      {
        unsigned long long seed;
        if (*optarg < '1' || *optarg > '9' || (seed = strtoull (optarg, &end, 10), *end)
            || seed >= (1ULL << 63))
          {
            fprintf (stderr, "labo: --seed takes a number from 1, not '%s'\n", optarg);
            return -1;
          }
        a->o.seed = seed;
      }
      return 1;
    default:
      return 0;
    }
}

static void
block_stop_signals (sigset_t *set)
{
  sigemptyset (set);
  sigaddset (set, SIGINT);
  sigaddset (set, SIGTERM);
  sigprocmask (SIG_BLOCK, set, NULL);
}

/* The outputs' paths, before anything runs: a path root would not
 * write through is refused now, not after the check. */
static int
check_outputs (const struct check_args *a)
{
  const char *paths[] = { a->history, a->plot, a->timeline };
  const char *what[] = { "a history", "a plot", "a timeline" };
  labo_error_t err = NULL;

  for (size_t i = 0; i < 3; i++)
    if (paths[i] && strcmp (paths[i], "-") != 0
        && labo_fs_check_output (paths[i], what[i], &err) < 0)
      return cli_fail (&err, EXIT_INPUT);
  if ((a->history && strcmp (a->history, "-") == 0) || (a->plot && strcmp (a->plot, "-") == 0))
    {
      fprintf (stderr, "labo: --history and --plot take a file ('-' is for --timeline)\n");
      return EXIT_INPUT;
    }
  return EXIT_OK;
}

/* One output: to its file, through `write` (0, or -1 with errno). */
static int
write_output (const char *path, const char *what, int (*write) (FILE *, const void *),
              const void *arg)
{
  labo_error_t err = NULL;
  FILE *f;
  int fd, r;

  if (strcmp (path, "-") == 0)
    return write (stdout, arg) < 0 || fflush (stdout) != 0 ? -1 : 0;
  if ((fd = labo_fs_open_output (path, what, &err)) < 0)
    {
      fprintf (stderr, "labo: %s\n", err->msg);
      labo_error_release (&err);
      return -1;
    }
  if ((f = fdopen (fd, "w")) == NULL)
    {
      fprintf (stderr, "labo: writing %s %s: %s\n", what, path, strerror (errno));
      close (fd);
      return -1;
    }
  r = write (f, arg);
  if (fclose (f) != 0)
    r = -1;
  if (r < 0)
    fprintf (stderr, "labo: writing %s %s: %s\n", what, path, strerror (errno));
  else
    fprintf (stderr, "check: %s written to %s\n", what, path);
  return r;
}

static int
out_edn (FILE *f, const void *c)
{
  return labo_history_write_edn (f, labo_check_history (c));
}

static int
out_text (FILE *f, const void *c)
{
  return labo_history_write_text (f, labo_check_history (c));
}

struct plot_arg
{
  const struct labo_check *c;
  json_t *rep;
};

static int
out_svg (FILE *f, const void *arg)
{
  const struct plot_arg *p = arg;
  return labo_check_plot (p->c, p->rep, f);
}

static struct labo_check *
start_check (const struct labo_lab *lab, struct check_args *a, char **log_path, int *code)
{
  labo_error_t err = NULL;
  struct labo_check *c;

  /* a deployed lab has no run dir of its own here: beside its record */
  *log_path = a->o.endpoints ? xasprintf ("%s/%s.check.log", labo_run_dir (), lab->name)
                             : labo_control_path (lab->name, "check.log");
  a->o.log_path = *log_path;
  c = labo_check_start (lab, &a->o, &err);
  if (c == NULL)
    {
      *code = cli_fail (&err, EXIT_FAIL);
      return NULL;
    }
  fprintf (stderr, "check: writing %d znodes a second through each of %zu nodes (the client's "
                   "log: %s)\n", a->o.rate ? a->o.rate : LABO_CHECK_DEFAULT_RATE, lab->n_nodes, *log_path);
  return c;
}

static int
end_check (struct labo_check *c, const struct check_args *a)
{
  json_t *rep = labo_check_finish (c, stderr);
  int code = verdict_code (rep), w = 0;
  struct plot_arg pa = { c, rep };

  if (a->history)
    w |= write_output (a->history, "the history", out_edn, c);
  if (a->plot)
    w |= write_output (a->plot, "the plot", out_svg, &pa);
  if (a->timeline && strcmp (a->timeline, "-") != 0)
    w |= write_output (a->timeline, "the timeline", out_text, c);

  if (a->json)
    {
      char *s = json_dumps (rep, JSON_COMPACT);
      puts (s);
      free (s);
    }
  else
    {
      putchar ('\n');
      labo_check_print (rep, stdout);
      if (json_is_true (json_object_get (rep, "kept")))
        printf ("the run's znodes are kept under %s (labo exec -l %s NODE -- zkCli.sh ...)\n",
                json_string_value (json_object_get (rep, "root")),
                json_string_value (json_object_get (rep, "lab")));
    }
  if (a->timeline && strcmp (a->timeline, "-") == 0)
    {
      putchar ('\n');
      w |= write_output ("-", "the timeline", out_text, c);
    }
  fflush (stdout);
  json_decref (rep);
  labo_check_free (c);
  return code == EXIT_OK && w < 0 ? EXIT_FAIL : code;
}

int
cmd_check (int argc, char **argv)
{
  static const struct option opts[] = { { "lab", required_argument, NULL, 'l' },
                                        { "duration", required_argument, NULL, 'd' },
                                        { "rate", required_argument, NULL, 'r' },
                                        { "settle", required_argument, NULL, 'S' },
                                        { "keep", no_argument, NULL, 'k' },
                                        { "json", no_argument, NULL, 'j' },
                                        { "seed", required_argument, NULL, 's' },
                                        CHECK_LONG_OPTS,
                                        { NULL, 0, NULL, 0 } };
  struct check_args a = { { 0 }, false, NULL, NULL, NULL };
  const char *lab_opt = NULL, *duration = NULL;
  cleanup_free char *log_path = NULL, *events_path = NULL;
  labo_error_t err = NULL;
  struct labo_check *c;
  struct labo_lab *lab;
  char **endpoints = NULL;
  json_t *rec;
  long long duration_ms = -1;
  sigset_t stop;
  int opt, code = EXIT_OK, r;

  while ((opt = cli_getopt (argc, argv, "l:d:", opts)) != -1)
    {
      if (opt == 'l')
        lab_opt = optarg;
      else if (opt == 'd')
        {
          if (parse_duration_arg ("duration", optarg, 1000, &duration_ms) < 0)
            return EXIT_INPUT;
          duration = optarg;
        }
      else if ((r = check_option (opt, &a)) < 0)
        return EXIT_INPUT;
      else if (r == 0)
        return EXIT_INPUT;
    }
  if ((r = cli_lab_arg (lab_opt, argc, argv, &lab_opt)) != EXIT_OK)
    return r;
  if ((r = check_outputs (&a)) != EXIT_OK)
    return r;
  if (labo_caps_require ("check", &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  if ((rec = cli_deployed (lab_opt)) != NULL)
    {
      /* a lab on a real Swarm: its nodes through their servers' published
       * ports, from here */
      lab = cli_deployed_endpoints (rec, &endpoints, &code);
      json_decref (rec);
      if (lab == NULL)
        return code;
      a.o.endpoints = (const char *const *) endpoints;
    }
  else if ((lab = cli_running_lab (lab_opt, &code)) == NULL)
    return code;
  else
    a.o.events_path = events_path = labo_control_path (lab->name, LABO_EVENTS_FILE);
  block_stop_signals (&stop);
  if ((c = start_check (lab, &a, &log_path, &code)) == NULL)
    {
      labo_strv_free (endpoints, lab->n_nodes);
      labo_lab_free (lab);
      return code;
    }
  if (duration_ms > 0)
    {
      struct timespec ts = { (time_t) (duration_ms / 1000), (long) (duration_ms % 1000) * 1000000 };
      fprintf (stderr, "check: for %s (Ctrl-C ends it sooner)\n", duration);
      sigtimedwait (&stop, NULL, &ts);
    }
  else
    {
      fprintf (stderr, "check: until Ctrl-C\n");
      sigwaitinfo (&stop, NULL);
    }
  code = end_check (c, &a);
  labo_strv_free (endpoints, lab->n_nodes);
  labo_lab_free (lab);
  return code;
}

int
cmd_chaos (int argc, char **argv)
{
  static const struct option opts[] = { { "lab", required_argument, NULL, 'l' },
                                        { "check", no_argument, NULL, 'c' },
                                        { "rate", required_argument, NULL, 'r' },
                                        { "settle", required_argument, NULL, 'S' },
                                        { "keep-znodes", no_argument, NULL, 'k' },
                                        { "keep", no_argument, NULL, 'K' },
                                        { "json", no_argument, NULL, 'j' },
                                        { "seed", required_argument, NULL, 's' },
                                        CHECK_LONG_OPTS,
                                        { NULL, 0, NULL, 0 } };
  struct check_args a = { { 0 }, false, NULL, NULL, NULL };
  const char *lab_opt = NULL, *file;
  cleanup_free char *log_path = NULL, *named = NULL, *events_path = NULL;
  struct labo_diags d = { NULL, 0 };
  struct labo_scenario *sc;
  struct labo_chaos_opts co = { stdout, NULL, false, NULL, 0 };
  labo_error_t err = NULL;
  struct labo_lab *lab;
  bool check = false;
  sigset_t stop;
  int opt, code = EXIT_OK, r;

  while ((opt = cli_getopt (argc, argv, "l:c", opts)) != -1)
    {
      if (opt == 'l')
        lab_opt = optarg;
      else if (opt == 'c')
        check = true;
      else if (opt == 'K')
        co.keep = true;
      else if ((r = check_option (opt, &a)) < 0)
        return EXIT_INPUT;
      else if (r == 0)
        return EXIT_INPUT;
    }
  if (optind + 1 != argc)
    return cli_usage ("chaos takes a scenario file: labo chaos FILE [--check]", NULL);
  file = argv[optind];
  if ((a.history || a.plot || a.timeline) && !check)
    return cli_usage ("--history, --plot and --timeline are the check's: add --check", NULL);
  if ((r = check_outputs (&a)) != EXIT_OK)
    return r;

  /* the file names its lab; read it once for that, then against the lab */
  sc = labo_scenario_load_limited (file, NULL, &cli_limits, &d);
  if (sc == NULL)
    {
      labo_diags_print (&d, stderr);
      labo_diags_free (&d);
      return EXIT_INPUT;
    }
  if (lab_opt == NULL && sc->lab)
    lab_opt = named = xstrdup (sc->lab);
  labo_scenario_free (sc);
  if (labo_caps_require ("chaos", &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  if ((lab = cli_running_lab (lab_opt, &code)) == NULL)
    return code;
  sc = labo_scenario_load_limited (file, lab, &cli_limits, &d);
  if (sc == NULL)
    {
      labo_diags_print (&d, stderr);
      labo_diags_free (&d);
      labo_lab_free (lab);
      return EXIT_INPUT;
    }

  block_stop_signals (&stop);
  co.stop = &stop;
  /* one seed for the run, printed: the scenario's choices draw from it,
   * the check's stagger from another stream of it */
  if (a.o.seed == 0)
    a.o.seed = labo_rng_fresh_seed ();
  co.seed = a.o.seed;
  if (a.json)
    co.out = stderr; /* stdout is the check's report */
  a.o.events_path = events_path = labo_control_path (lab->name, LABO_EVENTS_FILE);
  if (check && (co.check = start_check (lab, &a, &log_path, &code)) == NULL)
    {
      labo_scenario_free (sc);
      labo_lab_free (lab);
      return code;
    }
  r = labo_chaos_play (lab, sc, &co, &err);
  if (r < 0)
    code = cli_fail (&err, EXIT_FAIL);
  else if (r > 0)
    code = EXIT_FAIL;
  if (co.check)
    {
      int c = end_check (co.check, &a);
      if (c != EXIT_OK && (code == EXIT_OK || c == EXIT_LOST))
        code = c;
    }
  labo_scenario_free (sc);
  labo_lab_free (lab);
  return code;
}
