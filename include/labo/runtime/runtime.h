/* A lab's runtime: what runs its nodes. Docker: a dockerd per host joined
 * into a Swarm, an overlay, containers. Process: ZooKeeper from the
 * machine's packages, run in the hosts' own namespaces. One table of
 * functions and facts each, chosen once from the lab (its runtime, as
 * `up` settled it); nothing outside src/runtime/ asks which runtime runs,
 * it asks the table. A new runtime is a new table here. */
#ifndef LABO_RUNTIME_H
#define LABO_RUNTIME_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "labo/util/error.h"
#include "labo/model/lab.h"
#include "labo/util/progress.h"

struct labo_state;
struct labo_docker;

struct labo_runtime_ops
{
  const char *name;       /* "docker", "process" */
  const char *node_field; /* what runs a node, in status: "container", "process" */
  bool daemons;           /* hosts with `docker:` run a dockerd (status, `logs HOST`, kept logs) */
  bool overlay_on_hosts;  /* the overlay is an interface of each node's host: the nodes'
                             addresses are their hosts' (cuts, links, status) */
  bool names_in_hosts_file; /* the nodes' names resolve through the lab's hosts file */
  bool node_image;        /* a node is a system of its own (a container from an image,
                             with its own packages): the tutorial's steps inside a
                             node (java, ssh) apply to it, and it runs sshd on its
                             overlay address (root's password:
                             LABO_NODE_ROOT_PASSWORD); a process runs the
                             machine's */

  /* up's stages after the network (daemons, Swarm, overlay, image,
   * containers; or DNAT and processes), then the quorum wait. */
  int (*up) (const struct labo_lab *lab, struct labo_state *st, struct labo_progress *pr,
             labo_error_t *err);
  /* `labo reset`'s part, the network as up made it already: what runs the
   * nodes answering again, the nodes removed with their data, then made
   * again by up's own stages (the same functions) and the same wait. */
  int (*reset) (const struct labo_lab *lab, struct labo_progress *pr, labo_error_t *err);
  /* up --dry-run's part: what up would make. */
  void (*plan_print) (const struct labo_lab *lab, FILE *out);
  /* Node i now: its pid (0: none), and a word for status into state
   * (running, exited, Docker's own words). d: an array of the hosts'
   * daemon connections, by host, where the caller has them (may be NULL,
   * or hold unconnected entries). */
  pid_t (*node_state) (const struct labo_lab *lab, size_t i, struct labo_docker *d,
                       char state[32]);
  /* Node i's pid (its container's init, or its process), or -1 with err
   * saying why (no such container, not running). */
  pid_t (*node_pid) (const struct labo_lab *lab, size_t i, labo_error_t *err);
  /* The file holding node i's log now; *docker_json: Docker's json-file
   * format. NULL with err when it has none. */
  char *(*node_log_path) (const struct labo_lab *lab, size_t i, bool *docker_json,
                          labo_error_t *err);
  /* `labo pause`: node i frozen (pause) or thawed, done once its freezer
   * says so: Docker pauses its container (runc's freezer); a process's
   * tree goes into a freezer cgroup of labo's (host/freezer.h). Returns 1
   * if it changed, 0 if it was so already, -1 (not running...). */
  int (*node_pause) (const struct labo_lab *lab, size_t i, bool pause, labo_error_t *err);
};

/* The lab's runtime's table (lab->runtime docker or process; auto is
 * settled by `up` before anything asks). */
const struct labo_runtime_ops *labo_runtime_of (const struct labo_lab *lab);

#endif
