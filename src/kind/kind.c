/* The kinds' table, and the blocking probe round every kind's nodes are
 * asked with: see include/labo/kind/kind.h. */
#include "kind-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "labo/util/util.h"
#include "labo/zk/zk.h"

static const struct labo_kind *const kinds[] = {
  &labo_kind_zookeeper,
};

const struct labo_kind *
labo_kind_of (const struct labo_node *node)
{
  for (size_t i = 0; i < sizeof (kinds) / sizeof (kinds[0]); i++)
    if (kinds[i]->service == node->service)
      return kinds[i];
  fprintf (stderr, "labo: internal error: node %s's service %d is in no kind's row\n",
           node->name, (int) node->service);
  abort ();
}

int
labo_kind_probe (const struct labo_lab *lab, const struct labo_node *node, pid_t pid,
                 int timeout_ms, struct labo_probe_result *out)
{
  const struct labo_kind *kind = labo_kind_of (node);
  char *reply[LABO_KIND_MAX_ASKS] = { NULL }, *error[LABO_KIND_MAX_ASKS] = { NULL };
  cleanup_close int fd = -1;
  labo_error_t err = NULL;
  struct labo_node_reach r;

  memset (out, 0, sizeof (*out));
  out->mode = LABO_MODE_DOWN;
  out->node_count = out->outstanding = out->synced = -1;
  labo_node_reach (lab, node, &r);
  if (r.in_container && pid == 0)
    pid = labo_node_pid (lab, node);
  fd = labo_node_reach_netns (lab, node, &r, pid, &err);
  if (fd < 0)
    {
      snprintf (out->why, sizeof (out->why), "%s", err->msg);
      labo_error_release (&err);
      return -1;
    }
  for (size_t k = 0; k < LABO_KIND_MAX_ASKS; k++)
    {
      char buf[512];
      const char *req = kind->ask (node, k, LABO_MODE_DOWN, buf, sizeof (buf));
      if (req == NULL)
        continue;
      if (labo_zk_4lw (fd, r.addr, r.port, req, timeout_ms, &reply[k], &err) < 0)
        {
          error[k] = xstrdup (err->msg);
          labo_error_release (&err);
        }
    }
  kind->judge (node, (const char *const *) reply, (const char *const *) error, out);
  for (size_t k = 0; k < LABO_KIND_MAX_ASKS; k++)
    {
      free (reply[k]);
      free (error[k]);
    }
  if (!out->alive)
    out->mode = LABO_MODE_DOWN;
  return out->alive ? 0 : -1;
}
