/*
 * One HTML file per case. Messages and events are merged into a single
 * timeline by time (messages by when they were received or sent, events by
 * when they were recorded), ties keeping database order, because that is
 * how a reader reconstructs what happened. Everything from mail passes
 * through cli_sanitize() and HTML escaping; nothing in the file refers to
 * anything outside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "case.h"
#include "cli.h"
#include "intake.h"
#include "log.h"
#include "message.h"
#include "msgstore.h"
#include "workflow.h"

struct xctx {
	FILE *fp;
	struct db *db;
	const char *lang;
	int zh;
	const char *attach_dir;
	struct message_limits lim;  /* intake's, to find attachments kept once */
	size_t n_attachments;
	enum md_err err;
};

static const char css[] =
	"body{font-family:\"Noto Serif CJK SC\",\"Source Han Serif SC\",\"SimSun\",serif;"
	"margin:2em auto;max-width:52em;color:#111;line-height:1.6}"
	"h1{font-size:1.5em;border-bottom:2px solid #333;padding-bottom:.3em}"
	"h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #999}"
	"table{border-collapse:collapse;width:100%}"
	"th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top}"
	"th{background:#f0f0f0;width:9em;font-weight:normal}"
	".item{border:1px solid #ccc;margin:.8em 0;padding:.5em .8em;page-break-inside:avoid}"
	".in{border-left:4px solid #2a6}.out{border-left:4px solid #26a}"
	".event{border-left:4px solid #999;background:#fafafa}"
	".note{border-left:4px solid #c80;background:#fff8e6}"
	".meta{color:#555;font-size:.9em}"
	"pre{white-space:pre-wrap;word-wrap:break-word;font-family:inherit;margin:.4em 0}"
	"@media print{body{margin:0;max-width:none}.item{border-color:#999}}";

/* Write s escaped for HTML text and attributes, sanitized for display first. */
static void
esc(struct xctx *x, const char *s, int keep_newlines)
{
	char *clean = cli_sanitize(s ? s : "", keep_newlines);
	const char *p;

	if (clean == NULL) {
		x->err = MD_ERR_NOMEM;
		return;
	}
	for (p = clean; *p; p++) {
		switch (*p) {
		case '&':	fputs("&amp;", x->fp); break;
		case '<':	fputs("&lt;", x->fp); break;
		case '>':	fputs("&gt;", x->fp); break;
		case '"':	fputs("&quot;", x->fp); break;
		case '\'':	fputs("&#39;", x->fp); break;
		default:	fputc(*p, x->fp); break;
		}
	}
	free(clean);
}

static void
tm_text(time_t t, char *out, size_t len)
{
	struct tm tm;

	if (t == 0 || localtime_r(&t, &tm) == NULL) {
		snprintf(out, len, "—");
		return;
	}
	strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static void
row(struct xctx *x, const char *zh, const char *en, const char *value)
{
	fputs("<tr><th>", x->fp);
	fputs(x->zh ? zh : en, x->fp);
	fputs("</th><td>", x->fp);
	esc(x, value && *value ? value : "—", 0);
	fputs("</td></tr>\n", x->fp);
}

static void
row_time(struct xctx *x, const char *zh, const char *en, time_t t)
{
	char b[64];

	tm_text(t, b, sizeof(b));
	row(x, zh, en, b);
}

static void
summary(struct xctx *x, const struct case_record *c)
{
	char b[64];

	fputs("<h2>", x->fp);
	fputs(x->zh ? "诉求登记信息" : "Case summary", x->fp);
	fputs("</h2>\n<table>\n", x->fp);
	row(x, "诉求编号", "Case number", c->number);
	row(x, "状态", "Status", wf_label(c->status, x->lang));
	row(x, "主题", "Subject", c->subject);
	row(x, "类型", "Type", wf_label(c->type, x->lang));
	row(x, "级别", "Tier", c->tier ? wf_label(c->tier, x->lang) : NULL);
	row(x, "受理渠道", "Channel", wf_label(c->channel, x->lang));
	row(x, "诉求人", "Requester", c->requester_name);
	row(x, "单位", "Company", c->requester_unit);
	row(x, "邮箱", "Email", c->requester_email);
	row(x, "电话", "Phone", c->requester_phone);
	row_time(x, "提交时间", "Submitted", c->submitted_at);
	row_time(x, "审核期限", "Review due", c->review_due);
	row_time(x, "受理时间", "Accepted", c->accepted_at);
	row_time(x, "办结期限", "Result due", c->handling_due);
	snprintf(b, sizeof(b), "%d", c->extended_count);
	row(x, "延期次数", "Extensions", b);
	row_time(x, "重新办理期限", "Re-handling due", c->rehandling_due);
	row_time(x, "结果反馈时间", "Resolved", c->resolved_at);
	row(x, "处理方式", "Method", c->method ? wf_label(c->method, x->lang) : NULL);
	row(x, "会员评价", "Feedback", c->satisfaction ? wf_label(c->satisfaction, x->lang) :
	    NULL);
	row_time(x, "办结时间", "Closed", c->closed_at);
	row_time(x, "归档时间", "Archived", c->archived_at);
	row(x, "承办人", "Assignee", c->assignee);
	row(x, "不予受理理由", "Art. 8 ground", c->reject_ground);
	fputs("</table>\n", x->fp);
	fputs("<h2>", x->fp);
	fputs(x->zh ? "诉求内容" : "Request", x->fp);
	fputs("</h2>\n<pre>", x->fp);
	esc(x, c->text, 1);
	fputs("</pre>\n", x->fp);
}

/* Cases joined with this one (art. 14), either way. */
static void
joint(struct xctx *x, const struct case_record *c)
{
	struct case_record *v = NULL, *parent = NULL;
	size_t n = 0, i;

	if (c->joint_parent_id && case_get(x->db, c->joint_parent_id, &parent) == MD_OK) {
		fprintf(x->fp, "<p>%s", x->zh ? "本诉求已并入联合诉求 " :
		    "This case was merged into joint case ");
		esc(x, parent->number, 0);
		fputs("</p>\n", x->fp);
		case_record_free(parent);
	}
	if (case_list_joint(x->db, c->id, &v, &n) != MD_OK || n == 0)
		return;
	fprintf(x->fp, "<h2>%s</h2>\n<table>\n", x->zh ? "并入本联合诉求的诉求（第十四条）" :
	    "Cases merged into this joint case (art. 14)");
	for (i = 0; i < n; i++) {
		fputs("<tr><th>", x->fp);
		esc(x, v[i].number, 0);
		fputs("</th><td>", x->fp);
		esc(x, v[i].requester_name, 0);
		fputs(" &lt;", x->fp);
		esc(x, v[i].requester_email ? v[i].requester_email : "", 0);
		fputs("&gt; — ", x->fp);
		esc(x, v[i].subject, 0);
		fputs("</td></tr>\n", x->fp);
	}
	fputs("</table>\n", x->fp);
	case_list_free(v, n);
}

/* A file name for an attachment that cannot leave attach_dir or surprise a shell. */
static void
safe_name(const char *in, char *out, size_t len)
{
	size_t i = 0;

	for (; in && *in && i + 1 < len; in++)
		out[i++] = (*in >= 'a' && *in <= 'z') || (*in >= 'A' && *in <= 'Z') ||
		    (*in >= '0' && *in <= '9') || *in == '.' || *in == '-' || *in == '_' ?
		    *in : '_';
	out[i] = '\0';
	if (i == 0 || out[0] == '.')
		snprintf(out, len, "attachment");
}

static enum md_err
write_attachment(struct xctx *x, int64_t msg, int n, const char *name, const void *data,
    size_t len)
{
	char path[4096], safe[128];
	ssize_t w;
	size_t done = 0;
	int fd;

	safe_name(name, safe, sizeof(safe));
	snprintf(path, sizeof(path), "%s/M%lld-%d-%s", x->attach_dir, (long long)msg, n, safe);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return errno == EEXIST ? MD_ERR_EXISTS : MD_ERR_IO;
	while (done < len) {
		w = write(fd, (const char *)data + done, len - done);
		if (w <= 0) {
			close(fd);
			return MD_ERR_IO;
		}
		done += (size_t)w;
	}
	return close(fd) == 0 ? MD_OK : MD_ERR_IO;
}

/*
 * The bytes of an attachment kept once (msgstore.h): the message parsed
 * again (once for all its attachments, *parsed) and the attachment at the
 * row's part, provided it is still the one intake recorded. Anything else
 * would write some other file under the listed SHA-256: MD_ERR_STATE.
 */
static enum md_err
kept_once(struct xctx *x, int64_t msg, sqlite3_stmt *st, struct message **parsed,
    const struct message_attachment **out)
{
	const char *name = (const char *)sqlite3_column_text(st, 0);
	const char *type = (const char *)sqlite3_column_text(st, 1);
	const char *sha = (const char *)sqlite3_column_text(st, 5);
	sqlite3_int64 size = sqlite3_column_int64(st, 2);
	sqlite3_int64 part = sqlite3_column_int64(st, 4);
	const struct message_attachment *a;
	char got[MSGSTORE_SHA256_HEX];
	enum md_err err;

	if (*parsed == NULL) {
		err = msgstore_parse_stored(x->db, msg, &x->lim, parsed);
		if (err)
			return err;
	}
	if (sqlite3_column_type(st, 4) != SQLITE_INTEGER || part < 0 ||
	    (sqlite3_uint64)part >= (*parsed)->n_attachments)
		goto differs;
	a = &(*parsed)->attachments[part];
	if (strcmp(a->filename ? a->filename : "", name ? name : "") != 0 ||
	    strcmp(a->content_type ? a->content_type : "application/octet-stream",
	    type ? type : "") != 0 || (sqlite3_int64)a->size != size || a->data == NULL)
		goto differs;
	err = msgstore_attachment_sha256(a, got);
	if (err)
		return err;
	if (strcmp(got, sha ? sha : "") != 0)
		goto differs;
	*out = a;
	return MD_OK;
differs:
	log_warnx("message %lld: attachment %lld no longer decodes from the stored message"
	    " as it did when it was taken in", (long long)msg, (long long)part);
	return MD_ERR_STATE;
}

static void
attachments(struct xctx *x, int64_t msg)
{
	char sha[MSGSTORE_SHA256_HEX], size[32];
	const struct message_attachment *a;
	struct message *parsed = NULL;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (db_prepare(x->db, "SELECT filename, content_type, size, data, part, sha256"
	    " FROM attachments WHERE message_id = ? ORDER BY id", &st) != MD_OK) {
		x->err = MD_ERR_DB;
		return;
	}
	sqlite3_bind_int64(st, 1, msg);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *type = (const char *)sqlite3_column_text(st, 1);
		const void *data = sqlite3_column_blob(st, 3);
		size_t len = (size_t)sqlite3_column_bytes(st, 3);
		/* Rows from before migration 6 hold the bytes; later ones their SHA-256. */
		int stored = sqlite3_column_type(st, 3) != SQLITE_NULL;
		int once = !stored && sqlite3_column_type(st, 5) != SQLITE_NULL;
		int kept = stored || once;

		if (n++ == 0)
			fprintf(x->fp, "<table class=\"meta\"><tr><th>%s</th><th>%s</th><th>%s</th>"
			    "<th>SHA-256</th></tr>\n", x->zh ? "附件" : "Attachment",
			    x->zh ? "类型" : "Type", x->zh ? "大小（字节）" : "Size (bytes)");
		x->n_attachments++;
		snprintf(size, sizeof(size), "%lld", (long long)sqlite3_column_int64(st, 2));
		if (once)
			snprintf(sha, sizeof(sha), "%s", (const char *)sqlite3_column_text(st, 5));
		else if (stored && msgstore_sha256_hex(data ? data : "", len, sha) != MD_OK)
			snprintf(sha, sizeof(sha), "?");
		fputs("<tr><td>", x->fp);
		esc(x, name && *name ? name : "(unnamed)", 0);
		fputs("</td><td>", x->fp);
		esc(x, type, 0);
		fprintf(x->fp, "</td><td>%s</td><td><code>%s</code></td></tr>\n", size,
		    kept ? sha : (x->zh ? "（内容未保存：超过大小限制）" :
		    "(content not kept: over the size limit)"));
		if (!kept || !x->attach_dir || x->err != MD_OK)
			continue;
		if (once) {
			x->err = kept_once(x, msg, st, &parsed, &a);
			if (x->err == MD_OK)
				x->err = write_attachment(x, msg, n, name, a->data, a->size);
		} else
			x->err = write_attachment(x, msg, n, name, data ? data : "", len);
	}
	if (n)
		fputs("</table>\n", x->fp);
	if (rc != SQLITE_DONE)
		x->err = db_status(x->db, rc);
	sqlite3_finalize(st);
	message_free(parsed);
}

static void
message(struct xctx *x, sqlite3_stmt *st)
{
	const char *dir = (const char *)sqlite3_column_text(st, 1);
	int out = dir && strcmp(dir, "out") == 0;
	char when[64], date[64];

	tm_text((time_t)sqlite3_column_int64(st, 7), when, sizeof(when));
	tm_text((time_t)sqlite3_column_int64(st, 6), date, sizeof(date));
	fprintf(x->fp, "<div class=\"item %s\"><div class=\"meta\">%s %s · %s", out ? "out" : "in",
	    when, out ? (x->zh ? "发出邮件" : "mail sent") : (x->zh ? "收到邮件" : "mail received"),
	    x->zh ? "发件人：" : "From: ");
	esc(x, (const char *)sqlite3_column_text(st, 3), 0);
	fputs(" &lt;", x->fp);
	esc(x, (const char *)sqlite3_column_text(st, 2), 0);
	fputs("&gt;", x->fp);
	if (sqlite3_column_type(st, 9) != SQLITE_NULL) {
		fputs(x->zh ? " · 收件人：" : " · To: ", x->fp);
		esc(x, (const char *)sqlite3_column_text(st, 9), 0);
		fputs(" (", x->fp);
		esc(x, (const char *)sqlite3_column_text(st, 10), 0);
		fputs(")", x->fp);
	}
	fprintf(x->fp, " · %s%s · Message-ID: ", x->zh ? "邮件日期：" : "Date: ", date);
	esc(x, (const char *)sqlite3_column_text(st, 8), 0);
	fputs("</div>\n<div><b>", x->fp);
	esc(x, (const char *)sqlite3_column_text(st, 4), 0);
	fputs("</b></div>\n<pre>", x->fp);
	esc(x, (const char *)sqlite3_column_text(st, 5), 1);
	fputs("</pre>\n", x->fp);
	attachments(x, sqlite3_column_int64(st, 0));
	fputs("</div>\n", x->fp);
}

static void
event(struct xctx *x, const struct case_event *e)
{
	char when[64];
	int note = strcmp(e->kind, "note") == 0;

	tm_text(e->at, when, sizeof(when));
	fprintf(x->fp, "<div class=\"item %s\"><div class=\"meta\">%s ", note ? "note" : "event",
	    when);
	if (note)
		fputs(x->zh ? "内部备注（未发给会员）" : "internal note (not sent)", x->fp);
	else
		esc(x, e->kind, 0);
	fputs(" · ", x->fp);
	esc(x, *e->actor ? e->actor : "system", 0);
	if (e->via) {
		fputs(" · ", x->fp);
		esc(x, e->via, 0);
	}
	fputs("</div>\n", x->fp);
	if (e->detail) {
		fputs("<pre>", x->fp);
		esc(x, e->detail, 1);
		fputs("</pre>\n", x->fp);
	}
	fputs("</div>\n", x->fp);
}

static void
timeline(struct xctx *x, const struct case_full *f)
{
	sqlite3_stmt *st;
	size_t ev = 0;
	int rc;

	fprintf(x->fp, "<h2>%s</h2>\n", x->zh ? "办理全过程记录（邮件、通知、备注、状态变化）" :
	    "Complete record (mail, notices, notes, changes)");
	if (db_prepare(x->db, "SELECT m.id, m.direction, m.from_addr, m.from_name, m.subject,"
	    " m.text, m.date, m.received_at, m.message_id, o.rcpt, o.status FROM messages m"
	    " LEFT JOIN outbox o ON o.message_id = m.message_id AND m.direction = 'out'"
	    " WHERE m.case_id = ? ORDER BY m.received_at, m.id", &st) != MD_OK) {
		x->err = MD_ERR_DB;
		return;
	}
	sqlite3_bind_int64(st, 1, f->c.id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		time_t at = (time_t)sqlite3_column_int64(st, 7);

		/* An event recorded before (or with) this message comes first. */
		while (ev < f->n_events && f->events[ev].at < at)
			event(x, &f->events[ev++]);
		message(x, st);
	}
	if (rc != SQLITE_DONE)
		x->err = db_status(x->db, rc);
	sqlite3_finalize(st);
	while (ev < f->n_events)
		event(x, &f->events[ev++]);
}

enum md_err
archive_export_html(struct db *db, const struct md_config *cfg, int64_t case_id, FILE *fp,
    const char *attach_dir, size_t *n_attachments)
{
	struct case_full *f = NULL;
	struct xctx x;
	char when[64];
	enum md_err err;

	memset(&x, 0, sizeof(x));
	x.fp = fp;
	x.db = db;
	x.lang = cfg->language && strcmp(cfg->language, "en") == 0 ? "en" : "zh";
	x.zh = strcmp(x.lang, "zh") == 0;
	x.attach_dir = attach_dir;
	intake_message_limits(cfg, &x.lim);
	err = case_load(db, case_id, &f);
	if (err)
		return err;
	fprintf(fp, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<title>", x.zh ? "zh-CN" : "en");
	esc(&x, f->c.number, 0);
	fputs(" ", fp);
	esc(&x, f->c.subject, 0);
	fprintf(fp, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", css);
	esc(&x, cfg->chamber_name, 0);
	fprintf(fp, "%s", x.zh ? " 会员诉求档案 " : " — member request record ");
	esc(&x, f->c.number, 0);
	tm_text(time(NULL), when, sizeof(when));
	fprintf(fp, "</h1>\n<p class=\"meta\">%s%s</p>\n", x.zh ? "导出时间：" : "Exported: ",
	    when);
	summary(&x, &f->c);
	joint(&x, &f->c);
	timeline(&x, f);
	fprintf(fp, "<p class=\"meta\">%s</p>\n</body>\n</html>\n", x.zh ?
	    "（本档案由商会诉求处理系统生成，包含该诉求的全部邮件、通知、内部备注和状态变化。）" :
	    "(Generated by the chamber's request handling system: every message, notice, "
	    "internal note and change of this case.)");
	case_full_free(f);
	if (n_attachments)
		*n_attachments = x.n_attachments;
	if (x.err)
		return x.err;
	if (fflush(fp) != 0 || ferror(fp))
		return MD_ERR_IO;
	return MD_OK;
}
