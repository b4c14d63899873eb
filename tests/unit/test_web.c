/* labo web's pure parts: --listen's reading, loopback, the token's
 * comparison, the check plot's reading from a lab's run dir
 * (tests/integration/t-web-safety.sh drives the server). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/util/fs.h"
#include "labo/util/util.h"
#include "labo/zk/check.h"

#include "../../src/web/web-internal.h"

static void
listen_ok (const char *s, const char *ip, int port)
{
  struct sockaddr_in a;
  labo_error_t err = NULL;
  char buf[INET_ADDRSTRLEN];

  assert_int_equal (labo_web_parse_listen (s, &a, &err), 0);
  assert_null (err);
  assert_string_equal (inet_ntop (AF_INET, &a.sin_addr, buf, sizeof (buf)), ip);
  assert_int_equal (ntohs (a.sin_port), port);
}

static void
listen_bad (const char *s, const char *says)
{
  struct sockaddr_in a;
  labo_error_t err = NULL;

  assert_true (labo_web_parse_listen (s, &a, &err) < 0);
  assert_non_null (err);
  if (strstr (err->msg, says) == NULL)
    fail_msg ("--listen %s: '%s' does not say '%s'", s, err->msg, says);
  labo_error_release (&err);
}

static void
test_listen (void **state)
{
  (void) state;
  listen_ok ("127.0.0.1:7474", "127.0.0.1", 7474);
  listen_ok ("0.0.0.0:8080", "0.0.0.0", 8080);
  listen_ok ("localhost:1", "127.0.0.1", 1);
  listen_ok (":9000", "127.0.0.1", 9000);
  listen_ok ("192.0.2.7", "192.0.2.7", LABO_WEB_DEFAULT_PORT);
  listen_bad ("127.0.0.1:0", "the port '0' is not a number from 1 to 65535");
  listen_bad ("127.0.0.1:65536", "65536");
  listen_bad ("127.0.0.1:", "the port ''");
  listen_bad ("127.0.0.1:80x", "80x");
  listen_bad ("300.1.2.3:80", "'300.1.2.3' is not an IPv4 address");
  listen_bad ("example.org:80", "'example.org' is not an IPv4 address");
  listen_bad ("[::1]:80", "is not an IPv4 address");
}

static void
test_loopback (void **state)
{
  struct sockaddr_in a = { .sin_family = AF_INET };
  (void) state;
  inet_pton (AF_INET, "127.0.0.1", &a.sin_addr);
  assert_true (labo_web_is_loopback (&a));
  inet_pton (AF_INET, "127.1.2.3", &a.sin_addr);
  assert_true (labo_web_is_loopback (&a));
  inet_pton (AF_INET, "0.0.0.0", &a.sin_addr);
  assert_false (labo_web_is_loopback (&a));
  inet_pton (AF_INET, "128.0.0.1", &a.sin_addr);
  assert_false (labo_web_is_loopback (&a));
}

static void
test_token (void **state)
{
  struct web w;
  (void) state;
  memset (&w, 0, sizeof (w));
  /* no token (actions off): nothing passes, not even "" */
  assert_false (web_token_ok (&w, ""));
  assert_false (web_token_ok (&w, NULL));
  strcpy (w.token, "0123456789abcdef0123456789abcdef");
  assert_true (web_token_ok (&w, "0123456789abcdef0123456789abcdef"));
  assert_false (web_token_ok (&w, NULL));
  assert_false (web_token_ok (&w, ""));
  assert_false (web_token_ok (&w, "0123456789abcdef0123456789abcde"));   /* short */
  assert_false (web_token_ok (&w, "0123456789abcdef0123456789abcdef0")); /* long */
  assert_false (web_token_ok (&w, "0123456789abcdef0123456789abcdeF"));
  assert_false (web_token_ok (&w, "1123456789abcdef0123456789abcdef"));
}

static void
plot_read_fails (const char *lab, size_t max, int err)
{
  char *data = NULL;
  size_t len = 0;
  assert_int_equal (web_check_plot_read (lab, max, &data, &len), -1);
  if (errno != err)
    fail_msg ("%s: errno %d (%s), not %d", lab, errno, strerror (errno), err);
  assert_null (data);
}

/* The plot /lab/NAME/check.svg serves: the lab's own file, whole, or
 * nothing (no file, a link, a directory, too large, not a lab's name). */
static void
test_check_plot_read (void **state)
{
  char run[] = "/tmp/labo-test-web-XXXXXX";
  cleanup_free char *dir = NULL, *file = NULL, *other = NULL, *linked = NULL;
  char *data = NULL;
  size_t len = 0;
  labo_error_t err = NULL;
  (void) state;

  assert_non_null (mkdtemp (run));
  setenv ("LABO_RUN_DIR", run, 1);
  dir = xasprintf ("%s/plotlab", run);
  file = xasprintf ("%s/%s", dir, LABO_CHECK_PLOT_FILE);
  plot_read_fails ("plotlab", 1024, ENOENT); /* no lab dir */
  assert_int_equal (mkdir (dir, 0700), 0);
  plot_read_fails ("plotlab", 1024, ENOENT); /* no plot yet */
  plot_read_fails ("../plotlab", 1024, EINVAL);
  assert_int_equal (labo_write_file (file, "<svg/>\n", 7, 0600), 0);
  assert_int_equal (web_check_plot_read ("plotlab", 1024, &data, &len), 0);
  assert_int_equal (len, 7);
  assert_string_equal (data, "<svg/>\n");
  free (data);
  plot_read_fails ("plotlab", 6, EFBIG);
  /* a link, to a file of root's elsewhere: refused */
  other = xasprintf ("%s/secret", run);
  assert_int_equal (labo_write_file (other, "secret", 6, 0600), 0);
  assert_int_equal (unlink (file), 0);
  assert_int_equal (symlink (other, file), 0);
  plot_read_fails ("plotlab", 1024, ELOOP);
  assert_int_equal (unlink (file), 0);
  assert_int_equal (mkdir (file, 0700), 0);
  plot_read_fails ("plotlab", 1024, EINVAL);
  assert_int_equal (rmdir (file), 0);
  /* a lab directory that is a link: refused too */
  linked = xasprintf ("%s/linklab", run);
  assert_int_equal (symlink (dir, linked), 0);
  assert_int_equal (labo_write_file (file, "<svg/>\n", 7, 0600), 0);
  plot_read_fails ("linklab", 1024, ENOTDIR);
  assert_int_equal (labo_fs_remove_tree ("/tmp", run + strlen ("/tmp/"), &err), 0);
  unsetenv ("LABO_RUN_DIR");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_listen),
    cmocka_unit_test (test_loopback),
    cmocka_unit_test (test_token),
    cmocka_unit_test (test_check_plot_read),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
