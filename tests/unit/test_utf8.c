#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "log.h"
#include "utf8.h"

struct decode_case {
	const char *name;
	const char *bytes;
	size_t n;          /* bytes the decoder may read */
	size_t want_len;   /* 0: invalid */
	uint32_t want_cp;
};

static const struct decode_case cases[] = {
	{ "ASCII", "A", 1, 1, 0x41 },
	{ "NUL", "\0", 1, 1, 0 },
	{ "DEL", "\x7f", 1, 1, 0x7f },
	{ "smallest 2-byte", "\xc2\x80", 2, 2, 0x80 },
	{ "largest 2-byte", "\xdf\xbf", 2, 2, 0x7ff },
	{ "smallest 3-byte", "\xe0\xa0\x80", 3, 3, 0x800 },
	{ "CJK 商", "\xe5\x95\x86", 3, 3, 0x5546 },
	{ "before surrogates", "\xed\x9f\xbf", 3, 3, 0xd7ff },
	{ "after surrogates", "\xee\x80\x80", 3, 3, 0xe000 },
	{ "U+FFFD", "\xef\xbf\xbd", 3, 3, 0xfffd },
	{ "smallest 4-byte", "\xf0\x90\x80\x80", 4, 4, 0x10000 },
	{ "largest code point", "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },
	{ "reads one sequence only", "\xe4\xbc\x9a\xe5", 4, 3, 0x4f1a },
	{ "empty", "", 0, 0, 0 },
	{ "stray continuation", "\x80", 1, 0, 0 },
	{ "overlong lead C0", "\xc0\xaf", 2, 0, 0 },
	{ "overlong lead C1", "\xc1\xbf", 2, 0, 0 },
	{ "overlong 3-byte", "\xe0\x80\xaf", 3, 0, 0 },
	{ "overlong 3-byte max", "\xe0\x9f\xbf", 3, 0, 0 },
	{ "overlong 4-byte", "\xf0\x8f\xbf\xbf", 4, 0, 0 },
	{ "high surrogate", "\xed\xa0\x80", 3, 0, 0 },
	{ "low surrogate", "\xed\xbf\xbf", 3, 0, 0 },
	{ "past U+10FFFF", "\xf4\x90\x80\x80", 4, 0, 0 },
	{ "lead F5", "\xf5\x80\x80\x80", 4, 0, 0 },
	{ "lead FF", "\xff", 1, 0, 0 },
	{ "truncated by n", "\xe5\x95\x86", 2, 0, 0 },
	{ "truncated 4-byte by n", "\xf0\x9f\x98\x80", 3, 0, 0 },
	{ "truncated by ASCII", "\xe5\x95" "A", 3, 0, 0 },
	{ "truncated by NUL", "\xe5\0\x86", 3, 0, 0 },
	{ "continuation missing", "\xc3" "A", 2, 0, 0 },
};

static void
test_decode_table(void **state)
{
	const uint32_t untouched = 0xdeadbeef;
	size_t i, len;
	uint32_t cp;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cp = untouched;
		len = utf8_decode((const unsigned char *)cases[i].bytes, cases[i].n, &cp);
		if (len != cases[i].want_len)
			fail_msg("%s: length %zu, expected %zu", cases[i].name, len,
			    cases[i].want_len);
		if (len == 0 && cp != untouched)
			fail_msg("%s: code point written for an invalid sequence", cases[i].name);
		if (len != 0 && cp != cases[i].want_cp)
			fail_msg("%s: U+%04X, expected U+%04X", cases[i].name, (unsigned)cp,
			    (unsigned)cases[i].want_cp);
		/* The length alone must agree with the full decode. */
		assert_int_equal(utf8_decode((const unsigned char *)cases[i].bytes, cases[i].n,
		    NULL), cases[i].want_len);
	}
}

static void
test_decode_str_stops_at_nul(void **state)
{
	uint32_t cp = 0;

	(void)state;
	assert_int_equal(utf8_decode_str((const unsigned char *)"\xe4\xbc\x9a", &cp), 3);
	assert_int_equal(cp, 0x4f1a);
	/* A lead byte right before the terminator is truncated, not read past. */
	assert_int_equal(utf8_decode_str((const unsigned char *)"\xe4", &cp), 0);
	assert_int_equal(utf8_decode_str((const unsigned char *)"\xf0\x9f", &cp), 0);
	/* At the terminator there is nothing left to decode. */
	cp = 7;
	assert_int_equal(utf8_decode_str((const unsigned char *)"", &cp), 0);
	assert_int_equal(cp, 7);
}

static void
test_valid(void **state)
{
	(void)state;
	assert_true(utf8_valid("", 0));
	assert_true(utf8_valid("会员 member 😀", strlen("会员 member 😀")));
	/* NUL is a character; callers that refuse it say so themselves. */
	assert_true(utf8_valid("a\0b", 3));
	assert_false(utf8_valid("会员", strlen("会员") - 1));
	assert_false(utf8_valid("ok\xed\xa0\x80", 5));
	assert_false(utf8_valid("\xc0\xaf", 2));
	assert_false(utf8_valid("ok\x80", 3));
	/* Only len bytes count: a prefix that ends on a boundary is valid. */
	assert_true(utf8_valid("ok\xff", 2));
}

/* log_escape() uses the same decoder: valid text passes, the rest is escaped. */
static void
test_log_escape_agrees(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(log_escape(out, sizeof(out), "商会"), "商会");
	assert_string_equal(log_escape(out, sizeof(out), "a\xed\xa0\x80z"), "a\\xed\\xa0\\x80z");
	assert_string_equal(log_escape(out, sizeof(out), "\xe0\x80\xafz"), "\\xe0\\x80\\xafz");
	assert_string_equal(log_escape(out, sizeof(out), "x\xe5\x95"), "x\\xe5\\x95");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_table),
		cmocka_unit_test(test_decode_str_stops_at_nul),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_log_escape_agrees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
