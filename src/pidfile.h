/*
 * The daemon's pid file, next to the database: "<database>.pid" holding
 * "PID START_TIME\n" (decimal; start time in seconds since the epoch). The
 * daemon keeps a write lock (fcntl) on it for as long as it runs, so a
 * reader can tell a live daemon from a stale file even when the pid has
 * been reused by another process, and a second daemon on the same
 * database refuses to start. The file lives in the database directory
 * because that is the one directory the (unprivileged) daemon may write.
 */
#ifndef MD_PIDFILE_H
#define MD_PIDFILE_H

#include <sys/types.h>
#include <stddef.h>
#include <time.h>

#include "error.h"

#define PIDFILE_SUFFIX ".pid"

struct pidfile_info {
	pid_t pid;		/* 0 when the file is empty or unreadable */
	time_t started;		/* 0 when unknown */
	int alive;		/* kill(pid, 0) says the process exists */
	int locked;		/* a process holds the daemon's lock */
	pid_t lock_pid;		/* the lock holder when locked */
};

/* "<database>.pid" into buf. MD_ERR_LIMIT when it does not fit. */
enum md_err pidfile_path(const char *database, char *buf, size_t len);

/*
 * Called once by memberdeskd after detaching and dropping privileges:
 * create or take over the pid file of database, write this process's pid
 * and start time, keep the lock until exit, and remove the file at exit().
 * MD_ERR_EXISTS (with a log line) when another live daemon holds the lock:
 * the caller must not run. MD_ERR_IO when the file cannot be written (the
 * daemon can still run; status will say it is not running), MD_ERR_LIMIT
 * for a path too long.
 */
enum md_err pidfile_create(const char *database);

/*
 * Read the pid file of database and find out whether its daemon runs.
 * MD_ERR_NOTFOUND when there is no file, MD_ERR_IO when it cannot be
 * read, MD_ERR_LIMIT for a path too long.
 */
enum md_err pidfile_read(const char *database, struct pidfile_info *out);

#endif
