/* The Docker half of `up` and `down`: a daemon per Docker host, the Swarm,
 * the overlay, the image, the nodes' containers, and the wait for the
 * ZooKeeper ensemble to serve. Runs after the network is built (up.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "labo/kind/kind.h"
#include "labo/docker/daemon.h"
#include "labo/docker/docker.h"
#include "labo/runtime/docker_up.h"
#include "labo/model/copy.h"
#include "labo/docker/image.h"
#include "labo/runtime/logs.h"
#include "labo/model/plan.h"
#include "labo/net/netns.h"
#include "labo/docker/pki.h"
#include "labo/util/util.h"
#include "labo/zk/sshkeys.h"
#include "labo/zk/zkdata.h"
#include "labo/zk/zk.h"

/* The lab's CA and the certificates of the Docker APIs served over TLS
 * (include/labo/docker/pki.h): the client's in $LABO_RUN_DIR/<lab>/tls, each
 * server's in its host's /run/tls. */
static int
issue_certificates (const struct labo_lab *lab, labo_error_t *err)
{
  struct labo_pki_server *servers = NULL;
  struct labo_daemon_paths *paths = xcalloc (lab->n_hosts ? lab->n_hosts : 1, sizeof (*paths));
  cleanup_free char *client = labo_daemon_tls_client_dir (lab->name);
  size_t n = 0;
  int ret = 0;

  for (size_t h = 0; h < lab->n_hosts; h++)
    if (lab->hosts[h].docker_tcp == LABO_API_TLS)
      {
        struct labo_pki_server *s = labo_array_push (&servers, &n, sizeof (*s));
        labo_daemon_paths (lab->name, h, lab->hosts[h].name, &paths[h]);
        *s = (struct labo_pki_server) { paths[h].tls, lab->hosts[h].name,
                                        lab->hosts[h].lab_address };
      }
  if (n > 0)
    ret = labo_pki_issue (lab->name, client, servers, n, err);
  for (size_t h = 0; h < lab->n_hosts; h++)
    if (paths[h].run)
      labo_daemon_paths_free (&paths[h]);
  free (paths);
  free (servers);
  return ret < 0 ? labo_error_wrap (err, "the Docker API's certificates") : 0;
}

static int
start_daemons (const struct labo_lab *lab, struct labo_state *st, struct labo_docker *d,
               labo_error_t *err)
{
  cleanup_free pid_t *pids = xcalloc (lab->n_hosts, sizeof (pid_t));

  if (!labo_daemon_available ())
    return labo_error_make (err, 0, "the lab runs Docker but dockerd is not installed "
                                    "(apt-get install docker.io)");
  if (issue_certificates (lab, err) < 0)
    return -1;
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      if (lab->hosts[h].docker == LABO_DOCKER_NONE)
        continue;
      if (labo_state_record (st, "docker", lab->hosts[h].name, err) < 0)
        return -1;
      pids[h] = labo_daemon_start (lab, h, err);
      if (pids[h] < 0)
        return -1;
    }
  /* all started at once; now wait for each (they come up in parallel) */
  for (size_t h = 0; h < lab->n_hosts; h++)
    if (lab->hosts[h].docker != LABO_DOCKER_NONE
        && (labo_daemon_wait_ready (lab, h, pids[h], 60, err) < 0
            || labo_daemon_connect (lab, h, &d[h], err) < 0))
      return -1;
  return 0;
}

static int
form_swarm (const struct labo_lab *lab, struct labo_docker *d, labo_error_t *err)
{
  long m = labo_lab_manager (lab);
  cleanup_free char *token = NULL;

  if (labo_docker_swarm_init (&d[m], lab->hosts[m].lab_address, &lab->swarm, err) < 0
      || labo_docker_swarm_worker_token (&d[m], &token, err) < 0)
    return -1;
  for (size_t h = 0; h < lab->n_hosts; h++)
    if (lab->hosts[h].docker == LABO_DOCKER_WORKER
        && labo_docker_swarm_join (&d[h], lab->hosts[h].lab_address, lab->hosts[m].lab_address,
                                   token, err) < 0)
      return -1;
  return 0;
}

/* How long the Swarm may take to be ready once every daemon has joined. */
#define SWARM_READY_S 30
/* Polled every 50 ms: Docker gives no signal for it (see wait_swarm_ready). */
#define SWARM_POLL_MS 50
/* The quorum wait's probes: a server that takes longer than this to answer
 * `srvr` is not serving anyway; a round every 100 ms, since elections take
 * a few hundred ms once the JVMs run. */
#define QUORUM_PROBE_MS 500
#define QUORUM_POLL_MS 100

/* Is the Swarm ready for containers on its overlay? Every node ready in
 * the manager's eyes, and every daemon's gossip (networkdb) holding every
 * daemon: a container's attachment to the overlay is a task the manager
 * hands the node, and its peers' endpoints come through the gossip. If not,
 * *why says what is missing (caller frees). */
static bool
swarm_ready (const struct labo_lab *lab, struct labo_docker *d, char **why)
{
  long m = labo_lab_manager (lab);
  size_t n_docker = labo_lab_docker_hosts (lab), ready = 0, i;
  labo_error_t e = NULL;
  json_t *nodes = NULL, *node;

  if (labo_docker_swarm_nodes (&d[m], &nodes, &e) < 0)
    {
      *why = xstrdup (e->msg);
      labo_error_release (&e);
      return false;
    }
  json_array_foreach (nodes, i, node)
    {
      const char *state = json_string_value (json_object_get (node, "state"));
      if (state && strcmp (state, "ready") == 0)
        ready++;
      else if (*why == NULL)
        *why = xasprintf ("node %s is %s", json_string_value (json_object_get (node, "name")),
                          state ? state : "unknown");
    }
  json_decref (nodes);
  if (ready < n_docker)
    {
      if (*why == NULL)
        *why = xasprintf ("%zu of %zu nodes ready", ready, n_docker);
      return false;
    }
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      cleanup_free uint32_t *peers = NULL;
      size_t n = 0;
      if (lab->hosts[h].docker == LABO_DOCKER_NONE)
        continue;
      if (labo_docker_gossip_peers (&d[h], &peers, &n, &e) < 0)
        {
          *why = xstrdup (e->msg);
          labo_error_release (&e);
          return false;
        }
      for (size_t o = 0; o < lab->n_hosts; o++)
        {
          bool found = false;
          if (lab->hosts[o].docker == LABO_DOCKER_NONE)
            continue;
          for (size_t k = 0; k < n && !found; k++)
            found = peers[k] == lab->hosts[o].lab_address;
          if (!found)
            {
              *why = xasprintf ("the gossip of %s lacks %s", lab->hosts[h].name,
                                lab->hosts[o].name);
              return false;
            }
        }
    }
  return true;
}

/* Joined is not yet ready: the join call returns before the daemons'
 * network agents (libnetwork's, which bring the gossip) have found each
 * other, and a container attached to the overlay meanwhile can wait 20 s
 * for its attachment and fail ("context deadline exceeded"; seen once in
 * t-faults under load). Measured: the nodes are ready at once, the gossip
 * meets 0.6 to 1 s after the joins. Polled every 50 ms: Docker gives no
 * signal for it. */
static int
wait_swarm_ready (const struct labo_lab *lab, struct labo_docker *d, double *waited,
                  labo_error_t *err)
{
  double t0 = labo_now ();

  for (;;)
    {
      cleanup_free char *why = NULL;
      if (swarm_ready (lab, d, &why))
        {
          *waited = labo_now () - t0;
          return 0;
        }
      if (labo_now () - t0 > SWARM_READY_S)
        return labo_error_make (err, 0, "the Swarm is not ready %d s after every daemon joined "
                                        "it: %s", SWARM_READY_S, why);
      poll (NULL, 0, SWARM_POLL_MS);
    }
}

/* Work on every Docker host at once, one thread per host (each host has
 * its own daemon connection, so nothing is shared): imports and container
 * starts take about a second each, mostly waiting on the daemon. */
struct host_job
{
  const struct labo_lab *lab;
  struct labo_docker *d;
  size_t h;
  const void *arg;
  int (*fn) (struct host_job *job, labo_error_t *err);
  labo_error_t err;
  int ret;
  size_t count;
};

static void *
host_job_run (void *p)
{
  struct host_job *job = p;
  job->ret = job->fn (job, &job->err);
  return NULL;
}

static int
on_docker_hosts (const struct labo_lab *lab, struct labo_docker *d, const void *arg,
                 int (*fn) (struct host_job *, labo_error_t *), size_t *count, labo_error_t *err)
{
  struct host_job *jobs = xcalloc (lab->n_hosts, sizeof (*jobs));
  pthread_t *threads = xcalloc (lab->n_hosts, sizeof (*threads));
  bool *started = xcalloc (lab->n_hosts, sizeof (bool));
  int ret = 0;

  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      if (lab->hosts[h].docker == LABO_DOCKER_NONE)
        continue;
      jobs[h] = (struct host_job){ lab, &d[h], h, arg, fn, NULL, 0, 0 };
      if (pthread_create (&threads[h], NULL, host_job_run, &jobs[h]) == 0)
        started[h] = true;
      else
        host_job_run (&jobs[h]); /* no thread to be had: do it here */
    }
  if (count)
    *count = 0;
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      if (started[h])
        pthread_join (threads[h], NULL);
      if (count)
        *count += jobs[h].count;
      if (jobs[h].ret < 0 && ret == 0)
        {
          *err = jobs[h].err; /* the first failure, by host order */
          jobs[h].err = NULL;
          ret = -1;
        }
      labo_error_release (&jobs[h].err);
    }
  free (jobs);
  free (threads);
  free (started);
  return ret;
}

static int
import_job (struct host_job *job, labo_error_t *err)
{
  struct labo_image *img = (struct labo_image *) job->arg;
  bool imported = false;
  int r = labo_image_import (img, job->d, &imported, err);
  job->count = imported;
  return r;
}

/* What a start job starts: each node's image reference, and which nodes
 * start in this wave (all of them without `after:`). */
struct start_arg
{
  char **ref;
  const bool *now;
};

/* Creates and starts a host's nodes of the wave (job->arg: a start_arg). */
static int
start_job (struct host_job *job, labo_error_t *err)
{
  const struct labo_lab *lab = job->lab;
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      const struct labo_node *node = &lab->nodes[i];
      json_t *spec;
      int r;
      const struct start_arg *a = job->arg;
      if (node->host != job->h || !a->now[i])
        continue;
      spec = labo_kind_of (node)->container_spec (lab, node, a->ref[i], err);
      if (spec == NULL)
        return -1;
      r = labo_docker_container_create (job->d, node->name, spec, NULL, err);
      json_decref (spec);
      if (r < 0 || labo_docker_container_start (job->d, node->name, err) < 0)
        return -1;
    }
  return 0;
}

/* Has every node that node i comes `after:` started and become healthy
 * (serving, for an electing kind's member: alive is enough, its ensemble
 * forms once all its members run)? */
static bool
after_ready (const struct labo_lab *lab, size_t i, const bool *started)
{
  const struct labo_node *node = &lab->nodes[i];
  for (size_t k = 0; k < node->n_after; k++)
    {
      struct labo_probe_result pr;
      size_t j = node->after[k];
      if (!started[j] || labo_kind_probe (lab, &lab->nodes[j], 0, QUORUM_PROBE_MS, &pr) < 0)
        return false;
    }
  return true;
}

/* Starts the nodes: all hosts at once (ZooKeeper servers look for each
 * other from the start), in waves when nodes come `after:` others: each
 * wave the nodes whose `after:` are healthy, until all have started or
 * timeout_s passes. */
static int
start_nodes (const struct labo_lab *lab, struct labo_docker *d, char **node_ref,
             double timeout_s, size_t *waves, labo_error_t *err)
{
  cleanup_free bool *started = xcalloc (lab->n_nodes + 1, sizeof (bool));
  cleanup_free bool *now = xcalloc (lab->n_nodes + 1, sizeof (bool));
  struct start_arg a = { node_ref, now };
  double deadline = labo_now () + timeout_s;
  size_t left = lab->n_nodes;

  while (left > 0)
    {
      size_t wave = 0;
      for (size_t i = 0; i < lab->n_nodes; i++)
        {
          now[i] = !started[i] && after_ready (lab, i, started);
          wave += now[i];
        }
      if (wave > 0)
        {
          if (on_docker_hosts (lab, d, &a, start_job, NULL, err) < 0)
            return -1;
          for (size_t i = 0; i < lab->n_nodes; i++)
            started[i] |= now[i];
          left -= wave;
          (*waves)++;
          continue;
        }
      if (labo_now () > deadline)
        {
          for (size_t i = 0; i < lab->n_nodes; i++)
            if (!started[i])
              return labo_error_make (err, 0, "node %s did not start: the nodes it comes after "
                                              "were not all healthy within %.0f s",
                                      lab->nodes[i].name, timeout_s);
        }
      poll (NULL, 0, QUORUM_POLL_MS);
    }
  return 0;
}

/* What the servers said last: the end of the log of each server that does
 * not serve (every server: all). */
static void
append_tails (const struct labo_lab *lab, const enum labo_mode *m, bool all,
              labo_node_log_path_fn path_of, labo_error_t *err)
{
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (all || m[i] < LABO_MODE_LEADER)
      {
        cleanup_free char *tail = labo_node_log_tail (lab, i, 12, path_of);
        labo_error_append (err, "\n--- the end of %s's log (%s):\n%s", lab->nodes[i].name,
                           labo_mode_name (m[i]), tail ? tail : "(it wrote nothing)\n");
      }
}

/* The wait's progress: on a terminal one line rewritten in place, in a
 * pipe a line each time a node's mode changes. */
static void
show_modes (const struct labo_lab *lab, const enum labo_mode *m, const enum labo_mode *was,
            double t0, bool tty)
{
  if (tty)
    {
      printf ("\r\033[K  %-12s %8.1f s   ", "quorum", labo_now () - t0);
      for (size_t i = 0; i < lab->n_nodes; i++)
        printf ("%s%s %s", i ? ", " : "", lab->nodes[i].name, labo_mode_name (m[i]));
    }
  else
    for (size_t i = 0; i < lab->n_nodes; i++)
      if (m[i] != was[i])
        printf ("  %-12s %8.1f s   %s: %s -> %s\n", "quorum", labo_now () - t0,
                lab->nodes[i].name, labo_mode_name (was[i]), labo_mode_name (m[i]));
  fflush (stdout);
}

int
labo_wait_quorum (const struct labo_lab *lab, double timeout_s, bool quiet,
                  labo_node_log_path_fn path_of, char **leader, labo_error_t *err)
{
  double t0 = labo_now (), deadline = t0 + timeout_s;
  size_t n = lab->n_nodes;
  cleanup_free enum labo_mode *m = xcalloc (n ? n : 1, sizeof (*m));
  cleanup_free enum labo_mode *was = xcalloc (n ? n : 1, sizeof (*was));
  /* the containers' pids, for nodes reached inside their container: asked
   * of the daemon once, again only after a probe found the node down */
  cleanup_free pid_t *pids = xcalloc (n ? n : 1, sizeof (*pids));
  bool tty = !quiet && isatty (STDOUT_FILENO), shown = false, ready;
  cleanup_free char *summary = NULL;

  for (;;)
    {
      bool changed = false;
      for (size_t i = 0; i < n; i++)
        {
          struct labo_probe_result s;
          const struct labo_node *node = &lab->nodes[i];
          struct labo_node_reach r;
          labo_node_reach_port (lab, node, labo_kind_of (node)->port (node), &r);
          if (r.in_container && pids[i] <= 0)
            pids[i] = labo_node_pid (lab, node);
          labo_kind_probe (lab, node, pids[i] > 0 ? pids[i] : 0, QUORUM_PROBE_MS, &s);
          if (s.mode == LABO_MODE_DOWN)
            pids[i] = 0;
          m[i] = s.mode;
          changed |= m[i] != was[i];
        }
      /* every ensemble serving whole, every other node healthy: the
       * definition status and events use */
      free (summary);
      ready = labo_kind_services_ready (lab, m, &summary);
      if (!quiet && (changed || tty))
        {
          show_modes (lab, m, was, t0, tty);
          shown = true;
        }
      memcpy (was, m, n * sizeof (*m));
      if (ready)
        {
          if (tty && shown)
            fputs ("\r\033[K", stdout);
          /* the test hook fails here, once the servers have logs to show */
          if (labo_inject_failure ("quorum", err) < 0)
            {
              append_tails (lab, m, true, path_of, err);
              return -1;
            }
          *leader = steal_ptr (&summary);
          return 0;
        }
      if (labo_now () > deadline)
        {
          char detail[1024] = "";
          if (tty && shown)
            putchar ('\n');
          for (size_t i = 0; i < n; i++)
            {
              size_t l = strlen (detail);
              snprintf (detail + l, sizeof (detail) - l, "%s%s: %s", i ? ", " : "",
                        lab->nodes[i].name, labo_mode_name (m[i]));
            }
          labo_error_make (err, 0, "the nodes' services were not all serving within %.0f s (%s: "
                                   "%s)", timeout_s, summary, detail);
          append_tails (lab, m, false, path_of, err);
          return -1;
        }
      poll (NULL, 0, QUORUM_POLL_MS);
    }
}

/* The image is built (once) and imported while the Swarm forms: neither
 * needs the other, and importing 45 MB into each daemon takes about as long
 * as the Swarm does. The worker has daemon connections of its own. */
struct image_worker
{
  const struct labo_lab *lab;
  struct labo_image *img; /* one per recipe the nodes need */
  size_t n_img;
  char **node_ref;         /* each node's image reference, by node */
  struct labo_docker *d; /* its own, one per host */
  bool quiet;
  size_t imported;
  labo_error_t err;
  int ret;
};

/* The images the lab's nodes run: one per recipe (a kind's, or a generic
 * node's `image:` naming one), resolved here and built and imported by the
 * worker; each node's reference in *node_ref (a `docker save` archive's is
 * known once the worker has loaded it; record_images then keeps them all). */
static int
lab_images (const struct labo_lab *lab, struct image_worker *w, char ***node_ref,
            labo_error_t *err)
{
  char **ref = xcalloc (lab->n_nodes + 1, sizeof (*ref));

  *node_ref = ref;
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      const struct labo_node *node = &lab->nodes[i];
      const char *recipe = labo_kind_of (node)->recipe;
      cleanup_free char *archive = labo_node_image_archive (lab, node);
      size_t k;

      /* the one rule of what names an archive: labo_node_image_archive's */
      if (archive != NULL)
        continue; /* the worker loads it, its reference then known */
      if (recipe == NULL)
        recipe = node->image;
      for (k = 0; k < w->n_img && strcmp (w->img[k].name, recipe) != 0; k++)
        ;
      if (k == w->n_img)
        {
          w->img = xrealloc (w->img, (w->n_img + 1) * sizeof (*w->img));
          memset (&w->img[k], 0, sizeof (w->img[k]));
          w->n_img++;
          if (labo_image_resolve (recipe, &w->img[k], err) < 0)
            return -1;
        }
      ref[i] = xstrdup (w->img[k].ref);
    }
  w->node_ref = ref;
  return 0;
}

/* The lab's state "images": a line "NODE REF" a node, from which the
 * supervisor recreates a node that was removed. */
static int
record_images (const struct labo_lab *lab, struct labo_state *st, char **ref, labo_error_t *err)
{
  cleanup_free char *text = xstrdup ("");
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      char *t = xasprintf ("%s%s %s\n", text, lab->nodes[i].name, ref[i] ? ref[i] : "-");
      free (text);
      text = t;
    }
  return labo_state_put (st, "images", text, strlen (text), err);
}

static void *
image_worker_run (void *p)
{
  struct image_worker *w = p;
  const struct labo_lab *lab = w->lab;

  w->ret = -1;
  for (size_t h = 0; h < lab->n_hosts; h++)
    if (lab->hosts[h].docker != LABO_DOCKER_NONE
        && labo_daemon_connect (lab, h, &w->d[h], &w->err) < 0)
      return NULL;
  for (size_t k = 0; k < w->n_img; k++)
    {
      size_t imported = 0;
      if (labo_image_build (&w->img[k], w->quiet, &w->err) < 0
          || on_docker_hosts (lab, w->d, &w->img[k], import_job, &imported, &w->err) < 0)
        return NULL;
      w->imported += imported;
    }
  /* generic nodes' `docker save` archives, each into its node's daemon */
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (w->node_ref[i] == NULL
        && labo_node_image_prepare (lab, &lab->nodes[i], &w->d[lab->nodes[i].host],
                                    &w->node_ref[i], &w->err) < 0)
      return NULL;
  w->ret = 0;
  return NULL;
}

static const char *
first_by_hand (const struct labo_lab *lab)
{
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (labo_node_by_hand (lab, &lab->nodes[i]))
      return lab->nodes[i].name;
  return "NODE";
}

/* up's last stages, which `labo reset` runs again: root's keys, the
 * containers (in waves when nodes come after others), then the wait for
 * the services to serve, or nothing to wait for when the nodes are the
 * attendee's to start. node_ref: each node's image. */
static int
nodes_stage (const struct labo_lab *lab, struct labo_docker *d, char **node_ref,
             struct labo_progress *pr, bool resumed, labo_error_t *err)
{
  size_t by_hand, waves = 0;
  char wave_text[48];
  cleanup_free char *leader = NULL;

  if (labo_node_ssh_prepare (lab, err) < 0
      || start_nodes (lab, d, node_ref, LABO_QUORUM_WAIT_S, &waves, err) < 0)
    return -1;
  labo_progress_stage (pr, "containers", "%zu started%s%s", lab->n_nodes,
                       waves > 1 ? (snprintf (wave_text, sizeof (wave_text),
                                              ", in %zu waves (after:)", waves),
                                    wave_text)
                                 : "",
                       resumed ? ", on the data kept by `down --keep-data`" : "");
  by_hand = labo_lab_by_hand_nodes (lab);
  if (by_hand > 0)
    {
      /* the attendee's to configure and start: nothing to wait for */
      labo_progress_stage (pr, "services", "%zu node%s to configure and start by hand "
                                           "(`labo exec %s -- bash`; `labo verify`)",
                           by_hand, by_hand == 1 ? "" : "s", first_by_hand (lab));
      return 0;
    }
  if (labo_wait_quorum (lab, LABO_QUORUM_WAIT_S, pr->quiet, labo_docker_node_log_path, &leader,
                        err) < 0)
    return -1;
  labo_progress_stage (pr, "quorum", "%s", leader);
  return 0;
}

int
labo_up_docker (const struct labo_lab *lab, struct labo_state *st, struct labo_progress *pr,
                bool quiet, labo_error_t *err)
{
  size_t n_docker = labo_lab_docker_hosts (lab);
  struct labo_docker *d = xcalloc (lab->n_hosts, sizeof (*d));
  struct image_worker w = { .lab = lab, .quiet = quiet };
  pthread_t worker;
  bool worker_running = false, resumed = false, with_nodes;
  double swarm_wait = 0;
  char **node_ref = NULL;
  int ret = -1;

  w.d = xcalloc (lab->n_hosts, sizeof (*w.d));
  if (n_docker == 0)
    {
      ret = 0;
      goto out;
    }
  /* the nodes' image only for a lab that goes as far as its containers */
  with_nodes = lab->n_nodes > 0 && labo_lab_reaches (lab, LABO_STAGE_CONTAINERS);
  if (with_nodes
      && lab_images (lab, &w, &node_ref, err) < 0)
    goto out;
  resumed = labo_lab_has_kept_data (lab->name);
  if (start_daemons (lab, st, d, err) < 0)
    goto out;
  labo_progress_stage (pr, "daemons", "%zu dockerd answering /_ping", n_docker);
  for (size_t h = 0; !quiet && h < lab->n_hosts; h++)
    if (lab->hosts[h].docker_tcp == LABO_API_TLS)
      {
        char a[16];
        cleanup_free char *certs = labo_daemon_tls_client_dir (lab->name);
        printf ("  %-12s %s's Docker API over TLS: DOCKER_HOST=tcp://%s:%d DOCKER_TLS_VERIFY=1 "
                "DOCKER_CERT_PATH=%s docker info\n", "", lab->hosts[h].name,
                labo_ipv4_format (labo_lab_outside (lab, lab->hosts[h].lab_address), a),
                LABO_API_TLS_PORT, certs);
      }
  if (!labo_lab_reaches (lab, LABO_STAGE_SWARM))
    {
      ret = 0;
      goto out;
    }
  if (with_nodes)
    {
      if (pthread_create (&worker, NULL, image_worker_run, &w) == 0)
        worker_running = true;
      else
        image_worker_run (&w);
    }
  if (labo_inject_failure ("swarm", err) < 0 || form_swarm (lab, d, err) < 0)
    goto out;
  labo_progress_stage (pr, "swarm", "%zu nodes joined", n_docker);
  if (lab->overlay.present && labo_lab_reaches (lab, LABO_STAGE_OVERLAY))
    {
      long m = labo_lab_manager (lab);
      char b[20];
      if (labo_docker_network_create (&d[m], &lab->overlay, lab->name, err) < 0)
        goto out;
      labo_progress_stage (pr, "overlay", "%s %s", lab->overlay.name,
                           labo_prefix_format (&lab->overlay.subnet, b));
    }
  if (with_nodes)
    {
      if (worker_running)
        pthread_join (worker, NULL);
      worker_running = false;
      if (w.ret < 0)
        {
          *err = w.err;
          w.err = NULL;
          goto out;
        }
      if (record_images (lab, st, node_ref, err) < 0)
        goto out;
      for (size_t k = 0; k < w.n_img; k++)
        labo_progress_stage (pr, "image", "%s (%.1f MB, %s; imported into %zu daemon%s, beside "
                                          "the swarm)", w.img[k].ref, w.img[k].size / 1e6,
                             w.img[k].built ? "built" : "cached", w.imported / w.n_img,
                             w.imported / w.n_img == 1 ? "" : "s");
      /* after the image's import, which gives the gossip its time: on a first
       * up (an image to build or import) there is nothing left to wait */
      if (wait_swarm_ready (lab, d, &swarm_wait, err) < 0)
        goto out;
      labo_progress_stage (pr, "gossip", "every daemon in every daemon's gossip (%.0f ms of "
                                         "waiting)", swarm_wait * 1e3);
      if (labo_inject_failure ("containers", err) < 0
          || nodes_stage (lab, d, node_ref, pr, resumed, err) < 0)
        goto out;
    }
  ret = 0;
out:
  if (worker_running)
    pthread_join (worker, NULL);
  labo_error_release (&w.err);
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      labo_docker_close (&d[h]);
      labo_docker_close (&w.d[h]);
    }
  free (d);
  free (w.d);
  for (size_t k = 0; k < w.n_img; k++)
    labo_image_free (&w.img[k]);
  free (w.img);
  for (size_t i = 0; node_ref && i < lab->n_nodes; i++)
    free (node_ref[i]);
  free (node_ref);
  return ret;
}

int
labo_down_docker (const char *lab, char **kinds, char **names, size_t n, labo_error_t *err)
{
  int ret = 0, killed = 0;
  for (size_t i = 0; i < n; i++)
    if (strcmp (kinds[i], "docker") == 0)
      {
        int k = labo_daemon_kill (lab, names[i], err);
        if (k < 0)
          ret = -1;
        else
          killed += k;
      }
  return ret < 0 ? -1 : killed;
}

void
labo_docker_plan_print (const struct labo_lab *lab, FILE *out)
{
  char a[20], b[20], c[20];

  if (lab->n_nodes == 0 || !labo_lab_reaches (lab, LABO_STAGE_DAEMONS))
    return;
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      const struct labo_host *host = &lab->hosts[h];
      if (host->docker == LABO_DOCKER_NONE)
        continue;
      fprintf (out, "dockerd in %s, unix socket %s/%s/h%zu/docker.sock%s\n", host->name,
               labo_run_dir (), lab->name, h,
               host->docker_tcp == LABO_API_TLS        ? ", TLS API on 2376"
               : host->docker_tcp == LABO_API_INSECURE ? ", UNAUTHENTICATED API on 2375"
                                                       : "");
    }
  if (!labo_lab_reaches (lab, LABO_STAGE_SWARM))
    return;
  for (size_t h = 0; h < lab->n_hosts; h++)
    if (lab->hosts[h].docker != LABO_DOCKER_NONE)
      fprintf (out, "swarm %s %s advertising %s (address pool %s, /%u subnets)\n",
               lab->hosts[h].docker == LABO_DOCKER_MANAGER ? "init on" : "join of",
               lab->hosts[h].name, labo_ipv4_format (lab->hosts[h].lab_address, a),
               labo_prefix_format (&lab->swarm.address_pool, b), lab->swarm.subnet_size);
  if (lab->overlay.present && labo_lab_reaches (lab, LABO_STAGE_OVERLAY))
    fprintf (out, "overlay %s subnet %s gateway %s, attachable\n", lab->overlay.name,
             labo_prefix_format (&lab->overlay.subnet, a),
             labo_ipv4_format (lab->overlay.gateway, b));
  if (!labo_lab_reaches (lab, LABO_STAGE_CONTAINERS))
    return;
  /* each image the nodes need, once */
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      const char *recipe = labo_kind_of (&lab->nodes[i])->recipe;
      struct labo_image img = { 0 };
      labo_error_t err = NULL;
      bool seen = false;
      if (recipe == NULL)
        {
          fprintf (out, "image of %s: %s\n", lab->nodes[i].name, lab->nodes[i].image);
          continue;
        }
      for (size_t j = 0; j < i; j++)
        seen |= labo_kind_of (&lab->nodes[j])->recipe != NULL
                && strcmp (labo_kind_of (&lab->nodes[j])->recipe, recipe) == 0;
      if (seen)
        continue;
      if (labo_image_resolve (recipe, &img, &err) < 0)
        {
          fprintf (out, "image %s: %s\n", recipe, err->msg);
          labo_error_release (&err);
        }
      else
        fprintf (out, "image %s from %s: %s\n", img.ref, img.recipe,
                 access (img.tar, R_OK) == 0 ? "cached" : "to build (from installed packages)");
      labo_image_free (&img);
    }
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      const struct labo_node *n = &lab->nodes[i];
      const struct labo_kind *k = labo_kind_of (n);
      cleanup_free char *what = n->service == LABO_SERVICE_ZOOKEEPER
                                    ? xasprintf ("zookeeper myid %d", n->myid)
                                    : xstrdup (k->name);

      fprintf (out, "container %s %s on %s, %s on %s%s\n", n->name, what,
               lab->hosts[n->host].name, labo_ipv4_format (n->address, a),
               lab->overlay.present ? lab->overlay.name : "the host's bridge",
               !k->sshd                     ? ""
               : labo_node_by_hand (lab, n) ? ", sshd; ZooKeeper left to configure and start by "
                                              "hand"
               : n->service == LABO_SERVICE_ZOOKEEPER
                   ? ", sshd, root's keys exchanged; ZooKeeper started"
                   : ", sshd, root's keys exchanged");
      for (size_t p = 0; p < n->n_ports; p++)
        fprintf (out, "port %s:%u -> %s %u/tcp\n",
                 labo_ipv4_format (lab->hosts[n->host].lab_address, c), n->ports[p].host_port,
                 n->name, n->ports[p].container_port);
    }
}

char *
labo_docker_node_log_path (const struct labo_lab *lab, size_t i, bool *docker_json,
                           labo_error_t *err)
{
  const struct labo_node *node = &lab->nodes[i];
  struct labo_docker d = { 0 };
  json_t *info = NULL;
  bool found = false;
  char *path = NULL;

  if (labo_daemon_connect (lab, node->host, &d, err) == 0
      && labo_docker_container_inspect (&d, node->name, &info, &found, err) == 0)
    {
      /* the daemon's path is inside its mount namespace, where the host's
       * state directory is bound over /var/lib/docker */
      const char *lp = json_string_value (json_object_get (info, "LogPath"));
      if (!found)
        labo_error_make (err, ENOENT, "node %s: no such container on %s", node->name,
                         lab->hosts[node->host].name);
      else if (lp && strncmp (lp, "/var/lib/docker/", 16) == 0)
        {
          struct labo_daemon_paths p;
          labo_daemon_paths (lab->name, node->host, lab->hosts[node->host].name, &p);
          path = xasprintf ("%s/docker/%s", p.state, lp + 16);
          labo_daemon_paths_free (&p);
          *docker_json = true;
        }
      else
        labo_error_make (err, ENOENT, "node %s: its daemon keeps no log file for it",
                         node->name);
    }
  json_decref (info);
  labo_docker_close (&d);
  return path;
}

pid_t
labo_docker_node_state (const struct labo_lab *lab, size_t i, struct labo_docker *d,
                        char state[32])
{
  const struct labo_node *node = &lab->nodes[i];
  labo_error_t e = NULL;
  json_t *info = NULL;
  bool found = false;
  pid_t pid = 0;

  snprintf (state, 32, "missing");
  if (d == NULL || !d[node->host].curl)
    {
      pid = labo_node_pid (lab, node);
      if (pid > 0)
        snprintf (state, 32, "running");
      return pid;
    }
  if (labo_docker_container_inspect (&d[node->host], node->name, &info, &found, &e) == 0 && found)
    {
      json_t *st = json_object_get (info, "State");
      const char *s = json_string_value (json_object_get (st, "Status"));
      snprintf (state, 32, "%s", s ? s : "unknown");
      pid = (pid_t) json_integer_value (json_object_get (st, "Pid"));
    }
  labo_error_release (&e);
  json_decref (info);
  return pid;
}

pid_t
labo_docker_node_pid (const struct labo_lab *lab, size_t i, labo_error_t *err)
{
  const struct labo_node *node = &lab->nodes[i];
  struct labo_docker d = { 0 };
  json_t *info = NULL, *jp;
  bool found = false;
  pid_t pid = -1;

  if (labo_daemon_connect (lab, node->host, &d, err) == 0
      && labo_docker_container_inspect (&d, node->name, &info, &found, err) == 0 && !found)
    labo_error_make (err, 0, "node %s: no such container on %s", node->name,
                     lab->hosts[node->host].name);
  labo_docker_close (&d);
  jp = json_object_get (json_object_get (info, "State"), "Pid");
  if (info && (!json_is_integer (jp) || json_integer_value (jp) <= 0))
    labo_error_make (err, 0, "node %s is not running (`labo status %s`)", node->name, lab->name);
  else if (info)
    pid = (pid_t) json_integer_value (jp);
  json_decref (info);
  return pid;
}

/* ---- labo reset ---- */

/* How long a worker's daemon waits, at a reset, for the daemons that run
 * to drop its previous run from their gossip (the supervisor's start gate,
 * sv_docker.c, and its 20 s). */
#define RESET_GOSSIP_GONE_S 20

/* The nodes' images as up recorded them (state "images": "NODE REF" a
 * line): a reset makes the containers from the very images up made them
 * from, with nothing to resolve, build or import. */
static int
recorded_images (const struct labo_lab *lab, char ***out, labo_error_t *err)
{
  cleanup_free char *text = labo_state_get (lab->name, "images", NULL);
  char **ref = xcalloc (lab->n_nodes + 1, sizeof (char *));
  char *line, *save = NULL;

  for (line = text ? strtok_r (text, "\n", &save) : NULL; line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *sp = strchr (line, ' ');
      long i;
      if (sp == NULL)
        continue;
      *sp = '\0';
      i = labo_lab_find_node (lab, line);
      if (i >= 0 && strcmp (sp + 1, "-") != 0 && ref[i] == NULL)
        ref[i] = xstrdup (sp + 1);
    }
  *out = ref;
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (ref[i] == NULL)
      return labo_error_make (err, 0, "the image of node %s is not on record (%s/%s/images): "
                                      "`labo down %s` and `labo up` instead",
                              lab->nodes[i].name, labo_run_dir (), lab->name, lab->name);
  return 0;
}

/* Does any daemon that answers (alive[]) still list host h's address in
 * its gossip? */
static bool
gossip_lists (const struct labo_lab *lab, struct labo_docker *d, const bool *alive, size_t h)
{
  for (size_t o = 0; o < lab->n_hosts; o++)
    {
      cleanup_free uint32_t *peers = NULL;
      labo_error_t e = NULL;
      size_t n = 0;
      if (o == h || !alive[o])
        continue;
      if (labo_docker_gossip_peers (&d[o], &peers, &n, &e) < 0)
        {
          labo_error_release (&e);
          continue;
        }
      for (size_t k = 0; k < n; k++)
        if (peers[k] == lab->hosts[h].lab_address)
          return true;
    }
  return false;
}

/* Every Docker host's daemon answering: those that do not (their host was
 * powered off, or the supervisor gave up on them) started again, as the
 * supervisor would: a dead run's bridge ports cleared, a worker only once
 * the running daemons dropped its previous run from their gossip (Docker
 * takes a worker back too soon for a newer incarnation of itself and
 * leaves it out: issue 9). *restarted: how many were. */
static int
reset_daemons (const struct labo_lab *lab, struct labo_docker *d, size_t *restarted,
               labo_error_t *err)
{
  cleanup_free bool *alive = xcalloc (lab->n_hosts, sizeof (bool));
  cleanup_free pid_t *pids = xcalloc (lab->n_hosts, sizeof (pid_t));

  *restarted = 0;
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      labo_error_t e = NULL;
      if (lab->hosts[h].docker == LABO_DOCKER_NONE)
        continue;
      alive[h] = labo_daemon_connect (lab, h, &d[h], &e) == 0 && labo_docker_ping (&d[h], &e) == 0;
      labo_error_release (&e);
      if (!alive[h])
        labo_docker_close (&d[h]);
    }
  /* the manager first: the workers join its gossip */
  for (int pass = 0; pass < 2; pass++)
    for (size_t h = 0; h < lab->n_hosts; h++)
      {
        bool manager = lab->hosts[h].docker == LABO_DOCKER_MANAGER;
        double deadline = labo_now () + RESET_GOSSIP_GONE_S;
        if (lab->hosts[h].docker == LABO_DOCKER_NONE || alive[h] || manager != (pass == 0))
          continue;
        while (!manager && labo_now () < deadline && gossip_lists (lab, d, alive, h))
          poll (NULL, 0, SWARM_POLL_MS * 4);
        if (labo_daemon_clear_bridges (lab, h, err) < 0)
          return -1;
        pids[h] = labo_daemon_start (lab, h, err);
        if (pids[h] < 0 || labo_daemon_wait_ready (lab, h, pids[h], 60, err) < 0
            || labo_daemon_connect (lab, h, &d[h], err) < 0)
          return labo_error_wrap (err, "starting the daemon of %s again", lab->hosts[h].name);
        alive[h] = true;
        (*restarted)++;
      }
  return 0;
}

/* Removes a host's nodes' containers (job->arg unused). */
static int
remove_job (struct host_job *job, labo_error_t *err)
{
  const struct labo_lab *lab = job->lab;
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (lab->nodes[i].host == job->h)
      {
        if (labo_docker_container_remove (job->d, lab->nodes[i].name, err) < 0)
          return -1;
        job->count++;
      }
  return 0;
}

/* How long the daemons may take to leave the overlay once the nodes'
 * containers are gone: measured, 0.2 to 0.5 s. A daemon still in it after
 * this has another container on it (one an attendee ran by hand): the
 * reset goes on, the nodes then as a restart would find them. */
#define RESET_OVERLAY_LEFT_S 5

/* Waits until no daemon is in the overlay's gossip any more (its instance
 * of it gone, or no peer left in it), as before `up`'s containers joined
 * a new overlay. A container removed tears down its daemon's instance of
 * the overlay in the background (0.2 to 0.5 s): a node's new container
 * created meanwhile finds it half torn down ("Inconsistent driver and
 * libnetwork state for endpoint" in both daemons' logs), and the nodes
 * then do not reach each other until Docker's bulk sync, 30 s to a minute
 * later (seen one reset in three without this wait). *waited: its time;
 * *still: a host still in it after RESET_OVERLAY_LEFT_S, or NULL. */
static int
wait_overlay_left (const struct labo_lab *lab, struct labo_docker *d, double *waited,
                   const char **still, labo_error_t *err)
{
  double t0 = labo_now ();

  *still = NULL;
  for (;;)
    {
      const char *in = NULL;
      for (size_t h = 0; h < lab->n_hosts && in == NULL; h++)
        {
          cleanup_free uint32_t *peers = NULL;
          size_t n = 0;
          bool found = false;
          if (lab->hosts[h].docker == LABO_DOCKER_NONE)
            continue;
          if (labo_docker_network_gossip (&d[h], lab->overlay.name, &peers, &n, &found, err) < 0)
            return -1;
          if (found && n > 0)
            in = lab->hosts[h].name;
        }
      *waited = labo_now () - t0;
      if (in == NULL)
        return 0;
      if (*waited > RESET_OVERLAY_LEFT_S)
        {
          *still = in;
          return 0;
        }
      poll (NULL, 0, SWARM_POLL_MS);
    }
}

int
labo_reset_docker (const struct labo_lab *lab, struct labo_progress *pr, labo_error_t *err)
{
  size_t n_docker = labo_lab_docker_hosts (lab), restarted = 0, removed = 0;
  struct labo_docker *d = xcalloc (lab->n_hosts ? lab->n_hosts : 1, sizeof (*d));
  char **node_ref = NULL;
  const char *still = NULL;
  double waited = 0;
  int ret = -1;

  if (n_docker == 0 || !labo_lab_reaches (lab, LABO_STAGE_DAEMONS))
    {
      ret = 0;
      goto out;
    }
  if (reset_daemons (lab, d, &restarted, err) < 0)
    goto out;
  if (restarted > 0)
    labo_progress_stage (pr, "daemons", "%zu dockerd answering, %zu started again", n_docker,
                         restarted);
  else
    labo_progress_stage (pr, "daemons", "%zu dockerd answering", n_docker);
  if (lab->n_nodes == 0 || !labo_lab_reaches (lab, LABO_STAGE_CONTAINERS))
    {
      ret = 0;
      goto out;
    }
  if (recorded_images (lab, &node_ref, err) < 0
      || on_docker_hosts (lab, d, NULL, remove_job, &removed, err) < 0)
    goto out;
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (labo_node_data_wipe (lab->name, lab->nodes[i].name, err) < 0)
      goto out;
  /* the nodes' containers join the overlay afresh, as up's do */
  if (lab->overlay.present && labo_lab_reaches (lab, LABO_STAGE_OVERLAY)
      && wait_overlay_left (lab, d, &waited, &still, err) < 0)
    goto out;
  labo_progress_stage (pr, "removed", "%zu container%s, their data wiped; %s%s (%.0f ms of "
                                      "waiting)", removed, removed == 1 ? "" : "s",
                       still ? "the overlay not left by " : "the overlay left",
                       still ? still : "", waited * 1e3);
  waited = 0;
  /* a daemon started again has to be back in every other's gossip before
   * containers join the overlay: up's own wait */
  if (wait_swarm_ready (lab, d, &waited, err) < 0)
    goto out;
  if (restarted > 0)
    labo_progress_stage (pr, "gossip", "every daemon in every daemon's gossip (%.0f ms of "
                                       "waiting)", waited * 1e3);
  ret = nodes_stage (lab, d, node_ref, pr, false, err);
out:
  for (size_t h = 0; h < lab->n_hosts; h++)
    labo_docker_close (&d[h]);
  free (d);
  for (size_t i = 0; node_ref && i < lab->n_nodes; i++)
    free (node_ref[i]);
  free (node_ref);
  return ret;
}

int
labo_docker_node_pause (const struct labo_lab *lab, size_t i, bool pause, labo_error_t *err)
{
  const struct labo_node *node = &lab->nodes[i];
  struct labo_docker d = { 0 };
  json_t *info = NULL, *st;
  bool found = false;
  int r = -1;

  if (labo_daemon_connect (lab, node->host, &d, err) < 0
      || labo_docker_container_inspect (&d, node->name, &info, &found, err) < 0)
    goto out;
  st = json_object_get (info, "State");
  if ((!found || !json_is_true (json_object_get (st, "Running"))) && !pause)
    r = 0; /* nothing frozen: a paused container that died is not paused */
  else if (!found || !json_is_true (json_object_get (st, "Running")))
    labo_error_make (err, 0, "node %s is not running: nothing to pause", node->name);
  /* Docker refuses (409) a pause of a paused container: asked first */
  else if (json_is_true (json_object_get (st, "Paused")) == pause)
    r = 0;
  else if (labo_docker_container_pause (&d, node->name, pause, err) == 0)
    r = 1;
out:
  json_decref (info);
  labo_docker_close (&d);
  return r;
}
