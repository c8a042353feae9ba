#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "mailcmd.h"
#include "thread.h"

/* How a command takes its arguments. */
enum argspec {
	ARGS_NONE,      /* nothing (close takes an optional reason) */
	ARGS_VALUE,     /* one vocabulary word */
	ARGS_TEXT,      /* free text, may continue on the next lines */
	ARGS_VALUE_TEXT /* a vocabulary word, then free text */
};

struct keyword {
	const char *name;
	int action;             /* enum wf_action, or -1 for help */
	enum argspec args;
};

static const struct keyword keywords[] = {
	{ "accept", WF_ACCEPT, ARGS_VALUE }, { "受理", WF_ACCEPT, ARGS_VALUE },
	{ "reject", WF_REJECT, ARGS_VALUE_TEXT }, { "不予受理", WF_REJECT, ARGS_VALUE_TEXT },
	{ "驳回", WF_REJECT, ARGS_VALUE_TEXT },
	{ "type", WF_SET_TYPE, ARGS_VALUE }, { "类型", WF_SET_TYPE, ARGS_VALUE },
	{ "tier", WF_SET_TIER, ARGS_VALUE }, { "级别", WF_SET_TIER, ARGS_VALUE },
	{ "assign", WF_ASSIGN, ARGS_VALUE }, { "分派", WF_ASSIGN, ARGS_VALUE },
	{ "指派", WF_ASSIGN, ARGS_VALUE },
	{ "note", WF_NOTE, ARGS_TEXT }, { "备注", WF_NOTE, ARGS_TEXT },
	{ "progress", WF_PROGRESS, ARGS_TEXT }, { "进展", WF_PROGRESS, ARGS_TEXT },
	{ "extend", WF_EXTEND, ARGS_VALUE_TEXT }, { "延期", WF_EXTEND, ARGS_VALUE_TEXT },
	{ "resolve", WF_RESOLVE, ARGS_VALUE_TEXT }, { "办结", WF_RESOLVE, ARGS_VALUE_TEXT },
	{ "merge", WF_MERGE, ARGS_VALUE }, { "合并", WF_MERGE, ARGS_VALUE },
	{ "reopen", WF_REOPEN, ARGS_TEXT }, { "重新办理", WF_REOPEN, ARGS_TEXT },
	{ "重办", WF_REOPEN, ARGS_TEXT },
	{ "close", WF_CLOSE, ARGS_TEXT }, { "关闭", WF_CLOSE, ARGS_TEXT },
	{ "archive", WF_ARCHIVE, ARGS_NONE }, { "归档", WF_ARCHIVE, ARGS_NONE },
	{ "register", WF_REGISTER, ARGS_VALUE_TEXT }, { "代登记", WF_REGISTER, ARGS_VALUE_TEXT },
	{ "登记", WF_REGISTER, ARGS_VALUE_TEXT },
	{ "help", -1, ARGS_NONE }, { "帮助", -1, ARGS_NONE },
};

#define N_KEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

struct vocab_word {
	const char *vocab;
	const char *word;       /* as staff may write it */
	const char *canon;      /* the stored word */
};

static const struct vocab_word vocab[] = {
	{ "tier", "simple", "simple" }, { "tier", "简单", "simple" },
	{ "tier", "general", "general" }, { "tier", "一般", "general" },
	{ "tier", "普通", "general" },
	{ "tier", "major", "major" }, { "tier", "重大", "major" },
	{ "tier", "重大复杂", "major" }, { "tier", "复杂", "major" },
	{ "type", "policy", "policy" }, { "type", "政策咨询", "policy" },
	{ "type", "政策", "policy" }, { "type", "咨询", "policy" },
	{ "type", "rights", "rights" }, { "type", "权益保障", "rights" },
	{ "type", "权益", "rights" }, { "type", "维权", "rights" },
	{ "type", "difficulty", "difficulty" }, { "type", "发展困难", "difficulty" },
	{ "type", "困难", "difficulty" },
	{ "type", "suggestion", "suggestion" }, { "type", "意见建议", "suggestion" },
	{ "type", "建议", "suggestion" }, { "type", "意见", "suggestion" },
	{ "type", "other", "other" }, { "type", "其他", "other" },
	{ "ground", "outside-remit", "outside-remit" }, { "ground", "remit", "outside-remit" },
	{ "ground", "不属于商会职责范围", "outside-remit" },
	{ "ground", "不属于职责范围", "outside-remit" }, { "ground", "职责范围外", "outside-remit" },
	{ "ground", "超出职责范围", "outside-remit" }, { "ground", "非职责范围", "outside-remit" },
	{ "ground", "legal-process", "legal-process" }, { "ground", "litigation", "legal-process" },
	{ "ground", "arbitration", "legal-process" },
	{ "ground", "已进入司法程序", "legal-process" }, { "ground", "司法程序", "legal-process" },
	{ "ground", "诉讼", "legal-process" }, { "ground", "仲裁", "legal-process" },
	{ "ground", "仲裁程序", "legal-process" }, { "ground", "已进入仲裁程序", "legal-process" },
	{ "ground", "行政复议", "legal-process" },
	{ "ground", "no-basis", "no-basis" }, { "ground", "malicious", "no-basis" },
	{ "ground", "无事实依据", "no-basis" }, { "ground", "恶意投诉", "no-basis" },
	{ "ground", "诬告", "no-basis" },
	{ "ground", "unlawful", "unlawful" }, { "ground", "illegal", "unlawful" },
	{ "ground", "违反法律法规", "unlawful" }, { "ground", "违法", "unlawful" },
	{ "ground", "违规", "unlawful" },
	{ "ground", "other", "other" }, { "ground", "其他", "other" },
	{ "ground", "其他不符合受理条件", "other" },
	{ "method", "policy-interpretation", "policy-interpretation" },
	{ "method", "政策解读", "policy-interpretation" },
	{ "method", "agency-coordination", "agency-coordination" },
	{ "method", "coordination", "agency-coordination" },
	{ "method", "协调对接", "agency-coordination" }, { "method", "协调", "agency-coordination" },
	{ "method", "resource-matching", "resource-matching" },
	{ "method", "resources", "resource-matching" },
	{ "method", "资源整合", "resource-matching" }, { "method", "资源对接", "resource-matching" },
	{ "method", "rights-assistance", "rights-assistance" },
	{ "method", "维权协助", "rights-assistance" },
	{ "method", "suggestion-adopted", "suggestion-adopted" },
	{ "method", "adopted", "suggestion-adopted" },
	{ "method", "意见采纳", "suggestion-adopted" }, { "method", "采纳", "suggestion-adopted" },
	{ "method", "suggestion-declined", "suggestion-declined" },
	{ "method", "declined", "suggestion-declined" },
	{ "method", "暂不采纳", "suggestion-declined" },
	{ "method", "不予采纳", "suggestion-declined" },
	{ "method", "不采纳", "suggestion-declined" },
	/*
	 * Art. 6: a walk-in is a member at the secretariat's office (线下受理,
	 * 当面反映, 来访); a visit is staff or leadership calling on the member's
	 * company (走访受理).
	 */
	{ "channel", "visit", "visit" }, { "channel", "走访", "visit" },
	{ "channel", "meeting", "meeting" }, { "channel", "会议", "meeting" },
	{ "channel", "walk-in", "walk-in" }, { "channel", "来访", "walk-in" },
	{ "channel", "当面", "walk-in" }, { "channel", "线下", "walk-in" },
	{ "channel", "phone", "phone" }, { "channel", "电话", "phone" },
	{ "channel", "online", "online" }, { "channel", "线上", "online" },
};

const char *
mailcmd_value(const char *vocabulary, const char *word)
{
	size_t i;

	for (i = 0; i < sizeof(vocab) / sizeof(vocab[0]); i++)
		if (strcmp(vocab[i].vocab, vocabulary) == 0 &&
		    strcasecmp(vocab[i].word, word) == 0)
			return vocab[i].canon;
	return NULL;
}

static const char help_zh[] =
    "在回复正文最上面逐行写指令（# 或 ＃ 开头，中英文均可，不分大小写）：\n"
    "  #受理 简单|一般|重大 [类型]        #accept simple|general|major [type]\n"
    "  #不予受理 理由 说明（理由：不属于职责范围/司法程序/仲裁/行政复议/无事实依据/违法/其他）\n"
    "  #类型 政策咨询|权益保障|发展困难|意见建议|其他     #级别 简单|一般|重大\n"
    "  #分派 staff@…      #备注 内部记录（不发给会员）     #进展 发给会员的进展说明\n"
    "  #延期 天数 理由（仅重大复杂诉求）   #办结 处理方式 处理结果（可续写多行）\n"
    "    处理方式：政策解读/协调对接/资源整合/维权协助/意见采纳/暂不采纳\n"
    "  #合并 MD-2026-0003（并入本件）   #重新办理 理由   #关闭 [理由]   #归档\n"
    "  #代登记 会员邮箱 走访|会议|来访|电话|线上 主题（下面几行写诉求内容）\n"
    "不含指令的回复将作为秘书处答复转给会员。";

static const char help_en[] =
    "Write commands at the very top of your reply, one a line, starting with # "
    "(English or Chinese, any case):\n"
    "  #accept simple|general|major [type]    #reject GROUND explanation\n"
    "    grounds: outside-remit, legal-process, no-basis, unlawful, other\n"
    "  #type policy|rights|difficulty|suggestion|other    #tier simple|general|major\n"
    "  #assign staff@...   #note internal text   #progress text for the member\n"
    "  #extend DAYS reason (major cases)   #resolve METHOD result text (more lines allowed)\n"
    "    methods: policy-interpretation, agency-coordination, resource-matching,\n"
    "    rights-assistance, suggestion-adopted, suggestion-declined\n"
    "  #merge MD-2026-0003 (into this case)   #reopen reason   #close [reason]   #archive\n"
    "  #register member@example.com visit|meeting|walk-in|phone|online subject (text below)\n"
    "A reply without commands is relayed to the member.";

const char *
mailcmd_help(const char *lang)
{
	return lang && strcmp(lang, "en") == 0 ? help_en : help_zh;
}

/* Length of a blank (ASCII, NBSP, ideographic, zero-width) at p, or 0. */
static size_t
blank_at(const char *p)
{
	if (*p == ' ' || *p == '\t' || *p == '\r')
		return 1;
	if (strncmp(p, "\xc2\xa0", 2) == 0)
		return 2;
	if (strncmp(p, "\xe3\x80\x80", 3) == 0 || strncmp(p, "\xe2\x80\x8b", 3) == 0 ||
	    strncmp(p, "\xef\xbb\xbf", 3) == 0)
		return 3;
	return 0;
}

/* Length of an argument separator (blank or punctuation between words) at p, or 0. */
static size_t
sep_at(const char *p)
{
	static const char *const seps[] = { "，", "、", "：", "；" };
	size_t i, k;

	if ((k = blank_at(p)) > 0)
		return k;
	if (*p == ',' || *p == ':' || *p == ';')
		return 1;
	for (i = 0; i < sizeof(seps) / sizeof(seps[0]); i++)
		if (strncmp(p, seps[i], strlen(seps[i])) == 0)
			return strlen(seps[i]);
	return 0;
}

static const char *
skip_blanks(const char *p, const char *end)
{
	size_t k;

	while (p < end && (k = blank_at(p)) > 0)
		p += k;
	return p;
}

static const char *
skip_seps(const char *p, const char *end)
{
	size_t k;

	while (p < end && (k = sep_at(p)) > 0)
		p += k;
	return p;
}

/* End of the word starting at p. */
static const char *
word_end(const char *p, const char *end)
{
	while (p < end && sep_at(p) == 0)
		p++;
	return p;
}

/* The '#' or '＃' that starts a command line, or NULL. */
static const char *
command_start(const char *p, const char *end)
{
	p = skip_blanks(p, end);
	if (p < end && *p == '#')
		return p + 1;
	if (end - p >= 3 && strncmp(p, "＃", 3) == 0)
		return p + 3;
	return NULL;
}

static int
line_blank(const char *p, const char *end)
{
	return skip_blanks(p, end) == end;
}

static char *
dup_range(const char *p, const char *end)
{
	return strndup(p, (size_t)(end - p));
}

/* Trailing blanks off p..end. */
static const char *
trim_end(const char *p, const char *end)
{
	for (;;) {
		if (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			end--;
		else if (end - p >= 2 && strncmp(end - 2, "\xc2\xa0", 2) == 0)
			end -= 2;
		else if (end - p >= 3 && strncmp(end - 3, "\xe3\x80\x80", 3) == 0)
			end -= 3;
		else
			return end;
	}
}

static enum md_err
add_error(struct mailcmd_list *l, int line, const char *message)
{
	struct mailcmd_error *v;

	v = reallocarray(l->errors, l->n_errors + 1, sizeof(*v));
	if (v == NULL)
		return MD_ERR_NOMEM;
	l->errors = v;
	v[l->n_errors].line = line;
	v[l->n_errors].message = strdup(message);
	if (v[l->n_errors].message == NULL)
		return MD_ERR_NOMEM;
	l->n_errors++;
	return MD_OK;
}

static const struct keyword *
find_keyword(const char *w, size_t wlen, size_t *used)
{
	const struct keyword *best = NULL;
	size_t i, k, bestlen = 0;

	for (i = 0; i < N_KEYWORDS; i++) {
		k = strlen(keywords[i].name);
		if (k == wlen && strncasecmp(w, keywords[i].name, k) == 0) {
			*used = k;
			return &keywords[i];
		}
	}
	/* Chinese keywords are often written glued to their value: #受理一般. */
	for (i = 0; i < N_KEYWORDS; i++) {
		k = strlen(keywords[i].name);
		if ((unsigned char)keywords[i].name[0] >= 0x80 && k < wlen && k > bestlen &&
		    strncmp(w, keywords[i].name, k) == 0) {
			best = &keywords[i];
			bestlen = k;
		}
	}
	*used = bestlen;
	return best;
}

struct parse_ctx {
	struct mailcmd_list *l;
	const char *prefix;
	int zh;
	char msg[512];
};

static enum md_err
bad(struct parse_ctx *x, int line)
{
	return add_error(x->l, line, x->msg);
}

/* A vocabulary word at *pp (advanced past it); NULL with an error recorded when unknown. */
static const char *
take_value(struct parse_ctx *x, const char **pp, const char *end, const char *vocabulary,
    const char *verb, int line, int required, enum md_err *err)
{
	const char *p = skip_seps(*pp, end), *we = word_end(p, end), *v;
	char word[128];
	size_t i;

	if (p == we) {
		if (required) {
			snprintf(x->msg, sizeof(x->msg), x->zh ? "第%d行 #%s：缺少%s。" :
			    "line %d: #%s needs a %s.", line, verb, vocabulary);
			*err = bad(x, line);
		}
		return NULL;
	}
	if ((size_t)(we - p) >= sizeof(word))
		we = p + sizeof(word) - 1;
	memcpy(word, p, (size_t)(we - p));
	word[we - p] = '\0';
	v = mailcmd_value(vocabulary, word);
	/* A Chinese value may be glued to the text after it: "#办结 政策解读已答复…". */
	for (i = 0; v == NULL && i < sizeof(vocab) / sizeof(vocab[0]); i++)
		if (strcmp(vocab[i].vocab, vocabulary) == 0 &&
		    (unsigned char)vocab[i].word[0] >= 0x80 &&
		    strncmp(p, vocab[i].word, strlen(vocab[i].word)) == 0) {
			v = vocab[i].canon;
			we = p + strlen(vocab[i].word);
		}
	if (v == NULL) {
		if (required) {
			snprintf(x->msg, sizeof(x->msg), x->zh ?
			    "第%d行 #%s：不认识的%s“%s”。可用的写法见下方指令说明。" :
			    "line %d: #%s: unknown %s \"%s\"; see the command help below.",
			    line, verb, vocabulary, word);
			*err = bad(x, line);
		}
		return NULL;
	}
	*pp = we;
	return v;
}

/* Parse "5", "5天", "5个工作日", "5 days" at *pp: 1-60, or -1 with an error recorded. */
static int
take_days(struct parse_ctx *x, const char **pp, const char *end, const char *verb, int line,
    enum md_err *err)
{
	const char *p = skip_seps(*pp, end);
	int v = 0, n = 0;

	while (p < end && *p >= '0' && *p <= '9' && n < 3) {
		v = v * 10 + (*p - '0');
		p++;
		n++;
	}
	if (n == 0 || (p < end && *p >= '0' && *p <= '9') || v < 1 || v > 60) {
		snprintf(x->msg, sizeof(x->msg), x->zh ?
		    "第%d行 #%s：请写延长的工作日数（1-60），例如 #延期 5 理由。" :
		    "line %d: #%s needs a number of working days (1-60), e.g. #extend 5 reason.",
		    line, verb);
		*err = bad(x, line);
		return -1;
	}
	if (strncmp(p, "个工作日", strlen("个工作日")) == 0)
		p += strlen("个工作日");
	else if (strncmp(p, "工作日", strlen("工作日")) == 0)
		p += strlen("工作日");
	else if (strncmp(p, "天", strlen("天")) == 0 || strncmp(p, "日", strlen("日")) == 0)
		p += 3;
	else if (end - p >= 5 && strncasecmp(skip_blanks(p, end), "days", 4) == 0)
		p = skip_blanks(p, end) + 4;
	*pp = p;
	return v;
}

static enum md_err
need_text(struct parse_ctx *x, struct mailcmd *c, const char *verb)
{
	if (c->text && *c->text)
		return MD_OK;
	snprintf(x->msg, sizeof(x->msg), x->zh ? "第%d行 #%s：缺少说明文字。" :
	    "line %d: #%s needs some text.", c->line, verb);
	return bad(x, c->line);
}

/* The arguments on the command line itself (text is completed by the caller). */
static enum md_err
parse_args(struct parse_ctx *x, struct mailcmd *c, const char *p, const char *end)
{
	struct wf_command *w = &c->cmd;
	const char *v, *we;
	char number[CASE_NUMBER_MAX];
	enum md_err err = MD_OK;

	switch (w->action) {
	case WF_ACCEPT:
		w->tier = take_value(x, &p, end, "tier", c->verb, c->line, 1, &err);
		if (w->tier)
			w->type = take_value(x, &p, end, "type", c->verb, c->line, 0, &err);
		break;
	case WF_SET_TIER:
		w->tier = take_value(x, &p, end, "tier", c->verb, c->line, 1, &err);
		break;
	case WF_SET_TYPE:
		w->type = take_value(x, &p, end, "type", c->verb, c->line, 1, &err);
		break;
	case WF_REJECT:
		w->ground = take_value(x, &p, end, "ground", c->verb, c->line, 1, &err);
		break;
	case WF_RESOLVE:
		w->method = take_value(x, &p, end, "method", c->verb, c->line, 1, &err);
		break;
	case WF_REOPEN:
		w->tier = take_value(x, &p, end, "tier", c->verb, c->line, 0, &err);
		break;
	case WF_EXTEND:
		w->days = take_days(x, &p, end, c->verb, c->line, &err);
		break;
	case WF_ASSIGN:
		p = skip_seps(p, end);
		we = word_end(p, end);
		if (p == we || memchr(p, '@', (size_t)(we - p)) == NULL) {
			snprintf(x->msg, sizeof(x->msg), x->zh ?
			    "第%d行 #%s：请写工作人员的邮箱地址。" :
			    "line %d: #%s needs a staff address.", c->line, c->verb);
			return bad(x, c->line);
		}
		if ((c->arg = dup_range(p, we)) == NULL)
			return MD_ERR_NOMEM;
		for (char *s = c->arg; *s; s++)
			if (*s >= 'A' && *s <= 'Z')
				*s = (char)(*s - 'A' + 'a');
		w->address = c->arg;
		p = we;
		break;
	case WF_MERGE:
		for (p = skip_seps(p, end); p < end; p = skip_seps(we, end)) {
			char **o;

			we = word_end(p, end);
			v = strndup(p, (size_t)(we - p));
			if (v == NULL)
				return MD_ERR_NOMEM;
			if (!thread_find_tag(v, x->prefix, number, sizeof(number))) {
				snprintf(x->msg, sizeof(x->msg), x->zh ?
				    "第%d行 #%s：“%s”不是诉求编号。" :
				    "line %d: #%s: \"%s\" is not a case number.", c->line, c->verb, v);
				free((char *)v);
				return bad(x, c->line);
			}
			free((char *)v);
			o = reallocarray(c->others, c->n_others + 1, sizeof(*o));
			if (o == NULL)
				return MD_ERR_NOMEM;
			c->others = o;
			if ((o[c->n_others] = strdup(number)) == NULL)
				return MD_ERR_NOMEM;
			c->n_others++;
		}
		if (c->n_others == 0) {
			snprintf(x->msg, sizeof(x->msg), x->zh ?
			    "第%d行 #%s：请写要并入本件的诉求编号。" :
			    "line %d: #%s needs the number of the case to merge into this one.",
			    c->line, c->verb);
			return bad(x, c->line);
		}
		w->others = (const char *const *)c->others;
		w->n_others = c->n_others;
		return MD_OK;
	case WF_REGISTER:
		p = skip_seps(p, end);
		we = word_end(p, end);
		if (p < we) {
			if ((c->arg = dup_range(p, we)) == NULL)
				return MD_ERR_NOMEM;
			if (strchr(c->arg, '@') != NULL) {
				for (char *s = c->arg; *s; s++)
					if (*s >= 'A' && *s <= 'Z')
						*s = (char)(*s - 'A' + 'a');
				w->address = c->arg;
			} else {
				w->name = c->arg;
			}
			p = we;
		}
		w->channel = take_value(x, &p, end, "channel", c->verb, c->line, 1, &err);
		p = skip_seps(p, end);
		if (err == MD_OK && p < end) {
			if ((c->subject = dup_range(p, trim_end(p, end))) == NULL)
				return MD_ERR_NOMEM;
			w->subject = c->subject;
		}
		return err;
	default:
		break;
	}
	if (err)
		return err;
	/* The rest of the line starts the free text. */
	p = skip_seps(p, end);
	if (p < end && (c->text = dup_range(p, trim_end(p, end))) == NULL)
		return MD_ERR_NOMEM;
	return MD_OK;
}

/* Append continuation lines to the command's text (or register's). */
static enum md_err
add_text_line(struct mailcmd *c, const char *p, const char *end, int *pending_blank)
{
	struct buf b;
	enum md_err err = MD_OK;

	if (line_blank(p, end)) {
		*pending_blank = c->text != NULL;
		return MD_OK;
	}
	buf_init(&b, MAILCMD_MAX_TEXT);
	if (c->text)
		err = buf_printf(&b, "%s%s", c->text, *pending_blank ? "\n\n" : "\n");
	if (err == MD_OK)
		err = buf_append(&b, p, (size_t)(trim_end(p, end) - p));
	if (err) {
		buf_free(&b);
		return err;
	}
	free(c->text);
	c->text = buf_steal(&b);
	*pending_blank = 0;
	return c->text ? MD_OK : MD_ERR_NOMEM;
}

/* Point the command at its text, checking what must be there. */
static enum md_err
finish(struct parse_ctx *x, struct mailcmd *c)
{
	struct wf_command *w = &c->cmd;

	switch (w->action) {
	case WF_REGISTER:
		/* One line is enough: the subject stands for the text and the other way round. */
		w->text = c->text ? c->text : c->subject;
		w->subject = c->subject ? c->subject : c->text;
		if (w->channel == NULL || w->text != NULL)
			return MD_OK;
		return need_text(x, c, c->verb);
	case WF_REJECT:
	case WF_NOTE:
	case WF_PROGRESS:
		w->text = c->text;
		return w->action == WF_REJECT && w->ground == NULL ? MD_OK :
		    need_text(x, c, c->verb);
	case WF_RESOLVE:
		w->text = c->text;
		if (w->method && strcmp(w->method, "suggestion-declined") == 0)
			w->reason = c->text;
		return w->method ? need_text(x, c, c->verb) : MD_OK;
	case WF_EXTEND:
	case WF_REOPEN:
		w->reason = c->text;
		return w->action == WF_EXTEND && w->days < 0 ? MD_OK : need_text(x, c, c->verb);
	case WF_CLOSE:
		w->reason = c->text;
		return MD_OK;
	default:
		return MD_OK;
	}
}

static void
cmd_free(struct mailcmd *c)
{
	size_t i;

	free(c->verb);
	free(c->text);
	free(c->arg);
	free(c->subject);
	for (i = 0; i < c->n_others; i++)
		free(c->others[i]);
	free(c->others);
}

void
mailcmd_list_free(struct mailcmd_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		cmd_free(&l->cmds[i]);
	free(l->cmds);
	for (i = 0; i < l->n_errors; i++)
		free(l->errors[i].message);
	free(l->errors);
	free(l->rest);
	memset(l, 0, sizeof(*l));
}

int
mailcmd_present(const char *text)
{
	const char *p = text, *nl;

	for (;;) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (!line_blank(p, nl))
			return command_start(p, nl) != NULL;
		if (*nl == '\0')
			return 0;
		p = nl + 1;
	}
}

/* One command line (after the '#'): keyword, then its arguments. */
static enum md_err
parse_line(struct parse_ctx *x, const char *p, const char *end, int line)
{
	struct mailcmd_list *l = x->l;
	const struct keyword *kw;
	struct mailcmd *v, *c;
	const char *we;
	size_t used = 0;
	char word[64];

	p = skip_blanks(p, end);
	we = word_end(p, end);
	kw = find_keyword(p, (size_t)(we - p), &used);
	if (kw == NULL) {
		snprintf(word, sizeof(word), "%.*s", (int)(we - p > 40 ? 40 : we - p), p);
		snprintf(x->msg, sizeof(x->msg), x->zh ?
		    "第%d行：不认识的指令“#%s”。指令写法：#受理 一般、#备注 …；发送 #帮助 可获取完整说明。" :
		    "line %d: unknown command \"#%s\". Commands look like #accept general or "
		    "#note ...; send #help for the full list.", line, word);
		return bad(x, line);
	}
	if (kw->action < 0) {
		l->help = 1;
		return MD_OK;
	}
	if (l->n >= MAILCMD_MAX) {
		snprintf(x->msg, sizeof(x->msg), x->zh ? "第%d行：一封邮件最多 %d 条指令。" :
		    "line %d: at most %d commands per mail.", line, MAILCMD_MAX);
		return bad(x, line);
	}
	v = reallocarray(l->cmds, l->n + 1, sizeof(*v));
	if (v == NULL)
		return MD_ERR_NOMEM;
	l->cmds = v;
	c = &l->cmds[l->n++];
	memset(c, 0, sizeof(*c));
	c->cmd.action = (enum wf_action)kw->action;
	c->line = line;
	if ((c->verb = strndup(p, used)) == NULL)
		return MD_ERR_NOMEM;
	return parse_args(x, c, p + used, end);
}

enum md_err
mailcmd_parse(const char *text, const char *prefix, const char *lang,
    struct mailcmd_list *out)
{
	struct parse_ctx x;
	const char *p = text, *nl, *cs, *rest = NULL;
	struct mailcmd *cur = NULL;
	enum md_err err = MD_OK;
	int line = 0, pending_blank = 0;

	memset(out, 0, sizeof(*out));
	if (strlen(text) > MAILCMD_MAX_TEXT)
		return MD_ERR_LIMIT;
	x.l = out;
	x.prefix = prefix;
	x.zh = !(lang && strcmp(lang, "en") == 0);
	for (; err == MD_OK; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		line++;
		cs = command_start(p, nl);
		if (cs != NULL) {
			if (cur)
				err = finish(&x, cur);
			if (err == MD_OK)
				err = parse_line(&x, cs, nl, line);
			cur = out->n ? &out->cmds[out->n - 1] : NULL;
			if (cur && cur->line != line)
				cur = NULL;
			pending_blank = 0;
		} else if (cur && (cur->cmd.action == WF_NOTE || cur->cmd.action == WF_PROGRESS ||
		    cur->cmd.action == WF_REJECT || cur->cmd.action == WF_RESOLVE ||
		    cur->cmd.action == WF_EXTEND || cur->cmd.action == WF_REOPEN ||
		    cur->cmd.action == WF_CLOSE || cur->cmd.action == WF_REGISTER)) {
			err = add_text_line(cur, p, nl, &pending_blank);
		} else if (!line_blank(p, nl)) {
			/* Commands stand at the top: from the first other line on, it is text. */
			rest = p;
			break;
		}
		if (*nl == '\0')
			break;
	}
	if (err == MD_OK && cur)
		err = finish(&x, cur);
	if (err == MD_OK) {
		out->rest = strdup(rest ? rest : "");
		if (out->rest == NULL)
			err = MD_ERR_NOMEM;
	}
	return err;
}
