/* Link settings of a running lab: delay, jitter, loss and rate on a host's
 * link to a segment, and the link pulled out (--down) or plugged back.
 *
 * Settings apply to each direction of the link, like a cable's: with a
 * delay of 100 ms a round trip between two hosts across it takes 200 ms
 * more; a loss of 2% drops 2% of the frames each way; a rate of 10mbit
 * paces each direction at 10 Mbit/s.
 *
 * Two mechanisms, chosen when a link is first set and kept until it is
 * reset (`labo link show` names it):
 *   netem     where the kernel has sch_netem: a netem qdisc on both ends'
 *             egress (the host's interface, the bridge port pN);
 *   emulator  elsewhere (this kernel, WSL2, many VM kernels): labo's own
 *             forwarder (net/linkemu.c), spliced into the switch
 *             namespace between the port pN (taken off the bridge) and a
 *             new veth pair pN-emu / pN-br (pN-br on the bridge in its
 *             place), running as a process of that namespace:
 *               host eth0 <-> pN ==emulator== pN-emu <-> pN-br <-> bridge
 * Settings persist until changed (a later `labo link` changes only the
 * settings it names) and are recorded in $LABO_RUN_DIR/<lab>/links/
 * (<host>@<segment>.conf, and the emulator's .pid and .log). They go at
 * `labo down` with the switch namespace, whose processes it kills.
 *
 * Host-to-host (p2p) links take settings through netem only: the emulator
 * needs a bridge port to splice into. */
#ifndef LABO_LINKS_H
#define LABO_LINKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "labo/util/error.h"
#include "labo/model/lab.h"
#include "labo/model/impair.h"
#include "labo/net/linkemu.h"

/* The link of `host` to `segment` (NULL: the host's only link to a
 * segment, or its only link). Returns 0, or -1 naming what there is. */
int labo_link_lookup (const struct labo_lab *lab, const char *host, const char *segment,
                      size_t *link, labo_error_t *err);
/* "mida-clm1@internet", "a@b" (p2p); caller frees. */
char *labo_link_name (const struct labo_lab *lab, size_t link);

/* The settings on record for a link (all zero when none). */
void labo_linkset_load (const struct labo_lab *lab, size_t link, struct labo_linkset *out);

/* Makes the link carry `want`. want->mech is the mechanism asked for: a
 * link that has one keeps it; for one that has none, NONE probes (netem
 * if the kernel has it, else the emulator). When nothing is left to
 * impair and no mechanism was asked for, the mechanism is taken away
 * (asked for, it stays in place with no impairment: what the benchmark
 * measures). On return want->mech is the mechanism in place. */
int labo_linkset_apply (const struct labo_lab *lab, size_t link, struct labo_linkset *want,
                        labo_error_t *err);
/* The link as `up` made it: the lab file's settings (delay:, loss: ...
 * on the link), or none. */
int labo_linkset_reset (const struct labo_lab *lab, size_t link, labo_error_t *err);
/* Every link whose settings are not the lab file's, reset (`labo link
 * reset`, `labo reset`). Returns how many were, or -1 at the first that
 * failed. */
int labo_links_reset_all (const struct labo_lab *lab, labo_error_t *err);
/* up's stage: the lab file's settings put in place, on every link that
 * names some. Returns how many, or -1. */
int labo_links_apply_declared (const struct labo_lab *lab, labo_error_t *err);

/* Every link with something on record, for status and `link show`:
 * [{"link", "host", "segment" | "peer", "interface", "port", "mechanism",
 *   "state", "delay_us", "jitter_us", "loss_ppm", "rate_bps", "settings",
 *   with the emulator "emulators": [{"between", "running", "pid",
 *   "from_host", "to_host": {"frames", "bytes", "lost", "overflow",
 *   "unsupported"}}]}] (docs/status.md). */
json_t *labo_links_json (const struct labo_lab *lab);

/* The emulator process (`labo __linkemu`, which labo_linkset_apply
 * starts): takes the lock of <base>.pid, enters the switch namespace and
 * forwards between `port` and `emu_port` with the settings of conf (the
 * link's record, which the overlay's emulator shares), counting in
 * <base>.stats. The forwarding runs in a child it restarts when it dies
 * (the supervisor's default policy; each death is a line of the log).
 * Writes a byte to ready_fd once the first child forwards; returns -1 if
 * that child could not start, or when it gave up. */
int labo_linkemu_serve (const char *switch_ns, const char *port, const char *emu_port,
                        const char *base, const char *conf, int ready_fd, labo_error_t *err);

#endif
