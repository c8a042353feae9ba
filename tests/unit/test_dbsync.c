#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "db.h"
#include "dbsync.h"
#include "log.h"

struct fixture {
	char dir[64];
	char path[128];
	char wal[160];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_dbsync.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/md.db", f->dir);
	snprintf(f->wal, sizeof(f->wal), "%s-wal", f->path);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[160];

	unlink(f->path);
	unlink(f->wal);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	assert_int_equal(rmdir(f->dir), 0);
	free(f);
	return 0;
}

static long long
count_rows(const char *path)
{
	sqlite3_stmt *st;
	sqlite3 *h;
	long long n = -1;

	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM mailbox_state", -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

struct syncer {
	struct dbsync *sync;
	volatile int stop;
	int syncs;
	enum md_err err;
};

static void *
sync_loop(void *arg)
{
	struct syncer *s = arg;

	while (!s->stop && s->err == MD_OK) {
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
	struct fixture *f = *state;
	struct syncer s = { NULL, 0, 0, MD_OK };
	struct db *db = NULL;
	pthread_t t;
	char sql[128];
	int i;

	assert_int_equal(db_open(f->path, &db), MD_OK);
	assert_int_equal(dbsync_open(db, &s.sync), MD_OK);
	assert_int_equal(db_set_sync_later(db, 1), MD_OK);
	assert_int_equal(pthread_create(&t, NULL, sync_loop, &s), 0);
	for (i = 0; i < 200; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO mailbox_state (mailbox, uidvalidity,"
		    " last_uid) VALUES ('box%d', 1, %d)", i, i);
		assert_int_equal(db_begin(db), MD_OK);
		assert_int_equal(db_exec(db, sql), MD_OK);
		assert_int_equal(db_commit(db), MD_OK);
	}
	s.stop = 1;
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(s.err, MD_OK);
	assert_true(s.syncs > 0);
	assert_int_equal(dbsync_sync(s.sync), MD_OK);
	assert_int_equal(db_set_sync_later(db, 0), MD_OK);
	assert_int_equal(count_rows(f->path), 200);
	dbsync_close(s.sync);
	db_close(db);
}

/* A database named without a directory: the log's directory is the current one. */
static void
test_relative_path(void **state)
{
	struct fixture *f = *state;
	struct dbsync *sync = NULL;
	struct db *db = NULL;
	char cwd[4096];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	assert_int_equal(db_open("md.db", &db), MD_OK);
	assert_int_equal(dbsync_open(db, &sync), MD_OK);
	assert_int_equal(dbsync_sync(sync), MD_OK);
	dbsync_close(sync);
	db_close(db);
	assert_int_equal(chdir(cwd), 0);
}

/*
 * No log file to sync (here: removed under the connection): MD_ERR_NOTFOUND,
 * which tells the caller to keep each commit synced by itself.
 */
static void
test_no_log_file(void **state)
{
	struct fixture *f = *state;
	struct dbsync *sync = (struct dbsync *)&sync;
	struct db *db = NULL;

	assert_int_equal(db_open(f->path, &db), MD_OK);
	assert_int_equal(unlink(f->wal), 0);
	assert_int_equal(dbsync_open(db, &sync), MD_ERR_NOTFOUND);
	assert_null(sync);
	dbsync_close(NULL);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sync_from_another_thread_while_committing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_log_file, setup, teardown),
	};

	log_init("test_dbsync", 1, LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
