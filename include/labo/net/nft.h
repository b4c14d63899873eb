/* nf_tables port forwarding (TCP DNAT) in a network namespace, written
 * through netlink with libnftnl and libmnl (never the nft program).
 *
 * labo owns one table per namespace, "ip labo". This module owns two of its
 * chains, the NAT base chains "dnat-pre" (prerouting: packets arriving from
 * other namespaces) and "dnat-out" (output: connections made from inside the
 * namespace itself, to its own addresses), and rewrites them whole on every
 * call; any other chain of the table belongs to someone else and is left
 * alone. Every change is one nfnetlink batch, which the kernel applies
 * atomically: a failure leaves the namespace's ruleset as it was. The socket
 * is opened inside the target namespace (a netlink socket stays tied to the
 * namespace it was created in), and the calling thread is back in its own
 * namespace on return. Errors name the namespace, the request that failed,
 * the errno and the kernel's extended ack message when it gives one. */
#ifndef LABO_NFT_H
#define LABO_NFT_H

#include <stddef.h>
#include <stdint.h>

#include "labo/util/error.h"

/* One port forwarding rule: TCP to match_addr:match_port is sent to to_addr:to_port.
 * Addresses in host byte order (as struct labo_prefix keeps them). */
struct labo_nft_dnat
{
  uint32_t match_addr;
  uint16_t match_port;
  uint32_t to_addr;
  uint16_t to_port;
};

/* In the network namespace netns_fd (-1: the calling thread's own), makes sure
 * table "ip labo" exists with two NAT chains, "dnat-pre" (hook prerouting, priority
 * -100, type nat) and "dnat-out" (hook output, priority -100, type nat), flushes
 * those two chains only (other chains of the table, which later code will add for
 * packet filtering, are left alone), and fills both with one rule per entry of v
 * ("ip daddr A tcp dport P dnat to B:Q"), in v's order. All of it in ONE nfnetlink
 * batch, so it is atomic: on any failure nothing changes. n == 0 leaves the chains empty.
 * ns_name is for messages only. Errors name the namespace and the kernel's reason.
 * A port of 0 in an entry is refused (EINVAL) before anything is sent. */
int labo_nft_set_dnat (int netns_fd, const char *ns_name, const struct labo_nft_dnat *v,
                       size_t n, labo_error_t *err);

/* In the namespace netns_fd, the chains "block-in", "block-out" and
 * "block-fwd" of table ip labo (filter, hooks input, output, forward,
 * priority -350: before any daemon's own rules) are made to drop every
 * packet to an address of `to` (sent or forwarded) and every packet from
 * an address of `from` (received or forwarded), and nothing else: what a
 * partition between hosts needs. One atomic batch; the DNAT chains and
 * any other chain are left alone. n_to == n_from == 0 lets all through. */
int labo_nft_set_blocks (int netns_fd, const char *ns_name, const uint32_t *to, size_t n_to,
                         const uint32_t *from, size_t n_from, labo_error_t *err);

/* The gate on a root link, in the lab's switch namespace, where the root
 * namespace's veth is a port of a segment's bridge: table "bridge labo",
 * chain "root-gate" (filter, hook forward, priority -200), rewritten whole
 * in one batch. For each gate, frames crossing `port`:
 *   - a new TCP connection (SYN without ACK) toward the root only to a
 *     port of `out`, from the root only to a port of `in`; the rest of TCP
 *     passes (it belongs to connections that were let in);
 *   - UDP toward the root only to `out`, or from a port of `in` (replies
 *     of what the root may reach); from the root likewise, mirrored;
 *   - ICMP, ICMPv6 and ARP pass; every other frame is dropped.
 * Stateless on purpose: the bridge family's connection tracking
 * (nf_conntrack_bridge) is missing from many kernels (this project's CI
 * machines among them), and a TCP connection cannot be opened without
 * its SYN. n == 0 leaves the chain empty (everything passes). */
struct labo_nft_range
{
  uint8_t proto;     /* IPPROTO_TCP or IPPROTO_UDP */
  uint16_t lo, hi;   /* inclusive */
};
/* A copy's root link (include/labo/model/copy.h): on frames entering
 * from the port, IPv4 source and destination addresses (and ARP's sender
 * and target) in `outside` become the same host in `inside`; on frames
 * leaving through it, the other way. Stateless, checksums fixed by the
 * kernel, in chains "root-map-in" (hook prerouting, priority -300) and
 * "root-map-out" (postrouting, 300). Toward the machine, only IPv4 to
 * `root` (the machine's address, inside) passes the gate: the machine is
 * no router between copies. */
struct labo_nft_map
{
  uint32_t inside, outside; /* the two prefixes' networks, host byte order */
  uint8_t len;
  uint32_t root;
};
struct labo_nft_gate
{
  const char *port;  /* the bridge port (veth end) of the root link */
  const struct labo_nft_range *in;  /* what the root may open in the lab */
  size_t n_in;
  const struct labo_nft_range *out; /* what the lab may open on the root */
  size_t n_out;
  const struct labo_nft_map *map; /* NULL: no translation */
};
int labo_nft_set_gates (int netns_fd, const char *ns_name, const struct labo_nft_gate *g,
                        size_t n, labo_error_t *err);

/* Deletes table "ip labo" in that namespace; absent is not an error. */
int labo_nft_delete (int netns_fd, const char *ns_name, labo_error_t *err);

#endif
