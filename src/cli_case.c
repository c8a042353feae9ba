/*
 * memberdesk case list / case show, and the terminal helpers the other
 * cli_* files use. Widths come from our own East Asian Width table rather
 * than wcwidth(3) so output does not depend on the locale the
 * administrator's shell happens to have.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "case.h"
#include "cli.h"
#include "cli_util.h"
#include "cli_workflow.h"
#include "config.h"
#include "db.h"
#include "utf8.h"
#include "workflow.h"

#define CLI_TEXT_MAX (64u * 1024 * 1024)

static int
is_bidi_control(uint32_t c)
{
	return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0x200e || c == 0x200f || c == 0x061c;
}

/* Nonzero for a character that must not reach the terminal as it is. */
static int
needs_replacing(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || is_bidi_control(c);
}

/*
 * utf8_decode() with the three-byte sequences of CJK text decoded in line:
 * leads E1-EC and EE-EF can be neither overlong nor surrogates.
 */
static size_t
decode(const unsigned char *p, const unsigned char *end, uint32_t *c)
{
	if (end - p >= 3 && ((p[0] >= 0xe1 && p[0] <= 0xec) || p[0] >= 0xee) &&
	    p[0] <= 0xef && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80) {
		*c = ((uint32_t)(p[0] & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) |
		    (uint32_t)(p[2] & 0x3f);
		return 3;
	}
	return utf8_decode(p, (size_t)(end - p), c);
}

static size_t char_width(uint32_t c);

/*
 * Append n bytes of valid UTF-8; past the buffer's limit as many whole
 * characters as fit, so that over-long text is cut where it was before.
 */
static enum md_err
append_run(struct buf *b, const unsigned char *p, size_t n)
{
	enum md_err err = buf_append(b, p, n);
	size_t k;

	while (err == MD_ERR_LIMIT && n > 0) {
		k = utf8_decode(p, n, NULL);
		if (k == 0)
			k = 1;
		err = buf_append(b, p, k);
		p += k;
		n -= k;
	}
	return err;
}

/*
 * cli_sanitize(), also adding up the columns of the result into *width
 * (when not NULL). Text from the database is almost always clean: runs of
 * acceptable characters are copied in one go, so a list of thousands of
 * rows does not pay a function call and a bounds check per byte.
 */
static char *
sanitize(const char *s, int keep_newlines, size_t *width)
{
	static const char replacement[] = "\xef\xbf\xbd";
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	const unsigned char *end, *run;
	struct buf b;
	enum md_err err = MD_OK;
	size_t n, w = 0;
	uint32_t c;
	char nl;

	end = p + strlen((const char *)p);
	buf_init(&b, CLI_TEXT_MAX);
	run = p;
	while (p < end && err == MD_OK) {
		if (*p >= 0x20 && *p < 0x7f) {
			p++;
			w++;
			continue;
		}
		n = decode(p, end, &c);
		if (n > 0 && !needs_replacing(c)) {
			p += n;
			w += char_width(c);
			continue;
		}
		err = append_run(&b, run, (size_t)(p - run));
		if (err)
			break;
		if (n == 0) {
			err = buf_puts(&b, replacement);
			w++;
			n = 1;
		} else if (c == '\r')
			;
		else if (c == '\n' || c == '\t') {
			nl = keep_newlines ? (char)c : ' ';
			err = buf_append(&b, &nl, 1);
			w += keep_newlines ? 0 : 1;
		} else {
			err = buf_puts(&b, replacement);
			w++;
		}
		p += n;
		run = p;
	}
	if (err == MD_OK)
		err = append_run(&b, run, (size_t)(p - run));
	if (err == MD_ERR_NOMEM) {
		buf_free(&b);
		return NULL;
	}
	/* Past the limit the text is simply cut (for display only); measure what is left. */
	if (err && width)
		w = cli_display_width(b.data ? b.data : "");
	if (width)
		*width = w;
	return buf_steal(&b);
}

char *
cli_sanitize(const char *s, int keep_newlines)
{
	return sanitize(s, keep_newlines, NULL);
}

static int
in_ranges(uint32_t c, const uint32_t (*r)[2], size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (c >= r[i][0] && c <= r[i][1])
			return 1;
	return 0;
}

static size_t
char_width(uint32_t c)
{
	static const uint32_t zero[][2] = {
		{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd },
		{ 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff }, { 0x200b, 0x200f },
		{ 0x202a, 0x202e }, { 0x2060, 0x2064 }, { 0x20d0, 0x20ff },
		{ 0x302a, 0x302d }, { 0x3099, 0x309a }, { 0xfe00, 0xfe0f },
		{ 0xfe20, 0xfe2f }, { 0xfeff, 0xfeff }, { 0xe0100, 0xe01ef },
	};
	static const uint32_t wide[][2] = {
		{ 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a },
		{ 0x23e9, 0x23ec }, { 0x2614, 0x2615 }, { 0x2e80, 0x303e },
		{ 0x3041, 0x33ff }, { 0x3400, 0x4dbf }, { 0x4e00, 0x9fff },
		{ 0xa000, 0xa4cf }, { 0xa960, 0xa97f }, { 0xac00, 0xd7a3 },
		{ 0xf900, 0xfaff }, { 0xfe10, 0xfe19 }, { 0xfe30, 0xfe6f },
		{ 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f },
		{ 0x1f900, 0x1f9ff }, { 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
	};

	if (c < 0x20 || (c >= 0x7f && c < 0xa0))
		return 0;
	/* Below the first range of either table (the common Latin text). */
	if (c < 0x300)
		return 1;
	/* The unified ideographs are most of what a chamber's cases hold. */
	if (c >= 0x4e00 && c <= 0x9fff)
		return 2;
	if (in_ranges(c, zero, sizeof(zero) / sizeof(zero[0])))
		return 0;
	if (in_ranges(c, wide, sizeof(wide) / sizeof(wide[0])))
		return 2;
	return 1;
}

/* Columns of the n bytes at s (invalid bytes take one column each). */
static size_t
width_of(const unsigned char *s, size_t len)
{
	const unsigned char *end = s + len;
	size_t w = 0, n;
	uint32_t c;

	while (s < end) {
		if (*s >= 0x20 && *s < 0x7f) {
			w++;
			s++;
			continue;
		}
		n = decode(s, end, &c);
		if (n == 0) {
			w++;
			s++;
			continue;
		}
		w += char_width(c);
		s += n;
	}
	return w;
}

size_t
cli_display_width(const char *s)
{
	return width_of((const unsigned char *)s, strlen(s));
}

struct cli_table {
	size_t ncols;
	char **cells;           /* rows * ncols, row 0 the headings */
	size_t *widths;         /* display width of each cell, measured once */
	size_t nrows;
	size_t cap;
};

void
cli_table_free(struct cli_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->widths);
	free(t);
}

enum md_err
cli_table_add(struct cli_table *t, const char *const *cells)
{
	char **nv;
	size_t *nw, i, ncap, k;

	if (t->nrows == t->cap) {
		ncap = t->cap ? t->cap * 2 : 16;
		nv = reallocarray(t->cells, ncap * t->ncols, sizeof(*nv));
		if (nv == NULL)
			return MD_ERR_NOMEM;
		t->cells = nv;
		nw = reallocarray(t->widths, ncap * t->ncols, sizeof(*nw));
		if (nw == NULL)
			return MD_ERR_NOMEM;
		t->widths = nw;
		t->cap = ncap;
	}
	for (i = 0; i < t->ncols; i++) {
		k = t->nrows * t->ncols + i;
		t->cells[k] = sanitize(cells[i], 0, &t->widths[k]);
		if (t->cells[k] == NULL) {
			while (i-- > 0)
				free(t->cells[t->nrows * t->ncols + i]);
			return MD_ERR_NOMEM;
		}
	}
	t->nrows++;
	return MD_OK;
}

enum md_err
cli_table_new(size_t ncols, const char *const *headings, struct cli_table **out)
{
	struct cli_table *t;
	enum md_err err;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return MD_ERR_NOMEM;
	t->ncols = ncols;
	err = cli_table_add(t, headings);
	if (err) {
		cli_table_free(t);
		return err;
	}
	*out = t;
	return MD_OK;
}

static void
pad(FILE *fp, size_t n)
{
	static const char spaces[] = "                                ";
	size_t k;

	while (n > 0) {
		k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
		fwrite(spaces, 1, k, fp);
		n -= k;
	}
}

/*
 * Print s, w columns wide, in exactly width columns: cut (ending in "...")
 * or padded with spaces.
 */
static void
print_cell(FILE *fp, const char *s, size_t w, size_t width, int padded)
{
	const unsigned char *p = (const unsigned char *)s, *end;
	size_t used = 0, n, cw;
	uint32_t c;

	if (w <= width) {
		fputs(s, fp);
		used = w;
	} else {
		end = p + strlen(s);
		while (p < end) {
			n = utf8_decode(p, (size_t)(end - p), &c);
			if (n == 0)
				n = 1, cw = 1;
			else
				cw = char_width(c);
			if (used + cw + 3 > width)
				break;
			p += n;
			used += cw;
		}
		fwrite(s, 1, (size_t)(p - (const unsigned char *)s), fp);
		fputs("...", fp);
		used += 3;
	}
	if (padded && used < width)
		pad(fp, width - used);
}

void
cli_table_print(const struct cli_table *t, FILE *fp, size_t max_width)
{
	size_t *width, r, i, w, k;

	if (max_width < 4)
		max_width = 4;
	width = calloc(t->ncols, sizeof(*width));
	if (width == NULL)
		return;
	for (r = 0; r < t->nrows; r++)
		for (i = 0; i < t->ncols; i++) {
			w = t->widths[r * t->ncols + i];
			if (w > width[i])
				width[i] = w > max_width ? max_width : w;
		}
	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			k = r * t->ncols + i;
			if (i > 0)
				fputs("  ", fp);
			print_cell(fp, t->cells[k], t->widths[k], width[i], i + 1 < t->ncols);
		}
		fputc('\n', fp);
	}
	free(width);
}

/* ---- case list / show ---- */

struct label {
	const char *key;
	const char *zh;
};

static const struct label labels[] = {
	{ "registered", "已登记" }, { "handling", "办理中" }, { "rejected", "不予受理" },
	{ "resolved", "已反馈结果" }, { "rehandling", "重新办理" }, { "closed", "已办结" },
	{ "archived", "已归档" }, { "merged", "已并案" },
	{ "policy", "政策咨询" }, { "rights", "权益保障" }, { "difficulty", "发展困难" },
	{ "suggestion", "意见建议" }, { "other", "其他" },
	{ "simple", "简单" }, { "general", "一般" }, { "major", "重大复杂" },
	{ "email", "邮件" }, { "visit", "走访" }, { "meeting", "会议" },
	{ "walk-in", "来访" }, { "phone", "电话" }, { "online", "网上" },
};

static int
use_zh(const struct md_config *cfg)
{
	return cfg->language == NULL || strcmp(cfg->language, "en") != 0;
}

static const char *
label(const struct md_config *cfg, const char *key)
{
	size_t i;

	if (key == NULL)
		return "-";
	if (use_zh(cfg))
		for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
			if (strcmp(labels[i].key, key) == 0)
				return labels[i].zh;
	return key;
}

/* Format t in the configured zone; TZ is switched for the whole command in cli_case(). */
static void
fmt_time(time_t t, char *out, size_t len)
{
	struct tm tm;

	if (t == 0 || localtime_r(&t, &tm) == NULL) {
		snprintf(out, len, "-");
		return;
	}
	strftime(out, len, "%Y-%m-%d %H:%M", &tm);
}

static void
requester(const struct case_record *c, char *out, size_t len)
{
	const char *name = *c->requester_name ? c->requester_name :
	    c->requester_email ? c->requester_email : "-";

	if (*c->requester_unit)
		snprintf(out, len, "%s (%s)", name, c->requester_unit);
	else
		snprintf(out, len, "%s", name);
}

/* What each row of case list needs while the cases stream past. */
struct list_ctx {
	const struct md_config *cfg;
	struct cli_table *t;
};

static enum md_err
list_row(const struct case_record *c, void *arg)
{
	struct list_ctx *ctx = arg;
	char when[32], who[512];
	const char *cells[7];

	fmt_time(c->submitted_at, when, sizeof(when));
	requester(c, who, sizeof(who));
	cells[0] = c->number;
	cells[1] = label(ctx->cfg, c->status);
	cells[2] = label(ctx->cfg, c->type);
	cells[3] = label(ctx->cfg, c->tier);
	cells[4] = when;
	cells[5] = who;
	cells[6] = c->subject;
	return cli_table_add(ctx->t, cells);
}

static int
case_list_cmd(int argc, char **argv, struct db *db, const struct md_config *cfg)
{
	static const char *const head_zh[] = { "编号", "状态", "类型", "级别", "提交时间",
	    "诉求人", "主题" };
	static const char *const head_en[] = { "NUMBER", "STATUS", "TYPE", "TIER", "SUBMITTED",
	    "REQUESTER", "SUBJECT" };
	struct case_filter filt = { 0 };
	struct list_ctx ctx = { cfg, NULL };
	enum md_err err;
	long num;
	int k;

	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--status") == 0 && k + 1 < argc)
			filt.status = argv[++k];
		else if (strcmp(argv[k], "--year") == 0 && k + 1 < argc &&
		    cli_parse_long(argv[k + 1], 1970, 9999, &num) == MD_OK) {
			filt.year = (int)num;
			k++;
		} else if (strcmp(argv[k], "--limit") == 0 && k + 1 < argc &&
		    cli_parse_long(argv[k + 1], 1, INT_MAX, &num) == MD_OK) {
			filt.limit = (size_t)num;
			k++;
		} else if (strcmp(argv[k], "--overdue") == 0) {
			/* Past the deadline of their status: review, handling, re-handling. */
			filt.overdue_at = cli_now(cfg->timezone);
			if (filt.overdue_at == (time_t)-1)
				return 2;
		} else {
			fprintf(stderr, "usage: memberdesk case list [--status STATUS] "
			    "[--year YEAR] [--limit N] [--overdue]\n");
			return 2;
		}
	}
	if (filt.status && !wf_status_valid(filt.status)) {
		fprintf(stderr, "memberdesk: unknown status; use registered, handling, rejected, "
		    "resolved, rehandling, closed, archived or merged\n");
		return 2;
	}
	/* Every matching case is listed: the table needs all rows for its widths. */
	err = cli_table_new(7, use_zh(cfg) ? head_zh : head_en, &ctx.t);
	if (err == MD_OK)
		err = case_list_each(db, &filt, list_row, &ctx);
	if (err == MD_OK)
		cli_table_print(ctx.t, stdout, 40);
	cli_table_free(ctx.t);
	if (err) {
		fprintf(stderr, "memberdesk: cannot list cases: %s (%s)\n", md_strerror(err),
		    db_errmsg(db));
		return 1;
	}
	return 0;
}

/* Print "label  value" with the value sanitized; labels padded by display width. */
static void
field(const char *name, const char *value)
{
	char *s = cli_sanitize(value && *value ? value : "-", 0);
	size_t w;

	fputs(name, stdout);
	for (w = cli_display_width(name); w < 14; w++)
		fputc(' ', stdout);
	printf("%s\n", s ? s : "?");
	free(s);
}

/* Print text indented, one terminal line per text line. */
static void
indented(const char *text)
{
	char *s = cli_sanitize(text, 1), *line, *next;

	if (s == NULL)
		return;
	for (line = s; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		printf("    %s\n", line);
	}
	free(s);
}

/* A time field, only when the case has reached it. */
static void
show_time(const char *name, time_t t)
{
	char when[32];

	if (t == 0)
		return;
	fmt_time(t, when, sizeof(when));
	field(name, when);
}

static int
case_show_cmd(int argc, char **argv, struct db *db, const struct md_config *cfg)
{
	struct case_record *c = NULL;
	struct case_full *f = NULL;
	char when[32], num[32], from[600];
	enum md_err err;
	int zh = use_zh(cfg);
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: memberdesk case show NUMBER\n");
		return 2;
	}
	err = case_find_by_number(db, argv[1], &c);
	if (err == MD_OK)
		err = case_load(db, c->id, &f);
	case_record_free(c);
	if (err == MD_ERR_NOTFOUND) {
		char *s = cli_sanitize(argv[1], 0);

		fprintf(stderr, "memberdesk: no case %s\n", s ? s : "");
		free(s);
		return 1;
	}
	if (err) {
		fprintf(stderr, "memberdesk: cannot load case: %s (%s)\n", md_strerror(err),
		    db_errmsg(db));
		return 1;
	}
	field(zh ? "编号" : "Number", f->c.number);
	field(zh ? "状态" : "Status", label(cfg, f->c.status));
	field(zh ? "类型" : "Type", label(cfg, f->c.type));
	field(zh ? "级别" : "Tier", label(cfg, f->c.tier));
	field(zh ? "渠道" : "Channel", label(cfg, f->c.channel));
	field(zh ? "诉求人" : "Requester", f->c.requester_name);
	field(zh ? "单位" : "Unit", f->c.requester_unit);
	field(zh ? "邮箱" : "Email", f->c.requester_email);
	field(zh ? "电话" : "Phone", f->c.requester_phone);
	if (f->c.member_id)
		snprintf(num, sizeof(num), "#%lld", (long long)f->c.member_id);
	else
		snprintf(num, sizeof(num), "%s", zh ? "非会员/未识别" : "unknown sender");
	field(zh ? "会员" : "Member", num);
	fmt_time(f->c.submitted_at, when, sizeof(when));
	field(zh ? "提交时间" : "Submitted", when);
	fmt_time(f->c.updated_at, when, sizeof(when));
	field(zh ? "更新时间" : "Updated", when);
	show_time(zh ? "审核期限" : "Review due", f->c.review_due);
	show_time(zh ? "受理时间" : "Accepted", f->c.accepted_at);
	show_time(zh ? "办结期限" : "Result due", f->c.handling_due);
	show_time(zh ? "重新办理期限" : "Re-handling due", f->c.rehandling_due);
	show_time(zh ? "结果反馈" : "Resolved", f->c.resolved_at);
	show_time(zh ? "评价期限" : "Feedback due", f->c.feedback_due);
	show_time(zh ? "办结时间" : "Closed", f->c.closed_at);
	if (f->c.assignee)
		field(zh ? "承办人" : "Assignee", f->c.assignee);
	if (f->c.method)
		field(zh ? "处理方式" : "Method", wf_label(f->c.method, cfg->language));
	if (f->c.satisfaction)
		field(zh ? "会员评价" : "Feedback", wf_label(f->c.satisfaction, cfg->language));
	if (f->c.joint_parent_id) {
		snprintf(num, sizeof(num), "#%lld", (long long)f->c.joint_parent_id);
		field(zh ? "并入联合诉求" : "Merged into", num);
	}
	field(zh ? "主题" : "Subject", f->c.subject);
	printf("%s\n", zh ? "内容:" : "Text:");
	indented(f->c.text);

	printf("\n%s (%zu)\n", zh ? "邮件" : "Messages", f->n_messages);
	for (i = 0; i < f->n_messages; i++) {
		const struct case_message *m = &f->messages[i];

		fmt_time(m->date ? m->date : m->received_at, when, sizeof(when));
		snprintf(from, sizeof(from), "%s%s<%s>", m->from_name,
		    *m->from_name ? " " : "", m->from_addr ? m->from_addr : "-");
		printf("[%zu] %s %s\n", i + 1, when, strcmp(m->direction, "out") == 0 ?
		    (zh ? "发出" : "out") : (zh ? "收到" : "in"));
		field(zh ? "  发件人" : "  From", from);
		field(zh ? "  主题" : "  Subject", m->subject);
		if (m->n_attachments) {
			snprintf(num, sizeof(num), "%zu", m->n_attachments);
			field(zh ? "  附件" : "  Attachments", num);
		}
		indented(m->text);
	}

	printf("\n%s (%zu)\n", zh ? "处理记录" : "Events", f->n_events);
	for (i = 0; i < f->n_events; i++) {
		const struct case_event *e = &f->events[i];
		char *kind = cli_sanitize(e->kind, 0), *actor = cli_sanitize(e->actor, 0);

		fmt_time(e->at, when, sizeof(when));
		printf("%s  %s  %s\n", when, kind ? label(cfg, kind) : "?",
		    actor && *actor ? actor : "-");
		free(kind);
		free(actor);
		if (e->detail)
			indented(e->detail);
	}
	case_full_free(f);
	return 0;
}

int
cli_case(int argc, char **argv, const struct md_config *cfg)
{
	struct db *db = NULL;
	char *saved_tz = NULL;
	const char *tz;
	enum md_err err;
	int status;

	if (argc < 2 || (strcmp(argv[1], "list") && strcmp(argv[1], "show") &&
	    strcmp(argv[1], "export") && !cli_case_is_action(argv[1]))) {
		fprintf(stderr, "usage: memberdesk case list [--status S] [--year N] "
		    "[--limit N] [--overdue]\n       memberdesk case show NUMBER\n"
		    "       memberdesk case export NUMBER [-o FILE.html] [--attachments DIR]\n"
		    "       memberdesk case accept|reject|type|tier|assign|note|progress|extend|"
		    "resolve|feedback|merge|reopen|close|archive|register|reply ...\n");
		return 2;
	}
	err = db_open(cfg->database, &db);
	if (err) {
		fprintf(stderr, "memberdesk: cannot open database %s: %s\n", cfg->database,
		    md_strerror(err));
		return 1;
	}
	/* Times are shown in the chamber's zone, whatever the shell's TZ. */
	tz = getenv("TZ");
	if (tz)
		saved_tz = strdup(tz);
	if (cfg->timezone && *cfg->timezone)
		setenv("TZ", cfg->timezone, 1);
	tzset();
	/*
	 * A list only reads, and on a million cases touches a few thousand
	 * pages: let SQLite read them through a mapping rather than copy each
	 * into its cache (about a tenth of the overdue list's CPU time). It
	 * works without, only slower, so a refusal is not an error.
	 */
	if (strcmp(argv[1], "list") == 0)
		(void)db_exec(db, "PRAGMA mmap_size = 1073741824");
	if (strcmp(argv[1], "list") == 0)
		status = case_list_cmd(argc - 1, argv + 1, db, cfg);
	else if (strcmp(argv[1], "show") == 0)
		status = case_show_cmd(argc - 1, argv + 1, db, cfg);
	else if (strcmp(argv[1], "export") == 0)
		status = cli_case_export(argc - 1, argv + 1, db, cfg);
	else
		status = cli_case_action(argc - 1, argv + 1, db, cfg);
	fflush(stdout);
	if (saved_tz)
		setenv("TZ", saved_tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved_tz);
	db_close(db);
	return status;
}
