/* Lab file reading, the generic part: diagnostics, and typed values out of
 * libyaml's document nodes (mappings with known keys, strings, integers,
 * booleans), each failure reported with its position.  What the values mean
 * is labfile.c's business. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"
#include "labo/model/impair.h"
#include "labo/util/util.h"

/* ---- diagnostics ---- */

void
lf_diag_add (struct labo_diags *d, const char *file, int line, int col, char *msg)
{
  struct labo_diag *g = labo_array_push (&d->v, &d->n, sizeof *g);
  g->file = xstrdup (file);
  g->line = line;
  g->col = col;
  g->msg = msg;
}

void
lf_error (struct lf_ctx *c, struct labo_pos pos, const char *fmt, ...)
{
  va_list ap;
  char *msg;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort (); /* out of memory: see xmalloc */
  va_end (ap);
  /* one line each, whatever the names in it: a name from the file (a host
   * "a\nb:1:1: error: ..." is a valid quoted key) must not start a line
   * of its own in labo's output. lf_disp escapes what it shows; this
   * catches the names shown whole. */
  for (char *p = msg; *p; p++)
    if ((unsigned char) *p < 0x20 || *p == 0x7f)
      *p = '?';
  lf_diag_add (c->diags, c->lab->file, pos.line, pos.col, msg);
  c->n_errors++;
}

int
lf_pos_cmp (struct labo_pos a, struct labo_pos b)
{
  if (a.line != b.line)
    return a.line < b.line ? -1 : 1;
  if (a.col != b.col)
    return a.col < b.col ? -1 : 1;
  return 0;
}

void
labo_diags_free (struct labo_diags *d)
{
  if (d == NULL)
    return;
  for (size_t i = 0; i < d->n; i++)
    {
      free (d->v[i].file);
      free (d->v[i].msg);
    }
  free (d->v);
  d->v = NULL;
  d->n = 0;
}

void
labo_diags_print (const struct labo_diags *d, FILE *out)
{
  for (size_t i = 0; i < d->n; i++)
    {
      const struct labo_diag *g = &d->v[i];
      /* line 0: the file as a whole (it could not be read) */
      if (g->line > 0)
        fprintf (out, "%s:%d:%d: error: %s\n", g->file, g->line, g->col, g->msg);
      else
        fprintf (out, "%s: error: %s\n", g->file, g->msg);
    }
}

static bool
diag_before (const struct labo_diag *a, const struct labo_diag *b)
{
  return a->line < b->line || (a->line == b->line && a->col < b->col);
}

/* Stable sort of d->v[from..] by position: a merge sort, since a hostile
 * file can have hundreds of thousands of errors, which come out of order
 * (the reader reads segments before hosts whatever the file's order, and
 * the checks between objects come last). */
void
lf_diags_sort (struct labo_diags *d, size_t from)
{
  size_t n = d->n > from ? d->n - from : 0;
  struct labo_diag *v;
  cleanup_free struct labo_diag *tmp = NULL;

  if (n < 2)
    return; /* d->v may be NULL: not even d->v + 0 then */
  v = d->v + from;
  tmp = xmalloc (n * sizeof *tmp);
  /* bottom-up: runs of width w merged into tmp, then copied back */
  for (size_t w = 1; w < n; w *= 2)
    {
      for (size_t lo = 0; lo < n; lo += 2 * w)
        {
          size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
          size_t i = lo, j = mid, k = lo;
          while (i < mid && j < hi)
            tmp[k++] = diag_before (&v[j], &v[i]) ? v[j++] : v[i++]; /* ties: left first */
          while (i < mid)
            tmp[k++] = v[i++];
          while (j < hi)
            tmp[k++] = v[j++];
        }
      memcpy (v, tmp, n * sizeof *v);
    }
}

void
lf_limit_error (struct lf_ctx *c, struct labo_pos pos, const char *head, size_t limit,
                const char *unit, const char *name)
{
  lf_error (c, pos, "%s: more than %zu%s, the %s limit (labo --limit %s=N raises it)", head,
            limit, unit, name, name);
  c->over_limit = true;
}

/* ---- YAML nodes ---- */

struct labo_pos
lf_pos_of (struct lf_reader *r, const yaml_node_t *n)
{
  return (struct labo_pos){ r->c.lab->file, (int) n->start_mark.line + 1,
                            (int) n->start_mark.column + 1 };
}

yaml_node_t *
lf_node (struct lf_reader *r, int id)
{
  return yaml_document_get_node (r->doc, id);
}

const char *
lf_text (const yaml_node_t *n)
{
  return (const char *) n->data.scalar.value;
}

/* An empty or "~"/"null" plain scalar: what "key:" with nothing after it
 * gives. */
bool
lf_is_null (const yaml_node_t *n)
{
  const char *s;
  if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return false;
  s = lf_text (n);
  return *s == '\0' || strcmp (s, "~") == 0 || strcmp (s, "null") == 0
         || strcmp (s, "Null") == 0 || strcmp (s, "NULL") == 0;
}

/* A copy of user text fit for a one-line message: control bytes escaped,
 * long values cut. */
char *
lf_disp (const char *s, size_t len)
{
  const size_t max = 48;
  char *out = xmalloc (max * 4 + 4), *o = out;
  for (size_t i = 0; i < len && i < max; i++)
    {
      unsigned char ch = (unsigned char) s[i];
      if (ch < 0x20 || ch == 0x7f)
        o += sprintf (o, "\\x%02x", ch);
      else
        *o++ = (char) ch;
    }
  if (len > max)
    o = stpcpy (o, "...");
  *o = '\0';
  return out;
}

/* "a mapping", "a sequence", "nothing" or the quoted scalar. */
char *
lf_describe (const yaml_node_t *n)
{
  cleanup_free char *t = NULL;
  if (n->type == YAML_MAPPING_NODE)
    return xstrdup ("a mapping");
  if (n->type == YAML_SEQUENCE_NODE)
    return xstrdup ("a sequence");
  if (n->type != YAML_SCALAR_NODE || lf_is_null (n))
    return xstrdup ("nothing");
  t = lf_disp (lf_text (n), n->data.scalar.length);
  return xasprintf ("'%s'", t);
}

/* Where to report a problem with the value of field f: the value itself, or
 * the key when there is nothing to point at. */
struct labo_pos
lf_val_pos (struct lf_reader *r, const struct lf_field *f)
{
  return lf_pos_of (r, lf_is_null (f->val) ? f->key : f->val);
}

/* "expected <want> for <label>, found <what f has>" */
void
lf_wrong_type_for (struct lf_reader *r, const struct lf_field *f, const char *want,
                   const char *label)
{
  cleanup_free char *found = lf_describe (f->val);
  lf_error (&r->c, lf_val_pos (r, f), "expected %s for %s, found %s", want, label, found);
}

void
lf_wrong_type (struct lf_reader *r, const struct lf_field *f, const char *want)
{
  cleanup_free char *label = xasprintf ("'%s'", f->name);
  lf_wrong_type_for (r, f, want, label);
}

/* No valid name is longer (host and node names have 63 bytes at most):
 * comparing longer ones would only cost time. */
#define SUGGEST_MAX_LEN 64

const char *
lf_suggest (const char *s, const char *const *cand, size_t n)
{
  return lf_suggest_within (s, cand, n, NULL);
}

/* The closest of `n` candidates to `s` when close enough to be a typo: at
 * most 2 edits, and fewer than s has characters ("x" is 2 edits from "to":
 * no use suggesting for such short words); the first of equals. */
const char *
lf_suggest_within (const char *s, const char *const *cand, size_t n, size_t *budget)
{
  const char *best = NULL;
  size_t best_d = 3, len = strnlen (s, SUGGEST_MAX_LEN + 1);

  if (len > SUGGEST_MAX_LEN)
    return NULL;
  for (size_t i = 0; i < n && best_d > 0; i++)
    {
      size_t d;
      if (budget && (*budget)-- == 0)
        {
          *budget = 0;
          break;
        }
      /* only a closer one matters now: the comparison stops past best_d - 1 */
      d = labo_edit_distance_max (s, cand[i], best_d - 1);
      if (d < best_d && d < len)
        {
          best = cand[i];
          best_d = d;
        }
    }
  return best;
}

/* Reads the pairs of mapping `map` into f[0..nf), reporting keys that are not
 * scalars, unknown or repeated.  `where` names the mapping ("in link"). */
void
lf_read_fields (struct lf_reader *r, yaml_node_t *map, const char *where, struct lf_field *f,
                size_t nf)
{
  const char *names[48];

  if (nf > 48)
    abort (); /* no mapping of the formats has more keys (a scenario step has 33) */
  for (size_t i = 0; i < nf; i++)
    {
      /* the key tables are built with designated initializers: one that
       * skips a key leaves a hole, which would read as no key at all */
      if (f[i].name == NULL)
        abort ();
      names[i] = f[i].name;
    }
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
       p++)
    {
      yaml_node_t *k = lf_node (r, p->key), *v = lf_node (r, p->value);
      struct lf_field *hit = NULL;
      cleanup_free char *shown = NULL;
      const char *sugg;

      if (k->type != YAML_SCALAR_NODE)
        {
          cleanup_free char *found = lf_describe (k);
          lf_error (&r->c, lf_pos_of (r, k), "expected a key %s, found %s", where, found);
          continue;
        }
      for (size_t i = 0; i < nf; i++)
        if (strcmp (lf_text (k), f[i].name) == 0
            && strlen (lf_text (k)) == k->data.scalar.length)
          hit = &f[i];
      if (hit && hit->key == NULL)
        {
          hit->key = k;
          hit->val = v;
          continue;
        }
      /* what follows reports the key: a known key, the usual case, needs
       * no copy of it */
      shown = lf_disp (lf_text (k), k->data.scalar.length);
      if (hit)
        {
          struct labo_pos first = lf_pos_of (r, hit->key);
          lf_error (&r->c, lf_pos_of (r, k), "duplicate key '%s' %s (first at %d:%d)", shown,
                    where, first.line, first.col);
          continue;
        }
      sugg = lf_suggest (lf_text (k), names, nf);
      if (sugg)
        {
          lf_error (&r->c, lf_pos_of (r, k), "unknown key '%s' %s (did you mean '%s'?)", shown,
                    where, sugg);
          for (size_t i = 0; i < nf; i++)
            if (f[i].name == sugg && f[i].guess == NULL)
              f[i].guess = k;
        }
      else
        {
          cleanup_free char *list = xstrdup (f[0].name);
          for (size_t i = 1; i < nf; i++)
            {
              char *l = xasprintf ("%s, %s", list, f[i].name);
              free (list);
              list = l;
            }
          lf_error (&r->c, lf_pos_of (r, k), "unknown key '%s' %s (valid keys: %s)", shown,
                    where, list);
        }
    }
}

/* Checks that the required field f is there; `at` is where its mapping is
 * named. */
bool
lf_require (struct lf_reader *r, const struct lf_field *f, struct labo_pos at,
            const char *where)
{
  if (f->key)
    return true;
  /* "unknown key 'nmae' (did you mean 'name'?)" said it already */
  if (f->guess == NULL)
    lf_error (&r->c, at, "missing required key '%s' %s", f->name, where);
  return false;
}

/* The value of f as a string, or NULL after reporting that it is not one.
 * `want` says what was expected ("a host name"). */
const char *
lf_get_string (struct lf_reader *r, const struct lf_field *f, const char *want)
{
  if (f->val->type != YAML_SCALAR_NODE || lf_is_null (f->val))
    {
      lf_wrong_type (r, f, want);
      return NULL;
    }
  if (strlen (lf_text (f->val)) != f->val->data.scalar.length)
    {
      lf_error (&r->c, lf_pos_of (r, f->val), "unexpected NUL character in '%s'", f->name);
      return NULL;
    }
  return lf_text (f->val);
}

/* A mapping value, where nothing (null) counts as an empty mapping.  Returns
 * NULL for null; *ok is false after reporting another type.  `label` names
 * the value in messages ("'hosts'", "host 'a'"). */
yaml_node_t *
lf_get_mapping (struct lf_reader *r, const struct lf_field *f, const char *label, bool *ok)
{
  *ok = true;
  if (f->val->type == YAML_MAPPING_NODE)
    return f->val;
  if (!lf_is_null (f->val))
    {
      *ok = false;
      lf_wrong_type_for (r, f, "a mapping", label);
    }
  return NULL;
}

/* Same for sequences. */
yaml_node_t *
lf_get_sequence (struct lf_reader *r, const struct lf_field *f, bool *ok)
{
  *ok = true;
  if (f->val->type == YAML_SEQUENCE_NODE)
    return f->val;
  if (!lf_is_null (f->val))
    {
      *ok = false;
      lf_wrong_type (r, f, "a sequence");
    }
  return NULL;
}

bool
lf_get_int (struct lf_reader *r, const struct lf_field *f, int min, int max, int *out)
{
  const yaml_node_t *v = f->val;
  const char *s;
  cleanup_free char *shown = NULL;
  size_t n;
  long val = 0;

  if (v->type != YAML_SCALAR_NODE || lf_is_null (v))
    {
      lf_wrong_type (r, f, "an integer");
      return false;
    }
  s = lf_text (v);
  n = v->data.scalar.length;
  shown = lf_disp (s, n);
  if (v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    {
      lf_error (&r->c, lf_pos_of (r, v),
                "expected an integer for '%s', got the string \"%s\" (drop the quotes)",
                f->name, shown);
      return false;
    }
  if (strspn (s, "0123456789") != n)
    {
      lf_error (&r->c, lf_pos_of (r, v), "expected an integer for '%s', got '%s'", f->name,
                shown);
      return false;
    }
  /* YAML 1.1 reads 0755 as octal: refuse rather than guess */
  if (n > 1 && s[0] == '0')
    {
      lf_error (&r->c, lf_pos_of (r, v),
                "expected an integer for '%s', got '%s' (no leading zeros)", f->name, shown);
      return false;
    }
  if (n <= 9)
    val = strtol (s, NULL, 10);
  if (n > 9 || val < min || val > max)
    {
      lf_error (&r->c, lf_pos_of (r, v), "%s %s is out of range (%d..%d)", f->name, shown, min,
                max);
      return false;
    }
  *out = (int) val;
  return true;
}

bool
lf_get_bool (struct lf_reader *r, const struct lf_field *f, bool *out)
{
  static const char *const yes[] = { "true", "True", "TRUE" };
  static const char *const no[] = { "false", "False", "FALSE" };
  const yaml_node_t *v = f->val;
  cleanup_free char *shown = NULL;

  if (v->type != YAML_SCALAR_NODE || lf_is_null (v))
    {
      lf_wrong_type (r, f, "true or false");
      return false;
    }
  shown = lf_disp (lf_text (v), v->data.scalar.length);
  if (v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    {
      lf_error (&r->c, lf_pos_of (r, v),
                "expected true or false for '%s', got the string \"%s\" (drop the quotes)",
                f->name, shown);
      return false;
    }
  for (size_t i = 0; i < 3; i++)
    if (strcmp (lf_text (v), yes[i]) == 0 || strcmp (lf_text (v), no[i]) == 0)
      {
        *out = strcmp (lf_text (v), yes[i]) == 0;
        return true;
      }
  /* yes/no/on/off are booleans to YAML 1.1 only: say what is accepted */
  lf_error (&r->c, lf_pos_of (r, v), "expected true or false for '%s', got '%s'", f->name,
            shown);
  return false;
}

bool
lf_get_impair (struct lf_reader *r, const struct lf_field *f, enum labo_impair_param p,
               struct labo_impair *im)
{
  const yaml_node_t *v = f->val;
  cleanup_free char *shown = NULL;
  const char *expected = NULL;

  if (v->type != YAML_SCALAR_NODE || lf_is_null (v))
    {
      lf_wrong_type (r, f, labo_impair_param_expected (p));
      return false;
    }
  shown = lf_disp (lf_text (v), v->data.scalar.length);
  if (labo_impair_set (im, p, lf_text (v), &expected) < 0)
    {
      lf_error (&r->c, lf_pos_of (r, v), "expected %s for '%s', got '%s'", expected, f->name,
                shown);
      return false;
    }
  return true;
}

bool
lf_get_duration (struct lf_reader *r, const struct lf_field *f, int min_ms, int max_ms, int *out)
{
  const yaml_node_t *v = f->val;
  cleanup_free char *shown = NULL;
  char lo[24], hi[24];
  long long ms;

  if (v->type != YAML_SCALAR_NODE || lf_is_null (v))
    {
      lf_wrong_type (r, f, "a duration like 500ms, 2s or 1m");
      return false;
    }
  shown = lf_disp (lf_text (v), v->data.scalar.length);
  if (labo_duration_parse (lf_text (v), v->data.scalar.length, &ms) < 0)
    {
      lf_error (&r->c, lf_pos_of (r, v),
                "expected a duration like 500ms, 2s or 1m for '%s', got '%s'%s", f->name, shown,
                strspn (shown, "0123456789") == strlen (shown) ? " (give a unit: ms, s, m or h)"
                                                                : "");
      return false;
    }
  if (ms < min_ms || ms > max_ms)
    {
      lf_error (&r->c, lf_pos_of (r, v), "%s %s is out of range (%s..%s)", f->name, shown,
                labo_duration_format (min_ms, lo), labo_duration_format (max_ms, hi));
      return false;
    }
  *out = (int) ms;
  return true;
}

/* ---- loading one document ---- */

/* Reports libyaml's error. */
static void
yaml_failed (struct lf_ctx *c, const yaml_parser_t *p, const char *text, size_t len)
{
  struct labo_pos pos
    = { c->lab->file, (int) p->problem_mark.line + 1, (int) p->problem_mark.column + 1 };
  const char *problem = p->problem ? p->problem : "unknown error";

  if (p->error == YAML_MEMORY_ERROR)
    abort (); /* see xmalloc */
  if (p->error == YAML_READER_ERROR)
    {
      /* reader errors come with a byte offset only */
      pos.line = 1;
      pos.col = 1;
      for (size_t i = 0; i < p->problem_offset && i < len; i++)
        {
          pos.col++;
          if (text[i] == '\n')
            {
              pos.line++;
              pos.col = 1;
            }
        }
      if (p->problem_value != -1)
        lf_error (c, pos, "invalid YAML: %s (byte 0x%02x)", problem, p->problem_value);
      else
        lf_error (c, pos, "invalid YAML: %s", problem);
      return;
    }
  if (p->problem_mark.index < len && text[p->problem_mark.index] == '\t')
    lf_error (c, pos, "invalid YAML: found a tab character: indent with spaces");
  else if (p->context)
    lf_error (c, pos, "invalid YAML: %s (%s at %d:%d)", problem, p->context,
              (int) p->context_mark.line + 1, (int) p->context_mark.column + 1);
  else
    lf_error (c, pos, "invalid YAML: %s", problem);
}

void
lf_yaml_input_release (struct lf_yaml_input *y)
{
  if (y->have_doc)
    yaml_document_delete (&y->doc);
  if (y->have_parser)
    yaml_parser_delete (&y->parser);
}

/* An anchor (&name) of the document being composed. */
struct anchor
{
  char *name;
  int id;         /* its node */
  size_t weight;  /* the nodes it stands for, the aliases inside it expanded */
  bool done;      /* its node is complete: an alias inside it would be a cycle */
  yaml_mark_t mark;
};

/* A collection being composed. */
struct open_node
{
  int id;
  size_t weight;
  int key;        /* a mapping's key waiting for its value, or 0 */
  size_t anchor;  /* 1 + the index of its anchor, or 0 */
};

struct composer
{
  struct lf_reader *r;
  struct lf_yaml_input *y;
  const char *what;     /* "lab file" */
  struct open_node *stack;
  size_t depth;
  struct anchor *anchors;
  size_t n_anchors;
  struct labo_hmap by_name;
  size_t nodes;         /* the document's, each alias counting its weight */
  size_t aliased;       /* the nodes aliases repeat */
  bool started, ended;  /* the first document */
};

static size_t
sat_add (size_t a, size_t b)
{
  return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static struct labo_pos
mark_pos (struct composer *k, yaml_mark_t m)
{
  return (struct labo_pos){ k->r->c.lab->file, (int) m.line + 1, (int) m.column + 1 };
}

/* Counts `weight` more nodes against the yaml-nodes limit. */
static bool
count_nodes (struct composer *k, size_t weight, yaml_mark_t at)
{
  const struct labo_limits *lim = k->r->c.lim;
  k->nodes = sat_add (k->nodes, weight);
  if (k->nodes <= lim->yaml_nodes)
    return true;
  lf_limit_error (&k->r->c, mark_pos (k, at), "too many YAML nodes", lim->yaml_nodes, "",
                  "yaml-nodes");
  return false;
}

/* Puts node id (standing for `weight` nodes) into the collection being
 * composed; the first node is the root and goes nowhere. */
static void
attach (struct composer *k, int id, size_t weight)
{
  yaml_document_t *doc = &k->y->doc;
  struct open_node *parent;

  if (k->depth == 0)
    return;
  parent = &k->stack[k->depth - 1];
  parent->weight = sat_add (parent->weight, weight);
  if (yaml_document_get_node (doc, parent->id)->type == YAML_SEQUENCE_NODE)
    {
      if (!yaml_document_append_sequence_item (doc, parent->id, id))
        abort (); /* out of memory */
    }
  else if (parent->key == 0)
    parent->key = id;
  else
    {
      if (!yaml_document_append_mapping_pair (doc, parent->id, parent->key, id))
        abort ();
      parent->key = 0;
    }
}

/* Records node id's anchor, if it has one; returns 1 + its index, or 0. */
static size_t
anchor_node (struct composer *k, const yaml_char_t *name, int id, yaml_mark_t at)
{
  struct anchor *a;
  size_t first;

  if (name == NULL)
    return 0;
  a = labo_array_push (&k->anchors, &k->n_anchors, sizeof *a);
  a->name = xstrdup ((const char *) name);
  a->id = id;
  a->mark = at;
  if (!labo_hmap_put (&k->by_name, a->name, strlen (a->name), k->n_anchors - 1, &first))
    {
      /* libyaml's loader refuses it too; YAML 1.2 would let the second win */
      cleanup_free char *shown = lf_disp (a->name, strlen (a->name));
      struct labo_pos p = mark_pos (k, k->anchors[first].mark);
      lf_error (&k->r->c, mark_pos (k, at),
                "invalid YAML: found duplicate anchor '&%s' (first at %d:%d)", shown, p.line,
                p.col);
      return SIZE_MAX;
    }
  return k->n_anchors;
}

static bool
compose_alias (struct composer *k, const yaml_event_t *ev)
{
  const struct labo_limits *lim = k->r->c.lim;
  const char *name = (const char *) ev->data.alias.anchor;
  cleanup_free char *shown = lf_disp (name, strlen (name));
  struct labo_pos pos = mark_pos (k, ev->start_mark);
  const struct anchor *a;
  size_t i;

  if (!labo_hmap_get_str (&k->by_name, name, &i))
    {
      lf_error (&k->r->c, pos, "invalid YAML: found undefined alias");
      return false;
    }
  a = &k->anchors[i];
  if (!a->done)
    {
      struct labo_pos at = mark_pos (k, a->mark);
      lf_error (&k->r->c, pos,
                "alias '*%s' is inside the node it names (at %d:%d): it would make the "
                "document endless",
                shown, at.line, at.col);
      return false;
    }
  k->aliased = sat_add (k->aliased, a->weight);
  if (k->aliased > lim->yaml_aliased)
    {
      cleanup_free char *head = xasprintf ("alias '*%s' repeats %zu node%s", shown, a->weight,
                                           a->weight == 1 ? "" : "s");
      lf_limit_error (&k->r->c, pos, head, lim->yaml_aliased, " through aliases in all",
                      "yaml-aliased");
      return false;
    }
  if (!count_nodes (k, a->weight, ev->start_mark))
    return false;
  attach (k, a->id, a->weight);
  return true;
}

static bool
compose_scalar (struct composer *k, const yaml_event_t *ev)
{
  yaml_char_t *tag = ev->data.scalar.tag;
  yaml_node_t *n;
  size_t a;
  int id;

  if (!count_nodes (k, 1, ev->start_mark))
    return false;
  if (tag && strcmp ((const char *) tag, "!") == 0)
    tag = NULL; /* the non-specific tag: a string, as libyaml's loader makes it */
  id = yaml_document_add_scalar (&k->y->doc, tag, ev->data.scalar.value,
                                 (int) ev->data.scalar.length, ev->data.scalar.style);
  if (id == 0)
    abort (); /* out of memory: the parser gives it only valid UTF-8 */
  n = yaml_document_get_node (&k->y->doc, id);
  n->start_mark = ev->start_mark;
  n->end_mark = ev->end_mark;
  a = anchor_node (k, ev->data.scalar.anchor, id, ev->start_mark);
  if (a == SIZE_MAX)
    return false;
  if (a)
    {
      k->anchors[a - 1].weight = 1;
      k->anchors[a - 1].done = true;
    }
  attach (k, id, 1);
  return true;
}

static bool
compose_start (struct composer *k, const yaml_event_t *ev)
{
  const struct labo_limits *lim = k->r->c.lim;
  bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
  yaml_char_t *tag = seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
  yaml_char_t *anchor = seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
  struct open_node *o;
  yaml_node_t *n;
  int id;

  /* refused here, at the event that goes past, not after libyaml has
   * scanned the rest of the nesting */
  if (k->depth >= lim->yaml_depth)
    {
      lf_limit_error (&k->r->c, mark_pos (k, ev->start_mark), "nested too deep",
                      lim->yaml_depth, " levels", "yaml-depth");
      return false;
    }
  if (!count_nodes (k, 1, ev->start_mark))
    return false;
  if (tag && strcmp ((const char *) tag, "!") == 0)
    tag = NULL;
  id = seq ? yaml_document_add_sequence (&k->y->doc, tag, ev->data.sequence_start.style)
           : yaml_document_add_mapping (&k->y->doc, tag, ev->data.mapping_start.style);
  if (id == 0)
    abort ();
  n = yaml_document_get_node (&k->y->doc, id);
  n->start_mark = ev->start_mark;
  o = labo_array_push (&k->stack, &k->depth, sizeof *o);
  o->id = id;
  o->weight = 1;
  o->anchor = anchor_node (k, anchor, id, ev->start_mark);
  return o->anchor != SIZE_MAX;
}

static void
compose_end (struct composer *k, const yaml_event_t *ev)
{
  struct open_node o = k->stack[--k->depth];

  yaml_document_get_node (&k->y->doc, o.id)->end_mark = ev->end_mark;
  if (o.anchor)
    {
      k->anchors[o.anchor - 1].weight = o.weight;
      k->anchors[o.anchor - 1].done = true;
    }
  attach (k, o.id, o.weight);
}

/* One event; false when composing stops (an error was reported, or the
 * stream ended). */
static bool
compose_event (struct composer *k, const yaml_event_t *ev)
{
  switch (ev->type)
    {
    case YAML_DOCUMENT_START_EVENT:
      if (k->started)
        {
          lf_error (&k->r->c, mark_pos (k, ev->start_mark),
                    "a %s holds one YAML document, found another here", k->what);
          return false;
        }
      if (!yaml_document_initialize (&k->y->doc, NULL, NULL, NULL, 1, 1))
        abort ();
      k->y->have_doc = k->started = true;
      k->y->doc.start_mark = ev->start_mark;
      return true;
    case YAML_DOCUMENT_END_EVENT:
      k->ended = true;
      k->y->doc.end_mark = ev->end_mark;
      return true;
    case YAML_ALIAS_EVENT:
      return compose_alias (k, ev);
    case YAML_SCALAR_EVENT:
      return compose_scalar (k, ev);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
      return compose_start (k, ev);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      compose_end (k, ev);
      return true;
    case YAML_STREAM_END_EVENT:
      return false;
    case YAML_STREAM_START_EVENT:
    case YAML_NO_EVENT:
    default:
      return true;
    }
}

/* Composes the stream's one document into y->doc. False after reporting
 * an error; true with y->have_doc false for a stream with no document. */
static bool
compose (struct lf_reader *r, struct lf_yaml_input *y, const char *text, size_t len,
         const char *what)
{
  struct composer k = { .r = r, .y = y, .what = what };
  size_t errors = r->c.n_errors;
  bool more = true;

  while (more)
    {
      yaml_event_t ev;
      if (!yaml_parser_parse (&y->parser, &ev))
        {
          yaml_failed (&r->c, &y->parser, text, len);
          break;
        }
      more = compose_event (&k, &ev);
      yaml_event_delete (&ev);
    }
  for (size_t i = 0; i < k.n_anchors; i++)
    free (k.anchors[i].name);
  free (k.anchors);
  free (k.stack);
  labo_hmap_free (&k.by_name);
  return r->c.n_errors == errors;
}

yaml_node_t *
lf_yaml_load (struct lf_reader *r, struct lf_yaml_input *y, const char *text, size_t len,
              const char *what, const char *want)
{
  struct labo_pos start = { r->c.lab->file, 1, 1 };
  yaml_node_t *root;

  if (len > r->c.lim->file_size)
    {
      cleanup_free char *head = xasprintf ("%s too large", what);
      lf_limit_error (&r->c, start, head, r->c.lim->file_size, " bytes", "file-size");
      return NULL;
    }
  if (!yaml_parser_initialize (&y->parser))
    abort ();
  y->have_parser = true;
  yaml_parser_set_input_string (&y->parser, (const unsigned char *) text, len);
  if (!compose (r, y, text, len, what))
    return NULL;
  root = y->have_doc ? yaml_document_get_root_node (&y->doc) : NULL;
  if (root == NULL || lf_is_null (root))
    {
      lf_error (&r->c, start, "empty %s: expected %s", what, want);
      return NULL;
    }
  if (root->type != YAML_MAPPING_NODE)
    {
      cleanup_free char *found = lf_describe (root);
      lf_error (&r->c, lf_pos_of (r, root), "expected %s at the top level, found %s", want,
                found);
      return NULL;
    }
  r->doc = &y->doc;
  return root;
}
