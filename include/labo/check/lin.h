/* Linearizability of a history of registers (check/history.h), by the
 * Wing-Gong algorithm with Lowe's cache of configurations (as Knossos's
 * wgl checker and Porcupine do), each key checked on its own
 * (P-compositionality: a history of independent registers is linearizable
 * iff each key's is).
 *
 * Semantics, as Knossos's: FAIL operations took no effect and are left
 * out; INFO operations may have taken effect at any moment after their
 * call, or never (a read that is INFO says nothing and is left out); OK
 * operations took effect once between their call and their answer. The
 * model is a CAS register: read v holds iff the register holds v; write v
 * sets it; cas (e, v) holds iff it holds e, and sets v. The register
 * starts as LABO_NIL (the history's initial write is an operation like
 * the others). An operation called at the very nanosecond another
 * answered is concurrent with it (the permissive reading). An INFO write
 * or CAS whose value no operation reads or expects is left out too: no
 * order needs it, and kept it would weigh on the search to the end.
 *
 * Keys are checked in increasing order. Limits: a key whose search passes
 * the time limit or would hold more than the memory limit in
 * configurations ends UNKNOWN, and the check goes on with the next keys
 * (while time remains): an INVALID key anywhere makes the history
 * INVALID, whatever keys were UNKNOWN; else one UNKNOWN key makes it
 * UNKNOWN, and `key` and `why` name the first. The check stops at the
 * first INVALID key. An INVALID verdict comes with a witness: a smallest
 * set of the key's operations that no order explains, closed (for each
 * value read or expected that some operation of the key writes, an
 * operation of the set writes it), with the key's initial write (its
 * first operation, if an answered write); found by removing operations
 * while it stays unexplainable (1-minimal: no operation can be removed,
 * with those that then read a value no operation left writes). See
 * docs/check.md, "The linearizability checker". */
#ifndef LABO_CHECK_LIN_H
#define LABO_CHECK_LIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labo/check/history.h"

enum labo_lin_verdict
{
  LABO_LIN_VALID,
  LABO_LIN_INVALID,
  LABO_LIN_UNKNOWN,
};

struct labo_lin_limits
{
  double seconds;        /* for the whole check, witness included (0: none) */
  size_t memory_bytes;   /* of configurations cached, per key (0: none) */
};

struct labo_lin_result
{
  enum labo_lin_verdict verdict;
  size_t keys;           /* keys in the history */
  size_t keys_checked;   /* keys with a verdict (the rest: not reached) */
  size_t ops;            /* operations checked (OK and INFO; left out: INFO reads,
                            INFO writes whose value nothing observes) */
  uint64_t configs;      /* configurations explored, all keys */
  size_t peak_bytes;     /* the most memory one key's search held */
  double seconds;        /* spent */
  /* INVALID or UNKNOWN: the key */
  uint32_t key;
  /* UNKNOWN: which limit ("time limit of 10 s", "memory limit of 256 MiB") */
  char why[96];
  /* INVALID: indexes into the history's ops, in call order */
  size_t *witness;
  size_t n_witness;
  bool witness_minimal;  /* false: the time limit came first; a witness still, not the smallest */
  /* INVALID: the operation no order could place (an index into ops): the
   * answer, furthest in time order, that the search reached and had to
   * leave unexplained (Knossos's :op) */
  size_t culprit;
};

/* Checks the ops of h. Returns the verdict, also in *r (free with
 * labo_lin_result_free). Never fails otherwise: allocation failure
 * aborts, as everywhere in labo. */
enum labo_lin_verdict labo_lin_check (const struct labo_history *h,
                                      const struct labo_lin_limits *lim,
                                      struct labo_lin_result *r);
void labo_lin_result_free (struct labo_lin_result *r);
const char *labo_lin_verdict_name (enum labo_lin_verdict v); /* "valid"... */

#endif
