#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "caltz.h"

/* Proleptic Gregorian date <-> day number (H. Hinnant's algorithms). */
long
caltz_days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe, yy = y;

	yy -= m <= 2;
	era = (yy >= 0 ? yy : yy - 399) / 400;
	yoe = yy - era * 400;
	doy = (153L * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
caltz_civil_from_days(long z, int *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* 0 Sunday .. 6 Saturday; day 0 (1970-01-01) was a Thursday. */
int
caltz_weekday(long z)
{
	return (int)(((z % 7) + 11) % 7);
}

int
caltz_date_valid(int y, int m, int d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap, max;

	if (y < CALENDAR_MIN_YEAR || y > CALENDAR_MAX_YEAR || m < 1 || m > 12 || d < 1)
		return 0;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	max = mdays[m - 1] + (m == 2 && leap);
	return d <= max;
}

/*
 * The zone file last found good: the daemon converts in one zone several
 * times per message, and a stat() each time was most of its time-zone
 * cost. Only a file deleted while the process runs is not noticed again;
 * the tzdata package replaces files, it does not remove them in use.
 * Single-threaded, like all TZ switching here.
 */
static char zone_path_ok[PATH_MAX];

/*
 * glibc falls back to UTC silently for a zone it cannot load, which would
 * shift every deadline by hours; so the zone file must exist, and the name
 * must not be able to escape the zone directory.
 */
static int
zone_name_ok(const char *tz)
{
	const char *dir, *p;
	char path[PATH_MAX];
	struct stat st;
	int n;

	if (tz[0] == '\0' || tz[0] == '/' || strlen(tz) > 200 || strstr(tz, ".."))
		return 0;
	for (p = tz; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' || *p == '-' ||
		    *p == '+'))
			return 0;
	if ((dir = getenv("TZDIR")) == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	n = snprintf(path, sizeof(path), "%s/%s", dir, tz);
	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;
	if (strcmp(path, zone_path_ok) == 0)
		return 1;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	memcpy(zone_path_ok, path, (size_t)n + 1);
	return 1;
}

enum md_err
caltz_enter(const char *tz, struct caltz_scope *sc)
{
	const char *cur;

	memset(sc, 0, sizeof(*sc));
	if (tz == NULL || *tz == '\0')
		tz = CALENDAR_DEFAULT_TZ;
	if (!zone_name_ok(tz))
		return MD_ERR_INPUT;
	cur = getenv("TZ");
	if (cur && strcmp(cur, tz) == 0) {
		/*
		 * Nothing to switch (the daemon runs in the chamber's zone).
		 * tzset() costs no syscall for a TZ it has seen, and makes
		 * localtime_r() follow TZ even when whoever set it did not
		 * call tzset() after.
		 */
		tzset();
		return MD_OK;
	}
	sc->had = cur != NULL;
	if (cur && (sc->saved = strdup(cur)) == NULL)
		return MD_ERR_NOMEM;
	if (setenv("TZ", tz, 1) == -1) {
		free(sc->saved);
		sc->saved = NULL;
		return MD_ERR_NOMEM;
	}
	sc->changed = 1;
	/* localtime_r() need not re-read TZ by itself. */
	tzset();
	return MD_OK;
}

void
caltz_leave(struct caltz_scope *sc)
{
	if (!sc->changed)
		return;
	if (sc->had)
		setenv("TZ", sc->saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(sc->saved);
	sc->saved = NULL;
	sc->changed = 0;
}

/* The local day number of t in the current zone; 0 when out of range. */
int
caltz_local_day(time_t t, long *z, int *year)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	if (tm.tm_year > CALENDAR_MAX_YEAR - 1900 || tm.tm_year < CALENDAR_MIN_YEAR - 1900)
		return 0;
	*z = caltz_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	if (year)
		*year = tm.tm_year + 1900;
	return 1;
}

/*
 * The last second whose local date is day z, in the current zone. A binary
 * search over time rather than mktime(23:59:59) because DST rules differ in
 * where they put the gap or the repeated hour; local dates never go
 * backwards, so the search is exact in every zone.
 */
enum md_err
caltz_end_of_day(long z, time_t *out)
{
	struct tm tm;
	time_t noon, lo, hi, mid;
	long zl;
	int y, m, d;

	caltz_civil_from_days(z, &y, &m, &d);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;
	tm.tm_isdst = -1;
	noon = mktime(&tm);
	if (noon == (time_t)-1)
		return MD_ERR_INPUT;
	lo = noon - 36 * 3600;
	hi = noon + 36 * 3600;
	if (!caltz_local_day(lo, &zl, NULL) || zl > z || !caltz_local_day(hi, &zl, NULL) || zl <= z)
		return MD_ERR_INPUT;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (!caltz_local_day(mid, &zl, NULL))
			return MD_ERR_INPUT;
		if (zl > z)
			hi = mid;
		else
			lo = mid;
	}
	*out = lo;
	return MD_OK;
}

enum md_err
calendar_local_date(const char *tz, time_t t, struct calendar_date *out)
{
	struct caltz_scope sc;
	enum md_err err;
	long z;
	int ok;

	if ((err = caltz_enter(tz, &sc)) != MD_OK)
		return err;
	ok = caltz_local_day(t, &z, NULL);
	caltz_leave(&sc);
	if (!ok)
		return MD_ERR_INPUT;
	caltz_civil_from_days(z, &out->year, &out->month, &out->day);
	out->wday = caltz_weekday(z);
	return MD_OK;
}

enum md_err
calendar_end_of_day(const char *tz, const struct calendar_date *date, time_t *out)
{
	struct caltz_scope sc;
	enum md_err err;

	if (!caltz_date_valid(date->year, date->month, date->day))
		return MD_ERR_INPUT;
	if ((err = caltz_enter(tz, &sc)) != MD_OK)
		return err;
	err = caltz_end_of_day(caltz_days_from_civil(date->year, date->month, date->day), out);
	caltz_leave(&sc);
	return err;
}

