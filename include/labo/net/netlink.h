/* rtnetlink through libmnl: batched requests, each acknowledged.
 *
 * A `struct labo_nl` is a route-netlink socket bound to the network namespace
 * that was current when it was opened (that is how the kernel ties a netlink
 * socket to a namespace), plus a batch of pending requests. Requests are
 * queued with labo_nl_* builders and sent together by labo_nl_flush(), which
 * reads every acknowledgement and turns the first failure into an error that
 * names the operation, the object, the namespace, the errno and the kernel's
 * extended ack message ("creating veth eth0 in labo.seed.mida-clm1: File
 * exists"). Batching is what lets a thousand hosts come up in well under a
 * second: one sendmsg per host instead of one per object. */
#ifndef LABO_NETLINK_H
#define LABO_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labo/util/error.h"
#include "labo/util/ipv4.h"

#include <linux/netlink.h>

/* Older kernel headers lack them; the kernel has had both since 4.12. */
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

struct mnl_socket;

struct labo_nl_tag
{
  const char *op;  /* "creating veth" */
  const char *obj; /* "eth0" */
  const char *ns;  /* "labo.seed.mida-clm1" */
  const char *peer, *peer_ns; /* veths: the other end, or NULL */
};

struct labo_nl
{
  struct mnl_socket *sock;
  const char *ns_name; /* for messages; borrowed */
  uint32_t seq;        /* next sequence number */
  char *buf;
  size_t len, cap;
  struct labo_nl_tag *tags; /* one per queued message, by seq - first_seq */
  size_t n_tags, cap_tags;
  uint32_t first_seq;
};

/* Opens a socket in the current network namespace... */
int labo_nl_open (struct labo_nl *nl, const char *ns_name, labo_error_t *err);
/* ...or in that of netns_fd (labo_netns_socket: the thread steps in for
 * socket() alone). */
int labo_nl_open_in (struct labo_nl *nl, int netns_fd, const char *ns_name, labo_error_t *err);
void labo_nl_close (struct labo_nl *nl);

/* Sends the queued batch and waits for all its acknowledgements. */
int labo_nl_flush (struct labo_nl *nl, labo_error_t *err);
/* Flushes only when the batch grew past the size the kernel takes at once. */
int labo_nl_maybe_flush (struct labo_nl *nl, labo_error_t *err);

/* Builders: queue one request each (never fail; memory aborts). */
void labo_nl_link_up (struct labo_nl *nl, int ifindex, const char *ifname);
void labo_nl_link_set (struct labo_nl *nl, int ifindex, const char *ifname, bool up);
void labo_nl_bridge_add (struct labo_nl *nl, const char *name, int ifindex, int mtu);

struct labo_nl_veth_end
{
  const char *ifname;
  int ifindex;  /* 0: kernel chooses */
  int netns_fd; /* -1: the socket's namespace */
  int master;   /* bridge ifindex in that namespace, or 0 (end a only) */
  const char *ns_name; /* for messages */
};
/* Both ends get `mtu`; end a is created up. End b is not: the kernel
 * answers ENOTCONN when asked to open a veth peer during creation, so the
 * caller brings it up afterwards (labo_nl_set_master does, for ports). */
void labo_nl_veth_add (struct labo_nl *nl, const struct labo_nl_veth_end *a,
                       const struct labo_nl_veth_end *b, int mtu);
/* Enslaves ifindex to the bridge `master` and brings it up. */
void labo_nl_set_master (struct labo_nl *nl, int ifindex, const char *ifname, int master);
void labo_nl_set_alias (struct labo_nl *nl, int ifindex, const char *ifname, const char *alias);
void labo_nl_addr_add (struct labo_nl *nl, int ifindex, const char *ifname,
                       const struct labo_prefix *addr);
void labo_nl_route_add (struct labo_nl *nl, const struct labo_prefix *dst, uint32_t via,
                        const char *what);
void labo_nl_link_del (struct labo_nl *nl, int ifindex, const char *ifname);
/* Releases ifindex from its bridge (it stays up). */
void labo_nl_set_nomaster (struct labo_nl *nl, int ifindex, const char *ifname);

/* sch_netem as the root qdisc of ifindex, replacing what is there, with
 * im's settings: delay and jitter (uniform, as netem without a
 * distribution table), loss (correlated loss and the Gilbert-Elliott
 * model as netem's `loss gemodel`), corrupt, duplicate, reorder, rate
 * (0: unpaced) and the seed (kernels from 5.19 take it, older ones ignore
 * it); queue limit in packets. A kernel without sch_netem answers ENOENT ("Specified qdisc
 * kind is unknown"), which is how labo probes for it. The request is laid
 * out as tc(8) lays it: a struct tc_netem_qopt, then the 64-bit times and
 * the rate as attributes inside TCA_OPTIONS. */
struct labo_impair;
void labo_nl_netem (struct labo_nl *nl, int ifindex, const char *ifname,
                    const struct labo_impair *im, uint32_t limit);
/* Deletes the root qdisc of ifindex (back to the device's default). */
void labo_nl_qdisc_del_root (struct labo_nl *nl, int ifindex, const char *ifname);

#endif
