#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "html.h"

static void
check(const char *html, const char *want)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	assert_int_equal(html_to_text(html, strlen(html), &b), MD_OK);
	assert_string_equal(b.data ? b.data : "", want);
	buf_free(&b);
}

static void
test_skips_head_script_style(void **state)
{
	(void)state;
	check("<html><head><title>T</title><style>p{color:red}</style></head>"
	    "<body><script>alert('x')</script><p>正文</p><noscript>n</noscript></body></html>",
	    "正文");
	check("<!-- hidden --><p>a<!-- hidden too -->b</p>", "ab");
}

static void
test_blocks_and_breaks(void **state)
{
	(void)state;
	check("<p>one</p><p>two</p>", "one\n\ntwo");
	/* libxml2 wraps stray text after a block in an implied <p>. */
	check("<div>one</div><div>two</div>three", "one\ntwo\n\nthree");
	check("line1<br>line2<br/>line3", "line1\nline2\nline3");
	check("<h1>Title</h1>text", "Title\n\ntext");
	check("<p>a</p><p></p><p></p><p>b</p>", "a\n\nb");
	check("<table><tr><td>k</td><td>v</td></tr><tr><td>k2</td><td>v2</td></tr></table>",
	    "k v\nk2 v2");
	check("<pre>  keep\n   this</pre>after", "  keep\n   this\n\nafter");
}

static void
test_whitespace_collapses(void **state)
{
	(void)state;
	check("<p>  many \n\n  blanks\there  </p>", "many blanks here");
	check("a&nbsp;&nbsp;b", "a  b");
}

static void
test_lists(void **state)
{
	(void)state;
	check("<ul><li>税收</li><li>用工</li></ul>", "- 税收\n- 用工");
	check("<ol><li>一</li><li>二</li><li>三</li></ol>", "1. 一\n2. 二\n3. 三");
	check("<ul><li>a<ol><li>x</li></ol></li><li>b</li></ul>", "- a\n1. x\n- b");
}

static void
test_entities_and_links(void **state)
{
	(void)state;
	check("&lt;tag&gt; &amp; &quot;q&quot; &#21830;&#x4f1a; &copy;", "<tag> & \"q\" 商会 ©");
	check("see <a href=\"https://example.cn/policy\">the policy</a>.", "see the policy.");
	check("<a href=\"x\"><img src=\"y\"></a>end", "end");
}

static void
test_broken_html(void **state)
{
	(void)state;
	check("<p>unclosed <b>bold <i>both</p>next", "unclosed bold both\n\nnext");
	check("<div><span>a</div></span>b", "a\n\nb");
	check("plain text only", "plain text only");
	check("1 < 2 and 3 > 2", "1 < 2 and 3 > 2");
}

static void
test_meta_charset_is_ignored(void **state)
{
	(void)state;
	/* The caller converted to UTF-8 already; a meta saying GBK must not re-decode. */
	check("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
	    "charset=gb2312\"></head><body>商会</body></html>", "商会");
	check("<meta charset=\"big5\"><p>會員</p>", "會員");
}

static void
test_limit(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 7);
	assert_int_equal(html_to_text("<p>商会商会</p>", strlen("<p>商会商会</p>"), &b),
	    MD_ERR_LIMIT);
	assert_string_equal(b.data, "商会");
	buf_free(&b);
	buf_init(&b, 16);
	assert_int_equal(html_to_text("", 0, &b), MD_OK);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void
test_deep_nesting(void **state)
{
	struct buf b, in;
	int i;

	(void)state;
	buf_init(&in, 1 << 20);
	for (i = 0; i < 5000; i++)
		assert_int_equal(buf_puts(&in, "<div>"), MD_OK);
	assert_int_equal(buf_puts(&in, "deep"), MD_OK);
	buf_init(&b, 1 << 20);
	/* Must neither crash nor lose the text; libxml2 may stop at its depth limit. */
	html_to_text(in.data, in.len, &b);
	buf_free(&b);
	buf_free(&in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_skips_head_script_style),
		cmocka_unit_test(test_blocks_and_breaks),
		cmocka_unit_test(test_whitespace_collapses),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_entities_and_links),
		cmocka_unit_test(test_broken_html),
		cmocka_unit_test(test_meta_charset_is_ignored),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_deep_nesting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
