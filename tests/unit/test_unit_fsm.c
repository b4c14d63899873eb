/* Unit tests for the supervisor's state machine (src/super/unit.c): every
 * cell of its table, written here again the other way round (an event a
 * row, a state a column) so that a cell changed in one place and not the
 * other fails; then runs of events as the supervisor lives them, first
 * with the table alone (pure, times handed in), then through sv_unit_on
 * on a unit whose runtime is a fake and whose loop is real: no process,
 * no Docker, nothing that sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/super/policy.h"
#include "labo/util/util.h"

#include "../../src/super/unit.h"

#define N_STATES SV_N_STATES
#define N_EVENTS SV_N_EVENTS

/* ---- the table, cell by cell ---- */

static const char *const state_token[N_STATES] = {
  [SV_STARTING] = "STARTING", [SV_UP] = "UP",           [SV_STOPPING] = "STOPPING",
  [SV_DOWN] = "DOWN",         [SV_WAITING] = "WAITING", [SV_GAVE_UP] = "GAVE_UP",
  [SV_LEFT] = "LEFT",         [SV_OFF] = "OFF",
};

/* "action>NEXT", or "never" (impossible: logged, the state kept). The
 * columns: STARTING, UP, STOPPING, DOWN, WAITING, GAVE_UP, LEFT, OFF. */
static const struct
{
  enum sv_unit_event e;
  const char *cell[N_STATES];
} expected[] = {
  { SV_ON_FOUND_OFF,
    { "nothing>OFF", "never", "never", "never", "never", "never", "never", "never" } },
  { SV_ON_FOUND_GAVE_UP,
    { "nothing>GAVE_UP", "never", "never", "never", "never", "never", "never", "never" } },
  { SV_ON_WAIT_DAEMON,
    { "nothing>WAITING", "never", "never", "nothing>WAITING", "nothing>WAITING", "never", "never",
      "never" } },
  { SV_ON_RESTART_DUE,
    { "never", "never", "never", "start>DOWN", "never", "never", "never", "never" } },
  { SV_ON_LAUNCH,
    { "launch>STARTING", "never", "never", "launch>STARTING", "launch>STARTING", "never", "never",
      "never" } },
  { SV_ON_UP, { "up>UP", "up>UP", "up>UP", "up>UP", "up>UP", "up>UP", "up>UP", "never" } },
  { SV_ON_DIED_RESTART,
    { "restart-later>DOWN", "restart-later>DOWN", "restart-later>DOWN", "never", "never", "never",
      "never", "off-death>OFF" } },
  { SV_ON_DIED_GIVE_UP,
    { "give-up>GAVE_UP", "give-up>GAVE_UP", "give-up>GAVE_UP", "never", "never", "never", "never",
      "off-death>OFF" } },
  { SV_ON_DIED_LEAVE,
    { "leave>LEFT", "leave>LEFT", "leave>LEFT", "never", "never", "never", "never",
      "off-death>OFF" } },
  { SV_ON_DAEMON_DIED,
    { "died-with-daemon>WAITING", "died-with-daemon>WAITING", "died-with-daemon>WAITING",
      "nothing>WAITING", "nothing>WAITING", "nothing>GAVE_UP", "nothing>LEFT", "never" } },
  { SV_ON_REFUSED_RETRY,
    { "retry-later>DOWN", "never", "never", "retry-later>DOWN", "retry-later>DOWN", "never",
      "never", "never" } },
  { SV_ON_REFUSED_LEAVE,
    { "leave-refused>LEFT", "never", "never", "leave-refused>LEFT", "leave-refused>LEFT", "never",
      "never", "never" } },
  { SV_ON_HUNG,
    { "never", "kill>STOPPING", "kill>STOPPING", "never", "never", "never", "never", "never" } },
  { SV_ON_RESTART_NODE,
    { "busy>STARTING", "retry-kill>STOPPING", "busy>STOPPING", "retry>DOWN", "busy>WAITING",
      "retry>DOWN", "retry>DOWN", "busy>OFF" } },
  { SV_ON_RESTART_DAEMON,
    { "busy>STARTING", "retry-kill>UP", "busy>STOPPING", "retry>DOWN", "busy>WAITING", "retry>DOWN",
      "retry>DOWN", "busy>OFF" } },
  { SV_ON_SIGNAL,
    { "signal>STARTING", "signal>UP", "not-running>STOPPING", "not-running>DOWN",
      "not-running>WAITING", "not-running>GAVE_UP", "not-running>LEFT", "not-running>OFF" } },
  { SV_ON_POWER_OFF,
    { "power-off>OFF", "power-off>OFF", "power-off>OFF", "power-off>OFF", "power-off>OFF",
      "power-off>OFF", "power-off>OFF", "never" } },
  { SV_ON_POWER_ON,
    { "never", "never", "never", "never", "never", "never", "never", "power-on>DOWN" } },
};

static void
every_cell_is_written_and_is_the_one_specified (void **state)
{
  bool seen[N_EVENTS] = { false };

  assert_int_equal (sizeof (expected) / sizeof (expected[0]), N_EVENTS);
  for (size_t i = 0; i < N_EVENTS; i++)
    {
      enum sv_unit_event e = expected[i].e;
      assert_false (seen[e]);
      seen[e] = true;
      for (int s = 0; s < N_STATES; s++)
        {
          struct sv_transition t = sv_unit_decide ((enum sv_state) s, e);
          char got[64];

          if (t.action == SV_DO_UNSET)
            fail_msg ("(%s, %s): no cell", state_token[s], sv_unit_event_name (e));
          if (t.action == SV_DO_IMPOSSIBLE)
            {
              /* an impossible event moves nothing */
              assert_int_equal (t.next, s);
              snprintf (got, sizeof (got), "never");
            }
          else
            snprintf (got, sizeof (got), "%s>%s", sv_unit_action_name (t.action),
                      state_token[t.next]);
          if (strcmp (got, expected[i].cell[s]) != 0)
            fail_msg ("(%s, %s): %s, expected %s", state_token[s], sv_unit_event_name (e), got,
                      expected[i].cell[s]);
        }
    }
}

static void
every_event_action_and_state_has_a_name (void **state)
{
  for (int e = 0; e < N_EVENTS; e++)
    assert_string_not_equal (sv_unit_event_name ((enum sv_unit_event) e), "?");
  for (int a = 0; a < SV_N_ACTIONS; a++)
    assert_string_not_equal (sv_unit_action_name ((enum sv_unit_action) a), "?");
  for (int s = 0; s < N_STATES; s++)
    assert_string_not_equal (sv_state_name ((enum sv_state) s), "unknown");
  /* out of range: no cell, never a read past the table */
  assert_int_equal (sv_unit_decide (SV_N_STATES, SV_ON_UP).action, SV_DO_UNSET);
  assert_int_equal (sv_unit_decide (SV_UP, SV_N_EVENTS).action, SV_DO_UNSET);
}

/* The rules the table is made of, checked over every cell. */
static void
only_power_on_takes_a_unit_out_of_off (void **state)
{
  for (int e = 0; e < N_EVENTS; e++)
    if (e != SV_ON_POWER_ON)
      assert_int_equal (sv_unit_decide (SV_OFF, (enum sv_unit_event) e).next, SV_OFF);
  for (int s = 0; s < N_STATES; s++)
    if (s != SV_OFF)
      assert_int_equal (sv_unit_decide ((enum sv_state) s, SV_ON_POWER_ON).action,
                        SV_DO_IMPOSSIBLE);
}

static void
requests_always_get_an_answer (void **state)
{
  /* `labo restart` and `labo kill` come at any time: no state makes them
   * an internal error */
  for (int s = 0; s < N_STATES; s++)
    {
      assert_int_not_equal (sv_unit_decide ((enum sv_state) s, SV_ON_RESTART_NODE).action,
                            SV_DO_IMPOSSIBLE);
      assert_int_not_equal (sv_unit_decide ((enum sv_state) s, SV_ON_RESTART_DAEMON).action,
                            SV_DO_IMPOSSIBLE);
      assert_int_not_equal (sv_unit_decide ((enum sv_state) s, SV_ON_SIGNAL).action,
                            SV_DO_IMPOSSIBLE);
    }
}

static void
the_verdicts_name_their_events (void **state)
{
  assert_int_equal (sv_unit_death_event (LABO_POLICY_RESTART), SV_ON_DIED_RESTART);
  assert_int_equal (sv_unit_death_event (LABO_POLICY_GIVE_UP), SV_ON_DIED_GIVE_UP);
  assert_int_equal (sv_unit_death_event (LABO_POLICY_LEAVE), SV_ON_DIED_LEAVE);
  assert_int_equal (sv_unit_refusal_event (LABO_POLICY_RESTART), SV_ON_REFUSED_RETRY);
  assert_int_equal (sv_unit_refusal_event (LABO_POLICY_LEAVE), SV_ON_REFUSED_LEAVE);
}

/* ---- runs of events, with the table alone ---- */

/* One event, and the runtime's answer to a start (a START or POWER_ON
 * action): a process runtime launches it; a Docker node whose daemon is
 * not up waits for it. */
static enum sv_state
apply (enum sv_state s, enum sv_unit_event e, bool daemon_up)
{
  struct sv_transition t = sv_unit_decide (s, e);

  if (t.action == SV_DO_START || t.action == SV_DO_POWER_ON)
    return sv_unit_decide (t.next, daemon_up ? SV_ON_LAUNCH : SV_ON_WAIT_DAEMON).next;
  return t.next;
}

static void
five_quick_deaths_within_the_window_give_up (void **state)
{
  struct labo_supervise cfg = labo_supervise_defaults ();
  struct labo_policy p;
  enum sv_state s = SV_STARTING;
  double now = 1000, at;
  int deaths = 0;

  labo_policy_init (&p);
  s = apply (s, SV_ON_LAUNCH, true);
  while (s != SV_GAVE_UP)
    {
      assert_int_equal (s, SV_STARTING);
      labo_policy_started (&p, now);
      s = apply (s, SV_ON_UP, true);
      assert_int_equal (s, SV_UP);
      now += 2; /* a quick death, well within the minute */
      s = apply (s, sv_unit_death_event (labo_policy_died (&p, &cfg, now, &at)), true);
      deaths++;
      if (s == SV_DOWN)
        {
          now = at;
          s = apply (s, SV_ON_RESTART_DUE, true);
        }
    }
  assert_int_equal (deaths, cfg.give_up_deaths);
  /* and it stays so: no timer, no start of its own */
  assert_int_equal (sv_unit_decide (s, SV_ON_RESTART_DUE).action, SV_DO_IMPOSSIBLE);
  assert_int_equal (sv_unit_decide (s, SV_ON_LAUNCH).action, SV_DO_IMPOSSIBLE);
}

static void
power_off_stops_everything_and_power_on_starts_again (void **state)
{
  for (int s0 = 0; s0 < N_STATES; s0++)
    {
      enum sv_state s;

      if (s0 == SV_OFF)
        continue;
      s = apply ((enum sv_state) s0, SV_ON_POWER_OFF, true);
      assert_int_equal (s, SV_OFF);
      /* the kill that goes with it, in any verdict: still off */
      assert_int_equal (apply (s, SV_ON_DIED_RESTART, true), SV_OFF);
      assert_int_equal (sv_unit_decide (s, SV_ON_DIED_RESTART).action, SV_DO_OFF_DEATH);
      /* nothing starts it */
      assert_int_equal (sv_unit_decide (s, SV_ON_RESTART_DUE).action, SV_DO_IMPOSSIBLE);
      assert_int_equal (sv_unit_decide (s, SV_ON_LAUNCH).action, SV_DO_IMPOSSIBLE);
      assert_int_equal (sv_unit_decide (s, SV_ON_RESTART_NODE).action, SV_DO_BUSY);
      /* but its host's power */
      assert_int_equal (apply (s, SV_ON_POWER_ON, true), SV_STARTING);
      assert_int_equal (apply (s, SV_ON_POWER_ON, false), SV_WAITING);
    }
}

static void
a_restart_asked_while_given_up_starts_it (void **state)
{
  struct labo_supervise cfg = labo_supervise_defaults ();
  struct labo_policy p;
  enum sv_state s = SV_GAVE_UP;
  double at;

  labo_policy_init (&p);
  p.gave_up = true;
  s = apply (s, SV_ON_RESTART_NODE, true);
  assert_int_equal (s, SV_DOWN);
  labo_policy_reset (&p); /* the action's */
  s = apply (s, SV_ON_RESTART_DUE, true);
  assert_int_equal (s, SV_STARTING);
  labo_policy_started (&p, 1000);
  s = apply (s, SV_ON_UP, true);
  /* its next death is a restart again, not a give-up */
  s = apply (s, sv_unit_death_event (labo_policy_died (&p, &cfg, 1001, &at)), true);
  assert_int_equal (s, SV_DOWN);
}

static void
a_restart_of_a_running_unit_goes_through_its_death (void **state)
{
  enum sv_state s = apply (SV_UP, SV_ON_RESTART_NODE, true);
  assert_int_equal (s, SV_STOPPING);
  assert_int_equal (apply (s, SV_ON_DIED_RESTART, true), SV_DOWN);
  /* a daemon stays up until its pidfd says it died */
  s = apply (SV_UP, SV_ON_RESTART_DAEMON, true);
  assert_int_equal (s, SV_UP);
  assert_int_equal (apply (s, SV_ON_DIED_RESTART, true), SV_DOWN);
}

static void
a_daemons_death_takes_its_running_nodes_and_holds_the_others (void **state)
{
  const enum sv_state running[] = { SV_STARTING, SV_UP, SV_STOPPING };
  for (size_t i = 0; i < 3; i++)
    assert_int_equal (sv_unit_decide (running[i], SV_ON_DAEMON_DIED).action,
                      SV_DO_DIED_WITH_DAEMON);
  /* one waiting to restart restarts with the daemon instead */
  assert_int_equal (apply (SV_DOWN, SV_ON_DAEMON_DIED, true), SV_WAITING);
  assert_int_equal (apply (SV_GAVE_UP, SV_ON_DAEMON_DIED, true), SV_GAVE_UP);
  assert_int_equal (apply (SV_LEFT, SV_ON_DAEMON_DIED, true), SV_LEFT);
  /* and when the daemon is back, a waiting node starts */
  assert_int_equal (apply (SV_WAITING, SV_ON_LAUNCH, true), SV_STARTING);
  assert_int_equal (apply (SV_WAITING, SV_ON_UP, true), SV_UP);
}

static void
a_hung_node_is_killed_and_its_death_restarts_it (void **state)
{
  enum sv_state s = apply (SV_UP, SV_ON_HUNG, true);
  assert_int_equal (s, SV_STOPPING);
  assert_int_equal (sv_unit_decide (SV_UP, SV_ON_HUNG).action, SV_DO_KILL);
  assert_int_equal (apply (s, SV_ON_DIED_RESTART, true), SV_DOWN);
}

static void
the_supervisors_start_sorts_what_it_finds (void **state)
{
  assert_int_equal (apply (SV_STARTING, SV_ON_FOUND_OFF, true), SV_OFF);
  assert_int_equal (apply (SV_STARTING, SV_ON_FOUND_GAVE_UP, true), SV_GAVE_UP);
  /* found dead: a death like any other */
  assert_int_equal (apply (SV_STARTING, SV_ON_DIED_RESTART, true), SV_DOWN);
  assert_int_equal (apply (SV_STARTING, SV_ON_UP, true), SV_UP);
}

/* ---- runs of events, through sv_unit_on ----
 *
 * A unit whose runtime is a fake that counts what it is asked, in a
 * struct sv with a real loop (the restart timer) and a run directory of
 * its own (the record). */

struct fake
{
  int starts, kills, signals, quiesces, last_signal;
  bool daemon_down; /* a start finds its daemon down: it waits */
  bool quit_on_start;
};
static struct fake fake;

static void
fake_start (struct sv_unit *u)
{
  fake.starts++;
  sv_unit_on (u, fake.daemon_down ? SV_ON_WAIT_DAEMON : SV_ON_LAUNCH, NULL);
  if (fake.quit_on_start)
    labo_loop_quit (u->sv->loop, 0);
}

static void
fake_kill (struct sv_unit *u)
{
  fake.kills++;
}

static void
fake_signal (struct sv_node *n, int sig)
{
  fake.signals++;
  fake.last_signal = sig;
}

static void
fake_quiesce (struct sv_unit *u)
{
  fake.quiesces++;
}

static char *
fake_log_tail (struct sv_unit *u)
{
  return xstrdup ("the end of its log\n");
}

static void
fake_sv (struct sv *sv)
{
}

static const struct sv_runtime_ops fake_ops = {
  .setup = fake_sv,
  .init = fake_sv,
  .fini = fake_sv,
  .kill = fake_kill,
  .signal = fake_signal,
  .quiesce = fake_quiesce,
  .log_tail = fake_log_tail,
};

struct world
{
  char dir[64];
  struct labo_lab lab;
  struct labo_supervise cfg;
  struct sv sv;
  struct sv_node node;
};

static int
world_up (void **state)
{
  struct world *w = xcalloc (1, sizeof (*w));
  labo_error_t err = NULL;
  cleanup_free char *labdir = NULL;

  snprintf (w->dir, sizeof (w->dir), "/tmp/labo-test-fsm.XXXXXX");
  if (mkdtemp (w->dir) == NULL)
    return -1;
  setenv ("LABO_RUN_DIR", w->dir, 1);
  labdir = xasprintf ("%s/fsm", w->dir);
  if (mkdir (labdir, 0700) < 0)
    return -1;
  memset (&fake, 0, sizeof (fake));
  w->lab.name = (char *) "fsm";
  w->cfg = labo_supervise_defaults ();
  w->sv.lab = &w->lab;
  w->sv.ops = &fake_ops;
  w->sv.events_fd = w->sv.listen_fd = w->sv.pid_fd = -1;
  if (labo_loop_new (&w->sv.loop, NULL, NULL, NULL, &err) < 0)
    return -1;
  sv_unit_init (&w->sv, &w->node.u, "zoo1", "node", &w->cfg);
  w->node.u.start = fake_start;
  *state = w;
  return 0;
}

static int
world_down (void **state)
{
  struct world *w = *state;
  cleanup_free char *record = xasprintf ("%s/fsm/supervisor.json", w->dir);
  cleanup_free char *labdir = xasprintf ("%s/fsm", w->dir);

  for (size_t i = 0; i < w->sv.ring_len; i++)
    free (w->sv.ring[(w->sv.ring_next + SV_RING_SIZE - w->sv.ring_len + i) % SV_RING_SIZE]);
  free (w->node.u.log_tail);
  labo_timer_disarm (w->sv.loop, &w->node.u.restart_timer);
  labo_loop_free (w->sv.loop);
  unlink (record);
  rmdir (labdir);
  rmdir (w->dir);
  unsetenv ("LABO_RUN_DIR");
  free (w);
  return 0;
}

/* The last event told, as its line. */
static const char *
last_event (const struct world *w)
{
  return w->sv.ring_len ? w->sv.ring[(w->sv.ring_next + SV_RING_SIZE - 1) % SV_RING_SIZE] : "";
}

static void
run_to_up (struct world *w)
{
  struct sv_unit *u = &w->node.u;
  assert_int_equal (sv_unit_on (u, SV_ON_LAUNCH, NULL), SV_DO_LAUNCH);
  assert_true (u->ours);
  sv_unit_up (u, 0, true);
  assert_int_equal (u->state, SV_UP);
  assert_false (u->ours);
}

static void
on_unit_power_off_disarms_the_restart_and_its_kill_is_not_a_death (void **state)
{
  struct world *w = *state;
  struct sv_unit *u = &w->node.u;
  size_t told;

  run_to_up (w);
  sv_unit_died (u, "exit 1", "exited");
  assert_int_equal (u->state, SV_DOWN);
  assert_true (labo_timer_armed (&u->restart_timer));
  assert_int_equal (u->policy.deaths, 1);
  assert_non_null (strstr (last_event (w), "\"kind\":\"died\""));

  assert_int_equal (sv_unit_on (u, SV_ON_POWER_OFF, NULL), SV_DO_POWER_OFF);
  assert_int_equal (u->state, SV_OFF);
  assert_false (labo_timer_armed (&u->restart_timer)); /* nothing restarts it */
  assert_int_equal (fake.quiesces, 1);

  /* the power-off's kill: recorded, no event, the policy untouched */
  told = w->sv.ring_len;
  sv_unit_died (u, "SIGKILL", "exited");
  assert_int_equal (u->state, SV_OFF);
  assert_int_equal (u->policy.deaths, 1);
  assert_string_equal (u->cause, "powered off");
  assert_string_equal (u->last_exit, "SIGKILL");
  assert_int_equal (w->sv.ring_len, told);

  /* an event that cannot come: refused, nothing moves */
  assert_int_equal (sv_unit_on (u, SV_ON_RESTART_DUE, NULL), SV_DO_IMPOSSIBLE);
  assert_int_equal (sv_unit_on (u, SV_ON_UP, NULL), SV_DO_IMPOSSIBLE);
  assert_int_equal (u->state, SV_OFF);
  assert_int_equal (fake.starts, 0);

  assert_int_equal (sv_unit_on (u, SV_ON_POWER_ON, NULL), SV_DO_POWER_ON);
  assert_int_equal (fake.starts, 1);
  assert_int_equal (u->state, SV_STARTING);
}

static void
on_unit_power_on_of_a_docker_node_waits_for_its_daemon (void **state)
{
  struct world *w = *state;
  struct sv_unit *u = &w->node.u;

  assert_int_equal (sv_unit_on (u, SV_ON_FOUND_OFF, NULL), SV_DO_NOTHING);
  fake.daemon_down = true;
  sv_unit_on (u, SV_ON_POWER_ON, NULL);
  assert_int_equal (u->state, SV_WAITING);
  assert_false (labo_timer_armed (&u->restart_timer));
}

static void
on_unit_five_deaths_give_up_and_a_restart_asked_starts_it_again (void **state)
{
  struct world *w = *state;
  struct sv_unit *u = &w->node.u;
  labo_error_t err = NULL;

  run_to_up (w);
  for (int i = 1; i < w->cfg.give_up_deaths; i++)
    {
      sv_unit_died (u, "exit 1", "exited");
      assert_int_equal (u->state, SV_DOWN);
      assert_true (labo_timer_armed (&u->restart_timer));
      /* the timer, without its wait */
      labo_timer_disarm (w->sv.loop, &u->restart_timer);
      assert_int_equal (sv_unit_on (u, SV_ON_RESTART_DUE, NULL), SV_DO_START);
      assert_int_equal (u->state, SV_STARTING);
      sv_unit_up (u, 0, true);
    }
  assert_int_equal (fake.starts, w->cfg.give_up_deaths - 1);
  sv_unit_died (u, "exit 1", "exited");
  assert_int_equal (u->state, SV_GAVE_UP);
  assert_true (u->policy.gave_up);
  assert_false (labo_timer_armed (&u->restart_timer));
  assert_string_equal (u->log_tail, "the end of its log\n");
  assert_non_null (strstr (last_event (w), "\"kind\":\"gave-up\""));

  /* `labo restart`: forgiven, and started by the loop's own timer */
  assert_int_equal (sv_unit_on (u, SV_ON_RESTART_NODE, NULL), SV_DO_RETRY);
  assert_int_equal (u->state, SV_DOWN);
  assert_false (u->policy.gave_up);
  assert_true (labo_timer_armed (&u->restart_timer));
  fake.quit_on_start = true;
  assert_int_equal (labo_loop_run (w->sv.loop, &err), 0);
  assert_int_equal (fake.starts, w->cfg.give_up_deaths);
  assert_int_equal (u->state, SV_STARTING);
}

static void
on_unit_a_refused_start_is_tried_again_and_is_no_death (void **state)
{
  struct world *w = *state;
  struct sv_unit *u = &w->node.u;

  sv_unit_on (u, SV_ON_LAUNCH, NULL);
  sv_unit_start_failed (u, "creating the container failed: no");
  assert_int_equal (u->state, SV_DOWN);
  assert_true (labo_timer_armed (&u->restart_timer));
  assert_int_equal (u->policy.deaths, 0);
  assert_int_equal (u->policy.refused, 1);
  assert_string_equal (u->cause, "creating the container failed: no");
  assert_non_null (strstr (last_event (w), "\"kind\":\"start-failed\""));
  /* started by hand while it waited: the timer is moot */
  sv_unit_up (u, 0, false);
  assert_int_equal (u->state, SV_UP);
  assert_false (labo_timer_armed (&u->restart_timer));
}

static void
on_unit_restart_and_kill_of_a_running_node (void **state)
{
  struct world *w = *state;
  struct sv_unit *u = &w->node.u;

  assert_int_equal (sv_unit_on (u, SV_ON_SIGNAL, &(struct sv_unit_arg){ .signal = SIGTERM }),
                    SV_DO_SIGNAL);
  assert_int_equal (fake.signals, 1);
  run_to_up (w);
  assert_int_equal (sv_unit_on (u, SV_ON_SIGNAL, &(struct sv_unit_arg){ .signal = SIGSTOP }),
                    SV_DO_SIGNAL);
  assert_int_equal (fake.last_signal, SIGSTOP);
  assert_non_null (strstr (last_event (w), "SIGSTOP sent"));
  assert_int_equal (sv_unit_on (u, SV_ON_RESTART_NODE, NULL), SV_DO_RETRY_KILL);
  assert_int_equal (u->state, SV_STOPPING);
  assert_true (u->kill_sent);
  assert_int_equal (fake.kills, 1);
  /* busy while its death is on its way; no signal to what is stopping */
  assert_int_equal (sv_unit_on (u, SV_ON_RESTART_NODE, NULL), SV_DO_BUSY);
  assert_int_equal (sv_unit_on (u, SV_ON_SIGNAL, &(struct sv_unit_arg){ .signal = SIGTERM }),
                    SV_DO_NOT_RUNNING);
  assert_int_equal (fake.signals, 2);
  sv_unit_died (u, "exit 137 (SIGKILL)", "killed by the supervisor");
  assert_int_equal (u->state, SV_DOWN);
}

#define ON_UNIT(t) cmocka_unit_test_setup_teardown (t, world_up, world_down)

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (every_cell_is_written_and_is_the_one_specified),
    cmocka_unit_test (every_event_action_and_state_has_a_name),
    cmocka_unit_test (only_power_on_takes_a_unit_out_of_off),
    cmocka_unit_test (requests_always_get_an_answer),
    cmocka_unit_test (the_verdicts_name_their_events),
    cmocka_unit_test (five_quick_deaths_within_the_window_give_up),
    cmocka_unit_test (power_off_stops_everything_and_power_on_starts_again),
    cmocka_unit_test (a_restart_asked_while_given_up_starts_it),
    cmocka_unit_test (a_restart_of_a_running_unit_goes_through_its_death),
    cmocka_unit_test (a_daemons_death_takes_its_running_nodes_and_holds_the_others),
    cmocka_unit_test (a_hung_node_is_killed_and_its_death_restarts_it),
    cmocka_unit_test (the_supervisors_start_sorts_what_it_finds),
    ON_UNIT (on_unit_power_off_disarms_the_restart_and_its_kill_is_not_a_death),
    ON_UNIT (on_unit_power_on_of_a_docker_node_waits_for_its_daemon),
    ON_UNIT (on_unit_five_deaths_give_up_and_a_restart_asked_starts_it_again),
    ON_UNIT (on_unit_a_refused_start_is_tried_again_and_is_no_death),
    ON_UNIT (on_unit_restart_and_kill_of_a_running_node),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
