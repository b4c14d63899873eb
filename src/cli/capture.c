/* `labo capture`: a host's traffic on one of its links, as pcap, into a
 * file or live down a pipe (include/labo/engine/capture.h says where it
 * listens, include/labo/net/capture.h how). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/engine/capture.h"
#include "labo/util/caps.h"
#include "labo/util/fs.h"
#include "labo/util/util.h"

struct capture_args
{
  const char *lab_opt, *file;
  uint64_t count;
  long long duration_ms;
  int snaplen;
  bool quiet;
};

static int
capture_options (int argc, char **argv, struct capture_args *a)
{
  static const struct option opts[] = { { "lab", required_argument, NULL, 'l' },
                                        { "write", required_argument, NULL, 'w' },
                                        { "count", required_argument, NULL, 'c' },
                                        { "duration", required_argument, NULL, 'd' },
                                        { "snaplen", required_argument, NULL, 's' },
                                        { "quiet", no_argument, NULL, 'q' },
                                        { NULL, 0, NULL, 0 } };
  char *end;
  int c;

  while ((c = cli_getopt (argc, argv, "l:w:c:s:q", opts)) != -1)
    switch (c)
      {
      case 'l':
        a->lab_opt = optarg;
        break;
      case 'w':
        a->file = optarg;
        break;
      case 'c':
        errno = 0;
        a->count = strtoull (optarg, &end, 10);
        if (errno || *end || end == optarg || a->count == 0 || optarg[0] == '-')
          return cli_usage ("-c takes a number of packets (1 or more), not '%s'", optarg);
        break;
      case 'd':
        if (labo_duration_parse (optarg, strlen (optarg), &a->duration_ms) < 0
            || a->duration_ms <= 0)
          return cli_usage ("--duration takes a duration like 30s, 2m or 500ms, not '%s'",
                            optarg);
        break;
      case 's':
        errno = 0;
        a->snaplen = (int) strtol (optarg, &end, 10);
        if (errno || *end || end == optarg || a->snaplen < 64 || a->snaplen > LABO_CAPTURE_SNAPLEN)
          return cli_usage ("--snaplen takes a number of bytes from 64 to 262144, not '%s'",
                            optarg);
        break;
      case 'q':
        a->quiet = true;
        break;
      default:
        return EXIT_INPUT;
      }
  return EXIT_OK;
}

/* The words left, joined with spaces (tcpdump's way), or NULL. */
static char *
join_filter (int argc, char **argv, int from)
{
  char *s = NULL;

  for (int i = from; i < argc; i++)
    {
      char *t = xasprintf ("%s%s%s", s ? s : "", s ? " " : "", argv[i]);
      free (s);
      s = t;
    }
  return s;
}

/* An error's exit code: what the user named does not exist (4), is not
 * right (2: a bad filter, several links, a path refused), else 1. */
static int
code_of (const labo_error_t err)
{
  switch (err ? err->status : 0)
    {
    case ENOENT:
      return EXIT_NOTFOUND;
    case EINVAL:
    case ELOOP:
    case EMLINK:
      return EXIT_INPUT;
    default:
      return EXIT_FAIL;
    }
}

int
cmd_capture (int argc, char **argv)
{
  struct capture_args a = { 0 };
  labo_error_t err = NULL;
  cleanup_lab struct labo_lab *lab = NULL;
  cleanup_free char *filter = NULL;
  struct labo_capture_where w = { 0 };
  struct labo_capture *cap = NULL;
  struct labo_capture_stats st;
  const char *host, *segment = NULL;
  cleanup_close int out = -1, sfd = -1;
  bool to_stdout;
  sigset_t stop;
  int code, end;

  if ((code = capture_options (argc, argv, &a)) != EXIT_OK)
    return code;
  if (optind >= argc)
    return cli_usage ("capture takes a host: labo capture HOST [SEGMENT] [FILTER]", NULL);
  host = argv[optind++];
  to_stdout = a.file == NULL || strcmp (a.file, "-") == 0;
  if (to_stdout && isatty (STDOUT_FILENO))
    {
      fprintf (stderr, "labo: capture writes pcap, which is not for a terminal: -w FILE, or "
                       "pipe it (| tcpdump -nr -, | wireshark -k -i -)\n");
      return EXIT_INPUT;
    }
  if (labo_caps_require ("capture", &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  lab = cli_target_lab (a.lab_opt, host, false, &code);
  if (lab == NULL)
    return code;
  if (labo_lab_find_host (lab, host) < 0)
    {
      /* a node has no link of its own to capture: its host's carry it */
      const char *on = lab->hosts[lab->nodes[labo_lab_find_node (lab, host)].host].name;
      fprintf (stderr, "labo: %s is a node of lab %s: capture its host, %s (Docker's overlay "
                       "crosses the host's link as VXLAN: filter udp port 4789; in the process "
                       "runtime the node is in its host's namespace: any)\n",
               host, lab->name, on);
      return EXIT_INPUT;
    }
  if (optind < argc && labo_capture_is_segment (lab, host, argv[optind]))
    segment = argv[optind++];
  filter = join_filter (argc, argv, optind);
  if (labo_capture_where (lab, host, segment, &w, &err) < 0)
    return cli_fail (&err, code_of (err));
  {
    /* live (immediate) unless the output is a regular file: stdout not
     * redirected into one, or -w to a FIFO */
    struct stat sb;
    bool live = to_stdout ? !(fstat (STDOUT_FILENO, &sb) == 0 && S_ISREG (sb.st_mode))
                          : lstat (a.file, &sb) == 0 && S_ISFIFO (sb.st_mode);
    struct labo_capture_opts o = { .netns = w.netns, .ifname = w.ifname, .filter = filter,
                                   .snaplen = a.snaplen, .promisc = true, .immediate = live,
                                   .what = w.what };
    cap = labo_capture_open (&o, &err);
  }
  /* the output is opened only now: a bad filter leaves no file */
  if (cap && !to_stdout && (out = labo_fs_open_output (a.file, "a capture", &err)) < 0)
    {
      labo_capture_close (cap);
      cap = NULL;
    }
  if (cap == NULL)
    {
      labo_capture_where_release (&w);
      return cli_fail (&err, code_of (err));
    }
  /* Ctrl-C and TERM end the capture through its poll, so the file is
   * whole; SIGPIPE blocked makes a reader gone an EPIPE, a clean end */
  sigemptyset (&stop);
  sigaddset (&stop, SIGINT);
  sigaddset (&stop, SIGTERM);
  sigaddset (&stop, SIGHUP);
  sigaddset (&stop, SIGPIPE);
  sigprocmask (SIG_BLOCK, &stop, NULL);
  sigdelset (&stop, SIGPIPE);
  sfd = signalfd (-1, &stop, SFD_CLOEXEC);
  if (sfd < 0)
    {
      /* with the signals blocked and no way to read them, Ctrl-C would
       * not stop it */
      labo_error_errno (&err, "capture: signalfd");
      labo_capture_close (cap);
      labo_capture_where_release (&w);
      return cli_fail (&err, EXIT_FAIL);
    }
  if (!a.quiet)
    fprintf (stderr, "labo: capturing on %s (%s in %s)%s%s, writing %s%s\n", w.what, w.ifname,
             w.netns, filter ? ", filter: " : "", filter ? filter : "",
             to_stdout ? "to stdout" : a.file, a.count || a.duration_ms ? "" : "; Ctrl-C stops");
  end = labo_capture_run (cap, to_stdout ? STDOUT_FILENO : out, a.count, a.duration_ms, sfd, &st,
                          &err);
  if (!a.quiet || end < 0)
    fprintf (stderr, "labo: %ju packet%s captured on %s, %ju dropped by the kernel%s%s%s\n",
             (uintmax_t) st.captured, st.captured == 1 ? "" : "s", w.what,
             (uintmax_t) st.dropped, end >= 0 ? " (" : "",
             end >= 0 ? labo_capture_end_name ((enum labo_capture_end) end) : "",
             end >= 0 ? ")" : "");
  labo_capture_close (cap);
  labo_capture_where_release (&w);
  if (end < 0)
    return cli_fail (&err, EXIT_FAIL);
  return EXIT_OK;
}
