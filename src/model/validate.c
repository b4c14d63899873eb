/* Lab file checks that compare objects with each other, once the whole file
 * is read: p2p addressing, overlapping subnets, duplicate addresses and
 * interface names, routes, the Swarm's manager and the nodes.  Objects the
 * reader already found faulty (see the LF_EP_* flags and the aux records)
 * are left out, so that one mistake is reported once.
 *
 * Every check runs in O(n log n) of the lab's size: comparing each object
 * with every other, as these checks once did, took 32 s for 80,000 hosts.
 * Duplicates are found by sorting (the first of a run of equals is the one
 * a later duplicate names), each host's interfaces are listed once, and
 * overlapping subnets are found in one sweep of the sorted subnets. */
#include <stdlib.h>
#include <string.h>

#include "reader.h"
#include "labo/util/util.h"

/* The interfaces of every host, in the order that names them eth0, eth1...
 * (the order of lab->links, end a before end b): those of host h are
 * v[start[h] .. start[h + 1]). */
struct iface_ref
{
  size_t link;
  int end;
};

struct ifaces
{
  size_t *start;
  struct iface_ref *v;
};

/* The host end e of link l is in, or LF_NONE (no such end, or unresolved). */
static size_t
host_of_end (const struct labo_lab *lab, const struct labo_link *l, int e)
{
  size_t h = e == 0 ? l->a.host : l->kind == LABO_LINK_P2P ? l->b.host : LF_NONE;
  return h < lab->n_hosts ? h : LF_NONE;
}

static void
ifaces_build (const struct labo_lab *lab, struct ifaces *x)
{
  cleanup_free size_t *fill = NULL;

  x->start = xcalloc (lab->n_hosts + 2, sizeof *x->start);
  for (size_t i = 0; i < lab->n_links; i++)
    for (int e = 0; e < 2; e++)
      {
        size_t h = host_of_end (lab, &lab->links[i], e);
        if (h != LF_NONE)
          x->start[h + 1]++;
      }
  for (size_t h = 0; h < lab->n_hosts; h++)
    x->start[h + 1] += x->start[h];
  x->v = xcalloc (x->start[lab->n_hosts] + 1, sizeof *x->v);
  fill = xmalloc ((lab->n_hosts + 1) * sizeof *fill);
  memcpy (fill, x->start, (lab->n_hosts + 1) * sizeof *fill);
  for (size_t i = 0; i < lab->n_links; i++)
    for (int e = 0; e < 2; e++)
      {
        size_t h = host_of_end (lab, &lab->links[i], e);
        if (h != LF_NONE)
          x->v[fill[h]++] = (struct iface_ref){ i, e };
      }
}

static void
ifaces_free (struct ifaces *x)
{
  free (x->start);
  free (x->v);
}

static struct labo_endpoint *
end_of (struct labo_link *l, int e)
{
  return e ? &l->b : &l->a;
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

/* True if net i comes before net j: earlier in the file (those not in the
 * file, at line 0, first), then earlier in the list. */
static bool
net_before (const struct net *nets, size_t i, size_t j)
{
  int r = lf_pos_cmp (nets[i].pos, nets[j].pos);
  return r < 0 || (r == 0 && i < j);
}

/* The one of a and b (indexes, or LF_NONE) that comes first. */
static size_t
net_first (const struct net *nets, size_t a, size_t b)
{
  if (a == LF_NONE)
    return b;
  if (b == LF_NONE)
    return a;
  return net_before (nets, a, b) ? a : b;
}

/* Whether two subnets of these kinds may not overlap. */
static bool
kinds_clash (enum net_kind a, enum net_kind b)
{
  if (a == NET_DOCKER && b == NET_DOCKER)
    return false;
  /* Docker moves its bridges off addresses the host uses */
  return !((a == NET_DOCKER && b == NET_LAB) || (a == NET_LAB && b == NET_DOCKER));
}

static int
lab_net_cmp (const void *pa, const void *pb, void *arg)
{
  const struct net *nets = arg;
  size_t a = *(const size_t *) pa, b = *(const size_t *) pb;
  if (nets[a].p.addr != nets[b].p.addr)
    return nets[a].p.addr < nets[b].p.addr ? -1 : 1;
  if (nets[a].p.len != nets[b].p.len)
    return nets[a].p.len < nets[b].p.len ? -1 : 1;
  return a < b ? -1 : a > b;
}

/* For every subnet of the lab's own (segments, p2p links), the first
 * (net_before) other one of them it overlaps, into first[]. Prefixes
 * either nest or are disjoint, so sorted by address, then length, they
 * form a forest walked with a stack: the subnets that contain one are the
 * stack when it is reached, and those it contains come right after it. */
static void
first_lab_overlaps (const struct net *nets, size_t n, size_t *first)
{
  struct open
  {
    size_t i;
    uint32_t last;   /* its last address */
    size_t up_first; /* the first of it and the subnets containing it */
    size_t in_first; /* the first of the subnets it contains */
  };
  cleanup_free size_t *order = xmalloc ((n + 1) * sizeof *order);
  cleanup_free struct open *stack = xmalloc ((n + 1) * sizeof *stack);
  size_t m = 0, depth = 0, up;

  for (size_t i = 0; i < n; i++)
    if (nets[i].kind == NET_LAB)
      order[m++] = i;
  qsort_r (order, m, sizeof *order, lab_net_cmp, (void *) nets);
  for (size_t k = 0; k <= m; k++)
    {
      const struct net *x = k < m ? &nets[order[k]] : NULL;
      /* close the subnets that end before x (all of them, at the end) */
      while (depth > 0 && (x == NULL || x->p.addr > stack[depth - 1].last))
        {
          struct open done = stack[--depth];
          first[done.i] = net_first (nets, first[done.i], done.in_first);
          if (depth > 0)
            stack[depth - 1].in_first
                = net_first (nets, stack[depth - 1].in_first, net_first (nets, done.i, done.in_first));
        }
      if (x == NULL)
        break;
      up = depth > 0 ? stack[depth - 1].up_first : LF_NONE;
      first[order[k]] = up;
      stack[depth] = (struct open){ order[k], x->p.addr | ~labo_prefix_mask (x->p.len),
                                    net_first (nets, order[k], up), LF_NONE };
      depth++;
    }
}

/* Subnets must not overlap: the segments' and p2p links' with each other;
 * with Docker, the overlay's and the Swarm address pool's with each other,
 * with those, and with the bridges every Docker daemon makes. Each subnet
 * that overlaps one before it is reported once, naming the first. */
static void
check_overlaps (struct lf_ctx *c)
{
  static const struct labo_pos nowhere = { NULL, 0, 0 };
  struct labo_lab *lab = c->lab;
  cleanup_free struct net *nets = NULL;
  cleanup_free size_t *first = NULL;
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
  if (lf_docker_checked (c) && labo_lab_docker_hosts (lab) > 0)
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
  first = xmalloc ((n + 1) * sizeof *first);
  for (size_t i = 0; i < n; i++)
    first[i] = LF_NONE;
  first_lab_overlaps (nets, n, first);
  /* the few others (overlay, pool, Docker's bridges) against every subnet */
  for (size_t s = 0; s < n; s++)
    for (size_t i = 0; i < n && nets[s].kind != NET_LAB; i++)
      if (i != s && kinds_clash (nets[s].kind, nets[i].kind)
          && labo_prefix_overlap (&nets[s].p, &nets[i].p))
        {
          first[i] = net_first (nets, first[i], s);
          first[s] = net_first (nets, first[s], i);
        }
  for (size_t j = 0; j < n; j++)
    {
      const struct net *later = &nets[j], *f;
      char b1[20], b2[20];
      cleanup_free char *at = NULL;

      /* reported at the one further down the file */
      if (first[j] == LF_NONE || !net_before (nets, first[j], j))
        continue;
      f = &nets[first[j]];
      if (f->pos.line == 0)
        at = xstrdup (f->why);
      else
        at = xasprintf ("(defined at %d:%d)", f->pos.line, f->pos.col);
      lf_error (c, later->pos, "subnet %s of %s overlaps %s of %s %s",
                labo_prefix_format (&later->p, b1), later->who, labo_prefix_format (&f->p, b2),
                f->who, at);
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

/* By address, then as check_addresses reports: the first in the file
 * is the one the others name. */
static int
used_cmp (const void *pa, const void *pb)
{
  const struct used *a = pa, *b = pb;
  int r;
  if (a->addr != b->addr)
    return a->addr < b->addr ? -1 : 1;
  r = lf_pos_cmp (a->pos, b->pos);
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
  for (size_t j = 1, i = 0; j < n; j++)
    {
      char b[16];
      if (v[j].addr != v[i].addr)
        {
          i = j; /* the first of a new address */
          continue;
        }
      lf_error (c, v[j].pos, "address %s is already used by %s (at %d:%d)",
                labo_ipv4_format (v[j].addr, b), v[i].who, v[i].pos.line, v[i].pos.col);
    }
  for (size_t i = 0; i < n; i++)
    free (v[i].who);
}

/* An interface name and where it is, for the duplicate checks. */
struct named
{
  const char *name;
  size_t k; /* the interface's (or segment's) position */
};

static int
named_cmp (const void *pa, const void *pb)
{
  const struct named *a = pa, *b = pb;
  int r = strcmp (a->name, b->name);
  if (r)
    return r;
  return a->k < b->k ? -1 : a->k > b->k;
}

/* Names the unnamed interfaces of every host eth<k>, k counting the host's
 * interfaces (host links, then p2p ends in the order of the links list),
 * then checks that no host has two interfaces of one name: a later one
 * names the first. */
static void
check_ifnames (struct lf_ctx *c, const struct ifaces *ifs)
{
  struct labo_lab *lab = c->lab;
  cleanup_free struct named *v = xmalloc ((ifs->start[lab->n_hosts] + 1) * sizeof *v);

  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      const struct iface_ref *hv = &ifs->v[ifs->start[h]];
      size_t n_if = ifs->start[h + 1] - ifs->start[h], n = 0;

      for (size_t k = 0; k < n_if; k++)
        {
          struct labo_endpoint *ep = end_of (&lab->links[hv[k].link], hv[k].end);
          unsigned flags = c->link_aux[hv[k].link].flags[hv[k].end];
          /* k < 2^32: a host has fewer interfaces than the links limit */
          if (!(flags & LF_EP_IFNAME_GIVEN))
            snprintf (ep->ifname, sizeof ep->ifname, "eth%u", (unsigned) k);
          if (!(flags & LF_EP_IFNAME_BAD))
            v[n++] = (struct named){ ep->ifname, k };
        }
      if (n > 1)
        qsort (v, n, sizeof *v, named_cmp);
      for (size_t j = 1, i = 0; j < n; j++)
        {
          const struct lf_link_aux *xa = &c->link_aux[hv[v[j].k].link];
          const struct lf_link_aux *ya = &c->link_aux[hv[v[i].k].link];
          unsigned xf = xa->flags[hv[v[j].k].end], yf = ya->flags[hv[v[i].k].end];
          struct labo_pos xpos, ypos;

          if (strcmp (v[j].name, v[i].name) != 0)
            {
              i = j;
              continue;
            }
          /* at the ifname when given, else at the endpoint */
          xpos = (xf & LF_EP_IFNAME_GIVEN) ? xa->ifname_pos[hv[v[j].k].end]
                                           : end_of (&lab->links[hv[v[j].k].link], hv[v[j].k].end)->pos;
          ypos = (yf & LF_EP_IFNAME_GIVEN) ? ya->ifname_pos[hv[v[i].k].end]
                                           : end_of (&lab->links[hv[v[i].k].link], hv[v[i].k].end)->pos;
          if (!(xf & LF_EP_IFNAME_GIVEN))
            lf_error (c, xpos,
                      "this interface's default name '%s' is already used in host '%s' "
                      "(at %d:%d): give it an ifname",
                      v[j].name, lab->hosts[h].name, ypos.line, ypos.col);
          else if (!(yf & LF_EP_IFNAME_GIVEN))
            lf_error (c, xpos,
                      "duplicate interface name '%s' in host '%s': the interface at %d:%d "
                      "has it by default",
                      v[j].name, lab->hosts[h].name, ypos.line, ypos.col);
          else
            lf_error (c, xpos, "duplicate interface name '%s' in host '%s' (first used at %d:%d)",
                      v[j].name, lab->hosts[h].name, ypos.line, ypos.col);
        }
    }
}

/* Root interfaces all live in the root namespace. */
static void
check_root_ifnames (struct lf_ctx *c)
{
  struct labo_lab *lab = c->lab;
  cleanup_free struct named *v = xmalloc ((lab->n_segments + 1) * sizeof *v);
  size_t n = 0;

  for (size_t s = 0; s < lab->n_segments; s++)
    if (c->seg_aux[s].root_ifname_ok)
      v[n++] = (struct named){ lab->segments[s].root_ifname, s };
  if (n > 1)
    qsort (v, n, sizeof *v, named_cmp);
  for (size_t j = 1, i = 0; j < n; j++)
    {
      const struct labo_segment *x = &lab->segments[v[j].k], *y = &lab->segments[v[i].k];
      if (strcmp (v[j].name, v[i].name) != 0)
        {
          i = j;
          continue;
        }
      lf_error (c, x->root_pos,
                "duplicate root interface name '%s' (also used by segment '%s' at %d:%d)",
                x->root_ifname, y->name, y->root_pos.line, y->root_pos.col);
    }
}

/* The addressed interfaces of every host, by subnet (key: the network,
 * len: the prefix length) and by address (len 32), each sorted so that a
 * binary search finds the first interface, in the host's order, that has
 * a given subnet or address. */
struct addr_ref
{
  size_t host;
  uint32_t key;
  uint8_t len;
  size_t k; /* the interface's position in its host */
  const struct labo_endpoint *ep;
};

struct addr_index
{
  struct addr_ref *by_net, *by_addr;
  size_t n;
  /* per host: an interface's address is invalid, or it may have addresses
   * that were not read (reported) */
  bool *unsure;
};

static int
addr_ref_cmp (const void *pa, const void *pb)
{
  const struct addr_ref *a = pa, *b = pb;
  if (a->host != b->host)
    return a->host < b->host ? -1 : 1;
  if (a->key != b->key)
    return a->key < b->key ? -1 : 1;
  if (a->len != b->len)
    return a->len < b->len ? -1 : 1;
  return a->k < b->k ? -1 : a->k > b->k;
}

static void
addr_index_build (const struct lf_ctx *c, const struct ifaces *ifs, struct addr_index *x)
{
  const struct labo_lab *lab = c->lab;
  size_t total = ifs->start[lab->n_hosts];

  x->by_net = xmalloc ((total + 1) * sizeof *x->by_net);
  x->by_addr = xmalloc ((total + 1) * sizeof *x->by_addr);
  x->unsure = xcalloc (lab->n_hosts + 1, sizeof *x->unsure);
  x->n = 0;
  for (size_t h = 0; h < lab->n_hosts; h++)
    x->unsure[h] = c->addrs_unsure || c->host_aux[h].addr_unsure;
  for (size_t h = 0; h < lab->n_hosts; h++)
    for (size_t k = 0; k < ifs->start[h + 1] - ifs->start[h]; k++)
      {
        const struct iface_ref *r = &ifs->v[ifs->start[h] + k];
        const struct labo_endpoint *ep = end_of (&lab->links[r->link], r->end);
        if (c->link_aux[r->link].flags[r->end] & LF_EP_ADDR_BAD)
          x->unsure[h] = true; /* its subnet might have held a gateway */
        if (!ep->has_addr)
          continue;
        x->by_net[x->n] = (struct addr_ref){ h, labo_prefix_network (&ep->addr), ep->addr.len, k, ep };
        x->by_addr[x->n++] = (struct addr_ref){ h, ep->addr.addr, 32, k, ep };
      }
  qsort (x->by_net, x->n, sizeof *x->by_net, addr_ref_cmp);
  qsort (x->by_addr, x->n, sizeof *x->by_addr, addr_ref_cmp);
}

static void
addr_index_free (struct addr_index *x)
{
  free (x->by_net);
  free (x->by_addr);
  free (x->unsure);
}

/* The first interface of host h with subnet or address (key, len) in v, or
 * NULL. */
static const struct addr_ref *
addr_find (const struct addr_ref *v, size_t n, size_t h, uint32_t key, uint8_t len)
{
  struct addr_ref want = { h, key, len, 0, NULL };
  size_t lo = 0, hi = n;

  while (lo < hi) /* the first not below want */
    {
      size_t mid = lo + (hi - lo) / 2;
      if (addr_ref_cmp (&v[mid], &want) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo < n && v[lo].host == h && v[lo].key == key && v[lo].len == len)
    return &v[lo];
  return NULL;
}

/* For each route, the first earlier route of its host to the same
 * destination, or LF_NONE. */
static size_t *
route_duplicates (const struct lf_ctx *c)
{
  size_t n = c->n_route_aux;
  cleanup_free struct addr_ref *w = xmalloc ((n + 1) * sizeof *w);
  size_t *dup = xmalloc ((n + 1) * sizeof *dup);

  for (size_t i = 0; i < n; i++)
    {
      const struct lf_route_aux *ra = &c->route_aux[i];
      const struct labo_prefix *dst = &c->lab->hosts[ra->host].routes[ra->route].dst;
      /* sorted as interfaces' subnets are: host, destination, then order */
      w[i] = (struct addr_ref){ ra->host, dst->addr, dst->len, i, NULL };
      dup[i] = LF_NONE;
    }
  qsort (w, n, sizeof *w, addr_ref_cmp);
  for (size_t j = 1, i = 0; j < n; j++)
    if (w[j].host == w[i].host && w[j].key == w[i].key && w[j].len == w[i].len)
      dup[w[j].k] = w[i].k;
    else
      i = j;
  return dup;
}

/* "198.51.100.0/24, 10.0.0.0/30": the subnets of host h's addressed
 * interfaces in order, the first eight. */
static char *
host_subnets (const struct lf_ctx *c, const struct ifaces *ifs, size_t h)
{
  char *nets = NULL, b[20];
  size_t shown = 0;

  for (size_t i = ifs->start[h]; i < ifs->start[h + 1]; i++)
    {
      const struct labo_endpoint *ep = end_of (&c->lab->links[ifs->v[i].link], ifs->v[i].end);
      struct labo_prefix net;
      char *l;
      if (!ep->has_addr)
        continue;
      if (shown++ == 8)
        {
          l = xasprintf ("%s, ...", nets);
          free (nets);
          return l;
        }
      net = (struct labo_prefix){ labo_prefix_network (&ep->addr), ep->addr.len };
      l = nets ? xasprintf ("%s, %s", nets, labo_prefix_format (&net, b))
               : xstrdup (labo_prefix_format (&net, b));
      free (nets);
      nets = l;
    }
  return nets;
}

/* One route: not twice, not the connected route of an interface, and
 * through a gateway on one of the host's subnets. */
static void
check_route (struct lf_ctx *c, size_t ri, const size_t *dup, const struct ifaces *ifs,
             const struct addr_index *ax)
{
  struct labo_lab *lab = c->lab;
  const struct lf_route_aux *ra = &c->route_aux[ri];
  const struct labo_host *host = &lab->hosts[ra->host];
  const struct labo_route *rt = &host->routes[ra->route];
  const struct addr_ref *conn, *self, *on = NULL;
  char b1[20], b2[20];

  if (dup[ri] != LF_NONE)
    {
      const struct lf_route_aux *rb = &c->route_aux[dup[ri]];
      lf_error (c, ra->to_pos, "duplicate route to %s in host '%s' (first defined at %d:%d)",
                labo_prefix_format (&rt->dst, b1), host->name, rb->to_pos.line, rb->to_pos.col);
      return;
    }
  /* the first interface, in the host's order, that is on the destination
   * or is the gateway says what is wrong (on both: the destination) */
  conn = addr_find (ax->by_net, ax->n, ra->host, rt->dst.addr, rt->dst.len);
  self = addr_find (ax->by_addr, ax->n, ra->host, rt->via, 32);
  if (conn && (self == NULL || conn->k <= self->k))
    {
      lf_error (c, ra->to_pos,
                "route to %s in host '%s' duplicates the connected route of its interface %s",
                labo_prefix_format (&rt->dst, b1), host->name, conn->ep->ifname);
      return;
    }
  if (self)
    {
      lf_error (c, ra->via_pos, "gateway %s is an address of host '%s' itself",
                labo_ipv4_format (rt->via, b1), host->name);
      return;
    }
  /* the first interface whose subnet holds the gateway: one lookup per
   * prefix length the gateway could be under */
  for (int len = 0; len <= 32; len++)
    {
      const struct addr_ref *x = addr_find (ax->by_net, ax->n, ra->host,
                                            rt->via & labo_prefix_mask ((uint8_t) len),
                                            (uint8_t) len);
      if (x && (on == NULL || x->k < on->k))
        on = x;
    }
  if (on == NULL && !ax->unsure[ra->host])
    {
      cleanup_free char *nets = host_subnets (c, ifs, ra->host);
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
  else if (on && on->ep->addr.len <= 30)
    {
      uint32_t mask = labo_prefix_mask (on->ep->addr.len);
      struct labo_prefix net = { on->ep->addr.addr & mask, on->ep->addr.len };
      if (rt->via == net.addr || rt->via == (net.addr | ~mask))
        lf_error (c, ra->via_pos, "gateway %s is the %s address of %s",
                  labo_ipv4_format (rt->via, b1), rt->via == net.addr ? "network" : "broadcast",
                  labo_prefix_format (&net, b2));
    }
}

/* Gives each host that runs Docker or carries nodes its lab address: the
 * address of its first addressed interface, in the host's order.  False
 * when it has none; *unsure then says whether it may have one that was
 * not read (reported). */
static bool
lab_address (struct lf_ctx *c, const struct ifaces *ifs, size_t h, bool *unsure)
{
  struct labo_lab *lab = c->lab;

  *unsure = c->addrs_unsure || c->host_aux[h].addr_unsure;
  for (size_t i = ifs->start[h]; i < ifs->start[h + 1] && !*unsure; i++)
    {
      const struct iface_ref *r = &ifs->v[i];
      const struct labo_endpoint *ep = end_of (&lab->links[r->link], r->end);
      if (c->link_aux[r->link].flags[r->end] & LF_EP_ADDR_BAD)
        *unsure = true; /* an invalid address before it may be the first */
      else if (ep->has_addr)
        {
          lab->hosts[h].lab_address = ep->addr.addr;
          return true;
        }
    }
  return false;
}

/* Each host's lab address, where it needs one.  Under Docker: the hosts
 * running it form a Swarm with exactly one manager, each advertising its
 * lab address; 'swarm' and 'overlay' need them.  Under 'runtime: process',
 * which runs no Docker (and where the runtime is not known), a host's
 * 'docker' says nothing that is checked: a host needs an address only to
 * publish its nodes' ports on. */
static void
check_docker (struct lf_ctx *c, const struct ifaces *ifs)
{
  struct labo_lab *lab = c->lab;
  size_t n_docker = labo_lab_docker_hosts (lab), manager = LF_NONE, first = LF_NONE;
  bool docker = lf_docker_checked (c), any_bad = c->hosts_unsure;
  /* per host: whether it carries nodes, and the first that publishes ports */
  cleanup_free bool *carries = xcalloc (lab->n_hosts + 1, sizeof *carries);
  cleanup_free size_t *publisher = xmalloc ((lab->n_hosts + 1) * sizeof *publisher);

  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      any_bad |= c->host_aux[h].docker_bad;
      publisher[h] = LF_NONE;
    }
  for (size_t j = 0; j < lab->n_nodes; j++)
    {
      size_t h = lab->nodes[j].host;
      if (h == LF_NONE)
        continue;
      carries[h] = true;
      if (publisher[h] == LF_NONE && lab->nodes[j].n_ports > 0)
        publisher[h] = j;
    }
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      struct labo_host *host = &lab->hosts[h];
      bool unsure, found;

      if (host->docker == LABO_DOCKER_NONE && !carries[h])
        continue;
      found = lab_address (c, ifs, h, &unsure);
      if (!found && !unsure && docker && host->docker != LABO_DOCKER_NONE)
        lf_error (c, host->docker_pos,
                  "docker host '%s' needs an address on a segment or link: Swarm advertises it",
                  host->name);
      else if (!found && !unsure && !docker && publisher[h] != LF_NONE)
        {
          const struct labo_node *x = &lab->nodes[publisher[h]];
          lf_error (c, x->ports[0].pos,
                    "node '%s' publishes ports on host '%s', which has no address on a "
                    "segment or link to publish them on",
                    x->name, host->name);
        }
      if (!docker || host->docker == LABO_DOCKER_NONE)
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
    }
  /* a host whose role is not known may be the manager, or the Docker host */
  if (!docker || any_bad)
    return;
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

/* Nodes' addresses: a later node on an address names the first. */
static void
check_node_addresses (struct lf_ctx *c)
{
  struct labo_lab *lab = c->lab;
  cleanup_free struct addr_ref *v = xmalloc ((lab->n_nodes + 1) * sizeof *v);
  size_t n = 0;
  char b[16];

  for (size_t j = 0; j < lab->n_nodes; j++)
    if (c->node_aux[j].addr_ok)
      v[n++] = (struct addr_ref){ 0, lab->nodes[j].address, 32, j, NULL };
  qsort (v, n, sizeof *v, addr_ref_cmp);
  for (size_t j = 1, i = 0; j < n; j++)
    {
      const struct labo_node *x = &lab->nodes[v[j].k], *y = &lab->nodes[v[i].k];
      if (v[j].key != v[i].key)
        {
          i = j;
          continue;
        }
      lf_error (c, x->address_pos, "address %s is already used by node '%s' (at %d:%d)",
                labo_ipv4_format (x->address, b), y->name, y->address_pos.line,
                y->address_pos.col);
    }
}

/* A published port, for the duplicate check. */
struct pub
{
  size_t host;
  unsigned port;
  size_t node, q; /* the node, and the port's place in its list */
};

static int
pub_cmp (const void *pa, const void *pb)
{
  const struct pub *a = pa, *b = pb;
  if (a->host != b->host)
    return a->host < b->host ? -1 : 1;
  if (a->port != b->port)
    return a->port < b->port ? -1 : 1;
  if (a->node != b->node)
    return a->node < b->node ? -1 : 1;
  return a->q < b->q ? -1 : a->q > b->q;
}

/* Published ports: not one the host's Docker or Swarm holds, and each host
 * port once on a host, a later one naming the first. */
static void
check_node_ports (struct lf_ctx *c)
{
  struct labo_lab *lab = c->lab;
  cleanup_free struct pub *v = NULL;
  size_t n = 0, total = 0;

  for (size_t j = 0; j < lab->n_nodes; j++)
    total += lab->nodes[j].n_ports;
  v = xmalloc ((total + 1) * sizeof *v);
  for (size_t j = 0; j < lab->n_nodes; j++)
    {
      const struct labo_node *x = &lab->nodes[j];
      for (size_t q = 0; q < x->n_ports && x->host != LF_NONE; q++)
        {
          const struct labo_port *pq = &x->ports[q];
          const struct labo_host *host = &lab->hosts[x->host];
          const char *taken = lf_docker_checked (c) ? port_taken (host, pq->host_port) : NULL;
          if (taken)
            lf_error (c, pq->pos, "host port %u is taken on host '%s' by %s",
                      (unsigned) pq->host_port, host->name, taken);
          else
            v[n++] = (struct pub){ x->host, pq->host_port, j, q };
        }
    }
  qsort (v, n, sizeof *v, pub_cmp);
  for (size_t j = 1, i = 0; j < n; j++)
    {
      const struct labo_port *pj = &lab->nodes[v[j].node].ports[v[j].q];
      const struct labo_port *pi = &lab->nodes[v[i].node].ports[v[i].q];
      if (v[j].host != v[i].host || v[j].port != v[i].port)
        {
          i = j;
          continue;
        }
      lf_error (c, pj->pos,
                "host port %u is already published on host '%s' by node '%s' (at %d:%d)",
                v[j].port, lab->hosts[v[j].host].name, lab->nodes[v[i].node].name, pi->pos.line,
                pi->pos.col);
    }
}

/* myids, given or by default (1 + the node's position among zookeeper
 * nodes): distinct, a later one naming the first. */
static void
check_node_myids (struct lf_ctx *c)
{
  struct labo_lab *lab = c->lab;
  size_t holder[256]; /* of each myid, the first node that has it */
  int k = 0;

  for (size_t i = 0; i < 256; i++)
    holder[i] = LF_NONE;
  for (size_t j = 0; j < lab->n_nodes; j++)
    {
      struct labo_node *x = &lab->nodes[j];
      const struct labo_node *y;
      const struct lf_node_aux *ya;
      struct labo_pos ypos;
      cleanup_free char *theirs = NULL;

      if (x->service != LABO_SERVICE_ZOOKEEPER)
        continue;
      k++;
      /* a myid not read, or a default counted from positions not known,
       * is compared with nothing */
      if (c->node_aux[j].myid_unsure
          || (!c->node_aux[j].myid_given && c->node_aux[j].order_unsure))
        continue;
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
      if (x->myid < 1 || x->myid > 255)
        continue; /* not read (reported) */
      if (holder[x->myid] == LF_NONE)
        {
          holder[x->myid] = j;
          continue;
        }
      y = &lab->nodes[holder[x->myid]];
      ya = &c->node_aux[holder[x->myid]];
      ypos = ya->myid_given ? ya->myid_pos : y->pos;
      theirs = xasprintf ("node '%s' has it%s (at %d:%d)", y->name,
                          ya->myid_given ? "" : " by default", ypos.line, ypos.col);
      if (c->node_aux[j].myid_given)
        lf_error (c, c->node_aux[j].myid_pos, "duplicate myid %d: %s", x->myid, theirs);
      else
        lf_error (c, x->pos,
                  "node '%s' has myid %d by default (1 + its position among zookeeper "
                  "nodes), but %s: give it a myid",
                  x->name, x->myid, theirs);
    }
}

/* The start order (`after`): no loops. Each strongly connected set of
 * nodes (Tarjan's, without recursion: a file may hold many nodes) that is
 * a loop is reported once, at its first node in the file, naming the
 * shortest loop through that node: "start order loops: a after b after a",
 * at a's item that names b. O(nodes + afters). */
static void
check_node_after (struct lf_ctx *c)
{
  struct labo_lab *lab = c->lab;
  size_t n = lab->n_nodes, counter = 0, sp = 0, cp = 0;
  cleanup_free size_t *index = xcalloc (n + 1, sizeof *index); /* 0: not visited */
  cleanup_free size_t *low = xcalloc (n + 1, sizeof *low);
  cleanup_free size_t *comp = xcalloc (n + 1, sizeof *comp);   /* 0: not assigned */
  cleanup_free bool *on_stack = xcalloc (n + 1, sizeof *on_stack);
  cleanup_free size_t *stack = xcalloc (n + 1, sizeof *stack);
  cleanup_free size_t *call = xcalloc (n + 1, sizeof *call);   /* DFS: node */
  cleanup_free size_t *edge = xcalloc (n + 1, sizeof *edge);   /* DFS: next edge */
  cleanup_free size_t *prev = xcalloc (n + 1, sizeof *prev);
  cleanup_free size_t *queue = xcalloc (n + 1, sizeof *queue);
  size_t n_comp = 0;

  for (size_t s = 0; s < n; s++)
    {
      if (index[s])
        continue;
      call[cp] = s;
      edge[cp++] = 0;
      index[s] = low[s] = ++counter;
      stack[sp++] = s;
      on_stack[s] = true;
      while (cp > 0)
        {
          size_t v = call[cp - 1];
          if (edge[cp - 1] < lab->nodes[v].n_after)
            {
              size_t w = lab->nodes[v].after[edge[cp - 1]++];
              if (index[w] == 0)
                {
                  index[w] = low[w] = ++counter;
                  stack[sp++] = w;
                  on_stack[w] = true;
                  call[cp] = w;
                  edge[cp++] = 0;
                }
              else if (on_stack[w] && index[w] < low[v])
                low[v] = index[w];
              continue;
            }
          cp--;
          if (cp > 0 && low[v] < low[call[cp - 1]])
            low[call[cp - 1]] = low[v];
          if (low[v] != index[v])
            continue;
          n_comp++;
          do
            {
              size_t w = stack[--sp];
              on_stack[w] = false;
              comp[w] = n_comp;
            }
          while (stack[sp] != v);
        }
    }

  /* a set's first node in the file: the shortest loop through it, found
   * breadth-first within its set */
  cleanup_free size_t *size = xcalloc (n_comp + 1, sizeof *size);
  for (size_t i = 0; i < n; i++)
    {
      size[comp[i]]++;
      prev[i] = LF_NONE;
    }
  for (size_t s = 0; s < n; s++)
    {
      size_t head = 0, tail = 0, last = LF_NONE;
      cleanup_free char *text = NULL;
      size_t *path, len = 0;  /* the loop, backwards */

      if (size[comp[s]] < 2)
        continue; /* a set of one node: no loop (none is after itself) */
      size[comp[s]] = 0; /* reported */
      queue[tail++] = s;
      while (head < tail && last == LF_NONE)
        {
          size_t v = queue[head++];
          for (size_t k = 0; k < lab->nodes[v].n_after; k++)
            {
              size_t w = lab->nodes[v].after[k];
              if (comp[w] != comp[s])
                continue;
              if (w == s)
                {
                  last = v;
                  break;
                }
              if (prev[w] == LF_NONE)
                {
                  prev[w] = v;
                  queue[tail++] = w;
                }
            }
        }
      /* the loop backwards from last to s, then read forwards; prev made
       * ready for the next set */
      path = xcalloc (n + 1, sizeof *path);
      for (size_t v = last; v != s; v = prev[v])
        path[len++] = v;
      for (size_t i = 0; i < tail; i++)
        prev[queue[i]] = LF_NONE;
      text = xasprintf ("%s", lab->nodes[s].name);
      for (size_t k = len; k-- > 0;)
        {
          char *t = xasprintf ("%s after %s", text, lab->nodes[path[k]].name);
          free (text);
          text = t;
        }
      {
        size_t next = len ? path[len - 1] : s, q = 0;
        char *t = xasprintf ("%s after %s", text, lab->nodes[s].name);
        free (text);
        text = t;
        while (lab->nodes[s].after[q] != next)
          q++;
        lf_error (c, c->node_aux[s].after_pos[q], "start order loops: %s", text);
      }
      free (path);
    }
}

void
lf_validate (struct lf_ctx *c)
{
  struct ifaces ifs;
  struct addr_index ax;
  cleanup_free size_t *dup = NULL;

  ifaces_build (c->lab, &ifs);
  check_p2p (c);
  check_docker (c, &ifs);
  check_overlaps (c);
  check_addresses (c);
  check_ifnames (c, &ifs); /* before the routes, whose messages name interfaces */
  check_root_ifnames (c);
  addr_index_build (c, &ifs, &ax);
  dup = route_duplicates (c);
  for (size_t i = 0; i < c->n_route_aux; i++)
    check_route (c, i, dup, &ifs, &ax);
  addr_index_free (&ax);
  /* nodes: addresses, then ports, then myids, as each node was checked */
  check_node_addresses (c);
  check_node_ports (c);
  check_node_myids (c);
  check_node_after (c);
  ifaces_free (&ifs);
}
