/* The process runtime's half of `up`: no Docker. Each host's published
 * ports become DNAT rules in its own namespace (nf_tables, as Docker does
 * with iptables), each node a ZooKeeper process of its host (zkproc.h),
 * started together, then the wait for the ensemble to serve. Runs after
 * the network, whose plan gave the nodes their overlay addresses. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "labo/runtime/docker_up.h"
#include "labo/host/freezer.h"
#include "labo/kind/kind.h"
#include "labo/net/netns.h"
#include "labo/net/nft.h"
#include "labo/model/plan.h"
#include "labo/util/util.h"
#include "labo/zk/zkdata.h"
#include "labo/zk/zkproc.h"

static int
publish_ports (const struct labo_lab *lab, size_t *n_rules, labo_error_t *err)
{
  *n_rules = 0;
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      cleanup_free char *ns = labo_host_netns_name (lab->name, lab->hosts[h].name);
      cleanup_free struct labo_nft_dnat *v = NULL;
      cleanup_close int fd = -1;
      size_t n = 0;
      int r;

      for (size_t i = 0; i < lab->n_nodes; i++)
        for (size_t k = 0; lab->nodes[i].host == h && k < lab->nodes[i].n_ports; k++)
          {
            struct labo_nft_dnat *d = labo_array_push (&v, &n, sizeof (*d));
            d->match_addr = lab->hosts[h].lab_address;
            d->match_port = lab->nodes[i].ports[k].host_port;
            d->to_addr = lab->nodes[i].address;
            d->to_port = lab->nodes[i].ports[k].container_port;
          }
      if (n == 0)
        continue;
      fd = labo_netns_open (ns, err);
      if (fd < 0)
        return -1;
      r = labo_nft_set_dnat (fd, ns, v, n, err);
      if (r < 0)
        return labo_error_wrap (err, "publishing the ports of %s", lab->hosts[h].name);
      *n_rules += n;
    }
  return 0;
}

int
labo_up_process (const struct labo_lab *lab, struct labo_progress *pr, bool resumed,
                 labo_error_t *err)
{
  cleanup_free char *why = NULL;
  cleanup_free char *leader = NULL;
  size_t n_rules;

  if (lab->n_nodes == 0 || !labo_lab_reaches (lab, LABO_STAGE_CONTAINERS))
    return 0;
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      const struct labo_kind *kind = labo_kind_of (&lab->nodes[i]);
      if (kind->process_start == NULL)
        return labo_error_make (err, 0, "node %s is a %s node, which runs under the docker "
                                        "runtime only (`labo up --runtime docker`)",
                                lab->nodes[i].name, kind->name);
      if (kind->service == LABO_SERVICE_ZOOKEEPER && why == NULL
          && !labo_zkproc_available (&why))
        return labo_error_make (err, 0, "%s", why);
    }
  if (publish_ports (lab, &n_rules, err) < 0)
    return -1;
  labo_progress_stage (pr, "ports", "%zu published (DNAT in each host)", n_rules);
  if (!labo_lab_reaches (lab, LABO_STAGE_SERVICES))
    {
      /* a process node has no container to type into: stopped here, its
       * nodes are not started (status says so) */
      labo_progress_stage (pr, "services", "not started (up --until %s)",
                           labo_stage_name (lab->until));
      return 0;
    }
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (labo_kind_of (&lab->nodes[i])->process_start (lab, i, err) < 0)
      return -1;
  {
    /* "3 ZooKeeper processes", "3 etcd processes", "4 node processes" */
    const struct labo_kind *k = labo_kind_of (&lab->nodes[0]);
    for (size_t i = 1; i < lab->n_nodes; i++)
      if (labo_kind_of (&lab->nodes[i]) != k)
        k = NULL;
    labo_progress_stage (pr, "nodes", "%zu %s process%s started%s", lab->n_nodes,
                         k == NULL ? "node" : k->service == LABO_SERVICE_ZOOKEEPER ? "ZooKeeper"
                                                                                   : k->name,
                         lab->n_nodes == 1 ? "" : "es",
                         resumed ? ", on the data kept by `down --keep-data`" : "");
  }
  if (labo_wait_quorum (lab, LABO_QUORUM_WAIT_S, pr->quiet, labo_process_node_log_path, &leader,
                        err) < 0)
    return -1;
  labo_progress_stage (pr, "quorum", "%s", leader);
  return 0;
}

/* How long a node's process may take to end once SIGKILLed: the kernel
 * frees a JVM's memory in tens of milliseconds. */
#define PROCESS_END_S 10

/* Ends node i's process, if it runs, and waits until it has ended: its
 * data directory is then no one's. */
static int
stop_node (const struct labo_lab *lab, size_t i, bool *stopped, labo_error_t *err)
{
  pid_t pid = labo_zkproc_running (lab->name, i, lab->nodes[i].name);
  cleanup_close int pfd = -1;
  struct pollfd p;

  *stopped = false;
  if (pid <= 0)
    return 0;
  pfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (pfd < 0)
    return errno == ESRCH ? 0 : labo_error_errno (err, "watching node %s (pid %d)",
                                                  lab->nodes[i].name, (int) pid);
  if (syscall (SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
    return labo_error_errno (err, "killing node %s (pid %d)", lab->nodes[i].name, (int) pid);
  p = (struct pollfd){ .fd = pfd, .events = POLLIN };
  if (poll (&p, 1, PROCESS_END_S * 1000) != 1)
    return labo_error_make (err, ETIMEDOUT, "node %s (pid %d) has not ended %d s after SIGKILL",
                            lab->nodes[i].name, (int) pid, PROCESS_END_S);
  *stopped = true;
  return 0;
}

int
labo_reset_process (const struct labo_lab *lab, struct labo_progress *pr, labo_error_t *err)
{
  size_t stopped = 0;

  if (lab->n_nodes == 0 || !labo_lab_reaches (lab, LABO_STAGE_CONTAINERS))
    return 0;
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      struct labo_zkproc_paths p;
      bool s;
      if (stop_node (lab, i, &s, err) < 0
          || labo_node_data_wipe (lab->name, lab->nodes[i].name, err) < 0)
        return -1;
      stopped += s;
      /* its log begins again with it, as a container's does */
      labo_zkproc_paths (lab->name, i, lab->nodes[i].name, &p);
      if (unlink (p.log) < 0 && errno != ENOENT)
        {
          labo_error_errno (err, "removing %s", p.log);
          labo_zkproc_paths_free (&p);
          return -1;
        }
      labo_zkproc_paths_free (&p);
    }
  labo_progress_stage (pr, "stopped", "%zu node process%s, their data wiped", stopped,
                       stopped == 1 ? "" : "es");
  /* up's own stage: the ports published again (one atomic batch a host,
   * the same rules), the processes started, the wait */
  return labo_up_process (lab, pr, false, err);
}

void
labo_process_plan_print (const struct labo_lab *lab, FILE *out)
{
  char a[20], b[20];

  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      const struct labo_node *n = &lab->nodes[i];
      fprintf (out, "process %s zookeeper myid %d in %s, %s:%d\n", n->name, n->myid,
               lab->hosts[n->host].name, labo_ipv4_format (n->address, a), n->client_port);
      for (size_t k = 0; k < n->n_ports; k++)
        fprintf (out, "dnat %s:%u -> %s:%u in %s\n",
                 labo_ipv4_format (lab->hosts[n->host].lab_address, a), n->ports[k].host_port,
                 labo_ipv4_format (n->address, b), n->ports[k].container_port,
                 lab->hosts[n->host].name);
    }
}

pid_t
labo_process_node_state (const struct labo_lab *lab, size_t i, struct labo_docker *d,
                         char state[32])
{
  pid_t pid = labo_zkproc_running (lab->name, i, lab->nodes[i].name);
  (void) d;
  snprintf (state, 32, pid > 0 ? "running" : "exited");
  return pid;
}

char *
labo_process_node_log_path (const struct labo_lab *lab, size_t i, bool *docker_json,
                            labo_error_t *err)
{
  struct labo_zkproc_paths p;
  char *path;

  (void) err;
  *docker_json = false;
  labo_zkproc_paths (lab->name, i, lab->nodes[i].name, &p);
  path = xstrdup (p.log);
  labo_zkproc_paths_free (&p);
  return path;
}

pid_t
labo_process_node_pid (const struct labo_lab *lab, size_t i, labo_error_t *err)
{
  pid_t pid = labo_zkproc_running (lab->name, i, lab->nodes[i].name);
  if (pid <= 0)
    labo_error_make (err, 0, "node %s is not running (`labo status %s`)", lab->nodes[i].name,
                     lab->name);
  return pid > 0 ? pid : -1;
}

/* A GC pause of seconds is what is emulated: the freeze of a JVM takes
 * milliseconds; this is for a machine under load. */
#define FREEZE_TIMEOUT_MS 10000

int
labo_process_node_pause (const struct labo_lab *lab, size_t i, bool pause, labo_error_t *err)
{
  const char *name = lab->nodes[i].name;
  pid_t pid;

  if (!pause)
    return labo_freezer_thaw (lab->name, name, err);
  if ((pid = labo_process_node_pid (lab, i, err)) < 0)
    return -1;
  /* frozen already, and still holding the node's process (a node
   * restarted since its last pause runs outside the cgroup) */
  if (labo_freezer_state (lab->name, name) == LABO_FREEZER_FROZEN)
    {
      cleanup_free char *path = xasprintf ("/proc/%d/cgroup", (int) pid);
      cleanup_free char *cg = labo_read_file (path, NULL);
      cleanup_free char *mark = xasprintf ("/labo-pause.%s/%s\n", lab->name, name);
      if (cg && strstr (cg, mark) != NULL)
        return 0;
    }
  return labo_freezer_freeze (lab->name, name, pid, FREEZE_TIMEOUT_MS, err) < 0 ? -1 : 1;
}
