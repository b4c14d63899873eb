/* Faults a trainer injects into a running lab: partitions between hosts
 * and hosts powered off.
 *
 * A partition is a set of cuts, "traffic from host A to host B is
 * dropped", recorded in $LABO_RUN_DIR/<lab>/partitions (one "A B" line a
 * cut) and applied as nf_tables drop rules in each host's own namespace
 * (net/nft.c, chains block-in/out/fwd): a host drops what it would send
 * or forward to the addresses of the hosts it is cut from, and what it
 * receives or forwards from them. Everything IP between the two goes:
 * ZooKeeper's quorum and election traffic, Swarm's gossip and control,
 * VXLAN, published ports. Nothing outside the lab's namespaces is
 * touched; the rules go with the lab at `down`. A host's addresses are its
 * links' addresses and, in the process runtime, its nodes' overlay
 * addresses (which its own interface carries).
 *
 * Powered-off hosts are listed in $LABO_RUN_DIR/<lab>/power (one name a
 * line); the supervisor powers hosts off and on (it owns their processes)
 * and reads the list when it starts. Concurrent changes are serialised by
 * an flock on the file being changed. */
#ifndef LABO_FAULTS_H
#define LABO_FAULTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labo/util/error.h"
#include "labo/model/lab.h"
#include "labo/model/records.h"

/* Cuts a from b (both ways, or a to b only), records it and applies it.
 * Returns the number of cuts that were not there before. */
int labo_partition (const struct labo_lab *lab, size_t a, size_t b, bool oneway,
                    labo_error_t *err);
/* Cuts a from every other host, both ways. */
int labo_isolate (const struct labo_lab *lab, size_t a, labo_error_t *err);
/* Removes the cuts between a and b (either way), or all with a == -1.
 * Returns how many were removed. */
int labo_heal (const struct labo_lab *lab, long a, long b, labo_error_t *err);

/* Writes every host's drop rules from the cuts given. */
int labo_cuts_apply (const struct labo_lab *lab, const struct labo_cut *cuts, size_t n,
                     labo_error_t *err);

/* The addresses host h is reached at (see above); caller frees. */
size_t labo_host_addresses (const struct labo_lab *lab, size_t h, uint32_t **addrs);

/* Asks the lab's supervisor, which must run, to power host h off or on
 * (it ends or starts the host's processes, and records it), or to send
 * signal sig to a node. */
int labo_power_request (const struct labo_lab *lab, size_t h, bool on, labo_error_t *err);
int labo_kill_request (const struct labo_lab *lab, size_t node, int sig, labo_error_t *err);

/* {"partitions": [{"from", "to"}...], "powered_off": [...], "links":
 * labo_links_json(), "paused": [node...] (pause.h)} for status. */
json_t *labo_faults_json (const struct labo_lab *lab);

#endif
