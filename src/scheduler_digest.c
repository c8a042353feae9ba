/*
 * The secretariat's daily digest (see scheduler.h): once per local working
 * day, at the digest hour or the first pass after it, one mail to every
 * secretariat staff member listing what needs attention. digests_sent
 * (schema 3) holds the local days a digest went out, written in the same
 * transaction as the notices, so a restart never sends a second one.
 *
 * Each open case is listed once, in the first section that fits:
 *   overdue      wf_case_overdue() (what `case list --overdue` shows)
 *   due today    its status's deadline falls on today's local date
 *   due soon     within SCHEDULER_DIGEST_SOON_WORKDAYS working days
 *   new          registered, not yet reviewed (whatever its review date)
 * Resolved cases wait for the member and are only counted as open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "deadline.h"
#include "log.h"
#include "notify.h"
#include "scheduler.h"
#include "scheduler_int.h"

#define DIGEST_SECTION_LIMIT (256 * 1024)
#define DIGEST_DAY_LEN 16
/* A day with a daylight-saving change has 23 or 25 hours: see digest_time(). */
#define DAY_SECONDS 86400

enum { SEC_OVERDUE, SEC_TODAY, SEC_SOON, SEC_NEW, SEC_COUNT };

static const char *const section_zh[SEC_COUNT] = {
	"【已逾期】", "【今日到期】", "【3 个工作日内到期】", "【新登记待审核】"
};
static const char *const section_en[SEC_COUNT] = {
	"[Overdue]", "[Due today]", "[Due within 3 working days]", "[New, awaiting review]"
};

struct digest {
	const struct wf_env *env;
	time_t now;
	struct calendar_date today;
	const char *lang;
	struct buf sec[SEC_COUNT];
	long count[SEC_COUNT];
	long open;
	long listed;
	long unlisted;
};

/*
 * The digest time of a local date: its start plus the digest hour. The
 * start is taken as 23:59:59 minus a day, which is an hour off on the day
 * a zone changes to or from daylight saving time (Asia/Shanghai has none).
 */
static enum md_err
digest_time(const struct wf_env *env, const struct calendar_date *d, time_t *t)
{
	enum md_err err;
	time_t end;

	err = calendar_end_of_day(env->cfg->timezone, d, &end);
	if (err)
		return err;
	*t = end - (DAY_SECONDS - 1) + (time_t)env->cfg->digest_hour * 3600;
	return MD_OK;
}

static void
day_key(const struct calendar_date *d, char *out, size_t outlen)
{
	snprintf(out, outlen, "%04d-%02d-%02d", d->year, d->month, d->day);
}

static enum md_err
digest_sent_on(struct db *db, const struct calendar_date *d, int *sent)
{
	char day[DIGEST_DAY_LEN];
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	*sent = 0;
	day_key(d, day, sizeof(day));
	err = db_prepare(db, "SELECT 1 FROM digests_sent WHERE day = ?", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, day, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*sent = 1;
	else if (rc != SQLITE_DONE)
		err = db_status(db, rc);
	sqlite3_finalize(st);
	return err;
}

/* Whether the digest is due at now: *due 1 when it must go out in this pass. */
static enum md_err
digest_due(const struct wf_env *env, time_t now, struct calendar_date *today, int *due)
{
	enum md_err err;
	time_t at;
	int sent;

	*due = 0;
	if (env->cfg->digest_hour < 0)
		return MD_OK;
	err = calendar_local_date(env->cfg->timezone, now, today);
	if (err)
		return err;
	if (!calendar_is_workday(env->cal, today->year, today->month, today->day))
		return MD_OK;
	err = digest_time(env, today, &at);
	if (err || now < at)
		return err;
	err = digest_sent_on(env->db, today, &sent);
	if (err == MD_OK)
		*due = !sent;
	return err;
}

enum md_err
sched_next_digest(const struct wf_env *env, time_t now, time_t *t)
{
	struct calendar_date d;
	time_t at, end;
	enum md_err err;
	int i, sent;

	*t = 0;
	if (env->cfg->digest_hour < 0)
		return MD_OK;
	err = calendar_local_date(env->cfg->timezone, now, &d);
	/* A month is more than any run of days off a calendar can hold. */
	for (i = 0; i < 31 && err == MD_OK; i++) {
		if (calendar_is_workday(env->cal, d.year, d.month, d.day)) {
			err = digest_time(env, &d, &at);
			if (err)
				break;
			if (at > now) {
				err = digest_sent_on(env->db, &d, &sent);
				if (err == MD_OK && !sent)
					*t = at;
				if (err || !sent)
					break;
			}
		}
		err = calendar_end_of_day(env->cfg->timezone, &d, &end);
		if (err == MD_OK)
			err = calendar_local_date(env->cfg->timezone, end + 1, &d);
	}
	return err;
}

/* Append s with CR, LF and tabs as spaces, cut after max characters with "…". */
static enum md_err
put_line_text(struct buf *b, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t chars = 0;
	enum md_err err = MD_OK;

	while (*p && err == MD_OK) {
		if ((*p & 0xc0) != 0x80 && chars++ == max)
			return buf_puts(b, "…");
		err = buf_putc(b, *p < 0x20 || *p == 0x7f ? ' ' : (char)*p);
		p++;
	}
	return err;
}

/* One line: number, status, deadline date, requester, subject (cut). */
static enum md_err
put_item(struct digest *g, struct buf *b, sqlite3_stmt *st, const char *status, time_t due)
{
	const char *number = (const char *)sqlite3_column_text(st, 1);
	const char *subject = (const char *)sqlite3_column_text(st, 3);
	const char *name = (const char *)sqlite3_column_text(st, 4);
	const char *unit = (const char *)sqlite3_column_text(st, 5);
	const char *email = (const char *)sqlite3_column_text(st, 6);
	const char *sep = strcmp(g->lang, "en") == 0 ? " | " : "｜";
	enum md_err err;

	err = buf_puts(b, "  ");
	if (err == MD_OK)
		err = put_line_text(b, number, CASE_NUMBER_MAX);
	if (err == MD_OK)
		err = buf_printf(b, "%s%s%s", sep, wf_label(status, g->lang), sep);
	if (err == MD_OK && due)
		err = deadline_format(due, g->env->cfg->timezone, g->lang, b);
	if (err == MD_OK)
		err = buf_puts(b, sep);
	if (err == MD_OK)
		err = put_line_text(b, name && *name ? name : email ? email : "?", 60);
	if (err == MD_OK && unit && *unit) {
		err = buf_puts(b, strcmp(g->lang, "en") == 0 ? " (" : "（");
		if (err == MD_OK)
			err = put_line_text(b, unit, 60);
		if (err == MD_OK)
			err = buf_puts(b, strcmp(g->lang, "en") == 0 ? ")" : "）");
	}
	if (err == MD_OK)
		err = buf_puts(b, sep);
	if (err == MD_OK)
		err = put_line_text(b, subject, SCHEDULER_DIGEST_SUBJECT_CHARS);
	if (err == MD_OK)
		err = buf_putc(b, '\n');
	return err;
}

/* Which section a case belongs to, or -1 for none. */
static enum md_err
classify(struct digest *g, const char *status, time_t review, time_t handling,
    time_t rehandling, time_t *due, int *sec)
{
	struct case_record c;
	struct calendar_date dd;
	enum md_err err;
	long left;

	*sec = -1;
	*due = 0;
	memset(&c, 0, sizeof(c));
	c.status = (char *)status;
	c.review_due = review;
	c.handling_due = handling;
	c.rehandling_due = rehandling;
	if (strcmp(status, "registered") == 0)
		*due = review;
	else if (strcmp(status, "handling") == 0)
		*due = handling;
	else if (strcmp(status, "rehandling") == 0)
		*due = rehandling;
	if (wf_case_overdue(&c, g->now)) {
		*sec = SEC_OVERDUE;
		return MD_OK;
	}
	if (strcmp(status, "registered") == 0) {
		*sec = SEC_NEW;
		return MD_OK;
	}
	if (*due == 0)
		return MD_OK;
	err = calendar_local_date(g->env->cfg->timezone, *due, &dd);
	if (err == MD_OK && dd.year == g->today.year && dd.month == g->today.month &&
	    dd.day == g->today.day) {
		*sec = SEC_TODAY;
		return MD_OK;
	}
	if (err == MD_OK)
		err = calendar_workdays_between(g->env->cal, g->env->cfg->timezone, g->now, *due,
		    &left, NULL);
	if (err == MD_OK && left <= SCHEDULER_DIGEST_SOON_WORKDAYS)
		*sec = SEC_SOON;
	return err;
}

/* Sort every open case into its section. */
static enum md_err
collect(struct digest *g)
{
	sqlite3_stmt *st;
	enum md_err err;
	time_t due;
	int rc = SQLITE_DONE, sec;

	err = db_prepare(g->env->db, "SELECT id, number, status, subject, requester_name,"
	    " requester_unit, requester_email, coalesce(review_due, 0),"
	    " coalesce(handling_due, 0), coalesce(rehandling_due, 0) FROM cases"
	    " WHERE status IN ('registered', 'handling', 'rehandling', 'resolved')"
	    " ORDER BY CASE status WHEN 'registered' THEN review_due"
	    " WHEN 'handling' THEN handling_due WHEN 'rehandling' THEN rehandling_due"
	    " ELSE NULL END, id", &st);
	if (err)
		return err;
	while (err == MD_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(st, 2);

		if (status == NULL)
			continue;
		g->open++;
		err = classify(g, status, (time_t)sqlite3_column_int64(st, 7),
		    (time_t)sqlite3_column_int64(st, 8), (time_t)sqlite3_column_int64(st, 9),
		    &due, &sec);
		if (err || sec < 0)
			continue;
		g->count[sec]++;
		if (g->listed == SCHEDULER_DIGEST_MAX_ITEMS) {
			g->unlisted++;
			continue;
		}
		g->listed++;
		err = put_item(g, &g->sec[sec], st, status, due);
	}
	if (err == MD_OK && rc != SQLITE_DONE)
		err = db_status(g->env->db, rc);
	sqlite3_finalize(st);
	return err;
}

/* The sections with their headings, as the items variable. */
static enum md_err
items_text(struct digest *g, struct buf *out)
{
	const char *const *heads = strcmp(g->lang, "en") == 0 ? section_en : section_zh;
	enum md_err err = MD_OK;
	int i;

	for (i = 0; i < SEC_COUNT && err == MD_OK; i++) {
		if (g->sec[i].len == 0)
			continue;
		if (out->len)
			err = buf_putc(out, '\n');
		if (err == MD_OK)
			err = buf_printf(out, "%s\n%s", heads[i], g->sec[i].data);
	}
	if (err == MD_OK && g->unlisted) {
		if (strcmp(g->lang, "en") == 0)
			err = buf_printf(out, "\n... and %ld more not listed here.\n", g->unlisted);
		else
			err = buf_printf(out, "\n……另有 %ld 件未列出。\n", g->unlisted);
	}
	/* The template adds its own line end after the list. */
	if (err == MD_OK && out->len && out->data[out->len - 1] == '\n')
		out->data[--out->len] = '\0';
	return err;
}

static enum md_err
record_digest(struct db *db, const struct calendar_date *d, time_t now, size_t recipients,
    int *fresh)
{
	char day[DIGEST_DAY_LEN];
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	*fresh = 0;
	day_key(d, day, sizeof(day));
	err = db_prepare(db, "INSERT OR IGNORE INTO digests_sent (day, sent_at, recipients)"
	    " VALUES (?, ?, ?)", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, day, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)recipients);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		*fresh = sqlite3_changes(db_handle(db)) > 0;
	else
		err = db_status(db, rc);
	sqlite3_finalize(st);
	return err;
}

static enum md_err
set_digest_recipients(struct db *db, const struct calendar_date *d, size_t n)
{
	char day[DIGEST_DAY_LEN];
	sqlite3_stmt *st;
	enum md_err err;

	day_key(d, day, sizeof(day));
	err = db_prepare(db, "UPDATE digests_sent SET recipients = ? WHERE day = ?", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)n);
	sqlite3_bind_text(st, 2, day, -1, SQLITE_TRANSIENT);
	err = db_status(db, sqlite3_step(st));
	sqlite3_finalize(st);
	return err;
}

/* Queue the digest to every secretariat member; inside the transaction. */
static enum md_err
queue_digest(struct digest *g, size_t *sent)
{
	const struct md_config *cfg = g->env->cfg;
	struct template_var v[10];
	struct notify_request rq;
	struct buf date, items, num[SEC_COUNT + 1];
	size_t i, n = 0, name_var;
	enum md_err err;

	buf_init(&date, 128);
	buf_init(&items, 4 * DIGEST_SECTION_LIMIT);
	for (i = 0; i <= SEC_COUNT; i++)
		buf_init(&num[i], 32);
	err = deadline_format(g->now, cfg->timezone, g->lang, &date);
	if (err == MD_OK)
		err = items_text(g, &items);
	for (i = 0; i < SEC_COUNT && err == MD_OK; i++)
		err = buf_printf(&num[i], "%ld", g->count[i]);
	if (err == MD_OK)
		err = buf_printf(&num[SEC_COUNT], "%ld", g->open);
	if (err)
		goto out;
	v[n].name = "date";		v[n++].value = date.data;
	v[n].name = "items";		v[n++].value = items.data ? items.data : "";
	v[n].name = "overdue_count";	v[n++].value = num[SEC_OVERDUE].data;
	v[n].name = "due_count";	v[n++].value = num[SEC_TODAY].data;
	v[n].name = "soon_count";	v[n++].value = num[SEC_SOON].data;
	v[n].name = "new_count";	v[n++].value = num[SEC_NEW].data;
	v[n].name = "open_count";	v[n++].value = num[SEC_COUNT].data;
	name_var = n;
	v[n].name = "staff_name";	v[n++].value = "";

	memset(&rq, 0, sizeof(rq));
	rq.kind = "staff_digest";
	rq.template_name = "staff_digest";
	rq.lang = g->lang;
	rq.vars = v;
	rq.nvars = n;
	rq.auto_submitted = NOTICE_AUTO_GENERATED;
	for (i = 0; i < cfg->n_staff && err == MD_OK; i++) {
		if (cfg->staff[i].role != STAFF_SECRETARIAT ||
		    !notice_address_valid(cfg->staff[i].address))
			continue;
		v[name_var].value = cfg->staff[i].name ? cfg->staff[i].name : "";
		rq.to_addr = cfg->staff[i].address;
		rq.to_name = cfg->staff[i].name && *cfg->staff[i].name ? cfg->staff[i].name : NULL;
		err = notify_queue(cfg, g->env->db, &rq, g->now, NULL);
		if (err == MD_OK)
			(*sent)++;
	}
out:
	buf_free(&date);
	buf_free(&items);
	for (i = 0; i <= SEC_COUNT; i++)
		buf_free(&num[i]);
	return err;
}

enum md_err
scheduler_digest(const struct wf_env *env, time_t now, size_t *sent)
{
	struct digest g;
	size_t queued = 0;
	enum md_err err;
	int due, fresh, i;

	if (sent)
		*sent = 0;
	memset(&g, 0, sizeof(g));
	g.env = env;
	g.now = now;
	g.lang = sched_lang(env->cfg);
	err = digest_due(env, now, &g.today, &due);
	if (err || !due)
		return err;
	for (i = 0; i < SEC_COUNT; i++)
		buf_init(&g.sec[i], DIGEST_SECTION_LIMIT);
	err = db_begin(env->db);
	if (err)
		goto out;
	err = record_digest(env->db, &g.today, now, 0, &fresh);
	if (err == MD_OK && fresh)
		err = collect(&g);
	if (err == MD_OK && fresh)
		err = queue_digest(&g, &queued);
	if (err == MD_OK && fresh && queued == 0)
		log_warnx("no secretariat staff listed: the daily digest goes to nobody");
	if (err == MD_OK && fresh && queued)
		err = set_digest_recipients(env->db, &g.today, queued);
	if (err == MD_OK)
		err = db_commit(env->db);
	if (err) {
		db_rollback(env->db);
		queued = 0;
		if (err != MD_ERR_TEMP)
			log_warnx("daily digest not sent: %s", md_strerror(err));
	} else if (fresh) {
		log_info("daily digest: %ld open, %ld overdue, %ld due today, sent to %zu staff",
		    g.open, g.count[SEC_OVERDUE], g.count[SEC_TODAY], queued);
	}
	if (sent)
		*sent = queued;
out:
	for (i = 0; i < SEC_COUNT; i++)
		buf_free(&g.sec[i]);
	return err;
}
