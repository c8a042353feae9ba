/*
 * Rate limits on automatic mail (see ratelimit.h for what counts and why).
 * Every figure comes from the outbox itself (sent_at per recipient and
 * case), so the limits survive restarts and need no table of their own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "case.h"
#include "log.h"
#include "notify.h"
#include "ratelimit.h"

#define HOUR	3600
#define DAY	86400

const char *
ratelimit_rule_name(enum ratelimit_rule rule)
{
	switch (rule) {
	case RATELIMIT_NONE:		return "none";
	case RATELIMIT_RECIPIENT_HOUR:	return "recipient-hour";
	case RATELIMIT_CASE_DAY:	return "case-day";
	case RATELIMIT_STAFF_HOUR:	return "staff-hour";
	}
	return "unknown";
}

/*
 * When fewer than limit matching notices were sent in the window ending
 * at now, *fits_at is 0. Otherwise it is the moment the limit-th most
 * recent one leaves the window, which is when one more fits.
 */
static enum md_err
window_fits_at(struct db *db, const char *sql, const char *rcpt, int64_t case_id,
    time_t since, int limit, time_t window, time_t *fits_at)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc, i = 1;

	*fits_at = 0;
	if (limit <= 0)
		return MD_OK;
	err = db_prepare_cached(db, sql, &st);
	if (err)
		return err;
	sqlite3_bind_text(st, i++, rcpt, -1, SQLITE_STATIC);
	if (case_id)
		sqlite3_bind_int64(st, i++, case_id);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)since);
	sqlite3_bind_int(st, i++, limit - 1);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*fits_at = (time_t)sqlite3_column_int64(st, 0) + window + 1;
	else
		err = db_status(db, rc);
	db_release(db, st);
	return err;
}

static const char sql_recipient[] =
	"SELECT sent_at FROM outbox WHERE rcpt = ? AND status = 'sent'"
	" AND sent_at > ? AND kind <> 'reply'"
	" ORDER BY sent_at DESC LIMIT 1 OFFSET ?";
static const char sql_case[] =
	"SELECT sent_at FROM outbox WHERE rcpt = ? AND case_id = ? AND status = 'sent'"
	" AND sent_at > ? AND kind <> 'reply'"
	" ORDER BY sent_at DESC LIMIT 1 OFFSET ?";
static const char sql_staff[] =
	"SELECT sent_at FROM outbox WHERE rcpt = ? AND status = 'sent'"
	" AND sent_at > ? ORDER BY sent_at DESC LIMIT 1 OFFSET ?";

enum md_err
ratelimit_check(const struct md_config *cfg, struct db *db, const struct outbox_item *item,
    time_t now, struct ratelimit_verdict *out)
{
	time_t at = 0;
	enum md_err err;

	memset(out, 0, sizeof(*out));
	if (config_find_staff(cfg, item->rcpt)) {
		err = window_fits_at(db, sql_staff, item->rcpt, 0, now - HOUR,
		    RATELIMIT_STAFF_PER_HOUR, HOUR, &at);
		if (err == MD_OK && at > now) {
			out->rule = RATELIMIT_STAFF_HOUR;
			out->limit = RATELIMIT_STAFF_PER_HOUR;
			out->fits_at = at;
		}
		return err;
	}
	if (strcmp(item->kind, "reply") == 0)
		return MD_OK;
	err = window_fits_at(db, sql_recipient, item->rcpt, 0, now - HOUR,
	    cfg->max_notices_per_recipient_hour, HOUR, &at);
	if (err)
		return err;
	if (at > now) {
		out->rule = RATELIMIT_RECIPIENT_HOUR;
		out->limit = cfg->max_notices_per_recipient_hour;
		out->fits_at = at;
	}
	if (item->case_id == 0)
		return MD_OK;
	err = window_fits_at(db, sql_case, item->rcpt, item->case_id, now - DAY,
	    cfg->max_notices_per_case_day, DAY, &at);
	/* Both limits may bind: the notice fits when the later one allows it. */
	if (err == MD_OK && at > now && at > out->fits_at) {
		out->rule = RATELIMIT_CASE_DAY;
		out->limit = cfg->max_notices_per_case_day;
		out->fits_at = at;
	}
	return err;
}

/* Move a queued item's next attempt without counting an attempt. */
static enum md_err
push_back(struct db *db, int64_t id, time_t at)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	err = db_prepare_cached(db, "UPDATE outbox SET next_attempt_at = ?"
	    " WHERE id = ? AND status = 'queued'", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)at);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	err = db_status(db, rc);
	db_release(db, st);
	if (err == MD_OK && sqlite3_changes(db_handle(db)) == 0)
		err = MD_ERR_NOTFOUND;
	return err;
}

/* Was the secretariat told about this address within the last day? */
static enum md_err
alerted_recently(struct db *db, const char *rcpt, time_t now, int *yes)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	*yes = 0;
	err = db_prepare_cached(db, "SELECT 1 FROM case_events WHERE kind = '" RATELIMIT_EVENT "'"
	    " AND at > ? AND json_valid(detail)"
	    " AND json_extract(detail, '$.address') = ?"
	    " AND json_extract(detail, '$.alerted') = 1 LIMIT 1", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(now - DAY));
	sqlite3_bind_text(st, 2, rcpt, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*yes = 1;
	else
		err = db_status(db, rc);
	db_release(db, st);
	return err;
}

static void
format_when(time_t t, char *dst, size_t dstlen)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(dst, dstlen, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(dst, dstlen, "%lld", (long long)t);
}

/* A staff alert: "notices to X wait, because ...". */
static enum md_err
queue_alert(const struct md_config *cfg, struct db *db, const struct outbox_item *item,
    const struct ratelimit_verdict *v, time_t now)
{
	struct case_record *c = NULL;
	struct template_var vars[8];
	struct notify_request rq;
	char tag[CASE_NUMBER_MAX + 2], when[64], reason[512], title[400];
	int en = strcmp(cfg->language, "en") == 0;
	size_t n = 0;
	enum md_err err;

	err = case_get(db, item->case_id, &c);
	if (err)
		return err;
	format_when(v->fits_at, when, sizeof(when));
	if (v->rule == RATELIMIT_CASE_DAY)
		snprintf(reason, sizeof(reason), en ?
		    "rate limit: %d automatic notices about this case went to this address "
		    "in the last 24 hours; this notice and later ones wait until %s" :
		    "发送频率超限：24 小时内已就本诉求向该地址发送 %d 封自动通知，"
		    "此通知及后续通知将延至 %s 后发出", v->limit, when);
	else
		snprintf(reason, sizeof(reason), en ?
		    "rate limit: %d automatic notices went to this address in the last hour; "
		    "this notice and later ones wait until %s" :
		    "发送频率超限：一小时内已向该地址发送 %d 封自动通知，"
		    "此通知及后续通知将延至 %s 后发出", v->limit, when);
	snprintf(tag, sizeof(tag), "[%s]", c->number);
	vars[n].name = "case_number";	vars[n++].value = c->number;
	vars[n].name = "case_tag";	vars[n++].value = tag;
	vars[n].name = "subject";	vars[n++].value = c->subject;
	snprintf(title, sizeof(title), en ? "Notices to %s are held back" :
	    "发往 %s 的通知暂缓发送", item->rcpt);
	vars[n].name = "alert";		vars[n++].value = title;
	vars[n].name = "text";		vars[n++].value = reason;

	memset(&rq, 0, sizeof(rq));
	rq.case_id = c->id;
	rq.kind = RATELIMIT_ALERT_KIND;
	rq.template_name = "staff_alert";
	rq.vars = vars;
	rq.nvars = n;
	rq.thread_topic = c->subject;
	rq.auto_submitted = NOTICE_AUTO_GENERATED;
	err = notify_queue_role(cfg, db, &rq, STAFF_SECRETARIAT, now, NULL);
	case_record_free(c);
	return err;
}

static enum md_err
record_event(struct db *db, const struct outbox_item *item,
    const struct ratelimit_verdict *v, int alerted, time_t now)
{
	json_t *j;
	char *detail;
	enum md_err err;

	j = json_pack("{s:s, s:s, s:s, s:i, s:I, s:b}", "address", item->rcpt,
	    "notice", item->kind, "limit", ratelimit_rule_name(v->rule), "allowed", v->limit,
	    "until", (json_int_t)v->fits_at, "alerted", alerted);
	detail = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (detail == NULL)
		return MD_ERR_NOMEM;
	err = case_add_event(db, item->case_id, now, RATELIMIT_EVENT, "system", detail, 0, NULL);
	free(detail);
	return err;
}

enum md_err
ratelimit_hold_if_needed(const struct md_config *cfg, struct db *db,
    const struct outbox_item *item, time_t now, struct ratelimit_verdict *vout)
{
	struct ratelimit_verdict v;
	char esc[256], when[64];
	int told = 1;
	enum md_err err;

	if (vout)
		memset(vout, 0, sizeof(*vout));
	if (db_in_transaction(db))
		return MD_ERR_STATE;
	err = ratelimit_check(cfg, db, item, now, &v);
	if (err)
		return err;
	if (vout)
		*vout = v;
	if (v.rule == RATELIMIT_NONE)
		return MD_OK;

	err = db_begin(db);
	if (err)
		return err;
	err = push_back(db, item->id, v.fits_at);
	if (err == MD_OK && v.rule != RATELIMIT_STAFF_HOUR && item->case_id) {
		err = alerted_recently(db, item->rcpt, now, &told);
		if (err == MD_OK && !told)
			err = queue_alert(cfg, db, item, &v, now);
		if (err == MD_OK)
			err = record_event(db, item, &v, !told, now);
	}
	if (err == MD_OK)
		err = db_commit(db);
	if (err) {
		db_rollback(db);
		return err;
	}
	format_when(v.fits_at, when, sizeof(when));
	log_warnx("notice %s to %s held by the %s limit of %d until %s%s", item->kind,
	    log_escape(esc, sizeof(esc), item->rcpt), ratelimit_rule_name(v.rule), v.limit,
	    when, told ? "" : "; secretariat told");
	return MD_ERR_LIMIT;
}
