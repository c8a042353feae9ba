/*
 * Every message of the shared corpus (every file under MD_CORPUS/mime) must parse
 * without a crash, a leak (run it in the sanitizer build) or a NULL
 * result, and the parse must keep its promises: UTF-8 everywhere, no
 * CR/LF in header values. Exits 77 (skip) when the corpus is absent.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "charset.h"
#include "inspect.h"
#include "message.h"

static const char *corpus;
static size_t n_parsed;

static void
check_message(const char *path)
{
	struct message *m = NULL;
	char *data;
	size_t len, i;
	json_t *j;

	assert_int_equal(inspect_read_file(path, 1 << 24, &data, &len), MD_OK);
	assert_int_equal(message_parse(data, len, NULL, &m), MD_OK);
	assert_non_null(m);
	assert_non_null(m->subject);
	assert_non_null(m->text);
	assert_true(utf8_valid(m->subject, strlen(m->subject)));
	assert_true(utf8_valid(m->text, m->text_len));
	assert_int_equal(strlen(m->text), m->text_len);
	for (i = 0; i < m->n_headers; i++) {
		assert_true(utf8_valid(m->headers[i].value, strlen(m->headers[i].value)));
		assert_null(strpbrk(m->headers[i].value, "\r\n"));
	}
	for (i = 0; i < m->n_attachments; i++)
		assert_true(utf8_valid(m->attachments[i].filename,
		    strlen(m->attachments[i].filename)));
	j = inspect_message_json(m);
	assert_non_null(j);
	json_decref(j);
	message_free(m);
	free(data);
	n_parsed++;
}

static void
walk(const char *dir)
{
	struct dirent *de;
	struct stat sb;
	DIR *d;
	char *p;

	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		assert_true(asprintf(&p, "%s/%s", dir, de->d_name) != -1);
		assert_int_equal(stat(p, &sb), 0);
		if (S_ISDIR(sb.st_mode))
			walk(p);
		else if (S_ISREG(sb.st_mode) && strncmp(de->d_name, "LICENSE", 7) != 0)
			check_message(p);
		free(p);
	}
	closedir(d);
}

static void
test_every_mime_message_parses(void **state)
{
	char *dir;

	(void)state;
	assert_true(asprintf(&dir, "%s/mime", corpus) != -1);
	walk(dir);
	free(dir);
	/* The corpus holds 53 messages; an empty walk would prove nothing. */
	assert_true(n_parsed >= 50);
	printf("parsed %zu corpus messages\n", n_parsed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_mime_message_parses),
	};
	struct stat sb;
	char *dir;

	corpus = getenv("MD_CORPUS");
	if (corpus == NULL || *corpus == '\0')
		return 77;
	if (asprintf(&dir, "%s/mime", corpus) == -1)
		return 1;
	if (stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		free(dir);
		return 77;
	}
	free(dir);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
