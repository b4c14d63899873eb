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
   * the container or the host: labo_node_reach maps it to a published
   * one). 0: nothing to ask (healthy while it runs). */
  uint16_t (*port) (const struct labo_node *node);
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
 * from where labo_node_reach says, pid the container's init if known (0:
 * asked of the daemon when needed), each request bounded by timeout_ms.
 * Returns 0 if the node's service answered (out->alive), else -1. */
int labo_kind_probe (const struct labo_lab *lab, const struct labo_node *node, pid_t pid,
                     int timeout_ms, struct labo_probe_result *out);

#endif
