/* One Docker daemon per lab host, started inside the host as if on its own
 * machine, and stopped so that nothing of it survives.
 *
 * Each daemon runs in the host's network and UTS namespaces and in a mount
 * namespace of its own where four machine paths are private per host: /run
 * (its socket, containerd, shims), /etc/docker (key.json), /var/lib/docker
 * (data-root; libnetwork also writes there whatever --data-root says) and
 * /opt/containerd. The daemon, its containerd, shims and every container
 * live in one cgroup per host, "labo.<lab>.<host>" in every hierarchy, so
 * one write to the unified hierarchy's cgroup.kill ends all of it, even the
 * container processes that sit in namespaces of their own.
 *
 * Paths: run dir   $LABO_RUN_DIR/<lab>/h<index>/   (socket: docker.sock;
 *                   kept short: a unix socket path fits 107 bytes)
 *        state dir $LABO_STATE_DIR (/var/lib/labo) /<lab>/<host>/{docker,etc,opt}
 *        log       <run dir>/dockerd.log */
#ifndef LABO_DAEMON_H
#define LABO_DAEMON_H

#include <stdbool.h>
#include <sys/types.h>

#include "labo/docker/docker.h"
#include "labo/util/error.h"
#include "labo/model/lab.h"

struct labo_daemon_paths
{
  char *run;    /* $LABO_RUN_DIR/<lab>/h<index> */
  char *socket; /* <run>/docker.sock */
  char *log;    /* <run>/dockerd.log */
  char *pidfile;/* <run>/docker.pid */
  char *state;  /* $LABO_STATE_DIR/<lab>/<host> */
  char *tls;    /* <run>/tls: the TLS API's CA and server key (the host's /run/tls) */
  char *cgroup; /* "labo.<lab>.<host>" */
};

void labo_daemon_paths (const char *lab, size_t index, const char *host,
                        struct labo_daemon_paths *p);
/* $LABO_RUN_DIR/<lab>/tls: the client's CA, certificate and key for the
 * TLS APIs (DOCKER_CERT_PATH). Caller frees. */
char *labo_daemon_tls_client_dir (const char *lab);
void labo_daemon_paths_free (struct labo_daemon_paths *p);

/* Opens an Engine API connection to host h's daemon (its socket). */
int labo_daemon_connect (const struct labo_lab *lab, size_t h, struct labo_docker *d,
                         labo_error_t *err);

/* Prepares the directories (and the machine's mount points, recorded so the
 * last lab's down removes them if labo made them), then forks a child that
 * enters the host and execs dockerd. Returns the daemon's pid. */
pid_t labo_daemon_start (const struct labo_lab *lab, size_t host, labo_error_t *err);
/* Deletes every port of the bridges a dockerd makes in host's network
 * namespace (docker0, docker_gwbridge), taking each veth's other end with
 * it. Only for a host whose dockerd is not running: its ports are then all
 * a dead run's, left to containers' namespaces that outlive it, and the
 * supervisor clears them before it starts the daemon again. Returns the
 * number deleted (0 without those bridges). */
int labo_daemon_clear_bridges (const struct labo_lab *lab, size_t host, labo_error_t *err);

/* Waits until the daemon answers GET /_ping, or dies, or timeout_s passes:
 * the socket's appearance is watched with inotify and the daemon with a
 * pidfd, so nothing sleeps. */
int labo_daemon_wait_ready (const struct labo_lab *lab, size_t host, pid_t pid,
                            double timeout_s, labo_error_t *err);

/* Kills everything in the host's cgroup (daemon, containerd, shims,
 * containers), waits until it is empty, and removes the cgroups: those
 * recorded at start (`up` may have run from another cgroup than `down`).
 * Idempotent; a host that never ran Docker is not an error. Returns the
 * number of processes killed, or -1. */
int labo_daemon_kill (const char *lab, const char *host, labo_error_t *err);

/* Removes the lab's daemon state (/var/lib/labo/<lab>; with keep_data,
 * all of it but the nodes' data in _data/) and, when no lab is left, the
 * machine mount points labo made. */
int labo_daemon_remove_state (const char *lab, bool keep_data, labo_error_t *err);

/* Is dockerd installed (on PATH)? */
bool labo_daemon_available (void);

#endif
