/* Root's SSH keys for the made-at-once lab's nodes: see
 * include/labo/zk/sshkeys.h. */
#include "labo/zk/sshkeys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "labo/model/state.h"
#include "labo/util/fs.h"
#include "labo/util/util.h"

#define SSH_KEYGEN "/usr/bin/ssh-keygen"
#define KEY "id_ed25519"
#define PUB "id_ed25519.pub"
#define AUTHORIZED "authorized_keys"
#define PUB_MAX 4096

char *
labo_node_ssh_dir (const char *lab, const char *node)
{
  /* "_ssh", as "_data", cannot be a host's name (hostnames have no "_") */
  return xasprintf ("%s/%s/_ssh/%s", labo_state_root (), lab, node);
}

/* ssh-keygen, quiet, no passphrase, stdin from /dev/null: a key pair at
 * dir/KEY. The directory is root's alone (0700, made on descriptors), so
 * the path cannot lead anywhere else. */
static int
keygen (const char *dir, const char *node, labo_error_t *err)
{
  cleanup_free char *file = xasprintf ("%s/" KEY, dir);
  cleanup_free char *comment = xasprintf ("root@%s", node);
  char *argv[] = { (char *) SSH_KEYGEN, (char *) "-q", (char *) "-t", (char *) "ed25519",
                   (char *) "-N", (char *) "", (char *) "-C", comment, (char *) "-f", file,
                   NULL };
  char *envp[] = { (char *) "PATH=/usr/bin:/bin", (char *) "LC_ALL=C", NULL };
  pid_t pid;
  int status;

  if (access (SSH_KEYGEN, X_OK) < 0)
    return labo_error_make (err, 0, "%s is missing: the nodes' SSH keys need openssh-client "
                                    "(apt-get install openssh-client; scripts/bootstrap does)",
                            SSH_KEYGEN);
  fflush (NULL);
  pid = fork ();
  if (pid < 0)
    return labo_error_errno (err, "forking %s", SSH_KEYGEN);
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
      if (null >= 0)
        {
          dup2 (null, 0);
          dup2 (null, 1);
        }
      execve (SSH_KEYGEN, argv, envp);
      _exit (127);
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return labo_error_errno (err, "waiting for %s", SSH_KEYGEN);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return labo_error_make (err, 0, "%s could not make node %s's key in %s", SSH_KEYGEN, node,
                            dir);
  return 0;
}

/* The public key line of a node, read beneath base (no link followed). */
static char *
read_pub (int base, const char *node)
{
  cleanup_free char *rel = xasprintf ("%s/" PUB, node);
  cleanup_close int fd = labo_fs_openat (base, rel, O_RDONLY, 0);
  char *buf;
  ssize_t n;

  if (fd < 0)
    return NULL;
  buf = xmalloc (PUB_MAX);
  n = read (fd, buf, PUB_MAX - 1);
  if (n <= 0 || memchr (buf, '\n', (size_t) n) == NULL)
    {
      free (buf);
      return NULL;
    }
  buf[n] = '\0';
  buf[strcspn (buf, "\n") + 1] = '\0';
  return buf;
}

static int
write_authorized (int base, const char *node, const char *text, labo_error_t *err)
{
  cleanup_free char *rel = xasprintf ("%s/" AUTHORIZED, node);
  cleanup_close int fd
      = labo_fs_openat (base, rel, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  size_t len = strlen (text);

  if (fd < 0 || write (fd, text, len) != (ssize_t) len)
    return labo_error_errno (err, "writing node %s's %s", node, AUTHORIZED);
  return 0;
}

/* A made-at-once node of a kind whose container runs sshd. */
static bool
gets_keys (const struct labo_lab *lab, const struct labo_node *node)
{
  return !labo_node_by_hand (lab, node)
         && (node->service == LABO_SERVICE_ZOOKEEPER || node->service == LABO_SERVICE_SHELL);
}

int
labo_node_ssh_prepare (const struct labo_lab *lab, labo_error_t *err)
{
  cleanup_free char *base_path = xasprintf ("%s/%s/_ssh", labo_state_root (), lab->name);
  cleanup_free char *all = xstrdup ("");
  cleanup_close int base = -1;
  size_t n_auto = 0;

  for (size_t i = 0; i < lab->n_nodes; i++)
    n_auto += gets_keys (lab, &lab->nodes[i]);
  if (n_auto == 0)
    return 0;
  base = labo_fs_mkdir (base_path, 0700, err);
  if (base < 0)
    return labo_error_wrap (err, "preparing the nodes' SSH keys");
  for (size_t i = 0; i < lab->n_nodes; i++)
    {
      const char *node = lab->nodes[i].name;
      cleanup_free char *dir = labo_node_ssh_dir (lab->name, node);
      cleanup_free char *pub = NULL;
      char *joined;
      struct stat st;

      if (!gets_keys (lab, &lab->nodes[i]))
        continue;
      if (!labo_fs_component_ok (node))
        return labo_error_make (err, 0, "node name '%s' cannot name a directory", node);
      if (mkdirat (base, node, 0700) < 0 && errno != EEXIST)
        return labo_error_errno (err, "creating %s", dir);
      if (fstatat (base, node, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode)
          || st.st_uid != 0)
        return labo_error_make (err, 0, "%s is not root's directory", dir);
      pub = read_pub (base, node);
      if (pub == NULL)
        {
          /* half made (a crash): made again; ssh-keygen asks before
           * overwriting, so the old one goes first */
          cleanup_free char *key = xasprintf ("%s/" KEY, node);
          unlinkat (base, key, 0);
          if (keygen (dir, node, err) < 0)
            return -1;
          pub = read_pub (base, node);
          if (pub == NULL)
            return labo_error_make (err, 0, "%s made no readable %s/" PUB, SSH_KEYGEN, dir);
        }
      joined = xasprintf ("%s%s", all, pub);
      free (all);
      all = joined;
    }
  /* every node trusts every node, itself included (the tutorial's `cat
   * ~/.ssh/id_rsa.pub >> ~/.ssh/authorized_keys`) */
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (gets_keys (lab, &lab->nodes[i])
        && write_authorized (base, lab->nodes[i].name, all, err) < 0)
      return -1;
  return 0;
}
