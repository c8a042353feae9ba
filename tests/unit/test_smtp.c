/*
 * SMTP client tests against a real server on 127.0.0.1: tests/unit/smtp_sink.py
 * (python3-aiosmtpd), started per need with fork/exec and stopped by its pid.
 * Exits 77 (skipped) when /usr/bin/python3 has no aiosmtpd.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <cmocka.h>

#include "notice.h"
#include "smtp.h"

#define PYTHON	"/usr/bin/python3"

struct sink {
	pid_t pid;
	int port;
	char dir[300];
	char portfile[300];
};

static char workdir[256];
static struct sink plain;
static int have_certs;
static int sink_seq;
static const char *sink_auth;   /* USER:PASS for the next start_sink(), or NULL */
#define MAX_SINKS 64
static pid_t started[MAX_SINKS];  /* every sink pid, reaped in group_teardown() */
static int n_started;

static const char *
srcdir(void)
{
	const char *s = getenv("MD_TOP_SRCDIR");

	return s ? s : ".";
}

static void
msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
start_sink(struct sink *s, int port, const char *cert, const char *key, int implicit)
{
	char script[4096], portarg[16];
	const char *argv[16];
	FILE *fp;
	int i, n = 0;

	snprintf(script, sizeof(script), "%s/tests/unit/smtp_sink.py", srcdir());
	if (s->dir[0] == '\0') {
		sink_seq++;
		snprintf(s->dir, sizeof(s->dir), "%s/mail%d", workdir, sink_seq);
		snprintf(s->portfile, sizeof(s->portfile), "%s/port%d", workdir, sink_seq);
		if (mkdir(s->dir, 0700) == -1)
			return -1;
	}
	unlink(s->portfile);
	snprintf(portarg, sizeof(portarg), "%d", port);
	argv[n++] = PYTHON;
	argv[n++] = script;
	argv[n++] = "--dir";
	argv[n++] = s->dir;
	argv[n++] = "--port-file";
	argv[n++] = s->portfile;
	argv[n++] = "--port";
	argv[n++] = portarg;
	if (cert) {
		argv[n++] = "--cert";
		argv[n++] = cert;
		argv[n++] = "--key";
		argv[n++] = key;
		if (implicit)
			argv[n++] = "--implicit-tls";
	}
	if (sink_auth) {
		argv[n++] = "--auth";
		argv[n++] = sink_auth;
	}
	argv[n] = NULL;
	if ((s->pid = fork()) == -1)
		return -1;
	if (s->pid == 0) {
		/* A failed assertion must not leave a server behind. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(PYTHON, (char *const *)argv);
		_exit(127);
	}
	if (n_started < MAX_SINKS)
		started[n_started++] = s->pid;
	for (i = 0; i < 200; i++) {
		if ((fp = fopen(s->portfile, "r")) != NULL) {
			n = fscanf(fp, "%d", &s->port);
			fclose(fp);
			if (n == 1)
				return 0;
		}
		msleep(50);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
	return -1;
}

static void
stop_sink(struct sink *s)
{
	int i;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		for (i = 0; i < n_started; i++)
			if (started[i] == s->pid)
				started[i] = 0;
		s->pid = 0;
	}
}

static int
group_setup(void **state)
{
	char cmd[2048];

	(void)state;
	snprintf(workdir, sizeof(workdir), "/tmp/md-test-smtp-XXXXXX");
	if (mkdtemp(workdir) == NULL)
		return -1;
	if (start_sink(&plain, 0, NULL, NULL, 0) == -1)
		return -1;
	/* One certificate for 127.0.0.1/localhost, one for another host. */
	snprintf(cmd, sizeof(cmd),
	    "cd '%s' && for h in good:IP:127.0.0.1,DNS:localhost other:DNS:other.example; do "
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	    "-keyout ${h%%%%:*}.key -out ${h%%%%:*}.pem -days 2 -subj /CN=${h%%%%:*} "
	    "-addext subjectAltName=${h#*:} >/dev/null 2>&1 || exit 1; done", workdir);
	have_certs = system(cmd) == 0;
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[512];
	int i;

	(void)state;
	stop_sink(&plain);
	/* Sinks of tests that failed half-way. */
	for (i = 0; i < n_started; i++) {
		if (started[i] > 0) {
			kill(started[i], SIGTERM);
			waitpid(started[i], NULL, 0);
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", workdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
clear_mail(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -f '%s'/*", plain.dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct smtp_client *
client_auth(int port, enum tls_mode tls, const char *ca, int verify, const char *user,
    const char *password)
{
	struct server_config cfg;
	struct smtp_client *c = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.host = (char *)"127.0.0.1";
	cfg.port = port;
	cfg.tls = tls;
	cfg.ca_file = (char *)ca;
	cfg.tls_verify = verify;
	cfg.timeout = 10;
	cfg.user = (char *)user;
	cfg.password = (char *)password;
	assert_int_equal(smtp_client_new(&cfg, "desk.test", &c), MD_OK);
	return c;
}

static struct smtp_client *
client_for(int port, enum tls_mode tls, const char *ca, int verify)
{
	return client_auth(port, tls, ca, verify, NULL, NULL);
}

static int
is_eml(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return n > 4 && strcmp(de->d_name + n - 4, ".eml") == 0;
}

/*
 * The seq-th message (1-based) the sink stored in dir since it was last
 * cleared, or its envelope; NULL when there are fewer messages.
 */
static char *
slurp(const char *dir, int seq, const char *ext, size_t *len)
{
	struct dirent **list;
	char path[600];
	FILE *fp;
	char *data;
	long n;
	int i, count;

	if ((count = scandir(dir, &list, is_eml, alphasort)) < 0)
		return NULL;
	path[0] = '\0';
	if (seq >= 1 && seq <= count)
		snprintf(path, sizeof(path), "%s/%.*s.%s", dir,
		    (int)strlen(list[seq - 1]->d_name) - 4, list[seq - 1]->d_name, ext);
	for (i = 0; i < count; i++)
		free(list[i]);
	free(list);
	if (path[0] == '\0' || (fp = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
	data[n] = '\0';
	fclose(fp);
	if (len)
		*len = (size_t)n;
	return data;
}

static void
assert_received(const struct sink *s, int seq, const char *data, size_t len,
    const char *env_prefix)
{
	size_t got_len;
	char *got = slurp(s->dir, seq, "eml", &got_len), *env;

	assert_non_null(got);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, data, len);
	free(got);
	env = slurp(s->dir, seq, "env", NULL);
	assert_non_null(env);
	assert_int_equal(strncmp(env, env_prefix, strlen(env_prefix)), 0);
	free(env);
}

static void
test_exact_bytes_and_dot_stuffing(void **state)
{
	/* Lines starting with dots, a lone dot, and a dot at the very end. */
	static const char msg[] = "Subject: dots\r\n\r\n.\r\n..\r\n.hidden\r\nmid.dle\r\n"
	    "\r\n.\r\nlast line\r\n.";
	static const char want[] = "Subject: dots\r\n\r\n.\r\n..\r\n.hidden\r\nmid.dle\r\n"
	    "\r\n.\r\nlast line\r\n.\r\n";
	struct smtp_client *c = client_for(plain.port, TLS_MODE_NONE, NULL, 1);
	struct notice n;
	struct notice_msg m;
	char err[256];

	(void)state;
	assert_int_equal(smtp_send(c, "desk@chamber.example", "zhang@member.example", msg,
	    sizeof(msg) - 1, err, sizeof(err)), MD_OK);
	assert_int_equal(smtp_last_code(c), 250);
	assert_received(&plain, 1, want, sizeof(want) - 1,
	    "desk@chamber.example\nzhang@member.example\n");
	/* A real notice arrives byte for byte. */
	memset(&n, 0, sizeof(n));
	n.from_addr = "desk@chamber.example";
	n.to_addr = "li@member.example";
	n.to_name = "李四";
	n.subject = "[MD-2026-0002] 诉求已受理：测试";
	n.body = "正文\n.\n..\n";
	n.domain = "chamber.example";
	n.date = 1772414100;
	assert_int_equal(notice_build(&n, &m), MD_OK);
	assert_int_equal(smtp_send(c, n.from_addr, n.to_addr, m.data, m.len, err, sizeof(err)),
	    MD_OK);
	assert_received(&plain, 2, m.data, m.len, "desk@chamber.example\nli@member.example\n");
	notice_msg_free(&m);
	smtp_client_free(c);
}

static void
test_bare_line_ends_become_crlf(void **state)
{
	static const char msg[] = "Subject: lf\n\nline one\n.\nline two\rthree";
	static const char want[] = "Subject: lf\r\n\r\nline one\r\n.\r\nline two\r\nthree\r\n";
	struct smtp_client *c = client_for(plain.port, TLS_MODE_NONE, NULL, 1);

	(void)state;
	assert_int_equal(smtp_send(c, "desk@chamber.example", "a@member.example", msg,
	    sizeof(msg) - 1, NULL, 0), MD_OK);
	assert_received(&plain, 1, want, sizeof(want) - 1, "desk@chamber.example\n");
	smtp_client_free(c);
}

static void
test_refusals_are_classified(void **state)
{
	static const char msg[] = "Subject: x\r\n\r\nbody\r\n";
	struct smtp_client *c = client_for(plain.port, TLS_MODE_NONE, NULL, 1);
	char err[512];

	(void)state;
	assert_int_equal(smtp_send(c, "desk@chamber.example", "reject@member.example", msg,
	    sizeof(msg) - 1, err, sizeof(err)), MD_ERR_FINAL);
	assert_int_equal(smtp_last_code(c), 550);
	assert_non_null(strstr(err, "550"));
	assert_int_equal(smtp_send(c, "desk@chamber.example", "tempfail@member.example", msg,
	    sizeof(msg) - 1, err, sizeof(err)), MD_ERR_TEMP);
	assert_int_equal(smtp_last_code(c), 451);
	assert_int_equal(smtp_send(c, "desk@chamber.example", "dataerr@member.example", msg,
	    sizeof(msg) - 1, err, sizeof(err)), MD_ERR_FINAL);
	assert_int_equal(smtp_last_code(c), 554);
	/* Nothing was delivered, and the client still works afterwards. */
	assert_null(slurp(plain.dir, 1, "eml", NULL));
	assert_int_equal(smtp_send(c, "desk@chamber.example", "ok@member.example", msg,
	    sizeof(msg) - 1, err, sizeof(err)), MD_OK);
	assert_received(&plain, 1, msg, sizeof(msg) - 1, "desk@chamber.example\nok@");
	smtp_client_free(c);
}

static void
test_server_down_is_temporary(void **state)
{
	static const char msg[] = "Subject: x\r\n\r\nbody\r\n";
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct smtp_client *c;
	char err[512];
	int fd, port;

	(void)state;
	/* A port that was free a moment ago and has no listener now. */
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	c = client_for(port, TLS_MODE_NONE, NULL, 1);
	assert_int_equal(smtp_send(c, "desk@chamber.example", "a@member.example", msg,
	    sizeof(msg) - 1, err, sizeof(err)), MD_ERR_TEMP);
	assert_int_equal(smtp_last_code(c), 0);
	assert_true(strlen(err) > 0);
	smtp_client_free(c);
}

static void
test_hundred_sends_one_connection(void **state)
{
	struct smtp_client *c = client_for(plain.port, TLS_MODE_NONE, NULL, 1);
	char msg[128], rcpt[64], *env, *first = NULL;
	int i;

	(void)state;
	for (i = 1; i <= 100; i++) {
		snprintf(msg, sizeof(msg), "Subject: n%d\r\n\r\nmessage %d\r\n", i, i);
		snprintf(rcpt, sizeof(rcpt), "m%d@member.example", i);
		assert_int_equal(smtp_send(c, "desk@chamber.example", rcpt, msg, strlen(msg),
		    NULL, 0), MD_OK);
	}
	assert_int_equal(smtp_connections(c), 1);
	for (i = 1; i <= 100; i++) {
		snprintf(msg, sizeof(msg), "Subject: n%d\r\n\r\nmessage %d\r\n", i, i);
		snprintf(rcpt, sizeof(rcpt), "desk@chamber.example\nm%d@member.example\n", i);
		assert_received(&plain, i, msg, strlen(msg), rcpt);
		/* The server saw every message from the same client port. */
		env = slurp(plain.dir, i, "env", NULL);
		if (first == NULL)
			first = strdup(strchr(strchr(env, '\n') + 1, '\n'));
		else
			assert_string_equal(strchr(strchr(env, '\n') + 1, '\n'), first);
		free(env);
	}
	free(first);
	smtp_client_free(c);
}

static void
test_reconnects_after_server_restart(void **state)
{
	static const char msg[] = "Subject: x\r\n\r\nbody\r\n";
	struct sink s;
	struct smtp_client *c;
	int port;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(start_sink(&s, 0, NULL, NULL, 0), 0);
	c = client_for(s.port, TLS_MODE_NONE, NULL, 1);
	assert_int_equal(smtp_send(c, "desk@chamber.example", "a@member.example", msg,
	    sizeof(msg) - 1, NULL, 0), MD_OK);
	port = s.port;
	stop_sink(&s);
	/* Down: a temporary failure, never a lost notice. */
	assert_int_equal(smtp_send(c, "desk@chamber.example", "b@member.example", msg,
	    sizeof(msg) - 1, NULL, 0), MD_ERR_TEMP);
	assert_int_equal(start_sink(&s, port, NULL, NULL, 0), 0);
	assert_int_equal(smtp_send(c, "desk@chamber.example", "c@member.example", msg,
	    sizeof(msg) - 1, NULL, 0), MD_OK);
	assert_true(smtp_connections(c) >= 2);
	assert_received(&s, 1, msg, sizeof(msg) - 1, "desk@chamber.example\nc@member.example");
	smtp_client_free(c);
	stop_sink(&s);
}

static void
test_retries_once_when_reused_connection_drops(void **state)
{
	static const char msg[] = "Subject: x\r\n\r\nbody\r\n";
	struct smtp_client *c = client_for(plain.port, TLS_MODE_NONE, NULL, 1);

	(void)state;
	assert_int_equal(smtp_send(c, "desk@chamber.example", "dropnext@member.example", msg,
	    sizeof(msg) - 1, NULL, 0), MD_OK);
	assert_int_equal(smtp_connections(c), 1);
	/* The server hangs up on MAIL FROM without a reply: one retry on a new connection. */
	assert_int_equal(smtp_send(c, "desk@chamber.example", "b@member.example", msg,
	    sizeof(msg) - 1, NULL, 0), MD_OK);
	assert_int_equal(smtp_connections(c), 2);
	assert_received(&plain, 2, msg, sizeof(msg) - 1, "desk@chamber.example\nb@member.example");
	smtp_client_free(c);
}

static void
test_envelope_injection_is_refused(void **state)
{
	static const char msg[] = "Subject: x\r\n\r\nbody\r\n";
	struct smtp_client *c = client_for(plain.port, TLS_MODE_NONE, NULL, 1);
	struct server_config cfg;
	struct smtp_client *bad;
	char err[256];

	(void)state;
	assert_int_equal(smtp_send(c, "desk@chamber.example",
	    "a@member.example>\r\nRCPT TO:<evil@x", msg, sizeof(msg) - 1, err, sizeof(err)),
	    MD_ERR_INPUT);
	assert_int_equal(smtp_send(c, "desk@chamber.example\r\nRSET", "a@member.example", msg,
	    sizeof(msg) - 1, err, sizeof(err)), MD_ERR_INPUT);
	assert_int_equal(smtp_send(c, "desk@chamber.example", "a@member.example", msg, 0, err,
	    sizeof(err)), MD_ERR_INPUT);
	/* Refused before any connection was made. */
	assert_int_equal(smtp_connections(c), 0);
	assert_null(slurp(plain.dir, 1, "eml", NULL));
	smtp_client_free(c);
	memset(&cfg, 0, sizeof(cfg));
	cfg.host = (char *)"127.0.0.1/evil";
	cfg.port = 25;
	assert_int_equal(smtp_client_new(&cfg, NULL, &bad), MD_ERR_INPUT);
	cfg.host = (char *)"127.0.0.1";
	cfg.port = 70000;
	assert_int_equal(smtp_client_new(&cfg, NULL, &bad), MD_ERR_INPUT);
	cfg.port = 25;
	assert_int_equal(smtp_client_new(&cfg, "bad helo", &bad), MD_ERR_INPUT);
	assert_null(bad);
}

static void
tls_case(const char *certname, int implicit, const char *ca, int verify, enum md_err want)
{
	static const char msg[] = "Subject: tls\r\n\r\nbody\r\n";
	char cert[512], key[512], cafile[512];
	struct smtp_client *c;
	struct sink s;
	char err[512];

	snprintf(cert, sizeof(cert), "%s/%s.pem", workdir, certname);
	snprintf(key, sizeof(key), "%s/%s.key", workdir, certname);
	snprintf(cafile, sizeof(cafile), "%s/%s.pem", workdir, ca ? ca : "");
	memset(&s, 0, sizeof(s));
	assert_int_equal(start_sink(&s, 0, cert, key, implicit), 0);
	c = client_for(s.port, implicit ? TLS_MODE_TLS : TLS_MODE_STARTTLS, ca ? cafile : NULL,
	    verify);
	err[0] = '\0';
	assert_int_equal(smtp_send(c, "desk@chamber.example", "a@member.example", msg,
	    sizeof(msg) - 1, err, sizeof(err)), want);
	if (want == MD_OK)
		assert_received(&s, 1, msg, sizeof(msg) - 1, "desk@chamber.example\n");
	else
		assert_null(slurp(s.dir, 1, "eml", NULL));
	smtp_client_free(c);
	stop_sink(&s);
}

static void
test_tls(void **state)
{
	(void)state;
	if (!have_certs)
		skip();
	/* Self-signed and not trusted: refused, nothing sent. */
	tls_case("good", 0, NULL, 1, MD_ERR_TLS);
	tls_case("good", 1, NULL, 1, MD_ERR_TLS);
	/* Trusted through the CA file. */
	tls_case("good", 0, "good", 1, MD_OK);
	tls_case("good", 1, "good", 1, MD_OK);
	/* Trusted certificate for another host name. */
	tls_case("other", 0, "other", 1, MD_ERR_TLS);
	/* Verification switched off by configuration. */
	tls_case("other", 0, NULL, 0, MD_OK);
}

static void
test_authentication(void **state)
{
	static const char msg[] = "Subject: auth\r\n\r\nbody\r\n";
	struct smtp_client *c;
	struct sink s;
	char err[512];

	(void)state;
	memset(&s, 0, sizeof(s));
	sink_auth = "desk:s3cret";
	assert_int_equal(start_sink(&s, 0, NULL, NULL, 0), 0);
	sink_auth = NULL;
	c = client_auth(s.port, TLS_MODE_NONE, NULL, 1, "desk", "wrong");
	assert_int_equal(smtp_send(c, "desk@chamber.example", "a@member.example", msg,
	    sizeof(msg) - 1, err, sizeof(err)), MD_ERR_AUTH);
	smtp_client_free(c);
	/* Without credentials the server's "authentication required" is a 5xx. */
	c = client_for(s.port, TLS_MODE_NONE, NULL, 1);
	assert_int_equal(smtp_send(c, "desk@chamber.example", "a@member.example", msg,
	    sizeof(msg) - 1, err, sizeof(err)), MD_ERR_FINAL);
	smtp_client_free(c);
	assert_null(slurp(s.dir, 1, "eml", NULL));
	c = client_auth(s.port, TLS_MODE_NONE, NULL, 1, "desk", "s3cret");
	assert_int_equal(smtp_send(c, "desk@chamber.example", "a@member.example", msg,
	    sizeof(msg) - 1, err, sizeof(err)), MD_OK);
	assert_received(&s, 1, msg, sizeof(msg) - 1, "desk@chamber.example\n");
	smtp_client_free(c);
	stop_sink(&s);
}

static void
test_starttls_required_but_not_offered(void **state)
{
	static const char msg[] = "Subject: x\r\n\r\nbody\r\n";
	struct smtp_client *c = client_for(plain.port, TLS_MODE_STARTTLS, NULL, 1);

	(void)state;
	assert_int_equal(smtp_send(c, "desk@chamber.example", "a@member.example", msg,
	    sizeof(msg) - 1, NULL, 0), MD_ERR_TLS);
	assert_null(slurp(plain.dir, 1, "eml", NULL));
	smtp_client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_exact_bytes_and_dot_stuffing, clear_mail),
		cmocka_unit_test_setup(test_bare_line_ends_become_crlf, clear_mail),
		cmocka_unit_test_setup(test_refusals_are_classified, clear_mail),
		cmocka_unit_test_setup(test_server_down_is_temporary, clear_mail),
		cmocka_unit_test_setup(test_hundred_sends_one_connection, clear_mail),
		cmocka_unit_test_setup(test_reconnects_after_server_restart, clear_mail),
		cmocka_unit_test_setup(test_retries_once_when_reused_connection_drops, clear_mail),
		cmocka_unit_test_setup(test_envelope_injection_is_refused, clear_mail),
		cmocka_unit_test_setup(test_tls, clear_mail),
		cmocka_unit_test_setup(test_authentication, clear_mail),
		cmocka_unit_test_setup(test_starttls_required_but_not_offered, clear_mail),
	};

	if (system(PYTHON " -c 'import aiosmtpd' 2>/dev/null") != 0) {
		fprintf(stderr, "test_smtp: " PYTHON " with aiosmtpd (python3-aiosmtpd) "
		    "not found, skipping\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
