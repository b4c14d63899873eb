/* Seeded random streams: see include/labo/util/rng.h. */
#include "labo/util/rng.h"

#include <sys/random.h>
#include <time.h>

void
labo_rng_seed (struct labo_rng *r, uint64_t seed, uint64_t stream)
{
  /* splitmix64 of the seed and the stream: never 0, which xorshift keeps */
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  r->s = z ? z : 0x9e3779b97f4a7c15ULL;
}

double
labo_rng_uniform (struct labo_rng *r)
{
  r->s ^= r->s >> 12;
  r->s ^= r->s << 25;
  r->s ^= r->s >> 27;
  return (double) ((r->s * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

uint64_t
labo_rng_below (struct labo_rng *r, uint64_t n)
{
  uint64_t k = (uint64_t) (labo_rng_uniform (r) * (double) n);
  return k < n ? k : n - 1;
}

uint64_t
labo_rng_fresh_seed (void)
{
  uint64_t seed = 0;
  if (getrandom (&seed, sizeof (seed), 0) != sizeof (seed) || seed == 0)
    {
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      seed = (uint64_t) ts.tv_sec * 1000000007ULL + (uint64_t) ts.tv_nsec;
    }
  /* small enough to type back: 1 .. 2^53 */
  return (seed & ((1ULL << 53) - 1)) | 1;
}
