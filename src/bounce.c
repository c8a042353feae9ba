/*
 * Bounces linked to the notice they report on (see bounce.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sqlite3.h>

#include "bounce.h"
#include "case.h"
#include "log.h"
#include "notify.h"

/* What is known of the notice a bounce reports on. */
struct bounced_notice {
	int64_t outbox_id;
	int64_t case_id;
	char *kind;          /* owned or NULL */
	char *rcpt;          /* owned or NULL */
	char *message_id;    /* owned or NULL */
};

const char *
bounce_via_name(enum bounce_via via)
{
	switch (via) {
	case BOUNCE_UNLINKED:		return "unlinked";
	case BOUNCE_VIA_MESSAGE_ID:	return "message-id";
	case BOUNCE_VIA_RECIPIENT:	return "recipient";
	}
	return "unlinked";
}

static void
bounced_notice_free(struct bounced_notice *n)
{
	free(n->kind);
	free(n->rcpt);
	free(n->message_id);
	memset(n, 0, sizeof(*n));
}

/* Nonzero when the line at p (up to end) starts with the field name (case-insensitive). */
static int
field_is(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);

	return (size_t)(end - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':';
}

/* A DSN status code: class 2, 4 or 5, then .d{1,3}.d{1,3}. */
static size_t
status_len(const char *p, const char *end)
{
	const char *q = p;
	int part, digits;

	if (q >= end || (*q != '2' && *q != '4' && *q != '5'))
		return 0;
	q++;
	for (part = 0; part < 2; part++) {
		if (q >= end || *q != '.')
			return 0;
		q++;
		for (digits = 0; q < end && isdigit((unsigned char)*q) && digits < 3; digits++)
			q++;
		if (digits == 0)
			return 0;
	}
	if (q < end && isdigit((unsigned char)*q))
		return 0;
	return (size_t)(q - p);
}

/* Append the value of a (possibly folded) field, control characters as spaces. */
static void
copy_field(const char *p, const char *end, char *dst, size_t dstlen)
{
	size_t n = 0;
	int space = 1;

	while (p < end && n + 1 < dstlen) {
		unsigned char c = (unsigned char)*p;

		if (c == '\r' || c == '\n') {
			/* Folded lines go on only after whitespace. */
			while (p < end && (*p == '\r' || *p == '\n'))
				p++;
			if (p >= end || (*p != ' ' && *p != '\t'))
				break;
			c = ' ';
		} else
			p++;
		if (c < 0x20 || c == 0x7f)
			c = ' ';
		if (c == ' ' && space)
			continue;
		space = c == ' ';
		dst[n++] = (char)c;
	}
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

void
bounce_dsn_fields(const char *raw, size_t len, size_t max_scan, char *status,
    size_t statuslen, char *diag, size_t diaglen)
{
	const char *p, *end, *eol, *v;
	size_t n, dmax;

	if (statuslen)
		status[0] = '\0';
	if (diaglen)
		diag[0] = '\0';
	if (raw == NULL || statuslen == 0 || diaglen == 0)
		return;
	dmax = diaglen < BOUNCE_DIAGNOSTIC_MAX + 1 ? diaglen : BOUNCE_DIAGNOSTIC_MAX + 1;
	end = raw + (len < max_scan ? len : max_scan);
	for (p = raw; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if (status[0] == '\0' && field_is(p, eol, "Status")) {
			for (v = p + 7; v < eol && (*v == ' ' || *v == '\t'); v++)
				;
			n = status_len(v, eol);
			if (n > 0 && n < statuslen) {
				memcpy(status, v, n);
				status[n] = '\0';
			}
		} else if (diag[0] == '\0' && field_is(p, eol, "Diagnostic-Code")) {
			for (v = p + 16; v < eol && (*v == ' ' || *v == '\t'); v++)
				;
			copy_field(v, end, diag, dmax);
		}
		if (status[0] && diag[0])
			break;
		if (eol == end)
			break;
	}
}

static enum md_err
notice_from_row(sqlite3_stmt *st, struct bounced_notice *out)
{
	enum md_err err;

	out->outbox_id = sqlite3_column_int64(st, 0);
	out->case_id = sqlite3_column_int64(st, 1);
	err = db_column_dup(st, 2, &out->kind);
	if (err == MD_OK)
		err = db_column_dup(st, 3, &out->rcpt);
	if (err == MD_OK)
		err = db_column_dup(st, 4, &out->message_id);
	return err;
}

/* One outbox row by Message-ID, or by recipient (most recent sent since since). */
static enum md_err
find_outbox(struct db *db, const char *message_id, const char *rcpt, time_t since,
    struct bounced_notice *out)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	if (message_id)
		err = db_prepare_cached(db, "SELECT id, coalesce(case_id, 0), kind, rcpt, message_id"
		    " FROM outbox WHERE message_id = ?", &st);
	else
		err = db_prepare_cached(db, "SELECT id, coalesce(case_id, 0), kind, rcpt, message_id"
		    " FROM outbox WHERE rcpt = ? AND status = 'sent' AND sent_at >= ?"
		    " ORDER BY sent_at DESC, id DESC LIMIT 1", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, message_id ? message_id : rcpt, -1, SQLITE_STATIC);
	if (message_id == NULL)
		sqlite3_bind_int64(st, 2, (sqlite3_int64)since);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = notice_from_row(st, out);
	else if (rc == SQLITE_DONE)
		err = MD_ERR_NOTFOUND;
	else
		err = db_status(db, rc);
	db_release(db, st);
	return err;
}

/* An outgoing message of a case with this Message-ID (e.g. a notice no longer in the outbox). */
static enum md_err
find_outgoing(struct db *db, const char *message_id, struct bounced_notice *out)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	err = db_prepare_cached(db, "SELECT case_id FROM messages WHERE message_id = ?"
	    " AND direction = 'out' AND case_id IS NOT NULL ORDER BY id LIMIT 1", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, message_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->case_id = sqlite3_column_int64(st, 0);
		out->message_id = strdup(message_id);
		err = out->message_id ? MD_OK : MD_ERR_NOMEM;
	} else if (rc == SQLITE_DONE)
		err = MD_ERR_NOTFOUND;
	else
		err = db_status(db, rc);
	db_release(db, st);
	return err;
}

static enum md_err
link_notice(struct db *db, const struct auto_verdict *v, time_t now, struct bounced_notice *n,
    enum bounce_via *via)
{
	enum md_err err = MD_ERR_NOTFOUND;
	size_t i;

	*via = BOUNCE_UNLINKED;
	if (v->original_message_id) {
		err = find_outbox(db, v->original_message_id, NULL, 0, n);
		if (err == MD_ERR_NOTFOUND)
			err = find_outgoing(db, v->original_message_id, n);
		if (err != MD_ERR_NOTFOUND) {
			if (err == MD_OK)
				*via = BOUNCE_VIA_MESSAGE_ID;
			return err;
		}
	}
	for (i = 0; i < v->n_failed_recipients; i++) {
		err = find_outbox(db, NULL, v->failed_recipients[i], now - BOUNCE_RECIPIENT_WINDOW,
		    n);
		if (err != MD_ERR_NOTFOUND) {
			if (err == MD_OK)
				*via = BOUNCE_VIA_RECIPIENT;
			return err;
		}
	}
	return err;
}

/* Was a failure of this notice reported on the case before? */
static enum md_err
reported_before(struct db *db, int64_t case_id, const char *notice_message_id, int *yes)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	*yes = 0;
	if (notice_message_id == NULL || case_id == 0)
		return MD_OK;
	err = db_prepare_cached(db, "SELECT 1 FROM case_events WHERE case_id = ?"
	    " AND kind = '" BOUNCE_EVENT "' AND json_valid(detail)"
	    " AND json_extract(detail, '$.notice_message_id') = ?"
	    " AND json_extract(detail, '$.delayed') = 0 LIMIT 1", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_text(st, 2, notice_message_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*yes = 1;
	else
		err = db_status(db, rc);
	db_release(db, st);
	return err;
}

static enum md_err
record_event(struct db *db, const struct bounced_notice *n, const struct auto_verdict *v,
    enum bounce_via via, const char *address, const char *status, const char *diag,
    int64_t row, time_t now)
{
	json_t *j;
	char *detail;
	enum md_err err;

	j = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:b, s:s}", "address", address,
	    "status", status[0] ? status : NULL, "diagnostic", diag[0] ? diag : NULL,
	    "notice", n->kind, "notice_message_id", n->message_id, "delayed", v->delayed,
	    "linked_by", bounce_via_name(via));
	detail = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (detail == NULL)
		return MD_ERR_NOMEM;
	err = case_add_event(db, n->case_id, now, BOUNCE_EVENT, "system", detail, row, NULL);
	free(detail);
	return err;
}

/* Cut s to at most max bytes at a UTF-8 character boundary. */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

static enum md_err
queue_alerts(const struct md_config *cfg, struct db *db, const struct bounced_notice *n,
    const char *address, const char *reason, const struct message *msg, time_t now,
    int *alerted)
{
	struct case_record *c = NULL;
	struct template_var vars[8];
	struct notify_request rq;
	char tag[CASE_NUMBER_MAX + 2], *excerpt = NULL;
	size_t nv = 0, queued = 0, cut;
	enum md_err err = MD_OK;

	if (n->case_id) {
		err = case_get(db, n->case_id, &c);
		if (err)
			return err;
	}
	if (msg && msg->text_len) {
		cut = utf8_cut(msg->text, msg->text_len, BOUNCE_EXCERPT_MAX);
		excerpt = strndup(msg->text, cut);
		if (excerpt == NULL) {
			case_record_free(c);
			return MD_ERR_NOMEM;
		}
	}
	snprintf(tag, sizeof(tag), c ? "[%s]" : "%s", c ? c->number : "");
	vars[nv].name = "case_number";	vars[nv++].value = c ? c->number : "";
	vars[nv].name = "case_tag";	vars[nv++].value = tag;
	vars[nv].name = "subject";	vars[nv++].value = c ? c->subject : "";
	vars[nv].name = "recipient";	vars[nv++].value = address;
	vars[nv].name = "notice";	vars[nv++].value = n->kind;
	vars[nv].name = "reason";	vars[nv++].value = reason;
	vars[nv].name = "text";		vars[nv++].value = excerpt;

	memset(&rq, 0, sizeof(rq));
	rq.case_id = n->case_id;
	rq.kind = "bounce_alert";
	rq.template_name = "bounce_alert";
	rq.vars = vars;
	rq.nvars = nv;
	rq.thread_topic = c ? c->subject : NULL;
	rq.auto_submitted = NOTICE_AUTO_GENERATED;
	err = notify_queue_role(cfg, db, &rq, STAFF_SECRETARIAT, now, &queued);
	*alerted += queued;
	free(excerpt);
	case_record_free(c);
	return err;
}

static int
is_our_alert(const char *kind)
{
	return kind && (strcmp(kind, "bounce_alert") == 0 || strcmp(kind, "rate_alert") == 0);
}

enum md_err
bounce_handle(const struct md_config *cfg, struct db *db, const struct auto_verdict *v,
    const struct message *msg, const char *raw, size_t len, int64_t row, time_t now,
    struct bounce_result *res)
{
	struct bounced_notice n;
	struct bounce_result r;
	enum bounce_via via;
	char status[16], diag[BOUNCE_DIAGNOSTIC_MAX + 1], reason[BOUNCE_DIAGNOSTIC_MAX + 64];
	char esc[256], esc2[256];
	const char *address;
	int before = 0;
	enum md_err err;

	memset(&r, 0, sizeof(r));
	memset(&n, 0, sizeof(n));
	if (res)
		memset(res, 0, sizeof(*res));
	if (!db_in_transaction(db))
		return MD_ERR_STATE;
	if (v == NULL || !v->is_automatic || v->kind == NULL || strcmp(v->kind, "bounce") != 0)
		return MD_OK;

	err = link_notice(db, v, now, &n, &via);
	if (err == MD_ERR_NOTFOUND) {
		log_info("message %lld: bounce not linked to any notice (Message-ID %s, "
		    "%zu failed recipient%s); kept", (long long)row,
		    log_escape(esc, sizeof(esc), v->original_message_id ?
		    v->original_message_id : "none"), v->n_failed_recipients,
		    v->n_failed_recipients == 1 ? "" : "s");
		return MD_OK;
	}
	if (err)
		goto out;

	/* The notice's recipient is the one that failed; a DSN may list others too. */
	if (n.rcpt)
		address = n.rcpt;
	else if (v->n_failed_recipients)
		address = v->failed_recipients[0];
	else
		address = "";
	bounce_dsn_fields(raw, len, 1024 * 1024, status, sizeof(status), diag, sizeof(diag));
	r.via = via;
	r.case_id = n.case_id;
	r.outbox_id = n.outbox_id;
	snprintf(r.address, sizeof(r.address), "%s", address);
	snprintf(r.status, sizeof(r.status), "%s", status);

	if (n.case_id) {
		err = reported_before(db, n.case_id, n.message_id, &before);
		if (err == MD_OK)
			err = record_event(db, &n, v, via, address, status, diag, row, now);
		if (err)
			goto out;
	}
	if (!v->delayed && !before && !is_our_alert(n.kind)) {
		if (status[0] && diag[0])
			snprintf(reason, sizeof(reason), "%s %s", status, diag);
		else if (status[0] || diag[0])
			snprintf(reason, sizeof(reason), "%s", status[0] ? status : diag);
		else
			snprintf(reason, sizeof(reason), "%s", v->reason);
		err = queue_alerts(cfg, db, &n, address, reason, msg, now, &r.alerted);
		if (err)
			goto out;
	}
	log_info("message %lld: %s bounce for %s notice to %s (linked by %s, status %s)%s",
	    (long long)row, v->delayed ? "delay-only" : "failure",
	    n.kind ? n.kind : "a", log_escape(esc, sizeof(esc), address), bounce_via_name(via),
	    log_escape(esc2, sizeof(esc2), status[0] ? status : "none"),
	    r.alerted ? "; secretariat told" : "");
out:
	bounced_notice_free(&n);
	if (res && err == MD_OK)
		*res = r;
	return err;
}
