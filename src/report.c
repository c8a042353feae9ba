/*
 * Report figures: periods, and one pass over the cases submitted before the
 * period's end with their events and result notices. The definitions are
 * in report.h; this file is the only place that computes them, the writers
 * (report_csv.c, report_html.c, cli_report.c) only print.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "calendar.h"
#include "db.h"
#include "report.h"
#include "workflow.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const tiers[REPORT_NTIERS] = { "simple", "general", "major" };
static const char *const types[] = { "policy", "rights", "difficulty", "suggestion", "other" };
static const char *const tier_keys[] = { "simple", "general", "major", "none" };
static const char *const channels[] = { "email", "visit", "meeting", "walk-in", "phone",
	"online" };
static const char *const statuses[] = { "registered", "handling", "rejected", "resolved",
	"rehandling", "closed", "archived", "merged" };

const char *
report_tier_name(size_t i)
{
	return i < REPORT_NTIERS ? tiers[i] : "none";
}

/* ---- periods ---- */

static int
parse_int(const char *s, size_t len, int min, int max, int *out)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 4)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* Local midnight at the start of y-m-1 (m may be 13: January of y + 1). */
static enum md_err
month_start(const char *tz, int y, int m, time_t *out)
{
	struct calendar_date prev;
	time_t t;
	enum md_err err;

	if (m == 13) {
		y++;
		m = 1;
	}
	/* The day before, whose end is one second before our midnight. */
	if (m == 1) {
		prev.year = y - 1;
		prev.month = 12;
	} else {
		prev.year = y;
		prev.month = m - 1;
	}
	if (prev.year < CALENDAR_MIN_YEAR)
		return MD_ERR_INPUT;
	prev.day = days_in_month(prev.year, prev.month);
	prev.wday = 0;
	err = calendar_end_of_day(tz, &prev, &t);
	if (err)
		return err;
	*out = t + 1;
	return MD_OK;
}

static enum md_err
period_months(const char *tz, int y, int m, int n, struct report_period *out)
{
	enum md_err err;

	err = month_start(tz, y, m, &out->start);
	if (err == MD_OK)
		err = month_start(tz, y + (m + n - 1) / 12, (m + n - 1) % 12 + 1, &out->end);
	return err;
}

enum md_err
report_period_parse(const char *kind, const char *arg, const char *tz,
    struct report_period *out)
{
	size_t len;
	int y, m, q;

	if (kind == NULL || arg == NULL)
		return MD_ERR_INPUT;
	len = strlen(arg);
	memset(out, 0, sizeof(*out));
	if (len < 4 || parse_int(arg, 4, CALENDAR_MIN_YEAR + 1, CALENDAR_MAX_YEAR - 1, &y))
		return MD_ERR_INPUT;
	if (strcmp(kind, "year") == 0) {
		if (len != 4)
			return MD_ERR_INPUT;
		snprintf(out->label, sizeof(out->label), "%04d", y);
		return period_months(tz, y, 1, 12, out);
	}
	if (strcmp(kind, "month") == 0) {
		if (len != 7 || arg[4] != '-' || parse_int(arg + 5, 2, 1, 12, &m))
			return MD_ERR_INPUT;
		snprintf(out->label, sizeof(out->label), "%04d-%02d", y, m);
		return period_months(tz, y, m, 1, out);
	}
	if (strcmp(kind, "quarter") == 0) {
		if (len != 7 || arg[4] != '-' || (arg[5] != 'Q' && arg[5] != 'q') ||
		    parse_int(arg + 6, 1, 1, 4, &q))
			return MD_ERR_INPUT;
		snprintf(out->label, sizeof(out->label), "%04d-Q%d", y, q);
		return period_months(tz, y, 3 * (q - 1) + 1, 3, out);
	}
	return MD_ERR_INPUT;
}

enum md_err
report_period_current(const char *tz, time_t now, struct report_period *out)
{
	struct calendar_date d;
	enum md_err err;

	memset(out, 0, sizeof(*out));
	if ((err = calendar_local_date(tz, now, &d)))
		return err;
	snprintf(out->label, sizeof(out->label), "%04d-%02d", d.year, d.month);
	return period_months(tz, d.year, d.month, 1, out);
}

/* ---- texts ---- */

static const struct {
	const char *key, *zh, *en;
} texts[] = {
	{ "title", "会员诉求办理情况统计", "Member requests: handling report" },
	{ "period", "统计期间", "Period" },
	{ "as_of", "统计截至", "As of" },
	{ "registered_total", "登记诉求", "Requests registered" },
	{ "by_type", "按类型", "By type" },
	{ "by_tier", "按级别", "By tier" },
	{ "by_channel", "按渠道", "By channel" },
	{ "by_status", "按状态", "By status" },
	{ "none", "未定级", "no tier" },
	{ "unknown", "未知", "unknown" },
	{ "all", "合计", "all" },
	{ "count", "数量", "Count" },
	{ "rate", "比率", "Rate" },
	{ "item", "项目", "Item" },
	{ "review", "2个工作日内作出受理决定", "Decided within 2 working days" },
	{ "review_in_time", "按时决定", "decided in time" },
	{ "review_late", "逾期决定", "decided late" },
	{ "review_overdue", "逾期未决定", "undecided, overdue" },
	{ "review_pending", "尚在期限内", "pending, within time" },
	{ "handled", "按期办结（按级别）", "Handled on time, per tier" },
	{ "handled_count", "办结", "resolved" },
	{ "handled_on_time", "按期办结", "on time" },
	{ "results", "办结后1个工作日内反馈结果", "Result sent within 1 working day" },
	{ "results_in_time", "按时反馈", "sent in time" },
	{ "results_late", "逾期反馈", "late" },
	{ "results_pending", "尚在期限内", "pending, within time" },
	{ "satisfaction", "满意率", "Satisfaction" },
	{ "answered", "收到评价", "answers" },
	{ "satisfied", "满意", "satisfied" },
	{ "rehandling_rate", "重新办理率", "Re-handling rate" },
	{ "rehandlings", "重新办理", "re-handlings" },
	{ "results_all", "反馈结果", "results" },
	{ "overdue", "逾期未办结诉求", "Overdue cases" },
	{ "overdue_none", "无", "none" },
	{ "number", "编号", "Number" },
	{ "subject", "主题", "Subject" },
	{ "status", "状态", "Status" },
	{ "tier", "级别", "Tier" },
	{ "due", "期限", "Due" },
	{ "late_days", "逾期工作日", "Working days late" },
	{ "definitions", "统计口径", "Definitions" },
	{ "uncovered", "注意：以下年份未安装节假日日历，仅按周末计算：",
	  "Note: no holiday calendar for this year, weekends only: " },
};

const char *
report_text(const char *key, const char *lang)
{
	int en = lang && strcmp(lang, "en") == 0;
	size_t i;

	for (i = 0; i < NELEM(texts); i++)
		if (strcmp(texts[i].key, key) == 0)
			return en ? texts[i].en : texts[i].zh;
	return wf_label(key, lang);
}

static const char *const defs_zh[] = {
	"统计期间按所设时区的自然日计算，截至期末或当前时间（取早者）；工作日按节假日日历计算。",
	"登记诉求：提交时间在统计期间内的诉求；状态为截至统计时点的状态。",
	"受理决定：登记后2个工作日内首次受理或不予受理为按时；已并案的诉求不计。比率 = 按时 / (按时 + 逾期决定 + 逾期未决定)。",
	"按期办结：首次办结在统计期间内的诉求，办结时间不晚于办理期限（含延期）为按期。",
	"结果反馈：统计期间内的每次办结，其结果通知在1个工作日内全部发出为按时；未发邮件通知（会员无邮箱）的不计。",
	"满意率 = 满意评价（满意或3至5分） / 收到的评价；重新办理率 = 重新办理次数 / 办结次数。",
	"逾期未办结：截至统计时点仍在待受理、办理中或重新办理中且已过相应期限的诉求。",
	NULL
};

static const char *const defs_en[] = {
	"Periods are calendar days in the configured time zone, up to the end of the period or now, whichever is earlier; working days follow the holiday calendar.",
	"Registered: requests submitted in the period; status as of the report's limit.",
	"Decision: first accept or reject within 2 working days of submission is in time; merged cases are not counted. Rate = in time / (in time + late + undecided overdue).",
	"Handled on time: cases first resolved in the period, no later than their handling deadline (including extensions).",
	"Result sent: every resolution in the period whose result notices were all sent within 1 working day is in time; resolutions without a mailed notice (no address) are not counted.",
	"Satisfaction = satisfied answers (satisfied, or a score of 3 to 5) / answers; re-handling rate = re-handlings / results.",
	"Overdue: cases waiting for review, in handling or in re-handling at the limit and past that deadline.",
	NULL
};

const char *const *
report_definitions(const char *lang)
{
	return lang && strcmp(lang, "en") == 0 ? defs_en : defs_zh;
}

char *
report_rate_str(const struct report_rate *rate, char *buf, size_t len)
{
	long tenths;

	if (rate->base <= 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	/* Rounded half up in integer arithmetic: the CSV must not depend on libm. */
	tenths = (rate->hits * 2000 + rate->base) / (2 * rate->base);
	snprintf(buf, len, "%ld.%ld%%", tenths / 10, tenths % 10);
	return buf;
}

char *
report_date_str(const char *tz, time_t t, char *buf, size_t len)
{
	struct calendar_date d;

	if (calendar_local_date(tz, t, &d) != MD_OK)
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%04d-%02d-%02d", d.year, d.month, d.day);
	return buf;
}

/* ---- the pass over the cases ---- */

static void
tally_add(struct report_tally *t, const char *const *vocab, size_t n, const char *word)
{
	const char *key = "unknown";
	size_t i;

	for (i = 0; word && i < n; i++)
		if (strcmp(vocab[i], word) == 0)
			key = vocab[i];
	for (i = 0; i < t->len; i++)
		if (t->key[i] == key) {
			t->n[i]++;
			return;
		}
	if (t->len < REPORT_TALLY_MAX) {
		t->key[t->len] = key;
		t->n[t->len++] = 1;
	}
}

/* Every key of the vocabulary, in its order, so that zero rows are shown too. */
static void
tally_init(struct report_tally *t, const char *const *vocab, size_t n)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < n && i < REPORT_TALLY_MAX; i++)
		t->key[t->len++] = vocab[i];
}

static const char *
static_word(const char *const *vocab, size_t n, const char *word)
{
	size_t i;

	for (i = 0; word && i < n; i++)
		if (strcmp(vocab[i], word) == 0)
			return vocab[i];
	return NULL;
}

/* The status an event leaves the case in, or NULL when it changes none. */
static const char *
event_status(const char *kind, const char *detail)
{
	static const struct {
		const char *kind, *status;
	} map[] = {
		{ "registered", "registered" }, { "accepted", "handling" },
		{ "rejected", "rejected" }, { "resolved", "resolved" },
		{ "feedback", "rehandling" }, { "closed", "closed" },
		{ "reopened", "handling" }, { "archived", "archived" },
		{ "merged", "merged" },
	};
	size_t i;

	(void)detail;
	for (i = 0; i < NELEM(map); i++)
		if (strcmp(map[i].kind, kind) == 0)
			return map[i].status;
	return NULL;
}

/* A "closed" event's detail is "SATISFACTION[: reason]" when the member answered. */
static int
closed_satisfied(const char *detail)
{
	static const char *const ok[] = { "satisfied", "3", "4", "5" };
	size_t i, n;

	if (detail == NULL)
		return 0;
	for (i = 0; i < NELEM(ok); i++) {
		n = strlen(ok[i]);
		if (strncmp(detail, ok[i], n) == 0 && (detail[n] == '\0' || detail[n] == ':'))
			return 1;
	}
	return 0;
}

struct ev {
	time_t at;
	char kind[32];
	int satisfied;		/* for "closed" */
};

struct pass {
	struct db *db;
	const struct calendar *cal;
	struct report *r;
	sqlite3_stmt *events;
	sqlite3_stmt *results;
	struct ev *ev;
	size_t nev, evcap;
	size_t overdue_cap;
};

static enum md_err
load_events(struct pass *p, int64_t case_id)
{
	struct ev *nv;
	const char *kind, *detail;
	enum md_err err = MD_OK;
	int rc;

	p->nev = 0;
	sqlite3_reset(p->events);
	sqlite3_bind_int64(p->events, 1, case_id);
	sqlite3_bind_int64(p->events, 2, (sqlite3_int64)p->r->limit);
	while ((rc = sqlite3_step(p->events)) == SQLITE_ROW) {
		if (p->nev == p->evcap) {
			size_t cap = p->evcap ? p->evcap * 2 : 32;

			nv = reallocarray(p->ev, cap, sizeof(*nv));
			if (nv == NULL)
				return MD_ERR_NOMEM;
			p->ev = nv;
			p->evcap = cap;
		}
		kind = (const char *)sqlite3_column_text(p->events, 1);
		detail = (const char *)sqlite3_column_text(p->events, 2);
		p->ev[p->nev].at = (time_t)sqlite3_column_int64(p->events, 0);
		snprintf(p->ev[p->nev].kind, sizeof(p->ev[p->nev].kind), "%s",
		    kind ? kind : "");
		p->ev[p->nev].satisfied = closed_satisfied(detail);
		p->nev++;
	}
	if (rc != SQLITE_DONE)
		err = db_status(p->db, rc);
	return err;
}

static enum md_err
add_days(struct pass *p, time_t from, int n, time_t *due)
{
	int unc = 0;
	enum md_err err;

	err = calendar_add_workdays(p->cal, p->r->tz, from, n, due, &unc);
	if (err == MD_OK && unc && !p->r->uncovered_year)
		p->r->uncovered_year = unc;
	return err;
}

static int
in_period(const struct report *r, time_t t)
{
	return t >= r->period.start && t < r->limit;
}

/*
 * One resolution at time at (the case's resolutions end at next, 0: none):
 * its result notices are the "result" rows queued from at until next.
 */
static enum md_err
count_result(struct pass *p, int64_t case_id, time_t at, time_t next)
{
	time_t due, sent_max = 0, created;
	int rows = 0, unsent = 0, rc;
	enum md_err err;

	if ((err = add_days(p, at, 1, &due)))
		return err;
	sqlite3_reset(p->results);
	sqlite3_bind_int64(p->results, 1, case_id);
	while ((rc = sqlite3_step(p->results)) == SQLITE_ROW) {
		created = (time_t)sqlite3_column_int64(p->results, 0);
		if (created < at || (next && created >= next))
			continue;
		rows++;
		if (sqlite3_column_type(p->results, 1) == SQLITE_NULL ||
		    (time_t)sqlite3_column_int64(p->results, 1) >= p->r->limit)
			unsent = 1;
		else if ((time_t)sqlite3_column_int64(p->results, 1) > sent_max)
			sent_max = (time_t)sqlite3_column_int64(p->results, 1);
	}
	if (rc != SQLITE_DONE)
		return db_status(p->db, rc);
	p->r->resolutions++;
	/* No notice at all: a member without an address got the result another way. */
	if (rows == 0)
		return MD_OK;
	if (!unsent) {
		p->r->results.base++;
		if (sent_max <= due)
			p->r->results.hits++;
	} else if (due < p->r->limit)
		p->r->results.base++;
	else
		p->r->results_pending++;
	return MD_OK;
}

static enum md_err
add_overdue(struct pass *p, sqlite3_stmt *st, const char *status, time_t due)
{
	struct report *r = p->r;
	struct report_overdue *o, *nv;
	long late = 0;
	int unc = 0;
	enum md_err err;

	if (r->n_overdue == REPORT_MAX_OVERDUE)
		return MD_ERR_LIMIT;
	if (r->n_overdue == p->overdue_cap) {
		size_t cap = p->overdue_cap ? p->overdue_cap * 2 : 16;

		nv = reallocarray(r->overdue, cap, sizeof(*nv));
		if (nv == NULL)
			return MD_ERR_NOMEM;
		r->overdue = nv;
		p->overdue_cap = cap;
	}
	err = calendar_workdays_between(p->cal, r->tz, due, r->limit - 1, &late, &unc);
	if (err)
		return err;
	o = &r->overdue[r->n_overdue];
	memset(o, 0, sizeof(*o));
	o->status = static_word(statuses, NELEM(statuses), status);
	o->tier = static_word(tiers, NELEM(tiers), (const char *)sqlite3_column_text(st, 4));
	o->due = due;
	o->workdays_late = late < 0 ? 0 : late;
	if ((err = db_column_dup_empty(st, 1, &o->number)) ||
	    (err = db_column_dup_empty(st, 2, &o->subject))) {
		free(o->number);
		free(o->subject);
		return err;
	}
	r->n_overdue++;
	return MD_OK;
}

/*
 * Columns of st: 0 id, 1 number, 2 subject, 3 type, 4 tier, 5 channel,
 * 6 status, 7 submitted_at, 8 review_due, 9 handling_due, 10 rehandling_due.
 */
static enum md_err
one_case(struct pass *p, sqlite3_stmt *st)
{
	struct report *r = p->r;
	int64_t id = sqlite3_column_int64(st, 0);
	const char *status = (const char *)sqlite3_column_text(st, 6);
	const char *tier = (const char *)sqlite3_column_text(st, 4);
	time_t submitted = (time_t)sqlite3_column_int64(st, 7);
	time_t handling_due = (time_t)sqlite3_column_int64(st, 9);
	time_t decided = 0, first_resolved = 0, due, next;
	const char *s;
	enum md_err err;
	size_t i, j, t;

	if ((err = load_events(p, id)))
		return err;
	for (i = 0; i < p->nev; i++) {
		struct ev *e = &p->ev[i];

		if ((s = event_status(e->kind, NULL)) != NULL)
			status = s;
		if (!decided && (strcmp(e->kind, "accepted") == 0 ||
		    strcmp(e->kind, "rejected") == 0))
			decided = e->at;
		if (strcmp(e->kind, "resolved") == 0) {
			if (!first_resolved)
				first_resolved = e->at;
			if (in_period(r, e->at)) {
				next = 0;
				for (j = i + 1; j < p->nev && !next; j++)
					if (strcmp(p->ev[j].kind, "resolved") == 0)
						next = p->ev[j].at;
				if ((err = count_result(p, id, e->at, next)))
					return err;
			}
		}
		if (!in_period(r, e->at))
			continue;
		if (strcmp(e->kind, "feedback") == 0) {
			r->satisfaction.base++;
			r->rehandling.hits++;
		} else if (strcmp(e->kind, "closed") == 0 && e->satisfied) {
			r->satisfaction.base++;
			r->satisfaction.hits++;
		}
	}
	if (status == NULL)
		status = "unknown";

	if (in_period(r, submitted)) {
		r->registered++;
		tally_add(&r->by_type, types, NELEM(types), (const char *)sqlite3_column_text(st, 3));
		tally_add(&r->by_tier, tier_keys, NELEM(tier_keys), tier ? tier : "none");
		tally_add(&r->by_channel, channels, NELEM(channels),
		    (const char *)sqlite3_column_text(st, 5));
		tally_add(&r->by_status, statuses, NELEM(statuses), status);
		if (strcmp(status, "merged") != 0) {
			if ((err = add_days(p, submitted, 2, &due)))
				return err;
			if (decided && decided <= due)
				r->review_in_time++;
			else if (decided)
				r->review_late++;
			else if (due < r->limit)
				r->review_overdue++;
			else
				r->review_pending++;
		}
	}

	if (first_resolved && in_period(r, first_resolved)) {
		for (t = 0; t < REPORT_NTIERS; t++)
			if (tier && strcmp(tier, tiers[t]) == 0)
				break;
		if (t < REPORT_NTIERS)
			r->handled[t].base++;
		r->handled_all.base++;
		if (handling_due && first_resolved <= handling_due) {
			if (t < REPORT_NTIERS)
				r->handled[t].hits++;
			r->handled_all.hits++;
		}
	}

	due = 0;
	if (strcmp(status, "registered") == 0) {
		due = (time_t)sqlite3_column_int64(st, 8);
		if (due == 0 && (err = add_days(p, submitted, 2, &due)))
			return err;
	} else if (strcmp(status, "handling") == 0)
		due = handling_due;
	else if (strcmp(status, "rehandling") == 0)
		due = (time_t)sqlite3_column_int64(st, 10);
	if (due > 0 && due < r->limit)
		return add_overdue(p, st, status, due);
	return MD_OK;
}

static int
overdue_cmp(const void *a, const void *b)
{
	const struct report_overdue *x = a, *y = b;

	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	return strcmp(x->number, y->number);
}

enum md_err
report_build(struct db *db, const struct calendar *cal, const char *tz,
    const struct report_period *period, time_t now, report_progress_fn *progress,
    void *progress_arg, struct report **out)
{
	struct pass p;
	struct report *r;
	sqlite3_stmt *st = NULL, *cnt = NULL;
	size_t total = 0, done = 0;
	enum md_err err;
	int rc, in_tx = 0;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return MD_ERR_NOMEM;
	memset(&p, 0, sizeof(p));
	p.db = db;
	p.cal = cal;
	p.r = r;
	r->period = *period;
	r->tz = tz && *tz ? tz : CALENDAR_DEFAULT_TZ;
	r->limit = now < period->end ? now + 1 : period->end;
	if (r->limit < period->start)
		r->limit = period->start;
	tally_init(&r->by_type, types, NELEM(types));
	tally_init(&r->by_tier, tier_keys, NELEM(tier_keys));
	tally_init(&r->by_channel, channels, NELEM(channels));
	tally_init(&r->by_status, statuses, NELEM(statuses));

	/* One read transaction: the daemon may write meanwhile. */
	if ((err = db_exec(db, "BEGIN")))
		goto out;
	in_tx = 1;
	if ((err = db_prepare(db, "SELECT count(*) FROM cases WHERE submitted_at < ?", &cnt)))
		goto out;
	sqlite3_bind_int64(cnt, 1, (sqlite3_int64)r->limit);
	if ((rc = sqlite3_step(cnt)) != SQLITE_ROW) {
		err = db_status(db, rc);
		goto out;
	}
	total = (size_t)sqlite3_column_int64(cnt, 0);
	if ((err = db_prepare(db, "SELECT id, number, subject, type, tier, channel, status,"
	    " submitted_at, review_due, handling_due, rehandling_due FROM cases"
	    " WHERE submitted_at < ? ORDER BY submitted_at, id", &st)) ||
	    (err = db_prepare(db, "SELECT at, kind, detail FROM case_events"
	    " WHERE case_id = ? AND at < ? ORDER BY at, id", &p.events)) ||
	    (err = db_prepare(db, "SELECT created_at, sent_at FROM outbox"
	    " WHERE case_id = ? AND kind = 'result' ORDER BY created_at, id", &p.results)))
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)r->limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((err = one_case(&p, st)))
			goto out;
		if (progress)
			progress(progress_arg, ++done, total);
	}
	if (rc != SQLITE_DONE) {
		err = db_status(db, rc);
		goto out;
	}
	r->review.hits = r->review_in_time;
	r->review.base = r->review_in_time + r->review_late + r->review_overdue;
	r->rehandling.base = r->resolutions;
	if (r->n_overdue > 1)
		qsort(r->overdue, r->n_overdue, sizeof(*r->overdue), overdue_cmp);
out:
	sqlite3_finalize(cnt);
	sqlite3_finalize(st);
	sqlite3_finalize(p.events);
	sqlite3_finalize(p.results);
	free(p.ev);
	if (in_tx)
		(void)db_exec(db, "COMMIT");
	if (err) {
		report_free(r);
		return err;
	}
	*out = r;
	return MD_OK;
}

void
report_free(struct report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n_overdue; i++) {
		free(r->overdue[i].number);
		free(r->overdue[i].subject);
	}
	free(r->overdue);
	free(r);
}
