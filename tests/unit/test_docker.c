/* Unit tests for the Docker API's pure parts (src/docker/spec.c): request
 * bodies against the ones verified on dockerd 20.10.24, import queries,
 * error messages, progress streams. No daemon needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "labo/docker/docker.h"
#include "labo/util/util.h"

static uint32_t
A (const char *s)
{
  uint32_t a = 0;
  assert_int_equal (labo_ipv4_parse (s, &a), 0);
  return a;
}

/* Compares as JSON values (key order aside) and shows both on a mismatch. */
static void
assert_json (json_t *got, const char *expected_text)
{
  json_error_t jerr;
  json_t *expected = json_loads (expected_text, 0, &jerr);

  if (expected == NULL)
    fail_msg ("bad expected JSON: %s", jerr.text);
  assert_non_null (got);
  if (!json_equal (got, expected))
    {
      cleanup_free char *g = json_dumps (got, JSON_COMPACT | JSON_SORT_KEYS);
      cleanup_free char *e = json_dumps (expected, JSON_COMPACT | JSON_SORT_KEYS);
      json_decref (expected);
      json_decref (got);
      fail_msg ("JSON differs\n got:      %s\n expected: %s", g, e);
    }
  json_decref (expected);
  json_decref (got);
}

/* ---- bodies: the exact ones of build/research/ (NOTES.md §3, §4) ---- */

static void
test_swarm_init_body (void **state)
{
  struct labo_swarm swarm = { .address_pool = { A ("10.128.0.0"), 16 }, .subnet_size = 24 };

  assert_json (labo_docker_swarm_init_body (A ("198.51.100.198"), &swarm),
               "{\"ListenAddr\":\"198.51.100.198:2377\",\"AdvertiseAddr\":\"198.51.100.198\","
               "\"DataPathAddr\":\"198.51.100.198\",\"DefaultAddrPool\":[\"10.128.0.0/16\"],"
               "\"SubnetSize\":24,\"ForceNewCluster\":false,\"Spec\":{}}");

  /* Other settings are carried as given. */
  swarm = (struct labo_swarm){ .address_pool = { A ("172.30.0.0"), 20 }, .subnet_size = 26 };
  assert_json (labo_docker_swarm_init_body (A ("192.0.2.1"), &swarm),
               "{\"ListenAddr\":\"192.0.2.1:2377\",\"AdvertiseAddr\":\"192.0.2.1\","
               "\"DataPathAddr\":\"192.0.2.1\",\"DefaultAddrPool\":[\"172.30.0.0/20\"],"
               "\"SubnetSize\":26,\"ForceNewCluster\":false,\"Spec\":{}}");

  /* No swarm section, or a zeroed one: Docker's own defaults, explicitly. */
  static const char defaults[]
      = "{\"ListenAddr\":\"192.0.2.1:2377\",\"AdvertiseAddr\":\"192.0.2.1\","
        "\"DataPathAddr\":\"192.0.2.1\",\"DefaultAddrPool\":[\"10.128.0.0/16\"],"
        "\"SubnetSize\":24,\"ForceNewCluster\":false,\"Spec\":{}}";
  assert_json (labo_docker_swarm_init_body (A ("192.0.2.1"), NULL), defaults);
  swarm = (struct labo_swarm){ 0 };
  assert_json (labo_docker_swarm_init_body (A ("192.0.2.1"), &swarm), defaults);
}

static void
test_swarm_join_body (void **state)
{
  assert_json (labo_docker_swarm_join_body (A ("198.51.100.101"), A ("198.51.100.198"),
                                            "SWMTKN-1-abc-def"),
               "{\"ListenAddr\": \"198.51.100.101:2377\", \"AdvertiseAddr\": \"198.51.100.101\","
               " \"DataPathAddr\": \"198.51.100.101\", \"RemoteAddrs\": [\"198.51.100.198:2377\"],"
               " \"JoinToken\": \"SWMTKN-1-abc-def\"}");
}

static void
test_network_body (void **state)
{
  struct labo_overlay o = {
    .present = true,
    .name = (char *) "weave",
    .subnet = { A ("10.0.0.0"), 24 },
    .gateway = A ("10.0.0.254"),
    .ip_range = { A ("10.0.0.128"), 25 },
  };

  assert_json (labo_docker_network_body (&o, "rsch"),
               "{\"Name\":\"weave\",\"CheckDuplicate\":true,\"Driver\":\"overlay\","
               "\"Attachable\":true,\"Internal\":false,\"EnableIPv6\":false,"
               "\"IPAM\":{\"Driver\":\"default\",\"Config\":[{\"Subnet\":\"10.0.0.0/24\","
               "\"Gateway\":\"10.0.0.254\",\"IPRange\":\"10.0.0.128/25\"}]},"
               "\"Options\":{},\"Labels\":{\"labo.lab\":\"rsch\"}}");

  /* Unset gateway and range are Docker's to choose. */
  o.name = (char *) "net2";
  o.subnet = (struct labo_prefix){ A ("10.9.0.0"), 16 };
  o.gateway = 0;
  o.ip_range = (struct labo_prefix){ 0, 0 };
  assert_json (labo_docker_network_body (&o, "lab-2"),
               "{\"Name\":\"net2\",\"CheckDuplicate\":true,\"Driver\":\"overlay\","
               "\"Attachable\":true,\"Internal\":false,\"EnableIPv6\":false,"
               "\"IPAM\":{\"Driver\":\"default\",\"Config\":[{\"Subnet\":\"10.9.0.0/16\"}]},"
               "\"Options\":{},\"Labels\":{\"labo.lab\":\"lab-2\"}}");
}

/* The research lab: two Docker hosts, one ZooKeeper node on each. */
struct research_lab
{
  struct labo_lab lab;
  struct labo_host hosts[2];
  struct labo_node nodes[2];
  struct labo_port ports[2][3];
};

static void
research_lab (struct research_lab *r)
{
  static const uint16_t published[3][2] = { { 32181, 2181 }, { 22888, 2888 }, { 33888, 3888 } };

  memset (r, 0, sizeof (*r));
  r->hosts[0] = (struct labo_host){ .name = (char *) "mida-clm1",
                                    .docker = LABO_DOCKER_MANAGER,
                                    .lab_address = A ("198.51.100.198") };
  r->hosts[1] = (struct labo_host){ .name = (char *) "mida-clm2",
                                    .docker = LABO_DOCKER_WORKER,
                                    .lab_address = A ("198.51.100.101") };
  for (int n = 0; n < 2; n++)
    {
      for (int p = 0; p < 3; p++)
        r->ports[n][p] = (struct labo_port){ .host_port = published[p][0],
                                             .container_port = published[p][1] };
      r->nodes[n] = (struct labo_node){ .name = (char *) (n == 0 ? "namenode1" : "namenode2"),
                                        .host = (size_t) n,
                                        .address = A (n == 0 ? "10.0.0.1" : "10.0.0.2"),
                                        .service = LABO_SERVICE_ZOOKEEPER,
                                        .ports = r->ports[n],
                                        .n_ports = 3,
                                        .myid = n + 1,
                                        .client_port = 2181 };
    }
  r->lab = (struct labo_lab){
    .name = (char *) "rsch",
    .file = (char *) "r.yaml",
    .hosts = r->hosts,
    .n_hosts = 2,
    .nodes = r->nodes,
    .n_nodes = 2,
    .overlay = { .present = true,
                 .name = (char *) "weave",
                 .subnet = { A ("10.0.0.0"), 24 },
                 .gateway = A ("10.0.0.254"),
                 .ip_range = { A ("10.0.0.128"), 25 } },
  };
}

/* build/research/create-namenode{1,2}.json, plus the labo.node label and
 * the other node's address in /etc/hosts (ExtraHosts), and every node's Weave name
 * (namenode2.weave.local) there and as an alias. */
static void
test_container_body (void **state)
{
  struct research_lab r;
  static const char *const env1[]
      = { "ZOO_MY_ID=1",
          "ZOO_SERVERS=server.1=namenode1:2888:3888;2181 server.2=namenode2:2888:3888;2181", NULL };
  static const char *const env2[]
      = { "ZOO_MY_ID=2",
          "ZOO_SERVERS=server.1=namenode1:2888:3888;2181 server.2=namenode2:2888:3888;2181", NULL };

  research_lab (&r);
  assert_json (
      labo_docker_container_body (&r.lab, &r.nodes[0], "labo/zookeeper:3.8.0", env1),
      "{\"Image\":\"labo/zookeeper:3.8.0\",\"Hostname\":\"namenode1\",\"Env\":[\"ZOO_MY_ID=1\","
      "\"ZOO_SERVERS=server.1=namenode1:2888:3888;2181 server.2=namenode2:2888:3888;2181\"],"
      "\"Labels\":{\"labo.lab\":\"rsch\",\"labo.host\":\"mida-clm1\",\"labo.node\":\"namenode1\"},"
      "\"ExposedPorts\":{\"2181/tcp\":{},\"2888/tcp\":{},\"3888/tcp\":{}},"
      "\"HostConfig\":{\"NetworkMode\":\"weave\",\"PortBindings\":{"
      "\"2181/tcp\":[{\"HostIp\":\"198.51.100.198\",\"HostPort\":\"32181\"}],"
      "\"2888/tcp\":[{\"HostIp\":\"198.51.100.198\",\"HostPort\":\"22888\"}],"
      "\"3888/tcp\":[{\"HostIp\":\"198.51.100.198\",\"HostPort\":\"33888\"}]},"
      "\"ExtraHosts\":[\"namenode1.weave.local:10.0.0.1\",\"namenode2:10.0.0.2\",\"namenode2.weave.local:10.0.0.2\"],"
      "\"RestartPolicy\":{\"Name\":\"no\"},"
      "\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"max-size\":\"10m\",\"max-file\":\"3\"}}},"
      "\"NetworkingConfig\":{\"EndpointsConfig\":{\"weave\":{\"IPAMConfig\":"
      "{\"IPv4Address\":\"10.0.0.1\"},\"Aliases\":[\"namenode1\",\"namenode1.weave.local\"]}}}}");
  assert_json (
      labo_docker_container_body (&r.lab, &r.nodes[1], "labo/zookeeper:3.8.0", env2),
      "{\"Image\":\"labo/zookeeper:3.8.0\",\"Hostname\":\"namenode2\",\"Env\":[\"ZOO_MY_ID=2\","
      "\"ZOO_SERVERS=server.1=namenode1:2888:3888;2181 server.2=namenode2:2888:3888;2181\"],"
      "\"Labels\":{\"labo.lab\":\"rsch\",\"labo.host\":\"mida-clm2\",\"labo.node\":\"namenode2\"},"
      "\"ExposedPorts\":{\"2181/tcp\":{},\"2888/tcp\":{},\"3888/tcp\":{}},"
      "\"HostConfig\":{\"NetworkMode\":\"weave\",\"PortBindings\":{"
      "\"2181/tcp\":[{\"HostIp\":\"198.51.100.101\",\"HostPort\":\"32181\"}],"
      "\"2888/tcp\":[{\"HostIp\":\"198.51.100.101\",\"HostPort\":\"22888\"}],"
      "\"3888/tcp\":[{\"HostIp\":\"198.51.100.101\",\"HostPort\":\"33888\"}]},"
      "\"ExtraHosts\":[\"namenode1:10.0.0.1\",\"namenode1.weave.local:10.0.0.1\",\"namenode2.weave.local:10.0.0.2\"],"
      "\"RestartPolicy\":{\"Name\":\"no\"},"
      "\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"max-size\":\"10m\",\"max-file\":\"3\"}}},"
      "\"NetworkingConfig\":{\"EndpointsConfig\":{\"weave\":{\"IPAMConfig\":"
      "{\"IPv4Address\":\"10.0.0.2\"},\"Aliases\":[\"namenode2\",\"namenode2.weave.local\"]}}}}");
}

static void
test_container_body_minimal (void **state)
{
  struct research_lab r;
  static const char *const no_env[] = { NULL };

  research_lab (&r);
  /* No env, no ports, no overlay: none of those keys. */
  r.nodes[0].n_ports = 0;
  r.lab.overlay.present = false;
  assert_json (labo_docker_container_body (&r.lab, &r.nodes[0], "busybox", NULL),
               "{\"Image\":\"busybox\",\"Hostname\":\"namenode1\","
               "\"Labels\":{\"labo.lab\":\"rsch\",\"labo.host\":\"mida-clm1\","
               "\"labo.node\":\"namenode1\"},\"ExposedPorts\":{},"
               "\"HostConfig\":{\"PortBindings\":{},\"RestartPolicy\":{\"Name\":\"no\"},"
               "\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"max-size\":\"10m\",\"max-file\":\"3\"}}}}");
  /* An empty env is an empty Env; one port is one binding. */
  r.nodes[0].n_ports = 1;
  r.ports[0][0] = (struct labo_port){ .host_port = 65535, .container_port = 1 };
  assert_json (labo_docker_container_body (&r.lab, &r.nodes[0], "busybox", no_env),
               "{\"Image\":\"busybox\",\"Hostname\":\"namenode1\",\"Env\":[],"
               "\"Labels\":{\"labo.lab\":\"rsch\",\"labo.host\":\"mida-clm1\","
               "\"labo.node\":\"namenode1\"},\"ExposedPorts\":{\"1/tcp\":{}},"
               "\"HostConfig\":{\"PortBindings\":{\"1/tcp\":[{\"HostIp\":\"198.51.100.198\","
               "\"HostPort\":\"65535\"}]},\"RestartPolicy\":{\"Name\":\"no\"},"
               "\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"max-size\":\"10m\",\"max-file\":\"3\"}}}}");
}

/* The body is what json_dumps sends: it must serialise. */
static void
test_bodies_serialise (void **state)
{
  struct research_lab r;
  json_t *b;
  cleanup_free char *text = NULL;

  research_lab (&r);
  b = labo_docker_container_body (&r.lab, &r.nodes[0], "labo/zookeeper:3.8.0", NULL);
  text = json_dumps (b, JSON_COMPACT);
  json_decref (b);
  assert_non_null (text);
  assert_non_null (strstr (text, "\"IPv4Address\":\"10.0.0.1\""));
  /* Key order follows the verified body, for people reading dumps. */
  assert_true (strncmp (text, "{\"Image\":\"labo/zookeeper:3.8.0\",\"Hostname\":\"namenode1\",", 55)
               == 0);
}

/* ---- import query ---- */

static void
test_import_query_research (void **state)
{
  static const char *const changes[] = {
    "ENTRYPOINT [\"/docker-entrypoint.sh\"]", "CMD [\"zkServer\"]", "ENV PATH=/opt/jre/bin:/bin",
    "WORKDIR /", "EXPOSE 2181/tcp 2888/tcp 3888/tcp", NULL,
  };
  cleanup_free char *q = labo_docker_import_query ("labo/zookeeper", "3.8.0", changes);

  /* build/research/import-url.txt, with the repository's slash encoded
   * too (the daemon decodes both the same). */
  assert_string_equal (
      q, "fromSrc=-&repo=labo%2Fzookeeper&tag=3.8.0&message=labo"
         "&changes=ENTRYPOINT%20%5B%22%2Fdocker-entrypoint.sh%22%5D&changes=CMD%20%5B%22zkServer%22%5D"
         "&changes=ENV%20PATH%3D%2Fopt%2Fjre%2Fbin%3A%2Fbin&changes=WORKDIR%20%2F"
         "&changes=EXPOSE%202181%2Ftcp%202888%2Ftcp%203888%2Ftcp");
}

static void
test_import_query_encoding (void **state)
{
  static const char *const changes[] = {
    "LABEL a=\"b c\" d='e'", "CMD [\"sh\", \"-c\", \"echo 100% & exit\"]", "ENV X=1+2;y#z?",
    "ENV U=\xc3\xa9t\xc3\xa9", "", "ENV T=~._-", NULL,
  };
  cleanup_free char *q = labo_docker_import_query ("r", "t", changes);
  cleanup_free char *q2 = labo_docker_import_query ("a b", NULL, NULL);
  static const char *const none[] = { NULL };
  cleanup_free char *q3 = labo_docker_import_query (NULL, NULL, none);

  assert_string_equal (q, "fromSrc=-&repo=r&tag=t&message=labo"
                          "&changes=LABEL%20a%3D%22b%20c%22%20d%3D%27e%27"
                          "&changes=CMD%20%5B%22sh%22%2C%20%22-c%22%2C%20%22echo%20100%25%20%26%20exit%22%5D"
                          "&changes=ENV%20X%3D1%2B2%3By%23z%3F"
                          "&changes=ENV%20U%3D%C3%A9t%C3%A9"
                          "&changes="
                          "&changes=ENV%20T%3D~._-");
  assert_string_equal (q2, "fromSrc=-&repo=a%20b&message=labo");
  assert_string_equal (q3, "fromSrc=-&message=labo");
}

/* Many long changes: the buffer grows. */
static void
test_import_query_long (void **state)
{
  const char *changes[41];
  char big[600];
  cleanup_free char *q = NULL;
  size_t expect_len;

  memset (big, '/', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  for (int i = 0; i < 40; i++)
    changes[i] = big;
  changes[40] = NULL;
  q = labo_docker_import_query ("r", "t", changes);
  expect_len = strlen ("fromSrc=-&repo=r&tag=t&message=labo") + 40 * (strlen ("&changes=") + 3 * 599);
  assert_int_equal (strlen (q), expect_len);
  assert_non_null (strstr (q, "&changes=%2F%2F"));
  assert_null (strchr (q, '/'));
}

/* ---- gossip peers ---- */

/* GET /networks/ingress?verbose=true, as dockerd 20.10.24 of the seed's
 * mida-clm1 answered it (Containers, Services and Options cut short). */
static void
test_network_peers (void **state)
{
  static const char both[]
      = "{\"Name\":\"ingress\",\"Id\":\"utzuvb175ytkvbyh4k6v7j6ab\",\"Scope\":\"swarm\","
        "\"Driver\":\"overlay\",\"Ingress\":true,\"Containers\":{},\"Services\":{},"
        "\"Peers\":[{\"Name\":\"e584690645d9\",\"IP\":\"198.51.100.198\"},"
        "{\"Name\":\"d78005674a79\",\"IP\":\"198.51.100.101\"}]}";
  /* a daemon whose gossip has not started: no peers at all */
  static const char none[] = "{\"Name\":\"ingress\",\"Id\":\"utzuvb175y\",\"Peers\":null}";
  static const char absent[] = "{\"Name\":\"ingress\",\"Id\":\"utzuvb175y\"}";
  uint32_t *a = NULL;
  size_t n = 7;

  assert_int_equal (labo_docker_network_peers (both, strlen (both), &a, &n), 0);
  assert_int_equal (n, 2);
  assert_int_equal (a[0], A ("198.51.100.198"));
  assert_int_equal (a[1], A ("198.51.100.101"));
  free (a);
  assert_int_equal (labo_docker_network_peers (none, strlen (none), &a, &n), 0);
  assert_int_equal (n, 0);
  assert_null (a);
  assert_int_equal (labo_docker_network_peers (absent, strlen (absent), &a, &n), 0);
  assert_int_equal (n, 0);
  /* a node the gossip lost is listed with the address "unknown": none */
  static const char lost[] = "{\"Id\":\"x\",\"Peers\":[{\"Name\":\"d78005674a79\",\"IP\":"
                             "\"unknown\"},{\"Name\":\"e584690645d9\",\"IP\":\"198.51.100.198\"}]}";
  assert_int_equal (labo_docker_network_peers (lost, strlen (lost), &a, &n), 0);
  assert_int_equal (n, 1);
  assert_int_equal (a[0], A ("198.51.100.198"));
  free (a);

  /* not an inspection: an error reply, garbage, a peer with no address */
  static const char *const bad[] = {
    "{\"message\":\"network ingress not found\"}",
    "page not found",
    "{\"Id\":\"x\",\"Peers\":[{\"Name\":\"e584690645d9\",\"IP\":\"10.0.0\"}]}",
    "{\"Id\":\"x\",\"Peers\":[{\"Name\":\"e584690645d9\"}]}",
    "{\"Id\":\"x\",\"Peers\":{}}",
    "[]",
  };
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      a = (uint32_t *) 1;
      if (labo_docker_network_peers (bad[i], strlen (bad[i]), &a, &n) != -1)
        fail_msg ("accepted as an inspection: %s", bad[i]);
      assert_null (a);
      assert_int_equal (n, 0);
    }
  assert_int_equal (labo_docker_network_peers (NULL, 0, &a, &n), -1);
}

/* ---- error messages ---- */

static void
check_message (const char *body, const char *expected)
{
  cleanup_free char *m = labo_docker_error_message (body, body ? strlen (body) : 0);
  assert_string_equal (m, expected);
}

static void
test_error_message (void **state)
{
  check_message ("{\"message\":\"Pool overlaps with other one on this address space\"}\n",
                 "Pool overlaps with other one on this address space");
  check_message ("{\"message\":\"This node is already part of a swarm. Use \\\"docker swarm "
                 "leave\\\" to leave this swarm and join another one.\"}",
                 "This node is already part of a swarm. Use \"docker swarm leave\" to leave this "
                 "swarm and join another one.");
  check_message ("{\"message\": \"  padded \\n\"}", "padded");
  /* Not that JSON: the body itself, trimmed. */
  check_message ("404 page not found\n", "404 page not found");
  check_message ("  \r\n<html>oops</html>\t\n", "<html>oops</html>");
  check_message ("{\"error\":\"something\"}", "{\"error\":\"something\"}");
  check_message ("{\"message\":42}", "{\"message\":42}");
  check_message ("\"a string\"", "\"a string\"");
  check_message ("{\"message\":\"trunc", "{\"message\":\"trunc");
  /* Empty: nothing to say (the caller says "empty reply"). */
  check_message ("", "");
  check_message (" \n\n", "");
  check_message (NULL, "");

  /* Only len bytes count: the body is not NUL-terminated in general. */
  {
    static const char body[] = "{\"message\":\"short\"}GARBAGE";
    cleanup_free char *m = labo_docker_error_message (body, 19);
    assert_string_equal (m, "short");
  }
}

/* ---- progress streams ---- */

/* An import reply as the daemon sends it (\r\n line ends), with what a
 * parser meets in the wild around it. */
static const char stream_ok[]
    = "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1,\"total\":2},\"id\":\"x\"}\r\n"
      "\r\n"
      "\n"
      "this is not json\n"
      "[1,2,3]\n"
      "{\"status\":42}\n"
      "{\"progress\":\"[=====>   ]\"}\n"
      "{\"status\":\"sha256:0b332d1a7f\"}\r\n";

static const char stream_err[]
    = "{\"status\":\"Importing\"}\n"
      "{\"errorDetail\":{\"message\":\"archive/tar: invalid tar header\"},"
      "\"error\":\"legacy text\"}\n"
      "{\"error\":\"a second error\"}\n"
      "{\"status\":\"after\"}";                 /* no final newline */

static const char stream_error_only[]
    = "{\"error\":\"only the legacy field\"}\n{\"errorDetail\":{\"message\":\"later\"}}\n";

struct stream_case
{
  const char *text;
  const char *error;
  const char *status;
};

static const struct stream_case stream_cases[] = {
  { stream_ok, NULL, "sha256:0b332d1a7f" },
  { stream_err, "archive/tar: invalid tar header", "after" },
  { stream_error_only, "only the legacy field", NULL },
  { "", NULL, NULL },
  { "\n\n\r\n", NULL, NULL },
  { "{\"status\":\"no newline at all\"}", NULL, "no newline at all" },
  { "{\"errorDetail\":{},\"error\":\"fallback\"}", "fallback", NULL },
  { "{\"errorDetail\":{\"message\":\" trimmed \\n\"}}\n", "trimmed", NULL },
  { "{\"status\":\"a\"}\n{\"status\":\"b\"}\n{\"status\":\"c\"}\n", NULL, "c" },
  { "{\"status\":\"broken\n{\"status\":\"ok\"}\n", NULL, "ok" },
};

static void
check_stream (struct labo_ndjson *s, const struct stream_case *c, const char *how)
{
  if (c->error == NULL && s->error != NULL)
    fail_msg ("%s: unexpected error '%s'", how, s->error);
  if (c->error != NULL && (s->error == NULL || strcmp (s->error, c->error) != 0))
    fail_msg ("%s: error '%s', expected '%s'", how, s->error ? s->error : "(none)", c->error);
  if (c->status == NULL && s->status != NULL)
    fail_msg ("%s: unexpected status '%s'", how, s->status);
  if (c->status != NULL && (s->status == NULL || strcmp (s->status, c->status) != 0))
    fail_msg ("%s: status '%s', expected '%s'", how, s->status ? s->status : "(none)", c->status);
}

static void
test_ndjson_whole (void **state)
{
  for (size_t i = 0; i < sizeof stream_cases / sizeof *stream_cases; i++)
    {
      struct labo_ndjson s = { 0 };
      labo_ndjson_feed (&s, stream_cases[i].text, strlen (stream_cases[i].text));
      labo_ndjson_finish (&s);
      check_stream (&s, &stream_cases[i], "whole");
      labo_ndjson_free (&s);
    }
}

static void
test_ndjson_bytewise (void **state)
{
  for (size_t i = 0; i < sizeof stream_cases / sizeof *stream_cases; i++)
    {
      struct labo_ndjson s = { 0 };
      const char *t = stream_cases[i].text;
      for (size_t k = 0; t[k]; k++)
        {
          labo_ndjson_feed (&s, t + k, 1);
          labo_ndjson_feed (&s, t + k, 0); /* empty feeds change nothing */
        }
      labo_ndjson_finish (&s);
      check_stream (&s, &stream_cases[i], "byte by byte");
      labo_ndjson_free (&s);
    }
}

/* POST /images/load?quiet=1 (Docker 20.10 to 26): a "stream" line per
 * image loaded, by name when saved by name, by id when saved by id. */
static const struct
{
  const char *text;
  const char *loaded;
  size_t n_loaded;
} load_cases[] = {
  { "{\"stream\":\"Loaded image: busybox:latest\\n\"}\r\n", "busybox:latest", 1 },
  { "{\"stream\":\"Loaded image ID: sha256:0b332d1a7f\\n\"}\n", "sha256:0b332d1a7f", 1 },
  { "{\"stream\":\"Loaded image: a:1\\n\"}\n{\"stream\":\"Loaded image: b:2\\n\"}\n", "a:1", 2 },
  { "{\"stream\":\"Loaded image: a:1\\nLoaded image: b:2\\n\"}", "a:1", 2 },
  { "{\"stream\":\"Loading layer  1.2MB/1.2MB\\n\"}\n", NULL, 0 },
  { "{\"stream\":\"Loaded image: \\n\"}\n", NULL, 0 },
  { "{\"errorDetail\":{\"message\":\"unexpected EOF\"},\"error\":\"unexpected EOF\"}\n", NULL, 0 },
  { "{\"stream\":\"Loaded image: web:1  \\r\\n\"}\n", "web:1", 1 },
};

static void
test_ndjson_load (void **state)
{
  for (size_t i = 0; i < sizeof load_cases / sizeof *load_cases; i++)
    for (int bytewise = 0; bytewise < 2; bytewise++)
      {
        struct labo_ndjson s = { 0 };
        const char *t = load_cases[i].text;
        if (bytewise)
          for (size_t k = 0; t[k]; k++)
            labo_ndjson_feed (&s, t + k, 1);
        else
          labo_ndjson_feed (&s, t, strlen (t));
        labo_ndjson_finish (&s);
        if (load_cases[i].loaded == NULL)
          assert_null (s.loaded);
        else
          assert_string_equal (s.loaded, load_cases[i].loaded);
        assert_int_equal (s.n_loaded, load_cases[i].n_loaded);
        labo_ndjson_free (&s);
      }
}

static void
test_ndjson_random_chunks (void **state)
{
  srand (20241124);
  for (int round = 0; round < 200; round++)
    for (size_t i = 0; i < sizeof stream_cases / sizeof *stream_cases; i++)
      {
        struct labo_ndjson s = { 0 };
        const char *t = stream_cases[i].text;
        size_t len = strlen (t), at = 0;
        char how[64];

        while (at < len)
          {
            size_t n = 1 + (size_t) rand () % 40;
            if (n > len - at)
              n = len - at;
            /* A private copy per chunk, so that ASan sees any read past it. */
            char *chunk = xmalloc (n);
            memcpy (chunk, t + at, n);
            labo_ndjson_feed (&s, chunk, n);
            free (chunk);
            at += n;
          }
        labo_ndjson_finish (&s);
        snprintf (how, sizeof how, "round %d case %zu", round, i);
        check_stream (&s, &stream_cases[i], how);
        labo_ndjson_free (&s);
      }
}

/* Only the unfinished line stays buffered, however long the stream. */
static void
test_ndjson_buffer_bounded (void **state)
{
  struct labo_ndjson s = { 0 };
  static const char line[] = "{\"status\":\"Importing\",\"progress\":\"[==>    ] 1MB/45MB\"}\r\n";

  for (int i = 0; i < 10000; i++)
    labo_ndjson_feed (&s, line, strlen (line));
  assert_int_equal (s.len, 0);
  assert_true (s.cap <= 4 * sizeof line);
  labo_ndjson_feed (&s, line, 10);
  assert_int_equal (s.len, 10);
  labo_ndjson_finish (&s); /* an incomplete object: ignored */
  assert_int_equal (s.len, 0);
  assert_string_equal (s.status, "Importing");
  assert_null (s.error);
  labo_ndjson_free (&s);
  assert_null (s.buf);
  labo_ndjson_free (&s); /* twice is fine */
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_swarm_init_body),
    cmocka_unit_test (test_swarm_join_body),
    cmocka_unit_test (test_network_body),
    cmocka_unit_test (test_container_body),
    cmocka_unit_test (test_container_body_minimal),
    cmocka_unit_test (test_bodies_serialise),
    cmocka_unit_test (test_import_query_research),
    cmocka_unit_test (test_import_query_encoding),
    cmocka_unit_test (test_import_query_long),
    cmocka_unit_test (test_network_peers),
    cmocka_unit_test (test_error_message),
    cmocka_unit_test (test_ndjson_whole),
    cmocka_unit_test (test_ndjson_bytewise),
      cmocka_unit_test (test_ndjson_load),
    cmocka_unit_test (test_ndjson_random_chunks),
    cmocka_unit_test (test_ndjson_buffer_bounded),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
