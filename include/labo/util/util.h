/* Small helpers used by every layer (and using none): cleanup attributes in
 * the manner of crun/systemd, checked allocation, monotonic time. */
#ifndef LABO_UTIL_H
#define LABO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

void labo_freep (void *p);   /* free(*(void **)p) */
void labo_closep (int *fd);  /* close(*fd) if >= 0, keeps errno */
void labo_fclosep (FILE **f);

#define cleanup_free __attribute__ ((cleanup (labo_freep)))
#define cleanup_close __attribute__ ((cleanup (labo_closep)))
#define cleanup_file __attribute__ ((cleanup (labo_fclosep)))

/* Ownership transfer out of a cleanup variable: `return steal_fd (&fd);`. */
static inline int
steal_fd (int *fd)
{
  int r = *fd;
  *fd = -1;
  return r;
}
static inline void *
steal_ptr (void *pp)
{
  void **p = pp;
  void *r = *p;
  *p = NULL;
  return r;
}

/* What a layer below the CLI tells the user on stderr, beyond the errors
 * it returns (labo_error_t): a rollback that did not finish, a socket the
 * event loop cannot watch, why it is about to abort. Prints "labo: " and
 * the text and a newline, in one write (whole amid other processes'
 * lines on the same stderr). The one way they speak: a caller that wants
 * these elsewhere (a log, JSON) changes this function, not each site. */
void labo_say (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Allocation failures abort: labo cannot do anything useful without memory,
 * and pretending otherwise multiplies untested paths. */
void *xmalloc (size_t n);
void *xcalloc (size_t n, size_t size);
void *xrealloc (void *p, size_t n);
char *xstrdup (const char *s);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Grow *arr (holding *n elements of elem_size) by one zeroed element and
 * return a pointer to it. */
void *labo_array_push (void *arr_p, size_t *n, size_t elem_size);

/* In a freshly forked child, before exec: every signal unblocked and
 * SIGPIPE back to its default. A mask and ignored signals survive exec,
 * and the supervisor blocks the signals its loop reads: without this, a
 * dockerd it restarts would never see SIGTERM. */
void labo_child_reset_signals (void);

/* Seconds on the monotonic clock. */
double labo_now (void);
/* Seconds on the wall clock (CLOCK_REALTIME). */
double labo_wall (void);
/* "2026-12-01T18:43:51.348Z" into buf (at least 32 bytes). Returns buf. */
char *labo_iso_time (double wall, char *buf);

/* Start of process pid in clock ticks since boot (field 22 of
 * /proc/PID/stat: with the pid, what tells a process from a later one
 * given the same number), or 0 if it is gone. */
unsigned long long labo_proc_start_ticks (pid_t pid);
/* The same on the wall clock (seconds), or 0. */
double labo_proc_start_wall (pid_t pid);

/* Durations as lab files write them: a decimal number and a unit, "250ms",
 * "1s", "1.5s", "2m", "1h" (a bare "0" too). Returns 0 and the value in
 * milliseconds (rounded down to a whole one), or -1 (no unit, an unknown
 * unit, not a number, or more than a day). Pure. */
int labo_duration_parse (const char *s, size_t len, long long *ms);
/* "250ms", "1s", "1.5s", "2m": the shortest exact form, into buf (>= 24
 * bytes). Returns buf. */
char *labo_duration_format (long long ms, char *buf);

/* Levenshtein distance, for "did you mean" suggestions. */
size_t labo_edit_distance (const char *a, const char *b);
/* The same when it is at most max, else max + 1; in time proportional to
 * max * (|a| + |b|), so that comparing long names costs little. Pure. */
size_t labo_edit_distance_max (const char *a, const char *b, size_t max);

/* Reads a whole file; returns NULL and sets errno on failure. */
char *labo_read_file (const char *path, size_t *len);
/* The same, but no more than max + 1 bytes: a caller that finds *len >
 * max knows the file is longer than max without having read it all (nor
 * forever, from /dev/zero). The text is NUL-terminated. */
char *labo_read_file_max (const char *path, size_t max, size_t *len);
/* "KILL", "SIGKILL", "9": the signal's number, or -1. */
int labo_signal_parse (const char *s);
/* mkdir -p. Returns 0 or -1/errno. */
int labo_mkdir_p (const char *path, int mode);

/* Writes a whole file atomically (tmp + rename). Returns 0 or -1/errno. */
int labo_write_file (const char *path, const char *data, size_t len, int mode);

#endif
