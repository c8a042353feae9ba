/*
 * libFuzzer harness for the message parser. Small limits make the limit
 * paths (depth, parts, text, attachments, header lines) reachable with
 * small inputs; the defaults are exercised too, on alternate inputs.
 */
#include <stddef.h>
#include <stdint.h>

#include "inspect.h"
#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct message_limits lim;
	struct message *m = NULL;
	json_t *j;

	message_limits_default(&lim);
	if (size > 0 && (data[0] & 1)) {
		lim.max_header_count = 8;
		lim.max_line_length = 64;
		lim.max_mime_depth = 4;
		lim.max_mime_parts = 16;
		lim.max_attachment_size = 32;
		lim.max_text_size = 128;
	}
	if (message_parse((const char *)data, size, &lim, &m) == MD_OK) {
		if ((j = inspect_message_json(m)) != NULL)
			json_decref(j);
		message_free(m);
	}
	return 0;
}
