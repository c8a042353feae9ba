#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "mailcmd.h"

static const char *
s(const char *v)
{
	return v ? v : "(null)";
}

/* One command line in, the command it must give. */
static const struct {
	const char *in;
	enum wf_action action;
	const char *tier, *type, *ground, *method, *text, *reason, *channel, *address;
	int days;
} one[] = {
	{ "#accept general", WF_ACCEPT, "general", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "#受理 一般", WF_ACCEPT, "general", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "＃受理　重大", WF_ACCEPT, "major", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "#受理一般", WF_ACCEPT, "general", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "# ACCEPT Simple policy", WF_ACCEPT, "simple", "policy", NULL, NULL, NULL, NULL, NULL,
	    NULL, 0 },
	{ "#受理 简单 政策咨询", WF_ACCEPT, "simple", "policy", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "#受理：重大复杂", WF_ACCEPT, "major", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "#reject legal-process 已进入仲裁程序，建议通过仲裁委员会解决", WF_REJECT, NULL, NULL,
	    "legal-process", NULL, "已进入仲裁程序，建议通过仲裁委员会解决", NULL, NULL, NULL, 0 },
	{ "#不予受理 仲裁 已进入仲裁程序", WF_REJECT, NULL, NULL, "legal-process", NULL,
	    "已进入仲裁程序", NULL, NULL, NULL, 0 },
	{ "#不予受理 不属于商会职责范围 请联系市场监管部门", WF_REJECT, NULL, NULL, "outside-remit",
	    NULL, "请联系市场监管部门", NULL, NULL, NULL, 0 },
	{ "#不予受理 诉讼 已起诉", WF_REJECT, NULL, NULL, "legal-process", NULL, "已起诉", NULL,
	    NULL, NULL, 0 },
	{ "#不予受理 行政复议 已申请复议", WF_REJECT, NULL, NULL, "legal-process", NULL, "已申请复议",
	    NULL, NULL, NULL, 0 },
	{ "#不予受理 司法程序 见判决", WF_REJECT, NULL, NULL, "legal-process", NULL, "见判决", NULL,
	    NULL, NULL, 0 },
	{ "#不予受理 无事实依据 查无此事", WF_REJECT, NULL, NULL, "no-basis", NULL, "查无此事", NULL,
	    NULL, NULL, 0 },
	{ "#不予受理 恶意投诉 经核实", WF_REJECT, NULL, NULL, "no-basis", NULL, "经核实", NULL, NULL,
	    NULL, 0 },
	{ "#不予受理 违反法律法规 要求不合法", WF_REJECT, NULL, NULL, "unlawful", NULL, "要求不合法",
	    NULL, NULL, NULL, 0 },
	{ "#不予受理 其他 不符合受理条件", WF_REJECT, NULL, NULL, "other", NULL, "不符合受理条件",
	    NULL, NULL, NULL, 0 },
	{ "#reject unlawful not allowed", WF_REJECT, NULL, NULL, "unlawful", NULL, "not allowed",
	    NULL, NULL, NULL, 0 },
	{ "#note 已电话联系", WF_NOTE, NULL, NULL, NULL, NULL, "已电话联系", NULL, NULL, NULL, 0 },
	{ "#备注 内部：会员情绪较大", WF_NOTE, NULL, NULL, NULL, NULL, "内部：会员情绪较大", NULL,
	    NULL, NULL, 0 },
	{ "#progress 已与税务局对接", WF_PROGRESS, NULL, NULL, NULL, NULL, "已与税务局对接", NULL,
	    NULL, NULL, 0 },
	{ "#进展 已与税务局对接", WF_PROGRESS, NULL, NULL, NULL, NULL, "已与税务局对接", NULL, NULL,
	    NULL, 0 },
	{ "#resolve policy-interpretation 可按75%加计扣除", WF_RESOLVE, NULL, NULL, NULL,
	    "policy-interpretation", "可按75%加计扣除", NULL, NULL, NULL, 0 },
	{ "#办结 政策解读 可按75%加计扣除", WF_RESOLVE, NULL, NULL, NULL, "policy-interpretation",
	    "可按75%加计扣除", NULL, NULL, NULL, 0 },
	{ "#办结 协调对接 已协调", WF_RESOLVE, NULL, NULL, NULL, "agency-coordination", "已协调",
	    NULL, NULL, NULL, 0 },
	{ "#办结 资源整合 已对接银行", WF_RESOLVE, NULL, NULL, NULL, "resource-matching",
	    "已对接银行", NULL, NULL, NULL, 0 },
	{ "#办结 维权协助 已联系律所", WF_RESOLVE, NULL, NULL, NULL, "rights-assistance",
	    "已联系律所", NULL, NULL, NULL, 0 },
	{ "#办结 意见采纳 已改进", WF_RESOLVE, NULL, NULL, NULL, "suggestion-adopted", "已改进",
	    NULL, NULL, NULL, 0 },
	{ "#办结 暂不采纳 预算不足", WF_RESOLVE, NULL, NULL, NULL, "suggestion-declined",
	    "预算不足", "预算不足", NULL, NULL, 0 },
	{ "#type rights", WF_SET_TYPE, NULL, "rights", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "#类型 权益保障", WF_SET_TYPE, NULL, "rights", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "#类型 发展困难", WF_SET_TYPE, NULL, "difficulty", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "#类型 意见建议", WF_SET_TYPE, NULL, "suggestion", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "#类型 其他", WF_SET_TYPE, NULL, "other", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "#类型 政策咨询", WF_SET_TYPE, NULL, "policy", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "#tier major", WF_SET_TIER, "major", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "#级别 简单", WF_SET_TIER, "simple", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "#assign Staff2@Chamber.test", WF_ASSIGN, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	    "staff2@chamber.test", 0 },
	{ "#分派 staff2@chamber.test", WF_ASSIGN, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	    "staff2@chamber.test", 0 },
	{ "#extend 5 需要协调多个部门", WF_EXTEND, NULL, NULL, NULL, NULL, NULL, "需要协调多个部门",
	    NULL, NULL, 5 },
	{ "#延期 10个工作日 等待答复", WF_EXTEND, NULL, NULL, NULL, NULL, NULL, "等待答复", NULL,
	    NULL, 10 },
	{ "#延期 3天 等待答复", WF_EXTEND, NULL, NULL, NULL, NULL, NULL, "等待答复", NULL, NULL, 3 },
	{ "#reopen 会员补充了材料", WF_REOPEN, NULL, NULL, NULL, NULL, NULL, "会员补充了材料", NULL,
	    NULL, 0 },
	{ "#重新办理 会员补充了材料", WF_REOPEN, NULL, NULL, NULL, NULL, NULL, "会员补充了材料",
	    NULL, NULL, 0 },
	{ "#close", WF_CLOSE, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "#关闭 会员撤回", WF_CLOSE, NULL, NULL, NULL, NULL, NULL, "会员撤回", NULL, NULL, 0 },
	{ "#归档", WF_ARCHIVE, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "#register alice@members.test visit 融资难", WF_REGISTER, NULL, NULL, NULL, NULL, "融资难",
	    NULL, "visit", "alice@members.test", 0 },
	{ "#代登记 alice@members.test 走访 融资难", WF_REGISTER, NULL, NULL, NULL, NULL, "融资难",
	    NULL, "visit", "alice@members.test", 0 },
	{ "#代登记 bob@members.test 会议 用工", WF_REGISTER, NULL, NULL, NULL, NULL, "用工", NULL,
	    "meeting", "bob@members.test", 0 },
	{ "#代登记 bob@members.test 来访 用工", WF_REGISTER, NULL, NULL, NULL, NULL, "用工", NULL,
	    "walk-in", "bob@members.test", 0 },
	{ "#代登记 bob@members.test 电话 用工", WF_REGISTER, NULL, NULL, NULL, NULL, "用工", NULL,
	    "phone", "bob@members.test", 0 },
};

static void
test_every_command(void **state)
{
	struct mailcmd_list l;
	const struct wf_command *w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		assert_int_equal(mailcmd_parse(one[i].in, "MD", "zh", &l), MD_OK);
		if (l.n_errors)
			fail_msg("%s: %s", one[i].in, l.errors[0].message);
		if (l.n != 1)
			fail_msg("%s: %zu commands", one[i].in, l.n);
		w = &l.cmds[0].cmd;
		if (w->action != one[i].action ||
		    strcmp(s(w->tier), s(one[i].tier)) || strcmp(s(w->type), s(one[i].type)) ||
		    strcmp(s(w->ground), s(one[i].ground)) ||
		    strcmp(s(w->method), s(one[i].method)) ||
		    strcmp(s(w->text), s(one[i].text)) || strcmp(s(w->reason), s(one[i].reason)) ||
		    strcmp(s(w->channel), s(one[i].channel)) ||
		    strcmp(s(w->address), s(one[i].address)) || w->days != one[i].days)
			fail_msg("%s: got action %d tier %s type %s ground %s method %s text %s "
			    "reason %s channel %s address %s days %d", one[i].in, w->action,
			    s(w->tier), s(w->type), s(w->ground), s(w->method), s(w->text),
			    s(w->reason), s(w->channel), s(w->address), w->days);
		assert_int_equal(l.cmds[0].line, 1);
		mailcmd_list_free(&l);
	}
}

static void
test_multiline_and_rest(void **state)
{
	struct mailcmd_list l;

	(void)state;
	assert_int_equal(mailcmd_parse("\n\n#accept general\n#note 第一行\n第二行\n\n第三段\n"
	    "#resolve policy-interpretation 结果：\n可以享受优惠。\n", "MD", "zh", &l), MD_OK);
	assert_int_equal(l.n_errors, 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.cmds[0].line, 3);
	assert_string_equal(l.cmds[1].cmd.text, "第一行\n第二行\n\n第三段");
	assert_int_equal(l.cmds[2].line, 8);
	assert_string_equal(l.cmds[2].cmd.text, "结果：\n可以享受优惠。");
	assert_string_equal(l.rest, "");
	mailcmd_list_free(&l);

	/* After a command without text, the first other line ends the commands. */
	assert_int_equal(mailcmd_parse("#受理 一般\n\n谢谢\n#close\n", "MD", "zh", &l), MD_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.n_errors, 0);
	assert_string_equal(l.rest, "谢谢\n#close\n");
	mailcmd_list_free(&l);

	/* The register text comes from the lines below it. */
	assert_int_equal(mailcmd_parse("#代登记 alice@members.test 走访 融资难\n企业反映贷款审批慢。\n",
	    "MD", "zh", &l), MD_OK);
	assert_int_equal(l.n_errors, 0);
	assert_string_equal(l.cmds[0].cmd.subject, "融资难");
	assert_string_equal(l.cmds[0].cmd.text, "企业反映贷款审批慢。");
	mailcmd_list_free(&l);

	/* Merge: the listed cases, in canonical form. */
	assert_int_equal(mailcmd_parse("#merge md-2026-0003, MD–2026–4\n", "MD", "en", &l), MD_OK);
	assert_int_equal(l.n_errors, 0);
	assert_int_equal(l.cmds[0].cmd.action, WF_MERGE);
	assert_int_equal(l.cmds[0].cmd.n_others, 2);
	assert_string_equal(l.cmds[0].cmd.others[0], "MD-2026-0003");
	assert_string_equal(l.cmds[0].cmd.others[1], "MD-2026-0004");
	mailcmd_list_free(&l);
}

static void
test_plain_reply_and_present(void **state)
{
	struct mailcmd_list l;

	(void)state;
	assert_false(mailcmd_present("您好，\n材料已收到。#1 号文件\n"));
	assert_true(mailcmd_present("\n \xc2\xa0\n  #accept general\n"));
	assert_true(mailcmd_present("＃受理 一般"));
	assert_false(mailcmd_present(""));
	assert_int_equal(mailcmd_parse("您好，\n材料已收到。\n", "MD", "zh", &l), MD_OK);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.n_errors, 0);
	assert_string_equal(l.rest, "您好，\n材料已收到。\n");
	mailcmd_list_free(&l);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *in;
		const char *lang;
		const char *needle;
	} bad[] = {
		{ "#approve general", "en", "unknown command \"#approve\"" },
		{ "#批准 一般", "zh", "不认识的指令“#批准”" },
		{ "#accept", "en", "needs a tier" },
		{ "#受理 特急", "zh", "不认识的tier“特急”" },
		{ "#reject because", "en", "unknown ground \"because\"" },
		{ "#reject other", "en", "needs some text" },
		{ "#note", "zh", "缺少说明文字" },
		{ "#extend five days", "en", "working days (1-60)" },
		{ "#extend 90 too long", "en", "working days (1-60)" },
		{ "#assign nobody", "en", "staff address" },
		{ "#merge 2026-0003", "en", "is not a case number" },
		{ "#merge", "en", "needs the number" },
		{ "#resolve done it", "en", "unknown method" },
		{ "#register alice@members.test home x", "en", "unknown channel" },
	};
	struct mailcmd_list l;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(mailcmd_parse(bad[i].in, "MD", bad[i].lang, &l), MD_OK);
		if (l.n_errors == 0)
			fail_msg("%s: no error", bad[i].in);
		if (strstr(l.errors[0].message, bad[i].needle) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].in, l.errors[0].message,
			    bad[i].needle);
		assert_int_equal(l.errors[0].line, 1);
		mailcmd_list_free(&l);
	}
	/* An error on line 2 leaves the command on line 1 parsed and names line 2. */
	assert_int_equal(mailcmd_parse("#accept general\n#frobnicate\n", "MD", "en", &l), MD_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.n_errors, 1);
	assert_int_equal(l.errors[0].line, 2);
	mailcmd_list_free(&l);
	assert_int_equal(mailcmd_parse("#help\n", "MD", "en", &l), MD_OK);
	assert_true(l.help);
	assert_int_equal(l.n, 0);
	mailcmd_list_free(&l);
	assert_non_null(strstr(mailcmd_help("zh"), "#受理"));
	assert_non_null(strstr(mailcmd_help("en"), "#accept"));
}

static void
test_limits(void **state)
{
	struct mailcmd_list l;
	struct buf b;
	char *big;
	int i;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < MAILCMD_MAX + 1; i++)
		assert_int_equal(buf_puts(&b, "#note x\n"), MD_OK);
	assert_int_equal(mailcmd_parse(b.data, "MD", "en", &l), MD_OK);
	assert_int_equal(l.n, MAILCMD_MAX);
	assert_int_equal(l.n_errors, 1);
	mailcmd_list_free(&l);
	buf_free(&b);
	big = malloc(MAILCMD_MAX_TEXT + 2);
	assert_non_null(big);
	memset(big, 'x', MAILCMD_MAX_TEXT + 1);
	big[MAILCMD_MAX_TEXT + 1] = '\0';
	assert_int_equal(mailcmd_parse(big, "MD", "en", &l), MD_ERR_LIMIT);
	mailcmd_list_free(&l);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_command),
		cmocka_unit_test(test_multiline_and_rest),
		cmocka_unit_test(test_plain_reply_and_present),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
