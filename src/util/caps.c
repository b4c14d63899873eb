/* Privilege checks: see include/labo/util/caps.h. */
#include "labo/util/caps.h"

#include <string.h>
#include <sys/capability.h>

#include "labo/util/util.h"

int
labo_caps_require (const char *verb, labo_error_t *err)
{
  static const struct
  {
    cap_value_t cap;
    const char *name, *why;
  } need[] = {
    { CAP_NET_ADMIN, "CAP_NET_ADMIN", "interfaces, addresses, routes" },
    { CAP_SYS_ADMIN, "CAP_SYS_ADMIN", "namespaces and mounts" },
  };
  cap_t caps = cap_get_proc ();
  char missing[160] = "";

  if (caps == NULL)
    return labo_error_errno (err, "reading this process's capabilities");
  for (size_t i = 0; i < sizeof (need) / sizeof (need[0]); i++)
    {
      cap_flag_value_t v = CAP_CLEAR;
      if (cap_get_flag (caps, need[i].cap, CAP_EFFECTIVE, &v) < 0 || v != CAP_SET)
        {
          size_t l = strlen (missing);
          snprintf (missing + l, sizeof (missing) - l, "%s%s (%s)", l ? ", " : "", need[i].name,
                    need[i].why);
        }
    }
  cap_free (caps);
  if (missing[0] == '\0')
    return 0;
  return labo_error_make (err, 0,
                          "`labo %s` needs capabilities this process lacks: %s; run it as root "
                          "(sudo labo %s ...)",
                          verb, missing, verb);
}
