/* `labo partition`, `labo heal`, `labo stop`, `labo start`, `labo kill`:
 * the faults a trainer injects (include/labo/engine/faults.h). Partitions are
 * written here (they are rules in the hosts' namespaces); powering hosts
 * off and on, and signals, go through the lab's supervisor, which owns the
 * processes and must not restart what is powered off. */
#include "cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/util/caps.h"
#include "labo/engine/faults.h"
#include "labo/model/state.h"
#include "labo/util/util.h"

static size_t
host_of (const struct labo_lab *lab, const char *name, int *code)
{
  long h = labo_lab_find_host (lab, name);
  if (h < 0)
    {
      fprintf (stderr, "labo: lab %s has no host named %s\n", lab->name, name);
      *code = EXIT_NOTFOUND;
    }
  return h < 0 ? (size_t) -1 : (size_t) h;
}

int
cmd_partition (int argc, char **argv)
{
  static const struct option opts[] = { { "lab", required_argument, NULL, 'l' },
                                        { "oneway", no_argument, NULL, 'o' },
                                        { "isolate", required_argument, NULL, 'i' },
                                        { NULL, 0, NULL, 0 } };
  const char *lab_opt = NULL, *isolate = NULL;
  labo_error_t err = NULL;
  struct labo_lab *lab;
  bool oneway = false;
  int c, code = EXIT_OK, r;
  size_t a, b = 0;

  while ((c = cli_getopt (argc, argv, "l:oi:", opts)) != -1)
    if (c == 'l')
      lab_opt = optarg;
    else if (c == 'o')
      oneway = true;
    else if (c == 'i')
      isolate = optarg;
    else
      return EXIT_INPUT;
  if (isolate ? optind != argc || oneway : optind + 2 != argc)
    return cli_usage ("partition takes two hosts (labo partition A B [--oneway]) or --isolate "
                      "HOST", NULL);
  if (labo_caps_require ("partition", &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  lab = cli_target_lab (lab_opt, isolate ? isolate : argv[optind], true, &code);
  if (lab == NULL)
    return code;
  a = host_of (lab, isolate ? isolate : argv[optind], &code);
  if (!isolate && a != (size_t) -1)
    b = host_of (lab, argv[optind + 1], &code);
  if (code == EXIT_OK && !isolate && a == b)
    {
      fprintf (stderr, "labo: a host cannot be cut from itself\n");
      code = EXIT_INPUT;
    }
  if (code != EXIT_OK)
    {
      labo_lab_free (lab);
      return code;
    }
  r = isolate ? labo_isolate (lab, a, &err) : labo_partition (lab, a, b, oneway, &err);
  if (r < 0)
    code = cli_fail (&err, EXIT_FAIL);
  else if (isolate)
    printf ("labo: %s is cut from every other host of lab %s (%d new cut%s); `labo heal` "
            "joins them again\n", lab->hosts[a].name, lab->name, r, r == 1 ? "" : "s");
  else
    printf ("labo: traffic %s %s %s %s is dropped%s; `labo heal %s %s` lets it through\n",
            oneway ? "from" : "between", lab->hosts[a].name, oneway ? "to" : "and",
            lab->hosts[b].name, r ? "" : " (it was already)", lab->hosts[a].name,
            lab->hosts[b].name);
  labo_lab_free (lab);
  return code;
}

int
cmd_heal (int argc, char **argv)
{
  static const struct option opts[]
      = { { "lab", required_argument, NULL, 'l' }, { NULL, 0, NULL, 0 } };
  const char *lab_opt = NULL;
  labo_error_t err = NULL;
  struct labo_lab *lab;
  long a = -1, b = -1;
  int c, code = EXIT_OK, r;

  while ((c = cli_getopt (argc, argv, "l:", opts)) != -1)
    if (c == 'l')
      lab_opt = optarg;
    else
      return EXIT_INPUT;
  if (optind != argc && optind + 2 != argc)
    return cli_usage ("heal takes two hosts, or none (every cut)", NULL);
  if (labo_caps_require ("heal", &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  if (optind == argc)
    {
      if ((lab = cli_running_lab (lab_opt, &code)) == NULL)
        return code;
    }
  else
    {
      lab = cli_target_lab (lab_opt, argv[optind], true, &code);
      if (lab == NULL)
        return code;
      a = (long) host_of (lab, argv[optind], &code);
      b = (long) host_of (lab, argv[optind + 1], &code);
      if (code != EXIT_OK)
        {
          labo_lab_free (lab);
          return code;
        }
    }
  r = labo_heal (lab, a, b, &err);
  if (r < 0)
    code = cli_fail (&err, EXIT_FAIL);
  else
    printf ("labo: %d cut%s removed%s\n", r, r == 1 ? "" : "s",
            a < 0 ? "; traffic flows between every host" : "");
  labo_lab_free (lab);
  return code;
}

static int
power (int argc, char **argv, bool on)
{
  static const struct option opts[]
      = { { "lab", required_argument, NULL, 'l' }, { NULL, 0, NULL, 0 } };
  const char *lab_opt = NULL;
  labo_error_t err = NULL;
  struct labo_lab *lab;
  int c, code = EXIT_OK;
  long h;

  while ((c = cli_getopt (argc, argv, "l:", opts)) != -1)
    if (c == 'l')
      lab_opt = optarg;
    else
      return EXIT_INPUT;
  if (optind + 1 != argc)
    return cli_usage (on ? "start takes one host: labo start HOST"
                         : "stop takes one host: labo stop HOST", NULL);
  if (labo_caps_require (on ? "start" : "stop", &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  lab = cli_target_lab (lab_opt, argv[optind], true, &code);
  if (lab == NULL)
    return code;
  h = labo_lab_find_host (lab, argv[optind]);
  if (labo_power_request (lab, (size_t) h, on, &err) < 0)
    code = cli_fail (&err, EXIT_FAIL);
  else
    printf (on ? "labo: %s is powered on; its daemon and nodes start under the supervisor "
                 "(`labo events %s`)\n"
               : "labo: %s is powered off: its processes ended, its links are down (`labo "
                 "start %s` powers it on)\n",
            argv[optind], on ? lab->name : argv[optind]);
  labo_lab_free (lab);
  return code;
}

int
cmd_stop (int argc, char **argv)
{
  return power (argc, argv, false);
}

int
cmd_start (int argc, char **argv)
{
  return power (argc, argv, true);
}

int
cmd_kill (int argc, char **argv)
{
  static const struct option opts[] = { { "lab", required_argument, NULL, 'l' },
                                        { "signal", required_argument, NULL, 's' },
                                        { NULL, 0, NULL, 0 } };
  const char *lab_opt = NULL;
  labo_error_t err = NULL;
  struct labo_lab *lab;
  int sig = SIGKILL, c, code = EXIT_OK;
  long node;

  while ((c = cli_getopt (argc, argv, "l:s:", opts)) != -1)
    if (c == 'l')
      lab_opt = optarg;
    else if (c == 's')
      {
        if ((sig = labo_signal_parse (optarg)) < 0)
          return cli_usage ("unknown signal '%s' (KILL, TERM, STOP, 9...)", optarg);
      }
    else
      return EXIT_INPUT;
  if (optind + 1 != argc)
    return cli_usage ("kill takes one node: labo kill NODE [--signal S]", NULL);
  if (labo_caps_require ("kill", &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  {
    json_t *rec = cli_deployed (lab_opt);
    if (rec)
      {
        code = cli_deployed_kill (rec, argv[optind], sig);
        json_decref (rec);
        return code;
      }
  }
  lab = cli_target_lab (lab_opt, argv[optind], false, &code);
  if (lab == NULL)
    return code;
  if ((node = labo_lab_find_node (lab, argv[optind])) < 0)
    {
      fprintf (stderr, "labo: %s is a host: `labo stop %s` powers it off; kill takes a node\n",
               argv[optind], argv[optind]);
      labo_lab_free (lab);
      return EXIT_INPUT;
    }
  if (labo_kill_request (lab, (size_t) node, sig, &err) < 0)
    code = cli_fail (&err, EXIT_FAIL);
  else
    printf ("labo: SIG%s sent to %s\n", sigabbrev_np (sig), argv[optind]);
  labo_lab_free (lab);
  return code;
}
