/* Between the parts of `labo web` (include/labo/web/web.h): the labs'
 * live state (labs.c: what is known of each lab, kept up to date by the
 * main thread's loop and two workers), the HTTP side (server.c: routes,
 * the streams, the headers) and the actions (actions.c). Not part of the
 * library's interface.
 *
 * Threads: the main thread runs the loop (signals, inotify, the
 * supervisors' event streams, the timers) and marks labs to refresh; the
 * refresher recomputes a lab's status and picture; the verifier runs
 * `verify` on one lab at a time, in the background; libmicrohttpd runs a
 * thread a connection. One mutex (web->mu) guards everything below it in
 * struct web; `changed` is broadcast whenever a snapshot or an event is
 * published, and the streams wait on it. */
#ifndef LABO_WEB_INTERNAL_H
#define LABO_WEB_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labo/model/lab.h"
#include "labo/util/loop.h"
#include "labo/web/web.h"

/* The supervisor's events kept a lab (what a page shows at first). */
#define WEB_EVENTS_KEPT 100

struct web_event
{
  uint64_t seq;
  char *json; /* the supervisor's event, as one line of JSON */
};

struct web;

struct web_lab
{
  struct web *web;
  char *name;
  bool gone;            /* its directory went: streams say so and end */
  /* published (under mu) */
  json_t *summary;      /* the index's row (labs.c, lab_summary), or NULL */
  json_t *page;         /* the lab page's snapshot, its SVG in it, or NULL */
  uint64_t version;     /* bumped at each new snapshot */
  struct web_event events[WEB_EVENTS_KEPT]; /* a ring, by seq */
  uint64_t ev_seq;      /* the last event's seq (0: none yet) */
  int watchers;         /* lab pages open on it: refreshed more often */
  json_t *verify;       /* the last verify report, or NULL */
  double verified_at;   /* labo_now() of it; 0: never */
  /* the refresher's (under mu) */
  bool dirty;           /* status and picture to recompute */
  bool check_dirty;     /* the check's live counters to read again */
  double refreshed_at;
  /* the loop's own (main thread only) */
  int ctl_fd;           /* the supervisor's event stream, or -1 */
  char *ctl_buf;        /* a line being read */
  size_t ctl_len;
  double ctl_retry_at;  /* when to connect again */
  int wd;               /* inotify watch of its directory, or -1 */
  double burst_until;   /* refresh again soon after an event, until then */
};

struct web
{
  struct labo_web_opts opts;
  char token[33];       /* hex; "" without actions */
  char origin[64];      /* "127.0.0.1:7474": the Host we serve as */
  struct labo_loop *loop;

  pthread_mutex_t mu;
  pthread_cond_t changed;   /* a snapshot, an event, a lab came or went; quit */
  pthread_cond_t work;      /* something for the refresher or the verifier */
  bool quit;
  uint64_t version;         /* bumped with any lab's, and when labs come or go */
  struct web_lab **labs;    /* sorted by name */
  size_t n_labs;
  int streams;              /* open event streams (bounded) */

  pthread_t refresher, verifier;
  bool refresher_started, verifier_started;
  int inotify_fd;
  int run_wd;
  struct labo_timer tick;   /* the slow fallback */
};

/* ---- labs.c ---- */

/* Starts following the run dir and the labs in it, and the workers. */
int web_labs_start (struct web *w, labo_error_t *err);
/* Tells the workers and the streams to end (streams then see quit). */
void web_labs_quit (struct web *w);
/* Stops the workers and frees every lab (after the HTTP side stopped). */
void web_labs_stop (struct web *w);
/* The lab of that name (under mu), or NULL. */
struct web_lab *web_lab_find (struct web *w, const char *name);
/* A lab page opened or closed on lab (under mu). */
void web_lab_watch (struct web *w, struct web_lab *lab, int delta);
/* The index's rows as a JSON array (under mu): a new reference. */
json_t *web_labs_index (struct web *w);
/* A lab page's snapshot with its verify (under mu): a new reference. */
json_t *web_lab_page (struct web_lab *lab);

/* The lab's last check plot (LABO_CHECK_PLOT_FILE in its run dir), whole:
 * the file itself, not a link (O_NOFOLLOW, the lab's directory too), a
 * regular file of at most max bytes. 0 with *data (caller frees) and
 * *len; -1 with errno: ENOENT (none yet), ELOOP (the file is a link),
 * ENOTDIR (the lab's directory is a link, or no directory), EFBIG (larger
 * than max), EINVAL (not a regular file, or not a lab's name). */
int web_check_plot_read (const char *lab, size_t max, char **data, size_t *len);

/* The root segment's subnet a lab is reached on, from its model: the one
 * place that says which (copies of a lab get a root subnet of their own
 * later: this is what changes then). Caller frees; NULL if none. */
char *web_lab_root_subnet (const struct labo_lab *lab);

/* ---- actions.c ---- */

/* Runs an action on lab: verb is "kill", "partition", "heal" or "reset";
 * args (the request's) are checked against the lab's model. Returns the
 * HTTP status, and a JSON text in *body: {"ok": bool, "output": "..."}. */
int web_action (struct web *w, const char *lab, const char *verb, const char *a,
                const char *b, char **body);
/* The token, compared in constant time. */
bool web_token_ok (const struct web *w, const char *given);

/* ---- assets (embed.S) ---- */

struct web_asset
{
  const char *path, *type;
  const unsigned char *data;
  size_t len;
};
/* The embedded file served at path into *out; false if none. */
bool web_asset_find (const char *path, struct web_asset *out);

#endif
