#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "imap.h"
#include "imap_int.h"
#include "log.h"
#include "tls.h"

/* UIDs per STORE/MOVE command keep command lines short. */
#define IMAP_UIDS_PER_COMMAND	500
/* RFC 2177: re-issue IDLE at least every 29 minutes. */
#define IMAP_IDLE_RENEW_MS	(28L * 60 * 1000)
#define IMAP_IDLE_STEP_MS	200

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * libetpan reads a whole response into memory before it returns and trusts
 * every literal length the server sends; counting the received bytes and
 * cutting the connection past a budget bounds that.
 */
static void
imap_stream_logger(mailstream *s, int log_type, const char *str, size_t size,
    void *arg)
{
	struct imap_conn *c = arg;
	int fd;

	(void)str;
	if (log_type != MAILSTREAM_LOG_TYPE_DATA_RECEIVED)
		return;
	c->rx_bytes += size;
	if (c->rx_limit == 0 || c->rx_bytes <= c->rx_limit || c->rx_exceeded)
		return;
	c->rx_exceeded = 1;
	if (s->low == NULL)
		return;
	fd = mailstream_low_get_fd(s->low);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

void
imap_budget(struct imap_conn *c, size_t limit)
{
	c->rx_bytes = 0;
	c->rx_limit = limit;
}

static void
imap_watch_stream(struct imap_conn *c)
{
	if (c->imap->imap_stream)
		mailstream_set_logger(c->imap->imap_stream, imap_stream_logger,
		    c);
}

static const char *
imap_server_text(const struct imap_conn *c, char *buf, size_t len)
{
	const char *t = c->imap ? c->imap->imap_response : NULL;

	return log_escape(buf, len, t ? t : "");
}

/* Map a libetpan result to md_err, mark the stream dead when it is. */
enum md_err
imap_fail(struct imap_conn *c, int r, const char *what)
{
	char text[256];

	if (c->rx_exceeded) {
		c->dead = 1;
		log_warnx("imap %s: %s: server sent more than %zu bytes",
		    c->host, what, c->rx_limit);
		return MD_ERR_LIMIT;
	}
	switch (r) {
	case MAILIMAP_ERROR_MEMORY:
		return MD_ERR_NOMEM;
	case MAILIMAP_ERROR_SSL:
	case MAILIMAP_ERROR_STARTTLS:
		c->dead = 1;
		log_warnx("imap %s: %s: TLS failed", c->host, what);
		return MD_ERR_TLS;
	case MAILIMAP_ERROR_LOGIN:
		log_warnx("imap %s: %s refused: %s", c->host, what,
		    imap_server_text(c, text, sizeof(text)));
		return MD_ERR_AUTH;
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_FATAL:
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
	case MAILIMAP_ERROR_BAD_STATE:
		c->dead = 1;
		log_warnx("imap %s: %s: connection failed (libetpan error %d)",
		    c->host, what, r);
		return MD_ERR_TEMP;
	default:
		log_warnx("imap %s: %s refused: %s", c->host, what,
		    imap_server_text(c, text, sizeof(text)));
		return MD_ERR_TEMP;
	}
}

enum md_err
imap_usable(const struct imap_conn *c, int need_selected)
{
	if (c == NULL || c->dead)
		return MD_ERR_STATE;
	if (need_selected && !c->selected)
		return MD_ERR_STATE;
	return MD_OK;
}

static void
imap_sni(struct mailstream_ssl_context *ctx, void *arg)
{
	const char *host = arg;
	unsigned char addr[16];

	/* RFC 6066: literal addresses are not sent as server names. */
	if (inet_pton(AF_INET, host, addr) == 1 ||
	    inet_pton(AF_INET6, host, addr) == 1)
		return;
	mailstream_ssl_set_server_name(ctx, (char *)host);
}

static enum md_err
imap_verify_peer(struct imap_conn *c, const struct server_config *srv)
{
	struct tls_der der[16];
	unsigned char *leaf = NULL;
	carray *chain;
	char why[512];
	unsigned int i, n = 0;
	ssize_t len;
	enum md_err err;

	chain = mailstream_get_certificate_chain(c->imap->imap_stream);
	if (chain != NULL && carray_count(chain) > 16) {
		snprintf(why, sizeof(why), "overlong certificate chain");
		err = MD_ERR_TLS;
		goto out;
	}
	if (chain != NULL) {
		for (i = 0; i < carray_count(chain); i++) {
			MMAPString *s = carray_get(chain, i);

			der[n].data = (const unsigned char *)s->str;
			der[n].len = s->len;
			n++;
		}
	} else {
		len = mailstream_ssl_get_certificate(c->imap->imap_stream,
		    &leaf);
		if (len > 0) {
			der[0].data = leaf;
			der[0].len = (size_t)len;
			n = 1;
		}
	}
	err = tls_verify_chain(der, n, srv->ca_file, srv->host, why,
	    sizeof(why));
out:
	if (chain)
		mailstream_certificate_chain_free(chain);
	free(leaf);
	if (err) {
		c->dead = 1;
		log_warnx("imap %s:%d: refusing the server: %s", srv->host,
		    srv->port, why);
		return err == MD_ERR_NOMEM ? err : MD_ERR_TLS;
	}
	return MD_OK;
}

static enum md_err
imap_refresh_caps(struct imap_conn *c)
{
	struct mailimap_capability_data *caps = NULL;
	int r;

	imap_budget(c, IMAP_RX_COMMAND_LIMIT);
	r = mailimap_capability(c->imap, &caps);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(c, r, "CAPABILITY");
	mailimap_capability_data_free(caps);
	c->has_idle = mailimap_has_idle(c->imap);
	c->has_move = mailimap_has_extension(c->imap, "MOVE");
	c->has_uidplus = mailimap_has_uidplus(c->imap);
	return MD_OK;
}

static enum md_err
imap_open_stream(struct imap_conn *c, const struct server_config *srv)
{
	uint16_t port = (uint16_t)srv->port;
	enum md_err err;
	int r;

	if (srv->tls == TLS_MODE_TLS)
		r = mailimap_ssl_connect_with_callback(c->imap, srv->host,
		    port, imap_sni, srv->host);
	else
		r = mailimap_socket_connect(c->imap, srv->host, port);
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED) {
		if (r == MAILIMAP_ERROR_SSL) {
			log_warnx("imap %s:%d: TLS handshake failed",
			    srv->host, srv->port);
			return MD_ERR_TLS;
		}
		log_warnx("imap %s:%d: cannot connect (libetpan error %d)",
		    srv->host, srv->port, r);
		return r == MAILIMAP_ERROR_MEMORY ? MD_ERR_NOMEM : MD_ERR_TEMP;
	}
	imap_watch_stream(c);
	if (srv->tls != TLS_MODE_STARTTLS)
		return MD_OK;

	err = imap_refresh_caps(c);
	if (err)
		return err;
	if (!mailimap_has_extension(c->imap, "STARTTLS")) {
		c->dead = 1;
		log_warnx("imap %s:%d: server does not offer STARTTLS",
		    srv->host, srv->port);
		return MD_ERR_TLS;
	}
	r = mailimap_socket_starttls_with_callback(c->imap, imap_sni,
	    srv->host);
	if (r != MAILIMAP_NO_ERROR) {
		c->dead = 1;
		log_warnx("imap %s:%d: STARTTLS failed (libetpan error %d)",
		    srv->host, srv->port, r);
		return r == MAILIMAP_ERROR_MEMORY ? MD_ERR_NOMEM : MD_ERR_TLS;
	}
	/* The TLS layer replaced the low-level stream. */
	imap_watch_stream(c);
	return MD_OK;
}

enum md_err
imap_connect(const struct server_config *srv, struct imap_conn **out)
{
	struct imap_conn *c;
	enum md_err err;
	int r;

	*out = NULL;
	if (srv == NULL || srv->host == NULL || srv->port <= 0 ||
	    srv->port > 65535)
		return MD_ERR_INPUT;
	if (srv->user == NULL || srv->password == NULL) {
		log_warnx("imap %s: no user or password configured",
		    srv->host);
		return MD_ERR_AUTH;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return MD_ERR_NOMEM;
	c->host = strdup(srv->host);
	c->imap = mailimap_new(0, NULL);
	if (c->host == NULL || c->imap == NULL) {
		err = MD_ERR_NOMEM;
		goto fail;
	}
	/* Must precede the connect: libetpan copies it into the stream. */
	mailimap_set_timeout(c->imap, srv->timeout > 0 ? srv->timeout : 60);
	imap_budget(c, IMAP_RX_COMMAND_LIMIT);

	err = imap_open_stream(c, srv);
	if (err)
		goto fail;
	if (srv->tls != TLS_MODE_NONE) {
		if (srv->tls_verify) {
			err = imap_verify_peer(c, srv);
			if (err)
				goto fail;
		} else
			log_warnx("imap %s:%d: tls_verify is off: the server "
			    "certificate is not checked", srv->host,
			    srv->port);
	}

	imap_budget(c, IMAP_RX_COMMAND_LIMIT);
	r = mailimap_login(c->imap, srv->user, srv->password);
	if (r != MAILIMAP_NO_ERROR) {
		err = imap_fail(c, r, "LOGIN");
		goto fail;
	}
	err = imap_refresh_caps(c);
	if (err)
		goto fail;
	*out = c;
	return MD_OK;
fail:
	if (c->imap)
		mailimap_free(c->imap);
	free(c->host);
	free(c);
	return err;
}

void
imap_close(struct imap_conn *c)
{
	if (c == NULL)
		return;
	if (c->imap) {
		if (!c->dead && c->imap->imap_stream) {
			imap_budget(c, IMAP_RX_COMMAND_LIMIT);
			mailimap_logout(c->imap);
		}
		mailimap_free(c->imap);
	}
	free(c->host);
	free(c);
}

int
imap_has_idle(const struct imap_conn *c)
{
	return c->has_idle;
}

int
imap_has_move(const struct imap_conn *c)
{
	return c->has_move;
}

int
imap_has_uidplus(const struct imap_conn *c)
{
	return c->has_uidplus;
}

enum md_err
imap_select(struct imap_conn *c, const char *mailbox,
    struct imap_mailbox_status *st)
{
	struct mailimap_selection_info *sel;
	enum md_err err;
	int r;

	err = imap_usable(c, 0);
	if (err)
		return err;
	c->selected = 0;
	imap_budget(c, IMAP_RX_COMMAND_LIMIT);
	r = mailimap_select(c->imap, mailbox);
	if (r == MAILIMAP_ERROR_SELECT && !c->rx_exceeded) {
		imap_fail(c, r, "SELECT");
		return MD_ERR_NOTFOUND;
	}
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(c, r, "SELECT");
	sel = c->imap->imap_selection_info;
	if (sel == NULL)
		return MD_ERR_TEMP;
	c->selected = 1;
	if (st) {
		st->uidvalidity = sel->sel_uidvalidity;
		st->uidnext = sel->sel_uidnext;
		st->exists = sel->sel_exists;
	}
	return MD_OK;
}

static int
uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static struct mailimap_search_key *
imap_pending_key(const char *processed_folder)
{
	struct mailimap_search_key *all, *sub;
	char *kw;

	all = mailimap_search_key_new_multiple_empty();
	if (all == NULL)
		return NULL;
	/* Left behind by the COPY fallback without UIDPLUS: already done. */
	sub = mailimap_search_key_new(MAILIMAP_SEARCH_KEY_UNDELETED, NULL,
	    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	    NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL,
	    NULL);
	if (sub == NULL || mailimap_search_key_multiple_add(all, sub) != 0)
		goto fail;
	if (processed_folder == NULL || *processed_folder == '\0') {
		kw = strdup(IMAP_DONE_KEYWORD);
		sub = kw ? mailimap_search_key_new_unkeyword(kw) : NULL;
		if (sub == NULL) {
			free(kw);
			goto fail;
		}
		if (mailimap_search_key_multiple_add(all, sub) != 0)
			goto fail;
	}
	return all;
fail:
	if (sub)
		mailimap_search_key_free(sub);
	mailimap_search_key_free(all);
	return NULL;
}

enum md_err
imap_list_pending(struct imap_conn *c, const char *processed_folder,
    uint32_t **uids, size_t *n)
{
	struct mailimap_search_key *key;
	clist *result = NULL;
	clistiter *it;
	uint32_t *v = NULL;
	size_t count = 0;
	enum md_err err;
	int r;

	*uids = NULL;
	*n = 0;
	err = imap_usable(c, 1);
	if (err)
		return err;
	key = imap_pending_key(processed_folder);
	if (key == NULL)
		return MD_ERR_NOMEM;
	imap_budget(c, IMAP_RX_COMMAND_LIMIT);
	r = mailimap_uid_search(c->imap, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(c, r, "UID SEARCH");
	if (clist_count(result) > 0) {
		v = calloc((size_t)clist_count(result), sizeof(*v));
		if (v == NULL) {
			mailimap_search_result_free(result);
			return MD_ERR_NOMEM;
		}
	}
	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		uint32_t *u = clist_content(it);

		if (u != NULL && *u != 0)
			v[count++] = *u;
	}
	mailimap_search_result_free(result);
	if (count == 0) {
		free(v);
		return MD_OK;
	}
	qsort(v, count, sizeof(*v), uid_cmp);
	*uids = v;
	*n = count;
	return MD_OK;
}

static struct mailimap_set *
imap_uid_set(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set;
	size_t i;

	set = mailimap_set_new_empty();
	if (set == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (mailimap_set_add_single(set, uids[i]) != MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			return NULL;
		}
	}
	return set;
}


/* Add f to fl; on failure f is freed. Returns 0 on success. */
static int
imap_flag_add(struct mailimap_flag_list *fl, struct mailimap_flag *f)
{
	if (f == NULL)
		return -1;
	if (mailimap_flag_list_add(fl, f) != 0) {
		mailimap_flag_free(f);
		return -1;
	}
	return 0;
}

static enum md_err
imap_store_flags(struct imap_conn *c, struct mailimap_set *set, int deleted)
{
	struct mailimap_store_att_flags *sa;
	struct mailimap_flag_list *fl;
	struct mailimap_flag *f;
	char *kw;
	int r;

	fl = mailimap_flag_list_new_empty();
	if (fl == NULL)
		return MD_ERR_NOMEM;
	if (deleted) {
		if (imap_flag_add(fl, mailimap_flag_new_deleted()) != 0)
			goto nomem;
	} else {
		kw = strdup(IMAP_DONE_KEYWORD);
		f = kw ? mailimap_flag_new_flag_keyword(kw) : NULL;
		if (f == NULL)
			free(kw);
		if (imap_flag_add(fl, f) != 0 ||
		    imap_flag_add(fl, mailimap_flag_new_seen()) != 0)
			goto nomem;
	}
	sa = mailimap_store_att_flags_new_add_flags_silent(fl);
	if (sa == NULL)
		goto nomem;
	imap_budget(c, IMAP_RX_COMMAND_LIMIT);
	r = mailimap_uid_store(c->imap, set, sa);
	mailimap_store_att_flags_free(sa);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(c, r, "UID STORE");
	return MD_OK;
nomem:
	mailimap_flag_list_free(fl);
	return MD_ERR_NOMEM;
}

/* UID MOVE or UID COPY to folder, creating it once when the server refuses. */
static enum md_err
imap_transfer(struct imap_conn *c, struct mailimap_set *set,
    const char *folder)
{
	const char *what = c->has_move ? "UID MOVE" : "UID COPY";
	int r, attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		imap_budget(c, IMAP_RX_COMMAND_LIMIT);
		if (c->has_move)
			r = mailimap_uid_move(c->imap, set, folder);
		else
			r = mailimap_uid_copy(c->imap, set, folder);
		if (r == MAILIMAP_NO_ERROR)
			return MD_OK;
		if (attempt > 0 || (r != MAILIMAP_ERROR_UID_MOVE &&
		    r != MAILIMAP_ERROR_UID_COPY))
			return imap_fail(c, r, what);
		imap_budget(c, IMAP_RX_COMMAND_LIMIT);
		r = mailimap_create(c->imap, folder);
		if (r != MAILIMAP_NO_ERROR && r != MAILIMAP_ERROR_CREATE)
			return imap_fail(c, r, "CREATE");
	}
	return MD_ERR_TEMP;
}

static enum md_err
imap_mark_some(struct imap_conn *c, const uint32_t *uids, size_t n,
    const char *folder)
{
	struct mailimap_set *set;
	enum md_err err;
	int r;

	set = imap_uid_set(uids, n);
	if (set == NULL)
		return MD_ERR_NOMEM;
	/* Flag first: if the move fails, the message is still known done. */
	err = imap_store_flags(c, set, 0);
	if (err || folder == NULL || *folder == '\0')
		goto out;
	err = imap_transfer(c, set, folder);
	if (err || c->has_move)
		goto out;
	err = imap_store_flags(c, set, 1);
	if (err || !c->has_uidplus)
		goto out;
	imap_budget(c, IMAP_RX_COMMAND_LIMIT);
	r = mailimap_uid_expunge(c->imap, set);
	if (r != MAILIMAP_NO_ERROR)
		err = imap_fail(c, r, "UID EXPUNGE");
out:
	mailimap_set_free(set);
	return err;
}

enum md_err
imap_mark_processed(struct imap_conn *c, const uint32_t *uids, size_t n,
    const char *processed_folder)
{
	size_t done, w;
	enum md_err err;

	err = imap_usable(c, 1);
	if (err)
		return err;
	for (done = 0; done < n; done += w) {
		w = n - done < IMAP_UIDS_PER_COMMAND ? n - done :
		    IMAP_UIDS_PER_COMMAND;
		err = imap_mark_some(c, uids + done, w, processed_folder);
		if (err)
			return err;
	}
	return MD_OK;
}

/*
 * Wait for the IDLE socket to become readable. Returns 1 when there is
 * data, 0 on timeout, stop or renewal time (*why says which), -1 on error.
 */
static int
imap_idle_poll(struct imap_conn *c, long deadline, long renew_at,
    const volatile sig_atomic_t *stop, enum imap_idle_result *why)
{
	struct pollfd pfd;
	long now, step;
	int r;

	for (;;) {
		if (stop != NULL && *stop) {
			*why = IMAP_IDLE_STOPPED;
			return 0;
		}
		/* Data libetpan buffered already never wakes poll(). */
		if (c->imap->imap_stream->read_buffer_len > 0)
			return 1;
		now = now_ms();
		if (now >= deadline || now >= renew_at) {
			*why = IMAP_IDLE_TIMEOUT;
			return 0;
		}
		step = deadline - now;
		if (renew_at - now < step)
			step = renew_at - now;
		if (step > IMAP_IDLE_STEP_MS)
			step = IMAP_IDLE_STEP_MS;
		pfd.fd = mailimap_idle_get_fd(c->imap);
		if (pfd.fd < 0)
			return -1;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, (int)step);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static int
imap_news(const struct imap_conn *c, uint32_t exists_before)
{
	const struct mailimap_selection_info *sel;

	sel = c->imap->imap_selection_info;
	if (sel == NULL)
		return 0;
	return sel->sel_has_exists || sel->sel_has_recent ||
	    sel->sel_exists > exists_before;
}

enum md_err
imap_idle_wait(struct imap_conn *c, int timeout_ms,
    const volatile sig_atomic_t *stop, enum imap_idle_result *result)
{
	struct mailimap_selection_info *sel;
	enum imap_idle_result why = IMAP_IDLE_TIMEOUT;
	uint32_t exists_before;
	long deadline;
	enum md_err err;
	int r, data;

	*result = IMAP_IDLE_TIMEOUT;
	err = imap_usable(c, 1);
	if (err)
		return err;
	if (!c->has_idle)
		return MD_ERR_STATE;
	deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		sel = c->imap->imap_selection_info;
		if (sel == NULL)
			return MD_ERR_STATE;
		exists_before = sel->sel_exists;
		sel->sel_has_exists = 0;
		sel->sel_has_recent = 0;
		imap_budget(c, IMAP_RX_COMMAND_LIMIT);
		r = mailimap_idle(c->imap);
		if (r != MAILIMAP_NO_ERROR)
			return imap_fail(c, r, "IDLE");
		/* EXISTS may arrive together with the continuation. */
		if (imap_news(c, exists_before))
			data = 1;
		else
			data = imap_idle_poll(c, deadline,
			    now_ms() + IMAP_IDLE_RENEW_MS, stop, &why);
		r = mailimap_idle_done(c->imap);
		if (r != MAILIMAP_NO_ERROR)
			return imap_fail(c, r, "IDLE DONE");
		if (data < 0) {
			c->dead = 1;
			log_warnx("imap %s: IDLE: poll failed", c->host);
			return MD_ERR_TEMP;
		}
		if (imap_news(c, exists_before)) {
			*result = IMAP_IDLE_NEWMAIL;
			return MD_OK;
		}
		/* "* OK Still here" and flag updates are no news. */
		if (data == 0 && why == IMAP_IDLE_STOPPED) {
			*result = IMAP_IDLE_STOPPED;
			return MD_OK;
		}
		if (now_ms() >= deadline) {
			*result = IMAP_IDLE_TIMEOUT;
			return MD_OK;
		}
	}
}
