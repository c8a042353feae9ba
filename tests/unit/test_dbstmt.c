#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "db.h"
#include "dbstmt.h"
#include "testenv.h"

static int
setup(void **state)
{
	struct testdb *t;

	if (testdb_state_setup(state) != 0)
		return -1;
	t = *state;
	return db_exec(t->db, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, ref INTEGER);"
	    "INSERT INTO t (id, name, ref) VALUES (1, 'one', 10), (2, 'two', NULL);") ==
	    MD_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	return testdb_state_teardown(state);
}

/* The id the key selects, or -1 when the lookup fails with err. */
static int64_t
lookup(struct db *db, const char *text, int64_t id, enum md_err *err)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	*err = dbstmt_prepare_key(db, "SELECT id FROM t WHERE name = ?1 OR id = ?1", text, id,
	    &st);
	if (*err)
		return -1;
	*err = dbstmt_row(db, st);
	if (*err == MD_OK)
		v = sqlite3_column_int64(st, 0);
	db_release(db, st);
	return v;
}

static void
test_key_and_row(void **state)
{
	struct testdb *t = *state;
	enum md_err err;

	assert_int_equal(lookup(t->db, "two", 0, &err), 2);
	assert_int_equal(err, MD_OK);
	assert_int_equal(lookup(t->db, NULL, 1, &err), 1);
	assert_int_equal(err, MD_OK);
	/* Text wins over the id when both are given. */
	assert_int_equal(lookup(t->db, "two", 1, &err), 2);
	assert_int_equal(lookup(t->db, "three", 0, &err), -1);
	assert_int_equal(err, MD_ERR_NOTFOUND);
	assert_int_equal(lookup(t->db, NULL, 9, &err), -1);
	assert_int_equal(err, MD_ERR_NOTFOUND);
}

static void
test_prepare_error(void **state)
{
	struct testdb *t = *state;
	sqlite3_stmt *st = NULL;

	assert_int_equal(dbstmt_prepare_key(t->db, "SELECT nothing FROM nowhere", "x", 0, &st),
	    MD_ERR_DB);
}

static void
test_change(void **state)
{
	struct testdb *t = *state;
	sqlite3_stmt *st;

	assert_int_equal(db_prepare(t->db, "UPDATE t SET name = ? WHERE id = ?", &st), MD_OK);
	dbstmt_bind_text(st, 1, "uno");
	sqlite3_bind_int64(st, 2, 1);
	assert_int_equal(dbstmt_change(t->db, st), MD_OK);
	assert_int_equal(testdb_int(t->db, "SELECT count(*) FROM t WHERE name = 'uno'"), 1);

	assert_int_equal(db_prepare(t->db, "UPDATE t SET name = ? WHERE id = ?", &st), MD_OK);
	dbstmt_bind_text(st, 1, "nobody");
	sqlite3_bind_int64(st, 2, 42);
	assert_int_equal(dbstmt_change(t->db, st), MD_ERR_NOTFOUND);

	/* A constraint failure is the database's error, not "not found". */
	assert_int_equal(db_prepare(t->db, "UPDATE t SET id = 2 WHERE id = ?", &st), MD_OK);
	sqlite3_bind_int64(st, 1, 1);
	assert_int_equal(dbstmt_change(t->db, st), MD_ERR_EXISTS);
}

static void
test_null_binds(void **state)
{
	struct testdb *t = *state;
	sqlite3_stmt *st;

	assert_int_equal(db_prepare(t->db, "UPDATE t SET name = ?, ref = ? WHERE id = 1", &st),
	    MD_OK);
	dbstmt_bind_text(st, 1, NULL);
	dbstmt_bind_id(st, 2, 0);
	assert_int_equal(dbstmt_change(t->db, st), MD_OK);
	assert_int_equal(testdb_int(t->db,
	    "SELECT count(*) FROM t WHERE id = 1 AND name IS NULL AND ref IS NULL"), 1);

	assert_int_equal(db_prepare(t->db, "UPDATE t SET ref = ? WHERE id = 2", &st), MD_OK);
	dbstmt_bind_id(st, 1, 7);
	assert_int_equal(dbstmt_change(t->db, st), MD_OK);
	assert_int_equal(testdb_int(t->db, "SELECT ref FROM t WHERE id = 2"), 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key_and_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepare_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_null_binds, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
