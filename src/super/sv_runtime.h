/* The supervisor's two runtimes, each a table of functions (struct
 * sv_runtime_ops, unit.h) that supervisor.c picks once from the lab's
 * runtime. Included by the runtimes, which define them, and by
 * supervisor.c, which picks one: never by unit.c or sv_probe.c. */
#ifndef LABO_SUPER_SV_RUNTIME_H
#define LABO_SUPER_SV_RUNTIME_H

#include "unit.h"

/* sv_docker.c: a dockerd for each Docker host, the nodes as its containers. */
extern const struct sv_runtime_ops sv_docker_runtime;
/* sv_process.c: the nodes as the supervisor's child processes. */
extern const struct sv_runtime_ops sv_process_runtime;

#endif
