#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "member.h"
#include "testenv.h"

struct fixture {
	struct testdb t;
	char *errtext;
	size_t errlen;
	FILE *errors;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	*state = f;
	if (f == NULL || testdb_setup(&f->t, "test_member") != 0)
		return -1;
	f->errors = open_memstream(&f->errtext, &f->errlen);
	return f->errors ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	fclose(f->errors);
	free(f->errtext);
	testdb_unlink(&f->t, "members.csv");
	assert_int_equal(testdb_teardown(&f->t), 0);
	free(f);
	return 0;
}

/* Everything reported so far on the errors stream. */
static const char *
errors_text(struct fixture *f)
{
	fflush(f->errors);
	return f->errtext ? f->errtext : "";
}

static enum md_err
import(struct fixture *f, const char *csv, struct member_import_result *res)
{
	return member_import_csv_mem(f->t.db, "members.csv", csv, strlen(csv), 1000, f->errors,
	    res);
}

static void
test_address_validation(void **state)
{
	static const char *const good[] = {
		"a@b.cn", "zhang.san@qq.com", "first+tag@mail.example.org",
		"o'brien@x-y.com.cn", "123456@163.com",
	};
	static const char *const bad[] = {
		"", "a", "@b.cn", "a@", "a@b", "a@@b.cn", "a b@c.cn", ".a@b.cn", "a.@b.cn",
		"a..b@c.cn", "a@-b.cn", "a@b-.cn", "a@b..cn", "a@.b.cn", "a@b.cn.",
		"张三@qq.com", "a@qq.com\r\nRCPT TO:<x@y.z>", "\"a\"@b.cn", "a@b_c.cn", "a<b@c.cn",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(member_address_valid(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(member_address_valid(bad[i]));
}

static void
test_kind_parse(void **state)
{
	enum member_kind k;

	(void)state;
	assert_int_equal(member_kind_parse("Unit", &k), MD_OK);
	assert_int_equal(k, MEMBER_UNIT);
	assert_int_equal(member_kind_parse("单位会员", &k), MD_OK);
	assert_int_equal(k, MEMBER_UNIT);
	assert_int_equal(member_kind_parse("个人", &k), MD_OK);
	assert_int_equal(k, MEMBER_INDIVIDUAL);
	assert_int_equal(member_kind_parse("INDIVIDUAL", &k), MD_OK);
	assert_int_equal(k, MEMBER_INDIVIDUAL);
	assert_int_equal(member_kind_parse("company", &k), MD_ERR_INPUT);
	assert_string_equal(member_kind_name(MEMBER_UNIT), "unit");
	assert_string_equal(member_kind_name(MEMBER_INDIVIDUAL), "individual");
}

static void
test_import_bom_quotes_chinese(void **state)
{
	struct fixture *f = *state;
	struct member_import_result res;
	struct member *m;
	const char *csv =
	    "\xef\xbb\xbfkind,name,unit_name,addresses,phone\r\n"
	    "单位,李四,\"华兴贸易有限公司, 深圳分公司\",\"Li.Si@HuaXing.com.cn; lisi@qq.com\","
	    "0755-1234567\r\n"
	    "individual,\"王 \"\"小\"\" 五\",,\"wangwu@163.com\n wang5@126.com\",13800000000\r\n";

	assert_int_equal(import(f, csv, &res), MD_OK);
	assert_string_equal(errors_text(f), "");
	assert_int_equal(res.imported, 2);
	assert_int_equal(res.updated, 0);
	assert_int_equal(res.skipped, 0);

	assert_int_equal(member_find_by_address(f->t.db, "LISI@qq.com", &m), MD_OK);
	assert_int_equal(m->kind, MEMBER_UNIT);
	assert_string_equal(m->name, "李四");
	assert_string_equal(m->unit_name, "华兴贸易有限公司, 深圳分公司");
	assert_string_equal(m->phone, "0755-1234567");
	assert_int_equal(m->n_addresses, 2);
	assert_string_equal(m->addresses[0], "li.si@huaxing.com.cn");
	assert_string_equal(m->addresses[1], "lisi@qq.com");
	assert_int_equal(m->created_at, 1000);
	member_free(m);

	assert_int_equal(member_find_by_address(f->t.db, "wang5@126.com", &m), MD_OK);
	assert_int_equal(m->kind, MEMBER_INDIVIDUAL);
	assert_string_equal(m->name, "王 \"小\" 五");
	assert_string_equal(m->unit_name, "");
	assert_int_equal(m->n_addresses, 2);
	member_free(m);

	assert_int_equal(member_find_by_address(f->t.db, "nobody@qq.com", &m), MD_ERR_NOTFOUND);
	assert_null(m);
}

static void
test_bad_rows_reported_good_rows_kept(void **state)
{
	struct fixture *f = *state;
	struct member_import_result res;
	struct member *v;
	size_t n;
	/* Line numbers: the quoted field on line 3 spans two lines. */
	const char *csv =
	    "类型,姓名,单位,邮箱,电话,备注\n"                     /* 1 */
	    "个人,赵六,,zhao6@qq.com,,\"note\n"                   /* 2 */
	    "continued\"\n"                                          /* 3 */
	    "个人,钱七,,not-an-address,,\n"                         /* 4 */
	    "会长,孙八,,sun8@qq.com,,\n"                             /* 5 */
	    ",,,,,\n"                                                /* 6: blank */
	    "单位,周九,,zhou9@qq.com,,\n"                            /* 7: no unit */
	    "个人,,,nameless@qq.com,,\n"                             /* 8 */
	    "个人,\xd5\xc5\xc8\xfd,,gbk@qq.com,,\n"                  /* 9: GBK bytes */
	    "个人,吴十,,wu10@qq.com,,,,extra\n"                      /* 10 */
	    "个人,郑一,,\"zheng1@qq.com\"x,,\n"                      /* 11 */
	    "\n"                                                     /* 12 */
	    "个人,冯二,,feng2@qq.com\n";                             /* 13: short row ok */

	assert_int_equal(import(f, csv, &res), MD_OK);
	assert_int_equal(res.imported, 2);
	assert_int_equal(res.skipped, 7);
	assert_string_equal(errors_text(f),
	    "members.csv:4: invalid mail address \"not-an-address\"\n"
	    "members.csv:5: kind \"会长\" is not unit/individual (单位/个人)\n"
	    "members.csv:7: a unit member needs unit_name\n"
	    "members.csv:8: name is empty\n"
	    "members.csv:9: field 2 is not valid UTF-8 (save the file as CSV UTF-8)\n"
	    "members.csv:10: row has 8 fields, the header has 6\n"
	    "members.csv:11: unexpected text after a closing quote\n");
	assert_int_equal(member_list(f->t.db, &v, &n), MD_OK);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "赵六");
	assert_string_equal(v[0].addresses[0], "zhao6@qq.com");
	assert_string_equal(v[1].name, "冯二");
	member_list_free(v, n);
}

static void
test_reimport_updates_by_address(void **state)
{
	struct fixture *f = *state;
	struct member_import_result res;
	struct member *m, *v;
	int64_t id;
	size_t n;

	assert_int_equal(import(f, "kind,name,unit_name,addresses,phone\n"
	    "unit,Alice,Acme,alice@acme.cn,111\n"
	    "individual,Bob,,bob@b.cn,\n", &res), MD_OK);
	assert_int_equal(res.imported, 2);
	assert_int_equal(member_find_by_address(f->t.db, "alice@acme.cn", &m), MD_OK);
	id = m->id;
	member_free(m);

	/* Same member by a known address, new phone and a second address; columns reordered. */
	assert_int_equal(import(f, "phone,addresses,name,kind,unit_name\n"
	    "222,\"ALICE@acme.cn alice2@acme.cn\",Alice Li,unit,Acme Ltd\n", &res), MD_OK);
	assert_int_equal(res.imported, 0);
	assert_int_equal(res.updated, 1);
	assert_int_equal(member_find_by_address(f->t.db, "alice2@acme.cn", &m), MD_OK);
	assert_int_equal(m->id, id);
	assert_string_equal(m->name, "Alice Li");
	assert_string_equal(m->unit_name, "Acme Ltd");
	assert_string_equal(m->phone, "222");
	assert_int_equal(m->n_addresses, 2);
	member_free(m);

	/* Addresses of two different members in one row: reported, not merged. */
	assert_int_equal(import(f, "kind,name,addresses\n"
	    "individual,Mix,alice@acme.cn;bob@b.cn\n", &res), MD_OK);
	assert_int_equal(res.skipped, 1);
	assert_non_null(strstr(errors_text(f), "members.csv:2: addresses belong to different"));

	assert_int_equal(member_list(f->t.db, &v, &n), MD_OK);
	assert_int_equal(n, 2);
	member_list_free(v, n);
}

static void
test_header_problems(void **state)
{
	struct fixture *f = *state;
	struct member_import_result res;
	struct member *v;
	size_t n;

	assert_int_equal(import(f, "kind,name,phone\nindividual,X,1\n", &res), MD_ERR_INPUT);
	assert_string_equal(errors_text(f), "members.csv:1: header has no addresses column\n");
	assert_int_equal(import(f, "", &res), MD_ERR_INPUT);
	assert_int_equal(import(f, "kind,name,email,邮箱\n", &res), MD_ERR_INPUT);
	assert_non_null(strstr(errors_text(f), "column addresses appears twice"));
	assert_int_equal(member_list(f->t.db, &v, &n), MD_OK);
	assert_int_equal(n, 0);
	assert_null(v);
}

static void
test_unclosed_quote_at_end(void **state)
{
	struct fixture *f = *state;
	struct member_import_result res;

	assert_int_equal(import(f, "kind,name,addresses\nindividual,A,a@a.cn\n"
	    "individual,\"B,b@b.cn\n", &res), MD_OK);
	assert_int_equal(res.imported, 1);
	assert_int_equal(res.skipped, 1);
	assert_string_equal(errors_text(f), "members.csv:3: quoted field is not closed\n");
}

static void
test_import_file_and_transaction_rule(void **state)
{
	struct fixture *f = *state;
	struct member_import_result res;
	struct member *m;
	char p[160];
	int64_t id;
	FILE *fp;

	snprintf(p, sizeof(p), "%s/members.csv", f->t.dir);
	assert_int_equal(member_import_csv(f->t.db, p, 5, f->errors, &res), MD_ERR_IO);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs("kind,name,addresses\n个人,陈,chen@qq.com\n", fp);
	fclose(fp);
	assert_int_equal(db_begin(f->t.db), MD_OK);
	assert_int_equal(member_import_csv(f->t.db, p, 5, f->errors, &res), MD_ERR_STATE);
	assert_int_equal(db_rollback(f->t.db), MD_OK);
	assert_int_equal(member_import_csv(f->t.db, p, 5, f->errors, &res), MD_OK);
	assert_int_equal(res.imported, 1);
	assert_int_equal(member_find_by_address(f->t.db, "chen@qq.com", &m), MD_OK);
	id = m->id;
	member_free(m);
	assert_int_equal(member_get(f->t.db, id, &m), MD_OK);
	assert_string_equal(m->name, "陈");
	assert_int_equal(m->kind, MEMBER_INDIVIDUAL);
	member_free(m);
	assert_int_equal(member_get(f->t.db, 424242, &m), MD_ERR_NOTFOUND);
}

/* Run a cli_* command with stdout sent to a temporary file; returns what it printed. */
static char *
capture(int (*fn)(int, char **, const struct md_config *), int argc, char **argv,
    const struct md_config *cfg, int *status)
{
	FILE *tmp = tmpfile();
	char *out;
	off_t len;
	int saved;

	assert_non_null(tmp);
	fflush(stdout);
	saved = dup(1);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), 1) >= 0);
	*status = fn(argc, argv, cfg);
	fflush(stdout);
	assert_true(dup2(saved, 1) >= 0);
	close(saved);
	len = lseek(fileno(tmp), 0, SEEK_END);
	assert_true(len >= 0);
	out = calloc(1, (size_t)len + 1);
	assert_non_null(out);
	assert_int_equal(pread(fileno(tmp), out, (size_t)len, 0), len);
	fclose(tmp);
	return out;
}

static void
test_cli_import_and_list(void **state)
{
	struct fixture *f = *state;
	struct md_config cfg = { 0 };
	char p[160];
	char *import_argv[] = { "member", "import", p, NULL };
	char *list_argv[] = { "member", "list", NULL };
	char *bad_argv[] = { "member", "frobnicate", NULL };
	char *out;
	FILE *fp;
	int status;

	snprintf(p, sizeof(p), "%s/members.csv", f->t.dir);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs("kind,name,unit_name,addresses,phone\r\n"
	    "单位,李四,华兴公司,lisi@qq.com,0755\r\n"
	    "individual,Bob,,bob@b.cn;bob2@b.cn,\r\n", fp);
	fclose(fp);
	cfg.database = f->t.path;
	cfg.language = "en";
	out = capture(cli_member, 3, import_argv, &cfg, &status);
	assert_int_equal(status, 0);
	assert_string_equal(out, "imported 2, updated 0, skipped 0\n");
	free(out);

	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs("kind,name,addresses\nindividual,Bob Chen,BOB@b.cn\nindividual,X,x@\n", fp);
	fclose(fp);
	cfg.language = "zh";
	out = capture(cli_member, 3, import_argv, &cfg, &status);
	assert_int_equal(status, 1);   /* a bad row was skipped */
	assert_string_equal(out, "新增 0，更新 1，跳过 1\n");
	free(out);

	out = capture(cli_member, 2, list_argv, &cfg, &status);
	assert_int_equal(status, 0);
	assert_string_equal(out,
	    "编号  类型  姓名      单位      电话  邮箱\n"
	    "1     单位  李四      华兴公司  0755  lisi@qq.com\n"
	    "2     个人  Bob Chen                  bob2@b.cn, bob@b.cn\n");
	free(out);

	out = capture(cli_member, 2, bad_argv, &cfg, &status);
	assert_int_equal(status, 2);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_validation),
		cmocka_unit_test(test_kind_parse),
		cmocka_unit_test_setup_teardown(test_import_bom_quotes_chinese, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_rows_reported_good_rows_kept, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reimport_updates_by_address, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_header_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unclosed_quote_at_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_file_and_transaction_rule, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cli_import_and_list, setup, teardown),
	};

	log_init("test_member", 1, LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
