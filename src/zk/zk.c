/* ZooKeeper configuration and four-letter-word probes: see include/labo/zk/zk.h. */
#include "labo/zk/zk.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "labo/net/netns.h"
#include "labo/util/util.h"

#define ZK_QUORUM_PORT LABO_ZK_QUORUM_PORT
#define ZK_ELECTION_PORT LABO_ZK_ELECTION_PORT
#define ZK_DEFAULT_CLIENT_PORT 2181
#define ZK_4LW_WHITELIST "ruok,srvr,mntr"

/* A reply larger than this is not a four-letter word's answer (mntr is a few
 * KiB even on a busy leader): stop rather than grow without bound. */
#define REPLY_MAX (1024 * 1024)

/* What ZooKeeper prints instead of the usual lines when it has no quorum. */
#define NOT_SERVING_TEXT "This ZooKeeper instance is not currently serving requests"


/* If line is "<key><sep><value>", returns value; else NULL. */
static const char *
after_key (const char *line, size_t len, const char *key)
{
  size_t k = strlen (key);
  if (len < k || strncmp (line, key, k) != 0)
    return NULL;
  return line + k;
}

/* Copies [s, s+len) into a NUL-terminated buffer of size sz, or fails. */
static int
field_copy (char *buf, size_t sz, const char *s, size_t len)
{
  if (len == 0 || len >= sz)
    return -1;
  memcpy (buf, s, len);
  buf[len] = '\0';
  return 0;
}

static int
parse_long (const char *s, size_t len, long *out)
{
  char buf[32];
  char *end;
  long v;

  if (field_copy (buf, sizeof buf, s, len) < 0 || buf[0] < '0' || buf[0] > '9')
    return -1;
  errno = 0;
  v = strtol (buf, &end, 10);
  if (errno != 0 || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

/* "0x100000000": hexadecimal, as ZooKeeper prints it. */
static int
parse_zxid (const char *s, size_t len, uint64_t *out)
{
  char buf[32];
  char *end;
  unsigned long long v;

  if (field_copy (buf, sizeof buf, s, len) < 0)
    return -1;
  if (buf[0] != '0' || (buf[1] != 'x' && buf[1] != 'X') || buf[2] == '\0')
    return -1;
  for (const char *p = buf + 2; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
      return -1;
  errno = 0;
  v = strtoull (buf + 2, &end, 16);
  if (errno != 0 || *end != '\0')
    return -1;
  *out = (uint64_t) v;
  return 0;
}

static int
parse_mode (const char *s, size_t len, enum labo_mode *out)
{
  static const struct
  {
    const char *name;
    enum labo_mode mode;
  } modes[] = {
    { "leader", LABO_MODE_LEADER },
    { "follower", LABO_MODE_FOLLOWER },
    { "observer", LABO_MODE_OBSERVER },
    { "standalone", LABO_MODE_STANDALONE },
  };
  for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
    if (strlen (modes[i].name) == len && strncmp (s, modes[i].name, len) == 0)
      {
        *out = modes[i].mode;
        return 0;
      }
  return -1;
}

/* Mode is what makes a reply a srvr reply: without it, or with any present
 * field unreadable, the text is something else (another word's reply, a
 * proxy's banner) and must not be taken for a server state. Node count and
 * Outstanding are -1 when absent, zxid 0, version "". */
int
labo_zk_parse_srvr (const char *text, struct labo_zk_srvr *out)
{
  struct labo_zk_srvr r;
  bool have_mode = false;
  const char *line = text;

  if (text == NULL || out == NULL)
    return -1;
  memset (&r, 0, sizeof r);
  r.node_count = -1;
  r.outstanding = -1;

  if (strstr (text, NOT_SERVING_TEXT) != NULL)
    {
      r.mode = LABO_MODE_NOT_SERVING;
      *out = r;
      return 0;
    }

  while (*line)
    {
      const char *nl = strchr (line, '\n');
      size_t len = nl ? (size_t) (nl - line) : strlen (line);
      const char *v;
      size_t vlen;
      int bad = 0;

      if (len > 0 && line[len - 1] == '\r')
        len--;
      if ((v = after_key (line, len, "Zookeeper version: ")) != NULL)
        {
          /* "3.8.0-5a02a05e..., built on 2022-02-25 08:49 UTC": the build
           * date adds nothing and would not fit. */
          const char *comma = memchr (v, ',', len - (size_t) (v - line));
          vlen = comma ? (size_t) (comma - v) : len - (size_t) (v - line);
          if (vlen >= sizeof r.version)
            vlen = sizeof r.version - 1;
          memcpy (r.version, v, vlen);
          r.version[vlen] = '\0';
        }
      else if ((v = after_key (line, len, "Zxid: ")) != NULL)
        bad = parse_zxid (v, len - (size_t) (v - line), &r.zxid);
      else if ((v = after_key (line, len, "Mode: ")) != NULL)
        {
          bad = parse_mode (v, len - (size_t) (v - line), &r.mode);
          have_mode = bad == 0;
        }
      else if ((v = after_key (line, len, "Node count: ")) != NULL)
        bad = parse_long (v, len - (size_t) (v - line), &r.node_count);
      else if ((v = after_key (line, len, "Outstanding: ")) != NULL)
        bad = parse_long (v, len - (size_t) (v - line), &r.outstanding);
      if (bad)
        return -1;
      line = nl ? nl + 1 : line + len;
      if (!nl)
        break;
    }
  if (!have_mode)
    return -1;
  *out = r;
  return 0;
}

char *
labo_zk_mntr_get (const char *text, const char *key)
{
  size_t klen;
  const char *line = text;

  if (text == NULL || key == NULL || (klen = strlen (key)) == 0)
    return NULL;
  while (*line)
    {
      const char *nl = strchr (line, '\n');
      size_t len = nl ? (size_t) (nl - line) : strlen (line);

      if (len > 0 && line[len - 1] == '\r')
        len--;
      /* "zk_server_state\tleader": the key must end at the separator, or
       * "zk_version" would match "zk_version_extra". */
      if (len > klen && strncmp (line, key, klen) == 0
          && (line[klen] == '\t' || line[klen] == ' '))
        {
          const char *v = line + klen;
          const char *end = line + len;
          char *r;
          while (v < end && (*v == '\t' || *v == ' '))
            v++;
          r = xmalloc ((size_t) (end - v) + 1);
          memcpy (r, v, (size_t) (end - v));
          r[end - v] = '\0';
          return r;
        }
      if (!nl)
        break;
      line = nl + 1;
    }
  return NULL;
}

char **
labo_zk_env (const struct labo_lab *lab, const struct labo_node *node)
{
  char **env = xcalloc (5, sizeof (char *));
  char *servers = xstrdup ("");

  /* Every member, itself included: ZooKeeper finds its own line by myid,
   * and quorumListenOnAllIPs (set by the entrypoint) makes it bind there
   * without a 0.0.0.0 in its own line. */
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      const struct labo_node *n = &lab->nodes[i];
      int cport = n->client_port > 0 ? n->client_port : ZK_DEFAULT_CLIENT_PORT;
      char *s;

      if (n->service != LABO_SERVICE_ZOOKEEPER)
        continue;
      s = xasprintf ("%s%sserver.%d=%s:%d:%d;%d", servers, *servers ? " " : "", n->myid,
                     n->name, ZK_QUORUM_PORT, ZK_ELECTION_PORT, cport);
      free (servers);
      servers = s;
    }
  env[0] = xasprintf ("ZOO_MY_ID=%d", node->myid);
  env[1] = xasprintf ("ZOO_SERVERS=%s", servers);
  env[2] = xstrdup ("ZOO_4LW_COMMANDS_WHITELIST=" ZK_4LW_WHITELIST);
  /* Leader election retries a peer it cannot reach yet with a doubling
   * interval capped at 60 s by default: servers started together, whose
   * peers' names and ports appear a second apart, would otherwise sit out
   * several seconds. A 500 ms cap costs a few packets and elects at once. */
  env[3] = xstrdup ("JVMFLAGS=" LABO_ZK_JVM_FLAGS);
  env[4] = NULL;
  free (servers);
  return env;
}

char *
labo_zk_config (const struct labo_lab *lab, const struct labo_node *node, const char *data_dir)
{
  char a[16];
  char *cfg = xasprintf ("# written by labo for node %s of lab %s\n"
                         "dataDir=%s\n"
                         "tickTime=2000\n"
                         "initLimit=10\n"
                         "syncLimit=5\n"
                         "clientPort=%d\n"
                         "clientPortAddress=%s\n"
                         "4lw.commands.whitelist=" ZK_4LW_WHITELIST "\n"
                         "admin.enableServer=false\n",
                         node->name, lab->name, data_dir,
                         node->client_port > 0 ? node->client_port : ZK_DEFAULT_CLIENT_PORT,
                         labo_ipv4_format (node->address, a));

  /* The 3.4 form (no ";client" part): the client address is the one above.
   * quorumListenOnAllIPs stays off: each server binds its election and
   * quorum ports on its own line's address. */
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      const struct labo_node *n = &lab->nodes[i];
      char *s;
      if (n->service != LABO_SERVICE_ZOOKEEPER)
        continue;
      s = xasprintf ("%sserver.%d=%s:%d:%d\n", cfg, n->myid, n->name, ZK_QUORUM_PORT,
                     ZK_ELECTION_PORT);
      free (cfg);
      cfg = s;
    }
  return cfg;
}

void
labo_zk_env_free (char **env)
{
  if (env == NULL)
    return;
  for (char **e = env; *e; e++)
    free (*e);
  free (env);
}

/* Milliseconds left until deadline (seconds, monotonic), rounded up so a
 * wait never ends just before it; 0 when past. */
static int
ms_left (double deadline)
{
  double left = (deadline - labo_now ()) * 1e3;
  if (left <= 0)
    return 0;
  return left > 1e9 ? 1000000000 : (int) left + 1;
}

/* poll() one event until the deadline: 1 ready, 0 timed out, -1 errno. */
static int
wait_for (int fd, short events, double deadline)
{
  for (;;)
    {
      struct pollfd p = { .fd = fd, .events = events };
      int left = ms_left (deadline);
      int r = poll (&p, 1, left);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      if (r > 0)
        return 1;
      if (left == 0)
        return 0;
      /* poll() may wake a little early: wait out the rest. */
    }
}

static int
socket_in (int netns_fd, labo_error_t *err)
{
  return labo_netns_socket (netns_fd, "the host's network namespace", AF_INET,
                            SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, err);
}

/* Every failure of a probe reads "probing A:P (word): what: strerror". */
#define FAIL(status, ...)                                                                    \
  do                                                                                         \
    {                                                                                        \
      labo_error_make (err, (status), __VA_ARGS__);                                          \
      return labo_error_wrap (err, "probing %s:%u (%s)", where, (unsigned) port, word);      \
    }                                                                                        \
  while (0)

int
labo_zk_4lw (int netns_fd, uint32_t addr, uint16_t port, const char *word, int timeout_ms,
             char **reply, labo_error_t *err)
{
  double deadline = labo_now () + (timeout_ms > 0 ? timeout_ms : 0) / 1e3;
  struct sockaddr_in sa = { .sin_family = AF_INET };
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  size_t len = 0, cap = 0, wlen = strlen (word), sent = 0;
  char where[16];
  int r, soerr = 0;
  socklen_t sl = sizeof soerr;

  *reply = NULL;
  labo_ipv4_format (addr, where);
  if (wlen == 0)
    word = "connect"; /* in messages: "probing A:P (connect): Connection refused" */
  fd = socket_in (netns_fd, err);
  if (fd < 0)
    return labo_error_wrap (err, "probing %s:%u (%s)", where, (unsigned) port, word);

  sa.sin_addr.s_addr = htonl (addr);
  sa.sin_port = htons (port);
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      if (errno != EINPROGRESS)
        return labo_error_errno (err, "probing %s:%u (%s)", where, (unsigned) port, word);
      r = wait_for (fd, POLLOUT, deadline);
      if (r < 0)
        FAIL (errno, "waiting for the connection");
      if (r == 0)
        FAIL (ETIMEDOUT, "not connected after %d ms", timeout_ms);
      if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
        FAIL (errno, "reading the connection's status");
      if (soerr != 0)
        {
          /* "probing A:P (ruok): Connection refused": the usual case, said
           * plainly. */
          labo_error_make (err, soerr, "probing %s:%u (%s)", where, (unsigned) port, word);
          return -1;
        }
    }
  /* A connect-only request (a kind's TCP health check): the connection
   * opened, that is the whole answer. Nothing is sent, nothing awaited. */
  if (wlen == 0)
    {
      *reply = xstrdup ("");
      return 0;
    }

  while (sent < wlen)
    {
      ssize_t n = send (fd, word + sent, wlen - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        {
          r = wait_for (fd, POLLOUT, deadline);
          if (r < 0)
            FAIL (errno, "sending");
          if (r == 0)
            FAIL (ETIMEDOUT, "could not send within %d ms", timeout_ms);
          continue;
        }
      if (n < 0)
        FAIL (errno, "sending");
      sent += (size_t) n;
    }
  /* The server answers a four-letter word and closes: half-closing tells it
   * (and any proxy in between) that nothing more is coming. */
  /* An HTTP request (a kind's, with its blank line) is not: etcd's
   * gateway cancels a request whose client half-closed (408). */
  if (strstr (word, "\r\n\r\n") == NULL && shutdown (fd, SHUT_WR) < 0)
    FAIL (errno, "shutting down the sending side");

  for (;;)
    {
      ssize_t n;

      if (cap - len < 4096)
        {
          cap = cap ? cap * 2 : 8192;
          buf = xrealloc (buf, cap);
        }
      n = recv (fd, buf + len, cap - len - 1, 0);
      if (n > 0)
        {
          len += (size_t) n;
          if (len > REPLY_MAX)
            FAIL (EMSGSIZE, "reply larger than %d bytes", REPLY_MAX);
          continue;
        }
      if (n == 0)
        break;
      if (errno == EINTR)
        continue;
      /* The server may reset instead of closing once it has written all:
       * what arrived is the reply. */
      if (errno == ECONNRESET && len > 0)
        break;
      if (errno != EAGAIN)
        FAIL (errno, "reading the reply");
      r = wait_for (fd, POLLIN, deadline);
      if (r < 0)
        FAIL (errno, "waiting for the reply");
      if (r == 0)
        FAIL (ETIMEDOUT, "no complete reply after %d ms", timeout_ms);
    }
  buf[len] = '\0';
  *reply = steal_ptr (&buf);
  return 0;
}
