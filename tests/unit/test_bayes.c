#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "bayes.h"

static void
train(struct bayes *m, enum md_type t, const char *s)
{
	assert_int_equal(bayes_train(m, t, s, strlen(s)), MD_OK);
}

static struct bayes *
small_model(void)
{
	struct bayes *m;

	assert_int_equal(bayes_new(&m), MD_OK);
	train(m, MD_TYPE_POLICY, "请问小微企业所得税优惠政策怎么申请");
	train(m, MD_TYPE_POLICY, "咨询增值税减免政策和申报流程");
	train(m, MD_TYPE_POLICY, "What tax incentives apply to our company?");
	train(m, MD_TYPE_RIGHTS, "客户拖欠货款一年，请商会帮助维权");
	train(m, MD_TYPE_RIGHTS, "商标被抢注，合法权益受到侵害");
	train(m, MD_TYPE_RIGHTS, "Our trademark was infringed by a competitor");
	train(m, MD_TYPE_DIFFICULTY, "招工难，一线工人招不到");
	train(m, MD_TYPE_SUGGESTION, "建议商会多组织培训活动");
	train(m, MD_TYPE_OTHER, "申请加入商会，入会需要什么材料");
	return m;
}

static void
test_classifies_chinese_and_english(void **state)
{
	struct bayes *m = small_model();
	struct bayes_scores s;
	double sum = 0;
	int c;

	(void)state;
	assert_int_equal(bayes_examples(m, MD_TYPE_POLICY), 3);
	assert_int_equal(bayes_examples(m, MD_TYPE_NONE), 0);
	assert_true(bayes_vocabulary(m) > 50);
	bayes_classify(m, "对方拖欠我们的货款", strlen("对方拖欠我们的货款"), &s);
	assert_int_equal(s.best, MD_TYPE_RIGHTS);
	assert_true(s.n_features >= 2);
	for (c = 0; c < MD_TYPE_COUNT; c++)
		sum += s.prob[c];
	assert_true(sum > 0.999 && sum < 1.001);
	bayes_classify(m, "Which TAX incentives exist?", 27, &s);
	assert_int_equal(s.best, MD_TYPE_POLICY);
	bayes_classify(m, "所得税优惠", strlen("所得税优惠"), &s);
	assert_int_equal(s.best, MD_TYPE_POLICY);
	bayes_free(m);
}

static void
test_no_evidence_gives_no_type(void **state)
{
	struct bayes *m;
	struct bayes_scores s;

	(void)state;
	assert_int_equal(bayes_new(&m), MD_OK);
	bayes_classify(m, "拖欠货款", strlen("拖欠货款"), &s);
	assert_int_equal(s.best, MD_TYPE_NONE);
	assert_true(s.prob[MD_TYPE_OTHER] > 0.199 && s.prob[MD_TYPE_OTHER] < 0.201);
	train(m, MD_TYPE_RIGHTS, "拖欠货款");
	/* Numbers, punctuation and unknown words are not evidence. */
	bayes_classify(m, "12345 !!! zzqq", 14, &s);
	assert_int_equal(s.best, MD_TYPE_NONE);
	assert_int_equal(s.n_features, 0);
	assert_int_equal(bayes_train(m, MD_TYPE_NONE, "x", 1), MD_ERR_INPUT);
	assert_int_equal(bayes_train(m, MD_TYPE_COUNT, "x", 1), MD_ERR_INPUT);
	bayes_free(m);
}

static void
test_confidence_is_tempered(void **state)
{
	struct bayes *m = small_model();
	struct bayes_scores s;
	const char *long_text = "客户拖欠货款一年，请商会帮助维权。客户拖欠货款一年，请商会帮助维权。"
	    "商标被抢注，合法权益受到侵害。商标被抢注，合法权益受到侵害。";

	(void)state;
	bayes_classify(m, long_text, strlen(long_text), &s);
	assert_int_equal(s.best, MD_TYPE_RIGHTS);
	/* Raw naive Bayes would say 1.0 here; the capped evidence must not. */
	assert_true(s.prob[MD_TYPE_RIGHTS] > 0.5);
	assert_true(s.prob[MD_TYPE_RIGHTS] < 0.999);
	bayes_free(m);
}

static void
test_invalid_utf8_is_a_separator(void **state)
{
	struct bayes *m = small_model();
	struct bayes_scores s;
	const char bad[] = "拖欠\xff\xfe货款\xe6\x8b";

	(void)state;
	bayes_classify(m, bad, sizeof(bad) - 1, &s);
	assert_int_equal(s.best, MD_TYPE_RIGHTS);
	assert_int_equal(bayes_train(m, MD_TYPE_OTHER, bad, sizeof(bad) - 1), MD_OK);
	bayes_free(m);
}

static void
test_save_load_round_trip(void **state)
{
	struct bayes *m = small_model(), *m2;
	struct bayes_scores a, b;
	struct buf blob, again;
	const char *q = "想咨询所得税优惠，另外客户拖欠货款";
	int c;

	(void)state;
	buf_init(&blob, 1 << 20);
	assert_int_equal(bayes_save(m, &blob), MD_OK);
	assert_memory_equal(blob.data, "MDBAYES1", 8);
	assert_int_equal(bayes_load(blob.data, blob.len, &m2), MD_OK);
	assert_int_equal(bayes_vocabulary(m2), bayes_vocabulary(m));
	for (c = 0; c < MD_TYPE_COUNT; c++)
		assert_int_equal(bayes_examples(m2, (enum md_type)c),
		    bayes_examples(m, (enum md_type)c));
	bayes_classify(m, q, strlen(q), &a);
	bayes_classify(m2, q, strlen(q), &b);
	assert_int_equal(a.best, b.best);
	for (c = 0; c < MD_TYPE_COUNT; c++)
		assert_true(a.prob[c] == b.prob[c]);
	buf_init(&again, 1 << 20);
	assert_int_equal(bayes_save(m2, &again), MD_OK);
	assert_int_equal(again.len, blob.len);
	buf_free(&again);
	/* A buffer too small for the model reports the limit. */
	buf_init(&again, 16);
	assert_int_equal(bayes_save(m, &again), MD_ERR_LIMIT);
	buf_free(&again);
	bayes_free(m2);
	bayes_free(m);
	buf_free(&blob);
}

static void
test_load_rejects_damage(void **state)
{
	struct bayes *m = small_model(), *m2;
	struct buf blob;
	size_t len;
	char *copy;

	(void)state;
	buf_init(&blob, 1 << 20);
	assert_int_equal(bayes_save(m, &blob), MD_OK);
	/* Every truncation is refused, never half-loaded. */
	for (len = 0; len < blob.len; len++) {
		m2 = (struct bayes *)1;
		assert_int_not_equal(bayes_load(blob.data, len, &m2), MD_OK);
		assert_null(m2);
	}
	copy = malloc(blob.len + 1);
	assert_non_null(copy);
	memcpy(copy, blob.data, blob.len);
	copy[blob.len] = 0;
	assert_int_equal(bayes_load(copy, blob.len + 1, &m2), MD_ERR_INPUT);
	copy[0] = 'X';
	assert_int_equal(bayes_load(copy, blob.len, &m2), MD_ERR_INPUT);
	copy[0] = 'M';
	/* A feature count far beyond the data. */
	copy[32] = (char)0xff;
	copy[33] = (char)0xff;
	copy[34] = (char)0xff;
	copy[35] = (char)0x7f;
	assert_int_equal(bayes_load(copy, blob.len, &m2), MD_ERR_LIMIT);
	free(copy);
	bayes_free(m);
	buf_free(&blob);
}

static void
test_train_tsv_reports_bad_lines(void **state)
{
	char path[] = "/tmp/test_bayes.XXXXXX";
	char *err = NULL;
	size_t errlen = 0, n = 0;
	struct bayes *m;
	FILE *fp, *errs;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs("# comment\n"
	    "policy\t税收优惠\t请问怎么申请\\n谢谢\n"
	    "\n"
	    "nonsense\t主题\t内容\n"
	    "权益保障类\t货款\t拖欠\n"
	    "rights\tonly two fields\n", fp);
	fclose(fp);
	assert_int_equal(bayes_new(&m), MD_OK);
	errs = open_memstream(&err, &errlen);
	assert_int_equal(bayes_train_tsv(m, path, errs, &n), MD_ERR_INPUT);
	fclose(errs);
	assert_int_equal(n, 2);
	assert_int_equal(bayes_examples(m, MD_TYPE_RIGHTS), 1);
	assert_non_null(strstr(err, ":4: expected type<TAB>subject<TAB>body"));
	assert_non_null(strstr(err, ":6: expected"));
	assert_null(strstr(err, ":2:"));
	free(err);
	bayes_free(m);
	unlink(path);
	assert_int_equal(bayes_new(&m), MD_OK);
	assert_int_equal(bayes_train_tsv(m, "/nonexistent.tsv", NULL, &n), MD_ERR_IO);
	bayes_free(m);
}

static void
test_tsv_helpers(void **state)
{
	char line[] = "a\tb\\tc\\\\d\\n\te\r\n", *f[4];
	char many[] = "1\t2\t3\t4\t5";

	(void)state;
	assert_int_equal(bayes_tsv_split(line, f, 4), 3);
	bayes_tsv_unescape(f[1]);
	assert_string_equal(f[1], "b\tc\\d\n");
	assert_string_equal(f[2], "e");
	assert_int_equal(bayes_tsv_split(many, f, 4), 5);
}

static void
test_shipped_training_set(void **state)
{
	const char *top = getenv("MD_TOP_SRCDIR");
	char path[4096];
	struct bayes *m;
	size_t n;
	int c;

	(void)state;
	if (top == NULL)
		skip();
	snprintf(path, sizeof(path), "%s/filters/training.tsv", top);
	assert_int_equal(bayes_new(&m), MD_OK);
	assert_int_equal(bayes_train_tsv(m, path, stderr, &n), MD_OK);
	assert_true(n >= 200);
	for (c = 0; c < MD_TYPE_COUNT; c++)
		assert_true(bayes_examples(m, (enum md_type)c) >= 30);
	bayes_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classifies_chinese_and_english),
		cmocka_unit_test(test_no_evidence_gives_no_type),
		cmocka_unit_test(test_confidence_is_tempered),
		cmocka_unit_test(test_invalid_utf8_is_a_separator),
		cmocka_unit_test(test_save_load_round_trip),
		cmocka_unit_test(test_load_rejects_damage),
		cmocka_unit_test(test_train_tsv_reports_bad_lines),
		cmocka_unit_test(test_tsv_helpers),
		cmocka_unit_test(test_shipped_training_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
