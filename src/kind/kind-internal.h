/* The kinds' rows, one file each (src/kind/NAME.c); kind.c holds the
 * table. Included by src/kind/ only. */
#ifndef LABO_KIND_INTERNAL_H
#define LABO_KIND_INTERNAL_H

#include <jansson.h>

#include "labo/kind/kind.h"

extern const struct labo_kind labo_kind_zookeeper;
extern const struct labo_kind labo_kind_etcd;
extern const struct labo_kind labo_kind_shell;
extern const struct labo_kind labo_kind_generic;

/* Export: a node's `health:` (tcp, exec, http) as a Compose healthcheck in
 * svc, where the image surely has what it takes: exec always (its command
 * is the user's, as labo runs it); tcp only in labo's own images (bash,
 * whose /dev/tcp opens the connection); http never (no tool is known to be
 * in a user's image). What is left out is said in notes. health.c. */
void labo_health_stack (const struct labo_node *node, const struct labo_health *h,
                        bool own_image, json_t *svc, json_t *notes);
/* Appends "KEY=VALUE" strings to svc's "environment" list (made if absent). */
void labo_stack_env (json_t *svc, char *const *env);

#endif
