/* The supervisor's process runtime: every node is a child process of the
 * supervisor (zkproc.h), watched through its pidfd; waitid on it gives the
 * exit status the moment the kernel has it. */
#include "sv_runtime.h"

#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "labo/util/util.h"
#include "labo/kind/kind.h"
#include "labo/zk/zkproc.h"

#include "sv_probe.h"
#include "unit.h"

static void
proc_exited (struct sv_unit *u, const char *exit_text)
{
  struct sv_node *n = (struct sv_node *) u;
  char why[128];

  snprintf (why, sizeof (why), "%s", u->kill_sent && u->cause[0] ? u->cause : "exited");
  sv_probe_end (n);
  sv_probe_pause_lost (n);
  sv_unit_died (u, exit_text, why);
  sv_ensemble_check (u->sv);
}

static void
proc_start (struct sv_unit *u)
{
  struct sv_node *n = (struct sv_node *) u;
  labo_error_t err = NULL;
  pid_t pid;

  sv_unit_on (u, SV_ON_LAUNCH, NULL);
  pid = labo_kind_of (n->node)->process_start (u->sv->lab, n->index, &err);
  if (pid < 0)
    {
      sv_unit_start_failed (u, err->msg);
      labo_error_release (&err);
      return;
    }
  if (sv_watch_pid (u, pid, true) < 0)
    {
      u->pid = pid;
      labo_policy_started (&u->policy, labo_now ());
      proc_exited (u, "unknown");
      return;
    }
  sv_unit_up (u, labo_proc_start_wall (pid), true);
  sv_probe_begin (n);
}

static void
process_kill (struct sv_unit *u)
{
  if (u->pidfd >= 0)
    syscall (SYS_pidfd_send_signal, u->pidfd, SIGKILL, NULL, 0);
}

static void
process_signal (struct sv_node *n, int sig)
{
  if (n->u.pidfd >= 0)
    syscall (SYS_pidfd_send_signal, n->u.pidfd, sig, NULL, 0);
}

static void
process_quiesce (struct sv_unit *u)
{
  sv_probe_end ((struct sv_node *) u);
}

static char *
process_log_tail (struct sv_unit *u)
{
  struct sv_node *n = (struct sv_node *) u;
  struct labo_zkproc_paths p;
  char *tail;

  labo_zkproc_paths (n->u.sv->lab->name, n->index, n->u.name, &p);
  tail = sv_file_tail (p.log, SV_LOG_TAIL_BYTES, SV_LOG_TAIL_LINES);
  labo_zkproc_paths_free (&p);
  return tail;
}

/* Its units are the nodes every runtime has. */
static void
process_setup (struct sv *sv)
{
}

static void
process_init (struct sv *sv)
{
  for (size_t i = 0; i < sv->n_nodes; i++)
    {
      struct sv_node *n = &sv->nodes[i];
      pid_t pid = labo_zkproc_running (sv->lab->name, i, n->u.name);

      n->u.start = proc_start;
      n->u.exited = proc_exited;
      if (n->u.state == SV_OFF)
        continue; /* its host is powered off */
      if (sv_unit_adopt (&n->u, pid))
        {
          sv_unit_up (&n->u, labo_proc_start_wall (pid), n->u.policy.starts == 0);
          sv_probe_begin (n);
        }
    }
}

/* Nothing in flight but the pidfds, which the supervisor's end closes. */
static void
process_fini (struct sv *sv)
{
}

const struct sv_runtime_ops sv_process_runtime = {
  .nodes_at = LABO_STAGE_SERVICES,
  .setup = process_setup,
  .init = process_init,
  .fini = process_fini,
  .kill = process_kill,
  .signal = process_signal,
  .quiesce = process_quiesce,
  .log_tail = process_log_tail,
};
