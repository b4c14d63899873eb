/* The linearizability checker's benchmark (issue 17): makes the history
 * of a linearizable CAS register driven by N clients, as the check's
 * client records one, and checks it (src/check/wgl.c), printing one line
 * of figures. Each client calls one operation at a time (read 50%, write
 * 30%, cas 20%, on a random key), answered after a random latency; the
 * operation takes effect at a random moment between its call and its
 * answer. A fraction of them is never answered (INFO): the client goes on
 * as a new process after a timeout, and the operation took effect or not,
 * by a coin. Writes write values never written before on their key, so
 * the history is linearizable by construction; --stale makes one read,
 * late in the history, return an older value (INVALID, with a witness).
 *
 * Usage: linbench [-c CLIENTS] [-n OPS] [-k KEYS] [-i INFO_FRACTION]
 *                 [-t SECONDS] [-m MIB] [-s SEED] [--stale] [--header]
 * Prints: clients ops keys info verdict checked configs peak_MiB seconds
 * ops_per_s witness rss_MiB */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "labo/check/lin.h"
#include "labo/util/rng.h"
#include "labo/util/util.h"

/* an operation being made, and when it takes effect (-1: never) */
struct gen
{
  struct labo_op op;
  int64_t effect;
};

static int
cmp_effect (const void *a, const void *b)
{
  const struct gen *x = *(struct gen *const *) a, *y = *(struct gen *const *) b;
  return x->effect < y->effect ? -1 : x->effect > y->effect;
}

static int
cmp_call (const void *a, const void *b)
{
  const struct gen *x = a, *y = b;
  if (x->op.call_ns != y->op.call_ns)
    return x->op.call_ns < y->op.call_ns ? -1 : 1;
  return x->op.process < y->op.process ? -1 : x->op.process > y->op.process;
}

/* An exponential latency of mean `mean` ns, at least 1 µs. */
static int64_t
latency (struct labo_rng *g, double mean)
{
  double u = labo_rng_uniform (g);
  double x = -mean * __builtin_log (1 - u);
  return 1000 + (int64_t) x;
}

int
main (int argc, char **argv)
{
  unsigned clients = 2, keys = 1, seed = 1;
  size_t n = 1000;
  double info = 0.0, seconds = 10;
  size_t mib = 1024;
  bool stale = false, header = false;
  static const struct option longs[] = { { "stale", no_argument, NULL, 'S' },
                                         { "header", no_argument, NULL, 'H' },
                                         { NULL, 0, NULL, 0 } };
  int c;

  while ((c = getopt_long (argc, argv, "c:n:k:i:t:m:s:", longs, NULL)) != -1)
    switch (c)
      {
      case 'c': clients = (unsigned) atoi (optarg); break;
      case 'n': n = (size_t) atoll (optarg); break;
      case 'k': keys = (unsigned) atoi (optarg); break;
      case 'i': info = atof (optarg); break;
      case 't': seconds = atof (optarg); break;
      case 'm': mib = (size_t) atoll (optarg); break;
      case 's': seed = (unsigned) atoi (optarg); break;
      case 'S': stale = true; break;
      case 'H': header = true; break;
      default:
        fprintf (stderr, "usage: linbench [-c CLIENTS] [-n OPS] [-k KEYS] [-i INFO] [-t S] "
                         "[-m MIB] [-s SEED] [--stale] [--header]\n");
        return 2;
      }
  if (header)
    {
      printf ("clients\tops\tkeys\tinfo\tverdict\tchecked\tconfigs\tpeak_MiB\tseconds\tops_per_s"
              "\twitness\trss_MiB\n");
      if (optind == argc && argc == 2)
        return 0;
    }
  if (clients == 0 || keys == 0 || n < keys)
    return 2;

  struct labo_rng g;
  labo_rng_seed (&g, seed, 17);
  const double mean = 1e6; /* 1 ms a call */
  struct gen *ops = xcalloc (n + keys, sizeof *ops);
  int64_t *t = xmalloc (clients * sizeof *t);
  uint32_t *proc = xmalloc (clients * sizeof *proc);
  int64_t *last = xmalloc (keys * sizeof *last), *next_value = xmalloc (keys * sizeof *next_value);
  uint32_t next_proc = clients + 1;
  size_t m = 0;

  /* each key's initial write, before all else, by process 0 */
  for (unsigned k = 0; k < keys; k++)
    {
      ops[m++] = (struct gen) { { .process = 0, .key = k, .f = LABO_OP_WRITE,
                                  .type = LABO_OP_OK, .value = 0, .call_ns = 0, .ret_ns = 1000,
                                  .node = -1 }, 500 };
      last[k] = 0;
      next_value[k] = 1;
    }
  for (unsigned i = 0; i < clients; i++)
    {
      t[i] = 2000 + (int64_t) labo_rng_below (&g, 100000);
      proc[i] = i + 1;
    }
  while (m < n + keys)
    {
      /* the client whose turn comes first */
      unsigned ci = 0;
      for (unsigned i = 1; i < clients; i++)
        if (t[i] < t[ci])
          ci = i;
      struct gen *o = &ops[m++];
      uint32_t k = (uint32_t) labo_rng_below (&g, keys);
      uint64_t pick = labo_rng_below (&g, 10);
      int64_t call = t[ci], lat = latency (&g, mean);
      o->op = (struct labo_op) { .process = proc[ci], .key = k, .type = LABO_OP_OK,
                                 .call_ns = call, .ret_ns = call + lat, .node = -1 };
      o->effect = call + (int64_t) labo_rng_below (&g, (uint64_t) lat);
      if (pick < 5)
        o->op.f = LABO_OP_READ;
      else if (pick < 8)
        {
          o->op.f = LABO_OP_WRITE;
          o->op.value = next_value[k]++;
          last[k] = o->op.value;
        }
      else
        {
          o->op.f = LABO_OP_CAS;
          /* the newest value written, or an older one */
          o->op.expect = labo_rng_below (&g, 3) ? last[k]
                                                : (int64_t) labo_rng_below (&g, (uint64_t) next_value[k]);
          o->op.value = next_value[k]++;
        }
      if (labo_rng_uniform (&g) < info)
        {
          o->op.type = LABO_OP_INFO;
          o->op.ret_ns = -1;
          if (labo_rng_below (&g, 2))
            o->effect = -1;
          proc[ci] = next_proc++;
          t[ci] = call + 10 * (int64_t) mean; /* the client's timeout */
        }
      else
        t[ci] = call + lat + (int64_t) labo_rng_below (&g, (uint64_t) mean / 2);
    }

  /* play them on the registers in the order they take effect */
  struct gen **by_effect = xmalloc (m * sizeof *by_effect);
  size_t ne = 0;
  for (size_t i = 0; i < m; i++)
    if (ops[i].effect >= 0)
      by_effect[ne++] = &ops[i];
  qsort (by_effect, ne, sizeof *by_effect, cmp_effect);
  int64_t *state = xmalloc (keys * sizeof *state);
  for (unsigned k = 0; k < keys; k++)
    state[k] = LABO_NIL;
  for (size_t i = 0; i < ne; i++)
    {
      struct labo_op *o = &by_effect[i]->op;
      if (o->f == LABO_OP_READ)
        o->value = state[o->key];
      else if (o->f == LABO_OP_WRITE)
        state[o->key] = o->value;
      else if (state[o->key] == o->expect)
        state[o->key] = o->value;
      else if (o->type == LABO_OP_OK)
        o->type = LABO_OP_FAIL;
    }
  qsort (ops, m, sizeof *ops, cmp_call);
  if (stale)
    {
      /* the last answered read of key 0 that saw a value > 1 now sees 0 */
      for (size_t i = m; i-- > 0;)
        if (ops[i].op.key == 0 && ops[i].op.f == LABO_OP_READ && ops[i].op.type == LABO_OP_OK
            && ops[i].op.value > 1)
          {
            ops[i].op.value = 0;
            break;
          }
    }

  struct labo_op *hops = xmalloc (m * sizeof *hops);
  for (size_t i = 0; i < m; i++)
    hops[i] = ops[i].op;
  struct labo_history h = { .ops = hops, .n_ops = m, .end_ns = hops[m - 1].call_ns };
  struct labo_lin_limits lim = { .seconds = seconds, .memory_bytes = mib * 1024 * 1024 };
  struct labo_lin_result r;
  labo_lin_check (&h, &lim, &r);

  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  char wit[32] = "-";
  if (r.verdict == LABO_LIN_INVALID)
    snprintf (wit, sizeof wit, "%zu%s", r.n_witness, r.witness_minimal ? "" : "+");
  printf ("%u\t%zu\t%u\t%g\t%s\t%zu\t%" PRIu64 "\t%.1f\t%.3f\t%.0f\t%s\t%.0f%s%s\n", clients, m,
          keys, info, labo_lin_verdict_name (r.verdict), r.ops, r.configs,
          (double) r.peak_bytes / (1024 * 1024), r.seconds, (double) m / r.seconds, wit,
          (double) ru.ru_maxrss / 1024, r.why[0] ? "\t" : "", r.why);
  labo_lin_result_free (&r);
  free (hops);
  free (by_effect);
  free (state);
  free (ops);
  free (t);
  free (proc);
  free (last);
  free (next_value);
  return 0;
}
