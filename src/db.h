/*
 * The SQLite database behind memberdesk: one file, opened in WAL mode with
 * synchronous=FULL so that a committed transaction survives a crash or power
 * loss (the daemon treats a message as durable only once its transaction has
 * committed). The schema is brought up to date by numbered migrations when
 * the file is opened; PRAGMA user_version records how far it got.
 *
 * Module code (member, case, msgstore, outbox) prepares its own statements on
 * db_handle() and turns SQLite result codes into md_err with db_status(),
 * which also remembers SQLite's message for db_errmsg().
 */
#ifndef MD_DB_H
#define MD_DB_H

#include <sqlite3.h>

#include "error.h"

struct db;

/* How long a statement waits for another connection's lock by default. */
#define DB_BUSY_TIMEOUT_MS 5000

/*
 * Open (creating if needed) the database at path and migrate it to the
 * current schema. A new file is created with mode 0600 whatever the umask,
 * because it holds members' mail. On success *out is set.
 * Errors: MD_ERR_IO (cannot create/open, read-only), MD_ERR_STATE (the file's
 * schema is newer than this program: refuse rather than damage it),
 * MD_ERR_TEMP (locked by another process past the busy timeout), MD_ERR_DB
 * (not a database, migration failed), MD_ERR_NOMEM. The reason is logged
 * with log_warnx(); *out is NULL on failure.
 */
enum md_err db_open(const char *path, struct db **out);

/* Close the connection; NULL is allowed. An open transaction is rolled back. */
void db_close(struct db *db);

/* Change how long statements wait for a lock (milliseconds, >= 0). */
enum md_err db_set_busy_timeout(struct db *db, int ms);

/*
 * Sync later (later != 0): commits still reach the operating system before
 * db_commit() returns, so a crash of the process loses none of them, but
 * they reach the disk only with a later synced commit or checkpoint
 * (synchronous=NORMAL in WAL); a power loss or kernel crash can take back
 * the last ones. Only for work that is safe to do twice, or that is made
 * durable (dbsync.h) before anything outside relies on it. later == 0
 * restores synchronous=FULL, which everything else relies on. Not inside a
 * transaction or batch (SQLite cannot change it there): MD_ERR_STATE, and
 * the mode stays. Otherwise the mapped SQLite error, or MD_OK.
 */
enum md_err db_set_sync_later(struct db *db, int later);

/*
 * BEGIN IMMEDIATE: take the write lock now, so that a transaction never
 * fails half-way because another writer got in first. MD_ERR_TEMP when the
 * lock cannot be had within the busy timeout; MD_ERR_STATE when a
 * transaction is already open on this connection.
 */
enum md_err db_begin(struct db *db);
/* COMMIT. MD_ERR_TEMP (busy), MD_ERR_IO (disk), MD_ERR_DB; MD_ERR_STATE without a transaction. */
enum md_err db_commit(struct db *db);
/* ROLLBACK; harmless without a transaction. Returns MD_OK or MD_ERR_DB. */
enum md_err db_rollback(struct db *db);
/*
 * A batch: one transaction (BEGIN IMMEDIATE) around many units of work,
 * so that they share one commit (one fsync, none with db_set_sync_later())
 * instead of one each. Inside it, db_begin() / db_commit() / db_rollback()
 * keep their meaning for the caller but work on a savepoint: a unit that
 * fails rolls back alone, and one that "committed" is durable only once
 * db_batch_commit() returned MD_OK (and, with db_set_sync_later(), once the
 * log is synced: dbsync.h). Code that treats work as done outside the
 * database (moving mail, sending) must wait for that.
 * A unit's savepoint keeps the old content of every page it changes in
 * memory (the connection is switched to temp_store=MEMORY at its first
 * batch), so a unit that may change megabytes of existing pages (a large
 * message, which can land in reused free pages) belongs in a transaction
 * of its own, outside any batch.
 *
 * db_batch_begin(): MD_ERR_STATE when a transaction or batch is open;
 * otherwise like db_begin().
 * db_batch_commit(): MD_OK when everything released inside the batch is
 * committed. MD_ERR_STATE without a batch, or with a unit still open (the
 * whole batch is then rolled back); MD_ERR_DB when SQLite had rolled the
 * whole batch back by itself (e.g. after SQLITE_FULL); COMMIT's errors
 * (MD_ERR_TEMP, MD_ERR_IO, MD_ERR_DB), after which the batch is rolled
 * back. In every error case nothing of the batch is kept.
 * db_batch_rollback(): drop the whole batch; harmless without one.
 * db_in_batch(): nonzero while a batch is open.
 */
enum md_err db_batch_begin(struct db *db);
enum md_err db_batch_commit(struct db *db);
void db_batch_rollback(struct db *db);
int db_in_batch(struct db *db);

/* Nonzero while a transaction is open on this connection. */
int db_in_transaction(struct db *db);

/* The underlying connection, for module code. Owned by db. */
sqlite3 *db_handle(struct db *db);

/*
 * Map a SQLite result code (primary or extended) to md_err and remember
 * SQLite's message for db_errmsg(): SQLITE_OK/ROW/DONE → MD_OK;
 * BUSY/LOCKED → MD_ERR_TEMP; FULL/IOERR/READONLY/CANTOPEN/PERM → MD_ERR_IO;
 * CONSTRAINT_UNIQUE/PRIMARYKEY → MD_ERR_EXISTS; NOMEM → MD_ERR_NOMEM;
 * everything else → MD_ERR_DB.
 */
enum md_err db_status(struct db *db, int rc);

/* The mapping alone, without a connection. */
enum md_err db_map_code(int rc);

/* The last message remembered by db_status(); "" when none. Owned by db. */
const char *db_errmsg(struct db *db);

/*
 * Prepare sql on the connection. MD_OK with *stmt set, or the mapped error
 * (message kept for db_errmsg()); the caller finalizes the statement.
 */
enum md_err db_prepare(struct db *db, const char *sql, sqlite3_stmt **stmt);

/*
 * Like db_prepare(), but the statement stays prepared for the next caller
 * with the same SQL text (compared by content, so sql need not be a
 * literal): preparing costs more than running most of our statements.
 * Give it back with db_release(), never sqlite3_finalize(). While one
 * caller holds the cached statement, another asking for the same SQL gets
 * a private one (db_release() finalizes it), so nested use is safe.
 * Cached statements are finalized by db_close(); they must all have been
 * released by then. Errors: those of db_prepare(), MD_ERR_NOMEM.
 */
enum md_err db_prepare_cached(struct db *db, const char *sql, sqlite3_stmt **stmt);

/*
 * Hand back a statement from db_prepare_cached() or db_prepare(): a cached
 * one is reset and its bindings cleared (so no borrowed pointer outlives
 * the call), any other is finalized. NULL is allowed. An error from the
 * statement's last step is not reported again.
 */
void db_release(struct db *db, sqlite3_stmt *st);

/* Run SQL that returns no rows (one or more statements). Mapped error on failure. */
enum md_err db_exec(struct db *db, const char *sql);

/*
 * Copy text column col of the current row into *out (caller frees). A SQL
 * NULL gives *out = NULL with db_column_dup() and "" with
 * db_column_dup_empty(). MD_ERR_NOMEM on allocation failure.
 */
enum md_err db_column_dup(sqlite3_stmt *st, int col, char **out);
enum md_err db_column_dup_empty(sqlite3_stmt *st, int col, char **out);

/* Schema version of the open file and the newest version this program knows. */
int db_schema_version(struct db *db);
int db_code_version(void);

#endif
