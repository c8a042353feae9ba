/* Placeholder until the configuration parser lands. */
#include <stdlib.h>
#include "config.h"

enum md_err
config_load(const char *path, FILE *errors, struct md_config **out)
{
	*out = NULL;
	if (errors)
		fprintf(errors, "%s: configuration parser not built yet\n", path);
	return MD_ERR_INPUT;
}

void
config_free(struct md_config *cfg)
{
	free(cfg);
}
