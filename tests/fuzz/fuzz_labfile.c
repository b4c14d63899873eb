/* libFuzzer harness for the lab file reader: labo_labfile_parse on any
 * bytes, under the default limits and under tight ones, with the
 * reader's contract checked (fuzz_common.h). It reads memory only: no
 * file, no privilege, nothing made. `make fuzz`, `make fuzz-ci`. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "labo/model/labfile.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* What lab.h promises of a node's kind keys (issue 13): argument and
 * environment vectors NULL-terminated at their counts, the start order
 * within the lab and never a node itself, a health check with what its
 * kind needs. */
static void
check_nodes (const struct labo_lab *lab)
{
  for (size_t i = 0; lab && i < lab->n_nodes; i++)
    {
      const struct labo_node *n = &lab->nodes[i];
      const struct labo_health *h = &n->health;
      if ((n->command && (n->n_command == 0 || n->command[n->n_command]))
          || (n->env && (n->n_env == 0 || n->env[n->n_env]))
          || (n->service == LABO_SERVICE_GENERIC) != (n->image != NULL)
          || (h->kind == LABO_HEALTH_EXEC && (h->n_argv == 0 || h->argv[h->n_argv]))
          || (h->kind == LABO_HEALTH_HTTP && h->url == NULL)
          || (h->kind == LABO_HEALTH_TCP && (h->port < 1 || h->port > 65535)))
        abort ();
      for (size_t k = 0; k < n->n_after; k++)
        if (n->after[k] >= lab->n_nodes || n->after[k] == i)
          abort ();
    }
}

static void
one (const char *text, size_t size, const struct labo_limits *lim)
{
  struct labo_diags d = { NULL, 0 };
  struct labo_lab *lab = labo_labfile_parse_limited ("fuzz.yaml", text, size, lim, &d);

  fuzz_check (lab != NULL, &d);
  check_nodes (lab);
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
