/* Unit tests for the freezer's pure part (src/host/freezer.c): the state
 * a v1 freezer.state or a v2 cgroup.events says, as the kernel writes
 * them; and that names which are not a lab's or a node's never reach a
 * path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "labo/host/freezer.h"
#include "labo/util/util.h"

static void
v1_states_as_the_kernel_writes_them (void **state)
{
  (void) state;
  assert_int_equal (labo_freezer_state_parse ("THAWED\n", false), LABO_FREEZER_THAWED);
  assert_int_equal (labo_freezer_state_parse ("FREEZING\n", false), LABO_FREEZER_FREEZING);
  assert_int_equal (labo_freezer_state_parse ("FROZEN\n", false), LABO_FREEZER_FROZEN);
  assert_int_equal (labo_freezer_state_parse ("FROZEN", false), LABO_FREEZER_FROZEN);
  assert_int_equal (labo_freezer_state_parse ("FROZENX\n", false), LABO_FREEZER_UNKNOWN);
  assert_int_equal (labo_freezer_state_parse ("", false), LABO_FREEZER_UNKNOWN);
  assert_int_equal (labo_freezer_state_parse (NULL, false), LABO_FREEZER_UNKNOWN);
}

static void
v2_frozen_is_the_line_of_cgroup_events (void **state)
{
  (void) state;
  assert_int_equal (labo_freezer_state_parse ("populated 1\nfrozen 1\n", true),
                    LABO_FREEZER_FROZEN);
  /* asked, not reached: still thawed for whoever waits */
  assert_int_equal (labo_freezer_state_parse ("populated 1\nfrozen 0\n", true),
                    LABO_FREEZER_THAWED);
  assert_int_equal (labo_freezer_state_parse ("frozen 1\n", true), LABO_FREEZER_FROZEN);
  /* a key that ends in "frozen" is not the line */
  assert_int_equal (labo_freezer_state_parse ("unfrozen 1\npopulated 0\n", true),
                    LABO_FREEZER_UNKNOWN);
  assert_int_equal (labo_freezer_state_parse ("populated 0\n", true), LABO_FREEZER_UNKNOWN);
  /* a v1 word is no v2 state, and the reverse */
  assert_int_equal (labo_freezer_state_parse ("FROZEN\n", true), LABO_FREEZER_UNKNOWN);
  assert_int_equal (labo_freezer_state_parse ("frozen 1\n", false), LABO_FREEZER_UNKNOWN);
}

static void
names_that_could_climb_are_refused (void **state)
{
  labo_error_t err = NULL;

  (void) state;
  assert_int_equal (labo_freezer_freeze ("../x", "zoo1", 1, 10, &err), -1);
  assert_non_null (err);
  labo_error_release (&err);
  assert_int_equal (labo_freezer_freeze ("zk3", "../../x", 1, 10, &err), -1);
  labo_error_release (&err);
  assert_int_equal (labo_freezer_thaw ("zk3", "a/b", &err), -1);
  labo_error_release (&err);
  assert_int_equal (labo_freezer_release ("..", &err), -1);
  labo_error_release (&err);
  assert_int_equal (labo_freezer_state ("zk3", ".."), LABO_FREEZER_UNKNOWN);
  assert_string_equal (labo_freezer_state_name (LABO_FREEZER_FROZEN), "frozen");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (v1_states_as_the_kernel_writes_them),
    cmocka_unit_test (v2_frozen_is_the_line_of_cgroup_events),
    cmocka_unit_test (names_that_could_climb_are_refused),
  };
  return cmocka_run_group_tests_name ("freezer", tests, NULL, NULL);
}
