/*
 * Shared set-up for unit tests that need a configuration and a database:
 * a private temporary directory, a configuration file written there (with
 * the source tree's templates and calendars), the loaded configuration and
 * the opened database. Also starts tests/unit/smtp_sink.py on 127.0.0.1 for
 * tests that send mail.
 */
#ifndef MD_TESTENV_H
#define MD_TESTENV_H

#include <sys/types.h>

#include "config.h"
#include "db.h"

struct testenv {
	char dir[256];              /* the temporary directory, removed by teardown */
	char conf_path[512];
	struct md_config *cfg;      /* owned */
	struct db *db;              /* owned */
};

/*
 * Create the directory and write a configuration whose SMTP port is
 * smtp_port (0: a closed port) with extra appended verbatim (may be NULL),
 * then load it and open the database. Returns 0 or -1 (reason on stderr).
 */
int testenv_setup(struct testenv *env, int smtp_port, const char *extra);
void testenv_teardown(struct testenv *env);

/* The source tree (MD_TOP_SRCDIR, else "."). */
const char *testenv_srcdir(void);

/* One integer from a SQL query on the test database; -1 on error. */
long long testenv_count(struct testenv *env, const char *sql);

struct test_sink {
	pid_t pid;
	int port;
	char dir[512];              /* received messages: NNNNNN.eml and .env */
};

/* Start smtp_sink.py below env->dir. Returns 0 or -1. */
int test_sink_start(struct testenv *env, struct test_sink *sink);
void test_sink_stop(struct test_sink *sink);
/* Number of messages the sink has written. */
int test_sink_count(const struct test_sink *sink);

#endif
