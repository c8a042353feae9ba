#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "errbuf.h"

static void
test_formats_and_cuts(void **state)
{
	char small[8], big[64];

	(void)state;
	seterr(big, sizeof(big), "%s:%d: %s", "ack.txt", 3, "bad");
	assert_string_equal(big, "ack.txt:3: bad");
	memset(small, 'x', sizeof(small));
	seterr(small, sizeof(small), "%s", "0123456789");
	assert_string_equal(small, "0123456");
}

static void
test_no_buffer(void **state)
{
	char one[1] = { 'x' };

	(void)state;
	seterr(NULL, 16, "%s", "ignored");
	/* A zero length must leave the byte alone: it may not be ours. */
	seterr(one, 0, "%s", "ignored");
	assert_int_equal(one[0], 'x');
	seterr(one, 1, "%s", "cut");
	assert_int_equal(one[0], '\0');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats_and_cuts),
		cmocka_unit_test(test_no_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
