/*
 * The command line's shared helpers: checked integer options and
 * MEMBERDESK_NOW read with the daemon's parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "cli_util.h"

#define MON_10H 1790560800	/* 2026-09-28 10:00 +08:00 */

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

static void
test_now(void **state)
{
	time_t before, t;

	(void)state;
	unsetenv("MEMBERDESK_NOW");
	before = time(NULL);
	t = cli_now(NULL);
	assert_true(t >= before && t <= time(NULL));
	setenv("MEMBERDESK_NOW", "", 1);
	assert_true(cli_now(NULL) >= before);
	setenv("MEMBERDESK_NOW", "1790560800", 1);
	assert_int_equal(cli_now(NULL), MON_10H);
	/* The daemon's ISO 8601 forms are accepted too, in the chamber's zone. */
	setenv("MEMBERDESK_NOW", "2026-09-28T10:00:00+08:00", 1);
	assert_int_equal(cli_now(NULL), MON_10H);
	setenv("MEMBERDESK_NOW", "2026-09-28 10:00", 1);
	assert_int_equal(cli_now("Asia/Shanghai"), MON_10H);
	assert_int_equal(cli_now(NULL), MON_10H);
	assert_int_equal(cli_now("UTC"), MON_10H + 8 * 3600);
	setenv("MEMBERDESK_NOW", "2026-09-28", 1);
	assert_int_equal(cli_now(NULL), MON_10H - 10 * 3600);
	/* Anything else is refused, not read as a number's prefix. */
	setenv("MEMBERDESK_NOW", "1790560800s", 1);
	assert_int_equal(cli_now(NULL), (time_t)-1);
	setenv("MEMBERDESK_NOW", "2026-02-30", 1);
	assert_int_equal(cli_now(NULL), (time_t)-1);
	setenv("MEMBERDESK_NOW", "tomorrow", 1);
	assert_int_equal(cli_now(NULL), (time_t)-1);
	unsetenv("MEMBERDESK_NOW");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
