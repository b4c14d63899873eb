/* bench/zkwait, the benchmark's stopwatch (plain sockets, one short
 * connection per question, every 5 ms):
 *   zkwait serving TIMEOUT ADDR:PORT...   until the ensemble serves (one
 *                                         leader, every other server a
 *                                         follower); prints the seconds
 *   zkwait kill PID TIMEOUT ADDR:PORT...  SIGKILLs PID, then waits until
 *                                         the ensemble serves again, after
 *                                         having seen it not so; prints the
 *                                         wall-clock time of the kill (taken
 *                                         at the system call) and the seconds
 *   zkwait kill PID                       only the kill, and its time
 * PID may be several, comma-separated ("4242,4343"): all are killed in
 * one go, the time taken before the first kill (a double crash).  * Exit 1 on timeout. */
#include <signal.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* SIGKILLs every pid of "P[,P...]"; 0, or -1 with errno. */
static int
kill_all (const char *pids)
{
  const char *p = pids;
  for (;;)
    {
      char *end;
      long pid = strtol (p, &end, 10);
      if (end == p || pid <= 0)
        return errno = EINVAL, -1;
      if (kill ((pid_t) pid, SIGKILL) < 0)
        return -1;
      if (*end != ',')
        return *end == '\0' ? 0 : (errno = EINVAL, -1);
      p = end + 1;
    }
}

static double
wall (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* 'L' leader, 'F' follower, '-' anything else (no answer, not serving) */
static char
mode_of (const char *target)
{
  char host[64], buf[4096];
  const char *colon = strrchr (target, ':');
  struct sockaddr_in sa = { .sin_family = AF_INET };
  size_t len = 0;
  int fd;
  char m = '-';

  if (colon == NULL || (size_t) (colon - target) >= sizeof (host))
    return '-';
  memcpy (host, target, (size_t) (colon - target));
  host[colon - target] = '\0';
  sa.sin_port = htons ((unsigned short) atoi (colon + 1));
  if (inet_pton (AF_INET, host, &sa.sin_addr) != 1)
    return '-';
  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return '-';
  {
    struct timeval tv = { 0, 200000 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof (tv));
    setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof (tv));
  }
  if (connect (fd, (struct sockaddr *) &sa, sizeof (sa)) == 0 && write (fd, "srvr", 4) == 4)
    {
      ssize_t n;
      shutdown (fd, SHUT_WR);
      while (len < sizeof (buf) - 1 && (n = read (fd, buf + len, sizeof (buf) - 1 - len)) > 0)
        len += (size_t) n;
      buf[len] = '\0';
      if (strstr (buf, "Mode: leader"))
        m = 'L';
      else if (strstr (buf, "Mode: follower"))
        m = 'F';
    }
  close (fd);
  return m;
}

int
main (int argc, char **argv)
{
  double t0, deadline;
  int seen_down = 0, first = 3;

  if (argc == 3 && strcmp (argv[1], "kill") == 0)
    {
      t0 = wall ();
      if (kill_all (argv[2]) < 0)
        return perror ("kill"), 1;
      printf ("%.6f\n", t0);
      return 0;
    }
  if (argc >= 5 && strcmp (argv[1], "kill") == 0)
    {
      t0 = wall ();
      if (kill_all (argv[2]) < 0)
        return perror ("kill"), 1;
      deadline = wall () + atof (argv[3]);
      first = 4;
    }
  else if (argc >= 4 && strcmp (argv[1], "serving") == 0)
    {
      t0 = wall ();
      deadline = t0 + atof (argv[2]);
      seen_down = 1;
    }
  else
    {
      fprintf (stderr, "usage: %s serving TIMEOUT ADDR:PORT... | kill PID[,PID...] [TIMEOUT ADDR:PORT...]\n",
               argv[0]);
      return 2;
    }
  while (wall () < deadline)
    {
      int leaders = 0, followers = 0;
      for (int i = first; i < argc; i++)
        {
          char m = mode_of (argv[i]);
          leaders += m == 'L';
          followers += m == 'F';
        }
      if (leaders == 1 && followers == argc - first - 1)
        {
          if (seen_down)
            {
              if (first == 4)
                printf ("%.6f %.3f\n", t0, wall () - t0);
              else
                printf ("%.3f\n", wall () - t0);
              return 0;
            }
        }
      else
        seen_down = 1;
      poll (NULL, 0, 5);
    }
  fprintf (stderr, "zkwait: the ensemble did not serve within %s s\n", argv[first - 1]);
  return 1;
}
