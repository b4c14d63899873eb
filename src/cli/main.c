/* The labo command line: parses arguments, picks the lab, calls the lab
 * layer, and maps failures to documented exit codes:
 *   0 ok, 1 failure (what and why on stderr; a failed `up` is rolled back),
 *   2 bad input (usage, invalid lab file), 3 missing privileges,
 *   4 no such lab or host. `exec` exits with the command's own status.
 * The verbs live in the other files of src/cli/ (see cli.h). */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "labo/util/fs.h"
#include "labo/model/copy.h"
#include "labo/model/state.h"
#include "labo/engine/deploy.h"
#include "labo/engine/status.h"
#include "labo/util/util.h"

#ifndef LABO_VERSION
#define LABO_VERSION "0.0.0"
#endif
#ifndef LABO_COMMIT
#define LABO_COMMIT "unknown"
#endif

int
cmd_version (int argc, char **argv)
{
  (void) argv;
  if (argc > 1)
    return cli_usage ("version takes no argument", NULL);
  printf ("labo %s (commit %s)\n", LABO_VERSION, LABO_COMMIT);
  return EXIT_OK;
}

/* validate --json: {"file", "ok", "lab", "hosts", "segments", "links",
 * "errors": [{"file", "line", "column", "message"}], "warnings": [...]}
 * (docs/json.md). */
/* The options of a verb whose only one is --json: EXIT_OK or EXIT_INPUT. */
static int
json_only (int argc, char **argv, bool *as_json)
{
  static const struct option opts[]
      = { { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
  int c;

  *as_json = false;
  while ((c = cli_getopt (argc, argv, "", opts)) != -1)
    if (c == 'j')
      *as_json = true;
    else
      return EXIT_INPUT;
  return EXIT_OK;
}

int
cmd_validate (int argc, char **argv)
{
  cleanup_free char *text = NULL;
  bool as_json;
  struct labo_lab *lab;
  size_t len;

  if (json_only (argc, argv, &as_json) != EXIT_OK)
    return EXIT_INPUT;
  if (argc - optind > 1)
    return cli_usage ("validate takes one lab file", NULL);
  if (as_json)
    return cli_validate_json (optind < argc ? argv[optind] : NULL);
  lab = cli_load_lab (optind < argc ? argv[optind] : NULL, &text, &len);
  if (lab == NULL)
    return EXIT_INPUT;
  cli_lab_warnings (lab);
  printf ("%s: ok: lab %s, %zu host%s, %zu segment%s, %zu link%s\n", lab->file, lab->name,
          lab->n_hosts, lab->n_hosts == 1 ? "" : "s", lab->n_segments,
          lab->n_segments == 1 ? "" : "s", lab->n_links, lab->n_links == 1 ? "" : "s");
  labo_lab_free (lab);
  return EXIT_OK;
}

/* A lab's root subnets as the machine sees them ("198.18.0.0/24", or "-"
 * for a lab without root links; "?" if its file no longer reads). */
static char *
ls_roots (const char *name)
{
  struct labo_lab *lab = labo_state_load_lab (name);
  char *s = xstrdup ("");
  char p[20];

  for (size_t i = 0; lab && i < lab->n_segments; i++)
    if (lab->segments[i].has_root)
      {
        struct labo_prefix net = labo_segment_root_subnet (&lab->segments[i]);
        char *next = xasprintf ("%s%s%s", s, *s ? "," : "", labo_prefix_format (&net, p));
        free (s);
        s = next;
      }
  if (*s == '\0')
    {
      free (s);
      s = xstrdup (lab ? "-" : "?");
    }
  labo_lab_free (lab);
  return s;
}

/* The labs deployed from this machine on a Swarm (labo deploy): state
 * "deployed", their manager's URL in the root's column; appended to arr
 * (json) or printed. Nothing is asked of the Swarm: `labo status LAB`
 * does that. */
static void
ls_deployed (json_t *arr, bool as_json, bool verify)
{
  char **labs = NULL;
  size_t n = 0;
  labo_error_t err = NULL;

  if (labo_deployed_list (&labs, &n, &err) < 0)
    {
      labo_error_print (err);
      labo_error_release (&err);
      return;
    }
  for (size_t i = 0; i < n; i++)
    {
      json_t *rec = cli_deployed (labs[i]);
      struct labo_deploy o = { 0 };
      struct labo_lab *lab;
      const char *url, *file;
      time_t t;
      struct tm tm;
      char when[32];

      if (rec == NULL)
        continue;
      lab = labo_deployed_lab (rec, &o, &err);
      labo_error_release (&err);
      free ((void *) o.place);
      url = json_string_value (json_object_get (rec, "url"));
      file = json_string_value (json_object_get (rec, "file"));
      t = (time_t) json_number_value (json_object_get (rec, "at"));
      strftime (when, sizeof (when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r (&t, &tm));
      if (as_json)
        {
          json_t *o2 = json_pack ("{s:s, s:s, s:i, s:n, s:s, s:s, s:n, s:{s:s}}", "lab", labs[i],
                                  "state", "deployed", "hosts", lab ? (int) lab->n_hosts : 0,
                                  "root", "created", when, "file", file ? file : "", "copy_of",
                                  "deployed", "url", url);
          if (verify)
            json_object_set_new (o2, "verify", json_null ());
          json_array_append_new (arr, o2);
        }
      else
        printf ("%-16s %-9s %s%-6zu %-18s %-21s %s\n", labs[i], "deployed", verify ? "-      " : "",
                lab ? lab->n_hosts : 0, url, when, file ? file : "?");
      labo_lab_free (lab);
      json_decref (rec);
    }
  labo_strv_free (labs, n);
}

int
cmd_ls (int argc, char **argv)
{
  static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
                                        { "verify", no_argument, NULL, 'v' },
                                        { NULL, 0, NULL, 0 } };
  char **labs = NULL;
  size_t n = 0;
  labo_error_t err = NULL;
  bool as_json = false, verify = false;
  cleanup_free labo_error_t *errs = NULL;
  cleanup_free json_t **reports = NULL;
  json_t *arr;
  int c;

  while ((c = cli_getopt (argc, argv, "", opts)) != -1)
    if (c == 'j')
      as_json = true;
    else if (c == 'v')
      verify = true;
    else
      return EXIT_INPUT;
  if (optind < argc)
    return cli_usage ("ls takes no argument", NULL);
  if (labo_state_list (&labs, &n, &err) < 0)
    return cli_fail (&err, EXIT_FAIL);
  errs = xcalloc (n ? n : 1, sizeof (*errs));
  if (verify)
    reports = cli_verify_many (labs, n, errs);
  arr = json_array ();
  if (!as_json)
    printf ("%-16s %-9s %s%-6s %-18s %-21s %s\n", "LAB", "STATE", verify ? "VERIFY " : "",
            "HOSTS", "ROOT", "CREATED", "FILE");
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *state = labo_status_state (labs[i]);
      cleanup_free char *hosts = labo_state_meta (labs[i], "hosts");
      cleanup_free char *created = labo_state_meta (labs[i], "created");
      cleanup_free char *file = labo_state_meta (labs[i], "file");
      cleanup_free char *copy_of = labo_state_meta (labs[i], "copy_of");
      cleanup_free char *roots = ls_roots (labs[i]);
      cleanup_free char *progress = NULL;
      json_t *rep = reports ? reports[i] : NULL;

      if (rep)
        progress = xasprintf ("%lld/%lld", json_integer_value (json_object_get (rep, "done")),
                              json_integer_value (json_object_get (rep, "steps")));
      else if (verify)
        {
          progress = xstrdup ("?");
          labo_error_release (&errs[i]);
        }
      if (as_json)
        {
          json_t *o = json_pack ("{s:s, s:s, s:i, s:s, s:s, s:s}", "lab", labs[i], "state",
                                 state, "hosts", hosts ? atoi (hosts) : 0, "root", roots,
                                 "created", created ? created : "", "file", file ? file : "");
          json_object_set_new (o, "copy_of", copy_of ? json_string (copy_of) : json_null ());
          if (verify)
            json_object_set_new (o, "verify", rep ? json_incref (rep) : json_null ());
          json_array_append_new (arr, o);
        }
      else
        {
          cleanup_free char *from = copy_of ? xasprintf ("%s (a copy of %s)", file ? file : "?",
                                                         copy_of)
                                            : xstrdup (file ? file : "?");
          cleanup_free char *col = verify ? xasprintf ("%-6s ", progress) : xstrdup ("");
          printf ("%-16s %-9s %s%-6s %-18s %-21s %s\n", labs[i], state, col,
                  hosts ? hosts : "?", roots, created ? created : "?", from);
        }
      json_decref (rep);
    }
  labo_strv_free (labs, n);
  ls_deployed (arr, as_json, verify);
  if (as_json)
    {
      json_dumpf (arr, stdout, JSON_INDENT (2));
      putchar ('\n');
    }
  json_decref (arr);
  return EXIT_OK;
}

/* -h or --help among a verb's options (not after "--", nor in exec's
 * command). */
static bool
asks_help (const struct cli_verb *v, int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        return false;
      if (strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "--help") == 0)
        return true;
      if ((v->flags & CLI_STOP_AT_ARG) && argv[i][0] != '-')
        {
          /* exec: -l's value, then the target; what follows is the command */
          if (i > 1 && (strcmp (argv[i - 1], "-l") == 0 || strcmp (argv[i - 1], "--lab") == 0))
            continue;
          return false;
        }
    }
  return false;
}

int
main (int argc, char **argv)
{
  const struct cli_verb *v;
  labo_error_t err = NULL;

  labo_fds_inherited_mark ();
  /* options of labo itself, before the verb */
  cli_limits = labo_limits_default;
  while (argc >= 3 && strcmp (argv[1], "--limit") == 0)
    {
      if (labo_limits_set (&cli_limits, argv[2], &err) < 0)
        {
          labo_error_print (err);
          labo_error_release (&err);
          return EXIT_INPUT;
        }
      argc -= 2;
      argv += 2;
    }
  if (argc == 2 && strcmp (argv[1], "--limit") == 0)
    {
      fputs ("labo: --limit takes NAME=N, before the verb; see 'labo --help'\n", stderr);
      return EXIT_INPUT;
    }
  if (argc < 2)
    {
      cli_help_overview (stderr);
      return EXIT_INPUT;
    }
  if (strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0)
    return cmd_help (argc - 1, argv + 1);
  if (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-V") == 0)
    return cmd_version (1, argv + 1);
  if (argv[1][0] == '-')
    {
      fprintf (stderr, "labo: unknown option '%s' (labo's own are --limit, --help, --version); "
                       "see 'labo --help'\n", argv[1]);
      return EXIT_INPUT;
    }
  v = cli_verb_find (argv[1]);
  if (v == NULL)
    return cli_unknown_verb (argv[1]);
  cli_verb_name = v->name;
  if (v->group != CLI_GROUP_HIDDEN && asks_help (v, argc - 1, argv + 1))
    {
      cli_help_verb (v, stdout);
      return EXIT_OK;
    }
  /* every verb but a few reads or writes root's state there: as root,
   * never in a place another user could have prepared (without privileges
   * there is nothing to turn, and each verb says which capability it
   * misses) */
  if (!(v->flags & CLI_NO_STATE) && geteuid () == 0 && labo_state_check_env (&err) < 0)
    return cli_fail (&err, EXIT_INPUT);
  optind = 1;
  return v->fn (argc - 1, argv + 1);
}
