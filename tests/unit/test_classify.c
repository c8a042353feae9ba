#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "classify.h"
#include "testenv.h"

static const char rules_text[] =
    "rule legal\n"
    "  text contains 仲裁\n"
    "  flag legal-process\n"
    "end\n"
    "rule rights\n"
    "  text contains 拖欠\n"
    "  type rights\n"
    "  tier general\n"
    "  stop\n"
    "end\n";

static struct message *
msg_new(const char *subject, const char *text)
{
	static struct message m;

	memset(&m, 0, sizeof(m));
	m.subject = (char *)subject;
	m.text = (char *)text;
	m.text_len = strlen(text);
	m.from_addr = (char *)"boss@member.cn";
	m.from_name = (char *)"";
	m.date = 1767225600;  /* 2026-01-01 */
	return &m;
}

static struct ruleset *
rules(void)
{
	struct ruleset *set;

	assert_int_equal(rules_load_buffer("t.rules", rules_text, strlen(rules_text),
	    stderr, &set), MD_OK);
	return set;
}

static struct bayes *
model(void)
{
	struct bayes *m;
	static const char *const ex[][2] = {
		{ "policy", "请问所得税优惠政策怎么申请" },
		{ "policy", "咨询增值税减免政策" },
		{ "difficulty", "招工难，工人招不到，请帮忙对接劳务" },
		{ "difficulty", "资金周转困难，请帮忙对接银行贷款" },
		{ "suggestion", "建议商会多组织培训" },
		{ "other", "申请加入商会" },
	};
	enum md_type t;
	size_t i;

	assert_int_equal(bayes_new(&m), MD_OK);
	for (i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		assert_int_equal(md_type_parse(ex[i][0], &t), MD_OK);
		assert_int_equal(bayes_train(m, t, ex[i][1], strlen(ex[i][1])), MD_OK);
	}
	return m;
}

static void
test_similarity(void **state)
{
	(void)state;
	assert_true(classify_subject_similarity("客户拖欠货款", "客户拖欠货款") == 1.0);
	assert_true(classify_subject_similarity("Re: 回复：[MD-2026-0001] 客户拖欠货款",
	    "客户拖欠货款") == 1.0);
	assert_true(classify_subject_similarity("转发: 【紧急】客户 拖欠、货款！",
	    "客户拖欠货款") == 1.0);
	assert_true(classify_subject_similarity("RE: Unpaid Invoices", "unpaid invoices") == 1.0);
	/* 客户拖欠货款 / 客户拖欠工程款: 客户 户拖 拖欠 shared out of 5 + 6 bigrams. */
	assert_true(fabs(classify_subject_similarity("客户拖欠货款", "客户拖欠工程款") -
	    6.0 / 11.0) < 1e-9);
	assert_true(classify_subject_similarity("咨询税收优惠政策", "建议多组织培训") == 0.0);
	assert_true(classify_subject_similarity("", "") == 0.0);
	assert_true(classify_subject_similarity("税", "税") == 1.0);
	assert_true(classify_subject_similarity(NULL, "x") == 0.0);
}

static void
test_rule_decides_type(void **state)
{
	struct ruleset *set = rules();
	struct bayes *m = model();
	struct classify_input in;
	struct classify_result *res;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.msg = msg_new("货款问题", "对方拖欠货款，已申请仲裁");
	assert_int_equal(classify(set, m, NULL, &in, &res), MD_OK);
	assert_int_equal(res->type, MD_TYPE_RIGHTS);
	assert_true(res->type_from_rules);
	assert_true(res->confidence == 1.0);
	assert_int_equal(res->tier_hint, MD_TIER_GENERAL);
	assert_true(rules_outcome_has_flag(&res->rules, "legal-process"));
	assert_false(rules_outcome_has_flag(&res->rules, CLASSIFY_FLAG_LOW_CONFIDENCE));
	assert_int_equal(res->rules.n_hits, 2);
	classify_result_free(res);
	bayes_free(m);
	rules_free(set);
}

static void
test_model_decides_or_low_confidence(void **state)
{
	struct ruleset *set = rules();
	struct bayes *m = model();
	struct classify_input in;
	struct classify_result *res;
	struct classify_options opt;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.msg = msg_new("请问优惠政策", "想咨询所得税优惠政策");
	assert_int_equal(classify(set, m, NULL, &in, &res), MD_OK);
	assert_int_equal(res->type, MD_TYPE_POLICY);
	assert_false(res->type_from_rules);
	assert_true(res->have_scores);
	assert_true(res->confidence >= 0.45 && res->confidence < 1.0);
	assert_int_equal(res->tier_hint, MD_TIER_NONE);
	assert_int_equal(res->rules.n_flags, 0);
	classify_result_free(res);

	/* The same proposal under a stricter threshold goes to staff as "other". */
	classify_options_default(&opt);
	opt.min_confidence = 0.9999;
	assert_int_equal(classify(set, m, &opt, &in, &res), MD_OK);
	assert_int_equal(res->type, MD_TYPE_OTHER);
	assert_true(rules_outcome_has_flag(&res->rules, CLASSIFY_FLAG_LOW_CONFIDENCE));
	assert_true(res->confidence < 0.9999);
	classify_result_free(res);

	/* Neither rules nor model. */
	in.msg = msg_new("你好", "你好");
	assert_int_equal(classify(NULL, NULL, NULL, &in, &res), MD_OK);
	assert_int_equal(res->type, MD_TYPE_OTHER);
	assert_true(res->confidence == 0.0);
	assert_false(res->have_scores);
	assert_true(rules_outcome_has_flag(&res->rules, CLASSIFY_FLAG_LOW_CONFIDENCE));
	classify_result_free(res);
	bayes_free(m);
	rules_free(set);
}

static void
test_possible_duplicate_window(void **state)
{
	struct classify_recent recent[3];
	struct classify_input in;
	struct classify_result *res;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.msg = msg_new("Re: 关于客户拖欠货款的求助", "");
	recent[0].subject = "关于客户拖欠货款的求助";
	recent[0].when = 1767225600 - 40L * 86400;   /* outside 30 days */
	recent[1].subject = "建议多组织培训";
	recent[1].when = 1767225600 - 86400;
	in.recent = recent;
	in.n_recent = 2;
	assert_int_equal(classify(NULL, NULL, NULL, &in, &res), MD_OK);
	assert_false(rules_outcome_has_flag(&res->rules, CLASSIFY_FLAG_DUPLICATE));
	assert_null(res->duplicate_of);
	classify_result_free(res);

	recent[2].subject = "客户拖欠货款求助";
	recent[2].when = 1767225600 - 5L * 86400;
	in.n_recent = 3;
	assert_int_equal(classify(NULL, NULL, NULL, &in, &res), MD_OK);
	assert_true(rules_outcome_has_flag(&res->rules, CLASSIFY_FLAG_DUPLICATE));
	assert_string_equal(res->duplicate_of, "客户拖欠货款求助");
	assert_true(res->duplicate_score >= 0.6 && res->duplicate_score < 1.0);
	classify_result_free(res);

	/* The caller's clock, not the Date header, when given. */
	in.now = 1767225600 + 60L * 86400;
	assert_int_equal(classify(NULL, NULL, NULL, &in, &res), MD_OK);
	assert_false(rules_outcome_has_flag(&res->rules, CLASSIFY_FLAG_DUPLICATE));
	classify_result_free(res);
}

static void
test_json_shape(void **state)
{
	struct ruleset *set = rules();
	struct classify_input in;
	struct classify_result *res;
	json_t *js;
	char *s;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.msg = msg_new("仲裁", "拖欠");
	assert_int_equal(classify(set, NULL, NULL, &in, &res), MD_OK);
	assert_non_null(js = classify_result_json(res));
	s = json_dumps(js, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(s, "{\"confidence\":1.0,\"flags\":[\"legal-process\"],"
	    "\"rules\":[\"legal\",\"rights\"],\"tier_hint\":\"general\",\"type\":\"rights\"}");
	free(s);
	json_decref(js);
	classify_result_free(res);

	in.msg = msg_new("你好", "");
	assert_int_equal(classify(set, NULL, NULL, &in, &res), MD_OK);
	assert_non_null(js = classify_result_json(res));
	s = json_dumps(js, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(s, "{\"confidence\":0.0,\"flags\":[\"low-confidence\"],"
	    "\"rules\":[],\"tier_hint\":null,\"type\":\"other\"}");
	free(s);
	json_decref(js);
	classify_result_free(res);
	rules_free(set);
}

/* A rule set that asks about the sender: its rules cannot run ahead. */
static const char member_rules_text[] =
    "rule unit-debt\n"
    "  member-kind unit\n"
    "  text contains 货款\n"
    "  type rights\n"
    "  tier major\n"
    "  flag unit-member\n"
    "end\n"
    "rule outsider\n"
    "  not\n"
    "    member yes\n"
    "  end\n"
    "  flag not-member\n"
    "end\n"
    "rule legal\n"
    "  text matches \"仲裁|起诉\"\n"
    "  flag legal-process\n"
    "  assign legal@chamber.example\n"
    "end\n";

/*
 * Classify in->msg once computing everything and once with the parts
 * classify_precompute() worked out; the two results must not differ in
 * anything, the JSON of `inspect` and the case's "classified" event first.
 * Returns that JSON for the caller to free.
 */
static char *
classify_both_ways(const struct ruleset *set, const struct bayes *m,
    struct classify_input *in)
{
	struct classify_precomputed pre;
	struct classify_result *a, *b;
	char *ja, *jb;
	size_t i;

	in->pre = NULL;
	assert_int_equal(classify(set, m, NULL, in, &a), MD_OK);
	assert_int_equal(classify_precompute(set, m, in->msg, &pre), MD_OK);
	/* The rules run ahead exactly when they do not read the member context. */
	assert_int_equal(pre.rules_done, set == NULL || !rules_use_member(set));
	if (!pre.rules_done)
		assert_int_equal(pre.rules.n_hits, 0);
	assert_true(pre.scores_done);
	in->pre = &pre;
	assert_int_equal(classify(set, m, NULL, in, &b), MD_OK);
	in->pre = NULL;
	assert_non_null(ja = testenv_classify_json(a));
	assert_non_null(jb = testenv_classify_json(b));
	assert_string_equal(ja, jb);
	/* What the JSON leaves out matches too. */
	assert_int_equal(a->type_from_rules, b->type_from_rules);
	assert_int_equal(a->have_scores, b->have_scores);
	assert_true(a->confidence == b->confidence);
	assert_int_equal(a->scores.best, b->scores.best);
	assert_int_equal(a->scores.n_features, b->scores.n_features);
	assert_memory_equal(a->scores.prob, b->scores.prob, sizeof(a->scores.prob));
	assert_int_equal(a->rules.n_hits, b->rules.n_hits);
	for (i = 0; i < a->rules.n_hits; i++) {
		assert_string_equal(a->rules.hits[i].reason, b->rules.hits[i].reason);
		assert_int_equal(a->rules.hits[i].line, b->rules.hits[i].line);
	}
	assert_int_equal(a->rules.stopped, b->rules.stopped);
	assert_true((a->rules.assignee == NULL) == (b->rules.assignee == NULL));
	if (a->rules.assignee != NULL)
		assert_string_equal(a->rules.assignee, b->rules.assignee);
	assert_true((a->duplicate_of == NULL) == (b->duplicate_of == NULL));
	if (a->duplicate_of != NULL)
		assert_string_equal(a->duplicate_of, b->duplicate_of);
	assert_true(a->duplicate_score == b->duplicate_score);
	classify_result_free(a);
	classify_result_free(b);
	classify_precomputed_free(&pre);
	free(jb);
	return ja;
}

/*
 * Precomputed or not, the same messages classify alike, with rules that
 * read the member context and rules that do not, with and without a model,
 * for members of each kind and non-members, duplicates included.
 */
static void
test_precomputed_gives_the_same_result(void **state)
{
	static const char *const msgs[][2] = {
		{ "货款问题", "对方拖欠货款，已申请仲裁" },       /* rules decide */
		{ "请问优惠政策", "想咨询所得税优惠政策" },       /* the model decides */
		{ "你好", "你好" },                               /* low confidence */
		{ "Re: 关于客户拖欠货款的求助", "拖欠货款，准备起诉" },
		{ "", "" },
		{ "Unpaid invoices", "We plan to sue the buyer." },
	};
	static const struct { int is_member; const char *kind; } who[] = {
		{ 0, NULL }, { 1, "unit" }, { 1, "individual" },
	};
	struct ruleset *plain = rules(), *member = NULL, *sets[3];
	struct bayes *m = model(), *models[2];
	struct classify_recent recent[1];
	struct classify_input in;
	char *json, *unit_json = NULL, *outsider_json = NULL;
	size_t si, mi, k, w;

	(void)state;
	assert_int_equal(rules_load_buffer("member.rules", member_rules_text,
	    strlen(member_rules_text), stderr, &member), MD_OK);
	assert_false(rules_use_member(plain));
	assert_true(rules_use_member(member));
	sets[0] = plain;
	sets[1] = member;
	sets[2] = NULL;
	models[0] = m;
	models[1] = NULL;
	recent[0].subject = "客户拖欠货款求助";
	recent[0].when = 1767225600 - 5L * 86400;
	for (si = 0; si < 3; si++)
	for (mi = 0; mi < 2; mi++)
	for (k = 0; k < sizeof(msgs) / sizeof(msgs[0]); k++)
	for (w = 0; w < sizeof(who) / sizeof(who[0]); w++) {
		memset(&in, 0, sizeof(in));
		in.msg = msg_new(msgs[k][0], msgs[k][1]);
		in.is_member = who[w].is_member;
		in.member_kind = who[w].kind;
		in.recent = recent;
		in.n_recent = 1;
		json = classify_both_ways(sets[si], models[mi], &in);
		/* Keep two that show the member rules at work. */
		if (si == 1 && mi == 0 && k == 0 && w == 1)
			unit_json = json;
		else if (si == 1 && mi == 0 && k == 0 && w == 0)
			outsider_json = json;
		else
			free(json);
	}
	assert_non_null(strstr(unit_json, "\"unit-member\""));
	assert_non_null(strstr(unit_json, "\"type\":\"rights\""));
	assert_null(strstr(unit_json, "not-member"));
	assert_non_null(strstr(outsider_json, "\"not-member\""));
	assert_null(strstr(outsider_json, "unit-member"));
	free(unit_json);
	free(outsider_json);
	bayes_free(m);
	rules_free(member);
	rules_free(plain);
}

/*
 * classify() takes what it is given: the precomputed parts are used, not
 * computed again (here those of another message, which no caller does).
 */
static void
test_precomputed_parts_are_used(void **state)
{
	struct ruleset *set = rules();
	struct bayes *m = model();
	struct classify_precomputed pre;
	struct classify_input in;
	struct classify_result *res;

	(void)state;
	assert_int_equal(classify_precompute(set, m, msg_new("仲裁", "拖欠"), &pre), MD_OK);
	assert_true(pre.rules_done);
	assert_int_equal(pre.rules.type, MD_TYPE_RIGHTS);
	assert_true(pre.scores_done);
	memset(&in, 0, sizeof(in));
	in.msg = msg_new("你好", "");
	in.pre = &pre;
	assert_int_equal(classify(set, m, NULL, &in, &res), MD_OK);
	assert_int_equal(res->type, MD_TYPE_RIGHTS);
	assert_true(rules_outcome_has_flag(&res->rules, "legal-process"));
	assert_int_equal(res->scores.n_features, pre.scores.n_features);
	classify_result_free(res);
	/* The precomputed outcome is copied, not taken: still whole here. */
	assert_int_equal(pre.rules.n_hits, 2);
	classify_precomputed_free(&pre);
	assert_int_equal(pre.rules.n_hits, 0);
	assert_false(pre.rules_done);
	classify_precomputed_free(&pre);
	bayes_free(m);
	rules_free(set);
}

/* Run cli_rules with stdout captured into a buffer the caller frees. */
static int
run_cli(int argc, char **argv, char **out)
{
	char path[] = "/tmp/test_classify_out.XXXXXX";
	int fd, saved, rc;
	FILE *fp;
	long len;

	fflush(stdout);
	assert_true((fd = mkstemp(path)) >= 0);
	saved = dup(1);
	dup2(fd, 1);
	rc = cli_rules(argc, argv, NULL);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	assert_non_null(fp = fdopen(fd, "r"));
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	assert_non_null(*out = calloc(1, (size_t)len + 1));
	assert_int_equal(fread(*out, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	unlink(path);
	return rc;
}

static void
test_cli_check_and_test(void **state)
{
	const char *top = getenv("MD_TOP_SRCDIR");
	char dir[4096], eml[] = "/tmp/test_classify_eml.XXXXXX", *out;
	char *check[] = { (char *)"rules", (char *)"check", dir, NULL };
	char *test[] = { (char *)"rules", (char *)"test", (char *)"-d", dir,
	    (char *)"--json", eml, NULL };
	char *bad[] = { (char *)"rules", (char *)"frobnicate", NULL };
	json_t *js, *flags;
	FILE *fp;
	int fd;

	(void)state;
	if (top == NULL)
		skip();
	snprintf(dir, sizeof(dir), "%s/filters", top);
	assert_int_equal(run_cli(3, check, &out), 0);
	assert_non_null(strstr(out, "rules OK ("));
	assert_non_null(strstr(out, " files)\n"));
	free(out);

	assert_true((fd = mkstemp(eml)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs("From: =?UTF-8?B?5byg5LiJ?= <zhang@member.cn>\r\n"
	    "To: desk@chamber.example\r\n"
	    "Subject: =?UTF-8?B?5a6i5oi35ouW5qyg6LSn5qy+?=\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "\r\n"
	    "客户拖欠我们货款八十万元，我们已向仲裁委申请仲裁，请商会尽快协助。\r\n", fp);
	fclose(fp);
	assert_int_equal(run_cli(6, test, &out), 0);
	assert_non_null(js = json_loads(out, 0, NULL));
	assert_string_equal(json_string_value(json_object_get(js, "type")), "rights");
	flags = json_object_get(js, "flags");
	assert_true(json_is_array(flags));
	assert_string_equal(json_string_value(json_array_get(flags, 0)), "legal-process");
	assert_int_equal(json_object_size(js), 5);
	json_decref(js);
	free(out);
	unlink(eml);

	assert_int_equal(run_cli(2, bad, &out), 2);
	free(out);
	snprintf(dir, sizeof(dir), "/nonexistent/filters");
	assert_int_equal(run_cli(3, check, &out), 1);
	assert_null(strstr(out, "rules OK"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_similarity),
		cmocka_unit_test(test_rule_decides_type),
		cmocka_unit_test(test_model_decides_or_low_confidence),
		cmocka_unit_test(test_possible_duplicate_window),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_precomputed_gives_the_same_result),
		cmocka_unit_test(test_precomputed_parts_are_used),
		cmocka_unit_test(test_cli_check_and_test),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
