/* Packet capture in a named network namespace, written as pcap
 * (include/labo/net/capture.h). */
#include "labo/net/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/net/netns.h"
#include "labo/util/util.h"

/* How often a capture that sees nothing looks whether its namespace is
 * still there (a lab taken down under it). */
#define GONE_CHECK_MS 1000

struct labo_capture
{
  pcap_t *p;
  char *netns;
  char *what;
  char ifname[IFNAMSIZ];
  dev_t ns_dev;
  ino_t ns_ino;
};

const char *
labo_capture_end_name (enum labo_capture_end e)
{
  switch (e)
    {
    case LABO_CAPTURE_END_COUNT:
      return "count";
    case LABO_CAPTURE_END_DURATION:
      return "duration";
    case LABO_CAPTURE_END_STOP:
      return "stopped";
    case LABO_CAPTURE_END_READER:
      return "reader gone";
    case LABO_CAPTURE_END_GONE:
      return "interface gone";
    default:
      return "?";
    }
}

void
labo_capture_close (struct labo_capture *c)
{
  if (c == NULL)
    return;
  if (c->p)
    pcap_close (c->p);
  free (c->netns);
  free (c->what);
  free (c);
}

static void
capture_closep (struct labo_capture **c)
{
  labo_capture_close (*c);
}
#define cleanup_capture __attribute__ ((cleanup (capture_closep)))

/* Compiles filter for p's link; the caller frees prog. */
static int
compile_filter (pcap_t *p, const char *filter, struct bpf_program *prog, labo_error_t *err)
{
  if (pcap_compile (p, prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
    /* EINVAL, without its text after libpcap's own */
    return labo_error_refuse (err, EINVAL,
                              xasprintf ("bad filter '%s': %s", filter, pcap_geterr (p)));
  return 0;
}

static int
set_filter (pcap_t *p, const char *filter, const char *what, labo_error_t *err)
{
  struct bpf_program prog;
  int r = 0;

  if (filter == NULL || *filter == '\0')
    return 0;
  if (compile_filter (p, filter, &prog, err) < 0)
    return -1;
  if (pcap_setfilter (p, &prog) < 0)
    r = labo_error_make (err, 0, "setting the filter of %s: %s", what, pcap_geterr (p));
  pcap_freecode (&prog);
  return r;
}

int
labo_capture_filter_check (const char *filter, labo_error_t *err)
{
  struct bpf_program prog;
  pcap_t *p;
  int r;

  if (filter == NULL || *filter == '\0')
    return 0;
  p = pcap_open_dead (DLT_EN10MB, LABO_CAPTURE_SNAPLEN);
  if (p == NULL)
    return labo_error_make (err, ENOMEM, "libpcap");
  r = compile_filter (p, filter, &prog, err);
  if (r == 0)
    pcap_freecode (&prog);
  pcap_close (p);
  return r;
}

/* pcap_activate inside the namespace of ns_fd: the packet socket is made
 * there; the thread comes back (or the process aborts: everything after
 * would act in the wrong namespace). */
static int
activate_in (int ns_fd, pcap_t *p)
{
  cleanup_close int self = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  int r, saved;

  if (self < 0)
    return -errno - 1000;
  if (setns (ns_fd, CLONE_NEWNET) < 0)
    return -errno - 1000;
  r = pcap_activate (p);
  saved = errno;
  if (setns (self, CLONE_NEWNET) < 0)
    {
      labo_say ("returning to the original network namespace: %s", strerror (errno));
      abort ();
    }
  errno = saved;
  return r;
}

struct labo_capture *
labo_capture_open (const struct labo_capture_opts *o, labo_error_t *err)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  cleanup_capture struct labo_capture *c = xcalloc (1, sizeof (*c));
  cleanup_close int ns_fd = -1;
  struct stat st;
  struct labo_capture *ret;
  int r;

  c->what = xstrdup (o->what ? o->what : o->ifname);
  c->netns = xstrdup (o->netns);
  snprintf (c->ifname, sizeof (c->ifname), "%s", o->ifname);
  if ((ns_fd = labo_netns_open (o->netns, err)) < 0)
    return NULL;
  if (fstat (ns_fd, &st) < 0)
    {
      labo_error_errno (err, "capture %s: %s", c->what, o->netns);
      return NULL;
    }
  c->ns_dev = st.st_dev;
  c->ns_ino = st.st_ino;
  c->p = pcap_create (o->ifname, errbuf);
  if (c->p == NULL)
    {
      labo_error_make (err, 0, "capture %s: %s", c->what, errbuf);
      return NULL;
    }
  if (pcap_set_snaplen (c->p, o->snaplen > 0 ? o->snaplen : LABO_CAPTURE_SNAPLEN) != 0
      || pcap_set_promisc (c->p, o->promisc) != 0
      || pcap_set_buffer_size (c->p, LABO_CAPTURE_BUFFER) != 0
      || pcap_set_immediate_mode (c->p, o->immediate) != 0
      || pcap_set_timeout (c->p, LABO_CAPTURE_BLOCK_MS) != 0)
    {
      labo_error_make (err, 0, "capture %s: setting its options: %s", c->what, pcap_geterr (c->p));
      return NULL;
    }
  r = activate_in (ns_fd, c->p);
  if (r <= -1000)
    {
      labo_error_make (err, -r - 1000, "capture %s: entering %s", c->what, o->netns);
      return NULL;
    }
  if (r < 0)
    {
      const char *why = pcap_geterr (c->p);
      labo_error_make (err, 0, "capture %s (%s in %s): %s%s%s", c->what, o->ifname, o->netns,
                       pcap_statustostr (r), *why ? ": " : "", why);
      if (r == PCAP_ERROR_NO_SUCH_DEVICE)
        (*err)->status = ENOENT;
      else if (r == PCAP_ERROR_PERM_DENIED)
        (*err)->status = EPERM;
      return NULL;
    }
  /* r > 0: a warning (promiscuous mode not supported...): the capture runs */
  if (set_filter (c->p, o->filter, c->what, err) < 0)
    return NULL;
  if (pcap_setnonblock (c->p, 1, errbuf) < 0)
    {
      labo_error_make (err, 0, "capture %s: %s", c->what, errbuf);
      return NULL;
    }
  ret = c;
  c = NULL;
  return ret;
}

/* Is the namespace the capture was opened in still there under its name? */
static bool
ns_gone (const struct labo_capture *c)
{
  cleanup_free char *path = xasprintf ("%s/%s", LABO_NETNS_DIR, c->netns);
  struct stat st;

  return stat (path, &st) < 0 || st.st_dev != c->ns_dev || st.st_ino != c->ns_ino;
}

/* Is the interface gone? Asked on the capture's own socket, which answers
 * for the namespace it was made in. */
static bool
if_gone (const struct labo_capture *c)
{
  struct ifreq ifr = { 0 };

  if (strcmp (c->ifname, "any") == 0)
    return ns_gone (c);
  snprintf (ifr.ifr_name, sizeof (ifr.ifr_name), "%s", c->ifname);
  return (ioctl (pcap_fileno (c->p), SIOCGIFINDEX, &ifr) < 0 && errno == ENODEV) || ns_gone (c);
}

struct dump_ctx
{
  pcap_dumper_t *d;
  uint64_t n;
};

static void
dump_one (u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
  struct dump_ctx *x = (struct dump_ctx *) user;

  pcap_dump ((u_char *) x->d, h, bytes);
  x->n++;
}

static void
fill_stats (struct labo_capture *c, const struct dump_ctx *x, struct labo_capture_stats *st)
{
  struct pcap_stat ps;

  st->captured = x->n;
  st->dropped = pcap_stats (c->p, &ps) == 0 ? ps.ps_drop : 0;
}

int
labo_capture_run (struct labo_capture *c, int out_fd, uint64_t count, long long duration_ms,
                  int stop_fd, struct labo_capture_stats *st, labo_error_t *err)
{
  struct dump_ctx x = { NULL, 0 };
  double deadline = duration_ms > 0 ? labo_now () + (double) duration_ms / 1000 : 0;
  int fd = fcntl (out_fd, F_DUPFD_CLOEXEC, 3);
  FILE *f;
  int end = -1;

  memset (st, 0, sizeof (*st));
  if (fd < 0 || (f = fdopen (fd, "w")) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return labo_error_errno (err, "capture %s: its output", c->what);
    }
  /* pcap_dump_fopen writes the header; the FILE is the dumper's now */
  x.d = pcap_dump_fopen (c->p, f);
  if (x.d == NULL)
    {
      fclose (f);
      return labo_error_make (err, 0, "capture %s: %s", c->what, pcap_geterr (c->p));
    }
  if (pcap_dump_flush (x.d) < 0)
    end = errno == EPIPE ? LABO_CAPTURE_END_READER
                         : labo_error_errno (err, "capture %s: writing", c->what);
  while (end == -1 && !(count > 0 && x.n >= count))
    {
      struct pollfd pf[3] = { { pcap_get_selectable_fd (c->p), POLLIN, 0 },
                              { out_fd, 0, 0 },
                              { stop_fd, POLLIN, 0 } };
      int timeout = GONE_CHECK_MS, n;

      if (deadline > 0)
        {
          double left = deadline - labo_now ();
          if (left <= 0)
            {
              end = LABO_CAPTURE_END_DURATION;
              break;
            }
          if (left * 1000 < timeout)
            timeout = (int) (left * 1000) + 1;
        }
      n = poll (pf, stop_fd >= 0 ? 3 : 2, timeout);
      if (n < 0 && errno != EINTR)
        {
          end = labo_error_errno (err, "capture %s: poll", c->what);
          break;
        }
      if (n < 0)
        continue;
      if (stop_fd >= 0 && pf[2].revents)
        {
          end = LABO_CAPTURE_END_STOP;
          break;
        }
      /* a pipe whose reader closed says so even with nothing to write */
      if (pf[1].revents & (POLLERR | POLLHUP))
        {
          end = LABO_CAPTURE_END_READER;
          break;
        }
      if (n == 0)
        {
          if (ns_gone (c))
            end = LABO_CAPTURE_END_GONE;
          continue;
        }
      if (pf[0].revents == 0)
        continue;
      n = pcap_dispatch (c->p, count > 0 ? (int) (count - x.n < INT_MAX ? count - x.n : INT_MAX) : -1,
                         dump_one, (u_char *) &x);
      if (n < 0)
        {
          end = if_gone (c) ? LABO_CAPTURE_END_GONE
                            : labo_error_make (err, 0, "capture %s: %s", c->what,
                                               pcap_geterr (c->p));
          break;
        }
      if (n > 0 && pcap_dump_flush (x.d) < 0)
        end = errno == EPIPE ? LABO_CAPTURE_END_READER
                             : labo_error_errno (err, "capture %s: writing", c->what);
    }
  if (end == -1)
    end = LABO_CAPTURE_END_COUNT;
  fill_stats (c, &x, st);
  /* closes f; a reader gone makes its last flush fail, and that is fine */
  pcap_dump_close (x.d);
  return end;
}
