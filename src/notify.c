#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "log.h"
#include "message.h"
#include "msgstore.h"
#include "notify.h"
#include "outbox.h"
#include "staffauth.h"

/* Templates and common variables come in small, fixed numbers. */
#define NOTIFY_MAX_VARS 48

/*
 * Staff reply to notices to command: their Reply-To must carry the token
 * for this staff member and case, whoever queued the notice.
 */
static enum md_err
staff_reply_to(const struct md_config *cfg, struct db *db, const struct notify_request *rq,
    char *out, size_t outlen, const char **reply_to)
{
	struct case_record *c = NULL;
	enum md_err err;

	*reply_to = rq->reply_to;
	if (rq->reply_to || rq->case_id == 0 || rq->to_addr == NULL ||
	    config_find_staff(cfg, rq->to_addr) == NULL)
		return MD_OK;
	err = case_get(db, rq->case_id, &c);
	if (err)
		return err;
	err = staffauth_reply_address(cfg, rq->to_addr, c->number, out, outlen);
	case_record_free(c);
	if (err == MD_OK)
		*reply_to = out;
	return err;
}

static enum md_err
record_outgoing(struct db *db, const struct notify_request *rq, const struct notice_msg *nm,
    time_t now)
{
	struct msgstore_new rec;
	struct message *parsed = NULL;
	int64_t row = 0;
	char detail[512];
	enum md_err err;

	/* Our own message parses cleanly; it gives case views a subject and text. */
	if (message_parse(nm->data, nm->len, NULL, &parsed) != MD_OK)
		parsed = NULL;
	memset(&rec, 0, sizeof(rec));
	rec.raw = nm->data;
	rec.raw_len = nm->len;
	rec.msg = parsed;
	rec.case_id = rq->case_id;
	rec.outgoing = 1;
	rec.received_at = now;
	err = msgstore_insert(db, &rec, &row);
	message_free(parsed);
	if (err)
		return err;
	snprintf(detail, sizeof(detail), "%s to %s (Message-ID <%s>)", rq->kind, rq->to_addr,
	    nm->message_id);
	return case_add_event(db, rq->case_id, now, "notice", "system", detail, row, NULL);
}

enum md_err
notify_queue(const struct md_config *cfg, struct db *db, const struct notify_request *rq,
    time_t now, char **message_id)
{
	struct template_var vars[NOTIFY_MAX_VARS];
	struct notice n;
	struct notice_msg nm;
	struct outbox_new ob;
	char *subject = NULL, *body = NULL, errbuf[512], esc[256];
	char reply_buf[STAFFAUTH_ADDR_MAX];
	const char *reply_to = NULL;
	size_t nvars = 0, i;
	enum md_err err;

	memset(&nm, 0, sizeof(nm));
	if (message_id)
		*message_id = NULL;
	if (!db_in_transaction(db))
		return MD_ERR_STATE;
	if (rq->nvars + 2 > NOTIFY_MAX_VARS)
		return MD_ERR_LIMIT;
	vars[nvars].name = "chamber_name";
	vars[nvars++].value = cfg->chamber_name;
	vars[nvars].name = "chamber_address";
	vars[nvars++].value = cfg->smtp_from;
	for (i = 0; i < rq->nvars; i++)
		vars[nvars++] = rq->vars[i];

	err = template_render(cfg->template_dir, rq->lang ? rq->lang : cfg->language,
	    rq->template_name, vars, nvars, &subject, &body, NULL, 0, errbuf, sizeof(errbuf));
	if (err) {
		log_warnx("notice %s: template: %s", rq->template_name,
		    errbuf[0] ? errbuf : md_strerror(err));
		goto out;
	}

	err = staff_reply_to(cfg, db, rq, reply_buf, sizeof(reply_buf), &reply_to);
	if (err)
		goto out;
	memset(&n, 0, sizeof(n));
	n.from_addr = cfg->smtp_from;
	n.reply_to = reply_to;
	n.from_name = cfg->smtp_from_name;
	n.to_addr = rq->to_addr;
	n.to_name = rq->to_name;
	n.subject = subject;
	n.body = body;
	n.in_reply_to = rq->in_reply_to;
	n.references = rq->references;
	n.n_references = rq->n_references;
	n.domain = cfg->message_id_domain;
	n.date = now;
	n.timezone = cfg->timezone;
	n.auto_submitted = rq->auto_submitted;
	n.thread_topic = rq->thread_topic;
	n.thread_root = rq->thread_root;
	n.thread_time = rq->thread_time;
	err = notice_build(&n, &nm);
	if (err) {
		log_warnx("notice %s to %s: cannot build: %s", rq->template_name,
		    log_escape(esc, sizeof(esc), rq->to_addr), md_strerror(err));
		goto out;
	}

	memset(&ob, 0, sizeof(ob));
	ob.case_id = rq->case_id;
	ob.kind = rq->kind;
	ob.message_id = nm.message_id;
	ob.mail_from = cfg->smtp_from;
	ob.rcpt = rq->to_addr;
	ob.data = nm.data;
	ob.len = nm.len;
	err = outbox_queue(db, &ob, now, NULL);
	if (err)
		goto out;
	if (rq->case_id) {
		err = record_outgoing(db, rq, &nm, now);
		if (err)
			goto out;
	}
	if (message_id) {
		*message_id = nm.message_id;
		nm.message_id = NULL;
	}
out:
	notice_msg_free(&nm);
	free(subject);
	free(body);
	return err;
}

enum md_err
notify_queue_role(const struct md_config *cfg, struct db *db, const struct notify_request *rq,
    enum staff_role role, time_t now, size_t *queued)
{
	struct notify_request one = *rq;
	enum md_err err = MD_OK;
	size_t i;

	if (queued)
		*queued = 0;
	for (i = 0; i < cfg->n_staff && err == MD_OK; i++) {
		if (cfg->staff[i].role != role || !notice_address_valid(cfg->staff[i].address))
			continue;
		one.to_addr = cfg->staff[i].address;
		one.to_name = cfg->staff[i].name;
		err = notify_queue(cfg, db, &one, now, NULL);
		if (err == MD_OK && queued)
			(*queued)++;
	}
	return err;
}
