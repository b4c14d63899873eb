/* The kinds' table, and the blocking probe round every kind's nodes are
 * asked with: see include/labo/kind/kind.h. */
#include "kind-internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "labo/host/host.h"
#include "labo/util/util.h"
#include "labo/zk/zk.h"

static const struct labo_kind *const kinds[] = {
  &labo_kind_zookeeper,
  &labo_kind_etcd,
  &labo_kind_shell,
  &labo_kind_generic,
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

/* *text gains "; " and the words fmt makes */
static void __attribute__ ((format (printf, 2, 3)))
say (char **text, const char *fmt, ...)
{
  va_list ap;
  char *more, *t;

  va_start (ap, fmt);
  if (vasprintf (&more, fmt, ap) < 0)
    abort ();
  va_end (ap);
  t = xasprintf ("%s%s%s", *text, **text ? "; " : "", more);
  free (more);
  free (*text);
  *text = t;
}

bool
labo_kind_services_ready (const struct labo_lab *lab, const enum labo_mode *modes, char **text)
{
  const size_t n_rows = sizeof (kinds) / sizeof (kinds[0]);
  cleanup_free enum labo_mode *sub = xcalloc (lab->n_nodes + 1, sizeof (*sub));
  cleanup_free size_t *idx = xcalloc (lab->n_nodes + 1, sizeof (*idx));
  size_t electing = 0, healthy = 0, others = 0;
  bool ready = true;

  *text = xstrdup ("");
  for (size_t r = 0; r < n_rows; r++)
    for (size_t i = 0; i < lab->n_nodes; i++)
      if (kinds[r]->elects && labo_kind_of (&lab->nodes[i]) == kinds[r])
        {
          electing++;
          break;
        }
  /* each electing kind's nodes, an ensemble of their own */
  for (size_t r = 0; r < n_rows; r++)
    {
      const struct labo_kind *k = kinds[r];
      const char *what = k->service == LABO_SERVICE_ZOOKEEPER ? "server" : "member";
      struct labo_ensemble e;
      size_t n = 0;
      if (!k->elects)
        continue;
      for (size_t i = 0; i < lab->n_nodes; i++)
        if (labo_kind_of (&lab->nodes[i]) == k)
          {
            idx[n] = i;
            sub[n++] = modes[i];
          }
      if (n == 0)
        continue;
      labo_ensemble_assess (sub, n, &e);
      if (e.quorum && e.serving == n)
        say (text, "%s%s%s leads %zu %s%s", electing > 1 ? k->name : "", electing > 1 ? ": " : "",
             lab->nodes[idx[e.leader]].name, n, what, n == 1 ? "" : "s");
      else
        {
          ready = false;
          say (text, "%s%s%zu of %zu %ss serving", electing > 1 ? k->name : "",
               electing > 1 ? ": " : "", e.serving, n, what);
        }
    }
  /* the others: healthy or not */
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (!labo_kind_of (&lab->nodes[i])->elects)
      {
        others++;
        healthy += modes[i] == LABO_MODE_HEALTHY;
      }
  if (others > 0)
    {
      say (text, "%zu of %zu other node%s healthy", healthy, others, others == 1 ? "" : "s");
      ready = ready && healthy == others;
    }
  return ready;
}

void
labo_kind_exec_outcome (char *const *argv, int status, const char *out, int timeout_ms,
                        char **reply, char **error)
{
  char cmd[64];
  int line = out ? (int) strcspn (out, "\n") : 0;

  *reply = *error = NULL;
  if (status == 0)
    {
      *reply = xstrdup (out ? out : "");
      return;
    }
  /* the command as the lab file has it, cut: "`test -e /tmp/ok`" */
  cmd[0] = '\0';
  for (size_t i = 0; argv[i]; i++)
    {
      size_t l = strlen (cmd);
      snprintf (cmd + l, sizeof (cmd) - l, "%s%s", i ? " " : "", argv[i]);
    }
  if (status < 0)
    *error = xasprintf ("running `%s`: %s", cmd, out ? out : "failed");
  else if (status == 124)
    *error = xasprintf ("`%s` timed out after %d ms", cmd, timeout_ms);
  else if (status == 125)
    *error = xasprintf ("`%s`: could not enter the node%s%.*s", cmd, line ? ": " : "",
                        line > 100 ? 100 : line, out ? out : "");
  else
    *error = xasprintf ("`%s` exited %d%s%.*s", cmd, status, line ? ": " : "",
                        line > 100 ? 100 : line, out ? out : "");
}

/* A round with no request over TCP: the check runs in the node (exec), or
 * there is nothing to ask and the node is healthy while it runs. */
static void
probe_in_node (const struct labo_lab *lab, const struct labo_node *node, char *const *argv,
               pid_t pid, int timeout_ms, char **reply, char **error)
{
  labo_error_t err = NULL;
  char *out = NULL;
  int status;

  if (pid == 0)
    pid = labo_node_pid (lab, node);
  if (pid <= 0)
    {
      *error = xasprintf ("node %s is not running", node->name);
      return;
    }
  if (argv == NULL)
    {
      *reply = xstrdup ("");
      return;
    }
  status = labo_pid_run (pid, node->name, argv, NULL, timeout_ms, LABO_KIND_EXEC_OUT_MAX, &out,
                         &err);
  labo_kind_exec_outcome (argv, status, status < 0 ? err->msg : out, timeout_ms, reply, error);
  labo_error_release (&err);
  free (out);
}

int
labo_kind_probe (const struct labo_lab *lab, const struct labo_node *node, pid_t pid,
                 int timeout_ms, struct labo_probe_result *out)
{
  const struct labo_kind *kind = labo_kind_of (node);
  char *reply[LABO_KIND_MAX_ASKS] = { NULL }, *error[LABO_KIND_MAX_ASKS] = { NULL };
  char *const *argv = kind->exec ? kind->exec (node) : NULL;
  uint16_t port = kind->port (node);
  cleanup_close int fd = -1;
  labo_error_t err = NULL;
  struct labo_node_reach r;

  memset (out, 0, sizeof (*out));
  out->mode = LABO_MODE_DOWN;
  out->node_count = out->outstanding = out->synced = -1;
  if (argv != NULL || port == 0)
    {
      probe_in_node (lab, node, argv, pid, timeout_ms, &reply[0], &error[0]);
      goto judge;
    }
  labo_node_reach_port (lab, node, port, &r);
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
      cleanup_free char *buf = xmalloc (LABO_KIND_ASK_MAX);
      const char *req = kind->ask (node, k, LABO_MODE_DOWN, buf, LABO_KIND_ASK_MAX);
      if (req == NULL)
        continue;
      if (labo_zk_4lw (fd, r.addr, r.port, req, timeout_ms, &reply[k], &err) < 0)
        {
          error[k] = xstrdup (err->msg);
          labo_error_release (&err);
        }
    }
judge:
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
