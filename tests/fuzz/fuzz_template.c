/*
 * libFuzzer harness: arbitrary bytes as a template file (for a template
 * chosen by the first byte) and as variable values; whatever renders is
 * then built into a notice, whose header block must stay well-formed: CRLF
 * only, no line past 78 columns, no header line that the input could have
 * added.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notice.h"
#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_headers(const char *msg)
{
	const char *end = strstr(msg, "\r\n\r\n"), *p, *nl;

	if (end == NULL)
		abort();
	for (p = msg; p < end + 2; p = nl + 2) {
		/*
		 * Folded lines stay within 78 characters, except a line that
		 * holds one message id longer than that (notice.h), which still
		 * keeps RFC 5322's hard limit of 998.
		 */
		if ((nl = strstr(p, "\r\n")) == NULL || nl - p > 998 ||
		    (nl - p > 78 && memchr(p, '<', (size_t)(nl - p)) == NULL) ||
		    memchr(p, '\n', (size_t)(nl - p)) != NULL)
			abort();
		if (strncmp(p, "Bcc:", 4) == 0 || strncmp(p, "Cc:", 3) == 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *const *names = template_known_names();
	struct template_var vars[3];
	struct template *t = NULL;
	struct notice n;
	struct notice_msg m;
	char err[256], *subject = NULL, *body = NULL, *value, *text;
	size_t nnames, split;

	if (size < 2)
		return 0;
	for (nnames = 0; names[nnames] != NULL; nnames++)
		;
	/* Second byte splits the input into template text and a value. */
	split = 1 + (size - 1) * data[1] / 256;
	if ((text = malloc(split + 1)) == NULL || (value = malloc(size - split + 1)) == NULL) {
		free(text);
		return 0;
	}
	memcpy(text, data + 1, split - 1);
	text[split - 1] = '\0';
	memcpy(value, data + split, size - split);
	value[size - split] = '\0';
	if (template_parse(names[data[0] % nnames], "fuzz.txt", text, split - 1, err,
	    sizeof(err), &t) == MD_OK) {
		vars[0].name = "subject";
		vars[0].value = value;
		vars[1].name = "case_tag";
		vars[1].value = "[MD-2026-0001]";
		vars[2].name = "requester_name";
		vars[2].value = value;
		if (template_expand(t, vars, 3, &subject, &body, err, sizeof(err)) == MD_OK) {
			memset(&n, 0, sizeof(n));
			n.from_addr = "desk@chamber.example";
			n.from_name = value;
			n.to_addr = "member@member.example";
			n.to_name = subject;
			n.subject = subject;
			n.thread_topic = value;
			n.body = body;
			n.in_reply_to = value;
			n.domain = "chamber.example";
			n.date = 1772414100;
			if (notice_build(&n, &m) == MD_OK) {
				check_headers(m.data);
				notice_msg_free(&m);
			}
			free(subject);
			free(body);
		}
		template_free(t);
	}
	free(text);
	free(value);
	return 0;
}
