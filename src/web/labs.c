/* What `labo web` knows of each lab, kept live (src/web/web-internal.h):
 * the main thread's loop learns of changes (the run dir's and each lab
 * directory's inotify, each supervisor's event stream, a slow timer) and
 * marks labs to refresh; the refresher thread recomputes a lab's status
 * and picture and publishes them; the verifier runs `verify` on one lab
 * at a time, in the background, since it costs ~0.3 s a lab. */
#include "web-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "labo/model/copy.h"
#include "labo/model/names.h"
#include "labo/engine/graph.h"
#include "labo/engine/status.h"
#include "labo/engine/verify.h"
#include "labo/model/state.h"
#include "labo/super/control.h"
#include "labo/util/util.h"
#include "labo/zk/check.h"

/* The fallback's periods: a lab page open on a lab sees what no event
 * tells (an interface's state, a link setting made by hand) within 2 s;
 * the index, within 10 s. After an event, a lab is refreshed twice a
 * second for a few seconds: an election follows a death within that. */
#define TICK_S 2.0
/* a lab is refreshed at most this often, whatever asks */
#define MIN_GAP_S 0.25
#define BURST_TICK_S 0.5
#define BURST_S 4.0
#define WATCHED_EVERY_S 2.0
#define UNWATCHED_EVERY_S 10.0
/* verify: one lab at a time, each again after this (sooner while watched) */
#define VERIFY_EVERY_S 30.0
#define VERIFY_WATCHED_EVERY_S 10.0
/* a supervisor that went away is looked for again after this */
#define CTL_RETRY_S 2.0
/* a line of the event stream longer than this is the stream's fault */
#define CTL_LINE_MAX (256 * 1024)
/* the check's live file is stale past this (a check killed -9) */
#define CHECK_STALE_S 5.0

/* ---- the labs' list (under mu) ---- */

struct web_lab *
web_lab_find (struct web *w, const char *name)
{
  for (size_t i = 0; i < w->n_labs; i++)
    if (strcmp (w->labs[i]->name, name) == 0)
      return w->labs[i];
  return NULL;
}

static struct web_lab *
lab_by_wd (struct web *w, int wd)
{
  for (size_t i = 0; i < w->n_labs; i++)
    if (w->labs[i]->wd == wd)
      return w->labs[i];
  return NULL;
}

static void
lab_free (struct web_lab *l)
{
  for (size_t i = 0; i < WEB_EVENTS_KEPT; i++)
    free (l->events[i].json);
  json_decref (l->summary);
  json_decref (l->page);
  json_decref (l->verify);
  free (l->ctl_buf);
  free (l->name);
  free (l);
}

void
web_lab_watch (struct web *w, struct web_lab *lab, int delta)
{
  lab->watchers += delta;
  if (delta > 0 && lab->refreshed_at < labo_now () - WATCHED_EVERY_S)
    {
      lab->dirty = true;
      pthread_cond_broadcast (&w->work);
    }
}

/* Published: every stream wakes and looks. */
static void
publish (struct web *w, struct web_lab *lab)
{
  if (lab)
    lab->version++;
  w->version++;
  pthread_cond_broadcast (&w->changed);
}

char *
web_lab_root_subnet (const struct labo_lab *lab)
{
  char buf[20];
  /* the segment the machine itself is on, as the machine reaches it (a
   * copy's block): how the lab is reached */
  for (size_t s = 0; s < lab->n_segments; s++)
    if (lab->segments[s].has_root)
      {
        struct labo_prefix net = labo_segment_root_subnet (&lab->segments[s]);
        return xstrdup (labo_prefix_format (&net, buf));
      }
  return NULL;
}

/* verify's progress, for a row or a page: {done, steps, next, hint}. */
static json_t *
verify_brief (json_t *rep, double at)
{
  json_t *checks = json_object_get (rep, "checks"), *c;
  const char *next = NULL, *detail = NULL;
  char when[32];
  size_t i;

  if (rep == NULL)
    return json_null ();
  json_array_foreach (checks, i, c)
    if (strcmp (json_string_value (json_object_get (c, "state")) ?: "", "not-yet") == 0)
      {
        next = json_string_value (json_object_get (c, "id"));
        detail = json_string_value (json_object_get (c, "detail"));
        break;
      }
  return json_pack ("{s:O?, s:O?, s:s?, s:s?, s:s, s:O?}", "done", json_object_get (rep, "done"),
                    "steps", json_object_get (rep, "steps"), "next", next, "detail", detail,
                    "at", labo_iso_time (labo_wall () - (labo_now () - at), when), "checks",
                    checks);
}

json_t *
web_labs_index (struct web *w)
{
  json_t *rows = json_array ();
  for (size_t i = 0; i < w->n_labs; i++)
    {
      struct web_lab *l = w->labs[i];
      json_t *row = l->summary ? json_deep_copy (l->summary)
                               : json_pack ("{s:s, s:s}", "name", l->name, "state", "loading");
      json_t *v = verify_brief (l->verify, l->verified_at);
      json_object_del (v, "checks");
      json_object_set_new (row, "verify", v);
      json_array_append_new (rows, row);
    }
  return rows;
}

json_t *
web_lab_page (struct web_lab *lab)
{
  json_t *page = lab->page ? json_deep_copy (lab->page)
                           : json_pack ("{s:s, s:s}", "name", lab->name, "state", "loading");
  json_object_set_new (page, "verify", verify_brief (lab->verify, lab->verified_at));
  return page;
}

/* ---- a lab's snapshot (the refresher, without mu) ---- */

static const char *
jstr (json_t *o, const char *key)
{
  return json_string_value (json_object_get (o, key));
}

/* The check's live counters (zk/check.c writes check.live in the lab's
 * run dir each second while it runs), or null when none runs. */
static json_t *
check_live (const char *name)
{
  cleanup_free char *text = labo_state_get (name, LABO_CHECK_LIVE_FILE, NULL);
  json_t *o = text ? json_loads (text, 0, NULL) : NULL;
  json_int_t pid = json_integer_value (json_object_get (o, "pid"));
  double wall = json_real_value (json_object_get (o, "wall"));

  if (o == NULL || pid <= 0 || kill ((pid_t) pid, 0) < 0 || labo_wall () - wall > CHECK_STALE_S)
    {
      json_decref (o);
      return json_null ();
    }
  return o;
}

int
web_check_plot_read (const char *lab, size_t max, char **data, size_t *len)
{
  labo_error_t err = NULL;
  cleanup_free char *dir = NULL;
  cleanup_close int dfd = -1;
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  struct stat st;
  size_t got = 0;

  if (labo_lab_name_check (lab, &err) < 0)
    {
      labo_error_release (&err);
      errno = EINVAL;
      return -1;
    }
  dir = labo_state_dir (lab);
  /* the lab's own directory, and in it the file itself: a link to
   * elsewhere (to a secret of root's) is refused, whoever made it */
  if ((dfd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    return -1;
  if ((fd = openat (dfd, LABO_CHECK_PLOT_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
    return -1;
  if (fstat (fd, &st) < 0)
    return -1;
  if (!S_ISREG (st.st_mode))
    {
      errno = EINVAL;
      return -1;
    }
  if ((uint64_t) st.st_size > max)
    {
      errno = EFBIG;
      return -1;
    }
  buf = xmalloc ((size_t) st.st_size + 1);
  /* no more than its size then: a file still growing is cut, not a hang */
  while (got < (size_t) st.st_size)
    {
      ssize_t n = read (fd, buf + got, (size_t) st.st_size - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      got += (size_t) n;
    }
  buf[got] = '\0';
  *len = got;
  *data = steal_ptr (&buf);
  return 0;
}

/* The last check plot's date, for the page (its <img> is asked for again
 * when it changes), or null when there is none. */
static json_t *
check_plot (const char *name)
{
  cleanup_free char *dir = labo_state_dir (name);
  cleanup_free char *path = xasprintf ("%s/%s", dir, LABO_CHECK_PLOT_FILE);
  struct stat st;
  char when[32];

  if (lstat (path, &st) < 0 || !S_ISREG (st.st_mode) || st.st_size == 0)
    return json_null ();
  return json_pack ("{s:s, s:I}", "at",
                    labo_iso_time ((double) st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9, when),
                    "version",
                    (json_int_t) st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000);
}

/* A node vertex's host: its vertex id is "h<index>", hosts come first. */
static size_t
node_host_index (const struct labo_vertex *v)
{
  return (size_t) strtoul (v->host + 1, NULL, 10);
}

/* The page and the row of lab `name`, from its status and its picture. */
static void
snapshot (const char *name, json_t **page_out, json_t **summary_out)
{
  labo_error_t err = NULL;
  json_t *st = labo_status_json (name, &err);
  cleanup_lab struct labo_lab *lab = st ? labo_state_load_lab (name) : NULL;
  json_t *page, *summary, *nodes, *links, *en;
  cleanup_free char *svg = NULL, *subnet = NULL;
  size_t len = 0;

  if (st == NULL || lab == NULL)
    {
      const char *why = err ? err->msg : "its saved lab file no longer parses";
      cleanup_free char *state = labo_status_state (name);
      *summary_out = json_pack ("{s:s, s:s, s:s}", "name", name, "state", state, "error", why);
      *page_out = json_pack ("{s:s, s:s, s:s}", "name", name, "state", state, "error", why);
      labo_error_release (&err);
      json_decref (st);
      return;
    }
  subnet = web_lab_root_subnet (lab);
  en = json_object_get (st, "ensemble");
  {
    cleanup_graph struct labo_graph *g = labo_graph_build (lab, st);
    svg = labo_graph_svg (g, &len, &err);
    nodes = json_array ();
    links = json_array ();
    for (size_t i = 0; i < g->n_v; i++)
      {
        const struct labo_vertex *v = &g->v[i];
        json_t *sn;
        size_t k;
        json_t *o;
        if (v->type != LABO_VERTEX_NODE)
          continue;
        o = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s?}", "id", v->id, "name", v->name, "host",
                       g->v[node_host_index (v)].name, "service", v->service, "mode",
                       v->state ? v->state : "unknown", "color",
                       labo_graph_state_color (v->state));
        json_array_foreach (json_object_get (st, "nodes"), k, sn)
          if (strcmp (jstr (sn, "name") ?: "", v->name) == 0)
            {
              json_object_set (o, "restarts", json_object_get (sn, "restarts"));
              json_object_set (o, "up_since", json_object_get (sn, "up_since"));
            }
        json_array_append_new (nodes, o);
      }
    for (size_t i = 0; i < g->n_e; i++)
      {
        const struct labo_edge *e = &g->e[i];
        if (e->type == LABO_EDGE_CUT)
          json_array_append_new (links, json_pack ("{s:s, s:s, s:s, s:b}", "type", "cut", "from",
                                                   g->v[e->from].name, "to", g->v[e->to].name,
                                                   "both_ways", e->both_ways));
        else if ((e->type == LABO_EDGE_LINK || e->type == LABO_EDGE_P2P)
                 && (e->settings || (e->state && strcmp (e->state, "down") == 0)))
          json_array_append_new (links, json_pack ("{s:s, s:s, s:s, s:s?, s:s?}", "type",
                                                   "link", "from", g->v[e->from].name, "to",
                                                   g->v[e->to].name, "state", e->state,
                                                   "settings", e->settings));
      }
  }
  {
    /* the hosts' names and power: what the page's actions offer */
    json_t *hosts = json_array (), *h;
    size_t i;
    json_array_foreach (json_object_get (st, "hosts"), i, h)
      json_array_append_new (hosts, json_pack ("{s:O?, s:O?}", "name", json_object_get (h, "name"),
                                               "power", json_object_get (h, "power")));
    page = json_pack ("{s:s, s:O?, s:O?, s:s?, s:o, s:o, s:O?, s:o}", "name", name, "state",
                      json_object_get (st, "state"), "runtime", json_object_get (st, "runtime"),
                      "subnet", subnet, "nodes", nodes, "links", links, "ensemble", en, "hosts",
                      hosts);
  }
  if (svg)
    json_object_set_new (page, "svg", json_stringn (svg, len));
  else
    {
      json_object_set_new (page, "svg_error", json_string (err->msg));
      labo_error_release (&err);
    }
  json_object_set_new (page, "check", check_live (name));
  json_object_set_new (page, "check_plot", check_plot (name));
  summary = json_pack ("{s:s, s:O?, s:s?, s:I, s:O?, s:O?, s:O?, s:O?}", "name", name, "state",
                       json_object_get (st, "state"), "subnet", subnet, "nodes",
                       (json_int_t) lab->n_nodes, "leader",
                       json_object_get (en, "leader"), "quorum",
                       json_object_get (en, "quorum"), "runtime",
                       json_object_get (st, "runtime"), "check",
                       json_object_get (page, "check"));
  json_decref (st);
  *page_out = page;
  *summary_out = summary;
}

/* The check's counters alone, into the published page and row. */
static void
refresh_check (struct web *w, const char *name)
{
  json_t *c = check_live (name);
  struct web_lab *l;

  pthread_mutex_lock (&w->mu);
  if ((l = web_lab_find (w, name)) != NULL && l->page && l->summary)
    {
      json_object_set (l->page, "check", c);
      json_object_set (l->summary, "check", c);
      publish (w, l);
    }
  pthread_mutex_unlock (&w->mu);
  json_decref (c);
}

/* The refresher: one lab at a time, those with a page open first. It is
 * the one thread that draws: Graphviz's library is not thread-safe. */
static void *
refresher (void *arg)
{
  struct web *w = arg;

  pthread_mutex_lock (&w->mu);
  while (!w->quit)
    {
      struct web_lab *pick = NULL;
      double now = labo_now (), soonest = 0;
      bool full;
      char *name;
      for (size_t i = 0; i < w->n_labs; i++)
        {
          struct web_lab *l = w->labs[i];
          double ready = l->dirty ? l->refreshed_at + MIN_GAP_S : 0;
          if (!l->dirty && !l->check_dirty)
            continue;
          if (ready > now)
            {
              if (soonest == 0 || ready < soonest)
                soonest = ready;
              continue;
            }
          if (pick == NULL || l->watchers > pick->watchers)
            pick = l;
        }
      if (pick == NULL)
        {
          if (soonest > 0)
            {
              struct timespec ts;
              double wall = labo_wall () + (soonest - now);
              ts.tv_sec = (time_t) wall;
              ts.tv_nsec = (long) ((wall - floor (wall)) * 1e9);
              pthread_cond_timedwait (&w->work, &w->mu, &ts);
            }
          else
            pthread_cond_wait (&w->work, &w->mu);
          continue;
        }
      full = pick->dirty;
      pick->dirty = pick->check_dirty = false;
      name = xstrdup (pick->name);
      pthread_mutex_unlock (&w->mu);
      if (full)
        {
          json_t *page, *summary;
          struct web_lab *l;
          snapshot (name, &page, &summary);
          pthread_mutex_lock (&w->mu);
          /* it may have gone meanwhile: looked for again by name */
          if ((l = web_lab_find (w, name)) != NULL)
            {
              /* the same picture is no news: nothing is pushed */
              bool same = l->page && l->summary && json_equal (l->page, page)
                          && json_equal (l->summary, summary);
              json_decref (l->page);
              json_decref (l->summary);
              l->page = page;
              l->summary = summary;
              l->refreshed_at = labo_now ();
              if (!same)
                publish (w, l);
            }
          else
            {
              json_decref (page);
              json_decref (summary);
            }
        }
      else
        {
          refresh_check (w, name);
          pthread_mutex_lock (&w->mu);
        }
      free (name);
    }
  pthread_mutex_unlock (&w->mu);
  return NULL;
}

/* The verifier: the lab verified longest ago, when due; one at a time. */
static void *
verifier (void *arg)
{
  struct web *w = arg;

  pthread_mutex_lock (&w->mu);
  while (!w->quit)
    {
      struct web_lab *pick = NULL;
      double now = labo_now (), next = now + VERIFY_EVERY_S;
      for (size_t i = 0; i < w->n_labs; i++)
        {
          struct web_lab *l = w->labs[i];
          double due = l->verified_at == 0 ? 0
                       : l->verified_at + (l->watchers ? VERIFY_WATCHED_EVERY_S : VERIFY_EVERY_S);
          /* a lab still loading is verified once its status is there */
          if (l->summary == NULL)
            continue;
          if (due <= now && (pick == NULL || l->verified_at < pick->verified_at))
            pick = l;
          else if (due > now && due < next)
            next = due;
        }
      if (pick == NULL)
        {
          struct timespec ts;
          double wall = labo_wall () + (next - now);
          ts.tv_sec = (time_t) wall;
          ts.tv_nsec = (long) ((wall - floor (wall)) * 1e9);
          pthread_cond_timedwait (&w->work, &w->mu, &ts);
          continue;
        }
      {
        char *name = xstrdup (pick->name);
        labo_error_t err = NULL;
        json_t *rep;
        struct web_lab *l;
        pick->verified_at = now; /* not picked again meanwhile */
        pthread_mutex_unlock (&w->mu);
        rep = labo_verify_json (name, &err);
        labo_error_release (&err);
        pthread_mutex_lock (&w->mu);
        if ((l = web_lab_find (w, name)) != NULL && rep)
          {
            json_decref (l->verify);
            l->verify = rep;
            l->verified_at = labo_now ();
            publish (w, l);
          }
        else
          json_decref (rep);
        free (name);
      }
    }
  pthread_mutex_unlock (&w->mu);
  return NULL;
}

/* ---- the loop (main thread) ---- */

static void
mark_dirty (struct web *w, struct web_lab *l, bool burst)
{
  pthread_mutex_lock (&w->mu);
  l->dirty = true;
  pthread_cond_broadcast (&w->work);
  pthread_mutex_unlock (&w->mu);
  if (burst)
    {
      l->burst_until = labo_now () + BURST_S;
      if (!labo_timer_armed (&w->tick) || w->tick.at > labo_now () + BURST_TICK_S)
        labo_timer_arm (w->loop, &w->tick, labo_now () + BURST_TICK_S);
    }
}

static void ctl_close (struct web *w, struct web_lab *l);

/* A line of a supervisor's event stream: an event for the page's
 * timeline, and a reason to look at the lab again at once. */
static void
ctl_line (struct web *w, struct web_lab *l, const char *line)
{
  json_t *ev = json_loads (line, 0, NULL);
  struct web_event *slot;

  if (ev == NULL || json_is_true (json_object_get (ev, "backlog_end")))
    {
      json_decref (ev);
      return;
    }
  json_decref (ev);
  pthread_mutex_lock (&w->mu);
  l->ev_seq++;
  slot = &l->events[l->ev_seq % WEB_EVENTS_KEPT];
  free (slot->json);
  slot->json = xstrdup (line);
  slot->seq = l->ev_seq;
  /* the lab's snapshot is unchanged: its streams look at ev_seq */
  publish (w, NULL);
  pthread_mutex_unlock (&w->mu);
  mark_dirty (w, l, true);
}

static void
ctl_ready (struct labo_loop *loop, int fd, uint32_t events, void *data)
{
  struct web_lab *l = data;
  struct web *w = l->web;
  char buf[8192];
  ssize_t n = read (fd, buf, sizeof (buf));

  (void) loop;
  (void) events;
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0)
    {
      /* the supervisor went (stopped, or the lab went down) */
      ctl_close (w, l);
      mark_dirty (w, l, false);
      return;
    }
  for (ssize_t i = 0; i < n; i++)
    {
      if (buf[i] != '\n')
        {
          if (l->ctl_len >= CTL_LINE_MAX)
            {
              ctl_close (w, l);
              return;
            }
          l->ctl_buf = xrealloc (l->ctl_buf, l->ctl_len + 2);
          l->ctl_buf[l->ctl_len++] = buf[i];
          continue;
        }
      if (l->ctl_buf == NULL)
        continue;
      l->ctl_buf[l->ctl_len] = '\0';
      ctl_line (w, l, l->ctl_buf);
      l->ctl_len = 0;
    }
}

static void
ctl_close (struct web *w, struct web_lab *l)
{
  if (l->ctl_fd >= 0)
    {
      labo_loop_del (w->loop, l->ctl_fd);
      close (l->ctl_fd);
    }
  l->ctl_fd = -1;
  l->ctl_len = 0;
  l->ctl_retry_at = labo_now () + CTL_RETRY_S;
}

/* Follows the lab's supervisor's events, when one runs: the last few
 * first (the page's timeline), then each as it happens. */
static void
ctl_connect (struct web *w, struct web_lab *l)
{
  labo_error_t err = NULL;
  json_t *req;
  int fd;

  if (l->ctl_fd >= 0 || labo_now () < l->ctl_retry_at)
    return;
  l->ctl_retry_at = labo_now () + CTL_RETRY_S;
  if (labo_supervisor_alive (l->name, NULL) <= 0)
    return;
  req = json_pack ("{s:s, s:i}", "cmd", "events", "backlog", WEB_EVENTS_KEPT / 2);
  fd = labo_control_open (l->name, req, &err);
  json_decref (req);
  if (fd < 0)
    {
      labo_error_release (&err);
      return;
    }
  if (labo_loop_add (w->loop, fd, EPOLLIN, ctl_ready, l, &err) < 0)
    {
      labo_error_release (&err);
      close (fd);
      return;
    }
  l->ctl_fd = fd;
}

/* Writes, not closes: IN_CLOSE_WRITE would fire when a reader that opens a
 * file read-write closes it (status opens the lab's lock so), and each
 * refresh would call for the next. */
static const uint32_t LAB_DIR_EVENTS = IN_MODIFY | IN_MOVED_TO | IN_DELETE | IN_CREATE;

/* The run dir's labs, against those known: new ones followed, gone ones
 * dropped (their streams told). */
static void
rescan (struct web *w)
{
  char **names = NULL;
  size_t n = 0;
  labo_error_t err = NULL;

  if (labo_state_list (&names, &n, &err) < 0)
    {
      labo_error_release (&err);
      return;
    }
  pthread_mutex_lock (&w->mu);
  for (size_t i = 0; i < w->n_labs;)
    {
      struct web_lab *l = w->labs[i];
      bool keep = false;
      for (size_t k = 0; k < n && !keep; k++)
        keep = strcmp (names[k], l->name) == 0;
      if (keep)
        {
          i++;
          continue;
        }
      if (l->ctl_fd >= 0)
        ctl_close (w, l);
      if (l->wd >= 0)
        inotify_rm_watch (w->inotify_fd, l->wd);
      memmove (&w->labs[i], &w->labs[i + 1], (w->n_labs - i - 1) * sizeof (*w->labs));
      w->n_labs--;
      lab_free (l);
      publish (w, NULL);
    }
  for (size_t k = 0; k < n; k++)
    {
      struct web_lab *l;
      cleanup_free char *dir = NULL;
      size_t at = 0;
      if (web_lab_find (w, names[k]))
        continue;
      l = xcalloc (1, sizeof (*l));
      l->web = w;
      l->name = xstrdup (names[k]);
      l->ctl_fd = -1;
      l->dirty = true;
      dir = labo_state_dir (l->name);
      l->wd = inotify_add_watch (w->inotify_fd, dir, LAB_DIR_EVENTS | IN_ONLYDIR);
      while (at < w->n_labs && strcmp (w->labs[at]->name, l->name) < 0)
        at++;
      w->labs = xrealloc (w->labs, (w->n_labs + 1) * sizeof (*w->labs));
      memmove (&w->labs[at + 1], &w->labs[at], (w->n_labs - at) * sizeof (*w->labs));
      w->labs[at] = l;
      w->n_labs++;
      publish (w, NULL);
    }
  pthread_cond_broadcast (&w->work);
  pthread_mutex_unlock (&w->mu);
  for (size_t i = 0; i < w->n_labs; i++)
    ctl_connect (w, w->labs[i]);
  labo_strv_free (names, n);
}

/* Files of a lab's directory whose change is news: its state (meta), a
 * cut (partitions), a host's power, link settings, the supervisor's
 * coming and going, the check's counters. Logs and the supervisor's
 * tallies change all the time and say nothing the events do not. */
static bool
lab_file_is_news (const char *file)
{
  size_t l = strlen (file);
  return !(strcmp (file, "supervisor.json") == 0 || strcmp (file, "lock") == 0
           || (l > 4 && strcmp (file + l - 4, ".log") == 0) || strstr (file, ".tmp") != NULL
           || file[0] == '.');
}

static void
inotify_ready (struct labo_loop *loop, int fd, uint32_t events, void *data)
{
  struct web *w = data;
  char buf[4096] __attribute__ ((aligned (__alignof__ (struct inotify_event))));
  bool again = false;
  ssize_t n = read (fd, buf, sizeof (buf));

  (void) loop;
  (void) events;
  if (n <= 0)
    return;
  for (char *p = buf; p < buf + n;)
    {
      struct inotify_event *ev = (struct inotify_event *) p;
      p += sizeof (*ev) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW)
        again = true;
      else if (ev->wd == w->run_wd)
        again = true;
      else if (ev->len > 0)
        {
          struct web_lab *l = lab_by_wd (w, ev->wd);
          if (l == NULL)
            continue;
          if (strcmp (ev->name, LABO_CHECK_LIVE_FILE) == 0)
            {
              pthread_mutex_lock (&w->mu);
              l->check_dirty = true;
              pthread_cond_broadcast (&w->work);
              pthread_mutex_unlock (&w->mu);
            }
          else if (strcmp (ev->name, LABO_CONTROL_SOCKET) == 0 && (ev->mask & IN_CREATE))
            {
              /* a new supervisor: followed at once */
              l->ctl_retry_at = 0;
              ctl_connect (w, l);
              mark_dirty (w, l, false);
            }
          else if (lab_file_is_news (ev->name))
            mark_dirty (w, l, false);
        }
    }
  if (again)
    rescan (w);
}

/* The slow fallback, and the quicker one after an event. */
static void
tick (struct labo_loop *loop, void *data)
{
  struct web *w = data;
  double now = labo_now ();
  bool bursting = false;

  pthread_mutex_lock (&w->mu);
  for (size_t i = 0; i < w->n_labs; i++)
    {
      struct web_lab *l = w->labs[i];
      double every = l->burst_until > now ? BURST_TICK_S
                     : l->watchers ? WATCHED_EVERY_S : UNWATCHED_EVERY_S;
      bursting |= l->burst_until > now;
      if (now - l->refreshed_at >= every - 0.05)
        l->dirty = true;
    }
  pthread_cond_broadcast (&w->work);
  pthread_mutex_unlock (&w->mu);
  for (size_t i = 0; i < w->n_labs; i++)
    ctl_connect (w, w->labs[i]);
  labo_timer_arm (loop, &w->tick, now + (bursting ? BURST_TICK_S : TICK_S));
}

int
web_labs_start (struct web *w, labo_error_t *err)
{
  int r;

  w->inotify_fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  if (w->inotify_fd < 0)
    return labo_error_errno (err, "watching %s (inotify)", labo_run_dir ());
  if (labo_mkdir_p (labo_run_dir (), 0700) < 0)
    return labo_error_errno (err, "making %s", labo_run_dir ());
  w->run_wd = inotify_add_watch (w->inotify_fd, labo_run_dir (),
                                 IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR);
  if (w->run_wd < 0)
    return labo_error_errno (err, "watching %s (inotify)", labo_run_dir ());
  if (labo_loop_add (w->loop, w->inotify_fd, EPOLLIN, inotify_ready, w, err) < 0)
    return -1;
  rescan (w);
  labo_timer_init (&w->tick, tick, w);
  labo_timer_arm (w->loop, &w->tick, labo_now () + TICK_S);
  if ((r = pthread_create (&w->refresher, NULL, refresher, w)) != 0)
    return labo_error_make (err, r, "starting the web's refresher thread");
  w->refresher_started = true;
  if ((r = pthread_create (&w->verifier, NULL, verifier, w)) != 0)
    return labo_error_make (err, r, "starting the web's verify thread");
  w->verifier_started = true;
  return 0;
}

void
web_labs_quit (struct web *w)
{
  pthread_mutex_lock (&w->mu);
  w->quit = true;
  pthread_cond_broadcast (&w->work);
  pthread_cond_broadcast (&w->changed);
  pthread_mutex_unlock (&w->mu);
}

void
web_labs_stop (struct web *w)
{
  web_labs_quit (w);
  /* a refresh or a verify under way ends first: bounded by their own
   * timeouts (a status's probes, verify's commands) */
  if (w->refresher_started)
    pthread_join (w->refresher, NULL);
  if (w->verifier_started)
    pthread_join (w->verifier, NULL);
  for (size_t i = 0; i < w->n_labs; i++)
    {
      struct web_lab *l = w->labs[i];
      if (l->ctl_fd >= 0)
        ctl_close (w, l);
      lab_free (l);
    }
  free (w->labs);
  w->labs = NULL;
  w->n_labs = 0;
  if (w->loop)
    labo_timer_disarm (w->loop, &w->tick);
  if (w->inotify_fd >= 0)
    {
      if (w->loop)
        labo_loop_del (w->loop, w->inotify_fd);
      close (w->inotify_fd);
      w->inotify_fd = -1;
    }
}
