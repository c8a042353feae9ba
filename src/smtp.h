/*
 * Sending finished messages over SMTP with libcurl. One client keeps one
 * easy handle, so consecutive sends reuse the connection (and its TLS
 * session) instead of opening one per notice.
 *
 * Failures are classified for the outbox's retry logic: anything that may
 * work later (no connection, timeout, 4xx reply) is MD_ERR_TEMP; a 5xx
 * reply is MD_ERR_FINAL; a certificate or STARTTLS problem is MD_ERR_TLS;
 * refused credentials are MD_ERR_AUTH.
 */
#ifndef MD_SMTP_H
#define MD_SMTP_H

#include <stddef.h>

#include "config.h"
#include "error.h"

/* Largest message accepted by smtp_send(). */
#define SMTP_MAX_MESSAGE	(32 * 1024 * 1024)

struct smtp_client;

/*
 * Create a client for the server described by cfg (host, port, tls mode,
 * CA file, verification, user/password, timeout in seconds for connecting
 * and for each server reply; 0 means 60). helo (may be NULL) is the name
 * given in EHLO. Everything needed is copied, so cfg may be freed (e.g. on
 * reload) while the client lives. No connection is made yet.
 * Errors: MD_ERR_INPUT (no host, bad port, host or helo with characters
 * that do not belong in a URL), MD_ERR_NOMEM.
 */
enum md_err smtp_client_new(const struct server_config *cfg, const char *helo,
    struct smtp_client **out);

/*
 * Send data (len bytes, a complete RFC 5322 message) from envelope sender
 * mail_from to the single recipient rcpt. Bare LF or CR line ends are
 * turned into CRLF; libcurl does the dot-stuffing. On a failure over a
 * reused connection that is not an SMTP reply (the server may have dropped
 * an idle connection) the send is tried once more on a new connection.
 * errbuf (may be NULL) receives a one-line English reason, including the
 * server's reply code when there was one.
 * Errors: MD_ERR_INPUT (invalid address or empty data; nothing was sent),
 * MD_ERR_LIMIT (len > SMTP_MAX_MESSAGE), MD_ERR_TEMP, MD_ERR_FINAL,
 * MD_ERR_TLS, MD_ERR_AUTH, MD_ERR_NOMEM.
 */
enum md_err smtp_send(struct smtp_client *c, const char *mail_from, const char *rcpt,
    const char *data, size_t len, char *errbuf, size_t errlen);

/*
 * The SMTP reply code of the last send (0 when there was none, e.g. no
 * connection), and the number of connections opened since the client was
 * created (a measure of reuse).
 */
long smtp_last_code(const struct smtp_client *c);
long smtp_connections(const struct smtp_client *c);

/* Close the connection (QUIT) and free the client; NULL is allowed. */
void smtp_client_free(struct smtp_client *c);

#endif
