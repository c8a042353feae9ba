/*
 * Report figures on a known dataset. The cases below are inserted with
 * fixed times around National Day 2026 (holiday 1-7 October, Saturday 10
 * October a working day) so that several outcomes depend on the calendar;
 * every figure of October 2026 is worked out by hand in the comments and
 * asserted from the CSV output.
 */
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
#include <sqlite3.h>

#include "calendar.h"
#include "db.h"
#include "report.h"
#include "workflow.h"

#define TZ "Asia/Shanghai"

static const char cal_2026[] =
	"year 2026\n"
	"holiday 2026-09-25..2026-09-27 Mid-Autumn\n"
	"holiday 2026-10-01..2026-10-07 National Day\n"
	"workday 2026-09-20 makeup\n"
	"workday 2026-10-10 makeup\n";

struct fixture {
	char dir[64];
	char path[128];
	struct db *db;
	struct calendar *cal;
};

/* Local time in Asia/Shanghai (UTC+8, no DST since 1991). */
static time_t
lt(int mo, int d, int h, int mi)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 2026 - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return timegm(&tm) - 8 * 3600;
}

static time_t
eod(int mo, int d)
{
	return lt(mo, d, 23, 59) + 59;
}

static void sql(struct fixture *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sql(struct fixture *f, const char *fmt, ...)
{
	char q[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	if (db_exec(f->db, q) != MD_OK)
		fail_msg("%s: %s", q, db_errmsg(f->db));
}

static void
add_case(struct fixture *f, int seq, const char *subject, const char *type, const char *tier,
    const char *channel, const char *status, time_t submitted, time_t review_due,
    time_t handling_due, time_t rehandling_due)
{
	char *q;

	q = sqlite3_mprintf("INSERT INTO cases (id, number, prefix, year, seq, subject, type,"
	    " tier, status, channel, submitted_at, created_at, updated_at, review_due,"
	    " handling_due, rehandling_due) VALUES (%d, 'MD-2026-%04d', 'MD', 2026, %d, %Q,"
	    " %Q, %Q, %Q, %Q, %lld, %lld, %lld, %lld, %lld, %lld)", seq, seq, seq, subject,
	    type, tier, status, channel, (long long)submitted, (long long)submitted,
	    (long long)submitted, (long long)review_due, (long long)handling_due,
	    (long long)rehandling_due);
	assert_non_null(q);
	if (db_exec(f->db, q) != MD_OK)
		fail_msg("%s: %s", q, db_errmsg(f->db));
	sqlite3_free(q);
	sql(f, "INSERT INTO case_events (case_id, at, kind, actor) VALUES (%d, %lld,"
	    " 'registered', 'system')", seq, (long long)submitted);
}

static void
ev(struct fixture *f, int seq, time_t at, const char *kind, const char *detail)
{
	char *q;

	q = sqlite3_mprintf("INSERT INTO case_events (case_id, at, kind, actor, detail)"
	    " VALUES (%d, %lld, %Q, 'staff', %Q)", seq, (long long)at, kind, detail);
	assert_non_null(q);
	if (db_exec(f->db, q) != MD_OK)
		fail_msg("%s: %s", q, db_errmsg(f->db));
	sqlite3_free(q);
}

static void
result_notice(struct fixture *f, int seq, int n, time_t created, time_t sent)
{
	sql(f, "INSERT INTO outbox (case_id, kind, message_id, mail_from, rcpt, data, status,"
	    " next_attempt_at, created_at, sent_at) VALUES (%d, 'result', '<r%d.%d@x>',"
	    " 'desk@x', 'm@x', 'x', '%s', %lld, %lld, %s%lld)", seq, seq, n,
	    sent ? "sent" : "queued", (long long)created, (long long)created,
	    sent ? "" : "NULL + ", (long long)sent);
	/* An acknowledgement is not a result notice and must not count. */
	sql(f, "INSERT INTO outbox (case_id, kind, message_id, mail_from, rcpt, data, status,"
	    " next_attempt_at, created_at) VALUES (%d, 'ack', '<a%d.%d@x>', 'desk@x', 'm@x',"
	    " 'x', 'queued', 0, %lld)", seq, seq, n, (long long)created);
}

/*
 * The dataset. "due" columns are what the workflow would have stored;
 * review deadlines of decided cases are recomputed by the report.
 */
static void
load_dataset(struct fixture *f)
{
	sql(f, "BEGIN");
	/* 1: September, never decided: review due Fri 9 Oct (8th day 1, 9th day 2). */
	add_case(f, 1, "old request", "policy", NULL, "email", "registered",
	    lt(9, 30, 10, 0), eod(10, 9), 0, 0);

	/* 2: Saturday 3 Oct (holiday); accepted Fri 9 Oct: in time only with the
	 * calendar. Simple, due Tue 13 Oct (10 makeup, 12, 13); resolved 13th,
	 * two result notices (joint case), the later sent Wed 14th: in time.
	 * Satisfied. */
	add_case(f, 2, "tax refund", "policy", "simple", "email", "closed",
	    lt(10, 3, 9, 0), eod(10, 9), eod(10, 13), 0);
	ev(f, 2, lt(10, 9, 15, 0), "accepted", "tier simple");
	ev(f, 2, lt(10, 12, 10, 0), "joint-merge", "MD-2026-0007");
	ev(f, 2, lt(10, 13, 17, 0), "resolved", "method policy-interpretation: x");
	ev(f, 2, lt(10, 13, 17, 0), "result-sent", NULL);
	result_notice(f, 2, 1, lt(10, 13, 17, 0), lt(10, 13, 17, 1));
	result_notice(f, 2, 2, lt(10, 13, 17, 0), lt(10, 14, 9, 0));
	ev(f, 2, lt(10, 14, 10, 0), "closed", "satisfied");

	/* 3: Thu 1 Oct (holiday), a visit; accepted Mon 12th: late (due 9th).
	 * General, due Wed 21st; resolved Thu 22nd: late. Result sent Mon 26th,
	 * due Fri 23rd: late. Not satisfied Tue 27th: re-handling due Fri 30th,
	 * still open at the end of the month: overdue by 0 working days. */
	add_case(f, 3, "unpaid invoice", "rights", "general", "visit", "rehandling",
	    lt(10, 1, 20, 0), eod(10, 9), eod(10, 21), eod(10, 30));
	ev(f, 3, lt(10, 12, 9, 0), "accepted", "tier general");
	ev(f, 3, lt(10, 22, 10, 0), "resolved", "method agency-coordination: x");
	result_notice(f, 3, 1, lt(10, 22, 10, 0), lt(10, 26, 9, 0));
	ev(f, 3, lt(10, 27, 10, 0), "feedback", "unsatisfied: no");

	/* 4: Fri 9 Oct by phone; rejected Tue 13th. Due Mon 12th because Sat 10th
	 * is a working day: late (weekends only would say in time). */
	add_case(f, 4, "complaint", "suggestion", NULL, "phone", "rejected",
	    lt(10, 9, 11, 0), eod(10, 12), 0, 0);
	ev(f, 4, lt(10, 13, 10, 0), "rejected", "ground outside-remit: x");

	/* 5: Mon 26 Oct; accepted Tue 27th as major (due mid-November). Resolved
	 * on 5 November, after the period: not counted in October. */
	add_case(f, 5, "export licence", "difficulty", "major", "email", "resolved",
	    lt(10, 26, 9, 0), eod(10, 28), eod(11, 17), 0);
	ev(f, 5, lt(10, 27, 9, 0), "accepted", "tier major");
	ev(f, 5, lt(11, 5, 9, 0), "resolved", "method resource-matching: x");
	result_notice(f, 5, 1, lt(11, 5, 9, 0), lt(11, 5, 9, 1));

	/* 6: Fri 30 Oct, review due Tue 3 Nov: pending at the end of October,
	 * although accepted on 2 November. */
	add_case(f, 6, "membership fee", "other", "simple", "email", "handling",
	    lt(10, 30, 16, 0), eod(11, 3), eod(11, 5), 0);
	ev(f, 6, lt(11, 2, 9, 0), "accepted", "tier simple");

	/* 7: merged into 2 the same day: not in the review figures. */
	add_case(f, 7, "tax refund too", "policy", NULL, "email", "merged",
	    lt(10, 12, 9, 0), eod(10, 14), 0, 0);
	ev(f, 7, lt(10, 12, 10, 0), "merged", "into MD-2026-0002");

	/* 8: September; simple, due Thu 8 Oct, extended to Mon 12th; resolved
	 * 12th: on time. Its result notice never went out: late. Closed with a
	 * score of 4 on 20th: satisfied. */
	add_case(f, 8, "customs", "policy", "simple", "email", "closed",
	    lt(9, 28, 10, 0), eod(9, 30), eod(10, 12), 0);
	ev(f, 8, lt(9, 28, 11, 0), "accepted", "tier simple");
	ev(f, 8, lt(10, 8, 9, 0), "extended", "2 days");
	ev(f, 8, lt(10, 12, 16, 0), "resolved", "method policy-interpretation: x");
	result_notice(f, 8, 1, lt(10, 12, 16, 0), 0);
	ev(f, 8, lt(10, 20, 10, 0), "closed", "4: ok");

	/* 9: Thu 15 Oct, accepted the same day (general, due Mon 26th), still in
	 * handling: 4 working days late on 31st. A hostile subject. */
	add_case(f, 9, "<script>alert(1)</script>, \"=cmd\"", "rights", "general", "email",
	    "handling", lt(10, 15, 10, 0), eod(10, 19), eod(10, 26), 0);
	ev(f, 9, lt(10, 15, 11, 0), "accepted", "tier general");

	/* 10: Tue 20 Oct, never decided: due Thu 22nd, 6 working days late. */
	add_case(f, 10, "=1+1 who answers?", "other", NULL, "email", "registered",
	    lt(10, 20, 10, 0), eod(10, 22), 0, 0);

	/* 11: September, resolved in September, closed without an answer in
	 * October: neither a resolution nor an answer of October. */
	add_case(f, 11, "visa", "policy", "simple", "email", "closed",
	    lt(9, 29, 10, 0), eod(9, 30), eod(10, 8), 0);
	ev(f, 11, lt(9, 29, 11, 0), "accepted", "tier simple");
	ev(f, 11, lt(9, 30, 10, 0), "resolved", "method policy-interpretation: x");
	result_notice(f, 11, 1, lt(9, 30, 10, 0), lt(9, 30, 10, 5));
	ev(f, 11, lt(10, 16, 0, 0), "closed", "no-feedback");
	/* 12: a walk-in without an address, Mon 19 Oct; accepted the same day,
	 * resolved Wed 21st (due Thu 22nd): on time; no result notice could be
	 * mailed, so the resolution is not in the result figures. */
	add_case(f, 12, "walk-in", "difficulty", "simple", "walk-in", "resolved",
	    lt(10, 19, 9, 0), eod(10, 21), eod(10, 22), 0);
	ev(f, 12, lt(10, 19, 10, 0), "accepted", "tier simple");
	ev(f, 12, lt(10, 21, 10, 0), "resolved", "method resource-matching: x");
	sql(f, "COMMIT");
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/md-report-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/md.db", f->dir);
	assert_int_equal(db_open(f->path, &f->db), MD_OK);
	assert_int_equal(calendar_load_buffer("2026.cal", cal_2026, strlen(cal_2026), stderr,
	    &f->cal), MD_OK);
	load_dataset(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[192];

	db_close(f->db);
	calendar_free(f->cal);
	snprintf(p, sizeof(p), "%s/md.db", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/md.db-wal", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/md.db-shm", f->dir);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ---- reading the CSV back ---- */

struct row {
	char f[4][512];
};

/* One RFC 4180 record from s (CRLF-terminated); returns the rest or NULL. */
static const char *
parse_row(const char *s, struct row *r)
{
	size_t col = 0, n = 0;
	int q = 0;

	memset(r, 0, sizeof(*r));
	for (; *s; s++) {
		if (q) {
			if (*s == '"' && s[1] == '"')
				s++;
			else if (*s == '"') {
				q = 0;
				continue;
			}
		} else if (*s == '"') {
			q = 1;
			continue;
		} else if (*s == ',') {
			assert_true(++col < 4);
			n = 0;
			continue;
		} else if (*s == '\r') {
			assert_int_equal(s[1], '\n');
			assert_int_equal(col, 3);
			return s + 2;
		}
		assert_true(n + 1 < sizeof(r->f[col]));
		r->f[col][n++] = *s;
	}
	return NULL;
}

struct csv {
	struct row *rows;
	size_t n;
};

static void
csv_load(const char *text, struct csv *c)
{
	const char *p = text;

	c->rows = calloc(512, sizeof(*c->rows));
	c->n = 0;
	assert_non_null(c->rows);
	while (*p) {
		assert_true(c->n < 512);
		p = parse_row(p, &c->rows[c->n++]);
		assert_non_null(p);
	}
}

static const char *
val(const struct csv *c, const char *metric, const char *key)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->rows[i].f[0], metric) == 0 && strcmp(c->rows[i].f[1], key) == 0)
			return c->rows[i].f[3];
	fail_msg("no row %s,%s", metric, key);
	return NULL;
}

static char *
render(struct fixture *f, const char *kind, const char *arg, time_t now, const char *format,
    const char *lang, struct report **keep)
{
	struct report_period p;
	struct report *r = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	assert_int_equal(report_period_parse(kind, arg, TZ, &p), MD_OK);
	assert_int_equal(report_build(f->db, f->cal, TZ, &p, now, NULL, NULL, &r), MD_OK);
	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	if (strcmp(format, "csv") == 0)
		assert_int_equal(report_write_csv(r, lang, fp), MD_OK);
	else if (strcmp(format, "html") == 0)
		assert_int_equal(report_write_html(r, lang, "某某商会", fp), MD_OK);
	else
		assert_int_equal(report_write_table(r, lang, fp), MD_OK);
	fclose(fp);
	if (keep)
		*keep = r;
	else
		report_free(r);
	return text;
}

#define EXPECT(m, k, v) assert_string_equal(val(&c, (m), (k)), (v))

static void
test_october_figures(void **state)
{
	struct fixture *f = *state;
	struct csv c;
	char *text;
	char buf[32];

	text = render(f, "month", "2026-10", lt(11, 15, 12, 0), "csv", "en", NULL);
	csv_load(text, &c);
	assert_string_equal(c.rows[0].f[0], "metric");
	EXPECT("period", "label", "2026-10");
	snprintf(buf, sizeof(buf), "%lld", (long long)lt(10, 1, 0, 0));
	EXPECT("period", "start", buf);
	/* The period is over: the report sees up to its end, not up to now. */
	snprintf(buf, sizeof(buf), "%lld", (long long)lt(11, 1, 0, 0));
	EXPECT("period", "limit", buf);

	/* Registered in October: 2 3 4 5 6 7 9 10 12. */
	EXPECT("registered", "all", "9");
	EXPECT("type", "policy", "2");		/* 2 7 */
	EXPECT("type", "rights", "2");		/* 3 9 */
	EXPECT("type", "difficulty", "2");	/* 5 12 */
	EXPECT("type", "suggestion", "1");	/* 4 */
	EXPECT("type", "other", "2");		/* 6 10 */
	/* The tier is the case's tier now: 6, accepted in November, counts. */
	EXPECT("tier", "simple", "3");		/* 2 6 12 */
	EXPECT("tier", "general", "2");		/* 3 9 */
	EXPECT("tier", "major", "1");		/* 5 */
	EXPECT("tier", "none", "3");		/* 4 7 10 */
	EXPECT("channel", "email", "6");
	EXPECT("channel", "visit", "1");
	EXPECT("channel", "phone", "1");
	EXPECT("channel", "meeting", "0");
	EXPECT("channel", "walk-in", "1");	/* 12 */
	EXPECT("channel", "online", "0");
	/* Status on 31 October, not today's. */
	EXPECT("status", "registered", "2");	/* 6 10 */
	EXPECT("status", "handling", "2");	/* 5 9 */
	EXPECT("status", "rejected", "1");	/* 4 */
	EXPECT("status", "resolved", "1");	/* 12 */
	EXPECT("status", "rehandling", "1");	/* 3 */
	EXPECT("status", "closed", "1");	/* 2 */
	EXPECT("status", "archived", "0");
	EXPECT("status", "merged", "1");	/* 7 */

	/* Review: 2 5 9 12 in time; 3 4 late; 10 overdue; 6 pending; 7 merged. */
	EXPECT("review", "in_time", "4");
	EXPECT("review", "late", "2");
	EXPECT("review", "overdue", "1");
	EXPECT("review", "pending", "1");
	EXPECT("review", "rate", "57.1%");	/* 4 / 7 */

	/* First resolutions in October: 2 and 12 (simple, on time), 8 (simple,
	 * on time after its extension), 3 (general, late). */
	EXPECT("handled", "simple", "3");
	EXPECT("handled_on_time", "simple", "3");
	EXPECT("handled_rate", "simple", "100.0%");
	EXPECT("handled", "general", "1");
	EXPECT("handled_on_time", "general", "0");
	EXPECT("handled_rate", "general", "0.0%");
	EXPECT("handled", "major", "0");
	EXPECT("handled_rate", "major", "-");
	EXPECT("handled", "all", "4");
	EXPECT("handled_on_time", "all", "3");
	EXPECT("handled_rate", "all", "75.0%");

	/* Results: 2 in time; 3 sent late; 8 never sent; 12 had no notice. */
	EXPECT("results", "in_time", "1");
	EXPECT("results", "late", "2");
	EXPECT("results", "pending", "0");
	EXPECT("results", "rate", "33.3%");

	/* Answers: 2 satisfied, 8 score 4, 3 not satisfied; 11 no answer. */
	EXPECT("satisfaction", "answered", "3");
	EXPECT("satisfaction", "satisfied", "2");
	EXPECT("satisfaction", "rate", "66.7%");
	EXPECT("rehandling", "count", "1");
	EXPECT("rehandling", "results", "4");	/* resolutions: 2 3 8 12 */
	EXPECT("rehandling", "rate", "25.0%");

	/* Open and late on 31 October, oldest deadline first. */
	EXPECT("overdue", "count", "4");
	EXPECT("overdue_case", "MD-2026-0001", "16");	/* 10th, 12-16, 19-23, 26-30 */
	EXPECT("overdue_case", "MD-2026-0010", "6");	/* 23rd, 26-30 */
	EXPECT("overdue_case", "MD-2026-0009", "4");	/* 27-30 */
	EXPECT("overdue_case", "MD-2026-0003", "0");	/* due Fri 30th, 31st is Saturday */
	{
		size_t i, k = 0;
		const char *order[] = { "MD-2026-0001", "MD-2026-0010", "MD-2026-0009",
			"MD-2026-0003" };

		for (i = 0; i < c.n; i++)
			if (strcmp(c.rows[i].f[0], "overdue_case") == 0)
				assert_string_equal(c.rows[i].f[1], order[k++]);
		assert_int_equal(k, 4);
	}
	/* The hostile subject stays one cell and cannot start a formula. */
	for (size_t i = 0; i < c.n; i++)
		if (strcmp(c.rows[i].f[1], "MD-2026-0009") == 0)
			assert_string_equal(c.rows[i].f[2],
			    "<script>alert(1)</script>, \"=cmd\"");
		else if (strcmp(c.rows[i].f[1], "MD-2026-0010") == 0)
			assert_string_equal(c.rows[i].f[2], "'=1+1 who answers?");
	free(c.rows);
	free(text);
}

/* The current period is seen up to now: figures as on 16 October, noon. */
static void
test_current_period_as_of_now(void **state)
{
	struct fixture *f = *state;
	struct csv c;
	char *text;

	text = render(f, "quarter", "2026-Q4", lt(10, 16, 12, 0), "csv", "zh", NULL);
	csv_load(text, &c);
	EXPECT("period", "label", "2026-Q4");
	/* 2 3 4 7 9 submitted by then. */
	EXPECT("registered", "all", "5");
	/* 3 accepted on 12th, not resolved yet (due 21st, not overdue); 9. */
	EXPECT("status", "handling", "2");
	EXPECT("status", "closed", "1");	/* 2 */
	EXPECT("status", "resolved", "0");
	EXPECT("handled", "all", "2");		/* 2 and 8 */
	/* 1 overdue since 9th: 10th, 12-16 = 6 days; 11 and 8 closed. */
	EXPECT("overdue", "count", "1");
	EXPECT("overdue_case", "MD-2026-0001", "6");
	EXPECT("satisfaction", "answered", "1");	/* 2; 11's close is not an answer */
	free(c.rows);
	free(text);
}

static void
test_html_is_self_contained_and_escaped(void **state)
{
	struct fixture *f = *state;
	char *html;

	html = render(f, "month", "2026-10", lt(11, 15, 12, 0), "html", "zh", NULL);
	assert_non_null(strstr(html, "<!DOCTYPE html>"));
	assert_non_null(strstr(html, "某某商会"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "href="));
	assert_null(strstr(html, "@import"));
	assert_null(strstr(html, "url("));
	assert_null(strstr(html, "<link"));
	/* Charts are inline SVG: bars for type, channel, status; a pie for tiers. */
	assert_non_null(strstr(html, "<svg"));
	assert_non_null(strstr(html, "<path d=\"M"));
	assert_non_null(strstr(html, "@media print"));
	/* Definitions in the footer, in Chinese by default. */
	assert_non_null(strstr(html, "<footer>"));
	assert_non_null(strstr(html, "统计口径"));
	assert_non_null(strstr(html, "满意率"));
	free(html);
}

static void
test_table_in_english(void **state)
{
	struct fixture *f = *state;
	char *t;

	t = render(f, "month", "2026-10", lt(11, 15, 12, 0), "table", "en", NULL);
	assert_non_null(strstr(t, "Requests registered: 9"));
	assert_non_null(strstr(t, "Overdue cases: 4"));
	assert_non_null(strstr(t, "57.1%"));
	assert_non_null(strstr(t, "Definitions:"));
	/* Subjects are sanitized for the terminal but not HTML-escaped. */
	assert_non_null(strstr(t, "<script>alert(1)"));
	free(t);
}

/* Without a calendar the same data gives other answers, and says so. */
static void
test_weekends_only_is_reported(void **state)
{
	struct fixture *f = *state;
	struct report_period p;
	struct report *r = NULL;

	assert_int_equal(report_period_parse("month", "2026-10", TZ, &p), MD_OK);
	assert_int_equal(report_build(f->db, NULL, TZ, &p, lt(11, 15, 0, 0), NULL, NULL, &r),
	    MD_OK);
	assert_int_equal(r->uncovered_year, 2026);
	/* 2 (due Tue 6th) is late now, 4 (due Tue 13th) in time. */
	assert_int_equal(r->review_in_time, 4);
	assert_int_equal(r->review_late, 2);
	report_free(r);
}

static size_t calls, last_done, last_total;

static void
count_progress(void *arg, size_t done, size_t total)
{
	(void)arg;
	calls++;
	last_done = done;
	last_total = total;
}

static void
test_progress_callback(void **state)
{
	struct fixture *f = *state;
	struct report_period p;
	struct report *r = NULL;

	assert_int_equal(report_period_parse("year", "2026", TZ, &p), MD_OK);
	calls = 0;
	assert_int_equal(report_build(f->db, f->cal, TZ, &p, lt(12, 31, 0, 0), count_progress,
	    NULL, &r), MD_OK);
	assert_int_equal(calls, 12);
	assert_int_equal(last_done, 12);
	assert_int_equal(last_total, 12);
	report_free(r);
}

static void
test_periods(void **state)
{
	struct report_period p;

	(void)state;
	assert_int_equal(report_period_parse("month", "2026-11", TZ, &p), MD_OK);
	assert_string_equal(p.label, "2026-11");
	assert_int_equal(p.start, lt(11, 1, 0, 0));
	assert_int_equal(p.end, lt(12, 1, 0, 0));
	assert_int_equal(report_period_parse("quarter", "2026-q4", TZ, &p), MD_OK);
	assert_string_equal(p.label, "2026-Q4");
	assert_int_equal(p.start, lt(10, 1, 0, 0));
	assert_int_equal(p.end, lt(12, 31, 0, 0) + 86400);
	assert_int_equal(report_period_parse("year", "2026", TZ, &p), MD_OK);
	assert_int_equal(p.start, lt(1, 1, 0, 0));
	assert_int_equal(p.end - p.start, 365 * 86400);
	assert_int_equal(report_period_parse("month", "2026-02", "UTC", &p), MD_OK);
	assert_int_equal(p.end - p.start, 28 * 86400);
	assert_int_equal(report_period_parse("month", "2026-13", TZ, &p), MD_ERR_INPUT);
	assert_int_equal(report_period_parse("month", "2026-1", TZ, &p), MD_ERR_INPUT);
	assert_int_equal(report_period_parse("month", "2026-1x", TZ, &p), MD_ERR_INPUT);
	assert_int_equal(report_period_parse("quarter", "2026-Q5", TZ, &p), MD_ERR_INPUT);
	assert_int_equal(report_period_parse("quarter", "2026-4", TZ, &p), MD_ERR_INPUT);
	assert_int_equal(report_period_parse("year", "26", TZ, &p), MD_ERR_INPUT);
	assert_int_equal(report_period_parse("year", "+026", TZ, &p), MD_ERR_INPUT);
	assert_int_equal(report_period_parse("week", "2026", TZ, &p), MD_ERR_INPUT);
	assert_int_equal(report_period_parse("year", "2026", "No/Such_Zone", &p), MD_ERR_INPUT);
}

static void
test_rate_rounding(void **state)
{
	struct report_rate r;
	char b[16];

	(void)state;
	r.hits = 2;
	r.base = 3;
	assert_string_equal(report_rate_str(&r, b, sizeof(b)), "66.7%");
	r.hits = 1;
	r.base = 8;
	assert_string_equal(report_rate_str(&r, b, sizeof(b)), "12.5%");
	r.hits = 1;
	r.base = 16;	/* 6.25 rounds half up */
	assert_string_equal(report_rate_str(&r, b, sizeof(b)), "6.3%");
	r.base = 0;
	assert_string_equal(report_rate_str(&r, b, sizeof(b)), "-");
}

/* Vocabulary words keep the workflow's labels; report headings do not shadow them. */
static void
test_labels(void **state)
{
	static const char *const words[] = { "registered", "handling", "rejected", "resolved",
		"rehandling", "closed", "archived", "merged", "policy", "rights", "difficulty",
		"suggestion", "other", "simple", "general", "major", "email", "visit", "meeting",
		"walk-in", "phone", "online" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		assert_string_equal(report_text(words[i], "zh"), wf_label(words[i], "zh"));
		assert_string_equal(report_text(words[i], "en"), wf_label(words[i], "en"));
	}
	assert_string_equal(report_text("overdue", "en"), "Overdue cases");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_october_figures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_current_period_as_of_now, setup, teardown),
		cmocka_unit_test_setup_teardown(test_html_is_self_contained_and_escaped, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_table_in_english, setup, teardown),
		cmocka_unit_test_setup_teardown(test_weekends_only_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_progress_callback, setup, teardown),
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_rate_rounding),
		cmocka_unit_test(test_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
