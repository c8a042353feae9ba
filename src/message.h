/*
 * One RFC 5322 message as memberdesk reads it: headers decoded to UTF-8
 * (RFC 2047, RFC 2231), the text body converted to UTF-8 (HTML turned into
 * readable text when there is no text part), attachments decoded with their
 * file names. Parsing never fails on content alone: malformed parts become
 * warnings and whatever could be read is kept; the raw bytes remain the
 * caller's and are stored verbatim elsewhere.
 */
#ifndef MD_MESSAGE_H
#define MD_MESSAGE_H

#include <stddef.h>
#include <time.h>

#include "error.h"

struct message_limits {
	size_t max_message_size;     /* larger input: MD_ERR_LIMIT, nothing parsed */
	size_t max_header_count;     /* headers past this are ignored, with a warning */
	size_t max_line_length;      /* longer header lines are cut, with a warning */
	size_t max_mime_depth;       /* deeper parts are not descended into */
	size_t max_mime_parts;       /* parts past this are not decoded */
	size_t max_attachment_size;  /* bigger attachments keep name/size, data NULL */
	size_t max_text_size;        /* text is cut at this many bytes, with a warning */
};

/* Sensible defaults (25 MiB message, 1000 headers, ...). */
void message_limits_default(struct message_limits *lim);

struct message_header {
	char *name;    /* owned, as written (case kept) */
	char *value;   /* owned, unfolded, RFC 2047 decoded to UTF-8, control chars removed */
};

enum message_encoding {
	MESSAGE_ENC_IDENTITY,	/* 7bit, 8bit, binary or none */
	MESSAGE_ENC_BASE64
};

/*
 * A large attachment of a message parsed from a spool mapping (spool.h) is
 * not decoded into memory: data is NULL and encoded points at its body in
 * the raw message, to be decoded piece by piece with
 * message_attachment_decode() while the raw message is still mapped.
 */
#define MESSAGE_DEFER_MIN	((size_t)256 * 1024)

struct message_attachment {
	char *filename;       /* owned, UTF-8 (RFC 2231 / RFC 2047 decoded); "" when none */
	char *content_type;   /* owned, lower case "type/subtype" */
	size_t size;          /* decoded size in bytes */
	unsigned char *data;  /* owned, decoded bytes; NULL when over the size limit or deferred */
	const char *encoded;  /* borrowed from raw when deferred (see above), else NULL */
	size_t encoded_len;
	enum message_encoding encoding;  /* of encoded */
};

enum message_flag {
	MESSAGE_TEXT_FROM_HTML = 1 << 0,  /* text was derived from an HTML part */
	MESSAGE_TRUNCATED      = 1 << 1,  /* some limit cut something off */
	MESSAGE_MALFORMED      = 1 << 2,  /* structure could not be fully parsed */
	MESSAGE_CHARSET_ERRORS = 1 << 3   /* some text could not be converted exactly */
};

struct message {
	char *subject;         /* owned, UTF-8; "" when absent */
	char *from_addr;       /* owned, lower-case addr-spec; NULL when absent or unparseable */
	char *from_name;       /* owned, UTF-8 display name; "" when none */
	char *reply_to_addr;   /* owned or NULL */
	char **to_addrs;       /* owned array of owned lower-case addresses */
	size_t n_to;
	char **cc_addrs;       /* owned array of owned lower-case addresses */
	size_t n_cc;
	time_t date;           /* Date header as UTC seconds; 0 when absent or unparseable */
	char *message_id;      /* owned, without angle brackets; NULL when absent */
	char *in_reply_to;     /* owned, first msg-id without brackets; NULL when absent */
	char **references;     /* owned array of owned msg-ids without brackets, oldest first */
	size_t n_references;
	char *content_type;    /* owned, lower case top-level "type/subtype" */
	struct message_header *headers;  /* owned array, in message order */
	size_t n_headers;
	char *text;            /* owned, UTF-8 body text; "" when none */
	size_t text_len;
	struct message_attachment *attachments;  /* owned array */
	size_t n_attachments;
	unsigned flags;        /* enum message_flag bits */
	char **warnings;       /* owned array of owned English sentences about problems */
	size_t n_warnings;
};

/*
 * Parse raw (len bytes, need not be NUL-terminated) under lim (NULL: the
 * defaults). Returns MD_OK and sets *out; MD_ERR_LIMIT when the message is
 * larger than lim->max_message_size; MD_ERR_NOMEM. Broken content is never an
 * error: it sets MESSAGE_MALFORMED and adds warnings.
 */
enum md_err message_parse(const char *raw, size_t len, const struct message_limits *lim,
    struct message **out);

/*
 * Hand attachment a's decoded bytes (exactly a->size of them, also when it
 * was deferred) to sink in pieces of at most SPOOL_STEP bytes, in order.
 * A deferred attachment reads the raw message, which must still be valid.
 * Returns the first non-MD_OK result of sink; MD_ERR_STATE for an
 * attachment whose data was not kept.
 */
enum md_err message_attachment_decode(const struct message_attachment *a,
    enum md_err (*sink)(const void *p, size_t n, void *arg), void *arg);

/* Value of the first header called name (case-insensitive), or NULL. */
const char *message_header(const struct message *msg, const char *name);

void message_free(struct message *msg);

#endif
