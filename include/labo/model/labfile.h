/* Lab files: YAML (libyaml) to the lab model, with validation.
 *
 * Contract: labo_labfile_load() either returns a lab that is safe to build
 * (every name fits its interface or namespace, every address is in its
 * subnet, nothing overlaps or is referenced without being defined), or
 * returns NULL and fills `diags` with one diagnostic per problem found, each
 * with its position. It touches nothing on the machine and needs no
 * privilege. The format is documented in docs/labfile.md. */
#ifndef LABO_LABFILE_H
#define LABO_LABFILE_H

#include <stddef.h>
#include <stdio.h>

#include "labo/model/lab.h"

struct labo_diag
{
  char *file;
  int line, col; /* 1-based */
  char *msg;     /* e.g. "unknown key 'adress' in link (did you mean 'address'?)" */
};

struct labo_diags
{
  struct labo_diag *v;
  size_t n;
};

void labo_diags_free (struct labo_diags *d);
/* Prints each as "file:line:col: error: msg" on the stream. */
void labo_diags_print (const struct labo_diags *d, FILE *out);

struct labo_limits; /* labo/limits.h */

/* Parses and validates `text` (len bytes) as if read from `file`, under the
 * default limits (labo/limits.h). Returns the lab or NULL with diags->n > 0. */
struct labo_lab *labo_labfile_parse (const char *file, const char *text, size_t len,
                                     struct labo_diags *diags);
/* The same under lim (NULL: the defaults). A file past a limit is refused
 * with one diagnostic where it went past, in time and memory bounded by
 * the limits. */
struct labo_lab *labo_labfile_parse_limited (const char *file, const char *text, size_t len,
                                             const struct labo_limits *lim,
                                             struct labo_diags *diags);

/* Reads `path` then parses it; a read failure is reported as a diagnostic
 * at line 0. No more than the file-size limit and a byte is read. */
struct labo_lab *labo_labfile_load (const char *path, struct labo_diags *diags);
struct labo_lab *labo_labfile_load_limited (const char *path, const struct labo_limits *lim,
                                            struct labo_diags *diags);

/* The seed lab built into the binary (netns/seed.yaml at build time). */
extern const char labo_seed_yaml[];
extern const size_t labo_seed_yaml_len;
#define LABO_SEED_FILE "<built-in seed lab>"

#endif
