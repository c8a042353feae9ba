/*
 * Taking in one message from the chamber's mailbox. Everything a message
 * causes — its record, its case, the case's events, the notices it
 * triggers — is written in one transaction (inside the daemon's batch of
 * a fetch chunk, a savepoint: see db_batch_begin()). The caller marks the
 * message on the IMAP server only after that transaction committed, so a
 * stop at any moment leaves either nothing (the message is fetched again)
 * or everything (the message is recognised and only marked).
 */
#ifndef MD_INTAKE_H
#define MD_INTAKE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "autodetect.h"
#include "calendar.h"
#include "case.h"
#include "config.h"
#include "db.h"
#include "error.h"
#include "message.h"
#include "msgstore.h"
#include "triage.h"

/* What the daemon hands intake: all borrowed, none modified. */
struct intake_env {
	const struct md_config *cfg;
	struct db *db;
	const struct calendar *cal;   /* NULL: weekends only */
	const struct triage *triage;  /* NULL: every request is "other", no flags */
};

/* Where a message in the mailbox came from, for the duplicate check. */
struct intake_source {
	const char *mailbox;
	uint32_t uidvalidity;
	uint32_t uid;
};

enum intake_outcome {
	INTAKE_NEW_CASE,     /* a new case was registered and acknowledged */
	INTAKE_AUTOMATIC,    /* automatic mail (bounce, auto-reply, list): recorded, not answered */
	INTAKE_DUPLICATE,    /* same Message-ID or content as a recorded message: not recorded again */
	INTAKE_ALREADY,      /* this mailbox UID was recorded before (e.g. a crash before marking) */
	INTAKE_UNFILED,      /* recorded without a case (no usable sender address, or a
	                        non-participant writing about a case: secretariat alerted) */
	INTAKE_OVERSIZE,     /* too large to read: the head is recorded, the message stays on the server */
	INTAKE_FOLLOWUP      /* a follow-up on a case (member message, feedback, staff reply or
	                        commands; see followup.h), or staff commands without a case */
};

/* Room for one log line about a message. */
#define INTAKE_NOTE_MAX 512

struct intake_result {
	enum intake_outcome outcome;
	int64_t message_row;                /* 0 when nothing was recorded */
	int64_t case_id;                    /* 0 when no case is involved */
	char case_number[CASE_NUMBER_MAX];  /* "" when no case is involved */
	/*
	 * What happened, for the log ("" when nothing to say), and whether it
	 * is a warning. Intake does not log it itself: inside a batch
	 * (db_batch_begin()) its commit is only a savepoint, and a line such
	 * as "case ... registered" must not appear for work that may still be
	 * rolled back. The caller logs it once the work is durable.
	 */
	char note[INTAKE_NOTE_MAX];
	int note_is_warning;
};

/*
 * What is worked out about a message before the database is touched: its
 * parse, whether it is automatic mail, its content hash and the
 * message-only parts of its classification. Nothing here reads the
 * database or global state, so the daemon builds it on its fetch thread
 * while the message before is being written.
 */
struct intake_prepared {
	struct message *msg;            /* owned; NULL when over_limit */
	int over_limit;                 /* too large or complex to parse: taken in as oversize */
	struct auto_verdict verdict;    /* owned; set when msg is */
	char sha256[MSGSTORE_SHA256_HEX];
	/*
	 * Owned; one per msg->attachments[] entry ("" for one not kept), or
	 * NULL without attachments. Once hashed, an attachment's decoded
	 * bytes are freed: the raw message holds them, and nothing after
	 * intake_prepare() needs them.
	 */
	char (*attachment_sha256)[MSGSTORE_SHA256_HEX];
	/*
	 * Owned: triage_precompute() for msg, worked out only for mail that
	 * may open a case (parsed, not automatic, a usable sender) when
	 * intake_prepare() was given a triage; classified_by says which.
	 */
	struct classify_precomputed classified;
	/*
	 * Borrowed, compared only, never dereferenced: the triage classified
	 * was worked out with, or NULL when it was not. It is used only when
	 * intake_message_prepared() gets the same triage in its env.
	 */
	const struct triage *classified_by;
};

/*
 * Fill *p for raw (len bytes, borrowed: it must stay valid and unchanged
 * until intake_message_prepared() is done with p). With triage (borrowed,
 * may be NULL: the classification is then left to the database side) the
 * message-only parts of the classification are worked out too; triage is
 * only read (triage_precompute()). On an error nothing is left to free.
 * Errors: MD_ERR_NOMEM, and message_parse()'s errors other than
 * MD_ERR_LIMIT (which sets over_limit instead).
 */
enum md_err intake_prepare(const struct md_config *cfg, const struct triage *triage,
    const char *raw, size_t len, struct intake_prepared *p);

/* Free what intake_prepare() built; harmless on a zeroed struct. */
void intake_prepared_free(struct intake_prepared *p);

/* A short English name for an outcome, for logs ("new-case", ...). */
const char *intake_outcome_name(enum intake_outcome outcome);

/*
 * Take in the message raw (len bytes) fetched from src at time now.
 * On MD_OK everything is committed (inside a batch: released, durable
 * with the batch's commit) and *res says what happened; on an error
 * nothing is written (the transaction or the batch's savepoint is rolled
 * back) and the message must not be marked on the server.
 * Errors: MD_ERR_TEMP (database busy), MD_ERR_IO (disk full, read-only),
 * MD_ERR_DB, MD_ERR_NOMEM, MD_ERR_INPUT (a template could not be rendered:
 * a configuration problem).
 */
enum md_err intake_message(const struct intake_env *env, const struct intake_source *src,
    const char *raw, size_t len, time_t now, struct intake_result *res);

/*
 * intake_message() for a message that intake_prepare() has read already
 * (from the same raw and len, with env->cfg, and with env->triage or
 * NULL). p stays the caller's.
 */
enum md_err intake_message_prepared(const struct intake_env *env,
    const struct intake_source *src, const char *raw, size_t len,
    const struct intake_prepared *p, time_t now, struct intake_result *res);

/*
 * The parser limits intake_message() and intake_prepare() apply, from cfg's [limits]. Whoever
 * parses a stored message again to find its attachments by position
 * (msgstore_parse_stored()) uses them too, so the parts are numbered alike.
 */
void intake_message_limits(const struct md_config *cfg, struct message_limits *lim);

/*
 * Record a message too large to read (size bytes as the server reports
 * it, of which head is the first headlen bytes) so that the secretariat
 * learns of it; the message itself stays on the server. Same transaction
 * and error rules as intake_message().
 */
enum md_err intake_oversize(const struct intake_env *env, const struct intake_source *src,
    size_t size, const char *head, size_t headlen, time_t now, struct intake_result *res);

#endif
