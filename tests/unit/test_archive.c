/*
 * The printable case record: everything in order, hostile mail text escaped,
 * attachments listed with size and SHA-256 and written out only under safe
 * names, never over an existing file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "archive.h"
#include "buf.h"
#include "case.h"
#include "intake.h"
#include "log.h"
#include "message.h"
#include "msgstore.h"
#include "spool.h"
#include "testenv.h"

struct fx {
	struct testenv te;
	int64_t case_id;
	char att[600];
};

static void
exec(struct fx *f, const char *sql)
{
	assert_int_equal(sqlite3_exec(db_handle(f->te.db), sql, NULL, NULL, NULL), SQLITE_OK);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct case_new in = {
		.prefix = "MD", .year = 2026, .subject = "关于<b>厂房</b>租金",
		.text = "正文\x1b[31m红字", .requester_name = "张三", .requester_email = "z@qq.com",
		.submitted_at = 1790553600,
	};

	if (f == NULL || testenv_setup(&f->te, 0, NULL) != 0)
		return -1;
	if (db_begin(f->te.db) || case_create(f->te.db, &in, 1790553600, &f->case_id, NULL) ||
	    db_commit(f->te.db))
		return -1;
	snprintf(f->att, sizeof(f->att), "%s/att", f->te.dir);
	if (mkdir(f->att, 0700) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->att);
	assert_int_equal(system(cmd), 0);
	testenv_teardown(&f->te);
	free(f);
	return 0;
}

/* Export into memory. */
static char *
export(struct fx *f, const char *dir, enum md_err want, size_t *natt)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	assert_int_equal(archive_export_html(f->te.db, f->te.cfg, f->case_id, fp, dir, natt), want);
	fclose(fp);
	return text;
}

static void
seed(struct fx *f)
{
	char sql[1024];

	snprintf(sql, sizeof(sql), "INSERT INTO messages (id, case_id, sha256, raw, subject,"
	    " from_addr, from_name, text, direction, received_at, message_id) VALUES"
	    " (7, %lld, 'x', 'raw', 'Re: <script>alert(1)</script>', 'z@qq.com', '张三',"
	    " '补充材料见附件 & 谢谢', 'in', 1790557200, 'm1@qq.com')", (long long)f->case_id);
	exec(f, sql);
	exec(f, "INSERT INTO attachments (message_id, filename, content_type, size, data) VALUES"
	    " (7, '../../etc/passwd', 'text/plain', 3, X'616263'),"
	    " (7, '合同.pdf', 'application/pdf', 9000000, NULL)");
	assert_int_equal(case_add_event(f->te.db, f->case_id, 1790560800, "note", "staff1",
	    "内部：\"注意\"", 0, NULL), MD_OK);
}

static void
test_record_in_order_and_escaped(void **state)
{
	struct fx *f = *state;
	size_t natt = 0;
	char *html, *reg, *msg, *note;

	seed(f);
	html = export(f, NULL, MD_OK, &natt);
	assert_int_equal(natt, 2);
	assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
	assert_non_null(strstr(html, "<meta charset=\"utf-8\">"));
	/* Mail text is text, never markup or terminal escapes. */
	assert_null(strstr(html, "<script>"));
	assert_non_null(strstr(html, "Re: &lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(html, "关于&lt;b&gt;厂房&lt;/b&gt;租金"));
	assert_non_null(strstr(html, "补充材料见附件 &amp; 谢谢"));
	assert_null(strchr(html, '\x1b'));
	assert_non_null(strstr(html, "内部：&quot;注意&quot;"));
	/* Attachments: size and SHA-256, or why the content is missing. */
	assert_non_null(strstr(html,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	assert_non_null(strstr(html, "9000000"));
	assert_non_null(strstr(html, "内容未保存"));
	/* Registration, then the member's mail, then the note: the order they happened. */
	reg = strstr(html, " registered · system");
	msg = strstr(html, "补充材料见附件");
	note = strstr(html, "内部备注");
	assert_non_null(reg);
	assert_non_null(msg);
	assert_non_null(note);
	assert_true(reg < msg && msg < note);
	/* Nothing outside the file. */
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "href="));
	assert_null(strstr(html, "<link"));
	free(html);
}

static void
test_attachments_written_safely(void **state)
{
	struct fx *f = *state;
	char path[700], buf[8];
	FILE *fp;
	char *html;

	seed(f);
	html = export(f, f->att, MD_OK, NULL);
	free(html);
	/* "../../etc/passwd" cannot climb out; the unkept one is not written. */
	snprintf(path, sizeof(path), "%s/M7-1-attachment", f->att);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(buf, 1, sizeof(buf), fp), 3);
	assert_memory_equal(buf, "abc", 3);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/M7-2-.pdf", f->att);
	assert_int_equal(access(path, F_OK), -1);
	/* A second export does not overwrite what is there. */
	html = export(f, f->att, MD_ERR_EXISTS, NULL);
	free(html);
}

static void
test_unknown_case(void **state)
{
	struct fx *f = *state;
	FILE *fp = tmpfile();

	assert_non_null(fp);
	assert_int_equal(archive_export_html(f->te.db, f->te.cfg, 999, fp, NULL, NULL),
	    MD_ERR_NOTFOUND);
	fclose(fp);
}

/* --- attachments kept once: decoded again from the stored raw message --- */

/* Limits as configured in setup_once(): 2 MiB per attachment. */
#define ONCE_LIMIT	"limits { max_attachment_size = 2097152 }"

static int
setup_once(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL || testenv_setup(&f->te, 0, ONCE_LIMIT) != 0)
		return -1;
	f->case_id = testenv_case(&f->te, "材料", "z@qq.com");
	snprintf(f->att, sizeof(f->att), "%s/att", f->te.dir);
	if (f->case_id <= 0 || mkdir(f->att, 0700) != 0)
		return -1;
	*state = f;
	return 0;
}

static void
b64(struct buf *b, const unsigned char *p, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	size_t i, line = 0;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
		    (i + 2 < n ? p[i + 2] : 0);

		q[0] = tab[v >> 18 & 63];
		q[1] = tab[v >> 12 & 63];
		q[2] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		assert_int_equal(buf_append(b, q, 4), MD_OK);
		if (++line == 19) {
			assert_int_equal(buf_puts(b, "\r\n"), MD_OK);
			line = 0;
		}
	}
	assert_int_equal(buf_puts(b, "\r\n"), MD_OK);
}

static unsigned char *
bytes(size_t n, unsigned seed)
{
	unsigned char *p = malloc(n);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (unsigned char)(seed >> 16);
	}
	return p;
}

/*
 * Nested multiparts; base64 under a GBK RFC 2231 name; quoted-printable GBK
 * text under an RFC 2047 name; an attachment without a name.
 */
static void
small_message(struct buf *b)
{
	unsigned char *pdf = bytes(3000, 1), png[5] = { 0x89, 'P', 'N', 'G', 0 };

	assert_int_equal(buf_puts(b,
	    "From: z@qq.com\r\nTo: desk@chamber.cn\r\nSubject: =?GBK?B?stDBzw==?=\r\n"
	    "Message-ID: <once1@qq.com>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
	    "--outer\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
	    "--alt\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n正文\r\n"
	    "--alt\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>正文</p>\r\n"
	    "--alt--\r\n"
	    "--outer\r\nContent-Type: multipart/mixed; boundary=\"inner\"\r\n\r\n"
	    "--inner\r\nContent-Type: application/pdf\r\n"
	    "Content-Disposition: attachment; filename*=GBK''%D3%AA%D2%B5%D6%B4%D5%D5.pdf\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"), MD_OK);
	b64(b, pdf, 3000);
	assert_int_equal(buf_puts(b,
	    "--inner\r\nContent-Type: text/plain; charset=GBK;"
	    " name=\"=?GBK?B?1tDOxMu1w/c=?=.txt\"\r\n"
	    "Content-Disposition: attachment\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "=D6=D0=CE=C4 a=3Db soft=\r\nbreak\r\n"
	    "--inner--\r\n"
	    "--outer\r\nContent-Type: image/png\r\nContent-Disposition: attachment\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"), MD_OK);
	b64(b, png, sizeof(png));
	assert_int_equal(buf_puts(b, "--outer--\r\n"), MD_OK);
	free(pdf);
}

/* Over 1 MiB (message_raw): a large attachment, one over the limit, a small one. */
static void
large_message(struct buf *b)
{
	unsigned char *big = bytes(1200000, 2), *huge = bytes(2500000, 3);

	assert_int_equal(buf_puts(b,
	    "From: z@qq.com\r\nSubject: big\r\nMessage-ID: <once2@qq.com>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n见附件\r\n"
	    "--b\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment; filename*=UTF-8''%E5%90%88%E5%90%8C.bin\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"), MD_OK);
	b64(b, big, 1200000);
	assert_int_equal(buf_puts(b,
	    "--b\r\nContent-Type: application/zip\r\n"
	    "Content-Disposition: attachment; filename=\"huge.zip\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"), MD_OK);
	b64(b, huge, 2500000);
	assert_int_equal(buf_puts(b,
	    "--b\r\nContent-Type: text/csv; name=\"list.csv\"\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\na,b=0D=0A1,2\r\n"
	    "--b--\r\n"), MD_OK);
	free(big);
	free(huge);
}

/* Take raw in as intake does (parsed under the configured limits, spooled if asked). */
static int64_t
take_in(struct fx *f, const struct buf *b, uint32_t uid, int spooled)
{
	struct message_limits lim;
	struct message *msg = NULL;
	struct msgstore_new in;
	struct spool *sp = NULL;
	const char *raw = b->data;
	size_t len = b->len;
	int64_t id = 0;

	if (spooled) {
		assert_int_equal(spool_create(f->te.dir, b->len, &sp), MD_OK);
		assert_int_equal(spool_write(sp, b->data, b->len), MD_OK);
		assert_int_equal(spool_map(sp, &raw, &len), MD_OK);
	}
	intake_message_limits(f->te.cfg, &lim);
	assert_int_equal(message_parse(raw, len, &lim, &msg), MD_OK);
	memset(&in, 0, sizeof(in));
	in.mailbox = "INBOX";
	in.uidvalidity = 1;
	in.uid = uid;
	in.raw = raw;
	in.raw_len = len;
	in.msg = msg;
	in.case_id = f->case_id;
	in.received_at = 1790557200 + uid;
	assert_int_equal(msgstore_insert(f->te.db, &in, &id), MD_OK);
	message_free(msg);
	spool_free(sp);
	return id;
}

/* Turn message id's rows into rows as written before migration 6, bytes included. */
static void
make_old_rows(struct fx *f, int64_t id, const struct buf *b)
{
	struct message *msg = NULL;
	sqlite3_stmt *st;
	char sql[128];
	size_t i;

	assert_int_equal(message_parse(b->data, b->len, NULL, &msg), MD_OK);
	assert_int_equal(db_prepare(f->te.db, "UPDATE attachments SET data = ?, part = NULL,"
	    " sha256 = NULL WHERE message_id = ? AND part = ? AND sha256 IS NOT NULL", &st), MD_OK);
	for (i = 0; i < msg->n_attachments; i++) {
		sqlite3_reset(st);
		if (msg->attachments[i].data)
			sqlite3_bind_blob64(st, 1, msg->attachments[i].data,
			    msg->attachments[i].size, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 1);
		sqlite3_bind_int64(st, 2, id);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)i);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	}
	sqlite3_finalize(st);
	message_free(msg);
	snprintf(sql, sizeof(sql), "UPDATE attachments SET part = NULL WHERE message_id = %lld",
	    (long long)id);
	exec(f, sql);
}

/* The record without its "Exported:" line, which shows the time of export. */
static char *
without_export_time(char *html)
{
	char *p = strstr(html, "<p class=\"meta\">"), *e;

	assert_non_null(p);
	e = strstr(p, "</p>");
	assert_non_null(e);
	memmove(p, e, strlen(e) + 1);
	return html;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *p;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return p;
}

static void
same_file(const char *a, const char *b)
{
	char *x, *y;
	size_t nx, ny;

	x = slurp(a, &nx);
	y = slurp(b, &ny);
	assert_int_equal(nx, ny);
	assert_memory_equal(x, y, nx);
	free(x);
	free(y);
}

static void
test_kept_once_exports_as_before(void **state)
{
	struct fx *f = *state;
	/* Written as M<message>-<n>-<name, each byte of non-ASCII as "_">. */
	static const char *const names[] = { "1-____________.pdf", "2-____________.txt",
	    "3-attachment", "1-______.bin", "3-list.csv" };
	struct buf small, large;
	char *now, *before, dir2[700], pa[800], pb[800];
	int64_t id1, id2;
	size_t natt = 0, i, len;
	unsigned char *pdf;
	char *got;

	buf_init(&small, 1 << 20);
	buf_init(&large, 8 << 20);
	small_message(&small);
	large_message(&large);
	id1 = take_in(f, &small, 1, 0);
	id2 = take_in(f, &large, 2, 1);
	/* Only metadata: no decoded bytes; the over-limit one without a SHA-256. */
	assert_int_equal(testdb_int(f->te.db, "SELECT count(*) FROM attachments"
	    " WHERE data IS NULL AND part IS NOT NULL"), 6);
	assert_int_equal(testdb_int(f->te.db, "SELECT count(*) FROM message_raw"), 1);
	assert_int_equal(testdb_int(f->te.db, "SELECT count(*) FROM attachments"
	    " WHERE sha256 IS NULL AND filename = 'huge.zip' AND size = 2500000"), 1);

	now = without_export_time(export(f, f->att, MD_OK, &natt));
	assert_int_equal(natt, 6);
	/* Names decoded (GBK RFC 2231, GBK RFC 2047, UTF-8 RFC 2231), in message order. */
	assert_non_null(strstr(now, "营业执照.pdf"));
	assert_true(strstr(now, "营业执照.pdf") < strstr(now, "中文说明.txt"));
	assert_true(strstr(now, "中文说明.txt") < strstr(now, "(unnamed)"));
	assert_true(strstr(now, "合同.bin") < strstr(now, "huge.zip"));
	assert_true(strstr(now, "huge.zip") < strstr(now, "list.csv"));
	assert_non_null(strstr(now, "（内容未保存：超过大小限制）"));
	/* The bytes written are the attachment's. */
	snprintf(pa, sizeof(pa), "%s/M%lld-%s", f->att, (long long)id1, names[0]);
	got = slurp(pa, &len);
	pdf = bytes(3000, 1);
	assert_int_equal(len, 3000);
	assert_memory_equal(got, pdf, 3000);
	free(got);
	free(pdf);
	snprintf(pa, sizeof(pa), "%s/M%lld-%s", f->att, (long long)id1, names[1]);
	got = slurp(pa, &len);
	/* The line break before the delimiter belongs to the delimiter. */
	assert_int_equal(len, 18);
	assert_memory_equal(got, "\xd6\xd0\xce\xc4 a=b softbreak", 18);
	free(got);
	snprintf(pa, sizeof(pa), "%s/M%lld-2-huge.zip", f->att, (long long)id2);
	assert_int_equal(access(pa, F_OK), -1);

	/* The same messages with rows as written before: the same record, the same files. */
	make_old_rows(f, id1, &small);
	make_old_rows(f, id2, &large);
	assert_int_equal(testdb_int(f->te.db, "SELECT count(*) FROM attachments"
	    " WHERE data IS NOT NULL"), 5);
	snprintf(dir2, sizeof(dir2), "%s/old", f->att);
	assert_int_equal(mkdir(dir2, 0700), 0);
	before = without_export_time(export(f, dir2, MD_OK, &natt));
	assert_int_equal(natt, 6);
	assert_string_equal(now, before);
	for (i = 0; i < 5; i++) {
		snprintf(pa, sizeof(pa), "%s/M%lld-%s", f->att, (long long)(i < 3 ? id1 : id2),
		    names[i]);
		snprintf(pb, sizeof(pb), "%s/M%lld-%s", dir2, (long long)(i < 3 ? id1 : id2),
		    names[i]);
		same_file(pa, pb);
	}
	free(now);
	free(before);
	buf_free(&small);
	buf_free(&large);
}

/* A row that no longer matches its message is an error, never some other file. */
static void
test_kept_once_mismatch_refused(void **state)
{
	struct fx *f = *state;
	struct buf small;
	char *html, path[800];
	int64_t id;

	buf_init(&small, 1 << 20);
	small_message(&small);
	id = take_in(f, &small, 1, 0);
	/* Without a directory the stored SHA-256 is listed and nothing is decoded. */
	exec(f, "UPDATE messages SET raw = 'not the message any more'");
	html = export(f, NULL, MD_OK, NULL);
	free(html);
	html = export(f, f->att, MD_ERR_STATE, NULL);
	free(html);
	snprintf(path, sizeof(path), "%s/M%lld-1-____________.pdf", f->att, (long long)id);
	assert_int_equal(access(path, F_OK), -1);
	buf_free(&small);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_record_in_order_and_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attachments_written_safely, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_case, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept_once_exports_as_before, setup_once,
		    teardown),
		cmocka_unit_test_setup_teardown(test_kept_once_mismatch_refused, setup_once,
		    teardown),
	};

	log_init("test_archive", 1, LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
