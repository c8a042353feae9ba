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
#include "outbox.h"
#include "testenv.h"

static const char notice[] = "From: chamber@example.cn\r\nTo: a@qq.com\r\n"
    "Subject: =?UTF-8?B?5Zue5omn?=\r\n\r\n您的诉求已登记。\r\n";

static enum md_err
queue(struct testdb *f, const char *msgid, const char *rcpt, time_t now, int64_t *id)
{
	struct outbox_new in = {
		.kind = "ack", .message_id = msgid, .mail_from = "chamber@example.cn",
		.rcpt = rcpt, .data = notice, .len = sizeof(notice) - 1,
	};
	enum md_err err;

	assert_int_equal(db_begin(f->db), MD_OK);
	err = outbox_queue(f->db, &in, now, id);
	if (err)
		assert_int_equal(db_rollback(f->db), MD_OK);
	else
		assert_int_equal(db_commit(f->db), MD_OK);
	return err;
}

static void
test_queue_validation(void **state)
{
	struct testdb *f = *state;
	struct outbox_new in = {
		.kind = "ack", .message_id = "m1@example.cn", .mail_from = "chamber@example.cn",
		.rcpt = "a@qq.com", .data = notice, .len = sizeof(notice) - 1,
	};
	struct outbox_counts c;

	/* Outside a transaction the caller could lose the notice: refused. */
	assert_int_equal(outbox_queue(f->db, &in, 1, NULL), MD_ERR_STATE);
	assert_int_equal(queue(f, "m1@example.cn", "a@qq.com\r\nRCPT TO:<evil@x.cn>", 1, NULL),
	    MD_ERR_INPUT);
	assert_int_equal(queue(f, "m1@example.cn", "<a@qq.com>", 1, NULL), MD_ERR_INPUT);
	assert_int_equal(queue(f, "m1@example.cn", "a b@qq.com", 1, NULL), MD_ERR_INPUT);
	assert_int_equal(queue(f, "m1@example.cn", "qq.com", 1, NULL), MD_ERR_INPUT);
	assert_int_equal(queue(f, "", "a@qq.com", 1, NULL), MD_ERR_INPUT);
	assert_int_equal(db_begin(f->db), MD_OK);
	in.data = "Subject: x\nbare LF\r\n";
	in.len = strlen(in.data);
	assert_int_equal(outbox_queue(f->db, &in, 1, NULL), MD_ERR_INPUT);
	in.data = "Subject: x\r\rbare CR\r\n";
	in.len = strlen(in.data);
	assert_int_equal(outbox_queue(f->db, &in, 1, NULL), MD_ERR_INPUT);
	in.data = "\nSubject: x\r\n";    /* LF first */
	in.len = strlen(in.data);
	assert_int_equal(outbox_queue(f->db, &in, 1, NULL), MD_ERR_INPUT);
	in.data = "Subject: x\r\n\r\nbody\r";    /* CR last */
	in.len = strlen(in.data);
	assert_int_equal(outbox_queue(f->db, &in, 1, NULL), MD_ERR_INPUT);
	in.data = "Subject: x\r\n\r\nbody\n\r";    /* LF CR */
	in.len = strlen(in.data);
	assert_int_equal(outbox_queue(f->db, &in, 1, NULL), MD_ERR_INPUT);
	in.data = "Subject: x\r\n\r\nbody\r\n";
	in.len = strlen(in.data) - 1;    /* a length that ends on the CR */
	assert_int_equal(outbox_check(&in), MD_ERR_INPUT);
	in.len++;
	assert_int_equal(outbox_check(&in), MD_OK);
	in.data = notice;
	in.len = sizeof(notice) - 1;
	in.mail_from = "";    /* the null sender is allowed */
	assert_int_equal(outbox_queue(f->db, &in, 1, NULL), MD_OK);
	assert_int_equal(db_commit(f->db), MD_OK);
	assert_int_equal(queue(f, "m1@example.cn", "b@qq.com", 1, NULL), MD_ERR_EXISTS);
	assert_int_equal(outbox_counts(f->db, &c), MD_OK);
	assert_int_equal(c.queued, 1);
	assert_true(outbox_address_ok("li.si+x@mail.qq.com"));
	assert_false(outbox_address_ok("a@b@c"));
}

static void
test_order_retry_and_fail(void **state)
{
	struct testdb *f = *state;
	struct outbox_item *it;
	struct outbox_counts c;
	int64_t a, b, z;

	assert_int_equal(queue(f, "a@example.cn", "a@qq.com", 100, &a), MD_OK);
	assert_int_equal(queue(f, "b@example.cn", "b@qq.com", 101, &b), MD_OK);
	assert_int_equal(outbox_next_due(f->db, 99, &it), MD_ERR_NOTFOUND);
	assert_null(it);

	/* Oldest first; taking does not change anything. */
	assert_int_equal(outbox_next_due(f->db, 150, &it), MD_OK);
	assert_int_equal(it->id, a);
	assert_int_equal(it->attempts, 0);
	assert_string_equal(it->rcpt, "a@qq.com");
	assert_string_equal(it->kind, "ack");
	assert_int_equal(it->len, sizeof(notice) - 1);
	assert_memory_equal(it->data, notice, it->len);
	assert_null(it->last_error);
	outbox_item_free(it);
	assert_int_equal(outbox_next_due(f->db, 150, &it), MD_OK);
	assert_int_equal(it->id, a);
	outbox_item_free(it);

	/* A temporary failure moves the item out of the way until its time. */
	assert_int_equal(outbox_mark_retry(f->db, a, 200, "451 4.3.0 try again later"), MD_OK);
	assert_int_equal(outbox_next_due(f->db, 150, &it), MD_OK);
	assert_int_equal(it->id, b);
	outbox_item_free(it);
	assert_int_equal(outbox_mark_sent(f->db, b, 151), MD_OK);
	assert_int_equal(outbox_next_due(f->db, 199, &it), MD_ERR_NOTFOUND);
	assert_int_equal(outbox_next_due(f->db, 200, &it), MD_OK);
	assert_int_equal(it->id, a);
	assert_int_equal(it->attempts, 1);
	assert_int_equal(it->next_attempt_at, 200);
	assert_string_equal(it->last_error, "451 4.3.0 try again later");
	outbox_item_free(it);

	assert_int_equal(outbox_counts(f->db, &c), MD_OK);
	assert_int_equal(c.queued, 1);
	assert_int_equal(c.sent, 1);
	assert_int_equal(c.failed, 0);
	assert_int_equal(c.oldest_queued, 100);

	assert_int_equal(outbox_mark_failed(f->db, a, "550 5.1.1 no such user"), MD_OK);
	assert_int_equal(outbox_next_due(f->db, 10000, &it), MD_ERR_NOTFOUND);
	assert_int_equal(outbox_counts(f->db, &c), MD_OK);
	assert_int_equal(c.queued, 0);
	assert_int_equal(c.sent, 1);
	assert_int_equal(c.failed, 1);
	assert_int_equal(c.oldest_queued, 0);

	/* Finished items cannot change again; unknown ones are not found. */
	assert_int_equal(outbox_mark_sent(f->db, a, 300), MD_ERR_STATE);
	assert_int_equal(outbox_mark_retry(f->db, b, 300, NULL), MD_ERR_STATE);
	assert_int_equal(outbox_mark_failed(f->db, b, NULL), MD_ERR_STATE);
	z = a + b + 100;
	assert_int_equal(outbox_mark_sent(f->db, z, 300), MD_ERR_NOTFOUND);
	assert_int_equal(outbox_mark_retry(f->db, z, 300, "x"), MD_ERR_NOTFOUND);
}

static void
test_long_error_is_cut_on_a_character(void **state)
{
	struct testdb *f = *state;
	struct outbox_item *it;
	char err[3001];
	int64_t a;
	size_t i;

	/* 3-byte characters: a cut at 1000 bytes would land inside one. */
	for (i = 0; i + 3 <= 3000; i += 3)
		memcpy(err + i, "错", 3);
	err[i] = '\0';
	assert_int_equal(queue(f, "a@example.cn", "a@qq.com", 1, &a), MD_OK);
	assert_int_equal(outbox_mark_retry(f->db, a, 1, err), MD_OK);
	assert_int_equal(outbox_next_due(f->db, 1, &it), MD_OK);
	assert_true(strlen(it->last_error) <= OUTBOX_ERROR_MAX);
	assert_true(strlen(it->last_error) >= OUTBOX_ERROR_MAX - 3);
	assert_int_equal(strlen(it->last_error) % 3, 0);
	outbox_item_free(it);
}

static void
test_due_ids_in_batches(void **state)
{
	struct testdb *f = *state;
	struct outbox_item *it;
	int64_t a, b, c, ids[4];
	size_t n;

	assert_int_equal(outbox_due_ids(f->db, 1000, ids, 4, &n), MD_ERR_NOTFOUND);
	assert_int_equal(n, 0);
	/* Created later but queued first: the order is created_at, then id. */
	assert_int_equal(queue(f, "c@example.cn", "c@qq.com", 300, &c), MD_OK);
	assert_int_equal(queue(f, "a@example.cn", "a@qq.com", 100, &a), MD_OK);
	assert_int_equal(queue(f, "b@example.cn", "b@qq.com", 100, &b), MD_OK);
	assert_int_equal(outbox_due_ids(f->db, 99, ids, 4, &n), MD_ERR_NOTFOUND);
	assert_int_equal(outbox_due_ids(f->db, 1000, ids, 0, &n), MD_ERR_INPUT);
	assert_int_equal(outbox_due_ids(f->db, 1000, ids, 4, &n), MD_OK);
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], a);
	assert_int_equal(ids[1], b);
	assert_int_equal(ids[2], c);
	assert_int_equal(outbox_due_ids(f->db, 1000, ids, 2, &n), MD_OK);
	assert_int_equal(n, 2);
	assert_int_equal(ids[1], b);
	assert_int_equal(outbox_due_ids(f->db, 200, ids, 4, &n), MD_OK);
	assert_int_equal(n, 2);

	/* Taken by id only while still queued and due. */
	assert_int_equal(outbox_get_due(f->db, b, 1000, &it), MD_OK);
	assert_int_equal(it->id, b);
	assert_string_equal(it->rcpt, "b@qq.com");
	assert_int_equal(it->len, sizeof(notice) - 1);
	assert_memory_equal(it->data, notice, it->len);
	outbox_item_free(it);
	assert_int_equal(outbox_get_due(f->db, c, 299, &it), MD_ERR_NOTFOUND);
	assert_null(it);
	assert_int_equal(outbox_mark_sent(f->db, a, 1000), MD_OK);
	assert_int_equal(outbox_get_due(f->db, a, 1000, &it), MD_ERR_NOTFOUND);
	assert_int_equal(outbox_mark_retry(f->db, b, 2000, NULL), MD_OK);
	assert_int_equal(outbox_get_due(f->db, b, 1000, &it), MD_ERR_NOTFOUND);
	assert_int_equal(outbox_get_due(f->db, a + b + c, 1000, &it), MD_ERR_NOTFOUND);
	assert_int_equal(outbox_due_ids(f->db, 1000, ids, 4, &n), MD_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], c);
}

/* An outgoing messages row holding raw (len bytes); its id. */
static int64_t
message_row(struct testdb *f, const char *raw, size_t len)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db_handle(f->db), "INSERT INTO messages (sha256, raw,"
	    " direction, received_at) VALUES ('x', ?, 'out', 1)", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_blob64(st, 1, raw, len, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	return sqlite3_last_insert_rowid(db_handle(f->db));
}

static void
test_bytes_kept_with_the_message_are_read_from_it(void **state)
{
	struct testdb *f = *state;
	struct outbox_new in = {
		.kind = "ack", .message_id = "m1@example.cn", .mail_from = "chamber@example.cn",
		.rcpt = "a@qq.com", .data = notice, .len = sizeof(notice) - 1,
	};
	struct outbox_item *it;
	sqlite3_stmt *st;
	int64_t a, b, c, row;
	char *big, sql[200];
	size_t big_len = 1024 * 1024 + 3, i;

	/* Checked like any other: a bad notice is refused before anything is written. */
	in.rcpt = "<a@qq.com>";
	assert_int_equal(outbox_check(&in), MD_ERR_INPUT);
	in.rcpt = "a@qq.com";
	assert_int_equal(outbox_check(&in), MD_OK);

	assert_int_equal(db_begin(f->db), MD_OK);
	in.message_row = row = message_row(f, notice, sizeof(notice) - 1);
	assert_int_equal(outbox_queue(f->db, &in, 10, &a), MD_OK);
	/* A large message's bytes are in message_raw (msgstore.c); read from there too. */
	big = malloc(big_len);
	assert_non_null(big);
	for (i = 0; i < big_len; i++)
		big[i] = (i % 80 == 78) ? '\r' : (i % 80 == 79) ? '\n' : (char)('a' + i % 26);
	in.message_row = message_row(f, "", 0);
	assert_int_equal(sqlite3_exec(db_handle(f->db), "INSERT INTO message_raw (message_id, raw)"
	    " SELECT max(id), zeroblob(0) FROM messages", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db_handle(f->db), "UPDATE message_raw SET raw = ?"
	    " WHERE message_id = ?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_blob64(st, 1, big, big_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, in.message_row);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	in.message_id = "m2@example.cn";
	in.data = big;
	in.len = big_len;
	assert_int_equal(outbox_queue(f->db, &in, 11, &b), MD_OK);
	/* A row of its own (no message): the bytes stay in the outbox. */
	in.message_id = "m3@example.cn";
	in.message_row = 0;
	in.data = notice;
	in.len = sizeof(notice) - 1;
	assert_int_equal(outbox_queue(f->db, &in, 12, &c), MD_OK);
	/* A message that does not exist cannot be pointed at. */
	in.message_id = "m4@example.cn";
	in.message_row = row + 100;
	assert_int_equal(outbox_queue(f->db, &in, 12, NULL), MD_ERR_DB);
	assert_int_equal(db_commit(f->db), MD_OK);

	/* Stored once: the outbox rows pointing at a message hold no bytes. */
	assert_int_equal(testdb_int(f->db, "SELECT sum(length(data)) FROM outbox"
	    " WHERE message_row IS NOT NULL"), 0);
	assert_int_equal(testdb_int(f->db, "SELECT length(data) FROM outbox"
	    " WHERE message_row IS NULL"), (long long)sizeof(notice) - 1);

	assert_int_equal(outbox_next_due(f->db, 100, &it), MD_OK);
	assert_int_equal(it->id, a);
	assert_int_equal(it->len, sizeof(notice) - 1);
	assert_memory_equal(it->data, notice, sizeof(notice) - 1);
	assert_int_equal(it->data[it->len], '\0');
	outbox_item_free(it);
	assert_int_equal(outbox_get_due(f->db, b, 100, &it), MD_OK);
	assert_int_equal(it->len, big_len);
	assert_memory_equal(it->data, big, big_len);
	outbox_item_free(it);
	assert_int_equal(outbox_get_due(f->db, c, 100, &it), MD_OK);
	assert_memory_equal(it->data, notice, sizeof(notice) - 1);
	outbox_item_free(it);
	free(big);

	/* The message of a notice cannot be deleted from under it. */
	assert_int_not_equal(sqlite3_exec(db_handle(f->db), "DELETE FROM messages WHERE id IN"
	    " (SELECT message_row FROM outbox)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(testdb_int(f->db, "SELECT count(*) FROM outbox_bytes"
	    " WHERE data IS NOT NULL AND length(data) > 0"), 3);
	/* Should it be gone anyway (foreign keys off), the item is an error, not empty mail. */
	snprintf(sql, sizeof(sql), "PRAGMA foreign_keys = OFF; DELETE FROM messages WHERE id ="
	    " (SELECT message_row FROM outbox WHERE id = %lld); PRAGMA foreign_keys = ON",
	    (long long)a);
	assert_int_equal(sqlite3_exec(db_handle(f->db), sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(outbox_get_due(f->db, a, 100, &it), MD_ERR_DB);
	assert_null(it);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue_validation, testdb_state_setup, testdb_state_teardown),
		cmocka_unit_test_setup_teardown(test_order_retry_and_fail, testdb_state_setup, testdb_state_teardown),
		cmocka_unit_test_setup_teardown(test_long_error_is_cut_on_a_character, testdb_state_setup,
		    testdb_state_teardown),
		cmocka_unit_test_setup_teardown(test_due_ids_in_batches, testdb_state_setup,
		    testdb_state_teardown),
		cmocka_unit_test_setup_teardown(test_bytes_kept_with_the_message_are_read_from_it,
		    testdb_state_setup, testdb_state_teardown),
	};

	log_init("test_outbox", 1, LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
