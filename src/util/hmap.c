/* Names to indexes: see include/labo/util/hmap.h. */
#include "labo/util/hmap.h"

#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#include "labo/util/util.h"

struct labo_hmap_slot
{
  const void *key; /* NULL: empty */
  size_t len;
  size_t val;
  uint64_t hash;
};

/* ---- SipHash-1-3 (Aumasson and Bernstein), one compression round a
 * word and three to finish: the variant Rust and Python use for their
 * tables, fast enough for short names ---- */

static uint64_t sip_key[2];
static pthread_once_t sip_once = PTHREAD_ONCE_INIT;

static void
sip_init (void)
{
  /* without entropy (an early boot, a seccomp filter) fall back to
   * something that still differs from run to run */
  if (getrandom (sip_key, sizeof sip_key, 0) != (ssize_t) sizeof sip_key)
    {
      sip_key[0] = (uint64_t) labo_now () * 1000003u ^ (uint64_t) getpid ();
      sip_key[1] = (uint64_t) (uintptr_t) &sip_key ^ 0x9e3779b97f4a7c15u;
    }
}

#define ROTL(x, b) (uint64_t) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                              \
  do                                                                                          \
    {                                                                                         \
      v0 += v1;                                                                               \
      v1 = ROTL (v1, 13);                                                                     \
      v1 ^= v0;                                                                               \
      v0 = ROTL (v0, 32);                                                                     \
      v2 += v3;                                                                               \
      v3 = ROTL (v3, 16);                                                                     \
      v3 ^= v2;                                                                               \
      v0 += v3;                                                                               \
      v3 = ROTL (v3, 21);                                                                     \
      v3 ^= v0;                                                                               \
      v2 += v1;                                                                               \
      v1 = ROTL (v1, 17);                                                                     \
      v1 ^= v2;                                                                               \
      v2 = ROTL (v2, 32);                                                                     \
    }                                                                                         \
  while (0)

uint64_t
labo_hash (const void *data, size_t len)
{
  const unsigned char *p = data;
  uint64_t v0, v1, v2, v3, m, b = (uint64_t) len << 56;
  size_t i, whole = len & ~(size_t) 7;

  pthread_once (&sip_once, sip_init);
  v0 = sip_key[0] ^ 0x736f6d6570736575u;
  v1 = sip_key[1] ^ 0x646f72616e646f6du;
  v2 = sip_key[0] ^ 0x6c7967656e657261u;
  v3 = sip_key[1] ^ 0x7465646279746573u;
  for (i = 0; i < whole; i += 8)
    {
      memcpy (&m, p + i, 8); /* little-endian machines only, as labo's netlink is */
      v3 ^= m;
      SIPROUND;
      v0 ^= m;
    }
  for (size_t k = 0; i + k < len; k++)
    b |= (uint64_t) p[i + k] << (8 * k);
  v3 ^= b;
  SIPROUND;
  v0 ^= b;
  v2 ^= 0xff;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- the table ---- */

void
labo_hmap_free (struct labo_hmap *m)
{
  free (m->slots);
  m->slots = NULL;
  m->cap = m->n = 0;
}

/* The slot holding key, or the empty one where it would go. */
static struct labo_hmap_slot *
find (const struct labo_hmap *m, const void *key, size_t len, uint64_t h)
{
  size_t mask = m->cap - 1;
  for (size_t i = (size_t) h & mask;; i = (i + 1) & mask)
    {
      struct labo_hmap_slot *s = &m->slots[i];
      if (s->key == NULL
          || (s->hash == h && s->len == len && memcmp (s->key, key, len) == 0))
        return s;
    }
}

static void
grow (struct labo_hmap *m)
{
  struct labo_hmap old = *m;

  m->cap = old.cap ? old.cap * 2 : 16;
  m->slots = xcalloc (m->cap, sizeof *m->slots);
  for (size_t i = 0; i < old.cap; i++)
    if (old.slots[i].key)
      *find (m, old.slots[i].key, old.slots[i].len, old.slots[i].hash) = old.slots[i];
  free (old.slots);
}

bool
labo_hmap_get (const struct labo_hmap *m, const void *key, size_t len, size_t *val)
{
  const struct labo_hmap_slot *s;

  if (len == 0)
    key = ""; /* memcmp wants a pointer, even for no bytes */
  if (m->n == 0)
    return false;
  s = find (m, key, len, labo_hash (key, len));
  if (s->key == NULL)
    return false;
  if (val)
    *val = s->val;
  return true;
}

bool
labo_hmap_put (struct labo_hmap *m, const void *key, size_t len, size_t val, size_t *old)
{
  uint64_t h;
  struct labo_hmap_slot *s;

  if (len == 0)
    key = ""; /* a slot's key marks it taken: it cannot be NULL */
  h = labo_hash (key, len);
  /* at most half full: probes stay short */
  if (2 * (m->n + 1) > m->cap)
    grow (m);
  s = find (m, key, len, h);
  if (s->key)
    {
      if (old)
        *old = s->val;
      return false;
    }
  *s = (struct labo_hmap_slot){ key, len, val, h };
  m->n++;
  return true;
}
