/*
 * Internals of message_parse(), shared by message.c (the top-level
 * fields) and mime_walk.c (the MIME tree). Not for other modules.
 */
#ifndef MD_MIME_WALK_H
#define MD_MIME_WALK_H

#include <stddef.h>

#include "buf.h"
#include "error.h"
#include "message.h"

#define MIME_FIELD_MAX		(64 * 1024)	/* one unfolded header field */
#define MIME_WARNINGS_MAX	64

/* One header field as written, folding removed but nothing decoded. */
struct mime_field {
	char *name;    /* owned, as written */
	char *raw;     /* owned, NUL-terminated, line breaks removed */
	size_t raw_len;
};

struct mime_fields {
	struct mime_field *v;  /* owned array */
	size_t n;
	size_t cap;
};

struct parse_ctx {
	const struct message_limits *lim;
	struct message *msg;
	enum md_err err;        /* first allocation failure: the parse fails with it */
	size_t n_parts;         /* MIME entities seen, for max_mime_parts */
	size_t warn_cap;
	size_t att_cap;
	unsigned warned;        /* enum warn_once bits */
	struct buf plain;       /* text from text/plain parts */
	struct buf html;        /* text from text/html parts */
	int saw_plain;
	int saw_html;
	char hint[48];          /* top-level charset, for raw 8-bit header text */
};

/* Warnings that would otherwise repeat for every part or line. */
enum warn_once {
	WARN_LINE_LENGTH = 1 << 0,
	WARN_HEADER_COUNT = 1 << 1,
	WARN_PARTS = 1 << 2,
	WARN_DEPTH = 1 << 3,
	WARN_TEXT_SIZE = 1 << 4,
	WARN_FIELD_SIZE = 1 << 5
};

/*
 * Add an English warning (formatted, made valid UTF-8 without control
 * characters) to ctx->msg. Past MIME_WARNINGS_MAX they are counted into
 * one final line. Allocation failure is recorded in ctx->err.
 */
void ctx_warn(struct parse_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Parse the header block at data[0..len) into out (at most max fields;
 * the rest are skipped with a warning) and set *body_off to where the
 * body starts. A line that is not a header ends the block (warning,
 * MESSAGE_MALFORMED). MD_ERR_NOMEM only.
 */
enum md_err mime_fields_parse(struct parse_ctx *ctx, const char *data, size_t len,
    size_t max, struct mime_fields *out, size_t *body_off);

/* First field called name (case-insensitive), or NULL. */
const struct mime_field *mime_fields_get(const struct mime_fields *f, const char *name);

void mime_fields_free(struct mime_fields *f);

/*
 * Walk the entity whose fields are hdrs and body is body[0..len): text
 * parts into ctx->plain / ctx->html, everything else into
 * ctx->msg->attachments, problems into warnings and flags. Errors go to
 * ctx->err.
 */
void mime_walk(struct parse_ctx *ctx, const struct mime_fields *hdrs, const char *body,
    size_t len);

#endif
