#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "rules.h"

/* A message built in memory, as message_parse() would leave it. */
struct fixture {
	struct message msg;
	struct message_header hdr[2];
	struct message_attachment att[1];
};

static void
fixture_init(struct fixture *f, const char *subject, const char *text, const char *from)
{
	memset(f, 0, sizeof(*f));
	f->msg.subject = (char *)subject;
	f->msg.text = (char *)text;
	f->msg.text_len = strlen(text);
	f->msg.from_addr = (char *)from;
	f->msg.from_name = (char *)"";
	f->hdr[0].name = (char *)"X-Priority";
	f->hdr[0].value = (char *)"1 (Highest)";
	f->hdr[1].name = (char *)"User-Agent";
	f->hdr[1].value = (char *)"Foxmail 7.2";
	f->msg.headers = f->hdr;
	f->msg.n_headers = 2;
}

static struct ruleset *
load(const char *text)
{
	struct ruleset *set = NULL;

	assert_int_equal(rules_load_buffer("t.rules", text, strlen(text), stderr, &set), MD_OK);
	assert_non_null(set);
	return set;
}

/* Load text expecting failure; returns the error output. */
static char *
load_bad(const char *text, enum md_err want)
{
	struct ruleset *set = (struct ruleset *)1;
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	assert_non_null(fp);
	assert_int_equal(rules_load_buffer("bad.rules", text, strlen(text), fp, &set), want);
	assert_null(set);
	fclose(fp);
	return out;
}

static void
test_chinese_substring_and_flags(void **state)
{
	struct ruleset *set;
	struct rules_outcome o;
	struct fixture f;

	(void)state;
	set = load("# legal\n"
	    "rule legal\n"
	    "  text contains 起诉 仲裁 \"行政 复议\"\n"
	    "  flag legal-process\n"
	    "  tier major\n"
	    "end\n"
	    "rule never\n"
	    "  subject contains 不会出现\n"
	    "  flag nope\n"
	    "end\n");
	assert_int_equal(rules_count(set), 2);
	assert_int_equal(rules_file_count(set), 1);
	fixture_init(&f, "关于货款", "对方拒不付款，我们已申请仲裁。", "a@b.cn");
	assert_int_equal(rules_eval(set, &f.msg, NULL, &o), MD_OK);
	assert_int_equal(o.n_hits, 1);
	assert_string_equal(o.hits[0].name, "legal");
	assert_string_equal(o.hits[0].file, "t.rules");
	assert_int_equal(o.hits[0].line, 2);
	assert_string_equal(o.hits[0].reason, "text contains \"仲裁\"");
	assert_int_equal(o.n_flags, 1);
	assert_string_equal(o.flags[0], "legal-process");
	assert_int_equal(o.tier, MD_TIER_MAJOR);
	assert_int_equal(o.type, MD_TYPE_NONE);
	rules_outcome_free(&o);
	rules_outcome_free(&o);

	fixture_init(&f, "关于货款", "请协助催款", "a@b.cn");
	assert_int_equal(rules_eval(set, &f.msg, NULL, &o), MD_OK);
	assert_int_equal(o.n_hits, 0);
	assert_int_equal(o.n_flags, 0);
	rules_outcome_free(&o);
	rules_free(set);
}

static void
test_regex_utf8_and_case(void **state)
{
	struct ruleset *set;
	struct rules_outcome o;
	struct fixture f;

	(void)state;
	set = load("rule cn\n"
	    "  body matches \"(多家|几家)(企业|公司)\"\n"
	    "  flag joint\n"
	    "end\n"
	    "rule en\n"
	    "  subject matches \"\\\\burgent\\\\b\"\n"
	    "  flag urgent\n"
	    "end\n"
	    "rule en-case\n"
	    "  subject matches-case \"^URGENT\"\n"
	    "  flag shouting\n"
	    "end\n"
	    "rule dot\n"
	    "  subject matches \"^申.请$\"\n"
	    "  flag one-char-dot\n"
	    "end\n");
	fixture_init(&f, "Urgent: unpaid invoices", "我们几家公司都被拖欠", "x@y.com");
	assert_int_equal(rules_eval(set, &f.msg, NULL, &o), MD_OK);
	assert_int_equal(o.n_hits, 2);
	assert_true(rules_outcome_has_flag(&o, "joint"));
	assert_true(rules_outcome_has_flag(&o, "urgent"));
	assert_false(rules_outcome_has_flag(&o, "shouting"));
	rules_outcome_free(&o);

	/* "." must be one Chinese character, not one byte, under PCRE2_UTF. */
	fixture_init(&f, "申请", "", "x@y.com");
	f.msg.subject = (char *)"申报请";
	assert_int_equal(rules_eval(set, &f.msg, NULL, &o), MD_OK);
	assert_true(rules_outcome_has_flag(&o, "one-char-dot"));
	rules_outcome_free(&o);
	f.msg.subject = (char *)"申请";
	assert_int_equal(rules_eval(set, &f.msg, NULL, &o), MD_OK);
	assert_false(rules_outcome_has_flag(&o, "one-char-dot"));
	rules_outcome_free(&o);
	rules_free(set);
}

static void
test_nesting_not_and_attributes(void **state)
{
	struct ruleset *set;
	struct rules_outcome o;
	struct fixture f;
	struct rules_context ctx = { 1, "unit" };

	(void)state;
	set = load("rule unit-rights\n"
	    "  member yes\n"
	    "  member-kind unit\n"
	    "  any\n"
	    "    subject contains 维权\n"
	    "    all\n"
	    "      body contains 拖欠\n"
	    "      not\n"
	    "        body contains 建议\n"
	    "      end\n"
	    "    end\n"
	    "  end\n"
	    "  type rights\n"
	    "  assign lawyer@chamber.example\n"
	    "end\n"
	    "rule domain\n"
	    "  domain is EXAMPLE.cn\n"
	    "  header x-priority starts-with 1\n"
	    "  group secretariat\n"
	    "  language en\n"
	    "end\n"
	    "rule attach\n"
	    "  attachment ends-with .pdf\n"
	    "  flag has-pdf\n"
	    "end\n");
	fixture_init(&f, "货款", "客户拖欠货款半年", "boss@example.cn");
	assert_int_equal(rules_eval(set, &f.msg, &ctx, &o), MD_OK);
	assert_int_equal(o.type, MD_TYPE_RIGHTS);
	assert_int_equal(o.type_hit, 0);
	assert_string_equal(o.assignee, "lawyer@chamber.example");
	assert_string_equal(o.group, "secretariat");
	assert_string_equal(o.language, "en");
	assert_int_equal(o.n_hits, 2);
	assert_string_equal(o.hits[0].reason, "member is \"yes\" and member-kind is \"unit\" and "
	    "body contains \"拖欠\" and none of the \"not\" group on line 8");
	assert_string_equal(o.hits[1].reason, "domain is \"EXAMPLE.cn\" and "
	    "header x-priority starts-with \"1\"");
	rules_outcome_free(&o);

	/* The "not" group vetoes the inner "all"; an individual member never matches. */
	fixture_init(&f, "货款", "客户拖欠货款，建议商会出面", "boss@other.cn");
	assert_int_equal(rules_eval(set, &f.msg, &ctx, &o), MD_OK);
	assert_int_equal(o.type, MD_TYPE_NONE);
	rules_outcome_free(&o);
	ctx.member_kind = "individual";
	fixture_init(&f, "维权", "", "boss@other.cn");
	assert_int_equal(rules_eval(set, &f.msg, &ctx, &o), MD_OK);
	assert_int_equal(o.n_hits, 0);
	rules_outcome_free(&o);

	fixture_init(&f, "s", "", NULL);
	f.att[0].filename = (char *)"合同.PDF";
	f.msg.attachments = f.att;
	f.msg.n_attachments = 1;
	assert_int_equal(rules_eval(set, &f.msg, NULL, &o), MD_OK);
	assert_true(rules_outcome_has_flag(&o, "has-pdf"));
	assert_null(o.assignee);
	rules_outcome_free(&o);
	rules_free(set);
}

static void
test_order_first_type_max_tier_and_stop(void **state)
{
	struct ruleset *set;
	struct rules_outcome o;
	struct fixture f;

	(void)state;
	set = load("rule a\n  text contains 税\n  type policy\n  tier simple\nend\n"
	    "rule b\n  text contains 税\n  type rights\n  tier general\n  flag x y\nend\n"
	    "rule c\n  text contains 税\n  flag x z\n  stop\nend\n"
	    "rule d\n  text contains 税\n  flag after-stop\nend\n");
	fixture_init(&f, "税收优惠", "", "a@b");
	assert_int_equal(rules_eval(set, &f.msg, NULL, &o), MD_OK);
	assert_int_equal(o.type, MD_TYPE_POLICY);
	assert_int_equal(o.tier, MD_TIER_GENERAL);
	assert_int_equal(o.n_hits, 3);
	assert_true(o.stopped);
	assert_int_equal(o.n_flags, 3);
	assert_string_equal(o.flags[0], "x");
	assert_string_equal(o.flags[1], "y");
	assert_string_equal(o.flags[2], "z");
	assert_false(rules_outcome_has_flag(&o, "after-stop"));
	rules_outcome_free(&o);
	rules_free(set);
}

static void
test_errors_name_file_and_line(void **state)
{
	char *err;

	(void)state;
	err = load_bad("rule a\n  subject contains x\n  type nonsense\nend\n", MD_ERR_INPUT);
	assert_string_equal(err, "bad.rules:3: unknown type \"nonsense\" (policy, rights, "
	    "difficulty, suggestion or other)\n");
	free(err);
	err = load_bad("rule a\n  body matches \"(未闭合\"\n  flag f\nend\n", MD_ERR_INPUT);
	assert_non_null(strstr(err, "bad.rules:2: bad regular expression"));
	free(err);
	err = load_bad("rule a\n  any\n    subject contains x\n  flag f\nend\n", MD_ERR_INPUT);
	assert_non_null(strstr(err, "bad.rules:4: \"flag\" is an action"));
	free(err);
	err = load_bad("rule a\n  subject contains x\n  flag f\n", MD_ERR_INPUT);
	assert_string_equal(err, "bad.rules:1: rule not closed with \"end\"\n");
	free(err);
	err = load_bad("rule a\n  subject contains x\n  flag f\nend\n"
	    "rule a\n  subject contains y\n  flag g\nend\n", MD_ERR_INPUT);
	assert_string_equal(err, "bad.rules:5: a rule called \"a\" exists already\n");
	free(err);
	err = load_bad("rule a\n  flag f\nend\nsubject contains x\n", MD_ERR_INPUT);
	assert_non_null(strstr(err, "bad.rules:3: rule \"a\" has no condition"));
	assert_non_null(strstr(err, "bad.rules:4: \"subject\" outside a rule"));
	free(err);
	err = load_bad("rule a\n  subject contains \"x\n  flag f\nend\n", MD_ERR_INPUT);
	assert_string_equal(err, "bad.rules:2: missing closing quote\n");
	free(err);
	err = load_bad("rule a\n  member maybe\n  flag f\nend\n", MD_ERR_INPUT);
	assert_non_null(strstr(err, "bad.rules:2: \"member\" cannot be \"maybe\""));
	free(err);
	err = load_bad("rule a\n  subject frobs x\n  flag f\nend\n", MD_ERR_INPUT);
	assert_non_null(strstr(err, "bad.rules:2: expected contains"));
	free(err);
	err = load_bad("rule a\n  subject contains x\nend\n", MD_ERR_INPUT);
	assert_non_null(strstr(err, "has no action"));
	free(err);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

/* Remove the files names[] (NULL-terminated) from dir, then dir. */
static void
remove_dir(const char *dir, const char *const *names)
{
	char path[512];

	for (; *names != NULL; names++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *names);
		unlink(path);
	}
	assert_int_equal(rmdir(dir), 0);
}

static void
test_dir_order_and_all_or_nothing(void **state)
{
	static const char *const names[] = {
		"10-a.rules", "20-b.rules", "30-c.rules", "notes.txt", NULL
	};
	char dir[] = "/tmp/test_rules.XXXXXX", path[512];
	struct ruleset *set = NULL;
	struct rules_outcome o;
	struct fixture f;
	char *err = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "20-b.rules", "rule second\n  text contains 会\n  type other\nend\n");
	write_file(dir, "10-a.rules", "rule first\n  text contains 会\n  type suggestion\nend\n");
	write_file(dir, "notes.txt", "this is not a rule file\n");
	assert_int_equal(rules_load_dir(dir, stderr, &set), MD_OK);
	assert_int_equal(rules_count(set), 2);
	assert_int_equal(rules_file_count(set), 2);
	fixture_init(&f, "商会", "", "a@b");
	assert_int_equal(rules_eval(set, &f.msg, NULL, &o), MD_OK);
	assert_int_equal(o.type, MD_TYPE_SUGGESTION);
	assert_string_equal(o.hits[0].name, "first");
	assert_string_equal(o.hits[1].file, "20-b.rules");
	rules_outcome_free(&o);
	rules_free(set);

	/* One broken file: nothing is returned and every error is reported. */
	write_file(dir, "30-c.rules", "rule third\n  text contains 会\n  tier huge\nend\n");
	fp = open_memstream(&err, &len);
	assert_int_equal(rules_load_dir(dir, fp, &set), MD_ERR_INPUT);
	fclose(fp);
	assert_null(set);
	snprintf(path, sizeof(path), "%s/30-c.rules:3: unknown tier \"huge\"", dir);
	assert_non_null(strstr(err, path));
	free(err);

	assert_int_equal(rules_load_dir("/nonexistent/filters", NULL, &set), MD_ERR_IO);
	remove_dir(dir, names);
}

static void
test_type_and_tier_names(void **state)
{
	enum md_type t;
	enum md_tier tier;

	(void)state;
	assert_int_equal(md_type_parse("权益保障类", &t), MD_OK);
	assert_int_equal(t, MD_TYPE_RIGHTS);
	assert_int_equal(md_type_parse("Policy", &t), MD_OK);
	assert_int_equal(t, MD_TYPE_POLICY);
	assert_int_equal(md_type_parse("其他合理诉求", &t), MD_OK);
	assert_int_equal(t, MD_TYPE_OTHER);
	assert_int_equal(md_type_parse("类", &t), MD_ERR_INPUT);
	assert_null(md_type_name(MD_TYPE_NONE));
	assert_string_equal(md_type_name(MD_TYPE_SUGGESTION), "suggestion");
	assert_int_equal(md_tier_parse("重大复杂", &tier), MD_OK);
	assert_int_equal(tier, MD_TIER_MAJOR);
	assert_null(md_tier_name(MD_TIER_NONE));
}

static void
test_huge_body_is_scanned_only_at_its_start(void **state)
{
	struct ruleset *set;
	struct rules_outcome o;
	struct fixture f;
	size_t n = 512 * 1024;
	char *body;

	(void)state;
	set = load("rule lit\n  body contains 仲裁\n  flag lit\nend\n"
	    "rule re\n  body matches \"仲.裁\"\n  flag re\nend\n");
	assert_non_null(body = malloc(n + 1));
	memset(body, 'a', n);
	body[n] = '\0';
	memcpy(body + 1000, "仲x裁", strlen("仲x裁"));
	fixture_init(&f, "", body, "a@b");
	assert_int_equal(rules_eval(set, &f.msg, NULL, &o), MD_OK);
	assert_false(rules_outcome_has_flag(&o, "lit"));
	assert_true(rules_outcome_has_flag(&o, "re"));
	rules_outcome_free(&o);
	/* Far past the first 256 KiB: not examined, and no time spent on it. */
	memcpy(body + 400 * 1024, "仲裁", strlen("仲裁"));
	assert_int_equal(rules_eval(set, &f.msg, NULL, &o), MD_OK);
	assert_false(rules_outcome_has_flag(&o, "lit"));
	rules_outcome_free(&o);
	memcpy(body + 200 * 1024, "仲裁", strlen("仲裁"));
	assert_int_equal(rules_eval(set, &f.msg, NULL, &o), MD_OK);
	assert_true(rules_outcome_has_flag(&o, "lit"));
	rules_outcome_free(&o);
	free(body);
	rules_free(set);
}

/* Whether a set reads the member context is known from its conditions alone. */
static void
test_use_member(void **state)
{
	static const char *const names[] = { "10-a.rules", "20-b.rules", NULL };
	char dir[] = "/tmp/test_rules_member.XXXXXX";
	struct ruleset *set;

	(void)state;
	set = load("rule a\n  subject contains 会\n  header X-Priority starts-with 1\n"
	    "  flag a\nend\n");
	assert_false(rules_use_member(set));
	rules_free(set);
	set = load("rule a\n  subject contains 会\n  flag a\nend\n"
	    "rule b\n  any\n    subject contains x\n    not\n      member yes\n"
	    "    end\n  end\n  flag b\nend\n");
	assert_true(rules_use_member(set));
	rules_free(set);
	set = load("rule k\n  member-kind none\n  flag k\nend\n");
	assert_true(rules_use_member(set));
	rules_free(set);
	/* The words inside a value are not conditions. */
	set = load("rule v\n  subject contains member member-kind\n  flag v\nend\n");
	assert_false(rules_use_member(set));
	rules_free(set);
	/* A set loaded from several files: one member condition in any file counts. */
	assert_non_null(mkdtemp(dir));
	write_file(dir, "10-a.rules", "rule a\n  text contains 会\n  type other\nend\n");
	assert_int_equal(rules_load_dir(dir, stderr, &set), MD_OK);
	assert_false(rules_use_member(set));
	rules_free(set);
	write_file(dir, "20-b.rules", "rule b\n  member no\n  flag outsider\nend\n");
	assert_int_equal(rules_load_dir(dir, stderr, &set), MD_OK);
	assert_true(rules_use_member(set));
	rules_free(set);
	remove_dir(dir, names);
}

/* A copied outcome carries everything and owns its own strings. */
static void
test_outcome_copy(void **state)
{
	struct ruleset *set;
	struct rules_outcome o, c, e;
	struct fixture f;
	size_t i;

	(void)state;
	set = load("rule one\n  subject contains 会\n  flag f1 f2\n  tier simple\n"
	    "  assign zhang\nend\n"
	    "rule two\n  subject contains 会\n  type rights\n  tier major\n"
	    "  group legal\n  language en\n  stop\nend\n");
	fixture_init(&f, "商会", "", "a@b");
	assert_int_equal(rules_eval(set, &f.msg, NULL, &o), MD_OK);
	assert_int_equal(rules_outcome_copy(&c, &o), MD_OK);
	assert_int_equal(c.type, MD_TYPE_RIGHTS);
	assert_int_equal(c.type_hit, 1);
	assert_int_equal(c.tier, MD_TIER_MAJOR);
	assert_true(c.stopped);
	assert_int_equal(c.n_flags, 2);
	assert_int_equal(c.n_hits, 2);
	for (i = 0; i < 2; i++) {
		assert_string_equal(c.flags[i], o.flags[i]);
		assert_ptr_not_equal(c.flags[i], o.flags[i]);
		assert_string_equal(c.hits[i].name, o.hits[i].name);
		assert_string_equal(c.hits[i].file, o.hits[i].file);
		assert_string_equal(c.hits[i].reason, o.hits[i].reason);
		assert_int_equal(c.hits[i].line, o.hits[i].line);
	}
	assert_string_equal(c.assignee, "zhang");
	assert_string_equal(c.group, "legal");
	assert_string_equal(c.language, "en");
	rules_outcome_free(&o);
	/* Still whole once the original is gone (ASan would see a dangling one). */
	assert_string_equal(c.hits[1].name, "two");
	rules_outcome_free(&c);

	/* An empty outcome copies as empty, type undecided. */
	memset(&e, 0, sizeof(e));
	e.type = MD_TYPE_NONE;
	assert_int_equal(rules_outcome_copy(&c, &e), MD_OK);
	assert_int_equal(c.type, MD_TYPE_NONE);
	assert_int_equal(c.n_flags, 0);
	assert_int_equal(c.n_hits, 0);
	assert_null(c.assignee);
	rules_outcome_free(&c);
	rules_free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chinese_substring_and_flags),
		cmocka_unit_test(test_regex_utf8_and_case),
		cmocka_unit_test(test_nesting_not_and_attributes),
		cmocka_unit_test(test_order_first_type_max_tier_and_stop),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_dir_order_and_all_or_nothing),
		cmocka_unit_test(test_type_and_tier_names),
		cmocka_unit_test(test_huge_body_is_scanned_only_at_its_start),
		cmocka_unit_test(test_use_member),
		cmocka_unit_test(test_outcome_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
