/* The command line's shared helpers: see src/cli/cli.h. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "labo/daemon.h"
#include "labo/docker.h"
#include "labo/labfile.h"
#include "labo/names.h"
#include "labo/state.h"
#include "labo/util.h"
#include "labo/zkproc.h"

struct labo_limits cli_limits;

const char cli_usage_text[]
    = "usage: labo [--limit NAME=N]... <command> [options]\n"
      "\n"
      "  up [FILE] [-q] [--dry-run] [--foreground] [--runtime docker|process]\n"
      "                               bring a lab up (default: the built-in seed lab) and\n"
      "                               leave its supervisor running; on a lab that is up,\n"
      "                               start a new supervisor if its own died\n"
      "  down [LAB|FILE] [-q] [--keep-data]  tear a lab down (idempotent); keep the nodes' data\n"
      "  status [LAB|FILE] [--json]   hosts, daemons, nodes, who leads, restarts, supervisor\n"
      "  events [LAB] [--json] [-n N] [--no-follow]  what the supervisor sees and does, live\n"
      "  exec [-l LAB] HOST|NODE -- CMD...  run CMD inside a host or a node\n"
      "  logs [-l LAB] [-f] HOST|NODE a host's dockerd log, or a node's ZooKeeper log\n"
      "  restart [-l LAB] NODE|HOST   restart a node or daemon now (also one given up)\n"
      "\n"
      "  partition [-l LAB] A B [--oneway] | --isolate A   cut traffic between hosts\n"
      "  heal [-l LAB] [A B]          let it through again (all of it without hosts)\n"
      "  stop [-l LAB] HOST           power a host off: its processes end, its links go down\n"
      "  start [-l LAB] HOST          power it on: links up, its daemon and nodes start\n"
      "  kill [-l LAB] NODE [--signal S]  send a node a signal (default KILL)\n"
      "  link [-l LAB] HOST [SEGMENT] [--delay T] [--jitter T] [--loss P%] [--rate R]\n"
      "       [--down|--up] [--mechanism auto|netem|emulator] [--json]\n"
      "                               slow, lose, pace (each way) or pull out a host's link;\n"
      "                               settings not named stay (e.g. --delay 50ms --loss 2%\n"
      "                               --rate 10mbit; --delay 0 clears the delay)\n"
      "  link show [LAB] [--json]     the links with settings, and what carries them\n"
      "  link reset [-l LAB] [HOST [SEGMENT]]  back as `up` made them (all links: no host)\n"
      "  chaos [-l LAB] FILE [--check] [--keep]  play a scenario of timed faults (see\n"
      "                               netns/scenarios/), saying what happens; the lab is put\n"
      "                               back at the end unless --keep; --check runs check too\n"
      "  check [LAB] [--duration D] [--rate N] [--settle D] [--keep] [--json]\n"
      "                               write through every node (until Ctrl-C or D), then\n"
      "                               verify no acknowledged write was lost: a timeline\n"
      "\n"
      "  ls [--json]                  the labs that are up\n"
      "  validate [FILE]              check a lab file (no privileges needed)\n"
      "  version\n"
      "\n"
      "  --limit NAME=N               raise (or lower) a bound on what a lab file or scenario\n"
      "                               may ask: file-size, yaml-depth, yaml-nodes,\n"
      "                               yaml-aliased, hosts, links, nodes, steps (docs/labfile.md)\n"
      "\n"
      "exit codes: 0 ok, 1 failure, 2 bad input, 3 missing privileges, 4 no such lab or host,\n"
      "            5 check: an acknowledged write was lost, altered or reordered\n"
      "docs: README.md, docs/labfile.md, docs/scenarios.md, docs/status.md\n";

int
cli_usage (const char *fmt, const char *arg)
{
  if (fmt)
    {
      fputs ("labo: ", stderr);
      fprintf (stderr, fmt, arg);
      fputs ("\n\n", stderr);
    }
  fputs (cli_usage_text, stderr);
  return EXIT_INPUT;
}

int
cli_fail (labo_error_t *err, int code)
{
  labo_error_print (*err);
  labo_error_release (err);
  return code;
}

/* A lab file rather than a lab's name: a path, a YAML file's name, or a
 * regular file whose name could not be a lab's. */
static bool
looks_like_file (const char *arg)
{
  struct stat st;
  size_t l = strlen (arg);
  return strchr (arg, '/') || (l > 5 && strcmp (arg + l - 5, ".yaml") == 0)
         || (l > 4 && strcmp (arg + l - 4, ".yml") == 0)
         || (!labo_lab_name_valid (arg) && stat (arg, &st) == 0 && S_ISREG (st.st_mode));
}

int
cli_check_lab_name (const char *name)
{
  labo_error_t err = NULL;
  if (labo_lab_name_check (name, &err) < 0)
    return cli_fail (&err, EXIT_INPUT);
  return EXIT_OK;
}

/* Loads FILE, or the built-in seed when path is NULL; prints diagnostics. */
struct labo_lab *
cli_load_lab (const char *path, char **text, size_t *len)
{
  struct labo_diags diags = { NULL, 0 };
  struct labo_lab *lab;

  if (path == NULL)
    {
      *len = labo_seed_yaml_len;
      *text = xmalloc (*len + 1);
      memcpy (*text, labo_seed_yaml, *len);
      (*text)[*len] = '\0';
      lab = labo_labfile_parse_limited (LABO_SEED_FILE, *text, *len, &cli_limits, &diags);
    }
  else
    {
      /* the limit and a byte at most: the parser says the file is too large */
      *text = labo_read_file_max (path, cli_limits.file_size, len);
      if (*text == NULL)
        {
          cleanup_free char *shown = labo_name_display (path, 200);
          fprintf (stderr, "labo: reading lab file '%s': %s\n", shown, strerror (errno));
          return NULL;
        }
      lab = labo_labfile_parse_limited (path, *text, *len, &cli_limits, &diags);
    }
  if (lab == NULL)
    {
      labo_diags_print (&diags, stderr);
      fprintf (stderr, "labo: %zu error%s; nothing was created\n", diags.n,
               diags.n == 1 ? "" : "s");
      free (*text);
      *text = NULL;
    }
  labo_diags_free (&diags);
  return lab;
}

void
cli_lab_warnings (const struct labo_lab *lab)
{
  for (size_t h = 0; h < lab->n_hosts; h++)
    if (lab->hosts[h].docker_tcp == LABO_API_INSECURE)
      fprintf (stderr,
               "%s:%d:%d: warning: host '%s' serves the Docker API on TCP port %d with no "
               "authentication (api_tcp: insecure): whoever reaches its address, any user of "
               "this machine included, is root in that host and, through its containers' "
               "mounts, on this machine\n",
               lab->file, lab->hosts[h].docker_tcp_pos.line, lab->hosts[h].docker_tcp_pos.col,
               lab->hosts[h].name, LABO_API_INSECURE_PORT);
  for (size_t s = 0; s < lab->n_segments; s++)
    for (size_t i = 0; i < lab->segments[s].n_root_expose; i++)
      if (lab->segments[s].root_expose[i].lo == 1 && lab->segments[s].root_expose[i].hi == 65535)
        {
          fprintf (stderr,
                   "%s:%d:%d: warning: segment '%s' exposes every port of the lab's hosts to "
                   "this machine (root.expose: all): any user of this machine can reach what "
                   "listens there, Swarm's own ports included\n",
                   lab->file, lab->segments[s].root_expose[i].pos.line,
                   lab->segments[s].root_expose[i].pos.col, lab->segments[s].name);
          break;
        }
}

/* LAB, FILE (its lab's name) or nothing (the only lab up). *name is owned. */
int
cli_resolve_lab (const char *arg, bool none_ok, char **name)
{
  char **labs = NULL;
  size_t n = 0;
  labo_error_t err = NULL;

  *name = NULL;
  if (arg && looks_like_file (arg))
    {
      cleanup_free char *text = NULL;
      size_t len;
      struct labo_lab *lab = cli_load_lab (arg, &text, &len);
      if (lab == NULL)
        return EXIT_INPUT;
      *name = xstrdup (lab->name);
      labo_lab_free (lab);
      return EXIT_OK;
    }
  if (arg)
    {
      /* it becomes a path and a namespace prefix: checked first */
      int r = cli_check_lab_name (arg);
      if (r == EXIT_OK)
        *name = xstrdup (arg);
      return r;
    }
  if (labo_state_list (&labs, &n, &err) < 0)
    return cli_fail (&err, EXIT_FAIL);
  if (n == 1)
    *name = xstrdup (labs[0]);
  else if (n == 0 && !none_ok)
    fprintf (stderr, "labo: no lab is up (`labo up` brings up the seed lab)\n");
  else if (n > 1)
    {
      fprintf (stderr, "labo: %zu labs are up, name one:", n);
      for (size_t i = 0; i < n; i++)
        fprintf (stderr, " %s", labs[i]);
      fputc ('\n', stderr);
    }
  labo_strv_free (labs, n);
  if (*name == NULL && !(n == 0 && none_ok))
    return n > 1 ? EXIT_INPUT : EXIT_NOTFOUND;
  return EXIT_OK;
}

/* The lab as it was brought up (its saved lab file), or NULL. */
struct labo_lab *
cli_state_lab (const char *name)
{
  return labo_state_load_lab (name);
}

/* Labs (up) that have a host or a node named `name`: the one named with
 * -l, or every lab up. */
int
cli_find_target (const char *lab_opt, const char *name, char **lab, bool *is_node)
{
  char **labs = NULL;
  size_t n = 0, found = 0;
  labo_error_t err = NULL;

  *lab = NULL;
  if (lab_opt && cli_check_lab_name (lab_opt) != EXIT_OK)
    return EXIT_INPUT;
  if (lab_opt)
    {
      labs = xcalloc (1, sizeof (char *));
      labs[0] = xstrdup (lab_opt);
      n = 1;
    }
  else if (labo_state_list (&labs, &n, &err) < 0)
    return cli_fail (&err, EXIT_FAIL);
  for (size_t i = 0; i < n; i++)
    {
      struct labo_lab *l = cli_state_lab (labs[i]);
      bool host = l && labo_lab_find_host (l, name) >= 0;
      bool node = l && labo_lab_find_node (l, name) >= 0;
      if ((host || node) && found++ == 0)
        {
          *lab = xstrdup (labs[i]);
          *is_node = node && !host;
        }
      labo_lab_free (l);
    }
  labo_strv_free (labs, n);
  if (found == 1)
    return EXIT_OK;
  free (*lab);
  *lab = NULL;
  if (found == 0)
    {
      if (lab_opt)
        fprintf (stderr, "labo: lab %s has no host or node named %s (`labo status %s`)\n",
                 lab_opt, name, lab_opt);
      else
        fprintf (stderr, "labo: no lab that is up has a host or node named %s (`labo ls`)\n",
                 name);
      return EXIT_NOTFOUND;
    }
  fprintf (stderr, "labo: %zu labs have a host or node named %s: choose one with -l LAB\n", found,
           name);
  return EXIT_INPUT;
}

/* A node's container, as its host's daemon describes it (GET
 * /containers/{name}/json). Fails naming the node when it has none. */
json_t *
cli_node_info (const struct labo_lab *lab, const struct labo_node *node, labo_error_t *err)
{
  struct labo_docker d = { 0 };
  json_t *info = NULL;
  bool found = false;

  if (labo_daemon_connect (lab, node->host, &d, err) == 0
      && labo_docker_container_inspect (&d, node->name, &info, &found, err) == 0 && !found)
    labo_error_make (err, 0, "node %s: no such container on %s", node->name,
                     lab->hosts[node->host].name);
  labo_docker_close (&d);
  return info;
}

/* A node's container init pid. */
pid_t
cli_node_pid (const struct labo_lab *lab, const struct labo_node *node, labo_error_t *err)
{
  json_t *info;

  if (lab->runtime == LABO_RUNTIME_PROCESS)
    {
      pid_t pid = labo_zkproc_running (lab->name, (size_t) (node - lab->nodes), node->name);
      if (pid <= 0)
        labo_error_make (err, 0, "node %s is not running (`labo status %s`)", node->name,
                         lab->name);
      return pid > 0 ? pid : -1;
    }
  info = cli_node_info (lab, node, err);
  json_t *jp = json_object_get (json_object_get (info, "State"), "Pid");
  pid_t pid = -1;

  if (info && (!json_is_integer (jp) || json_integer_value (jp) <= 0))
    labo_error_make (err, 0, "node %s is not running (`labo status %s`)", node->name, lab->name);
  else if (info)
    pid = (pid_t) json_integer_value (jp);
  json_decref (info);
  return pid;
}

/* The lab a host or node named `name` belongs to, loaded; NULL after
 * saying why (*code is the exit code then). want_host: a node name is an
 * error. */
struct labo_lab *
cli_running_lab (const char *arg, int *code)
{
  cleanup_free char *name = NULL;
  struct labo_lab *lab;

  if ((*code = cli_resolve_lab (arg, false, &name)) != EXIT_OK)
    return NULL;
  lab = cli_state_lab (name);
  if (lab == NULL)
    {
      fprintf (stderr, "labo: lab %s is not up\n", name);
      *code = EXIT_NOTFOUND;
    }
  return lab;
}

struct labo_lab *
cli_target_lab (const char *lab_opt, const char *name, bool want_host, int *code)
{
  cleanup_free char *lab_name = NULL;
  struct labo_lab *lab;
  bool is_node = false;

  *code = cli_find_target (lab_opt, name, &lab_name, &is_node);
  if (*code != EXIT_OK)
    return NULL;
  lab = cli_state_lab (lab_name);
  if (lab == NULL)
    {
      fprintf (stderr, "labo: lab %s is not up\n", lab_name);
      *code = EXIT_NOTFOUND;
      return NULL;
    }
  if (want_host && is_node)
    {
      fprintf (stderr, "labo: %s is a node of lab %s, not a host (its host is %s)\n", name,
               lab->name, lab->hosts[lab->nodes[labo_lab_find_node (lab, name)].host].name);
      labo_lab_free (lab);
      *code = EXIT_INPUT;
      return NULL;
    }
  return lab;
}
