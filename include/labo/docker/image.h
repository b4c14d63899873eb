/* Offline images: built from what the machine has installed, by a recipe in
 * images/<name>/, cached by content, imported into each daemon through the
 * Engine API.
 *
 * The cache key hashes what images/<name>/inputs.sh prints: the recipe's
 * own files and the versions of the Debian packages the image is cut from
 * (a package version pins its files), so a key is computed in milliseconds
 * without reading the 45 MB the image is made of. The tag is the key:
 * labo/zookeeper:<key>. Tars live in /var/cache/labo/images/ (a cache:
 * `labo image prune` empties it). */
#ifndef LABO_IMAGE_H
#define LABO_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "labo/docker/docker.h"
#include "labo/util/error.h"

#define LABO_IMAGE_CACHE "/var/cache/labo/images"

struct labo_image
{
  char *name;     /* "zookeeper" */
  char *recipe;   /* images/zookeeper */
  char *key;      /* 16 hex digits */
  char *ref;      /* "labo/zookeeper:<key>" */
  char *tar;      /* LABO_IMAGE_CACHE/zookeeper-<key>.tar */
  bool built;     /* this call built it (not from the cache) */
  long long size; /* bytes of the tar */
};

/* The directory of image `name`'s recipe, in *dir (caller frees):
 *   - $LABO_IMAGES_DIR/NAME, when that is set;
 *   - else BINDIR/../share/labo/images/NAME, BINDIR being the directory of
 *     exe (the running binary, as /proc/self/exe names it): where `make
 *     install` puts it, whatever PREFIX and DESTDIR were;
 *   - else images/NAME in the source tree exe was built in (its directory
 *     or one of the two above it: ./labo, build/asan/labo).
 * Not found, the error says where it looked. as_root (labo runs the
 * recipe's scripts as root): the directory, every directory above it and
 * every file in it must be root's and writable by no one else, with no
 * link, or it is refused, saying which and why. */
int labo_image_recipe_find (const char *exe, const char *name, bool as_root, char **dir,
                            labo_error_t *err);
/* Finds the recipe directory (above, from /proc/self/exe) and computes the
 * key. */
/* Runs a script of a recipe (argv[0], a path labo_image_recipe_find gave),
 * its stdout in *out (caller frees), its stderr passed through. */
int labo_image_run_recipe (char *const argv[], char **out, labo_error_t *err);
int labo_image_resolve (const char *name, struct labo_image *img, labo_error_t *err);
/* Builds the tar unless the cache has it. */
int labo_image_build (struct labo_image *img, bool quiet, labo_error_t *err);
/* Imports into the daemon unless it has the image already (*imported
 * says which). */
int labo_image_import (struct labo_image *img, struct labo_docker *d, bool *imported,
                       labo_error_t *err);
void labo_image_free (struct labo_image *img);

/* What a recipe's tar lacks of an image: the Dockerfile instructions the
 * import applies ("ENTRYPOINT [...]", "CMD [...]", "ENV K=V", "WORKDIR
 * D", "EXPOSE P/tcp ..."), NULL-terminated; NULL for a recipe labo knows
 * none for. */
const char *const *labo_image_changes (const char *name);
/* Those instructions as an image config's "config" object (Entrypoint,
 * Cmd, Env, WorkingDir, ExposedPorts). Pure. */
json_t *labo_image_config_of_changes (const char *const *changes);

/* Writes the built image (its tar in the cache) to path as a `docker
 * save` archive that `docker load` reads: the rootfs as its one layer,
 * the config from labo_image_changes, tagged tag. Written beside path
 * and renamed: path is whole or absent. src/docker/image-save.c. */
int labo_image_save (const struct labo_image *img, const char *tag, const char *path,
                     labo_error_t *err);

/* 64-bit FNV-1a, hex: the cache key of a text (pure). */
void labo_image_key (const char *text, size_t len, char out[17]);

#endif
