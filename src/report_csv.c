/*
 * The report as CSV: one figure per row, so that a script (or the test of
 * the figures) can find any number by its metric and key without knowing
 * the layout of the printed report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

/* RFC 4180 quoting, and no cell a spreadsheet would run as a formula. */
static void
cell(FILE *fp, const char *s)
{
	const char *p;
	int quote;

	if (s == NULL)
		s = "";
	quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		fputc('"', fp);
	/* A lone "-" is the empty rate, not a formula. */
	if ((*s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r') &&
	    strcmp(s, "-") != 0)
		fputc('\'', fp);
	for (p = s; *p; p++) {
		if (*p == '"')
			fputc('"', fp);
		fputc(*p, fp);
	}
	if (quote)
		fputc('"', fp);
}

static void
row(FILE *fp, const char *metric, const char *key, const char *label, const char *value)
{
	cell(fp, metric);
	fputc(',', fp);
	cell(fp, key);
	fputc(',', fp);
	cell(fp, label);
	fputc(',', fp);
	cell(fp, value);
	fputs("\r\n", fp);
}

static void
row_n(FILE *fp, const char *metric, const char *key, const char *label, long n)
{
	char v[32];

	snprintf(v, sizeof(v), "%ld", n);
	row(fp, metric, key, label, v);
}

static void
row_rate(FILE *fp, const char *metric, const char *key, const char *label,
    const struct report_rate *rate)
{
	char v[32];

	row(fp, metric, key, label, report_rate_str(rate, v, sizeof(v)));
}

static void
tally(FILE *fp, const char *metric, const struct report_tally *t, const char *lang)
{
	size_t i;

	for (i = 0; i < t->len; i++)
		row_n(fp, metric, t->key[i], report_text(t->key[i], lang), t->n[i]);
}

enum md_err
report_write_csv(const struct report *r, const char *lang, FILE *fp)
{
	const char *const *d;
	char *s;
	size_t i;

	row(fp, "metric", "key", "label", "value");
	row(fp, "period", "label", report_text("period", lang), r->period.label);
	row_n(fp, "period", "start", report_text("period", lang), (long)r->period.start);
	row_n(fp, "period", "limit", report_text("as_of", lang), (long)r->limit);
	row_n(fp, "registered", "all", report_text("registered_total", lang), r->registered);
	tally(fp, "type", &r->by_type, lang);
	tally(fp, "tier", &r->by_tier, lang);
	tally(fp, "channel", &r->by_channel, lang);
	tally(fp, "status", &r->by_status, lang);

	row_n(fp, "review", "in_time", report_text("review_in_time", lang), r->review_in_time);
	row_n(fp, "review", "late", report_text("review_late", lang), r->review_late);
	row_n(fp, "review", "overdue", report_text("review_overdue", lang), r->review_overdue);
	row_n(fp, "review", "pending", report_text("review_pending", lang), r->review_pending);
	row_rate(fp, "review", "rate", report_text("review", lang), &r->review);

	for (i = 0; i < REPORT_NTIERS; i++) {
		row_n(fp, "handled", report_tier_name(i), report_text(report_tier_name(i), lang),
		    r->handled[i].base);
		row_n(fp, "handled_on_time", report_tier_name(i),
		    report_text(report_tier_name(i), lang), r->handled[i].hits);
		row_rate(fp, "handled_rate", report_tier_name(i),
		    report_text(report_tier_name(i), lang), &r->handled[i]);
	}
	row_n(fp, "handled", "all", report_text("all", lang), r->handled_all.base);
	row_n(fp, "handled_on_time", "all", report_text("all", lang), r->handled_all.hits);
	row_rate(fp, "handled_rate", "all", report_text("all", lang), &r->handled_all);

	row_n(fp, "results", "in_time", report_text("results_in_time", lang), r->results.hits);
	row_n(fp, "results", "late", report_text("results_late", lang),
	    r->results.base - r->results.hits);
	row_n(fp, "results", "pending", report_text("results_pending", lang), r->results_pending);
	row_rate(fp, "results", "rate", report_text("results", lang), &r->results);

	row_n(fp, "satisfaction", "answered", report_text("answered", lang),
	    r->satisfaction.base);
	row_n(fp, "satisfaction", "satisfied", report_text("satisfied", lang),
	    r->satisfaction.hits);
	row_rate(fp, "satisfaction", "rate", report_text("satisfaction", lang), &r->satisfaction);
	row_n(fp, "rehandling", "count", report_text("rehandlings", lang), r->rehandling.hits);
	row_n(fp, "rehandling", "results", report_text("results_all", lang), r->rehandling.base);
	row_rate(fp, "rehandling", "rate", report_text("rehandling_rate", lang), &r->rehandling);

	row_n(fp, "overdue", "count", report_text("overdue", lang), (long)r->n_overdue);
	for (i = 0; i < r->n_overdue; i++) {
		s = cli_sanitize(r->overdue[i].subject, 0);
		if (s == NULL)
			return MD_ERR_NOMEM;
		row_n(fp, "overdue_case", r->overdue[i].number, s, r->overdue[i].workdays_late);
		free(s);
	}
	if (r->uncovered_year)
		row_n(fp, "calendar", "uncovered_year", report_text("uncovered", lang),
		    r->uncovered_year);
	for (d = report_definitions(lang); *d; d++)
		row(fp, "definition", "", *d, "");
	return ferror(fp) ? MD_ERR_IO : MD_OK;
}
