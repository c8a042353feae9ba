#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "db.h"
#include "log.h"
#include "message.h"
#include "msgstore.h"
#include "spool.h"
#include "testenv.h"

static void
test_sha256_known_vector(void **state)
{
	char hex[MSGSTORE_SHA256_HEX];

	(void)state;
	assert_int_equal(msgstore_sha256_hex("abc", 3, hex), MD_OK);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_insert_and_find(void **state)
{
	struct testdb *f = *state;
	static const char raw[] = "Message-ID: <a1@qq.com>\r\nSubject: =?UTF-8?B?5ZKo6K+i?=\r\n"
	    "\r\nbody\0with NUL\r\n";
	unsigned char pdf[] = { '%', 'P', 'D', 'F', 0, 1, 2 };
	struct message_attachment att[2] = {
		{ .filename = "合同.pdf", .content_type = "application/pdf", .size = sizeof(pdf),
		  .data = pdf },
		{ .filename = "huge.zip", .content_type = "application/zip", .size = 99999999,
		  .data = NULL },
	};
	struct message msg = {
		.subject = "咨询", .from_addr = "zhang@qq.com", .from_name = "张三",
		.date = 1767225600, .message_id = "a1@qq.com", .text = "政策咨询正文",
		.text_len = strlen("政策咨询正文"), .attachments = att, .n_attachments = 2,
	};
	struct msgstore_new in = {
		.mailbox = "INBOX", .uidvalidity = 1700000000, .uid = 7, .raw = raw,
		.raw_len = sizeof(raw) - 1, .msg = &msg, .received_at = 1767225700,
	};
	char hex[MSGSTORE_SHA256_HEX];
	int64_t id = 0, found;
	char *back;
	size_t len;

	assert_int_equal(msgstore_find_uid(f->db, "INBOX", 1700000000, 7, &found),
	    MD_ERR_NOTFOUND);
	assert_int_equal(msgstore_insert(f->db, &in, &id), MD_OK);
	assert_true(id > 0);
	assert_false(db_in_transaction(f->db));

	assert_int_equal(msgstore_find_uid(f->db, "INBOX", 1700000000, 7, &found), MD_OK);
	assert_int_equal(found, id);
	assert_int_equal(msgstore_find_uid(f->db, "INBOX", 1700000001, 7, &found),
	    MD_ERR_NOTFOUND);
	assert_int_equal(msgstore_find_uid(f->db, "Other", 1700000000, 7, NULL),
	    MD_ERR_NOTFOUND);
	assert_int_equal(msgstore_find_message_id(f->db, "a1@qq.com", &found), MD_OK);
	assert_int_equal(found, id);
	assert_int_equal(msgstore_find_message_id(f->db, "a2@qq.com", &found), MD_ERR_NOTFOUND);
	assert_int_equal(msgstore_sha256_hex(raw, sizeof(raw) - 1, hex), MD_OK);
	assert_int_equal(msgstore_find_sha256(f->db, hex, &found), MD_OK);
	assert_int_equal(found, id);

	/* Raw bytes come back verbatim, NUL included. */
	assert_int_equal(msgstore_get_raw(f->db, id, &back, &len), MD_OK);
	assert_int_equal(len, sizeof(raw) - 1);
	assert_memory_equal(back, raw, len);
	free(back);
	assert_int_equal(msgstore_get_raw(f->db, id + 100, &back, &len), MD_ERR_NOTFOUND);

	/* Attachments keep metadata, their position and a SHA-256 when kept; never bytes. */
	assert_int_equal(testdb_int(f->db, "SELECT count(*) FROM attachments"), 2);
	assert_int_equal(testdb_int(f->db, "SELECT count(*) FROM attachments WHERE data IS NULL"),
	    2);
	assert_int_equal(testdb_int(f->db, "SELECT part = 0 AND size = 7 AND sha256 = '"
	    "80e617e98468563bc746a71f3ffcf84502fea1df815569c90bc6a79f8fccabe6'"
	    " AND content_type = 'application/pdf' FROM attachments WHERE filename = '合同.pdf'"), 1);
	assert_int_equal(testdb_int(f->db, "SELECT part = 1 AND sha256 IS NULL AND size = 99999999"
	    " FROM attachments WHERE filename = 'huge.zip'"), 1);
	assert_int_equal(testdb_int(f->db, "SELECT date FROM messages"), 1767225600);
	assert_int_equal(testdb_int(f->db, "SELECT direction = 'in' AND case_id IS NULL"
	    " AND from_addr = 'zhang@qq.com' AND subject = '咨询' FROM messages"), 1);

	/* The same UID again is a duplicate; the same bytes under a new UID are not refused. */
	assert_int_equal(msgstore_insert(f->db, &in, NULL), MD_ERR_EXISTS);
	in.uid = 8;
	assert_int_equal(msgstore_insert(f->db, &in, &found), MD_OK);
	assert_true(found > id);
	assert_int_equal(msgstore_find_sha256(f->db, hex, &found), MD_OK);
	assert_int_equal(found, id);
}

static void
test_unparsed_outgoing_and_transactions(void **state)
{
	struct testdb *f = *state;
	struct msgstore_new in = {
		.raw = "garbage", .raw_len = 7, .received_at = 5,
	};
	struct msgstore_new out = {
		.raw = "From: x\r\n\r\nack\r\n", .raw_len = 16, .outgoing = 1, .received_at = 6,
	};
	int64_t a, b, c;

	in.mailbox = "INBOX";
	in.uidvalidity = 1;
	in.uid = 1;
	assert_int_equal(msgstore_insert(f->db, &in, &a), MD_OK);
	/* Outgoing messages have no IMAP position; many may coexist. */
	assert_int_equal(msgstore_insert(f->db, &out, &b), MD_OK);
	assert_int_equal(msgstore_insert(f->db, &out, &c), MD_OK);
	assert_true(b != c);
	assert_int_equal(testdb_int(f->db, "SELECT count(*) FROM messages WHERE direction = 'out'"),
	    2);
	assert_int_equal(testdb_int(f->db, "SELECT count(*) FROM messages WHERE message_id IS NULL"
	    " AND text = '' AND from_addr IS NULL"), 3);

	/* Inside the caller's transaction, a rollback takes the message back. */
	in.uid = 2;
	assert_int_equal(db_begin(f->db), MD_OK);
	assert_int_equal(msgstore_insert(f->db, &in, &a), MD_OK);
	assert_true(db_in_transaction(f->db));
	assert_int_equal(db_rollback(f->db), MD_OK);
	assert_int_equal(msgstore_find_uid(f->db, "INBOX", 1, 2, NULL), MD_ERR_NOTFOUND);

	in.raw = NULL;
	assert_int_equal(msgstore_insert(f->db, &in, &a), MD_ERR_INPUT);
}

static void
test_set_case(void **state)
{
	struct testdb *f = *state;
	struct msgstore_new in = { .raw = "x", .raw_len = 1, .received_at = 1 };
	int64_t id;

	assert_int_equal(msgstore_insert(f->db, &in, &id), MD_OK);
	assert_int_equal(db_exec(f->db, "INSERT INTO cases (id, number, prefix, year, seq,"
	    " submitted_at, created_at, updated_at) VALUES (5, 'MD-2026-0001', 'MD', 2026, 1,"
	    " 0, 0, 0)"), MD_OK);
	assert_int_equal(msgstore_set_case(f->db, id, 5), MD_OK);
	assert_int_equal(testdb_int(f->db, "SELECT case_id FROM messages"), 5);
	assert_int_equal(msgstore_set_case(f->db, id + 1, 5), MD_ERR_NOTFOUND);
	/* A case that does not exist is refused by the foreign key. */
	assert_int_equal(msgstore_set_case(f->db, id, 6), MD_ERR_DB);
}

static void
test_thread_root(void **state)
{
	struct testdb *f = *state;
	struct message first = { .subject = "", .from_name = "", .text = "",
	    .message_id = "root@members.test" };
	struct message later = { .subject = "", .from_name = "", .text = "",
	    .message_id = "later@chamber.test" };
	struct msgstore_new none = { .raw = "a", .raw_len = 1, .case_id = 5, .received_at = 1 };
	struct msgstore_new in1 = { .raw = "b", .raw_len = 1, .msg = &first, .case_id = 5,
	    .received_at = 2 };
	struct msgstore_new in2 = { .raw = "c", .raw_len = 1, .msg = &later, .case_id = 5,
	    .received_at = 3, .outgoing = 1 };
	char *root = NULL;
	int64_t id;

	assert_int_equal(db_exec(f->db, "INSERT INTO cases (id, number, prefix, year, seq,"
	    " submitted_at, created_at, updated_at) VALUES (5, 'MD-2026-0001', 'MD', 2026, 1,"
	    " 0, 0, 0)"), MD_OK);
	assert_int_equal(msgstore_thread_root(f->db, 5, &root), MD_OK);
	assert_null(root);
	/* A first message without a Message-ID does not start the thread. */
	assert_int_equal(msgstore_insert(f->db, &none, &id), MD_OK);
	assert_int_equal(msgstore_insert(f->db, &in1, &id), MD_OK);
	assert_int_equal(msgstore_insert(f->db, &in2, &id), MD_OK);
	assert_int_equal(msgstore_thread_root(f->db, 5, &root), MD_OK);
	assert_non_null(root);
	assert_string_equal(root, "root@members.test");
	free(root);
}

static void
test_mailbox_state(void **state)
{
	struct testdb *f = *state;
	struct mailbox_state ms = { 0 }, got;

	assert_int_equal(msgstore_mailbox_get(f->db, "INBOX", &got), MD_ERR_NOTFOUND);
	ms.uidvalidity = 4000000000u;
	ms.last_uid = 17;
	ms.last_poll_at = 1767225600;
	assert_int_equal(msgstore_mailbox_set(f->db, "INBOX", &ms), MD_OK);
	assert_int_equal(msgstore_mailbox_get(f->db, "INBOX", &got), MD_OK);
	assert_int_equal(got.uidvalidity, 4000000000u);
	assert_int_equal(got.last_uid, 17);
	assert_int_equal(got.last_poll_at, 1767225600);
	ms.last_uid = 4294967295u;
	assert_int_equal(msgstore_mailbox_set(f->db, "INBOX", &ms), MD_OK);
	assert_int_equal(msgstore_mailbox_get(f->db, "INBOX", &got), MD_OK);
	assert_int_equal(got.last_uid, 4294967295u);
	assert_int_equal(msgstore_mailbox_get(f->db, "Sent", &got), MD_ERR_NOTFOUND);
	assert_int_equal(testdb_int(f->db, "SELECT count(*) FROM mailbox_state"), 1);
}

/* Large raw bytes and attachments are written in steps and read back whole. */
static void
test_large_message_streamed(void **state)
{
	struct testdb *f = *state;
	size_t n = 2 * SPOOL_STEP + 777, i, enc_len = 3 * SPOOL_STEP / 2;
	char *raw, *enc, *back, hex[MSGSTORE_SHA256_HEX], want[MSGSTORE_SHA256_HEX];
	unsigned char *bin;
	struct message_attachment att[2];
	struct message msg = { .subject = "大附件", .text = "", .attachments = att,
	    .n_attachments = 2 };
	struct msgstore_new in = { .mailbox = "INBOX", .uidvalidity = 1, .uid = 9,
	    .msg = &msg, .received_at = 1767225700 };
	sqlite3_stmt *st;
	int64_t id = 0, small = 0;
	size_t len;

	raw = malloc(n);
	enc = malloc(enc_len);
	bin = malloc(enc_len);
	assert_true(raw && enc && bin);
	for (i = 0; i < n; i++)
		raw[i] = (char)(i * 13 + (i >> 12));
	/* "QUJD" decodes to "ABC": a deferred base64 attachment of 3/4 its length. */
	for (i = 0; i < enc_len; i++)
		enc[i] = "QUJD"[i % 4];
	for (i = 0; i < enc_len / 4 * 3; i++)
		bin[i] = (unsigned char)"ABC"[i % 3];
	memset(att, 0, sizeof(att));
	att[0].filename = "合同.pdf";
	att[0].content_type = "application/pdf";
	att[0].size = enc_len / 4 * 3;
	att[0].encoded = enc;
	att[0].encoded_len = enc_len;
	att[0].encoding = MESSAGE_ENC_BASE64;
	/* Kept in memory but large: written in steps too. */
	att[1].filename = "b.bin";
	att[1].content_type = "application/octet-stream";
	att[1].size = enc_len;
	att[1].data = (unsigned char *)enc;
	in.raw = raw;
	in.raw_len = n;
	assert_int_equal(msgstore_insert(f->db, &in, &id), MD_OK);
	assert_false(db_in_transaction(f->db));

	assert_int_equal(msgstore_get_raw(f->db, id, &back, &len), MD_OK);
	assert_int_equal(len, n);
	assert_memory_equal(back, raw, n);
	free(back);
	/* messages.raw stays small; the bytes are in message_raw. */
	assert_int_equal(testdb_int(f->db, "SELECT length(raw) FROM messages"), 0);
	assert_int_equal(testdb_int(f->db, "SELECT length(raw) FROM message_raw"), (long long)n);
	assert_int_equal(msgstore_sha256_hex(raw, n, hex), MD_OK);
	assert_int_equal(msgstore_find_sha256(f->db, hex, NULL), MD_OK);

	/* The deferred attachment is hashed from its encoded bytes, the other from memory. */
	assert_int_equal(db_prepare(f->db, "SELECT data IS NULL, part, size, sha256 FROM attachments"
	    " ORDER BY id", &st), MD_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	assert_int_equal(sqlite3_column_int(st, 1), 0);
	assert_int_equal(sqlite3_column_int64(st, 2), (sqlite3_int64)att[0].size);
	assert_int_equal(msgstore_sha256_hex(bin, att[0].size, want), MD_OK);
	assert_string_equal((const char *)sqlite3_column_text(st, 3), want);
	assert_int_equal(msgstore_attachment_sha256(&att[0], hex), MD_OK);
	assert_string_equal(hex, want);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	assert_int_equal(sqlite3_column_int(st, 1), 1);
	assert_int_equal(msgstore_sha256_hex(enc, enc_len, want), MD_OK);
	assert_string_equal((const char *)sqlite3_column_text(st, 3), want);
	sqlite3_finalize(st);

	/* A small message next to it stays in messages.raw. */
	in.uid = 10;
	in.raw_len = 100;
	in.msg = NULL;
	assert_int_equal(msgstore_insert(f->db, &in, &small), MD_OK);
	assert_int_equal(msgstore_get_raw(f->db, small, &back, &len), MD_OK);
	assert_int_equal(len, 100);
	assert_memory_equal(back, raw, 100);
	free(back);
	assert_int_equal(testdb_int(f->db, "SELECT count(*) FROM message_raw"), 1);

	/* Streaming and one-shot hashing agree. */
	assert_int_equal(msgstore_sha256_hex(raw, 100, want), MD_OK);
	assert_int_equal(msgstore_find_sha256(f->db, want, &id), MD_OK);
	assert_int_equal(id, small);
	free(raw);
	free(enc);
	free(bin);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_known_vector),
		cmocka_unit_test_setup_teardown(test_insert_and_find, testdb_state_setup, testdb_state_teardown),
		cmocka_unit_test_setup_teardown(test_unparsed_outgoing_and_transactions, testdb_state_setup,
		    testdb_state_teardown),
		cmocka_unit_test_setup_teardown(test_set_case, testdb_state_setup, testdb_state_teardown),
		cmocka_unit_test_setup_teardown(test_thread_root, testdb_state_setup, testdb_state_teardown),
		cmocka_unit_test_setup_teardown(test_mailbox_state, testdb_state_setup, testdb_state_teardown),
		cmocka_unit_test_setup_teardown(test_large_message_streamed, testdb_state_setup,
		    testdb_state_teardown),
	};

	log_init("test_msgstore", 1, LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
