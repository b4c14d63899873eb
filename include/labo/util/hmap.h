/* A map from byte strings to indexes, for finding objects by name in files
 * that may hold hundreds of thousands of them (a lab file's hosts, a YAML
 * document's anchors), where a linear scan per lookup makes reading a file
 * quadratic.
 *
 * Open addressing with linear probing, at most half full. The hash is
 * SipHash-1-3 under a key drawn from getrandom() once per process: the
 * names come from files that may be hostile, and with a fixed hash a file
 * could be written whose names all collide, which would make every lookup
 * a scan again. Nothing depends on the order of the slots, so the random
 * key changes no output.
 *
 * Keys are borrowed: they must outlive the map (or the entry) unchanged.
 * Allocation failure aborts, as everywhere in labo. */
#ifndef LABO_HMAP_H
#define LABO_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct labo_hmap_slot;

struct labo_hmap
{
  struct labo_hmap_slot *slots;
  size_t cap; /* 0 or a power of two */
  size_t n;
};

void labo_hmap_free (struct labo_hmap *m);
#define cleanup_hmap __attribute__ ((cleanup (labo_hmap_free)))

/* True and the value in *val (when val is not NULL) if key is there. */
bool labo_hmap_get (const struct labo_hmap *m, const void *key, size_t len, size_t *val);
/* Adds key -> val and returns true; if key is there already, changes
 * nothing, returns false and puts its value in *old (when old is not
 * NULL). */
bool labo_hmap_put (struct labo_hmap *m, const void *key, size_t len, size_t val, size_t *old);

/* The same for NUL-terminated strings. */
static inline bool
labo_hmap_get_str (const struct labo_hmap *m, const char *key, size_t *val)
{
  size_t len = 0;
  while (key[len])
    len++;
  return labo_hmap_get (m, key, len, val);
}

/* SipHash-1-3 of data under the process's key (exposed for the tests). */
uint64_t labo_hash (const void *data, size_t len);

#endif
