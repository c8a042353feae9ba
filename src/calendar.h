/*
 * The working-day calendar: which days are working days, and deadline
 * arithmetic in working days in a named time zone.
 *
 * A day is a working day when a calendar file lists it as "workday" (a
 * weekend day that is worked, 调休), or when it is Monday to Friday and no
 * calendar file lists it as "holiday". Years that no calendar file declares
 * with a "year" line are counted with weekends only; every computation that
 * had to do so reports the first such year so the caller can warn that the
 * result may be early or late. The file format is documented in
 * contrib/calendar/README.md.
 *
 * Counting rule, used by every deadline: the deadline is the END (23:59:59
 * local time) of the n-th working day strictly after the local calendar day
 * on which the counted event happened. The day of the event never counts,
 * whatever the hour. A request arriving on a weekend or holiday therefore
 * starts counting from the next working day: that day is day 1. Example with
 * the 2026 calendar: registered Saturday 2026-10-03 (National Day), review
 * within 2 working days: 10-08 is day 1, 10-09 day 2, due 2026-10-09
 * 23:59:59 Asia/Shanghai.
 *
 * Every query accepts a NULL calendar and treats it as one that covers no
 * year: weekends only, every year reported as uncovered.
 *
 * Time zones are IANA names ("Asia/Shanghai", "Europe/Berlin", "UTC"); NULL
 * or "" means Asia/Shanghai. Conversion sets the process-wide TZ variable
 * around localtime_r()/mktime() and restores it afterwards, so the functions
 * taking a zone are NOT thread-safe and must not run concurrently with other
 * code that reads TZ or local time. The daemon is single-threaded.
 */
#ifndef MD_CALENDAR_H
#define MD_CALENDAR_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "error.h"

#define CALENDAR_DEFAULT_TZ	"Asia/Shanghai"

/* Bounds on what a calendar directory may hold; input past them is refused. */
#define CALENDAR_MAX_LINE	1024		/* bytes per line, without the newline */
#define CALENDAR_MAX_FILE	(1024 * 1024)	/* bytes per file */
#define CALENDAR_MAX_FILES	64		/* *.cal files per directory */
#define CALENDAR_MAX_ENTRIES	4096		/* holiday and workday lines in total */
#define CALENDAR_MAX_RANGE	366		/* days in one holiday or workday range */
#define CALENDAR_MAX_NAME	256		/* bytes in an entry's name */
#define CALENDAR_MAX_ERRORS	20		/* messages written before giving up */
#define CALENDAR_MIN_YEAR	1970
#define CALENDAR_MAX_YEAR	9999
#define CALENDAR_MAX_WORKDAYS	3660		/* largest n for calendar_add_workdays() */
#define CALENDAR_MAX_SPAN	73200		/* days calendar_workdays_between() may span */

struct calendar;

enum calendar_day_kind {
	CALENDAR_WEEKDAY,	/* Monday to Friday, nothing listed: working day */
	CALENDAR_WEEKEND,	/* Saturday or Sunday, nothing listed: day off */
	CALENDAR_HOLIDAY,	/* listed "holiday": day off */
	CALENDAR_MAKEUP		/* listed "workday" (调休): working day */
};

struct calendar_day {
	int workday;			/* 1 when it is a working day */
	enum calendar_day_kind kind;
	const char *name;		/* not owned: the entry's name, "" when none; lives as
					   long as the calendar */
	int covered;			/* 1 when a calendar file declares the year */
	int wday;			/* 0 Sunday .. 6 Saturday */
};

/* A local calendar date. */
struct calendar_date {
	int year;
	int month;	/* 1-12 */
	int day;	/* 1-31 */
	int wday;	/* 0 Sunday .. 6 Saturday */
};

/*
 * Load every "*.cal" file in directory dir (names starting with "." are
 * skipped; files are read in name order) into a new calendar. All entries of
 * all files must agree: overlapping ranges, holiday/workday contradictions,
 * "workday" on a Monday-Friday, or an entry in a year no file declares are
 * errors. Every problem is written to errors (may be NULL) as
 * "file:line: message"; at most CALENDAR_MAX_ERRORS are written.
 * A directory without *.cal files gives an empty calendar (weekends only).
 * Returns MD_OK and *out, or: MD_ERR_INPUT (a file is invalid),
 * MD_ERR_NOTFOUND (dir does not exist), MD_ERR_IO (unreadable),
 * MD_ERR_LIMIT (too many files or entries, a file too large),
 * MD_ERR_NOMEM. On failure *out is NULL.
 */
enum md_err calendar_load_dir(const char *dir, FILE *errors, struct calendar **out);

/*
 * Build a calendar from one file's text (len bytes, need not be
 * NUL-terminated); name is used in messages. Same rules and errors as
 * calendar_load_dir() except the directory ones. len 0 gives an empty calendar.
 */
enum md_err calendar_load_buffer(const char *name, const char *text, size_t len,
    FILE *errors, struct calendar **out);

/* Free a calendar; NULL is allowed. */
void calendar_free(struct calendar *cal);

/* 1 when a calendar file declared the year with a "year" line, else 0. */
int calendar_covers(const struct calendar *cal, int year);

/*
 * Describe a date. Years the calendar does not cover are Monday-Friday
 * working days (covered = 0). MD_ERR_INPUT when the date does not exist or
 * lies outside CALENDAR_MIN_YEAR..CALENDAR_MAX_YEAR.
 */
enum md_err calendar_day_info(const struct calendar *cal, int year, int month, int day,
    struct calendar_day *out);

/*
 * 1 when the date is a working day (see the top of this file), 0 when it is
 * a day off, and 0 for a date calendar_day_info() refuses.
 */
int calendar_is_workday(const struct calendar *cal, int year, int month, int day);

/*
 * The local date of t in time zone tz. MD_ERR_INPUT for an unknown or
 * malformed zone name or a time outside the supported years, MD_ERR_NOMEM.
 */
enum md_err calendar_local_date(const char *tz, time_t t, struct calendar_date *out);

/*
 * The last second (23:59:59 local; the later one if the zone repeats it)
 * of a local date in zone tz. MD_ERR_INPUT for a bad zone or date.
 */
enum md_err calendar_end_of_day(const char *tz, const struct calendar_date *date,
    time_t *out);

/*
 * Deadline: *due is the end of the n-th working day after the local day of
 * start in zone tz (counting rule at the top of this file); 1 <= n <=
 * CALENDAR_MAX_WORKDAYS. *uncovered (may be NULL) is set to the first year
 * among the days examined that no calendar file covers, or 0 when all were
 * covered; the result is still computed with weekends only for that year.
 * Errors: MD_ERR_INPUT (n out of range, bad zone, time out of range),
 * MD_ERR_LIMIT (no working day found within CALENDAR_MAX_SPAN days),
 * MD_ERR_NOMEM. *due is untouched on error.
 */
enum md_err calendar_add_workdays(const struct calendar *cal, const char *tz, time_t start,
    int n, time_t *due, int *uncovered);

/*
 * Working days between the local days of from and to in zone tz: the number
 * of working days d with day(from) < d <= day(to), negated when to's day is
 * before from's. So calendar_add_workdays(start, n) gives a due time whose
 * count from start is n, same-day pairs count 0, and a positive count from
 * a due time to "now" is how many working days a deadline is overdue.
 * *uncovered as for calendar_add_workdays(). Errors: MD_ERR_INPUT (bad zone
 * or time), MD_ERR_LIMIT (days further apart than CALENDAR_MAX_SPAN),
 * MD_ERR_NOMEM.
 */
enum md_err calendar_workdays_between(const struct calendar *cal, const char *tz,
    time_t from, time_t to, long *count, int *uncovered);

/*
 * Log "no calendar installed for YEAR" with log_warnx() the first time it is
 * called for a year on this calendar; later calls for the same year are
 * silent. Returns 1 when it logged. Years outside the supported range and
 * a NULL calendar (whose absence the loader already reported) are ignored
 * (0). Lets the daemon warn once, not on every deadline.
 */
int calendar_warn_uncovered(struct calendar *cal, int year);

#endif
