#!/bin/sh
# zkServer.sh of labo/zookeeper (busybox sh, no second JVM): "status" answers
# like ZooKeeper's own script ("Mode: leader", exit 0; "Error contacting
# service. It is probably not running.", exit 1) by asking srvr on the local
# client port; "start-foreground" runs the server through the entrypoint.
set -eu
CONF=${ZOO_CONF_DIR:-/conf}
ZOOCFG=$CONF/zoo.cfg

case ${1:-} in
  status)
    echo "ZooKeeper JMX enabled by default" >&2
    echo "Using config: $ZOOCFG" >&2
    port=
    if [ -r "$ZOOCFG" ]; then
      port=$(sed -n 's/^[[:space:]]*clientPort[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p' \
               "$ZOOCFG" | head -n 1)
      myid_file=${ZOO_DATA_DIR:-/data}/myid
      if [ -z "$port" ] && [ -r "$myid_file" ]; then
        # As the real script does: the client port of this server's own line.
        myid=$(cat "$myid_file")
        # "server.2=b:2888:3888;2181" or "...;0.0.0.0:2181"
        re="^[[:space:]]*server\\.$myid=.*;\\(.*:\\)\\{0,1\\}\\([0-9][0-9]*\\)[[:space:]]*\$"
        port=$(sed -n "s/$re/\\2/p" "$ZOOCFG" | head -n 1)
      fi
    fi
    if [ -z "$port" ]; then
      echo "Unable to find either secure or unsecure client port in any configs. Terminating."
      exit 1
    fi
    echo "Client port found: $port. Client address: localhost. Client SSL: false."
    # busybox nc's -w bounds only the connect: timeout bounds the whole.
    mode=$(echo srvr | timeout 5 nc -w 3 127.0.0.1 "$port" 2>/dev/null | grep '^Mode: ') || mode=
    if [ -z "$mode" ]; then
      echo "Error contacting service. It is probably not running."
      exit 1
    fi
    echo "$mode"
    ;;
  start-foreground)
    exec /docker-entrypoint.sh zkServer
    ;;
  *)
    echo "Usage: $0 {start-foreground|status}" >&2
    echo "(start, stop and restart: run or stop the container instead)" >&2
    exit 1
    ;;
esac
