/*
 * The command line's shared helpers: checked integer options.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdlib.h>
#include <cmocka.h>

#include "cli_util.h"

static void
test_parse_long(void **state)
{
	long v = 42;

	(void)state;
	assert_int_equal(cli_parse_long("2026", 1970, 9999, &v), MD_OK);
	assert_int_equal(v, 2026);
	assert_int_equal(cli_parse_long("1", 1, 5, &v), MD_OK);
	assert_int_equal(v, 1);
	assert_int_equal(cli_parse_long("5", 1, 5, &v), MD_OK);
	assert_int_equal(v, 5);
	assert_int_equal(cli_parse_long("-3", -10, 10, &v), MD_OK);
	assert_int_equal(v, -3);
	v = 42;
	assert_int_equal(cli_parse_long("0", 1, 5, &v), MD_ERR_INPUT);
	assert_int_equal(cli_parse_long("6", 1, 5, &v), MD_ERR_INPUT);
	assert_int_equal(cli_parse_long("", 1, 5, &v), MD_ERR_INPUT);
	assert_int_equal(cli_parse_long("3x", 1, 5, &v), MD_ERR_INPUT);
	assert_int_equal(cli_parse_long("3 ", 1, 5, &v), MD_ERR_INPUT);
	assert_int_equal(cli_parse_long("x3", 1, 5, &v), MD_ERR_INPUT);
	assert_int_equal(cli_parse_long("99999999999999999999", 1, LONG_MAX, &v), MD_ERR_INPUT);
	assert_int_equal(cli_parse_long(NULL, 1, 5, &v), MD_ERR_INPUT);
	assert_int_equal(v, 42);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
