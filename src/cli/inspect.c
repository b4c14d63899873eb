/* `labo status`, `labo verify` and `labo events`. */
#include "cli.h"

#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "labo/util/caps.h"
#include "labo/super/control.h"
#include "labo/model/state.h"
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
  if ((r = cli_lab_arg (lab_opt, argc, argv, &lab_opt)) != EXIT_OK
      || (r = cli_resolve_lab (lab_opt, false, &name)) != EXIT_OK)
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
  if (as_json)
    {
      json_dumpf (st, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
      putchar ('\n');
    }
  else
    labo_status_print (st, stdout);
  json_decref (st);
  return EXIT_OK;
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

/* Every lab up, one line each (or a JSON array); EXIT_OK if all are done. */
static int
verify_all (bool as_json)
{
  char **labs = NULL;
  size_t n = 0;
  labo_error_t err = NULL;
  struct verify_job *jobs;
  pthread_t *threads;
  bool *started;
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
  jobs = xcalloc (n, sizeof (*jobs));
  threads = xcalloc (n, sizeof (*threads));
  started = xcalloc (n, sizeof (*started));
  for (size_t i = 0; i < n; i++)
    {
      jobs[i].lab = labs[i];
      started[i] = pthread_create (&threads[i], NULL, verify_job_run, &jobs[i]) == 0;
      if (!started[i])
        verify_job_run (&jobs[i]);
      if ((int) strlen (labs[i]) > width)
        width = (int) strlen (labs[i]);
    }
  for (size_t i = 0; i < n; i++)
    if (started[i])
      pthread_join (threads[i], NULL);
  for (size_t i = 0; i < n; i++)
    {
      if (jobs[i].report == NULL)
        {
          /* gone between the list and its verify: said, and counted */
          code = cli_fail (&jobs[i].err, EXIT_FAIL);
          continue;
        }
      if (!json_is_true (json_object_get (jobs[i].report, "ok")))
        code = EXIT_FAIL;
      if (!as_json)
        labo_verify_print_line (jobs[i].report, width, stdout);
      json_array_append_new (all, jobs[i].report);
    }
  if (as_json)
    {
      json_dumpf (all, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
      putchar ('\n');
    }
  json_decref (all);
  labo_strv_free (labs, n);
  free (jobs);
  free (threads);
  free (started);
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
