/* labo web's pure parts: --listen's reading, loopback, the token's
 * comparison (tests/integration/t-web-safety.sh drives the server). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

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

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_listen),
    cmocka_unit_test (test_loopback),
    cmocka_unit_test (test_token),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
