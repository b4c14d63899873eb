/* Copies of a lab: see include/labo/model/copy.h. */
#include "labo/model/copy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/model/names.h"
#include "labo/util/util.h"

/* FNV-1a: a spread, not a secret; the machine's interfaces are checked
 * anyway before anything is made. */
static uint32_t
fnv1a (uint32_t h, const char *s)
{
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 16777619u;
  return h;
}

void
labo_copy_ifname (const char *lab, const char *seg, unsigned salt, char out[IFNAMSIZ])
{
  uint32_t h = 2166136261u;
  char s[16];

  if (salt == 0 && strlen (lab) + 1 + strlen (seg) < IFNAMSIZ)
    {
      size_t l = strlen (lab);
      memcpy (out, lab, l);
      out[l] = '-';
      memcpy (out + l + 1, seg, strlen (seg) + 1);
      return;
    }
  snprintf (s, sizeof s, "/%u", salt);
  h = fnv1a (fnv1a (fnv1a (h, lab), "/"), seg);
  h = fnv1a (h, s);
  /* 8 + 1 + 6 = 15 bytes: the copy stays recognisable in `ip link` */
  snprintf (out, IFNAMSIZ, "%.8s-%06x", lab, (unsigned) (h & 0xffffff));
}

int
labo_lab_copy (struct labo_lab *lab, const char *name, labo_error_t *err)
{
  if (labo_lab_name_check (name, err) < 0)
    return -1;
  if (lab->copy_of)
    return labo_error_make (err, 0, "lab %s is already a copy of %s", lab->name, lab->copy_of);
  lab->copy_of = lab->name;
  lab->name = xstrdup (name);
  for (size_t s = 0; s < lab->n_segments; s++)
    {
      struct labo_segment *seg = &lab->segments[s];
      if (!seg->has_root)
        continue;
      /* a file's own root.ifname would be the same in every copy */
      for (unsigned salt = 0;; salt++)
        {
          bool taken = false;
          labo_copy_ifname (name, seg->name, salt, seg->root_ifname);
          for (size_t o = 0; o < s && !taken; o++)
            taken = lab->segments[o].has_root
                    && strcmp (lab->segments[o].root_ifname, seg->root_ifname) == 0;
          if (!taken)
            break;
        }
    }
  return 0;
}

int
labo_pool_parse (const char *text, struct labo_prefix *pool, labo_error_t *err)
{
  bool has_len = false;

  if (labo_prefix_parse (text, pool, &has_len) < 0 || !has_len)
    return labo_error_make (err, 0, "the pool '%s' is not a prefix such as %s", text,
                            LABO_POOL_DEFAULT);
  if (!labo_prefix_is_network (pool))
    return labo_error_make (err, 0, "the pool '%s' has host bits set", text);
  if (pool->len < 8 || pool->len > 30)
    return labo_error_make (err, 0, "the pool '%s' must be a /8 to a /30", text);
  return 0;
}

int
labo_pool_get (struct labo_prefix *pool, labo_error_t *err)
{
  const char *env = getenv ("LABO_POOL");
  if (env && *env)
    {
      if (labo_pool_parse (env, pool, err) < 0)
        return labo_error_wrap (err, "LABO_POOL");
      return 0;
    }
  return labo_pool_parse (LABO_POOL_DEFAULT, pool, err);
}

int
labo_pool_pick (const struct labo_prefix *pool, uint8_t len, const struct labo_prefix *used,
                size_t n_used, bool (*busy) (const struct labo_prefix *block, void *ctx),
                void *ctx, struct labo_prefix *out)
{
  uint64_t step, end;

  if (len < pool->len || len > 32)
    return -1;
  step = (uint64_t) 1 << (32 - len);
  end = (uint64_t) labo_prefix_network (pool) + ((uint64_t) 1 << (32 - pool->len));
  for (uint64_t a = labo_prefix_network (pool); a < end; a += step)
    {
      struct labo_prefix b = { (uint32_t) a, len };
      bool taken = false;
      for (size_t i = 0; i < n_used && !taken; i++)
        taken = labo_prefix_overlap (&b, &used[i]);
      if (!taken && (busy == NULL || !busy (&b, ctx)))
        {
          *out = b;
          return 0;
        }
    }
  return -1;
}

uint32_t
labo_segment_outside (const struct labo_segment *seg, uint32_t inside)
{
  uint32_t mask = labo_prefix_mask (seg->subnet.len);
  if (!seg->mapped)
    return inside;
  return (seg->outside.addr & mask) | (inside & ~mask);
}

uint32_t
labo_lab_outside (const struct labo_lab *lab, uint32_t inside)
{
  for (size_t i = 0; i < lab->n_segments; i++)
    if (lab->segments[i].mapped && labo_prefix_contains (&lab->segments[i].subnet, inside))
      return labo_segment_outside (&lab->segments[i], inside);
  return inside;
}

struct labo_prefix
labo_segment_root_subnet (const struct labo_segment *seg)
{
  return seg->mapped ? seg->outside : seg->subnet;
}

uint32_t
labo_segment_root_address (const struct labo_segment *seg)
{
  return labo_segment_outside (seg, seg->root_addr);
}

char *
labo_copy_roots_text (const struct labo_lab *lab)
{
  char *s = xstrdup ("");
  char p[20];

  for (size_t i = 0; i < lab->n_segments; i++)
    if (lab->segments[i].mapped)
      {
        char *next = xasprintf ("%s%s%s:%s", s, *s ? " " : "", lab->segments[i].name,
                                labo_prefix_format (&lab->segments[i].outside, p));
        free (s);
        s = next;
      }
  return s;
}

/* The next "SEGMENT:PREFIX" word of *text: its colon-separated halves. */
static bool
next_root (const char **text, char seg[IFNAMSIZ], struct labo_prefix *p)
{
  const char *s = *text, *colon, *end;
  char pfx[20];
  bool has_len = false;

  while (*s == ' ')
    s++;
  if (*s == '\0')
    return false;
  end = s + strcspn (s, " ");
  colon = memchr (s, ':', (size_t) (end - s));
  *text = end;
  if (colon == NULL || colon - s >= IFNAMSIZ || end - colon - 1 >= (long) sizeof pfx)
    {
      seg[0] = '\0';
      p->len = 0xff;
      return true;
    }
  memcpy (seg, s, (size_t) (colon - s));
  seg[colon - s] = '\0';
  memcpy (pfx, colon + 1, (size_t) (end - colon - 1));
  pfx[end - colon - 1] = '\0';
  if (labo_prefix_parse (pfx, p, &has_len) < 0 || !has_len)
    p->len = 0xff;
  return true;
}

int
labo_copy_roots_apply (struct labo_lab *lab, const char *text)
{
  char seg[IFNAMSIZ];
  struct labo_prefix p;

  while (next_root (&text, seg, &p))
    {
      long s = labo_lab_find_segment (lab, seg);
      if (s < 0 || p.len != lab->segments[s].subnet.len || !lab->segments[s].has_root)
        return -1;
      lab->segments[s].mapped = true;
      lab->segments[s].outside = p;
    }
  /* every root link of a copy has its block */
  for (size_t i = 0; i < lab->n_segments; i++)
    if (lab->segments[i].has_root && !lab->segments[i].mapped)
      return -1;
  return 0;
}

void
labo_copy_roots_prefixes (const char *text, struct labo_prefix **v, size_t *n)
{
  char seg[IFNAMSIZ];
  struct labo_prefix p;

  while (text && next_root (&text, seg, &p))
    if (p.len <= 32)
      *(struct labo_prefix *) labo_array_push (v, n, sizeof p) = p;
}
