/* `labo verify`: the tutorial's steps (Le Labo #3, sections 3 and 4) as
 * checks over a lab that is up, in the tutorial's order, each done, not
 * yet (with what is wrong and the tutorial's command that does it, in the
 * lab's own names) or not applicable. For a trainer: which step each lab
 * has reached.
 *
 * Two halves, so that the verdicts are unit-tested without a lab: the
 * facts (what the daemons answer, what each node holds, gathered at once:
 * one script a node, all nodes in parallel) and the assessment, a pure
 * function of the lab and the facts. The report is a JSON object
 * (docs/json.md, "verify --json"), and the text is printed from it. */
#ifndef LABO_VERIFY_H
#define LABO_VERIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "labo/util/error.h"
#include "labo/model/lab.h"
#include "labo/zk/zk.h"

/* The steps; their ids ("docker", "swarm", ...) are an interface: docs and
 * tests name them. */
enum labo_verify_step
{
  LABO_VERIFY_DOCKER,
  LABO_VERIFY_SWARM,
  LABO_VERIFY_OVERLAY,
  LABO_VERIFY_CONTAINERS,
  LABO_VERIFY_PING,
  LABO_VERIFY_SSH,
  LABO_VERIFY_JAVA,
  LABO_VERIFY_MYID,
  LABO_VERIFY_SERVERS,
  LABO_VERIFY_RUNNING,
  LABO_VERIFY_ROLES,
  LABO_VERIFY_STEPS
};
const char *labo_verify_step_id (enum labo_verify_step s);

enum labo_verify_state
{
  LABO_VERIFY_NA,      /* does not apply to this lab: not counted */
  LABO_VERIFY_NOT_YET, /* applies, and is not so (yet) */
  LABO_VERIFY_DONE,
};
const char *labo_verify_state_name (enum labo_verify_state s); /* "n/a", "not-yet", "done" */

/* ---- facts ---- */

struct labo_verify_host_facts
{
  bool daemon;        /* its dockerd answered GET /_ping */
  char *daemon_error; /* else why, if known */
};

/* What a node's script reported (labo_verify_node_script's lines). The
 * ping and ssh facts are the first node's, about node i. */
struct labo_verify_node_facts
{
  bool running;      /* its container or process runs (the runtime's word) */
  char state[32];    /* that word: running, exited, missing... */
  bool asked;        /* its script ran and its lines are below */
  char *ask_error;   /* else why not (not running, could not enter), if known */
  int java;          /* java -version's exit status; -1: not reported */
  char *cfg_path;    /* the zoo.cfg found; NULL: none */
  char **servers;    /* its server.N= lines, as written */
  size_t n_servers;
  char *data_dir;    /* zoo.cfg's dataDir; NULL: none said */
  char *myid_path;   /* the myid found; NULL: none */
  char *myid;        /* its first line */
  int ping;          /* from the first node: ping's exit status; -1: not asked */
  int ssh;           /* from the first node: ssh's exit status; -1: not asked */
  char *ssh_out;     /* ssh's output, on one line: the hostname, or its complaint */
  enum labo_mode mode; /* srvr's answer; LABO_MODE_DOWN: none */
};

struct labo_verify_facts
{
  bool daemons;    /* the runtime runs a dockerd per Docker host (runtime table) */
  bool node_image; /* a node is a system of its own (runtime table): java, ssh apply */
  struct labo_verify_host_facts *hosts; /* lab->n_hosts */
  json_t *swarm_nodes;   /* the manager's GET /nodes ({name, state, ...}), or NULL */
  char *swarm_error;     /* why not, when asked */
  bool overlay_found;    /* the manager has a network of the overlay's name */
  char *overlay_subnet;  /* its first IPAM subnet, or NULL */
  char *overlay_error;   /* why it could not be asked */
  struct labo_verify_node_facts *nodes; /* lab->n_nodes */
};

/* Empty facts for lab (nothing known, nothing answered); free with
 * labo_verify_facts_free. */
void labo_verify_facts_init (const struct labo_lab *lab, struct labo_verify_facts *f);
void labo_verify_facts_free (const struct labo_lab *lab, struct labo_verify_facts *f);

/* The one script run in node i (sh, busybox's or the machine's), printing
 * one fact a line: "java STATUS" (when java applies), "cfg PATH",
 * "server LINE", "datadir DIR", "myid PATH VALUE"; the first node also
 * "ping NAME STATUS" and, when ssh applies, "ssh NAME STATUS OUTPUT" for
 * every other node that runs (reach[k]; NULL: all of them).
 * Every command in it is bounded by `timeout`, and the pings and the ssh
 * run in parallel. Caller frees. */
char *labo_verify_node_script (const struct labo_lab *lab, size_t i, bool node_image,
                               const bool *reach);
/* Reads a script's output into nf (asked = true). Lines it does not know
 * are ignored. For node i of lab (the ping and ssh lines of the first node
 * go to the facts of the node they name: all of f->nodes). */
void labo_verify_parse_node (const struct labo_lab *lab, size_t i, const char *out,
                             struct labo_verify_facts *f);

/* ---- the assessment (pure) ---- */

struct labo_verify_check
{
  enum labo_verify_step step;
  enum labo_verify_state state;
  char *detail; /* what was found: "2 nodes, all Ready (manager mida-clm1)" */
  char *hint;   /* when not yet: the tutorial's command, in the lab's names; else NULL */
};

struct labo_verify_report
{
  char *lab;
  struct labo_verify_check checks[LABO_VERIFY_STEPS];
  size_t done, steps; /* steps: those that apply */
};

void labo_verify_assess (const struct labo_lab *lab, const struct labo_verify_facts *f,
                         struct labo_verify_report *r);
void labo_verify_report_free (struct labo_verify_report *r);

/* ---- gathering, and the whole verb ---- */

/* Asks the daemons, the runtime and every node (in parallel, each bounded
 * in time) what verify needs. Never fails: what cannot be asked is a fact
 * too. */
void labo_verify_gather (const struct labo_lab *lab, struct labo_verify_facts *f);

/* Verifies the lab that is up under that name: its report as JSON
 * ({lab, done, steps, ok, checks: [{id, title, state, detail, hint}]}), a
 * new reference; NULL with err when the lab is not up. */
json_t *labo_verify_json (const char *lab, labo_error_t *err);
/* The report as JSON. */
json_t *labo_verify_report_json (const struct labo_verify_report *r);
/* The text form: a head line, then one line a step (and its hint). */
void labo_verify_print (json_t *report, FILE *out);
/* One line for a trainer looking at many labs: "LAB  9/11  next: ssh
 * (namenode1 -> namenode2 asks for a password)", or "LAB  11/11  all
 * done"; width: the longest lab name, to align them. */
void labo_verify_print_line (json_t *report, int width, FILE *out);

#endif
