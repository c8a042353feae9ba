#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "case.h"
#include "cli.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "msgstore.h"
#include "testenv.h"

/* Register one case in its own transaction; returns the number in num. */
static int64_t
create(struct testdb *f, const char *prefix, int year, const char *subject, char *num)
{
	struct case_new in = {
		.prefix = prefix, .year = year, .subject = subject, .text = "正文",
		.requester_name = "张三", .requester_unit = "华兴公司",
		.requester_email = "zhang@qq.com", .submitted_at = 1767225600,
	};
	int64_t id = 0;

	assert_int_equal(db_begin(f->db), MD_OK);
	assert_int_equal(case_create(f->db, &in, 1767225601, &id, num), MD_OK);
	assert_int_equal(db_commit(f->db), MD_OK);
	return id;
}

static void
test_number_format(void **state)
{
	char out[CASE_NUMBER_MAX];

	(void)state;
	assert_int_equal(case_format_number("MD", 2026, 1, out, sizeof(out)), MD_OK);
	assert_string_equal(out, "MD-2026-0001");
	assert_int_equal(case_format_number("SH", 2026, 12345, out, sizeof(out)), MD_OK);
	assert_string_equal(out, "SH-2026-12345");
	assert_int_equal(case_format_number("M-D", 2026, 1, out, sizeof(out)), MD_ERR_INPUT);
	assert_int_equal(case_format_number("", 2026, 1, out, sizeof(out)), MD_ERR_INPUT);
	assert_int_equal(case_format_number("MD", 1969, 1, out, sizeof(out)), MD_ERR_INPUT);
	assert_int_equal(case_format_number("MD", 2026, 0, out, sizeof(out)), MD_ERR_INPUT);
	assert_int_equal(case_format_number("MD", 2026, 1, out, 8), MD_ERR_LIMIT);
	assert_true(case_channel_valid("walk-in"));
	assert_false(case_channel_valid("fax"));
}

static void
test_per_year_numbering(void **state)
{
	struct testdb *f = *state;
	char num[CASE_NUMBER_MAX];
	struct case_new in = { .prefix = "MD", .year = 2026 };

	create(f, "MD", 2026, "a", num);
	assert_string_equal(num, "MD-2026-0001");
	create(f, "MD", 2026, "b", num);
	assert_string_equal(num, "MD-2026-0002");
	create(f, "MD", 2027, "c", num);
	assert_string_equal(num, "MD-2027-0001");
	create(f, "XY", 2026, "d", num);
	assert_string_equal(num, "XY-2026-0001");
	create(f, "MD", 2026, "e", num);
	assert_string_equal(num, "MD-2026-0003");

	/* A rolled-back registration gives its number back. */
	assert_int_equal(db_begin(f->db), MD_OK);
	assert_int_equal(case_create(f->db, &in, 1, NULL, num), MD_OK);
	assert_string_equal(num, "MD-2026-0004");
	assert_int_equal(db_rollback(f->db), MD_OK);
	create(f, "MD", 2026, "f", num);
	assert_string_equal(num, "MD-2026-0004");

	/* Outside a transaction, and with bad input, nothing is created. */
	assert_int_equal(case_create(f->db, &in, 1, NULL, num), MD_ERR_STATE);
	assert_int_equal(db_begin(f->db), MD_OK);
	in.channel = "fax";
	assert_int_equal(case_create(f->db, &in, 1, NULL, num), MD_ERR_INPUT);
	in.channel = "visit";
	in.prefix = "MD 1";
	assert_int_equal(case_create(f->db, &in, 1, NULL, num), MD_ERR_INPUT);
	in.prefix = "MD";
	in.year = 12026;
	assert_int_equal(case_create(f->db, &in, 1, NULL, num), MD_ERR_INPUT);
	in.year = 2026;
	in.member_id = 999;  /* no such member: the foreign key refuses it */
	assert_int_equal(case_create(f->db, &in, 1, NULL, num), MD_ERR_DB);
	assert_int_equal(db_rollback(f->db), MD_OK);
}

/* event_by_caller: the case alone, for a caller that writes the event itself. */
static void
test_create_without_event(void **state)
{
	struct testdb *f = *state;
	struct case_new in = {
		.prefix = "MD", .year = 2026, .subject = "s", .submitted_at = 1767225600,
		.event_by_caller = 1,
	};
	char num[CASE_NUMBER_MAX];
	int64_t id = 0;

	assert_int_equal(db_begin(f->db), MD_OK);
	assert_int_equal(case_create(f->db, &in, 1767225601, &id, num), MD_OK);
	assert_int_equal(db_commit(f->db), MD_OK);
	assert_string_equal(num, "MD-2026-0001");
	assert_int_equal(testdb_int(f->db, "SELECT count(*) FROM cases"), 1);
	assert_int_equal(testdb_int(f->db, "SELECT count(*) FROM case_events"), 0);
}

static void
test_find_and_events(void **state)
{
	struct testdb *f = *state;
	char num[CASE_NUMBER_MAX];
	struct case_record *c;
	struct case_full *full;
	int64_t id, ev;

	id = create(f, "MD", 2026, "企业用工政策咨询", num);
	assert_int_equal(case_find_by_number(f->db, "MD-2026-0001", &c), MD_OK);
	assert_int_equal(c->id, id);
	assert_string_equal(c->number, "MD-2026-0001");
	assert_int_equal(c->year, 2026);
	assert_int_equal(c->seq, 1);
	assert_string_equal(c->subject, "企业用工政策咨询");
	assert_string_equal(c->status, "registered");
	assert_string_equal(c->type, "other");
	assert_null(c->tier);
	assert_string_equal(c->channel, "email");
	assert_int_equal(c->member_id, 0);
	assert_string_equal(c->requester_name, "张三");
	assert_string_equal(c->requester_email, "zhang@qq.com");
	assert_null(c->requester_phone);
	assert_int_equal(c->submitted_at, 1767225600);
	assert_int_equal(c->created_at, 1767225601);
	case_record_free(c);
	assert_int_equal(case_find_by_number(f->db, "MD-2026-0002", &c), MD_ERR_NOTFOUND);
	assert_null(c);
	assert_int_equal(case_get(f->db, id + 1, &c), MD_ERR_NOTFOUND);

	assert_int_equal(case_add_event(f->db, id, 2000, "accepted", "staff@chamber.cn", NULL, 0,
	    &ev), MD_OK);
	assert_int_equal(case_set_status(f->db, id, "accepted", 2000), MD_OK);
	assert_int_equal(case_add_event(f->db, id, 3000, "note", NULL,
	    "{\"text\":\"已电话联系\"}", 0, NULL), MD_OK);
	assert_int_equal(case_add_event(f->db, id + 7, 3000, "note", NULL, NULL, 0, NULL),
	    MD_ERR_NOTFOUND);
	assert_int_equal(case_set_status(f->db, id + 7, "closed", 1), MD_ERR_NOTFOUND);

	assert_int_equal(case_load(f->db, id, &full), MD_OK);
	assert_string_equal(full->c.status, "accepted");
	assert_int_equal(full->c.updated_at, 2000);
	assert_int_equal(full->n_events, 3);
	assert_string_equal(full->events[0].kind, "registered");
	assert_string_equal(full->events[0].actor, "system");
	assert_int_equal(full->events[0].at, 1767225601);
	assert_string_equal(full->events[1].kind, "accepted");
	assert_int_equal(full->events[1].id, ev);
	assert_string_equal(full->events[2].actor, "");
	assert_string_equal(full->events[2].detail, "{\"text\":\"已电话联系\"}");
	assert_int_equal(full->n_messages, 0);
	case_full_free(full);
	assert_int_equal(case_load(f->db, id + 7, &full), MD_ERR_NOTFOUND);
}

static void
test_load_with_messages(void **state)
{
	struct testdb *f = *state;
	struct case_new in = { .prefix = "MD", .year = 2026, .subject = "s",
	    .submitted_at = 10, .actor = "intake" };
	struct message msg = { .subject = "求助", .from_addr = "li@163.com", .from_name = "李四",
	    .date = 9, .text = "请帮忙", .text_len = strlen("请帮忙") };
	struct msgstore_new m1 = { .mailbox = "INBOX", .uidvalidity = 1, .uid = 1, .raw = "r1",
	    .raw_len = 2, .msg = &msg, .received_at = 10 };
	struct msgstore_new m2 = { .raw = "r2", .raw_len = 2, .outgoing = 1, .received_at = 11 };
	struct case_full *full;
	int64_t id, mid, oid;

	/* Intake: message, case and link in one transaction. */
	assert_int_equal(db_begin(f->db), MD_OK);
	assert_int_equal(msgstore_insert(f->db, &m1, &mid), MD_OK);
	in.message_id = mid;
	assert_int_equal(case_create(f->db, &in, 12, &id, NULL), MD_OK);
	assert_int_equal(msgstore_set_case(f->db, mid, id), MD_OK);
	m2.case_id = id;
	assert_int_equal(msgstore_insert(f->db, &m2, &oid), MD_OK);
	assert_int_equal(db_commit(f->db), MD_OK);

	assert_int_equal(case_load(f->db, id, &full), MD_OK);
	assert_int_equal(full->n_messages, 2);
	assert_int_equal(full->messages[0].id, mid);
	assert_string_equal(full->messages[0].direction, "in");
	assert_string_equal(full->messages[0].from_name, "李四");
	assert_string_equal(full->messages[0].text, "请帮忙");
	assert_int_equal(full->messages[0].date, 9);
	assert_int_equal(full->messages[1].id, oid);
	assert_string_equal(full->messages[1].direction, "out");
	assert_null(full->messages[1].from_addr);
	assert_int_equal(full->n_events, 1);
	assert_int_equal(full->events[0].message_id, mid);
	assert_string_equal(full->events[0].actor, "intake");
	case_full_free(full);
}

static void
test_list_filters(void **state)
{
	struct testdb *f = *state;
	struct case_filter filt = { 0 };
	struct case_record *v;
	char num[CASE_NUMBER_MAX];
	int64_t a;
	size_t n;

	assert_int_equal(case_list(f->db, NULL, &v, &n), MD_OK);
	assert_int_equal(n, 0);
	assert_null(v);
	a = create(f, "MD", 2026, "a", num);
	create(f, "MD", 2026, "b", num);
	create(f, "MD", 2027, "c", num);
	assert_int_equal(case_set_status(f->db, a, "closed", 5), MD_OK);

	assert_int_equal(case_list(f->db, NULL, &v, &n), MD_OK);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].number, "MD-2027-0001");
	assert_string_equal(v[1].number, "MD-2026-0002");
	assert_string_equal(v[2].number, "MD-2026-0001");
	case_list_free(v, n);

	filt.year = 2026;
	assert_int_equal(case_list(f->db, &filt, &v, &n), MD_OK);
	assert_int_equal(n, 2);
	case_list_free(v, n);
	filt.status = "registered";
	assert_int_equal(case_list(f->db, &filt, &v, &n), MD_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].number, "MD-2026-0002");
	case_list_free(v, n);
	filt.year = 0;
	filt.status = NULL;
	filt.limit = 2;
	assert_int_equal(case_list(f->db, &filt, &v, &n), MD_OK);
	assert_int_equal(n, 2);
	assert_string_equal(v[1].number, "MD-2026-0002");
	case_list_free(v, n);
}

/* What case_list_each() handed over, copied, and when to stop. */
struct seen {
	char numbers[8][CASE_NUMBER_MAX];
	char tiers[8][16];
	size_t n;
	size_t stop_after;
};

static enum md_err
remember(const struct case_record *c, void *arg)
{
	struct seen *s = arg;

	if (s->stop_after && s->n == s->stop_after)
		return MD_ERR_LIMIT;
	assert_true(s->n < 8);
	assert_null(c->text);
	assert_non_null(c->subject);
	assert_non_null(c->requester_name);
	snprintf(s->numbers[s->n], sizeof(s->numbers[0]), "%s", c->number);
	snprintf(s->tiers[s->n], sizeof(s->tiers[0]), "%s", c->tier ? c->tier : "(null)");
	s->n++;
	return MD_OK;
}

/* case_list_each() lists what case_list() does, in order, and stops when told. */
static void
test_list_each(void **state)
{
	struct testdb *f = *state;
	struct case_filter filt = { 0 };
	struct case_record *v;
	struct seen seen;
	char num[CASE_NUMBER_MAX];
	int64_t a, b, c;
	size_t n, i;

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(case_list_each(f->db, NULL, remember, &seen), MD_OK);
	assert_int_equal(seen.n, 0);
	a = create(f, "MD", 2026, "a", num);
	b = create(f, "MD", 2026, "b", num);
	c = create(f, "MD", 2026, "c", num);
	create(f, "MD", 2026, "d", num);
	assert_int_equal(case_set_text(f->db, b, "tier", "simple", 5), MD_OK);
	/* Overdue: a past its review, b past its handling deadline; c not yet due. */
	assert_int_equal(case_set_time(f->db, a, "review_due", 100, 5), MD_OK);
	assert_int_equal(case_set_status(f->db, b, "handling", 5), MD_OK);
	assert_int_equal(case_set_time(f->db, b, "handling_due", 100, 5), MD_OK);
	assert_int_equal(case_set_time(f->db, c, "review_due", 1000, 5), MD_OK);

	filt.overdue_at = 500;
	assert_int_equal(case_list(f->db, &filt, &v, &n), MD_OK);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(case_list_each(f->db, &filt, remember, &seen), MD_OK);
	assert_int_equal(seen.n, 2);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++)
		assert_string_equal(seen.numbers[i], v[i].number);
	assert_string_equal(seen.numbers[0], "MD-2026-0002");
	assert_string_equal(seen.tiers[0], "simple");
	assert_string_equal(seen.tiers[1], "(null)");
	case_list_free(v, n);

	memset(&filt, 0, sizeof(filt));
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(case_list_each(f->db, NULL, remember, &seen), MD_OK);
	assert_int_equal(seen.n, 4);
	assert_string_equal(seen.numbers[0], "MD-2026-0004");
	assert_string_equal(seen.numbers[3], "MD-2026-0001");
	filt.limit = 3;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(case_list_each(f->db, &filt, remember, &seen), MD_OK);
	assert_int_equal(seen.n, 3);
	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 1;
	assert_int_equal(case_list_each(f->db, NULL, remember, &seen), MD_ERR_LIMIT);
	assert_int_equal(seen.n, 1);
}

/* Run a cli_* command with stdout sent to a temporary file; returns what it printed. */
static char *
capture(int (*fn)(int, char **, const struct md_config *), int argc, char **argv,
    const struct md_config *cfg, int *status)
{
	FILE *tmp = tmpfile();
	char *out;
	long len;
	int saved;

	assert_non_null(tmp);
	fflush(stdout);
	saved = dup(1);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), 1) >= 0);
	*status = fn(argc, argv, cfg);
	fflush(stdout);
	assert_true(dup2(saved, 1) >= 0);
	close(saved);
	len = lseek(fileno(tmp), 0, SEEK_END);
	assert_true(len >= 0);
	out = calloc(1, (size_t)len + 1);
	assert_non_null(out);
	assert_int_equal(pread(fileno(tmp), out, (size_t)len, 0), len);
	fclose(tmp);
	return out;
}

static void
test_width_and_sanitize(void **state)
{
	char *s;

	(void)state;
	assert_int_equal(cli_display_width("abc"), 3);
	assert_int_equal(cli_display_width("商会abc"), 7);
	assert_int_equal(cli_display_width("（全角）"), 8);
	assert_int_equal(cli_display_width("e\xcc\x81"), 1);   /* e + combining acute */
	assert_int_equal(cli_display_width("한국"), 4);
	s = cli_sanitize("a\x1b[2Jb\r\nc\td\xff\xe2\x80\xae", 0);
	assert_string_equal(s, "a\xef\xbf\xbd[2Jb c d\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
	s = cli_sanitize("第一行\r\n第二行\x07", 1);
	assert_string_equal(s, "第一行\n第二行\xef\xbf\xbd");
	free(s);
}

static void
test_cli_list_and_show(void **state)
{
	struct testdb *f = *state;
	struct md_config cfg = { 0 };
	struct case_new in = {
		.prefix = "MD", .year = 2026, .subject = "关于社保补贴的咨询",
		.text = "您好\n\x1b[31m请问", .type = "policy", .requester_name = "李四",
		.requester_unit = "华兴公司", .submitted_at = 1767225600,  /* 2026-01-01 00:00 UTC */
	};
	char *list_argv[] = { "case", "list", NULL };
	char *year_argv[] = { "case", "list", "--year", "2025", NULL };
	char *bad_argv[] = { "case", "list", "--limit", "12x", NULL };
	char *show_argv[] = { "case", "show", "MD-2026-0001", NULL };
	char *missing_argv[] = { "case", "show", "MD-2026-0099", NULL };
	char *out, *line2;
	int status;

	assert_int_equal(db_begin(f->db), MD_OK);
	assert_int_equal(case_create(f->db, &in, 1767225601, NULL, NULL), MD_OK);
	in.subject = "Export licence";
	in.requester_name = "Bob";
	in.requester_unit = "";
	in.type = NULL;
	in.submitted_at = 1767312000;
	assert_int_equal(case_create(f->db, &in, 1767312001, NULL, NULL), MD_OK);
	assert_int_equal(db_commit(f->db), MD_OK);

	cfg.database = f->path;
	cfg.timezone = "Asia/Shanghai";
	cfg.language = "zh";
	out = capture(cli_case, 2, list_argv, &cfg, &status);
	assert_int_equal(status, 0);
	/* Columns line up by display width: Chinese cells take two columns per character. */
	assert_string_equal(out,
	    "编号          状态    类型      级别  提交时间          诉求人           主题\n"
	    "MD-2026-0002  已登记  其他      -     2026-01-02 08:00  Bob              Export licence\n"
	    "MD-2026-0001  已登记  政策咨询  -     2026-01-01 08:00  李四 (华兴公司)  关于社保补贴的咨询\n");
	free(out);

	cfg.language = "en";
	out = capture(cli_case, 4, year_argv, &cfg, &status);
	assert_int_equal(status, 0);
	assert_string_equal(out, "NUMBER  STATUS  TYPE  TIER  SUBMITTED  REQUESTER  SUBJECT\n");
	free(out);
	out = capture(cli_case, 4, bad_argv, &cfg, &status);
	assert_int_equal(status, 2);
	free(out);

	cfg.language = "zh";
	out = capture(cli_case, 3, show_argv, &cfg, &status);
	assert_int_equal(status, 0);
	assert_non_null(strstr(out, "编号          MD-2026-0001\n"));
	assert_non_null(strstr(out, "提交时间      2026-01-01 08:00\n"));
	assert_non_null(strstr(out, "    您好\n    \xef\xbf\xbd[31m请问\n"));
	assert_null(strchr(out, '\x1b'));
	line2 = strstr(out, "处理记录 (1)\n2026-01-01 08:00  已登记  system\n");
	assert_non_null(line2);
	free(out);

	out = capture(cli_case, 3, missing_argv, &cfg, &status);
	assert_int_equal(status, 1);
	assert_string_equal(out, "");
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_number_format),
		cmocka_unit_test_setup_teardown(test_per_year_numbering, testdb_state_setup, testdb_state_teardown),
		cmocka_unit_test_setup_teardown(test_create_without_event, testdb_state_setup,
		    testdb_state_teardown),
		cmocka_unit_test_setup_teardown(test_find_and_events, testdb_state_setup, testdb_state_teardown),
		cmocka_unit_test_setup_teardown(test_load_with_messages, testdb_state_setup, testdb_state_teardown),
		cmocka_unit_test_setup_teardown(test_list_filters, testdb_state_setup, testdb_state_teardown),
		cmocka_unit_test_setup_teardown(test_list_each, testdb_state_setup, testdb_state_teardown),
		cmocka_unit_test(test_width_and_sanitize),
		cmocka_unit_test_setup_teardown(test_cli_list_and_show, testdb_state_setup, testdb_state_teardown),
	};

	log_init("test_case", 1, LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
