/* A lab as a Compose file for `docker stack deploy` (issue 15), and the
 * JSON-to-YAML writer it is emitted by. Pure; see
 * include/labo/engine/export.h. */
#include "labo/engine/export.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "labo/kind/kind.h"
#include "labo/util/ipv4.h"
#include "labo/util/util.h"

/* ---- the Compose document ---- */

char *
labo_export_image_name (const char *ref, const char *registry)
{
  const char *slash, *name;
  size_t rl;

  if (registry == NULL || *registry == '\0')
    return xstrdup (ref);
  /* the repository's last component and the tag: "zookeeper:KEY" */
  slash = strrchr (ref, '/');
  name = slash ? slash + 1 : ref;
  rl = strlen (registry);
  while (rl > 0 && registry[rl - 1] == '/')
    rl--;
  return xasprintf ("%.*s/%s", (int) rl, registry, name);
}

/* A Compose duration ("2s", "500ms") of ms milliseconds. */
static json_t *
duration (int ms)
{
  if (ms % 1000 == 0)
    return json_sprintf ("%ds", ms / 1000);
  return json_sprintf ("%dms", ms);
}

static void
note (json_t *notes, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void
note (json_t *notes, const char *fmt, ...)
{
  va_list ap;
  char *s = NULL;

  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  va_end (ap);
  json_array_append_new (notes, json_string (s));
  free (s);
}

/* "a, b and c" of the names picked from the nodes; NULL when none. */
static char *
node_list (const struct labo_lab *lab, bool (*pick) (const struct labo_lab *,
                                                     const struct labo_node *))
{
  char *all = NULL;
  size_t n = 0, total = 0;

  for (size_t i = 0; i < lab->n_nodes; i++)
    total += pick (lab, &lab->nodes[i]);
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      const struct labo_node *node = &lab->nodes[i];
      char *t;
      if (!pick (lab, node))
        continue;
      n++;
      t = xasprintf ("%s%s%s", all ? all : "", n == 1 ? "" : n == total ? " and " : ", ",
                     node->name);
      free (all);
      all = t;
    }
  return all;
}

static bool
pick_sshd (const struct labo_lab *lab, const struct labo_node *node)
{
  (void) lab;
  return labo_kind_of (node)->sshd;
}

static bool
pick_addressed (const struct labo_lab *lab, const struct labo_node *node)
{
  (void) lab;
  return node->address != 0;
}

static bool
pick_backoff (const struct labo_lab *lab, const struct labo_node *node)
{
  (void) lab;
  return node->supervise.restart && node->supervise.backoff_max_ms > node->supervise.min_gap_ms;
}

/* What of the lab as a whole a stack cannot carry. */
static void
lab_notes (const struct labo_lab *lab, json_t *notes)
{
  cleanup_free char *sshd = node_list (lab, pick_sshd);
  cleanup_free char *addressed = node_list (lab, pick_addressed);
  cleanup_free char *backoff = node_list (lab, pick_backoff);
  size_t roots = 0;

  note (notes, "the emulated network (%zu segment%s, %zu link%s, the hosts' addresses and "
               "routes) is the servers' own: they must reach each other on Swarm's ports "
               "(TCP 2377, TCP and UDP 7946, UDP 4789)",
        lab->n_segments, lab->n_segments == 1 ? "" : "s", lab->n_links,
        lab->n_links == 1 ? "" : "s");
  note (notes, "faults (labo partition, heal, link delay, jitter, loss and rate, stop and "
               "start of hosts, chaos scenarios) are labo's and act on its emulated network: "
               "none is carried to real machines");
  for (size_t i = 0; i < lab->n_segments; i++)
    roots += lab->segments[i].has_root;
  if (roots > 0)
    note (notes, "the machine's own way into the lab (%zu root address%s, and the gate on "
                 "each) is not carried: clients reach the published ports on the servers' "
                 "addresses",
          roots, roots == 1 ? "" : "es");
  if (lab->runtime == LABO_RUNTIME_PROCESS)
    note (notes, "the lab asks for the process runtime (nodes as processes of their hosts): "
                 "the stack runs every node as a container");
  if (lab->until != LABO_STAGE_ALL)
    note (notes, "the lab was brought up --until %s: the stack starts every node's service",
          labo_stage_name (lab->until));
  for (size_t i = 0; i < lab->n_hosts; i++)
    {
      const struct labo_host *h = &lab->hosts[i];
      if (h->docker == LABO_DOCKER_NONE)
        note (notes, "host %s runs no Docker: it is no Swarm node, and nothing of it is in "
                     "the stack",
              h->name);
      else if (h->docker_tcp != LABO_API_OFF)
        note (notes, "host %s's Docker API on TCP (api_tcp) is the server's own daemon "
                     "configuration, not the stack's",
              h->name);
    }
  /* Docker's own default pool (10.0.0.0/8 in /24s) is not the lab's
   * (10.128.0.0/16): said only when the file chose another */
  if (lab->swarm.address_pool.len != 0
      && !(lab->swarm.address_pool.addr == 0x0a800000u && lab->swarm.address_pool.len == 16
           && lab->swarm.subnet_size == 24))
    {
      char p[20];
      note (notes, "the Swarm's address pool (%s, /%d networks) is chosen when the Swarm is "
                   "made: docker swarm init --default-addr-pool %s "
                   "--default-addr-pool-mask-length %d",
            labo_prefix_format (&lab->swarm.address_pool, p), lab->swarm.subnet_size,
            p, lab->swarm.subnet_size);
    }
  if (addressed && lab->overlay.present)
    note (notes, "the nodes' fixed addresses on the overlay (%s) are not carried: Swarm "
                 "ignores ipv4_address in a stack, and a service's task gets an address of "
                 "Docker's choosing; the nodes reach each other by name (each service's "
                 "name, and NAME.%s.local, resolve on the overlay to its task's address)",
          addressed, lab->overlay.name);
  if (lab->overlay.present && (lab->overlay.gateway != 0 || lab->overlay.ip_range.len != 0))
    note (notes, "the overlay's gateway and IP range are Docker's choice: a version 3 file "
                 "gives its subnet only");
  if (sshd)
    note (notes, "sshd and root's SSH keys (nodes %s) are not carried: sshd would listen on "
                 "the node's fixed overlay address, which Swarm does not give, and root's "
                 "password in labo's image is public",
          sshd);
  if (backoff)
    note (notes, "the restart delay that doubles with each quick death (from %d ms up to %d "
                 "ms; nodes %s) is not carried: Swarm waits the same delay each time",
          lab->supervise.backoff_ms, lab->supervise.backoff_max_ms, backoff);
  if (lab->n_nodes > 0)
    note (notes, "the nodes' limits (every capability dropped but those the entrypoint "
                 "needs, no-new-privileges) are not carried: Swarm ignores security_opt, and "
                 "the tasks run with Docker's default capabilities");
}

static json_t *
restart_policy (const struct labo_supervise *s)
{
  if (!s->restart)
    return json_pack ("{s:s}", "condition", "none");
  /* labo restarts whatever ended the node (even an exit status 0), never
   * two starts less than min_gap apart, and gives up after `deaths`
   * deaths within `within`: Swarm's max_attempts counts the restarts in
   * its sliding window, the same rule */
  return json_pack ("{s:s, s:o, s:i, s:o}", "condition", "any", "delay",
                    duration (s->min_gap_ms), "max_attempts", s->give_up_deaths, "window",
                    duration (s->give_up_within_ms));
}

static json_t *
service (const struct labo_lab *lab, size_t index, const struct labo_export *opts,
         json_t *volumes, json_t *notes)
{
  const struct labo_node *node = &lab->nodes[index];
  const struct labo_kind *kind = labo_kind_of (node);
  const struct labo_host *host = &lab->hosts[node->host];
  json_t *svc = json_object (), *own = json_object (), *v, *hc;
  const char *ref = opts->images && opts->images[index] ? opts->images[index] : "";
  cleanup_free char *image = labo_export_image_name (ref, opts->registry);
  size_t i;

  if (kind->stack_service)
    kind->stack_service (lab, node, own, notes);
  json_object_set_new (svc, "image", json_string (image));
  json_object_set_new (svc, "hostname", json_string (node->name));
  /* the kind's keys, in Compose's usual order */
  static const char *const keys[] = { "command", "environment", "volumes" };
  for (i = 0; i < sizeof (keys) / sizeof (keys[0]); i++)
    if ((v = json_object_get (own, keys[i])) != NULL)
      json_object_set (svc, keys[i], v);
  /* a named volume ("NAME:PATH") is the stack's to declare */
  json_array_foreach (json_object_get (own, "volumes"), i, v)
  {
    const char *s = json_string_value (v);
    const char *colon = s ? strchr (s, ':') : NULL;
    if (colon && s[0] != '/' && s[0] != '.')
      {
        cleanup_free char *name = xasprintf ("%.*s", (int) (colon - s), s);
        json_object_set_new (volumes, name, json_object ());
      }
  }
  if (lab->overlay.present)
    {
      /* the service's own name is an alias on its networks already
       * (docker stack deploy adds it); Weave's name too, as in the lab */
      json_t *net = json_pack ("{s:[o]}", "aliases",
                               json_sprintf ("%s.%s.local", node->name, lab->overlay.name));
      json_object_set_new (svc, "networks", json_pack ("{s:o}", lab->overlay.name, net));
    }
  if (node->n_ports > 0)
    {
      json_t *ports = json_array ();
      /* on the host the node runs on, not Swarm's routing mesh, as the
       * tutorial publishes them (and as dnsrr requires) */
      for (i = 0; i < node->n_ports; i++)
        json_array_append_new (ports, json_pack ("{s:i, s:i, s:s, s:s}", "target",
                                                 (int) node->ports[i].container_port,
                                                 "published", (int) node->ports[i].host_port,
                                                 "protocol", "tcp", "mode", "host"));
      json_object_set_new (svc, "ports", ports);
    }
  hc = json_object_get (own, "healthcheck");
  if (hc && node->supervise.probe_interval_ms > 0)
    {
      /* the supervisor's probe rhythm: a node that has not answered
       * `probe_failures` probes in a row (or within the grace after its
       * start) is restarted, as Swarm replaces an unhealthy task */
      json_t *h = json_deep_copy (hc);
      json_object_set_new (h, "interval", duration (node->supervise.probe_interval_ms));
      json_object_set_new (h, "timeout", duration (node->supervise.probe_timeout_ms));
      json_object_set_new (h, "retries", json_integer (node->supervise.probe_failures));
      json_object_set_new (h, "start_period", duration (node->supervise.probe_grace_ms));
      json_object_set_new (svc, "healthcheck", h);
    }
  else if (hc)
    note (notes, "node %s: not probed in the lab (probe_interval 0): no health check",
          node->name);
  if (node->n_after > 0)
    note (notes, "node %s: a stack starts its services in no order: the lab's `after:` (%s%s) "
                 "is not carried",
          node->name, lab->nodes[node->after[0]].name, node->n_after > 1 ? ", ..." : "");
  json_object_set_new (
      svc, "deploy",
      json_pack ("{s:s, s:i, s:s, s:{s:s, s:s, s:s}, s:{s:[o]}, s:o}", "mode", "replicated",
                 "replicas", 1,
                 /* the name resolves to the task's own address, as a node's
                  * name does in the lab, not to a virtual IP in front of it */
                 "endpoint_mode", "dnsrr", "labels", "labo.lab", lab->name, "labo.host",
                 host->name, "labo.node", node->name, "placement", "constraints",
                 json_sprintf ("node.hostname == %s", host->name), "restart_policy",
                 restart_policy (&node->supervise)));
  json_decref (own);
  return svc;
}

json_t *
labo_export_stack_json (const struct labo_lab *lab, const struct labo_export *opts,
                        json_t **notes)
{
  json_t *doc = json_object (), *services = json_object (), *volumes = json_object ();

  *notes = json_array ();
  lab_notes (lab, *notes);
  json_object_set_new (doc, "version", json_string ("3.8"));
  for (size_t i = 0; i < lab->n_nodes; i++)
    json_object_set_new (services, lab->nodes[i].name,
                         service (lab, i, opts, volumes, *notes));
  json_object_set_new (doc, "services", services);
  if (lab->overlay.present)
    {
      char p[20];
      json_object_set_new (
          doc, "networks",
          json_pack ("{s:{s:s, s:s, s:b, s:{s:[{s:s}]}}}", lab->overlay.name, "name",
                     lab->overlay.name, "driver", "overlay", "attachable", 1, "ipam",
                     "config", "subnet", labo_prefix_format (&lab->overlay.subnet, p)));
    }
  if (json_object_size (volumes) > 0)
    json_object_set_new (doc, "volumes", volumes);
  else
    json_decref (volumes);
  return doc;
}

/* ---- the header ---- */

/* text as comment lines of at most ~78 columns, the first prefixed by
 * first, the others by more. */
static void
comment_wrapped (FILE *f, const char *first, const char *more, const char *text)
{
  const char *prefix = first;
  size_t col = 0;

  while (*text)
    {
      size_t w = strcspn (text, " ");
      if (col > 0 && col + 1 + w > 78)
        {
          fputc ('\n', f);
          col = 0;
        }
      if (col == 0)
        {
          fputs (prefix, f);
          col = strlen (prefix);
          prefix = more;
        }
      else
        {
          fputc (' ', f);
          col++;
        }
      fwrite (text, 1, w, f);
      col += w;
      text += w;
      while (*text == ' ')
        text++;
    }
  if (col > 0)
    fputc ('\n', f);
}

static void
header (FILE *f, const struct labo_lab *lab, const struct labo_export *opts,
        const json_t *notes)
{
  const char *file = opts->file ? opts->file : "FILE";
  long manager = labo_lab_manager (lab);
  size_t i;
  json_t *n;

  cleanup_free char *title = xasprintf ("Lab %s (%s) for a Docker Swarm, written by labo "
                                         "export.", lab->name, lab->file ? lab->file : "?");

  comment_wrapped (f, "# ", "# ", title);
  comment_wrapped (f, "# ", "# ",
                   "One service a node, placed on the Swarm node whose hostname is the "
                   "lab's host's: the servers' hostnames must be the lab's hosts' names.");
  /* images loaded on each server are in no registry: asking one for their
   * digests would only fail, and warn */
  fprintf (f, "#\n# On the manager%s%s:\n#   docker stack deploy %s-c %s %s\n",
           manager >= 0 ? ", " : "", manager >= 0 ? lab->hosts[manager].name : "",
           opts->registry ? "" : "--resolve-image never ", file, lab->name);
  fprintf (f, "#\n");
  if (opts->registry)
    comment_wrapped (f, "# ", "# ", "The images are named for the registry they will be "
                                     "pushed to first; each server pulls them from there.");
  else
    comment_wrapped (f, "# ", "# ", "Each server needs the images first: labo export --images "
                                     "DIR writes them, docker load -i DIR/NAME.tar loads them.");
  fprintf (f, "#\n# What a stack cannot carry:\n");
  json_array_foreach (notes, i, n)
  comment_wrapped (f, "# - ", "#   ", json_string_value (n));
}

char *
labo_export_stack (const struct labo_lab *lab, const struct labo_export *opts, json_t **notes,
                   labo_error_t *err)
{
  json_t *all = NULL;
  json_t *doc = labo_export_stack_json (lab, opts, &all);
  cleanup_free char *yaml = labo_yaml_from_json (doc, err);
  char *out = NULL;
  size_t len = 0;
  FILE *f;

  json_decref (doc);
  if (yaml == NULL)
    {
      json_decref (all);
      return NULL;
    }
  f = open_memstream (&out, &len);
  if (f == NULL)
    abort ();
  header (f, lab, opts, all);
  fputs (yaml, f);
  /* the emitter ends a last flow mapping ("{}") without a newline */
  if (yaml[0] && yaml[strlen (yaml) - 1] != '\n')
    fputc ('\n', f);
  fclose (f);
  if (notes)
    *notes = all;
  else
    json_decref (all);
  return out;
}

/* ---- JSON as YAML, by libyaml's emitter ---- */

/* Would YAML 1.1 (the Docker CLI's reader) read s, unquoted, back as this
 * string? Conservatively: a word of letters, digits and [_./=@+,-] (':'
 * only when no space follows) that starts with a letter, '_' or '/' (so no
 * number, no timestamp, no .inf), and is none of 1.1's booleans and nulls. */
static bool
plain_safe (const char *s)
{
  static const char *const reserved[]
      = { "y", "n", "yes", "no", "true", "false", "on", "off", "null", NULL };
  char c = s[0];

  if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '/'))
    return false;
  for (const char *p = s; *p; p++)
    {
      c = *p;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || strchr ("_./=@+,-", c) != NULL)
        continue;
      if (c == ':' && p[1] != '\0' && p[1] != ' ')
        continue;
      return false;
    }
  for (size_t i = 0; reserved[i]; i++)
    if (strcasecmp (s, reserved[i]) == 0)
      return false;
  return true;
}

struct yaml_buf
{
  char *data;
  size_t len, cap;
};

static int
yaml_write (void *data, unsigned char *buffer, size_t size)
{
  struct yaml_buf *b = data;
  if (b->len + size + 1 > b->cap)
    {
      b->cap = (b->len + size + 1) * 2;
      b->data = xrealloc (b->data, b->cap);
    }
  memcpy (b->data + b->len, buffer, size);
  b->len += size;
  b->data[b->len] = '\0';
  return 1;
}

static int
emit_scalar (yaml_emitter_t *e, const char *text, bool quoted_ok)
{
  yaml_event_t ev;
  bool plain = !quoted_ok || plain_safe (text);

  yaml_scalar_event_initialize (&ev, NULL, NULL, (yaml_char_t *) text, (int) strlen (text),
                                plain, 1,
                                plain ? YAML_PLAIN_SCALAR_STYLE
                                      : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
  return yaml_emitter_emit (e, &ev);
}

static int
emit_value (yaml_emitter_t *e, const json_t *v)
{
  yaml_event_t ev;
  char num[64];
  const char *key;
  json_t *item;
  size_t i;

  switch (json_typeof (v))
    {
    case JSON_OBJECT:
      yaml_mapping_start_event_initialize (&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
      if (!yaml_emitter_emit (e, &ev))
        return 0;
      json_object_foreach ((json_t *) v, key, item)
      {
        if (!emit_scalar (e, key, true) || !emit_value (e, item))
          return 0;
      }
      yaml_mapping_end_event_initialize (&ev);
      return yaml_emitter_emit (e, &ev);
    case JSON_ARRAY:
      yaml_sequence_start_event_initialize (&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
      if (!yaml_emitter_emit (e, &ev))
        return 0;
      json_array_foreach (v, i, item)
      {
        if (!emit_value (e, item))
          return 0;
      }
      yaml_sequence_end_event_initialize (&ev);
      return yaml_emitter_emit (e, &ev);
    case JSON_STRING:
      return emit_scalar (e, json_string_value (v), true);
    case JSON_INTEGER:
      snprintf (num, sizeof (num), "%lld", (long long) json_integer_value (v));
      return emit_scalar (e, num, false);
    case JSON_REAL:
      snprintf (num, sizeof (num), "%.17g", json_real_value (v));
      return emit_scalar (e, num, false);
    case JSON_TRUE:
      return emit_scalar (e, "true", false);
    case JSON_FALSE:
      return emit_scalar (e, "false", false);
    case JSON_NULL:
    default:
      return emit_scalar (e, "null", false);
    }
}

char *
labo_yaml_from_json (const json_t *doc, labo_error_t *err)
{
  yaml_emitter_t e;
  yaml_event_t ev;
  struct yaml_buf b = { NULL, 0, 0 };
  int ok;

  if (!yaml_emitter_initialize (&e))
    abort ();
  yaml_emitter_set_output (&e, yaml_write, &b);
  yaml_emitter_set_unicode (&e, 1);
  yaml_emitter_set_indent (&e, 2);
  /* no folding: a long value (ZOO_SERVERS) stays on its line */
  yaml_emitter_set_width (&e, -1);
  yaml_stream_start_event_initialize (&ev, YAML_UTF8_ENCODING);
  ok = yaml_emitter_emit (&e, &ev);
  if (ok)
    {
      yaml_document_start_event_initialize (&ev, NULL, NULL, NULL, 1);
      ok = yaml_emitter_emit (&e, &ev);
    }
  ok = ok && emit_value (&e, doc);
  if (ok)
    {
      yaml_document_end_event_initialize (&ev, 1);
      ok = yaml_emitter_emit (&e, &ev);
    }
  if (ok)
    {
      yaml_stream_end_event_initialize (&ev);
      ok = yaml_emitter_emit (&e, &ev);
    }
  if (!ok)
    {
      labo_error_make (err, EINVAL, "writing YAML: %s",
                       e.problem ? e.problem : "libyaml's emitter failed");
      yaml_emitter_delete (&e);
      free (b.data);
      return NULL;
    }
  yaml_emitter_delete (&e);
  return b.data ? b.data : xstrdup ("");
}
