/* Pausing and resuming nodes: see include/labo/engine/pause.h. */
#include "labo/engine/pause.h"

#include <errno.h>
#include <string.h>

#include "labo/kind/kind.h"
#include "labo/model/records.h"
#include "labo/runtime/runtime.h"
#include "labo/super/control.h"
#include "labo/util/util.h"

#define ROLE_PROBE_MS 300

/* The supervisor holds (or lifts) its watch on the node; nothing to tell
 * when none runs. A supervisor that cannot be told is an error: it would
 * find the frozen node hung and kill it. */
static int
tell_supervisor (const struct labo_lab *lab, size_t i, bool paused, labo_error_t *err)
{
  json_t *req, *reply = NULL;
  int r;

  if (labo_supervisor_alive (lab->name, NULL) <= 0)
    return 0;
  req = json_pack ("{s:s, s:s, s:b}", "cmd", "pause", "name", lab->nodes[i].name, "paused",
                   paused);
  r = labo_control_call (lab->name, req, LABO_CONTROL_QUICK_MS, &reply, err);
  json_decref (reply);
  json_decref (req);
  return r;
}

int
labo_pause_node (const struct labo_lab *lab, size_t i, bool pause, labo_error_t *err)
{
  const struct labo_runtime_ops *rt = labo_runtime_of (lab);
  labo_error_t undo = NULL;
  int r = 0, rec = 0;

  if (pause)
    {
      /* the supervisor first: from the freeze on, its probes fail; the
       * record before the freeze: a pause killed halfway is then on
       * record, and a `labo resume` finds it */
      if (tell_supervisor (lab, i, true, err) < 0)
        return labo_error_wrap (err, "pausing node %s", lab->nodes[i].name);
      if ((rec = labo_paused_record (lab, i, true, err)) < 0
          || (r = rt->node_pause (lab, i, true, err)) < 0)
        {
          /* undone if it is this call's: a node paused before stays so */
          if (rec > 0)
            labo_paused_record (lab, i, false, &undo);
          labo_error_release (&undo);
          if (rec != 0)
            tell_supervisor (lab, i, false, &undo);
          labo_error_release (&undo);
          return labo_error_wrap (err, "pausing node %s", lab->nodes[i].name);
        }
      return r || rec ? 1 : 0;
    }
  /* thawed first: the supervisor's probes start again on a node that runs */
  if ((r = rt->node_pause (lab, i, false, err)) < 0)
    return labo_error_wrap (err, "resuming node %s", lab->nodes[i].name);
  if ((rec = labo_paused_record (lab, i, false, err)) < 0
      || tell_supervisor (lab, i, false, err) < 0)
    return labo_error_wrap (err, "resuming node %s", lab->nodes[i].name);
  return r || rec ? 1 : 0;
}

int
labo_pause_host (const struct labo_lab *lab, long h, bool pause, bool **changed,
                 labo_error_t *err)
{
  cleanup_free bool *paused = NULL;
  int n = 0;

  if (changed)
    *changed = xcalloc (lab->n_nodes + 1, sizeof (bool));
  if (h < 0 && labo_paused_load (lab, &paused, err) < 0)
    return -1;
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      int r;
      if (h >= 0 ? lab->nodes[i].host != (size_t) h : !paused[i])
        continue;
      if ((r = labo_pause_node (lab, i, pause, err)) < 0)
        return -1;
      n += r;
      if (changed)
        (*changed)[i] = r > 0;
    }
  return n;
}

long
labo_node_by_role (const struct labo_lab *lab, const char *name, labo_error_t *err)
{
  enum labo_mode want;
  long n;

  if (strcmp (name, "leader") != 0 && strcmp (name, "follower") != 0)
    {
      if ((n = labo_lab_find_node (lab, name)) < 0)
        labo_error_make (err, ENOENT, "lab %s has no node named %s", lab->name, name);
      return n;
    }
  want = strcmp (name, "leader") == 0 ? LABO_MODE_LEADER : LABO_MODE_FOLLOWER;
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      /* only nodes that elect have a leader's role; a probe that fails
       * leaves s as it was: no mode */
      struct labo_probe_result s = { 0 };
      if (labo_kind_of (&lab->nodes[i])->elects
          && labo_kind_probe (lab, &lab->nodes[i], 0, ROLE_PROBE_MS, &s) == 0 && s.mode == want)
        return (long) i;
    }
  return labo_error_make (err, 0, "no node of lab %s is a %s now", lab->name, name);
}

json_t *
labo_paused_json (const struct labo_lab *lab)
{
  cleanup_free bool *paused = NULL;
  json_t *a = json_array ();

  labo_paused_load (lab, &paused, NULL);
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (paused[i])
      json_array_append_new (a, json_string (lab->nodes[i].name));
  return a;
}
