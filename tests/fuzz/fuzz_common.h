/* Shared by the fuzz harnesses (fuzz_labfile.c, fuzz_scenario.c): the
 * limits inputs are read under, and the properties every reading must
 * keep. A property broken is a crash: libFuzzer keeps the input. */
#ifndef LABO_FUZZ_COMMON_H
#define LABO_FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "labo/model/labfile.h"
#include "labo/model/limits.h"

/* Tight limits, so that inputs of a few kilobytes reach every limit's
 * refusal (the defaults need hundreds of kilobytes for most). */
static const struct labo_limits fuzz_tight = {
  .file_size = 2048,
  .yaml_depth = 8,
  .yaml_nodes = 200,
  .yaml_aliased = 50,
  .hosts = 3,
  .links = 4,
  .nodes = 2,
  .steps = 3,
  .arg_size = 16,
};

/* The contract of the readers (include/labo/model/labfile.h, scenario.h): an
 * object or diagnostics, never both, never neither; diagnostics sorted
 * by position, each one line naming the file. */
static inline void
fuzz_check (bool made, const struct labo_diags *d)
{
  if (made == (d->n > 0))
    abort ();
  for (size_t i = 0; i < d->n; i++)
    {
      const struct labo_diag *g = &d->v[i];
      if (g->msg == NULL || g->msg[0] == '\0' || strchr (g->msg, '\n')
          || strcmp (g->file, "fuzz.yaml") != 0 || g->line < 0 || g->col < 0)
        abort ();
      if (i > 0
          && (g->line < d->v[i - 1].line
              || (g->line == d->v[i - 1].line && g->col < d->v[i - 1].col)))
        abort ();
    }
}

#endif
