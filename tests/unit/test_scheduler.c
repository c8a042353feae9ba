/*
 * The deadline scheduler against a real database, the real templates and
 * the 2026 mainland calendar, with fixed clocks. Dates used (Asia/Shanghai):
 * Mon 09-21 .. Thu 09-24 are working days, 09-25..27 the Mid-Autumn
 * holiday, Mon 09-28..Wed 09-30 working days, 10-01..07 National Day and
 * Saturday 10-10 a make-up working day.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "calendar.h"
#include "case.h"
#include "log.h"
#include "scheduler.h"
#include "testenv.h"
#include "workflow.h"

#define STAFF1 "staff1@chamber.test"
#define STAFF2 "staff2@chamber.test"
#define LEADER1 "leader1@chamber.test"
#define MEMBER "member@members.test"

struct fx {
	struct testenv te;
	struct calendar *cal;
	struct wf_env env;
	struct wf_actor staff;
};

/* Local time in Shanghai. */
static time_t
at(int y, int m, int d, int h, int mi)
{
	struct calendar_date cd = { y, m, d, 0 };
	time_t t = 0;

	assert_int_equal(calendar_end_of_day("Asia/Shanghai", &cd, &t), MD_OK);
	return t - 86399 + h * 3600 + mi * 60;
}

static time_t
eod(int y, int m, int d)
{
	return at(y, m, d, 23, 59) + 59;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char dir[600];

	if (f == NULL || testenv_setup(&f->te, 0,
	    "staff \"" STAFF2 "\" { name = \"赵干事\" }\n") != 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/contrib/calendar", testenv_srcdir());
	if (calendar_load_dir(dir, stderr, &f->cal) != MD_OK)
		return -1;
	f->env.cfg = f->te.cfg;
	f->env.db = f->te.db;
	f->env.cal = f->cal;
	f->staff.address = STAFF1;
	f->staff.name = "王秘书";
	f->staff.via = WF_VIA_CLI;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	calendar_free(f->cal);
	testenv_teardown(&f->te);
	free(f);
	return 0;
}

/* A case in status with its deadline column set (tier and assignee may be NULL). */
static int64_t
mk_case(struct fx *f, const char *status, const char *column, time_t due, const char *tier,
    const char *assignee, const char *subject)
{
	struct case_new in = {
		.prefix = "MD", .year = 2026, .subject = subject, .text = "诉求正文",
		.requester_name = "张伟", .requester_unit = "华兴公司",
		.requester_email = MEMBER, .submitted_at = at(2026, 9, 14, 9, 0),
	};
	struct db *db = f->te.db;
	int64_t id = 0;

	assert_int_equal(db_begin(db), MD_OK);
	assert_int_equal(case_create(db, &in, in.submitted_at, &id, NULL), MD_OK);
	assert_int_equal(case_set_status(db, id, status, in.submitted_at), MD_OK);
	if (column)
		assert_int_equal(case_set_time(db, id, column, due, in.submitted_at), MD_OK);
	if (tier)
		assert_int_equal(case_set_text(db, id, "tier", tier, in.submitted_at), MD_OK);
	if (assignee)
		assert_int_equal(case_set_text(db, id, "assignee", assignee, in.submitted_at),
		    MD_OK);
	assert_int_equal(db_commit(db), MD_OK);
	return id;
}

static long long
count(struct fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static long long
count(struct fx *f, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return testenv_count(&f->te, sql);
}

/* Notices of kind in the outbox, to rcpt (NULL: anyone). */
static long long
notices(struct fx *f, const char *kind, const char *rcpt)
{
	if (rcpt)
		return count(f, "SELECT count(*) FROM outbox WHERE kind = '%s' AND rcpt = '%s'",
		    kind, rcpt);
	return count(f, "SELECT count(*) FROM outbox WHERE kind = '%s'", kind);
}

static struct scheduler_stats
run(struct fx *f, time_t now)
{
	struct scheduler_stats st;

	assert_int_equal(scheduler_run(&f->env, now, &st), MD_OK);
	assert_int_equal(st.failed, 0);
	return st;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* The decoded (base64) body of the newest outbox notice of kind to rcpt; caller frees. */
static char *
last_body(struct fx *f, const char *kind, const char *rcpt)
{
	sqlite3_stmt *st;
	const char *data, *p;
	char *out;
	size_t len, n = 0;
	unsigned acc = 0;
	int bits = 0, v;

	assert_int_equal(sqlite3_prepare_v2(db_handle(f->te.db), "SELECT b.data FROM outbox o"
	    " JOIN outbox_bytes b USING (id) WHERE o.kind = ? AND o.rcpt = ?"
	    " ORDER BY o.id DESC LIMIT 1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rcpt, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	data = sqlite3_column_blob(st, 0);
	len = (size_t)sqlite3_column_bytes(st, 0);
	p = memmem(data, len, "\r\n\r\n", 4);
	assert_non_null(p);
	out = calloc(1, len + 1);
	assert_non_null(out);
	for (p += 4; p < data + len; p++) {
		if ((v = b64val((unsigned char)*p)) < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	sqlite3_finalize(st);
	return out;
}

static void
assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("\"%s\" not found in:\n%s", needle, hay);
}

static char *
number_of(struct fx *f, int64_t id)
{
	struct case_record *c = NULL;
	char *n;

	assert_int_equal(case_get(f->te.db, id, &c), MD_OK);
	n = strdup(c->number);
	case_record_free(c);
	return n;
}

/* ---- reminders ---- */

static void
test_reminder_exactly_once(void **state)
{
	struct fx *f = *state;
	struct scheduler_stats st;
	int64_t id;
	char *body, *num;

	f->te.cfg->digest_hour = -1;
	id = mk_case(f, "registered", "review_due", eod(2026, 9, 23), NULL, NULL, "厂房租金补贴");
	/* Two working days ahead is outside a one-day reminder window. */
	st = run(f, at(2026, 9, 21, 12, 0));
	assert_int_equal(st.reminders, 0);
	st = run(f, at(2026, 9, 22, 9, 0));
	assert_int_equal(st.reminders, 2);
	/* Unassigned: the secretariat (both) is reminded, not the leadership. */
	assert_int_equal(notices(f, "staff_reminder", STAFF1), 1);
	assert_int_equal(notices(f, "staff_reminder", STAFF2), 1);
	assert_int_equal(notices(f, "staff_reminder", LEADER1), 0);
	body = last_body(f, "staff_reminder", STAFF1);
	num = number_of(f, id);
	assert_contains(body, num);
	assert_contains(body, "审核期限");
	assert_contains(body, "2026年9月23日");
	assert_contains(body, "剩余 1 个工作日");
	free(body);
	free(num);
	/* Later the same day, on the due day, and after a restart: nothing new. */
	st = run(f, at(2026, 9, 22, 17, 0));
	assert_int_equal(st.reminders, 0);
	st = run(f, at(2026, 9, 23, 9, 0));
	assert_int_equal(st.reminders, 0);
	assert_int_equal(notices(f, "staff_reminder", NULL), 2);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders_sent WHERE kind = 'reminder'"),
	    1);
}

static void
test_reminder_goes_to_assignee(void **state)
{
	struct fx *f = *state;
	struct scheduler_stats st;

	f->te.cfg->digest_hour = -1;
	mk_case(f, "handling", "handling_due", eod(2026, 9, 24), "general", STAFF2, "出口退税");
	st = run(f, at(2026, 9, 23, 10, 0));
	assert_int_equal(st.reminders, 1);
	assert_int_equal(notices(f, "staff_reminder", STAFF2), 1);
	assert_int_equal(notices(f, "staff_reminder", STAFF1), 0);
}

static void
test_reminder_window_from_config(void **state)
{
	struct fx *f = *state;
	struct scheduler_stats st;

	f->te.cfg->digest_hour = -1;
	f->te.cfg->reminder_workdays = 3;
	/* Due Tue 09-29: three working days from Wed 09-23 are 24, 28, 29. */
	mk_case(f, "handling", "handling_due", eod(2026, 9, 29), "simple", STAFF2, "用工");
	st = run(f, at(2026, 9, 22, 10, 0));
	assert_int_equal(st.reminders, 0);
	st = run(f, at(2026, 9, 23, 10, 0));
	assert_int_equal(st.reminders, 1);
}

static void
test_unlisted_assignee_falls_back(void **state)
{
	struct fx *f = *state;
	struct scheduler_stats st;

	f->te.cfg->digest_hour = -1;
	mk_case(f, "handling", "handling_due", eod(2026, 9, 24), "simple", "gone@chamber.test",
	    "离职人员的诉求");
	st = run(f, at(2026, 9, 23, 10, 0));
	/* Someone who left is not mailed; the secretariat is. */
	assert_int_equal(st.reminders, 2);
	assert_int_equal(notices(f, "staff_reminder", "gone@chamber.test"), 0);
	assert_int_equal(notices(f, "staff_reminder", STAFF1), 1);
}

static void
test_english_notices(void **state)
{
	struct fx *f = *state;
	char *body;

	f->te.cfg->digest_hour = -1;
	free(f->te.cfg->language);
	f->te.cfg->language = strdup("en");
	assert_non_null(f->te.cfg->language);
	mk_case(f, "handling", "handling_due", eod(2026, 9, 24), "general", STAFF2, "Export");
	run(f, at(2026, 9, 23, 10, 0));
	body = last_body(f, "staff_reminder", STAFF2);
	assert_contains(body, "Dear 赵干事,");
	assert_contains(body, "handling deadline");
	assert_contains(body, "Thursday, 24 September 2026");
	assert_contains(body, "(1 working day left)");
	free(body);
	/* Working days 28, 29 and 30 after Thursday 09-24. */
	run(f, at(2026, 9, 30, 10, 0));
	body = last_body(f, "staff_escalation", LEADER1);
	assert_contains(body, "3 working days overdue");
	free(body);
}

/* ---- escalation ---- */

static void
test_escalation_once_per_deadline(void **state)
{
	struct fx *f = *state;
	struct scheduler_stats st;
	char *body;

	f->te.cfg->digest_hour = -1;
	mk_case(f, "handling", "handling_due", eod(2026, 9, 23), "simple", STAFF2, "物流");
	st = run(f, at(2026, 9, 24, 9, 0));
	assert_int_equal(st.escalations, 2);
	assert_int_equal(notices(f, "staff_escalation", STAFF1), 1);
	assert_int_equal(notices(f, "staff_escalation", STAFF2), 1);
	/* A simple case one working day late stays with the secretariat. */
	assert_int_equal(notices(f, "staff_escalation", LEADER1), 0);
	body = last_body(f, "staff_escalation", STAFF1);
	assert_contains(body, "办结期限");
	assert_contains(body, "2026年9月23日");
	assert_contains(body, "逾期 1 个工作日");
	assert_contains(body, "赵干事");
	free(body);
	/* Again the same day, over the holiday, and two working days late: nothing. */
	st = run(f, at(2026, 9, 24, 18, 0));
	assert_int_equal(st.escalations, 0);
	st = run(f, at(2026, 9, 26, 10, 0));
	assert_int_equal(st.escalations, 0);
	st = run(f, at(2026, 9, 28, 10, 0));
	assert_int_equal(st.escalations, 0);
	assert_int_equal(st.reminders, 0);
	/* Three working days late (24, 28, 29): the leadership hears of it, once. */
	st = run(f, at(2026, 9, 29, 9, 0));
	assert_int_equal(st.escalations, 3);
	assert_int_equal(notices(f, "staff_escalation", LEADER1), 1);
	body = last_body(f, "staff_escalation", LEADER1);
	assert_contains(body, "逾期 3 个工作日");
	free(body);
	st = run(f, at(2026, 9, 30, 9, 0));
	assert_int_equal(st.escalations, 0);
	assert_int_equal(notices(f, "staff_escalation", NULL), 5);
}

static void
test_major_escalates_to_leadership(void **state)
{
	struct fx *f = *state;
	struct scheduler_stats st;

	f->te.cfg->digest_hour = -1;
	mk_case(f, "handling", "handling_due", eod(2026, 9, 23), "major", NULL, "园区拆迁");
	st = run(f, at(2026, 9, 24, 9, 0));
	/* Unassigned major case: secretariat (two) and leadership (one). */
	assert_int_equal(st.escalations, 3);
	assert_int_equal(notices(f, "staff_escalation", LEADER1), 1);
	assert_int_equal(notices(f, "staff_escalation", STAFF1), 1);
	st = run(f, at(2026, 9, 24, 12, 0));
	assert_int_equal(st.escalations, 0);
}

static void
test_long_overdue_after_downtime(void **state)
{
	struct fx *f = *state;
	struct scheduler_stats st;

	f->te.cfg->digest_hour = -1;
	mk_case(f, "rehandling", "rehandling_due", eod(2026, 9, 21), "general", STAFF2, "融资");
	/* First pass five working days late: one escalation, to everybody. */
	st = run(f, at(2026, 9, 29, 10, 0));
	assert_int_equal(st.escalations, 3);
	assert_int_equal(notices(f, "staff_escalation", LEADER1), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders_sent"), 2);
	st = run(f, at(2026, 9, 30, 10, 0));
	assert_int_equal(st.escalations, 0);
	assert_int_equal(st.reminders, 0);
}

static void
test_extension_rearms(void **state)
{
	struct fx *f = *state;
	struct wf_command cmd;
	struct case_record *c = NULL;
	struct scheduler_stats st;
	time_t due1, due2;
	int64_t id;

	f->te.cfg->digest_hour = -1;
	id = mk_case(f, "registered", "review_due", eod(2026, 9, 9), NULL, NULL, "重大项目");
	memset(&cmd, 0, sizeof(cmd));
	cmd.action = WF_ACCEPT;
	cmd.tier = "major";
	cmd.case_id = id;
	assert_int_equal(db_begin(f->te.db), MD_OK);
	assert_int_equal(wf_perform(&f->env, &f->staff, &cmd, at(2026, 9, 7, 10, 0), NULL, NULL),
	    MD_OK);
	assert_int_equal(db_commit(f->te.db), MD_OK);
	assert_int_equal(case_get(f->te.db, id, &c), MD_OK);
	due1 = c->handling_due;
	case_record_free(c);
	/* 15 working days from Mon 09-07 (09-20 worked, 09-25 off): Mon 09-28. */
	assert_int_equal(due1, eod(2026, 9, 28));
	st = run(f, at(2026, 9, 24, 10, 0));
	assert_int_equal(st.reminders, 2);

	memset(&cmd, 0, sizeof(cmd));
	cmd.action = WF_EXTEND;
	cmd.days = 5;
	cmd.reason = "需协调市场监管部门";
	cmd.case_id = id;
	assert_int_equal(db_begin(f->te.db), MD_OK);
	assert_int_equal(wf_perform(&f->env, &f->staff, &cmd, at(2026, 9, 24, 11, 0), NULL,
	    NULL), MD_OK);
	assert_int_equal(db_commit(f->te.db), MD_OK);
	assert_int_equal(case_get(f->te.db, id, &c), MD_OK);
	due2 = c->handling_due;
	case_record_free(c);
	assert_true(due2 > due1);
	/* The old date passing is no longer an escalation. */
	st = run(f, at(2026, 9, 30, 10, 0));
	assert_int_equal(st.escalations, 0);
	assert_int_equal(st.reminders, 0);
	/* The new deadline gets its own reminder, then its own escalation. */
	st = run(f, due2 - 3600);
	assert_int_equal(st.reminders, 2);
	st = run(f, due2 + 3600);
	assert_true(st.escalations > 0);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders_sent WHERE kind = 'reminder'"),
	    2);
	assert_int_equal(notices(f, "staff_reminder", STAFF1), 2);
	assert_int_equal(notices(f, "staff_reminder", LEADER1), 0);
}

/* ---- auto-close ---- */

/* Accept (simple) and resolve case id; returns its feedback deadline. */
static time_t
accept_and_resolve(struct fx *f, int64_t id, time_t when)
{
	struct wf_command cmd;
	struct case_record *c = NULL;
	time_t fd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.action = WF_ACCEPT;
	cmd.tier = "simple";
	cmd.case_id = id;
	assert_int_equal(db_begin(f->te.db), MD_OK);
	assert_int_equal(wf_perform(&f->env, &f->staff, &cmd, when, NULL, NULL), MD_OK);
	memset(&cmd, 0, sizeof(cmd));
	cmd.action = WF_RESOLVE;
	cmd.method = "policy-interpretation";
	cmd.text = "已解读相关政策。";
	cmd.case_id = id;
	assert_int_equal(wf_perform(&f->env, &f->staff, &cmd, when + 60, NULL, NULL), MD_OK);
	assert_int_equal(db_commit(f->te.db), MD_OK);
	assert_int_equal(case_get(f->te.db, id, &c), MD_OK);
	assert_string_equal(c->status, "resolved");
	fd = c->feedback_due;
	case_record_free(c);
	assert_true(fd > when);
	return fd;
}

static void
test_auto_close_without_feedback(void **state)
{
	struct fx *f = *state;
	struct case_record *c = NULL;
	struct scheduler_stats st;
	long days = 0;
	time_t fd;
	int64_t id;
	char *body;

	f->te.cfg->digest_hour = -1;
	id = mk_case(f, "registered", "review_due", eod(2026, 9, 16), NULL, NULL, "政策咨询");
	fd = accept_and_resolve(f, id, at(2026, 9, 15, 10, 0));
	assert_int_equal(calendar_workdays_between(f->cal, "Asia/Shanghai",
	    at(2026, 9, 15, 10, 1), fd, &days, NULL), MD_OK);
	assert_int_equal(days, f->te.cfg->feedback_close_days);
	/* The sender delivered the result notice. */
	assert_int_equal(sqlite3_exec(db_handle(f->te.db), "UPDATE outbox SET status = 'sent'"
	    " WHERE kind = 'result'", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE kind = 'result'"
	    " AND status = 'sent'"), 1);
	st = run(f, fd - 60);
	assert_int_equal(st.closed, 0);
	assert_int_equal(notices(f, "closed", MEMBER), 0);
	st = run(f, fd + 60);
	assert_int_equal(st.closed, 1);
	assert_int_equal(case_get(f->te.db, id, &c), MD_OK);
	assert_string_equal(c->status, "closed");
	case_record_free(c);
	/* The member is told why. */
	assert_int_equal(notices(f, "closed", MEMBER), 1);
	body = last_body(f, "closed", MEMBER);
	assert_contains(body, "未收到您的评价");
	free(body);
	st = run(f, fd + 7200);
	assert_int_equal(st.closed, 0);
	assert_int_equal(notices(f, "closed", MEMBER), 1);
}

static void
test_no_close_while_result_waits(void **state)
{
	struct fx *f = *state;
	struct case_record *c = NULL;
	struct scheduler_stats st;
	time_t fd;
	int64_t id;

	f->te.cfg->digest_hour = -1;
	id = mk_case(f, "registered", "review_due", eod(2026, 9, 16), NULL, NULL, "政策咨询");
	fd = accept_and_resolve(f, id, at(2026, 9, 15, 10, 0));
	/* The result notice is still queued (SMTP down): the member has not seen it. */
	st = run(f, fd + 60);
	assert_int_equal(st.closed, 0);
	assert_int_equal(case_get(f->te.db, id, &c), MD_OK);
	assert_string_equal(c->status, "resolved");
	case_record_free(c);
	/* Its own deadline (art. 15) was missed, and is escalated once. */
	assert_true(st.escalations > 0);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders_sent"
	    " WHERE deadline_column = 'result_notice_due' AND kind = 'escalation'"), 1);
}

/* ---- digest ---- */

static void
test_digest_once_per_working_day(void **state)
{
	struct fx *f = *state;
	struct scheduler_stats st;
	int64_t late, today, soon, fresh;
	char *body, *n1, *n2, *n3, *n4;
	size_t sent = 0;

	f->te.cfg->reminder_workdays = 0;
	late = mk_case(f, "handling", "handling_due", eod(2026, 9, 21), "simple", STAFF2,
	    "逾期的诉求");
	today = mk_case(f, "handling", "handling_due", eod(2026, 9, 22), "general", NULL,
	    "今日到期的诉求");
	soon = mk_case(f, "rehandling", "rehandling_due", eod(2026, 9, 24), "general", NULL,
	    "不久到期的诉求");
	fresh = mk_case(f, "registered", "review_due", eod(2026, 9, 24), NULL, NULL,
	    "新登记的诉求，这个主题特别长，长到在日报里必须截断才能保持一行一件的格式不乱套，后面这些字都不该出现");
	mk_case(f, "closed", NULL, 0, NULL, NULL, "已办结");
	/* Before the hour: nothing. */
	assert_int_equal(scheduler_digest(&f->env, at(2026, 9, 22, 7, 59), &sent), MD_OK);
	assert_int_equal(sent, 0);
	st = run(f, at(2026, 9, 22, 8, 0));
	/* To both secretariat members, not the leadership. */
	assert_int_equal(st.digests, 2);
	assert_int_equal(notices(f, "staff_digest", STAFF1), 1);
	assert_int_equal(notices(f, "staff_digest", STAFF2), 1);
	assert_int_equal(notices(f, "staff_digest", LEADER1), 0);
	body = last_body(f, "staff_digest", STAFF1);
	n1 = number_of(f, late);
	n2 = number_of(f, today);
	n3 = number_of(f, soon);
	n4 = number_of(f, fresh);
	assert_contains(body, "在办诉求共 4 件，其中已逾期 1 件，今日到期 1 件，"
	    "3 个工作日内到期 1 件，新登记待审核 1 件");
	/* Each in its section, in order, with number, state, date, requester. */
	assert_true(strstr(body, "【已逾期】") < strstr(body, n1));
	assert_true(strstr(body, n1) < strstr(body, "【今日到期】"));
	assert_true(strstr(body, "【今日到期】") < strstr(body, n2));
	assert_true(strstr(body, n2) < strstr(body, "【3 个工作日内到期】"));
	assert_true(strstr(body, n3) < strstr(body, "【新登记待审核】"));
	assert_true(strstr(body, "【新登记待审核】") < strstr(body, n4));
	assert_contains(body, "｜办理中｜2026年9月21日（星期一）｜张伟（华兴公司）｜逾期的诉求");
	assert_contains(body, "新登记的诉求，这个主题特别长，长到在日报里必须截断才能保持一行一件的格式不乱套，…");
	assert_null(strstr(body, "后面"));
	assert_null(strstr(body, "已办结"));
	assert_contains(body, "王秘书");
	free(body);
	free(n1);
	free(n2);
	free(n3);
	free(n4);
	/* Not twice the same day, also after a restart (state is in the database). */
	st = run(f, at(2026, 9, 22, 15, 0));
	assert_int_equal(st.digests, 0);
	st = run(f, at(2026, 9, 22, 23, 59));
	assert_int_equal(st.digests, 0);
	/* The next working day again. */
	st = run(f, at(2026, 9, 23, 8, 30));
	assert_int_equal(st.digests, 2);
	assert_int_equal(count(f, "SELECT count(*) FROM digests_sent"), 2);
	assert_int_equal(count(f, "SELECT recipients FROM digests_sent WHERE day = '2026-09-23'"),
	    2);
}

static void
test_digest_working_days_only(void **state)
{
	struct fx *f = *state;
	struct scheduler_stats st;

	mk_case(f, "handling", "handling_due", eod(2026, 9, 30), "simple", NULL, "假期");
	/* National Day (Thursday) and the weekend inside it: none. */
	st = run(f, at(2026, 10, 1, 9, 0));
	assert_int_equal(st.digests, 0);
	st = run(f, at(2026, 10, 3, 9, 0));
	assert_int_equal(st.digests, 0);
	st = run(f, at(2026, 10, 7, 12, 0));
	assert_int_equal(st.digests, 0);
	/* Thursday 10-08 is a working day, and so is Saturday 10-10 (调休). */
	st = run(f, at(2026, 10, 8, 9, 0));
	assert_int_equal(st.digests, 2);
	st = run(f, at(2026, 10, 10, 9, 0));
	assert_int_equal(st.digests, 2);
	/* An ordinary Sunday: none. */
	st = run(f, at(2026, 10, 11, 9, 0));
	assert_int_equal(st.digests, 0);
	/* digest_hour -1: never. */
	f->te.cfg->digest_hour = -1;
	st = run(f, at(2026, 10, 12, 9, 0));
	assert_int_equal(st.digests, 0);
}

static void
test_digest_resumes_after_downtime(void **state)
{
	struct fx *f = *state;
	struct scheduler_stats st;
	time_t next = 0;

	/* Nothing open: only the digest schedules a wake-up. */
	assert_int_equal(scheduler_next_wakeup(&f->env, at(2026, 9, 24, 6, 0), &next), MD_OK);
	assert_int_equal(next, at(2026, 9, 24, 8, 0));
	/* The daemon was down at 08:00 and comes back in the afternoon. */
	st = run(f, at(2026, 9, 24, 16, 30));
	assert_int_equal(st.digests, 2);
	/* Next: Monday 09-28, after the Mid-Autumn holiday and the weekend. */
	assert_int_equal(scheduler_next_wakeup(&f->env, at(2026, 9, 24, 16, 31), &next), MD_OK);
	assert_int_equal(next, at(2026, 9, 28, 8, 0));
	/* Down all of Monday: Tuesday's comes at Tuesday's hour, Monday's never. */
	st = run(f, at(2026, 9, 29, 7, 0));
	assert_int_equal(st.digests, 0);
	st = run(f, at(2026, 9, 29, 8, 1));
	assert_int_equal(st.digests, 2);
	assert_int_equal(count(f, "SELECT count(*) FROM digests_sent WHERE day = '2026-09-28'"),
	    0);
}

/* ---- wake-up and agreement with case list --overdue ---- */

static void
test_next_wakeup(void **state)
{
	struct fx *f = *state;
	time_t next = 0;

	f->te.cfg->digest_hour = -1;
	assert_int_equal(scheduler_next_wakeup(&f->env, at(2026, 9, 21, 10, 0), &next), MD_OK);
	assert_int_equal(next, 0);
	mk_case(f, "handling", "handling_due", eod(2026, 9, 23), "simple", NULL, "唤醒");
	/* Two days ahead: the reminder window opens at a day's start. */
	assert_int_equal(scheduler_next_wakeup(&f->env, at(2026, 9, 21, 10, 0), &next), MD_OK);
	assert_int_equal(next, at(2026, 9, 22, 0, 0));
	run(f, at(2026, 9, 22, 10, 0));
	/* Reminded: next is the deadline passing. */
	assert_int_equal(scheduler_next_wakeup(&f->env, at(2026, 9, 22, 10, 1), &next), MD_OK);
	assert_int_equal(next, eod(2026, 9, 23) + 1);
	/* With the digest on, 08:00 comes first. */
	f->te.cfg->digest_hour = 8;
	assert_int_equal(scheduler_next_wakeup(&f->env, at(2026, 9, 22, 10, 1), &next), MD_OK);
	assert_int_equal(next, at(2026, 9, 23, 8, 0));
}

static void
test_overdue_agrees_with_case_list(void **state)
{
	struct fx *f = *state;
	struct case_filter filter;
	struct case_record *v = NULL;
	size_t n = 0;
	time_t now = at(2026, 9, 22, 9, 0);
	char *body;

	mk_case(f, "registered", "review_due", eod(2026, 9, 21), NULL, NULL, "a");
	mk_case(f, "handling", "handling_due", eod(2026, 9, 18), "simple", NULL, "b");
	mk_case(f, "rehandling", "rehandling_due", eod(2026, 9, 21), "simple", NULL, "c");
	mk_case(f, "handling", "handling_due", eod(2026, 9, 22), "simple", NULL, "d");
	mk_case(f, "resolved", "feedback_due", eod(2026, 9, 30), "simple", NULL, "e");
	memset(&filter, 0, sizeof(filter));
	filter.overdue_at = now;
	assert_int_equal(case_list(f->te.db, &filter, &v, &n), MD_OK);
	case_list_free(v, n);
	assert_int_equal(n, 3);
	run(f, now);
	body = last_body(f, "staff_digest", STAFF1);
	assert_contains(body, "已逾期 3 件");
	assert_contains(body, "在办诉求共 5 件");
	free(body);
}

static void
test_refuses_open_transaction(void **state)
{
	struct fx *f = *state;

	assert_int_equal(db_begin(f->te.db), MD_OK);
	assert_int_equal(scheduler_run(&f->env, at(2026, 9, 22, 9, 0), NULL), MD_ERR_STATE);
	assert_int_equal(db_rollback(f->te.db), MD_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reminder_exactly_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reminder_goes_to_assignee, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reminder_window_from_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlisted_assignee_falls_back, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_english_notices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escalation_once_per_deadline, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_major_escalates_to_leadership, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_long_overdue_after_downtime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extension_rearms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_close_without_feedback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_close_while_result_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_digest_once_per_working_day, setup, teardown),
		cmocka_unit_test_setup_teardown(test_digest_working_days_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_digest_resumes_after_downtime, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_next_wakeup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overdue_agrees_with_case_list, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refuses_open_transaction, setup, teardown),
	};

	log_init("test_scheduler", 1, LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
