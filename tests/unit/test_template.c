#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "template.h"

static char tmpl_dir[256];

static const char *
srcdir(void)
{
	const char *s = getenv("MD_TOP_SRCDIR");

	return s ? s : ".";
}

static struct template *
parse_ok(const char *name, const char *text)
{
	struct template *t = NULL;
	char err[512] = "";

	assert_int_equal(template_parse(name, "mem.txt", text, strlen(text), err, sizeof(err),
	    &t), MD_OK);
	assert_non_null(t);
	return t;
}

static enum md_err
parse_err(const char *name, const char *text, char *err, size_t errlen)
{
	struct template *t = NULL;
	enum md_err e;

	err[0] = '\0';
	e = template_parse(name, "mem.txt", text, strlen(text), err, errlen, &t);
	assert_null(t);
	return e;
}

static void
write_file(const char *dir, const char *rel, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

static void
test_shipped_templates_are_valid(void **state)
{
	static const char *const required[] = { "ack", "accepted", "rejected", "progress",
	    "extended", "result", "rehandling", "closed", "reply", "staff_new_case",
	    "staff_reminder", "staff_escalation", "staff_digest", "command_transcript",
	    "bounce_alert", "oversize_notice", NULL };
	const char *const *names = template_known_names();
	char dir[4096], err[512], *s, *b;
	struct template *t;
	FILE *mem;
	char *out = NULL;
	size_t outlen = 0, i;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/templates", srcdir());
	assert_non_null(mem = open_memstream(&out, &outlen));
	assert_int_equal(template_check_dir(dir, mem), MD_OK);
	fclose(mem);
	assert_int_equal(outlen, 0);
	free(out);
	for (i = 0; names[i] != NULL; i++) {
		err[0] = '\0';
		assert_int_equal(template_load(dir, "en", names[i], err, sizeof(err), &t), MD_OK);
		/* Every template exists in English too, not only through fallback. */
		assert_string_equal(template_lang(t), "en");
		assert_int_equal(template_expand(t, NULL, 0, &s, &b, err, sizeof(err)), MD_OK);
		assert_null(strchr(s, '\n'));
		assert_true(strlen(b) > 20);
		free(s);
		free(b);
		template_free(t);
	}
	/* The whole case life is covered. */
	assert_true(i >= 16);
	for (i = 0; required[i] != NULL; i++)
		assert_true(template_is_known(required[i]));
}

static void
test_render_ack_zh(void **state)
{
	struct template_var vars[] = {
		{ "case_number", "MD-2026-0001" },
		{ "case_tag", "[MD-2026-0001]" },
		{ "subject", "关于出口退税的咨询" },
		{ "chamber_name", "XX商会" },
		{ "requester_name", "张三" },
		{ "requester_unit", "某某科技有限公司" },
		{ "submitted_at", "2026-03-02 09:15" },
		{ "review_due", "2026-03-04" },
		{ "requester_phone", "" },
	};
	char dir[4096], used[16], err[512], *s = NULL, *b = NULL;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/templates", srcdir());
	assert_int_equal(template_render(dir, "zh", "ack", vars, 9, &s, &b, used, sizeof(used),
	    err, sizeof(err)), MD_OK);
	assert_string_equal(used, "zh");
	assert_string_equal(s, "[MD-2026-0001] 诉求受理回执：关于出口退税的咨询");
	assert_non_null(strstr(b, "尊敬的某某科技有限公司 张三："));
	assert_non_null(strstr(b, "诉求编号：MD-2026-0001"));
	assert_non_null(strstr(b, "2 个工作日内（2026-03-04 前）"));
	assert_non_null(strstr(b, "《XX商会会员诉求处理办法》"));
	/* The empty phone hides its whole line. */
	assert_null(strstr(b, "联系电话"));
	free(s);
	free(b);
	vars[8].value = "010-12345678";
	assert_int_equal(template_render(dir, "zh", "ack", vars, 9, &s, &b, NULL, 0, err,
	    sizeof(err)), MD_OK);
	assert_non_null(strstr(b, "  联系电话：010-12345678\n"));
	free(s);
	free(b);
}

static void
test_sections(void **state)
{
	struct template *t;
	struct template_var v[] = { { "requester_unit", NULL }, { "reason", "x" } };
	char err[256], *s, *b;

	(void)state;
	t = parse_ok("rehandling", "Subject: S{{#reason}}+{{/reason}}\n\n"
	    "A{{#requester_unit}}P={{requester_unit}}{{/requester_unit}}"
	    "{{^requester_unit}}none{{/requester_unit}}B"
	    "{{#reason}}[{{#requester_unit}}inner{{/requester_unit}}{{ reason }}]{{/reason}}\n");
	assert_int_equal(template_expand(t, v, 2, &s, &b, err, sizeof(err)), MD_OK);
	assert_string_equal(s, "S+");
	assert_string_equal(b, "AnoneB[x]\n");
	free(s);
	free(b);
	v[0].value = "123";
	v[1].value = "";
	assert_int_equal(template_expand(t, v, 2, &s, &b, err, sizeof(err)), MD_OK);
	assert_string_equal(s, "S");
	assert_string_equal(b, "AP=123B\n");
	free(s);
	free(b);
	template_free(t);
}

static void
test_parse_errors_name_file_and_line(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(parse_err("ack", "Subject: {{case_tag}}\n\nHello\n{{nonsense}}\n",
	    err, sizeof(err)), MD_ERR_INPUT);
	assert_non_null(strstr(err, "mem.txt:4:"));
	assert_non_null(strstr(err, "{{nonsense}}"));
	/* A variable of another template is unknown here. */
	assert_int_equal(parse_err("ack", "Subject: x {{ground}}\n\nb\n", err, sizeof(err)),
	    MD_ERR_INPUT);
	assert_non_null(strstr(err, "mem.txt:1:"));
	assert_int_equal(parse_err("ack", "Subject: x\n\n{{#subject}}\nopen\n", err,
	    sizeof(err)), MD_ERR_INPUT);
	assert_non_null(strstr(err, "mem.txt:3: section {{#subject}} is never closed"));
	assert_int_equal(parse_err("ack", "Subject: x\n\n{{#subject}}{{/case_tag}}\n", err,
	    sizeof(err)), MD_ERR_INPUT);
	assert_non_null(strstr(err, "mem.txt:3:"));
	assert_int_equal(parse_err("ack", "Subject: x\n\n\n\n{{Subject}}\n", err, sizeof(err)),
	    MD_ERR_INPUT);
	assert_non_null(strstr(err, "mem.txt:5: malformed placeholder"));
	assert_int_equal(parse_err("ack", "Subject: x\n\n{{subject\n}}", err, sizeof(err)),
	    MD_ERR_INPUT);
	assert_int_equal(parse_err("ack", "Hello\n\nbody", err, sizeof(err)), MD_ERR_INPUT);
	assert_non_null(strstr(err, "mem.txt:1:"));
	assert_int_equal(parse_err("ack", "Subject: x\nbody", err, sizeof(err)), MD_ERR_INPUT);
	assert_non_null(strstr(err, "mem.txt:2:"));
	assert_int_equal(parse_err("ack", "Subject: x\n\nbad \xff byte", err, sizeof(err)),
	    MD_ERR_INPUT);
	assert_int_equal(parse_err("nosuch", "Subject: x\n\nb", err, sizeof(err)),
	    MD_ERR_NOTFOUND);
	assert_non_null(strstr(err, "unknown template 'nosuch'"));
}

static void
test_unknown_variable_from_caller(void **state)
{
	struct template *t = parse_ok("ack", "Subject: {{subject}}\n\n{{case_number}}\n");
	struct template_var v[] = { { "case_numbr", "1" } };
	char err[256] = "", *s = (char *)1, *b = (char *)1;

	(void)state;
	assert_int_equal(template_expand(t, v, 1, &s, &b, err, sizeof(err)), MD_ERR_INPUT);
	assert_null(s);
	assert_null(b);
	assert_non_null(strstr(err, "case_numbr"));
	template_free(t);
}

static void
test_values_are_sanitised(void **state)
{
	struct template *t = parse_ok("reply", "Subject: Re: {{subject}}\n\n{{text}}|{{staff_name}}\n");
	struct template_var v[] = {
		{ "subject", "x\r\nBcc: evil@x\t\x01" },
		{ "text", "line1\r\nline2\rline3\x07\x00" },
		{ "staff_name", "bad\xc3(utf8" },
	};
	char err[256], *s, *b, big[1200];
	size_t i;

	(void)state;
	assert_int_equal(template_expand(t, v, 3, &s, &b, err, sizeof(err)), MD_OK);
	assert_string_equal(s, "Re: x  Bcc: evil@x  ");
	assert_string_equal(b, "line1\nline2\nline3|bad\xef\xbf\xbd(utf8\n");
	free(s);
	free(b);
	/* A long subject value is cut at a character boundary and marked. */
	for (i = 0; i + 3 < sizeof(big); i += 3)
		memcpy(big + i, "商", 3);
	big[i] = '\0';
	v[0].value = big;
	assert_int_equal(template_expand(t, v, 1, &s, &b, err, sizeof(err)), MD_OK);
	assert_int_equal(strlen(s), strlen("Re: ") + TEMPLATE_MAX_SUBJECT_VALUE + 3);
	assert_string_equal(s + strlen(s) - 3, "\xe2\x80\xa6");
	assert_int_equal(memcmp(s + strlen(s) - 6, "商", 3), 0);
	free(s);
	free(b);
	template_free(t);
}

static void
test_output_is_bounded(void **state)
{
	struct template *t = parse_ok("reply", "Subject: s\n\n{{text}}{{text}}\n");
	struct template_var v[] = { { "text", NULL } };
	char err[256], *s, *b, *big;

	(void)state;
	assert_non_null(big = malloc(TEMPLATE_MAX_BODY / 2 + 10));
	memset(big, 'a', TEMPLATE_MAX_BODY / 2 + 9);
	big[TEMPLATE_MAX_BODY / 2 + 9] = '\0';
	v[0].value = big;
	assert_int_equal(template_expand(t, v, 1, &s, &b, err, sizeof(err)), MD_ERR_LIMIT);
	assert_null(b);
	big[TEMPLATE_MAX_BODY / 4] = '\0';
	assert_int_equal(template_expand(t, v, 1, &s, &b, err, sizeof(err)), MD_OK);
	assert_int_equal(strlen(b), TEMPLATE_MAX_BODY / 2 + 1);
	free(s);
	free(b);
	free(big);
	template_free(t);
}

static int
setup_dir(void **state)
{
	char p[512];

	(void)state;
	snprintf(tmpl_dir, sizeof(tmpl_dir), "/tmp/md-test-template-XXXXXX");
	if (mkdtemp(tmpl_dir) == NULL)
		return -1;
	snprintf(p, sizeof(p), "%s/zh", tmpl_dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/en", tmpl_dir);
	mkdir(p, 0700);
	return 0;
}

static int
teardown_dir(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_fallback_to_default_language(void **state)
{
	struct template_var v[] = { { "case_number", "MD-1" } };
	char used[16], err[512], *s, *b;

	(void)state;
	write_file(tmpl_dir, "zh/ack.txt", "Subject: 回执 {{case_number}}\n\n中文\n");
	write_file(tmpl_dir, "en/reply.txt", "Subject: en\n\nEnglish\n");
	assert_int_equal(template_render(tmpl_dir, "en", "ack", v, 1, &s, &b, used,
	    sizeof(used), err, sizeof(err)), MD_OK);
	assert_string_equal(used, "zh");
	assert_string_equal(s, "回执 MD-1");
	assert_string_equal(b, "中文\n");
	free(s);
	free(b);
	assert_int_equal(template_render(tmpl_dir, "en", "reply", NULL, 0, &s, &b, used,
	    sizeof(used), err, sizeof(err)), MD_OK);
	assert_string_equal(used, "en");
	free(s);
	free(b);
	/* Neither language has it. */
	assert_int_equal(template_render(tmpl_dir, "en", "closed", NULL, 0, &s, &b, used,
	    sizeof(used), err, sizeof(err)), MD_ERR_NOTFOUND);
	assert_non_null(strstr(err, "zh/closed.txt"));
	assert_int_equal(template_render(tmpl_dir, "zh", "nosuch", NULL, 0, &s, &b, used,
	    sizeof(used), err, sizeof(err)), MD_ERR_NOTFOUND);
	assert_non_null(strstr(err, "unknown template 'nosuch'"));
	assert_int_equal(template_render(tmpl_dir, "../zh", "ack", NULL, 0, &s, &b, used,
	    sizeof(used), err, sizeof(err)), MD_ERR_INPUT);
	/* CRLF template files read the same as LF ones. */
	write_file(tmpl_dir, "en/closed.txt", "Subject: c {{case_number}}\r\n\r\nl1\r\nl2\r\n");
	assert_int_equal(template_render(tmpl_dir, "en", "closed", v, 1, &s, &b, used,
	    sizeof(used), err, sizeof(err)), MD_OK);
	assert_string_equal(s, "c MD-1");
	assert_string_equal(b, "l1\nl2\n");
	free(s);
	free(b);
}

static void
test_check_dir_reports_every_problem(void **state)
{
	char *out = NULL;
	size_t outlen = 0;
	FILE *mem;

	(void)state;
	write_file(tmpl_dir, "zh/ack.txt", "Subject: x\n\nfine\n");
	write_file(tmpl_dir, "zh/bogus.txt", "Subject: x\n\nb\n");
	write_file(tmpl_dir, "en/accepted.txt", "Subject: x\n\n\n{{due_dat}}\n");
	assert_non_null(mem = open_memstream(&out, &outlen));
	assert_int_equal(template_check_dir(tmpl_dir, mem), MD_ERR_INPUT);
	fclose(mem);
	assert_non_null(strstr(out, "zh/bogus.txt:1: unknown template 'bogus'"));
	assert_non_null(strstr(out, "en/accepted.txt:4: unknown placeholder {{due_dat}}"));
	assert_non_null(strstr(out, "zh/result.txt: missing"));
	assert_null(strstr(out, "zh/ack.txt: missing"));
	free(out);
	assert_int_equal(template_check_dir("/nonexistent/md", NULL), MD_ERR_IO);
}

/* Expand t with case_number MD-1 and check the subject. */
static void
assert_subject(const struct template *t, const char *want)
{
	struct template_var v[] = { { "case_number", "MD-1" } };
	char err[512], *s = NULL, *b = NULL;

	assert_int_equal(template_expand(t, v, 1, &s, &b, err, sizeof(err)), MD_OK);
	assert_string_equal(s, want);
	free(s);
	free(b);
}

static void
test_cache_reads_each_file_once(void **state)
{
	struct template_cache *c = NULL;
	const struct template *t1 = NULL, *t2 = NULL, *t3 = NULL;
	char err[512], other[300];

	(void)state;
	assert_int_equal(template_cache_new(&c), MD_OK);
	assert_int_equal(template_cache_size(c), 0);
	write_file(tmpl_dir, "zh/ack.txt", "Subject: one {{case_number}}\n\nb\n");
	assert_int_equal(template_cache_get(c, tmpl_dir, "zh", "ack", err, sizeof(err), &t1),
	    MD_OK);
	assert_subject(t1, "one MD-1");
	/* An edit is not seen while the template is kept: the same object comes back. */
	write_file(tmpl_dir, "zh/ack.txt", "Subject: two {{case_number}}\n\nb\n");
	assert_int_equal(template_cache_get(c, tmpl_dir, "zh", "ack", err, sizeof(err), &t2),
	    MD_OK);
	assert_ptr_equal(t1, t2);
	assert_int_equal(template_cache_size(c), 1);
	/* Fallback: "en" has no ack, the zh one is kept under "en" too. */
	assert_int_equal(template_cache_get(c, tmpl_dir, "en", "ack", err, sizeof(err), &t3),
	    MD_OK);
	assert_string_equal(template_lang(t3), "zh");
	assert_subject(t3, "two MD-1");
	assert_int_equal(template_cache_size(c), 2);
	/* Clearing reads the edited file. */
	template_cache_clear(c);
	assert_int_equal(template_cache_size(c), 0);
	assert_int_equal(template_cache_get(c, tmpl_dir, "zh", "ack", err, sizeof(err), &t1),
	    MD_OK);
	assert_subject(t1, "two MD-1");
	/* Failures are those of template_load() and are not kept. */
	assert_int_equal(template_cache_get(c, tmpl_dir, "zh", "closed", err, sizeof(err), &t2),
	    MD_ERR_NOTFOUND);
	assert_null(t2);
	assert_int_equal(template_cache_get(c, tmpl_dir, "zh", "nosuch", err, sizeof(err), &t2),
	    MD_ERR_NOTFOUND);
	assert_non_null(strstr(err, "unknown template 'nosuch'"));
	assert_int_equal(template_cache_get(c, tmpl_dir, "../zh", "ack", err, sizeof(err), &t2),
	    MD_ERR_INPUT);
	assert_int_equal(template_cache_size(c), 1);
	write_file(tmpl_dir, "zh/closed.txt", "Subject: closed {{case_number}}\n\nb\n");
	assert_int_equal(template_cache_get(c, tmpl_dir, "zh", "closed", err, sizeof(err), &t2),
	    MD_OK);
	assert_subject(t2, "closed MD-1");
	/* Another directory replaces what was kept. */
	snprintf(other, sizeof(other), "%s/../%s", tmpl_dir, strrchr(tmpl_dir, '/') + 1);
	assert_int_equal(template_cache_get(c, other, "zh", "ack", err, sizeof(err), &t1),
	    MD_OK);
	assert_int_equal(template_cache_size(c), 1);
	template_cache_free(c);
	template_cache_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_templates_are_valid),
		cmocka_unit_test(test_render_ack_zh),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_parse_errors_name_file_and_line),
		cmocka_unit_test(test_unknown_variable_from_caller),
		cmocka_unit_test(test_values_are_sanitised),
		cmocka_unit_test(test_output_is_bounded),
		cmocka_unit_test_setup_teardown(test_fallback_to_default_language, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_check_dir_reports_every_problem, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_cache_reads_each_file_once, setup_dir,
		    teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
