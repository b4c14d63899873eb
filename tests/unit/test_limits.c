/* Unit tests for the limits (src/model/limits.c): `--limit NAME=N`, the
 * limits as the reader applies them, and the pure check that a lab fits
 * the machine before `up` makes anything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/model/labfile.h"
#include "labo/model/limits.h"
#include "labo/util/util.h"

static void
test_set (void **state)
{
  struct labo_limits l = labo_limits_default;
  labo_error_t err = NULL;
  static const char *const bad[] = {
    "hosts",          "hosts=",     "hosts=x",     "hosts=0",  "hosts=-1", "hosts=1.5",
    "hosts=10KB",     "hosts=10k",  "hostz=3",     "=3",       "hosts=99999999999999999",
    "file-size=9999999999999G",
  };

  assert_int_equal (labo_limits_set (&l, "hosts=200000", &err), 0);
  assert_int_equal (l.hosts, 200000);
  assert_int_equal (labo_limits_set (&l, "file-size=64M", &err), 0);
  assert_int_equal (l.file_size, 64u << 20);
  assert_int_equal (labo_limits_set (&l, "yaml-aliased=2K", &err), 0);
  assert_int_equal (l.yaml_aliased, 2048);
  assert_int_equal (labo_limits_set (&l, "steps=1G", &err), 0);
  assert_int_equal (l.steps, 1u << 30);
  /* the others untouched */
  assert_int_equal (l.links, labo_limits_default.links);
  assert_int_equal (l.yaml_depth, 64);
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      assert_int_equal (labo_limits_set (&l, bad[i], &err), -1);
      assert_non_null (err);
      assert_non_null (strstr (err->msg, "limit"));
      labo_error_release (&err);
    }
  assert_int_equal (l.hosts, 200000);
}

/* The defaults hold a real lab: the seed and a 1000-host lab read as they
 * did, and the limits as given are where a file stops. */
static void
test_defaults_hold_real_labs (void **state)
{
  struct labo_diags d = { NULL, 0 };
  struct labo_limits tight = labo_limits_default;
  cleanup_free char *text = NULL;
  struct labo_lab *lab;
  size_t len = 0;
  FILE *f = open_memstream (&text, &len);

  fprintf (f, "lab: big\nsegments: {lan: {subnet: 10.200.0.0/16}}\nhosts:\n");
  for (int i = 1; i <= 1000; i++)
    fprintf (f, "  h%d: {links: [{segment: lan, address: 10.200.%d.%d}]}\n", i, i / 256,
             i % 256);
  fclose (f);
  lab = labo_labfile_parse ("big.yaml", text, len, &d);
  assert_non_null (lab);
  assert_int_equal (lab->n_hosts, 1000);
  labo_lab_free (lab);

  tight.hosts = 999;
  assert_null (labo_labfile_parse_limited ("big.yaml", text, len, &tight, &d));
  assert_int_equal (d.n, 1);
  assert_int_equal (d.v[0].line, 1003); /* h1000 */
  labo_diags_free (&d);
  tight = labo_limits_default;
  tight.file_size = len - 1;
  assert_null (labo_labfile_parse_limited ("big.yaml", text, len, &tight, &d));
  {
    cleanup_free char *want = xasprintf ("lab file too large: more than %zu bytes, the "
                                         "file-size limit (labo --limit file-size=N raises it)",
                                         len - 1);
    assert_string_equal (d.v[0].msg, want);
  }
  labo_diags_free (&d);
  tight.file_size = len;
  lab = labo_labfile_parse_limited ("big.yaml", text, len, &tight, &d);
  assert_non_null (lab);
  labo_lab_free (lab);
  /* without limits at all, as labo reads its own saved copy */
  lab = labo_labfile_parse_limited ("big.yaml", text, len, &labo_limits_none, &d);
  assert_non_null (lab);
  labo_lab_free (lab);
}

/* A lab of n hosts on segments of `per` hosts each, `docker` of them
 * running Docker and `nodes` nodes. */
static struct labo_lab *
lab_of (size_t n, size_t per, size_t docker, size_t nodes)
{
  struct labo_lab *lab = xcalloc (1, sizeof *lab);

  lab->name = xstrdup ("t");
  lab->n_hosts = n;
  lab->hosts = xcalloc (n, sizeof *lab->hosts);
  lab->n_segments = (n + per - 1) / per;
  lab->segments = xcalloc (lab->n_segments + 1, sizeof *lab->segments);
  for (size_t s = 0; s < lab->n_segments; s++)
    lab->segments[s].name = xasprintf ("s%zu", s);
  lab->n_links = n;
  lab->links = xcalloc (n, sizeof *lab->links);
  for (size_t i = 0; i < n; i++)
    {
      lab->hosts[i].name = xasprintf ("h%zu", i);
      lab->hosts[i].docker = i < docker ? LABO_DOCKER_WORKER : LABO_DOCKER_NONE;
      lab->links[i].kind = LABO_LINK_SEGMENT;
      lab->links[i].segment = i / per;
    }
  lab->n_nodes = nodes;
  lab->nodes = xcalloc (nodes + 1, sizeof *lab->nodes);
  for (size_t i = 0; i < nodes; i++)
    lab->nodes[i].name = xasprintf ("n%zu", i);
  return lab;
}

static void
test_memory_need (void **state)
{
  cleanup_lab struct labo_lab *seed = lab_of (2, 2, 2, 2);
  cleanup_lab struct labo_lab *plain = lab_of (1000, 500, 0, 0);

  /* the seed: two Docker hosts, two nodes */
  assert_true (labo_lab_memory_need (seed, LABO_RUNTIME_DOCKER)
               == LABO_NEED_LABO + 2 * LABO_NEED_HOST + 2 * LABO_NEED_DOCKER_HOST
                      + 2 * LABO_NEED_NODE);
  /* the process runtime runs no dockerd */
  assert_true (labo_lab_memory_need (seed, LABO_RUNTIME_PROCESS)
               == LABO_NEED_LABO + 2 * LABO_NEED_HOST + 2 * LABO_NEED_NODE);
  /* 1000 plain hosts: half a gigabyte at most */
  assert_true (labo_lab_memory_need (plain, LABO_RUNTIME_DOCKER) < (600ull << 20));
}

static void
test_fits (void **state)
{
  struct labo_machine big = { 24ull << 30, 96367, 100000, 24 };
  struct labo_machine small = { 300ull << 20, 96367, 100000, 24 };
  struct labo_machine unknown = { 0, 0, 0, 24 };
  cleanup_lab struct labo_lab *seed = lab_of (2, 2, 2, 2);
  cleanup_lab struct labo_lab *thousand = lab_of (1000, 1000, 0, 0);
  cleanup_lab struct labo_lab *one_bridge = lab_of (1024, 1024, 0, 0);
  cleanup_lab struct labo_lab *many = lab_of (100000, 1000, 0, 0);
  labo_error_t err = NULL;

  assert_int_equal (labo_lab_fits (seed, LABO_RUNTIME_DOCKER, &big, &err), 0);
  assert_int_equal (labo_lab_fits (thousand, LABO_RUNTIME_DOCKER, &big, &err), 0);
  /* what cannot be read is not compared */
  assert_int_equal (labo_lab_fits (seed, LABO_RUNTIME_DOCKER, &unknown, &err), 0);

  /* the seed under Docker on 300 MiB: about 530 MiB needed */
  assert_int_equal (labo_lab_fits (seed, LABO_RUNTIME_DOCKER, &small, &err), -1);
  assert_string_equal (err->msg,
                       "lab t needs about 529 MiB of memory (2 hosts at 512 KiB, 2 Docker "
                       "daemons at 128 MiB, 2 nodes at 128 MiB, labo 16 MiB) and the machine "
                       "has 300 MiB available (MemAvailable); nothing was made");
  labo_error_release (&err);
  /* without Docker it fits */
  assert_int_equal (labo_lab_fits (seed, LABO_RUNTIME_PROCESS, &small, &err), 0);

  /* 1024 hosts on one segment: one port too many for a bridge */
  assert_int_equal (labo_lab_fits (one_bridge, LABO_RUNTIME_DOCKER, &big, &err), -1);
  assert_non_null (strstr (err->msg, "segment 's0' has 1024 ports, and a Linux bridge has at "
                                     "most 1023"));
  labo_error_release (&err);
  one_bridge->segments[0].has_root = true; /* 1023 hosts and the root link: 1024 */
  one_bridge->n_links = 1023;
  assert_int_equal (labo_lab_fits (one_bridge, LABO_RUNTIME_DOCKER, &big, &err), -1);
  labo_error_release (&err);
  one_bridge->segments[0].has_root = false;
  assert_int_equal (labo_lab_fits (one_bridge, LABO_RUNTIME_DOCKER, &big, &err), 0);

  /* 100,000 hosts on 100 segments: 48 GiB, then more namespaces than
   * the kernel allows, then more mounts than mount-max */
  assert_int_equal (labo_lab_fits (many, LABO_RUNTIME_DOCKER, &big, &err), -1);
  assert_non_null (strstr (err->msg, "needs about 48 GiB of memory"));
  labo_error_release (&err);
  big.mem_available = 1ull << 40;
  assert_int_equal (labo_lab_fits (many, LABO_RUNTIME_DOCKER, &big, &err), -1);
  assert_string_equal (err->msg, "lab t needs 100001 network namespaces and the kernel allows "
                                 "96367 (/proc/sys/user/max_net_namespaces); nothing was made");
  labo_error_release (&err);
  big.max_namespaces = 0;
  assert_int_equal (labo_lab_fits (many, LABO_RUNTIME_DOCKER, &big, &err), -1);
  assert_string_equal (err->msg, "lab t needs 100001 mounts (one a namespace) and the machine "
                                 "has room for 99976 more (/proc/sys/fs/mount-max is 100000); "
                                 "nothing was made");
  labo_error_release (&err);
}

/* labo_machine_read() finds something on this machine. */
static void
test_machine_read (void **state)
{
  struct labo_machine m;
  labo_error_t err = NULL;

  assert_int_equal (labo_machine_read (&m, &err), 0);
  assert_true (m.mem_available > (16ull << 20));
  assert_true (m.mounts > 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_set),         cmocka_unit_test (test_defaults_hold_real_labs),
    cmocka_unit_test (test_memory_need), cmocka_unit_test (test_fits),
    cmocka_unit_test (test_machine_read),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
