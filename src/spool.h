/*
 * A large message on its way in, kept in an unlinked temporary file instead
 * of the heap and read through a read-only mapping. The mapping's pages are
 * file pages: dropping them from the process (spool_release()) never loses
 * data, the next access reads them back from the page cache. That lets
 * code walking a large message bound its resident size by releasing what
 * it has consumed, without knowing whether its input is spooled.
 *
 * One spool may be mapped at a time in a process (the daemon takes in one
 * message at a time); not for use from several threads.
 */
#ifndef MD_SPOOL_H
#define MD_SPOOL_H

#include <stddef.h>

#include "error.h"

/* Work through spooled data in steps of this many bytes, releasing behind. */
#define SPOOL_STEP	((size_t)1024 * 1024)

struct spool;

/*
 * Create an empty spool: an unlinked file in dir (O_TMPFILE, or a named
 * file unlinked at once where the file system lacks it), mode 0600, so
 * nothing is left behind after a crash. limit bounds what may be written.
 * MD_ERR_IO (with errno's reason logged), MD_ERR_NOMEM.
 */
enum md_err spool_create(const char *dir, size_t limit, struct spool **out);

/* Append n bytes. MD_ERR_LIMIT past the limit (nothing written), MD_ERR_IO. */
enum md_err spool_write(struct spool *s, const void *p, size_t n);

/* Bytes written so far. */
size_t spool_size(const struct spool *s);

/*
 * Map what was written read-only; *data stays valid until spool_free().
 * An empty spool maps to a valid empty string. MD_ERR_STATE when another
 * spool is mapped, MD_ERR_IO.
 */
enum md_err spool_map(struct spool *s, const char **data, size_t *len);

/* Unmap, close (the file disappears) and free; NULL is allowed. */
void spool_free(struct spool *s);

/* Nonzero when p points into the mapped spool. */
int spool_contains(const void *p);

/*
 * Drop the resident pages wholly inside [p, p + len) when they belong to
 * the mapped spool; a no-op for any other memory. The data stays readable.
 */
void spool_release(const void *p, size_t len);

#endif
