/* `labo export`: a lab for a real Docker Swarm (issue 15). The document is
 * the engine's (include/labo/engine/export.h); this parses, finds each
 * node's image as up names it, and writes. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/docker/image.h"
#include "labo/engine/export.h"
#include "labo/kind/kind.h"
#include "labo/model/state.h"
#include "labo/util/fs.h"
#include "labo/util/util.h"

/* A lab file rather than a lab's name: a path, or a file that is there. */
static bool
arg_is_file (const char *arg)
{
  struct stat st;
  size_t l = strlen (arg);
  return strchr (arg, '/') || (l > 5 && strcmp (arg + l - 5, ".yaml") == 0)
         || (l > 4 && strcmp (arg + l - 4, ".yml") == 0)
         || (stat (arg, &st) == 0 && S_ISREG (st.st_mode));
}

/* The lab to export: a FILE as declared, a lab that is up as it was
 * brought up, with no argument the only lab up, else the built-in seed. */
struct labo_lab *
cli_export_lab (const char *arg, int *code, char **text_out, size_t *len_out)
{
  cleanup_free char *text = NULL, *name = NULL;
  struct labo_lab *lab;
  size_t len = 0;

  *code = EXIT_OK;
  if (arg && arg_is_file (arg))
    {
      lab = cli_load_lab (arg, &text, &len);
      if (lab == NULL)
        *code = EXIT_INPUT;
      goto out;
    }
  if ((*code = cli_resolve_lab (arg, true, &name)) != EXIT_OK)
    return NULL;
  if (name == NULL)
    {
      lab = cli_load_lab (NULL, &text, &len);
      if (lab == NULL)
        *code = EXIT_INPUT;
      goto out;
    }
  lab = cli_state_lab (name);
  if (lab == NULL)
    {
      fprintf (stderr, "labo: lab '%s' is not up and there is no lab file '%s' (`labo "
                       "ls` lists the labs that are up)\n", name, name);
      *code = EXIT_NOTFOUND;
    }
  else
    text = labo_state_get (name, "lab.yaml", &len);
out:
  if (lab && text_out)
    {
      *text_out = steal_ptr (&text);
      *len_out = len;
    }
  return lab;
}

/* --images DIR: each image the lab uses, once, as a `docker save` archive
 * named as the stack names it (DIR/NAME-KEY.tar). A recipe's image is
 * built if the cache lacks it; a generic node's archive is the user's
 * own file, said rather than copied. */
static int
export_images (const struct labo_lab *lab, const char *const *images, const char *registry,
               const char *dir, labo_error_t *err)
{
  if (labo_mkdir_p (dir, 0755) < 0)
    return labo_error_errno (err, "creating %s", dir);
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      const struct labo_node *node = &lab->nodes[i];
      const struct labo_kind *kind = labo_kind_of (node);
      cleanup_free char *archive = labo_node_image_archive (lab, node);
      cleanup_free char *tag = labo_export_image_name (images[i], registry);
      cleanup_free char *path = NULL;
      struct labo_image img = { 0 };
      bool seen = false;
      int r;

      for (size_t k = 0; k < i; k++)
        seen = seen || strcmp (images[k], images[i]) == 0;
      if (seen)
        continue;
      if (archive)
        {
          fprintf (stderr, "labo export: node %s's image is the docker save archive %s: load "
                           "it as it is, and tag its image %s\n", node->name, archive, tag);
          continue;
        }
      if (labo_image_resolve (kind->recipe ? kind->recipe : node->image, &img, err) < 0
          || labo_image_build (&img, false, err) < 0)
        {
          labo_image_free (&img);
          return labo_error_wrap (err, "node %s", node->name);
        }
      path = xasprintf ("%s/%s-%s.tar", dir, img.name, img.key);
      r = labo_image_save (&img, tag, path, err);
      labo_image_free (&img);
      if (r < 0)
        return -1;
      fprintf (stderr, "labo export: image %s in %s (docker load -i)\n", tag, path);
    }
  return 0;
}

int
cmd_export (int argc, char **argv)
{
  static const struct option opts[]
      = { { "format", required_argument, NULL, 'F' },   { "output", required_argument, NULL, 'o' },
          { "lab", required_argument, NULL, 'l' },      { "registry", required_argument, NULL, 'R' },
          { "images", required_argument, NULL, 'I' },   { NULL, 0, NULL, 0 } };
  const char *lab_opt = NULL, *format = NULL, *output = NULL, *registry = NULL;
  const char *images_dir = NULL;
  cleanup_lab struct labo_lab *lab = NULL;
  cleanup_free char *out = NULL;
  labo_error_t err = NULL;
  json_t *notes = NULL, *n;
  char **images;
  size_t i;
  int c, r;

  while ((c = cli_getopt (argc, argv, "l:o:", opts)) != -1)
    if (c == 'F')
      format = optarg;
    else if (c == 'o')
      output = optarg;
    else if (c == 'l')
      lab_opt = optarg;
    else if (c == 'R')
      registry = optarg;
    else if (c == 'I')
      images_dir = optarg;
    else
      return EXIT_INPUT;
  if (format && strcmp (format, "stack") != 0)
    return cli_usage ("unknown format '%s': stack (a Compose file for docker stack deploy)",
                      format);
  if (registry && (registry[0] == '\0' || registry[0] == '/' || strchr (registry, ' ')))
    return cli_usage ("--registry %s: HOST[:PORT]/PREFIX expected", registry);
  if ((r = cli_lab_arg (lab_opt, argc, argv, &lab_opt)) != EXIT_OK)
    return r;
  lab = cli_export_lab (lab_opt, &r, NULL, NULL);
  if (lab == NULL)
    return r;
  if (lab->n_nodes == 0)
    {
      fprintf (stderr, "labo export: lab %s has no nodes: a stack of it would be empty\n",
               lab->name);
      return EXIT_INPUT;
    }

  /* each node's image as up names it: the recipe's key (its inputs, no
   * build), or an archive's */
  images = xcalloc (lab->n_nodes + 1, sizeof (*images));
  for (i = 0; i < lab->n_nodes; i++)
    if (labo_node_image_ref (lab, &lab->nodes[i], &images[i], &err) < 0)
      {
        labo_strv_free (images, i);
        return cli_fail (&err, EXIT_FAIL);
      }
  if (images_dir)
    {
      int ir = export_images (lab, (const char *const *) images, registry, images_dir, &err);
      if (ir < 0)
        {
          labo_strv_free (images, lab->n_nodes);
          return cli_fail (&err, EXIT_FAIL);
        }
    }
  {
    struct labo_export o = { .images = (const char *const *) images,
                             .registry = registry,
                             .file = output && strcmp (output, "-") != 0 ? output : NULL };
    out = labo_export_stack (lab, &o, &notes, &err);
  }
  labo_strv_free (images, lab->n_nodes);
  if (out == NULL)
    return cli_fail (&err, EXIT_FAIL);

  /* said on stderr too: never dropped in silence */
  json_array_foreach (notes, i, n)
  fprintf (stderr, "labo export: %s\n", json_string_value (n));
  json_decref (notes);
  if (output && strcmp (output, "-") != 0)
    {
      if (labo_write_file (output, out, strlen (out), 0644) < 0)
        {
          fprintf (stderr, "labo export: writing %s: %s\n", output, strerror (errno));
          return EXIT_FAIL;
        }
      return EXIT_OK;
    }
  if (fputs (out, stdout) < 0 || fflush (stdout) != 0)
    {
      fprintf (stderr, "labo export: writing to stdout: %s\n", strerror (errno));
      return EXIT_FAIL;
    }
  return EXIT_OK;
}
