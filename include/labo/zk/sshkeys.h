/* Root's SSH keys in the made-at-once lab's nodes: the tutorial ends with
 * namenode1's key in namenode2's authorized_keys (ssh-keygen, ssh-copy-id)
 * and in its own. labo makes, once per lab, an ed25519 key pair for each
 * node whose service starts by itself, and an authorized_keys holding all
 * of their public keys, in $LABO_STATE_DIR/<lab>/_ssh/<node>/ (root's,
 * 0700; removed by `down`). The node's container has that directory read
 * only on LABO_NODE_SSH_DIR, and its entrypoint installs the files in
 * /root/.ssh when it has none: a restart keeps what the attendee changed.
 *
 * Why here rather than by commands in the running containers: the keys
 * are in place from the container's first instant (nothing to wait for,
 * nothing for `verify` to race), and `up` runs no command in a node.
 * Why ed25519: an RSA key takes 0.9 s to make on a lab's 2-core machine;
 * ed25519 a millisecond. By-hand nodes get none: the attendee types
 * `ssh-keygen -t rsa` and `ssh-copy-id`. */
#ifndef LABO_ZK_SSHKEYS_H
#define LABO_ZK_SSHKEYS_H

#include "labo/model/lab.h"
#include "labo/util/error.h"

#define LABO_NODE_SSH_DIR "/etc/labo/ssh"

/* $LABO_STATE_DIR/<lab>/_ssh/<node>. Caller frees. */
char *labo_node_ssh_dir (const char *lab, const char *node);

/* Makes the keys of every auto node of the lab that has none yet (with
 * /usr/bin/ssh-keygen, openssh-client), and each such node's
 * authorized_keys (all of them). Idempotent: cheap once made. */
int labo_node_ssh_prepare (const struct labo_lab *lab, labo_error_t *err);

#endif
