/* `labo link`: a link's delay, jitter, loss and rate, pulled out and
 * plugged back (include/labo/engine/links.h), `labo link show`, `labo link
 * reset`; and `labo __linkemu`, the emulator process that `labo link`
 * starts where the kernel has no sch_netem. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/util/caps.h"
#include "labo/engine/links.h"
#include "labo/engine/linkverify.h"
#include "labo/model/names.h"
#include "labo/model/state.h"
#include "labo/util/util.h"

static void
print_links (json_t *links, FILE *out)
{
  size_t i;
  json_t *o;

  fprintf (out, "%-24s %-9s %-5s %s\n", "LINK", "MECHANISM", "STATE", "SETTINGS (each way)");
  json_array_foreach (links, i, o)
    {
      json_t *emus = json_object_get (o, "emulators"), *e;
      size_t k;
      fprintf (out, "%-24s %-9s %-5s %s",
               json_string_value (json_object_get (o, "link")),
               json_string_value (json_object_get (o, "mechanism")),
               json_string_value (json_object_get (o, "state")),
               json_string_value (json_object_get (o, "settings")));
      json_array_foreach (emus, k, e)
        if (json_is_true (json_object_get (e, "running")))
          {
            static const char *const more[] = { "corrupted", "duplicated", "reordered" };
            long long fr = 0, lost = 0, over = 0, extra[3] = { 0, 0, 0 };
            for (int d = 0; d < 2; d++)
              {
                json_t *c = json_object_get (e, d == 0 ? "from_host" : "to_host");
                fr += json_integer_value (json_object_get (c, "frames"));
                lost += json_integer_value (json_object_get (c, "lost"));
                over += json_integer_value (json_object_get (c, "overflow"));
                for (int x = 0; x < 3; x++)
                  extra[x] += json_integer_value (json_object_get (c, more[x]));
              }
            fprintf (out, "%s %semulator pid %lld: %lld frames, %lld lost, %lld over the queue",
                     k == 0 ? ";" : ",", k == 0 ? "" : "overlay's ",
                     json_integer_value (json_object_get (e, "pid")), fr, lost, over);
            for (int x = 0; x < 3; x++)
              if (extra[x])
                fprintf (out, ", %lld %s", extra[x], more[x]);
          }
        else
          fprintf (out, "%s EMULATOR NOT RUNNING (`labo link %s` starts it)", k == 0 ? ";" : ",",
                   json_string_value (json_object_get (o, "host")));
      fputc ('\n', out);
    }
}

static int
link_show (int argc, char **argv)
{
  static const struct option opts[] = { { "lab", required_argument, NULL, 'l' },
                                        { "json", no_argument, NULL, 'j' },
                                        { NULL, 0, NULL, 0 } };
  const char *lab_opt = NULL;
  bool as_json = false;
  struct labo_lab *lab;
  json_t *links;
  int c, code;

  while ((c = cli_getopt (argc, argv, "l:j", opts)) != -1)
    if (c == 'l')
      lab_opt = optarg;
    else if (c == 'j')
      as_json = true;
    else
      return EXIT_INPUT;
  if (optind + 1 == argc && lab_opt == NULL)
    lab_opt = argv[optind++];
  if (optind != argc)
    return cli_usage ("link show takes a lab, at most", NULL);
  lab = cli_running_lab (lab_opt, &code);
  if (lab == NULL)
    return code;
  links = labo_links_json (lab);
  if (as_json)
    {
      json_dumpf (links, stdout, JSON_INDENT (2));
      putchar ('\n');
    }
  else if (json_array_size (links) == 0)
    printf ("labo: no link of lab %s has settings\n", lab->name);
  else
    print_links (links, stdout);
  json_decref (links);
  labo_lab_free (lab);
  return EXIT_OK;
}

static int
link_reset (int argc, char **argv)
{
  static const struct option opts[]
      = { { "lab", required_argument, NULL, 'l' }, { NULL, 0, NULL, 0 } };
  const char *lab_opt = NULL;
  labo_error_t err = NULL;
  struct labo_lab *lab;
  int c, code = EXIT_OK, n = 0;

  while ((c = cli_getopt (argc, argv, "l:", opts)) != -1)
    if (c == 'l')
      lab_opt = optarg;
    else
      return EXIT_INPUT;
  if (argc - optind > 2)
    return cli_usage ("link reset takes a host and a segment, at most", NULL);
  if (labo_caps_require ("link reset", &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  lab = optind < argc ? cli_target_lab (lab_opt, argv[optind], true, &code)
                      : cli_running_lab (lab_opt, &code);
  if (lab == NULL)
    return code;
  if (optind < argc)
    {
      size_t l;
      if (labo_link_lookup (lab, argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL, &l,
                            &err)
              < 0
          || labo_linkset_reset (lab, l, &err) < 0)
        code = cli_fail (&err, err && err->status == ENOENT ? EXIT_NOTFOUND : EXIT_FAIL);
      else
        n = 1;
    }
  else if ((n = labo_links_reset_all (lab, &err)) < 0)
    code = cli_fail (&err, EXIT_FAIL);
  if (code == EXIT_OK)
    printf ("labo: %d link%s of lab %s reset: as `labo up` made %s\n", n, n == 1 ? "" : "s",
            lab->name, n == 1 ? "it" : "them");
  labo_lab_free (lab);
  return code;
}

static int
bad_value (const char *opt, const char *value, const char *expected)
{
  fprintf (stderr, "labo: link --%s %s: expected %s\n", opt, value, expected);
  return EXIT_INPUT;
}

/* What `link`'s command line asks: the settings named (the others stay as
 * they are), and the link's host and segment (argv[optind ..]). */
struct link_args
{
  const char *lab_opt;
  struct labo_impair im;
  enum labo_link_mech mech;
  unsigned set; /* LABO_IMP_BIT (p) for each setting named */
  int down;     /* -1: not named */
  bool as_json, verify;
  const char *verify_peer;
  unsigned probes;
};

/* getopt's value for setting p: past every character */
#define OPT_IMP 1000

static int
link_options (int argc, char **argv, struct link_args *a)
{
  static const struct option fixed[] = { { "lab", required_argument, NULL, 'l' },
                                         { "down", no_argument, NULL, 'D' },
                                         { "up", no_argument, NULL, 'U' },
                                         { "mechanism", required_argument, NULL, 'm' },
                                         { "json", no_argument, NULL, 'J' },
                                         { "verify", no_argument, NULL, 'V' },
                                         { "peer", required_argument, NULL, 'P' },
                                         { "probes", required_argument, NULL, 'N' } };
  /* and --NAME VALUE for every setting of the table */
  struct option opts[sizeof (fixed) / sizeof (fixed[0]) + LABO_IMP_N + 1];
  const char *expected = NULL;
  size_t n = sizeof (fixed) / sizeof (fixed[0]);
  int c;

  memcpy (opts, fixed, sizeof (fixed));
  for (int p = 0; p < LABO_IMP_N; p++)
    opts[n + (size_t) p] = (struct option){ labo_impair_param_name ((enum labo_impair_param) p),
                                            required_argument, NULL, OPT_IMP + p };
  opts[n + LABO_IMP_N] = (struct option){ NULL, 0, NULL, 0 };
  while ((c = cli_getopt (argc, argv, "l:", opts)) != -1)
    switch (c)
      {
      case 'l':
        a->lab_opt = optarg;
        break;
      case 'D':
      case 'U':
        if (a->down >= 0 && a->down != (c == 'D'))
          return cli_usage ("link takes --down or --up, not both", NULL);
        a->down = c == 'D';
        break;
      case 'm':
        if (labo_link_mech_parse (optarg, &a->mech) < 0)
          return bad_value ("mechanism", optarg, "auto, netem or emulator");
        break;
      case 'J':
        a->as_json = true;
        break;
      case 'V':
        a->verify = true;
        break;
      case 'P':
        a->verify_peer = optarg;
        break;
      case 'N':
        {
          char *end;
          unsigned long v = strtoul (optarg, &end, 10);
          if (*optarg < '1' || *optarg > '9' || *end || v < 100 || v > 1000000)
            return bad_value ("probes", optarg, "a number of probes from 100 to 1000000");
          a->probes = (unsigned) v;
        }
        break;
      default:
        if (c >= OPT_IMP && c < OPT_IMP + LABO_IMP_N)
          {
            enum labo_impair_param p = (enum labo_impair_param) (c - OPT_IMP);
            if (labo_impair_set (&a->im, p, optarg, &expected) < 0)
              return bad_value (labo_impair_param_name (p), optarg, expected);
            a->set |= LABO_IMP_BIT (p);
            break;
          }
        return EXIT_INPUT;
      }
  if (optind == argc || argc - optind > 2)
    return cli_usage ("link takes a host and, when it has several links, a segment (labo link "
                      "HOST [SEGMENT] --delay 50ms ...), or show, or reset",
                      NULL);
  if ((a->verify_peer || a->probes) && !a->verify)
    return cli_usage ("--peer and --probes go with --verify", NULL);
  return EXIT_OK;
}

/* Whether anything is to change. */
static bool
link_named (const struct link_args *a)
{
  return a->set || a->down >= 0 || a->mech != LABO_MECH_NONE;
}

/* Link l (host's) set as asked: the settings in place, with those named
 * changed; or, nothing named, in place again when the emulator carries
 * them (which starts a dead one). */
static int
link_set (const struct labo_lab *lab, size_t l, const char *host, const struct link_args *a)
{
  struct labo_linkset want;
  labo_error_t err = NULL;

  labo_linkset_load (lab, l, &want);
  for (int p = 0; p < LABO_IMP_N; p++)
    if (a->set & LABO_IMP_BIT (p))
      labo_impair_copy (&want.im, &a->im, (enum labo_impair_param) p);
  if (a->down >= 0)
    want.down = a->down;
  if (labo_impair_conflict (&want.im))
    {
      fprintf (stderr, "labo: link %s: %s\n", host, labo_impair_conflict (&want.im));
      return EXIT_INPUT;
    }
  if (want.im.jitter_us > want.im.delay_us
      && (a->set & (LABO_IMP_BIT (LABO_IMP_JITTER) | LABO_IMP_BIT (LABO_IMP_DELAY))))
    fprintf (stderr, "labo: note: a jitter above the delay is cut at no delay (frames are never "
                     "sent early, nor out of order)\n");
  if (!link_named (a))
    {
      if (want.mech == LABO_MECH_EMULATOR && labo_linkset_apply (lab, l, &want, &err) < 0)
        return cli_fail (&err, EXIT_FAIL);
      return EXIT_OK;
    }
  if (want.mech != LABO_MECH_NONE && a->mech != LABO_MECH_NONE && a->mech != want.mech)
    fprintf (stderr, "labo: note: link %s already uses %s (`labo link reset` first to "
                     "change it)\n", host, labo_link_mech_name (want.mech));
  want.mech = a->mech;
  if (labo_linkset_apply (lab, l, &want, &err) < 0)
    return cli_fail (&err, EXIT_FAIL);
  return EXIT_OK;
}

/* What link l carries now, as `link show` prints it (or its JSON). */
static void
link_print (const struct labo_lab *lab, size_t l, bool as_json)
{
  json_t *links = labo_links_json (lab), *o, *found = NULL;
  cleanup_free char *name = labo_link_name (lab, l);
  size_t i;

  json_array_foreach (links, i, o)
    if (strcmp (json_string_value (json_object_get (o, "link")), name) == 0)
      found = o;
  if (as_json)
    {
      json_t *none = json_pack ("{s:s, s:s}", "link", name, "settings", "none");
      json_dumpf (found ? found : none, stdout, JSON_INDENT (2));
      putchar ('\n');
      json_decref (none);
    }
  else if (found)
    {
      json_t *one = json_array ();
      json_array_append (one, found);
      print_links (one, stdout);
      json_decref (one);
    }
  else
    printf ("labo: link %s has no settings: as `labo up` made it\n", name);
  json_decref (links);
}

/* --verify: what the link does, measured, against what it was asked;
 * exit 1 when a measure is off. */
static int
link_verify (const struct labo_lab *lab, size_t l, const struct link_args *a)
{
  labo_error_t err = NULL;
  json_t *report;
  bool within;

  if (!a->as_json)
    {
      cleanup_free char *name = labo_link_name (lab, l);
      fprintf (stderr, "labo: measuring link %s (a few seconds) ...\n", name);
    }
  report = labo_link_verify (lab, l, a->verify_peer, a->probes, &err);
  if (report == NULL)
    return cli_fail (&err, err && err->status == ENOENT ? EXIT_NOTFOUND : EXIT_FAIL);
  if (a->as_json)
    {
      within = json_is_true (json_object_get (report, "within"));
      json_dumpf (report, stdout, JSON_INDENT (2));
      putchar ('\n');
    }
  else
    within = labo_link_verify_print (report, stdout);
  json_decref (report);
  return within ? EXIT_OK : EXIT_FAIL;
}

int
cmd_link (int argc, char **argv)
{
  struct link_args a = { .mech = LABO_MECH_NONE, .down = -1 };
  labo_error_t err = NULL;
  struct labo_lab *lab;
  int code = EXIT_OK;
  size_t l;

  if (argc >= 2 && strcmp (argv[1], "show") == 0)
    return link_show (argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "reset") == 0)
    return link_reset (argc - 1, argv + 1);
  if ((code = link_options (argc, argv, &a)) != EXIT_OK)
    return code;
  if (labo_caps_require ("link", &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  lab = cli_target_lab (a.lab_opt, argv[optind], true, &code);
  if (lab == NULL)
    return code;
  if (labo_link_lookup (lab, argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL, &l, &err)
      < 0)
    code = cli_fail (&err, err && err->status == ENOENT ? EXIT_NOTFOUND : EXIT_INPUT);
  /* --verify alone measures the link as it is: not as `labo link HOST`
   * would leave it (which starts a dead emulator) */
  else if ((a.verify && !link_named (&a)) || (code = link_set (lab, l, argv[optind], &a)) == EXIT_OK)
    {
      if (a.verify)
        code = link_verify (lab, l, &a);
      else
        link_print (lab, l, a.as_json);
    }
  labo_lab_free (lab);
  return code;
}

int
cmd_linkemu (int argc, char **argv)
{
  labo_error_t err = NULL;
  if (argc != 7)
    {
      fprintf (stderr,
               "labo: __linkemu is labo's own (SWITCH_NS PORT EMU_PORT BASE CONF READY_FD)\n");
      return EXIT_INPUT;
    }
  /* labo starts it with its lab's switch namespace and a file of the lab's
   * run dir: anything else is not labo's doing */
  if (strncmp (argv[1], "labo.", 5) != 0 || !labo_lab_name_valid (argv[1] + 5)
      || strncmp (argv[5], labo_run_dir (), strlen (labo_run_dir ())) != 0
      || strstr (argv[5], "/..") != NULL)
    {
      fprintf (stderr, "labo: __linkemu: not a lab's switch namespace and run dir\n");
      return EXIT_INPUT;
    }
  if (labo_linkemu_serve (argv[1], argv[2], argv[3], argv[4], argv[5], atoi (argv[6]), &err) < 0)
    return cli_fail (&err, EXIT_FAIL);
  return EXIT_OK;
}
