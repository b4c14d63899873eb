/* The Engine API inside the supervisor's event loop: libcurl's multi
 * interface with its sockets and its one timer handed to the loop, so that
 * calls to every daemon and each daemon's /events stream progress together,
 * with no thread and no blocking call.
 *
 * Contract:
 *   - `done` is called exactly once per call (unless the call is cancelled
 *     first, or the multi freed), from the loop, never from inside libcurl;
 *     it may start and cancel other calls;
 *   - status is the HTTP status, 0 when no reply came (then `error` says
 *     why, in the words of docker.h: "HOST: OP: what happened (socket P)");
 *     a non-2xx status has error NULL: the caller judges it, with
 *     labo_docker_error_message() on the body for Docker's own words;
 *   - a stream delivers each line (a JSON object of /events) as it comes,
 *     `opened` once the daemon has answered 200 (from then on no event is
 *     missed), and `done` when the connection ends (a daemon that died). */
#ifndef LABO_DOCKER_ASYNC_H
#define LABO_DOCKER_ASYNC_H

#include <jansson.h>
#include <stddef.h>

#include "labo/util/error.h"
#include "labo/util/loop.h"

struct labo_dmulti;
struct labo_dcall;

typedef void (*labo_dcall_done) (void *data, long status, const char *body, size_t len,
                                 const char *error);
typedef void (*labo_dcall_line) (void *data, const char *line, size_t len);
typedef void (*labo_dcall_opened) (void *data);

int labo_dmulti_new (struct labo_loop *loop, struct labo_dmulti **m, labo_error_t *err);
/* Cancels every call still running (no callback), then frees. */
void labo_dmulti_free (struct labo_dmulti *m);

/* One request to the daemon at `socket`: `host` and `op` are for messages,
 * body (may be NULL) is sent as JSON. Never fails (memory aborts); the
 * handle is valid until done is called or the call cancelled. */
struct labo_dcall *labo_dcall (struct labo_dmulti *m, const char *socket, const char *host,
                               const char *op, const char *method, const char *path,
                               json_t *body, long timeout_ms, labo_dcall_done done, void *data);
/* A GET whose reply is a stream of lines. */
struct labo_dcall *labo_dstream (struct labo_dmulti *m, const char *socket, const char *host,
                                 const char *op, const char *path, labo_dcall_line line,
                                 labo_dcall_opened opened, labo_dcall_done done, void *data);
/* Ends the call at once; none of its callbacks runs afterwards. */
void labo_dcall_cancel (struct labo_dmulti *m, struct labo_dcall *c);

/* Calls running now (for tests and leak checks). */
size_t labo_dmulti_running (const struct labo_dmulti *m);

#endif
