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
 * ops_per_s witness rss_MiB
 *
 * linbench [-t SECONDS] [-m MIB] --jepsen FILE...: checks instead Jepsen's
 * etcd logs of one CAS register ("INFO jepsen.util - 3 :ok :read 2"), the
 * histories that Horn and Kroening's checker, Porcupine and Knossos were
 * compared on; one line each: file ops verdict configs peak_MiB seconds
 * witness. The time of an event is its line. */
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

/* One of Jepsen's etcd logs as a history: invocations and completions
 * matched by process; a read that timed out or an operation never
 * completed is INFO; an :info write or cas too. */
static size_t
read_jepsen (const char *path, struct labo_op **out)
{
  FILE *f = fopen (path, "r");
  char line[512], type[32], fn[32], val[64];
  size_t n = 0, cap = 1024, pending[4096];
  struct labo_op *ops = xmalloc (cap * sizeof *ops);
  unsigned p;
  int64_t t = 0;

  if (!f)
    {
      perror (path);
      exit (1);
    }
  for (size_t i = 0; i < 4096; i++)
    pending[i] = SIZE_MAX;
  while (fgets (line, sizeof line, f))
    {
      t++;
      if (sscanf (line, "INFO jepsen.util - %u %31s %31s %63[^\n]", &p, type, fn, val) != 4
          || p >= 4096)
        continue;
      if (strcmp (type, ":invoke") == 0)
        {
          if (n == cap)
            ops = xrealloc (ops, (cap *= 2) * sizeof *ops);
          struct labo_op *o = &ops[n];
          *o = (struct labo_op) { .process = p, .type = LABO_OP_INFO, .value = LABO_NIL,
                                  .call_ns = t, .ret_ns = -1, .node = -1 };
          long long a, b;
          if (strcmp (fn, ":read") == 0)
            o->f = LABO_OP_READ;
          else if (strcmp (fn, ":write") == 0 && sscanf (val, "%lld", &a) == 1)
            {
              o->f = LABO_OP_WRITE;
              o->value = a;
            }
          else if (strcmp (fn, ":cas") == 0 && sscanf (val, "[%lld %lld]", &a, &b) == 2)
            {
              o->f = LABO_OP_CAS;
              o->expect = a;
              o->value = b;
            }
          else
            continue;
          pending[p] = n++;
          continue;
        }
      if (pending[p] == SIZE_MAX)
        continue;
      struct labo_op *o = &ops[pending[p]];
      pending[p] = SIZE_MAX;
      if (strcmp (type, ":ok") == 0)
        {
          o->type = LABO_OP_OK;
          o->ret_ns = t;
          if (o->f == LABO_OP_READ)
            {
              long long a;
              o->value = sscanf (val, "%lld", &a) == 1 ? a : LABO_NIL;
            }
        }
      else if (strcmp (type, ":fail") == 0 && strcmp (val, ":timed-out") != 0)
        {
          o->type = LABO_OP_FAIL;
          o->ret_ns = t;
        }
      /* else :info, or a read that timed out: INFO */
    }
  fclose (f);
  *out = ops;
  return n;
}

static int
jepsen_main (char **files, int n_files, const struct labo_lin_limits *lim)
{
  printf ("file\tops\tverdict\tconfigs\tpeak_MiB\tseconds\twitness\n");
  for (int i = 0; i < n_files; i++)
    {
      struct labo_op *ops;
      size_t n = read_jepsen (files[i], &ops);
      struct labo_history h = { .ops = ops, .n_ops = n };
      struct labo_lin_result r;
      const char *base = strrchr (files[i], '/');
      char wit[32] = "-";
      labo_lin_check (&h, lim, &r);
      if (r.verdict == LABO_LIN_INVALID)
        snprintf (wit, sizeof wit, "%zu%s", r.n_witness, r.witness_minimal ? "" : "+");
      printf ("%s\t%zu\t%s\t%" PRIu64 "\t%.1f\t%.6f\t%s\n", base ? base + 1 : files[i], n,
              labo_lin_verdict_name (r.verdict), r.configs, (double) r.peak_bytes / (1024 * 1024),
              r.seconds, wit);
      labo_lin_result_free (&r);
      free (ops);
    }
  return 0;
}

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
  bool stale = false, header = false, jepsen = false;
  static const struct option longs[] = { { "stale", no_argument, NULL, 'S' },
                                         { "header", no_argument, NULL, 'H' },
                                         { "jepsen", no_argument, NULL, 'J' },
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
      case 'J': jepsen = true; break;
      default:
        fprintf (stderr, "usage: linbench [-c CLIENTS] [-n OPS] [-k KEYS] [-i INFO] [-t S] "
                         "[-m MIB] [-s SEED] [--stale] [--header]\n");
        return 2;
      }
  if (jepsen)
    {
      struct labo_lin_limits jl = { .seconds = seconds, .memory_bytes = mib * 1024 * 1024 };
      return jepsen_main (argv + optind, argc - optind, &jl);
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
