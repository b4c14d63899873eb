/* The labo command line: parses arguments, picks the lab, calls the lab
 * layer, and maps failures to documented exit codes:
 *   0 ok, 1 failure (what and why on stderr; a failed `up` is rolled back),
 *   2 bad input (usage, invalid lab file), 3 missing privileges,
 *   4 no such lab or host. `exec` exits with the command's own status.
 * The verbs live in the other files of src/cli/ (see cli.h). */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "labo/fs.h"
#include "labo/state.h"
#include "labo/status.h"
#include "labo/util.h"

#ifndef LABO_VERSION
#define LABO_VERSION "0.1"
#endif

static int
cmd_validate (int argc, char **argv)
{
  cleanup_free char *text = NULL;
  size_t len;
  struct labo_lab *lab;

  if (argc > 2)
    return cli_usage ("validate takes one lab file", NULL);
  lab = cli_load_lab (argc == 2 ? argv[1] : NULL, &text, &len);
  if (lab == NULL)
    return EXIT_INPUT;
  cli_lab_warnings (lab);
  printf ("%s: ok: lab %s, %zu host%s, %zu segment%s, %zu link%s\n", lab->file, lab->name,
          lab->n_hosts, lab->n_hosts == 1 ? "" : "s", lab->n_segments,
          lab->n_segments == 1 ? "" : "s", lab->n_links, lab->n_links == 1 ? "" : "s");
  labo_lab_free (lab);
  return EXIT_OK;
}

static int
cmd_ls (int argc, char **argv)
{
  char **labs = NULL;
  size_t n = 0;
  labo_error_t err = NULL;
  bool as_json = argc > 1 && strcmp (argv[1], "--json") == 0;
  json_t *arr = json_array ();

  if (argc > 1 && !as_json)
    {
      json_decref (arr);
      return cli_usage ("ls takes only --json", NULL);
    }
  if (labo_state_list (&labs, &n, &err) < 0)
    {
      json_decref (arr);
      return cli_fail (&err, EXIT_FAIL);
    }
  if (!as_json)
    printf ("%-16s %-9s %-6s %-21s %s\n", "LAB", "STATE", "HOSTS", "CREATED", "FILE");
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *state = labo_status_state (labs[i]);
      cleanup_free char *hosts = labo_state_meta (labs[i], "hosts");
      cleanup_free char *created = labo_state_meta (labs[i], "created");
      cleanup_free char *file = labo_state_meta (labs[i], "file");
      if (as_json)
        json_array_append_new (
            arr, json_pack ("{s:s, s:s, s:i, s:s, s:s}", "lab", labs[i], "state", state,
                            "hosts", hosts ? atoi (hosts) : 0, "created",
                            created ? created : "", "file", file ? file : ""));
      else
        printf ("%-16s %-9s %-6s %-21s %s\n", labs[i], state, hosts ? hosts : "?",
                created ? created : "?", file ? file : "?");
    }
  if (as_json)
    {
      json_dumpf (arr, stdout, JSON_INDENT (2));
      putchar ('\n');
    }
  json_decref (arr);
  labo_strv_free (labs, n);
  return EXIT_OK;
}

int
main (int argc, char **argv)
{
  static const struct
  {
    const char *name;
    int (*fn) (int, char **);
  } cmds[] = {
    { "up", cmd_up },         { "down", cmd_down }, { "status", cmd_status },
    { "exec", cmd_exec },     { "ls", cmd_ls },     { "validate", cmd_validate },
    { "logs", cmd_logs },     { "events", cmd_events }, { "restart", cmd_restart },
    { "partition", cmd_partition }, { "heal", cmd_heal }, { "stop", cmd_stop },
    { "start", cmd_start },   { "kill", cmd_kill }, { "link", cmd_link },
    { "chaos", cmd_chaos },   { "check", cmd_check },
    { "__linkemu", cmd_linkemu },
  };
  const char *cmd;
  labo_error_t err = NULL;

  labo_fds_inherited_mark ();
  /* options of labo itself, before the command: only --limit */
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
    return cli_usage ("--limit takes NAME=N, before the command", NULL);
  if (argc < 2)
    return cli_usage (NULL, NULL);
  cmd = argv[1];
  if (strcmp (cmd, "-h") == 0 || strcmp (cmd, "--help") == 0 || strcmp (cmd, "help") == 0)
    {
      fputs (cli_usage_text, stdout);
      return EXIT_OK;
    }
  if (strcmp (cmd, "version") == 0 || strcmp (cmd, "--version") == 0)
    {
      printf ("labo %s\n", LABO_VERSION);
      return EXIT_OK;
    }
  for (size_t i = 0; i < sizeof (cmds) / sizeof (cmds[0]); i++)
    if (strcmp (cmd, cmds[i].name) == 0)
      {
        /* every verb but validate reads or writes root's state there: as
         * root, never in a place another user could have prepared (without
         * privileges there is nothing to turn, and each verb says which
         * capability it misses) */
        if (cmds[i].fn != cmd_validate && geteuid () == 0 && labo_state_check_env (&err) < 0)
          return cli_fail (&err, EXIT_INPUT);
        optind = 1;
        return cmds[i].fn (argc - 1, argv + 1);
      }
  return cli_usage ("unknown command '%s'", cmd);
}
