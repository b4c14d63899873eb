/* Between the outputs of a history (history.c, plot.c): one order of its
 * calls, answers and events on one clock. Not part of the interface. */
#ifndef LABO_CHECK_HISTORY_INTERNAL_H
#define LABO_CHECK_HISTORY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labo/check/history.h"

/* At one instant: events, then answers, then calls, then the answers of
 * operations answered at the very instant of their call. */
enum history_entry_cls
{
  HE_EVENT,
  HE_ANSWER,
  HE_INVOKE,
  HE_ANSWER_LATE,
};

struct history_entry
{
  int64_t t;
  enum history_entry_cls cls;
  size_t idx; /* into h->events (HE_EVENT) or h->ops */
};

/* Events and answers (and calls, with invokes) in time order, stable:
 * the same history gives the same order. Caller frees; *n entries. */
struct history_entry *history_order (const struct labo_history *h, bool invokes, size_t *n);
/* When an operation's answer is written: its ret_ns, or the history's
 * end for an INFO one; never before its call. */
int64_t history_answer_ns (const struct labo_history *h, const struct labo_op *op);
/* The node's name, or NULL (-1, or out of range). */
const char *history_node_name (const struct labo_history *h, int32_t node);

#endif
