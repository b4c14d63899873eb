/* The consistency check (`labo check`, `labo chaos --check`): a real
 * ZooKeeper client, the C client of Debian's libzookeeper-mt, writes
 * sequential znodes through every node of a running lab while faults
 * happen, records which writes the ensemble acknowledged, and at the end
 * verifies them on every node.
 *
 * One client session a node, opened from inside the node's host (its
 * network namespace: the client's threads are made there, so its sockets
 * are too) to the node's published client port on the host's lab address:
 * the client a user of that host would be. A client next to a server cut
 * from the majority sees that server refuse it: that is what the timeline
 * shows.
 *
 * Each writer creates, `rate` times a second (in each tick the writers in
 * an order and at offsets drawn from the seed), a znode
 * <root>/w<writer>-<sequence> (ZOO_SEQUENTIAL: the leader numbers it, in
 * the order of its transaction log) holding "w<writer> s<session> n<n>".
 * A write is:
 *   acknowledged   the ensemble said ZOK: it must never be lost;
 *   indeterminate  the connection or the session went before an answer
 *                  (it may or may not have been applied: the check finds
 *                  out which, by its data);
 *   refused        not sent: no connection (the node does not serve), or
 *                  a backlog of two seconds of unanswered writes;
 *   failed         any other answer (none is expected).
 *
 * At the end every node is synced with the leader (`sync`) and read
 * whole: every acknowledged write must be on every node with its data,
 * with the same czxid everywhere; on every node the sequence order and
 * the zxid order must agree; the writes of one session must be numbered
 * in the order they were acknowledged (ZooKeeper's FIFO client order);
 * every node must hold the same znodes. Threads: the client's own two a
 * session, and one that paces the writes and replaces expired sessions. */
#ifndef LABO_CHECK_H
#define LABO_CHECK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "labo/check/history.h"
#include "labo/model/lab.h"
#include "labo/util/error.h"

#define LABO_CHECK_DEFAULT_RATE 10

/* While a check runs, its counters for whoever looks from outside the
 * process (`labo web`), in the lab's run dir, replaced atomically once a
 * second and removed at its end: {"pid", "wall" (the time it was
 * written), "elapsed", "rate", "nodes": [{"name", "acked", "refused",
 * "indeterminate", "failed", "seconds": ["ok"|"some"|"none"|"wait", ...
 * the last LABO_CHECK_LIVE_SECONDS, oldest first]}]}. A file whose pid is
 * gone, or older than a few seconds, is a check that was killed. */
#define LABO_CHECK_LIVE_FILE "check.live"
#define LABO_CHECK_LIVE_SECONDS 60

/* The last check's plot (check/plot.h), in the lab's run dir: written at
 * a check's end, whole and atomically (a temporary file renamed over it,
 * as labo_state_put does), and kept until the next one. `labo web` serves
 * it as /lab/NAME/check.svg (opened without following a link, at most
 * LABO_CHECK_PLOT_MAX bytes) and shows it on the lab's page. */
#define LABO_CHECK_PLOT_FILE "check.svg"
#define LABO_CHECK_PLOT_MAX (16 * 1024 * 1024)

/* What a register's read does before its getData (docs/check.md):
 * QUORUM a multi of one version check, committed by a quorum (the
 * default: linearizable); SYNC a sync (ZooKeeper's up-to-date read, which
 * a leader cut off answers alone: not linearizable, ZOOKEEPER-1675);
 * LOCAL nothing (sequential only: a cut follower serves stale reads). */
enum labo_check_reads
{
  LABO_READS_QUORUM = 0,
  LABO_READS_SYNC,
  LABO_READS_LOCAL,
};
const char *labo_check_reads_name (enum labo_check_reads r);
int labo_check_reads_parse (const char *s, enum labo_check_reads *r); /* 0, -1 */

struct labo_check_opts
{
  int rate;             /* writes a second through each node (0: the default) */
  int session_ms;       /* the client's session timeout (default 6000) */
  int settle_ms;        /* how long the end waits for every node to serve
                           again before verifying (default 120000) */
  bool keep;            /* leave the znodes (default: removed once verified) */
  const char *log_path; /* the client library's log (WARN and worse); NULL:
                           discarded */
  /* one "ADDR:PORT" a node, reached from this process's own network
   * namespace: a lab deployed on a real Swarm (labo deploy), whose nodes
   * are its servers' published ports. NULL: each node from its host, as
   * labo_node_reach says. */
  const char *const *endpoints;
  /* the stagger's seed: within each tick the writers write in an order
   * and at offsets drawn from it, so that the same seed replays the same
   * schedule (0: one from the kernel; the report's "seed" says which) */
  uint64_t seed;
  /* the registers' workload (docs/check.md): clients a node (0: 1),
   * registers (0: 3), and what a read does first */
  int clients;
  int keys;
  enum labo_check_reads reads;
  /* the linearizability checker's limits (0: 60 s, 1 GiB) */
  double lin_seconds;
  size_t lin_bytes;
  /* the supervisor's events (events.jsonl), for the history's timeline:
   * NULL when there are none (a deployed lab) */
  const char *events_path;
};

struct labo_check;

/* Connects to every node (they must all serve within 15 s), makes the
 * run's parent znode and starts writing. NULL with err set otherwise;
 * nothing is left behind then. */
struct labo_check *labo_check_start (const struct labo_lab *lab,
                                     const struct labo_check_opts *opts, labo_error_t *err);
/* Seconds since the writes started. */
double labo_check_elapsed (const struct labo_check *c);
/* A mark on the timeline at this moment ("kill leader: zoo2"). */
void labo_check_mark (struct labo_check *c, const char *text);
/* Stops the writes, waits for their answers and for every node to serve
 * (opts.settle_ms at most), verifies what it can read and returns the
 * report (a new reference; the schema is in docs/status.md): a node that
 * could not be read makes the verdict "unverified", never "ok". The run's
 * znodes are removed when the verdict is "ok" (unless opts.keep), kept
 * for inspection otherwise. progress, when not NULL, gets a line for each
 * phase. */
json_t *labo_check_finish (struct labo_check *c, FILE *progress);
/* After labo_check_finish: the registers' history, with the events on its
 * clock (valid until labo_check_free), and the witness of an invalid one
 * (op indexes, NULL when none). */
const struct labo_history *labo_check_history (const struct labo_check *c);
const size_t *labo_check_witness (const struct labo_check *c, size_t *n);
/* After labo_check_finish: the history's plot (check/plot.h), titled with
 * rep's verdicts, the witness circled. 0, or -1 with errno. */
int labo_check_plot (const struct labo_check *c, json_t *rep, FILE *out);
void labo_check_free (struct labo_check *c);

/* The report's verdict: "ok" (nothing acknowledged lost, and the
 * registers' history linearizable), "lost" (an acknowledged write
 * missing, altered or out of order, or nodes that disagree), "invalid"
 * (nothing lost, but the registers' history is not linearizable),
 * "unknown" (nothing lost, and the checker gave up within its limits),
 * "unverified" (a node could not be read). */
const char *labo_check_verdict (json_t *report);
void labo_check_print (json_t *report, FILE *out);

/* Whether node `node` serves now, as a client of its host finds out: a
 * session (a server without a quorum refuses clients), then a sync (which
 * a server cut from its leader cannot answer, though it may go on calling
 * itself a follower for seconds) and, with `write`, an ephemeral znode
 * created (which only a quorum commits). 1 or 0, within timeout_ms. */
int labo_zk_serves (const struct labo_lab *lab, size_t node, bool write, int timeout_ms);

#endif
