/* Between deploy.c (a lab onto a Swarm, and off it) and deployed.c (the
 * record of a deployed lab, its status and kill): the manager's
 * connection and what the Swarm says of its nodes and tasks. Not part of
 * the library's interface. */
#ifndef LABO_ENGINE_DEPLOY_INTERNAL_H
#define LABO_ENGINE_DEPLOY_INTERNAL_H

#include <jansson.h>

#include "labo/docker/docker.h"
#include "labo/engine/deploy.h"
#include "labo/util/error.h"

/* The manager's daemon from opts->url (unix:///PATH or tcp://HOST:PORT),
 * with opts' TLS on tcp://. */
int deploy_open_manager (struct labo_docker *d, const struct labo_deploy *opts,
                         labo_error_t *err);
/* Each Swarm node's ID to {"host": its hostname, "addr": the address its
 * tasks' published ports are reached on}; NULL with err set. */
json_t *deploy_node_names (struct labo_docker *d, labo_error_t *err);
/* The state of service's running task into *state ("running", or the
 * newest task's, its error in *why), *node the Swarm node it is on; each
 * freed and replaced. */
int deploy_task_state (struct labo_docker *d, const char *service, char **state, char **why,
                       char **node, labo_error_t *err);

#endif
