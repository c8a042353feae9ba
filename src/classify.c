/*
 * Rules and the naive Bayes model combined into one proposal per request,
 * plus the subject similarity behind "possible-duplicate".
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "classify.h"
#include "utf8.h"

#define CLASSIFY_MAX_SUBJECT_CPS	512
#define CLASSIFY_MAX_MODEL_TEXT		(64 * 1024)

void
classify_options_default(struct classify_options *opt)
{
	opt->min_confidence = 0.45;
	opt->duplicate_similarity = 0.6;
	opt->duplicate_window = 30L * 24 * 3600;
}

/* ---- subject similarity ---- */

static int
ci_prefix(const char *s, const char *p)
{
	for (; *p != '\0'; s++, p++) {
		char c = *s >= 'A' && *s <= 'Z' ? (char)(*s + ('a' - 'A')) : *s;

		if (c != *p)
			return 0;
	}
	return 1;
}

/* Skip reply/forward prefixes and leading tags, as mail clients add them. */
static const char *
strip_prefixes(const char *s)
{
	static const char *const prefixes[] = {
		"re", "fw", "fwd", "aw", "wg", "sv", "vs", "antw",
		"回复", "答复", "回覆", "转发", "轉發", "转寄", "轉寄", NULL
	};
	const char *t, *close;
	size_t i;

	for (;;) {
		while (*s == ' ' || *s == '\t' || strncmp(s, "\xe3\x80\x80", 3) == 0)
			s += *s == ' ' || *s == '\t' ? 1 : 3;
		if (*s == '[' && (close = strchr(s, ']')) != NULL) {
			s = close + 1;
			continue;
		}
		if (strncmp(s, "【", 3) == 0 && (close = strstr(s, "】")) != NULL) {
			s = close + 3;
			continue;
		}
		for (i = 0; prefixes[i] != NULL; i++) {
			if (!ci_prefix(s, prefixes[i]))
				continue;
			t = s + strlen(prefixes[i]);
			while (*t == ' ')
				t++;
			if (*t == ':') {
				s = t + 1;
				break;
			}
			if (strncmp(t, "：", 3) == 0) {
				s = t + 3;
				break;
			}
		}
		if (prefixes[i] == NULL)
			return s;
	}
}

static int
keep_cp(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) ||
	    (c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x2ffff);
}

/* The sorted, unique bigrams of a normalised subject; returns their number. */
static size_t
subject_bigrams(const char *subject, uint64_t *out)
{
	uint32_t cps[CLASSIFY_MAX_SUBJECT_CPS], c;
	const unsigned char *s = (const unsigned char *)strip_prefixes(subject);
	size_t n = 0, k, i, j, depth = 0;

	while (*s != '\0' && n < CLASSIFY_MAX_SUBJECT_CPS) {
		if ((k = utf8_decode_str(s, &c)) == 0) {
			s++;
			continue;
		}
		s += k;
		/* Bracketed tags later in the subject are ours or a client's. */
		if (c == '[' || c == 0x3010)
			depth++;
		else if ((c == ']' || c == 0x3011) && depth > 0)
			depth--;
		if (depth > 0)
			continue;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (keep_cp(c))
			cps[n++] = c;
	}
	if (n == 1) {
		out[0] = (uint64_t)cps[0] << 21;
		return 1;
	}
	for (i = 0; i + 1 < n; i++)
		out[i] = (uint64_t)cps[i] << 21 | cps[i + 1];
	n = n > 1 ? n - 1 : 0;
	/* Insertion sort: subjects are short. */
	for (i = 1; i < n; i++) {
		uint64_t v = out[i];

		for (j = i; j > 0 && out[j - 1] > v; j--)
			out[j] = out[j - 1];
		out[j] = v;
	}
	for (i = 0, j = 0; i < n; i++)
		if (j == 0 || out[j - 1] != out[i])
			out[j++] = out[i];
	return j;
}

double
classify_subject_similarity(const char *a, const char *b)
{
	uint64_t *ba, *bb;
	size_t na, nb, i = 0, j = 0, common = 0;
	double r = 0;

	if (a == NULL || b == NULL)
		return 0;
	ba = calloc(CLASSIFY_MAX_SUBJECT_CPS, sizeof(*ba));
	bb = calloc(CLASSIFY_MAX_SUBJECT_CPS, sizeof(*bb));
	if (ba == NULL || bb == NULL)
		goto out;
	na = subject_bigrams(a, ba);
	nb = subject_bigrams(b, bb);
	if (na + nb == 0)
		goto out;
	while (i < na && j < nb) {
		if (ba[i] == bb[j]) {
			common++;
			i++;
			j++;
		} else if (ba[i] < bb[j]) {
			i++;
		} else {
			j++;
		}
	}
	r = 2.0 * (double)common / (double)(na + nb);
 out:
	free(ba);
	free(bb);
	return r;
}

/* ---- classification ---- */

static enum md_err
check_duplicates(const struct classify_options *opt, const struct classify_input *in,
    struct classify_result *res)
{
	const struct message *msg = in->msg;
	time_t ref = in->now;
	double score;
	size_t i;

	if (in->recent == NULL || in->n_recent == 0 || msg->subject == NULL)
		return MD_OK;
	if (ref == 0)
		ref = msg->date != 0 ? msg->date : time(NULL);
	for (i = 0; i < in->n_recent; i++) {
		if (in->recent[i].subject == NULL ||
		    in->recent[i].when < ref - opt->duplicate_window)
			continue;
		score = classify_subject_similarity(msg->subject, in->recent[i].subject);
		if (score >= opt->duplicate_similarity && score > res->duplicate_score) {
			free(res->duplicate_of);
			if ((res->duplicate_of = strdup(in->recent[i].subject)) == NULL)
				return MD_ERR_NOMEM;
			res->duplicate_score = score;
		}
	}
	if (res->duplicate_of != NULL)
		return rules_outcome_add_flag(&res->rules, CLASSIFY_FLAG_DUPLICATE);
	return MD_OK;
}

static enum md_err
model_scores(const struct bayes *model, const struct message *msg,
    struct bayes_scores *scores, int *have_scores)
{
	struct buf text;
	size_t body;
	enum md_err r;

	buf_init(&text, CLASSIFY_MAX_MODEL_TEXT + 1024);
	body = msg->text ? msg->text_len : 0;
	if (body > CLASSIFY_MAX_MODEL_TEXT)
		body = CLASSIFY_MAX_MODEL_TEXT;
	if ((r = buf_append(&text, msg->subject ? msg->subject : "",
	    msg->subject ? strnlen(msg->subject, 1000) : 0)) != MD_OK ||
	    (r = buf_putc(&text, '\n')) != MD_OK ||
	    (body > 0 && (r = buf_append(&text, msg->text, body)) != MD_OK)) {
		buf_free(&text);
		return r;
	}
	bayes_classify(model, text.data, text.len, scores);
	*have_scores = scores->best != MD_TYPE_NONE;
	buf_free(&text);
	return MD_OK;
}

enum md_err
classify_precompute(const struct ruleset *rules, const struct bayes *model,
    const struct message *msg, struct classify_precomputed *out)
{
	int member_blind = rules == NULL || !rules_use_member(rules);
	enum md_err r = MD_OK;

	memset(out, 0, sizeof(*out));
	out->rules.type = MD_TYPE_NONE;
	/* Without a member context: the rules do not look at it. */
	if (rules != NULL && member_blind)
		r = rules_eval(rules, msg, NULL, &out->rules);
	if (r == MD_OK)
		out->rules_done = member_blind;
	if (r == MD_OK && model != NULL)
		r = model_scores(model, msg, &out->scores, &out->have_scores);
	if (r != MD_OK) {
		classify_precomputed_free(out);
		return r;
	}
	out->scores_done = 1;
	return MD_OK;
}

void
classify_precomputed_free(struct classify_precomputed *pre)
{
	rules_outcome_free(&pre->rules);
	memset(pre, 0, sizeof(*pre));
	pre->rules.type = MD_TYPE_NONE;
}

/* The rules' part of res: precomputed when it could be, else evaluated now. */
static enum md_err
rules_part(const struct ruleset *rules, const struct classify_input *in,
    struct classify_result *res)
{
	struct rules_context ctx;

	if (in->pre != NULL && in->pre->rules_done)
		return rules_outcome_copy(&res->rules, &in->pre->rules);
	if (rules == NULL)
		return MD_OK;
	ctx.is_member = in->is_member;
	ctx.member_kind = in->member_kind;
	return rules_eval(rules, in->msg, &ctx, &res->rules);
}

enum md_err
classify(const struct ruleset *rules, const struct bayes *model,
    const struct classify_options *opt, const struct classify_input *in,
    struct classify_result **out)
{
	struct classify_options defaults;
	struct classify_result *res;
	enum md_err r;

	*out = NULL;
	if (opt == NULL) {
		classify_options_default(&defaults);
		opt = &defaults;
	}
	if ((res = calloc(1, sizeof(*res))) == NULL)
		return MD_ERR_NOMEM;
	res->rules.type = MD_TYPE_NONE;
	if ((r = rules_part(rules, in, res)) != MD_OK)
		goto fail;
	if (in->pre != NULL && in->pre->scores_done) {
		res->scores = in->pre->scores;
		res->have_scores = in->pre->have_scores;
	} else if (model != NULL &&
	    (r = model_scores(model, in->msg, &res->scores, &res->have_scores)) != MD_OK) {
		goto fail;
	}
	res->tier_hint = res->rules.tier;
	if (res->rules.type != MD_TYPE_NONE) {
		res->type = res->rules.type;
		res->type_from_rules = 1;
		res->confidence = 1.0;
	} else if (res->have_scores &&
	    res->scores.prob[res->scores.best] >= opt->min_confidence) {
		res->type = res->scores.best;
		res->confidence = res->scores.prob[res->scores.best];
	} else {
		res->type = MD_TYPE_OTHER;
		res->confidence = res->have_scores ? res->scores.prob[res->scores.best] : 0;
		if ((r = rules_outcome_add_flag(&res->rules, CLASSIFY_FLAG_LOW_CONFIDENCE)) != MD_OK)
			goto fail;
	}
	if ((r = check_duplicates(opt, in, res)) != MD_OK)
		goto fail;
	*out = res;
	return MD_OK;
 fail:
	classify_result_free(res);
	return r;
}

void
classify_result_free(struct classify_result *res)
{
	if (res == NULL)
		return;
	rules_outcome_free(&res->rules);
	free(res->duplicate_of);
	free(res);
}

/* json_*_set_new() steal their value even when they fail. */
static int
add(json_t *obj, const char *key, json_t *v)
{
	return v == NULL || json_object_set_new(obj, key, v) != 0 ? -1 : 0;
}

json_t *
classify_result_json(const struct classify_result *res)
{
	json_t *obj, *flags, *names;
	const char *tier = md_tier_name(res->tier_hint);
	size_t i;

	if ((obj = json_object()) == NULL)
		return NULL;
	if (add(obj, "type", json_string(md_type_name(res->type))) == -1 ||
	    add(obj, "tier_hint", tier ? json_string(tier) : json_null()) == -1 ||
	    add(obj, "flags", flags = json_array()) == -1 ||
	    add(obj, "rules", names = json_array()) == -1 ||
	    add(obj, "confidence", json_real(round(res->confidence * 1000) / 1000)) == -1)
		goto fail;
	for (i = 0; i < res->rules.n_flags; i++)
		if (json_array_append_new(flags, json_string(res->rules.flags[i])) != 0)
			goto fail;
	for (i = 0; i < res->rules.n_hits; i++)
		if (json_array_append_new(names, json_string(res->rules.hits[i].name)) != 0)
			goto fail;
	return obj;
 fail:
	json_decref(obj);
	return NULL;
}
