/* A seeded random stream, for everything labo draws (the link emulator's
 * fates, a scenario's choices, the check's stagger): the same seed gives
 * the same draws again, which is what makes a run replayable. xorshift64*
 * seeded through splitmix64: fast and good enough for simulation, not for
 * secrets. */
#ifndef LABO_RNG_H
#define LABO_RNG_H

#include <stdint.h>

struct labo_rng
{
  uint64_t s;
};

/* Stream `stream` of seed `seed`: different streams of one seed are
 * unrelated (a link's two directions, a scenario's and its check's). */
void labo_rng_seed (struct labo_rng *r, uint64_t seed, uint64_t stream);
double labo_rng_uniform (struct labo_rng *r); /* [0, 1) */
/* [0, n), n > 0 */
uint64_t labo_rng_below (struct labo_rng *r, uint64_t n);
/* A seed from the kernel (never 0): for a run that was given none, and
 * prints it so that it can be given next time. */
uint64_t labo_rng_fresh_seed (void);

#endif
