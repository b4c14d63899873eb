/* The shell kind: the tutorial's ubuntu-sshd stand-in, labo's own image
 * (images/zookeeper) with LABO_START=shell: sshd and the usual tools, no
 * ZooKeeper. Healthy while sshd accepts a connection on its port 22, from
 * where labo_node_reach_port says (in the container: sshd listens on the
 * overlay address only), unless its `health:` says otherwise. See
 * include/labo/kind/kind.h. */
#include "kind-internal.h"

#include <jansson.h>

#include "labo/zk/zk.h"

static const struct labo_health sshd_health = { .kind = LABO_HEALTH_TCP, .port = 22 };

static const struct labo_health *
health_of (const struct labo_node *node)
{
  return node->health.kind == LABO_HEALTH_DEFAULT ? &sshd_health : &node->health;
}

static uint16_t
shell_port (const struct labo_node *node)
{
  return labo_health_port (health_of (node));
}

static const char *
shell_ask (const struct labo_node *node, size_t k, enum labo_mode was, char *buf, size_t size)
{
  (void) was;
  return labo_health_ask (health_of (node), k, buf, size);
}

static char *const *
shell_exec (const struct labo_node *node)
{
  return node->health.kind == LABO_HEALTH_EXEC ? node->health.argv : NULL;
}

static void
shell_judge (const struct labo_node *node, const char *const reply[LABO_KIND_MAX_ASKS],
             const char *const error[LABO_KIND_MAX_ASKS], struct labo_probe_result *out)
{
  labo_health_judge (health_of (node), reply, error, out);
}

/* ZooKeeper's node without ZooKeeper: root with sshd's capabilities, its
 * keys when made at once, and nothing of the machine (no data directory). */
static json_t *
shell_container_spec (const struct labo_lab *lab, const struct labo_node *node,
                      const char *image, labo_error_t *err)
{
  bool by_hand = labo_node_by_hand (lab, node);
  (void) err;
  return labo_node_sshd_spec (lab, node, image, (const char *const *) node->env, "shell",
                              !by_hand);
}

/* No sshd in an exported shell node: it would listen on the node's fixed
 * overlay address (LABO_SSH_LISTEN), which Swarm does not give, and root's
 * password is public. The node runs the entrypoint's wait. */
static void
shell_stack_service (const struct labo_lab *lab, const struct labo_node *node, json_t *svc,
                     json_t *notes)
{
  char *start[] = { (char *) "LABO_START=shell", NULL };

  (void) lab;
  labo_stack_env (svc, node->env);
  labo_stack_env (svc, start);
  if (node->health.kind == LABO_HEALTH_DEFAULT)
    json_array_append_new (notes, json_sprintf ("node %s: its health check (sshd on port 22) "
                                                "is not carried: the stack runs no sshd",
                                                node->name));
  else
    labo_health_stack (node, &node->health, true, svc, notes);
}

const struct labo_kind labo_kind_shell = {
  .service = LABO_SERVICE_SHELL,
  .name = "shell",
  .recipe = "zookeeper",
  .elects = false,
  .sshd = true,
  .port = shell_port,
  .ask = shell_ask,
  .exec = shell_exec,
  .judge = shell_judge,
  .container_spec = shell_container_spec,
  .stack_service = shell_stack_service,
};
