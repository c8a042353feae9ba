/*
 * Peer certificate verification with GnuTLS. libetpan's GnuTLS build accepts
 * any certificate, so every TLS connection memberdesk makes is checked here
 * after the handshake and before any credentials are sent.
 */
#ifndef MD_TLS_H
#define MD_TLS_H

#include <stddef.h>

#include "error.h"

/* One DER-encoded certificate; borrowed, never freed by this module. */
struct tls_der {
	const unsigned char *data;
	size_t len;
};

/*
 * Verify a peer chain (leaf first, as sent by the server) for host.
 * Trust anchors: the PEM certificates in ca_file, or the system trust store
 * when ca_file is NULL or empty. The leaf must be valid now, chain to a
 * trust anchor, be meant for TLS servers, and match host (DNS name or IP
 * address, wildcards as in RFC 6125).
 *
 * On failure a one-line English reason (no trailing newline) is written to
 * why (when whylen > 0) and the result is:
 *	MD_ERR_TLS	the chain or the host name is not acceptable, or the
 *			chain is empty or unparsable
 *	MD_ERR_IO	ca_file cannot be read or holds no certificate
 *	MD_ERR_NOMEM	allocation failed
 */
enum md_err tls_verify_chain(const struct tls_der *chain, size_t n,
    const char *ca_file, const char *host, char *why, size_t whylen);

/*
 * Check only that the certificate der is issued for host (DNS name or IP
 * address). MD_OK on a match, MD_ERR_TLS on a mismatch or an unparsable
 * certificate. Used by tls_verify_chain(); exported for tests and for the
 * "tls_verify off" diagnostics.
 */
enum md_err tls_check_host(const struct tls_der *der, const char *host);

#endif
