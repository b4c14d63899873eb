/* Docker Engine API bodies, query strings and reply parsers: pure logic. */
#include "labo/docker/docker.h"

#include <stdio.h>
#include <string.h>

#include "labo/util/util.h"

/* Swarm's control-plane port: ListenAddr and RemoteAddrs carry it. */
#define SWARM_PORT 2377
/* Defaults of struct labo_swarm, for a model that left them zero. */
#define DEFAULT_POOL_ADDR 0x0a800000u /* 10.128.0.0 */
#define DEFAULT_POOL_LEN 16
#define DEFAULT_SUBNET_SIZE 24

static json_t *
addr_string (uint32_t addr)
{
  char buf[16];
  return json_string (labo_ipv4_format (addr, buf));
}

static json_t *
addr_port_string (uint32_t addr, int port)
{
  char buf[16];
  cleanup_free char *s = xasprintf ("%s:%d", labo_ipv4_format (addr, buf), port);
  return json_string (s);
}

static json_t *
prefix_string (const struct labo_prefix *p)
{
  char buf[20];
  return json_string (labo_prefix_format (p, buf));
}

json_t *
labo_docker_swarm_init_body (uint32_t advertise, const struct labo_swarm *swarm)
{
  struct labo_prefix pool = { DEFAULT_POOL_ADDR, DEFAULT_POOL_LEN };
  int subnet_size = DEFAULT_SUBNET_SIZE;

  /* A /0 pool or a zero subnet size are never meant: they are the fields a
   * model without a swarm section leaves zeroed. */
  if (swarm != NULL && swarm->address_pool.len != 0)
    pool = swarm->address_pool;
  if (swarm != NULL && swarm->subnet_size != 0)
    subnet_size = swarm->subnet_size;

  /* DataPathAddr too: with docker0 and an uplink in the namespace, dockerd
   * would otherwise pick the VXLAN source itself. */
  return json_pack ("{s:o, s:o, s:o, s:[o], s:i, s:b, s:{}}",
                    "ListenAddr", addr_port_string (advertise, SWARM_PORT),
                    "AdvertiseAddr", addr_string (advertise),
                    "DataPathAddr", addr_string (advertise),
                    "DefaultAddrPool", prefix_string (&pool),
                    "SubnetSize", subnet_size,
                    "ForceNewCluster", 0,
                    "Spec");
}

json_t *
labo_docker_swarm_join_body (uint32_t advertise, uint32_t manager, const char *token)
{
  return json_pack ("{s:o, s:o, s:o, s:[o], s:s}",
                    "ListenAddr", addr_port_string (advertise, SWARM_PORT),
                    "AdvertiseAddr", addr_string (advertise),
                    "DataPathAddr", addr_string (advertise),
                    "RemoteAddrs", addr_port_string (manager, SWARM_PORT),
                    "JoinToken", token ? token : "");
}

json_t *
labo_docker_network_body (const struct labo_overlay *overlay, const char *lab)
{
  json_t *config = json_pack ("{s:o}", "Subnet", prefix_string (&overlay->subnet));

  /* Left out when unset, Docker picks them: the gateway from the subnet's
   * first address, the allocations from the whole subnet. */
  if (overlay->gateway != 0)
    json_object_set_new (config, "Gateway", addr_string (overlay->gateway));
  if (overlay->ip_range.len != 0)
    json_object_set_new (config, "IPRange", prefix_string (&overlay->ip_range));

  return json_pack ("{s:s, s:b, s:s, s:b, s:b, s:b, s:{s:s, s:[o]}, s:{}, s:{s:s}}",
                    "Name", overlay->name,
                    "CheckDuplicate", 1,
                    "Driver", "overlay",
                    "Attachable", 1,
                    "Internal", 0,
                    "EnableIPv6", 0,
                    "IPAM", "Driver", "default", "Config", config,
                    "Options",
                    "Labels", "labo.lab", lab);
}

json_t *
labo_docker_container_body (const struct labo_lab *lab, const struct labo_node *node,
                            const char *image, const char *const *env)
{
  const struct labo_host *host = &lab->hosts[node->host];
  json_t *body = json_object (), *exposed = json_object (), *bindings = json_object ();
  json_t *host_config = json_object ();
  char host_ip[16];

  labo_ipv4_format (host->lab_address, host_ip);
  for (size_t i = 0; i < node->n_ports; i++)
    {
      const struct labo_port *p = &node->ports[i];
      char key[16], host_port[8];

      snprintf (key, sizeof key, "%u/tcp", (unsigned) p->container_port);
      snprintf (host_port, sizeof host_port, "%u", (unsigned) p->host_port);
      json_object_set_new (exposed, key, json_object ());
      /* Only on the host's lab address: the emulated machine's other
       * interfaces (docker0, gwbridge) must not publish. */
      json_object_set_new (bindings, key,
                           json_pack ("[{s:s, s:s}]", "HostIp", host_ip, "HostPort", host_port));
    }

  /* In the order of the verified body (build/research/create-namenode1.json),
   * so that a dump reads the same. */
  json_object_set_new (body, "Image", json_string (image));
  json_object_set_new (body, "Hostname", json_string (node->name));
  if (env != NULL)
    {
      json_t *a = json_array ();
      for (size_t i = 0; env[i] != NULL; i++)
        json_array_append_new (a, json_string (env[i]));
      json_object_set_new (body, "Env", a);
    }
  json_object_set_new (body, "Labels",
                       json_pack ("{s:s, s:s, s:s}", "labo.lab", lab->name, "labo.host",
                                  host->name, "labo.node", node->name));
  json_object_set_new (body, "ExposedPorts", exposed);

  if (lab->overlay.present)
    json_object_set_new (host_config, "NetworkMode", json_string (lab->overlay.name));
  json_object_set_new (host_config, "PortBindings", bindings);
  if (lab->overlay.present)
    {
      /* Every other node's name in the container's /etc/hosts, as the
       * process runtime's nodes have them: Docker's embedded DNS knows a
       * name on another host only once its daemon's gossip (networkdb)
       * has brought the peer's endpoint, seconds after a daemon restarts,
       * and meanwhile forwards the query to the machine's nameservers,
       * which a lab cannot reach. ZooKeeper resolves its peers as it reads
       * its configuration: namenode1 sat 10 s on "namenode2" there after
       * its dockerd restarted, then saw "namenode2/<unresolved>" for 12 s
       * more (issue 9). The addresses are fixed: nothing to ask. */
      json_t *hosts = json_array ();
      for (size_t i = 0; i < lab->n_nodes; i++)
        {
          const struct labo_node *o = &lab->nodes[i];
          char a[16];
          if (o->address == 0)
            continue;
          if (o != node)
            json_array_append_new (hosts, json_sprintf ("%s:%s", o->name,
                                                        labo_ipv4_format (o->address, a)));
          /* Weave's names too (the tutorial pings namenode2.weave.local),
           * the node's own included */
          json_array_append_new (hosts, json_sprintf ("%s.%s.local:%s", o->name,
                                                      lab->overlay.name,
                                                      labo_ipv4_format (o->address, a)));
        }
      json_object_set_new (host_config, "ExtraHosts", hosts);
    }
  /* Restarts are the supervisor's business: a Docker restart policy would
   * race it and hide crashes. */
  json_object_set_new (host_config, "RestartPolicy", json_pack ("{s:s}", "Name", "no"));
  /* a lab may run for days: Docker's json-file log, rotated (labo logs
   * reads the current file) */
  json_object_set_new (host_config, "LogConfig",
                       json_pack ("{s:s, s:{s:s, s:s}}", "Type", "json-file", "Config", "max-size",
                                  "10m", "max-file", "3"));
  json_object_set_new (body, "HostConfig", host_config);

  if (lab->overlay.present)
    /* The fixed address sits outside the overlay's IPRange, which Docker
     * accepts for a user-chosen address; the alias makes the node's name
     * resolve through the embedded DNS on every host. */
    json_object_set_new (
        body, "NetworkingConfig",
        json_pack ("{s:{s:{s:{s:o}, s:[s, s+++]}}}", "EndpointsConfig", lab->overlay.name,
                   "IPAMConfig", "IPv4Address", addr_string (node->address), "Aliases",
                   node->name, node->name, ".", lab->overlay.name, ".local"));
  return body;
}

/* Percent-encodes everything but RFC 3986's unreserved characters, as
 * curl_easy_escape does (which needs a handle: this must stay pure). */
static void
append_encoded (char **out, size_t *len, size_t *cap, const char *s)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t need = *len + 3 * strlen (s) + 1;

  if (need > *cap)
    {
      *cap = need * 2;
      *out = xrealloc (*out, *cap);
    }
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')
          || *p == '-' || *p == '.' || *p == '_' || *p == '~')
        (*out)[(*len)++] = (char) *p;
      else
        {
          (*out)[(*len)++] = '%';
          (*out)[(*len)++] = hex[*p >> 4];
          (*out)[(*len)++] = hex[*p & 15];
        }
    }
  (*out)[*len] = '\0';
}

static void
append_param (char **out, size_t *len, size_t *cap, const char *name, const char *value)
{
  size_t need = *len + strlen (name) + 3;

  if (need > *cap)
    {
      *cap = need * 2;
      *out = xrealloc (*out, *cap);
    }
  *len += (size_t) sprintf (*out + *len, "&%s=", name);
  append_encoded (out, len, cap, value);
}

char *
labo_docker_import_query (const char *repo, const char *tag, const char *const *changes)
{
  size_t len = 0, cap = 256;
  char *q = xmalloc (cap);

  len = (size_t) sprintf (q, "fromSrc=-");
  if (repo != NULL)
    append_param (&q, &len, &cap, "repo", repo);
  if (tag != NULL)
    append_param (&q, &len, &cap, "tag", tag);
  /* The commit message of the image's one layer (`docker history`). */
  append_param (&q, &len, &cap, "message", "labo");
  for (size_t i = 0; changes != NULL && changes[i] != NULL; i++)
    append_param (&q, &len, &cap, "changes", changes[i]);
  return q;
}

static bool
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A copy of data[0..len) without the surrounding white space. */
static char *
trimmed (const char *data, size_t len)
{
  char *s;

  while (len > 0 && is_space (*data))
    data++, len--;
  while (len > 0 && is_space (data[len - 1]))
    len--;
  s = xmalloc (len + 1);
  memcpy (s, data, len);
  s[len] = '\0';
  return s;
}

char *
labo_docker_error_message (const char *body, size_t len)
{
  json_t *j;
  char *msg = NULL;

  if (body == NULL)
    return xstrdup ("");
  j = json_loadb (body, len, JSON_DECODE_ANY, NULL);
  if (json_is_object (j))
    {
      const char *m = json_string_value (json_object_get (j, "message"));
      if (m != NULL)
        msg = trimmed (m, strlen (m));
    }
  json_decref (j);
  /* A proxy's or an old daemon's plain-text reply ("page not found") is
   * still the best explanation there is. */
  return msg ? msg : trimmed (body, len);
}

int
labo_docker_network_peers_json (const json_t *j, uint32_t **addrs, size_t *n)
{
  json_t *peers = json_object_get (j, "Peers");
  uint32_t *out = NULL;
  size_t count = 0, i;
  json_t *p;

  *addrs = NULL;
  *n = 0;
  /* a network's inspection has an Id; "Peers" is null when it has none */
  if (!json_is_object (j) || !json_is_string (json_object_get (j, "Id"))
      || !(json_is_array (peers) || json_is_null (peers) || peers == NULL))
    return -1;
  if (json_array_size (peers) > 0)
    out = xcalloc (json_array_size (peers), sizeof (*out));
  json_array_foreach (peers, i, p)
  {
    const char *ip = json_string_value (json_object_get (p, "IP"));
    /* "unknown": a node the network still lists but the gossip has lost
     * (networkdb's Peers says so rather than fail): no peer */
    if (ip != NULL && strcmp (ip, "unknown") == 0)
      continue;
    if (ip == NULL || labo_ipv4_parse (ip, &out[count]) < 0)
      {
        free (out);
        return -1;
      }
    count++;
  }
  *addrs = out;
  *n = count;
  return 0;
}

int
labo_docker_network_peers (const char *body, size_t len, uint32_t **addrs, size_t *n)
{
  json_t *j = body ? json_loadb (body, len, 0, NULL) : NULL;
  int r = labo_docker_network_peers_json (j, addrs, n);
  json_decref (j);
  return r;
}

/* POST /images/load says what it loaded in "stream" texts, a line each:
 * "Loaded image: busybox:latest" for a tagged image, "Loaded image ID:
 * sha256:..." for one saved by id. */
static void
ndjson_loaded (struct labo_ndjson *s, const char *text)
{
  static const char *const prefixes[] = { "Loaded image: ", "Loaded image ID: " };

  while (*text)
    {
      size_t len = strcspn (text, "\n");
      for (size_t i = 0; i < 2; i++)
        {
          size_t pl = strlen (prefixes[i]);
          if (len > pl && strncmp (text, prefixes[i], pl) == 0)
            {
              s->n_loaded++;
              if (s->loaded == NULL)
                s->loaded = trimmed (text + pl, len - pl);
            }
        }
      text += len + (text[len] == '\n');
    }
}

/* One complete line of a progress stream. */
static void
ndjson_line (struct labo_ndjson *s, const char *line, size_t len)
{
  json_t *j, *v;

  while (len > 0 && is_space (line[len - 1]))
    len--;
  if (len == 0)
    return;
  j = json_loadb (line, len, 0, NULL);
  if (!json_is_object (j)) /* not ours to judge: progress lines only inform */
    {
      json_decref (j);
      return;
    }
  if (s->error == NULL)
    {
      /* errorDetail.message is the structured form; "error" the legacy
       * one, sent alongside it with the same text. */
      const char *m = json_string_value (
          json_object_get (json_object_get (j, "errorDetail"), "message"));
      if (m == NULL)
        m = json_string_value (json_object_get (j, "error"));
      if (m != NULL)
        s->error = trimmed (m, strlen (m));
    }
  v = json_object_get (j, "status");
  if (json_is_string (v))
    {
      free (s->status);
      s->status = xstrdup (json_string_value (v));
    }
  v = json_object_get (j, "stream");
  if (json_is_string (v))
    ndjson_loaded (s, json_string_value (v));
  json_decref (j);
}

void
labo_ndjson_feed (struct labo_ndjson *s, const char *data, size_t len)
{
  size_t start = 0;

  if (len == 0)
    return;
  if (s->len + len > s->cap)
    {
      s->cap = s->len + len > 2 * s->cap ? s->len + len : 2 * s->cap;
      s->buf = xrealloc (s->buf, s->cap);
    }
  memcpy (s->buf + s->len, data, len);
  s->len += len;

  /* Only the new bytes can hold a newline: the kept tail never does. */
  for (size_t i = s->len - len; i < s->len; i++)
    if (s->buf[i] == '\n')
      {
        ndjson_line (s, s->buf + start, i - start);
        start = i + 1;
      }
  if (start > 0)
    {
      memmove (s->buf, s->buf + start, s->len - start);
      s->len -= start;
    }
}

void
labo_ndjson_finish (struct labo_ndjson *s)
{
  if (s->len > 0)
    ndjson_line (s, s->buf, s->len);
  s->len = 0;
}

void
labo_ndjson_free (struct labo_ndjson *s)
{
  free (s->buf);
  free (s->error);
  free (s->status);
  free (s->loaded);
  memset (s, 0, sizeof (*s));
}

char *
labo_docker_events_path (const char *lab)
{
  /* lab names are [a-z0-9-]: nothing to escape inside the JSON */
  cleanup_free char *filters
      = xasprintf ("{\"type\":[\"container\"],\"label\":[\"labo.lab=%s\"]}", lab);
  char *out = xstrdup ("/events?filters=");
  size_t len = strlen (out), cap = len + 1;

  append_encoded (&out, &len, &cap, filters);
  return out;
}
