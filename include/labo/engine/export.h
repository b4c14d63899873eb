/* A lab for a real Docker Swarm (`labo export --format stack`, issue 15):
 * the model as a Compose file (version 3.8) that `docker stack deploy -c`
 * takes as it is. One service a node, named after it, its hostname the
 * node's, placed on its host (`node.hostname == HOST`: a Swarm's nodes
 * carry their machines' hostnames, as the lab's hosts do), one replica,
 * Swarm's restart policy from the lab's `supervise:`, the overlay as an
 * attachable overlay network of the lab's name and subnet, the published
 * ports in `mode: host` (on the host the node is placed on, as in the
 * lab), and each kind's own part (its environment, data volume and health
 * check: include/labo/kind/kind.h, stack_service).
 *
 * What a stack cannot carry (the emulated network and its faults, the
 * process runtime, fixed overlay addresses, sshd, by-hand nodes...) is a
 * list of notes: the file's header says each, and the CLI prints them on
 * stderr. Nothing is dropped in silence.
 *
 * Pure: the model and the images' references in, text out (unit-tested,
 * tests/unit/test_export.c). The YAML is written by libyaml's emitter from
 * a JSON tree (jansson keeps keys in insertion order), so quoting and
 * escaping are the emitter's; only the header's comments are written by
 * hand (libyaml emits no comments), from labo's own sentences. */
#ifndef LABO_ENGINE_EXPORT_H
#define LABO_ENGINE_EXPORT_H

#include <jansson.h>

#include "labo/model/lab.h"
#include "labo/util/error.h"

struct labo_export
{
  /* images[i]: node i's image reference, as up gives it
   * (labo_node_image_ref: labo/zookeeper:KEY) */
  const char *const *images;
  /* "HOST[:PORT]/PREFIX": each image named HOST/PREFIX/NAME:TAG instead
   * (NAME the reference's last component), where it will be pushed; NULL:
   * as they are (loaded on each server from `labo export --images`) */
  const char *registry;
  /* the file's name in the header's commands; NULL: "FILE" */
  const char *file;
};

/* The Compose document as JSON (what the YAML says), and in *notes (a new
 * array of strings) what it cannot carry. */
json_t *labo_export_stack_json (const struct labo_lab *lab, const struct labo_export *opts,
                                json_t **notes);

/* The Compose file: the header's comments (what it is, how to deploy it,
 * the notes), then the document. *notes as above (NULL: not wanted).
 * Caller frees. NULL only if libyaml fails (err says how). */
char *labo_export_stack (const struct labo_lab *lab, const struct labo_export *opts,
                         json_t **notes, labo_error_t *err);

/* ref renamed for a registry: "labo/zookeeper:KEY" under "reg:5000/lab"
 * gives "reg:5000/lab/zookeeper:KEY". Caller frees. */
char *labo_export_image_name (const char *ref, const char *registry);

/* A JSON value as a YAML document (block style; a string in plain style
 * only when YAML 1.1 reads it back as that string, else double-quoted).
 * Caller frees; NULL if libyaml fails. */
char *labo_yaml_from_json (const json_t *doc, labo_error_t *err);

#endif
