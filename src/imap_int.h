/*
 * Internals shared by the IMAP client's files (imap.c: connection, mailbox,
 * marking, IDLE; imap_fetch.c: fetching in bounded windows). Not for other
 * modules: they use imap.h.
 */
#ifndef MD_IMAP_INT_H
#define MD_IMAP_INT_H

#include <stddef.h>

#include <libetpan/libetpan.h>

#include "error.h"

/* Replies to commands other than FETCH (SEARCH, SELECT...) stay below this. */
#define IMAP_RX_COMMAND_LIMIT	((size_t)64 * 1024 * 1024)
/* Per-message allowance in a FETCH reply for the envelope around the body. */
#define IMAP_RX_PER_MESSAGE	((size_t)1024)

struct imap_conn {
	mailimap *imap;
	char *host;		/* owned, for messages */
	int dead;		/* the stream failed; only imap_close() is left */
	int selected;
	int has_idle;
	int has_move;
	int has_uidplus;
	size_t rx_bytes;	/* received since the current command began */
	size_t rx_limit;
	int rx_exceeded;
};

/*
 * Classify libetpan result r of command what, log why, and mark the
 * connection dead when the stream is no longer usable.
 */
enum md_err imap_fail(struct imap_conn *c, int r, const char *what);

/* MD_ERR_STATE unless the connection is alive (and a mailbox selected). */
enum md_err imap_usable(const struct imap_conn *c, int need_selected);

/* Allow at most limit bytes to be received for the next command. */
void imap_budget(struct imap_conn *c, size_t limit);

#endif
