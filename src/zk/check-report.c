/* The check's analysis and its report (include/labo/zk/check.h): pure, from
 * what the client recorded (check.c) to a JSON report, and the report
 * printed. tests/unit/test_check.c feeds it made-up records with each
 * kind of loss. */
#include "check-internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/zk/check.h"
#include "labo/util/util.h"

char *
check_data (uint32_t writer, uint32_t session, uint64_t n)
{
  return xasprintf ("w%" PRIu32 " s%" PRIu32 " n%" PRIu64, writer, session, n);
}

long long
check_seq (const char *name)
{
  const char *dash = strrchr (name, '-');
  char *end;
  long long v;

  if (dash == NULL || dash[1] == '\0')
    return -1;
  v = strtoll (dash + 1, &end, 10);
  return *end == '\0' && v >= 0 ? v : -1;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static int
cmp_cz_name (const void *a, const void *b)
{
  return strcmp (((const struct cz *) a)->name, ((const struct cz *) b)->name);
}

static int
cmp_cz_seq (const void *a, const void *b)
{
  long long x = check_seq ((*(struct cz *const *) a)->name);
  long long y = check_seq ((*(struct cz *const *) b)->name);
  return x < y ? -1 : x > y;
}

/* The znode named `name` on node n (n->z sorted by name), or NULL. */
static const struct cz *
find (const struct cnode *n, const char *name)
{
  struct cz key = { (char *) name, NULL, 0 };
  return bsearch (&key, n->z, n->nz, sizeof (*n->z), cmp_cz_name);
}

/* Keeps the first few examples of a kind of problem. */
static void
example (json_t *arr, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void
example (json_t *arr, const char *fmt, ...)
{
  va_list ap;
  char *s;

  if (json_array_size (arr) >= 10)
    return;
  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  va_end (ap);
  json_array_append_new (arr, json_string (s));
  free (s);
}

static const char *
state_name (enum cw_state s)
{
  switch (s)
    {
    case CW_ACKED:
      return "acknowledged";
    case CW_REFUSED:
      return "refused";
    case CW_FAILED:
      return "failed";
    case CW_PENDING:
    case CW_INDETERMINATE:
    default:
      return "indeterminate";
    }
}

/* What the analysis gathers on its way to the report. The writes are
 * indexed by writer: those of writer k are w[by_writer[first_of[k] ..]],
 * count_of[k] of them, in attempt order. The examples' arrays are filled
 * in the report's order, since each keeps only its first few. */
struct analysis
{
  const struct check_record *r;
  double period;      /* seconds a tick */
  long ticks;
  double bucket_s;    /* seconds a column of the timelines */
  size_t n_buckets;
  bool *avail;        /* per tick: some writer was acknowledged */
  double *lat;        /* the acknowledged writes' latencies, n_lat of them */
  size_t n_lat;
  size_t *first_of, *count_of, *by_writer;
  bool *applied;      /* per write: an unanswered write found applied */
  size_t acked, indet, refused, failed, indet_applied;
  size_t lost, corrupt, order, divergent, unexplained;
  const struct cnode *ref; /* the first node verified: what the others are compared with */
  json_t *nodes, *outages, *lost_ex, *order_ex, *div_ex, *unverified, *verified;
};

/* Writer k's j-th write. */
static const struct cw *
writer_write (const struct analysis *a, size_t k, size_t j)
{
  return &a->r->w[a->by_writer[a->first_of[k] + j]];
}

static void
analysis_init (struct analysis *a, const struct check_record *r)
{
  size_t n_w = r->n_w ? r->n_w : 1;

  memset (a, 0, sizeof (*a));
  a->r = r;
  a->period = r->rate > 0 ? 1.0 / r->rate : 1.0;
  a->ticks = r->ticks > 0 ? r->ticks : 1;
  /* at most about 100 columns, each of whole seconds */
  a->bucket_s = fmax (1.0, ceil (r->duration_s / 100.0));
  a->n_buckets = (size_t) fmax (1.0, ceil (r->duration_s / a->bucket_s));
  a->avail = xcalloc ((size_t) a->ticks, sizeof (bool));
  a->lat = xcalloc (n_w, sizeof (double));
  a->first_of = xcalloc (r->n_nodes + 1, sizeof (size_t));
  a->count_of = xcalloc (r->n_nodes + 1, sizeof (size_t));
  a->by_writer = xcalloc (n_w, sizeof (size_t));
  a->applied = xcalloc (n_w, sizeof (bool));
  a->nodes = json_array ();
  a->outages = json_array ();
  a->lost_ex = json_array ();
  a->order_ex = json_array ();
  a->div_ex = json_array ();
  a->unverified = json_array ();
  a->verified = json_array ();
}

/* Frees the working arrays; the JSON arrays have gone into the report. */
static void
analysis_release (struct analysis *a)
{
  free (a->avail);
  free (a->lat);
  free (a->first_of);
  free (a->count_of);
  free (a->by_writer);
  free (a->applied);
}

/* What each writer did: the counts by outcome, the latencies, the ticks
 * with an acknowledgement, and the index by writer. */
static void
count_writes (struct analysis *a)
{
  const struct check_record *r = a->r;
  cleanup_free size_t *fill = NULL;

  for (size_t i = 0; i < r->n_w; i++)
    {
      const struct cw *w = &r->w[i];
      if (w->writer < r->n_nodes)
        a->count_of[w->writer]++;
      if (w->tick >= 0 && w->tick < a->ticks && w->state == CW_ACKED)
        a->avail[w->tick] = true;
      switch (w->state)
        {
        case CW_ACKED:
          a->acked++;
          a->lat[a->n_lat++] = w->t1 - w->t0;
          break;
        case CW_REFUSED:
          a->refused++;
          break;
        case CW_FAILED:
          a->failed++;
          break;
        case CW_PENDING:
        case CW_INDETERMINATE:
        default:
          a->indet++;
        }
    }
  for (size_t k = 1; k <= r->n_nodes; k++)
    a->first_of[k] = a->first_of[k - 1] + a->count_of[k - 1];
  fill = xcalloc (r->n_nodes + 1, sizeof (size_t));
  for (size_t i = 0; i < r->n_w; i++)
    if (r->w[i].writer < r->n_nodes)
      a->by_writer[a->first_of[r->w[i].writer] + fill[r->w[i].writer]++] = i;
}

/* Node k's entry in the report: its writes by outcome, the time it could
 * not write, and its timeline, one column a bucket: '#' every write
 * acknowledged, '+' some, 'x' refused or unanswered, '.' no connection. */
static json_t *
node_entry (const struct analysis *a, size_t k)
{
  const struct cnode *n = &a->r->nodes[k];
  size_t n_buckets = a->n_buckets;
  cleanup_free char *line = xcalloc (n_buckets + 1, 1);
  cleanup_free size_t *ok = xcalloc (n_buckets, sizeof (size_t));
  cleanup_free size_t *bad = xcalloc (n_buckets, sizeof (size_t));
  cleanup_free size_t *off = xcalloc (n_buckets, sizeof (size_t));
  size_t c[5] = { 0 }, down_ticks = 0;

  for (size_t j = 0; j < a->count_of[k]; j++)
    {
      const struct cw *w = writer_write (a, k, j);
      size_t b = (size_t) fmin ((double) (n_buckets - 1), floor (w->t0 / a->bucket_s));
      c[w->state]++;
      if (w->state == CW_ACKED)
        ok[b]++;
      else
        {
          down_ticks++;
          if (w->state == CW_REFUSED)
            off[b]++;
          else
            bad[b]++;
        }
    }
  for (size_t b = 0; b < n_buckets; b++)
    line[b] = ok[b] && !bad[b] && !off[b] ? '#'
              : ok[b]                     ? '+'
              : bad[b]                    ? 'x'
              : off[b]                    ? '.'
                                          : ' ';
  return json_pack ("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:s, s:b, s:s?, s:I}", "name",
                    n->name, "endpoint", n->endpoint ? n->endpoint : "", "writes",
                    (json_int_t) a->count_of[k], "acknowledged", (json_int_t) c[CW_ACKED],
                    "indeterminate", (json_int_t) (c[CW_PENDING] + c[CW_INDETERMINATE]),
                    "refused", (json_int_t) c[CW_REFUSED], "failed", (json_int_t) c[CW_FAILED],
                    "unavailable_s", (double) down_ticks * a->period, "timeline", line,
                    "verified", n->verified, "why", n->why, "znodes", (json_int_t) n->nz);
}

/* Each node's entry, and which nodes were read whole (the first of them
 * the reference). */
static void
list_nodes (struct analysis *a)
{
  for (size_t k = 0; k < a->r->n_nodes; k++)
    {
      const struct cnode *n = &a->r->nodes[k];

      json_array_append_new (a->nodes, node_entry (a, k));
      if (n->verified)
        {
          json_array_append_new (a->verified, json_string (n->name));
          if (a->ref == NULL)
            a->ref = n;
        }
      else
        json_array_append_new (a->unverified, json_pack ("{s:s, s:s}", "name", n->name, "why",
                                                         n->why ? n->why : "not read"));
    }
}

/* The outages: runs of ticks at which no writer got an acknowledgement. */
static void
find_outages (struct analysis *a)
{
  for (long t = 0; t < a->ticks;)
    {
      long e;
      if (a->avail[t])
        {
          t++;
          continue;
        }
      for (e = t; e < a->ticks && !a->avail[e]; e++)
        ;
      json_array_append_new (a->outages,
                             json_pack ("{s:f, s:f, s:f}", "from", (double) t * a->period, "to",
                                        (double) e * a->period, "s",
                                        (double) (e - t) * a->period));
      t = e;
    }
}

/* Every acknowledged write is on every node read, with its data, and with
 * the reference's czxid. */
static void
verify_acknowledged (struct analysis *a)
{
  const struct check_record *r = a->r;

  for (size_t i = 0; i < r->n_w; i++)
    {
      const struct cw *w = &r->w[i];
      cleanup_free char *want = NULL;
      const struct cz *at_ref;
      bool missing = false, altered = false;

      if (w->state != CW_ACKED)
        continue;
      want = check_data (w->writer, w->session, w->n);
      at_ref = w->name ? find (a->ref, w->name) : NULL;
      for (size_t k = 0; k < r->n_nodes; k++)
        {
          const struct cnode *n = &r->nodes[k];
          const struct cz *z;
          if (!n->verified)
            continue;
          z = w->name ? find (n, w->name) : NULL;
          if (z == NULL)
            {
              missing = true;
              example (a->lost_ex, "%s (%s, acknowledged at %.1f s) is not on %s",
                       w->name ? w->name : "?", want, w->t1, n->name);
            }
          else if (strcmp (z->data, want) != 0)
            {
              altered = true;
              example (a->lost_ex, "%s on %s holds '%s', not '%s'", w->name, n->name, z->data,
                       want);
            }
          else if (at_ref && z->czxid != at_ref->czxid)
            {
              a->divergent++;
              example (a->div_ex, "%s has czxid 0x%" PRIx64 " on %s, 0x%" PRIx64 " on %s",
                       w->name, (uint64_t) z->czxid, n->name, (uint64_t) at_ref->czxid,
                       a->ref->name);
            }
        }
      a->lost += missing;
      a->corrupt += altered && !missing;
    }
}

/* Every node read holds the same znodes as the reference. */
static void
verify_same_znodes (struct analysis *a)
{
  const struct cnode *ref = a->ref;

  for (size_t k = 0; k < a->r->n_nodes; k++)
    {
      const struct cnode *n = &a->r->nodes[k];
      if (!n->verified || n == ref)
        continue;
      for (size_t j = 0; j < n->nz; j++)
        if (find (ref, n->z[j].name) == NULL)
          {
            a->divergent++;
            example (a->div_ex, "%s is on %s, not on %s", n->z[j].name, n->name, ref->name);
          }
      for (size_t j = 0; j < ref->nz; j++)
        if (find (n, ref->z[j].name) == NULL)
          {
            a->divergent++;
            example (a->div_ex, "%s is on %s, not on %s", ref->z[j].name, ref->name, n->name);
          }
    }
}

/* On each node read, the sequence order is the zxid order. */
static void
verify_zxid_order (struct analysis *a)
{
  for (size_t k = 0; k < a->r->n_nodes; k++)
    {
      const struct cnode *n = &a->r->nodes[k];
      cleanup_free const struct cz **v = xcalloc (n->nz ? n->nz : 1, sizeof (*v));
      if (!n->verified)
        continue;
      for (size_t j = 0; j < n->nz; j++)
        v[j] = &n->z[j];
      qsort (v, n->nz, sizeof (*v), cmp_cz_seq);
      for (size_t j = 1; j < n->nz; j++)
        if (v[j]->czxid <= v[j - 1]->czxid)
          {
            a->order++;
            example (a->order_ex, "on %s, %s (czxid 0x%" PRIx64 ") comes after %s (0x%" PRIx64
                                  ") in sequence, before it in zxid order",
                     n->name, v[j]->name, (uint64_t) v[j]->czxid, v[j - 1]->name,
                     (uint64_t) v[j - 1]->czxid);
          }
    }
}

/* One session's acknowledged writes are numbered in their order. */
static void
verify_session_order (struct analysis *a)
{
  for (size_t k = 0; k < a->r->n_nodes; k++)
    {
      const struct cw *prev = NULL;
      for (size_t j = 0; j < a->count_of[k]; j++)
        {
          const struct cw *w = writer_write (a, k, j);
          if (w->state != CW_ACKED || w->name == NULL)
            continue;
          if (prev && prev->session == w->session
              && check_seq (w->name) <= check_seq (prev->name))
            {
              a->order++;
              example (a->order_ex, "%s's write n%" PRIu64 " was numbered %s, before its "
                                    "earlier write n%" PRIu64 " (%s)",
                       a->r->nodes[k].name, w->n, w->name, prev->n, prev->name);
            }
          prev = w;
        }
    }
}

/* What became of the writes without an answer (applied or not); nothing
 * else may be on the reference. */
static void
explain_the_rest (struct analysis *a)
{
  const struct check_record *r = a->r;
  const struct cnode *ref = a->ref;

  for (size_t j = 0; j < ref->nz; j++)
    {
      unsigned wr, se;
      unsigned long long nn;
      int used = 0;
      const struct cw *w = NULL;

      if (sscanf (ref->z[j].data, "w%u s%u n%llu%n", &wr, &se, &nn, &used) == 3
          && ref->z[j].data[used] == '\0' && wr < r->n_nodes && nn < a->count_of[wr])
        w = writer_write (a, wr, nn);
      if (w && w->n == nn && w->session == se
          && (w->state == CW_PENDING || w->state == CW_INDETERMINATE))
        {
          if (!a->applied[w - r->w])
            a->indet_applied++;
          a->applied[w - r->w] = true;
        }
      else if (w == NULL || w->n != nn || w->session != se || w->state != CW_ACKED)
        {
          a->unexplained++;
          example (a->div_ex, "%s on %s holds '%s', a write that was %s", ref->z[j].name,
                   ref->name, ref->z[j].data, w ? state_name (w->state) : "never made");
        }
    }
}

/* The report from what was gathered (docs/status.md, "labo check"); the
 * order of its keys is the order of its JSON. */
static json_t *
report_json (struct analysis *a)
{
  const struct check_record *r = a->r;
  json_t *rep = json_object (), *marks = json_array ();
  const char *verdict;
  size_t n_lat = a->n_lat;
  const double *lat = a->lat;

  qsort (a->lat, n_lat, sizeof (*a->lat), cmp_double);
  verdict = a->lost || a->corrupt || a->order || a->divergent || a->unexplained ? "lost"
            : json_array_size (a->unverified) || a->ref == NULL                 ? "unverified"
                                                                                : "ok";
  for (size_t m = 0; m < r->n_marks; m++)
    json_array_append_new (marks, json_pack ("{s:f, s:s}", "t", r->marks[m].t, "text",
                                             r->marks[m].text));
  json_object_set_new (rep, "lab", json_string (r->lab ? r->lab : ""));
  json_object_set_new (rep, "root", json_string (r->root ? r->root : ""));
  json_object_set_new (rep, "rate", json_integer (r->rate));
  json_object_set_new (rep, "duration_s", json_real (r->duration_s));
  json_object_set_new (rep, "bucket_s", json_real (a->bucket_s));
  json_object_set_new (rep, "nodes", a->nodes);
  json_object_set_new (rep, "marks", marks);
  json_object_set_new (rep, "outages", a->outages);
  json_object_set_new (
      rep, "writes",
      json_pack ("{s:I, s:I, s:I, s:I, s:I, s:I}", "attempted", (json_int_t) r->n_w,
                 "acknowledged", (json_int_t) a->acked, "indeterminate", (json_int_t) a->indet,
                 "indeterminate_applied", (json_int_t) a->indet_applied, "refused",
                 (json_int_t) a->refused, "failed", (json_int_t) a->failed));
  json_object_set_new (
      rep, "latency_ms",
      n_lat ? json_pack ("{s:f, s:f, s:f}", "median", 1000 * lat[n_lat / 2], "p99",
                         1000 * lat[(size_t) ((double) (n_lat - 1) * 0.99)], "max",
                         1000 * lat[n_lat - 1])
            : json_null ());
  json_object_set_new (rep, "verified", a->verified);
  json_object_set_new (rep, "unverified", a->unverified);
  json_object_set_new (rep, "lost",
                       json_pack ("{s:I, s:I, s:o}", "missing", (json_int_t) a->lost, "altered",
                                  (json_int_t) a->corrupt, "examples", a->lost_ex));
  json_object_set_new (rep, "order_errors",
                       json_pack ("{s:I, s:o}", "count", (json_int_t) a->order, "examples",
                                  a->order_ex));
  json_object_set_new (rep, "divergent",
                       json_pack ("{s:I, s:o}", "count",
                                  (json_int_t) (a->divergent + a->unexplained), "examples",
                                  a->div_ex));
  json_object_set_new (rep, "verdict", json_string (verdict));
  return rep;
}

json_t *
check_analyse (const struct check_record *r)
{
  struct analysis a;
  json_t *rep;

  analysis_init (&a, r);
  count_writes (&a);
  list_nodes (&a);
  find_outages (&a);
  /* the verification needs a node read whole to compare the others with */
  if (a.ref)
    {
      verify_acknowledged (&a);
      verify_same_znodes (&a);
      verify_zxid_order (&a);
      verify_session_order (&a);
      explain_the_rest (&a);
    }
  rep = report_json (&a);
  analysis_release (&a);
  return rep;
}

const char *
labo_check_verdict (json_t *report)
{
  const char *v = json_string_value (json_object_get (report, "verdict"));
  return v ? v : "unverified";
}

static const char mark_glyphs[] = "123456789abcdefghijklmnopqrstuvwxyz";

/* The glyph of the i-th step mark, '*' past the last. */
static char
mark_glyph (size_t i)
{
  return i < sizeof (mark_glyphs) - 1 ? mark_glyphs[i] : '*';
}

/* The heading, a ruler every 10 columns, and a timeline a node, its name
 * in name_w columns. */
static void
print_timelines (json_t *rep, FILE *out, size_t width, size_t name_w)
{
  json_t *nodes = json_object_get (rep, "nodes"), *n;
  double bucket = json_real_value (json_object_get (rep, "bucket_s"));
  size_t i;

  fprintf (out, "check of lab %s: %zu nodes, %d writes a second through each, %.1f s\n",
           json_string_value (json_object_get (rep, "lab")), json_array_size (nodes),
           (int) json_integer_value (json_object_get (rep, "rate")),
           json_real_value (json_object_get (rep, "duration_s")));
  fprintf (out, "timeline, %g s a column: # every write acknowledged, + some, x refused or "
                "unanswered, . no connection\n", bucket);
  fprintf (out, "  %-*s ", (int) name_w, "");
  for (size_t c = 0; c < width; c += 10)
    {
      char lbl[16];
      int len = snprintf (lbl, sizeof (lbl), "%gs", (double) c * bucket);
      fprintf (out, "%-10s", len <= 10 ? lbl : "");
    }
  fputc ('\n', out);
  json_array_foreach (nodes, i, n)
    fprintf (out, "  %-*s %s\n", (int) name_w, json_string_value (json_object_get (n, "name")),
             json_string_value (json_object_get (n, "timeline")));
}

/* The scenario's steps under the timelines, a glyph in the column of
 * each (a '*' where two share one), then the glyphs explained. */
static void
print_marks (json_t *rep, FILE *out, size_t width, size_t name_w)
{
  json_t *marks = json_object_get (rep, "marks"), *m;
  double bucket = json_real_value (json_object_get (rep, "bucket_s"));
  cleanup_free char *row = NULL;
  size_t i;

  if (json_array_size (marks) == 0)
    return;
  row = xcalloc (width + 1, 1);
  memset (row, ' ', width);
  json_array_foreach (marks, i, m)
    {
      size_t c = (size_t) (json_real_value (json_object_get (m, "t")) / bucket);
      if (c < width && i < sizeof (mark_glyphs) - 1)
        row[c] = row[c] == ' ' ? mark_glyphs[i] : '*';
    }
  fprintf (out, "  %-*s %s\n", (int) name_w, "steps", row);
  json_array_foreach (marks, i, m)
    fprintf (out, "    %c %6.1fs  %s\n", mark_glyph (i),
             json_real_value (json_object_get (m, "t")),
             json_string_value (json_object_get (m, "text")));
}

/* The outages, their number, total and the first five. */
static void
print_outages (json_t *rep, FILE *out)
{
  json_t *outages = json_object_get (rep, "outages"), *m;
  double total = 0;
  size_t i;

  if (json_array_size (outages) == 0)
    {
      fprintf (out, "outages: none (at every tick some node acknowledged a write)\n");
      return;
    }
  json_array_foreach (outages, i, m)
    total += json_real_value (json_object_get (m, "s"));
  fprintf (out, "outages (no node acknowledged a write): %zu, %.1f s in all",
           json_array_size (outages), total);
  json_array_foreach (outages, i, m)
    {
      if (i == 5)
        {
          fprintf (out, "; ...");
          break;
        }
      fprintf (out, "%s %.1f-%.1f s", i ? ";" : ":", json_real_value (json_object_get (m, "from")),
               json_real_value (json_object_get (m, "to")));
    }
  fputc ('\n', out);
}

/* The writes by outcome, and the acknowledged ones' latencies. */
static void
print_writes (json_t *rep, FILE *out)
{
  json_t *w = json_object_get (rep, "writes"), *lat = json_object_get (rep, "latency_ms");

  fprintf (out, "writes: %" JSON_INTEGER_FORMAT " acknowledged",
           json_integer_value (json_object_get (w, "acknowledged")));
  if (json_is_object (lat))
    fprintf (out, " (median %.1f ms, p99 %.1f ms, max %.0f ms)",
             json_real_value (json_object_get (lat, "median")),
             json_real_value (json_object_get (lat, "p99")),
             json_real_value (json_object_get (lat, "max")));
  fprintf (out, ", %" JSON_INTEGER_FORMAT " unanswered (%" JSON_INTEGER_FORMAT
                " of them applied), %" JSON_INTEGER_FORMAT " refused, %" JSON_INTEGER_FORMAT
                " failed\n",
           json_integer_value (json_object_get (w, "indeterminate")),
           json_integer_value (json_object_get (w, "indeterminate_applied")),
           json_integer_value (json_object_get (w, "refused")),
           json_integer_value (json_object_get (w, "failed")));
}

/* A kind of problem's examples, one a line. */
static void
print_examples (json_t *kind, FILE *out)
{
  json_t *s;
  size_t j;

  json_array_foreach (json_object_get (kind, "examples"), j, s)
    fprintf (out, "  %s\n", json_string_value (s));
}

/* What the verification found: the nodes not read, each kind of problem
 * with its examples, and the nodes read. */
static void
print_findings (json_t *rep, FILE *out)
{
  json_t *lost = json_object_get (rep, "lost"), *ord = json_object_get (rep, "order_errors");
  json_t *div = json_object_get (rep, "divergent");
  json_int_t missing = json_integer_value (json_object_get (lost, "missing"));
  json_int_t altered = json_integer_value (json_object_get (lost, "altered"));
  json_int_t orders = json_integer_value (json_object_get (ord, "count"));
  json_int_t divs = json_integer_value (json_object_get (div, "count"));
  json_t *names = json_object_get (rep, "verified"), *s;
  size_t j;

  json_array_foreach (json_object_get (rep, "unverified"), j, s)
    fprintf (out, "not verified on %s: %s\n", json_string_value (json_object_get (s, "name")),
             json_string_value (json_object_get (s, "why")));
  if (missing || altered)
    fprintf (out, "LOST: %" JSON_INTEGER_FORMAT " acknowledged write%s missing, %"
                  JSON_INTEGER_FORMAT " altered\n", missing, missing == 1 ? "" : "s", altered);
  print_examples (lost, out);
  if (orders)
    fprintf (out, "OUT OF ORDER: %" JSON_INTEGER_FORMAT "\n", orders);
  print_examples (ord, out);
  if (divs)
    fprintf (out, "NODES DISAGREE: %" JSON_INTEGER_FORMAT "\n", divs);
  print_examples (div, out);
  if (json_array_size (names))
    {
      fprintf (out, "verified on");
      json_array_foreach (names, j, s)
        fprintf (out, "%s %s", j ? "," : "", json_string_value (s));
      fputc ('\n', out);
    }
}

/* One operation of the registers' history, as a line of the witness. */
static void
print_op (json_t *op, bool culprit, FILE *out)
{
  json_t *ret = json_object_get (op, "ret_s"), *v = json_object_get (op, "value");
  const char *f = json_string_value (json_object_get (op, "f"));
  char what[64], val[24] = "nil";

  if (json_is_integer (v))
    snprintf (val, sizeof (val), "%" JSON_INTEGER_FORMAT, json_integer_value (v));
  if (strcmp (f, "cas") == 0)
    {
      json_t *e = json_object_get (op, "expect");
      if (json_is_integer (e))
        snprintf (what, sizeof (what), "cas %" JSON_INTEGER_FORMAT " -> %s",
                  json_integer_value (e), val);
      else
        snprintf (what, sizeof (what), "cas nil -> %s", val);
    }
  else if (strcmp (f, "read") == 0)
    snprintf (what, sizeof (what), "read -> %s", val);
  else
    snprintf (what, sizeof (what), "write %s", val);
  fprintf (out, "  %8.3f s - ", json_real_value (json_object_get (op, "call_s")));
  if (json_is_number (ret))
    fprintf (out, "%8.3f s", json_number_value (ret));
  else
    fprintf (out, "%10s", "never");
  fprintf (out, "  %-6s p%-4" JSON_INTEGER_FORMAT " r%-3" JSON_INTEGER_FORMAT " %-18s %s%s\n",
           json_string_value (json_object_get (op, "node")),
           json_integer_value (json_object_get (op, "process")),
           json_integer_value (json_object_get (op, "key")), what,
           json_string_value (json_object_get (op, "type")),
           culprit ? "  <- no order places it" : "");
}

static const char *
reads_words (const char *reads)
{
  return reads == NULL                     ? "?"
         : strcmp (reads, "local") == 0    ? "from the node alone"
         : strcmp (reads, "sync") == 0     ? "after a sync"
                                           : "after a quorum";
}

/* The registers' history: what was checked, and the witness of an
 * invalid one. */
static void
print_linearizability (json_t *rep, FILE *out)
{
  json_t *lin = json_object_get (rep, "linearizability"), *op;
  const char *v = json_string_value (json_object_get (lin, "verdict"));
  json_int_t culprit = json_integer_value (json_object_get (json_object_get (lin, "culprit"),
                                                           "index"));
  size_t i;

  if (v == NULL)
    return;
  fprintf (out, "registers: %" JSON_INTEGER_FORMAT " operations by %" JSON_INTEGER_FORMAT
                " clients on %" JSON_INTEGER_FORMAT " registers, reads %s (%" JSON_INTEGER_FORMAT
                " ok, %" JSON_INTEGER_FORMAT " unanswered, %" JSON_INTEGER_FORMAT
                " CAS refused): ",
           json_integer_value (json_object_get (lin, "operations")),
           json_integer_value (json_object_get (lin, "clients")),
           json_integer_value (json_object_get (lin, "keys")),
           reads_words (json_string_value (json_object_get (lin, "reads"))),
           json_integer_value (json_object_get (lin, "ok")),
           json_integer_value (json_object_get (lin, "info")),
           json_integer_value (json_object_get (lin, "fail")));
  if (strcmp (v, "valid") == 0)
    fprintf (out, "linearizable (checked in %.3f s)\n",
             json_real_value (json_object_get (lin, "seconds")));
  else if (strcmp (v, "unknown") == 0)
    fprintf (out, "UNKNOWN: the checker gave up: %s\n",
             json_string_value (json_object_get (lin, "why")));
  else
    {
      fprintf (out, "NOT LINEARIZABLE\n");
      fprintf (out, "register r%" JSON_INTEGER_FORMAT ": no order of these %zu operations "
                    "explains what they saw (%s):\n",
               json_integer_value (json_object_get (lin, "key")),
               json_array_size (json_object_get (lin, "witness")),
               json_is_true (json_object_get (lin, "minimal"))
                   ? "the smallest such set: without any one of them, one does"
                   : "the time limit stopped the search for a smaller set");
      json_array_foreach (json_object_get (lin, "witness"), i, op)
        print_op (op, json_integer_value (json_object_get (op, "index")) == culprit, out);
    }
}

void
labo_check_print (json_t *rep, FILE *out)
{
  json_t *n;
  const char *verdict = labo_check_verdict (rep);
  size_t i, width = 0, name_w = 5;

  /* the timelines' width, and the names' ("steps" at least) */
  json_array_foreach (json_object_get (rep, "nodes"), i, n)
    {
      width = strlen (json_string_value (json_object_get (n, "timeline")));
      name_w = fmax ((double) name_w, (double) strlen (json_string_value (json_object_get (n, "name"))));
    }
  print_timelines (rep, out, width, name_w);
  print_marks (rep, out, width, name_w);
  print_outages (rep, out);
  print_writes (rep, out);
  print_findings (rep, out);
  print_linearizability (rep, out);
  if (json_object_get (rep, "seed"))
    fprintf (out, "seed: %lld (`--seed %lld` writes in the same order at the same times "
                  "again)\n",
             json_integer_value (json_object_get (rep, "seed")),
             json_integer_value (json_object_get (rep, "seed")));
  if (strcmp (verdict, "ok") == 0)
    fprintf (out, "verdict: ok: every acknowledged write is on every node, in one order, "
                  "with its data\n");
  else if (strcmp (verdict, "lost") == 0)
    fprintf (out, "verdict: LOST: the ensemble lost or reordered what it acknowledged\n");
  else if (strcmp (verdict, "invalid") == 0)
    fprintf (out, "verdict: INVALID: nothing acknowledged was lost, but the registers' history "
                  "is not linearizable\n");
  else if (strcmp (verdict, "unknown") == 0)
    fprintf (out, "verdict: unknown: nothing acknowledged was lost; the registers' history "
                  "could not be checked within the limits\n");
  else
    fprintf (out, "verdict: unverified: not every node could be read\n");
}
