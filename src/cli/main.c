/* The labo command line: parses arguments, picks the lab, calls the lab
 * layer, and maps failures to documented exit codes:
 *   0 ok, 1 failure (what and why on stderr; a failed `up` is rolled back),
 *   2 bad input (usage, invalid lab file), 3 missing privileges,
 *   4 no such lab or host. `exec` exits with the command's own status. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/caps.h"
#include "labo/daemon.h"
#include "labo/docker.h"
#include "labo/docker_up.h"
#include "labo/engine.h"
#include "labo/host.h"
#include "labo/labfile.h"
#include "labo/netns.h"
#include "labo/plan.h"
#include "labo/state.h"
#include "labo/status.h"
#include "labo/util.h"

#ifndef LABO_VERSION
#define LABO_VERSION "0.1"
#endif

enum
{
  EXIT_OK = 0,
  EXIT_FAIL = 1,
  EXIT_INPUT = 2,
  EXIT_PRIV = 3,
  EXIT_NOTFOUND = 4,
};

static const char usage_text[]
    = "usage: labo <command> [options]\n"
      "\n"
      "  up [FILE] [-q] [--dry-run]   bring a lab up (default: the built-in seed lab)\n"
      "  down [LAB|FILE] [-q] [--keep-data]  tear a lab down (idempotent); keep the nodes' data\n"
      "  status [LAB|FILE] [--json]   hosts, links, addresses and their state\n"
      "  exec [-l LAB] HOST|NODE -- CMD...  run CMD inside a host or a node's container\n"
      "  logs [-l LAB] HOST|NODE      a host's dockerd log, or a node's container log\n"
      "  ls [--json]                  the labs that are up\n"
      "  validate [FILE]              check a lab file (no privileges needed)\n"
      "  version\n"
      "\n"
      "exit codes: 0 ok, 1 failure, 2 bad input, 3 missing privileges, 4 no such lab or host\n"
      "docs: README.md, docs/labfile.md, docs/status.md\n";

static int
usage (const char *fmt, const char *arg)
{
  if (fmt)
    {
      fputs ("labo: ", stderr);
      fprintf (stderr, fmt, arg);
      fputs ("\n\n", stderr);
    }
  fputs (usage_text, stderr);
  return EXIT_INPUT;
}

static int
fail (labo_error_t *err, int code)
{
  labo_error_print (*err);
  labo_error_release (err);
  return code;
}

static bool
looks_like_file (const char *arg)
{
  struct stat st;
  size_t l = strlen (arg);
  return strchr (arg, '/') || (l > 5 && strcmp (arg + l - 5, ".yaml") == 0)
         || (l > 4 && strcmp (arg + l - 4, ".yml") == 0) || stat (arg, &st) == 0;
}

/* Loads FILE, or the built-in seed when path is NULL; prints diagnostics. */
static struct labo_lab *
load_lab (const char *path, char **text, size_t *len)
{
  struct labo_diags diags = { NULL, 0 };
  struct labo_lab *lab;

  if (path == NULL)
    {
      *len = labo_seed_yaml_len;
      *text = xmalloc (*len + 1);
      memcpy (*text, labo_seed_yaml, *len);
      (*text)[*len] = '\0';
      lab = labo_labfile_parse (LABO_SEED_FILE, *text, *len, &diags);
    }
  else
    {
      *text = labo_read_file (path, len);
      if (*text == NULL)
        {
          fprintf (stderr, "labo: reading lab file %s: %s\n", path, strerror (errno));
          return NULL;
        }
      lab = labo_labfile_parse (path, *text, *len, &diags);
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

/* LAB, FILE (its lab's name) or nothing (the only lab up). *name is owned. */
static int
resolve_lab (const char *arg, bool none_ok, char **name)
{
  char **labs = NULL;
  size_t n = 0;
  labo_error_t err = NULL;

  *name = NULL;
  if (arg && looks_like_file (arg))
    {
      cleanup_free char *text = NULL;
      size_t len;
      struct labo_lab *lab = load_lab (arg, &text, &len);
      if (lab == NULL)
        return EXIT_INPUT;
      *name = xstrdup (lab->name);
      labo_lab_free (lab);
      return EXIT_OK;
    }
  if (arg)
    {
      *name = xstrdup (arg);
      return EXIT_OK;
    }
  if (labo_state_list (&labs, &n, &err) < 0)
    return fail (&err, EXIT_FAIL);
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

static int
cmd_validate (int argc, char **argv)
{
  cleanup_free char *text = NULL;
  size_t len;
  struct labo_lab *lab;

  if (argc > 2)
    return usage ("validate takes one lab file", NULL);
  lab = load_lab (argc == 2 ? argv[1] : NULL, &text, &len);
  if (lab == NULL)
    return EXIT_INPUT;
  printf ("%s: ok: lab %s, %zu host%s, %zu segment%s, %zu link%s\n", lab->file, lab->name,
          lab->n_hosts, lab->n_hosts == 1 ? "" : "s", lab->n_segments,
          lab->n_segments == 1 ? "" : "s", lab->n_links, lab->n_links == 1 ? "" : "s");
  labo_lab_free (lab);
  return EXIT_OK;
}

static int
cmd_up (int argc, char **argv)
{
  static const struct option opts[] = { { "quiet", no_argument, NULL, 'q' },
                                        { "dry-run", no_argument, NULL, 'n' },
                                        { NULL, 0, NULL, 0 } };
  struct labo_up_opts o = { false, false };
  cleanup_free char *text = NULL;
  labo_error_t err = NULL;
  struct labo_lab *lab;
  size_t len;
  int c, r;

  while ((c = getopt_long (argc, argv, "qn", opts, NULL)) != -1)
    switch (c)
      {
      case 'q':
        o.quiet = true;
        break;
      case 'n':
        o.dry_run = true;
        break;
      default:
        return usage (NULL, NULL);
      }
  if (argc - optind > 1)
    return usage ("up takes at most one lab file", NULL);
  lab = load_lab (optind < argc ? argv[optind] : NULL, &text, &len);
  if (lab == NULL)
    return EXIT_INPUT;
  if (!o.dry_run && labo_caps_require ("up", &err) < 0)
    {
      labo_lab_free (lab);
      return fail (&err, EXIT_PRIV);
    }
  r = labo_up (lab, text, len, &o, &err);
  labo_lab_free (lab);
  return r < 0 ? fail (&err, EXIT_FAIL) : EXIT_OK;
}

static int
cmd_down (int argc, char **argv)
{
  static const struct option opts[] = { { "quiet", no_argument, NULL, 'q' },
                                        { "keep-data", no_argument, NULL, 'k' },
                                        { NULL, 0, NULL, 0 } };
  cleanup_free char *name = NULL;
  labo_error_t err = NULL;
  bool quiet = false, keep_data = false;
  int c, r;

  while ((c = getopt_long (argc, argv, "qk", opts, NULL)) != -1)
    if (c == 'q')
      quiet = true;
    else if (c == 'k')
      keep_data = true;
    else
      return usage (NULL, NULL);
  if (argc - optind > 1)
    return usage ("down takes at most one lab", NULL);
  if ((r = resolve_lab (optind < argc ? argv[optind] : NULL, true, &name)) != EXIT_OK)
    return r;
  if (name == NULL)
    {
      printf ("labo: no lab is up; nothing to do\n");
      return EXIT_OK;
    }
  if (labo_caps_require ("down", &err) < 0)
    return fail (&err, EXIT_PRIV);
  if (!quiet)
    printf ("labo: down %s\n", name);
  r = labo_down (name, quiet, keep_data, &err);
  if (r < 0)
    return fail (&err, EXIT_FAIL);
  if (!quiet)
    printf (r ? "labo: lab %s is down\n" : "labo: lab %s was not up; nothing to do\n", name);
  if (!quiet && keep_data && labo_lab_has_kept_data (name))
    printf ("labo: the nodes' data is kept in /var/lib/labo/%s/_data: `labo up` of %s resumes "
            "it, `labo down %s` removes it\n", name, name, name);
  return EXIT_OK;
}

static int
cmd_status (int argc, char **argv)
{
  static const struct option opts[]
      = { { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
  cleanup_free char *name = NULL;
  labo_error_t err = NULL;
  bool as_json = false;
  json_t *st;
  int c, r;

  while ((c = getopt_long (argc, argv, "j", opts, NULL)) != -1)
    if (c == 'j')
      as_json = true;
    else
      return usage (NULL, NULL);
  if (argc - optind > 1)
    return usage ("status takes at most one lab", NULL);
  if ((r = resolve_lab (optind < argc ? argv[optind] : NULL, false, &name)) != EXIT_OK)
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
    return fail (&err, EXIT_PRIV);
  st = labo_status_json (name, &err);
  if (st == NULL)
    return fail (&err, EXIT_FAIL);
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
      return usage ("ls takes only --json", NULL);
    }
  if (labo_state_list (&labs, &n, &err) < 0)
    {
      json_decref (arr);
      return fail (&err, EXIT_FAIL);
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

/* The lab as it was brought up (its saved lab file), or NULL. */
static struct labo_lab *
state_lab (const char *name)
{
  size_t len = 0;
  cleanup_free char *text = labo_state_get (name, "lab.yaml", &len);
  cleanup_free char *file = labo_state_meta (name, "file");
  struct labo_diags diags = { NULL, 0 };
  struct labo_lab *lab;

  if (text == NULL)
    return NULL;
  lab = labo_labfile_parse (file ? file : "lab.yaml", text, len, &diags);
  labo_diags_free (&diags);
  return lab;
}

/* Labs (up) that have a host or a node named `name`: the one named with
 * -l, or every lab up. */
static int
find_target (const char *lab_opt, const char *name, char **lab, bool *is_node)
{
  char **labs = NULL;
  size_t n = 0, found = 0;
  labo_error_t err = NULL;

  *lab = NULL;
  if (lab_opt)
    {
      labs = xcalloc (1, sizeof (char *));
      labs[0] = xstrdup (lab_opt);
      n = 1;
    }
  else if (labo_state_list (&labs, &n, &err) < 0)
    return fail (&err, EXIT_FAIL);
  for (size_t i = 0; i < n; i++)
    {
      struct labo_lab *l = state_lab (labs[i]);
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
static json_t *
node_info (const struct labo_lab *lab, const struct labo_node *node, labo_error_t *err)
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
static pid_t
node_pid (const struct labo_lab *lab, const struct labo_node *node, labo_error_t *err)
{
  json_t *info = node_info (lab, node, err);
  json_t *jp = json_object_get (json_object_get (info, "State"), "Pid");
  pid_t pid = -1;

  if (info && (!json_is_integer (jp) || json_integer_value (jp) <= 0))
    labo_error_make (err, 0, "node %s is not running (`labo status %s`)", node->name, lab->name);
  else if (info)
    pid = (pid_t) json_integer_value (jp);
  json_decref (info);
  return pid;
}

static int
cmd_exec (int argc, char **argv)
{
  static const struct option opts[]
      = { { "lab", required_argument, NULL, 'l' }, { NULL, 0, NULL, 0 } };
  const char *lab_opt = NULL, *target;
  cleanup_free char *lab_name = NULL;
  labo_error_t err = NULL;
  struct labo_lab *lab;
  bool is_node = false;
  int c, r, code;

  while ((c = getopt_long (argc, argv, "+l:", opts, NULL)) != -1)
    if (c == 'l')
      lab_opt = optarg;
    else
      return usage (NULL, NULL);
  if (optind >= argc)
    return usage ("exec needs a host and a command: labo exec HOST -- CMD...", NULL);
  target = argv[optind++];
  if (optind < argc && strcmp (argv[optind], "--") == 0)
    optind++;
  if (optind >= argc)
    return usage ("exec needs a command after the host: labo exec %s -- CMD...", target);
  if (labo_caps_require ("exec", &err) < 0)
    return fail (&err, EXIT_PRIV);
  if ((r = find_target (lab_opt, target, &lab_name, &is_node)) != EXIT_OK)
    return r;
  lab = state_lab (lab_name);
  if (lab == NULL)
    {
      fprintf (stderr, "labo: lab %s is not up\n", lab_name);
      return EXIT_NOTFOUND;
    }
  fflush (NULL);
  if (is_node)
    {
      const struct labo_node *node = &lab->nodes[labo_lab_find_node (lab, target)];
      cleanup_free char *what = xasprintf ("node %s", target);
      pid_t pid = node_pid (lab, node, &err);
      labo_lab_free (lab);
      if (pid < 0)
        return fail (&err, EXIT_FAIL);
      code = labo_pid_exec (pid, what, argv + optind, &err);
      return code < 0 ? fail (&err, EXIT_FAIL) : code;
    }
  {
    size_t h = (size_t) labo_lab_find_host (lab, target);
    struct labo_daemon_paths p;
    labo_daemon_paths (lab->name, h, target, &p);
    /* a Docker host: its private /run, so `docker ps` finds the daemon */
    labo_host_exec (lab_name, target,
                    lab->hosts[h].docker != LABO_DOCKER_NONE && access (p.socket, F_OK) == 0
                        ? p.run : NULL,
                    argv + optind, &code, &err);
    labo_daemon_paths_free (&p);
    labo_lab_free (lab);
  }
  return fail (&err, code);
}

/* Prints a Docker json-file log (one {"log", "stream", "time"} per line). */
static void
print_json_log (const char *path)
{
  cleanup_free char *text = labo_read_file (path, NULL);
  char *line, *save = NULL;
  for (line = text ? strtok_r (text, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      json_t *o = json_loads (line, 0, NULL);
      const char *msg = json_string_value (json_object_get (o, "log"));
      if (msg)
        fputs (msg, strcmp (json_string_value (json_object_get (o, "stream")) ?: "", "stderr") == 0
                        ? stderr : stdout);
      json_decref (o);
    }
}

static int
cmd_logs (int argc, char **argv)
{
  const char *lab_opt = NULL;
  cleanup_free char *lab_name = NULL;
  labo_error_t err = NULL;
  struct labo_lab *lab;
  bool is_node = false;
  int c, r;

  while ((c = getopt (argc, argv, "l:")) != -1)
    if (c == 'l')
      lab_opt = optarg;
    else
      return usage (NULL, NULL);
  if (optind + 1 != argc)
    return usage ("logs takes one host or node: labo logs HOST|NODE", NULL);
  if ((r = find_target (lab_opt, argv[optind], &lab_name, &is_node)) != EXIT_OK)
    return r;
  lab = state_lab (lab_name);
  if (lab == NULL)
    return EXIT_NOTFOUND;
  if (is_node)
    {
      const struct labo_node *node = &lab->nodes[labo_lab_find_node (lab, argv[optind])];
      json_t *info = node_info (lab, node, &err);
      /* the daemon's path is inside its mount namespace, where the host's
       * state dir is bound over /var/lib/docker */
      const char *lp = json_string_value (json_object_get (info, "LogPath"));
      if (lp && strncmp (lp, "/var/lib/docker/", 16) == 0)
        {
          struct labo_daemon_paths p;
          cleanup_free char *path = NULL;
          labo_daemon_paths (lab->name, node->host, lab->hosts[node->host].name, &p);
          path = xasprintf ("%s/docker/%s", p.state, lp + 16);
          print_json_log (path);
          labo_daemon_paths_free (&p);
        }
      json_decref (info);
      labo_lab_free (lab);
      return err ? fail (&err, EXIT_FAIL) : EXIT_OK;
    }
  {
    size_t h = (size_t) labo_lab_find_host (lab, argv[optind]);
    struct labo_daemon_paths p;
    cleanup_free char *text = NULL;
    labo_daemon_paths (lab->name, h, lab->hosts[h].name, &p);
    text = labo_read_file (p.log, NULL);
    if (text)
      fputs (text, stdout);
    else
      fprintf (stderr, "labo: %s has no daemon log (%s)\n", lab->hosts[h].name, p.log);
    labo_daemon_paths_free (&p);
    labo_lab_free (lab);
    return text ? EXIT_OK : EXIT_NOTFOUND;
  }
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
    { "logs", cmd_logs },
  };
  const char *cmd;

  if (argc < 2)
    return usage (NULL, NULL);
  cmd = argv[1];
  if (strcmp (cmd, "-h") == 0 || strcmp (cmd, "--help") == 0 || strcmp (cmd, "help") == 0)
    {
      fputs (usage_text, stdout);
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
        optind = 1;
        return cmds[i].fn (argc - 1, argv + 1);
      }
  return usage ("unknown command '%s'", cmd);
}
