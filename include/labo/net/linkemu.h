/* labo's own link emulator, for kernels without sch_netem (this one, WSL2
 * and many VM kernels): a forwarder between two interfaces that delays,
 * jitters, drops and paces the frames it carries, in each direction.
 *
 * It reads and writes with AF_PACKET sockets carrying virtio-net headers
 * (PACKET_VNET_HDR), so GSO super-frames cross it whole and checksums stay
 * offloaded: no segmentation or copy per MTU on the way. Each direction
 * has its FIFO, its pacing clock and its byte limit:
 *   - each frame's fate is drawn first (labo_impair_fate, per direction,
 *     from the settings' seed when there is one): lost (independently,
 *     in bursts, or by the Gilbert-Elliott chain), corrupted (one bit
 *     flipped after its checksum is computed), duplicated, or reordered
 *     (sent at once, ahead of the frames the delay holds);
 *   - rate: a frame leaves no earlier than the previous one's last bit at
 *     `rate` (a virtual clock, as a token bucket of one frame);
 *   - delay and jitter: it is then held delay +/- jitter (uniform), never
 *     overtaking the frame before it (netem with a FIFO does the same);
 *   - a frame that would push the queue past its limit is dropped: 250 ms
 *     of `rate` when paced (at least 128 KiB), 32 MiB otherwise.
 * With no impairment set, frames cross at once, in the wake-up that read
 * them. One thread, one epoll loop: a timerfd armed at the next frame due,
 * a signalfd (SIGHUP: reread the settings; SIGTERM, SIGINT: stop). */
#ifndef LABO_LINKEMU_H
#define LABO_LINKEMU_H

#include <stdbool.h>
#include <stdint.h>

#include "labo/util/error.h"

#include "labo/model/impair.h"

/* The frame's departure and release times for one direction, pure (the
 * unit-tested core): `now` and the clocks in seconds; `u` is a uniform
 * sample in [0, 1) for the jitter. Updates *pace (the rate's virtual
 * clock) and *last (the release of the frame before). */
double labo_linkemu_release (const struct labo_impair *im, double now, uint32_t bytes, double u,
                             double *pace, double *last);

/* What the emulator counts, per direction (0: from a to b, 1: back), in
 * a file it maps shared (stats_path), so that `labo link show` reads them
 * at any time without asking it. */
struct labo_linkemu_stats
{
  uint64_t magic; /* LABO_LINKEMU_MAGIC once initialised */
  uint64_t frames[2], bytes[2]; /* sent on */
  uint64_t lost[2];             /* dropped by `loss` */
  uint64_t overflow[2];         /* dropped: the queue was full */
  uint64_t unsupported[2];      /* dropped by the kernel: an offload not carried */
  uint64_t corrupted[2];        /* a bit flipped (a GSO frame: dropped) */
  uint64_t duplicated[2];       /* sent a second time */
  uint64_t reordered[2];        /* sent ahead of the frames the delay holds */
};
#define LABO_LINKEMU_MAGIC 0x6c61626f6c6e6b32ULL /* "labolnk2" */

/* Reads a stats file; -1 if absent or not one. */
int labo_linkemu_stats_read (const char *stats_path, struct labo_linkemu_stats *out);

/* Runs the emulator between the interfaces ifindex_a and ifindex_b of the
 * calling thread's network namespace, with the settings of settings_path
 * (reread on SIGHUP), counting in stats_path (NULL: nowhere), until
 * SIGTERM or SIGINT. Writes a byte to ready_fd
 * (if >= 0) once both sockets are bound. Returns 0, or -1. */
int labo_linkemu_run (int ifindex_a, int ifindex_b, const char *settings_path,
                      const char *stats_path, int ready_fd, labo_error_t *err);

#endif
