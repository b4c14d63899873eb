/* Scenario files: timed faults that `labo chaos FILE` plays against a
 * running lab (src/engine/chaos.c plays them). YAML, read with the lab file's
 * reader, so errors read the same way ("file:line:col: error: ...").
 *
 *   lab: zk3                  # optional: the lab it was written for
 *   end: 60s                  # optional: keep going until then
 *   steps:
 *     - at: 5s                # from the start; or `after: 2s` (from
 *       kill: leader          #   the end of the step before)
 *     - at: 15s
 *       isolate: leader       # the leader's host
 *     - after: 10s
 *       heal: all
 *     - at: 40s
 *       link: h1              # with segment, delay, jitter, loss, rate,
 *       delay: 100ms          #   down: the options of `labo link`
 *     - wait: quorum          # or `all`: every node serving; timeout: 2m
 *     - at: 0s
 *       capture: h1           # with segment, filter, duration; file: the
 *       file: h1.pcap         #   pcap, from here to the scenario's end
 *
 * Actions: kill NODE [signal], partition [A, B] [oneway], isolate HOST,
 * heal all | [A, B], stop HOST, start HOST, link HOST [...], wait quorum |
 * all [timeout], pause NODE | HOST, resume NODE | HOST | all, capture HOST
 * file [segment filter duration], clock NODE offset [drift] (`clock:
 * leader`, `offset: +30s`: labo clock's spelling; a ZooKeeper node). The
 * capture's filter is compiled (libpcap) when the scenario starts, not
 * here. A NODE may be `leader`, `follower` or `random`, a HOST `leader` or
 * `follower` (that node's host) or `random`: resolved when the step runs;
 * pause and resume take either (a role is then the node).
 *
 * Contract: labo_scenario_parse either returns a scenario every name of
 * which exists in `lab` (when given) and whose times never go back, or
 * NULL with one diagnostic per problem. It touches nothing. */
#ifndef LABO_SCENARIO_H
#define LABO_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labo/model/lab.h"
#include "labo/model/labfile.h"
#include "labo/model/impair.h"

enum labo_step_kind
{
  LABO_STEP_KILL,
  LABO_STEP_PARTITION,
  LABO_STEP_ISOLATE,
  LABO_STEP_HEAL,
  LABO_STEP_STOP,
  LABO_STEP_START,
  LABO_STEP_LINK,
  LABO_STEP_WAIT,
  LABO_STEP_PAUSE,
  LABO_STEP_RESUME,
  LABO_STEP_CAPTURE,
  LABO_STEP_CLOCK,
};
const char *labo_step_kind_name (enum labo_step_kind k); /* "kill", ... */

/* What link settings a step names (the others stay as they are):
 * LABO_IMP_BIT (p) for each setting p, and this for `down`. */
#define LABO_STEP_SET_DOWN (1u << LABO_IMP_N)

struct labo_step
{
  enum labo_step_kind kind;
  struct labo_pos pos;
  long at_ms;            /* when it starts, from the start (-1: `after`) */
  long after_ms;         /* or after the end of the step before */
  char *target[2];       /* node or host names, "leader", "follower";
                            heal: both NULL for all; wait: "quorum"/"all";
                            resume: NULL for all */
  int signal;            /* kill (SIGKILL by default) */
  bool oneway;           /* partition */
  char *segment;         /* link: NULL for the host's only link */
  unsigned set;          /* link: LABO_STEP_SET_* */
  struct labo_linkset link; /* link: the settings named */
  long timeout_ms;       /* wait */
  /* capture (segment: as link's): into file (relative to the directory
   * labo chaos runs in, like -w), until the scenario's end or duration */
  char *file;
  char *filter;          /* or NULL: every packet */
  long duration_ms;      /* 0: until the end */
  int64_t offset_ns;     /* clock: the offset (model/clock.h) */
  double drift;          /* clock: the rate (1: none) */
};

struct labo_scenario
{
  char *file;
  char *lab;             /* or NULL */
  long end_ms;           /* 0: when the last step is done */
  struct labo_step *steps;
  size_t n_steps;
};

/* Parses `text` as if read from `file`; names are checked against lab
 * (NULL: not checked). Under the default limits (labo/limits.h). */
struct labo_scenario *labo_scenario_parse (const char *file, const char *text, size_t len,
                                           const struct labo_lab *lab, struct labo_diags *diags);
/* The same under lim (NULL: the defaults): file-size, the yaml-* limits
 * and steps apply. */
struct labo_scenario *labo_scenario_parse_limited (const char *file, const char *text,
                                                   size_t len, const struct labo_lab *lab,
                                                   const struct labo_limits *lim,
                                                   struct labo_diags *diags);
/* Reads path then parses it. */
struct labo_scenario *labo_scenario_load (const char *path, const struct labo_lab *lab,
                                          struct labo_diags *diags);
struct labo_scenario *labo_scenario_load_limited (const char *path, const struct labo_lab *lab,
                                                  const struct labo_limits *lim,
                                                  struct labo_diags *diags);
void labo_scenario_free (struct labo_scenario *s);
#define cleanup_scenario __attribute__ ((cleanup (labo_scenario_freep)))
static inline void
labo_scenario_freep (struct labo_scenario **s)
{
  labo_scenario_free (*s);
}

/* One line saying what a step does ("isolate leader", "link h1: delay
 * 100ms, loss 2%"); caller frees. */
char *labo_step_describe (const struct labo_step *s);

#endif
