/* The error convention: see include/labo/error.h. */
#include "labo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
vformat (const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf (&s, fmt, ap) < 0)
    return NULL;
  return s;
}

int
labo_error_make (labo_error_t *err, int status, const char *fmt, ...)
{
  va_list ap;
  char *text;
  labo_error_t e;

  if (err == NULL)
    return -1;
  va_start (ap, fmt);
  text = vformat (fmt, ap);
  va_end (ap);

  e = calloc (1, sizeof (*e));
  if (e == NULL)
    {
      free (text);
      return -1;
    }
  e->status = status;
  if (status != 0 && text != NULL)
    {
      if (asprintf (&e->msg, "%s: %s", text, strerror (status)) < 0)
        e->msg = NULL;
      free (text);
    }
  else
    e->msg = text;
  if (*err != NULL) /* never lose the first failure: keep it, drop the new one */
    {
      free (e->msg);
      free (e);
      return -1;
    }
  *err = e;
  return -1;
}

int
labo_error_wrap (labo_error_t *err, const char *fmt, ...)
{
  va_list ap;
  char *ctx, *joined = NULL;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  ctx = vformat (fmt, ap);
  va_end (ap);
  if (ctx == NULL)
    return -1;
  if (asprintf (&joined, "%s: %s", ctx, (*err)->msg ? (*err)->msg : "unknown error") >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = joined;
    }
  free (ctx);
  return -1;
}

int
labo_error_append (labo_error_t *err, const char *fmt, ...)
{
  va_list ap;
  char *more, *joined = NULL;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  more = vformat (fmt, ap);
  va_end (ap);
  if (more == NULL)
    return -1;
  if (asprintf (&joined, "%s%s", (*err)->msg ? (*err)->msg : "unknown error", more) >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = joined;
    }
  free (more);
  return -1;
}

void
labo_error_print (labo_error_t err)
{
  if (err == NULL)
    return;
  fprintf (stderr, "labo: %s\n", err->msg ? err->msg : "out of memory");
}

void
labo_error_release (labo_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}
