/* The records of a running lab's faults: the cuts and the hosts powered
 * off, files of its run directory. See include/labo/model/records.h. */
#include "labo/model/records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/model/state.h"
#include "labo/util/util.h"

/* A file of the lab's run dir, opened and flocked for a change. */
int
labo_record_open_locked (const struct labo_lab *lab, const char *file, labo_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s/%s", labo_run_dir (), lab->name, file);

  return labo_state_lock (path, err);
}

char *
labo_record_read (int fd)
{
  struct stat st;
  char *text;
  ssize_t n;

  if (fstat (fd, &st) < 0)
    return xstrdup ("");
  text = xmalloc ((size_t) st.st_size + 1);
  n = pread (fd, text, (size_t) st.st_size, 0);
  text[n > 0 ? n : 0] = '\0';
  return text;
}

int
labo_record_write (int fd, const char *text, const char *what, labo_error_t *err)
{
  size_t len = strlen (text);
  if (ftruncate (fd, 0) < 0 || pwrite (fd, text, len, 0) != (ssize_t) len)
    return labo_error_errno (err, "recording the lab's %s", what);
  return 0;
}

/* Lines of two host names; unknown names (an edited file) are skipped. */
void
labo_cuts_parse (const struct labo_lab *lab, char *text, struct labo_cut **cuts, size_t *n)
{
  char *save = NULL;
  *cuts = NULL;
  *n = 0;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char a[LABO_HOSTNAME_MAX + 1], b[LABO_HOSTNAME_MAX + 1];
      long x, y;
      struct labo_cut *c;
      if (sscanf (line, "%63s %63s", a, b) != 2 || (x = labo_lab_find_host (lab, a)) < 0
          || (y = labo_lab_find_host (lab, b)) < 0)
        continue;
      c = labo_array_push (cuts, n, sizeof (*c));
      c->from = (size_t) x;
      c->to = (size_t) y;
    }
}

char *
labo_cuts_format (const struct labo_lab *lab, const struct labo_cut *cuts, size_t n)
{
  char *text = xstrdup ("");
  for (size_t i = 0; i < n; i++)
    {
      char *t = xasprintf ("%s%s %s\n", text, lab->hosts[cuts[i].from].name,
                           lab->hosts[cuts[i].to].name);
      free (text);
      text = t;
    }
  return text;
}

int
labo_cuts_load (const struct labo_lab *lab, struct labo_cut **cuts, size_t *n, labo_error_t *err)
{
  cleanup_free char *text = labo_state_get (lab->name, LABO_CUTS_FILE, NULL);
  (void) err;
  labo_cuts_parse (lab, text ? text : (char[]){ "" }, cuts, n);
  return 0;
}

int
labo_power_load (const struct labo_lab *lab, bool **off, labo_error_t *err)
{
  cleanup_free char *text = labo_state_get (lab->name, LABO_POWER_FILE, NULL);
  char *save = NULL;

  (void) err;
  *off = xcalloc (lab->n_hosts ? lab->n_hosts : 1, sizeof (bool));
  for (char *l = text ? strtok_r (text, "\n", &save) : NULL; l; l = strtok_r (NULL, "\n", &save))
    {
      long h = labo_lab_find_host (lab, l);
      if (h >= 0)
        (*off)[h] = true;
    }
  return 0;
}

int
labo_power_record (const struct labo_lab *lab, size_t h, bool off, labo_error_t *err)
{
  cleanup_close int fd = labo_record_open_locked (lab, LABO_POWER_FILE, err);
  cleanup_free char *text = NULL;
  cleanup_free char *out = xstrdup ("");
  char *save = NULL;

  if (fd < 0)
    return -1;
  text = labo_record_read (fd);
  for (char *l = strtok_r (text, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    if (strcmp (l, lab->hosts[h].name) != 0 && labo_lab_find_host (lab, l) >= 0)
      {
        char *t = xasprintf ("%s%s\n", out, l);
        free (out);
        out = t;
      }
  if (off)
    {
      char *t = xasprintf ("%s%s\n", out, lab->hosts[h].name);
      free (out);
      out = t;
    }
  return labo_record_write (fd, out, "powered-off hosts", err);
}

int
labo_paused_load (const struct labo_lab *lab, bool **paused, labo_error_t *err)
{
  cleanup_free char *text = labo_state_get (lab->name, LABO_PAUSED_FILE, NULL);
  char *save = NULL;

  (void) err;
  *paused = xcalloc (lab->n_nodes ? lab->n_nodes : 1, sizeof (bool));
  for (char *l = text ? strtok_r (text, "\n", &save) : NULL; l; l = strtok_r (NULL, "\n", &save))
    {
      long i = labo_lab_find_node (lab, l);
      if (i >= 0)
        (*paused)[i] = true;
    }
  return 0;
}

int
labo_paused_record (const struct labo_lab *lab, size_t i, bool paused, labo_error_t *err)
{
  cleanup_close int fd = labo_record_open_locked (lab, LABO_PAUSED_FILE, err);
  cleanup_free char *text = NULL;
  cleanup_free char *out = xstrdup ("");
  char *save = NULL;
  bool was = false;

  if (fd < 0)
    return -1;
  text = labo_record_read (fd);
  for (char *l = strtok_r (text, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    if (strcmp (l, lab->nodes[i].name) == 0)
      was = true;
    else if (labo_lab_find_node (lab, l) >= 0)
      {
        char *t = xasprintf ("%s%s\n", out, l);
        free (out);
        out = t;
      }
  if (paused)
    {
      char *t = xasprintf ("%s%s\n", out, lab->nodes[i].name);
      free (out);
      out = t;
    }
  if (labo_record_write (fd, out, "paused nodes", err) < 0)
    return -1;
  return was != paused;
}
