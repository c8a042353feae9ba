/*
 * The daemon's clock and the MEMBERDESK_NOW testing aid (see clock.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "clock.h"
#include "log.h"

/* 9999-12-31T23:59:59Z: the last second the calendar can count in. */
#define CLOCK_MAX_EPOCH	253402300799LL
#define CLOCK_MAX_INPUT	64

static int clock_ready;
static int clock_is_fixed;
static time_t clock_fixed_at;

/* Parse exactly n ASCII digits at *p, advancing it. -1 when they are not there. */
static int
digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Epoch seconds: only digits, checked for range. */
static enum md_err
parse_epoch(const char *s, time_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < 0 || v > CLOCK_MAX_EPOCH)
		return MD_ERR_INPUT;
	*out = (time_t)v;
	return MD_OK;
}

/* Local broken-down time in zone tz to epoch seconds, TZ restored afterwards. */
static enum md_err
local_to_epoch(struct tm *tm, const char *tz, time_t *out)
{
	const char *old = getenv("TZ");
	char *saved = NULL;
	enum md_err err = MD_OK;
	time_t t;

	if (tz == NULL || *tz == '\0')
		tz = CALENDAR_DEFAULT_TZ;
	if (strchr(tz, '\n') || strlen(tz) > 128)
		return MD_ERR_INPUT;
	/* Already the zone in effect (the daemon's own): nothing to switch. */
	if (old && strcmp(old, tz) == 0) {
		tm->tm_isdst = -1;
		t = mktime(tm);
		if (t == (time_t)-1)
			return MD_ERR_INPUT;
		*out = t;
		return MD_OK;
	}
	if (old) {
		saved = strdup(old);
		if (saved == NULL)
			return MD_ERR_NOMEM;
	}
	if (setenv("TZ", tz, 1) != 0) {
		free(saved);
		return MD_ERR_NOMEM;
	}
	tzset();
	tm->tm_isdst = -1;
	t = mktime(tm);
	if (t == (time_t)-1)
		err = MD_ERR_INPUT;
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
	if (err == MD_OK)
		*out = t;
	return err;
}

/* The ISO 8601 forms listed in clock.h. */
static enum md_err
parse_iso(const char *s, const char *tz, time_t *out)
{
	const char *p = s;
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	time_t t;
	enum md_err err;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return MD_ERR_INPUT;
	if (y < CALENDAR_MIN_YEAR || y > CALENDAR_MAX_YEAR || mo < 1 || mo > 12 || d < 1 ||
	    d > month_days(y, mo))
		return MD_ERR_INPUT;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return MD_ERR_INPUT;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return MD_ERR_INPUT;
		}
		if (h > 23 || mi > 59 || sec > 59)
			return MD_ERR_INPUT;
	}
	if (*p == 'Z' || *p == 'z') {
		sign = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		p++;
		if (digits(&p, 2, &oh))
			return MD_ERR_INPUT;
		if (*p == ':')
			p++;
		if (*p != '\0' && digits(&p, 2, &om))
			return MD_ERR_INPUT;
		if (oh > 23 || om > 59)
			return MD_ERR_INPUT;
	}
	if (*p != '\0')
		return MD_ERR_INPUT;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (sign == 0) {
		err = local_to_epoch(&tm, tz, &t);
		if (err)
			return err;
	} else {
		t = timegm(&tm);
		if (t == (time_t)-1)
			return MD_ERR_INPUT;
		t -= (time_t)sign * ((time_t)oh * 3600 + (time_t)om * 60);
	}
	if (t < 0 || (long long)t > CLOCK_MAX_EPOCH)
		return MD_ERR_INPUT;
	*out = t;
	return MD_OK;
}

enum md_err
md_clock_parse(const char *s, const char *tz, time_t *out)
{
	size_t i, n;

	if (s == NULL)
		return MD_ERR_INPUT;
	n = strlen(s);
	if (n == 0 || n > CLOCK_MAX_INPUT)
		return MD_ERR_INPUT;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			break;
	if (i == n)
		return parse_epoch(s, out);
	return parse_iso(s, tz, out);
}

enum md_err
md_clock_init(const char *tz)
{
	const char *s = getenv(MD_CLOCK_ENV);
	char esc[CLOCK_MAX_INPUT * 4 + 8];
	time_t t;

	clock_ready = 1;
	clock_is_fixed = 0;
	if (s == NULL || *s == '\0')
		return MD_OK;
	if (md_clock_parse(s, tz, &t) != MD_OK) {
		log_warnx("%s=%s is neither epoch seconds nor an ISO 8601 time; "
		    "using the system clock", MD_CLOCK_ENV, log_escape(esc, sizeof(esc), s));
		return MD_ERR_INPUT;
	}
	clock_is_fixed = 1;
	clock_fixed_at = t;
	log_warnx("%s is set: the clock is fixed at %lld (a testing aid; "
	    "deadlines will not move)", MD_CLOCK_ENV, (long long)t);
	return MD_OK;
}

time_t
md_now(void)
{
	if (!clock_ready)
		(void)md_clock_init(NULL);
	return clock_is_fixed ? clock_fixed_at : time(NULL);
}

int
md_clock_fixed(void)
{
	if (!clock_ready)
		(void)md_clock_init(NULL);
	return clock_is_fixed;
}
