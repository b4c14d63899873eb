#!/bin/sh
# Entrypoint of labo/zookeeper (busybox sh, run as root with few
# capabilities; ZooKeeper itself never runs as root). See README.md.
#
#   LABO_START         auto (default): the made-at-once lab. zoo.cfg is
#                      written at each start from ZOO_*, myid if absent, the
#                      ssh host key and root's key if absent, sshd started,
#                      then ZooKeeper runs as this container's main process.
#                      by-hand: where the tutorial's section 4 begins.
#                      ZooKeeper installed, not configured (zoo.cfg without
#                      server lines, written only if absent; no myid) nor
#                      started; sshd is the main process. If ZooKeeper had
#                      been started by hand (its pid file is in the data
#                      directory) before a restart, it is started again.
#                      shell: a `service: shell` node (the tutorial's
#                      ubuntu-sshd stand-in): sshd as the main process, root's
#                      keys as in auto; ZooKeeper neither configured nor ever
#                      started, whatever the command.
#   LABO_ZK_UID LABO_ZK_GID  the machine's zookeeper user: added to
#                      /etc/passwd and /etc/group as "zookeeper" (default: the
#                      owner of the data directory, if not root)
#   LABO_SSH_LISTEN    the only address sshd listens on (port 22): the node's
#                      overlay address. Unset: no sshd.
#   ZOO_MY_ID          this server's id (default 1)
#   ZOO_SERVERS        "server.1=namenode1:2888:3888;2181 server.2=..."
#                      (space-separated; default: a lone standalone server)
#   ZOO_PORT           client port (default 2181)
#   ZOO_4LW_COMMANDS_WHITELIST  default ruok,srvr,mntr
#   ZOO_TICK_TIME ZOO_INIT_LIMIT ZOO_SYNC_LIMIT   default 2000, 10, 5
#   ZOO_CFG_EXTRA      more "key=value" lines, space-separated (auto mode)
#   JVMFLAGS           added to the java command line
#
# CMD "zkServer" is the above; any other command is run as given, after the
# same preparation.
set -eu
CONF=${ZOO_CONF_DIR:-/etc/zookeeper/conf}
DATA=${ZOO_DATA_DIR:-/var/lib/zookeeper}
MODE=${LABO_START:-auto}
export ZOO_CONF_DIR="$CONF" ZOO_DATA_DIR="$DATA"

die ()
{
  echo "docker-entrypoint.sh: $*" >&2
  exit 1
}

case $MODE in
  auto|by-hand|shell) ;;
  *) die "LABO_START is \"$MODE\": auto, by-hand or shell" ;;
esac
mkdir -p "$CONF" "$DATA" /var/log/zookeeper /run/sshd

if [ "$(id -u)" = 0 ] && [ "$MODE" != shell ]; then
  # The zookeeper user, with the machine's numbers, so that the data
  # directory (a bind of the machine's) is its own on both sides.
  uid=${LABO_ZK_UID:-$(stat -c %u "$DATA")}
  gid=${LABO_ZK_GID:-$(stat -c %g "$DATA")}
  case $uid$gid in
    *[!0-9]*) die "LABO_ZK_UID=$uid LABO_ZK_GID=$gid: numbers expected" ;;
  esac
  [ "$uid" != 0 ] || die "no LABO_ZK_UID, and $DATA belongs to root: ZooKeeper does not run as root"
  grep -q '^zookeeper:' /etc/group || echo "zookeeper:x:$gid:" >> /etc/group
  grep -q '^zookeeper:' /etc/passwd \
    || echo "zookeeper:x:$uid:$gid:ZooKeeper:$DATA:/bin/false" >> /etc/passwd
  chown "$uid:$gid" /var/log/zookeeper
  [ "$(stat -c %u "$DATA")" != 0 ] || chown "$uid:$gid" "$DATA"
fi

base_cfg ()
{
  echo "dataDir=$DATA"
  echo "tickTime=${ZOO_TICK_TIME:-2000}"
  echo "initLimit=${ZOO_INIT_LIMIT:-10}"
  echo "syncLimit=${ZOO_SYNC_LIMIT:-5}"
  echo "clientPort=${ZOO_PORT:-2181}"
  echo "4lw.commands.whitelist=${ZOO_4LW_COMMANDS_WHITELIST:-ruok,srvr,mntr}"
  # The admin server (Jetty) is not in the image, and would take 8080.
  echo "admin.enableServer=false"
  # Each server lists itself by name like the others; listening on all
  # addresses instead of putting 0.0.0.0 in its own line keeps clients
  # working after a failover.
  echo "quorumListenOnAllIPs=true"
}

if [ "$MODE" = auto ]; then
  {
    base_cfg
    for s in ${ZOO_SERVERS:-server.1=localhost:2888:3888;${ZOO_PORT:-2181}}; do echo "$s"; done
    for s in ${ZOO_CFG_EXTRA:-}; do echo "$s"; done
  } > "$CONF/zoo.cfg.tmp"
  mv "$CONF/zoo.cfg.tmp" "$CONF/zoo.cfg"
  if [ ! -f "$DATA/myid" ]; then
    echo "${ZOO_MY_ID:-1}" > "$DATA/myid"
    [ "$(id -u)" != 0 ] || chown "$uid:$gid" "$DATA/myid"
  fi
elif [ "$MODE" = by-hand ] && [ ! -f "$CONF/zoo.cfg" ]; then
  {
    base_cfg
    echo
    echo "# The servers of the ensemble, one line each, as server.N=HOST:2888:3888"
    echo "# (N is the number in $DATA/myid on HOST):"
  } > "$CONF/zoo.cfg.tmp"
  mv "$CONF/zoo.cfg.tmp" "$CONF/zoo.cfg"
fi

if [ "$(id -u)" = 0 ]; then
  # ed25519: a few milliseconds, where RSA takes most of a second.
  [ -f /etc/ssh/ssh_host_ed25519_key ] \
    || ssh-keygen -q -t ed25519 -N '' -C "root@$(hostname)" -f /etc/ssh/ssh_host_ed25519_key
  if [ "$MODE" != by-hand ] && [ ! -f /root/.ssh/id_ed25519 ]; then
    # by hand, the attendee types ssh-keygen
    mkdir -p /root/.ssh
    chmod 700 /root/.ssh
    if [ -f /etc/labo/ssh/id_ed25519 ]; then
      # labo made every node's key and an authorized_keys holding them all
      # (read only here): the tutorial's end state, ssh-copy-id done
      cp /etc/labo/ssh/id_ed25519 /etc/labo/ssh/id_ed25519.pub /root/.ssh/
      [ ! -f /etc/labo/ssh/authorized_keys ] \
        || cat /etc/labo/ssh/authorized_keys >> /root/.ssh/authorized_keys
      chmod 600 /root/.ssh/id_ed25519 /root/.ssh/authorized_keys 2>/dev/null || true
    else
      ssh-keygen -q -t ed25519 -N '' -C "root@$(hostname)" -f /root/.ssh/id_ed25519
    fi
  fi
fi

sshd=
if [ -n "${LABO_SSH_LISTEN:-}" ] && [ "$(id -u)" = 0 ]; then
  case $LABO_SSH_LISTEN in
    0.0.0.0|::|'[::]'|*[!0-9a-fA-F.:]*) die "LABO_SSH_LISTEN=$LABO_SSH_LISTEN: one address of this node expected" ;;
  esac
  case $LABO_SSH_LISTEN in
    *:*) listen="[$LABO_SSH_LISTEN]:22" ;;
    *) listen="$LABO_SSH_LISTEN:22" ;;
  esac
  mkdir -p /etc/ssh/sshd_config.d
  echo "ListenAddress $listen" > /etc/ssh/sshd_config.d/listen.conf
  # The address may come a moment after the container starts: wait for it
  # (at most 5 s) rather than have sshd fail to bind.
  i=0
  until ip -o addr show | grep -q "inet6\{0,1\} $LABO_SSH_LISTEN/" || [ $i -ge 100 ]; do
    sleep 0.05
    i=$((i + 1))
  done
  sshd=1
fi

# shell: sshd is the node (pid 1, reaping what root's sessions leave), and
# nothing else runs; without sshd, the wait below
if [ "$MODE" = shell ] && [ -n "$sshd" ]; then
  exec /usr/sbin/sshd -D -e
fi

if [ "$MODE" != shell ] && [ "${1:-}" != zkServer ]; then
  [ -z "$sshd" ] || /usr/sbin/sshd -E /var/log/sshd.log
  exec "$@"
fi

if [ "$MODE" = auto ]; then
  # sshd in the background (its log in /var/log/sshd.log), ZooKeeper in the
  # foreground: the container ends when ZooKeeper does. A lab without ssh
  # still has its ensemble: sshd failing is said, not fatal.
  [ -z "$sshd" ] || /usr/sbin/sshd -E /var/log/sshd.log \
    || echo "docker-entrypoint.sh: sshd did not start (see /var/log/sshd.log)" >&2
  exec /bin/zkServer.sh start-foreground
fi

# by-hand: a pid file left by a ZooKeeper started by hand means it ran when
# the container stopped; its pid was another PID namespace's.
if [ "$MODE" = by-hand ] && [ -f "$DATA/zookeeper_server.pid" ]; then
  rm -f "$DATA/zookeeper_server.pid"
  /bin/zkServer.sh start || true
fi
if [ -n "$sshd" ]; then
  # sshd -D as pid 1 reaps the orphans (ZooKeeper started by hand) and
  # keeps the container alive whether ZooKeeper runs or not.
  exec /usr/sbin/sshd -D -e
fi
# No sshd: a shell that waits (and so reaps) until it is told to stop.
trap 'exit 0' TERM INT
while :; do
  sleep 3600 &
  wait $! || true
done
