/*
 * imap_probe: drives src/imap.c against a real server for test_imap.sh.
 *
 *	imap_probe [options] connect		connect, log in, log out
 *	imap_probe [options] status		SELECT; "uidvalidity N uidnext N
 *						exists N idle B move B uidplus B"
 *	imap_probe [options] list		pending UIDs, one a line
 *	imap_probe [options] fetch DIR		pending messages to DIR/UID.eml,
 *						oversize ones to DIR/UID.oversize
 *						("SIZE HEADLEN" then the head)
 *	imap_probe [options] mark		mark every pending message processed
 *	imap_probe [options] idle MS		print "ready", wait in IDLE, print
 *						"newmail", "timeout" or "stopped"
 *
 * Options: -h host -p port -t none|starttls|tls -c ca_file -n (no verify)
 * -u user -w password -m mailbox -f processed_folder -s max_message_size
 * -k chunk -H head_bytes -T timeout_seconds -S spool_dir (fetch then also
 * prints "spooled N": messages handed over from a spool file).
 * The first line printed on a failure is "error NAME", NAME from md_err;
 * the exit status is 0 on success, 1 on an md_err, 2 on a usage error.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imap.h"
#include "log.h"
#include "spool.h"

static volatile sig_atomic_t stop_flag;

static const char *
err_name(enum md_err e)
{
	static const char *const names[] = {
		"MD_OK", "MD_ERR_TEMP", "MD_ERR_FINAL", "MD_ERR_INPUT",
		"MD_ERR_NOMEM", "MD_ERR_IO", "MD_ERR_DB", "MD_ERR_NOTFOUND",
		"MD_ERR_EXISTS", "MD_ERR_STATE", "MD_ERR_TLS", "MD_ERR_AUTH",
		"MD_ERR_LIMIT"
	};

	if ((size_t)e < sizeof(names) / sizeof(names[0]))
		return names[e];
	return "MD_ERR_UNKNOWN";
}

static void
on_term(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int
parse_num(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

struct fetch_ctx {
	const char *dir;
	size_t count;
	size_t oversize;
	size_t spooled;
};

static enum md_err
write_file(const char *path, const char *prefix, const char *data, size_t len)
{
	FILE *f;

	f = fopen(path, "wb");
	if (f == NULL)
		return MD_ERR_IO;
	if ((prefix && fputs(prefix, f) == EOF) ||
	    (len && fwrite(data, 1, len, f) != len)) {
		fclose(f);
		return MD_ERR_IO;
	}
	return fclose(f) == 0 ? MD_OK : MD_ERR_IO;
}

static enum md_err
on_message(uint32_t uid, const char *raw, size_t len, void *arg)
{
	struct fetch_ctx *fc = arg;
	char path[4096];

	snprintf(path, sizeof(path), "%s/%u.eml", fc->dir, (unsigned)uid);
	fc->count++;
	if (spool_contains(raw))
		fc->spooled++;
	return write_file(path, NULL, raw, len);
}

static enum md_err
on_oversize(uint32_t uid, size_t size, const char *head, size_t headlen,
    void *arg)
{
	struct fetch_ctx *fc = arg;
	char path[4096], prefix[64];

	snprintf(path, sizeof(path), "%s/%u.oversize", fc->dir, (unsigned)uid);
	snprintf(prefix, sizeof(prefix), "%zu %zu\n", size, headlen);
	fc->oversize++;
	return write_file(path, prefix, head, headlen);
}

static int
usage(void)
{
	fprintf(stderr, "usage: imap_probe [-h host] [-p port] "
	    "[-t none|starttls|tls] [-c ca] [-n] [-u user] [-w pass] "
	    "[-m mailbox] [-f folder] [-s max] [-k chunk] [-H head] "
	    "[-T timeout] [-S spool_dir] connect|status|list|fetch DIR|mark|idle MS\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct server_config srv;
	struct imap_mailbox_status st;
	struct imap_fetch_limits lim;
	struct imap_fetch_handler h;
	struct fetch_ctx fc;
	struct imap_conn *c = NULL;
	enum imap_idle_result why;
	const char *mailbox = "INBOX", *folder = NULL, *cmd;
	struct sigaction sa;
	uint32_t *uids = NULL;
	size_t n = 0, i;
	enum md_err err;
	long v, idle_ms = 0;
	int ch;

	/* libetpan writes with send() without MSG_NOSIGNAL. */
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	log_init("imap_probe", 1, LOG_LEVEL_INFO);

	memset(&srv, 0, sizeof(srv));
	memset(&lim, 0, sizeof(lim));
	srv.host = "127.0.0.1";
	srv.port = 143;
	srv.tls = TLS_MODE_NONE;
	srv.tls_verify = 1;
	srv.timeout = 20;
	while ((ch = getopt(argc, argv, "h:p:t:c:nu:w:m:f:s:k:H:T:S:")) != -1) {
		switch (ch) {
		case 'h':
			srv.host = optarg;
			break;
		case 'p':
			if (parse_num(optarg, 1, 65535, &v))
				return usage();
			srv.port = (int)v;
			break;
		case 't':
			if (strcmp(optarg, "none") == 0)
				srv.tls = TLS_MODE_NONE;
			else if (strcmp(optarg, "starttls") == 0)
				srv.tls = TLS_MODE_STARTTLS;
			else if (strcmp(optarg, "tls") == 0)
				srv.tls = TLS_MODE_TLS;
			else
				return usage();
			break;
		case 'c':
			srv.ca_file = optarg;
			break;
		case 'n':
			srv.tls_verify = 0;
			break;
		case 'u':
			srv.user = optarg;
			break;
		case 'w':
			srv.password = optarg;
			break;
		case 'm':
			mailbox = optarg;
			break;
		case 'f':
			folder = optarg;
			break;
		case 's':
			if (parse_num(optarg, 1, 1L << 30, &v))
				return usage();
			lim.max_message_size = (size_t)v;
			break;
		case 'k':
			if (parse_num(optarg, 1, 100000, &v))
				return usage();
			lim.chunk = (size_t)v;
			break;
		case 'H':
			if (parse_num(optarg, 1, 1L << 30, &v))
				return usage();
			lim.head_bytes = (size_t)v;
			break;
		case 'S':
			lim.spool_dir = optarg;
			break;
		case 'T':
			if (parse_num(optarg, 1, 3600, &v))
				return usage();
			srv.timeout = (int)v;
			break;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage();
	cmd = argv[0];
	if (strcmp(cmd, "fetch") == 0 && argc != 2)
		return usage();
	if (strcmp(cmd, "idle") == 0 &&
	    (argc != 2 || parse_num(argv[1], 0, 3600000, &idle_ms)))
		return usage();

	err = imap_connect(&srv, &c);
	if (err)
		goto out;
	if (strcmp(cmd, "connect") == 0) {
		printf("connected\n");
		goto out;
	}
	err = imap_select(c, mailbox, &st);
	if (err)
		goto out;
	if (strcmp(cmd, "status") == 0) {
		printf("uidvalidity %u uidnext %u exists %u idle %d move %d "
		    "uidplus %d\n", (unsigned)st.uidvalidity,
		    (unsigned)st.uidnext, (unsigned)st.exists,
		    imap_has_idle(c), imap_has_move(c), imap_has_uidplus(c));
	} else if (strcmp(cmd, "idle") == 0) {
		printf("ready\n");
		fflush(stdout);
		err = imap_idle_wait(c, (int)idle_ms, &stop_flag, &why);
		if (err == MD_OK)
			printf("%s\n", why == IMAP_IDLE_NEWMAIL ? "newmail" :
			    why == IMAP_IDLE_STOPPED ? "stopped" : "timeout");
	} else {
		err = imap_list_pending(c, folder, &uids, &n);
		if (err)
			goto out;
		if (strcmp(cmd, "list") == 0) {
			for (i = 0; i < n; i++)
				printf("%u\n", (unsigned)uids[i]);
		} else if (strcmp(cmd, "fetch") == 0) {
			memset(&fc, 0, sizeof(fc));
			fc.dir = argv[1];
			h.message = on_message;
			h.oversize = on_oversize;
			h.arg = &fc;
			err = imap_fetch(c, uids, n, &lim, &h);
			if (err == MD_OK)
				printf("fetched %zu oversize %zu\n", fc.count,
				    fc.oversize);
			if (err == MD_OK && lim.spool_dir)
				printf("spooled %zu\n", fc.spooled);
		} else if (strcmp(cmd, "mark") == 0) {
			err = imap_mark_processed(c, uids, n, folder);
			if (err == MD_OK)
				printf("marked %zu\n", n);
		} else {
			free(uids);
			imap_close(c);
			return usage();
		}
	}
out:
	free(uids);
	imap_close(c);
	if (err) {
		printf("error %s\n", err_name(err));
		return 1;
	}
	return 0;
}
