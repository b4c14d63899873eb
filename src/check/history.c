/* A history's outputs as text (include/labo/check/history.h): Jepsen's
 * EDN, for Knossos, Elle and whoever reads Jepsen's files, and the
 * timeline a person reads. Both put the operations' calls, answers and
 * the events on one clock, in one order (history_order). */
#include "labo/check/history.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "labo/util/util.h"
#include "history-internal.h"

/* ---- which faults a step begins or ends ---- */

static bool
starts_with_word (const char *text, const char *word)
{
  size_t l = strlen (word);
  return strncmp (text, word, l) == 0 && (text[l] == '\0' || text[l] == ' ' || text[l] == ':');
}

enum labo_event_kind
labo_event_kind_of_step (const char *text)
{
  /* the words labo_step_describe (model/scenario.c) begins each step
   * with: these put back what a fault took */
  static const char *const heals[] = { "heal", "resume", "power on", "power-on", "start",
                                       "restore", "reset", NULL };
  /* nor fault nor heal: a wait, a capture (it watches) */
  static const char *const notes[] = { "wait", "capture", NULL };

  if (text == NULL)
    return LABO_EV_NOTE;
  while (*text == ' ')
    text++;
  for (size_t i = 0; heals[i]; i++)
    if (starts_with_word (text, heals[i]))
      return LABO_EV_HEAL;
  for (size_t i = 0; notes[i]; i++)
    if (starts_with_word (text, notes[i]))
      return LABO_EV_NOTE;
  /* a link step that only brings a link back up ("link h1: down no") */
  if (starts_with_word (text, "link"))
    {
      const char *colon = strchr (text, ':');
      if (colon && strcmp (colon, ": down no") == 0)
        return LABO_EV_HEAL;
    }
  return LABO_EV_FAULT;
}

/* ---- one order for every output ---- */

static int
entry_cmp (const void *a, const void *b)
{
  const struct history_entry *x = a, *y = b;
  if (x->t != y->t)
    return x->t < y->t ? -1 : 1;
  if (x->cls != y->cls)
    return x->cls < y->cls ? -1 : 1;
  if (x->idx != y->idx)
    return x->idx < y->idx ? -1 : 1;
  return 0;
}

int64_t
history_answer_ns (const struct labo_history *h, const struct labo_op *op)
{
  /* an INFO operation is answered at the end, as Jepsen writes one; never
   * before its own call */
  int64_t t = op->type == LABO_OP_INFO || op->ret_ns < 0 ? h->end_ns : op->ret_ns;
  return t < op->call_ns ? op->call_ns : t;
}

struct history_entry *
history_order (const struct labo_history *h, bool invokes, size_t *n)
{
  size_t cap = h->n_events + h->n_ops * (invokes ? 2 : 1), k = 0;
  struct history_entry *e = xcalloc (cap ? cap : 1, sizeof (*e));

  for (size_t i = 0; i < h->n_events; i++)
    e[k++] = (struct history_entry) { h->events[i].t_ns, HE_EVENT, i };
  for (size_t i = 0; i < h->n_ops; i++)
    {
      const struct labo_op *op = &h->ops[i];
      int64_t ans = history_answer_ns (h, op);
      if (invokes)
        e[k++] = (struct history_entry) { op->call_ns, HE_INVOKE, i };
      /* at one instant, answers come before calls: a process's next call
       * never overlaps its last answer (Knossos refuses that), and an
       * answer at the very instant of a call is taken to precede it. An
       * answer at its own call's instant must follow that call, though. */
      e[k++] = (struct history_entry) { ans, ans > op->call_ns ? HE_ANSWER : HE_ANSWER_LATE, i };
    }
  qsort (e, k, sizeof (*e), entry_cmp);
  *n = k;
  return e;
}

const char *
history_node_name (const struct labo_history *h, int32_t node)
{
  if (node < 0 || (size_t) node >= h->n_nodes || h->nodes == NULL || h->nodes[node] == NULL)
    return NULL;
  return h->nodes[node];
}

/* ---- EDN ---- */

/* A string as EDN (and Clojure's reader) reads it: \" \\ \n \t \r, and
 * any other control character as \uXXXX. Bytes of 0x80 and up are
 * copied: UTF-8 in, UTF-8 out. */
static void
edn_string (FILE *out, const char *s)
{
  fputc ('"', out);
  for (const unsigned char *p = (const unsigned char *) (s ? s : ""); *p; p++)
    switch (*p)
      {
      case '"':
        fputs ("\\\"", out);
        break;
      case '\\':
        fputs ("\\\\", out);
        break;
      case '\n':
        fputs ("\\n", out);
        break;
      case '\t':
        fputs ("\\t", out);
        break;
      case '\r':
        fputs ("\\r", out);
        break;
      default:
        if (*p < 0x20 || *p == 0x7f)
          fprintf (out, "\\u%04x", *p);
        else
          fputc (*p, out);
        break;
      }
  fputc ('"', out);
}

static void
edn_int (FILE *out, int64_t v)
{
  if (v == LABO_NIL)
    fputs ("nil", out);
  else
    fprintf (out, "%" PRId64, v);
}

static const char *const edn_f[] = {
  [LABO_OP_READ] = ":read",
  [LABO_OP_WRITE] = ":write",
  [LABO_OP_CAS] = ":cas",
};

static const char *const edn_type[] = {
  [LABO_OP_OK] = ":ok",
  [LABO_OP_FAIL] = ":fail",
  [LABO_OP_INFO] = ":info",
};

static const char *const edn_ev_f[] = {
  [LABO_EV_FAULT] = ":start",
  [LABO_EV_HEAL] = ":stop",
  [LABO_EV_LEADER] = ":leader",
  [LABO_EV_NOTE] = ":note",
};

/* :value, a jepsen.independent tuple [key value]: a read's value is nil
 * until it is answered ok (Knossos wants a fail's value to be its
 * invocation's); a CAS's [key [expect new]]. */
static void
edn_value (FILE *out, const struct labo_op *op, bool answer)
{
  fprintf (out, "[%" PRIu32 " ", op->key);
  switch (op->f)
    {
    case LABO_OP_READ:
      edn_int (out, answer && op->type == LABO_OP_OK ? op->value : LABO_NIL);
      break;
    case LABO_OP_CAS:
      fputc ('[', out);
      edn_int (out, op->expect);
      fputc (' ', out);
      edn_int (out, op->value);
      fputc (']', out);
      break;
    case LABO_OP_WRITE:
    default:
      edn_int (out, op->value);
      break;
    }
  fputc (']', out);
}

static void
edn_op (FILE *out, const struct labo_history *h, const struct history_entry *e, size_t index)
{
  const struct labo_op *op = &h->ops[e->idx];
  bool answer = e->cls != HE_INVOKE;
  const char *node = history_node_name (h, op->node);
  unsigned f = (unsigned) op->f, type = (unsigned) op->type;

  fprintf (out, "{:type %s, :f %s, :value ",
           answer && type <= LABO_OP_INFO ? edn_type[type] : ":invoke",
           f <= LABO_OP_CAS ? edn_f[f] : ":unknown");
  edn_value (out, op, answer);
  fprintf (out, ", :process %" PRIu32 ", :time %" PRId64 ", :index %zu", op->process, e->t, index);
  if (node)
    {
      fputs (", :labo/node ", out);
      edn_string (out, node);
    }
  if (answer)
    fprintf (out, ", :labo/rc %" PRId32, op->rc);
  if (answer && op->type == LABO_OP_INFO && op->ret_ns < 0)
    fputs (", :error :labo/no-answer", out);
  fputs ("}\n", out);
}

static void
edn_event (FILE *out, const struct labo_event *ev, size_t index)
{
  unsigned k = (unsigned) ev->kind;

  fprintf (out, "{:type :info, :f %s, :value ", k <= LABO_EV_NOTE ? edn_ev_f[k] : ":note");
  edn_string (out, ev->text);
  fprintf (out, ", :process :nemesis, :time %" PRId64 ", :index %zu", ev->t_ns, index);
  if (ev->subject && *ev->subject)
    {
      fputs (", :labo/subject ", out);
      edn_string (out, ev->subject);
    }
  fputs ("}\n", out);
}

static int
finish (FILE *out)
{
  if (fflush (out) != 0 || ferror (out))
    {
      if (errno == 0)
        errno = EIO;
      return -1;
    }
  return 0;
}

int
labo_history_write_edn (FILE *out, const struct labo_history *h)
{
  size_t n;
  cleanup_free struct history_entry *e = history_order (h, true, &n);

  errno = 0;
  for (size_t i = 0; i < n; i++)
    if (e[i].cls == HE_EVENT)
      edn_event (out, &h->events[e[i].idx], i);
    else
      edn_op (out, h, &e[i], i);
  return finish (out);
}

/* ---- the timeline ---- */

/* ns as seconds with three decimals, by integers: no locale's comma,
 * and the same text on every machine. */
static void
fmt_seconds (char *buf, size_t size, int64_t ns)
{
  uint64_t a = ns < 0 ? (uint64_t) -(ns + 1) + 1 : (uint64_t) ns;
  uint64_t ms = (a + 500000) / 1000000;
  snprintf (buf, size, "%s%" PRIu64 ".%03" PRIu64, ns < 0 ? "-" : "", ms / 1000, ms % 1000);
}

/* ns as milliseconds with one decimal */
static void
fmt_ms (char *buf, size_t size, int64_t ns)
{
  uint64_t a = ns < 0 ? 0 : (uint64_t) ns;
  uint64_t tenths = (a + 50000) / 100000;
  snprintf (buf, size, "%" PRIu64 ".%" PRIu64 " ms", tenths / 10, tenths % 10);
}

static void
fmt_int (char *buf, size_t size, int64_t v)
{
  if (v == LABO_NIL)
    snprintf (buf, size, "nil");
  else
    snprintf (buf, size, "%" PRId64, v);
}

/* "write r2 17", "read r2 17", "cas r2 17->18" */
static void
fmt_what (char *buf, size_t size, const struct labo_op *op)
{
  char a[24], b[24];
  fmt_int (a, sizeof (a), op->value);
  switch (op->f)
    {
    case LABO_OP_READ:
      snprintf (buf, size, "read r%" PRIu32 " %s", op->key, op->type == LABO_OP_OK ? a : "?");
      break;
    case LABO_OP_CAS:
      fmt_int (b, sizeof (b), op->expect);
      snprintf (buf, size, "cas r%" PRIu32 " %s->%s", op->key, b, a);
      break;
    case LABO_OP_WRITE:
    default:
      snprintf (buf, size, "write r%" PRIu32 " %s", op->key, a);
      break;
    }
}

static const char *const text_kind[] = {
  [LABO_EV_FAULT] = "FAULT",
  [LABO_EV_HEAL] = "HEAL",
  [LABO_EV_LEADER] = "LEADER",
  [LABO_EV_NOTE] = "note",
};

const char *
labo_op_f_name (enum labo_op_f f)
{
  return f == LABO_OP_READ ? "read" : f == LABO_OP_WRITE ? "write" : f == LABO_OP_CAS ? "cas" : "?";
}

const char *
labo_op_type_name (enum labo_op_type t)
{
  return t == LABO_OP_OK ? "ok" : t == LABO_OP_FAIL ? "fail" : t == LABO_OP_INFO ? "info" : "?";
}

/* One line of text: control characters (a newline in a note) become
 * spaces, so that each event stays one line. */
static void
text_clean (FILE *out, const char *s)
{
  for (const unsigned char *p = (const unsigned char *) (s ? s : ""); *p; p++)
    fputc (*p < 0x20 || *p == 0x7f ? ' ' : *p, out);
}

int
labo_history_write_text (FILE *out, const struct labo_history *h)
{
  size_t n;
  cleanup_free struct history_entry *e = history_order (h, false, &n);
  char t[32], what[96], lat[32];

  errno = 0;
  if (h->wall0 > 0)
    {
      char iso[32];
      fprintf (out, "# t = 0 at %s; %zu operations, %zu events\n", labo_iso_time (h->wall0, iso),
               h->n_ops, h->n_events);
    }
  for (size_t i = 0; i < n; i++)
    {
      if (e[i].cls == HE_EVENT)
        {
          const struct labo_event *ev = &h->events[e[i].idx];
          unsigned k = (unsigned) ev->kind;
          fmt_seconds (t, sizeof (t), ev->t_ns);
          fprintf (out, "%9s  %-8s  %-6s  ", t, ev->subject && *ev->subject ? ev->subject : "-",
                   k <= LABO_EV_NOTE ? text_kind[k] : "note");
          text_clean (out, ev->text);
          fputc ('\n', out);
        }
      else
        {
          const struct labo_op *op = &h->ops[e[i].idx];
          const char *node = history_node_name (h, op->node);
          unsigned type = (unsigned) op->type;
          char p[16];
          fmt_seconds (t, sizeof (t), e[i].t);
          fmt_what (what, sizeof (what), op);
          snprintf (p, sizeof (p), "p%" PRIu32, op->process);
          if (op->type == LABO_OP_INFO)
            {
              /* at the end: no answer came in this long */
              fmt_ms (lat, sizeof (lat), e[i].t - op->call_ns);
              fprintf (out, "%9s  %-8s  %-6s  %-22s  %-4s  > %s, no answer", t, node ? node : "-",
                       p, what, "info", lat);
            }
          else
            {
              fmt_ms (lat, sizeof (lat), op->ret_ns - op->call_ns);
              fprintf (out, "%9s  %-8s  %-6s  %-22s  %-4s  %s", t, node ? node : "-", p, what,
                       labo_op_type_name (type), lat);
            }
          if (op->type != LABO_OP_OK && op->rc != 0)
            fprintf (out, "  rc %" PRId32, op->rc);
          fputc ('\n', out);
        }
    }
  return finish (out);
}
