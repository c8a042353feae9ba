/*
 * Automatic-mail detection: one fixture per signal under tests/data/auto,
 * member mail that must stay human, bounce linking, hostile input; and,
 * built as test_autodetect_corpus, every real bounce of $MD_CORPUS/bounces
 * must be automatic and every reply body of $MD_CORPUS/replies must not.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <jansson.h>

#include "autodetect.h"
#include "message.h"

#define MAX_FILE (4 * 1024 * 1024)

static const char *const own[] = { "service@chamber.example.org" };

static void
test_config(struct autodetect_config *cfg)
{
	autodetect_config_default(cfg);
	cfg->loop_domain = "chamber.example.org";
	cfg->own_addresses = own;
	cfg->n_own_addresses = 1;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f;
	char *data;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	data = malloc(MAX_FILE + 1);
	if (data == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(data, 1, MAX_FILE, f);
	fclose(f);
	data[n] = '\0';
	*len = n;
	return data;
}

static char *
read_fixture(const char *name, size_t *len)
{
	const char *top = getenv("MD_TOP_SRCDIR");
	char path[1024];
	char *data;

	snprintf(path, sizeof(path), "%s/tests/data/auto/%s", top ? top : ".", name);
	data = read_file(path, len);
	if (data == NULL)
		fail_msg("cannot read fixture %s: %s", path, strerror(errno));
	return data;
}

/* The path the daemon takes: parse, then decide. */
static enum md_err
check_message(const char *raw, size_t len, const struct autodetect_config *cfg,
    struct auto_verdict *v)
{
	struct message *msg = NULL;
	enum md_err err;

	err = message_parse(raw, len, NULL, &msg);
	if (err)
		return err;
	err = autodetect_check(msg, raw, len, cfg, v);
	message_free(msg);
	return err;
}

struct fixture_case {
	const char *file;
	int automatic;
	const char *kind;           /* NULL: not automatic */
	const char *reason_has;     /* substring the reason must contain */
	const char *message_id;     /* expected original Message-ID, or NULL */
	const char *recipient;      /* one expected failed recipient, or NULL */
	size_t n_recipients;
	int delayed;
	int needs_parser;           /* 1: the raw-only path cannot decide it */
};

static const struct fixture_case cases[] = {
	/* Member mail that must open a case. */
	{ "member-auto-submitted-no.eml", 0, NULL, "Auto-Submitted: no", NULL, NULL, 0, 0, 0 },
	{ "member-tuihuo.eml", 0, NULL, "no automatic-mail signal", NULL, NULL, 0, 0, 0 },
	{ "member-xiujia.eml", 0, NULL, "no automatic-mail signal", NULL, NULL, 0, 0, 0 },
	{ "member-forwarded-bounce.eml", 0, NULL, "no automatic-mail signal", NULL, NULL, 0, 0, 0 },
	{ "noreply-form.eml", 0, NULL, "Reply-To huang.lei@member.example.cn", NULL, NULL, 0, 0, 0 },
	/* Out-of-office and other auto-replies. */
	{ "qq-ooo.eml", 1, "auto-reply", "自动回复", NULL, NULL, 0, 0, 0 },
	{ "163-ooo.eml", 1, "auto-reply", "【自动回复】", NULL, NULL, 0, 0, 0 },
	{ "163-ooo-colon.eml", 1, "auto-reply", "不在办公室", NULL, NULL, 0, 0, 0 },
	{ "exchange-ooo.eml", 1, "auto-reply", "Automatic reply", NULL, NULL, 0, 0, 0 },
	{ "exchange-ooo-zh.eml", 1, "auto-reply", "自动答复", NULL, NULL, 0, 0, 0 },
	{ "gmail-vacation.eml", 1, "auto-reply", "Auto-Submitted: auto-replied", NULL, NULL, 0, 0, 0 },
	{ "x-autoreply.eml", 1, "auto-reply", "X-Autoreply: yes", NULL, NULL, 0, 0, 0 },
	{ "mdn.eml", 1, "auto-reply", "disposition-notification", NULL, NULL, 0, 0, 0 },
	/* Lists, bulk, robots, loops. */
	{ "list.eml", 1, "list", "List-Id", NULL, NULL, 0, 0, 0 },
	{ "bulk.eml", 1, "bulk", "Precedence: bulk", NULL, NULL, 0, 0, 0 },
	{ "feedback-id.eml", 1, "bulk", "Feedback-ID", NULL, NULL, 0, 0, 0 },
	{ "noreply.eml", 1, "robot", "no-reply@service.example.com is a noreply", NULL, NULL, 0, 0, 0 },
	{ "null-sender.eml", 1, "robot", "Return-Path: <>", NULL, NULL, 0, 0, 0 },
	{ "xms-generated.eml", 1, "robot", "X-MS-Exchange-Generated-Message-Source", NULL, NULL, 0, 0, 0 },
	{ "loop-own.eml", 1, "loop", "X-Memberdesk-Loop: chamber.example.org", NULL, NULL, 0, 0, 0 },
	{ "loop-other.eml", 1, "robot", "another memberdesk", NULL, NULL, 0, 0, 0 },
	{ "xloop.eml", 1, "loop", "X-Loop: service@chamber.example.org", NULL, NULL, 0, 0, 0 },
	/* Bounces and reports, with what links them to our notice. */
	{ "bounce-dsn.eml", 1, "bounce", "report-type=delivery-status",
	    "md.2026.0014.3@chamber.example.org", "gone.member@member.example.cn", 1, 0, 0 },
	{ "bounce-delayed.eml", 1, "bounce", "delivery-status",
	    "md.2026.0015.1@chamber.example.org", "slow@member.example.cn", 1, 1, 0 },
	{ "bounce-zh.eml", 1, "bounce", "系统退信",
	    "md.2026.0016.1@chamber.example.org", NULL, 0, 0, 0 },
	{ "bounce-exim.eml", 1, "bounce", "X-Failed-Recipients",
	    "md.2026.0017.1@chamber.example.org", "b@member.example.cn", 2, 0, 0 },
	/* Encoded subjects: only the parsed message can show them. */
	{ "qq-ooo-gb18030.eml", 1, "auto-reply", "自动回复", NULL, NULL, 0, 0, 1 },
	{ "163-ooo-gbk.eml", 1, "auto-reply", "休假中", NULL, NULL, 0, 0, 1 },
	{ "member-tuihuo-gbk.eml", 0, NULL, "no automatic-mail signal", NULL, NULL, 0, 0, 1 },
	{ "arf.eml", 1, "feedback-report", "feedback-report",
	    "md.2026.0018.1@chamber.example.org", "complainer@member.example.cn", 1, 0, 0 },
};

static const struct fixture_case *
find_case(const char *file)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(cases[i].file, file) == 0)
			return &cases[i];
	fail_msg("no case %s", file);
	return NULL;
}

static void
assert_verdict(const struct fixture_case *fc, const struct auto_verdict *v)
{
	size_t i;
	int found = 0;

	if (v->is_automatic != fc->automatic)
		fail_msg("%s: is_automatic %d, want %d (%s)", fc->file, v->is_automatic,
		    fc->automatic, v->reason);
	if (fc->kind == NULL)
		assert_null(v->kind);
	else {
		assert_non_null(v->kind);
		if (strcmp(v->kind, fc->kind) != 0)
			fail_msg("%s: kind %s, want %s (%s)", fc->file, v->kind, fc->kind,
			    v->reason);
	}
	if (strstr(v->reason, fc->reason_has) == NULL)
		fail_msg("%s: reason \"%s\" lacks \"%s\"", fc->file, v->reason, fc->reason_has);
	if (fc->message_id) {
		assert_non_null(v->original_message_id);
		assert_string_equal(v->original_message_id, fc->message_id);
	} else
		assert_null(v->original_message_id);
	assert_int_equal(v->n_failed_recipients, fc->n_recipients);
	for (i = 0; i < v->n_failed_recipients; i++)
		if (fc->recipient && strcmp(v->failed_recipients[i], fc->recipient) == 0)
			found = 1;
	if (fc->recipient && !found)
		fail_msg("%s: recipient %s not extracted", fc->file, fc->recipient);
	assert_int_equal(v->delayed, fc->delayed);
}

static void
test_fixture(void **state)
{
	const struct fixture_case *fc = *state;
	struct autodetect_config cfg;
	struct auto_verdict v;
	size_t len;
	char *raw;

	test_config(&cfg);
	raw = read_fixture(fc->file, &len);
	assert_int_equal(check_message(raw, len, &cfg, &v), MD_OK);
	assert_verdict(fc, &v);
	autodetect_verdict_free(&v);
	/* Without a parsed message (too big to parse) the same verdict. */
	if (fc->needs_parser) {
		free(raw);
		return;
	}
	assert_int_equal(autodetect_check(NULL, raw, len, &cfg, &v), MD_OK);
	assert_verdict(fc, &v);
	autodetect_verdict_free(&v);
	free(raw);
}

static char *
to_crlf(const char *s, size_t len, size_t *outlen)
{
	char *o = malloc(len * 2 + 1);
	size_t i, n = 0;

	assert_non_null(o);
	for (i = 0; i < len; i++) {
		if (s[i] == '\n')
			o[n++] = '\r';
		o[n++] = s[i];
	}
	o[n] = '\0';
	*outlen = n;
	return o;
}

static void
test_crlf_same_verdict(void **state)
{
	struct autodetect_config cfg;
	struct auto_verdict v;
	size_t len, clen;
	char *raw, *crlf;

	(void)state;
	test_config(&cfg);
	raw = read_fixture("bounce-dsn.eml", &len);
	crlf = to_crlf(raw, len, &clen);
	assert_int_equal(check_message(crlf, clen, &cfg, &v), MD_OK);
	assert_verdict(find_case("bounce-dsn.eml"), &v);
	autodetect_verdict_free(&v);
	free(crlf);
	free(raw);
}

static void
test_bounce_wins_over_auto_reply(void **state)
{
	struct autodetect_config cfg;
	struct auto_verdict v;
	size_t len;
	char *raw;

	(void)state;
	test_config(&cfg);
	raw = read_fixture("bounce-dsn.eml", &len);
	assert_int_equal(check_message(raw, len, &cfg, &v), MD_OK);
	/* Auto-Submitted: auto-replied, Return-Path <> and MAILER-DAEMON too. */
	assert_string_equal(v.kind, "bounce");
	assert_non_null(strstr(v.reason, "more signals"));
	autodetect_verdict_free(&v);
	free(raw);
}

static void
test_noreply_policy_strict(void **state)
{
	struct autodetect_config cfg;
	struct auto_verdict v;
	size_t len;
	char *raw;

	(void)state;
	test_config(&cfg);
	cfg.noreply_with_reply_to_is_human = 0;
	raw = read_fixture("noreply-form.eml", &len);
	assert_int_equal(check_message(raw, len, &cfg, &v), MD_OK);
	assert_true(v.is_automatic);
	assert_string_equal(v.kind, "robot");
	autodetect_verdict_free(&v);
	free(raw);
}

static void
test_loop_without_domain(void **state)
{
	const char raw[] = "From: a@b.example\nX-Memberdesk-Loop: anything.example\n"
	    "Subject: hi\n\nbody\n";
	struct auto_verdict v;

	(void)state;
	/* Without a configured domain every memberdesk loop header is ours. */
	assert_int_equal(autodetect_check(NULL, raw, sizeof(raw) - 1, NULL, &v), MD_OK);
	assert_string_equal(v.kind, "loop");
	autodetect_verdict_free(&v);
}

static void
test_reason_is_escaped(void **state)
{
	const char raw[] = "From: x@y.example\r\nAuto-Submitted: auto-generated\x1b[31m\x01\r\n"
	    "Subject: hi\r\n\r\nbody\r\n";
	struct auto_verdict v;
	const char *p;

	(void)state;
	assert_int_equal(autodetect_check(NULL, raw, sizeof(raw) - 1, NULL, &v), MD_OK);
	assert_true(v.is_automatic);
	for (p = v.reason; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
	assert_non_null(strstr(v.reason, "\\x1b"));
	autodetect_verdict_free(&v);
}

static void
test_hostile_recipients_rejected(void **state)
{
	const char raw[] = "From: MAILER-DAEMON@x.example\n"
	    "X-Failed-Recipients: ok@member.example, \"evil\r\nRCPT TO:<x>\"@a, <bad>\n"
	    "Subject: failure notice\n\n"
	    "Message-ID: <has space@x>\nFinal-Recipient: rfc822; a\tb@c\n";
	struct auto_verdict v;

	(void)state;
	assert_int_equal(autodetect_check(NULL, raw, sizeof(raw) - 1, NULL, &v), MD_OK);
	assert_string_equal(v.kind, "bounce");
	assert_int_equal(v.n_failed_recipients, 1);
	assert_string_equal(v.failed_recipients[0], "ok@member.example");
	assert_null(v.original_message_id);
	autodetect_verdict_free(&v);
}

static void
test_subject_phrases(void **state)
{
	static const struct {
		const char *subject;
		int automatic;
	} subjects[] = {
		{ "自动回复功能怎么设置", 0 },
		{ "退货申请", 0 },
		{ "关于退信的咨询", 0 },
		{ "无法投递的包裹如何索赔", 0 },
		{ "休假期间工资", 0 },
		{ "Undeliverable goods at the port", 0 },
		{ "Returned mailbox fee", 0 },
		{ "Re: Out of Office: earlier notice", 0 },
		{ "退信：原主题", 1 },
		{ "自动回复 原主题", 1 },
		{ "[自动回复] 原主题", 1 },
		{ "休假", 1 },
		{ "  Undeliverable: notice", 1 },
		{ "Out of office until Monday", 1 },
		{ "Delivery Status Notification (Failure)", 1 },
		{ "AUTOMATIC REPLY: notice", 1 },
	};
	struct auto_verdict v;
	char raw[512];
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		n = snprintf(raw, sizeof(raw), "From: a@member.example.cn\n"
		    "Subject: %s\n\nbody\n", subjects[i].subject);
		assert_true(n > 0 && (size_t)n < sizeof(raw));
		assert_int_equal(autodetect_check(NULL, raw, (size_t)n, NULL, &v), MD_OK);
		if (v.is_automatic != subjects[i].automatic)
			fail_msg("subject \"%s\": automatic %d (%s)", subjects[i].subject,
			    v.is_automatic, v.reason);
		autodetect_verdict_free(&v);
	}
}

static void
test_every_prefix_is_safe(void **state)
{
	struct autodetect_config cfg;
	struct auto_verdict v;
	size_t len, n, i;
	char *raw, *copy;

	(void)state;
	test_config(&cfg);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		raw = read_fixture(cases[i].file, &len);
		/* Exact-size copies so ASan sees any read past the given length. */
		for (n = 0; n <= len; n++) {
			copy = malloc(n ? n : 1);
			assert_non_null(copy);
			memcpy(copy, raw, n);
			assert_int_equal(autodetect_check(NULL, copy, n, &cfg, &v), MD_OK);
			autodetect_verdict_free(&v);
			free(copy);
		}
		free(raw);
	}
}

static void
test_bad_arguments(void **state)
{
	struct auto_verdict v;

	(void)state;
	assert_int_equal(autodetect_check(NULL, "x", 1, NULL, NULL), MD_ERR_INPUT);
	memset(&v, 0xff, sizeof(v));
	assert_int_equal(autodetect_check(NULL, NULL, 0, NULL, &v), MD_ERR_INPUT);
	assert_int_equal(v.is_automatic, 0);
	assert_null(v.failed_recipients);
	autodetect_verdict_free(NULL);
}

static void
test_json(void **state)
{
	struct autodetect_config cfg;
	struct auto_verdict v;
	json_t *j, *arr;
	size_t len;
	char *raw;

	(void)state;
	test_config(&cfg);
	raw = read_fixture("bounce-dsn.eml", &len);
	assert_int_equal(check_message(raw, len, &cfg, &v), MD_OK);
	j = autodetect_verdict_json(&v);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "is")));
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "bounce");
	assert_string_equal(json_string_value(json_object_get(j, "reason")), v.reason);
	assert_string_equal(json_string_value(json_object_get(j, "original_message_id")),
	    "md.2026.0014.3@chamber.example.org");
	arr = json_object_get(j, "failed_recipients");
	assert_int_equal(json_array_size(arr), 1);
	assert_null(json_object_get(j, "delayed"));
	json_decref(j);
	autodetect_verdict_free(&v);
	free(raw);

	raw = read_fixture("member-tuihuo.eml", &len);
	assert_int_equal(check_message(raw, len, &cfg, &v), MD_OK);
	j = autodetect_verdict_json(&v);
	assert_non_null(j);
	assert_true(json_is_false(json_object_get(j, "is")));
	assert_true(json_is_null(json_object_get(j, "kind")));
	assert_true(json_is_string(json_object_get(j, "reason")));
	assert_int_equal(json_object_size(j), 3);
	json_decref(j);
	autodetect_verdict_free(&v);
	free(raw);
}

/* Corpus: real bounces and real reply bodies. */

static const char *
corpus_dir(const char *sub, char *path, size_t pathlen)
{
	const char *c = getenv("MD_CORPUS");
	struct stat st;

	if (c == NULL || *c == '\0')
		return NULL;
	snprintf(path, pathlen, "%s/%s", c, sub);
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return path;
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void
test_corpus_bounces_are_automatic(void **state)
{
	struct autodetect_config cfg;
	struct auto_verdict v;
	char dir[1024], path[2048];
	struct dirent *de;
	DIR *d;
	size_t len, total = 0, missed = 0, raw_missed = 0, linked = 0;
	size_t by_kind[8] = { 0 };
	static const char *const kinds[] = {
		"bounce", "feedback-report", "auto-reply", "robot", "list", "bulk", "loop", NULL
	};
	size_t k;
	char *raw;

	(void)state;
	test_config(&cfg);
	assert_non_null(corpus_dir("bounces", dir, sizeof(dir)));
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (!has_suffix(de->d_name, ".eml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		raw = read_file(path, &len);
		assert_non_null(raw);
		/* Too big to parse: the raw headers alone must still tell. */
		assert_int_equal(autodetect_check(NULL, raw, len, &cfg, &v), MD_OK);
		if (!v.is_automatic) {
			raw_missed++;
			print_message("NOT automatic from raw: %s (%s)\n", de->d_name, v.reason);
		}
		autodetect_verdict_free(&v);
		assert_int_equal(check_message(raw, len, &cfg, &v), MD_OK);
		total++;
		if (!v.is_automatic) {
			missed++;
			print_message("NOT automatic: %s (%s)\n", de->d_name, v.reason);
		} else {
			for (k = 0; kinds[k]; k++)
				if (strcmp(kinds[k], v.kind) == 0)
					by_kind[k]++;
			if (v.original_message_id || v.n_failed_recipients)
				linked++;
		}
		autodetect_verdict_free(&v);
		free(raw);
	}
	closedir(d);
	print_message("bounces: %zu files, %zu automatic, %zu with link data\n",
	    total, total - missed, linked);
	for (k = 0; kinds[k]; k++)
		if (by_kind[k])
			print_message("  %s: %zu\n", kinds[k], by_kind[k]);
	assert_true(total > 0);
	assert_int_equal(missed, 0);
	assert_int_equal(raw_missed, 0);
}

static void
test_corpus_replies_are_human(void **state)
{
	static const char head[] =
	    "From: =?UTF-8?B?5byg5Lyf?= <zhang.wei@member.example.cn>\r\n"
	    "To: service@chamber.example.org\r\n"
	    "Subject: Re: [MD-2026-0001] =?UTF-8?B?5Y+X55CG6YCa55+l?=\r\n"
	    "Date: Mon, 2 Mar 2026 09:12:00 +0800\r\n"
	    "Message-ID: <reply-test@member.example.cn>\r\n"
	    "In-Reply-To: <md.2026.0001.1@chamber.example.org>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n\r\n";
	struct autodetect_config cfg;
	struct auto_verdict v;
	char dir[1024], path[2048];
	struct dirent *de;
	DIR *d;
	size_t len, total = 0, wrong = 0;
	char *body, *raw;

	(void)state;
	test_config(&cfg);
	assert_non_null(corpus_dir("replies", dir, sizeof(dir)));
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (!has_suffix(de->d_name, ".txt"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		body = read_file(path, &len);
		assert_non_null(body);
		raw = malloc(sizeof(head) + len);
		assert_non_null(raw);
		memcpy(raw, head, sizeof(head) - 1);
		memcpy(raw + sizeof(head) - 1, body, len);
		assert_int_equal(check_message(raw, sizeof(head) - 1 + len, &cfg, &v), MD_OK);
		total++;
		if (v.is_automatic) {
			wrong++;
			print_message("automatic: %s (%s)\n", de->d_name, v.reason);
		}
		autodetect_verdict_free(&v);
		free(raw);
		free(body);
	}
	closedir(d);
	print_message("replies: %zu files, %zu wrongly automatic\n", total, wrong);
	assert_true(total > 0);
	assert_int_equal(wrong, 0);
}

static int
run_corpus(void)
{
	char dir[1024];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_bounces_are_automatic),
		cmocka_unit_test(test_corpus_replies_are_human),
	};

	if (corpus_dir("bounces", dir, sizeof(dir)) == NULL ||
	    corpus_dir("replies", dir, sizeof(dir)) == NULL) {
		fprintf(stderr, "MD_CORPUS not set or incomplete: skipping\n");
		return 77;
	}
	return cmocka_run_group_tests_name("autodetect corpus", tests, NULL, NULL);
}

static int
run_fixtures(void)
{
	struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0]) + 10];
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_crlf_same_verdict),
		cmocka_unit_test(test_bounce_wins_over_auto_reply),
		cmocka_unit_test(test_noreply_policy_strict),
		cmocka_unit_test(test_loop_without_domain),
		cmocka_unit_test(test_reason_is_escaped),
		cmocka_unit_test(test_hostile_recipients_rejected),
		cmocka_unit_test(test_subject_phrases),
		cmocka_unit_test(test_every_prefix_is_safe),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_json),
	};
	size_t i, n = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&tests[n], 0, sizeof(tests[n]));
		tests[n].name = cases[i].file;
		tests[n].test_func = test_fixture;
		tests[n].initial_state = (void *)&cases[i];
		n++;
	}
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[n++] = fixed[i];
	return _cmocka_run_group_tests("autodetect", tests, n, NULL, NULL);
}

int
main(int argc, char **argv)
{
	const char *slash = strrchr(argv[0], '/');

	(void)argc;
	/* One source, two programs: the corpus one skips (77) without MD_CORPUS. */
	if (strstr(slash ? slash + 1 : argv[0], "corpus"))
		return run_corpus();
	return run_fixtures();
}
