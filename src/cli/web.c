/* `labo web`: parses its options and serves (src/web/). */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "labo/model/state.h"
#include "labo/util/caps.h"
#include "labo/web/web.h"

int
cmd_web (int argc, char **argv)
{
  static const struct option opts[] = { { "listen", required_argument, NULL, 'L' },
                                        { "allow-actions", no_argument, NULL, 'A' },
                                        { NULL, 0, NULL, 0 } };
  struct labo_web_opts o = { .allow_actions = false };
  const char *listen = "127.0.0.1";
  labo_error_t err = NULL;
  int c;

  while ((c = cli_getopt (argc, argv, "", opts)) != -1)
    if (c == 'L')
      listen = optarg;
    else if (c == 'A')
      o.allow_actions = true;
    else
      return EXIT_INPUT;
  if (optind != argc)
    return cli_usage ("web takes no argument but its options: labo web [--listen ADDR:PORT] "
                      "[--allow-actions]", NULL);
  if (labo_web_parse_listen (listen, &o.addr, &err) < 0)
    {
      fprintf (stderr, "labo web: %s\n", err->msg);
      labo_error_release (&err);
      return EXIT_INPUT;
    }
  /* it reads every lab's status: the privileges `status` needs */
  if (labo_caps_require ("web", &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  if (labo_state_check_env (&err) < 0)
    return cli_fail (&err, EXIT_FAIL);
  if (labo_web_run (&o, &err) < 0)
    return cli_fail (&err, EXIT_FAIL);
  return EXIT_OK;
}
