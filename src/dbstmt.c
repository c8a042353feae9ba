#include <stdint.h>

#include <sqlite3.h>

#include "db.h"
#include "dbstmt.h"

enum md_err
dbstmt_prepare_key(struct db *db, const char *sql, const char *text, int64_t id,
    sqlite3_stmt **st)
{
	enum md_err err;

	err = db_prepare_cached(db, sql, st);
	if (err)
		return err;
	if (text)
		sqlite3_bind_text(*st, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(*st, 1, id);
	return MD_OK;
}

enum md_err
dbstmt_row(struct db *db, sqlite3_stmt *st)
{
	int rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return MD_OK;
	return rc == SQLITE_DONE ? MD_ERR_NOTFOUND : db_status(db, rc);
}

enum md_err
dbstmt_change(struct db *db, sqlite3_stmt *st)
{
	enum md_err err;
	int rc;

	rc = sqlite3_step(st);
	err = db_status(db, rc);
	if (err == MD_OK && sqlite3_changes(db_handle(db)) == 0)
		err = MD_ERR_NOTFOUND;
	db_release(db, st);
	return err;
}

void
dbstmt_bind_text(sqlite3_stmt *st, int col, const char *text)
{
	if (text)
		sqlite3_bind_text(st, col, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

void
dbstmt_bind_id(sqlite3_stmt *st, int col, int64_t id)
{
	if (id)
		sqlite3_bind_int64(st, col, id);
	else
		sqlite3_bind_null(st, col);
}
