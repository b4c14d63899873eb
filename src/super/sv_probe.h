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
json_t *sv_node_probe_json (const struct sv_node *n);

#endif
