/* Link impairments as values: what a link's settings are, how `labo link`,
 * scenarios and the settings files spell them. Pure. See
 * include/labo/model/impair.h. */
#include "labo/model/impair.h"

#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/util/util.h"

/* The settings file's fields: KEY=NUMBER, one a line. */
static const struct
{
  const char *key;
  size_t off;
  bool wide; /* uint64_t, else uint32_t */
} fields[] = {
#define F32(k, f) { k "=", offsetof (struct labo_impair, f), false }
#define F64(k, f) { k "=", offsetof (struct labo_impair, f), true }
  F32 ("delay_us", delay_us),         F32 ("jitter_us", jitter_us),
  F32 ("loss_ppm", loss_ppm),         F32 ("loss_corr_ppm", loss_corr_ppm),
  F32 ("ge_p_ppm", ge_p_ppm),         F32 ("ge_r_ppm", ge_r_ppm),
  F32 ("ge_bad_ppm", ge_bad_ppm),     F32 ("ge_good_ppm", ge_good_ppm),
  F32 ("corrupt_ppm", corrupt_ppm),   F32 ("duplicate_ppm", duplicate_ppm),
  F32 ("reorder_ppm", reorder_ppm),   F64 ("rate_bps", rate_bps),
  F64 ("seed", seed),
#undef F32
#undef F64
};
#define NFIELDS (sizeof (fields) / sizeof (fields[0]))

static unsigned long long
field (const struct labo_impair *im, size_t k)
{
  const char *at = (const char *) im + fields[k].off;
  return fields[k].wide ? *(const uint64_t *) (const void *) at
                        : *(const uint32_t *) (const void *) at;
}


void
labo_impair_parse (const char *text, struct labo_impair *out)
{
  memset (out, 0, sizeof (*out));
  for (const char *line = text; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    for (size_t k = 0; k < NFIELDS; k++)
      if (strncmp (line, fields[k].key, strlen (fields[k].key)) == 0)
        {
          unsigned long long v = strtoull (line + strlen (fields[k].key), NULL, 10);
          char *at = (char *) out + fields[k].off;
          if (fields[k].wide)
            *(uint64_t *) (void *) at = v;
          else
            {
              /* shares are at most a million parts */
              uint32_t x = v > UINT32_MAX ? UINT32_MAX : (uint32_t) v;
              if (strstr (fields[k].key, "_ppm") && x > 1000000)
                x = 1000000;
              *(uint32_t *) (void *) at = x;
            }
        }
}

char *
labo_impair_format (const struct labo_impair *im)
{
  size_t cap = NFIELDS * 40, len = 0;
  char *out = xmalloc (cap);
  out[0] = '\0';
  for (size_t k = 0; k < NFIELDS; k++)
    {
      len += (size_t) snprintf (out + len, cap - len, "%s%llu\n", fields[k].key, field (im, k));
    }
  return out;
}

bool
labo_impair_none (const struct labo_impair *im)
{
  /* the seed alone changes nothing a frame meets */
  for (size_t k = 0; k < NFIELDS; k++)
    if (fields[k].off != offsetof (struct labo_impair, seed) && field (im, k) != 0)
      return false;
  return true;
}

bool
labo_impair_equal (const struct labo_impair *a, const struct labo_impair *b)
{
  /* field by field: the struct has padding */
  for (size_t k = 0; k < NFIELDS; k++)
    if (field (a, k) != field (b, k))
      return false;
  return true;
}

/* A decimal number with an optional fraction, and what follows it. */
static int
number (const char *s, double *v, const char **unit)
{
  char *end;
  if (!((*s >= '0' && *s <= '9') || *s == '.'))
    return -1;
  errno = 0;
  *v = strtod (s, &end);
  if (errno != 0 || end == s || *v < 0)
    return -1;
  *unit = end;
  return 0;
}

int
labo_impair_parse_time (const char *s, uint32_t *us, const char **expected)
{
  static const struct { const char *unit; double scale; } units[]
      = { { "", 1000 }, { "us", 1 }, { "ms", 1000 }, { "s", 1e6 } };
  double v;
  const char *unit;

  *expected = "a time like 100ms, 250us or 1.5s, at most 60s";
  if (number (s, &v, &unit) < 0)
    return -1;
  for (size_t i = 0; i < sizeof (units) / sizeof (units[0]); i++)
    if (strcasecmp (unit, units[i].unit) == 0)
      {
        double x = v * units[i].scale;
        if (x > 60e6)
          return -1;
        *us = (uint32_t) (x + 0.5);
        return 0;
      }
  return -1;
}

int
labo_impair_parse_loss (const char *s, uint32_t *ppm, const char **expected)
{
  double v;
  const char *unit;

  *expected = "a percentage like 2% or 0.5%, at most 100%";
  if (number (s, &v, &unit) < 0 || (strcmp (unit, "%") != 0 && *unit != '\0') || v > 100)
    return -1;
  *ppm = (uint32_t) (v * 1e4 + 0.5);
  return 0;
}

int
labo_impair_parse_rate (const char *s, uint64_t *bps, const char **expected)
{
  static const struct { const char *unit; double scale; } units[]
      = { { "bit", 1 }, { "kbit", 1e3 }, { "mbit", 1e6 }, { "gbit", 1e9 } };
  double v;
  const char *unit;

  *expected = "a rate like 10mbit, 512kbit or 1gbit (bits per second), or 0";
  if (number (s, &v, &unit) < 0)
    return -1;
  if (*unit == '\0' && v == 0)
    {
      *bps = 0;
      return 0;
    }
  for (size_t i = 0; i < sizeof (units) / sizeof (units[0]); i++)
    if (strcasecmp (unit, units[i].unit) == 0)
      {
        double x = v * units[i].scale;
        /* below 8 kbit/s a full frame takes more than a second */
        if (x > 1e12 || (x > 0 && x < 8000))
          return -1;
        *bps = (uint64_t) (x + 0.5);
        return 0;
      }
  return -1;
}

/* The largest unit that divides v exactly, else a fraction of the best. */
static char *
scaled (double v, const char *const *names, const double *scales, size_t n, char *buf)
{
  for (size_t i = n; i-- > 0;)
    if (v >= scales[i] && v / scales[i] == (double) (uint64_t) (v / scales[i]))
      {
        snprintf (buf, 32, "%llu%s", (unsigned long long) (v / scales[i]), names[i]);
        return buf;
      }
  for (size_t i = n; i-- > 0;)
    if (v >= scales[i] || i == 0)
      {
        snprintf (buf, 32, "%g%s", v / scales[i], names[i]);
        return buf;
      }
  return buf;
}

char *
labo_impair_time_str (uint32_t us, char *buf)
{
  static const char *const names[] = { "us", "ms", "s" };
  static const double scales[] = { 1, 1e3, 1e6 };
  if (us == 0)
    return strcpy (buf, "0");
  return scaled (us, names, scales, 3, buf);
}

char *
labo_impair_loss_str (uint32_t ppm, char *buf)
{
  snprintf (buf, 32, "%g%%", ppm / 1e4);
  return buf;
}

char *
labo_impair_rate_str (uint64_t bps, char *buf)
{
  static const char *const names[] = { "bit", "kbit", "mbit", "gbit" };
  static const double scales[] = { 1, 1e3, 1e6, 1e9 };
  if (bps == 0)
    return strcpy (buf, "0");
  return scaled ((double) bps, names, scales, 4, buf);
}

/* ---- the table of parameters ---- */

enum value_kind
{
  V_TIME,
  V_SHARE,
  V_LOSS,
  V_GEMODEL,
  V_RATE,
  V_SEED,
};

static const struct
{
  const char *name;
  enum value_kind kind;
  size_t off; /* the field (the first, for loss and gemodel) */
  const char *expected;
} params[LABO_IMP_N] = {
  [LABO_IMP_DELAY] = { "delay", V_TIME, offsetof (struct labo_impair, delay_us),
                       "a time like 100ms, 250us or 1.5s, at most 60s" },
  [LABO_IMP_JITTER] = { "jitter", V_TIME, offsetof (struct labo_impair, jitter_us),
                        "a time like 100ms, 250us or 1.5s, at most 60s" },
  [LABO_IMP_LOSS] = { "loss", V_LOSS, offsetof (struct labo_impair, loss_ppm),
                      "a percentage like 2% (at most 100%), or 2%,25% with a correlation" },
  [LABO_IMP_GEMODEL] = { "gemodel", V_GEMODEL, offsetof (struct labo_impair, ge_p_ppm),
                         "P%,R%[,BAD%[,GOOD%]] (Gilbert-Elliott: P good to bad, R bad to "
                         "good, the loss in each state), or 0" },
  [LABO_IMP_CORRUPT] = { "corrupt", V_SHARE, offsetof (struct labo_impair, corrupt_ppm),
                         "a percentage like 2% or 0.5%, at most 100%" },
  [LABO_IMP_DUPLICATE] = { "duplicate", V_SHARE, offsetof (struct labo_impair, duplicate_ppm),
                           "a percentage like 2% or 0.5%, at most 100%" },
  [LABO_IMP_REORDER] = { "reorder", V_SHARE, offsetof (struct labo_impair, reorder_ppm),
                         "a percentage like 2% or 0.5%, at most 100%" },
  [LABO_IMP_RATE] = { "rate", V_RATE, offsetof (struct labo_impair, rate_bps),
                      "a rate like 10mbit, 512kbit or 1gbit (bits per second), or 0" },
  [LABO_IMP_SEED] = { "seed", V_SEED, offsetof (struct labo_impair, seed),
                      "a number from 1 (0: random draws)" },
};

const char *
labo_impair_param_name (enum labo_impair_param p)
{
  return p < LABO_IMP_N ? params[p].name : "?";
}

const char *
labo_impair_param_expected (enum labo_impair_param p)
{
  return p < LABO_IMP_N ? params[p].expected : "?";
}

int
labo_impair_param_lookup (const char *name)
{
  for (int p = 0; p < LABO_IMP_N; p++)
    if (strcmp (name, params[p].name) == 0)
      return p;
  return -1;
}

static uint32_t *
u32_at (struct labo_impair *im, size_t off)
{
  return (uint32_t *) (void *) ((char *) im + off);
}

/* "a,b,c": up to max shares into ppm[]; the count, or -1. */
static int
shares (const char *value, uint32_t *ppm, int max)
{
  cleanup_free char *copy = xstrdup (value);
  char *save = NULL, *tok;
  int n = 0;
  const char *ignored;

  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      while (*tok == ' ')
        tok++;
      if (n == max || labo_impair_parse_loss (tok, &ppm[n], &ignored) < 0)
        return -1;
      n++;
    }
  return n;
}

int
labo_impair_set (struct labo_impair *im, enum labo_impair_param p, const char *value,
                 const char **expected)
{
  const char *ignored;
  if (p >= LABO_IMP_N)
    return -1;
  *expected = params[p].expected;
  switch (params[p].kind)
    {
    case V_TIME:
      return labo_impair_parse_time (value, u32_at (im, params[p].off), &ignored);
    case V_SHARE:
      return labo_impair_parse_loss (value, u32_at (im, params[p].off), &ignored);
    case V_RATE:
      return labo_impair_parse_rate (value, &im->rate_bps, &ignored);
    case V_LOSS:
      {
        uint32_t v[2] = { 0, 0 };
        if (shares (value, v, 2) < 1)
          return -1;
        im->loss_ppm = v[0];
        im->loss_corr_ppm = v[1];
        return 0;
      }
    case V_GEMODEL:
      {
        uint32_t v[4] = { 0, 0, 1000000, 0 };
        int n = shares (value, v, 4);
        if (n == 1 && v[0] == 0)
          {
            im->ge_p_ppm = im->ge_r_ppm = im->ge_bad_ppm = im->ge_good_ppm = 0;
            return 0;
          }
        /* a chain that never enters its bad state, or never leaves it,
         * is no chain */
        if (n < 2 || v[0] == 0 || v[1] == 0)
          return -1;
        im->ge_p_ppm = v[0];
        im->ge_r_ppm = v[1];
        im->ge_bad_ppm = v[2];
        im->ge_good_ppm = v[3];
        return 0;
      }
    case V_SEED:
    default:
      {
        char *end;
        unsigned long long v;
        if (*value < '0' || *value > '9')
          return -1;
        errno = 0;
        v = strtoull (value, &end, 10);
        if (errno || *end)
          return -1;
        im->seed = v;
        return 0;
      }
    }
}

void
labo_impair_copy (struct labo_impair *dst, const struct labo_impair *src,
                  enum labo_impair_param p)
{
  switch (p)
    {
    case LABO_IMP_LOSS:
      dst->loss_ppm = src->loss_ppm;
      dst->loss_corr_ppm = src->loss_corr_ppm;
      break;
    case LABO_IMP_GEMODEL:
      dst->ge_p_ppm = src->ge_p_ppm;
      dst->ge_r_ppm = src->ge_r_ppm;
      dst->ge_bad_ppm = src->ge_bad_ppm;
      dst->ge_good_ppm = src->ge_good_ppm;
      break;
    case LABO_IMP_RATE:
      dst->rate_bps = src->rate_bps;
      break;
    case LABO_IMP_SEED:
      dst->seed = src->seed;
      break;
    case LABO_IMP_N:
      break;
    default:
      *u32_at (dst, params[p].off) = *u32_at ((struct labo_impair *) (uintptr_t) src, params[p].off);
      break;
    }
}

char *
labo_impair_value_str (const struct labo_impair *im, enum labo_impair_param p, char *buf)
{
  char a[32], b[32], c[32], d[32];
  switch (p)
    {
    case LABO_IMP_DELAY:
      return labo_impair_time_str (im->delay_us, buf);
    case LABO_IMP_JITTER:
      return labo_impair_time_str (im->jitter_us, buf);
    case LABO_IMP_LOSS:
      if (im->loss_corr_ppm == 0)
        return labo_impair_loss_str (im->loss_ppm, buf);
      snprintf (buf, 64, "%.31s,%.31s", labo_impair_loss_str (im->loss_ppm, a),
                labo_impair_loss_str (im->loss_corr_ppm, b));
      return buf;
    case LABO_IMP_GEMODEL:
      if (im->ge_p_ppm == 0)
        return strcpy (buf, "0");
      snprintf (buf, 64, "%.15s,%.15s,%.15s,%.15s", labo_impair_loss_str (im->ge_p_ppm, a),
                labo_impair_loss_str (im->ge_r_ppm, b), labo_impair_loss_str (im->ge_bad_ppm, c),
                labo_impair_loss_str (im->ge_good_ppm, d));
      return buf;
    case LABO_IMP_CORRUPT:
      return labo_impair_loss_str (im->corrupt_ppm, buf);
    case LABO_IMP_DUPLICATE:
      return labo_impair_loss_str (im->duplicate_ppm, buf);
    case LABO_IMP_REORDER:
      return labo_impair_loss_str (im->reorder_ppm, buf);
    case LABO_IMP_RATE:
      return labo_impair_rate_str (im->rate_bps, buf);
    case LABO_IMP_SEED:
    case LABO_IMP_N:
    default:
      snprintf (buf, 64, "%llu", (unsigned long long) im->seed);
      return buf;
    }
}

const char *
labo_impair_conflict (const struct labo_impair *im)
{
  if (im->ge_p_ppm && im->loss_ppm)
    return "loss and gemodel are two models of loss: set one (the other to 0)";
  if (im->reorder_ppm && im->delay_us == 0)
    return "reorder needs a delay: a reordered frame goes ahead of those the delay holds";
  return NULL;
}

double
labo_impair_mean_loss (const struct labo_impair *im)
{
  if (im->ge_p_ppm)
    {
      double p = im->ge_p_ppm / 1e6, r = im->ge_r_ppm / 1e6, bad = p / (p + r);
      return bad * im->ge_bad_ppm / 1e6 + (1 - bad) * im->ge_good_ppm / 1e6;
    }
  return im->loss_ppm / 1e6;
}

/* ---- the draws ---- */

void
labo_impair_rng_seed (struct labo_impair_rng *r, uint64_t seed, int direction)
{
  labo_rng_seed (&r->r, seed, (uint64_t) direction);
  r->bad = false;
}

double
labo_impair_uniform (struct labo_impair_rng *r)
{
  return labo_rng_uniform (&r->r);
}

static bool
draw (struct labo_impair_rng *r, uint32_t ppm)
{
  return ppm && labo_impair_uniform (r) * 1e6 < ppm;
}

/* Whether the frame is lost. Correlated loss is the two-state chain whose
 * mean is P and whose lag-1 correlation is C: from a kept frame, lost with
 * P(1-C); after a lost one, with P + C(1-P). That is Gilbert's model with
 * p = P(1-C), r = (1-P)(1-C), every frame lost in the bad state and none
 * in the good, so both run as one chain: as netem's `loss gemodel`, the
 * state decides the frame, then moves. */
static bool
lost (const struct labo_impair *im, struct labo_impair_rng *r)
{
  double p, rr, bad, good;
  bool was_bad = r->bad, out;

  if (im->ge_p_ppm)
    {
      p = im->ge_p_ppm / 1e6;
      rr = im->ge_r_ppm / 1e6;
      bad = im->ge_bad_ppm / 1e6;
      good = im->ge_good_ppm / 1e6;
    }
  else if (im->loss_corr_ppm && im->loss_ppm)
    {
      double P = im->loss_ppm / 1e6, C = im->loss_corr_ppm / 1e6;
      p = P * (1 - C);
      rr = (1 - P) * (1 - C);
      bad = 1;
      good = 0;
    }
  else
    return draw (r, im->loss_ppm);
  out = labo_impair_uniform (r) < (was_bad ? bad : good);
  if (was_bad ? labo_impair_uniform (r) < rr : labo_impair_uniform (r) < p)
    r->bad = !was_bad;
  return out;
}

unsigned
labo_impair_fate (const struct labo_impair *im, struct labo_impair_rng *r)
{
  unsigned f = 0;
  if (lost (im, r))
    return LABO_FATE_LOST;
  if (draw (r, im->corrupt_ppm))
    f |= LABO_FATE_CORRUPT;
  if (draw (r, im->duplicate_ppm))
    f |= LABO_FATE_DUPLICATE;
  if (im->delay_us && draw (r, im->reorder_ppm))
    f |= LABO_FATE_REORDER;
  return f;
}

char *
labo_impair_describe (const struct labo_impair *im)
{
  char buf[LABO_IMP_N][64];
  const char *part[LABO_IMP_N];
  size_t n = 0;

  if (labo_impair_none (im))
    return xstrdup ("none");
  for (int p = 0; p < LABO_IMP_N; p++)
    {
      struct labo_impair zero = { 0 }, one = zero;
      labo_impair_copy (&one, im, (enum labo_impair_param) p);
      if (labo_impair_equal (&one, &zero))
        continue;
      {
        char v[64];
        snprintf (buf[n], sizeof (buf[n]), "%s %s", params[p].name,
                  labo_impair_value_str (im, (enum labo_impair_param) p, v));
        part[n] = buf[n];
        n++;
      }
    }
  {
    size_t len = 1;
    char *all;
    for (size_t i = 0; i < n; i++)
      len += strlen (part[i]) + 2;
    all = xmalloc (len);
    all[0] = '\0';
    for (size_t i = 0; i < n; i++)
      {
        if (i)
          strcat (all, ", ");
        strcat (all, part[i]);
      }
    return all;
  }
}

const char *
labo_link_mech_name (enum labo_link_mech m)
{
  switch (m)
    {
    case LABO_MECH_NETEM:
      return "netem";
    case LABO_MECH_EMULATOR:
      return "emulator";
    case LABO_MECH_NONE:
    default:
      return "none";
    }
}

int
labo_link_mech_parse (const char *s, enum labo_link_mech *out)
{
  if (strcmp (s, "auto") == 0 || strcmp (s, "none") == 0)
    *out = LABO_MECH_NONE;
  else if (strcmp (s, "netem") == 0)
    *out = LABO_MECH_NETEM;
  else if (strcmp (s, "emulator") == 0)
    *out = LABO_MECH_EMULATOR;
  else
    return -1;
  return 0;
}

/* ---- naming ---- */
