/* The gate between the machine and a lab: see include/labo/engine/gate.h. */
#include "labo/engine/gate.h"

#include <stdlib.h>
#include <string.h>

#include "labo/util/util.h"

static void
add (struct labo_nft_range **v, size_t *n, uint8_t proto, uint16_t lo, uint16_t hi)
{
  struct labo_nft_range *r = labo_array_push (v, n, sizeof (*r));
  *r = (struct labo_nft_range) { proto, lo, hi };
}

static int
cmp_range (const void *a, const void *b)
{
  const struct labo_nft_range *x = a, *y = b;
  if (x->proto != y->proto)
    return x->proto - y->proto;
  return x->lo != y->lo ? (x->lo < y->lo ? -1 : 1) : (x->hi < y->hi ? -1 : x->hi > y->hi);
}

/* Sorted, and overlapping or adjacent ranges of a protocol made one: as
 * few rules as the ports allow. */
static void
merge (struct labo_nft_range *v, size_t *n)
{
  size_t k = 0;
  if (*n == 0)
    return;
  qsort (v, *n, sizeof (*v), cmp_range);
  for (size_t i = 1; i < *n; i++)
    if (v[i].proto == v[k].proto && (unsigned) v[i].lo <= (unsigned) v[k].hi + 1)
      {
        if (v[i].hi > v[k].hi)
          v[k].hi = v[i].hi;
      }
    else
      v[++k] = v[i];
  *n = k + 1;
}

struct labo_gate *
labo_gates_build (const struct labo_lab *lab, const struct labo_plan *plan, size_t *n)
{
  struct labo_gate *g = NULL;

  *n = 0;
  for (size_t i = 0; i < plan->n_veths; i++)
    {
      const struct labo_plan_veth *v = &plan->veths[i];
      struct labo_gate *x;
      const struct labo_segment *seg;
      if (v->ns_b != LABO_NS_ROOT)
        continue;
      x = labo_array_push (&g, n, sizeof (*x));
      snprintf (x->port, sizeof (x->port), "%s", v->ifname_a);
      x->segment = (size_t) (v->master_a - LABO_BRIDGE_IFINDEX0);
      seg = &lab->segments[x->segment];
      if (seg->mapped)
        {
          x->mapped = true;
          x->map = (struct labo_nft_map) { labo_prefix_network (&seg->subnet),
                                           labo_prefix_network (&seg->outside), seg->subnet.len,
                                           seg->root_addr };
        }
      /* what the lab publishes, wherever it is: a published port is the
       * lab file's word that the machine may connect there */
      for (size_t k = 0; k < lab->n_nodes; k++)
        for (size_t p = 0; p < lab->nodes[k].n_ports; p++)
          add (&x->in, &x->n_in, LABO_PROTO_TCP, lab->nodes[k].ports[p].host_port,
               lab->nodes[k].ports[p].host_port);
      for (size_t h = 0; h < lab->n_hosts; h++)
        if (labo_host_api_port (&lab->hosts[h]) > 0)
          add (&x->in, &x->n_in, LABO_PROTO_TCP, (uint16_t) labo_host_api_port (&lab->hosts[h]),
               (uint16_t) labo_host_api_port (&lab->hosts[h]));
      for (size_t k = 0; k < seg->n_root_expose; k++)
        add (&x->in, &x->n_in, seg->root_expose[k].proto, seg->root_expose[k].lo,
             seg->root_expose[k].hi);
      for (size_t k = 0; k < seg->n_root_allow; k++)
        add (&x->out, &x->n_out, seg->root_allow[k].proto, seg->root_allow[k].lo,
             seg->root_allow[k].hi);
      merge (x->in, &x->n_in);
      merge (x->out, &x->n_out);
    }
  return g;
}

void
labo_gates_free (struct labo_gate *g, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (g[i].in);
      free (g[i].out);
    }
  free (g);
}

char *
labo_gate_ranges_text (const struct labo_nft_range *r, size_t n)
{
  char *s = xstrdup (n ? "" : "nothing");
  for (size_t i = 0; i < n; i++)
    {
      char *next;
      const char *proto = r[i].proto == LABO_PROTO_UDP ? "udp" : "tcp";
      if (r[i].lo == 1 && r[i].hi == 65535)
        next = xasprintf ("%s%sall/%s", s, i ? ", " : "", proto);
      else if (r[i].lo == r[i].hi)
        next = xasprintf ("%s%s%u/%s", s, i ? ", " : "", (unsigned) r[i].lo, proto);
      else
        next = xasprintf ("%s%s%u-%u/%s", s, i ? ", " : "", (unsigned) r[i].lo,
                          (unsigned) r[i].hi, proto);
      free (s);
      s = next;
    }
  return s;
}

int
labo_gates_apply (const struct labo_lab *lab, const struct labo_plan *plan, int switch_fd,
                  labo_error_t *err)
{
  size_t n = 0;
  struct labo_gate *g = labo_gates_build (lab, plan, &n);
  cleanup_free struct labo_nft_gate *ng = xcalloc (n ? n : 1, sizeof (*ng));
  int r;

  for (size_t i = 0; i < n; i++)
    ng[i] = (struct labo_nft_gate) { g[i].port, g[i].in, g[i].n_in, g[i].out, g[i].n_out,
                                     g[i].mapped ? &g[i].map : NULL };
  r = n == 0 ? 0 : labo_nft_set_gates (switch_fd, plan->switch_ns, ng, n, err);
  labo_gates_free (g, n);
  return r;
}
