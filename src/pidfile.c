/*
 * The pid file and its lock. fcntl() locks die with the process, so a
 * crash or kill -9 never leaves a daemon "running" in the eyes of status.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "pidfile.h"

static char held_path[PATH_MAX];
static pid_t held_pid;
static int held_fd = -1;

enum md_err
pidfile_path(const char *database, char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len, "%s%s", database, PIDFILE_SUFFIX);
	if (n < 0 || (size_t)n >= len)
		return MD_ERR_LIMIT;
	return MD_OK;
}

static void
remove_at_exit(void)
{
	/* A forked child inherits the handler but not the daemon's identity. */
	if (held_pid != 0 && getpid() == held_pid)
		(void)unlink(held_path);
}

static int
parse_pid_line(const char *s, pid_t *pid, time_t *started)
{
	long long p, t;
	char *end;

	errno = 0;
	p = strtoll(s, &end, 10);
	if (errno || end == s || p <= 0 || p > INT_MAX || *end != ' ')
		return -1;
	s = end + 1;
	t = strtoll(s, &end, 10);
	if (errno || end == s || t < 0 || (*end != '\n' && *end != '\0'))
		return -1;
	*pid = (pid_t)p;
	*started = (time_t)t;
	return 0;
}

enum md_err
pidfile_create(const char *database)
{
	struct flock fl;
	struct pidfile_info other;
	char line[64];
	enum md_err err;
	int fd, n;

	if ((err = pidfile_path(database, held_path, sizeof(held_path))))
		return err;
	fd = open(held_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		log_warn("pid file %s", held_path);
		return MD_ERR_IO;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) != 0) {
		close(fd);
		if (pidfile_read(database, &other) == MD_OK && other.locked)
			log_warnx("another memberdeskd (pid %ld) is running on %s",
			    (long)other.lock_pid, database);
		else
			log_warnx("another memberdeskd holds %s", held_path);
		return MD_ERR_EXISTS;
	}
	n = snprintf(line, sizeof(line), "%ld %lld\n", (long)getpid(), (long long)time(NULL));
	if (ftruncate(fd, 0) != 0 || write(fd, line, (size_t)n) != n) {
		log_warn("pid file %s", held_path);
		close(fd);
		return MD_ERR_IO;
	}
	/* Keep fd open: closing any descriptor of the file would drop the lock. */
	held_fd = fd;
	held_pid = getpid();
	if (atexit(remove_at_exit) != 0)
		log_warnx("pid file %s will not be removed at exit", held_path);
	return MD_OK;
}

enum md_err
pidfile_read(const char *database, struct pidfile_info *out)
{
	char path[PATH_MAX], line[64];
	struct flock fl;
	ssize_t n;
	enum md_err err;
	int fd;

	memset(out, 0, sizeof(*out));
	if ((err = pidfile_path(database, path, sizeof(path))))
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? MD_ERR_NOTFOUND : MD_ERR_IO;
	n = read(fd, line, sizeof(line) - 1);
	if (n < 0) {
		close(fd);
		return MD_ERR_IO;
	}
	line[n] = '\0';
	if (parse_pid_line(line, &out->pid, &out->started) != 0) {
		out->pid = 0;
		out->started = 0;
	}
	if (out->pid > 0)
		out->alive = kill(out->pid, 0) == 0 || errno == EPERM;
	/* F_GETLK reports a conflicting lock without taking one (read-only is enough). */
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) {
		out->locked = 1;
		out->lock_pid = fl.l_pid;
	}
	close(fd);
	return MD_OK;
}
