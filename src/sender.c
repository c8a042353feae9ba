#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "clock.h"
#include "log.h"
#include "notify.h"
#include "outbox.h"
#include "ratelimit.h"
#include "sender.h"
#include "smtp.h"
#include "staffauth.h"

/* Due items taken per query. */
#define SENDER_BATCH	256

struct sender {
	const struct md_config *cfg;   /* borrowed */
	struct db *db;                 /* borrowed */
	struct smtp_client *smtp;      /* owned; NULL until first needed */
	int64_t unmarked_id;           /* accepted by the server, not yet marked sent; 0: none */
	time_t unmarked_at;            /* when the server accepted it */
};

enum md_err
sender_new(const struct md_config *cfg, struct db *db, struct sender **out)
{
	struct sender *s;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return MD_ERR_NOMEM;
	s->cfg = cfg;
	s->db = db;
	*out = s;
	return MD_OK;
}

enum md_err
sender_reconfigure(struct sender *s, const struct md_config *cfg)
{
	smtp_client_free(s->smtp);
	s->smtp = NULL;
	s->cfg = cfg;
	/*
	 * A reload is when edited notice templates and a replaced reply-token
	 * secret take effect.
	 */
	notify_forget_templates();
	staffauth_forget_secret();
	return MD_OK;
}

void
sender_free(struct sender *s)
{
	if (s == NULL)
		return;
	smtp_client_free(s->smtp);
	free(s);
}

long
sender_backoff(int attempts, long cap)
{
	long pause = 30;
	int i;

	for (i = 0; i < attempts && pause < cap; i++)
		pause *= 2;
	return pause < cap ? pause : cap;
}

/*
 * Tell the secretariat that a notice will never arrive, so that someone
 * reaches the member another way. Notices to staff themselves are only
 * logged: alerting about an alert that cannot be delivered would loop.
 */
static void
alert_failure(const struct md_config *cfg, struct db *db, const struct outbox_item *it,
    const char *detail, time_t now)
{
	int en = strcmp(cfg->language, "en") == 0;
	struct case_record *c = NULL;
	struct template_var vars[5];
	struct notify_request rq;
	char title[400], tag[CASE_NUMBER_MAX + 2];
	size_t n = 0;

	if (config_find_staff(cfg, it->rcpt))
		return;
	if (it->case_id && case_get(db, it->case_id, &c) != MD_OK)
		c = NULL;
	snprintf(title, sizeof(title), en ? "A notice to %s could not be delivered" :
	    "发往 %s 的通知无法送达", it->rcpt);
	vars[n].name = "alert";		vars[n++].value = title;
	vars[n].name = "text";		vars[n++].value = detail;
	if (c) {
		snprintf(tag, sizeof(tag), "[%s]", c->number);
		vars[n].name = "case_number";	vars[n++].value = c->number;
		vars[n].name = "case_tag";	vars[n++].value = tag;
		vars[n].name = "subject";	vars[n++].value = c->subject;
	}
	memset(&rq, 0, sizeof(rq));
	rq.case_id = c ? c->id : 0;
	rq.kind = "delivery_alert";
	rq.template_name = "staff_alert";
	rq.vars = vars;
	rq.nvars = n;
	rq.auto_submitted = NOTICE_AUTO_GENERATED;
	if (notify_queue_role(cfg, db, &rq, STAFF_SECRETARIAT, now, NULL) != MD_OK)
		log_warnx("cannot queue the delivery alert for %s", it->rcpt);
	case_record_free(c);
}

/* Record a notice that will never be delivered on its case, for the staff. */
static void
note_failure(const struct md_config *cfg, struct db *db, const struct outbox_item *it,
    const char *why, time_t now)
{
	char detail[OUTBOX_ERROR_MAX + 256];

	snprintf(detail, sizeof(detail), "%s to %s (Message-ID <%s>) not delivered: %s",
	    it->kind, it->rcpt, it->message_id, why);
	if (it->case_id &&
	    case_add_event(db, it->case_id, now, "notice-failed", "system", detail, 0, NULL))
		log_warnx("cannot record the failed notice on its case: %s", db_errmsg(db));
	alert_failure(cfg, db, it, detail, now);
}

/*
 * Offer one due item to the server and record the outcome. MD_ERR_TEMP
 * when the server is unreachable (stop this round); other errors are the
 * database's.
 */
static enum md_err
send_one(struct sender *s, struct outbox_item *it, struct sender_stats *stats)
{
	char errbuf[512];
	enum md_err err, sent;
	time_t now;

	if (s->smtp == NULL) {
		err = smtp_client_new(&s->cfg->smtp, s->cfg->smtp_helo, &s->smtp);
		if (err)
			return err;
	}
	errbuf[0] = '\0';
	sent = smtp_send(s->smtp, it->mail_from, it->rcpt, it->data, it->len, errbuf,
	    sizeof(errbuf));
	now = md_now();
	if (sent == MD_OK) {
		err = outbox_mark_sent(s->db, it->id, now);
		stats->sent++;
		log_debug("notice %s sent to %s", it->kind, it->rcpt);
		if (err) {
			log_warnx("notice %s to %s was sent but cannot be marked sent: %s%s%s; "
			    "no notice goes out until it can", it->kind, it->rcpt,
			    md_strerror(err), db_errmsg(s->db)[0] ? ": " : "",
			    db_errmsg(s->db));
			s->unmarked_id = it->id;
			s->unmarked_at = now;
		}
	} else if (sent == MD_ERR_FINAL || sent == MD_ERR_INPUT || sent == MD_ERR_LIMIT ||
	    it->attempts + 1 >= s->cfg->outbox_max_attempts) {
		log_warnx("notice %s to %s failed for good: %s", it->kind, it->rcpt, errbuf);
		err = db_begin(s->db);
		if (err == MD_OK)
			err = outbox_mark_failed(s->db, it->id, errbuf);
		if (err == MD_OK)
			note_failure(s->cfg, s->db, it, errbuf, now);
		err = err ? err : db_commit(s->db);
		if (err)
			db_rollback(s->db);
		stats->failed++;
	} else {
		long pause = sender_backoff(it->attempts, s->cfg->outbox_retry_max);

		err = outbox_mark_retry(s->db, it->id, now + pause, errbuf);
		stats->retried++;
		/* Without a reply code the server itself is away: stop this round. */
		if (err == MD_OK && smtp_last_code(s->smtp) == 0) {
			log_warnx("SMTP server %s:%d unreachable (%s); %s waits %ld s",
			    s->cfg->smtp.host, s->cfg->smtp.port, errbuf, it->kind, pause);
			return MD_ERR_TEMP;
		}
		log_warnx("notice %s to %s deferred %ld s: %s", it->kind, it->rcpt, pause,
		    errbuf);
	}
	return err;
}

/* Send the items among ids that are still due, in order; stop on *stop or an error. */
static enum md_err
send_batch(struct sender *s, const int64_t *ids, size_t n, const volatile sig_atomic_t *stop,
    struct sender_stats *stats)
{
	struct outbox_item *it;
	enum md_err err;
	size_t i;
	time_t now;

	for (i = 0; i < n; i++) {
		if (stop && *stop)
			return MD_OK;
		now = md_now();
		/* Taken again by id: something may have finished or put it off meanwhile. */
		err = outbox_get_due(s->db, ids[i], now, &it);
		if (err == MD_ERR_NOTFOUND)
			continue;
		if (err)
			return err;
		/* A notice past a rate limit waits; the rest of the outbox goes on. */
		err = ratelimit_hold_if_needed(s->cfg, s->db, it, now, NULL);
		if (err == MD_OK)
			err = send_one(s, it, stats);
		else if (err == MD_ERR_LIMIT)
			err = MD_OK;
		outbox_item_free(it);
		if (err)
			return err;
	}
	return MD_OK;
}

static enum md_err
flush(struct sender *s, const volatile sig_atomic_t *stop, struct sender_stats *stats)
{
	int64_t ids[SENDER_BATCH];
	size_t n;
	enum md_err err;

	/*
	 * A notice the server took whose marking failed (disk full, read-only
	 * database) would be picked and sent again on every pass. Record it
	 * first; until that works, send nothing: no mark could be kept anyway.
	 */
	if (s->unmarked_id) {
		err = outbox_mark_sent(s->db, s->unmarked_id, s->unmarked_at);
		if (err)
			return err;
		log_info("notice %lld recorded as sent now that the database takes writes",
		    (long long)s->unmarked_id);
		s->unmarked_id = 0;
	}
	/*
	 * Due items are taken in batches, oldest first: finding the oldest
	 * reads every due row, so once per batch rather than once per notice.
	 * An item that falls due while a batch is sent waits for the next.
	 */
	for (;;) {
		if (stop && *stop)
			return MD_OK;
		err = outbox_due_ids(s->db, md_now(), ids, SENDER_BATCH, &n);
		if (err == MD_ERR_NOTFOUND)
			return MD_OK;
		if (err == MD_OK)
			err = send_batch(s, ids, n, stop, stats);
		if (err)
			return err;
	}
}

enum md_err
sender_flush(struct sender *s, const volatile sig_atomic_t *stop, struct sender_stats *stats)
{
	enum md_err err, restored;

	memset(stats, 0, sizeof(*stats));
	/*
	 * What a flush writes (sent, retry and failure marks, rate-limit holds
	 * and the alerts they queue) need not wait for the disk: each commit
	 * still reaches the operating system before the next notice is offered,
	 * so a crash of the process loses none of it. Only a power loss or a
	 * kernel crash can take back the last marks (never what was queued
	 * before the flush: that was committed with synchronous=FULL); their
	 * notices are then sent again with the same Message-ID, never lost. A
	 * synced fdatasync per notice cost more than the sending itself.
	 */
	err = db_set_sync_later(s->db, 1);
	if (err)
		return err;
	err = flush(s, stop, stats);
	/* Everything else (intake above all) stays durable per commit. */
	restored = db_set_sync_later(s->db, 0);
	if (restored)
		log_warnx("cannot restore synchronous=FULL after sending: %s", db_errmsg(s->db));
	return err ? err : restored;
}
