/* `labo deploy`: the lab's services on an existing Docker Swarm, through
 * its manager's Engine API. See include/labo/engine/deploy.h. */
#include "labo/engine/deploy.h"
#include "deploy-internal.h"

#include <fcntl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "labo/docker/docker.h"
#include "labo/docker/image.h"
#include "labo/engine/export.h"
#include "labo/kind/kind.h"
#include "labo/util/util.h"

/* ---- pure parts ---- */

long long
labo_deploy_duration_ns (const char *s)
{
  long long total = 0;
  bool any = false;

  if (s == NULL)
    return -1;
  while (*s)
    {
      char *end;
      long long n;
      errno = 0;
      n = strtoll (s, &end, 10);
      if (end == s || errno != 0 || n < 0)
        return -1;
      s = end;
      if (strncmp (s, "ms", 2) == 0)
        total += n * 1000000LL, s += 2;
      else if (*s == 's')
        total += n * 1000000000LL, s++;
      else if (*s == 'm')
        total += n * 60000000000LL, s++;
      else if (*s == 'h')
        total += n * 3600000000000LL, s++;
      else
        return -1;
      any = true;
    }
  return any ? total : -1;
}

static json_t *
ns_of (const json_t *v)
{
  long long ns = labo_deploy_duration_ns (json_string_value (v));
  return json_integer (ns < 0 ? 0 : ns);
}

/* Compose's health check as the Engine's HealthConfig. */
static json_t *
health_config (const json_t *hc)
{
  json_t *h = json_object ();
  json_t *v;

  if ((v = json_object_get (hc, "test")) != NULL)
    json_object_set (h, "Test", v);
  if ((v = json_object_get (hc, "interval")) != NULL)
    json_object_set_new (h, "Interval", ns_of (v));
  if ((v = json_object_get (hc, "timeout")) != NULL)
    json_object_set_new (h, "Timeout", ns_of (v));
  if ((v = json_object_get (hc, "retries")) != NULL)
    json_object_set (h, "Retries", v);
  if ((v = json_object_get (hc, "start_period")) != NULL)
    json_object_set_new (h, "StartPeriod", ns_of (v));
  return h;
}

/* "NAME:PATH" (a named volume, the lab's own, named LAB_NAME as a stack
 * names it) or "/HOST:PATH" (a bind) as a Mount. */
static json_t *
mount_of (const char *lab, const char *spec)
{
  const char *colon = strchr (spec, ':');
  cleanup_free char *src = NULL;

  if (colon == NULL)
    return json_pack ("{s:s, s:s}", "Type", "volume", "Target", spec);
  src = xasprintf ("%.*s", (int) (colon - spec), spec);
  if (src[0] == '/' || src[0] == '.')
    return json_pack ("{s:s, s:s, s:s}", "Type", "bind", "Source", src, "Target", colon + 1);
  return json_pack ("{s:s, s:o, s:s, s:{s:{s:s, s:s}}}", "Type", "volume", "Source",
                    json_sprintf ("%s_%s", lab, src), "Target", colon + 1, "VolumeOptions",
                    "Labels", "labo.lab", lab, LABO_DEPLOY_LABEL, "true");
}

static json_t *
restart_of (const json_t *rp)
{
  const char *cond = json_string_value (json_object_get (rp, "condition"));
  json_t *r = json_pack ("{s:s}", "Condition", cond ? cond : "any");
  json_t *v;

  if ((v = json_object_get (rp, "delay")) != NULL)
    json_object_set_new (r, "Delay", ns_of (v));
  if ((v = json_object_get (rp, "max_attempts")) != NULL)
    json_object_set (r, "MaxAttempts", v);
  if ((v = json_object_get (rp, "window")) != NULL)
    json_object_set_new (r, "Window", ns_of (v));
  return r;
}

json_t *
labo_deploy_service_spec (const char *lab, const char *name, const json_t *svc,
                          const char *network, const char *real_host)
{
  const json_t *deploy = json_object_get (svc, "deploy");
  const json_t *labels = json_object_get (deploy, "labels");
  json_t *cs = json_object (), *tt = json_object (), *spec = json_object ();
  json_t *ep, *v, *item, *constraints, *all_labels;
  const char *key;
  size_t i;

  /* the container */
  json_object_set (cs, "Image", json_object_get (svc, "image"));
  if ((v = json_object_get (svc, "hostname")) != NULL)
    json_object_set (cs, "Hostname", v);
  /* Compose's command replaces the image's CMD: the container's Args
   * (its Command would replace the entrypoint) */
  if ((v = json_object_get (svc, "command")) != NULL && json_is_array (v))
    json_object_set (cs, "Args", v);
  if ((v = json_object_get (svc, "environment")) != NULL)
    json_object_set (cs, "Env", v);
  if ((v = json_object_get (svc, "healthcheck")) != NULL)
    json_object_set_new (cs, "Healthcheck", health_config (v));
  if ((v = json_object_get (svc, "volumes")) != NULL && json_array_size (v) > 0)
    {
      json_t *mounts = json_array ();
      json_array_foreach (v, i, item)
      {
        const char *s = json_string_value (item);
        if (s)
          json_array_append_new (mounts, mount_of (lab, s));
      }
      json_object_set_new (cs, "Mounts", mounts);
    }
  json_object_set_new (cs, "Labels", json_pack ("{s:s, s:s}", "labo.lab", lab,
                                                LABO_DEPLOY_LABEL, "true"));
  /* a peer's name that does not resolve yet (its task not started) is
   * asked of the server's own resolvers by Docker's DNS; with none
   * reachable (an offline room) glibc's default waits 5 s twice, and
   * ZooKeeper resolves every server's name before it starts: one second,
   * once, and ZooKeeper's own retries do the rest */
  /* Swarm stops a task with the signal of the container being stopped:
   * SIGKILL, so that `labo kill` (a forced update) is the crash it is in
   * the lab, not a clean shutdown; ZooKeeper's log is written with fsync,
   * a crash is what it is built for */
  json_object_set_new (cs, "StopSignal", json_string ("SIGKILL"));
  json_object_set_new (cs, "DNSConfig",
                       json_pack ("{s:[s, s]}", "Options", "timeout:1", "attempts:1"));
  json_object_set_new (tt, "ContainerSpec", cs);

  /* where it runs: the export's constraint, or the --place mapping's host */
  constraints = json_array ();
  if (real_host)
    json_array_append_new (constraints, json_sprintf ("node.hostname == %s", real_host));
  else
    json_array_foreach (json_object_get (json_object_get (deploy, "placement"), "constraints"),
                        i, item)
    json_array_append (constraints, item);
  json_object_set_new (tt, "Placement", json_pack ("{s:o}", "Constraints", constraints));
  if ((v = json_object_get (deploy, "restart_policy")) != NULL)
    json_object_set_new (tt, "RestartPolicy", restart_of (v));

  /* its network, where the node's name resolves to its task as in the
   * lab: the service's own name is LAB_NODE, so the node's name is an
   * alias, beside export's (NODE.NET.local) */
  if (network)
    {
      json_t *net = json_object_get (json_object_get (svc, "networks"), network);
      json_t *aliases = json_array ();
      const char *hostname = json_string_value (json_object_get (svc, "hostname"));
      if (hostname)
        json_array_append_new (aliases, json_string (hostname));
      json_array_foreach (json_object_get (net, "aliases"), i, item)
      json_array_append (aliases, item);
      json_object_set_new (tt, "Networks", json_pack ("[{s:s, s:o}]", "Target", network,
                                                      "Aliases", aliases));
    }
  json_object_set_new (spec, "Name", json_string (name));
  all_labels = json_object ();
  json_object_foreach ((json_t *) labels, key, item)
  json_object_set (all_labels, key, item);
  json_object_set_new (all_labels, "labo.lab", json_string (lab));
  json_object_set_new (all_labels, LABO_DEPLOY_LABEL, json_string ("true"));
  json_object_set_new (spec, "Labels", all_labels);
  json_object_set_new (spec, "TaskTemplate", tt);
  json_object_set_new (spec, "Mode", json_pack ("{s:{s:i}}", "Replicated", "Replicas", 1));

  /* dnsrr: the name is the task's own address; ports on the node's host,
   * not the routing mesh (which dnsrr refuses anyway) */
  ep = json_pack ("{s:s}", "Mode",
                  json_string_value (json_object_get (deploy, "endpoint_mode"))
                      ? json_string_value (json_object_get (deploy, "endpoint_mode"))
                      : "dnsrr");
  if ((v = json_object_get (svc, "ports")) != NULL && json_array_size (v) > 0)
    {
      json_t *ports = json_array ();
      json_array_foreach (v, i, item)
      {
        const char *mode = json_string_value (json_object_get (item, "mode"));
        const char *proto = json_string_value (json_object_get (item, "protocol"));
        json_array_append_new (
            ports, json_pack ("{s:s, s:O, s:O, s:s}", "Protocol", proto ? proto : "tcp",
                              "TargetPort", json_object_get (item, "target"), "PublishedPort",
                              json_object_get (item, "published"), "PublishMode",
                              mode ? mode : "host"));
      }
      json_object_set_new (ep, "Ports", ports);
    }
  json_object_set_new (spec, "EndpointSpec", ep);
  return spec;
}

const char *
labo_deploy_real_host (const struct labo_deploy *opts, const char *host)
{
  size_t hl = strlen (host);

  for (size_t i = 0; opts && i < opts->n_place; i++)
    {
      const char *p = opts->place[i];
      if (strncmp (p, host, hl) == 0 && p[hl] == '=')
        return p + hl + 1;
    }
  return host;
}

char *
labo_deploy_missing_hosts (const json_t *nodes, const json_t *wanted)
{
  char *missing = NULL;
  size_t i, k;
  json_t *w, *n;

  json_array_foreach (wanted, i, w)
  {
    bool ok = false;
    json_array_foreach (nodes, k, n)
    {
      const char *name = json_string_value (json_object_get (n, "name"));
      const char *state = json_string_value (json_object_get (n, "state"));
      const char *avail = json_string_value (json_object_get (n, "availability"));
      if (name && strcmp (name, json_string_value (w)) == 0 && state
          && strcmp (state, "ready") == 0 && (avail == NULL || strcmp (avail, "active") == 0))
        ok = true;
    }
    if (!ok)
      {
        char *t = xasprintf ("%s%s%s", missing ? missing : "", missing ? ", " : "",
                             json_string_value (w));
        free (missing);
        missing = t;
      }
  }
  return missing;
}

/* ---- the calls ---- */

/* A long wait on a Swarm is counted on the monotonic clock. */
static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* The query string's value, percent-encoded (RFC 3986's unreserved kept). */
static char *
url_escape (const char *s)
{
  static const char hex[] = "0123456789ABCDEF";
  char *out = xmalloc (strlen (s) * 3 + 1), *o = out;

  for (; *s; s++)
    {
      unsigned char c = (unsigned char) *s;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || strchr ("-._~", c))
        *o++ = (char) c;
      else
        {
          *o++ = '%';
          *o++ = hex[c >> 4];
          *o++ = hex[c & 15];
        }
    }
  *o = '\0';
  return out;
}

/* "/KIND?filters=..." of what deploy made for the lab (both labels: a lab
 * of labo's own on the same daemons carries labo.lab too). */
static char *
labelled_path (const char *kind, const char *lab)
{
  json_t *f = json_pack ("{s:[s+, s]}", "label", "labo.lab=", lab, LABO_DEPLOY_LABEL "=true");
  cleanup_free char *text = json_dumps (f, JSON_COMPACT);
  cleanup_free char *esc = url_escape (text);
  json_decref (f);
  return xasprintf ("/%s?filters=%s", kind, esc);
}

/* The manager's daemon from its URL: unix:///PATH or tcp://HOST:PORT. */
int
deploy_open_manager (struct labo_docker *d, const struct labo_deploy *opts, labo_error_t *err)
{
  const char *url = opts->url;
  bool tls = opts->tls_ca || opts->tls_cert || opts->tls_key;

  if (strncmp (url, "unix://", 7) == 0 && url[7] == '/')
    {
      if (tls)
        return labo_error_make (err, 0, "%s: TLS is for a tcp:// API, not a unix socket", url);
      return labo_docker_open (d, url + 7, url, err);
    }
  if (strncmp (url, "tcp://", 6) == 0 && url[6] != '\0' && strchr (url + 6, ':'))
    {
      if (labo_docker_open (d, url, url, err) < 0)
        return -1;
      if (tls)
        labo_docker_set_tls (d, opts->tls_ca, opts->tls_cert, opts->tls_key);
      return 0;
    }
  return labo_error_make (err, 0, "%s: not a Docker API's URL: unix:///PATH or "
                                       "tcp://HOST:PORT expected",
                          url);
}

static void
say (const struct labo_deploy *opts, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void
say (const struct labo_deploy *opts, const char *fmt, ...)
{
  va_list ap;

  if (opts->progress == NULL)
    return;
  va_start (ap, fmt);
  vfprintf (opts->progress, fmt, ap);
  va_end (ap);
  fflush (opts->progress);
}

/* Deletes each object of the list at `path` (by its ID) with DELETE
 * /KIND/ID; a 404 (gone already) is what was asked. */
static int
delete_listed (struct labo_docker *d, const char *kind, const char *lab, int *removed,
               labo_error_t *err)
{
  cleanup_free char *path = labelled_path (kind, lab);
  cleanup_free char *op = xasprintf ("listing the %s of lab %s", kind, lab);
  json_t *list = NULL, *item;
  size_t i;
  int ret = 0;

  if (labo_docker_request (d, op, "GET", path, NULL, 0, NULL, &list, err) < 0)
    return -1;
  if (json_is_object (list))
    {
      /* GET /volumes: {"Volumes": [...]}, each named, not numbered */
      json_t *v = json_incref (json_object_get (list, "Volumes"));
      json_decref (list);
      list = v;
    }
  json_array_foreach (list, i, item)
  {
    const char *id = json_string_value (json_object_get (item, "ID"));
    const char *name = json_string_value (json_object_get (item, "Name"));
    cleanup_free char *dpath = NULL, *dop = NULL;
    if (id == NULL)
      id = json_string_value (json_object_get (item, "Id"));
    if (id == NULL)
      id = name;
    if (name == NULL)
      name = json_string_value (json_object_get (json_object_get (item, "Spec"), "Name"));
    if (id == NULL)
      continue;
    dpath = xasprintf ("/%s/%s", kind, id);
    dop = xasprintf ("removing %s %s", kind, name ? name : id);
    if (labo_docker_request (d, dop, "DELETE", dpath, NULL, 404, NULL, NULL, err) < 0)
      {
        ret = -1;
        break;
      }
    if (removed)
      (*removed)++;
  }
  json_decref (list);
  return ret;
}

/* How long a network's removal is retried: its last tasks' containers
 * leave it some seconds after their services are removed. */
#define NETWORK_GONE_S 60

static int
remove_all (struct labo_docker *d, const char *lab, FILE *progress, int *removed,
            labo_error_t *err)
{
  cleanup_free char *path = labelled_path ("networks", lab);
  double t0 = now_s ();
  bool deleted = false;

  if (delete_listed (d, "services", lab, removed, err) < 0)
    return -1;
  /* the network refuses to go while tasks are on it; then the manager
   * lists it until its last task's container has left: gone means
   * unlisted */
  for (;;)
    {
      labo_error_t e = NULL;
      json_t *left = NULL;
      if (!deleted && delete_listed (d, "networks", lab, removed, &e) == 0)
        deleted = true;
      if (deleted
          && labo_docker_request (d, "listing the lab's networks", "GET", path, NULL, 0, NULL,
                                  &left, &e)
                 == 0)
        {
          size_t n = json_array_size (left);
          json_decref (left);
          if (n == 0)
            return 0;
          labo_error_make (&e, 0, "network still listed by the manager");
        }
      if (now_s () - t0 > NETWORK_GONE_S)
        {
          *err = e;
          return labo_error_wrap (err, "the network stayed %d s after its services were "
                                       "removed", NETWORK_GONE_S);
        }
      labo_error_release (&e);
      if (progress)
        fprintf (progress, "  waiting for the tasks to leave the network\n");
      sleep (1);
    }
}

/* The data volumes the lab's services mount, each on the server its node
 * is placed on: [{"server", "volume"}]. */
static json_t *
expected_volumes (const struct labo_lab *lab, const struct labo_deploy *opts)
{
  struct labo_export eo = { 0 };
  json_t *notes = NULL, *doc = labo_export_stack_json (lab, &eo, &notes), *svc, *v;
  json_t *out = json_array ();
  const char *key;
  size_t i;

  json_decref (notes);
  json_object_foreach (json_object_get (doc, "services"), key, svc)
  {
    const char *host = json_string_value (json_object_get (
        json_object_get (json_object_get (svc, "deploy"), "labels"), "labo.host"));
    json_array_foreach (json_object_get (svc, "volumes"), i, v)
    {
      const char *spec = json_string_value (v), *colon = spec ? strchr (spec, ':') : NULL;
      if (colon == NULL || spec[0] == '/' || spec[0] == '.' || host == NULL)
        continue;
      json_array_append_new (out, json_pack ("{s:s, s:o}", "server",
                                             labo_deploy_real_host (opts, host), "volume",
                                             json_sprintf ("%s_%.*s", lab->name,
                                                           (int) (colon - spec), spec)));
    }
  }
  json_decref (doc);
  return out;
}

/* The manager's own hostname (GET /info's Name), or NULL. */
static char *
manager_name (struct labo_docker *d)
{
  labo_error_t e = NULL;
  json_t *info = NULL;
  char *name = NULL;

  if (labo_docker_request (d, "asking the manager's name", "GET", "/info", NULL, 0, NULL, &info,
                           &e)
      == 0
      && json_is_string (json_object_get (info, "Name")))
    name = xstrdup (json_string_value (json_object_get (info, "Name")));
  labo_error_release (&e);
  json_decref (info);
  return name;
}

/* How long a volume's removal is retried on the manager: its container
 * goes some seconds after its service. */
#define VOLUME_GONE_S 30

int
labo_deploy_remove (const char *name, const struct labo_lab *lab,
                    const struct labo_deploy *opts, int *removed, json_t **left,
                    labo_error_t *err)
{
  struct labo_docker d;
  int r, n_removed = 0;

  if (removed)
    *removed = 0;
  if (left)
    *left = NULL;
  if (deploy_open_manager (&d, opts, err) < 0)
    return -1;
  r = labo_docker_ping (&d, err);
  if (r == 0)
    r = remove_all (&d, name, opts->progress, &n_removed, err);
  if (r == 0)
    {
      /* the data volumes on the manager: its API can remove those; a
       * volume is in use until its task's container is gone */
      double t0 = now_s ();
      for (;;)
        {
          labo_error_t e = NULL;
          if (delete_listed (&d, "volumes", name, &n_removed, &e) == 0)
            break;
          if (now_s () - t0 > VOLUME_GONE_S)
            {
              *err = e;
              r = labo_error_wrap (err, "a data volume on the manager stayed in use %d s",
                                   VOLUME_GONE_S);
              break;
            }
          labo_error_release (&e);
          sleep (1);
        }
    }
  if (r == 0 && lab && left)
    {
      /* those on the other servers: only their own daemons remove them
       * (Docker keeps a volume when its service goes, as `docker stack
       * rm` does) */
      cleanup_free char *mgr = manager_name (&d);
      json_t *all = expected_volumes (lab, opts), *v;
      size_t i;
      *left = json_array ();
      json_array_foreach (all, i, v)
      {
        if (mgr && strcmp (json_string_value (json_object_get (v, "server")), mgr) == 0)
          continue;
        json_array_append (*left, v);
      }
      json_decref (all);
    }
  if (removed)
    *removed = n_removed;
  labo_docker_close (&d);
  return r;
}

/* Each Swarm node's ID to {"host": its hostname, "addr": the address its
 * tasks' published ports are reached on}. A manager may report 0.0.0.0 as
 * its Status.Addr (Docker does, when it was not given --advertise-addr
 * as an address): its ManagerStatus.Addr's host part then. */
json_t *
deploy_node_names (struct labo_docker *d, labo_error_t *err)
{
  json_t *list = NULL, *map, *n;
  size_t i;

  if (labo_docker_request (d, "listing the swarm's nodes", "GET", "/nodes", NULL, 0, NULL,
                           &list, err)
      < 0)
    return NULL;
  map = json_object ();
  json_array_foreach (list, i, n)
  {
    const char *id = json_string_value (json_object_get (n, "ID"));
    json_t *h = json_object_get (json_object_get (n, "Description"), "Hostname");
    const char *addr = json_string_value (json_object_get (json_object_get (n, "Status"), "Addr"));
    const char *maddr
        = json_string_value (json_object_get (json_object_get (n, "ManagerStatus"), "Addr"));
    cleanup_free char *a = NULL;
    if (addr == NULL || strcmp (addr, "0.0.0.0") == 0 || strcmp (addr, "127.0.0.1") == 0)
      {
        const char *colon = maddr ? strrchr (maddr, ':') : NULL;
        a = maddr ? xasprintf ("%.*s", (int) (colon ? colon - maddr : (long) strlen (maddr)),
                               maddr)
                  : NULL;
      }
    else
      a = xstrdup (addr);
    if (id && json_is_string (h))
      json_object_set_new (map, id, json_pack ("{s:O, s:s?}", "host", h, "addr", a));
  }
  json_decref (list);
  return map;
}

/* The state of the service's running task into *state ("running", or the
 * newest task's, with its error in *why); *node the node it is on. */
int
deploy_task_state (struct labo_docker *d, const char *service, char **state, char **why, char **node,
            labo_error_t *err)
{
  json_t *f = json_pack ("{s:[s]}", "service", service);
  cleanup_free char *text = json_dumps (f, JSON_COMPACT);
  cleanup_free char *esc = url_escape (text);
  cleanup_free char *path = xasprintf ("/tasks?filters=%s", esc);
  cleanup_free char *op = xasprintf ("listing the tasks of service %s", service);
  json_t *tasks = NULL, *t, *best = NULL;
  const char *best_at = "";
  size_t i;

  json_decref (f);
  if (labo_docker_request (d, op, "GET", path, NULL, 0, NULL, &tasks, err) < 0)
    return -1;
  json_array_foreach (tasks, i, t)
  {
    const json_t *st = json_object_get (t, "Status");
    const char *s = json_string_value (json_object_get (st, "State"));
    const char *at = json_string_value (json_object_get (st, "Timestamp"));
    if (s && strcmp (s, "running") == 0)
      {
        best = t;
        break;
      }
    /* RFC 3339 in UTC: the newest sorts last */
    if (at && strcmp (at, best_at) > 0)
      best = t, best_at = at;
  }
  free (*state), free (*why), free (*node);
  *state = *why = *node = NULL;
  if (best)
    {
      const json_t *st = json_object_get (best, "Status");
      const char *e = json_string_value (json_object_get (st, "Err"));
      const char *n = json_string_value (json_object_get (best, "NodeID"));
      *state = xstrdup (json_string_value (json_object_get (st, "State")) ?: "?");
      *why = e ? xstrdup (e) : NULL;
      *node = n ? xstrdup (n) : NULL;
    }
  else
    *state = xstrdup ("no task yet");
  json_decref (tasks);
  return 0;
}

static char *manager_name (struct labo_docker *d);

/* The images of the nodes placed on the manager itself, loaded there when
 * it lacks them: labo's recipes as `docker save` archives (kept in the
 * image cache beside the rootfs they wrap), through POST /images/load.
 * The manager's API reaches no other server's image store: a node placed
 * elsewhere needs its image loaded there first (or a registry), and a
 * task rejected for the lack of it fails the deploy at once. */
static int
load_on_manager (struct labo_docker *d, const struct labo_lab *lab,
                 const struct labo_deploy *opts, labo_error_t *err)
{
  cleanup_free char *mgr = manager_name (d);

  for (size_t i = 0; mgr && i < lab->n_nodes; i++)
    {
      const struct labo_node *node = &lab->nodes[i];
      const struct labo_kind *kind = labo_kind_of (node);
      const char *ref = opts->images[i];
      cleanup_free char *archive = labo_node_image_archive (lab, node);
      cleanup_free char *path = NULL, *loaded = NULL;
      struct labo_image img = { 0 };
      cleanup_close int fd = -1;
      bool exists = false, seen = false;
      double t0 = now_s ();

      if (strcmp (labo_deploy_real_host (opts, lab->hosts[node->host].name), mgr) != 0)
        continue;
      for (size_t k = 0; k < i; k++)
        seen = seen || strcmp (opts->images[k], ref) == 0;
      if (seen || labo_docker_image_exists (d, ref, &exists, err) < 0)
        {
          if (!seen)
            return -1;
          continue;
        }
      if (exists)
        continue;
      if (archive)
        path = xstrdup (archive);
      else
        {
          if (labo_image_resolve (kind->recipe ? kind->recipe : node->image, &img, err) < 0
              || labo_image_build (&img, true, err) < 0)
            {
              labo_image_free (&img);
              return labo_error_wrap (err, "node %s's image", node->name);
            }
          path = xasprintf ("%s/%s-%s.save.tar", LABO_IMAGE_CACHE, img.name, img.key);
          if (access (path, F_OK) < 0 && labo_image_save (&img, ref, path, err) < 0)
            {
              labo_image_free (&img);
              return -1;
            }
          labo_image_free (&img);
        }
      say (opts, "image %s: loading it on the manager, %s\n", ref, mgr);
      if ((fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return labo_error_errno (err, "opening %s", path);
      if (labo_docker_image_load (d, fd, path, &loaded, err) < 0)
        return labo_error_wrap (err, "loading %s on the manager", ref);
      say (opts, "image %s loaded on %s in %.1f s\n", loaded ? loaded : ref, mgr, now_s () - t0);
    }
  return 0;
}

/* *made: whether anything was asked of the Swarm (then a failure removes
 * it; a refusal before, as "deployed already", must not remove what an
 * earlier deploy made). */
static int
deploy_on (struct labo_docker *d, const struct labo_lab *lab, const struct labo_deploy *opts,
           json_t *doc, json_t **report, bool *made, labo_error_t *err)
{
  json_t *services = json_object_get (doc, "services"), *svc, *ids = json_object ();
  const char *network = lab->overlay.present ? lab->overlay.name : NULL;
  cleanup_free char *lpath = labelled_path ("services", lab->name);
  json_t *existing = NULL, *names = NULL;
  const char *key;
  double t0;
  int ret = -1;

  if (labo_docker_request (d, "listing the lab's services", "GET", lpath, NULL, 0, NULL,
                           &existing, err)
      < 0)
    goto out;
  if (json_array_size (existing) > 0)
    {
      labo_error_make (err, 0, "lab %s is deployed on this Swarm already (%zu service%s): "
                                    "labo deploy --rm removes it",
                       lab->name, json_array_size (existing),
                       json_array_size (existing) == 1 ? "" : "s");
      goto out;
    }
  if (load_on_manager (d, lab, opts, err) < 0)
    goto out;
  names = deploy_node_names (d, err);
  if (names == NULL)
    goto out;
  *made = true;
  if (network)
    {
      json_t *body = labo_docker_network_body (&lab->overlay, lab->name);
      cleanup_free char *op = xasprintf ("creating network %s", network);
      int r;
      json_object_set_new (json_object_get (body, "Labels"), LABO_DEPLOY_LABEL,
                           json_string ("true"));
      r = labo_docker_request (d, op, "POST", "/networks/create", body, 0, NULL, NULL, err);
      json_decref (body);
      if (r < 0)
        goto out;
      say (opts, "network %s (overlay %s)\n", network,
           json_string_value (json_object_get (
               json_array_get (json_object_get (json_object_get (
                                   json_object_get (json_object_get (doc, "networks"), network),
                                   "ipam"), "config"), 0), "subnet")));
    }
  json_object_foreach (services, key, svc)
  {
    const char *host = json_string_value (
        json_object_get (json_object_get (json_object_get (svc, "deploy"), "labels"), "labo.host"));
    const char *real = host ? labo_deploy_real_host (opts, host) : NULL;
    cleanup_free char *name = xasprintf ("%s_%s", lab->name, key);
    cleanup_free char *op = xasprintf ("creating service %s", name);
    json_t *spec = labo_deploy_service_spec (lab->name, name, svc, network, real);
    json_t *reply = NULL;
    int r = labo_docker_request (d, op, "POST", "/services/create", spec, 0, NULL, &reply, err);
    json_decref (spec);
    if (r < 0)
      {
        json_decref (reply);
        goto out;
      }
    json_object_set_new (ids, key, json_string (name));
    json_decref (reply);
    say (opts, "service %s on %s\n", name, real ? real : "?");
  }

  /* every task running: Swarm reports a task with a health check running
   * only once its container is healthy */
  t0 = now_s ();
  for (;;)
    {
      size_t done = 0;
      json_t *out = json_array (), *name;
      char *state = NULL, *why = NULL, *node = NULL;
      cleanup_free char *pending = NULL;
      json_object_foreach (ids, key, name)
      {
        if (deploy_task_state (d, json_string_value (name), &state, &why, &node, err) < 0)
          {
            free (state), free (why), free (node);
            json_decref (out);
            goto out;
          }
        if (strcmp (state, "running") == 0)
          done++;
        else if (strcmp (state, "rejected") == 0 && why && strstr (why, "No such image"))
          {
            const char *server = json_string_value (
                json_object_get (json_object_get (names, node ? node : ""), "host"));
            labo_error_make (err, 0, "node %s: server %s has no image %s (Swarm: %s): `labo "
                                     "export --images DIR` writes it, `docker load -i` on %s "
                                     "loads it (deploy loads the manager's itself)",
                             key, server ? server : "?",
                             json_string_value (json_object_get (
                                 json_object_get (services, key), "image")),
                             why, server ? server : "that server");
            free (state), free (why), free (node);
            json_decref (out);
            goto out;
          }
        else
          {
            char *t = xasprintf ("%s%s%s %s%s%s%s", pending ? pending : "", pending ? "; " : "",
                                 key, state, why ? " (" : "", why ? why : "", why ? ")" : "");
            free (pending);
            pending = t;
          }
        json_array_append_new (out, json_pack ("{s:s, s:O, s:s, s:s?}", "node", key, "service",
                                               name, "state", state, "node_id", node));
      }
      free (state), free (why), free (node);
      if (done == json_object_size (ids))
        {
          *report = out;
          break;
        }
      json_decref (out);
      if (now_s () - t0 > opts->timeout_s)
        {
          labo_error_make (err, 0, "not every node runs healthy after %d s: %s",
                           opts->timeout_s, pending);
          goto out;
        }
      sleep (1);
    }

  /* each node's host, by the Swarm's own name of it */
  {
    size_t i;
    json_t *r;
    json_array_foreach (*report, i, r)
    {
      const char *id = json_string_value (json_object_get (r, "node_id"));
      json_t *h = id ? json_object_get (json_object_get (names, id), "host") : NULL;
      json_object_set (r, "host", h ? h : json_null ());
    }
  }
  ret = 0;
out:
  json_decref (existing);
  json_decref (names);
  json_decref (ids);
  if (ret < 0 && *report)
    {
      json_decref (*report);
      *report = NULL;
    }
  return ret;
}

int
labo_deploy (const struct labo_lab *lab, const struct labo_deploy *opts, json_t **report,
             labo_error_t *err)
{
  struct labo_export eo = { .images = opts->images };
  struct labo_docker d;
  json_t *doc, *notes = NULL, *nodes = NULL, *wanted, *n;
  cleanup_free char *missing = NULL;
  bool made = false;
  size_t i;
  int r;

  *report = NULL;
  if (deploy_open_manager (&d, opts, err) < 0)
    return -1;
  if (labo_docker_ping (&d, err) < 0 || labo_docker_swarm_nodes (&d, &nodes, err) < 0)
    {
      labo_docker_close (&d);
      return labo_error_wrap (err, "reaching the Swarm's manager");
    }

  /* the hosts the lab places nodes on, each a Ready node of the Swarm,
   * before anything is made */
  wanted = json_array ();
  for (i = 0; i < lab->n_nodes; i++)
    {
      const char *real = labo_deploy_real_host (opts, lab->hosts[lab->nodes[i].host].name);
      bool seen = false;
      size_t k;
      json_array_foreach (wanted, k, n)
      {
        seen = seen || strcmp (json_string_value (n), real) == 0;
      }
      if (!seen)
        json_array_append_new (wanted, json_string (real));
    }
  missing = labo_deploy_missing_hosts (nodes, wanted);
  json_decref (wanted);
  if (missing)
    {
      cleanup_free char *have = NULL;
      json_array_foreach (nodes, i, n)
      {
        char *t = xasprintf ("%s%s%s (%s)", have ? have : "", have ? ", " : "",
                             json_string_value (json_object_get (n, "name")) ?: "?",
                             json_string_value (json_object_get (n, "state")) ?: "?");
        free (have);
        have = t;
      }
      json_decref (nodes);
      labo_docker_close (&d);
      return labo_error_make (err, 0, "the Swarm at %s has no ready node named %s (its "
                                           "nodes: %s): --place LABHOST=HOSTNAME places a "
                                           "lab's host on another; nothing was created",
                              opts->url, missing, have ? have : "none");
    }
  json_decref (nodes);

  doc = labo_export_stack_json (lab, &eo, &notes);
  json_array_foreach (notes, i, n)
  {
    say (opts, "labo deploy: %s\n", json_string_value (n));
  }
  json_decref (notes);
  r = deploy_on (&d, lab, opts, doc, report, &made, err);
  json_decref (doc);
  if (r < 0 && made)
    {
      labo_error_t e = NULL;
      say (opts, "deploy failed: removing what it made\n");
      if (remove_all (&d, lab->name, opts->progress, NULL, &e) < 0)
        {
          labo_error_append (err, "; and removing what it made failed too: %s", e->msg);
          labo_error_release (&e);
        }
    }
  labo_docker_close (&d);
  return r;
}
