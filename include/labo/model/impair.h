/* Link impairments as values (the model's): the settings of a link (delay,
 * jitter, loss, rate, pulled out, and what carries them), read and written
 * as `labo link`, scenario files and the settings files spell them. Pure:
 * the emulator (net/linkemu.c) and netem (engine/links.c) apply them. */
#ifndef LABO_IMPAIR_H
#define LABO_IMPAIR_H

#include <stdbool.h>
#include <stdint.h>

struct labo_impair
{
  uint32_t delay_us;
  uint32_t jitter_us;
  uint32_t loss_ppm; /* parts per million dropped */
  uint64_t rate_bps; /* 0: not paced */
};

/* "delay_us=...\njitter_us=...\nloss_ppm=...\nrate_bps=...\n": what the
 * settings file holds. Pure; unknown keys are ignored, missing ones 0. */
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
/* "delay 100ms, jitter 10ms, loss 2%, rate 10mbit" (what is set), or
 * "none"; caller frees. */
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
