/* Scenario files (include/labo/model/scenario.h), read with the lab file's YAML
 * helpers (labfile-yaml.c): the same positions, the same "did you mean",
 * the same duration syntax. */
#include "labo/model/scenario.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"
#include "labo/model/clock.h"
#include "labo/util/util.h"

static const char *const kind_names[] = {
  [LABO_STEP_KILL] = "kill",     [LABO_STEP_PARTITION] = "partition",
  [LABO_STEP_ISOLATE] = "isolate", [LABO_STEP_HEAL] = "heal",
  [LABO_STEP_STOP] = "stop",     [LABO_STEP_START] = "start",
  [LABO_STEP_LINK] = "link",     [LABO_STEP_WAIT] = "wait",
  [LABO_STEP_PAUSE] = "pause",   [LABO_STEP_RESUME] = "resume",
  [LABO_STEP_CAPTURE] = "capture",
  [LABO_STEP_CLOCK] = "clock",
};
#define N_KINDS (sizeof (kind_names) / sizeof (kind_names[0]))

const char *
labo_step_kind_name (enum labo_step_kind k)
{
  return (size_t) k < N_KINDS ? kind_names[k] : "?";
}

/* The keys of a step: when, one action, and the options of actions. */
enum
{
  K_AT,
  K_AFTER,
  K_KILL, /* the actions, in enum labo_step_kind's order */
  K_PARTITION,
  K_ISOLATE,
  K_HEAL,
  K_STOP,
  K_START,
  K_LINK,
  K_WAIT,
  K_PAUSE,
  K_RESUME,
  K_CAPTURE,
  K_CLOCK,
  K_SIGNAL, /* options */
  K_ONEWAY,
  K_SEGMENT,
  K_IMP, /* the link settings, in enum labo_impair_param's order */
  K_DOWN = K_IMP + LABO_IMP_N,
  K_TIMEOUT,
  K_FILE,
  K_FILTER,
  K_DURATION,
  K_OFFSET,
  K_DRIFT,
  N_KEYS
};
#define ACTION_KEY(kind) (K_KILL + (int) (kind))

/* Which action an option belongs to. */
static const struct
{
  int key;
  enum labo_step_kind kind;
} option_of[] = {
  { K_SIGNAL, LABO_STEP_KILL }, { K_ONEWAY, LABO_STEP_PARTITION },
  { K_SEGMENT, LABO_STEP_LINK }, { K_DOWN, LABO_STEP_LINK },
  { K_TIMEOUT, LABO_STEP_WAIT },
  /* and every link setting, K_IMP + p: see check_options */
  { K_SEGMENT, LABO_STEP_CAPTURE }, { K_FILE, LABO_STEP_CAPTURE },
  { K_FILTER, LABO_STEP_CAPTURE }, { K_DURATION, LABO_STEP_CAPTURE },
  { K_OFFSET, LABO_STEP_CLOCK }, { K_DRIFT, LABO_STEP_CLOCK },
};

/* The longest a scenario may run: a day. */
#define MAX_MS (24L * 3600 * 1000)

/* A name chosen when the step runs: the leader, a follower (drawn from
 * the run's seed when there are several), or any node (any host with a
 * node) drawn from it. */
static bool
is_role (const char *s)
{
  return strcmp (s, "leader") == 0 || strcmp (s, "follower") == 0 || strcmp (s, "random") == 0;
}

/* A host or node name of step key f, checked against lab. */
static char *
read_name (struct lf_reader *r, const struct lf_field *f, const yaml_node_t *v,
           const struct labo_lab *lab, bool node)
{
  cleanup_free char *shown = NULL;
  const char *s;

  if (v->type != YAML_SCALAR_NODE || lf_is_null (v))
    {
      cleanup_free char *found = lf_describe (v);
      lf_error (&r->c, lf_pos_of (r, v), "expected a %s name, leader or follower for '%s', found %s",
                node ? "node" : "host", f->name, found);
      return NULL;
    }
  s = lf_text (v);
  shown = lf_disp (s, v->data.scalar.length);
  if (strlen (s) != v->data.scalar.length)
    {
      lf_error (&r->c, lf_pos_of (r, v), "unexpected NUL character in '%s'", f->name);
      return NULL;
    }
  if (lab && !is_role (s)
      && !labo_hmap_get_str (node ? &r->node_index : &r->host_index, s, NULL))
    {
      const char *const *cand = node ? r->node_names : r->host_names;
      const char *guess = lf_suggest_within (s, cand, node ? r->n_node_names : r->n_host_names,
                                             &r->c.suggest_budget);

      if (!node && labo_hmap_get_str (&r->node_index, s, NULL))
        lf_error (&r->c, lf_pos_of (r, v),
                  "'%s' is a node of lab %s: '%s' takes a host (or leader, follower: that "
                  "node's host)", shown, lab->name, f->name);
      else if (node && labo_hmap_get_str (&r->host_index, s, NULL))
        lf_error (&r->c, lf_pos_of (r, v),
                  "'%s' is a host of lab %s: '%s' takes a node (a host is powered off with "
                  "'stop')", shown, lab->name, f->name);
      else if (guess)
        lf_error (&r->c, lf_pos_of (r, v), "lab %s has no %s named '%s' (did you mean '%s'?)",
                  lab->name, node ? "node" : "host", shown, guess);
      else
        lf_error (&r->c, lf_pos_of (r, v), "lab %s has no %s named '%s'", lab->name,
                  node ? "node" : "host", shown);
      return NULL;
    }
  return xstrdup (s);
}

/* partition: [A, B]; heal: all | [A, B]. */
static bool
read_pair (struct lf_reader *r, const struct lf_field *f, const struct labo_lab *lab,
           struct labo_step *st)
{
  const yaml_node_t *v = f->val;
  size_t n;

  if (st->kind == LABO_STEP_HEAL && v->type == YAML_SCALAR_NODE
      && strcmp (lf_text (v), "all") == 0)
    return true;
  /* Jepsen's partitions of the nodes' hosts: two random halves, or a ring
   * in which each sees a majority but no two the same one */
  if (st->kind == LABO_STEP_PARTITION && v->type == YAML_SCALAR_NODE
      && (strcmp (lf_text (v), "halves") == 0 || strcmp (lf_text (v), "ring") == 0))
    {
      st->target[0] = xstrdup (lf_text (v));
      return true;
    }
  if (v->type != YAML_SEQUENCE_NODE)
    {
      lf_wrong_type (r, f, st->kind == LABO_STEP_HEAL ? "all, or a sequence of two hosts"
                                                       : "halves, ring, or a sequence of two hosts");
      return false;
    }
  n = (size_t) (v->data.sequence.items.top - v->data.sequence.items.start);
  if (n != 2)
    {
      lf_error (&r->c, lf_pos_of (r, v), "'%s' takes two hosts, found %zu", f->name, n);
      return false;
    }
  for (size_t i = 0; i < 2; i++)
    {
      st->target[i] = read_name (r, f, lf_node (r, v->data.sequence.items.start[i]), lab, false);
      if (st->target[i] == NULL)
        return false;
    }
  if (strcmp (st->target[0], st->target[1]) == 0 && !is_role (st->target[0]))
    {
      lf_error (&r->c, lf_pos_of (r, v), "a host cannot be cut from itself");
      return false;
    }
  return true;
}

/* segment: of link and capture (capture also takes `any`: every interface
 * of the host). */
static bool
read_segment (struct lf_reader *r, struct lf_field *f, struct labo_step *st,
              const struct labo_lab *lab, bool any_ok)
{
  const char *seg;

  if (!f[K_SEGMENT].val)
    return true;
  seg = lf_get_string (r, &f[K_SEGMENT], "a segment name");
  if (seg == NULL)
    return false;
  if (lab && !labo_hmap_get_str (&r->segment_index, seg, NULL)
      && !(any_ok && strcmp (seg, "any") == 0))
    {
      cleanup_free char *shown = lf_disp (seg, strlen (seg));
      lf_error (&r->c, lf_pos_of (r, f[K_SEGMENT].val), "lab %s has no segment named '%s'",
                lab->name, shown);
      return false;
    }
  st->segment = xstrdup (seg);
  return true;
}

static bool
read_link (struct lf_reader *r, struct lf_field *f, struct labo_step *st,
           const struct labo_lab *lab)
{
  bool ok = read_segment (r, f, st, lab, false);

  for (int p = 0; p < LABO_IMP_N; p++)
    if (f[K_IMP + p].val)
      {
        ok &= lf_get_impair (r, &f[K_IMP + p], (enum labo_impair_param) p, &st->link.im);
        st->set |= LABO_IMP_BIT (p);
      }
  if (f[K_DOWN].val)
    {
      ok &= lf_get_bool (r, &f[K_DOWN], &st->link.down);
      st->set |= LABO_STEP_SET_DOWN;
    }
  /* two settings named together that cannot go together; the others
   * (a reorder needs a delay) depend on what the link has then, and are
   * refused when the step runs */
  if (ok && st->link.im.loss_ppm && st->link.im.ge_p_ppm)
    {
      lf_error (&r->c, lf_pos_of (r, f[K_LINK].key), "%s", labo_impair_conflict (&st->link.im));
      ok = false;
    }
  if (ok && st->set == 0)
    {
      lf_error (&r->c, lf_pos_of (r, f[K_LINK].key),
                "a link step sets something: delay, jitter, loss, gemodel, corrupt, "
                "duplicate, reorder, rate, seed or down");
      ok = false;
    }
  return ok;
}

/* The action of a step, as its key (K_KILL...); -1 after reporting that
 * it has none (unless a key was reported as a likely typo of one) or more
 * than one. */
static int
read_action (struct lf_reader *r, const struct lf_field *f, struct labo_pos pos)
{
  int action = -1;
  bool guessed = false;

  for (int k = K_KILL; k <= K_CLOCK; k++)
    if (f[k].val)
      {
        if (action >= 0)
          {
            lf_error (&r->c, lf_pos_of (r, f[k].key),
                      "a step does one thing: '%s' and '%s' in one step (make two steps)",
                      f[action].name, f[k].name);
            return -1;
          }
        action = k;
      }
  if (action >= 0)
    return action;
  for (int k = K_KILL; k <= K_CLOCK; k++)
    guessed |= f[k].guess != NULL;
  if (!guessed)
    lf_error (&r->c, pos,
              "a step needs an action: kill, partition, isolate, heal, stop, start, link, "
              "wait, pause, resume, capture or clock");
  return -1;
}

/* Does option key go with action kind (segment: link and capture)? */
static bool
goes_with (int key, enum labo_step_kind kind)
{
  for (size_t i = 0; i < sizeof (option_of) / sizeof (option_of[0]); i++)
    if (option_of[i].key == key && option_of[i].kind == kind)
      return true;
  return false;
}

/* Is row i the first of its option (an option is reported once)? */
static bool
first_of (size_t i)
{
  for (size_t j = 0; j < i; j++)
    if (option_of[j].key == option_of[i].key)
      return false;
  return true;
}

/* False after reporting each option given to an action it does not go
 * with ('signal' in a stop step). */
static bool
check_options (struct lf_reader *r, const struct lf_field *f, enum labo_step_kind kind)
{
  bool ok = true;

  /* the link settings, K_IMP + p, go with link alone */
  for (int p = 0; p < LABO_IMP_N; p++)
    if (f[K_IMP + p].val && kind != LABO_STEP_LINK)
      {
        lf_error (&r->c, lf_pos_of (r, f[K_IMP + p].key), "'%s' goes with 'link', not '%s'",
                  f[K_IMP + p].name, f[ACTION_KEY (kind)].name);
        ok = false;
      }
  for (size_t i = 0; i < sizeof (option_of) / sizeof (option_of[0]); i++)
    if (f[option_of[i].key].val && option_of[i].kind != kind
        && !goes_with (option_of[i].key, kind) && first_of (i))
      {
        lf_error (&r->c, lf_pos_of (r, f[option_of[i].key].key),
                  "'%s' goes with '%s', not '%s'", f[option_of[i].key].name,
                  labo_step_kind_name (option_of[i].kind), f[ACTION_KEY (kind)].name);
        ok = false;
      }
  return ok;
}

/* When the step starts: 'at' (from the start), 'after' (from the step
 * before) or neither (when the step before ends); moves *t as read_step
 * says. */
static bool
read_when (struct lf_reader *r, const struct lf_field *f, struct labo_step *st, long *t)
{
  int ms;

  if (f[K_AT].val && f[K_AFTER].val)
    {
      lf_error (&r->c, lf_pos_of (r, f[K_AFTER].key),
                "a step has 'at' (from the start) or 'after' (from the step before), not both");
      return false;
    }
  if (f[K_AT].val)
    {
      if (!lf_get_duration (r, &f[K_AT], 0, (int) MAX_MS, &ms))
        return false;
      if (ms < *t)
        {
          char a[24], b[24];
          lf_error (&r->c, lf_val_pos (r, &f[K_AT]),
                    "at %s comes before the step before it (at %s): steps run in order",
                    labo_duration_format (ms, a), labo_duration_format (*t, b));
          return false;
        }
      *t = st->at_ms = ms;
    }
  else if (f[K_AFTER].val)
    {
      if (!lf_get_duration (r, &f[K_AFTER], 0, (int) MAX_MS, &ms))
        return false;
      st->after_ms = ms;
      *t += ms;
    }
  return true;
}

/* kill: a node (or leader, follower), with a signal or KILL. */
static bool
read_kill (struct lf_reader *r, const struct lf_field *f, const struct labo_lab *lab,
           struct labo_step *st)
{
  bool ok = (st->target[0] = read_name (r, &f[K_KILL], f[K_KILL].val, lab, true)) != NULL;

  if (f[K_SIGNAL].val)
    {
      const char *s = lf_get_string (r, &f[K_SIGNAL], "a signal like KILL, TERM or STOP");
      if (s == NULL)
        ok = false;
      else if ((st->signal = labo_signal_parse (s)) < 0)
        {
          cleanup_free char *shown = lf_disp (s, strlen (s));
          lf_error (&r->c, lf_pos_of (r, f[K_SIGNAL].val),
                    "unknown signal '%s' (KILL, TERM, STOP, 9...)", shown);
          ok = false;
        }
    }
  return ok;
}

/* pause: a node, a host (its nodes), leader or follower (that node);
 * resume: the same, or all (every node paused). */
static bool
read_pause (struct lf_reader *r, const struct lf_field *f, const struct labo_lab *lab,
            struct labo_step *st)
{
  const yaml_node_t *v = f->val;
  bool scalar = v->type == YAML_SCALAR_NODE && !lf_is_null (v);

  if (st->kind == LABO_STEP_RESUME && scalar && strcmp (lf_text (v), "all") == 0)
    return true;
  /* a host's name is read as a host's, anything else as a node's (whose
   * errors say "node") */
  st->target[0] = read_name (r, f, v, lab,
                             !(lab && scalar
                               && labo_hmap_get_str (&r->host_index, lf_text (v), NULL)));
  return st->target[0] != NULL;
}

/* clock: a ZooKeeper node (or leader, follower), its offset and drift
 * as `labo clock` spells them. */
static bool
read_clock (struct lf_reader *r, const struct lf_field *f, const struct labo_lab *lab,
            struct labo_step *st)
{
  bool ok = (st->target[0] = read_name (r, &f[K_CLOCK], f[K_CLOCK].val, lab, true)) != NULL;
  long n;
  labo_error_t err = NULL;
  const char *s;

  if (ok && lab && (n = labo_lab_find_node (lab, st->target[0])) >= 0
      && lab->nodes[n].service != LABO_SERVICE_ZOOKEEPER)
    {
      lf_error (&r->c, lf_val_pos (r, &f[K_CLOCK]),
                "'%s' is no ZooKeeper node: only those run under libfaketime, which 'clock' "
                "works through", st->target[0]);
      ok = false;
    }
  st->drift = 1;
  if (!f[K_OFFSET].val)
    {
      lf_error (&r->c, lf_pos_of (r, f[K_CLOCK].key),
                "a clock step sets an offset (offset: +30s; 0 puts the clock back)");
      return false;
    }
  if ((s = lf_get_string (r, &f[K_OFFSET], "an offset like +30s")) == NULL)
    ok = false;
  else if (labo_skew_parse_offset (s, &st->offset_ns, &err) < 0)
    {
      lf_error (&r->c, lf_val_pos (r, &f[K_OFFSET]), "%s", err->msg);
      labo_error_release (&err);
      ok = false;
    }
  if (!f[K_DRIFT].val)
    return ok;
  if ((s = lf_get_string (r, &f[K_DRIFT], "a drift like 1.001 or +1000ppm")) == NULL)
    ok = false;
  else if (labo_skew_parse_drift (s, &st->drift, &err) < 0)
    {
      lf_error (&r->c, lf_val_pos (r, &f[K_DRIFT]), "%s", err->msg);
      labo_error_release (&err);
      ok = false;
    }
  return ok;
}

/* wait: for a quorum or for every node, at most its timeout. */
static bool
read_wait (struct lf_reader *r, const struct lf_field *f, struct labo_step *st)
{
  const char *s = lf_get_string (r, &f[K_WAIT], "quorum or all");
  bool ok = true;
  int ms;

  if (s == NULL)
    ok = false;
  else if (strcmp (s, "quorum") != 0 && strcmp (s, "all") != 0)
    {
      cleanup_free char *shown = lf_disp (s, strlen (s));
      lf_error (&r->c, lf_pos_of (r, f[K_WAIT].val),
                "expected quorum (a leader and a majority serving) or all (every node "
                "serving) for 'wait', got '%s'", shown);
      ok = false;
    }
  else
    st->target[0] = xstrdup (s);
  if (f[K_TIMEOUT].val)
    {
      if (lf_get_duration (r, &f[K_TIMEOUT], 100, (int) MAX_MS, &ms))
        st->timeout_ms = ms;
      else
        ok = false;
    }
  return ok;
}

/* capture: a host, the file, and segment, filter, duration. */
static bool
read_capture (struct lf_reader *r, struct lf_field *f, const struct labo_lab *lab,
              struct labo_step *st)
{
  bool ok = (st->target[0] = read_name (r, &f[K_CAPTURE], f[K_CAPTURE].val, lab, false)) != NULL;
  const char *s;
  int ms;

  ok &= read_segment (r, f, st, lab, true);
  if (!f[K_FILE].val)
    {
      lf_error (&r->c, lf_pos_of (r, f[K_CAPTURE].key),
                "a capture step names its 'file' (the pcap it writes)");
      ok = false;
    }
  else if ((s = lf_get_string (r, &f[K_FILE], "a file name")) == NULL)
    ok = false;
  else if (*s == '\0' || s[strlen (s) - 1] == '/')
    {
      lf_error (&r->c, lf_pos_of (r, f[K_FILE].val), "expected a file name for 'file'");
      ok = false;
    }
  else
    st->file = xstrdup (s);
  if (f[K_FILTER].val)
    {
      if ((s = lf_get_string (r, &f[K_FILTER], "a filter like 'tcp port 2181'")) == NULL)
        ok = false;
      else if (*s)
        st->filter = xstrdup (s);
    }
  if (f[K_DURATION].val)
    {
      if (lf_get_duration (r, &f[K_DURATION], 1, (int) MAX_MS, &ms))
        st->duration_ms = ms;
      else
        ok = false;
    }
  return ok;
}

/* One step; its nominal start in *t (ms from the start), which holds the
 * step before's on entry: a step may not start before it. */
static bool
read_step (struct lf_reader *r, yaml_node_t *item, const struct labo_lab *lab,
           struct labo_step *st, long *t)
{
  struct lf_field f[N_KEYS] = {
    [K_AT] = LF_FIELD ("at"),
    [K_AFTER] = LF_FIELD ("after"),
    [K_KILL] = LF_FIELD ("kill"),
    [K_PARTITION] = LF_FIELD ("partition"),
    [K_ISOLATE] = LF_FIELD ("isolate"),
    [K_HEAL] = LF_FIELD ("heal"),
    [K_STOP] = LF_FIELD ("stop"),
    [K_START] = LF_FIELD ("start"),
    [K_LINK] = LF_FIELD ("link"),
    [K_WAIT] = LF_FIELD ("wait"),
    [K_PAUSE] = LF_FIELD ("pause"),
    [K_RESUME] = LF_FIELD ("resume"),
    [K_CLOCK] = LF_FIELD ("clock"),
    [K_OFFSET] = LF_FIELD ("offset"),
    [K_DRIFT] = LF_FIELD ("drift"),
    [K_SIGNAL] = LF_FIELD ("signal"),
    [K_ONEWAY] = LF_FIELD ("oneway"),
    [K_SEGMENT] = LF_FIELD ("segment"),
    [K_DOWN] = LF_FIELD ("down"),
    [K_TIMEOUT] = LF_FIELD ("timeout"),
    [K_CAPTURE] = LF_FIELD ("capture"),
    [K_FILE] = LF_FIELD ("file"),
    [K_FILTER] = LF_FIELD ("filter"),
    [K_DURATION] = LF_FIELD ("duration"),
  };
  struct labo_pos pos = lf_pos_of (r, item);
  const struct lf_field *what;
  int action;
  bool ok;

  for (int p = 0; p < LABO_IMP_N; p++)
    f[K_IMP + p].name = labo_impair_param_name ((enum labo_impair_param) p);
  st->pos = pos;
  st->at_ms = -1;
  st->signal = SIGKILL;
  st->timeout_ms = 120000;
  if (item->type != YAML_MAPPING_NODE)
    {
      cleanup_free char *found = lf_describe (item);
      lf_error (&r->c, pos, "expected a mapping for a step (at: 5s, kill: leader), found %s",
                found);
      return false;
    }
  lf_read_fields (r, item, "in step", f, N_KEYS);
  if ((action = read_action (r, f, pos)) < 0)
    return false;
  st->kind = (enum labo_step_kind) (action - K_KILL);
  what = &f[action];
  ok = check_options (r, f, st->kind);
  ok &= read_when (r, f, st, t);
  switch (st->kind)
    {
    case LABO_STEP_KILL:
      ok &= read_kill (r, f, lab, st);
      break;
    case LABO_STEP_PARTITION:
    case LABO_STEP_HEAL:
      ok &= read_pair (r, what, lab, st);
      if (f[K_ONEWAY].val)
        ok &= lf_get_bool (r, &f[K_ONEWAY], &st->oneway);
      if (ok && st->kind == LABO_STEP_PARTITION && st->target[1] == NULL && st->oneway)
        {
          lf_error (&r->c, lf_pos_of (r, f[K_ONEWAY].key),
                    "'oneway' goes with a partition of two hosts, not %s", st->target[0]);
          ok = false;
        }
      break;
    case LABO_STEP_ISOLATE:
    case LABO_STEP_STOP:
    case LABO_STEP_START:
      ok &= (st->target[0] = read_name (r, what, what->val, lab, false)) != NULL;
      break;
    case LABO_STEP_LINK:
      ok &= (st->target[0] = read_name (r, what, what->val, lab, false)) != NULL;
      ok &= read_link (r, f, st, lab);
      break;
    case LABO_STEP_WAIT:
      ok &= read_wait (r, f, st);
      break;
    case LABO_STEP_PAUSE:
    case LABO_STEP_RESUME:
      ok &= read_pause (r, what, lab, st);
      break;
    case LABO_STEP_CAPTURE:
      ok &= read_capture (r, f, lab, st);
      break;
    case LABO_STEP_CLOCK:
      ok &= read_clock (r, f, lab, st);
      break;
    default:
      abort ();
    }
  return ok;
}

static void
read_scenario (struct lf_reader *r, yaml_node_t *root, const struct labo_lab *lab,
               struct labo_scenario *sc)
{
  /* the keys of the top level (a step's are K_AT...) */
  enum { T_LAB, T_END, T_STEPS, N_TOP_KEYS };
  struct lf_field f[N_TOP_KEYS] = {
    [T_LAB] = LF_FIELD ("lab"),
    [T_END] = LF_FIELD ("end"),
    [T_STEPS] = LF_FIELD ("steps"),
  };
  struct labo_pos top = { sc->file, 1, 1 };
  yaml_node_t *seq;
  bool ok;
  long t = 0;
  int ms;

  lf_read_fields (r, root, "in a scenario", f, N_TOP_KEYS);
  if (f[T_LAB].val)
    {
      const char *name = lf_get_string (r, &f[T_LAB], "a lab name");
      if (name && lab && strcmp (name, lab->name) != 0)
        {
          cleanup_free char *shown = lf_disp (name, strlen (name));
          lf_error (&r->c, lf_pos_of (r, f[T_LAB].val),
                    "this scenario is for lab %s, not lab %s (run it with -l %s, or change "
                    "'lab')", shown, lab->name, shown);
        }
      else if (name)
        sc->lab = xstrdup (name);
    }
  if (!lf_require (r, &f[T_STEPS], top, "in a scenario"))
    return;
  seq = lf_get_sequence (r, &f[T_STEPS], &ok);
  if (!ok)
    return;
  if (seq == NULL || seq->data.sequence.items.top == seq->data.sequence.items.start)
    {
      lf_error (&r->c, lf_val_pos (r, &f[T_STEPS]), "a scenario has at least one step");
      return;
    }
  sc->n_steps = (size_t) (seq->data.sequence.items.top - seq->data.sequence.items.start);
  if (sc->n_steps > r->c.lim->steps)
    {
      /* at the first step too many, before reading any */
      lf_limit_error (&r->c, lf_pos_of (r, lf_node (r, seq->data.sequence.items.start[r->c.lim->steps])),
                      "too many steps", r->c.lim->steps, "", "steps");
      sc->n_steps = 0;
      return;
    }
  sc->steps = xcalloc (sc->n_steps, sizeof (*sc->steps));
  for (size_t i = 0; i < sc->n_steps; i++)
    read_step (r, lf_node (r, seq->data.sequence.items.start[i]), lab, &sc->steps[i], &t);
  /* two captures into one file would write over each other */
  for (size_t i = 0; i < sc->n_steps; i++)
    for (size_t j = 0; j < i && sc->steps[i].file; j++)
      if (sc->steps[j].file && strcmp (sc->steps[i].file, sc->steps[j].file) == 0)
        {
          cleanup_free char *shown = lf_disp (sc->steps[i].file, strlen (sc->steps[i].file));
          lf_error (&r->c, sc->steps[i].pos, "step %zu captures into '%s' too (line %d): one "
                                             "file a capture", i + 1, shown, sc->steps[j].pos.line);
          break;
        }
  if (f[T_END].val && lf_get_duration (r, &f[T_END], 0, (int) MAX_MS, &ms))
    {
      if (ms < t)
        {
          char a[24], b[24];
          lf_error (&r->c, lf_val_pos (r, &f[T_END]),
                    "end %s comes before the last step (at %s at the earliest)",
                    labo_duration_format (ms, a), labo_duration_format (t, b));
        }
      sc->end_ms = ms;
    }
}

void
labo_scenario_free (struct labo_scenario *s)
{
  if (s == NULL)
    return;
  for (size_t i = 0; i < s->n_steps; i++)
    {
      free (s->steps[i].target[0]);
      free (s->steps[i].target[1]);
      free (s->steps[i].segment);
      free (s->steps[i].file);
      free (s->steps[i].filter);
    }
  free (s->steps);
  free (s->lab);
  free (s->file);
  free (s);
}

struct labo_scenario *
labo_scenario_parse (const char *file, const char *text, size_t len, const struct labo_lab *lab,
                     struct labo_diags *diags)
{
  return labo_scenario_parse_limited (file, text, len, lab, NULL, diags);
}

/* The lab's names, found through the reader's indexes: a scenario of many
 * steps against a lab of many hosts is not quadratic. The candidates for
 * "did you mean" end with the roles. */
static void
index_lab (struct lf_reader *r, const struct labo_lab *lab)
{
  r->host_names = xcalloc (lab->n_hosts + 2, sizeof *r->host_names);
  for (size_t i = 0; i < lab->n_hosts; i++)
    {
      labo_hmap_put (&r->host_index, lab->hosts[i].name, strlen (lab->hosts[i].name), i, NULL);
      r->host_names[i] = lab->hosts[i].name;
    }
  r->node_names = xcalloc (lab->n_nodes + 2, sizeof *r->node_names);
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      labo_hmap_put (&r->node_index, lab->nodes[i].name, strlen (lab->nodes[i].name), i, NULL);
      r->node_names[i] = lab->nodes[i].name;
    }
  for (size_t i = 0; i < lab->n_segments; i++)
    labo_hmap_put (&r->segment_index, lab->segments[i].name, strlen (lab->segments[i].name), i,
                   NULL);
  r->host_names[lab->n_hosts] = r->node_names[lab->n_nodes] = "leader";
  r->host_names[lab->n_hosts + 1] = r->node_names[lab->n_nodes + 1] = "follower";
  r->n_host_names = lab->n_hosts + 2;
  r->n_node_names = lab->n_nodes + 2;
}

struct labo_scenario *
labo_scenario_parse_limited (const char *file, const char *text, size_t len,
                             const struct labo_lab *lab, const struct labo_limits *lim,
                             struct labo_diags *diags)
{
  struct labo_diags scratch = { NULL, 0 };
  /* the YAML helpers name the file through a lab: this one holds only that */
  struct labo_lab named = { 0 };
  struct lf_reader r = { .c = { .lim = lim ? lim : &labo_limits_default,
                                .suggest_budget = LF_SUGGEST_BUDGET } };
  struct labo_scenario *sc = xcalloc (1, sizeof (*sc));
  size_t first;

  if (diags == NULL)
    diags = &scratch;
  first = diags->n;
  sc->file = xstrdup (file);
  named.file = sc->file;
  r.c.lab = &named;
  r.c.diags = diags;
  if (lab)
    index_lab (&r, lab);
  {
    __attribute__ ((cleanup (lf_yaml_input_release))) struct lf_yaml_input y = { 0 };
    yaml_node_t *root = lf_yaml_load (&r, &y, text, len, "scenario", "a mapping with 'steps'");
    if (root)
      read_scenario (&r, root, lab, sc);
    r.doc = NULL;
  }
  lf_reader_release (&r);
  lf_diags_sort (diags, first);
  labo_diags_free (&scratch);
  if (r.c.n_errors > 0)
    {
      labo_scenario_free (sc);
      return NULL;
    }
  return sc;
}

struct labo_scenario *
labo_scenario_load (const char *path, const struct labo_lab *lab, struct labo_diags *diags)
{
  return labo_scenario_load_limited (path, lab, NULL, diags);
}

struct labo_scenario *
labo_scenario_load_limited (const char *path, const struct labo_lab *lab,
                            const struct labo_limits *lim, struct labo_diags *diags)
{
  size_t len;
  cleanup_free char *text
      = labo_read_file_max (path, (lim ? lim : &labo_limits_default)->file_size, &len);

  if (text == NULL)
    {
      if (diags)
        lf_diag_add (diags, path, 0, 0,
                     xasprintf ("cannot read the scenario: %s", strerror (errno)));
      return NULL;
    }
  return labo_scenario_parse_limited (path, text, len, lab, lim, diags);
}

char *
labo_step_describe (const struct labo_step *s)
{
  switch (s->kind)
    {
    case LABO_STEP_KILL:
      if (s->signal == SIGKILL)
        return xasprintf ("kill %s", s->target[0]);
      return xasprintf ("kill %s with SIG%s", s->target[0], sigabbrev_np (s->signal));
    case LABO_STEP_PARTITION:
      if (s->target[1] == NULL)
        return xstrdup (strcmp (s->target[0], "ring") == 0
                            ? "partition the nodes' hosts into a majority ring"
                            : "partition the nodes' hosts into two random halves");
      return xasprintf ("partition %s %s %s", s->target[0], s->oneway ? "->" : "and",
                        s->target[1]);
    case LABO_STEP_ISOLATE:
      return xasprintf ("isolate %s", s->target[0]);
    case LABO_STEP_HEAL:
      if (s->target[0] == NULL)
        return xstrdup ("heal every cut");
      return xasprintf ("heal %s and %s", s->target[0], s->target[1]);
    case LABO_STEP_STOP:
      return xasprintf ("power off %s", s->target[0]);
    case LABO_STEP_START:
      return xasprintf ("power on %s", s->target[0]);
    case LABO_STEP_LINK:
      {
        char b[64];
        cleanup_free char *parts = xstrdup ("");
        for (int p = 0; p <= LABO_IMP_N; p++)
          {
            const char *v;
            char *next;
            if (!(s->set & (1u << p)))
              continue;
            v = p == LABO_IMP_N ? (s->link.down ? "yes" : "no")
                                : labo_impair_value_str (&s->link.im, (enum labo_impair_param) p, b);
            next = xasprintf ("%s%s%s %s", parts, *parts ? ", " : "",
                              p == LABO_IMP_N ? "down" : labo_impair_param_name ((enum labo_impair_param) p), v);
            free (parts);
            parts = next;
          }
        return xasprintf ("link %s%s%s: %s", s->target[0], s->segment ? "@" : "",
                          s->segment ? s->segment : "", parts);
      }
    case LABO_STEP_WAIT:
      return xstrdup (strcmp (s->target[0], "all") == 0 ? "wait until every node serves"
                                                        : "wait for a quorum");
    case LABO_STEP_PAUSE:
      return xasprintf ("pause %s", s->target[0]);
    case LABO_STEP_RESUME:
      return s->target[0] ? xasprintf ("resume %s", s->target[0])
                          : xstrdup ("resume every node paused");
    case LABO_STEP_CAPTURE:
      {
        char b[24];
        return xasprintf ("capture %s%s%s into %s%s%s%s%s", s->target[0], s->segment ? "@" : "",
                          s->segment ? s->segment : "", s->file, s->filter ? ", filter " : "",
                          s->filter ? s->filter : "", s->duration_ms ? ", for " : "",
                          s->duration_ms ? labo_duration_format (s->duration_ms, b) : "");
      }
    case LABO_STEP_CLOCK:
      {
        char o[32], d[32];
        labo_skew_offset_format (s->offset_ns, o);
        if (s->drift == 1)
          return xasprintf ("clock %s %s", s->target[0], o);
        return xasprintf ("clock %s %s, drift %s", s->target[0], o,
                          labo_skew_drift_format (s->drift, d));
      }
    default:
      break;
    }
  return xstrdup ("?");
}
