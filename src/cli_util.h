/*
 * Small helpers every memberdesk command shares: checked integer options
 * and the clock of command-line actions.
 */
#ifndef MD_CLI_UTIL_H
#define MD_CLI_UTIL_H

#include <time.h>

#include "error.h"

/*
 * Parse s as a whole decimal number in [min, max] into *out. Leading
 * white space and a sign are accepted as strtol(3) does; anything after
 * the digits is not. MD_ERR_INPUT for no digits, trailing text, overflow
 * or a value out of range; *out is untouched then.
 */
enum md_err cli_parse_long(const char *s, long min, long max, long *out);

/*
 * The clock of command-line actions: $MEMBERDESK_NOW, read with the
 * daemon's parser (md_clock_parse(): epoch seconds or ISO 8601; times
 * without an offset in zone tz, NULL or "" meaning Asia/Shanghai), so that
 * a scenario replays at the same moment through both programs; else the
 * system time. -1, with a message on stderr, when MEMBERDESK_NOW is set
 * but is not a valid time.
 */
time_t cli_now(const char *tz);

#endif
