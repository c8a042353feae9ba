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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_file_is_private_and_migrated, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unopenable_and_garbage_files, setup,
		    teardown),
		cmocka_unit_test(test_code_mapping),
		cmocka_unit_test_setup_teardown(test_constraints_map_and_keep_message, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_maps_to_temp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_column_dup, setup, teardown),
	};

	log_init("test_db", 1, LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
