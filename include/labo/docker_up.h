/* The Docker stages of up and down (src/lab/docker_up.c). */
#ifndef LABO_DOCKER_UP_H
#define LABO_DOCKER_UP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

#include "labo/engine.h"
#include "labo/lab.h"
#include "labo/state.h"
#include "labo/zk.h"

/* Daemons, Swarm, overlay, image, containers, quorum. Every daemon is
 * journalled ("docker <host>") before it starts. */
int labo_up_docker (const struct labo_lab *lab, struct labo_state *st, struct labo_progress *pr,
                    bool quiet, labo_error_t *err);
/* Kills the daemons (and everything in their cgroups) the journal names.
 * Returns the number of processes killed, or -1. (down then removes the
 * daemons' state, and the nodes' data unless --keep-data.) */
int labo_down_docker (const char *lab, char **kinds, char **names, size_t n, labo_error_t *err);

/* The container spec of a node (labo_docker_container_body, the
 * ZooKeeper environment, its data directory bound over /data, made if
 * missing); the supervisor recreates a removed node with it. */
json_t *labo_node_container_spec (const struct labo_lab *lab, const struct labo_node *node,
                                  const char *image, labo_error_t *err);

/* The host port a node's client port is published on, or -1. */
int labo_node_client_port (const struct labo_node *node);

/* Where labo reaches a node's client port: one rule for up, status, chaos,
 * check and the supervisor. The published port on its host's lab address,
 * from inside its host, as a client of that host would; without one, the
 * node's own address, from inside the node itself (in_container: the
 * container's network namespace, Docker) or its host (process runtime,
 * where the node has its host's namespace). */
struct labo_node_reach
{
  uint32_t addr;
  uint16_t port;
  bool in_container;
};
void labo_node_reach (const struct labo_lab *lab, const struct labo_node *node,
                      struct labo_node_reach *r);
/* The network namespace to connect from (a descriptor), for r: the host's,
 * or that of the container whose init is pid. */
int labo_node_reach_netns (const struct labo_lab *lab, const struct labo_node *node,
                           const struct labo_node_reach *r, pid_t pid, labo_error_t *err);
/* The pid of a node's container init (asked of its daemon), or 0. */
pid_t labo_node_pid (const struct labo_lab *lab, const struct labo_node *node);
/* `srvr`, where labo_node_reach says; pid: the container's init if known
 * (0: asked of the daemon when needed). */
int labo_node_probe (const struct labo_lab *lab, const struct labo_node *node, pid_t pid,
                     int timeout_ms, struct labo_zk_srvr *out);

/* Probes every node until one leads and every other follows (or observes),
 * within timeout_s; *leader is its name (caller frees). Unless quiet, shows
 * each node's mode as it changes. The failure says what each node was
 * doing. */
int labo_wait_quorum (const struct labo_lab *lab, double timeout_s, bool quiet, char **leader,
                      labo_error_t *err);

/* up --dry-run's second half: what the runtime would make (daemons, Swarm,
 * overlay, image, containers, published ports; or processes and DNAT). */
void labo_up_plan_print (const struct labo_lab *lab, FILE *out);

/* The process runtime's stages of up (src/lab/process_up.c): the DNAT
 * rules publishing the nodes' ports on their hosts' lab addresses, the
 * ZooKeeper processes, the quorum. */
int labo_up_process (const struct labo_lab *lab, struct labo_progress *pr, labo_error_t *err);

#endif
