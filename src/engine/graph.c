/* A lab as vertices and edges (include/labo/engine/graph.h): from the
 * model, with the live state read from a status object. Pure. */
#include "labo/engine/graph.h"
#include "labo/model/copy.h"

#include <stdlib.h>
#include <string.h>

#include "labo/kind/kind.h"
#include "labo/util/util.h"

static size_t
add_vertex (struct labo_graph *g, enum labo_vertex_type type, char *id, const char *name)
{
  struct labo_vertex *v;
  g->v = xrealloc (g->v, (g->n_v + 1) * sizeof (*g->v));
  v = &g->v[g->n_v];
  memset (v, 0, sizeof (*v));
  v->type = type;
  v->id = id;
  v->name = xstrdup (name);
  v->parent = -1;
  return g->n_v++;
}

static struct labo_edge *
add_edge (struct labo_graph *g, enum labo_edge_type type, size_t from, size_t to)
{
  struct labo_edge *e;
  g->e = xrealloc (g->e, (g->n_e + 1) * sizeof (*g->e));
  e = &g->e[g->n_e++];
  memset (e, 0, sizeof (*e));
  e->type = type;
  e->from = from;
  e->to = to;
  return e;
}

static const char *
str (json_t *o, const char *key)
{
  return json_string_value (json_object_get (o, key));
}

/* The element of array arr whose key is val, or NULL. */
static json_t *
find_by (json_t *arr, const char *key, const char *val)
{
  size_t i;
  json_t *o;
  json_array_foreach (arr, i, o)
    {
      const char *s = str (o, key);
      if (s && strcmp (s, val) == 0)
        return o;
    }
  return NULL;
}

static bool
host_off (json_t *status, const char *host)
{
  json_t *h = find_by (json_object_get (status, "hosts"), "name", host);
  const char *p = str (h, "power");
  if (p && strcmp (p, "off") == 0)
    return true;
  {
    size_t i;
    json_t *s;
    json_array_foreach (json_object_get (json_object_get (status, "faults"), "powered_off"), i, s)
      if (json_is_string (s) && strcmp (json_string_value (s), host) == 0)
        return true;
  }
  return false;
}

/* The kernel's state of a host's interface ("up", "down"...), or NULL. */
static const char *
iface_state (json_t *status, const char *host, const char *ifname)
{
  json_t *h = find_by (json_object_get (status, "hosts"), "name", host);
  return str (find_by (json_object_get (h, "interfaces"), "ifname", ifname), "state");
}

/* The settings `labo link` put on a host's link towards `far` (a segment,
 * or a host for p2p), as status's faults.links says them. */
static json_t *
link_fault (json_t *status, const char *host, const char *far, bool p2p)
{
  size_t i;
  json_t *o;
  json_array_foreach (json_object_get (json_object_get (status, "faults"), "links"), i, o)
    {
      const char *h = str (o, "host"), *f = str (o, p2p ? "peer" : "segment");
      if (h && f && strcmp (h, host) == 0 && strcmp (f, far) == 0)
        return o;
    }
  return NULL;
}

/* A link's live state and settings. */
static void
link_live (struct labo_edge *e, json_t *status, const char *host, const char *ifname,
           const char *far, bool p2p, bool any_off)
{
  json_t *f = link_fault (status, host, far, p2p);
  const char *kst = iface_state (status, host, ifname);
  const char *set = str (f, "settings");
  bool down = any_off || (f && str (f, "state") && strcmp (str (f, "state"), "down") == 0)
              || (kst && strcmp (kst, "up") != 0);
  e->state = xstrdup (down ? "down" : "up");
  if (set && *set)
    e->settings = xstrdup (set);
}

static char *
prefix_str (const struct labo_prefix *p)
{
  char buf[20];
  return xstrdup (labo_prefix_format (p, buf));
}

/* Appends a line to a label. */
static void
label_add (char **label, const char *line)
{
  char *t = xasprintf ("%s%s%s", *label ? *label : "", *label && **label ? "\n" : "", line);
  free (*label);
  *label = t;
}

static void
add_hosts (struct labo_graph *g, const struct labo_lab *lab, json_t *status)
{
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      const struct labo_host *host = &lab->hosts[h];
      size_t i = add_vertex (g, LABO_VERTEX_HOST, xasprintf ("h%zu", h), host->name);
      struct labo_vertex *v = &g->v[i];
      v->label = xstrdup (host->name);
      if (host->docker == LABO_DOCKER_MANAGER)
        label_add (&v->label, "docker (swarm manager)");
      else if (host->docker == LABO_DOCKER_WORKER)
        label_add (&v->label, "docker (swarm worker)");
      if (host->forward)
        label_add (&v->label, "router");
      for (size_t l = 0; l < lab->n_links; l++)
        {
          const struct labo_link *k = &lab->links[l];
          const struct labo_endpoint *ep = k->a.host == h ? &k->a
                                           : (k->kind == LABO_LINK_P2P && k->b.host == h) ? &k->b
                                                                                          : NULL;
          if (ep == NULL || !ep->has_addr)
            continue;
          v->addresses = xrealloc (v->addresses, (v->n_addresses + 1) * sizeof (char *));
          v->addresses[v->n_addresses++] = prefix_str (&ep->addr);
          label_add (&v->label, v->addresses[v->n_addresses - 1]);
        }
      if (status)
        {
          bool off = host_off (status, host->name);
          v->state = xstrdup (off ? "off" : "on");
          if (off)
            label_add (&v->label, "POWERED OFF");
        }
    }
}

static void
add_segments (struct labo_graph *g, const struct labo_lab *lab)
{
  for (size_t s = 0; s < lab->n_segments; s++)
    {
      const struct labo_segment *seg = &lab->segments[s];
      size_t i = add_vertex (g, LABO_VERTEX_SEGMENT, xasprintf ("s%zu", s), seg->name);
      g->v[i].subnet = prefix_str (&seg->subnet);
      g->v[i].label = xasprintf ("%s\n%s", seg->name, g->v[i].subnet);
    }
}

static void
add_links (struct labo_graph *g, const struct labo_lab *lab, json_t *status, size_t seg0)
{
  for (size_t l = 0; l < lab->n_links; l++)
    {
      const struct labo_link *k = &lab->links[l];
      const char *hname = lab->hosts[k->a.host].name;
      bool p2p = k->kind == LABO_LINK_P2P;
      struct labo_edge *e = add_edge (g, p2p ? LABO_EDGE_P2P : LABO_EDGE_LINK, k->a.host,
                                      p2p ? k->b.host : seg0 + k->segment);
      char *line;

      e->ifname = xstrdup (k->a.ifname);
      if (k->a.has_addr)
        e->address = prefix_str (&k->a.addr);
      /* two lines: narrow labels, side by side under a row of hosts */
      line = xasprintf ("%s%s%s", k->a.ifname, e->address ? "\n" : "", e->address ? e->address : "");
      label_add (&e->label, line);
      free (line);
      if (p2p)
        {
          e->peer_ifname = xstrdup (k->b.ifname);
          if (k->b.has_addr)
            e->peer_address = prefix_str (&k->b.addr);
          line = xasprintf ("%s %s%s%s", lab->hosts[k->b.host].name, k->b.ifname,
                            e->peer_address ? "\n" : "", e->peer_address ? e->peer_address : "");
          label_add (&e->label, line);
          free (line);
        }
      if (status)
        {
          const char *far = p2p ? lab->hosts[k->b.host].name : lab->segments[k->segment].name;
          bool off = host_off (status, hname) || (p2p && host_off (status, far));
          link_live (e, status, hname, k->a.ifname, far, p2p, off);
          if (e->settings)
            label_add (&e->label, e->settings);
          if (strcmp (e->state, "down") == 0)
            label_add (&e->label, "DOWN");
        }
    }
}

static void
add_root (struct labo_graph *g, const struct labo_lab *lab, size_t seg0)
{
  long root = -1;
  for (size_t s = 0; s < lab->n_segments; s++)
    {
      const struct labo_segment *seg = &lab->segments[s];
      /* the machine's own address on it (a copy's, on its block) */
      struct labo_prefix p = { labo_segment_root_address (seg), seg->subnet.len };
      struct labo_edge *e;
      if (!seg->has_root)
        continue;
      if (root < 0)
        {
          root = (long) add_vertex (g, LABO_VERTEX_ROOT, xstrdup ("root"), "this machine");
          g->v[root].label = xstrdup ("this machine");
        }
      e = add_edge (g, LABO_EDGE_ROOT, (size_t) root, seg0 + s);
      e->ifname = xstrdup (seg->root_ifname);
      e->address = prefix_str (&p);
      e->label = xasprintf ("%s\n%s", e->ifname, e->address);
    }
}

static void
add_nodes (struct labo_graph *g, const struct labo_lab *lab, json_t *status)
{
  long overlay = -1;
  char buf[16];

  if (lab->overlay.present)
    {
      overlay = (long) add_vertex (g, LABO_VERTEX_OVERLAY, xstrdup ("overlay"),
                                   lab->overlay.name ? lab->overlay.name : "overlay");
      g->v[overlay].subnet = prefix_str (&lab->overlay.subnet);
      g->v[overlay].label = xasprintf ("overlay %s %s", g->v[overlay].name, g->v[overlay].subnet);
    }
  for (size_t n = 0; n < lab->n_nodes; n++)
    {
      const struct labo_node *node = &lab->nodes[n];
      size_t i = add_vertex (g, LABO_VERTEX_NODE, xasprintf ("n%zu", n), node->name);
      struct labo_vertex *v = &g->v[i];
      char *line;

      v->parent = overlay;
      v->service = xstrdup (labo_kind_of (node)->name);
      v->address = xstrdup (labo_ipv4_format (node->address, buf));
      v->host = xstrdup (g->v[node->host].id);
      v->by_hand = labo_node_by_hand (lab, node);
      if (node->service == LABO_SERVICE_ZOOKEEPER)
        v->myid = node->myid;
      v->label = xstrdup (node->name);
      line = v->myid ? xasprintf ("%s, myid %d", v->service, v->myid) : xstrdup (v->service);
      label_add (&v->label, line);
      free (line);
      label_add (&v->label, v->address);
      if (status)
        {
          json_t *o = find_by (json_object_get (status, "nodes"), "name", node->name);
          const char *mode = str (o, "mode");
          const char *sv = str (json_object_get (o, "supervision"), "state");
          if (sv && strcmp (sv, "given up") == 0)
            mode = "given up";
          v->state = xstrdup (mode ? mode : "unknown");
          label_add (&v->label, v->state);
        }
      else if (v->by_hand)
        label_add (&v->label, "started by hand");
      add_edge (g, LABO_EDGE_RUNS_ON, i, node->host)->label = xstrdup ("");
    }
}

/* The partitions in force: one edge a pair of hosts, both ways when both
 * cuts are there. Cuts between hosts the lab does not have are left out. */
static void
add_cuts (struct labo_graph *g, const struct labo_lab *lab, json_t *status)
{
  json_t *parts = json_object_get (json_object_get (status, "faults"), "partitions");
  size_t i, j;
  json_t *p, *q;

  json_array_foreach (parts, i, p)
    {
      long a = labo_lab_find_host (lab, str (p, "from") ? str (p, "from") : "");
      long b = labo_lab_find_host (lab, str (p, "to") ? str (p, "to") : "");
      bool reverse = false, seen = false;
      struct labo_edge *e;
      if (a < 0 || b < 0)
        continue;
      json_array_foreach (parts, j, q)
        if (str (q, "from") && str (q, "to") && strcmp (str (q, "from"), str (p, "to")) == 0
            && strcmp (str (q, "to"), str (p, "from")) == 0)
          {
            reverse = true;
            seen = j < i; /* drawn with the first of the two */
          }
      if (seen)
        continue;
      e = add_edge (g, LABO_EDGE_CUT, (size_t) a, (size_t) b);
      e->both_ways = reverse;
      e->state = xstrdup ("cut");
      e->label = xstrdup (reverse ? "x cut" : "x cut (one way)");
    }
}

struct labo_graph *
labo_graph_build (const struct labo_lab *lab, json_t *status)
{
  struct labo_graph *g = xcalloc (1, sizeof (*g));
  size_t seg0;

  g->lab = xstrdup (lab->name);
  g->live = status != NULL;
  /* hosts first: a host's vertex index is its index in the lab */
  add_hosts (g, lab, status);
  seg0 = g->n_v;
  add_segments (g, lab);
  add_root (g, lab, seg0);
  add_links (g, lab, status, seg0);
  add_nodes (g, lab, status);
  if (status)
    add_cuts (g, lab, status);
  return g;
}

void
labo_graph_free (struct labo_graph *g)
{
  if (g == NULL)
    return;
  for (size_t i = 0; i < g->n_v; i++)
    {
      struct labo_vertex *v = &g->v[i];
      free (v->id);
      free (v->name);
      free (v->label);
      free (v->state);
      for (size_t k = 0; k < v->n_addresses; k++)
        free (v->addresses[k]);
      free (v->addresses);
      free (v->subnet);
      free (v->service);
      free (v->address);
      free (v->host);
    }
  for (size_t i = 0; i < g->n_e; i++)
    {
      struct labo_edge *e = &g->e[i];
      free (e->label);
      free (e->ifname);
      free (e->address);
      free (e->peer_ifname);
      free (e->peer_address);
      free (e->state);
      free (e->settings);
    }
  free (g->v);
  free (g->e);
  free (g->lab);
  free (g);
}

void
labo_graph_freep (struct labo_graph **g)
{
  labo_graph_free (*g);
}
