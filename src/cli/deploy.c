/* `labo deploy`: the lab on an existing Docker Swarm, through its
 * manager's Engine API (issue 15). The work is the engine's
 * (include/labo/engine/deploy.h); this parses, names each node's image as
 * export does, and reports. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/engine/deploy.h"
#include "labo/kind/kind.h"
#include "labo/model/state.h"
#include "labo/util/util.h"

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
          { "tls-key", required_argument, NULL, 'K' }, { NULL, 0, NULL, 0 } };
  const char *lab_opt = NULL, *url = NULL, *ca = NULL, *cert = NULL, *key = NULL;
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
  lab = cli_export_lab (lab_opt, &r);
  if (lab == NULL)
    {
      free (place);
      return r;
    }
  if (strncmp (url, "tcp://", 6) == 0 && !ca && !cert && !key)
    fprintf (stderr, "labo deploy: warning: %s is the Docker API without TLS: whoever reaches "
                     "it is root on that server\n", url);

  if (rm)
    {
      struct labo_deploy o = { .url = url, .tls_ca = ca, .tls_cert = cert, .tls_key = key,
                               .progress = stderr };
      int removed = 0;
      free (place);
      if (labo_deploy_remove (lab->name, &o, &removed, &err) < 0)
        return cli_fail (&err, EXIT_FAIL);
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
  free (place);
  if (r < 0)
    return cli_fail (&err, EXIT_FAIL);
  if (as_json)
    {
      json_dumpf (report, stdout, JSON_INDENT (2));
      putchar ('\n');
    }
  else
    {
      printf ("lab %s deployed on the Swarm at %s:\n", lab->name, url);
      json_array_foreach (report, i, row)
      printf ("  %-12s %-24s on %-16s %s\n", json_string_value (json_object_get (row, "node")),
              json_string_value (json_object_get (row, "service")),
              json_string_value (json_object_get (row, "host")) ?: "?",
              json_string_value (json_object_get (row, "state")));
    }
  json_decref (report);
  return EXIT_OK;
}
