/* Entering an emulated host to run a process in it, as if on its own
 * machine: the host's network namespace, plus a private mount namespace
 * with a sysfs that shows the host's own interfaces (cgroup mounts kept,
 * which `ip netns exec` loses), the lab's /etc/hosts, and a UTS namespace
 * carrying the host's name. */
#ifndef LABO_HOST_H
#define LABO_HOST_H

#include <stdbool.h>
#include <sys/types.h>

#include "labo/util/error.h"
#include "labo/model/lab.h"

/* Moves the calling (single-threaded) process into host `host` of lab
 * `lab`. When run_dir is not NULL it is bound over /run (a Docker host's
 * private /run, where the CLI finds /run/docker.sock). On failure the
 * process may be half-entered: callers exit. */
int labo_host_enter (const char *lab, const char *host, const char *run_dir, labo_error_t *err);

/* Enters the host and execs argv (PATH searched). Returns only on failure;
 * *exit_code is then 126 (cannot execute), 127 (not found) or 1. */
int labo_host_exec (const char *lab, const char *host, const char *run_dir, char *const argv[],
                    int *exit_code, labo_error_t *err);

/* Runs argv in all the namespaces of process `pid` (a container's init:
 * its network, mount, UTS, IPC and PID namespaces), from a child, waits for
 * it, and returns its exit status (128+signal when killed; 125 when the
 * namespaces could not be entered, the reason on stderr), or -1. */
int labo_pid_exec (pid_t pid, const char *what, char *const argv[], labo_error_t *err);

/* labo_pid_exec for a program that reports: argv runs in all the
 * namespaces of process `pid` (a container's init, a node's process), with
 * stdin_text on its standard input (NULL: nothing), its stdout and stderr
 * captured together into *out (NUL-terminated; the first max_out bytes
 * kept, the rest read and dropped, so the command never blocks on a full
 * pipe), and HOME=/root, USER=root, LOGNAME=root and labo_pid_exec's PATH as
 * its whole environment (argv[0] is searched in that PATH, inside the
 * namespaces). The command and every process it starts in its process
 * group are killed after timeout_ms; the status is then 124, as
 * timeout(1)'s. Returns the exit status (128+signal when killed; 125 when
 * the namespaces could not be entered, the reason in *out), or -1 with err
 * (and *out NULL). Safe to call from several threads at once: the child
 * keeps no descriptor but its three, so no thread's pipe outlives its
 * command. */
int labo_pid_run (pid_t pid, const char *what, char *const argv[], const char *stdin_text,
                  int timeout_ms, size_t max_out, char **out, labo_error_t *err);

/* Brings host h's interfaces (its links, the process runtime's overlay
 * interface) down or up, from inside its namespace: a powered-off host's
 * peers see no carrier. */
int labo_host_links_set (const struct labo_lab *lab, size_t h, bool up, labo_error_t *err);

#endif
