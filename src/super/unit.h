/* The supervisor's units and the core they share: every daemon and node
 * is a `unit`, and this is the one place that moves units between states,
 * tells events, watches pids and keeps the record a successor reads. The
 * rest of the supervisor is built around it:
 *   unit.c          the model's core; it calls nothing of the files below
 *                   but through the hooks it is given (a unit's start and
 *                   exited, the runtime's table sv->ops, sv->broadcast)
 *   sv_probe.c      four-letter-word probes, hung nodes, roles, the
 *                   ensemble (sv_probe.h)
 *   sv_docker.c     the Docker runtime: a daemon per host (a child process,
 *                   its /events stream) and the nodes as containers
 *   sv_process.c    the process runtime: the nodes as child processes
 *   supervisor.c    the process: loop, signals, control socket, requests,
 *                   power; picks the runtime's table (sv_runtime.h)
 * Who includes whom, one way: unit.h is everyone's; sv_probe.h is the
 * runtimes' and supervisor.c's; sv_runtime.h is the runtimes' (each
 * defines its table) and supervisor.c's (it picks one). unit.c includes
 * no other header of the supervisor's, sv_probe.c none but its own.
 *
 * Every daemon and node has the same state machine, after s6-supervise,
 * written once as a table, state x event -> (action, next state), in
 * unit.c; sv_unit_on is the one writer of a unit's state. STARTING -> UP
 * -> (death) -> DOWN (a timer to the restart the policy chose) ->
 * STARTING ..., or GAVE_UP, or LEFT (restart off). STOPPING is a kill the
 * supervisor sent to a node (hung, `labo restart`) whose death is on its
 * way; WAITING is a node whose host's daemon is not up; OFF, a unit whose
 * host is powered off: its death is no event for the policy, and it
 * starts again only with its host. */
#ifndef LABO_SUPER_UNIT_H
#define LABO_SUPER_UNIT_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "labo/docker/daemon.h"
#include "labo/docker/docker_async.h"
#include "labo/kind/kind.h"
#include "labo/model/lab.h"
#include "labo/super/control.h"
#include "labo/util/loop.h"
#include "labo/super/policy.h"
#include "labo/super/supervisor.h"
#include "labo/zk/zk.h"

/* The events' ring: the last events, as the lines clients get. */
#define SV_RING_SIZE 256
/* In $LABO_RUN_DIR/<lab>/: every event, one JSON object a line. */
#define SV_EVENTS_FILE LABO_EVENTS_FILE
/* What a give-up keeps of a unit's log (status shows it): its last lines. */
#define SV_LOG_TAIL_LINES 12
#define SV_LOG_TAIL_BYTES 4096

enum sv_state
{
  SV_STARTING,
  SV_UP,
  SV_STOPPING,
  SV_DOWN,
  SV_WAITING,
  SV_GAVE_UP,
  SV_LEFT,
  SV_OFF,      /* its host is powered off (`labo stop HOST`) */
  SV_N_STATES
};

/* What happens to a unit: the table's columns (unit.c). A death and a
 * refused start come with the policy's verdict already asked (on a copy
 * of the unit's policy, which the death's action keeps: a death while
 * powered off leaves the policy as it was). */
enum sv_unit_event
{
  SV_ON_FOUND_OFF,      /* the supervisor starts: its host is on record as powered off */
  SV_ON_FOUND_GAVE_UP,  /* the supervisor starts: a predecessor gave up on it */
  SV_ON_WAIT_DAEMON,    /* a node's start: its daemon (or its gossip) is not up; it waits */
  SV_ON_RESTART_DUE,    /* its restart timer fired */
  SV_ON_LAUNCH,         /* its runtime starts it (a process, a container, a dockerd) */
  SV_ON_UP,             /* it runs: its start worked, it was found running, started by hand */
  SV_ON_DIED_RESTART,   /* it died; the policy restarts it at a time */
  SV_ON_DIED_GIVE_UP,   /* it died; the policy gives up: too many deaths */
  SV_ON_DIED_LEAVE,     /* it died; restart is off */
  SV_ON_DAEMON_DIED,    /* a node's daemon died (its host on): it took the node along */
  SV_ON_REFUSED_RETRY,  /* its runtime refused its start (nothing ran); tried again at a time */
  SV_ON_REFUSED_LEAVE,  /* its runtime refused its start; restart is off */
  SV_ON_HUNG,           /* its probes found it hung */
  SV_ON_RESTART_NODE,   /* `labo restart NODE` */
  SV_ON_RESTART_DAEMON, /* `labo restart HOST`, its daemon */
  SV_ON_SIGNAL,         /* `labo kill NODE` */
  SV_ON_POWER_OFF,      /* `labo stop HOST` (the caller kills what runs) */
  SV_ON_POWER_ON,       /* `labo start HOST` */
  SV_N_EVENTS
};

/* What the unit core does at an event (unit.c says each in full). */
enum sv_unit_action
{
  SV_DO_UNSET = 0,        /* a cell the table forgot: there is none (test_unit_fsm.c) */
  SV_DO_IMPOSSIBLE,       /* cannot happen: logged as an internal error, nothing changes */
  SV_DO_NOTHING,          /* nothing but the state */
  SV_DO_START,            /* "start" event; the runtime's start */
  SV_DO_LAUNCH,           /* the run to come is the supervisor's (its start counted at up) */
  SV_DO_UP,               /* the start counted if it is one; "up" event */
  SV_DO_RESTART_LATER,    /* "died" event; the restart timer at the policy's time */
  SV_DO_GIVE_UP,          /* "died", "gave-up" events; the end of its log kept */
  SV_DO_LEAVE,            /* "died" event: restart is off */
  SV_DO_DIED_WITH_DAEMON, /* "died" event; counted, no verdict: it starts with its daemon */
  SV_DO_OFF_DEATH,        /* its host's power-off killed it: recorded, nothing for the policy */
  SV_DO_RETRY_LATER,      /* "start-failed" event; the restart timer at the policy's time */
  SV_DO_LEAVE_REFUSED,    /* "start-failed" event: restart is off */
  SV_DO_KILL,             /* the runtime kills it (its death is told with the cause set) */
  SV_DO_RETRY,            /* the policy reset; "retry" event; the restart timer now */
  SV_DO_RETRY_KILL,       /* the policy reset; "retry" event; the runtime kills it */
  SV_DO_BUSY,             /* the policy reset; the request refused: busy */
  SV_DO_SIGNAL,           /* "kill" event; the runtime sends the signal */
  SV_DO_NOT_RUNNING,      /* the request refused: not running */
  SV_DO_POWER_OFF,        /* nothing left in flight (the runtime's quiesce); no restart */
  SV_DO_POWER_ON,         /* the runtime's start (the "power" event tells it) */
  SV_N_ACTIONS
};

struct sv_transition
{
  enum sv_unit_action action;
  enum sv_state next;
};

/* What an event carries; only what its action reads is set. */
struct sv_unit_arg
{
  double now;             /* labo_now () of the event; 0: taken when applied */
  double up_since;        /* SV_ON_UP: wall clock of the run's start; 0 unknown */
  bool counted;           /* SV_ON_UP: a start for the policy */
  const char *exit_text;  /* deaths: "exit 1", "SIGKILL", "unknown" */
  const char *cause;      /* deaths: "exited", "hung (...)"; refused starts: why */
  struct labo_policy policy; /* deaths, refused starts: the policy after it */
  double at;              /* SV_ON_DIED_RESTART, SV_ON_REFUSED_RETRY: when to start again */
  int signal;             /* SV_ON_SIGNAL */
};

struct sv;

struct sv_unit
{
  struct sv *sv;
  const char *name;  /* the lab's */
  const char *kind;  /* "daemon" or "node", for events */
  enum sv_state state;
  const struct labo_supervise *cfg;
  struct labo_policy policy;
  struct labo_timer restart_timer;
  double up_since;    /* wall clock (s) of the current run's start; 0 unknown */
  double restart_at;  /* monotonic, while DOWN */
  char last_exit[64]; /* "exit 1", "SIGKILL", "unknown" ("" before any death) */
  char cause[128];    /* of the last death: "exited", "hung (...)", "its daemon died" */
  char *log_tail;     /* at the give-up: the end of its log */
  pid_t pid;          /* its process (daemon, node process, container init) */
  int pidfd;
  bool child;         /* ours (waitid gives the exit status) */
  double noticed;     /* monotonic: the death seen (pidfd), for the figures */
  bool kill_sent;     /* the death was asked for (hung, restart) */
  bool ours;          /* the start under way is the supervisor's (counted) */
  void (*start) (struct sv_unit *u);
  /* its process ended; exit_text says how ("unknown" when not our child) */
  void (*exited) (struct sv_unit *u, const char *exit_text);
};

/* What waits on Docker's gossip (sv_docker.c): a daemon's start, or the
 * start of its nodes once it runs again. */
enum sv_gate
{
  SV_GATE_NONE,
  SV_GATE_START,
  SV_GATE_NODES,
};

struct sv_daemon
{
  struct sv_unit u;
  size_t host;
  struct labo_daemon_paths paths;
  struct labo_dcall *events;  /* the /events stream */
  bool events_open;
  struct labo_dcall *ping;
  int inotify_fd;             /* while starting: the socket appears */
  struct labo_timer ready_timer;
  double ready_deadline;
  /* its gossip (Docker's networkdb): the hosts its ingress network lists */
  struct labo_dcall *peers_call;
  double peers_asked;         /* monotonic: when the call in flight was made */
  uint32_t *peers;            /* lab addresses, as of peers_at */
  size_t n_peers;
  double peers_at;            /* when the answer in peers was asked; 0 none */
  bool launched;              /* its current run is one the supervisor started */
  enum sv_gate gate;
  double gate_since;          /* monotonic */
  bool gate_told;             /* the wait is in the events */
};

struct sv_node;
/* A word of a probe round, for its callback: which node, which word. */
struct sv_word
{
  struct sv_node *node;
  int k; /* the kind's request k (ZooKeeper: 0 ruok, 1 srvr, 2 mntr) */
};

struct sv_node
{
  struct sv_unit u;
  size_t index;              /* in lab->nodes */
  const struct labo_node *node;
  struct sv_daemon *daemon;  /* the Docker runtime: its host's */
  struct labo_dcall *call;   /* the Docker call in flight for it */
  char *start_error;         /* a start answered 404: why, until an inspect says whose */
  struct labo_timer settle_timer; /* pidfd fired, the die event is late */
  /* probes: the three words of a round are asked at once */
  struct labo_timer probe_timer;
  struct labo_zk_probe *probe[LABO_KIND_MAX_ASKS]; /* the kind's requests in flight */
  struct sv_word word[LABO_KIND_MAX_ASKS];
  char *reply[LABO_KIND_MAX_ASKS];            /* their answers (NULL: failed, error[k]) */
  char *error[LABO_KIND_MAX_ASKS];
  int pending;               /* words of the round not answered yet */
  /* an exec health check in flight (the kind's exec): a child of the
   * supervisor runs it in the node (labo_pid_run) and writes its verdict
   * into a pipe; its pidfd on the loop says when it is done. exec_pid 0:
   * none (then the two descriptors mean nothing) */
  pid_t exec_pid;
  int exec_pidfd;
  int exec_out;
  struct labo_timer exec_timer; /* the backstop: the probe timeout and 2 s */
  int failures;              /* probes unanswered in a row */
  bool answered;             /* since its start */
  bool not_started;          /* a by-hand node whose attendee has not started its service */
  bool unprobeable;          /* it answers, but its configuration allows no ruok/srvr */
  double started;            /* monotonic, of its start (for the grace) */
  enum labo_mode mode;
  struct labo_probe_result result; /* the last round's verdict that found it alive */
  double probed_at;          /* wall clock of the last answer */
  bool paused;               /* `labo pause`: frozen on purpose; probes held, never hung */
};

struct sv_client;

/* What the runtimes do differently, as a table chosen once at the
 * supervisor's start from the lab's runtime (after crun's cgroup
 * managers): nothing else in the supervisor asks which runtime runs. */
struct sv_runtime_ops
{
  /* The stage of `up` that makes its nodes (containers; processes): a lab
   * brought up --until an earlier one has none to supervise. */
  enum labo_stage nodes_at;
  /* Before the record is read: the runtime's own units (a daemon for each
   * Docker host), beside the nodes every runtime has. */
  void (*setup) (struct sv *sv);
  /* Once the units' tallies and power are known: takes over what runs,
   * starts or awaits the rest. */
  void (*init) (struct sv *sv);
  /* At the supervisor's end: cancels what is in flight. */
  void (*fini) (struct sv *sv);
  /* Kills a unit the supervisor wants dead (hung, `labo restart`); its
   * death comes back through its exited hook. */
  void (*kill) (struct sv_unit *u);
  /* `labo kill NODE`: the signal, as a fault. */
  void (*signal) (struct sv_node *n, int sig);
  /* Its host goes off: nothing left in flight for it (probes, calls,
   * timers, streams) but the watch on its pid, whose death is told. */
  void (*quiesce) (struct sv_unit *u);
  /* The end of its log, kept at a give-up. Caller frees. */
  char *(*log_tail) (struct sv_unit *u);
};

struct sv
{
  const struct labo_lab *lab;
  enum labo_runtime runtime;
  const struct sv_runtime_ops *ops; /* the runtime's: sv_docker_runtime or sv_process_runtime */
  struct labo_supervisor_opts opts;
  struct labo_loop *loop;
  struct labo_dmulti *dm;
  struct sv_daemon *daemons; /* one per host; those without Docker unused */
  struct sv_node *nodes;
  size_t n_nodes;
  int *host_ns;              /* network namespace of each host, for probes */
  char *images;              /* the nodes' images, "NODE REF" lines (Docker runtime) */
  struct labo_timer gossip_timer; /* the gates' next look at the daemons' gossip */
  struct labo_timer drift_timer;  /* the drifting clocks' next step (labo clock --drift) */
  /* control */
  int listen_fd;
  struct sv_client *clients;
  int pid_fd;                /* supervisor.pid, flocked */
  /* events */
  char *ring[SV_RING_SIZE];  /* the last events, as the lines clients get */
  size_t ring_next, ring_len;
  int events_fd;             /* events.jsonl */
  /* an event's line, for the clients that follow the events (supervisor.c) */
  void (*broadcast) (struct sv *sv, const char *line, size_t len);
  /* the ensemble as the probes see it */
  char leader[LABO_HOSTNAME_MAX + 1];
  bool quorum, ensemble_known;
  double started_wall;
  bool stopping;
};

/* ---- the unit core (unit.c) ---- */
/* Tells an event: to the events file, the ring, the foreground's stdout,
 * and sv->broadcast (the clients that follow the events). */
void sv_event (struct sv *sv, const char *kind, const char *subject, json_t *fields,
               const char *fmt, ...) __attribute__ ((format (printf, 5, 6)));
/* The ring filled with the end of events.jsonl, before any event of this
 * supervisor's: a successor's `labo events` tells what came before it (a
 * reset begun under its predecessor). */
void sv_events_load (struct sv *sv);
/* A unit's process: watches its pidfd; `child`: waitid will give its status. */
int sv_watch_pid (struct sv_unit *u, pid_t pid, bool child);
void sv_unwatch_pid (struct sv_unit *u);
/* A unit as the supervisor starts: STARTING, its policy fresh. */
void sv_unit_init (struct sv *sv, struct sv_unit *u, const char *name, const char *kind,
                   const struct labo_supervise *cfg);

/* The table, pure: what event e does to a unit in state s, and the state
 * it leaves it in. Every (state, event) has its cell, the impossible ones
 * included (SV_DO_IMPOSSIBLE, next = s). */
struct sv_transition sv_unit_decide (enum sv_state s, enum sv_unit_event e);
/* The one function that moves a unit between states: the cell of its
 * state and e, the state set, then the action done (an action may raise
 * an event of its own, as a start does). A restart timer runs only while
 * DOWN: whatever takes a unit to another state disarms it. arg: what e
 * carries (NULL: nothing). Returns the action, by which requests answer. */
enum sv_unit_action sv_unit_on (struct sv_unit *u, enum sv_unit_event e,
                                const struct sv_unit_arg *arg);
/* The event of a death, and of a refused start, by the policy's verdict
 * (pure, as sv_unit_decide). */
enum sv_unit_event sv_unit_death_event (enum labo_policy_verdict v);
enum sv_unit_event sv_unit_refusal_event (enum labo_policy_verdict v);
const char *sv_unit_event_name (enum sv_unit_event e);
const char *sv_unit_action_name (enum sv_unit_action a);

/* The events the runtimes raise with something to carry, or a verdict
 * of the policy to ask first: */
/* The unit runs (its start worked, or it was found running). */
void sv_unit_up (struct sv_unit *u, double up_since_wall, bool counted_start);
/* The unit died of itself: exit text, cause; the policy's verdict. */
void sv_unit_died (struct sv_unit *u, const char *exit_text, const char *cause);
/* A unit found when the supervisor starts, running as pid (0: none):
 * true if it runs (its pid is watched now); false if it was given up by a
 * predecessor, or is dead (a death, for the policy). */
bool sv_unit_adopt (struct sv_unit *u, pid_t pid);
/* A start the runtime refused (nothing ran): tried again after the
 * policy's backoff; not a death. */
void sv_unit_start_failed (struct sv_unit *u, const char *why);

/* The record (supervisor.json): the units' tallies, written at each
 * change, read back by a successor before it adopts anything. */
void sv_save (struct sv *sv);
void sv_restore (struct sv *sv);
const char *sv_state_name (enum sv_state s);
/* Is pid a child of this process? */
bool sv_is_child (pid_t pid);
/* "exit 1", "SIGKILL" from a waitid status. */
void sv_exit_text (int code, int si_code, char *buf, size_t len);
/* Reads at most `max` bytes of the end of a file; "" if absent. */
char *sv_file_tail (const char *path, size_t max, int lines);

#endif
