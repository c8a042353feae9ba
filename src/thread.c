#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "member.h"
#include "staffauth.h"
#include "thread.h"

/* Links followed from a merged case to its joint case; more is a loop. */
#define THREAD_MAX_JOINT_HOPS 8

/* Length of a separator allowed inside a tag at p, or 0. */
static size_t
tag_sep_at(const char *p)
{
	static const char *const seps[] = {
		"\xe2\x80\x90", "\xe2\x80\x91", "\xe2\x80\x92", "\xe2\x80\x93", "\xe2\x80\x94",
		"\xef\xbc\x8d", "\xe3\x80\x80", "\xc2\xa0", "\xe2\x88\x92",
	};
	size_t i;

	if (*p == '-' || *p == '_' || *p == ' ' || *p == '\t' || *p == '.' || *p == '/')
		return 1;
	for (i = 0; i < sizeof(seps) / sizeof(seps[0]); i++)
		if (strncmp(p, seps[i], strlen(seps[i])) == 0)
			return strlen(seps[i]);
	return 0;
}

/* Skip one to three separators; 0 when there was none. */
static size_t
skip_seps(const char *p)
{
	size_t n = 0, k, count = 0;

	while (count < 3 && (k = tag_sep_at(p + n)) > 0) {
		n += k;
		count++;
	}
	return n;
}

static int
is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Read 1..maxdigits digits at p (not followed by another digit) into *v. */
static size_t
read_digits(const char *p, size_t mindigits, size_t maxdigits, int *v)
{
	size_t n = 0;

	*v = 0;
	while (n < maxdigits && p[n] >= '0' && p[n] <= '9') {
		*v = *v * 10 + (p[n] - '0');
		n++;
	}
	if (n < mindigits || (p[n] >= '0' && p[n] <= '9'))
		return 0;
	return n;
}

int
thread_find_tag(const char *s, const char *prefix, char *number, size_t numberlen)
{
	size_t plen, i, j, k;
	int year, seq;

	if (s == NULL || prefix == NULL || (plen = strlen(prefix)) == 0)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (strncasecmp(s + i, prefix, plen) != 0)
			continue;
		if (i > 0 && is_alnum(s[i - 1]))
			continue;
		j = i + plen;
		if ((k = skip_seps(s + j)) == 0)
			continue;
		j += k;
		if ((k = read_digits(s + j, 4, 4, &year)) == 0)
			continue;
		j += k;
		if ((k = skip_seps(s + j)) == 0)
			continue;
		j += k;
		if ((k = read_digits(s + j, 1, 6, &seq)) == 0 || seq == 0)
			continue;
		if (case_format_number(prefix, year, seq, number, numberlen) == MD_OK)
			return 1;
	}
	return 0;
}

/* Reply and forward prefixes, as clients in many languages write them. */
static const char *const subject_prefixes[] = {
	"antw", "aw", "fwd", "fw", "re", "rif", "sv", "vs", "wg", "tr", "rv", "enc", "odp",
	"回复", "答复", "回覆", "答覆", "转发", "轉寄", "转寄", "轉發", "回信",
};

/* Length of blanks at p (ASCII, NBSP, ideographic space). */
static size_t
blanks_at(const char *p)
{
	size_t n = 0;

	for (;;) {
		if (p[n] == ' ' || p[n] == '\t')
			n++;
		else if (strncmp(p + n, "\xc2\xa0", 2) == 0)
			n += 2;
		else if (strncmp(p + n, "\xe3\x80\x80", 3) == 0)
			n += 3;
		else
			return n;
	}
}

/* Length of one "Re:", "Re[2]:", "Re^2:", "回复：" prefix at p, or 0. */
static size_t
prefix_at(const char *p)
{
	size_t i, n;

	for (i = 0; i < sizeof(subject_prefixes) / sizeof(subject_prefixes[0]); i++) {
		n = strlen(subject_prefixes[i]);
		if (strncasecmp(p, subject_prefixes[i], n) != 0)
			continue;
		if (p[n] == '[' || p[n] == '(') {
			char close = p[n] == '[' ? ']' : ')';

			n++;
			while (p[n] >= '0' && p[n] <= '9')
				n++;
			if (p[n] != close)
				continue;
			n++;
		} else if (p[n] == '^') {
			n++;
			while (p[n] >= '0' && p[n] <= '9')
				n++;
		}
		n += blanks_at(p + n);
		if (p[n] == ':')
			return n + 1;
		if (strncmp(p + n, "：", strlen("：")) == 0)
			return n + strlen("：");
	}
	return 0;
}

const char *
thread_strip_prefixes(const char *subject)
{
	const char *p = subject;
	size_t n;

	for (;;) {
		p += blanks_at(p);
		n = prefix_at(p);
		if (n == 0)
			return p;
		p += n;
	}
}

const char *
thread_via_name(enum thread_via via)
{
	switch (via) {
	case THREAD_VIA_TAG:        return "tag";
	case THREAD_VIA_REFERENCES: return "references";
	case THREAD_VIA_ADDRESS:    return "address";
	case THREAD_VIA_NONE:       break;
	}
	return NULL;
}

json_t *
thread_result_json(const struct thread_result *res)
{
	const char *via = thread_via_name(res->via);

	return json_pack("{s:o, s:o}",
	    "case", res->via != THREAD_VIA_NONE && res->case_number[0] ?
	    json_string(res->case_number) : json_null(),
	    "via", via && res->case_number[0] ? json_string(via) : json_null());
}

/* Follow a merged case to its joint case and fill res from the case found. */
static enum md_err
settle(struct db *db, struct case_record *c, enum thread_via via, struct thread_result *res)
{
	struct case_record *parent;
	enum md_err err = MD_OK;
	int hops = 0;

	while (c->joint_parent_id != 0 && strcmp(c->status, "merged") == 0 &&
	    hops++ < THREAD_MAX_JOINT_HOPS) {
		err = case_get(db, c->joint_parent_id, &parent);
		if (err == MD_ERR_NOTFOUND) {
			err = MD_OK;
			break;
		}
		if (err)
			break;
		case_record_free(c);
		c = parent;
	}
	if (err == MD_OK) {
		res->via = via;
		res->case_id = c->id;
		snprintf(res->case_number, sizeof(res->case_number), "%s", c->number);
	}
	case_record_free(c);
	return err;
}

/* Try number as a case; MD_ERR_NOTFOUND when there is no such case. */
static enum md_err
try_number(struct db *db, const char *number, enum thread_via via, struct thread_result *res)
{
	struct case_record *c = NULL;
	enum md_err err;

	err = case_find_by_number(db, number, &c);
	if (err)
		return err;
	return settle(db, c, via, res);
}

/* The case a message we recorded (in or out) belongs to, by its Message-ID. */
static enum md_err
case_of_message_id(struct db *db, const char *msgid, int64_t *case_id)
{
	sqlite3_stmt *st = NULL;
	enum md_err err;
	int rc;

	err = db_prepare_cached(db, "SELECT case_id FROM messages WHERE message_id = ?1"
	    " AND case_id IS NOT NULL ORDER BY id LIMIT 1", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, msgid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*case_id = sqlite3_column_int64(st, 0);
		err = MD_OK;
	} else if (rc == SQLITE_DONE) {
		err = MD_ERR_NOTFOUND;
	} else {
		err = db_status(db, rc);
	}
	db_release(db, st);
	return err;
}

static enum md_err
by_references(struct db *db, const struct message *msg, struct thread_result *res)
{
	struct case_record *c;
	int64_t case_id = 0;
	enum md_err err = MD_ERR_NOTFOUND;
	size_t i;

	if (msg->in_reply_to)
		err = case_of_message_id(db, msg->in_reply_to, &case_id);
	/* Newest first: the message replied to most directly decides. */
	for (i = msg->n_references; err == MD_ERR_NOTFOUND && i > 0; i--)
		err = case_of_message_id(db, msg->references[i - 1], &case_id);
	if (err)
		return err;
	err = case_get(db, case_id, &c);
	if (err)
		return err;
	return settle(db, c, THREAD_VIA_REFERENCES, res);
}

static enum md_err
by_address(const struct md_config *cfg, struct db *db, const char *addr,
    struct thread_result *res)
{
	char part[STAFFAUTH_ADDR_MAX], token[STAFFAUTH_ADDR_MAX], number[CASE_NUMBER_MAX];

	if (addr == NULL ||
	    !staffauth_parse_reply_address(cfg, addr, part, sizeof(part), token, sizeof(token)) ||
	    !thread_find_tag(part, cfg->case_prefix, number, sizeof(number)))
		return MD_ERR_NOTFOUND;
	return try_number(db, number, THREAD_VIA_ADDRESS, res);
}

static enum md_err
by_addresses(const struct md_config *cfg, struct db *db, const struct message *msg,
    struct thread_result *res)
{
	enum md_err err = MD_ERR_NOTFOUND;
	size_t i;

	for (i = 0; err == MD_ERR_NOTFOUND && i < msg->n_to; i++)
		err = by_address(cfg, db, msg->to_addrs[i], res);
	for (i = 0; err == MD_ERR_NOTFOUND && i < msg->n_cc; i++)
		err = by_address(cfg, db, msg->cc_addrs[i], res);
	for (i = 0; err == MD_ERR_NOTFOUND && i < msg->n_headers; i++) {
		const char *v = msg->headers[i].value;
		char addr[STAFFAUTH_ADDR_MAX];
		size_t n;

		if (strcasecmp(msg->headers[i].name, "Delivered-To") != 0 &&
		    strcasecmp(msg->headers[i].name, "X-Original-To") != 0)
			continue;
		v += blanks_at(v);
		if (*v == '<')
			v++;
		n = strcspn(v, "> \t");
		if (n == 0 || n >= sizeof(addr))
			continue;
		memcpy(addr, v, n);
		addr[n] = '\0';
		for (size_t k = 0; k < n; k++)
			if (addr[k] >= 'A' && addr[k] <= 'Z')
				addr[k] = (char)(addr[k] - 'A' + 'a');
		err = by_address(cfg, db, addr, res);
	}
	return err;
}

enum md_err
thread_find(const struct md_config *cfg, struct db *db, const struct message *msg,
    struct thread_result *res)
{
	char number[CASE_NUMBER_MAX];
	enum md_err err = MD_ERR_NOTFOUND;

	memset(res, 0, sizeof(*res));
	if (thread_find_tag(msg->subject, cfg->case_prefix, number, sizeof(number))) {
		if (db == NULL) {
			res->via = THREAD_VIA_TAG;
			snprintf(res->case_number, sizeof(res->case_number), "%s", number);
			return MD_OK;
		}
		err = try_number(db, number, THREAD_VIA_TAG, res);
	}
	if (db == NULL)
		return MD_OK;
	if (err == MD_ERR_NOTFOUND)
		err = by_references(db, msg, res);
	if (err == MD_ERR_NOTFOUND)
		err = by_addresses(cfg, db, msg, res);
	if (err == MD_ERR_NOTFOUND) {
		memset(res, 0, sizeof(*res));
		err = MD_OK;
	}
	return err;
}

/* Is address the requester of c, or one of the addresses of c's member? */
static enum md_err
is_requester(struct db *db, const struct case_record *c, const char *address, int *yes)
{
	struct member *m = NULL;
	enum md_err err;
	size_t i;

	*yes = c->requester_email && strcasecmp(c->requester_email, address) == 0;
	if (*yes || c->member_id == 0)
		return MD_OK;
	err = member_get(db, c->member_id, &m);
	if (err == MD_ERR_NOTFOUND)
		return MD_OK;
	if (err)
		return err;
	for (i = 0; i < m->n_addresses && !*yes; i++)
		*yes = strcasecmp(m->addresses[i], address) == 0;
	member_free(m);
	return MD_OK;
}

/* The requester of any case of the joint case parent_id (the parent itself included). */
static enum md_err
is_joint_member(struct db *db, int64_t parent_id, const char *address, int *yes)
{
	struct case_record *parent = NULL, *kids = NULL;
	size_t n = 0, i;
	enum md_err err;

	err = case_get(db, parent_id, &parent);
	if (err)
		return err == MD_ERR_NOTFOUND ? MD_OK : err;
	err = is_requester(db, parent, address, yes);
	if (err == MD_OK && !*yes)
		err = case_list_joint(db, parent_id, &kids, &n);
	for (i = 0; err == MD_OK && i < n && !*yes; i++)
		err = is_requester(db, &kids[i], address, yes);
	case_list_free(kids, n);
	case_record_free(parent);
	return err;
}

enum md_err
thread_participant(const struct md_config *cfg, struct db *db, int64_t case_id,
    const char *address, enum thread_party *party)
{
	struct case_record *c = NULL;
	enum md_err err;
	int yes = 0;

	*party = THREAD_PARTY_NONE;
	err = case_get(db, case_id, &c);
	if (err)
		return err;
	if (address == NULL || *address == '\0')
		goto out;
	if (config_find_staff(cfg, address) != NULL) {
		*party = THREAD_PARTY_STAFF;
		goto out;
	}
	err = is_requester(db, c, address, &yes);
	if (err == MD_OK && !yes)
		err = is_joint_member(db, c->joint_parent_id ? c->joint_parent_id : c->id,
		    address, &yes);
	if (err == MD_OK && yes)
		*party = THREAD_PARTY_MEMBER;
out:
	case_record_free(c);
	return err;
}
