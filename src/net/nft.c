/* nf_tables DNAT rules through libnftnl and libmnl, one batch per call: see include/labo/net/nft.h. */
#include "labo/net/nft.h"
#include "labo/net/netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter_bridge.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "labo/util/ipv4.h"
#include "labo/net/netlink.h"
#include "labo/util/util.h"


#define TABLE "labo"
#define CHAIN_PRE "dnat-pre"
#define CHAIN_OUT "dnat-out"
#define CHAIN_BLOCK_IN "block-in"
#define CHAIN_BLOCK_OUT "block-out"
#define CHAIN_BLOCK_FWD "block-fwd"
#define CHAIN_GATE "root-gate"
#define CHAIN_MAP_IN "root-map-in"
#define CHAIN_MAP_OUT "root-map-out"
/* A copy's translation: before the gate and anything else on the way in,
 * after everything on the way out */
#define MAP_IN_PRIORITY (-300)
#define MAP_OUT_PRIORITY 300
/* NF_BR_PRI_FILTER_BRIDGED: nft's "filter" priority in the bridge family */
#define GATE_PRIORITY (-200)
/* Before anything else that filters (iptables' raw table is -300): a
 * partition cuts traffic whatever a daemon's own rules would do. */
#define BLOCK_PRIORITY (-350)
/* NF_IP_PRI_NAT_DST: where iptables' nat PREROUTING and OUTPUT sit, so a
 * namespace that also has iptables rules sees the usual order. */
#define NAT_PRIORITY (-100)

/* The largest message built here is a rule, 460 bytes; the libnftnl
 * builders do not check the room they write into, so each message gets
 * this much zeroed space and is checked against it once built. */
#define MSG_ROOM 2048
/* Every request is acknowledged, and each ack is accounted at its skb's true
 * size (about 1 KiB) against the receive buffer: twice that per request keeps
 * the kernel from dropping any (ENOBUFS) however many rules the batch holds. */
#define ACK_ROOM 2048

enum op
{
  OP_NEWTABLE,
  OP_NEWCHAIN,
  OP_FLUSH,
  OP_NEWRULE,
  OP_DELTABLE,
};

/* What a request of the batch was for, to say which one the kernel refused. */
struct tag
{
  enum op op;
  const char *chain;
  const struct labo_nft_dnat *entry; /* a DNAT rule's, or NULL */
  uint32_t blocked;                   /* a drop rule's address */
  bool from;                          /* ...as its source, or destination */
  bool absent_ok; /* ENOENT is the state asked for */
  char text[112];  /* a gate rule, as nft would write it */
};

/* One nfnetlink batch: BATCH_BEGIN (seq first_seq), the requests (seq
 * first_seq + 1 + i, described by tags[i]), BATCH_END. */
struct batch
{
  char *buf;
  size_t len, cap;
  struct tag *tags;
  size_t n_tags;
  uint32_t first_seq, seq;
  uint16_t family; /* NFPROTO_IPV4 (table ip labo) or NFPROTO_BRIDGE (bridge labo) */
};

static char *
room (struct batch *b)
{
  if (b->len + MSG_ROOM > b->cap)
    {
      b->cap = b->cap ? b->cap * 2 : 8 * MSG_ROOM;
      b->buf = xrealloc (b->buf, b->cap);
    }
  memset (b->buf + b->len, 0, MSG_ROOM);
  return b->buf + b->len;
}

static void
end (struct batch *b, struct nlmsghdr *nlh)
{
  /* Past MSG_ROOM the builders have already written over what follows. */
  if (nlh->nlmsg_len > MSG_ROOM)
    abort ();
  b->len += NLMSG_ALIGN (nlh->nlmsg_len);
}

static void
batch_begin_family (struct batch *b, uint16_t family)
{
  memset (b, 0, sizeof (*b));
  b->family = family;
  b->first_seq = (uint32_t) time (NULL);
  b->seq = b->first_seq;
  /* Without NLM_F_ACK: kernels before 6.10 never acknowledge the batch's
   * delimiters and later ones do only when asked, so not asking keeps the
   * count of acks the same everywhere. */
  end (b, nftnl_batch_begin (room (b), b->seq++));
}

static void
batch_begin (struct batch *b)
{
  batch_begin_family (b, NFPROTO_IPV4);
}

static void
batch_end (struct batch *b)
{
  end (b, nftnl_batch_end (room (b), b->seq++));
}

static void
batch_free (struct batch *b)
{
  free (b->buf);
  free (b->tags);
  memset (b, 0, sizeof (*b));
}

/* Starts a request for nf_tables, in the batch's family, acknowledged. */
static struct nlmsghdr *
begin (struct batch *b, uint16_t type, uint16_t flags, enum op op, const char *chain,
       const struct labo_nft_dnat *entry)
{
  struct tag *t = labo_array_push (&b->tags, &b->n_tags, sizeof (*t));

  t->op = op;
  t->chain = chain;
  t->entry = entry;
  t->absent_ok = false;
  t->text[0] = '\0';
  return nftnl_nlmsg_build_hdr (room (b), type, b->family, NLM_F_ACK | flags, b->seq++);
}

/* libnftnl fails only to allocate, which labo treats as fatal everywhere. */
static void
check_alloc (const void *p)
{
  if (p == NULL)
    abort ();
}

static void
check_set (int r)
{
  if (r < 0)
    abort ();
}

static void
table_freep (struct nftnl_table **t)
{
  if (*t)
    nftnl_table_free (*t);
}
static void
chain_freep (struct nftnl_chain **c)
{
  if (*c)
    nftnl_chain_free (*c);
}
static void
rule_freep (struct nftnl_rule **r)
{
  if (*r)
    nftnl_rule_free (*r);
}
#define cleanup_table __attribute__ ((cleanup (table_freep)))
#define cleanup_chain __attribute__ ((cleanup (chain_freep)))
#define cleanup_rule __attribute__ ((cleanup (rule_freep)))

static void
put_table (struct batch *b, uint16_t type, uint16_t flags, enum op op)
{
  cleanup_table struct nftnl_table *t = nftnl_table_alloc ();
  struct nlmsghdr *nlh;

  check_alloc (t);
  check_set (nftnl_table_set_str (t, NFTNL_TABLE_NAME, TABLE));
  nlh = begin (b, type, flags, op, NULL, NULL);
  nftnl_table_nlmsg_build_payload (nlh, t);
  end (b, nlh);
}

/* Without NLM_F_EXCL an existing chain is kept as long as its type, hook and
 * priority are these (the kernel answers EEXIST otherwise): a chain someone
 * made differently under our name is a conflict to report, not to paper
 * over. type NULL: a regular chain, no hook, reached only by a jump. */
static void
put_chain (struct batch *b, const char *name, const char *type, uint32_t hook, int32_t prio)
{
  cleanup_chain struct nftnl_chain *c = nftnl_chain_alloc ();
  struct nlmsghdr *nlh;

  check_alloc (c);
  check_set (nftnl_chain_set_str (c, NFTNL_CHAIN_TABLE, TABLE));
  check_set (nftnl_chain_set_str (c, NFTNL_CHAIN_NAME, name));
  if (type)
    {
      check_set (nftnl_chain_set_str (c, NFTNL_CHAIN_TYPE, type));
      nftnl_chain_set_u32 (c, NFTNL_CHAIN_HOOKNUM, hook);
      nftnl_chain_set_s32 (c, NFTNL_CHAIN_PRIO, prio);
    }
  nlh = begin (b, NFT_MSG_NEWCHAIN, NLM_F_CREATE, OP_NEWCHAIN, name, NULL);
  nftnl_chain_nlmsg_build_payload (nlh, c);
  end (b, nlh);
}

/* A DELRULE naming a chain and no rule handle deletes every rule of that
 * chain: nft's "flush chain". */
static void
put_flush (struct batch *b, const char *chain)
{
  cleanup_rule struct nftnl_rule *r = nftnl_rule_alloc ();
  struct nlmsghdr *nlh;

  check_alloc (r);
  check_set (nftnl_rule_set_str (r, NFTNL_RULE_TABLE, TABLE));
  check_set (nftnl_rule_set_str (r, NFTNL_RULE_CHAIN, chain));
  nlh = begin (b, NFT_MSG_DELRULE, 0, OP_FLUSH, chain, NULL);
  nftnl_rule_nlmsg_build_payload (nlh, r);
  end (b, nlh);
}

static struct nftnl_expr *
expr_new (struct nftnl_rule *r, const char *name)
{
  struct nftnl_expr *e = nftnl_expr_alloc (name);

  check_alloc (e);
  nftnl_rule_add_expr (r, e); /* the rule owns it from here */
  return e;
}

/* Register 1 = len bytes at offset of the packet's header `base`. */
static void
put_payload (struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len)
{
  struct nftnl_expr *e = expr_new (r, "payload");

  nftnl_expr_set_u32 (e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_PAYLOAD_BASE, base);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

/* Stops the rule unless register 1 holds these bytes. */
static void
put_cmp_eq (struct nftnl_rule *r, const void *data, uint32_t len)
{
  struct nftnl_expr *e = expr_new (r, "cmp");

  nftnl_expr_set_u32 (e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
  check_set (nftnl_expr_set (e, NFTNL_EXPR_CMP_DATA, data, len));
}

static void
put_immediate (struct nftnl_rule *r, uint32_t reg, const void *data, uint32_t len)
{
  struct nftnl_expr *e = expr_new (r, "immediate");

  nftnl_expr_set_u32 (e, NFTNL_EXPR_IMM_DREG, reg);
  check_set (nftnl_expr_set (e, NFTNL_EXPR_IMM_DATA, data, len));
}

/* "ip daddr A tcp dport P dnat to B:Q", as nft compiles it: the protocol
 * check comes before the transport header is read, since the port's offset
 * means something only for TCP. */
static void
put_dnat_rule (struct batch *b, const char *chain, const struct labo_nft_dnat *d)
{
  cleanup_rule struct nftnl_rule *r = nftnl_rule_alloc ();
  struct nftnl_expr *e;
  struct nlmsghdr *nlh;
  uint8_t proto = IPPROTO_TCP;
  uint32_t match_addr = htonl (d->match_addr), to_addr = htonl (d->to_addr);
  uint16_t match_port = htons (d->match_port), to_port = htons (d->to_port);

  check_alloc (r);
  check_set (nftnl_rule_set_str (r, NFTNL_RULE_TABLE, TABLE));
  check_set (nftnl_rule_set_str (r, NFTNL_RULE_CHAIN, chain));

  e = expr_new (r, "meta");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_META_DREG, NFT_REG_1);
  put_cmp_eq (r, &proto, sizeof (proto));

  put_payload (r, NFT_PAYLOAD_NETWORK_HEADER, offsetof (struct iphdr, daddr), sizeof (match_addr));
  put_cmp_eq (r, &match_addr, sizeof (match_addr));

  put_payload (r, NFT_PAYLOAD_TRANSPORT_HEADER, offsetof (struct tcphdr, th_dport),
               sizeof (match_port));
  put_cmp_eq (r, &match_port, sizeof (match_port));

  /* The nat expression reads the new address and port from registers. */
  put_immediate (r, NFT_REG_1, &to_addr, sizeof (to_addr));
  put_immediate (r, NFT_REG_2, &to_port, sizeof (to_port));
  e = expr_new (r, "nat");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);

  nlh = begin (b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, OP_NEWRULE, chain, d);
  nftnl_rule_nlmsg_build_payload (nlh, r);
  end (b, nlh);
}

/* "ip saddr A drop" or "ip daddr A drop". */
static void
put_drop_rule (struct batch *b, const char *chain, uint32_t addr, bool from)
{
  cleanup_rule struct nftnl_rule *r = nftnl_rule_alloc ();
  struct nftnl_expr *e;
  struct nlmsghdr *nlh;
  uint32_t a = htonl (addr);

  check_alloc (r);
  check_set (nftnl_rule_set_str (r, NFTNL_RULE_TABLE, TABLE));
  check_set (nftnl_rule_set_str (r, NFTNL_RULE_CHAIN, chain));
  put_payload (r, NFT_PAYLOAD_NETWORK_HEADER,
               from ? offsetof (struct iphdr, saddr) : offsetof (struct iphdr, daddr), sizeof (a));
  put_cmp_eq (r, &a, sizeof (a));
  e = expr_new (r, "immediate");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_IMM_VERDICT, NF_DROP);
  nlh = begin (b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, OP_NEWRULE, chain, NULL);
  b->tags[b->n_tags - 1].blocked = addr;
  b->tags[b->n_tags - 1].from = from;
  nftnl_rule_nlmsg_build_payload (nlh, r);
  end (b, nlh);
}

/* "adding rule 'ip daddr 198.51.100.198 tcp dport 32181 dnat to 10.0.0.1:2181'
 * to chain dnat-pre of table ip labo" and the like. */
static char *
describe (const struct tag *t, uint16_t family)
{
  /* the family and the table, as nft writes them ("ip labo") */
  const char *table = family == NFPROTO_BRIDGE ? "bridge " TABLE : "ip " TABLE;
  char a[16], c[16];

  switch (t->op)
    {
    case OP_NEWTABLE:
      return xasprintf ("creating table %s", table);
    case OP_NEWCHAIN:
      return xasprintf ("creating chain %s of table %s", t->chain, table);
    case OP_FLUSH:
      return xasprintf ("flushing chain %s of table %s", t->chain, table);
    case OP_NEWRULE:
      if (t->text[0]) /* a gate's rule, written out when it was made */
        return xasprintf ("adding rule '%s' to chain %s of table %s", t->text, t->chain,
                          table);
      if (t->entry == NULL)
        return xasprintf ("adding rule 'ip %s %s drop' to chain %s of table ip " TABLE,
                          t->from ? "saddr" : "daddr", labo_ipv4_format (t->blocked, a), t->chain);
      return xasprintf ("adding rule 'ip daddr %s tcp dport %u dnat to %s:%u' to chain %s of "
                        "table ip " TABLE,
                        labo_ipv4_format (t->entry->match_addr, a), (unsigned) t->entry->match_port,
                        labo_ipv4_format (t->entry->to_addr, c), (unsigned) t->entry->to_port,
                        t->chain);
    case OP_DELTABLE:
      return xasprintf ("deleting table %s", table);
    default:
      return xstrdup ("an nf_tables request");
    }
}

/* The kernel's extended-ack text, if it sent one. Every offset is checked
 * against the message's own length before it is followed. */
static const char *
extack_msg (const struct nlmsghdr *nlh)
{
  const struct nlmsgerr *e = mnl_nlmsg_get_payload (nlh);
  size_t payload = mnl_nlmsg_get_payload_len (nlh);
  size_t off = sizeof (*e);
  const char *tail = (const char *) nlh + nlh->nlmsg_len;
  const struct nlattr *attr;

  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
    return NULL;
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
    {
      /* The request was echoed after the header: skip it. */
      if (e->msg.nlmsg_len < sizeof (struct nlmsghdr))
        return NULL;
      off += e->msg.nlmsg_len - sizeof (struct nlmsghdr);
    }
  if (MNL_ALIGN (off) >= payload)
    return NULL;
  for (attr = (const struct nlattr *) ((const char *) e + MNL_ALIGN (off));
       mnl_attr_ok (attr, (int) (tail - (const char *) attr)); attr = mnl_attr_next (attr))
    if (mnl_attr_get_type (attr) == NLMSGERR_ATTR_MSG
        && mnl_attr_validate (attr, MNL_TYPE_NUL_STRING) >= 0)
      return mnl_attr_get_str (attr);
  return NULL;
}

/* Raises a socket buffer to at least `want` bytes, past the system limit if
 * we may (SO_*BUFFORCE needs CAP_NET_ADMIN). Best effort: a buffer still too
 * small shows up as EMSGSIZE or ENOBUFS, reported as such. */
static void
grow_buffer (int fd, int opt, int opt_force, size_t want)
{
  int cur = 0, v;
  socklen_t sl = sizeof (cur);

  if (want > INT_MAX / 2)
    want = INT_MAX / 2;
  if (getsockopt (fd, SOL_SOCKET, opt, &cur, &sl) == 0 && cur >= 0 && (size_t) cur >= want)
    return;
  v = (int) want;
  if (setsockopt (fd, SOL_SOCKET, opt_force, &v, sizeof (v)) < 0)
    (void) setsockopt (fd, SOL_SOCKET, opt, &v, sizeof (v));
}

/* A netfilter netlink socket in the namespace netns_fd (-1: ours): made
 * there (labo_netns_socket), then handed to libmnl. */
static int
nfnl_open (int netns_fd, const char *ns_name, struct mnl_socket **out, labo_error_t *err)
{
  cleanup_free char *what = xasprintf ("the network namespace of %s", ns_name);
  struct mnl_socket *sock;
  int one = 1, saved;
  /* Non-blocking: see read_acks. */
  int fd = labo_netns_socket (netns_fd, what, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
                              NETLINK_NETFILTER, err);

  if (fd < 0)
    return -1;
  sock = mnl_socket_fdopen (fd);
  if (sock == NULL)
    {
      saved = errno;
      close (fd);
      return labo_error_make (err, saved, "opening a netfilter netlink socket in %s", ns_name);
    }
  /* Acks without the request echoed back, but with the kernel's reason. */
  mnl_socket_setsockopt (sock, NETLINK_CAP_ACK, &one, sizeof (one));
  mnl_socket_setsockopt (sock, NETLINK_EXT_ACK, &one, sizeof (one));
  if (mnl_socket_bind (sock, 0, MNL_SOCKET_AUTOPID) < 0)
    {
      saved = errno;
      mnl_socket_close (sock);
      return labo_error_make (err, saved, "binding a netfilter netlink socket in %s", ns_name);
    }
  *out = sock;
  return 0;
}

/* Reads the acknowledgement of every request of the batch and turns the
 * first refusal into an error. nfnetlink processes a batch inside the
 * sendmsg() that carries it and queues all its answers before returning, so
 * everything is already in the socket: reading without blocking cannot miss
 * an answer, and cannot hang on one that never comes (a batch the kernel
 * rejects as a whole is answered once, on the BATCH_BEGIN's sequence number,
 * or not at all). */
static int
read_acks (struct mnl_socket *sock, const struct batch *b, const char *ns_name, labo_error_t *err)
{
  char rbuf[16384];
  cleanup_free bool *acked = xcalloc (b->n_tags ? b->n_tags : 1, sizeof (bool));
  size_t got = 0;
  uint32_t end_seq = b->first_seq + 1 + (uint32_t) b->n_tags;
  /* The refusal with the lowest sequence number: later requests often fail
   * only because an earlier one did. */
  size_t first_bad = SIZE_MAX;
  int first_errno = 0, batch_errno = 0;
  cleanup_free char *why = NULL, *batch_why = NULL;

  while (got < b->n_tags && batch_errno == 0)
    {
      ssize_t n = mnl_socket_recvfrom (sock, rbuf, sizeof (rbuf));
      const struct nlmsghdr *nlh;
      int len;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (n < 0)
        return labo_error_errno (err, "reading nf_tables acknowledgements in %s", ns_name);
      len = (int) n;
      for (nlh = (const struct nlmsghdr *) rbuf; mnl_nlmsg_ok (nlh, len);
           nlh = mnl_nlmsg_next (nlh, &len))
        {
          const struct nlmsgerr *e;
          const char *msg;
          uint32_t seq = nlh->nlmsg_seq;
          size_t i;

          if (nlh->nlmsg_type != NLMSG_ERROR
              || nlh->nlmsg_len < mnl_nlmsg_size (sizeof (struct nlmsgerr)))
            continue;
          e = mnl_nlmsg_get_payload (nlh);
          msg = extack_msg (nlh);
          if (seq == b->first_seq || seq == end_seq)
            {
              /* About the batch as a whole (its commit, or its framing). */
              if (e->error != 0 && batch_errno == 0)
                {
                  batch_errno = -e->error;
                  batch_why = msg ? xstrdup (msg) : NULL;
                }
              continue;
            }
          i = seq - (b->first_seq + 1);
          if (i >= b->n_tags)
            continue; /* not ours */
          if (!acked[i])
            {
              acked[i] = true;
              got++;
            }
          if (e->error == -ENOENT && b->tags[i].absent_ok)
            continue;
          if (e->error != 0 && i < first_bad)
            {
              first_bad = i;
              first_errno = -e->error;
              free (why);
              why = msg ? xstrdup (msg) : NULL;
            }
        }
    }

  if (first_bad != SIZE_MAX)
    {
      const struct tag *t = &b->tags[first_bad];
      cleanup_free char *what = describe (t, b->family);
      /* nf_tables points at the attribute rather than explaining; this
       * one is common enough (someone else's chain under our name) to say. */
      const char *hint = t->op == OP_NEWCHAIN && first_errno == EEXIST
                             ? " (it exists with another type, hook or priority)"
                             : "";
      return labo_error_make (err, first_errno, "%s in %s%s%s%s%s", what, ns_name, hint,
                              why ? " (kernel: " : "", why ? why : "", why ? ")" : "");
    }
  if (batch_errno != 0)
    return labo_error_make (err, batch_errno, "applying %zu nf_tables requests in %s%s%s%s",
                            b->n_tags, ns_name, batch_why ? " (kernel: " : "",
                            batch_why ? batch_why : "", batch_why ? ")" : "");
  if (got < b->n_tags)
    return labo_error_make (err, EPROTO, "nf_tables in %s acknowledged %zu of %zu requests",
                            ns_name, got, b->n_tags);
  return 0;
}

/* Sends the whole batch in one sendmsg (what makes it one transaction) and
 * reads every answer. */
static int
run_batch (int netns_fd, const char *ns_name, const struct batch *b, labo_error_t *err)
{
  struct mnl_socket *sock = NULL;
  int fd, ret;

  if (nfnl_open (netns_fd, ns_name, &sock, err) < 0)
    return -1;
  fd = mnl_socket_get_fd (sock);
  grow_buffer (fd, SO_SNDBUF, SO_SNDBUFFORCE, b->len + 4096);
  grow_buffer (fd, SO_RCVBUF, SO_RCVBUFFORCE, (b->n_tags + 2) * ACK_ROOM);
  if (mnl_socket_sendto (sock, b->buf, b->len) < 0)
    ret = labo_error_errno (err, "sending %zu nf_tables requests in %s", b->n_tags, ns_name);
  else
    ret = read_acks (sock, b, ns_name, err);
  mnl_socket_close (sock);
  return ret;
}

int
labo_nft_set_dnat (int netns_fd, const char *ns_name, const struct labo_nft_dnat *v, size_t n,
                   labo_error_t *err)
{
  struct batch b;
  int ret;

  /* Port 0 is never on the wire: a rule with it would be a silent no-op, or
   * a rewrite to nowhere. */
  for (size_t i = 0; i < n; i++)
    if (v[i].match_port == 0 || v[i].to_port == 0)
      {
        char a[16], c[16];
        return labo_error_make (err, EINVAL, "forwarding %s:%u to %s:%u in %s: port 0",
                                labo_ipv4_format (v[i].match_addr, a), (unsigned) v[i].match_port,
                                labo_ipv4_format (v[i].to_addr, c), (unsigned) v[i].to_port,
                                ns_name);
      }

  batch_begin (&b);
  put_table (&b, NFT_MSG_NEWTABLE, NLM_F_CREATE, OP_NEWTABLE);
  put_chain (&b, CHAIN_PRE, "nat", NF_INET_PRE_ROUTING, NAT_PRIORITY);
  put_chain (&b, CHAIN_OUT, "nat", NF_INET_LOCAL_OUT, NAT_PRIORITY);
  put_flush (&b, CHAIN_PRE);
  put_flush (&b, CHAIN_OUT);
  for (size_t i = 0; i < n; i++)
    put_dnat_rule (&b, CHAIN_PRE, &v[i]);
  for (size_t i = 0; i < n; i++)
    put_dnat_rule (&b, CHAIN_OUT, &v[i]);
  batch_end (&b);

  ret = run_batch (netns_fd, ns_name, &b, err);
  batch_free (&b);
  return ret;
}

int
labo_nft_set_blocks (int netns_fd, const char *ns_name, const uint32_t *to, size_t n_to,
                     const uint32_t *from, size_t n_from, labo_error_t *err)
{
  struct batch b;
  int ret;

  batch_begin (&b);
  put_table (&b, NFT_MSG_NEWTABLE, NLM_F_CREATE, OP_NEWTABLE);
  put_chain (&b, CHAIN_BLOCK_IN, "filter", NF_INET_LOCAL_IN, BLOCK_PRIORITY);
  put_chain (&b, CHAIN_BLOCK_OUT, "filter", NF_INET_LOCAL_OUT, BLOCK_PRIORITY);
  put_chain (&b, CHAIN_BLOCK_FWD, "filter", NF_INET_FORWARD, BLOCK_PRIORITY);
  put_flush (&b, CHAIN_BLOCK_IN);
  put_flush (&b, CHAIN_BLOCK_OUT);
  put_flush (&b, CHAIN_BLOCK_FWD);
  for (size_t i = 0; i < n_to; i++)
    {
      put_drop_rule (&b, CHAIN_BLOCK_OUT, to[i], false);
      put_drop_rule (&b, CHAIN_BLOCK_FWD, to[i], false);
    }
  for (size_t i = 0; i < n_from; i++)
    {
      put_drop_rule (&b, CHAIN_BLOCK_IN, from[i], true);
      put_drop_rule (&b, CHAIN_BLOCK_FWD, from[i], true);
    }
  batch_end (&b);
  ret = run_batch (netns_fd, ns_name, &b, err);
  batch_free (&b);
  return ret;
}

/* ---- the gate on a root link (bridge family) ---- */

static void
gate_meta (struct nftnl_rule *r, uint32_t key)
{
  struct nftnl_expr *e = expr_new (r, "meta");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_META_DREG, NFT_REG_1);
}

/* iifname/oifname "<port>": the whole IFNAMSIZ, zero-padded, as nft does */
static void
gate_ifname (struct nftnl_rule *r, bool in, const char *port)
{
  char name[IFNAMSIZ] = { 0 };
  snprintf (name, sizeof (name), "%s", port);
  gate_meta (r, in ? NFT_META_IIFNAME : NFT_META_OIFNAME);
  put_cmp_eq (r, name, sizeof (name));
}

static void
gate_cmp (struct nftnl_rule *r, enum nft_cmp_ops op, const void *data, uint32_t len)
{
  struct nftnl_expr *e = expr_new (r, "cmp");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_CMP_OP, op);
  check_set (nftnl_expr_set (e, NFTNL_EXPR_CMP_DATA, data, len));
}

/* "tcp flags & (syn|ack) == syn": the first packet of a connection */
static void
gate_syn_only (struct nftnl_rule *r)
{
  uint8_t mask = TH_SYN | TH_ACK, zero = 0, syn = TH_SYN;
  struct nftnl_expr *e;

  put_payload (r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1);
  e = expr_new (r, "bitwise");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_BITWISE_LEN, 1);
  check_set (nftnl_expr_set (e, NFTNL_EXPR_BITWISE_MASK, &mask, 1));
  check_set (nftnl_expr_set (e, NFTNL_EXPR_BITWISE_XOR, &zero, 1));
  put_cmp_eq (r, &syn, 1);
}

/* "th dport lo-hi" (dst) or "th sport lo-hi": big-endian, so the
 * kernel's byte-wise comparison orders ports as numbers */
static void
gate_ports (struct nftnl_rule *r, bool dst, uint16_t lo, uint16_t hi)
{
  uint16_t l = htons (lo), h = htons (hi);
  put_payload (r, NFT_PAYLOAD_TRANSPORT_HEADER, dst ? 2 : 0, 2);
  if (lo == hi)
    put_cmp_eq (r, &l, 2);
  else
    {
      gate_cmp (r, NFT_CMP_GTE, &l, 2);
      gate_cmp (r, NFT_CMP_LTE, &h, 2);
    }
}

/* One rule of the gate: on frames entering (in) or leaving through port,
 * of L4 protocol proto (0: any), optionally SYN-only, optionally to or
 * from a port range, with a verdict; ethertype (0: any) for non-IP. */
struct gate_rule
{
  const char *chain;   /* the rule's chain */
  const char *jump;    /* a jump to this chain (the verdict then is not used) */
  const char *port;    /* match iifname/oifname port, or NULL */
  bool in;
  uint8_t proto;       /* 0: no L4 match */
  uint16_t ethertype;  /* 0: no ethertype match */
  bool syn_only;
  int ports;           /* 0 none, 1 destination, 2 source */
  uint16_t lo, hi;
  uint32_t verdict;    /* NF_ACCEPT or NF_DROP */
};

static void
put_gate_rule (struct batch *b, const struct gate_rule *g)
{
  cleanup_rule struct nftnl_rule *r = nftnl_rule_alloc ();
  struct nftnl_expr *e;
  struct nlmsghdr *nlh;
  struct tag *t;

  check_alloc (r);
  check_set (nftnl_rule_set_str (r, NFTNL_RULE_TABLE, TABLE));
  check_set (nftnl_rule_set_str (r, NFTNL_RULE_CHAIN, g->chain));
  if (g->port)
    gate_ifname (r, g->in, g->port);
  if (g->ethertype)
    {
      uint16_t et = htons (g->ethertype);
      gate_meta (r, NFT_META_PROTOCOL);
      put_cmp_eq (r, &et, 2);
    }
  if (g->proto)
    {
      gate_meta (r, NFT_META_L4PROTO);
      put_cmp_eq (r, &g->proto, 1);
    }
  if (g->syn_only)
    gate_syn_only (r);
  if (g->ports)
    gate_ports (r, g->ports == 1, g->lo, g->hi);
  e = expr_new (r, "immediate");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_IMM_VERDICT, g->jump ? (uint32_t) NFT_JUMP : g->verdict);
  if (g->jump)
    check_set (nftnl_expr_set_str (e, NFTNL_EXPR_IMM_CHAIN, g->jump));
  nlh = begin (b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, OP_NEWRULE, g->chain, NULL);
  t = &b->tags[b->n_tags - 1];
  {
    /* the rule as nft would print it, for an error about it */
    char *o = t->text;
    size_t left = sizeof (t->text);
    const char *l4 = g->proto == IPPROTO_TCP   ? "tcp"
                     : g->proto == IPPROTO_UDP ? "udp"
                     : g->proto == IPPROTO_ICMP ? "icmp"
                                                : "ipv6-icmp";
    int k = g->port ? snprintf (o, left, "%s \"%s\"", g->in ? "iifname" : "oifname", g->port)
                    : snprintf (o, left, "%s", g->in ? "from the root:" : "toward the root:");
#define GATE_MORE(...)                                                                        \
  do                                                                                          \
    {                                                                                         \
      if (k > 0 && (size_t) k < left)                                                         \
        o += k, left -= (size_t) k;                                                           \
      k = snprintf (o, left, __VA_ARGS__);                                                    \
    }                                                                                         \
  while (0)
    if (g->ethertype)
      GATE_MORE (" meta protocol 0x%04x", (unsigned) g->ethertype);
    if (g->proto)
      GATE_MORE (" meta l4proto %s", l4);
    if (g->syn_only)
      GATE_MORE (" tcp flags & (syn|ack) == syn");
    if (g->ports)
      GATE_MORE (" th %s %u-%u", g->ports == 1 ? "dport" : "sport", (unsigned) g->lo,
                 (unsigned) g->hi);
    if (g->jump)
      GATE_MORE (" jump %s", g->jump);
    else
      GATE_MORE (" %s", g->verdict == NF_ACCEPT ? "accept" : "drop");
#undef GATE_MORE
  }
  nftnl_rule_nlmsg_build_payload (nlh, r);
  end (b, nlh);
}

/* One direction of a gate, in its own chain (reached by a jump on the
 * port, so that the frames of the rest of the lab pay one comparison per
 * gate): `allow` is what may be opened that way, `replies` what may be
 * opened the other way (its UDP answers come back from those ports). */
static void
put_gate_direction (struct batch *b, const char *chain, bool in,
                    const struct labo_nft_range *allow, size_t n_allow,
                    const struct labo_nft_range *replies, size_t n_replies)
{
#define RULE(...) put_gate_rule (b, &(struct gate_rule) { chain, NULL, NULL, in, __VA_ARGS__ })
  for (size_t i = 0; i < n_allow; i++)
    if (allow[i].proto == IPPROTO_TCP)
      RULE (IPPROTO_TCP, 0, true, 1, allow[i].lo, allow[i].hi, NF_ACCEPT);
  RULE (IPPROTO_TCP, 0, true, 0, 0, 0, NF_DROP);
  RULE (IPPROTO_TCP, 0, false, 0, 0, 0, NF_ACCEPT);
  for (size_t i = 0; i < n_allow; i++)
    if (allow[i].proto == IPPROTO_UDP)
      RULE (IPPROTO_UDP, 0, false, 1, allow[i].lo, allow[i].hi, NF_ACCEPT);
  for (size_t i = 0; i < n_replies; i++)
    if (replies[i].proto == IPPROTO_UDP)
      RULE (IPPROTO_UDP, 0, false, 2, replies[i].lo, replies[i].hi, NF_ACCEPT);
  RULE (IPPROTO_ICMP, 0, false, 0, 0, 0, NF_ACCEPT);
  RULE (IPPROTO_ICMPV6, 0, false, 0, 0, 0, NF_ACCEPT);
  RULE (0, ETH_P_ARP, false, 0, 0, 0, NF_ACCEPT);
  RULE (0, 0, false, 0, 0, 0, NF_DROP);
#undef RULE
}

/* ---- a copy's root link: prefixes swapped on the port (bridge family) ---- */

static void
put_bitwise (struct nftnl_rule *r, uint32_t len, const void *mask, const void *xor)
{
  struct nftnl_expr *e = expr_new (r, "bitwise");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_BITWISE_LEN, len);
  check_set (nftnl_expr_set (e, NFTNL_EXPR_BITWISE_MASK, mask, len));
  check_set (nftnl_expr_set (e, NFTNL_EXPR_BITWISE_XOR, xor, len));
}

/* On frames through `port` (entering: in) of ethertype et, the address at
 * `offset` of the network header, when in from/len, becomes the same host
 * in to/len. IPv4's header checksum and TCP's and UDP's (their
 * pseudo-header holds the addresses) are fixed by the kernel as it
 * writes; ARP has none. As nft would compile "ip saddr 198.18.3.0/24 ip
 * saddr set ip saddr & 0.0.0.255 | 198.51.100.0". */
static void
put_map_rule (struct batch *b, const char *chain, const char *port, bool in, uint16_t et,
              uint32_t offset, uint32_t from, uint32_t to, uint8_t len)
{
  static const uint8_t arp_ipv4[6] = { 0, 1, 8, 0, 6, 4 }; /* Ethernet, IPv4, 6, 4 */
  cleanup_rule struct nftnl_rule *r = nftnl_rule_alloc ();
  uint32_t net = htonl (labo_prefix_mask (len)), host = ~net, zero = 0;
  uint32_t nfrom = htonl (from), nto = htonl (to) & net;
  uint16_t net_et = htons (et);
  char f[16], t2[16];
  struct nftnl_expr *e;
  struct nlmsghdr *nlh;

  check_alloc (r);
  check_set (nftnl_rule_set_str (r, NFTNL_RULE_TABLE, TABLE));
  check_set (nftnl_rule_set_str (r, NFTNL_RULE_CHAIN, chain));
  gate_ifname (r, in, port);
  gate_meta (r, NFT_META_PROTOCOL);
  put_cmp_eq (r, &net_et, 2);
  if (et == ETH_P_ARP)
    {
      put_payload (r, NFT_PAYLOAD_NETWORK_HEADER, 0, sizeof arp_ipv4);
      put_cmp_eq (r, arp_ipv4, sizeof arp_ipv4);
    }
  put_payload (r, NFT_PAYLOAD_NETWORK_HEADER, offset, 4);
  put_bitwise (r, 4, &net, &zero);
  put_cmp_eq (r, &nfrom, 4);
  put_payload (r, NFT_PAYLOAD_NETWORK_HEADER, offset, 4);
  put_bitwise (r, 4, &host, &nto);
  e = expr_new (r, "payload");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_PAYLOAD_SREG, NFT_REG_1);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_PAYLOAD_LEN, 4);
  if (et == ETH_P_IP)
    {
      nftnl_expr_set_u32 (e, NFTNL_EXPR_PAYLOAD_CSUM_TYPE, NFT_PAYLOAD_CSUM_INET);
      nftnl_expr_set_u32 (e, NFTNL_EXPR_PAYLOAD_CSUM_OFFSET, 10);
      nftnl_expr_set_u32 (e, NFTNL_EXPR_PAYLOAD_FLAGS, NFT_PAYLOAD_L4CSUM_PSEUDOHDR);
    }
  nlh = begin (b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, OP_NEWRULE, chain, NULL);
  snprintf (b->tags[b->n_tags - 1].text, sizeof b->tags[0].text,
            "%s \"%s\" %s @nh,%u: %s/%u -> %s", in ? "iifname" : "oifname", port,
            et == ETH_P_IP ? "ipv4" : "arp", (unsigned) offset, labo_ipv4_format (from, f),
            (unsigned) len, labo_ipv4_format (to, t2));
  nftnl_rule_nlmsg_build_payload (nlh, r);
  end (b, nlh);
}

/* Both ways of one copy's root port: IPv4 source and destination, ARP's
 * sender and target. */
static void
put_map (struct batch *b, const char *port, const struct labo_nft_map *m)
{
  static const struct
  {
    uint16_t et;
    uint32_t offset;
  } fields[] = { { ETH_P_IP, 12 }, { ETH_P_IP, 16 }, { ETH_P_ARP, 14 }, { ETH_P_ARP, 24 } };

  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    {
      put_map_rule (b, CHAIN_MAP_IN, port, true, fields[i].et, fields[i].offset, m->outside,
                    m->inside, m->len);
      put_map_rule (b, CHAIN_MAP_OUT, port, false, fields[i].et, fields[i].offset, m->inside,
                    m->outside, m->len);
    }
}

/* Toward the machine, a copy's IPv4 goes to the machine's own address
 * only: "ip daddr != ROOT drop", first in the port's to-root chain. */
static void
put_map_only_root (struct batch *b, const char *chain, const struct labo_nft_map *m)
{
  cleanup_rule struct nftnl_rule *r = nftnl_rule_alloc ();
  uint16_t ip = htons (ETH_P_IP);
  uint32_t root = htonl (m->root);
  char a[16];
  struct nftnl_expr *e;
  struct nlmsghdr *nlh;

  check_alloc (r);
  check_set (nftnl_rule_set_str (r, NFTNL_RULE_TABLE, TABLE));
  check_set (nftnl_rule_set_str (r, NFTNL_RULE_CHAIN, chain));
  gate_meta (r, NFT_META_PROTOCOL);
  put_cmp_eq (r, &ip, 2);
  put_payload (r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
  gate_cmp (r, NFT_CMP_NEQ, &root, 4);
  e = expr_new (r, "immediate");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_IMM_VERDICT, NF_DROP);
  nlh = begin (b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, OP_NEWRULE, chain, NULL);
  snprintf (b->tags[b->n_tags - 1].text, sizeof b->tags[0].text, "ip daddr != %s drop",
            labo_ipv4_format (m->root, a));
  nftnl_rule_nlmsg_build_payload (nlh, r);
  end (b, nlh);
}

int
labo_nft_set_gates (int netns_fd, const char *ns_name, const struct labo_nft_gate *gates,
                    size_t n, labo_error_t *err)
{
  struct batch b;
  char **chains;
  bool maps = false;
  int ret;

  for (size_t i = 0; i < n; i++)
    {
      if (gates[i].port == NULL || strlen (gates[i].port) >= IFNAMSIZ)
        return labo_error_make (err, EINVAL, "a root link's port name in %s", ns_name);
      for (size_t k = 0; k < gates[i].n_in + gates[i].n_out; k++)
        {
          const struct labo_nft_range *x = k < gates[i].n_in ? &gates[i].in[k]
                                                             : &gates[i].out[k - gates[i].n_in];
          if ((x->proto != IPPROTO_TCP && x->proto != IPPROTO_UDP) || x->lo == 0 || x->lo > x->hi)
            return labo_error_make (err, EINVAL, "port range %u-%u for %s in %s",
                                    (unsigned) x->lo, (unsigned) x->hi, gates[i].port, ns_name);
        }
    }
  chains = xcalloc (2 * n + 1, sizeof (char *));
  batch_begin_family (&b, NFPROTO_BRIDGE);
  put_table (&b, NFT_MSG_NEWTABLE, NLM_F_CREATE, OP_NEWTABLE);
  put_chain (&b, CHAIN_GATE, "filter", NF_BR_FORWARD, GATE_PRIORITY);
  put_flush (&b, CHAIN_GATE);
  for (size_t i = 0; i < n && !maps; i++)
    maps = gates[i].map != NULL;
  if (maps)
    {
      put_chain (&b, CHAIN_MAP_IN, "filter", NF_BR_PRE_ROUTING, MAP_IN_PRIORITY);
      put_flush (&b, CHAIN_MAP_IN);
      put_chain (&b, CHAIN_MAP_OUT, "filter", NF_BR_POST_ROUTING, MAP_OUT_PRIORITY);
      put_flush (&b, CHAIN_MAP_OUT);
    }
  for (size_t i = 0; i < n; i++)
    {
      chains[2 * i] = xasprintf ("to-root-%s", gates[i].port);
      chains[2 * i + 1] = xasprintf ("from-root-%s", gates[i].port);
      for (int k = 0; k < 2; k++)
        {
          put_chain (&b, chains[2 * i + k], NULL, 0, 0);
          put_flush (&b, chains[2 * i + k]);
        }
      if (gates[i].map)
        {
          put_map (&b, gates[i].port, gates[i].map);
          put_map_only_root (&b, chains[2 * i], gates[i].map);
        }
      /* toward the root: only what `out` allows */
      put_gate_direction (&b, chains[2 * i], false, gates[i].out, gates[i].n_out, gates[i].in,
                          gates[i].n_in);
      /* from the root: only what `in` allows */
      put_gate_direction (&b, chains[2 * i + 1], true, gates[i].in, gates[i].n_in, gates[i].out,
                          gates[i].n_out);
      put_gate_rule (&b, &(struct gate_rule) { .chain = CHAIN_GATE, .jump = chains[2 * i],
                                               .port = gates[i].port, .in = false });
      put_gate_rule (&b, &(struct gate_rule) { .chain = CHAIN_GATE, .jump = chains[2 * i + 1],
                                               .port = gates[i].port, .in = true });
    }
  batch_end (&b);
  ret = run_batch (netns_fd, ns_name, &b, err);
  batch_free (&b);
  for (size_t i = 0; i < 2 * n; i++)
    free (chains[i]);
  free (chains);
  return ret;
}

int
labo_nft_delete (int netns_fd, const char *ns_name, labo_error_t *err)
{
  struct batch b;
  int ret;

  batch_begin (&b);
  put_table (&b, NFT_MSG_DELTABLE, 0, OP_DELTABLE);
  /* Not NFT_MSG_DESTROYTABLE, which says nothing when the table is absent:
   * it is only in kernels from 6.3. */
  b.tags[0].absent_ok = true;
  batch_end (&b);
  ret = run_batch (netns_fd, ns_name, &b, err);
  batch_free (&b);
  return ret;
}
