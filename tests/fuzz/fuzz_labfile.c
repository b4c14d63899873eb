/* libFuzzer harness for the lab file reader: labo_labfile_parse on any
 * bytes, under the default limits and under tight ones, with the
 * reader's contract checked (fuzz_common.h). It reads memory only: no
 * file, no privilege, nothing made. `make fuzz`, `make fuzz-ci`. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "labo/model/labfile.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
one (const char *text, size_t size, const struct labo_limits *lim)
{
  struct labo_diags d = { NULL, 0 };
  struct labo_lab *lab = labo_labfile_parse_limited ("fuzz.yaml", text, size, lim, &d);

  fuzz_check (lab != NULL, &d);
  labo_lab_free (lab);
  labo_diags_free (&d);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  one ((const char *) data, size, NULL);
  one ((const char *) data, size, &fuzz_tight);
  return 0;
}
