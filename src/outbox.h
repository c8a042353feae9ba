/*
 * The outbox: every notice is rendered completely (RFC 5322, CRLF) and
 * queued in the same transaction as the state change that caused it, so a
 * notice can neither be lost nor sent for a change that was rolled back.
 * One row per recipient: a recipient the server refuses does not hold back
 * the others. The sender takes due items, tries them, and records the
 * outcome; until an item is marked sent it will be tried again (so after a
 * crash a notice may go out twice, never zero times).
 */
#ifndef MD_OUTBOX_H
#define MD_OUTBOX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "db.h"
#include "error.h"

/* Longest last_error kept; longer server replies are cut. */
#define OUTBOX_ERROR_MAX 1000

struct outbox_new {
	int64_t case_id;          /* 0: not about a case */
	const char *kind;         /* e.g. "ack", "accepted", "reminder", "relay" */
	const char *message_id;   /* the Message-ID in data, without brackets; unique */
	const char *mail_from;    /* envelope sender; "" for the null sender */
	const char *rcpt;         /* the one envelope recipient */
	const char *data;         /* complete message, CRLF line ends */
	size_t len;
	int64_t message_row;      /* 0: data is kept in the outbox row. Else the messages
	                             row (written before, in this transaction) whose raw
	                             bytes are data: checked here, stored only there */
};

struct outbox_item {
	int64_t id;
	int64_t case_id;          /* 0: none */
	char *kind;               /* owned */
	char *message_id;         /* owned */
	char *mail_from;          /* owned */
	char *rcpt;               /* owned */
	char *data;               /* owned, NUL-terminated for convenience; read from the
	                             notice's message when the row points at one */
	size_t len;               /* bytes of data without the NUL */
	int attempts;             /* tries so far */
	time_t next_attempt_at;
	time_t created_at;
	char *last_error;         /* owned or NULL */
};

struct outbox_counts {
	size_t queued;
	size_t sent;
	size_t failed;
	time_t oldest_queued;     /* created_at of the oldest queued item; 0: none */
};

/*
 * Nonzero when addr can go into an SMTP envelope as given: no CR, LF,
 * angle brackets, spaces or other control characters, exactly one '@' with
 * text on both sides, at most 254 bytes. (Header-injection safety; the
 * message engineer validates mailbox syntax in depth.)
 */
int outbox_address_ok(const char *addr);

/*
 * What outbox_queue() would refuse without touching the database:
 * MD_ERR_INPUT for a bad envelope address, an empty kind, message_id or
 * data, or data containing a bare LF or CR (data must already be CRLF);
 * else MD_OK. For a caller that writes other rows first (the notice's
 * message) and must not leave them behind for a notice that is refused.
 */
enum md_err outbox_check(const struct outbox_new *in);

/*
 * Queue one message for one recipient, due at once, inside the caller's
 * transaction (MD_ERR_STATE without one). MD_ERR_INPUT as outbox_check();
 * MD_ERR_EXISTS when message_id is already queued; database errors as
 * db_status() (MD_ERR_DB for a message_row that does not exist). *id may be
 * NULL.
 */
enum md_err outbox_queue(struct db *db, const struct outbox_new *in, time_t now, int64_t *id);

/*
 * The next item to try: status queued, next_attempt_at <= now, oldest
 * (created first) first. MD_OK with *out set (free with outbox_item_free()),
 * MD_ERR_NOTFOUND when nothing is due, database errors as db_status();
 * MD_ERR_DB when the item's message_row no longer exists (the foreign key
 * keeps it from being deleted). Taking does not change the item.
 */
enum md_err outbox_next_due(struct db *db, time_t now, struct outbox_item **out);

/*
 * The ids of up to max items due at now, in the order outbox_next_due()
 * would take them (one query for a whole batch: finding the oldest reads
 * every due row). ids has room for max. MD_OK with *n >= 1;
 * MD_ERR_NOTFOUND when nothing is due; MD_ERR_INPUT for max 0; database
 * errors as db_status().
 */
enum md_err outbox_due_ids(struct db *db, time_t now, int64_t *ids, size_t max, size_t *n);

/*
 * Item id if it is still queued and due at now (as outbox_next_due() gives
 * it); MD_ERR_NOTFOUND when it is not (finished or put off since its id was
 * taken), database errors as outbox_next_due().
 */
enum md_err outbox_get_due(struct db *db, int64_t id, time_t now, struct outbox_item **out);

void outbox_item_free(struct outbox_item *it);

/*
 * Outcomes. Each applies only to a queued item: MD_ERR_NOTFOUND for an
 * unknown id, MD_ERR_STATE when it is already sent or failed.
 *  - sent: status sent, sent_at = now, attempts + 1;
 *  - retry: attempts + 1, next_attempt_at, last_error (NULL allowed);
 *  - failed: status failed, attempts + 1, last_error (for the operator).
 */
enum md_err outbox_mark_sent(struct db *db, int64_t id, time_t now);
enum md_err outbox_mark_retry(struct db *db, int64_t id, time_t next_attempt_at,
    const char *error);
enum md_err outbox_mark_failed(struct db *db, int64_t id, const char *error);

/* How many items are in each state, and how old the oldest queued one is. */
enum md_err outbox_counts(struct db *db, struct outbox_counts *c);

#endif
