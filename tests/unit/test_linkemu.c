/* Unit tests for the link emulator's pure parts (src/net/linkemu.c): the
 * values `labo link` takes, the settings file, the release times that
 * make delay, jitter and rate; and the netem request (src/net/netlink.c),
 * which this machine's kernel cannot run (it has no sch_netem), so its
 * layout is checked here against the one tc(8) sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "labo/net/linkemu.h"
#include "labo/net/netlink.h"
#include "labo/util/util.h"

static void
times_parse_with_units (void **state)
{
  uint32_t us;
  const char *exp;
  assert_int_equal (labo_impair_parse_time ("100ms", &us, &exp), 0);
  assert_int_equal (us, 100000);
  assert_int_equal (labo_impair_parse_time ("250us", &us, &exp), 0);
  assert_int_equal (us, 250);
  assert_int_equal (labo_impair_parse_time ("1.5s", &us, &exp), 0);
  assert_int_equal (us, 1500000);
  assert_int_equal (labo_impair_parse_time ("20", &us, &exp), 0); /* ms, as tc */
  assert_int_equal (us, 20000);
  assert_int_equal (labo_impair_parse_time ("0", &us, &exp), 0);
  assert_int_equal (us, 0);
  assert_int_equal (labo_impair_parse_time ("10MS", &us, &exp), 0);
  assert_int_equal (us, 10000);
}

static void
bad_times_say_what_was_expected (void **state)
{
  uint32_t us = 7;
  const char *exp = NULL;
  assert_int_equal (labo_impair_parse_time ("fast", &us, &exp), -1);
  assert_non_null (strstr (exp, "100ms"));
  assert_int_equal (labo_impair_parse_time ("-5ms", &us, &exp), -1);
  assert_int_equal (labo_impair_parse_time ("10 ms", &us, &exp), -1);
  assert_int_equal (labo_impair_parse_time ("10m", &us, &exp), -1); /* minutes? no */
  assert_int_equal (labo_impair_parse_time ("61s", &us, &exp), -1);
  assert_int_equal (labo_impair_parse_time ("", &us, &exp), -1);
  assert_int_equal (us, 7);
}

static void
loss_is_a_percentage (void **state)
{
  uint32_t ppm;
  const char *exp;
  assert_int_equal (labo_impair_parse_loss ("2%", &ppm, &exp), 0);
  assert_int_equal (ppm, 20000);
  assert_int_equal (labo_impair_parse_loss ("0.5%", &ppm, &exp), 0);
  assert_int_equal (ppm, 5000);
  assert_int_equal (labo_impair_parse_loss ("20", &ppm, &exp), 0);
  assert_int_equal (ppm, 200000);
  assert_int_equal (labo_impair_parse_loss ("100%", &ppm, &exp), 0);
  assert_int_equal (ppm, 1000000);
  assert_int_equal (labo_impair_parse_loss ("101%", &ppm, &exp), -1);
  assert_int_equal (labo_impair_parse_loss ("2%%", &ppm, &exp), -1);
  assert_int_equal (labo_impair_parse_loss ("a lot", &ppm, &exp), -1);
  assert_non_null (strstr (exp, "%"));
}

static void
rates_are_bits_per_second (void **state)
{
  uint64_t bps;
  const char *exp;
  assert_int_equal (labo_impair_parse_rate ("10mbit", &bps, &exp), 0);
  assert_int_equal (bps, 10000000);
  assert_int_equal (labo_impair_parse_rate ("512kbit", &bps, &exp), 0);
  assert_int_equal (bps, 512000);
  assert_int_equal (labo_impair_parse_rate ("1.5gbit", &bps, &exp), 0);
  assert_int_equal (bps, 1500000000);
  assert_int_equal (labo_impair_parse_rate ("0", &bps, &exp), 0);
  assert_int_equal (bps, 0);
  /* tc's "mbps" is megabytes: refused rather than guessed */
  assert_int_equal (labo_impair_parse_rate ("10mbps", &bps, &exp), -1);
  assert_int_equal (labo_impair_parse_rate ("10", &bps, &exp), -1);
  assert_int_equal (labo_impair_parse_rate ("100bit", &bps, &exp), -1); /* below 8 kbit/s */
  assert_non_null (strstr (exp, "mbit"));
}

static void
values_print_in_their_shortest_form (void **state)
{
  char b[32];
  assert_string_equal (labo_impair_time_str (100000, b), "100ms");
  assert_string_equal (labo_impair_time_str (1500000, b), "1500ms");
  assert_string_equal (labo_impair_time_str (2000000, b), "2s");
  assert_string_equal (labo_impair_time_str (250, b), "250us");
  assert_string_equal (labo_impair_time_str (0, b), "0");
  assert_string_equal (labo_impair_loss_str (20000, b), "2%");
  assert_string_equal (labo_impair_loss_str (5000, b), "0.5%");
  assert_string_equal (labo_impair_rate_str (10000000, b), "10mbit");
  assert_string_equal (labo_impair_rate_str (1500000000, b), "1500mbit");
  assert_string_equal (labo_impair_rate_str (512000, b), "512kbit");
}

static void
settings_file_round_trips (void **state)
{
  struct labo_impair im = { .delay_us = 100000, .jitter_us = 10000, .loss_ppm = 20000,
                            .rate_bps = 10000000 }, back;
  cleanup_free char *text = labo_impair_format (&im);
  cleanup_free char *more = xasprintf ("%sdown=1\nmechanism=emulator\nbogus\n", text);
  cleanup_free char *d = NULL;

  labo_impair_parse (more, &back);
  assert_int_equal (back.delay_us, im.delay_us);
  assert_int_equal (back.jitter_us, im.jitter_us);
  assert_int_equal (back.loss_ppm, im.loss_ppm);
  assert_int_equal (back.rate_bps, im.rate_bps);
  labo_impair_parse ("", &back);
  assert_true (labo_impair_none (&back));
  labo_impair_parse ("loss_ppm=99999999\n", &back);
  assert_int_equal (back.loss_ppm, 1000000);
  d = labo_impair_describe (&im);
  assert_string_equal (d, "delay 100ms, jitter 10ms, loss 2%, rate 10mbit");
  free (d);
  d = labo_impair_describe (&(struct labo_impair){ .delay_us = 0 });
  assert_string_equal (d, "none");
}

static void
delay_holds_each_frame (void **state)
{
  struct labo_impair im = { .delay_us = 100000 };
  double pace = 0, last = 0;
  assert_float_equal (labo_linkemu_release (&im, 10.0, 1500, 0.5, &pace, &last), 10.1, 1e-9);
  assert_float_equal (labo_linkemu_release (&im, 10.5, 1500, 0.5, &pace, &last), 10.6, 1e-9);
}

static void
jitter_stays_in_bounds_and_never_reorders (void **state)
{
  struct labo_impair im = { .delay_us = 50000, .jitter_us = 10000 };
  double pace = 0, last = 0, prev = 0, lo = 1e9, hi = 0;
  for (int i = 0; i < 1000; i++)
    {
      double now = i * 0.001, u = (double) ((i * 7919) % 1000) / 1000.0;
      double r = labo_linkemu_release (&im, now, 100, u, &pace, &last);
      assert_true (r >= prev);               /* a FIFO */
      assert_true (r - now >= 0.040 - 1e-9); /* delay - jitter at least */
      if (r - now < lo)
        lo = r - now;
      if (r - now > hi)
        hi = r - now;
      prev = r;
    }
  assert_true (hi <= 0.060 + 0.010); /* at most delay + jitter, plus the FIFO's wait */
  assert_true (hi - lo > 0.015);     /* it does vary */
}

static void
jitter_above_the_delay_never_sends_early (void **state)
{
  struct labo_impair im = { .delay_us = 1000, .jitter_us = 5000 };
  double pace = 0, last = 0;
  assert_true (labo_linkemu_release (&im, 3.0, 100, 0.0, &pace, &last) >= 3.0);
}

static void
rate_paces_back_to_back_frames (void **state)
{
  /* 10 Mbit/s: 1250 bytes take 1 ms */
  struct labo_impair im = { .rate_bps = 10000000 };
  double pace = 0, last = 0;
  assert_float_equal (labo_linkemu_release (&im, 1.0, 1250, 0, &pace, &last), 1.001, 1e-9);
  assert_float_equal (labo_linkemu_release (&im, 1.0, 1250, 0, &pace, &last), 1.002, 1e-9);
  assert_float_equal (labo_linkemu_release (&im, 1.0, 12500, 0, &pace, &last), 1.012, 1e-9);
  /* an idle link starts again from now, with no credit saved up */
  assert_float_equal (labo_linkemu_release (&im, 5.0, 1250, 0, &pace, &last), 5.001, 1e-9);
}

static void
rate_and_delay_add_up (void **state)
{
  struct labo_impair im = { .delay_us = 20000, .rate_bps = 10000000 };
  double pace = 0, last = 0;
  assert_float_equal (labo_linkemu_release (&im, 1.0, 1250, 0, &pace, &last), 1.021, 1e-9);
  assert_float_equal (labo_linkemu_release (&im, 1.0, 1250, 0, &pace, &last), 1.022, 1e-9);
}

/* ---- the netem request ---- */

struct seen
{
  const char *kind;
  const struct tc_netem_qopt *qopt;
  uint64_t latency, jitter;
  const struct tc_netem_rate *rate;
  bool rate64;
  const struct tc_netem_corrupt *corrupt;
  const struct tc_netem_reorder *reorder;
  const struct tc_netem_gemodel *ge;
  uint64_t seed;
};

static void
parse_netem (const struct nlmsghdr *nlh, struct seen *s)
{
  const struct nlattr *a, *b;
  memset (s, 0, sizeof (*s));
  mnl_attr_for_each (a, nlh, sizeof (struct tcmsg))
    {
      if (mnl_attr_get_type (a) == TCA_KIND)
        s->kind = mnl_attr_get_str (a);
      if (mnl_attr_get_type (a) != TCA_OPTIONS)
        continue;
      /* as the kernel's netem reads it: the struct, then attributes */
      assert_false (a->nla_type & NLA_F_NESTED);
      s->qopt = mnl_attr_get_payload (a);
      for (b = (const struct nlattr *) ((const char *) mnl_attr_get_payload (a)
                                        + NLA_ALIGN (sizeof (struct tc_netem_qopt)));
           mnl_attr_ok (b, (int) ((const char *) a + a->nla_len - (const char *) b));
           b = mnl_attr_next (b))
        switch (mnl_attr_get_type (b))
          {
          case TCA_NETEM_LATENCY64:
            s->latency = mnl_attr_get_u64 (b);
            break;
          case TCA_NETEM_JITTER64:
            s->jitter = mnl_attr_get_u64 (b);
            break;
          case TCA_NETEM_RATE:
            s->rate = mnl_attr_get_payload (b);
            break;
          case TCA_NETEM_RATE64:
            s->rate64 = true;
            break;
          case TCA_NETEM_CORRUPT:
            s->corrupt = mnl_attr_get_payload (b);
            break;
          case TCA_NETEM_REORDER:
            s->reorder = mnl_attr_get_payload (b);
            break;
          case TCA_NETEM_LOSS:
            {
              const struct nlattr *c;
              mnl_attr_for_each_nested (c, b)
                if (mnl_attr_get_type (c) == NETEM_LOSS_GE)
                  s->ge = mnl_attr_get_payload (c);
            }
            break;
          case 14: /* TCA_NETEM_PRNG_SEED */
            s->seed = mnl_attr_get_u64 (b);
            break;
          default:
            fail_msg ("unexpected netem attribute %d", mnl_attr_get_type (b));
          }
    }
}

static void
netem_request_is_laid_out_as_tc_sends_it (void **state)
{
  struct labo_nl nl = { 0 };
  const struct nlmsghdr *nlh;
  const struct tcmsg *tcm;
  struct seen s;

  nl.ns_name = "test";
  {
    struct labo_impair im = { .delay_us = 100000, .jitter_us = 10000, .loss_ppm = 20000,
                              .rate_bps = 10000000 };
    labo_nl_netem (&nl, 1000, "p0", &im, 10000);
  }
  nlh = (const struct nlmsghdr *) nl.buf;
  assert_int_equal (nlh->nlmsg_type, RTM_NEWQDISC);
  assert_true (nlh->nlmsg_flags & NLM_F_CREATE);
  assert_true (nlh->nlmsg_flags & NLM_F_REPLACE);
  tcm = mnl_nlmsg_get_payload (nlh);
  assert_int_equal (tcm->tcm_ifindex, 1000);
  assert_int_equal (tcm->tcm_parent, TC_H_ROOT);
  assert_int_equal (tcm->tcm_handle, 0x10000);
  parse_netem (nlh, &s);
  assert_string_equal (s.kind, "netem");
  assert_non_null (s.qopt);
  assert_int_equal (s.qopt->limit, 10000);
  assert_int_equal (s.qopt->gap, 0);        /* no reordering */
  assert_int_equal (s.qopt->duplicate, 0);
  /* 2% of the u32 range */
  assert_true (s.qopt->loss > 85899345u - 100 && s.qopt->loss < 85899346u + 100);
  assert_int_equal (s.latency, 100000000ULL); /* ns */
  assert_int_equal (s.jitter, 10000000ULL);
  assert_non_null (s.rate);
  assert_int_equal (s.rate->rate, 1250000); /* bytes per second */
  assert_false (s.rate64);
  free (nl.buf);
  free (nl.tags);
}

static void
netem_rates_past_32_bits_go_in_rate64 (void **state)
{
  struct labo_nl nl = { 0 };
  struct seen s;
  nl.ns_name = "test";
  {
    struct labo_impair im = { .loss_ppm = 1000000, .rate_bps = 40000000000ULL };
    labo_nl_netem (&nl, 5, "eth0", &im, 1000);
  }
  parse_netem ((const struct nlmsghdr *) nl.buf, &s);
  assert_int_equal (s.qopt->loss, UINT32_MAX);
  assert_int_equal (s.rate->rate, UINT32_MAX);
  assert_true (s.rate64);
  free (nl.buf);
  free (nl.tags);
  memset (&nl, 0, sizeof (nl));
  nl.ns_name = "test";
  {
    struct labo_impair im = { .delay_us = 1000 };
    labo_nl_netem (&nl, 5, "eth0", &im, 1000);
  }
  parse_netem ((const struct nlmsghdr *) nl.buf, &s);
  assert_null (s.rate); /* unpaced: no rate at all */
  assert_int_equal (s.qopt->loss, 0);
  free (nl.buf);
  free (nl.tags);
}

/* ---- the settings' table, and the draws over many frames ---- */

static void
every_setting_reads_and_prints_the_same_way (void **state)
{
  struct labo_impair im = { 0 }, back = { 0 };
  const char *exp = NULL;
  char buf[64];
  static const char *const values[LABO_IMP_N]
      = { "100ms", "10ms", "5%,25%", "1%,10%,70%,0.1%", "0.5%", "2%", "25%", "10mbit", "42" };

  for (int p = 0; p < LABO_IMP_N; p++)
    {
      assert_int_equal (labo_impair_param_lookup (labo_impair_param_name (p)), p);
      assert_int_equal (labo_impair_set (&im, p, values[p], &exp), 0);
      assert_string_equal (labo_impair_value_str (&im, p, buf), values[p]);
    }
  assert_int_equal (im.loss_corr_ppm, 250000);
  assert_int_equal (im.ge_bad_ppm, 700000);
  assert_int_equal (im.ge_good_ppm, 1000);
  assert_int_equal (im.seed, 42);
  {
    char *text = labo_impair_format (&im);
    labo_impair_parse (text, &back);
    free (text);
  }
  assert_true (labo_impair_equal (&im, &back));
  assert_int_equal (labo_impair_param_lookup ("latency"), -1);
}

static void
settings_refuse_what_they_cannot_mean (void **state)
{
  struct labo_impair im = { 0 };
  const char *exp = NULL;
  assert_int_equal (labo_impair_set (&im, LABO_IMP_LOSS, "5%,25%,1%", &exp), -1);
  assert_non_null (strstr (exp, "correlation"));
  assert_int_equal (labo_impair_set (&im, LABO_IMP_GEMODEL, "1%", &exp), -1);
  assert_int_equal (labo_impair_set (&im, LABO_IMP_GEMODEL, "0%,10%", &exp), -1);
  assert_int_equal (labo_impair_set (&im, LABO_IMP_CORRUPT, "101%", &exp), -1);
  assert_int_equal (labo_impair_set (&im, LABO_IMP_SEED, "-1", &exp), -1);
  assert_int_equal (labo_impair_set (&im, LABO_IMP_SEED, "12x", &exp), -1);
  /* gemodel 0 clears the chain */
  assert_int_equal (labo_impair_set (&im, LABO_IMP_GEMODEL, "1%,10%", &exp), 0);
  assert_int_equal (im.ge_bad_ppm, 1000000);
  assert_int_equal (labo_impair_set (&im, LABO_IMP_GEMODEL, "0", &exp), 0);
  assert_int_equal (im.ge_p_ppm, 0);
  /* two models of loss; a reorder with nothing to overtake */
  im = (struct labo_impair){ .loss_ppm = 10000, .ge_p_ppm = 10000, .ge_r_ppm = 10000 };
  assert_non_null (labo_impair_conflict (&im));
  im = (struct labo_impair){ .reorder_ppm = 10000 };
  assert_non_null (strstr (labo_impair_conflict (&im), "delay"));
  im.delay_us = 1000;
  assert_null (labo_impair_conflict (&im));
  /* the seed alone impairs nothing */
  im = (struct labo_impair){ .seed = 7 };
  assert_true (labo_impair_none (&im));
}

#define FRAMES 100000

/* The share of FRAMES frames whose fate has `bit`, and (loss) the lag-1
 * correlation and the mean run of losses. */
static double
share (const struct labo_impair *im, unsigned bit, uint64_t seed, double *corr, double *burst)
{
  struct labo_impair_rng r;
  unsigned n = 0, both = 0, runs = 0;
  bool prev = false;
  labo_impair_rng_seed (&r, seed, 0);
  for (int i = 0; i < FRAMES; i++)
    {
      bool hit = (labo_impair_fate (im, &r) & bit) != 0;
      n += hit;
      both += hit && prev;
      runs += hit && !prev;
      prev = hit;
    }
  if (corr)
    {
      double p = (double) n / FRAMES, p11 = (double) both / (FRAMES - 1);
      *corr = (p11 - p * p) / (p * (1 - p));
    }
  if (burst)
    *burst = runs ? (double) n / runs : 0;
  return (double) n / FRAMES;
}

/* Each share within 3 standard deviations of the binomial over FRAMES. */
static void
assert_share (double got, double want)
{
  double tol = 3 * sqrt (want * (1 - want) / FRAMES) + 1e-4;
  if (fabs (got - want) > tol)
    fail_msg ("share %f, wanted %f +- %f", got, want, tol);
}

static void
draws_meet_the_shares_asked (void **state)
{
  struct labo_impair im = { .delay_us = 1000, .loss_ppm = 50000, .corrupt_ppm = 20000,
                            .duplicate_ppm = 30000, .reorder_ppm = 250000 };
  double corr, burst;
  /* corrupt, duplicate and reorder are drawn among the frames not lost */
  assert_share (share (&im, LABO_FATE_LOST, 1, &corr, NULL), 0.05);
  assert_true (fabs (corr) < 0.02);
  assert_share (share (&im, LABO_FATE_CORRUPT, 2, NULL, NULL), 0.95 * 0.02);
  assert_share (share (&im, LABO_FATE_DUPLICATE, 3, NULL, NULL), 0.95 * 0.03);
  assert_share (share (&im, LABO_FATE_REORDER, 4, NULL, NULL), 0.95 * 0.25);
  /* correlated: the mean stays P, the lag-1 correlation is C, a burst
   * lasts 1 / ((1 - P)(1 - C)) */
  im = (struct labo_impair){ .loss_ppm = 100000, .loss_corr_ppm = 500000 };
  assert_share (share (&im, LABO_FATE_LOST, 5, &corr, &burst), 0.10);
  assert_true (fabs (corr - 0.5) < 0.03);
  assert_true (fabs (burst - 1 / (0.9 * 0.5)) < 0.1);
  /* Gilbert-Elliott: the mean is the chain's, p / (p + r) x bad + ... */
  im = (struct labo_impair){ .ge_p_ppm = 10000, .ge_r_ppm = 100000, .ge_bad_ppm = 700000,
                             .ge_good_ppm = 1000 };
  assert_true (fabs (labo_impair_mean_loss (&im) - (1.0 / 11 * 0.7 + 10.0 / 11 * 0.001)) < 1e-9);
  assert_true (fabs (share (&im, LABO_FATE_LOST, 6, NULL, NULL) - labo_impair_mean_loss (&im))
               < 0.01);
}

static void
a_seed_replays_the_same_fates (void **state)
{
  struct labo_impair im = { .delay_us = 1000, .loss_ppm = 100000, .loss_corr_ppm = 300000,
                            .duplicate_ppm = 50000, .reorder_ppm = 50000 };
  struct labo_impair_rng a, b, c, other;
  unsigned differ = 0, same_way = 0;
  labo_impair_rng_seed (&a, 42, 0);
  labo_impair_rng_seed (&b, 42, 0);
  labo_impair_rng_seed (&c, 43, 0);
  labo_impair_rng_seed (&other, 42, 1);
  for (int i = 0; i < 10000; i++)
    {
      unsigned fa = labo_impair_fate (&im, &a), fc = labo_impair_fate (&im, &c);
      assert_int_equal (fa, labo_impair_fate (&im, &b));
      differ += fa != fc;
      same_way += fa == labo_impair_fate (&im, &other);
    }
  assert_true (differ > 1000);   /* another seed, other fates */
  assert_true (same_way < 9500); /* each direction its own */
}

static void
netem_carries_the_other_settings (void **state)
{
  struct labo_nl nl = { 0 };
  struct seen s;
  struct labo_impair im = { .delay_us = 10000, .corrupt_ppm = 10000, .duplicate_ppm = 20000,
                            .reorder_ppm = 250000, .loss_ppm = 100000, .loss_corr_ppm = 500000,
                            .seed = 99 };
  nl.ns_name = "test";
  labo_nl_netem (&nl, 5, "eth0", &im, 1000);
  parse_netem ((const struct nlmsghdr *) nl.buf, &s);
  assert_int_equal (s.qopt->gap, 1); /* tc's gap when reordering */
  assert_true (s.qopt->duplicate > 85899345u - 100 && s.qopt->duplicate < 85899346u + 100);
  assert_int_equal (s.qopt->loss, 0); /* the chain carries the loss */
  assert_non_null (s.corrupt);
  assert_non_null (s.reorder);
  assert_true (s.reorder->probability > UINT32_MAX / 4 - 100);
  assert_non_null (s.ge);
  /* p = P(1 - C) = 5%, r = (1 - P)(1 - C) = 45%, all lost when bad */
  assert_true (fabs (s.ge->p / (double) UINT32_MAX - 0.05) < 1e-6);
  assert_true (fabs (s.ge->r / (double) UINT32_MAX - 0.45) < 1e-6);
  assert_int_equal (s.ge->h, 0);
  assert_int_equal (s.ge->k1, 0);
  assert_int_equal (s.seed, 99);
  free (nl.buf);
  free (nl.tags);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (times_parse_with_units),
    cmocka_unit_test (bad_times_say_what_was_expected),
    cmocka_unit_test (loss_is_a_percentage),
    cmocka_unit_test (rates_are_bits_per_second),
    cmocka_unit_test (values_print_in_their_shortest_form),
    cmocka_unit_test (settings_file_round_trips),
    cmocka_unit_test (delay_holds_each_frame),
    cmocka_unit_test (jitter_stays_in_bounds_and_never_reorders),
    cmocka_unit_test (jitter_above_the_delay_never_sends_early),
    cmocka_unit_test (rate_paces_back_to_back_frames),
    cmocka_unit_test (rate_and_delay_add_up),
    cmocka_unit_test (netem_request_is_laid_out_as_tc_sends_it),
    cmocka_unit_test (netem_rates_past_32_bits_go_in_rate64),
    cmocka_unit_test (every_setting_reads_and_prints_the_same_way),
    cmocka_unit_test (settings_refuse_what_they_cannot_mean),
    cmocka_unit_test (draws_meet_the_shares_asked),
    cmocka_unit_test (a_seed_replays_the_same_fates),
    cmocka_unit_test (netem_carries_the_other_settings),
  };
  return cmocka_run_group_tests_name ("linkemu", tests, NULL, NULL);
}
