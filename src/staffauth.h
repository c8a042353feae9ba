/*
 * Is a mail that says it is from staff really from staff? A From header
 * is trivially forged, so a command counts only from a listed staff
 * address that also proves itself one of two ways:
 *  - a reply token: every notice to a staff member about a case has the
 *    Reply-To chamber+<case>.<token>@<domain>, token = the first 16
 *    base32 characters of HMAC-SHA256(secret, lower(staff) "\n" case);
 *    a reply reaches us with that address in To/Cc/Delivered-To/
 *    X-Original-To. The token is per staff member and per case, so one
 *    leaked address does not open other cases or lend another identity.
 *  - an Authentication-Results header added by our own receiving server
 *    (authserv-id == cfg->authserv_id; others are ignored, RFC 8601 §5)
 *    with dkim=pass for the From domain (header.d or header.i) or
 *    dmarc=pass with header.from == the From domain.
 * The secret is cfg->secret_file; when that is unset, the file
 * "reply-token.key" next to the database is created (mode 0600, 32 random
 * bytes as hex) at first use and read afterwards. It is read once per
 * process and kept (per file path) until staffauth_forget_secret(): the
 * daemon forgets it on SIGHUP, so a changed secret takes effect there.
 */
#ifndef MD_STAFFAUTH_H
#define MD_STAFFAUTH_H

#include <stddef.h>

#include "config.h"
#include "error.h"
#include "message.h"

#define STAFFAUTH_TOKEN_LEN	16
/* Room for a reply address: local part, '+', case number, '.', token, '@', domain. */
#define STAFFAUTH_ADDR_MAX	320
/* Name of the generated secret next to the database. */
#define STAFFAUTH_SECRET_NAME	"reply-token.key"

enum staffauth_verdict {
	STAFFAUTH_NOT_STAFF,    /* From is not a listed staff address */
	STAFFAUTH_NO_PROOF,     /* listed staff, but neither a valid token nor trusted results */
	STAFFAUTH_TOKEN,        /* a valid token for this staff member and case */
	STAFFAUTH_DKIM,         /* trusted dkim=pass for the From domain */
	STAFFAUTH_DMARC         /* trusted dmarc=pass for the From domain */
};

/*
 * The token of staff (any case) for case_number into token
 * (STAFFAUTH_TOKEN_LEN + 1 bytes, lower-case base32 letters and digits).
 * Errors: MD_ERR_IO (secret unreadable or not creatable), MD_ERR_INPUT
 * (empty address or number, secret shorter than 16 bytes), MD_ERR_TLS
 * (HMAC failure).
 */
enum md_err staffauth_token(const struct md_config *cfg, const char *staff,
    const char *case_number, char *token);

/*
 * The reply address for staff about case_number into out (outlen bytes,
 * STAFFAUTH_ADDR_MAX is enough): "<local>+<case>.<token>@<domain>" with
 * local and domain taken from cfg->smtp_from and the case number in lower
 * case (mail systems may fold it). Errors: as staffauth_token(), and
 * MD_ERR_INPUT when smtp_from has no '@' or the result does not fit.
 */
enum md_err staffauth_reply_address(const struct md_config *cfg, const char *staff,
    const char *case_number, char *out, size_t outlen);

/*
 * Split a reply address of ours into the case part and token (each
 * NUL-terminated into number/token of numberlen/tokenlen bytes). Returns
 * nonzero when addr is "<local>+X.Y@<domain>" for cfg->smtp_from; the case
 * part is returned as written (lower case), not yet checked.
 */
int staffauth_parse_reply_address(const struct md_config *cfg, const char *addr,
    char *number, size_t numberlen, char *token, size_t tokenlen);

/*
 * Judge msg as a command mail about case_number. *verdict is set in every
 * successful case; MD_OK does not mean authenticated, check the verdict
 * (staffauth_ok()). Errors: as staffauth_token().
 */
enum md_err staffauth_check(const struct md_config *cfg, const struct message *msg,
    const char *case_number, enum staffauth_verdict *verdict);

/*
 * Forget (and wipe) the secret kept since it was last read, so that the
 * next token reads the file again. Cannot fail.
 */
void staffauth_forget_secret(void);

/* Nonzero for the verdicts that allow commands. */
int staffauth_ok(enum staffauth_verdict v);

/* "not-staff", "no-proof", "token", "dkim", "dmarc". */
const char *staffauth_verdict_name(enum staffauth_verdict v);

/*
 * Does the Authentication-Results value (one header, unfolded) come from
 * authserv_id and show dkim=pass with header.d/header.i in domain, or
 * dmarc=pass with header.from == domain? Returns STAFFAUTH_DKIM,
 * STAFFAUTH_DMARC or STAFFAUTH_NO_PROOF. Comments "(...)" and quoted
 * strings are skipped as RFC 8601 allows. Exposed for tests.
 */
enum staffauth_verdict staffauth_parse_results(const char *value, const char *authserv_id,
    const char *domain);

#endif
