#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/md-test-config-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

static const char *
write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* Load text as a configuration; collect the error stream into errbuf. */
static enum md_err
load(const char *text, struct md_config **cfg, char *errbuf, size_t errlen)
{
	const char *path = write_file("md.conf", text);
	FILE *errs = fmemopen(errbuf, errlen, "w");
	enum md_err err;

	assert_non_null(errs);
	memset(errbuf, 0, errlen);
	err = config_load(path, errs, cfg);
	fclose(errs);
	return err;
}

static const char good[] =
	"chamber_name = \"测试商会\"\n"
	"case_prefix = \"CC\"\n"
	"timezone = \"Asia/Shanghai\"\n"
	"database = \"/tmp/x.db\"\n"
	"imap {\n"
	"  host = \"127.0.0.1\"\n"
	"  port = 10143\n"
	"  user = \"chamber\"\n"
	"  password = \"secret\"\n"
	"  processed_folder = \"\"\n"
	"}\n"
	"smtp {\n"
	"  host = \"127.0.0.1\"\n"
	"  port = 10025\n"
	"  tls = \"starttls\"\n"
	"  from = \"desk@chamber.test\"\n"
	"  from_name = \"测试商会秘书处\"\n"
	"}\n"
	"staff \"Wang@Chamber.test\" { name = \"王秘书\" }\n"
	"staff \"boss@chamber.test\" { name = \"李会长\" role = \"leadership\" }\n";

static void
test_valid_file_is_loaded(void **state)
{
	struct md_config *cfg = NULL;
	char errs[2048];

	(void)state;
	assert_int_equal(load(good, &cfg, errs, sizeof(errs)), MD_OK);
	assert_string_equal(errs, "");
	assert_non_null(cfg);
	assert_string_equal(cfg->chamber_name, "测试商会");
	assert_string_equal(cfg->case_prefix, "CC");
	assert_int_equal(cfg->imap.port, 10143);
	assert_int_equal(cfg->imap.tls, TLS_MODE_NONE);
	assert_true(cfg->imap.tls_verify);
	assert_string_equal(cfg->imap.password, "secret");
	assert_string_equal(cfg->imap_mailbox, "INBOX");
	assert_string_equal(cfg->imap_processed_folder, "");
	assert_int_equal(cfg->smtp.tls, TLS_MODE_STARTTLS);
	assert_string_equal(cfg->smtp_from, "desk@chamber.test");
	assert_string_equal(cfg->message_id_domain, "chamber.test");
	assert_int_equal(cfg->n_staff, 2);
	assert_non_null(config_find_staff(cfg, "WANG@chamber.TEST"));
	assert_int_equal(config_find_staff(cfg, "boss@chamber.test")->role, STAFF_LEADERSHIP);
	assert_null(config_find_staff(cfg, "nobody@chamber.test"));
	assert_int_equal(cfg->limits.max_message_size, 25 * 1024 * 1024);
	config_free(cfg);
}

static void
test_every_error_has_file_and_line(void **state)
{
	struct md_config *cfg = (struct md_config *)1;
	char errs[4096], expect[512];

	(void)state;
	assert_int_equal(load(
	    "imap {\n"
	    "  host = \"h\"\n"
	    "  user = \"u\"\n"
	    "  port = 70000\n"
	    "  tls = \"maybe\"\n"
	    "}\n"
	    "smtp { host = \"h\" from = \"not an address\" }\n"
	    "language = \"fr\"\n", &cfg, errs, sizeof(errs)), MD_ERR_INPUT);
	assert_null(cfg);
	snprintf(expect, sizeof(expect), "%s/md.conf:4: port: port 70000 is outside 1-65535", tmpdir);
	assert_non_null(strstr(errs, expect));
	snprintf(expect, sizeof(expect), "%s/md.conf:5: tls: \"maybe\"", tmpdir);
	assert_non_null(strstr(errs, expect));
	snprintf(expect, sizeof(expect), "%s/md.conf:7: from: \"not an address\"", tmpdir);
	assert_non_null(strstr(errs, expect));
	snprintf(expect, sizeof(expect), "%s/md.conf:8: language:", tmpdir);
	assert_non_null(strstr(errs, expect));
}

static void
test_unknown_option_and_syntax_error(void **state)
{
	struct md_config *cfg = NULL;
	char errs[2048], expect[256];

	(void)state;
	assert_int_equal(load("imap { host = \"h\" user = \"u\" }\nsmtp { host = \"h\" from = \"a@b\" }\n"
	    "colour = \"blue\"\n", &cfg, errs, sizeof(errs)), MD_ERR_INPUT);
	snprintf(expect, sizeof(expect), "%s/md.conf:3:", tmpdir);
	assert_non_null(strstr(errs, expect));
	assert_non_null(strstr(errs, "colour"));

	assert_int_equal(load("imap {\n host = \n", &cfg, errs, sizeof(errs)), MD_ERR_INPUT);
	assert_null(cfg);
	assert_non_null(strstr(errs, "md.conf:"));
}

static void
test_missing_sections_and_fields(void **state)
{
	struct md_config *cfg = NULL;
	char errs[2048];

	(void)state;
	assert_int_equal(load("imap { port = 143 }\n", &cfg, errs, sizeof(errs)), MD_ERR_INPUT);
	assert_non_null(strstr(errs, "imap: host is required"));
	assert_non_null(strstr(errs, "imap: user is required"));
	assert_non_null(strstr(errs, "an smtp section with host and from is required"));
}

static void
test_password_file_is_read(void **state)
{
	struct md_config *cfg = NULL;
	char errs[2048], text[1024];
	const char *pw;
	char pwpath[256];

	(void)state;
	pw = write_file("pw", "s3cret\n");
	snprintf(pwpath, sizeof(pwpath), "%s", pw);
	snprintf(text, sizeof(text),
	    "imap { host = \"h\" user = \"u\" password_file = \"%s\" }\n"
	    "smtp { host = \"h\" from = \"a@b.test\" }\n", pwpath);
	assert_int_equal(load(text, &cfg, errs, sizeof(errs)), MD_OK);
	assert_string_equal(cfg->imap.password, "s3cret");
	assert_null(cfg->smtp.password);
	config_free(cfg);

	snprintf(text, sizeof(text),
	    "imap { host = \"h\" user = \"u\" password_file = \"%s/absent\" }\n"
	    "smtp { host = \"h\" from = \"a@b.test\" }\n", tmpdir);
	assert_int_equal(load(text, &cfg, errs, sizeof(errs)), MD_ERR_INPUT);
	assert_non_null(strstr(errs, "password_file: cannot read"));
}

static void
test_unreadable_file(void **state)
{
	struct md_config *cfg = NULL;
	char errs[512];
	FILE *fp = fmemopen(errs, sizeof(errs), "w");

	(void)state;
	memset(errs, 0, sizeof(errs));
	assert_int_equal(config_load("/nonexistent/md.conf", fp, &cfg), MD_ERR_IO);
	fclose(fp);
	assert_non_null(strstr(errs, "/nonexistent/md.conf: cannot read"));
}

static void
test_bad_timezone_and_prefix(void **state)
{
	struct md_config *cfg = NULL;
	char errs[2048];

	(void)state;
	assert_int_equal(load("timezone = \"Mars/Olympus\"\ncase_prefix = \"M-D\"\n"
	    "imap { host = \"h\" user = \"u\" }\nsmtp { host = \"h\" from = \"a@b.test\" }\n",
	    &cfg, errs, sizeof(errs)), MD_ERR_INPUT);
	assert_non_null(strstr(errs, ":1: timezone: unknown time zone"));
	assert_non_null(strstr(errs, ":2: case_prefix:"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_file_is_loaded),
		cmocka_unit_test(test_every_error_has_file_and_line),
		cmocka_unit_test(test_unknown_option_and_syntax_error),
		cmocka_unit_test(test_missing_sections_and_fields),
		cmocka_unit_test(test_password_file_is_read),
		cmocka_unit_test(test_unreadable_file),
		cmocka_unit_test(test_bad_timezone_and_prefix),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
