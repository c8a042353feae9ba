/*
 * Bounces go through intake_message() as they would from the mailbox and
 * must end up linked to the notice they report on: by the returned
 * Message-ID, else by the failed recipient's most recent notice. The case
 * gets a member-unreachable event, every secretariat member (and nobody
 * else) one bounce_alert; delay-only reports, repeated bounces, bounces of
 * our own alerts and unlinkable bounces alert nobody and lose nothing.
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

#include "bounce.h"
#include "case.h"
#include "intake.h"
#include "outbox.h"
#include "testenv.h"

static uint32_t next_uid = 1;

/* A notice about case_id to rcpt, sent at sent_at. Returns its outbox id. */
static int64_t
sent_notice(struct testenv *env, int64_t case_id, const char *kind, const char *rcpt,
    const char *msgid, time_t sent_at)
{
	struct outbox_new ob;
	char data[512];
	int64_t id = 0;

	snprintf(data, sizeof(data),
	    "From: chamber@chamber.test\r\nTo: %s\r\nSubject: notice\r\n"
	    "Message-ID: <%s>\r\n\r\nbody\r\n", rcpt, msgid);
	memset(&ob, 0, sizeof(ob));
	ob.case_id = case_id;
	ob.kind = kind;
	ob.message_id = msgid;
	ob.mail_from = "chamber@chamber.test";
	ob.rcpt = rcpt;
	ob.data = data;
	ob.len = strlen(data);
	if (db_begin(env->db) || outbox_queue(env->db, &ob, sent_at - 5, &id) ||
	    outbox_mark_sent(env->db, id, sent_at) || db_commit(env->db))
		return 0;
	return id;
}

/* A DSN in the Postfix style; orig_msgid NULL leaves the returned headers out. */
static char *
dsn(const char *rcpt, const char *orig_msgid, const char *action, const char *status)
{
	char *s = NULL;
	int n;

	n = asprintf(&s,
	    "Return-Path: <>\r\n"
	    "From: Mail Delivery System <MAILER-DAEMON@mx.members.test>\r\n"
	    "To: chamber@chamber.test\r\n"
	    "Subject: Undelivered Mail Returned to Sender\r\n"
	    "Message-ID: <dsn-%u@mx.members.test>\r\n"
	    "Auto-Submitted: auto-replied\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B1\"\r\n"
	    "\r\n"
	    "--B1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
	    "Your message could not be delivered to %s.\r\n\r\n"
	    "--B1\r\nContent-Type: message/delivery-status\r\n\r\n"
	    "Reporting-MTA: dns; mx.members.test\r\n\r\n"
	    "Final-Recipient: rfc822; %s\r\nAction: %s\r\nStatus: %s\r\n"
	    "Diagnostic-Code: smtp; 550 %s User unknown\r\n\r\n"
	    "%s%s%s"
	    "--B1--\r\n",
	    next_uid, rcpt, rcpt, action, status, status,
	    orig_msgid ? "--B1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
	    "From: chamber@chamber.test\r\nSubject: notice\r\nMessage-ID: <" : "",
	    orig_msgid ? orig_msgid : "", orig_msgid ? ">\r\n\r\n" : "");
	return n < 0 ? NULL : s;
}

static enum intake_outcome
take(struct testenv *env, const char *raw)
{
	struct intake_env ie;
	struct intake_source src = { "INBOX", 1, 0 };
	struct intake_result res;

	memset(&ie, 0, sizeof(ie));
	ie.cfg = env->cfg;
	ie.db = env->db;
	src.uid = next_uid++;
	assert_int_equal(intake_message(&ie, &src, raw, strlen(raw), time(NULL), &res), MD_OK);
	return res.outcome;
}

static long long
count(struct testenv *env, const char *sql)
{
	return testenv_count(env, sql);
}

static int64_t
make_case(struct testenv *env, const char *email)
{
	return testenv_case(env, "关于税收优惠的咨询", email);
}

static void
test_dsn_fields(void **state)
{
	static const char raw[] =
	    "Subject: x\r\n\r\nStatus: 9.9.9\r\nStatus: 5.1.10\r\n"
	    "Diagnostic-Code: smtp; 550 mailbox\r\n\tunavailable\x1b[31m\r\nX: y\r\n";
	char status[16], diag[BOUNCE_DIAGNOSTIC_MAX + 1];

	(void)state;
	bounce_dsn_fields(raw, strlen(raw), 1 << 20, status, sizeof(status), diag, sizeof(diag));
	assert_string_equal(status, "5.1.10");
	/* Folded, with the escape character turned into a space. */
	assert_string_equal(diag, "smtp; 550 mailbox unavailable [31m");
	/* A scan bound that stops before the fields finds nothing. */
	bounce_dsn_fields(raw, strlen(raw), 20, status, sizeof(status), diag, sizeof(diag));
	assert_string_equal(status, "");
	assert_string_equal(diag, "");
	bounce_dsn_fields("Status: 4.4.7", 13, 100, status, sizeof(status), diag, sizeof(diag));
	assert_string_equal(status, "4.4.7");
	bounce_dsn_fields("Status: 5.1.1234\n", 17, 100, status, sizeof(status), diag,
	    sizeof(diag));
	assert_string_equal(status, "");
}

static void
test_linked_by_message_id(void **state)
{
	struct testenv *env = *state;
	int64_t c = make_case(env, "alice@members.test");
	char *raw;

	assert_true(c > 0);
	assert_true(sent_notice(env, c, "ack", "alice@members.test", "ack-1@chamber.test",
	    time(NULL) - 60) > 0);
	raw = dsn("alice@members.test", "ack-1@chamber.test", "failed", "5.1.1");
	assert_non_null(raw);
	assert_int_equal(take(env, raw), INTAKE_AUTOMATIC);
	free(raw);

	assert_int_equal(count(env, "SELECT count(*) FROM cases"), 1);
	assert_int_equal(count(env, "SELECT count(*) FROM case_events WHERE kind = "
	    "'member-unreachable' AND json_extract(detail, '$.address') = 'alice@members.test'"
	    " AND json_extract(detail, '$.status') = '5.1.1'"
	    " AND json_extract(detail, '$.notice') = 'ack'"
	    " AND json_extract(detail, '$.linked_by') = 'message-id'"
	    " AND json_extract(detail, '$.delayed') = 0"
	    " AND message_id = (SELECT max(id) FROM messages WHERE direction = 'in')"), 1);
	/* One alert, to the secretariat only (not leadership), about this case. */
	assert_int_equal(count(env, "SELECT count(*) FROM outbox WHERE kind = 'bounce_alert'"),
	    1);
	assert_int_equal(count(env, "SELECT count(*) FROM outbox WHERE kind = 'bounce_alert'"
	    " AND rcpt = 'staff1@chamber.test' AND case_id = 1"), 1);
	/* Nothing goes to the member whose address bounced. */
	assert_int_equal(count(env, "SELECT count(*) FROM outbox WHERE status = 'queued'"
	    " AND rcpt = 'alice@members.test'"), 0);
	/* The bounce is kept as received. */
	assert_int_equal(count(env, "SELECT count(*) FROM messages WHERE direction = 'in'"), 1);
}

static void
test_same_notice_alerts_once(void **state)
{
	struct testenv *env = *state;
	int64_t c = make_case(env, "alice@members.test");
	char *raw;

	assert_true(sent_notice(env, c, "accepted", "alice@members.test", "acc-1@chamber.test",
	    time(NULL) - 60) > 0);
	raw = dsn("alice@members.test", "acc-1@chamber.test", "failed", "5.1.1");
	assert_int_equal(take(env, raw), INTAKE_AUTOMATIC);
	free(raw);
	raw = dsn("alice@members.test", "acc-1@chamber.test", "failed", "5.2.2");
	assert_int_equal(take(env, raw), INTAKE_AUTOMATIC);
	free(raw);
	assert_int_equal(count(env, "SELECT count(*) FROM case_events WHERE kind = "
	    "'member-unreachable'"), 2);
	assert_int_equal(count(env, "SELECT count(*) FROM outbox WHERE kind = 'bounce_alert'"),
	    1);
}

static void
test_linked_by_recipient(void **state)
{
	struct testenv *env = *state;
	int64_t c1 = make_case(env, "bob@members.test");
	int64_t c2 = make_case(env, "bob@members.test");
	char *raw;

	/* Two notices to bob: the more recent one is the one reported on. */
	assert_true(sent_notice(env, c1, "ack", "bob@members.test", "b-1@chamber.test",
	    time(NULL) - 7200) > 0);
	assert_true(sent_notice(env, c2, "ack", "bob@members.test", "b-2@chamber.test",
	    time(NULL) - 600) > 0);
	raw = dsn("bob@members.test", NULL, "failed", "5.7.1");
	assert_int_equal(take(env, raw), INTAKE_AUTOMATIC);
	free(raw);
	assert_int_equal(count(env, "SELECT count(*) FROM case_events WHERE kind = "
	    "'member-unreachable' AND json_extract(detail, '$.linked_by') = 'recipient'"
	    " AND json_extract(detail, '$.notice_message_id') = 'b-2@chamber.test'"), 1);
	assert_int_equal(count(env, "SELECT case_id FROM case_events WHERE kind = "
	    "'member-unreachable'"), c2);
	assert_int_equal(count(env, "SELECT count(*) FROM outbox WHERE kind = 'bounce_alert'"
	    " AND case_id = (SELECT case_id FROM case_events WHERE kind = 'member-unreachable')"),
	    1);
}

static void
test_old_notice_not_linked_by_recipient(void **state)
{
	struct testenv *env = *state;
	int64_t c = make_case(env, "carol@members.test");
	char *raw;

	assert_true(sent_notice(env, c, "ack", "carol@members.test", "c-1@chamber.test",
	    time(NULL) - BOUNCE_RECIPIENT_WINDOW - 60) > 0);
	raw = dsn("carol@members.test", NULL, "failed", "5.1.1");
	assert_int_equal(take(env, raw), INTAKE_AUTOMATIC);
	free(raw);
	assert_int_equal(count(env, "SELECT count(*) FROM case_events WHERE kind = "
	    "'member-unreachable'"), 0);
	assert_int_equal(count(env, "SELECT count(*) FROM outbox WHERE kind = 'bounce_alert'"),
	    0);
	assert_int_equal(count(env, "SELECT count(*) FROM messages WHERE direction = 'in'"), 1);
}

static void
test_delayed_records_without_alert(void **state)
{
	struct testenv *env = *state;
	int64_t c = make_case(env, "alice@members.test");
	char *raw;

	assert_true(sent_notice(env, c, "ack", "alice@members.test", "d-1@chamber.test",
	    time(NULL) - 60) > 0);
	raw = dsn("alice@members.test", "d-1@chamber.test", "delayed", "4.4.7");
	assert_int_equal(take(env, raw), INTAKE_AUTOMATIC);
	free(raw);
	assert_int_equal(count(env, "SELECT count(*) FROM case_events WHERE kind = "
	    "'member-unreachable' AND json_extract(detail, '$.delayed') = 1"
	    " AND json_extract(detail, '$.status') = '4.4.7'"), 1);
	assert_int_equal(count(env, "SELECT count(*) FROM outbox WHERE kind = 'bounce_alert'"),
	    0);
	/* The failure that follows the delay is still reported. */
	raw = dsn("alice@members.test", "d-1@chamber.test", "failed", "5.4.7");
	assert_int_equal(take(env, raw), INTAKE_AUTOMATIC);
	free(raw);
	assert_int_equal(count(env, "SELECT count(*) FROM outbox WHERE kind = 'bounce_alert'"),
	    1);
}

static void
test_unlinked_is_kept(void **state)
{
	struct testenv *env = *state;
	char *raw;

	raw = dsn("stranger@elsewhere.test", "unknown@elsewhere.test", "failed", "5.1.1");
	assert_int_equal(take(env, raw), INTAKE_AUTOMATIC);
	free(raw);
	assert_int_equal(count(env, "SELECT count(*) FROM messages WHERE direction = 'in'"), 1);
	assert_int_equal(count(env, "SELECT count(*) FROM case_events"), 0);
	assert_int_equal(count(env, "SELECT count(*) FROM outbox"), 0);
	assert_int_equal(count(env, "SELECT count(*) FROM cases"), 0);
}

static void
test_bounced_alert_alerts_nobody(void **state)
{
	struct testenv *env = *state;
	int64_t c = make_case(env, "alice@members.test");
	char *raw;

	assert_true(sent_notice(env, c, "bounce_alert", "staff1@chamber.test",
	    "alert-1@chamber.test", time(NULL) - 60) > 0);
	raw = dsn("staff1@chamber.test", "alert-1@chamber.test", "failed", "5.2.2");
	assert_int_equal(take(env, raw), INTAKE_AUTOMATIC);
	free(raw);
	/* Recorded on the case, but no alert that could bounce again. */
	assert_int_equal(count(env, "SELECT count(*) FROM case_events WHERE kind = "
	    "'member-unreachable'"), 1);
	assert_int_equal(count(env, "SELECT count(*) FROM outbox WHERE status = 'queued'"), 0);
}

static void
test_not_a_bounce_does_nothing(void **state)
{
	struct testenv *env = *state;
	struct auto_verdict v;

	memset(&v, 0, sizeof(v));
	v.is_automatic = 1;
	v.kind = "auto-reply";
	assert_int_equal(db_begin(env->db), MD_OK);
	assert_int_equal(bounce_handle(env->cfg, env->db, &v, NULL, "x", 1, 0, time(NULL),
	    NULL), MD_OK);
	assert_int_equal(db_commit(env->db), MD_OK);
	/* Outside a transaction it refuses rather than writing half a link. */
	v.kind = "bounce";
	assert_int_equal(bounce_handle(env->cfg, env->db, &v, NULL, "x", 1, 0, time(NULL),
	    NULL), MD_ERR_STATE);
	assert_string_equal(bounce_via_name(BOUNCE_VIA_RECIPIENT), "recipient");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dsn_fields),
		cmocka_unit_test_setup_teardown(test_linked_by_message_id,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_same_notice_alerts_once,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_linked_by_recipient,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_old_notice_not_linked_by_recipient,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_delayed_records_without_alert,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_unlinked_is_kept,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_bounced_alert_alerts_nobody,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_not_a_bounce_does_nothing,
		    testenv_state_setup, testenv_state_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
