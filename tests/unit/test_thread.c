#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "message.h"
#include "thread.h"

static const struct {
	const char *in;
	const char *want;     /* NULL: no tag */
} tags[] = {
	{ "[MD-2026-0001] 关于税收的咨询", "MD-2026-0001" },
	{ "【MD-2026-0001】关于税收的咨询", "MD-2026-0001" },
	{ "［MD-2026-0001］关于税收的咨询", "MD-2026-0001" },
	{ "MD-2026-0001 关于税收的咨询", "MD-2026-0001" },
	{ "关于税收的咨询 (md-2026-0001)", "MD-2026-0001" },
	{ "[MD 2026 0001]", "MD-2026-0001" },
	{ "[MD–2026–0001]", "MD-2026-0001" },
	{ "[MD—2026—0001]", "MD-2026-0001" },
	{ "[MD－2026－0001]", "MD-2026-0001" },
	{ "[MD_2026_12]", "MD-2026-0012" },
	{ "[MD-2026-12345]", "MD-2026-12345" },
	{ "XMD-2026-0001", NULL },
	{ "MD-26-0001", NULL },
	{ "MD-2026-0000", NULL },
	{ "MD-2026-1234567", NULL },
	{ "MD20260001", NULL },
	{ "关于 2026 年的咨询", NULL },
	{ "", NULL },
};

static void
test_tags(void **state)
{
	char number[CASE_NUMBER_MAX];
	size_t i;
	int found;

	(void)state;
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		found = thread_find_tag(tags[i].in, "MD", number, sizeof(number));
		if (found != (tags[i].want != NULL) || (found && strcmp(number, tags[i].want)))
			fail_msg("\"%s\": found %d \"%s\"", tags[i].in, found, found ? number : "");
	}
}

static const char *const prefixes[] = {
	"Re: ", "RE: ", "re:", "Fw: ", "Fwd: ", "FW: ", "AW: ", "WG: ", "SV: ", "VS: ", "Antw: ",
	"回复: ", "回复：", "答复: ", "答复：", "回覆: ", "转发: ", "转发：", "轉寄: ", "Re[2]: ",
	"Re^2: ", "RE: RE: ", "Re: 回复： Fwd: ", "Re : ", "回复:Re:",
};

/* Every prefix: the tag is found behind it, and stripping leaves the subject. */
static void
test_prefixes(void **state)
{
	char subject[256], number[CASE_NUMBER_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		snprintf(subject, sizeof(subject), "%s[MD-2026-0007] 用工政策", prefixes[i]);
		assert_true(thread_find_tag(subject, "MD", number, sizeof(number)));
		assert_string_equal(number, "MD-2026-0007");
		if (strcmp(thread_strip_prefixes(subject), "[MD-2026-0007] 用工政策") != 0)
			fail_msg("\"%s\" stripped to \"%s\"", subject, thread_strip_prefixes(subject));
	}
	assert_string_equal(thread_strip_prefixes("Regarding taxes"), "Regarding taxes");
	assert_string_equal(thread_strip_prefixes("回复率的问题"), "回复率的问题");
}

/* Subjects as raw headers, decoded by message_parse() first. */
static const struct {
	const char *subject_header;
} raw[] = {
	/* "[MD-2026-0001] 关于税收" with the tag split across two encoded words */
	{ "=?UTF-8?B?W01ELTIw?= =?UTF-8?B?MjYtMDAwMV0g5YWz5LqO56iO5pS2?=" },
	/* the tag inside one GBK word behind an encoded 回复： */
	{ "=?GBK?B?u9i4tKO6?= =?GBK?B?W01ELTIwMjYtMDAwMV0gudjT2suwytU=?=" },
	/* quoted-printable, split in the middle of the number */
	{ "Re: =?UTF-8?Q?=5BMD-2026-00?=\r\n =?UTF-8?Q?01=5D_=E5=85=B3=E4=BA=8E?=" },
	/* full-width brackets, encoded */
	{ "=?UTF-8?B?44CQTUQtMjAyNi0wMDAx44CR5YWz5LqO56iO5pS2?=" },
};

static void
test_encoded_subjects(void **state)
{
	struct thread_result res;
	struct md_config cfg;
	struct message *m;
	char buf[1024];
	size_t i;
	json_t *j;
	char *js;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.case_prefix = "MD";
	for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		snprintf(buf, sizeof(buf), "From: a@b.test\r\nSubject: %s\r\n\r\nx\r\n",
		    raw[i].subject_header);
		assert_int_equal(message_parse(buf, strlen(buf), NULL, &m), MD_OK);
		assert_int_equal(thread_find(&cfg, NULL, m, &res), MD_OK);
		if (res.via != THREAD_VIA_TAG || strcmp(res.case_number, "MD-2026-0001") != 0)
			fail_msg("%s decoded as \"%s\": via %d \"%s\"", raw[i].subject_header,
			    m->subject, res.via, res.case_number);
		j = thread_result_json(&res);
		js = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		assert_string_equal(js, "{\"case\":\"MD-2026-0001\",\"via\":\"tag\"}");
		free(js);
		json_decref(j);
		message_free(m);
	}
	memset(&res, 0, sizeof(res));
	j = thread_result_json(&res);
	js = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(js, "{\"case\":null,\"via\":null}");
	free(js);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_encoded_subjects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
