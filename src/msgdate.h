/*
 * RFC 5322 dates, including the broken forms real clients send: no day
 * name, two- or three-digit years, missing seconds, "+08:00" zones, zone
 * names (GMT, UT, EST, CST as US Central, ...), a "(CST)" comment, dots as
 * time separators, full month names, ISO 8601 "2025-03-01T10:00:00+08:00".
 */
#ifndef MD_MSGDATE_H
#define MD_MSGDATE_H

#include <time.h>

#include "error.h"

/*
 * Parse s into UTC seconds in *out. A missing zone is read as UTC.
 * MD_OK; MD_ERR_INPUT when s is not a date (or out of 1970..9999).
 */
enum md_err msgdate_parse(const char *s, time_t *out);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
long long msgdate_days_from_civil(long long y, unsigned m, unsigned d);

#endif
