/* Progress lines and the failure-injection hook: see include/labo/util/progress.h. */
#include "labo/util/progress.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/util/util.h"

int
labo_inject_failure (const char *stage, labo_error_t *err)
{
  const char *at = getenv ("LABO_FAIL_AT");
  if (at && strcmp (at, stage) == 0)
    return labo_error_make (err, 0, "injected failure at stage '%s' (LABO_FAIL_AT)", stage);
  return 0;
}

void
labo_progress_start (struct labo_progress *p, bool quiet, json_t *stages)
{
  p->quiet = quiet || stages != NULL;
  p->stages = stages;
  p->t0 = p->t = labo_now ();
}

void
labo_progress_stage (struct labo_progress *p, const char *stage, const char *fmt, ...)
{
  double now = labo_now ();
  va_list ap;

  if (p->stages)
    {
      char *detail;
      va_start (ap, fmt);
      if (vasprintf (&detail, fmt, ap) < 0)
        detail = NULL;
      va_end (ap);
      json_array_append_new (p->stages, json_pack ("{s:s, s:f, s:s}", "stage", stage, "ms",
                                                   (now - p->t) * 1e3, "detail",
                                                   detail ? detail : ""));
      free (detail);
    }
  else if (!p->quiet)
    {
      printf ("  %-12s %8.1f ms  ", stage, (now - p->t) * 1e3);
      va_start (ap, fmt);
      vprintf (fmt, ap);
      va_end (ap);
      putchar ('\n');
      fflush (stdout);
    }
  p->t = now;
}
