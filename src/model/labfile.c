/* Lab files: YAML (libyaml's document API) to the lab model.  The checks that
 * look at one value at a time are here; those comparing objects with each
 * other are in validate.c, the generic reading of YAML values in
 * labfile-yaml.c.  The format is documented in docs/labfile.md.
 *
 * Positions: a problem with a value is reported at the value; a problem with
 * a key (unknown, duplicate, an invalid name that is the key) or with an
 * empty value is reported at the key; a missing key is reported at the key
 * naming the mapping that lacks it (or at the start of a sequence item). */
#include "labo/model/labfile.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "reader.h"
#include "labo/model/names.h"
#include "labo/util/util.h"

#define IFNAME_MAX (IFNAMSIZ - 1)

/* ---- names ---- */

static bool
is_alnum (char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}


/* Interface (and segment) names: stricter than the kernel (which takes
 * anything but '/', ':' and spaces) so that they are safe in shells and
 * in `ip` commands. */
static bool
ifname_chars_ok (const char *s)
{
  if (!is_alnum (s[0]))
    return false;
  for (const char *p = s + 1; *p; p++)
    if (!is_alnum (*p) && *p != '_' && *p != '.' && *p != '-')
      return false;
  return true;
}

static bool
hostname_ok (const char *s)
{
  size_t n = strlen (s);
  if (n == 0 || !is_alnum (s[0]) || !is_alnum (s[n - 1]))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!is_alnum (s[i]) && s[i] != '-')
      return false;
  return true;
}

/* Checks an interface name given in the file; reports at pos. */
static bool
check_ifname (struct lf_reader *r, const char *s, struct labo_pos pos)
{
  cleanup_free char *shown = lf_disp (s, strlen (s));
  if (!ifname_chars_ok (s))
    {
      lf_error (&r->c, pos,
                "invalid interface name '%s': use letters, digits, '_', '.' and '-', "
                "starting with a letter or digit",
                shown);
      return false;
    }
  if (strlen (s) > IFNAME_MAX)
    {
      lf_error (&r->c, pos, "interface name '%s' is %zu bytes long, more than IFNAMSIZ-1 (%d)",
                shown, strlen (s), IFNAME_MAX);
      return false;
    }
  if (strcmp (s, "lo") == 0)
    {
      lf_error (&r->c, pos, "interface name 'lo' is taken by the loopback interface");
      return false;
    }
  return true;
}

/* The name of a host or segment: the scalar key k; NULL after reporting. */
static const char *
key_name (struct lf_reader *r, yaml_node_t *k, const char *what)
{
  if (k->type != YAML_SCALAR_NODE)
    {
      cleanup_free char *found = lf_describe (k);
      lf_error (&r->c, lf_pos_of (r, k), "expected a %s name, found %s", what, found);
      return NULL;
    }
  if (strlen (lf_text (k)) != k->data.scalar.length)
    {
      lf_error (&r->c, lf_pos_of (r, k), "unexpected NUL character in %s name", what);
      return NULL;
    }
  return lf_text (k);
}

/* "undefined host 'x' (did you mean 'y'?)", listing the names otherwise. */
static void
undefined (struct lf_reader *r, struct labo_pos pos, const char *what, const char *name,
           const char *const *names, size_t n)
{
  cleanup_free char *shown = lf_disp (name, strlen (name));
  cleanup_free char *list = NULL;
  const char *sugg = lf_suggest_within (name, names, n, &r->c.suggest_budget);

  if (sugg)
    {
      lf_error (&r->c, pos, "undefined %s '%s' (did you mean '%s'?)", what, shown, sugg);
      return;
    }
  if (n == 0)
    {
      lf_error (&r->c, pos, "undefined %s '%s' (the lab defines no %s)", what, shown, what);
      return;
    }
  for (size_t i = 0; i < n && i < 8; i++)
    {
      /* names as the file gave them, which may be long (and invalid) */
      cleanup_free char *one = lf_disp (names[i], strlen (names[i]));
      char *l = list ? xasprintf ("%s, '%s'", list, one) : xasprintf ("'%s'", one);
      free (list);
      list = l;
    }
  lf_error (&r->c, pos, "undefined %s '%s' (defined: %s%s)", what, shown, list,
            n > 8 ? ", ..." : "");
}

_Static_assert (offsetof (struct labo_host, name) == 0, "name_list reads a host's name first");
_Static_assert (offsetof (struct labo_segment, name) == 0, "and a segment's");
_Static_assert (offsetof (struct labo_node, name) == 0, "and a node's");

/* The names of objects[0..n) (each a struct whose first member is its
 * name), into *names, unless it holds them already. */
static void
name_list (const char ***names, size_t *n_names, const void *objects, size_t n, size_t size)
{
  if (*names && *n_names == n)
    return;
  free (*names);
  *names = xcalloc (n + 1, sizeof **names);
  for (size_t i = 0; i < n; i++)
    memcpy (&(*names)[i], (const char *) objects + i * size, sizeof **names);
  *n_names = n;
}

/* The index of name in an index of names, or -1. */
static long
find_in (const struct labo_hmap *index, const char *name)
{
  size_t i;
  return labo_hmap_get_str (index, name, &i) ? (long) i : -1;
}

static size_t
find_segment (struct lf_reader *r, const char *name, struct labo_pos pos)
{
  const struct labo_lab *lab = r->c.lab;
  long i = find_in (&r->segment_index, name);

  if (i >= 0 || r->segments_broken)
    return i >= 0 ? (size_t) i : LF_NONE;
  name_list (&r->segment_names, &r->n_segment_names, lab->segments, lab->n_segments,
             sizeof *lab->segments);
  undefined (r, pos, "segment", name, r->segment_names, lab->n_segments);
  return LF_NONE;
}

static size_t
find_host (struct lf_reader *r, const char *name, struct labo_pos pos)
{
  const struct labo_lab *lab = r->c.lab;
  long i = find_in (&r->host_index, name);

  if (i >= 0 || r->hosts_broken)
    return i >= 0 ? (size_t) i : LF_NONE;
  name_list (&r->host_names, &r->n_host_names, lab->hosts, lab->n_hosts, sizeof *lab->hosts);
  undefined (r, pos, "host", name, r->host_names, lab->n_hosts);
  return LF_NONE;
}

/* ---- addresses ---- */

/* Parses a network "a.b.c.d/len" (len in [min,max]) for field f; `what`
 * names it in messages ("subnet"), `want` says what is accepted. */
static bool
get_network (struct lf_reader *r, const struct lf_field *f, const char *what, const char *want,
             int min, int max, struct labo_prefix *out)
{
  const char *s = lf_get_string (r, f, want);
  struct labo_prefix p, net;
  bool has_len;
  char b1[20], b2[20];
  cleanup_free char *shown = NULL;

  if (s == NULL)
    return false;
  shown = lf_disp (s, strlen (s));
  if (labo_prefix_parse (s, &p, &has_len) < 0)
    {
      lf_error (&r->c, lf_pos_of (r, f->val), "expected %s for '%s', got '%s'", want, f->name,
                shown);
      return false;
    }
  if (!has_len)
    {
      lf_error (&r->c, lf_pos_of (r, f->val),
                "%s %s needs a prefix length, as in 203.0.113.0/24", what, shown);
      return false;
    }
  if (p.len < min || p.len > max)
    {
      lf_error (&r->c, lf_pos_of (r, f->val), "%s prefix length /%u is out of range (/%d../%d)",
                what, (unsigned) p.len, min, max);
      return false;
    }
  if (!labo_prefix_is_network (&p))
    {
      net = (struct labo_prefix){ labo_prefix_network (&p), p.len };
      lf_error (&r->c, lf_pos_of (r, f->val), "%s %s has host bits set (did you mean %s?)",
                what, labo_prefix_format (&p, b1), labo_prefix_format (&net, b2));
      return false;
    }
  *out = p;
  return true;
}

/* Parses an address "a.b.c.d", or "a.b.c.d/len" when allow_len. */
static bool
get_address (struct lf_reader *r, const struct lf_field *f, bool allow_len,
             struct labo_prefix *out, bool *has_len)
{
  const char *s = lf_get_string (r, f, "an IPv4 address like 203.0.113.10");
  cleanup_free char *shown = NULL;

  if (s == NULL)
    return false;
  if (labo_prefix_parse (s, out, has_len) == 0 && (allow_len || !*has_len))
    return true;
  shown = lf_disp (s, strlen (s));
  lf_error (&r->c, lf_pos_of (r, f->val),
            "expected an IPv4 address like 203.0.113.10, got '%s'", shown);
  return false;
}

/* Checks that address p (length optional) belongs on segment s: same prefix
 * length, inside the subnet, neither its network nor broadcast address.
 * Gives p the subnet's length. */
static bool
check_segment_addr (struct lf_reader *r, size_t s, struct labo_prefix *p, bool has_len,
                    struct labo_pos pos)
{
  const struct labo_segment *seg = &r->c.lab->segments[s];
  uint32_t mask = labo_prefix_mask (seg->subnet.len);
  char a[16], n[20], tmp[20];

  if (!r->c.seg_aux[s].subnet_ok)
    return false; /* reported at the subnet */
  if ((!has_len || p->len == seg->subnet.len) && labo_prefix_contains (&seg->subnet, p->addr)
      && p->addr != seg->subnet.addr && p->addr != (seg->subnet.addr | ~mask))
    {
      p->len = seg->subnet.len;
      return true; /* the usual case, without formatting what no message shows */
    }
  labo_ipv4_format (p->addr, a);
  labo_prefix_format (&seg->subnet, n);
  if (has_len && p->len != seg->subnet.len)
    {
      lf_error (&r->c, pos,
                "address %s has prefix length /%u but segment '%s' is %s (write %s or %s/%u)",
                labo_prefix_format (p, tmp), (unsigned) p->len, seg->name, n, a, a,
                (unsigned) seg->subnet.len);
      return false;
    }
  p->len = seg->subnet.len;
  if (!labo_prefix_contains (&seg->subnet, p->addr))
    {
      lf_error (&r->c, pos, "address %s is outside segment '%s' (%s)", a, seg->name, n);
      return false;
    }
  if (p->addr == seg->subnet.addr)
    {
      lf_error (&r->c, pos, "address %s is the network address of segment '%s' (%s)", a,
                seg->name, n);
      return false;
    }
  if (p->addr == (seg->subnet.addr | ~mask))
    {
      lf_error (&r->c, pos, "address %s is the broadcast address of segment '%s' (%s)", a,
                seg->name, n);
      return false;
    }
  return true;
}

/* ---- segments ---- */

static bool port_digits (const char *s, size_t n, long *out);

/* One item of root.allow or root.expose: "8080", "8080/tcp", "53/udp",
 * "8000-8100/tcp" (TCP when no protocol is named), or "all" (every port of
 * both). */
static void
read_portrange (struct lf_reader *r, yaml_node_t *item, struct labo_portrange **v, size_t *n)
{
  static const char want[] = "a port like 8080/tcp, 53/udp, 8000-8100/tcp, or all";
  struct labo_pos pos = lf_pos_of (r, item);
  cleanup_free char *shown = NULL;
  const char *t, *slash, *dash;
  size_t len, plen;
  long lo, hi;
  uint8_t proto = LABO_PROTO_TCP;
  struct labo_portrange *pr;

  if (item->type != YAML_SCALAR_NODE || lf_is_null (item))
    {
      cleanup_free char *found = lf_describe (item);
      lf_error (&r->c, pos, "expected %s, found %s", want, found);
      return;
    }
  t = lf_text (item);
  len = item->data.scalar.length;
  shown = lf_disp (t, len);
  if (len == 3 && memcmp (t, "all", 3) == 0)
    {
      for (int i = 0; i < 2; i++)
        {
          pr = labo_array_push (v, n, sizeof (*pr));
          *pr = (struct labo_portrange) { i ? LABO_PROTO_UDP : LABO_PROTO_TCP, 1, 65535, pos };
        }
      return;
    }
  slash = memchr (t, '/', len);
  plen = slash ? (size_t) (slash - t) : len;
  if (slash)
    {
      const char *p = slash + 1;
      size_t rest = len - plen - 1;
      if (rest == 3 && memcmp (p, "tcp", 3) == 0)
        proto = LABO_PROTO_TCP;
      else if (rest == 3 && memcmp (p, "udp", 3) == 0)
        proto = LABO_PROTO_UDP;
      else
        {
          lf_error (&r->c, pos, "expected tcp or udp after '/' in '%s'", shown);
          return;
        }
    }
  dash = memchr (t, '-', plen);
  if (!port_digits (t, dash ? (size_t) (dash - t) : plen, &lo)
      || (dash && !port_digits (dash + 1, plen - (size_t) (dash - t) - 1, &hi)))
    {
      lf_error (&r->c, pos, "expected %s, got '%s'", want, shown);
      return;
    }
  if (!dash)
    hi = lo;
  if (lo < 1 || hi > 65535 || lo > hi)
    {
      lf_error (&r->c, pos, "port range '%s' is not within 1..65535, low to high", shown);
      return;
    }
  pr = labo_array_push (v, n, sizeof (*pr));
  *pr = (struct labo_portrange) { proto, (uint16_t) lo, (uint16_t) hi, pos };
}

static void
read_portranges (struct lf_reader *r, const struct lf_field *f, struct labo_portrange **v,
                 size_t *n)
{
  bool ok;
  yaml_node_t *seq = lf_get_sequence (r, f, &ok);
  if (seq)
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++)
      read_portrange (r, lf_node (r, *it), v, n);
}

static void
read_root (struct lf_reader *r, size_t s, const struct lf_field *rootf)
{
  struct labo_lab *lab = r->c.lab;
  struct labo_segment *seg = &lab->segments[s];
  struct lf_segment_aux *aux = &r->c.seg_aux[s];
  cleanup_free char *where = xasprintf ("in root of segment '%s'", seg->name);
  enum { K_ADDRESS, K_IFNAME, K_ALLOW, K_EXPOSE, N_KEYS };
  struct lf_field f[N_KEYS] = {
    [K_ADDRESS] = LF_FIELD ("address"),
    [K_IFNAME] = LF_FIELD ("ifname"),
    [K_ALLOW] = LF_FIELD ("allow"),
    [K_EXPOSE] = LF_FIELD ("expose"),
  };
  struct labo_prefix p;
  bool has_len = false, addr_ok;

  seg->root_pos = lf_pos_of (r, rootf->key);
  if (rootf->val->type == YAML_MAPPING_NODE)
    {
      lf_read_fields (r, rootf->val, where, f, N_KEYS);
      if (f[K_ALLOW].key)
        read_portranges (r, &f[K_ALLOW], &seg->root_allow, &seg->n_root_allow);
      if (f[K_EXPOSE].key)
        read_portranges (r, &f[K_EXPOSE], &seg->root_expose, &seg->n_root_expose);
      if (!lf_require (r, &f[K_ADDRESS], seg->root_pos, where))
        return;
    }
  else
    {
      /* the short form: the address alone */
      f[K_ADDRESS].key = rootf->key;
      f[K_ADDRESS].val = rootf->val;
      f[K_ADDRESS].name = "root";
    }
  aux->root_addr_pos = lf_val_pos (r, &f[K_ADDRESS]);
  addr_ok = get_address (r, &f[K_ADDRESS], true, &p, &has_len)
            && check_segment_addr (r, s, &p, has_len, aux->root_addr_pos);
  if (f[K_IFNAME].key)
    {
      const char *ifn = lf_get_string (r, &f[K_IFNAME], "an interface name");
      if (ifn && check_ifname (r, ifn, lf_pos_of (r, f[K_IFNAME].val)))
        {
          strcpy (seg->root_ifname, ifn);
          aux->root_ifname_ok = true;
        }
    }
  else if (lab->name && labo_lab_name_chars_ok (lab->name) && strlen (lab->name) <= LABO_NAME_MAX
           && ifname_chars_ok (seg->name) && strlen (seg->name) <= IFNAME_MAX)
    {
      /* derived only from valid names, not to report their mistakes twice */
      size_t n = strlen (lab->name) + 1 + strlen (seg->name);
      if (n > IFNAME_MAX)
        lf_error (&r->c, seg->root_pos,
                  "root interface name '%s-%s' (<lab>-<segment>) is %zu bytes long, more "
                  "than IFNAMSIZ-1 (%d): set root.ifname or shorten the lab or segment name",
                  lab->name, seg->name, n, IFNAME_MAX);
      else
        {
          snprintf (seg->root_ifname, sizeof seg->root_ifname, "%s-%s", lab->name, seg->name);
          aux->root_ifname_ok = true;
        }
    }
  if (addr_ok)
    {
      seg->has_root = true;
      seg->root_addr = p.addr;
    }
}

static void
read_segment (struct lf_reader *r, size_t s, yaml_node_t *k, yaml_node_t *v)
{
  struct labo_segment *seg = &r->c.lab->segments[s];
  cleanup_free char *where = xasprintf ("in segment '%s'", seg->name);
  cleanup_free char *label = xasprintf ("segment '%s'", seg->name);
  enum { K_SUBNET, K_MTU, K_ROOT, N_KEYS };
  struct lf_field f[N_KEYS] = {
    [K_SUBNET] = LF_FIELD ("subnet"),
    [K_MTU] = LF_FIELD ("mtu"),
    [K_ROOT] = LF_FIELD ("root"),
  };
  struct lf_field self = { seg->name, k, v, NULL };
  yaml_node_t *map;
  bool ok;

  map = lf_get_mapping (r, &self, label, &ok);
  if (!ok)
    return;
  if (map)
    lf_read_fields (r, map, where, f, N_KEYS);
  if (lf_require (r, &f[K_SUBNET], seg->pos, where))
    r->c.seg_aux[s].subnet_ok
      = get_network (r, &f[K_SUBNET], "subnet", "an IPv4 network like 203.0.113.0/24", 8, 30,
                     &seg->subnet);
  if (f[K_SUBNET].key)
    seg->subnet_pos = lf_val_pos (r, &f[K_SUBNET]);
  if (f[K_MTU].key)
    lf_get_int (r, &f[K_MTU], 68, 65535, &seg->mtu);
  if (f[K_ROOT].key)
    read_root (r, s, &f[K_ROOT]);
}

static void
read_segments (struct lf_reader *r, const struct lf_field *f)
{
  struct labo_lab *lab = r->c.lab;
  yaml_node_t *map;
  bool ok;

  map = lf_get_mapping (r, f, "'segments'", &ok);
  r->segments_broken = !ok;
  if (map == NULL)
    return;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
       p++)
    {
      yaml_node_t *k = lf_node (r, p->key), *v = lf_node (r, p->value);
      const char *name = key_name (r, k, "segment");
      struct labo_segment *seg;
      cleanup_free char *shown = NULL;
      long dup;

      if (name == NULL)
        continue;
      shown = lf_disp (name, strlen (name));
      dup = find_in (&r->segment_index, name);
      if (dup >= 0)
        {
          struct labo_pos first = lab->segments[dup].pos;
          lf_error (&r->c, lf_pos_of (r, k), "duplicate segment '%s' (first defined at %d:%d)",
                    shown, first.line, first.col);
          continue;
        }
      if (!ifname_chars_ok (name))
        lf_error (&r->c, lf_pos_of (r, k),
                  "invalid segment name '%s': segment names are interface names: use "
                  "letters, digits, '_', '.' and '-', starting with a letter or digit",
                  shown);
      else if (strlen (name) > IFNAME_MAX)
        lf_error (&r->c, lf_pos_of (r, k),
                  "segment name '%s' is %zu bytes long, more than IFNAMSIZ-1 (%d): it names "
                  "the segment's bridge interface",
                  shown, strlen (name), IFNAME_MAX);
      else if (strcmp (name, "lo") == 0)
        lf_error (&r->c, lf_pos_of (r, k),
                  "segment name 'lo' is taken by the loopback interface of the switch "
                  "namespace, where the segment's bridge lives");
      seg = labo_array_push (&lab->segments, &lab->n_segments, sizeof *seg);
      labo_array_push (&r->c.seg_aux, &r->c.n_seg_aux, sizeof *r->c.seg_aux);
      seg->name = xstrdup (name);
      labo_hmap_put (&r->segment_index, seg->name, strlen (name), lab->n_segments - 1, NULL);
      seg->pos = lf_pos_of (r, k);
      seg->mtu = LABO_DEFAULT_MTU;
      read_segment (r, lab->n_segments - 1, k, v);
    }
}

/* ---- hosts ---- */

/* A new link, with its aux record; NULL after reporting that there are
 * too many. */
static struct labo_link *
new_link (struct lf_reader *r, enum labo_link_kind kind, struct labo_pos pos)
{
  struct labo_lab *lab = r->c.lab;
  struct labo_link *l;

  /* counted as they come: through aliases, a short file may hold many */
  if (lab->n_links >= r->c.lim->links)
    {
      lf_limit_error (&r->c, pos, "too many links", r->c.lim->links, "", "links");
      return NULL;
    }
  l = labo_array_push (&lab->links, &lab->n_links, sizeof *l);
  labo_array_push (&r->c.link_aux, &r->c.n_link_aux, sizeof *r->c.link_aux);
  l->kind = kind;
  l->pos = pos;
  l->a.pos = pos;
  /* unused ends and indexes are out of range rather than plausible */
  l->a.host = l->b.host = LF_NONE;
  l->segment = LF_NONE;
  l->mtu = LABO_DEFAULT_MTU;
  return l;
}

/* The optional ifname of end `e` (0 = a, 1 = b) of link number li. */
static void
read_link_ifname (struct lf_reader *r, size_t li, int e, const struct lf_field *f)
{
  struct labo_link *l = &r->c.lab->links[li];
  struct lf_link_aux *aux = &r->c.link_aux[li];
  struct labo_endpoint *ep = e ? &l->b : &l->a;
  const char *s;

  if (f->key == NULL)
    return;
  aux->flags[e] |= LF_EP_IFNAME_GIVEN;
  aux->ifname_pos[e] = lf_val_pos (r, f);
  s = lf_get_string (r, f, "an interface name");
  if (s && check_ifname (r, s, aux->ifname_pos[e]))
    strcpy (ep->ifname, s);
  else
    aux->flags[e] |= LF_EP_IFNAME_BAD;
}

/* A link's impairments as the lab file names them: f[0 .. LABO_IMP_N-1]
 * the settings of enum labo_impair_param, f[LABO_IMP_N] `down`. */
static void
name_link_settings (struct lf_field *f)
{
  for (int p = 0; p < LABO_IMP_N; p++)
    f[p] = (struct lf_field) LF_FIELD (labo_impair_param_name ((enum labo_impair_param) p));
  f[LABO_IMP_N] = (struct lf_field) LF_FIELD ("down");
}

static void
read_link_settings (struct lf_reader *r, const struct lf_field *f, struct labo_link *l,
                    struct labo_pos pos)
{
  bool ok = true;
  for (int p = 0; p < LABO_IMP_N; p++)
    if (f[p].key)
      {
        ok &= lf_get_impair (r, &f[p], (enum labo_impair_param) p, &l->set.im);
        l->has_set = true;
      }
  if (f[LABO_IMP_N].key)
    {
      ok &= lf_get_bool (r, &f[LABO_IMP_N], &l->set.down);
      l->has_set = true;
    }
  if (ok && labo_impair_conflict (&l->set.im))
    lf_error (&r->c, pos, "%s", labo_impair_conflict (&l->set.im));
}

static void
read_host_link (struct lf_reader *r, size_t h, yaml_node_t *item)
{
  enum { K_SEGMENT, K_ADDRESS, K_IFNAME, K_MTU, K_SET, N_KEYS = K_SET + LABO_IMP_N + 1 };
  struct lf_field f[N_KEYS] = {
    [K_SEGMENT] = LF_FIELD ("segment"),
    [K_ADDRESS] = LF_FIELD ("address"),
    [K_IFNAME] = LF_FIELD ("ifname"),
    [K_MTU] = LF_FIELD ("mtu"),
  };
  struct labo_pos pos = lf_pos_of (r, item);
  struct labo_link *l = new_link (r, LABO_LINK_SEGMENT, pos);
  size_t li = r->c.lab->n_links - 1;
  struct lf_link_aux *aux;
  const char *name;

  if (l == NULL)
    return;
  aux = &r->c.link_aux[li];
  l->a.host = h;
  name_link_settings (&f[K_SET]);
  lf_read_fields (r, item, "in link", f, N_KEYS);
  read_link_settings (r, &f[K_SET], l, pos);
  if (lf_require (r, &f[K_SEGMENT], pos, "in link")
      && (name = lf_get_string (r, &f[K_SEGMENT], "a segment name")))
    l->segment = find_segment (r, name, lf_pos_of (r, f[K_SEGMENT].val));
  if (l->segment == LF_NONE)
    aux->flags[0] |= LF_EP_UNRESOLVED;
  else
    l->mtu = r->c.lab->segments[l->segment].mtu;
  read_link_ifname (r, li, 0, &f[K_IFNAME]);
  if (f[K_MTU].key)
    lf_get_int (r, &f[K_MTU], 68, 65535, &l->mtu);
  if (f[K_ADDRESS].key)
    {
      struct labo_prefix p;
      bool has_len;
      l->a.addr_pos = lf_val_pos (r, &f[K_ADDRESS]);
      if (get_address (r, &f[K_ADDRESS], true, &p, &has_len) && l->segment != LF_NONE
          && check_segment_addr (r, l->segment, &p, has_len, l->a.addr_pos))
        {
          l->a.has_addr = true;
          l->a.addr = p;
        }
      else
        aux->flags[0] |= LF_EP_ADDR_BAD;
    }
  else if (lf_unsure (&f[K_ADDRESS]))
    aux->flags[0] |= LF_EP_ADDR_BAD;
}

static void
read_route (struct lf_reader *r, size_t h, yaml_node_t *item)
{
  struct labo_host *host = &r->c.lab->hosts[h];
  static const char to_want[] = "'default' or an IPv4 network like 198.51.100.0/24";
  enum { K_TO, K_VIA, N_KEYS };
  struct lf_field f[N_KEYS] = {
    [K_TO] = LF_FIELD ("to"),
    [K_VIA] = LF_FIELD ("via"),
  };
  struct labo_pos pos = lf_pos_of (r, item);
  struct labo_route rt = { .pos = pos };
  struct lf_route_aux *aux;
  bool ok = true, has_len;
  const char *s;

  lf_read_fields (r, item, "in route", f, N_KEYS);
  ok &= lf_require (r, &f[K_TO], pos, "in route");
  ok &= lf_require (r, &f[K_VIA], pos, "in route");
  if (f[K_TO].key && (s = lf_get_string (r, &f[K_TO], to_want)))
    {
      if (strcmp (s, "default") != 0)
        ok &= get_network (r, &f[K_TO], "route destination", to_want, 0, 32, &rt.dst);
    }
  else
    ok = false;
  if (f[K_VIA].key)
    {
      struct labo_prefix via;
      if (get_address (r, &f[K_VIA], false, &via, &has_len))
        rt.via = via.addr;
      else
        ok = false;
    }
  if (!ok)
    return;
  *(struct labo_route *) labo_array_push (&host->routes, &host->n_routes, sizeof rt) = rt;
  aux = labo_array_push (&r->c.route_aux, &r->c.n_route_aux, sizeof *aux);
  aux->host = h;
  aux->route = host->n_routes - 1;
  aux->to_pos = lf_val_pos (r, &f[K_TO]);
  aux->via_pos = lf_val_pos (r, &f[K_VIA]);
}

/* Reads the items of the sequence in field f, each a mapping, with fn.
 * False when the sequence, or one of its items, is not what it should be
 * (reported): what it would have given is not known. */
static bool
read_items (struct lf_reader *r, size_t h, const struct lf_field *f, const char *what,
            void (*fn) (struct lf_reader *, size_t, yaml_node_t *))
{
  bool ok;
  yaml_node_t *seq = lf_get_sequence (r, f, &ok);
  if (seq == NULL)
    return ok;
  for (yaml_node_item_t *i = seq->data.sequence.items.start;
       i < seq->data.sequence.items.top && !r->c.over_limit; i++)
    {
      yaml_node_t *item = lf_node (r, *i);
      if (item->type != YAML_MAPPING_NODE)
        {
          cleanup_free char *found = lf_describe (item);
          lf_error (&r->c, lf_pos_of (r, item), "expected a mapping for %s, found %s", what,
                    found);
          ok = false;
          continue;
        }
      fn (r, h, item);
    }
  return ok;
}

/* api_tcp: false, true (TLS with client certificates) or insecure (the
 * seed's plain API, which must be asked for in those words). */
static void
read_api_tcp (struct lf_reader *r, const struct lf_field *f, struct labo_host *host)
{
  const char *s = f->val->type == YAML_SCALAR_NODE ? lf_text (f->val) : NULL;
  bool on;

  host->docker_tcp_pos = lf_pos_of (r, f->val);
  if (s && strcmp (s, "insecure") == 0)
    {
      host->docker_tcp = LABO_API_INSECURE;
      return;
    }
  if (s && (strcmp (s, "true") == 0 || strcmp (s, "false") == 0))
    {
      if (lf_get_bool (r, f, &on))
        host->docker_tcp = on ? LABO_API_TLS : LABO_API_OFF;
      return;
    }
  {
    cleanup_free char *found = lf_describe (f->val);
    lf_error (&r->c, lf_val_pos (r, f),
              "expected true (TLS with client certificates), false or insecure for 'api_tcp', "
              "got %s", found);
  }
}

/* The host's Docker daemon: `docker: manager|worker`, or the mapping
 * {role, api_tcp}. */
static void
read_docker (struct lf_reader *r, size_t h, const struct lf_field *f)
{
  static const char *const roles[] = { "manager", "worker" };
  static const char want[] = "'manager' or 'worker'";
  struct labo_host *host = &r->c.lab->hosts[h];
  cleanup_free char *where = xasprintf ("in docker of host '%s'", host->name);
  enum { K_ROLE, K_API_TCP, N_KEYS };
  struct lf_field g[N_KEYS] = {
    [K_ROLE] = LF_FIELD ("role"),
    [K_API_TCP] = LF_FIELD ("api_tcp"),
  };
  const struct lf_field *role = f;
  cleanup_free char *shown = NULL;
  const char *s, *sugg;

  r->c.host_aux[h].docker_bad = true; /* until proven good */
  if (f->val->type == YAML_MAPPING_NODE)
    {
      lf_read_fields (r, f->val, where, g, N_KEYS);
      if (g[K_API_TCP].key)
        read_api_tcp (r, &g[K_API_TCP], host);
      if (g[K_ROLE].key == NULL && !lf_docker_checked (&r->c))
        {
          /* under 'runtime: process' (or a runtime not known) a host
           * without a role is a host without Docker, which is all the
           * process runtime needs */
          r->c.host_aux[h].docker_bad = lf_unsure (&g[K_ROLE]);
          return;
        }
      if (!lf_require (r, &g[K_ROLE], lf_pos_of (r, f->key), where))
        return;
      role = &g[K_ROLE];
    }
  else if (f->val->type != YAML_SCALAR_NODE || lf_is_null (f->val))
    {
      lf_wrong_type (r, f, "'manager', 'worker' or a mapping");
      return;
    }
  s = lf_get_string (r, role, want);
  if (s == NULL)
    return;
  host->docker_pos = lf_pos_of (r, role->val);
  if (strcmp (s, "manager") == 0)
    host->docker = LABO_DOCKER_MANAGER;
  else if (strcmp (s, "worker") == 0)
    host->docker = LABO_DOCKER_WORKER;
  else
    {
      shown = lf_disp (s, strlen (s));
      sugg = lf_suggest (s, roles, 2);
      if (sugg)
        lf_error (&r->c, host->docker_pos,
                  "invalid docker role '%s' for host '%s' (did you mean '%s'?)", shown,
                  host->name, sugg);
      else
        lf_error (&r->c, host->docker_pos,
                  "invalid docker role '%s' for host '%s': expected %s", shown, host->name,
                  want);
      return;
    }
  r->c.host_aux[h].docker_bad = false;
}

static void
read_host (struct lf_reader *r, size_t h, yaml_node_t *k, yaml_node_t *v)
{
  cleanup_free char *where = xasprintf ("in host '%s'", r->c.lab->hosts[h].name);
  cleanup_free char *label = xasprintf ("host '%s'", r->c.lab->hosts[h].name);
  enum { K_LINKS, K_ROUTES, K_FORWARD, K_DOCKER, N_KEYS };
  struct lf_field f[N_KEYS] = {
    [K_LINKS] = LF_FIELD ("links"),
    [K_ROUTES] = LF_FIELD ("routes"),
    [K_FORWARD] = LF_FIELD ("forward"),
    [K_DOCKER] = LF_FIELD ("docker"),
  };
  struct lf_field self = { r->c.lab->hosts[h].name, k, v, NULL };
  struct lf_host_aux *aux = &r->c.host_aux[h];
  yaml_node_t *map;
  bool ok;

  map = lf_get_mapping (r, &self, label, &ok);
  if (map == NULL)
    {
      /* null: a host with no links; another type: a host not known */
      aux->docker_bad = aux->addr_unsure = !ok;
      return;
    }
  lf_read_fields (r, map, where, f, N_KEYS);
  if (f[K_LINKS].key)
    aux->addr_unsure = !read_items (r, h, &f[K_LINKS], "a link", read_host_link);
  else
    aux->addr_unsure = lf_unsure (&f[K_LINKS]);
  if (f[K_ROUTES].key)
    read_items (r, h, &f[K_ROUTES], "a route", read_route);
  if (f[K_FORWARD].key)
    lf_get_bool (r, &f[K_FORWARD], &r->c.lab->hosts[h].forward);
  if (f[K_DOCKER].key)
    read_docker (r, h, &f[K_DOCKER]);
  else
    aux->docker_bad = lf_unsure (&f[K_DOCKER]);
}

static void
read_hosts (struct lf_reader *r, const struct lf_field *f)
{
  struct labo_lab *lab = r->c.lab;
  yaml_node_t *map;
  bool ok;

  map = lf_get_mapping (r, f, "'hosts'", &ok);
  r->hosts_broken = !ok;
  if (!ok)
    return;
  if (map == NULL || map->data.mapping.pairs.start == map->data.mapping.pairs.top)
    {
      lf_error (&r->c, lf_pos_of (r, f->key),
                "'hosts' is empty: a lab needs at least one host");
      r->hosts_broken = true; /* the hosts meant are not known */
      return;
    }
  if ((size_t) (map->data.mapping.pairs.top - map->data.mapping.pairs.start) > r->c.lim->hosts)
    {
      /* at the first host too many, before reading any */
      yaml_node_t *k = lf_node (r, map->data.mapping.pairs.start[r->c.lim->hosts].key);
      lf_limit_error (&r->c, lf_pos_of (r, k), "too many hosts", r->c.lim->hosts, "", "hosts");
      r->hosts_broken = true;
      return;
    }
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
       p < map->data.mapping.pairs.top && !r->c.over_limit; p++)
    {
      yaml_node_t *k = lf_node (r, p->key), *v = lf_node (r, p->value);
      const char *name = key_name (r, k, "host");
      struct labo_host *host;
      cleanup_free char *shown = NULL;
      long dup;

      if (name == NULL)
        {
          r->c.hosts_unsure = true;
          continue;
        }
      shown = lf_disp (name, strlen (name));
      dup = find_in (&r->host_index, name);
      if (dup >= 0)
        {
          struct labo_pos first = lab->hosts[dup].pos;
          lf_error (&r->c, lf_pos_of (r, k), "duplicate host '%s' (first defined at %d:%d)",
                    shown, first.line, first.col);
          r->c.hosts_unsure = true; /* it may have been meant as another */
          continue;
        }
      if (!hostname_ok (name))
        lf_error (&r->c, lf_pos_of (r, k),
                  "invalid host name '%s': host names are DNS labels: use letters, digits "
                  "and '-', starting and ending with a letter or digit",
                  shown);
      else if (strlen (name) > LABO_HOSTNAME_MAX)
        lf_error (&r->c, lf_pos_of (r, k), "host name '%s' is %zu bytes long, more than %d",
                  shown, strlen (name), LABO_HOSTNAME_MAX);
      host = labo_array_push (&lab->hosts, &lab->n_hosts, sizeof *host);
      labo_array_push (&r->c.host_aux, &r->c.n_host_aux, sizeof *r->c.host_aux);
      host->name = xstrdup (name);
      labo_hmap_put (&r->host_index, host->name, strlen (name), lab->n_hosts - 1, NULL);
      host->pos = lf_pos_of (r, k);
      read_host (r, lab->n_hosts - 1, k, v);
    }
}

/* ---- point-to-point links ---- */

static void
read_endpoint (struct lf_reader *r, size_t li, int e, yaml_node_t *item)
{
  enum { K_HOST, K_IFNAME, K_ADDRESS, N_KEYS };
  struct lf_field f[N_KEYS] = {
    [K_HOST] = LF_FIELD ("host"),
    [K_IFNAME] = LF_FIELD ("ifname"),
    [K_ADDRESS] = LF_FIELD ("address"),
  };
  struct labo_link *l = &r->c.lab->links[li];
  struct lf_link_aux *aux = &r->c.link_aux[li];
  struct labo_endpoint *ep = e ? &l->b : &l->a;
  struct labo_pos pos = lf_pos_of (r, item);
  const char *name;

  ep->pos = pos;
  lf_read_fields (r, item, "in endpoint", f, N_KEYS);
  if (lf_require (r, &f[K_HOST], pos, "in endpoint")
      && (name = lf_get_string (r, &f[K_HOST], "a host name")))
    {
      aux->host_pos[e] = lf_pos_of (r, f[K_HOST].val);
      ep->host = find_host (r, name, aux->host_pos[e]);
    }
  if (ep->host == LF_NONE)
    aux->flags[e] |= LF_EP_UNRESOLVED;
  if (ep->host == LF_NONE && (f[K_ADDRESS].key || lf_unsure (&f[K_ADDRESS])))
    r->c.addrs_unsure = true; /* some host may have this address */
  read_link_ifname (r, li, e, &f[K_IFNAME]);
  if (lf_unsure (&f[K_ADDRESS]))
    aux->flags[e] |= LF_EP_ADDR_BAD;
  if (f[K_ADDRESS].key)
    {
      struct labo_prefix p;
      bool has_len;
      char b[20];
      uint32_t mask;
      const char *s = lf_get_string (r, &f[K_ADDRESS], "an IPv4 address like 10.0.0.1/30");

      ep->addr_pos = lf_val_pos (r, &f[K_ADDRESS]);
      aux->flags[e] |= LF_EP_ADDR_BAD; /* until proven good */
      if (s == NULL)
        return;
      if (labo_prefix_parse (s, &p, &has_len) < 0)
        {
          cleanup_free char *shown = lf_disp (s, strlen (s));
          lf_error (&r->c, ep->addr_pos,
                    "expected an IPv4 address with prefix length like 10.0.0.1/30, got '%s'",
                    shown);
          return;
        }
      if (!has_len)
        {
          lf_error (&r->c, ep->addr_pos,
                    "p2p endpoint address %s needs a prefix length, as in 10.0.0.1/30", s);
          return;
        }
      if (p.len < 8 || p.len > 31)
        {
          lf_error (&r->c, ep->addr_pos, "p2p prefix length /%u is out of range (/8../31)",
                    (unsigned) p.len);
          return;
        }
      /* /31 has no network or broadcast address (RFC 3021) */
      mask = labo_prefix_mask (p.len);
      if (p.len <= 30 && (p.addr == (p.addr & mask) || p.addr == (p.addr | ~mask)))
        {
          struct labo_prefix net = { p.addr & mask, p.len };
          lf_error (&r->c, ep->addr_pos, "address %s is the %s address of %s", s,
                    p.addr == net.addr ? "network" : "broadcast", labo_prefix_format (&net, b));
          return;
        }
      aux->flags[e] &= ~(unsigned) LF_EP_ADDR_BAD;
      ep->has_addr = true;
      ep->addr = p;
    }
}

static void
read_p2p_link (struct lf_reader *r, size_t unused, yaml_node_t *item)
{
  enum { K_ENDPOINTS, K_MTU, K_SET, N_KEYS = K_SET + LABO_IMP_N + 1 };
  struct lf_field f[N_KEYS] = {
    [K_ENDPOINTS] = LF_FIELD ("endpoints"),
    [K_MTU] = LF_FIELD ("mtu"),
  };
  struct labo_pos pos = lf_pos_of (r, item);
  bool addrs_unsure = r->c.addrs_unsure;
  size_t li;
  yaml_node_t *eps;
  size_t n;

  if (new_link (r, LABO_LINK_P2P, pos) == NULL)
    return;
  li = r->c.lab->n_links - 1;
  r->c.link_aux[li].flags[0] = r->c.link_aux[li].flags[1] = LF_EP_UNRESOLVED;
  name_link_settings (&f[K_SET]);
  lf_read_fields (r, item, "in p2p link", f, N_KEYS);
  read_link_settings (r, &f[K_SET], &r->c.lab->links[li], pos);
  if (f[K_MTU].key)
    lf_get_int (r, &f[K_MTU], 68, 65535, &r->c.lab->links[li].mtu);
  /* until its endpoints are read: some hosts may have addresses on it */
  r->c.addrs_unsure = true;
  if (!lf_require (r, &f[K_ENDPOINTS], pos, "in p2p link"))
    return;
  if (f[K_ENDPOINTS].val->type != YAML_SEQUENCE_NODE)
    {
      lf_wrong_type (r, &f[K_ENDPOINTS], "a sequence of two endpoints");
      return;
    }
  eps = f[K_ENDPOINTS].val;
  n = (size_t) (eps->data.sequence.items.top - eps->data.sequence.items.start);
  if (n != 2)
    {
      lf_error (&r->c, lf_pos_of (r, eps), "a p2p link needs exactly 2 endpoints, found %zu",
                n);
      return;
    }
  r->c.addrs_unsure = addrs_unsure;
  r->c.link_aux[li].flags[0] = r->c.link_aux[li].flags[1] = 0;
  r->c.link_aux[li].endpoints_ok = true;
  for (int e = 0; e < 2; e++)
    {
      yaml_node_t *item_e = lf_node (r, eps->data.sequence.items.start[e]);
      if (item_e->type != YAML_MAPPING_NODE)
        {
          cleanup_free char *found = lf_describe (item_e);
          lf_error (&r->c, lf_pos_of (r, item_e),
                    "expected a mapping for an endpoint, found %s", found);
          r->c.link_aux[li].flags[e] |= LF_EP_UNRESOLVED;
          r->c.link_aux[li].endpoints_ok = false;
          r->c.addrs_unsure = true;
          continue;
        }
      read_endpoint (r, li, e, item_e);
    }
}

/* ---- Swarm, the overlay, nodes ---- */

static void
read_swarm (struct lf_reader *r, const struct lf_field *f)
{
  struct labo_swarm *sw = &r->c.lab->swarm;
  enum { K_ADDRESS_POOL, K_SUBNET_SIZE, N_KEYS };
  struct lf_field g[N_KEYS] = {
    [K_ADDRESS_POOL] = LF_FIELD ("address_pool"),
    [K_SUBNET_SIZE] = LF_FIELD ("subnet_size"),
  };
  struct labo_prefix pool;
  yaml_node_t *map;
  bool ok;
  int size;

  r->c.swarm_given = true;
  sw->pos = lf_pos_of (r, f->key);
  map = lf_get_mapping (r, f, "'swarm'", &ok);
  if (map)
    lf_read_fields (r, map, "in swarm", g, N_KEYS);
  if (g[K_ADDRESS_POOL].key)
    {
      r->c.pool_pos = lf_val_pos (r, &g[K_ADDRESS_POOL]);
      if (get_network (r, &g[K_ADDRESS_POOL], "address pool",
                       "an IPv4 network like 10.128.0.0/16", 8, 28, &pool))
        sw->address_pool = pool;
      else
        r->c.pool_bad = true;
    }
  else
    r->c.pool_bad = lf_unsure (&g[K_ADDRESS_POOL]); /* not known: the default may not be it */
  if (g[K_SUBNET_SIZE].key && lf_get_int (r, &g[K_SUBNET_SIZE], 9, 29, &size))
    {
      char b[20];
      if (!r->c.pool_bad && size <= sw->address_pool.len)
        lf_error (&r->c, lf_pos_of (r, g[K_SUBNET_SIZE].val),
                  "subnet_size %d must be more than the address pool's prefix length (%s): "
                  "Swarm cuts subnets of that size out of the pool",
                  size, labo_prefix_format (&sw->address_pool, b));
      else
        sw->subnet_size = (uint8_t) size;
    }
}

/* ---- supervision ---- */

#define MINUTES(m) ((m) * 60000)

/* supervise.backoff: the delays between restarts after quick deaths.
 * *initial_unsure as read_supervise says. */
static void
read_backoff (struct lf_reader *r, yaml_node_t *map, const char *where,
              struct labo_supervise *sv, bool *initial_unsure)
{
  enum { K_INITIAL, K_MAX, K_RESET, N_KEYS };
  struct lf_field f[N_KEYS] = {
    [K_INITIAL] = LF_FIELD ("initial"),
    [K_MAX] = LF_FIELD ("max"),
    [K_RESET] = LF_FIELD ("reset"),
  };
  cleanup_free char *in_backoff = xasprintf ("%s.backoff", where);

  lf_read_fields (r, map, in_backoff, f, N_KEYS);
  if (f[K_INITIAL].key)
    *initial_unsure = !lf_get_duration (r, &f[K_INITIAL], 0, MINUTES (10), &sv->backoff_ms);
  else
    *initial_unsure |= lf_unsure (&f[K_INITIAL]);
  if (f[K_MAX].key)
    lf_get_duration (r, &f[K_MAX], 0, MINUTES (60), &sv->backoff_max_ms);
  if (f[K_RESET].key)
    lf_get_duration (r, &f[K_RESET], 0, MINUTES (60), &sv->backoff_reset_ms);
  /* against an initial delay the file gave, or the default */
  if (f[K_MAX].key && !*initial_unsure && sv->backoff_max_ms < sv->backoff_ms)
    {
      char a[24], c[24];
      lf_error (&r->c, lf_pos_of (r, f[K_MAX].val),
                "backoff max %s is less than its initial delay %s",
                labo_duration_format (sv->backoff_max_ms, a),
                labo_duration_format (sv->backoff_ms, c));
    }
}

/* supervise.give_up: so many deaths within so long, and no more restarts. */
static void
read_give_up (struct lf_reader *r, yaml_node_t *map, const char *where,
              struct labo_supervise *sv)
{
  enum { K_DEATHS, K_WITHIN, N_KEYS };
  struct lf_field f[N_KEYS] = {
    [K_DEATHS] = LF_FIELD ("deaths"),
    [K_WITHIN] = LF_FIELD ("within"),
  };
  cleanup_free char *in_give_up = xasprintf ("%s.give_up", where);

  lf_read_fields (r, map, in_give_up, f, N_KEYS);
  if (f[K_DEATHS].key)
    lf_get_int (r, &f[K_DEATHS], 1, LABO_SUPERVISE_MAX_DEATHS, &sv->give_up_deaths);
  if (f[K_WITHIN].key)
    lf_get_duration (r, &f[K_WITHIN], 1000, MINUTES (24 * 60), &sv->give_up_within_ms);
}

/* supervise.probe: how a node is asked whether it serves. */
static void
read_probe (struct lf_reader *r, yaml_node_t *map, const char *where,
            struct labo_supervise *sv)
{
  enum { K_INTERVAL, K_TIMEOUT, K_FAILURES, K_GRACE, N_KEYS };
  struct lf_field f[N_KEYS] = {
    [K_INTERVAL] = LF_FIELD ("interval"),
    [K_TIMEOUT] = LF_FIELD ("timeout"),
    [K_FAILURES] = LF_FIELD ("failures"),
    [K_GRACE] = LF_FIELD ("grace"),
  };
  cleanup_free char *in_probe = xasprintf ("%s.probe", where);

  lf_read_fields (r, map, in_probe, f, N_KEYS);
  if (f[K_INTERVAL].key
      && lf_get_duration (r, &f[K_INTERVAL], 0, MINUTES (10), &sv->probe_interval_ms)
      && sv->probe_interval_ms > 0 && sv->probe_interval_ms < 100)
    lf_error (&r->c, lf_pos_of (r, f[K_INTERVAL].val),
              "probe interval %dms is under 100ms: give 0s (no probes) or 100ms or more",
              sv->probe_interval_ms);
  if (f[K_TIMEOUT].key)
    lf_get_duration (r, &f[K_TIMEOUT], 10, MINUTES (1), &sv->probe_timeout_ms);
  if (f[K_FAILURES].key)
    lf_get_int (r, &f[K_FAILURES], 1, 100, &sv->probe_failures);
  if (f[K_GRACE].key)
    lf_get_duration (r, &f[K_GRACE], 0, MINUTES (60), &sv->probe_grace_ms);
}

/* `supervise` (at the top level, or in a node): every key optional, each
 * one given overriding *sv; `where` names the mapping ("in supervise").
 * *initial_unsure says whether sv's backoff.initial is known (one of the
 * file's that could not be read): in, as inherited; out, as it is now. */
static void
read_supervise (struct lf_reader *r, const struct lf_field *f, const char *where,
                struct labo_supervise *sv, bool *initial_unsure)
{
  enum { K_RESTART, K_MIN_GAP, K_BACKOFF, K_GIVE_UP, K_PROBE, N_KEYS };
  struct lf_field g[N_KEYS] = {
    [K_RESTART] = LF_FIELD ("restart"),
    [K_MIN_GAP] = LF_FIELD ("min_gap"),
    [K_BACKOFF] = LF_FIELD ("backoff"),
    [K_GIVE_UP] = LF_FIELD ("give_up"),
    [K_PROBE] = LF_FIELD ("probe"),
  };
  yaml_node_t *map;
  bool ok;

  map = lf_get_mapping (r, f, "'supervise'", &ok);
  if (map == NULL)
    {
      *initial_unsure |= !ok;
      return;
    }
  lf_read_fields (r, map, where, g, N_KEYS);
  if (g[K_RESTART].key)
    lf_get_bool (r, &g[K_RESTART], &sv->restart);
  if (g[K_MIN_GAP].key)
    lf_get_duration (r, &g[K_MIN_GAP], 0, MINUTES (10), &sv->min_gap_ms);
  *initial_unsure |= lf_unsure (&g[K_BACKOFF]);
  if (g[K_BACKOFF].key && (map = lf_get_mapping (r, &g[K_BACKOFF], "'backoff'", &ok)) == NULL)
    *initial_unsure |= !ok;
  if (g[K_BACKOFF].key && map)
    read_backoff (r, map, where, sv, initial_unsure);
  if (g[K_GIVE_UP].key && (map = lf_get_mapping (r, &g[K_GIVE_UP], "'give_up'", &ok)))
    read_give_up (r, map, where, sv);
  if (g[K_PROBE].key && (map = lf_get_mapping (r, &g[K_PROBE], "'probe'", &ok)))
    read_probe (r, map, where, sv);
}

static void
read_runtime (struct lf_reader *r, const struct lf_field *f)
{
  static const char *const names[] = { "auto", "docker", "process" };
  struct labo_lab *lab = r->c.lab;
  const char *s = lf_get_string (r, f, "'auto', 'docker' or 'process'");
  cleanup_free char *shown = NULL;
  const char *sugg;

  lab->runtime_pos = lf_val_pos (r, f);
  if (s != NULL && labo_runtime_parse (s, &lab->runtime) == 0)
    return;
  r->c.runtime_unsure = true;
  if (s == NULL)
    return;
  shown = lf_disp (s, strlen (s));
  sugg = lf_suggest (s, names, 3);
  if (sugg)
    lf_error (&r->c, lab->runtime_pos, "unknown runtime '%s' (did you mean '%s'?)", shown, sugg);
  else
    lf_error (&r->c, lab->runtime_pos,
              "unknown runtime '%s': expected 'auto', 'docker' or 'process'", shown);
}

/* Overlay names are Docker network names, [A-Za-z0-9][A-Za-z0-9_.-]*: the
 * characters of interface names, without their length limit. */
static bool
overlay_name_ok (const char *s)
{
  return ifname_chars_ok (s);
}

static void
read_overlay (struct lf_reader *r, const struct lf_field *f)
{
  struct labo_overlay *ov = &r->c.lab->overlay;
  enum { K_NAME, K_SUBNET, N_KEYS };
  struct lf_field g[N_KEYS] = {
    [K_NAME] = LF_FIELD ("name"),
    [K_SUBNET] = LF_FIELD ("subnet"),
  };
  yaml_node_t *map;
  const char *name;
  bool ok;

  ov->present = true;
  ov->pos = lf_pos_of (r, f->key);
  map = lf_get_mapping (r, f, "'overlay'", &ok);
  if (!ok)
    return;
  if (map)
    lf_read_fields (r, map, "in overlay", g, N_KEYS);
  if (lf_require (r, &g[K_NAME], ov->pos, "in overlay")
      && (name = lf_get_string (r, &g[K_NAME], "an overlay name")))
    {
      cleanup_free char *shown = lf_disp (name, strlen (name));
      if (!overlay_name_ok (name))
        lf_error (&r->c, lf_pos_of (r, g[K_NAME].val),
                  "invalid overlay name '%s': use letters, digits, '_', '.' and '-', "
                  "starting with a letter or digit",
                  shown);
      else if (strlen (name) > LABO_HOSTNAME_MAX)
        lf_error (&r->c, lf_pos_of (r, g[K_NAME].val),
                  "overlay name '%s' is %zu bytes long, more than %d", shown, strlen (name),
                  LABO_HOSTNAME_MAX);
      else
        ov->name = xstrdup (name);
    }
  if (lf_require (r, &g[K_SUBNET], ov->pos, "in overlay"))
    {
      r->c.overlay_subnet_pos = lf_val_pos (r, &g[K_SUBNET]);
      if (get_network (r, &g[K_SUBNET], "overlay subnet", "an IPv4 network like 10.0.0.0/24", 8, 28,
                       &ov->subnet))
        {
          /* Docker's part: the upper half, whose last usable address is the
           * gateway; nodes have the lower half */
          uint32_t bcast = ov->subnet.addr | ~labo_prefix_mask (ov->subnet.len);
          ov->gateway = bcast - 1;
          ov->ip_range.len = (uint8_t) (ov->subnet.len + 1);
          ov->ip_range.addr = ov->subnet.addr | (1u << (31 - ov->subnet.len));
          r->c.overlay_ok = true;
        }
    }
}

/* Checks that node address p (length optional) may be given on the overlay:
 * inside its subnet's lower half, not the network address. */
static bool
check_overlay_addr (struct lf_reader *r, const struct labo_prefix *p, bool has_len,
                    struct labo_pos pos)
{
  const struct labo_overlay *ov = &r->c.lab->overlay;
  const char *name = ov->name ? ov->name : "";
  char a[16], n[20], tmp[20], lo[16], hi[16], gw[16];

  labo_ipv4_format (p->addr, a);
  labo_prefix_format (&ov->subnet, n);
  if (has_len && p->len != ov->subnet.len)
    {
      lf_error (&r->c, pos,
                "address %s has prefix length /%u but overlay '%s' is %s (write %s or %s/%u)",
                labo_prefix_format (p, tmp), (unsigned) p->len, name, n, a, a,
                (unsigned) ov->subnet.len);
      return false;
    }
  if (!labo_prefix_contains (&ov->subnet, p->addr))
    {
      lf_error (&r->c, pos, "address %s is outside overlay '%s' (%s)", a, name, n);
      return false;
    }
  if (p->addr == ov->subnet.addr)
    {
      lf_error (&r->c, pos, "address %s is the network address of overlay '%s' (%s)", a, name,
                n);
      return false;
    }
  if (labo_prefix_contains (&ov->ip_range, p->addr))
    {
      lf_error (&r->c, pos,
                "address %s is in the upper half of overlay '%s' (%s), which Docker keeps for "
                "its gateway %s and its load balancers: give nodes addresses %s to %s",
                a, name, labo_prefix_format (&ov->ip_range, tmp),
                labo_ipv4_format (ov->gateway, gw), labo_ipv4_format (ov->subnet.addr + 1, lo),
                labo_ipv4_format (ov->ip_range.addr - 1, hi));
      return false;
    }
  return true;
}

/* A decimal port number: 1 to 5 digits, no leading zero. */
static bool
port_digits (const char *s, size_t n, long *out)
{
  if (n == 0 || n > 5 || strspn (s, "0123456789") < n || (n > 1 && s[0] == '0'))
    return false;
  *out = strtol (s, NULL, 10);
  return true;
}

/* One item of `ports`: "HOSTPORT:CONTAINERPORT", or the same with "/tcp",
 * as `docker run -p` writes it.  Unquoted, 32181:2181 is a sexagesimal
 * integer to YAML 1.1, but libyaml hands over the scalar's text, which is
 * what is read here. */
static void
read_port (struct lf_reader *r, struct labo_node *node, yaml_node_t *item)
{
  static const char want[] = "a port mapping HOSTPORT:CONTAINERPORT like 32181:2181";
  struct labo_pos pos = lf_pos_of (r, item);
  cleanup_free char *shown = NULL;
  struct labo_port *port;
  const char *s, *colon, *slash;
  long hp, cp;
  size_t n, len;

  if (item->type != YAML_SCALAR_NODE || lf_is_null (item))
    {
      cleanup_free char *found = lf_describe (item);
      lf_error (&r->c, pos, "expected %s, found %s", want, found);
      return;
    }
  s = lf_text (item);
  len = item->data.scalar.length;
  shown = lf_disp (s, len);
  /* the mapping, then its protocol: "70000:2181/udp" is out of range
   * first */
  slash = memchr (s, '/', len);
  n = slash ? (size_t) (slash - s) : len;
  colon = memchr (s, ':', n);
  if (colon == NULL || !port_digits (s, (size_t) (colon - s), &hp)
      || !port_digits (colon + 1, n - (size_t) (colon - s) - 1, &cp))
    {
      lf_error (&r->c, pos, "expected %s, got '%s'", want, shown);
      return;
    }
  if (hp < 1 || hp > 65535 || cp < 1 || cp > 65535)
    {
      bool host_bad = hp < 1 || hp > 65535;
      lf_error (&r->c, pos, "%s port %ld in '%s' is out of range (1..65535)",
                host_bad ? "host" : "container", host_bad ? hp : cp, shown);
      return;
    }
  if (slash && len - n - 1 == 0)
    {
      lf_error (&r->c, pos, "expected %s, got '%s'", want, shown);
      return;
    }
  /* both runtimes publish TCP (Docker's -p .../tcp, the process runtime's
   * DNAT rules), and so does the gate on a root link */
  if (slash && (len - n - 1 != 3 || memcmp (slash + 1, "tcp", 3) != 0))
    {
      cleanup_free char *proto = lf_disp (slash + 1, len - n - 1);
      if (strcmp (proto, "udp") == 0)
        lf_error (&r->c, pos,
                  "labo publishes TCP only: '%s' asks for UDP, which ZooKeeper does not "
                  "serve (write %.*s or %.*s/tcp)",
                  shown, (int) n, s, (int) n, s);
      else
        lf_error (&r->c, pos,
                  "labo publishes TCP only: '%s' asks for '%s' (write %.*s or %.*s/tcp)",
                  shown, proto, (int) n, s, (int) n, s);
      return;
    }
  port = labo_array_push (&node->ports, &node->n_ports, sizeof *port);
  port->host_port = (uint16_t) hp;
  port->container_port = (uint16_t) cp;
  port->pos = pos;
}

/* The kinds of node `service:` names; no `service:` is a generic node. */
static const char *const services[] = { "zookeeper", "etcd", "shell" };
static const enum labo_service service_of[] = { LABO_SERVICE_ZOOKEEPER, LABO_SERVICE_ETCD,
                                                LABO_SERVICE_SHELL };

/* `service` of node (f given): its kind, or 0 after reporting. */
static enum labo_service
read_service (struct lf_reader *r, const struct lf_field *f)
{
  const char *s = lf_get_string (r, f, "'zookeeper', 'etcd' or 'shell'");
  cleanup_free char *shown = NULL;
  const char *sugg;

  if (s == NULL)
    return 0;
  for (size_t i = 0; i < sizeof services / sizeof *services; i++)
    if (strcmp (s, services[i]) == 0)
      return service_of[i];
  shown = lf_disp (s, strlen (s));
  sugg = lf_suggest (s, services, sizeof services / sizeof *services);
  if (sugg)
    lf_error (&r->c, lf_pos_of (r, f->val), "unknown service '%s' (did you mean '%s'?)", shown,
              sugg);
  else
    lf_error (&r->c, lf_pos_of (r, f->val),
              "unknown service '%s': expected 'zookeeper', 'etcd' or 'shell', or no 'service' "
              "and an 'image' of your own",
              shown);
  return 0;
}

/* What a key that only a zookeeper node takes is, in a node of kind s
 * (known, not zookeeper). */
static void
not_zookeeper (struct lf_reader *r, const struct labo_node *node, const struct lf_field *f)
{
  bool myid = strcmp (f->name, "myid") == 0;
  const char *instead;

  switch (node->service)
    {
    case LABO_SERVICE_ETCD:
      instead = myid ? "an etcd member is named after its node"
                     : "an etcd node serves clients on 2379 (publish it with 'ports')";
      break;
    case LABO_SERVICE_SHELL:
      instead = "a shell node runs no server";
      break;
    case LABO_SERVICE_GENERIC:
    default:
      instead = myid ? "give your image its id in 'env' or 'command'"
                     : "say how to tell that your node serves with 'health: {tcp: PORT}'";
      break;
    }
  lf_error (&r->c, lf_pos_of (r, f->key), "'%s' is for zookeeper nodes, and node '%s' is %s %s "
            "node: %s", f->name, node->name, node->service == LABO_SERVICE_ETCD ? "an" : "a",
            lf_kind_name (node->service), instead);
}

/* A key that only a generic node (no `service`) takes, in a node of a
 * kind of labo's own. */
static void
kind_refuses (struct lf_reader *r, const struct labo_node *node, const struct lf_field *f,
              const char *what)
{
  const char *k = lf_kind_name (node->service);
  lf_error (&r->c, lf_pos_of (r, f->key),
            "%s %s node runs %s: remove '%s', or 'service' to run an image of your own",
            node->service == LABO_SERVICE_ETCD ? "an" : "a", k, what, f->name);
}

static void
read_node (struct lf_reader *r, size_t i, yaml_node_t *k, yaml_node_t *v)
{
  struct labo_lab *lab = r->c.lab;
  struct labo_node *node = &lab->nodes[i];
  struct lf_node_aux *aux = &r->c.node_aux[i];
  cleanup_free char *where = xasprintf ("in node '%s'", node->name);
  cleanup_free char *label = xasprintf ("node '%s'", node->name);
  static const char *const starts[] = { "auto", "by-hand" };
  enum { K_HOST, K_ADDRESS, K_SERVICE, K_IMAGE, K_COMMAND, K_ENV, K_BINDS, K_HEALTH, K_AFTER,
         K_PORTS, K_MYID, K_CLIENT_PORT, K_SUPERVISE, K_START, N_KEYS };
  struct lf_field f[N_KEYS] = {
    [K_HOST] = LF_FIELD ("host"),
    [K_ADDRESS] = LF_FIELD ("address"),
    [K_SERVICE] = LF_FIELD ("service"),
    [K_IMAGE] = LF_FIELD ("image"),
    [K_COMMAND] = LF_FIELD ("command"),
    [K_ENV] = LF_FIELD ("env"),
    [K_BINDS] = LF_FIELD ("binds"),
    [K_HEALTH] = LF_FIELD ("health"),
    [K_AFTER] = LF_FIELD ("after"),
    [K_PORTS] = LF_FIELD ("ports"),
    [K_MYID] = LF_FIELD ("myid"),
    [K_CLIENT_PORT] = LF_FIELD ("client_port"),
    [K_SUPERVISE] = LF_FIELD ("supervise"),
    [K_START] = LF_FIELD ("start"),
  };
  cleanup_free char *in_supervise = xasprintf ("in nodes.%s.supervise", node->name);
  struct lf_field self = { node->name, k, v, NULL };
  yaml_node_t *map;
  const char *s;
  bool ok, addr_known = false;
  /* a kind of labo's own, whose image and command are labo's */
  bool own;

  map = lf_get_mapping (r, &self, label, &ok);
  if (!ok)
    return;
  if (map)
    lf_read_fields (r, map, where, f, N_KEYS);
  node->supervise = lab->supervise;
  if (f[K_SUPERVISE].key)
    {
      bool initial_unsure = r->initial_unsure;
      read_supervise (r, &f[K_SUPERVISE], in_supervise, &node->supervise, &initial_unsure);
    }
  if (lf_require (r, &f[K_HOST], node->pos, where)
      && (s = lf_get_string (r, &f[K_HOST], "a host name")))
    {
      aux->host_pos = lf_pos_of (r, f[K_HOST].val);
      node->host = find_host (r, s, aux->host_pos);
      if (node->host != LF_NONE && lab->hosts[node->host].docker == LABO_DOCKER_NONE
          && !r->c.host_aux[node->host].docker_bad && lf_docker_checked (&r->c))
        lf_error (&r->c, aux->host_pos,
                  "node '%s' is on host '%s', which does not run Docker (give the host "
                  "'docker: worker' or 'docker: manager')",
                  node->name, lab->hosts[node->host].name);
    }
  if (lf_require (r, &f[K_ADDRESS], node->pos, where))
    {
      struct labo_prefix p;
      bool has_len;
      node->address_pos = lf_val_pos (r, &f[K_ADDRESS]);
      if (get_address (r, &f[K_ADDRESS], true, &p, &has_len))
        {
          node->address = p.addr;
          addr_known = true;
          aux->addr_ok
            = r->c.overlay_ok && check_overlay_addr (r, &p, has_len, node->address_pos);
        }
    }
  /* The kind first: which keys the node takes depends on it. Not known
   * (0) when `service` is misspelt or invalid (reported): then nothing is
   * said of the keys that depend on it. */
  if (f[K_SERVICE].key)
    node->service = read_service (r, &f[K_SERVICE]);
  else if (!lf_unsure (&f[K_SERVICE]))
    node->service = LABO_SERVICE_GENERIC;
  own = node->service != 0 && node->service != LABO_SERVICE_GENERIC;
  if (node->service == LABO_SERVICE_ETCD)
    node->client_port = 2379; /* etcd's; where labo_node_reach finds a member */
  if (f[K_IMAGE].key && own)
    kind_refuses (r, node, &f[K_IMAGE], "labo's own image");
  else if (f[K_IMAGE].key)
    lf_read_image (r, node, &f[K_IMAGE]);
  else if (node->service == LABO_SERVICE_GENERIC && !lf_unsure (&f[K_IMAGE]))
    lf_error (&r->c, node->pos,
              "node '%s' has neither a 'service' nor an 'image': give 'service: zookeeper', "
              "'etcd' or 'shell', or 'image:' (a `docker save` archive or a recipe under "
              "images/) for a node of your own",
              node->name);
  if (f[K_COMMAND].key && own)
    kind_refuses (r, node, &f[K_COMMAND], "labo's own command");
  else if (f[K_COMMAND].key)
    lf_read_argv (r, &f[K_COMMAND], "'command'", "[sleep, infinity]", &node->command,
                  &node->n_command);
  if (f[K_BINDS].key && own)
    kind_refuses (r, node, &f[K_BINDS], "labo's own image, which is given nothing of the machine");
  else if (f[K_BINDS].key)
    lf_read_binds (r, node, &f[K_BINDS]);
  if (f[K_ENV].key)
    lf_read_env (r, node, &f[K_ENV]);
  if (f[K_HEALTH].key)
    lf_read_health (r, node, &f[K_HEALTH], addr_known);
  if (f[K_AFTER].key)
    lf_read_after (r, i, &f[K_AFTER]);
  if (f[K_PORTS].key)
    {
      yaml_node_t *seq = lf_get_sequence (r, &f[K_PORTS], &ok);
      if (seq)
        for (yaml_node_item_t *it = seq->data.sequence.items.start;
             it < seq->data.sequence.items.top; it++)
          read_port (r, node, lf_node (r, *it));
    }
  /* myid and client_port are a zookeeper node's; of a node whose kind is
   * not known, neither is read nor refused */
  if (f[K_MYID].key && node->service != LABO_SERVICE_ZOOKEEPER)
    {
      if (node->service != 0)
        not_zookeeper (r, node, &f[K_MYID]);
    }
  else if (f[K_MYID].key && lf_get_int (r, &f[K_MYID], 1, 255, &node->myid))
    {
      aux->myid_given = true;
      aux->myid_pos = lf_pos_of (r, f[K_MYID].val);
    }
  else
    aux->myid_unsure = f[K_MYID].key || lf_unsure (&f[K_MYID]);
  if (f[K_CLIENT_PORT].key && node->service != LABO_SERVICE_ZOOKEEPER)
    {
      if (node->service != 0)
        not_zookeeper (r, node, &f[K_CLIENT_PORT]);
    }
  else if (f[K_CLIENT_PORT].key)
    lf_get_int (r, &f[K_CLIENT_PORT], 1, 65535, &node->client_port);
  if (f[K_START].key && (s = lf_get_string (r, &f[K_START], "auto or by-hand")))
    {
      node->start_pos = lf_pos_of (r, f[K_START].val);
      if (strcmp (s, "auto") == 0)
        node->start = LABO_START_AUTO;
      else if (strcmp (s, "by-hand") == 0)
        {
          node->start = LABO_START_BY_HAND;
          if (node->service != 0 && node->service != LABO_SERVICE_ZOOKEEPER)
            lf_error (&r->c, node->start_pos,
                      "'start: by-hand' is for zookeeper nodes: the attendee configures and "
                      "starts ZooKeeper by hand (this node's container is its service)");
          else if (lab->runtime == LABO_RUNTIME_PROCESS)
            lf_error (&r->c, node->start_pos,
                      "'start: by-hand' needs the docker runtime: the attendee types into "
                      "the node's container (this lab says 'runtime: process')");
        }
      else
        {
          cleanup_free char *shown = lf_disp (s, strlen (s));
          const char *sugg = lf_suggest (s, starts, 2);
          if (sugg)
            lf_error (&r->c, node->start_pos, "unknown start '%s' (did you mean '%s'?)", shown,
                      sugg);
          else
            lf_error (&r->c, node->start_pos,
                      "unknown start '%s' (expected 'auto', or 'by-hand': the attendee "
                      "configures and starts the service)", shown);
        }
    }
}

/* `after` of every node, once every node is read: names to indexes. A
 * name that is not a node's, the node itself, or a name given twice, is
 * reported and left out; loops are validate.c's. */
static void
resolve_after (struct lf_reader *r)
{
  struct labo_lab *lab = r->c.lab;
  /* of each node t, the last node (+ 1) that named it, and where in its
   * list: a name given twice is found without a scan */
  cleanup_free size_t *named_by = xcalloc (lab->n_nodes + 1, sizeof *named_by);
  cleanup_free size_t *named_at = xcalloc (lab->n_nodes + 1, sizeof *named_at);

  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      struct labo_node *node = &lab->nodes[i];
      struct lf_node_aux *aux = &r->c.node_aux[i];

      for (size_t j = 0; j < aux->n_after_names; j++)
        {
          const struct lf_name_ref *ref = &aux->after_names[j];
          cleanup_free char *shown = lf_disp (ref->name, strlen (ref->name));
          long t = find_in (&r->node_index, ref->name);
          size_t q;

          if (t < 0)
            {
              name_list (&r->node_names, &r->n_node_names, lab->nodes, lab->n_nodes,
                         sizeof *lab->nodes);
              undefined (r, ref->pos, "node", ref->name, r->node_names, lab->n_nodes);
              continue;
            }
          if ((size_t) t == i)
            {
              lf_error (&r->c, ref->pos, "node '%s' cannot start after itself", shown);
              continue;
            }
          if (named_by[t] == i + 1)
            {
              q = named_at[t];
              lf_error (&r->c, ref->pos, "node '%s' is named twice in 'after' (first at %d:%d)",
                        shown, aux->after_pos[q].line, aux->after_pos[q].col);
              continue;
            }
          named_by[t] = i + 1;
          named_at[t] = node->n_after;
          q = node->n_after;
          *(struct labo_pos *) labo_array_push (&aux->after_pos, &q, sizeof *aux->after_pos)
              = ref->pos;
          *(size_t *) labo_array_push (&node->after, &node->n_after, sizeof *node->after)
              = (size_t) t;
        }
    }
}

static void
read_nodes (struct lf_reader *r, const struct lf_field *f)
{
  struct labo_lab *lab = r->c.lab;
  yaml_node_t *map;
  bool ok, order_unsure = false;

  map = lf_get_mapping (r, f, "'nodes'", &ok);
  if (map == NULL)
    return;
  if ((size_t) (map->data.mapping.pairs.top - map->data.mapping.pairs.start) > r->c.lim->nodes)
    {
      yaml_node_t *k = lf_node (r, map->data.mapping.pairs.start[r->c.lim->nodes].key);
      lf_limit_error (&r->c, lf_pos_of (r, k), "too many nodes", r->c.lim->nodes, "", "nodes");
      return;
    }
  if (!lab->overlay.present && !r->c.overlay_unsure
      && map->data.mapping.pairs.start < map->data.mapping.pairs.top)
    lf_error (&r->c, lf_pos_of (r, f->key),
              "'nodes' needs an 'overlay': each node has its address on it");
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
       p++)
    {
      yaml_node_t *k = lf_node (r, p->key), *v = lf_node (r, p->value);
      const char *name = key_name (r, k, "node");
      struct labo_node *node;
      cleanup_free char *shown = NULL;
      long dup;

      /* a node not read, or whose service is not known, may have been a
       * zookeeper node: the positions after it are not known */
      if (name == NULL)
        {
          order_unsure = true;
          continue;
        }
      shown = lf_disp (name, strlen (name));
      dup = find_in (&r->node_index, name);
      if (dup >= 0)
        {
          struct labo_pos first = lab->nodes[dup].pos;
          lf_error (&r->c, lf_pos_of (r, k), "duplicate node '%s' (first defined at %d:%d)",
                    shown, first.line, first.col);
          order_unsure = true;
          continue;
        }
      if (!hostname_ok (name))
        lf_error (&r->c, lf_pos_of (r, k),
                  "invalid node name '%s': node names are DNS labels: use letters, digits "
                  "and '-', starting and ending with a letter or digit",
                  shown);
      else if (strlen (name) > LABO_HOSTNAME_MAX)
        lf_error (&r->c, lf_pos_of (r, k), "node name '%s' is %zu bytes long, more than %d",
                  shown, strlen (name), LABO_HOSTNAME_MAX);
      else if ((dup = find_in (&r->host_index, name)) >= 0)
        lf_error (&r->c, lf_pos_of (r, k),
                  "node name '%s' is also a host name (defined at %d:%d): 'labo exec' takes "
                  "both, so they must differ",
                  shown, lab->hosts[dup].pos.line, lab->hosts[dup].pos.col);
      node = labo_array_push (&lab->nodes, &lab->n_nodes, sizeof *node);
      labo_array_push (&r->c.node_aux, &r->c.n_node_aux, sizeof *r->c.node_aux);
      node->name = xstrdup (name);
      labo_hmap_put (&r->node_index, node->name, strlen (name), lab->n_nodes - 1, NULL);
      node->pos = lf_pos_of (r, k);
      node->host = LF_NONE;
      node->client_port = 2181;
      r->c.node_aux[lab->n_nodes - 1].order_unsure = order_unsure;
      read_node (r, lab->n_nodes - 1, k, v);
      order_unsure |= node->service == 0; /* none read */
    }
  resolve_after (r);
}

/* ---- the document ---- */

static void
read_lab (struct lf_reader *r, yaml_node_t *root)
{
  struct labo_lab *lab = r->c.lab;
  enum
  {
    K_LAB,
    K_SEGMENTS,
    K_HOSTS,
    K_LINKS,
    K_SWARM,
    K_OVERLAY,
    K_NODES,
    K_RUNTIME,
    K_SUPERVISE,
    N_KEYS
  };
  struct lf_field f[N_KEYS] = {
    [K_LAB] = LF_FIELD ("lab"),
    [K_SEGMENTS] = LF_FIELD ("segments"),
    [K_HOSTS] = LF_FIELD ("hosts"),
    [K_LINKS] = LF_FIELD ("links"),
    [K_SWARM] = LF_FIELD ("swarm"),
    [K_OVERLAY] = LF_FIELD ("overlay"),
    [K_NODES] = LF_FIELD ("nodes"),
    [K_RUNTIME] = LF_FIELD ("runtime"),
    [K_SUPERVISE] = LF_FIELD ("supervise"),
  };
  struct labo_pos top = lf_pos_of (r, root);
  const char *name;

  lf_read_fields (r, root, "at the top level", f, N_KEYS);
  if (lf_require (r, &f[K_LAB], top, "at the top level")
      && (name = lf_get_string (r, &f[K_LAB], "a lab name")))
    {
      cleanup_free char *shown = lf_disp (name, strlen (name));
      lab->name = xstrdup (name);
      lab->name_pos = lf_pos_of (r, f[K_LAB].val);
      if (!labo_lab_name_chars_ok (name))
        lf_error (&r->c, lab->name_pos,
                  "invalid lab name '%s': use lowercase letters, digits and '-', starting "
                  "with a letter or digit, without '--' and not ending with '-'",
                  shown);
      else if (strlen (name) > LABO_NAME_MAX)
        lf_error (&r->c, lab->name_pos, "lab name '%s' is %zu bytes long, more than %d", shown,
                  strlen (name), LABO_NAME_MAX);
    }
  /* in this order whatever the file's, so that references resolve; a key
   * that may have been misspelt (lf_unsure) is one whose value is not
   * known, and what depends on it is not reported */
  if (f[K_RUNTIME].key) /* first: what is required depends on it */
    read_runtime (r, &f[K_RUNTIME]);
  else
    r->c.runtime_unsure = lf_unsure (&f[K_RUNTIME]);
  if (f[K_SEGMENTS].key)
    read_segments (r, &f[K_SEGMENTS]);
  else
    r->segments_broken = lf_unsure (&f[K_SEGMENTS]);
  if (lf_require (r, &f[K_HOSTS], top, "at the top level"))
    read_hosts (r, &f[K_HOSTS]);
  else
    r->hosts_broken = true;
  r->c.hosts_unsure |= r->hosts_broken;
  if (f[K_LINKS].key && !r->c.over_limit)
    r->c.addrs_unsure |= !read_items (r, 0, &f[K_LINKS], "a p2p link", read_p2p_link);
  else
    r->c.addrs_unsure |= lf_unsure (&f[K_LINKS]);
  if (r->c.over_limit)
    return; /* the rest would be read without what it refers to */
  if (f[K_SWARM].key)
    read_swarm (r, &f[K_SWARM]);
  if (f[K_OVERLAY].key)
    read_overlay (r, &f[K_OVERLAY]);
  else
    r->c.overlay_unsure = lf_unsure (&f[K_OVERLAY]);
  if (f[K_SUPERVISE].key) /* before the nodes, which start from it */
    read_supervise (r, &f[K_SUPERVISE], "in supervise", &lab->supervise, &r->initial_unsure);
  else
    r->initial_unsure = lf_unsure (&f[K_SUPERVISE]);
  if (f[K_NODES].key) /* after the hosts and the overlay, which nodes refer to */
    read_nodes (r, &f[K_NODES]);
}

/* Loads the one document of `text` and reads it into the model.  Returns
 * false when there was nothing to validate. */
static bool
read_text (struct lf_reader *r, const char *text, size_t len)
{
  __attribute__ ((cleanup (lf_yaml_input_release))) struct lf_yaml_input y = { 0 };
  yaml_node_t *root
      = lf_yaml_load (r, &y, text, len, "lab file", "a mapping with 'lab' and 'hosts'");

  if (root == NULL)
    return false;
  read_lab (r, root);
  r->doc = NULL;
  return true;
}

struct labo_lab *
labo_labfile_parse (const char *file, const char *text, size_t len, struct labo_diags *diags)
{
  return labo_labfile_parse_limited (file, text, len, NULL, diags);
}

void
lf_reader_release (struct lf_reader *r)
{
  free (r->c.link_aux);
  free (r->c.seg_aux);
  free (r->c.route_aux);
  free (r->c.host_aux);
  for (size_t i = 0; i < r->c.n_node_aux; i++)
    {
      for (size_t j = 0; j < r->c.node_aux[i].n_after_names; j++)
        free (r->c.node_aux[i].after_names[j].name);
      free (r->c.node_aux[i].after_names);
      free (r->c.node_aux[i].after_pos);
    }
  free (r->c.node_aux);
  labo_hmap_free (&r->host_index);
  labo_hmap_free (&r->segment_index);
  labo_hmap_free (&r->node_index);
  free (r->host_names);
  free (r->segment_names);
  free (r->node_names);
}

struct labo_lab *
labo_labfile_parse_limited (const char *file, const char *text, size_t len,
                            const struct labo_limits *lim, struct labo_diags *diags)
{
  struct labo_diags scratch = { NULL, 0 };
  cleanup_lab struct labo_lab *lab = xcalloc (1, sizeof *lab);
  struct lf_reader r = { .c = { .lim = lim ? lim : &labo_limits_default,
                                .suggest_budget = LF_SUGGEST_BUDGET } };
  size_t first;

  if (diags == NULL)
    diags = &scratch;
  first = diags->n;
  lab->file = xstrdup (file);
  /* Swarm's defaults, whether the file has 'swarm' or not.  Docker's own
   * default pool, 10.0.0.0/8, would put its ingress network on 10.0.0.0/24,
   * the seed's overlay: see docs/labfile.md */
  lab->swarm.address_pool = (struct labo_prefix){ 0x0a800000, 16 }; /* 10.128.0.0/16 */
  lab->swarm.subnet_size = 24;
  lab->swarm.pos = (struct labo_pos){ lab->file, 0, 0 };
  lab->supervise = labo_supervise_defaults ();
  r.c.lab = lab;
  r.c.diags = diags;
  if (read_text (&r, text, len) && !r.c.over_limit)
    lf_validate (&r.c);
  lf_reader_release (&r);
  lf_diags_sort (diags, first);
  labo_diags_free (&scratch);
  if (r.c.n_errors > 0)
    return NULL;
  return steal_ptr (&lab);
}

struct labo_lab *
labo_labfile_load (const char *path, struct labo_diags *diags)
{
  return labo_labfile_load_limited (path, NULL, diags);
}

struct labo_lab *
labo_labfile_load_limited (const char *path, const struct labo_limits *lim,
                           struct labo_diags *diags)
{
  cleanup_free char *text = NULL;
  size_t len = 0;

  /* no more than the limit and a byte: a file past it (or /dev/zero) is
   * refused without being read whole */
  text = labo_read_file_max (path, (lim ? lim : &labo_limits_default)->file_size, &len);
  if (text == NULL)
    {
      if (diags)
        lf_diag_add (diags, path, 0, 0,
                     xasprintf ("cannot read lab file: %s", strerror (errno)));
      return NULL;
    }
  return labo_labfile_parse_limited (path, text, len, lim, diags);
}
