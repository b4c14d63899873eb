/* Health checks (`health:` tcp, exec, http) as a probe round's request and
 * verdict: the whole probe of the kinds without roles (shell, generic), and
 * what any kind's row may use when a node's `health` overrides its own. Pure;
 * tests/unit/test_kind.c. See include/labo/kind/kind.h. */
#include "kind-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/util/util.h"

/* The parts of "http://HOST[:PORT]/PATH" (the lab file's reader has
 * checked that form): the authority HOST[:PORT], the port, the path. */
static void
url_split (const char *url, const char **auth, size_t *auth_len, uint16_t *port,
           const char **path)
{
  const char *host = strncmp (url, "http://", 7) == 0 ? url + 7 : url;
  const char *end = host + strcspn (host, ":/");

  *auth = host;
  *path = strchr (host, '/');
  if (*path == NULL)
    *path = host + strlen (host);
  *auth_len = (size_t) (*path - host);
  *port = 80;
  if (*end == ':')
    {
      long p = strtol (end + 1, NULL, 10);
      if (p > 0 && p <= 65535)
        *port = (uint16_t) p;
    }
}

uint16_t
labo_health_port (const struct labo_health *h)
{
  const char *auth, *path;
  size_t auth_len;
  uint16_t port;

  switch (h->kind)
    {
    case LABO_HEALTH_TCP:
      return (uint16_t) h->port;
    case LABO_HEALTH_HTTP:
      url_split (h->url, &auth, &auth_len, &port, &path);
      return port;
    case LABO_HEALTH_EXEC:
    case LABO_HEALTH_DEFAULT:
    default:
      return 0;
    }
}

const char *
labo_health_ask (const struct labo_health *h, size_t k, char *buf, size_t size)
{
  const char *auth, *path;
  size_t auth_len;
  uint16_t port;
  int n;

  if (k != 0)
    return NULL;
  switch (h->kind)
    {
    case LABO_HEALTH_TCP:
      return "";
    case LABO_HEALTH_HTTP:
      /* HTTP/1.0 and Connection: close: the server closes after its
       * answer, which is how a probe's reply ends */
      url_split (h->url, &auth, &auth_len, &port, &path);
      n = snprintf (buf, size, "GET %s HTTP/1.0\r\nHost: %.*s\r\nConnection: close\r\n\r\n",
                    path, (int) auth_len, auth);
      return n > 0 && (size_t) n < size ? buf : NULL;
    case LABO_HEALTH_EXEC:
    case LABO_HEALTH_DEFAULT:
    default:
      return NULL;
    }
}

/* "HTTP/1.0 200 OK", "HTTP/1.1 204 No Content": a status line of 2xx. */
static bool
http_2xx (const char *reply)
{
  return strncmp (reply, "HTTP/1.", 7) == 0 && reply[7] >= '0' && reply[7] <= '9'
         && reply[8] == ' ' && reply[9] == '2' && reply[10] >= '0' && reply[10] <= '9'
         && reply[11] >= '0' && reply[11] <= '9'
         && (reply[12] == ' ' || reply[12] == '\r' || reply[12] == '\n' || reply[12] == '\0');
}

void
labo_health_judge (const struct labo_health *h, const char *const reply[LABO_KIND_MAX_ASKS],
                   const char *const error[LABO_KIND_MAX_ASKS], struct labo_probe_result *out)
{
  const char *r = reply[0];

  if (r == NULL)
    {
      if (error[0])
        snprintf (out->why, sizeof (out->why), "%s", error[0]);
      else if (h->kind == LABO_HEALTH_HTTP)
        snprintf (out->why, sizeof (out->why), "health URL too long to ask (%zu bytes)",
                  strlen (h->url));
      else
        snprintf (out->why, sizeof (out->why), "no answer");
      return;
    }
  if (h->kind == LABO_HEALTH_HTTP && !http_2xx (r))
    {
      /* its status line, cut, as what it said */
      int line = (int) strcspn (r, "\r\n");
      if (line == 0)
        snprintf (out->why, sizeof (out->why), "GET %s: no status line in the answer", h->url);
      else
        snprintf (out->why, sizeof (out->why), "GET %s answered \"%.*s\"", h->url,
                  line > 60 ? 60 : line, r);
      return;
    }
  out->alive = true;
  out->mode = LABO_MODE_HEALTHY;
}

void
labo_stack_env (json_t *svc, char *const *env)
{
  json_t *list = json_object_get (svc, "environment");

  if (env == NULL || env[0] == NULL)
    return;
  if (list == NULL)
    {
      list = json_array ();
      json_object_set_new (svc, "environment", list);
    }
  for (size_t i = 0; env[i]; i++)
    json_array_append_new (list, json_string (env[i]));
}

void
labo_health_stack (const struct labo_node *node, const struct labo_health *h, bool own_image,
                   json_t *svc, json_t *notes)
{
  json_t *test = NULL;

  switch (h->kind)
    {
    case LABO_HEALTH_EXEC:
      test = json_array ();
      json_array_append_new (test, json_string ("CMD"));
      for (size_t i = 0; i < h->n_argv; i++)
        json_array_append_new (test, json_string (h->argv[i]));
      break;
    case LABO_HEALTH_TCP:
      if (own_image)
        test = json_pack ("[s, s, s, o]", "CMD", "bash", "-c",
                          json_sprintf ("exec 3<>/dev/tcp/127.0.0.1/%d", h->port));
      else
        json_array_append_new (
            notes, json_sprintf ("node %s: its health check (a TCP connection to port %d) is "
                                 "not carried: what the image has to open one is unknown; "
                                 "Swarm judges the node by its process alone",
                                 node->name, h->port));
      break;
    case LABO_HEALTH_HTTP:
      json_array_append_new (
          notes, json_sprintf ("node %s: its health check (GET %s) is not carried: what the "
                               "image has to make the request is unknown; Swarm judges the "
                               "node by its process alone",
                               node->name, h->url));
      break;
    case LABO_HEALTH_DEFAULT:
    default:
      break;
    }
  if (test)
    json_object_set_new (svc, "healthcheck", json_pack ("{s:o}", "test", test));
}
