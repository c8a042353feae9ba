#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "deadline.h"
#include "testenv.h"

#define SH	"Asia/Shanghai"

static void
test_article_figures(void **state)
{
	enum deadline_kind k;
	int i;

	(void)state;
	assert_int_equal(deadline_workdays(DEADLINE_REVIEW), 2);
	assert_int_equal(deadline_workdays(DEADLINE_SIMPLE), 3);
	assert_int_equal(deadline_workdays(DEADLINE_GENERAL), 7);
	assert_int_equal(deadline_workdays(DEADLINE_MAJOR), 15);
	assert_int_equal(deadline_workdays(DEADLINE_RESULT_NOTICE), 1);
	assert_int_equal(deadline_workdays(DEADLINE_REHANDLING), 3);
	assert_int_equal(deadline_workdays((enum deadline_kind)DEADLINE_KIND_COUNT), -1);
	assert_int_equal(deadline_workdays((enum deadline_kind)-1), -1);
	assert_int_equal(deadline_article(DEADLINE_REVIEW), 9);
	assert_int_equal(deadline_article(DEADLINE_MAJOR), 11);
	assert_int_equal(deadline_article(DEADLINE_RESULT_NOTICE), 15);
	assert_int_equal(deadline_article(DEADLINE_REHANDLING), 16);
	assert_int_equal(deadline_article((enum deadline_kind)99), -1);
	for (i = 0; i < DEADLINE_KIND_COUNT; i++) {
		assert_int_equal(deadline_kind_from_name(deadline_kind_name(
		    (enum deadline_kind)i), &k), MD_OK);
		assert_int_equal(k, i);
	}
	assert_string_equal(deadline_kind_name(DEADLINE_RESULT_NOTICE), "result_notice");
	assert_string_equal(deadline_kind_name((enum deadline_kind)42), "unknown");
	assert_int_equal(deadline_kind_from_name("Review", &k), MD_ERR_NOTFOUND);
	assert_int_equal(deadline_kind_from_name("", &k), MD_ERR_NOTFOUND);
}

static void
test_due_dates_2026(void **state)
{
	struct calendar *cal = *state;
	time_t due = 0, accepted = sh_time(2026, 9, 30, 10, 0);
	int unc = -1;

	assert_int_equal(deadline_due(cal, SH, DEADLINE_REVIEW, sh_time(2026, 10, 3, 10, 0),
	    &due, &unc), MD_OK);
	assert_int_equal(due, sh_eod(2026, 10, 9));
	assert_int_equal(unc, 0);
	/* Accepted the day before National Day: the simple case is due on make-up Saturday. */
	assert_int_equal(deadline_due(cal, SH, DEADLINE_SIMPLE, accepted, &due, NULL), MD_OK);
	assert_int_equal(due, sh_eod(2026, 10, 10));
	assert_int_equal(deadline_due(cal, SH, DEADLINE_GENERAL, accepted, &due, NULL), MD_OK);
	assert_int_equal(due, sh_eod(2026, 10, 15));
	assert_int_equal(deadline_due(cal, SH, DEADLINE_MAJOR, accepted, &due, NULL), MD_OK);
	assert_int_equal(due, sh_eod(2026, 10, 27));
	/* Extended by another 15 after the day it was due. */
	assert_int_equal(deadline_extend(cal, SH, sh_eod(2026, 10, 22), 15, &due, NULL),
	    MD_OK);
	assert_int_equal(due, sh_eod(2026, 11, 12));
	assert_int_equal(deadline_due(cal, SH, DEADLINE_REHANDLING, sh_time(2026, 4, 30, 17, 0),
	    &due, NULL), MD_OK);
	assert_int_equal(due, sh_eod(2026, 5, 8));
	/* Completed on New Year's Eve: 2027 has no calendar yet. */
	assert_int_equal(deadline_due(cal, SH, DEADLINE_RESULT_NOTICE,
	    sh_time(2026, 12, 31, 18, 0), &due, &unc), MD_OK);
	assert_int_equal(due, sh_eod(2027, 1, 1));
	assert_int_equal(unc, 2027);
	due = 7;
	assert_int_equal(deadline_due(cal, SH, (enum deadline_kind)17, accepted, &due, NULL),
	    MD_ERR_INPUT);
	assert_int_equal(due, 7);
}

static void
test_format_languages(void **state)
{
	struct buf b;
	time_t due = sh_eod(2026, 10, 9);

	(void)state;
	buf_init(&b, 256);
	assert_int_equal(deadline_format(due, SH, "zh", &b), MD_OK);
	assert_string_equal(b.data, "2026年10月9日（星期五）");
	buf_reset(&b);
	assert_int_equal(deadline_format(due, SH, NULL, &b), MD_OK);
	assert_string_equal(b.data, "2026年10月9日（星期五）");
	buf_reset(&b);
	assert_int_equal(deadline_format(due, SH, "en", &b), MD_OK);
	assert_string_equal(b.data, "Friday, 9 October 2026");
	/* Appends: a notice builds its sentence around it. */
	buf_reset(&b);
	assert_int_equal(buf_puts(&b, "Due: "), MD_OK);
	assert_int_equal(deadline_format(sh_eod(2027, 1, 4), SH, "en", &b), MD_OK);
	assert_string_equal(b.data, "Due: Monday, 4 January 2027");
	buf_reset(&b);
	assert_int_equal(deadline_format(sh_eod(2026, 2, 24), SH, "zh", &b), MD_OK);
	assert_string_equal(b.data, "2026年2月24日（星期二）");
	buf_reset(&b);
	assert_int_equal(deadline_format(sh_eod(2026, 3, 1), SH, "zh", &b), MD_OK);
	assert_string_equal(b.data, "2026年3月1日（星期日）");
	buf_free(&b);
}

static void
test_format_time_zone(void **state)
{
	struct buf b;
	time_t t = utc_time(2026, 11, 27, 23, 30, 0);

	(void)state;
	buf_init(&b, 256);
	assert_int_equal(deadline_format(t, SH, "zh", &b), MD_OK);
	assert_string_equal(b.data, "2026年11月28日（星期六）");
	buf_reset(&b);
	assert_int_equal(deadline_format(t, "UTC", "en", &b), MD_OK);
	assert_string_equal(b.data, "Friday, 27 November 2026");
	buf_reset(&b);
	assert_int_equal(deadline_format(t, "Europe/Berlin", "en", &b), MD_OK);
	assert_string_equal(b.data, "Saturday, 28 November 2026");
	buf_free(&b);
}

static void
test_format_errors_leave_buffer(void **state)
{
	struct buf b;
	time_t due = sh_eod(2026, 10, 9);

	(void)state;
	buf_init(&b, 20);
	assert_int_equal(buf_puts(&b, "x"), MD_OK);
	assert_int_equal(deadline_format(due, SH, "fr", &b), MD_ERR_INPUT);
	assert_int_equal(deadline_format(due, "Mars/Olympus", "zh", &b), MD_ERR_INPUT);
	assert_int_equal(deadline_format((time_t)INT64_MAX, SH, "zh", &b), MD_ERR_INPUT);
	/* "2026年10月9日（星期五）" is 31 bytes: past this buffer's limit. */
	assert_int_equal(deadline_format(due, SH, "zh", &b), MD_ERR_LIMIT);
	assert_string_equal(b.data, "x");
	assert_int_equal(b.len, 1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_article_figures),
		cmocka_unit_test_setup_teardown(test_due_dates_2026,
		    testcal_state_setup, testcal_state_teardown),
		cmocka_unit_test(test_format_languages),
		cmocka_unit_test(test_format_time_zone),
		cmocka_unit_test(test_format_errors_leave_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
