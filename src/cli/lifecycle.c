/* `labo up` and `labo down`. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "labo/util/caps.h"
#include "labo/super/control.h"
#include "labo/docker/daemon.h"
#include "labo/runtime/docker_up.h"
#include "labo/engine/deploy.h"
#include "labo/engine/engine.h"
#include "labo/util/fs.h"
#include "labo/model/copy.h"
#include "labo/model/names.h"
#include "labo/model/state.h"
#include "labo/super/supervisor.h"
#include "labo/util/util.h"
#include "labo/zk/zkdata.h"

/* The runtime a fresh `up` uses: --runtime, else the lab file's, else
 * docker where dockerd is installed, else process. */
static enum labo_runtime
choose_runtime (const struct labo_lab *lab, enum labo_runtime asked)
{
  if (asked != LABO_RUNTIME_AUTO)
    return asked;
  if (lab->runtime != LABO_RUNTIME_AUTO)
    return lab->runtime;
  return labo_daemon_available () ? LABO_RUNTIME_DOCKER : LABO_RUNTIME_PROCESS;
}

/* In the process that will supervise: its output goes to the lab's
 * supervisor.log and it leaves the caller's session, so that closing the
 * terminal, or a caller waiting for `up`'s output to end, does not touch
 * it. */
static void
detach (const char *lab)
{
  cleanup_free char *log = labo_control_path (lab, LABO_SUPERVISOR_LOG);
  int fd = open (log, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  fflush (NULL);
  /* from here on it outlives the `labo up` that waits for it */
  prctl (PR_SET_PDEATHSIG, 0);
  if (fd >= 0)
    {
      dup2 (fd, 1);
      dup2 (fd, 2);
      close (fd);
    }
  if (null >= 0)
    {
      dup2 (null, 0);
      close (null);
    }
  /* nor does it hold what the caller had open: a lock of flock(1)'s, a
   * pipe that someone reads to its end */
  labo_fds_inherited_close ();
  setsid ();
  if (chdir ("/") < 0)
    {
      /* nothing depends on the working directory */
    }
}

/* Runs the supervisor in this process (after detaching, unless in the
 * foreground); `ready` is told once it listens. */
static int
supervise (struct labo_lab *lab, bool foreground, bool adopt, int ready)
{
  struct labo_supervisor_opts so = { .foreground = foreground, .adopt = adopt, .ready_fd = ready };
  labo_error_t err = NULL;

  if (!foreground)
    detach (lab->name);
  if (labo_supervise (lab, lab->runtime, &so, &err) < 0)
    return cli_fail (&err, EXIT_FAIL);
  return EXIT_OK;
}

/* Forks; the child runs fn and writes its first result (an exit code
 * byte) to the pipe, the parent waits for that byte and returns it. The
 * child carries on (as the supervisor) after writing it. */
static int
in_child (int (*fn) (void *data, int ready), void *data, pid_t *child)
{
  int p[2];
  unsigned char code;
  ssize_t n;
  int status;
  pid_t parent = getpid ();

  if (pipe2 (p, O_CLOEXEC) < 0)
    {
      perror ("labo: pipe");
      return EXIT_FAIL;
    }
  fflush (NULL);
  *child = fork ();
  if (*child < 0)
    {
      perror ("labo: fork");
      return EXIT_FAIL;
    }
  if (*child == 0)
    {
      /* Until it detaches, the child is `labo up` itself: killing the
       * process the user started (kill -9 included) kills the build, which
       * `labo down` then removes, as it always could. */
      if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid () != parent)
        _exit (EXIT_FAIL);
      close (p[0]);
      exit (fn (data, p[1]));
    }
  close (p[1]);
  while ((n = read (p[0], &code, 1)) < 0 && errno == EINTR)
    ;
  close (p[0]);
  if (n == 1)
    return code;
  /* it ended without a word: say how */
  if (waitpid (*child, &status, 0) == *child)
    {
      if (WIFSIGNALED (status))
        fprintf (stderr, "labo: the lab's process was killed by signal %d\n", WTERMSIG (status));
      return WIFEXITED (status) && WEXITSTATUS (status) ? WEXITSTATUS (status) : EXIT_FAIL;
    }
  return EXIT_FAIL;
}

struct up_job
{
  struct labo_lab *lab;
  const char *text;
  size_t len;
  struct labo_up_opts o;
  bool foreground;
  double t0;
  struct labo_state *held; /* the lab's lock, held by the parent for the adopter's start */
};

/* up --json and reset --json: {"lab", "ok", "runtime", "ms", "stages":
 * [{stage, ms, detail}], "supervisor": PID or null, "error": MESSAGE (when
 * not ok)} (docs/json.md). */
static void
result_json (const struct labo_lab *lab, double t0, json_t *stages, labo_error_t err,
             pid_t supervisor)
{
  json_t *o = json_pack ("{s:s, s:b, s:s, s:f, s:O}", "lab", lab->name, "ok", err == NULL,
                         "runtime", labo_runtime_name (lab->runtime), "ms",
                         (labo_now () - t0) * 1e3, "stages", stages);

  json_object_set_new (o, "supervisor", supervisor > 0 ? json_integer (supervisor) : json_null ());
  if (err)
    json_object_set_new (o, "error", json_string (err->msg));
  json_dumpf (o, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  putchar ('\n');
  fflush (stdout);
  json_decref (o);
}

static void
up_json (const struct up_job *j, labo_error_t err, pid_t supervisor)
{
  if (j->o.stages)
    result_json (j->lab, j->t0, j->o.stages, err, supervisor);
}

static void
tell (int ready, int code)
{
  unsigned char c = (unsigned char) code;
  /* all of the output before the word that ends `labo up` */
  fflush (NULL);
  if (ready >= 0 && write (ready, &c, 1) < 0)
    {
      /* the parent is gone: nobody to tell */
    }
}

/* The child of a fresh `up`: the lab, then its supervisor. */
static int
up_then_supervise (void *data, int ready)
{
  struct up_job *j = data;
  labo_error_t err = NULL;

  if (labo_up (j->lab, j->text, j->len, &j->o, &err) < 0)
    {
      up_json (j, err, 0);
      int code = cli_fail (&err, EXIT_FAIL);
      tell (ready, code);
      return code;
    }
  if (!labo_supervisor_needed (j->lab, j->lab->runtime))
    {
      up_json (j, NULL, 0);
      tell (ready, EXIT_OK);
      return EXIT_OK;
    }
  up_json (j, NULL, getpid ());
  if (!j->o.quiet && !j->o.stages)
    printf ("labo: supervisor %d keeps it running (`labo events`; its log: %s/%s/%s)\n",
            (int) getpid (), labo_run_dir (), j->lab->name, LABO_SUPERVISOR_LOG);
  return supervise (j->lab, false, false, ready);
}

static int
adopt (void *data, int ready)
{
  struct up_job *j = data;
  /* the parent's lock: its copies here closed, or it would outlive the
   * parent's (a lock belongs to the open file, not to one descriptor) */
  if (j->held)
    labo_state_close (j->held);
  return supervise (j->lab, false, true, ready);
}

/* `up` of a lab that is up: the same file re-attaches a supervisor if its
 * own died (nothing is made again), another file is an error. */
static int
up_again (struct labo_lab *lab, const char *text, size_t len, enum labo_runtime asked,
          enum labo_stage until)
{
  size_t saved_len = 0;
  cleanup_free char *saved = labo_state_get (lab->name, "lab.yaml", &saved_len);
  struct labo_lab *running = labo_state_load_lab (lab->name);
  struct up_job j = { .lab = running };
  bool died = false;
  pid_t pid, child = 0;
  int code;

  if (running == NULL)
    {
      fprintf (stderr, "labo: lab %s is up but its saved lab file cannot be read: `labo down "
                       "%s`, then `labo up`\n", lab->name, lab->name);
      return EXIT_FAIL;
    }
  if (saved == NULL || saved_len != len || memcmp (saved, text, len) != 0)
    {
      fprintf (stderr, "labo: lab %s is up, from another version of this lab file: `labo down "
                       "%s` first to bring this one up\n", lab->name, lab->name);
      labo_lab_free (running);
      return EXIT_FAIL;
    }
  if (asked != LABO_RUNTIME_AUTO && asked != running->runtime)
    {
      fprintf (stderr, "labo: lab %s is up with the %s runtime: `labo down %s` first to use "
                       "the %s runtime\n", lab->name, labo_runtime_name (running->runtime),
               lab->name, labo_runtime_name (asked));
      labo_lab_free (running);
      return EXIT_FAIL;
    }
  if (until != running->until)
    {
      fprintf (stderr, "labo: lab %s is up to stage %s: `labo down %s` first to bring it up "
                       "to stage %s\n", lab->name, labo_stage_name (running->until), lab->name,
               labo_stage_name (until));
      labo_lab_free (running);
      return EXIT_FAIL;
    }
  pid = labo_supervisor_alive (lab->name, &died);
  if (pid > 0 || !labo_supervisor_needed (running, running->runtime))
    {
      if (pid > 0)
        printf ("labo: lab %s is up; its supervisor %d runs (`labo status %s`)\n", lab->name,
                (int) pid, lab->name);
      else
        printf ("labo: lab %s is up (`labo status %s`)\n", lab->name, lab->name);
      labo_lab_free (running);
      return EXIT_OK;
    }
  /* a supervisor that takes over while a reset or down runs would fight
   * it (the reset stopped the old one on purpose): under the lab's lock,
   * held until the new one listens, and refused, naming who has it */
  {
    struct labo_state st;
    labo_error_t err = NULL;
    if (labo_state_open (lab->name, false, &st, &err) < 0)
      {
        labo_state_close (&st);
        labo_lab_free (running);
        return cli_fail (&err, EXIT_FAIL);
      }
    j.held = &st;
    code = in_child (adopt, &j, &child);
    labo_state_close (&st);
  }
  if (code == EXIT_OK)
    printf ("labo: lab %s is up; its supervisor %s, supervisor %d took over what runs "
            "(`labo status %s`, `labo events %s`)\n",
            lab->name, died ? "had died" : "was not running", (int) child, lab->name, lab->name);
  else
    fprintf (stderr, "labo: no supervisor could take over lab %s: see %s/%s/%s\n", lab->name,
             labo_run_dir (), lab->name, LABO_SUPERVISOR_LOG);
  labo_lab_free (running);
  return code;
}

static int
fits_machine (const struct labo_lab *lab, labo_error_t *err)
{
  struct labo_machine m;
  if (labo_machine_read (&m, err) < 0)
    return -1;
  return labo_lab_fits (lab, lab->runtime, &m, err);
}

/* What `up`'s command line says. */
struct up_args
{
  struct labo_up_opts o;
  const char *lab_opt; /* a lab file, or the name of a lab that is up */
  bool as_json, foreground;
  enum labo_runtime asked;
  enum labo_stage until; /* --until */
  const char *name;      /* --name: a copy under this name */
  long copies;           /* --copies N: N copies, NAME-1 ... NAME-N (NAME: --name, or the lab's) */
  long parallel;         /* --parallel: copies brought up at once */
};

static int
up_options (int argc, char **argv, struct up_args *a)
{
  static const struct option opts[] = { { "quiet", no_argument, NULL, 'q' },
                                        { "dry-run", no_argument, NULL, 'n' },
                                        { "foreground", no_argument, NULL, 'f' },
                                        { "runtime", required_argument, NULL, 'r' },
                                        { "lab", required_argument, NULL, 'l' },
                                        { "json", no_argument, NULL, 'j' },
                                        { "until", required_argument, NULL, 'u' },
                                        { "name", required_argument, NULL, 'N' },
                                        { "copies", required_argument, NULL, 'C' },
                                        { "pool", required_argument, NULL, 'P' },
                                        { "parallel", required_argument, NULL, 'p' },
                                        { NULL, 0, NULL, 0 } };
  labo_error_t err = NULL;
  struct labo_prefix pool;
  char *end;
  int c;

  while ((c = cli_getopt (argc, argv, "qnfl:", opts)) != -1)
    switch (c)
      {
      case 'l':
        a->lab_opt = optarg;
        break;
      case 'j':
        a->as_json = true;
        break;
      case 'q':
        a->o.quiet = true;
        break;
      case 'n':
        a->o.dry_run = true;
        break;
      case 'f':
        a->foreground = true;
        break;
      case 'r':
        if (labo_runtime_parse (optarg, &a->asked) < 0)
          return cli_usage ("--runtime takes docker, process or auto, not '%s'", optarg);
        break;
      case 'u':
        if (labo_stage_parse (optarg, &a->until) < 0)
          return cli_usage ("--until takes a stage (network, daemons, swarm, overlay, "
                            "containers or services), not '%s'", optarg);
        if (a->until == LABO_STAGE_SERVICES)
          a->until = LABO_STAGE_ALL; /* the last stage is every stage */
        break;
      case 'N':
        if (labo_lab_name_check (optarg, &err) < 0)
          return cli_fail (&err, EXIT_INPUT);
        a->name = optarg;
        break;
      case 'C':
      case 'p':
        errno = 0;
        *(c == 'C' ? &a->copies : &a->parallel) = strtol (optarg, &end, 10);
        if (errno || *end || end == optarg || *(c == 'C' ? &a->copies : &a->parallel) < 1
            || *(c == 'C' ? &a->copies : &a->parallel) > LABO_COPIES_MAX)
          return cli_usage (c == 'C' ? "--copies takes a number from 1 to 256, not '%s'"
                                     : "--parallel takes a number from 1 to 256, not '%s'",
                            optarg);
        break;
      case 'P':
        /* the pool is read where blocks are taken, in this process and
         * the copies' */
        if (labo_pool_parse (optarg, &pool, &err) < 0)
          return cli_fail (&err, EXIT_INPUT);
        setenv ("LABO_POOL", optarg, 1);
        break;
      default:
        return EXIT_INPUT;
      }
  return cli_lab_arg (a->lab_opt, argc, argv, &a->lab_opt);
}

/* The lab to bring up, and its file's text: the file named, or, for the
 * name of a lab that is up (and no file of that name), that lab as it was
 * brought up (`up -l LAB` starts a new supervisor if its own died). */
static int
up_lab (const char *lab_opt, struct labo_lab **lab, char **text, size_t *len)
{
  if (lab_opt && labo_lab_name_check (lab_opt, NULL) == 0 && access (lab_opt, F_OK) < 0)
    {
      *lab = cli_state_lab (lab_opt);
      *text = labo_state_get (lab_opt, "lab.yaml", len);
      if (*lab == NULL || *text == NULL)
        {
          fprintf (stderr, "labo: lab %s is not up, and there is no file of that name: `labo "
                           "up FILE` names the lab file to bring up\n", lab_opt);
          labo_lab_free (steal_ptr (lab));
          return EXIT_NOTFOUND;
        }
      return EXIT_OK;
    }
  *lab = cli_load_lab (lab_opt, text, len);
  return *lab ? EXIT_OK : EXIT_INPUT;
}

/* The runtime the lab runs with, and what `up` needs to make it (a file
 * checked for the process runtime only never runs under Docker, and up
 * needs its privileges). */
static int
up_runtime (struct labo_lab *lab, const struct up_args *a)
{
  labo_error_t err = NULL;

  if (lab->runtime == LABO_RUNTIME_PROCESS && a->asked == LABO_RUNTIME_DOCKER)
    {
      /* such a file is checked for the process runtime only, which needs
       * no Swarm manager and no Docker on the nodes' hosts */
      fprintf (stderr,
               "labo: %s says 'runtime: process', and is checked for that runtime only: "
               "to run it under Docker, set 'runtime: docker' (or remove the line)\n",
               lab->file);
      return EXIT_INPUT;
    }
  lab->runtime = choose_runtime (lab, a->asked);
  for (size_t i = 0; i < lab->n_nodes; i++)
    if (lab->runtime == LABO_RUNTIME_PROCESS && lab->nodes[i].start == LABO_START_BY_HAND)
      {
        fprintf (stderr, "labo: node %s is 'start: by-hand', which needs the docker runtime "
                         "(the attendee types into its container), not the process runtime\n",
                 lab->nodes[i].name);
        return EXIT_INPUT;
      }
  lab->until = a->until;
  if (!a->o.dry_run && labo_caps_require ("up", &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  return EXIT_OK;
}

/* `up --foreground`: in this very process, the lab, then the supervisor,
 * attached. */
static int
up_foreground (struct up_job *j)
{
  labo_error_t err = NULL;

  if (labo_up (j->lab, j->text, j->len, &j->o, &err) < 0)
    {
      up_json (j, err, 0);
      return cli_fail (&err, EXIT_FAIL);
    }
  if (labo_supervisor_needed (j->lab, j->lab->runtime))
    {
      up_json (j, NULL, getpid ());
      return supervise (j->lab, true, false, -1);
    }
  up_json (j, NULL, 0);
  return EXIT_OK;
}

/* The lab brought up (or re-attached, or planned with --dry-run) once it
 * is known to fit the machine. */
static int
up_run (struct labo_lab *lab, const struct up_args *a, const char *text, size_t len, double t0)
{
  cleanup_free char *state = labo_state_meta (lab->name, "state");
  labo_error_t err = NULL;
  struct up_job j = { lab, text, len, a->o, a->foreground, t0, NULL };
  pid_t child = 0;

  if (!a->o.dry_run && state && strcmp (state, "up") == 0)
    return up_again (lab, text, len, a->asked, a->until);
  /* before anything is made: a lab the machine cannot hold would fail
   * halfway, or take the machine down with it */
  if (fits_machine (lab, &err) < 0)
    return cli_fail (&err, EXIT_FAIL);
  if (a->o.dry_run)
    return labo_up (lab, text, len, &a->o, &err) < 0 ? cli_fail (&err, EXIT_FAIL) : EXIT_OK;
  if (a->foreground)
    return up_foreground (&j);
  return in_child (up_then_supervise, &j, &child);
}

/* One copy being brought up by `up --copies`. */
struct copy_kid
{
  pid_t pid;
  int out; /* a memfd: the copy's progress, shown if it fails */
  char name[LABO_NAME_MAX + 16];
  double t0;
};

static void
copy_report (const struct copy_kid *k, int status)
{
  bool ok = WIFEXITED (status) && WEXITSTATUS (status) == EXIT_OK;
  double secs = labo_now () - k->t0;

  if (ok)
    {
      struct labo_lab *lab = labo_state_load_lab (k->name);
      cleanup_free char *where = xstrdup ("");
      char p[20];
      for (size_t s = 0; lab && s < lab->n_segments; s++)
        if (lab->segments[s].mapped)
          {
            char *next = xasprintf ("%s%s %s (%s)", where, *where ? "," : "; the machine reaches it on",
                                    labo_prefix_format (&lab->segments[s].outside, p),
                                    lab->segments[s].name);
            free (where);
            where = next;
          }
      labo_lab_free (lab);
      printf ("labo: %s is up in %.1f s%s\n", k->name, secs, where);
    }
  else
    {
      char buf[4096];
      ssize_t n;
      off_t off = 0;
      fprintf (stderr, "labo: %s failed after %.1f s:\n", k->name, secs);
      /* what it said, as it said it */
      fflush (stderr);
      while ((n = pread (k->out, buf, sizeof buf, off)) > 0)
        {
          if (write (2, buf, (size_t) n) < 0)
            break;
          off += n;
        }
    }
  fflush (NULL);
}

/* `up --copies N`: NAME-1 ... NAME-N, each a whole `up` of its own (its
 * supervisor included) in a child, `parallel` at a time (default: twice
 * the CPUs).
 * A copy's progress is kept and shown only if it fails; each copy that
 * comes up gets one line. The copies that came up stay up when another
 * fails: they are whole labs, and `labo down --all` removes them. */
static int
up_copies (struct labo_lab *lab, const struct up_args *a, const char *text, size_t len)
{
  const char *base = a->name ? a->name : lab->name;
  long cpus = sysconf (_SC_NPROCESSORS_ONLN);
  /* Default: twice the CPUs. Bringing up a copy is CPU-bound (its daemons'
   * and JVMs' starts), and too many at once thrash: 15 Docker copies of the
   * seed on 2 cores took 79 s all at once, 46 s 4 at a time, 51 s 2 at a
   * time (docs/benchmarks.md) */
  size_t n = (size_t) a->copies,
         par = a->parallel > 0 ? (size_t) a->parallel : (size_t) (cpus > 1 ? 2 * cpus : 2);
  cleanup_free struct copy_kid *kids = xcalloc (n, sizeof (*kids));
  size_t next = 0, running = 0, failed = 0;
  double t0 = labo_now ();
  labo_error_t err = NULL;

  for (size_t i = 0; i < n; i++)
    {
      snprintf (kids[i].name, sizeof kids[i].name, "%s-%zu", base, i + 1);
      kids[i].out = -1;
      if (labo_lab_name_check (kids[i].name, &err) < 0)
        return cli_fail (&err, EXIT_INPUT);
    }
  if (a->o.dry_run)
    {
      printf ("labo: %zu copies of %s: %s ... %s; the first:\n", n, lab->name, kids[0].name,
              kids[n - 1].name);
      if (labo_lab_copy (lab, kids[0].name, &err) < 0)
        return cli_fail (&err, EXIT_INPUT);
      return labo_up (lab, text, len, &a->o, &err) < 0 ? cli_fail (&err, EXIT_FAIL) : EXIT_OK;
    }
  if (par > n)
    par = n;
  if (!a->o.quiet)
    printf ("labo: up %zu copies of %s (%s ... %s), %zu at a time\n", n, lab->name,
            kids[0].name, kids[n - 1].name, par);
  fflush (NULL);
  while (next < n || running > 0)
    {
      int status;
      pid_t pid;
      while (running < par && next < n)
        {
          struct copy_kid *k = &kids[next++];
          k->out = memfd_create ("labo-copy", MFD_CLOEXEC);
          if (k->out < 0)
            {
              perror ("labo: memfd_create");
              return EXIT_FAIL;
            }
          k->t0 = labo_now ();
          k->pid = fork ();
          if (k->pid < 0)
            {
              perror ("labo: fork");
              return EXIT_FAIL;
            }
          if (k->pid == 0)
            {
              struct up_args ca = *a;
              int r;
              dup2 (k->out, 1);
              dup2 (k->out, 2);
              ca.copies = 0;
              ca.o.pool_hint = (size_t) (k - kids) + 1;
              r = labo_lab_copy (lab, k->name, &err) < 0
                      ? cli_fail (&err, EXIT_INPUT)
                      : up_run (lab, &ca, text, len, k->t0);
              fflush (NULL);
              _exit (r);
            }
          running++;
        }
      while ((pid = waitpid (-1, &status, 0)) < 0 && errno == EINTR)
        ;
      if (pid < 0)
        break;
      for (size_t i = 0; i < n; i++)
        if (kids[i].pid == pid)
          {
            running--;
            if (!WIFEXITED (status) || WEXITSTATUS (status) != EXIT_OK)
              failed++;
            if (!a->o.quiet || failed)
              copy_report (&kids[i], status);
            close (steal_fd (&kids[i].out));
          }
    }
  if (failed)
    fprintf (stderr, "labo: %zu of %zu copies of %s failed (%.1f s); the others are up: "
                     "`labo ls`, `labo down --all`\n", failed, n, lab->name, labo_now () - t0);
  else if (!a->o.quiet)
    printf ("labo: %zu copies of %s up in %.1f s; `labo ls`\n", n, lab->name, labo_now () - t0);
  return failed ? EXIT_FAIL : EXIT_OK;
}

int
cmd_up (int argc, char **argv)
{
  struct up_args a = { .o = { false, false, NULL }, .asked = LABO_RUNTIME_AUTO };
  double t0 = labo_now ();
  cleanup_free char *text = NULL;
  struct labo_lab *lab = NULL;
  labo_error_t err = NULL;
  size_t len;
  int r;

  if ((r = up_options (argc, argv, &a)) != EXIT_OK
      || (r = up_lab (a.lab_opt, &lab, &text, &len)) != EXIT_OK)
    return r;
  if (a.as_json && !a.o.dry_run)
    a.o.stages = json_array ();
  cli_lab_warnings (lab);
  if (a.copies && a.as_json)
    r = cli_usage ("--json is for one lab, not --copies (%s): `labo ls --json` lists them",
                   "use it");
  else if (a.copies && a.foreground)
    r = cli_usage ("--foreground supervises one lab, not --copies (%s)", "drop one");
  else if (a.parallel && !a.copies)
    r = cli_usage ("--parallel is for --copies (%s)", "add it");
  else if (a.name && !a.copies && labo_lab_copy (lab, a.name, &err) < 0)
    r = cli_fail (&err, EXIT_INPUT);
  else
    r = up_runtime (lab, &a);
  if (r == EXIT_OK)
    r = a.copies ? up_copies (lab, &a, text, len) : up_run (lab, &a, text, len, t0);
  json_decref (a.o.stages);
  labo_lab_free (lab);
  return r;
}

/* `down --all`: every lab of the run dir, side by side (each in a child
 * of its own: a lab's down waits on its processes' deaths, which the
 * others need not wait for). One line a lab; exit 1 if any failed. */
static int
down_all (bool quiet, bool keep_data)
{
  char **labs = NULL;
  size_t n = 0, failed = 0;
  labo_error_t err = NULL;
  cleanup_free pid_t *pids = NULL;
  double t0 = labo_now ();

  if (labo_state_list (&labs, &n, &err) < 0)
    return cli_fail (&err, EXIT_FAIL);
  if (!quiet)
    {
      /* the labs of this machine; one on a real Swarm is taken down by
       * name only, never as a side effect */
      char **dep = NULL;
      size_t nd = 0;
      labo_error_t e = NULL;
      if (labo_deployed_list (&dep, &nd, &e) == 0)
        for (size_t i = 0; i < nd; i++)
          {
            json_t *rec = labo_deployed_load (dep[i]);
            if (rec)
              printf ("labo: lab %s stays deployed on the Swarm at %s (`labo down %s` removes "
                      "it)\n", dep[i], json_string_value (json_object_get (rec, "url")), dep[i]);
            json_decref (rec);
          }
      labo_error_release (&e);
      labo_strv_free (dep, nd);
    }
  if (n == 0)
    {
      if (!quiet)
        printf ("labo: no lab is up; nothing to do\n");
      labo_strv_free (labs, n);
      return EXIT_OK;
    }
  if (labo_caps_require ("down", &err) < 0)
    {
      labo_strv_free (labs, n);
      return cli_fail (&err, EXIT_PRIV);
    }
  pids = xcalloc (n, sizeof (*pids));
  fflush (NULL);
  for (size_t i = 0; i < n; i++)
    {
      pids[i] = fork ();
      if (pids[i] == 0)
        {
          struct labo_down_opts o = { true, keep_data, NULL, false };
          double t1 = labo_now ();
          int r = labo_down (labs[i], &o, &err);
          if (r < 0)
            _exit (cli_fail (&err, EXIT_FAIL));
          if (!quiet)
            printf (r ? "labo: lab %s is down (%.1f s)\n" : "labo: lab %s was not up\n", labs[i],
                    labo_now () - t1);
          fflush (NULL);
          _exit (EXIT_OK);
        }
      if (pids[i] < 0)
        {
          perror ("labo: fork");
          failed++;
        }
    }
  for (size_t i = 0; i < n; i++)
    {
      int status = 0;
      if (pids[i] <= 0)
        continue;
      while (waitpid (pids[i], &status, 0) < 0 && errno == EINTR)
        ;
      if (!WIFEXITED (status) || WEXITSTATUS (status) != EXIT_OK)
        failed++;
    }
  if (!quiet || failed)
    printf ("labo: %zu lab%s down in %.1f s%s\n", n - failed, n - failed == 1 ? "" : "s",
            labo_now () - t0, failed ? "; some failed (above): run `labo down --all` again" : "");
  labo_strv_free (labs, n);
  return failed ? EXIT_FAIL : EXIT_OK;
}

int
cmd_down (int argc, char **argv)
{
  static const struct option opts[] = { { "quiet", no_argument, NULL, 'q' },
                                        { "keep-data", no_argument, NULL, 'k' },
                                        { "lab", required_argument, NULL, 'l' },
                                        { "json", no_argument, NULL, 'j' },
                                        { "all", no_argument, NULL, 'a' },
                                        { "forget", no_argument, NULL, 'F' },
                                        { NULL, 0, NULL, 0 } };
  cleanup_free char *name = NULL;
  const char *lab_opt = NULL;
  labo_error_t err = NULL;
  bool quiet = false, keep_data = false, as_json = false, all = false, forget = false;
  struct labo_down_opts dopts;
  double t0 = labo_now ();
  int c, r;

  while ((c = cli_getopt (argc, argv, "qkl:", opts)) != -1)
    if (c == 'q')
      quiet = true;
    else if (c == 'k')
      keep_data = true;
    else if (c == 'l')
      lab_opt = optarg;
    else if (c == 'j')
      as_json = true;
    else if (c == 'a')
      all = true;
    else if (c == 'F')
      forget = true;
    else
      return EXIT_INPUT;
  if (all && (lab_opt || optind < argc || as_json))
    return cli_usage ("down --all takes no lab and no --json (%s)", "`labo ls --json` lists them");
  if (all)
    return down_all (quiet, keep_data);
  if ((r = cli_lab_arg (lab_opt, argc, argv, &lab_opt)) != EXIT_OK)
    return r;
  {
    json_t *rec = cli_deployed (lab_opt);
    if (rec)
      {
        r = cli_deployed_down (rec, quiet, as_json, forget);
        json_decref (rec);
        return r;
      }
    if (forget)
      return cli_usage ("--forget is for a lab deployed on a Swarm (%s)", "`labo ls` lists them");
  }
  if ((r = cli_resolve_lab (lab_opt, true, &name)) != EXIT_OK)
    return r;
  if (name == NULL)
    {
      if (as_json)
        puts ("{\n  \"lab\": null,\n  \"ok\": true,\n  \"removed\": false\n}");
      else
        printf ("labo: no lab is up; nothing to do\n");
      return EXIT_OK;
    }
  if (labo_caps_require ("down", &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  if (!quiet && !as_json)
    printf ("labo: down %s\n", name);
  dopts = (struct labo_down_opts) { quiet, keep_data, as_json ? json_array () : NULL, false };
  r = labo_down (name, &dopts, &err);
  if (as_json)
    {
      /* {"lab", "ok", "removed", "kept_data", "ms", "stages", "error"} */
      json_t *o = json_pack ("{s:s, s:b, s:b, s:b, s:f, s:o}", "lab", name, "ok", r >= 0,
                             "removed", r > 0, "kept_data",
                             keep_data && labo_lab_has_kept_data (name), "ms",
                             (labo_now () - t0) * 1e3, "stages", dopts.stages);
      if (r < 0)
        json_object_set_new (o, "error", json_string (err->msg));
      json_dumpf (o, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
      putchar ('\n');
      json_decref (o);
      quiet = true;
    }
  if (r < 0)
    return cli_fail (&err, EXIT_FAIL);
  if (!quiet)
    printf (r ? "labo: lab %s is down\n" : "labo: lab %s was not up; nothing to do\n", name);
  if (!quiet && keep_data && labo_lab_has_kept_data (name))
    printf ("labo: the nodes' data is kept in /var/lib/labo/%s/_data: `labo up` of %s resumes "
            "it, `labo down %s` removes it\n", name, name, name);
  return EXIT_OK;
}

/* ---- reset ---- */

struct reset_job
{
  struct labo_lab *lab;
  struct labo_reset_opts o;
  bool as_json;
  double t0;
};

/* reset --json: as up's. */
static void
reset_json (const struct reset_job *j, labo_error_t err, pid_t supervisor)
{
  if (j->as_json)
    result_json (j->lab, j->t0, j->o.stages, err, supervisor);
}

/* The child of `reset`: the reset, then the lab's supervisor, as up's
 * child is (the nodes it starts are its children, their exit statuses its
 * to read). After a failure past the old supervisor's stop, the lab is
 * supervised all the same, as it is. */
static int
reset_then_supervise (void *data, int ready)
{
  struct reset_job *j = data;
  struct labo_supervisor_opts so = { .adopt = true, .ready_fd = ready };
  labo_error_t err = NULL, serr = NULL;
  json_t *facts = NULL;
  int code = EXIT_OK;
  bool supervised = labo_supervisor_needed (j->lab, j->lab->runtime);

  if (labo_reset (j->lab, &j->o, &facts, &err) < 0)
    {
      reset_json (j, err, 0);
      code = cli_fail (&err, err && err->status == ENOENT ? EXIT_NOTFOUND : EXIT_FAIL);
    }
  else
    {
      reset_json (j, NULL, supervised ? getpid () : 0);
      if (!j->o.quiet)
        printf ("labo: lab %s reset in %.1f s%s\n", j->lab->name, labo_now () - j->t0,
                supervised ? "; its supervisor is this reset's process (`labo events`)" : "");
    }
  if (facts == NULL || !supervised)
    {
      json_decref (facts);
      tell (ready, code);
      return code;
    }
  if (code != EXIT_OK)
    {
      /* the word that ends `labo reset` is the failure; the lab is
       * supervised as it is from here on */
      tell (ready, code);
      so.ready_fd = -1;
    }
  so.reset = facts;
  detach (j->lab->name);
  if (labo_supervise (j->lab, j->lab->runtime, &so, &serr) < 0)
    {
      code = cli_fail (&serr, EXIT_FAIL);
      if (so.ready_fd >= 0)
        tell (ready, code);
    }
  json_decref (facts);
  return code;
}

int
cmd_reset (int argc, char **argv)
{
  static const struct option opts[] = { { "quiet", no_argument, NULL, 'q' },
                                        { "lab", required_argument, NULL, 'l' },
                                        { "json", no_argument, NULL, 'j' },
                                        { NULL, 0, NULL, 0 } };
  struct reset_job j = { .t0 = labo_now () };
  const char *lab_opt = NULL;
  labo_error_t err = NULL;
  pid_t child = 0;
  int c, r;

  while ((c = cli_getopt (argc, argv, "ql:", opts)) != -1)
    if (c == 'q')
      j.o.quiet = true;
    else if (c == 'l')
      lab_opt = optarg;
    else if (c == 'j')
      j.as_json = true;
    else
      return EXIT_INPUT;
  if ((r = cli_lab_arg (lab_opt, argc, argv, &lab_opt)) != EXIT_OK)
    return r;
  if (labo_caps_require ("reset", &err) < 0)
    return cli_fail (&err, EXIT_PRIV);
  j.lab = cli_running_lab (lab_opt, &r);
  if (j.lab == NULL)
    return r;
  if (j.as_json)
    {
      j.o.quiet = true;
      j.o.stages = json_array ();
    }
  r = in_child (reset_then_supervise, &j, &child);
  json_decref (j.o.stages);
  labo_lab_free (j.lab);
  return r;
}
