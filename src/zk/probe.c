/* Four-letter-word probes inside the supervisor's event loop: see
 * include/labo/zk/zk.h. The same exchange as labo_zk_4lw(), as a small state
 * machine: connect, send, half-close, read to EOF. */
#include "labo/zk/zk.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "labo/util/loop.h"
#include "labo/net/netns.h"
#include "labo/util/util.h"

#define REPLY_MAX (1024 * 1024)

struct labo_zk_probe
{
  int fd;
  bool connected;
  char *word;      /* the request: a four-letter word, or a kind's HTTP request */
  size_t word_len;
  size_t sent;
  char *buf;
  size_t len, cap;
  char where[32]; /* "A:P (word)" */
  int timeout_ms;
  struct labo_timer timer;
  labo_zk_probe_done done;
  void *data;
};

static void
probe_free (struct labo_loop *loop, struct labo_zk_probe *p)
{
  labo_timer_disarm (loop, &p->timer);
  if (p->fd >= 0)
    {
      labo_loop_del (loop, p->fd);
      close (p->fd);
    }
  free (p->buf);
  free (p->word);
  free (p);
}

/* Ends the probe with a reply or an error (errno-style `e`, or a text). */
static void
end (struct labo_loop *loop, struct labo_zk_probe *p, int e, const char *what)
{
  labo_zk_probe_done done = p->done;
  void *data = p->data;
  cleanup_free char *error = NULL;
  cleanup_free char *reply = NULL;

  if (e || what)
    error = xasprintf ("probing %s%s%s%s%s", p->where, what ? ": " : "", what ? what : "",
                       e ? ": " : "", e ? strerror (e) : "");
  else
    {
      reply = p->buf ? steal_ptr (&p->buf) : xstrdup ("");
      reply[p->len] = '\0';
    }
  probe_free (loop, p);
  done (data, reply, error);
}

static void
on_timeout (struct labo_loop *loop, void *data)
{
  struct labo_zk_probe *p = data;
  cleanup_free char *what = xasprintf ("no complete reply after %d ms", p->timeout_ms);
  end (loop, p, 0, what);
}

static void
on_ready (struct labo_loop *loop, int fd, uint32_t events, void *data)
{
  struct labo_zk_probe *p = data;
  labo_error_t err = NULL;

  if (!p->connected)
    {
      int soerr = 0;
      socklen_t sl = sizeof (soerr);
      if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
        soerr = errno;
      if (soerr != 0)
        {
          end (loop, p, soerr, NULL);
          return;
        }
      p->connected = true;
      if (p->word_len == 0)
        {
          /* connect only: the connection opened, that is the answer */
          end (loop, p, 0, NULL);
          return;
        }
    }
  while (p->sent < p->word_len)
    {
      ssize_t n = send (fd, p->word + p->sent, p->word_len - p->sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EAGAIN)
        return;
      if (n < 0)
        {
          end (loop, p, errno, "sending");
          return;
        }
      p->sent += (size_t) n;
      if (p->sent == p->word_len)
        {
          /* the server answers and closes; half-closing says nothing more
           * comes, but not after an HTTP request (a kind's, with its blank
           * line): etcd's gateway cancels those (408) */
          if (strstr (p->word, "\r\n\r\n") == NULL && shutdown (fd, SHUT_WR) < 0)
            {
              end (loop, p, errno, "shutting down the sending side");
              return;
            }
          if (labo_loop_mod (loop, fd, EPOLLIN, &err) < 0)
            {
              end (loop, p, 0, err->msg);
              labo_error_release (&err);
              return;
            }
          return;
        }
    }
  for (;;)
    {
      ssize_t n;
      if (p->cap - p->len < 4096)
        {
          p->cap = p->cap ? p->cap * 2 : 8192;
          p->buf = xrealloc (p->buf, p->cap);
        }
      n = recv (fd, p->buf + p->len, p->cap - p->len - 1, 0);
      if (n > 0)
        {
          p->len += (size_t) n;
          if (p->len > REPLY_MAX)
            {
              end (loop, p, EMSGSIZE, "reading the reply");
              return;
            }
          continue;
        }
      if (n == 0 || (errno == ECONNRESET && p->len > 0))
        {
          end (loop, p, 0, NULL);
          return;
        }
      if (errno == EAGAIN || errno == EINTR)
        return;
      {
        end (loop, p, errno, "reading the reply");
        return;
      }
    }
}

struct labo_zk_probe *
labo_zk_probe_start (struct labo_loop *loop, int netns_fd, uint32_t addr, uint16_t port,
                     const char *word, int timeout_ms, labo_zk_probe_done done, void *data,
                     labo_error_t *err)
{
  struct labo_zk_probe *p = xcalloc (1, sizeof (*p));
  struct sockaddr_in sa = { .sin_family = AF_INET };
  char a[16];

  p->fd = -1;
  p->done = done;
  p->data = data;
  p->timeout_ms = timeout_ms;
  p->word = xstrdup (word);
  p->word_len = strlen (word);
  /* "A:P (ruok)", the request's first word ("GET", "POST"), or "connect" */
  if (p->word_len == 0)
    snprintf (p->where, sizeof (p->where), "%s:%u (connect)", labo_ipv4_format (addr, a),
              (unsigned) port);
  else
    snprintf (p->where, sizeof (p->where), "%s:%u (%.*s)", labo_ipv4_format (addr, a),
              (unsigned) port, (int) strcspn (word, " \r\n"), word);
  labo_timer_init (&p->timer, on_timeout, p);
  p->fd = labo_netns_socket (netns_fd, "the host's network namespace", AF_INET,
                             SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, err);
  if (p->fd < 0)
    {
      labo_error_wrap (err, "probing %s", p->where);
      goto fail;
    }
  sa.sin_addr.s_addr = htonl (addr);
  sa.sin_port = htons (port);
  if (connect (p->fd, (struct sockaddr *) &sa, sizeof (sa)) < 0 && errno != EINPROGRESS)
    {
      /* a refusal on loopback can be immediate */
      labo_error_errno (err, "probing %s", p->where);
      goto fail;
    }
  if (labo_loop_add (loop, p->fd, EPOLLOUT, on_ready, p, err) < 0)
    {
      labo_error_wrap (err, "probing %s", p->where);
      goto fail;
    }
  labo_timer_arm (loop, &p->timer, labo_now () + timeout_ms / 1e3);
  return p;
fail:
  if (p->fd >= 0)
    close (p->fd);
  free (p->word);
  free (p);
  return NULL;
}

void
labo_zk_probe_cancel (struct labo_loop *loop, struct labo_zk_probe *p)
{
  if (p)
    probe_free (loop, p);
}
