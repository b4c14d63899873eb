/* Privilege checks: see include/labo/util/caps.h. */
#include "labo/util/caps.h"

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
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

/* Every capability out of every set, for good: the bounding set needs
 * CAP_SETPCAP, so it goes first, while still root. */
int
labo_drop_privileges (uid_t uid, gid_t gid, labo_error_t *err)
{
  cap_t none;
  int last = (int) cap_max_bits ();

  for (int c = 0; c < last; c++)
    if (cap_drop_bound ((cap_value_t) c) < 0 && errno != EINVAL)
      return labo_error_errno (err, "dropping capability %d from the bounding set", c);
  if (cap_reset_ambient () < 0 && errno != EINVAL)
    return labo_error_errno (err, "clearing the ambient capabilities");
  if (setgroups (0, NULL) < 0 || setresgid (gid, gid, gid) < 0 || setresuid (uid, uid, uid) < 0)
    return labo_error_errno (err, "becoming uid %d gid %d", (int) uid, (int) gid);
  none = cap_init ();
  if (none == NULL || cap_set_proc (none) < 0)
    {
      cap_free (none);
      return labo_error_errno (err, "clearing the capability sets");
    }
  cap_free (none);
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return labo_error_errno (err, "setting no_new_privs");
  return 0;
}
