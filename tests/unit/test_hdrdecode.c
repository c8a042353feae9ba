#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "charset.h"
#include "hdrdecode.h"

static char *
dec(const char *in, const char *hint, unsigned *st)
{
	char *s = NULL;

	*st = 0;
	assert_int_equal(hdr_decode_str(in, strlen(in), hint, 4096, &s, st), MD_OK);
	assert_non_null(s);
	return s;
}

static void
check(const char *in, const char *want)
{
	unsigned st;
	char *s = dec(in, NULL, &st);

	assert_string_equal(s, want);
	free(s);
}

static void
test_encoded_words(void **state)
{
	(void)state;
	check("=?GBK?B?udjT2rvht9G9ycTJtcTXydGv?=", "关于会费缴纳的咨询");
	check("=?utf-8?q?caf=C3=A9_au_lait?=", "café au lait");
	check("=?ISO-8859-1?Q?Caf=E9?= meeting", "Café meeting");
	check("Re: =?utf-8?B?5ZWG5Lya?=", "Re: 商会");
	/* Language suffix (RFC 2231 section 5). */
	check("=?utf-8*zh?B?5ZWG5Lya?=", "商会");
	/* Lower-case encoding letter and missing padding. */
	check("=?utf-8?b?5ZWG5Lya5Lya?=", "商会会");
	check("=?utf-8?b?5ZWG5Lya5L?=", "商会\xef\xbf\xbd");
}

static void
test_blanks_between_words(void **state)
{
	(void)state;
	/* Blanks between adjacent encoded words are dropped... */
	check("=?utf-8?B?5ZWG?=  \r\n =?utf-8?B?5Lya?=", "商会");
	/* ...but not between a word and text. */
	check("=?utf-8?B?5ZWG5Lya?= news", "商会 news");
	check("hello =?utf-8?B?5ZWG5Lya?=", "hello 商会");
	/* Words glued to text, as some clients send them. */
	check("a=?utf-8?B?5ZWG?=b", "a商b");
}

static void
test_character_split_across_words(void **state)
{
	(void)state;
	/* 商会 = E5 95 86 E4 BC 9A, split inside the second character. */
	check("=?UTF-8?B?5ZWG5A==?= =?UTF-8?B?vJo=?=", "商会");
	check("=?UTF-8?Q?=E5=95?= =?UTF-8?Q?=86?=", "商");
	/* Different charsets are not joined. */
	check("=?gbk?B?yczS?= =?utf-8?B?5Lya?=", "商\xef\xbf\xbd会");
}

static void
test_raw_8bit_and_hint(void **state)
{
	unsigned st;
	char *s;

	(void)state;
	s = dec("\xc9\xcc\xbb\xe1 notice", NULL, &st);
	assert_string_equal(s, "商会 notice");
	free(s);
	s = dec("\xb0\xd3\xb7\x7c", "BIG5-HKSCS", &st);
	assert_string_equal(s, "商會");
	free(s);
	s = dec("商会", NULL, &st);
	assert_string_equal(s, "商会");
	assert_int_equal(st, 0);
	free(s);
}

static void
test_no_control_characters_survive(void **state)
{
	unsigned st;
	char *s;

	(void)state;
	s = dec("=?utf-8?Q?hello=0D=0ABcc:_evil@example.com?=", NULL, &st);
	assert_null(strchr(s, '\r'));
	assert_null(strchr(s, '\n'));
	assert_string_equal(s, "helloBcc: evil@example.com");
	free(s);
	s = dec("=?utf-8?B?YQBi?=\tc\x01 \xc2\x85 ", NULL, &st);
	assert_string_equal(s, "ab c");
	free(s);
	s = dec("  folded\r\n\tvalue  ", NULL, &st);
	assert_string_equal(s, "folded value");
	free(s);
}

static void
test_malformed_words_stay_literal(void **state)
{
	(void)state;
	check("=?utf-8?X?abc?=", "=?utf-8?X?abc?=");
	check("=?utf-8?B?abc", "=?utf-8?B?abc");
	check("=??B?abc?=", "=??B?abc?=");
	check("=?", "=?");
	/* Unknown charset: guessed, not dropped. */
	check("=?x-foo?B?5ZWG5Lya?=", "商会");
}

static void
test_params_plain_and_quoted(void **state)
{
	struct hdr_params p;
	const char *in = "Text/Plain; charset=\"GB2312\"; format=flowed;"
	    " name=\"a \\\"quoted\\\" ; name.txt\"";
	unsigned st = 0;

	(void)state;
	assert_int_equal(hdr_params_parse(in, strlen(in), NULL, &p, &st), MD_OK);
	assert_string_equal(p.value, "text/plain");
	assert_string_equal(hdr_params_get(&p, "charset"), "GB2312");
	assert_string_equal(hdr_params_get(&p, "format"), "flowed");
	assert_string_equal(hdr_params_get(&p, "name"), "a \"quoted\" ; name.txt");
	assert_null(hdr_params_get(&p, "boundary"));
	hdr_params_free(&p);
	/* Missing semicolon, unquoted file name with a blank, unterminated quote. */
	in = "attachment filename=my report.pdf size=12; creation-date=\"Mon";
	assert_int_equal(hdr_params_parse(in, strlen(in), NULL, &p, &st), MD_OK);
	assert_string_equal(p.value, "attachment");
	assert_string_equal(hdr_params_get(&p, "filename"), "my report.pdf");
	assert_string_equal(hdr_params_get(&p, "size"), "12");
	assert_string_equal(hdr_params_get(&p, "creation-date"), "Mon");
	hdr_params_free(&p);
}

static void
test_params_rfc2231(void **state)
{
	struct hdr_params p;
	const char *in;
	unsigned st = 0;

	(void)state;
	in = "attachment; filename*=UTF-8''%E8%90%A5%E4%B8%9A.pdf; filename=\"fallback.pdf\"";
	assert_int_equal(hdr_params_parse(in, strlen(in), NULL, &p, &st), MD_OK);
	assert_string_equal(hdr_params_get(&p, "filename"), "营业.pdf");
	hdr_params_free(&p);
	/* Sections out of order, mixed extended and plain, GBK charset. */
	in = "attachment; filename*1*=%CE%C4%BC%FE; filename*2=\".doc\";"
	    " filename*0*=gbk'zh-cn'%D6%D0%CE%C4";
	assert_int_equal(hdr_params_parse(in, strlen(in), NULL, &p, &st), MD_OK);
	assert_string_equal(hdr_params_get(&p, "filename"), "中文文件.doc");
	hdr_params_free(&p);
	/* RFC 2047 inside a quoted parameter (Outlook, Foxmail). */
	in = "image/jpeg; name=\"=?GB2312?B?1dXGrC5qcGc=?=\"";
	assert_int_equal(hdr_params_parse(in, strlen(in), NULL, &p, &st), MD_OK);
	assert_string_equal(hdr_params_get(&p, "name"), "照片.jpg");
	hdr_params_free(&p);
	/* A gap in sections ends the value; an encoded CR/LF is removed. */
	in = "x; name*0=abc; name*2=zzz; title*=utf-8''a%0D%0Ab";
	assert_int_equal(hdr_params_parse(in, strlen(in), NULL, &p, &st), MD_OK);
	assert_string_equal(hdr_params_get(&p, "name"), "abc");
	assert_string_equal(hdr_params_get(&p, "title"), "ab");
	hdr_params_free(&p);
}

static void
test_transfer_decoders(void **state)
{
	struct buf b;
	const char *qp = "a=3Db=\r\nc  \r\nd=\ne =ZZ";
	int bad = 0;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(te_qp_decode(qp, strlen(qp), 0, &b, &bad), MD_OK);
	assert_string_equal(b.data, "a=bc\r\nde =ZZ");
	assert_true(bad);
	buf_free(&b);
	buf_init(&b, 1024);
	bad = 0;
	assert_int_equal(te_base64_decode("5ZWG\r\n5Lya\n", 11, &b, &bad), MD_OK);
	assert_string_equal(b.data, "商会");
	assert_false(bad);
	assert_int_equal(te_base64_decode("!!QUJD", 6, &b, &bad), MD_OK);
	assert_true(bad);
	buf_free(&b);
}

/* Base64 over many buffer refills, line breaks anywhere, both alphabets, padding. */
static void
test_base64_long_and_odd(void **state)
{
	static const char std[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char raw[5000];
	char *enc;
	struct buf b;
	size_t i, n = 0, col = 0;
	unsigned long x = 12345;
	int bad = 0, url;

	(void)state;
	for (i = 0; i < sizeof(raw); i++) {
		x = x * 1103515245UL + 12345UL;
		raw[i] = (unsigned char)(x >> 16);
	}
	enc = malloc(sizeof(raw) * 2);
	assert_non_null(enc);
	for (url = 0; url < 2; url++) {
		n = col = 0;
		for (i = 0; i + 2 < sizeof(raw); i += 3) {
			unsigned long v = (unsigned long)raw[i] << 16 | raw[i + 1] << 8 | raw[i + 2];
			int k;

			for (k = 18; k >= 0; k -= 6) {
				char c = std[(v >> k) & 63];

				if (url && c == '+')
					c = '-';
				else if (url && c == '/')
					c = '_';
				enc[n++] = c;
				/* Breaks at 75 columns fall inside quads too. */
				if (++col == 75) {
					enc[n++] = '\r';
					enc[n++] = '\n';
					col = 0;
				}
			}
		}
		/* 5000 = 3 * 1666 + 2: the last two bytes with one '='. */
		enc[n++] = std[raw[4998] >> 2];
		enc[n++] = std[(raw[4998] & 3) << 4 | raw[4999] >> 4];
		enc[n++] = std[(raw[4999] & 15) << 2];
		enc[n++] = '=';
		enc[n++] = '\n';
		buf_init(&b, 1 << 20);
		bad = 0;
		assert_int_equal(te_base64_decode(enc, n, &b, &bad), MD_OK);
		assert_false(bad);
		assert_int_equal(b.len, sizeof(raw));
		assert_memory_equal(b.data, raw, sizeof(raw));
		buf_free(&b);
	}
	free(enc);

	buf_init(&b, 1024);
	assert_int_equal(te_base64_decode("QQ==", 4, &b, &bad), MD_OK);
	assert_string_equal(b.data, "A");
	assert_false(bad);
	buf_reset(&b);
	/* A bad byte is reported and skipped; the rest still decodes. */
	assert_int_equal(te_base64_decode("QU*JD", 5, &b, &bad), MD_OK);
	assert_string_equal(b.data, "ABC");
	assert_true(bad);
	buf_reset(&b);
	bad = 0;
	assert_int_equal(te_base64_decode("QUJD\tQUJD", 9, &b, &bad), MD_OK);
	assert_string_equal(b.data, "ABCABC");
	assert_false(bad);
	buf_reset(&b);
	/* Data after the padding: a second encoding glued on. */
	assert_int_equal(te_base64_decode("QQ==QUJD", 8, &b, &bad), MD_OK);
	assert_string_equal(b.data, "A");
	assert_true(bad);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoded_words),
		cmocka_unit_test(test_blanks_between_words),
		cmocka_unit_test(test_character_split_across_words),
		cmocka_unit_test(test_raw_8bit_and_hint),
		cmocka_unit_test(test_no_control_characters_survive),
		cmocka_unit_test(test_malformed_words_stay_literal),
		cmocka_unit_test(test_params_plain_and_quoted),
		cmocka_unit_test(test_params_rfc2231),
		cmocka_unit_test(test_transfer_decoders),
		cmocka_unit_test(test_base64_long_and_odd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
