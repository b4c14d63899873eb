/* Limits on what a file may ask, and whether a lab fits the machine: see
 * include/labo/model/limits.h. */
#include "labo/model/limits.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/util/util.h"

const struct labo_limits labo_limits_default = {
  .file_size = 16u << 20,
  .yaml_depth = 64,
  .yaml_nodes = 1000000,
  .yaml_aliased = 10000,
  .hosts = 10000,
  .links = 40000,
  .nodes = 255,
  .steps = 1000,
  .arg_size = 131071,
};

const struct labo_limits labo_limits_none = {
  .file_size = SIZE_MAX,
  .yaml_depth = SIZE_MAX,
  .yaml_nodes = SIZE_MAX,
  .yaml_aliased = SIZE_MAX,
  .hosts = SIZE_MAX,
  .links = SIZE_MAX,
  .nodes = SIZE_MAX,
  .steps = SIZE_MAX,
  .arg_size = SIZE_MAX,
};

static const struct
{
  const char *name;
  size_t offset;
} names[] = {
  { "file-size", offsetof (struct labo_limits, file_size) },
  { "yaml-depth", offsetof (struct labo_limits, yaml_depth) },
  { "yaml-nodes", offsetof (struct labo_limits, yaml_nodes) },
  { "yaml-aliased", offsetof (struct labo_limits, yaml_aliased) },
  { "hosts", offsetof (struct labo_limits, hosts) },
  { "links", offsetof (struct labo_limits, links) },
  { "nodes", offsetof (struct labo_limits, nodes) },
  { "steps", offsetof (struct labo_limits, steps) },
  { "arg-size", offsetof (struct labo_limits, arg_size) },
};

int
labo_limits_set (struct labo_limits *l, const char *assignment, labo_error_t *err)
{
  const char *eq = strchr (assignment, '=');
  const char *v = eq ? eq + 1 : NULL;
  unsigned long long n = 0;
  size_t digits;
  int shift = 0;

  if (eq == NULL)
    return labo_error_make (err, 0, "--limit takes NAME=N, not '%s'", assignment);
  digits = strspn (v, "0123456789");
  if (digits > 0 && v[digits] != '\0' && v[digits + 1] == '\0')
    shift = v[digits] == 'K' ? 10 : v[digits] == 'M' ? 20 : v[digits] == 'G' ? 30 : -1;
  if (digits == 0 || digits > 12 || shift < 0 || (v[digits] != '\0' && shift == 0))
    return labo_error_make (err, 0, "--limit %.*s takes a number (with K, M or G), not '%s'",
                            (int) (eq - assignment), assignment, v);
  n = strtoull (v, NULL, 10);
  /* a quarter of the address space: sums of limits cannot overflow */
  if (n == 0 || n > (SIZE_MAX / 4) >> shift)
    return labo_error_make (err, 0, "--limit %.*s=%s is out of range (1..%zu)",
                            (int) (eq - assignment), assignment, v, SIZE_MAX / 4);
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (strlen (names[i].name) == (size_t) (eq - assignment)
        && strncmp (names[i].name, assignment, (size_t) (eq - assignment)) == 0)
      {
        size_t value = (size_t) (n << shift);
        memcpy ((char *) l + names[i].offset, &value, sizeof value);
        return 0;
      }
  return labo_error_make (err, 0,
                          "unknown limit '%.*s' (file-size, yaml-depth, yaml-nodes, "
                          "yaml-aliased, hosts, links, nodes, steps or arg-size)",
                          (int) (eq - assignment), assignment);
}

/* ---- the machine ---- */

/* The number in a /proc file (the first field of its first line), or 0. */
static uint64_t
read_number (const char *path)
{
  cleanup_free char *text = labo_read_file (path, NULL);
  return text ? strtoull (text, NULL, 10) : 0;
}

int
labo_machine_read (struct labo_machine *m, labo_error_t *err)
{
  cleanup_free char *meminfo = labo_read_file ("/proc/meminfo", NULL);
  cleanup_free char *mounts = labo_read_file ("/proc/self/mountinfo", NULL);
  const char *p;

  *m = (struct labo_machine){ 0 };
  if (meminfo == NULL)
    return labo_error_errno (err, "reading /proc/meminfo");
  p = strstr (meminfo, "\nMemAvailable:");
  if (p)
    m->mem_available = strtoull (p + strlen ("\nMemAvailable:"), NULL, 10) << 10; /* kB */
  m->max_namespaces = read_number ("/proc/sys/user/max_net_namespaces");
  m->mount_max = read_number ("/proc/sys/fs/mount-max");
  for (p = mounts; p && *p; p = strchr (p, '\n') ? strchr (p, '\n') + 1 : NULL)
    m->mounts++;
  return 0;
}

static size_t
docker_hosts (const struct labo_lab *lab, enum labo_runtime runtime)
{
  return runtime == LABO_RUNTIME_DOCKER ? labo_lab_docker_hosts (lab) : 0;
}

uint64_t
labo_lab_memory_need (const struct labo_lab *lab, enum labo_runtime runtime)
{
  return LABO_NEED_LABO + (uint64_t) lab->n_hosts * LABO_NEED_HOST
         + (uint64_t) docker_hosts (lab, runtime) * LABO_NEED_DOCKER_HOST
         + (uint64_t) lab->n_nodes * LABO_NEED_NODE;
}

/* "1.5 GiB", "300 MiB" */
static char *
bytes_str (uint64_t b, char buf[32])
{
  if (b >= (10ull << 30))
    snprintf (buf, 32, "%" PRIu64 " GiB", b >> 30);
  else if (b >= (1ull << 30))
    snprintf (buf, 32, "%.1f GiB", (double) b / (double) (1ull << 30));
  else
    snprintf (buf, 32, "%" PRIu64 " MiB", (uint64_t) ((b + (1ull << 20) - 1) >> 20));
  return buf;
}

/* The segment with the most bridge ports (its links, and its root link). */
static size_t
busiest_segment (const struct labo_lab *lab, size_t *ports)
{
  cleanup_free size_t *n = xcalloc (lab->n_segments + 1, sizeof *n);
  size_t best = 0;

  for (size_t i = 0; i < lab->n_segments; i++)
    n[i] = lab->segments[i].has_root ? 1 : 0;
  for (size_t i = 0; i < lab->n_links; i++)
    if (lab->links[i].kind == LABO_LINK_SEGMENT && lab->links[i].segment < lab->n_segments)
      n[lab->links[i].segment]++;
  for (size_t i = 1; i < lab->n_segments; i++)
    if (n[i] > n[best])
      best = i;
  *ports = lab->n_segments ? n[best] : 0;
  return best;
}

int
labo_lab_fits (const struct labo_lab *lab, enum labo_runtime runtime,
               const struct labo_machine *m, labo_error_t *err)
{
  uint64_t need = labo_lab_memory_need (lab, runtime);
  /* each host's namespace and the switch namespace; under Docker each
   * container has one, and each daemon makes two for the overlay */
  uint64_t ns = lab->n_hosts + 1
                + (runtime == LABO_RUNTIME_DOCKER ? lab->n_nodes + 2 * docker_hosts (lab, runtime)
                                                  : 0);
  size_t ports, seg = busiest_segment (lab, &ports);
  char b1[32], b2[32];

  if (ports > LABO_BRIDGE_MAX_PORTS)
    return labo_error_make (err, 0,
                            "lab %s does not fit the kernel: segment '%s' has %zu ports, and a "
                            "Linux bridge has at most %d (spread its hosts over several "
                            "segments joined by a router host); nothing was made",
                            lab->name, lab->segments[seg].name, ports, LABO_BRIDGE_MAX_PORTS);
  if (m->mem_available && need > m->mem_available)
    return labo_error_make (
        err, 0,
        "lab %s needs about %s of memory (%zu host%s at %llu KiB, %zu Docker daemon%s at "
        "%llu MiB, %zu node%s at %llu MiB, labo %llu MiB) and the machine has %s available "
        "(MemAvailable); nothing was made",
        lab->name, bytes_str (need, b1), lab->n_hosts, lab->n_hosts == 1 ? "" : "s",
        LABO_NEED_HOST >> 10, docker_hosts (lab, runtime),
        docker_hosts (lab, runtime) == 1 ? "" : "s", LABO_NEED_DOCKER_HOST >> 20, lab->n_nodes,
        lab->n_nodes == 1 ? "" : "s", LABO_NEED_NODE >> 20, LABO_NEED_LABO >> 20,
        bytes_str (m->mem_available, b2));
  if (m->max_namespaces && ns > m->max_namespaces)
    return labo_error_make (err, 0,
                            "lab %s needs %" PRIu64 " network namespaces and the kernel allows "
                            "%" PRIu64 " (/proc/sys/user/max_net_namespaces); nothing was made",
                            lab->name, ns, m->max_namespaces);
  /* each host's namespace is a bind mount, as is the switch namespace */
  if (m->mount_max && m->mounts + lab->n_hosts + 1 > m->mount_max)
    return labo_error_make (err, 0,
                            "lab %s needs %zu mounts (one a namespace) and the machine has "
                            "room for %" PRIu64 " more (/proc/sys/fs/mount-max is %" PRIu64
                            "); nothing was made",
                            lab->name, lab->n_hosts + 1,
                            m->mount_max > m->mounts ? m->mount_max - m->mounts : 0,
                            m->mount_max);
  return 0;
}
