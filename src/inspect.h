/*
 * "memberdesk inspect": show how memberdesk reads one message, as text for
 * people or as one JSON object for scripts and tests. The JSON object is
 * built here so that later stages (automatic-mail detection, threading,
 * classification) can add their own keys to the same object.
 */
#ifndef MD_INSPECT_H
#define MD_INSPECT_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"
#include "config.h"
#include "message.h"

/*
 * A new JSON object (caller owns the reference) with the keys subject,
 * from (address or null), from_name, date (RFC 3339 UTC or null),
 * message_id (or null), text, attachments (array of {filename,
 * content_type, size}) and warnings (array of strings). NULL only when
 * memory ran out.
 */
json_t *inspect_message_json(const struct message *m);

/*
 * Read the file at path ("-": standard input) into *data (caller frees,
 * NUL-terminated) and *len. MD_ERR_LIMIT when it holds more than max bytes
 * (nothing returned); MD_ERR_IO when it cannot be opened or read (errno
 * tells why); MD_ERR_NOMEM.
 */
enum md_err inspect_read_file(const char *path, size_t max, char **data, size_t *len);

/*
 * The command: argv[0] is "inspect", then [--json] FILE. Writes the result
 * to stdout, problems to stderr. Returns the exit status: 0 done, 1 the
 * file could not be read, was too large or could not be parsed, 2 usage.
 */
int cli_inspect(int argc, char **argv);

/*
 * The same with the configuration when one could be read (cfg may be
 * NULL): it gives the case prefix for threading, our own domain and
 * address for loop detection, and the rules for classification.
 */
int cli_inspect_with(int argc, char **argv, const struct md_config *cfg);

#endif
