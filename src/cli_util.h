/*
 * Small helpers every memberdesk command shares: checked integer options.
 */
#ifndef MD_CLI_UTIL_H
#define MD_CLI_UTIL_H

#include "error.h"

/*
 * Parse s as a whole decimal number in [min, max] into *out. Leading
 * white space and a sign are accepted as strtol(3) does; anything after
 * the digits is not. MD_ERR_INPUT for no digits, trailing text, overflow
 * or a value out of range; *out is untouched then.
 */
enum md_err cli_parse_long(const char *s, long min, long max, long *out);

#endif
