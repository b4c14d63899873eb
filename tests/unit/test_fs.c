/* Unit tests for root's file operations (src/util/fs.c) and the rules for
 * names that become paths (src/model/names.c), in a private temporary
 * directory. The ownership tests need root: they skip without it, and
 * fail under CI=true, where they must run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/util/fs.h"
#include "labo/model/names.h"
#include "labo/util/util.h"

static char top[64];

static void
put (const char *rel, const char *text)
{
  cleanup_free char *p = xasprintf ("%s/%s", top, rel);
  FILE *f = fopen (p, "w");
  assert_non_null (f);
  fputs (text, f);
  fclose (f);
}

static void
dir (const char *rel)
{
  cleanup_free char *p = xasprintf ("%s/%s", top, rel);
  assert_int_equal (mkdir (p, 0700), 0);
}

static void
link_to (const char *rel, const char *target)
{
  cleanup_free char *p = xasprintf ("%s/%s", top, rel);
  assert_int_equal (symlink (target, p), 0);
}

static bool
exists (const char *rel)
{
  cleanup_free char *p = xasprintf ("%s/%s", top, rel);
  struct stat st;
  return lstat (p, &st) == 0;
}

static int
setup (void **state)
{
  strcpy (top, "/tmp/labo-test-fs.XXXXXX");
  assert_non_null (mkdtemp (top));
  return 0;
}

static int
teardown (void **state)
{
  cleanup_free char *cmd = xasprintf ("rm -rf '%s'", top);
  assert_int_equal (system (cmd), 0);
  return 0;
}

static void
test_component (void **state)
{
  assert_true (labo_fs_component_ok ("seed"));
  assert_true (labo_fs_component_ok ("_data"));
  assert_true (labo_fs_component_ok ("..."));
  assert_false (labo_fs_component_ok (""));
  assert_false (labo_fs_component_ok (NULL));
  assert_false (labo_fs_component_ok ("."));
  assert_false (labo_fs_component_ok (".."));
  assert_false (labo_fs_component_ok ("a/b"));
  assert_false (labo_fs_component_ok ("/"));
  char long_name[300];
  memset (long_name, 'a', sizeof (long_name) - 1);
  long_name[sizeof (long_name) - 1] = '\0';
  assert_false (labo_fs_component_ok (long_name));
}

static void
test_lab_names (void **state)
{
  static const char *const good[] = { "seed", "zk3", "a", "attendee15", "a-b", "0lab",
                                      "abcdefghijklmnopqrstuvwxyz012345" };
  static const char *const bad[] = { "", ".", "..", "../x", "*", "-", "a\nb", "Seed", "a--b",
                                     "a-", "-a", "a b", "a.b", "a/b", "a_b",
                                     "abcdefghijklmnopqrstuvwxyz0123456" };
  for (size_t i = 0; i < sizeof (good) / sizeof (good[0]); i++)
    assert_true (labo_lab_name_valid (good[i]));
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      labo_error_t err = NULL;
      assert_false (labo_lab_name_valid (bad[i]));
      assert_int_equal (labo_lab_name_check (bad[i], &err), -1);
      assert_non_null (strstr (err->msg, "invalid lab name"));
      assert_null (strchr (err->msg, '\n')); /* a newline in a name is shown escaped */
      labo_error_release (&err);
    }
  assert_true (labo_lab_netns_valid ("seed", "labo.seed"));
  assert_true (labo_lab_netns_valid ("seed", "labo.seed.mida-clm1"));
  assert_false (labo_lab_netns_valid ("seed", "labo.seed2"));
  assert_false (labo_lab_netns_valid ("seed", "labo.seed."));
  assert_false (labo_lab_netns_valid ("seed", "labo.seed.a/b"));
  assert_false (labo_lab_netns_valid ("seed", "labo.seed.."));
  assert_false (labo_lab_netns_valid ("seed", "labo.seed.a.b"));
  assert_false (labo_lab_netns_valid ("seed", "../../etc"));
  assert_false (labo_lab_netns_valid ("", "labo."));
  {
    cleanup_free char *d = labo_name_display ("a\nb'\x01", 40);
    assert_string_equal (d, "a\\nb\\'\\x01");
    cleanup_free char *cut = labo_name_display ("abcdef", 3);
    assert_string_equal (cut, "abc...");
  }
}

static void
test_secure_syntax (void **state)
{
  static const char *const bad[] = { "relative", "", "/", "/run//labo", "/run/./labo",
                                     "/run/../labo", "/run/labo/", "/run/labo/.", "/run/labo/.." };
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      labo_error_t err = NULL;
      assert_int_equal (labo_fs_check_secure ("LABO_RUN_DIR", bad[i], &err), -1);
      assert_non_null (strstr (err->msg, "LABO_RUN_DIR"));
      labo_error_release (&err);
    }
}

static void
test_secure_walk (void **state)
{
  labo_error_t err = NULL;
  cleanup_free char *run = xasprintf ("%s/run", top);
  cleanup_free char *missing = xasprintf ("%s/run/not/yet", top);
  cleanup_free char *lnk = xasprintf ("%s/lnk", top);
  cleanup_free char *open_dir = xasprintf ("%s/open", top);
  cleanup_free char *under_open = xasprintf ("%s/open/x", top);

  if (getuid () != 0)
    skip ();
  dir ("run");
  assert_int_equal (labo_fs_check_secure ("D", run, &err), 0);
  assert_int_equal (labo_fs_check_secure ("D", missing, &err), 0); /* made later, by root */
  link_to ("lnk", run);
  assert_int_equal (labo_fs_check_secure ("D", lnk, &err), -1);
  assert_non_null (strstr (err->msg, "symbolic link"));
  labo_error_release (&err);
  dir ("open");
  chmod (open_dir, 0777);
  assert_int_equal (labo_fs_check_secure ("D", open_dir, &err), -1);
  assert_non_null (strstr (err->msg, "writable by everyone"));
  labo_error_release (&err);
  /* under a world-writable parent that is not sticky: refused */
  assert_int_equal (labo_fs_check_secure ("D", under_open, &err), -1);
  labo_error_release (&err);
  /* sticky, like /tmp: a parent may be */
  chmod (open_dir, 01777);
  assert_int_equal (labo_fs_check_secure ("D", under_open, &err), 0);
  assert_int_equal (chown (run, 65534, 65534), 0);
  assert_int_equal (labo_fs_check_secure ("D", run, &err), -1);
  assert_non_null (strstr (err->msg, "uid 65534"));
  labo_error_release (&err);
  {
    /* labo_fs_mkdir refuses to make its way through a link */
    cleanup_free char *through = xasprintf ("%s/lnk/sub", top);
    assert_int_equal (labo_fs_mkdir (through, 0700, &err), -1);
    labo_error_release (&err);
    assert_false (exists ("run/sub"));
  }
}

static void
test_remove_tree (void **state)
{
  labo_error_t err = NULL;

  dir ("outside");
  put ("outside/keep", "x");
  dir ("lab");
  dir ("lab/a");
  dir ("lab/a/b");
  put ("lab/a/b/f", "x");
  put ("lab/f", "x");
  link_to ("lab/to-outside", "../outside");
  link_to ("lab/a/b/to-keep", "../../../outside/keep");
  link_to ("lab/dangling", "/nonexistent");
  assert_int_equal (labo_fs_remove_tree (top, "lab", &err), 0);
  assert_false (exists ("lab"));
  assert_true (exists ("outside/keep"));
  /* absent: nothing to do */
  assert_int_equal (labo_fs_remove_tree (top, "lab", &err), 0);
  /* a link in the place of the tree: the link goes, not its target */
  link_to ("lab", "outside");
  assert_int_equal (labo_fs_remove_tree (top, "lab", &err), 0);
  assert_false (exists ("lab"));
  assert_true (exists ("outside/keep"));
  /* names that would leave base */
  static const char *const bad[] = { "", ".", "..", "../outside", "a/b", "/" };
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      assert_int_equal (labo_fs_remove_tree (top, bad[i], &err), -1);
      assert_non_null (strstr (err->msg, "refusing"));
      labo_error_release (&err);
    }
  assert_true (exists ("outside/keep"));
}

static void
test_chown_tree (void **state)
{
  labo_error_t err = NULL;
  cleanup_free char *data = xasprintf ("%s/data", top);
  cleanup_free char *victim = xasprintf ("%s/victim", top);
  cleanup_free char *second = xasprintf ("%s/data/second", top);
  cleanup_close int fd = -1;
  struct stat st;

  if (getuid () != 0)
    skip ();
  put ("victim", "root's");
  dir ("data");
  dir ("data/version-2");
  put ("data/myid", "1\n");
  put ("data/version-2/log.1", "x");
  link_to ("data/evil", victim);
  link_to ("data/version-2/evil", victim);
  fd = open (data, O_RDONLY | O_DIRECTORY);
  assert_true (fd >= 0);
  assert_int_equal (labo_fs_chown_tree (fd, 4242, 4243, &err), 0);
  assert_int_equal (lstat (victim, &st), 0);
  assert_int_equal (st.st_uid, 0); /* the links' target: untouched */
  assert_int_equal (lstat (data, &st), 0);
  assert_int_equal (st.st_uid, 4242);
  {
    cleanup_free char *evil = xasprintf ("%s/data/version-2/evil", top);
    assert_int_equal (lstat (evil, &st), 0);
    assert_int_equal (st.st_uid, 4242); /* the link itself */
  }
  /* a second name of a root file: refused, and the top left as it was */
  assert_int_equal (fchown (fd, 0, 0), 0);
  assert_int_equal (link (victim, second), 0);
  assert_int_equal (labo_fs_chown_tree (fd, 4242, 4243, &err), -1);
  assert_non_null (strstr (err->msg, "second"));
  labo_error_release (&err);
  assert_int_equal (lstat (victim, &st), 0);
  assert_int_equal (st.st_uid, 0);
  assert_int_equal (lstat (data, &st), 0);
  assert_int_equal (st.st_uid, 0);
}

static void
test_open_log (void **state)
{
  cleanup_free char *log = xasprintf ("%s/log", top);
  cleanup_free char *lnk = xasprintf ("%s/log-link", top);
  int fd = labo_fs_open_log (log, 0600);

  assert_true (fd >= 0);
  close (fd);
  link_to ("log-link", log);
  assert_int_equal (labo_fs_open_log (lnk, 0600), -1);
}

/* The root-only tests may not skip in CI: they would never run. */
static int
require_root (void **state)
{
  const char *ci = getenv ("CI");
  if (getuid () != 0 && ci && strcmp (ci, "true") == 0)
    {
      fprintf (stderr, "test_fs: CI=true and not root: the ownership tests must run\n");
      return -1;
    }
  return setup (state);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_component),
    cmocka_unit_test (test_lab_names),
    cmocka_unit_test (test_secure_syntax),
    cmocka_unit_test_setup_teardown (test_secure_walk, require_root, teardown),
    cmocka_unit_test_setup_teardown (test_remove_tree, setup, teardown),
    cmocka_unit_test_setup_teardown (test_chown_tree, require_root, teardown),
    cmocka_unit_test_setup_teardown (test_open_log, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
