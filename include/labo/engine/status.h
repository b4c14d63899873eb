/* What a lab looks like right now, as JSON (jansson): the model it was
 * brought up from, checked against the kernel (namespaces, interfaces, their
 * state and addresses). The JSON form is a stable interface, documented in
 * docs/status.md; the human form is printed from the same object, so the
 * two never disagree. */
#ifndef LABO_STATUS_H
#define LABO_STATUS_H

#include <jansson.h>
#include <stdio.h>

#include "labo/util/error.h"

#define LABO_STATUS_SCHEMA 1

/* Returns a new reference, or NULL with err set. */
json_t *labo_status_json (const char *lab, labo_error_t *err);
void labo_status_print (json_t *status, FILE *out);

/* "up", "building" (an up in progress), "failed" (an up that died: run down). */
char *labo_status_state (const char *lab);

#endif
