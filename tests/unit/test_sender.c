/*
 * The sender empties the outbox into a real SMTP server on 127.0.0.1
 * (tests/unit/smtp_sink.py): accepted notices are marked sent, a refused
 * recipient fails for good and is recorded on its case while the others
 * go on, and an unreachable server leaves everything queued with backoff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "case.h"
#include "notify.h"
#include "outbox.h"
#include "sender.h"
#include "staffauth.h"
#include "testenv.h"

static int
queue(struct testenv *env, int64_t case_id, const char *rcpt, int n)
{
	struct outbox_new ob;
	char msgid[64], data[256];

	snprintf(msgid, sizeof(msgid), "n%d@chamber.test", n);
	snprintf(data, sizeof(data),
	    "From: chamber@chamber.test\r\nTo: %s\r\nSubject: notice %d\r\n"
	    "Message-ID: <%s>\r\n\r\nbody %d\r\n", rcpt, n, msgid, n);
	memset(&ob, 0, sizeof(ob));
	ob.case_id = case_id;
	ob.kind = "ack";
	ob.message_id = msgid;
	ob.mail_from = "chamber@chamber.test";
	ob.rcpt = rcpt;
	ob.data = data;
	ob.len = strlen(data);
	if (db_begin(env->db) || outbox_queue(env->db, &ob, time(NULL) - 10, NULL) ||
	    db_commit(env->db))
		return -1;
	return 0;
}

static void
test_backoff_doubles_up_to_the_cap(void **state)
{
	(void)state;
	assert_int_equal(sender_backoff(0, 3600), 30);
	assert_int_equal(sender_backoff(1, 3600), 60);
	assert_int_equal(sender_backoff(4, 3600), 480);
	assert_int_equal(sender_backoff(20, 3600), 3600);
	assert_int_equal(sender_backoff(3, 100), 100);
}

/* State for tests with a sink, so that a failed assertion still stops it. */
struct fixture {
	struct testenv env;
	struct test_sink sink;
	struct sender *s;
};

static int
sink_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || testenv_setup(&f->env, 1, NULL) != 0 ||
	    test_sink_start(&f->env, &f->sink) != 0)
		return -1;
	f->env.cfg->smtp.port = f->sink.port;
	*state = f;
	return 0;
}

static int
sink_teardown(void **state)
{
	struct fixture *f = *state;

	sender_free(f->s);
	test_sink_stop(&f->sink);
	testenv_teardown(&f->env);
	free(f);
	return 0;
}

static void
test_sent_refused_and_others_continue(void **state)
{
	struct fixture *f = *state;
	struct testenv *env = &f->env;
	struct sender_stats stats;
	int64_t case_id;

	case_id = testenv_case(env, "s", NULL);
	assert_true(case_id > 0);
	assert_int_equal(queue(env, case_id, "alice@members.test", 1), 0);
	assert_int_equal(queue(env, case_id, "reject-me@members.test", 2), 0);
	assert_int_equal(queue(env, case_id, "bob@members.test", 3), 0);

	assert_int_equal(sender_new(env->cfg, env->db, &f->s), MD_OK);
	assert_int_equal(sender_flush(f->s, NULL, &stats), MD_OK);
	/* Two notices and the secretariat's alert about the refused one. */
	assert_int_equal(stats.sent, 3);
	assert_int_equal(stats.failed, 1);
	assert_int_equal(stats.retried, 0);
	assert_int_equal(test_sink_count(&f->sink), 3);
	assert_int_equal(testenv_count(env,
	    "SELECT count(*) FROM outbox WHERE status = 'sent' AND kind = 'ack'"), 2);
	assert_int_equal(testenv_count(env,
	    "SELECT count(*) FROM outbox WHERE status = 'failed' AND rcpt = 'reject-me@members.test' "
	    "AND last_error LIKE '%550%'"), 1);
	assert_int_equal(testenv_count(env,
	    "SELECT count(*) FROM case_events WHERE kind = 'notice-failed' "
	    "AND detail LIKE '%reject-me@members.test%'"), 1);
	assert_int_equal(testenv_count(env,
	    "SELECT count(*) FROM outbox WHERE kind = 'delivery_alert' AND status = 'sent' "
	    "AND rcpt = 'staff1@chamber.test' AND case_id IS NOT NULL"), 1);
	assert_int_equal(testenv_count(env,
	    "SELECT count(*) FROM outbox WHERE kind = 'delivery_alert' "
	    "AND rcpt = 'leader1@chamber.test'"), 0);

	/* Nothing is sent twice. */
	assert_int_equal(sender_flush(f->s, NULL, &stats), MD_OK);
	assert_int_equal(stats.sent + stats.failed + stats.retried, 0);
	assert_int_equal(test_sink_count(&f->sink), 3);
	/* Marks are written without a sync; every other commit is synced again. */
	assert_int_equal(testenv_count(env, "PRAGMA synchronous"), 2);
}

static void
test_more_than_a_batch_in_one_flush(void **state)
{
	struct fixture *f = *state;
	struct testenv *env = &f->env;
	struct sender_stats stats;
	char rcpt[64];
	int i;

	/* One notice per address: the rate limits stay out of the way. */
	for (i = 0; i < 600; i++) {
		snprintf(rcpt, sizeof(rcpt), "m%d@members.test", i);
		assert_int_equal(queue(env, 0, rcpt, i), 0);
	}
	assert_int_equal(sender_new(env->cfg, env->db, &f->s), MD_OK);
	assert_int_equal(sender_flush(f->s, NULL, &stats), MD_OK);
	assert_int_equal(stats.sent, 600);
	assert_int_equal(test_sink_count(&f->sink), 600);
	assert_int_equal(testenv_count(env,
	    "SELECT count(*) FROM outbox WHERE status = 'sent' AND attempts = 1"), 600);
	assert_int_equal(testenv_count(env, "PRAGMA synchronous"), 2);
}

static void
test_unreachable_server_defers_with_backoff(void **state)
{
	struct testenv env;
	struct sender *s = NULL;
	struct sender_stats stats;
	time_t before = time(NULL);

	(void)state;
	assert_int_equal(testenv_setup(&env, 0, NULL), 0);
	assert_int_equal(queue(&env, 0, "alice@members.test", 1), 0);
	assert_int_equal(queue(&env, 0, "bob@members.test", 2), 0);
	assert_int_equal(sender_new(env.cfg, env.db, &s), MD_OK);
	assert_int_equal(sender_flush(s, NULL, &stats), MD_ERR_TEMP);
	/* The round stops at the first sign that the server is away. */
	assert_int_equal(stats.retried, 1);
	assert_int_equal(testenv_count(&env,
	    "SELECT count(*) FROM outbox WHERE status = 'queued'"), 2);
	assert_int_equal(testenv_count(&env, "PRAGMA synchronous"), 2);
	assert_true(testenv_count(&env,
	    "SELECT min(next_attempt_at) FROM outbox WHERE attempts = 1") >= (long long)before + 30);
	sender_free(s);
	testenv_teardown(&env);
}

static void
test_too_many_attempts_fail_for_good(void **state)
{
	struct testenv env;
	struct sender *s = NULL;
	struct sender_stats stats;

	(void)state;
	assert_int_equal(testenv_setup(&env, 0, "outbox { max_attempts = 1 }"), 0);
	assert_int_equal(queue(&env, 0, "alice@members.test", 1), 0);
	assert_int_equal(sender_new(env.cfg, env.db, &s), MD_OK);
	assert_int_equal(sender_flush(s, NULL, &stats), MD_OK);
	/* The notice, and the alert about it, which fails too and alerts no one. */
	assert_int_equal(stats.failed, 2);
	assert_int_equal(testenv_count(&env,
	    "SELECT count(*) FROM outbox WHERE status = 'failed' AND kind = 'ack'"), 1);
	assert_int_equal(testenv_count(&env,
	    "SELECT count(*) FROM outbox WHERE status = 'failed' AND kind = 'delivery_alert'"), 1);
	assert_int_equal(testenv_count(&env, "SELECT count(*) FROM outbox"), 2);
	sender_free(s);
	testenv_teardown(&env);
}

/* What the sink received as DIR/NNNNNN.eml (n from 1), malloc'ed; *len its size. */
static char *
sink_message(const struct test_sink *sink, int n, size_t *len)
{
	char path[600], *p;
	FILE *fp;
	long size;

	snprintf(path, sizeof(path), "%s/%06d.eml", sink->dir, n);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	size = ftell(fp);
	assert_true(size > 0);
	rewind(fp);
	p = malloc((size_t)size);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)size, fp), (size_t)size);
	fclose(fp);
	*len = (size_t)size;
	return p;
}

/*
 * A case notice keeps its bytes only as the case's message and is sent from
 * there; a row queued with its own bytes (before schema 6, or without a
 * case) is sent from the outbox as before.
 */
static void
test_notice_sent_from_its_message(void **state)
{
	struct fixture *f = *state;
	struct testenv *env = &f->env;
	struct template_var v[] = { { "subject", "税收咨询" }, { "case_tag", "[MD-2026-0001]" } };
	struct notify_request rq;
	struct sender_stats stats;
	sqlite3_stmt *st;
	int64_t case_id;
	char *got;
	size_t len;

	case_id = testenv_case(env, "s", NULL);
	assert_true(case_id > 0);
	memset(&rq, 0, sizeof(rq));
	rq.case_id = case_id;
	rq.kind = "ack";
	rq.template_name = "ack";
	rq.vars = v;
	rq.nvars = 2;
	rq.to_addr = "alice@members.test";
	rq.auto_submitted = NOTICE_AUTO_REPLIED;
	assert_int_equal(db_begin(env->db), MD_OK);
	assert_int_equal(notify_queue(env->cfg, env->db, &rq, time(NULL) - 20, NULL), MD_OK);
	assert_int_equal(db_commit(env->db), MD_OK);
	assert_int_equal(queue(env, case_id, "bob@members.test", 1), 0);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox"
	    " WHERE message_row IS NOT NULL AND length(data) = 0"), 1);

	assert_int_equal(sender_new(env->cfg, env->db, &f->s), MD_OK);
	assert_int_equal(sender_flush(f->s, NULL, &stats), MD_OK);
	assert_int_equal(stats.sent, 2);
	assert_int_equal(test_sink_count(&f->sink), 2);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox WHERE status = 'sent'"), 2);
	/* Oldest first: the case notice, byte for byte the message kept with the case. */
	got = sink_message(&f->sink, 1, &len);
	assert_int_equal(sqlite3_prepare_v2(db_handle(env->db), "SELECT raw FROM messages"
	    " WHERE direction = 'out' AND case_id = ?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, case_id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(len, (size_t)sqlite3_column_bytes(st, 0));
	assert_memory_equal(got, sqlite3_column_blob(st, 0), len);
	sqlite3_finalize(st);
	free(got);
	got = sink_message(&f->sink, 2, &len);
	assert_non_null(memmem(got, len, "Subject: notice 1\r\n", 19));
	free(got);
}

/* A reload (sender_reconfigure()) is when a replaced reply-token secret counts. */
static void
test_reconfigure_reads_the_secret_again(void **state)
{
	struct testenv env;
	struct sender *s = NULL;
	char path[600], t1[STAFFAUTH_TOKEN_LEN + 1], t2[STAFFAUTH_TOKEN_LEN + 1];
	FILE *fp;

	(void)state;
	assert_int_equal(testenv_setup(&env, 0, NULL), 0);
	assert_int_equal(sender_new(env.cfg, env.db, &s), MD_OK);
	assert_int_equal(staffauth_token(env.cfg, "staff1@chamber.test", "MD-2026-0001", t1),
	    MD_OK);
	snprintf(path, sizeof(path), "%s/%s", env.dir, STAFFAUTH_SECRET_NAME);
	assert_non_null(fp = fopen(path, "w"));
	fputs("0123456789abcdef0123456789abcdef\n", fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(staffauth_token(env.cfg, "staff1@chamber.test", "MD-2026-0001", t2),
	    MD_OK);
	assert_string_equal(t1, t2);
	assert_int_equal(sender_reconfigure(s, env.cfg), MD_OK);
	assert_int_equal(staffauth_token(env.cfg, "staff1@chamber.test", "MD-2026-0001", t2),
	    MD_OK);
	assert_string_not_equal(t1, t2);
	sender_free(s);
	staffauth_forget_secret();
	testenv_teardown(&env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_doubles_up_to_the_cap),
		cmocka_unit_test_setup_teardown(test_sent_refused_and_others_continue, sink_setup,
		    sink_teardown),
		cmocka_unit_test_setup_teardown(test_more_than_a_batch_in_one_flush, sink_setup,
		    sink_teardown),
		cmocka_unit_test_setup_teardown(test_notice_sent_from_its_message, sink_setup,
		    sink_teardown),
		cmocka_unit_test(test_unreachable_server_defers_with_backoff),
		cmocka_unit_test(test_too_many_attempts_fail_for_good),
		cmocka_unit_test(test_reconfigure_reads_the_secret_again),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
