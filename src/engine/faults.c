/* Partitions and powered-off hosts of a running lab: see
 * include/labo/engine/faults.h. */
#include "labo/engine/faults.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/super/control.h"
#include "labo/engine/links.h"
#include "labo/engine/pause.h"
#include "labo/net/netlink.h"
#include "labo/net/netns.h"
#include "labo/net/nft.h"
#include "labo/model/plan.h"
#include "labo/model/records.h"
#include "labo/runtime/runtime.h"
#include "labo/model/state.h"
#include "labo/util/util.h"

size_t
labo_host_addresses (const struct labo_lab *lab, size_t h, uint32_t **addrs)
{
  size_t n = 0;

  *addrs = NULL;
  for (size_t l = 0; l < lab->n_links; l++)
    {
      const struct labo_link *k = &lab->links[l];
      if (k->a.host == h && k->a.has_addr)
        *(uint32_t *) labo_array_push (addrs, &n, sizeof (uint32_t)) = k->a.addr.addr;
      if (k->kind == LABO_LINK_P2P && k->b.host == h && k->b.has_addr)
        *(uint32_t *) labo_array_push (addrs, &n, sizeof (uint32_t)) = k->b.addr.addr;
    }
  for (size_t i = 0; labo_runtime_of (lab)->overlay_on_hosts && i < lab->n_nodes; i++)
    if (lab->nodes[i].host == h)
      *(uint32_t *) labo_array_push (addrs, &n, sizeof (uint32_t)) = lab->nodes[i].address;
  return n;
}

int
labo_cuts_apply (const struct labo_lab *lab, const struct labo_cut *cuts, size_t n,
                 labo_error_t *err)
{
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      cleanup_free uint32_t *to = NULL;
      cleanup_free uint32_t *from = NULL;
      cleanup_free char *ns = labo_host_netns_name (lab->name, lab->hosts[h].name);
      cleanup_close int fd = -1;
      size_t n_to = 0, n_from = 0;

      for (size_t i = 0; i < n; i++)
        {
          cleanup_free uint32_t *a = NULL;
          size_t k;
          if (cuts[i].from == h)
            {
              k = labo_host_addresses (lab, cuts[i].to, &a);
              for (size_t j = 0; j < k; j++)
                *(uint32_t *) labo_array_push (&to, &n_to, sizeof (uint32_t)) = a[j];
            }
          else if (cuts[i].to == h)
            {
              k = labo_host_addresses (lab, cuts[i].from, &a);
              for (size_t j = 0; j < k; j++)
                *(uint32_t *) labo_array_push (&from, &n_from, sizeof (uint32_t)) = a[j];
            }
        }
      fd = labo_netns_open (ns, err);
      if (fd < 0 || labo_nft_set_blocks (fd, ns, to, n_to, from, n_from, err) < 0)
        return labo_error_wrap (err, "cutting host %s", lab->hosts[h].name);
    }
  return 0;
}

static bool
has_cut (const struct labo_cut *cuts, size_t n, size_t from, size_t to)
{
  for (size_t i = 0; i < n; i++)
    if (cuts[i].from == from && cuts[i].to == to)
      return true;
  return false;
}

/* Under the file's lock: reads the cuts, lets `change` edit them, writes
 * them back and applies them. change returns how many it changed. */
static int
edit_cuts (const struct labo_lab *lab,
           int (*change) (const struct labo_lab *, struct labo_cut **, size_t *, const long *),
           const long *args, labo_error_t *err)
{
  cleanup_close int fd = labo_record_open_locked (lab, LABO_CUTS_FILE, err);
  cleanup_free char *text = NULL;
  cleanup_free char *out = NULL;
  cleanup_free struct labo_cut *cuts = NULL;
  size_t n = 0;
  int changed;

  if (fd < 0)
    return -1;
  text = labo_record_read (fd);
  labo_cuts_parse (lab, text, &cuts, &n);
  changed = change (lab, &cuts, &n, args);
  out = labo_cuts_format (lab, cuts, n);
  if (labo_record_write (fd, out, "partitions", err) < 0 || labo_cuts_apply (lab, cuts, n, err) < 0)
    return -1;
  return changed;
}

static int
add_cut (struct labo_cut **cuts, size_t *n, size_t from, size_t to)
{
  struct labo_cut *c;
  if (from == to || has_cut (*cuts, *n, from, to))
    return 0;
  c = labo_array_push (cuts, n, sizeof (*c));
  c->from = from;
  c->to = to;
  return 1;
}

/* args: a, b, oneway */
static int
do_partition (const struct labo_lab *lab, struct labo_cut **cuts, size_t *n, const long *args)
{
  int changed = add_cut (cuts, n, (size_t) args[0], (size_t) args[1]);
  if (!args[2])
    changed += add_cut (cuts, n, (size_t) args[1], (size_t) args[0]);
  return changed;
}

static int
do_isolate (const struct labo_lab *lab, struct labo_cut **cuts, size_t *n, const long *args)
{
  int changed = 0;
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      changed += add_cut (cuts, n, (size_t) args[0], h);
      changed += add_cut (cuts, n, h, (size_t) args[0]);
    }
  return changed;
}

/* args: a, b (-1: all) */
static int
do_heal (const struct labo_lab *lab, struct labo_cut **cuts, size_t *n, const long *args)
{
  size_t kept = 0;
  int removed = 0;
  for (size_t i = 0; i < *n; i++)
    {
      const struct labo_cut *c = &(*cuts)[i];
      bool match = args[0] < 0
                   || ((long) c->from == args[0] && (long) c->to == args[1])
                   || ((long) c->from == args[1] && (long) c->to == args[0]);
      if (match)
        removed++;
      else
        (*cuts)[kept++] = *c;
    }
  *n = kept;
  return removed;
}

/* Every change of the cuts, into the supervisor's events. */
static void
note (const struct labo_lab *lab, const char *verb, const char *subject, json_t *args,
      const char *what)
{
  labo_control_note (lab->name, "fault", subject, json_pack ("{s:s, s:o}", "verb", verb, "args",
                                                             args),
                     "%s (`labo %s`)", what, verb);
}

int
labo_partition (const struct labo_lab *lab, size_t a, size_t b, bool oneway, labo_error_t *err)
{
  const long args[] = { (long) a, (long) b, oneway };
  const char *A = lab->hosts[a].name, *B = lab->hosts[b].name;
  cleanup_free char *what = oneway ? xasprintf ("%s cut from %s one way: what %s sends %s is "
                                                 "dropped", A, B, A, B)
                                    : xasprintf ("%s and %s cut from each other", A, B);
  int r = edit_cuts (lab, do_partition, args, err);
  /* into the events when something changed: a cut already there is none */
  if (r > 0)
    note (lab, "partition", A,
          oneway ? json_pack ("[s, s, s]", A, B, "--oneway") : json_pack ("[s, s]", A, B), what);
  return r;
}

int
labo_isolate (const struct labo_lab *lab, size_t a, labo_error_t *err)
{
  const long args[] = { (long) a };
  const char *A = lab->hosts[a].name;
  cleanup_free char *what = xasprintf ("%s cut from every other host", A);
  int r = edit_cuts (lab, do_isolate, args, err);
  if (r > 0)
    note (lab, "partition", A, json_pack ("[s, s]", "--isolate", A), what);
  return r;
}

int
labo_heal (const struct labo_lab *lab, long a, long b, labo_error_t *err)
{
  const long args[] = { a, b };
  int r = edit_cuts (lab, do_heal, args, err);
  if (r > 0 && a >= 0)
    {
      const char *A = lab->hosts[a].name, *B = lab->hosts[b].name;
      cleanup_free char *what = xasprintf ("%s and %s joined again", A, B);
      note (lab, "heal", A, json_pack ("[s, s]", A, B), what);
    }
  else if (r > 0)
    note (lab, "heal", lab->name, json_array (), "every cut healed");
  return r;
}

json_t *
labo_faults_json (const struct labo_lab *lab)
{
  cleanup_free struct labo_cut *cuts = NULL;
  cleanup_free bool *off = NULL;
  json_t *parts = json_array (), *powered = json_array ();
  size_t n = 0;

  labo_cuts_load (lab, &cuts, &n, NULL);
  for (size_t i = 0; i < n; i++)
    json_array_append_new (parts, json_pack ("{s:s, s:s}", "from", lab->hosts[cuts[i].from].name,
                                             "to", lab->hosts[cuts[i].to].name));
  labo_power_load (lab, &off, NULL);
  for (size_t h = 0; h < lab->n_hosts; h++)
    if (off[h])
      json_array_append_new (powered, json_string (lab->hosts[h].name));
  return json_pack ("{s:o, s:o, s:o, s:o}", "partitions", parts, "powered_off", powered, "links",
                    labo_links_json (lab), "paused", labo_paused_json (lab));
}

/* A request only the supervisor may carry out: it owns the processes, and
 * must not restart what is powered off. */
static int
ask_supervisor (const char *lab, json_t *req, labo_error_t *err)
{
  json_t *reply = NULL;
  int r;

  if (labo_supervisor_alive (lab, NULL) <= 0)
    r = labo_error_make (err, 0, "lab %s has no supervisor running, and only it may power "
                                 "hosts off and on or signal nodes: `labo up` of its lab file "
                                 "starts one", lab);
  else
    r = labo_control_call (lab, req, LABO_CONTROL_POWER_MS, &reply, err);
  json_decref (reply);
  json_decref (req);
  return r;
}

int
labo_power_request (const struct labo_lab *lab, size_t h, bool on, labo_error_t *err)
{
  return ask_supervisor (lab->name, json_pack ("{s:s, s:s, s:b}", "cmd", "power", "host",
                                               lab->hosts[h].name, "on", on), err);
}

int
labo_kill_request (const struct labo_lab *lab, size_t node, int sig, labo_error_t *err)
{
  return ask_supervisor (lab->name, json_pack ("{s:s, s:s, s:i}", "cmd", "kill", "name",
                                               lab->nodes[node].name, "signal", sig), err);
}
