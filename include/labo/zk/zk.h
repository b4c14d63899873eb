/* ZooKeeper: configuration generated from the lab, and the four-letter-word
 * probes (ruok, srvr, mntr) that tell who leads.
 *
 * The probes are plain TCP to a node's published client port on its host's
 * lab address, made from inside the host's network namespace (the socket is
 * opened there, so no route from the machine is needed). Parsing is pure
 * and unit-tested (tests/unit/test_zk.c). */
#ifndef LABO_ZK_H
#define LABO_ZK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct json_t json_t;

#include "labo/util/error.h"
#include "labo/model/ensemble.h"
#include "labo/model/lab.h"

/* The quorum and election ports of every server (its zoo.cfg's
 * server.N=NAME:2888:3888 lines); only the client port is a per-node
 * setting of the lab. */
#define LABO_ZK_QUORUM_PORT 2888
#define LABO_ZK_ELECTION_PORT 3888



struct labo_zk_srvr
{
  enum labo_mode mode;
  uint64_t zxid;
  long node_count;
  long outstanding;
  char version[64];
};

/* Parses a `srvr` reply. Returns 0, or -1 if it is not one. */
int labo_zk_parse_srvr (const char *text, struct labo_zk_srvr *out);
/* Value of key in a `mntr` reply ("zk_server_state" -> "leader"); NULL if
 * absent. Caller frees. */
char *labo_zk_mntr_get (const char *text, const char *key);

/* What labo adds to ZooKeeper's JVM, in both runtimes:
 *  - leader election retries a peer it cannot reach yet with a doubling
 *    interval capped at 60 s by default: servers started together, whose
 *    peers' names and ports appear a second apart, would sit out several
 *    seconds; a 500 ms cap costs a few packets and elects at once;
 *  - ZooKeeper logs every four-letter word at INFO: the supervisor's
 *    probes (three words a node every probe interval) would be most of a
 *    node's log, 130,000 lines a day; its connection class logs at WARN.
 * (How long Java keeps a name's address is the image's: its JRE's
 * java.security, images/zookeeper/build-rootfs.sh.) */
#define LABO_ZK_JVM_FLAGS                                                                      \
  "-Dzookeeper.fastleader.maxNotificationInterval=500 "                                        \
  "-Dorg.slf4j.simpleLogger.log.org.apache.zookeeper.server.NIOServerCnxn=warn"

/* The environment of a node's container for the image's entrypoint (the
 * official image's variables): ZOO_MY_ID, ZOO_SERVERS ("server.N=name:2888:3888;2181"
 * for every zookeeper node of the lab, space-separated), ZOO_4LW_COMMANDS_WHITELIST.
 * NULL-terminated; free with labo_zk_env_free. */
char **labo_zk_env (const struct labo_lab *lab, const struct labo_node *node);
void labo_zk_env_free (char **env);

/* The zoo.cfg of a node of the process runtime, where ZooKeeper runs as a
 * process of its host: every server line by name (the lab's hosts file
 * maps node names to their overlay addresses), the client port bound to
 * the node's own address so that two nodes on one host do not collide,
 * dataDir as given. Pure; caller frees. */
char *labo_zk_config (const struct labo_lab *lab, const struct labo_node *node,
                      const char *data_dir);

/* Sends a four-letter word to addr:port from inside network namespace
 * `netns_fd` (-1: the current one) and reads the reply to EOF, within
 * timeout_ms. *reply is NUL-terminated; caller frees. An empty word is a
 * connect-only request: once the connection opens, *reply is "" and the
 * connection is closed, nothing sent or read. */
int labo_zk_4lw (int netns_fd, uint32_t addr, uint16_t port, const char *word, int timeout_ms,
                 char **reply, labo_error_t *err);

/* ---- the same probes inside an event loop (the supervisor's) ---- */

struct labo_loop;
struct labo_zk_probe;

/* Called once: reply (NUL-terminated) or error ("probing A:P (word):
 * Connection refused"), never both. */
typedef void (*labo_zk_probe_done) (void *data, const char *reply, const char *error);

/* Starts sending `word` to addr:port from a socket made in netns_fd (-1:
 * the current namespace), reading the reply to EOF within timeout_ms, all
 * of it driven by `loop`; done runs from the loop, never from here. An
 * empty word connects only: done gets "" as soon as the connection opens.
 * NULL with err set when not even the socket could be made. */
struct labo_zk_probe *labo_zk_probe_start (struct labo_loop *loop, int netns_fd, uint32_t addr,
                                           uint16_t port, const char *word, int timeout_ms,
                                           labo_zk_probe_done done, void *data,
                                           labo_error_t *err);
/* Stops it; done is not called. */
void labo_zk_probe_cancel (struct labo_loop *loop, struct labo_zk_probe *p);

/* Where a Docker node has its data directory (Debian's dataDir, where the
 * tutorial writes myid), and its configuration. */
#define LABO_NODE_DATA_DIR "/var/lib/zookeeper"
#define LABO_NODE_ZOO_CFG "/etc/zookeeper/conf/zoo.cfg"
/* Root's password in a Docker node (images/zookeeper sets it): the
 * tutorial's `ssh-copy-id` asks for it. sshd answers on the overlay only. */
#define LABO_NODE_ROOT_PASSWORD "labo"

/* The container spec of a node (labo_docker_container_body, the
 * ZooKeeper environment, its data directory bound over
 * LABO_NODE_DATA_DIR, made if missing; root with sshd's capabilities,
 * ZooKeeper run as the zookeeper user by the entrypoint; a by-hand node's
 * service left to the attendee); the supervisor recreates a removed node
 * with it. */
json_t *labo_node_container_spec (const struct labo_lab *lab, const struct labo_node *node,
                                  const char *image, labo_error_t *err);
/* What every node of labo's image (images/zookeeper: ZooKeeper's, shell's)
 * has in its spec: labo_docker_container_body with env (NULL-terminated,
 * may be NULL) and LABO_START=start and LABO_SSH_LISTEN=<its overlay
 * address> after it; root with sshd's capabilities only (CapDrop ALL, a
 * few added back) and no-new-privileges; HostConfig.Binds holding root's
 * SSH keys read only when `keys` (a made-at-once node), else empty: the
 * caller adds its own. */
json_t *labo_node_sshd_spec (const struct labo_lab *lab, const struct labo_node *node,
                             const char *image, const char *const *env, const char *start,
                             bool keys);
/* The network namespace to connect from (a descriptor), for r: the host's,
 * or that of the container whose init is pid. */
int labo_node_reach_netns (const struct labo_lab *lab, const struct labo_node *node,
                           const struct labo_node_reach *r, pid_t pid, labo_error_t *err);
/* The pid of a node's container init (asked of its daemon), or 0. */
pid_t labo_node_pid (const struct labo_lab *lab, const struct labo_node *node);

#endif
