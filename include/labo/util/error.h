/* One error convention for all of labo (after crun's): a function that can
 * fail takes `labo_error_t *err` last and returns a negative value on failure,
 * after filling *err with the errno (0 when none applies) and a message.
 * Callers add context with labo_error_wrap() on the way up, so the user reads
 * "creating veth eth0 in mida-clm1: File exists" rather than a bare errno. */
#ifndef LABO_ERROR_H
#define LABO_ERROR_H

#include <errno.h>
#include <stdarg.h>

typedef struct labo_error_s {
  int status; /* errno of the failure, or 0 */
  char *msg;  /* full message, errno text appended when status != 0 */
} *labo_error_t;

/* Sets *err (which must be NULL) and returns -1. The errno text is appended
 * as ": <strerror(status)>" when status is non-zero. */
int labo_error_make (labo_error_t *err, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* The same, its status without strerror's text: a message that says the
 * reason better itself ("x is a symbolic link: ..."). Takes msg (NULL:
 * out of memory). */
int labo_error_refuse (labo_error_t *err, int status, char *msg);
/* Same, from errno. */
#define labo_error_errno(err, ...) labo_error_make ((err), errno, __VA_ARGS__)

/* Prepends "<context>: " to an existing error and returns -1. */
int labo_error_wrap (labo_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Adds text after the message (what follows from the failure: where its
 * logs are kept, what the node said). Returns -1. */
int labo_error_append (labo_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Prints "labo: <msg>" on stderr. Does not release. */
void labo_error_print (labo_error_t err);
/* Frees and sets *err to NULL; safe on NULL. */
void labo_error_release (labo_error_t *err);

#define cleanup_error __attribute__ ((cleanup (labo_error_release)))

#endif
