/* `labo status`, `labo verify`, `labo events` and `labo graph`. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/util/caps.h"
#include "labo/super/control.h"
#include "labo/model/state.h"
#include "labo/engine/graph.h"
#include "labo/engine/status.h"
#include "labo/engine/verify.h"
#include "labo/util/util.h"

int
cmd_status (int argc, char **argv)
{
  static const struct option opts[]
      = { { "json", no_argument, NULL, 'j' }, { "lab", required_argument, NULL, 'l' },
          { NULL, 0, NULL, 0 } };
  cleanup_free char *name = NULL;
  const char *lab_opt = NULL;
  labo_error_t err = NULL;
  bool as_json = false;
  json_t *st;
  int c, r;

  while ((c = cli_getopt (argc, argv, "l:", opts)) != -1)
    if (c == 'j')
      as_json = true;
    else if (c == 'l')
      lab_opt = optarg;
    else
      return EXIT_INPUT;
  if ((r = cli_lab_arg (lab_opt, argc, argv, &lab_opt)) != EXIT_OK)
    return r;
  if ((st = cli_deployed (lab_opt)) != NULL)
    {
      r = cli_deployed_status (st, as_json);
      json_decref (st);
      return r;
    }
  if ((r = cli_resolve_lab (lab_opt, false, &name)) != EXIT_OK)
    return r;
  {
    cleanup_free char *dir = labo_state_dir (name);
    if (access (dir, F_OK) < 0)
      {
        fprintf (stderr, "labo: lab '%s' is not up (`labo ls` lists the labs that are)\n", name);
        return EXIT_NOTFOUND;
      }
  }
  if (labo_caps_require ("status", &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  st = labo_status_json (name, &err);
  if (st == NULL)
    return cli_fail (&err, EXIT_FAIL);
  return cli_show (st, as_json, labo_status_print);
}

/* One lab's verify, from a thread: labs are verified side by side. */
struct verify_job
{
  const char *lab;
  json_t *report;
  labo_error_t err;
};

static void *
verify_job_run (void *arg)
{
  struct verify_job *j = arg;
  j->report = labo_verify_json (j->lab, &j->err);
  return NULL;
}

json_t **
cli_verify_many (char **labs, size_t n, labo_error_t *errs)
{
  struct verify_job *jobs = xcalloc (n ? n : 1, sizeof (*jobs));
  pthread_t *threads = xcalloc (n ? n : 1, sizeof (*threads));
  bool *started = xcalloc (n ? n : 1, sizeof (*started));
  json_t **reports = xcalloc (n ? n : 1, sizeof (*reports));

  for (size_t i = 0; i < n; i++)
    {
      jobs[i].lab = labs[i];
      started[i] = pthread_create (&threads[i], NULL, verify_job_run, &jobs[i]) == 0;
      if (!started[i])
        verify_job_run (&jobs[i]);
    }
  for (size_t i = 0; i < n; i++)
    {
      if (started[i])
        pthread_join (threads[i], NULL);
      reports[i] = jobs[i].report;
      errs[i] = jobs[i].err;
    }
  free (jobs);
  free (threads);
  free (started);
  return reports;
}

/* Every lab up, one line each (or a JSON array); EXIT_OK if all are done. */
static int
verify_all (bool as_json)
{
  char **labs = NULL;
  size_t n = 0;
  labo_error_t err = NULL;
  cleanup_free labo_error_t *errs = NULL;
  cleanup_free json_t **reports = NULL;
  json_t *all = json_array ();
  int width = 0, code = EXIT_OK;

  if (labo_state_list (&labs, &n, &err) < 0)
    return cli_fail (&err, EXIT_FAIL);
  if (n == 0)
    {
      fprintf (stderr, "labo: no lab is up (`labo up` brings up the seed lab)\n");
      json_decref (all);
      return EXIT_NOTFOUND;
    }
  errs = xcalloc (n, sizeof (*errs));
  reports = cli_verify_many (labs, n, errs);
  for (size_t i = 0; i < n; i++)
    if ((int) strlen (labs[i]) > width)
      width = (int) strlen (labs[i]);
  for (size_t i = 0; i < n; i++)
    {
      if (reports[i] == NULL)
        {
          /* gone between the list and its verify: said, and counted */
          code = cli_fail (&errs[i], EXIT_FAIL);
          continue;
        }
      if (!json_is_true (json_object_get (reports[i], "ok")))
        code = EXIT_FAIL;
      if (!as_json)
        labo_verify_print_line (reports[i], width, stdout);
      json_array_append_new (all, reports[i]);
    }
  if (as_json)
    {
      json_dumpf (all, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
      putchar ('\n');
    }
  json_decref (all);
  labo_strv_free (labs, n);
  return code;
}

int
cmd_verify (int argc, char **argv)
{
  static const struct option opts[]
      = { { "json", no_argument, NULL, 'j' }, { "lab", required_argument, NULL, 'l' },
          { "all", no_argument, NULL, 'a' }, { NULL, 0, NULL, 0 } };
  cleanup_free char *name = NULL;
  const char *lab_opt = NULL;
  labo_error_t err = NULL;
  bool as_json = false, all = false;
  json_t *rep;
  int c, r;

  while ((c = cli_getopt (argc, argv, "al:", opts)) != -1)
    if (c == 'j')
      as_json = true;
    else if (c == 'l')
      lab_opt = optarg;
    else if (c == 'a')
      all = true;
    else
      return EXIT_INPUT;
  if ((r = cli_lab_arg (lab_opt, argc, argv, &lab_opt)) != EXIT_OK)
    return r;
  if (all && lab_opt)
    return cli_usage ("verify takes a lab or --all, not both", NULL);
  if (labo_caps_require ("verify", &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  if (!all && lab_opt == NULL && !(getenv ("LABO_LAB") && *getenv ("LABO_LAB")))
    {
      /* none named: the only lab up, or every lab up, one line each */
      char **labs = NULL;
      size_t n = 0;
      if (labo_state_list (&labs, &n, &err) < 0)
        return cli_fail (&err, EXIT_FAIL);
      labo_strv_free (labs, n);
      all = n > 1;
    }
  if (all)
    return verify_all (as_json);
  if ((r = cli_resolve_lab (lab_opt, false, &name)) != EXIT_OK)
    return r;
  {
    cleanup_free char *dir = labo_state_dir (name);
    if (access (dir, F_OK) < 0)
      {
        fprintf (stderr, "labo: lab '%s' is not up (`labo ls` lists the labs that are)\n", name);
        return EXIT_NOTFOUND;
      }
  }
  rep = labo_verify_json (name, &err);
  if (rep == NULL)
    return cli_fail (&err, EXIT_NOTFOUND);
  if (as_json)
    {
      json_dumpf (rep, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
      putchar ('\n');
    }
  else
    labo_verify_print (rep, stdout);
  r = json_is_true (json_object_get (rep, "ok")) ? EXIT_OK : EXIT_FAIL;
  json_decref (rep);
  return r;
}

struct events_out
{
  bool json, follow;
};

static int
print_one (json_t *ev, void *data)
{
  struct events_out *o = data;
  const char *t;

  if (json_is_true (json_object_get (ev, "backlog_end")))
    return !o->follow;
  if (o->json)
    {
      json_dumpf (ev, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
      putchar ('\n');
    }
  else
    {
      t = json_string_value (json_object_get (ev, "time"));
      printf ("%s  %-10s %-14s %s\n", t ? t : "", json_string_value (json_object_get (ev, "kind")),
              json_string_value (json_object_get (ev, "subject")),
              json_string_value (json_object_get (ev, "message")));
    }
  fflush (stdout);
  return 0;
}

int
cmd_events (int argc, char **argv)
{
  static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
                                        { "lab", required_argument, NULL, 'l' },
                                        { "no-follow", no_argument, NULL, 'N' },
                                        { NULL, 0, NULL, 0 } };
  struct events_out o = { false, true };
  cleanup_free char *name = NULL;
  const char *lab_opt = NULL;
  labo_error_t err = NULL;
  long backlog = 20;
  json_t *req;
  int c, r;

  while ((c = cli_getopt (argc, argv, "l:n:", opts)) != -1)
    switch (c)
      {
      case 'l':
        lab_opt = optarg;
        break;
      case 'j':
        o.json = true;
        break;
      case 'n':
        {
          char *end;
          backlog = strtol (optarg, &end, 10);
          if (*end || backlog < 0)
            return cli_usage ("-n takes a number of past events, not '%s'", optarg);
          break;
        }
      case 'N':
        o.follow = false;
        break;
      default:
        return EXIT_INPUT;
      }
  if ((r = cli_lab_arg (lab_opt, argc, argv, &lab_opt)) != EXIT_OK
      || (r = cli_resolve_lab (lab_opt, false, &name)) != EXIT_OK)
    return r;
  if (labo_supervisor_alive (name, NULL) <= 0)
    {
      fprintf (stderr, "labo: lab %s has no supervisor running%s\n", name,
               labo_state_meta (name, "state") ? " (`labo up` of its lab file starts a new one)"
                                               : ": it is not up");
      return EXIT_FAIL;
    }
  req = json_pack ("{s:s, s:i}", "cmd", "events", "backlog", (int) backlog);
  r = labo_control_stream (name, req, print_one, &o, &err);
  json_decref (req);
  return r < 0 ? cli_fail (&err, EXIT_FAIL) : EXIT_OK;
}

/* The format -o's name implies (lab.svg), or -1. */
static int
format_of_output (const char *path, enum labo_graph_format *f)
{
  static const struct
  {
    const char *ext;
    enum labo_graph_format f;
  } exts[] = { { ".dot", LABO_GRAPH_DOT },   { ".gv", LABO_GRAPH_DOT },
               { ".svg", LABO_GRAPH_SVG },   { ".mmd", LABO_GRAPH_MERMAID },
               { ".json", LABO_GRAPH_JSON } };
  size_t l = path ? strlen (path) : 0;
  for (size_t i = 0; i < sizeof (exts) / sizeof (exts[0]); i++)
    {
      size_t e = strlen (exts[i].ext);
      if (l > e && strcmp (path + l - e, exts[i].ext) == 0)
        {
          *f = exts[i].f;
          return 0;
        }
    }
  return -1;
}

static int
unknown_format (const char *word)
{
  const char *best = NULL;
  size_t best_d = 3;
  for (size_t i = 0; labo_graph_format_names[i]; i++)
    {
      size_t d = labo_edit_distance_max (word, labo_graph_format_names[i], 2);
      if (d < best_d)
        best_d = d, best = labo_graph_format_names[i];
    }
  if (best)
    fprintf (stderr, "labo graph: unknown format '%s'; did you mean '%s'? (dot, svg, mermaid, "
                     "json)\n", word, best);
  else
    fprintf (stderr, "labo graph: unknown format '%s': dot, svg, mermaid or json\n", word);
  return EXIT_INPUT;
}

/* A lab file rather than a lab's name: a path, or a file that is there. */
static bool
graph_arg_is_file (const char *arg)
{
  struct stat st;
  size_t l = strlen (arg);
  return strchr (arg, '/') || (l > 5 && strcmp (arg + l - 5, ".yaml") == 0)
         || (l > 4 && strcmp (arg + l - 4, ".yml") == 0)
         || (stat (arg, &st) == 0 && S_ISREG (st.st_mode));
}

static bool
lab_is_up (const char *name)
{
  cleanup_free char *dir = labo_state_dir (name);
  return access (dir, F_OK) == 0;
}

int
cmd_graph (int argc, char **argv)
{
  static const struct option opts[]
      = { { "format", required_argument, NULL, 'F' }, { "output", required_argument, NULL, 'o' },
          { "lab", required_argument, NULL, 'l' },    { NULL, 0, NULL, 0 } };
  cleanup_free char *name = NULL, *text = NULL, *out = NULL;
  const char *lab_opt = NULL, *format = NULL, *output = NULL;
  struct labo_lab *lab = NULL;
  labo_error_t err = NULL;
  enum labo_graph_format f = LABO_GRAPH_DOT;
  json_t *st = NULL;
  size_t len = 0;
  int c, r;

  while ((c = cli_getopt (argc, argv, "l:o:", opts)) != -1)
    if (c == 'F')
      format = optarg;
    else if (c == 'o')
      output = optarg;
    else if (c == 'l')
      lab_opt = optarg;
    else
      return EXIT_INPUT;
  if (format && labo_graph_format_parse (format, &f) < 0)
    return unknown_format (format);
  if (format == NULL && output && strcmp (output, "-") != 0)
    format_of_output (output, &f);
  if ((r = cli_lab_arg (lab_opt, argc, argv, &lab_opt)) != EXIT_OK)
    return r;
  if (lab_opt == NULL && getenv ("LABO_LAB") && *getenv ("LABO_LAB"))
    lab_opt = getenv ("LABO_LAB");

  if (lab_opt && graph_arg_is_file (lab_opt))
    {
      /* a file: live if its lab is up and we may read it, else as declared */
      struct labo_lab *declared = cli_load_lab (lab_opt, &text, &len);
      if (declared == NULL)
        return EXIT_INPUT;
      if (lab_is_up (declared->name) && labo_caps_require ("graph", &err) == 0)
        {
          name = xstrdup (declared->name);
          labo_lab_free (declared);
        }
      else
        {
          if (err)
            {
              fprintf (stderr, "labo graph: lab %s is up, but its live state needs root: "
                               "drawn as %s declares it\n", declared->name, lab_opt);
              labo_error_release (&err);
            }
          lab = declared;
        }
    }
  else
    {
      if ((r = cli_resolve_lab (lab_opt, false, &name)) != EXIT_OK)
        return r;
      if (!lab_is_up (name))
        {
          fprintf (stderr, "labo graph: lab '%s' is not up and there is no lab file '%s' "
                           "(`labo ls` lists the labs that are up)\n", name, name);
          return EXIT_NOTFOUND;
        }
    }
  if (lab == NULL)
    {
      if (labo_caps_require ("graph", &err) < 0)
        return cli_fail (&err, EXIT_PRIV);
      lab = cli_state_lab (name);
      if (lab == NULL)
        {
          fprintf (stderr, "labo graph: lab %s is not up\n", name);
          return EXIT_NOTFOUND;
        }
      st = labo_status_json (name, &err);
      if (st == NULL)
        {
          labo_lab_free (lab);
          return cli_fail (&err, EXIT_FAIL);
        }
    }

  {
    cleanup_graph struct labo_graph *g = labo_graph_build (lab, st);
    json_decref (st);
    labo_lab_free (lab);
    switch (f)
      {
      case LABO_GRAPH_DOT:
        out = labo_graph_dot (g);
        break;
      case LABO_GRAPH_MERMAID:
        out = labo_graph_mermaid (g);
        break;
      case LABO_GRAPH_JSON:
        {
          json_t *j = labo_graph_json (g);
          char *d = json_dumps (j, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
          json_decref (j);
          out = xasprintf ("%s\n", d);
          free (d);
          break;
        }
      case LABO_GRAPH_SVG:
      default:
        out = labo_graph_svg (g, &len, &err);
        if (out == NULL)
          return cli_fail (&err, EXIT_FAIL);
        break;
      }
    if (f != LABO_GRAPH_SVG)
      len = strlen (out);
  }
  if (output && strcmp (output, "-") != 0)
    {
      if (labo_write_file (output, out, len, 0644) < 0)
        {
          fprintf (stderr, "labo graph: writing %s: %s\n", output, strerror (errno));
          return EXIT_FAIL;
        }
      return EXIT_OK;
    }
  if (fwrite (out, 1, len, stdout) != len || fflush (stdout) != 0)
    {
      fprintf (stderr, "labo graph: writing to stdout: %s\n", strerror (errno));
      return EXIT_FAIL;
    }
  return EXIT_OK;
}
