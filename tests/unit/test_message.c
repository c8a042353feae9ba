#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "addr.h"
#include "buf.h"
#include "inspect.h"
#include "message.h"
#include "msgdate.h"
#include "spool.h"

static char *
fixture_path(const char *name)
{
	const char *top = getenv("MD_TOP_SRCDIR");
	char *p;

	if (asprintf(&p, "%s/tests/data/mail/%s", top ? top : ".", name) == -1)
		return NULL;
	return p;
}

static struct message *
load(const char *name)
{
	struct message *m = NULL;
	char *path = fixture_path(name), *data;
	size_t len;

	assert_non_null(path);
	assert_int_equal(inspect_read_file(path, 1 << 24, &data, &len), MD_OK);
	assert_int_equal(message_parse(data, len, NULL, &m), MD_OK);
	assert_non_null(m);
	free(data);
	free(path);
	return m;
}

static struct message *
parse_str(const char *s, const struct message_limits *lim)
{
	struct message *m = NULL;

	assert_int_equal(message_parse(s, strlen(s), lim, &m), MD_OK);
	assert_non_null(m);
	return m;
}

static int
has_warning(const struct message *m, const char *needle)
{
	size_t i;

	for (i = 0; i < m->n_warnings; i++)
		if (strstr(m->warnings[i], needle) != NULL)
			return 1;
	return 0;
}

static void
test_gbk_base64(void **state)
{
	struct message *m = load("gbk-base64.eml");

	(void)state;
	assert_string_equal(m->subject, "关于会费缴纳的咨询");
	assert_string_equal(m->from_addr, "zhangsan@example.com");
	assert_string_equal(m->from_name, "张三");
	assert_int_equal(m->n_to, 2);
	assert_string_equal(m->to_addrs[0], "service@chamber.example");
	assert_string_equal(m->to_addrs[1], "lisi@chamber.example");
	assert_int_equal(m->n_cc, 1);
	assert_string_equal(m->cc_addrs[0], "wangwu@example.org");
	assert_int_equal(m->date, 1740964500);	/* 2025-03-03T01:15:00Z */
	assert_string_equal(m->message_id, "gbk-0001@mail.example.com");
	assert_string_equal(m->content_type, "text/plain");
	assert_string_equal(m->text, "您好：\n我公司想咨询会费缴纳事宜。联系人：朱镕基\n");
	assert_int_equal(m->text_len, strlen(m->text));
	assert_int_equal(m->flags, 0);
	assert_int_equal(m->n_warnings, 0);
	assert_string_equal(message_header(m, "SUBJECT"), "关于会费缴纳的咨询");
	assert_null(message_header(m, "X-Nothing"));
	message_free(m);
}

static void
test_gb18030_qp(void **state)
{
	struct message *m = load("gb18030-qp.eml");

	(void)state;
	assert_string_equal(m->subject, "入会申请");
	assert_string_equal(m->from_name, "李四");
	assert_string_equal(m->text, "申请加入商会，企业名称：\xf0\xa0\x80\x80科技有限公司。\n谢谢！\n");
	assert_int_equal(m->flags, 0);
	message_free(m);
}

static void
test_big5(void **state)
{
	struct message *m = load("big5.eml");

	(void)state;
	assert_string_equal(m->subject, "年會查詢");
	assert_string_equal(m->from_name, "陳大文");
	assert_string_equal(m->text, "商會會員服務諮詢：請問年會時間？\n");
	assert_int_equal(m->date, 1741134600);	/* 2025-03-05T00:30:00Z */
	message_free(m);
}

static void
test_latin1_qp(void **state)
{
	struct message *m = load("latin1-qp.eml");

	(void)state;
	assert_string_equal(m->subject, "Café meeting");
	assert_string_equal(m->from_name, "Zoë Müller");
	assert_string_equal(m->text, "Café au lait, résumé attached.\nRegards, Zoë\n");
	assert_int_equal(m->date, 1741183200);	/* "5 Mar 25 14:00 GMT" */
	message_free(m);
}

static void
test_utf8_8bit_lf(void **state)
{
	struct message *m = load("utf8-8bit.eml");

	(void)state;
	assert_string_equal(m->subject, "企业融资困难求助");
	assert_string_equal(m->from_name, "赵六");
	assert_string_equal(m->text, "我公司近期资金周转困难，希望商会协助对接银行。\n");
	message_free(m);
}

static void
test_html_only(void **state)
{
	struct message *m = load("html-only.eml");

	(void)state;
	assert_string_equal(m->subject, "HTML 邮件");
	assert_true(m->flags & MESSAGE_TEXT_FROM_HTML);
	assert_string_equal(m->text, "尊敬的秘书处：\n\n我们有三个问题\n请回复\n- 税收&政策\n"
	    "- 用工 问题\n1. 一\n2. 二\n\n详见政策链接 <附件>");
	assert_null(strstr(m->text, "alert"));
	assert_null(strstr(m->text, "color"));
	assert_int_equal(m->n_attachments, 0);
	message_free(m);
}

static void
test_alternative_prefers_plain(void **state)
{
	struct message *m = load("alternative.eml");

	(void)state;
	assert_string_equal(m->subject, "意见建议");
	assert_string_equal(m->text, "建议商会增加培训活动。\n");
	assert_false(m->flags & MESSAGE_TEXT_FROM_HTML);
	assert_int_equal(m->n_attachments, 0);
	assert_string_equal(m->content_type, "multipart/alternative");
	message_free(m);
}

static void
test_attachments_2231(void **state)
{
	struct message *m = load("attach-2231.eml");
	size_t i;

	(void)state;
	assert_string_equal(m->subject, "附件：营业执照");
	assert_string_equal(m->text, "请查收附件。");
	assert_int_equal(m->n_attachments, 4);
	assert_string_equal(m->attachments[0].filename, "营业执照.pdf");
	assert_string_equal(m->attachments[0].content_type, "application/pdf");
	assert_int_equal(m->attachments[0].size, 14);
	assert_memory_equal(m->attachments[0].data, "%PDF-1.4 fake\n", 14);
	assert_string_equal(m->attachments[1].filename, "中文文件.doc");
	assert_int_equal(m->attachments[1].size, 7);
	assert_memory_equal(m->attachments[1].data, "DOCDATA", 7);
	assert_string_equal(m->attachments[2].filename, "照片.jpg");
	assert_string_equal(m->attachments[2].content_type, "image/jpeg");
	assert_int_equal(m->attachments[2].size, 256);
	for (i = 0; i < 256; i++)
		assert_int_equal(m->attachments[2].data[i], i);
	/* A text/plain part with Content-Disposition: attachment; path stripped. */
	assert_string_equal(m->attachments[3].filename, "说明.txt");
	assert_string_equal(m->attachments[3].content_type, "text/plain");
	assert_memory_equal(m->attachments[3].data, "附件说明", strlen("附件说明"));
	message_free(m);
}

static void
test_nested(void **state)
{
	struct message *m = load("nested.eml");

	(void)state;
	assert_string_equal(m->from_addr, "nested@example.com");
	assert_string_equal(m->from_name, "Nested Sender");
	assert_string_equal(m->text, "正文第一行续\nsecond line");
	assert_int_equal(m->date, 1741611600);	/* 08:00 -0500 */
	assert_int_equal(m->n_attachments, 2);
	assert_string_equal(m->attachments[0].content_type, "image/png");
	assert_string_equal(m->attachments[0].filename, "");
	assert_string_equal(m->attachments[1].filename, "data.zip");
	assert_int_equal(m->attachments[1].size, 4);
	assert_int_equal(m->flags, 0);
	message_free(m);
}

static void
test_broken(void **state)
{
	struct message *m = load("broken.eml");

	(void)state;
	assert_true(m->flags & MESSAGE_MALFORMED);
	assert_true(m->flags & MESSAGE_CHARSET_ERRORS);
	assert_int_equal(m->date, 0);
	assert_string_equal(m->text, "未知字符集的内容\nbad utf8 \xef\xbf\xbd\xef\xbf\xbd end\n");
	assert_int_equal(m->n_attachments, 1);
	assert_int_equal(m->attachments[0].size, 3);
	assert_memory_equal(m->attachments[0].data, "ABC", 3);
	assert_true(has_warning(m, "x-unknown-cs"));
	assert_true(has_warning(m, "closing boundary"));
	assert_true(has_warning(m, "base64"));
	assert_true(has_warning(m, "Date header"));
	message_free(m);
}

static void
test_header_tricks(void **state)
{
	struct message *m = load("header-tricks.eml");
	size_t i;

	(void)state;
	assert_string_equal(m->subject, "会员权益保障申请 (2025)");
	assert_string_equal(m->from_name, "周九");
	assert_string_equal(m->from_addr, "zhoujiu@example.cn");
	assert_string_equal(m->reply_to_addr, "reply@example.cn");
	assert_string_equal(message_header(m, "X-Raw-Gbk"), "商会通知");
	assert_string_equal(message_header(m, "X-Injection"), "helloBcc: evil@example.com");
	assert_string_equal(m->message_id, "tricks-0011@example.cn");
	assert_string_equal(m->in_reply_to, "parent@example.cn");
	assert_int_equal(m->n_references, 2);
	assert_string_equal(m->references[0], "root@example.cn");
	assert_string_equal(m->references[1], "parent@example.cn");
	assert_int_equal(m->date, 1741659630);	/* "+08:00" zone */
	for (i = 0; i < m->n_headers; i++) {
		assert_null(strpbrk(m->headers[i].value, "\r\n"));
		assert_null(strpbrk(m->headers[i].name, "\r\n:"));
	}
	message_free(m);
}

static void
test_limits(void **state)
{
	struct message_limits lim;
	struct message *m = NULL;
	const char *big = "Subject: x\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\nQUJDREVGR0hJSktM\r\n";
	char deep[4096];
	size_t i, o = 0;

	(void)state;
	message_limits_default(&lim);
	lim.max_message_size = 10;
	assert_int_equal(message_parse("Subject: too big\r\n\r\n", 20, &lim, &m), MD_ERR_LIMIT);
	assert_null(m);

	message_limits_default(&lim);
	lim.max_attachment_size = 8;
	m = parse_str(big, &lim);
	assert_int_equal(m->n_attachments, 1);
	assert_int_equal(m->attachments[0].size, 12);
	assert_null(m->attachments[0].data);
	assert_true(m->flags & MESSAGE_TRUNCATED);
	message_free(m);

	message_limits_default(&lim);
	lim.max_text_size = 7;
	m = parse_str("Subject: t\r\n\r\n商会商会\r\n", &lim);
	assert_string_equal(m->text, "商会");
	assert_true(m->flags & MESSAGE_TRUNCATED);
	message_free(m);

	message_limits_default(&lim);
	lim.max_header_count = 2;
	m = parse_str("A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\nbody", &lim);
	assert_int_equal(m->n_headers, 2);
	assert_true(m->flags & MESSAGE_TRUNCATED);
	assert_string_equal(m->text, "body");
	message_free(m);

	message_limits_default(&lim);
	lim.max_line_length = 10;
	m = parse_str("Subject: 0123456789abcdef\r\n\r\nbody", &lim);
	assert_string_equal(m->subject, "0");
	assert_true(m->flags & MESSAGE_TRUNCATED);
	message_free(m);

	/* 50 nested multiparts under a depth limit of 5. */
	o += (size_t)snprintf(deep + o, sizeof(deep) - o,
	    "Content-Type: multipart/mixed; boundary=b0\r\n\r\n");
	for (i = 1; i < 50; i++)
		o += (size_t)snprintf(deep + o, sizeof(deep) - o,
		    "--b%zu\r\nContent-Type: multipart/mixed; boundary=b%zu\r\n\r\n", i - 1, i);
	snprintf(deep + o, sizeof(deep) - o, "--b49\r\n\r\ndeep text\r\n");
	message_limits_default(&lim);
	lim.max_mime_depth = 5;
	m = parse_str(deep, &lim);
	assert_true(m->flags & MESSAGE_TRUNCATED);
	assert_true(has_warning(m, "nested deeper"));
	message_free(m);

	message_limits_default(&lim);
	lim.max_mime_parts = 3;
	m = parse_str("Content-Type: multipart/mixed; boundary=x\r\n\r\n"
	    "--x\r\n\r\none\r\n--x\r\n\r\ntwo\r\n--x\r\n\r\nthree\r\n--x\r\n\r\nfour\r\n--x--\r\n",
	    &lim);
	assert_string_equal(m->text, "one\ntwo");
	assert_true(has_warning(m, "MIME parts past the limit"));
	message_free(m);
}

static void
test_degenerate_input(void **state)
{
	struct message *m = NULL;

	(void)state;
	assert_int_equal(message_parse("", 0, NULL, &m), MD_OK);
	assert_string_equal(m->subject, "");
	assert_string_equal(m->text, "");
	assert_null(m->from_addr);
	assert_true(m->flags & MESSAGE_MALFORMED);
	message_free(m);
	assert_int_equal(message_parse("Subject: a\0b\r\n\r\nx\0y", 19, NULL, &m), MD_OK);
	assert_string_equal(m->subject, "ab");
	assert_string_equal(m->text, "xy");
	message_free(m);
	m = parse_str("just some text\nwithout headers\n", NULL);
	assert_true(m->flags & MESSAGE_MALFORMED);
	assert_string_equal(m->text, "just some text\nwithout headers\n");
	message_free(m);
	/* Multipart without boundary keeps its content as text. */
	m = parse_str("Content-Type: multipart/mixed\r\n\r\nkept\r\n", NULL);
	assert_string_equal(m->text, "kept\n");
	assert_true(m->flags & MESSAGE_MALFORMED);
	message_free(m);
	message_free(NULL);
}

static void
test_dates(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(msgdate_parse("Mon, 3 Mar 2025 09:15:00 +0800", &t), MD_OK);
	assert_int_equal(t, 1740964500);
	assert_int_equal(msgdate_parse("3 Mar 2025 01:15:00 GMT", &t), MD_OK);
	assert_int_equal(t, 1740964500);
	assert_int_equal(msgdate_parse("Mon, 03 Mar 2025 09:15 +0800 (CST)", &t), MD_OK);
	assert_int_equal(t, 1740964500);
	assert_int_equal(msgdate_parse("Mon, 3 Mar 2025 09:15:00 +08:00", &t), MD_OK);
	assert_int_equal(t, 1740964500);
	assert_int_equal(msgdate_parse("Sun, 2 Mar 2025 19:15:00 CST", &t), MD_OK);
	assert_int_equal(t, 1740964500);	/* CST is US Central (RFC 5322) */
	assert_int_equal(msgdate_parse("Mon Mar  3 01:15:00 2025", &t), MD_OK);
	assert_int_equal(t, 1740964500);
	assert_int_equal(msgdate_parse("2025-03-03T09:15:00+08:00", &t), MD_OK);
	assert_int_equal(t, 1740964500);
	assert_int_equal(msgdate_parse("3-Mar-2025 01:15:00", &t), MD_OK);
	assert_int_equal(t, 1740964500);
	assert_int_equal(msgdate_parse("Monday, March 3, 2025 9:15:00 AM +0800", &t), MD_OK);
	assert_int_equal(t, 1740964500);
	assert_int_equal(msgdate_parse("3 Mar 25 01:15:00 +0000", &t), MD_OK);
	assert_int_equal(t, 1740964500);
	assert_int_equal(msgdate_parse("Thu, 1 Jan 1970 00:00:00 +0000", &t), MD_OK);
	assert_int_equal(t, 0);
	assert_int_equal(msgdate_parse("29 Feb 2024 12:00:00 +0000", &t), MD_OK);
	assert_int_equal(t, 1709208000);
	assert_int_equal(msgdate_parse("30 Feb 2025 12:00:00 +0000", &t), MD_ERR_INPUT);
	assert_int_equal(msgdate_parse("Whenever", &t), MD_ERR_INPUT);
	assert_int_equal(msgdate_parse("", &t), MD_ERR_INPUT);
	assert_int_equal(msgdate_parse("3 Mar 2025 99:15:00", &t), MD_ERR_INPUT);
}

static void
test_addresses(void **state)
{
	struct addr *a;
	size_t n;
	unsigned st = 0;
	const char *in = "\"Wang, Wu\" <WangWu@Example.org>, plain@example.com (Plain Name),"
	    " Team: one@example.com, <two@example.com>;, =?utf-8?B?5ZWG5Lya?= <shanghui@x.cn>,"
	    " bogus, \"Evil\" <a@b.c\r\nRCPT TO:<x@y>>";

	(void)state;
	assert_int_equal(addr_parse_list(in, strlen(in), NULL, 20, &a, &n, &st), MD_OK);
	assert_int_equal(n, 7);
	assert_string_equal(a[0].name, "Wang, Wu");
	assert_string_equal(a[0].addr, "wangwu@example.org");
	assert_string_equal(a[1].addr, "plain@example.com");
	assert_string_equal(a[1].name, "Plain Name");
	assert_string_equal(a[2].addr, "one@example.com");
	assert_string_equal(a[3].addr, "two@example.com");
	assert_string_equal(a[4].name, "商会");
	assert_string_equal(a[4].addr, "shanghui@x.cn");
	assert_null(a[5].addr);
	assert_null(a[6].addr);	/* CR/LF inside: never an address */
	addr_list_free(a, n);
	assert_true(addr_spec_valid("a.b+tag@example.com"));
	assert_false(addr_spec_valid("a@b@c"));
	assert_false(addr_spec_valid("@example.com"));
	assert_false(addr_spec_valid("a b@example.com"));
	assert_false(addr_spec_valid("a@example.com\r\n"));
	assert_false(addr_spec_valid("a@"));
}

static void
test_inspect_json(void **state)
{
	struct message *m = load("attach-2231.eml");
	json_t *j, *atts;

	(void)state;
	j = inspect_message_json(m);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 8);
	assert_string_equal(json_string_value(json_object_get(j, "subject")), "附件：营业执照");
	assert_string_equal(json_string_value(json_object_get(j, "from")), "qian8@example.cn");
	assert_string_equal(json_string_value(json_object_get(j, "from_name")), "");
	assert_string_equal(json_string_value(json_object_get(j, "date")),
	    "2025-03-09T12:00:00Z");
	assert_string_equal(json_string_value(json_object_get(j, "message_id")),
	    "att-0008@example.cn");
	assert_string_equal(json_string_value(json_object_get(j, "text")), "请查收附件。");
	atts = json_object_get(j, "attachments");
	assert_int_equal(json_array_size(atts), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(atts, 1),
	    "filename")), "中文文件.doc");
	assert_string_equal(json_string_value(json_object_get(json_array_get(atts, 1),
	    "content_type")), "application/msword");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(atts, 1), "size")), 7);
	assert_true(json_is_array(json_object_get(j, "warnings")));
	json_decref(j);
	message_free(m);

	m = parse_str("X: y\r\n\r\n", NULL);
	j = inspect_message_json(m);
	assert_true(json_is_null(json_object_get(j, "from")));
	assert_true(json_is_null(json_object_get(j, "date")));
	assert_true(json_is_null(json_object_get(j, "message_id")));
	json_decref(j);
	message_free(m);
}

static void
test_cli_inspect(void **state)
{
	char *path = fixture_path("big5.eml");
	char *argv_missing[] = { "inspect", "/nonexistent/x.eml", NULL };
	char *argv_usage[] = { "inspect", "--bogus", "x", NULL };
	char *argv_json[] = { "inspect", "--json", path, NULL };
	char out[] = "/tmp/md-inspect-XXXXXX";
	char buf[4096];
	json_error_t jerr;
	json_t *j;
	FILE *fp;
	size_t n;
	int fd, saved;

	(void)state;
	assert_int_equal(cli_inspect(2, argv_missing), 1);
	assert_int_equal(cli_inspect(3, argv_usage), 2);
	fd = mkstemp(out);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	assert_int_equal(cli_inspect(3, argv_json), 0);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fd);
	fp = fopen(out, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	unlink(out);
	j = json_loads(buf, 0, &jerr);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "subject")), "年會查詢");
	assert_string_equal(json_string_value(json_object_get(j, "from")), "chan@hk.example");
	json_decref(j);
	free(path);
}

/* --- large attachments of a spooled message (spool.h) --- */

static void
b64_encode_lines(struct buf *out, const unsigned char *in, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, col = 0;
	char q[4];

	for (i = 0; i < n; i += 3) {
		unsigned long v = (unsigned long)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		assert_int_equal(buf_append(out, q, 4), MD_OK);
		if ((col += 4) == 76) {
			assert_int_equal(buf_puts(out, "\r\n"), MD_OK);
			col = 0;
		}
	}
	assert_int_equal(buf_puts(out, "\r\n"), MD_OK);
}

/*
 * A request with a text part and five attachments: large base64 (optionally
 * damaged), large 8bit, large quoted-printable, small base64, and large
 * base64 whose decoded size is not a multiple of 3.
 */
static char *
big_message(size_t *len, int damaged)
{
	struct buf b;
	unsigned char *bin;
	size_t i, n = 400 * 1024;

	bin = malloc(n);
	assert_non_null(bin);
	for (i = 0; i < n; i++)
		bin[i] = (unsigned char)(i * 131 + (i >> 9));
	buf_init(&b, 8 * 1024 * 1024);
	assert_int_equal(buf_puts(&b, "From: a@members.test\r\nTo: c@chamber.test\r\n"
	    "Subject: big\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n"
	    "--zz\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n会员诉求正文\r\n"
	    "--zz\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"), MD_OK);
	b64_encode_lines(&b, bin, n);
	if (damaged)
		assert_int_equal(buf_puts(&b, "*!*\r\nAAAA==\r\nQUJD\r\n"), MD_OK);
	assert_int_equal(buf_puts(&b, "--zz\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment; filename=\"b.bin\"\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n"), MD_OK);
	for (i = 0; i < n; i += 64)
		assert_int_equal(buf_puts(&b, "0123456789abcdef0123456789abcdef"
		    "0123456789abcdef0123456789abc\r\n"), MD_OK);
	assert_int_equal(buf_puts(&b, "--zz\r\nContent-Type: text/csv; name=\"c.csv\"\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"), MD_OK);
	for (i = 0; i < n; i += 64)
		assert_int_equal(buf_puts(&b, "a=3Db,=E4=BC=9A=E5=91=98,caf=C3=A9,0123456789=\r\n"
		    "0123456789\r\n"), MD_OK);
	assert_int_equal(buf_puts(&b, "--zz\r\nContent-Type: image/png; name=\"d.png\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"), MD_OK);
	b64_encode_lines(&b, bin, 1000);
	assert_int_equal(buf_puts(&b, "--zz\r\nContent-Type: application/zip; name=\"e.zip\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"), MD_OK);
	b64_encode_lines(&b, bin, n - 1);
	assert_int_equal(buf_puts(&b, "--zz--\r\n"), MD_OK);
	free(bin);
	*len = b.len;
	return buf_steal(&b);
}

struct collect {
	struct buf out;
	size_t calls;
};

static enum md_err
collect_sink(const void *p, size_t n, void *arg)
{
	struct collect *c = arg;

	assert_true(n > 0 && n <= SPOOL_STEP);
	c->calls++;
	return buf_append(&c->out, p, n);
}

static void
assert_same_decoded(const struct message_attachment *want, const struct message_attachment *got)
{
	struct collect c;

	memset(&c, 0, sizeof(c));
	buf_init(&c.out, 64 * 1024 * 1024);
	assert_int_equal(message_attachment_decode(got, collect_sink, &c), MD_OK);
	assert_int_equal(c.out.len, want->size);
	assert_int_equal(got->size, want->size);
	assert_non_null(want->data);
	assert_memory_equal(c.out.data, want->data, want->size);
	buf_free(&c.out);
}

static struct spool *
spooled(const char *raw, size_t len, const char **data)
{
	struct spool *s = NULL;
	size_t mlen;

	assert_int_equal(spool_create("/tmp", len, &s), MD_OK);
	assert_int_equal(spool_write(s, raw, len), MD_OK);
	assert_int_equal(spool_map(s, data, &mlen), MD_OK);
	assert_int_equal(mlen, len);
	return s;
}

static void
check_spooled(int damaged)
{
	struct message *heap = NULL, *sp = NULL;
	struct spool *s;
	const char *data;
	size_t len, i;
	char *raw;

	raw = big_message(&len, damaged);
	assert_int_equal(message_parse(raw, len, NULL, &heap), MD_OK);
	s = spooled(raw, len, &data);
	assert_int_equal(message_parse(data, len, NULL, &sp), MD_OK);
	/* Everything a caller sees is the same... */
	assert_string_equal(sp->text, heap->text);
	assert_string_equal(sp->text, "会员诉求正文");
	assert_int_equal(sp->flags, heap->flags);
	assert_int_equal(!!(sp->flags & MESSAGE_MALFORMED), damaged);
	assert_int_equal(sp->n_warnings, heap->n_warnings);
	for (i = 0; i < sp->n_warnings; i++)
		assert_string_equal(sp->warnings[i], heap->warnings[i]);
	assert_int_equal(sp->n_attachments, 5);
	assert_int_equal(heap->n_attachments, 5);
	for (i = 0; i < 5; i++) {
		assert_string_equal(sp->attachments[i].filename, heap->attachments[i].filename);
		assert_string_equal(sp->attachments[i].content_type,
		    heap->attachments[i].content_type);
		assert_null(heap->attachments[i].encoded);
		assert_same_decoded(&heap->attachments[i], &sp->attachments[i]);
		assert_same_decoded(&heap->attachments[i], &heap->attachments[i]);
	}
	/* ...but the large base64 and 8bit ones were never decoded into memory. */
	assert_null(sp->attachments[0].data);
	assert_int_equal(sp->attachments[0].encoding, MESSAGE_ENC_BASE64);
	assert_null(sp->attachments[1].data);
	assert_int_equal(sp->attachments[1].encoding, MESSAGE_ENC_IDENTITY);
	assert_non_null(sp->attachments[2].data);	/* quoted-printable */
	assert_non_null(sp->attachments[3].data);	/* small */
	assert_null(sp->attachments[4].data);
	assert_int_equal(sp->attachments[4].size, 400 * 1024 - 1);
	message_free(sp);
	message_free(heap);
	spool_free(s);
	free(raw);
}

static void
test_spooled_attachments_deferred(void **state)
{
	(void)state;
	check_spooled(0);
	check_spooled(1);
}

static void
test_spooled_attachment_over_limit(void **state)
{
	struct message_limits lim;
	struct message *heap = NULL, *sp = NULL;
	struct collect c;
	struct spool *s;
	const char *data;
	size_t len, i;
	char *raw;

	(void)state;
	message_limits_default(&lim);
	lim.max_attachment_size = 300 * 1024;
	raw = big_message(&len, 0);
	assert_int_equal(message_parse(raw, len, &lim, &heap), MD_OK);
	s = spooled(raw, len, &data);
	assert_int_equal(message_parse(data, len, &lim, &sp), MD_OK);
	assert_int_equal(sp->n_warnings, heap->n_warnings);
	for (i = 0; i < sp->n_warnings; i++)
		assert_string_equal(sp->warnings[i], heap->warnings[i]);
	assert_true(sp->flags & MESSAGE_TRUNCATED);
	assert_int_equal(sp->attachments[0].size, 400 * 1024);
	assert_null(sp->attachments[0].data);
	assert_null(sp->attachments[0].encoded);
	memset(&c, 0, sizeof(c));
	buf_init(&c.out, 16);
	assert_int_equal(message_attachment_decode(&sp->attachments[0], collect_sink, &c),
	    MD_ERR_STATE);
	assert_int_equal(c.calls, 0);
	message_free(sp);
	message_free(heap);
	spool_free(s);
	free(raw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gbk_base64),
		cmocka_unit_test(test_gb18030_qp),
		cmocka_unit_test(test_big5),
		cmocka_unit_test(test_latin1_qp),
		cmocka_unit_test(test_utf8_8bit_lf),
		cmocka_unit_test(test_html_only),
		cmocka_unit_test(test_alternative_prefers_plain),
		cmocka_unit_test(test_attachments_2231),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_header_tricks),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_degenerate_input),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_inspect_json),
		cmocka_unit_test(test_cli_inspect),
		cmocka_unit_test(test_spooled_attachments_deferred),
		cmocka_unit_test(test_spooled_attachment_over_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
