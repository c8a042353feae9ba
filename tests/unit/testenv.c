#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "case.h"
#include "testenv.h"

#define PYTHON "/usr/bin/python3"

const char *
testenv_srcdir(void)
{
	const char *s = getenv("MD_TOP_SRCDIR");

	if (s != NULL && *s != '\0')
		return s;
#ifdef MD_TEST_SRCDIR
	/* Lets a test binary run by hand from an out-of-tree build. */
	return MD_TEST_SRCDIR;
#else
	return ".";
#endif
}

/* A port nothing listens on: bind, read the port, close. */
static int
closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

int
testenv_setup(struct testenv *env, int smtp_port, const char *extra)
{
	FILE *fp;

	memset(env, 0, sizeof(*env));
	snprintf(env->dir, sizeof(env->dir), "/tmp/md-unit-XXXXXX");
	if (mkdtemp(env->dir) == NULL)
		return -1;
	snprintf(env->conf_path, sizeof(env->conf_path), "%s/md.conf", env->dir);
	fp = fopen(env->conf_path, "w");
	if (fp == NULL)
		return -1;
	fprintf(fp,
	    "chamber_name = \"测试商会\"\n"
	    "database = \"%s/md.db\"\n"
	    "template_dir = \"%s/templates\"\n"
	    "calendar_dir = \"%s/contrib/calendar\"\n"
	    "filter_dir = \"%s/filters\"\n"
	    "imap { host = \"127.0.0.1\" port = %d user = \"chamber\" password = \"x\" }\n"
	    "smtp { host = \"127.0.0.1\" port = %d from = \"chamber@chamber.test\"\n"
	    "       from_name = \"测试商会秘书处\" timeout = 5 }\n"
	    "staff \"staff1@chamber.test\" { name = \"王秘书\" }\n"
	    "staff \"leader1@chamber.test\" { name = \"李会长\" role = \"leadership\" }\n"
	    "%s\n",
	    env->dir, testenv_srcdir(), testenv_srcdir(), testenv_srcdir(), closed_port(),
	    smtp_port ? smtp_port : closed_port(), extra ? extra : "");
	fclose(fp);
	if (config_load(env->conf_path, stderr, &env->cfg) != MD_OK)
		return -1;
	if (setenv("TZ", env->cfg->timezone, 1) != 0)
		return -1;
	tzset();
	return db_open(env->cfg->database, &env->db) == MD_OK ? 0 : -1;
}

void
testenv_teardown(struct testenv *env)
{
	char cmd[600];

	db_close(env->db);
	env->db = NULL;
	config_free(env->cfg);
	env->cfg = NULL;
	if (env->dir[0] && strncmp(env->dir, "/tmp/md-unit-", 13) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", env->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", env->dir);
	}
}

long long
testenv_count(struct testenv *env, const char *sql)
{
	return testdb_int(env->db, sql);
}

char *
testenv_classify_json(const struct classify_result *res)
{
	json_t *js = classify_result_json(res);
	char *text;

	if (js == NULL)
		return NULL;
	text = json_dumps(js, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(js);
	return text;
}

int64_t
testenv_case(struct testenv *env, const char *subject, const char *email)
{
	struct case_new cn;
	char number[CASE_NUMBER_MAX];
	int64_t id = 0;

	memset(&cn, 0, sizeof(cn));
	cn.prefix = "MD";
	cn.year = 2026;
	cn.subject = subject;
	cn.requester_email = email;
	cn.submitted_at = time(NULL);
	if (db_begin(env->db) || case_create(env->db, &cn, time(NULL), &id, number) ||
	    db_commit(env->db))
		return 0;
	return id;
}

long long
testdb_int(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
testdb_setup(struct testdb *t, const char *prefix)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/%s.XXXXXX", prefix);
	if (mkdtemp(t->dir) == NULL)
		return -1;
	snprintf(t->path, sizeof(t->path), "%s/md.db", t->dir);
	return db_open(t->path, &t->db) == MD_OK ? 0 : -1;
}

int
testenv_state_setup(void **state)
{
	struct testenv *env = calloc(1, sizeof(*env));

	*state = env;
	if (env == NULL)
		return -1;
	return testenv_setup(env, 0, NULL) == 0 ? 0 : -1;
}

int
testenv_state_teardown(void **state)
{
	struct testenv *env = *state;

	if (env == NULL)
		return -1;
	testenv_teardown(env);
	free(env);
	*state = NULL;
	return 0;
}

int
testdb_state_setup(void **state)
{
	struct testdb *t = calloc(1, sizeof(*t));

	*state = t;
	if (t == NULL)
		return -1;
	return testdb_setup(t, "md-unit-db");
}

int
testdb_state_teardown(void **state)
{
	struct testdb *t = *state;
	int r;

	if (t == NULL)
		return -1;
	r = testdb_teardown(t);
	free(t);
	*state = NULL;
	return r;
}

void
testdb_unlink(struct testdb *t, const char *name)
{
	char p[sizeof(t->dir) + 64];

	snprintf(p, sizeof(p), "%s/%s", t->dir, name);
	unlink(p);
}

int
testdb_teardown(struct testdb *t)
{
	db_close(t->db);
	t->db = NULL;
	testdb_unlink(t, "md.db");
	testdb_unlink(t, "md.db-wal");
	testdb_unlink(t, "md.db-shm");
	return rmdir(t->dir);
}

int
testcal_state_setup(void **state)
{
	struct calendar *cal = NULL;
	char path[4096];

	snprintf(path, sizeof(path), "%s/contrib/calendar", testenv_srcdir());
	if (calendar_load_dir(path, stderr, &cal) != MD_OK)
		return -1;
	*state = cal;
	return 0;
}

int
testcal_state_teardown(void **state)
{
	calendar_free(*state);
	*state = NULL;
	return 0;
}

time_t
utc_time(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

time_t
sh_time(int y, int mo, int d, int h, int mi)
{
	return utc_time(y, mo, d, h, mi, 0) - 8 * 3600;
}

time_t
sh_eod(int y, int mo, int d)
{
	return utc_time(y, mo, d, 23, 59, 59) - 8 * 3600;
}

static void
msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int
test_sink_start(struct testenv *env, struct test_sink *sink)
{
	char script[1024], portfile[600];
	FILE *fp;
	int i, n;

	memset(sink, 0, sizeof(*sink));
	snprintf(script, sizeof(script), "%s/tests/unit/smtp_sink.py", testenv_srcdir());
	snprintf(sink->dir, sizeof(sink->dir), "%s/sink", env->dir);
	snprintf(portfile, sizeof(portfile), "%s/sink.port", env->dir);
	if (mkdir(sink->dir, 0700) != 0)
		return -1;
	sink->pid = fork();
	if (sink->pid < 0)
		return -1;
	if (sink->pid == 0) {
		execl(PYTHON, PYTHON, script, "--dir", sink->dir, "--port-file", portfile,
		    "--port", "0", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		if ((fp = fopen(portfile, "r")) != NULL) {
			n = fscanf(fp, "%d", &sink->port);
			fclose(fp);
			if (n == 1)
				return 0;
		}
		msleep(50);
	}
	test_sink_stop(sink);
	return -1;
}

void
test_sink_stop(struct test_sink *sink)
{
	if (sink->pid > 0) {
		kill(sink->pid, SIGTERM);
		waitpid(sink->pid, NULL, 0);
		sink->pid = 0;
	}
}

int
test_sink_count(const struct test_sink *sink)
{
	struct dirent *de;
	DIR *d = opendir(sink->dir);
	int n = 0;
	size_t len;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len > 4 && strcmp(de->d_name + len - 4, ".eml") == 0)
			n++;
	}
	closedir(d);
	return n;
}
