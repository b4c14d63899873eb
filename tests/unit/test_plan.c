/* Unit tests for planning: names, interface indexes and ordering decided
 * from a validated lab, with no system call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "labo/engine/gate.h"
#include "labo/model/labfile.h"
#include "labo/model/plan.h"
#include "labo/util/util.h"

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

/* The gates: one per root link; the machine reaches what the lab publishes
 * (nodes' ports, the Docker APIs) and root.expose, merged and sorted; the
 * lab reaches root.allow, and nothing by default. */
static void
gates_let_through_what_the_lab_file_says (void **state)
{
  struct labo_lab *lab = parse (
      "lab: g\n"
      "segments:\n"
      "  wan: {subnet: 198.51.100.0/24, root: {address: 198.51.100.1, allow: [53/udp, 8080],\n"
      "        expose: [80-81, 82, 5000/udp]}}\n"
      "  lan: {subnet: 203.0.113.0/24, root: 203.0.113.1}\n"
      "  dark: {subnet: 192.0.2.0/24}\n"
      "hosts:\n"
      "  a:\n"
      "    docker: {role: manager, api_tcp: true}\n"
      "    links: [{segment: wan, address: 198.51.100.5}, {segment: lan, address: 203.0.113.5},\n"
      "            {segment: dark, address: 192.0.2.5}]\n"
      "  b:\n"
      "    docker: {role: worker, api_tcp: insecure}\n"
      "    links: [{segment: wan, address: 198.51.100.6}]\n"
      "overlay: {name: weave, subnet: 10.0.0.0/24}\n"
      "nodes:\n"
      "  n1: {host: a, address: 10.0.0.1, service: zookeeper, ports: [32181:2181, 33888:3888]}\n"
      "  n2: {host: b, address: 10.0.0.2, service: zookeeper, ports: [32181:2181]}\n");
  struct labo_plan *p = labo_plan_build (lab);
  size_t n = 0;
  struct labo_gate *g = labo_gates_build (lab, p, &n);
  char *in, *out;

  assert_int_equal (n, 2); /* wan and lan; dark has no root link */
  assert_string_equal (lab->segments[g[0].segment].name, "wan");
  in = labo_gate_ranges_text (g[0].in, g[0].n_in);
  out = labo_gate_ranges_text (g[0].out, g[0].n_out);
  assert_string_equal (in, "80-82/tcp, 2375-2376/tcp, 32181/tcp, 33888/tcp, 5000/udp");
  assert_string_equal (out, "8080/tcp, 53/udp");
  free (in);
  free (out);
  assert_string_equal (lab->segments[g[1].segment].name, "lan");
  in = labo_gate_ranges_text (g[1].in, g[1].n_in);
  out = labo_gate_ranges_text (g[1].out, g[1].n_out);
  assert_string_equal (in, "2375-2376/tcp, 32181/tcp, 33888/tcp");
  assert_string_equal (out, "nothing");
  free (in);
  free (out);
  labo_gates_free (g, n);
  labo_plan_free (p);
  labo_lab_free (lab);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (plan_of_the_seed_names_everything_after_the_lab),
    cmocka_unit_test (p2p_links_and_routes_get_indexes_after_segment_links),
    cmocka_unit_test (two_labs_never_share_a_namespace_name),
    cmocka_unit_test (gates_let_through_what_the_lab_file_says),
  };
  return cmocka_run_group_tests_name ("plan", tests, NULL, NULL);
}
