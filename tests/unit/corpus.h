/* Shared by the unit tests that read corpora of files (test_labfile.c,
 * test_scenario.c): where the test data is, the sorted *.yaml files of a
 * folder, and each bad file's first line, "# expect: LINE:COL: MESSAGE",
 * with any "# limit: NAME=N" lines right after it (the limits the file is
 * read under: a file past a limit stays small that way).
 * Static, so each test binary keeps its one source file. */
#ifndef LABO_TESTS_CORPUS_H
#define LABO_TESTS_CORPUS_H

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "labo/model/labfile.h"
#include "labo/model/limits.h"
#include "labo/util/util.h"

static inline const char *
testdata (void)
{
  const char *d = getenv ("LABO_TESTDATA");
  return d && *d ? d : "tests";
}

static inline int
corpus_cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The paths of dir's *.yaml files, sorted (readdir's order is arbitrary). */
static inline char **
list_yaml (const char *dir, size_t *n)
{
  DIR *d = opendir (dir);
  struct dirent *e;
  char **v = NULL;

  *n = 0;
  if (d == NULL)
    fail_msg ("cannot open %s", dir);
  while ((e = readdir (d)))
    {
      size_t len = strlen (e->d_name);
      if (len > 5 && strcmp (e->d_name + len - 5, ".yaml") == 0)
        *(char **) labo_array_push (&v, n, sizeof *v) = xasprintf ("%s/%s", dir, e->d_name);
    }
  closedir (d);
  if (*n > 1)
    qsort (v, *n, sizeof *v, corpus_cmp_str);
  return v;
}

static inline void
free_list (char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

/* "# expect: LINE:COL: MESSAGE"; *msg is the caller's. */
static inline int
parse_expect (const char *text, int *line, int *col, char **msg)
{
  const char *p, *eol;
  char *end;

  if (strncmp (text, "# expect: ", 10) != 0)
    return -1;
  p = text + 10;
  *line = (int) strtol (p, &end, 10);
  if (*end != ':')
    return -1;
  *col = (int) strtol (end + 1, &end, 10);
  if (strncmp (end, ": ", 2) != 0)
    return -1;
  p = end + 2;
  eol = strchr (p, '\n');
  *msg = strndup (p, eol ? (size_t) (eol - p) : strlen (p));
  return 0;
}

/* The "# limit: NAME=N" lines after the first into *lim (from the
 * defaults). */
static inline int
parse_limits (const char *text, struct labo_limits *lim)
{
  const char *p = strchr (text, '\n');

  *lim = labo_limits_default;
  while (p && strncmp (p + 1, "# limit: ", 9) == 0)
    {
      const char *eol = strchr (p + 1, '\n');
      cleanup_free char *a = strndup (p + 10, eol ? (size_t) (eol - p - 10) : strlen (p + 10));
      labo_error_t err = NULL;
      if (labo_limits_set (lim, a, &err) < 0)
        {
          print_error ("%s\n", err->msg);
          labo_error_release (&err);
          return -1;
        }
      p = eol;
    }
  return 0;
}

/* Parses one file of a bad corpus into d, under lim; true if it produced
 * an object (it must not), which it releases. */
typedef bool (*corpus_parse_fn) (const char *file, const char *text, size_t len,
                                 const struct labo_limits *lim, struct labo_diags *d, void *ctx);

/* Every file of dir must give exactly its expected diagnostic, and
 * nothing else. Prints each mismatch; returns how many, and in *n how many
 * files there were. */
static inline size_t
run_bad_corpus (const char *dir, corpus_parse_fn parse, void *ctx, size_t *n)
{
  size_t failures = 0;
  char **files = list_yaml (dir, n);

  for (size_t i = 0; i < *n; i++)
    {
      cleanup_free char *text = NULL, *msg = NULL;
      struct labo_diags d = { NULL, 0 };
      struct labo_limits lim;
      size_t len;
      int line, col;
      bool made;

      text = labo_read_file (files[i], &len);
      assert_non_null (text);
      if (parse_expect (text, &line, &col, &msg) < 0 || parse_limits (text, &lim) < 0)
        {
          print_error ("%s: first line is not '# expect: LINE:COL: MESSAGE', or a "
                       "'# limit: NAME=N' line after it is wrong\n", files[i]);
          failures++;
          continue;
        }
      made = parse (files[i], text, len, &lim, &d, ctx);
      if (made || d.n != 1 || d.v[0].line != line || d.v[0].col != col
          || strcmp (d.v[0].msg, msg) != 0 || strcmp (d.v[0].file, files[i]) != 0)
        {
          print_error ("%s: expected %d:%d: %s\n  got %zu diagnostic(s)%s:\n", files[i], line,
                       col, msg, d.n, made ? " and no error" : "");
          labo_diags_print (&d, stderr);
          failures++;
        }
      labo_diags_free (&d);
    }
  free_list (files, *n);
  return failures;
}

#endif
