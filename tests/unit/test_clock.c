/*
 * The clock: MEMBERDESK_NOW parsing (epoch seconds and ISO 8601, with and
 * without an offset) and md_now() honouring it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "clock.h"
#include "log.h"

#define MON_10H 1790560800	/* 2026-09-28 10:00 +08:00 */

static void
parses(const char *s, const char *tz, time_t want)
{
	time_t t = 0;

	if (md_clock_parse(s, tz, &t) != MD_OK)
		fail_msg("%s refused", s);
	if (t != want)
		fail_msg("%s gave %lld, want %lld", s, (long long)t, (long long)want);
}

static void
refuses(const char *s)
{
	time_t t = 42;

	if (md_clock_parse(s, NULL, &t) != MD_ERR_INPUT)
		fail_msg("%s accepted", s);
	assert_int_equal(t, 42);
}

static void
test_forms(void **state)
{
	(void)state;
	parses("1790560800", NULL, MON_10H);
	parses("0", NULL, 0);
	parses("2026-09-28T10:00:00+08:00", NULL, MON_10H);
	parses("2026-09-28T10:00:00+0800", NULL, MON_10H);
	parses("2026-09-28T10:00+08", NULL, MON_10H);
	parses("2026-09-28T02:00:00Z", NULL, MON_10H);
	parses("2026-09-28T04:00:00+02:00", "Asia/Shanghai", MON_10H);
	parses("2026-09-27T21:00:00-05:00", NULL, MON_10H);
	/* Without an offset: local time in the zone given (default Shanghai). */
	parses("2026-09-28T10:00:00", NULL, MON_10H);
	parses("2026-09-28 10:00", "Asia/Shanghai", MON_10H);
	parses("2026-09-28T04:00:00", "Europe/Berlin", MON_10H);
	parses("2026-09-28T02:00", "UTC", MON_10H);
	parses("2026-09-28", NULL, MON_10H - 10 * 3600);
	parses("2028-02-29T00:00:00Z", NULL, 1835395200);
}

static void
test_refused(void **state)
{
	(void)state;
	refuses("");
	refuses("-5");
	refuses("12abc");
	refuses("99999999999999999999999");
	refuses("253402300800");
	refuses("2026-09-28T10:00:00+08:00 ");
	refuses("2026-9-28");
	refuses("2026-02-29");
	refuses("2026-13-01");
	refuses("2026-09-31");
	refuses("2026-09-28T24:00");
	refuses("2026-09-28T10:60");
	refuses("2026-09-28T10");
	refuses("2026-09-28T10:00:00+24:00");
	refuses("1969-12-31T23:59:59Z");
	refuses("yesterday");
	refuses("2026-09-28T10:00:00\n");
}

static void
test_env(void **state)
{
	time_t before;

	(void)state;
	assert_int_equal(setenv(MD_CLOCK_ENV, "2026-09-28T10:00:00+08:00", 1), 0);
	assert_int_equal(md_clock_init("Asia/Shanghai"), MD_OK);
	assert_true(md_clock_fixed());
	assert_int_equal(md_now(), MON_10H);
	/* A bad value is refused and leaves the system clock in charge. */
	assert_int_equal(setenv(MD_CLOCK_ENV, "next tuesday", 1), 0);
	assert_int_equal(md_clock_init(NULL), MD_ERR_INPUT);
	assert_false(md_clock_fixed());
	before = time(NULL);
	assert_true(md_now() >= before);
	assert_int_equal(unsetenv(MD_CLOCK_ENV), 0);
	assert_int_equal(md_clock_init(NULL), MD_OK);
	assert_false(md_clock_fixed());
	assert_true(md_now() >= before);
}

static void
test_tz_restored(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(setenv("TZ", "Europe/Berlin", 1), 0);
	tzset();
	assert_int_equal(md_clock_parse("2026-09-28 10:00", "Asia/Shanghai", &t), MD_OK);
	assert_string_equal(getenv("TZ"), "Europe/Berlin");
	assert_int_equal(unsetenv("TZ"), 0);
	assert_int_equal(md_clock_parse("2026-09-28 10:00", "UTC", &t), MD_OK);
	assert_null(getenv("TZ"));
}

/* In the zone already in effect (the daemon's), the same times come out. */
static void
test_tz_in_effect(void **state)
{
	time_t t, u;

	(void)state;
	assert_int_equal(md_clock_parse("2026-09-28 10:00", "Asia/Shanghai", &t), MD_OK);
	assert_int_equal(setenv("TZ", "Asia/Shanghai", 1), 0);
	tzset();
	assert_int_equal(md_clock_parse("2026-09-28 10:00", "Asia/Shanghai", &u), MD_OK);
	assert_int_equal(u, t);
	assert_int_equal(u, 1790560800);
	assert_string_equal(getenv("TZ"), "Asia/Shanghai");
	assert_int_equal(md_clock_parse("2026-09-28 10:00", "Europe/Berlin", &u), MD_OK);
	assert_int_equal(u, t + 6 * 3600);
	assert_string_equal(getenv("TZ"), "Asia/Shanghai");
	assert_int_equal(unsetenv("TZ"), 0);
	tzset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_tz_restored),
		cmocka_unit_test(test_tz_in_effect),
	};

	log_init("test_clock", 1, LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
