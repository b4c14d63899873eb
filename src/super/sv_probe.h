/* The supervisor's probes of its nodes and its view of the ensemble
 * (sv_probe.c): what the runtimes call as their nodes start and die, and
 * what the status reads. A hung node is killed through the runtime's
 * table (sv->ops), never by calling a runtime. */
#ifndef LABO_SUPER_SV_PROBE_H
#define LABO_SUPER_SV_PROBE_H

#include <jansson.h>

#include "unit.h"

void sv_probe_begin (struct sv_node *n); /* at its start: probes from now */
void sv_probe_end (struct sv_node *n);   /* at its death (nothing in flight after) */
/* Looks at the nodes' modes again: a new leader, a quorum lost or back is an event. */
void sv_ensemble_check (struct sv *sv);
/* `labo pause` / `labo resume` (engine/pause.h): while paused, no probe
 * is asked (a frozen node answers nothing, and must not be found hung and
 * killed), its mode is down for the ensemble, status says paused. */
void sv_probe_hold (struct sv_node *n, bool paused);
/* Its process died: a pause ends with it (the next run is not frozen),
 * on record too. */
void sv_probe_pause_lost (struct sv_node *n);
json_t *sv_node_probe_json (const struct sv_node *n);

#endif
