/*
 * The case life cycle against a real database, the real templates and the
 * 2026 mainland calendar, at a fixed time: Monday 2026-09-28 10:00 in
 * Shanghai, just before the National Day holiday (10-01..10-07, with the
 * Saturday 10-10 worked), so every deadline below crosses it.
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
#include "deadline.h"
#include "log.h"
#include "testenv.h"
#include "workflow.h"

#define NOW ((time_t)1790560800)        /* 2026-09-28 10:00 +08:00, Monday */
#define DAY 86400

struct fx {
	struct testenv te;
	struct calendar *cal;
	struct wf_env env;
	struct wf_actor staff;
	struct buf out;
};

/* End of a local day in Shanghai (deadlines are 23:59:59 of their day). */
static time_t
eod(int y, int m, int d)
{
	struct calendar_date cd = { y, m, d, 0 };
	time_t t = 0;

	assert_int_equal(calendar_end_of_day("Asia/Shanghai", &cd, &t), MD_OK);
	return t;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char dir[600];

	if (f == NULL || testenv_setup(&f->te, 0, NULL) != 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/contrib/calendar", testenv_srcdir());
	if (calendar_load_dir(dir, stderr, &f->cal) != MD_OK)
		return -1;
	f->env.cfg = f->te.cfg;
	f->env.db = f->te.db;
	f->env.cal = f->cal;
	f->staff.address = "staff1@chamber.test";
	f->staff.name = "王秘书";
	f->staff.via = WF_VIA_MAIL;
	buf_init(&f->out, 65536);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	buf_free(&f->out);
	calendar_free(f->cal);
	testenv_teardown(&f->te);
	free(f);
	return 0;
}

static int64_t
new_case(struct fx *f, const char *email, const char *name, const char *subject)
{
	struct case_new in = {
		.prefix = "MD", .year = 2026, .subject = subject, .text = "诉求正文",
		.requester_name = name, .requester_unit = "华兴公司",
		.requester_email = email, .submitted_at = NOW - 3600,
	};
	int64_t id = 0;

	assert_int_equal(db_begin(f->te.db), MD_OK);
	assert_int_equal(case_create(f->te.db, &in, NOW - 3600, &id, NULL), MD_OK);
	assert_int_equal(db_commit(f->te.db), MD_OK);
	return id;
}

/* Run one command in its own transaction; commit on success, roll back otherwise. */
static enum md_err
run(struct fx *f, struct wf_command *cmd, int64_t id, time_t now)
{
	enum md_err err;

	cmd->case_id = id;
	buf_reset(&f->out);
	assert_int_equal(db_begin(f->te.db), MD_OK);
	err = wf_perform(&f->env, &f->staff, cmd, now, NULL, &f->out);
	if (err == MD_OK)
		assert_int_equal(db_commit(f->te.db), MD_OK);
	else
		assert_int_equal(db_rollback(f->te.db), MD_OK);
	/* Every outcome is explained in exactly one line. */
	assert_non_null(f->out.data);
	assert_null(strchr(f->out.data, '\n'));
	return err;
}

static struct case_record *
get(struct fx *f, int64_t id)
{
	struct case_record *c = NULL;

	assert_int_equal(case_get(f->te.db, id, &c), MD_OK);
	return c;
}

static void
assert_status(struct fx *f, int64_t id, const char *status)
{
	struct case_record *c = get(f, id);

	assert_string_equal(c->status, status);
	case_record_free(c);
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

/* Outgoing notices of a case whose decoded text contains needle. */
static long long
notices_with(struct fx *f, int64_t id, const char *needle)
{
	return count(f, "SELECT count(*) FROM messages WHERE case_id = %lld AND direction = 'out'"
	    " AND instr(text, '%s') > 0", (long long)id, needle);
}

static long long
outbox_to(struct fx *f, const char *kind, const char *rcpt)
{
	return count(f, "SELECT count(*) FROM outbox WHERE kind = '%s' AND rcpt = '%s'", kind,
	    rcpt);
}

static void
accept(struct fx *f, int64_t id, const char *tier)
{
	struct wf_command cmd = { .action = WF_ACCEPT, .tier = tier };

	assert_int_equal(run(f, &cmd, id, NOW), MD_OK);
}

static void
resolve(struct fx *f, int64_t id, time_t now)
{
	struct wf_command cmd = { .action = WF_RESOLVE, .method = "policy-interpretation",
	    .text = "已向您解读相关税收政策。" };

	assert_int_equal(run(f, &cmd, id, now), MD_OK);
}

static void
test_accept_each_tier(void **state)
{
	static const struct {
		const char *tier;
		int m, d;
		const char *date;
	} t[] = {
		{ "simple", 10, 8, "2026年10月8日（星期四）" },
		{ "general", 10, 13, "2026年10月13日（星期二）" },
		{ "major", 10, 23, "2026年10月23日（星期五）" },
	};
	struct fx *f = *state;
	struct case_record *c;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int64_t id = new_case(f, "zhang@qq.com", "张三", "税收政策咨询");

		accept(f, id, t[i].tier);
		c = get(f, id);
		assert_string_equal(c->status, "handling");
		assert_string_equal(c->tier, t[i].tier);
		assert_int_equal(c->accepted_at, NOW);
		assert_int_equal(c->handling_due, eod(2026, t[i].m, t[i].d));
		case_record_free(c);
		/* The member's notice, and the leadership's for a major case. */
		assert_int_equal(notices_with(f, id, t[i].date), i == 2 ? 2 : 1);
		assert_non_null(strstr(f->out.data, t[i].date));
		assert_int_equal(count(f, "SELECT count(*) FROM case_events WHERE case_id = %lld"
		    " AND kind = 'accepted' AND actor = 'staff1@chamber.test' AND via = 'mail'",
		    (long long)id), 1);
	}
	assert_int_equal(outbox_to(f, "accepted", "zhang@qq.com"), 3);
	/* Art. 11(3): only the major case goes to the leadership. */
	assert_int_equal(outbox_to(f, "staff_major_case", "leader1@chamber.test"), 1);
	assert_int_equal(outbox_to(f, "staff_major_case", "staff1@chamber.test"), 0);
}

static void
test_reject_each_ground(void **state)
{
	static const char *const grounds[] = { "outside-remit", "legal-process", "no-basis",
	    "unlawful", "other" };
	static const char *const labels[] = { "不属于商会职责范围", "仲裁程序", "无事实依据",
	    "违反法律法规", "其他不符合受理条件" };
	struct fx *f = *state;
	struct case_record *c;
	size_t i;

	for (i = 0; i < 5; i++) {
		int64_t id = new_case(f, "li@163.com", "李四", "合同纠纷");
		struct wf_command cmd = { .action = WF_REJECT, .ground = grounds[i],
		    .text = "该事项已由法院受理。", .channel = i == 0 ? "12345 政务服务热线" : NULL };

		assert_int_equal(run(f, &cmd, id, NOW), MD_OK);
		c = get(f, id);
		assert_string_equal(c->status, "rejected");
		assert_string_equal(c->reject_ground, grounds[i]);
		case_record_free(c);
		assert_int_equal(notices_with(f, id, labels[i]), 1);
		assert_int_equal(notices_with(f, id, "该事项已由法院受理。"), 1);
		assert_int_equal(notices_with(f, id, "12345 政务服务热线"), i == 0);
	}
	assert_int_equal(outbox_to(f, "rejected", "li@163.com"), 5);
}

static void
test_reject_needs_ground_and_explanation(void **state)
{
	struct fx *f = *state;
	int64_t id = new_case(f, "li@163.com", "李四", "合同纠纷");
	struct wf_command cmd = { .action = WF_REJECT, .ground = "bogus", .text = "x" };

	assert_int_equal(run(f, &cmd, id, NOW), MD_ERR_INPUT);
	cmd.ground = "unlawful";
	cmd.text = "  \n";
	assert_int_equal(run(f, &cmd, id, NOW), MD_ERR_INPUT);
	assert_status(f, id, "registered");
	assert_int_equal(count(f, "SELECT count(*) FROM outbox"), 0);
}

/* Every action refused in a status leaves the case and its history as they were. */
static void
assert_refused(struct fx *f, int64_t id, struct wf_command *cmd, const char *status)
{
	long long events = count(f, "SELECT count(*) FROM case_events WHERE case_id = %lld",
	    (long long)id);
	long long out = count(f, "SELECT count(*) FROM outbox");

	assert_int_equal(run(f, cmd, id, NOW + DAY), MD_ERR_STATE);
	assert_status(f, id, status);
	assert_int_equal(count(f, "SELECT count(*) FROM case_events WHERE case_id = %lld",
	    (long long)id), events);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox"), out);
}

static void
test_illegal_transitions(void **state)
{
	struct fx *f = *state;
	int64_t id = new_case(f, "zhang@qq.com", "张三", "咨询");
	struct wf_command resolve_cmd = { .action = WF_RESOLVE, .method = "policy-interpretation",
	    .text = "x" };
	struct wf_command progress = { .action = WF_PROGRESS, .text = "x" };
	struct wf_command extend = { .action = WF_EXTEND, .days = 3, .reason = "x" };
	struct wf_command feedback = { .action = WF_FEEDBACK,
	    .feedback = WF_FEEDBACK_SATISFIED };
	struct wf_command acc = { .action = WF_ACCEPT, .tier = "simple" };
	struct wf_command rej = { .action = WF_REJECT, .ground = "other", .text = "x" };
	struct wf_command archive = { .action = WF_ARCHIVE };
	struct wf_command reopen = { .action = WF_REOPEN, .reason = "x" };
	struct wf_command closecmd = { .action = WF_CLOSE };
	struct wf_command reply = { .action = WF_REPLY, .text = "x" };

	/* registered */
	assert_refused(f, id, &resolve_cmd, "registered");
	assert_non_null(strstr(f->out.data, "请先受理"));
	assert_refused(f, id, &progress, "registered");
	assert_refused(f, id, &feedback, "registered");
	assert_refused(f, id, &archive, "registered");
	assert_refused(f, id, &reopen, "registered");
	assert_refused(f, id, &closecmd, "registered");
	/* handling */
	accept(f, id, "simple");
	assert_refused(f, id, &acc, "handling");
	assert_refused(f, id, &rej, "handling");
	assert_refused(f, id, &feedback, "handling");
	assert_refused(f, id, &extend, "handling");   /* simple: art. 11(3) is for major */
	assert_non_null(strstr(f->out.data, "重大复杂"));
	/* resolved */
	resolve(f, id, NOW);
	assert_refused(f, id, &resolve_cmd, "resolved");
	assert_refused(f, id, &progress, "resolved");
	assert_refused(f, id, &archive, "resolved");
	/* closed: the message names the way out, in English too */
	feedback.feedback = WF_FEEDBACK_SATISFIED;
	assert_int_equal(run(f, &feedback, id, NOW), MD_OK);
	{
		char *saved = f->te.cfg->language;

		f->te.cfg->language = (char *)"en";
		assert_refused(f, id, &progress, "closed");
		f->te.cfg->language = saved;
	}
	assert_non_null(strstr(f->out.data, "is closed; reopen it first"));
	assert_non_null(strstr(f->out.data, "nothing changed"));
	assert_refused(f, id, &acc, "closed");
	assert_refused(f, id, &resolve_cmd, "closed");
	assert_refused(f, id, &feedback, "closed");
	/* archived: only notes */
	assert_int_equal(run(f, &archive, id, NOW), MD_OK);
	assert_refused(f, id, &reopen, "archived");
	assert_refused(f, id, &reply, "archived");
	assert_refused(f, id, &closecmd, "archived");
	{
		struct wf_command note = { .action = WF_NOTE, .text = "归档后补记" };

		assert_int_equal(run(f, &note, id, NOW), MD_OK);
	}
}

static void
test_unknown_case_and_no_transaction(void **state)
{
	struct fx *f = *state;
	struct wf_command cmd = { .action = WF_ACCEPT, .tier = "simple",
	    .case_number = "MD-2026-9999" };

	assert_int_equal(run(f, &cmd, 0, NOW), MD_ERR_NOTFOUND);
	assert_non_null(strstr(f->out.data, "MD-2026-9999"));
	cmd.case_number = NULL;
	cmd.case_id = new_case(f, "a@b.cn", "甲", "x");
	assert_int_equal(wf_perform(&f->env, &f->staff, &cmd, NOW, NULL, NULL), MD_ERR_STATE);
	assert_status(f, cmd.case_id, "registered");
}

static void
test_resolve_then_satisfied_close(void **state)
{
	struct fx *f = *state;
	int64_t id = new_case(f, "zhang@qq.com", "张三", "税收政策咨询");
	struct wf_command fb = { .action = WF_FEEDBACK, .feedback = WF_FEEDBACK_SATISFIED };
	struct case_record *c;

	accept(f, id, "simple");
	resolve(f, id, NOW);
	c = get(f, id);
	assert_string_equal(c->status, "resolved");
	assert_string_equal(c->method, "policy-interpretation");
	assert_int_equal(c->resolved_at, NOW);
	/* Art. 15: result within 1 working day; feedback window 5 working days
	 * (the default), which ends on the worked Saturday 10-10. */
	assert_int_equal(c->result_notice_due, eod(2026, 9, 29));
	assert_int_equal(c->feedback_due, eod(2026, 10, 10));
	case_record_free(c);
	assert_int_equal(notices_with(f, id, "已向您解读相关税收政策。"), 1);
	assert_int_equal(notices_with(f, id, "政策解读"), 1);
	assert_int_equal(notices_with(f, id, "2026年10月10日（星期六）"), 1);
	assert_int_equal(notices_with(f, id, "满意"), 1);

	assert_int_equal(run(f, &fb, id, NOW + DAY), MD_OK);
	c = get(f, id);
	assert_string_equal(c->status, "closed");
	assert_string_equal(c->satisfaction, "satisfied");
	assert_int_equal(c->closed_at, NOW + DAY);
	case_record_free(c);
	assert_int_equal(outbox_to(f, "closed", "zhang@qq.com"), 1);
}

static void
test_unsatisfied_rehandling(void **state)
{
	struct fx *f = *state;
	int64_t id = new_case(f, "zhang@qq.com", "张三", "融资难");
	struct wf_command fb = { .action = WF_FEEDBACK, .feedback = WF_FEEDBACK_UNSATISFIED,
	    .reason = "银行仍未放款" };
	struct case_record *c;

	accept(f, id, "general");
	resolve(f, id, NOW - 2 * DAY);
	assert_int_equal(run(f, &fb, id, NOW), MD_OK);
	c = get(f, id);
	assert_string_equal(c->status, "rehandling");
	assert_string_equal(c->satisfaction, "unsatisfied");
	/* Art. 16: 3 working days, across National Day. */
	assert_int_equal(c->rehandling_due, eod(2026, 10, 8));
	assert_int_equal(c->feedback_due, 0);
	case_record_free(c);
	assert_int_equal(notices_with(f, id, "银行仍未放款"), 1);
	assert_int_equal(notices_with(f, id, "2026年10月8日（星期四）"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM case_events WHERE case_id = %lld AND"
	    " kind = 'feedback' AND detail LIKE 'unsatisfied: 银行仍未放款'", (long long)id), 1);
	/* A new result goes out and the cycle starts again. */
	resolve(f, id, NOW + DAY);
	assert_status(f, id, "resolved");
	assert_int_equal(outbox_to(f, "result", "zhang@qq.com"), 2);
}

static void
test_feedback_scores(void **state)
{
	struct fx *f = *state;
	int64_t a = new_case(f, "a@qq.com", "甲", "x"), b = new_case(f, "b@qq.com", "乙", "y");
	struct wf_command fb = { .action = WF_FEEDBACK, .feedback = WF_FEEDBACK_SCORE };

	accept(f, a, "simple");
	resolve(f, a, NOW);
	accept(f, b, "simple");
	resolve(f, b, NOW);
	fb.score = 0;
	assert_int_equal(run(f, &fb, a, NOW), MD_ERR_INPUT);
	fb.score = 6;
	assert_int_equal(run(f, &fb, a, NOW), MD_ERR_INPUT);
	fb.score = 2;
	assert_int_equal(run(f, &fb, a, NOW), MD_OK);
	assert_status(f, a, "rehandling");
	fb.score = 3;
	assert_int_equal(run(f, &fb, b, NOW), MD_OK);
	assert_status(f, b, "closed");
	assert_int_equal(count(f, "SELECT count(*) FROM cases WHERE satisfaction = '3'"), 1);
}

static void
test_extend_major_only(void **state)
{
	struct fx *f = *state;
	int64_t id = new_case(f, "zhang@qq.com", "张三", "跨部门协调");
	struct wf_command ext = { .action = WF_EXTEND, .days = 5, .reason = "需提交理事会研究" };
	struct case_record *c;

	accept(f, id, "major");
	ext.days = 0;
	assert_int_equal(run(f, &ext, id, NOW), MD_ERR_INPUT);
	ext.days = 5;
	ext.reason = NULL;
	assert_int_equal(run(f, &ext, id, NOW), MD_ERR_INPUT);
	ext.reason = "需提交理事会研究";
	assert_int_equal(run(f, &ext, id, NOW + DAY), MD_OK);
	c = get(f, id);
	assert_int_equal(c->handling_due, eod(2026, 10, 30));
	assert_int_equal(c->extended_count, 1);
	case_record_free(c);
	assert_int_equal(notices_with(f, id, "需提交理事会研究"), 1);
	assert_int_equal(notices_with(f, id, "2026年10月30日（星期五）"), 1);
	/* member's acceptance, leadership's notice, and the extension's old date */
	assert_int_equal(notices_with(f, id, "2026年10月23日（星期五）"), 3);
}

static void
test_type_tier_assign_note_progress(void **state)
{
	struct fx *f = *state;
	int64_t id = new_case(f, "zhang@qq.com", "张三", "用工政策");
	struct wf_command cmd = { .action = WF_SET_TYPE, .type = "policy" };
	long long out;

	assert_int_equal(run(f, &cmd, id, NOW), MD_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM case_events WHERE kind = 'type-corrected'"
	    " AND detail = '{\"old\":\"other\",\"new\":\"policy\"}'"), 1);
	cmd.type = "nonsense";
	assert_int_equal(run(f, &cmd, id, NOW), MD_ERR_INPUT);

	accept(f, id, "simple");
	/* A new tier counts again from acceptance, not from the change. */
	cmd.action = WF_SET_TIER;
	cmd.tier = "general";
	assert_int_equal(run(f, &cmd, id, NOW + 2 * DAY), MD_OK);
	{
		struct case_record *c = get(f, id);

		assert_int_equal(c->handling_due, eod(2026, 10, 13));
		case_record_free(c);
	}
	/* The member is told the new tier and the new date, and the old one. */
	assert_int_equal(outbox_to(f, "tier_changed", "zhang@qq.com"), 1);
	assert_int_equal(notices_with(f, id, "由简单诉求调整为一般诉求"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM messages WHERE case_id = %lld"
	    " AND direction = 'out' AND instr(text, '由简单诉求调整为一般诉求') > 0"
	    " AND instr(text, '预计 2026年10月13日') > 0 AND instr(text, '7 个工作日') > 0",
	    (long long)id), 1);
	assert_int_equal(outbox_to(f, "staff_major_case", "leader1@chamber.test"), 0);
	assert_non_null(strstr(f->out.data, "2026年10月13日"));
	cmd.action = WF_ASSIGN;
	cmd.address = "nobody@chamber.test";
	assert_int_equal(run(f, &cmd, id, NOW), MD_ERR_NOTFOUND);
	cmd.address = "STAFF1@chamber.test";
	assert_int_equal(run(f, &cmd, id, NOW), MD_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM cases WHERE assignee ="
	    " 'staff1@chamber.test'"), 1);

	out = count(f, "SELECT count(*) FROM outbox");
	cmd.action = WF_NOTE;
	cmd.text = "内部：会员情绪激动，注意沟通方式";
	assert_int_equal(run(f, &cmd, id, NOW), MD_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox"), out);   /* never sent */
	assert_int_equal(notices_with(f, id, "情绪激动"), 0);

	cmd.action = WF_PROGRESS;
	cmd.text = "已与区人社局沟通，下周答复。";
	assert_int_equal(run(f, &cmd, id, NOW), MD_OK);
	assert_int_equal(notices_with(f, id, "已与区人社局沟通"), 1);
	/* the tier change's notice and the progress notice */
	assert_int_equal(notices_with(f, id, "2026年10月13日"), 2);
}

static void
test_tier_to_major_goes_to_leadership(void **state)
{
	struct fx *f = *state;
	int64_t id = new_case(f, "zhang@qq.com", "张三", "多家会员企业用地纠纷");
	int64_t reg = new_case(f, "li@qq.com", "李四", "园区道路");
	struct wf_command cmd = { .action = WF_SET_TIER, .tier = "major" };

	accept(f, id, "general");
	assert_int_equal(run(f, &cmd, id, NOW + DAY), MD_OK);
	/* Art. 11(3) reached later: the leadership gets the case now. */
	assert_int_equal(outbox_to(f, "staff_major_case", "leader1@chamber.test"), 1);
	assert_int_equal(outbox_to(f, "tier_changed", "zhang@qq.com"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM messages WHERE case_id = %lld"
	    " AND direction = 'out' AND instr(text, '由一般诉求调整为重大复杂诉求') > 0"
	    " AND instr(text, '15 个工作日') > 0 AND instr(text, '提交会长办公会或理事会研究') > 0",
	    (long long)id), 1);
	/* A tier set before acceptance tells nobody: the acceptance will. */
	cmd.tier = "simple";
	assert_int_equal(run(f, &cmd, reg, NOW), MD_OK);
	assert_int_equal(outbox_to(f, "tier_changed", "li@qq.com"), 0);
	/* Major again to general and back: the leadership is not told twice. */
	cmd.tier = "general";
	assert_int_equal(run(f, &cmd, id, NOW + DAY), MD_OK);
	assert_int_equal(outbox_to(f, "tier_changed", "zhang@qq.com"), 2);
	assert_int_equal(count(f, "SELECT count(*) FROM messages WHERE case_id = %lld"
	    " AND direction = 'out' AND instr(text, '由重大复杂诉求调整为一般诉求') > 0"
	    " AND instr(text, '提交会长办公会') = 0", (long long)id), 1);
}

static void
test_merge_notifies_every_member(void **state)
{
	struct fx *f = *state;
	int64_t p = new_case(f, "a@qq.com", "甲", "园区停电"),
	    b = new_case(f, "b@163.com", "乙", "园区停电影响生产"),
	    c = new_case(f, "c@126.com", "丙", "停电问题"),
	    done = new_case(f, "d@qq.com", "丁", "已结");
	struct case_record *pr, *br;
	const char *others[] = { "MD-2026-0002", "MD-2026-0003" };
	const char *closed[] = { "MD-2026-0004" };
	const char *self[] = { "MD-2026-0001" };
	struct wf_command m = { .action = WF_MERGE, .others = others, .n_others = 2 };
	struct wf_command prog = { .action = WF_PROGRESS, .text = "已约供电公司座谈。" };
	struct wf_command rej = { .action = WF_REJECT, .ground = "other", .text = "x" };

	accept(f, p, "major");
	assert_int_equal(run(f, &rej, done, NOW), MD_OK);
	/* Refused merges change nothing, not even the valid part. */
	m.others = self;
	m.n_others = 1;
	assert_int_equal(run(f, &m, p, NOW), MD_ERR_INPUT);
	m.others = closed;
	assert_int_equal(run(f, &m, p, NOW), MD_ERR_STATE);
	assert_status(f, done, "rejected");

	m.others = others;
	m.n_others = 2;
	assert_int_equal(run(f, &m, p, NOW), MD_OK);
	br = get(f, b);
	assert_string_equal(br->status, "merged");
	assert_int_equal(br->joint_parent_id, p);
	case_record_free(br);
	assert_status(f, c, "merged");
	assert_int_equal(outbox_to(f, "merged", "b@163.com"), 1);
	assert_int_equal(outbox_to(f, "merged", "c@126.com"), 1);
	assert_int_equal(outbox_to(f, "merged", "a@qq.com"), 0);

	/* From now on every member hears of the joint case, under their own number. */
	assert_int_equal(run(f, &prog, p, NOW + DAY), MD_OK);
	assert_int_equal(outbox_to(f, "progress", "a@qq.com"), 1);
	assert_int_equal(outbox_to(f, "progress", "b@163.com"), 1);
	assert_int_equal(outbox_to(f, "progress", "c@126.com"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox o JOIN messages m ON"
	    " m.message_id = o.message_id WHERE o.kind = 'progress' AND o.rcpt = 'b@163.com'"
	    " AND m.subject LIKE '[MD-2026-0002]%%' AND instr(m.text, '园区停电影响生产') > 0"
	    " AND instr(m.text, '乙') > 0 AND instr(m.text, '甲') = 0"), 1);
	resolve(f, p, NOW + 2 * DAY);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE kind = 'result'"), 3);
	/* A merged case is worked on through its joint case. */
	assert_int_equal(run(f, &prog, b, NOW), MD_ERR_STATE);
	pr = get(f, p);
	assert_string_equal(pr->status, "resolved");
	case_record_free(pr);
}

static void
test_reopen(void **state)
{
	struct fx *f = *state;
	int64_t id = new_case(f, "zhang@qq.com", "张三", "咨询"),
	    r = new_case(f, "li@qq.com", "李四", "咨询");
	struct wf_command cl = { .action = WF_CLOSE };
	struct wf_command ro = { .action = WF_REOPEN };
	struct wf_command rej = { .action = WF_REJECT, .ground = "outside-remit", .text = "x" };

	accept(f, id, "general");
	/* Closing an unresolved case needs a reason. */
	assert_int_equal(run(f, &cl, id, NOW), MD_ERR_INPUT);
	cl.reason = "会员撤回诉求";
	assert_int_equal(run(f, &cl, id, NOW), MD_OK);
	assert_int_equal(run(f, &ro, id, NOW), MD_ERR_INPUT);
	ro.reason = "会员补充了新材料";
	assert_int_equal(run(f, &ro, id, NOW), MD_OK);
	{
		struct case_record *c = get(f, id);

		assert_string_equal(c->status, "handling");
		assert_int_equal(c->handling_due, eod(2026, 10, 13));
		assert_int_equal(c->closed_at, 0);
		case_record_free(c);
	}
	assert_int_equal(notices_with(f, id, "会员补充了新材料"), 1);
	/* A rejected case never had a tier: reopening asks for one. */
	assert_int_equal(run(f, &rej, r, NOW), MD_OK);
	assert_int_equal(run(f, &ro, r, NOW), MD_ERR_INPUT);
	ro.tier = "simple";
	assert_int_equal(run(f, &ro, r, NOW), MD_OK);
	assert_status(f, r, "handling");
}

static void
test_register_on_behalf(void **state)
{
	struct fx *f = *state;
	struct wf_actor cli = { NULL, "clerk", WF_VIA_CLI, 0 };
	struct wf_command reg = { .action = WF_REGISTER, .channel = "visit",
	    .address = "Zhao@QQ.com", .subject = "来访反映厂房租金问题", .text = "来访记录……" };
	struct wf_result res;
	struct case_record *c;

	assert_int_equal(db_begin(f->te.db), MD_OK);
	assert_int_equal(wf_perform(&f->env, &cli, &reg, NOW, &res, &f->out), MD_OK);
	assert_int_equal(db_commit(f->te.db), MD_OK);
	assert_string_equal(res.case_number, "MD-2026-0001");
	c = get(f, res.case_id);
	assert_string_equal(c->channel, "visit");
	assert_string_equal(c->requester_email, "zhao@qq.com");
	assert_int_equal(c->review_due, eod(2026, 9, 30));
	case_record_free(c);
	assert_int_equal(outbox_to(f, "ack", "zhao@qq.com"), 1);
	assert_int_equal(outbox_to(f, "staff_new_case", "staff1@chamber.test"), 1);
	assert_int_equal(outbox_to(f, "staff_new_case", "leader1@chamber.test"), 0);
	assert_int_equal(notices_with(f, res.case_id, "2026年9月30日（星期三）"), 2);
	assert_int_equal(count(f, "SELECT count(*) FROM case_events WHERE kind ="
	    " 'registered-on-behalf' AND actor = 'clerk' AND via = 'cli'"), 1);

	/* By name only: registered, no acknowledgement. */
	reg.address = NULL;
	reg.name = "钱老板";
	reg.channel = "meeting";
	assert_int_equal(db_begin(f->te.db), MD_OK);
	assert_int_equal(wf_perform(&f->env, &cli, &reg, NOW, &res, &f->out), MD_OK);
	assert_int_equal(db_commit(f->te.db), MD_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE kind = 'ack'"), 1);

	reg.channel = "email";
	assert_int_equal(run(f, &reg, 0, NOW), MD_ERR_INPUT);
	reg.channel = "phone";
	reg.text = "";
	assert_int_equal(run(f, &reg, 0, NOW), MD_ERR_INPUT);
	assert_int_equal(count(f, "SELECT count(*) FROM cases"), 2);
}

static void
test_relay_reply_and_announce(void **state)
{
	struct fx *f = *state;
	int64_t id = new_case(f, "zhang@qq.com", "张三", "咨询"), row;
	struct case_record *c;

	/* The message the reply came from is recorded with the event. */
	assert_int_equal(count(f, "SELECT 1"), 1);
	assert_int_equal(sqlite3_exec(db_handle(f->te.db), "INSERT INTO messages (sha256, raw,"
	    " direction, received_at) VALUES ('x', 'raw', 'in', 1)", NULL, NULL, NULL), SQLITE_OK);
	row = sqlite3_last_insert_rowid(db_handle(f->te.db));
	f->staff.message_row = row;
	assert_int_equal(db_begin(f->te.db), MD_OK);
	assert_int_equal(wf_announce_new_case(&f->env, id, "可能涉及第八条：已进入诉讼", NOW),
	    MD_OK);
	assert_int_equal(wf_relay_reply(&f->env, &f->staff, id, "您好，材料已收到。", NOW,
	    &f->out), MD_OK);
	assert_int_equal(db_commit(f->te.db), MD_OK);
	c = get(f, id);
	/* Registered at 09:00 on Monday: review by Wednesday, before the holiday. */
	assert_int_equal(c->review_due, eod(2026, 9, 30));
	case_record_free(c);
	assert_int_equal(outbox_to(f, "staff_new_case", "staff1@chamber.test"), 1);
	assert_int_equal(notices_with(f, id, "可能涉及第八条"), 1);
	assert_int_equal(outbox_to(f, "reply", "zhang@qq.com"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM case_events WHERE kind ="
	    " 'handling-record' AND detail = '您好，材料已收到。' AND message_id = %lld",
	    (long long)row), 1);
	/* A person's reply is not marked as automatic mail (bytes wherever they are kept). */
	assert_int_equal(count(f, "SELECT count(*) FROM outbox o JOIN outbox_bytes b USING (id)"
	    " WHERE o.kind = 'reply' AND instr(CAST(b.data AS TEXT), 'Auto-Submitted') = 0"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox o JOIN outbox_bytes b USING (id)"
	    " WHERE o.kind = 'staff_new_case'"
	    " AND instr(CAST(b.data AS TEXT), 'Auto-Submitted') > 0"), 1);
	/* The signature is the acting staff member's configured name. */
	assert_int_equal(notices_with(f, id, "王秘书"), 1);
}

static void
test_scheduler_close_and_overdue(void **state)
{
	struct fx *f = *state;
	struct wf_actor sys = { NULL, "system", WF_VIA_SYSTEM, 0 };
	int64_t id = new_case(f, "zhang@qq.com", "张三", "咨询");
	struct case_filter filt = { 0 };
	struct case_record *v = NULL, *c;
	size_t n = 0;

	accept(f, id, "simple");
	c = get(f, id);
	assert_false(wf_case_overdue(c, eod(2026, 10, 8)));
	assert_true(wf_case_overdue(c, eod(2026, 10, 8) + 1));
	case_record_free(c);
	filt.overdue_at = eod(2026, 10, 9);
	assert_int_equal(case_list(f->te.db, &filt, &v, &n), MD_OK);
	assert_int_equal(n, 1);
	case_list_free(v, n);
	filt.overdue_at = NOW;
	assert_int_equal(case_list(f->te.db, &filt, &v, &n), MD_OK);
	assert_int_equal(n, 0);
	case_list_free(v, n);

	resolve(f, id, NOW);
	assert_int_equal(db_begin(f->te.db), MD_OK);
	assert_int_equal(wf_close(&f->env, &sys, id, "no-feedback", NOW + 14 * DAY, &f->out),
	    MD_OK);
	assert_int_equal(db_commit(f->te.db), MD_OK);
	assert_status(f, id, "closed");
	assert_int_equal(notices_with(f, id, "未收到您的评价"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM case_events WHERE kind = 'closed' AND"
	    " actor = 'system' AND via = 'system'"), 1);
}

static void
test_vocabulary(void **state)
{
	enum wf_action a;

	(void)state;
	assert_int_equal(wf_action_from_name("resolve", &a), MD_OK);
	assert_int_equal(a, WF_RESOLVE);
	assert_string_equal(wf_action_name(WF_MERGE), "merge");
	assert_int_equal(wf_action_from_name("frobnicate", &a), MD_ERR_NOTFOUND);
	assert_true(wf_method_valid("suggestion-declined"));
	assert_false(wf_method_valid("shrug"));
	assert_string_equal(wf_label("major", "zh"), "重大复杂诉求");
	assert_string_equal(wf_label("legal-process", "en"),
	    "already in litigation, arbitration or administrative review");
	assert_string_equal(wf_label("unheard-of", "zh"), "unheard-of");
}

static void
test_declined_suggestion_needs_reasons(void **state)
{
	struct fx *f = *state;
	int64_t id = new_case(f, "zhang@qq.com", "张三", "建议增加培训");
	struct wf_command cmd = { .action = WF_RESOLVE, .method = "suggestion-declined",
	    .text = "感谢建议。" };

	accept(f, id, "simple");
	assert_int_equal(run(f, &cmd, id, NOW), MD_ERR_INPUT);
	assert_status(f, id, "handling");
	cmd.reason = "本年度培训预算已用完";
	assert_int_equal(run(f, &cmd, id, NOW), MD_OK);
	assert_int_equal(notices_with(f, id, "本年度培训预算已用完"), 1);
	assert_int_equal(notices_with(f, id, "意见暂不采纳"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_accept_each_tier, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject_each_ground, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject_needs_ground_and_explanation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_illegal_transitions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_case_and_no_transaction, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resolve_then_satisfied_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsatisfied_rehandling, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feedback_scores, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extend_major_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tier_to_major_goes_to_leadership, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_type_tier_assign_note_progress, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_merge_notifies_every_member, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_on_behalf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_reply_and_announce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scheduler_close_and_overdue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_declined_suggestion_needs_reasons, setup,
		    teardown),
		cmocka_unit_test(test_vocabulary),
	};

	log_init("test_workflow", 1, LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
