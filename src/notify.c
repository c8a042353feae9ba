#include <ctype.h>
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
/* Longest envelope address notice_address_valid() lets through. */
#define NOTIFY_ADDR_MAX 254

/*
 * Templates parsed once per process (the daemon renders one or two per
 * message taken in); notify_forget_templates() empties it on reload. The
 * process is single-threaded.
 */
static struct template_cache *templates;

void
notify_forget_templates(void)
{
	template_cache_free(templates);
	templates = NULL;
}

/* Render rq's template with vars: as template_render(), from the cache. */
static enum md_err
render(const struct md_config *cfg, const struct notify_request *rq,
    const struct template_var *vars, size_t nvars, char **subject, char **body,
    char *errbuf, size_t errlen)
{
	const struct template *t;
	enum md_err err;

	*subject = *body = NULL;
	if (templates == NULL && (err = template_cache_new(&templates)))
		return err;
	err = template_cache_get(templates, cfg->template_dir, rq->lang ? rq->lang :
	    cfg->language, rq->template_name, errbuf, errlen, &t);
	if (err)
		return err;
	return template_expand(t, vars, nvars, subject, body, errbuf, errlen);
}

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

/*
 * Keep a copy of the notice with the case's messages. The fields a case
 * view shows are those message_parse() would read back from nm->data,
 * taken from what notice_build() wrote instead of parsing it again.
 */
static enum md_err
record_outgoing(const struct md_config *cfg, struct db *db, const struct notify_request *rq,
    const struct notice_msg *nm, time_t now, int64_t *row)
{
	struct msgstore_new rec;
	struct message m;
	char from[NOTIFY_ADDR_MAX + 1];
	char detail[512];
	enum md_err err;
	size_t i;

	/* message_parse() gives addresses in lower case; ours are ASCII (notice_address_valid). */
	for (i = 0; cfg->smtp_from[i] && i < NOTIFY_ADDR_MAX; i++)
		from[i] = (char)tolower((unsigned char)cfg->smtp_from[i]);
	from[i] = '\0';
	memset(&m, 0, sizeof(m));
	m.subject = nm->subject;
	m.from_addr = from;
	m.from_name = nm->from_name;
	m.date = now;
	m.message_id = nm->message_id;
	m.text = nm->text;
	m.text_len = nm->text_len;
	memset(&rec, 0, sizeof(rec));
	rec.raw = nm->data;
	rec.raw_len = nm->len;
	rec.msg = &m;
	rec.case_id = rq->case_id;
	rec.outgoing = 1;
	rec.received_at = now;
	err = msgstore_insert(db, &rec, row);
	if (err)
		return err;
	snprintf(detail, sizeof(detail), "%s to %s (Message-ID <%s>)", rq->kind, rq->to_addr,
	    nm->message_id);
	return case_add_event(db, rq->case_id, now, "notice", "system", detail, *row, NULL);
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

	errbuf[0] = '\0';
	err = render(cfg, rq, vars, nvars, &subject, &body, errbuf, sizeof(errbuf));
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
	/*
	 * A case notice's bytes are stored once, as the case's outgoing
	 * message, and its outbox row points there. Checked first, so that a
	 * notice the outbox refuses leaves no message behind.
	 */
	if (rq->case_id) {
		err = outbox_check(&ob);
		if (err == MD_OK)
			err = record_outgoing(cfg, db, rq, &nm, now, &ob.message_row);
		if (err)
			goto out;
	}
	err = outbox_queue(db, &ob, now, NULL);
	if (err)
		goto out;
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
