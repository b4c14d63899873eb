/* IPv4 addresses and prefixes: strict parsing and mask arithmetic. */
#include "labo/util/ipv4.h"

#include <stdio.h>

/* Parses a decimal number of at most `max_digits` digits at *s, advancing
 * *s.  Leading zeros are refused ("010" is octal to inet_aton and decimal to
 * others: a lab file must not depend on which). */
static int
parse_decimal (const char **s, unsigned max_digits, unsigned max, unsigned *out)
{
  const char *p = *s;
  unsigned v = 0, n = 0;

  while (*p >= '0' && *p <= '9')
    {
      if (++n > max_digits)
        return -1;
      v = v * 10 + (unsigned) (*p - '0');
      p++;
    }
  if (n == 0 || (n > 1 && **s == '0') || v > max)
    return -1;
  *s = p;
  *out = v;
  return 0;
}

/* Parses "a.b.c.d" at *s, stopping at the first character after it. */
static int
parse_quad (const char **s, uint32_t *addr)
{
  uint32_t a = 0;
  for (int i = 0; i < 4; i++)
    {
      unsigned octet;
      if (i > 0)
        {
          if (**s != '.')
            return -1;
          (*s)++;
        }
      if (parse_decimal (s, 3, 255, &octet) < 0)
        return -1;
      a = (a << 8) | octet;
    }
  *addr = a;
  return 0;
}

int
labo_ipv4_parse (const char *s, uint32_t *addr)
{
  uint32_t a;
  if (s == NULL || parse_quad (&s, &a) < 0 || *s != '\0')
    return -1;
  *addr = a;
  return 0;
}

/* A NULL has_len means the length is required; otherwise it is optional and
 * *has_len tells whether it was there. */
int
labo_prefix_parse (const char *s, struct labo_prefix *p, bool *has_len)
{
  uint32_t a;
  unsigned len = 32;
  bool with_len = false;

  if (s == NULL || parse_quad (&s, &a) < 0)
    return -1;
  if (*s == '/')
    {
      s++;
      if (parse_decimal (&s, 2, 32, &len) < 0)
        return -1;
      with_len = true;
    }
  if (*s != '\0' || (!with_len && has_len == NULL))
    return -1;
  p->addr = a;
  p->len = (uint8_t) len;
  if (has_len)
    *has_len = with_len;
  return 0;
}

uint32_t
labo_prefix_mask (uint8_t len)
{
  /* a shift by 32 is undefined behaviour, hence the special case */
  if (len == 0)
    return 0;
  if (len >= 32)
    return UINT32_MAX;
  return UINT32_MAX << (32 - len);
}

uint32_t
labo_prefix_network (const struct labo_prefix *p)
{
  return p->addr & labo_prefix_mask (p->len);
}

bool
labo_prefix_is_network (const struct labo_prefix *p)
{
  return labo_prefix_network (p) == p->addr;
}

bool
labo_prefix_contains (const struct labo_prefix *net, uint32_t addr)
{
  uint32_t mask = labo_prefix_mask (net->len);
  return (addr & mask) == (net->addr & mask);
}

bool
labo_prefix_overlap (const struct labo_prefix *a, const struct labo_prefix *b)
{
  /* two prefixes overlap exactly when the shorter one contains the other */
  uint32_t mask = labo_prefix_mask (a->len < b->len ? a->len : b->len);
  return ((a->addr ^ b->addr) & mask) == 0;
}

char *
labo_ipv4_format (uint32_t addr, char *buf)
{
  snprintf (buf, 16, "%u.%u.%u.%u", (unsigned) (addr >> 24) & 255,
            (unsigned) (addr >> 16) & 255, (unsigned) (addr >> 8) & 255,
            (unsigned) addr & 255);
  return buf;
}

char *
labo_prefix_format (const struct labo_prefix *p, char *buf)
{
  char a[16];
  snprintf (buf, 20, "%s/%u", labo_ipv4_format (p->addr, a), (unsigned) (p->len & 63));
  return buf;
}
