#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "charset.h"

/* Convert and return an allocated string; status into *st. */
static char *
conv(const char *label, const char *in, size_t len, unsigned *st)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	*st = 0;
	assert_int_equal(charset_to_utf8(label, in, len, &b, st), MD_OK);
	return buf_steal(&b);
}

static void
test_canonical_aliases(void **state)
{
	char name[48];

	(void)state;
	assert_int_equal(charset_canonical("gb2312", name, sizeof(name)), MD_OK);
	assert_string_equal(name, "GB18030");
	assert_int_equal(charset_canonical(" \"GBK\" ", name, sizeof(name)), MD_OK);
	assert_string_equal(name, "GB18030");
	assert_int_equal(charset_canonical("x-gbk", name, sizeof(name)), MD_OK);
	assert_string_equal(name, "GB18030");
	assert_int_equal(charset_canonical("CP936", name, sizeof(name)), MD_OK);
	assert_string_equal(name, "GB18030");
	assert_int_equal(charset_canonical("unicode-1-1-utf-8", name, sizeof(name)), MD_OK);
	assert_string_equal(name, "UTF-8");
	assert_int_equal(charset_canonical("utf8", name, sizeof(name)), MD_OK);
	assert_string_equal(name, "UTF-8");
	assert_int_equal(charset_canonical("ks_c_5601-1987", name, sizeof(name)), MD_OK);
	assert_string_equal(name, "CP949");
	assert_int_equal(charset_canonical("Big5", name, sizeof(name)), MD_OK);
	assert_string_equal(name, "BIG5-HKSCS");
	/* Not in the table but known to iconv. */
	assert_int_equal(charset_canonical("koi8-r", name, sizeof(name)), MD_OK);
	assert_string_equal(name, "KOI8-R");
	assert_int_equal(charset_canonical("x-no-such-charset", name, sizeof(name)),
	    MD_ERR_NOTFOUND);
	assert_int_equal(charset_canonical("../../etc/passwd", name, sizeof(name)),
	    MD_ERR_NOTFOUND);
	assert_int_equal(charset_canonical("", name, sizeof(name)), MD_ERR_NOTFOUND);
	assert_int_equal(charset_canonical(NULL, name, sizeof(name)), MD_ERR_NOTFOUND);
	assert_int_equal(charset_canonical("gb2312", name, 4), MD_ERR_LIMIT);
}

static void
test_gb2312_label_decodes_gbk_and_gb18030(void **state)
{
	/* 朱镕基: 镕 (0xE9 0x46) is GBK, not GB2312. */
	const char gbk[] = "\xd6\xec\xe9\x46\xbb\xf9";
	/* U+20000 is four bytes in GB18030. */
	const char gb18030[] = "\x95\x32\x82\x36";
	unsigned st;
	char *s;

	(void)state;
	s = conv("gb2312", gbk, strlen(gbk), &st);
	assert_string_equal(s, "朱镕基");
	assert_int_equal(st, 0);
	free(s);
	s = conv("GB2312", gb18030, strlen(gb18030), &st);
	assert_string_equal(s, "\xf0\xa0\x80\x80");
	free(s);
}

static void
test_big5_and_latin1(void **state)
{
	const char big5[] = "\xb0\xd3\xb7\x7c";	/* 商會 */
	const char latin[] = "Caf\xe9 \x93quoted\x94";
	unsigned st;
	char *s;

	(void)state;
	s = conv("big5", big5, strlen(big5), &st);
	assert_string_equal(s, "商會");
	assert_int_equal(st, 0);
	free(s);
	/* ISO-8859-1 mail from Windows uses the CP1252 quotes. */
	s = conv("iso-8859-1", latin, strlen(latin), &st);
	assert_string_equal(s, "Café \xe2\x80\x9cquoted\xe2\x80\x9d");
	free(s);
}

static void
test_unknown_or_missing_label_guesses(void **state)
{
	const char gbk[] = "\xc9\xcc\xbb\xe1";	/* 商会 */
	unsigned st;
	char *s;

	(void)state;
	s = conv(NULL, "商会", strlen("商会"), &st);
	assert_string_equal(s, "商会");
	assert_int_equal(st, 0);
	free(s);
	s = conv(NULL, gbk, strlen(gbk), &st);
	assert_string_equal(s, "商会");
	assert_true(st & CHARSET_NOT_UTF8_FALLBACK);
	free(s);
	s = conv("x-unknown", gbk, strlen(gbk), &st);
	assert_string_equal(s, "商会");
	assert_true(st & CHARSET_GUESSED);
	free(s);
	/* Pure ASCII under an unknown label is no guess at all. */
	s = conv("x-unknown", "plain", 5, &st);
	assert_string_equal(s, "plain");
	assert_int_equal(st, 0);
	free(s);
	/* Neither UTF-8 nor GB18030: repaired, not dropped. */
	s = conv(NULL, "a\x80z", 3, &st);
	assert_string_equal(s, "a\xef\xbf\xbdz");
	assert_true(st & CHARSET_LOSSY);
	free(s);
}

static void
test_invalid_bytes_are_replaced_and_flagged(void **state)
{
	unsigned st;
	char *s;

	(void)state;
	s = conv("utf-8", "ok\xff\xfeok", 6, &st);
	assert_string_equal(s, "ok\xef\xbf\xbd\xef\xbf\xbdok");
	assert_true(st & CHARSET_LOSSY);
	free(s);
	/* Truncated GBK pair at the end. */
	s = conv("gbk", "\xc9\xcc\xbb", 3, &st);
	assert_string_equal(s, "商\xef\xbf\xbd");
	assert_true(st & CHARSET_LOSSY);
	free(s);
	/* Overlong NUL and a surrogate are not UTF-8. */
	s = conv("utf-8", "\xc0\x80\xed\xa0\x80", 5, &st);
	assert_string_equal(s, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_true(st & CHARSET_LOSSY);
	assert_true(utf8_valid(s, strlen(s)));
	free(s);
}

static void
test_utf8_valid_and_cut(void **state)
{
	(void)state;
	assert_true(utf8_valid("商会", strlen("商会")));
	assert_true(utf8_valid("\xf0\xa0\x80\x80", 4));
	assert_false(utf8_valid("\xc0\xaf", 2));
	assert_false(utf8_valid("\xed\xa0\x80", 3));
	assert_false(utf8_valid("\xf4\x90\x80\x80", 4));
	assert_false(utf8_valid("\xe5\x95", 2));
	/* "商会" is 6 bytes; cutting at 4 must fall back to 3. */
	assert_int_equal(utf8_cut("商会", 4), 3);
	assert_int_equal(utf8_cut("商会", 5), 3);
	assert_int_equal(utf8_cut("商会", 6), 6);
	assert_int_equal(utf8_cut("ab", 2), 2);
	assert_int_equal(utf8_cut("", 0), 0);
}

static void
test_limit_cuts_on_character_boundary(void **state)
{
	const char gbk[] = "\xc9\xcc\xbb\xe1\xc9\xcc\xbb\xe1";	/* 商会商会 */
	struct buf b;
	unsigned st = 0;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(charset_to_utf8("gbk", gbk, strlen(gbk), &b, &st), MD_ERR_LIMIT);
	assert_string_equal(b.data, "商会");
	assert_int_equal(b.len, 6);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_aliases),
		cmocka_unit_test(test_gb2312_label_decodes_gbk_and_gb18030),
		cmocka_unit_test(test_big5_and_latin1),
		cmocka_unit_test(test_unknown_or_missing_label_guesses),
		cmocka_unit_test(test_invalid_bytes_are_replaced_and_flagged),
		cmocka_unit_test(test_utf8_valid_and_cut),
		cmocka_unit_test(test_limit_cuts_on_character_boundary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
