/* The graph's writers (include/labo/engine/graph.h): Graphviz's DOT,
 * Mermaid's flowchart and JSON, from the vertices and edges alone. The
 * SVG is graph-svg.c's (the DOT, laid out by libgvc). */
#include "labo/engine/graph.h"

#include <stdlib.h>
#include <string.h>

#include "labo/util/util.h"

const char *const labo_graph_format_names[] = { "dot", "svg", "mermaid", "json", NULL };

int
labo_graph_format_parse (const char *s, enum labo_graph_format *out)
{
  static const enum labo_graph_format v[]
      = { LABO_GRAPH_DOT, LABO_GRAPH_SVG, LABO_GRAPH_MERMAID, LABO_GRAPH_JSON };
  for (size_t i = 0; labo_graph_format_names[i]; i++)
    if (strcmp (s, labo_graph_format_names[i]) == 0)
      {
        *out = v[i];
        return 0;
      }
  return -1;
}

const char *
labo_graph_format_name (enum labo_graph_format f)
{
  switch (f)
    {
    case LABO_GRAPH_DOT:
      return "dot";
    case LABO_GRAPH_SVG:
      return "svg";
    case LABO_GRAPH_MERMAID:
      return "mermaid";
    case LABO_GRAPH_JSON:
      return "json";
    default:
      return "?";
    }
}

/* Modes as colours: the leader stands out, serving is green, trouble is
 * red, what is not meant to run yet is grey. */
static const struct
{
  const char *state, *fill;
  bool dark; /* white text */
} colors[] = {
  { "leader", "#ffca28", false },     { "follower", "#a5d6a7", false },
  { "observer", "#90caf9", false },   { "standalone", "#90caf9", false },
  { "healthy", "#a5d6a7", false },    { "not serving", "#ffcc80", false },
  { "down", "#ef9a9a", false },       { "given up", "#c62828", true },
  { "not started", "#e0e0e0", false }, { "not made", "#e0e0e0", false },
  { "paused", "#b39ddb", false }, /* `labo pause`: frozen on purpose, neither down nor serving */
};

const char *
labo_graph_state_color (const char *state)
{
  if (state)
    for (size_t i = 0; i < sizeof (colors) / sizeof (colors[0]); i++)
      if (strcmp (colors[i].state, state) == 0)
        return colors[i].fill;
  return "#ffffff";
}

static bool
state_dark (const char *state)
{
  if (state)
    for (size_t i = 0; i < sizeof (colors) / sizeof (colors[0]); i++)
      if (strcmp (colors[i].state, state) == 0)
        return colors[i].dark;
  return false;
}

/* open_memstream fails only for memory, as xmalloc's callers never do */
static void __attribute__ ((noreturn))
out_of_memory (void)
{
  fputs ("labo: out of memory\n", stderr);
  abort ();
}

#define HOST_FILL "#e3f2fd"
#define HOST_OFF_FILL "#9e9e9e"
#define SEGMENT_FILL "#fff9c4"
#define ROOT_FILL "#f5f5f5"
#define CUT_COLOR "#d32f2f"
#define IMPAIRED_COLOR "#ef6c00"

static bool
is (const char *s, const char *want)
{
  return s && strcmp (s, want) == 0;
}

/* ---- DOT ---- */

/* s as a DOT quoted string: '"' and '\' escaped (a backslash would
 * otherwise start one of Graphviz's escapes, \N, \G...), a newline as
 * \n (a centred line break), other control characters as '?'. */
static void
dot_quote (FILE *f, const char *s)
{
  fputc ('"', f);
  for (; s && *s; s++)
    if (*s == '"' || *s == '\\')
      fprintf (f, "\\%c", *s);
    else if (*s == '\n')
      fputs ("\\n", f);
    else if ((unsigned char) *s < 0x20 || *s == 0x7f)
      fputc ('?', f);
    else
      fputc (*s, f);
  fputc ('"', f);
}

static void
dot_vertex (FILE *f, const struct labo_graph *g, const struct labo_vertex *v, const char *indent)
{
  fprintf (f, "%s%s [label=", indent, v->id);
  dot_quote (f, v->label);
  switch (v->type)
    {
    case LABO_VERTEX_HOST:
      fprintf (f, ", shape=box, style=\"rounded,filled%s\", fillcolor=\"%s\"",
               is (v->state, "off") ? ",dashed" : "",
               is (v->state, "off") ? HOST_OFF_FILL : HOST_FILL);
      break;
    case LABO_VERTEX_SEGMENT:
      fputs (", shape=ellipse, style=filled, fillcolor=\"" SEGMENT_FILL "\"", f);
      break;
    case LABO_VERTEX_ROOT:
      fputs (", shape=box3d, style=filled, fillcolor=\"" ROOT_FILL "\"", f);
      break;
    case LABO_VERTEX_NODE:
      fprintf (f, ", shape=box, style=\"rounded,filled%s\", fillcolor=\"%s\"%s",
               is (v->state, "down") || is (v->state, "given up") ? ",bold" : "",
               labo_graph_state_color (v->state),
               state_dark (v->state) ? ", fontcolor=\"#ffffff\"" : "");
      break;
    case LABO_VERTEX_OVERLAY:
    default:
      break;
    }
  (void) g;
  fputs ("];\n", f);
}

static void
dot_edge (FILE *f, const struct labo_graph *g, const struct labo_edge *e)
{
  /* A cut's words are an xlabel, placed once the layout is done: as a
   * label, dot (2.42, Debian 12) makes a node for each flat edge's label,
   * and two labelled flat edges from one host crash its gvFreeLayout
   * (a double free, seen under ASan with two cuts from one host). */
  fprintf (f, "  %s -- %s [%s=", g->v[e->from].id, g->v[e->to].id,
           e->type == LABO_EDGE_CUT ? "xlabel" : "label");
  dot_quote (f, e->label);
  switch (e->type)
    {
    case LABO_EDGE_RUNS_ON:
      fputs (", style=dotted, color=\"#757575\"", f);
      break;
    case LABO_EDGE_CUT:
      /* drawn beside the layout, not shaping it */
      fprintf (f, ", color=\"" CUT_COLOR "\", fontcolor=\"" CUT_COLOR "\", style=dashed, "
                  "penwidth=2, constraint=false, dir=%s, arrowhead=tee, arrowtail=tee",
               e->both_ways ? "both" : "forward");
      break;
    case LABO_EDGE_LINK:
    case LABO_EDGE_P2P:
    case LABO_EDGE_ROOT:
    default:
      if (is (e->state, "down"))
        fputs (", style=dashed, color=\"#9e9e9e\", fontcolor=\"#757575\"", f);
      else if (e->settings)
        fputs (", color=\"" IMPAIRED_COLOR "\", fontcolor=\"" IMPAIRED_COLOR "\", penwidth=2",
               f);
      break;
    }
  fputs ("];\n", f);
}

char *
labo_graph_dot (const struct labo_graph *g)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  cleanup_free char *title = xasprintf ("lab %s%s", g->lab, g->live ? "" : " (as its file declares it)");
  long overlay = -1;

  if (f == NULL)
    out_of_memory ();
  fputs ("graph ", f);
  dot_quote (f, g->lab);
  fputs (" {\n  graph [label=", f);
  dot_quote (f, title);
  fputs (", labelloc=t, fontname=\"Helvetica\", fontsize=14, nodesep=0.5, ranksep=0.8];\n"
         /* Graphviz measures text with its own Helvetica metrics; a viewer
          * may draw a wider sans: the margin keeps the text inside */
         "  node [fontname=\"Helvetica\", fontsize=10, margin=\"0.2,0.06\"];\n"
         "  edge [fontname=\"Helvetica\", fontsize=9];\n",
         f);
  for (size_t i = 0; i < g->n_v; i++)
    if (g->v[i].type == LABO_VERTEX_OVERLAY)
      overlay = (long) i;
    else if (g->v[i].parent < 0)
      dot_vertex (f, g, &g->v[i], "  ");
  if (overlay >= 0)
    {
      fprintf (f, "  subgraph cluster_%s {\n    label=", g->v[overlay].id);
      dot_quote (f, g->v[overlay].label);
      fputs (";\n    style=\"rounded,dashed\"; color=\"#7e57c2\"; fontcolor=\"#4527a0\";\n", f);
      for (size_t i = 0; i < g->n_v; i++)
        if (g->v[i].parent == overlay)
          dot_vertex (f, g, &g->v[i], "    ");
      fputs ("  }\n", f);
    }
  for (size_t i = 0; i < g->n_e; i++)
    dot_edge (f, g, &g->e[i]);
  fputs ("}\n", f);
  if (fclose (f) != 0)
    out_of_memory ();
  return buf;
}

/* ---- Mermaid ---- */

/* s inside a Mermaid "quoted" label: what Mermaid or the HTML it makes
 * would read (quotes, '<', '>', '&', '#', '|') as its entity codes, a
 * newline as <br/>, control characters as '?'. */
static void
mermaid_quote (FILE *f, const char *s)
{
  fputc ('"', f);
  for (; s && *s; s++)
    switch (*s)
      {
      case '"':
        fputs ("#quot;", f);
        break;
      case '<':
        fputs ("#lt;", f);
        break;
      case '>':
        fputs ("#gt;", f);
        break;
      case '&':
        fputs ("#amp;", f);
        break;
      case '#':
        fputs ("#35;", f);
        break;
      case '|':
        fputs ("#124;", f);
        break;
      case '\n':
        fputs ("<br/>", f);
        break;
      default:
        fputc ((unsigned char) *s < 0x20 || *s == 0x7f ? '?' : *s, f);
        break;
      }
  fputc ('"', f);
}

static void
mermaid_vertex (FILE *f, const struct labo_vertex *v, const char *indent)
{
  const char *open = "[", *close = "]";
  if (v->type == LABO_VERTEX_SEGMENT)
    open = "([", close = "])"; /* a stadium: Mermaid's nearest to an ellipse */
  else if (v->type == LABO_VERTEX_ROOT)
    open = "[[", close = "]]";
  else if (v->type == LABO_VERTEX_HOST || v->type == LABO_VERTEX_NODE)
    open = "(", close = ")"; /* rounded */
  fprintf (f, "%s%s%s", indent, v->id, open);
  mermaid_quote (f, v->label);
  fprintf (f, "%s\n", close);
}

static void
mermaid_styles (FILE *f, const struct labo_vertex *v)
{
  switch (v->type)
    {
    case LABO_VERTEX_HOST:
      fprintf (f, "  style %s fill:%s,stroke:#1565c0%s\n", v->id,
               is (v->state, "off") ? HOST_OFF_FILL : HOST_FILL,
               is (v->state, "off") ? ",stroke-dasharray:5 5" : "");
      break;
    case LABO_VERTEX_SEGMENT:
      fprintf (f, "  style %s fill:" SEGMENT_FILL ",stroke:#f9a825\n", v->id);
      break;
    case LABO_VERTEX_NODE:
      fprintf (f, "  style %s fill:%s,stroke:#424242%s\n", v->id, labo_graph_state_color (v->state),
               state_dark (v->state) ? ",color:#ffffff" : "");
      break;
    case LABO_VERTEX_OVERLAY:
      fprintf (f, "  style %s fill:#ede7f6,stroke:#7e57c2,stroke-dasharray:5 5\n", v->id);
      break;
    case LABO_VERTEX_ROOT:
    default:
      break;
    }
}

char *
labo_graph_mermaid (const struct labo_graph *g)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  long overlay = -1;

  if (f == NULL)
    out_of_memory ();
  fputs ("---\ntitle: ", f);
  mermaid_quote (f, g->lab);
  fputs ("\n---\nflowchart TB\n", f);
  for (size_t i = 0; i < g->n_v; i++)
    if (g->v[i].type == LABO_VERTEX_OVERLAY)
      overlay = (long) i;
    else if (g->v[i].parent < 0)
      mermaid_vertex (f, &g->v[i], "  ");
  if (overlay >= 0)
    {
      fprintf (f, "  subgraph %s", g->v[overlay].id);
      mermaid_quote (f, g->v[overlay].label);
      fputc ('\n', f);
      for (size_t i = 0; i < g->n_v; i++)
        if (g->v[i].parent == overlay)
          mermaid_vertex (f, &g->v[i], "    ");
      fputs ("  end\n", f);
    }
  for (size_t i = 0; i < g->n_e; i++)
    {
      const struct labo_edge *e = &g->e[i];
      const char *arrow = "---";
      if (e->type == LABO_EDGE_RUNS_ON || is (e->state, "down"))
        arrow = "-.-";
      else if (e->type == LABO_EDGE_CUT)
        arrow = e->both_ways ? "x-.-x" : "-.-x";
      fprintf (f, "  %s %s", g->v[e->from].id, arrow);
      if (e->label && *e->label)
        {
          fputc ('|', f);
          mermaid_quote (f, e->label);
          fputc ('|', f);
        }
      fprintf (f, " %s\n", g->v[e->to].id);
    }
  for (size_t i = 0; i < g->n_v; i++)
    mermaid_styles (f, &g->v[i]);
  /* links are numbered in the order they were written */
  for (size_t i = 0; i < g->n_e; i++)
    {
      const struct labo_edge *e = &g->e[i];
      if (e->type == LABO_EDGE_CUT)
        fprintf (f, "  linkStyle %zu stroke:" CUT_COLOR ",stroke-width:2px,color:" CUT_COLOR "\n",
                 i);
      else if (e->settings && !is (e->state, "down"))
        fprintf (f, "  linkStyle %zu stroke:" IMPAIRED_COLOR ",stroke-width:2px\n", i);
      else if (is (e->state, "down"))
        fprintf (f, "  linkStyle %zu stroke:#9e9e9e\n", i);
    }
  if (fclose (f) != 0)
    out_of_memory ();
  return buf;
}

/* ---- JSON ---- */

static const char *
vertex_type_name (enum labo_vertex_type t)
{
  switch (t)
    {
    case LABO_VERTEX_HOST:
      return "host";
    case LABO_VERTEX_SEGMENT:
      return "segment";
    case LABO_VERTEX_ROOT:
      return "root";
    case LABO_VERTEX_OVERLAY:
      return "overlay";
    case LABO_VERTEX_NODE:
      return "node";
    default:
      return "?";
    }
}

static const char *
edge_type_name (enum labo_edge_type t)
{
  switch (t)
    {
    case LABO_EDGE_LINK:
      return "link";
    case LABO_EDGE_P2P:
      return "p2p";
    case LABO_EDGE_ROOT:
      return "root";
    case LABO_EDGE_RUNS_ON:
      return "runs-on";
    case LABO_EDGE_CUT:
      return "cut";
    default:
      return "?";
    }
}

static void
set_str (json_t *o, const char *key, const char *val)
{
  if (val)
    json_object_set_new (o, key, json_string (val));
}

json_t *
labo_graph_json (const struct labo_graph *g)
{
  json_t *nodes = json_array (), *edges = json_array ();

  for (size_t i = 0; i < g->n_v; i++)
    {
      const struct labo_vertex *v = &g->v[i];
      json_t *o = json_pack ("{s:s, s:s, s:s, s:s}", "id", v->id, "type",
                             vertex_type_name (v->type), "name", v->name, "label", v->label);
      if (v->parent >= 0)
        json_object_set_new (o, "parent", json_string (g->v[v->parent].id));
      if (v->type == LABO_VERTEX_HOST)
        {
          json_t *a = json_array ();
          for (size_t k = 0; k < v->n_addresses; k++)
            json_array_append_new (a, json_string (v->addresses[k]));
          json_object_set_new (o, "addresses", a);
        }
      set_str (o, "subnet", v->subnet);
      set_str (o, "service", v->service);
      set_str (o, "address", v->address);
      set_str (o, "host", v->host);
      if (v->type == LABO_VERTEX_NODE)
        {
          json_object_set_new (o, "myid", v->myid ? json_integer (v->myid) : json_null ());
          json_object_set_new (o, "start", json_string (v->by_hand ? "by-hand" : "auto"));
        }
      if (v->type == LABO_VERTEX_HOST || v->type == LABO_VERTEX_NODE)
        {
          json_object_set_new (o, "state", v->state ? json_string (v->state) : json_null ());
          if (v->type == LABO_VERTEX_NODE)
            json_object_set_new (o, "color", json_string (labo_graph_state_color (v->state)));
        }
      json_array_append_new (nodes, o);
    }
  for (size_t i = 0; i < g->n_e; i++)
    {
      const struct labo_edge *e = &g->e[i];
      json_t *o = json_pack ("{s:s, s:s, s:s, s:s}", "from", g->v[e->from].id, "to",
                             g->v[e->to].id, "type", edge_type_name (e->type), "label",
                             e->label ? e->label : "");
      set_str (o, "interface", e->ifname);
      set_str (o, "address", e->address);
      set_str (o, "peer_interface", e->peer_ifname);
      set_str (o, "peer_address", e->peer_address);
      if (e->type == LABO_EDGE_CUT)
        json_object_set_new (o, "both_ways", json_boolean (e->both_ways));
      else if (e->type != LABO_EDGE_RUNS_ON)
        {
          json_object_set_new (o, "state", e->state ? json_string (e->state) : json_null ());
          json_object_set_new (o, "settings", e->settings ? json_string (e->settings)
                                                          : json_null ());
        }
      json_array_append_new (edges, o);
    }
  return json_pack ("{s:i, s:s, s:b, s:o, s:o}", "schema", LABO_GRAPH_SCHEMA, "lab", g->lab,
                    "live", g->live, "nodes", nodes, "edges", edges);
}
