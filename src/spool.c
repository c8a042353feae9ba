/*
 * Spool files for large incoming messages. The current mapping is kept in
 * file-level state so that spool_release() can tell its pages from heap
 * memory: MADV_DONTNEED on anonymous memory would zero it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"

struct spool {
	int fd;
	size_t size;
	size_t limit;
	char *map;	/* NULL until spool_map() */
	size_t map_len;
};

/* The one mapped spool, for spool_contains() and spool_release(). */
static const struct spool *mapped;

static int
open_unlinked(const char *dir)
{
	char path[4096];
	int fd, n;

#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
#endif
	n = snprintf(path, sizeof(path), "%s/.memberdesk-spool-XXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}

enum md_err
spool_create(const char *dir, size_t limit, struct spool **out)
{
	struct spool *s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return MD_ERR_NOMEM;
	s->limit = limit;
	s->fd = open_unlinked(dir && *dir ? dir : ".");
	if (s->fd < 0) {
		log_warn("spool file in %s", dir && *dir ? dir : ".");
		free(s);
		return MD_ERR_IO;
	}
	*out = s;
	return MD_OK;
}

enum md_err
spool_write(struct spool *s, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	if (s->map != NULL)
		return MD_ERR_STATE;
	if (n > s->limit - s->size)
		return MD_ERR_LIMIT;
	while (n > 0) {
		w = write(s->fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_warn("spool file write");
			return MD_ERR_IO;
		}
		c += w;
		n -= (size_t)w;
		s->size += (size_t)w;
	}
	return MD_OK;
}

size_t
spool_size(const struct spool *s)
{
	return s->size;
}

enum md_err
spool_map(struct spool *s, const char **data, size_t *len)
{
	void *m;

	if (mapped != NULL && mapped != s)
		return MD_ERR_STATE;
	if (s->map == NULL) {
		/* One spare byte: mmap() refuses length 0 for an empty spool. */
		s->map_len = s->size + 1;
		m = mmap(NULL, s->map_len, PROT_READ, MAP_PRIVATE, s->fd, 0);
		if (m == MAP_FAILED) {
			log_warn("spool file mmap");
			return MD_ERR_IO;
		}
		s->map = m;
		mapped = s;
	}
	*data = s->map;
	*len = s->size;
	return MD_OK;
}

void
spool_free(struct spool *s)
{
	if (s == NULL)
		return;
	if (s->map != NULL)
		munmap(s->map, s->map_len);
	if (mapped == s)
		mapped = NULL;
	close(s->fd);
	free(s);
}

int
spool_contains(const void *p)
{
	uintptr_t a = (uintptr_t)p, b;

	if (mapped == NULL)
		return 0;
	b = (uintptr_t)mapped->map;
	return a >= b && a < b + mapped->map_len;
}

void
spool_release(const void *p, size_t len)
{
	uintptr_t lo, hi, b, e, page;

	if (mapped == NULL || len == 0)
		return;
	page = (uintptr_t)sysconf(_SC_PAGESIZE);
	b = (uintptr_t)mapped->map;
	e = b + mapped->map_len;
	lo = (uintptr_t)p;
	hi = lo + len;
	if (hi <= b || lo >= e)
		return;
	if (lo < b)
		lo = b;
	if (hi > e)
		hi = e;
	lo = (lo + page - 1) & ~(page - 1);
	hi &= ~(page - 1);
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
}
