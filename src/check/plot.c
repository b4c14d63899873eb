/* The history as an SVG picture (include/labo/check/plot.h), written by
 * hand: a time axis, a log axis of latency, a point an operation, the
 * faults as bands, the elections as lines. Compact for tens of thousands
 * of operations (a point is a <use> of one of three shapes, coordinates to
 * a tenth of a pixel, grouped by colour), and the same bytes for the same
 * history (integer arithmetic for every number printed). */
#include "labo/check/plot.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "labo/util/util.h"
#include "history-internal.h"

#define DEFAULT_W 960
#define DEFAULT_H 420
/* the plot's area inside the picture */
#define M_LEFT 58
#define M_RIGHT 16
#define M_TOP 40
#define M_BOTTOM 48
/* latencies below this are drawn on the bottom edge */
#define LAT_MIN_DECADE (-1) /* 0.1 ms */
#define LABEL_MAX 32        /* a band's label, in characters */

static const char *const outcome_color[] = {
  [LABO_OP_OK] = "#2e7d32",
  [LABO_OP_FAIL] = "#ef6c00",
  [LABO_OP_INFO] = "#8e24aa",
};
static const char *const outcome_name[] = {
  [LABO_OP_OK] = "ok",
  [LABO_OP_FAIL] = "fail",
  [LABO_OP_INFO] = "info (no answer)",
};
static const char *const f_shape[] = {
  [LABO_OP_READ] = "r",
  [LABO_OP_WRITE] = "w",
  [LABO_OP_CAS] = "c",
};
#define WITNESS_COLOR "#d50000"
#define FAULT_COLOR "#e53935"
#define LEADER_COLOR "#b28900"

struct plot
{
  FILE *out;
  const struct labo_history *h;
  int w, hgt;
  double x0, x1, y0, y1; /* the plot's area */
  int64_t t_end;         /* ns at the right edge */
  int lo, hi;            /* decades of ms at the bottom and the top */
};

/* ---- text ---- */

/* Length of the valid UTF-8 sequence at p (1 to 4), or 0. */
static size_t
utf8_len (const unsigned char *p)
{
  size_t n;
  uint32_t c;

  if (p[0] < 0x80)
    return 1;
  if (p[0] >= 0xc2 && p[0] <= 0xdf)
    n = 2, c = p[0] & 0x1f;
  else if (p[0] >= 0xe0 && p[0] <= 0xef)
    n = 3, c = p[0] & 0x0f;
  else if (p[0] >= 0xf0 && p[0] <= 0xf4)
    n = 4, c = p[0] & 0x07;
  else
    return 0;
  for (size_t i = 1; i < n; i++)
    {
      if ((p[i] & 0xc0) != 0x80)
        return 0;
      c = (c << 6) | (p[i] & 0x3f);
    }
  /* no overlong form, no surrogate, nothing past U+10FFFF */
  if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff)))
      || (n == 4 && (c < 0x10000 || c > 0x10ffff)))
    return 0;
  return n;
}

/* Text as XML character data or an attribute's value: & < > " ' as
 * entities; what XML 1.0 cannot hold (control characters, bytes that are
 * not UTF-8) as '?'. At most max characters (0: all), then "...". */
static void
xml_text (FILE *out, const char *s, size_t max)
{
  const unsigned char *p = (const unsigned char *) (s ? s : "");
  size_t chars = 0;

  while (*p)
    {
      size_t n = utf8_len (p);
      if (max && chars == max)
        {
          fputs ("...", out);
          return;
        }
      chars++;
      if (n == 0)
        {
          fputc ('?', out);
          p++;
          continue;
        }
      if (n > 1)
        {
          fwrite (p, 1, n, out);
          p += n;
          continue;
        }
      switch (*p)
        {
        case '&':
          fputs ("&amp;", out);
          break;
        case '<':
          fputs ("&lt;", out);
          break;
        case '>':
          fputs ("&gt;", out);
          break;
        case '"':
          fputs ("&quot;", out);
          break;
        case '\'':
          fputs ("&#39;", out);
          break;
        default:
          fputc (*p < 0x20 || *p == 0x7f ? '?' : *p, out);
          break;
        }
      p++;
    }
}

/* A coordinate to a tenth, "12.3" or "12": integers only. */
static const char *
num (char *buf, double v)
{
  long long t = llround (v * 10);
  const char *sign = t < 0 ? "-" : "";
  if (t < 0)
    t = -t;
  if (t % 10 == 0)
    snprintf (buf, 24, "%s%lld", sign, t / 10);
  else
    snprintf (buf, 24, "%s%lld.%lld", sign, t / 10, t % 10);
  return buf;
}

/* ---- scales ---- */

static double
x_of (const struct plot *p, int64_t t)
{
  if (t < 0)
    t = 0;
  if (t > p->t_end)
    t = p->t_end;
  return p->x0 + (p->x1 - p->x0) * ((double) t / (double) p->t_end);
}

static double
y_of (const struct plot *p, int64_t lat_ns)
{
  double ms = (double) lat_ns / 1e6, d;
  d = ms <= 0 ? p->lo : log10 (ms);
  if (d < p->lo)
    d = p->lo;
  if (d > p->hi)
    d = p->hi;
  return p->y1 - (p->y1 - p->y0) * ((d - p->lo) / (p->hi - p->lo));
}

/* A tick's step in ms: 1, 2 or 5 times a power of ten, for about 8 ticks. */
static int64_t
tick_step_ms (int64_t span_ms)
{
  int64_t step = 1;
  for (;;)
    {
      static const int mult[] = { 1, 2, 5 };
      for (int i = 0; i < 3; i++)
        if (span_ms / (step * mult[i]) <= 8)
          return step * mult[i];
      step *= 10;
    }
}

static void
fmt_tick_s (char *buf, size_t size, int64_t ms, int64_t step)
{
  if (step % 1000 == 0)
    snprintf (buf, size, "%" PRId64, ms / 1000);
  else if (step % 100 == 0)
    snprintf (buf, size, "%" PRId64 ".%" PRId64, ms / 1000, (ms % 1000) / 100);
  else if (step % 10 == 0)
    snprintf (buf, size, "%" PRId64 ".%02" PRId64, ms / 1000, (ms % 1000) / 10);
  else
    snprintf (buf, size, "%" PRId64 ".%03" PRId64, ms / 1000, ms % 1000);
}

static const char *
decade_label (int d)
{
  static const char *const labels[] = { "0.1 ms", "1 ms", "10 ms", "100 ms", "1 s",
                                        "10 s", "100 s", "1000 s" };
  if (d < -1 || d > 6)
    return "";
  return labels[d + 1];
}

/* ---- parts ---- */

static void
axes (struct plot *p)
{
  FILE *o = p->out;
  char a[24], b[24], c[24], d[24];
  int64_t span_ms = p->t_end / 1000000, step = tick_step_ms (span_ms > 0 ? span_ms : 1);

  fprintf (o, "<g stroke=\"#e0e0e0\" stroke-width=\"1\">\n");
  for (int dec = p->lo; dec <= p->hi; dec++)
    {
      double y = y_of (p, (int64_t) llround (pow (10, dec) * 1e6));
      fprintf (o, "<path d=\"M%s %sH%s\"/>\n", num (a, p->x0), num (b, y), num (c, p->x1));
    }
  fprintf (o, "</g>\n<g font-size=\"10\" fill=\"#444\" text-anchor=\"end\">\n");
  for (int dec = p->lo; dec <= p->hi; dec++)
    {
      double y = y_of (p, (int64_t) llround (pow (10, dec) * 1e6));
      fprintf (o, "<text x=\"%s\" y=\"%s\">%s</text>\n", num (a, p->x0 - 4), num (b, y + 3.5),
               decade_label (dec));
    }
  fprintf (o, "</g>\n<g font-size=\"10\" fill=\"#444\" text-anchor=\"middle\">\n");
  for (int64_t ms = 0; ms <= span_ms; ms += step)
    {
      double x = x_of (p, ms * 1000000);
      char label[32];
      fmt_tick_s (label, sizeof (label), ms, step);
      fprintf (o, "<path d=\"M%s %sv4\" stroke=\"#444\"/><text x=\"%s\" y=\"%s\">%s</text>\n",
               num (a, x), num (b, p->y1), num (c, x), num (d, p->y1 + 15), label);
    }
  fprintf (o, "</g>\n<path d=\"M%s %sV%sH%s\" fill=\"none\" stroke=\"#444\"/>\n", num (a, p->x0),
           num (b, p->y0), num (c, p->y1), num (d, p->x1));
  fprintf (o, "<text x=\"%s\" y=\"%s\" font-size=\"10\" fill=\"#444\" text-anchor=\"end\">time "
              "(s)</text>\n", num (a, p->x1), num (b, p->y1 + 28));
  fprintf (o, "<text x=\"12\" y=\"%s\" font-size=\"10\" fill=\"#444\" "
              "transform=\"rotate(-90 12 %s)\" text-anchor=\"middle\">latency (log)</text>\n",
           num (a, (p->y0 + p->y1) / 2), num (b, (p->y0 + p->y1) / 2));
}

/* Faults: from each FAULT to the next HEAL after it (or the end), a band;
 * bands that overlap add their shades. */
static size_t
bands (struct plot *p)
{
  const struct labo_history *h = p->h;
  FILE *o = p->out;
  char a[24], b[24], c[24], d[24];
  size_t n = 0;

  fprintf (o, "<g class=\"faults\" fill=\"%s\" fill-opacity=\"0.12\">\n", FAULT_COLOR);
  for (size_t i = 0; i < h->n_events; i++)
    {
      const struct labo_event *ev = &h->events[i];
      int64_t end = p->t_end;
      double xa, xb;
      if (ev->kind != LABO_EV_FAULT)
        continue;
      for (size_t k = i + 1; k < h->n_events; k++)
        if (h->events[k].kind == LABO_EV_HEAL && h->events[k].t_ns >= ev->t_ns)
          {
            end = h->events[k].t_ns;
            break;
          }
      xa = x_of (p, ev->t_ns);
      xb = x_of (p, end);
      if (xb - xa < 1)
        xb = xa + 1;
      fprintf (o, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"><title>", num (a, xa),
               num (b, p->y0), num (c, xb - xa), num (d, p->y1 - p->y0));
      xml_text (o, ev->text, 0);
      fputs ("</title></rect>\n", o);
      /* its label, a row down for each band before it, in three rows */
      fprintf (o, "<text x=\"%s\" y=\"%s\" font-size=\"9\" fill=\"#b71c1c\" fill-opacity=\"1\">",
               num (a, xa + 2), num (b, p->y0 + 20 + 10 * (double) (n % 3)));
      xml_text (o, ev->text, LABEL_MAX);
      fputs ("</text>\n", o);
      n++;
    }
  fputs ("</g>\n", o);
  return n;
}

/* Elections: a dashed line each, labelled with the node; notes: a tick
 * under the axis, their text as a tooltip. */
static size_t
event_lines (struct plot *p)
{
  const struct labo_history *h = p->h;
  FILE *o = p->out;
  char a[24], b[24], c[24];
  size_t n = 0;

  fprintf (o, "<g class=\"leaders\" stroke=\"%s\" stroke-dasharray=\"4 3\" font-size=\"9\">\n",
           LEADER_COLOR);
  for (size_t i = 0; i < h->n_events; i++)
    {
      const struct labo_event *ev = &h->events[i];
      double x;
      if (ev->kind != LABO_EV_LEADER || ev->t_ns < 0 || ev->t_ns > p->t_end)
        continue;
      x = x_of (p, ev->t_ns);
      fprintf (o, "<path d=\"M%s %sV%s\"><title>", num (a, x), num (b, p->y0), num (c, p->y1));
      xml_text (o, ev->text, 0);
      fprintf (o, "</title></path><text x=\"%s\" y=\"%s\" stroke=\"none\" fill=\"#7a5c00\" "
                  "text-anchor=\"middle\">", num (a, x), num (b, p->y0 - 3));
      xml_text (o, ev->subject && *ev->subject ? ev->subject : "leader", 16);
      fputs ("</text>\n", o);
      n++;
    }
  fputs ("</g>\n<g class=\"notes\" stroke=\"#757575\">\n", o);
  for (size_t i = 0; i < h->n_events; i++)
    {
      const struct labo_event *ev = &h->events[i];
      if (ev->kind != LABO_EV_NOTE || ev->t_ns < 0 || ev->t_ns > p->t_end)
        continue;
      fprintf (o, "<path d=\"M%s %sv6\"><title>", num (a, x_of (p, ev->t_ns)), num (b, p->y1 + 1));
      xml_text (o, ev->text, 0);
      fputs ("</title></path>\n", o);
    }
  fputs ("</g>\n", o);
  return n;
}

/* Where an operation is drawn: OK and FAIL at their answer and latency,
 * INFO on the top edge at its call. */
static void
op_point (const struct plot *p, const struct labo_op *op, double *x, double *y)
{
  if (op->type == LABO_OP_INFO || op->ret_ns < 0)
    {
      *x = x_of (p, op->call_ns);
      *y = p->y0;
      return;
    }
  *x = x_of (p, op->ret_ns);
  *y = y_of (p, op->ret_ns - op->call_ns);
}

static size_t
points (struct plot *p)
{
  const struct labo_history *h = p->h;
  FILE *o = p->out;
  char a[24], b[24];
  size_t n = 0;

  for (int type = LABO_OP_OK; type <= LABO_OP_INFO; type++)
    for (int f = LABO_OP_READ; f <= LABO_OP_CAS; f++)
      {
        bool open = false;
        for (size_t i = 0; i < h->n_ops; i++)
          {
            const struct labo_op *op = &h->ops[i];
            double x, y;
            if ((int) op->type != type || (int) op->f != f)
              continue;
            if (!open)
              {
                fprintf (o, "<g class=\"ops %s %s\" fill=\"%s\">\n", labo_op_type_name (type),
                         labo_op_f_name (f), outcome_color[type]);
                open = true;
              }
            op_point (p, op, &x, &y);
            fprintf (o, "<use xlink:href=\"#%s\" x=\"%s\" y=\"%s\"/>\n", f_shape[f], num (a, x),
                     num (b, y));
            n++;
          }
        if (open)
          fputs ("</g>\n", o);
      }
  return n;
}

static void
op_title (FILE *o, const struct labo_history *h, const struct labo_op *op, size_t index)
{
  const char *node = history_node_name (h, op->node);
  unsigned f = (unsigned) op->f, type = (unsigned) op->type;
  int64_t lat = (op->ret_ns >= 0 ? op->ret_ns : h->end_ns) - op->call_ns;

  fprintf (o, "op %zu: p%" PRIu32 " %s r%" PRIu32, index, op->process,
           labo_op_f_name (f), op->key);
  if (op->f == LABO_OP_CAS)
    fprintf (o, " %" PRId64 "-&gt;%" PRId64, op->expect, op->value);
  else if (op->value != LABO_NIL)
    fprintf (o, " %" PRId64, op->value);
  fprintf (o, " %s, called at %" PRId64 ".%03" PRId64 " s, %" PRId64 ".%" PRId64 " ms",
           type <= LABO_OP_INFO ? outcome_name[type] : "?", op->call_ns / 1000000000,
           (op->call_ns / 1000000) % 1000, lat / 1000000, (lat / 100000) % 10);
  if (node)
    {
      fputs (", via ", o);
      xml_text (o, node, 0);
    }
}

static size_t
highlights (struct plot *p, const struct labo_plot_opts *opts)
{
  FILE *o = p->out;
  char a[24], b[24];
  size_t n = 0;

  if (opts == NULL || opts->highlight == NULL || opts->n_highlight == 0)
    return 0;
  fprintf (o, "<g class=\"witness\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\">\n",
           WITNESS_COLOR);
  for (size_t k = 0; k < opts->n_highlight; k++)
    {
      size_t i = opts->highlight[k];
      double x, y;
      if (i >= p->h->n_ops)
        continue;
      op_point (p, &p->h->ops[i], &x, &y);
      fprintf (o, "<circle cx=\"%s\" cy=\"%s\" r=\"7\"><title>", num (a, x), num (b, y));
      op_title (o, p->h, &p->h->ops[i], i);
      fputs ("</title></circle>\n", o);
      n++;
    }
  fputs ("</g>\n", o);
  return n;
}

/* One row under the axis: the shapes, the colours, the marks. */
static void
legend (struct plot *p, bool witness)
{
  FILE *o = p->out;
  char a[24], b[24], c[24], d[24];
  double y = p->hgt - 10, x = p->x0;

  fprintf (o, "<g class=\"legend\" font-size=\"10\" fill=\"#444\">\n");
  for (int f = LABO_OP_READ; f <= LABO_OP_CAS; f++, x += 52)
    fprintf (o, "<use xlink:href=\"#%s\" x=\"%s\" y=\"%s\"/><text x=\"%s\" y=\"%s\">%s</text>\n",
             f_shape[f], num (a, x), num (b, y - 3.5), num (c, x + 7), num (d, y),
             labo_op_f_name (f));
  x += 10;
  for (int t = LABO_OP_OK; t <= LABO_OP_INFO; t++)
    {
      fprintf (o, "<rect x=\"%s\" y=\"%s\" width=\"9\" height=\"9\" fill=\"%s\"/>", num (a, x),
               num (b, y - 8), outcome_color[t]);
      fprintf (o, "<text x=\"%s\" y=\"%s\">%s</text>\n", num (a, x + 12), num (b, y),
               outcome_name[t]);
      x += t == LABO_OP_INFO ? 130 : 52;
    }
  fprintf (o, "<rect x=\"%s\" y=\"%s\" width=\"14\" height=\"9\" fill=\"%s\" "
              "fill-opacity=\"0.25\"/><text x=\"%s\" y=\"%s\">fault</text>\n",
           num (a, x), num (b, y - 8), FAULT_COLOR, num (c, x + 17), num (d, y));
  x += 52;
  fprintf (o, "<path d=\"M%s %sv10\" stroke=\"%s\" stroke-dasharray=\"3 2\"/>"
              "<text x=\"%s\" y=\"%s\">new leader</text>\n",
           num (a, x + 4), num (b, y - 9), LEADER_COLOR, num (c, x + 9), num (d, y));
  x += 80;
  if (witness)
    fprintf (o, "<circle cx=\"%s\" cy=\"%s\" r=\"5\" fill=\"none\" stroke=\"%s\" "
                "stroke-width=\"2\"/><text x=\"%s\" y=\"%s\">witness</text>\n",
             num (a, x + 5), num (b, y - 3.5), WITNESS_COLOR, num (c, x + 14), num (d, y));
  fputs ("</g>\n", o);
}

int
labo_plot_svg (FILE *out, const struct labo_history *h, const struct labo_plot_opts *o)
{
  struct plot p = { .out = out, .h = h };
  int64_t max_lat = 0, t_end = h->end_ns;
  size_t count[3] = { 0 };
  char a[24], b[24];

  errno = 0;
  p.w = o && o->width > 0 ? o->width : DEFAULT_W;
  p.hgt = o && o->height > 0 ? o->height : DEFAULT_H;
  if (p.w < M_LEFT + M_RIGHT + 100)
    p.w = M_LEFT + M_RIGHT + 100;
  if (p.hgt < M_TOP + M_BOTTOM + 60)
    p.hgt = M_TOP + M_BOTTOM + 60;
  p.x0 = M_LEFT;
  p.x1 = p.w - M_RIGHT;
  p.y0 = M_TOP;
  p.y1 = p.hgt - M_BOTTOM;
  for (size_t i = 0; i < h->n_ops; i++)
    {
      const struct labo_op *op = &h->ops[i];
      if ((unsigned) op->type <= LABO_OP_INFO)
        count[op->type]++;
      if (op->type != LABO_OP_INFO && op->ret_ns >= 0 && op->ret_ns - op->call_ns > max_lat)
        max_lat = op->ret_ns - op->call_ns;
      if (op->ret_ns > t_end)
        t_end = op->ret_ns;
      if (op->call_ns > t_end)
        t_end = op->call_ns;
    }
  p.t_end = t_end > 0 ? t_end : 1000000000;
  p.lo = LAT_MIN_DECADE;
  p.hi = p.lo + 2;
  while (p.hi < 6 && pow (10, p.hi) * 1e6 < (double) max_lat)
    p.hi++;

  fprintf (out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                "xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
                "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
                "font-size=\"12\">\n", p.w, p.hgt, p.w, p.hgt);
  fputs ("<defs><path id=\"r\" d=\"M-2.5 0a2.5 2.5 0 1 0 5 0a2.5 2.5 0 1 0-5 0z\"/>"
         "<path id=\"w\" d=\"M-2.2-2.2h4.4v4.4h-4.4z\"/>"
         "<path id=\"c\" d=\"M0-3l3 5h-6z\"/></defs>\n",
         out);
  fprintf (out, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", p.w, p.hgt);
  fprintf (out, "<text x=\"%s\" y=\"18\" font-size=\"14\" font-weight=\"bold\" fill=\"#1b1b1b\">",
           num (a, p.x0));
  xml_text (out, o && o->title ? o->title : "history", 0);
  fprintf (out, "</text>\n<text x=\"%s\" y=\"18\" font-size=\"11\" fill=\"#444\" "
                "text-anchor=\"end\">%zu operations: %zu ok, %zu fail, %zu info</text>\n",
           num (b, p.x1), h->n_ops, count[LABO_OP_OK], count[LABO_OP_FAIL], count[LABO_OP_INFO]);
  bands (&p);
  axes (&p);
  event_lines (&p);
  if (h->n_ops == 0)
    fprintf (out, "<text x=\"%s\" y=\"%s\" fill=\"#757575\" text-anchor=\"middle\">no "
                  "operations</text>\n", num (a, (p.x0 + p.x1) / 2), num (b, (p.y0 + p.y1) / 2));
  points (&p);
  highlights (&p, o);
  legend (&p, o && o->n_highlight > 0);
  fputs ("</svg>\n", out);
  if (fflush (out) != 0 || ferror (out))
    {
      if (errno == 0)
        errno = EIO;
      return -1;
    }
  return 0;
}
