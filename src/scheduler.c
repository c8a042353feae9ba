/*
 * The deadline scheduler (see scheduler.h): reminders, escalations and
 * auto-closing, one case per transaction. The digest lives in
 * scheduler_digest.c.
 *
 * Each case is first looked at without a transaction (most passes find
 * nothing to do, and a write lock per open case on every pass would stand
 * in the command line's way); only when something is due is the case read
 * again inside BEGIN IMMEDIATE and the decision taken afresh, so a change
 * committed in between by the command line or a mail is respected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "deadline.h"
#include "log.h"
#include "msgstore.h"
#include "notice.h"
#include "notify.h"
#include "scheduler.h"
#include "scheduler_int.h"

/* What is due for one case at one moment. */
enum sched_action {
	SCHED_NONE = 0,
	SCHED_REMIND,           /* deadline within the reminder window */
	SCHED_ESCALATE,         /* deadline passed */
	SCHED_ESCALATE_LONG,    /* passed by more than the leadership threshold */
	SCHED_CLOSE             /* feedback period over: close "no-feedback" */
};

/* The deadline that applies to a case now, and what to do about it. */
struct sched_plan {
	enum sched_action action;
	const char *column;     /* "review_due", ...; NULL: none */
	time_t due;
	long workdays;          /* left before due (remind) or overdue (escalate) */
	int escalated;          /* the first escalation went out already */
};

#define SCHED_MAX_RECIPIENTS 64
#define SCHED_MAX_VARS 16

struct recipient {
	const char *addr;       /* borrowed from the configuration or the case */
	const char *name;
};

static const struct {
	const char *column;
	const char *zh;
	const char *en;
} deadline_words[] = {
	{ "review_due", "审核期限", "review deadline" },
	{ "handling_due", "办结期限", "handling deadline" },
	{ "rehandling_due", "重新办理期限", "re-handling deadline" },
	{ "result_notice_due", "结果告知期限", "result notice deadline" },
};

const char *
sched_lang(const struct md_config *cfg)
{
	return cfg->language && strcmp(cfg->language, "en") == 0 ? "en" : "zh";
}

static const char *
deadline_word(const char *column, const char *lang)
{
	size_t i;

	for (i = 0; i < sizeof(deadline_words) / sizeof(deadline_words[0]); i++)
		if (strcmp(deadline_words[i].column, column) == 0)
			return strcmp(lang, "en") == 0 ? deadline_words[i].en :
			    deadline_words[i].zh;
	return column;
}

enum md_err
sched_count_workdays(const struct wf_env *env, long n, struct buf *out)
{
	int en = strcmp(sched_lang(env->cfg), "en") == 0;

	if (n <= 0)
		return buf_puts(out, en ? "less than one working day" : "不足 1 个工作日");
	if (en)
		return buf_printf(out, "%ld working day%s", n, n == 1 ? "" : "s");
	return buf_printf(out, "%ld 个工作日", n);
}

/* Count of outbox rows of a kind for the case since a time, with a status. */
static enum md_err
outbox_count(struct db *db, int64_t case_id, const char *kind, const char *status,
    time_t since, long *n)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	*n = 0;
	err = db_prepare(db, "SELECT count(*) FROM outbox WHERE case_id = ? AND kind = ?"
	    " AND status = ? AND created_at >= ?", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)since);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = (long)sqlite3_column_int64(st, 0);
	else
		err = db_status(db, rc);
	sqlite3_finalize(st);
	return err;
}

/* Whether a reminder of this kind about this deadline was recorded. */
static enum md_err
was_sent(struct db *db, int64_t case_id, const char *kind, const char *column, time_t due,
    int *sent)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	*sent = 0;
	err = db_prepare(db, "SELECT 1 FROM reminders_sent WHERE case_id = ? AND kind = ?"
	    " AND deadline_column = ? AND due_at = ?", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, column, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)due);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*sent = 1;
	else if (rc != SQLITE_DONE)
		err = db_status(db, rc);
	sqlite3_finalize(st);
	return err;
}

/*
 * Record a reminder; *fresh is 0 when the same one was recorded already
 * (then nothing may be sent).
 */
static enum md_err
record_sent(struct db *db, int64_t case_id, const char *kind, const char *column,
    time_t due, time_t now, size_t recipients, int *fresh)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	*fresh = 0;
	err = db_prepare(db, "INSERT OR IGNORE INTO reminders_sent (case_id, kind,"
	    " deadline_column, due_at, sent_at, recipients) VALUES (?, ?, ?, ?, ?, ?)", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, column, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)due);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)recipients);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		*fresh = sqlite3_changes(db_handle(db)) > 0;
	else
		err = db_status(db, rc);
	sqlite3_finalize(st);
	return err;
}

/*
 * The staff deadline of c's status (column and due time), or column NULL.
 * For a resolved case the result-notice deadline counts only until a
 * result notice of this resolution was sent.
 */
static enum md_err
staff_deadline(const struct wf_env *env, const struct case_record *c, const char **column,
    time_t *due)
{
	enum md_err err;
	long n;

	*column = NULL;
	*due = 0;
	if (strcmp(c->status, "registered") == 0) {
		*column = "review_due";
		*due = c->review_due;
	} else if (strcmp(c->status, "handling") == 0) {
		*column = "handling_due";
		*due = c->handling_due;
	} else if (strcmp(c->status, "rehandling") == 0) {
		*column = "rehandling_due";
		*due = c->rehandling_due;
	} else if (strcmp(c->status, "resolved") == 0 && c->result_notice_due) {
		err = outbox_count(env->db, c->id, "result", "sent", c->resolved_at, &n);
		if (err)
			return err;
		if (n == 0) {
			*column = "result_notice_due";
			*due = c->result_notice_due;
		}
	}
	if (*due == 0)
		*column = NULL;
	return MD_OK;
}

/* Decide what is due for c at now; reads, never writes. */
static enum md_err
plan_case(const struct wf_env *env, const struct case_record *c, time_t now,
    struct sched_plan *p)
{
	const char *tz = env->cfg->timezone;
	enum md_err err;
	long n;
	int sent;

	memset(p, 0, sizeof(*p));
	if (strcmp(c->status, "resolved") == 0 && c->feedback_due && now > c->feedback_due) {
		/* The feedback period runs from a result the member has received. */
		err = outbox_count(env->db, c->id, "result", "queued", c->resolved_at, &n);
		if (err)
			return err;
		if (n == 0) {
			p->action = SCHED_CLOSE;
			return MD_OK;
		}
	}
	err = staff_deadline(env, c, &p->column, &p->due);
	if (err || p->column == NULL)
		return err;
	if (now <= p->due) {
		err = calendar_workdays_between(env->cal, tz, now, p->due, &n, NULL);
		if (err)
			return err;
		if (n > env->cfg->reminder_workdays)
			return MD_OK;
		err = was_sent(env->db, c->id, "reminder", p->column, p->due, &sent);
		if (err == MD_OK && !sent) {
			p->action = SCHED_REMIND;
			p->workdays = n;
		}
		return err;
	}
	err = calendar_workdays_between(env->cal, tz, p->due, now, &n, NULL);
	if (err)
		return err;
	p->workdays = n;
	err = was_sent(env->db, c->id, "escalation", p->column, p->due, &p->escalated);
	if (err)
		return err;
	if (n > SCHEDULER_LEADERSHIP_OVERDUE_WORKDAYS) {
		err = was_sent(env->db, c->id, "overdue", p->column, p->due, &sent);
		if (err == MD_OK && !sent)
			p->action = SCHED_ESCALATE_LONG;
		return err;
	}
	if (!p->escalated)
		p->action = SCHED_ESCALATE;
	return MD_OK;
}

/* Add addr once (case-insensitively) when it can be mailed. */
static void
add_recipient(struct recipient *r, size_t *n, const char *addr, const char *name)
{
	size_t i;

	if (addr == NULL || *addr == '\0' || !notice_address_valid(addr))
		return;
	for (i = 0; i < *n; i++)
		if (strcasecmp(r[i].addr, addr) == 0)
			return;
	if (*n == SCHED_MAX_RECIPIENTS) {
		log_warnx("scheduler: more than %d recipients; %s left out", SCHED_MAX_RECIPIENTS,
		    addr);
		return;
	}
	r[*n].addr = addr;
	r[*n].name = name;
	(*n)++;
}

static void
add_role(const struct md_config *cfg, enum staff_role role, struct recipient *r, size_t *n)
{
	size_t i;

	for (i = 0; i < cfg->n_staff; i++)
		if (cfg->staff[i].role == role)
			add_recipient(r, n, cfg->staff[i].address, cfg->staff[i].name);
}

/* The assignee as listed staff, or NULL (unassigned, or no longer listed). */
static const struct staff_config *
assignee_staff(const struct wf_env *env, const struct case_record *c)
{
	const struct staff_config *s;
	char esc[256];

	if (c->assignee == NULL || *c->assignee == '\0')
		return NULL;
	s = config_find_staff(env->cfg, c->assignee);
	if (s == NULL)
		log_warnx("case %s: assignee %s is not listed as staff; telling the secretariat",
		    c->number, log_escape(esc, sizeof(esc), c->assignee));
	return s;
}

/* Who hears of plan p about case c, whose listed assignee is a (or NULL). */
static void
recipients_for(const struct wf_env *env, const struct case_record *c,
    const struct staff_config *a, const struct sched_plan *p, struct recipient *r, size_t *n)
{
	*n = 0;
	if (p->action == SCHED_REMIND) {
		if (a)
			add_recipient(r, n, a->address, a->name);
		else
			add_role(env->cfg, STAFF_SECRETARIAT, r, n);
		return;
	}
	add_role(env->cfg, STAFF_SECRETARIAT, r, n);
	if (a)
		add_recipient(r, n, a->address, a->name);
	if (p->action == SCHED_ESCALATE_LONG || (c->tier && strcmp(c->tier, "major") == 0))
		add_role(env->cfg, STAFF_LEADERSHIP, r, n);
}

/* The template variables of a reminder or escalation, all text owned by bufs. */
struct notice_text {
	struct buf submitted, due, count;
	char tag[CASE_NUMBER_MAX + 2];
};

static enum md_err
notice_text_fill(const struct wf_env *env, const struct case_record *c,
    const struct sched_plan *p, struct notice_text *t)
{
	const char *tz = env->cfg->timezone, *lang = sched_lang(env->cfg);
	enum md_err err;

	buf_init(&t->submitted, 128);
	buf_init(&t->due, 128);
	buf_init(&t->count, 128);
	snprintf(t->tag, sizeof(t->tag), "[%s]", c->number);
	err = deadline_format(c->submitted_at, tz, lang, &t->submitted);
	if (err == MD_OK)
		err = deadline_format(p->due, tz, lang, &t->due);
	if (err == MD_OK)
		err = sched_count_workdays(env, p->workdays, &t->count);
	return err;
}

static void
notice_text_free(struct notice_text *t)
{
	buf_free(&t->submitted);
	buf_free(&t->due);
	buf_free(&t->count);
}

/* Queue the reminder or escalation of plan p to every recipient. */
static enum md_err
queue_notices(const struct wf_env *env, const struct case_record *c,
    const struct staff_config *a, const struct sched_plan *p, const struct recipient *r,
    size_t nr, time_t now, size_t *queued)
{
	const char *lang = sched_lang(env->cfg);
	const int remind = p->action == SCHED_REMIND;
	const char *tmpl = remind ? "staff_reminder" : "staff_escalation";
	struct template_var v[SCHED_MAX_VARS];
	struct notify_request rq;
	struct notice_text t;
	const char *refs[1];
	char *root = NULL;
	size_t n = 0, i, name_var;
	enum md_err err;

	err = notice_text_fill(env, c, p, &t);
	if (err == MD_OK)
		err = msgstore_thread_root(env->db, c->id, &root);
	if (err)
		goto out;
	v[n].name = "case_number";	v[n++].value = c->number;
	v[n].name = "case_tag";		v[n++].value = t.tag;
	v[n].name = "subject";		v[n++].value = c->subject;
	v[n].name = "requester_name";	v[n++].value = c->requester_name;
	v[n].name = "requester_unit";	v[n++].value = c->requester_unit;
	v[n].name = "submitted_at";	v[n++].value = t.submitted.data;
	v[n].name = "state";		v[n++].value = wf_label(c->status, lang);
	v[n].name = "deadline";		v[n++].value = deadline_word(p->column, lang);
	v[n].name = "due_date";		v[n++].value = t.due.data;
	v[n].name = remind ? "time_left" : "overdue";	v[n++].value = t.count.data;
	v[n].name = "tier";		v[n++].value = c->tier ? wf_label(c->tier, lang) : "";
	/* The reminder greets its one reader; an escalation names who is in charge. */
	v[n].name = "assignee";
	v[n++].value = a ? a->name : remind ? "" : c->assignee ? c->assignee : "";
	name_var = n;
	v[n].name = "staff_name";	v[n++].value = "";

	memset(&rq, 0, sizeof(rq));
	rq.case_id = c->id;
	rq.kind = tmpl;
	rq.template_name = tmpl;
	rq.lang = lang;
	rq.vars = v;
	rq.nvars = n;
	if (root) {
		refs[0] = root;
		rq.in_reply_to = root;
		rq.references = refs;
		rq.n_references = 1;
	}
	rq.thread_root = root;
	rq.thread_time = c->created_at;
	rq.thread_topic = c->subject;
	rq.auto_submitted = NOTICE_AUTO_GENERATED;
	for (i = 0; i < nr && err == MD_OK; i++) {
		v[name_var].value = r[i].name ? r[i].name : "";
		rq.to_addr = r[i].addr;
		rq.to_name = r[i].name && *r[i].name ? r[i].name : NULL;
		err = notify_queue(env->cfg, env->db, &rq, now, NULL);
		if (err == MD_OK)
			(*queued)++;
	}
out:
	free(root);
	notice_text_free(&t);
	return err;
}

/* Record and queue what plan p asks for, inside the open transaction. */
static enum md_err
act(const struct wf_env *env, const struct case_record *c, const struct sched_plan *p,
    time_t now, struct scheduler_stats *st)
{
	static const struct wf_actor system_actor = { NULL, "scheduler", WF_VIA_SYSTEM, 0 };
	struct recipient r[SCHED_MAX_RECIPIENTS];
	const struct staff_config *a;
	const char *kind;
	size_t nr, queued = 0;
	enum md_err err;
	int fresh;

	if (p->action == SCHED_CLOSE) {
		err = wf_close(env, &system_actor, c->id, "no-feedback", now, NULL);
		if (err == MD_OK) {
			st->closed++;
			log_info("case %s closed: no feedback by its feedback deadline", c->number);
		}
		return err;
	}
	a = assignee_staff(env, c);
	recipients_for(env, c, a, p, r, &nr);
	kind = p->action == SCHED_REMIND ? "reminder" :
	    p->action == SCHED_ESCALATE ? "escalation" : "overdue";
	err = record_sent(env->db, c->id, kind, p->column, p->due, now, nr, &fresh);
	if (err || !fresh)
		return err;
	/* A long-overdue first escalation stands for the ordinary one too. */
	if (p->action == SCHED_ESCALATE_LONG && !p->escalated) {
		err = record_sent(env->db, c->id, "escalation", p->column, p->due, now, 0, &fresh);
		if (err)
			return err;
	}
	if (nr == 0) {
		log_warnx("case %s: no staff address to send the %s about %s to", c->number,
		    kind, p->column);
		return MD_OK;
	}
	err = queue_notices(env, c, a, p, r, nr, now, &queued);
	if (err)
		return err;
	if (p->action == SCHED_REMIND)
		st->reminders += queued;
	else
		st->escalations += queued;
	log_info("case %s: %s about %s sent to %zu staff", c->number, kind, p->column, queued);
	return MD_OK;
}

/*
 * Handle one case: decide without a lock, and when something is due,
 * decide again and act inside one transaction.
 */
static enum md_err
run_case(const struct wf_env *env, int64_t id, time_t now, struct scheduler_stats *st)
{
	struct case_record *c = NULL;
	struct sched_plan p;
	enum md_err err;

	err = case_get(env->db, id, &c);
	if (err == MD_OK)
		err = plan_case(env, c, now, &p);
	case_record_free(c);
	c = NULL;
	if (err || p.action == SCHED_NONE)
		return err == MD_ERR_NOTFOUND ? MD_OK : err;

	err = db_begin(env->db);
	if (err)
		return err;
	err = case_get(env->db, id, &c);
	if (err == MD_OK)
		err = plan_case(env, c, now, &p);
	if (err == MD_OK && p.action != SCHED_NONE)
		err = act(env, c, &p, now, st);
	if (err == MD_OK)
		err = db_commit(env->db);
	if (err) {
		db_rollback(env->db);
		if (err != MD_ERR_TEMP) {
			char esc[CASE_NUMBER_MAX * 4];

			log_warnx("scheduler: case %s left for the next pass: %s",
			    c ? log_escape(esc, sizeof(esc), c->number) : "?", md_strerror(err));
		}
	}
	case_record_free(c);
	return err;
}

/* Ids of the cases that may have a deadline, oldest first. */
static enum md_err
open_case_ids(struct db *db, int64_t **ids, size_t *n)
{
	sqlite3_stmt *st;
	int64_t *v = NULL, *nv;
	size_t cap = 0;
	enum md_err err;
	int rc;

	*ids = NULL;
	*n = 0;
	err = db_prepare(db, "SELECT id FROM cases WHERE status IN"
	    " ('registered', 'handling', 'rehandling', 'resolved') ORDER BY id", &st);
	if (err)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			nv = reallocarray(v, cap, sizeof(*v));
			if (nv == NULL) {
				err = MD_ERR_NOMEM;
				break;
			}
			v = nv;
		}
		v[(*n)++] = sqlite3_column_int64(st, 0);
	}
	if (err == MD_OK && rc != SQLITE_DONE)
		err = db_status(db, rc);
	sqlite3_finalize(st);
	if (err) {
		free(v);
		*n = 0;
		return err;
	}
	*ids = v;
	return MD_OK;
}

enum md_err
scheduler_run(const struct wf_env *env, time_t now, struct scheduler_stats *st)
{
	struct scheduler_stats local;
	enum md_err err, first = MD_OK;
	int64_t *ids = NULL;
	size_t n, i, digests = 0;

	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (db_in_transaction(env->db))
		return MD_ERR_STATE;
	err = open_case_ids(env->db, &ids, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		err = run_case(env, ids[i], now, st);
		if (err == MD_ERR_TEMP) {
			first = err;
			break;	/* the database is busy: the rest waits for the next pass */
		}
		if (err) {
			st->failed++;
			if (first == MD_OK)
				first = err;
		}
	}
	free(ids);
	if (first == MD_ERR_TEMP)
		return first;
	err = scheduler_digest(env, now, &digests);
	st->digests = digests;
	if (err && first == MD_OK)
		first = err;
	return first;
}

/* t becomes the earlier of t and c when c is in the future (0: none yet). */
static void
earliest(time_t *t, time_t c, time_t now)
{
	if (c > now && (*t == 0 || c < *t))
		*t = c;
}

enum md_err
scheduler_next_wakeup(const struct wf_env *env, time_t now, time_t *next)
{
	const char *tz = env->cfg->timezone;
	struct calendar_date today;
	struct case_record *c;
	struct sched_plan p;
	time_t midnight, t;
	int64_t *ids = NULL;
	size_t n, i;
	enum md_err err;
	int sent;

	*next = 0;
	err = calendar_local_date(tz, now, &today);
	if (err == MD_OK)
		err = calendar_end_of_day(tz, &today, &midnight);
	if (err)
		return err;
	midnight++;
	err = open_case_ids(env->db, &ids, &n);
	if (err)
		return err;
	for (i = 0; i < n && err == MD_OK; i++) {
		c = NULL;
		err = case_get(env->db, ids[i], &c);
		if (err == MD_ERR_NOTFOUND) {
			err = MD_OK;
			continue;
		}
		if (err == MD_OK)
			err = plan_case(env, c, now, &p);
		if (err == MD_OK) {
			if (strcmp(c->status, "resolved") == 0 && c->feedback_due)
				earliest(next, c->feedback_due + 1, now);
			if (p.column && now <= p.due) {
				/* A reminder window opens at the start of a local day. */
				err = was_sent(env->db, c->id, "reminder", p.column, p.due, &sent);
				if (err == MD_OK && !sent)
					earliest(next, midnight, now);
				earliest(next, p.due + 1, now);
			} else if (p.column && p.workdays <= SCHEDULER_LEADERSHIP_OVERDUE_WORKDAYS) {
				/* The long-overdue escalation also starts with a day. */
				earliest(next, midnight, now);
			}
		}
		case_record_free(c);
	}
	free(ids);
	if (err)
		return err;
	err = sched_next_digest(env, now, &t);
	if (err == MD_OK)
		earliest(next, t, now);
	return err;
}
