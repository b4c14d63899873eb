/* Small helpers used by every layer (and using none): cleanup attributes in
 * the manner of crun/systemd, checked allocation, monotonic time. */
#ifndef LABO_UTIL_H
#define LABO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Seconds on the monotonic clock. */
double labo_now (void);

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

/* Reads a whole file; returns NULL and sets errno on failure. */
char *labo_read_file (const char *path, size_t *len);
/* mkdir -p. Returns 0 or -1/errno. */
int labo_mkdir_p (const char *path, int mode);
/* rm -rf, depth first, never following a link nor crossing into a mount.
 * Returns 0 if path is gone afterwards, else -1. */
int labo_rm_rf (const char *path);

/* Writes a whole file atomically (tmp + rename). Returns 0 or -1/errno. */
int labo_write_file (const char *path, const char *data, size_t len, int mode);

#endif
