/* The write-ahead log synced apart from its connection: see dbsync.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "dbsync.h"

struct dbsync {
	int wal;	/* owned: the log, read-only (syncing needs no write access) */
	int dir;	/* owned: the directory holding it */
};

/* The directory part of path ("." when it has none), into dir[len]. */
static int
directory_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		snprintf(dir, len, ".");
		return 0;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= len)
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

enum md_err
dbsync_open(struct db *db, struct dbsync **out)
{
	sqlite3_filename file = sqlite3_db_filename(db_handle(db), "main");
	const char *wal;
	struct dbsync *s;
	char dir[4096];
	int saved;

	*out = NULL;
	if (file == NULL || file[0] == '\0')
		return MD_ERR_NOTFOUND;
	wal = sqlite3_filename_wal(file);
	if (wal == NULL || wal[0] == '\0')
		return MD_ERR_NOTFOUND;
	if (directory_of(wal, dir, sizeof(dir)) != 0) {
		errno = ENAMETOOLONG;
		return MD_ERR_IO;
	}
	if ((s = malloc(sizeof(*s))) == NULL)
		return MD_ERR_NOMEM;
	s->dir = -1;
	s->wal = open(wal, O_RDONLY | O_CLOEXEC);
	if (s->wal < 0) {
		saved = errno;
		free(s);
		errno = saved;
		return errno == ENOENT ? MD_ERR_NOTFOUND : MD_ERR_IO;
	}
	s->dir = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir < 0) {
		saved = errno;
		dbsync_close(s);
		errno = saved;
		return MD_ERR_IO;
	}
	*out = s;
	return MD_OK;
}

enum md_err
dbsync_sync(struct dbsync *s)
{
	if (fdatasync(s->wal) != 0 || fsync(s->dir) != 0)
		return MD_ERR_IO;
	return MD_OK;
}

void
dbsync_close(struct dbsync *s)
{
	int saved = errno;

	if (s == NULL)
		return;
	if (s->wal >= 0)
		close(s->wal);
	if (s->dir >= 0)
		close(s->dir);
	free(s);
	errno = saved;
}
