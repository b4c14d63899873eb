/* The Docker stages of up and down (src/lab/docker_up.c). */
#ifndef LABO_DOCKER_UP_H
#define LABO_DOCKER_UP_H

#include <jansson.h>
#include <stdbool.h>

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
/* `srvr` through the node's published client port, from inside its host. */
int labo_node_probe (const struct labo_lab *lab, const struct labo_node *node, int timeout_ms,
                     struct labo_zk_srvr *out);

/* Probes every node until one leads and every other follows (or observes),
 * within timeout_s; *leader is its name (caller frees). The failure says
 * what each node was doing. */
int labo_wait_quorum (const struct labo_lab *lab, double timeout_s, char **leader,
                      labo_error_t *err);

/* The process runtime's stages of up (src/lab/process_up.c): the DNAT
 * rules publishing the nodes' ports on their hosts' lab addresses, the
 * ZooKeeper processes, the quorum. */
int labo_up_process (const struct labo_lab *lab, struct labo_progress *pr, labo_error_t *err);

#endif
