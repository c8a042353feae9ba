/*
 * memberdesk report: option parsing, the terminal tables, and writing the
 * chosen format to stdout or a file. The figures come from report.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "cli.h"
#include "cli_util.h"
#include "db.h"
#include "progress.h"
#include "report.h"

#define TABLE_CELL_MAX	60	/* terminal columns per cell */

static int
usage(void)
{
	fprintf(stderr, "usage: memberdesk report --month YYYY-MM | --quarter YYYY-Qn | "
	    "--year YYYY\n                         [--format table|csv|html] [--lang zh|en] "
	    "[-o FILE]\n");
	return 2;
}

/* ---- terminal tables ---- */

static enum md_err
table_tally(FILE *fp, const char *heading, const struct report_tally *t, long all,
    const char *lang)
{
	const char *head[3], *cells[3];
	struct cli_table *tb = NULL;
	struct report_rate share;
	char n[32], pct[32];
	enum md_err err;
	size_t i;

	head[0] = heading;
	head[1] = report_text("count", lang);
	head[2] = "%";
	if ((err = cli_table_new(3, head, &tb)))
		return err;
	for (i = 0; i < t->len; i++) {
		snprintf(n, sizeof(n), "%ld", t->n[i]);
		share.hits = t->n[i];
		share.base = all;
		cells[0] = report_text(t->key[i], lang);
		cells[1] = n;
		cells[2] = report_rate_str(&share, pct, sizeof(pct));
		if ((err = cli_table_add(tb, cells)))
			goto out;
	}
	cli_table_print(tb, fp, TABLE_CELL_MAX);
	fputc('\n', fp);
out:
	cli_table_free(tb);
	return err;
}

/* Rows of (label, count) with a closing rate row. */
static enum md_err
table_rows(FILE *fp, const char *heading, const char *const *labels, const long *values,
    size_t n, const struct report_rate *rate, const char *lang)
{
	const char *head[2], *cells[2];
	struct cli_table *tb = NULL;
	char v[32];
	enum md_err err;
	size_t i;

	head[0] = heading;
	head[1] = report_text("count", lang);
	if ((err = cli_table_new(2, head, &tb)))
		return err;
	for (i = 0; i < n; i++) {
		snprintf(v, sizeof(v), "%ld", values[i]);
		cells[0] = labels[i];
		cells[1] = v;
		if ((err = cli_table_add(tb, cells)))
			goto out;
	}
	cells[0] = report_text("rate", lang);
	cells[1] = report_rate_str(rate, v, sizeof(v));
	if ((err = cli_table_add(tb, cells)))
		goto out;
	cli_table_print(tb, fp, TABLE_CELL_MAX);
	fputc('\n', fp);
out:
	cli_table_free(tb);
	return err;
}

static enum md_err
table_handled(FILE *fp, const struct report *r, const char *lang)
{
	const char *head[4], *cells[4];
	struct cli_table *tb = NULL;
	char a[32], b[32], c[32];
	enum md_err err;
	size_t i;

	head[0] = report_text("handled", lang);
	head[1] = report_text("handled_count", lang);
	head[2] = report_text("handled_on_time", lang);
	head[3] = report_text("rate", lang);
	if ((err = cli_table_new(4, head, &tb)))
		return err;
	for (i = 0; i <= REPORT_NTIERS; i++) {
		const struct report_rate *rt = i < REPORT_NTIERS ? &r->handled[i] :
		    &r->handled_all;

		snprintf(a, sizeof(a), "%ld", rt->base);
		snprintf(b, sizeof(b), "%ld", rt->hits);
		cells[0] = report_text(i < REPORT_NTIERS ? report_tier_name(i) : "all", lang);
		cells[1] = a;
		cells[2] = b;
		cells[3] = report_rate_str(rt, c, sizeof(c));
		if ((err = cli_table_add(tb, cells)))
			goto out;
	}
	cli_table_print(tb, fp, TABLE_CELL_MAX);
	fputc('\n', fp);
out:
	cli_table_free(tb);
	return err;
}

static enum md_err
table_overdue(FILE *fp, const struct report *r, const char *lang)
{
	const char *head[5], *cells[5];
	struct cli_table *tb = NULL;
	char due[32], late[32];
	enum md_err err;
	size_t i;

	fprintf(fp, "%s: %zu\n", report_text("overdue", lang), r->n_overdue);
	if (r->n_overdue == 0) {
		fputc('\n', fp);
		return MD_OK;
	}
	head[0] = report_text("number", lang);
	head[1] = report_text("status", lang);
	head[2] = report_text("due", lang);
	head[3] = report_text("late_days", lang);
	head[4] = report_text("subject", lang);
	if ((err = cli_table_new(5, head, &tb)))
		return err;
	for (i = 0; i < r->n_overdue; i++) {
		const struct report_overdue *o = &r->overdue[i];

		snprintf(late, sizeof(late), "%ld", o->workdays_late);
		cells[0] = o->number;
		cells[1] = report_text(o->status ? o->status : "unknown", lang);
		cells[2] = report_date_str(r->tz, o->due, due, sizeof(due));
		cells[3] = late;
		cells[4] = o->subject;	/* sanitized by cli_table_add */
		if ((err = cli_table_add(tb, cells)))
			goto out;
	}
	cli_table_print(tb, fp, TABLE_CELL_MAX);
	fputc('\n', fp);
out:
	cli_table_free(tb);
	return err;
}

enum md_err
report_write_table(const struct report *r, const char *lang, FILE *fp)
{
	const char *labels[4];
	const char *const *d;
	long values[4];
	char d1[32], d2[32];
	enum md_err err;

	fprintf(fp, "%s  %s %s (%s – %s)\n\n", report_text("title", lang),
	    report_text("period", lang), r->period.label,
	    report_date_str(r->tz, r->period.start, d1, sizeof(d1)),
	    report_date_str(r->tz, r->limit - 1, d2, sizeof(d2)));
	fprintf(fp, "%s: %ld\n\n", report_text("registered_total", lang), r->registered);
	if ((err = table_tally(fp, report_text("by_type", lang), &r->by_type, r->registered,
	    lang)) ||
	    (err = table_tally(fp, report_text("by_tier", lang), &r->by_tier, r->registered,
	    lang)) ||
	    (err = table_tally(fp, report_text("by_channel", lang), &r->by_channel,
	    r->registered, lang)) ||
	    (err = table_tally(fp, report_text("by_status", lang), &r->by_status,
	    r->registered, lang)))
		return err;

	labels[0] = report_text("review_in_time", lang);	values[0] = r->review_in_time;
	labels[1] = report_text("review_late", lang);		values[1] = r->review_late;
	labels[2] = report_text("review_overdue", lang);	values[2] = r->review_overdue;
	labels[3] = report_text("review_pending", lang);	values[3] = r->review_pending;
	if ((err = table_rows(fp, report_text("review", lang), labels, values, 4, &r->review,
	    lang)) || (err = table_handled(fp, r, lang)))
		return err;

	labels[0] = report_text("results_in_time", lang);	values[0] = r->results.hits;
	labels[1] = report_text("results_late", lang);
	values[1] = r->results.base - r->results.hits;
	labels[2] = report_text("results_pending", lang);	values[2] = r->results_pending;
	if ((err = table_rows(fp, report_text("results", lang), labels, values, 3,
	    &r->results, lang)))
		return err;
	labels[0] = report_text("answered", lang);	values[0] = r->satisfaction.base;
	labels[1] = report_text("satisfied", lang);	values[1] = r->satisfaction.hits;
	if ((err = table_rows(fp, report_text("satisfaction", lang), labels, values, 2,
	    &r->satisfaction, lang)))
		return err;
	labels[0] = report_text("results_all", lang);	values[0] = r->rehandling.base;
	labels[1] = report_text("rehandlings", lang);	values[1] = r->rehandling.hits;
	if ((err = table_rows(fp, report_text("rehandling_rate", lang), labels, values, 2,
	    &r->rehandling, lang)) || (err = table_overdue(fp, r, lang)))
		return err;
	if (r->uncovered_year)
		fprintf(fp, "%s%d\n\n", report_text("uncovered", lang), r->uncovered_year);
	fprintf(fp, "%s:\n", report_text("definitions", lang));
	for (d = report_definitions(lang); *d; d++)
		fprintf(fp, "  - %s\n", *d);
	return ferror(fp) ? MD_ERR_IO : MD_OK;
}

/* ---- the command ---- */

struct report_args {
	const char *kind, *period, *format, *lang, *output;
};

static int
parse_args(int argc, char **argv, struct report_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->format = "table";
	for (i = 1; i < argc; i++) {
		const char *o = argv[i];

		if (i + 1 >= argc)
			return -1;
		if (strcmp(o, "--month") == 0 || strcmp(o, "--quarter") == 0 ||
		    strcmp(o, "--year") == 0) {
			if (a->kind)
				return -1;
			a->kind = o + 2;
			a->period = argv[++i];
		} else if (strcmp(o, "--format") == 0)
			a->format = argv[++i];
		else if (strcmp(o, "--lang") == 0)
			a->lang = argv[++i];
		else if (strcmp(o, "-o") == 0 || strcmp(o, "--output") == 0)
			a->output = argv[++i];
		else
			return -1;
	}
	if (a->kind == NULL)
		return -1;
	if (strcmp(a->format, "table") && strcmp(a->format, "csv") && strcmp(a->format, "html"))
		return -1;
	if (a->lang && strcmp(a->lang, "zh") && strcmp(a->lang, "en"))
		return -1;
	return 0;
}

static enum md_err
write_report(const struct report *r, const struct report_args *a, const char *lang,
    const struct md_config *cfg, FILE *fp)
{
	if (strcmp(a->format, "csv") == 0)
		return report_write_csv(r, lang, fp);
	if (strcmp(a->format, "html") == 0)
		return report_write_html(r, lang, cfg->chamber_name, fp);
	return report_write_table(r, lang, fp);
}

int
cli_report(int argc, char **argv, const struct md_config *cfg)
{
	struct report_args a;
	struct report_period period;
	struct calendar *cal = NULL;
	struct progress *pg = NULL;
	struct report *r = NULL;
	struct db *db = NULL;
	const char *lang;
	FILE *fp = stdout;
	time_t now;
	enum md_err err;
	int status = 1;

	if (parse_args(argc, argv, &a) != 0)
		return usage();
	lang = a.lang ? a.lang : cfg->language && strcmp(cfg->language, "en") == 0 ? "en" : "zh";
	if (report_period_parse(a.kind, a.period, cfg->timezone, &period) != MD_OK) {
		fprintf(stderr, "memberdesk: report: bad --%s %s (expected %s)\n", a.kind,
		    a.period, strcmp(a.kind, "month") == 0 ? "YYYY-MM" :
		    strcmp(a.kind, "quarter") == 0 ? "YYYY-Qn" : "YYYY");
		return 2;
	}
	if ((now = cli_now(cfg->timezone)) == (time_t)-1)
		return 2;
	if (calendar_load_dir(cfg->calendar_dir, stderr, &cal) != MD_OK) {
		fprintf(stderr, "memberdesk: warning: calendar %s not usable; counting weekends "
		    "only\n", cfg->calendar_dir);
		cal = NULL;
	}
	if ((err = db_open(cfg->database, &db))) {
		fprintf(stderr, "memberdesk: cannot open database %s: %s\n", cfg->database,
		    md_strerror(err));
		goto out;
	}
	(void)progress_new(stderr, lang[0] == 'e' ? "report" : "统计", NULL, &pg);
	err = report_build(db, cal, cfg->timezone, &period, now, progress_callback, pg, &r);
	progress_finish(pg);
	if (err) {
		fprintf(stderr, "memberdesk: report: %s%s%s\n", md_strerror(err),
		    *db_errmsg(db) ? ": " : "", db_errmsg(db));
		goto out;
	}
	if (r->uncovered_year)
		fprintf(stderr, "memberdesk: warning: %d: no calendar installed — weekends only\n",
		    r->uncovered_year);
	if (a.output && (fp = fopen(a.output, "w")) == NULL) {
		fprintf(stderr, "memberdesk: %s: %s\n", a.output, strerror(errno));
		goto out;
	}
	err = write_report(r, &a, lang, cfg, fp);
	if (fflush(fp) != 0 || ferror(fp))
		err = MD_ERR_IO;
	if (fp != stdout && fclose(fp) != 0)
		err = MD_ERR_IO;
	fp = stdout;
	if (err) {
		fprintf(stderr, "memberdesk: report: cannot write %s: %s\n",
		    a.output ? a.output : "output", md_strerror(err));
		goto out;
	}
	status = 0;
out:
	report_free(r);
	db_close(db);
	calendar_free(cal);
	return status;
}
