/* `labo deploy`: the lab on an existing Docker Swarm, through its
 * manager's Engine API (issue 15). The work is the engine's
 * (include/labo/engine/deploy.h); this parses, names each node's image as
 * export does, and reports. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "labo/engine/deploy.h"
#include "labo/kind/kind.h"
#include "labo/model/names.h"
#include "labo/model/state.h"
#include "labo/util/util.h"

/* The data volumes down or --rm could not remove: on servers whose
 * daemons the manager's API does not reach. */
static void
say_left (const json_t *left, FILE *out)
{
  const json_t *v;
  size_t i;

  if (json_array_size (left) == 0)
    return;
  fprintf (out, "labo: the nodes' data stays on the servers that ran them (Docker keeps a "
                "volume when its service goes; only each server's own daemon removes it):\n");
  json_array_foreach (left, i, v)
  fprintf (out, "  on %s: docker volume rm %s\n",
           json_string_value (json_object_get (v, "server")),
           json_string_value (json_object_get (v, "volume")));
}

/* What a deploy waits for its tasks by default: an image already loaded
 * on each server, a ZooKeeper's first health check passed. */
#define DEPLOY_TIMEOUT_S 120

int
cmd_deploy (int argc, char **argv)
{
  static const struct option opts[]
      = { { "on", required_argument, NULL, 'O' },      { "place", required_argument, NULL, 'P' },
          { "rm", no_argument, NULL, 'r' },            { "timeout", required_argument, NULL, 'T' },
          { "lab", required_argument, NULL, 'l' },     { "json", no_argument, NULL, 'j' },
          { "tls-ca", required_argument, NULL, 'A' },  { "tls-cert", required_argument, NULL, 'C' },
          { "tls-key", required_argument, NULL, 'K' }, { "name", required_argument, NULL, 'N' },
          { NULL, 0, NULL, 0 } };
  const char *lab_opt = NULL, *url = NULL, *ca = NULL, *cert = NULL, *key = NULL;
  const char *as_name = NULL;
  cleanup_free char *text = NULL;
  size_t text_len = 0;
  cleanup_lab struct labo_lab *lab = NULL;
  const char **place = NULL;
  size_t n_place = 0, i;
  bool rm = false, as_json = false;
  int timeout_s = DEPLOY_TIMEOUT_S;
  labo_error_t err = NULL;
  json_t *report = NULL, *row;
  char **images;
  int c, r;

  while ((c = cli_getopt (argc, argv, "l:", opts)) != -1)
    if (c == 'O')
      url = optarg;
    else if (c == 'P')
      {
        const char *eq = strchr (optarg, '=');
        if (eq == NULL || eq == optarg || eq[1] == '\0')
          {
            free (place);
            return cli_usage ("--place %s: LABHOST=HOSTNAME expected", optarg);
          }
        place = xrealloc (place, (n_place + 1) * sizeof (*place));
        place[n_place++] = optarg;
      }
    else if (c == 'r')
      rm = true;
    else if (c == 'j')
      as_json = true;
    else if (c == 'T')
      {
        char *end;
        long t = strtol (optarg, &end, 10);
        if (end == optarg || (*end != '\0' && strcmp (end, "s") != 0) || t <= 0 || t > 86400)
          {
            free (place);
            return cli_usage ("--timeout %s: seconds expected", optarg);
          }
        timeout_s = (int) t;
      }
    else if (c == 'l')
      lab_opt = optarg;
    else if (c == 'A')
      ca = optarg;
    else if (c == 'C')
      cert = optarg;
    else if (c == 'K')
      key = optarg;
    else if (c == 'N')
      {
        if (!labo_lab_name_valid (optarg))
          {
            free (place);
            return cli_usage ("--name %s: a lab's name expected (letters, digits, '-', '_', "
                              "starting with a letter)", optarg);
          }
        as_name = optarg;
      }
    else
      {
        free (place);
        return EXIT_INPUT;
      }
  if (url == NULL)
    {
      free (place);
      return cli_usage ("%s", "--on URL is needed: the Swarm manager's API, unix:///PATH or "
                              "tcp://HOST:PORT");
    }
  if ((r = cli_lab_arg (lab_opt, argc, argv, &lab_opt)) != EXIT_OK)
    {
      free (place);
      return r;
    }
  lab = cli_export_lab (lab_opt, &r, &text, &text_len);
  if (lab == NULL)
    {
      free (place);
      return r;
    }
  if (as_name)
    {
      free (lab->name);
      lab->name = xstrdup (as_name);
    }
  if (strncmp (url, "tcp://", 6) == 0 && !ca && !cert && !key)
    fprintf (stderr, "labo deploy: warning: %s is the Docker API without TLS: whoever reaches "
                     "it is root on that server\n", url);

  if (rm)
    {
      struct labo_deploy o = { .url = url, .tls_ca = ca, .tls_cert = cert, .tls_key = key,
                               .progress = stderr };
      int removed = 0;
      json_t *left = NULL;
      free (place);
      if (labo_deploy_remove (lab->name, lab, &o, &removed, &left, &err) < 0)
        return cli_fail (&err, EXIT_FAIL);
      say_left (left, stdout);
      json_decref (left);
      {
        /* the record, if this deploy was this machine's on that Swarm */
        json_t *rec = labo_deployed_load (lab->name);
        if (rec && strcmp (json_string_value (json_object_get (rec, "url")), url) == 0
            && labo_deployed_forget (lab->name, &err) < 0)
          cli_fail (&err, EXIT_FAIL);
        json_decref (rec);
      }
      printf ("lab %s: %d object%s removed from the Swarm at %s\n", lab->name, removed,
              removed == 1 ? "" : "s", url);
      return EXIT_OK;
    }
  if (lab->n_nodes == 0)
    {
      free (place);
      fprintf (stderr, "labo deploy: lab %s has no nodes: nothing to deploy\n", lab->name);
      return EXIT_INPUT;
    }
  {
    /* one name is one lab on this machine: status, check, kill and down
     * take a deployed lab by its name */
    cleanup_free char *dir = labo_state_dir (lab->name);
    json_t *rec = labo_deployed_load (lab->name);
    if (access (dir, F_OK) == 0 || rec)
      {
        fprintf (stderr, "labo deploy: %s %s%s: one name is one lab on this machine; deploy it "
                 "under another with --name NAME\n", lab->name,
                 rec ? "is deployed already, on " : "is a lab up here",
                 rec ? json_string_value (json_object_get (rec, "url")) : "");
        json_decref (rec);
        free (place);
        return EXIT_INPUT;
      }
  }
  images = xcalloc (lab->n_nodes + 1, sizeof (*images));
  for (i = 0; i < lab->n_nodes; i++)
    if (labo_node_image_ref (lab, &lab->nodes[i], &images[i], &err) < 0)
      {
        labo_strv_free (images, i);
        free (place);
        return cli_fail (&err, EXIT_FAIL);
      }
  {
    struct labo_deploy o = { .url = url,
                             .tls_ca = ca,
                             .tls_cert = cert,
                             .tls_key = key,
                             .images = (const char *const *) images,
                             .place = place,
                             .n_place = n_place,
                             .timeout_s = timeout_s,
                             .progress = stderr };
    r = labo_deploy (lab, &o, &report, &err);
  }
  labo_strv_free (images, lab->n_nodes);
  if (r == 0)
    {
      struct labo_deploy o = { .url = url, .tls_ca = ca, .tls_cert = cert, .tls_key = key,
                               .place = place, .n_place = n_place };
      const char *file = strcmp (lab->file, "<built-in seed>") == 0 ? NULL : lab->file;
      if (labo_deployed_save (lab->name, file, text, text_len, &o, &err) < 0)
        {
          labo_error_wrap (&err, "the lab is deployed, but this machine cannot remember it "
                                 "(`labo deploy --rm` removes it)");
          r = -1;
        }
    }
  free (place);
  if (r < 0)
    {
      json_decref (report);
      return cli_fail (&err, EXIT_FAIL);
    }
  if (as_json)
    {
      json_dumpf (report, stdout, JSON_INDENT (2));
      putchar ('\n');
    }
  else
    {
      printf ("lab %s deployed on the Swarm at %s (`labo status %s`, `labo down %s`):\n",
              lab->name, url, lab->name, lab->name);
      json_array_foreach (report, i, row)
      printf ("  %-12s %-24s on %-16s %s\n", json_string_value (json_object_get (row, "node")),
              json_string_value (json_object_get (row, "service")),
              json_string_value (json_object_get (row, "host")) ?: "?",
              json_string_value (json_object_get (row, "state")));
    }
  json_decref (report);
  return EXIT_OK;
}

/* ---- a deployed lab's status, check, kill and down ---- */

/* The record's lab and options; NULL after saying why. */
static struct labo_lab *
deployed_lab (json_t *rec, struct labo_deploy *o)
{
  labo_error_t err = NULL;
  struct labo_lab *lab = labo_deployed_lab (rec, o, &err);

  if (lab == NULL)
    cli_fail (&err, EXIT_FAIL);
  return lab;
}

int
cli_deployed_status (json_t *rec, bool as_json)
{
  struct labo_deploy o = { 0 };
  cleanup_lab struct labo_lab *lab = deployed_lab (rec, &o);
  labo_error_t err = NULL;
  json_t *st;

  if (lab == NULL)
    return EXIT_FAIL;
  st = labo_deploy_status (lab, &o, &err);
  free ((void *) o.place);
  if (st == NULL)
    return cli_fail (&err, EXIT_FAIL);
  return cli_show (st, as_json, labo_deploy_status_print);
}

struct labo_lab *
cli_deployed_endpoints (json_t *rec, char ***endpoints, int *code)
{
  struct labo_deploy o = { 0 };
  struct labo_lab *lab = deployed_lab (rec, &o);
  labo_error_t err = NULL;
  json_t *st, *row;
  size_t i;

  *endpoints = NULL;
  if (lab == NULL)
    {
      *code = EXIT_FAIL;
      return NULL;
    }
  st = labo_deploy_status (lab, &o, &err);
  free ((void *) o.place);
  if (st == NULL)
    {
      *code = cli_fail (&err, EXIT_FAIL);
      labo_lab_free (lab);
      return NULL;
    }
  *endpoints = xcalloc (lab->n_nodes + 1, sizeof (char *));
  json_array_foreach (json_object_get (st, "nodes"), i, row)
  {
    const char *e = json_string_value (json_object_get (row, "endpoint"));
    if (e == NULL)
      {
        fprintf (stderr, "labo: node %s of the deployed lab %s has no client port to reach "
                         "(its task: %s): the check starts against a serving ensemble (`labo "
                         "status %s`)\n",
                 json_string_value (json_object_get (row, "name")), lab->name,
                 json_string_value (json_object_get (row, "state")), lab->name);
        labo_strv_free (*endpoints, i);
        *endpoints = NULL;
        json_decref (st);
        labo_lab_free (lab);
        *code = EXIT_FAIL;
        return NULL;
      }
    (*endpoints)[i] = xstrdup (e);
  }
  json_decref (st);
  return lab;
}

int
cli_deployed_kill (json_t *rec, const char *node, int sig)
{
  struct labo_deploy o = { 0 };
  cleanup_lab struct labo_lab *lab = deployed_lab (rec, &o);
  labo_error_t err = NULL;
  long i;
  int r;

  if (lab == NULL)
    return EXIT_FAIL;
  if ((i = labo_lab_find_node (lab, node)) < 0)
    {
      free ((void *) o.place);
      fprintf (stderr, "labo: the deployed lab %s has no node named %s (`labo status %s`)\n",
               lab->name, node, lab->name);
      return labo_lab_find_host (lab, node) >= 0 ? EXIT_INPUT : EXIT_NOTFOUND;
    }
  r = labo_deploy_kill (lab, &o, (size_t) i, sig, &err);
  free ((void *) o.place);
  if (r < 0)
    return cli_fail (&err, EXIT_FAIL);
  printf ("labo: SIG%s sent to %s: Swarm replaces its task on %s\n", sigabbrev_np (sig), node,
          o.url);
  return EXIT_OK;
}

int
cli_deployed_down (json_t *rec, bool quiet, bool as_json, bool forget)
{
  struct labo_deploy o = { 0 };
  const char *name = json_string_value (json_object_get (rec, "lab"));
  labo_error_t err = NULL, perr = NULL;
  json_t *left = NULL;
  int removed = 0, r;
  /* the lab names the volumes left on other servers; without it (its
   * text no longer parses), down still removes what the labels find */
  cleanup_lab struct labo_lab *lab = labo_deployed_lab (rec, &o, &perr);

  labo_error_release (&perr);
  free ((void *) o.place);
  if (forget)
    {
      if (labo_deployed_forget (name, &err) < 0)
        return cli_fail (&err, EXIT_FAIL);
      if (!quiet)
        printf ("labo: lab %s forgotten here; the Swarm at %s was not asked\n", name,
                json_string_value (json_object_get (rec, "url")));
      return EXIT_OK;
    }
  labo_deployed_opts (rec, &o);
  o.progress = quiet || as_json ? NULL : stderr;
  if (!quiet && !as_json)
    printf ("labo: down %s, deployed on the Swarm at %s\n", name, o.url);
  r = labo_deploy_remove (name, lab, &o, &removed, &left, &err);
  if (r == 0)
    r = labo_deployed_forget (name, &err);
  free ((void *) o.place);
  if (as_json)
    {
      json_t *j = json_pack ("{s:s, s:b, s:b, s:i, s:s, s:O?}", "lab", name, "ok", r == 0,
                             "removed", r == 0, "objects", removed, "deployed", o.url,
                             "volumes_left", left);
      if (r < 0)
        json_object_set_new (j, "error", json_string (err->msg));
      json_dumpf (j, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
      putchar ('\n');
      json_decref (j);
    }
  if (r < 0)
    {
      json_decref (left);
      labo_error_append (&err, " (`labo down %s --forget` forgets the lab here without asking "
                               "the Swarm)", name);
      return cli_fail (&err, EXIT_FAIL);
    }
  if (!quiet && !as_json)
    printf ("labo: lab %s is down: %d object%s removed from the Swarm\n", name, removed,
            removed == 1 ? "" : "s");
  if (!as_json)
    say_left (left, stdout);
  json_decref (left);
  return EXIT_OK;
}
