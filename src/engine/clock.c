/* Clock skew per node: see include/labo/engine/clock.h. */
#include "labo/engine/clock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "labo/kind/kind.h"
#include "labo/model/records.h"
#include "labo/model/state.h"
#include "labo/runtime/runtime.h"
#include "labo/super/control.h"
#include "labo/util/util.h"


int64_t
labo_clock_now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

bool
labo_clock_supported (const struct labo_node *node, char **why)
{
  if (node->service == LABO_SERVICE_ZOOKEEPER)
    return true;
  if (why)
    *why = xasprintf ("node %s is a %s node: only ZooKeeper nodes run under libfaketime, "
                      "which `labo clock` works through%s", node->name,
                      labo_kind_of (node)->name,
                      node->service == LABO_SERVICE_ETCD
                          ? " (and etcd, a static Go program, reads the clock past libc: "
                            "nothing preloaded reaches it)"
                          : "");
  return false;
}


void
labo_clock_load (const struct labo_lab *lab, struct labo_skew *skews, bool *has)
{
  cleanup_free char *text = labo_state_get (lab->name, LABO_CLOCKS_RECORD, NULL);
  labo_skews_parse (lab, text, skews, has);
}

/* Under the record's lock: node i's skew becomes *s (NULL: none), in its
 * file then in the record. */
static int
record (const struct labo_lab *lab, size_t i, const struct labo_skew *s, labo_error_t *err)
{
  cleanup_close int fd = labo_record_open_locked (lab, LABO_CLOCKS_RECORD, err);
  cleanup_free struct labo_skew *skews = xcalloc (lab->n_nodes + 1, sizeof (*skews));
  cleanup_free bool *has = xcalloc (lab->n_nodes + 1, sizeof (*has));
  cleanup_free char *text = NULL, *out = NULL, *line = NULL;
  struct labo_skew none = { 0, 1, 0, 0 };

  if (fd < 0)
    return labo_error_wrap (err, "recording the clock of node %s", lab->nodes[i].name);
  text = labo_record_read (fd);
  labo_skews_parse (lab, text, skews, has);
  {
    /* the node's file never holds a rate (it hangs the JVM's waits): the
     * offset now, at rate 1; the supervisor steps a drift from the record
     * once a second (supervisor.c's on_drift) */
    int64_t now = labo_clock_now_ns ();
    struct labo_skew flat = { s ? labo_skew_at (s, now) : 0, 1, now, 0 };
    line = labo_skew_faketime_line (s ? &flat : &none);
  }
  if (labo_clock_write (lab->name, lab->nodes[i].name, line, err) < 0)
    return -1;
  has[i] = s != NULL;
  if (s)
    skews[i] = *s;
  out = labo_skews_format (lab, skews, has);
  return labo_record_write (fd, out, "clock skews", err);
}

static int
check (const struct labo_lab *lab, size_t i, labo_error_t *err)
{
  cleanup_free char *why = NULL;
  if (!labo_clock_supported (&lab->nodes[i], &why))
    return labo_error_make (err, 0, "%s", why);
  return 0;
}

int
labo_clock_set (const struct labo_lab *lab, size_t i, int64_t offset_ns, double rate,
                struct labo_skew *out, labo_error_t *err)
{
  struct labo_skew s = { offset_ns, rate, labo_clock_now_ns (), 0 };
  bool reset = offset_ns == 0 && rate == 1;
  char o[32], d[32];

  if (check (lab, i, err) < 0)
    return -1;
  if (rate != 1 && labo_supervisor_alive (lab->name, NULL) <= 0)
    return labo_error_make (err, 0, "a drift is stepped by the lab's supervisor, which is not "
                                    "running (`labo up` of the lab's file starts one); an "
                                    "offset works without it");
  if (record (lab, i, reset ? NULL : &s, err) < 0)
    return -1;
  if (out)
    *out = s;
  labo_skew_offset_format (offset_ns, o);
  labo_skew_drift_format (rate, d);
  labo_control_note (lab->name, "fault", lab->nodes[i].name,
                     json_pack ("{s:s, s:[s, s, s, s]}", "verb", "clock", "args",
                                lab->nodes[i].name, o, "--drift", d),
                     reset ? "%s's clock reset (`labo clock`)"
                           : "%s's clock skewed %s, drift %s (`labo clock`)",
                     lab->nodes[i].name, o, d);
  return 0;
}

int
labo_clock_put_back (const struct labo_lab *lab, size_t i, const struct labo_skew *s,
                     labo_error_t *err)
{
  if (check (lab, i, err) < 0 || record (lab, i, s, err) < 0)
    return -1;
  labo_control_note (lab->name, "fault", lab->nodes[i].name,
                     json_pack ("{s:s, s:[s]}", "verb", "clock", "args", lab->nodes[i].name),
                     "%s's clock put back as it was (`labo chaos`)", lab->nodes[i].name);
  return 0;
}

int
labo_clock_reset_all (const struct labo_lab *lab, labo_error_t *err)
{
  cleanup_free struct labo_skew *skews = xcalloc (lab->n_nodes + 1, sizeof (*skews));
  cleanup_free bool *has = xcalloc (lab->n_nodes + 1, sizeof (*has));
  int n = 0;

  labo_clock_load (lab, skews, has);
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (has[i])
      {
        if (record (lab, i, NULL, err) < 0)
          return -1;
        n++;
      }
  return n;
}

json_t *
labo_clock_json (const struct labo_lab *lab)
{
  cleanup_free struct labo_skew *skews = xcalloc (lab->n_nodes + 1, sizeof (*skews));
  cleanup_free bool *has = xcalloc (lab->n_nodes + 1, sizeof (*has));
  json_t *a = json_array ();
  int64_t now = labo_clock_now_ns ();

  labo_clock_load (lab, skews, has);
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (has[i])
      {
        const struct labo_skew *s = &skews[i];
        time_t since = (time_t) (s->since_ns / 1000000000LL);
        struct tm tm;
        char when[32];
        gmtime_r (&since, &tm);
        strftime (when, sizeof (when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_array_append_new (
            a, json_pack ("{s:s, s:I, s:f, s:f, s:I, s:s}", "node", lab->nodes[i].name,
                          "offset_ms", (json_int_t) (s->offset_ns / 1000000), "drift_ppm",
                          (s->rate - 1) * 1e6, "rate", s->rate, "skew_ms",
                          (json_int_t) (labo_skew_at (s, now) / 1000000), "since", when));
      }
  return a;
}
