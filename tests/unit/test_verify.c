/* Unit tests for verify's assessment (src/engine/verify.c): made-up facts
 * about the seed lab, one per way a step can be missing, so that "done" is
 * shown to be earned and each "not yet" to name what is wrong and the
 * tutorial's command in the lab's own names; the steps that do not apply
 * to a runtime or a lab; the node script's output read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/engine/verify.h"
#include "labo/model/labfile.h"
#include "labo/util/util.h"

static struct labo_lab *
parse (const char *file, const char *text, size_t len)
{
  struct labo_diags d = { NULL, 0 };
  struct labo_lab *lab = labo_labfile_parse (file, text, len, &d);
  if (lab == NULL)
    labo_diags_print (&d, stderr);
  labo_diags_free (&d);
  assert_non_null (lab);
  return lab;
}

static struct labo_lab *
seed (void)
{
  return parse (LABO_SEED_FILE, labo_seed_yaml, labo_seed_yaml_len);
}

/* The seed as today's image has it when all is done: every daemon up, both
 * Ready, weave 10.0.0.0/24, both nodes running, answering, one leader,
 * and the node script's lines as namenode1 and namenode2 print them
 * (today's image: /conf/zoo.cfg, /data/myid; ssh done by key). */
static void
all_done (const struct labo_lab *lab, struct labo_verify_facts *f)
{
  labo_verify_facts_init (lab, f);
  f->daemons = f->node_image = true;
  f->hosts[0].daemon = f->hosts[1].daemon = true;
  f->swarm_nodes = json_pack ("[{s:s, s:s}, {s:s, s:s}]", "name", "mida-clm1", "state", "ready",
                              "name", "mida-clm2", "state", "ready");
  f->overlay_found = true;
  f->overlay_subnet = xstrdup ("10.0.0.0/24");
  for (size_t i = 0; i < 2; i++)
    {
      f->nodes[i].running = true;
      snprintf (f->nodes[i].state, sizeof (f->nodes[i].state), "running");
    }
  labo_verify_parse_node (lab, 0,
                          "java 0\n"
                          "ping namenode2 0\n"
                          "cfg /conf/zoo.cfg\n"
                          "server server.1=namenode1:2888:3888;2181\n"
                          "server server.2=namenode2:2888:3888;2181\n"
                          "ssh namenode2 0 namenode2\n"
                          "myid /data/myid 1\n",
                          f);
  labo_verify_parse_node (lab, 1,
                          "cfg /etc/zookeeper/conf/zoo.cfg\n"
                          "server  server.1 = namenode1.weave.local:2888:3888\n"
                          "server server.2=namenode2:2888:3888:participant\n"
                          "myid /var/lib/zookeeper/myid 2\n"
                          "java 0\n",
                          f);
  f->nodes[0].mode = LABO_MODE_FOLLOWER;
  f->nodes[1].mode = LABO_MODE_LEADER;
}

static const struct labo_verify_check *
check (const struct labo_verify_report *r, enum labo_verify_step s)
{
  return &r->checks[s];
}

#define assert_contains(hay, needle)                                                          \
  do                                                                                         \
    {                                                                                        \
      const char *h_ = (hay);                                                                \
      if (h_ == NULL || strstr (h_, (needle)) == NULL)                                        \
        fail_msg ("\"%s\" lacks \"%s\"", h_ ? h_ : "(null)", (needle));                      \
    }                                                                                        \
  while (0)

/* Assesses, checks step s is not yet with that detail and hint, frees. */
static void
expect_not_yet (const struct labo_lab *lab, struct labo_verify_facts *f, enum labo_verify_step s,
                const char *detail, const char *hint)
{
  struct labo_verify_report r;
  labo_verify_assess (lab, f, &r);
  if (check (&r, s)->state != LABO_VERIFY_NOT_YET)
    fail_msg ("step %s is %s (%s), not not-yet", labo_verify_step_id (s),
              labo_verify_state_name (check (&r, s)->state), check (&r, s)->detail);
  assert_contains (check (&r, s)->detail, detail);
  assert_contains (check (&r, s)->hint, hint);
  assert_false (r.done == r.steps);
  labo_verify_report_free (&r);
  labo_verify_facts_free (lab, f);
}

static void
seed_all_done_is_11_of_11 (void **state)
{
  cleanup_lab struct labo_lab *lab = seed ();
  struct labo_verify_facts f;
  struct labo_verify_report r;
  (void) state;
  all_done (lab, &f);
  labo_verify_assess (lab, &f, &r);
  for (int s = 0; s < LABO_VERIFY_STEPS; s++)
    {
      if (r.checks[s].state != LABO_VERIFY_DONE)
        fail_msg ("step %s: %s", labo_verify_step_id ((enum labo_verify_step) s),
                  r.checks[s].detail);
      assert_null (r.checks[s].hint);
    }
  assert_int_equal (r.done, 11);
  assert_int_equal (r.steps, 11);
  assert_string_equal (check (&r, LABO_VERIFY_DOCKER)->detail,
                       "Docker answers on mida-clm1 and mida-clm2");
  assert_string_equal (check (&r, LABO_VERIFY_SWARM)->detail,
                       "2 nodes, all Ready (manager mida-clm1)");
  {
    json_t *j = labo_verify_report_json (&r), *c0 = json_array_get (json_object_get (j, "checks"), 0);
    assert_string_equal (json_string_value (json_object_get (j, "lab")), "seed");
    assert_int_equal (json_integer_value (json_object_get (j, "done")), 11);
    assert_true (json_is_true (json_object_get (j, "ok")));
    assert_int_equal (json_array_size (json_object_get (j, "checks")), 11);
    assert_string_equal (json_string_value (json_object_get (c0, "id")), "docker");
    assert_string_equal (json_string_value (json_object_get (c0, "state")), "done");
    assert_true (json_is_null (json_object_get (c0, "hint")) || !json_object_get (c0, "hint"));
    json_decref (j);
  }
  labo_verify_report_free (&r);
  labo_verify_facts_free (lab, &f);
}

static void
ids_are_the_tutorials_order (void **state)
{
  static const char *ids[] = { "docker", "swarm", "overlay", "containers", "ping", "ssh",
                               "java", "myid", "servers", "running", "roles" };
  (void) state;
  for (int s = 0; s < LABO_VERIFY_STEPS; s++)
    assert_string_equal (labo_verify_step_id ((enum labo_verify_step) s), ids[s]);
}

static void
a_daemon_down (void **state)
{
  cleanup_lab struct labo_lab *lab = seed ();
  struct labo_verify_facts f;
  (void) state;
  all_done (lab, &f);
  f.hosts[1].daemon = false;
  expect_not_yet (lab, &f, LABO_VERIFY_DOCKER, "mida-clm2",
                  "on mida-clm2: curl -sSL https://get.docker.com/ | sh, then docker -H "
                  "tcp://0.0.0.0:2375 -H unix:///var/run/docker.sock -d");
}

static void
a_host_not_in_the_swarm (void **state)
{
  cleanup_lab struct labo_lab *lab = seed ();
  struct labo_verify_facts f;
  (void) state;
  all_done (lab, &f);
  json_decref (f.swarm_nodes);
  f.swarm_nodes = json_pack ("[{s:s, s:s}]", "name", "mida-clm1", "state", "ready");
  expect_not_yet (lab, &f, LABO_VERIFY_SWARM, "mida-clm2 is not in the Swarm",
                  "on mida-clm2: docker run swarm join --addr=198.51.100.101:2375");
  all_done (lab, &f);
  json_decref (f.swarm_nodes);
  f.swarm_nodes = json_pack ("[{s:s, s:s}, {s:s, s:s}]", "name", "mida-clm1", "state", "ready",
                             "name", "mida-clm2", "state", "down");
  expect_not_yet (lab, &f, LABO_VERIFY_SWARM, "mida-clm2 is down", "swarm join");
}

static void
overlay_missing_or_other_subnet (void **state)
{
  cleanup_lab struct labo_lab *lab = seed ();
  struct labo_verify_facts f;
  (void) state;
  all_done (lab, &f);
  f.overlay_found = false;
  expect_not_yet (lab, &f, LABO_VERIFY_OVERLAY, "no network weave on mida-clm1",
                  "weave launch on mida-clm1");
  all_done (lab, &f);
  free (f.overlay_subnet);
  f.overlay_subnet = xstrdup ("10.9.0.0/24");
  expect_not_yet (lab, &f, LABO_VERIFY_OVERLAY, "10.9.0.0/24", "--subnet 10.0.0.0/24 weave");
}

static void
a_node_not_running (void **state)
{
  cleanup_lab struct labo_lab *lab = seed ();
  struct labo_verify_facts f;
  struct labo_verify_report r;
  (void) state;
  /* namenode1 dead: nothing it would have said is known */
  all_done (lab, &f);
  f.nodes[0].running = false;
  f.nodes[0].asked = false;
  f.nodes[1].ping = f.nodes[1].ssh = -1;
  f.nodes[0].mode = LABO_MODE_DOWN;
  f.nodes[1].mode = LABO_MODE_NOT_SERVING;
  snprintf (f.nodes[0].state, sizeof (f.nodes[0].state), "exited");
  labo_verify_assess (lab, &f, &r);
  assert_int_equal (check (&r, LABO_VERIFY_CONTAINERS)->state, LABO_VERIFY_NOT_YET);
  assert_string_equal (check (&r, LABO_VERIFY_CONTAINERS)->detail,
                       "the container of namenode1 is exited");
  assert_contains (check (&r, LABO_VERIFY_CONTAINERS)->hint,
                   "on mida-clm1: weave run 10.0.0.1/24 --name namenode1 -d -P -p 32181:2181");
  /* the steps after it are still checked, and say why they cannot be */
  assert_string_equal (check (&r, LABO_VERIFY_PING)->detail, "namenode1 does not run");
  assert_contains (check (&r, LABO_VERIFY_PING)->hint, "on namenode1: ping -c 4 -q namenode2");
  assert_string_equal (check (&r, LABO_VERIFY_SSH)->detail, "namenode1 does not run");
  assert_int_equal (check (&r, LABO_VERIFY_RUNNING)->state, LABO_VERIFY_NOT_YET);
  assert_contains (check (&r, LABO_VERIFY_RUNNING)->hint, "on namenode1: zkServer.sh start");
  assert_int_equal (check (&r, LABO_VERIFY_ROLES)->state, LABO_VERIFY_NOT_YET);
  /* docker, swarm, overlay; java, myid and servers cannot be asked of it */
  assert_int_equal (r.done, 3);
  assert_string_equal (check (&r, LABO_VERIFY_MYID)->detail, "namenode1 does not run");
  labo_verify_report_free (&r);
  labo_verify_facts_free (lab, &f);
}

static void
no_ping_answer (void **state)
{
  cleanup_lab struct labo_lab *lab = seed ();
  struct labo_verify_facts f;
  (void) state;
  all_done (lab, &f);
  f.nodes[1].ping = 1;
  expect_not_yet (lab, &f, LABO_VERIFY_PING, "namenode1 -> namenode2: no answer",
                  "on namenode1: ping -c 4 -q namenode2");
}

/* ssh's own words, as OpenSSH prints them, to the detail a trainer reads */
static void
ssh_failures (void **state)
{
  static const struct
  {
    int status;
    const char *out, *detail, *hint;
  } cases[] = {
    { 255, "root@namenode2: Permission denied (publickey,password).",
      "namenode1 -> namenode2 asks for a password",
      "on namenode1: ssh-keygen -t rsa, then ssh-copy-id -i ~/.ssh/id_rsa.pub root@namenode2" },
    { 255, "ssh: connect to host namenode2 port 22: Connection refused",
      "no sshd answers on namenode2", "an sshd in namenode2" },
    { 127, "sh: ssh: not found", "namenode1 has no ssh client", "ssh-keygen -t rsa" },
    { 255, "ssh: connect to host namenode2 port 22: Connection timed out",
      "no answer on port 22", "ssh-copy-id" },
    { 0, "elsewhere", "answers \"elsewhere\", not namenode2", "ssh-copy-id" },
  };
  cleanup_lab struct labo_lab *lab = seed ();
  struct labo_verify_facts f;
  (void) state;
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      all_done (lab, &f);
      free (f.nodes[1].ssh_out);
      f.nodes[1].ssh = cases[i].status;
      f.nodes[1].ssh_out = xstrdup (cases[i].out);
      expect_not_yet (lab, &f, LABO_VERIFY_SSH, cases[i].detail, cases[i].hint);
    }
}

static void
no_java (void **state)
{
  cleanup_lab struct labo_lab *lab = seed ();
  struct labo_verify_facts f;
  (void) state;
  all_done (lab, &f);
  f.nodes[1].java = 127;
  expect_not_yet (lab, &f, LABO_VERIFY_JAVA, "namenode2 has no java",
                  "on namenode2: apt-get install -y wget curl tar vim default-jre default-jdk");
}

static void
myid_missing_or_wrong (void **state)
{
  cleanup_lab struct labo_lab *lab = seed ();
  struct labo_verify_facts f;
  (void) state;
  all_done (lab, &f);
  free (f.nodes[0].myid_path);
  free (f.nodes[0].myid);
  f.nodes[0].myid_path = f.nodes[0].myid = NULL;
  expect_not_yet (lab, &f, LABO_VERIFY_MYID, "namenode1 has no myid",
                  "on namenode1: echo 1 > /var/lib/zookeeper/myid");
  /* where its zoo.cfg says its data is */
  all_done (lab, &f);
  free (f.nodes[0].myid_path);
  free (f.nodes[0].myid);
  f.nodes[0].myid_path = f.nodes[0].myid = NULL;
  f.nodes[0].data_dir = xstrdup ("/data");
  expect_not_yet (lab, &f, LABO_VERIFY_MYID, "namenode1 has no myid (/data/myid)",
                  "on namenode1: echo 1 > /data/myid");
  all_done (lab, &f);
  free (f.nodes[1].myid);
  f.nodes[1].myid = xstrdup ("3");
  expect_not_yet (lab, &f, LABO_VERIFY_MYID,
                  "namenode2's /var/lib/zookeeper/myid holds \"3\", the lab file says 2",
                  "on namenode2: echo 2 > /var/lib/zookeeper/myid");
}

static void
servers_missing_or_wrong (void **state)
{
  static const char *bad[] = {
    "server.2=namenode2:2889:3888", /* another quorum port */
    "server.3=namenode2:2888:3888", /* another id */
    "server.2=namenode22:2888:3888", /* another name */
    "#server.2=namenode2:2888:3888",
  };
  cleanup_lab struct labo_lab *lab = seed ();
  struct labo_verify_facts f;
  (void) state;
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      all_done (lab, &f);
      free (f.nodes[0].servers[1]);
      f.nodes[0].servers[1] = xstrdup (bad[i]);
      expect_not_yet (lab, &f, LABO_VERIFY_SERVERS,
                      "namenode1's /conf/zoo.cfg lacks server.2=namenode2:2888:3888",
                      "add server.1=namenode1:2888:3888 and server.2=namenode2:2888:3888 to "
                      "/conf/zoo.cfg on every node");
    }
  all_done (lab, &f);
  free (f.nodes[1].cfg_path);
  f.nodes[1].cfg_path = NULL;
  expect_not_yet (lab, &f, LABO_VERIFY_SERVERS, "namenode2 has no zoo.cfg",
                  "to /etc/zookeeper/conf/zoo.cfg on every node");
}

static void
roles_two_leaders_or_none (void **state)
{
  cleanup_lab struct labo_lab *lab = seed ();
  struct labo_verify_facts f;
  (void) state;
  all_done (lab, &f);
  f.nodes[0].mode = LABO_MODE_LEADER;
  expect_not_yet (lab, &f, LABO_VERIFY_ROLES, "lead", "zkServer.sh status");
  all_done (lab, &f);
  f.nodes[0].mode = f.nodes[1].mode = LABO_MODE_NOT_SERVING;
  expect_not_yet (lab, &f, LABO_VERIFY_ROLES, "no quorum", "zkServer.sh status");
}

/* The process runtime: no daemons, nodes are processes of their hosts. */
static void
process_runtime_steps_not_applicable (void **state)
{
  cleanup_lab struct labo_lab *lab = seed ();
  struct labo_verify_facts f;
  struct labo_verify_report r;
  (void) state;
  all_done (lab, &f);
  f.daemons = f.node_image = false;
  labo_verify_assess (lab, &f, &r);
  for (int s = 0; s < LABO_VERIFY_STEPS; s++)
    {
      bool na = s == LABO_VERIFY_DOCKER || s == LABO_VERIFY_SWARM || s == LABO_VERIFY_OVERLAY
                || s == LABO_VERIFY_SSH || s == LABO_VERIFY_JAVA;
      assert_int_equal (r.checks[s].state, na ? LABO_VERIFY_NA : LABO_VERIFY_DONE);
    }
  assert_int_equal (r.steps, 6);
  assert_int_equal (r.done, 6);
  assert_string_equal (check (&r, LABO_VERIFY_CONTAINERS)->detail, "2 processes run");
  labo_verify_report_free (&r);
  labo_verify_facts_free (lab, &f);
}

static void
lab_without_nodes_or_overlay (void **state)
{
  static const char text[] = "lab: bare\n"
                             "segments:\n"
                             "  net: {subnet: 198.51.100.0/28}\n"
                             "hosts:\n"
                             "  a: {docker: manager, links: [{segment: net, address: 198.51.100.2}]}\n";
  cleanup_lab struct labo_lab *lab = parse ("bare.yaml", text, strlen (text));
  struct labo_verify_facts f;
  struct labo_verify_report r;
  (void) state;
  labo_verify_facts_init (lab, &f);
  f.daemons = f.node_image = true;
  f.hosts[0].daemon = true;
  f.swarm_nodes = json_pack ("[{s:s, s:s}]", "name", "a", "state", "ready");
  labo_verify_assess (lab, &f, &r);
  assert_int_equal (r.steps, 2);
  assert_int_equal (r.done, 2);
  assert_int_equal (check (&r, LABO_VERIFY_OVERLAY)->state, LABO_VERIFY_NA);
  for (int s = LABO_VERIFY_CONTAINERS; s < LABO_VERIFY_STEPS; s++)
    assert_int_equal (r.checks[s].state, LABO_VERIFY_NA);
  labo_verify_report_free (&r);
  labo_verify_facts_free (lab, &f);
}

/* The script names the other nodes, bounds every command, and asks java
 * and ssh only where they apply; what it prints is read back. */
static void
node_script_and_its_lines (void **state)
{
  cleanup_lab struct labo_lab *lab = seed ();
  cleanup_free char *first = labo_verify_node_script (lab, 0, true, NULL);
  cleanup_free char *second = labo_verify_node_script (lab, 1, true, NULL);
  cleanup_free char *process = labo_verify_node_script (lab, 0, false, NULL);
  struct labo_verify_facts f;
  (void) state;
  assert_contains (first, "for n in namenode2; do");
  assert_contains (first, "$T 3 ping -c 1 -W 2");
  assert_contains (first, "ssh -o BatchMode=yes -o ConnectTimeout=3");
  assert_contains (first, "$T 5 java -version");
  assert_contains (first, "/etc/zookeeper/conf/zoo.cfg /conf/zoo.cfg");
  assert_contains (first, "/var/lib/zookeeper/myid /data/myid");
  assert_null (strstr (second, "ping"));
  assert_null (strstr (process, "java"));
  assert_null (strstr (process, "ssh"));
  assert_contains (process, "ping");
  {
    static const bool reach[] = { true, false };
    cleanup_free char *none = labo_verify_node_script (lab, 0, true, reach);
    assert_null (strstr (none, "namenode2"));
  }

  labo_verify_facts_init (lab, &f);
  labo_verify_parse_node (lab, 0,
                          "garbage line\n"
                          "ssh namenode2 255 root@namenode2: Permission denied (publickey).\n"
                          "ping namenode2 1\n"
                          "ping nosuchnode 0\n"
                          "datadir /data\n"
                          "myid /data/myid 7\n"
                          "java 127\n",
                          &f);
  assert_true (f.nodes[0].asked);
  assert_false (f.nodes[1].asked);
  assert_int_equal (f.nodes[0].java, 127);
  assert_int_equal (f.nodes[1].ping, 1);
  assert_int_equal (f.nodes[1].ssh, 255);
  assert_string_equal (f.nodes[1].ssh_out, "root@namenode2: Permission denied (publickey).");
  assert_string_equal (f.nodes[0].myid_path, "/data/myid");
  assert_string_equal (f.nodes[0].myid, "7");
  assert_string_equal (f.nodes[0].data_dir, "/data");
  assert_null (f.nodes[0].cfg_path);
  labo_verify_facts_free (lab, &f);
}

/* The trainer's line: the count, then the first step not done. */
static void
one_line_per_lab (void **state)
{
  cleanup_lab struct labo_lab *lab = seed ();
  struct labo_verify_facts f;
  struct labo_verify_report r;
  char *buf = NULL;
  size_t len = 0;
  FILE *out;
  json_t *j;
  (void) state;
  all_done (lab, &f);
  f.nodes[1].ssh = 255;
  free (f.nodes[1].ssh_out);
  f.nodes[1].ssh_out = xstrdup ("Permission denied (publickey,password).");
  labo_verify_assess (lab, &f, &r);
  j = labo_verify_report_json (&r);
  out = open_memstream (&buf, &len);
  labo_verify_print_line (j, 6, out);
  fclose (out);
  assert_string_equal (buf, "seed    10/11  next: ssh (namenode1 -> namenode2 asks for a "
                            "password)\n");
  free (buf);
  out = open_memstream (&buf, &len);
  labo_verify_print (j, out);
  fclose (out);
  assert_contains (buf, "labo verify seed: 10 of 11 steps done\n"
                        "  done     docker      Docker answers on mida-clm1 and mida-clm2\n");
  assert_contains (buf, "  not yet  ssh         namenode1 -> namenode2 asks for a password\n"
                        "           hint: on namenode1: ssh-keygen -t rsa, then ssh-copy-id -i "
                        "~/.ssh/id_rsa.pub root@namenode2\n");
  free (buf);
  json_decref (j);
  labo_verify_report_free (&r);
  labo_verify_facts_free (lab, &f);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (seed_all_done_is_11_of_11),
    cmocka_unit_test (ids_are_the_tutorials_order),
    cmocka_unit_test (a_daemon_down),
    cmocka_unit_test (a_host_not_in_the_swarm),
    cmocka_unit_test (overlay_missing_or_other_subnet),
    cmocka_unit_test (a_node_not_running),
    cmocka_unit_test (no_ping_answer),
    cmocka_unit_test (ssh_failures),
    cmocka_unit_test (no_java),
    cmocka_unit_test (myid_missing_or_wrong),
    cmocka_unit_test (servers_missing_or_wrong),
    cmocka_unit_test (roles_two_leaders_or_none),
    cmocka_unit_test (process_runtime_steps_not_applicable),
    cmocka_unit_test (lab_without_nodes_or_overlay),
    cmocka_unit_test (node_script_and_its_lines),
    cmocka_unit_test (one_line_per_lab),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
