/* A history of operations on registers, as Jepsen records one: each
 * operation's call and its answer, on one clock, with the faults and the
 * supervisor's events beside them. What the check's client (zk/check.c)
 * records; what the linearizability checker (check/lin.h), the EDN writer,
 * the text timeline and the plot (check/plot.h) read. Pure: no I/O but
 * the FILE given.
 *
 * The registers are independent (Jepsen's jepsen.independent): each key
 * is its own register, checked on its own. A register holds an integer;
 * every write in a history writes a value no other write of that key
 * writes, so a value read names the write that put it there (which is
 * also what makes a CAS on ZooKeeper's znode version a CAS on the value:
 * see docs/check.md). Each key starts with an `ok` write of its initial
 * value, made before any other operation, as the client creates it. */
#ifndef LABO_CHECK_HISTORY_H
#define LABO_CHECK_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* No value: a read not answered, or a register that does not exist. */
#define LABO_NIL INT64_MIN

enum labo_op_f
{
  LABO_OP_READ,  /* value: what was read (LABO_NIL until answered) */
  LABO_OP_WRITE, /* value: what was written */
  LABO_OP_CAS,   /* expect -> value: written only if it held expect */
};

/* Jepsen's completion types. An operation never answered (a connection
 * lost, a session expired, or still waiting at the end) is INFO: it may
 * or may not have taken effect, at any time after its call. FAIL: it
 * certainly took no effect (a CAS whose version did not match). */
enum labo_op_type
{
  LABO_OP_OK,
  LABO_OP_FAIL,
  LABO_OP_INFO,
};

struct labo_op
{
  uint32_t process;   /* Jepsen's :process: one client, one operation at a time;
                         a client whose operation is INFO goes on as a new process */
  uint32_t key;
  enum labo_op_f f;
  enum labo_op_type type;
  int64_t value;
  int64_t expect;     /* CAS only */
  int64_t call_ns;    /* from the history's start (monotonic) */
  int64_t ret_ns;     /* the answer; -1 for INFO (never answered) */
  int32_t node;       /* the node it went through (an index of the lab's), -1: none */
  int32_t rc;         /* the client's answer (ZooKeeper's ZOK, ZBADVERSION...) */
};

/* What happened beside the operations, on the same clock. */
enum labo_event_kind
{
  LABO_EV_FAULT,    /* a fault begins ("isolate leader (zoo1)", "pause zoo2") */
  LABO_EV_HEAL,     /* faults end ("heal all", "resume zoo2", "power-on ..") */
  LABO_EV_LEADER,   /* a node became leader (subject: the node) */
  LABO_EV_NOTE,     /* anything else the supervisor said (kill, restart, role) */
};

struct labo_event
{
  int64_t t_ns;       /* from the history's start; may be < 0 (before it) */
  enum labo_event_kind kind;
  const char *subject;/* a node, a host, a lab ("" when none) */
  const char *text;
};

struct labo_history
{
  struct labo_op *ops;    /* in the order of their calls */
  size_t n_ops;
  struct labo_event *events; /* in time order */
  size_t n_events;
  const char *const *nodes;  /* node names, by index (for op.node) */
  size_t n_nodes;
  double wall0;           /* the wall-clock time (s since the epoch) of t = 0 */
  int64_t end_ns;         /* when the history ended */
};

/* "read", "write", "cas"; "ok", "fail", "info" ("?" out of range). */
const char *labo_op_f_name (enum labo_op_f f);
const char *labo_op_type_name (enum labo_op_type t);

/* The fault that a chaos step's text names begins or ends: "heal",
 * "resume", "power-on", "start", "restore", "reset" end faults; every other
 * step begins one. */
enum labo_event_kind labo_event_kind_of_step (const char *text);

/* Jepsen's EDN history (docs/check.md, "History format"): one map a line,
 * each operation an :invoke and then its :ok, :fail or :info, in time
 * order, with :process, :type, :f, :value ([key value] tuples, CAS
 * [key [expect new]]), :time (ns) and :index; labo's extras are
 * namespaced (:labo/node, :labo/rc, :labo/subject), which Knossos and
 * Elle ignore. An INFO operation's :info is written at end_ns. Faults and
 * events are :info ops of process :nemesis, :f :start (FAULT), :stop
 * (HEAL), :leader or :note, their text the :value. Returns 0, or -1 with
 * errno on a write error. */
int labo_history_write_edn (FILE *out, const struct labo_history *h);

/* The same history as text, one line an event or an operation's answer,
 * on one clock: "  12.345  zoo1  p3  write r2 17  ok  4.2 ms". */
int labo_history_write_text (FILE *out, const struct labo_history *h);

#endif
