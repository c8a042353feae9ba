/*
 * Every message memberdesk reads or sends is kept verbatim (raw bytes and
 * their SHA-256) next to the fields parsed out of it, so that nothing is
 * lost even when parsing got something wrong, and so that a message seen
 * again after a crash or a UIDVALIDITY change is recognised instead of
 * opening a second case. The IMAP position reached in each mailbox is kept
 * here too, in the same transactions as the messages.
 */
#ifndef MD_MSGSTORE_H
#define MD_MSGSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "db.h"
#include "error.h"
#include "message.h"

/* Hex SHA-256 plus NUL. */
#define MSGSTORE_SHA256_HEX 65

/* Lower-case hex SHA-256 of len bytes at raw into out (MSGSTORE_SHA256_HEX bytes). */
enum md_err msgstore_sha256_hex(const void *raw, size_t len, char *out);

/*
 * Lower-case hex SHA-256 of attachment a's decoded bytes into out
 * (MSGSTORE_SHA256_HEX bytes); a deferred attachment is decoded from the raw
 * message, which must still be valid. MD_ERR_STATE for an attachment whose
 * data was not kept, MD_ERR_NOMEM.
 */
enum md_err msgstore_attachment_sha256(const struct message_attachment *a, char *out);

/*
 * Is the message already recorded? Each lookup returns MD_OK with *id set
 * (the oldest match), MD_ERR_NOTFOUND, or a mapped database error. id may
 * be NULL.
 *  - by IMAP position: the same mailbox, UIDVALIDITY and UID;
 *  - by Message-ID (without angle brackets, compared exactly);
 *  - by SHA-256 hex of the raw bytes: the same bytes delivered twice
 *    (incoming mail only: outgoing copies are not indexed by hash, schema 8).
 */
enum md_err msgstore_find_uid(struct db *db, const char *mailbox, uint32_t uidvalidity,
    uint32_t uid, int64_t *id);
enum md_err msgstore_find_message_id(struct db *db, const char *message_id, int64_t *id);
enum md_err msgstore_find_sha256(struct db *db, const char *sha256_hex, int64_t *id);

struct msgstore_new {
	const char *mailbox;      /* NULL for messages we sent (direction "out") */
	uint32_t uidvalidity;     /* ignored when mailbox is NULL */
	uint32_t uid;
	const char *raw;          /* the message exactly as fetched or sent */
	size_t raw_len;
	const struct message *msg;  /* parsed fields and attachments; NULL when parsing failed */
	int64_t case_id;          /* 0: not (yet) linked to a case */
	int outgoing;             /* nonzero: direction "out" */
	time_t received_at;
	const char *sha256_hex;   /* the raw bytes' hash when known (msgstore_sha256_hex()); NULL: computed */
	/*
	 * The attachments' hashes when known, one per msg->attachments[] entry
	 * (msgstore_attachment_sha256(), "" for one not kept); NULL: computed
	 * from the attachments' data here.
	 */
	const char (*attachment_sha256)[MSGSTORE_SHA256_HEX];
};

/*
 * Record a message, its parsed fields and one attachments row per
 * attachment of msg, which must be what message_parse() made of raw (the
 * attachments are read back by parsing raw again, see
 * msgstore_parse_stored()). A row keeps name, type, size, the attachment's
 * position in msg (part, from 0) and, when the parser kept its data, the
 * SHA-256 of the decoded bytes (sha256 NULL: over the size limit, not kept);
 * the bytes themselves are only in raw. Raw bytes of 1 MiB and more are
 * written in steps (sqlite3_blob_write), so that SQLite never holds them
 * whole; a deferred attachment is hashed from raw, which must still be
 * valid. Runs inside the caller's transaction when there is one, else in
 * its own. *id (may be NULL) receives the new row id. MD_ERR_EXISTS when
 * the mailbox/UIDVALIDITY/UID is already recorded; MD_ERR_INPUT without raw
 * bytes; MD_ERR_NOMEM; database errors as db_status().
 */
enum md_err msgstore_insert(struct db *db, const struct msgstore_new *in, int64_t *id);

/*
 * Link a stored message to a case afterwards. SQLite rewrites the whole
 * row, raw message included (WAL pages, and twice the message in memory):
 * where the case is known before the message is stored, set
 * msgstore_new.case_id instead. MD_ERR_NOTFOUND for an unknown message.
 */
enum md_err msgstore_set_case(struct db *db, int64_t message_id, int64_t case_id);

/*
 * The raw bytes of a stored message (*raw owned by the caller, NUL-terminated
 * for convenience, *len without the NUL). MD_ERR_NOTFOUND.
 */
enum md_err msgstore_get_raw(struct db *db, int64_t id, char **raw, size_t *len);

/*
 * Parse stored message id again from its raw bytes, to read the
 * attachments that its attachments rows identify by part. lim should be
 * the limits intake parsed it with (they decide which parts are reached);
 * its max_message_size and max_attachment_size are not applied, so every
 * attachment comes back with its data decoded in memory. A reader compares
 * name, type, size and SHA-256 with the row before trusting the bytes: a
 * changed configuration or parser could number the parts differently.
 * *out is the caller's (message_free()). MD_ERR_NOTFOUND, MD_ERR_NOMEM,
 * database errors.
 */
enum md_err msgstore_parse_stored(struct db *db, int64_t id, const struct message_limits *lim,
    struct message **out);

struct mailbox_state {
	uint32_t uidvalidity;
	uint32_t last_uid;        /* highest UID fully processed */
	time_t last_poll_at;      /* 0: never */
};

/* Where polling of mailbox got to. MD_ERR_NOTFOUND for a mailbox never polled. */
enum md_err msgstore_mailbox_get(struct db *db, const char *mailbox, struct mailbox_state *st);

/* Record (insert or replace) where polling of mailbox got to. */
enum md_err msgstore_mailbox_set(struct db *db, const char *mailbox,
    const struct mailbox_state *st);

/*
 * The Message-ID that started case_id's thread (its first recorded message
 * with one), for threading headers; *out is NULL when there is none
 * (caller frees). Errors: MD_ERR_NOMEM, database errors.
 */
enum md_err msgstore_thread_root(struct db *db, int64_t case_id, char **out);

#endif
