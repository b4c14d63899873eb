/* The verbs: one table that dispatch, help, did-you-mean and the bad-option
 * message all read (see cli.h). A new verb is one row here and one cmd_*
 * function in the file of its group. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/util/util.h"

const char *cli_verb_name = "labo";

/* Help texts keep to 80 columns: "  -x, --long VALUE" then two spaces and
 * the meaning, as docker's and git's do. */
#define LAB_OPT "  -l, --lab LAB      the lab (its name or its file; default: $LABO_LAB, else the\n" \
                "                     only lab up)\n"

static const struct cli_verb verbs[] = {
  /* ---- a lab's life ---- */
  { "up", cmd_up, CLI_GROUP_LAB, "up [FILE] [options]",
    "bring a lab up (default: the built-in seed lab), supervised",
    "Builds the lab FILE describes (hosts, segments, links; with nodes: a Docker\n"
    "daemon per host joined into a Swarm, the overlay, the containers), waits for\n"
    "ZooKeeper's quorum, and leaves a supervisor running that restarts what dies.\n"
    "A failure halfway removes what was made. On a lab that is up, `up` starts a\n"
    "new supervisor if its own died, and changes nothing else.\n"
    "\n"
    "Options:\n"
    LAB_OPT
    "  -q, --quiet        no progress lines\n"
    "  -n, --dry-run      print what would be made (namespaces, links, addresses;\n"
    "                     daemons, Swarm, overlay, image, containers, ports) and\n"
    "                     make nothing\n"
    "  -f, --foreground   supervise from this process (Ctrl-C stops the supervisor,\n"
    "                     the lab stays up)\n"
    "      --runtime R    docker (a dockerd per host), process (ZooKeeper run in the\n"
    "                     hosts' namespaces, no Docker) or auto\n"
    "      --until STAGE  stop after STAGE: network, daemons, swarm, overlay,\n"
    "                     containers (sshd runs, the services are yours to configure\n"
    "                     and start) or services (the default: everything)\n"
    "      --json         the stages, their times and the result as one JSON object\n"
    "      --name NAME    bring up a copy of the lab under NAME: the same hosts,\n"
    "                     addresses and ports inside, its own block of addresses\n"
    "                     from the machine (the pool), so copies never collide\n"
    "      --copies N     bring up N copies, NAME-1 ... NAME-N (NAME: --name, or the\n"
    "                     lab's); the copies that came up stay up if one fails\n"
    "      --parallel N   with --copies: at most N copies being brought up at once\n"
    "                     (default: twice the CPUs; more at once thrash)\n"
    "      --pool PREFIX  the blocks copies take (default 198.18.0.0/15, or\n"
    "                     $LABO_POOL)\n"
    "\n"
    "Examples:\n"
    "  labo up                          the seed lab: mida-clm1, mida-clm2, ZooKeeper\n"
    "  labo up netns/seed-by-hand.yaml  the same, for typing the tutorial's section 4\n"
    "  labo up netns/zk3.yaml --until swarm\n"
    "  labo up netns/zk3.yaml --runtime process\n"
    "  labo up netns/seed-by-hand.yaml --copies 15 --name attendee\n",
    0 },
  { "down", cmd_down, CLI_GROUP_LAB, "down [LAB|FILE] [options]",
    "tear a lab down: nothing of it is left (idempotent)",
    "Stops the supervisor, the daemons and the nodes, removes the namespaces, the\n"
    "links, labo's firewall rules, the state and (unless --keep-data) the nodes'\n"
    "data. Works on a lab whose `up` crashed or was killed. Removes only what labo\n"
    "made.\n"
    "\n"
    "Options:\n"
    LAB_OPT
    "  -q, --quiet        no progress lines\n"
    "  -k, --keep-data    keep the nodes' data for the next `up` of the lab to resume\n"
    "      --json         the stages, their times and the result as one JSON object\n"
    "  -a, --all          every lab that is up (a classroom's copies), side by side\n"
    "      --forget       a lab deployed on a Swarm: forget it here, without asking\n"
    "                     the Swarm (its servers are gone)\n"
    "\n"
    "A lab deployed on a Swarm (labo deploy) goes from there: its services, its\n"
    "network and the data volumes on the manager; those on other servers are\n"
    "named, with the command that removes each. --all leaves deployed labs.\n"
    "\n"
    "Examples:\n"
    "  labo down seed\n"
    "  labo down --keep-data -l netns/zk3.yaml\n",
    0 },
  { "reset", cmd_reset, CLI_GROUP_LAB, "reset [LAB|FILE] [options]",
    "back to the state right after up, faster than down and up",
    "Heals every cut, resets every link, powers every host on, starts again a\n"
    "daemon that is not running, then removes the nodes (containers or processes)\n"
    "with their data and makes them again as `up` does (by-hand work in them is\n"
    "undone), and waits for what `up` waits for. The namespaces, links, daemons,\n"
    "Swarm, overlay and images stay. The supervisor is replaced by the reset's\n"
    "process, its restart tallies forgotten; `labo events` tells the reset.\n"
    "\n"
    "Options:\n"
    LAB_OPT
    "  -q, --quiet        no progress lines\n"
    "      --json         the stages, their times and the result as one JSON object\n"
    "\n"
    "Examples:\n"
    "  labo reset seed\n"
    "  labo reset -l netns/zk3.yaml --json\n",
    0 },
  { "ls", cmd_ls, CLI_GROUP_LAB, "ls [--verify] [--json]", "the labs that are up",
    "One line per lab: its name, state, number of hosts, its root subnets as the\n"
    "machine reaches them (a copy's block from the pool), when it was made and its\n"
    "lab file (and what it is a copy of).\n"
    "\n"
    "Options:\n"
    "      --verify       each lab's progress through the tutorial (`labo verify`:\n"
    "                     steps done of those that apply), labs verified side by side\n"
    "      --json         as a JSON array\n",
    CLI_NO_LAB },
  { "validate", cmd_validate, CLI_GROUP_LAB, "validate [FILE] [--json]",
    "check a lab file (no privileges needed, nothing is made)",
    "Reads FILE (default: the built-in seed lab) as `up` would and reports every\n"
    "error as FILE:LINE:COLUMN: error: MESSAGE, and what the lab exposes to the\n"
    "machine's users as warnings. Exit status 2 if the file has an error.\n"
    "\n"
    "Options:\n"
    "      --json         the result, errors and warnings as one JSON object\n"
    "\n"
    "Examples:\n"
    "  labo validate netns/seed.yaml\n",
    CLI_NO_LAB | CLI_NO_STATE },
  /* ---- looking at it ---- */
  { "status", cmd_status, CLI_GROUP_LOOK, "status [LAB|FILE] [options]",
    "hosts, daemons, nodes, who leads, restarts, supervisor",
    "What runs and how it is: each host and its daemon, each node with its mode\n"
    "(leader, follower), its restarts and health, the ensemble's quorum, faults in\n"
    "force, and the supervisor. docs/status.md documents the JSON.\n"
    "\n"
    "Options:\n"
    LAB_OPT
    "      --json         as one JSON object\n"
    "\n"
    "Examples:\n"
    "  labo status\n"
    "  labo status -l zk3 --json | jq .ensemble\n",
    0 },
  { "verify", cmd_verify, CLI_GROUP_LOOK, "verify [LAB|FILE] [options]",
    "the tutorial's steps, each done or not yet, with its command",
    "Checks a lab that is up against the tutorial's steps, in its order: Docker on\n"
    "every host, the Swarm, the overlay, the nodes running, ping and ssh between\n"
    "them, java, each myid, the servers in zoo.cfg, ZooKeeper answering, one\n"
    "leader. Each step is done, not yet (with what is wrong and the tutorial's\n"
    "command for it, in the lab's names) or n/a. Exit status 1 if a step is not\n"
    "done. With several labs up and none named: one line a lab.\n"
    "\n"
    "Options:\n"
    LAB_OPT
    "  -a, --all          every lab up, one line each: its count and its next step\n"
    "      --json         as one JSON object (with --all: an array of them)\n"
    "\n"
    "Examples:\n"
    "  labo verify\n"
    "  labo verify --all\n"
    "  labo verify -l zk3 --json | jq '.checks[] | select(.state == \"not-yet\")'\n",
    0 },
  { "events", cmd_events, CLI_GROUP_LOOK, "events [LAB] [options]",
    "what happened and happens: faults, deaths, restarts, elections, live",
    "The supervisor's record of the lab: nodes and daemons starting, dying, being\n"
    "restarted or given up, leaders elected, quorum lost and regained, and every\n"
    "fault asked for (partition, heal, link, stop, start, kill, restart, chaos\n"
    "steps), each with its time. Follows until Ctrl-C.\n"
    "\n"
    "Options:\n"
    LAB_OPT
    "  -n N               past events to print first (default 20)\n"
    "      --no-follow    print the past events and end\n"
    "      --json         one JSON object per line\n"
    "\n"
    "Examples:\n"
    "  labo events -n 100 --no-follow\n",
    0 },
  { "graph", cmd_graph, CLI_GROUP_LOOK, "graph [LAB|FILE] [options]",
    "a picture of the lab: hosts, segments, links, overlay, nodes, faults",
    "Draws a lab: its hosts (boxes, with their addresses), segments (ellipses,\n"
    "with their subnets), links (the host's interface and address), the overlay\n"
    "(a cluster of its nodes, with their addresses) and the nodes on their hosts.\n"
    "For a lab that is up, its live state too: each node's mode as its colour\n"
    "(leader, follower, healthy, down, not started, given up), hosts powered off,\n"
    "cuts (red dashed edges marked x) and link settings (delay, jitter, loss,\n"
    "rate). A FILE whose lab is not up is drawn as it declares it, without\n"
    "privileges. SVG is rendered by Graphviz's library, in labo itself.\n"
    "\n"
    "Options:\n"
    LAB_OPT
    "      --format F     dot (Graphviz's source, the default), svg, mermaid (a\n"
    "                     flowchart) or json (nodes and edges, docs/json.md)\n"
    "  -o, --output FILE  write to FILE (its name .svg, .dot, .mmd or .json gives\n"
    "                     the format when --format is not given)\n"
    "\n"
    "Examples:\n"
    "  labo graph -o seed.svg\n"
    "  labo graph netns/zk3.yaml --format mermaid\n"
    "  labo graph -l zk3 --format json | jq '.edges[] | select(.type == \"cut\")'\n",
    0 },
  { "export", cmd_export, CLI_GROUP_LOOK, "export [LAB|FILE] [options]",
    "the lab as a Compose file for a real Docker Swarm (docker stack deploy)",
    "Writes the lab as a Compose file (version 3.8) that `docker stack deploy -c`\n"
    "takes as it is: one service a node, placed on the Swarm node of its host's\n"
    "name, its hostname the node's, the overlay (attachable, its subnet), the\n"
    "published ports in host mode, each kind's environment (ZooKeeper's id and\n"
    "servers, etcd's cluster), a data volume, a health check and a restart policy\n"
    "from the lab's `supervise:`. The images are labo's, named as `up` names them.\n"
    "What a stack cannot carry (the emulated network and its faults, the fixed\n"
    "overlay addresses, sshd, the process runtime, ...) is said in the file's\n"
    "header and on stderr. A FILE is exported as declared; with no argument, the\n"
    "only lab up, else the built-in seed.\n"
    "\n"
    "Options:\n"
    LAB_OPT
    "      --format F     stack (the default: a Compose file for docker stack deploy)\n"
    "  -o, --output FILE  write to FILE (default: stdout)\n"
    "      --registry R   name the images R/NAME:TAG (R is HOST[:PORT]/PREFIX), where\n"
    "                     they will be pushed\n"
    "      --images DIR   also write each image the lab uses to DIR, as a `docker\n"
    "                     save` archive (docker load -i, on machines without a\n"
    "                     registry)\n"
    "\n"
    "Examples:\n"
    "  labo export -o seed-stack.yaml\n"
    "  labo export netns/zk3.yaml --images /tmp/images -o zk3-stack.yaml\n"
    "  labo export netns/etcd3.yaml --registry registry.example:5000/labo\n",
    0 },
  { "deploy", cmd_deploy, CLI_GROUP_LOOK, "deploy [LAB|FILE] --on URL [options]",
    "the lab on an existing Docker Swarm, through its manager's API",
    "Deploys the lab's nodes on an existing Docker Swarm, through its manager's\n"
    "Engine API: the services `labo export` writes, one a node, placed on the\n"
    "Swarm node named as its host (or as --place maps it), on the lab's overlay.\n"
    "It first checks that each of those hosts is a ready node of the Swarm (else\n"
    "it says which are not, and makes nothing), then creates the overlay and the\n"
    "services, waits for every task to run healthy, and says where each runs. On\n"
    "a failure or the timeout, it removes what it made. Everything it makes\n"
    "carries the labels labo.lab=LAB and labo.deployed=true: --rm removes exactly\n"
    "that. The images must be on the servers already (labo export --images DIR,\n"
    "then docker load on each). containerlab's deploy, a lab on this machine, is\n"
    "labo up.\n"
    "\n"
    "This machine remembers the deployed lab under its name: labo ls lists it,\n"
    "labo status shows its tasks and who leads (each node's srvr through its\n"
    "server's published port), labo check writes through those ports, labo kill\n"
    "has Swarm replace a node's task (its container killed), labo down removes\n"
    "it. A name is one lab: deploy refuses the name of a lab up here.\n"
    "\n"
    "Options:\n"
    LAB_OPT
    "      --on URL       the manager's API: unix:///PATH or tcp://HOST:PORT\n"
    "      --tls-ca FILE  TLS on tcp://: the CA that signed the daemon's certificate\n"
    "      --tls-cert FILE  and the client's certificate...\n"
    "      --tls-key FILE   ...and key (without TLS, a warning: the API is open)\n"
    "      --place H=NAME place the lab's host H on the Swarm node NAME (again for\n"
    "                     each host)\n"
    "      --timeout S    seconds to wait for every task to run healthy (120)\n"
    "      --name NAME    deploy the lab under another name (services NAME_NODE)\n"
    "      --rm           remove what deploy made for this lab, by its labels\n"
    "      --json         the report as JSON\n"
    "\n"
    "Examples:\n"
    "  labo deploy netns/seed.yaml --on unix:///run/docker.sock\n"
    "  labo deploy --on tcp://10.0.0.1:2375 --place mida-clm1=srv-a \\\n"
    "      --place mida-clm2=srv-b\n"
    "  labo status seed; labo check seed --duration 20s; labo down seed\n"
    "  labo deploy --rm netns/seed.yaml --on unix:///run/docker.sock\n",
    0 },
  { "web", cmd_web, CLI_GROUP_LOOK, "web [--listen ADDR:PORT] [--allow-actions]",
    "every lab as a live web page: the room's grid, each lab's picture",
    "Serves a web view of every lab on this machine: an index (each lab's state,\n"
    "root subnet, nodes, leader and tutorial steps done, for a trainer's projector)\n"
    "and a page a lab (its picture with each node's mode in colour, cuts and link\n"
    "settings, the supervisor's events, a running check's availability), updated\n"
    "as things happen (server-sent events). Every file it serves is inside labo.\n"
    "Read-only unless --allow-actions. Runs until Ctrl-C.\n"
    "\n"
    "Options:\n"
    "      --listen ADDR:PORT  where to listen (default 127.0.0.1:7474); an address\n"
    "                     other than loopback's shows every lab to whoever reaches\n"
    "                     it (a warning says so)\n"
    "      --allow-actions  kill, partition, heal and reset from the pages, with a\n"
    "                     token printed once at start (its address holds it)\n"
    "\n"
    "Examples:\n"
    "  labo web                          then open http://127.0.0.1:7474/\n"
    "  labo web --listen 0.0.0.0:8080    the room's machines see it too\n"
    "  labo web --allow-actions\n",
    CLI_NO_LAB },
  { "logs", cmd_logs, CLI_GROUP_LOOK, "logs [-l LAB] [-f] HOST|NODE",
    "a host's dockerd log, or a node's ZooKeeper log (on stdout)",
    "Prints the log of a node (ZooKeeper's output) or of a host (its dockerd).\n"
    "After an `up` that failed, the logs it kept under /var/log/labo/LAB/.\n"
    "\n"
    "Options:\n"
    LAB_OPT
    "  -f, --follow       keep printing what is added\n"
    "\n"
    "Examples:\n"
    "  labo logs namenode1 | grep -i leader\n"
    "  labo logs -f mida-clm2\n",
    CLI_TARGET },
  { "exec", cmd_exec, CLI_GROUP_LOOK, "exec [-l LAB] HOST|NODE [--] CMD...",
    "run a command inside a host or a node",
    "Runs CMD in the namespaces of a host (its network, its hostname), or inside a\n"
    "node (its container, or its process's namespaces). Without CMD on a terminal:\n"
    "a shell.\n"
    "\n"
    "Options:\n"
    LAB_OPT
    "\n"
    "Examples:\n"
    "  labo exec namenode1 -- zkServer.sh status\n"
    "  labo exec mida-clm1 -- ping -c1 198.51.100.101\n",
    CLI_TARGET | CLI_STOP_AT_ARG },
  { "capture", cmd_capture, CLI_GROUP_LOOK,
    "capture [-l LAB] HOST [SEGMENT] [-w FILE|-] [options] [FILTER]",
    "a host's packets as pcap: a file, or live into tcpdump or Wireshark",
    "Captures what HOST sends and receives on its link to SEGMENT (a segment, or\n"
    "the other host of a host-to-host link; default: its only link; `any`: every\n"
    "interface of the host, with Linux cooked headers), promiscuous, whole frames.\n"
    "Writes pcap, which tcpdump and Wireshark read: down a pipe each packet as it\n"
    "comes, into a file within 0.2 s; never to a terminal. FILTER is tcpdump's\n"
    "(pcap-filter(7)); a bad one writes nothing.\n"
    "Ends at Ctrl-C, TERM, when the reader of the pipe goes, or the lab goes down;\n"
    "then says on stderr how many packets it captured and the kernel dropped.\n"
    "A node's traffic is its host's: Docker's overlay crosses the host's link as\n"
    "VXLAN (udp port 4789, which tcpdump and Wireshark decode).\n"
    "\n"
    "Options:\n"
    LAB_OPT
    "  -w, --write FILE   write to FILE (never through a symbolic link; a FIFO\n"
    "                     works); -, or no -w: stdout, which must be a pipe or file\n"
    "  -c, --count N      stop after N packets\n"
    "      --duration D   stop after D (e.g. 30s, 2m)\n"
    "  -s, --snaplen N    bytes kept of each packet (default 262144: all)\n"
    "  -q, --quiet        no lines on stderr, but errors\n"
    "\n"
    "Examples:\n"
    "  labo capture mida-clm1 | wireshark -k -i -\n"
    "  labo capture mida-clm1 -w weave.pcap udp port 4789   the seed's overlay\n"
    "  labo capture h1 wan -c 10 icmp | tcpdump -nr -\n",
    CLI_TARGET },
  /* ---- faults ---- */
  { "partition", cmd_partition, CLI_GROUP_FAULT, "partition [-l LAB] A B [--oneway] | --isolate A",
    "cut the traffic between two hosts, or around one",
    "Drops what A and B send each other (or only A to B with --oneway), or all\n"
    "that reaches or leaves A with --isolate. The cut holds until `heal`.\n"
    "\n"
    "Options:\n"
    LAB_OPT
    "  -o, --oneway       only what A sends to B\n"
    "  -i, --isolate A    cut A from every other host\n"
    "\n"
    "Examples:\n"
    "  labo partition mida-clm1 mida-clm2\n"
    "  labo partition --isolate zoo1\n",
    CLI_TARGET },
  { "heal", cmd_heal, CLI_GROUP_FAULT, "heal [-l LAB] [A B]",
    "let traffic through again (every cut, without hosts)", "Options:\n" LAB_OPT "\n"
    "Examples:\n"
    "  labo heal\n"
    "  labo heal mida-clm1 mida-clm2\n",
    CLI_TARGET },
  { "stop", cmd_stop, CLI_GROUP_FAULT, "stop [-l LAB] HOST",
    "power a host off: its processes end, its links go down",
    "Options:\n" LAB_OPT "\nExamples:\n  labo stop mida-clm2\n", CLI_TARGET },
  { "start", cmd_start, CLI_GROUP_FAULT, "start [-l LAB] HOST",
    "power a host on: links up, its daemon and nodes start",
    "Options:\n" LAB_OPT "\nExamples:\n  labo start mida-clm2\n", CLI_TARGET },
  { "kill", cmd_kill, CLI_GROUP_FAULT, "kill [-l LAB] NODE [--signal S]",
    "send a node a signal (default KILL); the supervisor restarts it",
    "Options:\n" LAB_OPT
    "  -s, --signal S     the signal: KILL, TERM, STOP, CONT, 9...\n"
    "\n"
    "Examples:\n"
    "  labo kill namenode1\n"
    "  labo kill zoo2 --signal STOP\n",
    CLI_TARGET },
  { "pause", cmd_pause, CLI_GROUP_FAULT, "pause [-l LAB] NODE|HOST|leader|follower",
    "freeze a node (or a host's nodes): no answer, its sockets kept",
    "Freezes the node's processes with the cgroup freezer (Docker's pause, or a\n"
    "cgroup of labo's for a process): it stops answering but keeps its sockets, as\n"
    "in a long GC pause. The supervisor holds its probes and does not restart it.\n"
    "A host: every node it runs (its dockerd and links run on). Until `resume`.\n"
    "\n"
    "Options:\n" LAB_OPT "\n"
    "Examples:\n"
    "  labo pause leader\n"
    "  labo pause zoo2\n",
    CLI_TARGET },
  { "resume", cmd_resume, CLI_GROUP_FAULT, "resume [-l LAB] [NODE|HOST|leader|follower|--all]",
    "thaw what `pause` froze (every node paused, without one)",
    "Options:\n" LAB_OPT
    "  -a, --all          every node paused (as with no argument)\n"
    "\n"
    "Examples:\n"
    "  labo resume zoo2\n"
    "  labo resume --all\n",
    CLI_TARGET },
  { "restart", cmd_restart, CLI_GROUP_FAULT, "restart [-l LAB] NODE|HOST",
    "restart a node or a daemon now (also one given up)",
    "Options:\n" LAB_OPT "\nExamples:\n  labo restart namenode2\n", CLI_TARGET },
  { "link", cmd_link, CLI_GROUP_FAULT,
    "link [-l LAB] HOST [SEGMENT] [options]\n"
    "       labo link show [LAB] | labo link reset [HOST [SEGMENT]]",
    "slow, lose, corrupt, pace or pull out a host's link; measure it",
    "Sets a host's link (each way): settings not named stay as they are; 0 clears\n"
    "one. `link show` lists the links with their settings and what carries them,\n"
    "`link reset` puts them back as `up` made them (the lab file's settings; all\n"
    "of them without a host). --verify measures what the link does against what\n"
    "it was asked, from the host to a peer on its segment, and exits 1 when a\n"
    "measure is off its tolerance.\n"
    "\n"
    "Options:\n"
    LAB_OPT
    "      --delay T      added delay (e.g. 50ms, 1s; 0 clears it)\n"
    "      --jitter T     delay variation, around the delay\n"
    "      --loss P%[,C%]\n"
    "                     packets dropped (e.g. 2%), with C: the correlation of one\n"
    "                     loss with the next (bursts)\n"
    "      --gemodel P%,R%[,B%[,G%]]\n"
    "                     Gilbert-Elliott loss: P good to bad, R bad to good, B lost\n"
    "                     when bad (100%), G when good (0%); 0 clears it\n"
    "      --corrupt P%   packets with a bit flipped (their checksums then fail)\n"
    "      --duplicate P%\n"
    "                     packets sent twice\n"
    "      --reorder P%   packets sent at once, ahead of those the delay holds\n"
    "      --rate R       pace (e.g. 10mbit, 512kbit)\n"
    "      --seed N       the draws' seed: the same packets meet the same fate again\n"
    "      --down, --up   pull the link out, plug it back\n"
    "      --mechanism M  auto, netem (the kernel's, where it has it) or emulator\n"
    "      --verify       measure the link (delay, jitter, losses, rate) and report\n"
    "                     the gap to each setting\n"
    "      --peer HOST    with --verify: measure against HOST (default: a host on the\n"
    "                     segment whose link has no settings)\n"
    "      --probes N     with --verify: probes each way (default 2000)\n"
    "      --json         the link as set, as JSON (with show: all of them)\n"
    "\n"
    "Examples:\n"
    "  labo link mida-clm2 --delay 50ms --jitter 10ms --loss 2%\n"
    "  labo link mida-clm2 --loss 5%,25% --reorder 10% --seed 7 --verify\n"
    "  labo link show\n"
    "  labo link reset\n",
    CLI_TARGET },
  { "clock", cmd_clock, CLI_GROUP_FAULT,
    "clock [-l LAB] NODE OFFSET [--drift RATE]\n"
    "       labo clock [-l LAB] NODE reset | labo clock [LAB] [--json]",
    "skew a ZooKeeper node's wall clock; show the skews",
    "Skews the wall clock the node's processes read (its ZooKeeper's JVM, `date`\n"
    "in it): every ZooKeeper node runs under libfaketime, which sees a new skew\n"
    "within a second, without a restart. OFFSET is signed: +30s, -5s, +1.5m,\n"
    "+250ms, 0. NODE may be `leader` or `follower`. Without a node: each skew.\n"
    "\n"
    "It cannot skew: static programs (busybox's applets, etcd), a read of the\n"
    "clock past libc (vDSO or syscall by hand), setuid programs, CLOCK_MONOTONIC,\n"
    "the kernel's own times (file times, TCP timestamps), the Docker daemons.\n"
    "Only ZooKeeper nodes; see docs/clock.md.\n"
    "\n"
    "Options:\n"
    LAB_OPT
    "      --drift RATE   the clock's rate: 1.001, or +1000ppm, -50ppm (stepped once\n"
    "                     a second by the lab's supervisor: docs/clock.md)\n"
    "      --json         the skews as JSON\n"
    "\n"
    "Examples:\n"
    "  labo clock namenode2 +30s\n"
    "  labo clock leader -5s\n"
    "  labo clock namenode2 reset\n"
    "  labo clock\n",
    CLI_TARGET },
  { "chaos", cmd_chaos, CLI_GROUP_FAULT, "chaos [-l LAB] FILE [options]",
    "play a scenario of timed faults (netns/scenarios/)",
    "Plays the steps of a scenario file (docs/scenarios.md), saying what happens;\n"
    "puts the lab back at the end unless --keep. With --check, a `check` runs\n"
    "through it.\n"
    "\n"
    "Options:\n"
    LAB_OPT
    "  -c, --check        write through every node meanwhile, then check nothing was\n"
    "                     lost\n"
    "      --keep         leave the faults of the last step in force\n"
    "      --rate N       with --check: writes a second through each node\n"
    "      --settle D     with --check: how long to wait for the ensemble at the end\n"
    "      --keep-znodes  with --check: leave the check's znodes\n"
    "      --json         with --check: the check's report as JSON on stdout\n"
    "      --seed N       the scenario's choices (random, follower, halves, ring,\n"
    "                     the links' drops) and the check's: the run printed its own\n"
    "      --clients N    with --check: register clients a node (1 to 16; 1)\n"
    "      --keys N       with --check: registers (1 to 1000; 3)\n"
    "      --reads MODE   with --check: quorum (default), sync or local\n"
    "      --history FILE  with --check: the history in Jepsen's EDN format\n"
    "      --plot FILE    with --check: the history as an SVG picture\n"
    "      --timeline FILE  with --check: the history as text ('-': standard output)\n"
    "      --lin-time D   with --check: the linearizability checker's time (60s)\n"
    "      --lin-memory N  with --check: and its memory, in MiB (1024)\n"
    "\n"
    "Examples:\n"
    "  labo chaos netns/scenarios/zk3-leader.yaml --check\n"
    "  labo chaos netns/scenarios/zk5-majority-ring.yaml --check --seed 42\n",
    0 },
  /* ---- checks ---- */
  { "check", cmd_check, CLI_GROUP_CHECK, "check [LAB] [options]",
    "write through every node, then verify no acknowledged write was lost",
    "Writes through every node of the ensemble until Ctrl-C (or --duration), then\n"
    "reads everything back: an acknowledged write lost, altered or reordered is\n"
    "reported with its timeline, and the exit status is 5. Meanwhile clients read,\n"
    "write and compare-and-set registers through every node, and their history is\n"
    "checked for linearizability (docs/check.md): a history no order explains is\n"
    "reported with its smallest witness, and the exit status is 6.\n"
    "\n"
    "Options:\n"
    LAB_OPT
    "  -d, --duration D   end after D (e.g. 30s) rather than at Ctrl-C\n"
    "      --rate N       writes a second through each node (1 to 1000)\n"
    "      --settle D     how long to wait for the ensemble at the end\n"
    "      --keep         leave the check's znodes\n"
    "      --json         the report as JSON\n"
    "      --seed N       the writers' stagger (their order and times in each tick)\n"
    "                     and the registers' operations: the report gives the seed\n"
    "      --clients N    register clients a node (1 to 16; default 1)\n"
    "      --keys N       registers (1 to 1000; default 3)\n"
    "      --reads MODE   before each read: quorum (a transaction: linearizable, the\n"
    "                     default), sync (a cut-off leader answers alone), local\n"
    "                     (nothing: a cut follower serves stale reads)\n"
    "      --history FILE  the history in Jepsen's EDN format (for Knossos, Elle)\n"
    "      --plot FILE    the history as an SVG: latencies, faults, elections\n"
    "      --timeline FILE  the history as text, one clock ('-': standard output)\n"
    "      --lin-time D   the linearizability checker's time limit (default 60s)\n"
    "      --lin-memory N  and its memory limit, in MiB (default 1024)\n"
    "\n"
    "Examples:\n"
    "  labo check -d 30s\n"
    "  labo check -d 30s --history zk.edn --plot zk.svg\n",
    0 },
  /* ---- other ---- */
  { "help", cmd_help, CLI_GROUP_OTHER, "help [VERB]", "this overview, or a verb's help",
    NULL, CLI_NO_LAB | CLI_NO_STATE },
  { "version", cmd_version, CLI_GROUP_OTHER, "version", "labo's version and commit", NULL,
    CLI_NO_LAB | CLI_NO_STATE },
  /* hidden: the link emulator's own process, and the shell completion's */
  { "__linkemu", cmd_linkemu, CLI_GROUP_HIDDEN, NULL, NULL, NULL, CLI_NO_LAB },
  /* CLI_NO_STATE: it checks the state's place itself, without a word */
  { "__names", cmd_names, CLI_GROUP_HIDDEN, NULL, NULL, NULL, CLI_NO_LAB | CLI_NO_STATE },
};

/* The words other tools use (containerlab's, docker's): understood where
 * they mean the same, pointed to where labo's differs. */
static const struct
{
  const char *word, *verb, *note;
} words[] = {
  { "destroy", "down", NULL },
  { "inspect", "status", NULL },
  { "ps", NULL, "`labo status` shows what runs, `labo ls` the labs" },
  { "rm", NULL, "`labo down LAB` removes a lab" },
};

static const char *const group_title[] = {
  [CLI_GROUP_LAB] = "A lab's life",
  [CLI_GROUP_LOOK] = "Looking at it",
  [CLI_GROUP_FAULT] = "Faults",
  [CLI_GROUP_CHECK] = "Checks",
  [CLI_GROUP_OTHER] = "Other",
};

const struct cli_verb *
cli_verbs (size_t *n)
{
  *n = sizeof (verbs) / sizeof (verbs[0]);
  return verbs;
}

const struct cli_verb *
cli_verb_find (const char *name)
{
  for (size_t i = 0; i < sizeof (verbs) / sizeof (verbs[0]); i++)
    if (strcmp (verbs[i].name, name) == 0)
      return &verbs[i];
  for (size_t i = 0; i < sizeof (words) / sizeof (words[0]); i++)
    if (words[i].verb && strcmp (words[i].word, name) == 0)
      return cli_verb_find (words[i].verb);
  return NULL;
}

/* Levenshtein distance, bounded: enough for verbs of a dozen letters. */
static size_t
distance (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b), prev[32], cur[32];

  if (la >= 32 || lb >= 32)
    return 99;
  for (size_t j = 0; j <= lb; j++)
    prev[j] = j;
  for (size_t i = 1; i <= la; i++)
    {
      cur[0] = i;
      for (size_t j = 1; j <= lb; j++)
        {
          size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
          size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
          cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
      memcpy (prev, cur, sizeof (prev));
    }
  return prev[lb];
}

const char *
cli_verb_suggest (const char *word)
{
  const char *best = NULL;
  size_t best_d = 3; /* two edits at most: "stauts" is one transposition, two edits */

  for (size_t i = 0; i < sizeof (verbs) / sizeof (verbs[0]); i++)
    {
      size_t d;
      if (verbs[i].group == CLI_GROUP_HIDDEN)
        continue;
      d = distance (word, verbs[i].name);
      /* a prefix a user started typing counts as near */
      if (strlen (word) >= 2 && strncmp (word, verbs[i].name, strlen (word)) == 0)
        d = 1;
      if (d < best_d && d < strlen (verbs[i].name))
        {
          best_d = d;
          best = verbs[i].name;
        }
    }
  return best;
}

int
cli_unknown_verb (const char *word)
{
  const char *s;

  for (size_t i = 0; i < sizeof (words) / sizeof (words[0]); i++)
    if (words[i].note && strcmp (words[i].word, word) == 0)
      {
        fprintf (stderr, "labo: '%s' is not a labo verb: %s\n", word, words[i].note);
        return EXIT_INPUT;
      }
  s = cli_verb_suggest (word);
  if (s)
    fprintf (stderr, "labo: '%s' is not a labo verb; did you mean '%s'? (see 'labo help')\n",
             word, s);
  else
    fprintf (stderr, "labo: '%s' is not a labo verb (see 'labo help')\n", word);
  return EXIT_INPUT;
}

void
cli_help_overview (FILE *out)
{
  size_t n;
  const struct cli_verb *v = cli_verbs (&n);

  fputs ("labo: a multi-host Docker lab (namespaces, dockerd per host, Swarm, ZooKeeper)\n"
         "on one Linux machine\n"
         "\n"
         "usage: labo [--limit NAME=N]... VERB [options] [arguments]\n",
         out);
  for (int g = CLI_GROUP_LAB; g <= CLI_GROUP_OTHER; g++)
    {
      fprintf (out, "\n%s:\n", group_title[g]);
      for (size_t i = 0; i < n; i++)
        if ((int) v[i].group == g)
          fprintf (out, "  %-10s %s\n", v[i].name, v[i].summary);
    }
  fputs ("\n"
         "Options of labo itself, before the verb:\n"
         "  --limit NAME=N   raise (or lower) a bound on what a lab file or scenario may\n"
         "                   ask: file-size, yaml-depth, yaml-nodes, yaml-aliased, hosts,\n"
         "                   links, nodes, steps, arg-size (docs/labfile.md)\n"
         "  -h, --help       this overview;  --version  the version\n"
         "\n"
         "Environment:\n"
         "  LABO_LAB         the lab a verb acts on when none is named\n"
         "\n"
         "Exit status: 0 ok, 1 failure, 2 bad input, 3 missing privileges, 4 no such lab,\n"
         "host or node, 5 check: an acknowledged write was lost, altered or reordered.\n"
         "\n"
         "'labo help VERB' or 'labo VERB --help' for a verb's options and examples;\n"
         "man labo, man 5 labo-labfile, man 5 labo-scenario; docs/ in the sources.\n",
         out);
}

void
cli_help_verb (const struct cli_verb *v, FILE *out)
{
  fprintf (out, "usage: labo %s\n\n%s\n", v->synopsis, v->summary);
  if (v->details)
    fprintf (out, "\n%s", v->details);
}

int
cmd_help (int argc, char **argv)
{
  const struct cli_verb *v;

  if (argc < 2)
    {
      cli_help_overview (stdout);
      return EXIT_OK;
    }
  if (argc > 2)
    return cli_usage ("help takes one verb", NULL);
  v = cli_verb_find (argv[1]);
  if (v == NULL || v->group == CLI_GROUP_HIDDEN)
    return cli_unknown_verb (argv[1]);
  cli_help_verb (v, stdout);
  return EXIT_OK;
}

int
cli_usage (const char *fmt, const char *arg)
{
  fputs ("labo: ", stderr);
  if (fmt)
    {
      fprintf (stderr, fmt, arg);
      fputs ("; ", stderr);
    }
  fprintf (stderr, "see 'labo %s --help'\n", cli_verb_name);
  return EXIT_INPUT;
}

int
cli_getopt (int argc, char **argv, const char *shortopts, const struct option *longopts)
{
  char so[64];
  bool stop = shortopts[0] == '+';
  int c;

  /* ':' first: a missing value is told apart from an unknown option */
  snprintf (so, sizeof (so), "%s:%s", stop ? "+" : "", shortopts + stop);
  opterr = 0;
  c = getopt_long (argc, argv, so, longopts, NULL);
  if (c != '?' && c != ':')
    return c;
  {
    /* the word as typed: "--foo" of "--foo=bar", or the short option */
    const char *word = argv[optind - 1];
    char shown[64];
    if (optopt && (word[0] != '-' || word[1] != '-'))
      snprintf (shown, sizeof (shown), "-%c", optopt);
    else
      snprintf (shown, sizeof (shown), "%.*s", (int) strcspn (word, "="), word);
    if (c == ':')
      fprintf (stderr, "labo: %s: option '%s' needs a value; see 'labo %s --help'\n",
               cli_verb_name, shown, cli_verb_name);
    else
      fprintf (stderr, "labo: %s: unknown option '%s'; see 'labo %s --help'\n", cli_verb_name,
               shown, cli_verb_name);
  }
  return '?';
}
