/* The Docker stages of up and down (src/lab/docker_up.c). */
#ifndef LABO_DOCKER_UP_H
#define LABO_DOCKER_UP_H

#include <stdbool.h>

#include "labo/engine.h"
#include "labo/lab.h"
#include "labo/state.h"
#include "labo/zk.h"

/* Daemons, Swarm, overlay, image, containers, quorum. Every daemon is
 * journalled ("docker <host>") before it starts. */
int labo_up_docker (const struct labo_lab *lab, struct labo_state *st, struct labo_progress *pr,
                    bool quiet, labo_error_t *err);
/* Kills the daemons (and everything in their cgroups) the journal names,
 * and removes their state; the nodes' data too unless keep_data. Returns
 * the number of processes killed, or -1. */
int labo_down_docker (const char *lab, char **kinds, char **names, size_t n, bool keep_data,
                      labo_error_t *err);

/* Where a node's ZooKeeper data lives (bound over the container's /data):
 * /var/lib/labo/<lab>/_data/<node>. Caller frees. */
char *labo_node_data_dir (const char *lab, const char *node);
/* Did a `down --keep-data` leave this lab's data? */
bool labo_lab_has_kept_data (const char *lab);

/* The host port a node's client port is published on, or -1. */
int labo_node_client_port (const struct labo_node *node);
/* `srvr` through the node's published client port, from inside its host. */
int labo_node_probe (const struct labo_lab *lab, const struct labo_node *node, int timeout_ms,
                     struct labo_zk_srvr *out);

#endif
