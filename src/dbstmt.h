/*
 * Statement helpers shared by the store modules (case, member, message
 * store, outbox): the few steps every one of them took by hand around a
 * prepared statement, so that "no such row" and "nothing changed" mean
 * MD_ERR_NOTFOUND the same way everywhere.
 */
#ifndef MD_DBSTMT_H
#define MD_DBSTMT_H

#include <stdint.h>

#include <sqlite3.h>

#include "db.h"
#include "error.h"

/*
 * Prepare sql and bind its parameter 1 to text, or to id when text is NULL
 * (the lookups by number, address or Message-ID that also exist by id).
 * text must outlive the statement. The statement comes from
 * db_prepare_cached(): give it back with db_release().
 * Errors: those of db_prepare_cached().
 */
enum md_err dbstmt_prepare_key(struct db *db, const char *sql, const char *text, int64_t id,
    sqlite3_stmt **st);

/*
 * Step st once for a row. MD_OK with the row ready to read;
 * MD_ERR_NOTFOUND when the query has no row; otherwise db_status()'s code.
 * st stays open: the caller reads the row and releases it (db_release()).
 */
enum md_err dbstmt_row(struct db *db, sqlite3_stmt *st);

/*
 * Run a prepared UPDATE or DELETE meant for one existing row and give it
 * back with db_release() (so it may come from db_prepare() or
 * db_prepare_cached()). MD_OK; MD_ERR_NOTFOUND when it changed no row (the WHERE clause
 * matched nothing); otherwise db_status()'s code.
 */
enum md_err dbstmt_change(struct db *db, sqlite3_stmt *st);

/* Bind text, or NULL when text is NULL; text must outlive the statement. */
void dbstmt_bind_text(sqlite3_stmt *st, int col, const char *text);

/* Bind a row id, or NULL for 0 (a reference to no row, e.g. no case yet). */
void dbstmt_bind_id(sqlite3_stmt *st, int col, int64_t id);

#endif
