/* Shared by the command line's files (src/cli/): exit codes, usage,
 * finding the lab and the host or node a verb names. One file per group
 * of verbs: main.c (dispatch, validate, ls), lifecycle.c (up, down),
 * inspect.c (status, verify, events, graph), exec.c (exec, logs, restart), faults.c
 * (partition, heal, stop, start, kill), link.c (link), chaos.c (chaos,
 * check), complete.c (__names, for the shell completion), capture.c
 * (capture). */
#ifndef LABO_CLI_H
#define LABO_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "labo/util/error.h"
#include "labo/model/lab.h"
#include "labo/model/limits.h"

/* The documented exit codes (README, `labo --help`). */
enum
{
  EXIT_OK = 0,
  EXIT_FAIL = 1,
  EXIT_INPUT = 2,
  EXIT_PRIV = 3,
  EXIT_NOTFOUND = 4,
};

/* The verbs (verbs.c): one row each, read by dispatch, help, did-you-mean
 * and the completion. */
enum cli_group
{
  CLI_GROUP_LAB,
  CLI_GROUP_LOOK,
  CLI_GROUP_FAULT,
  CLI_GROUP_CHECK,
  CLI_GROUP_OTHER,
  CLI_GROUP_HIDDEN,
};
enum
{
  CLI_NO_STATE = 1 << 0,    /* reads no root state: no check of LABO_RUN_DIR & co */
  CLI_NO_LAB = 1 << 1,      /* acts on no lab */
  CLI_TARGET = 1 << 2,      /* names a host or a node of a lab */
  CLI_STOP_AT_ARG = 1 << 3, /* options end at the first argument (exec's command) */
};
struct cli_verb
{
  const char *name;
  int (*fn) (int argc, char **argv);
  enum cli_group group;
  const char *synopsis; /* after "usage: labo " */
  const char *summary;  /* one line, for the overview */
  const char *details;  /* description, options, examples; may be NULL */
  unsigned flags;
};
const struct cli_verb *cli_verbs (size_t *n);
/* The verb of that name, or of a word other tools use for it
 * ("destroy": down); NULL if none. */
const struct cli_verb *cli_verb_find (const char *name);
/* The verb `word` is nearest to (a typo, a prefix), or NULL. */
const char *cli_verb_suggest (const char *word);
/* Says `word` is no verb, with a did-you-mean or a pointer; EXIT_INPUT. */
int cli_unknown_verb (const char *word);
void cli_help_overview (FILE *out);
void cli_help_verb (const struct cli_verb *v, FILE *out);

/* The verb being run ("up", "link"...), for messages. */
extern const char *cli_verb_name;

struct option;
/* getopt_long for a verb, silent: an unknown option or a missing value is
 * told in one line ("labo up: unknown option '--foo'; see 'labo up
 * --help'") and '?' returned, for the verb to return EXIT_INPUT. A leading
 * '+' in shortopts stops at the first argument, as getopt's. */
int cli_getopt (int argc, char **argv, const char *shortopts, const struct option *longopts);

/* The limits lab files and scenarios are read under: the defaults, as
 * `labo --limit NAME=N COMMAND` changed them (main.c). */
extern struct labo_limits cli_limits;

/* Prints "labo: <fmt with arg>; see 'labo VERB --help'"; returns
 * EXIT_INPUT. */
int cli_usage (const char *fmt, const char *arg);
/* Prints and releases err; returns code. */
int cli_fail (labo_error_t *err, int code);
/* EXIT_OK for a valid lab name; else says why and returns EXIT_INPUT. */
int cli_check_lab_name (const char *name);

/* Loads FILE, or the built-in seed when path is NULL; prints diagnostics
 * and returns NULL on any. *text is the file's text (caller frees). */
struct labo_lab *cli_load_lab (const char *path, char **text, size_t *len);
/* Warns (file:line:col: warning: ...) about what a lab exposes to every
 * user of the machine because its file says so: an insecure Docker API,
 * a segment exposing all its ports. validate and up say it. */
void cli_lab_warnings (const struct labo_lab *lab);
/* validate --json of path (NULL: the seed): prints the object, returns the
 * exit code. */
int cli_validate_json (const char *path);
/* LAB, FILE (its lab's name) or nothing ($LABO_LAB, else the only lab up).
 * With several up and none named, the error lists them. *name is owned.
 * A LAB that is not a valid lab name is bad input (EXIT_INPUT). */
int cli_resolve_lab (const char *arg, bool none_ok, char **name);
/* A verb's lab: -l LAB (opt), or the one positional argument left after
 * the options (the documented `status LAB` form), not both. *lab may be
 * NULL (cli_resolve_lab then takes LABO_LAB, or the only lab up). */
int cli_lab_arg (const char *opt, int argc, char **argv, const char **lab);
/* The lab as it was brought up (its saved lab file, its runtime), or NULL. */
struct labo_lab *cli_state_lab (const char *name);
/* The lab named by arg (as cli_resolve_lab takes it), as it was brought
 * up; NULL after saying why (*code: the exit code). */
struct labo_lab *cli_running_lab (const char *arg, int *code);
/* The lab (named with -l, or the only one up having it) that has a host or
 * node named `name`. */
int cli_find_target (const char *lab_opt, const char *name, char **lab, bool *is_node);
/* The same, saying nothing. */
int cli_find_target_quiet (const char *lab_opt, const char *name, char **lab, bool *is_node);
/* The lab (as cli_find_target finds it) of host or node `name`, loaded;
 * NULL after saying why (*code: the exit code). want_host: a node's name
 * is an error. */
struct labo_lab *cli_target_lab (const char *lab_opt, const char *name, bool want_host,
                                 int *code);



int cmd_help (int argc, char **argv);
int cmd_version (int argc, char **argv);
int cmd_validate (int argc, char **argv);
int cmd_ls (int argc, char **argv);
int cmd_up (int argc, char **argv);
int cmd_down (int argc, char **argv);
int cmd_reset (int argc, char **argv);
int cmd_status (int argc, char **argv);
int cmd_verify (int argc, char **argv);
int cmd_events (int argc, char **argv);
int cmd_graph (int argc, char **argv);
int cmd_export (int argc, char **argv);
int cmd_deploy (int argc, char **argv);
/* The lab export and deploy carry: a FILE as declared, a lab that is up as
 * it was brought up, with no argument the only lab up, else the built-in
 * seed. NULL with *code the exit status when there is none. *text, when
 * text is not NULL: the lab file's text (caller frees), *len its length. */
struct labo_lab *cli_export_lab (const char *arg, int *code, char **text, size_t *len);
/* A status-like document: as indented JSON, or through its printer.
 * Takes st (decref'd). EXIT_OK. */
int cli_show (json_t *st, bool as_json, void (*print) (json_t *, FILE *));
/* A lab deployed from this machine (labo deploy) under `name`, and not up
 * here: its record, else NULL. */
json_t *cli_deployed (const char *name);
/* status, check, kill and down of a deployed lab (src/cli/deploy.c), the
 * verbs' own options parsed; each returns the exit status. */
int cli_deployed_status (json_t *rec, bool as_json);
/* check's lab and endpoints: one "ADDR:PORT" a node, where the Swarm runs
 * it (*endpoints: lab->n_nodes strings, labo_strv_free). NULL after saying
 * why (*code). */
struct labo_lab *cli_deployed_endpoints (json_t *rec, char ***endpoints, int *code);
int cli_deployed_kill (json_t *rec, const char *node, int sig);
/* forget: only the record goes, the Swarm is not asked (its servers are
 * gone, or it was taken down by other means). */
int cli_deployed_down (json_t *rec, bool quiet, bool as_json, bool forget);
int cmd_web (int argc, char **argv);
int cmd_exec (int argc, char **argv);
int cmd_logs (int argc, char **argv);
int cmd_restart (int argc, char **argv);
int cmd_partition (int argc, char **argv);
int cmd_heal (int argc, char **argv);
int cmd_stop (int argc, char **argv);
int cmd_start (int argc, char **argv);
int cmd_kill (int argc, char **argv);
int cmd_pause (int argc, char **argv);
int cmd_resume (int argc, char **argv);
int cmd_link (int argc, char **argv);
int cmd_clock (int argc, char **argv);
int cmd_chaos (int argc, char **argv);
int cmd_check (int argc, char **argv);
int cmd_linkemu (int argc, char **argv); /* __linkemu: the emulator process */
int cmd_names (int argc, char **argv);   /* __names: the shell completion's names */
int cmd_capture (int argc, char **argv);

/* Each lab's `verify` report (labo_verify_json), side by side in threads;
 * a NULL report has its error in errs[i]. Caller frees the array. */
json_t **cli_verify_many (char **labs, size_t n, labo_error_t *errs);

#endif
