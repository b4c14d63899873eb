/* Reaching a node where the model's rule says (labo_node_reach): from which
 * network namespace, its container's pid, `srvr` there; and the container
 * spec of a ZooKeeper node. See include/labo/zk/zk.h. */
#include "labo/zk/zk.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "labo/docker/daemon.h"
#include "labo/docker/docker.h"
#include "labo/host/host.h"
#include "labo/model/clock.h"
#include "labo/net/netns.h"
#include "labo/model/plan.h"
#include "labo/util/util.h"
#include "labo/zk/sshkeys.h"
#include "labo/zk/zkdata.h"

int
labo_node_reach_netns (const struct labo_lab *lab, const struct labo_node *node,
                       const struct labo_node_reach *r, pid_t pid, labo_error_t *err)
{
  char path[64];
  int fd;

  if (!r->in_container)
    {
      cleanup_free char *ns = labo_host_netns_name (lab->name, lab->hosts[node->host].name);
      return labo_netns_open (ns, err);
    }
  if (pid <= 0)
    return labo_error_make (err, ESRCH, "node %s is not running", node->name);
  snprintf (path, sizeof (path), "/proc/%d/ns/net", (int) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return labo_error_errno (err, "opening the network namespace of node %s (pid %d)",
                             node->name, (int) pid);
  return fd;
}

pid_t
labo_node_pid (const struct labo_lab *lab, const struct labo_node *node)
{
  struct labo_docker d = { 0 };
  labo_error_t err = NULL;
  json_t *info = NULL;
  bool found = false;
  pid_t pid = 0;

  if (labo_daemon_connect (lab, node->host, &d, &err) == 0
      && labo_docker_container_inspect (&d, node->name, &info, &found, &err) == 0 && found)
    pid = (pid_t) json_integer_value (json_object_get (json_object_get (info, "State"), "Pid"));
  labo_error_release (&err);
  json_decref (info);
  labo_docker_close (&d);
  return pid;
}

json_t *
labo_node_sshd_spec (const struct labo_lab *lab, const struct labo_node *node,
                     const char *image, const char *const *env, const char *start, bool keys)
{
  static const char *const caps[]
      = { "CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID", "SYS_CHROOT", "KILL",
          "NET_BIND_SERVICE", "AUDIT_WRITE", NULL };
  size_t n_env = 0;
  const char **all;
  char addr[16];
  cleanup_free char *start_env = xasprintf ("LABO_START=%s", start);
  cleanup_free char *listen = NULL;
  json_t *spec, *hc, *binds = json_array (), *cap_add = json_array ();

  while (env && env[n_env])
    n_env++;
  all = xcalloc (n_env + 3, sizeof (*all));
  if (n_env > 0)
    memcpy (all, env, n_env * sizeof (*all));
  all[n_env++] = start_env;
  /* sshd on the overlay address only: root's password is known, so never
   * on the gateway bridge the host reaches, nor on a published port */
  listen = xasprintf ("LABO_SSH_LISTEN=%s", labo_ipv4_format (node->address, addr));
  all[n_env++] = listen;
  spec = labo_docker_container_body (lab, node, image, all);
  free (all);
  hc = json_object_get (spec, "HostConfig");
  /* a made-at-once node gets root's SSH keys (sshkeys.h), read only */
  if (keys)
    {
      cleanup_free char *dir = labo_node_ssh_dir (lab->name, node->name);
      json_array_append_new (binds, json_sprintf ("%s:" LABO_NODE_SSH_DIR ":ro", dir));
    }
  json_object_set_new (hc, "Binds", binds);
  /* The tutorial's containers are root's (ssh root@namenode2): root in
   * the node, with what sshd needs (switching users, its privilege
   * separation's chroot, port 22) and nothing more: no raw sockets, no
   * mounts, no ptrace, no way to gain a capability back. */
  for (size_t i = 0; caps[i]; i++)
    json_array_append_new (cap_add, json_string (caps[i]));
  json_object_set_new (hc, "CapDrop", json_pack ("[s]", "ALL"));
  json_object_set_new (hc, "CapAdd", cap_add);
  json_object_set_new (hc, "SecurityOpt", json_pack ("[s]", "no-new-privileges"));
  return spec;
}

json_t *
labo_node_container_spec (const struct labo_lab *lab, const struct labo_node *node,
                          const char *image, labo_error_t *err)
{
  bool by_hand = labo_node_by_hand (lab, node);
  cleanup_free char *data = labo_node_data_dir (lab->name, node->name);
  cleanup_free char *bind = xasprintf ("%s:" LABO_NODE_DATA_DIR, data);
  char **env;
  size_t n_env = 0;
  json_t *spec;
  uid_t uid;
  gid_t gid;

  /* by hand, myid is the attendee's to write (0: none) */
  if (labo_zk_service_user (&uid, &gid, err) < 0
      || labo_zk_data_prepare (lab->name, node->name, by_hand ? 0 : node->myid, uid, gid, err)
             < 0)
    return NULL;
  /* every process of the node under libfaketime, reading its clock file
   * (model/clock.h): `labo clock` skews it at run time */
  if (labo_clock_prepare (lab->name, node->name, err) < 0)
    return NULL;
  env = labo_zk_env (lab, node);
  while (env[n_env])
    n_env++;
  env = xrealloc (env, (n_env + 3 + LABO_CLOCK_N_ENV) * sizeof (*env));
  /* ZooKeeper runs as the machine's zookeeper user (as the process
   * runtime runs it, so that the data is the same user's under both);
   * the entrypoint gives the container that user. ZooKeeper itself runs
   * with no capability. */
  env[n_env++] = xasprintf ("LABO_ZK_UID=%d", (int) uid);
  env[n_env++] = xasprintf ("LABO_ZK_GID=%d", (int) gid);
  {
    char **clock = labo_clock_env (LABO_CLOCK_NODE_DIR "/" LABO_CLOCK_FILE);
    for (size_t i = 0; clock[i]; i++)
      env[n_env++] = clock[i];
    free (clock);
  }
  env[n_env] = NULL;
  spec = labo_node_sshd_spec (lab, node, image, (const char *const *) env,
                              by_hand ? "by-hand" : "auto", !by_hand);
  labo_zk_env_free (env);
  /* the node's data outlives its container: a restart, or `down
   * --keep-data` then `up`, finds every committed znode */
  json_array_insert_new (json_object_get (json_object_get (spec, "HostConfig"), "Binds"), 0,
                         json_string (bind));
  {
    /* the directory, read only: a file bound alone would stay the inode
     * it was bound with when `labo clock` renames a new one over it */
    cleanup_free char *clock = labo_clock_dir (lab->name, node->name);
    json_array_append_new (json_object_get (json_object_get (spec, "HostConfig"), "Binds"),
                           json_sprintf ("%s:" LABO_CLOCK_NODE_DIR ":ro", clock));
    /* no /dev/shm: libfaketime 0.9.10 would make a semaphore there for each
     * process, and the entrypoint's setpriv (root) hands its name down to
     * ZooKeeper (the zookeeper user, the same pid), which may not open it
     * and exits; without /dev/shm it makes none (measured) */
    json_object_set_new (json_object_get (spec, "HostConfig"), "IpcMode", json_string ("none"));
  }
  return spec;
}
