/* IPv4 addresses and prefixes: parsing and arithmetic, pure logic.
 * Addresses are kept in host byte order so that masks and ranges are plain
 * integer operations; convert with htonl() at the netlink boundary. */
#ifndef LABO_IPV4_H
#define LABO_IPV4_H

#include <stdbool.h>
#include <stdint.h>

struct labo_prefix
{
  uint32_t addr; /* host byte order */
  uint8_t len;   /* 0..32 */
};

/* Parses dotted-quad "a.b.c.d" strictly (no leading zeros, no shorthand).
 * Returns 0 or -1. */
int labo_ipv4_parse (const char *s, uint32_t *addr);
/* Parses "a.b.c.d/len" (require_len) or "a.b.c.d[/len]" (len 32 if absent,
 * has_len tells). Returns 0 or -1. */
int labo_prefix_parse (const char *s, struct labo_prefix *p, bool *has_len);

uint32_t labo_prefix_mask (uint8_t len);
uint32_t labo_prefix_network (const struct labo_prefix *p);
/* True if p has no host bits set. */
bool labo_prefix_is_network (const struct labo_prefix *p);
bool labo_prefix_contains (const struct labo_prefix *net, uint32_t addr);
bool labo_prefix_overlap (const struct labo_prefix *a, const struct labo_prefix *b);

/* Formats into buf (at least 16 bytes, 20 for prefixes). Returns buf. */
char *labo_ipv4_format (uint32_t addr, char *buf);
char *labo_prefix_format (const struct labo_prefix *p, char *buf);

#endif
