/*
 * A growable byte buffer with a hard size limit (as in curl's dynbuf): every
 * append that would take the buffer past its limit fails with MD_ERR_LIMIT
 * and leaves the contents unchanged. The data is always NUL-terminated so
 * text can be handed to string functions directly.
 */
#ifndef MD_BUF_H
#define MD_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "error.h"

struct buf {
	char *data;     /* owned; NULL until the first append */
	size_t len;     /* bytes used, not counting the terminating NUL */
	size_t cap;     /* bytes allocated */
	size_t limit;   /* maximum len; appends past it fail */
};

/* Initialise an empty buffer that may hold at most limit bytes. */
void buf_init(struct buf *b, size_t limit);
/* Release the storage; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);
/* Forget the contents but keep the storage. */
void buf_reset(struct buf *b);

/* Append n bytes. MD_ERR_LIMIT past the limit, MD_ERR_NOMEM on allocation failure. */
enum md_err buf_append(struct buf *b, const void *p, size_t n);
/* Append a NUL-terminated string. */
enum md_err buf_puts(struct buf *b, const char *s);
enum md_err buf_putc(struct buf *b, char c);
/* Append formatted text. */
enum md_err buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
enum md_err buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/*
 * Hand the contents to the caller (who frees them) and leave the buffer
 * empty. Returns an allocated empty string when nothing was appended, NULL
 * only when that allocation fails.
 */
char *buf_steal(struct buf *b);

#endif
