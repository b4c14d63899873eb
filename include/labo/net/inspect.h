/* Reading a network namespace's interfaces and addresses (libnl-3 route
 * caches). The write side is netlink.h (libmnl, batched); reading is rare
 * and libnl's caches make it short. */
#ifndef LABO_INSPECT_H
#define LABO_INSPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "labo/util/error.h"
#include "labo/util/ipv4.h"

#define LABO_INSPECT_MAX_ADDRS 8

struct labo_ifinfo
{
  char ifname[16];
  int ifindex;
  bool up;       /* administratively up */
  bool carrier;  /* lower layer up */
  int mtu;
  int master;    /* ifindex of the bridge it is a port of, or 0 */
  char kind[16]; /* "veth", "bridge", "" for lo */
  char alias[64];
  struct labo_prefix addrs[LABO_INSPECT_MAX_ADDRS];
  size_t n_addrs;
};

/* Lists the interfaces (and their IPv4 addresses) of the namespace of
 * netns_fd, or of the current one when netns_fd < 0. The calling thread
 * is back in its own namespace on return. */
int labo_inspect (int netns_fd, const char *what, struct labo_ifinfo **ifs, size_t *n,
                  labo_error_t *err);

/* IPv4 routes of the main table in the current namespace, except the
 * default route and routes the kernel made for local addresses. */
int labo_inspect_routes (struct labo_prefix **routes, size_t *n, labo_error_t *err);

const struct labo_ifinfo *labo_inspect_find (const struct labo_ifinfo *ifs, size_t n,
                                             const char *ifname);

#endif
