/* Link impairments as values: what a link's settings are, how `labo link`,
 * scenarios and the settings files spell them. Pure. See
 * include/labo/model/impair.h. */
#include "labo/model/impair.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/util/util.h"

void
labo_impair_parse (const char *text, struct labo_impair *out)
{
  static const char *const keys[] = { "delay_us=", "jitter_us=", "loss_ppm=", "rate_bps=" };
  memset (out, 0, sizeof (*out));
  for (const char *line = text; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    for (size_t k = 0; k < 4; k++)
      if (strncmp (line, keys[k], strlen (keys[k])) == 0)
        {
          unsigned long long v = strtoull (line + strlen (keys[k]), NULL, 10);
          switch (k)
            {
            case 0:
              out->delay_us = (uint32_t) v;
              break;
            case 1:
              out->jitter_us = (uint32_t) v;
              break;
            case 2:
              out->loss_ppm = v > 1000000 ? 1000000 : (uint32_t) v;
              break;
            default:
              out->rate_bps = v;
              break;
            }
        }
}

char *
labo_impair_format (const struct labo_impair *im)
{
  return xasprintf ("delay_us=%u\njitter_us=%u\nloss_ppm=%u\nrate_bps=%llu\n", im->delay_us,
                    im->jitter_us, im->loss_ppm, (unsigned long long) im->rate_bps);
}

bool
labo_impair_none (const struct labo_impair *im)
{
  return im->delay_us == 0 && im->jitter_us == 0 && im->loss_ppm == 0 && im->rate_bps == 0;
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

char *
labo_impair_describe (const struct labo_impair *im)
{
  char b[4][32];
  cleanup_free char *d = NULL, *j = NULL, *l = NULL, *r = NULL;

  if (labo_impair_none (im))
    return xstrdup ("none");
  d = im->delay_us ? xasprintf ("delay %s, ", labo_impair_time_str (im->delay_us, b[0])) : xstrdup ("");
  j = im->jitter_us ? xasprintf ("jitter %s, ", labo_impair_time_str (im->jitter_us, b[1]))
                    : xstrdup ("");
  l = im->loss_ppm ? xasprintf ("loss %s, ", labo_impair_loss_str (im->loss_ppm, b[2])) : xstrdup ("");
  r = im->rate_bps ? xasprintf ("rate %s, ", labo_impair_rate_str (im->rate_bps, b[3])) : xstrdup ("");
  {
    char *all = xasprintf ("%s%s%s%s", d, j, l, r);
    all[strlen (all) - 2] = '\0'; /* the last ", " */
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
