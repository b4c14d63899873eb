/* The error convention: see include/labo/util/error.h. */
#include "labo/util/error.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/util/util.h"

static char *
vformat (const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf (&s, fmt, ap) < 0)
    return NULL;
  return s;
}

int
labo_error_refuse (labo_error_t *err, int status, char *msg)
{
  labo_error_make (err, 0, "%s", msg ? msg : "out of memory");
  if (err && *err)
    (*err)->status = status;
  free (msg);
  return -1;
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

/* The message with text before it ("text: message") or after it. */
static int
edit_message (labo_error_t *err, bool after, const char *fmt, va_list ap)
{
  char *text, *joined = NULL;
  const char *msg;

  if (err == NULL || *err == NULL)
    return -1;
  text = vformat (fmt, ap);
  if (text == NULL)
    return -1;
  msg = (*err)->msg ? (*err)->msg : "unknown error";
  if ((after ? asprintf (&joined, "%s%s", msg, text)
             : asprintf (&joined, "%s: %s", text, msg)) >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = joined;
    }
  free (text);
  return -1;
}

int
labo_error_wrap (labo_error_t *err, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  edit_message (err, false, fmt, ap);
  va_end (ap);
  return -1;
}

int
labo_error_append (labo_error_t *err, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  edit_message (err, true, fmt, ap);
  va_end (ap);
  return -1;
}

void
labo_error_print (labo_error_t err)
{
  if (err == NULL)
    return;
  labo_say ("%s", err->msg ? err->msg : "out of memory");
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
