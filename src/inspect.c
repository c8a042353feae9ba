#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "charset.h"
#include "inspect.h"

/* A JSON string that is valid even if s somehow is not UTF-8; json null for NULL. */
static json_t *
jstr(const char *s)
{
	struct buf b;
	unsigned st = 0;
	json_t *j;

	if (s == NULL)
		return json_null();
	if (utf8_valid(s, strlen(s)))
		return json_string(s);
	buf_init(&b, strlen(s) * 3 + 1);
	if (utf8_sanitize(s, strlen(s), &b, &st) != MD_OK) {
		buf_free(&b);
		return NULL;
	}
	j = json_string(b.data ? b.data : "");
	buf_free(&b);
	return j;
}

static int
set(json_t *obj, const char *key, json_t *v)
{
	return v == NULL || json_object_set_new(obj, key, v) != 0 ? -1 : 0;
}

static json_t *
date_json(time_t t)
{
	struct tm tm;
	char s[32];

	if (t == 0 || gmtime_r(&t, &tm) == NULL)
		return json_null();
	if (strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(s);
}

json_t *
inspect_message_json(const struct message *m)
{
	json_t *o, *atts, *warns, *a;
	size_t i;

	if ((o = json_object()) == NULL)
		return NULL;
	if (set(o, "subject", jstr(m->subject)) || set(o, "from", jstr(m->from_addr)) ||
	    set(o, "from_name", jstr(m->from_name)) || set(o, "date", date_json(m->date)) ||
	    set(o, "message_id", jstr(m->message_id)) || set(o, "text", jstr(m->text)))
		goto fail;
	if ((atts = json_array()) == NULL || set(o, "attachments", atts))
		goto fail;
	for (i = 0; i < m->n_attachments; i++) {
		const struct message_attachment *at = &m->attachments[i];

		if ((a = json_object()) == NULL || json_array_append_new(atts, a) != 0)
			goto fail;
		if (set(a, "filename", jstr(at->filename)) ||
		    set(a, "content_type", jstr(at->content_type)) ||
		    set(a, "size", json_integer((json_int_t)at->size)))
			goto fail;
	}
	if ((warns = json_array()) == NULL || set(o, "warnings", warns))
		goto fail;
	for (i = 0; i < m->n_warnings; i++)
		if (json_array_append_new(warns, jstr(m->warnings[i])) != 0)
			goto fail;
	return o;
 fail:
	json_decref(o);
	return NULL;
}

enum md_err
inspect_read_file(const char *path, size_t max, char **data, size_t *len)
{
	struct buf b;
	char chunk[65536];
	FILE *fp;
	size_t n;
	enum md_err err = MD_OK;
	int saved;

	*data = NULL;
	*len = 0;
	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "rb")) == NULL)
		return errno == ENOMEM ? MD_ERR_NOMEM : MD_ERR_IO;
	buf_init(&b, max);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if ((err = buf_append(&b, chunk, n)))
			break;
	saved = errno;
	if (!err && ferror(fp))
		err = MD_ERR_IO;
	if (fp != stdin)
		fclose(fp);
	if (err) {
		buf_free(&b);
		errno = saved;
		return err;
	}
	*len = b.len;
	if ((*data = buf_steal(&b)) == NULL)
		return MD_ERR_NOMEM;
	return MD_OK;
}
