/* The supervisor's control socket, and finding, reaching and stopping a
 * lab's supervisor from the CLI.
 *
 * The socket is $LABO_RUN_DIR/<lab>/control.sock: a unix stream socket,
 * mode 0600 in the lab's 0700 directory, and the server checks the peer's
 * credentials (SO_PEERCRED: uid 0 only), so only root reaches it. One JSON
 * object per line in each direction:
 *   {"cmd":"status"}                  -> the supervisor's view (docs/status.md)
 *   {"cmd":"events","backlog":N}      -> the last N events, then each new one
 *                                        as it happens, until the client leaves
 *   {"cmd":"restart","name":"X"}      -> clears X's give-up and starts it now
 *   {"cmd":"pause","name":"X","paused":B} -> holds (or lifts) X's probes: it is
 *                                        frozen by `labo pause` (engine/pause.h)
 *   {"cmd":"leakcheck"}               -> {"leaks": true|false|null} (LeakSanitizer,
 *                                        null in a build without it)
 *   {"cmd":"stop"}                    -> the supervisor exits (the lab stays up)
 * Replies are {"ok": true, ...} or {"ok": false, "error": "..."}.
 *
 * Liveness: the supervisor holds an exclusive flock on
 * $LABO_RUN_DIR/<lab>/supervisor.pid (which holds its pid) for as long as
 * it lives; the kernel drops it when the process dies, kill -9 included. */
#ifndef LABO_CONTROL_H
#define LABO_CONTROL_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "labo/util/error.h"

#define LABO_CONTROL_SOCKET "control.sock"
#define LABO_SUPERVISOR_PIDFILE "supervisor.pid"
#define LABO_SUPERVISOR_LOG "supervisor.log"
#define LABO_SUPERVISOR_RECORD "supervisor.json"
/* Every event, one JSON object a line ({"t": wall seconds, "time", "kind",
 * "subject", "message", and the kind's fields}), in the lab's run dir. */
#define LABO_EVENTS_FILE "events.jsonl"

/* $LABO_RUN_DIR/<lab>/<file>. Caller frees. */
char *labo_control_path (const char *lab, const char *file);

/* The supervisor's pid if it is alive, 0 if it is not (never started, or
 * died: then *died tells, when not NULL, whether it had been started). */
pid_t labo_supervisor_alive (const char *lab, bool *died);

/* Stops the lab's supervisor (SIGTERM, SIGKILL after timeout_s) and waits
 * until it is gone. Returns 1 if one was stopped, 0 if none ran, -1. */
int labo_supervisor_stop (const char *lab, double timeout_s, labo_error_t *err);

/* Forgets the supervisor's record (supervisor.json: restart tallies,
 * give-ups), so that the next supervisor starts afresh (`labo reset`). */
void labo_supervisor_forget (const char *lab);

/* How long a caller waits for the supervisor's reply: a request it
 * answers from its loop at once (restart, a note; a status takes a probe
 * round at most); power and kill, which end processes and wait for them. */
#define LABO_CONTROL_QUICK_MS 5000
/* A note (a fault, a chaos step) for the events: the fault is done already,
 * and a supervisor this slow to answer only loses the line. */
#define LABO_CONTROL_NOTE_MS 2000
#define LABO_CONTROL_POWER_MS 30000

/* One request and its reply, within timeout_ms. */
int labo_control_call (const char *lab, json_t *req, int timeout_ms, json_t **reply,
                       labo_error_t *err);

/* A request whose reply is a stream of objects: cb gets each (borrowed),
 * until it returns non-zero or the supervisor goes away (returns 0 then:
 * a stream's normal end). */
int labo_control_stream (const char *lab, json_t *req, int (*cb) (json_t *obj, void *data),
                         void *data, labo_error_t *err);

/* Connects to the lab's control socket and sends req: the descriptor
 * (close-on-exec, blocking) to read the reply's lines from, for a caller
 * with a loop of its own (`labo web` follows many labs' events at once). */
int labo_control_open (const char *lab, json_t *req, labo_error_t *err);

/* Tells the lab's supervisor, for its events, of something done to the lab
 * that it did not do itself: a fault (kind "fault": partition, heal, link),
 * a chaos step ("chaos"), a reset begun ("reset"). fields (stolen, may be NULL) are added to the
 * event, e.g. {"verb": "partition", "args": [...]}. Best effort and quick;
 * nothing when no supervisor runs (a lab without one has no events). */
void labo_control_note (const char *lab, const char *kind, const char *subject, json_t *fields,
                        const char *fmt, ...) __attribute__ ((format (printf, 5, 6)));

#endif
