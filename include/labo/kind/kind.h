/* The kinds of node: one table, so that a new kind is one row and one file
 * of src/kind/, and no verb asks which kind a node is (issue 13). A kind
 * says what runs in its nodes (an image recipe and a container spec; a
 * process for the process runtime), how a node's health and role are told
 * (the requests of a probe round, each sent on a TCP connection that the
 * node closes after its answer, and what the answers mean), and whether its
 * nodes elect a leader (an ensemble in status, events, up's wait and
 * verify). Up, status, the supervisor, chaos and verify all ask a node's
 * kind through labo_kind_of; the probe drivers (one blocking, for status
 * and up; one on the supervisor's loop) are the kind's requests and
 * verdict, run by code that knows no kind.
 *
 * Layer: above the drivers and zk (a kind's code may use them), below the
 * supervisor and the runtimes, which use the table. */
#ifndef LABO_KIND_KIND_H
#define LABO_KIND_KIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labo/model/ensemble.h"
#include "labo/model/lab.h"
#include "labo/util/error.h"

typedef struct json_t json_t;

/* The most requests a probe round makes. */
#define LABO_KIND_MAX_ASKS 3
/* The room a driver gives ask for one request (an HTTP health check's GET
 * with its URL): a longer one is not asked (see labo_health_ask). */
#define LABO_KIND_ASK_MAX 4096
/* The output of a health command kept for its verdict. */
#define LABO_KIND_EXEC_OUT_MAX 512

/* What a probe round found. */
struct labo_probe_result
{
  bool alive;          /* the service answered (its process lives and listens) */
  bool unprobeable;    /* it answers, but refuses what labo asks: no mode to tell */
  enum labo_mode mode; /* DOWN when not alive; HEALTHY for a kind without roles */
  uint64_t zxid;       /* ZooKeeper: the last transaction (0: none) */
  long node_count;     /* ZooKeeper: znodes; -1 not known */
  long outstanding;    /* ZooKeeper: requests queued; -1 not known */
  long synced;         /* a leader's synced followers; -1 not known */
  char version[64];    /* the service's own version, when it says it */
  char why[160];       /* not alive: the last error, for events and status */
};

struct labo_kind
{
  enum labo_service service;
  const char *name;   /* the lab file's word: "zookeeper", "etcd", "shell"; "generic" */
  const char *recipe; /* its image's recipe under images/; NULL: the node's `image:` */
  bool elects;        /* its nodes elect a leader: they form an ensemble */
  bool sshd;          /* its container runs sshd and the tutorial's tools (verify's ping, ssh) */

  /* The port of the node its probes reach (the node's own port, inside
   * the container or the host: labo_node_reach_port maps it to a
   * published one). 0, and no exec: nothing to ask; the drivers then
   * answer request 0 themselves, "" while the node's container (or
   * process) runs, else an error (healthy while it runs). */
  uint16_t (*port) (const struct labo_node *node);
  /* A check run inside the node instead of requests over TCP (`health:
   * {exec: [...]}`): its argv, NULL-terminated; NULL (or no hook): the
   * round is ask's requests. The drivers run it in all the node's
   * namespaces, bounded by the probe timeout, and give judge its outcome
   * as request 0's (labo_kind_exec_outcome). */
  char *const *(*exec) (const struct labo_node *node);
  /* Request k of a round (k < LABO_KIND_MAX_ASKS), given the mode the last
   * round found: the bytes to send (NULL: no request k this round; "" :
   * connect only). Written into buf. */
  const char *(*ask) (const struct labo_node *node, size_t k, enum labo_mode was, char *buf,
                      size_t size);
  /* The verdict on a round: reply[k] (NULL if request k failed, error[k]
   * then says why, or was not made). */
  void (*judge) (const struct labo_node *node, const char *const reply[LABO_KIND_MAX_ASKS],
                 const char *const error[LABO_KIND_MAX_ASKS], struct labo_probe_result *out);

  /* Docker runtime: the container spec of a node, its image given
   * (labo_docker_container_body and the kind's own). */
  json_t *(*container_spec) (const struct labo_lab *lab, const struct labo_node *node,
                             const char *image, labo_error_t *err);
  /* Process runtime: starts node i as a process of its host (paths: zk/zkproc.h's, its pid
   * file among them); returns its pid, a child of the caller. NULL: the kind runs under
   * Docker only. */
  pid_t (*process_start) (const struct labo_lab *lab, size_t i, labo_error_t *err);

  /* Export (`labo export --format stack`, include/labo/engine/export.h):
   * the kind's own part of node's service in a Compose file for a real
   * Swarm, set in svc, a JSON object whose keys are Compose's:
   * "environment" (["KEY=VALUE", ...]), "command", "volumes" (a named
   * volume "NAME:PATH" is declared by the writer), "healthcheck" ({"test":
   * [...]}, timed by the writer from the node's `supervise:`). What of the
   * node a stack cannot carry is appended to notes (an array of strings,
   * one sentence each, naming the node): never dropped in silence. Pure.
   * NULL: the writer's common part only. */
  void (*stack_service) (const struct labo_lab *lab, const struct labo_node *node, json_t *svc,
                         json_t *notes);
};

/* The lab's services as its nodes' modes show them (modes[i]: node i's):
 * ready when the nodes of each electing kind form an ensemble with a
 * quorum in which every one serves (labo_ensemble_assess), and every other
 * node is healthy. *text: one line for people, the ensembles' words
 * ("namenode2 leads 2 servers"; with several kinds, each prefixed by its
 * name; "web healthy"), or, not ready, what is missing. Caller frees. */
bool labo_kind_services_ready (const struct labo_lab *lab, const enum labo_mode *modes,
                               char **text);

/* The kind of a node (never NULL: a service the table lacks is a bug, and
 * aborts). */
const struct labo_kind *labo_kind_of (const struct labo_node *node);

/* A blocking probe round of a node (status, up's wait, verify, chaos):
 * from where labo_node_reach_port says, pid the container's init (or the
 * node's process) if known (0: asked of the daemon when needed: a node of
 * the process runtime with an exec check, or nothing to ask, must be given
 * its pid), each request bounded by timeout_ms. Returns 0 if the node's
 * service answered (out->alive), else -1. */
int labo_kind_probe (const struct labo_lab *lab, const struct labo_node *node, pid_t pid,
                     int timeout_ms, struct labo_probe_result *out);

/* A health command's outcome as request 0's answer, the same for both
 * drivers: `status` (labo_pid_run's: 0 passes, 124 timed out, 125 the node
 * could not be entered, -1 labo_pid_run failed: `out` is then its error)
 * and its output. Exactly one of *reply (its output) and *error ("`test -e
 * /tmp/ok` exited 1", "... timed out after 1000 ms", with its first line
 * of output) is set; caller frees. */
void labo_kind_exec_outcome (char *const *argv, int status, const char *out, int timeout_ms,
                             char **reply, char **error);

/* ---- health checks (`health:`), one definition for every kind's row ----
 * A kind without roles (shell, generic) is judged by its health alone, in
 * mode LABO_MODE_HEALTHY when alive; a kind with its own probes may use
 * these when the node's `health` overrides them. `h` is the check in
 * force (the node's, or the kind's default). */

/* Its TCP port: `tcp: PORT`, an `http:` URL's port (80 when it has none);
 * 0 for exec and none. */
uint16_t labo_health_port (const struct labo_health *h);
/* Request 0: "" (connect only) for tcp, an HTTP/1.0 GET of the URL's path
 * (Host: the URL's HOST[:PORT], Connection: close) for http; NULL for
 * k > 0, for exec and none, and for a GET longer than size. */
const char *labo_health_ask (const struct labo_health *h, size_t k, char *buf, size_t size);
/* Alive on request 0's answer: any for tcp, exec and none; for http a
 * status line "HTTP/1.x 2xx". Mode HEALTHY; why says what failed. */
void labo_health_judge (const struct labo_health *h, const char *const reply[LABO_KIND_MAX_ASKS],
                        const char *const error[LABO_KIND_MAX_ASKS],
                        struct labo_probe_result *out);

/* ---- a node's image in a daemon (Docker runtime) ---- */

struct labo_docker;

/* Makes the image node runs available in daemon d, and says its
 * reference in *ref (caller frees), for the kind's container_spec. Called
 * by `up` for each node, and by the supervisor before it recreates one.
 *   - a kind of labo's own (kind->recipe), or a generic node whose `image`
 *     is a recipe's name (no '/', not ending in .tar, .tar.gz or .tgz):
 *     labo_image_resolve, labo_image_build (quiet; cached by content),
 *     labo_image_import (skipped when d has it);
 *   - a generic node's `docker save` archive (labo_node_image_archive):
 *     opened as root with O_NOFOLLOW on its last component, refused unless
 *     a regular file (docs/security.md), loaded with POST /images/load and
 *     tagged labo/archive:KEY, KEY a hash of the file's identity (device,
 *     inode, size, modification time): loaded once per daemon while the
 *     file is unchanged; *ref is that tag.
 * Errors say the node, the file and what failed. */
int labo_node_image_prepare (const struct labo_lab *lab, const struct labo_node *node,
                             struct labo_docker *d, char **ref, labo_error_t *err);

/* The reference up gives node's image, without a daemon (export): a
 * recipe's labo/NAME:KEY (labo_image_resolve: the key, no build), or an
 * archive's labo/archive:KEY (the file opened and stat'ed as
 * labo_node_image_prepare does). Caller frees *ref. */
int labo_node_image_ref (const struct labo_lab *lab, const struct labo_node *node, char **ref,
                         labo_error_t *err);

/* The path of a generic node's `docker save` archive: its `image` as
 * written when absolute, else relative to the lab file's directory; NULL
 * when the node has no archive (another kind, or a recipe's name). Pure;
 * caller frees. */
char *labo_node_image_archive (const struct labo_lab *lab, const struct labo_node *node);

#endif
