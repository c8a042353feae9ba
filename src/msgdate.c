#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "msgdate.h"

#define DATE_MAX	256

struct date_parts {
	int year, month, day;
	int hour, min, sec;
	int have_time;
	long zone;        /* seconds east of UTC */
	int have_zone;
	int pm;           /* 0 none, 1 am, 2 pm */
};

static const char *const months[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec"
};

/* RFC 5322 obsolete zones; CST is read as US Central, as the RFC says. */
static const struct {
	const char *name;
	int hours;
} zones[] = {
	{ "ut", 0 }, { "utc", 0 }, { "gmt", 0 }, { "z", 0 },
	{ "est", -5 }, { "edt", -4 }, { "cst", -6 }, { "cdt", -5 },
	{ "mst", -7 }, { "mdt", -6 }, { "pst", -8 }, { "pdt", -7 },
};

long long
msgdate_days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* Read up to maxd digits at *p; -1 when there is none. */
static int
digits(const char **p, int maxd, int *ndig)
{
	int v = 0, n = 0;

	while (n < maxd && isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	if (ndig != NULL)
		*ndig = n;
	return n ? v : -1;
}

/* "+0800", "+08:00", "-5", "+8": seconds east of UTC, or 0 with *ok = 0. */
static long
parse_offset(const char *p, int *ok)
{
	int sign = *p == '-' ? -1 : 1, h, m = 0, n;

	p++;
	*ok = 0;
	h = digits(&p, 4, &n);
	if (h < 0)
		return 0;
	if (n == 4) {
		m = h % 100;
		h /= 100;
	} else if (n == 3) {
		m = h % 100;
		h /= 100;
	} else if (*p == ':') {
		p++;
		if ((m = digits(&p, 2, NULL)) < 0)
			m = 0;
	}
	if (h > 14 || m > 59)
		return 0;
	*ok = 1;
	return sign * (h * 3600L + m * 60L);
}

static int
parse_time(const char *p, struct date_parts *d)
{
	char sep;

	if ((d->hour = digits(&p, 2, NULL)) < 0)
		return 0;
	sep = *p;
	if (sep != ':' && sep != '.')
		return 0;
	p++;
	if ((d->min = digits(&p, 2, NULL)) < 0)
		return 0;
	d->sec = 0;
	if (*p == sep) {
		p++;
		if ((d->sec = digits(&p, 2, NULL)) < 0)
			d->sec = 0;
		if (*p == '.' || *p == ',')	/* fractions */
			for (p++; isdigit((unsigned char)*p); p++)
				;
	}
	d->have_time = 1;
	/* A zone glued to the time ("10:00:00+0800", "10:00Z"). */
	if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1])) {
		int ok;

		d->zone = parse_offset(p, &ok);
		d->have_zone = ok;
	} else if (*p == 'Z' || *p == 'z') {
		d->zone = 0;
		d->have_zone = 1;
	}
	return 1;
}

static void
word(const char *w, size_t len, struct date_parts *d)
{
	size_t i;

	if (len >= 3 && d->month == 0) {
		for (i = 0; i < 12; i++)
			if (strncasecmp(w, months[i], 3) == 0) {
				d->month = (int)i + 1;
				return;
			}
	}
	if ((len == 2 && strncasecmp(w, "am", 2) == 0) ||
	    (len == 4 && strncasecmp(w, "a.m.", 4) == 0))
		d->pm = 1;
	else if ((len == 2 && strncasecmp(w, "pm", 2) == 0) ||
	    (len == 4 && strncasecmp(w, "p.m.", 4) == 0))
		d->pm = 2;
	if (d->have_zone)
		return;
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (strlen(zones[i].name) == len && strncasecmp(w, zones[i].name, len) == 0) {
			d->zone = zones[i].hours * 3600L;
			d->have_zone = 1;
			return;
		}
}

/* "2025-03-01", "2025/03/01", optionally followed by "T10:00:00+08:00". */
static int
parse_iso(const char *p, struct date_parts *d)
{
	char sep;
	int n;

	d->year = digits(&p, 4, &n);
	if (n != 4)
		return 0;
	sep = *p;
	if (sep != '-' && sep != '/')
		return 0;
	p++;
	if ((d->month = digits(&p, 2, NULL)) < 0 || *p != sep)
		return 0;
	p++;
	if ((d->day = digits(&p, 2, NULL)) < 0)
		return 0;
	while (*p == 'T' || *p == 't' || *p == ' ')
		p++;
	if (*p != '\0' && !parse_time(p, d))
		return 0;
	if (!d->have_zone) {
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
		if (*p == '+' || *p == '-') {
			int ok;

			d->zone = parse_offset(p, &ok);
			d->have_zone = ok;
		} else if (*p != '\0')
			word(p, strlen(p), d);
	}
	return 1;
}

static void
scan_tokens(char *s, struct date_parts *d)
{
	char *p = s, *tok;
	size_t len;
	int v, n;

	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		tok = p;
		while (*p && *p != ' ' && *p != ',')
			p++;
		len = (size_t)(p - tok);
		if (isalpha((unsigned char)tok[0])) {
			word(tok, len, d);
			continue;
		}
		if ((tok[0] == '+' || tok[0] == '-') && isdigit((unsigned char)tok[1])) {
			int ok;

			if (!d->have_zone) {
				d->zone = parse_offset(tok, &ok);
				d->have_zone = ok;
			}
			continue;
		}
		if (!isdigit((unsigned char)tok[0]))
			continue;
		if (memchr(tok, ':', len) != NULL || (!d->have_time && d->year > 0 &&
		    memchr(tok, '.', len) != NULL)) {
			if (!d->have_time) {
				char save = *p;

				*p = '\0';
				parse_time(tok, d);
				*p = save;
			}
			continue;
		}
		{
			const char *q = tok;

			v = digits(&q, 5, &n);
			/* "3-Feb-2025": the month follows inside the token. */
			if (*q == '-' && isalpha((unsigned char)q[1]) && d->day == 0 && v >= 1 && v <= 31) {
				const char *m = q + 1, *y;

				d->day = v;
				word(m, 3, d);
				if ((y = strchr(m, '-')) != NULL) {
					y++;
					v = digits(&y, 4, &n);
					if (v >= 0)
						d->year = v + (n == 2 ? (v < 50 ? 2000 : 1900) : 0);
				}
				continue;
			}
		}
		if (n == 4 || n == 3 || (d->day > 0 && d->year == 0)) {
			if (d->year == 0)
				d->year = n == 4 ? v : n == 3 ? v + 1900 : (v < 50 ? v + 2000 : v + 1900);
		} else if (d->day == 0 && v >= 1 && v <= 31)
			d->day = v;
	}
}

enum md_err
msgdate_parse(const char *in, time_t *out)
{
	struct date_parts d;
	char s[DATE_MAX];
	size_t o = 0;
	int depth = 0;
	long long t;
	const char *p;

	memset(&d, 0, sizeof(d));
	if (in == NULL)
		return MD_ERR_INPUT;
	/* Drop comments and fold blanks; long input is no date anyway. */
	for (p = in; *p && o + 1 < sizeof(s); p++) {
		if (*p == '(') {
			depth++;
			continue;
		}
		if (*p == ')' && depth > 0) {
			depth--;
			continue;
		}
		if (depth)
			continue;
		s[o++] = isspace((unsigned char)*p) ? ' ' : *p;
	}
	s[o] = '\0';
	for (p = s; *p == ' '; p++)
		;
	if (!(isdigit((unsigned char)p[0]) && parse_iso(p, &d))) {
		memset(&d, 0, sizeof(d));
		scan_tokens(s, &d);
	}
	if (d.year < 1970 || d.year > 9999 || d.month < 1 || d.month > 12 || d.day < 1 ||
	    d.day > days_in_month(d.year, d.month))
		return MD_ERR_INPUT;
	if (d.have_time) {
		if (d.pm == 2 && d.hour < 12)
			d.hour += 12;
		else if (d.pm == 1 && d.hour == 12)
			d.hour = 0;
		if (d.hour > 24 || d.min > 59 || d.sec > 60)
			return MD_ERR_INPUT;
		if (d.sec == 60)
			d.sec = 59;
	}
	t = msgdate_days_from_civil(d.year, (unsigned)d.month, (unsigned)d.day) * 86400LL +
	    d.hour * 3600LL + d.min * 60LL + d.sec - d.zone;
	if (t < 0)
		return MD_ERR_INPUT;
	*out = (time_t)t;
	return MD_OK;
}
