#!/bin/sh
# Entrypoint of labo/etcd (busybox sh). etcd never runs as root. See
# README.md, "The environment".
#
# etcd 3.4 reads its configuration from ETCD_* variables itself (each flag
# --some-flag as ETCD_SOME_FLAG), and refuses a variable and its flag both:
# so this script only fills in the variables left unset and runs etcd with
# no flag at all. Any other ETCD_* variable reaches etcd as given.
#
#   ETCD_NAME                         default: the container's hostname
#   ETCD_DATA_DIR                     default /var/lib/etcd (labo binds the
#                                     node's data directory there)
#   ETCD_INITIAL_CLUSTER              default NAME=http://NAME:2380 (alone)
#   ETCD_INITIAL_CLUSTER_STATE        default new
#   ETCD_INITIAL_CLUSTER_TOKEN        default labo (labo gives the lab's name)
#   ETCD_INITIAL_ADVERTISE_PEER_URLS  default http://NAME:2380
#   ETCD_ADVERTISE_CLIENT_URLS        default http://NAME:2379
#   ETCD_LISTEN_PEER_URLS             default http://0.0.0.0:2380
#   ETCD_LISTEN_CLIENT_URLS           default http://0.0.0.0:2379
#   LABO_ETCD_UID LABO_ETCD_GID       started as root: the user etcd runs as,
#                                     added as "etcd" to /etc/passwd and
#                                     /etc/group (default: the owner of the
#                                     data directory; root is refused).
#                                     Started as another user (Docker's
#                                     User), etcd runs as that user.
#
# CMD "etcd" is the above; any other command is run as given (as root, if
# started as root), after the same preparation.
set -eu

die ()
{
  echo "docker-entrypoint.sh: $*" >&2
  exit 1
}

: "${ETCD_NAME:=$(hostname)}"
: "${ETCD_DATA_DIR:=/var/lib/etcd}"
: "${ETCD_INITIAL_CLUSTER:=$ETCD_NAME=http://$ETCD_NAME:2380}"
: "${ETCD_INITIAL_CLUSTER_STATE:=new}"
: "${ETCD_INITIAL_CLUSTER_TOKEN:=labo}"
: "${ETCD_INITIAL_ADVERTISE_PEER_URLS:=http://$ETCD_NAME:2380}"
: "${ETCD_ADVERTISE_CLIENT_URLS:=http://$ETCD_NAME:2379}"
: "${ETCD_LISTEN_PEER_URLS:=http://0.0.0.0:2380}"
: "${ETCD_LISTEN_CLIENT_URLS:=http://0.0.0.0:2379}"
export ETCD_NAME ETCD_DATA_DIR ETCD_INITIAL_CLUSTER ETCD_INITIAL_CLUSTER_STATE \
  ETCD_INITIAL_CLUSTER_TOKEN ETCD_INITIAL_ADVERTISE_PEER_URLS ETCD_ADVERTISE_CLIENT_URLS \
  ETCD_LISTEN_PEER_URLS ETCD_LISTEN_CLIENT_URLS
# etcdctl in this container (docker exec) talks to this member by default
: "${ETCDCTL_API:=3}"
: "${ETCDCTL_ENDPOINTS:=http://127.0.0.1:2379}"
export ETCDCTL_API ETCDCTL_ENDPOINTS

mkdir -p "$ETCD_DATA_DIR"
asuser=
if [ "$(id -u)" = 0 ]; then
  # The etcd user, with the numbers labo gives, so that the data directory
  # (a bind of the machine's) is its own on both sides.
  uid=${LABO_ETCD_UID:-$(stat -c %u "$ETCD_DATA_DIR")}
  gid=${LABO_ETCD_GID:-$(stat -c %g "$ETCD_DATA_DIR")}
  case $uid$gid in
    ''|*[!0-9]*) die "LABO_ETCD_UID=$uid LABO_ETCD_GID=$gid: numbers expected" ;;
  esac
  [ "$uid" != 0 ] || die "no LABO_ETCD_UID, and $ETCD_DATA_DIR belongs to root: etcd does not run as root"
  grep -q '^etcd:' /etc/group || echo "etcd:x:$gid:" >> /etc/group
  grep -q '^etcd:' /etc/passwd || echo "etcd:x:$uid:$gid:etcd:$ETCD_DATA_DIR:/bin/false" >> /etc/passwd
  [ "$(stat -c %u "$ETCD_DATA_DIR")" != 0 ] || chown "$uid:$gid" "$ETCD_DATA_DIR"
  chmod 700 "$ETCD_DATA_DIR"
  asuser="/usr/bin/setpriv --reuid=$uid --regid=$gid --clear-groups --inh-caps=-all"
fi
# etcd wants its data directory 0700 (it warns otherwise)
[ -n "$asuser" ] || [ "$(stat -c %u "$ETCD_DATA_DIR")" != "$(id -u)" ] || chmod 700 "$ETCD_DATA_DIR"

if [ "${1:-}" != etcd ]; then
  exec "$@"
fi
# etcd in the foreground, logging to stderr (docker logs); the container
# ends when etcd does.
# shellcheck disable=SC2086 # asuser: a command line, split on purpose
exec $asuser /usr/bin/etcd
