/* `labo partition`, `labo heal`, `labo stop`, `labo start`, `labo kill`,
 * `labo pause`, `labo resume`:
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
#include "labo/engine/pause.h"
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

/* The nodes flagged in changed, "zk1, zk2" (caller frees). */
static char *
node_list (const struct labo_lab *lab, const bool *changed)
{
  char *out = xstrdup ("");
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (changed[i])
      {
        char *t = xasprintf ("%s%s%s", out, out[0] ? ", " : "", lab->nodes[i].name);
        free (out);
        out = t;
      }
  return out;
}

/* `labo pause TARGET`, `labo resume [TARGET | --all]`: TARGET a node, a
 * host (every node it runs), leader or follower (the node in that role
 * now). */
static int
pause_verb (int argc, char **argv, bool pause)
{
  static const struct option opts[] = { { "lab", required_argument, NULL, 'l' },
                                        { "all", no_argument, NULL, 'a' },
                                        { NULL, 0, NULL, 0 } };
  const char *lab_opt = NULL, *target;
  const char *verb = pause ? "pause" : "resume";
  labo_error_t err = NULL;
  struct labo_lab *lab;
  bool all = false;
  int c, code = EXIT_OK, r;
  long node = -1, host = -1;
  double t0;

  while ((c = cli_getopt (argc, argv, "l:a", opts)) != -1)
    if (c == 'l')
      lab_opt = optarg;
    else if (c == 'a' && !pause)
      all = true;
    else
      return EXIT_INPUT;
  if (pause ? optind + 1 != argc : optind + (all ? 0 : 1) < argc)
    return cli_usage (pause ? "pause takes one node or host: labo pause NODE|HOST|leader|follower"
                            : "resume takes one node or host, or none (--all: every node paused)",
                      NULL);
  target = optind < argc ? argv[optind] : NULL;
  if (labo_caps_require (verb, &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  if (target == NULL || strcmp (target, "leader") == 0 || strcmp (target, "follower") == 0)
    lab = cli_running_lab (lab_opt, &code);
  else
    lab = cli_target_lab (lab_opt, target, false, &code);
  if (lab == NULL)
    return code;
  if (target && (node = labo_node_by_role (lab, target, &err)) < 0)
    {
      labo_error_release (&err);
      host = labo_lab_find_host (lab, target);
      if (host < 0)
        {
          /* leader, follower: none now */
          node = labo_node_by_role (lab, target, &err);
          labo_lab_free (lab);
          return cli_fail (&err, EXIT_NOTFOUND);
        }
    }
  t0 = labo_now ();
  if (node >= 0)
    {
      const char *name = lab->nodes[node].name;
      cleanup_free char *who = strcmp (name, target) == 0
                                   ? xstrdup (name)
                                   : xasprintf ("%s (the %s)", name, target);
      r = labo_pause_node (lab, (size_t) node, pause, &err);
      if (r < 0)
        code = cli_fail (&err, EXIT_FAIL);
      else if (r == 0)
        printf (pause ? "labo: %s was paused already (`labo resume %s`)\n"
                      : "labo: %s was not paused%s\n",
                who, pause ? name : "");
      else if (pause)
        printf ("labo: %s paused in %.0f ms: frozen, its sockets kept open; the supervisor "
                "holds its probes (`labo resume %s`)\n",
                who, (labo_now () - t0) * 1000, name);
      else
        printf ("labo: %s resumed in %.0f ms: it runs and is probed again\n", who,
                (labo_now () - t0) * 1000);
    }
  else
    {
      cleanup_free bool *changed = NULL;
      r = labo_pause_host (lab, host, pause, &changed, &err);
      if (r < 0)
        code = cli_fail (&err, EXIT_FAIL);
      else
        {
          cleanup_free char *names = node_list (lab, changed);
          if (host >= 0 && r == 0)
            printf (pause ? "labo: every node of %s was paused already (or it runs none)\n"
                          : "labo: no node of %s was paused\n",
                    lab->hosts[host].name);
          else if (host >= 0)
            printf (pause ? "labo: %d node%s of %s paused (%s); the host itself runs on "
                            "(links, namespaces, dockerd) (`labo resume %s`)\n"
                          : "labo: %d node%s of %s resumed (%s)%s\n",
                    r, r == 1 ? "" : "s", lab->hosts[host].name, names,
                    pause ? lab->hosts[host].name : "");
          else if (r == 0)
            printf ("labo: no node of lab %s was paused\n", lab->name);
          else
            printf ("labo: %d node%s resumed (%s)\n", r, r == 1 ? "" : "s", names);
        }
    }
  labo_lab_free (lab);
  return code;
}

int
cmd_pause (int argc, char **argv)
{
  return pause_verb (argc, argv, true);
}

int
cmd_resume (int argc, char **argv)
{
  return pause_verb (argc, argv, false);
}
