#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"

static void
test_append_and_terminate(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_puts(&b, "商会"), MD_OK);
	assert_int_equal(buf_printf(&b, "-%04d", 7), MD_OK);
	assert_string_equal(b.data, "商会-0007");
	assert_int_equal(b.len, strlen("商会-0007"));
	buf_free(&b);
}

static void
test_limit_is_hard_and_leaves_contents(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "12345678"), MD_OK);
	assert_int_equal(buf_putc(&b, 'x'), MD_ERR_LIMIT);
	assert_int_equal(buf_printf(&b, "%d", 1), MD_ERR_LIMIT);
	assert_string_equal(b.data, "12345678");
	assert_int_equal(b.len, 8);
	buf_free(&b);
}

static void
test_overflowing_length_is_refused(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	assert_int_equal(buf_putc(&b, 'a'), MD_OK);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX), MD_ERR_LIMIT);
	assert_string_equal(b.data, "a");
	buf_free(&b);
}

static void
test_steal_empty_and_full(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b, 16);
	s = buf_steal(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(buf_puts(&b, "abc"), MD_OK);
	s = buf_steal(&b);
	assert_string_equal(s, "abc");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(s);
}

static void
test_reset_keeps_storage(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_puts(&b, "hello"), MD_OK);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	assert_int_equal(buf_puts(&b, "ok"), MD_OK);
	assert_string_equal(b.data, "ok");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_terminate),
		cmocka_unit_test(test_limit_is_hard_and_leaves_contents),
		cmocka_unit_test(test_overflowing_length_is_refused),
		cmocka_unit_test(test_steal_empty_and_full),
		cmocka_unit_test(test_reset_keeps_storage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
