#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "calendar.h"
#include "testenv.h"

#define SH	"Asia/Shanghai"

/* Load text as one calendar file and return what went to the error stream. */
static enum md_err
load_text(const char *text, char **errors, struct calendar **cal)
{
	FILE *fp;
	size_t len;
	enum md_err err;

	*errors = NULL;
	fp = open_memstream(errors, &len);
	assert_non_null(fp);
	err = calendar_load_buffer("t.cal", text, strlen(text), fp, cal);
	fclose(fp);
	return err;
}

static void
test_shipped_calendar_coverage(void **state)
{
	struct calendar *cal = *state;

	assert_int_equal(calendar_covers(cal, 2026), 1);
	assert_int_equal(calendar_covers(cal, 2025), 0);
	assert_int_equal(calendar_covers(cal, 2027), 0);
	assert_int_equal(calendar_covers(cal, 0), 0);
	assert_int_equal(calendar_covers(cal, 100000), 0);
}

static void
test_makeup_workdays(void **state)
{
	struct calendar *cal = *state;
	static const int makeup[][3] = { { 2026, 1, 4 }, { 2026, 2, 14 }, { 2026, 2, 28 },
	    { 2026, 5, 9 }, { 2026, 9, 20 }, { 2026, 10, 10 } };
	struct calendar_day info;
	size_t i;

	for (i = 0; i < sizeof(makeup) / sizeof(makeup[0]); i++) {
		assert_int_equal(calendar_day_info(cal, makeup[i][0], makeup[i][1],
		    makeup[i][2], &info), MD_OK);
		assert_true(info.wday == 0 || info.wday == 6);
		assert_int_equal(info.kind, CALENDAR_MAKEUP);
		assert_int_equal(info.workday, 1);
		assert_non_null(strstr(info.name, "调休"));
		assert_int_equal(calendar_is_workday(cal, makeup[i][0], makeup[i][1],
		    makeup[i][2]), 1);
	}
	assert_int_equal(calendar_day_info(cal, 2026, 10, 10, &info), MD_OK);
	assert_int_equal(info.wday, 6);
	assert_string_equal(info.name, "国庆节调休 (Saturday)");
	/* The weekend days around them stay off. */
	assert_int_equal(calendar_is_workday(cal, 2026, 10, 11), 0);
	assert_int_equal(calendar_is_workday(cal, 2026, 10, 17), 0);
	assert_int_equal(calendar_is_workday(cal, 2026, 2, 7), 0);
}

static void
test_national_day_across_weekend(void **state)
{
	struct calendar *cal = *state;
	struct calendar_day info;
	int d;

	for (d = 1; d <= 7; d++) {
		assert_int_equal(calendar_day_info(cal, 2026, 10, d, &info), MD_OK);
		assert_int_equal(info.kind, CALENDAR_HOLIDAY);
		assert_int_equal(info.workday, 0);
		assert_string_equal(info.name, "国庆节 National Day");
	}
	/* 10-01 is a Thursday: a holiday is off even on a weekday. */
	assert_int_equal(calendar_day_info(cal, 2026, 10, 1, &info), MD_OK);
	assert_int_equal(info.wday, 4);
	assert_int_equal(calendar_is_workday(cal, 2026, 9, 30), 1);
	assert_int_equal(calendar_is_workday(cal, 2026, 10, 8), 1);
	assert_int_equal(calendar_day_info(cal, 2026, 10, 8, &info), MD_OK);
	assert_int_equal(info.kind, CALENDAR_WEEKDAY);
	assert_string_equal(info.name, "");
}

/* Figures from the State Council notice, counted independently. */
static void
test_whole_year_2026(void **state)
{
	struct calendar *cal = *state;
	static const char *const off_weekdays[] = { "01-01", "01-02", "02-16", "02-17",
	    "02-18", "02-19", "02-20", "02-23", "04-06", "05-01", "05-04", "05-05",
	    "06-19", "09-25", "10-01", "10-02", "10-05", "10-06", "10-07" };
	struct calendar_day info;
	char md[24];	/* "MM-DD", with room for any two ints (-Wformat-truncation at -O1) */
	int m, d, work = 0, n_off = 0, n_on_weekend = 0, unc = -1;
	long count = 0;
	size_t i;

	for (m = 1; m <= 12; m++) {
		for (d = 1; d <= 31; d++) {
			if (calendar_day_info(cal, 2026, m, d, &info) != MD_OK)
				continue;
			assert_int_equal(info.covered, 1);
			work += info.workday;
			if (!info.workday && info.wday != 0 && info.wday != 6) {
				snprintf(md, sizeof(md), "%02d-%02d", m, d);
				assert_true(n_off < 19);
				assert_string_equal(md, off_weekdays[n_off]);
				n_off++;
			}
			if (info.workday && (info.wday == 0 || info.wday == 6))
				n_on_weekend++;
		}
	}
	assert_int_equal(work, 248);
	assert_int_equal(n_off, 19);
	assert_int_equal(n_on_weekend, 6);
	for (i = 0; i < 2; i++) {
		assert_int_equal(calendar_workdays_between(cal, SH,
		    sh_time(2025, 12, 31, 12, 0), sh_time(2026, 12, 31, 20, 0), &count, &unc),
		    MD_OK);
		assert_int_equal(count, 248);
		assert_int_equal(unc, 0);
	}
}

static void
test_review_registered_on_holiday(void **state)
{
	struct calendar *cal = *state;
	time_t due = 0;
	int unc = -1;

	/* Saturday 10-03 in the break: 10-08 is day 1, 10-09 day 2; 10-10 not reached. */
	assert_int_equal(calendar_add_workdays(cal, SH, sh_time(2026, 10, 3, 10, 0), 2, &due,
	    &unc), MD_OK);
	assert_int_equal(due, sh_eod(2026, 10, 9));
	assert_int_equal(unc, 0);
	/* The hour of arrival does not matter, only the local day. */
	assert_int_equal(calendar_add_workdays(cal, SH, sh_time(2026, 10, 3, 0, 0), 2, &due,
	    NULL), MD_OK);
	assert_int_equal(due, sh_eod(2026, 10, 9));
	assert_int_equal(calendar_add_workdays(cal, SH, sh_time(2026, 10, 3, 23, 59), 2, &due,
	    NULL), MD_OK);
	assert_int_equal(due, sh_eod(2026, 10, 9));
	/* From Friday 10-09 the make-up Saturday 10-10 is day 1, Monday day 2. */
	assert_int_equal(calendar_add_workdays(cal, SH, sh_time(2026, 10, 9, 9, 0), 2, &due,
	    NULL), MD_OK);
	assert_int_equal(due, sh_eod(2026, 10, 12));
	/* The start day itself never counts, even a working day. */
	assert_int_equal(calendar_add_workdays(cal, SH, sh_time(2026, 9, 30, 8, 0), 1, &due,
	    NULL), MD_OK);
	assert_int_equal(due, sh_eod(2026, 10, 8));
}

static void
test_spring_festival(void **state)
{
	struct calendar *cal = *state;
	time_t due = 0;

	/* Friday 02-13: Saturday 02-14 is worked (day 1), 02-15..23 off, 02-24 day 2. */
	assert_int_equal(calendar_add_workdays(cal, SH, sh_time(2026, 2, 13, 16, 0), 2, &due,
	    NULL), MD_OK);
	assert_int_equal(due, sh_eod(2026, 2, 24));
	assert_int_equal(calendar_add_workdays(cal, SH, sh_time(2026, 2, 14, 16, 0), 1, &due,
	    NULL), MD_OK);
	assert_int_equal(due, sh_eod(2026, 2, 24));
}

static void
test_major_across_national_day(void **state)
{
	struct calendar *cal = *state;
	time_t due = 0;
	long count = 0;

	/* Thursday 09-24, through Mid-Autumn and National Day, 10-10 counted. */
	assert_int_equal(calendar_add_workdays(cal, SH, sh_time(2026, 9, 24, 11, 0), 15, &due,
	    NULL), MD_OK);
	assert_int_equal(due, sh_eod(2026, 10, 22));
	assert_int_equal(calendar_workdays_between(cal, SH, sh_time(2026, 9, 24, 11, 0), due,
	    &count, NULL), MD_OK);
	assert_int_equal(count, 15);
	assert_int_equal(calendar_workdays_between(cal, SH, due, sh_time(2026, 9, 24, 11, 0),
	    &count, NULL), MD_OK);
	assert_int_equal(count, -15);
	/* One second later it is the next day: a deadline's own day is counted. */
	assert_int_equal(calendar_workdays_between(cal, SH, due, due + 1, &count, NULL),
	    MD_OK);
	assert_int_equal(count, 1);
	assert_int_equal(calendar_workdays_between(cal, SH, sh_time(2026, 10, 3, 9, 0),
	    sh_time(2026, 10, 4, 9, 0), &count, NULL), MD_OK);
	assert_int_equal(count, 0);
}

static void
test_year_boundary_without_calendar(void **state)
{
	struct calendar *cal = *state;
	struct calendar_day info;
	time_t due = 0;
	long count = 0;
	int unc = 0;

	/* 12-31 (day 1), Friday 2027-01-01 counted as weekday (2), Monday 01-04 (3). */
	assert_int_equal(calendar_add_workdays(cal, SH, sh_time(2026, 12, 30, 15, 0), 3, &due,
	    &unc), MD_OK);
	assert_int_equal(due, sh_eod(2027, 1, 4));
	assert_int_equal(unc, 2027);
	assert_int_equal(calendar_workdays_between(cal, SH, sh_time(2026, 12, 30, 15, 0), due,
	    &count, &unc), MD_OK);
	assert_int_equal(count, 3);
	assert_int_equal(unc, 2027);
	/* Staying inside 2026 clears the flag. */
	unc = -1;
	assert_int_equal(calendar_add_workdays(cal, SH, sh_time(2026, 12, 28, 15, 0), 3, &due,
	    &unc), MD_OK);
	assert_int_equal(due, sh_eod(2026, 12, 31));
	assert_int_equal(unc, 0);
	assert_int_equal(calendar_day_info(cal, 2027, 1, 1, &info), MD_OK);
	assert_int_equal(info.covered, 0);
	assert_int_equal(info.workday, 1);
	assert_int_equal(info.kind, CALENDAR_WEEKDAY);
	/* Warn once per year. */
	assert_int_equal(calendar_warn_uncovered(cal, 2027), 1);
	assert_int_equal(calendar_warn_uncovered(cal, 2027), 0);
	assert_int_equal(calendar_warn_uncovered(cal, 2028), 1);
	assert_int_equal(calendar_warn_uncovered(cal, 12000), 0);
}

static void
test_timezone_edge_saturday_in_shanghai(void **state)
{
	struct calendar *cal = *state;
	struct calendar_date d;
	time_t t = utc_time(2026, 11, 27, 23, 30, 0), due = 0;

	assert_int_equal(calendar_local_date(SH, t, &d), MD_OK);
	assert_int_equal(d.year, 2026);
	assert_int_equal(d.month, 11);
	assert_int_equal(d.day, 28);
	assert_int_equal(d.wday, 6);
	assert_int_equal(calendar_local_date("UTC", t, &d), MD_OK);
	assert_int_equal(d.day, 27);
	assert_int_equal(d.wday, 5);
	/* Saturday in Shanghai: Monday 11-30 is day 1, due 15:59:59 UTC. */
	assert_int_equal(calendar_add_workdays(cal, SH, t, 1, &due, NULL), MD_OK);
	assert_int_equal(due, utc_time(2026, 11, 30, 15, 59, 59));
	assert_int_equal(calendar_add_workdays(cal, NULL, t, 1, &due, NULL), MD_OK);
	assert_int_equal(due, utc_time(2026, 11, 30, 15, 59, 59));
	assert_int_equal(calendar_add_workdays(cal, "UTC", t, 1, &due, NULL), MD_OK);
	assert_int_equal(due, utc_time(2026, 11, 30, 23, 59, 59));
	/* A day earlier the zones disagree on the date: Friday vs Thursday. */
	t = utc_time(2026, 11, 26, 23, 30, 0);
	assert_int_equal(calendar_add_workdays(cal, SH, t, 1, &due, NULL), MD_OK);
	assert_int_equal(due, utc_time(2026, 11, 30, 15, 59, 59));
	assert_int_equal(calendar_add_workdays(cal, "UTC", t, 1, &due, NULL), MD_OK);
	assert_int_equal(due, utc_time(2026, 11, 27, 23, 59, 59));
}

static void
test_dst_zone_berlin(void **state)
{
	struct calendar *cal = *state;
	struct calendar_date d = { 2026, 3, 29, 0 };
	time_t due = 0, eod = 0;
	long count = 0;

	/* Friday 03-27 10:00 CET; Monday 03-30 is CEST (UTC+2). */
	assert_int_equal(calendar_add_workdays(cal, "Europe/Berlin",
	    utc_time(2026, 3, 27, 9, 0, 0), 1, &due, NULL), MD_OK);
	assert_int_equal(due, utc_time(2026, 3, 30, 21, 59, 59));
	/* Friday 10-23 CEST; Monday 10-26 is CET (UTC+1). */
	assert_int_equal(calendar_add_workdays(cal, "Europe/Berlin",
	    utc_time(2026, 10, 23, 8, 0, 0), 1, &due, NULL), MD_OK);
	assert_int_equal(due, utc_time(2026, 10, 26, 22, 59, 59));
	/* The 23-hour and the 25-hour day end at the right second. */
	assert_int_equal(calendar_end_of_day("Europe/Berlin", &d, &eod), MD_OK);
	assert_int_equal(eod, utc_time(2026, 3, 29, 21, 59, 59));
	d.month = 10;
	d.day = 25;
	assert_int_equal(calendar_end_of_day("Europe/Berlin", &d, &eod), MD_OK);
	assert_int_equal(eod, utc_time(2026, 10, 25, 22, 59, 59));
	/* 00:30 local on Monday 03-30 is still Sunday 22:30 UTC. */
	assert_int_equal(calendar_workdays_between(cal, "Europe/Berlin",
	    utc_time(2026, 3, 27, 9, 0, 0), utc_time(2026, 3, 29, 22, 30, 0), &count, NULL),
	    MD_OK);
	assert_int_equal(count, 1);
	assert_int_equal(calendar_workdays_between(cal, "UTC",
	    utc_time(2026, 3, 27, 9, 0, 0), utc_time(2026, 3, 29, 22, 30, 0), &count, NULL),
	    MD_OK);
	assert_int_equal(count, 0);
}

static void
test_tz_is_restored(void **state)
{
	struct calendar *cal = *state;
	struct calendar_date d;
	time_t due;
	struct tm tm;
	time_t t = utc_time(2026, 7, 1, 12, 0, 0);

	assert_int_equal(setenv("TZ", "America/New_York", 1), 0);
	tzset();
	assert_int_equal(calendar_add_workdays(cal, SH, t, 1, &due, NULL), MD_OK);
	assert_string_equal(getenv("TZ"), "America/New_York");
	assert_non_null(localtime_r(&t, &tm));
	assert_int_equal(tm.tm_hour, 8);
	assert_int_equal(unsetenv("TZ"), 0);
	tzset();
	assert_int_equal(calendar_local_date("Europe/Berlin", t, &d), MD_OK);
	assert_null(getenv("TZ"));
	/* A failing call restores too. */
	assert_int_equal(setenv("TZ", "UTC", 1), 0);
	assert_int_equal(calendar_add_workdays(cal, "Nowhere/Atlantis", t, 1, &due, NULL),
	    MD_ERR_INPUT);
	assert_string_equal(getenv("TZ"), "UTC");
	assert_int_equal(unsetenv("TZ"), 0);
	tzset();
}

static void
test_bad_arguments(void **state)
{
	struct calendar *cal = *state;
	static const char *const bad_tz[] = { "Nowhere/Atlantis", "../../etc/passwd",
	    "/usr/share/zoneinfo/UTC", "Asia", "Asia/Shanghai;x", "Asia/Shang hai",
	    "CST-8" };
	struct calendar_date d;
	struct calendar_day info;
	time_t due = 12345, t = sh_time(2026, 6, 1, 9, 0);
	long count;
	size_t i;

	for (i = 0; i < sizeof(bad_tz) / sizeof(bad_tz[0]); i++) {
		assert_int_equal(calendar_add_workdays(cal, bad_tz[i], t, 1, &due, NULL),
		    MD_ERR_INPUT);
		assert_int_equal(calendar_local_date(bad_tz[i], t, &d), MD_ERR_INPUT);
	}
	assert_int_equal(due, 12345);
	assert_int_equal(calendar_add_workdays(cal, SH, t, 0, &due, NULL), MD_ERR_INPUT);
	assert_int_equal(calendar_add_workdays(cal, SH, t, -3, &due, NULL), MD_ERR_INPUT);
	assert_int_equal(calendar_add_workdays(cal, SH, t, CALENDAR_MAX_WORKDAYS + 1, &due,
	    NULL), MD_ERR_INPUT);
	assert_int_equal(calendar_add_workdays(cal, SH, t, CALENDAR_MAX_WORKDAYS, &due,
	    NULL), MD_OK);
	assert_true(due > utc_time(2040, 1, 1, 0, 0, 0));
	assert_int_equal(calendar_add_workdays(cal, SH, (time_t)INT64_MAX, 1, &due, NULL),
	    MD_ERR_INPUT);
	assert_int_equal(calendar_workdays_between(cal, SH, t, utc_time(2400, 1, 1, 0, 0, 0),
	    &count, NULL), MD_ERR_LIMIT);
	assert_int_equal(calendar_day_info(cal, 2026, 2, 29, &info), MD_ERR_INPUT);
	assert_int_equal(calendar_day_info(cal, 2026, 13, 1, &info), MD_ERR_INPUT);
	assert_int_equal(calendar_day_info(cal, 1969, 12, 31, &info), MD_ERR_INPUT);
	assert_int_equal(calendar_is_workday(cal, 2026, 4, 31), 0);
	assert_int_equal(calendar_day_info(cal, 2028, 2, 29, &info), MD_OK);
	assert_int_equal(info.wday, 2);
}

static void
test_parse_errors_with_line_numbers(void **state)
{
	static const char text[] =
	    "# comment line\n"					/* 1 */
	    "year 2026\n"					/* 2 */
	    "holliday 2026-10-01 typo\n"			/* 3 */
	    "holiday 2026-02-30 no such day\n"			/* 4 */
	    "workday 2026-10-09 Friday\n"			/* 5 */
	    "holiday 2026-10-07..2026-10-01 backwards\n"	/* 6 */
	    "year 26\n"						/* 7 */
	    "holiday 2027-01-01 not declared\n"			/* 8 */
	    "holiday\n"						/* 9 */
	    "year 2026 extra\n"					/* 10 */
	    "holiday 2026-01-01..2027-12-31 too long\n"		/* 11 */
	    "holiday 2026-05-01 \xff\xfe\n"			/* 12 */
	    "holiday 2026-05-01\n";				/* 13: fine */
	struct calendar *cal = (struct calendar *)1;
	char *errors;

	(void)state;
	assert_int_equal(load_text(text, &errors, &cal), MD_ERR_INPUT);
	assert_null(cal);
	assert_string_equal(errors,
	    "t.cal:3: unknown keyword \"holliday\" (expected year, holiday or workday)\n"
	    "t.cal:4: \"2026-02-30\" is not a date YYYY-MM-DD (years 1970-9999)\n"
	    "t.cal:5: 2026-10-09 is a Friday; \"workday\" lists weekend days that are worked\n"
	    "t.cal:6: range ends before it starts\n"
	    "t.cal:7: \"26\" is not a year between 1970 and 9999\n"
	    "t.cal:9: \"holiday\" needs a date or a range YYYY-MM-DD..YYYY-MM-DD\n"
	    "t.cal:10: unexpected text after \"year 2026\"\n"
	    "t.cal:11: range longer than 366 days\n"
	    "t.cal:12: name is not UTF-8 text\n"
	    "t.cal:8: holiday in 2027, but no calendar file has a \"year 2027\" line\n");
	free(errors);
}

static void
test_overlap_and_contradiction(void **state)
{
	struct calendar *cal = NULL;
	char *errors;

	(void)state;
	assert_int_equal(load_text("year 2026\n"
	    "holiday 2026-10-01..2026-10-07 A\n"
	    "workday 2026-10-03 B\n"
	    "holiday 2026-10-06..2026-10-08 C\n"
	    "holiday 2026-10-01 D\n", &errors, &cal), MD_ERR_INPUT);
	assert_null(cal);
	assert_string_equal(errors,
	    "t.cal:5: holiday 2026-10-01 overlaps holiday at t.cal:2\n"
	    "t.cal:3: workday 2026-10-03 contradicts holiday at t.cal:2\n"
	    "t.cal:4: holiday 2026-10-06..2026-10-07 overlaps holiday at t.cal:2\n");
	free(errors);
}

static void
test_lexical_details(void **state)
{
	struct calendar *cal = NULL;
	struct calendar_day info;
	char *errors, *big, *p;
	size_t i;
	int lines;

	(void)state;
	/* BOM, CRLF, tabs, trailing comments, no final newline, name optional. */
	assert_int_equal(load_text("\xef\xbb\xbf# x\r\n\tyear   2030 # covered\r\n"
	    "holiday\t2030-01-01\t元旦 # New Year\r\n"
	    "workday 2030-01-05..2030-01-06\n"
	    "holiday 2030-01-07", &errors, &cal), MD_OK);
	assert_string_equal(errors, "");
	free(errors);
	assert_int_equal(calendar_covers(cal, 2030), 1);
	assert_int_equal(calendar_day_info(cal, 2030, 1, 1, &info), MD_OK);
	assert_int_equal(info.kind, CALENDAR_HOLIDAY);
	assert_string_equal(info.name, "元旦");
	assert_int_equal(calendar_is_workday(cal, 2030, 1, 5), 1);
	assert_int_equal(calendar_is_workday(cal, 2030, 1, 6), 1);
	assert_int_equal(calendar_day_info(cal, 2030, 1, 7, &info), MD_OK);
	assert_int_equal(info.kind, CALENDAR_HOLIDAY);
	assert_string_equal(info.name, "");
	calendar_free(cal);

	/* An over-long line and a NUL byte are reported by line number. */
	big = malloc(CALENDAR_MAX_LINE + 64);
	assert_non_null(big);
	p = big;
	p += sprintf(p, "year 2026\n# ");
	memset(p, 'x', CALENDAR_MAX_LINE);
	p += CALENDAR_MAX_LINE;
	strcpy(p, "\nholiday 2026-01-01\n");
	assert_int_equal(load_text(big, &errors, &cal), MD_ERR_INPUT);
	assert_string_equal(errors, "t.cal:2: line longer than 1024 bytes\n");
	free(errors);
	free(big);
	{
		static const char nul[] = "year 2026\nholiday 2026-01-01 a\0b\n";
		FILE *fp;
		size_t len;

		fp = open_memstream(&errors, &len);
		assert_non_null(fp);
		assert_int_equal(calendar_load_buffer("n.cal", nul, sizeof(nul) - 1, fp, &cal),
		    MD_ERR_INPUT);
		fclose(fp);
		assert_string_equal(errors, "n.cal:2: NUL byte in line\n");
		free(errors);
	}

	/* Error output is bounded. */
	big = malloc(100 * 8 + 1);
	assert_non_null(big);
	for (i = 0, p = big; i < 100; i++)
		p += sprintf(p, "bogus!\n");
	assert_int_equal(load_text(big, &errors, &cal), MD_ERR_INPUT);
	for (lines = 0, p = errors; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, CALENDAR_MAX_ERRORS + 1);
	assert_non_null(strstr(errors, "too many errors"));
	free(errors);
	free(big);

	/* Exactly the limit: all shown, no notice. */
	big = malloc(CALENDAR_MAX_ERRORS * 8 + 1);
	assert_non_null(big);
	for (i = 0, p = big; i < CALENDAR_MAX_ERRORS; i++)
		p += sprintf(p, "bogus!\n");
	assert_int_equal(load_text(big, &errors, &cal), MD_ERR_INPUT);
	for (lines = 0, p = errors; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, CALENDAR_MAX_ERRORS);
	assert_null(strstr(errors, "too many errors"));
	free(errors);
	free(big);

	/* Oversized text is refused before parsing. */
	big = malloc(CALENDAR_MAX_FILE + 1);
	assert_non_null(big);
	memset(big, '\n', CALENDAR_MAX_FILE + 1);
	assert_int_equal(calendar_load_buffer("big.cal", big, CALENDAR_MAX_FILE + 1, NULL,
	    &cal), MD_ERR_LIMIT);
	assert_null(cal);
	assert_int_equal(calendar_load_buffer("big.cal", big, CALENDAR_MAX_FILE, NULL,
	    &cal), MD_OK);
	calendar_free(cal);
	free(big);

	/* Empty text: an empty calendar, weekends only. */
	assert_int_equal(calendar_load_buffer("e.cal", "", 0, NULL, &cal), MD_OK);
	assert_int_equal(calendar_covers(cal, 2026), 0);
	assert_int_equal(calendar_is_workday(cal, 2026, 10, 1), 1);
	assert_int_equal(calendar_is_workday(cal, 2026, 10, 10), 0);
	calendar_free(cal);
}

/* The daemon runs without a calendar when calendar_dir is missing. */
static void
test_null_calendar_counts_weekends(void **state)
{
	struct calendar_day info;
	time_t due = 0;
	long count = 0;
	int unc = 0;

	(void)state;
	assert_int_equal(calendar_covers(NULL, 2026), 0);
	assert_int_equal(calendar_is_workday(NULL, 2026, 10, 1), 1);
	assert_int_equal(calendar_is_workday(NULL, 2026, 10, 10), 0);
	assert_int_equal(calendar_day_info(NULL, 2026, 10, 10, &info), MD_OK);
	assert_int_equal(info.kind, CALENDAR_WEEKEND);
	assert_int_equal(info.covered, 0);
	/* Saturday 10-03: Monday 10-05 is day 1, Tuesday 10-06 day 2. */
	assert_int_equal(calendar_add_workdays(NULL, SH, sh_time(2026, 10, 3, 10, 0), 2, &due,
	    &unc), MD_OK);
	assert_int_equal(due, sh_eod(2026, 10, 6));
	assert_int_equal(unc, 2026);
	assert_int_equal(calendar_workdays_between(NULL, SH, sh_time(2026, 10, 3, 10, 0), due,
	    &count, &unc), MD_OK);
	assert_int_equal(count, 2);
	assert_int_equal(calendar_warn_uncovered(NULL, 2026), 0);
}

/*
 * A zone once found is not looked up again, but only under the same zone
 * directory: another TZDIR, or another name, is checked afresh.
 */
static void
test_zone_found_once_per_directory(void **state)
{
	struct calendar_date d;
	time_t t = sh_time(2026, 6, 1, 9, 0);

	(void)state;
	assert_int_equal(calendar_local_date(SH, t, &d), MD_OK);
	assert_int_equal(calendar_local_date(SH, t, &d), MD_OK);
	assert_int_equal(d.day, 1);
	assert_int_equal(calendar_local_date("Asia", t, &d), MD_ERR_INPUT);
	assert_int_equal(calendar_local_date("Nowhere/Atlantis", t, &d), MD_ERR_INPUT);
	assert_int_equal(setenv("TZDIR", "/nonexistent-zoneinfo", 1), 0);
	assert_int_equal(calendar_local_date(SH, t, &d), MD_ERR_INPUT);
	assert_int_equal(unsetenv("TZDIR"), 0);
	assert_int_equal(calendar_local_date(SH, t, &d), MD_OK);
	assert_int_equal(d.day, 1);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static void
remove_file(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static void
test_directory_loading(void **state)
{
	char dir[] = "/tmp/md-cal-XXXXXX", *errors, expect[512];
	struct calendar *cal = NULL;
	FILE *fp;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* No *.cal file: empty but valid. */
	write_file(dir, "notes.txt", "not a calendar\n");
	write_file(dir, ".hidden.cal", "garbage\n");
	assert_int_equal(calendar_load_dir(dir, NULL, &cal), MD_OK);
	assert_int_equal(calendar_covers(cal, 2026), 0);
	calendar_free(cal);

	write_file(dir, "a.cal", "year 2026\nholiday 2026-10-01..2026-10-07 国庆节\n");
	write_file(dir, "b.cal", "year 2027\nholiday 2027-01-01 元旦\n"
	    "holiday 2026-12-31 local closure\n");
	assert_int_equal(calendar_load_dir(dir, stderr, &cal), MD_OK);
	assert_int_equal(calendar_covers(cal, 2026), 1);
	assert_int_equal(calendar_covers(cal, 2027), 1);
	assert_int_equal(calendar_is_workday(cal, 2026, 10, 2), 0);
	assert_int_equal(calendar_is_workday(cal, 2026, 12, 31), 0);
	assert_int_equal(calendar_is_workday(cal, 2027, 1, 1), 0);
	calendar_free(cal);

	/* A contradiction between two files names both places. */
	write_file(dir, "c.cal", "\n\nworkday 2026-10-03 wrong\n");
	fp = open_memstream(&errors, &len);
	assert_non_null(fp);
	assert_int_equal(calendar_load_dir(dir, fp, &cal), MD_ERR_INPUT);
	fclose(fp);
	assert_null(cal);
	snprintf(expect, sizeof(expect),
	    "%s/c.cal:3: workday 2026-10-03 contradicts holiday at %s/a.cal:2\n", dir, dir);
	assert_string_equal(errors, expect);
	free(errors);
	remove_file(dir, "c.cal");

	/* A newline in a file name cannot forge a second message line. */
	write_file(dir, "x\ny.cal", "bogus\n");
	fp = open_memstream(&errors, &len);
	assert_non_null(fp);
	assert_int_equal(calendar_load_dir(dir, fp, &cal), MD_ERR_INPUT);
	fclose(fp);
	assert_null(cal);
	assert_non_null(strstr(errors, "/x\\x0ay.cal:1: unknown keyword \"bogus\""));
	assert_ptr_equal(strchr(errors, '\n'), errors + strlen(errors) - 1);
	free(errors);
	remove_file(dir, "x\ny.cal");

	/* A FIFO must be refused, not block the load. */
	snprintf(expect, sizeof(expect), "%s/f.cal", dir);
	assert_int_equal(mkfifo(expect, 0600), 0);
	assert_int_equal(calendar_load_dir(dir, NULL, &cal), MD_ERR_IO);
	assert_null(cal);
	unlink(expect);

	/* A directory where a file is expected. */
	snprintf(expect, sizeof(expect), "%s/d.cal", dir);
	assert_int_equal(mkdir(expect, 0700), 0);
	assert_int_equal(calendar_load_dir(dir, NULL, &cal), MD_ERR_IO);
	assert_null(cal);
	rmdir(expect);

	remove_file(dir, "a.cal");
	remove_file(dir, "b.cal");
	remove_file(dir, "notes.txt");
	remove_file(dir, ".hidden.cal");
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(calendar_load_dir(dir, NULL, &cal), MD_ERR_NOTFOUND);
	assert_null(cal);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shipped_calendar_coverage,
		    testcal_state_setup, testcal_state_teardown),
		cmocka_unit_test_setup_teardown(test_makeup_workdays,
		    testcal_state_setup, testcal_state_teardown),
		cmocka_unit_test_setup_teardown(test_national_day_across_weekend,
		    testcal_state_setup, testcal_state_teardown),
		cmocka_unit_test_setup_teardown(test_whole_year_2026,
		    testcal_state_setup, testcal_state_teardown),
		cmocka_unit_test_setup_teardown(test_review_registered_on_holiday,
		    testcal_state_setup, testcal_state_teardown),
		cmocka_unit_test_setup_teardown(test_spring_festival,
		    testcal_state_setup, testcal_state_teardown),
		cmocka_unit_test_setup_teardown(test_major_across_national_day,
		    testcal_state_setup, testcal_state_teardown),
		cmocka_unit_test_setup_teardown(test_year_boundary_without_calendar,
		    testcal_state_setup, testcal_state_teardown),
		cmocka_unit_test_setup_teardown(test_timezone_edge_saturday_in_shanghai,
		    testcal_state_setup, testcal_state_teardown),
		cmocka_unit_test_setup_teardown(test_dst_zone_berlin,
		    testcal_state_setup, testcal_state_teardown),
		cmocka_unit_test_setup_teardown(test_tz_is_restored,
		    testcal_state_setup, testcal_state_teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments,
		    testcal_state_setup, testcal_state_teardown),
		cmocka_unit_test(test_parse_errors_with_line_numbers),
		cmocka_unit_test(test_overlap_and_contradiction),
		cmocka_unit_test(test_lexical_details),
		cmocka_unit_test(test_directory_loading),
		cmocka_unit_test(test_null_calendar_counts_weekends),
		cmocka_unit_test(test_zone_found_once_per_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
