/* Unit tests for `labo graph`'s core: the lab and its status as vertices
 * and edges (pure), and the DOT, Mermaid, JSON and SVG writers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "labo/engine/graph.h"
#include "labo/model/labfile.h"
#include "labo/util/util.h"

/* zk3, with a host-to-host link from zk1 to zk2 */
static const char zk3[]
    = "lab: zk3\n"
      "segments:\n"
      "  net: {subnet: 198.51.100.64/27, root: 198.51.100.65}\n"
      "hosts:\n"
      "  zk1: {docker: manager, links: [{segment: net, address: 198.51.100.66}]}\n"
      "  zk2: {docker: worker, links: [{segment: net, address: 198.51.100.67}]}\n"
      "  zk3: {docker: worker, links: [{segment: net, address: 198.51.100.68}]}\n"
      "links:\n"
      "  - endpoints: [{host: zk1, address: 10.9.0.0/31}, {host: zk2, address: 10.9.0.1/31}]\n"
      "overlay: {name: zk, subnet: 10.0.0.0/24}\n"
      "nodes:\n"
      "  zoo1: {host: zk1, address: 10.0.0.1, service: zookeeper}\n"
      "  zoo2: {host: zk2, address: 10.0.0.2, service: zookeeper}\n"
      "  zoo3: {host: zk3, address: 10.0.0.3, service: zookeeper}\n";

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

static long
vertex (const struct labo_graph *g, const char *id)
{
  for (size_t i = 0; i < g->n_v; i++)
    if (strcmp (g->v[i].id, id) == 0)
      return (long) i;
  fail_msg ("no vertex %s", id);
  return -1;
}

static size_t
count_edges (const struct labo_graph *g, enum labo_edge_type t)
{
  size_t n = 0;
  for (size_t i = 0; i < g->n_e; i++)
    n += g->e[i].type == t;
  return n;
}

static const struct labo_edge *
edge (const struct labo_graph *g, enum labo_edge_type t, const char *from, const char *to)
{
  for (size_t i = 0; i < g->n_e; i++)
    if (g->e[i].type == t && strcmp (g->v[g->e[i].from].id, from) == 0
        && strcmp (g->v[g->e[i].to].id, to) == 0)
      return &g->e[i];
  fail_msg ("no edge %s -- %s", from, to);
  return NULL;
}

static void
a_file_is_drawn_as_it_declares_its_lab (void **state)
{
  struct labo_lab *lab = parse (zk3);
  struct labo_graph *g = labo_graph_build (lab, NULL);
  const struct labo_vertex *h0, *n0, *ov;
  const struct labo_edge *e;

  assert_false (g->live);
  assert_string_equal (g->lab, "zk3");
  /* 3 hosts, 1 segment, the machine, the overlay, 3 nodes */
  assert_int_equal (g->n_v, 9);
  h0 = &g->v[vertex (g, "h0")];
  assert_int_equal (h0->type, LABO_VERTEX_HOST);
  assert_string_equal (h0->name, "zk1");
  assert_int_equal (h0->n_addresses, 2);
  assert_string_equal (h0->addresses[0], "198.51.100.66/27");
  assert_string_equal (h0->addresses[1], "10.9.0.0/31");
  assert_non_null (strstr (h0->label, "swarm manager"));
  assert_null (h0->state);
  assert_string_equal (g->v[vertex (g, "s0")].subnet, "198.51.100.64/27");
  ov = &g->v[vertex (g, "overlay")];
  assert_string_equal (ov->subnet, "10.0.0.0/24");
  n0 = &g->v[vertex (g, "n0")];
  assert_int_equal (n0->parent, vertex (g, "overlay"));
  assert_string_equal (n0->service, "zookeeper");
  assert_string_equal (n0->address, "10.0.0.1");
  assert_string_equal (n0->host, "h0");
  assert_int_equal (n0->myid, 1);
  assert_null (n0->state);

  assert_int_equal (count_edges (g, LABO_EDGE_LINK), 3);
  assert_int_equal (count_edges (g, LABO_EDGE_P2P), 1);
  assert_int_equal (count_edges (g, LABO_EDGE_ROOT), 1);
  assert_int_equal (count_edges (g, LABO_EDGE_RUNS_ON), 3);
  assert_int_equal (count_edges (g, LABO_EDGE_CUT), 0);
  e = edge (g, LABO_EDGE_LINK, "h1", "s0");
  assert_string_equal (e->ifname, "eth0");
  assert_string_equal (e->address, "198.51.100.67/27");
  assert_null (e->state);
  e = edge (g, LABO_EDGE_P2P, "h0", "h1");
  assert_string_equal (e->address, "10.9.0.0/31");
  assert_string_equal (e->peer_address, "10.9.0.1/31");
  assert_string_equal (edge (g, LABO_EDGE_ROOT, "root", "s0")->address, "198.51.100.65/27");
  edge (g, LABO_EDGE_RUNS_ON, "n2", "h2");
  labo_graph_free (g);
  labo_lab_free (lab);
}

/* What docs/status.md says `status --json` holds of modes and faults. */
static const char status_text[]
    = "{\"lab\": \"zk3\","
      " \"hosts\": [{\"name\": \"zk1\", \"power\": \"on\","
      "              \"interfaces\": [{\"ifname\": \"eth0\", \"state\": \"up\"}]},"
      "            {\"name\": \"zk2\", \"power\": \"on\"},"
      "            {\"name\": \"zk3\", \"power\": \"off\"}],"
      " \"nodes\": [{\"name\": \"zoo1\", \"mode\": \"leader\"},"
      "            {\"name\": \"zoo2\", \"mode\": \"down\","
      "             \"supervision\": {\"state\": \"given up\"}},"
      "            {\"name\": \"zoo3\", \"mode\": \"down\"}],"
      " \"faults\": {"
      "   \"partitions\": [{\"from\": \"zk1\", \"to\": \"zk2\"}, {\"from\": \"zk2\", \"to\": \"zk1\"},"
      "                    {\"from\": \"zk1\", \"to\": \"zk3\"}, {\"from\": \"zk1\", \"to\": \"nowhere\"}],"
      "   \"powered_off\": [\"zk3\"],"
      "   \"links\": [{\"host\": \"zk2\", \"segment\": \"net\", \"state\": \"up\","
      "               \"settings\": \"delay 100ms, loss 2%\"},"
      "              {\"host\": \"zk1\", \"peer\": \"zk2\", \"state\": \"down\", \"settings\": \"\"}]}}";

static struct labo_graph *
live_graph (struct labo_lab **lab)
{
  json_error_t jerr;
  json_t *st = json_loads (status_text, 0, &jerr);
  struct labo_graph *g;
  if (st == NULL)
    fail_msg ("status_text: %s", jerr.text);
  *lab = parse (zk3);
  g = labo_graph_build (*lab, st);
  json_decref (st);
  return g;
}

static void
a_lab_up_shows_modes_power_cuts_and_link_settings (void **state)
{
  struct labo_lab *lab;
  struct labo_graph *g = live_graph (&lab);
  const struct labo_edge *e;

  assert_true (g->live);
  assert_string_equal (g->v[vertex (g, "n0")].state, "leader");
  assert_string_equal (g->v[vertex (g, "n1")].state, "given up"); /* the supervisor's word wins */
  assert_string_equal (g->v[vertex (g, "n2")].state, "down");
  assert_non_null (strstr (g->v[vertex (g, "n0")].label, "leader"));
  assert_string_equal (g->v[vertex (g, "h0")].state, "on");
  assert_string_equal (g->v[vertex (g, "h2")].state, "off");
  assert_non_null (strstr (g->v[vertex (g, "h2")].label, "POWERED OFF"));

  /* a two-way partition is one edge; a one-way cut its own; a host the
   * lab has not is left out */
  assert_int_equal (count_edges (g, LABO_EDGE_CUT), 2);
  e = edge (g, LABO_EDGE_CUT, "h0", "h1");
  assert_true (e->both_ways);
  assert_non_null (strstr (e->label, "x"));
  assert_false (edge (g, LABO_EDGE_CUT, "h0", "h2")->both_ways);

  e = edge (g, LABO_EDGE_LINK, "h1", "s0");
  assert_string_equal (e->state, "up");
  assert_string_equal (e->settings, "delay 100ms, loss 2%");
  assert_non_null (strstr (e->label, "delay 100ms"));
  assert_string_equal (edge (g, LABO_EDGE_LINK, "h0", "s0")->state, "up");
  assert_null (edge (g, LABO_EDGE_LINK, "h0", "s0")->settings);
  /* powered off: its link is down; pulled out: down */
  assert_string_equal (edge (g, LABO_EDGE_LINK, "h2", "s0")->state, "down");
  assert_string_equal (edge (g, LABO_EDGE_P2P, "h0", "h1")->state, "down");
  labo_graph_free (g);
  labo_lab_free (lab);
}

static void
dot_draws_shapes_colours_and_cuts (void **state)
{
  struct labo_lab *lab;
  struct labo_graph *g = live_graph (&lab);
  char *dot = labo_graph_dot (g);

  assert_non_null (strstr (dot, "graph \"zk3\" {"));
  assert_non_null (strstr (dot, "h0 [label=\"zk1\\ndocker (swarm manager)\\n198.51.100.66/27"));
  assert_non_null (strstr (dot, "shape=box"));
  assert_non_null (strstr (dot, "s0 [label=\"net\\n198.51.100.64/27\", shape=ellipse"));
  assert_non_null (strstr (dot, "subgraph cluster_overlay {"));
  assert_non_null (strstr (dot, labo_graph_state_color ("leader")));
  assert_non_null (strstr (dot, "h0 -- h1 [xlabel=\"x cut\", color=\"#d32f2f\""));
  assert_non_null (strstr (dot, "dir=both"));
  assert_non_null (strstr (dot, "dir=forward"));
  assert_string_equal (dot + strlen (dot) - 2, "}\n");
  free (dot);
  labo_graph_free (g);
  labo_lab_free (lab);
}

/* A graph made by hand, with what no lab file would let through: the
 * writers' quoting alone keeps the output well formed. */
static struct labo_graph *
hostile_graph (void)
{
  struct labo_graph *g = xcalloc (1, sizeof (*g));
  g->lab = xstrdup ("a\"b");
  g->n_v = 2;
  g->v = xcalloc (2, sizeof (*g->v));
  g->v[0] = (struct labo_vertex){ .type = LABO_VERTEX_HOST, .id = xstrdup ("h0"),
                                  .name = xstrdup ("x"), .parent = -1,
                                  .label = xstrdup ("q\"uote\\N back\nline\x01<b>&#|") };
  g->v[1] = (struct labo_vertex){ .type = LABO_VERTEX_SEGMENT, .id = xstrdup ("s0"),
                                  .name = xstrdup ("y"), .parent = -1, .label = xstrdup ("y") };
  g->n_e = 1;
  g->e = xcalloc (1, sizeof (*g->e));
  g->e[0] = (struct labo_edge){ .type = LABO_EDGE_LINK, .from = 0, .to = 1,
                                .label = xstrdup ("\"\\") };
  return g;
}

static void
dot_quotes_what_would_break_out_of_a_string (void **state)
{
  struct labo_graph *g = hostile_graph ();
  char *dot = labo_graph_dot (g);
  size_t len;
  char *svg;
  labo_error_t err = NULL;

  assert_non_null (strstr (dot, "graph \"a\\\"b\" {"));
  /* \N escaped: Graphviz would put the vertex's name there */
  assert_non_null (strstr (dot, "label=\"q\\\"uote\\\\N back\\nline?<b>&#|\""));
  assert_non_null (strstr (dot, "h0 -- s0 [label=\"\\\"\\\\\"]"));
  /* and Graphviz reads it back: the labels survive into the SVG */
  svg = labo_graph_svg (g, &len, &err);
  assert_non_null (svg);
  assert_non_null (strstr (svg, "q&quot;uote\\N back"));
  assert_non_null (strstr (svg, "&lt;b&gt;&amp;#|"));
  free (svg);
  free (dot);
  labo_graph_free (g);
}

static void
mermaid_is_a_flowchart_with_entities_for_its_specials (void **state)
{
  struct labo_graph *g = hostile_graph ();
  struct labo_lab *lab;
  char *m = labo_graph_mermaid (g);

  assert_non_null (strstr (m, "flowchart TB\n"));
  assert_non_null (strstr (m, "h0(\"q#quot;uote\\N back<br/>line?#lt;b#gt;#amp;#35;#124;\")"));
  assert_non_null (strstr (m, "h0 ---|\"#quot;\\\"| s0"));
  free (m);
  labo_graph_free (g);

  g = live_graph (&lab);
  m = labo_graph_mermaid (g);
  assert_non_null (strstr (m, "s0([\"net<br/>198.51.100.64/27\"])"));
  assert_non_null (strstr (m, "subgraph overlay\"overlay zk 10.0.0.0/24\"\n    n0("));
  assert_non_null (strstr (m, "h0 x-.-x|\"x cut\"| h1"));
  assert_non_null (strstr (m, "h0 -.-x|\"x cut (one way)\"| h2"));
  assert_non_null (strstr (m, "style n0 fill:#ffca28"));
  assert_non_null (strstr (m, "linkStyle "));
  free (m);
  labo_graph_free (g);
  labo_lab_free (lab);
}

static void
json_lists_nodes_and_edges_with_their_facts (void **state)
{
  struct labo_lab *lab;
  struct labo_graph *g = live_graph (&lab);
  json_t *j = labo_graph_json (g), *nodes, *edges, *o;
  size_t i;
  bool cut = false;

  assert_int_equal (json_integer_value (json_object_get (j, "schema")), 1);
  assert_true (json_is_true (json_object_get (j, "live")));
  nodes = json_object_get (j, "nodes");
  edges = json_object_get (j, "edges");
  assert_int_equal (json_array_size (nodes), g->n_v);
  assert_int_equal (json_array_size (edges), g->n_e);
  o = json_array_get (nodes, 0);
  assert_string_equal (json_string_value (json_object_get (o, "type")), "host");
  assert_string_equal (json_string_value (json_object_get (o, "name")), "zk1");
  assert_string_equal (json_string_value (json_array_get (json_object_get (o, "addresses"), 0)),
                       "198.51.100.66/27");
  json_array_foreach (nodes, i, o)
    if (strcmp (json_string_value (json_object_get (o, "id")), "n0") == 0)
      {
        assert_string_equal (json_string_value (json_object_get (o, "parent")), "overlay");
        assert_string_equal (json_string_value (json_object_get (o, "state")), "leader");
        assert_string_equal (json_string_value (json_object_get (o, "host")), "h0");
        assert_int_equal (json_integer_value (json_object_get (o, "myid")), 1);
      }
  json_array_foreach (edges, i, o)
    if (strcmp (json_string_value (json_object_get (o, "type")), "cut") == 0
        && json_is_true (json_object_get (o, "both_ways")))
      cut = true;
  assert_true (cut);
  json_decref (j);
  labo_graph_free (g);
  labo_lab_free (lab);
}

static void
svg_is_rendered_in_process_with_every_name (void **state)
{
  struct labo_lab *lab;
  struct labo_graph *g = live_graph (&lab);
  labo_error_t err = NULL;
  size_t len = 0;
  char *svg = labo_graph_svg (g, &len, &err);

  if (svg == NULL)
    labo_error_print (err);
  assert_non_null (svg);
  assert_int_equal (strlen (svg), len);
  assert_non_null (strstr (svg, "<svg"));
  assert_non_null (strstr (svg, "</svg>"));
  for (const char *const *n = (const char *const[]){ "zk1", "zk2", "zk3", "net", "zoo1", "zoo2",
                                                     "zoo3", NULL };
       *n; n++)
    assert_non_null (strstr (svg, *n));
  assert_non_null (strstr (svg, "#d32f2f")); /* the cut */
  free (svg);
  labo_graph_free (g);
  labo_lab_free (lab);
}

/* Every host cut from every other, one way and both, over host-to-host
 * links too, some powered off: Graphviz lays it all out and frees it
 * cleanly (under ASan: dot 2.42 once freed twice with two labelled cuts
 * from one host). */
static void
svg_survives_many_cuts_over_p2p_links (void **state)
{
  static const char text[]
      = "lab: cuts\n"
        "segments:\n"
        "  a: {subnet: 198.51.100.0/28, root: 198.51.100.1}\n"
        "  b: {subnet: 198.51.100.16/28}\n"
        "hosts:\n"
        "  h1: {links: [{segment: a, address: 198.51.100.2}]}\n"
        "  h2: {links: [{segment: a, address: 198.51.100.3}]}\n"
        "  h3: {links: [{segment: b, address: 198.51.100.18}]}\n"
        "  h4: {links: [{segment: b, address: 198.51.100.19}]}\n"
        "links:\n"
        "  - endpoints: [{host: h1, address: 10.9.0.0/31}, {host: h2, address: 10.9.0.1/31}]\n"
        "  - endpoints: [{host: h2, address: 10.9.0.2/31}, {host: h3, address: 10.9.0.3/31}]\n"
        "  - endpoints: [{host: h1, address: 10.9.0.4/31}, {host: h4, address: 10.9.0.5/31}]\n";
  const char *hosts[] = { "h1", "h2", "h3", "h4" };
  struct labo_lab *lab = parse (text);

  for (int round = 0; round < 3; round++)
    {
      json_t *parts = json_array ();
      json_t *st = json_pack ("{s:s, s:{s:o, s:[s]}}", "lab", "cuts", "faults", "partitions",
                              parts, "powered_off", round == 2 ? "h3" : "none");
      struct labo_graph *g;
      labo_error_t err = NULL;
      size_t len;
      char *svg;
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
          if (i != j && (round == 1 || i < j || (i + j) % 2))
            json_array_append_new (parts, json_pack ("{s:s, s:s}", "from", hosts[i], "to",
                                                     hosts[j]));
      g = labo_graph_build (lab, st);
      svg = labo_graph_svg (g, &len, &err);
      if (svg == NULL)
        labo_error_print (err);
      assert_non_null (svg);
      assert_non_null (strstr (svg, "x cut"));
      free (svg);
      labo_graph_free (g);
      json_decref (st);
    }
  labo_lab_free (lab);
}

static void
formats_are_four_names (void **state)
{
  enum labo_graph_format f;
  assert_int_equal (labo_graph_format_parse ("svg", &f), 0);
  assert_int_equal (f, LABO_GRAPH_SVG);
  assert_int_equal (labo_graph_format_parse ("mermaid", &f), 0);
  assert_string_equal (labo_graph_format_name (f), "mermaid");
  assert_int_equal (labo_graph_format_parse ("png", &f), -1);
  assert_int_equal (labo_graph_format_parse ("", &f), -1);
  assert_string_equal (labo_graph_state_color (NULL), "#ffffff");
  assert_string_equal (labo_graph_state_color ("no such mode"), "#ffffff");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (a_file_is_drawn_as_it_declares_its_lab),
    cmocka_unit_test (a_lab_up_shows_modes_power_cuts_and_link_settings),
    cmocka_unit_test (dot_draws_shapes_colours_and_cuts),
    cmocka_unit_test (dot_quotes_what_would_break_out_of_a_string),
    cmocka_unit_test (mermaid_is_a_flowchart_with_entities_for_its_specials),
    cmocka_unit_test (json_lists_nodes_and_edges_with_their_facts),
    cmocka_unit_test (svg_is_rendered_in_process_with_every_name),
    cmocka_unit_test (svg_survives_many_cuts_over_p2p_links),
    cmocka_unit_test (formats_are_four_names),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
