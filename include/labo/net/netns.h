/* Named network namespaces, made the way iproute2 makes them (a bind mount
 * of the namespace at /run/netns/NAME, on a shared mount so that every mount
 * namespace sees it appear and disappear), so `ip netns list` and
 * `ip netns exec` work on labo's hosts too. */
#ifndef LABO_NETNS_H
#define LABO_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "labo/util/error.h"

#define LABO_NETNS_DIR "/run/netns"

/* Makes /run/netns exist and be a shared mount point. Idempotent. */
int labo_netns_prepare (labo_error_t *err);

/* Creates a new network namespace, names it, and LEAVES THE CALLING THREAD
 * IN IT (so the caller can open sockets there without another setns). Fails
 * with EEXIST if the name is taken; nothing is left behind on failure. */
int labo_netns_create_and_enter (const char *name, labo_error_t *err);

/* Removes the name (unmount + unlink). The kernel frees the namespace, and
 * every interface in it, once no process or open descriptor holds it.
 * Absent names are not an error. */
int labo_netns_delete (const char *name, labo_error_t *err);

/* Opens /run/netns/NAME (O_RDONLY|O_CLOEXEC). */
int labo_netns_open (const char *name, labo_error_t *err);
bool labo_netns_exists (const char *name);
/* Moves the calling thread into the named namespace / the one of fd. */
int labo_netns_enter (const char *name, labo_error_t *err);
int labo_netns_enter_fd (int fd, const char *what, labo_error_t *err);

/* A socket of the network namespace netns_fd (-1: the current one):
 * sockets stay in the namespace they were made in, so the calling thread
 * steps in for socket() alone and back (it aborts if it cannot come back:
 * everything after would act in the wrong place). `what` names the
 * namespace in messages. */
int labo_netns_socket (int netns_fd, const char *what, int domain, int type, int protocol,
                       labo_error_t *err);

/* /proc/net/NAME (snmp, netstat: a plain name) as the namespace netns_fd
 * sees it: the file stays that namespace's for as long as it is open. */
int labo_netns_open_net_file (int netns_fd, const char *what, const char *name,
                              labo_error_t *err);

/* Names in /run/netns that are exactly `exact` or start with `prefix`,
 * sorted. Caller frees each and the array. */
int labo_netns_list (const char *exact, const char *prefix, char ***names, size_t *n,
                     labo_error_t *err);

/* SIGKILLs every process whose network namespace is one of `names` and
 * waits until each has exited. Returns the number killed, or -1. */
int labo_netns_kill_all (char *const *names, size_t n, labo_error_t *err);

#endif
