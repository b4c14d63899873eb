/* Lab files: what runs in a node (issue 13), read value by value: its
 * image, command, environment, binds and health check, and the names of
 * the nodes it starts after. Which keys a kind of node takes is decided in
 * read_node (labfile.c); the start order's loops are found in validate.c,
 * once every node is read. */
#include <stdlib.h>
#include <string.h>

#include "reader.h"
#include "labo/util/util.h"

const char *
lf_kind_name (enum labo_service s)
{
  switch (s)
    {
    case LABO_SERVICE_ZOOKEEPER:
      return "zookeeper";
    case LABO_SERVICE_ETCD:
      return "etcd";
    case LABO_SERVICE_SHELL:
      return "shell";
    case LABO_SERVICE_GENERIC:
      return "generic";
    default:
      return "unknown";
    }
}

/* Whether a string of len bytes fits the arg-size limit; reports it at pos
 * otherwise. Not lf_limit_error: one long value is a value out of range,
 * and reading goes on. */
static bool
fits (struct lf_reader *r, struct labo_pos pos, const char *what, size_t len)
{
  if (len <= r->c.lim->arg_size)
    return true;
  lf_error (&r->c, pos,
            "%s is %zu bytes long: more than %zu bytes, the arg-size limit (labo --limit "
            "arg-size=N raises it)",
            what, len, r->c.lim->arg_size);
  return false;
}

/* The text of scalar item `item`, or NULL after reporting that it is not
 * one: "expected <want> for <label>, found ...". A quoted "" is a string. */
static const char *
item_string (struct lf_reader *r, yaml_node_t *item, const char *want, const char *label)
{
  if (item->type != YAML_SCALAR_NODE || lf_is_null (item))
    {
      cleanup_free char *found = lf_describe (item);
      lf_error (&r->c, lf_pos_of (r, item), "expected %s for %s, found %s", want, label, found);
      return NULL;
    }
  if (strlen (lf_text (item)) != item->data.scalar.length)
    {
      lf_error (&r->c, lf_pos_of (r, item), "unexpected NUL character in %s", label);
      return NULL;
    }
  return lf_text (item);
}

static void
free_strv (char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

/* `command`, `health.exec`: a program and its arguments, in Docker's exec
 * form (a sequence: nothing splits a string on spaces, nothing interprets
 * quotes), non-empty. `label` names it ("'command'"), `example` shows it. */
bool
lf_read_argv (struct lf_reader *r, const struct lf_field *f, const char *label,
              const char *example, char ***argv, size_t *n_argv)
{
  yaml_node_t *seq = f->val;
  char **v = NULL;
  size_t n = 0;
  bool ok = true;

  if (seq->type != YAML_SEQUENCE_NODE)
    {
      cleanup_free char *found = lf_describe (seq);
      lf_error (&r->c, lf_val_pos (r, f),
                "expected a sequence for %s, the program and its arguments as in %s (Docker's "
                "exec form: no shell splits a string), found %s",
                label, example, found);
      return false;
    }
  if (seq->data.sequence.items.start == seq->data.sequence.items.top)
    {
      lf_error (&r->c, lf_pos_of (r, seq), "%s is empty: give the program and its arguments, as in %s",
                label, example);
      return false;
    }
  for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
       it++)
    {
      yaml_node_t *item = lf_node (r, *it);
      cleanup_free char *what = xasprintf ("an argument of %s", label);
      const char *s = item_string (r, item, "a string", what);
      if (s == NULL || !fits (r, lf_pos_of (r, item), what, strlen (s)))
        {
          ok = false;
          continue;
        }
      *(char **) labo_array_push (&v, &n, sizeof *v) = xstrdup (s);
    }
  if (!ok)
    {
      free_strv (v, n);
      return false;
    }
  *(char **) labo_array_push (&v, &n, sizeof *v) = NULL;
  *argv = v;
  *n_argv = n - 1;
  return true;
}

/* ---- image ---- */

static bool
ends_with (const char *s, const char *tail)
{
  size_t n = strlen (s), t = strlen (tail);
  return n > t && strcmp (s + n - t, tail) == 0;
}

static bool
recipe_name_ok (const char *s)
{
  return *s != '\0' && strspn (s, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen (s);
}

/* `image`: a `docker save` archive (a path ending in .tar or .tar.gz,
 * absolute or relative to the lab file's folder) or a recipe under
 * images/. Kept as written: `up` resolves it. */
void
lf_read_image (struct lf_reader *r, struct labo_node *node, const struct lf_field *f)
{
  static const char want[] = "a `docker save` archive (a path ending in .tar or .tar.gz) or the "
                             "name of a recipe under images/";
  const char *s = lf_get_string (r, f, want);
  struct labo_pos pos;
  cleanup_free char *shown = NULL;

  if (s == NULL)
    return;
  pos = lf_pos_of (r, f->val);
  shown = lf_disp (s, strlen (s));
  if (!fits (r, pos, "'image'", strlen (s)))
    return;
  if (ends_with (s, ".tar") || ends_with (s, ".tar.gz"))
    ;
  else if (strchr (s, '/') == NULL && (strchr (s, ':') || strchr (s, '@')))
    {
      lf_error (&r->c, pos,
                "image '%s' is a registry reference, and labo pulls nothing: give %s", shown,
                want);
      return;
    }
  else if (!recipe_name_ok (s))
    {
      lf_error (&r->c, pos,
                "invalid image '%s': give a `docker save` archive (a path ending in .tar or "
                ".tar.gz) or the name of a recipe under images/ (lowercase letters, digits "
                "and '-')",
                shown);
      return;
    }
  node->image = xstrdup (s);
  node->image_pos = pos;
}

/* ---- env ---- */

static bool
env_name_ok (const char *s)
{
  if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
    return false;
  for (s++; *s; s++)
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')
          || *s == '_'))
      return false;
  return true;
}

/* Why labo keeps variable `name` for itself in a node of kind s, or NULL:
 * LABO_* in every node, and what a kind's own image is configured with. */
static const char *
env_reserved (const char *name, enum labo_service s)
{
  if (strncmp (name, "LABO_", 5) == 0)
    return "LABO_* is labo's own, set in every node";
  if (s == LABO_SERVICE_ZOOKEEPER && strncmp (name, "ZOO_", 4) == 0)
    return "labo sets ZOO_* itself in a zookeeper node (its 'myid' and 'client_port' say what "
           "they set)";
  if (s == LABO_SERVICE_ETCD && strncmp (name, "ETCD_", 5) == 0)
    return "labo sets ETCD_* itself in an etcd node: it configures the member and its cluster";
  return NULL;
}

/* `env`: a mapping NAME: VALUE, kept as "NAME=VALUE" in file order. The
 * node's kind (node->service, 0 when not known) says which names are
 * labo's. */
void
lf_read_env (struct lf_reader *r, struct labo_node *node, const struct lf_field *f)
{
  cleanup_free char *where = xasprintf ("in env of node '%s'", node->name);
  cleanup_hmap struct labo_hmap seen = { 0 };
  yaml_node_t *map;
  char **v = NULL;
  size_t n = 0;
  bool ok;

  map = lf_get_mapping (r, f, "'env'", &ok);
  if (map == NULL)
    return;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
       p++)
    {
      yaml_node_t *k = lf_node (r, p->key), *val = lf_node (r, p->value);
      cleanup_free char *shown = NULL, *label = NULL;
      const char *name, *value, *why;
      size_t first;

      if (k->type != YAML_SCALAR_NODE || lf_is_null (k)
          || strlen (lf_text (k)) != k->data.scalar.length)
        {
          cleanup_free char *found = lf_describe (k);
          lf_error (&r->c, lf_pos_of (r, k),
                    "expected an environment variable name %s, found %s", where, found);
          continue;
        }
      name = lf_text (k);
      shown = lf_disp (name, strlen (name));
      if (!labo_hmap_put (&seen, name, strlen (name), (size_t) (p - map->data.mapping.pairs.start),
                          &first))
        {
          struct labo_pos at
              = lf_pos_of (r, lf_node (r, map->data.mapping.pairs.start[first].key));
          lf_error (&r->c, lf_pos_of (r, k), "duplicate key '%s' %s (first at %d:%d)", shown,
                    where, at.line, at.col);
          continue;
        }
      if (!env_name_ok (name))
        {
          lf_error (&r->c, lf_pos_of (r, k),
                    "invalid environment variable name '%s' %s: use letters, digits and '_', "
                    "not starting with a digit",
                    shown, where);
          continue;
        }
      if ((why = env_reserved (name, node->service)))
        {
          lf_error (&r->c, lf_pos_of (r, k), "env '%s' of node '%s': %s", shown, node->name,
                    why);
          continue;
        }
      label = xasprintf ("env '%s'", shown);
      if (lf_is_null (val))
        {
          lf_error (&r->c, lf_pos_of (r, k),
                    "expected a value for %s, found nothing (write %s: \"\" for an empty one)",
                    label, shown);
          continue;
        }
      if ((value = item_string (r, val, "a value", label)) == NULL)
        continue;
      if (!fits (r, lf_pos_of (r, val), "an env entry NAME=VALUE",
                 strlen (name) + 1 + strlen (value)))
        continue;
      *(char **) labo_array_push (&v, &n, sizeof *v) = xasprintf ("%s=%s", name, value);
    }
  if (n == 0)
    return;
  *(char **) labo_array_push (&v, &n, sizeof *v) = NULL;
  node->env = v;
  node->n_env = n - 1;
}

/* ---- binds ---- */

/* An absolute path without '.', '..' or empty components ("/" itself is
 * one). */
static bool
path_normal (const char *s)
{
  if (s[0] != '/')
    return false;
  if (s[1] == '\0')
    return true;
  for (const char *c = s + 1;;)
    {
      size_t len = strcspn (c, "/");
      if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
        return false;
      if (c[len] == '\0')
        return true;
      c += len + 1;
    }
}

/* Whether path is dir or under it. */
static bool
under (const char *path, const char *dir)
{
  size_t n = strlen (dir);
  return strncmp (path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool
check_bind_path (struct lf_reader *r, struct labo_pos pos, const char *which, const char *path,
                 const char *example)
{
  cleanup_free char *shown = lf_disp (path, strlen (path));

  if (path[0] != '/')
    {
      lf_error (&r->c, pos,
                "bind %s '%s' is not an absolute path: a bind names its paths in full, as %s",
                which, shown, example);
      return false;
    }
  if (!path_normal (path))
    {
      lf_error (&r->c, pos,
                "bind %s '%s' is not a normalized path: no '.' or '..' components, no '//', "
                "no '/' at the end",
                which, shown);
      return false;
    }
  return true;
}

/* `binds`: "SOURCE:TARGET" or "SOURCE:TARGET:ro", both absolute and
 * normalized, so that what the container is given of the machine is what
 * the file says, word for word (validate names each). */
void
lf_read_binds (struct lf_reader *r, struct labo_node *node, const struct lf_field *f)
{
  static const char want[] = "a bind SOURCE:TARGET or SOURCE:TARGET:ro like /srv/data:/data";
  static const char *const modes[] = { "ro" };
  cleanup_hmap struct labo_hmap targets = { 0 };
  yaml_node_t *seq;
  bool ok;

  seq = lf_get_sequence (r, f, &ok);
  if (seq == NULL)
    return;
  for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
       it++)
    {
      yaml_node_t *item = lf_node (r, *it);
      struct labo_pos pos = lf_pos_of (r, item);
      const char *s = item_string (r, item, want, "an item of 'binds'");
      cleanup_free char *shown = NULL, *src = NULL, *dst = NULL;
      const char *c1, *c2, *mode = NULL;
      struct labo_bind *b;
      size_t first;

      if (s == NULL || !fits (r, pos, "a bind", strlen (s)))
        continue;
      shown = lf_disp (s, strlen (s));
      c1 = strchr (s, ':');
      c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c1 == NULL || c1 == s || c1[1] == '\0' || c1[1] == ':' || (c2 && strchr (c2 + 1, ':')))
        {
          lf_error (&r->c, pos, "expected %s, got '%s'", want, shown);
          continue;
        }
      src = strndup (s, (size_t) (c1 - s));
      dst = c2 ? strndup (c1 + 1, (size_t) (c2 - c1 - 1)) : xstrdup (c1 + 1);
      if (src == NULL || dst == NULL)
        abort ();
      if (c2)
        {
          mode = c2 + 1;
          if (strcmp (mode, "rw") == 0)
            {
              lf_error (&r->c, pos,
                        "bind '%s': a bind without a mode is read-write: write %.*s (the one "
                        "mode is 'ro')",
                        shown, (int) (c2 - s), s);
              continue;
            }
          if (strcmp (mode, "ro") != 0)
            {
              cleanup_free char *m = lf_disp (mode, strlen (mode));
              if (lf_suggest (mode, modes, 1))
                lf_error (&r->c, pos, "unknown bind mode '%s' in '%s' (did you mean 'ro'?)", m,
                          shown);
              else
                lf_error (&r->c, pos,
                          "unknown bind mode '%s' in '%s': the one mode is 'ro' (leave it out "
                          "for read-write)",
                          m, shown);
              continue;
            }
        }
      if (!check_bind_path (r, pos, "source", src, "/srv/data")
          || !check_bind_path (r, pos, "target", dst, "/data"))
        continue;
      if (strcmp (dst, "/") == 0)
        {
          lf_error (&r->c, pos,
                    "bind target '/' would hide the container's whole file system: bind to a "
                    "folder of it, as /data");
          continue;
        }
      if (under (dst, "/proc") || under (dst, "/sys") || under (dst, "/dev"))
        {
          cleanup_free char *t = lf_disp (dst, strlen (dst));
          lf_error (&r->c, pos,
                    "bind target '%s' is under /proc, /sys or /dev, which the container's "
                    "runtime mounts itself",
                    t);
          continue;
        }
      if (!labo_hmap_put (&targets, s + (c1 - s) + 1, strlen (dst), node->n_binds, &first))
        {
          cleanup_free char *t = lf_disp (dst, strlen (dst));
          lf_error (&r->c, pos, "bind target '%s' is already bound in node '%s' (at %d:%d)", t,
                    node->name, node->binds[first].pos.line, node->binds[first].pos.col);
          continue;
        }
      b = labo_array_push (&node->binds, &node->n_binds, sizeof *b);
      b->source = steal_ptr (&src);
      b->target = steal_ptr (&dst);
      b->read_only = mode != NULL;
      b->pos = pos;
    }
}

/* ---- health ---- */

/* A decimal port 1..65535 of n bytes at s (no sign, no leading zero), or -1
 * when not digits; 0 when out of range. */
static long
url_port (const char *s, size_t n)
{
  long v;
  if (n == 0 || n > 5 || strspn (s, "0123456789") < n || (n > 1 && s[0] == '0'))
    return -1;
  v = strtol (s, NULL, 10);
  return v >= 1 && v <= 65535 ? v : 0;
}

/* `health.http`: "http://HOST[:PORT]/PATH", HOST the node's own name or
 * overlay address (addr_known: node->address was read), PATH printable. */
static bool
read_health_url (struct lf_reader *r, struct labo_node *node, const struct lf_field *f,
                 bool addr_known)
{
  static const char want[] = "a URL http://HOST[:PORT]/PATH";
  const char *s = lf_get_string (r, f, want), *host, *end, *path;
  struct labo_pos pos;
  cleanup_free char *shown = NULL, *h = NULL;
  uint32_t a;
  char b[16];

  if (s == NULL)
    return false;
  pos = lf_pos_of (r, f->val);
  if (!fits (r, pos, "health URL", strlen (s)))
    return false;
  shown = lf_disp (s, strlen (s));
  host = strncmp (s, "http://", 7) == 0 ? s + 7 : NULL;
  end = host ? host + strcspn (host, ":/") : NULL;
  path = end ? (*end == ':' ? strchr (end, '/') : end) : NULL;
  if (host == NULL || end == host || path == NULL || *path != '/')
    {
      lf_error (&r->c, pos, "expected %s for 'http', got '%s'", want, shown);
      return false;
    }
  for (const char *p = path; *p; p++)
    if ((unsigned char) *p <= 0x20 || *p == 0x7f)
      {
        lf_error (&r->c, pos, "expected %s for 'http', got '%s'", want, shown);
        return false;
      }
  if (*end == ':')
    {
      long port = url_port (end + 1, (size_t) (path - end - 1));
      if (port < 0)
        {
          lf_error (&r->c, pos, "expected %s for 'http', got '%s'", want, shown);
          return false;
        }
      if (port == 0)
        {
          lf_error (&r->c, pos, "port %.*s in health URL '%s' is out of range (1..65535)",
                    (int) (path - end - 1), end + 1, shown);
          return false;
        }
    }
  h = strndup (host, (size_t) (end - host));
  if (h == NULL)
    abort ();
  if (strcmp (h, node->name) != 0
      && (labo_ipv4_parse (h, &a) != 0 || (addr_known && a != node->address)))
    {
      cleanup_free char *hs = lf_disp (h, strlen (h));
      lf_error (&r->c, pos,
                "health URL '%s' asks '%s': a node's health is asked of the node itself, by "
                "its name '%s' or its address%s%s",
                shown, hs, node->name, addr_known ? " " : "",
                addr_known ? labo_ipv4_format (node->address, b) : "");
      return false;
    }
  node->health.url = xstrdup (s);
  return true;
}

/* `health`: exactly one of tcp, exec, http. */
void
lf_read_health (struct lf_reader *r, struct labo_node *node, const struct lf_field *f,
                bool addr_known)
{
  enum { K_TCP, K_EXEC, K_HTTP, N_KEYS };
  struct lf_field g[N_KEYS] = {
    [K_TCP] = LF_FIELD ("tcp"),
    [K_EXEC] = LF_FIELD ("exec"),
    [K_HTTP] = LF_FIELD ("http"),
  };
  cleanup_free char *where = xasprintf ("in health of node '%s'", node->name);
  struct lf_field *given[N_KEYS];
  struct labo_health *hc = &node->health;
  yaml_node_t *map;
  size_t n = 0;
  bool ok, unsure = false;

  map = lf_get_mapping (r, f, "'health'", &ok);
  if (!ok)
    return;
  if (map)
    lf_read_fields (r, map, where, g, N_KEYS);
  for (size_t i = 0; i < N_KEYS; i++)
    {
      if (g[i].key)
        given[n++] = &g[i];
      unsure |= lf_unsure (&g[i]);
    }
  if (n == 0)
    {
      /* a key not known (reported) may have been meant as a check */
      if (!unsure && (map == NULL || map->data.mapping.pairs.start == map->data.mapping.pairs.top))
        lf_error (&r->c, lf_pos_of (r, f->key),
                  "'health' of node '%s' names no check: give one of 'tcp: PORT', 'exec: "
                  "[CMD, ARG...]' or 'http: URL'",
                  node->name);
      return;
    }
  if (n > 1)
    {
      /* at the later of the first two, in the file's order */
      struct lf_field *a = given[0], *b = given[1];
      if (lf_pos_cmp (lf_pos_of (r, a->key), lf_pos_of (r, b->key)) > 0)
        a = given[1], b = given[0];
      lf_error (&r->c, lf_pos_of (r, b->key),
                "'health' of node '%s' gives two checks, '%s' and '%s': give one", node->name,
                a->name, b->name);
      return;
    }
  hc->pos = lf_val_pos (r, given[0]);
  if (given[0] == &g[K_TCP])
    {
      if (lf_get_int (r, &g[K_TCP], 1, 65535, &hc->port))
        hc->kind = LABO_HEALTH_TCP;
    }
  else if (given[0] == &g[K_EXEC])
    {
      if (lf_read_argv (r, &g[K_EXEC], "'exec'", "[pg_isready, -q]", &hc->argv, &hc->n_argv))
        hc->kind = LABO_HEALTH_EXEC;
    }
  else if (read_health_url (r, node, &g[K_HTTP], addr_known))
    hc->kind = LABO_HEALTH_HTTP;
}

/* ---- after ---- */

/* `after`: node names, kept in the node's aux record until every node is
 * read (lf_resolve_after). */
void
lf_read_after (struct lf_reader *r, size_t i, const struct lf_field *f)
{
  struct labo_node *node = &r->c.lab->nodes[i];
  struct lf_node_aux *aux = &r->c.node_aux[i];
  yaml_node_t *seq;
  bool ok;

  node->after_pos = lf_val_pos (r, f);
  seq = lf_get_sequence (r, f, &ok);
  if (seq == NULL)
    return;
  for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
       it++)
    {
      yaml_node_t *item = lf_node (r, *it);
      const char *s = item_string (r, item, "a node name", "an item of 'after'");
      if (s == NULL)
        continue;
      labo_array_push (&aux->after_names, &aux->n_after_names, sizeof *aux->after_names);
      aux->after_names[aux->n_after_names - 1] = (struct lf_name_ref){ xstrdup (s),
                                                                       lf_pos_of (r, item) };
    }
}
