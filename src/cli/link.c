/* `labo link`: a link's delay, jitter, loss and rate, pulled out and
 * plugged back (include/labo/engine/links.h), `labo link show`, `labo link
 * reset`; and `labo __linkemu`, the emulator process that `labo link`
 * starts where the kernel has no sch_netem. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/util/caps.h"
#include "labo/engine/links.h"
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
            long long fr = 0, lost = 0, over = 0;
            for (int d = 0; d < 2; d++)
              {
                json_t *c = json_object_get (e, d == 0 ? "from_host" : "to_host");
                fr += json_integer_value (json_object_get (c, "frames"));
                lost += json_integer_value (json_object_get (c, "lost"));
                over += json_integer_value (json_object_get (c, "overflow"));
              }
            fprintf (out, "%s %semulator pid %lld: %lld frames, %lld lost, %lld over the queue",
                     k == 0 ? ";" : ",", k == 0 ? "" : "overlay's ",
                     json_integer_value (json_object_get (e, "pid")), fr, lost, over);
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
  bool set_delay, set_jitter, set_loss, set_rate;
  int down; /* -1: not named */
  bool as_json;
};

static int
link_options (int argc, char **argv, struct link_args *a)
{
  static const struct option opts[] = { { "lab", required_argument, NULL, 'l' },
                                        { "delay", required_argument, NULL, 'd' },
                                        { "jitter", required_argument, NULL, 'j' },
                                        { "loss", required_argument, NULL, 'o' },
                                        { "rate", required_argument, NULL, 'r' },
                                        { "down", no_argument, NULL, 'D' },
                                        { "up", no_argument, NULL, 'U' },
                                        { "mechanism", required_argument, NULL, 'm' },
                                        { "json", no_argument, NULL, 'J' },
                                        { NULL, 0, NULL, 0 } };
  const char *expected = NULL;
  int c;

  while ((c = cli_getopt (argc, argv, "l:", opts)) != -1)
    switch (c)
      {
      case 'l':
        a->lab_opt = optarg;
        break;
      case 'd':
        if (labo_impair_parse_time (optarg, &a->im.delay_us, &expected) < 0)
          return bad_value ("delay", optarg, expected);
        a->set_delay = true;
        break;
      case 'j':
        if (labo_impair_parse_time (optarg, &a->im.jitter_us, &expected) < 0)
          return bad_value ("jitter", optarg, expected);
        a->set_jitter = true;
        break;
      case 'o':
        if (labo_impair_parse_loss (optarg, &a->im.loss_ppm, &expected) < 0)
          return bad_value ("loss", optarg, expected);
        a->set_loss = true;
        break;
      case 'r':
        if (labo_impair_parse_rate (optarg, &a->im.rate_bps, &expected) < 0)
          return bad_value ("rate", optarg, expected);
        a->set_rate = true;
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
      default:
        return EXIT_INPUT;
      }
  if (optind == argc || argc - optind > 2)
    return cli_usage ("link takes a host and, when it has several links, a segment (labo link "
                      "HOST [SEGMENT] --delay 50ms ...), or show, or reset",
                      NULL);
  return EXIT_OK;
}

/* Whether anything is to change. */
static bool
link_named (const struct link_args *a)
{
  return a->set_delay || a->set_jitter || a->set_loss || a->set_rate || a->down >= 0
         || a->mech != LABO_MECH_NONE;
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
  if (a->set_delay)
    want.im.delay_us = a->im.delay_us;
  if (a->set_jitter)
    want.im.jitter_us = a->im.jitter_us;
  if (a->set_loss)
    want.im.loss_ppm = a->im.loss_ppm;
  if (a->set_rate)
    want.im.rate_bps = a->im.rate_bps;
  if (a->down >= 0)
    want.down = a->down;
  if (want.im.jitter_us > want.im.delay_us && (a->set_jitter || a->set_delay))
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
  else if ((code = link_set (lab, l, argv[optind], &a)) == EXIT_OK)
    link_print (lab, l, a.as_json);
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
