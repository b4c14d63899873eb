/* timeit: run a command and measure its wall time with CLOCK_MONOTONIC.
 *
 *   timeit [-o FILE] [-l] [--] CMD [ARG...]
 *
 *   -o FILE  write the elapsed time in seconds ("%.6f\n") to FILE
 *            (default: print "elapsed S" to stderr)
 *   -l       pass CMD's stdout and stderr through a pipe and copy each line
 *            to stdout prefixed with the time since start ("%10.6f "), so a
 *            caller can split one process's run into stages (Mininet does up
 *            and down in one process).
 *
 * SIGINT, SIGTERM and SIGHUP are passed on to CMD (timeit then waits for it),
 * so that whoever stops timeit stops what it runs.
 *
 * Exit status: CMD's exit status, 128+signal if it was killed, 127 if it
 * could not be run. Part of labo's benchmarks (bench/run.sh builds it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

static void usage(void)
{
	fprintf(stderr, "usage: timeit [-o FILE] [-l] [--] CMD [ARG...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	int lines = 0, opt;

	while ((opt = getopt(argc, argv, "+o:l")) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 'l': lines = 1; break;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();

	int pfd[2] = { -1, -1 };
	if (lines && pipe2(pfd, O_CLOEXEC) < 0) {
		perror("timeit: pipe");
		return 127;
	}

	double t0 = now();
	pid_t pid = fork();
	if (pid < 0) {
		perror("timeit: fork");
		return 127;
	}
	if (pid == 0) {
		if (lines) {
			dup2(pfd[1], 1);
			dup2(pfd[1], 2);
		}
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "timeit: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	child = pid;
	struct sigaction sa = { .sa_handler = forward };
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (lines) {
		close(pfd[1]);
		FILE *in = fdopen(pfd[0], "r");
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		int bol = 1;
		/* getline returns a partial line at EOF: stamp only line starts. */
		while (in && (n = getline(&line, &cap, in)) > 0) {
			if (bol)
				printf("%10.6f ", now() - t0);
			fwrite(line, 1, (size_t)n, stdout);
			bol = line[n - 1] == '\n';
			fflush(stdout);
		}
		if (!bol)
			putchar('\n');
		free(line);
		if (in)
			fclose(in);
	}

	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			perror("timeit: waitpid");
			return 127;
		}
	}
	double el = now() - t0;

	if (out) {
		FILE *f = fopen(out, "w");
		if (!f || fprintf(f, "%.6f\n", el) < 0 || fclose(f) != 0) {
			fprintf(stderr, "timeit: %s: %s\n", out, strerror(errno));
			return 127;
		}
	} else {
		fprintf(stderr, "elapsed %.6f\n", el);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 127;
}
