/*
 * Header field values as mail clients write them: RFC 2047 encoded words
 * (adjacent words joined before conversion, so a character split across
 * two words survives), raw 8-bit text in whatever the sender's system used,
 * and RFC 2231 parameters with continuations and charsets. Every decoded
 * value is UTF-8 without control characters: values end up in outgoing
 * mail and logs, so they must never carry CR or LF.
 */
#ifndef MD_HDRDECODE_H
#define MD_HDRDECODE_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

/*
 * Decode the unstructured value in[0..len) (folded or not) and append the
 * UTF-8 result to out: encoded words decoded, 8-bit bytes outside encoded
 * words converted from hint (the message's charset; NULL: guess), CR, LF,
 * NUL and other control characters removed (tab becomes a space), leading
 * and trailing blanks trimmed. ORs enum charset_status bits into *status.
 * MD_ERR_LIMIT when out is full (a prefix is kept), MD_ERR_NOMEM.
 */
enum md_err hdr_decode(const char *in, size_t len, const char *hint, struct buf *out,
    unsigned *status);

/*
 * Same as hdr_decode() into a new string (*out, caller frees), at most
 * limit bytes (longer values are cut on a character boundary).
 * MD_ERR_NOMEM only.
 */
enum md_err hdr_decode_str(const char *in, size_t len, const char *hint, size_t limit,
    char **out, unsigned *status);

/*
 * Remove from the UTF-8 buffer b every C0 and C1 control character and
 * DEL (tab becomes a space) and trim blanks at both ends. Works in place.
 */
void hdr_clean(struct buf *b);

struct hdr_param {
	char *name;   /* owned, lower case, without RFC 2231 section or '*' */
	char *value;  /* owned, UTF-8, control characters removed */
};

/* A parameterised field such as Content-Type or Content-Disposition. */
struct hdr_params {
	char *value;               /* owned, lower-case main value ("text/plain"); "" when none */
	struct hdr_param *params;  /* owned array, one entry per distinct name */
	size_t n;
};

/*
 * Parse in[0..len): main value, then "; name=value" parameters (quoted or
 * not, tolerant of missing semicolons and unterminated quotes), with RFC
 * 2231 sections (name*0, name*1*, ...) joined in order and percent-decoded
 * and converted from their declared charset, and RFC 2047 words inside
 * plain values decoded. An RFC 2231 value wins over a plain one of the same
 * name. hint is as for hdr_decode(). On success *out is filled (free it
 * with hdr_params_free()). MD_ERR_NOMEM only; nonsense yields fewer params.
 */
enum md_err hdr_params_parse(const char *in, size_t len, const char *hint,
    struct hdr_params *out, unsigned *status);

/* Value of parameter name (lower case), or NULL. */
const char *hdr_params_get(const struct hdr_params *p, const char *name);

/* Free the contents of p (not p itself); safe on a zeroed struct. */
void hdr_params_free(struct hdr_params *p);

/*
 * Transfer decoders, shared by encoded words and MIME bodies. Both are
 * lenient: base64 skips characters outside its alphabet and stops at
 * padding; quoted-printable keeps a malformed "=" sequence literally. q_mode
 * selects the RFC 2047 "Q" variant ('_' is a space). *bad is set nonzero
 * when the input was not well formed. MD_ERR_LIMIT, MD_ERR_NOMEM from out.
 */
enum md_err te_base64_decode(const char *in, size_t len, struct buf *out, int *bad);
enum md_err te_qp_decode(const char *in, size_t len, int q_mode, struct buf *out, int *bad);

#endif
