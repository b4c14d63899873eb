/* Lab file checks that compare objects with each other, once the whole file
 * is read: p2p addressing, overlapping subnets, duplicate addresses and
 * interface names, routes, the Swarm's manager and the nodes.  Objects the
 * reader already found faulty (see the LF_EP_* flags and the aux records)
 * are left out, so that one mistake is reported once. */
#include <stdlib.h>
#include <string.h>

#include "labfile-internal.h"
#include "labo/util.h"

static struct labo_endpoint *
end_of (struct labo_link *l, int e)
{
  return e ? &l->b : &l->a;
}

/* True if end e of link l exists and is in host h. */
static bool
is_iface_of (const struct labo_link *l, int e, size_t h)
{
  if (e == 0)
    return l->a.host == h;
  return l->kind == LABO_LINK_P2P && l->b.host == h;
}

static void
check_p2p (struct lf_ctx *c)
{
  struct labo_lab *lab = c->lab;
  char b1[20], b2[20];

  for (size_t i = 0; i < lab->n_links; i++)
    {
      struct labo_link *l = &lab->links[i];
      const struct lf_link_aux *aux = &c->link_aux[i];
      bool a_bad = aux->flags[0] & LF_EP_ADDR_BAD, b_bad = aux->flags[1] & LF_EP_ADDR_BAD;

      if (l->kind != LABO_LINK_P2P || !aux->endpoints_ok)
        continue;
      if (l->a.host != LF_NONE && l->a.host == l->b.host)
        lf_error (c, aux->host_pos[1], "p2p link joins host '%s' to itself",
                  lab->hosts[l->a.host].name);
      if (a_bad || b_bad)
        continue;
      if (l->a.has_addr != l->b.has_addr)
        {
          const struct labo_endpoint *with = l->a.has_addr ? &l->a : &l->b;
          const struct labo_endpoint *without = l->a.has_addr ? &l->b : &l->a;
          lf_error (c, without->pos,
                    "this endpoint has no address but the other one has %s: give both "
                    "endpoints an address or neither",
                    labo_prefix_format (&with->addr, b1));
        }
      else if (l->a.has_addr
               && (l->a.addr.len != l->b.addr.len
                   || labo_prefix_network (&l->a.addr) != labo_prefix_network (&l->b.addr)))
        lf_error (c, l->b.addr_pos, "endpoint addresses %s and %s are not in the same subnet",
                  labo_prefix_format (&l->a.addr, b1), labo_prefix_format (&l->b.addr, b2));
    }
}

/* A subnet of the lab, for the overlap check. */
enum net_kind
{
  NET_LAB,     /* a segment or p2p link */
  NET_POOL,    /* the Swarm address pool */
  NET_OVERLAY, /* the overlay */
  NET_DOCKER,  /* a bridge every Docker daemon makes */
};

struct net
{
  struct labo_prefix p;
  struct labo_pos pos; /* line 0: not in the file (defaults, Docker's own) */
  char *who;
  enum net_kind kind;
  const char *why; /* for those not in the file: what they are */
};

static struct net *
add_net (struct net **nets, size_t *n, enum net_kind kind, struct labo_prefix p,
         struct labo_pos pos, char *who, const char *why)
{
  struct net *x = labo_array_push (nets, n, sizeof *x);
  x->kind = kind;
  x->p = p;
  x->pos = pos;
  x->who = who;
  x->why = why;
  return x;
}

/* Subnets must not overlap: the segments' and p2p links' with each other;
 * with Docker, the overlay's and the Swarm address pool's with each other,
 * with those, and with the bridges every Docker daemon makes. */
static void
check_overlaps (struct lf_ctx *c)
{
  static const struct labo_pos nowhere = { NULL, 0, 0 };
  struct labo_lab *lab = c->lab;
  cleanup_free struct net *nets = NULL;
  cleanup_free bool *said = NULL;
  size_t n = 0;

  for (size_t i = 0; i < lab->n_segments; i++)
    if (c->seg_aux[i].subnet_ok)
      add_net (&nets, &n, NET_LAB, lab->segments[i].subnet, lab->segments[i].subnet_pos,
               xasprintf ("segment '%s'", lab->segments[i].name), NULL);
  for (size_t i = 0; i < lab->n_links; i++)
    {
      const struct labo_link *l = &lab->links[i];
      /* only consistent p2p addressing has a subnet (see check_p2p) */
      if (l->kind != LABO_LINK_P2P || !l->a.has_addr || !l->b.has_addr
          || l->a.addr.len != l->b.addr.len
          || labo_prefix_network (&l->a.addr) != labo_prefix_network (&l->b.addr))
        continue;
      add_net (&nets, &n, NET_LAB,
               (struct labo_prefix){ labo_prefix_network (&l->a.addr), l->a.addr.len },
               l->a.addr_pos, xstrdup ("a p2p link"), NULL);
    }
  if (c->overlay_ok)
    add_net (&nets, &n, NET_OVERLAY, lab->overlay.subnet, c->overlay_subnet_pos,
             lab->overlay.name ? xasprintf ("overlay '%s'", lab->overlay.name)
                               : xstrdup ("the overlay"),
             NULL);
  if (labo_lab_docker_hosts (lab) > 0)
    {
      if (!c->pool_bad)
        add_net (&nets, &n, NET_POOL, lab->swarm.address_pool,
                 c->pool_pos.line ? c->pool_pos : nowhere,
                 xstrdup ("the Swarm address pool"),
                 "(the default: set swarm.address_pool elsewhere)");
      add_net (&nets, &n, NET_DOCKER, (struct labo_prefix){ 0xac110000, 16 }, nowhere,
               xstrdup ("docker0"), "(Docker's default bridge, on every host running Docker)");
      add_net (&nets, &n, NET_DOCKER, (struct labo_prefix){ 0xac120000, 16 }, nowhere,
               xstrdup ("docker_gwbridge"),
               "(the bridge Docker gives overlay containers, on every host running Docker)");
    }
  said = xcalloc (n + 1, sizeof *said);
  for (size_t j = 0; j < n; j++)
    for (size_t i = 0; i < j; i++)
      {
        /* reported at the one further down the file */
        const struct net *later = &nets[j], *first = &nets[i];
        size_t li = j;
        char b1[20], b2[20];
        cleanup_free char *at = NULL;

        if (nets[i].kind == NET_DOCKER && nets[j].kind == NET_DOCKER)
          continue;
        if ((nets[i].kind == NET_DOCKER && nets[j].kind == NET_LAB)
            || (nets[i].kind == NET_LAB && nets[j].kind == NET_DOCKER))
          continue; /* Docker moves its bridges off addresses the host uses */
        if (!labo_prefix_overlap (&nets[i].p, &nets[j].p))
          continue;
        if (lf_pos_cmp (first->pos, later->pos) > 0)
          {
            later = &nets[i];
            first = &nets[j];
            li = i;
          }
        if (first->pos.line == 0)
          {
            /* once per subnet: a pool over both Docker bridges is one mistake */
            if (said[li])
              continue;
            said[li] = true;
            at = xstrdup (first->why);
          }
        else
          at = xasprintf ("(defined at %d:%d)", first->pos.line, first->pos.col);
        lf_error (c, later->pos, "subnet %s of %s overlaps %s of %s %s",
                  labo_prefix_format (&later->p, b1), later->who,
                  labo_prefix_format (&first->p, b2), first->who, at);
      }
  for (size_t i = 0; i < n; i++)
    free (nets[i].who);
}

/* An address of the lab, for the duplicate check. */
struct used
{
  uint32_t addr;
  struct labo_pos pos;
  size_t order;
  char *who;
};

static int
used_cmp (const void *pa, const void *pb)
{
  const struct used *a = pa, *b = pb;
  int r = lf_pos_cmp (a->pos, b->pos);
  if (r)
    return r;
  return a->order < b->order ? -1 : a->order > b->order;
}

static void
check_addresses (struct lf_ctx *c)
{
  struct labo_lab *lab = c->lab;
  cleanup_free struct used *v = NULL;
  size_t n = 0;

  for (size_t i = 0; i < lab->n_segments; i++)
    if (lab->segments[i].has_root)
      {
        struct used *u = labo_array_push (&v, &n, sizeof *u);
        u->addr = lab->segments[i].root_addr;
        u->pos = c->seg_aux[i].root_addr_pos;
        u->who = xasprintf ("the root namespace on segment '%s'", lab->segments[i].name);
      }
  for (size_t i = 0; i < lab->n_links; i++)
    for (int e = 0; e < 2; e++)
      {
        const struct labo_endpoint *ep = end_of (&lab->links[i], e);
        struct used *u;
        if (!ep->has_addr)
          continue;
        u = labo_array_push (&v, &n, sizeof *u);
        u->addr = ep->addr.addr;
        u->pos = ep->addr_pos;
        u->who = ep->host == LF_NONE ? xstrdup ("another endpoint")
                                     : xasprintf ("host '%s'", lab->hosts[ep->host].name);
      }
  for (size_t i = 0; i < n; i++)
    v[i].order = i;
  if (n > 1)
    qsort (v, n, sizeof *v, used_cmp);
  for (size_t j = 0; j < n; j++)
    for (size_t i = 0; i < j; i++)
      if (v[i].addr == v[j].addr)
        {
          char b[16];
          lf_error (c, v[j].pos, "address %s is already used by %s (at %d:%d)",
                    labo_ipv4_format (v[j].addr, b), v[i].who, v[i].pos.line, v[i].pos.col);
          break;
        }
  for (size_t i = 0; i < n; i++)
    free (v[i].who);
}

/* Names the unnamed interfaces of every host eth<k>, k counting the host's
 * interfaces (host links, then p2p ends in the order of the links list),
 * then checks that no host has two interfaces of one name. */
static void
check_ifnames (struct lf_ctx *c)
{
  struct labo_lab *lab = c->lab;
  struct iface
  {
    struct labo_endpoint *ep;
    struct labo_pos pos; /* of the ifname if given, else of the endpoint */
    unsigned flags;
  };

  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      cleanup_free struct iface *v = NULL;
      size_t n = 0;

      for (size_t i = 0; i < lab->n_links; i++)
        for (int e = 0; e < 2; e++)
          {
            struct labo_endpoint *ep = end_of (&lab->links[i], e);
            const struct lf_link_aux *aux = &c->link_aux[i];
            struct iface *x;
            if (!is_iface_of (&lab->links[i], e, h))
              continue;
            x = labo_array_push (&v, &n, sizeof *x);
            x->ep = ep;
            x->flags = aux->flags[e];
            x->pos = (x->flags & LF_EP_IFNAME_GIVEN) ? aux->ifname_pos[e] : ep->pos;
            if (!(x->flags & LF_EP_IFNAME_GIVEN))
              snprintf (ep->ifname, sizeof ep->ifname, "eth%zu", n - 1);
          }
      for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < j; i++)
          {
            const struct iface *x = &v[j], *y = &v[i];
            if ((x->flags | y->flags) & LF_EP_IFNAME_BAD
                || strcmp (x->ep->ifname, y->ep->ifname) != 0)
              continue;
            if (!(x->flags & LF_EP_IFNAME_GIVEN))
              lf_error (c, x->pos,
                        "this interface's default name '%s' is already used in host '%s' "
                        "(at %d:%d): give it an ifname",
                        x->ep->ifname, lab->hosts[h].name, y->pos.line, y->pos.col);
            else if (!(y->flags & LF_EP_IFNAME_GIVEN))
              lf_error (c, x->pos,
                        "duplicate interface name '%s' in host '%s': the interface at %d:%d "
                        "has it by default",
                        x->ep->ifname, lab->hosts[h].name, y->pos.line, y->pos.col);
            else
              lf_error (c, x->pos,
                        "duplicate interface name '%s' in host '%s' (first used at %d:%d)",
                        x->ep->ifname, lab->hosts[h].name, y->pos.line, y->pos.col);
            break;
          }
    }
}

/* Root interfaces all live in the root namespace. */
static void
check_root_ifnames (struct lf_ctx *c)
{
  struct labo_lab *lab = c->lab;
  for (size_t j = 0; j < lab->n_segments; j++)
    for (size_t i = 0; i < j; i++)
      {
        const struct labo_segment *x = &lab->segments[j], *y = &lab->segments[i];
        if (c->seg_aux[i].root_ifname_ok && c->seg_aux[j].root_ifname_ok
            && strcmp (x->root_ifname, y->root_ifname) == 0)
          {
            lf_error (c, x->root_pos,
                      "duplicate root interface name '%s' (also used by segment '%s' at %d:%d)",
                      x->root_ifname, y->name, y->root_pos.line, y->root_pos.col);
            break;
          }
      }
}

/* One route: not twice, not the connected route of an interface, and
 * through a gateway on one of the host's subnets. */
static void
check_route (struct lf_ctx *c, size_t ri)
{
  struct labo_lab *lab = c->lab;
  const struct lf_route_aux *ra = &c->route_aux[ri];
  const struct labo_host *host = &lab->hosts[ra->host];
  const struct labo_route *rt = &host->routes[ra->route];
  const struct labo_endpoint *on = NULL;
  cleanup_free char *nets = NULL;
  bool unsure = false;
  char b1[20], b2[20];

  for (size_t i = 0; i < ri; i++)
    {
      const struct lf_route_aux *rb = &c->route_aux[i];
      const struct labo_route *other = &host->routes[rb->route];
      if (rb->host == ra->host && other->dst.addr == rt->dst.addr
          && other->dst.len == rt->dst.len)
        {
          lf_error (c, ra->to_pos,
                    "duplicate route to %s in host '%s' (first defined at %d:%d)",
                    labo_prefix_format (&rt->dst, b1), host->name, rb->to_pos.line,
                    rb->to_pos.col);
          return;
        }
    }
  for (size_t i = 0; i < lab->n_links; i++)
    for (int e = 0; e < 2; e++)
      {
        const struct labo_endpoint *ep = end_of (&lab->links[i], e);
        struct labo_prefix net;
        if (!is_iface_of (&lab->links[i], e, ra->host))
          continue;
        if (c->link_aux[i].flags[e] & LF_EP_ADDR_BAD)
          unsure = true; /* its subnet might have held the gateway */
        if (!ep->has_addr)
          continue;
        net = (struct labo_prefix){ labo_prefix_network (&ep->addr), ep->addr.len };
        if (net.addr == rt->dst.addr && net.len == rt->dst.len)
          {
            lf_error (c, ra->to_pos,
                      "route to %s in host '%s' duplicates the connected route of its "
                      "interface %s",
                      labo_prefix_format (&net, b1), host->name, ep->ifname);
            return;
          }
        if (ep->addr.addr == rt->via)
          {
            lf_error (c, ra->via_pos, "gateway %s is an address of host '%s' itself",
                      labo_ipv4_format (rt->via, b1), host->name);
            return;
          }
        if (on == NULL && labo_prefix_contains (&net, rt->via))
          on = ep;
        if (nets == NULL)
          nets = xstrdup (labo_prefix_format (&net, b2));
        else
          {
            char *l = xasprintf ("%s, %s", nets, labo_prefix_format (&net, b2));
            free (nets);
            nets = l;
          }
      }
  if (on == NULL && !unsure)
    {
      if (nets == NULL)
        lf_error (c, ra->via_pos,
                  "gateway %s is not directly reachable from host '%s', which has no address",
                  labo_ipv4_format (rt->via, b1), host->name);
      else
        lf_error (c, ra->via_pos,
                  "gateway %s is not directly reachable from host '%s': it is on none of "
                  "its subnets (%s)",
                  labo_ipv4_format (rt->via, b1), host->name, nets);
    }
  else if (on && on->addr.len <= 30)
    {
      uint32_t mask = labo_prefix_mask (on->addr.len);
      struct labo_prefix net = { on->addr.addr & mask, on->addr.len };
      if (rt->via == net.addr || rt->via == (net.addr | ~mask))
        lf_error (c, ra->via_pos, "gateway %s is the %s address of %s",
                  labo_ipv4_format (rt->via, b1), rt->via == net.addr ? "network" : "broadcast",
                  labo_prefix_format (&net, b2));
    }
}

/* The hosts running Docker: exactly one Swarm manager, and an address to
 * advertise; 'swarm' and 'overlay' need them. */
static void
check_docker (struct lf_ctx *c)
{
  struct labo_lab *lab = c->lab;
  size_t n_docker = labo_lab_docker_hosts (lab), manager = LF_NONE, first = LF_NONE;
  bool any_bad = false;

  for (size_t h = 0; h < lab->n_hosts; h++)
    any_bad |= c->host_aux[h].docker_bad;
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      struct labo_host *host = &lab->hosts[h];
      bool unsure = false, found = false;

      if (host->docker == LABO_DOCKER_NONE)
        continue;
      if (first == LF_NONE)
        first = h;
      if (host->docker == LABO_DOCKER_MANAGER)
        {
          if (manager == LF_NONE)
            manager = h;
          else
            lf_error (c, host->docker_pos,
                      "host '%s' cannot be a second Swarm manager: host '%s' is the manager "
                      "(at %d:%d), and a lab has exactly one",
                      host->name, lab->hosts[manager].name, lab->hosts[manager].docker_pos.line,
                      lab->hosts[manager].docker_pos.col);
        }
      /* its first addressed interface, in the order of lab->links */
      for (size_t i = 0; i < lab->n_links && !found; i++)
        for (int e = 0; e < 2 && !found; e++)
          {
            const struct labo_endpoint *ep = end_of (&lab->links[i], e);
            if (!is_iface_of (&lab->links[i], e, h))
              continue;
            if (c->link_aux[i].flags[e] & LF_EP_ADDR_BAD)
              unsure = true;
            if (ep->has_addr && !unsure)
              {
                host->lab_address = ep->addr.addr;
                found = true;
              }
          }
      if (!found && !unsure)
        lf_error (c, host->docker_pos,
                  "docker host '%s' needs an address on a segment or link: Swarm advertises it",
                  host->name);
    }
  if (any_bad)
    return; /* the host whose role is invalid may be the manager, or the Docker host */
  if (n_docker > 0 && manager == LF_NONE)
    lf_error (c, lab->hosts[first].docker_pos,
              "no Swarm manager: of the hosts running Docker, exactly one must be "
              "'docker: manager'");
  if (n_docker == 0 && c->swarm_given)
    lf_error (c, lab->swarm.pos,
              "'swarm' is set but no host runs Docker: give hosts 'docker: manager' or "
              "'docker: worker', or remove 'swarm'");
  if (n_docker == 0 && lab->overlay.present)
    lf_error (c, lab->overlay.pos,
              "'overlay' needs a Swarm manager, and no host runs Docker: give one host "
              "'docker: manager'");
}

/* Ports a host running Docker has in use already, on its lab address. */
static const char *
port_taken (const struct labo_host *host, unsigned port)
{
  if (host->docker_tcp != LABO_API_OFF && (int) port == labo_host_api_port (host))
    return "the Docker API (api_tcp)";
  if (host->docker == LABO_DOCKER_MANAGER && port == 2377)
    return "the Swarm manager (cluster management)";
  if (host->docker != LABO_DOCKER_NONE && port == 7946)
    return "Swarm (communication between nodes)";
  return NULL;
}

/* Nodes: distinct addresses, distinct published ports on each host, and
 * distinct myids (given or default). */
static void
check_nodes (struct lf_ctx *c)
{
  struct labo_lab *lab = c->lab;
  int k = 0;
  char b[16];

  for (size_t j = 0; j < lab->n_nodes; j++)
    {
      struct labo_node *x = &lab->nodes[j];

      /* addresses */
      for (size_t i = 0; i < j && c->node_aux[j].addr_ok; i++)
        if (c->node_aux[i].addr_ok && lab->nodes[i].address == x->address)
          {
            lf_error (c, x->address_pos, "address %s is already used by node '%s' (at %d:%d)",
                      labo_ipv4_format (x->address, b), lab->nodes[i].name,
                      lab->nodes[i].address_pos.line, lab->nodes[i].address_pos.col);
            break;
          }

      /* published ports: against the host's own, then earlier ones */
      for (size_t q = 0; q < x->n_ports && x->host != LF_NONE; q++)
        {
          const struct labo_port *pq = &x->ports[q];
          const struct labo_host *host = &lab->hosts[x->host];
          const char *taken = port_taken (host, pq->host_port);
          bool done = false;

          if (taken)
            {
              lf_error (c, pq->pos, "host port %u is taken on host '%s' by %s",
                        (unsigned) pq->host_port, host->name, taken);
              continue;
            }
          for (size_t i = 0; i <= j && !done; i++)
            {
              const struct labo_node *y = &lab->nodes[i];
              if (y->host != x->host)
                continue;
              for (size_t p = 0; p < (i == j ? q : y->n_ports) && !done; p++)
                if (y->ports[p].host_port == pq->host_port)
                  {
                    lf_error (c, pq->pos,
                              "host port %u is already published on host '%s' by node '%s' "
                              "(at %d:%d)",
                              (unsigned) pq->host_port, host->name, y->name,
                              y->ports[p].pos.line, y->ports[p].pos.col);
                    done = true;
                  }
            }
        }

      /* myid: by default 1 + the node's position among zookeeper nodes */
      if (x->service != LABO_SERVICE_ZOOKEEPER)
        continue;
      k++;
      if (!c->node_aux[j].myid_given)
        {
          if (k > 255)
            {
              lf_error (c, x->pos,
                        "node '%s' has no myid, and its default, %d (1 + its position among "
                        "zookeeper nodes), is over 255: give it a myid",
                        x->name, k);
              continue;
            }
          x->myid = k;
        }
      for (size_t i = 0; i < j; i++)
        {
          const struct labo_node *y = &lab->nodes[i];
          const struct lf_node_aux *ya = &c->node_aux[i];
          struct labo_pos ypos = ya->myid_given ? ya->myid_pos : y->pos;
          cleanup_free char *theirs = NULL;

          if (y->service != LABO_SERVICE_ZOOKEEPER || y->myid != x->myid)
            continue;
          theirs = xasprintf ("node '%s' has it%s (at %d:%d)", y->name,
                              ya->myid_given ? "" : " by default", ypos.line, ypos.col);
          if (c->node_aux[j].myid_given)
            lf_error (c, c->node_aux[j].myid_pos, "duplicate myid %d: %s", x->myid, theirs);
          else
            lf_error (c, x->pos,
                      "node '%s' has myid %d by default (1 + its position among zookeeper "
                      "nodes), but %s: give it a myid",
                      x->name, x->myid, theirs);
          break;
        }
    }
}

void
lf_validate (struct lf_ctx *c)
{
  check_p2p (c);
  check_docker (c);
  check_overlaps (c);
  check_addresses (c);
  check_ifnames (c); /* before the routes, whose messages name interfaces */
  check_root_ifnames (c);
  for (size_t i = 0; i < c->n_route_aux; i++)
    check_route (c, i);
  check_nodes (c);
}
