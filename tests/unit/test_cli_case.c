/*
 * The terminal helpers of cli_case.c: sanitizing text from mail for a
 * terminal, display widths of CJK and combining text, and the aligned
 * table of `memberdesk case list` (cut cells, padding, invalid UTF-8).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"

static void
sanitizes(const char *in, int keep_newlines, const char *want)
{
	char *got = cli_sanitize(in, keep_newlines);

	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("cli_sanitize(\"%s\", %d) gave \"%s\", want \"%s\"", in, keep_newlines,
		    got, want);
	free(got);
}

static void
test_sanitize(void **state)
{
	(void)state;
	sanitizes("", 0, "");
	sanitizes(NULL, 0, "");
	sanitizes("plain ASCII text", 0, "plain ASCII text");
	sanitizes("商会 会员", 0, "商会 会员");
	sanitizes("a\r\nb\tc", 0, "a b c");
	sanitizes("a\r\nb\tc", 1, "a\nb\tc");
	/* Escape sequences, DEL and C1 controls cannot reach the terminal. */
	sanitizes("x\x1b[2Jy", 0, "x\xef\xbf\xbd[2Jy");
	sanitizes("\x7f", 0, "\xef\xbf\xbd");
	sanitizes("a\xc2\x9b" "b", 0, "a\xef\xbf\xbd" "b");
	/* Bidirectional overrides would reorder what staff read. */
	sanitizes("abc\xe2\x80\xae" "def", 0, "abc\xef\xbf\xbd" "def");
	sanitizes("\xe2\x81\xa6x\xe2\x80\x8f", 0, "\xef\xbf\xbdx\xef\xbf\xbd");
	/* Invalid UTF-8: one replacement per bad byte. */
	sanitizes("a\xff" "b", 0, "a\xef\xbf\xbd" "b");
	sanitizes("\xe5\x95", 0, "\xef\xbf\xbd\xef\xbf\xbd");
	sanitizes("\xc0\xaf", 0, "\xef\xbf\xbd\xef\xbf\xbd");
	sanitizes("\xed\xa0\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	sanitizes("商\xe5\x95" "会", 0, "商\xef\xbf\xbd\xef\xbf\xbd会");
	/* Four-byte characters pass whole. */
	sanitizes("\xf0\x9f\x98\x80!", 0, "\xf0\x9f\x98\x80!");
}

static void
test_display_width(void **state)
{
	(void)state;
	assert_int_equal(cli_display_width(""), 0);
	assert_int_equal(cli_display_width("abc"), 3);
	assert_int_equal(cli_display_width("商会"), 4);
	assert_int_equal(cli_display_width("ｄ"), 2);         /* fullwidth form */
	assert_int_equal(cli_display_width("한"), 2);         /* Hangul */
	assert_int_equal(cli_display_width("e\xcc\x81"), 1);  /* e + combining acute */
	assert_int_equal(cli_display_width("a\xe2\x80\x8b" "b"), 2);  /* zero width space */
	assert_int_equal(cli_display_width("\xf0\x9f\x98\x80"), 2);  /* emoji */
	assert_int_equal(cli_display_width("\xf0\xa0\x80\x80"), 2);  /* CJK ext. B */
	assert_int_equal(cli_display_width("é"), 1);
	assert_int_equal(cli_display_width("\xff" "a"), 2);  /* a bad byte takes a column */
	assert_int_equal(cli_display_width("\xc2\xa0"), 1);
}

/* The table printed with max_width, as one string (caller frees). */
static char *
printed(const struct cli_table *t, size_t max_width)
{
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	assert_non_null(fp);
	cli_table_print(t, fp, max_width);
	assert_int_equal(fclose(fp), 0);
	return out;
}

static void
test_table(void **state)
{
	static const char *const head[] = { "编号", "STATUS", "主题" };
	const char *row1[] = { "MD-2026-0001", "已登记", "关于高新技术企业认定的咨询" };
	const char *row2[] = { "MD-2026-0002", NULL, "short" };
	const char *row3[] = { "X", "a\033b", "bad \xff byte" };
	const char *row4[] = { "Y", "ab一二三四五", "一二三四五六" };
	struct cli_table *t = NULL;
	char *out;

	(void)state;
	assert_int_equal(cli_table_new(3, head, &t), MD_OK);
	assert_int_equal(cli_table_add(t, row1), MD_OK);
	assert_int_equal(cli_table_add(t, row2), MD_OK);
	assert_int_equal(cli_table_add(t, row3), MD_OK);
	assert_int_equal(cli_table_add(t, row4), MD_OK);
	out = printed(t, 40);
	assert_string_equal(out,
	    "编号          STATUS        主题\n"
	    "MD-2026-0001  已登记        关于高新技术企业认定的咨询\n"
	    "MD-2026-0002                short\n"
	    "X             a\xef\xbf\xbd" "b           bad \xef\xbf\xbd byte\n"
	    "Y             ab一二三四五  一二三四五六\n");
	free(out);
	/* Cut to 10 columns: a wide character never straddles the cut. */
	out = printed(t, 10);
	assert_string_equal(out,
	    "编号        STATUS      主题\n"
	    "MD-2026...  已登记      关于高...\n"
	    "MD-2026...              short\n"
	    "X           a\xef\xbf\xbd" "b         bad \xef\xbf\xbd byte\n"
	    "Y           ab一二...   一二三...\n");
	free(out);
	cli_table_free(t);
}

static void
test_table_many_rows(void **state)
{
	static const char *const head[] = { "N", "TEXT" };
	struct cli_table *t = NULL;
	const char *row[2];
	char num[16], *out, *line;
	size_t i, lines = 0;

	(void)state;
	assert_int_equal(cli_table_new(2, head, &t), MD_OK);
	for (i = 0; i < 1000; i++) {
		snprintf(num, sizeof(num), "%zu", i);
		row[0] = num;
		row[1] = i % 2 ? "会员" : "member";
		assert_int_equal(cli_table_add(t, row), MD_OK);
	}
	out = printed(t, 40);
	for (line = out; (line = strchr(line, '\n')) != NULL; line++)
		lines++;
	assert_int_equal(lines, 1001);
	assert_non_null(strstr(out, "N    TEXT\n0    member\n1    会员\n"));
	assert_non_null(strstr(out, "\n999  会员\n"));
	free(out);
	cli_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_display_width),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_many_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
