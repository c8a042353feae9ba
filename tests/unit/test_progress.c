/*
 * Terminal progress: silent on anything that is not a terminal, throttled
 * redraws on one, a clean line at the end.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "db.h"
#include "member.h"
#include "progress.h"

static int64_t fake_now;

static int64_t
fake_clock(void)
{
	return fake_now;
}

static char *
slurp(FILE *fp, size_t *len)
{
	char *s;
	long n;

	fflush(fp);
	n = ftell(fp);
	assert_true(n >= 0);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	rewind(fp);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	*len = (size_t)n;
	return s;
}

static size_t
count_char(const char *s, size_t len, char c)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += s[i] == c;
	return n;
}

static void
test_silent_when_not_a_tty(void **state)
{
	struct progress *p = (struct progress *)1;
	FILE *fp = tmpfile();
	size_t i;

	(void)state;
	assert_non_null(fp);
	assert_int_equal(progress_new(fp, "import", NULL, &p), MD_OK);
	assert_null(p);
	for (i = 0; i <= 1000; i++)
		progress_update(p, i, 1000);
	progress_finish(p);
	assert_int_equal(ftell(fp), 0);
	fclose(fp);
}

static void
test_throttled_redraws(void **state)
{
	struct progress_opts o = { 1, 100, fake_clock };
	struct progress *p = NULL;
	FILE *fp = tmpfile();
	size_t i, len;
	char *out;

	(void)state;
	fake_now = 1000;
	assert_int_equal(progress_new(fp, "report", &o, &p), MD_OK);
	assert_non_null(p);
	/* 5000 items in 1 simulated second: the first, one per 100 ms, the last. */
	for (i = 1; i <= 5000; i++) {
		fake_now = 1000 + (int64_t)(i / 5);
		progress_update(p, i, 5000);
	}
	assert_in_range(progress_draws(p), 10, 12);
	progress_finish(p);
	out = slurp(fp, &len);
	assert_non_null(strstr(out, "report 5000/5000 (100%)"));
	assert_non_null(strstr(out, "report 1/5000 (0%)"));
	assert_null(strchr(out, '\n'));
	/* One '\r' per drawing, two to erase the line at the end. */
	assert_int_equal(count_char(out, len, '\r'), 11 + 2);
	/* The erase ends with the cursor at the start of a blank line. */
	assert_int_equal(out[len - 1], '\r');
	assert_int_equal(out[len - 2], ' ');
	free(out);
	fclose(fp);
}

static void
test_shorter_line_blanks_the_tail(void **state)
{
	struct progress_opts o = { 1, 1, fake_clock };
	struct progress *p = NULL;
	FILE *fp = tmpfile();
	size_t len;
	char *out;

	(void)state;
	fake_now = 0;
	assert_int_equal(progress_new(fp, "x", &o, &p), MD_OK);
	progress_update(p, 123456, 0);
	fake_now = 10;
	progress_update(p, 7, 0);
	progress_finish(p);
	out = slurp(fp, &len);
	assert_string_equal(out, "\rx 123456\rx 7     \r   \r");
	free(out);
	fclose(fp);
}

static void
test_label_controls_dropped(void **state)
{
	struct progress_opts o = { 1, 1, fake_clock };
	struct progress *p = NULL;
	FILE *fp = tmpfile();
	size_t len;
	char *out;

	(void)state;
	assert_int_equal(progress_new(fp, "im\033[2Jport\n", &o, &p), MD_OK);
	progress_update(p, 1, 2);
	progress_finish(p);
	out = slurp(fp, &len);
	assert_null(strchr(out, '\033'));
	assert_null(strchr(out, '\n'));
	assert_non_null(strstr(out, "im[2Jport 1/2 (50%)"));
	free(out);
	fclose(fp);
}

/* A real pseudo-terminal is detected without forcing. */
static void
test_draws_on_a_terminal(void **state)
{
	struct progress *p = NULL;
	char buf[256];
	FILE *fp;
	ssize_t n;
	int m, s;

	(void)state;
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0) {
		if (m >= 0)
			close(m);
		skip();
	}
	s = open(ptsname(m), O_RDWR | O_NOCTTY);
	assert_true(s >= 0);
	fp = fdopen(s, "w");
	assert_non_null(fp);
	assert_int_equal(progress_new(fp, "export", NULL, &p), MD_OK);
	assert_non_null(p);
	progress_update(p, 3, 4);
	assert_int_equal(progress_draws(p), 1);
	progress_finish(p);
	n = read(m, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "export 3/4 (75%)"));
	fclose(fp);
	close(m);
}

static size_t import_calls, import_done, import_total;

static void
count_rows(void *arg, size_t done, size_t total)
{
	(void)arg;
	import_calls++;
	assert_true(done <= total);
	import_done = done;
	import_total = total;
}

/* member import reports every row; a field spanning lines only makes the estimate high. */
static void
test_member_import_reports_rows(void **state)
{
	static const char csv[] = "kind,name,addresses,note\n"
	    "individual,A,a@x.cn,\"two\nlines\"\n"
	    "individual,B,b@x.cn,\n"
	    "individual,C,c@x.cn,\n";
	struct member_import_result res;
	char dir[] = "/tmp/md-progress-XXXXXX", path[64], dbp[64], p[80];
	struct db *db = NULL;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m.csv", dir);
	snprintf(dbp, sizeof(dbp), "%s/md.db", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(csv, fp);
	fclose(fp);
	assert_int_equal(db_open(dbp, &db), MD_OK);
	assert_int_equal(member_import_csv_progress(db, path, 1000, NULL, count_rows, NULL, &res),
	    MD_OK);
	assert_int_equal(res.imported, 3);
	assert_int_equal(import_calls, 3);
	assert_int_equal(import_done, 3);
	assert_int_equal(import_total, 4);
	db_close(db);
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", dbp);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbp);
	unlink(p);
	unlink(dbp);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_silent_when_not_a_tty),
		cmocka_unit_test(test_throttled_redraws),
		cmocka_unit_test(test_shorter_line_blanks_the_tail),
		cmocka_unit_test(test_label_controls_dropped),
		cmocka_unit_test(test_draws_on_a_terminal),
		cmocka_unit_test(test_member_import_reports_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
