/* Privilege checks with libcap: tell the user which capability is missing
 * before anything is made, rather than fail half-way with EPERM. */
#ifndef LABO_CAPS_H
#define LABO_CAPS_H

#include <sys/types.h>

#include "labo/util/error.h"

/* Fails (status EPERM) naming every capability of CAP_NET_ADMIN and
 * CAP_SYS_ADMIN missing from the effective set, and how to run `verb`. */
int labo_caps_require (const char *verb, labo_error_t *err);

/* For a service labo starts as root (the process runtime's nodes): every
 * capability out of every set (bounding, ambient, then the rest), uid and
 * gid, no supplementary groups, no_new_privs. In a child about to exec. */
int labo_drop_privileges (uid_t uid, gid_t gid, labo_error_t *err);

#endif
