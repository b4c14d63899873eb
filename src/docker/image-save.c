/* An image of labo's own as a `docker save` archive (`labo export
 * --images`, issue 15), for `docker load` on machines without a
 * registry. The cache holds root filesystems (`docker import` tars): a
 * load needs the save format around one of them, which is written here,
 * in one pass over the rootfs: the rootfs itself as the one layer
 * (LAYER/layer.tar, hashed while copied: its sha256 is the layer's
 * diff_id, which docker load checks), the image's config (what the
 * import's changes say: entrypoint, command, environment, working
 * directory, exposed ports; its sha256 names it), and manifest.json
 * (config, tag, layers). A ustar archive, the format docker load reads.
 * See include/labo/docker/image.h. */
#include "labo/docker/image.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "labo/util/util.h"

#define BLOCK 512

/* The 512-byte ustar header of a file or directory of size bytes. */
static void
tar_header (unsigned char h[BLOCK], const char *name, unsigned long long size, bool dir)
{
  unsigned sum = 0;

  memset (h, 0, BLOCK);
  snprintf ((char *) h, 100, "%s", name);
  snprintf ((char *) h + 100, 8, "%07o", dir ? 0755 : 0644);
  snprintf ((char *) h + 108, 8, "%07o", 0);
  snprintf ((char *) h + 116, 8, "%07o", 0);
  snprintf ((char *) h + 124, 12, "%011llo", size);
  snprintf ((char *) h + 136, 12, "%011o", 0);
  h[156] = dir ? '5' : '0';
  memcpy (h + 257, "ustar", 6);
  memcpy (h + 263, "00", 2);
  /* the checksum is computed with its own field as spaces */
  memset (h + 148, ' ', 8);
  for (size_t i = 0; i < BLOCK; i++)
    sum += h[i];
  snprintf ((char *) h + 148, 8, "%06o", sum);
  h[155] = ' ';
}

static int
write_all (int fd, const void *data, size_t len, const char *path, labo_error_t *err)
{
  const char *p = data;
  while (len > 0)
    {
      ssize_t w = write (fd, p, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return labo_error_errno (err, "writing %s", path);
      p += w;
      len -= (size_t) w;
    }
  return 0;
}

/* A member whose content is in memory. */
static int
tar_add (int fd, const char *name, const char *data, size_t len, const char *path,
         labo_error_t *err)
{
  unsigned char h[BLOCK], pad[BLOCK] = { 0 };

  tar_header (h, name, len, false);
  if (write_all (fd, h, BLOCK, path, err) < 0 || write_all (fd, data, len, path, err) < 0)
    return -1;
  return len % BLOCK ? write_all (fd, pad, BLOCK - len % BLOCK, path, err) : 0;
}

static void
hex (const unsigned char *d, size_t n, char *out)
{
  for (size_t i = 0; i < n; i++)
    sprintf (out + 2 * i, "%02x", d[i]);
}

static char *
sha256_hex (const char *data, size_t len)
{
  unsigned char d[32];
  char *out = xmalloc (65);
  EVP_Digest (data, len, d, NULL, EVP_sha256 (), NULL);
  hex (d, 32, out);
  return out;
}

/* The rootfs as LAYER/layer.tar, copied and hashed: its sha256 in hexsum. */
static int
copy_layer (int out, const char *rootfs, const char *member, char hexsum[65], const char *path,
            labo_error_t *err)
{
  cleanup_close int in = open (rootfs, O_RDONLY | O_CLOEXEC);
  unsigned char h[BLOCK], pad[BLOCK] = { 0 }, d[32];
  cleanup_free char *buf = xmalloc (1 << 20);
  EVP_MD_CTX *ctx;
  struct stat st;
  unsigned long long left;
  int ret = -1;

  if (in < 0 || fstat (in, &st) < 0)
    return labo_error_errno (err, "reading %s", rootfs);
  tar_header (h, member, (unsigned long long) st.st_size, false);
  if (write_all (out, h, BLOCK, path, err) < 0)
    return -1;
  ctx = EVP_MD_CTX_new ();
  if (ctx == NULL || EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL) != 1)
    abort ();
  for (left = (unsigned long long) st.st_size; left > 0;)
    {
      ssize_t r = read (in, buf, left < (1 << 20) ? (size_t) left : (1 << 20));
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        {
          labo_error_make (err, r < 0 ? errno : EIO, "reading %s: %s", rootfs,
                           r < 0 ? strerror (errno) : "shorter than it was");
          goto out;
        }
      EVP_DigestUpdate (ctx, buf, (size_t) r);
      if (write_all (out, buf, (size_t) r, path, err) < 0)
        goto out;
      left -= (unsigned long long) r;
    }
  EVP_DigestFinal_ex (ctx, d, NULL);
  hex (d, 32, hexsum);
  if (st.st_size % BLOCK && write_all (out, pad, BLOCK - st.st_size % BLOCK, path, err) < 0)
    goto out;
  ret = 0;
out:
  EVP_MD_CTX_free (ctx);
  return ret;
}

/* Go's name of this machine's architecture, as an image's config says it. */
static const char *
go_arch (void)
{
  static struct utsname u;
  static const struct
  {
    const char *uname, *go;
  } arches[] = { { "x86_64", "amd64" }, { "aarch64", "arm64" }, { "armv7l", "arm" },
                 { "i686", "386" },     { "ppc64le", "ppc64le" }, { "s390x", "s390x" },
                 { "riscv64", "riscv64" } };
  if (uname (&u) < 0)
    return "amd64";
  for (size_t i = 0; i < sizeof (arches) / sizeof (arches[0]); i++)
    if (strcmp (u.machine, arches[i].uname) == 0)
      return arches[i].go;
  return u.machine;
}

json_t *
labo_image_config_of_changes (const char *const *changes)
{
  json_t *config = json_object (), *env = json_array (), *ports = json_object ();

  for (size_t i = 0; changes && changes[i]; i++)
    {
      const char *c = changes[i];
      if (strncmp (c, "ENTRYPOINT ", 11) == 0 || strncmp (c, "CMD ", 4) == 0)
        {
          bool entry = c[0] == 'E';
          json_t *argv = json_loads (c + (entry ? 11 : 4), JSON_DECODE_ANY, NULL);
          if (argv)
            json_object_set_new (config, entry ? "Entrypoint" : "Cmd", argv);
        }
      else if (strncmp (c, "ENV ", 4) == 0)
        json_array_append_new (env, json_string (c + 4));
      else if (strncmp (c, "WORKDIR ", 8) == 0)
        json_object_set_new (config, "WorkingDir", json_string (c + 8));
      else if (strncmp (c, "EXPOSE ", 7) == 0)
        {
          cleanup_free char *list = xstrdup (c + 7);
          char *save = NULL;
          for (char *p = strtok_r (list, " ", &save); p; p = strtok_r (NULL, " ", &save))
            json_object_set_new (ports, p, json_object ());
        }
    }
  json_object_set_new (config, "Env", env);
  json_object_set_new (config, "ExposedPorts", ports);
  return config;
}

int
labo_image_save (const struct labo_image *img, const char *tag, const char *path,
                 labo_error_t *err)
{
  const char *const *changes = labo_image_changes (img->name);
  cleanup_free char *tmp = xasprintf ("%s.tmp.%d", path, (int) getpid ());
  cleanup_free char *config_text = NULL, *config_sum = NULL, *config_name = NULL;
  cleanup_free char *manifest_text = NULL, *dir = NULL, *member = NULL;
  char layer_sum[65];
  unsigned char block[BLOCK], zero[2 * BLOCK] = { 0 };
  cleanup_close int fd = -1;
  json_t *j;

  if (changes == NULL)
    return labo_error_make (err, 0, "image %s: labo knows no entrypoint nor command for this "
                                    "recipe", img->name);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return labo_error_errno (err, "creating %s", tmp);
  /* the layer's directory is named by the rootfs's own key: the layer's
   * id in the archive matters to nobody but its own manifest */
  dir = xasprintf ("%s/", img->key);
  member = xasprintf ("%s/layer.tar", img->key);
  tar_header (block, dir, 0, true);
  if (write_all (fd, block, BLOCK, tmp, err) < 0
      || copy_layer (fd, img->tar, member, layer_sum, tmp, err) < 0)
    goto fail;
  /* created at 0, as the rootfs's files: the same archive for the same
   * inputs */
  j = json_pack ("{s:s, s:s, s:s, s:o, s:{s:s, s:[o]}, s:[{s:s, s:o}]}", "architecture",
                 go_arch (), "os", "linux", "created", "1970-01-01T00:00:00Z", "config",
                 labo_image_config_of_changes (changes), "rootfs", "type", "layers",
                 "diff_ids", json_sprintf ("sha256:%s", layer_sum), "history", "created",
                 "1970-01-01T00:00:00Z", "created_by",
                 json_sprintf ("labo: images/%s (%s)", img->name, img->key));
  config_text = json_dumps (j, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref (j);
  config_sum = sha256_hex (config_text, strlen (config_text));
  config_name = xasprintf ("%s.json", config_sum);
  j = json_pack ("[{s:s, s:[s], s:[s]}]", "Config", config_name, "RepoTags", tag, "Layers",
                 member);
  manifest_text = json_dumps (j, JSON_COMPACT);
  json_decref (j);
  if (tar_add (fd, config_name, config_text, strlen (config_text), tmp, err) < 0
      || tar_add (fd, "manifest.json", manifest_text, strlen (manifest_text), tmp, err) < 0
      || write_all (fd, zero, sizeof (zero), tmp, err) < 0)
    goto fail;
  if (fsync (fd) < 0 || rename (tmp, path) < 0)
    {
      labo_error_errno (err, "storing %s", path);
      goto fail;
    }
  return 0;
fail:
  unlink (tmp);
  return labo_error_wrap (err, "writing image %s as %s", img->ref, path);
}
