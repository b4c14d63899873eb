/* `labo verify`: the tutorial's steps as checks; see
 * include/labo/engine/verify.h. The facts first (gathered in parallel,
 * each bounded), then the pure assessment, then JSON and text from it. */
#include "labo/engine/verify.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "labo/kind/kind.h"
#include "labo/docker/daemon.h"
#include "labo/docker/docker.h"
#include "labo/host/host.h"
#include "labo/model/state.h"
#include "labo/runtime/runtime.h"
#include "labo/util/util.h"

/* A node's script ends well within this: java -version (5 s at most), ssh
 * (6 s), ping (3 s), all in parallel. */
#define NODE_SCRIPT_MS 8000
#define NODE_SCRIPT_MAX (64 * 1024)
/* as status: a ZooKeeper silent for 500 ms is down */
#define SRVR_PROBE_MS 500

static const struct
{
  const char *id, *title;
} steps[LABO_VERIFY_STEPS] = {
  [LABO_VERIFY_DOCKER] = { "docker", "a Docker daemon answers on every Docker host" },
  [LABO_VERIFY_SWARM] = { "swarm", "the Swarm has every Docker host, Ready" },
  [LABO_VERIFY_OVERLAY] = { "overlay", "the overlay network, with the lab's subnet" },
  [LABO_VERIFY_CONTAINERS] = { "containers", "every node runs" },
  [LABO_VERIFY_PING] = { "ping", "the first node pings every other by name" },
  [LABO_VERIFY_SSH] = { "ssh", "the first node reaches every other by ssh, without password" },
  [LABO_VERIFY_JAVA] = { "java", "java -version works in every node" },
  [LABO_VERIFY_MYID] = { "myid", "every node's myid holds its id" },
  [LABO_VERIFY_SERVERS] = { "servers", "every node's zoo.cfg lists every server" },
  [LABO_VERIFY_RUNNING] = { "running", "ZooKeeper answers on every node" },
  [LABO_VERIFY_ROLES] = { "roles", "one leader, the others followers" },
};

const char *
labo_verify_step_id (enum labo_verify_step s)
{
  return s < LABO_VERIFY_STEPS ? steps[s].id : "?";
}

const char *
labo_verify_state_name (enum labo_verify_state s)
{
  switch (s)
    {
    case LABO_VERIFY_DONE:
      return "done";
    case LABO_VERIFY_NOT_YET:
      return "not-yet";
    case LABO_VERIFY_NA:
    default:
      return "n/a";
    }
}

/* ---- facts ---- */

void
labo_verify_facts_init (const struct labo_lab *lab, struct labo_verify_facts *f)
{
  memset (f, 0, sizeof (*f));
  f->hosts = xcalloc (lab->n_hosts + 1, sizeof (*f->hosts));
  f->nodes = xcalloc (lab->n_nodes + 1, sizeof (*f->nodes));
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      f->nodes[i].java = f->nodes[i].ping = f->nodes[i].ssh = -1;
      snprintf (f->nodes[i].state, sizeof (f->nodes[i].state), "unknown");
    }
}

void
labo_verify_facts_free (const struct labo_lab *lab, struct labo_verify_facts *f)
{
  for (size_t h = 0; f->hosts && h < lab->n_hosts; h++)
    free (f->hosts[h].daemon_error);
  for (size_t i = 0; f->nodes && i < lab->n_nodes; i++)
    {
      struct labo_verify_node_facts *n = &f->nodes[i];
      free (n->ask_error);
      free (n->cfg_path);
      labo_strv_free (n->servers, n->n_servers);
      free (n->data_dir);
      free (n->myid_path);
      free (n->myid);
      free (n->ssh_out);
    }
  free (f->hosts);
  free (f->nodes);
  json_decref (f->swarm_nodes);
  free (f->swarm_error);
  free (f->overlay_subnet);
  free (f->overlay_error);
  memset (f, 0, sizeof (*f));
}

/* Appends to *s (xasprintf'd or NULL). */
static void __attribute__ ((format (printf, 2, 3)))
append (char **s, const char *fmt, ...)
{
  va_list ap;
  char *more, *joined;
  va_start (ap, fmt);
  if (vasprintf (&more, fmt, ap) < 0)
    abort ();
  va_end (ap);
  joined = xasprintf ("%s%s", *s ? *s : "", more);
  free (more);
  free (*s);
  *s = joined;
}

/* Names are the lab's (validated: letters, digits, '-', '.'), so they go
 * into the script as they are. */
char *
labo_verify_node_script (const struct labo_lab *lab, size_t i, bool node_image,
                         const bool *reach)
{
  char *s = NULL, *others = NULL;

  /* a node known not to run is not pinged: it would cost the whole wait */
  for (size_t k = 1; i == 0 && k < lab->n_nodes; k++)
    if (reach == NULL || reach[k])
      append (&others, " %s", lab->nodes[k].name);
  append (&s, "# labo verify: the facts of %s, one a line\n"
              "set -f\n"
              "T=timeout\n"
              "command -v timeout >/dev/null 2>&1 || T=\n",
          lab->nodes[i].name);
  if (node_image)
    append (&s, "{ $T 5 java -version >/dev/null 2>&1; echo \"java $?\"; } &\n");
  if (others)
    {
      append (&s, "for n in%s; do\n"
                  "  { $T 3 ping -c 1 -W 2 \"$n\" >/dev/null 2>&1; echo \"ping $n $?\"; } &\n"
                  "done\n",
              others);
      /* no known_hosts written, none asked: the step is about the key */
      if (node_image)
        append (&s, "for n in%s; do\n"
                    "  { o=$($T 6 ssh -o BatchMode=yes -o ConnectTimeout=3 "
                    "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                    "-o LogLevel=ERROR \"root@$n\" hostname </dev/null 2>&1); "
                    "echo \"ssh $n $?\" $o; } &\n"
                    "done\n",
                others);
    }
  /* Debian's places first (the tutorial's), then the image's own */
  append (&s, "cfg= d=\n"
              "for f in /etc/zookeeper/conf/zoo.cfg /conf/zoo.cfg; do\n"
              "  [ -f \"$f\" ] && { cfg=$f; break; }\n"
              "done\n"
              "if [ -n \"$cfg\" ]; then\n"
              "  echo \"cfg $cfg\"\n"
              "  grep -E '^[[:space:]]*server\\.[0-9]+[[:space:]]*=' \"$cfg\" | sed 's/^/server /'\n"
              "  d=$(sed -n 's/^[[:space:]]*dataDir[[:space:]]*=[[:space:]]*//p' \"$cfg\" "
              "| tail -n 1)\n"
              "fi\n"
              "[ -n \"$d\" ] && echo \"datadir $d\"\n"
              "for f in ${d:+\"$d/myid\"} /var/lib/zookeeper/myid /data/myid; do\n"
              "  [ -f \"$f\" ] && { echo \"myid $f $(head -n 1 \"$f\")\"; break; }\n"
              "done\n"
              "wait\n");
  free (others);
  return s;
}

/* "WORD rest": rest if line starts with WORD and a space. */
static const char *
after (const char *line, const char *word)
{
  size_t l = strlen (word);
  return strncmp (line, word, l) == 0 && line[l] == ' ' ? line + l + 1 : NULL;
}

/* "NAME STATUS[ rest]" of a ping or ssh line: the node named, its status,
 * the rest (may be ""). */
static long
name_status (const struct labo_lab *lab, const char *s, int *status, const char **rest)
{
  size_t nl = strcspn (s, " ");
  char name[LABO_HOSTNAME_MAX + 1], *end;
  long k;

  if (nl == 0 || nl > LABO_HOSTNAME_MAX || s[nl] != ' ')
    return -1;
  memcpy (name, s, nl);
  name[nl] = '\0';
  k = labo_lab_find_node (lab, name);
  *status = (int) strtol (s + nl + 1, &end, 10);
  if (k < 0 || end == s + nl + 1)
    return -1;
  *rest = *end == ' ' ? end + 1 : end;
  return k;
}

void
labo_verify_parse_node (const struct labo_lab *lab, size_t i, const char *out,
                        struct labo_verify_facts *f)
{
  struct labo_verify_node_facts *nf = &f->nodes[i];
  cleanup_free char *copy = xstrdup (out ? out : "");
  char *save = NULL;

  nf->asked = true;
  for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      const char *v, *rest;
      int st;
      long k;
      if ((v = after (line, "java")) != NULL)
        nf->java = atoi (v);
      else if ((v = after (line, "cfg")) != NULL && nf->cfg_path == NULL)
        nf->cfg_path = xstrdup (v);
      else if ((v = after (line, "server")) != NULL)
        {
          nf->servers = xrealloc (nf->servers, (nf->n_servers + 1) * sizeof (char *));
          nf->servers[nf->n_servers++] = xstrdup (v);
        }
      else if ((v = after (line, "datadir")) != NULL && nf->data_dir == NULL)
        nf->data_dir = xstrdup (v);
      else if ((v = after (line, "myid")) != NULL && nf->myid_path == NULL)
        {
          size_t pl = strcspn (v, " ");
          nf->myid_path = xasprintf ("%.*s", (int) pl, v);
          nf->myid = xstrdup (v[pl] ? v + pl + 1 : "");
        }
      else if ((v = after (line, "ping")) != NULL && i == 0
               && (k = name_status (lab, v, &st, &rest)) > 0)
        f->nodes[k].ping = st;
      else if ((v = after (line, "ssh")) != NULL && i == 0
               && (k = name_status (lab, v, &st, &rest)) > 0)
        {
          f->nodes[k].ssh = st;
          free (f->nodes[k].ssh_out);
          f->nodes[k].ssh_out = xstrdup (rest);
        }
    }
}

/* ---- the assessment ---- */

static void
set (struct labo_verify_report *r, enum labo_verify_step s, enum labo_verify_state st,
     char *detail, char *hint)
{
  struct labo_verify_check *c = &r->checks[s];
  c->step = s;
  c->state = st;
  free (c->detail);
  free (c->hint);
  c->detail = detail;
  c->hint = st == LABO_VERIFY_NOT_YET ? hint : NULL;
  if (st != LABO_VERIFY_NOT_YET)
    free (hint);
}

#define NA(r, s, ...) set ((r), (s), LABO_VERIFY_NA, xasprintf (__VA_ARGS__), NULL)

/* "a, b and c" of the names that are (or are not) flagged; NULL if none. */
static char *
names_of (const char *const *names, const bool *flag, size_t n, bool want)
{
  char *s = NULL;
  size_t total = 0, k = 0;
  for (size_t i = 0; i < n; i++)
    total += flag[i] == want;
  for (size_t i = 0; i < n; i++)
    if (flag[i] == want)
      {
        append (&s, "%s%s", k == 0 ? "" : k + 1 == total ? " and " : ", ", names[i]);
        k++;
      }
  return s;
}

static void
assess_docker (const struct labo_lab *lab, const struct labo_verify_facts *f,
               struct labo_verify_report *r)
{
  cleanup_free const char **names = xcalloc (lab->n_hosts + 1, sizeof (char *));
  cleanup_free bool *up = xcalloc (lab->n_hosts + 1, sizeof (bool));
  size_t n = 0;
  char *down;

  if (!f->daemons)
    return NA (r, LABO_VERIFY_DOCKER, "this runtime runs no Docker daemon");
  for (size_t h = 0; h < lab->n_hosts; h++)
    if (lab->hosts[h].docker != LABO_DOCKER_NONE)
      {
        names[n] = lab->hosts[h].name;
        up[n++] = f->hosts[h].daemon;
      }
  if (n == 0)
    return NA (r, LABO_VERIFY_DOCKER, "no host has docker:");
  down = names_of (names, up, n, false);
  if (down == NULL)
    {
      cleanup_free char *all = names_of (names, up, n, true);
      return set (r, LABO_VERIFY_DOCKER, LABO_VERIFY_DONE, xasprintf ("Docker answers on %s", all),
                  NULL);
    }
  {
    /* the first host that does not answer, in the hint */
    size_t k = 0;
    while (up[k])
      k++;
    set (r, LABO_VERIFY_DOCKER, LABO_VERIFY_NOT_YET,
         xasprintf ("no Docker daemon answers on %s", down),
         /* a hint for a person, in the tutorial's words (never run) */
         xasprintf ("on %s: curl -sSL https://get.docker.com/ | sh, then docker -H "
                    "tcp://0.0.0.0:2375 -H unix:///var/run/docker.sock -d "
                    "(labo: labo restart %s)",
                    names[k], names[k]));
    free (down);
  }
}

static void
assess_swarm (const struct labo_lab *lab, const struct labo_verify_facts *f,
              struct labo_verify_report *r)
{
  long m = labo_lab_manager (lab);
  size_t n = 0, ready = 0;
  const char *missing = NULL, *why = NULL;
  char buf[20];

  if (!f->daemons)
    return NA (r, LABO_VERIFY_SWARM, "this runtime runs no Docker daemon");
  if (m < 0)
    return NA (r, LABO_VERIFY_SWARM, "no host has docker:");
  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      const char *state = NULL;
      size_t i;
      json_t *sn;
      if (lab->hosts[h].docker == LABO_DOCKER_NONE)
        continue;
      n++;
      json_array_foreach (f->swarm_nodes, i, sn)
        {
          const char *name = json_string_value (json_object_get (sn, "name"));
          if (name && strcmp (name, lab->hosts[h].name) == 0)
            state = json_string_value (json_object_get (sn, "state"));
        }
      if (state && strcmp (state, "ready") == 0)
        ready++;
      else if (missing == NULL)
        {
          missing = lab->hosts[h].name;
          why = state ? state : NULL;
        }
    }
  if (missing == NULL)
    return set (r, LABO_VERIFY_SWARM, LABO_VERIFY_DONE,
                xasprintf ("%zu node%s, all Ready (manager %s)", n, n == 1 ? "" : "s",
                           lab->hosts[m].name),
                NULL);
  {
    const char *mname = lab->hosts[m].name;
    long k = labo_lab_find_host (lab, missing);
    char *detail;
    if (f->swarm_nodes == NULL)
      detail = xasprintf ("the manager %s lists no Swarm%s%s", mname,
                          f->swarm_error ? ": " : "", f->swarm_error ? f->swarm_error : "");
    else if (why)
      detail = xasprintf ("%s is %s in the Swarm (%zu of %zu Ready)", missing, why, ready, n);
    else
      detail = xasprintf ("%s is not in the Swarm (%zu of %zu Ready)", missing, ready, n);
    set (r, LABO_VERIFY_SWARM, LABO_VERIFY_NOT_YET, detail,
         xasprintf ("on %s: docker run swarm join --addr=%s:2375 token://TOKEN, and on %s: docker "
                    "run -d -p 22375:2375 swarm manager token://TOKEN (Docker today: docker "
                    "swarm init on %s, docker swarm join on the others)",
                    f->swarm_nodes ? missing : mname,
                    labo_ipv4_format (lab->hosts[f->swarm_nodes ? k : m].lab_address, buf),
                    mname, mname));
  }
}

static void
assess_overlay (const struct labo_lab *lab, const struct labo_verify_facts *f,
                struct labo_verify_report *r)
{
  long m = labo_lab_manager (lab);
  char want[20];
  const char *name = lab->overlay.name;
  cleanup_free char *hint = NULL;

  if (!f->daemons)
    return NA (r, LABO_VERIFY_OVERLAY, "this runtime's overlay is a bridge of labo's own");
  if (!lab->overlay.present)
    return NA (r, LABO_VERIFY_OVERLAY, "the lab file has no overlay");
  if (m < 0)
    return NA (r, LABO_VERIFY_OVERLAY, "no host has docker:");
  labo_prefix_format (&lab->overlay.subnet, want);
  hint = xasprintf ("weave launch on %s, weave launch %s on the other hosts (Docker today: docker "
                    "network create -d overlay --attachable --subnet %s %s)",
                    lab->hosts[m].name, lab->hosts[m].name, want, name);
  if (!f->overlay_found)
    return set (r, LABO_VERIFY_OVERLAY, LABO_VERIFY_NOT_YET,
                f->overlay_error ? xasprintf ("%s: %s", name, f->overlay_error)
                                 : xasprintf ("no network %s on %s", name, lab->hosts[m].name),
                steal_ptr (&hint));
  if (f->overlay_subnet == NULL || strcmp (f->overlay_subnet, want) != 0)
    return set (r, LABO_VERIFY_OVERLAY, LABO_VERIFY_NOT_YET,
                xasprintf ("%s has subnet %s, the lab file %s", name,
                           f->overlay_subnet ? f->overlay_subnet : "none", want),
                steal_ptr (&hint));
  set (r, LABO_VERIFY_OVERLAY, LABO_VERIFY_DONE,
       xasprintf ("%s, %s, on %s", name, want, lab->hosts[m].name), NULL);
}

/* The tutorial's `weave run` for node i, with its address and ports. */
static char *
weave_run (const struct labo_lab *lab, size_t i)
{
  const struct labo_node *n = &lab->nodes[i];
  char buf[20];
  char *s = xasprintf ("on %s: weave run %s/%u --name %s -d -P", lab->hosts[n->host].name,
                       labo_ipv4_format (n->address, buf),
                       lab->overlay.present ? lab->overlay.subnet.len : 24, n->name);
  for (size_t k = 0; k < n->n_ports; k++)
    append (&s, " -p %u:%u", n->ports[k].host_port, n->ports[k].container_port);
  append (&s, " -it IMAGE (labo: labo restart %s)", n->name);
  return s;
}

static void
assess_containers (const struct labo_lab *lab, const struct labo_verify_facts *f,
                   struct labo_verify_report *r)
{
  const char *what = f->daemons ? "container" : "process";
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (!f->nodes[i].running)
      return set (r, LABO_VERIFY_CONTAINERS, LABO_VERIFY_NOT_YET,
                  xasprintf ("the %s of %s is %s", what, lab->nodes[i].name, f->nodes[i].state),
                  weave_run (lab, i));
  set (r, LABO_VERIFY_CONTAINERS, LABO_VERIFY_DONE,
       lab->n_nodes == 1 ? xasprintf ("%s runs", lab->nodes[0].name)
                         : xasprintf ("%zu %s run", lab->n_nodes,
                                      f->daemons ? "containers" : "processes"),
       NULL);
}

/* The lab's ZooKeeper nodes, and its nodes that run sshd (their kinds'). */
static size_t
zookeepers (const struct labo_lab *lab)
{
  size_t n = 0;
  for (size_t i = 0; i < lab->n_nodes; i++)
    n += lab->nodes[i].service == LABO_SERVICE_ZOOKEEPER;
  return n;
}

static size_t
sshd_nodes (const struct labo_lab *lab)
{
  size_t n = 0;
  for (size_t i = 0; i < lab->n_nodes; i++)
    n += labo_kind_of (&lab->nodes[i])->sshd;
  return n;
}

/* Why node i's script told nothing, for a detail; NULL if it did. */
static char *
not_asked (const struct labo_lab *lab, const struct labo_verify_facts *f, size_t i)
{
  const struct labo_verify_node_facts *n = &f->nodes[i];
  if (n->asked)
    return NULL;
  if (!n->running)
    return xasprintf ("%s does not run", lab->nodes[i].name);
  return xasprintf ("%s could not be asked%s%s", lab->nodes[i].name, n->ask_error ? ": " : "",
                    n->ask_error ? n->ask_error : "");
}

static void
assess_ping (const struct labo_lab *lab, const struct labo_verify_facts *f,
             struct labo_verify_report *r)
{
  const char *first = lab->nodes[0].name;
  char *why;

  if (!labo_kind_of (&lab->nodes[0])->sshd)
    return NA (r, LABO_VERIFY_PING, "the first node is an image without the tutorial's tools");
  if (lab->n_nodes < 2)
    return NA (r, LABO_VERIFY_PING, "one node: no other to reach");
  if ((why = not_asked (lab, f, 0)) != NULL)
    return set (r, LABO_VERIFY_PING, LABO_VERIFY_NOT_YET, why,
                xasprintf ("on %s: ping -c 4 -q %s", first, lab->nodes[1].name));
  for (size_t k = 1; k < lab->n_nodes; k++)
    if (f->nodes[k].ping != 0)
      return set (r, LABO_VERIFY_PING, LABO_VERIFY_NOT_YET,
                  f->nodes[k].ping < 0 && !f->nodes[k].running
                      ? xasprintf ("%s -> %s: %s does not run", first, lab->nodes[k].name,
                                   lab->nodes[k].name)
                  : f->nodes[k].ping < 0
                      ? xasprintf ("%s -> %s: not pinged", first, lab->nodes[k].name)
                  : f->nodes[k].ping == 127
                      ? xasprintf ("%s has no ping", first)
                      : xasprintf ("%s -> %s: no answer", first, lab->nodes[k].name),
                  xasprintf ("on %s: ping -c 4 -q %s (0%% packet loss once the overlay "
                             "joins them)",
                             first, lab->nodes[k].name));
  set (r, LABO_VERIFY_PING, LABO_VERIFY_DONE,
       lab->n_nodes == 2 ? xasprintf ("%s -> %s answers", first, lab->nodes[1].name)
                         : xasprintf ("%s -> the %zu others answer", first, lab->n_nodes - 1),
       NULL);
}

static bool
contains (const char *s, const char *word)
{
  return s && strstr (s, word) != NULL;
}

static void
assess_ssh (const struct labo_lab *lab, const struct labo_verify_facts *f,
            struct labo_verify_report *r)
{
  const char *first = lab->nodes[0].name;
  char *why;

  if (!f->node_image)
    return NA (r, LABO_VERIFY_SSH, "this runtime's nodes are processes of their hosts");
  if (lab->n_nodes < 2)
    return NA (r, LABO_VERIFY_SSH, "one node: no other to reach");
  if (!labo_kind_of (&lab->nodes[0])->sshd || sshd_nodes (lab) < 2)
    return NA (r, LABO_VERIFY_SSH, "no two nodes run sshd");
  if ((why = not_asked (lab, f, 0)) != NULL)
    return set (r, LABO_VERIFY_SSH, LABO_VERIFY_NOT_YET, why,
                xasprintf ("on %s: ssh-keygen -t rsa, then ssh-copy-id -i ~/.ssh/id_rsa.pub "
                           "root@%s",
                           first, lab->nodes[1].name));
  for (size_t k = 1; k < lab->n_nodes; k++)
    {
      if (!labo_kind_of (&lab->nodes[k])->sshd)
        continue; /* nothing to log in to */
      const struct labo_verify_node_facts *n = &f->nodes[k];
      const char *to = lab->nodes[k].name, *o = n->ssh_out;
      char *detail, *hint;
      if (n->ssh == 0 && o && strcmp (o, to) == 0)
        continue;
      hint = xasprintf ("on %s: ssh-keygen -t rsa, then ssh-copy-id -i ~/.ssh/id_rsa.pub root@%s",
                        first, to);
      if (n->ssh < 0 && !n->running)
        detail = xasprintf ("%s -> %s: %s does not run", first, to, to);
      else if (n->ssh < 0)
        detail = xasprintf ("%s -> %s: not tried", first, to);
      else if (n->ssh == 127 || contains (o, "not found"))
        detail = xasprintf ("%s has no ssh client", first);
      else if (contains (o, "Permission denied"))
        detail = xasprintf ("%s -> %s asks for a password", first, to);
      else if (contains (o, "Connection refused"))
        {
          detail = xasprintf ("no sshd answers on %s", to);
          free (hint);
          hint = xasprintf ("an sshd in %s (the tutorial's image, rastasheep/ubuntu-sshd, runs "
                            "one); then on %s: ssh-keygen -t rsa, ssh-copy-id -i "
                            "~/.ssh/id_rsa.pub root@%s",
                            to, first, to);
        }
      else if (contains (o, "resolve"))
        detail = xasprintf ("%s does not know the name %s", first, to);
      else if (n->ssh == 124 || contains (o, "timed out"))
        detail = xasprintf ("%s -> %s: no answer on port 22", first, to);
      else if (n->ssh == 0)
        detail = xasprintf ("%s -> %s answers \"%.40s\", not %s", first, to, o ? o : "", to);
      else
        detail = xasprintf ("%s -> %s: ssh fails (%d): %.80s", first, to, n->ssh, o ? o : "");
      return set (r, LABO_VERIFY_SSH, LABO_VERIFY_NOT_YET, detail, hint);
    }
  set (r, LABO_VERIFY_SSH, LABO_VERIFY_DONE,
       lab->n_nodes == 2 ? xasprintf ("%s -> %s, by key", first, lab->nodes[1].name)
                         : xasprintf ("%s -> the %zu others, by key", first, lab->n_nodes - 1),
       NULL);
}

static void
assess_java (const struct labo_lab *lab, const struct labo_verify_facts *f,
             struct labo_verify_report *r)
{
  if (!f->node_image)
    return NA (r, LABO_VERIFY_JAVA, "this runtime's nodes run the machine's java");
  if (zookeepers (lab) == 0)
    return NA (r, LABO_VERIFY_JAVA, "no ZooKeeper node");
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      if (lab->nodes[i].service != LABO_SERVICE_ZOOKEEPER)
        continue; /* ZooKeeper's own steps */
      const char *name = lab->nodes[i].name;
      char *why = not_asked (lab, f, i);
      if (why == NULL && f->nodes[i].java == 0)
        continue;
      if (why == NULL)
        why = f->nodes[i].java == 127 ? xasprintf ("%s has no java", name)
                                      : xasprintf ("java -version fails in %s (status %d)", name,
                                                   f->nodes[i].java);
      return set (r, LABO_VERIFY_JAVA, LABO_VERIFY_NOT_YET, why,
                  xasprintf ("on %s: apt-get install -y wget curl tar vim default-jre "
                             "default-jdk, then java -version",
                             name));
    }
  set (r, LABO_VERIFY_JAVA, LABO_VERIFY_DONE, xasprintf ("java runs in every node"), NULL);
}

static void
assess_myid (const struct labo_lab *lab, const struct labo_verify_facts *f,
             struct labo_verify_report *r)
{
  if (zookeepers (lab) == 0)
    return NA (r, LABO_VERIFY_MYID, "no ZooKeeper node");
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      if (lab->nodes[i].service != LABO_SERVICE_ZOOKEEPER)
        continue; /* ZooKeeper's own steps */
      const struct labo_verify_node_facts *n = &f->nodes[i];
      const char *name = lab->nodes[i].name;
      char *why = not_asked (lab, f, i), *end = NULL;
      cleanup_free char *where
          = n->myid_path ? xstrdup (n->myid_path)
            : n->data_dir ? xasprintf ("%s/myid", n->data_dir)
                          : xstrdup ("/var/lib/zookeeper/myid");
      long v = n->myid ? strtol (n->myid, &end, 10) : -1;
      bool ok = n->myid && end != n->myid && (*end == '\0' || isspace ((unsigned char) *end))
                && v == lab->nodes[i].myid;
      if (why == NULL && ok)
        continue;
      if (why == NULL)
        why = n->myid_path == NULL
                  ? xasprintf ("%s has no myid (%s)", name, where)
                  : xasprintf ("%s's %s holds \"%.20s\", the lab file says %d", name,
                               n->myid_path, n->myid ? n->myid : "", lab->nodes[i].myid);
      return set (r, LABO_VERIFY_MYID, LABO_VERIFY_NOT_YET, why,
                  xasprintf ("on %s: echo %d > %s", name, lab->nodes[i].myid, where));
    }
  set (r, LABO_VERIFY_MYID, LABO_VERIFY_DONE,
       lab->n_nodes == 1 ? xasprintf ("%s's myid is %d", lab->nodes[0].name, lab->nodes[0].myid)
                         : xasprintf ("every node's myid is its own (%d to %d)",
                                      lab->nodes[0].myid, lab->nodes[lab->n_nodes - 1].myid),
       NULL);
}

/* Does `line` say server.ID=NAME:2888:3888, with an optional role
 * (":participant", ":observer") and client part (";2181", ";ADDR:2181")?
 * NAME may carry a domain (namenode1.weave.local). */
static bool
server_line_is (const char *line, int id, const char *name)
{
  char *end;
  size_t nl = strlen (name);
  long v;

  while (isspace ((unsigned char) *line))
    line++;
  if (strncmp (line, "server.", 7) != 0)
    return false;
  v = strtol (line + 7, &end, 10);
  if (end == line + 7 || v != id)
    return false;
  line = end;
  while (isspace ((unsigned char) *line))
    line++;
  if (*line++ != '=')
    return false;
  while (isspace ((unsigned char) *line))
    line++;
  if (strncmp (line, name, nl) != 0)
    return false;
  line += nl;
  if (*line == '.')
    line += strcspn (line, ":");
  if (*line++ != ':' || strtol (line, &end, 10) != LABO_ZK_QUORUM_PORT || *end != ':')
    return false;
  line = end + 1;
  if (strtol (line, &end, 10) != LABO_ZK_ELECTION_PORT || end == line)
    return false;
  line = end;
  if (strncmp (line, ":participant", 12) == 0)
    line += 12;
  while (isspace ((unsigned char) *line))
    line++;
  return *line == '\0' || *line == ';';
}

static void
assess_servers (const struct labo_lab *lab, const struct labo_verify_facts *f,
                struct labo_verify_report *r)
{
  if (zookeepers (lab) == 0)
    return NA (r, LABO_VERIFY_SERVERS, "no ZooKeeper node");
  cleanup_free char *all = NULL;

  for (size_t k = 0; k < lab->n_nodes; k++)
    append (&all, "%sserver.%d=%s:%d:%d", k == 0 ? "" : k + 1 == lab->n_nodes ? " and " : ", ",
            lab->nodes[k].myid, lab->nodes[k].name, LABO_ZK_QUORUM_PORT, LABO_ZK_ELECTION_PORT);
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      if (lab->nodes[i].service != LABO_SERVICE_ZOOKEEPER)
        continue; /* ZooKeeper's own steps */
      const struct labo_verify_node_facts *n = &f->nodes[i];
      const char *name = lab->nodes[i].name;
      char *why = not_asked (lab, f, i);
      if (why == NULL && n->cfg_path == NULL)
        why = xasprintf ("%s has no zoo.cfg (/etc/zookeeper/conf/zoo.cfg)", name);
      for (size_t k = 0; why == NULL && k < lab->n_nodes; k++)
        {
          bool found = false;
          for (size_t l = 0; l < n->n_servers && !found; l++)
            found = server_line_is (n->servers[l], lab->nodes[k].myid, lab->nodes[k].name);
          if (!found)
            why = xasprintf ("%s's %s lacks server.%d=%s:%d:%d", name, n->cfg_path,
                             lab->nodes[k].myid, lab->nodes[k].name, LABO_ZK_QUORUM_PORT,
                             LABO_ZK_ELECTION_PORT);
        }
      if (why)
        return set (r, LABO_VERIFY_SERVERS, LABO_VERIFY_NOT_YET, why,
                    xasprintf ("add %s to %s on %s", all,
                               n->cfg_path ? n->cfg_path : "/etc/zookeeper/conf/zoo.cfg",
                               lab->n_nodes == 1 ? name : "every node"));
    }
  set (r, LABO_VERIFY_SERVERS, LABO_VERIFY_DONE,
       xasprintf ("%zu server line%s in every node's zoo.cfg", lab->n_nodes,
                  lab->n_nodes == 1 ? "" : "s"),
       NULL);
}

/* Running: every node's service answers. Roles: the nodes of the lab's
 * electing kind (ZooKeeper's servers, etcd's members) form an ensemble,
 * one leading, the others following. */
static void
assess_services (const struct labo_lab *lab, const struct labo_verify_facts *f,
                 struct labo_verify_report *r)
{
  cleanup_free enum labo_mode *modes = xcalloc (lab->n_nodes + 1, sizeof (*modes));
  cleanup_free const char **names = xcalloc (lab->n_nodes + 1, sizeof (char *));
  cleanup_free bool *answers = xcalloc (lab->n_nodes + 1, sizeof (bool));
  cleanup_free char *text = NULL;
  const struct labo_kind *electing = NULL;
  struct labo_ensemble e;
  size_t n = 0, odd = SIZE_MAX;
  char *silent;

  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      names[i] = lab->nodes[i].name;
      answers[i] = f->nodes[i].mode != LABO_MODE_DOWN;
    }
  silent = names_of (names, answers, lab->n_nodes, false);
  if (silent == NULL)
    set (r, LABO_VERIFY_RUNNING, LABO_VERIFY_DONE,
         lab->n_nodes == 1 ? xasprintf ("%s answers", names[0])
                           : xasprintf ("all %zu answer", lab->n_nodes),
         NULL);
  else
    {
      size_t k = 0;
      const struct labo_kind *kind;
      while (answers[k])
        k++;
      kind = labo_kind_of (&lab->nodes[k]);
      set (r, LABO_VERIFY_RUNNING, LABO_VERIFY_NOT_YET,
           xasprintf ("%s does not answer on %s",
                      kind->service == LABO_SERVICE_ZOOKEEPER ? "ZooKeeper" : kind->name, silent),
           kind->service == LABO_SERVICE_ZOOKEEPER ? xasprintf ("on %s: zkServer.sh start", names[k])
                                                   : xasprintf ("labo restart %s", names[k]));
      free (silent);
    }
  /* the ensemble: the first electing kind's nodes */
  for (size_t i = 0; i < lab->n_nodes && electing == NULL; i++)
    if (labo_kind_of (&lab->nodes[i])->elects)
      electing = labo_kind_of (&lab->nodes[i]);
  if (electing == NULL)
    return NA (r, LABO_VERIFY_ROLES, "no node elects a leader");
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      enum labo_mode m = f->nodes[i].mode;
      if (labo_kind_of (&lab->nodes[i]) != electing)
        continue;
      modes[n] = m;
      names[n] = lab->nodes[i].name;
      /* no observer is declared (the lab file has no such key) */
      if (odd == SIZE_MAX && m != LABO_MODE_FOLLOWER && m != LABO_MODE_LEADER
          && !(m == LABO_MODE_STANDALONE && lab->n_nodes == 1))
        odd = n;
      n++;
    }
  labo_ensemble_assess (modes, n, &e);
  text = labo_ensemble_text (&e, modes, names);
  if (e.quorum && e.leaders == 1 && odd == SIZE_MAX)
    set (r, LABO_VERIFY_ROLES, LABO_VERIFY_DONE, steal_ptr (&text), NULL);
  else
    set (r, LABO_VERIFY_ROLES, LABO_VERIFY_NOT_YET,
         e.quorum && odd != SIZE_MAX
             ? xasprintf ("%s; %s is %s", text, names[odd], labo_mode_name (modes[odd]))
             : steal_ptr (&text),
         electing->service == LABO_SERVICE_ZOOKEEPER
             ? xasprintf ("on every node: zkServer.sh status (Mode: leader on one, follower on "
                          "the others)")
             : xasprintf ("etcdctl endpoint status -w table: one leader (IS LEADER true)"));
}

void
labo_verify_assess (const struct labo_lab *lab, const struct labo_verify_facts *f,
                    struct labo_verify_report *r)
{
  memset (r, 0, sizeof (*r));
  r->lab = xstrdup (lab->name);
  for (int s = 0; s < LABO_VERIFY_STEPS; s++)
    r->checks[s].step = (enum labo_verify_step) s;
  assess_docker (lab, f, r);
  assess_swarm (lab, f, r);
  assess_overlay (lab, f, r);
  if (lab->n_nodes == 0)
    for (int s = LABO_VERIFY_CONTAINERS; s < LABO_VERIFY_STEPS; s++)
      NA (r, (enum labo_verify_step) s, "the lab has no nodes");
  else
    {
      assess_containers (lab, f, r);
      assess_ping (lab, f, r);
      assess_ssh (lab, f, r);
      assess_java (lab, f, r);
      assess_myid (lab, f, r);
      assess_servers (lab, f, r);
      assess_services (lab, f, r);
    }
  for (int s = 0; s < LABO_VERIFY_STEPS; s++)
    {
      r->steps += r->checks[s].state != LABO_VERIFY_NA;
      r->done += r->checks[s].state == LABO_VERIFY_DONE;
    }
}

void
labo_verify_report_free (struct labo_verify_report *r)
{
  for (int s = 0; s < LABO_VERIFY_STEPS; s++)
    {
      free (r->checks[s].detail);
      free (r->checks[s].hint);
    }
  free (r->lab);
  memset (r, 0, sizeof (*r));
}

/* ---- gathering ---- */

struct node_job
{
  const struct labo_lab *lab;
  const bool *reach;
  size_t i;
  pid_t pid;
  bool node_image;
  int status;
  char *out, *error;
  enum labo_mode mode;
};

/* One node: its script, then its srvr; from a thread of its own. */
static void *
node_job_run (void *arg)
{
  struct node_job *j = arg;
  const struct labo_node *node = &j->lab->nodes[j->i];
  cleanup_free char *script = labo_verify_node_script (j->lab, j->i, j->node_image, j->reach);
  cleanup_free char *what = xasprintf ("node %s", node->name);
  char *argv[] = { (char *) "sh", (char *) "-c", script, NULL };
  labo_error_t err = NULL;
  struct labo_probe_result z;

  j->status = labo_pid_run (j->pid, what, argv, NULL, NODE_SCRIPT_MS, NODE_SCRIPT_MAX, &j->out,
                            &err);
  if (j->status < 0)
    {
      j->error = xstrdup (err->msg);
      labo_error_release (&err);
    }
  else if (j->status == 125)
    j->error = xstrdup (j->out); /* it could not enter: its words */
  labo_kind_probe (j->lab, node, j->pid, SRVR_PROBE_MS, &z); /* z.mode is DOWN on failure */
  j->mode = z.mode;
  return NULL;
}

/* The first subnet of a network's IPAM configuration, or NULL. */
static char *
network_subnet (json_t *info)
{
  json_t *cfg = json_object_get (json_object_get (info, "IPAM"), "Config"), *c;
  size_t i;
  json_array_foreach (cfg, i, c)
    {
      const char *s = json_string_value (json_object_get (c, "Subnet"));
      if (s)
        return xstrdup (s);
    }
  return NULL;
}

static void
gather_daemons (const struct labo_lab *lab, struct labo_verify_facts *f, struct labo_docker *d)
{
  long m = labo_lab_manager (lab);
  labo_error_t e = NULL;

  for (size_t h = 0; h < lab->n_hosts; h++)
    {
      if (lab->hosts[h].docker == LABO_DOCKER_NONE)
        continue;
      if (labo_daemon_connect (lab, h, &d[h], &e) == 0 && labo_docker_ping (&d[h], &e) == 0)
        f->hosts[h].daemon = true;
      else
        {
          f->hosts[h].daemon_error = e ? xstrdup (e->msg) : NULL;
          labo_error_release (&e);
          /* nothing more is asked of it: the runtime finds none (fast) */
          labo_docker_close (&d[h]);
        }
    }
  if (m < 0 || !f->hosts[m].daemon)
    {
      if (m >= 0)
        f->swarm_error = xasprintf ("%s's daemon does not answer", lab->hosts[m].name);
      f->overlay_error = xstrdup (f->swarm_error ? f->swarm_error : "no manager");
      return;
    }
  if (labo_docker_swarm_nodes (&d[m], &f->swarm_nodes, &e) < 0)
    {
      f->swarm_error = xstrdup (e->msg);
      labo_error_release (&e);
    }
  if (lab->overlay.present)
    {
      json_t *info = NULL;
      if (labo_docker_network_inspect (&d[m], lab->overlay.name, &info, &f->overlay_found, &e)
          < 0)
        {
          f->overlay_error = xstrdup (e->msg);
          labo_error_release (&e);
        }
      f->overlay_subnet = f->overlay_found ? network_subnet (info) : NULL;
      json_decref (info);
    }
}

void
labo_verify_gather (const struct labo_lab *lab, struct labo_verify_facts *f)
{
  const struct labo_runtime_ops *ops = labo_runtime_of (lab);
  struct labo_docker *d = xcalloc (lab->n_hosts + 1, sizeof (*d));
  struct node_job *jobs = xcalloc (lab->n_nodes + 1, sizeof (*jobs));
  pthread_t *threads = xcalloc (lab->n_nodes + 1, sizeof (*threads));
  bool *started = xcalloc (lab->n_nodes + 1, sizeof (bool));
  bool *reach = xcalloc (lab->n_nodes + 1, sizeof (bool));

  labo_verify_facts_init (lab, f);
  f->daemons = ops->daemons;
  f->node_image = ops->node_image;
  if (f->daemons)
    gather_daemons (lab, f, d);
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      struct labo_verify_node_facts *nf = &f->nodes[i];
      pid_t pid = ops->node_state (lab, i, f->daemons ? d : NULL, nf->state);
      nf->running = reach[i] = pid > 0 && strcmp (nf->state, "running") == 0;
      jobs[i] = (struct node_job){ lab, reach, i, pid, ops->node_image, -1, NULL, NULL,
                                   LABO_MODE_DOWN };
    }
  for (size_t h = 0; h < lab->n_hosts; h++)
    labo_docker_close (&d[h]);
  free (d);
  /* every node at once: a verify takes as long as its slowest node */
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (f->nodes[i].running)
      started[i] = pthread_create (&threads[i], NULL, node_job_run, &jobs[i]) == 0;
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (started[i])
      pthread_join (threads[i], NULL);
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      struct labo_verify_node_facts *nf = &f->nodes[i];
      nf->mode = jobs[i].mode;
      if (jobs[i].status >= 0 && jobs[i].status != 125 && jobs[i].status != 124)
        labo_verify_parse_node (lab, i, jobs[i].out, f);
      else if (started[i])
        nf->ask_error = jobs[i].error ? steal_ptr (&jobs[i].error)
                                      : xstrdup ("its script ran past its time");
      free (jobs[i].out);
      free (jobs[i].error);
    }
  free (jobs);
  free (threads);
  free (started);
  free (reach);
}

/* ---- the verb ---- */

json_t *
labo_verify_report_json (const struct labo_verify_report *r)
{
  json_t *checks = json_array ();

  for (int s = 0; s < LABO_VERIFY_STEPS; s++)
    {
      const struct labo_verify_check *c = &r->checks[s];
      json_array_append_new (
          checks, json_pack ("{s:s, s:s, s:s, s:s?, s:s?}", "id", steps[s].id, "title",
                             steps[s].title, "state", labo_verify_state_name (c->state),
                             "detail", c->detail, "hint", c->hint));
    }
  return json_pack ("{s:s, s:I, s:I, s:b, s:o}", "lab", r->lab, "done", (json_int_t) r->done, "steps",
                    (json_int_t) r->steps, "ok", r->done == r->steps, "checks", checks);
}

json_t *
labo_verify_json (const char *name, labo_error_t *err)
{
  struct labo_lab *lab = labo_state_load_lab (name);
  struct labo_verify_facts f;
  struct labo_verify_report r;
  json_t *out;

  if (lab == NULL)
    {
      labo_error_make (err, 0, "lab %s is not up (`labo ls` lists the labs that are)", name);
      return NULL;
    }
  labo_verify_gather (lab, &f);
  labo_verify_assess (lab, &f, &r);
  out = labo_verify_report_json (&r);
  labo_verify_report_free (&r);
  labo_verify_facts_free (lab, &f);
  labo_lab_free (lab);
  return out;
}

static const char *
jstr (json_t *o, const char *key)
{
  const char *s = json_string_value (json_object_get (o, key));
  return s ? s : "";
}

void
labo_verify_print (json_t *rep, FILE *out)
{
  json_t *c;
  size_t i;

  fprintf (out, "labo verify %s: %lld of %lld steps done\n", jstr (rep, "lab"),
           (long long) json_integer_value (json_object_get (rep, "done")),
           (long long) json_integer_value (json_object_get (rep, "steps")));
  json_array_foreach (json_object_get (rep, "checks"), i, c)
    {
      const char *st = jstr (c, "state");
      fprintf (out, "  %-8s %-11s %s\n", strcmp (st, "not-yet") == 0 ? "not yet" : st,
               jstr (c, "id"), jstr (c, "detail"));
      if (json_is_string (json_object_get (c, "hint")))
        fprintf (out, "           hint: %s\n", jstr (c, "hint"));
    }
}

void
labo_verify_print_line (json_t *rep, int width, FILE *out)
{
  json_t *c;
  size_t i;
  char count[32];

  snprintf (count, sizeof (count), "%lld/%lld",
            (long long) json_integer_value (json_object_get (rep, "done")),
            (long long) json_integer_value (json_object_get (rep, "steps")));
  json_array_foreach (json_object_get (rep, "checks"), i, c)
    if (strcmp (jstr (c, "state"), "not-yet") == 0)
      {
        fprintf (out, "%-*s  %-5s  next: %s (%s)\n", width, jstr (rep, "lab"), count,
                 jstr (c, "id"), jstr (c, "detail"));
        return;
      }
  fprintf (out, "%-*s  %-5s  all done\n", width, jstr (rep, "lab"), count);
}
