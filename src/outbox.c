/*
 * Outbox rows and their state transitions. The transitions are single
 * UPDATEs guarded by "status = 'queued'", so a late outcome for an item
 * that something else already finished is refused instead of undoing it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "dbstmt.h"
#include "outbox.h"

int
outbox_address_ok(const char *addr)
{
	const unsigned char *p;
	const char *at;
	size_t len = strlen(addr);

	at = strchr(addr, '@');
	if (len == 0 || len > 254 || at == NULL || at == addr || at[1] == '\0' ||
	    strchr(at + 1, '@'))
		return 0;
	for (p = (const unsigned char *)addr; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>' || *p == '"' ||
		    *p == '\\' || *p == ',' || *p == ';' || *p == '(' || *p == ')')
			return 0;
	return 1;
}

/*
 * Data must already be CRLF: a bare CR or LF would be sent as is by
 * libcurl. Line ends are found with memchr() rather than byte by byte: a
 * case notice is checked twice (outbox_check() before its message is
 * written, outbox_queue() again), and the byte loop cost some 23,000
 * instructions per notice (callgrind).
 */
static int
crlf_only(const char *data, size_t len)
{
	const char *end = data + len, *p, *q;

	for (p = data; (q = memchr(p, '\n', (size_t)(end - p))) != NULL; p = q + 1)
		if (q == data || q[-1] != '\r')
			return 0;
	for (p = data; (q = memchr(p, '\r', (size_t)(end - p))) != NULL; p = q + 1)
		if (q + 1 == end || q[1] != '\n')
			return 0;
	return 1;
}

enum md_err
outbox_check(const struct outbox_new *in)
{
	if (in->kind == NULL || *in->kind == '\0' || in->message_id == NULL ||
	    *in->message_id == '\0' || in->mail_from == NULL || in->rcpt == NULL ||
	    in->data == NULL || in->len == 0)
		return MD_ERR_INPUT;
	if ((*in->mail_from && !outbox_address_ok(in->mail_from)) ||
	    !outbox_address_ok(in->rcpt) || !crlf_only(in->data, in->len))
		return MD_ERR_INPUT;
	return MD_OK;
}

enum md_err
outbox_queue(struct db *db, const struct outbox_new *in, time_t now, int64_t *id)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	if (!db_in_transaction(db))
		return MD_ERR_STATE;
	err = outbox_check(in);
	if (err)
		return err;
	err = db_prepare_cached(db, "INSERT INTO outbox (case_id, kind, message_id, mail_from, rcpt,"
	    " data, status, attempts, next_attempt_at, created_at, message_row)"
	    " VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?)", &st);
	if (err)
		return err;
	dbstmt_bind_id(st, 1, in->case_id);
	sqlite3_bind_text(st, 2, in->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in->message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, in->mail_from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, in->rcpt, -1, SQLITE_STATIC);
	/* The bytes are the message row's: an empty blob here, not a second copy. */
	if (in->message_row)
		sqlite3_bind_blob64(st, 6, "", 0, SQLITE_STATIC);
	else
		sqlite3_bind_blob64(st, 6, in->data, in->len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)now);
	dbstmt_bind_id(st, 9, in->message_row);
	rc = sqlite3_step(st);
	err = db_status(db, rc);
	db_release(db, st);
	if (err == MD_OK && id)
		*id = sqlite3_last_insert_rowid(db_handle(db));
	return err;
}

void
outbox_item_free(struct outbox_item *it)
{
	if (it == NULL)
		return;
	free(it->kind);
	free(it->message_id);
	free(it->mail_from);
	free(it->rcpt);
	free(it->data);
	free(it->last_error);
	free(it);
}

static enum md_err
item_from_row(sqlite3_stmt *st, struct outbox_item *it)
{
	const void *p;
	size_t n;
	enum md_err err;

	it->id = sqlite3_column_int64(st, 0);
	it->case_id = sqlite3_column_int64(st, 1);
	it->attempts = sqlite3_column_int(st, 7);
	it->next_attempt_at = (time_t)sqlite3_column_int64(st, 8);
	it->created_at = (time_t)sqlite3_column_int64(st, 9);
	if ((err = db_column_dup_empty(st, 2, &it->kind)) ||
	    (err = db_column_dup_empty(st, 3, &it->message_id)) ||
	    (err = db_column_dup_empty(st, 4, &it->mail_from)) ||
	    (err = db_column_dup_empty(st, 5, &it->rcpt)) ||
	    (err = db_column_dup(st, 10, &it->last_error)))
		return err;
	/* NULL only for a message_row whose message is gone (see the SELECT). */
	if (sqlite3_column_type(st, 6) == SQLITE_NULL)
		return MD_ERR_DB;
	p = sqlite3_column_blob(st, 6);
	n = (size_t)sqlite3_column_bytes(st, 6);
	it->data = malloc(n + 1);
	if (it->data == NULL)
		return MD_ERR_NOMEM;
	if (n)
		memcpy(it->data, p, n);
	it->data[n] = '\0';
	it->len = n;
	return MD_OK;
}

/*
 * A notice on a case keeps its bytes in its message (message_row, raw in
 * messages or, from 1 MiB, in message_raw); older rows and notices without
 * a case in outbox.data.
 */
#define ITEM_FROM "SELECT o.id, o.case_id, o.kind, o.message_id, o.mail_from, o.rcpt," \
	" CASE WHEN o.message_row IS NULL THEN o.data ELSE coalesce(r.raw, m.raw) END," \
	" o.attempts, o.next_attempt_at, o.created_at, o.last_error FROM outbox o" \
	" LEFT JOIN messages m ON m.id = o.message_row" \
	" LEFT JOIN message_raw r ON r.message_id = o.message_row"

/* The first row of st (bound, not yet stepped) as a new item; st is released. */
static enum md_err
item_from_stmt(struct db *db, sqlite3_stmt *st, struct outbox_item **out)
{
	struct outbox_item *it = NULL;
	enum md_err err;

	err = dbstmt_row(db, st);
	if (err)
		goto out;
	it = calloc(1, sizeof(*it));
	if (it == NULL) {
		err = MD_ERR_NOMEM;
		goto out;
	}
	err = item_from_row(st, it);
	if (err)
		goto out;
	*out = it;
	it = NULL;
out:
	outbox_item_free(it);
	db_release(db, st);
	return err;
}

enum md_err
outbox_next_due(struct db *db, time_t now, struct outbox_item **out)
{
	sqlite3_stmt *st;
	enum md_err err;

	*out = NULL;
	err = db_prepare_cached(db, ITEM_FROM
	    " WHERE o.status = 'queued' AND o.next_attempt_at <= ?"
	    " ORDER BY o.created_at, o.id LIMIT 1", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	return item_from_stmt(db, st, out);
}

enum md_err
outbox_due_ids(struct db *db, time_t now, int64_t *ids, size_t max, size_t *n)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	*n = 0;
	if (max == 0)
		return MD_ERR_INPUT;
	/*
	 * The order needs created_at, which lies behind the data in each row:
	 * every due row is read for it. Once per batch, not once per notice.
	 */
	err = db_prepare_cached(db, "SELECT id FROM outbox"
	    " WHERE status = 'queued' AND next_attempt_at <= ?"
	    " ORDER BY created_at, id LIMIT ?", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max)
		ids[(*n)++] = sqlite3_column_int64(st, 0);
	err = rc == SQLITE_ROW ? MD_OK : db_status(db, rc);
	db_release(db, st);
	if (err == MD_OK && *n == 0)
		err = MD_ERR_NOTFOUND;
	return err;
}

enum md_err
outbox_get_due(struct db *db, int64_t id, time_t now, struct outbox_item **out)
{
	sqlite3_stmt *st;
	enum md_err err;

	*out = NULL;
	err = db_prepare_cached(db, ITEM_FROM
	    " WHERE o.id = ? AND o.status = 'queued' AND o.next_attempt_at <= ?", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	return item_from_stmt(db, st, out);
}

/* After an UPDATE guarded by status = 'queued' changed nothing: say why. */
static enum md_err
why_unchanged(struct db *db, int64_t id)
{
	sqlite3_stmt *st;
	enum md_err err;

	err = db_prepare_cached(db, "SELECT status FROM outbox WHERE id = ?", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	err = dbstmt_row(db, st);
	db_release(db, st);
	return err == MD_OK ? MD_ERR_STATE : err;
}

/* Bind error text cut to OUTBOX_ERROR_MAX bytes without splitting a UTF-8 sequence. */
static void
bind_error(sqlite3_stmt *st, int col, const char *error)
{
	size_t n;

	if (error == NULL) {
		sqlite3_bind_null(st, col);
		return;
	}
	n = strlen(error);
	if (n > OUTBOX_ERROR_MAX) {
		n = OUTBOX_ERROR_MAX;
		while (n > 0 && ((unsigned char)error[n] & 0xc0) == 0x80)
			n--;
	}
	sqlite3_bind_text64(st, col, error, n, SQLITE_TRANSIENT, SQLITE_UTF8);
}

static enum md_err
transition(struct db *db, int64_t id, const char *sql, int64_t t, const char *error,
    int with_time, int with_error)
{
	sqlite3_stmt *st;
	enum md_err err;
	int col = 1;

	err = db_prepare_cached(db, sql, &st);
	if (err)
		return err;
	if (with_time)
		sqlite3_bind_int64(st, col++, t);
	if (with_error)
		bind_error(st, col++, error);
	sqlite3_bind_int64(st, col, id);
	err = dbstmt_change(db, st);
	if (err == MD_ERR_NOTFOUND)
		err = why_unchanged(db, id);
	return err;
}

enum md_err
outbox_mark_sent(struct db *db, int64_t id, time_t now)
{
	return transition(db, id, "UPDATE outbox SET status = 'sent', sent_at = ?,"
	    " attempts = attempts + 1 WHERE id = ? AND status = 'queued'",
	    (int64_t)now, NULL, 1, 0);
}

enum md_err
outbox_mark_retry(struct db *db, int64_t id, time_t next_attempt_at, const char *error)
{
	return transition(db, id, "UPDATE outbox SET next_attempt_at = ?, last_error = ?,"
	    " attempts = attempts + 1 WHERE id = ? AND status = 'queued'",
	    (int64_t)next_attempt_at, error, 1, 1);
}

enum md_err
outbox_mark_failed(struct db *db, int64_t id, const char *error)
{
	return transition(db, id, "UPDATE outbox SET status = 'failed', last_error = ?,"
	    " attempts = attempts + 1 WHERE id = ? AND status = 'queued'",
	    0, error, 0, 1);
}

enum md_err
outbox_counts(struct db *db, struct outbox_counts *c)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	memset(c, 0, sizeof(*c));
	err = db_prepare(db, "SELECT"
	    " (SELECT count(*) FROM outbox WHERE status = 'queued'),"
	    " (SELECT count(*) FROM outbox WHERE status = 'sent'),"
	    " (SELECT count(*) FROM outbox WHERE status = 'failed'),"
	    " (SELECT min(created_at) FROM outbox WHERE status = 'queued')", &st);
	if (err)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		c->queued = (size_t)sqlite3_column_int64(st, 0);
		c->sent = (size_t)sqlite3_column_int64(st, 1);
		c->failed = (size_t)sqlite3_column_int64(st, 2);
		c->oldest_queued = (time_t)sqlite3_column_int64(st, 3);
	} else
		err = db_status(db, rc);
	sqlite3_finalize(st);
	return err;
}
