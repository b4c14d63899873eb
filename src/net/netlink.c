/* rtnetlink requests through libmnl, batched: see include/labo/net/netlink.h. */
#include "labo/net/netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <stdbool.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <string.h>
#include <time.h>

#include "labo/net/netns.h"
#include "labo/model/impair.h"
#include "labo/util/util.h"


/* The kernel refuses a single sendmsg larger than the socket's send buffer;
 * 64 KiB of requests is several hundred objects, far below it. */
#define BATCH_FLUSH_AT (64 * 1024)
/* Each ack is accounted at its skb's true size (~1 KiB) against the receive
 * buffer: past a few hundred unread acks the kernel drops them (ENOBUFS). */
#define BATCH_FLUSH_MSGS 128
#define MSG_ROOM 1024 /* the largest request built here */

int
labo_nl_open (struct labo_nl *nl, const char *ns_name, labo_error_t *err)
{
  return labo_nl_open_in (nl, -1, ns_name, err);
}

int
labo_nl_open_in (struct labo_nl *nl, int netns_fd, const char *ns_name, labo_error_t *err)
{
  int one = 1, fd;

  memset (nl, 0, sizeof (*nl));
  nl->ns_name = ns_name;
  fd = labo_netns_socket (netns_fd, ns_name, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE,
                          err);
  if (fd < 0)
    return labo_error_wrap (err, "opening a netlink socket in %s", ns_name);
  nl->sock = mnl_socket_fdopen (fd);
  if (nl->sock == NULL)
    {
      int saved = errno;
      close (fd);
      return labo_error_make (err, saved, "opening a netlink socket in %s", ns_name);
    }
  /* Acks without the request echoed back, but with the kernel's reason. */
  mnl_socket_setsockopt (nl->sock, NETLINK_CAP_ACK, &one, sizeof (one));
  mnl_socket_setsockopt (nl->sock, NETLINK_EXT_ACK, &one, sizeof (one));
  if (mnl_socket_bind (nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
    {
      int saved = errno;
      mnl_socket_close (nl->sock);
      nl->sock = NULL;
      return labo_error_make (err, saved, "binding a netlink socket in %s", ns_name);
    }
  nl->seq = (uint32_t) time (NULL);
  nl->first_seq = nl->seq;
  return 0;
}

void
labo_nl_close (struct labo_nl *nl)
{
  if (nl->sock)
    mnl_socket_close (nl->sock);
  free (nl->buf);
  free (nl->tags);
  memset (nl, 0, sizeof (*nl));
}

/* Starts a request in the batch and remembers what it is for. */
static struct nlmsghdr *
begin (struct labo_nl *nl, uint16_t type, uint16_t flags, const char *op, const char *obj,
       const char *ns)
{
  struct nlmsghdr *nlh;
  struct labo_nl_tag *tag;

  if (nl->len + MSG_ROOM > nl->cap)
    {
      nl->cap = nl->cap ? nl->cap * 2 : 2 * BATCH_FLUSH_AT;
      nl->buf = xrealloc (nl->buf, nl->cap);
    }
  memset (nl->buf + nl->len, 0, MSG_ROOM);
  nlh = mnl_nlmsg_put_header (nl->buf + nl->len);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  nlh->nlmsg_seq = nl->seq++;

  tag = labo_array_push (&nl->tags, &nl->n_tags, sizeof (*tag));
  tag->op = op;
  tag->obj = obj;
  tag->ns = ns ? ns : nl->ns_name;
  tag->peer = tag->peer_ns = NULL;
  return nlh;
}

static void
end (struct labo_nl *nl, struct nlmsghdr *nlh)
{
  nl->len += NLMSG_ALIGN (nlh->nlmsg_len);
}

static struct ifinfomsg *
put_ifinfo (struct nlmsghdr *nlh, int ifindex, unsigned flags, unsigned change)
{
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header (nlh, sizeof (*ifi));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  ifi->ifi_flags = flags;
  ifi->ifi_change = change;
  return ifi;
}

void
labo_nl_link_up (struct labo_nl *nl, int ifindex, const char *ifname)
{
  labo_nl_link_set (nl, ifindex, ifname, true);
}

void
labo_nl_link_set (struct labo_nl *nl, int ifindex, const char *ifname, bool up)
{
  struct nlmsghdr *nlh = begin (nl, RTM_NEWLINK, 0, up ? "bringing up" : "bringing down",
                                ifname, NULL);
  put_ifinfo (nlh, ifindex, up ? IFF_UP : 0, IFF_UP);
  end (nl, nlh);
}

void
labo_nl_bridge_add (struct labo_nl *nl, const char *name, int ifindex, int mtu)
{
  struct nlmsghdr *nlh
      = begin (nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, "creating bridge", name, NULL);
  struct nlattr *info;

  put_ifinfo (nlh, ifindex, IFF_UP, IFF_UP);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  mnl_attr_put_u32 (nlh, IFLA_MTU, (uint32_t) mtu);
  info = mnl_attr_nest_start (nlh, IFLA_LINKINFO);
  mnl_attr_put_strz (nlh, IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end (nlh, info);
  end (nl, nlh);
}

void
labo_nl_veth_add (struct labo_nl *nl, const struct labo_nl_veth_end *a,
                  const struct labo_nl_veth_end *b, int mtu)
{
  struct nlmsghdr *nlh = begin (nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, "creating veth",
                                a->ifname, a->ns_name);
  struct nlattr *info, *data, *peer;
  struct nlmsghdr *peer_hdr;

  nl->tags[nl->n_tags - 1].peer = b->ifname;
  nl->tags[nl->n_tags - 1].peer_ns = b->ns_name;

  put_ifinfo (nlh, a->ifindex, IFF_UP, IFF_UP);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, a->ifname);
  mnl_attr_put_u32 (nlh, IFLA_MTU, (uint32_t) mtu);
  if (a->netns_fd >= 0)
    mnl_attr_put_u32 (nlh, IFLA_NET_NS_FD, (uint32_t) a->netns_fd);
  if (a->master > 0)
    mnl_attr_put_u32 (nlh, IFLA_MASTER, (uint32_t) a->master);

  info = mnl_attr_nest_start (nlh, IFLA_LINKINFO);
  mnl_attr_put_strz (nlh, IFLA_INFO_KIND, "veth");
  data = mnl_attr_nest_start (nlh, IFLA_INFO_DATA);
  peer = mnl_attr_nest_start (nlh, VETH_INFO_PEER);
  /* The peer's attributes follow its own ifinfomsg, inside the nest: build
   * them through a header view positioned at the nest's payload. */
  {
    struct ifinfomsg *ifi = (struct ifinfomsg *) ((char *) nlh + nlh->nlmsg_len);
    memset (ifi, 0, sizeof (*ifi));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = b->ifindex;
    nlh->nlmsg_len += NLMSG_ALIGN (sizeof (*ifi));
  }
  peer_hdr = nlh;
  mnl_attr_put_strz (peer_hdr, IFLA_IFNAME, b->ifname);
  mnl_attr_put_u32 (peer_hdr, IFLA_MTU, (uint32_t) mtu);
  if (b->netns_fd >= 0)
    mnl_attr_put_u32 (peer_hdr, IFLA_NET_NS_FD, (uint32_t) b->netns_fd);
  mnl_attr_nest_end (nlh, peer);
  mnl_attr_nest_end (nlh, data);
  mnl_attr_nest_end (nlh, info);
  end (nl, nlh);
}

void
labo_nl_set_master (struct labo_nl *nl, int ifindex, const char *ifname, int master)
{
  struct nlmsghdr *nlh = begin (nl, RTM_NEWLINK, 0, "attaching to its bridge", ifname, NULL);
  put_ifinfo (nlh, ifindex, IFF_UP, IFF_UP);
  mnl_attr_put_u32 (nlh, IFLA_MASTER, (uint32_t) master);
  end (nl, nlh);
}

void
labo_nl_set_alias (struct labo_nl *nl, int ifindex, const char *ifname, const char *alias)
{
  struct nlmsghdr *nlh = begin (nl, RTM_NEWLINK, 0, "marking", ifname, NULL);
  put_ifinfo (nlh, ifindex, 0, 0);
  mnl_attr_put_strz (nlh, IFLA_IFALIAS, alias);
  end (nl, nlh);
}

void
labo_nl_addr_add (struct labo_nl *nl, int ifindex, const char *ifname,
                  const struct labo_prefix *addr)
{
  struct nlmsghdr *nlh = begin (nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
                                "adding an address to", ifname, NULL);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header (nlh, sizeof (*ifa));
  uint32_t local = htonl (addr->addr);

  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = addr->len;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = (uint32_t) ifindex;
  mnl_attr_put_u32 (nlh, IFA_LOCAL, local);
  mnl_attr_put_u32 (nlh, IFA_ADDRESS, local);
  if (addr->len < 31)
    mnl_attr_put_u32 (nlh, IFA_BROADCAST, htonl (addr->addr | ~labo_prefix_mask (addr->len)));
  end (nl, nlh);
}

void
labo_nl_route_add (struct labo_nl *nl, const struct labo_prefix *dst, uint32_t via,
                   const char *what)
{
  struct nlmsghdr *nlh
      = begin (nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, "adding route", what, NULL);
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header (nlh, sizeof (*rtm));

  rtm->rtm_family = AF_INET;
  rtm->rtm_dst_len = dst->len;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_STATIC;
  rtm->rtm_scope = RT_SCOPE_UNIVERSE;
  rtm->rtm_type = RTN_UNICAST;
  if (dst->len > 0)
    mnl_attr_put_u32 (nlh, RTA_DST, htonl (dst->addr));
  mnl_attr_put_u32 (nlh, RTA_GATEWAY, htonl (via));
  end (nl, nlh);
}

void
labo_nl_link_del (struct labo_nl *nl, int ifindex, const char *ifname)
{
  struct nlmsghdr *nlh = begin (nl, RTM_DELLINK, 0, "deleting", ifname, NULL);
  put_ifinfo (nlh, ifindex, 0, 0);
  if (ifindex == 0)
    mnl_attr_put_strz (nlh, IFLA_IFNAME, ifname);
  end (nl, nlh);
}

void
labo_nl_set_nomaster (struct labo_nl *nl, int ifindex, const char *ifname)
{
  struct nlmsghdr *nlh = begin (nl, RTM_NEWLINK, 0, "releasing from its bridge", ifname, NULL);
  put_ifinfo (nlh, ifindex, 0, 0);
  mnl_attr_put_u32 (nlh, IFLA_MASTER, 0);
  end (nl, nlh);
}

static struct tcmsg *
put_tcmsg (struct nlmsghdr *nlh, int ifindex)
{
  struct tcmsg *tcm = mnl_nlmsg_put_extra_header (nlh, sizeof (*tcm));
  tcm->tcm_family = AF_UNSPEC;
  tcm->tcm_ifindex = ifindex;
  tcm->tcm_parent = TC_H_ROOT;
  return tcm;
}

/* netem's seed for its draws (Linux 5.19); older headers lack the name */
#define LABO_TCA_NETEM_PRNG_SEED 14

/* A probability in parts per million, scaled to the u32 range as netem
 * reads it. */
static uint32_t
prob32 (double share)
{
  return share >= 1 ? UINT32_MAX : share <= 0 ? 0 : (uint32_t) (share * (double) UINT32_MAX);
}

void
labo_nl_netem (struct labo_nl *nl, int ifindex, const char *ifname,
               const struct labo_impair *im, uint32_t limit)
{
  struct nlmsghdr *nlh = begin (nl, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE,
                                "setting netem on", ifname, NULL);
  struct tc_netem_qopt qopt = { 0 };
  struct nlattr *opts;
  uint64_t bytes = im->rate_bps / 8;
  bool chain = im->ge_p_ppm || (im->loss_ppm && im->loss_corr_ppm);

  put_tcmsg (nlh, ifindex)->tcm_handle = 0x10000; /* 1: */
  mnl_attr_put_strz (nlh, TCA_KIND, "netem");
  /* the times in the struct are in scheduler ticks; the 64-bit
   * attributes below, in nanoseconds, take precedence over them */
  qopt.limit = limit;
  qopt.loss = chain ? 0 : prob32 (im->loss_ppm / 1e6);
  qopt.duplicate = prob32 (im->duplicate_ppm / 1e6);
  /* netem reorders only with a gap: 1 makes every frame a candidate, as
   * tc(8) does when none is given */
  qopt.gap = im->reorder_ppm ? 1 : 0;
  opts = mnl_nlmsg_get_payload_tail (nlh);
  mnl_attr_put (nlh, TCA_OPTIONS, sizeof (qopt), &qopt);
  mnl_attr_put_u64 (nlh, TCA_NETEM_LATENCY64, (uint64_t) im->delay_us * 1000);
  mnl_attr_put_u64 (nlh, TCA_NETEM_JITTER64, (uint64_t) im->jitter_us * 1000);
  if (bytes)
    {
      struct tc_netem_rate rate = { .rate = bytes >= UINT32_MAX ? UINT32_MAX : (uint32_t) bytes };
      mnl_attr_put (nlh, TCA_NETEM_RATE, sizeof (rate), &rate);
      if (bytes >= UINT32_MAX)
        mnl_attr_put_u64 (nlh, TCA_NETEM_RATE64, bytes);
    }
  if (im->corrupt_ppm)
    {
      struct tc_netem_corrupt c = { .probability = prob32 (im->corrupt_ppm / 1e6) };
      mnl_attr_put (nlh, TCA_NETEM_CORRUPT, sizeof (c), &c);
    }
  if (im->reorder_ppm)
    {
      struct tc_netem_reorder r = { .probability = prob32 (im->reorder_ppm / 1e6) };
      mnl_attr_put (nlh, TCA_NETEM_REORDER, sizeof (r), &r);
    }
  if (chain)
    {
      /* correlated loss as netem's Gilbert-Elliott chain, whose mean and
       * lag-1 correlation are exactly P and C (see labo_impair_fate):
       * netem's own `loss P% C%` correlation does not keep the mean */
      struct tc_netem_gemodel ge;
      struct nlattr *nest = mnl_attr_nest_start (nlh, TCA_NETEM_LOSS);
      if (im->ge_p_ppm)
        ge = (struct tc_netem_gemodel){ prob32 (im->ge_p_ppm / 1e6), prob32 (im->ge_r_ppm / 1e6),
                                        prob32 (1 - im->ge_bad_ppm / 1e6),
                                        prob32 (im->ge_good_ppm / 1e6) };
      else
        {
          double P = im->loss_ppm / 1e6, C = im->loss_corr_ppm / 1e6;
          ge = (struct tc_netem_gemodel){ prob32 (P * (1 - C)), prob32 ((1 - P) * (1 - C)), 0, 0 };
        }
      mnl_attr_put (nlh, NETEM_LOSS_GE, sizeof (ge), &ge);
      mnl_attr_nest_end (nlh, nest);
    }
  if (im->seed)
    mnl_attr_put_u64 (nlh, LABO_TCA_NETEM_PRNG_SEED, im->seed);
  /* TCA_OPTIONS holds the struct and the attributes after it, as the
   * kernel's netem parses it (not a plain nest: no NLA_F_NESTED) */
  opts->nla_len = (uint16_t) ((char *) mnl_nlmsg_get_payload_tail (nlh) - (char *) opts);
  end (nl, nlh);
}

void
labo_nl_qdisc_del_root (struct labo_nl *nl, int ifindex, const char *ifname)
{
  struct nlmsghdr *nlh = begin (nl, RTM_DELQDISC, 0, "removing the qdisc of", ifname, NULL);
  put_tcmsg (nlh, ifindex);
  end (nl, nlh);
}

/* The kernel's extended-ack text, if it sent one. */
static const char *
extack_msg (const struct nlmsghdr *nlh)
{
  const struct nlmsgerr *e = mnl_nlmsg_get_payload (nlh);
  const struct nlattr *attr;
  size_t off = sizeof (*e);

  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
    return NULL;
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
    off += e->msg.nlmsg_len - sizeof (struct nlmsghdr);
  mnl_attr_for_each (attr, nlh, off)
    if (mnl_attr_get_type (attr) == NLMSGERR_ATTR_MSG
        && mnl_attr_validate (attr, MNL_TYPE_NUL_STRING) >= 0)
      return mnl_attr_get_str (attr);
  return NULL;
}

int
labo_nl_flush (struct labo_nl *nl, labo_error_t *err)
{
  char rbuf[16384];
  size_t expected = nl->n_tags, got = 0;
  int ret = 0;

  if (expected == 0)
    return 0;
  if (mnl_socket_sendto (nl->sock, nl->buf, nl->len) < 0)
    {
      ret = labo_error_errno (err, "sending %zu netlink requests in %s", expected, nl->ns_name);
      goto out;
    }
  while (got < expected)
    {
      ssize_t n = mnl_socket_recvfrom (nl->sock, rbuf, sizeof (rbuf));
      const struct nlmsghdr *nlh;
      int len;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          ret = labo_error_errno (err, "reading netlink acknowledgements in %s", nl->ns_name);
          goto out;
        }
      len = (int) n;
      for (nlh = (const struct nlmsghdr *) rbuf; mnl_nlmsg_ok (nlh, len);
           nlh = mnl_nlmsg_next (nlh, &len))
        {
          const struct nlmsgerr *e;
          uint32_t i;

          if (nlh->nlmsg_type != NLMSG_ERROR)
            continue;
          e = mnl_nlmsg_get_payload (nlh);
          i = nlh->nlmsg_seq - nl->first_seq;
          got++;
          if (e->error != 0 && ret == 0 && i < nl->n_tags)
            {
              const struct labo_nl_tag *t = &nl->tags[i];
              const char *why = extack_msg (nlh);
              cleanup_free char *peer
                  = t->peer ? xasprintf (" with peer %s in %s", t->peer, t->peer_ns) : NULL;
              labo_error_make (err, -e->error, "%s %s in %s%s%s%s%s", t->op, t->obj, t->ns,
                               peer ? peer : "", why ? " (kernel: " : "", why ? why : "",
                               why ? ")" : "");
              ret = -1;
            }
        }
    }
out:
  nl->len = 0;
  nl->n_tags = 0;
  nl->first_seq = nl->seq;
  return ret;
}

int
labo_nl_maybe_flush (struct labo_nl *nl, labo_error_t *err)
{
  if (nl->len < BATCH_FLUSH_AT && nl->n_tags < BATCH_FLUSH_MSGS)
    return 0;
  return labo_nl_flush (nl, err);
}
