/*
 * Rate limits: which notices count, when a held notice fits again, that a
 * held notice waits without losing an attempt, that the secretariat hears
 * of it once a day, and, through sender_flush() into a real SMTP sink,
 * that only the allowance goes out and the rest follows later.
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

#include <sqlite3.h>

#include "case.h"
#include "outbox.h"
#include "ratelimit.h"
#include "sender.h"
#include "testenv.h"

#define LIMITS "rate_limits { per_recipient_hour = 3 per_case_day = 5 }\n"

static int serial;

/* Queue a notice (due at once); sent_at nonzero marks it sent then. */
static int64_t
notice(struct testenv *env, int64_t case_id, const char *kind, const char *rcpt,
    time_t sent_at)
{
	struct outbox_new ob;
	char msgid[64], data[256];
	time_t now = time(NULL);
	int64_t id = 0;

	snprintf(msgid, sizeof(msgid), "n%d@chamber.test", ++serial);
	snprintf(data, sizeof(data),
	    "From: chamber@chamber.test\r\nTo: %s\r\nSubject: notice %d\r\n"
	    "Message-ID: <%s>\r\n\r\nbody\r\n", rcpt, serial, msgid);
	memset(&ob, 0, sizeof(ob));
	ob.case_id = case_id;
	ob.kind = kind;
	ob.message_id = msgid;
	ob.mail_from = "chamber@chamber.test";
	ob.rcpt = rcpt;
	ob.data = data;
	ob.len = strlen(data);
	if (db_begin(env->db) || outbox_queue(env->db, &ob, (sent_at ? sent_at : now) - 5, &id))
		goto fail;
	if (sent_at && outbox_mark_sent(env->db, id, sent_at))
		goto fail;
	if (db_commit(env->db))
		goto fail;
	return id;
fail:
	db_rollback(env->db);
	return 0;
}

static struct outbox_item *
item(struct testenv *env, int64_t id)
{
	struct outbox_item *it = NULL;
	char sql[256];

	/* Make exactly this item the one due first. */
	snprintf(sql, sizeof(sql), "UPDATE outbox SET next_attempt_at = CASE WHEN id = %lld"
	    " THEN 0 ELSE %lld END WHERE status = 'queued'", (long long)id,
	    (long long)time(NULL) + 1000000);
	assert_int_equal(db_exec(env->db, sql), MD_OK);
	assert_int_equal(outbox_next_due(env->db, time(NULL), &it), MD_OK);
	assert_int_equal(it->id, id);
	return it;
}

static enum ratelimit_rule
check(struct testenv *env, int64_t id, time_t *fits_at)
{
	struct outbox_item *it = item(env, id);
	struct ratelimit_verdict v;

	assert_int_equal(ratelimit_check(env->cfg, env->db, it, time(NULL), &v), MD_OK);
	outbox_item_free(it);
	if (fits_at)
		*fits_at = v.fits_at;
	return v.rule;
}

static int
setup_with(void **state, int port)
{
	struct testenv *env = calloc(1, sizeof(*env));

	serial = 0;
	if (env == NULL || testenv_setup(env, port, LIMITS) != 0)
		return -1;
	*state = env;
	return 0;
}

static int
setup(void **state)
{
	return setup_with(state, 0);
}

static int
teardown(void **state)
{
	struct testenv *env = *state;

	testenv_teardown(env);
	free(env);
	return 0;
}

/* A case of alice@members.test. */
static int64_t
make_case(struct testenv *env)
{
	return testenv_case(env, "咨询", "alice@members.test");
}

static void
test_recipient_hour(void **state)
{
	struct testenv *env = *state;
	time_t now = time(NULL), at = 0;
	int64_t c = make_case(env), c2 = make_case(env), q;

	/* Two in the hour, one older: the third fits. */
	notice(env, c, "ack", "alice@members.test", now - 4000);
	notice(env, c, "accepted", "alice@members.test", now - 3000);
	notice(env, c2, "progress", "alice@members.test", now - 1000);
	q = notice(env, c2, "result", "alice@members.test", 0);
	assert_int_equal(check(env, q, &at), RATELIMIT_NONE);
	assert_int_equal(at, 0);
	/* Three in the hour (any case): the fourth waits for the oldest to age out. */
	notice(env, c, "progress", "alice@members.test", now - 10);
	assert_int_equal(check(env, q, &at), RATELIMIT_RECIPIENT_HOUR);
	assert_true(at >= now - 3000 + 3600 && at <= now - 3000 + 3602);
	/* Another member is not affected. */
	q = notice(env, c, "ack", "bob@members.test", 0);
	assert_int_equal(check(env, q, NULL), RATELIMIT_NONE);
	assert_string_equal(ratelimit_rule_name(RATELIMIT_RECIPIENT_HOUR), "recipient-hour");
}

static void
test_case_day_per_address(void **state)
{
	struct testenv *env = *state;
	time_t now = time(NULL), at = 0;
	int64_t c = make_case(env), other = make_case(env), q;
	int i;

	/* Five about one case over the day, never three in one hour. */
	for (i = 0; i < 5; i++)
		notice(env, c, "progress", "alice@members.test", now - 80000 + i * 16000);
	q = notice(env, c, "progress", "alice@members.test", 0);
	assert_int_equal(check(env, q, &at), RATELIMIT_CASE_DAY);
	assert_true(at >= now - 80000 + 86400 && at <= now - 80000 + 86402);
	/* Another case to the same member still goes. */
	q = notice(env, other, "ack", "alice@members.test", 0);
	assert_int_equal(check(env, q, NULL), RATELIMIT_NONE);
	/* Another member of the same (joint) case keeps their own allowance. */
	q = notice(env, c, "progress", "carol@members.test", 0);
	assert_int_equal(check(env, q, NULL), RATELIMIT_NONE);
}

static void
test_reply_neither_counted_nor_held(void **state)
{
	struct testenv *env = *state;
	time_t now = time(NULL);
	int64_t c = make_case(env), q;
	int i;

	for (i = 0; i < 5; i++)
		notice(env, c, "reply", "alice@members.test", now - 100 - i);
	/* Five staff replies do not use up the automatic allowance... */
	q = notice(env, c, "ack", "alice@members.test", 0);
	assert_int_equal(check(env, q, NULL), RATELIMIT_NONE);
	/* ...and a relayed reply is never held, even past the limit. */
	for (i = 0; i < 3; i++)
		notice(env, c, "progress", "alice@members.test", now - 50 - i);
	assert_int_equal(check(env, q, NULL), RATELIMIT_RECIPIENT_HOUR);
	q = notice(env, c, "reply", "alice@members.test", 0);
	assert_int_equal(check(env, q, NULL), RATELIMIT_NONE);
}

static void
test_staff_have_their_own_cap(void **state)
{
	struct testenv *env = *state;
	time_t now = time(NULL);
	int64_t c = make_case(env), q;
	int i;

	/* Far past the member limit of 3: staff alerts still go... */
	for (i = 0; i < RATELIMIT_STAFF_PER_HOUR - 1; i++)
		notice(env, c, "staff_new_case", "staff1@chamber.test", now - 3000 + i);
	q = notice(env, c, "staff_new_case", "staff1@chamber.test", 0);
	assert_int_equal(check(env, q, NULL), RATELIMIT_NONE);
	/* ...up to their own cap. */
	notice(env, c, "command_transcript", "staff1@chamber.test", now - 5);
	assert_int_equal(check(env, q, NULL), RATELIMIT_STAFF_HOUR);
}

static void
test_only_sent_notices_count(void **state)
{
	struct testenv *env = *state;
	int64_t c = make_case(env), q = 0;
	int i;

	/* Queued and failed notices never reached the member. */
	for (i = 0; i < 4; i++)
		q = notice(env, c, "ack", "alice@members.test", 0);
	assert_int_equal(db_begin(env->db), MD_OK);
	assert_int_equal(outbox_mark_failed(env->db, 1, "550 no"), MD_OK);
	assert_int_equal(db_commit(env->db), MD_OK);
	assert_int_equal(check(env, q, NULL), RATELIMIT_NONE);
}

static void
test_hold_waits_and_tells_once(void **state)
{
	struct testenv *env = *state;
	struct outbox_item *it;
	struct ratelimit_verdict v;
	time_t now = time(NULL);
	int64_t c = make_case(env), q1, q2;
	int i;

	for (i = 0; i < 3; i++)
		notice(env, c, "progress", "alice@members.test", now - 600 + i);
	q1 = notice(env, c, "result", "alice@members.test", 0);
	q2 = notice(env, c, "closed", "alice@members.test", 0);

	it = item(env, q1);
	assert_int_equal(ratelimit_hold_if_needed(env->cfg, env->db, it, now, &v), MD_ERR_LIMIT);
	outbox_item_free(it);
	assert_int_equal(v.rule, RATELIMIT_RECIPIENT_HOUR);
	assert_int_equal(v.limit, 3);
	/* Waiting costs no attempt and keeps the notice queued. */
	assert_int_equal(testenv_count(env, "SELECT attempts FROM outbox WHERE id = 4"), 0);
	assert_int_equal(testenv_count(env, "SELECT next_attempt_at FROM outbox WHERE id = 4"),
	    v.fits_at);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox WHERE id = 4"
	    " AND status = 'queued'"), 1);
	/* The secretariat (not leadership) is told, on the case. */
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox WHERE kind ="
	    " 'rate_alert'"), 1);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox WHERE kind ="
	    " 'rate_alert' AND rcpt = 'staff1@chamber.test' AND case_id = 1"), 1);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM case_events WHERE kind ="
	    " 'rate-limited' AND json_extract(detail, '$.alerted') = 1"
	    " AND json_extract(detail, '$.address') = 'alice@members.test'"), 1);

	/* A second held notice for the same member: held, but no second alert. */
	it = item(env, q2);
	assert_int_equal(ratelimit_hold_if_needed(env->cfg, env->db, it, now, &v), MD_ERR_LIMIT);
	outbox_item_free(it);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox WHERE kind ="
	    " 'rate_alert'"), 1);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM case_events WHERE kind ="
	    " 'rate-limited'"), 2);

	/* The alert itself is exempt from the member limit. */
	it = item(env, testenv_count(env, "SELECT id FROM outbox WHERE kind = 'rate_alert'"));
	assert_int_equal(ratelimit_hold_if_needed(env->cfg, env->db, it, now, &v), MD_OK);
	outbox_item_free(it);
	assert_int_equal(v.rule, RATELIMIT_NONE);

	/* Inside someone else's transaction the hook refuses. */
	it = item(env, q2);
	assert_int_equal(db_begin(env->db), MD_OK);
	assert_int_equal(ratelimit_hold_if_needed(env->cfg, env->db, it, now, NULL),
	    MD_ERR_STATE);
	assert_int_equal(db_rollback(env->db), MD_OK);
	outbox_item_free(it);
}

static void
test_sender_sends_the_allowance_then_the_rest(void **state)
{
	struct testenv env;
	struct test_sink sink;
	struct sender *s = NULL;
	struct sender_stats st;
	int64_t c;
	int i;

	(void)state;
	serial = 0;
	assert_int_equal(testenv_setup(&env, 1, LIMITS), 0);
	assert_int_equal(test_sink_start(&env, &sink), 0);
	env.cfg->smtp.port = sink.port;
	c = make_case(&env);
	for (i = 0; i < 5; i++)
		notice(&env, c, "progress", "alice@members.test", 0);
	assert_int_equal(sender_new(env.cfg, env.db, &s), MD_OK);
	assert_int_equal(sender_flush(s, NULL, &st), MD_OK);
	/* Three to the member, one alert to the secretariat; two wait. */
	assert_int_equal(st.sent, 4);
	assert_int_equal(test_sink_count(&sink), 4);
	assert_int_equal(testenv_count(&env, "SELECT count(*) FROM outbox WHERE status = 'sent'"
	    " AND rcpt = 'alice@members.test'"), 3);
	assert_int_equal(testenv_count(&env, "SELECT count(*) FROM outbox WHERE status = 'sent'"
	    " AND kind = 'rate_alert' AND rcpt = 'staff1@chamber.test'"), 1);
	assert_int_equal(testenv_count(&env, "SELECT count(*) FROM outbox WHERE status ="
	    " 'queued' AND attempts = 0 AND next_attempt_at > strftime('%s', 'now') + 3000"), 2);
	/* Flushing again sends nothing early. */
	assert_int_equal(sender_flush(s, NULL, &st), MD_OK);
	assert_int_equal(st.sent, 0);

	/* An hour later the rest goes, without another alert. */
	assert_int_equal(db_exec(env.db, "UPDATE outbox SET sent_at = sent_at - 3700,"
	    " next_attempt_at = next_attempt_at - 3700"), MD_OK);
	assert_int_equal(sender_flush(s, NULL, &st), MD_OK);
	assert_int_equal(st.sent, 2);
	assert_int_equal(test_sink_count(&sink), 6);
	assert_int_equal(testenv_count(&env, "SELECT count(*) FROM outbox WHERE kind ="
	    " 'rate_alert'"), 1);
	assert_int_equal(testenv_count(&env, "SELECT count(*) FROM outbox WHERE status ="
	    " 'queued'"), 0);
	sender_free(s);
	test_sink_stop(&sink);
	testenv_teardown(&env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_recipient_hour, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_day_per_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_neither_counted_nor_held, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_staff_have_their_own_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_sent_notices_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_waits_and_tells_once, setup, teardown),
		cmocka_unit_test(test_sender_sends_the_allowance_then_the_rest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
