/* Clock skew per node (issue 16): `labo clock NODE +30s [--drift RATE]`,
 * the scenario step `clock:`, and the skews status shows.
 *
 * A container shares the machine's CLOCK_REALTIME (a time namespace
 * offsets only CLOCK_MONOTONIC and CLOCK_BOOTTIME), so the wall clock is
 * skewed in the node's processes instead: every ZooKeeper node, under
 * both runtimes, runs under Debian's libfaketime (LD_PRELOAD, set by
 * zk/node.c's container spec and zk/zkproc.c), which reads the node's
 * timestamp file again at most LABO_CLOCK_CACHE_S apart
 * (include/labo/model/clock.h). A skew is a new line in that file: seen
 * by the node's running server (the JVM's System.currentTimeMillis) and by
 * every process started in it (`labo exec NODE -- date`), without a
 * restart, within about a second.
 *
 * What it cannot skew, measured in docs/clock.md: static
 * programs (busybox's applets, Go's etcd), a process that reads the
 * clock through the vDSO or the syscall itself rather than libc's
 * functions, setuid programs, CLOCK_MONOTONIC and CLOCK_BOOTTIME
 * (deliberately: FAKETIME_DONT_FAKE_MONOTONIC, the JVM's timers), the
 * kernel's own times (file times the kernel sets, TCP timestamps, the
 * kernel's log), the Docker daemons and the machine.
 *
 * Record: $LABO_RUN_DIR/<lab>/clocks (model/clock.h's lines), changed
 * under its flock; the node's file follows it. Each change is a note in
 * the supervisor's events (kind "fault", verb "clock"). Everything goes
 * with the lab's run directory at `down`. */
#ifndef LABO_ENGINE_CLOCK_H
#define LABO_ENGINE_CLOCK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "labo/model/clock.h"
#include "labo/model/lab.h"
#include "labo/util/error.h"

/* Can node's clock be skewed? Only ZooKeeper nodes run under libfaketime:
 * if not, *why says so (caller frees). */
bool labo_clock_supported (const struct labo_node *node, char **why);

/* Skews node i: its wall clock reads real time + offset_ns from now on.
 * A rate other than 1 (a drift) is recorded, and the lab's supervisor
 * steps the node's offset once a second (libfaketime itself runs at rate
 * 1: a rate there hangs the JVM's timed waits, docs/clock.md); it needs
 * the supervisor running, and is refused without one.
 * Fills *out with what was recorded (may be NULL). */
int labo_clock_set (const struct labo_lab *lab, size_t i, int64_t offset_ns, double rate,
                    struct labo_skew *out, labo_error_t *err);
/* Puts node i back to a skew recorded before (chaos's restore), as it was
 * set (its since and anchor kept), or resets it (s NULL). */
int labo_clock_put_back (const struct labo_lab *lab, size_t i, const struct labo_skew *s,
                         labo_error_t *err);
/* Every skewed node back to the machine's clock (`labo reset`). Returns
 * how many were. */
int labo_clock_reset_all (const struct labo_lab *lab, labo_error_t *err);
/* The skews on record: skews and has, lab->n_nodes each (caller's). */
void labo_clock_load (const struct labo_lab *lab, struct labo_skew *skews, bool *has);

/* The machine's wall clock, ns. */
int64_t labo_clock_now_ns (void);

/* [{"node", "offset_ms", "drift_ppm", "rate", "skew_ms" (now), "since"
 * (RFC 3339)}] of the skewed nodes, for status. */
json_t *labo_clock_json (const struct labo_lab *lab);

#endif
