/*
 * Address fields (From, To, Cc, Reply-To) as mail clients write them:
 * display names quoted or not, RFC 2047 encoded or raw 8-bit, comments,
 * groups, and the old "addr (Name)" form. Addresses come out lower case and
 * checked, so that nothing built from them can smuggle CR/LF or a second
 * recipient into an SMTP command.
 */
#ifndef MD_ADDR_H
#define MD_ADDR_H

#include <stddef.h>

#include "error.h"

struct addr {
	char *name;  /* owned, UTF-8 display name, control characters removed; "" when none */
	char *addr;  /* owned, lower-case addr-spec; NULL when it was not a usable address */
};

/*
 * Parse the raw (undecoded, possibly folded) field value in[0..len) into at
 * most max mailboxes (group names are dropped, their members kept). hint is
 * the charset for raw 8-bit names (NULL: guess). On success *out (free with
 * addr_list_free()) holds *n entries, possibly zero. ORs enum
 * charset_status bits into *status. MD_ERR_NOMEM only.
 */
enum md_err addr_parse_list(const char *in, size_t len, const char *hint, size_t max,
    struct addr **out, size_t *n, unsigned *status);

void addr_list_free(struct addr *a, size_t n);

/*
 * Nonzero when s is an addr-spec memberdesk will use: printable ASCII,
 * one '@' with non-empty local part and a dotted-or-plain domain, no
 * blanks, quotes, brackets, commas or semicolons, at most 254 bytes.
 */
int addr_spec_valid(const char *s);

#endif
