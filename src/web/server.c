/* `labo web`'s HTTP side (include/labo/web/web.h): libmicrohttpd, a thread
 * a connection (bounded: in all, per address, in time), routes matched
 * exactly (no URL ever names a file), every response with the same
 * security headers, and the pages' server-sent event streams. */
#include "web-internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "labo/model/names.h"
#include "labo/model/state.h"
#include "labo/util/util.h"
#include "labo/zk/check.h"

/* Bounds. A connection idle this long is closed (a slow client holds a
 * thread no longer); streams send a comment more often than that. */
#define CONN_TIMEOUT_S 10
#define KEEPALIVE_S 5
#define CONN_LIMIT 256
/* per client address: above a browser's few and a test's 50 parallel
 * requests, below what would starve other clients */
#define PER_IP_LIMIT 64
#define STREAMS_LIMIT 128
#define CONN_MEMORY (32 * 1024)
#define THREAD_STACK (512 * 1024)
#define BODY_MAX 4096

#define CSP "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; " \
            "frame-ancestors 'none'"

/* ---- listening ---- */

bool
labo_web_is_loopback (const struct sockaddr_in *a)
{
  return (ntohl (a->sin_addr.s_addr) >> 24) == 127;
}

int
labo_web_parse_listen (const char *s, struct sockaddr_in *out, labo_error_t *err)
{
  const char *colon = strrchr (s, ':');
  cleanup_free char *host = xasprintf ("%.*s", (int) (colon ? (size_t) (colon - s) : strlen (s)), s);
  long port = LABO_WEB_DEFAULT_PORT;

  memset (out, 0, sizeof (*out));
  out->sin_family = AF_INET;
  if (colon)
    {
      char *end;
      errno = 0;
      port = strtol (colon + 1, &end, 10);
      if (colon[1] == '\0' || *end || errno || port < 1 || port > 65535)
        return labo_error_make (err, EINVAL, "--listen %s: the port '%s' is not a number from 1 "
                                "to 65535", s, colon + 1);
    }
  if (*host == '\0' || strcmp (host, "localhost") == 0)
    out->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  else if (inet_pton (AF_INET, host, &out->sin_addr) != 1)
    return labo_error_make (err, EINVAL, "--listen %s: '%s' is not an IPv4 address (ADDR:PORT, "
                            "as 127.0.0.1:%d or 0.0.0.0:8080)", s, host, LABO_WEB_DEFAULT_PORT);
  out->sin_port = htons ((uint16_t) port);
  return 0;
}

/* The listening socket, made here so that a port in use is said plainly. */
static int
listen_on (const struct sockaddr_in *a, labo_error_t *err)
{
  cleanup_close int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  char ip[INET_ADDRSTRLEN];
  int one = 1;

  inet_ntop (AF_INET, &a->sin_addr, ip, sizeof (ip));
  if (fd < 0)
    return labo_error_errno (err, "creating a socket");
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one));
  if (bind (fd, (const struct sockaddr *) a, sizeof (*a)) < 0)
    return labo_error_errno (err, "cannot listen on %s:%d", ip, ntohs (a->sin_port));
  if (listen (fd, 64) < 0)
    return labo_error_errno (err, "cannot listen on %s:%d", ip, ntohs (a->sin_port));
  return steal_fd (&fd);
}

/* ---- responses ---- */

/* A check's plot, an SVG made from the lab's own names: a document that
 * may run nothing and load nothing, should it be opened by itself */
#define CSP_PLOT "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

static void
add_headers_csp (struct MHD_Response *r, const char *type, const char *csp)
{
  MHD_add_response_header (r, "Content-Type", type);
  MHD_add_response_header (r, "Content-Security-Policy", csp);
  MHD_add_response_header (r, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header (r, "X-Frame-Options", "DENY");
  MHD_add_response_header (r, "Referrer-Policy", "no-referrer");
  MHD_add_response_header (r, "Cache-Control", "no-store");
}

static void
add_headers (struct MHD_Response *r, const char *type)
{
  add_headers_csp (r, type, CSP);
}

static enum MHD_Result
respond (struct MHD_Connection *c, unsigned code, const char *type, const void *data, size_t len,
         enum MHD_ResponseMemoryMode mode)
{
  struct MHD_Response *r = MHD_create_response_from_buffer (len, (void *) data, mode);
  enum MHD_Result ret;

  if (r == NULL)
    return MHD_NO;
  add_headers (r, type);
  ret = MHD_queue_response (c, code, r);
  MHD_destroy_response (r);
  return ret;
}

static enum MHD_Result
respond_text (struct MHD_Connection *c, unsigned code, const char *text)
{
  char *t = xasprintf ("%s\n", text);
  return respond (c, code, "text/plain; charset=utf-8", t, strlen (t), MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result
respond_json (struct MHD_Connection *c, unsigned code, json_t *o)
{
  char *t = json_dumps (o, JSON_COMPACT);
  json_decref (o);
  return respond (c, code, "application/json", t, strlen (t), MHD_RESPMEM_MUST_FREE);
}

/* ---- the event streams ---- */

struct stream
{
  struct web *w;
  char *lab;         /* a lab page's; NULL: the index's */
  char *last;        /* the index: the rows last sent (an event elsewhere
                        bumps the version without changing them) */
  uint64_t version;  /* the last snapshot sent (the lab's, or w's) */
  uint64_t ev_seq;   /* the lab's last event sent */
  bool started, ended;
  char *out;
  size_t len, off;
};

static void
out_add (struct stream *s, const char *event, const char *data)
{
  size_t l = strlen (event) + strlen (data) + 20;
  s->out = xrealloc (s->out, s->len + l);
  s->len += (size_t) snprintf (s->out + s->len, l, "event: %s\ndata: %s\n\n", event, data);
}

static void
out_json (struct stream *s, const char *event, json_t *o)
{
  char *t = json_dumps (o, JSON_COMPACT);
  json_decref (o);
  out_add (s, event, t);
  free (t);
}

/* What the stream has not sent yet (under mu); false if nothing. */
static bool
stream_news (struct stream *s)
{
  struct web *w = s->w;
  struct web_lab *l;

  if (s->lab == NULL)
    {
      json_t *rows;
      char *text;
      if (s->started && s->version == w->version)
        return false;
      s->version = w->version;
      rows = web_labs_index (w);
      text = json_dumps (rows, JSON_COMPACT);
      json_decref (rows);
      if (s->last && strcmp (s->last, text) == 0)
        {
          free (text);
          return false;
        }
      out_add (s, "labs", text);
      free (s->last);
      s->last = text;
      return true;
    }
  l = web_lab_find (w, s->lab);
  if (l == NULL)
    {
      /* the lab went down: the page says so and the stream ends */
      out_add (s, "gone", "{}");
      s->ended = true;
      return true;
    }
  if (!s->started || s->version != l->version)
    {
      s->version = l->version;
      out_json (s, "snapshot", web_lab_page (l));
    }
  if (l->ev_seq > s->ev_seq)
    {
      uint64_t from = s->ev_seq + 1;
      if (l->ev_seq >= WEB_EVENTS_KEPT && from < l->ev_seq - WEB_EVENTS_KEPT + 1)
        from = l->ev_seq - WEB_EVENTS_KEPT + 1;
      for (uint64_t q = from; q <= l->ev_seq; q++)
        {
          struct web_event *e = &l->events[q % WEB_EVENTS_KEPT];
          if (e->seq == q && e->json)
            out_add (s, "ev", e->json);
        }
      s->ev_seq = l->ev_seq;
    }
  return s->len > 0;
}

/* libmicrohttpd's reader for a stream: blocks (a thread a connection)
 * until there is news, the server stops, or a keep-alive is due; a
 * client that went away is found at the next write. */
static ssize_t
stream_read (void *cls, uint64_t pos, char *buf, size_t max)
{
  struct stream *s = cls;
  struct web *w = s->w;
  size_t n;

  (void) pos;
  if (s->off == s->len)
    {
      struct timespec ts;
      free (s->out);
      s->out = NULL;
      s->len = s->off = 0;
      if (s->ended)
        return MHD_CONTENT_READER_END_OF_STREAM;
      clock_gettime (CLOCK_REALTIME, &ts);
      ts.tv_sec += KEEPALIVE_S;
      pthread_mutex_lock (&w->mu);
      for (;;)
        {
          if (w->quit)
            {
              pthread_mutex_unlock (&w->mu);
              return MHD_CONTENT_READER_END_OF_STREAM;
            }
          if (stream_news (s))
            break;
          if (pthread_cond_timedwait (&w->changed, &w->mu, &ts) == ETIMEDOUT)
            {
              s->out = xstrdup (": keep-alive\n\n");
              s->len = strlen (s->out);
              break;
            }
        }
      if (!s->started)
        {
          /* a browser whose stream broke (the server restarted) comes
           * back after a second, not its default three */
          char *t = xasprintf ("retry: 1000\n\n%s", s->out);
          free (s->out);
          s->out = t;
          s->len = strlen (t);
        }
      s->started = true;
      pthread_mutex_unlock (&w->mu);
    }
  n = s->len - s->off < max ? s->len - s->off : max;
  memcpy (buf, s->out + s->off, n);
  s->off += n;
  return (ssize_t) n;
}

static void
stream_free (void *cls)
{
  struct stream *s = cls;
  struct web *w = s->w;

  pthread_mutex_lock (&w->mu);
  w->streams--;
  if (s->lab && !w->quit)
    {
      struct web_lab *l = web_lab_find (w, s->lab);
      if (l)
        web_lab_watch (w, l, -1);
    }
  pthread_mutex_unlock (&w->mu);
  free (s->out);
  free (s->last);
  free (s->lab);
  free (s);
}

static enum MHD_Result
start_stream (struct web *w, struct MHD_Connection *c, const char *lab)
{
  struct stream *s;
  struct MHD_Response *r;
  enum MHD_Result ret;

  pthread_mutex_lock (&w->mu);
  if (w->streams >= STREAMS_LIMIT)
    {
      pthread_mutex_unlock (&w->mu);
      return respond_text (c, MHD_HTTP_SERVICE_UNAVAILABLE, "too many event streams open");
    }
  if (lab)
    {
      struct web_lab *l = web_lab_find (w, lab);
      if (l == NULL)
        {
          pthread_mutex_unlock (&w->mu);
          return respond_text (c, MHD_HTTP_NOT_FOUND, "no such lab");
        }
      web_lab_watch (w, l, 1);
    }
  w->streams++;
  pthread_mutex_unlock (&w->mu);
  s = xcalloc (1, sizeof (*s));
  s->w = w;
  s->lab = lab ? xstrdup (lab) : NULL;
  r = MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, s,
                                         stream_free);
  if (r == NULL)
    {
      stream_free (s);
      return MHD_NO;
    }
  add_headers (r, "text/event-stream");
  ret = MHD_queue_response (c, MHD_HTTP_OK, r);
  MHD_destroy_response (r);
  return ret;
}

/* ---- requests ---- */

/* The Host a request names is one of ours: when bound to loopback, only
 * loopback's names, so that a page of another site whose name resolves to
 * 127.0.0.1 (DNS rebinding) reads nothing. */
static bool
host_ok (struct web *w, struct MHD_Connection *c)
{
  const char *h = MHD_lookup_connection_value (c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
  char name[256];
  size_t l;
  struct in_addr a;

  if (h == NULL)
    return false;
  if (!labo_web_is_loopback (&w->opts.addr))
    return true;
  if (h[0] == '[')
    {
      const char *end = strchr (h, ']');
      return end && (size_t) (end - h) == 4 && strncmp (h, "[::1]", 5) == 0;
    }
  l = strcspn (h, ":");
  if (l == 0 || l >= sizeof (name))
    return false;
  memcpy (name, h, l);
  name[l] = '\0';
  if (strcasecmp (name, "localhost") == 0)
    return true;
  return inet_pton (AF_INET, name, &a) == 1 && (ntohl (a.s_addr) >> 24) == 127;
}

/* "/lab/NAME" or "/lab/NAME/REST": NAME (a valid lab name) into name,
 * REST (or "") into *rest. */
static bool
lab_path (const char *url, const char *prefix, char *name, size_t size, const char **rest)
{
  size_t pl = strlen (prefix), l;
  labo_error_t err = NULL;

  if (strncmp (url, prefix, pl) != 0)
    return false;
  url += pl;
  l = strcspn (url, "/");
  if (l == 0 || l >= size)
    return false;
  memcpy (name, url, l);
  name[l] = '\0';
  *rest = url + l;
  if (labo_lab_name_check (name, &err) < 0)
    {
      labo_error_release (&err);
      return false;
    }
  return true;
}

static bool
lab_known (struct web *w, const char *name)
{
  bool known;
  pthread_mutex_lock (&w->mu);
  known = web_lab_find (w, name) != NULL;
  pthread_mutex_unlock (&w->mu);
  return known;
}

/* The lab's last check plot (web_check_plot_read: the file itself, in
 * the lab's own directory, size-capped). */
static enum MHD_Result
serve_check_plot (struct MHD_Connection *c, const char *name)
{
  char *data = NULL;
  size_t len = 0;
  struct MHD_Response *r;
  enum MHD_Result ret;

  if (web_check_plot_read (name, LABO_CHECK_PLOT_MAX, &data, &len) < 0)
    {
      if (errno == ENOENT)
        return respond_text (c, MHD_HTTP_NOT_FOUND,
                             "no check plot: no check has ended on this lab yet");
      if (errno == EFBIG)
        return respond_text (c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                             "the check plot is too large to serve");
      return respond_text (c, MHD_HTTP_NOT_FOUND,
                           "no check plot (not a regular file of the lab's)");
    }
  r = MHD_create_response_from_buffer (len, data, MHD_RESPMEM_MUST_FREE);
  if (r == NULL)
    {
      free (data);
      return MHD_NO;
    }
  add_headers_csp (r, "image/svg+xml", CSP_PLOT);
  ret = MHD_queue_response (c, MHD_HTTP_OK, r);
  MHD_destroy_response (r);
  return ret;
}

static enum MHD_Result
serve_asset (struct MHD_Connection *c, const char *path)
{
  struct web_asset a;
  if (!web_asset_find (path, &a))
    return respond_text (c, MHD_HTTP_NOT_FOUND, "not found");
  return respond (c, MHD_HTTP_OK, a.type, a.data, a.len, MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result
get (struct web *w, struct MHD_Connection *c, const char *url)
{
  char name[LABO_NAME_MAX + 1];
  const char *rest;

  if (strcmp (url, "/") == 0)
    return serve_asset (c, "/index.html");
  if (strcmp (url, "/events") == 0)
    return start_stream (w, c, NULL);
  if (strcmp (url, "/api/config") == 0)
    return respond_json (c, MHD_HTTP_OK, json_pack ("{s:b}", "actions", w->opts.allow_actions));
  if (strcmp (url, "/api/labs") == 0)
    {
      json_t *rows;
      pthread_mutex_lock (&w->mu);
      rows = web_labs_index (w);
      pthread_mutex_unlock (&w->mu);
      return respond_json (c, MHD_HTTP_OK, rows);
    }
  if (lab_path (url, "/api/lab/", name, sizeof (name), &rest) && *rest == '\0')
    {
      json_t *page = NULL;
      struct web_lab *l;
      pthread_mutex_lock (&w->mu);
      if ((l = web_lab_find (w, name)) != NULL)
        page = web_lab_page (l);
      pthread_mutex_unlock (&w->mu);
      return page ? respond_json (c, MHD_HTTP_OK, page)
                  : respond_text (c, MHD_HTTP_NOT_FOUND, "no such lab");
    }
  if (lab_path (url, "/lab/", name, sizeof (name), &rest))
    {
      if (!lab_known (w, name))
        return respond_text (c, MHD_HTTP_NOT_FOUND, "no such lab");
      if (*rest == '\0')
        return serve_asset (c, "/lab.html");
      if (strcmp (rest, "/events") == 0)
        return start_stream (w, c, name);
      if (strcmp (rest, "/" LABO_CHECK_PLOT_FILE) == 0)
        return serve_check_plot (c, name);
      return respond_text (c, MHD_HTTP_NOT_FOUND, "not found");
    }
  /* the embedded files, by their exact names; nothing else */
  if (strcmp (url, "/index.html") != 0 && strcmp (url, "/lab.html") != 0)
    return serve_asset (c, url);
  return respond_text (c, MHD_HTTP_NOT_FOUND, "not found");
}

static enum MHD_Result
post (struct web *w, struct MHD_Connection *c, const char *url)
{
  char name[LABO_NAME_MAX + 1];
  const char *rest;
  char *body = NULL;
  int code;

  if (!lab_path (url, "/api/lab/", name, sizeof (name), &rest) || rest[0] != '/')
    return respond_text (c, MHD_HTTP_NOT_FOUND, "not found");
  if (!w->opts.allow_actions)
    return respond_text (c, MHD_HTTP_FORBIDDEN,
                         "actions are off: `labo web --allow-actions` turns them on");
  if (!web_token_ok (w, MHD_lookup_connection_value (c, MHD_HEADER_KIND, "X-Labo-Token")))
    return respond_text (c, MHD_HTTP_FORBIDDEN, "a missing or wrong X-Labo-Token");
  if (!lab_known (w, name))
    return respond_text (c, MHD_HTTP_NOT_FOUND, "no such lab");
  code = web_action (w, name, rest + 1,
                     MHD_lookup_connection_value (c, MHD_GET_ARGUMENT_KIND, "a"),
                     MHD_lookup_connection_value (c, MHD_GET_ARGUMENT_KIND, "b"), &body);
  return respond (c, (unsigned) code, "application/json", body, strlen (body),
                  MHD_RESPMEM_MUST_FREE);
}

/* A request's body is read and dropped (actions take their arguments in
 * the URL); past BODY_MAX the request is refused. */
struct request
{
  size_t body;
};

static enum MHD_Result
handle (void *cls, struct MHD_Connection *c, const char *url, const char *method,
        const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
  struct web *w = cls;
  struct request *rq = *con_cls;

  (void) version;
  (void) upload;
  if (rq == NULL)
    {
      *con_cls = xcalloc (1, sizeof (*rq));
      return MHD_YES;
    }
  if (*upload_size > 0)
    {
      rq->body += *upload_size;
      *upload_size = 0;
      return MHD_YES;
    }
  if (rq->body > BODY_MAX)
    return respond_text (c, MHD_HTTP_CONTENT_TOO_LARGE, "a body too large");
  if (!host_ok (w, c))
    return respond_text (c, MHD_HTTP_FORBIDDEN,
                         "this server answers to its loopback name only (Host: 127.0.0.1 or "
                         "localhost)");
  if (strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0)
    return get (w, c, url);
  if (strcmp (method, "POST") == 0)
    return post (w, c, url);
  return respond_text (c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET, HEAD or POST");
}

static void
completed (void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
  (void) cls;
  (void) c;
  (void) t;
  free (*con_cls);
  *con_cls = NULL;
}

/* libmicrohttpd's own messages (a connection it drops) go nowhere: a
 * flood or a client that leaves is not news for the trainer's terminal. */
static void
mhd_log (void *cls, const char *fmt, va_list ap)
{
  (void) cls;
  (void) fmt;
  (void) ap;
}

/* ---- the whole ---- */

static void
on_signal (struct labo_loop *loop, const struct signalfd_siginfo *si, void *data)
{
  (void) si;
  (void) data;
  labo_loop_quit (loop, 0);
}

static int
make_token (struct web *w, labo_error_t *err)
{
  unsigned char raw[16];
  size_t got = 0;

  while (got < sizeof (raw))
    {
      ssize_t n = getrandom (raw + got, sizeof (raw) - got, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return labo_error_errno (err, "drawing the actions' token (getrandom)");
      got += (size_t) n;
    }
  for (size_t i = 0; i < sizeof (raw); i++)
    snprintf (w->token + 2 * i, 3, "%02x", raw[i]);
  return 0;
}

int
labo_web_run (const struct labo_web_opts *opts, labo_error_t *err)
{
  static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, 0 };
  struct web w = { .opts = *opts, .inotify_fd = -1, .run_wd = -1 };
  struct MHD_Daemon *d = NULL;
  cleanup_close int lfd = -1;
  char ip[INET_ADDRSTRLEN];
  int r = -1;

  inet_ntop (AF_INET, &opts->addr.sin_addr, ip, sizeof (ip));
  snprintf (w.origin, sizeof (w.origin), "%s:%d", ip, ntohs (opts->addr.sin_port));
  if (opts->allow_actions && make_token (&w, err) < 0)
    return -1;
  if ((lfd = listen_on (&opts->addr, err)) < 0)
    return -1;
  pthread_mutex_init (&w.mu, NULL);
  pthread_cond_init (&w.changed, NULL);
  pthread_cond_init (&w.work, NULL);
  /* the loop blocks the signals before any thread is made: every thread
   * inherits the mask, and only the loop's signalfd reads them */
  if (labo_loop_new (&w.loop, sigs, on_signal, &w, err) < 0)
    goto out;
  signal (SIGPIPE, SIG_IGN);
  if (web_labs_start (&w, err) < 0)
    goto out;
  d = MHD_start_daemon (MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD
                            | MHD_USE_ERROR_LOG,
                        0, NULL, NULL, handle, &w, MHD_OPTION_LISTEN_SOCKET, lfd,
                        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) CONN_TIMEOUT_S,
                        MHD_OPTION_CONNECTION_LIMIT, (unsigned) CONN_LIMIT,
                        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned) PER_IP_LIMIT,
                        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) CONN_MEMORY,
                        MHD_OPTION_THREAD_STACK_SIZE, (size_t) THREAD_STACK,
                        MHD_OPTION_NOTIFY_COMPLETED, completed, &w,
                        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, &w, MHD_OPTION_END);
  if (d == NULL)
    {
      labo_error_make (err, 0, "starting the web server on %s failed (libmicrohttpd)", w.origin);
      goto out;
    }
  lfd = -1; /* libmicrohttpd's now */
  if (!labo_web_is_loopback (&opts->addr))
    fprintf (stderr, "labo web: WARNING: listening on %s, not on loopback: anyone who can reach "
                     "this address sees every lab on this machine\n", w.origin);
  fprintf (stderr, "labo web: http://%s/ (Ctrl-C stops)\n", w.origin);
  if (opts->allow_actions)
    fprintf (stderr, "labo web: actions allowed; open this address to use them (it holds "
                     "their token):\n  http://%s/#token=%s\n", w.origin, w.token);
  fflush (stderr);
  r = labo_loop_run (w.loop, err);
  fprintf (stderr, "labo web: stopping\n");
out:
  web_labs_quit (&w);
  if (d)
    MHD_stop_daemon (d);
  web_labs_stop (&w);
  if (w.loop)
    labo_loop_free (w.loop);
  pthread_cond_destroy (&w.work);
  pthread_cond_destroy (&w.changed);
  pthread_mutex_destroy (&w.mu);
  return r < 0 ? -1 : 0;
}
