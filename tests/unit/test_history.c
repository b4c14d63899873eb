/* A history's outputs (src/check/history.c, plot.c): the EDN Knossos and
 * Elle read, exactly, and read back by a strict EDN reader (and by
 * Clojure's own, tests/tools/edn-read.clj, where Debian's clojure is
 * installed; LABO_EDN_CHECK=1 makes its absence a failure, for CI); the
 * text timeline, exactly; which steps are faults; the plot, well-formed
 * XML with a band a fault, a line an election, a point an operation, a
 * circle a witness's operation, its text escaped, small for 30,000
 * operations and the same bytes each time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "labo/check/history.h"
#include "labo/check/plot.h"
#include "labo/util/util.h"

static const char *const nodes[] = { "zoo1", "zoo2" };

/* Four operations on key 1 and three events, every kind of answer. */
static struct labo_op small_ops[] = {
  { .process = 0, .key = 1, .f = LABO_OP_WRITE, .type = LABO_OP_OK, .value = 0, .call_ns = 0,
    .ret_ns = 1000000, .node = 0, .rc = 0 },
  { .process = 1, .key = 1, .f = LABO_OP_READ, .type = LABO_OP_OK, .value = 0,
    .call_ns = 2000000, .ret_ns = 3500000, .node = 1, .rc = 0 },
  { .process = 2, .key = 1, .f = LABO_OP_CAS, .type = LABO_OP_FAIL, .expect = 0, .value = 5,
    .call_ns = 2500000, .ret_ns = 4000000, .node = 0, .rc = -103 },
  { .process = 3, .key = 1, .f = LABO_OP_WRITE, .type = LABO_OP_INFO, .value = 7,
    .call_ns = 5000000, .ret_ns = -1, .node = 1, .rc = -4 },
};
static struct labo_event small_events[] = {
  { .t_ns = 1500000, .kind = LABO_EV_FAULT, .subject = "zoo2", .text = "isolate zoo2" },
  { .t_ns = 4000000, .kind = LABO_EV_LEADER, .subject = "zoo1", .text = "zoo1 \"leads\"\n" },
  { .t_ns = 6000000, .kind = LABO_EV_HEAL, .subject = "", .text = "heal every cut" },
};

static struct labo_history
small_history (void)
{
  return (struct labo_history) { .ops = small_ops, .n_ops = 4, .events = small_events,
                                 .n_events = 3, .nodes = nodes, .n_nodes = 2,
                                 .end_ns = 10000000 };
}

typedef int (*writer_fn) (FILE *, const struct labo_history *);

static char *
write_to_string (writer_fn fn, const struct labo_history *h, size_t *len)
{
  char *buf = NULL;
  size_t l = 0;
  FILE *f = open_memstream (&buf, &l);
  assert_non_null (f);
  assert_int_equal (fn (f, h), 0);
  fclose (f);
  if (len)
    *len = l;
  return buf;
}

static char *
plot_to_string (const struct labo_history *h, const struct labo_plot_opts *o, size_t *len)
{
  char *buf = NULL;
  size_t l = 0;
  FILE *f = open_memstream (&buf, &l);
  assert_non_null (f);
  assert_int_equal (labo_plot_svg (f, h, o), 0);
  fclose (f);
  if (len)
    *len = l;
  return buf;
}

static size_t
count (const char *hay, const char *needle)
{
  size_t n = 0;
  for (const char *p = hay; (p = strstr (p, needle)) != NULL; p += strlen (needle))
    n++;
  return n;
}

/* The part of s from the element that starts with `open` to the next
 * `close`, as a new string. */
static char *
section (const char *s, const char *open, const char *close)
{
  const char *a = strstr (s, open), *b;
  assert_non_null (a);
  b = strstr (a, close);
  assert_non_null (b);
  return xasprintf ("%.*s", (int) (b - a), a);
}

/* ---- a strict reader of the EDN labo writes ---- */

struct edn
{
  const char *p;
  const char *err;
};

static bool edn_form (struct edn *e);

static void
edn_ws (struct edn *e)
{
  while (*e->p == ' ' || *e->p == ',')
    e->p++;
}

static bool
edn_fail (struct edn *e, const char *why)
{
  if (e->err == NULL)
    e->err = why;
  return false;
}

static bool
edn_string (struct edn *e)
{
  e->p++;
  for (;;)
    {
      unsigned char c = (unsigned char) *e->p;
      if (c == '\0' || c == '\n')
        return edn_fail (e, "a string not closed on its line");
      if (c < 0x20 || c == 0x7f)
        return edn_fail (e, "a raw control character in a string");
      e->p++;
      if (c == '"')
        return true;
      if (c != '\\')
        continue;
      c = (unsigned char) *e->p++;
      if (c == 'u')
        {
          for (int i = 0; i < 4; i++)
            if (!isxdigit ((unsigned char) *e->p++))
              return edn_fail (e, "\\u without four hex digits");
        }
      else if (strchr ("\"\\ntr", c) == NULL || c == '\0')
        return edn_fail (e, "an escape EDN does not have");
    }
}

static bool
edn_symbolish (struct edn *e, bool keyword)
{
  const char *start = e->p;
  if (keyword)
    e->p++;
  if (!isalpha ((unsigned char) *e->p))
    return edn_fail (e, "a keyword or symbol not starting with a letter");
  while (isalnum ((unsigned char) *e->p) || strchr ("-_/.?!*", *e->p))
    e->p++;
  if (!keyword && !(e->p - start == 3 && strncmp (start, "nil", 3) == 0))
    return edn_fail (e, "a symbol other than nil");
  return true;
}

static bool
edn_seq (struct edn *e, char close, bool map)
{
  size_t n = 0;
  e->p++;
  for (;;)
    {
      edn_ws (e);
      if (*e->p == close)
        {
          e->p++;
          return !map || n % 2 == 0 ? true : edn_fail (e, "a map of an odd count");
        }
      if (map && n % 2 == 0 && *e->p != ':')
        return edn_fail (e, "a map key that is not a keyword");
      if (!edn_form (e))
        return false;
      n++;
    }
}

static bool
edn_form (struct edn *e)
{
  edn_ws (e);
  switch (*e->p)
    {
    case '{':
      return edn_seq (e, '}', true);
    case '[':
      return edn_seq (e, ']', false);
    case '"':
      return edn_string (e);
    case ':':
      return edn_symbolish (e, true);
    case '-':
    case '0' ... '9':
      e->p += *e->p == '-';
      if (!isdigit ((unsigned char) *e->p))
        return edn_fail (e, "a minus without a number");
      if (*e->p == '0' && isdigit ((unsigned char) e->p[1]))
        return edn_fail (e, "a number with a leading zero");
      while (isdigit ((unsigned char) *e->p))
        e->p++;
      return true;
    default:
      return edn_symbolish (e, false);
    }
}

/* Each line one map, its :index its line's number. */
static void
edn_check (const char *text)
{
  size_t line = 0;
  for (const char *p = text; *p; line++)
    {
      struct edn e = { .p = p };
      char want[48];
      if (*p != '{' || !edn_form (&e) || *e.p != '\n')
        fail_msg ("EDN line %zu: %s at '%.40s'", line, e.err ? e.err : "not one map a line",
                  e.p);
      snprintf (want, sizeof (want), ":index %zu", line);
      if (strstr (p, want) == NULL || strstr (p, want) > e.p)
        fail_msg ("EDN line %zu has not %s", line, want);
      p = e.p + 1;
    }
}

/* ---- a strict checker of the XML the plot writes ---- */

static bool
xml_entity_ok (const char *p)
{
  static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;", NULL };
  for (size_t i = 0; ents[i]; i++)
    if (strncmp (p, ents[i], strlen (ents[i])) == 0)
      return true;
  return false;
}

static void
xml_check (const char *s)
{
  const char *stack[64];
  size_t depth = 0, roots = 0;
  const char *p = s;

  if (strncmp (p, "<?xml ", 6) == 0)
    p = strstr (p, "?>") + 2;
  while (*p)
    {
      if (*p == '&')
        {
          if (!xml_entity_ok (p))
            fail_msg ("XML: a bare & at '%.30s'", p);
          p++;
          continue;
        }
      if (*p == '>')
        fail_msg ("XML: a bare > at '%.30s'", p);
      if (*p != '<')
        {
          if (depth == 0 && !isspace ((unsigned char) *p))
            fail_msg ("XML: text outside the root at '%.30s'", p);
          p++;
          continue;
        }
      if (p[1] == '/')
        {
          size_t l = strcspn (p + 2, ">");
          if (depth == 0 || strlen (stack[depth - 1]) != l || strncmp (stack[depth - 1], p + 2, l))
            fail_msg ("XML: </%.*s> closes %s", (int) l, p + 2,
                      depth ? stack[depth - 1] : "nothing");
          free ((char *) stack[--depth]);
          p += 2 + l + 1;
          continue;
        }
      {
        size_t l = strcspn (p + 1, " />\n");
        const char *q = p + 1 + l;
        if (l == 0)
          fail_msg ("XML: a tag without a name at '%.30s'", p);
        for (;;)
          {
            while (*q == ' ' || *q == '\n')
              q++;
            if (*q == '>' || (q[0] == '/' && q[1] == '>'))
              break;
            while (isalnum ((unsigned char) *q) || *q == '-' || *q == ':')
              q++;
            if (q[0] != '=' || q[1] != '"')
              fail_msg ("XML: an attribute without a quoted value at '%.30s'", q);
            for (q += 2; *q != '"'; q++)
              if (*q == '\0' || *q == '<' || (*q == '&' && !xml_entity_ok (q)))
                fail_msg ("XML: a bad attribute value at '%.30s'", q);
            q++;
          }
        if (depth == 0)
          roots++;
        if (*q == '>')
          {
            assert_true (depth < 64);
            stack[depth++] = xasprintf ("%.*s", (int) l, p + 1);
            q++;
          }
        else
          q += 2;
        p = q;
      }
    }
  if (depth != 0)
    fail_msg ("XML: <%s> never closed", stack[depth - 1]);
  assert_int_equal (roots, 1);
}

/* ---- EDN ---- */

static const char small_edn[] =
  "{:type :invoke, :f :write, :value [1 0], :process 0, :time 0, :index 0, :labo/node \"zoo1\"}\n"
  "{:type :ok, :f :write, :value [1 0], :process 0, :time 1000000, :index 1, :labo/node \"zoo1\", :labo/rc 0}\n"
  "{:type :info, :f :start, :value \"isolate zoo2\", :process :nemesis, :time 1500000, :index 2, :labo/subject \"zoo2\"}\n"
  "{:type :invoke, :f :read, :value [1 nil], :process 1, :time 2000000, :index 3, :labo/node \"zoo2\"}\n"
  "{:type :invoke, :f :cas, :value [1 [0 5]], :process 2, :time 2500000, :index 4, :labo/node \"zoo1\"}\n"
  "{:type :ok, :f :read, :value [1 0], :process 1, :time 3500000, :index 5, :labo/node \"zoo2\", :labo/rc 0}\n"
  "{:type :info, :f :leader, :value \"zoo1 \\\"leads\\\"\\n\", :process :nemesis, :time 4000000, :index 6, :labo/subject \"zoo1\"}\n"
  "{:type :fail, :f :cas, :value [1 [0 5]], :process 2, :time 4000000, :index 7, :labo/node \"zoo1\", :labo/rc -103}\n"
  "{:type :invoke, :f :write, :value [1 7], :process 3, :time 5000000, :index 8, :labo/node \"zoo2\"}\n"
  "{:type :info, :f :stop, :value \"heal every cut\", :process :nemesis, :time 6000000, :index 9}\n"
  "{:type :info, :f :write, :value [1 7], :process 3, :time 10000000, :index 10, :labo/node \"zoo2\", :labo/rc -4, :error :labo/no-answer}\n";

static void
test_edn_exact (void **state)
{
  struct labo_history h = small_history ();
  cleanup_free char *edn = write_to_string (labo_history_write_edn, &h, NULL);
  (void) state;
  assert_string_equal (edn, small_edn);
  edn_check (edn);
}

static void
test_edn_escapes (void **state)
{
  struct labo_event ev = { .t_ns = -5, .kind = LABO_EV_NOTE, .subject = "a\\b",
                           .text = "q\"uote\\ \n\t\r\x01\x7f caf\xc3\xa9" };
  struct labo_history h = { .events = &ev, .n_events = 1, .end_ns = 0 };
  cleanup_free char *edn = write_to_string (labo_history_write_edn, &h, NULL);
  (void) state;
  assert_string_equal (edn, "{:type :info, :f :note, :value \"q\\\"uote\\\\ \\n\\t\\r\\u0001\\u007f "
                            "caf\xc3\xa9\", :process :nemesis, :time -5, :index 0, :labo/subject "
                            "\"a\\\\b\"}\n");
  edn_check (edn);
}

/* A larger history of every kind of operation and event: what both
 * readers get. Deterministic (its own generator). */
static struct labo_history
big_history (size_t n_ops, struct labo_op **ops_out, struct labo_event **evs_out)
{
  struct labo_op *ops = xcalloc (n_ops, sizeof (*ops));
  struct labo_event *evs = xcalloc (8, sizeof (*evs));
  static const char *const texts[] = { "isolate leader (zoo1)", "heal every cut", "pause zoo2",
                                       "resume zoo2", "kill zoo3 with SIGTERM", "power off h2",
                                       "power on h2", "a \"note\" <with> & 'stuff'\n" };
  uint64_t x = 42;
  int64_t t = 0;
  uint32_t next_process = 8;
  uint32_t procs[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
  int64_t busy_until[8] = { 0 };

  for (size_t i = 0; i < 8; i++)
    evs[i] = (struct labo_event) { .t_ns = (int64_t) i * 1000000000, .subject = "zoo1",
                                   .text = texts[i],
                                   .kind = labo_event_kind_of_step (texts[i]) };
  evs[5].kind = LABO_EV_LEADER;
  for (size_t i = 0; i < n_ops; i++)
    {
      struct labo_op *op = &ops[i];
      size_t c;
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      c = (size_t) (x >> 61);
      t += (int64_t) ((x >> 20) % 300000);
      if (t < busy_until[c])
        t = busy_until[c];
      op->process = procs[c];
      op->key = (uint32_t) ((x >> 40) % 5);
      op->f = (enum labo_op_f) ((x >> 33) % 3);
      op->type = (x >> 50) % 20 == 0 ? LABO_OP_INFO : (x >> 50) % 20 == 1 ? LABO_OP_FAIL
                                                                        : LABO_OP_OK;
      op->value = (int64_t) i;
      op->expect = op->f == LABO_OP_CAS ? (int64_t) i - 1 : 0;
      if (op->f == LABO_OP_READ && (x >> 45) % 7 == 0)
        op->value = LABO_NIL;
      op->call_ns = t;
      op->node = (int32_t) ((x >> 30) % 3) - 1;
      if (op->type == LABO_OP_INFO)
        {
          op->ret_ns = -1;
          op->rc = -4;
          procs[c] = next_process++;
        }
      else
        {
          op->ret_ns = t + 100000 + (int64_t) ((x >> 10) % 50000000);
          busy_until[c] = op->ret_ns;
        }
    }
  *ops_out = ops;
  *evs_out = evs;
  return (struct labo_history) { .ops = ops, .n_ops = n_ops, .events = evs, .n_events = 8,
                                 .nodes = nodes, .n_nodes = 2, .end_ns = t + 60000000 };
}

static void
test_edn_read_back (void **state)
{
  struct labo_op *ops;
  struct labo_event *evs;
  struct labo_history h = big_history (3000, &ops, &evs);
  cleanup_free char *edn = write_to_string (labo_history_write_edn, &h, NULL);
  const char *data = getenv ("LABO_TESTDATA");
  bool must = getenv ("LABO_EDN_CHECK") && strcmp (getenv ("LABO_EDN_CHECK"), "1") == 0;
  (void) state;

  edn_check (edn);
  assert_int_equal (count (edn, "\n"), 3000 * 2 + 8);
  /* Clojure's reader, and Knossos's assertions on pairs */
  if (system ("command -v clojure >/dev/null 2>&1") != 0)
    {
      if (must)
        fail_msg ("LABO_EDN_CHECK=1, but no clojure (apt-get install clojure)");
      print_message ("    (no clojure: the EDN is not read by clojure.edn; apt-get install "
                     "clojure)\n");
    }
  else
    {
      char path[] = "/tmp/labo-test-history-XXXXXX";
      int fd = mkstemp (path);
      cleanup_free char *cmd = NULL;
      FILE *f;
      assert_true (fd >= 0);
      f = fdopen (fd, "w");
      fputs (edn, f);
      fclose (f);
      cmd = xasprintf ("clojure %s/tools/edn-read.clj %s", data ? data : "tests", path);
      if (system (cmd) != 0)
        {
          unlink (path);
          fail_msg ("clojure.edn refused the history: %s", cmd);
        }
      unlink (path);
    }
  free (ops);
  free (evs);
}

/* ---- the timeline ---- */

static const char small_text[] =
  "    0.001  zoo1      p0      write r1 0              ok    1.0 ms\n"
  "    0.002  zoo2      FAULT   isolate zoo2\n"
  "    0.004  zoo2      p1      read r1 0               ok    1.5 ms\n"
  "    0.004  zoo1      LEADER  zoo1 \"leads\" \n"
  "    0.004  zoo1      p2      cas r1 0->5             fail  1.5 ms  rc -103\n"
  "    0.006  -         HEAL    heal every cut\n"
  "    0.010  zoo2      p3      write r1 7              info  > 5.0 ms, no answer  rc -4\n";

static void
test_text_timeline (void **state)
{
  struct labo_history h = small_history ();
  cleanup_free char *text = write_to_string (labo_history_write_text, &h, NULL);
  cleanup_free char *head = NULL;
  (void) state;
  assert_string_equal (text, small_text);
  for (const char *p = text; *p; p = strchr (p, '\n') + 1)
    assert_true (strcspn (p, "\n") <= 100);
  /* with its wall clock: a first line says when t = 0 was */
  h.wall0 = 1796319831.348; /* 2026-12-03T17:43:51.348Z */
  head = write_to_string (labo_history_write_text, &h, NULL);
  assert_true (strncmp (head, "# t = 0 at 2026-12-03T17:43:51.3", 32) == 0);
  assert_string_equal (strchr (head, '\n') + 1, small_text);
}

/* ---- steps ---- */

static void
test_event_kind_of_step (void **state)
{
  static const struct
  {
    const char *text;
    enum labo_event_kind kind;
  } cases[] = {
    { "heal every cut", LABO_EV_HEAL },
    { "heal h1 and h2", LABO_EV_HEAL },
    { "resume zoo2", LABO_EV_HEAL },
    { "resume every node paused", LABO_EV_HEAL },
    { "power on h3", LABO_EV_HEAL },
    { "power-on h3", LABO_EV_HEAL },
    { "start zoo1", LABO_EV_HEAL },
    { "restore", LABO_EV_HEAL },
    { "reset", LABO_EV_HEAL },
    { "link h1: down no", LABO_EV_HEAL },
    { "wait for a quorum", LABO_EV_NOTE },
    { "wait until every node serves", LABO_EV_NOTE },
    { "capture h1 into x.pcap", LABO_EV_NOTE },
    { "kill zoo1", LABO_EV_FAULT },
    { "kill zoo1 with SIGTERM", LABO_EV_FAULT },
    { "partition h1 and h2", LABO_EV_FAULT },
    { "partition the nodes' hosts into two random halves", LABO_EV_FAULT },
    { "isolate leader (zoo1)", LABO_EV_FAULT },
    { "power off h2", LABO_EV_FAULT },
    { "pause zoo2", LABO_EV_FAULT },
    { "link h1: delay 100ms, loss 5%", LABO_EV_FAULT },
    { "link h1: down yes", LABO_EV_FAULT },
    { "clock zoo1 +2s", LABO_EV_FAULT },
    { "healthy?", LABO_EV_FAULT }, /* a word, not a prefix */
    { "started", LABO_EV_FAULT },
  };
  (void) state;
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    if (labo_event_kind_of_step (cases[i].text) != cases[i].kind)
      fail_msg ("'%s': kind %d, not %d", cases[i].text, labo_event_kind_of_step (cases[i].text),
                cases[i].kind);
  assert_int_equal (labo_event_kind_of_step (NULL), LABO_EV_NOTE);
}

/* ---- the plot ---- */

static void
test_plot_parts (void **state)
{
  struct labo_history h = small_history ();
  static const size_t witness[] = { 1, 3, 99 };
  struct labo_plot_opts o = { .title = "lab <zk3> & \"seed\" 'x'", .highlight = witness,
                              .n_highlight = 3 };
  cleanup_free char *svg = plot_to_string (&h, &o, NULL);
  cleanup_free char *faults = section (svg, "<g class=\"faults\"", "</g>");
  cleanup_free char *leaders = section (svg, "<g class=\"leaders\"", "</g>");
  cleanup_free char *wit = section (svg, "<g class=\"witness\"", "</g>");
  (void) state;

  xml_check (svg);
  assert_non_null (strstr (svg, ">lab &lt;zk3&gt; &amp; &quot;seed&quot; &#39;x&#39;</text>"));
  /* one band (isolate -> heal), one election, four points and the
   * legend's three shapes, two witness circles (99 is no operation) */
  assert_int_equal (count (faults, "<rect "), 1);
  assert_non_null (strstr (faults, "<title>isolate zoo2</title>"));
  assert_int_equal (count (leaders, "<path "), 1);
  assert_non_null (strstr (leaders, ">zoo1</text>"));
  assert_non_null (strstr (leaders, "<title>zoo1 &quot;leads&quot;?</title>"));
  assert_int_equal (count (svg, "<use xlink:href=\"#"), 4 + 3);
  assert_int_equal (count (svg, "<g class=\"ops ok "), 2);
  assert_int_equal (count (svg, "<g class=\"ops fail cas\""), 1);
  assert_int_equal (count (svg, "<g class=\"ops info write\""), 1);
  assert_int_equal (count (wit, "<circle "), 2);
  assert_non_null (strstr (svg, "4 operations: 2 ok, 1 fail, 1 info"));
  assert_null (strstr (svg, "<script"));
  assert_non_null (strstr (svg, "xmlns=\"http://www.w3.org/2000/svg\""));
  assert_null (strstr (svg, "href=\"http"));
}

static void
test_plot_empty (void **state)
{
  struct labo_history h = { 0 };
  cleanup_free char *svg = plot_to_string (&h, NULL, NULL);
  (void) state;
  xml_check (svg);
  assert_non_null (strstr (svg, ">no operations</text>"));
  assert_non_null (strstr (svg, "width=\"960\" height=\"420\""));
  assert_null (strstr (svg, "class=\"witness\""));
}

/* Faults that overlap: two bands, both to the one heal; a fault never
 * healed: to the end. Bad bytes in a text: XML still. */
static void
test_plot_overlapping_faults (void **state)
{
  struct labo_event evs[] = {
    { .t_ns = 1000000000, .kind = LABO_EV_FAULT, .subject = "", .text = "pause zoo2" },
    { .t_ns = 2000000000, .kind = LABO_EV_FAULT, .subject = "", .text = "isolate \xff\x01zoo1" },
    { .t_ns = 3000000000, .kind = LABO_EV_HEAL, .subject = "", .text = "heal every cut" },
    { .t_ns = 4000000000, .kind = LABO_EV_FAULT, .subject = "", .text = "power off h1" },
    { .t_ns = 4500000000, .kind = LABO_EV_NOTE, .subject = "", .text = "a note" },
  };
  struct labo_history h = { .events = evs, .n_events = 5, .end_ns = 5000000000 };
  cleanup_free char *svg = plot_to_string (&h, &(struct labo_plot_opts) { .width = 400, .height = 200 },
                                           NULL);
  cleanup_free char *faults = section (svg, "<g class=\"faults\"", "</g>");
  (void) state;
  xml_check (svg);
  assert_int_equal (count (faults, "<rect "), 3);
  assert_non_null (strstr (faults, "isolate ??zoo1"));
  assert_non_null (strstr (svg, "<title>a note</title>"));
  assert_non_null (strstr (svg, "width=\"400\" height=\"200\""));
}

static void
test_plot_large_and_deterministic (void **state)
{
  struct labo_op *ops;
  struct labo_event *evs;
  struct labo_history h = big_history (30000, &ops, &evs);
  size_t witness[] = { 5, 17, 2000 };
  struct labo_plot_opts o = { .title = "lab zk3, seed 42: invalid", .highlight = witness,
                              .n_highlight = 3 };
  size_t l1, l2;
  cleanup_free char *a = plot_to_string (&h, &o, &l1);
  cleanup_free char *b = plot_to_string (&h, &o, &l2);
  (void) state;
  assert_int_equal (l1, l2);
  assert_memory_equal (a, b, l1);
  if (l1 > 3 * 1024 * 1024)
    fail_msg ("30,000 operations: %zu bytes of SVG", l1);
  print_message ("    30,000 operations: %zu bytes of SVG\n", l1);
  xml_check (a);
  assert_int_equal (count (a, "<use xlink:href=\"#"), 30000 + 3);
  /* xmllint, where it is, as a second opinion */
  if (system ("command -v xmllint >/dev/null 2>&1") == 0)
    {
      char path[] = "/tmp/labo-test-plot-XXXXXX";
      int fd = mkstemp (path);
      cleanup_free char *cmd = xasprintf ("xmllint --noout %s", path);
      assert_true (fd >= 0);
      assert_int_equal (write (fd, a, l1), (ssize_t) l1);
      close (fd);
      if (system (cmd) != 0)
        {
          unlink (path);
          fail_msg ("xmllint refused the plot");
        }
      unlink (path);
    }
  free (ops);
  free (evs);
}

/* A write error is said: -1 and errno. */
static void
test_write_error (void **state)
{
  struct labo_history h = small_history ();
  FILE *f = fopen ("/dev/full", "w");
  (void) state;
  if (f == NULL)
    skip ();
  setvbuf (f, NULL, _IONBF, 0);
  assert_int_equal (labo_history_write_edn (f, &h), -1);
  clearerr (f);
  assert_int_equal (labo_history_write_text (f, &h), -1);
  clearerr (f);
  assert_int_equal (labo_plot_svg (f, &h, NULL), -1);
  fclose (f);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_edn_exact),
    cmocka_unit_test (test_edn_escapes),
    cmocka_unit_test (test_edn_read_back),
    cmocka_unit_test (test_text_timeline),
    cmocka_unit_test (test_event_kind_of_step),
    cmocka_unit_test (test_plot_parts),
    cmocka_unit_test (test_plot_empty),
    cmocka_unit_test (test_plot_overlapping_faults),
    cmocka_unit_test (test_plot_large_and_deterministic),
    cmocka_unit_test (test_write_error),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
