/*
 * Private to the calendar module (calendar.c and caltz.c): day numbers of
 * the proleptic Gregorian calendar and the time-zone switching behind
 * calendar_local_date(), calendar_end_of_day() and the working-day
 * arithmetic. glibc has no per-call zone, so TZ is switched around each
 * conversion and restored; see the thread-safety note in calendar.h.
 */
#ifndef MD_CALTZ_H
#define MD_CALTZ_H

#include <time.h>

#include "error.h"

/* Day number (days since 1970-01-01) of a civil date; any y, m 1..12. */
long caltz_days_from_civil(int y, int m, int d);

/* The civil date of day number z. */
void caltz_civil_from_days(long z, int *y, int *m, int *d);

/* Weekday of day number z: 0 Sunday .. 6 Saturday. */
int caltz_weekday(long z);

/* Nonzero when y-m-d exists and y is within CALENDAR_MIN_YEAR..CALENDAR_MAX_YEAR. */
int caltz_date_valid(int y, int m, int d);

/* What caltz_enter() changed, for caltz_leave() to restore. */
struct caltz_scope {
	char *saved;		/* owned: the previous TZ value */
	int had;		/* TZ was set before */
	int changed;		/* we changed it and must restore it */
};

/*
 * Make tz (NULL or "": CALENDAR_DEFAULT_TZ) the zone of localtime_r() and
 * mktime() until caltz_leave(sc). MD_ERR_INPUT when the name is unsafe or
 * no zone file exists for it (glibc would silently use UTC); MD_ERR_NOMEM.
 * On error nothing was changed and caltz_leave() need not be called.
 */
enum md_err caltz_enter(const char *tz, struct caltz_scope *sc);

/* Restore the TZ that caltz_enter() replaced; harmless when it changed nothing. */
void caltz_leave(struct caltz_scope *sc);

/*
 * The local day number of t in the current zone, and its year when year is
 * not NULL. Returns 1, or 0 when t is outside the calendar's year range.
 */
int caltz_local_day(time_t t, long *z, int *year);

/*
 * The last second whose local date is day z, in the current zone.
 * MD_ERR_INPUT when the zone cannot represent the day.
 */
enum md_err caltz_end_of_day(long z, time_t *out);

#endif
