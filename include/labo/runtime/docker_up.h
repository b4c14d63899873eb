/* The Docker stages of up and down (src/runtime/docker_up.c). */
#ifndef LABO_DOCKER_UP_H
#define LABO_DOCKER_UP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

#include "labo/model/lab.h"
#include "labo/runtime/logs.h"
#include "labo/util/progress.h"
#include "labo/model/state.h"
#include "labo/zk/zk.h"

/* Daemons, Swarm, overlay, image, containers, quorum. Every daemon is
 * journalled ("docker <host>") before it starts. */
int labo_up_docker (const struct labo_lab *lab, struct labo_state *st, struct labo_progress *pr,
                    bool quiet, labo_error_t *err);
/* Kills the daemons (and everything in their cgroups) the journal names.
 * Returns the number of processes killed, or -1. (down then removes the
 * daemons' state, and the nodes' data unless --keep-data.) */
int labo_down_docker (const char *lab, char **kinds, char **names, size_t n, labo_error_t *err);

/* How long up waits for the ensemble to elect a leader once its servers
 * started: JVMs start in about a second and elect in a few hundred ms;
 * this is for a loaded machine, not a normal wait. */
#define LABO_QUORUM_WAIT_S 90

/* Probes every node until the lab's services serve (every ensemble with a
 * quorum of all its members, every other node healthy:
 * labo_kind_services_ready), within timeout_s; *leader is that function's
 * line ("namenode2 leads 2 servers"; caller frees). Unless quiet, shows
 * each node's mode as it changes. The failure says what each node was
 * doing. */
int labo_wait_quorum (const struct labo_lab *lab, double timeout_s, bool quiet,
                      labo_node_log_path_fn path_of, char **leader, labo_error_t *err);

/* The runtimes' parts of their tables (include/labo/runtime/runtime.h): up
 * --dry-run's (daemons, Swarm, overlay, image, containers, published
 * ports; or processes and DNAT), a node's state and its log file. */
struct labo_docker;
void labo_docker_plan_print (const struct labo_lab *lab, FILE *out);
void labo_process_plan_print (const struct labo_lab *lab, FILE *out);
pid_t labo_docker_node_state (const struct labo_lab *lab, size_t i, struct labo_docker *d,
                              char state[32]);
pid_t labo_process_node_state (const struct labo_lab *lab, size_t i, struct labo_docker *d,
                               char state[32]);
pid_t labo_docker_node_pid (const struct labo_lab *lab, size_t i, labo_error_t *err);
pid_t labo_process_node_pid (const struct labo_lab *lab, size_t i, labo_error_t *err);
char *labo_docker_node_log_path (const struct labo_lab *lab, size_t i, bool *docker_json,
                                 labo_error_t *err);
char *labo_process_node_log_path (const struct labo_lab *lab, size_t i, bool *docker_json,
                                  labo_error_t *err);
int labo_docker_node_pause (const struct labo_lab *lab, size_t i, bool pause, labo_error_t *err);
int labo_process_node_pause (const struct labo_lab *lab, size_t i, bool pause,
                             labo_error_t *err);

/* The process runtime's stages of up (src/runtime/process_up.c): the DNAT
 * rules publishing the nodes' ports on their hosts' lab addresses, the
 * ZooKeeper processes, the quorum. resumed: on the data a `down
 * --keep-data` left (said in the progress). */
int labo_up_process (const struct labo_lab *lab, struct labo_progress *pr, bool resumed,
                     labo_error_t *err);

/* `labo reset`'s part (include/labo/runtime/runtime.h): the nodes back as
 * up made them. Docker: every daemon answering (started again where it
 * does not), the nodes' containers removed and their data wiped, then up's
 * own nodes stage (keys, containers from the images on record, the wait).
 * Process: the nodes' processes ended and their data wiped, then up's own
 * stage (ports, processes, the wait). */
int labo_reset_docker (const struct labo_lab *lab, struct labo_progress *pr, labo_error_t *err);
int labo_reset_process (const struct labo_lab *lab, struct labo_progress *pr, labo_error_t *err);

#endif
