/* A node's clock skew (issue 16): the values a user writes (`labo clock
 * NODE +30s --drift +1000ppm`, a scenario's `clock:` step), their record
 * in the lab's run directory, and the line libfaketime reads.
 *
 * The mechanism (include/labo/engine/clock.h says it whole): every
 * ZooKeeper node runs under Debian's libfaketime (LD_PRELOAD), which
 * re-reads a timestamp file of the node's own, $LABO_STATE_DIR/<lab>/
 * _clock/<node>/faketime (beside the nodes' data: a host's dockerd has a
 * /run of its own), at most LABO_CLOCK_CACHE_S seconds apart. A skew is a
 * new line in that file: "+30.000000000s x1.001000000", an offset added to
 * the wall clock and a rate it runs at. The directory (not the file: a
 * file bound into a container would keep the inode it was bound with
 * across a rename) is what a container binds, read only.
 *
 * The parsers and formatters are pure; the file functions act as root in
 * the lab's state directory, which only root may write: write-then-rename
 * on descriptors, never through a link. `down` removes it, --keep-data
 * too (a skew does not outlive its lab). */
#ifndef LABO_MODEL_CLOCK_H
#define LABO_MODEL_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "labo/util/error.h"
#include "labo/model/lab.h"

/* Debian's libfaketime 0.9.10 (package libfaketime), in the machine and,
 * at the same path, in the labo/zookeeper image. Not the MT variant: that
 * one only serialises time(), which the JVM does not call for its clocks,
 * and it would make every caller of time() wait on one lock. */
#define LABO_FAKETIME_LIB "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
/* The file's name in the node's clock directory, and where a container
 * sees that directory. */
#define LABO_CLOCK_FILE "faketime"
#define LABO_CLOCK_NODE_DIR "/etc/labo/clock"
/* How long libfaketime keeps what it read: a skew is seen within this
 * many seconds. Reading the file at each call (FAKETIME_NO_CACHE) cost
 * 4.3 us a clock_gettime here, against 0.13 us cached. */
#define LABO_CLOCK_CACHE_S 1
/* The record of every skewed node, in the lab's run directory. */
#define LABO_CLOCKS_RECORD "clocks"
/* The largest offset taken: ten years either way. */
#define LABO_CLOCK_OFFSET_MAX_S (3650LL * 86400)

/* A node's skew: its wall clock reads real time + offset at `since`, and
 * runs `rate` times as fast from then. */
struct labo_skew
{
  int64_t offset_ns;
  double rate;       /* 1: no drift; 1.001: +1000 ppm */
  int64_t since_ns;  /* wall-clock time it was set (the machine's), ns */
  int64_t anchor_ns; /* start of the node's process libfaketime counts a
                        rate from (0: not known, the rate counts from since) */
};

/* "+30s", "-5s", "30s", "0", "+1.5m", "+250ms", "-2h", "+1d": the offset
 * in ns. Errors name the text and say the spelling. */
int labo_skew_parse_offset (const char *text, int64_t *ns, labo_error_t *err);
/* "1.001" (a rate), "+1000ppm", "-50ppm", "0" or "1" (none): the rate.
 * Refused outside 0.01..100. */
int labo_skew_parse_drift (const char *text, double *rate, labo_error_t *err);
/* "+30s", "-5.25s", "+0s" (milliseconds kept when there are any). Into
 * buf, which has room for 32. */
const char *labo_skew_offset_format (int64_t ns, char *buf);
/* "+1000ppm", "-50ppm", "x1.5" (a rate 1% or more off), "none". buf: 32. */
const char *labo_skew_drift_format (double rate, char *buf);
/* The skew the node's clock shows at now_ns (the machine's wall clock):
 * offset + (rate - 1) * (now - since). */
int64_t labo_skew_at (const struct labo_skew *s, int64_t now_ns);
/* libfaketime's line for it: an offset in seconds and a rate ("+30.000000000s
 * x1.000000000\n"). libfaketime runs a rate from each process's start, so
 * the offset written is moved back by what the node's process (anchor)
 * has already drifted: at `since` it shows exactly the offset asked.
 * Caller frees. */
char *labo_skew_faketime_line (const struct labo_skew *s);

/* The record's lines, "NODE OFFSET_NS RATE SINCE_NS ANCHOR_NS": parsed
 * into skews[lab->n_nodes] (has[i]: node i has one; lines naming no node
 * are skipped), and written back from them. */
void labo_skews_parse (const struct labo_lab *lab, const char *text, struct labo_skew *skews,
                       bool *has);
char *labo_skews_format (const struct labo_lab *lab, const struct labo_skew *skews,
                         const bool *has);

/* $LABO_STATE_DIR/<lab>/_clock/<node>: the node's clock directory.
 * Caller frees. */
char *labo_clock_dir (const char *lab, const char *node);
/* Makes the node's clock directory (0755, root's) and its file with no
 * skew ("+0 x1") unless the file is there: a node restarted keeps its
 * skew. node must pass labo_fs_component_ok. */
int labo_clock_prepare (const char *lab, const char *node, labo_error_t *err);
/* Writes the file anew: a temporary file made O_EXCL|O_NOFOLLOW beside
 * it, written, fsync'ed, renamed over it. */
int labo_clock_write (const char *lab, const char *node, const char *line, labo_error_t *err);
/* The environment a node runs with to be skewed, its file at `file` as the
 * node sees it: LD_PRELOAD, FAKETIME_TIMESTAMP_FILE, FAKETIME_CACHE_DURATION,
 * FAKETIME_DONT_FAKE_MONOTONIC (without which libfaketime fakes the
 * monotonic clocks too: the JVM's timers and waits would run on them), and
 * FAKETIME_FORCE_MONOTONIC_FIX=0 (with glibc 2.36 libfaketime otherwise
 * moves the deadline of a wait on a monotonic condition variable by a
 * monotonic time it fakes even so: ZooKeeper took 4.2 s to serve instead
 * of 0.4 s, a lab's `up` 11 s more). NULL-terminated, LABO_CLOCK_N_ENV
 * strings; caller frees each and it. */
#define LABO_CLOCK_N_ENV 5
char **labo_clock_env (const char *file);

#endif
