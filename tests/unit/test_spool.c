#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "spool.h"

/* Entries of dir other than . and .. */
static int
dir_entries(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_write_map_release(void **state)
{
	char dir[] = "/tmp/test_spool.XXXXXX";
	struct spool *s = NULL;
	const char *data;
	char *pattern;
	size_t len, i, n = 3 * SPOOL_STEP + 12345;
	int on_heap = 7;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(spool_create(dir, n, &s), MD_OK);
	/* The file is unlinked from the start. */
	assert_int_equal(dir_entries(dir), 0);
	pattern = malloc(n);
	assert_non_null(pattern);
	for (i = 0; i < n; i++)
		pattern[i] = (char)(i * 7 + i / 4096);
	assert_int_equal(spool_write(s, pattern, n / 2), MD_OK);
	assert_int_equal(spool_write(s, pattern + n / 2, n - n / 2), MD_OK);
	assert_int_equal(spool_write(s, "x", 1), MD_ERR_LIMIT);
	assert_int_equal(spool_size(s), n);
	assert_false(spool_contains(pattern));

	assert_int_equal(spool_map(s, &data, &len), MD_OK);
	assert_int_equal(len, n);
	assert_true(spool_contains(data));
	assert_true(spool_contains(data + n - 1));
	assert_false(spool_contains(pattern));
	assert_memory_equal(data, pattern, n);
	/* Released pages read back the same; other memory is left alone. */
	spool_release(data, n);
	spool_release(data + 100, SPOOL_STEP);
	spool_release(&on_heap, sizeof(on_heap));
	assert_int_equal(on_heap, 7);
	assert_memory_equal(data, pattern, n);
	/* Written once mapped: refused. */
	assert_int_equal(spool_write(s, "x", 1), MD_ERR_STATE);
	spool_free(s);
	assert_false(spool_contains(data));
	spool_release(pattern, n);	/* nothing mapped: a no-op */
	assert_int_equal(pattern[n - 1], (char)((n - 1) * 7 + (n - 1) / 4096));
	free(pattern);
	assert_int_equal(dir_entries(dir), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_empty_and_one_at_a_time(void **state)
{
	char dir[] = "/tmp/test_spool.XXXXXX";
	struct spool *a = NULL, *b = NULL;
	const char *data;
	size_t len = 99;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(spool_create(dir, 10, &a), MD_OK);
	assert_int_equal(spool_create(dir, 10, &b), MD_OK);
	assert_int_equal(spool_map(a, &data, &len), MD_OK);
	assert_int_equal(len, 0);
	assert_non_null(data);
	/* Mapping again gives the same; a second spool waits for the first. */
	assert_int_equal(spool_map(a, &data, &len), MD_OK);
	assert_int_equal(spool_map(b, &data, &len), MD_ERR_STATE);
	spool_free(a);
	assert_int_equal(spool_write(b, "0123456789", 10), MD_OK);
	assert_int_equal(spool_map(b, &data, &len), MD_OK);
	assert_int_equal(len, 10);
	assert_memory_equal(data, "0123456789", 10);
	spool_free(b);
	spool_free(NULL);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_unusable_directory(void **state)
{
	struct spool *s = (struct spool *)1;

	(void)state;
	assert_int_equal(spool_create("/nonexistent/memberdesk-spool", 10, &s), MD_ERR_IO);
	assert_null(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_map_release),
		cmocka_unit_test(test_empty_and_one_at_a_time),
		cmocka_unit_test(test_unusable_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
