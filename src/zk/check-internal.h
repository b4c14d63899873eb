/* Between the check's client (check.c: it records) and its analysis
 * (check-report.c: pure, unit-tested with made-up records in
 * tests/unit/test_check.c, so that each kind of loss is shown to be
 * caught). Not part of the library's interface. */
#ifndef LABO_CHECK_INTERNAL_H
#define LABO_CHECK_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cw_state
{
  CW_PENDING = 0,    /* sent, no answer yet (at the end: indeterminate) */
  CW_ACKED,          /* ZOK */
  CW_INDETERMINATE,  /* connection or session lost before the answer */
  CW_REFUSED,        /* not sent: no connection, or a backlog */
  CW_FAILED,         /* another answer */
};

/* One write attempt: one writer, one tick. */
struct cw
{
  uint32_t writer;   /* index of the node written through */
  uint32_t session;  /* the writer's session, counted from 1 */
  uint64_t n;        /* the writer's attempt number */
  long tick;         /* the tick it belongs to, from 0 */
  double t0, t1;     /* sent and answered, seconds from the start */
  int rc;            /* the client's answer */
  enum cw_state state;
  char *name;        /* acknowledged: the znode's name, "w0-0000000042" */
};

/* One znode as one node holds it. */
struct cz
{
  char *name;
  char *data;
  int64_t czxid;
};

/* What was read from one node at the end. */
struct cnode
{
  char *name;        /* the lab's node */
  char *endpoint;    /* "198.51.100.66:32181" */
  bool verified;     /* read whole after a sync */
  char *why;         /* or why not */
  struct cz *z;
  size_t nz;
};

struct cmark
{
  double t;
  char *text;
};

struct check_record
{
  const char *lab, *root;
  int rate;
  double duration_s; /* of the writes */
  long ticks;
  struct cw *w;
  size_t n_w;
  struct cnode *nodes; /* one a writer */
  size_t n_nodes;
  struct cmark *marks;
  size_t n_marks;
};

/* What a write's znode holds. Caller frees. */
char *check_data (uint32_t writer, uint32_t session, uint64_t n);
/* The sequence number of a znode's name ("w0-0000000042" -> 42), or -1. */
long long check_seq (const char *name);

/* The report (docs/status.md, "labo check"). */
json_t *check_analyse (const struct check_record *r);

#endif
