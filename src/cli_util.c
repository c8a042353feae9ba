/*
 * Helpers shared by the cli_* files (see cli_util.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli_util.h"
#include "clock.h"

enum md_err
cli_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL)
		return MD_ERR_INPUT;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < min || v > max)
		return MD_ERR_INPUT;
	*out = v;
	return MD_OK;
}

time_t
cli_now(const char *tz)
{
	const char *s = getenv(MD_CLOCK_ENV);
	time_t t;

	if (s == NULL || *s == '\0')
		return time(NULL);
	if (md_clock_parse(s, tz, &t) != MD_OK) {
		fprintf(stderr, "memberdesk: %s must be seconds since the epoch or an ISO 8601 "
		    "time (2026-09-28T10:00:00+08:00, 2026-09-28 10:00, 2026-09-28)\n",
		    MD_CLOCK_ENV);
		return (time_t)-1;
	}
	return t;
}
