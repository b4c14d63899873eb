/* The link emulation's fidelity self-test: see include/labo/engine/linkverify.h. */
#include "labo/engine/linkverify.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "labo/engine/links.h"
#include "labo/model/plan.h"
#include "labo/net/netns.h"
#include "labo/util/util.h"

#define PROBE_MAGIC 0x6c76666bu /* "lvfk" */
#define PROBE_BYTES 64
/* a burst's datagrams: at most the Ethernet MTU's worth */
#define BURST_PAYLOAD 1400
/* UDP, IPv4 and Ethernet headers: what the link's rate counts */
#define WIRE_OVERHEAD (8 + 20 + 14)
/* the probes take at most this long, whatever the jitter asks of the gap */
#define PROBES_MAX_S 8.0

struct probe
{
  uint32_t magic, way, seq, pad;
  double sent;
  char fill[PROBE_BYTES - 24];
};

/* ---- judging (pure) ---- */

static void
check (json_t *checks, const char *setting, double asked, double measured, double tolerance,
       const char *unit, bool *all)
{
  bool within = fabs (measured - asked) <= tolerance;
  json_array_append_new (checks,
                         json_pack ("{s:s, s:f, s:f, s:f, s:f, s:s, s:b}", "setting", setting,
                                    "asked", asked, "measured", measured, "gap", measured - asked,
                                    "tolerance", tolerance, "unit", unit, "within", within));
  *all &= within;
}

/* A share's tolerance: 3 standard deviations of the binomial, plus 0.2%. */
static double
share_tolerance (double p, unsigned n)
{
  return 3 * sqrt (p * (1 - p) / (n ? n : 1)) + 0.002;
}

/* Losses in a chain come in runs, and a share of them varies more than
 * the binomial says: by (1 + rho) / (1 - rho), rho the lag-1 correlation
 * (C for a correlated loss; 1 - p - r for a chain that loses every frame
 * when bad, and the same for want of better when it loses some). */
static double
loss_tolerance (const struct labo_impair *im, unsigned n)
{
  double rho = 0;
  if (im->ge_p_ppm)
    rho = 1 - im->ge_p_ppm / 1e6 - im->ge_r_ppm / 1e6;
  else if (im->loss_ppm)
    rho = im->loss_corr_ppm / 1e6;
  if (rho < 0)
    rho = 0;
  if (rho > 0.99)
    rho = 0.99;
  return share_tolerance (labo_impair_mean_loss (im), (unsigned) (n * (1 - rho) / (1 + rho)));
}

bool
labo_linkverify_judge (const struct labo_impair *asked, const struct labo_linkverify_way *ways,
                       size_t n_ways, unsigned probes, unsigned corrupted, double gap_us,
                       double rate_bps, json_t *checks)
{
  double corrupt_share = n_ways ? (double) corrupted / ((double) probes * (double) n_ways) : 0;
  bool all = true;
  double loss = labo_impair_mean_loss (asked);
  /* a probe's own time on the wire at the rate comes on top of the delay */
  double wire_ms = asked->rate_bps ? (PROBE_BYTES + WIRE_OVERHEAD) * 8e3 / (double) asked->rate_bps : 0;

  for (size_t i = 0; i < n_ways; i++)
    {
      const struct labo_linkverify_way *w = &ways[i];
      char name[32];
      double sent = w->sent ? w->sent : 1;
      const char *way = i == 0 ? "from" : "to";
      double d = asked->delay_us / 1e3 + wire_ms, j = asked->jitter_us / 1e3;

#define NAME(s) (snprintf (name, sizeof (name), "%s %s", s, way), name)
      if (w->received)
        {
          check (checks, NAME ("delay"), d, w->delay_us / 1e3, fmax (2, 0.05 * d), "ms", &all);
          check (checks, NAME ("jitter"), j, w->jitter_us / 1e3, fmax (2, 0.25 * j), "ms", &all);
        }
      check (checks, NAME ("loss"), 100 * loss,
             100 * ((sent - w->distinct) / sent - corrupt_share),
             100 * loss_tolerance (asked, probes), "%", &all);
      if (asked->loss_corr_ppm || asked->ge_p_ppm)
        {
          /* a run of losses lasts 1/r frames on average when the bad state
           * loses every frame and the good none */
          double r = asked->ge_p_ppm ? asked->ge_r_ppm / 1e6
                                     : (1 - asked->loss_ppm / 1e6) * (1 - asked->loss_corr_ppm / 1e6);
          bool pure = !asked->ge_p_ppm || (asked->ge_bad_ppm == 1000000 && asked->ge_good_ppm == 0);
          if (pure && r > 0 && w->burst > 0)
            check (checks, NAME ("burst"), 1 / r, w->burst, 0.3 / r + 0.3, "frames", &all);
        }
      if (asked->duplicate_ppm || w->duplicated)
        check (checks, NAME ("duplicate"), asked->duplicate_ppm / 1e4,
               100.0 * w->duplicated / (w->distinct ? w->distinct : 1),
               100 * share_tolerance (asked->duplicate_ppm / 1e6, w->distinct), "%", &all);
      /* a reordered probe shows only by overtaking one the delay still
       * holds: the probes must be closer than the delay */
      if ((asked->reorder_ppm && gap_us < asked->delay_us) || w->reordered)
        check (checks, NAME ("reorder"), asked->reorder_ppm / 1e4,
               100.0 * w->reordered / (w->distinct ? w->distinct : 1),
               100 * share_tolerance (asked->reorder_ppm / 1e6, w->distinct), "%", &all);
#undef NAME
    }
  /* corrupted probes are counted by the kernels (both hosts', the
   * bridge's), which cannot say which way they went: both ways at once */
  if (asked->corrupt_ppm || corrupted)
    check (checks, "corrupt both", asked->corrupt_ppm / 1e4, 100 * corrupt_share,
           100 * share_tolerance (asked->corrupt_ppm / 1e6, probes * (unsigned) n_ways), "%",
           &all);
  if (rate_bps >= 0 && asked->rate_bps)
    check (checks, "rate from", asked->rate_bps / 1e6, rate_bps / 1e6,
           0.1 * asked->rate_bps / 1e6, "Mbit/s", &all);
  return all;
}

/* ---- measuring ---- */

struct way
{
  int tx, rx;              /* the sending and the receiving socket */
  struct sockaddr_in to;
  unsigned *count;         /* per probe: how many times it came */
  double *delay;           /* per arrival: its one-way delay */
  unsigned *order;         /* per arrival: its probe's number */
  size_t arrivals;
  struct labo_linkverify_way out;
};

/* A namespace's refused datagrams so far: IP headers whose checksum (or
 * version) failed, and UDP's errors (a checksum, a length) but a full
 * socket. */
static long long
refused (int fd)
{
  char buf[8192], *line, *save = NULL, *names = NULL;
  ssize_t n = pread (fd, buf, sizeof (buf) - 1, 0);
  long long total = 0;

  if (n <= 0)
    return 0;
  buf[n] = '\0';
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      if (names == NULL || strncmp (names, line, (size_t) (strchr (line, ':') - line + 1)) != 0)
        {
          names = line; /* "Ip: Forwarding ..." then "Ip: 1 64 ..." */
          continue;
        }
      {
        char *ns = NULL, *vs = NULL;
        char *nt = strtok_r (strchr (names, ' '), " ", &ns);
        char *vt = strtok_r (strchr (line, ' '), " ", &vs);
        bool ip = strncmp (line, "Ip:", 3) == 0, udp = strncmp (line, "Udp:", 4) == 0;
        for (; nt && vt; nt = strtok_r (NULL, " ", &ns), vt = strtok_r (NULL, " ", &vs))
          if ((ip && strcmp (nt, "InHdrErrors") == 0) || (udp && strcmp (nt, "InErrors") == 0))
            total += atoll (vt);
          else if (udp && strcmp (nt, "RcvbufErrors") == 0)
            total -= atoll (vt); /* a full socket is no corruption */
      }
      names = NULL;
    }
  return total;
}

static void
receive (struct way *w, unsigned n)
{
  struct probe p;
  ssize_t got;

  while ((got = recv (w->rx, &p, sizeof (p), MSG_DONTWAIT)) >= 0)
    {
      double t = labo_now ();
      if (got != (ssize_t) sizeof (p) || p.magic != PROBE_MAGIC || p.seq >= n)
        continue;
      if (w->count[p.seq]++ == 0)
        {
          w->delay[w->arrivals] = (t - p.sent) * 1e6;
          w->order[w->arrivals++] = p.seq;
        }
    }
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void
summarize (struct way *w, unsigned n)
{
  struct labo_linkverify_way *o = &w->out;
  double runs = 0, lost = 0;
  unsigned min_after = n;
  size_t kept = 0;

  o->sent = n;
  o->distinct = (unsigned) w->arrivals;
  for (unsigned i = 0; i < n; i++)
    {
      o->received += w->count[i];
      if (w->count[i] > 1)
        o->duplicated += w->count[i] - 1;
      if (w->count[i] == 0)
        {
          lost++;
          if (i == 0 || w->count[i - 1] != 0)
            runs++;
        }
    }
  o->burst = runs ? lost / runs : 0;
  /* a probe came before one sent earlier: one that came after it has a
   * smaller number (the smallest of those after, kept from the end). It
   * left at once, so its delay says nothing of the delay's spread: the
   * others' delays are kept, in place of the arrivals' */
  for (size_t k = w->arrivals; k-- > 0;)
    {
      bool overtook = min_after < w->order[k];
      if (overtook)
        o->reordered++;
      if (w->order[k] < min_after)
        min_after = w->order[k];
      if (!overtook)
        w->delay[kept++] = w->delay[k];
    }
  if (kept)
    {
      /* the median, and the spread between the quartiles: a uniform
       * +-J has its quartiles at -J/2 and +J/2, and a probe held up by a
       * busy machine moves them little */
      qsort (w->delay, kept, sizeof (double), cmp_double);
      o->delay_us = w->delay[kept / 2];
      o->jitter_us = w->delay[(kept * 3) / 4] - w->delay[kept / 4];
    }
}

/* Both ways at once: probe i leaves each socket at t0 + i x gap. */
static void
probe_both (struct way *w, unsigned n, double gap, double drain)
{
  double t0 = labo_now () + 0.02, end;
  unsigned next = 0;

  while (next < n)
    {
      double due = t0 + next * gap, now = labo_now ();
      struct pollfd pfd[2] = { { w[0].rx, POLLIN, 0 }, { w[1].rx, POLLIN, 0 } };
      if (now >= due)
        {
          for (int k = 0; k < 2; k++)
            {
              struct probe p = { .magic = PROBE_MAGIC, .way = (uint32_t) k, .seq = next,
                                 .sent = labo_now () };
              if (sendto (w[k].tx, &p, sizeof (p), 0, (struct sockaddr *) &w[k].to,
                          sizeof (w[k].to))
                  < 0)
                {
                  /* a full socket is a probe lost on this side: counted so */
                }
            }
          next++;
          continue;
        }
      poll (pfd, 2, (int) ((due - now) * 1e3));
      receive (&w[0], n);
      receive (&w[1], n);
    }
  end = labo_now () + drain;
  while (labo_now () < end)
    {
      struct pollfd pfd[2] = { { w[0].rx, POLLIN, 0 }, { w[1].rx, POLLIN, 0 } };
      poll (pfd, 2, 20);
      receive (&w[0], n);
      receive (&w[1], n);
    }
}

/* A burst at 1.25 x the rate from the host; the rate its arrivals come
 * at (-1: too few came to say). */
static double
burst (struct way *w, uint64_t rate_bps, double drain)
{
  size_t payload = rate_bps < 1000000 ? 200 : BURST_PAYLOAD;
  double bits = (double) (payload + WIRE_OVERHEAD) * 8, every = bits / (1.25 * (double) rate_bps);
  double seconds = fmin (fmax (1.0, 40 * bits / (double) rate_bps), 5.0);
  unsigned n = (unsigned) (seconds / every), got = 0;
  double first = 0, last = 0, t0 = labo_now () + 0.01, end;
  char *buf = xcalloc (1, payload), in[BURST_PAYLOAD];

  for (unsigned i = 0; i < n; i++)
    {
      double due = t0 + i * every;
      while (labo_now () < due)
        if (recv (w->rx, in, sizeof (in), MSG_DONTWAIT) == (ssize_t) payload)
          {
            last = labo_now ();
            if (got++ == 0)
              first = last;
          }
      if (sendto (w->tx, buf, payload, 0, (struct sockaddr *) &w->to, sizeof (w->to)) < 0)
        {
          /* the host's own queue is full: that datagram never leaves */
        }
    }
  end = labo_now () + drain;
  while (labo_now () < end)
    {
      struct pollfd pfd = { w->rx, POLLIN, 0 };
      if (poll (&pfd, 1, 100) == 0 && got > 0)
        break; /* the burst has come through */
      while (recv (w->rx, in, sizeof (in), MSG_DONTWAIT) == (ssize_t) payload)
        {
          last = labo_now ();
          if (got++ == 0)
            first = last;
        }
    }
  free (buf);
  if (got < 10 || last <= first)
    return -1;
  return (double) (got - 1) * bits / (last - first);
}

/* The host end's link whose address the peer is reached at, and the
 * peer's: for a host-to-host link its other end; on a segment, the host
 * named (or the first) with a link there that carries no settings. */
static int
find_peer (const struct labo_lab *lab, size_t link, const char *peer, size_t *peer_host,
           uint32_t *peer_addr, labo_error_t *err)
{
  const struct labo_link *l = &lab->links[link];
  cleanup_free char *busy = NULL;

  if (l->kind == LABO_LINK_P2P)
    {
      if (peer && strcmp (peer, lab->hosts[l->b.host].name) != 0)
        return labo_error_make (err, EINVAL, "link %s@%s joins two hosts: its peer is %s",
                                lab->hosts[l->a.host].name, lab->hosts[l->b.host].name,
                                lab->hosts[l->b.host].name);
      if (!l->b.has_addr)
        return labo_error_make (err, EINVAL, "%s has no address on the link to measure with",
                                lab->hosts[l->b.host].name);
      *peer_host = l->b.host;
      *peer_addr = l->b.addr.addr;
      return 0;
    }
  for (size_t k = 0; k < lab->n_links; k++)
    {
      const struct labo_link *o = &lab->links[k];
      struct labo_linkset s;
      if (k == link || o->kind != LABO_LINK_SEGMENT || o->segment != l->segment || !o->a.has_addr
          || o->a.host == l->a.host
          || (peer && strcmp (peer, lab->hosts[o->a.host].name) != 0))
        continue;
      labo_linkset_load (lab, k, &s);
      if (!labo_impair_none (&s.im) || s.down)
        {
          cleanup_free char *d = labo_impair_describe (&s.im);
          if (peer)
            return labo_error_make (err, EBUSY,
                                    "%s's link to %s has settings too (%s%s): a peer's "
                                    "settings would be measured with the link's (`labo link "
                                    "reset %s %s`, or another --peer)",
                                    peer, lab->segments[l->segment].name, d,
                                    s.down ? ", pulled out" : "", peer,
                                    lab->segments[l->segment].name);
          if (busy == NULL)
            busy = xstrdup (lab->hosts[o->a.host].name);
          continue;
        }
      *peer_host = o->a.host;
      *peer_addr = o->a.addr.addr;
      return 0;
    }
  if (peer)
    return labo_error_make (err, ENOENT, "%s has no address on segment %s", peer,
                            lab->segments[l->segment].name);
  return labo_error_make (err, ENOENT,
                          "no other host on segment %s to measure against%s%s%s",
                          lab->segments[l->segment].name,
                          busy ? " whose link has no settings (" : "", busy ? busy : "",
                          busy ? "'s has: reset it, or name it with --peer to see why)" : "");
}

/* A UDP socket of host h's namespace, bound to addr and an ephemeral port. */
static int
bound_socket (const struct labo_lab *lab, size_t h, uint32_t addr, struct sockaddr_in *at,
              int *counters, labo_error_t *err)
{
  cleanup_free char *ns = labo_host_netns_name (lab->name, lab->hosts[h].name);
  cleanup_close int nsfd = labo_netns_open (ns, err);
  socklen_t len = sizeof (*at);
  int fd, big = 4 << 20;

  if (nsfd < 0)
    return -1;
  fd = labo_netns_socket (nsfd, ns, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0, err);
  if (fd < 0)
    return -1;
  *at = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl (addr) };
  setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof (big));
  if (bind (fd, (struct sockaddr *) at, sizeof (*at)) < 0 || getsockname (fd, (struct sockaddr *) at, &len) < 0)
    {
      int saved = errno;
      close (fd);
      return labo_error_make (err, saved, "binding a probe socket in %s", ns);
    }
  *counters = labo_netns_open_net_file (nsfd, ns, "snmp", err);
  if (*counters < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

static json_t *
way_json (const struct labo_linkverify_way *w, const char *from, const char *to)
{
  return json_pack ("{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:f, s:f, s:f}", "from", from, "to",
                    to, "sent", (int) w->sent, "received", (int) w->received, "distinct",
                    (int) w->distinct, "duplicated",
                    (int) w->duplicated, "reordered", (int) w->reordered, "delay_us",
                    w->delay_us, "jitter_us", w->jitter_us, "burst", w->burst);
}

json_t *
labo_link_verify (const struct labo_lab *lab, size_t link, const char *peer, unsigned probes,
                  labo_error_t *err)
{
  const struct labo_link *l = &lab->links[link];
  struct labo_linkset s;
  struct way w[2];
  struct sockaddr_in at[2];
  int fds[2] = { -1, -1 }, counters[3] = { -1, -1, -1 };
  long long refused0 = 0, corrupted = 0;
  size_t ph = 0;
  uint32_t paddr = 0;
  double gap, drain, rate = -1;
  cleanup_free char *name = labo_link_name (lab, link), *settings = NULL;
  json_t *report = NULL, *checks;
  bool within;

  labo_linkset_load (lab, link, &s);
  if (s.down)
    return labo_error_make (err, EINVAL, "link %s is pulled out: nothing crosses it to measure "
                            "(`labo link ... --up` first)", name), NULL;
  if (!l->a.has_addr)
    return labo_error_make (err, EINVAL, "link %s has no address to measure with", name), NULL;
  if (find_peer (lab, link, peer, &ph, &paddr, err) < 0)
    return NULL;
  if (probes == 0)
    probes = LABO_LINKVERIFY_PROBES;
  /* twice the jitter apart: a probe held longest cannot be overtaken by
   * the next held least, so the FIFO does not narrow the spread */
  gap = fmax (1e-3, 2.0 * s.im.jitter_us / 1e6 + 1e-4);
  /* and at most half the rate, each way, or the queue would be measured */
  if (s.im.rate_bps)
    gap = fmax (gap, 2.0 * (PROBE_BYTES + WIRE_OVERHEAD) * 8 / (double) s.im.rate_bps);
  if (probes * gap > PROBES_MAX_S)
    probes = (unsigned) fmax (200, PROBES_MAX_S / gap);
  drain = (s.im.delay_us + s.im.jitter_us) / 1e6 + 0.5;
  memset (w, 0, sizeof (w));
  fds[0] = bound_socket (lab, l->a.host, l->a.addr.addr, &at[0], &counters[0], err);
  if (fds[0] >= 0)
    fds[1] = bound_socket (lab, ph, paddr, &at[1], &counters[1], err);
  if (fds[1] < 0)
    goto out;
  if (l->kind == LABO_LINK_SEGMENT)
    {
      cleanup_free char *sw = labo_switch_netns_name (lab->name);
      cleanup_close int swfd = labo_netns_open (sw, NULL);
      counters[2] = swfd >= 0 ? labo_netns_open_net_file (swfd, sw, "snmp", NULL) : -1;
    }
  /* w[0]: from the host to the peer; w[1]: back */
  for (int k = 0; k < 2; k++)
    {
      w[k].tx = fds[k];
      w[k].rx = fds[1 - k];
      w[k].to = at[1 - k];
      w[k].count = xcalloc (probes, sizeof (unsigned));
      w[k].delay = xcalloc (probes, sizeof (double));
      w[k].order = xcalloc (probes, sizeof (unsigned));
    }
  /* the datagrams refused for a corrupt header or checksum: by either
   * host, or by the segment's bridge (bridged IPv4 is checked on its way
   * through the switch namespace's netfilter) */
  for (int k = 0; k < 3; k++)
    refused0 += counters[k] >= 0 ? refused (counters[k]) : 0;
  probe_both (w, probes, gap, drain);
  for (int k = 0; k < 3; k++)
    corrupted += counters[k] >= 0 ? refused (counters[k]) : 0;
  corrupted -= refused0;
  for (int k = 0; k < 2; k++)
    summarize (&w[k], probes);
  if (s.im.rate_bps)
    rate = burst (&w[0], s.im.rate_bps, drain + 1);
  settings = labo_impair_describe (&s.im);
  checks = json_array ();
  {
    struct labo_linkverify_way ways[2] = { w[0].out, w[1].out };
    within = labo_linkverify_judge (&s.im, ways, 2, probes, (unsigned) corrupted, gap * 1e6,
                                    rate, checks);
  }
  report = json_pack ("{s:s, s:s, s:s, s:s, s:i, s:f, s:o, s:o, s:b}", "link", name, "host",
                      lab->hosts[l->a.host].name, "peer", lab->hosts[ph].name, "settings",
                      settings, "probes", (int) probes, "gap_us", gap * 1e6, "ways",
                      json_pack ("[o, o]",
                                 way_json (&w[0].out, lab->hosts[l->a.host].name,
                                           lab->hosts[ph].name),
                                 way_json (&w[1].out, lab->hosts[ph].name,
                                           lab->hosts[l->a.host].name)),
                      "checks", checks, "within", within);
  if (rate >= 0)
    json_object_set_new (report, "rate_bps", json_real (rate));
  json_object_set_new (report, "corrupted", json_integer ((json_int_t) corrupted));
  if (s.im.corrupt_ppm)
    json_object_set_new (report, "note",
                         json_string ("corrupt counts every datagram the receiving host's "
                                      "checksums refused: in a lab whose nodes talk across the "
                                      "link, theirs too"));
out:
  if (counters[2] >= 0)
    close (counters[2]);
  for (int k = 0; k < 2; k++)
    {
      if (fds[k] >= 0)
        close (fds[k]);
      if (counters[k] >= 0)
        close (counters[k]);
      free (w[k].count);
      free (w[k].delay);
      free (w[k].order);
    }
  return report;
}

bool
labo_link_verify_print (json_t *report, FILE *out)
{
  json_t *checks = json_object_get (report, "checks"), *c;
  size_t i;
  bool within = json_is_true (json_object_get (report, "within"));

  fprintf (out, "link %s (%s), measured against %s: %lld probes each way, %.1f ms apart\n",
           json_string_value (json_object_get (report, "link")),
           json_string_value (json_object_get (report, "settings")),
           json_string_value (json_object_get (report, "peer")),
           json_integer_value (json_object_get (report, "probes")),
           json_real_value (json_object_get (report, "gap_us")) / 1e3);
  fprintf (out, "  %-16s %10s %10s %10s %10s %-6s %s\n", "MEASURE", "ASKED", "MEASURED", "GAP",
           "TOLERANCE", "UNIT", "");
  json_array_foreach (checks, i, c)
    fprintf (out, "  %-16s %10.3f %10.3f %+10.3f %10.3f %-6s %s\n",
             json_string_value (json_object_get (c, "setting")),
             json_real_value (json_object_get (c, "asked")),
             json_real_value (json_object_get (c, "measured")),
             json_real_value (json_object_get (c, "gap")),
             json_real_value (json_object_get (c, "tolerance")),
             json_string_value (json_object_get (c, "unit")),
             json_is_true (json_object_get (c, "within")) ? "ok" : "OFF");
  if (json_object_get (report, "rate_bps") == NULL
      && strstr (json_string_value (json_object_get (report, "settings")), "rate") == NULL)
    fprintf (out, "  (no rate set: not paced, not measured)\n");
  if (json_object_get (report, "note"))
    fprintf (out, "  note: %s\n", json_string_value (json_object_get (report, "note")));
  fprintf (out, "%s\n", within ? "every measure is within its tolerance"
                               : "SOME MEASURES ARE OFF: the link does not do what was asked");
  return within;
}
