/* `labo web --allow-actions`: kill, partition, heal and reset, run as
 * labo's own verbs. The argv is built from names found in the lab's model
 * (a request's text only selects which), the binary is this very one
 * (/proc/self/exe), and no shell runs: a request cannot smuggle an option
 * or a word. */
#include "web-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "labo/model/state.h"
#include "labo/util/util.h"

/* A verb that takes longer is killed (reset restarts nodes: seconds). */
#define ACTION_TIMEOUT_S 60
#define OUTPUT_MAX 4096

extern char **environ;

bool
web_token_ok (const struct web *w, const char *given)
{
  size_t n = strlen (w->token), gl;
  unsigned char diff;

  if (given == NULL || n == 0)
    return false;
  /* every byte of the token is compared whatever the first difference:
   * the time says nothing of how much of a guess was right (the token's
   * length is no secret) */
  gl = strnlen (given, n + 1);
  diff = gl != n;
  for (size_t i = 0; i < n; i++)
    diff |= (unsigned char) ((i < gl ? (unsigned char) given[i] : 0) ^ (unsigned char) w->token[i]);
  return diff == 0;
}

static char *
reply (bool ok, const char *output)
{
  json_t *o = json_pack ("{s:b, s:s}", "ok", ok, "output", output);
  char *t = json_dumps (o, JSON_COMPACT);
  json_decref (o);
  return t;
}

/* Runs argv (labo's own binary), its stdout and stderr gathered. */
static int
run_self (char *const argv[], char **output, int *status)
{
  sigset_t none;
  int p[2], rc;
  pid_t pid;
  size_t len = 0;
  double deadline = labo_now () + ACTION_TIMEOUT_S;
  char *out = xmalloc (OUTPUT_MAX + 1);

  *output = out;
  out[0] = '\0';
  if (pipe2 (p, O_CLOEXEC) < 0)
    return -1;
  /* fork and exec labo itself (the one program labo ever re-executes, as
   * the link emulator does): between them, only async-signal-safe calls,
   * since the server has threads */
  pid = fork ();
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      if (null < 0 || dup2 (null, 0) < 0 || dup2 (p[1], 1) < 0 || dup2 (p[1], 2) < 0)
        _exit (127);
      /* the server's threads block SIGINT and SIGTERM and ignore SIGPIPE:
       * the verb gets them back */
      signal (SIGPIPE, SIG_DFL);
      signal (SIGINT, SIG_DFL);
      signal (SIGTERM, SIG_DFL);
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      execv ("/proc/self/exe", argv);
      _exit (127);
    }
  rc = pid < 0 ? errno : 0;
  close (p[1]);
  if (rc != 0)
    {
      close (p[0]);
      errno = rc;
      return -1;
    }
  for (;;)
    {
      struct pollfd pf = { p[0], POLLIN, 0 };
      char buf[1024];
      ssize_t n;
      int left = (int) ((deadline - labo_now ()) * 1000);
      if (left <= 0)
        {
          kill (pid, SIGKILL);
          break;
        }
      if (poll (&pf, 1, left) < 0 && errno != EINTR)
        break;
      n = read (p[0], buf, sizeof (buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      if (len < OUTPUT_MAX)
        {
          size_t k = (size_t) n < OUTPUT_MAX - len ? (size_t) n : OUTPUT_MAX - len;
          memcpy (out + len, buf, k);
          len += k;
          out[len] = '\0';
        }
    }
  close (p[0]);
  while (waitpid (pid, status, 0) < 0 && errno == EINTR)
    ;
  return 0;
}

int
web_action (struct web *w, const char *lab_name, const char *verb, const char *a, const char *b,
            char **body)
{
  cleanup_lab struct labo_lab *lab = labo_state_load_lab (lab_name);
  const char *argv[8] = { "labo" };
  size_t n = 1;
  long ia = -1, ib = -1;
  cleanup_free char *output = NULL;
  int status = 0;

  (void) w;
  if (lab == NULL)
    {
      *body = reply (false, "no such lab");
      return 404;
    }
  if (strcmp (verb, "kill") == 0)
    {
      if (a == NULL || (ia = labo_lab_find_node (lab, a)) < 0)
        {
          *body = reply (false, "kill takes a node of the lab (?a=NODE)");
          return 400;
        }
      argv[n++] = "kill";
      argv[n++] = "-l";
      argv[n++] = lab->name;
      argv[n++] = lab->nodes[ia].name;
    }
  else if (strcmp (verb, "partition") == 0 || strcmp (verb, "heal") == 0)
    {
      bool part = verb[0] == 'p';
      if ((a && (ia = labo_lab_find_host (lab, a)) < 0) || (b && (ib = labo_lab_find_host (lab, b)) < 0)
          || (part && a == NULL) || (!part && (a == NULL) != (b == NULL)) || (ia >= 0 && ia == ib))
        {
          *body = reply (false, part ? "partition takes a host (?a=HOST: isolated) or two "
                                       "(?a=HOST&b=HOST) of the lab"
                                     : "heal takes two hosts of the lab (?a=HOST&b=HOST), or none");
          return 400;
        }
      argv[n++] = part ? "partition" : "heal";
      argv[n++] = "-l";
      argv[n++] = lab->name;
      if (part && ib < 0)
        argv[n++] = "--isolate";
      if (ia >= 0)
        argv[n++] = lab->hosts[ia].name;
      if (ib >= 0)
        argv[n++] = lab->hosts[ib].name;
    }
  else if (strcmp (verb, "reset") == 0)
    {
      argv[n++] = "reset";
      argv[n++] = lab->name;
    }
  else
    {
      *body = reply (false, "no such action: kill, partition, heal or reset");
      return 404;
    }
  argv[n] = NULL;
  if (run_self ((char *const *) argv, &output, &status) < 0)
    {
      cleanup_free char *m = xasprintf ("running labo %s: %s", verb, strerror (errno));
      *body = reply (false, m);
      return 500;
    }
  *body = reply (WIFEXITED (status) && WEXITSTATUS (status) == 0, output);
  return WIFEXITED (status) && WEXITSTATUS (status) == 0 ? 200 : 422;
}
