/* `labo clock`: skew a node's wall clock, reset it, show the skews
 * (include/labo/engine/clock.h does the work). */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/engine/clock.h"
#include "labo/engine/pause.h"
#include "labo/model/state.h"
#include "labo/util/caps.h"
#include "labo/util/util.h"

static int
show (const char *lab_opt, bool json, int *code)
{
  struct labo_lab *lab = cli_running_lab (lab_opt, code);
  json_t *clocks;
  size_t i;
  json_t *c;

  if (lab == NULL)
    return *code;
  clocks = labo_clock_json (lab);
  if (json)
    {
      json_t *o = json_pack ("{s:s, s:o}", "lab", lab->name, "clocks", clocks);
      char *text = json_dumps (o, JSON_INDENT (2));
      puts (text);
      free (text);
      json_decref (o);
      labo_lab_free (lab);
      return EXIT_OK;
    }
  if (json_array_size (clocks) == 0)
    printf ("labo: no node of lab %s has its clock skewed\n", lab->name);
  else
    printf ("%-16s %-10s %-10s %-10s %s\n", "NODE", "OFFSET", "DRIFT", "NOW", "SINCE");
  json_array_foreach (clocks, i, c)
    {
      char o[32], d[32], n[32];
      double rate = json_real_value (json_object_get (c, "rate"));
      printf ("%-16s %-10s %-10s %-10s %s\n",
              json_string_value (json_object_get (c, "node")),
              labo_skew_offset_format (
                  json_integer_value (json_object_get (c, "offset_ms")) * 1000000, o),
              labo_skew_drift_format (rate, d),
              labo_skew_offset_format (
                  json_integer_value (json_object_get (c, "skew_ms")) * 1000000, n),
              json_string_value (json_object_get (c, "since")));
    }
  json_decref (clocks);
  labo_lab_free (lab);
  return EXIT_OK;
}

int
cmd_clock (int argc, char **argv)
{
  static const struct option opts[] = { { "lab", required_argument, NULL, 'l' },
                                        { "drift", required_argument, NULL, 'd' },
                                        { "json", no_argument, NULL, 'j' },
                                        { NULL, 0, NULL, 0 } };
  const char *lab_opt = NULL, *drift = NULL, *name, *what;
  labo_error_t err = NULL;
  struct labo_lab *lab;
  struct labo_skew s;
  int64_t offset = 0;
  double rate = 1;
  bool json = false, reset;
  int c, code = EXIT_OK;
  long node;

  /* `labo clock NODE -5s`: an offset is no option. Moved after a "--"
   * (the positionals keep their order: the node, then the offset); not
   * the value of an option (`--drift -50ppm`), nor when the user wrote
   * "--" already */
  cleanup_free char **args = xcalloc ((size_t) argc + 2, sizeof (*args));
  cleanup_free bool *moved = xcalloc ((size_t) argc + 1, sizeof (*moved));
  {
    int k = 0, neg = 0;
    bool dashdash = false;
    for (int i = 1; i < argc; i++)
      dashdash |= strcmp (argv[i], "--") == 0;
    for (int i = 1; i < argc && !dashdash; i++)
      {
        const char *prev = argv[i - 1];
        moved[i] = argv[i][0] == '-' && argv[i][1] >= '0' && argv[i][1] <= '9'
                   && strcmp (prev, "--drift") != 0 && strcmp (prev, "-l") != 0
                   && strcmp (prev, "--lab") != 0;
        neg += moved[i];
      }
    for (int i = 0; i < argc; i++)
      if (!moved[i])
        args[k++] = argv[i];
    if (neg)
      args[k++] = (char *) "--";
    for (int i = 1; i < argc; i++)
      if (moved[i])
        args[k++] = argv[i];
    argc = k;
    argv = args;
  }
  while ((c = cli_getopt (argc, argv, "l:", opts)) != -1)
    if (c == 'l')
      lab_opt = optarg;
    else if (c == 'd')
      drift = optarg;
    else if (c == 'j')
      json = true;
    else
      return EXIT_INPUT;
  if (optind + 2 != argc)
    {
      const char *arg = NULL;
      int r;
      if (drift || optind + 2 < argc)
        return cli_usage ("clock takes a node and an offset (labo clock NODE +30s "
                          "[--drift RATE]), a node and `reset`, or at most a lab (the skews)",
                          NULL);
      if ((r = cli_lab_arg (lab_opt, argc, argv, &arg)) != EXIT_OK)
        return r;
      return show (arg, json, &code);
    }
  name = argv[optind];
  what = argv[optind + 1];
  reset = strcmp (what, "reset") == 0;
  if (reset && drift)
    return cli_usage ("clock NODE reset takes no --drift", NULL);
  if ((!reset && labo_skew_parse_offset (what, &offset, &err) < 0)
      || (drift && labo_skew_parse_drift (drift, &rate, &err) < 0))
    {
      cli_usage ("%s", err->msg);
      labo_error_release (&err);
      return EXIT_INPUT;
    }
  if (labo_caps_require ("clock", &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  if (strcmp (name, "leader") == 0 || strcmp (name, "follower") == 0)
    lab = cli_running_lab (lab_opt, &code);
  else
    lab = cli_target_lab (lab_opt, name, false, &code);
  if (lab == NULL)
    return code;
  if ((node = labo_node_by_role (lab, name, &err)) < 0)
    code = cli_fail (&err, strcmp (name, "leader") == 0 || strcmp (name, "follower") == 0
                               ? EXIT_FAIL
                               : EXIT_INPUT);
  else if (labo_clock_set (lab, (size_t) node, offset, rate, &s, &err) < 0)
    code = cli_fail (&err, EXIT_FAIL);
  else if (reset || (offset == 0 && rate == 1))
    printf ("labo: %s's clock is the machine's again\n", lab->nodes[node].name);
  else
    {
      char o[32], d[32];
      printf ("labo: %s's clock reads %s from the machine's%s%s (seen within %d s); `labo "
              "clock %s reset` puts it back\n",
              lab->nodes[node].name, labo_skew_offset_format (offset, o),
              rate != 1 ? ", drifting " : "", rate != 1 ? labo_skew_drift_format (rate, d) : "",
              LABO_CLOCK_CACHE_S, lab->nodes[node].name);
    }
  labo_lab_free (lab);
  return code;
}
