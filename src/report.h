/*
 * The chamber's periodic report (month, quarter, year): how many requests
 * came in and how, and whether the deadlines of the member request rules
 * were kept. Figures are computed from the case history (case_events) and
 * the outbox, so a report for a past period can be rebuilt later and gives
 * the same numbers, except where a deadline was moved after the period.
 *
 * Definitions (also printed in the report's footer and in memberdesk(1)).
 * A period is [start, end) in local time of the configured zone. The report
 * is "as of" limit = min(end, now + 1): events at or after limit are not
 * seen. Working days follow the calendar (calendar.h counting rule).
 *   registered   cases whose submission time lies in the period; counted by
 *                type, tier ("none" when unset), channel, and by status as
 *                of the limit (replayed from the case's events)
 *   review       of the registered cases not merged into a joint case:
 *                in time when the first accept or reject came within 2
 *                working days of submission; late when it came later;
 *                overdue when none came and the 2 days are over by the
 *                limit; pending otherwise. rate = in time / (in time + late
 *                + overdue)
 *   handled      cases whose FIRST resolution lies in the period, per tier;
 *                on time when it is no later than handling_due (which
 *                includes extensions). rate = on time / handled
 *   results      every resolution ("resolved" event) in the period; in time
 *                when every result notice it queued was sent within 1
 *                working day; late when sent later or still unsent after
 *                that day; pending otherwise. rate = in time / (in time +
 *                late). A resolution that queued no result notice (a
 *                member without an address) is not counted
 *   feedback     answers in the period: satisfied (closed with "satisfied"
 *                or a score of 3-5) or not (a "feedback" event, which sends
 *                the case to re-handling). rate = satisfied / answered
 *   re-handling  re-handlings started in the period / resolutions in the
 *                period
 *   overdue      cases open at the limit (registered, handling, rehandling)
 *                past the deadline of that status at the limit, with the
 *                working days they are late
 */
#ifndef MD_REPORT_H
#define MD_REPORT_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "calendar.h"
#include "config.h"
#include "db.h"
#include "error.h"

#define REPORT_LABEL_MAX	16	/* "2026-Q4", "2026-11", "2026" */
#define REPORT_TALLY_MAX	16	/* distinct keys per breakdown */
#define REPORT_MAX_OVERDUE	10000	/* overdue cases listed */

struct report_period {
	char label[REPORT_LABEL_MAX];	/* as given, normalised */
	time_t start;			/* local midnight of the first day */
	time_t end;			/* local midnight after the last day */
};

/* A breakdown: keys are static vocabulary words (or "unknown"). */
struct report_tally {
	const char *key[REPORT_TALLY_MAX];
	long n[REPORT_TALLY_MAX];
	size_t len;
};

/* hits out of base; base 0 means "no case to count" (printed as "-"). */
struct report_rate {
	long hits;
	long base;
};

struct report_overdue {
	char *number;		/* owned */
	char *subject;		/* owned, from mail: escape before output */
	const char *status;	/* static: registered | handling | rehandling */
	const char *tier;	/* static or NULL */
	time_t due;
	long workdays_late;	/* working days from due to the limit, >= 0 */
};

#define REPORT_NTIERS 3		/* simple, general, major */

struct report {
	struct report_period period;
	time_t limit;			/* see above */
	const char *tz;			/* borrowed from the configuration */
	int uncovered_year;		/* first year counted with weekends only, 0: none */

	long registered;
	struct report_tally by_type;
	struct report_tally by_tier;
	struct report_tally by_channel;
	struct report_tally by_status;

	long review_in_time, review_late, review_overdue, review_pending;
	struct report_rate review;

	struct report_rate handled[REPORT_NTIERS];	/* hits on time, base handled */
	struct report_rate handled_all;

	long resolutions;		/* "resolved" events in the period */
	long results_pending;
	struct report_rate results;	/* hits in time, base in time + late */

	struct report_rate satisfaction;	/* hits satisfied, base answered */
	struct report_rate rehandling;		/* hits re-handlings, base results */

	struct report_overdue *overdue;	/* owned array, oldest deadline first */
	size_t n_overdue;
};

/* The tier of handled[i]: "simple", "general", "major". */
const char *report_tier_name(size_t i);

/*
 * Parse a period: kind "month" with "2026-11", "quarter" with "2026-Q4"
 * (or "2026-q4"), "year" with "2026", in time zone tz (NULL: default).
 * MD_ERR_INPUT for anything else, a year outside 1970-9999 or a bad zone.
 */
enum md_err report_period_parse(const char *kind, const char *arg, const char *tz,
    struct report_period *out);

/* The period (month) containing now, for status-like defaults. */
enum md_err report_period_current(const char *tz, time_t now, struct report_period *out);

/* Called every case with how many are done out of total; may be NULL. */
typedef void report_progress_fn(void *arg, size_t done, size_t total);

/*
 * Compute the report for period as of now from the database. cal may be
 * NULL (weekends only). tz is borrowed and must outlive the report. The
 * database is only read (one read transaction for a consistent picture).
 * Errors: database errors as db_status(), MD_ERR_INPUT (bad zone),
 * MD_ERR_LIMIT (more overdue cases than REPORT_MAX_OVERDUE), MD_ERR_NOMEM.
 * On success *out is set; free it with report_free().
 */
enum md_err report_build(struct db *db, const struct calendar *cal, const char *tz,
    const struct report_period *period, time_t now, report_progress_fn *progress,
    void *progress_arg, struct report **out);

void report_free(struct report *r);

/*
 * A rate as printed: "80.0%" with one decimal, "-" when base is 0. buf of
 * at least 16 bytes. Returns buf.
 */
char *report_rate_str(const struct report_rate *rate, char *buf, size_t len);

/* t as local "YYYY-MM-DD" in zone tz ("?" when it cannot); buf >= 16 bytes. */
char *report_date_str(const char *tz, time_t t, char *buf, size_t len);

/* Label of a report heading or metric key in lang ("zh" default, "en"). */
const char *report_text(const char *key, const char *lang);

/*
 * The definitions above as short lines in lang, NULL-terminated static
 * array, for footers.
 */
const char *const *report_definitions(const char *lang);

/*
 * CSV (RFC 4180, CRLF, UTF-8 without BOM): header "metric,key,label,value"
 * then one row per figure; the labels are in lang, keys and metrics are
 * stable English words for scripts. Cells that could start a spreadsheet
 * formula are prefixed with an apostrophe. MD_ERR_IO on a write error.
 */
enum md_err report_write_csv(const struct report *r, const char *lang, FILE *fp);

/*
 * One self-contained HTML page (inline CSS, inline SVG charts, no script,
 * no external resource), printable; every string is escaped and invalid
 * UTF-8 replaced. chamber is the chamber's name (may be NULL).
 * MD_ERR_IO on a write error, MD_ERR_NOMEM.
 */
enum md_err report_write_html(const struct report *r, const char *lang, const char *chamber,
    FILE *fp);

/* The same figures as aligned terminal tables. MD_ERR_IO, MD_ERR_NOMEM. */
enum md_err report_write_table(const struct report *r, const char *lang, FILE *fp);

/*
 * report --month YYYY-MM | --quarter YYYY-Qn | --year YYYY
 *        [--format table|csv|html] [--lang zh|en] [-o FILE]
 * Exit status 0, 1 (failure), 2 (usage).
 */
int cli_report(int argc, char **argv, const struct md_config *cfg);

/*
 * status [--json] [--imap]: the daemon's pid file, last poll, outbox,
 * deadlines due today and overdue, calendar coverage; with --imap also
 * the messages waiting in the mailbox (logs in like the daemon). Exit status 0 when the daemon runs,
 * 3 when it does not (so scripts can test it), 1 on failure, 2 usage.
 */
int cli_status(int argc, char **argv, const struct md_config *cfg);

#endif
