/* The runtimes' tables: see include/labo/runtime/runtime.h. */
#include "labo/runtime/runtime.h"

#include "labo/runtime/docker_up.h"
#include "labo/zk/zkdata.h"

static int
docker_up (const struct labo_lab *lab, struct labo_state *st, struct labo_progress *pr,
           labo_error_t *err)
{
  return labo_up_docker (lab, st, pr, pr->quiet, err);
}

static int
process_up (const struct labo_lab *lab, struct labo_state *st, struct labo_progress *pr,
            labo_error_t *err)
{
  (void) st;
  return labo_up_process (lab, pr, labo_lab_has_kept_data (lab->name), err);
}

static const struct labo_runtime_ops docker = {
  .name = "docker",
  .node_field = "container",
  .daemons = true,
  .overlay_on_hosts = false, /* Swarm's overlay: in the containers */
  .names_in_hosts_file = false, /* Docker's DNS names them */
  .node_image = true,
  .up = docker_up,
  .reset = labo_reset_docker,
  .plan_print = labo_docker_plan_print,
  .node_state = labo_docker_node_state,
  .node_pid = labo_docker_node_pid,
  .node_log_path = labo_docker_node_log_path,
  .node_pause = labo_docker_node_pause,
};

static const struct labo_runtime_ops process = {
  .name = "process",
  .node_field = "process",
  .daemons = false,
  .overlay_on_hosts = true, /* an interface of the host's own, with the node's address */
  .names_in_hosts_file = true,
  .node_image = false,
  .up = process_up,
  .reset = labo_reset_process,
  .plan_print = labo_process_plan_print,
  .node_state = labo_process_node_state,
  .node_pid = labo_process_node_pid,
  .node_log_path = labo_process_node_log_path,
  .node_pause = labo_process_node_pause,
};

const struct labo_runtime_ops *
labo_runtime_of (const struct labo_lab *lab)
{
  return lab->runtime == LABO_RUNTIME_PROCESS ? &process : &docker;
}
