/* `labo reset`: a lab that is up brought back to the state right after
 * its `up`, keeping what is slow to make (namespaces, links, daemons, the
 * Swarm, the overlay, the images). See include/labo/engine/engine.h. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "labo/engine/clock.h"
#include "labo/engine/engine.h"
#include "labo/engine/faults.h"
#include "labo/engine/links.h"
#include "labo/engine/pause.h"
#include "labo/host/host.h"
#include "labo/model/records.h"
#include "labo/model/state.h"
#include "labo/runtime/runtime.h"
#include "labo/super/control.h"
#include "labo/util/progress.h"
#include "labo/util/util.h"

/* As down's: the supervisor's loop ends on SIGTERM at once; 5 s allows for
 * one in the middle of a restart. */
#define SUPERVISOR_STOP_S 5

/* Hosts powered off: on again, as `labo start` does it (the record, then
 * the links up; what runs on them is the runtime's reset's). */
static int
power_on_all (const struct labo_lab *lab, size_t *n, labo_error_t *err)
{
  cleanup_free bool *off = NULL;

  *n = 0;
  if (labo_power_load (lab, &off, err) < 0)
    return -1;
  for (size_t h = 0; h < lab->n_hosts; h++)
    if (off[h])
      {
        if (labo_power_record (lab, h, false, err) < 0
            || labo_host_links_set (lab, h, true, err) < 0)
          return labo_error_wrap (err, "powering %s on", lab->hosts[h].name);
        (*n)++;
      }
  return 0;
}

/* The lab's state open and locked, and the lab up: a reset of a lab that
 * is not up, or half up, has nothing to go back to. */
static int
open_up (const struct labo_lab *lab, struct labo_state *st, labo_error_t *err)
{
  cleanup_free char *state = NULL;

  if (labo_state_open (lab->name, false, st, err) < 0)
    return -1;
  state = st->dir ? labo_state_meta (lab->name, "state") : NULL;
  if (state == NULL)
    return labo_error_make (err, ENOENT, "lab '%s' is not up: `labo up` brings it up",
                            lab->name);
  if (strcmp (state, "up") != 0)
    return labo_error_make (err, 0, "lab '%s' is not up: a previous `labo up` did not finish "
                                    "(`labo down %s` first)", lab->name, lab->name);
  return 0;
}

int
labo_reset (const struct labo_lab *lab, const struct labo_reset_opts *o, json_t **facts,
            labo_error_t *err)
{
  struct labo_state st;
  struct labo_progress pr;
  size_t powered = 0;
  int cuts, links, stopped, clocks, ret = -1;
  bool marked = false; /* our mark is there: ours to remove */

  *facts = NULL;
  labo_progress_start (&pr, o->quiet, o->stages);
  if (open_up (lab, &st, err) < 0 || labo_state_put (&st, LABO_RESET_MARK, "", 0, err) < 0)
    goto out;
  marked = true;
  if (!pr.quiet)
    printf ("labo: reset %s: %zu host%s, %zu node%s (%s runtime)\n", lab->name, lab->n_hosts,
            lab->n_hosts == 1 ? "" : "s", lab->n_nodes, lab->n_nodes == 1 ? "" : "s",
            labo_runtime_of (lab)->name);
  /* Told to the supervisor that runs, for the events; then it goes: it
   * would restart the nodes being removed. The process doing the reset
   * supervises the lab after it, as `up`'s does (lifecycle.c), so the
   * nodes it starts are its children. */
  labo_control_note (lab->name, "reset", lab->name, json_pack ("{s:s, s:s}", "verb", "reset",
                                                                "phase", "begun"),
                     "reset begun: cuts healed, links reset, nodes made again");
  stopped = labo_supervisor_stop (lab->name, SUPERVISOR_STOP_S, err);
  if (stopped < 0)
    goto out;
  /* from here on, whatever happens, the lab is the caller's to supervise */
  *facts = json_pack ("{s:s, s:s, s:b}", "verb", "reset", "phase", "failed", "begun_told",
                      stopped > 0);
  if (stopped > 0)
    labo_progress_stage (&pr, "supervisor", "stopped (a new one takes over after the reset)");
  if ((cuts = labo_heal (lab, -1, -1, err)) < 0)
    goto out;
  labo_progress_stage (&pr, "cuts", "%d healed", cuts);
  if ((links = labo_links_reset_all (lab, err)) < 0)
    goto out;
  labo_progress_stage (&pr, "links", "%d reset", links);
  if (power_on_all (lab, &powered, err) < 0)
    goto out;
  labo_progress_stage (&pr, "power", "%zu host%s on again", powered, powered == 1 ? "" : "s");
  /* nodes paused: thawed and off the record, before they are made again
   * (a new node is not paused) */
  if (labo_pause_host (lab, -1, false, NULL, err) < 0)
    goto out;
  if ((clocks = labo_clock_reset_all (lab, err)) < 0)
    goto out;
  labo_progress_stage (&pr, "clocks", "%d reset", clocks);
  if (labo_lab_reaches (lab, LABO_STAGE_DAEMONS)
      && labo_runtime_of (lab)->reset (lab, &pr, err) < 0)
    goto out;
  /* the restart tallies and give-ups belong to the lab before the reset */
  labo_supervisor_forget (lab->name);
  json_object_set_new (*facts, "phase", json_string ("done"));
  json_object_set_new (*facts, "cuts", json_integer (cuts));
  json_object_set_new (*facts, "links", json_integer (links));
  json_object_set_new (*facts, "powered_on", json_integer ((json_int_t) powered));
  ret = 0;
out:
  if (*facts)
    json_object_set_new (*facts, "ms", json_real ((labo_now () - pr.t0) * 1e3));
  if (ret < 0)
    labo_error_wrap (err, "resetting lab '%s'", lab->name);
  if (ret < 0 && *facts)
    json_object_set_new (*facts, "error", json_string ((*err)->msg));
  if (marked)
    {
      cleanup_free char *mark = xasprintf ("%s/%s", st.dir, LABO_RESET_MARK);
      unlink (mark);
    }
  labo_state_close (&st);
  return ret;
}
