/* The kinds' rows, one file each (src/kind/NAME.c); kind.c holds the
 * table. Included by src/kind/ only. */
#ifndef LABO_KIND_INTERNAL_H
#define LABO_KIND_INTERNAL_H

#include "labo/kind/kind.h"

extern const struct labo_kind labo_kind_zookeeper;
extern const struct labo_kind labo_kind_etcd;
extern const struct labo_kind labo_kind_shell;
extern const struct labo_kind labo_kind_generic;

#endif
