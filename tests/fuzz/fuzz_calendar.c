/*
 * libFuzzer harness for the calendar file parser: any byte string must load
 * or be refused cleanly, and a calendar that loads must answer queries.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "calendar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct calendar *cal = NULL;
	struct calendar_day info;
	FILE *sink;
	int y, m;

	/* Error text is formatted too, so it must go somewhere real. */
	sink = fopen("/dev/null", "w");
	if (calendar_load_buffer("fuzz.cal", (const char *)data, size, sink, &cal) == MD_OK) {
		for (y = 2025; y <= 2031; y++) {
			(void)calendar_covers(cal, y);
			for (m = 1; m <= 12; m++)
				(void)calendar_day_info(cal, y, m, 1 + (y * m) % 31, &info);
		}
		calendar_free(cal);
	}
	if (sink)
		fclose(sink);
	return 0;
}
