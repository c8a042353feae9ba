/*
 * Commits made durable apart from the connection that made them. With
 * db_set_sync_later() a commit is written to the write-ahead log but not
 * synced; syncing the log afterwards from another thread makes it as
 * durable as synchronous=FULL would have, while the database thread goes on
 * with the next transaction instead of waiting for the disk. Intake uses
 * this: a chunk's mail is moved out of the inbox only after its commit is
 * on disk, and that wait now happens on the fetch thread.
 *
 * Why syncing the log file is enough: every commit is in the log until a
 * checkpoint copies it into the database file, and with synchronous=NORMAL
 * SQLite syncs the log before and the database file after each checkpoint,
 * and reuses the log from its start only after a complete one. The log is
 * deleted only when the last connection closes, so while the caller's
 * connection is open the file opened here is the log. Its directory is
 * synced too: a log created since the database was opened is durable only
 * with its directory entry.
 */
#ifndef MD_DBSYNC_H
#define MD_DBSYNC_H

#include "db.h"
#include "error.h"

struct dbsync;

/*
 * Open the write-ahead log of db's main database for syncing (database
 * thread; the connection must be in WAL mode and have read or written the
 * file, which db_open() does). On MD_OK *out is a new handle for
 * dbsync_close(). Errors: MD_ERR_NOTFOUND (no log file: not in WAL mode, or
 * an in-memory database; the caller keeps synchronous=FULL), MD_ERR_IO
 * (cannot open it or its directory; the reason is in errno), MD_ERR_NOMEM.
 */
enum md_err dbsync_open(struct db *db, struct dbsync **out);

/*
 * Make every commit that returned before this call durable. Any thread, one
 * at a time per handle; the connection may be writing meanwhile. Errors:
 * MD_ERR_IO (fdatasync() or fsync() failed: treat those commits as not
 * durable; errno says why).
 */
enum md_err dbsync_sync(struct dbsync *s);

/* Close the handle; NULL is allowed. It does not sync. */
void dbsync_close(struct dbsync *s);

#endif
