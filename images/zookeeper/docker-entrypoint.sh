#!/bin/sh
# Entrypoint of labo/zookeeper (busybox sh): writes the configuration from the
# environment, as the official "zookeeper" image does, then runs the command.
#
#   ZOO_MY_ID                   this server's id (default 1)
#   ZOO_SERVERS                 "server.1=namenode1:2888:3888;2181 server.2=..."
#                               (space-separated; default: a lone standalone server)
#   ZOO_PORT                    client port (default 2181)
#   ZOO_4LW_COMMANDS_WHITELIST  default ruok,srvr,mntr
#   ZOO_TICK_TIME ZOO_INIT_LIMIT ZOO_SYNC_LIMIT   default 2000, 10, 5
#   ZOO_CFG_EXTRA               more "key=value" lines, space-separated
#   JVMFLAGS                    added to the java command line
#
# An existing /conf/zoo.cfg or /data/myid (a bind mount, a restarted
# container) is kept as it is. CMD "zkServer" runs ZooKeeper; any other
# command is run as given.
set -eu
CONF=${ZOO_CONF_DIR:-/conf}
DATA=${ZOO_DATA_DIR:-/data}
mkdir -p "$CONF" "$DATA"
if [ ! -f "$CONF/zoo.cfg" ]; then
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
    for s in ${ZOO_SERVERS:-server.1=localhost:2888:3888;${ZOO_PORT:-2181}}; do echo "$s"; done
    for s in ${ZOO_CFG_EXTRA:-}; do echo "$s"; done
  } > "$CONF/zoo.cfg.tmp"
  mv "$CONF/zoo.cfg.tmp" "$CONF/zoo.cfg"
fi
[ -f "$DATA/myid" ] || echo "${ZOO_MY_ID:-1}" > "$DATA/myid"

if [ "${1:-}" = zkServer ]; then
  # Serial GC and no perf data file: a small heap in a lab, and nothing
  # written to /tmp/hsperfdata_* behind the user's back.
  exec /opt/jre/bin/java -XX:+UseSerialGC -XX:-UsePerfData -Xms32m -Xmx256m \
    -Dorg.slf4j.simpleLogger.showDateTime=true \
    "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS" \
    ${JVMFLAGS:-} -cp "$CONF:/usr/share/java/*" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$CONF/zoo.cfg"
fi
exec "$@"
