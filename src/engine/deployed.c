/* The labs deployed from this machine: their record in the run dir, and
 * the status and kill that work on them through the manager's API. See
 * include/labo/engine/deploy.h ("a deployed lab, from this machine"). */
#include "labo/engine/deploy.h"
#include "deploy-internal.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "labo/docker/docker.h"
#include "labo/model/ensemble.h"
#include "labo/model/labfile.h"
#include "labo/model/limits.h"
#include "labo/model/names.h"
#include "labo/model/state.h"
#include "labo/util/ipv4.h"
#include "labo/util/util.h"
#include "labo/zk/zk.h"

/* ---- the record ---- */

#define RECORD_SUFFIX ".deployed"

static char *
record_path (const char *lab)
{
  return xasprintf ("%s/%s" RECORD_SUFFIX, labo_run_dir (), lab);
}

/* A TLS file's absolute path: the record is read from any directory. */
static json_t *
abs_path (const char *path)
{
  char buf[PATH_MAX];

  if (path == NULL)
    return json_null ();
  if (realpath (path, buf) == NULL)
    return json_string (path);
  return json_string (buf);
}

int
labo_deployed_save (const char *lab, const char *file, const char *text, size_t len,
                    const struct labo_deploy *opts, labo_error_t *err)
{
  cleanup_free char *path = record_path (lab), *dump = NULL;
  json_t *place = json_array (), *rec;

  if (!labo_lab_name_valid (lab))
    return labo_error_make (err, 0, "'%s' is not a lab's name", lab);
  for (size_t i = 0; i < opts->n_place; i++)
    json_array_append_new (place, json_string (opts->place[i]));
  rec = json_pack ("{s:s, s:s?, s:s%, s:s, s:o, s:o, s:o, s:o, s:f}", "lab", lab, "file", file,
                   "text", text, len, "url", opts->url, "tls_ca", abs_path (opts->tls_ca),
                   "tls_cert", abs_path (opts->tls_cert), "tls_key", abs_path (opts->tls_key),
                   "place", place, "at", labo_wall ());
  if (rec == NULL)
    return labo_error_make (err, 0, "lab %s: the lab file is not UTF-8", lab);
  dump = json_dumps (rec, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  json_decref (rec);
  if (labo_mkdir_p (labo_run_dir (), 0700) < 0 || labo_write_file (path, dump, strlen (dump), 0600) < 0)
    return labo_error_errno (err, "writing %s", path);
  return 0;
}

json_t *
labo_deployed_load (const char *lab)
{
  cleanup_free char *path = NULL, *text = NULL;
  json_t *rec;
  size_t len;

  if (!labo_lab_name_valid (lab))
    return NULL;
  path = record_path (lab);
  if ((text = labo_read_file_max (path, 1 << 22, &len)) == NULL)
    return NULL;
  rec = json_loadb (text, len, 0, NULL);
  if (!json_is_object (rec) || !json_is_string (json_object_get (rec, "url"))
      || !json_is_string (json_object_get (rec, "text")))
    {
      json_decref (rec);
      return NULL;
    }
  return rec;
}

void
labo_deployed_opts (const json_t *rec, struct labo_deploy *opts)
{
  const json_t *place = json_object_get (rec, "place");

  *opts = (struct labo_deploy){
    .url = json_string_value (json_object_get (rec, "url")),
    .tls_ca = json_string_value (json_object_get (rec, "tls_ca")),
    .tls_cert = json_string_value (json_object_get (rec, "tls_cert")),
    .tls_key = json_string_value (json_object_get (rec, "tls_key")),
    .timeout_s = 120,
  };
  opts->n_place = json_array_size (place);
  if (opts->n_place)
    {
      /* strings of the record; the array is freed with the lab's caller */
      const char **p = xcalloc (opts->n_place, sizeof (*p));
      for (size_t i = 0; i < opts->n_place; i++)
        p[i] = json_string_value (json_array_get (place, i));
      opts->place = p;
    }
}

struct labo_lab *
labo_deployed_lab (const json_t *rec, struct labo_deploy *opts, labo_error_t *err)
{
  const char *name = json_string_value (json_object_get (rec, "lab"));
  const char *file = json_string_value (json_object_get (rec, "file"));
  const json_t *text = json_object_get (rec, "text");
  struct labo_diags diags = { NULL, 0 };
  struct labo_lab *lab;

  lab = labo_labfile_parse_limited (file ? file : "lab.yaml", json_string_value (text),
                                    json_string_length (text), &labo_limits_none, &diags);
  labo_diags_free (&diags);
  if (lab == NULL)
    {
      labo_error_make (err, 0, "lab %s: the lab file deploy recorded no longer parses", name);
      return NULL;
    }
  /* deployed under another name than its file's (deploy --name) */
  if (name && strcmp (lab->name, name) != 0)
    {
      free (lab->name);
      lab->name = xstrdup (name);
    }
  labo_deployed_opts (rec, opts);
  return lab;
}

int
labo_deployed_forget (const char *lab, labo_error_t *err)
{
  cleanup_free char *path = NULL;

  if (!labo_lab_name_valid (lab))
    return 0;
  path = record_path (lab);
  if (unlink (path) < 0 && errno != ENOENT)
    return labo_error_errno (err, "removing %s", path);
  return 0;
}

static int
cmp_name (const void *a, const void *b)
{
  return strverscmp (*(char *const *) a, *(char *const *) b);
}

int
labo_deployed_list (char ***labs, size_t *n, labo_error_t *err)
{
  DIR *d = opendir (labo_run_dir ());
  struct dirent *de;

  *labs = NULL;
  *n = 0;
  if (d == NULL)
    return errno == ENOENT ? 0 : labo_error_errno (err, "listing %s", labo_run_dir ());
  while ((de = readdir (d)) != NULL)
    {
      size_t l = strlen (de->d_name), sl = strlen (RECORD_SUFFIX);
      cleanup_free char *name = NULL;
      if (de->d_type != DT_REG || l <= sl || strcmp (de->d_name + l - sl, RECORD_SUFFIX) != 0)
        continue;
      name = xasprintf ("%.*s", (int) (l - sl), de->d_name);
      if (!labo_lab_name_valid (name))
        continue;
      *(char **) labo_array_push (labs, n, sizeof (char *)) = steal_ptr (&name);
    }
  closedir (d);
  if (*n > 1)
    qsort (*labs, *n, sizeof (char *), cmp_name);
  return 0;
}

/* ---- status and kill of a deployed lab ---- */

/* The published client port of a node, or 0. */
static uint16_t
published_client_port (const struct labo_lab *lab, const struct labo_node *node)
{
  struct labo_node_reach r;

  labo_node_reach (lab, node, &r);
  return r.in_container ? 0 : r.port;
}

#define STATUS_PROBE_MS 2000

json_t *
labo_deploy_status (const struct labo_lab *lab, const struct labo_deploy *opts,
                    labo_error_t *err)
{
  struct labo_docker d;
  json_t *names = NULL, *nodes = json_array (), *st = NULL;
  const char *leader = NULL;
  char *state = NULL, *why = NULL, *node_id = NULL;

  if (deploy_open_manager (&d, opts, err) < 0)
    {
      json_decref (nodes);
      return NULL;
    }
  if (labo_docker_ping (&d, err) < 0 || (names = deploy_node_names (&d, err)) == NULL)
    {
      labo_error_wrap (err, "reaching the Swarm's manager");
      goto out;
    }
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      const struct labo_node *n = &lab->nodes[i];
      cleanup_free char *service = xasprintf ("%s_%s", lab->name, n->name);
      cleanup_free char *endpoint = NULL, *reply = NULL;
      const json_t *where;
      const char *host = NULL, *addr = NULL, *mode = NULL;
      uint16_t port = published_client_port (lab, n);
      uint32_t a;
      labo_error_t e = NULL;
      json_t *row;

      if (deploy_task_state (&d, service, &state, &why, &node_id, err) < 0)
        goto out;
      where = node_id ? json_object_get (names, node_id) : NULL;
      host = json_string_value (json_object_get (where, "host"));
      addr = json_string_value (json_object_get (where, "addr"));
      if (strcmp (state, "running") == 0 && addr && port && labo_ipv4_parse (addr, &a) == 0)
        {
          struct labo_zk_srvr srvr;
          endpoint = xasprintf ("%s:%u", addr, (unsigned) port);
          if (labo_zk_4lw (-1, a, port, "srvr", STATUS_PROBE_MS, &reply, &e) == 0
              && labo_zk_parse_srvr (reply, &srvr) == 0)
            mode = labo_mode_name (srvr.mode);
          else if (reply && strstr (reply, "not currently serving"))
            mode = labo_mode_name (LABO_MODE_NOT_SERVING);
          else
            mode = labo_mode_name (LABO_MODE_DOWN);
        }
      if (mode && strcmp (mode, "leader") == 0)
        leader = n->name;
      row = json_pack ("{s:s, s:s, s:s?, s:s, s:s?, s:s?}", "name", n->name, "service", service,
                       "host", host, "state", state, "endpoint", endpoint, "mode", mode);
      if (why)
        json_object_set_new (row, "error", json_string (why));
      else if (e)
        json_object_set_new (row, "error", json_string (e->msg));
      labo_error_release (&e);
      json_array_append_new (nodes, row);
    }
  st = json_pack ("{s:s, s:{s:s, s:s?}, s:O, s:s?}", "lab", lab->name, "deployed", "url",
                  opts->url, "file", lab->file, "nodes", nodes, "leader", leader);
out:
  free (state), free (why), free (node_id);
  json_decref (names);
  json_decref (nodes);
  labo_docker_close (&d);
  return st;
}

void
labo_deploy_status_print (json_t *st, FILE *out)
{
  const json_t *dep = json_object_get (st, "deployed"), *row;
  const char *leader = json_string_value (json_object_get (st, "leader"));
  size_t i;

  fprintf (out, "lab %s: deployed on the Swarm at %s", json_string_value (json_object_get (st, "lab")),
           json_string_value (json_object_get (dep, "url")));
  if (json_is_string (json_object_get (dep, "file")))
    fprintf (out, " (from %s)", json_string_value (json_object_get (dep, "file")));
  fprintf (out, "\n  %-12s %-16s %-10s %-24s %s\n", "NODE", "SERVER", "TASK", "CLIENT PORT",
           "MODE");
  json_array_foreach (json_object_get (st, "nodes"), i, row)
  {
    const char *e = json_string_value (json_object_get (row, "error"));
    fprintf (out, "  %-12s %-16s %-10s %-24s %s%s%s%s\n",
             json_string_value (json_object_get (row, "name")),
             json_string_value (json_object_get (row, "host")) ?: "-",
             json_string_value (json_object_get (row, "state")),
             json_string_value (json_object_get (row, "endpoint")) ?: "-",
             json_string_value (json_object_get (row, "mode")) ?: "-", e ? " (" : "", e ? e : "",
             e ? ")" : "");
  }
  fprintf (out, leader ? "leader: %s\n" : "leader: none%s\n", leader ? leader : "");
}

int
labo_deploy_kill (const struct labo_lab *lab, const struct labo_deploy *opts, size_t node,
                  int sig, labo_error_t *err)
{
  struct labo_docker d;
  cleanup_free char *service = xasprintf ("%s_%s", lab->name, lab->nodes[node].name);
  cleanup_free char *path = xasprintf ("/services/%s", service);
  cleanup_free char *op = xasprintf ("inspecting service %s", service);
  cleanup_free char *uop = xasprintf ("replacing the task of service %s", service);
  cleanup_free char *upath = NULL;
  json_t *svc = NULL, *spec, *tt, *cs;
  json_int_t version, force;
  int r = -1;

  if (sig != SIGKILL)
    return labo_error_make (err, 0, "a deployed node dies as Swarm stops its task, with the "
                                    "signal deploy gave it: KILL, not SIG%s",
                            sigabbrev_np (sig));
  if (deploy_open_manager (&d, opts, err) < 0)
    return -1;
  if (labo_docker_ping (&d, err) < 0
      || labo_docker_request (&d, op, "GET", path, NULL, 0, NULL, &svc, err) < 0)
    goto out;
  version = json_integer_value (json_object_get (json_object_get (svc, "Version"), "Index"));
  spec = json_object_get (svc, "Spec");
  tt = json_object_get (spec, "TaskTemplate");
  cs = json_object_get (tt, "ContainerSpec");
  if (!json_is_object (cs) || version <= 0)
    {
      labo_error_make (err, 0, "service %s: no container spec or version in its inspection",
                       service);
      goto out;
    }
  /* a forced update replaces the task even though nothing else changed;
   * stop-first (the default) stops the old container with its own stop
   * signal (SIGKILL: labo_deploy_service_spec) before the new one starts */
  force = json_integer_value (json_object_get (tt, "ForceUpdate"));
  json_object_set_new (tt, "ForceUpdate", json_integer (force + 1));
  upath = xasprintf ("/services/%s/update?version=%lld", service, (long long) version);
  r = labo_docker_request (&d, uop, "POST", upath, spec, 0, NULL, NULL, err);
out:
  json_decref (svc);
  labo_docker_close (&d);
  return r;
}
