/* A node's image in a daemon: its kind's recipe, or a generic node's
 * recipe or `docker save` archive. See include/labo/kind/kind.h. */
#include "kind-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/docker/docker.h"
#include "labo/docker/image.h"
#include "labo/util/util.h"

#define ARCHIVE_REPO "labo/archive"

static bool
ends_with (const char *s, const char *suffix)
{
  size_t a = strlen (s), b = strlen (suffix);
  return a >= b && strcmp (s + a - b, suffix) == 0;
}

char *
labo_node_image_archive (const struct labo_lab *lab, const struct labo_node *node)
{
  const char *img = node->image, *slash;

  if (node->service != LABO_SERVICE_GENERIC || img == NULL)
    return NULL;
  if (strchr (img, '/') == NULL && !ends_with (img, ".tar") && !ends_with (img, ".tar.gz")
      && !ends_with (img, ".tgz"))
    return NULL; /* a recipe's name */
  if (img[0] == '/')
    return xstrdup (img);
  slash = lab->file ? strrchr (lab->file, '/') : NULL;
  if (slash == NULL)
    return xstrdup (img); /* the lab file is in the current directory */
  return xasprintf ("%.*s/%s", (int) (slash - lab->file), lab->file, img);
}

/* The user's file, opened by root: never through a link at its last
 * component, never anything but a regular file (a FIFO would hang `up`,
 * a device would be read as an image). */
static int
archive_open (const struct labo_node *node, const char *path, struct stat *st,
              labo_error_t *err)
{
  int fd = open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

  if (fd < 0 && errno == ELOOP)
    return labo_error_make (err, ELOOP,
                            "node %s: image archive %s is a symbolic link: give the file "
                            "itself (labo opens it as root, and follows no link to it)",
                            node->name, path);
  if (fd < 0)
    return labo_error_errno (err, "node %s: opening image archive %s", node->name, path);
  if (fstat (fd, st) < 0)
    {
      labo_error_errno (err, "node %s: reading image archive %s", node->name, path);
      close (fd);
      return -1;
    }
  if (!S_ISREG (st->st_mode))
    {
      labo_error_make (err, EINVAL,
                       "node %s: image archive %s is not a regular file (a `docker save` "
                       "archive, .tar or .tar.gz, expected)",
                       node->name, path);
      close (fd);
      return -1;
    }
  /* O_NONBLOCK was for the open only (a FIFO's); a file reads the same */
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

/* The archive's key: the file's identity, not its content (hashing
 * gigabytes at each up would cost more than loading them). */
static void
archive_key (const char *path, const struct stat *st, char key[17])
{
  cleanup_free char *id
      = xasprintf ("%s\n%llu:%llu:%lld:%lld.%09ld", path, (unsigned long long) st->st_dev,
                   (unsigned long long) st->st_ino, (long long) st->st_size,
                   (long long) st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
  labo_image_key (id, strlen (id), key);
}

static int
archive_prepare (const struct labo_node *node, const char *path, struct labo_docker *d,
                 char **ref, labo_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *tagged = NULL, *loaded = NULL;
  struct stat st;
  char key[17];
  bool have = false;

  fd = archive_open (node, path, &st, err);
  if (fd < 0)
    return -1;
  archive_key (path, &st, key);
  tagged = xasprintf (ARCHIVE_REPO ":%s", key);
  if (labo_docker_image_exists (d, tagged, &have, err) < 0)
    return labo_error_wrap (err, "node %s", node->name);
  if (!have)
    {
      if (labo_docker_image_load (d, fd, path, &loaded, err) < 0
          || labo_docker_image_tag (d, loaded, ARCHIVE_REPO, key, err) < 0)
        return labo_error_wrap (err, "node %s", node->name);
    }
  *ref = steal_ptr (&tagged);
  return 0;
}

static int
recipe_prepare (const struct labo_node *node, const char *name, struct labo_docker *d,
                char **ref, labo_error_t *err)
{
  struct labo_image img = { 0 };
  bool imported;
  int ret = -1;

  if (labo_image_resolve (name, &img, err) < 0 || labo_image_build (&img, true, err) < 0
      || labo_image_import (&img, d, &imported, err) < 0)
    labo_error_wrap (err, "node %s: image %s", node->name, name);
  else
    {
      *ref = steal_ptr (&img.ref);
      ret = 0;
    }
  labo_image_free (&img);
  return ret;
}

int
labo_node_image_prepare (const struct labo_lab *lab, const struct labo_node *node,
                         struct labo_docker *d, char **ref, labo_error_t *err)
{
  const struct labo_kind *kind = labo_kind_of (node);
  cleanup_free char *archive = labo_node_image_archive (lab, node);

  *ref = NULL;
  if (archive)
    return archive_prepare (node, archive, d, ref, err);
  if (kind->recipe == NULL && node->image == NULL)
    return labo_error_make (err, EINVAL, "node %s: no image", node->name);
  return recipe_prepare (node, kind->recipe ? kind->recipe : node->image, d, ref, err);
}

int
labo_node_image_ref (const struct labo_lab *lab, const struct labo_node *node, char **ref,
                     labo_error_t *err)
{
  const struct labo_kind *kind = labo_kind_of (node);
  cleanup_free char *archive = labo_node_image_archive (lab, node);
  struct labo_image img = { 0 };

  *ref = NULL;
  if (archive)
    {
      cleanup_close int fd = -1;
      struct stat st;
      char key[17];

      fd = archive_open (node, archive, &st, err);
      if (fd < 0)
        return -1;
      archive_key (archive, &st, key);
      *ref = xasprintf (ARCHIVE_REPO ":%s", key);
      return 0;
    }
  if (kind->recipe == NULL && node->image == NULL)
    return labo_error_make (err, EINVAL, "node %s: no image", node->name);
  if (labo_image_resolve (kind->recipe ? kind->recipe : node->image, &img, err) < 0)
    {
      labo_image_free (&img);
      return labo_error_wrap (err, "node %s: image %s", node->name,
                              kind->recipe ? kind->recipe : node->image);
    }
  *ref = steal_ptr (&img.ref);
  labo_image_free (&img);
  return 0;
}
