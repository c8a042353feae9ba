#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "feedback.h"
#include "followup.h"
#include "log.h"
#include "mailcmd.h"
#include "msgstore.h"
#include "notify.h"
#include "replystrip.h"
#include "staffauth.h"

/* Longest transcript or alert text sent back. */
#define FOLLOWUP_TEXT_MAX	(64 * 1024)
/* Bytes of a member's or stranger's text quoted in a staff notice. */
#define FOLLOWUP_EXCERPT	1500

const char *
followup_outcome_name(enum followup_outcome o)
{
	switch (o) {
	case FOLLOWUP_MEMBER_MESSAGE:   return "member-message";
	case FOLLOWUP_FEEDBACK:         return "feedback";
	case FOLLOWUP_COMMANDS:         return "commands";
	case FOLLOWUP_COMMANDS_FAILED:  return "commands-failed";
	case FOLLOWUP_RELAYED:          return "relayed";
	case FOLLOWUP_UNAUTHENTICATED:  return "unauthenticated";
	case FOLLOWUP_STRANGER:         return "stranger";
	}
	return "unknown";
}

static int
lang_zh(const struct md_config *cfg)
{
	return !(cfg->language && strcmp(cfg->language, "en") == 0);
}

/* Refusals the sender can fix; anything else is a fault that rolls intake back. */
static int
user_error(enum md_err err)
{
	return err == MD_ERR_STATE || err == MD_ERR_INPUT || err == MD_ERR_NOTFOUND ||
	    err == MD_ERR_LIMIT;
}

/* Append at most FOLLOWUP_EXCERPT bytes of s, cut on a character boundary. */
static enum md_err
put_excerpt(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (n <= FOLLOWUP_EXCERPT)
		return buf_puts(b, s);
	n = FOLLOWUP_EXCERPT;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	if (buf_append(b, s, n) != MD_OK)
		return MD_ERR_LIMIT;
	return buf_puts(b, "…");
}

/*
 * The title of a staff alert of this kind, or NULL for a command transcript.
 */
static const char *
alert_title(const char *kind, const char *lang)
{
	static const struct {
		const char *kind, *zh, *en;
	} titles[] = {
		{ "stranger-alert", "非参与人来信带有诉求编号，未归入诉求",
		  "Mail with a case tag from someone not on the case was kept aside" },
		{ "member-message", "诉求人来信", "New message from the member" },
		{ "auth-alert", "未经验证的指令未执行，请核查是否伪造",
		  "Unauthenticated commands were not carried out: check for forgery" },
	};
	size_t i;

	for (i = 0; i < sizeof(titles) / sizeof(titles[0]); i++)
		if (strcmp(kind, titles[i].kind) == 0)
			return strcmp(lang, "en") == 0 ? titles[i].en : titles[i].zh;
	return NULL;
}

/*
 * A short notice to one staff member: a command transcript, or an alert
 * (the staff_alert template) for the kinds alert_title() knows:
 * transcripts, alerts and news of a member's message. Its Reply-To carries
 * the staff member's token for the case, so answering it can command.
 */
static enum md_err
staff_notice(const struct wf_env *env, const struct case_record *c, const char *to,
    const char *kind, const char *text, int help, time_t now)
{
	const struct md_config *cfg = env->cfg;
	const struct staff_config *st = config_find_staff(cfg, to);
	const char *alert = alert_title(kind, cfg->language);
	struct template_var v[6];
	struct notify_request rq;
	char tag[CASE_NUMBER_MAX + 2], reply_to[STAFFAUTH_ADDR_MAX];
	size_t n = 0;
	enum md_err err;

	if (!notice_address_valid(to))
		return MD_OK;
	snprintf(tag, sizeof(tag), c ? "[%s]" : "%s", c ? c->number : "");
	v[n].name = "case_number";	v[n++].value = c ? c->number : "";
	v[n].name = "case_tag";		v[n++].value = tag;
	v[n].name = "subject";		v[n++].value = c ? c->subject : "";
	v[n].name = "staff_name";	v[n++].value = st ? st->name : "";
	v[n].name = "text";		v[n++].value = text;
	if (alert) {
		v[n].name = "alert";	v[n++].value = alert;
	} else {
		v[n].name = "command_help";
		v[n++].value = help ? mailcmd_help(cfg->language) : "";
	}
	memset(&rq, 0, sizeof(rq));
	rq.case_id = c ? c->id : 0;
	rq.kind = kind;
	rq.template_name = alert ? "staff_alert" : "command_transcript";
	rq.vars = v;
	rq.nvars = n;
	rq.to_addr = to;
	rq.to_name = st ? st->name : NULL;
	rq.auto_submitted = NOTICE_AUTO_GENERATED;
	rq.thread_topic = c ? c->subject : NULL;
	if (c && st) {
		err = staffauth_reply_address(cfg, st->address, c->number, reply_to,
		    sizeof(reply_to));
		if (err)
			return err;
		rq.reply_to = reply_to;
	}
	return notify_queue(cfg, env->db, &rq, now, NULL);
}

/* The same notice to every secretariat member (or, when none is listed, to nobody). */
static enum md_err
alert_secretariat(const struct wf_env *env, const struct case_record *c, const char *kind,
    const char *text, time_t now)
{
	const struct md_config *cfg = env->cfg;
	enum md_err err = MD_OK;
	size_t i;

	for (i = 0; i < cfg->n_staff && err == MD_OK; i++)
		if (cfg->staff[i].role == STAFF_SECRETARIAT)
			err = staff_notice(env, c, cfg->staff[i].address, kind, text, 0, now);
	return err;
}

static const char *
sender(const struct message *msg)
{
	return msg->from_addr ? msg->from_addr : "(no address)";
}

/* Someone who is not a participant wrote with the case's tag or thread. */
static enum md_err
handle_stranger(const struct wf_env *env, const struct message *msg,
    const struct case_record *c, int64_t row, time_t now)
{
	struct buf b;
	char esc[256];
	enum md_err err;

	buf_init(&b, FOLLOWUP_TEXT_MAX);
	err = buf_printf(&b, lang_zh(env->cfg) ?
	    "收到 %s 的邮件（主题：%s），其主题或回复关系指向诉求 %s，但发件人不是该诉求的当事人。"
	    "邮件已保存为未归档邮件（编号 %lld），未加入该诉求，也未转给任何会员。请核实。\n\n邮件内容摘录：\n" :
	    "A mail from %s (subject: %s) points to case %s, but the sender is not a party to "
	    "that case. It was kept unfiled (message %lld), not added to the case and not passed "
	    "to any member. Please check it.\n\nExcerpt:\n",
	    sender(msg), msg->subject, c ? c->number : "?", (long long)row);
	if (err == MD_OK)
		err = put_excerpt(&b, msg->text);
	if (err == MD_OK || err == MD_ERR_LIMIT)
		err = alert_secretariat(env, NULL, "stranger-alert", b.data, now);
	buf_free(&b);
	if (err == MD_OK)
		log_warnx("message %lld from %s names case %s but is not from a participant; "
		    "kept unfiled", (long long)row, log_escape(esc, sizeof(esc), sender(msg)),
		    c->number);
	return err;
}

/* News of a member's message for the assignee, or the secretariat. */
static enum md_err
tell_staff(const struct wf_env *env, const struct message *msg, const struct case_record *c,
    const char *text, time_t now)
{
	struct buf b;
	enum md_err err;

	buf_init(&b, FOLLOWUP_TEXT_MAX);
	err = buf_printf(&b, lang_zh(env->cfg) ?
	    "诉求人 %s 就诉求 %s 发来新邮件（主题：%s）：\n\n" :
	    "The requester %s wrote again about case %s (subject: %s):\n\n",
	    sender(msg), c->number, msg->subject);
	if (err == MD_OK)
		err = put_excerpt(&b, text[0] ? text : msg->text);
	if (err == MD_ERR_LIMIT)
		err = MD_OK;
	if (err == MD_OK && c->assignee && config_find_staff(env->cfg, c->assignee))
		err = staff_notice(env, c, c->assignee, "member-message", b.data, 0, now);
	else if (err == MD_OK)
		err = alert_secretariat(env, c, "member-message", b.data, now);
	buf_free(&b);
	return err;
}

static enum wf_feedback
wf_verdict(const struct feedback *fb)
{
	if (fb->from_score)
		return WF_FEEDBACK_SCORE;
	return fb->verdict == FEEDBACK_SATISFIED ? WF_FEEDBACK_SATISFIED :
	    WF_FEEDBACK_UNSATISFIED;
}

static enum md_err
handle_member(const struct wf_env *env, const struct message *msg,
    const struct case_record *c, int64_t row, const char *text, time_t now,
    struct followup_result *res)
{
	struct wf_actor actor = { msg->from_addr, msg->from_name, WF_VIA_MAIL, row };
	struct feedback fb;
	struct buf out;
	char detail[512];
	enum md_err err;

	snprintf(detail, sizeof(detail), "%s", text[0] ? text : msg->subject);
	err = case_add_event_via(env->db, c->id, now, "member-message", msg->from_addr, "mail",
	    detail, row, NULL);
	if (err)
		return err;
	res->outcome = FOLLOWUP_MEMBER_MESSAGE;
	if (strcmp(c->status, "resolved") != 0)
		return tell_staff(env, msg, c, text, now);
	err = feedback_parse(text, &fb);
	if (err == MD_ERR_LIMIT) {
		memset(&fb, 0, sizeof(fb));
		err = MD_OK;
	}
	if (err)
		return err;
	if (fb.verdict == FEEDBACK_UNKNOWN) {
		/* Unclear answers go to people, who read them and decide. */
		feedback_free(&fb);
		return tell_staff(env, msg, c, text, now);
	}
	buf_init(&out, FOLLOWUP_TEXT_MAX);
	err = db_exec(env->db, "SAVEPOINT feedback");
	if (err == MD_OK) {
		err = wf_feedback(env, &actor, c->id, wf_verdict(&fb), fb.score,
		    fb.reason[0] ? fb.reason : NULL, now, &out);
		if (user_error(err)) {
			(void)db_exec(env->db, "ROLLBACK TO feedback");
			err = db_exec(env->db, "RELEASE feedback");
			if (err == MD_OK)
				err = tell_staff(env, msg, c, text, now);
		} else if (err == MD_OK) {
			err = db_exec(env->db, "RELEASE feedback");
			res->outcome = FOLLOWUP_FEEDBACK;
		}
	}
	buf_free(&out);
	feedback_free(&fb);
	return err;
}

/* Execute every command, or none: a savepoint undoes the earlier ones on a refusal. */
static enum md_err
run_commands(const struct wf_env *env, const struct message *msg,
    const struct case_record *c, int64_t row, struct mailcmd_list *l, time_t now,
    struct buf *out, int *ok)
{
	struct wf_actor actor = { msg->from_addr, msg->from_name, WF_VIA_MAIL, row };
	enum md_err err;
	size_t i;

	*ok = 0;
	err = db_exec(env->db, "SAVEPOINT commands");
	for (i = 0; err == MD_OK && i < l->n; i++) {
		struct wf_command *w = &l->cmds[i].cmd;

		if (w->action != WF_REGISTER) {
			if (c == NULL) {
				(void)buf_printf(out, lang_zh(env->cfg) ?
				    "第%d行：没有找到对应的诉求，请直接回复该诉求的邮件。" :
				    "line %d: no case found; reply to a mail about the case.",
				    l->cmds[i].line);
				err = MD_ERR_NOTFOUND;
				break;
			}
			w->case_number = c->number;
			w->case_id = c->id;
		}
		err = wf_perform(env, &actor, w, now, NULL, out);
		if (err == MD_OK || user_error(err))
			(void)buf_putc(out, '\n');
	}
	if (user_error(err)) {
		(void)db_exec(env->db, "ROLLBACK TO commands");
		(void)buf_puts(out, lang_zh(env->cfg) ?
		    "由于上述错误，本邮件中的全部指令均未执行，诉求未作任何更改。\n" :
		    "Because of the error above, none of the commands in this mail was carried out; "
		    "nothing changed.\n");
		return db_exec(env->db, "RELEASE commands");
	}
	if (err)
		return err;
	*ok = 1;
	return db_exec(env->db, "RELEASE commands");
}

static enum md_err
refuse_unauthenticated(const struct wf_env *env, const struct message *msg,
    const struct case_record *c, int64_t row, int commands, time_t now)
{
	struct buf b;
	char esc[256];
	enum md_err err = MD_OK;

	if (c)
		err = case_add_event_via(env->db, c->id, now, "command-refused", msg->from_addr,
		    "mail", commands ? "commands without a valid reply token or trusted "
		    "Authentication-Results" : "reply without a valid reply token or trusted "
		    "Authentication-Results", row, NULL);
	if (err)
		return err;
	buf_init(&b, FOLLOWUP_TEXT_MAX);
	err = buf_printf(&b, lang_zh(env->cfg) ?
	    "收到一封发件人为工作人员 %s 的邮件（主题：%s），但无法确认确实由本人发出："
	    "邮件既未发往该工作人员专用的回复地址，也没有可信的 DKIM/DMARC 验证结果。"
	    "其中的%s未执行，诉求未作任何更改。邮件已保存（编号 %lld），请核实是否为伪造。\n\n邮件内容摘录：\n" :
	    "A mail claiming to be from staff member %s (subject: %s) could not be verified: it "
	    "was not sent to that staff member's reply address and carries no trusted DKIM/DMARC "
	    "result. Its %s was not carried out and nothing changed. The mail is kept (message "
	    "%lld); please check whether it was forged.\n\nExcerpt:\n",
	    sender(msg), msg->subject, commands ? (lang_zh(env->cfg) ? "指令" : "commands") :
	    (lang_zh(env->cfg) ? "回复内容（未转给会员）" : "reply (not relayed to the member)"),
	    (long long)row);
	if (err == MD_OK)
		err = put_excerpt(&b, msg->text);
	if (err == MD_OK || err == MD_ERR_LIMIT)
		err = alert_secretariat(env, c, "auth-alert", b.data, now);
	buf_free(&b);
	if (err == MD_OK)
		log_warnx("message %lld: staff From %s without proof; nothing done",
		    (long long)row, log_escape(esc, sizeof(esc), sender(msg)));
	return err;
}

static enum md_err
handle_staff(const struct wf_env *env, const struct message *msg,
    const struct case_record *c, int64_t row, const char *text, time_t now,
    struct followup_result *res)
{
	struct wf_actor actor = { msg->from_addr, msg->from_name, WF_VIA_MAIL, row };
	struct mailcmd_list l;
	enum staffauth_verdict verdict;
	struct buf out;
	size_t i;
	int commands, ok = 0;
	enum md_err err;

	memset(&l, 0, sizeof(l));
	commands = mailcmd_present(text);
	err = staffauth_check(env->cfg, msg, c ? c->number : "", &verdict);
	if (err)
		return err;
	if (!staffauth_ok(verdict)) {
		res->outcome = FOLLOWUP_UNAUTHENTICATED;
		return refuse_unauthenticated(env, msg, c, row, commands, now);
	}
	buf_init(&out, FOLLOWUP_TEXT_MAX);
	if (!commands && c == NULL) {
		/* Intake sends staff mail without a case here only when it has commands. */
		res->outcome = FOLLOWUP_COMMANDS_FAILED;
		goto out;
	}
	if (!commands) {
		if (text[0] == '\0') {
			res->outcome = FOLLOWUP_RELAYED;
			err = case_add_event_via(env->db, c->id, now, "staff-message",
			    msg->from_addr, "mail", "empty reply, nothing relayed", row, NULL);
			goto out;
		}
		err = db_exec(env->db, "SAVEPOINT relay");
		if (err == MD_OK)
			err = wf_relay_reply(env, &actor, c->id, text, now, &out);
		if (err == MD_OK) {
			res->outcome = FOLLOWUP_RELAYED;
			err = db_exec(env->db, "RELEASE relay");
		} else if (user_error(err)) {
			(void)db_exec(env->db, "ROLLBACK TO relay");
			err = db_exec(env->db, "RELEASE relay");
			res->outcome = FOLLOWUP_COMMANDS_FAILED;
			if (err == MD_OK)
				err = staff_notice(env, c, msg->from_addr, "transcript", out.data ?
				    out.data : "", 0, now);
		}
		goto out;
	}
	err = mailcmd_parse(text, env->cfg->case_prefix, env->cfg->language, &l);
	if (err == MD_ERR_LIMIT) {
		(void)buf_puts(&out, lang_zh(env->cfg) ? "邮件太长，未执行任何指令。\n" :
		    "The mail is too long; no command was carried out.\n");
		err = MD_OK;
	} else if (err == MD_OK && l.n_errors > 0) {
		for (i = 0; i < l.n_errors; i++)
			(void)buf_printf(&out, "%s\n", l.errors[i].message);
		(void)buf_puts(&out, lang_zh(env->cfg) ?
		    "由于上述错误，本邮件中的全部指令均未执行，诉求未作任何更改。\n" :
		    "Because of the error above, none of the commands in this mail was carried "
		    "out; nothing changed.\n");
	} else if (err == MD_OK && l.n > 0) {
		err = run_commands(env, msg, c, row, &l, now, &out, &ok);
	}
	if (err)
		goto out;
	res->outcome = ok ? FOLLOWUP_COMMANDS : FOLLOWUP_COMMANDS_FAILED;
	err = staff_notice(env, c, msg->from_addr, "transcript", out.data ? out.data : "",
	    !ok || l.help, now);
out:
	mailcmd_list_free(&l);
	buf_free(&out);
	return err;
}

enum md_err
followup_handle(const struct wf_env *env, const struct message *msg,
    const struct msgstore_new *rec, const struct thread_result *th, time_t now,
    struct followup_result *res)
{
	struct msgstore_new r = *rec;
	struct case_record *c = NULL;
	int64_t message_row;
	enum thread_party party = THREAD_PARTY_NONE;
	char *text = NULL;
	enum md_err err;

	memset(res, 0, sizeof(*res));
	if (!db_in_transaction(env->db))
		return MD_ERR_STATE;
	if (th->case_id) {
		err = case_get(env->db, th->case_id, &c);
		if (err == MD_OK)
			err = thread_participant(env->cfg, env->db, c->id, msg->from_addr, &party);
		if (err)
			goto out;
	} else if (msg->from_addr && config_find_staff(env->cfg, msg->from_addr)) {
		party = THREAD_PARTY_STAFF;
	}
	err = replystrip(msg->text ? msg->text : "", &text);
	if (err == MD_ERR_LIMIT)
		err = replystrip("", &text);
	if (err)
		goto out;
	/* A stranger's message stays unfiled even when it names a case. */
	r.case_id = c && party != THREAD_PARTY_NONE ? c->id : 0;
	err = msgstore_insert(env->db, &r, &message_row);
	if (err)
		goto out;
	res->message_row = message_row;
	if (party == THREAD_PARTY_NONE) {
		res->outcome = FOLLOWUP_STRANGER;
		err = handle_stranger(env, msg, c, message_row, now);
		goto out;
	}
	res->case_id = r.case_id;
	if (party == THREAD_PARTY_MEMBER)
		err = handle_member(env, msg, c, message_row, text, now, res);
	else
		err = handle_staff(env, msg, c, message_row, text, now, res);
out:
	free(text);
	case_record_free(c);
	return err;
}
