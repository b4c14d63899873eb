/* Offline images, cached by content: see include/labo/image.h. */
#include "labo/image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "labo/util.h"

#ifndef LABO_DATADIR
#define LABO_DATADIR "/usr/local/share/labo"
#endif

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

static char *
find_recipe (const char *name)
{
  const char *env = getenv ("LABO_IMAGES_DIR");
  char exe[4096];
  ssize_t n;
  char *cand;

  if (env && *env)
    return xasprintf ("%s/%s", env, name);
  /* next to the binary: a build tree (./labo, build/asan/labo) */
  n = readlink ("/proc/self/exe", exe, sizeof (exe) - 1);
  if (n > 0)
    {
      exe[n] = '\0';
      for (int up = 0; up < 3; up++)
        {
          char *slash = strrchr (exe, '/');
          if (slash == NULL)
            break;
          *slash = '\0';
          cand = xasprintf ("%s/images/%s/build-rootfs.sh", exe, name);
          if (access (cand, X_OK) == 0)
            {
              cand[strlen (cand) - strlen ("/build-rootfs.sh")] = '\0';
              return cand;
            }
          free (cand);
        }
    }
  return xasprintf (LABO_DATADIR "/images/%s", name);
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
labo_image_resolve (const char *name, struct labo_image *img, labo_error_t *err)
{
  cleanup_free char *inputs_sh = NULL;
  cleanup_free char *inputs = NULL;
  char key[17];

  memset (img, 0, sizeof (*img));
  img->name = xstrdup (name);
  img->recipe = find_recipe (name);
  inputs_sh = xasprintf ("%s/inputs.sh", img->recipe);
  if (access (inputs_sh, X_OK) < 0)
    return labo_error_errno (err, "image recipe %s (set LABO_IMAGES_DIR)", inputs_sh);
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
  char *argv[] = { script, tmp, NULL };

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

int
labo_image_import (struct labo_image *img, struct labo_docker *d, bool *imported,
                   labo_error_t *err)
{
  static const char *const changes[] = {
    "ENTRYPOINT [\"/docker-entrypoint.sh\"]", "CMD [\"zkServer\"]",
    "ENV PATH=/opt/jre/bin:/usr/bin:/bin", "WORKDIR /",
    "EXPOSE 2181/tcp 2888/tcp 3888/tcp", NULL
  };
  cleanup_free char *repo = xasprintf ("labo/%s", img->name);
  bool have = false;

  *imported = false;
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
