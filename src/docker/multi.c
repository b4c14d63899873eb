/* The Engine API in the event loop: see include/labo/docker/docker_async.h.
 *
 * libcurl forbids adding or removing transfers from inside its own
 * callbacks, so the write callback only stores bytes; lines and
 * completions are handed out after curl_multi_socket_action() returns,
 * when callers may do anything. A call cancelled during that hand-out is
 * freed at its end. */
#include "labo/docker/docker_async.h"

#include <curl/curl.h>
#include <string.h>
#include <sys/epoll.h>

#include "api-internal.h"
#include "labo/util/util.h"

struct labo_dcall
{
  struct labo_dmulti *m;
  struct labo_dcall *prev, *next; /* in m->calls */
  CURL *easy;
  struct curl_slist *headers;
  struct reply r;       /* a plain call's reply; a stream's unread bytes */
  size_t delivered;     /* stream: bytes of r handed out as lines */
  char errbuf[CURL_ERROR_SIZE];
  char *body, *op, *host, *socket;
  struct request rq;
  labo_dcall_done done;
  labo_dcall_line line;
  labo_dcall_opened opened;
  void *data;
  bool stream, got_status, told_open, finished, dead;
  long status;
  CURLcode result;
};

struct labo_dmulti
{
  struct labo_loop *loop;
  CURLM *multi;
  struct labo_timer timer;
  struct labo_dcall *calls; /* running */
  size_t n_calls;
  struct labo_dcall *graveyard; /* cancelled while handing out */
  int dispatching;
};

static void dispatch (struct labo_dmulti *m);
static void sock_ready (struct labo_loop *loop, int fd, uint32_t events, void *data);

static void
call_free (struct labo_dcall *c)
{
  if (c->easy)
    curl_easy_cleanup (c->easy);
  curl_slist_free_all (c->headers);
  free (c->r.data);
  free (c->body);
  free (c->op);
  free (c->host);
  free (c->socket);
  free (c);
}

static void
unlink_call (struct labo_dmulti *m, struct labo_dcall *c)
{
  if (c->prev)
    c->prev->next = c->next;
  else
    m->calls = c->next;
  if (c->next)
    c->next->prev = c->prev;
  c->prev = c->next = NULL;
  m->n_calls--;
}

/* Removes c from curl and from the list; frees it now, or after the
 * hand-out in progress. */
static void
retire (struct labo_dmulti *m, struct labo_dcall *c)
{
  if (c->easy)
    curl_multi_remove_handle (m->multi, c->easy);
  unlink_call (m, c);
  c->dead = true;
  if (m->dispatching)
    {
      c->next = m->graveyard;
      m->graveyard = c;
    }
  else
    call_free (c);
}

/* ---- libcurl's callbacks: store, never call out ---- */

static size_t
on_stream_bytes (char *ptr, size_t size, size_t nmemb, void *userdata)
{
  struct labo_dcall *c = userdata;
  size_t n = size * nmemb;

  if (c->delivered > 0 && c->delivered == c->r.len)
    c->r.len = c->delivered = 0;
  if (c->r.len + n + 1 > c->r.cap)
    {
      c->r.cap = (c->r.len + n + 1) * 2;
      c->r.data = xrealloc (c->r.data, c->r.cap);
    }
  memcpy (c->r.data + c->r.len, ptr, n);
  c->r.len += n;
  c->r.data[c->r.len] = '\0';
  /* a stream that never ends a line is not one of Docker's: stop it */
  if (c->r.len - c->delivered > 16 * 1024 * 1024)
    return 0;
  return n;
}

static size_t
on_header (char *buf, size_t size, size_t nitems, void *userdata)
{
  struct labo_dcall *c = userdata;
  size_t n = size * nitems;
  /* the status line of the (last) reply */
  if (n > 5 && memcmp (buf, "HTTP/", 5) == 0)
    {
      const char *sp = memchr (buf, ' ', n);
      c->status = sp ? strtol (sp + 1, NULL, 10) : 0;
      c->got_status = true;
    }
  return n;
}

static int
on_socket (CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
  struct labo_dmulti *m = userp;
  uint32_t ev = 0;
  labo_error_t err = NULL;

  if (what == CURL_POLL_REMOVE)
    {
      labo_loop_del (m->loop, s);
      return 0;
    }
  if (what & CURL_POLL_IN)
    ev |= EPOLLIN;
  if (what & CURL_POLL_OUT)
    ev |= EPOLLOUT;
  if (labo_loop_watches (m->loop, s))
    labo_loop_mod (m->loop, s, ev, &err);
  else
    labo_loop_add (m->loop, s, ev, sock_ready, m, &err);
  if (err)
    {
      /* the loop cannot watch it: curl will time the transfer out */
      labo_say ("%s", err->msg);
      labo_error_release (&err);
    }
  return 0;
}

static int
on_timer_change (CURLM *multi, long timeout_ms, void *userp)
{
  struct labo_dmulti *m = userp;
  if (timeout_ms < 0)
    labo_timer_disarm (m->loop, &m->timer);
  else
    labo_timer_arm (m->loop, &m->timer, labo_now () + timeout_ms / 1e3);
  return 0;
}

/* ---- the loop's callbacks ---- */

static void
sock_ready (struct labo_loop *loop, int fd, uint32_t events, void *data)
{
  struct labo_dmulti *m = data;
  int flags = 0, running;

  if (events & EPOLLIN)
    flags |= CURL_CSELECT_IN;
  if (events & EPOLLOUT)
    flags |= CURL_CSELECT_OUT;
  if (events & (EPOLLERR | EPOLLHUP))
    flags |= CURL_CSELECT_ERR;
  curl_multi_socket_action (m->multi, fd, flags, &running);
  dispatch (m);
}

static void
timer_due (struct labo_loop *loop, void *data)
{
  struct labo_dmulti *m = data;
  int running;
  curl_multi_socket_action (m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  dispatch (m);
}

/* ---- handing out ---- */

static void
hand_out_lines (struct labo_dcall *c)
{
  while (!c->dead && c->delivered < c->r.len)
    {
      char *start = c->r.data + c->delivered;
      char *nl = memchr (start, '\n', c->r.len - c->delivered);
      size_t len;
      if (nl == NULL)
        break;
      len = (size_t) (nl - start);
      c->delivered += len + 1;
      if (len > 0 && start[len - 1] == '\r')
        len--;
      if (len > 0)
        {
          char saved = start[len];
          start[len] = '\0';
          c->line (c->data, start, len);
          if (!c->dead)
            start[len] = saved;
        }
    }
}

static void
finish (struct labo_dmulti *m, struct labo_dcall *c)
{
  cleanup_free char *error = NULL;
  long status = 0;

  curl_easy_getinfo (c->easy, CURLINFO_RESPONSE_CODE, &status);
  if (c->result != CURLE_OK && !(c->stream && status >= 200 && status < 300))
    error = labo_docker_transport_message (c->easy, c->host, c->socket, c->op, c->result,
                                           c->errbuf);
  else if (c->stream && status >= 200 && status < 300)
    /* a stream ends only when the daemon goes away */
    error = xasprintf ("%s: %s: the stream ended%s%s", c->host, c->op,
                       c->result != CURLE_OK ? ": " : "",
                       c->result != CURLE_OK ? curl_easy_strerror (c->result) : "");
  if (error)
    status = status >= 200 && status < 300 ? 0 : status;
  {
    labo_dcall_done done = c->done;
    void *d = c->data;
    /* the reply outlives the call just long enough to be read */
    char *body = steal_ptr (&c->r.data);
    size_t len = c->r.len;
    retire (m, c);
    if (done)
      done (d, status, body ? body : "", len, error);
    free (body);
  }
}

static void
dispatch (struct labo_dmulti *m)
{
  CURLMsg *msg;
  int left;

  m->dispatching++;
  /* lines (and the "opened" news) first: a stream's last lines come before its end */
  for (struct labo_dcall *c = m->calls, *next; c; c = next)
    {
      next = c->next;
      if (!c->stream)
        continue;
      if (!c->told_open && c->got_status && c->status >= 200 && c->status < 300)
        {
          c->told_open = true;
          if (c->opened)
            c->opened (c->data);
        }
      if (!c->dead)
        hand_out_lines (c);
      /* a callback may have retired the next one: the list moved on */
      if (next && next->dead)
        next = m->calls;
    }
  while ((msg = curl_multi_info_read (m->multi, &left)) != NULL)
    {
      struct labo_dcall *c = NULL;
      if (msg->msg != CURLMSG_DONE)
        continue;
      curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, (char **) &c);
      if (c == NULL || c->dead)
        continue;
      c->result = msg->data.result;
      c->finished = true;
    }
  for (struct labo_dcall *c = m->calls, *next; c; c = next)
    {
      next = c->next;
      if (c->finished && !c->dead)
        {
          finish (m, c);
          next = m->calls; /* the callback may have changed the list: start over */
        }
    }
  if (--m->dispatching == 0)
    while (m->graveyard)
      {
        struct labo_dcall *c = m->graveyard;
        m->graveyard = c->next;
        call_free (c);
      }
}

/* ---- the interface ---- */

int
labo_dmulti_new (struct labo_loop *loop, struct labo_dmulti **out, labo_error_t *err)
{
  struct labo_dmulti *m;

  if (labo_docker_curl_init ("the supervisor", err) < 0)
    return -1;
  m = xcalloc (1, sizeof (*m));
  m->loop = loop;
  m->multi = curl_multi_init ();
  if (m->multi == NULL)
    {
      free (m);
      return labo_error_make (err, 0, "initialising libcurl's multi interface failed");
    }
  labo_timer_init (&m->timer, timer_due, m);
  curl_multi_setopt (m->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt (m->multi, CURLMOPT_SOCKETDATA, m);
  curl_multi_setopt (m->multi, CURLMOPT_TIMERFUNCTION, on_timer_change);
  curl_multi_setopt (m->multi, CURLMOPT_TIMERDATA, m);
  *out = m;
  return 0;
}

void
labo_dmulti_free (struct labo_dmulti *m)
{
  if (m == NULL)
    return;
  while (m->calls)
    retire (m, m->calls);
  labo_timer_disarm (m->loop, &m->timer);
  curl_multi_cleanup (m->multi);
  free (m);
}

size_t
labo_dmulti_running (const struct labo_dmulti *m)
{
  return m->n_calls;
}

static struct labo_dcall *
start (struct labo_dmulti *m, const char *socket, const char *host, const char *op,
       const char *method, const char *path, json_t *body, long timeout_ms, bool stream)
{
  struct labo_dcall *c = xcalloc (1, sizeof (*c));

  c->m = m;
  c->easy = curl_easy_init ();
  if (c->easy == NULL)
    {
      fputs ("labo: out of memory (curl_easy_init)\n", stderr);
      abort ();
    }
  c->op = xstrdup (op);
  c->host = xstrdup (host);
  c->socket = xstrdup (socket);
  c->stream = stream;
  if (body)
    {
      c->body = json_dumps (body, JSON_COMPACT);
      if (c->body == NULL)
        abort (); /* only memory can fail to serialise a built object */
    }
  c->rq = (struct request){ .op = c->op, .method = method, .path = path,
                            .content_type = c->body ? "application/json" : NULL,
                            .body = c->body, .body_len = c->body ? strlen (c->body) : 0,
                            .timeout_ms = timeout_ms };
  c->headers = labo_docker_setup (c->easy, c->socket, &c->rq, &c->r, c->errbuf);
  curl_easy_setopt (c->easy, CURLOPT_PRIVATE, c);
  curl_easy_setopt (c->easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (c->easy, CURLOPT_HEADERDATA, c);
  if (stream)
    {
      curl_easy_setopt (c->easy, CURLOPT_WRITEFUNCTION, on_stream_bytes);
      curl_easy_setopt (c->easy, CURLOPT_WRITEDATA, c);
    }
  c->next = m->calls;
  if (m->calls)
    m->calls->prev = c;
  m->calls = c;
  m->n_calls++;
  curl_multi_add_handle (m->multi, c->easy);
  return c;
}

struct labo_dcall *
labo_dcall (struct labo_dmulti *m, const char *socket, const char *host, const char *op,
            const char *method, const char *path, json_t *body, long timeout_ms,
            labo_dcall_done done, void *data)
{
  struct labo_dcall *c = start (m, socket, host, op, method, path, body, timeout_ms, false);
  c->done = done;
  c->data = data;
  return c;
}

struct labo_dcall *
labo_dstream (struct labo_dmulti *m, const char *socket, const char *host, const char *op,
              const char *path, labo_dcall_line line, labo_dcall_opened opened,
              labo_dcall_done done, void *data)
{
  struct labo_dcall *c = start (m, socket, host, op, "GET", path, NULL, 0, true);
  c->line = line;
  c->opened = opened;
  c->done = done;
  c->data = data;
  return c;
}

void
labo_dcall_cancel (struct labo_dmulti *m, struct labo_dcall *c)
{
  if (c == NULL || c->dead)
    return;
  retire (m, c);
}
