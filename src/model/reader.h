/* Shared by the lab file reader (labfile.c, labfile-yaml.c) and its
 * cross-object checks (validate.c); not part of the library's interface. */
#ifndef LABO_MODEL_READER_H
#define LABO_MODEL_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <yaml.h>

#include "labo/util/hmap.h"
#include "labo/model/lab.h"
#include "labo/model/labfile.h"
#include "labo/model/impair.h"
#include "labo/model/limits.h"

/* How many candidates "did you mean" compares in one file, in all: a
 * million comparisons of short names take a few tenths of a second. */
#define LF_SUGGEST_BUDGET 1000000

/* An index that was not resolved (undefined host or segment). */
#define LF_NONE ((size_t) -1)

/* Endpoint flags: what the reader already reported, so that the checks that
 * follow stay quiet about it instead of reporting one mistake many times. */
enum
{
  LF_EP_IFNAME_GIVEN = 1 << 0, /* ifname came from the file */
  LF_EP_IFNAME_BAD = 1 << 1,   /* ifname given but invalid */
  LF_EP_ADDR_BAD = 1 << 2,     /* address given but not usable */
  LF_EP_UNRESOLVED = 1 << 3,   /* host or segment undefined or missing */
};

/* What the reader knows about a link beyond the model (same index). */
struct lf_link_aux
{
  unsigned flags[2];               /* of ends a and b */
  struct labo_pos ifname_pos[2];   /* the ifname value, when given */
  struct labo_pos host_pos[2];     /* p2p: the host value */
  bool endpoints_ok;               /* p2p: exactly two endpoint mappings */
};

struct lf_segment_aux
{
  bool subnet_ok;
  bool root_ifname_ok;             /* root_ifname is set and valid */
  struct labo_pos root_addr_pos;   /* the root address value */
};

/* What the reader knows about a host beyond the model (same index). */
struct lf_host_aux
{
  /* 'docker' given but invalid, or misspelt, or the host unreadable
   * (reported): whether it runs Docker, and which role, is not known */
  bool docker_bad;
  /* its 'links' misspelt or unreadable (reported): it may have addresses
   * that were not read */
  bool addr_unsure;
};

/* A name the file gives, where it gives it. */
struct lf_name_ref
{
  char *name;
  struct labo_pos pos;
};

/* What the reader knows about a node beyond the model (same index). */
struct lf_node_aux
{
  struct labo_pos host_pos;        /* the host value */
  bool addr_ok;                    /* address read and inside the overlay */
  bool myid_given;                 /* myid came from the file */
  struct labo_pos myid_pos;        /* the myid value, when given */
  bool myid_unsure;                /* myid misspelt or unreadable (reported) */
  /* a node before it could not be read, or has no known service
   * (reported): its position among zookeeper nodes, and so its default
   * myid, is not known */
  bool order_unsure;
  /* `after` as the file gives it, resolved once every node is read
   * (lf_resolve_after); then after_pos[k] is where node->after[k] is
   * named */
  struct lf_name_ref *after_names;
  size_t n_after_names;
  struct labo_pos *after_pos;
};

/* A route as read, with positions of its parts (host index, route index). */
struct lf_route_aux
{
  size_t host, route;
  struct labo_pos to_pos, via_pos;
};

struct lf_ctx
{
  struct labo_lab *lab;
  struct labo_diags *diags;
  size_t n_errors;
  const struct labo_limits *lim;   /* never NULL */
  /* a limit was passed (and reported): reading stops there, and the
   * checks between objects, which would only report what is missing, are
   * not run */
  bool over_limit;
  /* candidates "did you mean" may still compare, in this file: a file
   * that misspells thousands of names among thousands is answered in
   * bounded time, the late ones without a suggestion */
  size_t suggest_budget;
  struct lf_link_aux *link_aux;    /* parallel to lab->links */
  size_t n_link_aux;
  struct lf_segment_aux *seg_aux;  /* parallel to lab->segments */
  size_t n_seg_aux;
  struct lf_route_aux *route_aux;  /* every route of every host */
  size_t n_route_aux;
  struct lf_host_aux *host_aux;    /* parallel to lab->hosts */
  size_t n_host_aux;
  struct lf_node_aux *node_aux;    /* parallel to lab->nodes */
  size_t n_node_aux;
  bool swarm_given;                /* the file has a 'swarm' key */
  bool pool_bad;                   /* swarm.address_pool given but invalid */
  struct labo_pos pool_pos;        /* the address_pool value, when given */
  bool overlay_ok;                 /* overlay present with a valid subnet */
  struct labo_pos overlay_subnet_pos;
  /* What the file may have given but could not be read (a key misspelt,
   * a value of the wrong type, a reference to nothing), reported once where
   * it is: the checks that depend on it stay silent rather than report the
   * consequences of that one mistake as mistakes of their own. */
  bool runtime_unsure;             /* so what only Docker needs is not known */
  bool hosts_unsure;               /* some host: so which ones run Docker */
  bool addrs_unsure;               /* some p2p end's host: so any host may have
                                      an address more than was read */
  bool overlay_unsure;             /* whether there is an overlay */
};

/* Whether the lab may run under Docker, so that what only Docker needs (a
 * Swarm manager, Docker on the nodes' hosts, its ports and bridges) is
 * checked: not under 'runtime: process', which never runs Docker, and not
 * when the runtime could not be read. */
static inline bool
lf_docker_checked (const struct lf_ctx *c)
{
  return !c->runtime_unsure && c->lab->runtime != LABO_RUNTIME_PROCESS;
}

/* The reader of one document (labfile.c). */
struct lf_reader
{
  struct lf_ctx c;
  yaml_document_t *doc;
  /* 'segments' or 'hosts' could not be read at all: references to them are
   * then not reported as undefined, the cause being reported already */
  bool segments_broken, hosts_broken;
  /* the lab's supervise.backoff.initial, which nodes inherit, could not be
   * read (see read_supervise) */
  bool initial_unsure;
  /* names to indexes in lab->hosts, segments, nodes: a scan per lookup
   * makes a file of 100,000 hosts quadratic */
  struct labo_hmap host_index, segment_index, node_index;
  /* their names in order, for "did you mean": made at the first undefined
   * name, again if more were read since */
  const char **host_names, **segment_names, **node_names;
  size_t n_host_names, n_segment_names, n_node_names;
};
/* Releases what the reader keeps beside the model (aux records, indexes). */
void lf_reader_release (struct lf_reader *r);

/* A key of a mapping being read, with what the file gave for it. */
struct lf_field
{
  const char *name;
  yaml_node_t *key, *val; /* NULL when absent */
  /* an unknown key reported as a likely typo of this one ("did you mean"):
   * then a missing required key is not reported a second time */
  yaml_node_t *guess;
};
#define LF_FIELD(n) { (n), NULL, NULL, NULL }

/* Whether f is absent but a key reported as its likely typo may have meant
 * it: then whether the file gives f, and what, is not known, and nothing
 * is reported about its absence or what follows from it. */
static inline bool
lf_unsure (const struct lf_field *f)
{
  return f->key == NULL && f->guess != NULL;
}

/* ---- diagnostics (labfile-yaml.c) ---- */

/* Appends a diagnostic; takes msg. */
void lf_diag_add (struct labo_diags *d, const char *file, int line, int col, char *msg);
/* Records an error at pos. */
void lf_error (struct lf_ctx *c, struct labo_pos pos, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Orders two positions (line, then column). */
int lf_pos_cmp (struct labo_pos a, struct labo_pos b);
/* Sorts d->v[from..] by position, keeping the order of equal ones. */
void lf_diags_sort (struct labo_diags *d, size_t from);
/* Reports that limit `name` (of lim, docs/labfile.md) is passed: "<head>:
 * more than <limit><unit>, the <name> limit (labo --limit <name>=N raises
 * it)"; sets c->over_limit. */
void lf_limit_error (struct lf_ctx *c, struct labo_pos pos, const char *head, size_t limit,
                     const char *unit, const char *name);

/* ---- YAML documents and values (labfile-yaml.c) ---- */

/* A parser and the document it loaded, released together. */
struct lf_yaml_input
{
  yaml_parser_t parser;
  yaml_document_t doc;
  bool have_parser, have_doc;
};
void lf_yaml_input_release (struct lf_yaml_input *y);
/* Loads the one document of `text` (as r->c.lab->file) into y and points
 * r->doc at it. Returns its root, a mapping, or NULL after reporting why
 * not (libyaml's error, an empty file, a second document, another kind of
 * root, a limit of r->c.lim passed): `what` names the file ("lab file"),
 * `want` the root expected ("a mapping with 'lab' and 'hosts'").
 *
 * The document is composed here from libyaml's events rather than by
 * yaml_parser_load(), so that the limits hold while the file is read: a
 * nesting too deep is refused at the event that goes past it (libyaml's
 * scanner is quadratic in the depth of flow collections), every alias is
 * weighed as the nodes it repeats (libyaml's document shares the aliased
 * node, but whoever walks the document visits it each time), an alias of a
 * node that contains it (a cycle) is refused, and anchors are found through
 * a hash table (libyaml's loader scans them all for each one). */
yaml_node_t *lf_yaml_load (struct lf_reader *r, struct lf_yaml_input *y, const char *text,
                           size_t len, const char *what, const char *want);


struct labo_pos lf_pos_of (struct lf_reader *r, const yaml_node_t *n);
yaml_node_t *lf_node (struct lf_reader *r, int id);
const char *lf_text (const yaml_node_t *n); /* of a scalar */
bool lf_is_null (const yaml_node_t *n);
/* A copy of user text fit for a one-line message. */
char *lf_disp (const char *s, size_t len);
/* "a mapping", "a sequence", "nothing" or the quoted scalar. */
char *lf_describe (const yaml_node_t *n);
/* The value of f, or its key when the value is empty. */
struct labo_pos lf_val_pos (struct lf_reader *r, const struct lf_field *f);
/* "expected <want> for <label>, found ..."; lf_wrong_type labels f by name. */
void lf_wrong_type_for (struct lf_reader *r, const struct lf_field *f, const char *want,
                        const char *label);
void lf_wrong_type (struct lf_reader *r, const struct lf_field *f, const char *want);
/* The candidate close enough to s to be what a typo meant (at most 2
 * edits, fewer than s has characters), or NULL. Names longer than 64
 * bytes get none: no valid name is that long. */
const char *lf_suggest (const char *s, const char *const *cand, size_t n);
/* The same, comparing at most *budget candidates (and taking them off it):
 * for names of the file, which may be hundreds of thousands. */
const char *lf_suggest_within (const char *s, const char *const *cand, size_t n,
                               size_t *budget);
/* Reads mapping map into f[0..nf): unknown, repeated and non-scalar keys
 * are reported; `where` names the mapping ("in link").  Readers name the
 * keys of a mapping with an enum and build f with designated initializers
 * ([K_HOST] = LF_FIELD ("host")), so that a key is read by its name, never
 * by a position that could drift; f's order is the order "valid keys: ..."
 * lists them in and the one "did you mean" prefers among equals. */
void lf_read_fields (struct lf_reader *r, yaml_node_t *map, const char *where,
                     struct lf_field *f, size_t nf);
/* False after reporting that f is missing, at `at` (or silently, when an
 * unknown key was reported as a typo of it). */
bool lf_require (struct lf_reader *r, const struct lf_field *f, struct labo_pos at,
                 const char *where);
/* Typed values of f; NULL or false after reporting.  `want` and `label`
 * phrase the message. */
const char *lf_get_string (struct lf_reader *r, const struct lf_field *f, const char *want);
yaml_node_t *lf_get_mapping (struct lf_reader *r, const struct lf_field *f, const char *label,
                             bool *ok);
yaml_node_t *lf_get_sequence (struct lf_reader *r, const struct lf_field *f, bool *ok);
bool lf_get_int (struct lf_reader *r, const struct lf_field *f, int min, int max, int *out);
bool lf_get_bool (struct lf_reader *r, const struct lf_field *f, bool *out);
/* A duration ("500ms", "2s", "1m"; labo_duration_parse) within [min_ms,
 * max_ms], in milliseconds. */
/* A link setting (enum labo_impair_param) into *im, as `labo link` spells
 * it; a wrong value names what was expected. */
bool lf_get_impair (struct lf_reader *r, const struct lf_field *f, enum labo_impair_param p,
                    struct labo_impair *im);
bool lf_get_duration (struct lf_reader *r, const struct lf_field *f, int min_ms, int max_ms,
                      int *out);

/* ---- what runs in a node (labfile-node.c) ---- */

/* "zookeeper", "etcd", "shell", "generic"; "unknown" for 0. */
const char *lf_kind_name (enum labo_service s);
/* A program and its arguments (`command`, `health.exec`): a non-empty
 * sequence of strings, into a NULL-terminated *argv of *n_argv strings.
 * False after reporting; `label` names f ("'command'"), `example` shows
 * the form. */
bool lf_read_argv (struct lf_reader *r, const struct lf_field *f, const char *label,
                   const char *example, char ***argv, size_t *n_argv);
/* `image`, `env`, `binds`, `health` into node, each after reporting what
 * it cannot take. env's reserved names depend on node->service (0: only
 * LABO_*); addr_known says whether node->address was read, which a
 * health URL may name. */
void lf_read_image (struct lf_reader *r, struct labo_node *node, const struct lf_field *f);
void lf_read_env (struct lf_reader *r, struct labo_node *node, const struct lf_field *f);
void lf_read_binds (struct lf_reader *r, struct labo_node *node, const struct lf_field *f);
void lf_read_health (struct lf_reader *r, struct labo_node *node, const struct lf_field *f,
                     bool addr_known);
/* `after` of node i: the names, into its aux record. */
void lf_read_after (struct lf_reader *r, size_t i, const struct lf_field *f);

/* The checks that compare objects with each other: overlapping subnets,
 * duplicate addresses and interface names, p2p addressing, routes, the
 * Swarm's manager, node addresses, published ports and myids.  Also gives
 * unnamed interfaces their default names, Docker hosts their lab address
 * and zookeeper nodes their default myid. */
void lf_validate (struct lf_ctx *c);

#endif
