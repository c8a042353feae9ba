/*
 * The report as one self-contained HTML page for the leadership: inline
 * CSS (with print rules), charts as inline SVG drawn here, no script and
 * no external resource, so the file can be mailed, archived and printed
 * as it is. Every string goes through esc(): subjects come from mail.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

#define BAR_W		360	/* pixels of the longest bar */
#define BAR_H		22
#define LABEL_W		150
#define PIE_R		80

static const char *const palette[] = {
	"#2f6db5", "#e0803a", "#3a9d5d", "#c4453c", "#8a63b8", "#8c6d46", "#d36fb0", "#7f7f7f"
};
#define NCOLOURS (sizeof(palette) / sizeof(palette[0]))

static const char css[] =
	"body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"Microsoft YaHei\","
	"\"PingFang SC\",sans-serif;margin:2em auto;max-width:60em;color:#222;}"
	"h1{font-size:1.5em;border-bottom:2px solid #2f6db5;padding-bottom:.3em;}"
	"h2{font-size:1.15em;margin-top:1.6em;}"
	"table{border-collapse:collapse;margin:.5em 0;}"
	"th,td{border:1px solid #bbb;padding:.25em .7em;text-align:left;}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums;}"
	"th{background:#eef3fa;}"
	".charts{display:flex;flex-wrap:wrap;gap:1.5em;}"
	".note{color:#a33;}"
	"footer{margin-top:2em;font-size:.85em;color:#555;border-top:1px solid #ccc;}"
	"@media print{body{margin:0;max-width:none;}h2{page-break-after:avoid;}"
	"table,svg{page-break-inside:avoid;}}";

/* Text and attribute values: sanitized (no invalid UTF-8, no controls), then escaped. */
static enum md_err
esc(FILE *fp, const char *s)
{
	char *clean, *p;

	clean = cli_sanitize(s ? s : "", 0);
	if (clean == NULL)
		return MD_ERR_NOMEM;
	for (p = clean; *p; p++) {
		switch (*p) {
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '&':
			fputs("&amp;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&#39;", fp);
			break;
		default:
			fputc(*p, fp);
		}
	}
	free(clean);
	return MD_OK;
}

static enum md_err
heading(FILE *fp, const char *tag, const char *key, const char *lang)
{
	enum md_err err;

	fprintf(fp, "<%s>", tag);
	err = esc(fp, report_text(key, lang));
	fprintf(fp, "</%s>\n", tag);
	return err;
}

/* A horizontal bar chart of a breakdown, with counts at the bars' ends. */
static enum md_err
bar_chart(FILE *fp, const struct report_tally *t, const char *title_key, const char *lang)
{
	long max = 0;
	size_t i;
	int w, h;
	enum md_err err;

	for (i = 0; i < t->len; i++)
		if (t->n[i] > max)
			max = t->n[i];
	h = (int)t->len * (BAR_H + 6) + 10;
	fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	    "role=\"img\" aria-label=\"", LABEL_W + BAR_W + 60, h);
	if ((err = esc(fp, report_text(title_key, lang))))
		return err;
	fputs("\">\n", fp);
	for (i = 0; i < t->len; i++) {
		int y = 5 + (int)i * (BAR_H + 6);

		w = max > 0 ? (int)((double)t->n[i] * BAR_W / (double)max + 0.5) : 0;
		fprintf(fp, "<text x=\"%d\" y=\"%d\" font-size=\"13\" text-anchor=\"end\">",
		    LABEL_W - 6, y + BAR_H - 6);
		if ((err = esc(fp, report_text(t->key[i], lang))))
			return err;
		fprintf(fp, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		    "fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"13\">%ld</text>\n",
		    LABEL_W, y, w, BAR_H, palette[i % NCOLOURS], LABEL_W + w + 5,
		    y + BAR_H - 6, t->n[i]);
	}
	fputs("</svg>\n", fp);
	return MD_OK;
}

/* A pie chart with a legend; an empty breakdown draws an empty circle. */
static enum md_err
pie_chart(FILE *fp, const struct report_tally *t, const char *title_key, const char *lang)
{
	double total = 0, a0 = -M_PI / 2, a1;
	int cx = PIE_R + 10, cy = PIE_R + 10, nonzero = 0;
	size_t i;
	enum md_err err;

	for (i = 0; i < t->len; i++) {
		total += (double)t->n[i];
		if (t->n[i] > 0)
			nonzero++;
	}
	fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	    "role=\"img\" aria-label=\"", 2 * PIE_R + 200,
	    (int)(2 * PIE_R + 20 > (int)t->len * 20 + 20 ? 2 * PIE_R + 20 : (int)t->len * 20 + 20));
	if ((err = esc(fp, report_text(title_key, lang))))
		return err;
	fputs("\">\n", fp);
	if (total <= 0 || nonzero <= 1) {
		/* One slice (or none) is a full circle; an arc cannot draw it. */
		const char *fill = "#eee";

		for (i = 0; i < t->len && total > 0; i++)
			if (t->n[i] > 0)
				fill = palette[i % NCOLOURS];
		fprintf(fp, "<circle cx=\"%d\" cy=\"%d\" r=\"%d\" fill=\"%s\" stroke=\"#999\"/>\n",
		    cx, cy, PIE_R, fill);
	} else {
		for (i = 0; i < t->len; i++) {
			if (t->n[i] == 0)
				continue;
			a1 = a0 + 2 * M_PI * (double)t->n[i] / total;
			fprintf(fp, "<path d=\"M%d,%d L%.2f,%.2f A%d,%d 0 %d 1 %.2f,%.2f Z\" "
			    "fill=\"%s\" stroke=\"#fff\"/>\n", cx, cy,
			    cx + PIE_R * cos(a0), cy + PIE_R * sin(a0), PIE_R, PIE_R,
			    a1 - a0 > M_PI ? 1 : 0, cx + PIE_R * cos(a1), cy + PIE_R * sin(a1),
			    palette[i % NCOLOURS]);
			a0 = a1;
		}
	}
	for (i = 0; i < t->len; i++) {
		int y = 15 + (int)i * 20;

		fprintf(fp, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
		    "<text x=\"%d\" y=\"%d\" font-size=\"13\">", 2 * PIE_R + 30, y,
		    palette[i % NCOLOURS], 2 * PIE_R + 48, y + 11);
		if ((err = esc(fp, report_text(t->key[i], lang))))
			return err;
		fprintf(fp, " %ld</text>\n", t->n[i]);
	}
	fputs("</svg>\n", fp);
	return MD_OK;
}

static enum md_err
tally_table(FILE *fp, const struct report_tally *t, const char *key, const char *lang)
{
	enum md_err err;
	size_t i;

	fputs("<table><tr><th>", fp);
	if ((err = esc(fp, report_text(key, lang))))
		return err;
	fputs("</th><th>", fp);
	if ((err = esc(fp, report_text("count", lang))))
		return err;
	fputs("</th></tr>\n", fp);
	for (i = 0; i < t->len; i++) {
		fputs("<tr><td>", fp);
		if ((err = esc(fp, report_text(t->key[i], lang))))
			return err;
		fprintf(fp, "</td><td class=\"n\">%ld</td></tr>\n", t->n[i]);
	}
	fputs("</table>\n", fp);
	return MD_OK;
}

/* A row "label | value" of a figures table. */
static enum md_err
fig(FILE *fp, const char *key, const char *lang, const char *value)
{
	enum md_err err;

	fputs("<tr><td>", fp);
	if ((err = esc(fp, report_text(key, lang))))
		return err;
	fputs("</td><td class=\"n\">", fp);
	err = esc(fp, value);
	fputs("</td></tr>\n", fp);
	return err;
}

static enum md_err
fig_n(FILE *fp, const char *key, const char *lang, long n)
{
	char v[32];

	snprintf(v, sizeof(v), "%ld", n);
	return fig(fp, key, lang, v);
}

static enum md_err
fig_rate(FILE *fp, const char *key, const char *lang, const struct report_rate *r)
{
	char v[32];

	return fig(fp, key, lang, report_rate_str(r, v, sizeof(v)));
}

static enum md_err
deadlines(FILE *fp, const struct report *r, const char *lang)
{
	enum md_err err;
	size_t i;
	char a[32], b[32];

	if ((err = heading(fp, "h2", "review", lang)))
		return err;
	fputs("<table>\n", fp);
	if ((err = fig_n(fp, "review_in_time", lang, r->review_in_time)) ||
	    (err = fig_n(fp, "review_late", lang, r->review_late)) ||
	    (err = fig_n(fp, "review_overdue", lang, r->review_overdue)) ||
	    (err = fig_n(fp, "review_pending", lang, r->review_pending)) ||
	    (err = fig_rate(fp, "rate", lang, &r->review)))
		return err;
	fputs("</table>\n", fp);

	if ((err = heading(fp, "h2", "handled", lang)))
		return err;
	fputs("<table><tr><th>", fp);
	if ((err = esc(fp, report_text("tier", lang))))
		return err;
	fputs("</th><th>", fp);
	esc(fp, report_text("handled_count", lang));
	fputs("</th><th>", fp);
	esc(fp, report_text("handled_on_time", lang));
	fputs("</th><th>", fp);
	esc(fp, report_text("rate", lang));
	fputs("</th></tr>\n", fp);
	for (i = 0; i <= REPORT_NTIERS; i++) {
		const struct report_rate *rt = i < REPORT_NTIERS ? &r->handled[i] :
		    &r->handled_all;

		fputs("<tr><td>", fp);
		if ((err = esc(fp, report_text(i < REPORT_NTIERS ? report_tier_name(i) : "all",
		    lang))))
			return err;
		fprintf(fp, "</td><td class=\"n\">%ld</td><td class=\"n\">%ld</td>"
		    "<td class=\"n\">%s</td></tr>\n", rt->base, rt->hits,
		    report_rate_str(rt, a, sizeof(a)));
	}
	fputs("</table>\n", fp);

	if ((err = heading(fp, "h2", "results", lang)))
		return err;
	fputs("<table>\n", fp);
	if ((err = fig_n(fp, "results_in_time", lang, r->results.hits)) ||
	    (err = fig_n(fp, "results_late", lang, r->results.base - r->results.hits)) ||
	    (err = fig_n(fp, "results_pending", lang, r->results_pending)) ||
	    (err = fig_rate(fp, "rate", lang, &r->results)))
		return err;
	fputs("</table>\n", fp);

	if ((err = heading(fp, "h2", "satisfaction", lang)))
		return err;
	fputs("<table>\n", fp);
	if ((err = fig_n(fp, "answered", lang, r->satisfaction.base)) ||
	    (err = fig_n(fp, "satisfied", lang, r->satisfaction.hits)) ||
	    (err = fig(fp, "satisfaction", lang,
	    report_rate_str(&r->satisfaction, b, sizeof(b)))) ||
	    (err = fig_n(fp, "results_all", lang, r->rehandling.base)) ||
	    (err = fig_n(fp, "rehandlings", lang, r->rehandling.hits)) ||
	    (err = fig_rate(fp, "rehandling_rate", lang, &r->rehandling)))
		return err;
	fputs("</table>\n", fp);
	return MD_OK;
}

static enum md_err
overdue(FILE *fp, const struct report *r, const char *lang)
{
	static const char *const head[] = { "number", "subject", "status", "tier", "due",
		"late_days" };
	enum md_err err;
	char d[32];
	size_t i;

	if ((err = heading(fp, "h2", "overdue", lang)))
		return err;
	if (r->n_overdue == 0) {
		fputs("<p>", fp);
		err = esc(fp, report_text("overdue_none", lang));
		fputs("</p>\n", fp);
		return err;
	}
	fputs("<table><tr>", fp);
	for (i = 0; i < sizeof(head) / sizeof(head[0]); i++) {
		fputs("<th>", fp);
		if ((err = esc(fp, report_text(head[i], lang))))
			return err;
		fputs("</th>", fp);
	}
	fputs("</tr>\n", fp);
	for (i = 0; i < r->n_overdue; i++) {
		const struct report_overdue *o = &r->overdue[i];

		fputs("<tr><td>", fp);
		if ((err = esc(fp, o->number)))
			return err;
		fputs("</td><td>", fp);
		if ((err = esc(fp, o->subject)))
			return err;
		fputs("</td><td>", fp);
		esc(fp, report_text(o->status ? o->status : "unknown", lang));
		fputs("</td><td>", fp);
		esc(fp, o->tier ? report_text(o->tier, lang) : "");
		fprintf(fp, "</td><td>%s</td><td class=\"n\">%ld</td></tr>\n",
		    report_date_str(r->tz, o->due, d, sizeof(d)), o->workdays_late);
	}
	fputs("</table>\n", fp);
	return MD_OK;
}

enum md_err
report_write_html(const struct report *r, const char *lang, const char *chamber, FILE *fp)
{
	const char *const *d;
	enum md_err err;
	char d1[32], d2[32];
	int en = lang && strcmp(lang, "en") == 0;

	fprintf(fp, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width\">\n<title>",
	    en ? "en" : "zh-CN");
	if (chamber && *chamber) {
		if ((err = esc(fp, chamber)))
			return err;
		fputs(" — ", fp);
	}
	if ((err = esc(fp, report_text("title", lang))))
		return err;
	fprintf(fp, " %s</title>\n<style>%s</style></head><body>\n<h1>", r->period.label, css);
	if (chamber && *chamber) {
		esc(fp, chamber);
		fputc(' ', fp);
	}
	esc(fp, report_text("title", lang));
	fputs("</h1>\n<p>", fp);
	esc(fp, report_text("period", lang));
	fprintf(fp, ": %s (%s – %s)</p>\n", r->period.label,
	    report_date_str(r->tz, r->period.start, d1, sizeof(d1)),
	    report_date_str(r->tz, r->limit - 1, d2, sizeof(d2)));
	if (r->uncovered_year) {
		fputs("<p class=\"note\">", fp);
		esc(fp, report_text("uncovered", lang));
		fprintf(fp, "%d</p>\n", r->uncovered_year);
	}
	fputs("<p><strong>", fp);
	esc(fp, report_text("registered_total", lang));
	fprintf(fp, ": %ld</strong></p>\n<div class=\"charts\">\n", r->registered);
	if ((err = bar_chart(fp, &r->by_type, "by_type", lang)) ||
	    (err = pie_chart(fp, &r->by_tier, "by_tier", lang)) ||
	    (err = bar_chart(fp, &r->by_channel, "by_channel", lang)) ||
	    (err = bar_chart(fp, &r->by_status, "by_status", lang)))
		return err;
	fputs("</div>\n<div class=\"charts\">\n", fp);
	if ((err = tally_table(fp, &r->by_type, "by_type", lang)) ||
	    (err = tally_table(fp, &r->by_tier, "by_tier", lang)) ||
	    (err = tally_table(fp, &r->by_channel, "by_channel", lang)) ||
	    (err = tally_table(fp, &r->by_status, "by_status", lang)))
		return err;
	fputs("</div>\n", fp);
	if ((err = deadlines(fp, r, lang)) || (err = overdue(fp, r, lang)))
		return err;
	fputs("<footer><h2>", fp);
	esc(fp, report_text("definitions", lang));
	fputs("</h2><ul>\n", fp);
	for (d = report_definitions(lang); *d; d++) {
		fputs("<li>", fp);
		if ((err = esc(fp, *d)))
			return err;
		fputs("</li>\n", fp);
	}
	fputs("</ul></footer>\n</body></html>\n", fp);
	return ferror(fp) ? MD_ERR_IO : MD_OK;
}
