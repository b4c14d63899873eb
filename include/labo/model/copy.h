/* Copies of a lab: `labo up FILE --name NAME` and `labo up FILE --copies N`.
 *
 * A copy is the file's lab under another name. Its namespaces, cgroups,
 * state and daemons are named after the copy; inside, everything is the
 * file's (host names, addresses, published ports), so that attendees type
 * the tutorial's commands unchanged in every copy.
 *
 * What the machine sees differs. Each root link of a copy gets a block of
 * addresses of its own, of the segment's size, from the pool (default
 * 198.18.0.0/15, the range RFC 2544 sets aside for test networks and that
 * no network routes; $LABO_POOL or `up --pool` change it), and the switch
 * namespace swaps the block's prefix and the segment's on the root port,
 * both ways, statelessly (include/labo/net/nft.h, labo_nft_set_maps). The
 * machine reaches 198.51.100.198 of copy k at 198.18.k.198; the copy's
 * hosts see the machine at the file's root address, as in the original.
 *
 * Kernel names made from the lab's name that would pass IFNAMSIZ (the root
 * interfaces) are derived to fit (labo_copy_ifname).
 *
 * Pure logic: the pool's bookkeeping on the machine (which blocks other
 * labs hold) is the engine's (up.c), under a lock. */
#ifndef LABO_COPY_H
#define LABO_COPY_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "labo/model/lab.h"
#include "labo/util/error.h"

#define LABO_POOL_DEFAULT "198.18.0.0/15"
#define LABO_COPIES_MAX 256

/* Makes `lab` (parsed from its file) the copy `name`: copy_of keeps the
 * file's name, root interfaces get copy names. The name must be a lab
 * name (labo_lab_name_check); a copy of a copy is refused. */
int labo_lab_copy (struct labo_lab *lab, const char *name, labo_error_t *err);

/* The root interface of segment `seg` in copy `lab`: "<lab>-<segment>"
 * when it fits in IFNAMSIZ-1 bytes; else the lab's name cut to 8 bytes,
 * '-' and 6 hex digits of a hash of both names and `salt` (raised by the
 * caller until the lab's own names are distinct). Two labs' names can
 * still meet (1 in 16 million): `up` checks the machine's interfaces and
 * says so. */
void labo_copy_ifname (const char *lab, const char *seg, unsigned salt, char out[IFNAMSIZ]);

/* The pool: $LABO_POOL, else LABO_POOL_DEFAULT. An error names what is
 * wrong with the variable's value. */
int labo_pool_get (struct labo_prefix *pool, labo_error_t *err);
int labo_pool_parse (const char *text, struct labo_prefix *pool, labo_error_t *err);

/* The first block of prefix length len inside pool (aligned) that
 * overlaps none of used[] and that busy() (may be NULL) does not refuse.
 * Returns 0, or -1 when the pool has no such block. */
int labo_pool_pick (const struct labo_prefix *pool, uint8_t len, const struct labo_prefix *used,
                    size_t n_used, bool (*busy) (const struct labo_prefix *block, void *ctx),
                    void *ctx, struct labo_prefix *out);

/* How a root segment looks from the machine: the subnet (mapped: its
 * block), and the machine's own address on it. */
struct labo_prefix labo_segment_root_subnet (const struct labo_segment *seg);
uint32_t labo_segment_root_address (const struct labo_segment *seg);
/* An address of the segment as the machine reaches it (unchanged unless
 * the segment is mapped). */
uint32_t labo_segment_outside (const struct labo_segment *seg, uint32_t inside);

/* An address of the lab as the machine reaches it: mapped through the
 * segment whose subnet holds it, when that segment is a copy's. */
uint32_t labo_lab_outside (const struct labo_lab *lab, uint32_t inside);

/* The blocks of a copy, as kept in its meta ("roots="): "SEGMENT:PREFIX"
 * separated by spaces, "" for none. Caller frees. */
char *labo_copy_roots_text (const struct labo_lab *lab);
/* Applies such a text to a copy (mapped segments); -1 on a text that does
 * not match the lab's root segments. */
int labo_copy_roots_apply (struct labo_lab *lab, const char *text);
/* The prefixes of such a text, whatever the lab (for the pool's
 * bookkeeping): appended to *v. */
void labo_copy_roots_prefixes (const char *text, struct labo_prefix **v, size_t *n);

#endif
