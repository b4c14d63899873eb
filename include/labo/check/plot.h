/* The history as a picture: an SVG of each operation's latency over time
 * (a point at its answer, log scale; ok, fail and info told apart by
 * colour, reads, writes and CAS by shape; INFO operations, never
 * answered, on the top edge at their call; which node an operation went
 * through is not drawn: the timeline says it),
 * the faults as shaded bands (from a FAULT event to the next HEAL, or the
 * end), the elections as marked lines, and, for an invalid history, the
 * witness's operations circled. Hand-written SVG: no dependency, no
 * script, no external reference, so that a browser shows it as an image
 * (labo web serves it with a Content-Security-Policy that allows none). */
#ifndef LABO_CHECK_PLOT_H
#define LABO_CHECK_PLOT_H

#include <stddef.h>
#include <stdio.h>

#include "labo/check/history.h"

struct labo_plot_opts
{
  const char *title;         /* "lab zk3, seed 42: valid" (escaped here) */
  const size_t *highlight;   /* op indexes to circle (the witness), or NULL */
  size_t n_highlight;
  int width, height;         /* pixels (0: 960 x 420) */
};

/* Returns 0, or -1 with errno on a write error. */
int labo_plot_svg (FILE *out, const struct labo_history *h, const struct labo_plot_opts *o);

#endif
