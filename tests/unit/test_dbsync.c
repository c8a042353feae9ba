#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "db.h"
#include "dbsync.h"
#include "log.h"
#include "testenv.h"

struct syncer {
	struct dbsync *sync;
	atomic_int stop;        /* set by the test thread, read by the syncer */
	int syncs;
	enum md_err err;
};

static void *
sync_loop(void *arg)
{
	struct syncer *s = arg;

	while (!atomic_load(&s->stop) && s->err == MD_OK) {
		s->err = dbsync_sync(s->sync);
		s->syncs++;
	}
	return NULL;
}

/*
 * The way intake uses it: commits with sync-later on this thread while
 * another thread syncs the log; every sync succeeds, and what was
 * committed is what another connection reads.
 */
static void
test_sync_from_another_thread_while_committing(void **state)
{
	struct testdb *t = *state;
	struct syncer s = { NULL, 0, 0, MD_OK };
	struct db *db = t->db, *other = NULL;
	pthread_t thread;
	char sql[128];
	int i;

	assert_int_equal(dbsync_open(db, &s.sync), MD_OK);
	assert_int_equal(db_set_sync_later(db, 1), MD_OK);
	assert_int_equal(pthread_create(&thread, NULL, sync_loop, &s), 0);
	for (i = 0; i < 200; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO mailbox_state (mailbox, uidvalidity,"
		    " last_uid) VALUES ('box%d', 1, %d)", i, i);
		assert_int_equal(db_begin(db), MD_OK);
		assert_int_equal(db_exec(db, sql), MD_OK);
		assert_int_equal(db_commit(db), MD_OK);
	}
	atomic_store(&s.stop, 1);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(s.err, MD_OK);
	assert_true(s.syncs > 0);
	assert_int_equal(dbsync_sync(s.sync), MD_OK);
	assert_int_equal(db_set_sync_later(db, 0), MD_OK);
	assert_int_equal(db_open(t->path, &other), MD_OK);
	assert_int_equal(testdb_int(other, "SELECT count(*) FROM mailbox_state"), 200);
	db_close(other);
	dbsync_close(s.sync);
}

/* A database named without a directory: the log's directory is the current one. */
static void
test_relative_path(void **state)
{
	struct testdb *t = *state;
	struct dbsync *sync = NULL;
	char cwd[4096];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	db_close(t->db);
	t->db = NULL;
	assert_int_equal(chdir(t->dir), 0);
	assert_int_equal(db_open("md.db", &t->db), MD_OK);
	assert_int_equal(dbsync_open(t->db, &sync), MD_OK);
	assert_int_equal(dbsync_sync(sync), MD_OK);
	dbsync_close(sync);
	assert_int_equal(chdir(cwd), 0);
}

/*
 * No log file to sync (here: removed under the connection): MD_ERR_NOTFOUND,
 * which tells the caller to keep each commit synced by itself.
 */
static void
test_no_log_file(void **state)
{
	struct testdb *t = *state;
	struct dbsync *sync = (struct dbsync *)&sync;

	testdb_unlink(t, "md.db-wal");
	assert_int_equal(dbsync_open(t->db, &sync), MD_ERR_NOTFOUND);
	assert_null(sync);
	dbsync_close(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sync_from_another_thread_while_committing,
		    testdb_state_setup, testdb_state_teardown),
		cmocka_unit_test_setup_teardown(test_relative_path, testdb_state_setup,
		    testdb_state_teardown),
		cmocka_unit_test_setup_teardown(test_no_log_file, testdb_state_setup,
		    testdb_state_teardown),
	};

	log_init("test_dbsync", 1, LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
