/* Bringing a lab up: checks, then namespaces, bridges, veths, addresses and
 * routes in batches, every namespace journalled before it is made; on any
 * failure, the teardown of what the journal holds. See include/labo/engine/engine.h. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "labo/runtime/docker_up.h"
#include "labo/engine/deploy.h"
#include "labo/engine/engine.h"
#include "labo/runtime/logs.h"
#include "labo/engine/gate.h"
#include "labo/engine/links.h"
#include "labo/net/inspect.h"
#include "labo/net/netlink.h"
#include "labo/net/netns.h"
#include "labo/model/copy.h"
#include "labo/model/plan.h"
#include "labo/runtime/runtime.h"
#include "labo/model/state.h"
#include "labo/util/util.h"
#include "labo/zk/zkdata.h"

struct build
{
  const struct labo_lab *lab;
  const struct labo_plan *plan;
  struct labo_state *st;
  int root_fd;          /* the namespace labo was started in */
  int switch_fd;
  struct labo_nl sw;    /* socket in the switch namespace */
  struct labo_nl root;  /* socket in the root namespace */
  struct labo_nl *host; /* one per host, in its namespace */
};

/* Addresses the machine itself talks to, by file: a nameserver or an
 * /etc/hosts entry inside a segment's subnet would be cut off from the
 * machine once the lab's root address routes that subnet into the lab (on
 * CI machines the package mirror is such an entry). Returns a description
 * of the first one inside `net`, or NULL. */
static char *
machine_uses (const struct labo_prefix *net)
{
  static const struct
  {
    const char *path, *key;
  } files[] = { { "/etc/resolv.conf", "nameserver" }, { "/etc/hosts", NULL } };

  for (size_t f = 0; f < sizeof (files) / sizeof (files[0]); f++)
    {
      cleanup_free char *text = labo_read_file (files[f].path, NULL);
      char *line, *save = NULL;
      for (line = text ? strtok_r (text, "\n", &save) : NULL; line;
           line = strtok_r (NULL, "\n", &save))
        {
          char word[64], addr[64], name[128] = "";
          uint32_t a;
          if (files[f].key)
            {
              if (sscanf (line, "%63s %63s", word, addr) != 2 || strcmp (word, files[f].key) != 0)
                continue;
            }
          else if (sscanf (line, "%63s %127s", addr, name) < 1 || addr[0] == '#')
            continue;
          if (labo_ipv4_parse (addr, &a) == 0 && labo_prefix_contains (net, a))
            return xasprintf ("%s %s%s%s in %s", addr, files[f].key ? "(nameserver)" : "(",
                              files[f].key ? "" : name, files[f].key ? "" : ")", files[f].path);
        }
    }
  return NULL;
}

static int write_meta (struct build *b, const char *state, labo_error_t *err);

/* What of the machine a root subnet `net` would collide with: an address
 * of the root namespace in it, a route overlapping it, or something the
 * machine talks to inside it. A description (caller frees), or NULL. */
struct machine_view
{
  struct labo_ifinfo *ifs;
  size_t n_ifs;
  struct labo_prefix *routes;
  size_t n_routes;
};

static char *
root_conflict (const struct machine_view *m, const struct labo_prefix *net)
{
  char p1[20];
  char *used;

  for (size_t i = 0; i < m->n_ifs; i++)
    for (size_t a = 0; a < m->ifs[i].n_addrs; a++)
      if (labo_prefix_overlap (&m->ifs[i].addrs[a], net))
        return xasprintf ("the root namespace already has %s on %s%s%s%s",
                          labo_prefix_format (&m->ifs[i].addrs[a], p1), m->ifs[i].ifname,
                          m->ifs[i].alias[0] ? " (" : "", m->ifs[i].alias,
                          m->ifs[i].alias[0] ? ")" : "");
  for (size_t r = 0; r < m->n_routes; r++)
    if (labo_prefix_overlap (&m->routes[r], net))
      return xasprintf ("the root namespace already routes %s",
                        labo_prefix_format (&m->routes[r], p1));
  if ((used = machine_uses (net)) != NULL)
    {
      char *s = xasprintf ("the machine uses %s", used);
      free (used);
      return s;
    }
  return NULL;
}

static int
machine_view_read (struct machine_view *m, labo_error_t *err)
{
  *m = (struct machine_view) { NULL, 0, NULL, 0 };
  if (labo_inspect (-1, "the root namespace", &m->ifs, &m->n_ifs, err) < 0)
    return -1;
  if (labo_inspect_routes (&m->routes, &m->n_routes, err) < 0)
    {
      free (steal_ptr (&m->ifs));
      return -1;
    }
  return 0;
}

static void
machine_view_free (struct machine_view *m)
{
  free (m->ifs);
  free (m->routes);
}

/* Refuses to start where the lab would collide with what is already there:
 * its names taken, or a root address that would take a subnet the machine
 * already uses (an address, a route, a nameserver or a named host in it). */
static int
precheck (struct build *b, labo_error_t *err)
{
  const struct labo_lab *lab = b->lab;
  __attribute__ ((cleanup (machine_view_free))) struct machine_view m = { 0 };
  char p2[20];

  if (labo_netns_exists (b->plan->switch_ns))
    return labo_error_make (err, 0,
                            "namespace %s already exists: is lab '%s' up already? "
                            "(`labo status %s`, `labo down %s`)",
                            b->plan->switch_ns, lab->name, lab->name, lab->name);
  for (size_t h = 0; h < b->plan->n_hosts; h++)
    if (labo_netns_exists (b->plan->host_ns[h]))
      return labo_error_make (err, 0,
                              "namespace %s already exists and is not part of a running lab "
                              "'%s': remove it (`labo down %s`) or rename the lab",
                              b->plan->host_ns[h], lab->name, lab->name);

  if (machine_view_read (&m, err) < 0)
    return -1;
  for (size_t s = 0; s < lab->n_segments; s++)
    {
      const struct labo_segment *seg = &lab->segments[s];
      struct labo_prefix net = labo_segment_root_subnet (seg);
      cleanup_free char *why = NULL;
      if (!seg->has_root)
        continue;
      if (labo_inspect_find (m.ifs, m.n_ifs, seg->root_ifname) && lab->copy_of)
        return labo_error_make (err, 0,
                                "interface %s (copy %s's root link to segment '%s') already "
                                "exists in the root namespace: name the copy otherwise",
                                seg->root_ifname, lab->name, seg->name);
      if (labo_inspect_find (m.ifs, m.n_ifs, seg->root_ifname))
        return labo_error_make (err, 0,
                                "%s:%d:%d: interface %s already exists in the root namespace; "
                                "set root.ifname for segment '%s'",
                                lab->file, seg->root_pos.line, seg->root_pos.col,
                                seg->root_ifname, seg->name);
      if ((why = root_conflict (&m, &net)) == NULL)
        continue;
      if (seg->mapped)
        return labo_error_make (err, 0,
                                "%s, which overlaps the block %s that copy %s has for segment "
                                "'%s'", why, labo_prefix_format (&net, p2), lab->name, seg->name);
      return labo_error_make (err, 0,
                              "%s:%d:%d: %s, which overlaps segment '%s' (%s): a root address "
                              "there would make the machine's routing ambiguous or cut the "
                              "machine off from it; use another subnet (e.g. 198.51.100.0/24) "
                              "or drop `root`",
                              lab->file, seg->subnet_pos.line, seg->subnet_pos.col, why,
                              seg->name, labo_prefix_format (&net, p2));
    }
  return 0;
}

static bool
block_busy (const struct labo_prefix *block, void *ctx)
{
  cleanup_free char *why = root_conflict (ctx, block);
  return why != NULL;
}

/* A copy's blocks from the pool (include/labo/model/copy.h), one per root
 * link, the first free ones: not another lab's (their meta says which they
 * hold), not the machine's. Taken under the pool's lock and kept in the
 * copy's meta before the lock goes, so that copies brought up at once
 * never take the same block. */
static int
take_blocks (struct labo_lab *lab, struct labo_state *st, size_t hint, labo_error_t *err)
{
  __attribute__ ((cleanup (machine_view_free))) struct machine_view m = { 0 };
  cleanup_free char *lock_path = xasprintf ("%s/pool.lock", labo_run_dir ());
  cleanup_free struct labo_prefix *used = NULL;
  cleanup_close int lock = -1;
  struct labo_prefix pool;
  char **labs = NULL;
  size_t n_labs = 0, n_used = 0;
  char p1[20], p2[20];

  if (lab->copy_of == NULL)
    return 0;
  if (labo_pool_get (&pool, err) < 0 || machine_view_read (&m, err) < 0)
    return -1;
  if ((lock = labo_state_lock (lock_path, err)) < 0
      || labo_state_list (&labs, &n_labs, err) < 0)
    return -1;
  for (size_t i = 0; i < n_labs; i++)
    {
      cleanup_free char *roots = NULL;
      if (strcmp (labs[i], lab->name) != 0 && (roots = labo_state_meta (labs[i], "roots")))
        labo_copy_roots_prefixes (roots, &used, &n_used);
    }
  labo_strv_free (labs, n_labs);
  for (size_t s = 0; s < lab->n_segments; s++)
    {
      struct labo_segment *seg = &lab->segments[s];
      if (!seg->has_root)
        continue;
      /* copy k of `--copies` on the pool's k-th block when it is free: the
       * room's numbers stay in step (attendee-3 on 198.18.2.0/24) */
      struct labo_prefix want = { 0, seg->subnet.len };
      uint64_t off = (uint64_t) (hint - 1) << (32 - seg->subnet.len);
      bool hinted = false;
      if (hint > 0 && seg->subnet.len >= pool.len
          && off < ((uint64_t) 1 << (32 - pool.len)))
        {
          want.addr = labo_prefix_network (&pool) + (uint32_t) off;
          hinted = !block_busy (&want, &m);
          for (size_t u = 0; u < n_used && hinted; u++)
            hinted = !labo_prefix_overlap (&want, &used[u]);
        }
      if (hinted)
        seg->outside = want;
      else if (labo_pool_pick (&pool, seg->subnet.len, used, n_used, block_busy, &m,
                               &seg->outside) < 0)
        return labo_error_make (err, 0,
                                "the pool %s has no free /%u left for copy %s's segment '%s' "
                                "(%s): %zu block%s taken by other copies; bring some down "
                                "(`labo ls`, `labo down NAME`) or give a larger pool "
                                "(LABO_POOL=%s, `up --pool`)",
                                labo_prefix_format (&pool, p1), (unsigned) seg->subnet.len,
                                lab->name, seg->name, labo_prefix_format (&seg->subnet, p2),
                                n_used, n_used == 1 ? "" : "s", LABO_POOL_DEFAULT);
      seg->mapped = true;
      *(struct labo_prefix *) labo_array_push (&used, &n_used, sizeof (*used)) = seg->outside;
    }
  struct build b = { .lab = lab, .st = st };
  return write_meta (&b, "building", err);
}

/* One /etc/hosts for the lab: hosts reach each other by name. */
static char *
hosts_file (const struct labo_lab *lab)
{
  size_t len = 0, cap = 256;
  char *s = xmalloc (cap);
  char buf[20];

  len = (size_t) snprintf (s, cap, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n");
  for (size_t l = 0; l < lab->n_links; l++)
    for (int e = 0; e < 2; e++)
      {
        const struct labo_endpoint *ep = e ? &lab->links[l].b : &lab->links[l].a;
        size_t need;
        if ((e && lab->links[l].kind != LABO_LINK_P2P) || !ep->has_addr)
          continue;
        need = strlen (lab->hosts[ep->host].name) + 32;
        if (len + need >= cap)
          s = xrealloc (s, cap = cap * 2 + need);
        len += (size_t) snprintf (s + len, cap - len, "%s\t%s\n",
                                  labo_ipv4_format (ep->addr.addr, buf),
                                  lab->hosts[ep->host].name);
      }
  /* the process runtime has no Docker DNS: the nodes' names are here */
  for (size_t i = 0; labo_runtime_of (lab)->names_in_hosts_file && i < lab->n_nodes; i++)
    {
      size_t need = 2 * strlen (lab->nodes[i].name) + strlen (lab->overlay.name) + 40;
      if (len + need >= cap)
        s = xrealloc (s, cap = cap * 2 + need);
      /* and Weave's name for it, as the Docker runtime's nodes have it */
      if (lab->overlay.present)
        len += (size_t) snprintf (s + len, cap - len, "%s\t%s %s.%s.local\n",
                                  labo_ipv4_format (lab->nodes[i].address, buf),
                                  lab->nodes[i].name, lab->nodes[i].name, lab->overlay.name);
      else
        len += (size_t) snprintf (s + len, cap - len, "%s\t%s\n",
                                  labo_ipv4_format (lab->nodes[i].address, buf),
                                  lab->nodes[i].name);
    }
  return s;
}

static int
write_meta (struct build *b, const char *state, labo_error_t *err)
{
  char when[32];
  time_t t = time (NULL);
  struct tm tm;
  cleanup_free char *meta = NULL;

  cleanup_free char *abs = realpath (b->lab->file, NULL); /* NULL for the built-in seed */

  cleanup_free char *roots = labo_copy_roots_text (b->lab);
  cleanup_free char *copy = b->lab->copy_of
                                ? xasprintf ("copy_of=%s\nroots=%s\n", b->lab->copy_of, roots)
                                : xstrdup ("");

  strftime (when, sizeof (when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r (&t, &tm));
  meta = xasprintf ("file=%s\ncreated=%s\npid=%d\nstate=%s\nhosts=%zu\nruntime=%s\n"
                    "until=%s\n%s",
                    abs ? abs : b->lab->file, when, (int) getpid (), state, b->lab->n_hosts,
                    labo_runtime_name (b->lab->runtime), labo_stage_name (b->lab->until), copy);
  return labo_state_put (b->st, "meta", meta, strlen (meta), err);
}

static int
enable_forwarding (const char *ns, labo_error_t *err)
{
  /* /proc/sys/net shows the namespace of the thread that opens it: the
   * caller is inside the host's namespace when this runs. */
  cleanup_close int fd = open ("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, "1\n", 2) != 2)
    return labo_error_errno (err, "enabling IPv4 forwarding in %s", ns);
  return 0;
}

/* Labs are IPv4. Left on, IPv6 gives every interface link-local addresses,
 * router solicitations and MLD reports, which a bridge floods to all its
 * ports: O(N^2) packets that keep a 1000-host lab's CPUs busy for seconds
 * after `up`. Set in the namespace's defaults before any interface exists;
 * the caller is inside the namespace (see enable_forwarding). */
static int
disable_ipv6 (const char *ns, labo_error_t *err)
{
  static const char *const knobs[] = { "/proc/sys/net/ipv6/conf/default/disable_ipv6",
                                       "/proc/sys/net/ipv6/conf/all/disable_ipv6" };
  for (size_t i = 0; i < sizeof (knobs) / sizeof (knobs[0]); i++)
    {
      cleanup_close int fd = open (knobs[i], O_WRONLY | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT)
        return 0; /* a kernel without IPv6 */
      if (fd < 0 || write (fd, "1\n", 2) != 2)
        return labo_error_errno (err, "disabling IPv6 in %s (%s)", ns, knobs[i]);
    }
  return 0;
}

static struct labo_nl *
nl_of (struct build *b, int ns)
{
  if (ns == LABO_NS_ROOT)
    return &b->root;
  if (ns == LABO_NS_SWITCH)
    return &b->sw;
  return &b->host[ns];
}

static const char *
ns_name (struct build *b, int ns)
{
  if (ns == LABO_NS_ROOT)
    return "the root namespace";
  if (ns == LABO_NS_SWITCH)
    return b->plan->switch_ns;
  return b->plan->host_ns[ns];
}

/* Switch namespace and bridges, then each host's namespace, its segment
 * veths (made from inside the host, the bridge port end sent to the switch
 * namespace) and lo; the calling thread walks through the namespaces and
 * is back in the root one on return, success or not. */
static int
build_namespaces (struct build *b, struct labo_progress *pr, labo_error_t *err)
{
  const struct labo_plan *p = b->plan;
  int ret = -1;
  size_t n_veths = 0;

  if (labo_state_record (b->st, "netns", p->switch_ns, err) < 0)
    return -1;
  if (labo_netns_create_and_enter (p->switch_ns, err) < 0)
    goto back;
  b->switch_fd = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (b->switch_fd < 0)
    {
      labo_error_errno (err, "opening namespace %s", p->switch_ns);
      goto back;
    }
  if (disable_ipv6 (p->switch_ns, err) < 0 || labo_nl_open (&b->sw, p->switch_ns, err) < 0)
    goto back;
  labo_nl_link_up (&b->sw, 1, "lo");
  for (size_t i = 0; i < p->n_bridges; i++)
    labo_nl_bridge_add (&b->sw, p->bridges[i].ifname, p->bridges[i].ifindex, p->bridges[i].mtu);
  if (labo_nl_flush (&b->sw, err) < 0)
    goto back;
  labo_progress_stage (pr, "switch", "%s, %zu bridge%s", p->switch_ns, p->n_bridges,
                       p->n_bridges == 1 ? "" : "s");

  for (size_t h = 0; h < p->n_hosts; h++)
    {
      struct labo_nl *nl = &b->host[h];
      if (labo_state_record (b->st, "netns", p->host_ns[h], err) < 0)
        goto back;
      if (labo_netns_create_and_enter (p->host_ns[h], err) < 0)
        goto back;
      if (disable_ipv6 (p->host_ns[h], err) < 0 || labo_nl_open (nl, p->host_ns[h], err) < 0)
        goto back;
      if (b->lab->hosts[h].forward && enable_forwarding (p->host_ns[h], err) < 0)
        goto back;
      labo_nl_link_up (nl, 1, "lo");
      for (size_t i = 0; i < p->n_veths; i++)
        {
          const struct labo_plan_veth *v = &p->veths[i];
          if (v->ns_a != (int) h || v->ns_b != LABO_NS_SWITCH)
            continue;
          struct labo_nl_veth_end a = { v->ifname_a, v->ifindex_a, -1, 0, p->host_ns[h] };
          struct labo_nl_veth_end pb = { v->ifname_b, v->ifindex_b, b->switch_fd, 0, p->switch_ns };
          labo_nl_veth_add (nl, &a, &pb, v->mtu);
          labo_nl_set_master (&b->sw, v->ifindex_b, v->ifname_b, v->master_b);
          n_veths++;
        }
      if (labo_nl_flush (nl, err) < 0 || labo_nl_maybe_flush (&b->sw, err) < 0)
        goto back;
      if (h == p->n_hosts / 2 && labo_inject_failure ("hosts", err) < 0)
        goto back;
    }
  ret = 0;
back:
  if (setns (b->root_fd, CLONE_NEWNET) < 0)
    {
      labo_say ("returning to the root network namespace: %s", strerror (errno));
      abort (); /* every later step would act on the wrong namespace */
    }
  if (ret == 0 && labo_nl_flush (&b->sw, err) < 0)
    ret = -1;
  if (ret == 0)
    labo_progress_stage (pr, "hosts", "%zu namespaces, %zu veths to segments", p->n_hosts,
                         n_veths);
  return ret;
}

/* The gates on the root links (include/labo/engine/gate.h), before the links
 * themselves: no moment when the machine and the lab reach each other
 * unfiltered. */
static int
build_gates (struct build *b, struct labo_progress *pr, labo_error_t *err)
{
  size_t n = 0;
  struct labo_gate *g = labo_gates_build (b->lab, b->plan, &n);
  cleanup_free char *in = NULL;
  cleanup_free char *out = NULL;

  if (n > 0)
    {
      /* the first gate's lists stand for all: only `expose` and `allow`,
       * per segment, differ */
      in = labo_gate_ranges_text (g[0].in, g[0].n_in);
      out = labo_gate_ranges_text (g[0].out, g[0].n_out);
    }
  labo_gates_free (g, n);
  if (n == 0)
    return 0;
  if (labo_gates_apply (b->lab, b->plan, b->switch_fd, err) < 0)
    return labo_error_wrap (err, "filtering the root links");
  labo_progress_stage (pr, "gate", "%zu root link%s: the machine reaches %s; the lab reaches %s",
                       n, n == 1 ? "" : "s", in, out);
  return 0;
}

static int
build_links (struct build *b, struct labo_progress *pr, labo_error_t *err)
{
  const struct labo_plan *p = b->plan;
  size_t n_p2p = 0, n_root = 0;

  for (size_t i = 0; i < p->n_veths; i++)
    {
      const struct labo_plan_veth *v = &p->veths[i];
      cleanup_close int fd = -1;
      struct labo_nl *nl;

      if (v->ns_b == LABO_NS_SWITCH)
        continue; /* made with its host */
      if (v->ns_b == LABO_NS_ROOT)
        {
          cleanup_free char *both = xasprintf ("%s %s", v->ifname_a, v->ifname_b);
          if (labo_state_record (b->st, "rootlink", both, err) < 0)
            return -1;
          fd = dup (b->root_fd);
          n_root++;
        }
      else
        {
          fd = labo_netns_open (p->host_ns[v->ns_b], err);
          n_p2p++;
        }
      if (fd < 0)
        return labo_error_errno (err, "opening the namespace of %s", v->ifname_b);
      nl = nl_of (b, v->ns_a);
      struct labo_nl_veth_end a = { v->ifname_a, v->ifindex_a, -1, v->master_a, ns_name (b, v->ns_a) };
      struct labo_nl_veth_end pb = { v->ifname_b, v->ifindex_b, fd, 0, ns_name (b, v->ns_b) };
      labo_nl_veth_add (nl, &a, &pb, v->mtu);
      /* The peer's namespace is passed as a descriptor: send before it closes. */
      if (labo_nl_flush (nl, err) < 0)
        return -1;
      if (v->ns_b >= 0) /* a root end comes up with its address, in configure() */
        labo_nl_link_up (nl_of (b, v->ns_b), v->ifindex_b, v->ifname_b);
    }
  if (n_p2p + n_root)
    labo_progress_stage (pr, "links", "%zu host-to-host, %zu from the root namespace", n_p2p,
                         n_root);
  return 0;
}

static int
configure (struct build *b, struct labo_progress *pr, labo_error_t *err)
{
  const struct labo_plan *p = b->plan;
  cleanup_free char *alias = xasprintf (LABO_ALIAS_PREFIX "%s", b->lab->name);
  /* netlink tags point at their descriptions until the flush */
  cleanup_free char (*what)[48] = xcalloc (p->n_routes ? p->n_routes : 1, sizeof (*what));
  char p1[20], p2[20];

  for (size_t i = 0; i < p->n_addrs; i++)
    {
      const struct labo_plan_addr *a = &p->addrs[i];
      int ifindex = a->ifindex;
      if (a->ns == LABO_NS_ROOT)
        {
          cleanup_free char *knob = NULL;
          cleanup_close int fd = -1;
          ifindex = (int) if_nametoindex (a->ifname);
          if (ifindex == 0)
            return labo_error_errno (err, "finding %s in the root namespace", a->ifname);
          /* the lab's own interface: IPv4 only, like the rest of the lab */
          knob = xasprintf ("/proc/sys/net/ipv6/conf/%s/disable_ipv6", a->ifname);
          fd = open (knob, O_WRONLY | O_CLOEXEC);
          if (fd >= 0 && write (fd, "1\n", 2) != 2)
            return labo_error_errno (err, "disabling IPv6 on %s", a->ifname);
          labo_nl_set_alias (&b->root, ifindex, a->ifname, alias);
          labo_nl_link_up (&b->root, ifindex, a->ifname);
        }
      labo_nl_addr_add (nl_of (b, a->ns), ifindex, a->ifname, &a->addr);
    }
  for (size_t i = 0; i < p->n_routes; i++)
    {
      const struct labo_plan_route *r = &p->routes[i];
      snprintf (what[i], sizeof (what[i]), "%s via %s", labo_prefix_format (&r->dst, p1),
                labo_ipv4_format (r->via, p2));
      labo_nl_route_add (nl_of (b, r->ns), &r->dst, r->via, what[i]);
    }
  if (labo_nl_flush (&b->root, err) < 0)
    return -1;
  for (size_t h = 0; h < p->n_hosts; h++)
    if (labo_nl_flush (&b->host[h], err) < 0)
      return -1;
  labo_progress_stage (pr, "addresses", "%zu addresses, %zu routes", p->n_addrs, p->n_routes);
  return 0;
}

/* A thousand hosts keep a thousand netlink sockets open for the build. */
static int
raise_fd_limit (size_t need, labo_error_t *err)
{
  struct rlimit rl;
  if (getrlimit (RLIMIT_NOFILE, &rl) < 0)
    return 0;
  if (rl.rlim_cur >= need)
    return 0;
  if (rl.rlim_max < need)
    return labo_error_make (err, 0,
                            "a lab of this size needs %zu open files, the hard limit is %llu "
                            "(raise it with `ulimit -Hn`)",
                            need, (unsigned long long) rl.rlim_max);
  rl.rlim_cur = need;
  if (setrlimit (RLIMIT_NOFILE, &rl) < 0)
    return labo_error_errno (err, "raising the open file limit to %zu", need);
  return 0;
}

/* The lab file's link settings in place, before anything runs on the
 * network: the nodes start, elect and serve over the links as written. */
static int
impair_links (struct build *b, struct labo_progress *pr, labo_error_t *err)
{
  const struct labo_lab *lab = b->lab;
  cleanup_free char *first = NULL, *what = NULL;
  int n;

  for (size_t l = 0; l < lab->n_links && first == NULL; l++)
    if (lab->links[l].has_set)
      {
        cleanup_free char *name = labo_link_name (lab, l);
        cleanup_free char *d = labo_impair_describe (&lab->links[l].set.im);
        first = xasprintf ("%s: %s%s", name, d, lab->links[l].set.down ? ", pulled out" : "");
      }
  if (first == NULL)
    return 0;
  if ((n = labo_links_apply_declared (lab, err)) < 0)
    return labo_error_wrap (err, "putting the lab file's link settings in place");
  what = n > 1 ? xasprintf ("%s, and %d more", first, n - 1) : xstrdup (first);
  labo_progress_stage (pr, "impairments", "%s", what);
  return 0;
}

/* Refuses a name deployed on a Swarm from this machine (labo deploy): one
 * name is one lab. Before the state directory exists: nothing is made. */
static int
refuse_deployed (const struct labo_lab *lab, labo_error_t *err)
{
  json_t *deployed = labo_deployed_load (lab->name);

  if (deployed)
    {
      labo_error_make (err, 0, "lab '%s' is deployed on the Swarm at %s from this machine "
                               "(`labo status %s`): one name is one lab; `labo down %s` removes "
                               "it there, or `labo up FILE --name OTHER`",
                       lab->name, json_string_value (json_object_get (deployed, "url")),
                       lab->name, lab->name);
      json_decref (deployed);
      return -1;
    }
  return 0;
}

/* Refuses a lab with a journal: up already, or an up that did not finish
 * (its journal is what `down` removes). */
static int
refuse_journalled (const struct labo_lab *lab, labo_error_t *err)
{
  char **kinds = NULL, **names = NULL;
  size_t n = 0;
  cleanup_free char *state = NULL;

  labo_state_journal (lab->name, &kinds, &names, &n, NULL);
  labo_strv_free (kinds, n);
  labo_strv_free (names, n);
  if (n == 0)
    return 0;
  state = labo_state_meta (lab->name, "state");
  if (state && strcmp (state, "up") == 0)
    return labo_error_make (err, 0, "lab '%s' is already up (`labo status %s`; `labo down %s` "
                                    "removes it)", lab->name, lab->name, lab->name);
  return labo_error_make (err, 0, "a previous `labo up` of '%s' did not finish: run "
                                  "`labo down %s` first", lab->name, lab->name);
}

/* Everything of the lab, stage by stage, journalled as it is made: its
 * state files, the namespaces, gates, links, addresses and routes, then
 * the runtime's part. On failure, what was made is the rollback's. */
static int
make_lab (struct build *b, struct labo_progress *pr, const char *text, size_t len,
          labo_error_t *err)
{
  const struct labo_lab *lab = b->lab;
  cleanup_free char *hosts = hosts_file (lab);

  if (write_meta (b, "building", err) < 0
      || labo_state_put (b->st, "lab.yaml", text, len, err) < 0
      || labo_state_put (b->st, "hosts", hosts, strlen (hosts), err) < 0
      || labo_state_share (b->st, "hosts", err) < 0
      || labo_netns_prepare (err) < 0)
    return -1;
  b->root_fd = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (b->root_fd < 0)
    return labo_error_errno (err, "opening the root network namespace");
  b->host = xcalloc (lab->n_hosts ? lab->n_hosts : 1, sizeof (*b->host));
  if (labo_nl_open (&b->root, "the root namespace", err) < 0
      || build_namespaces (b, pr, err) < 0
      || build_gates (b, pr, err) < 0
      || labo_inject_failure ("links", err) < 0
      || build_links (b, pr, err) < 0
      || labo_inject_failure ("addresses", err) < 0
      || configure (b, pr, err) < 0
      || impair_links (b, pr, err) < 0
      || (labo_lab_reaches (lab, LABO_STAGE_DAEMONS)
          && labo_runtime_of (lab)->up (lab, b->st, pr, err) < 0)
      || write_meta (b, "up", err) < 0)
    return -1;
  return 0;
}

/* The build's sockets and descriptors closed. */
static void
build_close (struct build *b)
{
  labo_nl_close (&b->sw);
  labo_nl_close (&b->root);
  for (size_t h = 0; b->host && h < b->lab->n_hosts; h++)
    labo_nl_close (&b->host[h]);
  free (steal_ptr (&b->host));
  if (b->root_fd >= 0)
    close (steal_fd (&b->root_fd));
  if (b->switch_fd >= 0)
    close (steal_fd (&b->switch_fd));
}

/* After a failed up: the nodes' and daemons' logs kept (the error says
 * where), then what the journal holds removed, as `down` would. err (the
 * failure) gains the lab's name; a rollback that fails is said on
 * stderr, the failure staying the one reported. */
static void
rollback (struct build *b, struct labo_progress *pr, bool had_data, labo_error_t *err)
{
  const struct labo_lab *lab = b->lab;
  labo_error_t down_err = NULL;
  /* up --json reports the rollback as one fact, not its stages */
  struct labo_down_opts dopts = { pr->quiet, had_data, NULL, true };
  cleanup_free char *kept = NULL;

  labo_error_wrap (err, "bringing up lab '%s'", lab->name);
  if (!pr->quiet)
    printf ("labo: failed; rolling back what was made\n");
  /* what the nodes and daemons said, before the rollback removes them:
   * the error's advice (`labo logs NODE`) has to work afterwards */
  if (lab->n_nodes > 0 && (kept = labo_logs_keep (lab, labo_runtime_of (lab))) != NULL)
    labo_error_append (err, "\nlabo: the nodes' and daemons' logs are kept in %s until the "
                            "next up or down of %s: `labo logs -l %s NODE|HOST`", kept,
                       lab->name, lab->name);
  /* close our sockets and descriptors first: they hold namespaces */
  labo_nl_close (&b->sw);
  labo_nl_close (&b->root);
  for (size_t h = 0; b->host && h < lab->n_hosts; h++)
    labo_nl_close (&b->host[h]);
  if (b->switch_fd >= 0)
    close (steal_fd (&b->switch_fd));
  /* data kept by an earlier `down --keep-data` is not this up's to lose */
  if (labo_down_locked (b->st, &dopts, &down_err) < 0)
    {
      labo_say ("rollback incomplete: %s", down_err->msg);
      labo_error_release (&down_err);
    }
}

/* `up --dry-run` of a copy: the blocks the pool would give now, unlocked
 * (nothing is taken). */
static void
preview_blocks (struct labo_lab *lab)
{
  struct labo_prefix pool;
  __attribute__ ((cleanup (machine_view_free))) struct machine_view m = { 0 };

  if (lab->copy_of == NULL || labo_pool_get (&pool, NULL) < 0 || machine_view_read (&m, NULL) < 0)
    return;
  for (size_t s = 0; s < lab->n_segments; s++)
    if (lab->segments[s].has_root
        && labo_pool_pick (&pool, lab->segments[s].subnet.len, NULL, 0, block_busy, &m,
                           &lab->segments[s].outside) == 0)
      lab->segments[s].mapped = true;
}

int
labo_up (struct labo_lab *lab, const char *text, size_t len, const struct labo_up_opts *opts,
         labo_error_t *err)
{
  cleanup_plan struct labo_plan *plan = NULL;
  struct labo_state st = { 0 };
  struct build b = { .lab = lab, .st = &st, .root_fd = -1, .switch_fd = -1 };
  struct labo_progress pr;
  int ret = -1;
  bool had_data = labo_lab_has_kept_data (lab->name);
  char p1[20];

  if (opts->dry_run)
    {
      preview_blocks (lab);
      plan = labo_plan_build (lab);
      labo_plan_print (lab, plan, stdout);
      labo_runtime_of (lab)->plan_print (lab, stdout);
      return 0;
    }
  labo_progress_start (&pr, opts->quiet, opts->stages);
  if (!pr.quiet)
    printf ("labo: up %s: %zu host%s, %zu segment%s, %zu link%s (%s)\n", lab->name,
            lab->n_hosts, lab->n_hosts == 1 ? "" : "s", lab->n_segments,
            lab->n_segments == 1 ? "" : "s", lab->n_links, lab->n_links == 1 ? "" : "s",
            lab->file);

  if (raise_fd_limit (lab->n_hosts + 64, err) < 0)
    return -1;
  if (refuse_deployed (lab, err) < 0)
    return -1;
  if (labo_state_open (lab->name, true, &st, err) < 0 || refuse_journalled (lab, err) < 0)
    goto out_state;
  if (take_blocks (lab, &st, opts->pool_hint, err) < 0)
    {
      labo_state_remove (&st, NULL);
      goto out_state;
    }
  /* every name and address decided, a copy's blocks included */
  b.plan = plan = labo_plan_build (lab);
  for (size_t s = 0; s < lab->n_segments && !pr.quiet; s++)
    if (lab->segments[s].mapped)
      {
        struct labo_prefix net = labo_segment_root_subnet (&lab->segments[s]);
        printf ("labo: copy %s of %s: segment %s is %s from the machine (%s)\n", lab->name,
                lab->copy_of, lab->segments[s].name, labo_prefix_format (&net, p1),
                lab->segments[s].root_ifname);
      }
  /* the logs an earlier failed up kept: this up has logs of its own */
  labo_logs_forget (lab->name, NULL);
  if (precheck (&b, err) < 0)
    {
      /* nothing made: the state directory goes, no rollback */
      labo_state_remove (&st, NULL);
      goto out_state;
    }
  labo_progress_stage (&pr, "check", "names and addresses free");
  ret = make_lab (&b, &pr, text, len, err);
  if (ret == 0 && !pr.quiet)
    printf ("labo: lab %s is up in %.1f ms; `labo status %s`, `labo exec %s -- sh`\n",
            lab->name, (labo_now () - pr.t0) * 1e3, lab->name, lab->hosts[0].name);
  if (ret < 0)
    rollback (&b, &pr, had_data, err);
  build_close (&b);
out_state:
  labo_state_close (&st);
  return ret;
}
