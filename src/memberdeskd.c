/*
 * memberdeskd: the daemon. It takes members' mail from the IMAP mailbox,
 * turns it into cases and sends the notices waiting in the outbox, then
 * waits (IDLE or polling) for more. Every message is committed to the
 * database before it is marked on the server, so a stop at any moment loses
 * nothing; the outbox is only emptied by a server's acceptance.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "pidfile.h"

static volatile sig_atomic_t got_stop;
static volatile sig_atomic_t got_reload;
static volatile sig_atomic_t got_wake;	/* any signal: end the current wait */

static void
on_stop(int sig)
{
	(void)sig;
	got_stop = 1;
	got_wake = 1;
}

static void
on_reload(int sig)
{
	(void)sig;
	got_reload = 1;
	got_wake = 1;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: memberdeskd [-fnv] [-c FILE] [--once]\n"
	    "  -c FILE   configuration file (default %s)\n"
	    "  -f        stay in the foreground and log to stderr\n"
	    "  -n        check the configuration and exit\n"
	    "  -v        more verbose logging (twice: debug)\n"
	    "  --once    take in what is waiting, send what is queued, exit\n",
	    config_default_path());
}

static int
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal must interrupt poll() and sleeps at once. */
	sa.sa_handler = on_stop;
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL))
		return -1;
	sa.sa_handler = on_reload;
	if (sigaction(SIGHUP, &sa, NULL))
		return -1;
	/* libetpan writes with send() without MSG_NOSIGNAL. */
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

/*
 * Give up root, when the configuration names a user, as soon as the
 * configuration and its password files are read: nothing after that needs
 * root. The database and its directory must belong to that user (SQLite
 * creates its -wal and -shm files there), and a reload reads the
 * configuration as that user.
 */
static int
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user == NULL || geteuid() != 0)
		return 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		log_warnx("no such user %s", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		log_warn("cannot become %s", user);
		return -1;
	}
	/* Make sure there is no way back. */
	if (setuid(0) == 0) {
		log_warnx("still able to regain root after dropping to %s", user);
		return -1;
	}
	log_info("running as %s (uid %ld)", user, (long)pw->pw_uid);
	return 0;
}

static int
detach(void)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	if (chdir("/") != 0)
		return -1;
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return -1;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = getenv("MEMBERDESK_CONF");
	struct md_config *cfg = NULL;
	struct daemon *d = NULL;
	int foreground = 0, check_only = 0, once = 0, verbose = 0, ch, status = 1;
	enum md_err err;

	if (path == NULL || *path == '\0')
		path = config_default_path();
	while ((ch = getopt_long(argc, argv, "c:fnvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check_only = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'o':
			once = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	err = config_load(path, stderr, &cfg);
	if (err == MD_OK && check_only)
		err = daemon_check_config(cfg, stderr);
	if (check_only) {
		if (err == MD_OK)
			printf("configuration OK\n");
		config_free(cfg);
		return err == MD_OK ? 0 : 1;
	}
	if (err) {
		fprintf(stderr, "memberdeskd: %s: configuration not usable\n", path);
		return 1;
	}

	/* --once is for cron and tests: it always runs in the foreground. */
	if (once)
		foreground = 1;
	log_init("memberdeskd", foreground,
	    verbose >= 2 ? LOG_LEVEL_DEBUG : verbose == 1 ? LOG_LEVEL_INFO :
	    once ? LOG_LEVEL_WARN : LOG_LEVEL_INFO);
	if (install_signals() != 0) {
		log_warn("sigaction");
		goto out;
	}
	if (!foreground && detach() != 0) {
		log_warn("cannot detach");
		goto out;
	}

	/* The configuration and its secrets are read; the rest runs unprivileged. */
	if (drop_privileges(cfg->run_as_user) != 0)
		goto out;
	/* status reads it; a second daemon on the same database must not run. */
	if (!once && pidfile_create(cfg->database) == MD_ERR_EXISTS)
		goto out;
	err = daemon_new(cfg, &d);
	cfg = NULL;	/* the daemon owns it now, also on failure */
	if (err) {
		log_errx("cannot start: %s", md_strerror(err));
		goto out;
	}
	log_info("started (pid %ld)%s", (long)getpid(), once ? ", single run" : "");
	if (once) {
		err = daemon_run_once(d, &got_stop);
		status = err == MD_OK ? 0 : err == MD_ERR_TEMP ? 75 : 1;
		goto out;
	}
	for (;;) {
		got_wake = 0;
		if (got_reload) {
			got_reload = 0;
			daemon_reload(d, path);
		}
		if (got_stop)
			break;
		(void)daemon_run_once(d, &got_stop);
		if (got_stop)
			break;
		if (!got_wake)
			daemon_wait(d, &got_wake);
	}
	log_info("stopped");
	status = 0;
out:
	daemon_free(d);
	config_free(cfg);
	return status;
}
