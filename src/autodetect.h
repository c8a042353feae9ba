/*
 * Recognising automatic mail (bounces, out-of-office replies, list and bulk
 * mail, feedback reports, other robots, our own notices coming back) so that
 * memberdesk never opens a case for it and never answers it: two robots
 * answering each other is the classic mail loop.
 *
 * The decision is made from headers first (RFC 3834 Auto-Submitted,
 * Precedence, vendor headers, list headers, loop headers, the envelope
 * sender), then from the MIME structure (multipart/report, delivery-status
 * parts), then from well-known sender local parts and subjects. Every verdict
 * carries a reason naming the header and value that decided, so staff can see
 * why a message was set aside.
 *
 * Deliberate choices, documented here because they can surprise:
 * - Mail from postmaster/MAILER-DAEMON-like local parts is always automatic:
 *   those mailboxes belong to mail systems, not to members.
 * - Mail from a noreply-like local part (noreply, no-reply, donotreply, ...)
 *   is automatic (kind "robot"): an answer could not reach anyone. The one
 *   exception, when cfg->noreply_with_reply_to_is_human is set (the
 *   default), is a noreply sender with a Reply-To naming another,
 *   non-noreply address: that is how web forms and some member systems relay
 *   a person's request, so such mail is treated as a member's mail unless
 *   another signal says otherwise.
 * - Subjects alone decide only when a known phrase starts the subject (after
 *   an optional "[" or "【") and is followed by punctuation, a space or the
 *   end: "退货申请" and "休假期间工资" are member requests, "自动回复: ..." and
 *   "Undeliverable: ..." are not.
 * - Feedback-ID (set by bulk senders such as Amazon SES) marks bulk mail.
 * - X-Loop naming our domain or address is a "loop"; any other X-Loop, and
 *   an X-Memberdesk-Loop of another domain (another chamber's memberdesk),
 *   is a "robot": automatic either way.
 * - Report parts (message/delivery-status, ...) count only before the first
 *   embedded message: a member who forwards a bounce to the chamber as an
 *   attachment wrote a human mail.
 * - Without a parsed message (msg NULL) the verdict comes from raw headers
 *   only; RFC 2047 encoded subjects are then not recognised.
 */
#ifndef MD_AUTODETECT_H
#define MD_AUTODETECT_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"
#include "message.h"

/* Name of the header memberdesk puts on every outgoing mail. */
#define AUTODETECT_LOOP_HEADER "X-Memberdesk-Loop"

struct autodetect_config {
	/*
	 * Our own domain (the right-hand side of our Message-IDs). An
	 * X-Memberdesk-Loop or X-Loop naming it (as a domain or as an
	 * address in it) means the mail is our own coming back: kind "loop".
	 * NULL: any X-Memberdesk-Loop counts as our own.
	 */
	const char *loop_domain;
	/* Our own addresses (lower case); mail From one of them is a loop. */
	const char *const *own_addresses;
	size_t n_own_addresses;
	/* See the header comment: a noreply sender with a human Reply-To. */
	int noreply_with_reply_to_is_human;
	/* Bounds for what is extracted for bounce linking. */
	size_t max_failed_recipients;
	size_t max_scan_bytes;          /* bytes of raw body searched for DSN fields */
};

/* Defaults: no loop domain, no own addresses, noreply exception on, 32
 * recipients, 1 MiB scanned. */
void autodetect_config_default(struct autodetect_config *cfg);

struct auto_verdict {
	int is_automatic;
	/*
	 * Static string, NULL when not automatic: "loop", "feedback-report",
	 * "bounce", "auto-reply", "list", "bulk" or "robot". When several
	 * signals are present the first kind in that list wins, so a bounce
	 * that also says "Auto-Submitted: auto-replied" is a "bounce".
	 */
	const char *kind;
	/*
	 * English sentence naming the header and value that decided (mail
	 * content in it is already escaped with log_escape(), so it may be
	 * logged as is); for non-automatic mail, why nothing matched.
	 */
	char reason[256];
	/* Bounce and feedback-report linking; all NULL/0 otherwise. */
	/*
	 * From the returned message or headers part (Message-ID), else the
	 * bounce's In-Reply-To. Only printable ASCII without spaces or angle
	 * brackets is kept, so both are safe for SQL parameters and logs.
	 */
	char *original_message_id;   /* owned, without angle brackets, or NULL */
	/* X-Failed-Recipients, Final-/Original-Recipient, Original-Rcpt-To. */
	char **failed_recipients;    /* owned array of owned lower-case addresses */
	size_t n_failed_recipients;
	int delayed;                 /* a DSN that reports delay only, not failure */
};

/*
 * Decide whether a message is automatic. msg is the parsed message and may
 * be NULL (e.g. when the message was too big to parse): then the top-level
 * headers are read from raw, without RFC 2047 decoding, so encoded subjects
 * are not recognised. raw/len are the message bytes exactly as received
 * (need not be NUL-terminated); they are used for the MIME part headers of
 * reports. cfg NULL means the defaults. *out is always initialised first
 * (release it with autodetect_verdict_free() whatever is returned).
 * Returns MD_OK, MD_ERR_INPUT when raw is NULL or out is NULL, MD_ERR_NOMEM.
 */
enum md_err autodetect_check(const struct message *msg, const char *raw, size_t len,
    const struct autodetect_config *cfg, struct auto_verdict *out);

/* Release the owned members of a verdict and zero it; NULL is allowed. */
void autodetect_verdict_free(struct auto_verdict *v);

/*
 * {"is": true|false, "kind": "bounce"|...|null, "reason": "..."}, plus
 * "original_message_id", "failed_recipients" and "delayed" when a bounce
 * carried them. New reference for the caller; NULL when out of memory.
 */
json_t *autodetect_verdict_json(const struct auto_verdict *v);

#endif
