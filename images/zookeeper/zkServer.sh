#!/bin/sh
# zkServer.sh of labo/zookeeper (busybox sh): ZooKeeper's own script as the
# tutorial types it, with the configuration in /etc/zookeeper/conf/zoo.cfg
# (Debian's place) and ZooKeeper always run as the zookeeper user.
#
#   start             java in the background, detached (its own session, so
#                     that closing the ssh session does not stop it), log in
#                     /var/log/zookeeper/zookeeper.log, pid in
#                     $dataDir/zookeeper_server.pid ("Starting zookeeper ...
#                     STARTED")
#   stop              kills that pid, removes the pid file ("STOPPED")
#   restart           stop, then start
#   status            asks srvr on the client port with busybox nc (no second
#                     JVM): "Mode: leader", exit 0, or "Error contacting
#                     service. It is probably not running.", exit 1
#   start-foreground  java in the foreground (the entrypoint's auto mode)
#
# labo's supervisor reads the pid file from the host through the data
# directory's bind: its name and place are the real script's.
set -eu
CONF=${ZOO_CONF_DIR:-/etc/zookeeper/conf}
ZOOCFG=$CONF/zoo.cfg
LOG_DIR=${ZOO_LOG_DIR:-/var/log/zookeeper}
LOG=$LOG_DIR/zookeeper.log

cfg ()
{
  # the value of key $1 in zoo.cfg (the first one), or nothing
  [ -r "$ZOOCFG" ] || return 0
  sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\\(.*[^[:space:]]\\)[[:space:]]*\$/\\1/p" \
    "$ZOOCFG" | head -n 1
}

DATA_DIR=$(cfg dataDir)
DATA_DIR=${DATA_DIR:-${ZOO_DATA_DIR:-/var/lib/zookeeper}}
ZOOPIDFILE=${ZOOPIDFILE:-$DATA_DIR/zookeeper_server.pid}

# The java command line, as the user ZooKeeper runs as: the zookeeper user
# the entrypoint added to /etc/passwd (its numbers are the machine's), never
# root. Run as that user already, no change is needed (nor allowed).
java_cmd ()
{
  if [ "$(id -u)" = 0 ]; then
    uid=$(id -u zookeeper 2>/dev/null) && gid=$(id -g zookeeper 2>/dev/null) \
      || { echo "zkServer.sh: no zookeeper user in /etc/passwd (the entrypoint adds it)" >&2; exit 1; }
    [ "$uid" != 0 ] || { echo "zkServer.sh: ZooKeeper does not run as root" >&2; exit 1; }
    set -- /usr/bin/setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"
  fi
  # Serial GC and no perf data file: a small heap in a lab, and nothing
  # written to /tmp/hsperfdata_* behind the user's back. The client
  # compiler only, one thread of it: a lab's ZooKeeper never needs C2's
  # peak speed, and its start costs a third less CPU (0.4 s instead of
  # 0.55), which fifteen copies of a lab on two cores feel (issue 14).
  set -- "$@" /opt/jre/bin/java -XX:+UseSerialGC -XX:-UsePerfData -Xms32m -Xmx256m \
    -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 \
    -Dorg.slf4j.simpleLogger.showDateTime=true \
    "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS"
  # shellcheck disable=SC2086 # JVMFLAGS is a list of words, as in the real script
  set -- "$@" ${JVMFLAGS:-} -cp "$CONF:/usr/share/java/*" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$ZOOCFG"
  for a in "$@"; do printf '%s\n' "$a"; done
}

# The pid of a ZooKeeper already running: the pid file's if it lives, else
# the container's own (the auto mode's, pid 1 or a start-foreground).
running_pid ()
{
  if [ -f "$ZOOPIDFILE" ]; then
    p=$(cat "$ZOOPIDFILE" 2>/dev/null) || p=
    case $p in
      ''|*[!0-9]*) ;;
      *) if kill -0 "$p" 2>/dev/null; then echo "$p"; return 0; fi ;;
    esac
  fi
  for d in /proc/[0-9]*; do
    [ "${d#/proc/}" != $$ ] || continue
    if tr '\0' ' ' < "$d/cmdline" 2>/dev/null | grep -q 'java.*QuorumPeerMain'; then
      echo "${d#/proc/}"
      return 0
    fi
  done
  return 1
}

case ${1:-} in
  start|stop|restart|start-foreground|status) ;;
  *)
    echo "Usage: $0 [--config <conf-dir>] {start|start-foreground|stop|restart|status}" >&2
    exit 1
    ;;
esac
echo "ZooKeeper JMX enabled by default" >&2
echo "Using config: $ZOOCFG" >&2

case $1 in
  start)
    printf 'Starting zookeeper ... '
    if pid=$(running_pid); then
      echo "zookeeper already running as process $pid."
      exit 1
    fi
    mkdir -p "$LOG_DIR"
    cmd=$(java_cmd)
    # setsid: a session of its own, no terminal, so no SIGHUP when the ssh
    # session that typed this ends (what nohup is for in the real script).
    # The shell writes its own pid, which exec makes java's, before exec.
    rm -f "$ZOOPIDFILE"
    old_ifs=$IFS
    IFS='
'
    # shellcheck disable=SC2086 # one argument per line
    setsid sh -c 'echo $$ > "$1" || exit 1; shift; exec "$@"' sh "$ZOOPIDFILE" $cmd \
      >> "$LOG" 2>&1 < /dev/null &
    IFS=$old_ifs
    i=0
    while [ ! -s "$ZOOPIDFILE" ] && [ $i -lt 50 ]; do sleep 0.02; i=$((i + 1)); done
    if [ ! -s "$ZOOPIDFILE" ]; then
      echo FAILED TO WRITE PID
      exit 1
    fi
    sleep 1
    pid=$(cat "$ZOOPIDFILE")
    if kill -0 "$pid" 2>/dev/null; then
      echo STARTED
    else
      echo FAILED TO START
      echo "(see $LOG)" >&2
      exit 1
    fi
    ;;
  stop)
    printf 'Stopping zookeeper ... '
    if [ ! -f "$ZOOPIDFILE" ]; then
      echo "no zookeeper to stop (could not find file $ZOOPIDFILE)"
      exit 0
    fi
    pid=$(cat "$ZOOPIDFILE")
    kill "$pid" 2>/dev/null || true
    rm -f "$ZOOPIDFILE"
    # until it is gone (ZooKeeper takes well under a second), at most 10 s
    i=0
    while [ $i -lt 100 ] && kill -0 "$pid" 2>/dev/null \
          && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; do
      sleep 0.1
      i=$((i + 1))
    done
    echo STOPPED
    ;;
  restart)
    "$0" stop
    exec "$0" start
    ;;
  start-foreground)
    cmd=$(java_cmd)
    IFS='
'
    # shellcheck disable=SC2086 # one argument per line
    exec $cmd
    ;;
  status)
    port=$(cfg clientPort)
    case $port in *[!0-9]*) port= ;; esac
    if [ -z "$port" ] && [ -r "$DATA_DIR/myid" ]; then
      # As the real script does: the client port of this server's own line.
      myid=$(cat "$DATA_DIR/myid")
      # "server.2=b:2888:3888;2181" or "...;0.0.0.0:2181"
      re="^[[:space:]]*server\\.$myid=.*;\\(.*:\\)\\{0,1\\}\\([0-9][0-9]*\\)[[:space:]]*\$"
      port=$(sed -n "s/$re/\\2/p" "$ZOOCFG" | head -n 1)
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
esac
