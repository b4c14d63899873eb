/* Unit tests for finding an image's recipe (src/docker/image.c): where an
 * installed labo and a source tree's keep it, what the error says when it
 * is nowhere, and what root refuses to run. In a private temporary
 * directory; the ownership tests need root: they skip without it, and fail
 * under CI=true, where they must run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/docker/image.h"
#include "labo/util/util.h"

static char top[64];

static char *
at (const char *rel)
{
  return xasprintf ("%s/%s", top, rel);
}

/* mkdir -p of top/rel, 0755 */
static void
dirs (const char *rel)
{
  cleanup_free char *cmd = xasprintf ("mkdir -p -m 0755 '%s/%s'", top, rel);
  assert_int_equal (system (cmd), 0);
}

static void
put (const char *rel, mode_t mode)
{
  cleanup_free char *p = at (rel);
  FILE *f = fopen (p, "w");
  assert_non_null (f);
  fputs ("#!/bin/sh\n", f);
  fclose (f);
  assert_int_equal (chmod (p, mode), 0);
}

/* A recipe as make install and the sources lay it out. */
static void
recipe (const char *rel)
{
  cleanup_free char *in = xasprintf ("%s/inputs.sh", rel);
  cleanup_free char *build = xasprintf ("%s/build-rootfs.sh", rel);
  dirs (rel);
  put (in, 0755);
  put (build, 0755);
}

static int
setup (void **state)
{
  strcpy (top, "/tmp/labo-test-image.XXXXXX");
  assert_non_null (mkdtemp (top));
  assert_int_equal (chmod (top, 0755), 0);
  unsetenv ("LABO_IMAGES_DIR");
  return 0;
}

static int
teardown (void **state)
{
  cleanup_free char *cmd = xasprintf ("rm -rf '%s'", top);
  assert_int_equal (system (cmd), 0);
  unsetenv ("LABO_IMAGES_DIR");
  return 0;
}

/* The root-only tests may not skip in CI: they would never run. */
static int
require_root (void **state)
{
  const char *ci = getenv ("CI");
  if (getuid () != 0 && ci && strcmp (ci, "true") == 0)
    {
      fprintf (stderr, "test_image: CI=true and not root: the ownership tests must run\n");
      return -1;
    }
  return setup (state);
}

static void
test_installed (void **state)
{
  cleanup_free char *exe = at ("usr/bin/labo");
  cleanup_free char *want = at ("usr/share/labo/images/zookeeper");
  labo_error_t err = NULL;
  char *dir = NULL;

  dirs ("usr/bin");
  recipe ("usr/share/labo/images/zookeeper");
  assert_int_equal (labo_image_recipe_find (exe, "zookeeper", false, &dir, &err), 0);
  assert_string_equal (dir, want);
  free (dir);
}

static void
test_source_tree (void **state)
{
  cleanup_free char *top_exe = at ("src/labo");
  cleanup_free char *asan_exe = at ("src/build/asan/labo");
  cleanup_free char *deep_exe = at ("src/a/b/c/labo");
  cleanup_free char *want = at ("src/images/zookeeper");
  labo_error_t err = NULL;
  char *dir = NULL;

  recipe ("src/images/zookeeper");
  dirs ("src/build/asan");
  dirs ("src/a/b/c");
  /* ./labo, and build/asan/labo two levels down */
  assert_int_equal (labo_image_recipe_find (top_exe, "zookeeper", false, &dir, &err), 0);
  assert_string_equal (dir, want);
  free (dir);
  assert_int_equal (labo_image_recipe_find (asan_exe, "zookeeper", false, &dir, &err), 0);
  assert_string_equal (dir, want);
  free (dir);
  /* three levels down is no source tree's layout */
  assert_int_equal (labo_image_recipe_find (deep_exe, "zookeeper", false, &dir, &err), -1);
  assert_null (dir);
  labo_error_release (&err);
  /* an installed recipe comes first */
  recipe ("src/build/share/labo/images/zookeeper");
  {
    cleanup_free char *installed = at ("src/build/share/labo/images/zookeeper");
    assert_int_equal (labo_image_recipe_find (asan_exe, "zookeeper", false, &dir, &err), 0);
    assert_string_equal (dir, installed);
    free (dir);
  }
}

static void
test_missing (void **state)
{
  cleanup_free char *exe = at ("opt/bin/labo");
  labo_error_t err = NULL;
  char *dir = NULL;

  dirs ("opt/bin");
  assert_int_equal (labo_image_recipe_find (exe, "zookeeper", false, &dir, &err), -1);
  assert_null (dir);
  {
    /* it says where it looked: the installed place, and the source trees */
    cleanup_free char *installed = at ("opt/share/labo/images/zookeeper");
    cleanup_free char *bindir = at ("opt/bin");
    cleanup_free char *trees = xasprintf ("%s/opt/bin, %s/opt, %s", top, top, top);
    assert_non_null (strstr (err->msg, installed));
    assert_non_null (strstr (err->msg, bindir));
    assert_non_null (strstr (err->msg, trees));
    assert_non_null (strstr (err->msg, "LABO_IMAGES_DIR"));
  }
  labo_error_release (&err);
  /* no binary's path: nowhere to look but LABO_IMAGES_DIR */
  assert_int_equal (labo_image_recipe_find ("", "zookeeper", false, &dir, &err), -1);
  assert_non_null (strstr (err->msg, "/proc/self/exe"));
  labo_error_release (&err);
  /* a name that would make another path */
  assert_int_equal (labo_image_recipe_find (exe, "../x", false, &dir, &err), -1);
  labo_error_release (&err);
}

static void
test_env (void **state)
{
  cleanup_free char *exe = at ("opt/bin/labo");
  cleanup_free char *images = at ("elsewhere");
  cleanup_free char *want = at ("elsewhere/zookeeper");
  labo_error_t err = NULL;
  char *dir = NULL;

  recipe ("usr/share/labo/images/zookeeper");
  recipe ("elsewhere/zookeeper");
  setenv ("LABO_IMAGES_DIR", images, 1);
  assert_int_equal (labo_image_recipe_find (exe, "zookeeper", false, &dir, &err), 0);
  assert_string_equal (dir, want);
  free (dir);
  assert_int_equal (labo_image_recipe_find (exe, "redis", false, &dir, &err), -1);
  assert_non_null (strstr (err->msg, "LABO_IMAGES_DIR"));
  labo_error_release (&err);
}

static void
test_as_root (void **state)
{
  cleanup_free char *exe = at ("usr/bin/labo");
  cleanup_free char *share = at ("usr/share");
  cleanup_free char *rdir = at ("usr/share/labo/images/zookeeper");
  cleanup_free char *script = at ("usr/share/labo/images/zookeeper/inputs.sh");
  cleanup_free char *lnk = at ("usr/share/labo/images/zookeeper/extra.sh");
  labo_error_t err = NULL;
  char *dir = NULL;

  if (getuid () != 0)
    skip ();
  dirs ("usr/bin");
  recipe ("usr/share/labo/images/zookeeper");
  assert_int_equal (labo_image_recipe_find (exe, "zookeeper", true, &dir, &err), 0);
  free (dir);
  dir = NULL;

  /* a directory above it that its group may write */
  assert_int_equal (chmod (share, 0775), 0);
  assert_int_equal (labo_image_recipe_find (exe, "zookeeper", true, &dir, &err), -1);
  assert_null (dir);
  assert_non_null (strstr (err->msg, "writable by its group"));
  labo_error_release (&err);
  assert_int_equal (chmod (share, 0755), 0);

  /* the recipe's directory another user's */
  assert_int_equal (chown (rdir, 65534, 65534), 0);
  assert_int_equal (labo_image_recipe_find (exe, "zookeeper", true, &dir, &err), -1);
  assert_non_null (strstr (err->msg, "uid 65534"));
  labo_error_release (&err);
  assert_int_equal (chown (rdir, 0, 0), 0);

  /* a script anyone may change */
  assert_int_equal (chmod (script, 0757), 0);
  assert_int_equal (labo_image_recipe_find (exe, "zookeeper", true, &dir, &err), -1);
  assert_non_null (strstr (err->msg, "inputs.sh is writable by everyone"));
  labo_error_release (&err);
  assert_int_equal (chmod (script, 0755), 0);

  /* a script another user owns */
  assert_int_equal (chown (script, 65534, 65534), 0);
  assert_int_equal (labo_image_recipe_find (exe, "zookeeper", true, &dir, &err), -1);
  assert_non_null (strstr (err->msg, "inputs.sh belongs to uid 65534"));
  labo_error_release (&err);
  assert_int_equal (chown (script, 0, 0), 0);

  /* a link in it, to wherever */
  assert_int_equal (symlink ("/tmp/anything", lnk), 0);
  assert_int_equal (labo_image_recipe_find (exe, "zookeeper", true, &dir, &err), -1);
  assert_non_null (strstr (err->msg, "symbolic link"));
  labo_error_release (&err);
  assert_int_equal (unlink (lnk), 0);

  /* the same recipe, as a user who runs nothing as root: not checked */
  assert_int_equal (chmod (script, 0777), 0);
  assert_int_equal (labo_image_recipe_find (exe, "zookeeper", false, &dir, &err), 0);
  free (dir);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_installed, setup, teardown),
    cmocka_unit_test_setup_teardown (test_source_tree, setup, teardown),
    cmocka_unit_test_setup_teardown (test_missing, setup, teardown),
    cmocka_unit_test_setup_teardown (test_env, setup, teardown),
    cmocka_unit_test_setup_teardown (test_as_root, require_root, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
