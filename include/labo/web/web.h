/* `labo web`: a read-only web view of every lab on the machine, live, for a
 * trainer's projector, served by libmicrohttpd from this process.
 *
 * Contract:
 *   - it serves its own files, embedded in the binary at build time
 *     (src/web/assets/), and its API; no path of a URL ever reaches the
 *     file system;
 *   - it learns of changes as they happen (each lab's supervisor events
 *     through its control socket, inotify on the run dir) and pushes them
 *     to browsers as server-sent events; a slow timer covers the rest;
 *   - bound to loopback unless told otherwise, and then it refuses Host
 *     names other than loopback's (DNS rebinding);
 *   - actions (kill, partition, heal, reset) only with allow_actions, each
 *     a POST carrying the token printed at start in X-Labo-Token, run as
 *     labo's own verbs (/proc/self/exe, argv from names of the lab's model);
 *   - SIGINT or SIGTERM stop it cleanly (every stream ended, every thread
 *     joined, everything freed). docs/web.md says what it shows and why it
 *     is safe. */
#ifndef LABO_WEB_H
#define LABO_WEB_H

#include <netinet/in.h>
#include <stdbool.h>

#include "labo/util/error.h"

#define LABO_WEB_DEFAULT_PORT 7474

struct labo_web_opts
{
  struct sockaddr_in addr; /* where to listen (labo_web_parse_listen) */
  bool allow_actions;
};

/* "ADDR:PORT", "ADDR" or ":PORT" (ADDR an IPv4 address or "localhost";
 * the default 127.0.0.1:LABO_WEB_DEFAULT_PORT for what is left out) into
 * *out. -1 with err saying what is wrong. Pure. */
int labo_web_parse_listen (const char *s, struct sockaddr_in *out, labo_error_t *err);

/* Whether the address is loopback's (127.0.0.0/8). */
bool labo_web_is_loopback (const struct sockaddr_in *a);

/* Serves until SIGINT or SIGTERM (which the caller must not have
 * blocked for other use: they are blocked here, in every thread).
 * Returns 0 after a clean stop, -1 with err (the address in use, ...). */
int labo_web_run (const struct labo_web_opts *opts, labo_error_t *err);

#endif
