/*
 * Fetching messages by UID in bounded windows: sizes first, so that one
 * large message is fetched alone and a message over the limit only by its
 * head, then BODY.PEEK[] (which leaves \Seen alone). A large message goes
 * to a spool file piece by piece: libetpan keeps a whole FETCH response in
 * a buffer that grows by doubling, so one 25 MB message fetched whole
 * costs 32 MB of heap plus the parsed copy.
 */
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "imap.h"
#include "imap_int.h"
#include "log.h"
#include "spool.h"

#define IMAP_DEFAULT_CHUNK	50
#define IMAP_DEFAULT_MAX_SIZE	((size_t)25 * 1024 * 1024)
#define IMAP_DEFAULT_HEAD	((size_t)64 * 1024)

/* One message of a FETCH window. */
struct imap_item {
	uint32_t uid;
	size_t size;
	int present;		/* the server knows the UID */
};

static struct mailimap_set *
imap_item_set(const struct imap_item *items, size_t n)
{
	struct mailimap_set *set;
	size_t i;

	set = mailimap_set_new_empty();
	if (set == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (mailimap_set_add_single(set, items[i].uid) !=
		    MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			return NULL;
		}
	}
	return set;
}

/* Pull UID, RFC822.SIZE and the body section out of one FETCH response. */
static void
imap_msg_att(struct mailimap_msg_att *att, uint32_t *uid, size_t *size,
    const char **body, size_t *body_len)
{
	clistiter *it;

	*uid = 0;
	*size = 0;
	*body = NULL;
	*body_len = 0;
	for (it = clist_begin(att->att_list); it; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		struct mailimap_msg_att_static *st;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = item->att_data.att_static;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			*uid = st->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			*size = st->att_data.att_rfc822_size;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			if (st->att_data.att_body_section &&
			    st->att_data.att_body_section->sec_body_part) {
				*body = st->att_data.att_body_section->
				    sec_body_part;
				*body_len = st->att_data.att_body_section->
				    sec_length;
			}
			break;
		default:
			break;
		}
	}
}

static enum md_err
imap_fetch_sizes(struct imap_conn *c, struct imap_item *items, size_t n)
{
	struct mailimap_fetch_type *ft = NULL;
	struct mailimap_set *set = NULL;
	clist *result = NULL;
	clistiter *it;
	enum md_err err = MD_ERR_NOMEM;
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		items[i].present = 0;
		items[i].size = 0;
	}
	set = imap_item_set(items, n);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	if (set == NULL || ft == NULL ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid()) != 0 ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_rfc822_size()) != 0)
		goto out;
	imap_budget(c, IMAP_RX_COMMAND_LIMIT);
	r = mailimap_uid_fetch(c->imap, set, ft, &result);
	if (r != MAILIMAP_NO_ERROR) {
		err = imap_fail(c, r, "UID FETCH RFC822.SIZE");
		goto out;
	}
	for (it = clist_begin(result); it; it = clist_next(it)) {
		const char *body;
		size_t size, blen;
		uint32_t uid;

		imap_msg_att(clist_content(it), &uid, &size, &body, &blen);
		for (i = 0; i < n; i++)
			if (items[i].uid == uid && uid != 0) {
				items[i].present = 1;
				items[i].size = size;
			}
	}
	err = MD_OK;
out:
	if (result)
		mailimap_fetch_list_free(result);
	if (ft)
		mailimap_fetch_type_free(ft);
	if (set)
		mailimap_set_free(set);
	return err;
}

/*
 * Fetch the bodies of items[0..n) (all present) in one command and hand
 * them over in order. oversize asks only for the first head_bytes of one
 * oversize message.
 */
static enum md_err
imap_fetch_bodies(struct imap_conn *c, const struct imap_item *items,
    size_t n, int oversize, const struct imap_fetch_limits *lim,
    const struct imap_fetch_handler *h)
{
	struct mailimap_fetch_type *ft = NULL;
	struct mailimap_fetch_att *fa = NULL;
	struct mailimap_section *sec = NULL;
	struct mailimap_set *set = NULL;
	clist *result = NULL;
	clistiter *it;
	enum md_err err = MD_ERR_NOMEM;
	size_t i, budget = 0, head = oversize ? lim->head_bytes : 0;
	int r;

	for (i = 0; i < n; i++)
		budget += (head ? head : items[i].size) + IMAP_RX_PER_MESSAGE;
	set = imap_item_set(items, n);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	sec = mailimap_section_new(NULL);
	if (set == NULL || ft == NULL || sec == NULL)
		goto out;
	if (head)
		fa = mailimap_fetch_att_new_body_peek_section_partial(sec, 0,
		    (uint32_t)head);
	else
		fa = mailimap_fetch_att_new_body_peek_section(sec);
	if (fa == NULL)
		goto out;
	sec = NULL;	/* owned by fa */
	if (mailimap_fetch_type_new_fetch_att_list_add(ft, fa) != 0)
		goto out;
	fa = NULL;	/* owned by ft */
	if (mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid()) != 0)
		goto out;
	imap_budget(c, budget);
	r = mailimap_uid_fetch(c->imap, set, ft, &result);
	if (r != MAILIMAP_NO_ERROR) {
		err = imap_fail(c, r, "UID FETCH BODY.PEEK[]");
		goto out;
	}
	err = MD_OK;
	/* Hand over in the caller's order, whatever order the server used. */
	for (i = 0; i < n && err == MD_OK; i++) {
		const char *body = NULL;
		size_t blen = 0;

		for (it = clist_begin(result); it; it = clist_next(it)) {
			const char *b;
			size_t size, bl;
			uint32_t uid;

			imap_msg_att(clist_content(it), &uid, &size, &b, &bl);
			if (uid == items[i].uid && b != NULL) {
				body = b;
				blen = bl;
				break;
			}
		}
		if (body == NULL) {
			/* Expunged since the size query. */
			log_info("imap %s: UID %u vanished before its fetch",
			    c->host, (unsigned)items[i].uid);
			continue;
		}
		if (!oversize && blen <= lim->max_message_size) {
			if (h->message)
				err = h->message(items[i].uid, body, blen,
				    h->arg);
			continue;
		}
		/* Oversize, or larger than the server said it would be. */
		if (h->oversize)
			err = h->oversize(items[i].uid,
			    items[i].size > blen ? items[i].size : blen, body,
			    blen < lim->head_bytes ? blen : lim->head_bytes,
			    h->arg);
	}
out:
	if (result)
		mailimap_fetch_list_free(result);
	if (fa)
		mailimap_fetch_att_free(fa);
	if (sec)
		mailimap_section_free(sec);
	if (ft)
		mailimap_fetch_type_free(ft);
	if (set)
		mailimap_set_free(set);
	return err;
}

/*
 * One partial fetch: the piece of uid's body at offset appended to s. *got
 * is its length; *found is 0 when the server sent no body (the UID is gone).
 */
static enum md_err
imap_fetch_piece(struct imap_conn *c, uint32_t uid, size_t offset, struct spool *s,
    size_t *got, int *found)
{
	struct mailimap_fetch_type *ft = NULL;
	struct mailimap_fetch_att *fa = NULL;
	struct mailimap_section *sec = NULL;
	struct mailimap_set *set = NULL;
	clist *result = NULL;
	clistiter *it;
	enum md_err err = MD_ERR_NOMEM;
	int r;

	*got = 0;
	*found = 0;
	set = mailimap_set_new_single(uid);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	sec = mailimap_section_new(NULL);
	if (set == NULL || ft == NULL || sec == NULL)
		goto out;
	fa = mailimap_fetch_att_new_body_peek_section_partial(sec, (uint32_t)offset,
	    (uint32_t)IMAP_SPOOL_PIECE);
	if (fa == NULL)
		goto out;
	sec = NULL;	/* owned by fa */
	if (mailimap_fetch_type_new_fetch_att_list_add(ft, fa) != 0)
		goto out;
	fa = NULL;	/* owned by ft */
	if (mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid()) != 0)
		goto out;
	imap_budget(c, IMAP_SPOOL_PIECE + IMAP_RX_PER_MESSAGE);
	r = mailimap_uid_fetch(c->imap, set, ft, &result);
	if (r != MAILIMAP_NO_ERROR) {
		err = imap_fail(c, r, "UID FETCH BODY.PEEK[]<partial>");
		goto out;
	}
	err = MD_OK;
	for (it = clist_begin(result); it; it = clist_next(it)) {
		const char *b;
		size_t size, bl;
		uint32_t u;

		imap_msg_att(clist_content(it), &u, &size, &b, &bl);
		if (u == uid && b != NULL) {
			*found = 1;
			*got = bl;
			err = spool_write(s, b, bl);
			break;
		}
	}
out:
	if (result)
		mailimap_fetch_list_free(result);
	if (fa)
		mailimap_fetch_att_free(fa);
	if (sec)
		mailimap_section_free(sec);
	if (ft)
		mailimap_fetch_type_free(ft);
	if (set)
		mailimap_set_free(set);
	return err;
}

/*
 * Fetch one large message into a spool file and hand over its mapping.
 * Pieces are asked for until one comes back short, not up to the size
 * the server reported, so that a message larger than announced is noticed
 * (one piece past the limit is enough to call it oversize).
 */
static enum md_err
imap_fetch_spooled(struct imap_conn *c, const struct imap_item *item,
    const struct imap_fetch_limits *lim, const struct imap_fetch_handler *h)
{
	struct spool *s = NULL;
	const char *data;
	size_t off = 0, got = 0, len;
	int found = 0;
	enum md_err err;

	err = spool_create(lim->spool_dir, lim->max_message_size + IMAP_SPOOL_PIECE, &s);
	if (err)
		return err;
	do {
		err = imap_fetch_piece(c, item->uid, off, s, &got, &found);
		off += got;
	} while (err == MD_OK && found && got == IMAP_SPOOL_PIECE &&
	    off <= lim->max_message_size);
	if (err)
		goto out;
	if (!found) {
		/* Expunged since the size query, or while it was being read. */
		log_info("imap %s: UID %u vanished before its fetch", c->host,
		    (unsigned)item->uid);
		goto out;
	}
	err = spool_map(s, &data, &len);
	if (err)
		goto out;
	if (len <= lim->max_message_size) {
		if (h->message)
			err = h->message(item->uid, data, len, h->arg);
	} else if (h->oversize)
		err = h->oversize(item->uid, item->size > len ? item->size : len, data,
		    len < lim->head_bytes ? len : lim->head_bytes, h->arg);
out:
	spool_free(s);
	return err;
}

static enum md_err
imap_fetch_window(struct imap_conn *c, struct imap_item *items, size_t n,
    const struct imap_fetch_limits *lim, const struct imap_fetch_handler *h)
{
	size_t i, start, total;
	enum md_err err;

	err = imap_fetch_sizes(c, items, n);
	if (err)
		return err;
	i = 0;
	while (i < n) {
		if (!items[i].present) {
			i++;
			continue;
		}
		if (items[i].size > lim->max_message_size) {
			err = imap_fetch_bodies(c, &items[i], 1, 1, lim, h);
			if (err)
				return err;
			i++;
			continue;
		}
		if (lim->spool_dir != NULL && items[i].size > IMAP_SPOOL_MIN) {
			err = imap_fetch_spooled(c, &items[i], lim, h);
			if (err)
				return err;
			i++;
			continue;
		}
		/* A run of present, normal-sized messages within the budget. */
		start = i;
		total = 0;
		while (i < n && items[i].present &&
		    items[i].size <= lim->max_message_size &&
		    (lim->spool_dir == NULL || items[i].size <= IMAP_SPOOL_MIN) &&
		    (i == start || total + items[i].size <=
		    lim->max_message_size)) {
			total += items[i].size;
			i++;
		}
		err = imap_fetch_bodies(c, &items[start], i - start, 0, lim,
		    h);
		if (err)
			return err;
	}
	return MD_OK;
}

enum md_err
imap_fetch(struct imap_conn *c, const uint32_t *uids, size_t n,
    const struct imap_fetch_limits *limits,
    const struct imap_fetch_handler *h)
{
	struct imap_fetch_limits lim;
	struct imap_item *items;
	size_t i, done, w;
	enum md_err err;

	err = imap_usable(c, 1);
	if (err)
		return err;
	if (h == NULL)
		return MD_ERR_INPUT;
	lim.chunk = limits && limits->chunk ? limits->chunk :
	    IMAP_DEFAULT_CHUNK;
	lim.max_message_size = limits && limits->max_message_size ?
	    limits->max_message_size : IMAP_DEFAULT_MAX_SIZE;
	lim.head_bytes = limits && limits->head_bytes ? limits->head_bytes :
	    IMAP_DEFAULT_HEAD;
	lim.spool_dir = limits ? limits->spool_dir : NULL;
	if (lim.head_bytes > lim.max_message_size)
		lim.head_bytes = lim.max_message_size;
	if (lim.max_message_size > UINT32_MAX)
		lim.max_message_size = UINT32_MAX;
	if (n == 0)
		return MD_OK;
	items = calloc(lim.chunk < n ? lim.chunk : n, sizeof(*items));
	if (items == NULL)
		return MD_ERR_NOMEM;
	for (done = 0; done < n; done += w) {
		w = n - done < lim.chunk ? n - done : lim.chunk;
		for (i = 0; i < w; i++)
			items[i].uid = uids[done + i];
		err = imap_fetch_window(c, items, w, &lim, h);
		if (err)
			break;
	}
	free(items);
	return err;
}
