/*
 * Queuing notices: the copy kept with a case's messages carries the same
 * subject, sender, date and text that parsing the sent message gives, and
 * templates are read once per process until notify_forget_templates().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "case.h"
#include "message.h"
#include "notify.h"
#include "outbox.h"
#include "testenv.h"

static int
setup(void **state)
{
	struct testenv *env = calloc(1, sizeof(*env));

	if (env == NULL || testenv_setup(env, 0, NULL) != 0) {
		free(env);
		return -1;
	}
	*state = env;
	return 0;
}

static int
teardown(void **state)
{
	struct testenv *env = *state;

	notify_forget_templates();
	testenv_teardown(env);
	free(env);
	return 0;
}

static void
queue(struct testenv *env, int64_t case_id, const char *tmpl, const char *text,
    const char *subject)
{
	/* "text" last: ack has no such variable. */
	struct template_var v[] = { { "subject", subject }, { "case_tag", "[MD-2026-0001]" },
	    { "text", text } };
	struct notify_request rq;

	memset(&rq, 0, sizeof(rq));
	rq.case_id = case_id;
	rq.kind = "reply";
	rq.template_name = tmpl;
	rq.vars = v;
	rq.nvars = strcmp(tmpl, "ack") == 0 ? 2 : 3;
	rq.to_addr = "alice@members.test";
	rq.to_name = "Alice \"A\" 张";
	rq.auto_submitted = NOTICE_AUTO_NONE;
	assert_int_equal(db_begin(env->db), MD_OK);
	assert_int_equal(notify_queue(env->cfg, env->db, &rq, time(NULL), NULL), MD_OK);
	assert_int_equal(db_commit(env->db), MD_OK);
}

static char *
column_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return strdup(t ? (const char *)t : "(null)");
}

/* Every stored outgoing message's fields equal those its raw bytes parse to. */
static void
assert_stored_as_parsed(struct testenv *env, int want)
{
	sqlite3_stmt *st;
	struct message *m;
	char *s;
	int n = 0;

	assert_int_equal(sqlite3_prepare_v2(db_handle(env->db), "SELECT raw, subject,"
	    " from_addr, from_name, date, text, message_id FROM messages"
	    " WHERE direction = 'out' ORDER BY id", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		m = NULL;
		assert_int_equal(message_parse(sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), NULL, &m), MD_OK);
		assert_string_equal(s = column_text(st, 1), m->subject);
		free(s);
		assert_string_equal(s = column_text(st, 2), m->from_addr);
		free(s);
		assert_string_equal(s = column_text(st, 3), m->from_name);
		free(s);
		assert_int_equal(sqlite3_column_int64(st, 4), (int64_t)m->date);
		assert_int_equal(sqlite3_column_bytes(st, 5), m->text_len);
		assert_string_equal(s = column_text(st, 5), m->text);
		free(s);
		assert_string_equal(s = column_text(st, 6), m->message_id);
		free(s);
		message_free(m);
		n++;
	}
	sqlite3_finalize(st);
	assert_int_equal(n, want);
}

static void
test_recorded_copy_reads_like_the_sent_message(void **state)
{
	struct testenv *env = *state;
	int64_t id = testenv_case(env, "s", NULL);
	static const char *const texts[] = {
		"plain\nlines\n", "no final line end", "crlf\r\nand cr\ronly\r\n",
		"tabs\tkept, controls \x01\x1b[31m dropped, C1 \xc2\x85 too\n",
		"separators \xe2\x80\xa8 and \xe2\x80\xa9 \xe2\x80\xa8" "\n",
		"invalid \xff\xfe utf-8 and 中文 \xe4\xb8\n", "", "\n\n\nblank lines\n\n",
		"long line " "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	};
	static const char *const subjects[] = {
		"plain ascii", "中文主题 with English", "two  spaces and =?UTF-8?B?eA==?= word",
		"line\nbreak\tand tab", "  leading and trailing  ", "\xff invalid",
		"sep\xe2\x80\xa8" "ara\xe2\x80\xa9" "tors \xe2\x80\xa8",
		"a very long subject that has to be folded over more than one header line "
		"because it goes on and on and on and on beyond seventy-eight columns",
		"非常长的中文主题非常长的中文主题非常长的中文主题非常长的中文主题非常长的中文主题"
		"非常长的中文主题非常长的中文主题", "trailing tab and cr\t\r",
	};
	size_t i;

	assert_true(id > 0);
	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++)
		queue(env, id, "reply", texts[i % (sizeof(texts) / sizeof(texts[0]))], subjects[i]);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		queue(env, id, "reply", texts[i], "t");
	i += sizeof(subjects) / sizeof(subjects[0]);
	queue(env, id, "ack", "", "ack subject");
	assert_stored_as_parsed(env, (int)i + 1);
	/* A sender name and address in mixed case are kept as a reader sees them. */
	free(env->cfg->smtp_from);
	free(env->cfg->smtp_from_name);
	assert_non_null(env->cfg->smtp_from = strdup("Chamber.Office@Chamber.TEST"));
	assert_non_null(env->cfg->smtp_from_name = strdup("商会 \"秘书处\"\t(Secretariat)"));
	queue(env, id, "reply", "x", "y");
	free(env->cfg->smtp_from_name);
	assert_non_null(env->cfg->smtp_from_name = strdup("Plain \"Quoted\" Name"));
	queue(env, id, "reply", "x", "y");
	free(env->cfg->smtp_from_name);
	env->cfg->smtp_from_name = NULL;
	queue(env, id, "reply", "x", "y");
	assert_stored_as_parsed(env, (int)i + 4);
}

/* A case notice's bytes are stored once, as its message; others keep theirs in the outbox. */
static void
test_case_notice_stored_once(void **state)
{
	struct testenv *env = *state;
	int64_t id = testenv_case(env, "s", NULL);
	struct notify_request rq;
	struct outbox_item *it;
	sqlite3_stmt *st;

	assert_true(id > 0);
	queue(env, id, "reply", "case notice", "t");
	queue(env, 0, "reply", "no case", "t");
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox o JOIN messages m"
	    " ON m.id = o.message_row WHERE o.case_id IS NOT NULL AND length(o.data) = 0"
	    " AND m.direction = 'out' AND m.case_id = o.case_id"
	    " AND m.message_id = o.message_id AND length(m.raw) > 0"), 1);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox WHERE case_id IS NULL"
	    " AND message_row IS NULL AND length(data) > 0"), 1);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM messages"), 1);
	/* The sender gets the very bytes kept with the case. */
	assert_int_equal(outbox_next_due(env->db, time(NULL) + 1, &it), MD_OK);
	assert_int_equal(it->case_id, id);
	assert_int_equal(sqlite3_prepare_v2(db_handle(env->db), "SELECT raw FROM messages",
	    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(it->len, (size_t)sqlite3_column_bytes(st, 0));
	assert_memory_equal(it->data, sqlite3_column_blob(st, 0), it->len);
	sqlite3_finalize(st);
	outbox_item_free(it);

	/* A notice that cannot be queued leaves no message on the case behind. */
	memset(&rq, 0, sizeof(rq));
	rq.case_id = id;
	rq.kind = "reply";
	rq.template_name = "ack";
	rq.to_addr = "not an address";
	assert_int_equal(db_begin(env->db), MD_OK);
	assert_int_equal(notify_queue(env->cfg, env->db, &rq, time(NULL), NULL), MD_ERR_INPUT);
	assert_int_equal(db_commit(env->db), MD_OK);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM messages"), 1);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox"), 2);
}

static void
write_template(const char *dir, const char *subject)
{
	char path[600];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/zh/reply.txt", dir);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "Subject: %s {{case_tag}}\n\n{{text}}\n", subject);
	fclose(fp);
}

static void
test_templates_are_read_again_only_after_forgetting(void **state)
{
	struct testenv *env = *state;
	struct notify_request rq;
	char dir[400], path[600];

	snprintf(dir, sizeof(dir), "%s/tmpl", env->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/zh", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	free(env->cfg->template_dir);
	assert_non_null(env->cfg->template_dir = strdup(dir));
	free(env->cfg->language);
	assert_non_null(env->cfg->language = strdup("zh"));
	notify_forget_templates();

	write_template(dir, "first");
	queue(env, 0, "reply", "t", "s");
	write_template(dir, "second");
	queue(env, 0, "reply", "t", "s");
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox"
	    " WHERE instr(data, 'Subject: first') > 0"), 2);
	notify_forget_templates();
	queue(env, 0, "reply", "t", "s");
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox"
	    " WHERE instr(data, 'Subject: second') > 0"), 1);
	/* A template that is missing is looked for again on every notice. */
	snprintf(path, sizeof(path), "%s/zh/reply.txt", dir);
	assert_int_equal(remove(path), 0);
	notify_forget_templates();
	memset(&rq, 0, sizeof(rq));
	rq.kind = "reply";
	rq.template_name = "reply";
	rq.to_addr = "alice@members.test";
	assert_int_equal(db_begin(env->db), MD_OK);
	assert_int_equal(notify_queue(env->cfg, env->db, &rq, time(NULL), NULL), MD_ERR_NOTFOUND);
	db_rollback(env->db);
	write_template(dir, "third");
	queue(env, 0, "reply", "t", "s");
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox"
	    " WHERE instr(data, 'Subject: third') > 0"), 1);
	remove(path);
	snprintf(path, sizeof(path), "%s/zh", dir);
	rmdir(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_recorded_copy_reads_like_the_sent_message,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_templates_are_read_again_only_after_forgetting,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_notice_stored_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
