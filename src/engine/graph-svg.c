/* The graph as SVG (include/labo/engine/graph.h): its DOT laid out by
 * Graphviz's dot and rendered by Graphviz's C library, in this process.
 * labo runs no external program (tests/integration/t-netlink-only.sh),
 * and libgvc is Graphviz itself: the same layout `dot -Tsvg` makes. */
#include "labo/engine/graph.h"

#include <errno.h>
#include <graphviz/gvc.h>
#include <graphviz/gvplugin.h>
#include <stdlib.h>
#include <string.h>

#include "labo/util/util.h"

/* Graphviz's plugins linked in (the Makefile): the dot layout, and the core
 * renderers (svg among them). Nothing else is loaded: the output is the
 * same on every machine, and no font library runs (text is measured with
 * Graphviz's own Helvetica metrics). */
extern gvplugin_library_t gvplugin_dot_layout_LTX_library;
extern gvplugin_library_t gvplugin_core_LTX_library;
static const lt_symlist_t builtin_plugins[] = {
  { "gvplugin_dot_layout_LTX_library", &gvplugin_dot_layout_LTX_library },
  { "gvplugin_core_LTX_library", &gvplugin_core_LTX_library },
  { NULL, NULL },
};

#ifdef __SANITIZE_ADDRESS__
/* The sanitized builds (make check): the dot layout of libgvc 2.42
 * (Debian 12) leaks the virtual and auxiliary edges it makes for
 * clusters and for constraint=false edges (virtual_edge, make_aux_edge),
 * a few hundred bytes a drawing, fixed in later Graphviz. Its allocator is
 * libgvc's gmalloc, built without frame pointers: the sanitizer's stack
 * stops there, so the suppression names that library. Only memory libgvc
 * allocated is let through: the graph labo reads (libcgraph's) and
 * labo's own still fail the build. */
const char *__lsan_default_suppressions (void);
const char *
__lsan_default_suppressions (void)
{
  return "leak:libgvc.so\n";
}
/* and says nothing of it on stderr, which tests read */
const char *__lsan_default_options (void);
const char *
__lsan_default_options (void)
{
  return "print_suppressions=0";
}
#endif
/* Graphviz reports through a global callback: its messages are gathered
 * here for the error (the CLI is one thread; the supervisor draws
 * nothing). */
static char *gv_messages;

static int
gv_collect (char *msg)
{
  size_t l = gv_messages ? strlen (gv_messages) : 0;
  if (l < 1000)
    {
      char *t = xasprintf ("%s%s", gv_messages ? gv_messages : "", msg);
      free (gv_messages);
      gv_messages = t;
    }
  return 0;
}

/* The first line of what Graphviz said, or a default. */
static const char *
gv_said (const char *otherwise)
{
  if (gv_messages == NULL || *gv_messages == '\0')
    return otherwise;
  gv_messages[strcspn (gv_messages, "\n")] = '\0';
  return gv_messages;
}

/* One context for the process, made at the first drawing and kept, as
 * Graphviz's own dot keeps it: libgvc 2.42 frees a context's plugin
 * records only in part, so a context freed per drawing would leak each
 * time (and fail the sanitized builds). */
static GVC_t *
gv_context (void)
{
  static GVC_t *gvc;
  if (gvc == NULL)
    gvc = gvContextPlugins (builtin_plugins, 0);
  return gvc;
}

char *
labo_graph_svg (const struct labo_graph *g, size_t *len, labo_error_t *err)
{
  cleanup_free char *dot = labo_graph_dot (g);
  GVC_t *gvc;
  Agraph_t *G;
  char *data = NULL, *out = NULL;
  unsigned int n = 0;
  agusererrf was = agseterrf (gv_collect);

  free (gv_messages);
  gv_messages = NULL;
  gvc = gv_context ();
  if (gvc == NULL)
    {
      labo_error_make (err, ENOMEM, "drawing lab %s: Graphviz's context could not be made",
                       g->lab);
      goto out;
    }
  G = agmemread (dot);
  if (G == NULL)
    {
      labo_error_make (err, EINVAL, "drawing lab %s: Graphviz read no graph from labo's DOT: %s",
                       g->lab, gv_said ("no message"));
      goto out;
    }
  if (gvLayout (gvc, G, "dot") != 0)
    labo_error_make (err, EINVAL, "drawing lab %s: Graphviz's dot layout failed: %s", g->lab,
                     gv_said ("is libgvc6 installed with its plugins?"));
  else
    {
      if (gvRenderData (gvc, G, "svg", &data, &n) != 0 || data == NULL)
        labo_error_make (err, EINVAL, "drawing lab %s: Graphviz rendered no SVG: %s", g->lab,
                         gv_said ("is libgvc6 installed with its plugins?"));
      else
        {
          out = xmalloc ((size_t) n + 1);
          memcpy (out, data, n);
          out[n] = '\0';
          *len = n;
        }
      if (data)
        gvFreeRenderData (data);
      gvFreeLayout (gvc, G);
    }
  agclose (G);
out:
  agseterrf (was);
  free (gv_messages);
  gv_messages = NULL;
  return out;
}
