/*
 * The case state machine (see workflow.h for the statuses and the
 * transitions). Each action checks everything it can before writing, so a
 * refused action writes nothing; once it writes, any later failure is
 * returned and the caller's rollback undoes the lot.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deadline.h"
#include "log.h"
#include "member.h"
#include "workflow_int.h"

#define WF_TEXT_MAX (1024 * 1024)
#define WF_MAX_EXTEND_DAYS 60

/* ---- helpers ---- */

static int
status_is(const struct case_record *c, const char *s)
{
	return strcmp(c->status, s) == 0;
}

static int
empty(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (p == NULL)
		return 1;
	for (; *p; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			return 0;
	return 1;
}

static void
say(struct wf_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The transcript line; a full buffer only shortens what staff read. */
static void
say(struct wf_ctx *x, const char *fmt, ...)
{
	va_list ap;

	if (x->out == NULL)
		return;
	va_start(ap, fmt);
	(void)buf_vprintf(x->out, fmt, ap);
	va_end(ap);
}

/* An invalid or missing argument: nothing changed. */
static enum md_err
bad_input(struct wf_ctx *x, const char *number, const char *zh, const char *en)
{
	say(x, x->zh ? "%s%s%s，未作任何更改。" : "%s%s%s; nothing changed.",
	    number ? number : "", number ? (x->zh ? "：" : ": ") : "", x->zh ? zh : en);
	return MD_ERR_INPUT;
}

/* Why action cannot be done in the case's status, with the way forward. */
static enum md_err
refuse(struct wf_ctx *x, const struct case_record *c, const char *action)
{
	const char *st = wf_label(c->status, x->lang);

	if (status_is(c, "closed") || status_is(c, "rejected"))
		say(x, x->zh ? "%s 已%s，不能执行 %s；请先重新打开（reopen），未作任何更改。" :
		    "%s is %s; reopen it first (%s refused, nothing changed).",
		    c->number, st, action);
	else if (status_is(c, "registered"))
		say(x, x->zh ? "%s 尚未受理，不能执行 %s；请先受理（accept），未作任何更改。" :
		    "%s is not accepted yet; accept it first (%s refused, nothing changed).",
		    c->number, action);
	else if (status_is(c, "resolved"))
		say(x, x->zh ? "%s 已反馈处理结果，正等待会员评价，不能执行 %s，未作任何更改。" :
		    "%s is resolved and waits for the member's feedback (%s refused, "
		    "nothing changed).", c->number, action);
	else if (status_is(c, "archived"))
		say(x, x->zh ? "%s 已归档，不能再更改（%s 未执行）。" :
		    "%s is archived and cannot change (%s refused, nothing changed).",
		    c->number, action);
	else if (status_is(c, "merged"))
		say(x, x->zh ? "%s 已并入联合诉求，请对联合诉求执行 %s，未作任何更改。" :
		    "%s was merged into a joint case; act on the joint case (%s refused, "
		    "nothing changed).", c->number, action);
	else
		say(x, x->zh ? "%s 当前状态为“%s”，不能执行 %s，未作任何更改。" :
		    "%s is %s; %s is not possible now (nothing changed).", c->number, st,
		    action);
	return MD_ERR_STATE;
}

static enum md_err
event(struct wf_ctx *x, const struct case_record *c, const char *kind, const char *detail)
{
	return case_add_event_via(x->env->db, c->id, x->now, kind, wf_actor_label(x->actor),
	    wf_via_name(x->actor ? x->actor->via : WF_VIA_SYSTEM), detail,
	    x->actor ? x->actor->message_row : 0, NULL);
}

static enum md_err
due(struct wf_ctx *x, enum deadline_kind kind, time_t from, time_t *out)
{
	enum md_err err;
	int uncovered = 0;

	err = deadline_due(x->env->cal, x->env->cfg->timezone, kind, from, out, &uncovered);
	if (err == MD_OK && uncovered)
		log_warnx("no working-day calendar for %d: deadline counted with weekends only",
		    uncovered);
	return err;
}

static enum deadline_kind
tier_kind(const char *tier)
{
	if (strcmp(tier, "major") == 0)
		return DEADLINE_MAJOR;
	if (strcmp(tier, "general") == 0)
		return DEADLINE_GENERAL;
	return DEADLINE_SIMPLE;
}

static enum md_err
load_case(struct wf_ctx *x, const struct wf_command *cmd, struct case_record **c)
{
	enum md_err err;

	if (cmd->case_number)
		err = case_find_by_number(x->env->db, cmd->case_number, c);
	else
		err = case_get(x->env->db, cmd->case_id, c);
	if (err == MD_ERR_NOTFOUND) {
		if (cmd->case_number)
			say(x, x->zh ? "没有编号为 %s 的诉求，未作任何更改。" :
			    "There is no case %s; nothing changed.", cmd->case_number);
		else
			say(x, x->zh ? "没有该诉求，未作任何更改。" :
			    "There is no such case; nothing changed.");
	}
	return err;
}

/* A date as notices print it into a fresh buffer (caller frees). */
static enum md_err
date_buf(struct wf_ctx *x, time_t t, struct buf *b)
{
	buf_init(b, 256);
	return wf_date(x, t, b);
}

/* ---- actions ---- */

static enum md_err
do_accept(struct wf_ctx *x, struct case_record *c, const struct wf_command *cmd)
{
	struct template_var v[6];
	struct buf dd, at;
	char days[16];
	time_t hd = 0;
	enum md_err err;

	if (!status_is(c, "registered")) {
		if (status_is(c, "handling") || status_is(c, "rehandling") ||
		    status_is(c, "resolved")) {
			say(x, x->zh ? "%s 已受理，无需再次受理；如需改级别请用 tier，未作任何更改。" :
			    "%s is already accepted; use tier to change its tier (nothing changed).",
			    c->number);
			return MD_ERR_STATE;
		}
		return refuse(x, c, "accept");
	}
	if (!wf_tier_valid(cmd->tier))
		return bad_input(x, c->number, "受理须指明级别：simple（简单）、general（一般）或 major（重大复杂）",
		    "accepting needs a tier: simple, general or major");
	err = due(x, tier_kind(cmd->tier), x->now, &hd);
	if (err)
		return err;
	buf_init(&dd, 256);
	buf_init(&at, 256);
	if ((err = wf_date(x, hd, &dd)) || (err = wf_date(x, x->now, &at)))
		goto out;
	if ((err = case_set_status(x->env->db, c->id, "handling", x->now)) ||
	    (err = case_set_text(x->env->db, c->id, "tier", cmd->tier, x->now)) ||
	    (err = case_set_time(x->env->db, c->id, "accepted_at", x->now, x->now)) ||
	    (err = case_set_time(x->env->db, c->id, "handling_due", hd, x->now)))
		goto out;
	{
		char detail[512];

		snprintf(detail, sizeof(detail), "tier %s; handling due %s", cmd->tier, dd.data);
		if ((err = event(x, c, "accepted", detail)))
			goto out;
	}
	snprintf(days, sizeof(days), "%d", deadline_workdays(tier_kind(cmd->tier)));
	v[0].name = "accepted_at";	v[0].value = at.data;
	v[1].name = "tier";		v[1].value = wf_label(cmd->tier, x->lang);
	v[2].name = "tier_days";	v[2].value = days;
	v[3].name = "due_date";		v[3].value = dd.data;
	v[4].name = "type";		v[4].value = wf_label(c->type, x->lang);
	err = wf_notify_members(x, c, "accepted", v, 5, NOTICE_AUTO_GENERATED);
	if (err == MD_OK && strcmp(cmd->tier, "major") == 0) {
		/* Art. 11(3): major cases go to the leadership. */
		v[4].name = "assignee";	v[4].value = c->assignee ? c->assignee : "";
		v[5].name = "summary";	v[5].value = c->text;
		err = wf_notify_staff(x, c, STAFF_LEADERSHIP, "staff_major_case", v, 6);
	}
	if (err)
		goto out;
	say(x, x->zh ? "%s 已受理，级别：%s，办结期限：%s。" :
	    "%s accepted as %s; result due %s.", c->number, wf_label(cmd->tier, x->lang),
	    dd.data);
out:
	buf_free(&dd);
	buf_free(&at);
	return err;
}

static enum md_err
do_reject(struct wf_ctx *x, struct case_record *c, const struct wf_command *cmd)
{
	struct template_var v[4];
	struct buf at, detail;
	enum md_err err;

	if (!status_is(c, "registered"))
		return refuse(x, c, "reject");
	if (!wf_ground_valid(cmd->ground))
		return bad_input(x, c->number, "不予受理须指明第八条理由：outside-remit、legal-process、no-basis、unlawful 或 other",
		    "rejecting needs an art. 8 ground: outside-remit, legal-process, no-basis, "
		    "unlawful or other");
	if (empty(cmd->text))
		return bad_input(x, c->number, "不予受理须附说明", "rejecting needs an explanation");
	buf_init(&detail, WF_TEXT_MAX);
	err = date_buf(x, x->now, &at);
	if (err == MD_OK)
		err = buf_printf(&detail, "ground %s: %s%s%s", cmd->ground, cmd->text,
		    empty(cmd->channel) ? "" : "\nother channel: ",
		    empty(cmd->channel) ? "" : cmd->channel);
	if (err ||
	    (err = case_set_status(x->env->db, c->id, "rejected", x->now)) ||
	    (err = case_set_text(x->env->db, c->id, "reject_ground", cmd->ground, x->now)) ||
	    (err = event(x, c, "rejected", detail.data)))
		goto out;
	v[0].name = "ground";		v[0].value = wf_ground_label(cmd->ground, x->lang);
	v[1].name = "explanation";	v[1].value = cmd->text;
	v[2].name = "channels";		v[2].value = empty(cmd->channel) ? "" : cmd->channel;
	v[3].name = "decided_at";	v[3].value = at.data;
	err = wf_notify_members(x, c, "rejected", v, 4, NOTICE_AUTO_GENERATED);
	if (err == MD_OK)
		say(x, x->zh ? "%s 不予受理（%s），已告知诉求人。" :
		    "%s rejected (%s); the member was told.", c->number,
		    wf_ground_label(cmd->ground, x->lang));
out:
	buf_free(&at);
	buf_free(&detail);
	return err;
}

/* Statuses in which a case is still open for work. */
static int
open_case(const struct case_record *c)
{
	return status_is(c, "registered") || status_is(c, "handling") ||
	    status_is(c, "rehandling") || status_is(c, "resolved");
}

static enum md_err
do_type(struct wf_ctx *x, struct case_record *c, const struct wf_command *cmd)
{
	char detail[128];
	enum md_err err;

	if (status_is(c, "archived") || status_is(c, "merged"))
		return refuse(x, c, "type");
	if (!wf_type_valid(cmd->type))
		return bad_input(x, c->number, "类型须为 policy、rights、difficulty、suggestion 或 other",
		    "the type must be policy, rights, difficulty, suggestion or other");
	if (strcmp(c->type, cmd->type) == 0) {
		say(x, x->zh ? "%s 的类型已是%s，未作更改。" : "%s is already of type %s; "
		    "nothing changed.", c->number, wf_label(cmd->type, x->lang));
		return MD_OK;
	}
	/* The classifier learns from these: keep old and new machine-readable. */
	snprintf(detail, sizeof(detail), "{\"old\":\"%s\",\"new\":\"%s\"}",
	    wf_type_valid(c->type) ? c->type : "other", cmd->type);
	if ((err = case_set_text(x->env->db, c->id, "type", cmd->type, x->now)) ||
	    (err = event(x, c, "type-corrected", detail)))
		return err;
	say(x, x->zh ? "%s 的类型由%s改为%s。" : "%s: type changed from %s to %s.", c->number,
	    wf_label(c->type, x->lang), wf_label(cmd->type, x->lang));
	return MD_OK;
}

/*
 * Tells the members of a case in handling its new tier and the result date
 * that follows from it (they were promised the old one on acceptance), and
 * sends a case newly made major to the leadership (art. 11(3)).
 */
static enum md_err
notify_tier_change(struct wf_ctx *x, struct case_record *c, const char *old_tier,
    time_t old_due, const char *new_due)
{
	struct template_var v[7];
	struct buf od, at;
	char days[16];
	int to_leadership = strcmp(c->tier, "major") == 0 &&
	    (old_tier == NULL || strcmp(old_tier, "major") != 0);
	enum md_err err;

	buf_init(&od, 256);
	buf_init(&at, 256);
	if ((old_due && (err = wf_date(x, old_due, &od))) ||
	    (err = wf_date(x, c->accepted_at ? c->accepted_at : x->now, &at)))
		goto out;
	snprintf(days, sizeof(days), "%d", deadline_workdays(tier_kind(c->tier)));
	v[0].name = "tier";		v[0].value = wf_label(c->tier, x->lang);
	v[1].name = "old_tier";		v[1].value = old_tier ? wf_label(old_tier, x->lang) : "";
	v[2].name = "tier_days";	v[2].value = days;
	v[3].name = "due_date";		v[3].value = new_due;
	v[4].name = "old_due_date";	v[4].value = od.data ? od.data : "";
	v[5].name = "leadership";	v[5].value = to_leadership ? "yes" : "";
	if ((err = wf_notify_members(x, c, "tier_changed", v, 6, NOTICE_AUTO_GENERATED)))
		goto out;
	if (to_leadership) {
		v[0].name = "accepted_at";	v[0].value = at.data;
		v[1].name = "tier";		v[1].value = wf_label(c->tier, x->lang);
		v[4].name = "type";		v[4].value = wf_label(c->type, x->lang);
		v[5].name = "assignee";		v[5].value = c->assignee ? c->assignee : "";
		v[6].name = "summary";		v[6].value = c->text;
		err = wf_notify_staff(x, c, STAFF_LEADERSHIP, "staff_major_case", v, 7);
	}
out:
	buf_free(&od);
	buf_free(&at);
	return err;
}

static enum md_err
do_tier(struct wf_ctx *x, struct case_record *c, const struct wf_command *cmd)
{
	struct buf dd;
	char detail[512];
	char *old_tier = NULL;
	time_t hd = 0, old_due = c->handling_due;
	enum md_err err;

	if (!status_is(c, "registered") && !status_is(c, "handling"))
		return refuse(x, c, "tier");
	if (!wf_tier_valid(cmd->tier))
		return bad_input(x, c->number, "级别须为 simple、general 或 major",
		    "the tier must be simple, general or major");
	if (c->tier && strcmp(c->tier, cmd->tier) == 0) {
		say(x, x->zh ? "%s 的级别已是%s，未作更改。" : "%s is already %s; nothing changed.",
		    c->number, wf_label(cmd->tier, x->lang));
		return MD_OK;
	}
	buf_init(&dd, 256);
	if ((err = case_set_text(x->env->db, c->id, "tier", cmd->tier, x->now)))
		goto out;
	if (status_is(c, "handling")) {
		/* The deadline counts from acceptance, not from the change. */
		if ((err = due(x, tier_kind(cmd->tier), c->accepted_at ? c->accepted_at : x->now,
		    &hd)) ||
		    (err = case_set_time(x->env->db, c->id, "handling_due", hd, x->now)) ||
		    (err = case_set_int(x->env->db, c->id, "extended_count", 0, x->now)) ||
		    (err = wf_date(x, hd, &dd)))
			goto out;
	}
	snprintf(detail, sizeof(detail), "tier %s -> %s%s%s", c->tier ? c->tier : "none",
	    cmd->tier, hd ? "; handling due " : "", hd ? dd.data : "");
	if ((err = event(x, c, "tier-changed", detail)))
		goto out;
	if (hd) {
		/* The notices read the case's new tier; the record keeps the old one. */
		old_tier = c->tier;
		if ((c->tier = strdup(cmd->tier)) == NULL) {
			c->tier = old_tier;
			old_tier = NULL;
			err = MD_ERR_NOMEM;
			goto out;
		}
		c->handling_due = hd;
		if ((err = notify_tier_change(x, c, old_tier, old_due, dd.data)))
			goto out;
		say(x, x->zh ? "%s 的级别改为%s，办结期限重新计算为 %s，已告知诉求人。" :
		    "%s is now %s; result due %s; the member was told.", c->number,
		    wf_label(cmd->tier, x->lang), dd.data);
	} else
		say(x, x->zh ? "%s 的级别改为%s。" : "%s is now %s.", c->number,
		    wf_label(cmd->tier, x->lang));
out:
	free(old_tier);
	buf_free(&dd);
	return err;
}

static enum md_err
do_assign(struct wf_ctx *x, struct case_record *c, const struct wf_command *cmd)
{
	const struct staff_config *s;
	enum md_err err;

	if (!open_case(c))
		return refuse(x, c, "assign");
	if (empty(cmd->address) || (s = config_find_staff(x->env->cfg, cmd->address)) == NULL) {
		say(x, x->zh ? "%s：%s 不是配置中的工作人员，未作任何更改。" :
		    "%s: %s is not a configured staff member; nothing changed.", c->number,
		    cmd->address ? cmd->address : "");
		return MD_ERR_NOTFOUND;
	}
	if ((err = case_set_text(x->env->db, c->id, "assignee", s->address, x->now)) ||
	    (err = event(x, c, "assigned", s->address)))
		return err;
	say(x, x->zh ? "%s 已交由 %s（%s）承办。" : "%s assigned to %s (%s).", c->number,
	    s->name, s->address);
	return MD_OK;
}

static enum md_err
do_note(struct wf_ctx *x, struct case_record *c, const struct wf_command *cmd)
{
	enum md_err err;

	if (empty(cmd->text))
		return bad_input(x, c->number, "内部备注不能为空", "the note is empty");
	if ((err = event(x, c, "note", cmd->text)))
		return err;
	say(x, x->zh ? "%s 已记录内部备注（不发给会员）。" :
	    "%s: internal note recorded (not sent to the member).", c->number);
	return MD_OK;
}

/* The due date that applies now, for notices. */
static time_t
current_due(const struct case_record *c)
{
	return status_is(c, "rehandling") ? c->rehandling_due : c->handling_due;
}

static enum md_err
do_progress(struct wf_ctx *x, struct case_record *c, const struct wf_command *cmd)
{
	struct template_var v[3];
	struct buf dd;
	enum md_err err;

	if (!status_is(c, "handling") && !status_is(c, "rehandling"))
		return refuse(x, c, "progress");
	if (empty(cmd->text))
		return bad_input(x, c->number, "进展说明不能为空", "the progress text is empty");
	err = date_buf(x, current_due(c), &dd);
	if (err || (err = event(x, c, "progress", cmd->text)))
		goto out;
	v[0].name = "text";	v[0].value = cmd->text;
	v[1].name = "due_date";	v[1].value = dd.data;
	v[2].name = "tier";	v[2].value = wf_label(c->tier, x->lang);
	err = wf_notify_members(x, c, "progress", v, 3, NOTICE_AUTO_GENERATED);
	if (err == MD_OK)
		say(x, x->zh ? "%s 的办理进展已告知会员（%d 封）。" :
		    "%s: progress sent to the member(s) (%d).", c->number, x->notices);
out:
	buf_free(&dd);
	return err;
}

static enum md_err
do_extend(struct wf_ctx *x, struct case_record *c, const struct wf_command *cmd)
{
	struct template_var v[3];
	struct buf od, nd, detail;
	time_t nh = 0;
	enum md_err err;
	int uncovered = 0;

	if (!status_is(c, "handling"))
		return refuse(x, c, "extend");
	if (c->tier == NULL || strcmp(c->tier, "major") != 0) {
		say(x, x->zh ? "%s 为%s，只有重大复杂诉求可以延期（第十一条第三项），未作任何更改。" :
		    "%s is %s; only major cases can be extended (art. 11(3)); nothing changed.",
		    c->number, wf_label(c->tier ? c->tier : "simple", x->lang));
		return MD_ERR_STATE;
	}
	if (cmd->days < 1 || cmd->days > WF_MAX_EXTEND_DAYS)
		return bad_input(x, c->number, "延期天数须为 1 至 60 个工作日",
		    "the extension must be 1 to 60 working days");
	if (empty(cmd->reason))
		return bad_input(x, c->number, "延期须说明理由（将告知会员）",
		    "an extension needs a reason (the member is told)");
	buf_init(&detail, WF_TEXT_MAX);
	err = date_buf(x, c->handling_due, &od);
	buf_init(&nd, 256);
	if (err ||
	    (err = deadline_extend(x->env->cal, x->env->cfg->timezone,
	    c->handling_due ? c->handling_due : x->now, cmd->days, &nh, &uncovered)) ||
	    (err = wf_date(x, nh, &nd)) ||
	    (err = buf_printf(&detail, "%d working days, due %s -> %s: %s", cmd->days,
	    od.data, nd.data, cmd->reason)) ||
	    (err = case_set_time(x->env->db, c->id, "handling_due", nh, x->now)) ||
	    (err = case_set_int(x->env->db, c->id, "extended_count", c->extended_count + 1,
	    x->now)) ||
	    (err = event(x, c, "extended", detail.data)))
		goto out;
	v[0].name = "reason";		v[0].value = cmd->reason;
	v[1].name = "due_date";		v[1].value = nd.data;
	v[2].name = "old_due_date";	v[2].value = od.data;
	err = wf_notify_members(x, c, "extended", v, 3, NOTICE_AUTO_GENERATED);
	if (err == MD_OK)
		say(x, x->zh ? "%s 办理期限延长 %d 个工作日至 %s，已告知会员。" :
		    "%s extended by %d working days to %s; the member was told.", c->number,
		    cmd->days, nd.data);
out:
	buf_free(&od);
	buf_free(&nd);
	buf_free(&detail);
	return err;
}

static enum md_err
do_resolve(struct wf_ctx *x, struct case_record *c, const struct wf_command *cmd)
{
	struct template_var v[4];
	struct buf at, fd, result, detail;
	time_t rnd = 0, fbd = 0;
	enum md_err err;
	int declined = cmd->method && strcmp(cmd->method, "suggestion-declined") == 0;
	int uncovered = 0;

	if (!status_is(c, "handling") && !status_is(c, "rehandling"))
		return refuse(x, c, "resolve");
	if (!wf_method_valid(cmd->method))
		return bad_input(x, c->number, "办结须指明处理方式（第十二条）：policy-interpretation、agency-coordination、resource-matching、rights-assistance、suggestion-adopted 或 suggestion-declined",
		    "resolving needs an art. 12 method: policy-interpretation, "
		    "agency-coordination, resource-matching, rights-assistance, "
		    "suggestion-adopted or suggestion-declined");
	if (empty(cmd->text))
		return bad_input(x, c->number, "处理结果不能为空", "the result text is empty");
	if (declined && empty(cmd->reason))
		return bad_input(x, c->number, "暂不采纳的意见建议须说明理由（第十二条第五项）",
		    "a declined suggestion needs the reasons (art. 12(5))");
	buf_init(&fd, 256);
	buf_init(&result, WF_TEXT_MAX);
	buf_init(&detail, WF_TEXT_MAX);
	err = date_buf(x, x->now, &at);
	if (err || (err = due(x, DEADLINE_RESULT_NOTICE, x->now, &rnd)))
		goto out;
	if (x->env->cfg->feedback_close_days > 0 &&
	    ((err = calendar_add_workdays(x->env->cal, x->env->cfg->timezone, x->now,
	    x->env->cfg->feedback_close_days, &fbd, &uncovered)) ||
	    (err = wf_date(x, fbd, &fd))))
		goto out;
	err = buf_puts(&result, cmd->text);
	if (err == MD_OK && declined)
		err = buf_printf(&result, x->zh ? "\n\n暂不采纳的理由：\n%s" :
		    "\n\nWhy the suggestion is not adopted:\n%s", cmd->reason);
	if (err ||
	    (err = buf_printf(&detail, "method %s: %s", cmd->method, result.data)) ||
	    (err = case_set_status(x->env->db, c->id, "resolved", x->now)) ||
	    (err = case_set_text(x->env->db, c->id, "method", cmd->method, x->now)) ||
	    (err = case_set_time(x->env->db, c->id, "resolved_at", x->now, x->now)) ||
	    (err = case_set_time(x->env->db, c->id, "result_notice_due", rnd, x->now)) ||
	    (err = case_set_time(x->env->db, c->id, "feedback_due", fbd, x->now)) ||
	    (err = case_set_text(x->env->db, c->id, "satisfaction", NULL, x->now)) ||
	    (err = event(x, c, "resolved", detail.data)))
		goto out;
	v[0].name = "result";		v[0].value = result.data;
	v[1].name = "method";		v[1].value = wf_label(cmd->method, x->lang);
	v[2].name = "completed_at";	v[2].value = at.data;
	v[3].name = "feedback_due";	v[3].value = fd.data;
	/* Art. 15: the result goes out at once, well within its one working day. */
	err = wf_notify_members(x, c, "result", v, 4, NOTICE_AUTO_GENERATED);
	if (err == MD_OK)
		err = event(x, c, "result-sent", "art. 15 result notice queued");
	if (err == MD_OK)
		say(x, x->zh ? "%s 已办结（%s），处理结果已发送会员，等待评价。" :
		    "%s resolved (%s); the result was sent and feedback is awaited.",
		    c->number, wf_label(cmd->method, x->lang));
out:
	buf_free(&at);
	buf_free(&fd);
	buf_free(&result);
	buf_free(&detail);
	return err;
}

static enum md_err
close_case(struct wf_ctx *x, struct case_record *c, const char *reason, const char *satisfaction)
{
	struct template_var v[3];
	struct buf at, detail;
	enum md_err err;

	buf_init(&detail, WF_TEXT_MAX);
	err = date_buf(x, x->now, &at);
	if (err == MD_OK)
		err = buf_printf(&detail, "%s%s%s", satisfaction ? satisfaction : "",
		    satisfaction && reason ? ": " : "", reason ? reason : "");
	if (err ||
	    (err = case_set_status(x->env->db, c->id, "closed", x->now)) ||
	    (err = case_set_time(x->env->db, c->id, "closed_at", x->now, x->now)) ||
	    (satisfaction && (err = case_set_text(x->env->db, c->id, "satisfaction",
	    satisfaction, x->now))) ||
	    (err = event(x, c, "closed", detail.len ? detail.data : NULL)))
		goto out;
	v[0].name = "closed_at";	v[0].value = at.data;
	v[1].name = "reason";		v[1].value = reason ? wf_label(reason, x->lang) : "";
	v[2].name = "satisfaction";	v[2].value = satisfaction ?
	    wf_label(satisfaction, x->lang) : "";
	err = wf_notify_members(x, c, "closed", v, 3, NOTICE_AUTO_GENERATED);
	if (err == MD_OK)
		say(x, x->zh ? "%s 已办结归档待查，已告知会员。" :
		    "%s closed; the member was told.", c->number);
out:
	buf_free(&at);
	buf_free(&detail);
	return err;
}

static enum md_err
do_close(struct wf_ctx *x, struct case_record *c, const struct wf_command *cmd)
{
	if (!status_is(c, "resolved") && !status_is(c, "handling") &&
	    !status_is(c, "rehandling"))
		return refuse(x, c, "close");
	if (!status_is(c, "resolved") && empty(cmd->reason))
		return bad_input(x, c->number, "尚未反馈结果的诉求须说明结案理由",
		    "closing a case without a result needs a reason");
	return close_case(x, c, empty(cmd->reason) ? NULL : cmd->reason, NULL);
}

static enum md_err
do_feedback(struct wf_ctx *x, struct case_record *c, const struct wf_command *cmd)
{
	struct template_var v[2];
	struct buf dd, detail;
	char score[16];
	const char *sat;
	time_t rd = 0;
	enum md_err err;
	int happy;

	if (!status_is(c, "resolved"))
		return refuse(x, c, "feedback");
	switch (cmd->feedback) {
	case WF_FEEDBACK_SATISFIED:
		happy = 1;
		sat = "satisfied";
		break;
	case WF_FEEDBACK_UNSATISFIED:
		happy = 0;
		sat = "unsatisfied";
		break;
	case WF_FEEDBACK_SCORE:
		if (cmd->score < 1 || cmd->score > 5)
			return bad_input(x, c->number, "评分须为 1 至 5", "the score must be 1 to 5");
		snprintf(score, sizeof(score), "%d", cmd->score);
		sat = score;
		/* 3 is "basically satisfied" (基本满意): art. 16 is for dissatisfaction. */
		happy = cmd->score >= 3;
		break;
	default:
		return bad_input(x, c->number, "评价须为满意、不满意或 1 至 5 分",
		    "feedback must be satisfied, unsatisfied or a score of 1 to 5");
	}
	if (happy)
		return close_case(x, c, empty(cmd->reason) ? NULL : cmd->reason, sat);

	buf_init(&detail, WF_TEXT_MAX);
	buf_init(&dd, 256);
	if ((err = due(x, DEADLINE_REHANDLING, x->now, &rd)) ||
	    (err = wf_date(x, rd, &dd)) ||
	    (err = buf_printf(&detail, "%s%s%s", sat, empty(cmd->reason) ? "" : ": ",
	    empty(cmd->reason) ? "" : cmd->reason)) ||
	    (err = event(x, c, "feedback", detail.data)) ||
	    (err = case_set_status(x->env->db, c->id, "rehandling", x->now)) ||
	    (err = case_set_text(x->env->db, c->id, "satisfaction", sat, x->now)) ||
	    (err = case_set_time(x->env->db, c->id, "rehandling_due", rd, x->now)) ||
	    (err = case_set_time(x->env->db, c->id, "feedback_due", 0, x->now)))
		goto out;
	v[0].name = "reason";	v[0].value = empty(cmd->reason) ? "" : cmd->reason;
	v[1].name = "due_date";	v[1].value = dd.data;
	err = wf_notify_members(x, c, "rehandling", v, 2, NOTICE_AUTO_GENERATED);
	if (err == MD_OK)
		say(x, x->zh ? "%s：会员不满意，转入重新办理，新结果须于 %s 前反馈（第十六条）。" :
		    "%s: the member is not satisfied; re-handling, new result due %s "
		    "(art. 16).", c->number, dd.data);
out:
	buf_free(&dd);
	buf_free(&detail);
	return err;
}

static enum md_err
do_reopen(struct wf_ctx *x, struct case_record *c, const struct wf_command *cmd)
{
	struct template_var v[2];
	struct buf dd, detail;
	const char *tier = cmd->tier ? cmd->tier : c->tier;
	time_t hd = 0;
	enum md_err err;

	if (!status_is(c, "closed") && !status_is(c, "rejected")) {
		if (open_case(c)) {
			say(x, x->zh ? "%s 仍在办理中，无需重新打开，未作任何更改。" :
			    "%s is still open; nothing to reopen (nothing changed).", c->number);
			return MD_ERR_STATE;
		}
		return refuse(x, c, "reopen");
	}
	if (empty(cmd->reason))
		return bad_input(x, c->number, "重新打开须说明理由", "reopening needs a reason");
	if (!wf_tier_valid(tier))
		return bad_input(x, c->number, "该诉求尚无级别，重新打开时须指明级别（simple/general/major）",
		    "the case has no tier yet; give one (simple, general or major)");
	buf_init(&dd, 256);
	buf_init(&detail, WF_TEXT_MAX);
	if ((err = due(x, tier_kind(tier), x->now, &hd)) ||
	    (err = wf_date(x, hd, &dd)) ||
	    (err = buf_printf(&detail, "from %s, tier %s, handling due %s: %s", c->status,
	    tier, dd.data, cmd->reason)) ||
	    (err = case_set_status(x->env->db, c->id, "handling", x->now)) ||
	    (err = case_set_text(x->env->db, c->id, "tier", tier, x->now)) ||
	    (!c->accepted_at && (err = case_set_time(x->env->db, c->id, "accepted_at", x->now,
	    x->now))) ||
	    (err = case_set_time(x->env->db, c->id, "handling_due", hd, x->now)) ||
	    (err = case_set_time(x->env->db, c->id, "closed_at", 0, x->now)) ||
	    (err = case_set_time(x->env->db, c->id, "feedback_due", 0, x->now)) ||
	    (err = case_set_text(x->env->db, c->id, "satisfaction", NULL, x->now)) ||
	    (err = event(x, c, "reopened", detail.data)))
		goto out;
	v[0].name = "reason";	v[0].value = cmd->reason;
	v[1].name = "due_date";	v[1].value = dd.data;
	err = wf_notify_members(x, c, "reopened", v, 2, NOTICE_AUTO_GENERATED);
	if (err == MD_OK)
		say(x, x->zh ? "%s 已重新打开，转入办理，办结期限：%s。" :
		    "%s reopened and in handling; result due %s.", c->number, dd.data);
out:
	buf_free(&dd);
	buf_free(&detail);
	return err;
}

static enum md_err
do_archive(struct wf_ctx *x, struct case_record *c)
{
	enum md_err err;

	if (!status_is(c, "closed") && !status_is(c, "rejected")) {
		if (open_case(c)) {
			say(x, x->zh ? "%s 尚未办结，不能归档，未作任何更改。" :
			    "%s is not closed yet and cannot be archived (nothing changed).",
			    c->number);
			return MD_ERR_STATE;
		}
		return refuse(x, c, "archive");
	}
	if ((err = case_set_status(x->env->db, c->id, "archived", x->now)) ||
	    (err = case_set_time(x->env->db, c->id, "archived_at", x->now, x->now)) ||
	    (err = event(x, c, "archived", NULL)))
		return err;
	say(x, x->zh ? "%s 已归档。" : "%s archived.", c->number);
	return MD_OK;
}

static int
mergeable(const struct case_record *c)
{
	return status_is(c, "registered") || status_is(c, "handling") ||
	    status_is(c, "rehandling");
}

static enum md_err
merge_one(struct wf_ctx *x, struct case_record *parent, struct case_record *child,
    const char *due_text)
{
	struct template_var v[3];
	char detail[256];
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	/* A joint case folded into another brings its members along. */
	err = db_prepare(x->env->db, "UPDATE cases SET joint_parent_id = ? WHERE"
	    " joint_parent_id = ?", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, parent->id);
	sqlite3_bind_int64(st, 2, child->id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if ((err = db_status(x->env->db, rc)))
		return err;
	snprintf(detail, sizeof(detail), "into joint case %s", parent->number);
	if ((err = case_set_status(x->env->db, child->id, "merged", x->now)) ||
	    (err = case_set_int(x->env->db, child->id, "joint_parent_id", parent->id, x->now)) ||
	    (err = event(x, child, "merged", detail)))
		return err;
	snprintf(detail, sizeof(detail), "%s joined the joint case", child->number);
	if ((err = event(x, parent, "joint-merge", detail)))
		return err;
	v[0].name = "joint_number";	v[0].value = parent->number;
	v[1].name = "due_date";		v[1].value = due_text;
	v[2].name = "tier";		v[2].value = wf_label(parent->tier, x->lang);
	return wf_notify_requester(x, parent, child, "merged", v, 3);
}

static enum md_err
do_merge(struct wf_ctx *x, struct case_record *parent, const struct wf_command *cmd)
{
	struct case_record **kids;
	struct buf dd;
	enum md_err err = MD_OK;
	size_t i, k;

	if (!mergeable(parent))
		return refuse(x, parent, "merge");
	if (cmd->n_others == 0 || cmd->others == NULL)
		return bad_input(x, parent->number, "并案须列出要并入的诉求编号",
		    "merging needs the numbers of the cases to fold in");
	if (cmd->n_others > 64)
		return bad_input(x, parent->number, "一次最多并入 64 件诉求",
		    "at most 64 cases can be merged at once");
	kids = calloc(cmd->n_others, sizeof(*kids));
	if (kids == NULL)
		return MD_ERR_NOMEM;
	buf_init(&dd, 256);
	/* Check them all first: a refused merge must not half-happen. */
	for (i = 0; i < cmd->n_others; i++) {
		err = case_find_by_number(x->env->db, cmd->others[i], &kids[i]);
		if (err == MD_ERR_NOTFOUND) {
			say(x, x->zh ? "没有编号为 %s 的诉求，未作任何更改。" :
			    "There is no case %s; nothing changed.", cmd->others[i]);
			goto out;
		}
		if (err)
			goto out;
		for (k = 0; k < i; k++)
			if (kids[k]->id == kids[i]->id)
				break;
		if (kids[i]->id == parent->id || k < i) {
			err = bad_input(x, parent->number, "并案列表中有重复的诉求或联合诉求本身",
			    "a case is listed twice or is the joint case itself");
			goto out;
		}
		if (!mergeable(kids[i])) {
			err = refuse(x, kids[i], "merge");
			goto out;
		}
	}
	if ((err = wf_date(x, current_due(parent), &dd)))
		goto out;
	for (i = 0; i < cmd->n_others && err == MD_OK; i++)
		err = merge_one(x, parent, kids[i], dd.data);
	if (err == MD_OK)
		say(x, x->zh ? "已将 %zu 件诉求并入联合诉求 %s（第十四条），此后各相关会员均会收到通知。" :
		    "%zu case(s) merged into joint case %s (art. 14); every member involved "
		    "gets the notices from now on.", cmd->n_others, parent->number);
out:
	for (i = 0; i < cmd->n_others; i++)
		case_record_free(kids[i]);
	free(kids);
	buf_free(&dd);
	return err;
}

static enum md_err
do_reply(struct wf_ctx *x, struct case_record *c, const char *text)
{
	struct template_var v[1];
	enum md_err err;

	if (status_is(c, "archived") || status_is(c, "merged"))
		return refuse(x, c, "reply");
	if (empty(text))
		return bad_input(x, c->number, "回复内容为空", "the reply is empty");
	if ((err = event(x, c, "handling-record", text)))
		return err;
	v[0].name = "text";	v[0].value = text;
	/* A person's words: no Auto-Submitted, so the member's client treats it as mail. */
	err = wf_notify_members(x, c, "reply", v, 1, NOTICE_AUTO_NONE);
	if (err == MD_OK)
		say(x, x->zh ? "%s：回复已以秘书处名义转交会员（%d 封），并记入处理记录。" :
		    "%s: the reply was relayed to the member(s) (%d) and recorded.",
		    c->number, x->notices);
	return err;
}

void
wf_ctx_init(struct wf_ctx *x, const struct wf_env *env, const struct wf_actor *actor,
    time_t now, struct buf *out)
{
	memset(x, 0, sizeof(*x));
	x->env = env;
	x->actor = actor;
	x->now = now;
	x->lang = env->cfg->language && strcmp(env->cfg->language, "en") == 0 ? "en" : "zh";
	x->zh = strcmp(x->lang, "zh") == 0;
	x->out = out;
}

enum md_err
wf_perform(const struct wf_env *env, const struct wf_actor *actor,
    const struct wf_command *cmd, time_t now, struct wf_result *res, struct buf *out)
{
	struct case_record *c = NULL;
	struct wf_ctx x;
	enum md_err err;

	wf_ctx_init(&x, env, actor, now, out);
	if (res)
		memset(res, 0, sizeof(*res));
	if (!db_in_transaction(env->db)) {
		say(&x, "%s", x.zh ? "内部错误：没有打开事务，未作任何更改。" :
		    "internal error: no transaction is open; nothing changed.");
		return MD_ERR_STATE;
	}
	if (cmd->action == WF_REGISTER)
		return wf_do_register(&x, cmd, res);
	if ((err = load_case(&x, cmd, &c)))
		return err;
	if (status_is(c, "merged") && cmd->action != WF_NOTE) {
		err = refuse(&x, c, wf_action_name(cmd->action));
		goto out;
	}
	if (status_is(c, "archived") && cmd->action != WF_NOTE) {
		err = refuse(&x, c, wf_action_name(cmd->action));
		goto out;
	}
	switch (cmd->action) {
	case WF_ACCEPT:		err = do_accept(&x, c, cmd); break;
	case WF_REJECT:		err = do_reject(&x, c, cmd); break;
	case WF_SET_TYPE:	err = do_type(&x, c, cmd); break;
	case WF_SET_TIER:	err = do_tier(&x, c, cmd); break;
	case WF_ASSIGN:		err = do_assign(&x, c, cmd); break;
	case WF_NOTE:		err = do_note(&x, c, cmd); break;
	case WF_PROGRESS:	err = do_progress(&x, c, cmd); break;
	case WF_EXTEND:		err = do_extend(&x, c, cmd); break;
	case WF_RESOLVE:	err = do_resolve(&x, c, cmd); break;
	case WF_FEEDBACK:	err = do_feedback(&x, c, cmd); break;
	case WF_MERGE:		err = do_merge(&x, c, cmd); break;
	case WF_REOPEN:		err = do_reopen(&x, c, cmd); break;
	case WF_CLOSE:		err = do_close(&x, c, cmd); break;
	case WF_ARCHIVE:	err = do_archive(&x, c); break;
	case WF_REPLY:		err = do_reply(&x, c, cmd->text); break;
	default:
		err = bad_input(&x, c->number, "未知指令", "unknown command");
		break;
	}
out:
	if (res) {
		res->case_id = c->id;
		snprintf(res->case_number, sizeof(res->case_number), "%s", c->number);
		res->notices = x.notices;
	}
	case_record_free(c);
	return err;
}

enum md_err
wf_close(const struct wf_env *env, const struct wf_actor *actor, int64_t case_id,
    const char *reason, time_t now, struct buf *out)
{
	struct wf_command cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.action = WF_CLOSE;
	cmd.case_id = case_id;
	cmd.reason = reason;
	return wf_perform(env, actor, &cmd, now, NULL, out);
}

enum md_err
wf_relay_reply(const struct wf_env *env, const struct wf_actor *actor, int64_t case_id,
    const char *text, time_t now, struct buf *out)
{
	struct wf_command cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.action = WF_REPLY;
	cmd.case_id = case_id;
	cmd.text = text;
	return wf_perform(env, actor, &cmd, now, NULL, out);
}

enum md_err
wf_feedback(const struct wf_env *env, const struct wf_actor *actor, int64_t case_id,
    enum wf_feedback fb, int score, const char *reason, time_t now, struct buf *out)
{
	struct wf_command cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.action = WF_FEEDBACK;
	cmd.case_id = case_id;
	cmd.feedback = fb;
	cmd.score = score;
	cmd.reason = reason;
	return wf_perform(env, actor, &cmd, now, NULL, out);
}
