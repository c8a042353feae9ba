/*
 * New cases: the secretariat's announcement of every new case, and
 * requests that staff register on a member's behalf from a visit, a
 * meeting, a walk-in or a phone call (art. 6).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deadline.h"
#include "log.h"
#include "member.h"
#include "workflow_int.h"

/* Bytes of the request shown to staff in the announcement. */
#define WF_SUMMARY_MAX 1200

/* Copy at most max bytes of s into b, ending on a UTF-8 character boundary. */
static enum md_err
summary(const char *s, size_t max, struct buf *b)
{
	size_t n = strlen(s);

	if (n <= max)
		return buf_puts(b, s);
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	if (buf_append(b, s, max) != MD_OK)
		return MD_ERR_NOMEM;
	return buf_puts(b, "…");
}

static enum md_err
announce(struct wf_ctx *x, struct case_record *c, const char *flags)
{
	struct template_var v[8];
	struct buf rd, sum;
	time_t review = 0;
	enum md_err err;
	int uncovered = 0;

	buf_init(&rd, 256);
	buf_init(&sum, WF_SUMMARY_MAX + 16);
	err = deadline_due(x->env->cal, x->env->cfg->timezone, DEADLINE_REVIEW, c->created_at,
	    &review, &uncovered);
	if (err || (err = wf_date(x, review, &rd)) ||
	    (err = summary(c->text, WF_SUMMARY_MAX, &sum)) ||
	    (err = case_set_time(x->env->db, c->id, "review_due", review, x->now)))
		goto out;
	v[0].name = "requester_address";
	v[0].value = c->requester_email ? c->requester_email : "";
	v[1].name = "requester_phone";
	v[1].value = c->requester_phone ? c->requester_phone : "";
	v[2].name = "member_status";
	v[2].value = c->member_id ? (x->zh ? "会员" : "member") :
	    (x->zh ? "未在会员名录中找到" : "not found in the member list");
	v[3].name = "review_due";	v[3].value = rd.data;
	v[4].name = "type";		v[4].value = wf_label(c->type, x->lang);
	v[5].name = "flags";		v[5].value = flags ? flags : "";
	v[6].name = "summary";		v[6].value = sum.data;
	v[7].name = "command_help";	v[7].value = "";
	err = wf_notify_staff(x, c, STAFF_SECRETARIAT, "staff_new_case", v, 8);
out:
	buf_free(&rd);
	buf_free(&sum);
	return err;
}

enum md_err
wf_announce_new_case(const struct wf_env *env, int64_t case_id, const char *flags, time_t now)
{
	struct wf_actor system = { NULL, "system", WF_VIA_SYSTEM, 0 };
	struct case_record *c = NULL;
	struct wf_ctx x;
	enum md_err err;

	if (!db_in_transaction(env->db))
		return MD_ERR_STATE;
	wf_ctx_init(&x, env, &system, now, NULL);
	err = case_get(env->db, case_id, &c);
	if (err == MD_OK)
		err = announce(&x, c, flags);
	case_record_free(c);
	return err;
}

static int
register_channel(const char *ch)
{
	static const char *const ok[] = { "visit", "meeting", "walk-in", "phone", "online" };
	size_t i;

	for (i = 0; ch && i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(ch, ok[i]) == 0)
			return 1;
	return 0;
}

static int
blank(const char *s)
{
	return s == NULL || s[strspn(s, " \t\r\n")] == '\0';
}

static enum md_err
refuse_input(struct wf_ctx *x, const char *zh, const char *en)
{
	if (x->out)
		(void)buf_printf(x->out, x->zh ? "登记失败：%s，未作任何更改。" :
		    "Not registered: %s; nothing changed.", x->zh ? zh : en);
	return MD_ERR_INPUT;
}

enum md_err
wf_do_register(struct wf_ctx *x, const struct wf_command *cmd, struct wf_result *res)
{
	struct template_var v[3];
	struct calendar_date today;
	struct member *m = NULL;
	struct case_record *c = NULL;
	struct case_new cn;
	struct buf rd;
	char number[CASE_NUMBER_MAX], detail[256], addr[320];
	int64_t id = 0;
	enum md_err err;
	size_t i;

	if (!register_channel(cmd->channel))
		return refuse_input(x, "渠道须为 visit（走访）、meeting（会议）、walk-in（来访）、phone（电话）或 online（线上）",
		    "the channel must be visit, meeting, walk-in, phone or online");
	if (blank(cmd->address) && blank(cmd->name))
		return refuse_input(x, "须给出会员的邮箱地址或姓名", "give the member's address or name");
	if (!blank(cmd->address) && (strlen(cmd->address) >= sizeof(addr) ||
	    !notice_address_valid(cmd->address)))
		return refuse_input(x, "会员邮箱地址无效", "the member's address is not valid");
	if (blank(cmd->subject) || blank(cmd->text))
		return refuse_input(x, "须给出诉求主题和内容", "give a subject and the request text");
	addr[0] = '\0';
	if (!blank(cmd->address)) {
		for (i = 0; cmd->address[i]; i++)
			addr[i] = (char)((cmd->address[i] >= 'A' && cmd->address[i] <= 'Z') ?
			    cmd->address[i] + 32 : cmd->address[i]);
		addr[i] = '\0';
		err = member_find_by_address(x->env->db, addr, &m);
		if (err && err != MD_ERR_NOTFOUND)
			return err;
	}
	err = calendar_local_date(x->env->cfg->timezone, x->now, &today);
	if (err)
		goto out;

	memset(&cn, 0, sizeof(cn));
	cn.prefix = x->env->cfg->case_prefix;
	cn.year = today.year;
	cn.subject = cmd->subject;
	cn.text = cmd->text;
	cn.type = wf_type_valid(cmd->type) ? cmd->type : NULL;
	cn.channel = cmd->channel;
	cn.member_id = m ? m->id : 0;
	cn.requester_name = m ? m->name : (blank(cmd->name) ? "" : cmd->name);
	cn.requester_unit = m ? m->unit_name : "";
	cn.requester_email = addr[0] ? addr : NULL;
	cn.requester_phone = m && m->phone[0] ? m->phone : NULL;
	cn.submitted_at = x->now;
	cn.actor = wf_actor_label(x->actor);
	cn.message_id = x->actor ? x->actor->message_row : 0;
	if ((err = case_create(x->env->db, &cn, x->now, &id, number)))
		goto out;
	snprintf(detail, sizeof(detail), "channel %s, registered by %s on the member's behalf",
	    cmd->channel, wf_actor_label(x->actor));
	if ((err = case_add_event_via(x->env->db, id, x->now, "registered-on-behalf",
	    wf_actor_label(x->actor), wf_via_name(x->actor ? x->actor->via : WF_VIA_CLI),
	    detail, 0, NULL)) ||
	    (err = case_get(x->env->db, id, &c)) ||
	    (err = announce(x, c, NULL)))
		goto out;
	case_record_free(c);
	if ((err = case_get(x->env->db, id, &c)))
		goto out;
	if (c->requester_email) {
		buf_init(&rd, 256);
		err = wf_date(x, c->review_due, &rd);
		v[0].name = "review_due";	v[0].value = rd.data;
		v[1].name = "requester_phone";
		v[1].value = c->requester_phone ? c->requester_phone : "";
		v[2].name = "type";		v[2].value = wf_label(c->type, x->lang);
		if (err == MD_OK)
			err = wf_notify_requester(x, c, c, "ack", v, 3);
		buf_free(&rd);
		if (err)
			goto out;
	}
	if (res) {
		res->case_id = id;
		snprintf(res->case_number, sizeof(res->case_number), "%s", number);
		res->notices = x->notices;
	}
	if (x->out)
		(void)buf_printf(x->out, x->zh ? "已代会员登记诉求 %s（渠道：%s）%s。" :
		    "Registered %s on the member's behalf (channel %s)%s.", number,
		    wf_label(cmd->channel, x->lang), c->requester_email ?
		    (x->zh ? "，回执已发送会员" : "; acknowledgement sent") :
		    (x->zh ? "，会员无邮箱，未发回执" : "; no address, no acknowledgement"));
out:
	case_record_free(c);
	member_free(m);
	return err;
}
