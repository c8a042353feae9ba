/*
 * memberdesk status: what an administrator checks first. Everything comes
 * from local files (pid file, database, calendar), so the command is quick
 * and works while IMAP is down; only with --imap does it log in to count
 * the messages waiting in the mailbox.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "calendar.h"
#include "cli.h"
#include "cli_util.h"
#include "db.h"
#include "imap.h"
#include "outbox.h"
#include "pidfile.h"
#include "report.h"
#include "workflow.h"

#define STATUS_LIST_MAX	20	/* case numbers listed per group */

struct case_ref {
	char number[64];
	char status[16];
	time_t due;
};

struct status {
	int pid_state;			/* 0 no file, 1 running, 2 stale */
	struct pidfile_info pid;
	time_t last_poll;		/* 0: never */
	struct outbox_counts outbox;
	long due_today, overdue;
	struct case_ref due_list[STATUS_LIST_MAX], overdue_list[STATUS_LIST_MAX];
	int year;
	int covers_this, covers_next;
	int schema;
	time_t now;
	int imap_asked;			/* --imap */
	long backlog;			/* messages waiting on the server; -1 unknown */
	enum md_err imap_err;
};

/* Log in like the daemon and count what it has yet to take in. */
static enum md_err
imap_backlog(const struct md_config *cfg, long *out)
{
	struct imap_mailbox_status st;
	struct imap_conn *c = NULL;
	uint32_t *uids = NULL;
	size_t n = 0;
	enum md_err err;

	*out = -1;
	if ((err = imap_connect(&cfg->imap, &c)) == MD_OK &&
	    (err = imap_select(c, cfg->imap_mailbox, &st)) == MD_OK &&
	    (err = imap_list_pending(c, cfg->imap_processed_folder, &uids, &n)) == MD_OK)
		*out = (long)n;
	free(uids);
	imap_close(c);
	return err;
}

static void
fmt_time(const char *tz, time_t t, char *buf, size_t len)
{
	struct calendar_date d;
	time_t end;
	long sec;

	if (t == 0) {
		snprintf(buf, len, "-");
		return;
	}
	if (calendar_local_date(tz, t, &d) != MD_OK ||
	    calendar_end_of_day(tz, &d, &end) != MD_OK) {
		snprintf(buf, len, "?");
		return;
	}
	/* Seconds into the local day, counted back from its last second. */
	sec = 86399 - (long)(end - t);
	if (sec < 0)
		sec = 0;
	snprintf(buf, len, "%04d-%02d-%02d %02ld:%02ld", d.year, d.month, d.day,
	    sec / 3600, (sec / 60) % 60);
}

static enum md_err
last_poll(struct db *db, time_t *out)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	*out = 0;
	if ((err = db_prepare(db, "SELECT max(last_poll_at) FROM mailbox_state", &st)))
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = (time_t)sqlite3_column_int64(st, 0);
	else
		err = db_status(db, rc);
	sqlite3_finalize(st);
	return err;
}

/* Open cases with the deadline of their status: due today (local) or past. */
static enum md_err
deadlines(struct db *db, const char *tz, struct status *s)
{
	struct calendar_date today;
	time_t end_today;
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	if ((err = calendar_local_date(tz, s->now, &today)) ||
	    (err = calendar_end_of_day(tz, &today, &end_today)))
		return err;
	if ((err = db_prepare(db, "SELECT number, status, CASE status"
	    " WHEN 'registered' THEN review_due WHEN 'handling' THEN handling_due"
	    " ELSE rehandling_due END AS due FROM cases"
	    " WHERE status IN ('registered', 'handling', 'rehandling') AND due > 0"
	    " AND due <= ? ORDER BY due, number", &st)))
		return err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)end_today);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		time_t due = (time_t)sqlite3_column_int64(st, 2);
		struct case_ref *ref = NULL;

		if (due < s->now) {
			if (s->overdue < STATUS_LIST_MAX)
				ref = &s->overdue_list[s->overdue];
			s->overdue++;
		} else {
			if (s->due_today < STATUS_LIST_MAX)
				ref = &s->due_list[s->due_today];
			s->due_today++;
		}
		if (ref) {
			snprintf(ref->number, sizeof(ref->number), "%s",
			    (const char *)sqlite3_column_text(st, 0));
			snprintf(ref->status, sizeof(ref->status), "%s",
			    (const char *)sqlite3_column_text(st, 1));
			ref->due = due;
		}
	}
	if (rc != SQLITE_DONE)
		err = db_status(db, rc);
	sqlite3_finalize(st);
	return err;
}

static json_t *
refs_json(const struct case_ref *v, long n)
{
	json_t *a = json_array();
	long i;

	for (i = 0; a && i < n && i < STATUS_LIST_MAX; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:I}", "number", v[i].number,
		    "status", v[i].status, "due", (json_int_t)v[i].due));
	return a;
}

static int
print_json(const struct status *s, const struct md_config *cfg)
{
	json_t *o;
	char *text;

	o = json_pack("{s:{s:s, s:b, s:I, s:I, s:s}, s:s, s:I, s:o,"
	    " s:{s:I, s:I, s:I}, s:{s:I, s:I, s:o, s:o},"
	    " s:{s:i, s:b, s:i, s:b}, s:i, s:I}",
	    "daemon", "state", s->pid_state == 1 ? "running" : s->pid_state == 2 ? "stale" :
	    "stopped", "running", s->pid_state == 1, "pid", (json_int_t)s->pid.pid,
	    "started_at", (json_int_t)s->pid.started, "database", cfg->database,
	    "timezone", cfg->timezone ? cfg->timezone : CALENDAR_DEFAULT_TZ,
	    "last_poll_at", (json_int_t)s->last_poll,
	    "mailbox_backlog", s->backlog >= 0 ? json_integer(s->backlog) : json_null(),
	    "outbox", "queued", (json_int_t)s->outbox.queued, "failed",
	    (json_int_t)s->outbox.failed, "oldest_queued_at", (json_int_t)s->outbox.oldest_queued,
	    "cases", "due_today", (json_int_t)s->due_today, "overdue", (json_int_t)s->overdue,
	    "due_today_list", refs_json(s->due_list, s->due_today),
	    "overdue_list", refs_json(s->overdue_list, s->overdue),
	    "calendar", "this_year", s->year, "this_year_covered", s->covers_this,
	    "next_year", s->year + 1, "next_year_covered", s->covers_next,
	    "schema_version", s->schema, "now", (json_int_t)s->now);
	if (o == NULL) {
		fprintf(stderr, "memberdesk: status: cannot build JSON\n");
		return 1;
	}
	text = json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	json_decref(o);
	if (text == NULL)
		return 1;
	printf("%s\n", text);
	free(text);
	return 0;
}

static void
print_refs(const char *tz, const struct case_ref *v, long n, int zh)
{
	char t[32];
	long i;

	for (i = 0; i < n && i < STATUS_LIST_MAX; i++) {
		fmt_time(tz, v[i].due, t, sizeof(t));
		printf("    %s  %s  %s %s\n", v[i].number, wf_label(v[i].status, zh ? "zh" : "en"),
		    zh ? "期限" : "due", t);
	}
	if (n > STATUS_LIST_MAX)
		printf("    … %ld\n", n - STATUS_LIST_MAX);
}

static void
print_text(const struct status *s, const struct md_config *cfg, int zh)
{
	const char *tz = cfg->timezone;
	char t[32];

	switch (s->pid_state) {
	case 1:
		fmt_time(tz, s->pid.started, t, sizeof(t));
		printf(zh ? "守护进程：运行中（pid %ld，启动于 %s）\n" :
		    "daemon: running (pid %ld, started %s)\n", (long)s->pid.pid, t);
		break;
	case 2:
		printf(zh ? "守护进程：未运行（pid 文件已过期，pid %ld）\n" :
		    "daemon: not running (stale pid file, pid %ld)\n", (long)s->pid.pid);
		break;
	default:
		printf(zh ? "守护进程：未运行\n" : "daemon: not running\n");
	}
	fmt_time(tz, s->last_poll, t, sizeof(t));
	printf(zh ? "上次收信：%s\n" : "last poll: %s\n", s->last_poll ? t :
	    zh ? "从未" : "never");
	if (s->backlog >= 0)
		printf(zh ? "邮箱积压：%ld 封待收取\n" : "mailbox backlog: %ld waiting\n",
		    s->backlog);
	else if (s->imap_asked)
		printf(zh ? "邮箱积压：未知（IMAP：%s）\n" : "mailbox backlog: unknown (IMAP: %s)\n",
		    md_strerror(s->imap_err));
	else
		printf(zh ? "邮箱积压：未检查（加 --imap 可连接邮箱查看）\n" :
		    "mailbox backlog: not checked (--imap logs in to count it)\n");
	fmt_time(tz, s->outbox.oldest_queued, t, sizeof(t));
	printf(zh ? "待发通知：%zu（最早 %s），发送失败：%zu\n" :
	    "outbox: %zu queued (oldest %s), %zu failed\n", s->outbox.queued,
	    s->outbox.queued ? t : "-", s->outbox.failed);
	printf(zh ? "今日到期：%ld\n" : "due today: %ld\n", s->due_today);
	print_refs(tz, s->due_list, s->due_today, zh);
	printf(zh ? "已逾期：%ld\n" : "overdue: %ld\n", s->overdue);
	print_refs(tz, s->overdue_list, s->overdue, zh);
	printf(zh ? "节假日日历：%d年%s；%d年%s\n" : "calendar: %d: %s; %d: %s\n",
	    s->year, s->covers_this ? (zh ? "已安装" : "installed") :
	    (zh ? "未安装，仅按周末计算" : "no calendar installed — weekends only"),
	    s->year + 1, s->covers_next ? (zh ? "已安装" : "installed") :
	    (zh ? "未安装，仅按周末计算" : "no calendar installed — weekends only"));
}

int
cli_status(int argc, char **argv, const struct md_config *cfg)
{
	struct calendar *cal = NULL;
	struct calendar_date today;
	struct status s;
	struct db *db = NULL;
	enum md_err err;
	int json = 0, zh, status = 1, i;

	memset(&s, 0, sizeof(s));
	s.backlog = -1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--imap") == 0)
			s.imap_asked = 1;
		else {
			fprintf(stderr, "usage: memberdesk status [--json] [--imap]\n");
			return 2;
		}
	}
	zh = !(cfg->language && strcmp(cfg->language, "en") == 0);
	if ((s.now = cli_now(cfg->timezone)) == (time_t)-1)
		return 2;
	err = pidfile_read(cfg->database, &s.pid);
	if (err == MD_OK)
		s.pid_state = s.pid.locked && s.pid.alive ? 1 : 2;
	else if (err != MD_ERR_NOTFOUND)
		fprintf(stderr, "memberdesk: warning: cannot read the pid file: %s\n",
		    md_strerror(err));
	if (calendar_load_dir(cfg->calendar_dir, stderr, &cal) != MD_OK)
		cal = NULL;
	if (calendar_local_date(cfg->timezone, s.now, &today) != MD_OK) {
		fprintf(stderr, "memberdesk: bad time zone %s\n", cfg->timezone);
		goto out;
	}
	s.year = today.year;
	s.covers_this = calendar_covers(cal, s.year);
	s.covers_next = calendar_covers(cal, s.year + 1);
	if ((err = db_open(cfg->database, &db))) {
		fprintf(stderr, "memberdesk: cannot open database %s: %s\n", cfg->database,
		    md_strerror(err));
		goto out;
	}
	s.schema = db_schema_version(db);
	if ((err = last_poll(db, &s.last_poll)) || (err = outbox_counts(db, &s.outbox)) ||
	    (err = deadlines(db, cfg->timezone, &s))) {
		fprintf(stderr, "memberdesk: status: %s %s\n", md_strerror(err), db_errmsg(db));
		goto out;
	}
	if (s.imap_asked)
		s.imap_err = imap_backlog(cfg, &s.backlog);
	if (json)
		status = print_json(&s, cfg);
	else {
		print_text(&s, cfg, zh);
		status = 0;
	}
	if (status == 0 && s.pid_state != 1)
		status = 3;
out:
	db_close(db);
	calendar_free(cal);
	return status;
}
