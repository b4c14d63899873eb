/* The records of a running lab's faults, files of its run directory
 * ($LABO_RUN_DIR/<lab>/): the cuts ("partitions": a line "FROM TO" per cut,
 * traffic from FROM to TO dropped) and the hosts powered off ("power": one
 * name a line) and the nodes paused (`labo pause`, "paused": one node
 * name a line). Each change happens under the file's flock. The faults
 * themselves (rules, processes) are the engine's and the supervisor's; this
 * is what they record and read. */
#ifndef LABO_RECORDS_H
#define LABO_RECORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "labo/util/error.h"
#include "labo/model/lab.h"

#define LABO_CUTS_FILE "partitions"
#define LABO_POWER_FILE "power"
#define LABO_PAUSED_FILE "paused"

struct labo_cut
{
  size_t from, to; /* host indexes: traffic from `from` to `to` is dropped */
};

/* The cuts on record (names no longer in the lab are dropped). */
int labo_cuts_load (const struct labo_lab *lab, struct labo_cut **cuts, size_t *n,
                    labo_error_t *err);

/* Powered-off hosts, by index: *off has lab->n_hosts entries. */
int labo_power_load (const struct labo_lab *lab, bool **off, labo_error_t *err);
/* Records host h as off (or on again). */
int labo_power_record (const struct labo_lab *lab, size_t h, bool off, labo_error_t *err);

/* Paused nodes, by index: *paused has lab->n_nodes entries. */
int labo_paused_load (const struct labo_lab *lab, bool **paused, labo_error_t *err);
/* Records node i as paused (or not). Returns 1 if that changed the
 * record, 0 if it said so already. */
int labo_paused_record (const struct labo_lab *lab, size_t i, bool paused, labo_error_t *err);

/* The file of the lab's run dir, opened and flocked for a change; its
 * text; written whole (what: for the error). */
int labo_record_open_locked (const struct labo_lab *lab, const char *file, labo_error_t *err);
char *labo_record_read (int fd);
int labo_record_write (int fd, const char *text, const char *what, labo_error_t *err);
/* The cuts' lines, read (unknown names skipped) and written. */
void labo_cuts_parse (const struct labo_lab *lab, char *text, struct labo_cut **cuts, size_t *n);
char *labo_cuts_format (const struct labo_lab *lab, const struct labo_cut *cuts, size_t n);

#endif
