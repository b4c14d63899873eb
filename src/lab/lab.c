/* The lab model: releasing it and finding its objects by name. */
#include "labo/lab.h"

#include <stdlib.h>
#include <string.h>

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
    free (lab->segments[i].name);
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      free (lab->nodes[i].name);
      free (lab->nodes[i].ports);
    }
  free (lab->nodes);
  free (lab->overlay.name);
  free (lab->hosts);
  free (lab->segments);
  free (lab->links);
  free (lab->name);
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

size_t
labo_lab_docker_hosts (const struct labo_lab *lab)
{
  size_t n = 0;
  for (size_t i = 0; i < lab->n_hosts; i++)
    if (lab->hosts[i].docker != LABO_DOCKER_NONE)
      n++;
  return n;
}
