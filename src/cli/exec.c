/* `labo exec`, `labo logs` and `labo restart`. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/util/caps.h"
#include "labo/super/control.h"
#include "labo/docker/daemon.h"
#include "labo/host/host.h"
#include "labo/runtime/logs.h"
#include "labo/model/names.h"
#include "labo/runtime/runtime.h"
#include "labo/model/state.h"
#include "labo/util/util.h"
#include "labo/zk/zkproc.h"

int
cmd_exec (int argc, char **argv)
{
  static const struct option opts[]
      = { { "lab", required_argument, NULL, 'l' }, { NULL, 0, NULL, 0 } };
  const char *lab_opt = NULL, *target;
  cleanup_free char *lab_name = NULL;
  labo_error_t err = NULL;
  struct labo_lab *lab;
  bool is_node = false;
  int c, r, code;

  while ((c = cli_getopt (argc, argv, "+l:", opts)) != -1)
    if (c == 'l')
      lab_opt = optarg;
    else
      return EXIT_INPUT;
  if (optind >= argc)
    return cli_usage ("exec needs a host and a command: labo exec HOST -- CMD...", NULL);
  target = argv[optind++];
  if (optind < argc && strcmp (argv[optind], "--") == 0)
    optind++;
  if (optind >= argc)
    return cli_usage ("exec needs a command after the host: labo exec %s -- CMD...", target);
  if (labo_caps_require ("exec", &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  if ((r = cli_find_target (lab_opt, target, &lab_name, &is_node)) != EXIT_OK)
    return r;
  lab = cli_state_lab (lab_name);
  if (lab == NULL)
    {
      fprintf (stderr, "labo: lab %s is not up\n", lab_name);
      return EXIT_NOTFOUND;
    }
  fflush (NULL);
  if (is_node)
    {
      const struct labo_node *node = &lab->nodes[labo_lab_find_node (lab, target)];
      cleanup_free char *what = xasprintf ("node %s", target);
      pid_t pid = labo_runtime_of (lab)->node_pid (lab, (size_t) (node - lab->nodes), &err);
      labo_lab_free (lab);
      if (pid < 0)
        return cli_fail (&err, EXIT_FAIL);
      code = labo_pid_exec (pid, what, argv + optind, &err);
      return code < 0 ? cli_fail (&err, EXIT_FAIL) : code;
    }
  {
    size_t h = (size_t) labo_lab_find_host (lab, target);
    struct labo_daemon_paths p;
    labo_daemon_paths (lab->name, h, target, &p);
    /* a Docker host: its private /run, so `docker ps` finds the daemon */
    labo_host_exec (lab_name, target,
                    lab->hosts[h].docker != LABO_DOCKER_NONE && access (p.socket, F_OK) == 0
                        ? p.run : NULL,
                    argv + optind, &code, &err);
    labo_daemon_paths_free (&p);
    labo_lab_free (lab);
  }
  return cli_fail (&err, code);
}

/* Prints lines of a log from `off` on: Docker's json-file form (one
 * {"log", "stream", "time"} a line) or plain text. Returns the offset of
 * the first byte not printed (a line not yet complete). */
static off_t
print_log (int fd, off_t off, bool json)
{
  char buf[65536];
  size_t have = 0;

  for (;;)
    {
      ssize_t n = pread (fd, buf + have, sizeof (buf) - have - 1, off + (off_t) have);
      char *line, *nl;
      if (n <= 0)
        break;
      have += (size_t) n;
      buf[have] = '\0';
      line = buf;
      while ((nl = memchr (line, '\n', have - (size_t) (line - buf))) != NULL)
        {
          *nl = '\0';
          if (json)
            {
              json_t *o = json_loads (line, 0, NULL);
              const char *msg = json_string_value (json_object_get (o, "log"));
              /* a log is output, whichever stream the node wrote it to
               * (ZooKeeper's console log is its stderr): `labo logs N |
               * grep` finds it */
              if (msg)
                fputs (msg, stdout);
              json_decref (o);
            }
          else
            {
              fputs (line, stdout);
              fputc ('\n', stdout);
            }
          line = nl + 1;
        }
      off += line - buf;
      have -= (size_t) (line - buf);
      memmove (buf, line, have);
      if (have == sizeof (buf) - 1)
        {
          /* a line longer than the buffer: out as it is */
          fwrite (buf, 1, have, stdout);
          off += (off_t) have;
          have = 0;
        }
    }
  fflush (stdout);
  fflush (stderr);
  return off;
}

/* Prints the log at path; with follow, then what is appended, as it is
 * (inotify), until the file goes away (the lab is down). A file that
 * shrinks was rotated or rewritten: read again from its start. */
static int
show_log (const char *path, bool json, bool follow)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  cleanup_close int ino = -1;
  off_t off = 0;

  if (fd < 0)
    {
      fprintf (stderr, "labo: no log at %s yet: %s\n", path, strerror (errno));
      return EXIT_NOTFOUND;
    }
  off = print_log (fd, 0, json);
  if (!follow)
    return EXIT_OK;
  ino = inotify_init1 (IN_CLOEXEC);
  if (ino < 0 || inotify_add_watch (ino, path, IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF
                                                   | IN_ATTRIB) < 0)
    {
      fprintf (stderr, "labo: watching %s: %s\n", path, strerror (errno));
      return EXIT_FAIL;
    }
  for (;;)
    {
      char ev[4096] __attribute__ ((aligned (__alignof__ (struct inotify_event))));
      ssize_t n = read (ino, ev, sizeof (ev));
      struct stat st;
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return EXIT_FAIL;
      for (char *p = ev; p < ev + n;)
        {
          struct inotify_event *e = (struct inotify_event *) p;
          if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
            {
              print_log (fd, off, json);
              return EXIT_OK;
            }
          p += sizeof (*e) + e->len;
        }
      if (fstat (fd, &st) == 0 && st.st_size < off)
        off = 0;
      off = print_log (fd, off, json);
    }
}

/* The log a failed up kept of name (a node, or a host's daemon) in lab,
 * or, with no lab named, in the one lab that kept one. */
static char *
kept_log (const char *lab_opt, const char *name)
{
  cleanup_free char *lab = NULL;
  cleanup_free char *daemon = xasprintf ("%s.dockerd", name);
  char *path = NULL;
  DIR *d;
  struct dirent *e;
  size_t found = 0;

  if (lab_opt == NULL)
    lab_opt = getenv ("LABO_LAB");
  if (lab_opt && *lab_opt)
    {
      if (cli_resolve_lab (lab_opt, false, &lab) != EXIT_OK)
        return NULL;
      path = labo_logs_kept (lab, name);
      return path ? path : labo_logs_kept (lab, daemon);
    }
  if ((d = opendir (labo_log_root ())) == NULL)
    return NULL;
  while ((e = readdir (d)) != NULL)
    {
      char *p;
      if (!labo_lab_name_valid (e->d_name))
        continue;
      p = labo_logs_kept (e->d_name, name);
      if (p == NULL)
        p = labo_logs_kept (e->d_name, daemon);
      if (p && found++ == 0)
        path = p;
      else
        free (p);
    }
  closedir (d);
  if (found > 1)
    {
      fprintf (stderr, "labo: %zu labs kept a log of %s: name one with -l LAB\n", found, name);
      free (path);
      return NULL;
    }
  return path;
}

int
cmd_logs (int argc, char **argv)
{
  static const struct option opts[] = { { "lab", required_argument, NULL, 'l' },
                                        { "follow", no_argument, NULL, 'f' },
                                        { NULL, 0, NULL, 0 } };
  const char *lab_opt = NULL;
  cleanup_free char *lab_name = NULL;
  cleanup_free char *path = NULL;
  labo_error_t err = NULL;
  struct labo_lab *lab;
  bool is_node = false, follow = false, json = false;
  int c, r;

  while ((c = cli_getopt (argc, argv, "l:f", opts)) != -1)
    if (c == 'l')
      lab_opt = optarg;
    else if (c == 'f')
      follow = true;
    else
      return EXIT_INPUT;
  if (optind + 1 != argc)
    return cli_usage ("logs takes one host or node: labo logs [-f] HOST|NODE", NULL);
  r = cli_find_target_quiet (lab_opt, argv[optind], &lab_name, &is_node);
  if (r == EXIT_NOTFOUND)
    {
      /* a failed up's rollback removed the lab: what it kept */
      cleanup_free char *kept = kept_log (lab_opt, argv[optind]);
      if (kept)
        return show_log (kept, false, false);
    }
  if (r != EXIT_OK && (r = cli_find_target (lab_opt, argv[optind], &lab_name, &is_node)) != EXIT_OK)
    return r;
  lab = cli_state_lab (lab_name);
  if (lab == NULL)
    return EXIT_NOTFOUND;
  if (is_node)
    {
      path = labo_runtime_of (lab)->node_log_path (lab, (size_t) labo_lab_find_node (lab, argv[optind]), &json,
                                 &err);
      if (path == NULL)
        {
          labo_lab_free (lab);
          return cli_fail (&err, EXIT_NOTFOUND);
        }
    }
  else
    {
      size_t h = (size_t) labo_lab_find_host (lab, argv[optind]);
      struct labo_daemon_paths p;
      if (lab->hosts[h].docker == LABO_DOCKER_NONE || !labo_runtime_of (lab)->daemons)
        {
          fprintf (stderr, "labo: host %s runs no Docker daemon%s%s%s; `labo logs NODE` shows a "
                           "node's log\n", lab->hosts[h].name,
                   labo_runtime_of (lab)->daemons ? "" : " (the lab uses the ",
                   labo_runtime_of (lab)->daemons ? "" : labo_runtime_of (lab)->name,
                   labo_runtime_of (lab)->daemons ? "" : " runtime)");
          labo_lab_free (lab);
          return EXIT_NOTFOUND;
        }
      labo_daemon_paths (lab->name, h, lab->hosts[h].name, &p);
      path = xstrdup (p.log);
      labo_daemon_paths_free (&p);
    }
  labo_lab_free (lab);
  return show_log (path, json, follow);
}

int
cmd_restart (int argc, char **argv)
{
  static const struct option opts[]
      = { { "lab", required_argument, NULL, 'l' }, { NULL, 0, NULL, 0 } };
  const char *lab_opt = NULL;
  cleanup_free char *lab_name = NULL;
  labo_error_t err = NULL;
  json_t *req, *reply = NULL;
  bool is_node = false;
  int c, r;

  while ((c = cli_getopt (argc, argv, "l:", opts)) != -1)
    if (c == 'l')
      lab_opt = optarg;
    else
      return EXIT_INPUT;
  if (optind + 1 != argc)
    return cli_usage ("restart takes one node or host: labo restart NODE|HOST", NULL);
  if (labo_caps_require ("restart", &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  if ((r = cli_find_target (lab_opt, argv[optind], &lab_name, &is_node)) != EXIT_OK)
    return r;
  if (labo_supervisor_alive (lab_name, NULL) <= 0)
    {
      fprintf (stderr, "labo: lab %s has no supervisor running: `labo up` of its lab file "
                       "starts one\n", lab_name);
      return EXIT_FAIL;
    }
  req = json_pack ("{s:s, s:s}", "cmd", "restart", "name", argv[optind]);
  r = labo_control_call (lab_name, req, LABO_CONTROL_QUICK_MS, &reply, &err);
  json_decref (req);
  json_decref (reply);
  if (r < 0)
    return cli_fail (&err, EXIT_FAIL);
  printf ("labo: %s is restarting (`labo events %s`)\n", argv[optind], lab_name);
  return EXIT_OK;
}
