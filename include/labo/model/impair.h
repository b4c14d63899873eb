/* Link impairments as values (the model's): the settings of a link (delay,
 * jitter, loss, rate, pulled out, and what carries them), read and written
 * as `labo link`, scenario files and the settings files spell them. Pure:
 * the emulator (net/linkemu.c) and netem (engine/links.c) apply them. */
#ifndef LABO_IMPAIR_H
#define LABO_IMPAIR_H

#include <stdbool.h>
#include <stdint.h>

#include "labo/util/rng.h"

struct labo_impair
{
  uint32_t delay_us;
  uint32_t jitter_us;
  uint32_t loss_ppm;      /* parts per million dropped: alone, each frame on its own;
                             with loss_corr_ppm, the mean of a two-state chain */
  uint32_t loss_corr_ppm; /* the lag-1 correlation of losses (0: independent) */
  /* Gilbert-Elliott (netem's `loss gemodel p r 1-h 1-k`), in place of
   * loss when ge_p_ppm > 0: p good -> bad, r bad -> good, each frame; a
   * frame is lost with ge_bad_ppm in the bad state, ge_good_ppm in the
   * good one. */
  uint32_t ge_p_ppm, ge_r_ppm, ge_bad_ppm, ge_good_ppm;
  uint32_t corrupt_ppm;   /* a bit flipped past the Ethernet header */
  uint32_t duplicate_ppm; /* sent twice */
  uint32_t reorder_ppm;   /* sent at once, ahead of the frames the delay holds */
  uint64_t rate_bps;      /* 0: not paced */
  uint64_t seed;          /* the random draws' seed (0: from the kernel) */
};

/* The settings, one row each, in one table that `labo link` (--NAME
 * VALUE), scenario steps and the lab file (NAME: VALUE) all read, with the
 * same spellings:
 *   delay, jitter   a time: "100ms", "250us", "1.5s", "0" (bare numbers
 *                   are milliseconds); at most 60 s
 *   loss            "P%" or "P%,C%": a share lost, and the correlation
 *                   of one loss with the next (bursts)
 *   gemodel         "P%,R%[,BAD%[,GOOD%]]" (Gilbert-Elliott; BAD 100%
 *                   and GOOD 0% by default), or "0"
 *   corrupt, duplicate, reorder   a share "P%"
 *   rate            "10mbit", "512kbit", "1gbit", "64000bit", or "0"
 *   seed            a number from 1 (0: random draws) */
enum labo_impair_param
{
  LABO_IMP_DELAY,
  LABO_IMP_JITTER,
  LABO_IMP_LOSS,
  LABO_IMP_GEMODEL,
  LABO_IMP_CORRUPT,
  LABO_IMP_DUPLICATE,
  LABO_IMP_REORDER,
  LABO_IMP_RATE,
  LABO_IMP_SEED,
  LABO_IMP_N
};
#define LABO_IMP_BIT(p) (1u << (p))
const char *labo_impair_param_name (enum labo_impair_param p);
/* What the parameter takes ("a time like 100ms ..."), for help and errors. */
const char *labo_impair_param_expected (enum labo_impair_param p);
/* The parameter named `name`, or -1. */
int labo_impair_param_lookup (const char *name);
/* Sets parameter p of *im from its spelling: 0, or -1 with *expected. */
int labo_impair_set (struct labo_impair *im, enum labo_impair_param p, const char *value,
                     const char **expected);
/* dst's parameter p from src: "the settings named change, the others stay". */
void labo_impair_copy (struct labo_impair *dst, const struct labo_impair *src,
                       enum labo_impair_param p);
/* Parameter p as it is spelled (into buf, >= 64 bytes; returns buf). */
char *labo_impair_value_str (const struct labo_impair *im, enum labo_impair_param p, char *buf);
bool labo_impair_equal (const struct labo_impair *a, const struct labo_impair *b);
/* Settings that cannot go together ("loss and gemodel are two models of
 * loss: set one"), or NULL: what apply refuses. */
const char *labo_impair_conflict (const struct labo_impair *im);
/* The long-run share of frames lost (loss, or the Gilbert-Elliott
 * chain's stationary mean), 0..1. */
double labo_impair_mean_loss (const struct labo_impair *im);

/* ---- the draws (pure: the emulator's per-frame core, unit-tested) ---- */

/* A direction's random state: xorshift64* and the loss chain's state. */
struct labo_impair_rng
{
  struct labo_rng r;
  bool bad; /* the loss chain is in its bad (lossy) state */
};
/* Seeds it: from seed and the direction (0, 1), so each direction draws
 * its own sequence and the same frames meet the same fate again. */
void labo_impair_rng_seed (struct labo_impair_rng *r, uint64_t seed, int direction);
double labo_impair_uniform (struct labo_impair_rng *r); /* [0, 1) */

enum
{
  LABO_FATE_LOST = 1 << 0,
  LABO_FATE_CORRUPT = 1 << 1,
  LABO_FATE_DUPLICATE = 1 << 2,
  LABO_FATE_REORDER = 1 << 3,
};
/* The next frame's fate (LABO_FATE_*), drawn in a fixed order (loss,
 * corrupt, duplicate, reorder; a draw only for what is set). A lost frame
 * draws nothing more. */
unsigned labo_impair_fate (const struct labo_impair *im, struct labo_impair_rng *r);

/* "delay_us=...\njitter_us=...\n...": what the settings file holds, one
 * KEY=NUMBER line per field. Pure; unknown keys are ignored, missing ones 0
 * (a file of an older labo reads the same). */
void labo_impair_parse (const char *text, struct labo_impair *out);
char *labo_impair_format (const struct labo_impair *im);
bool labo_impair_none (const struct labo_impair *im);

/* What `labo link` takes, after tc's spellings, pure; each returns 0, or
 * -1 with *expected naming what the value should have been:
 *   times  "100ms", "250us", "1.5s", "0" (bare numbers are milliseconds);
 *          at most 60 s
 *   loss   "2%", "0.5%", "2" (a percentage either way), at most 100%
 *   rate   "10mbit", "512kbit", "1gbit", "64000bit" (bits per second, SI
 *          prefixes as tc's), or "0" (not paced) */
int labo_impair_parse_time (const char *s, uint32_t *us, const char **expected);
int labo_impair_parse_loss (const char *s, uint32_t *ppm, const char **expected);
int labo_impair_parse_rate (const char *s, uint64_t *bps, const char **expected);
/* "100ms", "2%", "10mbit": the shortest exact spellings, into buf (>= 32
 * bytes); each returns buf. */
char *labo_impair_time_str (uint32_t us, char *buf);
char *labo_impair_loss_str (uint32_t ppm, char *buf);
char *labo_impair_rate_str (uint64_t bps, char *buf);
/* "delay 100ms, jitter 10ms, loss 2%, rate 10mbit" (what is set, in the
 * table's order and spellings), or "none"; caller frees. */
char *labo_impair_describe (const struct labo_impair *im);

enum labo_link_mech
{
  LABO_MECH_NONE = 0,   /* nothing in place (recorded) / probe (asked) */
  LABO_MECH_NETEM,
  LABO_MECH_EMULATOR,
};
const char *labo_link_mech_name (enum labo_link_mech m); /* "none", "netem", "emulator" */
int labo_link_mech_parse (const char *s, enum labo_link_mech *out);

struct labo_linkset
{
  struct labo_impair im;
  bool down;                 /* pulled out: no carrier either side */
  enum labo_link_mech mech;  /* what carries the impairment, if any */
};

#endif
