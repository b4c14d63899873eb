/* Unit tests for `labo deploy` (issue 15): export's services as Swarm
 * ServiceSpecs (the one conversion), Compose's durations in nanoseconds,
 * --place, and the Swarm's check of the hosts a lab needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "labo/engine/deploy.h"
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

/* The value at a path of keys and indexes ("TaskTemplate/Networks/0"). */
static const json_t *
at (const json_t *doc, const char *path)
{
  cleanup_free char *p = xstrdup (path);
  const json_t *cur = doc;
  char *save = NULL;
  for (char *k = strtok_r (p, "/", &save); k && cur; k = strtok_r (NULL, "/", &save))
    cur = json_is_array (cur) ? json_array_get (cur, strtoul (k, NULL, 10))
                              : json_object_get (cur, k);
  if (cur == NULL)
    fail_msg ("no %s", path);
  return cur;
}

static const char *
str (const json_t *doc, const char *path)
{
  const json_t *v = at (doc, path);
  assert_true (json_is_string (v));
  return json_string_value (v);
}

static long long
num (const json_t *doc, const char *path)
{
  const json_t *v = at (doc, path);
  assert_true (json_is_integer (v));
  return json_integer_value (v);
}

static const char *const images[] = { "labo/zookeeper:k", "labo/zookeeper:k", NULL };

static void
seed_services_as_service_specs (void **state)
{
  cleanup_lab struct labo_lab *lab = load ("netns/seed.yaml");
  struct labo_export eo = { .images = images };
  json_t *notes = NULL;
  json_t *doc = labo_export_stack_json (lab, &eo, &notes);
  const json_t *svc = at (doc, "services/namenode1");
  json_t *spec = labo_deploy_service_spec ("seed", "seed_namenode1", svc, "weave", NULL);
  const json_t *env;
  bool has_myid = false;
  size_t i;
  json_t *e;
  (void) state;

  assert_string_equal (str (spec, "Name"), "seed_namenode1");
  assert_string_equal (str (spec, "Labels/labo.lab"), "seed");
  assert_string_equal (str (spec, "Labels/labo.node"), "namenode1");
  assert_string_equal (str (spec, "Labels/labo.host"), "mida-clm1");
  assert_string_equal (str (spec, "Labels/" LABO_DEPLOY_LABEL), "true");
  /* the container: export's image, hostname, environment, check, volume */
  assert_string_equal (str (spec, "TaskTemplate/ContainerSpec/Image"), "labo/zookeeper:k");
  assert_string_equal (str (spec, "TaskTemplate/ContainerSpec/Hostname"), "namenode1");
  /* labo kill is a crash on Swarm too; a peer not resolved yet costs 1 s */
  assert_string_equal (str (spec, "TaskTemplate/ContainerSpec/StopSignal"), "SIGKILL");
  assert_string_equal (str (spec, "TaskTemplate/ContainerSpec/DNSConfig/Options/0"), "timeout:1");
  env = at (spec, "TaskTemplate/ContainerSpec/Env");
  json_array_foreach (env, i, e)
  {
    has_myid = has_myid || strncmp (json_string_value (e), "ZOO_MY_ID=", 10) == 0;
  }
  assert_true (has_myid);
  assert_string_equal (str (spec, "TaskTemplate/ContainerSpec/Healthcheck/Test/0"), "CMD-SHELL");
  assert_true (num (spec, "TaskTemplate/ContainerSpec/Healthcheck/Interval") >= 1000000LL);
  assert_true (num (spec, "TaskTemplate/ContainerSpec/Healthcheck/Retries") > 0);
  assert_string_equal (str (spec, "TaskTemplate/ContainerSpec/Mounts/0/Type"), "volume");
  assert_string_equal (str (spec, "TaskTemplate/ContainerSpec/Mounts/0/Source"),
                       "seed_namenode1-data");
  assert_string_equal (str (spec, "TaskTemplate/ContainerSpec/Mounts/0/VolumeOptions/Labels/"
                                  "labo.lab"),
                       "seed");
  /* placed on its host; restarted as the lab's supervise: says */
  assert_string_equal (str (spec, "TaskTemplate/Placement/Constraints/0"),
                       "node.hostname == mida-clm1");
  assert_string_equal (str (spec, "TaskTemplate/RestartPolicy/Condition"), "any");
  assert_int_equal (num (spec, "TaskTemplate/RestartPolicy/MaxAttempts"),
                    lab->nodes[0].supervise.give_up_deaths);
  assert_int_equal (num (spec, "TaskTemplate/RestartPolicy/Delay"),
                    (long long) lab->nodes[0].supervise.min_gap_ms * 1000000LL);
  /* on the overlay by the node's name and Weave's */
  assert_string_equal (str (spec, "TaskTemplate/Networks/0/Target"), "weave");
  assert_string_equal (str (spec, "TaskTemplate/Networks/0/Aliases/0"), "namenode1");
  assert_string_equal (str (spec, "TaskTemplate/Networks/0/Aliases/1"), "namenode1.weave.local");
  /* one replica, its name its task's address, the port on its host */
  assert_int_equal (num (spec, "Mode/Replicated/Replicas"), 1);
  assert_string_equal (str (spec, "EndpointSpec/Mode"), "dnsrr");
  assert_string_equal (str (spec, "EndpointSpec/Ports/0/PublishMode"), "host");
  assert_string_equal (str (spec, "EndpointSpec/Ports/0/Protocol"), "tcp");
  assert_int_equal (num (spec, "EndpointSpec/Ports/0/TargetPort"), lab->nodes[0].ports[0].container_port);
  assert_int_equal (num (spec, "EndpointSpec/Ports/0/PublishedPort"), lab->nodes[0].ports[0].host_port);
  json_decref (spec);

  /* --place: the real host's name instead */
  spec = labo_deploy_service_spec ("seed", "seed_namenode1", svc, "weave", "srv-a");
  assert_string_equal (str (spec, "TaskTemplate/Placement/Constraints/0"),
                       "node.hostname == srv-a");
  assert_int_equal (json_array_size (at (spec, "TaskTemplate/Placement/Constraints")), 1);
  json_decref (spec);
  json_decref (doc);
  json_decref (notes);
}

static void
compose_durations_in_ns (void **state)
{
  (void) state;
  assert_int_equal (labo_deploy_duration_ns ("2s"), 2000000000LL);
  assert_int_equal (labo_deploy_duration_ns ("500ms"), 500000000LL);
  assert_int_equal (labo_deploy_duration_ns ("1m30s"), 90000000000LL);
  assert_int_equal (labo_deploy_duration_ns ("0s"), 0);
  assert_int_equal (labo_deploy_duration_ns ("2"), -1);
  assert_int_equal (labo_deploy_duration_ns ("s"), -1);
  assert_int_equal (labo_deploy_duration_ns (""), -1);
  assert_int_equal (labo_deploy_duration_ns (NULL), -1);
}

static void
place_maps_hosts (void **state)
{
  static const char *const place[] = { "mida-clm1=srv-a", "mida-clm10=srv-z" };
  struct labo_deploy o = { .place = place, .n_place = 2 };
  (void) state;
  assert_string_equal (labo_deploy_real_host (&o, "mida-clm1"), "srv-a");
  assert_string_equal (labo_deploy_real_host (&o, "mida-clm10"), "srv-z");
  /* a prefix is no match */
  assert_string_equal (labo_deploy_real_host (&o, "mida-clm"), "mida-clm");
  assert_string_equal (labo_deploy_real_host (&o, "mida-clm2"), "mida-clm2");
  assert_string_equal (labo_deploy_real_host (NULL, "x"), "x");
}

static void
missing_hosts_are_named (void **state)
{
  json_t *nodes = json_pack (
      "[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}]", "name", "a", "state", "ready",
      "availability", "active", "name", "b", "state", "down", "availability", "active", "name",
      "c", "state", "ready", "availability", "drain");
  json_t *wanted = json_pack ("[s, s, s, s]", "a", "b", "c", "d");
  json_t *ok = json_pack ("[s]", "a");
  char *missing = labo_deploy_missing_hosts (nodes, wanted);
  (void) state;
  /* down, drained and absent nodes take no task */
  assert_string_equal (missing, "b, c, d");
  free (missing);
  assert_null (labo_deploy_missing_hosts (nodes, ok));
  json_decref (nodes);
  json_decref (wanted);
  json_decref (ok);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (seed_services_as_service_specs),
    cmocka_unit_test (compose_durations_in_ns),
    cmocka_unit_test (place_maps_hosts),
    cmocka_unit_test (missing_hosts_are_named),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
