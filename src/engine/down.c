/* Tearing a lab down, also after a crash: see include/labo/engine/engine.h. */
#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>

#include "labo/super/control.h"
#include "labo/docker/daemon.h"
#include "labo/host/freezer.h"
#include "labo/runtime/docker_up.h"
#include "labo/engine/engine.h"
#include "labo/util/progress.h"
#include "labo/runtime/logs.h"
#include "labo/net/netlink.h"
#include "labo/net/netns.h"
#include "labo/model/plan.h"
#include "labo/model/state.h"
#include "labo/util/util.h"

/* The supervisor quits its loop on SIGTERM, leaving what runs to `down`:
 * moments. 5 s allows for a loop in the middle of a restart; then it is
 * killed, and `down` goes on. */
#define SUPERVISOR_STOP_S 5

/* The root namespace's links into the lab are veths whose other end is a
 * port in the lab's switch namespace. Deleting that port, from inside the
 * switch namespace (everything there is the lab's), deletes both ends at
 * once: no ownership guess in the root namespace, and nothing outlives
 * `down` while the kernel frees the namespace in the background. The journal
 * line is "rootlink <port> <root ifname>". */
static int
delete_root_links (const char *switch_ns, char **kinds, char **names, size_t n,
                   labo_error_t *err)
{
  cleanup_close int sw = -1, self = -1;
  struct labo_nl nl = { 0 };
  int queued = 0, ret = 0;

  for (size_t i = 0; i < n; i++)
    queued += strcmp (kinds[i], "rootlink") == 0;
  if (queued == 0 || !labo_netns_exists (switch_ns))
    return 0;
  self = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  sw = labo_netns_open (switch_ns, err);
  if (self < 0 || sw < 0)
    return self < 0 ? labo_error_errno (err, "opening the current network namespace") : -1;
  if (labo_netns_enter_fd (sw, switch_ns, err) < 0)
    return -1;
  ret = labo_nl_open (&nl, switch_ns, err);
  if (setns (self, CLONE_NEWNET) < 0)
    {
      labo_say ("returning to the root network namespace: %s", strerror (errno));
      abort (); /* every later step would act on the wrong namespace */
    }
  if (ret < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (strcmp (kinds[i], "rootlink") == 0)
      {
        names[i][strcspn (names[i], " ")] = '\0'; /* the port's name */
        labo_nl_link_del (&nl, 0, names[i]);
      }
  ret = labo_nl_flush (&nl, err);
  if (ret < 0 && (*err)->status == ENODEV)
    {
      /* made and journalled, or journalled and never made: either way gone */
      labo_error_release (err);
      ret = 0;
    }
  labo_nl_close (&nl);
  return ret;
}

int
labo_down_locked (struct labo_state *st, const struct labo_down_opts *o, labo_error_t *err)
{
  bool keep_data = o->keep_data;
  char **kinds = NULL, **names = NULL, **found = NULL;
  size_t n = 0, n_found = 0;
  cleanup_free char *exact = labo_switch_netns_name (st->lab);
  cleanup_free char *prefix = xasprintf ("%s.", exact);
  cleanup_free char **all = NULL;
  size_t n_all = 0;
  struct labo_progress pr;
  int killed, docker_killed, ret = -1;
  bool had = st->dir != NULL;

  labo_progress_start (&pr, o->quiet, o->stages);
  /* the supervisor first, or it would restart what is being removed */
  switch (labo_supervisor_stop (st->lab, SUPERVISOR_STOP_S, err))
    {
    case 1:
      labo_progress_stage (&pr, "supervisor", "stopped");
      break;
    case 0:
      break;
    default:
      goto out;
    }
  if (labo_state_journal (st->lab, &kinds, &names, &n, err) < 0)
    goto out;
  /* The journal is the record; the names are the mark. Take the union, so
   * that a lab whose state directory was lost is still removed whole. */
  if (labo_netns_list (exact, prefix, &found, &n_found, err) < 0)
    goto out;
  for (size_t i = n; i-- > 0;)
    if (strcmp (kinds[i], "netns") == 0)
      *(char **) labo_array_push (&all, &n_all, sizeof (char *)) = names[i];
  for (size_t i = 0; i < n_found; i++)
    {
      bool dup = false;
      for (size_t j = 0; j < n_all && !dup; j++)
        dup = strcmp (all[j], found[i]) == 0;
      if (!dup)
        *(char **) labo_array_push (&all, &n_all, sizeof (char *)) = found[i];
    }
  had = had || n_all > 0;

  /* Docker first: its containers run in namespaces of their own, which
   * only the hosts' cgroups reach. */
  docker_killed = labo_down_docker (st->lab, kinds, names, n, err);
  if (docker_killed < 0)
    goto out;
  /* the cgroups `labo pause` made (the process runtime's nodes): thawed
   * first, as a v1-frozen task ignores SIGKILL, then emptied and removed */
  {
    int k = labo_freezer_release (st->lab, err);
    if (k < 0)
      goto out;
    docker_killed += k;
  }
  killed = labo_netns_kill_all (all, n_all, err);
  if (killed < 0)
    goto out;
  labo_progress_stage (&pr, "processes", "%d killed", killed + docker_killed);

  if (delete_root_links (exact, kinds, names, n, err) < 0)
    goto out;
  for (size_t i = 0; i < n_all; i++)
    if (labo_netns_delete (all[i], err) < 0)
      goto out;
  labo_progress_stage (&pr, "namespaces", "%zu removed", n_all);

  /* the state of the daemons and nodes (the process runtime's have no
   * journal line), and the data a previous `down --keep-data` left when it
   * is not wanted now */
  {
    cleanup_free char *state = xasprintf ("%s/%s", labo_state_root (), st->lab);
    if (access (state, F_OK) == 0)
      {
        if (labo_daemon_remove_state (st->lab, keep_data, err) < 0)
          goto out;
        had = had || !keep_data;
      }
  }
  if (labo_state_remove (st, err) < 0)
    goto out;
  /* what a failed up kept is kept until this */
  if (!o->keep_logs && labo_logs_forget (st->lab, err) < 0)
    goto out;
  ret = had ? 1 : 0;
out:
  labo_strv_free (kinds, n);
  labo_strv_free (names, n);
  labo_strv_free (found, n_found);
  return ret;
}

int
labo_down (const char *lab, const struct labo_down_opts *opts, labo_error_t *err)
{
  struct labo_state st;
  int r;

  if (labo_state_open (lab, false, &st, err) < 0)
    {
      labo_state_close (&st);
      return -1;
    }
  r = labo_down_locked (&st, opts, err);
  labo_state_close (&st);
  return r;
}
