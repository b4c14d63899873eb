/* The gate between the machine and a lab. A segment's root link is the
 * machine's way into the lab, and the lab's way to the machine: every
 * local user can open connections from the root namespace, and a lab's
 * hosts (and their containers) could reach any service of the machine
 * bound to 0.0.0.0. So each root link has a gate, in the lab's own switch
 * namespace (never in the machine's firewall), which lets through:
 *   - from the machine into the lab: new connections only to what the lab
 *     publishes (nodes' `ports`, the Docker APIs of `api_tcp`) and to the
 *     segment's `root.expose`; not Swarm's 2377 and 7946, not a daemon's
 *     plain API unless the lab file says `insecure`;
 *   - from the lab to the machine: new connections only to the segment's
 *     `root.allow` (none by default);
 *   - replies, ICMP and ARP both ways.
 * A copy's root link (include/labo/model/copy.h) also translates between
 * the copy's block and the segment's subnet, and lets the copy's hosts
 * reach only the machine's own address through it: copies never reach
 * each other through the machine.
 * The rules themselves are nft.c's (labo_nft_set_gates); this is what
 * they are given. Pure but for labo_gate_apply. */
#ifndef LABO_GATE_H
#define LABO_GATE_H

#include <net/if.h>
#include <stddef.h>

#include "labo/util/error.h"
#include "labo/model/lab.h"
#include "labo/net/nft.h"
#include "labo/model/plan.h"

struct labo_gate
{
  char port[IFNAMSIZ];        /* the root link's port in the switch namespace */
  size_t segment;             /* index into lab->segments */
  struct labo_nft_range *in;  /* the machine may open connections to these */
  size_t n_in;
  struct labo_nft_range *out; /* the lab may open connections to these on the machine */
  size_t n_out;
  bool mapped;                /* a copy's root link: its prefixes swapped */
  struct labo_nft_map map;
};

/* One gate per root link of the plan, ranges sorted and merged. */
struct labo_gate *labo_gates_build (const struct labo_lab *lab, const struct labo_plan *plan,
                                    size_t *n);
void labo_gates_free (struct labo_gate *g, size_t n);

/* "32181/tcp, 33888/tcp, 2376/tcp" (or "nothing"): for progress and status. Caller frees. */
char *labo_gate_ranges_text (const struct labo_nft_range *r, size_t n);

/* Writes the gates into the switch namespace switch_fd. */
int labo_gates_apply (const struct labo_lab *lab, const struct labo_plan *plan, int switch_fd,
                      labo_error_t *err);

#endif
