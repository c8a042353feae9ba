/*
 * IMAP intake client over libetpan's mailimap. One struct imap_conn is one
 * logged-in session on one server; it is not shared between threads.
 *
 * Error classes used by every function here:
 *	MD_ERR_TEMP	network failure, timeout, server busy or a command the
 *			server refused that may work later; reconnect and retry
 *	MD_ERR_TLS	TLS handshake failed or the certificate or host name
 *			was not acceptable (no credentials were sent)
 *	MD_ERR_AUTH	the server refused the user name or password
 *	MD_ERR_LIMIT	the server sent more data than the configured bounds
 *	MD_ERR_NOMEM	allocation failed
 *	MD_ERR_STATE	called on a connection that failed earlier or with no
 *			mailbox selected; close it and connect again
 * After MD_ERR_TEMP, MD_ERR_LIMIT or MD_ERR_STATE the connection is
 * unusable except for imap_close().
 */
#ifndef MD_IMAP_H
#define MD_IMAP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"

/* The keyword that marks a message as taken in when it stays in place. */
#define IMAP_DONE_KEYWORD	"$MemberdeskDone"

struct imap_conn;

struct imap_mailbox_status {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint32_t exists;
};

/*
 * Connect to srv->host:srv->port with srv->tls (none, STARTTLS or implicit
 * TLS), verify the peer unless srv->tls_verify is 0, and log in as
 * srv->user. srv->timeout bounds the connect and every later command.
 * STARTTLS refused or not offered is MD_ERR_TLS: memberdesk never falls
 * back to plain text once TLS was asked for. A human-readable reason for a
 * failure is logged with log_warnx(). On success *out is the connection.
 */
enum md_err imap_connect(const struct server_config *srv,
    struct imap_conn **out);

/* LOGOUT when still connected, then free everything; NULL is allowed. */
void imap_close(struct imap_conn *c);

/* Capabilities seen after login (nonzero: present). */
int imap_has_idle(const struct imap_conn *c);
int imap_has_move(const struct imap_conn *c);
int imap_has_uidplus(const struct imap_conn *c);

/*
 * SELECT mailbox (read-write) and report its UIDVALIDITY, UIDNEXT and
 * message count. MD_ERR_NOTFOUND when the server refuses the mailbox.
 */
enum md_err imap_select(struct imap_conn *c, const char *mailbox,
    struct imap_mailbox_status *st);

/*
 * UIDs of the messages still to take in from the selected mailbox, sorted
 * ascending: every message when processed_folder is set (processed mail is
 * moved away), else those without IMAP_DONE_KEYWORD. *uids is allocated
 * (caller frees; NULL when *n is 0).
 */
enum md_err imap_list_pending(struct imap_conn *c,
    const char *processed_folder, uint32_t **uids, size_t *n);

/*
 * What imap_fetch() hands over. message() gets each message whole; raw is
 * borrowed, valid during the call only (for a spooled message, a read-only
 * mapping of its spool file: see spool.h). oversize() gets a message larger
 * than max_message_size instead: its size as the server reports it and only
 * its first headlen bytes. Either may be NULL to skip such messages. A
 * non-MD_OK return stops the fetch and is returned by imap_fetch().
 */
struct imap_fetch_handler {
	enum md_err (*message)(uint32_t uid, const char *raw, size_t len,
	    void *arg);
	enum md_err (*oversize)(uint32_t uid, size_t size, const char *head,
	    size_t headlen, void *arg);
	void *arg;
};

/* Messages larger than this are spooled when a spool directory is given. */
#define IMAP_SPOOL_MIN		((size_t)1024 * 1024)
/* Bytes asked for per partial fetch of a spooled message. */
#define IMAP_SPOOL_PIECE	((size_t)1024 * 1024)

struct imap_fetch_limits {
	size_t chunk;             /* messages per UID FETCH; 0: 50 */
	size_t max_message_size;  /* bytes; 0: 25 MiB */
	size_t head_bytes;        /* bytes of an oversize message; 0: 64 KiB */
	const char *spool_dir;    /* NULL: every message is fetched into memory */
};

/*
 * Fetch the given UIDs (in the order given, best ascending) from the
 * selected mailbox with BODY.PEEK[] (\Seen is not set), in chunks of at
 * most limits->chunk messages and about max_message_size bytes, sizes
 * asked first so that one large message is fetched alone. With
 * limits->spool_dir, a message over IMAP_SPOOL_MIN bytes is fetched in
 * pieces of IMAP_SPOOL_PIECE bytes (BODY.PEEK[]<offset.length>) into an
 * unlinked spool file in that directory and handed over as its mapping, so
 * that neither libetpan nor memberdesk holds it on the heap; MD_ERR_IO when
 * the spool file cannot be written. UIDs that no longer exist are skipped
 * silently. Stops at the first handler error and
 * returns it.
 */
enum md_err imap_fetch(struct imap_conn *c, const uint32_t *uids, size_t n,
    const struct imap_fetch_limits *limits,
    const struct imap_fetch_handler *h);

/*
 * Mark messages as taken in: STORE +FLAGS ($MemberdeskDone \Seen), then,
 * when processed_folder is set, UID MOVE them there (or UID COPY, STORE
 * \Deleted and UID EXPUNGE where MOVE is missing; UID EXPUNGE needs
 * UIDPLUS, else the copy stays flagged and deleted and the next EXPUNGE
 * removes it). The folder is created when missing.
 */
enum md_err imap_mark_processed(struct imap_conn *c, const uint32_t *uids,
    size_t n, const char *processed_folder);

enum imap_idle_result {
	IMAP_IDLE_NEWMAIL,	/* the server reported EXISTS or RECENT */
	IMAP_IDLE_TIMEOUT,	/* timeout_ms passed without news */
	IMAP_IDLE_STOPPED	/* *stop became nonzero */
};

/*
 * Wait in IDLE on the selected mailbox until new mail, timeout_ms, or *stop
 * (checked every 200 ms; stop may be NULL). IDLE is renewed every 28
 * minutes as RFC 2177 asks. *result says why it returned. MD_ERR_STATE when
 * the server has no IDLE (the caller polls instead).
 */
enum md_err imap_idle_wait(struct imap_conn *c, int timeout_ms,
    const volatile sig_atomic_t *stop, enum imap_idle_result *result);

#endif
