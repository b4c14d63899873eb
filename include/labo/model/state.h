/* A lab's run state, under $LABO_RUN_DIR (default /run/labo) / <lab>/:
 *   lock      flock()ed by whoever changes the lab (up, down): released by
 *             the kernel if that process dies, even by kill -9
 *   journal   one line per object, written BEFORE the object is made:
 *             "netns <name>", or "rootlink <switch port> <root ifname>" for a
 *             veth from the root namespace; teardown walks it backwards,
 *             so whatever point `up` died at, `down` finds what it made
 *   lab.yaml  the lab file as it was brought up (status reads it back)
 *   meta      "file=...\ncreated=...\npid=...\nstate=building|up\n"
 *   hosts     the lab's /etc/hosts, bind-mounted in processes run in hosts
 * A tmpfs (/run) is the right home: state does not outlive a reboot, and
 * neither do namespaces. */
#ifndef LABO_STATE_H
#define LABO_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "labo/util/error.h"
#include "labo/model/lab.h"

struct labo_state
{
  char *lab;
  char *dir;
  int lock_fd;
  int journal_fd;
};

/* $LABO_RUN_DIR, default /run/labo: the labs' run state. */
const char *labo_run_dir (void);
/* $LABO_STATE_DIR, default /var/lib/labo: the daemons' and nodes' data. */
const char *labo_state_root (void);
/* Where a failed `up` keeps its logs: $LABO_LOG_DIR, else /var/log/labo
 * (labo/logs.h). */
const char *labo_log_root (void);
/* Both are safe homes for root's state (labo_fs_check_secure): the
 * command line checks this before any verb that writes there. */
int labo_state_check_env (labo_error_t *err);
char *labo_state_dir (const char *lab);

/* Opens (create: making) the lab's directory and takes its lock, waiting
 * for nobody: a busy lock is an error naming the holder. Without create, a
 * missing directory returns 0 with st->dir == NULL. A name that is not a
 * lab's (labo_lab_name_check) is an error before any path is made. */
int labo_state_open (const char *lab, bool create, struct labo_state *st, labo_error_t *err);
void labo_state_close (struct labo_state *st);

/* Appends "kind name\n" to the journal. */
int labo_state_record (struct labo_state *st, const char *kind, const char *name,
                       labo_error_t *err);
/* Reads the journal: parallel arrays of kinds and names, in order. Only
 * lines as `up` writes them for this lab are returned (a netns line names
 * labo.<lab> or labo.<lab>.<host>, ...): anything else is ignored. */
int labo_state_journal (const char *lab, char ***kinds, char ***names, size_t *n,
                        labo_error_t *err);

/* Writes a file into the lab's directory. */
int labo_state_put (struct labo_state *st, const char *file, const char *data, size_t len,
                    labo_error_t *err);
/* Makes a file of the lab's directory readable by all (the hosts file,
 * which processes of the lab read as unprivileged users). */
int labo_state_share (struct labo_state *st, const char *file, labo_error_t *err);
/* Reads a file from a lab's directory (NULL if absent, or if lab is not a
 * valid lab name). */
char *labo_state_get (const char *lab, const char *file, size_t *len);
/* Opens path (made 0600 if missing) and takes an exclusive flock on it,
 * waiting for whoever holds it: one change of a record at a time. Returns
 * the descriptor (closing it releases the lock), or -1. */
int labo_state_lock (const char *path, labo_error_t *err);
/* Value of key in the meta file, or NULL. Caller frees. */
char *labo_state_meta (const char *lab, const char *key);

/* The lab as it was brought up: its saved lab file, parsed, with the
 * runtime `up` chose (meta "runtime"; docker for labs from before it was
 * recorded). NULL if the lab is not up or its file no longer parses. */
struct labo_lab *labo_state_load_lab (const char *lab);

/* Removes the directory and everything in it (labo_fs_remove_tree). */
int labo_state_remove (struct labo_state *st, labo_error_t *err);

/* Labs with a directory in the run dir, sorted as versions are (attendee-2
 * before attendee-10): only valid lab names. */
int labo_state_list (char ***labs, size_t *n, labo_error_t *err);

void labo_strv_free (char **v, size_t n);

#endif
