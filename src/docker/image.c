/* Offline images, cached by content: see include/labo/docker/image.h. */
#include "labo/docker/image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "labo/util/fs.h"
#include "labo/util/util.h"

void
labo_image_key (const char *text, size_t len, char out[17])
{
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++)
    {
      h ^= (unsigned char) text[i];
      h *= 0x100000001b3ULL;
    }
  snprintf (out, 17, "%016llx", (unsigned long long) h);
}

/* path without its last component: "/usr/bin" of "/usr/bin/labo", "" of
 * "/labo" (so that "" + "/share" makes "/share", a path with no "..") */
static char *
parent_of (const char *path)
{
  const char *slash = strrchr (path, '/');
  return slash ? xasprintf ("%.*s", (int) (slash - path), path) : xstrdup ("");
}

static bool
present (const char *path)
{
  struct stat st;
  return lstat (path, &st) == 0;
}

/* May root run what is in dir? The directory and every one above it are
 * root's and writable by no one else (labo_fs_check_secure), and so is each
 * entry in it, none a link: a recipe is flat, and its scripts run one
 * another by their place in it. */
static int
check_recipe (const char *dir, labo_error_t *err)
{
  cleanup_close int fd = -1;
  DIR *d;
  struct dirent *de;
  int ret = 0;

  if (labo_fs_check_secure ("the image recipe's directory", dir, err) < 0)
    return -1;
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return labo_error_errno (err, "opening the image recipe %s", dir);
  d = fdopendir (dup (fd));
  if (d == NULL)
    return labo_error_errno (err, "reading the image recipe %s", dir);
  while (ret == 0 && (de = readdir (d)) != NULL)
    {
      struct stat st;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fstatat (fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        ret = labo_error_errno (err, "inspecting %s/%s", dir, de->d_name);
      else if (S_ISLNK (st.st_mode))
        ret = labo_error_make (err, 0, "%s/%s is a symbolic link: root runs no recipe "
                                       "through a link", dir, de->d_name);
      else if (st.st_uid != 0)
        ret = labo_error_make (err, 0, "%s/%s belongs to uid %d, not root: another user "
                                       "could change what root runs", dir, de->d_name,
                               (int) st.st_uid);
      else if (st.st_mode & 022)
        ret = labo_error_make (err, 0, "%s/%s is writable by %s: another user could change "
                                       "what root runs", dir, de->d_name,
                               (st.st_mode & 002) ? "everyone" : "its group");
    }
  closedir (d);
  return ret;
}

/* The source tree a binary was built in: its directory or one of the two
 * above it (./labo, build/asan/labo) holds images/NAME/build-rootfs.sh.
 * *tried lists the directories looked in. */
static char *
find_in_source_tree (const char *bindir, const char *name, char **tried)
{
  cleanup_free char *up = xstrdup (bindir);

  *tried = NULL;
  for (int level = 0; level < 3; level++)
    {
      cleanup_free char *script = xasprintf ("%s/images/%s/build-rootfs.sh", up, name);
      char *grown;
      if (present (script))
        return xasprintf ("%s/images/%s", up, name);
      grown = xasprintf ("%s%s%s", *tried ? *tried : "", *tried ? ", " : "", up[0] ? up : "/");
      free (*tried);
      *tried = grown;
      if (up[0] == '\0')
        break;
      grown = parent_of (up);
      free (up);
      up = grown;
    }
  return NULL;
}

int
labo_image_recipe_find (const char *exe, const char *name, bool as_root, char **dir,
                        labo_error_t *err)
{
  const char *env = getenv ("LABO_IMAGES_DIR");
  cleanup_free char *bindir = NULL;
  cleanup_free char *prefix = NULL;
  cleanup_free char *installed = NULL;
  cleanup_free char *tried = NULL;
  char *found = NULL;

  *dir = NULL;
  if (!labo_fs_component_ok (name))
    return labo_error_make (err, 0, "invalid image name '%s'", name);
  if (env && *env)
    {
      found = xasprintf ("%s/%s", env, name);
      if (!present (found))
        {
          labo_error_make (err, 0, "image recipe %s not found (LABO_IMAGES_DIR=%s)", found, env);
          free (found);
          return -1;
        }
    }
  else
    {
      if (exe == NULL || exe[0] != '/')
        return labo_error_make (err, 0, "image recipe '%s': labo cannot tell where its own "
                                        "binary is (/proc/self/exe), hence its data; set "
                                        "LABO_IMAGES_DIR", name);
      /* installed: `make install` puts the binary in BINDIR and the data in
       * BINDIR/../share/labo, for any PREFIX and under any DESTDIR (the
       * path is made without "..", as labo_fs_check_secure wants it) */
      bindir = parent_of (exe);
      prefix = parent_of (bindir);
      installed = xasprintf ("%s/share/labo/images/%s", prefix, name);
      if (present (installed))
        found = xstrdup (installed);
      else
        found = find_in_source_tree (bindir, name, &tried);
      if (found == NULL)
        return labo_error_make (err, 0, "image recipe '%s' not found: looked in %s (where "
                                        "make install puts it, beside %s) and for a source "
                                        "tree's images/%s in %s; reinstall labo, or set "
                                        "LABO_IMAGES_DIR", name, installed,
                                bindir[0] ? bindir : "/", name, tried);
    }
  if (as_root && check_recipe (found, err) < 0)
    {
      free (found);
      return -1;
    }
  *dir = found;
  return 0;
}

/* Runs argv with stdout captured (if out) and stderr passed through. */
static int
run (char *const argv[], char **out, labo_error_t *err)
{
  int pipefd[2] = { -1, -1 };
  pid_t pid;
  int status;
  size_t len = 0, cap = 4096;

  if (out && pipe2 (pipefd, O_CLOEXEC) < 0)
    return labo_error_errno (err, "pipe");
  fflush (NULL);
  pid = fork ();
  if (pid < 0)
    {
      int saved = errno;
      if (out)
        {
          close (pipefd[0]);
          close (pipefd[1]);
        }
      return labo_error_make (err, saved, "forking %s", argv[0]);
    }
  if (pid == 0)
    {
      if (out)
        dup2 (pipefd[1], 1);
      execv (argv[0], argv);
      fprintf (stderr, "labo: running %s: %s\n", argv[0], strerror (errno));
      _exit (127);
    }
  if (out)
    {
      close (pipefd[1]);
      *out = xmalloc (cap);
      for (;;)
        {
          ssize_t r;
          if (len + 1 >= cap)
            *out = xrealloc (*out, cap *= 2);
          r = read (pipefd[0], *out + len, cap - len - 1);
          if (r < 0 && errno == EINTR)
            continue;
          if (r <= 0)
            break;
          len += (size_t) r;
        }
      (*out)[len] = '\0';
      close (pipefd[0]);
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return labo_error_errno (err, "waiting for %s", argv[0]);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      if (out)
        {
          free (*out);
          *out = NULL;
        }
      return labo_error_make (err, 0, "%s failed (%s %d)", argv[0],
                              WIFEXITED (status) ? "exit status" : "signal",
                              WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status));
    }
  return 0;
}

int
labo_image_run_recipe (char *const argv[], char **out, labo_error_t *err)
{
  return run (argv, out, err);
}

int
labo_image_resolve (const char *name, struct labo_image *img, labo_error_t *err)
{
  cleanup_free char *inputs_sh = NULL;
  cleanup_free char *inputs = NULL;
  char key[17];

  memset (img, 0, sizeof (*img));
  img->name = xstrdup (name);
  {
    /* the kernel's name of the binary: absolute, links resolved */
    char exe[PATH_MAX];
    ssize_t n = readlink ("/proc/self/exe", exe, sizeof (exe) - 1);
    exe[n > 0 ? n : 0] = '\0';
    if (labo_image_recipe_find (exe, name, geteuid () == 0, &img->recipe, err) < 0)
      return -1;
  }
  inputs_sh = xasprintf ("%s/inputs.sh", img->recipe);
  if (access (inputs_sh, X_OK) < 0)
    return labo_error_errno (err, "image recipe %s", inputs_sh);
  {
    char *argv[] = { inputs_sh, NULL };
    if (run (argv, &inputs, err) < 0)
      return labo_error_wrap (err, "computing the cache key of image %s", name);
  }
  labo_image_key (inputs, strlen (inputs), key);
  img->key = xstrdup (key);
  img->ref = xasprintf ("labo/%s:%s", name, key);
  img->tar = xasprintf (LABO_IMAGE_CACHE "/%s-%s.tar", name, key);
  return 0;
}

int
labo_image_build (struct labo_image *img, bool quiet, labo_error_t *err)
{
  struct stat st;
  cleanup_free char *script = xasprintf ("%s/build-rootfs.sh", img->recipe);
  cleanup_free char *tmp = xasprintf ("%s.tmp.%d", img->tar, (int) getpid ());
  char progress[] = "progress";
  /* the recipe says each step as it starts, unless up is quiet */
  char *argv[] = { script, tmp, quiet ? NULL : progress, NULL };

  if (stat (img->tar, &st) == 0)
    {
      img->size = (long long) st.st_size;
      return 0;
    }
  if (labo_mkdir_p (LABO_IMAGE_CACHE, 0755) < 0)
    return labo_error_errno (err, "creating %s", LABO_IMAGE_CACHE);
  if (!quiet)
    {
      printf ("  building image %s from %s (once; cached in %s)\n", img->ref, img->recipe,
              LABO_IMAGE_CACHE);
      fflush (stdout);
    }
  if (run (argv, NULL, err) < 0)
    {
      unlink (tmp);
      return labo_error_wrap (err, "building image %s", img->ref);
    }
  if (rename (tmp, img->tar) < 0)
    {
      unlink (tmp);
      return labo_error_errno (err, "storing %s", img->tar);
    }
  if (stat (img->tar, &st) == 0)
    img->size = (long long) st.st_size;
  img->built = true;
  return 0;
}

/* What a tar lacks of an image, per recipe: the Dockerfile instructions
 * the import applies (the recipe's README.md says them too). */
static const char *const zookeeper_changes[] = {
  "ENTRYPOINT [\"/docker-entrypoint.sh\"]", "CMD [\"zkServer\"]",
  "ENV PATH=/opt/jre/bin:/usr/bin:/bin", "WORKDIR /",
  "EXPOSE 2181/tcp 2888/tcp 3888/tcp", NULL
};
static const char *const etcd_changes[] = {
  "ENTRYPOINT [\"/docker-entrypoint.sh\"]", "CMD [\"etcd\"]",
  "ENV PATH=/usr/bin:/bin", "WORKDIR /",
  "EXPOSE 2379/tcp 2380/tcp", NULL
};
static const struct
{
  const char *name;
  const char *const *changes;
} image_changes[] = {
  { "zookeeper", zookeeper_changes },
  { "etcd", etcd_changes },
};

const char *const *
labo_image_changes (const char *name)
{
  for (size_t i = 0; i < sizeof (image_changes) / sizeof (image_changes[0]); i++)
    if (strcmp (name, image_changes[i].name) == 0)
      return image_changes[i].changes;
  return NULL;
}

int
labo_image_import (struct labo_image *img, struct labo_docker *d, bool *imported,
                   labo_error_t *err)
{
  const char *const *changes = labo_image_changes (img->name);
  cleanup_free char *repo = xasprintf ("labo/%s", img->name);
  bool have = false;

  *imported = false;
  if (changes == NULL)
    return labo_error_make (err, 0, "image %s: labo knows no entrypoint nor command for "
                                    "this recipe", img->name);
  if (labo_docker_image_exists (d, img->ref, &have, err) < 0)
    return -1;
  if (have)
    return 0;
  if (labo_docker_image_import (d, img->tar, repo, img->key, changes, err) < 0)
    return -1;
  *imported = true;
  return 0;
}

void
labo_image_free (struct labo_image *img)
{
  free (img->name);
  free (img->recipe);
  free (img->key);
  free (img->ref);
  free (img->tar);
  memset (img, 0, sizeof (*img));
}
