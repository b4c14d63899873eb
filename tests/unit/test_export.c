/* Unit tests for `labo export --format stack` (issue 15): the model as a
 * Compose document (pure), its YAML (libyaml's emitter, quoting what YAML
 * 1.1 would read as something else), the notes of what is not carried,
 * the registry's names, and the image config a save archive carries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "labo/docker/image.h"
#include "labo/engine/export.h"
#include "labo/model/labfile.h"
#include "labo/util/util.h"

static struct labo_lab *
load (const char *path)
{
  struct labo_diags d = { NULL, 0 };
  struct labo_lab *lab = labo_labfile_load (path, &d);
  if (lab == NULL)
    labo_diags_print (&d, stderr);
  labo_diags_free (&d);
  assert_non_null (lab);
  return lab;
}

static struct labo_lab *
parse (const char *text)
{
  struct labo_diags d = { NULL, 0 };
  struct labo_lab *lab = labo_labfile_parse ("test.yaml", text, strlen (text), &d);
  if (lab == NULL)
    labo_diags_print (&d, stderr);
  labo_diags_free (&d);
  assert_non_null (lab);
  return lab;
}

/* Every node's image "labo/NAME:k" of its kind's recipe. */
static const char *const images[] = { "labo/zookeeper:k", "labo/zookeeper:k", "labo/zookeeper:k",
                                      "labo/zookeeper:k", "labo/zookeeper:k", NULL };
static const char *const etcd_images[] = { "labo/etcd:e", "labo/etcd:e", "labo/etcd:e", NULL };

static const char *
str (const json_t *doc, const char *path)
{
  json_t *v = json_object_get (doc, "");
  (void) v;
  /* a path of keys and indexes: "services/namenode1/image", "ports/0" */
  cleanup_free char *p = xstrdup (path);
  const json_t *cur = doc;
  char *save = NULL;
  for (char *k = strtok_r (p, "/", &save); k && cur; k = strtok_r (NULL, "/", &save))
    cur = json_is_array (cur) ? json_array_get (cur, strtoul (k, NULL, 10))
                              : json_object_get (cur, k);
  if (cur == NULL)
    fail_msg ("no %s", path);
  if (json_is_integer (cur))
    {
      static char num[32];
      snprintf (num, sizeof num, "%lld", (long long) json_integer_value (cur));
      return num;
    }
  if (json_is_true (cur))
    return "true";
  return json_string_value (cur);
}

static bool
array_has (const json_t *a, const char *s)
{
  size_t i;
  json_t *v;
  json_array_foreach (a, i, v)
  {
    if (json_is_string (v) && strcmp (json_string_value (v), s) == 0)
      return true;
  }
  return false;
}

static bool
notes_say (const json_t *notes, const char *part)
{
  size_t i;
  json_t *v;
  json_array_foreach (notes, i, v)
  {
    if (strstr (json_string_value (v), part))
      return true;
  }
  return false;
}

static void
seed_as_a_stack (void **state)
{
  cleanup_lab struct labo_lab *lab = load ("netns/seed.yaml");
  struct labo_export o = { .images = images };
  json_t *notes = NULL;
  json_t *doc = labo_export_stack_json (lab, &o, &notes);
  json_t *n1 = json_object_get (json_object_get (doc, "services"), "namenode1");
  json_t *env = json_object_get (n1, "environment");

  (void) state;
  assert_string_equal (str (doc, "version"), "3.8");
  assert_int_equal (json_object_size (json_object_get (doc, "services")), 2);
  assert_string_equal (str (n1, "image"), "labo/zookeeper:k");
  assert_string_equal (str (n1, "hostname"), "namenode1");
  /* placed on its host, one replica, its name resolving to its task */
  assert_string_equal (str (n1, "deploy/placement/constraints/0"), "node.hostname == mida-clm1");
  assert_string_equal (str (doc, "services/namenode2/deploy/placement/constraints/0"),
                       "node.hostname == mida-clm2");
  assert_string_equal (str (n1, "deploy/replicas"), "1");
  assert_string_equal (str (n1, "deploy/endpoint_mode"), "dnsrr");
  assert_string_equal (str (n1, "deploy/labels/labo.lab"), "seed");
  /* the supervisor's policy: any death, min gap, give up after 5 in 60 s */
  assert_string_equal (str (n1, "deploy/restart_policy/condition"), "any");
  assert_string_equal (str (n1, "deploy/restart_policy/delay"), "1s");
  assert_string_equal (str (n1, "deploy/restart_policy/max_attempts"), "5");
  assert_string_equal (str (n1, "deploy/restart_policy/window"), "60s");
  /* the tutorial's ports, on the host */
  assert_int_equal (json_array_size (json_object_get (n1, "ports")), 3);
  assert_string_equal (str (n1, "ports/0/target"), "2181");
  assert_string_equal (str (n1, "ports/0/published"), "32181");
  assert_string_equal (str (n1, "ports/0/mode"), "host");
  assert_string_equal (str (n1, "ports/0/protocol"), "tcp");
  /* ZooKeeper's id and servers, by name */
  assert_true (array_has (env, "ZOO_MY_ID=1"));
  assert_true (array_has (env, "ZOO_SERVERS=server.1=namenode1:2888:3888;2181 "
                               "server.2=namenode2:2888:3888;2181"));
  assert_true (array_has (env, "LABO_ZK_UID=2181"));
  assert_true (array_has (json_object_get (json_object_get (json_object_get (doc, "services"),
                                                            "namenode2"),
                                           "environment"),
                          "ZOO_MY_ID=2"));
  /* no sshd: no listen address given */
  for (size_t i = 0; i < json_array_size (env); i++)
    assert_null (strstr (json_string_value (json_array_get (env, i)), "LABO_SSH_LISTEN"));
  /* its data on a volume, declared */
  assert_string_equal (str (n1, "volumes/0"), "namenode1-data:/var/lib/zookeeper");
  assert_non_null (json_object_get (json_object_get (doc, "volumes"), "namenode1-data"));
  /* the kind's probe, timed by supervise: */
  assert_string_equal (str (n1, "healthcheck/test/0"), "CMD-SHELL");
  assert_non_null (strstr (str (n1, "healthcheck/test/1"), "echo ruok | nc"));
  assert_string_equal (str (n1, "healthcheck/interval"), "2s");
  assert_string_equal (str (n1, "healthcheck/retries"), "3");
  assert_string_equal (str (n1, "healthcheck/start_period"), "60s");
  /* the overlay; Weave's names as aliases; no ipv4_address, said */
  assert_string_equal (str (doc, "networks/weave/name"), "weave");
  assert_string_equal (str (doc, "networks/weave/driver"), "overlay");
  assert_string_equal (str (doc, "networks/weave/attachable"), "true");
  assert_string_equal (str (doc, "networks/weave/ipam/config/0/subnet"), "10.0.0.0/24");
  assert_string_equal (str (n1, "networks/weave/aliases/0"), "namenode1.weave.local");
  assert_null (json_object_get (json_object_get (json_object_get (n1, "networks"), "weave"),
                                "ipv4_address"));
  assert_true (notes_say (notes, "Swarm ignores ipv4_address"));
  assert_true (notes_say (notes, "namenode1 and namenode2"));
  assert_true (notes_say (notes, "faults"));
  assert_true (notes_say (notes, "sshd"));
  assert_true (notes_say (notes, "root address"));
  /* the seed's pool is labo's default: not a note */
  assert_false (notes_say (notes, "address pool"));
  json_decref (doc);
  json_decref (notes);
}

static void
zk3_yaml_text (void **state)
{
  cleanup_lab struct labo_lab *lab = load ("netns/zk3.yaml");
  struct labo_export o = { .images = images, .file = "zk3-stack.yaml" };
  labo_error_t err = NULL;
  json_t *notes = NULL;
  cleanup_free char *y = labo_export_stack (lab, &o, &notes, &err);

  (void) state;
  assert_non_null (y);
  /* the header: what it is, the command, each note as a comment */
  assert_non_null (strstr (y, "# Lab zk3 (netns/zk3.yaml) for a Docker Swarm"));
  assert_non_null (strstr (y, "#   docker stack deploy --resolve-image never -c zk3-stack.yaml zk3"));
  assert_non_null (strstr (y, "# What a stack cannot carry:\n# - "));
  /* the prose is wrapped; a command ("#   ...") is kept whole */
  for (const char *p = y; *p && *p == '#'; p = strchr (p, '\n') + 1)
    assert_true (strncmp (p, "#   ", 4) == 0 || strchr (p, '\n') - p <= 80);
  assert_non_null (strstr (y, "# On the manager, zk1:\n"));
  /* YAML 1.1 would read 3.8 as a number, "2s" is safe either way */
  assert_non_null (strstr (y, "\nversion: \"3.8\"\n"));
  assert_non_null (strstr (y, "\n  zoo3:\n    image: labo/zookeeper:k\n    hostname: zoo3\n"));
  assert_non_null (strstr (y, "    - ZOO_MY_ID=3\n"));
  assert_non_null (strstr (y, "    - \"ZOO_SERVERS=server.1=zoo1:2888:3888;2181 "
                              "server.2=zoo2:2888:3888;2181 server.3=zoo3:2888:3888;2181\"\n"));
  assert_non_null (strstr (y, "        - \"node.hostname == zk3\"\n"));
  assert_non_null (strstr (y, "      published: 32181\n"));
  assert_non_null (strstr (y, "  zk:\n    name: zk\n    driver: overlay\n    attachable: true\n"));
  assert_non_null (strstr (y, "  zoo1-data: {}\n"));
  assert_int_equal (y[strlen (y) - 1], '\n');
  assert_true (notes_say (notes, "zoo1, zoo2 and zoo3"));
  json_decref (notes);
}

static void
etcd3_cluster (void **state)
{
  cleanup_lab struct labo_lab *lab = load ("netns/etcd3.yaml");
  struct labo_export o = { .images = etcd_images, .registry = "registry.example:5000/labo/" };
  json_t *notes = NULL;
  json_t *doc = labo_export_stack_json (lab, &o, &notes);
  json_t *e2 = json_object_get (json_object_get (doc, "services"), "etcd2");
  json_t *env = json_object_get (e2, "environment");

  (void) state;
  assert_string_equal (str (e2, "image"), "registry.example:5000/labo/etcd:e");
  assert_true (array_has (env, "ETCD_NAME=etcd2"));
  assert_true (array_has (env, "ETCD_INITIAL_CLUSTER=etcd1=http://etcd1:2380,"
                               "etcd2=http://etcd2:2380,etcd3=http://etcd3:2380"));
  assert_true (array_has (env, "ETCD_INITIAL_CLUSTER_TOKEN=etcd3"));
  assert_string_equal (str (e2, "volumes/0"), "etcd2-data:/var/lib/etcd");
  assert_non_null (strstr (str (e2, "healthcheck/test/1"), "GET /health"));
  assert_string_equal (str (e2, "deploy/placement/constraints/0"), "node.hostname == kv2");
  /* etcd runs no sshd: not said of it */
  assert_false (notes_say (notes, "sshd"));
  json_decref (doc);
  json_decref (notes);
}

static void
what_is_not_carried (void **state)
{
  static const char text[]
      = "lab: odd\n"
        "runtime: process\n"
        "segments:\n"
        "  net: {subnet: 198.51.100.64/27}\n"
        "hosts:\n"
        "  r: {links: [{segment: net, address: 198.51.100.65}]}\n"
        "  h1: {docker: manager, links: [{segment: net, address: 198.51.100.66}]}\n"
        "overlay: {name: weave, subnet: 10.0.0.0/24}\n"
        "supervise: {restart: false, probe: {interval: 0s}}\n"
        "nodes:\n"
        "  zk: {host: h1, address: 10.0.0.1, service: zookeeper}\n"
        "  web:\n"
        "    host: h1\n"
        "    address: 10.0.0.2\n"
        "    image: busybox\n"
        "    command: [httpd, -f]\n"
        "    health: {http: 'http://web:80/'}\n"
        "    after: [zk]\n";
  cleanup_lab struct labo_lab *lab = parse (text);
  struct labo_export o = { .images = images };
  json_t *notes = NULL;
  json_t *doc = labo_export_stack_json (lab, &o, &notes);
  json_t *zk = json_object_get (json_object_get (doc, "services"), "zk");
  json_t *web = json_object_get (json_object_get (doc, "services"), "web");

  (void) state;
  assert_string_equal (str (zk, "deploy/restart_policy/condition"), "none");
  assert_null (json_object_get (zk, "healthcheck")); /* not probed in the lab */
  assert_string_equal (str (web, "command/0"), "httpd");
  assert_null (json_object_get (web, "healthcheck"));
  assert_true (notes_say (notes, "process runtime"));
  assert_true (notes_say (notes, "host r runs no Docker"));
  assert_true (notes_say (notes, "node web: its health check (GET http://web:80/)"));
  assert_true (notes_say (notes, "node web: a stack starts its services in no order"));
  assert_true (notes_say (notes, "node zk: not probed"));
  assert_false (notes_say (notes, "doubles")); /* no restart, no backoff */
  json_decref (doc);
  json_decref (notes);
}

static void
by_hand_nodes_start_at_once (void **state)
{
  cleanup_lab struct labo_lab *lab = load ("netns/seed-by-hand.yaml");
  struct labo_export o = { .images = images };
  json_t *notes = NULL;
  json_t *doc = labo_export_stack_json (lab, &o, &notes);

  (void) state;
  assert_true (notes_say (notes, "node namenode1: started by hand"));
  assert_true (array_has (json_object_get (json_object_get (json_object_get (doc, "services"),
                                                            "namenode2"),
                                           "environment"),
                          "ZOO_MY_ID=2"));
  json_decref (doc);
  json_decref (notes);
}

static void
yaml_quotes_what_would_change (void **state)
{
  json_t *doc = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:n, s:[]}",
                           "a", "yes", "b", "3.8", "c", "1:20", "d", "", "e", "labo/zk:1",
                           "f", "key: value", "g", "On", "h", "# not a comment", "i", 7, "j",
                           0, "k", "l");
  labo_error_t err = NULL;
  cleanup_free char *y = labo_yaml_from_json (doc, &err);

  (void) state;
  assert_non_null (y);
  assert_non_null (strstr (y, "a: \"yes\"\n"));
  assert_non_null (strstr (y, "b: \"3.8\"\n"));
  assert_non_null (strstr (y, "c: \"1:20\"\n"));
  assert_non_null (strstr (y, "d: \"\"\n"));
  assert_non_null (strstr (y, "e: labo/zk:1\n"));
  assert_non_null (strstr (y, "f: \"key: value\"\n"));
  assert_non_null (strstr (y, "g: \"On\"\n"));
  assert_non_null (strstr (y, "h: \"# not a comment\"\n"));
  assert_non_null (strstr (y, "i: 7\n"));
  assert_non_null (strstr (y, "j: false\n"));
  assert_non_null (strstr (y, "k: null\n"));
  assert_non_null (strstr (y, "l: []\n"));
  json_decref (doc);
}

static void
registry_names (void **state)
{
  (void) state;
  const struct
  {
    const char *ref, *registry, *want;
  } cases[] = {
    { "labo/zookeeper:abc", NULL, "labo/zookeeper:abc" },
    { "labo/zookeeper:abc", "reg.example:5000/lab", "reg.example:5000/lab/zookeeper:abc" },
    { "labo/etcd:e", "reg/", "reg/etcd:e" },
    { "labo/archive:0123", "r/p", "r/p/archive:0123" },
  };
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      cleanup_free char *got = labo_export_image_name (cases[i].ref, cases[i].registry);
      assert_string_equal (got, cases[i].want);
    }
}

/* docker load's config: what the import's changes say */
static void
image_config_of_changes (void **state)
{
  json_t *c = labo_image_config_of_changes (labo_image_changes ("zookeeper"));
  cleanup_free char *s = json_dumps (c, JSON_COMPACT | JSON_SORT_KEYS);

  (void) state;
  assert_string_equal (s, "{\"Cmd\":[\"zkServer\"],\"Entrypoint\":[\"/docker-entrypoint.sh\"],"
                          "\"Env\":[\"PATH=/opt/jre/bin:/usr/bin:/bin\"],\"ExposedPorts\":"
                          "{\"2181/tcp\":{},\"2888/tcp\":{},\"3888/tcp\":{}},\"WorkingDir\":\"/\"}");
  assert_null (labo_image_changes ("nosuch"));
  json_decref (c);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (seed_as_a_stack),
    cmocka_unit_test (zk3_yaml_text),
    cmocka_unit_test (etcd3_cluster),
    cmocka_unit_test (what_is_not_carried),
    cmocka_unit_test (by_hand_nodes_start_at_once),
    cmocka_unit_test (yaml_quotes_what_would_change),
    cmocka_unit_test (registry_names),
    cmocka_unit_test (image_config_of_changes),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
