/* Names that become paths and kernel names: see include/labo/model/names.h. */
#include "labo/model/names.h"

#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "labo/model/lab.h"
#include "labo/util/util.h"

static bool
is_lower_digit (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_alnum (char c)
{
  return is_lower_digit (c) || (c >= 'A' && c <= 'Z');
}

bool
labo_lab_name_chars_ok (const char *s)
{
  size_t n = s ? strlen (s) : 0;
  if (n == 0 || s[0] == '-' || s[n - 1] == '-' || strstr (s, "--"))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!is_lower_digit (s[i]) && s[i] != '-')
      return false;
  return true;
}

bool
labo_lab_name_valid (const char *s)
{
  return labo_lab_name_chars_ok (s) && strlen (s) <= LABO_NAME_MAX;
}

int
labo_lab_name_check (const char *s, labo_error_t *err)
{
  cleanup_free char *shown = NULL;

  if (labo_lab_name_valid (s))
    return 0;
  shown = labo_name_display (s ? s : "", 40);
  if (s && strlen (s) > LABO_NAME_MAX)
    return labo_error_make (err, 0, "invalid lab name '%s': %zu bytes long, more than %d", shown,
                            strlen (s), LABO_NAME_MAX);
  return labo_error_make (err, 0,
                          "invalid lab name '%s': a lab's name is lowercase letters, digits and "
                          "'-', starting with a letter or digit, without '--' and not ending "
                          "with '-'",
                          shown);
}

bool
labo_hostname_valid (const char *s)
{
  size_t n = s ? strlen (s) : 0;
  if (n == 0 || n > LABO_HOSTNAME_MAX || !is_alnum (s[0]) || !is_alnum (s[n - 1]))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!is_alnum (s[i]) && s[i] != '-')
      return false;
  return true;
}

bool
labo_ifname_valid (const char *s)
{
  size_t n = s ? strlen (s) : 0;
  if (n == 0 || n >= IFNAMSIZ || !is_alnum (s[0]))
    return false;
  for (size_t i = 1; i < n; i++)
    if (!is_alnum (s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
      return false;
  return true;
}

bool
labo_lab_netns_valid (const char *lab, const char *netns)
{
  size_t n = strlen (lab);
  if (!labo_lab_name_valid (lab) || strncmp (netns, "labo.", 5) != 0
      || strncmp (netns + 5, lab, n) != 0)
    return false;
  netns += 5 + n;
  return *netns == '\0' || (*netns == '.' && labo_hostname_valid (netns + 1));
}

char *
labo_name_display (const char *s, size_t max)
{
  size_t n = strlen (s), cut = n > max ? max : n;
  char *out = xmalloc (cut * 4 + 4), *o = out;

  for (size_t i = 0; i < cut; i++)
    {
      unsigned char c = (unsigned char) s[i];
      if (c == '\n')
        o += sprintf (o, "\\n");
      else if (c == '\t')
        o += sprintf (o, "\\t");
      else if (c == '\\' || c == '\'')
        o += sprintf (o, "\\%c", c);
      else if (c < 0x20 || c >= 0x7f)
        o += sprintf (o, "\\x%02x", c);
      else
        *o++ = (char) c;
    }
  if (cut < n)
    o += sprintf (o, "...");
  *o = '\0';
  return out;
}
