/*
 * Helpers shared by the cli_* files (see cli_util.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "cli_util.h"

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
