/* Entering an emulated host to run a process in it, as if on its own
 * machine: the host's network namespace, plus a private mount namespace
 * with a sysfs that shows the host's own interfaces (cgroup mounts kept,
 * which `ip netns exec` loses), the lab's /etc/hosts, and a UTS namespace
 * carrying the host's name. */
#ifndef LABO_HOST_H
#define LABO_HOST_H

#include "labo/error.h"

/* Moves the calling (single-threaded) process into host `host` of lab
 * `lab`. On failure the process may be half-entered: callers exit. */
int labo_host_enter (const char *lab, const char *host, labo_error_t *err);

/* Enters the host and execs argv (PATH searched). Returns only on failure;
 * *exit_code is then 126 (cannot execute), 127 (not found) or 1. */
int labo_host_exec (const char *lab, const char *host, char *const argv[], int *exit_code,
                    labo_error_t *err);

#endif
