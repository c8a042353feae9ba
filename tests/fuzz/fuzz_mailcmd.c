/*
 * libFuzzer harness for what staff and members write back: the mail
 * command parser, reply stripping and feedback parsing all see the same
 * decoded text of a reply.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feedback.h"
#include "mailcmd.h"
#include "replystrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mailcmd_list cmds;
	struct feedback fb;
	char *text, *stripped = NULL;

	/* Message text reaches these parsers NUL-terminated and without NULs. */
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&cmds, 0, sizeof(cmds));
	(void)mailcmd_present(text);
	(void)mailcmd_parse(text, "MD", size & 1 ? "en" : "zh", &cmds);
	mailcmd_list_free(&cmds);
	if (replystrip(text, &stripped) == MD_OK) {
		memset(&fb, 0, sizeof(fb));
		if (feedback_parse(stripped, &fb) == MD_OK)
			feedback_free(&fb);
	}
	free(stripped);
	free(text);
	return 0;
}
