/* Stress regression tests for the lab file and scenario readers (issue 9):
 * the inputs that once took minutes or gigabytes, each read in a child
 * process under a time bound (alarm) and a memory bound (the child's peak
 * resident size, from wait4). The bounds are about ten times what each
 * takes here under ASan (figures in docs/benchmarks.md): generous enough
 * for a busy CI machine, far below what the inputs cost without their
 * fixes, which each of these tests was seen to fail against.
 *
 * Each child also reports what the reader said (the number of diagnostics
 * and the first one), which the parent checks: a bound is no use if the
 * file is refused for the wrong reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "labo/model/labfile.h"
#include "labo/model/limits.h"
#include "labo/model/scenario.h"
#include "labo/util/util.h"

/* What a child reports. */
struct outcome
{
  bool ok;           /* a lab (or scenario) came out */
  size_t n_diags;
  int line, col;     /* of the first diagnostic */
  char msg[512];     /* the first diagnostic */
  size_t n_hosts;
};

struct run
{
  struct outcome out;
  double seconds;
  long max_rss_mb;
};

typedef void (*parse_fn) (const char *text, size_t len, const struct labo_limits *lim,
                          struct outcome *out);

static void
parse_lab (const char *text, size_t len, const struct labo_limits *lim, struct outcome *out)
{
  struct labo_diags d = { NULL, 0 };
  struct labo_lab *lab = labo_labfile_parse_limited ("stress.yaml", text, len, lim, &d);

  out->ok = lab != NULL;
  out->n_hosts = lab ? lab->n_hosts : 0;
  out->n_diags = d.n;
  if (d.n > 0)
    {
      out->line = d.v[0].line;
      out->col = d.v[0].col;
      snprintf (out->msg, sizeof out->msg, "%s", d.v[0].msg);
    }
  labo_lab_free (lab);
  labo_diags_free (&d);
}

static void
parse_scenario (const char *text, size_t len, const struct labo_limits *lim,
                struct outcome *out)
{
  struct labo_diags d = { NULL, 0 };
  struct labo_scenario *sc
      = labo_scenario_parse_limited ("stress.yaml", text, len, NULL, lim, &d);

  out->ok = sc != NULL;
  out->n_diags = d.n;
  if (d.n > 0)
    {
      out->line = d.v[0].line;
      out->col = d.v[0].col;
      snprintf (out->msg, sizeof out->msg, "%s", d.v[0].msg);
    }
  labo_scenario_free (sc);
  labo_diags_free (&d);
}

/* Reads text with fn in a child that may take `seconds` at most; fails the
 * test if it takes longer or grows past max_mb resident. */
static struct run
bounded (const char *what, parse_fn fn, const char *text, size_t len,
         const struct labo_limits *lim, unsigned seconds, long max_mb)
{
  struct run r = { 0 };
  struct rusage ru;
  int fd[2], status;
  double t0 = labo_now ();
  ssize_t got;
  pid_t pid;

  assert_int_equal (pipe (fd), 0);
  fflush (NULL);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      struct outcome out = { 0 };
      close (fd[0]);
      alarm (seconds);
      fn (text, len, lim, &out);
      _exit (write (fd[1], &out, sizeof out) == (ssize_t) sizeof out ? 0 : 1);
    }
  close (fd[1]);
  got = read (fd[0], &r.out, sizeof r.out); /* nothing if the child was killed */
  close (fd[0]);
  assert_int_equal (wait4 (pid, &status, 0, &ru), pid);
  r.seconds = labo_now () - t0;
  r.max_rss_mb = ru.ru_maxrss / 1024;
  print_message ("  %s: %.2f s, %ld MB resident, %zu diagnostic(s)%s%s\n", what, r.seconds,
                 r.max_rss_mb, r.out.n_diags, r.out.n_diags ? ": " : "", r.out.msg);
  if (WIFSIGNALED (status) && WTERMSIG (status) == SIGALRM)
    fail_msg ("%s: took more than %u s", what, seconds);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0 || got != (ssize_t) sizeof r.out)
    fail_msg ("%s: the child failed (status %#x)", what, status);
  if (r.max_rss_mb > max_mb)
    fail_msg ("%s: %ld MB resident, more than %ld MB", what, r.max_rss_mb, max_mb);
  return r;
}

/* text of a memstream, with its length */
struct text
{
  char *s;
  size_t len;
  FILE *f;
};

static void
text_open (struct text *t)
{
  t->s = NULL;
  t->len = 0;
  t->f = open_memstream (&t->s, &t->len);
  assert_non_null (t->f);
}

static void
text_close (struct text *t)
{
  fclose (t->f);
}

/* The file: 2,000 hosts all aliasing one list of 2,000 links
 * (98 KB), which came out as 4,000,000 links after 77 s and 1 GB. */
static void
test_aliases (void **state)
{
  struct text t;
  struct run r;

  text_open (&t);
  fprintf (t.f, "lab: aliases\nsegments: {s: {subnet: 10.0.0.0/8}}\nhosts:\n  h1:\n"
                "    links: &l\n");
  for (int i = 0; i < 2000; i++)
    fprintf (t.f, "      - {segment: s}\n");
  for (int i = 2; i <= 2000; i++)
    fprintf (t.f, "  h%d: {links: *l}\n", i);
  text_close (&t);
  assert_true (t.len > 40000 && t.len < 100000);
  r = bounded ("2,000 hosts aliasing 2,000 links", parse_lab, t.s, t.len, &labo_limits_default,
               10, 400);
  assert_false (r.out.ok);
  assert_int_equal (r.out.n_diags, 1);
  assert_int_equal (r.out.line, 2007); /* h3: the second alias is past 10,000 */
  assert_string_equal (r.out.msg,
                       "alias '*l' repeats 6001 nodes: more than 10000 through aliases in all, "
                       "the yaml-aliased limit (labo --limit yaml-aliased=N raises it)");
  free (t.s);
}

/* 100,000 '[' took libyaml 35 s: refused at the 64th, at once. Also in a
 * scenario, and in block style. */
static void
test_deep_nesting (void **state)
{
  size_t n = 100000;
  char *flow = xmalloc (2 * n + 64), *p = flow;
  struct text block;
  struct run r;

  p += sprintf (p, "lab: deep\nhosts: ");
  memset (p, '[', n);
  memset (p + n, ']', n);
  p[2 * n] = '\0';
  r = bounded ("100,000 [ in a lab file", parse_lab, flow, strlen (flow), &labo_limits_default,
               5, 300);
  assert_int_equal (r.out.n_diags, 1);
  assert_int_equal (r.out.line, 2);
  assert_int_equal (r.out.col, 8 + 63);
  assert_string_equal (r.out.msg, "nested too deep: more than 64 levels, the yaml-depth limit "
                                  "(labo --limit yaml-depth=N raises it)");
  p = flow + sprintf (flow, "steps: ");
  memset (p, '[', n);
  p[n] = '\0';
  r = bounded ("100,000 [ in a scenario", parse_scenario, flow, strlen (flow),
               &labo_limits_default, 5, 300);
  assert_int_equal (r.out.n_diags, 1);
  assert_non_null (strstr (r.out.msg, "nested too deep"));
  free (flow);

  /* "- - - - ...": block sequences in block sequences, 100,000 deep */
  text_open (&block);
  fprintf (block.f, "lab: deep\nhosts:\n");
  for (size_t i = 0; i < n; i++)
    fputs ("- ", block.f);
  fputs ("x\n", block.f);
  text_close (&block);
  r = bounded ("100,000 - in block style", parse_lab, block.s, block.len, &labo_limits_default,
               5, 300);
  assert_int_equal (r.out.n_diags, 1);
  assert_non_null (strstr (r.out.msg, "nested too deep"));
  free (block.s);
}

/* A valid 10 MB lab file of 300,000 hosts (had not validated after
 * 180 s): with the limits raised, it validates, and says ok. */
static void
test_ten_megabytes (void **state)
{
  struct labo_limits lim = labo_limits_default;
  struct text t;
  struct run r;

  text_open (&t);
  fprintf (t.f, "lab: big\nsegments: {lan: {subnet: 10.0.0.0/8}}\nhosts:\n");
  for (int i = 1; i <= 300000; i++)
    fprintf (t.f, "  h%d: {links: [{segment: lan}]}\n", i);
  text_close (&t);
  assert_true (t.len > 9000000 && t.len < 11000000);
  lim.hosts = lim.links = 300000;
  lim.yaml_nodes = 3000000;
  r = bounded ("a valid 10 MB lab of 300,000 hosts", parse_lab, t.s, t.len, &lim, 50, 4000);
  assert_true (r.out.ok);
  assert_int_equal (r.out.n_hosts, 300000);
  /* under the default limits, refused at once */
  r = bounded ("the same under the default limits", parse_lab, t.s, t.len,
               &labo_limits_default, 10, 3000);
  assert_int_equal (r.out.n_diags, 1);
  assert_string_equal (r.out.msg, "too many YAML nodes: more than 1000000, the yaml-nodes limit "
                                  "(labo --limit yaml-nodes=N raises it)");
  free (t.s);
}

/* Long names: 200 hosts of 8 KB names and 200 links to hosts that are not
 * there, each a letter away from one that is: the did-you-mean compared
 * names in time proportional to the product of their lengths (2.6e12
 * cells here). */
static void
test_long_names (void **state)
{
  size_t n = 8192;
  char *name = xmalloc (n + 1);
  struct text t;
  struct run r;

  memset (name, 'h', n);
  name[n] = '\0';
  text_open (&t);
  fprintf (t.f, "lab: long\nhosts:\n");
  /* explicit keys: YAML's simple keys stop at 1024 characters */
  for (int i = 0; i < 200; i++)
    fprintf (t.f, "  ? %s%d\n  :\n", name, i);
  fprintf (t.f, "links:\n");
  for (int i = 0; i < 200; i++)
    fprintf (t.f, "  - endpoints: [{host: %s%dx}, {host: %s%dy}]\n", name, i, name, i);
  text_close (&t);
  r = bounded ("200 hosts and 400 references of 8 KB names", parse_lab, t.s, t.len,
               &labo_limits_default, 10, 600);
  /* each host name is too long, each reference undefined */
  assert_int_equal (r.out.n_diags, 200 + 400);
  assert_non_null (strstr (r.out.msg, "is 8193 bytes long, more than 63"));
  free (t.s);
  free (name);
}

/* 300,000 errors, out of the file's order: the p2p links come first in the
 * file but are read after the hosts, so each of their errors sorts before
 * every error of the hosts (an insertion sort moves each past 150,000);
 * and each names an undefined host among 150,000 (did-you-mean compared
 * every name for each). */
static void
test_many_errors (void **state)
{
  struct labo_limits lim = labo_limits_default;
  struct text t;
  struct run r;

  text_open (&t);
  fprintf (t.f, "lab: errors\nlinks:\n");
  for (int i = 1; i <= 150000; i++)
    fprintf (t.f, "  - endpoints: [{host: x%d}, {host: h%d}]\n", i, i);
  fprintf (t.f, "hosts:\n");
  for (int i = 1; i <= 150000; i++)
    fprintf (t.f, "  h%d: {forward: maybe}\n", i);
  text_close (&t);
  lim.hosts = lim.links = 150000;
  lim.yaml_nodes = 3000000;
  r = bounded ("300,000 errors", parse_lab, t.s, t.len, &lim, 60, 4000);
  assert_false (r.out.ok);
  assert_int_equal (r.out.n_diags, 300000);
  assert_int_equal (r.out.line, 3); /* sorted: the first link's */
  assert_string_equal (r.out.msg, "undefined host 'x1' (did you mean 'h1'?)");
  free (t.s);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_aliases),      cmocka_unit_test (test_deep_nesting),
    cmocka_unit_test (test_ten_megabytes), cmocka_unit_test (test_long_names),
    cmocka_unit_test (test_many_errors),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
