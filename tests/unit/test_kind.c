/* Unit tests for the kinds' rows without a node to ask (src/kind/): the
 * health checks' ports, requests and verdicts (health.c), the shell and
 * generic rows through the table, a health command's outcome, where a
 * node's image archive is, and the generic and shell container specs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>

#include "labo/kind/kind.h"
#include "labo/util/util.h"

static const char *const none[LABO_KIND_MAX_ASKS] = { NULL };

static struct labo_probe_result
judge_one (const struct labo_node *node, const char *reply, const char *error)
{
  const char *r[LABO_KIND_MAX_ASKS] = { reply }, *e[LABO_KIND_MAX_ASKS] = { error };
  struct labo_probe_result out;

  memset (&out, 0, sizeof out);
  labo_kind_of (node)->judge (node, r, e, &out);
  return out;
}

static struct labo_node
generic (enum labo_health_kind kind, int port, const char *url, char **argv)
{
  struct labo_node n = { .name = (char *) "web", .service = LABO_SERVICE_GENERIC, .image = (char *) "web.tar" };
  n.health.kind = kind;
  n.health.port = port;
  n.health.url = (char *) url;
  n.health.argv = argv;
  return n;
}

static void
health_ports (void **state)
{
  static char *argv[] = { (char *) "true", NULL };
  struct labo_node tcp = generic (LABO_HEALTH_TCP, 8080, NULL, NULL);
  struct labo_node http = generic (LABO_HEALTH_HTTP, 0, "http://web:8081/health", NULL);
  struct labo_node http80 = generic (LABO_HEALTH_HTTP, 0, "http://10.0.0.4/", NULL);
  struct labo_node ex = generic (LABO_HEALTH_EXEC, 0, NULL, argv);
  struct labo_node def = generic (LABO_HEALTH_DEFAULT, 0, NULL, NULL);
  struct labo_node shell = { .name = (char *) "sh", .service = LABO_SERVICE_SHELL };

  assert_int_equal (labo_kind_of (&tcp)->port (&tcp), 8080);
  assert_int_equal (labo_kind_of (&http)->port (&http), 8081);
  assert_int_equal (labo_kind_of (&http80)->port (&http80), 80);
  assert_int_equal (labo_kind_of (&ex)->port (&ex), 0);
  assert_int_equal (labo_kind_of (&def)->port (&def), 0);
  /* a shell's sshd, unless its health says otherwise */
  assert_int_equal (labo_kind_of (&shell)->port (&shell), 22);
  shell.health = http.health;
  assert_int_equal (labo_kind_of (&shell)->port (&shell), 8081);
  assert_string_equal (labo_kind_of (&shell)->name, "shell");
  assert_string_equal (labo_kind_of (&def)->name, "generic");
  assert_false (labo_kind_of (&def)->elects);
  assert_null (labo_kind_of (&def)->recipe);
  assert_string_equal (labo_kind_of (&shell)->recipe, "zookeeper");
}

static void
health_asks (void **state)
{
  static char *argv[] = { (char *) "test", (char *) "-e", (char *) "/tmp/ok", NULL };
  struct labo_node tcp = generic (LABO_HEALTH_TCP, 8080, NULL, NULL);
  struct labo_node http = generic (LABO_HEALTH_HTTP, 0, "http://web:8081/health?x=1", NULL);
  struct labo_node ex = generic (LABO_HEALTH_EXEC, 0, NULL, argv);
  struct labo_node def = generic (LABO_HEALTH_DEFAULT, 0, NULL, NULL);
  struct labo_node shell = { .name = (char *) "sh", .service = LABO_SERVICE_SHELL };
  const struct labo_kind *k = labo_kind_of (&tcp);
  char buf[LABO_KIND_ASK_MAX], small[40];

  assert_string_equal (k->ask (&tcp, 0, LABO_MODE_DOWN, buf, sizeof buf), "");
  assert_null (k->ask (&tcp, 1, LABO_MODE_DOWN, buf, sizeof buf));
  assert_string_equal (k->ask (&http, 0, LABO_MODE_HEALTHY, buf, sizeof buf),
                       "GET /health?x=1 HTTP/1.0\r\nHost: web:8081\r\nConnection: close\r\n\r\n");
  /* a GET that does not fit is not asked (judge then says why) */
  assert_null (k->ask (&http, 0, LABO_MODE_DOWN, small, sizeof small));
  assert_null (k->ask (&ex, 0, LABO_MODE_DOWN, buf, sizeof buf));
  assert_null (k->ask (&def, 0, LABO_MODE_DOWN, buf, sizeof buf));
  assert_string_equal (labo_kind_of (&shell)->ask (&shell, 0, LABO_MODE_DOWN, buf, sizeof buf), "");
  /* the exec hook: the command itself, only for exec */
  assert_ptr_equal (k->exec (&ex), argv);
  assert_null (k->exec (&tcp));
  assert_null (k->exec (&def));
  assert_null (labo_kind_of (&shell)->exec (&shell));
}

static void
health_http_verdicts (void **state)
{
  struct labo_node http = generic (LABO_HEALTH_HTTP, 0, "http://web:8081/health", NULL);
  static const char *const good[] = { "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                                      "HTTP/1.0 204 No Content\r\n\r\n", "HTTP/1.1 299\r\n",
                                      "HTTP/1.0 200 OK" };
  static const char *const bad[] = { "HTTP/1.1 503 Service Unavailable\r\n\r\n",
                                     "HTTP/1.1 301 Moved\r\n", "HTTP/2 200\r\n",
                                     "HTTP/1.1 2000 OK\r\n", "SSH-2.0-OpenSSH_9.2\r\n", "",
                                     "HTTP/1.1 20\r\n" };
  struct labo_probe_result r;

  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    {
      r = judge_one (&http, good[i], NULL);
      assert_true (r.alive);
      assert_int_equal (r.mode, LABO_MODE_HEALTHY);
    }
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      r = judge_one (&http, bad[i], NULL);
      assert_false (r.alive);
    }
  r = judge_one (&http, "HTTP/1.1 503 Service Unavailable\r\nX: y\r\n\r\n", NULL);
  assert_string_equal (r.why, "GET http://web:8081/health answered \"HTTP/1.1 503 Service "
                              "Unavailable\"");
  r = judge_one (&http, "", NULL);
  assert_string_equal (r.why, "GET http://web:8081/health: no status line in the answer");
  r = judge_one (&http, NULL, "probing 10.0.0.4:8081 (GET): Connection refused");
  assert_false (r.alive);
  assert_string_equal (r.why, "probing 10.0.0.4:8081 (GET): Connection refused");
  r = judge_one (&http, NULL, NULL);
  assert_string_equal (r.why, "health URL too long to ask (22 bytes)");
}

static void
health_other_verdicts (void **state)
{
  static char *argv[] = { (char *) "true", NULL };
  struct labo_node tcp = generic (LABO_HEALTH_TCP, 8080, NULL, NULL);
  struct labo_node ex = generic (LABO_HEALTH_EXEC, 0, NULL, argv);
  struct labo_node def = generic (LABO_HEALTH_DEFAULT, 0, NULL, NULL);
  struct labo_node shell = { .name = (char *) "sh", .service = LABO_SERVICE_SHELL };
  struct labo_probe_result r;

  r = judge_one (&tcp, "", NULL);
  assert_true (r.alive);
  assert_int_equal (r.mode, LABO_MODE_HEALTHY);
  r = judge_one (&tcp, NULL, "probing 10.0.0.4:8080 (connect): Connection refused");
  assert_false (r.alive);
  assert_string_equal (r.why, "probing 10.0.0.4:8080 (connect): Connection refused");
  r = judge_one (&ex, "whatever it printed\n", NULL);
  assert_true (r.alive);
  r = judge_one (&ex, NULL, "`true` exited 1");
  assert_false (r.alive);
  r = judge_one (&def, "", NULL);
  assert_true (r.alive);
  r = judge_one (&def, NULL, "node web is not running");
  assert_false (r.alive);
  assert_string_equal (r.why, "node web is not running");
  r = judge_one (&shell, "", NULL);
  assert_true (r.alive);
  assert_int_equal (r.mode, LABO_MODE_HEALTHY);
  {
    struct labo_probe_result out;
    memset (&out, 0, sizeof out);
    labo_kind_of (&def)->judge (&def, none, none, &out);
    assert_false (out.alive);
    assert_string_equal (out.why, "no answer");
  }
}

static void
exec_outcomes (void **state)
{
  static char *argv[] = { (char *) "test", (char *) "-e", (char *) "/tmp/ok", NULL };
  char *reply, *error;

  labo_kind_exec_outcome (argv, 0, "fine\n", 1000, &reply, &error);
  assert_string_equal (reply, "fine\n");
  assert_null (error);
  free (reply);
  labo_kind_exec_outcome (argv, 1, "", 1000, &reply, &error);
  assert_null (reply);
  assert_string_equal (error, "`test -e /tmp/ok` exited 1");
  free (error);
  labo_kind_exec_outcome (argv, 2, "no such thing\nsecond line\n", 1000, &reply, &error);
  assert_string_equal (error, "`test -e /tmp/ok` exited 2: no such thing");
  free (error);
  labo_kind_exec_outcome (argv, 124, "", 1000, &reply, &error);
  assert_string_equal (error, "`test -e /tmp/ok` timed out after 1000 ms");
  free (error);
  labo_kind_exec_outcome (argv, 125, "labo: entering the mnt namespace of web: Operation "
                                     "not permitted\n", 1000, &reply, &error);
  assert_string_equal (error, "`test -e /tmp/ok`: could not enter the node: labo: entering "
                              "the mnt namespace of web: Operation not permitted");
  free (error);
  labo_kind_exec_outcome (argv, -1, "opening the net namespace of web: No such file or "
                                    "directory", 1000, &reply, &error);
  assert_string_equal (error, "running `test -e /tmp/ok`: opening the net namespace of web: "
                              "No such file or directory");
  free (error);
}

static void
image_archives (void **state)
{
  struct labo_lab lab = { .name = (char *) "t", .file = (char *) "/srv/labs/web.yaml" };
  struct labo_node n = { .name = (char *) "web", .service = LABO_SERVICE_GENERIC };
  struct labo_node zk = { .name = (char *) "zoo", .service = LABO_SERVICE_ZOOKEEPER };
  char *p;

  n.image = (char *) "images/web.tar.gz";
  p = labo_node_image_archive (&lab, &n);
  assert_string_equal (p, "/srv/labs/images/web.tar.gz");
  free (p);
  n.image = (char *) "web.tar";
  p = labo_node_image_archive (&lab, &n);
  assert_string_equal (p, "/srv/labs/web.tar");
  free (p);
  n.image = (char *) "/var/tmp/web.tgz";
  p = labo_node_image_archive (&lab, &n);
  assert_string_equal (p, "/var/tmp/web.tgz");
  free (p);
  lab.file = (char *) "web.yaml"; /* in the current directory */
  n.image = (char *) "web.tar";
  p = labo_node_image_archive (&lab, &n);
  assert_string_equal (p, "web.tar");
  free (p);
  n.image = (char *) "zookeeper"; /* a recipe's name */
  assert_null (labo_node_image_archive (&lab, &n));
  assert_null (labo_node_image_archive (&lab, &zk));
}

static const char *
str_at (json_t *a, size_t i)
{
  return json_string_value (json_array_get (a, i));
}

static void
generic_spec (void **state)
{
  static char *command[] = { (char *) "busybox", (char *) "httpd", (char *) "-f", (char *) "-p", (char *) "8080", NULL };
  static char *env[] = { (char *) "GREETING=hello", NULL };
  struct labo_bind binds[] = { { (char *) "/srv/data", (char *) "/data", false, { 0 } },
                               { (char *) "/etc/ssl/certs", (char *) "/etc/ssl/certs", true, { 0 } } };
  struct labo_host host = { .name = (char *) "h1", .lab_address = 0xc0a80a02 };
  struct labo_lab lab = { .name = (char *) "t", .file = (char *) "t.yaml", .hosts = &host, .n_hosts = 1 };
  struct labo_node n = { .name = (char *) "web", .service = LABO_SERVICE_GENERIC, .image = (char *) "web.tar",
                         .command = command, .n_command = 5, .env = env, .n_env = 1,
                         .binds = binds, .n_binds = 2 };
  labo_error_t err = NULL;
  json_t *spec = labo_kind_of (&n)->container_spec (&lab, &n, "labo/archive:0123", &err);
  json_t *hc = json_object_get (spec, "HostConfig");

  assert_non_null (spec);
  assert_string_equal (json_string_value (json_object_get (spec, "Image")), "labo/archive:0123");
  assert_int_equal (json_array_size (json_object_get (spec, "Cmd")), 5);
  assert_string_equal (str_at (json_object_get (spec, "Cmd"), 1), "httpd");
  assert_int_equal (json_array_size (json_object_get (spec, "Env")), 1);
  assert_string_equal (str_at (json_object_get (spec, "Env"), 0), "GREETING=hello");
  assert_string_equal (str_at (json_object_get (hc, "Binds"), 0), "/srv/data:/data");
  assert_string_equal (str_at (json_object_get (hc, "Binds"), 1),
                       "/etc/ssl/certs:/etc/ssl/certs:ro");
  assert_string_equal (str_at (json_object_get (hc, "SecurityOpt"), 0), "no-new-privileges");
  /* Docker's default capabilities: none added, none dropped */
  assert_null (json_object_get (hc, "CapAdd"));
  assert_null (json_object_get (hc, "CapDrop"));
  assert_null (json_object_get (hc, "Privileged"));
  assert_string_equal (
      json_string_value (json_object_get (json_object_get (hc, "RestartPolicy"), "Name")), "no");
  assert_string_equal (json_string_value (
                           json_object_get (json_object_get (spec, "Labels"), "labo.node")),
                       "web");
  json_decref (spec);
  /* without command: the image's own */
  n.command = NULL;
  n.env = NULL;
  spec = labo_kind_of (&n)->container_spec (&lab, &n, "x", &err);
  assert_null (json_object_get (spec, "Cmd"));
  assert_null (json_object_get (spec, "Env"));
  json_decref (spec);
}

static void
shell_spec (void **state)
{
  struct labo_host host = { .name = (char *) "h1", .lab_address = 0xc0a80a02 };
  struct labo_lab lab = { .name = (char *) "t", .file = (char *) "t.yaml", .hosts = &host, .n_hosts = 1 };
  struct labo_node n = { .name = (char *) "sh", .service = LABO_SERVICE_SHELL, .address = 0x0a000003 };
  labo_error_t err = NULL;
  json_t *spec = labo_kind_of (&n)->container_spec (&lab, &n, "labo/zookeeper:k", &err);
  json_t *hc = json_object_get (spec, "HostConfig"), *env = json_object_get (spec, "Env");
  bool start = false, listen = false;

  assert_non_null (spec);
  for (size_t i = 0; i < json_array_size (env); i++)
    {
      start |= strcmp (str_at (env, i), "LABO_START=shell") == 0;
      listen |= strcmp (str_at (env, i), "LABO_SSH_LISTEN=10.0.0.3") == 0;
      assert_true (strncmp (str_at (env, i), "ZOO_", 4) != 0);
    }
  assert_true (start);
  assert_true (listen);
  assert_string_equal (str_at (json_object_get (hc, "CapDrop"), 0), "ALL");
  assert_true (json_array_size (json_object_get (hc, "CapAdd")) > 0);
  assert_string_equal (str_at (json_object_get (hc, "SecurityOpt"), 0), "no-new-privileges");
  /* root's keys only: no data directory */
  assert_int_equal (json_array_size (json_object_get (hc, "Binds")), 1);
  assert_non_null (strstr (str_at (json_object_get (hc, "Binds"), 0), ":/etc/labo/ssh:ro"));
  json_decref (spec);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (health_ports),
    cmocka_unit_test (health_asks),
    cmocka_unit_test (health_http_verdicts),
    cmocka_unit_test (health_other_verdicts),
    cmocka_unit_test (exec_outcomes),
    cmocka_unit_test (image_archives),
    cmocka_unit_test (generic_spec),
    cmocka_unit_test (shell_spec),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
