/* From a validated lab to the list of kernel objects to make: see
 * include/labo/model/plan.h. */
#include "labo/model/plan.h"

#include <stdio.h>
#include <string.h>

#include "labo/model/copy.h"
#include "labo/util/util.h"

char *
labo_host_netns_name (const char *lab, const char *host)
{
  return xasprintf (LABO_NETNS_PREFIX "%s.%s", lab, host);
}

char *
labo_switch_netns_name (const char *lab)
{
  return xasprintf (LABO_NETNS_PREFIX "%s", lab);
}

/* The overlay's name where it fits an interface name (15 bytes) and is
 * not taken: by a segment (for the bridge, h == -1) or by an interface of
 * host h; else "overlay", "overlay1"... */
void
labo_plan_overlay_ifname (const struct labo_lab *lab, size_t h, char out[IFNAMSIZ])
{
  for (int k = 0;; k++)
    {
      bool taken = false;
      if (k == 0 && strlen (lab->overlay.name) < IFNAMSIZ)
        snprintf (out, IFNAMSIZ, "%s", lab->overlay.name);
      else if (k == 0)
        continue;
      else
        snprintf (out, IFNAMSIZ, k == 1 ? "overlay" : "overlay%d", k - 1);
      if (h == (size_t) -1)
        taken = labo_lab_find_segment (lab, out) >= 0;
      else
        for (size_t l = 0; l < lab->n_links && !taken; l++)
          taken = (lab->links[l].a.host == h && strcmp (lab->links[l].a.ifname, out) == 0)
                  || (lab->links[l].kind == LABO_LINK_P2P && lab->links[l].b.host == h
                      && strcmp (lab->links[l].b.ifname, out) == 0);
      if (!taken)
        return;
    }
}

/* What the stages of labo_plan_build share: the plan so far, and the
 * interface indexes given out in turn, in each host and to the ports of
 * the switch namespace. */
struct builder
{
  const struct labo_lab *lab;
  struct labo_plan *p;
  int *next_ifindex; /* per host */
  int next_port;
};

/* The switch namespace's next bridge port: its name (p0, p1...) into
 * ifname, and its index. */
static int
take_port (struct builder *b, char ifname[IFNAMSIZ])
{
  snprintf (ifname, IFNAMSIZ, "p%d", b->next_port - LABO_PORT_IFINDEX0);
  return b->next_port++;
}

static struct labo_plan_veth *
add_veth (struct labo_plan *p, size_t link, int mtu)
{
  struct labo_plan_veth *v = labo_array_push (&p->veths, &p->n_veths, sizeof (*v));
  v->link = link;
  v->mtu = mtu;
  return v;
}

static void
add_addr (struct labo_plan *p, int ns, int ifindex, const char *ifname, struct labo_prefix addr)
{
  struct labo_plan_addr *a = labo_array_push (&p->addrs, &p->n_addrs, sizeof (*a));
  a->ns = ns;
  a->ifindex = ifindex;
  a->ifname = ifname;
  a->addr = addr;
}

static void
plan_namespaces (struct builder *b)
{
  const struct labo_lab *lab = b->lab;
  struct labo_plan *p = b->p;

  p->switch_ns = labo_switch_netns_name (lab->name);
  p->n_hosts = lab->n_hosts;
  p->host_ns = xcalloc (lab->n_hosts ? lab->n_hosts : 1, sizeof (char *));
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      p->host_ns[h] = labo_host_netns_name (lab->name, lab->hosts[h].name);
      b->next_ifindex[h] = LABO_HOST_IFINDEX0;
    }
}

static void
plan_bridges (struct builder *b)
{
  for (size_t s = 0; s < b->lab->n_segments; s++)
    {
      struct labo_plan_bridge *br
        = labo_array_push (&b->p->bridges, &b->p->n_bridges, sizeof (*br));
      br->ifname = b->lab->segments[s].name;
      br->ifindex = LABO_BRIDGE_IFINDEX0 + (int) s;
      br->mtu = b->lab->segments[s].mtu;
    }
}

/* Link l's veth, and the addresses of its ends. */
static void
plan_link (struct builder *b, size_t l)
{
  const struct labo_link *link = &b->lab->links[l];
  struct labo_plan_veth *v = add_veth (b->p, l, link->mtu);
  const struct labo_endpoint *ends[2] = { &link->a, &link->b };
  int ifindex[2] = { 0, 0 };

  if (link->kind == LABO_LINK_SEGMENT)
    {
      /* End a is the host's interface, created through the host's own
       * socket; b is the bridge port in the switch namespace. */
      v->ns_a = (int) link->a.host;
      snprintf (v->ifname_a, sizeof (v->ifname_a), "%s", link->a.ifname);
      v->ifindex_a = ifindex[0] = b->next_ifindex[link->a.host]++;
      v->ns_b = LABO_NS_SWITCH;
      v->ifindex_b = take_port (b, v->ifname_b);
      v->master_b = LABO_BRIDGE_IFINDEX0 + (int) link->segment;
    }
  else
    {
      v->ns_a = (int) link->a.host;
      v->ns_b = (int) link->b.host;
      snprintf (v->ifname_a, sizeof (v->ifname_a), "%s", link->a.ifname);
      snprintf (v->ifname_b, sizeof (v->ifname_b), "%s", link->b.ifname);
      v->ifindex_a = ifindex[0] = b->next_ifindex[link->a.host]++;
      v->ifindex_b = ifindex[1] = b->next_ifindex[link->b.host]++;
    }
  for (int e = 0; e < (link->kind == LABO_LINK_P2P ? 2 : 1); e++)
    if (ends[e]->has_addr)
      add_addr (b->p, (int) ends[e]->host, ifindex[e], ends[e]->ifname, ends[e]->addr);
}

/* The root namespace's way into each segment that asks for one. */
static void
plan_root_links (struct builder *b)
{
  for (size_t s = 0; s < b->lab->n_segments; s++)
    {
      const struct labo_segment *seg = &b->lab->segments[s];
      struct labo_plan_veth *v;
      if (!seg->has_root)
        continue;
      v = add_veth (b->p, (size_t) -1, seg->mtu);
      v->ns_a = LABO_NS_SWITCH;
      v->ifindex_a = take_port (b, v->ifname_a);
      v->master_a = LABO_BRIDGE_IFINDEX0 + (int) s;
      v->ns_b = LABO_NS_ROOT;
      snprintf (v->ifname_b, sizeof (v->ifname_b), "%s", seg->root_ifname);
      v->ifindex_b = 0;
      /* a copy's root link: the machine's side is on the copy's block */
      add_addr (b->p, LABO_NS_ROOT, 0, seg->root_ifname,
                (struct labo_prefix){ .addr = labo_segment_root_address (seg),
                                      .len = seg->subnet.len });
    }
}

/* The process runtime's overlay: no Docker to make one, so a bridge of
 * its own, as Weave's `weave` bridge is, and an interface on each host
 * that carries nodes, with their addresses. */
static void
plan_process_overlay (struct builder *b)
{
  const struct labo_lab *lab = b->lab;
  struct labo_plan *p = b->p;
  struct labo_plan_bridge *br = labo_array_push (&p->bridges, &p->n_bridges, sizeof (*br));
  int bridge = LABO_BRIDGE_IFINDEX0 + (int) lab->n_segments;

  labo_plan_overlay_ifname (lab, (size_t) -1, p->overlay_bridge);
  br->ifname = p->overlay_bridge;
  br->ifindex = bridge;
  br->mtu = LABO_DEFAULT_MTU;
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      struct labo_plan_veth *v = NULL;
      for (size_t i = 0; i < lab->n_nodes; i++)
        {
          if (lab->nodes[i].host != h)
            continue;
          if (v == NULL)
            {
              v = add_veth (p, (size_t) -1, LABO_DEFAULT_MTU);
              v->ns_a = (int) h;
              labo_plan_overlay_ifname (lab, h, v->ifname_a);
              v->ifindex_a = b->next_ifindex[h]++;
              v->ns_b = LABO_NS_SWITCH;
              v->ifindex_b = take_port (b, v->ifname_b);
              v->master_b = bridge;
            }
          /* the node's name, for messages: whose address it is */
          add_addr (p, (int) h, v->ifindex_a, lab->nodes[i].name,
                    (struct labo_prefix){ .addr = lab->nodes[i].address,
                                          .len = lab->overlay.subnet.len });
        }
    }
}

static void
plan_routes (struct builder *b)
{
  for (size_t h = 0; h < b->lab->n_hosts; h++)
    for (size_t r = 0; r < b->lab->hosts[h].n_routes; r++)
      {
        struct labo_plan_route *rt
          = labo_array_push (&b->p->routes, &b->p->n_routes, sizeof (*rt));
        rt->ns = (int) h;
        rt->dst = b->lab->hosts[h].routes[r].dst;
        rt->via = b->lab->hosts[h].routes[r].via;
      }
}

/* In stages, in this order: the order of the veths is the order of the
 * interface indexes they take. */
struct labo_plan *
labo_plan_build (const struct labo_lab *lab)
{
  cleanup_free int *next_ifindex = xcalloc (lab->n_hosts ? lab->n_hosts : 1, sizeof (int));
  struct builder b = { .lab = lab,
                       .p = xcalloc (1, sizeof (struct labo_plan)),
                       .next_ifindex = next_ifindex,
                       .next_port = LABO_PORT_IFINDEX0 };

  plan_namespaces (&b);
  plan_bridges (&b);
  for (size_t l = 0; l < lab->n_links; l++)
    plan_link (&b, l);
  plan_root_links (&b);
  if (lab->runtime == LABO_RUNTIME_PROCESS && lab->overlay.present)
    plan_process_overlay (&b);
  plan_routes (&b);
  return b.p;
}

void
labo_plan_free (struct labo_plan *p)
{
  if (p == NULL)
    return;
  for (size_t h = 0; h < p->n_hosts; h++)
    free (p->host_ns[h]);
  free (p->host_ns);
  free (p->switch_ns);
  free (p->bridges);
  free (p->veths);
  free (p->addrs);
  free (p->routes);
  free (p);
}

void
labo_plan_freep (struct labo_plan **p)
{
  labo_plan_free (*p);
  *p = NULL;
}

static const char *
ns_label (const struct labo_plan *p, int ns)
{
  if (ns == LABO_NS_ROOT)
    return "(root)";
  if (ns == LABO_NS_SWITCH)
    return p->switch_ns;
  return p->host_ns[ns];
}

void
labo_plan_print (const struct labo_lab *lab, const struct labo_plan *p, FILE *out)
{
  char b1[20], b2[20];

  fprintf (out, "netns %s\n", p->switch_ns);
  for (size_t h = 0; h < p->n_hosts; h++)
    fprintf (out, "netns %s hostname %s%s\n", p->host_ns[h], lab->hosts[h].name,
             lab->hosts[h].forward ? " forward" : "");
  for (size_t i = 0; i < p->n_bridges; i++)
    fprintf (out, "bridge %s index %d mtu %d in %s\n", p->bridges[i].ifname,
             p->bridges[i].ifindex, p->bridges[i].mtu, p->switch_ns);
  for (size_t i = 0; i < p->n_veths; i++)
    {
      const struct labo_plan_veth *v = &p->veths[i];
      fprintf (out, "veth %s index %d in %s <-> %s index %d in %s mtu %d", v->ifname_a,
               v->ifindex_a, ns_label (p, v->ns_a), v->ifname_b, v->ifindex_b,
               ns_label (p, v->ns_b), v->mtu);
      if (v->master_a)
        fprintf (out, " master %d", v->master_a);
      if (v->master_b)
        fprintf (out, " (b master %d)", v->master_b);
      fputc ('\n', out);
    }
  for (size_t i = 0; i < p->n_addrs; i++)
    fprintf (out, "addr %s on %s index %d in %s\n", labo_prefix_format (&p->addrs[i].addr, b1),
             p->addrs[i].ifname, p->addrs[i].ifindex, ns_label (p, p->addrs[i].ns));
  for (size_t i = 0; i < p->n_routes; i++)
    fprintf (out, "route %s via %s in %s\n", labo_prefix_format (&p->routes[i].dst, b1),
             labo_ipv4_format (p->routes[i].via, b2), ns_label (p, p->routes[i].ns));
}
