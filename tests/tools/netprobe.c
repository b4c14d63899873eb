/* netprobe: the measuring end of the link tests and of bench/link.sh, run
 * inside a lab's hosts with `labo exec`. Every result is one JSON line on
 * stdout, so the shell tests read it with jq.
 *
 *   netprobe echo PORT                      UDP echo server (until killed)
 *   netprobe rtt ADDR PORT COUNT GAP_MS     COUNT numbered probes, GAP_MS
 *       apart, to an echo server: {"sent","received","lost_pct","min_us",
 *       "median_us","mean_us","p99_us"} (a probe not back 2 s after the
 *       last one was sent is lost)
 *   netprobe sink PORT SECONDS              UDP: counts numbered datagrams
 *       for SECONDS after the first: {"received","distinct","duplicates",
 *       "reordered" (came before one sent earlier), "missing_runs" and
 *       "missing_before_last" (the gaps in the numbers up to the last that
 *       came), "refused" (the datagrams this host's IP and UDP checksums
 *       refused meanwhile)}
 *   netprobe send ADDR PORT COUNT GAP_US    COUNT numbered datagrams
 *   netprobe tcp-sink PORT                  accepts one connection, reads to
 *       its end: {"bytes","seconds","bps","bps_after_1s"} (bps_after_1s:
 *       the goodput once slow start and the queues have settled)
 *   netprobe tcp-send ADDR PORT SECONDS     writes for SECONDS: {"bytes"}
 *
 * Not part of labo: a test instrument, kept small and dependency-free. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
die (const char *what)
{
  fprintf (stderr, "netprobe: %s: %s\n", what, strerror (errno));
  exit (1);
}

static struct sockaddr_in
addr_of (const char *ip, const char *port)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) atoi (port)) };
  if (ip == NULL)
    a.sin_addr.s_addr = htonl (INADDR_ANY);
  else if (inet_pton (AF_INET, ip, &a.sin_addr) != 1)
    {
      fprintf (stderr, "netprobe: not an IPv4 address: %s\n", ip);
      exit (2);
    }
  return a;
}

static int
bound (int type, const char *port)
{
  struct sockaddr_in a = addr_of (NULL, port);
  int one = 1, fd = socket (AF_INET, type, 0);
  if (fd < 0)
    die ("socket");
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one));
  if (bind (fd, (struct sockaddr *) &a, sizeof (a)) < 0)
    die ("bind");
  return fd;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static _Noreturn void
echo (const char *port)
{
  int fd = bound (SOCK_DGRAM, port);
  char buf[2048];
  for (;;)
    {
      struct sockaddr_in from;
      socklen_t fl = sizeof (from);
      ssize_t n = recvfrom (fd, buf, sizeof (buf), 0, (struct sockaddr *) &from, &fl);
      if (n > 0)
        sendto (fd, buf, (size_t) n, 0, (struct sockaddr *) &from, fl);
    }
}

struct probe
{
  uint32_t seq;
  double sent;
};

static int
rtt (const char *ip, const char *port, int count, int gap_ms)
{
  struct sockaddr_in to = addr_of (ip, port);
  int fd = socket (AF_INET, SOCK_DGRAM, 0);
  double *sent = calloc ((size_t) count, sizeof (double));
  double *rtts = calloc ((size_t) count, sizeof (double));
  double next = now (), last_sent = 0, sum = 0;
  int n_sent = 0, n_rtt = 0;

  if (fd < 0 || sent == NULL || rtts == NULL || connect (fd, (struct sockaddr *) &to, sizeof (to)) < 0)
    die ("rtt socket");
  while (n_sent < count || now () < last_sent + 2.0)
    {
      double t = now ();
      int wait_ms;
      struct pollfd p = { .fd = fd, .events = POLLIN };
      if (n_sent < count && t >= next)
        {
          struct probe pr = { (uint32_t) n_sent, t };
          sent[n_sent] = t;
          if (send (fd, &pr, sizeof (pr), 0) < 0 && errno != ECONNREFUSED)
            die ("send");
          n_sent++;
          last_sent = t;
          next += gap_ms / 1000.0;
          continue;
        }
      wait_ms = n_sent < count ? (int) ((next - t) * 1000) + 1 : (int) ((last_sent + 2.0 - t) * 1000) + 1;
      if (poll (&p, 1, wait_ms) > 0)
        {
          struct probe pr;
          ssize_t r = recv (fd, &pr, sizeof (pr), 0);
          if (r == (ssize_t) sizeof (pr) && pr.seq < (uint32_t) count && sent[pr.seq] > 0)
            {
              rtts[n_rtt++] = now () - sent[pr.seq];
              sent[pr.seq] = -1; /* a duplicate is not counted twice */
            }
        }
    }
  qsort (rtts, (size_t) n_rtt, sizeof (double), cmp_double);
  for (int i = 0; i < n_rtt; i++)
    sum += rtts[i];
  printf ("{\"sent\": %d, \"received\": %d, \"lost_pct\": %.2f, \"min_us\": %.0f, "
          "\"median_us\": %.0f, \"mean_us\": %.0f, \"p99_us\": %.0f}\n",
          n_sent, n_rtt, 100.0 * (n_sent - n_rtt) / n_sent, n_rtt ? rtts[0] * 1e6 : 0,
          n_rtt ? rtts[n_rtt / 2] * 1e6 : 0, n_rtt ? sum / n_rtt * 1e6 : 0,
          n_rtt ? rtts[(n_rtt * 99) / 100] * 1e6 : 0);
  return 0;
}

/* Datagrams this namespace's kernel refused for a bad IP header or UDP
 * header or checksum so far (/proc/net/snmp: Ip InHdrErrors, Udp InErrors
 * but RcvbufErrors). */
static long long
refused (void)
{
  FILE *f = fopen ("/proc/net/snmp", "r");
  char names[4096], values[4096];
  long long total = 0;

  if (f == NULL)
    return 0;
  while (fgets (names, sizeof (names), f) && fgets (values, sizeof (values), f))
    {
      bool ip = strncmp (names, "Ip:", 3) == 0, udp = strncmp (names, "Udp:", 4) == 0;
      char *ns = NULL, *vs = NULL, *n, *v;
      if (!ip && !udp)
        continue;
      for (n = strtok_r (names, " \n", &ns), v = strtok_r (values, " \n", &vs); n && v;
           n = strtok_r (NULL, " \n", &ns), v = strtok_r (NULL, " \n", &vs))
        if ((ip && strcmp (n, "InHdrErrors") == 0) || (udp && strcmp (n, "InErrors") == 0))
          total += atoll (v);
        else if (udp && strcmp (n, "RcvbufErrors") == 0)
          total -= atoll (v); /* a full socket is no corruption */
    }
  fclose (f);
  return total;
}

#define SINK_MAX (1u << 20)

static int
sink (const char *port, double seconds)
{
  int fd = bound (SOCK_DGRAM, port), big = 16 << 20;
  unsigned char *seen = calloc (SINK_MAX, 1);
  uint32_t *order = calloc (SINK_MAX, sizeof (uint32_t));
  long received = 0, distinct = 0, reordered = 0, runs = 0, missing = 0;
  long long refused0 = refused ();
  uint32_t top = 0, min_after = UINT32_MAX;

  /* room for a second of datagrams: the sink must not lose what it
   * counts when the machine is busy (as root; else the default) */
  if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof (big)) < 0)
    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof (big));
  double end = 0;

  for (;;)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      uint32_t seq;
      int wait_ms = end ? (int) ((end - now ()) * 1000) : 60000;
      if (end && wait_ms <= 0)
        break;
      if (poll (&p, 1, wait_ms) <= 0)
        {
          if (!end)
            break; /* nothing came in a minute */
          continue;
        }
      if (recv (fd, &seq, sizeof (seq), 0) != (ssize_t) sizeof (seq))
        continue;
      if (!end)
        end = now () + seconds;
      received++;
      if (seq < SINK_MAX && !seen[seq])
        {
          seen[seq] = 1;
          order[distinct++] = seq;
          if (seq > top)
            top = seq;
        }
    }
  /* reordered: came before a datagram sent earlier (one that came later
   * has a smaller number) */
  for (long k = distinct; k-- > 0;)
    {
      if (min_after < order[k])
        reordered++;
      if (order[k] < min_after)
        min_after = order[k];
    }
  /* the runs of numbers that never came, up to the last that did */
  for (uint32_t i = 0; distinct && i <= top; i++)
    if (!seen[i])
      {
        missing++;
        runs += i == 0 || seen[i - 1];
      }
  printf ("{\"received\": %ld, \"distinct\": %ld, \"duplicates\": %ld, \"reordered\": %ld, "
          "\"missing_runs\": %ld, \"missing_before_last\": %ld, \"refused\": %lld}\n",
          received, distinct, received - distinct, reordered, runs, missing,
          refused () - refused0);
  free (seen);
  free (order);
  return 0;
}

static int
send_n (const char *ip, const char *port, int count, int gap_us)
{
  struct sockaddr_in to = addr_of (ip, port);
  int fd = socket (AF_INET, SOCK_DGRAM, 0);
  double next = now ();
  if (fd < 0 || connect (fd, (struct sockaddr *) &to, sizeof (to)) < 0)
    die ("send socket");
  for (uint32_t i = 0; i < (uint32_t) count; i++)
    {
      while (now () < next)
        ;
      if (send (fd, &i, sizeof (i), 0) < 0 && errno != ECONNREFUSED)
        die ("send");
      next += gap_us / 1e6;
    }
  printf ("{\"sent\": %d}\n", count);
  return 0;
}

static int
tcp_sink (const char *port)
{
  int lfd = bound (SOCK_STREAM, port), fd;
  static char buf[1 << 16];
  long long bytes = 0, at_1s = -1;
  double first = 0, t1 = 0, last = 0;
  ssize_t n;

  if (listen (lfd, 1) < 0 || (fd = accept (lfd, NULL, NULL)) < 0)
    die ("accept");
  while ((n = read (fd, buf, sizeof (buf))) > 0)
    {
      last = now ();
      if (!first)
        first = last;
      if (at_1s < 0 && last - first >= 1.0)
        {
          at_1s = bytes;
          t1 = last;
        }
      bytes += n;
    }
  printf ("{\"bytes\": %lld, \"seconds\": %.3f, \"bps\": %.0f, \"bps_after_1s\": %.0f}\n", bytes,
          last - first, last > first ? bytes * 8 / (last - first) : 0,
          at_1s >= 0 && last > t1 ? (bytes - at_1s) * 8 / (last - t1) : 0);
  return 0;
}

static int
tcp_send (const char *ip, const char *port, double seconds)
{
  struct sockaddr_in to = addr_of (ip, port);
  static char buf[1 << 16];
  long long bytes = 0;
  double end;
  int fd = -1;

  /* the sink may not listen yet */
  for (int i = 0; i < 100; i++)
    {
      fd = socket (AF_INET, SOCK_STREAM, 0);
      if (connect (fd, (struct sockaddr *) &to, sizeof (to)) == 0)
        break;
      close (fd);
      fd = -1;
      usleep (50000);
    }
  if (fd < 0)
    die ("connect");
  end = now () + seconds;
  while (now () < end)
    {
      ssize_t n = write (fd, buf, sizeof (buf));
      if (n < 0)
        die ("write");
      bytes += n;
    }
  close (fd);
  printf ("{\"bytes\": %lld}\n", bytes);
  return 0;
}

int
main (int argc, char **argv)
{
  const char *m = argc > 1 ? argv[1] : "";
  if (strcmp (m, "echo") == 0 && argc == 3)
    echo (argv[2]);
  if (strcmp (m, "rtt") == 0 && argc == 6)
    return rtt (argv[2], argv[3], atoi (argv[4]), atoi (argv[5]));
  if (strcmp (m, "sink") == 0 && argc == 4)
    return sink (argv[2], atof (argv[3]));
  if (strcmp (m, "send") == 0 && argc == 6)
    return send_n (argv[2], argv[3], atoi (argv[4]), atoi (argv[5]));
  if (strcmp (m, "tcp-sink") == 0 && argc == 3)
    return tcp_sink (argv[2]);
  if (strcmp (m, "tcp-send") == 0 && argc == 5)
    return tcp_send (argv[2], argv[3], atof (argv[4]));
  fprintf (stderr, "usage: netprobe echo PORT | rtt ADDR PORT COUNT GAP_MS | sink PORT SECONDS |"
                   " send ADDR PORT COUNT GAP_US | tcp-sink PORT | tcp-send ADDR PORT SECONDS\n");
  return 2;
}
