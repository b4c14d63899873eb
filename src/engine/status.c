/* A lab's status, from its state directory and the kernel: see
 * include/labo/engine/status.h. */
#include "labo/engine/status.h"
#include "labo/model/copy.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <signal.h>
#include <stdlib.h>

#include "labo/kind/kind.h"
#include "labo/super/control.h"
#include "labo/docker/daemon.h"
#include "labo/docker/docker.h"
#include "labo/runtime/docker_up.h"
#include "labo/engine/engine.h"
#include "labo/engine/clock.h"
#include "labo/engine/faults.h"
#include "labo/net/inspect.h"
#include "labo/model/labfile.h"
#include "labo/net/netns.h"
#include "labo/model/plan.h"
#include "labo/runtime/runtime.h"
#include "labo/model/state.h"
#include "labo/zk/zkdata.h"
#include "labo/super/supervisor.h"
#include "labo/util/util.h"
#include "labo/zk/zkproc.h"

/* The supervisor answers status from its loop at once; 3 s allows for a
 * loop busy with a restart, and a hung one shows as "not answering"
 * rather than holding `labo status` up. */
#define SUPERVISOR_STATUS_MS 3000
/* ZooKeeper answers `srvr` within milliseconds; a node silent for 500 ms
 * shows as down (so may one behind a link slowed past that), and status
 * stays quick with many nodes. */
#define SRVR_PROBE_MS 500

char *
labo_status_state (const char *lab)
{
  cleanup_free char *lock = xasprintf ("%s/%s/lock", labo_run_dir (), lab);
  cleanup_close int fd = open (lock, O_RDWR | O_CLOEXEC);
  char *state = labo_state_meta (lab, "state");

  if (fd >= 0 && flock (fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK)
    {
      /* whoever holds the lock: a reset says so (its mark means nothing
       * once the lock is free: a reset that died) */
      cleanup_free char *resetting = labo_state_get (lab, LABO_RESET_MARK, NULL);
      free (state);
      return xstrdup (resetting ? "resetting" : "building");
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

static const char *str (json_t *o, const char *key);

static long
read_pid (const char *path)
{
  cleanup_free char *t = labo_read_file (path, NULL);
  return t ? atol (t) : 0;
}

/* The element of array `arr` whose `key` is `val`, or NULL. */
static json_t *
find_by (json_t *arr, const char *key, const char *val)
{
  size_t i;
  json_t *o;
  json_array_foreach (arr, i, o)
    if (strcmp (str (o, key), val) == 0)
      return o;
  return NULL;
}

/* The supervisor's own record of a unit (restarts, its state under
 * supervision, the last death), copied into `into`; `up_since` comes from
 * the kernel (the process's start) when the supervisor is not there. */
static void
supervision (json_t *into, json_t *unit, json_t *tallies, pid_t pid)
{
  char when[32];
  double start = pid > 0 ? labo_proc_start_wall (pid) : 0;

  json_object_set_new (into, "up_since", start > 0 ? json_string (labo_iso_time (start, when))
                                                   : json_null ());
  if (unit)
    {
      json_object_set (into, "restarts", json_object_get (unit, "restarts"));
      json_object_set_new (
          into, "supervision",
          json_pack ("{s:O, s:O, s:O, s:O, s:O, s:O}", "state", json_object_get (unit, "state"),
                     "deaths", json_object_get (unit, "deaths"), "last_exit",
                     json_object_get (unit, "last_exit"), "cause",
                     json_object_get (unit, "cause"), "restart_in_ms",
                     json_object_get (unit, "restart_in_ms"), "log_tail",
                     json_object_get (unit, "log_tail")));
    }
  else
    {
      /* the tallies a dead supervisor left, as they stood */
      json_int_t starts = json_integer_value (json_object_get (tallies, "starts"));
      json_object_set_new (into, "restarts",
                           tallies ? json_integer (starts > 0 ? starts - 1 : 0) : json_null ());
      json_object_set_new (into, "supervision", json_null ());
    }
}

/* The supervisor: its own status when it answers. Adds "supervisor" to
 * out; returns its reply (a new reference) or NULL. */
static json_t *
supervisor_view (const struct labo_lab *lab, json_t *out, bool *degraded)
{
  bool died = false;
  pid_t pid = labo_supervisor_alive (lab->name, &died);
  labo_error_t e = NULL;
  json_t *req, *reply = NULL;

  if (!labo_supervisor_needed (lab, lab->runtime))
    {
      json_object_set_new (out, "supervisor", json_null ());
      return NULL;
    }
  if (pid <= 0)
    {
      json_object_set_new (out, "supervisor",
                           json_pack ("{s:s, s:n}", "state", died ? "dead" : "not running", "pid"));
      *degraded = true;
      return NULL;
    }
  req = json_pack ("{s:s}", "cmd", "status");
  if (labo_control_call (lab->name, req, SUPERVISOR_STATUS_MS, &reply, &e) < 0)
    {
      json_object_set_new (out, "supervisor",
                           json_pack ("{s:s, s:i, s:s}", "state", "not answering", "pid",
                                      (int) pid, "error", e->msg));
      labo_error_release (&e);
      *degraded = true;
    }
  else
    json_object_set_new (out, "supervisor",
                         json_pack ("{s:s, s:i, s:O, s:O, s:O, s:O}", "state", "running", "pid",
                                    (int) pid, "since", json_object_get (reply, "since"), "rss_kb",
                                    json_object_get (reply, "rss_kb"), "wakeups",
                                    json_object_get (reply, "wakeups"), "ensemble",
                                    json_object_get (reply, "ensemble")));
  json_decref (req);
  return reply;
}

/* Docker daemons and Swarm membership (hosts[].docker); true if something
 * is not as the lab file says. */
static bool
daemons_status (const struct labo_lab *lab, json_t *out, struct labo_docker *d, json_t *sv,
                json_t *tallies)
{
  json_t *hosts = json_object_get (out, "hosts"), *swarm_nodes = NULL;
  bool degraded = false;
  char buf[20];

  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      const struct labo_host *host = &lab->hosts[h];
      struct labo_daemon_paths p;
      json_t *o, *jh = json_array_get (hosts, h);
      labo_error_t e = NULL;
      long pid;
      bool alive, made;

      if (host->docker == LABO_DOCKER_NONE || !labo_runtime_of (lab)->daemons)
        {
          json_object_set_new (jh, "docker", json_null ());
          continue;
        }
      labo_daemon_paths (lab->name, h, host->name, &p);
      pid = read_pid (p.pidfile);
      alive = pid > 0 && kill ((pid_t) pid, 0) == 0
              && labo_daemon_connect (lab, h, &d[h], &e) == 0
              && labo_docker_ping (&d[h], &e) == 0;
      labo_error_release (&e);
      /* `up --until network` made no daemon: none is missing */
      made = labo_lab_reaches (lab, LABO_STAGE_DAEMONS);
      degraded |= !alive && made;
      o = json_object ();
      json_object_set_new (o, "role", json_string (host->docker == LABO_DOCKER_MANAGER
                                                       ? "manager" : "worker"));
      json_object_set_new (o, "state", json_string (alive ? "running" : made ? "down"
                                                                             : "not made"));
      json_object_set_new (o, "pid", pid > 0 ? json_integer (pid) : json_null ());
      supervision (o, find_by (json_object_get (sv, "daemons"), "host", host->name),
                   json_object_get (json_object_get (tallies, "daemons"), host->name),
                   alive ? (pid_t) pid : 0);
      json_object_set_new (o, "socket", json_string (p.socket));
      json_object_set_new (o, "log", json_string (p.log));
      if (host->docker_tcp != LABO_API_OFF)
        {
          cleanup_free char *tcp = xasprintf ("tcp://%s:%d",
                                              labo_ipv4_format (labo_lab_outside (lab, host->lab_address), buf),
                                              labo_host_api_port (host));
          cleanup_free char *certs = labo_daemon_tls_client_dir (lab->name);
          bool tls = host->docker_tcp == LABO_API_TLS;
          json_object_set_new (o, "tcp", json_string (tcp));
          json_object_set_new (o, "tls", json_boolean (tls));
          json_object_set_new (o, "cert_path", tls ? json_string (certs) : json_null ());
        }
      if (alive && host->docker == LABO_DOCKER_MANAGER && swarm_nodes == NULL
          && labo_docker_swarm_nodes (&d[h], &swarm_nodes, &e) < 0)
        labo_error_release (&e);
      json_object_set_new (jh, "docker", o);
      labo_daemon_paths_free (&p);
    }
  /* Swarm membership as the manager sees it, by node (host) name */
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      json_t *o = json_object_get (json_array_get (hosts, h), "docker"), *sn;
      size_t i;
      if (!json_is_object (o))
        continue;
      json_t *sw = json_object ();
      json_object_set_new (sw, "state", json_string (labo_lab_reaches (lab, LABO_STAGE_SWARM)
                                                         ? "unknown" : "not made"));
      json_array_foreach (swarm_nodes, i, sn)
        if (strcmp (str (sn, "name"), lab->hosts[h].name) == 0)
          {
            json_object_set_new (sw, "role", json_string (str (sn, "role")));
            json_object_set_new (sw, "state", json_string (str (sn, "state")));
            json_object_set (sw, "leader", json_object_get (sn, "leader"));
          }
      degraded |= strcmp (str (sw, "state"), "ready") != 0
                  && labo_lab_reaches (lab, LABO_STAGE_SWARM);
      json_object_set_new (o, "swarm", sw);
    }
  json_decref (swarm_nodes);
  return degraded;
}

/* Nodes (their container or process, ZooKeeper's mode from `srvr`, the
 * supervisor's tallies) and the ensemble; true if any is not serving. */
static bool
nodes_status (const struct labo_lab *lab, json_t *out, struct labo_docker *d, json_t *sv,
              json_t *tallies)
{
  json_t *nodes = json_array ();
  size_t n_zk = 0;
  const struct labo_kind *electing = NULL;
  cleanup_free enum labo_mode *modes = xcalloc (lab->n_nodes + 1, sizeof (*modes));
  cleanup_free const char **names = xcalloc (lab->n_nodes + 1, sizeof (*names));
  bool degraded = false;
  char buf[20];
  cleanup_free bool *paused = NULL;

  labo_paused_load (lab, &paused, NULL);
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      const struct labo_node *node = &lab->nodes[i];
      json_t *o = json_object (), *ports = json_array ();
      json_t *svn = find_by (json_object_get (sv, "nodes"), "name", node->name);
      struct labo_probe_result z;
      char state[32];
      bool not_started;
      pid_t pid = labo_runtime_of (lab)->node_state (lab, i, d, state);
      labo_kind_probe (lab, node, pid, SRVR_PROBE_MS, &z);
      json_object_set_new (o, "name", json_string (node->name));
      json_object_set_new (o, "host", json_string (lab->hosts[node->host].name));
      json_object_set_new (o, "address", json_string (labo_ipv4_format (node->address, buf)));
      json_object_set_new (o, "service", json_string (labo_kind_of (node)->name));
      json_object_set_new (o, "myid", node->service == LABO_SERVICE_ZOOKEEPER
                                          ? json_integer (node->myid) : json_null ());
      json_object_set_new (o, labo_runtime_of (lab)->node_field, json_string (state));
      json_object_set_new (o, "pid", pid > 0 ? json_integer (pid) : json_null ());
      for (size_t k = 0; k < node->n_ports; k++)
        {
          /* as the machine reaches it (a copy's address, on its block) */
          cleanup_free char *pp = xasprintf ("%s:%u->%u",
                                             labo_ipv4_format (labo_lab_outside (lab, lab->hosts[node->host].lab_address), buf),
                                             node->ports[k].host_port, node->ports[k].container_port);
          json_array_append_new (ports, json_string (pp));
        }
      json_object_set_new (o, "ports", ports);
      /* a by-hand node its attendee has not started yet: no failure */
      not_started = z.mode == LABO_MODE_DOWN && labo_node_by_hand (lab, node)
                    && (pid <= 0 || !labo_zk_started_by_hand (lab->name, node->name));
      if (!labo_lab_reaches (lab, LABO_STAGE_CONTAINERS))
        json_object_set_new (o, "mode", json_string ("not made"));
      else
        json_object_set_new (o, "mode", json_string (paused[i] ? "paused"
                                                     : not_started ? "not started"
                                                                   : labo_mode_name (z.mode)));
      /* `labo pause`: frozen, on record (its probe above could only time out) */
      json_object_set_new (o, "paused", json_boolean (paused[i]));
      json_object_set_new (o, "start", json_string (labo_node_by_hand (lab, node) ? "by-hand"
                                                                                 : "auto"));
      if (labo_runtime_of (lab)->node_image)
        json_object_set_new (o, "ssh", json_pack ("{s:s, s:i, s:s, s:s}", "address",
                                                  labo_ipv4_format (node->address, buf),
                                                  "port", 22, "user", "root", "password",
                                                  LABO_NODE_ROOT_PASSWORD));
      if (z.mode >= LABO_MODE_LEADER && node->service == LABO_SERVICE_ZOOKEEPER)
        {
          cleanup_free char *zx = xasprintf ("0x%llx", (unsigned long long) z.zxid);
          json_object_set_new (o, "zxid", json_string (zx));
          json_object_set_new (o, "znodes", json_integer (z.node_count));
          json_object_set_new (o, "outstanding", json_integer (z.outstanding));
        }
      supervision (o, svn, json_object_get (json_object_get (tallies, "nodes"), node->name),
                   pid);
      /* the ensemble: the lab's first electing kind's nodes */
      if (electing == NULL && labo_kind_of (node)->elects)
        electing = labo_kind_of (node);
      if (labo_kind_of (node) == electing)
        {
          modes[n_zk] = z.mode;
          names[n_zk++] = node->name;
        }
      degraded |= z.mode < LABO_MODE_LEADER && !not_started
                  && labo_lab_reaches (lab, LABO_STAGE_CONTAINERS);
      json_array_append_new (nodes, o);
    }
  json_object_set_new (out, "nodes", nodes);
  /* an ensemble of nodes not made yet is none */
  if (n_zk > 0 && labo_lab_reaches (lab, LABO_STAGE_CONTAINERS))
    {
      json_t *en = json_object ();
      struct labo_ensemble e;
      const char *warning = NULL;
      cleanup_free char *text = NULL;
      /* the definition the supervisor's events use too (labo/zk.h) */
      labo_ensemble_assess (modes, n_zk, &e);
      text = labo_ensemble_text (&e, modes, names);
      json_object_set_new (en, "servers", json_integer ((json_int_t) e.servers));
      json_object_set_new (en, "serving", json_integer ((json_int_t) e.serving));
      json_object_set_new (en, "quorum", json_boolean (e.quorum));
      json_object_set_new (en, "leader", e.quorum ? json_string (names[e.leader]) : json_null ());
      json_object_set_new (en, "leaders", json_integer ((json_int_t) e.leaders));
      /* a majority must stay: the failures it can still take, now */
      json_object_set_new (en, "tolerates", json_integer ((json_int_t) e.tolerates));
      json_object_set_new (en, "summary", json_string (text));
      if (e.servers == 2)
        warning = "two servers survive no failure: losing either stops the ensemble";
      else if (e.servers == 1)
        warning = "a single server: no failure survives it";
      else if (e.quorum && e.tolerates == 0)
        warning = "one more failure stops the ensemble";
      json_object_set_new (en, "warning", warning ? json_string (warning) : json_null ());
      json_object_set_new (out, "ensemble", en);
    }
  return degraded;
}

/* Docker, Swarm, nodes, the ensemble and the supervisor, added to the
 * status object; returns true if something is not as the lab file says. */
static bool
runtime_status (const struct labo_lab *lab, json_t *out)
{
  struct labo_docker *d = xcalloc (lab->n_hosts ? lab->n_hosts : 1, sizeof (*d));
  cleanup_free char *tally_file = labo_control_path (lab->name, "supervisor.json");
  json_t *tallies = json_load_file (tally_file, 0, NULL);
  bool degraded = false;
  json_t *sv = supervisor_view (lab, out, &degraded);

  degraded |= daemons_status (lab, out, d, sv, tallies);
  degraded |= nodes_status (lab, out, d, sv, tallies);
  for (size_t h = 0; h < lab->n_hosts; h++)
    labo_docker_close (&d[h]);
  free (d);
  json_decref (sv);
  json_decref (tallies);
  return degraded;
}

/* A segment: its bridge in the switch namespace and, when the lab file
 * asks for one, the root namespace's interface on it. Sets *degraded if
 * either is missing or down. */
static json_t *
segment_json (const struct labo_segment *seg, const struct labo_ifinfo *sw_ifs, size_t n_sw,
              const struct labo_ifinfo *root_ifs, size_t n_root, bool *degraded)
{
  const struct labo_ifinfo *br = labo_inspect_find (sw_ifs, n_sw, seg->name);
  json_t *o = json_object ();
  int ports = 0;
  char buf[20];

  for (size_t i = 0; br && i < n_sw; i++)
    ports += sw_ifs[i].master == br->ifindex;
  json_object_set_new (o, "name", json_string (seg->name));
  json_object_set_new (o, "subnet", json_string (labo_prefix_format (&seg->subnet, buf)));
  json_object_set_new (o, "mtu", json_integer (seg->mtu));
  json_object_set_new (o, "state", json_string (if_state (br)));
  json_object_set_new (o, "ports", json_integer (ports));
  *degraded |= br == NULL || !br->up;
  if (seg->has_root)
    {
      const struct labo_ifinfo *ri = labo_inspect_find (root_ifs, n_root, seg->root_ifname);
      json_t *r = json_object ();
      struct labo_prefix p = { labo_segment_root_address (seg), seg->subnet.len };
      struct labo_prefix in = { seg->root_addr, seg->subnet.len };
      json_object_set_new (r, "ifname", json_string (seg->root_ifname));
      json_object_set_new (r, "address", json_string (labo_prefix_format (&p, buf)));
      /* a copy's: the segment as the machine sees it, and the machine's
       * address as the copy's hosts see it */
      p = labo_segment_root_subnet (seg);
      json_object_set_new (r, "subnet", json_string (labo_prefix_format (&p, buf)));
      json_object_set_new (r, "inside", seg->mapped
                                            ? json_string (labo_prefix_format (&in, buf))
                                            : json_null ());
      json_object_set_new (r, "state", json_string (if_state (ri)));
      *degraded |= ri == NULL || !ri->up;
      json_object_set_new (o, "root", r);
    }
  else
    json_object_set_new (o, "root", json_null ());
  return o;
}

/* The process runtime's overlay interface on host h, one of the host's
 * own (the runtime has one when a node of the lab runs on h), appended to
 * ifa; sets *degraded if it is not up. */
static void
overlay_interface (const struct labo_lab *lab, size_t h, const struct labo_ifinfo *ifs, size_t n,
                   json_t *ifa, bool *degraded)
{
  for (size_t i = 0; labo_runtime_of (lab)->overlay_on_hosts && lab->overlay.present
                     && i < lab->n_nodes; i++)
    if (lab->nodes[i].host == h)
      {
        char ifn[IFNAMSIZ];
        const struct labo_ifinfo *inf;
        json_t *io = json_object ();
        labo_plan_overlay_ifname (lab, h, ifn);
        inf = labo_inspect_find (ifs, n, ifn);
        json_object_set_new (io, "ifname", json_string (ifn));
        json_object_set_new (io, "link", json_string ("overlay"));
        json_object_set_new (io, "peer", json_string (lab->overlay.name));
        json_object_set_new (io, "mtu", json_integer (inf ? inf->mtu : LABO_DEFAULT_MTU));
        json_object_set_new (io, "state", json_string (if_state (inf)));
        json_object_set_new (io, "addresses", addrs_json (inf));
        *degraded |= strcmp (if_state (inf), "up") != 0;
        json_array_append_new (ifa, io);
        break;
      }
}

/* The routes the lab file gives a host. */
static json_t *
routes_json (const struct labo_host *host)
{
  json_t *routes = json_array ();
  char buf[20], b2[20];

  for (size_t r = 0; r < host->n_routes; r++)
    {
      json_t *ro = json_object ();
      const struct labo_route *rt = &host->routes[r];
      json_object_set_new (ro, "to", json_string (rt->dst.len == 0
                                                      ? "default"
                                                      : labo_prefix_format (&rt->dst, buf)));
      json_object_set_new (ro, "via", json_string (labo_ipv4_format (rt->via, b2)));
      json_array_append_new (routes, ro);
    }
  return routes;
}

/* Host h: its namespace, its links' interfaces as the kernel has them
 * (and the overlay's), its routes. Sets *degraded if the namespace or an
 * interface is missing or not up. */
static json_t *
host_json (const struct labo_lab *lab, size_t h, bool *degraded)
{
  const struct labo_host *host = &lab->hosts[h];
  cleanup_free char *ns = labo_host_netns_name (lab->name, host->name);
  cleanup_free struct labo_ifinfo *ifs = NULL;
  size_t n = 0;
  bool present = inspect_ns (ns, &ifs, &n);
  json_t *o = json_object (), *ifa = json_array ();

  json_object_set_new (o, "name", json_string (host->name));
  json_object_set_new (o, "netns", json_string (ns));
  json_object_set_new (o, "state", json_string (present ? "up" : "missing"));
  json_object_set_new (o, "forward", json_boolean (host->forward));
  *degraded |= !present;
  for (size_t l = 0; l < lab->n_links; l++)
    {
      const struct labo_link *link = &lab->links[l];
      const struct labo_endpoint *eps[2] = { &link->a, &link->b };
      for (int e = 0; e < (link->kind == LABO_LINK_P2P ? 2 : 1); e++)
        if (eps[e]->host == h)
          {
            json_t *i = interface_json (lab, link, eps[e], ifs, n);
            /* a link the lab file pulls out is as the lab should be */
            *degraded |= strcmp (json_string_value (json_object_get (i, "state")), "up") != 0
                         && !(link->has_set && link->set.down);
            json_array_append_new (ifa, i);
          }
    }
  overlay_interface (lab, h, ifs, n, ifa, degraded);
  json_object_set_new (o, "interfaces", ifa);
  json_object_set_new (o, "routes", routes_json (host));
  return o;
}

/* The faults in place (out's "faults") and each host's power; true if a
 * spliced link's emulator died: such a link carries nothing. */
static bool
faults_status (const struct labo_lab *lab, json_t *out, json_t *hosts)
{
  json_t *faults = labo_faults_json (lab), *off = json_object_get (faults, "powered_off");
  json_t *x, *y, *l;
  bool degraded = false;
  size_t i, k;

  json_array_foreach (hosts, i, x)
    {
      bool is_off = false;
      json_array_foreach (off, k, y)
        is_off |= strcmp (json_string_value (y), lab->hosts[i].name) == 0;
      json_object_set_new (x, "power", json_string (is_off ? "off" : "on"));
    }
  json_array_foreach (json_object_get (faults, "links"), i, l)
    json_array_foreach (json_object_get (l, "emulators"), k, y)
      degraded |= !json_is_true (json_object_get (y, "running"));
  json_object_set_new (faults, "clocks", labo_clock_json (lab));
  json_object_set_new (out, "faults", faults);
  return degraded;
}

json_t *
labo_status_json (const char *lab_name, labo_error_t *err)
{
  cleanup_free char *text = labo_state_get (lab_name, "lab.yaml", NULL);
  cleanup_free char *file = labo_state_meta (lab_name, "file");
  cleanup_free char *created = labo_state_meta (lab_name, "created");
  cleanup_free char *state = NULL;
  cleanup_free char *switch_ns = labo_switch_netns_name (lab_name);
  struct labo_lab *lab;
  cleanup_free struct labo_ifinfo *sw_ifs = NULL;
  cleanup_free struct labo_ifinfo *root_ifs = NULL;
  size_t n_sw = 0, n_root = 0;
  json_t *out, *segs, *hosts;
  bool degraded = false;
  labo_error_t ierr = NULL;

  if (text == NULL)
    {
      labo_error_make (err, 0, "lab '%s' is not up (no %s/%s/lab.yaml)", lab_name,
                       labo_run_dir (), lab_name);
      return NULL;
    }
  lab = labo_state_load_lab (lab_name);
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
  json_object_set_new (out, "copy_of", lab->copy_of ? json_string (lab->copy_of) : json_null ());
  json_object_set_new (out, "file", json_string (file ? file : ""));
  json_object_set_new (out, "created", json_string (created ? created : ""));
  json_object_set_new (out, "switch_netns", json_string (switch_ns));
  /* a lab of hosts and links only runs nothing: no runtime to name */
  json_object_set_new (out, "runtime",
                       json_string (labo_lab_docker_hosts (lab) == 0 && lab->n_nodes == 0
                                        ? "none"
                                        : labo_runtime_name (lab->runtime)));
  /* `up --until`: the last stage made ("services": all of them) */
  json_object_set_new (out, "until", json_string (labo_stage_name (lab->until)));
  segs = json_array ();
  for (size_t s = 0; s < lab->n_segments; s++)
    json_array_append_new (segs, segment_json (&lab->segments[s], sw_ifs, n_sw, root_ifs, n_root,
                                               &degraded));
  json_object_set_new (out, "segments", segs);
  hosts = json_array ();
  for (size_t h = 0; h < lab->n_hosts; h++)
    json_array_append_new (hosts, host_json (lab, h, &degraded));
  json_object_set_new (out, "hosts", hosts);
  degraded |= faults_status (lab, out, hosts);
  degraded |= runtime_status (lab, out);
  if (strcmp (state, "up") == 0 && degraded)
    json_object_set_new (out, "state", json_string ("degraded"));
  else
    json_object_set_new (out, "state", json_string (state));
  labo_lab_free (lab);
  return out;
}

static const char *
str (json_t *o, const char *key)
{
  const char *s = json_string_value (json_object_get (o, key));
  return s ? s : "";
}

/* "up since ..., 2 restarts", and what the supervisor says when the
 * thing is not up: restarting, given up (with the end of its log). */
static void
print_supervision (json_t *o, const char *name, const char *indent, FILE *out)
{
  json_t *sv = json_object_get (o, "supervision");
  json_t *restarts = json_object_get (o, "restarts");
  json_t *in = json_object_get (sv, "restart_in_ms");
  const char *state = str (sv, "state"), *tail = str (sv, "log_tail");
  char count[48], d[24];

  if (json_is_integer (restarts))
    snprintf (count, sizeof (count), "%lld restart%s", (long long) json_integer_value (restarts),
              json_integer_value (restarts) == 1 ? "" : "s");
  else
    snprintf (count, sizeof (count), "restarts not known");
  fprintf (out, "%s  up since %s, %s", indent,
           json_is_string (json_object_get (o, "up_since")) ? str (o, "up_since") : "-", count);
  if (json_is_object (sv) && strcmp (state, "up") != 0)
    {
      fprintf (out, "; %s", strcmp (state, "given up") == 0 ? "GIVEN UP" : state);
      if (json_is_integer (in))
        fprintf (out, " in %s",
                 labo_duration_format (json_integer_value (in) > 0 ? json_integer_value (in) : 0,
                                       d));
    }
  if (json_is_object (sv) && json_is_string (json_object_get (sv, "last_exit")))
    fprintf (out, "; last death: %s (%s)", str (sv, "cause"), str (sv, "last_exit"));
  fputc ('\n', out);
  if (tail[0] && strcmp (state, "given up") == 0)
    {
      cleanup_free char *copy = xstrdup (tail);
      fprintf (out, "%s  the end of its log (`labo logs %s`):\n", indent, name);
      for (char *line = strtok (copy, "\n"); line; line = strtok (NULL, "\n"))
        fprintf (out, "%s  | %s\n", indent, line);
    }
}

/* The first lines: the lab, and its supervisor when it has one. */
static void
print_heading (json_t *st, FILE *out)
{
  json_t *sv = json_object_get (st, "supervisor");

  if (strcmp (str (st, "runtime"), "none") == 0)
    fprintf (out, "lab %s: %s  (from %s, up since %s; hosts and links only)\n", str (st, "lab"),
             str (st, "state"), str (st, "file"), str (st, "created"));
  else
    fprintf (out, "lab %s: %s  (%s%s%sfrom %s, up since %s, %s runtime)\n", str (st, "lab"),
             str (st, "state"), json_is_string (json_object_get (st, "copy_of")) ? "a copy of " : "",
             json_is_string (json_object_get (st, "copy_of")) ? str (st, "copy_of") : "",
             json_is_string (json_object_get (st, "copy_of")) ? ", " : "", str (st, "file"),
             str (st, "created"), str (st, "runtime"));
  if (strcmp (str (st, "until"), "services") != 0)
    fprintf (out, "stopped after stage %s (`labo up --until %s`): the rest is yours to do; "
                  "`labo verify` says what is done\n", str (st, "until"), str (st, "until"));
  if (json_is_object (sv) && strcmp (str (sv, "state"), "running") == 0)
    fprintf (out, "supervisor: running, pid %lld, since %s, %lld kB resident\n",
             json_integer_value (json_object_get (sv, "pid")), str (sv, "since"),
             json_integer_value (json_object_get (sv, "rss_kb")));
  else if (json_is_object (sv))
    fprintf (out, "supervisor: %s%s; nothing restarts what dies (`labo up` of the lab's "
                  "file starts a new one, `labo down` still removes everything)\n",
             strcmp (str (sv, "state"), "dead") == 0 ? "NOT RUNNING (it died)"
                                                     : str (sv, "state"),
             json_is_string (json_object_get (sv, "error")) ? "" : "");
}

static void
print_segments (json_t *st, FILE *out)
{
  json_t *seg;
  size_t i;

  json_array_foreach (json_object_get (st, "segments"), i, seg)
    {
      json_t *root = json_object_get (seg, "root");
      fprintf (out, "segment %-12s %-18s mtu %-5lld bridge %s, %lld ports", str (seg, "name"),
               str (seg, "subnet"), json_integer_value (json_object_get (seg, "mtu")),
               str (seg, "state"), json_integer_value (json_object_get (seg, "ports")));
      if (json_is_object (root))
        fprintf (out, "; root %s on %s (%s)", str (root, "address"), str (root, "ifname"),
                 str (root, "state"));
      if (json_is_object (root) && json_is_string (json_object_get (root, "inside")))
        fprintf (out, ", the lab's %s seen from the machine as %s", str (seg, "subnet"),
                 str (root, "subnet"));
      fputc ('\n', out);
    }
}

/* A host's Docker daemon: its state and Swarm membership, how to reach its
 * API over TCP (and, when that needs no certificate, that it is open to
 * anyone), and its supervision. */
static void
print_docker (json_t *host, FILE *out)
{
  json_t *dk = json_object_get (host, "docker"), *sw;

  if (!json_is_object (dk))
    return;
  sw = json_object_get (dk, "swarm");
  fprintf (out, "  docker %-7s %-8s pid %-7lld swarm %s%s  socket %s\n", str (dk, "role"),
           str (dk, "state"), json_integer_value (json_object_get (dk, "pid")), str (sw, "state"),
           json_is_true (json_object_get (sw, "leader")) ? " (leader)" : "", str (dk, "socket"));
  if (json_is_string (json_object_get (dk, "tcp")))
    {
      if (json_is_true (json_object_get (dk, "tls")))
        fprintf (out, "  docker API %s, TLS with the lab's client certificate: "
                      "DOCKER_HOST=%s DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=%s\n",
                 str (dk, "tcp"), str (dk, "tcp"), str (dk, "cert_path"));
      else
        fprintf (out, "  docker API %s, UNAUTHENTICATED (api_tcp: insecure): whoever "
                      "reaches it is root in %s\n",
                 str (dk, "tcp"), str (host, "name"));
    }
  print_supervision (dk, str (host, "name"), "  ", out);
}

/* Each host: its namespace, interfaces, routes and Docker daemon. */
static void
print_hosts (json_t *st, FILE *out)
{
  json_t *host, *ifc, *a, *r;
  size_t i, j, k;

  json_array_foreach (json_object_get (st, "hosts"), i, host)
    {
      fprintf (out, "host %-15s %-8s netns %s%s%s\n", str (host, "name"), str (host, "state"),
               str (host, "netns"), json_is_true (json_object_get (host, "forward")) ? ", forwarding" : "",
               strcmp (str (host, "power"), "off") == 0 ? ", POWERED OFF" : "");
      json_array_foreach (json_object_get (host, "interfaces"), j, ifc)
        {
          fprintf (out, "  %-10s %-10s mtu %-5lld -> %-7s %-16s", str (ifc, "ifname"),
                   str (ifc, "state"), json_integer_value (json_object_get (ifc, "mtu")),
                   str (ifc, "link"), str (ifc, "peer"));
          json_array_foreach (json_object_get (ifc, "addresses"), k, a)
            fprintf (out, " %s", json_string_value (a));
          fputc ('\n', out);
        }
      json_array_foreach (json_object_get (host, "routes"), j, r)
        fprintf (out, "  route %s via %s\n", str (r, "to"), str (r, "via"));
      print_docker (host, out);
    }
}

/* Each node: where it runs, ZooKeeper's mode, its supervision, its ports. */
static void
print_nodes (json_t *st, FILE *out)
{
  json_t *node, *pt, *ssh = NULL;
  const char *first = NULL, *last = NULL;
  size_t i, k;

  json_array_foreach (json_object_get (st, "nodes"), i, node)
    {
      if (first == NULL)
        first = str (node, "name");
      last = str (node, "name");
      cleanup_free char *what = json_is_integer (json_object_get (node, "myid"))
          ? xasprintf ("%s myid %lld", str (node, "service"),
                       json_integer_value (json_object_get (node, "myid")))
          : xstrdup (str (node, "service"));
      fprintf (out, "node %-15s %-8s on %-12s %-12s %s: %s", str (node, "name"),
               json_is_string (json_object_get (node, "container")) ? str (node, "container")
                                                                      : str (node, "process"),
               str (node, "host"), str (node, "address"),
               what, str (node, "mode"));
      if (json_object_get (node, "zxid"))
        fprintf (out, " (zxid %s, %lld znodes, %lld outstanding)", str (node, "zxid"),
                 json_integer_value (json_object_get (node, "znodes")),
                 json_integer_value (json_object_get (node, "outstanding")));
      fputc ('\n', out);
      print_supervision (node, str (node, "name"), "  ", out);
      fputs ("  ports", out);
      json_array_foreach (json_object_get (node, "ports"), k, pt)
        fprintf (out, " %s", json_string_value (pt));
      fputc ('\n', out);
      ssh = json_object_get (node, "ssh");
    }
  /* the tutorial's ssh-copy-id asks for it */
  if (ssh)
    fprintf (out, "ssh: sshd in each node on its overlay address only; root's password is "
                  "'%s' (`labo exec %s -- ssh %s`)\n",
             str (ssh, "password"), first, last);
}

/* The partitions on one line, "a <-x-> b" for a cut both ways (shown
 * once), "a -x-> b" for one way. */
static void
print_partitions (json_t *parts, FILE *out)
{
  json_t *p, *q;
  size_t k, m;

  if (json_array_size (parts) == 0)
    return;
  fputs ("partitions:", out);
  json_array_foreach (parts, k, p)
    {
      bool back = false, shown = false;
      json_array_foreach (parts, m, q)
        {
          back |= strcmp (str (q, "from"), str (p, "to")) == 0
                  && strcmp (str (q, "to"), str (p, "from")) == 0;
          shown |= m < k && strcmp (str (q, "from"), str (p, "to")) == 0
                   && strcmp (str (q, "to"), str (p, "from")) == 0;
        }
      if (!shown)
        fprintf (out, " %s %s %s;", str (p, "from"), back ? "<-x->" : "-x->", str (p, "to"));
    }
  fputs (" (`labo heal`)\n", out);
}

/* The faults in place, each with the command that undoes it. */
static void
print_faults (json_t *st, FILE *out)
{
  json_t *f = json_object_get (st, "faults"), *p, *e;
  json_t *off = json_object_get (f, "powered_off");
  size_t k, m;

  print_partitions (json_object_get (f, "partitions"), out);
  if (json_array_size (off) > 0)
    {
      fputs ("powered off:", out);
      json_array_foreach (off, k, p)
        fprintf (out, " %s", json_string_value (p));
      fputs (" (`labo start HOST`)\n", out);
    }
  if (json_array_size (json_object_get (f, "paused")) > 0)
    {
      fputs ("paused:", out);
      json_array_foreach (json_object_get (f, "paused"), k, p)
        fprintf (out, " %s", json_string_value (p));
      fputs (" (frozen, sockets kept: `labo resume`)\n", out);
    }
  json_array_foreach (json_object_get (f, "links"), k, p)
    {
      bool declared = json_is_true (json_object_get (p, "declared"));
      bool none = strcmp (str (p, "settings"), "none") == 0;
      bool down = strcmp (str (p, "state"), "down") == 0;
      fprintf (out, "link %s: %s%s", str (p, "link"), none && down ? "" : str (p, "settings"),
               !down ? ""
               : declared ? (none ? "pulled out" : ", pulled out")
                          : (none ? "PULLED OUT (`labo link HOST --up`)"
                                  : ", PULLED OUT (`labo link HOST --up`)"));
      if (strcmp (str (p, "mechanism"), "none") != 0)
        fprintf (out, ", by %s", str (p, "mechanism"));
      json_array_foreach (json_object_get (p, "emulators"), m, e)
        if (!json_is_true (json_object_get (e, "running")))
          fprintf (out, "; its emulator is NOT RUNNING (`labo link %s` starts it)",
                   str (p, "host"));
      fputs (declared ? " (the lab file's)\n" : " (`labo link reset`)\n", out);
    }
  json_array_foreach (json_object_get (f, "clocks"), k, p)
    {
      char o[32], d[32], n[32];
      fprintf (out, "clock %s: %s, drift %s, now %s (`labo clock %s reset`)\n", str (p, "node"),
               labo_skew_offset_format (json_integer_value (json_object_get (p, "offset_ms"))
                                            * 1000000, o),
               labo_skew_drift_format (json_real_value (json_object_get (p, "rate")), d),
               labo_skew_offset_format (json_integer_value (json_object_get (p, "skew_ms"))
                                            * 1000000, n),
               str (p, "node"));
    }
}

/* The ensemble in one line, with a warning when it cannot lose a server. */
static void
print_ensemble (json_t *st, FILE *out)
{
  json_t *en = json_object_get (st, "ensemble");
  long long n, tol;
  bool q;
  const char *warn = "";

  if (!json_is_object (en))
    return;
  n = json_integer_value (json_object_get (en, "servers"));
  tol = json_integer_value (json_object_get (en, "tolerates"));
  q = json_is_true (json_object_get (en, "quorum"));
  if (n == 2)
    warn = " (warning: with two servers, losing either stops the ensemble)";
  else if (n == 1)
    warn = " (a single server: no failure survives it)";
  else if (q && tol == 0)
    warn = " (warning: one more failure stops the ensemble)";
  /* the summary is the supervisor's event text for the same modes */
  if (q)
    fprintf (out, "ensemble: %s; quorum yes, survives %lld more failure%s%s\n",
             str (en, "summary"), tol, tol == 1 ? "" : "s", warn);
  else
    fprintf (out, "ensemble: %s%s\n", str (en, "summary"), warn);
}

void
labo_status_print (json_t *st, FILE *out)
{
  print_heading (st, out);
  print_segments (st, out);
  print_hosts (st, out);
  print_nodes (st, out);
  print_faults (st, out);
  print_ensemble (st, out);
}
