/*
 * Verbatim message storage and the IMAP high-water marks. Duplicate checks
 * are separate lookups rather than one clever query so that intake can log
 * which rule recognised a message.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "db.h"
#include "dbstmt.h"
#include "msgstore.h"
#include "spool.h"

/* Finish h into out as lower-case hex (MSGSTORE_SHA256_HEX bytes). */
static void
sha256_finish(gnutls_hash_hd_t h, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char digest[32];
	size_t i;

	gnutls_hash_deinit(h, digest);
	for (i = 0; i < sizeof(digest); i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0xf];
	}
	out[64] = '\0';
}

enum md_err
msgstore_sha256_hex(const void *raw, size_t len, char *out)
{
	gnutls_hash_hd_t h;
	const char *p = raw;
	size_t off, n;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return MD_ERR_NOMEM;
	/* In steps, so that a spooled message is not resident all at once. */
	for (off = 0; off < len; off += n) {
		n = len - off < SPOOL_STEP ? len - off : SPOOL_STEP;
		if (gnutls_hash(h, p + off, n) < 0) {
			gnutls_hash_deinit(h, NULL);
			return MD_ERR_NOMEM;
		}
		spool_release(p + off, n);
	}
	sha256_finish(h, out);
	return MD_OK;
}

static enum md_err
hash_sink(const void *p, size_t n, void *arg)
{
	gnutls_hash_hd_t h = arg;

	return gnutls_hash(h, p, n) < 0 ? MD_ERR_NOMEM : MD_OK;
}

enum md_err
msgstore_attachment_sha256(const struct message_attachment *a, char *out)
{
	gnutls_hash_hd_t h;
	enum md_err err;

	if (a->data == NULL && a->encoded == NULL)
		return MD_ERR_STATE;
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return MD_ERR_NOMEM;
	err = message_attachment_decode(a, hash_sink, h);
	if (err) {
		gnutls_hash_deinit(h, NULL);
		return err;
	}
	sha256_finish(h, out);
	return MD_OK;
}

/* Run a query binding the given values; the first column of the first row is the id. */
static enum md_err
find_id(struct db *db, sqlite3_stmt *st, int64_t *id)
{
	enum md_err err;

	err = dbstmt_row(db, st);
	if (err == MD_OK && id)
		*id = sqlite3_column_int64(st, 0);
	db_release(db, st);
	return err;
}

enum md_err
msgstore_find_uid(struct db *db, const char *mailbox, uint32_t uidvalidity, uint32_t uid,
    int64_t *id)
{
	sqlite3_stmt *st;
	enum md_err err;

	err = db_prepare_cached(db, "SELECT id FROM messages WHERE mailbox = ? AND uidvalidity = ?"
	    " AND uid = ?", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, mailbox, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_int64(st, 3, uid);
	return find_id(db, st, id);
}

enum md_err
msgstore_find_message_id(struct db *db, const char *message_id, int64_t *id)
{
	sqlite3_stmt *st;
	enum md_err err;

	err = db_prepare_cached(db, "SELECT id FROM messages WHERE message_id = ? ORDER BY id LIMIT 1",
	    &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, message_id, -1, SQLITE_STATIC);
	return find_id(db, st, id);
}

enum md_err
msgstore_find_sha256(struct db *db, const char *sha256_hex, int64_t *id)
{
	sqlite3_stmt *st;
	enum md_err err;

	err = db_prepare_cached(db, "SELECT id FROM messages WHERE sha256 = ? AND direction = 'in'"
	    " ORDER BY id LIMIT 1", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, sha256_hex, -1, SQLITE_STATIC);
	return find_id(db, st, id);
}

/*
 * Large values are inserted as zeroblob() and written in steps: bound
 * whole, SQLite would build the whole record in memory first.
 */
#define MSGSTORE_STREAM_MIN	SPOOL_STEP

struct blob_sink {
	sqlite3_blob *blob;
	size_t off;
	int rc;
};

static enum md_err
blob_sink_write(const void *p, size_t n, void *arg)
{
	struct blob_sink *b = arg;

	if (n > (size_t)INT_MAX || b->off > (size_t)INT_MAX - n) {
		b->rc = SQLITE_TOOBIG;
		return MD_ERR_LIMIT;
	}
	b->rc = sqlite3_blob_write(b->blob, p, (int)n, (int)b->off);
	if (b->rc != SQLITE_OK)
		return MD_ERR_DB;
	b->off += n;
	return MD_OK;
}

/* Fill column col of row in table (inserted as a zeroblob) through write. */
static enum md_err
blob_fill(struct db *db, const char *table, const char *col, int64_t row,
    enum md_err (*write)(struct blob_sink *, const void *), const void *arg)
{
	struct blob_sink b;
	enum md_err err;
	int rc;

	memset(&b, 0, sizeof(b));
	rc = sqlite3_blob_open(db_handle(db), "main", table, col, row, 1, &b.blob);
	if (rc != SQLITE_OK) {
		sqlite3_blob_close(b.blob);
		return db_status(db, rc);
	}
	err = write(&b, arg);
	rc = sqlite3_blob_close(b.blob);
	if (err == MD_ERR_DB || (err == MD_OK && rc != SQLITE_OK))
		return db_status(db, b.rc != SQLITE_OK ? b.rc : rc);
	return err;
}

static enum md_err
write_raw(struct blob_sink *b, const void *arg)
{
	const struct msgstore_new *in = arg;
	enum md_err err = MD_OK;
	size_t off, n;

	for (off = 0; off < in->raw_len && err == MD_OK; off += n) {
		n = in->raw_len - off < SPOOL_STEP ? in->raw_len - off : SPOOL_STEP;
		err = blob_sink_write(in->raw + off, n, b);
		spool_release(in->raw + off, n);
	}
	return err;
}

/* The raw bytes of a large message, in message_raw (db.c, migration 5). */
static enum md_err
insert_large_raw(struct db *db, int64_t msg_id, const struct msgstore_new *in)
{
	sqlite3_stmt *st;
	enum md_err err;

	err = db_prepare(db, "INSERT INTO message_raw (message_id, raw) VALUES (?, ?)", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, msg_id);
	sqlite3_bind_zeroblob64(st, 2, in->raw_len);
	err = db_status(db, sqlite3_step(st));
	sqlite3_finalize(st);
	if (err)
		return err;
	return blob_fill(db, "message_raw", "raw", msg_id, write_raw, in);
}

/*
 * An attachment's bytes are in the raw message already: its row keeps what
 * identifies it there (db.c, migration 6) and the SHA-256 of the decoded
 * bytes when they were kept, so that reading it back can prove it decoded
 * the same bytes.
 */
static enum md_err
insert_attachments(struct db *db, int64_t msg_id, const struct msgstore_new *in)
{
	const struct message *msg = in->msg;
	char sha[MSGSTORE_SHA256_HEX];
	const struct message_attachment *a;
	sqlite3_stmt *st;
	enum md_err err;
	size_t i;

	err = db_prepare_cached(db, "INSERT INTO attachments (message_id, filename, content_type,"
	    " size, part, sha256) VALUES (?, ?, ?, ?, ?, ?)", &st);
	if (err)
		return err;
	for (i = 0; i < msg->n_attachments && err == MD_OK; i++) {
		a = &msg->attachments[i];
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, msg_id);
		sqlite3_bind_text(st, 2, a->filename ? a->filename : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, a->content_type ? a->content_type :
		    "application/octet-stream", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)a->size);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)i);
		if (in->attachment_sha256) {
			if (in->attachment_sha256[i][0])
				sqlite3_bind_text(st, 6, in->attachment_sha256[i], -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(st, 6);
		} else if (a->data || a->encoded) {
			err = msgstore_attachment_sha256(a, sha);
			if (err)
				break;
			sqlite3_bind_text(st, 6, sha, -1, SQLITE_STATIC);
		} else
			sqlite3_bind_null(st, 6);
		err = db_status(db, sqlite3_step(st));
	}
	db_release(db, st);
	return err;
}

static enum md_err
insert_message(struct db *db, const struct msgstore_new *in, int64_t *id)
{
	char sha[MSGSTORE_SHA256_HEX];
	const struct message *m = in->msg;
	sqlite3_stmt *st;
	int64_t msg_id;
	enum md_err err;
	int rc;

	if (in->sha256_hex == NULL && (err = msgstore_sha256_hex(in->raw, in->raw_len, sha)) != MD_OK)
		return err;
	err = db_prepare_cached(db, "INSERT INTO messages (case_id, mailbox, uidvalidity, uid,"
	    " message_id, sha256, raw, subject, from_addr, from_name, date, text, direction,"
	    " received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st);
	if (err)
		return err;
	dbstmt_bind_id(st, 1, in->case_id);
	if (in->mailbox) {
		sqlite3_bind_text(st, 2, in->mailbox, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, in->uidvalidity);
		sqlite3_bind_int64(st, 4, in->uid);
	} else {
		sqlite3_bind_null(st, 2);
		sqlite3_bind_null(st, 3);
		sqlite3_bind_null(st, 4);
	}
	dbstmt_bind_text(st, 5, m ? m->message_id : NULL);
	sqlite3_bind_text(st, 6, in->sha256_hex ? in->sha256_hex : sha, -1, SQLITE_STATIC);
	/* A zero-length blob must still be a blob, not NULL. A large one goes to message_raw. */
	if (in->raw_len < MSGSTORE_STREAM_MIN)
		sqlite3_bind_blob64(st, 7, in->raw_len ? (const void *)in->raw : "", in->raw_len,
		    SQLITE_STATIC);
	else
		sqlite3_bind_blob64(st, 7, "", 0, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, m && m->subject ? m->subject : "", -1, SQLITE_STATIC);
	dbstmt_bind_text(st, 9, m ? m->from_addr : NULL);
	sqlite3_bind_text(st, 10, m && m->from_name ? m->from_name : "", -1, SQLITE_STATIC);
	if (m && m->date)
		sqlite3_bind_int64(st, 11, (sqlite3_int64)m->date);
	else
		sqlite3_bind_null(st, 11);
	if (m && m->text)
		sqlite3_bind_text64(st, 12, m->text, m->text_len, SQLITE_STATIC, SQLITE_UTF8);
	else
		sqlite3_bind_text(st, 12, "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, in->outgoing ? "out" : "in", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 14, (sqlite3_int64)in->received_at);
	rc = sqlite3_step(st);
	db_release(db, st);
	err = db_status(db, rc);
	if (err)
		return err;
	msg_id = sqlite3_last_insert_rowid(db_handle(db));
	if (in->raw_len >= MSGSTORE_STREAM_MIN) {
		err = insert_large_raw(db, msg_id, in);
		if (err)
			return err;
	}
	if (m && m->n_attachments) {
		err = insert_attachments(db, msg_id, in);
		if (err)
			return err;
	}
	if (id)
		*id = msg_id;
	return MD_OK;
}

enum md_err
msgstore_insert(struct db *db, const struct msgstore_new *in, int64_t *id)
{
	enum md_err err;
	int own;

	if (in->raw == NULL)
		return MD_ERR_INPUT;
	own = !db_in_transaction(db);
	if (own) {
		err = db_begin(db);
		if (err)
			return err;
	}
	err = insert_message(db, in, id);
	if (own) {
		if (err == MD_OK)
			err = db_commit(db);
		if (err)
			db_rollback(db);
	}
	return err;
}

enum md_err
msgstore_set_case(struct db *db, int64_t message_id, int64_t case_id)
{
	sqlite3_stmt *st;
	enum md_err err;

	err = db_prepare_cached(db, "UPDATE messages SET case_id = ? WHERE id = ?", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, message_id);
	return dbstmt_change(db, st);
}

enum md_err
msgstore_get_raw(struct db *db, int64_t id, char **raw, size_t *len)
{
	sqlite3_stmt *st;
	const void *p;
	enum md_err err;
	size_t n;

	*raw = NULL;
	*len = 0;
	err = db_prepare_cached(db, "SELECT coalesce(r.raw, m.raw) FROM messages m"
	    " LEFT JOIN message_raw r ON r.message_id = m.id WHERE m.id = ?", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	err = dbstmt_row(db, st);
	if (err)
		goto out;
	p = sqlite3_column_blob(st, 0);
	n = (size_t)sqlite3_column_bytes(st, 0);
	*raw = malloc(n + 1);
	if (*raw == NULL) {
		err = MD_ERR_NOMEM;
		goto out;
	}
	if (n)
		memcpy(*raw, p, n);
	(*raw)[n] = '\0';
	*len = n;
out:
	db_release(db, st);
	return err;
}

enum md_err
msgstore_parse_stored(struct db *db, int64_t id, const struct message_limits *lim,
    struct message **out)
{
	struct message_limits all;
	char *raw = NULL;
	size_t len;
	enum md_err err;

	*out = NULL;
	err = msgstore_get_raw(db, id, &raw, &len);
	if (err)
		return err;
	all = *lim;
	/*
	 * Intake applied both already: what it recorded is what must come back.
	 * No attachment decodes to more bytes than its encoding takes in raw.
	 */
	all.max_message_size = len;
	all.max_attachment_size = len;
	err = message_parse(raw, len, &all, out);
	free(raw);
	return err;
}

enum md_err
msgstore_mailbox_get(struct db *db, const char *mailbox, struct mailbox_state *ms)
{
	sqlite3_stmt *st;
	enum md_err err;

	err = db_prepare_cached(db, "SELECT uidvalidity, last_uid, last_poll_at FROM mailbox_state"
	    " WHERE mailbox = ?", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, mailbox, -1, SQLITE_STATIC);
	err = dbstmt_row(db, st);
	if (err == MD_OK) {
		ms->uidvalidity = (uint32_t)sqlite3_column_int64(st, 0);
		ms->last_uid = (uint32_t)sqlite3_column_int64(st, 1);
		ms->last_poll_at = (time_t)sqlite3_column_int64(st, 2);
	}
	db_release(db, st);
	return err;
}

enum md_err
msgstore_mailbox_set(struct db *db, const char *mailbox, const struct mailbox_state *ms)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	err = db_prepare_cached(db, "INSERT INTO mailbox_state (mailbox, uidvalidity, last_uid,"
	    " last_poll_at) VALUES (?, ?, ?, ?) ON CONFLICT (mailbox) DO UPDATE SET"
	    " uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid,"
	    " last_poll_at = excluded.last_poll_at", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, mailbox, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ms->uidvalidity);
	sqlite3_bind_int64(st, 3, ms->last_uid);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)ms->last_poll_at);
	rc = sqlite3_step(st);
	db_release(db, st);
	return db_status(db, rc);
}

enum md_err
msgstore_thread_root(struct db *db, int64_t case_id, char **out)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	*out = NULL;
	err = db_prepare_cached(db, "SELECT message_id FROM messages WHERE case_id = ?"
	    " AND message_id IS NOT NULL ORDER BY id LIMIT 1", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, case_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = db_column_dup(st, 0, out);
	else
		err = db_status(db, rc);
	db_release(db, st);
	return err;
}
