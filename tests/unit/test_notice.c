#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "notice.h"
#include "utf8.h"

#define T_20260302	1772414100	/* Mon, 02 Mar 2026 01:15:00 UTC */

/*
 * A tiny independent reader for what notice_build() writes: header lookup
 * with unfolding, RFC 2047 B/UTF-8 decoding and base64.
 */
static int
b64val(char c)
{
	const char *p, *tab =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	if ((p = strchr(tab, c)) == NULL || c == '\0')
		return -1;
	return (int)(p - tab);
}

/* Decode base64 (ignoring CR and LF); returns the length, -1 on error. */
static long
b64dec(const char *in, size_t n, unsigned char *out)
{
	size_t i, o = 0;
	int q[4], k = 0, pad = 0, v;

	for (i = 0; i < n; i++) {
		if (in[i] == '\r' || in[i] == '\n')
			continue;
		if (in[i] == '=') {
			pad++;
			v = 0;
		} else if ((v = b64val(in[i])) < 0 || pad)
			return -1;
		q[k++] = v;
		if (k == 4) {
			out[o++] = (unsigned char)(q[0] << 2 | q[1] >> 4);
			out[o++] = (unsigned char)(q[1] << 4 | q[2] >> 2);
			out[o++] = (unsigned char)(q[2] << 6 | q[3]);
			k = 0;
		}
	}
	if (k != 0 || pad > 2)
		return -1;
	return (long)(o - (size_t)pad);
}

/* Check the header block: CRLF only, no line over 78; returns its length. */
static size_t
check_header_block(const char *msg)
{
	const char *end = strstr(msg, "\r\n\r\n"), *p, *nl;

	assert_non_null(end);
	for (p = msg; p < end + 2; p = nl + 2) {
		nl = strstr(p, "\r\n");
		assert_non_null(nl);
		assert_true(nl - p <= 78);
		assert_null(memchr(p, '\n', (size_t)(nl - p)));
		assert_null(memchr(p, '\r', (size_t)(nl - p)));
		/* A continuation line is never blank: that would end the header. */
		assert_true(nl > p);
	}
	return (size_t)(end - msg) + 2;
}

/* Unfolded raw value of header name (first occurrence) into out, or NULL. */
static char *
header(const char *msg, const char *name, char *out, size_t outlen)
{
	size_t hlen = check_header_block(msg), nlen = strlen(name), o = 0;
	const char *p = msg, *nl;

	while (p < msg + hlen) {
		nl = strstr(p, "\r\n");
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			p += nlen + 1;
			for (;;) {
				while (p < nl && o + 1 < outlen)
					out[o++] = *p++;
				p = nl + 2;
				if (*p != ' ' && *p != '\t')
					break;
				nl = strstr(p, "\r\n");
			}
			out[o] = '\0';
			while (out[0] == ' ')
				memmove(out, out + 1, strlen(out));
			return out;
		}
		p = nl + 2;
	}
	return NULL;
}

/* RFC 2047 decoding of an unfolded value; every word must be ≤ 75 and whole UTF-8. */
static void
decode2047(const char *in, char *out, size_t outlen)
{
	const char *p = in, *q, *end;
	unsigned char tmp[256];
	size_t o = 0;
	long n;
	int prev_word = 0;

	while (*p) {
		if (strncmp(p, "=?UTF-8?B?", 10) == 0 && (end = strstr(p + 10, "?=")) != NULL) {
			assert_true(end + 2 - p <= 75);
			n = b64dec(p + 10, (size_t)(end - p - 10), tmp);
			assert_true(n >= 0);
			assert_true(utf8_valid((const char *)tmp, (size_t)n));
			assert_true(o + (size_t)n < outlen);
			memcpy(out + o, tmp, (size_t)n);
			o += (size_t)n;
			p = end + 2;
			prev_word = 1;
			continue;
		}
		if (*p == ' ' && prev_word) {
			/* Whitespace between two encoded words is not text. */
			for (q = p; *q == ' '; q++)
				;
			if (strncmp(q, "=?UTF-8?B?", 10) == 0) {
				p = q;
				continue;
			}
		}
		prev_word = 0;
		assert_true(o + 1 < outlen);
		out[o++] = *p++;
	}
	out[o] = '\0';
}

static char *
body_of(const struct notice_msg *m)
{
	const char *b = strstr(m->data, "\r\n\r\n") + 4, *p, *nl;
	unsigned char *out;
	long n;

	for (p = b; *p; p = nl + 2) {
		nl = strstr(p, "\r\n");
		assert_non_null(nl);
		assert_true(nl - p <= 76);
	}
	out = malloc(strlen(b) + 1);
	assert_non_null(out);
	n = b64dec(b, strlen(b), out);
	assert_true(n >= 0);
	out[n] = '\0';
	return (char *)out;
}

static void
base_notice(struct notice *n)
{
	memset(n, 0, sizeof(*n));
	n->from_addr = "desk@chamber.example";
	n->from_name = "XX商会秘书处";
	n->to_addr = "zhang@member.example";
	n->to_name = "张三";
	n->subject = "[MD-2026-0001] 诉求受理回执：关于出口退税的咨询";
	n->body = "尊敬的张三：\n\n您好！\n";
	n->domain = "chamber.example";
	n->date = T_20260302;
	n->timezone = "Asia/Shanghai";
	n->auto_submitted = NOTICE_AUTO_REPLIED;
}

static void
test_complete_message(void **state)
{
	struct notice n;
	struct notice_msg m;
	char v[1024], d[1024], *body;
	const char *refs[] = { "root@member.example", "second@chamber.example" };

	(void)state;
	base_notice(&n);
	n.in_reply_to = "orig.1@member.example";
	n.references = refs;
	n.n_references = 2;
	n.reply_to = "reply+tok@chamber.example";
	assert_int_equal(notice_build(&n, &m), MD_OK);
	assert_int_equal(m.len, strlen(m.data));
	assert_string_equal(header(m.data, "Date", v, sizeof(v)), "Mon, 02 Mar 2026 09:15:00 +0800");
	decode2047(header(m.data, "From", v, sizeof(v)), d, sizeof(d));
	assert_string_equal(d, "XX商会秘书处 <desk@chamber.example>");
	decode2047(header(m.data, "To", v, sizeof(v)), d, sizeof(d));
	assert_string_equal(d, "张三 <zhang@member.example>");
	decode2047(header(m.data, "Subject", v, sizeof(v)), d, sizeof(d));
	assert_string_equal(d, n.subject);
	assert_string_equal(header(m.data, "Reply-To", v, sizeof(v)), "reply+tok@chamber.example");
	assert_string_equal(header(m.data, "In-Reply-To", v, sizeof(v)), "<orig.1@member.example>");
	assert_string_equal(header(m.data, "References", v, sizeof(v)),
	    "<root@member.example> <second@chamber.example>");
	assert_string_equal(header(m.data, "Auto-Submitted", v, sizeof(v)), "auto-replied");
	assert_string_equal(header(m.data, "X-Auto-Response-Suppress", v, sizeof(v)), "All");
	assert_string_equal(header(m.data, "X-Memberdesk-Loop", v, sizeof(v)), "chamber.example");
	assert_string_equal(header(m.data, "MIME-Version", v, sizeof(v)), "1.0");
	assert_string_equal(header(m.data, "Content-Type", v, sizeof(v)),
	    "text/plain; charset=UTF-8");
	assert_string_equal(header(m.data, "Content-Transfer-Encoding", v, sizeof(v)), "base64");
	assert_null(header(m.data, "Thread-Index", v, sizeof(v)));
	/* Generated id: md.<time>.<32 hex>@<domain> (time first), and reported back. */
	assert_int_equal(strlen(m.message_id), 3 + 10 + 1 + 32 + 1 + strlen("chamber.example"));
	assert_int_equal(strncmp(m.message_id, "md.1772414100.", 14), 0);
	assert_int_equal(strspn(m.message_id + 14, "0123456789abcdef"), 32);
	assert_string_equal(m.message_id + 46, "@chamber.example");
	snprintf(d, sizeof(d), "<%s>", m.message_id);
	assert_string_equal(header(m.data, "Message-ID", v, sizeof(v)), d);
	body = body_of(&m);
	assert_string_equal(body, "尊敬的张三：\r\n\r\n您好！\r\n");
	free(body);
	notice_msg_free(&m);
	notice_msg_free(&m);
}

static void
test_long_chinese_subjects_round_trip(void **state)
{
	static const char *const pieces[] = { "商", "会", "诉", "求", "😀", "a", " ", "é", "—" };
	struct notice n;
	struct notice_msg m;
	char subj[2048], v[8192], d[4096];
	size_t len, i, k;

	(void)state;
	base_notice(&n);
	for (len = 1; len < 260; len += 7) {
		subj[0] = '\0';
		for (i = 0; i < len; i++)
			strcat(subj, pieces[(i * 7 + len) % 9]);
		for (k = 0; k < 3; k++) {
			n.subject = k == 2 ? "x" : subj;
			n.thread_topic = k == 1 ? subj : NULL;
			n.from_name = k == 2 ? subj : "XX商会秘书处";
			assert_int_equal(notice_build(&n, &m), MD_OK);
			decode2047(header(m.data, "Subject", v, sizeof(v)), d, sizeof(d));
			assert_string_equal(d, n.subject);
			if (k == 1) {
				decode2047(header(m.data, "Thread-Topic", v, sizeof(v)), d, sizeof(d));
				assert_string_equal(d, subj);
			}
			decode2047(header(m.data, "From", v, sizeof(v)), d, sizeof(d));
			assert_int_equal(strncmp(d, n.from_name, strlen(n.from_name)), 0);
			assert_string_equal(d + strlen(n.from_name), " <desk@chamber.example>");
			notice_msg_free(&m);
		}
	}
}

static void
test_ascii_headers(void **state)
{
	struct notice n;
	struct notice_msg m;
	char v[2048], d[2048];
	const char *subj = "Re: [MD-2026-0042] A rather long English subject line that goes on "
	    "and on well past the seventy-eight column limit of RFC 5322 headers";

	(void)state;
	base_notice(&n);
	n.subject = subj;
	n.from_name = "Zhang \"Z\" San\\";
	n.to_name = "Zhang San";
	assert_int_equal(notice_build(&n, &m), MD_OK);
	/* Plain ASCII stays readable: folded at spaces, not encoded. */
	header(m.data, "Subject", v, sizeof(v));
	assert_string_equal(v, subj);
	assert_null(strstr(m.data, "=?"));
	assert_string_equal(header(m.data, "From", v, sizeof(v)),
	    "\"Zhang \\\"Z\\\" San\\\\\" <desk@chamber.example>");
	notice_msg_free(&m);
	/* Text that looks like an encoded word, or an unbreakable run, is encoded. */
	n.subject = "=?UTF-8?B?5ZWG?= literal";
	assert_int_equal(notice_build(&n, &m), MD_OK);
	decode2047(header(m.data, "Subject", v, sizeof(v)), d, sizeof(d));
	assert_string_equal(d, n.subject);
	assert_null(strstr(v, "5ZWG?= literal"));
	notice_msg_free(&m);
	n.subject = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	assert_int_equal(notice_build(&n, &m), MD_OK);
	decode2047(header(m.data, "Subject", v, sizeof(v)), d, sizeof(d));
	assert_string_equal(d, n.subject);
	notice_msg_free(&m);
	n.subject = "";
	n.to_name = NULL;
	assert_int_equal(notice_build(&n, &m), MD_OK);
	assert_string_equal(header(m.data, "Subject", v, sizeof(v)), "");
	assert_string_equal(header(m.data, "To", v, sizeof(v)), "zhang@member.example");
	notice_msg_free(&m);
}

/* No header line of the message may begin with "Bcc:" or name evil@x as a recipient. */
static void
assert_no_injected_header(const char *msg)
{
	size_t hlen = check_header_block(msg);
	const char *p;

	for (p = msg; p < msg + hlen; p = strstr(p, "\r\n") + 2) {
		assert_true(strncasecmp(p, "Bcc:", 4) != 0);
		assert_true(strncasecmp(p, "Cc:", 3) != 0);
	}
}

static void
test_injection_is_neutralised(void **state)
{
	static const char *const bad_addrs[] = {
		"x@y.example\r\nBcc: evil@x", "a b@c.example", "<a@c.example>", "a@b@c.example",
		"a@", "@c.example", "a@c.example,evil@x", "a@c.example>", "a\"@c.example",
		"a@c..example", "", "a@c.example\n", "a@c.exa mple", "\xe5\x95\x86@c.example",
		"a@-c.example", "a;b@c.example", NULL
	};
	struct notice n;
	struct notice_msg m;
	char v[2048], d[2048];
	size_t i;

	(void)state;
	base_notice(&n);
	n.subject = "x\r\nBcc: evil@x";
	n.from_name = "Staff\r\nBcc: evil@x";
	n.to_name = "张三\r\nCc: evil@x\x00";
	n.thread_topic = "t\nBcc: evil@x";
	n.in_reply_to = "id@x\r\nBcc: evil@x";
	n.body = "hello\r\nBcc: evil@x\r\n.\r\n";
	assert_int_equal(notice_build(&n, &m), MD_OK);
	assert_no_injected_header(m.data);
	decode2047(header(m.data, "Subject", v, sizeof(v)), d, sizeof(d));
	assert_string_equal(d, "x  Bcc: evil@x");
	header(m.data, "From", v, sizeof(v));
	assert_string_equal(v, "\"Staff  Bcc: evil@x\" <desk@chamber.example>");
	assert_null(header(m.data, "In-Reply-To", v, sizeof(v)));
	notice_msg_free(&m);
	for (i = 0; bad_addrs[i] != NULL; i++) {
		base_notice(&n);
		n.to_addr = bad_addrs[i];
		assert_int_equal(notice_build(&n, &m), MD_ERR_INPUT);
		assert_null(m.data);
		base_notice(&n);
		n.from_addr = bad_addrs[i];
		assert_int_equal(notice_build(&n, &m), MD_ERR_INPUT);
		base_notice(&n);
		n.reply_to = bad_addrs[i];
		assert_int_equal(notice_build(&n, &m), MD_ERR_INPUT);
		assert_false(notice_address_valid(bad_addrs[i]));
	}
	assert_true(notice_address_valid("first.last+tag@sub.member-1.example"));
	base_notice(&n);
	n.message_id = "id@x\r\nBcc: evil@x";
	assert_int_equal(notice_build(&n, &m), MD_ERR_INPUT);
	n.message_id = "<id@x>";
	assert_int_equal(notice_build(&n, &m), MD_ERR_INPUT);
	base_notice(&n);
	n.domain = "chamber.example\r\nBcc: evil@x";
	assert_int_equal(notice_build(&n, &m), MD_ERR_INPUT);
	base_notice(&n);
	n.subject = NULL;
	assert_int_equal(notice_build(&n, &m), MD_ERR_INPUT);
}

static void
test_references_and_message_id(void **state)
{
	const char *refs[32];
	char ids[32][32], v[4096], want[4096];
	struct notice n;
	struct notice_msg m;
	size_t i;

	(void)state;
	for (i = 0; i < 32; i++) {
		snprintf(ids[i], sizeof(ids[i]), "ref%zu@member.example", i);
		refs[i] = ids[i];
	}
	refs[5] = "bad id@x";
	refs[6] = "no-at-sign";
	base_notice(&n);
	n.references = refs;
	n.n_references = 32;
	n.message_id = "fixed.1@chamber.example";
	assert_int_equal(notice_build(&n, &m), MD_OK);
	assert_string_equal(m.message_id, "fixed.1@chamber.example");
	assert_string_equal(header(m.data, "Message-ID", v, sizeof(v)), "<fixed.1@chamber.example>");
	/* 30 valid: the root and the 19 latest are kept. */
	strcpy(want, "<ref0@member.example>");
	for (i = 13; i < 32; i++) {
		strcat(want, " <");
		strcat(want, ids[i]);
		strcat(want, ">");
	}
	assert_string_equal(header(m.data, "References", v, sizeof(v)), want);
	notice_msg_free(&m);
	/* Generated ids differ from one notice to the next. */
	base_notice(&n);
	assert_int_equal(notice_build(&n, &m), MD_OK);
	strcpy(want, m.message_id);
	notice_msg_free(&m);
	assert_int_equal(notice_build(&n, &m), MD_OK);
	assert_string_not_equal(want, m.message_id);
	notice_msg_free(&m);
	/* A later notice's id sorts after an earlier one's, whatever the random part. */
	for (i = 0; i < 16; i++) {
		base_notice(&n);
		assert_int_equal(notice_build(&n, &m), MD_OK);
		strcpy(want, m.message_id);
		notice_msg_free(&m);
		n.date++;
		assert_int_equal(notice_build(&n, &m), MD_OK);
		assert_true(strcmp(want, m.message_id) < 0);
		notice_msg_free(&m);
	}
}

static void
test_auto_submitted_variants(void **state)
{
	struct notice n;
	struct notice_msg m;
	char v[256];

	(void)state;
	base_notice(&n);
	n.auto_submitted = NOTICE_AUTO_GENERATED;
	assert_int_equal(notice_build(&n, &m), MD_OK);
	assert_string_equal(header(m.data, "Auto-Submitted", v, sizeof(v)), "auto-generated");
	notice_msg_free(&m);
	n.auto_submitted = NOTICE_AUTO_NONE;
	assert_int_equal(notice_build(&n, &m), MD_OK);
	assert_null(header(m.data, "Auto-Submitted", v, sizeof(v)));
	/* Loop protection stays on relayed replies too. */
	assert_string_equal(header(m.data, "X-Memberdesk-Loop", v, sizeof(v)), "chamber.example");
	notice_msg_free(&m);
}

static void
test_thread_index(void **state)
{
	unsigned char raw[64], digest[32];
	char a[40], b[40], c[40], v[256];
	struct notice n;
	struct notice_msg m;

	(void)state;
	assert_int_equal(notice_thread_index("root@member.example", T_20260302, a, sizeof(a)),
	    MD_OK);
	assert_int_equal(strlen(a), 32);
	assert_int_equal(b64dec(a, 32, raw), 22);
	/* FILETIME 0x01dca9e1fd7f8200 for 2026-03-02 01:15:00 UTC, high six bytes. */
	assert_memory_equal(raw, "\x01\xdc\xa9\xe1\xfd\x7f", 6);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, "root@member.example", 19, digest);
	assert_memory_equal(raw + 6, digest, 6);
	assert_int_equal(raw[12] >> 4, 5);
	assert_int_equal(raw[14] & 0xc0, 0x80);
	assert_int_equal(notice_thread_index("root@member.example", T_20260302, b, sizeof(b)),
	    MD_OK);
	assert_string_equal(a, b);
	assert_int_equal(notice_thread_index("other@member.example", T_20260302, c, sizeof(c)),
	    MD_OK);
	assert_string_not_equal(a, c);
	assert_int_equal(notice_thread_index("x@y", 0, c, 32), MD_ERR_LIMIT);
	base_notice(&n);
	n.thread_root = "root@member.example";
	n.thread_time = T_20260302;
	n.date = T_20260302 + 86400 * 3;
	assert_int_equal(notice_build(&n, &m), MD_OK);
	assert_string_equal(header(m.data, "Thread-Index", v, sizeof(v)), a);
	notice_msg_free(&m);
}

static void
test_dates(void **state)
{
	char d[64];

	(void)state;
	setenv("TZ", "America/New_York", 1);
	assert_int_equal(notice_format_date(T_20260302, NULL, d, sizeof(d)), MD_OK);
	assert_string_equal(d, "Mon, 02 Mar 2026 01:15:00 +0000");
	assert_int_equal(notice_format_date(T_20260302, "Asia/Shanghai", d, sizeof(d)), MD_OK);
	assert_string_equal(d, "Mon, 02 Mar 2026 09:15:00 +0800");
	assert_int_equal(notice_format_date(T_20260302, "America/St_Johns", d, sizeof(d)), MD_OK);
	assert_string_equal(d, "Sun, 01 Mar 2026 21:45:00 -0330");
	/* The caller's TZ is left as it was. */
	assert_string_equal(getenv("TZ"), "America/New_York");
	unsetenv("TZ");
	assert_int_equal(notice_format_date(T_20260302, "Mars/Olympus", d, sizeof(d)),
	    MD_ERR_INPUT);
	assert_int_equal(notice_format_date(T_20260302, "../../etc/passwd", d, sizeof(d)),
	    MD_ERR_INPUT);
	assert_int_equal(notice_format_date(T_20260302, "/etc/localtime", d, sizeof(d)),
	    MD_ERR_INPUT);
	assert_int_equal(notice_format_date(T_20260302, NULL, d, 10), MD_ERR_LIMIT);
}

/* The daemon's own zone needs no switch, and gives the same dates. */
static void
test_date_in_zone_in_effect(void **state)
{
	char d[64];

	(void)state;
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	assert_int_equal(notice_format_date(T_20260302, "Asia/Shanghai", d, sizeof(d)), MD_OK);
	assert_string_equal(d, "Mon, 02 Mar 2026 09:15:00 +0800");
	assert_string_equal(getenv("TZ"), "Asia/Shanghai");
	/* TZ changed without tzset(): the date still follows TZ. */
	setenv("TZ", "America/St_Johns", 1);
	assert_int_equal(notice_format_date(T_20260302, "America/St_Johns", d, sizeof(d)),
	    MD_OK);
	assert_string_equal(d, "Sun, 01 Mar 2026 21:45:00 -0330");
	assert_int_equal(notice_format_date(T_20260302, "Asia/Shanghai", d, sizeof(d)), MD_OK);
	assert_string_equal(d, "Mon, 02 Mar 2026 09:15:00 +0800");
	assert_string_equal(getenv("TZ"), "America/St_Johns");
	/* A zone found before does not let an unknown one through. */
	assert_int_equal(notice_format_date(T_20260302, "Mars/Olympus", d, sizeof(d)),
	    MD_ERR_INPUT);
	unsetenv("TZ");
	tzset();
}

static void
test_body_normalised_and_bounded(void **state)
{
	struct notice n;
	struct notice_msg m;
	char *body, *big;

	(void)state;
	base_notice(&n);
	n.body = "a\nb\rc\r\nd\x01\x7f\te\xff";
	assert_int_equal(notice_build(&n, &m), MD_OK);
	body = body_of(&m);
	assert_string_equal(body, "a\r\nb\r\nc\r\nd\te\xef\xbf\xbd\r\n");
	free(body);
	notice_msg_free(&m);
	assert_non_null(big = malloc(NOTICE_MAX_BODY + 2));
	memset(big, 'x', NOTICE_MAX_BODY + 1);
	big[NOTICE_MAX_BODY + 1] = '\0';
	n.body = big;
	assert_int_equal(notice_build(&n, &m), MD_ERR_LIMIT);
	big[NOTICE_MAX_BODY] = '\0';
	assert_int_equal(notice_build(&n, &m), MD_OK);
	body = body_of(&m);
	assert_int_equal(strlen(body), NOTICE_MAX_BODY + 2);
	free(body);
	notice_msg_free(&m);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complete_message),
		cmocka_unit_test(test_long_chinese_subjects_round_trip),
		cmocka_unit_test(test_ascii_headers),
		cmocka_unit_test(test_injection_is_neutralised),
		cmocka_unit_test(test_references_and_message_id),
		cmocka_unit_test(test_auto_submitted_variants),
		cmocka_unit_test(test_thread_index),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_date_in_zone_in_effect),
		cmocka_unit_test(test_body_normalised_and_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
