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
#include "case.h"
#include "log.h"
#include "msgstore.h"
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_record_in_order_and_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attachments_written_safely, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_case, setup, teardown),
	};

	log_init("test_archive", 1, LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
