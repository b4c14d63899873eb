/* The etcd kind: a member of the lab's etcd cluster (every `service: etcd`
 * node of the lab), from Debian's etcd-server (images/etcd: the image, and
 * the process runtime's binary). Its probe round speaks etcd's own HTTP:
 * GET /health (alive and in a cluster with a leader?) and POST
 * /v3/maintenance/status (who leads: this member when `leader` is its
 * `header.member_id`). See include/labo/kind/kind.h and
 * images/etcd/README.md for the requests and replies. */
#include "kind-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "labo/docker/docker.h"
#include "labo/docker/image.h"
#include "labo/host/host.h"
#include "labo/util/caps.h"
#include "labo/util/fs.h"
#include "labo/util/ipv4.h"
#include "labo/util/util.h"
#include "labo/zk/zk.h"
#include "labo/zk/zkdata.h"
#include "labo/zk/zkproc.h"

#define ETCD_PEER_PORT 2380
#define ETCD_CLIENT_PORT 2379
#define ETCD_USER "labo-etcd"
#define ETCD_DATA_POINT "/var/lib/etcd"

static uint16_t
etcd_port (const struct labo_node *node)
{
  return (uint16_t) (node->client_port > 0 ? node->client_port : ETCD_CLIENT_PORT);
}

static const char *
etcd_ask (const struct labo_node *node, size_t k, enum labo_mode was, char *buf, size_t size)
{
  (void) node;
  (void) was;
  if (k == 0)
    snprintf (buf, size, "GET /health HTTP/1.0\r\n\r\n");
  else if (k == 1)
    snprintf (buf, size, "POST /v3/maintenance/status HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}");
  else
    return NULL;
  return buf;
}

/* The body of an HTTP reply, and its status code in *code (0: not HTTP). */
static const char *
http_body (const char *reply, int *code)
{
  const char *body;

  *code = 0;
  if (reply == NULL || sscanf (reply, "HTTP/1.%*d %d", code) != 1)
    return NULL;
  body = strstr (reply, "\r\n\r\n");
  return body ? body + 4 : NULL;
}

static void
etcd_judge (const struct labo_node *node, const char *const reply[LABO_KIND_MAX_ASKS],
            const char *const error[LABO_KIND_MAX_ASKS], struct labo_probe_result *out)
{
  int code;
  const char *health = http_body (reply[0], &code), *status;
  json_t *st = NULL;

  (void) node;
  if (health == NULL)
    {
      snprintf (out->why, sizeof (out->why), "%s",
                reply[0] ? "GET /health: not an HTTP reply" : error[0] ? error[0] : "no answer");
      return;
    }
  /* it answers: alive; serving only in a cluster with a leader */
  out->alive = true;
  out->mode = LABO_MODE_NOT_SERVING;
  if (strstr (health, "\"health\":\"true\"") == NULL)
    return;
  status = http_body (reply[1], &code);
  if (status && code == 200 && (st = json_loads (status, 0, NULL)) != NULL)
    {
      const char *me = json_string_value (json_object_get (json_object_get (st, "header"),
                                                           "member_id"));
      const char *leader = json_string_value (json_object_get (st, "leader"));
      const char *version = json_string_value (json_object_get (st, "version"));
      /* no leader: the key is missing (and "errors" says so) */
      if (me && leader)
        out->mode = strcmp (me, leader) == 0 ? LABO_MODE_LEADER : LABO_MODE_FOLLOWER;
      if (version)
        snprintf (out->version, sizeof (out->version), "%s", version);
      json_decref (st);
    }
}

/* The etcd service user: a system user of labo's own (scripts/bootstrap
 * makes it), never root, never shared with other services. */
static int
etcd_user (uid_t *uid, gid_t *gid, labo_error_t *err)
{
  struct passwd *pw = getpwnam (ETCD_USER);
  if (pw == NULL || pw->pw_uid == 0)
    return labo_error_make (err, 0, "etcd runs as the '" ETCD_USER "' user, which this machine "
                                    "lacks (scripts/bootstrap makes it: adduser --system "
                                    "--group --no-create-home --home /nonexistent " ETCD_USER ")");
  *uid = pw->pw_uid;
  *gid = pw->pw_gid;
  return 0;
}

/* "etcd1=http://etcd1:2380,etcd2=http://etcd2:2380": every etcd member of
 * the lab, by name (the nodes' names resolve in both runtimes). */
static char *
initial_cluster (const struct labo_lab *lab)
{
  char *all = xstrdup ("");
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      const struct labo_node *n = &lab->nodes[i];
      char *t;
      if (n->service != LABO_SERVICE_ETCD)
        continue;
      t = xasprintf ("%s%s%s=http://%s:%d", all, *all ? "," : "", n->name, n->name,
                     ETCD_PEER_PORT);
      free (all);
      all = t;
    }
  return all;
}

static json_t *
etcd_container_spec (const struct labo_lab *lab, const struct labo_node *node, const char *image,
                     labo_error_t *err)
{
  cleanup_free char *data = labo_node_data_dir (lab->name, node->name);
  cleanup_free char *bind = xasprintf ("%s:" ETCD_DATA_POINT, data);
  cleanup_free char *cluster = initial_cluster (lab);
  char *env[8];
  size_t n = 0;
  json_t *spec, *hc;
  uid_t uid = 0;
  gid_t gid = 0;

  /* the data directory, the etcd user's (made right once, as ZooKeeper's) */
  if (etcd_user (&uid, &gid, err) < 0
      || labo_zk_data_prepare (lab->name, node->name, 0, uid, gid, err) < 0)
    return NULL;
  env[n++] = xasprintf ("ETCD_NAME=%s", node->name);
  env[n++] = xasprintf ("ETCD_INITIAL_CLUSTER=%s", cluster);
  env[n++] = xstrdup ("ETCD_INITIAL_CLUSTER_STATE=new");
  env[n++] = xasprintf ("ETCD_INITIAL_CLUSTER_TOKEN=%s", lab->name);
  env[n++] = xasprintf ("LABO_ETCD_UID=%d", (int) uid);
  env[n++] = xasprintf ("LABO_ETCD_GID=%d", (int) gid);
  env[n] = NULL;
  spec = labo_docker_container_body (lab, node, image, (const char *const *) env);
  for (size_t i = 0; i < n; i++)
    free (env[i]);
  hc = json_object_get (spec, "HostConfig");
  json_object_set_new (hc, "Binds", json_pack ("[s]", bind));
  /* the entrypoint makes the etcd user and switches to it: that and no
   * more (etcd itself runs with no capability) */
  json_object_set_new (hc, "CapDrop", json_pack ("[s]", "ALL"));
  json_object_set_new (hc, "CapAdd", json_pack ("[s,s,s,s]", "CHOWN", "FOWNER", "SETUID", "SETGID"));
  json_object_set_new (hc, "SecurityOpt", json_pack ("[s]", "no-new-privileges"));
  return spec;
}

/* The process runtime's etcd: the binary images/etcd/etcd-bin.sh extracts
 * from the cached .deb (never installed). Caller frees. */
static char *
etcd_binary (labo_error_t *err)
{
  cleanup_free char *dir = NULL;
  cleanup_free char *script = NULL;
  char *out = NULL;
  labo_error_t e = NULL;

  char exe[4096];
  ssize_t n = readlink ("/proc/self/exe", exe, sizeof (exe) - 1);

  exe[n > 0 ? n : 0] = '\0';
  if (labo_image_recipe_find (exe, "etcd", true, &dir, err) < 0)
    return NULL;
  script = xasprintf ("%s/etcd-bin.sh", dir);
  {
    char *argv[] = { script, NULL };
    if (labo_image_run_recipe (argv, &out, &e) < 0)
      {
        labo_error_wrap (&e, "finding the process runtime's etcd");
        *err = e;
        return NULL;
      }
  }
  out[strcspn (out, "\n")] = '\0';
  return out;
}

/* In the child: the host's namespaces, the etcd user, etcd. */
static void __attribute__ ((noreturn))
etcd_child (const struct labo_lab *lab, const struct labo_node *node,
            const struct labo_zkproc_paths *p, const char *binary, uid_t uid, gid_t gid)
{
  labo_error_t err = NULL;
  char a[16];
  cleanup_free char *cluster = initial_cluster (lab);
  const char *addr = labo_ipv4_format (node->address, a);
  char *envp[16], held[64];
  size_t n = 0;
  int data;

  if (labo_nodeproc_enter (lab, node, p, &err) < 0)
    goto fail;
  /* the data directory where the image has it, /var/lib/etcd: a tmpfs on
   * /var/lib in the node's own mount namespace (the machine has no
   * /var/lib/etcd, and the path down to the data, /var/lib/labo/<lab>/_data,
   * is root's alone: the etcd user reaches its directory only through this
   * bind, as ZooKeeper does through /var/lib/zookeeper) */
  /* (held open first: the tmpfs hides its path) */
  data = open (p->data, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  snprintf (held, sizeof (held), "/proc/self/fd/%d", data);
  if (data < 0
      || mount ("tmpfs", "/var/lib", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k")
             < 0
      || mkdir (ETCD_DATA_POINT, 0700) < 0
      || mount (held, ETCD_DATA_POINT, NULL, MS_BIND, NULL) < 0 || chdir (ETCD_DATA_POINT) < 0)
    {
      labo_error_errno (&err, "binding the node's data over " ETCD_DATA_POINT);
      goto fail;
    }
  if (labo_drop_privileges (uid, gid, &err) < 0)
    goto fail;
  envp[n++] = xasprintf ("ETCD_NAME=%s", node->name);
  envp[n++] = xstrdup ("ETCD_DATA_DIR=" ETCD_DATA_POINT);
  envp[n++] = xasprintf ("ETCD_INITIAL_CLUSTER=%s", cluster);
  envp[n++] = xstrdup ("ETCD_INITIAL_CLUSTER_STATE=new");
  envp[n++] = xasprintf ("ETCD_INITIAL_CLUSTER_TOKEN=%s", lab->name);
  envp[n++] = xasprintf ("ETCD_INITIAL_ADVERTISE_PEER_URLS=http://%s:%d", node->name,
                         ETCD_PEER_PORT);
  envp[n++] = xasprintf ("ETCD_ADVERTISE_CLIENT_URLS=http://%s:%d", node->name,
                         ETCD_CLIENT_PORT);
  /* the node's own address only: the host is the node's, but other
   * nodes' processes may share it (process runtime) */
  envp[n++] = xasprintf ("ETCD_LISTEN_PEER_URLS=http://%s:%d", addr, ETCD_PEER_PORT);
  envp[n++] = xasprintf ("ETCD_LISTEN_CLIENT_URLS=http://%s:%d", addr, ETCD_CLIENT_PORT);
  envp[n++] = xstrdup ("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
  envp[n] = NULL;
  {
    char *argv[] = { (char *) binary, NULL };
    execve (binary, argv, envp);
    labo_error_errno (&err, "running %s", binary);
  }
fail:
  fprintf (stderr, "labo: starting etcd node %s: %s\n", node->name, err ? err->msg : "failed");
  _exit (127);
}

static pid_t
etcd_process_start (const struct labo_lab *lab, size_t index, labo_error_t *err)
{
  const struct labo_node *node = &lab->nodes[index];
  struct labo_zkproc_paths p;
  cleanup_free char *binary = NULL;
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = -1;

  labo_zkproc_paths (lab->name, index, node->name, &p);
  if (etcd_user (&uid, &gid, err) < 0 || (binary = etcd_binary (err)) == NULL)
    goto out;
  if (labo_mkdir_p (p.dir, 0755) < 0 || chmod (p.dir, 0755) < 0)
    {
      labo_error_errno (err, "creating %s", p.dir);
      goto out;
    }
  if (labo_zk_data_prepare (lab->name, node->name, 0, uid, gid, err) < 0)
    goto out;
  fflush (NULL);
  pid = fork ();
  if (pid < 0)
    {
      labo_error_errno (err, "forking etcd node %s", node->name);
      goto out;
    }
  if (pid == 0)
    etcd_child (lab, node, &p, binary, uid, gid);
  pid = labo_nodeproc_record (&p, pid, err);
out:
  labo_zkproc_paths_free (&p);
  return pid;
}

/* The etcd user's numbers in an exported node (see zookeeper.c's). */
#define STACK_ETCD_ID 2379

static void
etcd_stack_service (const struct labo_lab *lab, const struct labo_node *node, json_t *svc,
                    json_t *notes)
{
  cleanup_free char *cluster = initial_cluster (lab);
  char *env[] = { xasprintf ("ETCD_NAME=%s", node->name),
                  xasprintf ("ETCD_INITIAL_CLUSTER=%s", cluster),
                  xstrdup ("ETCD_INITIAL_CLUSTER_STATE=new"),
                  xasprintf ("ETCD_INITIAL_CLUSTER_TOKEN=%s", lab->name),
                  xasprintf ("LABO_ETCD_UID=%d", STACK_ETCD_ID),
                  xasprintf ("LABO_ETCD_GID=%d", STACK_ETCD_ID),
                  NULL };
  char *probe = xasprintf ("printf 'GET /health HTTP/1.0\\r\\n\\r\\n' | nc -w 2 127.0.0.1 %d "
                           "| grep -q '^HTTP/'",
                           etcd_port (node));

  (void) notes;
  labo_stack_env (svc, env);
  for (size_t i = 0; env[i]; i++)
    free (env[i]);
  json_object_set_new (svc, "volumes",
                       json_pack ("[o]", json_sprintf ("%s-data:" ETCD_DATA_POINT, node->name)));
  /* alive as the supervisor's probe says it: /health answers (healthy or
   * not: a member without a leader is not to be killed for it) */
  json_object_set_new (svc, "healthcheck", json_pack ("{s:[s,s]}", "test", "CMD-SHELL", probe));
  free (probe);
}

const struct labo_kind labo_kind_etcd = {
  .service = LABO_SERVICE_ETCD,
  .name = "etcd",
  .recipe = "etcd",
  .elects = true,
  .sshd = false,
  .port = etcd_port,
  .ask = etcd_ask,
  .judge = etcd_judge,
  .container_spec = etcd_container_spec,
  .process_start = etcd_process_start,
  .stack_service = etcd_stack_service,
};
