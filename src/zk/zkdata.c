/* A ZooKeeper node's data directory: see include/labo/zk/zkdata.h. */
#include "labo/zk/zkdata.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/util/fs.h"
#include "labo/model/state.h"
#include "labo/util/util.h"

#define SERVICE_USER "zookeeper"

char *
labo_node_data_dir (const char *lab, const char *node)
{
  /* "_data" cannot be a host's name (hostnames have no underscore) */
  return xasprintf ("%s/%s/_data/%s", labo_state_root (), lab, node);
}

bool
labo_lab_has_kept_data (const char *lab)
{
  cleanup_free char *dir = xasprintf ("%s/%s/_data", labo_state_root (), lab);
  return access (dir, F_OK) == 0;
}

int
labo_zk_service_user (uid_t *uid, gid_t *gid, labo_error_t *err)
{
  struct passwd *pw = getpwnam (SERVICE_USER);

  /* Never root, never a uid shared with other services (nobody): the
   * data would be theirs too. */
  if (pw == NULL || pw->pw_uid == 0)
    return labo_error_make (err, 0, "ZooKeeper runs as the '" SERVICE_USER "' user, which this "
                                    "machine lacks (apt-get install zookeeper makes it)");
  *uid = pw->pw_uid;
  *gid = pw->pw_gid;
  return 0;
}

/* Writes myid unless the directory has one (or anything by that name). */
static int
write_myid (int dirfd, const char *dir, int myid, uid_t uid, gid_t gid, labo_error_t *err)
{
  char text[16];
  int len = snprintf (text, sizeof (text), "%d\n", myid);
  cleanup_close int fd = openat (dirfd, "myid", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                                                    | O_CLOEXEC, 0644);

  if (fd < 0)
    return errno == EEXIST ? 0 : labo_error_errno (err, "writing %s/myid", dir);
  if (write (fd, text, (size_t) len) != len || fchown (fd, uid, gid) < 0)
    return labo_error_errno (err, "writing %s/myid", dir);
  return 0;
}

int
labo_zk_data_prepare (const char *lab, const char *node, int myid, uid_t uid, gid_t gid,
                      labo_error_t *err)
{
  cleanup_free char *parent = xasprintf ("%s/%s/_data", labo_state_root (), lab);
  cleanup_free char *dir = labo_node_data_dir (lab, node);
  cleanup_close int pfd = -1, dfd = -1;
  bool made = false;
  struct stat st;

  if (!labo_fs_component_ok (node))
    return labo_error_make (err, 0, "node name '%s' cannot name a directory", node);
  pfd = labo_fs_mkdir (parent, 0700, err);
  if (pfd < 0)
    return labo_error_wrap (err, "preparing the data of node %s", node);
  if (mkdirat (pfd, node, 0700) == 0)
    made = true;
  else if (errno != EEXIST)
    return labo_error_errno (err, "creating %s", dir);
  dfd = labo_fs_openat (pfd, node, O_RDONLY | O_DIRECTORY, 0);
  if (dfd < 0 || fstat (dfd, &st) < 0)
    return labo_error_errno (err, "opening %s%s", dir,
                             errno == ELOOP ? " (a link: labo does not follow it)" : "");
  if (st.st_uid != uid || st.st_gid != gid)
    {
      /* new: the service user's from the start; kept by an older labo,
       * whose containers ran ZooKeeper as root: given over once */
      if (made ? fchown (dfd, uid, gid) < 0 : labo_fs_chown_tree (dfd, uid, gid, err) < 0)
        return made ? labo_error_errno (err, "giving %s to uid %d", dir, (int) uid)
                    : labo_error_wrap (err, "giving the kept data %s to uid %d", dir, (int) uid);
    }
  if ((st.st_mode & 07777) != 0700 && fchmod (dfd, 0700) < 0)
    return labo_error_errno (err, "making %s private", dir);
  /* a node started by hand: myid is the attendee's to write */
  return myid > 0 ? write_myid (dfd, dir, myid, uid, gid, err) : 0;
}

int
labo_node_data_wipe (const char *lab, const char *node, labo_error_t *err)
{
  cleanup_free char *parent = xasprintf ("%s/%s/_data", labo_state_root (), lab);

  if (!labo_fs_component_ok (node))
    return labo_error_make (err, 0, "node name '%s' cannot name a directory", node);
  /* on descriptors: the server may have planted links in its directory */
  if (labo_fs_remove_tree (parent, node, err) < 0)
    return labo_error_wrap (err, "wiping the data of node %s", node);
  return 0;
}

bool
labo_zk_started_by_hand (const char *lab, const char *node)
{
  cleanup_free char *dir = labo_node_data_dir (lab, node);
  cleanup_close int dfd = -1;
  struct stat st;

  if (!labo_fs_component_ok (node))
    return false;
  /* the directory's path is root's down to _data/; the node's directory
   * itself may not be followed, nor the file: only looked at */
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  return dfd >= 0 && fstatat (dfd, LABO_ZK_PID_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0;
}
