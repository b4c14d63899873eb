/* A lab's status, from its state directory and the kernel: see
 * include/labo/status.h. */
#include "labo/status.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "labo/inspect.h"
#include "labo/labfile.h"
#include "labo/netns.h"
#include "labo/plan.h"
#include "labo/state.h"
#include "labo/util.h"

char *
labo_status_state (const char *lab)
{
  cleanup_free char *lock = xasprintf ("%s/%s/lock", labo_run_dir (), lab);
  cleanup_close int fd = open (lock, O_RDWR | O_CLOEXEC);
  char *state = labo_state_meta (lab, "state");

  if (fd >= 0 && flock (fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK)
    {
      free (state);
      return xstrdup ("building");
    }
  if (state == NULL || strcmp (state, "up") != 0)
    {
      free (state);
      return xstrdup ("failed");
    }
  return state;
}

static json_t *
addrs_json (const struct labo_ifinfo *i)
{
  json_t *a = json_array ();
  char buf[20];
  for (size_t k = 0; i && k < i->n_addrs; k++)
    json_array_append_new (a, json_string (labo_prefix_format (&i->addrs[k], buf)));
  return a;
}

static const char *
if_state (const struct labo_ifinfo *i)
{
  if (i == NULL)
    return "missing";
  if (!i->up)
    return "down";
  return i->carrier ? "up" : "no-carrier";
}

/* Reads a namespace's interfaces; an absent namespace gives none. */
static bool
inspect_ns (const char *ns, struct labo_ifinfo **ifs, size_t *n)
{
  labo_error_t err = NULL;
  int fd = labo_netns_open (ns, &err);
  bool ok;

  *ifs = NULL;
  *n = 0;
  if (fd < 0)
    {
      labo_error_release (&err);
      return false;
    }
  ok = labo_inspect (fd, ns, ifs, n, &err) == 0;
  labo_error_release (&err);
  close (fd);
  return ok;
}

static json_t *
interface_json (const struct labo_lab *lab, const struct labo_link *l, const struct labo_endpoint *ep,
                const struct labo_ifinfo *ifs, size_t n)
{
  const struct labo_ifinfo *i = labo_inspect_find (ifs, n, ep->ifname);
  json_t *o = json_object ();
  const struct labo_endpoint *other = ep == &l->a ? &l->b : &l->a;

  json_object_set_new (o, "ifname", json_string (ep->ifname));
  json_object_set_new (o, "link", json_string (l->kind == LABO_LINK_SEGMENT ? "segment" : "p2p"));
  if (l->kind == LABO_LINK_SEGMENT)
    json_object_set_new (o, "peer", json_string (lab->segments[l->segment].name));
  else
    {
      cleanup_free char *peer
          = xasprintf ("%s:%s", lab->hosts[other->host].name, other->ifname);
      json_object_set_new (o, "peer", json_string (peer));
    }
  json_object_set_new (o, "mtu", json_integer (i ? i->mtu : l->mtu));
  json_object_set_new (o, "state", json_string (if_state (i)));
  json_object_set_new (o, "addresses", addrs_json (i));
  return o;
}

json_t *
labo_status_json (const char *lab_name, labo_error_t *err)
{
  size_t len = 0;
  cleanup_free char *text = labo_state_get (lab_name, "lab.yaml", &len);
  cleanup_free char *file = labo_state_meta (lab_name, "file");
  cleanup_free char *created = labo_state_meta (lab_name, "created");
  cleanup_free char *state = NULL;
  cleanup_free char *switch_ns = labo_switch_netns_name (lab_name);
  struct labo_diags diags = { NULL, 0 };
  struct labo_lab *lab;
  struct labo_ifinfo *sw_ifs = NULL, *root_ifs = NULL;
  size_t n_sw = 0, n_root = 0;
  json_t *out, *segs, *hosts;
  bool degraded = false;
  char buf[20];
  labo_error_t ierr = NULL;

  if (text == NULL)
    {
      labo_error_make (err, 0, "lab '%s' is not up (no %s/%s/lab.yaml)", lab_name,
                       labo_run_dir (), lab_name);
      return NULL;
    }
  lab = labo_labfile_parse (file ? file : "lab.yaml", text, len, &diags);
  labo_diags_free (&diags);
  if (lab == NULL)
    {
      labo_error_make (err, 0, "lab '%s': its saved lab file no longer parses", lab_name);
      return NULL;
    }
  state = labo_status_state (lab_name);
  inspect_ns (switch_ns, &sw_ifs, &n_sw);
  if (labo_inspect (-1, "the root namespace", &root_ifs, &n_root, &ierr) < 0)
    labo_error_release (&ierr);

  out = json_object ();
  json_object_set_new (out, "schema", json_integer (LABO_STATUS_SCHEMA));
  json_object_set_new (out, "lab", json_string (lab->name));
  json_object_set_new (out, "file", json_string (file ? file : ""));
  json_object_set_new (out, "created", json_string (created ? created : ""));
  json_object_set_new (out, "switch_netns", json_string (switch_ns));

  segs = json_array ();
  for (size_t s = 0; s < lab->n_segments; s++)
    {
      const struct labo_segment *seg = &lab->segments[s];
      const struct labo_ifinfo *br = labo_inspect_find (sw_ifs, n_sw, seg->name);
      json_t *o = json_object ();
      int ports = 0;
      for (size_t i = 0; br && i < n_sw; i++)
        ports += sw_ifs[i].master == br->ifindex;
      json_object_set_new (o, "name", json_string (seg->name));
      json_object_set_new (o, "subnet", json_string (labo_prefix_format (&seg->subnet, buf)));
      json_object_set_new (o, "mtu", json_integer (seg->mtu));
      json_object_set_new (o, "state", json_string (if_state (br)));
      json_object_set_new (o, "ports", json_integer (ports));
      degraded |= br == NULL || !br->up;
      if (seg->has_root)
        {
          const struct labo_ifinfo *ri = labo_inspect_find (root_ifs, n_root, seg->root_ifname);
          json_t *r = json_object ();
          struct labo_prefix p = { seg->root_addr, seg->subnet.len };
          json_object_set_new (r, "ifname", json_string (seg->root_ifname));
          json_object_set_new (r, "address", json_string (labo_prefix_format (&p, buf)));
          json_object_set_new (r, "state", json_string (if_state (ri)));
          degraded |= ri == NULL || !ri->up;
          json_object_set_new (o, "root", r);
        }
      else
        json_object_set_new (o, "root", json_null ());
      json_array_append_new (segs, o);
    }
  json_object_set_new (out, "segments", segs);

  hosts = json_array ();
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      const struct labo_host *host = &lab->hosts[h];
      cleanup_free char *ns = labo_host_netns_name (lab->name, host->name);
      struct labo_ifinfo *ifs = NULL;
      size_t n = 0;
      bool present = inspect_ns (ns, &ifs, &n);
      json_t *o = json_object (), *ifa = json_array (), *routes = json_array ();

      json_object_set_new (o, "name", json_string (host->name));
      json_object_set_new (o, "netns", json_string (ns));
      json_object_set_new (o, "state", json_string (present ? "up" : "missing"));
      json_object_set_new (o, "forward", json_boolean (host->forward));
      degraded |= !present;
      for (size_t l = 0; l < lab->n_links; l++)
        {
          const struct labo_link *link = &lab->links[l];
          const struct labo_endpoint *eps[2] = { &link->a, &link->b };
          for (int e = 0; e < (link->kind == LABO_LINK_P2P ? 2 : 1); e++)
            if (eps[e]->host == h)
              {
                json_t *i = interface_json (lab, link, eps[e], ifs, n);
                degraded |= strcmp (json_string_value (json_object_get (i, "state")), "up") != 0;
                json_array_append_new (ifa, i);
              }
        }
      for (size_t r = 0; r < host->n_routes; r++)
        {
          json_t *ro = json_object ();
          char b2[20];
          const struct labo_route *rt = &host->routes[r];
          json_object_set_new (ro, "to", json_string (rt->dst.len == 0
                                                          ? "default"
                                                          : labo_prefix_format (&rt->dst, buf)));
          json_object_set_new (ro, "via", json_string (labo_ipv4_format (rt->via, b2)));
          json_array_append_new (routes, ro);
        }
      json_object_set_new (o, "interfaces", ifa);
      json_object_set_new (o, "routes", routes);
      json_array_append_new (hosts, o);
      free (ifs);
    }
  json_object_set_new (out, "hosts", hosts);
  if (strcmp (state, "up") == 0 && degraded)
    json_object_set_new (out, "state", json_string ("degraded"));
  else
    json_object_set_new (out, "state", json_string (state));

  free (sw_ifs);
  free (root_ifs);
  labo_lab_free (lab);
  return out;
}

static const char *
str (json_t *o, const char *key)
{
  const char *s = json_string_value (json_object_get (o, key));
  return s ? s : "";
}

void
labo_status_print (json_t *st, FILE *out)
{
  size_t i, j;
  json_t *seg, *host, *ifc, *a, *r;

  fprintf (out, "lab %s: %s  (from %s, up since %s)\n", str (st, "lab"), str (st, "state"),
           str (st, "file"), str (st, "created"));
  json_array_foreach (json_object_get (st, "segments"), i, seg)
    {
      json_t *root = json_object_get (seg, "root");
      fprintf (out, "segment %-12s %-18s mtu %-5lld bridge %s, %lld ports", str (seg, "name"),
               str (seg, "subnet"), json_integer_value (json_object_get (seg, "mtu")),
               str (seg, "state"), json_integer_value (json_object_get (seg, "ports")));
      if (json_is_object (root))
        fprintf (out, "; root %s on %s (%s)", str (root, "address"), str (root, "ifname"),
                 str (root, "state"));
      fputc ('\n', out);
    }
  json_array_foreach (json_object_get (st, "hosts"), i, host)
    {
      fprintf (out, "host %-15s %-8s netns %s%s\n", str (host, "name"), str (host, "state"),
               str (host, "netns"), json_is_true (json_object_get (host, "forward")) ? ", forwarding" : "");
      json_array_foreach (json_object_get (host, "interfaces"), j, ifc)
        {
          size_t k;
          fprintf (out, "  %-10s %-10s mtu %-5lld -> %-7s %-16s", str (ifc, "ifname"),
                   str (ifc, "state"), json_integer_value (json_object_get (ifc, "mtu")),
                   str (ifc, "link"), str (ifc, "peer"));
          json_array_foreach (json_object_get (ifc, "addresses"), k, a)
            fprintf (out, " %s", json_string_value (a));
          fputc ('\n', out);
        }
      json_array_foreach (json_object_get (host, "routes"), j, r)
        fprintf (out, "  route %s via %s\n", str (r, "to"), str (r, "via"));
    }
}
