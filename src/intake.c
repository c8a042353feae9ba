#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "autodetect.h"
#include "bounce.h"
#include "buf.h"
#include "deadline.h"
#include "followup.h"
#include "intake.h"
#include "log.h"
#include "member.h"
#include "message.h"
#include "msgstore.h"
#include "mailcmd.h"
#include "notify.h"
#include "triage.h"
#include "thread.h"
#include "workflow.h"

/* References copied into a notice: the member's chain plus their message. */
#define INTAKE_MAX_REFS 21

const char *
intake_outcome_name(enum intake_outcome outcome)
{
	switch (outcome) {
	case INTAKE_NEW_CASE:  return "new-case";
	case INTAKE_AUTOMATIC: return "automatic";
	case INTAKE_DUPLICATE: return "duplicate";
	case INTAKE_ALREADY:   return "already-recorded";
	case INTAKE_UNFILED:   return "unfiled";
	case INTAKE_OVERSIZE:  return "oversize";
	case INTAKE_FOLLOWUP:  return "follow-up";
	}
	return "unknown";
}

void
intake_message_limits(const struct md_config *cfg, struct message_limits *lim)
{
	lim->max_message_size = cfg->limits.max_message_size;
	lim->max_header_count = cfg->limits.max_header_count;
	lim->max_line_length = cfg->limits.max_line_length;
	lim->max_mime_depth = cfg->limits.max_mime_depth;
	lim->max_mime_parts = cfg->limits.max_mime_parts;
	lim->max_attachment_size = cfg->limits.max_attachment_size;
	lim->max_text_size = cfg->limits.max_text_size;
}

/* Local date and time for notices, in the process time zone (the configured one). */
static void
format_local(time_t t, const char *lang, char *dst, size_t dstlen)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL) {
		snprintf(dst, dstlen, "%lld", (long long)t);
		return;
	}
	if (strcmp(lang, "en") == 0)
		strftime(dst, dstlen, "%d %B %Y %H:%M", &tm);
	else
		snprintf(dst, dstlen, "%d年%d月%d日 %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday, tm.tm_hour, tm.tm_min);
}

static int
local_year(time_t t)
{
	struct tm tm;

	return localtime_r(&t, &tm) ? tm.tm_year + 1900 : 1970;
}

/*
 * Has this message been recorded before? The mailbox UID catches a crash
 * between commit and marking; Message-ID and content hash catch the same
 * message fetched again under a new UIDVALIDITY or delivered twice.
 */
static enum md_err
find_recorded(struct db *db, const struct intake_source *src, const struct message *msg,
    const char *sha, enum intake_outcome *outcome, int64_t *row)
{
	enum md_err err;

	err = msgstore_find_uid(db, src->mailbox, src->uidvalidity, src->uid, row);
	if (err != MD_ERR_NOTFOUND) {
		*outcome = INTAKE_ALREADY;
		return err;
	}
	if (msg && msg->message_id) {
		err = msgstore_find_message_id(db, msg->message_id, row);
		if (err != MD_ERR_NOTFOUND) {
			*outcome = INTAKE_DUPLICATE;
			return err;
		}
	}
	err = msgstore_find_sha256(db, sha, row);
	if (err != MD_ERR_NOTFOUND) {
		*outcome = INTAKE_DUPLICATE;
		return err;
	}
	return MD_ERR_NOTFOUND;
}

/*
 * The record of a message as fetched. It is written once its case is
 * known, with case_id set in the INSERT: linking it afterwards would
 * rewrite the whole row, raw message included.
 */
static void
message_record(const struct intake_source *src, const char *raw, size_t len,
    const struct message *msg, const char *sha, time_t now, struct msgstore_new *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->mailbox = src->mailbox;
	rec->uidvalidity = src->uidvalidity;
	rec->uid = src->uid;
	rec->raw = raw;
	rec->raw_len = len;
	rec->msg = msg;
	rec->received_at = now;
	rec->sha256_hex = sha;
}

static enum md_err
record_message(struct db *db, const struct intake_source *src, const char *raw, size_t len,
    const struct message *msg, time_t now, int64_t *row)
{
	struct msgstore_new rec;

	message_record(src, raw, len, msg, NULL, now, &rec);
	return msgstore_insert(db, &rec, row);
}

static enum md_err
advance_mailbox(struct db *db, const struct intake_source *src, time_t now)
{
	struct mailbox_state st;
	enum md_err err;

	err = msgstore_mailbox_get(db, src->mailbox, &st);
	if (err == MD_ERR_NOTFOUND) {
		memset(&st, 0, sizeof(st));
		err = MD_OK;
	}
	if (err)
		return err;
	if (st.uidvalidity != src->uidvalidity) {
		st.uidvalidity = src->uidvalidity;
		st.last_uid = 0;
	}
	if (src->uid > st.last_uid)
		st.last_uid = src->uid;
	st.last_poll_at = now;
	return msgstore_mailbox_set(db, src->mailbox, &st);
}

/* The acknowledgement (回执) of art. 9: case number and review deadline. */
static enum md_err
queue_ack(const struct intake_env *env, const struct message *msg, int64_t case_id,
    const char *number, const struct member *m, time_t now)
{
	const struct md_config *cfg = env->cfg;
	const char *refs[INTAKE_MAX_REFS];
	struct template_var vars[12];
	struct notify_request rq;
	struct buf due;
	char tag[CASE_NUMBER_MAX + 2], submitted[64];
	time_t review_due = 0;
	size_t nrefs = 0, i, first;
	int uncovered = 0;
	enum md_err err;

	buf_init(&due, 256);
	err = deadline_due(env->cal, cfg->timezone, DEADLINE_REVIEW, now, &review_due, &uncovered);
	if (err == MD_OK)
		err = deadline_format(review_due, cfg->timezone, cfg->language, &due);
	if (err) {
		buf_free(&due);
		return err;
	}
	snprintf(tag, sizeof(tag), "[%s]", number);
	format_local(now, cfg->language, submitted, sizeof(submitted));

	i = 0;
	vars[i].name = "case_number";    vars[i++].value = number;
	vars[i].name = "case_tag";       vars[i++].value = tag;
	vars[i].name = "subject";        vars[i++].value = msg->subject;
	vars[i].name = "submitted_at";   vars[i++].value = submitted;
	vars[i].name = "review_due";     vars[i++].value = due.data;
	vars[i].name = "requester_name";
	vars[i++].value = m ? m->name : msg->from_name;
	vars[i].name = "requester_unit"; vars[i++].value = m ? m->unit_name : "";
	vars[i].name = "requester_phone"; vars[i++].value = m ? m->phone : "";

	/* Keep the thread root and the latest references, then the member's own message. */
	first = msg->n_references > INTAKE_MAX_REFS - 1 ?
	    msg->n_references - (INTAKE_MAX_REFS - 2) : 1;
	if (msg->n_references)
		refs[nrefs++] = msg->references[0];
	for (; first < msg->n_references; first++)
		refs[nrefs++] = msg->references[first];
	if (msg->message_id)
		refs[nrefs++] = msg->message_id;

	memset(&rq, 0, sizeof(rq));
	rq.case_id = case_id;
	rq.kind = "ack";
	rq.template_name = "ack";
	rq.vars = vars;
	rq.nvars = i;
	rq.to_addr = msg->from_addr;
	rq.to_name = m ? m->name : msg->from_name;
	rq.in_reply_to = msg->message_id;
	rq.references = refs;
	rq.n_references = nrefs;
	rq.thread_root = msg->message_id;
	rq.thread_time = now;
	rq.thread_topic = msg->subject;
	rq.auto_submitted = NOTICE_AUTO_REPLIED;
	err = notify_queue(cfg, env->db, &rq, now, NULL);
	if (err == MD_OK) {
		char detail[160];

		snprintf(detail, sizeof(detail), "review due %s", due.data);
		err = case_add_event(env->db, case_id, now, "deadline", "system", detail, 0, NULL);
	}
	buf_free(&due);
	return err;
}

/* Record what triage proposed, for staff to confirm and for the report. */
static enum md_err
record_classification(const struct intake_env *env, int64_t case_id,
    const struct classify_result *cr, time_t now)
{
	json_t *j = classify_result_json(cr);
	char *detail = j ? json_dumps(j, JSON_COMPACT) : NULL;
	enum md_err err;

	json_decref(j);
	if (detail == NULL)
		return MD_ERR_NOMEM;
	err = case_add_event(env->db, case_id, now, "classified", "system", detail, 0, NULL);
	free(detail);
	return err;
}

/* pre: what the fetch thread worked out (intake_prepared.classified), or NULL. */
static enum md_err
register_case(const struct intake_env *env, const struct message *msg,
    const struct msgstore_new *rec, const struct classify_precomputed *pre, time_t now,
    struct intake_result *res, char **flags)
{
	struct classify_result *cr = NULL;
	struct msgstore_new r = *rec;
	struct member *m = NULL;
	struct case_new cn;
	enum md_err err;

	*flags = NULL;
	err = member_find_by_address(env->db, msg->from_addr, &m);
	if (err && err != MD_ERR_NOTFOUND)
		return err;
	err = triage_classify_precomputed(env->triage, env->cfg, env->db, msg, m, pre, now, &cr);
	if (err) {
		member_free(m);
		return err;
	}

	memset(&cn, 0, sizeof(cn));
	cn.prefix = env->cfg->case_prefix;
	cn.year = local_year(now);
	cn.subject = msg->subject;
	cn.text = msg->text;
	cn.channel = "email";
	cn.member_id = m ? m->id : 0;
	cn.requester_name = m ? m->name : msg->from_name;
	cn.requester_unit = m ? m->unit_name : "";
	cn.requester_email = msg->from_addr;
	cn.requester_phone = m && m->phone[0] ? m->phone : NULL;
	cn.submitted_at = now;
	cn.actor = msg->from_addr;
	cn.event_by_caller = 1;
	cn.type = md_type_name(cr->type);
	/* Case first, then the message linked to it, then the event citing both. */
	err = case_create(env->db, &cn, now, &res->case_id, res->case_number);
	if (err == MD_OK) {
		r.case_id = res->case_id;
		err = msgstore_insert(env->db, &r, &res->message_row);
	}
	if (err == MD_OK)
		err = case_add_event(env->db, res->case_id, now, "registered", cn.actor, NULL,
		    res->message_row, NULL);
	if (err == MD_OK)
		err = record_classification(env, res->case_id, cr, now);
	if (err == MD_OK)
		err = queue_ack(env, msg, res->case_id, res->case_number, m, now);
	if (err == MD_OK && cr->rules.n_flags) {
		*flags = triage_flags_string(cr);
		if (*flags == NULL)
			err = MD_ERR_NOMEM;
	}
	classify_result_free(cr);
	member_free(m);
	return err;
}

/*
 * A message about a known case, or staff commands without one, goes to
 * followup; anything else opens a case that the secretariat is told of.
 */
static enum md_err
route(const struct intake_env *env, const struct message *msg,
    const struct msgstore_new *rec, const struct classify_precomputed *pre, time_t now,
    struct intake_result *res)
{
	struct wf_env wf = { env->cfg, env->db, env->cal };
	struct thread_result th;
	struct followup_result fr;
	char esc[256], *flags = NULL;
	enum md_err err;

	err = thread_find(env->cfg, env->db, msg, &th);
	if (err)
		return err;
	if (th.via != THREAD_VIA_NONE || (config_find_staff(env->cfg, msg->from_addr) &&
	    mailcmd_present(msg->text))) {
		err = followup_handle(&wf, msg, rec, &th, now, &fr);
		if (err)
			return err;
		res->message_row = fr.message_row;
		res->outcome = fr.outcome == FOLLOWUP_STRANGER ? INTAKE_UNFILED : INTAKE_FOLLOWUP;
		res->case_id = fr.case_id;
		if (fr.case_id)
			snprintf(res->case_number, sizeof(res->case_number), "%s", th.case_number);
		snprintf(res->note, sizeof(res->note), "message %lld from %s: %s%s%s (%s)",
		    (long long)res->message_row,
		    log_escape(esc, sizeof(esc), msg->from_addr), followup_outcome_name(fr.outcome),
		    th.case_number[0] ? " on " : "", th.case_number,
		    th.via != THREAD_VIA_NONE ? thread_via_name(th.via) : "no case");
		return MD_OK;
	}
	res->outcome = INTAKE_NEW_CASE;
	err = register_case(env, msg, rec, pre, now, res, &flags);
	if (err == MD_OK)
		err = wf_announce_new_case(&wf, res->case_id, flags, now);
	free(flags);
	return err;
}

static enum md_err
classify_automatic(const struct md_config *cfg, const struct message *msg, const char *raw,
    size_t len, struct auto_verdict *v)
{
	struct autodetect_config ac;
	const char *own[1];

	autodetect_config_default(&ac);
	ac.loop_domain = cfg->message_id_domain;
	own[0] = cfg->smtp_from;
	ac.own_addresses = own;
	ac.n_own_addresses = 1;
	return autodetect_check(msg, raw, len, &ac, v);
}

/* An address notices can go to; mail without one opens no case. */
static int
usable_sender(const struct message *msg)
{
	return msg->from_addr != NULL && notice_address_valid(msg->from_addr);
}

/* See struct intake_prepared: hashes taken, decoded bytes let go. */
static enum md_err
hash_attachments(struct intake_prepared *p)
{
	struct message_attachment *a;
	enum md_err err;
	size_t i;

	if (p->msg->n_attachments == 0)
		return MD_OK;
	p->attachment_sha256 = calloc(p->msg->n_attachments, sizeof(*p->attachment_sha256));
	if (p->attachment_sha256 == NULL)
		return MD_ERR_NOMEM;
	for (i = 0; i < p->msg->n_attachments; i++) {
		a = &p->msg->attachments[i];
		if (a->data == NULL && a->encoded == NULL)
			continue;
		err = msgstore_attachment_sha256(a, p->attachment_sha256[i]);
		if (err)
			return err;
		free(a->data);
		a->data = NULL;
	}
	return MD_OK;
}

enum md_err
intake_prepare(const struct md_config *cfg, const struct triage *triage, const char *raw,
    size_t len, struct intake_prepared *p)
{
	struct message_limits lim;
	enum md_err err;

	memset(p, 0, sizeof(*p));
	intake_message_limits(cfg, &lim);
	err = message_parse(raw, len, &lim, &p->msg);
	if (err == MD_ERR_LIMIT) {
		p->over_limit = 1;
		return MD_OK;
	}
	if (err)
		return err;
	err = classify_automatic(cfg, p->msg, raw, len, &p->verdict);
	if (err == MD_OK)
		err = msgstore_sha256_hex(raw, len, p->sha256);
	if (err == MD_OK)
		err = hash_attachments(p);
	/*
	 * Only mail that may open a case is ever classified (route()): the
	 * work is wasted on a follow-up, whose case only the database knows,
	 * but that costs the fetch thread, not the database thread.
	 */
	if (err == MD_OK && triage != NULL && !p->verdict.is_automatic && usable_sender(p->msg)) {
		err = triage_precompute(triage, p->msg, &p->classified);
		if (err == MD_OK)
			p->classified_by = triage;
	}
	if (err)
		intake_prepared_free(p);
	return err;
}

void
intake_prepared_free(struct intake_prepared *p)
{
	autodetect_verdict_free(&p->verdict);
	message_free(p->msg);
	free(p->attachment_sha256);
	classify_precomputed_free(&p->classified);
	memset(p, 0, sizeof(*p));
}

enum md_err
intake_message(const struct intake_env *env, const struct intake_source *src,
    const char *raw, size_t len, time_t now, struct intake_result *res)
{
	struct intake_prepared p;
	enum md_err err;

	memset(res, 0, sizeof(*res));
	/*
	 * No triage: on one thread nothing is gained by classifying ahead, and
	 * a follow-up would be classified for nothing.
	 */
	err = intake_prepare(env->cfg, NULL, raw, len, &p);
	if (err)
		return err;
	err = intake_message_prepared(env, src, raw, len, &p, now, res);
	intake_prepared_free(&p);
	return err;
}

enum md_err
intake_message_prepared(const struct intake_env *env, const struct intake_source *src,
    const char *raw, size_t len, const struct intake_prepared *p, time_t now,
    struct intake_result *res)
{
	const struct message *msg = p->msg;
	const struct auto_verdict *verdict = &p->verdict;
	/* Worked out with another triage (or none): classified afresh. */
	const struct classify_precomputed *pre =
	    p->classified_by != NULL && p->classified_by == env->triage ? &p->classified : NULL;
	struct msgstore_new rec;
	char esc[256];
	enum md_err err;
	int no_sender;

	memset(res, 0, sizeof(*res));
	if (p->over_limit)
		return intake_oversize(env, src, len, raw, len < 65536 ? len : 65536, now, res);

	err = db_begin(env->db);
	if (err)
		return err;
	err = find_recorded(env->db, src, msg, p->sha256, &res->outcome, &res->message_row);
	if (err == MD_OK) {
		err = advance_mailbox(env->db, src, now);
		goto commit;
	}
	if (err != MD_ERR_NOTFOUND)
		goto rollback;

	message_record(src, raw, len, msg, p->sha256, now, &rec);
	rec.attachment_sha256 = (const char (*)[MSGSTORE_SHA256_HEX])p->attachment_sha256;
	no_sender = !usable_sender(msg);
	if (verdict->is_automatic || no_sender) {
		/* Never on a case (a bounce is linked to its notice instead). */
		err = msgstore_insert(env->db, &rec, &res->message_row);
		if (err)
			goto rollback;
	}
	if (verdict->is_automatic) {
		res->outcome = INTAKE_AUTOMATIC;
		snprintf(res->note, sizeof(res->note), "uid %u: automatic mail (%s): %s", src->uid,
		    verdict->kind, verdict->reason);
		/* A bounce is linked to the notice it reports on (hygiene). */
		err = bounce_handle(env->cfg, env->db, verdict, msg, raw, len, res->message_row,
		    now, NULL);
		if (err)
			goto rollback;
	} else if (no_sender) {
		res->outcome = INTAKE_UNFILED;
		log_warnx("uid %u: no usable sender address; kept without a case", src->uid);
	} else {
		err = route(env, msg, &rec, pre, now, res);
		if (err)
			goto rollback;
	}
	err = advance_mailbox(env->db, src, now);
commit:
	if (err)
		goto rollback;
	err = db_commit(env->db);
	if (err)
		goto rollback;
	if (res->outcome == INTAKE_NEW_CASE)
		snprintf(res->note, sizeof(res->note), "uid %u: case %s registered for %s",
		    src->uid, res->case_number,
		    log_escape(esc, sizeof(esc), msg->from_addr));
	return MD_OK;
rollback:
	db_rollback(env->db);
	memset(res, 0, sizeof(*res));
	log_warnx("uid %u: not taken in: %s%s%s", src->uid, md_strerror(err),
	    db_errmsg(env->db)[0] ? ": " : "", db_errmsg(env->db));
	return err;
}

static void
format_size(size_t n, char *dst, size_t dstlen)
{
	if (n >= 1024 * 1024)
		snprintf(dst, dstlen, "%.1f MB", (double)n / (1024.0 * 1024.0));
	else
		snprintf(dst, dstlen, "%zu KB", (n + 1023) / 1024);
}

/*
 * The polite oversize_notice, only to a plausible person: a usable sender
 * address that is not automatic mail, not staff and not ourselves (a
 * notice to a robot or a forged sender would only be backscatter; the rate
 * limits bound the rest). head may be NULL-parsed: the verdict then comes
 * from the raw head.
 */
/* The secretariat learns of every message too large to read, and where it is. */
static enum md_err
alert_oversize(const struct intake_env *env, const struct message *msg, size_t size,
    time_t now)
{
	const struct md_config *cfg = env->cfg;
	int en = strcmp(cfg->language, "en") == 0;
	struct template_var vars[2];
	struct notify_request rq;
	char sz[32], max[32], text[1200];

	format_size(size, sz, sizeof(sz));
	format_size(cfg->limits.max_message_size, max, sizeof(max));
	snprintf(text, sizeof(text), en ?
	    "From: %s\nSubject: %s\nSize: %s (limit %s)\n\nThe message was not read; its "
	    "headers are kept, and the whole message is in the mailbox folder \"%s\". "
	    "Please read it there and register it on the member's behalf if needed." :
	    "发件人：%s\n主题：%s\n大小：%s（上限 %s）\n\n系统未读取该邮件，已保存其信头；"
	    "完整邮件保存在邮箱文件夹“%s”中。请在邮箱中查阅，必要时代为登记诉求。",
	    msg && msg->from_addr ? msg->from_addr : "?", msg ? msg->subject : "", sz, max,
	    cfg->imap_processed_folder && cfg->imap_processed_folder[0] ?
	    cfg->imap_processed_folder : cfg->imap_mailbox);
	vars[0].name = "alert";
	vars[0].value = en ? "A message too large to read was received" : "收到超过大小上限的来信";
	vars[1].name = "text";
	vars[1].value = text;
	memset(&rq, 0, sizeof(rq));
	rq.kind = "oversize_alert";
	rq.template_name = "staff_alert";
	rq.vars = vars;
	rq.nvars = 2;
	rq.auto_submitted = NOTICE_AUTO_GENERATED;
	return notify_queue_role(cfg, env->db, &rq, STAFF_SECRETARIAT, now, NULL);
}

static enum md_err
queue_oversize_notice(const struct intake_env *env, const struct message *msg,
    const char *head, size_t headlen, size_t size, time_t now)
{
	const struct md_config *cfg = env->cfg;
	struct template_var vars[5];
	struct notify_request rq;
	struct auto_verdict v;
	char sz[32], max[32], submitted[64];
	size_t n = 0;
	enum md_err err;

	if (msg == NULL || msg->from_addr == NULL || !notice_address_valid(msg->from_addr) ||
	    config_find_staff(cfg, msg->from_addr) ||
	    strcasecmp(msg->from_addr, cfg->smtp_from) == 0)
		return MD_OK;
	err = classify_automatic(cfg, msg, head, headlen, &v);
	if (err == MD_OK && v.is_automatic)
		err = MD_ERR_EXISTS;
	autodetect_verdict_free(&v);
	if (err)
		return err == MD_ERR_EXISTS ? MD_OK : err;
	format_size(size, sz, sizeof(sz));
	format_size(cfg->limits.max_message_size, max, sizeof(max));
	format_local(now, cfg->language, submitted, sizeof(submitted));
	vars[n].name = "subject";		vars[n++].value = msg->subject;
	vars[n].name = "requester_name";	vars[n++].value = msg->from_name;
	vars[n].name = "submitted_at";		vars[n++].value = submitted;
	vars[n].name = "size";			vars[n++].value = sz;
	vars[n].name = "max_size";		vars[n++].value = max;
	memset(&rq, 0, sizeof(rq));
	rq.kind = "oversize_notice";
	rq.template_name = "oversize_notice";
	rq.vars = vars;
	rq.nvars = n;
	rq.to_addr = msg->from_addr;
	rq.to_name = msg->from_name[0] ? msg->from_name : NULL;
	rq.in_reply_to = msg->message_id;
	rq.auto_submitted = NOTICE_AUTO_REPLIED;
	return notify_queue(cfg, env->db, &rq, now, NULL);
}

enum md_err
intake_oversize(const struct intake_env *env, const struct intake_source *src, size_t size,
    const char *head, size_t headlen, time_t now, struct intake_result *res)
{
	struct message *msg = NULL;
	enum md_err err;

	memset(res, 0, sizeof(*res));
	/* The head alone still names the sender and subject for the secretariat. */
	if (message_parse(head, headlen, NULL, &msg) != MD_OK)
		msg = NULL;
	err = db_begin(env->db);
	if (err)
		goto out;
	err = msgstore_find_uid(env->db, src->mailbox, src->uidvalidity, src->uid,
	    &res->message_row);
	if (err == MD_OK) {
		res->outcome = INTAKE_ALREADY;
	} else if (err == MD_ERR_NOTFOUND) {
		res->outcome = INTAKE_OVERSIZE;
		err = record_message(env->db, src, head, headlen, msg, now, &res->message_row);
		if (err == MD_OK)
			err = queue_oversize_notice(env, msg, head, headlen, size, now);
		if (err == MD_OK)
			err = alert_oversize(env, msg, size, now);
	}
	if (err == MD_OK)
		err = advance_mailbox(env->db, src, now);
	if (err == MD_OK)
		err = db_commit(env->db);
	if (err) {
		db_rollback(env->db);
		memset(res, 0, sizeof(*res));
		goto out;
	}
	res->note_is_warning = 1;
	snprintf(res->note, sizeof(res->note),
	    "uid %u: message of %zu bytes is over the limit of %zu; its head is kept, "
	    "the message stays in the mailbox's processed folder", src->uid, size,
	    env->cfg->limits.max_message_size);
out:
	message_free(msg);
	return err;
}
