/*
 * Building outgoing notices as complete RFC 5322 messages: CRLF line
 * endings, text/plain UTF-8 body in base64, RFC 2047 encoded headers,
 * threading headers for standard clients and for Outlook, and the marks
 * (Auto-Submitted, X-Auto-Response-Suppress, X-Memberdesk-Loop) that stop
 * mail loops.
 *
 * Every string handed in may come from a member's mail. Nothing in it can
 * add a header or a recipient: control characters in text values become
 * spaces (headers) or are dropped (body), invalid UTF-8 becomes U+FFFD, and
 * addresses, domains and message ids are validated instead of cleaned.
 */
#ifndef MD_NOTICE_H
#define MD_NOTICE_H

#include <stddef.h>
#include <time.h>

#include "error.h"

/* Largest body accepted, in bytes before encoding. */
#define NOTICE_MAX_BODY		(4 * 1024 * 1024)
/* References kept: the first (thread root) and the most recent ones. */
#define NOTICE_MAX_REFERENCES	20
/* Longest message id accepted, without the angle brackets. */
#define NOTICE_MAX_MSGID	250

enum notice_auto {
	NOTICE_AUTO_GENERATED,  /* Auto-Submitted: auto-generated (reminders, digests, ...) */
	NOTICE_AUTO_REPLIED,    /* Auto-Submitted: auto-replied (answers to a member's mail) */
	NOTICE_AUTO_NONE        /* no Auto-Submitted: a human's words relayed (staff reply) */
};

struct notice {
	const char *from_addr;       /* required addr-spec */
	const char *from_name;       /* UTF-8 display name or NULL */
	const char *to_addr;         /* required addr-spec */
	const char *to_name;         /* UTF-8 display name or NULL */
	const char *reply_to;        /* addr-spec or NULL */
	const char *subject;         /* UTF-8, required (may be "") */
	const char *body;            /* UTF-8 text, any line endings, required */
	const char *message_id;      /* without brackets; NULL: generate one */
	const char *in_reply_to;     /* without brackets, or NULL */
	const char *const *references; /* without brackets, oldest first; may be NULL */
	size_t n_references;
	const char *domain;          /* required: Message-ID right side, loop header value */
	time_t date;                 /* the Date header */
	const char *timezone;        /* IANA zone for Date, e.g. Asia/Shanghai; NULL: +0000 */
	enum notice_auto auto_submitted;
	const char *thread_topic;    /* UTF-8 Thread-Topic, or NULL for none */
	const char *thread_root;     /* the case's first Message-ID (no brackets): gives the
	                                Thread-Index GUID; NULL: no Thread-Index */
	time_t thread_time;          /* the case's creation time for Thread-Index; 0: date */
};

struct notice_msg {
	char *data;          /* owned: the message, CRLF line endings, NUL-terminated */
	size_t len;
	char *message_id;    /* owned: the Message-ID used, without brackets */
	/*
	 * What a reader decodes from data, so that the sender can record its
	 * own message without parsing it back (message_parse() gives the same):
	 */
	char *subject;       /* owned: the Subject as sent, cleaned, UTF-8 */
	char *from_name;     /* owned: the From display name as sent, cleaned; "" for none */
	char *text;          /* owned: the body as sent, LF line ends, UTF-8 */
	size_t text_len;
};

/*
 * Build the message described by n into *out (caller frees with
 * notice_msg_free()). In-Reply-To and References entries that are not valid
 * message ids are left out (they come from mail and must not stop a notice);
 * References keeps the first and the NOTICE_MAX_REFERENCES - 1 latest.
 * Header lines are folded to at most 78 characters except for a single
 * message id longer than that.
 * Errors: MD_ERR_INPUT (missing required field; invalid from/to/reply-to
 * address, domain, explicit message_id or timezone), MD_ERR_LIMIT (body
 * larger than NOTICE_MAX_BODY), MD_ERR_NOMEM, MD_ERR_IO (no random bytes).
 */
enum md_err notice_build(const struct notice *n, struct notice_msg *out);

/* Free the contents of m (not m itself); safe on a zeroed or freed struct. */
void notice_msg_free(struct notice_msg *m);

/*
 * Nonzero when addr is a plain ASCII addr-spec memberdesk will send to:
 * one '@', a dot-atom-like local part of at most 64 bytes, a host-name
 * domain, at most 254 bytes in all; never spaces, control characters,
 * quotes, brackets, commas or angle brackets.
 */
int notice_address_valid(const char *addr);

/* Nonzero when id (without brackets) is a message id we will write. */
int notice_msgid_valid(const char *id);

/*
 * Write t as an RFC 5322 date ("Tue, 03 Mar 2026 09:05:00 +0800") in zone
 * (NULL or "UTC": +0000) into dst. Changes TZ for the duration of the call,
 * so it is not thread-safe. Errors: MD_ERR_INPUT (zone unknown or not a
 * plain zone name), MD_ERR_LIMIT (dst too small).
 */
enum md_err notice_format_date(time_t t, const char *zone, char *dst, size_t dstlen);

/*
 * Write the Outlook Thread-Index for a thread whose root Message-ID is root
 * and which started at t: base64 of 22 bytes, a 6-byte FILETIME header
 * (reserved byte 0x01, then bits 16..55 of t as FILETIME) and a 16-byte
 * GUID made from the SHA-256 of root (RFC 4122 version 5 and variant bits
 * set). Every notice of a case thus carries the same index, which is what
 * makes Outlook put them in one conversation. dst needs 33 bytes.
 * Errors: MD_ERR_LIMIT (dst too small), MD_ERR_IO (hash failure).
 */
enum md_err notice_thread_index(const char *root, time_t t, char *dst, size_t dstlen);

#endif
