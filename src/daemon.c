#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "clock.h"
#include "daemon.h"
#include "db.h"
#include "dbsync.h"
#include "fetchq.h"
#include "html.h"
#include "imap.h"
#include "intake.h"
#include "log.h"
#include "msgstore.h"
#include "outbox.h"
#include "sender.h"
#include "rules.h"
#include "scheduler.h"
#include "template.h"
#include "triage.h"

/* Reconnection backoff bounds, in seconds. */
#define RECONNECT_MIN 1
#define RECONNECT_MAX 300
/* RFC 2177: renew IDLE well inside the server's 30-minute inactivity timer. */
#define IDLE_MAX_MS (28 * 60 * 1000)

struct daemon {
	struct md_config *cfg;       /* owned */
	struct db *db;               /* owned */
	struct calendar *cal;        /* owned; NULL when none is installed */
	struct triage *triage;       /* owned: rules and model for new requests */
	struct imap_conn *imap;      /* owned; NULL while disconnected */
	struct sender *sender;       /* owned */
	int imap_failures;           /* consecutive connection failures */
	time_t imap_retry_at;        /* no connection attempt before this */
	int imap_down_logged;        /* the outage was logged once already */
	int outbox_pending;          /* the last flush left notices for later */
	uint32_t uidvalidity_seen;   /* of the mailbox at the last SELECT; 0: none yet */
};

static void
set_timezone(const char *tz)
{
	/* Dates in notices, case numbers' years and working days all use it. */
	if (setenv("TZ", tz, 1) == 0)
		tzset();
}

/* Deadlines in a year without a calendar count weekends only: say so. */
static void
warn_calendar_coverage(const struct calendar *cal)
{
	time_t now = md_now();
	struct tm tm;
	int year;

	if (localtime_r(&now, &tm) == NULL)
		return;
	for (year = tm.tm_year + 1900; year <= tm.tm_year + 1901; year++)
		if (!calendar_covers(cal, year))
			log_warnx("no working-day calendar installed for %d: only weekends are "
			    "days off in that year", year);
}

static enum md_err
load_calendar(const struct md_config *cfg, FILE *errors, struct calendar **out)
{
	enum md_err err;

	*out = NULL;
	if (access(cfg->calendar_dir, R_OK | X_OK) != 0) {
		log_warnx("no calendar directory %s: counting weekends only", cfg->calendar_dir);
		return MD_OK;
	}
	err = calendar_load_dir(cfg->calendar_dir, errors, out);
	if (err == MD_OK)
		warn_calendar_coverage(*out);
	return err;
}

enum md_err
daemon_check_config(const struct md_config *cfg, FILE *errors)
{
	struct calendar *cal = NULL;
	enum md_err result = MD_OK;
	char *dir, *slash;

	if (template_check_dir(cfg->template_dir, errors) != MD_OK)
		result = MD_ERR_INPUT;
	if (access(cfg->calendar_dir, R_OK | X_OK) == 0) {
		if (calendar_load_dir(cfg->calendar_dir, errors, &cal) != MD_OK)
			result = MD_ERR_INPUT;
		calendar_free(cal);
	} else if (errors) {
		fprintf(errors, "%s: warning: no calendar directory %s; only weekends are days off\n",
		    cfg->path, cfg->calendar_dir);
	}
	if (access(cfg->filter_dir, R_OK | X_OK) == 0) {
		struct ruleset *rules = NULL;

		if (rules_load_dir(cfg->filter_dir, errors, &rules) != MD_OK)
			result = MD_ERR_INPUT;
		rules_free(rules);
	} else if (errors) {
		fprintf(errors, "%s: warning: no rule directory %s; requests are not classified\n",
		    cfg->path, cfg->filter_dir);
	}
	dir = strdup(cfg->database);
	if (dir == NULL)
		return MD_ERR_NOMEM;
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (access(slash ? dir : ".", W_OK | X_OK) != 0) {
		if (errors)
			fprintf(errors, "%s: database directory %s is not writable: %s\n", cfg->path,
			    slash ? dir : ".", strerror(errno));
		result = MD_ERR_INPUT;
	}
	free(dir);
	return result;
}

enum md_err
daemon_new(struct md_config *cfg, struct daemon **out)
{
	struct daemon *d;
	enum md_err err;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		config_free(cfg);
		return MD_ERR_NOMEM;
	}
	d->cfg = cfg;
	/*
	 * One malloc arena for all threads: the fetch thread allocates what the
	 * daemon's thread frees, and a second arena kept more memory resident
	 * (10,000 messages: peak RSS 29.6 vs 31.2 MiB, one run each).
	 */
	mallopt(M_ARENA_MAX, 1);
	html_library_init();	/* before the fetch thread parses mail */
	set_timezone(cfg->timezone);
	err = md_clock_init(cfg->timezone);
	if (err == MD_OK)
		err = db_open(cfg->database, &d->db);
	if (err == MD_OK)
		err = load_calendar(cfg, stderr, &d->cal);
	if (err == MD_OK)
		err = triage_load(cfg, d->db, stderr, &d->triage);
	if (err == MD_OK)
		err = sender_new(cfg, d->db, &d->sender);
	if (err) {
		daemon_free(d);
		return err;
	}
	*out = d;
	return MD_OK;
}

void
daemon_free(struct daemon *d)
{
	if (d == NULL)
		return;
	imap_close(d->imap);
	sender_free(d->sender);
	triage_free(d->triage);
	calendar_free(d->cal);
	db_close(d->db);
	config_free(d->cfg);
	free(d);
}

void
daemon_reload(struct daemon *d, const char *path)
{
	struct md_config *cfg = NULL;
	struct calendar *cal = NULL;
	struct triage *triage = NULL;

	log_info("reloading %s", path);
	if (config_load(path, stderr, &cfg) != MD_OK ||
	    daemon_check_config(cfg, stderr) != MD_OK) {
		log_warnx("%s has errors; the previous configuration stays in force", path);
		config_free(cfg);
		return;
	}
	if (strcmp(cfg->database, d->cfg->database) != 0)
		log_warnx("database path changes only take effect after a restart");
	if (load_calendar(cfg, stderr, &cal) != MD_OK) {
		log_warnx("calendars have errors; the previous configuration stays in force");
		config_free(cfg);
		return;
	}
	/* Rules with errors leave the previous rules (and configuration) in force. */
	if (triage_load(cfg, d->db, stderr, &triage) != MD_OK) {
		log_warnx("classification rules have errors; the previous configuration "
		    "and rules stay in force");
		calendar_free(cal);
		config_free(cfg);
		return;
	}
	/* Keep the open database: its path is the one from the old configuration. */
	free(cfg->database);
	cfg->database = strdup(d->cfg->database);
	if (cfg->database == NULL) {
		config_free(cfg);
		calendar_free(cal);
		triage_free(triage);
		return;
	}
	calendar_free(d->cal);
	d->cal = cal;
	triage_free(d->triage);
	d->triage = triage;
	sender_reconfigure(d->sender, cfg);
	imap_close(d->imap);
	d->imap = NULL;
	config_free(d->cfg);
	d->cfg = cfg;
	set_timezone(cfg->timezone);
	log_info("configuration reloaded");
}

static void
imap_lost(struct daemon *d, enum md_err err)
{
	long pause = RECONNECT_MIN;
	int i;

	imap_close(d->imap);
	d->imap = NULL;
	d->imap_failures++;
	for (i = 1; i < d->imap_failures && pause < RECONNECT_MAX; i++)
		pause *= 2;
	if (pause > RECONNECT_MAX)
		pause = RECONNECT_MAX;
	d->imap_retry_at = time(NULL) + pause;
	/* One line per outage, not one per attempt. */
	if (!d->imap_down_logged) {
		log_warnx("IMAP %s:%d: %s; retrying with backoff", d->cfg->imap.host,
		    d->cfg->imap.port, md_strerror(err));
		d->imap_down_logged = 1;
	} else {
		log_debug("IMAP still unavailable (%s); next try in %ld s", md_strerror(err), pause);
	}
}

static enum md_err
imap_ensure(struct daemon *d)
{
	enum log_level level;
	enum md_err err;

	if (d->imap)
		return MD_OK;
	if (time(NULL) < d->imap_retry_at)
		return MD_ERR_TEMP;
	/*
	 * The outage was logged with its reason when it began; every retry
	 * would repeat imap_connect()'s warning. Keep them for debug logs.
	 */
	level = log_get_level();
	if (d->imap_down_logged && level < LOG_LEVEL_DEBUG)
		log_set_level(LOG_LEVEL_ERROR);
	err = imap_connect(&d->cfg->imap, &d->imap);
	log_set_level(level);
	if (err) {
		d->imap = NULL;
		imap_lost(d, err);
		return err;
	}
	if (d->imap_down_logged)
		log_info("IMAP %s:%d reachable again", d->cfg->imap.host, d->cfg->imap.port);
	d->imap_failures = 0;
	d->imap_down_logged = 0;
	return MD_OK;
}

/*
 * Messages are taken in in batches (db_batch_begin()): one commit, one
 * fsync, for a fetch chunk instead of one per message. A message counts
 * as taken in, is logged and may be marked on the server only once its
 * batch has committed. A batch is also committed early once it holds
 * FETCH_BATCH_BYTES of mail, so that a chunk of large messages does not
 * grow one transaction (and the WAL) without bound.
 */
#define FETCH_BATCH_BYTES (8u * 1024 * 1024)

struct fetch_pending {
	uint32_t uid;
	struct intake_result res;
};

struct fetch_ctx {
	struct daemon *d;
	struct intake_source src;
	struct fetch_pending *pending; /* taken in by the open batch, not yet committed */
	size_t n_pending;
	size_t batch_bytes;
	uint32_t *done;          /* UIDs committed and waiting to be marked */
	size_t n_done;
	size_t counts[INTAKE_FOLLOWUP + 1]; /* indexed by every intake outcome */
	const volatile sig_atomic_t *stop;
};

/*
 * The messages taken in since the last call are counted, logged and
 * queued for marking once their work is committed (err MD_OK); after a
 * failed commit none of them is: they stay unmarked on the server and are
 * fetched again.
 */
static void
fetch_settle(struct fetch_ctx *fc, enum md_err err)
{
	struct fetch_pending *p;
	size_t i;

	for (i = 0; i < fc->n_pending && err == MD_OK; i++) {
		p = &fc->pending[i];
		fc->done[fc->n_done++] = p->uid;
		fc->counts[p->res.outcome]++;
		if (p->res.note[0] && p->res.note_is_warning)
			log_warnx("%s", p->res.note);
		else if (p->res.note[0])
			log_info("%s", p->res.note);
	}
	fc->n_pending = 0;
	fc->batch_bytes = 0;
}

/* Commit the open batch, then settle its messages. */
static enum md_err
fetch_commit(struct fetch_ctx *fc)
{
	enum md_err err;

	if (!db_in_batch(fc->d->db))
		return MD_OK;
	err = db_batch_commit(fc->d->db);
	if (err)
		log_warnx("%zu message(s) not taken in, to be fetched again: %s%s%s",
		    fc->n_pending, md_strerror(err), db_errmsg(fc->d->db)[0] ? ": " : "",
		    db_errmsg(fc->d->db));
	fetch_settle(fc, err);
	return err;
}

static enum md_err
fetch_open(struct fetch_ctx *fc)
{
	if (db_in_batch(fc->d->db))
		return MD_OK;
	return db_batch_begin(fc->d->db);
}

static enum md_err
fetch_record(struct fetch_ctx *fc, uint32_t uid, size_t bytes,
    const struct intake_result *res)
{
	struct fetch_pending *p = &fc->pending[fc->n_pending++];

	p->uid = uid;
	p->res = *res;
	fc->batch_bytes += bytes;
	if (fc->batch_bytes >= FETCH_BATCH_BYTES)
		return fetch_commit(fc);
	return MD_OK;
}

/* Take in one item the fetch thread handed over (fetchq.h). */
static enum md_err
take_item(struct fetch_ctx *fc, const struct fetchq_item *it)
{
	struct intake_env env = { fc->d->cfg, fc->d->db, fc->d->cal, fc->d->triage };
	struct intake_result res;
	enum md_err err;

	if (it->kind == FETCHQ_MESSAGE && it->prep_err)
		return it->prep_err;
	/*
	 * A large message is taken in in a transaction of its own: inside a
	 * batch its savepoint would hold the pages it overwrites in memory
	 * (db.h), and it is a chunk's worth of mail by itself anyway.
	 */
	if (it->len >= IMAP_SPOOL_MIN)
		err = fetch_commit(fc);
	else
		err = fetch_open(fc);
	if (err)
		return err;
	fc->src.uid = it->uid;
	if (it->kind == FETCHQ_MESSAGE)
		err = intake_message_prepared(&env, &fc->src, it->raw, it->len, &it->prep,
		    md_now(), &res);
	else
		err = intake_oversize(&env, &fc->src, it->size, it->raw, it->len, md_now(), &res);
	if (err)
		return err;
	err = fetch_record(fc, it->uid, it->len, &res);
	if (err == MD_OK && !db_in_batch(fc->d->db))
		fetch_settle(fc, MD_OK);	/* committed by intake itself */
	return err;
}

/*
 * A new UIDVALIDITY means the mailbox was recreated or restored: every
 * message in it gets a new UID, and only Message-ID and content hash keep
 * them from being taken in twice. Worth one line for the administrator.
 */
static void
note_uidvalidity(struct daemon *d, const char *mailbox, uint32_t uidvalidity)
{
	struct mailbox_state ms;
	char esc[256];

	if (uidvalidity == d->uidvalidity_seen)
		return;
	d->uidvalidity_seen = uidvalidity;
	if (msgstore_mailbox_get(d->db, mailbox, &ms) != MD_OK || ms.uidvalidity == 0 ||
	    ms.uidvalidity == uidvalidity)
		return;
	log_warnx("mailbox %s: UIDVALIDITY changed from %lu to %lu (recreated or restored); "
	    "mail taken in before is recognised by Message-ID and content",
	    log_escape(esc, sizeof(esc), mailbox), (unsigned long)ms.uidvalidity,
	    (unsigned long)uidvalidity);
}

/*
 * Large messages are spooled next to the database: on its disk, never on a
 * tmpfs whose pages would count against the daemon's memory.
 */
static void
spool_dir_of(const char *database, char *dir, size_t len)
{
	const char *slash = strrchr(database, '/');
	size_t n = slash ? (size_t)(slash - database) : 0;

	if (slash == database)
		n = 1;
	if (slash == NULL || n >= len)
		snprintf(dir, len, ".");
	else
		snprintf(dir, len, "%.*s", (int)n, database);
}

/* The fetch thread's way to the server (fetchq.h): the daemon's connection. */
struct imap_source {
	struct imap_conn *conn;
	struct imap_fetch_limits lim;
	const char *processed_folder;
	struct dbsync *sync;	/* borrowed; NULL: each commit was synced by itself */
};

static enum md_err
source_fetch(void *arg, const uint32_t *uids, size_t n, const struct imap_fetch_handler *h)
{
	struct imap_source *s = arg;

	return imap_fetch(s->conn, uids, n, &s->lim, h);
}

static enum md_err
source_mark(void *arg, const uint32_t *uids, size_t n)
{
	struct imap_source *s = arg;

	/* Out of the inbox only once their commit is on disk. */
	if (s->sync && dbsync_sync(s->sync) != MD_OK) {
		log_warn("cannot sync the database log; %zu message(s) stay in the inbox", n);
		return MD_ERR_IO;
	}
	return imap_mark_processed(s->conn, uids, n, s->processed_folder);
}

/*
 * Intake's commits are synced by the fetch thread before it moves their
 * mail (dbsync.h), so that the database thread goes on with the next chunk
 * instead of waiting for the disk at every commit. Without a log to sync
 * apart, each commit stays synced by itself. *sync is NULL or a handle for
 * sync_by_commit().
 */
static void
sync_by_fetch_thread(struct daemon *d, struct dbsync **sync)
{
	enum md_err err;

	err = dbsync_open(d->db, sync);
	if (err == MD_OK && (err = db_set_sync_later(d->db, 1)) != MD_OK) {
		dbsync_close(*sync);
		*sync = NULL;
	}
	if (err != MD_OK && err != MD_ERR_NOTFOUND)
		log_warnx("commits are synced one by one: the database log cannot be synced "
		    "apart (%s)", md_strerror(err));
}

/*
 * Back to commits synced by themselves, which the rest of the daemon relies
 * on; on MD_OK everything intake committed is on disk (also what no mark
 * followed). Errors: MD_ERR_IO (the log could not be synced), or
 * db_set_sync_later()'s.
 */
static enum md_err
sync_by_commit(struct daemon *d, struct dbsync *sync)
{
	enum md_err err;

	if (sync == NULL)
		return MD_OK;
	err = db_set_sync_later(d->db, 0);
	if (err)
		log_warnx("cannot restore synchronous=FULL after intake: %s", db_errmsg(d->db));
	if (dbsync_sync(sync) != MD_OK) {
		log_warn("cannot sync the database log after intake");
		err = MD_ERR_IO;
	}
	dbsync_close(sync);
	return err;
}

/*
 * Take in every pending message; each is marked only after its batch
 * committed. The fetch thread (fetchq.h) fetches, parses and marks; this
 * thread does the database work, committing at each chunk's end and
 * handing the chunk's UIDs back for marking.
 */
static enum md_err
take_in(struct daemon *d, const volatile sig_atomic_t *stop)
{
	const struct md_config *cfg = d->cfg;
	struct imap_mailbox_status st;
	struct imap_source is;
	struct fetchq_source fs = { source_fetch, source_mark, &is };
	struct fetchq *q = NULL;
	struct fetchq_item *it;
	struct fetch_ctx fc;
	uint32_t *uids = NULL;
	size_t n = 0, chunk;
	enum md_err err, merr;
	char spool_dir[4096];

	err = imap_ensure(d);
	if (err)
		return err;
	err = imap_select(d->imap, cfg->imap_mailbox, &st);
	if (err == MD_OK)
		note_uidvalidity(d, cfg->imap_mailbox, st.uidvalidity);
	if (err == MD_OK)
		err = imap_list_pending(d->imap, cfg->imap_processed_folder, &uids, &n);
	if (err) {
		imap_lost(d, err);
		return err;
	}
	if (n == 0)
		return MD_OK;
	memset(&fc, 0, sizeof(fc));
	fc.d = d;
	fc.src.mailbox = cfg->imap_mailbox;
	fc.src.uidvalidity = st.uidvalidity;
	fc.stop = stop;
	chunk = cfg->imap_fetch_chunk > 0 ? (size_t)cfg->imap_fetch_chunk : 100;
	fc.done = calloc(chunk, sizeof(*fc.done));
	fc.pending = calloc(chunk, sizeof(*fc.pending));
	memset(&is, 0, sizeof(is));
	sync_by_fetch_thread(d, &is.sync);
	is.conn = d->imap;
	is.lim.chunk = chunk;
	is.lim.max_message_size = cfg->limits.max_message_size;
	spool_dir_of(cfg->database, spool_dir, sizeof(spool_dir));
	is.lim.spool_dir = spool_dir;
	is.processed_folder = cfg->imap_processed_folder;
	if (fc.done == NULL || fc.pending == NULL)
		err = MD_ERR_NOMEM;
	else
		/*
		 * d->triage is borrowed by the fetch thread (classifying ahead)
		 * while take_item() classifies with it here. It is replaced only
		 * by daemon_reload(), which the main loop calls between
		 * daemon_run_once() calls, and fetchq_finish() below joins the
		 * thread before take_in() returns: no fetch thread runs then.
		 */
		err = fetchq_start(&fs, uids, n, chunk, cfg, d->triage, &q);

	while (err == MD_OK) {
		if (stop && *stop)
			break;
		it = fetchq_next(q);
		if (it->kind == FETCHQ_END) {
			err = it->err;
			break;
		}
		if (it->kind == FETCHQ_CHUNK_END) {
			/*
			 * A message that failed rolled back alone: what the chunk
			 * took in before is committed and marked.
			 */
			err = fetch_commit(&fc);
			if (fc.n_done && (merr = fetchq_mark(q, fc.done, fc.n_done)) && err == MD_OK)
				err = merr;
			fc.n_done = 0;
		} else
			err = take_item(&fc, it);
		fetchq_done(q, it);
	}
	/* Stopped or failed within a chunk: keep and mark what it took in so far. */
	merr = fetch_commit(&fc);
	if (merr && err == MD_OK)
		err = merr;
	if (q && fc.n_done && (merr = fetchq_mark(q, fc.done, fc.n_done)) && err == MD_OK)
		err = merr;
	merr = fetchq_finish(q);
	if (merr && err == MD_OK)
		err = merr;
	merr = sync_by_commit(d, is.sync);
	if (merr && err == MD_OK)
		err = merr;
	if (err == MD_ERR_TEMP || err == MD_ERR_TLS || err == MD_ERR_LIMIT)
		imap_lost(d, err);
	log_info("mailbox %s: %zu new case(s), %zu automatic, %zu duplicate, "
	    "%zu already recorded, %zu unfiled, %zu oversize", cfg->imap_mailbox,
	    fc.counts[INTAKE_NEW_CASE], fc.counts[INTAKE_AUTOMATIC],
	    fc.counts[INTAKE_DUPLICATE], fc.counts[INTAKE_ALREADY],
	    fc.counts[INTAKE_UNFILED], fc.counts[INTAKE_OVERSIZE]);
	free(fc.pending);
	free(fc.done);
	free(uids);
	return err;
}

/* Reminders, escalations, auto-closing and the digest due by now (scheduler.h). */
static enum md_err
run_scheduler(struct daemon *d)
{
	struct wf_env env = { d->cfg, d->db, d->cal };
	struct scheduler_stats st;
	enum md_err err;

	err = scheduler_run(&env, md_now(), &st);
	if (err && err != MD_ERR_TEMP)
		log_warnx("deadline scheduler: %s", md_strerror(err));
	return err;
}

enum md_err
daemon_run_once(struct daemon *d, const volatile sig_atomic_t *stop)
{
	struct sender_stats stats;
	struct outbox_counts oc;
	enum md_err in_err, out_err, sched_err;

	in_err = take_in(d, stop);
	if (in_err && in_err != MD_ERR_TEMP && in_err != MD_ERR_TLS && in_err != MD_ERR_AUTH)
		log_warnx("taking in mail stopped: %s", md_strerror(in_err));
	sched_err = run_scheduler(d);
	/*
	 * After a disk error in intake (which includes a failed sync of what
	 * it committed) nothing is sent in this pass: a notice must not go out
	 * for a record that may not be on disk.
	 */
	memset(&stats, 0, sizeof(stats));
	out_err = in_err == MD_ERR_IO ? MD_ERR_IO : sender_flush(d->sender, stop, &stats);
	/* Deferred notices count as work waiting, for --once's exit status too. */
	d->outbox_pending = out_err != MD_OK || stats.retried > 0 ||
	    (outbox_counts(d->db, &oc) == MD_OK && oc.queued > 0);
	if (stats.sent || stats.failed || stats.retried)
		log_info("outbox: %zu sent, %zu deferred, %zu failed", stats.sent, stats.retried,
		    stats.failed);
	if (in_err == MD_ERR_IO || in_err == MD_ERR_DB)
		return in_err;
	if (sched_err == MD_ERR_IO || sched_err == MD_ERR_DB)
		return sched_err;
	if (in_err || out_err || d->outbox_pending)
		return in_err ? in_err : out_err ? out_err : MD_ERR_TEMP;
	return MD_OK;
}

/* Sleep up to ms, waking early for a signal. */
static void
nap(int ms, const volatile sig_atomic_t *wake)
{
	while (ms > 0 && !*wake) {
		int step = ms < 200 ? ms : 200;

		poll(NULL, 0, step);
		ms -= step;
	}
}

void
daemon_wait(struct daemon *d, const volatile sig_atomic_t *wake)
{
	struct wf_env env = { d->cfg, d->db, d->cal };
	enum imap_idle_result why;
	long wait_ms = (long)d->cfg->poll_interval * 1000;
	time_t now = md_now(), next;
	enum md_err err;

	/* Retry deferred notices and reconnect no later than their time. */
	if (d->outbox_pending && wait_ms > 30000)
		wait_ms = 30000;
	/* Wake for the scheduler's next reminder, escalation or digest. */
	if (scheduler_next_wakeup(&env, now, &next) == MD_OK && next > now &&
	    next - now < wait_ms / 1000)
		wait_ms = (long)(next - now) * 1000;
	if (d->imap == NULL) {
		long until = (long)(d->imap_retry_at - time(NULL)) * 1000;

		nap((int)(until > 0 && until < wait_ms ? until : wait_ms), wake);
		return;
	}
	if (!d->cfg->imap_idle || !imap_has_idle(d->imap)) {
		nap((int)wait_ms, wake);
		return;
	}
	if (wait_ms > IDLE_MAX_MS)
		wait_ms = IDLE_MAX_MS;
	err = imap_idle_wait(d->imap, (int)wait_ms, wake, &why);
	if (err)
		imap_lost(d, err);
}
