/* The command line's shared helpers: see src/cli/cli.h. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/docker/daemon.h"
#include "labo/docker/docker.h"
#include "labo/engine/deploy.h"
#include "labo/model/labfile.h"
#include "labo/model/names.h"
#include "labo/model/state.h"
#include "labo/util/util.h"
#include "labo/zk/zkproc.h"

struct labo_limits cli_limits;

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

/* What a lab exposes to every user of the machine because its file says
 * so, as {file, line, column, message}. */
static void
add_warning (json_t *out, const char *file, struct labo_pos pos, char *msg)
{
  json_array_append_new (out, json_pack ("{s:s, s:i, s:i, s:s}", "file", file, "line", pos.line,
                                         "column", pos.col, "message", msg));
  free (msg);
}

static void
lab_warnings (const struct labo_lab *lab, json_t *out)
{
  for (size_t h = 0; h < lab->n_hosts; h++)
    if (lab->hosts[h].docker_tcp == LABO_API_INSECURE)
      add_warning (out, lab->file, lab->hosts[h].docker_tcp_pos,
                   xasprintf ("host '%s' serves the Docker API on TCP port %d with no "
                              "authentication (api_tcp: insecure): whoever reaches its "
                              "address, any user of this machine included, is root in that "
                              "host and, through its containers' mounts, on this machine",
                              lab->hosts[h].name, LABO_API_INSECURE_PORT));
  for (size_t s = 0; s < lab->n_segments; s++)
    for (size_t i = 0; i < lab->segments[s].n_root_expose; i++)
      if (lab->segments[s].root_expose[i].lo == 1 && lab->segments[s].root_expose[i].hi == 65535)
        {
          add_warning (out, lab->file, lab->segments[s].root_expose[i].pos,
                       xasprintf ("segment '%s' exposes every port of the lab's hosts to this "
                                  "machine (root.expose: all): any user of this machine can "
                                  "reach what listens there, Swarm's own ports included",
                                  lab->segments[s].name));
          break;
        }
  /* what a node is given of the machine, said as the file gives it */
  for (size_t n = 0; n < lab->n_nodes; n++)
    for (size_t b = 0; b < lab->nodes[n].n_binds; b++)
      {
        const struct labo_bind *bd = &lab->nodes[n].binds[b];
        /* paths may hold any byte but '\0': shown escaped, on one line */
        cleanup_free char *src = labo_name_display (bd->source, 4096);
        cleanup_free char *dst = labo_name_display (bd->target, 4096);
        add_warning (out, lab->file, bd->pos,
                     xasprintf ("node '%s' is given the machine's %s (%s) at %s",
                                lab->nodes[n].name, src,
                                bd->read_only ? "read-only" : "read-write", dst));
      }
}

int
cli_validate_json (const char *path)
{
  struct labo_diags diags = { NULL, 0 };
  cleanup_free char *text = NULL;
  struct labo_lab *lab = NULL;
  json_t *out, *errors = json_array (), *warnings = json_array ();
  size_t len;

  if (path == NULL)
    lab = labo_labfile_parse_limited (LABO_SEED_FILE, labo_seed_yaml, labo_seed_yaml_len,
                                      &cli_limits, &diags);
  else if ((text = labo_read_file_max (path, cli_limits.file_size, &len)) == NULL)
    json_array_append_new (errors, json_pack ("{s:s, s:i, s:i, s:s+}", "file", path, "line", 0,
                                              "column", 0, "message", "reading the file: ",
                                              strerror (errno)));
  else
    lab = labo_labfile_parse_limited (path, text, len, &cli_limits, &diags);
  for (size_t i = 0; i < diags.n; i++)
    json_array_append_new (errors, json_pack ("{s:s, s:i, s:i, s:s}", "file", diags.v[i].file,
                                              "line", diags.v[i].line, "column",
                                              diags.v[i].col, "message", diags.v[i].msg));
  out = json_pack ("{s:s, s:b}", "file", path ? path : LABO_SEED_FILE, "ok", lab != NULL);
  if (lab)
    {
      lab_warnings (lab, warnings);
      json_object_update_new (out, json_pack ("{s:s, s:s, s:i, s:i, s:i, s:i}", "lab",
                                              lab->name, "runtime",
                                              labo_runtime_name (lab->runtime), "hosts",
                                              (int) lab->n_hosts, "segments",
                                              (int) lab->n_segments, "links",
                                              (int) lab->n_links, "nodes", (int) lab->n_nodes));
    }
  json_object_set_new (out, "errors", errors);
  json_object_set_new (out, "warnings", warnings);
  json_dumpf (out, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  putchar ('\n');
  json_decref (out);
  labo_diags_free (&diags);
  labo_lab_free (lab);
  return lab ? EXIT_OK : EXIT_INPUT;
}

void
cli_lab_warnings (const struct labo_lab *lab)
{
  json_t *w = json_array ();
  size_t i;
  json_t *one;

  lab_warnings (lab, w);
  json_array_foreach (w, i, one)
    fprintf (stderr, "%s:%d:%d: warning: %s\n", json_string_value (json_object_get (one, "file")),
             (int) json_integer_value (json_object_get (one, "line")),
             (int) json_integer_value (json_object_get (one, "column")),
             json_string_value (json_object_get (one, "message")));
  json_decref (w);
}

int
cli_show (json_t *st, bool as_json, void (*print) (json_t *, FILE *))
{
  if (as_json)
    {
      json_dumpf (st, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
      putchar ('\n');
    }
  else
    print (st, stdout);
  json_decref (st);
  return EXIT_OK;
}

json_t *
cli_deployed (const char *arg)
{
  cleanup_free char *name = NULL, *dir = NULL;

  if (arg == NULL && (arg = getenv ("LABO_LAB")) != NULL && *arg == '\0')
    arg = NULL;
  if (arg == NULL)
    return NULL;
  if (looks_like_file (arg))
    {
      struct labo_diags diags = { NULL, 0 };
      struct labo_lab *lab = labo_labfile_load_limited (arg, &cli_limits, &diags);
      labo_diags_free (&diags);
      if (lab == NULL)
        return NULL;
      name = xstrdup (lab->name);
      labo_lab_free (lab);
    }
  else
    name = xstrdup (arg);
  if (!labo_lab_name_valid (name))
    return NULL;
  /* a lab up here is the lab of that name (deploy and up keep them apart) */
  dir = labo_state_dir (name);
  if (access (dir, F_OK) == 0)
    return NULL;
  return labo_deployed_load (name);
}

/* LAB, FILE (its lab's name) or nothing (the only lab up). *name is owned. */
int
cli_resolve_lab (const char *arg, bool none_ok, char **name)
{
  char **labs = NULL;
  size_t n = 0;
  labo_error_t err = NULL;

  *name = NULL;
  if (arg == NULL && (arg = getenv ("LABO_LAB")) != NULL && *arg == '\0')
    arg = NULL;
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
      fprintf (stderr, "labo: %zu labs are up; name one with -l LAB (or LABO_LAB):", n);
      for (size_t i = 0; i < n; i++)
        fprintf (stderr, " %s", labs[i]);
      fputc ('\n', stderr);
    }
  labo_strv_free (labs, n);
  if (*name == NULL && !(n == 0 && none_ok))
    return n > 1 ? EXIT_INPUT : EXIT_NOTFOUND;
  return EXIT_OK;
}

int
cli_lab_arg (const char *opt, int argc, char **argv, const char **lab)
{
  *lab = opt;
  if (optind >= argc)
    return EXIT_OK;
  if (argc - optind > 1)
    return cli_usage ("%s takes at most one lab", cli_verb_name);
  if (opt && strcmp (opt, argv[optind]) != 0)
    return cli_usage ("%s takes one lab: -l LAB or LAB, not both", cli_verb_name);
  *lab = argv[optind++];
  return EXIT_OK;
}

/* The lab as it was brought up (its saved lab file), or NULL. */
struct labo_lab *
cli_state_lab (const char *name)
{
  return labo_state_load_lab (name);
}

/* When `name` is a lab deployed on a Swarm rather than up here, says what
 * works on it, and true. */
static bool
said_deployed (const char *name)
{
  json_t *rec = labo_lab_name_valid (name) ? labo_deployed_load (name) : NULL;

  if (rec == NULL)
    return false;
  fprintf (stderr, "labo: lab %s is deployed on the Swarm at %s: status, check, kill and down "
                   "work on it; faults act on labo's emulated network, not on real servers\n",
           name, json_string_value (json_object_get (rec, "url")));
  json_decref (rec);
  return true;
}

/* Labs (up) that have a host or a node named `name`: the one named with
 * -l, or every lab up. */
static int find_target (const char *lab_opt, const char *name, char **lab, bool *is_node,
                        bool quiet);

int
cli_find_target (const char *lab_opt, const char *name, char **lab, bool *is_node)
{
  return find_target (lab_opt, name, lab, is_node, false);
}

int
cli_find_target_quiet (const char *lab_opt, const char *name, char **lab, bool *is_node)
{
  return find_target (lab_opt, name, lab, is_node, true);
}

static int
find_target (const char *lab_opt, const char *name, char **lab, bool *is_node, bool quiet)
{
  cleanup_free char *named = NULL;
  char **labs = NULL;
  size_t n = 0, found = 0;
  labo_error_t err = NULL;

  *lab = NULL;
  if (lab_opt == NULL && (lab_opt = getenv ("LABO_LAB")) != NULL && *lab_opt == '\0')
    lab_opt = NULL;
  if (lab_opt)
    {
      /* a name or a file, as everywhere */
      int r = cli_resolve_lab (lab_opt, false, &named);
      if (r != EXIT_OK)
        return r;
      lab_opt = named;
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
      if (quiet)
        ;
      else if (lab_opt && said_deployed (lab_opt))
        ;
      else if (lab_opt)
        fprintf (stderr, "labo: lab %s has no host or node named %s (`labo status %s`)\n",
                 lab_opt, name, lab_opt);
      else
        fprintf (stderr, "labo: no lab that is up has a host or node named %s (`labo ls`)\n",
                 name);
      return EXIT_NOTFOUND;
    }
  if (!quiet)
    fprintf (stderr, "labo: %zu labs have a host or node named %s: name one with -l LAB (or "
                     "LABO_LAB)\n", found, name);
  return EXIT_INPUT;
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
      if (!said_deployed (name))
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
