/*
 * Intake: one message, one transaction. New requests become cases with a
 * queued acknowledgement; the same message seen again (UID, Message-ID,
 * content) is never recorded twice; automatic mail and mail without a
 * sender open no case; a failure leaves nothing behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "intake.h"
#include "member.h"
#include "message.h"
#include "outbox.h"
#include "testenv.h"

/* 2026-11-27 02:15:00 UTC = 10:15 Friday in Shanghai. */
#define FRIDAY_MORNING ((time_t)1795745700)
/* 2026-12-31 17:30 UTC = 2027-01-01 01:30 in Shanghai. */
#define NEW_YEAR_NIGHT ((time_t)1798738200)

static const char request[] =
	"From: =?UTF-8?B?5byg5Lyf?= <Alice@Members.test>\r\n"
	"To: chamber@chamber.test\r\n"
	"Subject: =?UTF-8?B?5YWz5LqO56iO5pS25LyY5oOg55qE5ZKo6K+i?=\r\n"
	"Date: Fri, 27 Nov 2026 10:15:00 +0800\r\n"
	"Message-ID: <req-1@members.test>\r\n"
	"References: <older@members.test>\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/plain; charset=UTF-8\r\n"
	"Content-Transfer-Encoding: 8bit\r\n"
	"\r\n"
	"请问研发费用加计扣除的比例是多少？\r\n";

static const char bounce[] =
	"From: Mail Delivery System <MAILER-DAEMON@mx.members.test>\r\n"
	"To: chamber@chamber.test\r\n"
	"Subject: Undelivered Mail Returned to Sender\r\n"
	"Message-ID: <bounce-1@mx.members.test>\r\n"
	"Auto-Submitted: auto-replied\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n"
	"\r\n"
	"--b\r\nContent-Type: text/plain\r\n\r\nmailbox unavailable\r\n"
	"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
	"Reporting-MTA: dns; mx.members.test\r\n\r\n"
	"Final-Recipient: rfc822; gone@members.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
	"--b--\r\n";

static const char no_sender[] =
	"To: chamber@chamber.test\r\n"
	"Subject: anonymous\r\n"
	"\r\n"
	"no From header at all\r\n";

static enum md_err
take(struct testenv *env, uint32_t uidvalidity, uint32_t uid, const char *raw, time_t now,
    struct intake_result *res)
{
	struct intake_env ie = { env->cfg, env->db, NULL, NULL };
	struct intake_source src = { "INBOX", uidvalidity, uid };

	return intake_message(&ie, &src, raw, strlen(raw), now, res);
}

static void
test_new_request_becomes_case_with_ack(void **state)
{
	struct testenv *env = *state;
	struct intake_result res;
	struct outbox_item *it = NULL;
	struct message *ack = NULL;

	assert_int_equal(take(env, 7, 1, request, FRIDAY_MORNING, &res), MD_OK);
	assert_int_equal(res.outcome, INTAKE_NEW_CASE);
	assert_string_equal(res.case_number, "MD-2026-0001");
	assert_true(res.case_id > 0);
	assert_int_equal(testenv_count(env,
	    "SELECT count(*) FROM cases WHERE subject = '关于税收优惠的咨询' "
	    "AND requester_email = 'alice@members.test' AND channel = 'email' "
	    "AND status = 'registered' AND member_id IS NULL"), 1);
	assert_int_equal(testenv_count(env,
	    "SELECT count(*) FROM case_events WHERE kind = 'registered'"), 1);
	assert_int_equal(testenv_count(env,
	    "SELECT count(*) FROM messages WHERE case_id IS NOT NULL AND direction = 'in'"), 1);
	/* The "registered" event cites the incoming message, recorded on the case. */
	assert_int_equal(testenv_count(env,
	    "SELECT count(*) FROM case_events e JOIN messages m ON m.id = e.message_id "
	    "WHERE e.kind = 'registered' AND e.actor = 'alice@members.test' "
	    "AND m.case_id = e.case_id AND m.uid = 1 AND m.direction = 'in'"), 1);
	/* It is the case's first event. */
	assert_int_equal(testenv_count(env,
	    "SELECT kind = 'registered' FROM case_events ORDER BY id LIMIT 1"), 1);
	/* The acknowledgement is also kept with the case as an outgoing message,
	 * next to the secretariat's new-case announcement (one staff member). */
	assert_int_equal(testenv_count(env,
	    "SELECT count(*) FROM messages WHERE direction = 'out'"), 2);
	assert_int_equal(testenv_count(env,
	    "SELECT count(*) FROM outbox WHERE kind = 'ack' AND rcpt = 'alice@members.test'"), 1);
	assert_int_equal(testenv_count(env,
	    "SELECT last_uid FROM mailbox_state WHERE mailbox = 'INBOX' AND uidvalidity = 7"), 1);

	assert_int_equal(outbox_next_due(env->db, FRIDAY_MORNING, &it), MD_OK);
	assert_string_equal(it->kind, "ack");
	assert_string_equal(it->rcpt, "alice@members.test");
	assert_string_equal(it->mail_from, "chamber@chamber.test");
	assert_non_null(strstr(it->data, "\r\nIn-Reply-To: <req-1@members.test>\r\n"));
	assert_non_null(strstr(it->data, "<older@members.test>"));
	assert_non_null(strstr(it->data, "\r\nAuto-Submitted: auto-replied\r\n"));
	/* The subject carries the tag and the member's subject, encoded. */
	assert_null(strstr(it->data, "Subject: [MD-2026-0001] 关于"));
	assert_int_equal(message_parse(it->data, it->len, NULL, &ack), MD_OK);
	assert_non_null(strstr(ack->subject, "[MD-2026-0001]"));
	assert_non_null(strstr(ack->subject, "关于税收优惠的咨询"));
	assert_non_null(strstr(ack->text, "MD-2026-0001"));
	message_free(ack);
	outbox_item_free(it);
}

static void
test_same_message_is_never_recorded_twice(void **state)
{
	struct testenv *env = *state;
	struct intake_result res;
	char *no_id;
	const char *p;

	assert_int_equal(take(env, 7, 1, request, FRIDAY_MORNING, &res), MD_OK);
	/* Crash between commit and marking: the same UID comes again. */
	assert_int_equal(take(env, 7, 1, request, FRIDAY_MORNING + 60, &res), MD_OK);
	assert_int_equal(res.outcome, INTAKE_ALREADY);
	/* The mailbox was recreated: new UIDVALIDITY, same Message-ID. */
	assert_int_equal(take(env, 8, 1, request, FRIDAY_MORNING + 120, &res), MD_OK);
	assert_int_equal(res.outcome, INTAKE_DUPLICATE);

	/* Without a Message-ID the content hash recognises it. */
	p = strstr(request, "Message-ID:");
	no_id = calloc(1, sizeof(request));
	assert_non_null(no_id);
	memcpy(no_id, request, (size_t)(p - request));
	strcat(no_id, strchr(p, '\n') + 1);
	assert_int_equal(take(env, 8, 2, no_id, FRIDAY_MORNING, &res), MD_OK);
	assert_int_equal(res.outcome, INTAKE_NEW_CASE);
	assert_int_equal(take(env, 9, 5, no_id, FRIDAY_MORNING, &res), MD_OK);
	assert_int_equal(res.outcome, INTAKE_DUPLICATE);
	free(no_id);

	assert_int_equal(testenv_count(env, "SELECT count(*) FROM cases"), 2);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox WHERE kind = 'ack'"), 2);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM messages WHERE direction='in'"), 2);
}

static void
test_automatic_mail_opens_no_case(void **state)
{
	struct testenv *env = *state;
	struct intake_result res;

	assert_int_equal(take(env, 7, 3, bounce, FRIDAY_MORNING, &res), MD_OK);
	assert_int_equal(res.outcome, INTAKE_AUTOMATIC);
	assert_string_equal(res.case_number, "");
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM cases"), 0);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox"), 0);
	/* Kept all the same: nothing is lost. */
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM messages"), 1);
}

static void
test_mail_without_sender_is_kept_unfiled(void **state)
{
	struct testenv *env = *state;
	struct intake_result res;

	assert_int_equal(take(env, 7, 4, no_sender, FRIDAY_MORNING, &res), MD_OK);
	assert_int_equal(res.outcome, INTAKE_UNFILED);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM cases"), 0);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox"), 0);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM messages"), 1);
}

static void
test_member_is_resolved_by_address(void **state)
{
	struct testenv *env = *state;
	struct member_import_result ir;
	struct intake_result res;
	struct outbox_item *it = NULL;
	static const char csv[] =
	    "kind,name,unit_name,addresses,phone\n"
	    "unit,张伟,华东精密机械有限公司,alice@members.test,021-5555-0101\n";

	assert_int_equal(member_import_csv_mem(env->db, "m.csv", csv, strlen(csv),
	    FRIDAY_MORNING, NULL, &ir), MD_OK);
	assert_int_equal(take(env, 7, 1, request, FRIDAY_MORNING, &res), MD_OK);
	assert_int_equal(testenv_count(env,
	    "SELECT count(*) FROM cases WHERE member_id IS NOT NULL AND requester_name = '张伟' "
	    "AND requester_unit = '华东精密机械有限公司' AND requester_phone = '021-5555-0101'"), 1);
	assert_int_equal(outbox_next_due(env->db, FRIDAY_MORNING, &it), MD_OK);
	/* Friday 10:15 + 2 working days = Tuesday 1 December 2026. */
	assert_non_null(it);
	outbox_item_free(it);
	assert_int_equal(testenv_count(env,
	    "SELECT count(*) FROM case_events WHERE kind = 'deadline' "
	    "AND detail LIKE '%2026年12月1日%'"), 1);
}

static void
test_numbering_follows_the_chamber_time_zone(void **state)
{
	struct testenv *env = *state;
	struct intake_result res;

	assert_int_equal(take(env, 7, 1, request, NEW_YEAR_NIGHT, &res), MD_OK);
	assert_string_equal(res.case_number, "MD-2027-0001");
}

static void
test_failure_leaves_nothing_behind(void **state)
{
	struct testenv *env = *state;
	struct intake_result res;
	char *saved = env->cfg->template_dir;

	/* A missing template fails the notice, which must undo the whole message. */
	env->cfg->template_dir = "/nonexistent";
	assert_int_not_equal(take(env, 7, 1, request, FRIDAY_MORNING, &res), MD_OK);
	env->cfg->template_dir = saved;
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM cases"), 0);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM messages"), 0);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox"), 0);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM mailbox_state"), 0);
	/* And the same message goes through once the problem is fixed. */
	assert_int_equal(take(env, 7, 1, request, FRIDAY_MORNING, &res), MD_OK);
	assert_int_equal(res.outcome, INTAKE_NEW_CASE);
	assert_string_equal(res.case_number, "MD-2026-0001");
}

static void
test_oversize_message_keeps_its_head(void **state)
{
	struct testenv *env = *state;
	struct intake_env ie = { env->cfg, env->db, NULL, NULL };
	struct intake_source src = { "INBOX", 7, 9 };
	struct intake_result res;

	assert_int_equal(intake_oversize(&ie, &src, 40u * 1024 * 1024, request, 200,
	    FRIDAY_MORNING, &res), MD_OK);
	assert_int_equal(res.outcome, INTAKE_OVERSIZE);
	assert_int_equal(testenv_count(env, "SELECT length(raw) FROM messages"), 200);
	/* The member is told politely; the secretariat learns where the message is. */
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox WHERE kind = "
	    "'oversize_notice' AND rcpt = 'alice@members.test'"), 1);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox WHERE kind = "
	    "'oversize_alert' AND rcpt = 'staff1@chamber.test'"), 1);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM outbox WHERE kind = "
	    "'oversize_alert' AND rcpt = 'leader1@chamber.test'"), 0);
	assert_int_equal(intake_oversize(&ie, &src, 40u * 1024 * 1024, request, 200,
	    FRIDAY_MORNING, &res), MD_OK);
	assert_int_equal(res.outcome, INTAKE_ALREADY);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM messages"), 1);
}

static const char legal_request[] =
	"From: bob@members.test\r\n"
	"To: chamber@chamber.test\r\n"
	"Subject: =?UTF-8?B?5ZCI5ZCM57qg57q35rGC5Yqp?=\r\n"
	"Message-ID: <legal-1@members.test>\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/plain; charset=UTF-8\r\n"
	"\r\n"
	"供应商拖欠货款，我们已经向法院起诉，下周开庭，请商会协助。\r\n";

static void
test_triage_sets_type_and_flags(void **state)
{
	struct testenv *env = *state;
	struct triage *t = NULL;
	struct intake_env ie = { env->cfg, env->db, NULL, NULL };
	struct intake_source src = { "INBOX", 7, 11 };
	struct intake_result res;

	assert_int_equal(triage_load(env->cfg, env->db, stderr, &t), MD_OK);
	assert_true(triage_trained_examples(t) >= 200);
	ie.triage = t;
	assert_int_equal(intake_message(&ie, &src, legal_request, strlen(legal_request),
	    FRIDAY_MORNING, &res), MD_OK);
	assert_int_equal(res.outcome, INTAKE_NEW_CASE);
	/* A rights case, flagged as a possible art. 8(2) ground for staff. */
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM cases WHERE type = 'rights'"), 1);
	assert_int_equal(testenv_count(env,
	    "SELECT count(*) FROM case_events WHERE kind = 'classified' "
	    "AND detail LIKE '%\"legal-process\"%' AND detail LIKE '%\"type\":\"rights\"%'"), 1);
	/* Not rejected automatically: the decision is staff's. */
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM cases WHERE status = 'registered'"), 1);
	triage_free(t);
}

static const char with_attachment[] =
	"From: Bob <bob@members.test>\r\n"
	"To: chamber@chamber.test\r\n"
	"Subject: invoice attached\r\n"
	"Message-ID: <att-1@members.test>\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"m\"\r\n"
	"\r\n"
	"--m\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nsee attachment\r\n"
	"--m\r\nContent-Type: text/plain; name=\"a.txt\"\r\n"
	"Content-Disposition: attachment; filename=\"a.txt\"\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=\r\n"
	"--m--\r\n";

/* SHA-256 of "hello world", the attachment above decoded. */
#define HELLO_SHA256 "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"

/*
 * intake_prepare() hashes attachments and lets their decoded bytes go (the
 * fetch thread does it ahead of the database work); the row gets the hash.
 */
static void
test_prepared_attachment_hash_reaches_its_row(void **state)
{
	struct testenv *env = *state;
	struct intake_env ie = { env->cfg, env->db, NULL, NULL };
	struct intake_source src = { "INBOX", 7, 40 };
	struct intake_prepared p;
	struct intake_result res;

	assert_int_equal(intake_prepare(env->cfg, NULL, with_attachment, strlen(with_attachment),
	    &p), MD_OK);
	assert_int_equal(p.msg->n_attachments, 1);
	assert_null(p.msg->attachments[0].data);
	assert_string_equal(p.attachment_sha256[0], HELLO_SHA256);
	assert_int_equal(intake_message_prepared(&ie, &src, with_attachment,
	    strlen(with_attachment), &p, FRIDAY_MORNING, &res), MD_OK);
	intake_prepared_free(&p);
	assert_int_equal(res.outcome, INTAKE_NEW_CASE);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM attachments WHERE"
	    " filename = 'a.txt' AND size = 11 AND part = 0 AND data IS NULL AND sha256 = '"
	    HELLO_SHA256 "'"), 1);
	/* The path without a prepared message gives the same row. */
	assert_int_equal(take(env, 8, 41, with_attachment, FRIDAY_MORNING, &res), MD_OK);
	assert_int_equal(res.outcome, INTAKE_DUPLICATE);
}

/*
 * Given a triage, intake_prepare() classifies ahead (the fetch thread's
 * work) what may open a case, and the case records what the database
 * thread alone would have: triage_classify() on the same message, with no
 * earlier requests. Automatic mail and mail without a sender are not
 * classified ahead; a message prepared with another triage is classified
 * afresh with the one in force.
 */
static void
test_prepared_classification(void **state)
{
	struct testenv *env = *state;
	struct triage *t = NULL;
	struct intake_env ie = { env->cfg, env->db, NULL, NULL };
	struct intake_source src = { "INBOX", 7, 50 };
	struct intake_prepared p;
	struct intake_result res;
	struct classify_result *cr;
	char sql[2048], *want;
	json_t *js;

	assert_int_equal(triage_load(env->cfg, env->db, stderr, &t), MD_OK);
	ie.triage = t;
	assert_int_equal(intake_prepare(env->cfg, t, legal_request, strlen(legal_request), &p),
	    MD_OK);
	assert_ptr_equal(p.classified_by, t);
	/* The shipped rules never ask about membership: they ran too. */
	assert_true(p.classified.rules_done);
	assert_true(p.classified.scores_done);
	assert_true(rules_outcome_has_flag(&p.classified.rules, "legal-process"));
	assert_int_equal(triage_classify(t, env->cfg, NULL, p.msg, NULL, FRIDAY_MORNING, &cr),
	    MD_OK);
	/* As record_classification() writes it: compact, keys in insertion order. */
	assert_non_null(js = classify_result_json(cr));
	assert_non_null(want = json_dumps(js, JSON_COMPACT));
	json_decref(js);
	classify_result_free(cr);
	assert_int_equal(intake_message_prepared(&ie, &src, legal_request, strlen(legal_request),
	    &p, FRIDAY_MORNING, &res), MD_OK);
	intake_prepared_free(&p);
	assert_int_equal(res.outcome, INTAKE_NEW_CASE);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM case_events WHERE kind = 'classified' "
	    "AND detail = '%s'", want);
	assert_int_equal(testenv_count(env, sql), 1);
	free(want);

	/* Never classified, so not classified ahead either. */
	assert_int_equal(intake_prepare(env->cfg, t, bounce, strlen(bounce), &p), MD_OK);
	assert_true(p.verdict.is_automatic);
	assert_null(p.classified_by);
	assert_false(p.classified.rules_done);
	assert_false(p.classified.scores_done);
	intake_prepared_free(&p);
	assert_int_equal(intake_prepare(env->cfg, t, no_sender, strlen(no_sender), &p), MD_OK);
	assert_null(p.classified_by);
	assert_false(p.classified.scores_done);
	intake_prepared_free(&p);

	/* Prepared with t, taken in without a triage: no rules, no model. */
	assert_int_equal(intake_prepare(env->cfg, t, request, strlen(request), &p), MD_OK);
	assert_ptr_equal(p.classified_by, t);
	assert_true(p.classified.have_scores);
	ie.triage = NULL;
	src.uid = 51;
	assert_int_equal(intake_message_prepared(&ie, &src, request, strlen(request), &p,
	    FRIDAY_MORNING, &res), MD_OK);
	intake_prepared_free(&p);
	assert_int_equal(res.outcome, INTAKE_NEW_CASE);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM case_events WHERE "
	    "kind = 'classified' AND detail = '{\"type\":\"other\",\"tier_hint\":null,"
	    "\"flags\":[\"low-confidence\"],\"rules\":[],\"confidence\":0.0}'"), 1);
	triage_free(t);
}

/*
 * Rules that ask about the sender wait for the member lookup on the
 * database side, and see the member there.
 */
static void
test_prepared_member_rules_see_the_member(void **state)
{
	struct testenv *env = *state;
	struct triage *t = NULL;
	struct intake_env ie = { env->cfg, env->db, NULL, NULL };
	struct intake_source src = { "INBOX", 7, 60 };
	struct member_import_result ir;
	struct intake_prepared p;
	struct intake_result res;
	char dir[] = "/tmp/test_intake_rules.XXXXXX", path[512];
	char *saved = env->cfg->filter_dir;
	FILE *fp;
	static const char csv[] =
	    "kind,name,unit_name,addresses,phone\n"
	    "unit,张伟,华东精密机械有限公司,alice@members.test,021-5555-0101\n";

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/10-member.rules", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("rule unit-member\n  member-kind unit\n  flag unit-member\n  type policy\nend\n"
	    "rule outsider\n  member no\n  flag outsider\nend\n", fp);
	fclose(fp);
	env->cfg->filter_dir = dir;
	assert_int_equal(triage_load(env->cfg, env->db, stderr, &t), MD_OK);
	env->cfg->filter_dir = saved;
	ie.triage = t;
	assert_int_equal(member_import_csv_mem(env->db, "m.csv", csv, strlen(csv),
	    FRIDAY_MORNING, NULL, &ir), MD_OK);

	assert_int_equal(intake_prepare(env->cfg, t, request, strlen(request), &p), MD_OK);
	assert_ptr_equal(p.classified_by, t);
	assert_false(p.classified.rules_done);
	assert_int_equal(p.classified.rules.n_hits, 0);
	assert_true(p.classified.scores_done);
	assert_int_equal(intake_message_prepared(&ie, &src, request, strlen(request), &p,
	    FRIDAY_MORNING, &res), MD_OK);
	intake_prepared_free(&p);
	assert_int_equal(res.outcome, INTAKE_NEW_CASE);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM case_events WHERE "
	    "kind = 'classified' AND detail LIKE '%\"unit-member\"%' "
	    "AND detail LIKE '%\"type\":\"policy\"%' AND detail NOT LIKE '%outsider%'"), 1);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM cases WHERE type = 'policy'"),
	    1);
	triage_free(t);
	unlink(path);
	rmdir(dir);
}

static void
test_outcome_names(void **state)
{
	(void)state;
	assert_string_equal(intake_outcome_name(INTAKE_NEW_CASE), "new-case");
	assert_string_equal(intake_outcome_name(INTAKE_AUTOMATIC), "automatic");
	assert_string_equal(intake_outcome_name(INTAKE_OVERSIZE), "oversize");
}

/*
 * Inside a batch (the daemon's fetch chunk) a failing message rolls back
 * alone; the others are kept once the batch commits, and nothing is
 * logged by intake itself (the note is for after the commit).
 */
static void
test_batch_failing_message_rolls_back_alone(void **state)
{
	struct testenv *env = *state;
	struct intake_result res;
	char *saved = env->cfg->template_dir;

	assert_int_equal(db_batch_begin(env->db), MD_OK);
	assert_int_equal(take(env, 7, 1, request, FRIDAY_MORNING, &res), MD_OK);
	assert_int_equal(res.outcome, INTAKE_NEW_CASE);
	assert_non_null(strstr(res.note, "uid 1: case MD-2026-0001 registered for"));
	assert_int_equal(res.note_is_warning, 0);
	env->cfg->template_dir = "/nonexistent";
	assert_int_not_equal(take(env, 7, 2, legal_request, FRIDAY_MORNING, &res), MD_OK);
	env->cfg->template_dir = saved;
	assert_string_equal(res.note, "");
	/* The same message a second time inside the batch is recognised. */
	assert_int_equal(take(env, 7, 3, request, FRIDAY_MORNING, &res), MD_OK);
	assert_int_equal(res.outcome, INTAKE_DUPLICATE);
	assert_true(db_in_transaction(env->db));
	assert_int_equal(db_batch_commit(env->db), MD_OK);
	assert_false(db_in_transaction(env->db));
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM cases"), 1);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM messages WHERE direction = 'in'"),
	    1);
	assert_int_equal(testenv_count(env, "SELECT last_uid FROM mailbox_state"), 3);

	/* A batch rolled back as a whole keeps nothing, and the message goes through later. */
	assert_int_equal(db_batch_begin(env->db), MD_OK);
	assert_int_equal(take(env, 7, 4, legal_request, FRIDAY_MORNING, &res), MD_OK);
	assert_string_equal(res.case_number, "MD-2026-0002");
	db_batch_rollback(env->db);
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM cases"), 1);
	assert_int_equal(take(env, 7, 4, legal_request, FRIDAY_MORNING, &res), MD_OK);
	assert_string_equal(res.case_number, "MD-2026-0002");
	assert_int_equal(testenv_count(env, "SELECT count(*) FROM cases"), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_request_becomes_case_with_ack,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_same_message_is_never_recorded_twice,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_automatic_mail_opens_no_case,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_mail_without_sender_is_kept_unfiled,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_member_is_resolved_by_address,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_numbering_follows_the_chamber_time_zone,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_failure_leaves_nothing_behind,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_oversize_message_keeps_its_head,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_triage_sets_type_and_flags,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_batch_failing_message_rolls_back_alone,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_prepared_attachment_hash_reaches_its_row,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_prepared_classification,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_prepared_member_rules_see_the_member,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test(test_outcome_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
