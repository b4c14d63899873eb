/* `labo capture` and the scenario's `capture:` step: where a host's
 * capture listens, and a capture running in a thread of its own until it
 * is stopped (net/capture.h does the capturing).
 *
 * A host's capture listens on the host's end of its link to SEGMENT (a
 * segment, or the peer host of a host-to-host link), inside the host's
 * network namespace: what the host sends and receives there, as its own
 * tcpdump would see it. `any` listens on every interface of the host
 * (Linux cooked headers). */
#ifndef LABO_ENGINE_CAPTURE_H
#define LABO_ENGINE_CAPTURE_H

#include <net/if.h>
#include <stdbool.h>

#include "labo/util/error.h"
#include "labo/model/lab.h"
#include "labo/net/capture.h"

struct labo_capture_where
{
  char *netns;            /* labo.<lab>.<host> */
  char ifname[IFNAMSIZ];  /* the host's end of the link, or "any" */
  char *what;             /* "h1@wan", "h1@any" */
};

/* The host's interface toward segment: NULL names the host's only link
 * (with several, an error lists them, EINVAL); "any" every interface. -1
 * with ENOENT for a host or link that does not exist. */
int labo_capture_where (const struct labo_lab *lab, const char *host, const char *segment,
                        struct labo_capture_where *w, labo_error_t *err);
void labo_capture_where_release (struct labo_capture_where *w);

/* Does word name where a host's capture can listen (a segment or peer of
 * one of its links, or "any")? The command line's SEGMENT is the word
 * after HOST when it does, else the filter starts there. */
bool labo_capture_is_segment (const struct labo_lab *lab, const char *host, const char *word);

/* A capture running in a thread of its own, into a file. */
struct labo_capture_job;

/* Opens the capture (filter errors: EINVAL), then the file at path
 * (labo_fs_open_output's rules), and starts the thread, which runs
 * until duration_ms (0: until stopped). */
struct labo_capture_job *labo_capture_start (const struct labo_lab *lab, const char *host,
                                             const char *segment, const char *filter,
                                             const char *path, long long duration_ms,
                                             labo_error_t *err);
/* Stops the capture (if it still runs), waits for its thread, closes the
 * file and frees the job. Returns how it ended (enum labo_capture_end) and
 * its counts, or -1 with the capture's error. */
int labo_capture_finish (struct labo_capture_job *j, struct labo_capture_stats *st,
                         labo_error_t *err);
/* "h1@wan" of a job. */
const char *labo_capture_job_what (const struct labo_capture_job *j);

#endif
