/* The generic kind: a node of the user's own image (`image:`, `command:`,
 * `env:`, `binds:`), healthy by its `health:` (tcp, exec, http), or while
 * it runs when it has none. See include/labo/kind/kind.h. */
#include "kind-internal.h"

#include <jansson.h>

#include "labo/docker/docker.h"

static uint16_t
generic_port (const struct labo_node *node)
{
  return labo_health_port (&node->health);
}

static const char *
generic_ask (const struct labo_node *node, size_t k, enum labo_mode was, char *buf,
             size_t size)
{
  (void) was;
  return labo_health_ask (&node->health, k, buf, size);
}

static char *const *
generic_exec (const struct labo_node *node)
{
  return node->health.kind == LABO_HEALTH_EXEC ? node->health.argv : NULL;
}

static void
generic_judge (const struct labo_node *node, const char *const reply[LABO_KIND_MAX_ASKS],
               const char *const error[LABO_KIND_MAX_ASKS], struct labo_probe_result *out)
{
  labo_health_judge (&node->health, reply, error, out);
}

static json_t *
strv_json (char *const *v)
{
  json_t *a = json_array ();
  for (size_t i = 0; v && v[i]; i++)
    json_array_append_new (a, json_string (v[i]));
  return a;
}

static json_t *
generic_container_spec (const struct labo_lab *lab, const struct labo_node *node,
                             const char *image, labo_error_t *err)
{
  json_t *spec, *hc, *binds = json_array ();

  (void) err;
  spec = labo_docker_container_body (lab, node, image, (const char *const *) node->env);
  if (node->command)
    json_object_set_new (spec, "Cmd", strv_json (node->command));
  hc = json_object_get (spec, "HostConfig");
  for (size_t i = 0; i < node->n_binds; i++)
    {
      const struct labo_bind *b = &node->binds[i];
      json_array_append_new (binds, json_sprintf ("%s:%s%s", b->source, b->target,
                                                  b->read_only ? ":ro" : ""));
    }
  json_object_set_new (hc, "Binds", binds);
  /* The user's own image, with what it was made for: Docker's default
   * capability set (docs/security.md), never more (no CapAdd, no
   * privileged), and no way to gain privileges past it (setuid files,
   * file capabilities). RestartPolicy "no" comes with the body: the
   * supervisor restarts. */
  json_object_set_new (hc, "SecurityOpt", json_pack ("[s]", "no-new-privileges"));
  return spec;
}

static void
generic_stack_service (const struct labo_lab *lab, const struct labo_node *node, json_t *svc,
                       json_t *notes)
{
  labo_stack_env (svc, node->env);
  if (node->command)
    json_object_set_new (svc, "command", strv_json (node->command));
  if (node->n_binds > 0)
    {
      json_t *vols = json_array ();
      for (size_t i = 0; i < node->n_binds; i++)
        {
          const struct labo_bind *b = &node->binds[i];
          json_array_append_new (vols, json_sprintf ("%s:%s%s", b->source, b->target,
                                                     b->read_only ? ":ro" : ""));
          json_array_append_new (notes,
                                 json_sprintf ("node %s: %s is bound from its host: it must "
                                               "exist on %s",
                                               node->name, b->source,
                                               lab->hosts[node->host].name));
        }
      json_object_set_new (svc, "volumes", vols);
    }
  labo_health_stack (node, &node->health, false, svc, notes);
}

const struct labo_kind labo_kind_generic = {
  .service = LABO_SERVICE_GENERIC,
  .name = "generic",
  .recipe = NULL,
  .elects = false,
  .port = generic_port,
  .ask = generic_ask,
  .exec = generic_exec,
  .judge = generic_judge,
  .container_spec = generic_container_spec,
  .stack_service = generic_stack_service,
};
