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

#include "message.h"
#include "staffauth.h"

struct fixture {
	char dir[64];
	char db[128];
	struct staff_config staff[1];
	struct md_config cfg;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_staffauth.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/memberdesk.db", f->dir);
	f->staff[0].address = "staff1@chamber.test";
	f->staff[0].name = "王秘书";
	f->staff[0].role = STAFF_SECRETARIAT;
	f->cfg.database = f->db;
	f->cfg.smtp_from = "chamber@chamber.test";
	f->cfg.case_prefix = "MD";
	f->cfg.staff = f->staff;
	f->cfg.n_staff = 1;
	f->cfg.authserv_id = "mx.chamber.test";
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->dir, STAFFAUTH_SECRET_NAME);
	unlink(path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
test_secret_and_token(void **state)
{
	struct fixture *f = *state;
	char t1[STAFFAUTH_TOKEN_LEN + 1], t2[STAFFAUTH_TOKEN_LEN + 1], t3[STAFFAUTH_TOKEN_LEN + 1];
	char addr[STAFFAUTH_ADDR_MAX], number[64], token[64], path[256];
	struct stat st;

	assert_int_equal(staffauth_token(&f->cfg, "Staff1@Chamber.test", "MD-2026-0001", t1), MD_OK);
	snprintf(path, sizeof(path), "%s/%s", f->dir, STAFFAUTH_SECRET_NAME);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(strlen(t1), STAFFAUTH_TOKEN_LEN);
	assert_int_equal(strspn(t1, "abcdefghijklmnopqrstuvwxyz234567"), STAFFAUTH_TOKEN_LEN);
	/* Same secret, same inputs: same token; case of the address does not matter. */
	assert_int_equal(staffauth_token(&f->cfg, "staff1@chamber.test", "MD-2026-0001", t2), MD_OK);
	assert_string_equal(t1, t2);
	/* Other case or other staff: another token. */
	assert_int_equal(staffauth_token(&f->cfg, "staff1@chamber.test", "MD-2026-0002", t3), MD_OK);
	assert_string_not_equal(t1, t3);
	assert_int_equal(staffauth_token(&f->cfg, "staff2@chamber.test", "MD-2026-0001", t3), MD_OK);
	assert_string_not_equal(t1, t3);
	assert_int_equal(staffauth_token(&f->cfg, "", "MD-2026-0001", t3), MD_ERR_INPUT);

	assert_int_equal(staffauth_reply_address(&f->cfg, "staff1@chamber.test", "MD-2026-0001",
	    addr, sizeof(addr)), MD_OK);
	snprintf(path, sizeof(path), "chamber+md-2026-0001.%s@chamber.test", t1);
	assert_string_equal(addr, path);
	assert_true(staffauth_parse_reply_address(&f->cfg, addr, number, sizeof(number), token,
	    sizeof(token)));
	assert_string_equal(number, "md-2026-0001");
	assert_string_equal(token, t1);
	assert_false(staffauth_parse_reply_address(&f->cfg, "chamber@chamber.test", number,
	    sizeof(number), token, sizeof(token)));
	assert_false(staffauth_parse_reply_address(&f->cfg, "other+md-2026-0001.x@chamber.test",
	    number, sizeof(number), token, sizeof(token)));
	assert_false(staffauth_parse_reply_address(&f->cfg, "chamber+md-2026-0001.x@evil.test",
	    number, sizeof(number), token, sizeof(token)));
}

static const struct {
	const char *value;
	enum staffauth_verdict want;
} results[] = {
	{ "mx.chamber.test; dkim=pass header.d=chamber.test header.b=abc", STAFFAUTH_DKIM },
	{ "mx.chamber.test; dkim=pass (2048-bit key) header.i=@chamber.test", STAFFAUTH_DKIM },
	{ "MX.Chamber.Test 1; spf=pass; dmarc=pass (p=reject) header.from=chamber.test",
	    STAFFAUTH_DMARC },
	{ "mx.chamber.test; dkim=fail header.d=chamber.test", STAFFAUTH_NO_PROOF },
	{ "mx.chamber.test; dkim=pass header.d=evil.test", STAFFAUTH_NO_PROOF },
	{ "mx.chamber.test; dmarc=pass header.from=evil.test", STAFFAUTH_NO_PROOF },
	{ "mx.chamber.test; spf=pass smtp.mailfrom=chamber.test", STAFFAUTH_NO_PROOF },
	/* Another server's verdict says nothing. */
	{ "mx.evil.test; dkim=pass header.d=chamber.test", STAFFAUTH_NO_PROOF },
	{ "(mx.chamber.test) mx.evil.test; dkim=pass header.d=chamber.test", STAFFAUTH_NO_PROOF },
	{ "mx.evil.test; x=\"mx.chamber.test; dkim=pass header.d=chamber.test\"",
	    STAFFAUTH_NO_PROOF },
	{ "mx.chamber.test; none", STAFFAUTH_NO_PROOF },
	{ "", STAFFAUTH_NO_PROOF },
};

static void
test_results(void **state)
{
	size_t i;
	enum staffauth_verdict v;

	(void)state;
	for (i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
		v = staffauth_parse_results(results[i].value, "mx.chamber.test", "chamber.test");
		if (v != results[i].want)
			fail_msg("\"%s\": got %s", results[i].value, staffauth_verdict_name(v));
	}
}

static enum staffauth_verdict
check(struct fixture *f, const char *headers)
{
	char raw[2048];
	struct message *m;
	enum staffauth_verdict v;

	snprintf(raw, sizeof(raw), "%sSubject: [MD-2026-0001] x\r\n\r\n#accept general\r\n",
	    headers);
	assert_int_equal(message_parse(raw, strlen(raw), NULL, &m), MD_OK);
	assert_int_equal(staffauth_check(&f->cfg, m, "MD-2026-0001", &v), MD_OK);
	message_free(m);
	return v;
}

static void
test_check(void **state)
{
	struct fixture *f = *state;
	char addr[STAFFAUTH_ADDR_MAX], other[STAFFAUTH_ADDR_MAX], h[1024];

	assert_int_equal(staffauth_reply_address(&f->cfg, "staff1@chamber.test", "MD-2026-0001",
	    addr, sizeof(addr)), MD_OK);
	assert_int_equal(staffauth_reply_address(&f->cfg, "staff1@chamber.test", "MD-2026-0002",
	    other, sizeof(other)), MD_OK);
	snprintf(h, sizeof(h), "From: staff1@chamber.test\r\nTo: %s\r\n", addr);
	assert_int_equal(check(f, h), STAFFAUTH_TOKEN);
	snprintf(h, sizeof(h), "From: staff1@chamber.test\r\nTo: chamber@chamber.test\r\n"
	    "Delivered-To: <%s>\r\n", addr);
	assert_int_equal(check(f, h), STAFFAUTH_TOKEN);
	/* A token of another case, or the plain address: no proof. */
	snprintf(h, sizeof(h), "From: staff1@chamber.test\r\nTo: %s\r\n", other);
	assert_int_equal(check(f, h), STAFFAUTH_NO_PROOF);
	assert_int_equal(check(f, "From: staff1@chamber.test\r\nTo: chamber@chamber.test\r\n"),
	    STAFFAUTH_NO_PROOF);
	/* The staff token used from another address: not staff at all. */
	snprintf(h, sizeof(h), "From: mallory@evil.test\r\nTo: %s\r\n", addr);
	assert_int_equal(check(f, h), STAFFAUTH_NOT_STAFF);
	/* Trusted and untrusted Authentication-Results. */
	assert_int_equal(check(f, "Authentication-Results: mx.chamber.test; dkim=pass "
	    "header.d=chamber.test\r\nFrom: staff1@chamber.test\r\nTo: chamber@chamber.test\r\n"),
	    STAFFAUTH_DKIM);
	assert_int_equal(check(f, "Authentication-Results: mx.evil.test; dkim=pass "
	    "header.d=chamber.test\r\nFrom: staff1@chamber.test\r\nTo: chamber@chamber.test\r\n"),
	    STAFFAUTH_NO_PROOF);
	f->cfg.authserv_id = NULL;
	assert_int_equal(check(f, "Authentication-Results: mx.chamber.test; dkim=pass "
	    "header.d=chamber.test\r\nFrom: staff1@chamber.test\r\nTo: chamber@chamber.test\r\n"),
	    STAFFAUTH_NO_PROOF);
	f->cfg.authserv_id = "mx.chamber.test";
}

static void
test_configured_secret(void **state)
{
	struct fixture *f = *state;
	char path[256], t[STAFFAUTH_TOKEN_LEN + 1];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/short.key", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("too short\n", fp);
	fclose(fp);
	f->cfg.secret_file = path;
	assert_int_equal(staffauth_token(&f->cfg, "staff1@chamber.test", "MD-2026-0001", t),
	    MD_ERR_INPUT);
	unlink(path);
	/* A configured file that is missing is an error, never silently created. */
	assert_int_equal(staffauth_token(&f->cfg, "staff1@chamber.test", "MD-2026-0001", t),
	    MD_ERR_IO);
	assert_int_equal(access(path, F_OK), -1);
	f->cfg.secret_file = NULL;
}

static void
write_secret(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* The secret is read once and kept until forgotten (the daemon's reload). */
static void
test_secret_kept_until_forgotten(void **state)
{
	struct fixture *f = *state;
	char path[256], other[256], t1[STAFFAUTH_TOKEN_LEN + 1], t2[STAFFAUTH_TOKEN_LEN + 1];
	char t3[STAFFAUTH_TOKEN_LEN + 1];

	snprintf(path, sizeof(path), "%s/a.key", f->dir);
	snprintf(other, sizeof(other), "%s/b.key", f->dir);
	write_secret(path, "0123456789abcdef0123456789abcdef\n");
	write_secret(other, "fedcba9876543210fedcba9876543210\n");
	f->cfg.secret_file = path;
	assert_int_equal(staffauth_token(&f->cfg, "staff1@chamber.test", "MD-2026-0001", t1),
	    MD_OK);
	/* Replaced: the kept secret still answers. */
	write_secret(path, "fedcba9876543210fedcba9876543210\n");
	assert_int_equal(staffauth_token(&f->cfg, "staff1@chamber.test", "MD-2026-0001", t2),
	    MD_OK);
	assert_string_equal(t1, t2);
	/* Another configured file is read at once. */
	f->cfg.secret_file = other;
	assert_int_equal(staffauth_token(&f->cfg, "staff1@chamber.test", "MD-2026-0001", t3),
	    MD_OK);
	assert_string_not_equal(t1, t3);
	/* After forgetting, the replaced file counts: same secret as other, same token. */
	f->cfg.secret_file = path;
	staffauth_forget_secret();
	assert_int_equal(staffauth_token(&f->cfg, "staff1@chamber.test", "MD-2026-0001", t2),
	    MD_OK);
	assert_string_equal(t2, t3);
	unlink(path);
	assert_int_equal(staffauth_token(&f->cfg, "staff1@chamber.test", "MD-2026-0001", t2),
	    MD_OK);
	staffauth_forget_secret();
	assert_int_equal(staffauth_token(&f->cfg, "staff1@chamber.test", "MD-2026-0001", t2),
	    MD_ERR_IO);
	unlink(other);
	staffauth_forget_secret();
	f->cfg.secret_file = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_and_token),
		cmocka_unit_test(test_results),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_configured_secret),
		cmocka_unit_test(test_secret_kept_until_forgotten),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
