/* The plan: a validated lab turned into the ordered list of kernel objects
 * to make, with every name and interface index decided up front. Pure logic
 * (no system calls), so it is unit-tested and printed by `labo up --dry-run`.
 *
 * Naming (the ownership mark of everything labo creates):
 *   host namespace    labo.<lab>.<host>     (in /run/netns, `ip netns list`)
 *   switch namespace  labo.<lab>            (holds the lab's segment bridges)
 *   root interface    <lab>-<segment> (default), ifalias "labo:<lab>"
 * Lab names are [a-z0-9-] and host names are DNS labels, so the dots make
 * the names of two labs disjoint.
 *
 * Interface indexes in the lab's own namespaces are chosen here (fresh
 * namespaces hold only lo = 1), so addresses, routes and bridge ports can be
 * configured without asking the kernel for them first. */
#ifndef LABO_PLAN_H
#define LABO_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "labo/model/lab.h"

/* Namespace handles in a plan: a host index (>= 0) or one of these. */
#define LABO_NS_ROOT (-1)
#define LABO_NS_SWITCH (-2)

#define LABO_NETNS_PREFIX "labo."
#define LABO_BRIDGE_IFINDEX0 10   /* bridges get 10, 11, ... in the switch ns */
#define LABO_PORT_IFINDEX0 1000   /* switch-side veth ends get 1000, 1001, ... */
#define LABO_HOST_IFINDEX0 2      /* host interfaces get 2, 3, ... */

struct labo_plan_bridge
{
  const char *ifname; /* the segment's name */
  int ifindex;
  int mtu;
};

struct labo_plan_veth
{
  /* End `a` is created in ns_a (the switch namespace for host-segment and
   * root-segment links, the first host for p2p links); `b` is its peer. */
  int ns_a, ns_b;
  char ifname_a[16], ifname_b[16];
  int ifindex_a;      /* 0: let the kernel choose (root namespace) */
  int ifindex_b;
  int master_a;       /* bridge ifindex for end a, or 0 */
  int master_b;       /* bridge ifindex for end b, or 0: set after creation,
                         as the kernel does not enslave a veth peer on creation */
  int mtu;
  size_t link;        /* index into lab->links, or (size_t)-1 for root links */
};

struct labo_plan_addr
{
  int ns;
  int ifindex;          /* 0 in the root namespace: resolve ifname there */
  const char *ifname;
  struct labo_prefix addr;
};

struct labo_plan_route
{
  int ns;
  struct labo_prefix dst;
  uint32_t via;
};

struct labo_plan
{
  char *switch_ns;        /* "labo.<lab>" */
  char overlay_bridge[16]; /* the process runtime's overlay bridge, or "" */
  char **host_ns;         /* n_hosts names "labo.<lab>.<host>" */
  size_t n_hosts;
  struct labo_plan_bridge *bridges;
  size_t n_bridges;
  struct labo_plan_veth *veths;
  size_t n_veths;
  struct labo_plan_addr *addrs;
  size_t n_addrs;
  struct labo_plan_route *routes;
  size_t n_routes;
};

/* The interface name of the process runtime's overlay: its bridge in the
 * switch namespace (h == (size_t)-1) or its interface in host h. */
void labo_plan_overlay_ifname (const struct labo_lab *lab, size_t h, char out[16]);

/* Builds the plan for a validated lab (whose runtime is resolved: the
 * process runtime adds the overlay's bridge). Never fails (allocation aborts). */
struct labo_plan *labo_plan_build (const struct labo_lab *lab);
void labo_plan_free (struct labo_plan *plan);
void labo_plan_freep (struct labo_plan **plan);
#define cleanup_plan __attribute__ ((cleanup (labo_plan_freep)))

/* "labo.<lab>.<host>" / "labo.<lab>": callers free. */
char *labo_host_netns_name (const char *lab, const char *host);
char *labo_switch_netns_name (const char *lab);

/* Writes a human-readable listing of the plan (for --dry-run and tests). */
void labo_plan_print (const struct labo_lab *lab, const struct labo_plan *plan, FILE *out);

#endif
