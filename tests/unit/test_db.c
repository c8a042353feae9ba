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

#include <sqlite3.h>

#include "db.h"
#include "log.h"
#include "outbox.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_db.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/md.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[160];

	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s/garbage", f->dir);
	unlink(p);
	assert_int_equal(rmdir(f->dir), 0);
	free(f);
	return 0;
}

static long long
query_int(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(db_prepare(db, sql, &st), MD_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
test_fresh_file_is_private_and_migrated(void **state)
{
	struct fixture *f = *state;
	struct db *db = NULL;
	struct stat sb;
	sqlite3_stmt *st;
	mode_t old;

	/* A umask that would leave the owner without write must not matter. */
	old = umask(0277);
	assert_int_equal(db_open(f->path, &db), MD_OK);
	umask(old);
	assert_non_null(db);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(db_schema_version(db), db_code_version());
	assert_true(db_code_version() >= 1);
	assert_int_equal(query_int(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(query_int(db, "PRAGMA synchronous"), 2);
	assert_int_equal(query_int(db, "PRAGMA busy_timeout"), DB_BUSY_TIMEOUT_MS);
	assert_int_equal(db_prepare(db, "PRAGMA journal_mode", &st), MD_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
	    " AND name IN ('members', 'member_addresses', 'cases', 'case_seq', 'messages',"
	    " 'attachments', 'case_events', 'mailbox_state', 'outbox')"), 9);
	assert_int_equal(db_exec(db, "INSERT INTO mailbox_state VALUES ('INBOX', 7, 42, 0)"),
	    MD_OK);
	db_close(db);

	/* Re-open: nothing re-applied, data kept, mode unchanged. */
	assert_int_equal(db_open(f->path, &db), MD_OK);
	assert_int_equal(db_schema_version(db), db_code_version());
	assert_int_equal(query_int(db, "SELECT last_uid FROM mailbox_state"), 42);
	db_close(db);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
}

static void
exec_ok(sqlite3 *h, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
	sqlite3_free(msg);
}

static const char old_notice[] = "From: chamber@chamber.test\r\nTo: a@members.test\r\n"
    "Subject: old\r\nMessage-ID: <old-%d@chamber.test>\r\n\r\nqueued before 7\r\n";

/* The schema version that stores a case's notice once (migration 7). */
#define NOTICES_ONCE_VERSION 7

#define INDEX_WHERE_LOOKED_UP_VERSION 8

/* Does the plan of sql (which takes no parameters) search through index? */
static int
plan_uses(struct db *db, const char *sql, const char *index)
{
	char q[1024], want[128];
	sqlite3_stmt *st;
	int found = 0;

	snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", sql);
	snprintf(want, sizeof(want), "INDEX %s ", index);
	assert_int_equal(db_prepare(db, q, &st), MD_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		if (strstr((const char *)sqlite3_column_text(st, 3), want))
			found = 1;
	sqlite3_finalize(st);
	return found;
}

/*
 * Schema 7 to 8: the hash and recipient indexes keep entries only for the
 * rows they are searched for (incoming mail, sent notices), and the
 * searches as msgstore.c, ratelimit.c and bounce.c write them still use
 * them; rows written before are re-indexed by the same rule.
 */
static void
test_index_entries_only_where_looked_up(void **state)
{
	struct fixture *f = *state;
	struct db *db = NULL;
	char sql[128];
	sqlite3 *h;

	assert_true(db_code_version() >= INDEX_WHERE_LOOKED_UP_VERSION);
	assert_int_equal(db_open(f->path, &db), MD_OK);
	db_close(db);
	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", INDEX_WHERE_LOOKED_UP_VERSION - 1);
	exec_ok(h, "DROP INDEX messages_sha256; CREATE INDEX messages_sha256 ON messages(sha256);"
	    "DROP INDEX outbox_rcpt_sent;"
	    "CREATE INDEX outbox_rcpt_sent ON outbox(rcpt, status, sent_at);"
	    "INSERT INTO messages (message_id, sha256, raw, direction, received_at) VALUES"
	    " ('in@x', 'aa', 'r', 'in', 1), ('out@x', 'bb', 'r', 'out', 1);"
	    "INSERT INTO outbox (kind, message_id, mail_from, rcpt, data, status,"
	    " next_attempt_at, created_at, sent_at) VALUES"
	    " ('ack', 'o1@x', 'f@x', 'a@x', 'd', 'sent', 1, 1, 5),"
	    " ('ack', 'o2@x', 'f@x', 'a@x', 'd', 'queued', 1, 1, NULL);");
	exec_ok(h, sql);
	assert_int_equal(sqlite3_close(h), SQLITE_OK);

	assert_int_equal(db_open(f->path, &db), MD_OK);
	assert_int_equal(db_schema_version(db), db_code_version());
	/* One entry each: the incoming message, the sent notice. */
	assert_int_equal(query_int(db, "SELECT count(*) FROM messages INDEXED BY messages_sha256"
	    " WHERE sha256 > '' AND direction = 'in'"), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM outbox INDEXED BY outbox_rcpt_sent"
	    " WHERE rcpt > '' AND status = 'sent'"), 1);
	assert_true(plan_uses(db, "SELECT id FROM messages WHERE sha256 = 'aa'"
	    " AND direction = 'in' ORDER BY id LIMIT 1", "messages_sha256"));
	assert_true(plan_uses(db, "SELECT sent_at FROM outbox WHERE rcpt = 'a@x'"
	    " AND status = 'sent' AND sent_at > 0 AND kind <> 'reply'"
	    " ORDER BY sent_at DESC LIMIT 1 OFFSET 0", "outbox_rcpt_sent"));
	assert_true(plan_uses(db, "SELECT sent_at FROM outbox WHERE rcpt = 'a@x' AND case_id = 1"
	    " AND status = 'sent' AND sent_at > 0 ORDER BY sent_at DESC LIMIT 1", "outbox_rcpt_sent"));
	assert_true(plan_uses(db, "SELECT id FROM outbox WHERE rcpt = 'a@x' AND status = 'sent'"
	    " AND sent_at >= 0", "outbox_rcpt_sent"));
	/* A notice that is sent enters the index then. */
	assert_int_equal(db_exec(db, "UPDATE outbox SET status = 'sent', sent_at = 6"
	    " WHERE message_id = 'o2@x'"), MD_OK);
	assert_int_equal(query_int(db, "SELECT count(*) FROM outbox INDEXED BY outbox_rcpt_sent"
	    " WHERE rcpt = 'a@x' AND status = 'sent' AND sent_at >= 6"), 1);
	db_close(db);
}

/*
 * Take a closed file at the current schema back to before migration 7,
 * which only adds outbox.message_row (the table's last column: SQLite
 * appends it to the table's SQL) and the outbox_bytes view. DROP COLUMN
 * refuses a column with a REFERENCES clause, so the table's SQL is edited.
 */
static void
undo_notices_once(const char *path)
{
	char sql[64];
	sqlite3 *h;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", NOTICES_ONCE_VERSION - 1);
	exec_ok(h, "PRAGMA writable_schema = ON;"
	    "UPDATE sqlite_master SET sql = replace(sql,"
	    " ', message_row INTEGER REFERENCES messages(id)', '') WHERE name = 'outbox';"
	    "DELETE FROM sqlite_master WHERE name = 'outbox_bytes';"
	    "PRAGMA writable_schema = OFF;");
	exec_ok(h, sql);
	sqlite3_close(h);
}

/*
 * Schema 6 to 7 with notices queued and sent the old way (bytes in
 * outbox.data and again in messages): they keep their bytes and are still
 * sent; notices queued after point at their message.
 */
static void
test_notices_once_migration_keeps_old_notices(void **state)
{
	struct fixture *f = *state;
	struct db *db = NULL;
	struct outbox_item *it;
	struct outbox_new in;
	char data[256], sql[1024];
	sqlite3 *h;
	int i;

	assert_true(db_code_version() >= NOTICES_ONCE_VERSION);
	assert_int_equal(db_open(f->path, &db), MD_OK);
	db_close(db);
	undo_notices_once(f->path);
	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	exec_ok(h, "PRAGMA integrity_check");
	assert_int_equal(sqlite3_exec(h, "SELECT message_row FROM outbox", NULL, NULL, NULL),
	    SQLITE_ERROR);
	/* What schema 6 code wrote: a case, its notices in both places, one sent. */
	exec_ok(h, "INSERT INTO cases (id, number, prefix, year, seq, submitted_at, created_at,"
	    " updated_at) VALUES (1, 'MD-2026-0001', 'MD', 2026, 1, 1, 1, 1)");
	for (i = 1; i <= 2; i++) {
		snprintf(data, sizeof(data), old_notice, i);
		snprintf(sql, sizeof(sql), "INSERT INTO messages (case_id, message_id, sha256, raw,"
		    " direction, received_at) VALUES (1, 'old-%d@chamber.test', 'x', '%s', 'out', 1);"
		    "INSERT INTO outbox (case_id, kind, message_id, mail_from, rcpt, data, status,"
		    " attempts, next_attempt_at, created_at, sent_at) VALUES (1, 'ack',"
		    " 'old-%d@chamber.test', 'chamber@chamber.test', 'a@members.test', CAST('%s' AS"
		    " BLOB), '%s', 0, 1, %d, %s)", i, data, i, data, i == 1 ? "sent" : "queued", i,
		    i == 1 ? "1" : "NULL");
		exec_ok(h, sql);
	}
	sqlite3_close(h);

	assert_int_equal(db_open(f->path, &db), MD_OK);
	assert_int_equal(db_schema_version(db), db_code_version());
	assert_int_equal(query_int(db, "SELECT count(*) FROM outbox WHERE message_row IS NULL"
	    " AND length(data) > 0"), 2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM outbox_bytes b JOIN outbox o"
	    " USING (id) WHERE b.data = o.data"), 2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM outbox WHERE status = 'sent'"), 1);
	/* The queued one goes out with the bytes it was queued with. */
	assert_int_equal(outbox_next_due(db, 100, &it), MD_OK);
	snprintf(data, sizeof(data), old_notice, 2);
	assert_int_equal(it->len, strlen(data));
	assert_memory_equal(it->data, data, it->len);
	assert_int_equal(outbox_mark_sent(db, it->id, 100), MD_OK);
	outbox_item_free(it);
	assert_int_equal(outbox_next_due(db, 100, &it), MD_ERR_NOTFOUND);

	/* A notice queued now is stored once and read from its message. */
	assert_int_equal(db_begin(db), MD_OK);
	snprintf(data, sizeof(data), old_notice, 3);
	snprintf(sql, sizeof(sql), "INSERT INTO messages (case_id, message_id, sha256, raw,"
	    " direction, received_at) VALUES (1, 'old-3@chamber.test', 'x', '%s', 'out', 1)",
	    data);
	assert_int_equal(db_exec(db, sql), MD_OK);
	memset(&in, 0, sizeof(in));
	in.case_id = 1;
	in.kind = "ack";
	in.message_id = "old-3@chamber.test";
	in.mail_from = "chamber@chamber.test";
	in.rcpt = "a@members.test";
	in.data = data;
	in.len = strlen(data);
	in.message_row = sqlite3_last_insert_rowid(db_handle(db));
	assert_int_equal(outbox_queue(db, &in, 200, NULL), MD_OK);
	assert_int_equal(db_commit(db), MD_OK);
	assert_int_equal(query_int(db, "SELECT length(data) FROM outbox"
	    " WHERE message_id = 'old-3@chamber.test'"), 0);
	assert_int_equal(outbox_next_due(db, 300, &it), MD_OK);
	assert_int_equal(it->len, strlen(data));
	assert_memory_equal(it->data, data, it->len);
	outbox_item_free(it);
	db_close(db);
}

static void
test_newer_schema_is_refused(void **state)
{
	struct fixture *f = *state;
	struct db *db = NULL;
	sqlite3 *h;

	assert_int_equal(db_open(f->path, &db), MD_OK);
	db_close(db);
	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(h);
	db = (struct db *)1;
	assert_int_equal(db_open(f->path, &db), MD_ERR_STATE);
	assert_null(db);
}

static void
test_unopenable_and_garbage_files(void **state)
{
	struct fixture *f = *state;
	struct db *db = (struct db *)1;
	char p[160];
	FILE *fp;
	int i;

	assert_int_equal(db_open("/nonexistent-dir-md/x.db", &db), MD_ERR_IO);
	assert_null(db);
	snprintf(p, sizeof(p), "%s/garbage", f->dir);
	fp = fopen(p, "w");
	assert_non_null(fp);
	for (i = 0; i < 200; i++)
		fputs("this is not a database file at all\n", fp);
	fclose(fp);
	assert_int_equal(db_open(p, &db), MD_ERR_DB);
	assert_null(db);
}

static void
test_code_mapping(void **state)
{
	(void)state;
	assert_int_equal(db_map_code(SQLITE_OK), MD_OK);
	assert_int_equal(db_map_code(SQLITE_DONE), MD_OK);
	assert_int_equal(db_map_code(SQLITE_ROW), MD_OK);
	assert_int_equal(db_map_code(SQLITE_BUSY), MD_ERR_TEMP);
	assert_int_equal(db_map_code(SQLITE_BUSY_SNAPSHOT), MD_ERR_TEMP);
	assert_int_equal(db_map_code(SQLITE_LOCKED), MD_ERR_TEMP);
	assert_int_equal(db_map_code(SQLITE_FULL), MD_ERR_IO);
	assert_int_equal(db_map_code(SQLITE_IOERR_FSYNC), MD_ERR_IO);
	assert_int_equal(db_map_code(SQLITE_READONLY), MD_ERR_IO);
	assert_int_equal(db_map_code(SQLITE_CANTOPEN), MD_ERR_IO);
	assert_int_equal(db_map_code(SQLITE_CONSTRAINT_UNIQUE), MD_ERR_EXISTS);
	assert_int_equal(db_map_code(SQLITE_CONSTRAINT_PRIMARYKEY), MD_ERR_EXISTS);
	assert_int_equal(db_map_code(SQLITE_CONSTRAINT_FOREIGNKEY), MD_ERR_DB);
	assert_int_equal(db_map_code(SQLITE_CONSTRAINT_CHECK), MD_ERR_DB);
	assert_int_equal(db_map_code(SQLITE_CORRUPT), MD_ERR_DB);
	assert_int_equal(db_map_code(SQLITE_NOMEM), MD_ERR_NOMEM);
}

static void
test_constraints_map_and_keep_message(void **state)
{
	struct fixture *f = *state;
	struct db *db;
	enum md_err err;

	assert_int_equal(db_open(f->path, &db), MD_OK);
	assert_string_equal(db_errmsg(db), "");
	assert_int_equal(db_exec(db, "INSERT INTO members (id, kind, name, created_at,"
	    " updated_at) VALUES (1, 'individual', '张三', 0, 0)"), MD_OK);
	assert_int_equal(db_exec(db, "INSERT INTO member_addresses VALUES ('a@b.cn', 1)"), MD_OK);
	err = db_exec(db, "INSERT INTO member_addresses VALUES ('a@b.cn', 1)");
	assert_int_equal(err, MD_ERR_EXISTS);
	assert_non_null(strstr(db_errmsg(db), "UNIQUE"));
	/* Foreign keys are enforced. */
	assert_int_equal(db_exec(db, "INSERT INTO member_addresses VALUES ('c@b.cn', 99)"),
	    MD_ERR_DB);
	assert_non_null(strstr(db_errmsg(db), "FOREIGN KEY"));
	/* Upper-case addresses are refused by the schema itself. */
	assert_int_equal(db_exec(db, "INSERT INTO member_addresses VALUES ('A@b.cn', 1)"),
	    MD_ERR_DB);
	/* Case events are append-only. */
	assert_int_equal(db_exec(db, "INSERT INTO cases (id, number, prefix, year, seq,"
	    " submitted_at, created_at, updated_at) VALUES (1, 'MD-2026-0001', 'MD', 2026,"
	    " 1, 0, 0, 0)"), MD_OK);
	assert_int_equal(db_exec(db, "INSERT INTO case_events (case_id, at, kind)"
	    " VALUES (1, 0, 'registered')"), MD_OK);
	assert_int_equal(db_exec(db, "UPDATE case_events SET kind = 'x'"), MD_ERR_DB);
	assert_non_null(strstr(db_errmsg(db), "append-only"));
	assert_int_equal(db_exec(db, "DELETE FROM case_events"), MD_ERR_DB);
	assert_int_equal(query_int(db, "SELECT count(*) FROM case_events"), 1);
	db_close(db);
}

static void
test_transactions(void **state)
{
	struct fixture *f = *state;
	struct db *db;

	assert_int_equal(db_open(f->path, &db), MD_OK);
	assert_false(db_in_transaction(db));
	assert_int_equal(db_commit(db), MD_ERR_STATE);
	assert_int_equal(db_rollback(db), MD_OK);
	assert_int_equal(db_begin(db), MD_OK);
	assert_true(db_in_transaction(db));
	assert_int_equal(db_begin(db), MD_ERR_STATE);
	assert_int_equal(db_exec(db, "INSERT INTO mailbox_state VALUES ('A', 1, 1, 0)"), MD_OK);
	assert_int_equal(db_rollback(db), MD_OK);
	assert_false(db_in_transaction(db));
	assert_int_equal(query_int(db, "SELECT count(*) FROM mailbox_state"), 0);
	assert_int_equal(db_begin(db), MD_OK);
	assert_int_equal(db_exec(db, "INSERT INTO mailbox_state VALUES ('A', 1, 1, 0)"), MD_OK);
	assert_int_equal(db_commit(db), MD_OK);
	assert_int_equal(query_int(db, "SELECT count(*) FROM mailbox_state"), 1);
	db_close(db);
}

/* Sync later switches synchronous FULL <-> NORMAL, never inside a transaction. */
static void
test_sync_later(void **state)
{
	struct fixture *f = *state;
	struct db *db;

	assert_int_equal(db_open(f->path, &db), MD_OK);
	assert_int_equal(query_int(db, "PRAGMA synchronous"), 2);
	assert_int_equal(db_set_sync_later(db, 1), MD_OK);
	assert_int_equal(query_int(db, "PRAGMA synchronous"), 1);
	/* Commits made meanwhile are commits like any other. */
	assert_int_equal(db_begin(db), MD_OK);
	assert_int_equal(db_set_sync_later(db, 0), MD_ERR_STATE);
	assert_int_equal(query_int(db, "PRAGMA synchronous"), 1);
	assert_int_equal(db_exec(db, "INSERT INTO mailbox_state VALUES ('A', 1, 1, 0)"), MD_OK);
	assert_int_equal(db_commit(db), MD_OK);
	assert_int_equal(db_set_sync_later(db, 1), MD_OK);
	assert_int_equal(query_int(db, "PRAGMA synchronous"), 1);
	assert_int_equal(db_set_sync_later(db, 0), MD_OK);
	assert_int_equal(query_int(db, "PRAGMA synchronous"), 2);
	assert_int_equal(db_batch_begin(db), MD_OK);
	assert_int_equal(db_set_sync_later(db, 1), MD_ERR_STATE);
	assert_int_equal(query_int(db, "PRAGMA synchronous"), 2);
	db_batch_rollback(db);
	db_close(db);
	assert_int_equal(db_open(f->path, &db), MD_OK);
	assert_int_equal(query_int(db, "SELECT count(*) FROM mailbox_state"), 1);
	db_close(db);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void
test_busy_maps_to_temp(void **state)
{
	struct fixture *f = *state;
	struct db *db;
	sqlite3 *other;
	double t0, elapsed;

	assert_int_equal(db_open(f->path, &db), MD_OK);
	assert_int_equal(db_set_busy_timeout(db, 150), MD_OK);
	assert_int_equal(db_set_busy_timeout(db, -1), MD_ERR_INPUT);
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);

	t0 = now_ms();
	assert_int_equal(db_begin(db), MD_ERR_TEMP);
	elapsed = now_ms() - t0;
	assert_true(elapsed >= 100);
	assert_true(md_err_is_temporary(MD_ERR_TEMP));
	assert_non_null(strstr(db_errmsg(db), "locked"));
	assert_false(db_in_transaction(db));

	/* Readers are not blocked by a writer in WAL mode. */
	assert_int_equal(query_int(db, "SELECT count(*) FROM members"), 0);

	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(db_begin(db), MD_OK);
	assert_int_equal(db_commit(db), MD_OK);
	db_close(db);
}

static void
test_column_dup(void **state)
{
	struct fixture *f = *state;
	struct db *db;
	sqlite3_stmt *st;
	char *a, *b;

	assert_int_equal(db_open(f->path, &db), MD_OK);
	assert_int_equal(db_prepare(db, "SELECT NULL, '商会'", &st), MD_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(db_column_dup(st, 0, &a), MD_OK);
	assert_null(a);
	assert_int_equal(db_column_dup_empty(st, 0, &a), MD_OK);
	assert_string_equal(a, "");
	assert_int_equal(db_column_dup(st, 1, &b), MD_OK);
	assert_string_equal(b, "商会");
	free(a);
	free(b);
	sqlite3_finalize(st);
	assert_int_equal(db_prepare(db, "SELECT nonsense FROM nowhere", &st), MD_ERR_DB);
	assert_null(st);
	db_close(db);
}

/* The same SQL text gets the same statement back, reset and unbound. */
static void
test_cached_statement_reused_and_cleared(void **state)
{
	struct fixture *f = *state;
	char sql[64];
	sqlite3_stmt *a, *b;
	struct db *db;

	assert_int_equal(db_open(f->path, &db), MD_OK);
	assert_int_equal(db_exec(db, "INSERT INTO mailbox_state VALUES ('A', 1, 1, 0);"
	    "INSERT INTO mailbox_state VALUES ('B', 1, 2, 0)"), MD_OK);
	assert_int_equal(db_prepare_cached(db, "SELECT ?1, mailbox FROM mailbox_state"
	    " ORDER BY mailbox", &a), MD_OK);
	sqlite3_bind_int(a, 1, 42);
	assert_int_equal(sqlite3_step(a), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(a, 0), 42);
	assert_string_equal((const char *)sqlite3_column_text(a, 1), "A");
	/* Released half-way through its rows. */
	db_release(db, a);

	/* Compared by content: a copy of the text in another buffer finds it. */
	snprintf(sql, sizeof(sql), "%s", "SELECT ?1, mailbox FROM mailbox_state ORDER BY mailbox");
	assert_int_equal(db_prepare_cached(db, sql, &b), MD_OK);
	assert_ptr_equal(a, b);
	assert_int_equal(sqlite3_step(b), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(b, 0), SQLITE_NULL);
	assert_string_equal((const char *)sqlite3_column_text(b, 1), "A");
	db_release(db, b);
	db_release(db, NULL);
	db_close(db);
}

/* A statement in use is never shared: nested users get a private one. */
static void
test_cached_statement_in_use_is_not_shared(void **state)
{
	struct fixture *f = *state;
	static const char sql[] = "SELECT mailbox FROM mailbox_state WHERE last_uid = ?";
	sqlite3_stmt *outer, *inner, *again;
	struct db *db;

	assert_int_equal(db_open(f->path, &db), MD_OK);
	assert_int_equal(db_exec(db, "INSERT INTO mailbox_state VALUES ('A', 1, 1, 0);"
	    "INSERT INTO mailbox_state VALUES ('B', 1, 2, 0)"), MD_OK);
	assert_int_equal(db_prepare_cached(db, sql, &outer), MD_OK);
	sqlite3_bind_int(outer, 1, 1);
	assert_int_equal(sqlite3_step(outer), SQLITE_ROW);
	assert_int_equal(db_prepare_cached(db, sql, &inner), MD_OK);
	assert_ptr_not_equal(outer, inner);
	sqlite3_bind_int(inner, 1, 2);
	assert_int_equal(sqlite3_step(inner), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(inner, 0), "B");
	/* The private one is finalized (the leak checker would see it otherwise). */
	db_release(db, inner);
	assert_string_equal((const char *)sqlite3_column_text(outer, 0), "A");
	db_release(db, outer);
	assert_int_equal(db_prepare_cached(db, sql, &again), MD_OK);
	assert_ptr_equal(again, outer);
	db_release(db, again);
	db_close(db);
}

/* Errors are not cached; a full table hands out private statements; db_close() frees all. */
static void
test_cached_statement_errors_and_full_table(void **state)
{
	struct fixture *f = *state;
	sqlite3_stmt *st, *held[200];
	char sql[64];
	struct db *db;
	int i;

	assert_int_equal(db_open(f->path, &db), MD_OK);
	assert_int_equal(db_prepare_cached(db, "SELECT x FROM nowhere", &st), MD_ERR_DB);
	assert_null(st);
	assert_non_null(strstr(db_errmsg(db), "no such"));
	assert_int_equal(db_prepare_cached(db, "SELECT x FROM nowhere", &st), MD_ERR_DB);

	/* More distinct statements than the table holds, all held at once. */
	for (i = 0; i < 200; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		assert_int_equal(db_prepare_cached(db, sql, &held[i]), MD_OK);
		assert_int_equal(sqlite3_step(held[i]), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(held[i], 0), i);
	}
	for (i = 0; i < 200; i++)
		db_release(db, held[i]);
	/* Uncached statements from db_prepare() are finalized by db_release() too. */
	assert_int_equal(db_prepare(db, "SELECT 1", &st), MD_OK);
	db_release(db, st);
	/* A cached statement survives a schema change (SQLite prepares it again). */
	assert_int_equal(db_prepare_cached(db, "SELECT count(*) FROM mailbox_state", &st), MD_OK);
	db_release(db, st);
	assert_int_equal(db_exec(db, "CREATE TABLE extra (x)"), MD_OK);
	assert_int_equal(db_prepare_cached(db, "SELECT count(*) FROM mailbox_state", &st), MD_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	db_release(db, st);
	db_close(db);
}

/* A batch: db_begin()/db_commit()/db_rollback() inside it work on savepoints. */
static void
test_batch(void **state)
{
	struct fixture *f = *state;
	struct db *db;

	assert_int_equal(db_open(f->path, &db), MD_OK);
	assert_int_equal(db_batch_commit(db), MD_ERR_STATE);
	assert_false(db_in_batch(db));
	assert_int_equal(db_batch_begin(db), MD_OK);
	assert_true(db_in_batch(db));
	assert_int_equal(db_batch_begin(db), MD_ERR_STATE);
	/* Nothing of the caller's own to commit or undo between units. */
	assert_int_equal(db_commit(db), MD_ERR_STATE);
	assert_int_equal(db_rollback(db), MD_OK);
	assert_true(db_in_transaction(db));

	assert_int_equal(db_begin(db), MD_OK);
	assert_int_equal(db_begin(db), MD_ERR_STATE);
	assert_int_equal(db_exec(db, "INSERT INTO mailbox_state VALUES ('A', 1, 1, 0)"), MD_OK);
	assert_int_equal(db_commit(db), MD_OK);
	assert_int_equal(db_begin(db), MD_OK);
	assert_int_equal(db_exec(db, "INSERT INTO mailbox_state VALUES ('B', 1, 1, 0)"), MD_OK);
	assert_int_equal(db_rollback(db), MD_OK);
	assert_int_equal(db_begin(db), MD_OK);
	assert_int_equal(db_exec(db, "INSERT INTO mailbox_state VALUES ('C', 1, 1, 0)"), MD_OK);
	assert_int_equal(db_commit(db), MD_OK);
	assert_true(db_in_transaction(db));
	assert_int_equal(db_batch_commit(db), MD_OK);
	assert_false(db_in_batch(db));
	assert_false(db_in_transaction(db));
	assert_int_equal(query_int(db, "SELECT count(*) FROM mailbox_state"), 2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM mailbox_state WHERE mailbox = 'B'"),
	    0);

	/* A unit left open: the whole batch is dropped. */
	assert_int_equal(db_batch_begin(db), MD_OK);
	assert_int_equal(db_begin(db), MD_OK);
	assert_int_equal(db_exec(db, "INSERT INTO mailbox_state VALUES ('D', 1, 1, 0)"), MD_OK);
	assert_int_equal(db_batch_commit(db), MD_ERR_STATE);
	assert_false(db_in_transaction(db));
	assert_int_equal(query_int(db, "SELECT count(*) FROM mailbox_state"), 2);

	/* db_batch_rollback() drops units already released. */
	assert_int_equal(db_batch_begin(db), MD_OK);
	assert_int_equal(db_begin(db), MD_OK);
	assert_int_equal(db_exec(db, "INSERT INTO mailbox_state VALUES ('E', 1, 1, 0)"), MD_OK);
	assert_int_equal(db_commit(db), MD_OK);
	db_batch_rollback(db);
	db_batch_rollback(db);
	assert_false(db_in_batch(db));
	assert_int_equal(query_int(db, "SELECT count(*) FROM mailbox_state"), 2);

	/*
	 * SQLite ending the transaction by itself (as after SQLITE_FULL) loses
	 * the batch: it must not be reported committed, nor a unit opened.
	 */
	assert_int_equal(db_batch_begin(db), MD_OK);
	assert_int_equal(db_begin(db), MD_OK);
	assert_int_equal(db_exec(db, "INSERT INTO mailbox_state VALUES ('F', 1, 1, 0)"), MD_OK);
	assert_int_equal(db_commit(db), MD_OK);
	assert_int_equal(sqlite3_exec(db_handle(db), "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(db_begin(db), MD_ERR_DB);
	assert_int_equal(db_batch_commit(db), MD_ERR_DB);
	assert_non_null(strstr(db_errmsg(db), "rolled back"));
	assert_int_equal(query_int(db, "SELECT count(*) FROM mailbox_state"), 2);

	/* Plain transactions work again afterwards, and db_close() ends an open batch. */
	assert_int_equal(db_begin(db), MD_OK);
	assert_int_equal(db_commit(db), MD_OK);
	assert_int_equal(db_batch_begin(db), MD_OK);
	assert_int_equal(db_begin(db), MD_OK);
	assert_int_equal(db_exec(db, "INSERT INTO mailbox_state VALUES ('G', 1, 1, 0)"), MD_OK);
	assert_int_equal(db_commit(db), MD_OK);
	db_close(db);
	assert_int_equal(db_open(f->path, &db), MD_OK);
	assert_int_equal(query_int(db, "SELECT count(*) FROM mailbox_state"), 2);
	db_close(db);
}

/*
 * Units that overwrite megabytes of existing pages: their savepoint
 * journals are held in memory (db_batch_begin()), and rolling one back
 * must restore every page. With SQLite 3.40's statement-journal spill
 * setting above 128 KiB such a unit failed with SQLITE_FULL.
 */
static void
test_batch_unit_overwriting_many_pages(void **state)
{
	struct fixture *f = *state;
	struct db *db;
	long long sum;

	assert_int_equal(db_open(f->path, &db), MD_OK);
	assert_int_equal(db_exec(db, "CREATE TABLE big (id INTEGER PRIMARY KEY, v BLOB);"
	    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000)"
	    " INSERT INTO big SELECT x, zeroblob(1000) FROM c"), MD_OK);
	assert_int_equal(db_batch_begin(db), MD_OK);
	assert_int_equal(db_begin(db), MD_OK);
	assert_int_equal(db_exec(db, "UPDATE big SET v = randomblob(1000)"), MD_OK);
	assert_int_equal(db_rollback(db), MD_OK);
	assert_int_equal(db_begin(db), MD_OK);
	assert_int_equal(db_exec(db, "UPDATE big SET v = randomblob(999) WHERE id % 2 = 0"),
	    MD_OK);
	assert_int_equal(db_commit(db), MD_OK);
	assert_int_equal(db_begin(db), MD_OK);
	assert_int_equal(db_exec(db, "UPDATE big SET v = randomblob(998)"), MD_OK);
	assert_int_equal(db_rollback(db), MD_OK);
	assert_int_equal(db_batch_commit(db), MD_OK);
	/* Odd rows kept their zeroblob, even ones the committed unit's value. */
	sum = query_int(db, "SELECT sum(length(v)) FROM big");
	assert_int_equal(sum, 1500LL * 1000 + 1500LL * 999);
	assert_int_equal(query_int(db, "SELECT count(*) FROM big WHERE id % 2 = 1 AND"
	    " v = zeroblob(1000)"), 1500);
	db_close(db);
}

/* The migration that keeps attachments once (their rows lose the bytes). */
#define ATTACH_ONCE_VERSION	6

/* A database from before it is brought forward; its attachments keep their bytes. */
static void
test_attachments_once_migration_keeps_old_rows(void **state)
{
	struct fixture *f = *state;
	struct db *db = NULL;
	sqlite3 *h;
	char sql[64];

	assert_true(db_code_version() >= ATTACH_ONCE_VERSION);
	assert_int_equal(db_open(f->path, &db), MD_OK);
	db_close(db);
	undo_notices_once(f->path);
	/* Back to the schema before: the two columns did not exist. */
	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", ATTACH_ONCE_VERSION - 1);
	assert_int_equal(sqlite3_exec(h, "ALTER TABLE attachments DROP COLUMN part;"
	    "ALTER TABLE attachments DROP COLUMN sha256;"
	    "INSERT INTO messages (id, sha256, raw, direction, received_at)"
	    " VALUES (1, 'x', 'raw', 'in', 0);"
	    "INSERT INTO attachments (message_id, filename, size, data)"
	    " VALUES (1, 'a.txt', 3, X'616263'), (1, 'big.zip', 99999999, NULL);",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);

	assert_int_equal(db_open(f->path, &db), MD_OK);
	assert_int_equal(db_schema_version(db), db_code_version());
	assert_int_equal(query_int(db, "SELECT count(*) FROM attachments WHERE part IS NULL"
	    " AND sha256 IS NULL"), 2);
	assert_int_equal(query_int(db, "SELECT data = X'616263' FROM attachments"
	    " WHERE filename = 'a.txt'"), 1);
	assert_int_equal(query_int(db, "SELECT data IS NULL FROM attachments"
	    " WHERE filename = 'big.zip'"), 1);
	assert_int_equal(db_exec(db, "INSERT INTO attachments (message_id, filename, size, part,"
	    " sha256) VALUES (1, 'b.pdf', 7, 0, 'abc')"), MD_OK);
	assert_int_equal(query_int(db, "SELECT count(*) FROM attachments"), 3);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_file_is_private_and_migrated, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attachments_once_migration_keeps_old_rows,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_entries_only_where_looked_up, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_notices_once_migration_keeps_old_notices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unopenable_and_garbage_files, setup,
		    teardown),
		cmocka_unit_test(test_code_mapping),
		cmocka_unit_test_setup_teardown(test_constraints_map_and_keep_message, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_later, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_maps_to_temp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_column_dup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_unit_overwriting_many_pages, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cached_statement_reused_and_cleared, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cached_statement_in_use_is_not_shared, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cached_statement_errors_and_full_table, setup,
		    teardown),
	};

	log_init("test_db", 1, LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
