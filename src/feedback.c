#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "feedback.h"

/* Longest first within each list, so that the longer phrase claims the bytes. */
static const char *const negative[] = {
	"非常不满意", "不是很满意", "不太满意", "很不满意", "不很满意", "不够满意", "并不满意",
	"不大满意", "没有满意", "不满意", "不滿意", "not very satisfied", "not satisfied",
	"not happy", "unsatisfactory", "not satisfactory", "unsatisfied", "dissatisfied",
};

static const char *const positive[] = {
	"非常满意", "十分满意", "比较满意", "基本满意", "很满意", "满意", "滿意",
	"very satisfied", "satisfactory", "satisfied",
};

/* Words that turn the phrase after them around ("不是不满意", "not dissatisfied"). */
static const char *const negators[] = {
	"不是", "并非", "没有", "不", "没", "未", "无", "not ", "n't ", "never ",
};

static int
at_ci(const char *s, size_t n, size_t i, const char *w)
{
	size_t k = strlen(w);

	return i + k <= n && strncasecmp(s + i, w, k) == 0;
}

static int
is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Is there a negator right before byte i (ignoring one blank)? */
static int
negated(const char *s, size_t i)
{
	size_t k, j;

	for (j = 0; j < sizeof(negators) / sizeof(negators[0]); j++) {
		k = strlen(negators[j]);
		if (i >= k && strncasecmp(s + i - k, negators[j], k) == 0)
			return 1;
	}
	return 0;
}

/*
 * Mark phrases of list in s, skipping bytes already used. Each match counts
 * towards *same, or towards *other when a negator turns it around.
 */
static void
mark_phrases(const char *s, size_t n, char *used, const char *const *list, size_t nlist,
    int double_negative_is_both, int *same, int *other)
{
	size_t i, j, k;

	for (j = 0; j < nlist; j++) {
		k = strlen(list[j]);
		for (i = 0; i + k <= n; i++) {
			if (used[i] || used[i + k - 1] || !at_ci(s, n, i, list[j]))
				continue;
			/* English words must stand alone: "unsatisfied" is not "satisfied". */
			if (is_letter(list[j][0]) && ((i > 0 && is_letter(s[i - 1])) ||
			    (i + k < n && is_letter(s[i + k]))))
				continue;
			memset(used + i, 1, k);
			if (negated(s, i)) {
				(*other)++;
				/* "不是不满意" is no clear answer either way. */
				if (double_negative_is_both)
					(*same)++;
			} else
				(*same)++;
			i += k - 1;
		}
	}
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Record a score 1-5 found at [i, i+len); scores that disagree cancel out. */
static void
take_score(char *used, size_t i, size_t len, int v, int *score, int *conflict)
{
	if (v < 1 || v > 5)
		return;
	memset(used + i, 1, len);
	if (*score && *score != v)
		*conflict = 1;
	*score = v;
}

/* Blanks and ASCII/Chinese colons after a score label. */
static size_t
skip_label_seps(const char *s, size_t n, size_t i)
{
	for (;;) {
		if (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ':' || s[i] == '='))
			i++;
		else if (at_ci(s, n, i, "："))
			i += strlen("：");
		else if (at_ci(s, n, i, "为"))
			i += strlen("为");
		else
			return i;
	}
}

static void
find_scores(const char *s, size_t n, char *used, int *score, int *conflict)
{
	static const char *const labels[] = {
		"评分", "打分", "分数", "评价", "score", "rating",
	};
	size_t i, j, k, e, line, stars;

	for (i = 0; i < n; i++) {
		if (used[i])
			continue;
		/* "评分：4", "score: 4" */
		for (j = 0; j < sizeof(labels) / sizeof(labels[0]); j++) {
			if (!at_ci(s, n, i, labels[j]))
				continue;
			k = skip_label_seps(s, n, i + strlen(labels[j]));
			if (k < n && is_digit(s[k]) && (k + 1 >= n || !is_digit(s[k + 1]))) {
				e = k + 1;
				if (at_ci(s, n, e, "分"))
					e += strlen("分");
				take_score(used, i, e - i, s[k] - '0', score, conflict);
			}
		}
		/* Stars, filled ones counted: "★★★★☆" */
		for (stars = 0, e = i; at_ci(s, n, e, "★") || at_ci(s, n, e, "☆"); e += 3)
			stars += at_ci(s, n, e, "★");
		if (e > i) {
			take_score(used, i, e - i, (int)stars, score, conflict);
			i = e - 1;
			continue;
		}
		if (!is_digit(s[i]) || (i > 0 && (is_digit(s[i - 1]) || s[i - 1] == '.')) ||
		    (i + 1 < n && (is_digit(s[i + 1]) || s[i + 1] == '.')))
			continue;
		/* "5分" but not "5分钟"; "4/5"; a digit alone on its line. */
		if (at_ci(s, n, i + 1, "分") && !at_ci(s, n, i + 1 + strlen("分"), "钟")) {
			e = i + 1 + strlen("分");
			take_score(used, i, e - i, s[i] - '0', score, conflict);
			continue;
		}
		k = i + 1;
		while (k < n && s[k] == ' ')
			k++;
		if (at_ci(s, n, k, "分") && !at_ci(s, n, k + strlen("分"), "钟")) {
			take_score(used, i, k + strlen("分") - i, s[i] - '0', score, conflict);
			continue;
		}
		if (at_ci(s, n, i + 1, "/5") && (i + 3 >= n || !is_digit(s[i + 3]))) {
			take_score(used, i, 3, s[i] - '0', score, conflict);
			continue;
		}
		for (line = i; line > 0 && s[line - 1] != '\n'; line--)
			if (s[line - 1] != ' ' && s[line - 1] != '\t')
				break;
		for (e = i + 1; e < n && (s[e] == ' ' || s[e] == '\t' || s[e] == '\r'); e++)
			;
		if ((line == 0 || s[line - 1] == '\n') && (e >= n || s[e] == '\n'))
			take_score(used, i, 1, s[i] - '0', score, conflict);
	}
}

/* Punctuation and blanks trimmed around the reason. */
static size_t
punct_at(const char *s, size_t n, size_t i)
{
	static const char *const zh[] = { "，", "。", "！", "：", "；", "、", "　" };
	size_t j;

	if (i < n && strchr(" \t\r\n,.!:;-", s[i]) != NULL)
		return 1;
	for (j = 0; j < sizeof(zh) / sizeof(zh[0]); j++)
		if (at_ci(s, n, i, zh[j]))
			return strlen(zh[j]);
	return 0;
}

static enum md_err
build_reason(const char *s, size_t n, const char *used, char **out)
{
	struct buf b;
	size_t i, k, start, end;
	char *t;
	enum md_err err = MD_OK;

	buf_init(&b, FEEDBACK_MAX_TEXT + 1);
	for (i = 0; i < n && err == MD_OK; i++)
		if (!used[i])
			err = buf_putc(&b, s[i]);
	if (err) {
		buf_free(&b);
		return err;
	}
	t = buf_steal(&b);
	if (t == NULL)
		return MD_ERR_NOMEM;
	n = strlen(t);
	for (start = 0; start < n && (k = punct_at(t, n, start)) > 0; start += k)
		;
	end = n;
	while (end > start && (t[end - 1] == ' ' || t[end - 1] == '\n' || t[end - 1] == '\r' ||
	    t[end - 1] == '\t' || t[end - 1] == ','))
		end--;
	memmove(t, t + start, end - start);
	t[end - start] = '\0';
	*out = t;
	return MD_OK;
}

enum md_err
feedback_parse(const char *text, struct feedback *fb)
{
	size_t n = strlen(text);
	char *used;
	int pos = 0, neg = 0, score = 0, conflict = 0;
	enum md_err err;

	memset(fb, 0, sizeof(*fb));
	if (n > FEEDBACK_MAX_TEXT)
		return MD_ERR_LIMIT;
	used = calloc(n + 1, 1);
	if (used == NULL)
		return MD_ERR_NOMEM;
	mark_phrases(text, n, used, negative, sizeof(negative) / sizeof(negative[0]), 1,
	    &neg, &pos);
	mark_phrases(text, n, used, positive, sizeof(positive) / sizeof(positive[0]), 0,
	    &pos, &neg);
	find_scores(text, n, used, &score, &conflict);
	if (conflict)
		score = 0;
	if (pos && !neg)
		fb->verdict = FEEDBACK_SATISFIED;
	else if (neg && !pos)
		fb->verdict = FEEDBACK_UNSATISFIED;
	else if (!pos && !neg && score) {
		fb->verdict = score >= 3 ? FEEDBACK_SATISFIED : FEEDBACK_UNSATISFIED;
		fb->from_score = 1;
	}
	/* Words and score that contradict each other: staff decide. */
	if ((fb->verdict == FEEDBACK_SATISFIED && score && score <= 2) ||
	    (fb->verdict == FEEDBACK_UNSATISFIED && score >= 4) || conflict)
		fb->verdict = FEEDBACK_UNKNOWN;
	fb->score = fb->verdict == FEEDBACK_UNKNOWN && conflict ? 0 : score;
	err = build_reason(text, n, used, &fb->reason);
	free(used);
	if (err)
		memset(fb, 0, sizeof(*fb));
	return err;
}

void
feedback_free(struct feedback *fb)
{
	free(fb->reason);
	memset(fb, 0, sizeof(*fb));
}

const char *
feedback_verdict_name(enum feedback_verdict v)
{
	switch (v) {
	case FEEDBACK_SATISFIED:   return "satisfied";
	case FEEDBACK_UNSATISFIED: return "unsatisfied";
	case FEEDBACK_UNKNOWN:     break;
	}
	return "unknown";
}
