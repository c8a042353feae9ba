#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "feedback.h"

static const struct {
	const char *in;
	enum feedback_verdict verdict;
	int score;
	const char *reason;
} table[] = {
	{ "满意", FEEDBACK_SATISFIED, 0, "" },
	{ "非常满意！谢谢秘书处", FEEDBACK_SATISFIED, 0, "谢谢秘书处" },
	{ "基本满意", FEEDBACK_SATISFIED, 0, "" },
	{ "比较满意，希望以后更快", FEEDBACK_SATISFIED, 0, "希望以后更快" },
	{ "不满意，问题没有解决", FEEDBACK_UNSATISFIED, 0, "问题没有解决" },
	{ "不太满意。税务局还没回复。", FEEDBACK_UNSATISFIED, 0, "税务局还没回复。" },
	{ "很不满意", FEEDBACK_UNSATISFIED, 0, "" },
	{ "非常不满意", FEEDBACK_UNSATISFIED, 0, "" },
	{ "不是很满意", FEEDBACK_UNSATISFIED, 0, "" },
	{ "satisfied", FEEDBACK_SATISFIED, 0, "" },
	{ "Very satisfied, thank you.", FEEDBACK_SATISFIED, 0, "thank you." },
	{ "not satisfied - nothing happened", FEEDBACK_UNSATISFIED, 0, "nothing happened" },
	{ "Unsatisfied.", FEEDBACK_UNSATISFIED, 0, "" },
	{ "I am dissatisfied with the answer", FEEDBACK_UNSATISFIED, 0, "I am  with the answer" },
	{ "5", FEEDBACK_SATISFIED, 5, "" },
	{ "5分", FEEDBACK_SATISFIED, 5, "" },
	{ "评分：4", FEEDBACK_SATISFIED, 4, "" },
	{ "打分 2，没解决", FEEDBACK_UNSATISFIED, 2, "没解决" },
	{ "★★★★", FEEDBACK_SATISFIED, 4, "" },
	{ "★☆☆☆☆ 太慢", FEEDBACK_UNSATISFIED, 1, "太慢" },
	{ "满意，5分", FEEDBACK_SATISFIED, 5, "" },
	{ "不满意 1分 一直没人联系", FEEDBACK_UNSATISFIED, 1, "一直没人联系" },
	{ "score: 3", FEEDBACK_SATISFIED, 3, "" },
	{ "4/5 good", FEEDBACK_SATISFIED, 4, "good" },
	/* Ambiguous: both, contradicting, double negative, nothing. */
	{ "结果满意，但速度不满意", FEEDBACK_UNKNOWN, 0, "结果，但速度" },
	{ "满意 1分", FEEDBACK_UNKNOWN, 1, "" },
	{ "不满意 5分", FEEDBACK_UNKNOWN, 5, "" },
	{ "也不是不满意", FEEDBACK_UNKNOWN, 0, "也不是" },
	{ "收到，谢谢", FEEDBACK_UNKNOWN, 0, "收到，谢谢" },
	{ "等了10分钟才接通电话", FEEDBACK_UNKNOWN, 0, "等了10分钟才接通电话" },
	{ "电话 13800000003", FEEDBACK_UNKNOWN, 0, "电话 13800000003" },
	{ "4分 和 2分", FEEDBACK_UNKNOWN, 0, "和" },
	{ "", FEEDBACK_UNKNOWN, 0, "" },
};

static void
test_table(void **state)
{
	struct feedback fb;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		assert_int_equal(feedback_parse(table[i].in, &fb), MD_OK);
		if (fb.verdict != table[i].verdict || fb.score != table[i].score ||
		    strcmp(fb.reason, table[i].reason) != 0)
			fail_msg("\"%s\": got %s score %d reason \"%s\"", table[i].in,
			    feedback_verdict_name(fb.verdict), fb.score, fb.reason);
		feedback_free(&fb);
	}
}

static void
test_from_score_flag(void **state)
{
	struct feedback fb;

	(void)state;
	assert_int_equal(feedback_parse("4", &fb), MD_OK);
	assert_true(fb.from_score);
	feedback_free(&fb);
	assert_int_equal(feedback_parse("满意 4分", &fb), MD_OK);
	assert_false(fb.from_score);
	feedback_free(&fb);
}

static void
test_limit(void **state)
{
	struct feedback fb;
	char *big = malloc(FEEDBACK_MAX_TEXT + 2);

	(void)state;
	assert_non_null(big);
	memset(big, 'x', FEEDBACK_MAX_TEXT + 1);
	big[FEEDBACK_MAX_TEXT + 1] = '\0';
	assert_int_equal(feedback_parse(big, &fb), MD_ERR_LIMIT);
	assert_null(fb.reason);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_from_score_flag),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
