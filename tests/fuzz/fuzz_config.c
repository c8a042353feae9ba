/*
 * libFuzzer harness for the configuration parser: the input is written to
 * a file (libconfuse reads files) and loaded; errors go to /dev/null.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	static FILE *devnull;
	struct md_config *cfg = NULL;
	FILE *fp;

	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "/tmp/md-fuzz-config-%ld.conf", (long)getpid());
		devnull = fopen("/dev/null", "w");
	}
	fp = fopen(path, "wb");
	if (fp == NULL)
		return 0;
	fwrite(data, 1, size, fp);
	fclose(fp);
	if (config_load(path, devnull, &cfg) == MD_OK)
		config_free(cfg);
	unlink(path);
	return 0;
}
