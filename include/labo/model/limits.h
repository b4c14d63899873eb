/* How much a lab file or a scenario may ask of labo, and whether a lab fits
 * the machine it is brought up on.
 *
 * labo runs as root and reads files that may come from anywhere. Without
 * bounds, a 98 KB file of aliases expands to four million links, and a
 * file of 100,000 '[' exhausts the parser. The limits below are checked
 * while the file is read, and a file past one is refused with a diagnostic
 * at the place it went past, before anything is made. The defaults are
 * generous for real labs (a 1000-host lab is far inside them); the operator
 * raises one with `labo --limit NAME=N COMMAND ...`. The file itself cannot
 * raise them: that would let a hostile file lift its own bounds.
 * docs/labfile.md ("Limits") has the table and the reasons.
 *
 * The machine check is separate: a lab within the limits may still need
 * more memory than the machine has, or more bridge ports than the kernel
 * gives a bridge. labo_lab_fits() compares, before `up` makes anything. */
#ifndef LABO_LIMITS_H
#define LABO_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "labo/util/error.h"
#include "labo/model/lab.h"

struct labo_limits
{
  size_t file_size;    /* bytes of a lab file or scenario */
  size_t yaml_depth;   /* mappings and sequences inside each other */
  size_t yaml_nodes;   /* YAML nodes, an alias counting as the nodes it repeats */
  size_t yaml_aliased; /* nodes repeated through aliases, in all */
  size_t hosts;
  size_t links;        /* host links and p2p links */
  size_t nodes;
  size_t steps;        /* of a scenario */
  size_t arg_size;     /* bytes of one string a node hands a program or Docker: an
                          argument of command or health.exec, an env entry KEY=VALUE,
                          an image, a bind, a health URL */
};

/* 16 MiB, 64 levels, 1,000,000 nodes, 10,000 through aliases, 10,000 hosts,
 * 40,000 links, 255 nodes, 1,000 steps, 131,071 bytes a string (the
 * kernel's MAX_ARG_STRLEN, 32 pages, less the NUL: execve refuses a longer
 * argument or environment string with E2BIG). */
extern const struct labo_limits labo_limits_default;
/* No bound at all: for the copy of a lab file labo saved itself at `up`,
 * which was read under the limits then in force. */
extern const struct labo_limits labo_limits_none;

/* Sets one limit from "NAME=N" (N decimal, optionally followed by K, M or G
 * for 2^10, 2^20, 2^30; at least 1). NAME is as in docs/labfile.md:
 * file-size, yaml-depth, yaml-nodes, yaml-aliased, hosts, links, nodes,
 * steps, arg-size. */
int labo_limits_set (struct labo_limits *l, const char *assignment, labo_error_t *err);

/* ---- the machine ---- */

/* What the machine has, as labo_machine_read() finds it in /proc; a value
 * it could not read is 0 and not compared. */
struct labo_machine
{
  uint64_t mem_available;   /* bytes: MemAvailable, /proc/meminfo */
  uint64_t max_namespaces;  /* /proc/sys/user/max_net_namespaces */
  uint64_t mount_max;       /* /proc/sys/fs/mount-max */
  uint64_t mounts;          /* mounts in labo's mount namespace now */
};
int labo_machine_read (struct labo_machine *m, labo_error_t *err);

/* Rough needs, measured on this project's machines (docs/labfile.md,
 * "Limits"): the kernel's share of a host (its namespace, a veth, a bridge
 * port, an address: 0.36 MB measured), a Docker daemon with its containerd
 * (88 + 40 MB), a ZooKeeper node (its JVM, 73 to 95 MB at start with a heap
 * that may grow to 256 MB, and a container's shim), and labo's own
 * supervisor. */
#define LABO_NEED_HOST (512ull << 10)
#define LABO_NEED_DOCKER_HOST (128ull << 20)
#define LABO_NEED_NODE (128ull << 20)
#define LABO_NEED_LABO (16ull << 20)
/* A Linux bridge numbers its ports 1..1023 (BR_MAX_PORTS is 1024, port 0
 * unused): a segment takes no more links, its root link included. */
#define LABO_BRIDGE_MAX_PORTS 1023

/* Memory lab needs when its nodes run under `runtime` (docker or process:
 * resolved), in bytes. Pure. */
uint64_t labo_lab_memory_need (const struct labo_lab *lab, enum labo_runtime runtime);
/* 0 if lab fits machine m: its memory need within MemAvailable, each
 * segment within a bridge's ports, its namespaces and their mounts within
 * the kernel's limits. Otherwise -1 and err says what the lab needs and
 * what the machine has. Pure. */
int labo_lab_fits (const struct labo_lab *lab, enum labo_runtime runtime,
                   const struct labo_machine *m, labo_error_t *err);

#endif
