#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "hdrdecode.h"

#define ADDR_MAX	254
#define NAME_MAX_BYTES	1024

int
addr_spec_valid(const char *s)
{
	const char *at = NULL, *p;

	if (s == NULL || *s == '\0' || strlen(s) > ADDR_MAX)
		return 0;
	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c >= 0x7f || strchr("\"()<>[]\\,;:", c) != NULL)
			return 0;
		if (c == '@') {
			if (at != NULL)
				return 0;
			at = p;
		}
	}
	if (at == NULL || at == s || at[1] == '\0' || at[1] == '.' || p[-1] == '.')
		return 0;
	return 1;
}

void
addr_list_free(struct addr *a, size_t n)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(a[i].name);
		free(a[i].addr);
	}
	free(a);
}

/*
 * Take one mailbox in[0..len): the display name (quotes removed, comments
 * kept aside) into name, the address into spec.
 */
static enum md_err
split_mailbox(const char *in, size_t len, struct buf *name, struct buf *spec,
    struct buf *comment)
{
	size_t i, lt = len, gt;
	int q = 0, depth = 0;
	enum md_err err = MD_OK;

	for (i = 0; i < len; i++) {
		if (q) {
			if (in[i] == '\\' && i + 1 < len)
				i++;
			else if (in[i] == '"')
				q = 0;
		} else if (depth) {
			if (in[i] == '(')
				depth++;
			else if (in[i] == ')')
				depth--;
		} else if (in[i] == '"')
			q = 1;
		else if (in[i] == '(')
			depth = 1;
		else if (in[i] == '<') {
			lt = i;
			break;
		}
	}
	/* Outside the angle brackets: the name (or, without brackets, the address). */
	q = depth = 0;
	for (i = 0; i < lt && !err; i++) {
		char c = in[i];

		if (q) {
			if (c == '\\' && i + 1 < lt)
				err = buf_putc(name, in[++i]);
			else if (c == '"')
				q = 0;
			else
				err = buf_putc(name, c);
		} else if (depth) {
			if (c == '(')
				depth++;
			else if (c == ')' && --depth == 0) {
				err = buf_putc(comment, ' ');
				continue;
			}
			if (!err && depth)
				err = buf_putc(comment, c);
		} else if (c == '"')
			q = 1;
		else if (c == '(')
			depth = 1;
		else
			err = buf_putc(name, c);
	}
	if (err)
		return err;
	if (lt == len) {
		/* "addr" or "addr (Name)": what we gathered as name is the address. */
		err = buf_append(spec, name->data ? name->data : "", name->len);
		buf_reset(name);
		if (!err && comment->len > 0)
			err = buf_append(name, comment->data, comment->len);
		return err;
	}
	for (gt = lt + 1; gt < len && in[gt] != '>'; gt++)
		;
	i = lt + 1;
	/* Obsolete source route "<@a,@b:user@host>". */
	if (i < gt && in[i] == '@') {
		size_t c;

		for (c = i; c < gt && in[c] != ':'; c++)
			;
		if (c < gt)
			i = c + 1;
	}
	return buf_append(spec, in + i, gt - i);
}

static enum md_err
add_mailbox(const char *in, size_t len, const char *hint, struct addr *a, unsigned *status)
{
	struct buf name, spec, comment;
	size_t s, e, k;
	enum md_err err;

	a->name = a->addr = NULL;
	buf_init(&name, NAME_MAX_BYTES);
	buf_init(&spec, 4 * ADDR_MAX);
	buf_init(&comment, NAME_MAX_BYTES);
	err = split_mailbox(in, len, &name, &spec, &comment);
	if (err && err != MD_ERR_LIMIT)
		goto out;
	err = hdr_decode_str(name.data ? name.data : "", name.len, hint, NAME_MAX_BYTES,
	    &a->name, status);
	if (err)
		goto out;
	if (spec.data != NULL) {
		for (s = 0; s < spec.len && isspace((unsigned char)spec.data[s]); s++)
			;
		for (e = spec.len; e > s && isspace((unsigned char)spec.data[e - 1]); e--)
			;
		spec.data[e] = '\0';
		for (k = s; k < e; k++)
			spec.data[k] = (char)tolower((unsigned char)spec.data[k]);
		if (addr_spec_valid(spec.data + s) && (a->addr = strdup(spec.data + s)) == NULL)
			err = MD_ERR_NOMEM;
	}
 out:
	buf_free(&name);
	buf_free(&spec);
	buf_free(&comment);
	return err;
}

static int
blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isspace((unsigned char)s[i]))
			return 0;
	return 1;
}

enum md_err
addr_parse_list(const char *in, size_t len, const char *hint, size_t max,
    struct addr **out, size_t *n, unsigned *status)
{
	struct addr *list;
	size_t i, start = 0, cnt = 0;
	int q = 0, depth = 0, angle = 0, seen_lt = 0;
	enum md_err err = MD_OK;

	*out = NULL;
	*n = 0;
	list = calloc(max ? max : 1, sizeof(*list));
	if (list == NULL)
		return MD_ERR_NOMEM;
	for (i = 0; i <= len && cnt < max; i++) {
		char c = i < len ? in[i] : ',';

		if (q) {
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == '"')
				q = 0;
			if (i < len)
				continue;
		} else if (depth) {
			if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			if (i < len)
				continue;
		}
		if (c == '"') {
			q = 1;
			continue;
		}
		if (c == '(') {
			depth = 1;
			continue;
		}
		if (c == '<') {
			angle = seen_lt = 1;
			continue;
		}
		if (c == '>') {
			angle = 0;
			continue;
		}
		if (angle && i < len)
			continue;
		if (c == ':' && !seen_lt) {
			start = i + 1;	/* group name: drop it, keep the members */
			continue;
		}
		if (c != ',' && c != ';')
			continue;
		if (!blank(in + start, i - start)) {
			err = add_mailbox(in + start, i - start, hint, &list[cnt], status);
			cnt++;
			if (err)
				break;
		}
		start = i + 1;
		seen_lt = angle = 0;
		q = depth = 0;
	}
	if (err) {
		addr_list_free(list, cnt);
		return err;
	}
	*out = list;
	*n = cnt;
	return MD_OK;
}
