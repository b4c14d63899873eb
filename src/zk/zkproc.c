/* ZooKeeper as a process of its host (the process runtime): see
 * include/labo/zk/zkproc.h. */
#include "labo/zk/zkproc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "labo/util/caps.h"
#include "labo/util/fs.h"
#include "labo/host/host.h"
#include "labo/model/clock.h"
#include "labo/model/state.h"
#include "labo/util/util.h"
#include "labo/zk/zkdata.h"
#include "labo/zk/zk.h"

/* Debian's places, which the node's own directories are bound over. */
#define ZK_CONF_POINT "/etc/zookeeper/conf"
#define ZK_DATA_POINT "/var/lib/zookeeper"
#define ZK_JAR "/usr/share/java/zookeeper.jar"   /* its manifest names the rest */
#define SLF4J_SIMPLE "/usr/share/java/slf4j-simple.jar"
/* where the server sees its clock directory (model/clock.h): a directory
 * of the node's own configuration directory, made for it */
#define ZK_CLOCK_POINT ZK_CONF_POINT "/clock"

void
labo_zkproc_paths (const char *lab, size_t index, const char *node, struct labo_zkproc_paths *p)
{
  p->dir = xasprintf ("%s/%s/n%zu", labo_run_dir (), lab, index);
  p->cfg = xasprintf ("%s/zoo.cfg", p->dir);
  p->log = xasprintf ("%s/zookeeper.log", p->dir);
  p->pidfile = xasprintf ("%s/pid", p->dir);
  p->data = labo_node_data_dir (lab, node);
}

void
labo_zkproc_paths_free (struct labo_zkproc_paths *p)
{
  free (p->dir);
  free (p->cfg);
  free (p->log);
  free (p->pidfile);
  free (p->data);
  memset (p, 0, sizeof (*p));
}

/* The JRE: Debian's default, else the one on PATH. */
static const char *
java_path (void)
{
  static const char *const candidates[] = { "/usr/lib/jvm/default-java/bin/java",
                                            "/usr/bin/java" };
  for (size_t i = 0; i < sizeof (candidates) / sizeof (candidates[0]); i++)
    if (access (candidates[i], X_OK) == 0)
      return candidates[i];
  return NULL;
}

bool
labo_zkproc_available (char **why)
{
  const char *missing = NULL;

  if (java_path () == NULL)
    missing = "a Java runtime (default-jre-headless)";
  else if (access (ZK_JAR, R_OK) != 0 || access (ZK_CONF_POINT, F_OK) != 0
           || access (ZK_DATA_POINT, F_OK) != 0)
    missing = "ZooKeeper (zookeeper)";
  else if (access (SLF4J_SIMPLE, R_OK) != 0)
    missing = "slf4j-simple for ZooKeeper's log (libslf4j-java)";
  if (missing && why)
    *why = xasprintf ("the process runtime runs ZooKeeper from the machine's packages, and %s "
                      "is not installed (apt-get install zookeeper default-jre-headless)",
                      missing);
  return missing == NULL;
}

pid_t
labo_zkproc_running (const char *lab, size_t index, const char *node)
{
  struct labo_zkproc_paths p;
  cleanup_free char *text = NULL;
  long pid = 0;
  unsigned long long start = 0;

  labo_zkproc_paths (lab, index, node, &p);
  text = labo_read_file (p.pidfile, NULL);
  labo_zkproc_paths_free (&p);
  if (text == NULL || sscanf (text, "%ld %llu", &pid, &start) != 2 || pid <= 0)
    return 0;
  /* a reused pid has another start time */
  if (labo_proc_start_ticks ((pid_t) pid) != start)
    return 0;
  return (pid_t) pid;
}


/* In the child: the host, the node's two directories, its log, the user,
 * then java. Never returns. */
static void __attribute__ ((noreturn))
child_exec (const struct labo_lab *lab, const struct labo_node *node,
            const struct labo_zkproc_paths *p, uid_t uid, gid_t gid)
{
  labo_error_t err = NULL;
  const char *java = java_path ();
  cleanup_free char *cp = xasprintf (ZK_CONF_POINT ":" ZK_JAR ":" SLF4J_SIMPLE);

  if (labo_nodeproc_enter (lab, node, p, &err) < 0)
    goto fail;
  if (mount (p->dir, ZK_CONF_POINT, NULL, MS_BIND, NULL) < 0
      || mount (p->data, ZK_DATA_POINT, NULL, MS_BIND, NULL) < 0)
    {
      labo_error_errno (&err, "binding the node's directories over " ZK_CONF_POINT " and "
                              ZK_DATA_POINT);
      goto fail;
    }
  {
    /* the node's clock directory, read only, where the server (which may
     * not traverse root's run directory) reads it */
    cleanup_free char *clock = labo_clock_dir (lab->name, node->name);
    if (mount (clock, ZK_CLOCK_POINT, NULL, MS_BIND, NULL) < 0
        || mount (NULL, ZK_CLOCK_POINT, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
      {
        labo_error_errno (&err, "binding the node's clock directory over " ZK_CLOCK_POINT);
        goto fail;
      }
    /* libfaketime 0.9.10 makes a semaphore and a shared memory object in
     * /dev/shm for each process it is loaded in (for modes labo does not
     * use), and leaves them when the process is killed: the machine's
     * /dev/shm would fill with them. An empty read-only one: it then makes
     * none (measured), and nothing else of the node uses it. */
    if (mount ("tmpfs", "/dev/shm", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
               "size=4k") < 0)
      {
        labo_error_errno (&err, "mounting an empty /dev/shm");
        goto fail;
      }
  }
  if (chdir (ZK_DATA_POINT) < 0)
    {
      labo_error_errno (&err, "entering " ZK_DATA_POINT);
      goto fail;
    }
  if (labo_drop_privileges (uid, gid, &err) < 0)
    goto fail;
  {
    /* As the image's entrypoint: a small heap and no perf data in /tmp;
     * then labo's own flags (zk.h), one argument a word */
    static const char *const head[] = { "java", "-XX:+UseSerialGC", "-XX:-UsePerfData",
                                        "-Xms32m", "-Xmx256m",
                                        "-Dorg.slf4j.simpleLogger.showDateTime=true",
                                        "-Dorg.slf4j.simpleLogger.dateTimeFormat="
                                        "yyyy-MM-dd'T'HH:mm:ss.SSS" };
    char flags[] = LABO_ZK_JVM_FLAGS;
    const char *argv[32];
    size_t n = 0;
    char **clock = labo_clock_env (ZK_CLOCK_POINT "/" LABO_CLOCK_FILE);
    _Static_assert (LABO_CLOCK_N_ENV == 5, "envp below names each of the clock's");
    const char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" ZK_DATA_POINT,
                           "LANG=C.UTF-8", clock[0], clock[1], clock[2], clock[3], clock[4],
                           NULL };
    char *save = NULL;

    for (size_t i = 0; i < sizeof (head) / sizeof (head[0]); i++)
      argv[n++] = head[i];
    for (char *w = strtok_r (flags, " ", &save); w && n < 26; w = strtok_r (NULL, " ", &save))
      argv[n++] = w;
    argv[n++] = "-cp";
    argv[n++] = cp;
    argv[n++] = "org.apache.zookeeper.server.quorum.QuorumPeerMain";
    argv[n++] = ZK_CONF_POINT "/zoo.cfg";
    argv[n] = NULL;
    execve (java, (char **) argv, (char **) envp);
    labo_error_errno (&err, "running %s", java);
  }
fail:
  fprintf (stderr, "labo: starting ZooKeeper node %s: %s\n", node->name,
           err ? err->msg : "failed");
  _exit (127);
}

int
labo_nodeproc_enter (const struct labo_lab *lab, const struct labo_node *node,
                     const struct labo_zkproc_paths *p, labo_error_t *err)
{
  int log, null;

  labo_child_reset_signals ();
  log = labo_fs_open_log (p->log, 0640);
  if (log >= 0)
    {
      dup2 (log, 1);
      dup2 (log, 2);
    }
  null = open ("/dev/null", O_RDONLY);
  if (null >= 0)
    dup2 (null, 0);
  setsid ();
  if (labo_host_enter (lab->name, lab->hosts[node->host].name, NULL, err) < 0)
    return -1;
  if (sethostname (node->name, strlen (node->name)) < 0)
    return labo_error_errno (err, "setting the hostname %s", node->name);
  return 0;
}

pid_t
labo_nodeproc_record (const struct labo_zkproc_paths *p, pid_t pid, labo_error_t *err)
{
  cleanup_free char *pidline = xasprintf ("%d %llu\n", (int) pid, labo_proc_start_ticks (pid));

  if (labo_write_file (p->pidfile, pidline, strlen (pidline), 0644) < 0)
    {
      /* a process nobody can find again is not started */
      labo_error_errno (err, "writing %s", p->pidfile);
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      return -1;
    }
  return pid;
}

pid_t
labo_zkproc_start (const struct labo_lab *lab, size_t index, labo_error_t *err)
{
  const struct labo_node *node = &lab->nodes[index];
  struct labo_zkproc_paths p;
  cleanup_free char *cfg = NULL;
  uid_t uid;
  gid_t gid;
  pid_t pid = -1;

  labo_zkproc_paths (lab->name, index, node->name, &p);
  if (labo_zk_service_user (&uid, &gid, err) < 0)
    goto out;
  cfg = labo_zk_config (lab, node, ZK_DATA_POINT);
  /* root's, readable by the server: it must not write its own config */
  if (labo_mkdir_p (p.dir, 0755) < 0 || chmod (p.dir, 0755) < 0)
    {
      labo_error_errno (err, "creating %s", p.dir);
      goto out;
    }
  if (labo_write_file (p.cfg, cfg, strlen (cfg), 0644) < 0)
    {
      labo_error_errno (err, "writing %s", p.cfg);
      goto out;
    }
  {
    /* Debian's zkEnv.sh is a link to conf/environment: with it, the
     * package's own zkServer.sh status and zkCli.sh work in the node */
    static const char env[]
        = "# written by labo: Debian's zkEnv.sh reads this (zkServer.sh, zkCli.sh)\n"
          "ZOOMAIN=org.apache.zookeeper.server.quorum.QuorumPeerMain\n"
          "ZOOCFGDIR=" ZK_CONF_POINT "\n"
          "ZOOCFG=" ZK_CONF_POINT "/zoo.cfg\n"
          "ZOO_LOG_DIR=" ZK_DATA_POINT "\n"
          "ZOO_LOG4J_PROP=INFO,CONSOLE\n"
          "JMXLOCALONLY=true\n"
          "JAVA_OPTS=\"\"\n"
          "JAVA=/usr/bin/java\n"
          "CLASSPATH=\"" ZK_CONF_POINT ":" ZK_JAR ":" SLF4J_SIMPLE "\"\n";
    cleanup_free char *path = xasprintf ("%s/environment", p.dir);
    if (labo_write_file (path, env, strlen (env), 0644) < 0)
      {
        labo_error_errno (err, "writing %s", path);
        goto out;
      }
  }
  {
    /* the mount point of the node's clock directory, and the directory
     * with its file (a restarted node keeps its skew) */
    cleanup_free char *point = xasprintf ("%s/clock", p.dir);
    if ((mkdir (point, 0755) < 0 && errno != EEXIST)
        || labo_clock_prepare (lab->name, node->name, err) < 0)
      {
        if (*err == NULL)
          labo_error_errno (err, "creating %s", point);
        goto out;
      }
  }
  /* the data directory is the server's own: made right once, never
   * touched through a path at a restart (it may have planted links) */
  if (labo_zk_data_prepare (lab->name, node->name, node->myid, uid, gid, err) < 0)
    goto out;
  fflush (NULL);
  pid = fork ();
  if (pid < 0)
    {
      labo_error_errno (err, "forking ZooKeeper node %s", node->name);
      goto out;
    }
  if (pid == 0)
    child_exec (lab, node, &p, uid, gid);
  pid = labo_nodeproc_record (&p, pid, err);
out:
  labo_zkproc_paths_free (&p);
  return pid;
}
