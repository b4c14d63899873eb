/* The linearizability checker: Wing and Gong's search with Lowe's cache
 * of configurations, one key at a time, and the shrinking of a failure
 * into a small witness. See include/labo/check/lin.h. */
#include "labo/check/lin.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/util/util.h"

#define MIB (1024 * 1024)

/* One operation of one key, as the search sees it. */
struct kop
{
  int64_t call, ret; /* ret: INT64_MAX for INFO (never answered) */
  int64_t value, expect;
  enum labo_op_f f;
  bool info;
  size_t idx;        /* into the history's ops */
};

/* The CAS register. to: the state a write or CAS leaves (see wgl). */
static inline bool
step (int64_t s, const struct kop *o, int64_t to, int64_t *next)
{
  switch (o->f)
    {
    case LABO_OP_READ:
      *next = s;
      return s == o->value;
    case LABO_OP_WRITE:
      *next = to;
      return true;
    case LABO_OP_CAS:
      *next = to;
      return s == o->expect;
    default:
      return false;
    }
}

static int
cmp_i64 (const void *a, const void *b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return x < y ? -1 : x > y;
}

static bool
has_value (const int64_t *v, size_t n, int64_t x)
{
  return bsearch (&x, v, n, sizeof *v, cmp_i64) != NULL;
}

static bool
writes (const struct kop *o)
{
  return o->f == LABO_OP_WRITE || o->f == LABO_OP_CAS;
}

/* The value o needs written before it, if any. */
static bool
observes (const struct kop *o, int64_t *v)
{
  if (o->f == LABO_OP_READ)
    *v = o->value;
  else if (o->f == LABO_OP_CAS)
    *v = o->expect;
  else
    return false;
  return *v != LABO_NIL;
}

/* ---- Wing and Gong's list of calls and answers ----
 *
 * Entries are sorted by time; at equal times calls come before answers,
 * so that an operation called at the very nanosecond another answered
 * counts as concurrent with it (the permissive reading: the clock's
 * resolution cannot order them). An INFO operation has a call and no
 * answer: nothing forces it in, and it may be placed anywhere after its
 * call, or never. */
struct entry
{
  struct entry *prev, *next;
  struct entry *match; /* a call's answer (NULL: INFO); an answer's call */
  uint32_t op;
  uint32_t pos;        /* in the sorted order */
  bool call;
};

struct sort_item
{
  int64_t t;
  uint32_t op;
  bool call;
};

static int
cmp_item (const void *a, const void *b)
{
  const struct sort_item *x = a, *y = b;
  if (x->t != y->t)
    return x->t < y->t ? -1 : 1;
  if (x->call != y->call)
    return x->call ? -1 : 1;
  return x->op < y->op ? -1 : x->op > y->op;
}

/* ---- Lowe's cache: the configurations (set of operations linearized,
 * state) seen already ----
 *
 * The set is a bitset in two regions, the answered operations' bits first
 * (in call order), then the unanswered ones' (INFO), each kept in the
 * table in a canonical short form: the words from the first that is not
 * all ones to the last that is not zero. The answered operations
 * linearized are a prefix plus a window as wide as the concurrency, so a
 * long history's sets stay short; an INFO operation that never took
 * effect stays 0 forever, and in one region with the others it would
 * hold every set open from its call to the end (a 100,000-op history with
 * 1% INFO: 12 KiB a set instead of some hundred bytes).
 *
 * The hash is Zobrist's: a fixed random word per operation, xored in and
 * out as the set changes (O(1) a step, where SipHash over the words would
 * cost their length), mixed with the state. The words are derived from
 * the operation's position, not secret: a history from a hostile server
 * chooses only which written values its reads return, not the sets nor
 * the states (values the client wrote), so it cannot aim collisions; and a
 * collision costs a comparison, never a wrong answer. */
struct slot
{
  uint64_t hash;
  int64_t state;
  uint64_t off;       /* of its words in the arena: region 0's, then 1's */
  uint32_t lo[2];     /* lo[0] UINT32_MAX: empty */
  uint32_t len[2];
};

/* A region of the bitset: words [begin, end), those below lo all ones,
 * those from hi on zero. */
struct region
{
  uint32_t begin, end, lo, hi;
};

struct search
{
  /* the bitset of operations linearized */
  uint64_t *bits;
  size_t nwords;
  struct region reg[2]; /* answered, unanswered */
  uint32_t *bit;        /* of each operation */
  uint64_t zob;         /* xor of zkey[op] over the set */
  uint64_t *zkey;
  /* the cache */
  struct slot *tab;
  size_t tab_cap, tab_n;
  uint64_t *arena;
  size_t arena_cap, arena_n;
  /* limits */
  size_t mem_limit;   /* 0: none */
  size_t peak;
  uint64_t configs;
  bool out_of_time, out_of_memory;
};

static inline uint64_t
mix64 (uint64_t z)
{
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline void
bit_set (struct search *s, uint32_t op)
{
  uint32_t b = s->bit[op], w = b >> 6;
  struct region *r = &s->reg[w >= s->reg[1].begin];
  s->bits[w] |= 1ULL << (b & 63);
  s->zob ^= s->zkey[op];
  if (w + 1 > r->hi)
    r->hi = w + 1;
  if (w == r->lo)
    while (r->lo < r->end && s->bits[r->lo] == UINT64_MAX)
      r->lo++;
}

static inline void
bit_clear (struct search *s, uint32_t op)
{
  uint32_t b = s->bit[op], w = b >> 6;
  struct region *r = &s->reg[w >= s->reg[1].begin];
  s->bits[w] &= ~(1ULL << (b & 63));
  s->zob ^= s->zkey[op];
  if (w < r->lo)
    r->lo = w;
  if (w + 1 == r->hi)
    while (r->hi > r->begin && s->bits[r->hi - 1] == 0)
      r->hi--;
}

static size_t
mem_used (const struct search *s)
{
  return s->tab_cap * sizeof (struct slot) + s->arena_cap * sizeof (uint64_t);
}

/* May the cache grow by `more` bytes? Counts the peak. */
static bool
mem_grant (struct search *s, size_t more)
{
  size_t want = mem_used (s) + more;
  if (s->mem_limit && want > s->mem_limit)
    {
      s->out_of_memory = true;
      return false;
    }
  if (want > s->peak)
    s->peak = want;
  return true;
}

static bool
tab_grow (struct search *s)
{
  size_t cap = s->tab_cap ? s->tab_cap * 2 : 64;
  struct slot *t;

  if (!mem_grant (s, cap * sizeof (struct slot)))
    return false;
  t = xmalloc (cap * sizeof (struct slot));
  memset (t, 0xff, cap * sizeof (struct slot));
  for (size_t i = 0; i < s->tab_cap; i++)
    if (s->tab[i].lo[0] != UINT32_MAX)
      {
        size_t j = s->tab[i].hash & (cap - 1);
        while (t[j].lo[0] != UINT32_MAX)
          j = (j + 1) & (cap - 1);
        t[j] = s->tab[i];
      }
  free (s->tab);
  s->tab = t;
  s->tab_cap = cap;
  if (s->peak < mem_used (s))
    s->peak = mem_used (s);
  return true;
}

/* Adds the current configuration with state st. Returns 1 if it is new,
 * 0 if seen already, -1 if the memory limit forbids it. */
static int
cache_add (struct search *s, int64_t st)
{
  uint32_t lo0 = s->reg[0].lo, len0 = s->reg[0].hi - lo0;
  uint32_t lo1 = s->reg[1].lo, len1 = s->reg[1].hi - lo1;
  uint64_t h = mix64 (s->zob ^ mix64 ((uint64_t) st + 0x9e3779b97f4a7c15ULL));
  size_t j, len = (size_t) len0 + len1;

  /* linear probing, at most 3/4 full */
  if ((s->tab_n + 1) * 4 > s->tab_cap * 3 && !tab_grow (s))
    return -1;
  for (j = h & (s->tab_cap - 1); s->tab[j].lo[0] != UINT32_MAX; j = (j + 1) & (s->tab_cap - 1))
    {
      const struct slot *e = &s->tab[j];
      if (e->hash == h && e->state == st && e->lo[0] == lo0 && e->len[0] == len0
          && e->lo[1] == lo1 && e->len[1] == len1
          && memcmp (s->arena + e->off, s->bits + lo0, len0 * sizeof (uint64_t)) == 0
          && memcmp (s->arena + e->off + len0, s->bits + lo1, len1 * sizeof (uint64_t)) == 0)
        return 0;
    }
  if (s->arena_n + len > s->arena_cap)
    {
      size_t cap = s->arena_cap ? s->arena_cap * 2 : 256;
      while (cap < s->arena_n + len)
        cap *= 2;
      if (!mem_grant (s, (cap - s->arena_cap) * sizeof (uint64_t)))
        return -1;
      s->arena = xrealloc (s->arena, cap * sizeof (uint64_t));
      s->arena_cap = cap;
    }
  memcpy (s->arena + s->arena_n, s->bits + lo0, len0 * sizeof (uint64_t));
  memcpy (s->arena + s->arena_n + len0, s->bits + lo1, len1 * sizeof (uint64_t));
  s->tab[j] = (struct slot) { .hash = h, .state = st, .off = s->arena_n, .lo = { lo0, lo1 },
                              .len = { len0, len1 } };
  s->arena_n += len;
  s->tab_n++;
  s->configs++;
  return 1;
}

static inline void
lift (struct entry *e)
{
  e->prev->next = e->next;
  if (e->next)
    e->next->prev = e->prev;
  struct entry *m = e->match;
  if (m)
    {
      m->prev->next = m->next;
      if (m->next)
        m->next->prev = m->prev;
    }
}

static inline void
unlift (struct entry *e)
{
  struct entry *m = e->match;
  if (m)
    {
      m->prev->next = m;
      if (m->next)
        m->next->prev = m;
    }
  e->prev->next = e;
  if (e->next)
    e->next->prev = e;
}

struct frame
{
  struct entry *e;
  int64_t state; /* before e */
  bool same;     /* e changes no state it holds in (a read) */
};

/* Searches ops[0..n) for a linearization from the state LABO_NIL. Sets
 * *culprit (an index into ops) when INVALID: the answer furthest in the
 * list that the search had to back away from. */
static enum labo_lin_verdict
wgl (const struct kop *ops, size_t n, double deadline, size_t mem_limit,
     uint64_t *configs, size_t *peak, size_t *culprit, bool *by_time)
{
  struct search s = { .mem_limit = mem_limit };
  struct sort_item *items;
  struct entry *ents, head = { 0 };
  struct frame *stack;
  int64_t *to;
  size_t n_ent = 0, sp = 0, pending = 0, best_pos = 0;
  enum labo_lin_verdict v;
  int64_t state = LABO_NIL;
  uint64_t steps = 0;

  *by_time = false;
  *culprit = SIZE_MAX;
  if (n == 0)
    return LABO_LIN_VALID;
  if (n >= UINT32_MAX / 2)
    {
      /* entries are numbered in 32 bits: 2^31 operations on one key
       * would take some hundred GiB before this */
      labo_say ("the linearizability checker: %zu operations on one key", n);
      abort ();
    }

  items = xmalloc (2 * n * sizeof *items);
  for (size_t i = 0; i < n; i++)
    {
      items[n_ent++] = (struct sort_item) { ops[i].call, (uint32_t) i, true };
      if (!ops[i].info)
        {
          items[n_ent++] = (struct sort_item) { ops[i].ret, (uint32_t) i, false };
          pending++;
        }
    }
  qsort (items, n_ent, sizeof *items, cmp_item);

  /* link the list; a call finds its answer through calls[] */
  ents = xcalloc (n_ent, sizeof *ents);
  {
    cleanup_free struct entry **call_of = xcalloc (n, sizeof *call_of);
    struct entry *prev = &head;
    for (size_t i = 0; i < n_ent; i++)
      {
        struct entry *e = &ents[i];
        e->op = items[i].op;
        e->pos = (uint32_t) i;
        e->call = items[i].call;
        e->prev = prev;
        prev->next = e;
        prev = e;
        if (e->call)
          call_of[e->op] = e;
        else
          {
            e->match = call_of[e->op];
            call_of[e->op]->match = e;
          }
      }
  }
  free (items);

  /* the answered operations' bits, then the unanswered ones' */
  s.bit = xmalloc (n * sizeof *s.bit);
  {
    uint32_t n_ok = 0, n_info = 0, words_ok;
    for (size_t i = 0; i < n; i++)
      n_ok += !ops[i].info;
    words_ok = (n_ok + 63) / 64;
    n_ok = 0;
    for (size_t i = 0; i < n; i++)
      s.bit[i] = ops[i].info ? words_ok * 64 + n_info++ : n_ok++;
    s.nwords = words_ok + (n_info + 63) / 64;
    s.reg[0] = (struct region) { 0, words_ok, 0, 0 };
    s.reg[1] = (struct region) { words_ok, (uint32_t) s.nwords, words_ok, words_ok };
  }
  s.bits = xcalloc (s.nwords ? s.nwords : 1, sizeof (uint64_t));
  s.zkey = xmalloc (n * sizeof (uint64_t));
  for (size_t i = 0; i < n; i++)
    s.zkey[i] = mix64 (0x2545f4914f6cdd1dULL + i * 0x9e3779b97f4a7c15ULL);

  /* The states that no operation tells apart are one state: a value that
   * no read returns and no CAS expects fails every test as any other such
   * value does, and a write overwrites either. Writes of such values all
   * leave the one state `dead` (a value nobody observes), so that the
   * configurations that differ only by which of them came last are one
   * (40 concurrent writes nobody reads: 2^40 configurations, not 40 x
   * 2^39; and most writes are overwritten before anyone reads them). */
  to = xmalloc (n * sizeof *to);
  {
    cleanup_free int64_t *seen = xmalloc ((n + 1) * sizeof *seen);
    size_t ns = 1;
    int64_t dead = LABO_NIL + 1;
    seen[0] = LABO_NIL; /* the initial state, which a read of nil observes */
    for (size_t i = 0; i < n; i++)
      if (observes (&ops[i], &seen[ns]))
        ns++;
    qsort (seen, ns, sizeof *seen, cmp_i64);
    while (has_value (seen, ns, dead))
      dead++;
    for (size_t i = 0; i < n; i++)
      to[i] = has_value (seen, ns, ops[i].value) ? ops[i].value : dead;
  }
  stack = xmalloc (n * sizeof *stack);
  if (!tab_grow (&s))
    {
      v = LABO_LIN_UNKNOWN;
      goto out;
    }

  struct entry *e = head.next;
  bool fresh = true; /* e is the first entry of a configuration just reached */
  if (pending == 0)
    {
      v = LABO_LIN_VALID;
      goto out;
    }
  for (;;)
    {
      if ((++steps & 4095) == 0 && deadline > 0 && labo_now () > deadline)
        {
          s.out_of_time = true;
          v = LABO_LIN_UNKNOWN;
          goto out;
        }
      if (fresh)
        {
          /* A read that may come now and holds in this state comes
           * first, and nothing else is tried here: if any order from
           * this configuration succeeds, the same order with the read
           * moved first does (it is callable, no answer pending before
           * its call; it holds; and a read changes no state, wherever it
           * stands; not so a write of the value held, which where the
           * order placed it may have changed the state). So the
           * configurations are only those where no such read waits, and
           * the subsets of concurrent reads never multiply them. */
          fresh = false;
          struct entry *x;
          for (x = e; x && x->call; x = x->next)
            if (ops[x->op].f == LABO_OP_READ && ops[x->op].value == state)
              break;
          if (x && x->call)
            {
              bit_set (&s, x->op);
              int r = cache_add (&s, state);
              if (r < 0)
                {
                  v = LABO_LIN_UNKNOWN;
                  goto out;
                }
              if (r == 0)
                {
                  /* seen, and failed (a configuration on the stack holds
                   * fewer operations): so does this one */
                  bit_clear (&s, x->op);
                  goto back;
                }
              stack[sp++] = (struct frame) { x, state, true };
              lift (x);
              if (x->match && --pending == 0)
                {
                  v = LABO_LIN_VALID;
                  goto out;
                }
              e = head.next;
              fresh = true;
              continue;
            }
        }
      if (e == NULL) /* only INFO calls left: every answer explained */
        {
          v = LABO_LIN_VALID;
          goto out;
        }
      if (e->call)
        {
          int64_t next;
          if (step (state, &ops[e->op], to[e->op], &next))
            {
              bit_set (&s, e->op);
              int r = cache_add (&s, next);
              if (r < 0)
                {
                  v = LABO_LIN_UNKNOWN;
                  goto out;
                }
              if (r > 0)
                {
                  stack[sp++] = (struct frame) { e, state, ops[e->op].f == LABO_OP_READ };
                  state = next;
                  lift (e);
                  if (e->match && --pending == 0)
                    {
                      v = LABO_LIN_VALID;
                      goto out;
                    }
                  e = head.next;
                  fresh = true;
                  continue;
                }
              bit_clear (&s, e->op);
            }
          e = e->next;
          continue;
        }
      /* an answer no order so far explains */
      if (*culprit == SIZE_MAX || e->pos > best_pos)
        {
          best_pos = e->pos;
          *culprit = e->op;
        }
    back:
      {
        /* Back away; and from a read, back away from the configuration
         * it was made in too (for the reason above: if that one had
         * succeeded, so would have the read's). */
        struct frame f;
        do
          {
            if (sp == 0)
              {
                v = LABO_LIN_INVALID;
                goto out;
              }
            f = stack[--sp];
            state = f.state;
            bit_clear (&s, f.e->op);
            unlift (f.e);
            if (f.e->match)
              pending++;
          }
        while (f.same);
        e = f.e->next;
      }
    }

out:
  *by_time = s.out_of_time;
  *configs += s.configs;
  if (s.peak > *peak)
    *peak = s.peak;
  free (stack);
  free (to);
  free (s.zkey);
  free (s.bit);
  free (s.bits);
  free (s.tab);
  free (s.arena);
  free (ents);
  return v;
}

/* ---- The witness ---- */

struct shrink
{
  const struct kop *kops; /* the key's */
  size_t n;
  ssize_t pinned;         /* the key's initial write, never removed (-1: none) */
  int64_t *written;       /* every value some operation of the key writes, sorted */
  size_t n_written;
  double deadline;
  size_t mem_limit;
  uint64_t *configs;
  size_t *peak;
  struct kop *buf;
  bool cut;               /* a search gave up: the witness may not be minimal */
  bool out_of_time;
};

/* Drops from sel[0..*k) every operation that observes a value that some
 * operation of the key writes but none left in sel does, until none is
 * left: a witness never shows a read without the write it read from. A
 * value no operation of the key writes stays: its read explains itself
 * ("read 7", 7 never written). sel stays in order. */
static void
close_set (const struct shrink *w, size_t *sel, size_t *k)
{
  cleanup_free int64_t *vals = xmalloc ((*k + 1) * sizeof *vals);
  bool dropped = true;

  while (dropped)
    {
      size_t nv = 0, j = 0;
      dropped = false;
      for (size_t i = 0; i < *k; i++)
        if (writes (&w->kops[sel[i]]))
          vals[nv++] = w->kops[sel[i]].value;
      qsort (vals, nv, sizeof *vals, cmp_i64);
      for (size_t i = 0; i < *k; i++)
        {
          const struct kop *o = &w->kops[sel[i]];
          int64_t v;
          if ((ssize_t) sel[i] != w->pinned && observes (o, &v)
              && has_value (w->written, w->n_written, v) && !has_value (vals, nv, v))
            {
              dropped = true;
              continue;
            }
          sel[j++] = sel[i];
        }
      *k = j;
    }
}

/* 1: sel[0..k) is not linearizable; 0: it is; -1: the search gave up. */
static int
unexplained (struct shrink *w, const size_t *sel, size_t k)
{
  size_t culprit;
  bool by_time;

  if (w->deadline > 0 && labo_now () > w->deadline)
    {
      w->cut = w->out_of_time = true;
      return -1;
    }
  for (size_t i = 0; i < k; i++)
    w->buf[i] = w->kops[sel[i]];
  switch (wgl (w->buf, k, w->deadline, w->mem_limit, w->configs, w->peak, &culprit, &by_time))
    {
    case LABO_LIN_INVALID:
      return 1;
    case LABO_LIN_VALID:
      return 0;
    case LABO_LIN_UNKNOWN:
    default:
      w->cut = true;
      w->out_of_time |= by_time;
      return -1;
    }
}

/* cand = sel without sel[from..to) (the pinned write kept), closed.
 * Returns its size. */
static size_t
without (const struct shrink *w, const size_t *sel, size_t k, size_t from, size_t to,
         size_t *cand)
{
  size_t m = 0;
  for (size_t i = 0; i < k; i++)
    if (i < from || i >= to || (ssize_t) sel[i] == w->pinned)
      cand[m++] = sel[i];
  close_set (w, cand, &m);
  return m;
}

/* Shrinks sel[0..*k), not linearizable, keeping it so: first the longest
 * history's usual case, an anomaly among its last operations (the start
 * of a window of the newest, by bisection), then ddmin's chunks, halved
 * until single operations, newest first, until no operation can go. */
static void
shrink (struct shrink *w, size_t *sel, size_t *k)
{
  cleanup_free size_t *cand = xmalloc ((*k + 1) * sizeof *cand);
  size_t lo = 0, hi = *k, m;

  /* the window: sel[lo..k) and the pinned write, lo as large as can be */
  while (lo < hi && !w->out_of_time)
    {
      size_t mid = lo + (hi - lo + 1) / 2;
      m = without (w, sel, *k, 0, mid, cand);
      if (unexplained (w, cand, m) == 1)
        lo = mid;
      else
        hi = mid - 1;
    }
  if (lo > 0)
    {
      m = without (w, sel, *k, 0, lo, cand);
      memcpy (sel, cand, m * sizeof *sel);
      *k = m;
    }

  /* ddmin: remove chunks, newest first */
  size_t parts = 2;
  while (*k >= 2 && !w->out_of_time)
    {
      size_t chunk = (*k + parts - 1) / parts;
      bool removed = false;
      for (size_t end = *k; end > 0 && !w->out_of_time; end = end > chunk ? end - chunk : 0)
        {
          size_t from = end > chunk ? end - chunk : 0;
          m = without (w, sel, *k, from, end, cand);
          if (m < *k && unexplained (w, cand, m) == 1)
            {
              memcpy (sel, cand, m * sizeof *sel);
              *k = m;
              removed = true;
              break;
            }
        }
      if (removed)
        parts = parts > 2 ? parts - 1 : 2;
      else if (chunk <= 1)
        break;
      else
        parts = parts * 2 < *k ? parts * 2 : *k;
    }

  /* single operations, newest first, until a whole pass removes none */
  for (bool removed = true; removed && !w->out_of_time;)
    {
      removed = false;
      for (size_t i = *k; i > 0 && !w->out_of_time; i--)
        {
          if (i - 1 >= *k)
            continue;
          m = without (w, sel, *k, i - 1, i, cand);
          if (m < *k && unexplained (w, cand, m) == 1)
            {
              memcpy (sel, cand, m * sizeof *sel);
              *k = m;
              removed = true;
            }
        }
    }
}

struct writer
{
  int64_t value;
  size_t op;
};

static int
cmp_writer (const void *a, const void *b)
{
  const struct writer *x = a, *y = b;
  if (x->value != y->value)
    return x->value < y->value ? -1 : 1;
  return x->op < y->op ? -1 : x->op > y->op;
}

/* The witness of key's kops[0..n), not linearizable, whose search backed
 * away furthest from kops[culprit]'s answer. has_init: kops[0] is the
 * key's initial write (its first operation, an answered write), which
 * every witness keeps. */
static void
witness (const struct kop *kops, size_t n, size_t culprit, bool has_init, double deadline,
         size_t mem_limit, struct labo_lin_result *r)
{
  struct shrink w = { .kops = kops, .n = n, .pinned = -1, .deadline = deadline,
                      .mem_limit = mem_limit, .configs = &r->configs, .peak = &r->peak_bytes };
  cleanup_free size_t *sel = xmalloc (n * sizeof *sel);
  size_t k = 0;

  if (has_init)
    w.pinned = 0;
  w.written = xmalloc (n * sizeof *w.written);
  for (size_t i = 0; i < n; i++)
    if (writes (&kops[i]))
      w.written[w.n_written++] = kops[i].value;
  qsort (w.written, w.n_written, sizeof *w.written, cmp_i64);
  w.buf = xmalloc (n * sizeof *w.buf);

  /* the operations called before the culprit's answer (the search never
   * got past it, and they are all it had seen there), with the writes of
   * the values they observe, wherever these are (a read of a value that
   * an unanswered write, called later, wrote) */
  cleanup_free bool *in = xcalloc (n, sizeof *in);
  cleanup_free struct writer *wr = xmalloc ((n + 1) * sizeof *wr);
  size_t nw = 0;
  for (size_t i = 0; i < n; i++)
    {
      in[i] = kops[i].call <= kops[culprit].ret;
      if (writes (&kops[i]))
        wr[nw++] = (struct writer) { kops[i].value, i };
    }
  qsort (wr, nw, sizeof *wr, cmp_writer);
  for (bool added = true; added;)
    {
      added = false;
      for (size_t i = 0; i < n; i++)
        {
          struct writer key;
          if (!in[i] || !observes (&kops[i], &key.value))
            continue;
          size_t a = 0, b = nw;
          while (a < b) /* the first writer of the value */
            {
              size_t mid = a + (b - a) / 2;
              if (wr[mid].value < key.value)
                a = mid + 1;
              else
                b = mid;
            }
          for (; a < nw && wr[a].value == key.value; a++)
            if (!in[wr[a].op])
              in[wr[a].op] = added = true;
        }
    }
  for (size_t i = 0; i < n; i++)
    if (in[i])
      sel[k++] = i;
  if (unexplained (&w, sel, k) != 1)
    {
      /* explained, with those writes: from the whole key then, which is
       * known unexplained (and closed) */
      k = n;
      for (size_t i = 0; i < n; i++)
        sel[i] = i;
    }
  shrink (&w, sel, &k);

  r->witness = xmalloc ((k ? k : 1) * sizeof *r->witness);
  for (size_t i = 0; i < k; i++)
    r->witness[i] = kops[sel[i]].idx;
  r->n_witness = k;
  r->witness_minimal = !w.cut;
  free (w.written);
  free (w.buf);
}

/* Leaves out of kops[0..n) the unanswered writes (and CAS) whose value
 * no operation observes (reads, CAS expecting it): in any order that
 * places one, the next operation that needs a state is a write (nothing
 * holds in a state nobody reads), so the order without it holds too; and
 * an unanswered operation may be left out. Those that never took effect,
 * the most, would otherwise stay callable to the end of the history, and
 * every configuration after their call would come twice, with and
 * without each (Jepsen's tutorial: crashed operations are "concurrent
 * for the entire remainder of the history"). Returns the new n. */
static size_t
drop_unobserved (struct kop *kops, size_t n)
{
  cleanup_free int64_t *seen = xmalloc ((n + 1) * sizeof *seen);
  for (bool dropped = true; dropped;)
    {
      size_t ns = 0, j = 0;
      dropped = false;
      for (size_t i = 0; i < n; i++)
        if (observes (&kops[i], &seen[ns]))
          ns++;
      qsort (seen, ns, sizeof *seen, cmp_i64);
      for (size_t i = 0; i < n; i++)
        {
          if (kops[i].info && writes (&kops[i]) && !has_value (seen, ns, kops[i].value))
            {
              dropped = true;
              continue;
            }
          kops[j++] = kops[i];
        }
      n = j;
    }
  return n;
}

/* ---- The whole history ---- */

struct keyed
{
  uint32_t key;
  size_t idx;
};

static int
cmp_keyed (const void *a, const void *b)
{
  const struct keyed *x = a, *y = b;
  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void
say_limit (char *why, size_t n, bool by_time, const struct labo_lin_limits *lim)
{
  if (by_time)
    snprintf (why, n, "time limit of %g s", lim->seconds);
  else if (lim->memory_bytes % MIB == 0)
    snprintf (why, n, "memory limit of %zu MiB", lim->memory_bytes / MIB);
  else if (lim->memory_bytes % 1024 == 0)
    snprintf (why, n, "memory limit of %zu KiB", lim->memory_bytes / 1024);
  else
    snprintf (why, n, "memory limit of %zu bytes", lim->memory_bytes);
}

enum labo_lin_verdict
labo_lin_check (const struct labo_history *h, const struct labo_lin_limits *lim,
                struct labo_lin_result *r)
{
  static const struct labo_lin_limits none = { 0 };
  double t0 = labo_now ();
  cleanup_free struct keyed *order = xmalloc ((h->n_ops + 1) * sizeof *order);
  cleanup_free struct kop *kops = xmalloc ((h->n_ops + 1) * sizeof *kops);
  bool unknown = false, invalid = false;

  if (!lim)
    lim = &none;
  double deadline = lim->seconds > 0 ? t0 + lim->seconds : 0;
  memset (r, 0, sizeof *r);

  for (size_t i = 0; i < h->n_ops; i++)
    order[i] = (struct keyed) { h->ops[i].key, i };
  qsort (order, h->n_ops, sizeof *order, cmp_keyed);
  for (size_t i = 0; i < h->n_ops; i++)
    if (i == 0 || order[i].key != order[i - 1].key)
      r->keys++;

  for (size_t i = 0, end; i < h->n_ops && !invalid; i = end)
    {
      uint32_t key = order[i].key;
      size_t n = 0, culprit;
      bool by_time;
      const struct labo_op *first = &h->ops[order[i].idx];
      bool has_init = first->f == LABO_OP_WRITE && first->type == LABO_OP_OK && first->ret_ns >= 0;

      for (end = i; end < h->n_ops && order[end].key == key; end++)
        {
          const struct labo_op *o = &h->ops[order[end].idx];
          bool info = o->type == LABO_OP_INFO || o->ret_ns < 0;
          if (o->type == LABO_OP_FAIL || (info && o->f == LABO_OP_READ))
            continue;
          /* an answer before its call (a clock stepped back) counts as at it */
          kops[n++] = (struct kop) { .call = o->call_ns,
                                     .ret = info ? INT64_MAX
                                            : o->ret_ns < o->call_ns ? o->call_ns : o->ret_ns,
                                     .value = o->value, .expect = o->expect, .f = o->f,
                                     .info = info, .idx = order[end].idx };
        }
      if (deadline > 0 && labo_now () > deadline)
        {
          /* the rest is not reached */
          if (!unknown)
            {
              unknown = true;
              r->key = key;
              say_limit (r->why, sizeof r->why, true, lim);
            }
          break;
        }
      n = drop_unobserved (kops, n);
      r->ops += n;
      switch (wgl (kops, n, deadline, lim->memory_bytes, &r->configs, &r->peak_bytes, &culprit,
                   &by_time))
        {
        case LABO_LIN_VALID:
          break;
        case LABO_LIN_INVALID:
          invalid = true;
          r->key = key;
          r->why[0] = '\0';
          r->culprit = kops[culprit].idx;
          witness (kops, n, culprit, has_init, deadline, lim->memory_bytes, r);
          break;
        case LABO_LIN_UNKNOWN:
        default:
          /* an INVALID key further on would still settle it: go on */
          if (!unknown)
            {
              unknown = true;
              r->key = key;
              say_limit (r->why, sizeof r->why, by_time, lim);
            }
          break;
        }
      r->keys_checked++;
    }

  r->verdict = invalid ? LABO_LIN_INVALID : unknown ? LABO_LIN_UNKNOWN : LABO_LIN_VALID;
  r->seconds = labo_now () - t0;
  return r->verdict;
}

void
labo_lin_result_free (struct labo_lin_result *r)
{
  free (r->witness);
  r->witness = NULL;
  r->n_witness = 0;
}

const char *
labo_lin_verdict_name (enum labo_lin_verdict v)
{
  switch (v)
    {
    case LABO_LIN_VALID:
      return "valid";
    case LABO_LIN_INVALID:
      return "invalid";
    case LABO_LIN_UNKNOWN:
      return "unknown";
    default:
      return "?";
    }
}
