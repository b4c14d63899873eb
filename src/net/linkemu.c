/* labo's link emulator: see include/labo/net/linkemu.h. */
#include "labo/net/linkemu.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "labo/util/util.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define VNET_HDR sizeof (struct virtio_net_hdr)
/* a GSO super-frame, its Ethernet header and its virtio-net header */
#define FRAME_MAX (65536 + 64 + VNET_HDR)
#define BATCH 32
#define UNPACED_LIMIT (32u << 20)
#define PACED_MIN_LIMIT (128u << 10)
/* After a frame, the loop polls this long before it sleeps again: longer
 * than an answer usually takes to come back (tens of microseconds), short
 * enough that an idle emulator soon sleeps. */
#define SPIN_S 200e-6
/* A frame due but refused by a full socket is tried again this much later:
 * soon, yet long enough for the socket to drain some. */
#define RETRY_S 0.0005

/* ---- settings ---- */

double
labo_linkemu_release (const struct labo_impair *im, double now, uint32_t bytes, double u,
                      double *pace, double *last)
{
  double depart = now, hold, release;

  if (im->rate_bps)
    {
      /* its last bit leaves at `rate` after the frame before's */
      depart = (*pace > now ? *pace : now) + (double) bytes * 8 / (double) im->rate_bps;
      *pace = depart;
    }
  hold = im->delay_us / 1e6;
  if (im->jitter_us)
    hold += (2 * u - 1) * im->jitter_us / 1e6;
  if (hold < 0)
    hold = 0;
  release = depart + hold;
  /* a FIFO: never before the frame ahead of it */
  if (release < *last)
    release = *last;
  *last = release;
  return release;
}

/* ---- the data path ---- */

struct frame
{
  double release;
  uint32_t len;
  unsigned char *data; /* virtio-net header, then the frame */
};

struct dir
{
  int k;                /* 0 or 1: its index, for the counters */
  int in, out;          /* the sockets it reads from and writes to */
  struct frame *q;      /* a ring */
  size_t head, n, cap;
  size_t bytes, limit;
  double pace, last;
  struct labo_impair_rng rng; /* its own draws: a direction's fates never
                                 depend on the other's traffic */
  unsigned char *rx[BATCH];
  struct labo_linkemu_stats *st;
};

struct emu
{
  struct labo_impair im;
  struct labo_linkemu_stats *st; /* mapped, or `local` */
  struct labo_linkemu_stats local;
  struct dir d[2];
  int epfd, tfd, sfd;
  const char *settings;
  double armed;
  double active; /* when frames last came */
};

static double
now_s (void)
{
  return labo_now ();
}

/* Each direction's draws: from the settings' seed, so that the same
 * frames meet the same fates again from the moment it is set; without one,
 * from the kernel. */
static void
seed_dirs (struct emu *e)
{
  uint64_t seed = e->im.seed ? e->im.seed : labo_rng_fresh_seed ();
  for (int i = 0; i < 2; i++)
    labo_impair_rng_seed (&e->d[i].rng, seed, i);
}

static void
set_limits (struct emu *e)
{
  size_t paced = (size_t) (e->im.rate_bps / 8 / 4); /* 250 ms of it */
  for (int i = 0; i < 2; i++)
    e->d[i].limit = e->im.rate_bps ? (paced > PACED_MIN_LIMIT ? paced : PACED_MIN_LIMIT)
                                   : UNPACED_LIMIT;
}

static void
reload (struct emu *e)
{
  cleanup_free char *text = labo_read_file (e->settings, NULL);
  uint64_t had = e->im.seed;
  labo_impair_parse (text ? text : "", &e->im);
  set_limits (e);
  /* a seed given (again) replays from here; no seed keeps the stream */
  if (e->im.seed != 0 || had != 0)
    seed_dirs (e);
}

/* The Internet checksum that the virtio-net header left to the device:
 * computed here, so that a bit flipped after it is caught at the other
 * end, as a wire's corruption would be. The field holds the pseudo-
 * header's sum already. */
static void
finish_checksum (unsigned char *frame, uint32_t len, const struct virtio_net_hdr *h)
{
  uint32_t start = h->csum_start, at = start + h->csum_offset, sum = 0;
  uint16_t out;
  if (at + 2 > len)
    return;
  for (uint32_t i = start; i + 1 < len; i += 2)
    sum += (uint32_t) (frame[i] << 8 | frame[i + 1]);
  if ((len - start) & 1)
    sum += (uint32_t) frame[len - 1] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  out = (uint16_t) ~sum;
  if (out == 0)
    out = 0xffff; /* UDP's "no checksum" is 0 */
  frame[at] = (uint8_t) (out >> 8);
  frame[at + 1] = (uint8_t) out;
}

/* Flips one bit past the Ethernet header (the frame still reaches its
 * host, whose IP or transport checksum then refuses it). A GSO super-frame
 * cannot be: its segments' checksums are computed after it, over the
 * flipped bit, so the corruption would reach the application; it is
 * dropped whole instead (false), as its one corrupt segment would be, and
 * TCP sends it again. */
static bool
corrupt (unsigned char *buf, uint32_t len, struct labo_impair_rng *r)
{
  struct virtio_net_hdr *h = (struct virtio_net_hdr *) (void *) buf;
  unsigned char *frame = buf + VNET_HDR;
  uint32_t n = len - (uint32_t) VNET_HDR, pos;

  if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE)
    return false;
  if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
    {
      finish_checksum (frame, n, h);
      h->flags &= (uint8_t) ~VIRTIO_NET_HDR_F_NEEDS_CSUM;
      h->csum_start = h->csum_offset = 0;
    }
  if (n <= ETH_HLEN)
    return true;
  pos = ETH_HLEN + (uint32_t) (labo_impair_uniform (r) * (n - ETH_HLEN));
  frame[pos] ^= (unsigned char) (1u << (unsigned) (labo_impair_uniform (r) * 8));
  return true;
}

static int
open_port (int ifindex, labo_error_t *err)
{
  struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons (ETH_P_ALL),
                             .sll_ifindex = ifindex };
  struct packet_mreq mr = { .mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC };
  int one = 1, big = 8 << 20;
  int fd = socket (AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons (ETH_P_ALL));

  if (fd < 0)
    return labo_error_errno (err, "opening a packet socket on interface %d", ifindex);
  /* GSO frames whole; not our own transmissions back; all frames, not
   * only those for the interface's address; room for bursts */
  if (setsockopt (fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof (one)) < 0
      || setsockopt (fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof (one)) < 0
      || setsockopt (fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof (mr)) < 0
      || bind (fd, (struct sockaddr *) &sll, sizeof (sll)) < 0)
    {
      int saved = errno;
      close (fd);
      return labo_error_make (err, saved, "setting up a packet socket on interface %d", ifindex);
    }
  setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof (big));
  setsockopt (fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof (big));
  return fd;
}

static void
enqueue (struct dir *d, const unsigned char *data, uint32_t len, double release)
{
  struct frame *f;
  if (d->n == d->cap)
    {
      /* grow the ring, unwrapping it */
      size_t cap = d->cap ? d->cap * 2 : 1024;
      struct frame *q = xcalloc (cap, sizeof (*q));
      for (size_t i = 0; i < d->n; i++)
        q[i] = d->q[(d->head + i) % d->cap];
      free (d->q);
      d->q = q;
      d->cap = cap;
      d->head = 0;
    }
  f = &d->q[(d->head + d->n) % d->cap];
  f->release = release;
  f->len = len;
  f->data = xmalloc (len);
  memcpy (f->data, data, len);
  d->n++;
  d->bytes += len;
}

/* Sends what is due at `now`; stops at a full socket (EAGAIN: the next
 * timer tick retries). */
static void
flush (struct dir *d, double now)
{
  while (d->n > 0)
    {
      struct frame *f = &d->q[d->head];
      if (f->release > now)
        return;
      if (send (d->out, f->data, f->len, MSG_DONTWAIT) < 0)
        {
          if (errno == EAGAIN || errno == ENOBUFS)
            return;
        }
      else
        {
          d->st->frames[d->k]++;
          d->st->bytes[d->k] += f->len - VNET_HDR;
        }
      d->bytes -= f->len;
      free (f->data);
      d->head = (d->head + 1) % d->cap;
      d->n--;
    }
}

/* Reads what arrived on d->in, a batch at a time. */
static void
receive (struct emu *e, struct dir *d)
{
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct mmsghdr out[BATCH];
  struct iovec oiov[BATCH];

  for (;;)
    {
      int n, k = 0;
      double now;
      memset (msgs, 0, sizeof (msgs));
      for (int i = 0; i < BATCH; i++)
        {
          iov[i].iov_base = d->rx[i];
          iov[i].iov_len = FRAME_MAX;
          msgs[i].msg_hdr.msg_iov = &iov[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
        }
      n = recvmmsg (d->in, msgs, BATCH, MSG_DONTWAIT, NULL);
      if (n < 0 && errno == EINVAL)
        {
          /* a frame whose offload the virtio-net header cannot say (the
           * kernel drops it): the next one */
          d->st->unsupported[d->k]++;
          continue;
        }
      if (n <= 0)
        return;
      now = now_s ();
      for (int i = 0; i < n; i++)
        {
          uint32_t len = msgs[i].msg_len;
          double release;
          unsigned fate;
          if (len <= VNET_HDR)
            continue;
          fate = labo_impair_fate (&e->im, &d->rng);
          if (fate & LABO_FATE_LOST)
            {
              d->st->lost[d->k]++;
              continue;
            }
          if (fate & LABO_FATE_CORRUPT)
            {
              d->st->corrupted[d->k]++;
              if (!corrupt (d->rx[i], len, &d->rng))
                continue;
            }
          if (labo_impair_none (&e->im) && d->n == 0)
            {
              /* straight through, from the receive buffer */
              oiov[k].iov_base = d->rx[i];
              oiov[k].iov_len = len;
              memset (&out[k], 0, sizeof (out[k]));
              out[k].msg_hdr.msg_iov = &oiov[k];
              out[k].msg_hdr.msg_iovlen = 1;
              k++;
              continue;
            }
          if (fate & LABO_FATE_REORDER)
            {
              /* ahead of every frame the delay holds: out at once */
              d->st->reordered[d->k]++;
              if (send (d->out, d->rx[i], len, MSG_DONTWAIT) >= 0)
                {
                  d->st->frames[d->k]++;
                  d->st->bytes[d->k] += len - VNET_HDR;
                }
              continue;
            }
          for (int copy = 0; copy < ((fate & LABO_FATE_DUPLICATE) ? 2 : 1); copy++)
            {
              if (d->bytes + len > d->limit)
                {
                  d->st->overflow[d->k]++;
                  break;
                }
              if (copy == 1)
                d->st->duplicated[d->k]++;
              release = labo_linkemu_release (&e->im, now, len - (uint32_t) VNET_HDR,
                                              labo_impair_uniform (&d->rng), &d->pace, &d->last);
              enqueue (d, d->rx[i], len, release);
            }
        }
      if (k > 0)
        {
          int sent = sendmmsg (d->out, out, (unsigned) k, MSG_DONTWAIT);
          for (int i = 0; i < sent; i++)
            {
              d->st->frames[d->k]++;
              d->st->bytes[d->k] += out[i].msg_len - VNET_HDR;
            }
        }
      flush (d, now);
      if (n < BATCH)
        return;
    }
}

static void
arm (struct emu *e)
{
  double next = 0;
  struct itimerspec its = { { 0, 0 }, { 0, 0 } };

  for (int i = 0; i < 2; i++)
    if (e->d[i].n > 0 && (next == 0 || e->d[i].q[e->d[i].head].release < next))
      next = e->d[i].q[e->d[i].head].release;
  if (next == e->armed)
    return;
  e->armed = next;
  if (next > 0)
    {
      its.it_value.tv_sec = (time_t) next;
      its.it_value.tv_nsec = (long) ((next - (double) (time_t) next) * 1e9);
      if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
        its.it_value.tv_nsec = 1;
    }
  timerfd_settime (e->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

int
labo_linkemu_stats_read (const char *stats_path, struct labo_linkemu_stats *out)
{
  cleanup_close int fd = open (stats_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || pread (fd, out, sizeof (*out), 0) != (ssize_t) sizeof (*out)
      || out->magic != LABO_LINKEMU_MAGIC)
    return -1;
  return 0;
}

/* The counters, in a file mapped shared; in memory if it cannot be. */
static struct labo_linkemu_stats *
map_stats (const char *path, struct labo_linkemu_stats *local)
{
  cleanup_close int fd = path ? open (path, O_RDWR | O_CREAT | O_NOFOLLOW | O_TRUNC | O_CLOEXEC, 0600) : -1;
  void *p;
  if (fd < 0 || ftruncate (fd, sizeof (*local)) < 0)
    return local;
  p = mmap (NULL, sizeof (*local), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED)
    return local;
  ((struct labo_linkemu_stats *) p)->magic = LABO_LINKEMU_MAGIC;
  return p;
}

/* What epoll's events carry: the direction whose socket is readable (its
 * index in emu.d), the timer, the signals. */
enum
{
  EV_DIR_A = 0,
  EV_DIR_B = 1,
  EV_TIMER = 2,
  EV_SIGNALS = 3,
};

/* The counters, the receive buffers, the random state and the settings:
 * what needs no descriptor. */
static void
emu_init (struct emu *e, const char *settings_path, const char *stats_path)
{
  *e = (struct emu){ .settings = settings_path, .epfd = -1, .tfd = -1, .sfd = -1 };
  e->st = map_stats (stats_path, &e->local);
  for (int i = 0; i < 2; i++)
    {
      e->d[i].k = i;
      e->d[i].st = e->st;
      e->d[i].in = e->d[i].out = -1;
      for (int k = 0; k < BATCH; k++)
        e->d[i].rx[k] = xmalloc (FRAME_MAX);
    }
  reload (e);
  if (e->im.seed == 0)
    seed_dirs (e);
}

/* The loop's descriptors (signals, timer, epoll) and the two ports'
 * sockets, each watched by epoll. */
static int
emu_open (struct emu *e, int ifindex_a, int ifindex_b, labo_error_t *err)
{
  static const uint32_t ids[] = { EV_DIR_A, EV_DIR_B, EV_TIMER, EV_SIGNALS };
  sigset_t sigs;

  sigemptyset (&sigs);
  sigaddset (&sigs, SIGHUP);
  sigaddset (&sigs, SIGTERM);
  sigaddset (&sigs, SIGINT);
  sigprocmask (SIG_BLOCK, &sigs, NULL);
  e->sfd = signalfd (-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
  e->tfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  e->epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (e->sfd < 0 || e->tfd < 0 || e->epfd < 0)
    return labo_error_errno (err, "setting up the link emulator's loop");
  /* d[0]: a to b; d[1]: b to a */
  e->d[0].in = e->d[1].out = open_port (ifindex_a, err);
  if (e->d[0].in < 0)
    return -1;
  e->d[1].in = e->d[0].out = open_port (ifindex_b, err);
  if (e->d[1].in < 0)
    return -1;
  {
    const int fds[] = { e->d[0].in, e->d[1].in, e->tfd, e->sfd };
    for (size_t i = 0; i < sizeof (ids) / sizeof (ids[0]); i++)
      {
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = ids[i] };
        epoll_ctl (e->epfd, EPOLL_CTL_ADD, fds[i], &ev);
      }
  }
  return 0;
}

/* The timer fired: what is due leaves. */
static void
on_timer (struct emu *e)
{
  uint64_t ticks;
  double now = now_s ();

  if (read (e->tfd, &ticks, sizeof (ticks)) < 0)
    {
      /* spurious: the flush below decides */
    }
  e->armed = 0;
  flush (&e->d[0], now);
  flush (&e->d[1], now);
}

/* SIGHUP rereads the settings; SIGTERM and SIGINT stop the loop (true). */
static bool
on_signals (struct emu *e)
{
  struct signalfd_siginfo si;
  bool stop = false;

  while (read (e->sfd, &si, sizeof (si)) == (ssize_t) sizeof (si))
    if (si.ssi_signo == SIGHUP)
      reload (e);
    else
      stop = true;
  return stop;
}

/* After the events: a frame queued but its queue's head not due: send
 * what is, then wait for the earliest. */
static void
send_due_and_arm (struct emu *e)
{
  for (int i = 0; i < 2; i++)
    if (e->d[i].n > 0 && e->d[i].q[e->d[i].head].release <= now_s ())
      flush (&e->d[i], now_s ());
  if (e->d[0].n || e->d[1].n)
    {
      /* a full socket leaves a due frame at the head: retry soon */
      for (int i = 0; i < 2; i++)
        if (e->d[i].n > 0 && e->d[i].q[e->d[i].head].release <= now_s ())
          e->d[i].q[e->d[i].head].release = now_s () + RETRY_S;
      arm (e);
    }
}

/* The loop, until SIGTERM or SIGINT (0) or epoll fails (-1). */
static int
emu_loop (struct emu *e, labo_error_t *err)
{
  bool stop = false;

  while (!stop)
    {
      struct epoll_event evs[8];
      /* Shortly after a frame, poll instead of sleeping: the answer to
       * it is often back within tens of microseconds, and waking a
       * sleeping (virtual) CPU costs as much again, on each crossing. */
      bool spin = now_s () - e->active < SPIN_S;
      int n = epoll_wait (e->epfd, evs, 8, spin ? 0 : -1);
      if (n == 0)
        continue;
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return labo_error_errno (err, "waiting in the link emulator");
      for (int i = 0; i < n; i++)
        switch (evs[i].data.u32)
          {
          case EV_DIR_A:
          case EV_DIR_B:
            receive (e, &e->d[evs[i].data.u32]);
            e->active = now_s ();
            break;
          case EV_TIMER:
            on_timer (e);
            break;
          case EV_SIGNALS:
          default:
            stop |= on_signals (e);
            break;
          }
      send_due_and_arm (e);
    }
  return 0;
}

/* The frames still queued, the buffers, the descriptors, the mapping. */
static void
emu_release (struct emu *e)
{
  for (int i = 0; i < 2; i++)
    {
      while (e->d[i].n > 0)
        {
          free (e->d[i].q[e->d[i].head].data);
          e->d[i].head = (e->d[i].head + 1) % e->d[i].cap;
          e->d[i].n--;
        }
      free (e->d[i].q);
      for (int k = 0; k < BATCH; k++)
        free (e->d[i].rx[k]);
    }
  if (e->d[0].in >= 0)
    close (e->d[0].in);
  if (e->d[1].in >= 0)
    close (e->d[1].in);
  if (e->epfd >= 0)
    close (e->epfd);
  if (e->tfd >= 0)
    close (e->tfd);
  if (e->sfd >= 0)
    close (e->sfd);
  if (e->st != &e->local)
    munmap (e->st, sizeof (*e->st));
}

int
labo_linkemu_run (int ifindex_a, int ifindex_b, const char *settings_path,
                  const char *stats_path, int ready_fd, labo_error_t *err)
{
  struct emu e;
  int ret = -1;

  emu_init (&e, settings_path, stats_path);
  if (emu_open (&e, ifindex_a, ifindex_b, err) == 0)
    {
      if (ready_fd >= 0)
        {
          char zero = 0;
          if (write (ready_fd, &zero, 1) < 0)
            {
              /* nobody waits */
            }
        }
      ret = emu_loop (&e, err);
    }
  emu_release (&e);
  return ret;
}
