/*
 * The daemon's clock. Every business decision (intake dates, deadlines,
 * reminders, the digest, when a notice is due) reads the time through
 * md_now(), so that a test or a replay can run the daemon at a chosen
 * moment: the environment variable MEMBERDESK_NOW fixes the clock.
 *
 * MEMBERDESK_NOW is a TESTING AID, not a feature for production: with it
 * set the clock stands still, so a long-running daemon would never see a
 * deadline pass. It is meant for `memberdeskd --once` and the `memberdesk`
 * command line. Accepted forms:
 *   1790560800                    seconds since the epoch
 *   2026-09-28T10:00:00+08:00     ISO 8601 with an offset (also +0800, +08, Z)
 *   2026-09-28T10:00:00           local time in the given zone (also a space
 *   2026-09-28 10:00              instead of T, seconds optional)
 *   2026-09-28                    local midnight
 * A warning is logged once when it is in effect.
 *
 * Timers that measure real elapsed time (reconnection backoff, IDLE
 * renewal) keep using the system or monotonic clock on purpose.
 */
#ifndef MD_CLOCK_H
#define MD_CLOCK_H

#include <time.h>

#include "error.h"

#define MD_CLOCK_ENV	"MEMBERDESK_NOW"

/*
 * Parse a MEMBERDESK_NOW value (forms above) into *out. tz is the zone of
 * values without an offset (NULL or "": Asia/Shanghai). Errors:
 * MD_ERR_INPUT for anything else (trailing text, out-of-range fields, a
 * date that does not exist, years outside 1970-9999, a bad zone); *out is
 * untouched then.
 */
enum md_err md_clock_parse(const char *s, const char *tz, time_t *out);

/*
 * Read MEMBERDESK_NOW once and fix the clock when it is set (logging a
 * warning that the clock is fixed); tz as for md_clock_parse(). Unset or
 * empty: the system clock. MD_ERR_INPUT (logged) when the value is
 * invalid; the clock stays the system clock then. Calling it again
 * re-reads the variable.
 */
enum md_err md_clock_init(const char *tz);

/*
 * The current time: the fixed time when MEMBERDESK_NOW was in effect at the
 * last md_clock_init(), else time(NULL). The first call without an
 * earlier md_clock_init() runs md_clock_init(NULL) (default zone).
 */
time_t md_now(void);

/* Nonzero while the clock is fixed by MEMBERDESK_NOW. */
int md_clock_fixed(void);

#endif
