/* `labo __names KIND [LAB]`: the names the shell completion offers
 * (completion/labo.bash), one a line: the verbs, the labs that are up, or
 * the hosts, nodes, segments or targets (hosts and nodes) of a lab; or
 * (`__names links LAB HOST`, LAB possibly "") where a host's capture can
 * listen: the far ends of its links, and `any`.
 *
 * It runs as whoever pressed TAB, often not root: it reads labo's state
 * (the labs in the run dir, a lab's saved file) and nothing else, needs no
 * privilege where that state is readable, and says nothing when it is not,
 * or on any other error: a completion prints no error messages into the
 * line being typed. Its exit status alone says it failed. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "labo/engine/deploy.h"
#include "labo/model/labfile.h"
#include "labo/model/names.h"
#include "labo/model/state.h"
#include "labo/util/util.h"

enum kind
{
  KIND_VERBS,
  KIND_LABS,
  KIND_HOSTS,
  KIND_NODES,
  KIND_SEGMENTS,
  KIND_TARGETS,
  KIND_LINKS,
};

static const char *const kinds[] = {
  [KIND_VERBS] = "verbs",       [KIND_LABS] = "labs",         [KIND_HOSTS] = "hosts",
  [KIND_NODES] = "nodes",       [KIND_SEGMENTS] = "segments", [KIND_TARGETS] = "targets",
  [KIND_LINKS] = "links",
};

/* A lab file named where a lab may be (-l netns/zk3.yaml), read as the
 * user reads it, quietly: the lab it names, or NULL. */
static struct labo_lab *
quiet_load_file (const char *path)
{
  struct labo_diags diags = { NULL, 0 };
  cleanup_free char *text = NULL;
  struct labo_lab *lab = NULL;
  size_t len;

  text = labo_read_file_max (path, cli_limits.file_size, &len);
  if (text)
    lab = labo_labfile_parse_limited (path, text, len, &cli_limits, &diags);
  labo_diags_free (&diags);
  return lab;
}

/* The lab named (a name or a file), else $LABO_LAB, else the only one up,
 * as it was brought up; a file whose lab is not up gives its own names. */
static struct labo_lab *
names_lab (const char *arg)
{
  char **labs = NULL;
  size_t n = 0;
  labo_error_t err = NULL;
  struct labo_lab *lab = NULL;

  if (arg == NULL || *arg == '\0')
    arg = getenv ("LABO_LAB");
  if (arg && *arg)
    {
      struct labo_lab *file_lab;
      if (labo_lab_name_valid (arg))
        return labo_state_load_lab (arg);
      file_lab = quiet_load_file (arg);
      if (file_lab == NULL)
        return NULL;
      lab = labo_state_load_lab (file_lab->name);
      if (lab == NULL)
        return file_lab;
      labo_lab_free (file_lab);
      return lab;
    }
  if (labo_state_list (&labs, &n, &err) < 0)
    {
      labo_error_release (&err);
      return NULL;
    }
  if (n == 1)
    lab = labo_state_load_lab (labs[0]);
  labo_strv_free (labs, n);
  return lab;
}

static int
print_verbs (void)
{
  size_t n;
  const struct cli_verb *v = cli_verbs (&n);

  for (size_t i = 0; i < n; i++)
    if (v[i].group != CLI_GROUP_HIDDEN)
      puts (v[i].name);
  return EXIT_OK;
}

static int
print_labs (void)
{
  char **labs = NULL;
  size_t n = 0;
  labo_error_t err = NULL;

  if (labo_state_list (&labs, &n, &err) < 0)
    {
      labo_error_release (&err);
      return EXIT_FAIL;
    }
  for (size_t i = 0; i < n; i++)
    puts (labs[i]);
  labo_strv_free (labs, n);
  /* and those deployed on a Swarm from here (status, check, down take them) */
  if (labo_deployed_list (&labs, &n, &err) < 0)
    {
      labo_error_release (&err);
      return EXIT_OK;
    }
  for (size_t i = 0; i < n; i++)
    puts (labs[i]);
  labo_strv_free (labs, n);
  return EXIT_OK;
}

int
cmd_names (int argc, char **argv)
{
  struct labo_lab *lab;
  labo_error_t err = NULL;
  int kind = -1;

  if (argc < 2 || argc > 4)
    return EXIT_INPUT;
  for (size_t i = 0; i < sizeof (kinds) / sizeof (kinds[0]); i++)
    if (strcmp (argv[1], kinds[i]) == 0)
      kind = (int) i;
  if (kind < 0 || (argc == 4) != (kind == KIND_LINKS))
    return EXIT_INPUT;
  if (kind == KIND_VERBS)
    return print_verbs ();
  /* as root, the state only where no one else could have put it (what
   * main() checks for the other verbs, here without a word) */
  if (geteuid () == 0 && labo_state_check_env (&err) < 0)
    {
      labo_error_release (&err);
      return EXIT_INPUT;
    }
  if (kind == KIND_LABS)
    return print_labs ();
  lab = names_lab (argc == 3 ? argv[2] : NULL);
  if (lab == NULL)
    return EXIT_NOTFOUND;
  if (kind == KIND_HOSTS || kind == KIND_TARGETS)
    for (size_t i = 0; i < lab->n_hosts; i++)
      puts (lab->hosts[i].name);
  if (kind == KIND_NODES || kind == KIND_TARGETS)
    for (size_t i = 0; i < lab->n_nodes; i++)
      puts (lab->nodes[i].name);
  if (kind == KIND_SEGMENTS)
    for (size_t i = 0; i < lab->n_segments; i++)
      puts (lab->segments[i].name);
  if (kind == KIND_LINKS)
    {
      long h = labo_lab_find_host (lab, argv[3]);
      for (size_t i = 0; h >= 0 && i < lab->n_links; i++)
        {
          const struct labo_link *k = &lab->links[i];
          if (k->a.host == (size_t) h)
            puts (k->kind == LABO_LINK_SEGMENT ? lab->segments[k->segment].name
                                               : lab->hosts[k->b.host].name);
          else if (k->kind == LABO_LINK_P2P && k->b.host == (size_t) h)
            puts (lab->hosts[k->a.host].name);
        }
      if (h >= 0)
        puts ("any");
    }
  labo_lab_free (lab);
  return EXIT_OK;
}
