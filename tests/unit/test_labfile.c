/* Unit tests for lab files (src/model/labfile.c, validate.c, lab.c): the
 * corpora of bad and good files under tests/labfiles, the seed lab, and the
 * details of the model the reader builds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/model/labfile.h"
#include "labo/util/util.h"

#include "corpus.h"

/* ---- helpers ---- */

static uint32_t
A (const char *s)
{
  uint32_t a = 0;
  assert_int_equal (labo_ipv4_parse (s, &a), 0);
  return a;
}

static struct labo_lab *
parse (const char *text, struct labo_diags *d)
{
  return labo_labfile_parse ("t.yaml", text, strlen (text), d);
}

/* Parses text that must be valid. */
static struct labo_lab *
parse_ok (const char *text)
{
  struct labo_diags d = { NULL, 0 };
  struct labo_lab *lab = parse (text, &d);
  if (lab == NULL)
    {
      labo_diags_print (&d, stderr);
      labo_diags_free (&d);
      fail_msg ("lab did not parse");
    }
  assert_int_equal (d.n, 0);
  return lab;
}

/* ---- corpora ---- */

static bool
parse_lab (const char *file, const char *text, size_t len, const struct labo_limits *lim,
           struct labo_diags *d, void *ctx)
{
  struct labo_lab *lab = labo_labfile_parse_limited (file, text, len, lim, d);
  bool made = lab != NULL;

  labo_lab_free (lab);
  return made;
}

static void
test_bad_corpus (void **state)
{
  cleanup_free char *dir = xasprintf ("%s/labfiles/bad", testdata ());
  size_t n;

  assert_int_equal (run_bad_corpus (dir, parse_lab, NULL, &n), 0);
  assert_true (n >= 160);
}

static void
test_good_corpus (void **state)
{
  cleanup_free char *dir = xasprintf ("%s/labfiles/good", testdata ());
  size_t n, failures = 0;
  char **files = list_yaml (dir, &n);

  for (size_t i = 0; i < n; i++)
    {
      struct labo_diags d = { NULL, 0 };
      struct labo_lab *lab = labo_labfile_load (files[i], &d);
      if (lab == NULL || d.n != 0)
        {
          print_error ("%s: should be valid:\n", files[i]);
          labo_diags_print (&d, stderr);
          failures++;
        }
      labo_lab_free (lab);
      labo_diags_free (&d);
    }
  free_list (files, n);
  assert_int_equal (failures, 0);
  assert_true (n >= 7);
}

/* The labs shipped in netns/ must stay valid. */
static void
test_shipped_labs (void **state)
{
  size_t n;
  char **files = list_yaml ("netns", &n);
  for (size_t i = 0; i < n; i++)
    {
      struct labo_diags d = { NULL, 0 };
      struct labo_lab *lab = labo_labfile_load (files[i], &d);
      labo_diags_print (&d, stderr);
      assert_non_null (lab);
      labo_lab_free (lab);
      labo_diags_free (&d);
    }
  free_list (files, n);
  assert_true (n >= 5);
}

/* ---- the seed lab ---- */

static void
check_seed (const struct labo_lab *lab)
{
  const struct labo_segment *s;
  const struct labo_link *l;

  assert_string_equal (lab->name, "seed");
  assert_int_equal (lab->name_pos.line, 8);
  assert_int_equal (lab->name_pos.col, 6);
  assert_ptr_equal (lab->name_pos.file, lab->file);

  assert_int_equal (lab->n_segments, 1);
  s = &lab->segments[0];
  assert_string_equal (s->name, "internet");
  assert_int_equal (s->pos.line, 11);
  assert_int_equal (s->pos.col, 3);
  assert_int_equal (s->subnet.addr, A ("198.51.100.0"));
  assert_int_equal (s->subnet.len, 24);
  assert_int_equal (s->subnet_pos.line, 12);
  assert_int_equal (s->subnet_pos.col, 13);
  assert_int_equal (s->mtu, 1500);
  assert_true (s->has_root);
  assert_int_equal (s->root_addr, A ("198.51.100.1"));
  assert_string_equal (s->root_ifname, "seed-internet");
  assert_int_equal (s->root_pos.line, 14);
  assert_int_equal (s->root_pos.col, 5);

  assert_int_equal (lab->n_hosts, 2);
  assert_string_equal (lab->hosts[0].name, "mida-clm1");
  assert_int_equal (lab->hosts[0].pos.line, 25);
  assert_int_equal (lab->hosts[0].pos.col, 3);
  assert_string_equal (lab->hosts[1].name, "mida-clm2");
  assert_int_equal (lab->hosts[1].pos.line, 30);
  for (size_t h = 0; h < 2; h++)
    {
      assert_int_equal (lab->hosts[h].n_routes, 0);
      assert_false (lab->hosts[h].forward);
      assert_false (lab->hosts[h].docker_tcp);
      assert_int_equal (lab->hosts[h].docker_pos.col, 13);
    }
  /* swarm join + swarm manager on mida-clm1, swarm join on mida-clm2 */
  assert_int_equal (lab->hosts[0].docker, LABO_DOCKER_MANAGER);
  assert_int_equal (lab->hosts[0].docker_pos.line, 26);
  assert_int_equal (lab->hosts[0].lab_address, A ("198.51.100.198"));
  assert_int_equal (lab->hosts[1].docker, LABO_DOCKER_WORKER);
  assert_int_equal (lab->hosts[1].docker_pos.line, 31);
  assert_int_equal (lab->hosts[1].lab_address, A ("198.51.100.101"));
  assert_int_equal (labo_lab_docker_hosts (lab), 2);

  assert_int_equal (lab->n_links, 2);
  for (size_t i = 0; i < 2; i++)
    {
      l = &lab->links[i];
      assert_int_equal (l->kind, LABO_LINK_SEGMENT);
      assert_int_equal (l->a.host, i);
      assert_int_equal (l->segment, 0);
      assert_string_equal (l->a.ifname, "eth0");
      assert_true (l->a.has_addr);
      assert_int_equal (l->a.addr.len, 24);
      assert_int_equal (l->mtu, 1500);
      assert_int_equal (l->pos.col, 9);
      assert_int_equal (l->a.addr_pos.col, 18);
    }
  assert_int_equal (lab->links[0].a.addr.addr, A ("198.51.100.198"));
  assert_int_equal (lab->links[0].pos.line, 28);
  assert_int_equal (lab->links[0].a.addr_pos.line, 29);
  assert_int_equal (lab->links[1].a.addr.addr, A ("198.51.100.101"));
  assert_int_equal (lab->links[1].pos.line, 33);

  /* no 'swarm' key: the defaults, off Docker's 10.0.0.0/8 */
  assert_int_equal (lab->swarm.address_pool.addr, A ("10.128.0.0"));
  assert_int_equal (lab->swarm.address_pool.len, 16);
  assert_int_equal (lab->swarm.subnet_size, 24);
  assert_int_equal (lab->swarm.pos.line, 0);

  /* weave launch: the overlay, Docker's part in its upper half */
  assert_true (lab->overlay.present);
  assert_string_equal (lab->overlay.name, "weave");
  assert_int_equal (lab->overlay.subnet.addr, A ("10.0.0.0"));
  assert_int_equal (lab->overlay.subnet.len, 24);
  assert_int_equal (lab->overlay.gateway, A ("10.0.0.254"));
  assert_int_equal (lab->overlay.ip_range.addr, A ("10.0.0.128"));
  assert_int_equal (lab->overlay.ip_range.len, 25);
  assert_int_equal (lab->overlay.pos.line, 41);
  assert_int_equal (lab->overlay.pos.col, 1);

  /* weave run 10.0.0.N/24 --name namenodeN -p 32181:2181 -p 33888:3888
   * -p 22888:2888; echo N > myid */
  assert_int_equal (lab->n_nodes, 2);
  for (size_t i = 0; i < 2; i++)
    {
      static const uint16_t hp[] = { 32181, 33888, 22888 }, cp[] = { 2181, 3888, 2888 };
      static const int col[] = { 13, 25, 37 };
      const struct labo_node *n = &lab->nodes[i];
      assert_int_equal (n->host, i);
      assert_int_equal (n->service, LABO_SERVICE_ZOOKEEPER);
      assert_int_equal (n->myid, (int) i + 1);
      assert_int_equal (n->client_port, 2181);
      assert_int_equal (n->pos.col, 3);
      assert_int_equal (n->address_pos.col, 14);
      assert_int_equal (n->n_ports, 3);
      for (size_t p = 0; p < 3; p++)
        {
          assert_int_equal (n->ports[p].host_port, hp[p]);
          assert_int_equal (n->ports[p].container_port, cp[p]);
          assert_int_equal (n->ports[p].pos.line, i ? 60 : 54);
          assert_int_equal (n->ports[p].pos.col, col[p]);
        }
    }
  assert_string_equal (lab->nodes[0].name, "namenode1");
  assert_int_equal (lab->nodes[0].pos.line, 50);
  assert_int_equal (lab->nodes[0].address, A ("10.0.0.1"));
  assert_int_equal (lab->nodes[0].address_pos.line, 52);
  assert_string_equal (lab->nodes[1].name, "namenode2");
  assert_int_equal (lab->nodes[1].pos.line, 56);
  assert_int_equal (lab->nodes[1].address, A ("10.0.0.2"));
  assert_int_equal (labo_lab_find_node (lab, "namenode2"), 1);
  assert_int_equal (labo_lab_find_node (lab, "mida-clm1"), -1);
}

static void
test_seed_file (void **state)
{
  struct labo_diags d = { NULL, 0 };
  cleanup_lab struct labo_lab *lab = labo_labfile_load ("netns/seed.yaml", &d);

  labo_diags_print (&d, stderr);
  assert_non_null (lab);
  assert_int_equal (d.n, 0);
  assert_string_equal (lab->file, "netns/seed.yaml");
  check_seed (lab);
}

/* The by-hand seed: the seed with both nodes `start: by-hand`; a lab
 * brought up --until containers makes every node by-hand; the stages'
 * order and names. */
static void
test_by_hand (void **state)
{
  struct labo_diags d = { NULL, 0 };
  cleanup_lab struct labo_lab *hand = labo_labfile_load ("netns/seed-by-hand.yaml", &d);
  cleanup_lab struct labo_lab *seed = labo_labfile_load ("netns/seed.yaml", &d);
  enum labo_stage s;

  (void) state;
  labo_diags_print (&d, stderr);
  assert_non_null (hand);
  assert_non_null (seed);
  assert_int_equal (hand->n_nodes, 2);
  for (size_t i = 0; i < 2; i++)
    {
      assert_int_equal (hand->nodes[i].start, LABO_START_BY_HAND);
      assert_true (labo_node_by_hand (hand, &hand->nodes[i]));
      assert_int_equal (seed->nodes[i].start, LABO_START_AUTO);
      assert_false (labo_node_by_hand (seed, &seed->nodes[i]));
      assert_int_equal (hand->nodes[i].myid, seed->nodes[i].myid);
    }
  assert_int_equal (labo_lab_by_hand_nodes (hand), 2);
  assert_int_equal (labo_lab_by_hand_nodes (seed), 0);
  seed->until = LABO_STAGE_CONTAINERS;
  assert_int_equal (labo_lab_by_hand_nodes (seed), 2);
  assert_true (labo_lab_reaches (seed, LABO_STAGE_OVERLAY));
  assert_false (labo_lab_reaches (seed, LABO_STAGE_SERVICES));
  seed->until = LABO_STAGE_ALL;
  assert_true (labo_lab_reaches (seed, LABO_STAGE_SERVICES));

  assert_int_equal (labo_stage_parse ("network", &s), 0);
  assert_int_equal (s, LABO_STAGE_NETWORK);
  assert_int_equal (labo_stage_parse ("services", &s), 0);
  assert_int_equal (s, LABO_STAGE_SERVICES);
  assert_int_equal (labo_stage_parse ("all", &s), -1);
  assert_int_equal (labo_stage_parse ("", &s), -1);
  assert_string_equal (labo_stage_name (LABO_STAGE_ALL), "services");
  assert_string_equal (labo_stage_name (LABO_STAGE_CONTAINERS), "containers");
  for (enum labo_stage t = LABO_STAGE_NETWORK; t <= LABO_STAGE_SERVICES; t++)
    {
      assert_int_equal (labo_stage_parse (labo_stage_name (t), &s), 0);
      assert_int_equal (s, t);
    }
  labo_diags_free (&d);
}

static void
pos_equal (struct labo_pos a, struct labo_pos b)
{
  assert_int_equal (a.line, b.line);
  assert_int_equal (a.col, b.col);
}

static void
endpoint_equal (const struct labo_endpoint *a, const struct labo_endpoint *b)
{
  assert_int_equal (a->host, b->host);
  assert_string_equal (a->ifname, b->ifname);
  assert_int_equal (a->has_addr, b->has_addr);
  assert_int_equal (a->addr.addr, b->addr.addr);
  assert_int_equal (a->addr.len, b->addr.len);
  pos_equal (a->pos, b->pos);
  pos_equal (a->addr_pos, b->addr_pos);
}

/* Same model, file name aside. */
static void
lab_equal (const struct labo_lab *a, const struct labo_lab *b)
{
  assert_string_equal (a->name, b->name);
  pos_equal (a->name_pos, b->name_pos);
  assert_int_equal (a->n_segments, b->n_segments);
  for (size_t i = 0; i < a->n_segments; i++)
    {
      const struct labo_segment *x = &a->segments[i], *y = &b->segments[i];
      assert_string_equal (x->name, y->name);
      pos_equal (x->pos, y->pos);
      assert_int_equal (x->subnet.addr, y->subnet.addr);
      assert_int_equal (x->subnet.len, y->subnet.len);
      pos_equal (x->subnet_pos, y->subnet_pos);
      assert_int_equal (x->mtu, y->mtu);
      assert_int_equal (x->has_root, y->has_root);
      assert_int_equal (x->root_addr, y->root_addr);
      assert_string_equal (x->root_ifname, y->root_ifname);
      pos_equal (x->root_pos, y->root_pos);
    }
  assert_int_equal (a->n_hosts, b->n_hosts);
  for (size_t i = 0; i < a->n_hosts; i++)
    {
      const struct labo_host *x = &a->hosts[i], *y = &b->hosts[i];
      assert_string_equal (x->name, y->name);
      pos_equal (x->pos, y->pos);
      assert_int_equal (x->forward, y->forward);
      assert_int_equal (x->docker, y->docker);
      pos_equal (x->docker_pos, y->docker_pos);
      assert_int_equal (x->docker_tcp, y->docker_tcp);
      assert_int_equal (x->lab_address, y->lab_address);
      assert_int_equal (x->n_routes, y->n_routes);
      for (size_t r = 0; r < x->n_routes; r++)
        {
          assert_int_equal (x->routes[r].dst.addr, y->routes[r].dst.addr);
          assert_int_equal (x->routes[r].dst.len, y->routes[r].dst.len);
          assert_int_equal (x->routes[r].via, y->routes[r].via);
          pos_equal (x->routes[r].pos, y->routes[r].pos);
        }
    }
  assert_int_equal (a->n_links, b->n_links);
  for (size_t i = 0; i < a->n_links; i++)
    {
      const struct labo_link *x = &a->links[i], *y = &b->links[i];
      assert_int_equal (x->kind, y->kind);
      assert_int_equal (x->segment, y->segment);
      assert_int_equal (x->mtu, y->mtu);
      pos_equal (x->pos, y->pos);
      endpoint_equal (&x->a, &y->a);
      if (x->kind == LABO_LINK_P2P)
        endpoint_equal (&x->b, &y->b);
    }
  assert_int_equal (a->swarm.address_pool.addr, b->swarm.address_pool.addr);
  assert_int_equal (a->swarm.address_pool.len, b->swarm.address_pool.len);
  assert_int_equal (a->swarm.subnet_size, b->swarm.subnet_size);
  pos_equal (a->swarm.pos, b->swarm.pos);
  assert_int_equal (a->overlay.present, b->overlay.present);
  if (a->overlay.present)
    {
      assert_string_equal (a->overlay.name, b->overlay.name);
      assert_int_equal (a->overlay.subnet.addr, b->overlay.subnet.addr);
      assert_int_equal (a->overlay.subnet.len, b->overlay.subnet.len);
      assert_int_equal (a->overlay.gateway, b->overlay.gateway);
      assert_int_equal (a->overlay.ip_range.addr, b->overlay.ip_range.addr);
      assert_int_equal (a->overlay.ip_range.len, b->overlay.ip_range.len);
      pos_equal (a->overlay.pos, b->overlay.pos);
    }
  assert_int_equal (a->n_nodes, b->n_nodes);
  for (size_t i = 0; i < a->n_nodes; i++)
    {
      const struct labo_node *x = &a->nodes[i], *y = &b->nodes[i];
      assert_string_equal (x->name, y->name);
      pos_equal (x->pos, y->pos);
      assert_int_equal (x->host, y->host);
      assert_int_equal (x->address, y->address);
      pos_equal (x->address_pos, y->address_pos);
      assert_int_equal (x->service, y->service);
      assert_int_equal (x->myid, y->myid);
      assert_int_equal (x->client_port, y->client_port);
      assert_int_equal (x->n_ports, y->n_ports);
      for (size_t p = 0; p < x->n_ports; p++)
        {
          assert_int_equal (x->ports[p].host_port, y->ports[p].host_port);
          assert_int_equal (x->ports[p].container_port, y->ports[p].container_port);
          pos_equal (x->ports[p].pos, y->ports[p].pos);
        }
    }
}

static void
test_seed_builtin (void **state)
{
  struct labo_diags d = { NULL, 0 };
  cleanup_lab struct labo_lab *file = labo_labfile_load ("netns/seed.yaml", &d);
  cleanup_lab struct labo_lab *builtin
    = labo_labfile_parse (LABO_SEED_FILE, labo_seed_yaml, labo_seed_yaml_len, &d);

  labo_diags_print (&d, stderr);
  assert_int_equal (d.n, 0);
  assert_non_null (file);
  assert_non_null (builtin);
  assert_string_equal (builtin->file, LABO_SEED_FILE);
  assert_ptr_equal (builtin->segments[0].pos.file, builtin->file);
  check_seed (builtin);
  lab_equal (file, builtin);
}

/* ---- the model's details ---- */

static void
test_defaults_and_order (void **state)
{
  /* links come before hosts in the file: the model's order stays
   * host links (in host order) then p2p links */
  cleanup_lab struct labo_lab *lab
    = parse_ok ("lab: order\n"
                "links:\n"
                "  - endpoints:\n"
                "      - {host: b, address: 10.1.0.1/31}\n"
                "      - {host: a, address: 10.1.0.0/31}\n"
                "    mtu: 9000\n"
                "  - endpoints: [{host: a, ifname: x}, {host: b}]\n"
                "segments:\n"
                "  s1: {subnet: 192.0.2.0/24, mtu: 1400, root: 192.0.2.1/24}\n"
                "  s2:\n"
                "    subnet: 198.51.100.0/24\n"
                "    root: {address: 198.51.100.1, ifname: up0}\n"
                "hosts:\n"
                "  a:\n"
                "    links:\n"
                "      - {segment: s2, address: 198.51.100.7}\n"
                "      - {segment: s1, mtu: 1300, ifname: lan}\n"
                "      - {segment: s1, address: 192.0.2.9/24}\n"
                "    routes:\n"
                "      - {to: default, via: 198.51.100.1}\n"
                "      - {to: 203.0.113.0/24, via: 10.1.0.1}\n"
                "    forward: True\n"
                "  b: ~\n");
  const struct labo_link *l = lab->links;

  assert_int_equal (lab->n_links, 5);
  assert_int_equal (lab->n_hosts, 2);
  assert_string_equal (lab->hosts[0].name, "a");
  assert_true (lab->hosts[0].forward);
  assert_false (lab->hosts[1].forward);

  assert_string_equal (lab->segments[0].root_ifname, "order-s1");
  assert_int_equal (lab->segments[0].root_addr, A ("192.0.2.1"));
  assert_int_equal (lab->segments[0].mtu, 1400);
  assert_string_equal (lab->segments[1].root_ifname, "up0");
  assert_int_equal (lab->segments[1].mtu, 1500);

  /* host a: eth0 (s2), lan (s1, index 1), eth2 (s1), then p2p ends */
  assert_int_equal (l[0].kind, LABO_LINK_SEGMENT);
  assert_int_equal (l[0].segment, 1);
  assert_string_equal (l[0].a.ifname, "eth0");
  assert_int_equal (l[0].a.addr.addr, A ("198.51.100.7"));
  assert_int_equal (l[0].a.addr.len, 24); /* the subnet's */
  assert_int_equal (l[0].mtu, 1500);
  assert_string_equal (l[1].a.ifname, "lan");
  assert_false (l[1].a.has_addr);
  assert_int_equal (l[1].mtu, 1300);
  assert_string_equal (l[2].a.ifname, "eth2");
  assert_int_equal (l[2].mtu, 1400); /* the segment's */
  assert_int_equal (l[2].a.addr.addr, A ("192.0.2.9"));

  assert_int_equal (l[3].kind, LABO_LINK_P2P);
  assert_int_equal (l[3].a.host, 1);
  assert_int_equal (l[3].b.host, 0);
  assert_string_equal (l[3].a.ifname, "eth0"); /* b's first interface */
  assert_string_equal (l[3].b.ifname, "eth3");
  assert_int_equal (l[3].a.addr.addr, A ("10.1.0.1"));
  assert_int_equal (l[3].a.addr.len, 31);
  assert_int_equal (l[3].mtu, 9000);
  assert_int_equal (l[3].pos.line, 3);
  assert_int_equal (l[3].pos.col, 5);
  assert_int_equal (l[3].a.pos.line, 4);
  assert_int_equal (l[3].a.pos.col, 9);
  assert_int_equal (l[3].b.addr_pos.line, 5);
  assert_int_equal (l[3].b.addr_pos.col, 28);

  assert_int_equal (l[4].a.host, 0);
  assert_string_equal (l[4].a.ifname, "x");
  assert_string_equal (l[4].b.ifname, "eth1");
  assert_false (l[4].a.has_addr);
  assert_false (l[4].b.has_addr);
  assert_int_equal (l[4].mtu, 1500);

  assert_int_equal (lab->hosts[0].n_routes, 2);
  assert_int_equal (lab->hosts[0].routes[0].dst.addr, 0);
  assert_int_equal (lab->hosts[0].routes[0].dst.len, 0);
  assert_int_equal (lab->hosts[0].routes[0].via, A ("198.51.100.1"));
  assert_int_equal (lab->hosts[0].routes[0].pos.line, 20);
  assert_int_equal (lab->hosts[0].routes[0].pos.col, 9);
  assert_int_equal (lab->hosts[0].routes[1].dst.addr, A ("203.0.113.0"));
  assert_int_equal (lab->hosts[0].routes[1].dst.len, 24);
  assert_int_equal (lab->hosts[0].routes[1].via, A ("10.1.0.1"));

  assert_int_equal (labo_lab_find_host (lab, "b"), 1);
  assert_int_equal (labo_lab_find_host (lab, "c"), -1);
  assert_int_equal (labo_lab_find_segment (lab, "s2"), 1);
  assert_int_equal (labo_lab_find_segment (lab, "a"), -1);
}

/* Docker hosts, the Swarm, the overlay and nodes, every key used. */
static void
test_docker_model (void **state)
{
  struct labo_diags d = { NULL, 0 };
  cleanup_free char *path = xasprintf ("%s/labfiles/good/docker-swarm.yaml", testdata ());
  cleanup_lab struct labo_lab *lab = labo_labfile_load (path, &d);
  const struct labo_node *n;

  labo_diags_print (&d, stderr);
  assert_non_null (lab);
  assert_int_equal (lab->n_hosts, 4);
  assert_int_equal (labo_lab_docker_hosts (lab), 3);

  assert_int_equal (lab->hosts[0].docker, LABO_DOCKER_MANAGER);
  assert_true (lab->hosts[0].docker_tcp);
  assert_int_equal (lab->hosts[0].docker_pos.line, 9);
  assert_int_equal (lab->hosts[0].docker_pos.col, 20); /* the role's value */
  assert_int_equal (lab->hosts[0].lab_address, A ("198.51.100.10"));
  assert_int_equal (lab->hosts[1].docker, LABO_DOCKER_WORKER);
  assert_false (lab->hosts[1].docker_tcp);
  /* the first addressed link, not the first link */
  assert_int_equal (lab->hosts[1].lab_address, A ("198.51.100.11"));
  assert_int_equal (lab->hosts[2].docker, LABO_DOCKER_WORKER);
  assert_int_equal (lab->hosts[2].docker_pos.line, 18);
  assert_int_equal (lab->hosts[2].docker_pos.col, 13);
  assert_int_equal (lab->hosts[2].lab_address, A ("198.51.100.12"));
  assert_int_equal (lab->hosts[3].docker, LABO_DOCKER_NONE);
  assert_int_equal (lab->hosts[3].lab_address, 0);

  assert_int_equal (lab->swarm.address_pool.addr, A ("10.200.0.0"));
  assert_int_equal (lab->swarm.address_pool.len, 16);
  assert_int_equal (lab->swarm.subnet_size, 26);
  assert_int_equal (lab->swarm.pos.line, 22);
  assert_int_equal (lab->swarm.pos.col, 1);

  assert_true (lab->overlay.present);
  assert_string_equal (lab->overlay.name, "zk.net_1");
  assert_int_equal (lab->overlay.gateway, A ("10.0.0.254"));
  assert_int_equal (lab->overlay.ip_range.addr, A ("10.0.0.128"));
  assert_int_equal (lab->overlay.ip_range.len, 25);

  assert_int_equal (lab->n_nodes, 4);
  n = &lab->nodes[0];
  assert_string_equal (n->name, "zoo1");
  assert_int_equal (n->pos.line, 29);
  assert_int_equal (n->host, 0);
  assert_int_equal (n->address, A ("10.0.0.1"));
  assert_int_equal (n->address_pos.line, 31);
  assert_int_equal (n->address_pos.col, 14);
  assert_int_equal (n->myid, 1); /* default: first zookeeper node */
  assert_int_equal (n->client_port, 2182);
  assert_int_equal (n->n_ports, 3); /* double-quoted, single-quoted, plain */
  assert_int_equal (n->ports[0].host_port, 32181);
  assert_int_equal (n->ports[0].container_port, 2181);
  assert_int_equal (n->ports[0].pos.line, 34);
  assert_int_equal (n->ports[0].pos.col, 9);
  assert_int_equal (n->ports[1].host_port, 33888);
  assert_int_equal (n->ports[2].host_port, 22888);
  assert_int_equal (n->ports[2].container_port, 2888);
  n = &lab->nodes[1];
  assert_int_equal (n->host, 1);
  assert_int_equal (n->address, A ("10.0.0.127"));
  assert_int_equal (n->myid, 9);
  assert_int_equal (n->client_port, 2181);
  assert_int_equal (n->ports[1].host_port, 2375);
  assert_int_equal (n->ports[1].container_port, 2376);
  n = &lab->nodes[2];
  assert_int_equal (n->host, 2);
  assert_int_equal (n->myid, 3); /* default: its position, whatever the others' */
  assert_int_equal (n->n_ports, 0);
  assert_null (n->ports);
  assert_int_equal (lab->nodes[3].myid, 4);
  assert_int_equal (lab->nodes[3].host, 0);
  /* "32182:2181/tcp": TCP named, as docker run -p takes it */
  assert_int_equal (lab->nodes[3].n_ports, 1);
  assert_int_equal (lab->nodes[3].ports[0].host_port, 32182);
  assert_int_equal (lab->nodes[3].ports[0].container_port, 2181);

  assert_int_equal (labo_lab_find_node (lab, "zoo3"), 2);
  assert_int_equal (labo_lab_find_node (lab, "m"), -1);
  assert_int_equal (labo_lab_find_host (lab, "zoo3"), -1);
}

/* Defaults with no 'swarm'; a lab address from a p2p link; a small
 * overlay; port scalars YAML 1.1 would read as sexagesimal integers. */
static void
test_docker_defaults (void **state)
{
  cleanup_lab struct labo_lab *lab
    = parse_ok ("lab: d\n"
                "hosts:\n"
                "  a: {docker: manager}\n"
                "  b: {docker: worker}\n"
                "  c:\n"
                "links:\n"
                "  - endpoints: [{host: c}, {host: a}]\n"
                "  - endpoints:\n"
                "      - {host: a, address: 192.0.2.0/31}\n"
                "      - {host: b, address: 192.0.2.1/31}\n"
                "overlay: {name: o, subnet: 10.9.0.0/28}\n"
                "nodes:\n"
                "  n1: {host: b, address: 10.9.0.7, service: zookeeper, ports: [1:30, 2:2]}\n");
  cleanup_lab struct labo_lab *plain = parse_ok ("lab: p\nhosts: {a: }\n");

  assert_int_equal (lab->hosts[0].lab_address, A ("192.0.2.0"));
  assert_int_equal (lab->hosts[1].lab_address, A ("192.0.2.1"));
  assert_int_equal (labo_lab_docker_hosts (lab), 2);
  assert_int_equal (lab->swarm.address_pool.addr, A ("10.128.0.0"));
  assert_int_equal (lab->swarm.address_pool.len, 16);
  assert_int_equal (lab->swarm.subnet_size, 24);
  assert_int_equal (lab->overlay.gateway, A ("10.9.0.14"));
  assert_int_equal (lab->overlay.ip_range.addr, A ("10.9.0.8"));
  assert_int_equal (lab->overlay.ip_range.len, 29);
  assert_int_equal (lab->nodes[0].myid, 1);
  assert_int_equal (lab->nodes[0].n_ports, 2);
  assert_int_equal (lab->nodes[0].ports[0].host_port, 1); /* not 90 */
  assert_int_equal (lab->nodes[0].ports[0].container_port, 30);

  /* a lab without Docker: the Swarm defaults all the same, no overlay */
  assert_int_equal (labo_lab_docker_hosts (plain), 0);
  assert_int_equal (plain->swarm.address_pool.addr, A ("10.128.0.0"));
  assert_int_equal (plain->swarm.subnet_size, 24);
  assert_false (plain->overlay.present);
  assert_null (plain->overlay.name);
  assert_int_equal (plain->n_nodes, 0);
  assert_int_equal (labo_lab_find_node (plain, "a"), -1);
}

/* One mistake, one diagnostic: what follows from an invalid role, overlay
 * subnet or address pool is not reported again. */
static void
test_docker_cascades (void **state)
{
  static const char *const texts[] = {
    /* the manager's role is misspelt: no "no manager", no "host b does not
     * run Docker" for the node on it */
    "lab: x\n"
    "hosts:\n"
    "  a: {docker: manger, links: [{segment: s, address: 198.51.100.5}]}\n"
    "  b: {docker: worker, links: [{segment: s, address: 198.51.100.6}]}\n"
    "segments: {s: {subnet: 198.51.100.0/24}}\n"
    "overlay: {name: o, subnet: 10.0.0.0/24}\n"
    "nodes: {n: {host: a, address: 10.0.0.1, service: zookeeper}}\n",
    /* the overlay's subnet is invalid: node addresses are not checked */
    "lab: x\n"
    "hosts: {a: {docker: manager, links: [{segment: s, address: 198.51.100.5}]}}\n"
    "segments: {s: {subnet: 198.51.100.0/24}}\n"
    "overlay: {name: o, subnet: 10.0.0.0/33}\n"
    "nodes: {n: {host: a, address: 10.0.9.200, service: zookeeper}}\n",
    /* the docker host's only address is invalid: it is not "without address" */
    "lab: x\n"
    "hosts: {a: {docker: manager, links: [{segment: s, address: 198.51.200.5}]}}\n"
    "segments: {s: {subnet: 198.51.100.0/24}}\n",
    /* an invalid pool is not compared with anything */
    "lab: x\n"
    "hosts: {a: {docker: manager, links: [{segment: s, address: 198.51.100.5}]}}\n"
    "segments: {s: {subnet: 198.51.100.0/24}}\n"
    "swarm: {address_pool: 10.0.0.0/7, subnet_size: 12}\n",
    /* 'name' misspelt: the typo is reported, not a missing 'name' too */
    "lab: x\n"
    "hosts: {a: {docker: {rle: manager}, links: [{segment: s, address: 198.51.100.5}]}}\n"
    "segments: {s: {subnet: 198.51.100.0/24}}\n",
  };
  static const char *const msgs[] = {
    "invalid docker role 'manger' for host 'a' (did you mean 'manager'?)",
    "expected an IPv4 network like 10.0.0.0/24 for 'subnet', got '10.0.0.0/33'",
    "address 198.51.200.5 is outside segment 's' (198.51.100.0/24)",
    "address pool prefix length /7 is out of range (/8../28)",
    "unknown key 'rle' in docker of host 'a' (did you mean 'role'?)",
  };

  for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
    {
      struct labo_diags d = { NULL, 0 };
      assert_null (parse (texts[i], &d));
      if (d.n != 1)
        labo_diags_print (&d, stderr);
      assert_int_equal (d.n, 1);
      assert_string_equal (d.v[0].msg, msgs[i]);
      labo_diags_free (&d);
    }
}

/* Under 'runtime: process' what only Docker needs is not asked for, and
 * the hosts carrying nodes get their lab address all the same (the
 * process runtime publishes ports on it); the same hosts under Docker are
 * refused, saying what Docker needs. */
static void
test_process_runtime (void **state)
{
  struct labo_diags d = { NULL, 0 };
  cleanup_free char *path = xasprintf ("%s/labfiles/good/process.yaml", testdata ());
  cleanup_lab struct labo_lab *lab = labo_labfile_load (path, &d);
  static const char hosts[]
      = "segments: {net: {subnet: 198.51.100.0/24}}\n"
        "hosts:\n"
        "  a: {docker: worker, links: [{segment: net, address: 198.51.100.2}]}\n"
        "  b: {links: [{segment: net, address: 198.51.100.3}]}\n"
        "overlay: {name: o, subnet: 10.0.0.0/24}\n"
        "nodes:\n"
        "  n1: {host: b, address: 10.0.0.1, service: zookeeper}\n";
  static const char *const msgs[] = {
    "no Swarm manager: of the hosts running Docker, exactly one must be 'docker: manager'",
    "node 'n1' is on host 'b', which does not run Docker (give the host 'docker: worker' or "
    "'docker: manager')",
  };
  cleanup_free char *docker = xasprintf ("lab: x\nruntime: docker\n%s", hosts);
  cleanup_free char *process = xasprintf ("lab: x\nruntime: process\n%s", hosts);
  struct labo_lab *bad;

  labo_diags_print (&d, stderr);
  assert_non_null (lab);
  assert_int_equal (lab->runtime, LABO_RUNTIME_PROCESS);
  assert_int_equal (lab->hosts[0].docker, LABO_DOCKER_NONE);
  assert_int_equal (lab->hosts[0].lab_address, A ("10.128.0.2"));
  assert_int_equal (lab->hosts[1].docker, LABO_DOCKER_WORKER);
  assert_int_equal (lab->hosts[1].lab_address, A ("10.128.0.3")); /* its first addressed link */
  assert_int_equal (lab->hosts[2].docker, LABO_DOCKER_NONE);     /* a mapping without role */
  assert_int_equal (lab->hosts[2].lab_address, 0);
  assert_int_equal (lab->nodes[0].n_ports, 2);
  assert_int_equal (lab->nodes[0].ports[1].host_port, 7946);
  assert_int_equal (lab->nodes[0].ports[1].container_port, 2888);
  assert_int_equal (lab->nodes[2].host, 2);

  bad = parse (docker, &d);
  assert_null (bad);
  assert_int_equal (d.n, 2);
  for (size_t i = 0; i < 2; i++)
    assert_string_equal (d.v[i].msg, msgs[i]);
  labo_diags_free (&d);

  /* the same hosts under the process runtime */
  labo_lab_free (parse_ok (process));
}

/* Several problems in one file: all reported, in file order. */
static void
test_several_errors (void **state)
{
  struct labo_diags d = { NULL, 0 };
  struct labo_lab *lab = parse ("lab: Bad\n"
                                "links:\n"
                                "  - endpoints: [{host: a}, {host: zz}]\n"
                                "hosts:\n"
                                "  a:\n"
                                "    links: [{segment: nowhere, adress: 1.2.3.4}]\n"
                                "    forward: yes\n",
                                &d);
  assert_null (lab);
  assert_int_equal (d.n, 5);
  assert_int_equal (d.v[0].line, 1);
  assert_string_equal (d.v[0].file, "t.yaml");
  assert_int_equal (d.v[1].line, 3);
  assert_string_equal (d.v[1].msg, "undefined host 'zz' (defined: 'a')");
  assert_int_equal (d.v[2].line, 6);
  assert_string_equal (d.v[2].msg, "undefined segment 'nowhere' (the lab defines no segment)");
  assert_int_equal (d.v[3].line, 6);
  assert_int_equal (d.v[3].col, 32);
  assert_string_equal (d.v[3].msg, "unknown key 'adress' in link (did you mean 'address'?)");
  assert_int_equal (d.v[4].line, 7);
  assert_string_equal (d.v[4].msg, "expected true or false for 'forward', got 'yes'");
  labo_diags_free (&d);

  /* diagnostics accumulate; a NULL diags is allowed */
  assert_null (parse ("lab: x\n", NULL));
}

static void
test_load_and_print (void **state)
{
  struct labo_diags d = { NULL, 0 };
  cleanup_free char *out = NULL;
  size_t out_len = 0;
  FILE *f;

  assert_null (labo_labfile_load ("/nonexistent/lab.yaml", &d));
  assert_int_equal (d.n, 1);
  assert_int_equal (d.v[0].line, 0);
  assert_string_equal (d.v[0].msg, "cannot read lab file: No such file or directory");
  assert_null (parse ("lab: x\nhosts: {a: {forward: 1}}\n", &d));
  assert_int_equal (d.n, 2);

  f = open_memstream (&out, &out_len);
  assert_non_null (f);
  labo_diags_print (&d, f);
  fclose (f);
  assert_string_equal (out,
                       "/nonexistent/lab.yaml: error: cannot read lab file: No such "
                       "file or directory\n"
                       "t.yaml:2:22: error: expected true or false for 'forward', got '1'\n");
  labo_diags_free (&d);
  assert_int_equal (d.n, 0);
  labo_diags_free (&d); /* twice is harmless */
}

/* Text that is not NUL-terminated, or holds NULs, is read by its length. */
static void
test_lengths (void **state)
{
  static const char text[] = "lab: x\nhosts: {a: }\nGARBAGE";
  struct labo_diags d = { NULL, 0 };
  cleanup_lab struct labo_lab *lab = labo_labfile_parse ("t", text, 20, &d);
  struct labo_lab *bad;

  assert_non_null (lab);
  static const char nul[] = "lab: \"a\\0b\"\nhosts: {a: }\n";
  bad = labo_labfile_parse ("t", nul, strlen (nul), &d);
  assert_null (bad);
  assert_int_equal (d.n, 1);
  assert_string_equal (d.v[0].msg, "unexpected NUL character in 'lab'");
  labo_diags_free (&d);
}

/* Node kinds (issue 13): each key into the model as lab.h says, in file
 * order, with positions; and the kinds' defaults. */
static void
test_node_kinds (void **state)
{
  struct labo_diags d = { NULL, 0 };
  cleanup_free char *path = xasprintf ("%s/labfiles/good/node-kinds.yaml", testdata ());
  cleanup_lab struct labo_lab *lab = labo_labfile_load (path, &d);
  const struct labo_node *zoo, *kv, *sh, *web, *probe, *recipe;

  labo_diags_print (&d, stderr);
  assert_non_null (lab);
  assert_int_equal (lab->n_nodes, 6);
  zoo = &lab->nodes[0], kv = &lab->nodes[1], sh = &lab->nodes[2], web = &lab->nodes[3];
  probe = &lab->nodes[4], recipe = &lab->nodes[5];
  assert_int_equal (zoo->service, LABO_SERVICE_ZOOKEEPER);
  assert_int_equal (zoo->myid, 7);
  assert_null (zoo->image);
  assert_int_equal (zoo->n_env, 1);
  assert_string_equal (zoo->env[0], "JVMFLAGS=-Xmx128m");
  assert_null (zoo->env[1]);
  assert_int_equal (zoo->health.kind, LABO_HEALTH_TCP);
  assert_int_equal (zoo->health.port, 2181);
  assert_int_equal (kv->service, LABO_SERVICE_ETCD);
  assert_int_equal (kv->client_port, 2379);
  assert_int_equal (kv->health.kind, LABO_HEALTH_HTTP);
  assert_string_equal (kv->health.url, "http://kv:2379/health");
  assert_int_equal (kv->n_after, 1);
  assert_int_equal (kv->after[0], 0);
  assert_int_equal (sh->service, LABO_SERVICE_SHELL);
  assert_int_equal (sh->health.kind, LABO_HEALTH_DEFAULT);
  assert_null (sh->command);
  assert_int_equal (sh->n_after, 0);

  assert_int_equal (web->service, LABO_SERVICE_GENERIC);
  assert_string_equal (web->image, "images/web.tar.gz");
  assert_int_equal (web->image_pos.line, 18);
  assert_int_equal (web->image_pos.col, 12);
  assert_int_equal (web->n_command, 6);
  assert_string_equal (web->command[0], "busybox");
  assert_string_equal (web->command[4], "8080");
  assert_string_equal (web->command[5], "");
  assert_null (web->command[6]);
  assert_int_equal (web->n_env, 3);
  assert_string_equal (web->env[0], "GREETING=hello world");
  assert_string_equal (web->env[1], "PORT=8080");
  assert_string_equal (web->env[2], "EMPTY=");
  assert_null (web->env[3]);
  assert_int_equal (web->n_binds, 2);
  assert_string_equal (web->binds[0].source, "/srv/data");
  assert_string_equal (web->binds[0].target, "/data");
  assert_false (web->binds[0].read_only);
  assert_string_equal (web->binds[1].target, "/etc/ssl/certs");
  assert_true (web->binds[1].read_only);
  assert_int_equal (web->binds[1].pos.line, 26);
  assert_int_equal (web->health.kind, LABO_HEALTH_HTTP);
  assert_string_equal (web->health.url, "http://10.0.0.4:8080/");
  assert_int_equal (web->n_after, 2);
  assert_int_equal (web->after[0], 1);
  assert_int_equal (web->after[1], 2);
  assert_int_equal (web->after_pos.line, 29);

  assert_string_equal (probe->image, "/var/lib/labo/images/probe.tar");
  assert_int_equal (probe->health.kind, LABO_HEALTH_EXEC);
  assert_int_equal (probe->health.n_argv, 1);
  assert_string_equal (probe->health.argv[0], "/bin/true");
  assert_null (probe->health.argv[1]);
  assert_string_equal (recipe->image, "debian-tools");
  assert_int_equal (recipe->n_after, 1);
  assert_int_equal (recipe->after[0], 3);
  labo_diags_free (&d);
}

/* One mistake, one error: a node whose address could not be read may
 * still name any address in its health URL; a node of unknown kind says
 * nothing of its kind's keys; loops are found once each. */
static void
test_node_kinds_cascades (void **state)
{
  static const char head[]
      = "lab: x\nsegments: {net: {subnet: 198.51.100.0/24}}\n"
        "hosts: {a: {docker: manager, links: [{segment: net, address: 198.51.100.2}]}}\n"
        "overlay: {name: weave, subnet: 10.0.0.0/24}\nnodes:\n";
  struct labo_diags d = { NULL, 0 };
  cleanup_free char *t1 = xasprintf (
      "%s  n1: {host: a, address: 10.0.0.x, image: w.tar, health: {http: \"http://10.9.9.9/\"}}\n",
      head);
  cleanup_free char *t2 = xasprintf (
      "%s  n1: {host: a, address: 10.0.0.1, service: {x: 1}, env: {ZOO_X: 1, ETCD_X: 2},"
      " client_port: 9, command: [x]}\n",
      head);
  cleanup_free char *t3 = xasprintf (
      "%s  a1: {host: a, address: 10.0.0.1, service: shell, after: [a2]}\n"
      "  a2: {host: a, address: 10.0.0.2, service: shell, after: [a1, b1]}\n"
      "  b1: {host: a, address: 10.0.0.3, service: shell, after: [b2]}\n"
      "  b2: {host: a, address: 10.0.0.4, service: shell, after: [b1]}\n",
      head);

  assert_null (parse (t1, &d));
  assert_int_equal (d.n, 1);
  assert_string_equal (d.v[0].msg,
                       "expected an IPv4 address like 203.0.113.10, got "
                       "'10.0.0.x'");
  labo_diags_free (&d);
  assert_null (parse (t2, &d));
  assert_int_equal (d.n, 1);
  assert_string_equal (d.v[0].msg,
                       "expected 'zookeeper', 'etcd' or 'shell' for 'service', found a mapping");
  labo_diags_free (&d);
  /* two loops (a1 a2, b1 b2), the second reachable from the first: two
   * errors, each at its first node's item */
  assert_null (parse (t3, &d));
  assert_int_equal (d.n, 2);
  assert_int_equal (d.v[0].line, 6);
  assert_string_equal (d.v[0].msg, "start order loops: a1 after a2 after a1");
  assert_int_equal (d.v[1].line, 8);
  assert_string_equal (d.v[1].msg, "start order loops: b1 after b2 after b1");
  labo_diags_free (&d);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_bad_corpus),     cmocka_unit_test (test_good_corpus),
    cmocka_unit_test (test_shipped_labs),   cmocka_unit_test (test_seed_file),
    cmocka_unit_test (test_seed_builtin),   cmocka_unit_test (test_defaults_and_order),
    cmocka_unit_test (test_several_errors), cmocka_unit_test (test_load_and_print),
    cmocka_unit_test (test_lengths),        cmocka_unit_test (test_docker_model),
    cmocka_unit_test (test_docker_defaults), cmocka_unit_test (test_docker_cascades),
    cmocka_unit_test (test_process_runtime), cmocka_unit_test (test_by_hand),
    cmocka_unit_test (test_node_kinds), cmocka_unit_test (test_node_kinds_cascades),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
