/*
 * The IMAP side of intake on a thread of its own. While the daemon writes
 * one message to the database, the fetch thread already fetches and
 * parses the next ones and moves the messages of committed chunks to the
 * processed folder, so that the waits on the IMAP server and the parsing
 * overlap with the database work instead of adding to it.
 *
 * The thread owns the IMAP connection (through struct fetchq_source) from
 * fetchq_start() until fetchq_finish() returns; nobody else may use it
 * meanwhile. Messages are
 * handed over in the order given, in chunks of limits->chunk UIDs, each
 * chunk followed by a FETCHQ_CHUNK_END item. Marking on the server happens
 * only for what the caller passes to fetchq_mark(), i.e. only after the
 * caller committed it: the durability rule of intake.h is unchanged.
 * Memory is bounded: the thread stops fetching while FETCHQ_MAX_BYTES of
 * raw mail wait to be taken (a single larger message is still handed
 * over), and a spooled message (imap.h) is handed over as its mapping,
 * the thread waiting until the caller is done with it.
 */
#ifndef MD_FETCHQ_H
#define MD_FETCHQ_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"
#include "imap.h"
#include "intake.h"

/* Raw bytes fetched ahead at most (beyond one message). */
#define FETCHQ_MAX_BYTES ((size_t)4 * 1024 * 1024)

struct fetchq;

enum fetchq_kind {
	FETCHQ_MESSAGE,    /* a message, parsed: raw, len, prep */
	FETCHQ_OVERSIZE,   /* a message over the size limit: its size and head (raw, len) */
	FETCHQ_CHUNK_END,  /* the chunk's messages are all handed over */
	FETCHQ_END         /* nothing more: err says how fetching ended */
};

struct fetchq_item {
	enum fetchq_kind kind;
	uint32_t uid;
	const char *raw;              /* owned by the queue until fetchq_done() */
	size_t len;
	size_t size;                  /* FETCHQ_OVERSIZE: the size the server reported */
	struct intake_prepared prep;  /* FETCHQ_MESSAGE; prep_err says whether it is valid */
	enum md_err prep_err;         /* intake_prepare()'s error for this message */
	enum md_err err;              /* FETCHQ_END: MD_OK when every chunk was fetched */
	int borrowed;                 /* raw is a spool mapping the thread waits on */
	struct fetchq_item *next;     /* the queue's own */
};

/*
 * Where the thread gets mail and marks it: imap_fetch() and
 * imap_mark_processed() on the daemon's connection, or a stand-in in
 * tests. Both are called on the fetch thread only, one at a time. fetch()
 * hands messages to h in order as imap_fetch() does (a message of
 * IMAP_SPOOL_MIN bytes or more is taken as a mapping valid during the
 * call only, anything smaller is copied) and stops at h's first error.
 */
struct fetchq_source {
	enum md_err (*fetch)(void *arg, const uint32_t *uids, size_t n,
	    const struct imap_fetch_handler *h);
	enum md_err (*mark)(void *arg, const uint32_t *uids, size_t n);
	void *arg;
};

/*
 * Start the fetch thread on src (copied; what it points to is borrowed
 * until fetchq_finish()) for uids[0..n) (copied), chunk UIDs per fetch()
 * (0: 100). cfg (borrowed, must outlive the queue) gives the parse
 * limits. triage (borrowed, may be NULL) is passed to intake_prepare():
 * the thread reads it while the caller classifies with it, so it must
 * not be replaced or freed until fetchq_finish(). Errors: MD_ERR_NOMEM,
 * MD_ERR_STATE when no thread can be started; src was then not used.
 */
enum md_err fetchq_start(const struct fetchq_source *src, const uint32_t *uids, size_t n,
    size_t chunk, const struct md_config *cfg, const struct triage *triage,
    struct fetchq **out);

/*
 * The next item, waiting for it. Never NULL: after FETCHQ_END, FETCHQ_END
 * again. Hand every item back with fetchq_done().
 */
struct fetchq_item *fetchq_next(struct fetchq *q);

/* The caller is done with item (and its raw bytes and prep). */
void fetchq_done(struct fetchq *q, struct fetchq_item *item);

/*
 * Have uids[0..n) (copied) marked as taken in (the source's mark()):
 * between two chunks once a few hundred are gathered, and all that are
 * left when fetching is done or fetchq_finish() is called. MD_ERR_NOMEM when they cannot
 * be queued (they stay unmarked and are recognised when fetched again).
 */
enum md_err fetchq_mark(struct fetchq *q, const uint32_t *uids, size_t n);

/*
 * Stop fetching (items not yet handed over are dropped: they stay on the
 * server), let the thread mark everything asked for, join it and free q.
 * Returns the first marking error (MD_OK when all were marked); the fetch
 * error was in the FETCHQ_END item, if the caller got that far. The
 * connection is the caller's again, usable unless an error said otherwise.
 */
enum md_err fetchq_finish(struct fetchq *q);

#endif
