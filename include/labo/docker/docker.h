/* The Docker Engine API (v1.41, what Debian 12's docker.io speaks) over one
 * daemon's unix socket, with libcurl and jansson. No `docker` CLI anywhere.
 *
 * Contract: every call that fails returns -1 with an error that names the
 * host, the operation, and Docker's own message verbatim, with the HTTP
 * status: "mida-clm1: creating network weave: Pool overlaps with other one
 * on this address space (HTTP 403)". Errors that Docker streams inside a
 * 200 reply (image import: {"errorDetail":...,"error":...}) are errors too.
 *
 * The body builders and reply parsers are pure functions (unit-tested in
 * tests/unit/test_docker.c); the calls only add the transport. */
#ifndef LABO_DOCKER_H
#define LABO_DOCKER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labo/util/error.h"
#include "labo/util/ipv4.h"
#include "labo/model/lab.h"

#define LABO_DOCKER_API "/v1.41"

struct labo_docker
{
  /* path of the daemon's unix socket, as seen from labo; or
   * "tcp://HOST:PORT", a daemon's API on TCP (a real Swarm's manager) */
  char *socket;
  char *host;   /* lab host name, for messages */
  void *curl;   /* CURL *, reused across calls (one connection) */
  /* TLS on a TCP daemon (labo_docker_set_tls): the CA that signed its
   * certificate, and the client's certificate and key; NULL: plain */
  char *tls_ca, *tls_cert, *tls_key;
};

int labo_docker_open (struct labo_docker *d, const char *socket, const char *host,
                      labo_error_t *err);
void labo_docker_close (struct labo_docker *d);
/* A "tcp://" daemon spoken to over TLS (https), its certificate checked
 * against the CA in the PEM file ca, the client known by cert and key
 * (Docker's --tlsverify). Any may be NULL (curl's default CAs; no client
 * certificate). */
void labo_docker_set_tls (struct labo_docker *d, const char *ca, const char *cert,
                          const char *key);

/* One JSON call: body (may be NULL) as the request's, a non-2xx status
 * other than also_ok an error (HTTP status and Docker's message); *status
 * and *reply (a parsed JSON body, or NULL) may be NULL. path is under
 * LABO_DOCKER_API. For the calls of a Swarm's services (labo deploy),
 * which have no wrapper of their own. */
int labo_docker_request (struct labo_docker *d, const char *op, const char *method,
                         const char *path, json_t *body, long also_ok, long *status,
                         json_t **reply, labo_error_t *err);

/* GET /_ping answers "OK". Fails fast (no retry) when the socket does not
 * accept connections yet: the caller decides when to ask again. */
int labo_docker_ping (struct labo_docker *d, labo_error_t *err);

int labo_docker_swarm_init (struct labo_docker *d, uint32_t advertise,
                            const struct labo_swarm *swarm, labo_error_t *err);
/* The worker join token (GET /swarm on the manager). */
int labo_docker_swarm_worker_token (struct labo_docker *d, char **token, labo_error_t *err);
int labo_docker_swarm_join (struct labo_docker *d, uint32_t advertise, uint32_t manager,
                            const char *token, labo_error_t *err);
/* GET /nodes: array of {name, role, state, leader} built from Docker's reply. */
int labo_docker_swarm_nodes (struct labo_docker *d, json_t **nodes, labo_error_t *err);
/* The members of the daemon's gossip as it sees them (the Peers of the
 * ingress network, LABO_DOCKER_GOSSIP_PATH): their addresses into *addrs
 * (caller frees), *n of them. */
int labo_docker_gossip_peers (struct labo_docker *d, uint32_t **addrs, size_t *n,
                              labo_error_t *err);

/* The members of a network's own gossip on this daemon (its Peers, with
 * verbose=true): none when no container of this daemon is on it; *found
 * false when the daemon has no instance of it (a worker's, then). */
int labo_docker_network_gossip (struct labo_docker *d, const char *name, uint32_t **addrs,
                                size_t *n, bool *found, labo_error_t *err);

int labo_docker_network_create (struct labo_docker *d, const struct labo_overlay *overlay,
                                const char *lab, labo_error_t *err);
/* GET /networks/{name}: its inspection into *info (may be NULL); *found
 * false on 404. */
int labo_docker_network_inspect (struct labo_docker *d, const char *name, json_t **info,
                                 bool *found, labo_error_t *err);

/* GET /images/{ref}/json: *exists false on 404. */
int labo_docker_image_exists (struct labo_docker *d, const char *ref, bool *exists,
                              labo_error_t *err);
/* POST /images/create?fromSrc=- with the tar file as the body
 * (Content-Type: application/x-tar, streamed from disk), `changes` are
 * Dockerfile instructions (NULL-terminated, e.g. "CMD [\"zkServer\"]"). */
int labo_docker_image_import (struct labo_docker *d, const char *tar_path, const char *repo,
                              const char *tag, const char *const *changes, labo_error_t *err);

/* POST /images/load?quiet=1 with the archive open on fd (a `docker save`
 * tar, or that tar compressed: the daemon tells which) streamed from its
 * current offset as the body; `what` names it in messages. *ref: what the
 * daemon says it loaded ("busybox:latest", or "sha256:..." for an image
 * saved by id); an archive holding other than one image is refused (which
 * would the node run?). Caller frees. */
int labo_docker_image_load (struct labo_docker *d, int fd, const char *what, char **ref,
                            labo_error_t *err);
/* POST /images/{ref}/tag?repo=REPO&tag=TAG. */
int labo_docker_image_tag (struct labo_docker *d, const char *ref, const char *repo,
                           const char *tag, labo_error_t *err);

/* POST /containers/create?name=NAME with `spec`; *id may be NULL. */
int labo_docker_container_create (struct labo_docker *d, const char *name, json_t *spec,
                                  char **id, labo_error_t *err);
int labo_docker_container_start (struct labo_docker *d, const char *name, labo_error_t *err);
/* DELETE /containers/{name}?force=1&v=1: killed if it runs, removed with
 * its anonymous volumes; absent already is success. */
int labo_docker_container_remove (struct labo_docker *d, const char *name, labo_error_t *err);
/* POST /containers/NAME/pause or /unpause: the container's processes
 * frozen (Docker's cgroup freezer) or thawed, done when it answers. */
int labo_docker_container_pause (struct labo_docker *d, const char *name, bool pause,
                                 labo_error_t *err);
/* GET /containers/{name}/json; *found false on 404. */
int labo_docker_container_inspect (struct labo_docker *d, const char *name, json_t **info,
                                   bool *found, labo_error_t *err);

/* ---- pure parts ---- */

json_t *labo_docker_swarm_init_body (uint32_t advertise, const struct labo_swarm *swarm);
json_t *labo_docker_swarm_join_body (uint32_t advertise, uint32_t manager, const char *token);
json_t *labo_docker_network_body (const struct labo_overlay *overlay, const char *lab);
/* The container spec of a node: image, hostname, env, labels
 * (labo.lab, labo.host, labo.node), published ports bound to the host's lab
 * address, the overlay with the node's fixed address and its name as alias,
 * and every other node's name and overlay address in its /etc/hosts (so
 * that no peer's name waits on Docker's gossip after a daemon restarts).
 * `env` is NULL-terminated and may be NULL. */
json_t *labo_docker_container_body (const struct labo_lab *lab, const struct labo_node *node,
                                    const char *image, const char *const *env);
/* "fromSrc=-&repo=R&tag=T&changes=...": URL-encoded; caller frees. */
char *labo_docker_import_query (const char *repo, const char *tag, const char *const *changes);
/* "/events?filters=..." for the containers of one lab (label labo.lab):
 * the supervisor's stream of their start, die, oom and destroy. Caller frees. */
char *labo_docker_events_path (const char *lab);
/* Where a daemon's gossip shows: Swarm's ingress network, which every
 * node of a Swarm has from its start, inspected as the node itself sees
 * it (verbose: without it a manager answers with the cluster's record,
 * which has no peers). */
#define LABO_DOCKER_GOSSIP_PATH "/networks/ingress?verbose=true"
/* The peers of a network's inspection ("Peers": [{"Name", "IP"}]): the
 * nodes of Docker's gossip (networkdb) that the daemon knows to share the
 * network, itself included once its gossip runs. Their addresses into
 * *addrs (caller frees; NULL when none), *n of them. Returns 0, or -1 if
 * the body is no network's inspection or an address is not one. */
int labo_docker_network_peers (const char *body, size_t len, uint32_t **addrs, size_t *n);
/* The same, of an inspection already parsed. */
int labo_docker_network_peers_json (const json_t *j, uint32_t **addrs, size_t *n);
/* Docker's error text from a non-2xx reply body ({"message": "..."}), or
 * the body itself trimmed when it is not that JSON. Caller frees. */
char *labo_docker_error_message (const char *body, size_t len);

/* Newline-delimited JSON progress streams (image import and load, pulls):
 * feed bytes as they arrive; the first {"error": ...} or {"errorDetail":
 * {"message": ...}} is kept. */
struct labo_ndjson
{
  char *buf;
  size_t len, cap;
  char *error;  /* first streamed error, or NULL */
  char *status; /* last "status" seen (import: the image id) */
  /* load: the first image a {"stream": "Loaded image: NAME:TAG"} or
   * "Loaded image ID: sha256:..." line names, and how many were named */
  char *loaded;
  size_t n_loaded;
};
void labo_ndjson_feed (struct labo_ndjson *s, const char *data, size_t len);
/* Handles a last line without a newline. */
void labo_ndjson_finish (struct labo_ndjson *s);
void labo_ndjson_free (struct labo_ndjson *s);

#endif
