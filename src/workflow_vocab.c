/*
 * The words of the life cycle (statuses, tiers, types, art. 8 grounds,
 * art. 12 methods, command names) and how notices and views show them.
 * Stored values are short English words; labels follow the rules' wording.
 */
#include <string.h>

#include "workflow_int.h"

struct vocab {
	const char *word;
	const char *zh;
	const char *en;
};

static const struct vocab statuses[] = {
	{ "registered", "待审核", "registered" },
	{ "handling", "办理中", "in handling" },
	{ "rejected", "不予受理", "rejected" },
	{ "resolved", "已反馈结果", "resolved" },
	{ "rehandling", "重新办理", "re-handling" },
	{ "closed", "已办结", "closed" },
	{ "archived", "已归档", "archived" },
	{ "merged", "已并案", "merged" },
};

static const struct vocab tiers[] = {
	{ "simple", "简单诉求", "simple" },
	{ "general", "一般诉求", "general" },
	{ "major", "重大复杂诉求", "major/complex" },
};

static const struct vocab types[] = {
	{ "policy", "政策咨询类", "policy consultation" },
	{ "rights", "权益保障类", "rights protection" },
	{ "difficulty", "发展困难类", "development difficulty" },
	{ "suggestion", "意见建议类", "opinion or suggestion" },
	{ "other", "其他", "other" },
};

static const struct vocab grounds[] = {
	{ "outside-remit", "不属于商会职责范围", "outside the chamber's remit" },
	{ "legal-process", "已进入司法程序、仲裁程序或行政复议程序",
	  "already in litigation, arbitration or administrative review" },
	{ "no-basis", "无事实依据、恶意投诉或诬告陷害他人",
	  "no factual basis, or malicious" },
	{ "unlawful", "违反法律法规及商会规章制度",
	  "contrary to law or the chamber's rules" },
	{ "other", "其他不符合受理条件的情形", "other grounds for not accepting" },
};

static const struct vocab methods[] = {
	{ "policy-interpretation", "政策解读", "policy interpretation" },
	{ "agency-coordination", "协调对接", "coordination with agencies" },
	{ "resource-matching", "资源整合", "resource matching" },
	{ "rights-assistance", "维权协助", "rights assistance" },
	{ "suggestion-adopted", "意见采纳", "suggestion adopted" },
	{ "suggestion-declined", "意见暂不采纳", "suggestion not adopted" },
};

static const struct vocab others[] = {
	{ "email", "电子邮件", "email" }, { "visit", "走访受理", "visit" },
	{ "meeting", "会议受理", "meeting" }, { "walk-in", "来访受理", "walk-in" },
	{ "phone", "电话", "phone" }, { "online", "线上", "online" },
	{ "satisfied", "满意", "satisfied" }, { "unsatisfied", "不满意", "not satisfied" },
	{ "no-feedback", "在规定期限内未收到您的评价，按办结处理",
	  "no feedback within the time allowed" },
};

static const char *const action_names[] = {
	"accept", "reject", "type", "tier", "assign", "note", "progress", "extend",
	"resolve", "feedback", "merge", "reopen", "close", "archive", "register", "reply"
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct vocab *
vocab_find(const struct vocab *v, size_t n, const char *word)
{
	size_t i;

	if (word == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (strcmp(v[i].word, word) == 0)
			return &v[i];
	return NULL;
}

int
wf_tier_valid(const char *tier)
{
	return vocab_find(tiers, NELEM(tiers), tier) != NULL;
}

int
wf_type_valid(const char *type)
{
	return vocab_find(types, NELEM(types), type) != NULL;
}

int
wf_ground_valid(const char *ground)
{
	return vocab_find(grounds, NELEM(grounds), ground) != NULL;
}

int
wf_method_valid(const char *method)
{
	return vocab_find(methods, NELEM(methods), method) != NULL;
}

int
wf_status_valid(const char *status)
{
	return vocab_find(statuses, NELEM(statuses), status) != NULL;
}

const char *
wf_label(const char *word, const char *lang)
{
	static const struct {
		const struct vocab *v;
		size_t n;
	} all[] = {
		{ statuses, NELEM(statuses) }, { tiers, NELEM(tiers) }, { types, NELEM(types) },
		{ methods, NELEM(methods) }, { others, NELEM(others) }, { grounds, NELEM(grounds) },
	};
	const struct vocab *hit;
	size_t i;
	int en = lang && strcmp(lang, "en") == 0;

	if (word == NULL)
		return "";
	for (i = 0; i < NELEM(all); i++)
		if ((hit = vocab_find(all[i].v, all[i].n, word)) != NULL)
			return en ? hit->en : hit->zh;
	return word;
}

const char *
wf_ground_label(const char *ground, const char *lang)
{
	const struct vocab *v = vocab_find(grounds, NELEM(grounds), ground);

	if (v == NULL)
		return ground ? ground : "";
	return lang && strcmp(lang, "en") == 0 ? v->en : v->zh;
}

const char *
wf_action_name(enum wf_action a)
{
	if ((size_t)a >= NELEM(action_names))
		return "?";
	return action_names[a];
}

enum md_err
wf_action_from_name(const char *name, enum wf_action *out)
{
	size_t i;

	for (i = 0; name && i < NELEM(action_names); i++)
		if (strcmp(name, action_names[i]) == 0) {
			*out = (enum wf_action)i;
			return MD_OK;
		}
	return MD_ERR_NOTFOUND;
}

int
wf_case_overdue(const struct case_record *c, time_t now)
{
	if (strcmp(c->status, "registered") == 0)
		return c->review_due && now > c->review_due;
	if (strcmp(c->status, "handling") == 0)
		return c->handling_due && now > c->handling_due;
	if (strcmp(c->status, "rehandling") == 0)
		return c->rehandling_due && now > c->rehandling_due;
	return 0;
}
