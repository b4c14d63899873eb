/* The lab model: what a lab file describes, after parsing and validation.
 * Every object keeps the position it was declared at, so that any later
 * check (validation, or an `up` that finds a conflict on the machine) can
 * name file:line:column.
 *
 * Words (see docs/architecture.md): a lab has hosts (emulated machines, each
 * a network namespace), segments (layer-2 domains: bridges kept in the lab's
 * own "switch" namespace) and links (veth pairs: host to segment, or host to
 * host). IPv4 only for now. */
#ifndef LABO_LAB_H
#define LABO_LAB_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labo/util/ipv4.h"
#include "labo/model/impair.h"

#define LABO_NAME_MAX 32     /* lab names: [a-z0-9][a-z0-9-]*, at most this */
#define LABO_HOSTNAME_MAX 63 /* host names are hostnames (one DNS label) */
#define LABO_DEFAULT_MTU 1500

struct labo_pos
{
  const char *file; /* borrowed from struct labo_lab.file */
  int line;         /* 1-based; 0 when unknown (built-in defaults) */
  int col;          /* 1-based */
};

/* A range of ports of one protocol: what `root.allow` and `root.expose`
 * give ("8080/tcp", "53/udp", "8000-8100", "all"). */
enum labo_proto
{
  LABO_PROTO_TCP = 6, /* IPPROTO_TCP */
  LABO_PROTO_UDP = 17,
};
struct labo_portrange
{
  uint8_t proto;
  uint16_t lo, hi;
  struct labo_pos pos;
};

struct labo_segment
{
  char *name; /* also the bridge's interface name: at most IFNAMSIZ-1 bytes */
  struct labo_pos pos;
  struct labo_prefix subnet;
  struct labo_pos subnet_pos;
  int mtu;
  /* The root namespace's own address on this segment (the user's shell
   * reaches the hosts through it), or none. */
  bool has_root;
  uint32_t root_addr;
  char root_ifname[IFNAMSIZ]; /* default "<lab>-<segment>"; a copy's: labo_copy_ifname */
  struct labo_pos root_pos;
  /* A copy's root link (include/labo/model/copy.h): the machine sees the
   * segment as `outside`, a block of the subnet's size taken from the
   * pool, and the switch namespace swaps the two prefixes on the root
   * port. Inside, the segment is the file's: the same addresses in every
   * copy. */
  bool mapped;
  struct labo_prefix outside;
  /* The gate on the root link (in the switch namespace, see
   * include/labo/engine/gate.h): new connections from the lab's hosts to the
   * machine only to root_allow; from the machine into the lab only to the
   * ports the lab publishes (nodes' ports, Docker APIs) and root_expose. */
  struct labo_portrange *root_allow;
  size_t n_root_allow;
  struct labo_portrange *root_expose;
  size_t n_root_expose;
};

/* One end of a link, inside a host. */
struct labo_endpoint
{
  size_t host;                /* index into lab->hosts */
  char ifname[IFNAMSIZ];      /* default eth0, eth1, ... in declaration order */
  bool has_addr;
  struct labo_prefix addr;    /* address and prefix length */
  struct labo_pos pos;        /* of the endpoint's mapping */
  struct labo_pos addr_pos;
};

enum labo_link_kind
{
  LABO_LINK_SEGMENT, /* host <-> segment (bridge port) */
  LABO_LINK_P2P,     /* host <-> host */
};

struct labo_link
{
  enum labo_link_kind kind;
  struct labo_endpoint a;   /* the host end (both kinds) */
  size_t segment;           /* LABO_LINK_SEGMENT: index into lab->segments */
  struct labo_endpoint b;   /* LABO_LINK_P2P: the other host's end */
  int mtu;                  /* explicit, else the segment's, else 1500 */
  struct labo_pos pos;
  /* the lab file's impairments (delay:, loss:, down: ...), which up puts
   * in place and `labo link reset` returns to; none when it names none */
  struct labo_linkset set;
  bool has_set;
};

struct labo_route
{
  struct labo_prefix dst;   /* "default" is 0.0.0.0/0 */
  uint32_t via;
  struct labo_pos pos;
};

enum labo_docker_role
{
  LABO_DOCKER_NONE = 0, /* no Docker daemon on this host */
  LABO_DOCKER_MANAGER,  /* runs dockerd; the Swarm manager (exactly one per lab) */
  LABO_DOCKER_WORKER,   /* runs dockerd; joins the Swarm as a worker */
};

enum labo_api_tcp
{
  LABO_API_OFF = 0,
  /* TLS on 2376 with client certificates (dockerd --tlsverify), a CA of
   * the lab's own: only who holds the client key (root) gets in */
  LABO_API_TLS,
  /* the seed's plain API on 2375, UNAUTHENTICATED: whoever reaches it is
   * root in the host; only when the lab file says `api_tcp: insecure` */
  LABO_API_INSECURE,
};
#define LABO_API_TLS_PORT 2376
#define LABO_API_INSECURE_PORT 2375

struct labo_host
{
  char *name;
  struct labo_pos pos;
  struct labo_route *routes;
  size_t n_routes;
  bool forward; /* IPv4 forwarding on (a router host); default off */
  enum labo_docker_role docker;
  struct labo_pos docker_pos;
  /* The per-host Docker API on TCP, bound to the host's lab address only
   * (the seed's `dockerd -H tcp://0.0.0.0:2375`). Off by default. */
  enum labo_api_tcp docker_tcp;
  struct labo_pos docker_tcp_pos;
  /* The host's address for Swarm (advertise/listen) and published ports:
   * its first addressed link, filled by validation when docker != NONE. */
  uint32_t lab_address;
};

/* Swarm settings (all hosts with a Docker daemon form one Swarm). */
struct labo_swarm
{
  struct labo_prefix address_pool; /* default 10.128.0.0/16 */
  uint8_t subnet_size;             /* default 24 */
  struct labo_pos pos;
};

/* The overlay standing in for Weave: a Swarm attachable overlay network.
 * Docker takes its gateway (the subnet's last usable address) and the
 * load-balancer endpoints from ip_range (the subnet's upper half), so that
 * nodes' fixed addresses in the lower half (10.0.0.1, .2) stay free. */
struct labo_overlay
{
  bool present;
  char *name;                  /* "weave" */
  struct labo_prefix subnet;   /* 10.0.0.0/24 */
  uint32_t gateway;            /* 10.0.0.254 */
  struct labo_prefix ip_range; /* 10.0.0.128/25 */
  struct labo_pos pos;
};

struct labo_port
{
  uint16_t host_port;      /* published on the host's lab address */
  uint16_t container_port;
  struct labo_pos pos;
};

/* What runs in a node: a kind of the kinds' table (include/labo/kind/kind.h,
 * issue 13). ZooKeeper, etcd and shell have an image recipe of labo's own
 * (images/<name>/) and know their cluster; a generic node is whatever its
 * `image:` and `command:` say. */
enum labo_service
{
  LABO_SERVICE_ZOOKEEPER = 1, /* image labo/zookeeper, built offline (images/zookeeper) */
  LABO_SERVICE_ETCD,          /* image labo/etcd (images/etcd): an etcd member of the lab's cluster */
  LABO_SERVICE_SHELL,         /* the tutorial's ubuntu-sshd stand-in: sshd and tools, nothing else */
  LABO_SERVICE_GENERIC,       /* no `service:`: `image:` and `command:` say what runs */
};

/* How the supervisor (and status, and up) tells that a node's service is
 * healthy: `health:` in the lab file. A kind has its own default (ZooKeeper's
 * four-letter words, etcd's /health); a generic node without `health:` is
 * healthy while its process runs. */
enum labo_health_kind
{
  LABO_HEALTH_DEFAULT = 0, /* the kind's own */
  LABO_HEALTH_TCP,         /* `tcp: PORT`: a connection to the node's address and PORT opens */
  LABO_HEALTH_EXEC,        /* `exec: [CMD, ARG...]`: run in the node, exit status 0 */
  LABO_HEALTH_HTTP,        /* `http: URL`: GET, from the node's host, answers 2xx */
};

struct labo_health
{
  enum labo_health_kind kind;
  int port;         /* TCP: 1..65535 */
  char **argv;      /* EXEC: NULL-terminated, n_argv >= 1 */
  size_t n_argv;
  char *url;        /* HTTP: "http://HOST[:PORT]/PATH"; HOST the node's name or address */
  struct labo_pos pos;
};

/* `binds:` of a generic node: a path of the machine given to the
 * container. Absolute paths only; `validate` names each, as it names what
 * a lab exposes. */
struct labo_bind
{
  char *source;     /* absolute, on the machine */
  char *target;     /* absolute, in the container */
  bool read_only;   /* ":ro" */
  struct labo_pos pos;
};

/* How the supervisor keeps a lab's daemons and nodes alive, after s6's
 * supervise: a minimum gap between two starts of one thing, a backoff that
 * doubles with each quick death up to a cap, and a give-up after `deaths`
 * deaths within `within`. Nodes are also probed (ZooKeeper's ruok, srvr,
 * mntr) every `probe_interval`; one that has not answered `probe_failures`
 * probes in a row (or at all within `probe_grace` of its start) is hung and
 * is restarted. Times in milliseconds; docs/labfile.md, "Supervision". */
struct labo_supervise
{
  bool restart;           /* false: watch and report, never restart */
  int min_gap_ms;         /* 1000 */
  int backoff_ms;         /* 500: the delay after the second quick death in a row */
  int backoff_max_ms;     /* 30000 */
  int backoff_reset_ms;   /* 10000: a run this long ends the series of quick deaths */
  int give_up_deaths;     /* 5 ... */
  int give_up_within_ms;  /* ... within 60000 */
  int probe_interval_ms;  /* 2000; 0: no probes */
  int probe_timeout_ms;   /* 1000 */
  int probe_failures;     /* 3 */
  int probe_grace_ms;     /* 60000 */
};
#define LABO_SUPERVISE_MAX_DEATHS 100

/* The defaults above. */
struct labo_supervise labo_supervise_defaults (void);

/* Where the nodes run: in a Docker daemon per host, or as processes of the
 * hosts themselves (no Docker needed; the overlay is then a bridge, and
 * published ports are DNAT rules). `auto` is docker when dockerd is
 * installed, else process; labo_runtime_resolve() decides. */
enum labo_runtime
{
  LABO_RUNTIME_AUTO = 0,
  LABO_RUNTIME_DOCKER,
  LABO_RUNTIME_PROCESS,
};

const char *labo_runtime_name (enum labo_runtime r); /* "auto", "docker", "process" */
/* Parses a runtime name; -1 if it is none. */
int labo_runtime_parse (const char *s, enum labo_runtime *out);

/* How far `up` goes (`up --until STAGE`): each stage needs those before
 * it. A lab stopped at a stage is supervised as it is: nodes that the
 * stage did not make are not made by the supervisor either. The stage is
 * kept in the lab's state (meta `until=`), so that status, verify and the
 * supervisor read the lab as it was brought up. */
enum labo_stage
{
  LABO_STAGE_ALL = 0,     /* no --until: every stage (= services) */
  LABO_STAGE_NETWORK,     /* namespaces, segments, links, addresses */
  LABO_STAGE_DAEMONS,     /* a dockerd per Docker host */
  LABO_STAGE_SWARM,       /* the hosts joined into the Swarm */
  LABO_STAGE_OVERLAY,     /* the overlay network */
  LABO_STAGE_CONTAINERS,  /* the nodes' containers (sshd), their services not started */
  LABO_STAGE_SERVICES,    /* the nodes' services started and serving */
};
const char *labo_stage_name (enum labo_stage s); /* "network"... ("services" for ALL) */
/* Parses a stage name; -1 if it is none. */
int labo_stage_parse (const char *s, enum labo_stage *out);

/* How a node's service starts: by labo (auto), or by the attendee who
 * types the tutorial (by-hand: its container runs sshd, its service is
 * installed but neither configured nor started; the supervisor watches it
 * only once it was started by hand). */
enum labo_start
{
  LABO_START_AUTO = 0,
  LABO_START_BY_HAND,
};

/* A container on a host, with a fixed overlay address, a name the other
 * nodes resolve (their /etc/hosts, and Docker's embedded DNS), and
 * published ports. */
struct labo_node
{
  char *name; /* container name and hostname */
  struct labo_pos pos;
  size_t host;      /* index into lab->hosts; that host runs Docker */
  uint32_t address; /* on the overlay */
  struct labo_pos address_pos;
  enum labo_service service;
  struct labo_port *ports;
  size_t n_ports;
  int myid;        /* ZooKeeper server id, 1..255: default position among zookeeper nodes + 1 */
  int client_port; /* 2181 (zookeeper: the file's `client_port`); an etcd node's is 2379.
                      Shell and generic nodes have none: they keep 2181, read by nothing */
  struct labo_supervise supervise; /* the lab's, with the node's own keys over it */
  enum labo_start start; /* `start:`; see labo_node_by_hand for the lab's --until */
  struct labo_pos start_pos;
  /* issue 13: generic nodes (and overrides for the others) */
  char *image;            /* `image:` a `docker save` archive (absolute path or relative to the
                             lab file) or the name of a recipe under images/, as written; set
                             on every generic node, NULL on the others (the kind's own) */
  struct labo_pos image_pos;
  char **command;         /* `command:` NULL-terminated; NULL: the image's */
  size_t n_command;
  char **env;             /* `env:` "KEY=VALUE", NULL-terminated; NULL: none */
  size_t n_env;
  struct labo_bind *binds; /* `binds:` */
  size_t n_binds;
  struct labo_health health; /* `health:`, pos at the check's value; kind DEFAULT when absent */
  size_t *after;          /* `after:` indexes of the nodes that must be healthy first: each
                             once, never the node itself, and no loop among them */
  size_t n_after;
  struct labo_pos after_pos; /* of the `after` value */
};

struct labo_lab
{
  char *name;
  char *copy_of;     /* a copy (`up --name`, `--copies`): the file's own lab name; else NULL */
  char *file;        /* path as given, or "<built-in seed>" */
  struct labo_pos name_pos;
  struct labo_host *hosts;
  size_t n_hosts;
  struct labo_segment *segments;
  size_t n_segments;
  struct labo_link *links; /* host links first (in host order), then p2p */
  size_t n_links;
  struct labo_swarm swarm;
  struct labo_overlay overlay;
  struct labo_node *nodes;
  size_t n_nodes;
  enum labo_runtime runtime; /* as the file says; resolved at `up` */
  struct labo_pos runtime_pos;
  struct labo_supervise supervise; /* daemons use it; nodes start from it */
  enum labo_stage until; /* `up --until`, kept in the state; ALL: every stage */
};

/* The Swarm's manager: the index of the host with `docker: manager`, or -1. */
long labo_lab_manager (const struct labo_lab *lab);

/* How many nodes are started by hand (labo_node_by_hand). */
size_t labo_lab_by_hand_nodes (const struct labo_lab *lab);

/* Did `up` go as far as stage s? */
static inline bool
labo_lab_reaches (const struct labo_lab *lab, enum labo_stage s)
{
  return lab->until == LABO_STAGE_ALL || lab->until >= s;
}

/* Is the node's service the attendee's to configure and start? Its own
 * `start: by-hand`, or a lab brought up `--until containers`. ZooKeeper's
 * nodes only: the tutorial's by-hand steps are ZooKeeper's (a shell node
 * has no service to start; etcd's and a generic node's container is its
 * service, started with it). */
static inline bool
labo_node_by_hand (const struct labo_lab *lab, const struct labo_node *node)
{
  return node->service == LABO_SERVICE_ZOOKEEPER
         && (node->start == LABO_START_BY_HAND || lab->until == LABO_STAGE_CONTAINERS);
}

void labo_lab_free (struct labo_lab *lab);
#define cleanup_lab __attribute__ ((cleanup (labo_lab_freep)))
void labo_lab_freep (struct labo_lab **lab);

/* Lookups by name; -1 when absent. */
long labo_lab_find_host (const struct labo_lab *lab, const char *name);
long labo_lab_find_segment (const struct labo_lab *lab, const char *name);
long labo_lab_find_node (const struct labo_lab *lab, const char *name);
/* Number of hosts running Docker. */
size_t labo_lab_docker_hosts (const struct labo_lab *lab);
/* The TCP port of a host's Docker API (2376 with TLS, 2375 insecure), or 0. */
int labo_host_api_port (const struct labo_host *host);

/* The host port a node's client port is published on, or -1. */
int labo_node_client_port (const struct labo_node *node);

/* Where labo reaches a node's client port: one rule for up, status, chaos,
 * check and the supervisor. The published port on its host's lab address,
 * from inside its host, as a client of that host would; without one, the
 * node's own address, from inside the node itself (in_container: the
 * container's network namespace, Docker) or its host (process runtime,
 * where the node has its host's namespace). */
struct labo_node_reach
{
  uint32_t addr;
  uint16_t port;
  bool in_container;
};
void labo_node_reach (const struct labo_lab *lab, const struct labo_node *node,
                      struct labo_node_reach *r);
/* The same rule for another of the node's ports (a health check's: `tcp:
 * PORT`, an `http:` URL's, a shell's sshd on 22). */
void labo_node_reach_port (const struct labo_lab *lab, const struct labo_node *node,
                           uint16_t port, struct labo_node_reach *r);

#endif
