/* A lab as a picture (`labo graph`): its hosts, segments, links, overlay
 * and nodes as a list of vertices and edges with their attributes, built
 * from the model and, for a lab that is up, its status JSON (modes, cuts,
 * powered-off hosts, link settings). The construction is pure (no system
 * call), so it is unit-tested; the writers turn it into Graphviz's DOT,
 * Mermaid's flowchart, JSON, or SVG rendered by Graphviz's C library
 * (libgvc: labo runs no external tool). docs/json.md documents the JSON. */
#ifndef LABO_GRAPH_H
#define LABO_GRAPH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "labo/model/lab.h"
#include "labo/util/error.h"

#define LABO_GRAPH_SCHEMA 1

enum labo_vertex_type
{
  LABO_VERTEX_HOST,    /* an emulated machine: a box */
  LABO_VERTEX_SEGMENT, /* a layer-2 domain: an ellipse */
  LABO_VERTEX_ROOT,    /* the machine itself, on segments with a root address */
  LABO_VERTEX_OVERLAY, /* the overlay: drawn as a cluster holding its nodes */
  LABO_VERTEX_NODE,    /* a node (container or process) on a host */
};

enum labo_edge_type
{
  LABO_EDGE_LINK,    /* host -- segment, the host's interface and address */
  LABO_EDGE_P2P,     /* host -- host */
  LABO_EDGE_ROOT,    /* root -- segment, the machine's address on it */
  LABO_EDGE_RUNS_ON, /* node -- its host */
  LABO_EDGE_CUT,     /* host -> host: a partition in force (live only) */
};

struct labo_vertex
{
  enum labo_vertex_type type;
  char *id;     /* unique, [a-z0-9_]: h0, s1, root, overlay, n2 */
  char *name;   /* as the lab file says */
  char *label;  /* lines separated by '\n': what the picture shows */
  long parent;  /* index of the vertex whose cluster holds it (a node's overlay), or -1 */
  /* Live state (NULL without one). Hosts: "on", "off" (powered off).
   * Nodes: status's mode ("leader", "follower", "healthy", "down", "not
   * started", ...) or "given up" (the supervisor's). */
  char *state;
  /* Facts kept for the JSON: the host's addresses ("a.b.c.d/len" each),
   * a segment's or the overlay's subnet, a node's kind, overlay address
   * and host id. NULL when they do not apply. */
  char **addresses;
  size_t n_addresses;
  char *subnet;
  char *service;
  char *address;
  char *host;
  int myid;     /* ZooKeeper nodes; 0 otherwise */
  bool by_hand; /* a node whose service the attendee starts */
};

struct labo_edge
{
  enum labo_edge_type type;
  size_t from, to; /* vertex indexes */
  char *label;     /* lines separated by '\n'; may be "" */
  char *ifname;    /* the host's interface (LINK, P2P), or NULL */
  char *address;   /* the host's (LINK) or the machine's (ROOT) address, "a.b.c.d/len" */
  char *peer_ifname, *peer_address; /* P2P: the other host's end */
  /* Live state: "up", "down" (pulled out, or an end powered off); a cut is
   * its own edge (LABO_EDGE_CUT; both_ways when the two cuts of a
   * partition are in force). NULL without live state. */
  char *state;
  char *settings;  /* link settings in force ("delay 100ms, loss 2%"), or NULL */
  bool both_ways;  /* CUT only */
};

struct labo_graph
{
  char *lab;
  bool live; /* built with a status: states are meaningful */
  struct labo_vertex *v;
  size_t n_v;
  struct labo_edge *e;
  size_t n_e;
};

/* Builds the graph of a validated lab; status (labo_status_json's object,
 * docs/status.md) adds the live state, or is NULL (a lab file: the lab as
 * it declares it). Never fails (allocation aborts). */
struct labo_graph *labo_graph_build (const struct labo_lab *lab, json_t *status);
void labo_graph_free (struct labo_graph *g);
void labo_graph_freep (struct labo_graph **g);
#define cleanup_graph __attribute__ ((cleanup (labo_graph_freep)))

/* The formats `labo graph --format` takes. */
enum labo_graph_format
{
  LABO_GRAPH_DOT,
  LABO_GRAPH_SVG,
  LABO_GRAPH_MERMAID,
  LABO_GRAPH_JSON,
};
/* "dot", "svg", "mermaid", "json"; -1 for another name. */
int labo_graph_format_parse (const char *s, enum labo_graph_format *out);
const char *labo_graph_format_name (enum labo_graph_format f);
/* The formats' names, NULL-terminated (did-you-mean, help). */
extern const char *const labo_graph_format_names[];

/* The writers. DOT and Mermaid quote every name and label (a lab file's
 * text can hold any byte but NUL); each returns a new string. */
char *labo_graph_dot (const struct labo_graph *g);
char *labo_graph_mermaid (const struct labo_graph *g);
json_t *labo_graph_json (const struct labo_graph *g);
/* The DOT laid out by Graphviz's dot and rendered as SVG, in this
 * process; a new string (its length in *len), or NULL with err set. */
char *labo_graph_svg (const struct labo_graph *g, size_t *len, labo_error_t *err);

/* The fill colour a node's state is drawn in ("#rrggbb"); the file's
 * colour (no state) is white. Shared by the DOT and Mermaid writers. */
const char *labo_graph_state_color (const char *state);

#endif
