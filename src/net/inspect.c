/* Reading interfaces and addresses with libnl-3: see include/labo/net/inspect.h. */
#include "labo/net/inspect.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <string.h>

#include "labo/util/util.h"

/* libnl sockets are bound to the namespace current at nl_connect(): step in,
 * connect, step back. */
static struct nl_sock *
connect_in (int netns_fd, const char *what, labo_error_t *err)
{
  cleanup_close int self = -1;
  struct nl_sock *sk = nl_socket_alloc ();
  int r;

  if (sk == NULL)
    {
      labo_error_make (err, ENOMEM, "allocating a netlink socket");
      return NULL;
    }
  if (netns_fd >= 0)
    {
      self = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
      if (self < 0 || setns (netns_fd, CLONE_NEWNET) < 0)
        {
          labo_error_errno (err, "entering namespace %s", what);
          nl_socket_free (sk);
          return NULL;
        }
    }
  r = nl_connect (sk, NETLINK_ROUTE);
  if (netns_fd >= 0 && setns (self, CLONE_NEWNET) < 0)
    {
      /* Staying in the lab's namespace would send every later request to
       * the wrong place: nothing sane can follow. */
      labo_say ("returning to the root network namespace: %s", strerror (errno));
      abort ();
    }
  if (r < 0)
    {
      labo_error_make (err, 0, "connecting to netlink in %s: %s", what, nl_geterror (r));
      nl_socket_free (sk);
      return NULL;
    }
  return sk;
}

struct walk
{
  struct labo_ifinfo *ifs;
  size_t n;
};

static void
on_link (struct nl_object *obj, void *arg)
{
  struct walk *w = arg;
  struct rtnl_link *link = (struct rtnl_link *) obj;
  struct labo_ifinfo *i = labo_array_push (&w->ifs, &w->n, sizeof (*i));
  unsigned flags = rtnl_link_get_flags (link);
  const char *s;

  snprintf (i->ifname, sizeof (i->ifname), "%s", rtnl_link_get_name (link));
  i->ifindex = rtnl_link_get_ifindex (link);
  i->up = (flags & IFF_UP) != 0;
  i->carrier = (flags & IFF_LOWER_UP) != 0;
  i->mtu = (int) rtnl_link_get_mtu (link);
  i->master = rtnl_link_get_master (link);
  if ((s = rtnl_link_get_type (link)) != NULL)
    snprintf (i->kind, sizeof (i->kind), "%s", s);
  if ((s = rtnl_link_get_ifalias (link)) != NULL)
    snprintf (i->alias, sizeof (i->alias), "%s", s);
}

static void
on_addr (struct nl_object *obj, void *arg)
{
  struct walk *w = arg;
  struct rtnl_addr *a = (struct rtnl_addr *) obj;
  struct nl_addr *local = rtnl_addr_get_local (a);
  int ifindex = rtnl_addr_get_ifindex (a);

  if (rtnl_addr_get_family (a) != AF_INET || local == NULL)
    return;
  for (size_t k = 0; k < w->n; k++)
    if (w->ifs[k].ifindex == ifindex && w->ifs[k].n_addrs < LABO_INSPECT_MAX_ADDRS)
      {
        struct labo_prefix *p = &w->ifs[k].addrs[w->ifs[k].n_addrs++];
        uint32_t be;
        memcpy (&be, nl_addr_get_binary_addr (local), sizeof (be));
        p->addr = ntohl (be);
        p->len = (uint8_t) rtnl_addr_get_prefixlen (a);
      }
}

int
labo_inspect (int netns_fd, const char *what, struct labo_ifinfo **ifs, size_t *n,
              labo_error_t *err)
{
  struct nl_sock *sk = connect_in (netns_fd, what, err);
  struct nl_cache *links = NULL, *addrs = NULL;
  struct walk w = { NULL, 0 };
  int r;

  *ifs = NULL;
  *n = 0;
  if (sk == NULL)
    return -1;
  r = rtnl_link_alloc_cache (sk, AF_UNSPEC, &links);
  if (r >= 0)
    r = rtnl_addr_alloc_cache (sk, &addrs);
  if (r < 0)
    {
      labo_error_make (err, 0, "listing interfaces in %s: %s", what, nl_geterror (r));
      goto out;
    }
  nl_cache_foreach (links, on_link, &w);
  nl_cache_foreach (addrs, on_addr, &w);
  *ifs = w.ifs;
  *n = w.n;
  w.ifs = NULL;
out:
  free (w.ifs);
  if (addrs)
    nl_cache_free (addrs);
  if (links)
    nl_cache_free (links);
  nl_socket_free (sk);
  return r < 0 ? -1 : 0;
}

const struct labo_ifinfo *
labo_inspect_find (const struct labo_ifinfo *ifs, size_t n, const char *ifname)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (ifs[i].ifname, ifname) == 0)
      return &ifs[i];
  return NULL;
}

struct route_walk
{
  struct labo_prefix *v;
  size_t n;
};

static void
on_route (struct nl_object *obj, void *arg)
{
  struct route_walk *w = arg;
  struct rtnl_route *r = (struct rtnl_route *) obj;
  struct nl_addr *dst = rtnl_route_get_dst (r);
  struct labo_prefix *p;
  uint32_t be;

  if (rtnl_route_get_family (r) != AF_INET || rtnl_route_get_table (r) != RT_TABLE_MAIN
      || rtnl_route_get_protocol (r) == RTPROT_KERNEL || dst == NULL
      || nl_addr_get_prefixlen (dst) == 0 || nl_addr_get_len (dst) != 4)
    return;
  p = labo_array_push (&w->v, &w->n, sizeof (*p));
  memcpy (&be, nl_addr_get_binary_addr (dst), sizeof (be));
  p->addr = ntohl (be);
  p->len = (uint8_t) nl_addr_get_prefixlen (dst);
}

int
labo_inspect_routes (struct labo_prefix **routes, size_t *n, labo_error_t *err)
{
  struct nl_sock *sk = connect_in (-1, "the root namespace", err);
  struct nl_cache *cache = NULL;
  struct route_walk w = { NULL, 0 };
  int r;

  *routes = NULL;
  *n = 0;
  if (sk == NULL)
    return -1;
  r = rtnl_route_alloc_cache (sk, AF_INET, 0, &cache);
  if (r < 0)
    {
      nl_socket_free (sk);
      return labo_error_make (err, 0, "listing routes: %s", nl_geterror (r));
    }
  nl_cache_foreach (cache, on_route, &w);
  nl_cache_free (cache);
  nl_socket_free (sk);
  *routes = w.v;
  *n = w.n;
  return 0;
}
