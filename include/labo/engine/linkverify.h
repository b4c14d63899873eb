/* `labo link HOST [SEGMENT] --verify`: the link emulation's fidelity
 * self-test. It measures what a link really does to traffic, against the
 * settings on record, and reports the gap for each.
 *
 * How: two UDP sockets, one in the host's network namespace and one in a
 * peer's (another host on the same segment whose own link has no
 * settings, or the other end of a host-to-host link), both made by this
 * process, so both ends read the same monotonic clock: each probe carries
 * its send time and its number, and its one-way delay is measured, not
 * halved from a round trip. Probes go both ways at once, `probes` each,
 * spaced so that the jitter cannot reorder them (a gap of at least twice
 * the jitter: the emulator never lets a frame overtake the one before).
 * Measured each way:
 *   delay      the median one-way delay
 *   jitter     the spread between the quartiles (J for a uniform +-J),
 *              of the probes not reordered (they left at once)
 *   loss       the share of probes that never came (corrupted ones
 *              aside), and with correlation or gemodel the mean burst
 *   corrupt    the share refused for a corrupt IP header or UDP checksum
 *              by the kernels on the way (both hosts', and the bridge's:
 *              bridged IPv4 is checked as it crosses netfilter); these
 *              counters cannot tell the ways apart, so both at once
 *   duplicate  the share that came twice
 *   reorder    the share that came before a probe sent earlier
 * and, when the link is paced, its rate: a burst at 1.25 x the rate from
 * the host, measured as it arrives.
 *
 * A measure is within its tolerance (which the report states) when it is
 * at most max(2 ms, 5%) off for the delay, max(2 ms, 25%) for the jitter,
 * 10% for the rate, and for a share 3 standard deviations of the binomial
 * over the probes sent plus 0.2% (for losses in runs, over the
 * effective count n (1 - rho) / (1 + rho), rho their lag-1 correlation). Nothing is changed on the lab; the
 * sockets go with the call. */
#ifndef LABO_LINKVERIFY_H
#define LABO_LINKVERIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "labo/util/error.h"
#include "labo/model/impair.h"
#include "labo/model/lab.h"

#define LABO_LINKVERIFY_PROBES 2000

/* What was measured one way (pure: labo_linkverify_judge reads it). */
struct labo_linkverify_way
{
  unsigned sent, received, distinct, duplicated, reordered;
  double delay_us;   /* median one-way */
  double jitter_us;  /* the spread between the quartiles */
  double burst;      /* mean length of a run of lost probes (0: none lost) */
};

/* The report of one measure against its setting: appended to checks as
 * {"setting", "asked", "measured", "gap", "tolerance", "within"}; returns
 * whether it is within. Pure (unit-tested). ways: the measures of both
 * directions, n_ways of them (the first from the host); corrupted: the
 * probes refused as corrupt, both ways; gap_us: the
 * probes' spacing (a reorder shows only when it is below the delay);
 * rate_bps: the measured rate (< 0: not measured). The delay asked is the
 * delay plus a probe's time on the wire at the rate. */
bool labo_linkverify_judge (const struct labo_impair *asked, const struct labo_linkverify_way *ways,
                            size_t n_ways, unsigned probes, unsigned corrupted, double gap_us,
                            double rate_bps, json_t *checks);

/* Measures link `link` of running lab `lab` (peer: the host to measure
 * against, NULL to choose one; probes: per direction, 0 for the default)
 * and returns the report (docs/json.md), or NULL with err. */
json_t *labo_link_verify (const struct labo_lab *lab, size_t link, const char *peer,
                          unsigned probes, labo_error_t *err);
/* The report as text; returns whether every measure is within. */
bool labo_link_verify_print (json_t *report, FILE *out);

#endif
