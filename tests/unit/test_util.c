/* Unit tests for the helpers the lab file reader leans on for large and
 * hostile files (src/util/hmap.c, util.c): the name map, the bounded edit
 * distance, the bounded file read; and labo_say, the way the layers below the
 * CLI speak on stderr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "labo/util/hmap.h"
#include "labo/util/util.h"

/* Every key put is found with its value, a key put twice keeps its first
 * value, and keys never put are not found, through many growths. */
static void
test_hmap_finds_what_was_put (void **state)
{
  struct labo_hmap m = { 0 };
  enum { N = 50000 };
  char **keys = xcalloc (N, sizeof *keys);
  size_t v, old;

  assert_false (labo_hmap_get_str (&m, "h1", &v)); /* empty */
  for (size_t i = 0; i < N; i++)
    {
      keys[i] = xasprintf ("h%zu", i);
      assert_true (labo_hmap_put (&m, keys[i], strlen (keys[i]), i, NULL));
    }
  assert_int_equal (m.n, N);
  for (size_t i = 0; i < N; i++)
    {
      assert_true (labo_hmap_get_str (&m, keys[i], &v));
      assert_int_equal (v, i);
    }
  assert_false (labo_hmap_put (&m, "h7", 2, 99, &old));
  assert_int_equal (old, 7);
  assert_true (labo_hmap_get_str (&m, "h7", &v));
  assert_int_equal (v, 7);
  assert_false (labo_hmap_get_str (&m, "h50000", &v));
  assert_false (labo_hmap_get (&m, "h1", 1, &v)); /* "h", a prefix */
  /* the empty key and keys with NULs are keys like any other */
  assert_true (labo_hmap_put (&m, "", 0, 1, NULL));
  assert_true (labo_hmap_get (&m, NULL, 0, &v));
  assert_int_equal (v, 1);
  assert_true (labo_hmap_put (&m, "a\0b", 3, 2, NULL));
  assert_true (labo_hmap_get (&m, "a\0b", 3, &v));
  assert_false (labo_hmap_get (&m, "a\0c", 3, &v));
  labo_hmap_free (&m);
  labo_hmap_free (&m); /* twice is harmless */
  for (size_t i = 0; i < N; i++)
    free (keys[i]);
  free (keys);
}

/* The hash of a string in a fresh process: this binary, run again. */
static unsigned long long
hash_elsewhere (const char *s)
{
  char cmd[256];
  unsigned long long h = 0;
  FILE *f;

  snprintf (cmd, sizeof cmd, "/proc/%d/exe --hash %s", (int) getpid (), s);
  f = popen (cmd, "r");
  assert_non_null (f);
  assert_int_equal (fscanf (f, "%llx", &h), 1);
  assert_int_equal (pclose (f), 0);
  return h;
}

/* The hash is keyed: not a fixed function a file could be written against.
 * Within a process it is a function; two processes hash one string
 * differently (but for a chance of 2^-64). */
static void
test_hash_is_keyed (void **state)
{
  uint64_t mine = labo_hash ("mida-clm1", 9);

  assert_true (labo_hash ("mida-clm1", 9) == mine);
  assert_true (labo_hash ("mida-clm2", 9) != mine);
  assert_true (hash_elsewhere ("mida-clm1") != hash_elsewhere ("mida-clm1"));
}

/* Reference Levenshtein distance: the full table. */
static size_t
full_distance (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b);
  size_t *d = xcalloc ((la + 1) * (lb + 1), sizeof *d);
  size_t r;

  for (size_t i = 0; i <= la; i++)
    d[i * (lb + 1)] = i;
  for (size_t j = 0; j <= lb; j++)
    d[j] = j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++)
      {
        size_t best = d[(i - 1) * (lb + 1) + j - 1] + (a[i - 1] != b[j - 1]);
        if (d[(i - 1) * (lb + 1) + j] + 1 < best)
          best = d[(i - 1) * (lb + 1) + j] + 1;
        if (d[i * (lb + 1) + j - 1] + 1 < best)
          best = d[i * (lb + 1) + j - 1] + 1;
        d[i * (lb + 1) + j] = best;
      }
  r = d[la * (lb + 1) + lb];
  free (d);
  return r;
}

/* The banded distance agrees with the full table wherever it is at most
 * max, and says max + 1 otherwise: on random short strings of a small
 * alphabet, where every case (equal, one edit, far) comes up. */
static void
test_edit_distance_bounded (void **state)
{
  unsigned seed = 42;
  char a[12], b[12];

  assert_int_equal (labo_edit_distance ("adress", "address"), 1);
  assert_int_equal (labo_edit_distance ("internt", "internet"), 1);
  assert_int_equal (labo_edit_distance ("", "abc"), 3);
  assert_int_equal (labo_edit_distance_max ("manger", "manager", 2), 1);
  assert_int_equal (labo_edit_distance_max ("x", "worker", 2), 3);
  for (int t = 0; t < 20000; t++)
    {
      size_t la = (size_t) rand_r (&seed) % 10, lb = (size_t) rand_r (&seed) % 10;
      size_t max = (size_t) rand_r (&seed) % 5, full, banded;
      for (size_t i = 0; i < la; i++)
        a[i] = (char) ('a' + rand_r (&seed) % 3);
      for (size_t i = 0; i < lb; i++)
        b[i] = (char) ('a' + rand_r (&seed) % 3);
      a[la] = b[lb] = '\0';
      full = full_distance (a, b);
      banded = labo_edit_distance_max (a, b, max);
      if (full <= max)
        assert_int_equal (banded, full);
      else
        assert_int_equal (banded, max + 1);
      assert_int_equal (labo_edit_distance (a, b), full);
    }
}

/* Long names cost what the bound allows, not the product of lengths: two
 * names of a megabyte each, 10,000 times, would be 10^16 cells. */
static void
test_edit_distance_long_names (void **state)
{
  size_t n = 1 << 20;
  char *a = xmalloc (n + 1), *b = xmalloc (n + 1);
  double t0 = labo_now ();

  memset (a, 'h', n);
  memset (b, 'h', n);
  a[n] = b[n] = '\0';
  b[n / 2] = 'x';
  assert_int_equal (labo_edit_distance_max (a, b, 2), 1);
  b[n / 3] = 'y';
  b[n / 4] = 'z';
  assert_int_equal (labo_edit_distance_max (a, b, 2), 3);
  /* a short name against a long one: the lengths alone say it, at once */
  for (int i = 0; i < 10000; i++)
    assert_int_equal (labo_edit_distance_max ("host", b, 2), 3);
  assert_true (labo_now () - t0 < 5.0);
  free (a);
  free (b);
}

/* A bounded read stops at the bound and a byte, even on a file that never
 * ends. */
static void
test_read_file_max (void **state)
{
  char path[] = "/tmp/labo-test-XXXXXX";
  int fd = mkstemp (path);
  size_t len;
  char *text;

  assert_true (fd >= 0);
  assert_int_equal (write (fd, "0123456789", 10), 10);
  close (fd);
  text = labo_read_file_max (path, 100, &len);
  assert_int_equal (len, 10);
  assert_string_equal (text, "0123456789");
  free (text);
  text = labo_read_file_max (path, 4, &len);
  assert_int_equal (len, 5); /* over: the caller knows */
  assert_string_equal (text, "01234");
  free (text);
  unlink (path);
  text = labo_read_file_max ("/dev/zero", 1 << 20, &len);
  assert_int_equal (len, (1 << 20) + 1);
  free (text);
  assert_null (labo_read_file_max ("/nonexistent", 10, &len));
  assert_int_equal (errno, ENOENT);
}

/* labo_say prints "labo: ", the text and a newline on stderr, in one
 * write: the lines the layers below the CLI printed themselves before, byte
 * for byte. */
static void
test_say (void **state)
{
  char path[] = "/tmp/labo-test-XXXXXX";
  int fd = mkstemp (path), saved = dup (2);
  char *text;

  assert_true (fd >= 0 && saved >= 0);
  fflush (stderr);
  assert_int_equal (dup2 (fd, 2), 2);
  labo_say ("rollback incomplete: %s", "deleting veth p0: No such device");
  labo_say ("returning to the root network namespace: %s", strerror (EBADF));
  fflush (stderr);
  assert_int_equal (dup2 (saved, 2), 2);
  close (saved);
  close (fd);
  text = labo_read_file (path, NULL);
  assert_string_equal (text, "labo: rollback incomplete: deleting veth p0: No such device\n"
                             "labo: returning to the root network namespace: Bad file "
                             "descriptor\n");
  free (text);
  unlink (path);
}

int
main (int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_hmap_finds_what_was_put),
    cmocka_unit_test (test_hash_is_keyed),
    cmocka_unit_test (test_edit_distance_bounded),
    cmocka_unit_test (test_edit_distance_long_names),
    cmocka_unit_test (test_read_file_max),
    cmocka_unit_test (test_say),
  };
  /* for test_hash_is_keyed: a fresh process's hash */
  if (argc == 3 && strcmp (argv[1], "--hash") == 0)
    {
      printf ("%llx\n", (unsigned long long) labo_hash (argv[2], strlen (argv[2])));
      return 0;
    }
  return cmocka_run_group_tests (tests, NULL, NULL);
}
