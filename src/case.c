/*
 * Cases and their history. The per-year sequence lives in case_seq and is
 * bumped inside the caller's write transaction, which BEGIN IMMEDIATE makes
 * exclusive: two daemons (or a daemon and a command-line registration) can
 * never hand out the same number, and a rolled-back registration gives its
 * number back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "db.h"
#include "dbstmt.h"

static const char *const channels[] = {
	"email", "visit", "meeting", "walk-in", "phone", "online"
};

int
case_channel_valid(const char *channel)
{
	size_t i;

	for (i = 0; i < sizeof(channels) / sizeof(channels[0]); i++)
		if (strcmp(channel, channels[i]) == 0)
			return 1;
	return 0;
}

static int
prefix_valid(const char *p)
{
	size_t n = 0;

	if (p == NULL)
		return 0;
	for (; *p; p++, n++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9')))
			return 0;
	return n >= 1 && n <= 16;
}

enum md_err
case_format_number(const char *prefix, int year, int seq, char *out, size_t outlen)
{
	int n;

	if (!prefix_valid(prefix) || year < 1970 || year > 9999 || seq < 1)
		return MD_ERR_INPUT;
	n = snprintf(out, outlen, "%s-%04d-%04d", prefix, year, seq);
	if (n < 0 || (size_t)n >= outlen)
		return MD_ERR_LIMIT;
	return MD_OK;
}

static enum md_err
next_seq(struct db *db, const char *prefix, int year, int *seq)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	err = db_prepare_cached(db, "INSERT INTO case_seq (prefix, year, last) VALUES (?, ?, 1)"
	    " ON CONFLICT (prefix, year) DO UPDATE SET last = last + 1", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, year);
	rc = sqlite3_step(st);
	db_release(db, st);
	err = db_status(db, rc);
	if (err)
		return err;
	err = db_prepare_cached(db, "SELECT last FROM case_seq WHERE prefix = ? AND year = ?", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, year);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*seq = sqlite3_column_int(st, 0);
	else
		err = rc == SQLITE_DONE ? MD_ERR_DB : db_status(db, rc);
	db_release(db, st);
	return err;
}

enum md_err
case_create(struct db *db, const struct case_new *in, time_t now, int64_t *id, char *number)
{
	char num[CASE_NUMBER_MAX];
	sqlite3_stmt *st;
	const char *channel = in->channel ? in->channel : "email";
	int64_t cid;
	enum md_err err;
	int seq = 0, rc;

	if (!db_in_transaction(db))
		return MD_ERR_STATE;
	if (!prefix_valid(in->prefix) || in->year < 1970 || in->year > 9999 ||
	    !case_channel_valid(channel))
		return MD_ERR_INPUT;
	err = next_seq(db, in->prefix, in->year, &seq);
	if (err)
		return err;
	err = case_format_number(in->prefix, in->year, seq, num, sizeof(num));
	if (err)
		return err;
	err = db_prepare_cached(db, "INSERT INTO cases (number, prefix, year, seq, subject, text,"
	    " type, tier, status, channel, member_id, requester_name, requester_unit,"
	    " requester_email, requester_phone, submitted_at, created_at, updated_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'registered', ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, num, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, in->year);
	sqlite3_bind_int(st, 4, seq);
	sqlite3_bind_text(st, 5, in->subject ? in->subject : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, in->text ? in->text : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, in->type ? in->type : "other", -1, SQLITE_STATIC);
	dbstmt_bind_text(st, 8, in->tier);
	sqlite3_bind_text(st, 9, channel, -1, SQLITE_STATIC);
	if (in->member_id)
		sqlite3_bind_int64(st, 10, in->member_id);
	else
		sqlite3_bind_null(st, 10);
	sqlite3_bind_text(st, 11, in->requester_name ? in->requester_name : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 12, in->requester_unit ? in->requester_unit : "", -1,
	    SQLITE_STATIC);
	dbstmt_bind_text(st, 13, in->requester_email);
	dbstmt_bind_text(st, 14, in->requester_phone);
	sqlite3_bind_int64(st, 15, (sqlite3_int64)in->submitted_at);
	sqlite3_bind_int64(st, 16, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 17, (sqlite3_int64)now);
	rc = sqlite3_step(st);
	db_release(db, st);
	err = db_status(db, rc);
	if (err)
		return err;
	cid = sqlite3_last_insert_rowid(db_handle(db));
	if (!in->event_by_caller) {
		err = case_add_event(db, cid, now, "registered",
		    in->actor ? in->actor : "system", NULL, in->message_id, NULL);
		if (err)
			return err;
	}
	if (id)
		*id = cid;
	if (number)
		memcpy(number, num, strlen(num) + 1);
	return MD_OK;
}

static enum md_err
case_exists(struct db *db, int64_t case_id)
{
	sqlite3_stmt *st;
	enum md_err err;

	err = db_prepare_cached(db, "SELECT 1 FROM cases WHERE id = ?", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, case_id);
	err = dbstmt_row(db, st);
	db_release(db, st);
	return err;
}

enum md_err
case_add_event(struct db *db, int64_t case_id, time_t at, const char *kind, const char *actor,
    const char *detail, int64_t message_id, int64_t *event_id)
{
	return case_add_event_via(db, case_id, at, kind, actor, NULL, detail, message_id,
	    event_id);
}

enum md_err
case_add_event_via(struct db *db, int64_t case_id, time_t at, const char *kind,
    const char *actor, const char *via, const char *detail, int64_t message_id,
    int64_t *event_id)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	/* A foreign key failure would only say "constraint failed"; say which. */
	err = case_exists(db, case_id);
	if (err)
		return err;
	err = db_prepare_cached(db, "INSERT INTO case_events (case_id, at, kind, actor, detail,"
	    " message_id, via) VALUES (?, ?, ?, ?, ?, ?, ?)", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)at);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, actor ? actor : "", -1, SQLITE_STATIC);
	dbstmt_bind_text(st, 5, detail);
	dbstmt_bind_id(st, 6, message_id);
	dbstmt_bind_text(st, 7, via);
	rc = sqlite3_step(st);
	db_release(db, st);
	err = db_status(db, rc);
	if (err == MD_OK && event_id)
		*event_id = sqlite3_last_insert_rowid(db_handle(db));
	return err;
}

enum md_err
case_set_status(struct db *db, int64_t case_id, const char *status, time_t now)
{
	sqlite3_stmt *st;
	enum md_err err;

	err = db_prepare_cached(db, "UPDATE cases SET status = ?, updated_at = ? WHERE id = ?", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 3, case_id);
	return dbstmt_change(db, st);
}

#define CASE_COLUMNS "id, number, year, seq, subject, text, type, tier, status, channel," \
	" member_id, requester_name, requester_unit, requester_email, requester_phone," \
	" submitted_at, created_at, updated_at, review_due, handling_due, rehandling_due," \
	" result_notice_due, feedback_due, accepted_at, resolved_at, closed_at, archived_at," \
	" assignee, joint_parent_id, extended_count, satisfaction, reject_ground, method"

/* Columns the life cycle may set, by kind; names never come from input. */
static const char *const time_columns[] = {
	"review_due", "handling_due", "rehandling_due", "result_notice_due", "feedback_due",
	"accepted_at", "resolved_at", "closed_at", "archived_at"
};
static const char *const text_columns[] = {
	"type", "tier", "assignee", "satisfaction", "reject_ground", "method"
};
static const char *const int_columns[] = {
	"joint_parent_id", "extended_count"
};

static int
column_in(const char *column, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(column, list[i]) == 0)
			return 1;
	return 0;
}

static enum md_err
set_column(struct db *db, int64_t case_id, const char *column, int kind, int64_t iv,
    const char *tv, time_t now)
{
	char sql[128];
	sqlite3_stmt *st;
	enum md_err err;

	snprintf(sql, sizeof(sql), "UPDATE cases SET %s = ?, updated_at = ? WHERE id = ?",
	    column);
	err = db_prepare_cached(db, sql, &st);
	if (err)
		return err;
	if (kind == 't')
		dbstmt_bind_text(st, 1, tv);
	else if (iv == 0 && strcmp(column, "extended_count") != 0)
		sqlite3_bind_null(st, 1);
	else
		sqlite3_bind_int64(st, 1, iv);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 3, case_id);
	return dbstmt_change(db, st);
}

enum md_err
case_set_time(struct db *db, int64_t case_id, const char *column, time_t t, time_t now)
{
	if (!column_in(column, time_columns, sizeof(time_columns) / sizeof(time_columns[0])))
		return MD_ERR_INPUT;
	return set_column(db, case_id, column, 'i', (int64_t)t, NULL, now);
}

enum md_err
case_set_text(struct db *db, int64_t case_id, const char *column, const char *v, time_t now)
{
	if (!column_in(column, text_columns, sizeof(text_columns) / sizeof(text_columns[0])))
		return MD_ERR_INPUT;
	return set_column(db, case_id, column, 't', 0, v, now);
}

enum md_err
case_set_int(struct db *db, int64_t case_id, const char *column, int64_t v, time_t now)
{
	if (!column_in(column, int_columns, sizeof(int_columns) / sizeof(int_columns[0])))
		return MD_ERR_INPUT;
	return set_column(db, case_id, column, 'i', v, NULL, now);
}

static void
case_record_clear(struct case_record *c)
{
	free(c->number);
	free(c->subject);
	free(c->text);
	free(c->type);
	free(c->tier);
	free(c->status);
	free(c->channel);
	free(c->requester_name);
	free(c->requester_unit);
	free(c->requester_email);
	free(c->requester_phone);
	free(c->assignee);
	free(c->satisfaction);
	free(c->reject_ground);
	free(c->method);
	memset(c, 0, sizeof(*c));
}

void
case_record_free(struct case_record *c)
{
	if (c == NULL)
		return;
	case_record_clear(c);
	free(c);
}

void
case_list_free(struct case_record *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		case_record_clear(&v[i]);
	free(v);
}

/* The numeric columns of a case row (the SELECT both readers below use). */
static void
case_numbers_from_row(sqlite3_stmt *st, struct case_record *c)
{
	c->id = sqlite3_column_int64(st, 0);
	c->year = sqlite3_column_int(st, 2);
	c->seq = sqlite3_column_int(st, 3);
	c->member_id = sqlite3_column_int64(st, 10);
	c->submitted_at = (time_t)sqlite3_column_int64(st, 15);
	c->created_at = (time_t)sqlite3_column_int64(st, 16);
	c->updated_at = (time_t)sqlite3_column_int64(st, 17);
	c->review_due = (time_t)sqlite3_column_int64(st, 18);
	c->handling_due = (time_t)sqlite3_column_int64(st, 19);
	c->rehandling_due = (time_t)sqlite3_column_int64(st, 20);
	c->result_notice_due = (time_t)sqlite3_column_int64(st, 21);
	c->feedback_due = (time_t)sqlite3_column_int64(st, 22);
	c->accepted_at = (time_t)sqlite3_column_int64(st, 23);
	c->resolved_at = (time_t)sqlite3_column_int64(st, 24);
	c->closed_at = (time_t)sqlite3_column_int64(st, 25);
	c->archived_at = (time_t)sqlite3_column_int64(st, 26);
	c->joint_parent_id = sqlite3_column_int64(st, 28);
	c->extended_count = sqlite3_column_int(st, 29);
}

static enum md_err
case_from_row(sqlite3_stmt *st, struct case_record *c)
{
	enum md_err err;

	case_numbers_from_row(st, c);
	if ((err = db_column_dup_empty(st, 1, &c->number)) ||
	    (err = db_column_dup_empty(st, 4, &c->subject)) ||
	    (err = db_column_dup_empty(st, 5, &c->text)) ||
	    (err = db_column_dup_empty(st, 6, &c->type)) ||
	    (err = db_column_dup(st, 7, &c->tier)) ||
	    (err = db_column_dup_empty(st, 8, &c->status)) ||
	    (err = db_column_dup_empty(st, 9, &c->channel)) ||
	    (err = db_column_dup_empty(st, 11, &c->requester_name)) ||
	    (err = db_column_dup_empty(st, 12, &c->requester_unit)) ||
	    (err = db_column_dup(st, 13, &c->requester_email)) ||
	    (err = db_column_dup(st, 14, &c->requester_phone)) ||
	    (err = db_column_dup(st, 27, &c->assignee)) ||
	    (err = db_column_dup(st, 30, &c->satisfaction)) ||
	    (err = db_column_dup(st, 31, &c->reject_ground)) ||
	    (err = db_column_dup(st, 32, &c->method)))
		return err;
	return MD_OK;
}

static enum md_err
case_query_one(struct db *db, const char *sql, const char *text, int64_t id,
    struct case_record **out)
{
	struct case_record *c = NULL;
	sqlite3_stmt *st;
	enum md_err err;

	*out = NULL;
	err = dbstmt_prepare_key(db, sql, text, id, &st);
	if (err)
		return err;
	err = dbstmt_row(db, st);
	if (err)
		goto out;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		err = MD_ERR_NOMEM;
		goto out;
	}
	err = case_from_row(st, c);
	if (err)
		goto out;
	*out = c;
	c = NULL;
out:
	case_record_free(c);
	db_release(db, st);
	return err;
}

enum md_err
case_find_by_number(struct db *db, const char *number, struct case_record **out)
{
	return case_query_one(db, "SELECT " CASE_COLUMNS " FROM cases WHERE number = ?",
	    number, 0, out);
}

enum md_err
case_get(struct db *db, int64_t id, struct case_record **out)
{
	return case_query_one(db, "SELECT " CASE_COLUMNS " FROM cases WHERE id = ?",
	    NULL, id, out);
}

/* Grow an array of n elements of size sz to hold one more; *cap tracks its capacity. */
static enum md_err
grow(void **v, size_t n, size_t *cap, size_t sz)
{
	void *nv;
	size_t ncap;

	if (n < *cap)
		return MD_OK;
	ncap = *cap ? *cap * 2 : 8;
	nv = reallocarray(*v, ncap, sz);
	if (nv == NULL)
		return MD_ERR_NOMEM;
	memset((char *)nv + n * sz, 0, (ncap - n) * sz);
	*v = nv;
	*cap = ncap;
	return MD_OK;
}

/* Every row of st as a case record; releases st. */
static enum md_err
collect_cases(struct db *db, sqlite3_stmt *st, struct case_record **out, size_t *n)
{
	struct case_record *v = NULL;
	size_t len = 0, cap = 0;
	enum md_err err;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = grow((void **)&v, len, &cap, sizeof(*v));
		if (err)
			goto out;
		err = case_from_row(st, &v[len++]);
		if (err)
			goto out;
	}
	err = db_status(db, rc);
out:
	db_release(db, st);
	if (err) {
		case_list_free(v, len);
		return err;
	}
	*out = v;
	*n = len;
	return MD_OK;
}

/* The statement of case_list() and case_list_each() for filter (NULL: all). */
static enum md_err
prepare_list(struct db *db, const struct case_filter *filter, sqlite3_stmt **st)
{
	enum md_err err;

	/*
	 * Overdue cases are a few among all a chamber ever had: ask each status's
	 * (status, deadline) index for them. The planner cannot see through
	 * "?4 = 0 OR ..." and would read every case (a second at a million).
	 */
	if (filter && filter->overdue_at)
		err = db_prepare_cached(db, "SELECT " CASE_COLUMNS " FROM cases WHERE id IN ("
		    "  SELECT id FROM cases WHERE status = 'registered' AND review_due < ?4"
		    "  UNION ALL"
		    "  SELECT id FROM cases WHERE status = 'handling' AND handling_due < ?4"
		    "  UNION ALL"
		    "  SELECT id FROM cases WHERE status = 'rehandling' AND rehandling_due < ?4)"
		    " AND (?1 IS NULL OR status = ?1) AND (?2 = 0 OR year = ?2)"
		    " ORDER BY id DESC LIMIT ?3", st);
	else
		err = db_prepare_cached(db, "SELECT " CASE_COLUMNS " FROM cases"
		    " WHERE (?1 IS NULL OR status = ?1) AND (?2 = 0 OR year = ?2)"
		    " ORDER BY id DESC LIMIT ?3", st);
	if (err)
		return err;
	sqlite3_bind_int64(*st, 4, filter ? (sqlite3_int64)filter->overdue_at : 0);
	dbstmt_bind_text(*st, 1, filter ? filter->status : NULL);
	sqlite3_bind_int(*st, 2, filter ? filter->year : 0);
	sqlite3_bind_int64(*st, 3, filter && filter->limit && filter->limit <= INT64_MAX ?
	    (sqlite3_int64)filter->limit : -1);
	return MD_OK;
}

enum md_err
case_list(struct db *db, const struct case_filter *filter, struct case_record **out,
    size_t *n)
{
	sqlite3_stmt *st;
	enum md_err err;

	*out = NULL;
	*n = 0;
	err = prepare_list(db, filter, &st);
	if (err)
		return err;
	return collect_cases(db, st, out, n);
}

/*
 * Column col of the current row, borrowed from the statement: NULL for SQL
 * NULL, or "" when empty_for_null. MD_ERR_NOMEM when SQLite could not
 * produce the text.
 */
static enum md_err
column_view(sqlite3_stmt *st, int col, int empty_for_null, char **out)
{
	const unsigned char *t;

	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		*out = empty_for_null ? (char *)"" : NULL;
		return MD_OK;
	}
	t = sqlite3_column_text(st, col);
	if (t == NULL)
		return MD_ERR_NOMEM;
	/* Borrowed, never freed or written through: see case_list_each(). */
	*out = (char *)t;
	return MD_OK;
}

/* The current row as a borrowed record, as case_from_row() would fill it except text. */
static enum md_err
case_view_row(sqlite3_stmt *st, struct case_record *c)
{
	enum md_err err;

	memset(c, 0, sizeof(*c));
	case_numbers_from_row(st, c);
	if ((err = column_view(st, 1, 1, &c->number)) ||
	    (err = column_view(st, 4, 1, &c->subject)) ||
	    (err = column_view(st, 6, 1, &c->type)) ||
	    (err = column_view(st, 7, 0, &c->tier)) ||
	    (err = column_view(st, 8, 1, &c->status)) ||
	    (err = column_view(st, 9, 1, &c->channel)) ||
	    (err = column_view(st, 11, 1, &c->requester_name)) ||
	    (err = column_view(st, 12, 1, &c->requester_unit)) ||
	    (err = column_view(st, 13, 0, &c->requester_email)) ||
	    (err = column_view(st, 14, 0, &c->requester_phone)) ||
	    (err = column_view(st, 27, 0, &c->assignee)) ||
	    (err = column_view(st, 30, 0, &c->satisfaction)) ||
	    (err = column_view(st, 31, 0, &c->reject_ground)) ||
	    (err = column_view(st, 32, 0, &c->method)))
		return err;
	return MD_OK;
}

enum md_err
case_list_each(struct db *db, const struct case_filter *filter,
    enum md_err (*fn)(const struct case_record *c, void *arg), void *arg)
{
	struct case_record c;
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	err = prepare_list(db, filter, &st);
	if (err)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = case_view_row(st, &c);
		if (err == MD_OK)
			err = fn(&c, arg);
		if (err)
			goto out;
	}
	err = db_status(db, rc);
out:
	db_release(db, st);
	return err;
}

enum md_err
case_list_joint(struct db *db, int64_t parent_id, struct case_record **out, size_t *n)
{
	sqlite3_stmt *st;
	enum md_err err;

	*out = NULL;
	*n = 0;
	err = db_prepare_cached(db, "SELECT " CASE_COLUMNS " FROM cases WHERE joint_parent_id = ?"
	    " ORDER BY id", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, parent_id);
	return collect_cases(db, st, out, n);
}

static enum md_err
load_messages(struct db *db, struct case_full *f)
{
	struct case_message *m;
	sqlite3_stmt *st;
	size_t cap = 0;
	enum md_err err;
	int rc;

	err = db_prepare_cached(db, "SELECT id, direction, from_addr, from_name, subject, text, date,"
	    " received_at, (SELECT count(*) FROM attachments a WHERE a.message_id = m.id)"
	    " FROM messages m WHERE case_id = ? ORDER BY received_at, id", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, f->c.id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = grow((void **)&f->messages, f->n_messages, &cap, sizeof(*m));
		if (err)
			goto out;
		m = &f->messages[f->n_messages++];
		m->id = sqlite3_column_int64(st, 0);
		m->date = (time_t)sqlite3_column_int64(st, 6);
		m->received_at = (time_t)sqlite3_column_int64(st, 7);
		m->n_attachments = (size_t)sqlite3_column_int64(st, 8);
		if ((err = db_column_dup_empty(st, 1, &m->direction)) ||
		    (err = db_column_dup(st, 2, &m->from_addr)) ||
		    (err = db_column_dup_empty(st, 3, &m->from_name)) ||
		    (err = db_column_dup_empty(st, 4, &m->subject)) ||
		    (err = db_column_dup_empty(st, 5, &m->text)))
			goto out;
	}
	err = db_status(db, rc);
out:
	db_release(db, st);
	return err;
}

static enum md_err
load_events(struct db *db, struct case_full *f)
{
	struct case_event *e;
	sqlite3_stmt *st;
	size_t cap = 0;
	enum md_err err;
	int rc;

	err = db_prepare_cached(db, "SELECT id, at, kind, actor, detail, message_id, via FROM case_events"
	    " WHERE case_id = ? ORDER BY id", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, f->c.id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = grow((void **)&f->events, f->n_events, &cap, sizeof(*e));
		if (err)
			goto out;
		e = &f->events[f->n_events++];
		e->id = sqlite3_column_int64(st, 0);
		e->at = (time_t)sqlite3_column_int64(st, 1);
		e->message_id = sqlite3_column_int64(st, 5);
		if ((err = db_column_dup_empty(st, 2, &e->kind)) ||
		    (err = db_column_dup_empty(st, 3, &e->actor)) ||
		    (err = db_column_dup(st, 4, &e->detail)) ||
		    (err = db_column_dup(st, 6, &e->via)))
			goto out;
	}
	err = db_status(db, rc);
out:
	db_release(db, st);
	return err;
}

enum md_err
case_load(struct db *db, int64_t id, struct case_full **out)
{
	struct case_record *c;
	struct case_full *f;
	enum md_err err;

	*out = NULL;
	err = case_get(db, id, &c);
	if (err)
		return err;
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		case_record_free(c);
		return MD_ERR_NOMEM;
	}
	f->c = *c;
	free(c);
	err = load_messages(db, f);
	if (err == MD_OK)
		err = load_events(db, f);
	if (err) {
		case_full_free(f);
		return err;
	}
	*out = f;
	return MD_OK;
}

void
case_full_free(struct case_full *f)
{
	size_t i;

	if (f == NULL)
		return;
	case_record_clear(&f->c);
	for (i = 0; i < f->n_messages; i++) {
		free(f->messages[i].direction);
		free(f->messages[i].from_addr);
		free(f->messages[i].from_name);
		free(f->messages[i].subject);
		free(f->messages[i].text);
	}
	free(f->messages);
	for (i = 0; i < f->n_events; i++) {
		free(f->events[i].kind);
		free(f->events[i].actor);
		free(f->events[i].detail);
		free(f->events[i].via);
	}
	free(f->events);
	free(f);
}
