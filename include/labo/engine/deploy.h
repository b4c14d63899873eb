/* A lab on an existing Docker Swarm, driven through its manager's Engine
 * API (`labo deploy`, issue 15): the same services `labo export` writes
 * (include/labo/engine/export.h), each converted into a ServiceSpec and
 * created with POST /services/create, the overlay with POST
 * /networks/create. Everything it makes carries the labels labo.lab=LAB
 * and labo.deployed=true, so that `labo deploy --rm` removes exactly that,
 * and nothing a lab of labo's own made on the same daemons.
 *
 * The conversion and the Swarm's check are pure (tests/unit/test_deploy.c);
 * labo_deploy and labo_deploy_remove add the calls. */
#ifndef LABO_ENGINE_DEPLOY_H
#define LABO_ENGINE_DEPLOY_H

#include <jansson.h>
#include <stdio.h>

#include "labo/model/lab.h"
#include "labo/util/error.h"

/* The label that tells what deploy made from what a lab made. */
#define LABO_DEPLOY_LABEL "labo.deployed"

struct labo_deploy
{
  /* the manager's API: "unix:///path/docker.sock" or "tcp://HOST:PORT" */
  const char *url;
  /* TLS on tcp://: the CA's, the client's certificate and key (PEM
   * files); all NULL: plain HTTP */
  const char *tls_ca, *tls_cert, *tls_key;
  /* node i's image reference, as export names it */
  const char *const *images;
  /* "LABHOST=REALHOST" mappings, n_place of them: the lab's host placed
   * on the Swarm node whose hostname is REALHOST */
  const char *const *place;
  size_t n_place;
  /* how long the tasks have to run healthy, in seconds */
  int timeout_s;
  /* progress lines; NULL: none */
  FILE *progress;
};

/* The Swarm service of one of export's services: `name` the service's
 * (LAB_NODE), `svc` export's service object, `network` the overlay's name
 * (NULL: none), `real_host` the Swarm node's hostname it is placed on
 * (NULL: the lab host's, as export places it). A new ServiceSpec. */
json_t *labo_deploy_service_spec (const char *lab, const char *name, const json_t *svc,
                                  const char *network, const char *real_host);

/* A Compose duration ("2s", "500ms", "1m30s") in nanoseconds; -1 if it is
 * none. */
long long labo_deploy_duration_ns (const char *s);

/* The Swarm hostname the lab's host is placed on: its --place mapping,
 * else its own name. */
const char *labo_deploy_real_host (const struct labo_deploy *opts, const char *host);

/* The hosts of `wanted` (strings) that are no Ready, active node of
 * `nodes` (labo_docker_swarm_nodes' array): "a, b" in a new string, or
 * NULL when every one is. */
char *labo_deploy_missing_hosts (const json_t *nodes, const json_t *wanted);

/* Deploys the lab: checks the Swarm, creates the overlay and the
 * services, waits for every task to run (healthy, where it has a check:
 * Swarm reports a task running only once its container is). On any
 * failure, what it made is removed before it returns -1. *report: one
 * object a node {node, service, host, state}. */
int labo_deploy (const struct labo_lab *lab, const struct labo_deploy *opts, json_t **report,
                 labo_error_t *err);

/* Removes what deploy made for lab `name` on the Swarm at opts->url (and
 * its TLS, progress): its services, then its network (once the tasks are
 * gone), then the data volumes on the manager. *removed: how many objects
 * (may be NULL). With `lab` and `left`: *left, the data volumes its nodes
 * made on the other servers, [{"server", "volume"}], which only those
 * servers' daemons can remove. */
int labo_deploy_remove (const char *name, const struct labo_lab *lab,
                        const struct labo_deploy *opts, int *removed, json_t **left,
                        labo_error_t *err);

/* ---- a deployed lab, from this machine ----
 *
 * What deploy made is remembered in the run dir, as LAB.deployed (a file,
 * never a lab's directory): the lab file's text, the URL, the TLS files'
 * absolute paths and the --place mappings. `labo status`, `check`, `kill`
 * and `down` of LAB then work on the Swarm through the same API, and `labo
 * ls` lists it. The record is root's (the run dir is 0700): the TLS key it
 * names opens the Swarm. One name is one lab: a deployed lab's name is
 * not also a lab up on this machine (deploy and up refuse it). */

/* The record's JSON: {"lab", "file", "text", "url", "tls_ca", "tls_cert",
 * "tls_key", "place": [...], "at"}. Written atomically. */
int labo_deployed_save (const char *lab, const char *file, const char *text, size_t len,
                        const struct labo_deploy *opts, labo_error_t *err);
/* The record of lab `lab`, or NULL if it has none. */
json_t *labo_deployed_load (const char *lab);
/* The record's lab (its text parsed again, under the record's name), and
 * *opts pointing into the record (which must outlive them). NULL: the
 * text no longer parses (err says why). */
struct labo_lab *labo_deployed_lab (const json_t *rec, struct labo_deploy *opts,
                                    labo_error_t *err);
/* *opts from the record alone (its url, TLS files and places, pointing
 * into rec; opts->place is the caller's to free). */
void labo_deployed_opts (const json_t *rec, struct labo_deploy *opts);
/* Forgets the record (none: nothing to do). */
int labo_deployed_forget (const char *lab, labo_error_t *err);
/* The names of the labs deployed from this machine, sorted. */
int labo_deployed_list (char ***labs, size_t *n, labo_error_t *err);

/* A deployed lab's state, from the manager's API and each node's `srvr`
 * through its published client port: {"lab", "deployed": {"url",
 * "file"}, "nodes": [{"name", "service", "host", "state", "endpoint",
 * "mode", "error"?}], "leader"}. A node's endpoint is "ADDR:PORT", the
 * Swarm node's address and the published client port; null when its task
 * is not running or the node publishes no client port. */
json_t *labo_deploy_status (const struct labo_lab *lab, const struct labo_deploy *opts,
                            labo_error_t *err);
void labo_deploy_status_print (json_t *st, FILE *out);

/* Kills node `node`'s container as Swarm can: the service's task replaced
 * (a forced update, stop-first), so its container gets its stop signal,
 * SIGKILL (deploy sets it), and a new task starts on the same server with
 * the same volume: the supervisor's restart after a kill, done by Swarm.
 * sig: SIGKILL only (another is refused: Swarm stops a container with the
 * signal it was made with). */
int labo_deploy_kill (const struct labo_lab *lab, const struct labo_deploy *opts, size_t node,
                      int sig, labo_error_t *err);

#endif
