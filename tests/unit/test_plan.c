/* Unit tests for planning: names, interface indexes and ordering decided
 * from a validated lab, with no system call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "labo/labfile.h"
#include "labo/plan.h"
#include "labo/util.h"

static struct labo_lab *
parse (const char *text)
{
  struct labo_diags d = { NULL, 0 };
  struct labo_lab *lab = labo_labfile_parse ("test.yaml", text, strlen (text), &d);
  if (lab == NULL)
    labo_diags_print (&d, stderr);
  labo_diags_free (&d);
  assert_non_null (lab);
  return lab;
}

static void
plan_of_the_seed_names_everything_after_the_lab (void **state)
{
  struct labo_diags d = { NULL, 0 };
  struct labo_lab *lab = labo_labfile_parse (LABO_SEED_FILE, labo_seed_yaml,
                                             labo_seed_yaml_len, &d);
  struct labo_plan *p;
  char buf[20];

  assert_non_null (lab);
  p = labo_plan_build (lab);
  assert_string_equal (p->switch_ns, "labo.seed");
  assert_int_equal (p->n_hosts, 2);
  assert_string_equal (p->host_ns[0], "labo.seed.mida-clm1");
  assert_string_equal (p->host_ns[1], "labo.seed.mida-clm2");
  assert_int_equal (p->n_bridges, 1);
  assert_string_equal (p->bridges[0].ifname, "internet");
  assert_int_equal (p->bridges[0].ifindex, LABO_BRIDGE_IFINDEX0);

  /* two host ports, then the root namespace's way in */
  assert_int_equal (p->n_veths, 3);
  assert_int_equal (p->veths[0].ns_a, 0);
  assert_string_equal (p->veths[0].ifname_a, "eth0");
  assert_int_equal (p->veths[0].ifindex_a, LABO_HOST_IFINDEX0);
  assert_int_equal (p->veths[0].ns_b, LABO_NS_SWITCH);
  assert_int_equal (p->veths[0].master_b, LABO_BRIDGE_IFINDEX0);
  assert_int_equal (p->veths[1].ifindex_b, p->veths[0].ifindex_b + 1);
  assert_int_equal (p->veths[2].ns_a, LABO_NS_SWITCH);
  assert_int_equal (p->veths[2].master_a, LABO_BRIDGE_IFINDEX0);
  assert_int_equal (p->veths[2].ns_b, LABO_NS_ROOT);
  assert_string_equal (p->veths[2].ifname_b, "seed-internet");
  assert_int_equal (p->veths[2].ifindex_b, 0); /* the kernel picks in the root ns */

  assert_int_equal (p->n_addrs, 3);
  assert_string_equal (labo_prefix_format (&p->addrs[0].addr, buf), "198.51.100.198/24");
  assert_int_equal (p->addrs[0].ifindex, LABO_HOST_IFINDEX0);
  assert_string_equal (labo_prefix_format (&p->addrs[2].addr, buf), "198.51.100.1/24");
  assert_int_equal (p->addrs[2].ns, LABO_NS_ROOT);
  assert_int_equal (p->n_routes, 0);
  labo_plan_free (p);
  labo_lab_free (lab);
}

static void
p2p_links_and_routes_get_indexes_after_segment_links (void **state)
{
  struct labo_lab *lab = parse ("lab: r\n"
                                "segments:\n"
                                "  a: {subnet: 198.51.100.0/28}\n"
                                "hosts:\n"
                                "  h1:\n"
                                "    links: [{segment: a, address: 198.51.100.2}]\n"
                                "    routes: [{to: default, via: 198.51.100.1}]\n"
                                "  r1:\n"
                                "    forward: true\n"
                                "    links: [{segment: a, address: 198.51.100.1}]\n"
                                "  h2: {}\n"
                                "links:\n"
                                "  - endpoints:\n"
                                "      - {host: r1, address: 198.51.100.17/30}\n"
                                "      - {host: h2, address: 198.51.100.18/30, ifname: up0}\n"
                                "    mtu: 9000\n");
  struct labo_plan *p = labo_plan_build (lab);
  const struct labo_plan_veth *v;
  char buf[20];

  assert_int_equal (p->n_veths, 3);
  v = &p->veths[2];
  assert_int_equal (v->ns_a, 1);     /* r1 */
  assert_int_equal (v->ns_b, 2);     /* h2 */
  assert_string_equal (v->ifname_a, "eth1"); /* r1's second interface */
  assert_int_equal (v->ifindex_a, LABO_HOST_IFINDEX0 + 1);
  assert_string_equal (v->ifname_b, "up0");
  assert_int_equal (v->ifindex_b, LABO_HOST_IFINDEX0);
  assert_int_equal (v->mtu, 9000);
  assert_int_equal (v->master_a, 0);
  assert_int_equal (v->master_b, 0);

  assert_int_equal (p->n_routes, 1);
  assert_int_equal (p->routes[0].ns, 0);
  assert_int_equal (p->routes[0].dst.len, 0);
  assert_string_equal (labo_ipv4_format (p->routes[0].via, buf), "198.51.100.1");
  labo_plan_free (p);
  labo_lab_free (lab);
}

static void
two_labs_never_share_a_namespace_name (void **state)
{
  /* "a" with host "b-c" and "a-b" with host "c" must differ: the dot is
   * outside both alphabets. */
  char *x = labo_host_netns_name ("a", "b-c");
  char *y = labo_host_netns_name ("a-b", "c");
  char *s = labo_switch_netns_name ("a");
  assert_string_not_equal (x, y);
  assert_string_equal (s, "labo.a");
  assert_true (strncmp (y, s, strlen (s)) != 0 || y[strlen (s)] != '.');
  free (x);
  free (y);
  free (s);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (plan_of_the_seed_names_everything_after_the_lab),
    cmocka_unit_test (p2p_links_and_routes_get_indexes_after_segment_links),
    cmocka_unit_test (two_labs_never_share_a_namespace_name),
  };
  return cmocka_run_group_tests_name ("plan", tests, NULL, NULL);
}
