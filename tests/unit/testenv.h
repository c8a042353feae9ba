/*
 * Shared set-up for unit tests that need a configuration and a database:
 * a private temporary directory, a configuration file written there (with
 * the source tree's templates and calendars), the loaded configuration and
 * the opened database. Also starts tests/unit/smtp_sink.py on 127.0.0.1 for
 * tests that send mail.
 */
#ifndef MD_TESTENV_H
#define MD_TESTENV_H

#include <stdint.h>
#include <sys/types.h>

#include <time.h>

#include "calendar.h"
#include "classify.h"
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

/*
 * cmocka set-up and tear-down for tests whose state is a struct testenv
 * (allocated by the set-up, freed by the tear-down) with a closed SMTP
 * port and no extra configuration.
 */
int testenv_state_setup(void **state);
int testenv_state_teardown(void **state);

/* The source tree: MD_TOP_SRCDIR, else MD_TEST_SRCDIR when compiled in, else ".". */
const char *testenv_srcdir(void);

/* One integer from a SQL query on the test database; -1 on error. */
long long testenv_count(struct testenv *env, const char *sql);

/*
 * classify_result_json() of res as compact text with sorted keys, for
 * comparing two classifications (caller frees); NULL when memory runs out.
 */
char *testenv_classify_json(const struct classify_result *res);

/* A new case (prefix MD, 2026) in its own transaction; its id, 0 on failure. */
int64_t testenv_case(struct testenv *env, const char *subject, const char *email);

/*
 * A database alone in a fresh directory, for module tests that need no
 * configuration (case, member, message store, outbox).
 */
struct testdb {
	char dir[64];
	char path[128];             /* dir/md.db */
	struct db *db;              /* owned */
};

/* Make /tmp/<prefix>.XXXXXX and open md.db in it. Returns 0 or -1. */
int testdb_setup(struct testdb *t, const char *prefix);

/*
 * cmocka set-up and tear-down for tests whose state is a struct testdb
 * (allocated by the set-up, freed by the tear-down). The tear-down fails
 * when the test left a file in the directory.
 */
int testdb_state_setup(void **state);
int testdb_state_teardown(void **state);

/* Remove dir/name, a file the test wrote next to the database. */
void testdb_unlink(struct testdb *t, const char *name);

/*
 * Close the database, remove it with its -wal and -shm files, then the
 * directory. Returns 0, or -1 when the directory could not be removed
 * (a test left a file behind).
 */
int testdb_teardown(struct testdb *t);

/* One integer from a SQL query on db; -1 on error or when there is no row. */
long long testdb_int(struct db *db, const char *sql);

/*
 * cmocka set-up and tear-down for tests whose state is the calendar shipped
 * in contrib/calendar (a struct calendar *); the set-up fails, with the
 * reason on stderr, when it does not load.
 */
int testcal_state_setup(void **state);
int testcal_state_teardown(void **state);

/* UTC time of a civil date and time (timegm). */
time_t utc_time(int y, int mo, int d, int h, int mi, int s);

/* A time on a Shanghai local date (UTC+8, no DST since 1991). */
time_t sh_time(int y, int mo, int d, int h, int mi);

/* The last second of a Shanghai local day. */
time_t sh_eod(int y, int mo, int d);

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
