/* The lab model: releasing it and finding its objects by name. */
#include "labo/model/lab.h"

#include <stdlib.h>
#include <string.h>

static void
free_strv (char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

static void
node_free (struct labo_node *node)
{
  free (node->name);
  free (node->ports);
  free (node->image);
  free_strv (node->command, node->n_command);
  free_strv (node->env, node->n_env);
  for (size_t b = 0; b < node->n_binds; b++)
    {
      free (node->binds[b].source);
      free (node->binds[b].target);
    }
  free (node->binds);
  free_strv (node->health.argv, node->health.n_argv);
  free (node->health.url);
  free (node->after);
}

void
labo_lab_free (struct labo_lab *lab)
{
  if (lab == NULL)
    return;
  for (size_t i = 0; i < lab->n_hosts; i++)
    {
      free (lab->hosts[i].name);
      free (lab->hosts[i].routes);
    }
  for (size_t i = 0; i < lab->n_segments; i++)
    {
      free (lab->segments[i].name);
      free (lab->segments[i].root_allow);
      free (lab->segments[i].root_expose);
    }
  for (size_t i = 0; i < lab->n_nodes; i++)
    node_free (&lab->nodes[i]);
  free (lab->nodes);
  free (lab->overlay.name);
  free (lab->hosts);
  free (lab->segments);
  free (lab->links);
  free (lab->name);
  free (lab->copy_of);
  free (lab->file);
  free (lab);
}

void
labo_lab_freep (struct labo_lab **lab)
{
  labo_lab_free (*lab);
  *lab = NULL;
}

/* Labs are small (tens of objects): a linear scan beats keeping an index in
 * sync with the arrays. */
long
labo_lab_find_host (const struct labo_lab *lab, const char *name)
{
  for (size_t i = 0; i < lab->n_hosts; i++)
    if (strcmp (lab->hosts[i].name, name) == 0)
      return (long) i;
  return -1;
}

long
labo_lab_find_segment (const struct labo_lab *lab, const char *name)
{
  for (size_t i = 0; i < lab->n_segments; i++)
    if (strcmp (lab->segments[i].name, name) == 0)
      return (long) i;
  return -1;
}

long
labo_lab_find_node (const struct labo_lab *lab, const char *name)
{
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (strcmp (lab->nodes[i].name, name) == 0)
      return (long) i;
  return -1;
}

struct labo_supervise
labo_supervise_defaults (void)
{
  /* A first restart at once (the benchmark's "serving again" is mostly
   * Docker's and the JVM's), then 0.5, 1, 2... s while deaths come quick;
   * five deaths in a minute is a thing that will not run. */
  return (struct labo_supervise){ .restart = true,
                                  .min_gap_ms = 1000,
                                  .backoff_ms = 500,
                                  .backoff_max_ms = 30000,
                                  .backoff_reset_ms = 10000,
                                  .give_up_deaths = 5,
                                  .give_up_within_ms = 60000,
                                  .probe_interval_ms = 2000,
                                  .probe_timeout_ms = 1000,
                                  .probe_failures = 3,
                                  .probe_grace_ms = 60000 };
}

static const char *const runtime_names[] = { "auto", "docker", "process" };

const char *
labo_runtime_name (enum labo_runtime r)
{
  return (size_t) r < sizeof (runtime_names) / sizeof (runtime_names[0]) ? runtime_names[r]
                                                                           : "unknown";
}

int
labo_runtime_parse (const char *s, enum labo_runtime *out)
{
  for (size_t i = 0; i < sizeof (runtime_names) / sizeof (runtime_names[0]); i++)
    if (strcmp (s, runtime_names[i]) == 0)
      {
        *out = (enum labo_runtime) i;
        return 0;
      }
  return -1;
}

static const char *const stage_names[]
    = { "services", "network", "daemons", "swarm", "overlay", "containers", "services" };

const char *
labo_stage_name (enum labo_stage s)
{
  return (size_t) s < sizeof (stage_names) / sizeof (stage_names[0]) ? stage_names[s]
                                                                       : "unknown";
}

int
labo_stage_parse (const char *s, enum labo_stage *out)
{
  /* from 1: "services" is the last stage, not ALL's alias */
  for (size_t i = 1; i < sizeof (stage_names) / sizeof (stage_names[0]); i++)
    if (strcmp (s, stage_names[i]) == 0)
      {
        *out = (enum labo_stage) i;
        return 0;
      }
  return -1;
}

long
labo_lab_manager (const struct labo_lab *lab)
{
  for (size_t h = 0; h < lab->n_hosts; h++)
    if (lab->hosts[h].docker == LABO_DOCKER_MANAGER)
      return (long) h;
  return -1;
}

size_t
labo_lab_by_hand_nodes (const struct labo_lab *lab)
{
  size_t n = 0;
  for (size_t i = 0; i < lab->n_nodes; i++)
    n += labo_node_by_hand (lab, &lab->nodes[i]);
  return n;
}

size_t
labo_lab_docker_hosts (const struct labo_lab *lab)
{
  size_t n = 0;
  for (size_t i = 0; i < lab->n_hosts; i++)
    if (lab->hosts[i].docker != LABO_DOCKER_NONE)
      n++;
  return n;
}

int
labo_host_api_port (const struct labo_host *host)
{
  switch (host->docker_tcp)
    {
    case LABO_API_TLS:
      return LABO_API_TLS_PORT;
    case LABO_API_INSECURE:
      return LABO_API_INSECURE_PORT;
    case LABO_API_OFF:
    default:
      return 0;
    }
}

int
labo_node_client_port (const struct labo_node *node)
{
  for (size_t p = 0; p < node->n_ports; p++)
    if (node->ports[p].container_port == node->client_port)
      return node->ports[p].host_port;
  return -1;
}

void
labo_node_reach_port (const struct labo_lab *lab, const struct labo_node *node, uint16_t port,
                      struct labo_node_reach *r)
{
  for (size_t p = 0; p < node->n_ports; p++)
    if (node->ports[p].container_port == port)
      {
        *r = (struct labo_node_reach){ lab->hosts[node->host].lab_address,
                                       node->ports[p].host_port, false };
        return;
      }
  *r = (struct labo_node_reach){ node->address, port, lab->runtime != LABO_RUNTIME_PROCESS };
}

void
labo_node_reach (const struct labo_lab *lab, const struct labo_node *node,
                 struct labo_node_reach *r)
{
  labo_node_reach_port (lab, node, (uint16_t) node->client_port, r);
}
