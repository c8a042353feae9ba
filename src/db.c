/*
 * Opening, migrating and error mapping for the SQLite database. The schema
 * lives here as numbered migration steps; a step is never edited once
 * released, changes go into a new step, so every installed database can be
 * brought forward from whatever version it has.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "log.h"

/*
 * Statements kept prepared between calls (db_prepare_cached()). Parsing
 * the SQL again for every message was a third of intake's CPU; the hot
 * paths use a few dozen distinct statements, so a small table searched
 * by hash is enough, and a full table only means uncached statements.
 */
#define DB_STMT_CACHE_MAX 128

struct db_cached {
	char *sql;
	unsigned long hash;
	sqlite3_stmt *st;
	int in_use;
};

struct db {
	sqlite3 *h;
	struct db_cached cache[DB_STMT_CACHE_MAX];
	int ncached;
	int batch;         /* db_batch_begin(): db_begin() opens a savepoint */
	int item;          /* the savepoint of one db_begin() inside the batch is open */
	int batch_lost;    /* SQLite rolled the whole batch back by itself */
	int journal_in_memory; /* temp_store=MEMORY was set for batches */
	char errmsg[512];
};

/*
 * Migration 1: the first schema. Times are UTC seconds. Addresses are kept
 * lower case so that UNIQUE compares what mail servers treat as equal in
 * practice. case_events is append-only: triggers refuse UPDATE and DELETE so
 * that the record of a case cannot be rewritten by a bug.
 */
static const char migration_1[] =
	"CREATE TABLE members ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL CHECK (kind IN ('unit', 'individual')),"
	" name TEXT NOT NULL,"
	" unit_name TEXT NOT NULL DEFAULT '',"
	" phone TEXT NOT NULL DEFAULT '',"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL);"
	"CREATE TABLE member_addresses ("
	" address TEXT NOT NULL UNIQUE CHECK (address = lower(address)),"
	" member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE);"
	"CREATE INDEX member_addresses_member ON member_addresses(member_id);"
	"CREATE TABLE cases ("
	" id INTEGER PRIMARY KEY,"
	" number TEXT NOT NULL UNIQUE,"
	" prefix TEXT NOT NULL,"
	" year INTEGER NOT NULL,"
	" seq INTEGER NOT NULL,"
	" subject TEXT NOT NULL DEFAULT '',"
	" text TEXT NOT NULL DEFAULT '',"
	" type TEXT NOT NULL DEFAULT 'other',"
	" tier TEXT,"
	" status TEXT NOT NULL DEFAULT 'registered',"
	" channel TEXT NOT NULL DEFAULT 'email' CHECK (channel IN"
	"  ('email', 'visit', 'meeting', 'walk-in', 'phone', 'online')),"
	" member_id INTEGER REFERENCES members(id),"
	" requester_name TEXT NOT NULL DEFAULT '',"
	" requester_unit TEXT NOT NULL DEFAULT '',"
	" requester_email TEXT,"
	" requester_phone TEXT,"
	" submitted_at INTEGER NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" UNIQUE (prefix, year, seq));"
	"CREATE INDEX cases_status ON cases(status);"
	"CREATE INDEX cases_year ON cases(year);"
	"CREATE INDEX cases_member ON cases(member_id);"
	"CREATE TABLE case_seq ("
	" prefix TEXT NOT NULL,"
	" year INTEGER NOT NULL,"
	" last INTEGER NOT NULL,"
	" PRIMARY KEY (prefix, year));"
	"CREATE TABLE messages ("
	" id INTEGER PRIMARY KEY,"
	" case_id INTEGER REFERENCES cases(id),"
	" mailbox TEXT,"
	" uidvalidity INTEGER,"
	" uid INTEGER,"
	" message_id TEXT,"
	" sha256 TEXT NOT NULL,"
	" raw BLOB NOT NULL,"
	" subject TEXT NOT NULL DEFAULT '',"
	" from_addr TEXT,"
	" from_name TEXT NOT NULL DEFAULT '',"
	" date INTEGER,"
	" text TEXT NOT NULL DEFAULT '',"
	" direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),"
	" received_at INTEGER NOT NULL,"
	" UNIQUE (mailbox, uidvalidity, uid));"
	"CREATE INDEX messages_message_id ON messages(message_id);"
	"CREATE INDEX messages_sha256 ON messages(sha256);"
	"CREATE INDEX messages_case ON messages(case_id);"
	"CREATE TABLE attachments ("
	" id INTEGER PRIMARY KEY,"
	" message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	" filename TEXT NOT NULL DEFAULT '',"
	" content_type TEXT NOT NULL DEFAULT 'application/octet-stream',"
	" size INTEGER NOT NULL,"
	" data BLOB);"
	"CREATE INDEX attachments_message ON attachments(message_id);"
	"CREATE TABLE case_events ("
	" id INTEGER PRIMARY KEY,"
	" case_id INTEGER NOT NULL REFERENCES cases(id),"
	" at INTEGER NOT NULL,"
	" kind TEXT NOT NULL,"
	" actor TEXT NOT NULL DEFAULT '',"
	" detail TEXT,"
	" message_id INTEGER REFERENCES messages(id));"
	"CREATE INDEX case_events_case ON case_events(case_id, id);"
	"CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events"
	" BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;"
	"CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events"
	" BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;"
	"CREATE TABLE mailbox_state ("
	" mailbox TEXT PRIMARY KEY,"
	" uidvalidity INTEGER NOT NULL,"
	" last_uid INTEGER NOT NULL,"
	" last_poll_at INTEGER);"
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY,"
	" case_id INTEGER REFERENCES cases(id),"
	" kind TEXT NOT NULL,"
	" message_id TEXT NOT NULL UNIQUE,"
	" mail_from TEXT NOT NULL,"
	" rcpt TEXT NOT NULL,"
	" data BLOB NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'queued'"
	"  CHECK (status IN ('queued', 'sent', 'failed')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_attempt_at INTEGER NOT NULL,"
	" last_error TEXT,"
	" created_at INTEGER NOT NULL,"
	" sent_at INTEGER);"
	"CREATE INDEX outbox_due ON outbox(status, next_attempt_at, id);";

/*
 * Migration 2: the case life cycle (src/workflow.h). Deadlines and
 * milestones are UTC seconds, NULL when not reached; the scheduler reads the
 * *_due columns. Status values are checked in code, not here, so that old
 * values ("accepted", "in_progress", "reopened") stay readable and are
 * mapped to "handling" once. joint_parent_id links a merged case to its
 * joint case (art. 14). case_events.via says how an action came in ("mail",
 * "cli", "system"; NULL for events written before).
 */
static const char migration_2[] =
	"ALTER TABLE cases ADD COLUMN review_due INTEGER;"
	"ALTER TABLE cases ADD COLUMN handling_due INTEGER;"
	"ALTER TABLE cases ADD COLUMN rehandling_due INTEGER;"
	"ALTER TABLE cases ADD COLUMN result_notice_due INTEGER;"
	"ALTER TABLE cases ADD COLUMN feedback_due INTEGER;"
	"ALTER TABLE cases ADD COLUMN accepted_at INTEGER;"
	"ALTER TABLE cases ADD COLUMN resolved_at INTEGER;"
	"ALTER TABLE cases ADD COLUMN closed_at INTEGER;"
	"ALTER TABLE cases ADD COLUMN archived_at INTEGER;"
	"ALTER TABLE cases ADD COLUMN assignee TEXT;"
	"ALTER TABLE cases ADD COLUMN joint_parent_id INTEGER REFERENCES cases(id);"
	"ALTER TABLE cases ADD COLUMN extended_count INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE cases ADD COLUMN satisfaction TEXT;"
	"ALTER TABLE cases ADD COLUMN reject_ground TEXT;"
	"ALTER TABLE cases ADD COLUMN method TEXT;"
	"ALTER TABLE case_events ADD COLUMN via TEXT;"
	"UPDATE cases SET status = 'handling'"
	" WHERE status IN ('accepted', 'in_progress', 'reopened');"
	"CREATE INDEX cases_joint ON cases(joint_parent_id);"
	"CREATE INDEX cases_review_due ON cases(status, review_due);"
	"CREATE INDEX cases_handling_due ON cases(status, handling_due);";

/*
 * Migration 3: what the deadline scheduler (src/scheduler.h) has sent, so
 * that nothing is sent twice, also across restarts. A reminder or
 * escalation is keyed by the deadline it is about (column and due time):
 * an extended deadline has a new due time and is reminded of again.
 * digests_sent holds one row per local day (YYYY-MM-DD) a digest went out.
 */
static const char migration_3[] =
	"CREATE TABLE reminders_sent ("
	" id INTEGER PRIMARY KEY,"
	" case_id INTEGER NOT NULL REFERENCES cases(id),"
	" kind TEXT NOT NULL CHECK (kind IN ('reminder', 'escalation', 'overdue')),"
	" deadline_column TEXT NOT NULL,"
	" due_at INTEGER NOT NULL,"
	" sent_at INTEGER NOT NULL,"
	" recipients INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (case_id, kind, deadline_column, due_at));"
	"CREATE TABLE digests_sent ("
	" day TEXT PRIMARY KEY,"
	" sent_at INTEGER NOT NULL,"
	" recipients INTEGER NOT NULL DEFAULT 0);";

/*
 * Migration 4: indexes for the two questions asked for every message and
 * every notice, which read the whole table without them (the time grew
 * with the number of cases and notices ever handled): a sender's recent
 * requests (possible-duplicate check at triage) and the notices recently
 * sent to an address (rate limits, bounce matching).
 */
static const char migration_4[] =
	"CREATE INDEX cases_requester_recent ON cases(requester_email, submitted_at);"
	"CREATE INDEX outbox_rcpt_sent ON outbox(rcpt, status, sent_at);";

/*
 * Migration 5: the raw bytes of large messages (1 MiB and more, see
 * msgstore.c) in a table of their own, messages.raw left empty for them.
 * SQLite writes a zeroblob() without materialising it only when it is the
 * last value of its row; raw sits in the middle of a messages row, so a
 * 25 MB message cost 50 MB of memory to insert. Here raw is the row's last
 * column for good, and is written in steps with sqlite3_blob_write().
 */
static const char migration_5[] =
	"CREATE TABLE message_raw ("
	" message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,"
	" raw BLOB NOT NULL);";

/*
 * Migration 6: attachments kept once. Their bytes are in the raw message,
 * which is always kept verbatim, so a new row keeps only what identifies
 * the part (part: its position, from 0, in message_parse()'s attachment
 * list) and the SHA-256 of its decoded bytes (sha256, which the archive
 * lists without decoding, and which proves a later decoding gives the same
 * bytes); data stays NULL. sha256 NULL on a new row: over the size limit,
 * not kept. Rows written before keep their data and a NULL part.
 */
static const char migration_6[] =
	"ALTER TABLE attachments ADD COLUMN part INTEGER;"
	"ALTER TABLE attachments ADD COLUMN sha256 TEXT;";

/*
 * Migration 7: a notice on a case is stored once. Its bytes were kept twice
 * in the same transaction, in outbox.data and as the case's outgoing
 * message; now such an outbox row points at that message (message_row) and
 * keeps data empty. Rows written before, and notices without a case, keep
 * their own data (message_row NULL). The foreign key keeps a queued
 * notice's message from being deleted under it; nothing deletes messages,
 * so the child column needs no index for that check. outbox_bytes gives
 * every outbox row's bytes wherever they are, for the operator's sqlite3.
 */
static const char migration_7[] =
	"ALTER TABLE outbox ADD COLUMN message_row INTEGER REFERENCES messages(id);"
	"CREATE VIEW outbox_bytes AS SELECT o.id AS id,"
	" CASE WHEN o.message_row IS NULL THEN o.data ELSE coalesce(r.raw, m.raw) END AS data"
	" FROM outbox o LEFT JOIN messages m ON m.id = o.message_row"
	" LEFT JOIN message_raw r ON r.message_id = o.message_row;";

/*
 * Migration 8: index entries only where something looks them up. An entry
 * keyed by a hash or an address lands on a random page of its index, so
 * each one costs a page written at every commit: intake's chunks rewrote
 * hundreds of index pages for rows nobody searches that way.
 * - messages.sha256 is looked up only for incoming mail (intake's
 *   duplicate check); our own notices are recognised by Message-ID.
 * - outbox by recipient is looked up only among sent notices (rate limits,
 *   bounce matching); a queued notice enters that index when it is sent.
 * Queries that use them carry the same condition (direction = 'in',
 * status = 'sent'), which is what lets SQLite choose a partial index.
 */
static const char migration_8[] =
	"DROP INDEX messages_sha256;"
	"CREATE INDEX messages_sha256 ON messages(sha256) WHERE direction = 'in';"
	"DROP INDEX outbox_rcpt_sent;"
	"CREATE INDEX outbox_rcpt_sent ON outbox(rcpt, sent_at) WHERE status = 'sent';";

static const char *const migrations[] = {
	migration_1,
	migration_2,
	migration_3,
	migration_4,
	migration_5,
	migration_6,
	migration_7,
	migration_8,
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
db_code_version(void)
{
	return N_MIGRATIONS;
}

enum md_err
db_map_code(int rc)
{
	switch (rc) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return MD_OK;
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return MD_ERR_EXISTS;
	default:
		break;
	}
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return MD_ERR_TEMP;
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		return MD_ERR_IO;
	case SQLITE_NOMEM:
		return MD_ERR_NOMEM;
	default:
		return MD_ERR_DB;
	}
}

enum md_err
db_status(struct db *db, int rc)
{
	enum md_err err = db_map_code(rc);
	const char *msg;

	if (err == MD_OK)
		return MD_OK;
	/* The handle's message belongs to its last call; only trust it when it matches. */
	if (db->h && sqlite3_extended_errcode(db->h) == rc)
		msg = sqlite3_errmsg(db->h);
	else
		msg = sqlite3_errstr(rc);
	snprintf(db->errmsg, sizeof(db->errmsg), "%s", msg ? msg : "unknown SQLite error");
	return err;
}

const char *
db_errmsg(struct db *db)
{
	return db->errmsg;
}

sqlite3 *
db_handle(struct db *db)
{
	return db->h;
}

enum md_err
db_prepare(struct db *db, const char *sql, sqlite3_stmt **stmt)
{
	*stmt = NULL;
	return db_status(db, sqlite3_prepare_v2(db->h, sql, -1, stmt, NULL));
}

/* FNV-1a: cheap, and good enough to skip most string comparisons. */
static unsigned long
sql_hash(const char *sql)
{
	unsigned long h = 2166136261UL;

	for (; *sql; sql++) {
		h ^= (unsigned char)*sql;
		h *= 16777619UL;
	}
	return h;
}

enum md_err
db_prepare_cached(struct db *db, const char *sql, sqlite3_stmt **stmt)
{
	struct db_cached *c;
	unsigned long h = sql_hash(sql);
	int i, busy = 0, rc;
	char *copy;

	*stmt = NULL;
	for (i = 0; i < db->ncached; i++) {
		c = &db->cache[i];
		if (c->hash != h || strcmp(c->sql, sql) != 0)
			continue;
		if (c->in_use) {
			busy = 1;
			continue;
		}
		c->in_use = 1;
		*stmt = c->st;
		return MD_OK;
	}
	/*
	 * One cached copy per SQL text: a nested user of the same statement
	 * (or a full table) gets a private one that db_release() finalizes.
	 */
	if (busy || db->ncached == DB_STMT_CACHE_MAX)
		return db_prepare(db, sql, stmt);
	copy = strdup(sql);
	if (copy == NULL)
		return MD_ERR_NOMEM;
	rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL);
	if (rc != SQLITE_OK) {
		free(copy);
		*stmt = NULL;
		return db_status(db, rc);
	}
	c = &db->cache[db->ncached++];
	c->sql = copy;
	c->hash = h;
	c->st = *stmt;
	c->in_use = 1;
	return MD_OK;
}

void
db_release(struct db *db, sqlite3_stmt *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < db->ncached; i++) {
		if (db->cache[i].st != st)
			continue;
		/* reset's code repeats the last step's error, already reported then. */
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		db->cache[i].in_use = 0;
		return;
	}
	sqlite3_finalize(st);
}

static void
clear_cache(struct db *db)
{
	int i;

	for (i = 0; i < db->ncached; i++) {
		sqlite3_finalize(db->cache[i].st);
		free(db->cache[i].sql);
	}
	db->ncached = 0;
}

enum md_err
db_exec(struct db *db, const char *sql)
{
	return db_status(db, sqlite3_exec(db->h, sql, NULL, NULL, NULL));
}

enum md_err
db_column_dup(sqlite3_stmt *st, int col, char **out)
{
	const unsigned char *t;
	int n;

	*out = NULL;
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return MD_OK;
	t = sqlite3_column_text(st, col);
	n = sqlite3_column_bytes(st, col);
	if (t == NULL)
		return MD_ERR_NOMEM;
	*out = strndup((const char *)t, (size_t)n);
	return *out ? MD_OK : MD_ERR_NOMEM;
}

enum md_err
db_column_dup_empty(sqlite3_stmt *st, int col, char **out)
{
	enum md_err err;

	err = db_column_dup(st, col, out);
	if (err == MD_OK && *out == NULL) {
		*out = strdup("");
		if (*out == NULL)
			err = MD_ERR_NOMEM;
	}
	return err;
}

enum md_err
db_set_busy_timeout(struct db *db, int ms)
{
	if (ms < 0)
		return MD_ERR_INPUT;
	return db_status(db, sqlite3_busy_timeout(db->h, ms));
}

enum md_err
db_set_sync_later(struct db *db, int later)
{
	if (db->batch || db_in_transaction(db)) {
		snprintf(db->errmsg, sizeof(db->errmsg),
		    "the sync mode cannot change inside a transaction");
		return MD_ERR_STATE;
	}
	return db_exec(db, later ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL");
}

int
db_in_transaction(struct db *db)
{
	return !sqlite3_get_autocommit(db->h);
}

/*
 * Inside a batch, SQLite can still end the whole transaction by itself
 * (SQLITE_FULL, some I/O errors): remember it, so that the batch is not
 * reported committed and what it held is not treated as durable.
 */
static int
batch_alive(struct db *db)
{
	if (!db->batch_lost && !db_in_transaction(db))
		db->batch_lost = 1;
	return !db->batch_lost;
}

static enum md_err
batch_lost_error(struct db *db)
{
	snprintf(db->errmsg, sizeof(db->errmsg),
	    "the batch transaction was rolled back by SQLite");
	return MD_ERR_DB;
}

enum md_err
db_begin(struct db *db)
{
	enum md_err err;

	if (db->batch && !db->item) {
		if (!batch_alive(db))
			return batch_lost_error(db);
		err = db_exec(db, "SAVEPOINT md_batch_item");
		if (err == MD_OK)
			db->item = 1;
		return err;
	}
	if (db->batch || db_in_transaction(db)) {
		snprintf(db->errmsg, sizeof(db->errmsg), "a transaction is already open");
		return MD_ERR_STATE;
	}
	return db_exec(db, "BEGIN IMMEDIATE");
}

enum md_err
db_commit(struct db *db)
{
	if (db->batch) {
		if (!db->item) {
			snprintf(db->errmsg, sizeof(db->errmsg), "no transaction is open");
			return MD_ERR_STATE;
		}
		db->item = 0;
		if (!batch_alive(db))
			return batch_lost_error(db);
		return db_exec(db, "RELEASE md_batch_item");
	}
	if (!db_in_transaction(db)) {
		snprintf(db->errmsg, sizeof(db->errmsg), "no transaction is open");
		return MD_ERR_STATE;
	}
	return db_exec(db, "COMMIT");
}

enum md_err
db_rollback(struct db *db)
{
	enum md_err err;

	if (db->batch) {
		/* Without an item open the caller has nothing of its own to undo. */
		if (!db->item)
			return MD_OK;
		db->item = 0;
		if (!batch_alive(db))
			return MD_OK;
		err = db_exec(db, "ROLLBACK TO md_batch_item; RELEASE md_batch_item");
		if (err)
			db->batch_lost = 1;
		return err == MD_OK ? MD_OK : MD_ERR_DB;
	}
	/* SQLite may already have rolled back by itself (e.g. after SQLITE_FULL). */
	if (!db_in_transaction(db))
		return MD_OK;
	err = db_exec(db, "ROLLBACK");
	return err == MD_OK ? MD_OK : MD_ERR_DB;
}

enum md_err
db_batch_begin(struct db *db)
{
	enum md_err err;

	if (db->batch || db_in_transaction(db)) {
		snprintf(db->errmsg, sizeof(db->errmsg), "a transaction is already open");
		return MD_ERR_STATE;
	}
	/*
	 * Every unit of a batch is a savepoint, and a savepoint copies each
	 * page it changes into a statement journal, a temporary file once
	 * past 64 KiB: a message changes some 40 pages, and 77 of intake's
	 * ~119 pwrite calls per message went to that file. In memory the
	 * journal costs what one unit changes; the caller keeps large units
	 * out of batches (db_batch_begin() in db.h). Not through
	 * SQLITE_CONFIG_STMTJRNL_SPILL: SQLite 3.40 fails writes with
	 * SQLITE_FULL once a journal spills at most settings above 128 KiB.
	 */
	if (!db->journal_in_memory) {
		err = db_exec(db, "PRAGMA temp_store=MEMORY");
		if (err)
			return err;
		db->journal_in_memory = 1;
	}
	err = db_exec(db, "BEGIN IMMEDIATE");
	if (err)
		return err;
	db->batch = 1;
	db->item = 0;
	db->batch_lost = 0;
	return MD_OK;
}

enum md_err
db_batch_commit(struct db *db)
{
	enum md_err err;

	if (!db->batch) {
		snprintf(db->errmsg, sizeof(db->errmsg), "no batch is open");
		return MD_ERR_STATE;
	}
	if (db->item) {
		/* An item left open is a caller's bug: keep none of the batch. */
		db_batch_rollback(db);
		snprintf(db->errmsg, sizeof(db->errmsg), "a transaction inside the batch is open");
		return MD_ERR_STATE;
	}
	db->batch = 0;
	if (!batch_alive(db)) {
		db_rollback(db);
		return batch_lost_error(db);
	}
	err = db_exec(db, "COMMIT");
	if (err)
		db_rollback(db);
	return err;
}

void
db_batch_rollback(struct db *db)
{
	db->batch = 0;
	db->item = 0;
	db_rollback(db);
}

int
db_in_batch(struct db *db)
{
	return db->batch;
}

static enum md_err
read_user_version(struct db *db, int *version)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	err = db_prepare(db, "PRAGMA user_version", &st);
	if (err)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		err = MD_OK;
	} else
		err = rc == SQLITE_DONE ? MD_ERR_DB : db_status(db, rc);
	sqlite3_finalize(st);
	return err;
}

int
db_schema_version(struct db *db)
{
	int v = -1;

	if (read_user_version(db, &v))
		return -1;
	return v;
}

/*
 * Apply the migrations the file lacks, each in its own transaction together
 * with its user_version bump, so a crash leaves the file at a whole version.
 * The version is read again under the write lock because another process
 * may have migrated the file while we waited for it.
 */
static enum md_err
migrate(struct db *db, const char *path)
{
	char sql[64];
	enum md_err err;
	int v;

	for (;;) {
		err = read_user_version(db, &v);
		if (err)
			return err;
		if (v > N_MIGRATIONS) {
			snprintf(db->errmsg, sizeof(db->errmsg),
			    "database schema version %d is newer than this program's (%d); "
			    "upgrade memberdesk", v, N_MIGRATIONS);
			log_warnx("%s: %s", path, db->errmsg);
			return MD_ERR_STATE;
		}
		if (v == N_MIGRATIONS)
			return MD_OK;
		err = db_begin(db);
		if (err)
			return err;
		err = read_user_version(db, &v);
		if (err)
			goto fail;
		if (v < N_MIGRATIONS) {
			err = db_exec(db, migrations[v]);
			if (err)
				goto fail;
			snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
			err = db_exec(db, sql);
			if (err)
				goto fail;
		}
		err = db_commit(db);
		if (err)
			goto fail;
		if (v < N_MIGRATIONS)
			log_info("%s: database schema migrated to version %d", path, v + 1);
	}
fail:
	log_warnx("%s: migration to schema version %d failed: %s", path, v + 1, db->errmsg);
	db_rollback(db);
	return err;
}

/*
 * Create the file ourselves so its mode is exactly 0600: SQLite would apply
 * the process umask, and members' mail must not be readable by others.
 * SQLite gives the -wal and -shm files the mode of the main file.
 */
static enum md_err
create_private(const char *path)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		if (errno == EEXIST)
			return MD_OK;
		log_warn("%s: cannot create database", path);
		return MD_ERR_IO;
	}
	if (fchmod(fd, 0600) == -1) {
		log_warn("%s: cannot set mode 0600", path);
		close(fd);
		unlink(path);
		return MD_ERR_IO;
	}
	close(fd);
	return MD_OK;
}

static enum md_err
set_pragmas(struct db *db)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	/* journal_mode answers with the mode it ended up in; WAL can be refused. */
	err = db_prepare(db, "PRAGMA journal_mode=WAL", &st);
	if (err)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *mode = (const char *)sqlite3_column_text(st, 0);

		if (mode == NULL || (strcmp(mode, "wal") && strcmp(mode, "memory"))) {
			snprintf(db->errmsg, sizeof(db->errmsg),
			    "cannot switch to WAL journal mode (got %s)", mode ? mode : "nothing");
			err = MD_ERR_DB;
		}
	} else
		err = db_status(db, rc);
	sqlite3_finalize(st);
	if (err)
		return err;
	err = db_exec(db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL");
	if (err)
		return err;
	/*
	 * Checkpoint every 64 MB of log rather than SQLite's 4 MB: intake
	 * rewrites the same index pages in every chunk, and each checkpoint
	 * copies them into the database file again (10,000 messages: 822 vs
	 * 724 msg/s, CPU 0.80 vs 0.92 s per 1,000, bench/RESULTS.md). The
	 * log is cut back to that size after a checkpoint, so it never holds
	 * more disk than this.
	 */
	return db_exec(db, "PRAGMA wal_autocheckpoint=16384; PRAGMA journal_size_limit=67108864");
}

enum md_err
db_open(const char *path, struct db **out)
{
	struct db *db;
	enum md_err err;
	int rc;

	*out = NULL;
	if (strcmp(path, ":memory:") != 0) {
		err = create_private(path);
		if (err)
			return err;
	}
	db = calloc(1, sizeof(*db));
	if (db == NULL)
		return MD_ERR_NOMEM;
	rc = sqlite3_open_v2(path, &db->h,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		err = db_status(db, rc);
		log_warnx("%s: cannot open database: %s", path, db->errmsg);
		goto fail;
	}
	sqlite3_extended_result_codes(db->h, 1);
	err = db_set_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
	if (err == MD_OK)
		err = set_pragmas(db);
	if (err) {
		log_warnx("%s: cannot set up database: %s", path, db->errmsg);
		goto fail;
	}
	err = migrate(db, path);
	if (err)
		goto fail;
	*out = db;
	return MD_OK;
fail:
	db_close(db);
	return err;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	if (db->h) {
		clear_cache(db);
		db->batch = 0;
		db->item = 0;
		db_rollback(db);
		sqlite3_close_v2(db->h);
	}
	free(db);
}
