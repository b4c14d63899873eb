/* Packet capture with libpcap on an interface of a named network
 * namespace, written as a pcap file (the classic format: what tcpdump -r,
 * Wireshark and `wireshark -k -i -` read, live from a pipe too).
 *
 * The capture's packet socket is made inside the namespace (the calling
 * thread steps in for pcap_activate alone and back, as labo_netns_socket
 * does); a socket stays in the namespace it was made in, so the capture
 * then runs from any thread of the caller. The interface `any` captures
 * every interface of that namespace, with Linux cooked (SLL) headers
 * instead of Ethernet ones.
 *
 * Nothing is written before the capture is open and its filter compiled:
 * a bad filter fails in labo_capture_open (EINVAL, libpcap's message), so
 * a caller that opens its output after it leaves no file behind. */
#ifndef LABO_NET_CAPTURE_H
#define LABO_NET_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "labo/util/error.h"

/* tcpdump's default: whole frames, jumbo and GSO-sized ones too. */
#define LABO_CAPTURE_SNAPLEN 262144

struct labo_capture_opts
{
  const char *netns;  /* the named namespace (/run/netns/NAME) of the interface */
  const char *ifname; /* or "any" */
  const char *filter; /* pcap-filter(7); NULL or "": every packet */
  int snaplen;        /* 0: LABO_CAPTURE_SNAPLEN */
  bool promisc;
  /* Live output (a pipe, a FIFO): each packet handed over as it comes
   * (libpcap's immediate mode, TPACKET_V2: a fixed-size frame a packet).
   * Otherwise (a file) packets come in blocks of the ring (TPACKET_V3:
   * packed; no drop where immediate mode dropped), each within
   * LABO_CAPTURE_BLOCK_MS of its arrival. */
  bool immediate;
  const char *what;   /* the capture's name in messages ("h1@wan") */
};

/* The kernel ring of a capture: in immediate mode libpcap's default of
 * 2 MiB holds only a few dozen frames, each sized for the largest packet
 * (veths pass GSO packets far above the MTU), and dropped 20-60% of
 * bursts of 50-75 kpps (docs/benchmarks.md, issue 16). */
#define LABO_CAPTURE_BUFFER (32 << 20)
#define LABO_CAPTURE_BLOCK_MS 200

struct labo_capture_stats
{
  uint64_t captured; /* packets written */
  uint64_t dropped;  /* by the kernel: the capture's ring was full */
};

/* Why labo_capture_run ended. */
enum labo_capture_end
{
  LABO_CAPTURE_END_COUNT,    /* `count` packets written */
  LABO_CAPTURE_END_DURATION, /* `duration_ms` passed */
  LABO_CAPTURE_END_STOP,     /* stop_fd became readable (a signal, the caller's word) */
  LABO_CAPTURE_END_READER,   /* the output's reader went away (EPIPE: SIGPIPE must be
                                blocked or ignored) */
  LABO_CAPTURE_END_GONE,     /* the interface or the namespace went away (the lab went down) */
};
const char *labo_capture_end_name (enum labo_capture_end e);

struct labo_capture;

/* Opens the live capture: immediate mode if asked (each packet handed
 * over as it comes, not when a ring block fills: what a live pipe into
 * Wireshark needs), promiscuous if asked, the filter compiled and set. Returns NULL
 * with err: EINVAL for a bad filter, ENOENT for a namespace or interface
 * that does not exist, else libpcap's reason. */
struct labo_capture *labo_capture_open (const struct labo_capture_opts *o, labo_error_t *err);

/* Checks a filter against an Ethernet link, without any interface (a
 * scenario's captures are checked before the first step). EINVAL with
 * libpcap's message when it does not compile. */
int labo_capture_filter_check (const char *filter, labo_error_t *err);

/* Writes the pcap header to out_fd (dup'ed: the caller keeps and closes
 * its own), then each packet, flushed after each read of the ring, so a
 * reader of a pipe sees every packet as it comes; until one of the ends
 * above (count 0, duration_ms 0, stop_fd -1: no such end). Returns the
 * end (>= 0), or -1 with err on a capture or write error (the file is
 * then complete up to the last packet written). *st is filled in every
 * case. */
int labo_capture_run (struct labo_capture *c, int out_fd, uint64_t count, long long duration_ms,
                      int stop_fd, struct labo_capture_stats *st, labo_error_t *err);

void labo_capture_close (struct labo_capture *c);

#endif
