/* libFuzzer harness for the scenario reader: labo_scenario_parse on any
 * bytes, with names unchecked (lab NULL, which reaches every step's
 * options) and checked against the seed lab built into labo, under the
 * default limits and tight ones. Memory only: no lab is up, nothing is
 * played. `make fuzz`, `make fuzz-ci`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "labo/model/labfile.h"
#include "labo/model/scenario.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
one (const char *text, size_t size, const struct labo_lab *lab, const struct labo_limits *lim)
{
  struct labo_diags d = { NULL, 0 };
  struct labo_scenario *sc = labo_scenario_parse_limited ("fuzz.yaml", text, size, lab, lim, &d);

  fuzz_check (sc != NULL, &d);
  labo_scenario_free (sc);
  labo_diags_free (&d);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static struct labo_lab *seed;

  if (seed == NULL)
    {
      seed = labo_labfile_parse (LABO_SEED_FILE, labo_seed_yaml, labo_seed_yaml_len, NULL);
      if (seed == NULL)
        abort ();
    }
  one ((const char *) data, size, NULL, NULL);
  one ((const char *) data, size, seed, NULL);
  one ((const char *) data, size, seed, &fuzz_tight);
  return 0;
}
