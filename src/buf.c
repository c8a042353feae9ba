#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
buf_init(struct buf *b, size_t limit)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->limit = limit;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static enum md_err
buf_reserve(struct buf *b, size_t extra)
{
	size_t need, ncap;
	char *n;

	if (extra > b->limit || b->len > b->limit - extra)
		return MD_ERR_LIMIT;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return MD_OK;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > (size_t)-1 / 2 ? need : ncap * 2;
	if (ncap > b->limit + 1)
		ncap = b->limit + 1;
	n = realloc(b->data, ncap);
	if (n == NULL)
		return MD_ERR_NOMEM;
	b->data = n;
	b->cap = ncap;
	return MD_OK;
}

enum md_err
buf_append(struct buf *b, const void *p, size_t n)
{
	enum md_err err = buf_reserve(b, n);

	if (err)
		return err;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return MD_OK;
}

enum md_err
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

enum md_err
buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

enum md_err
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	enum md_err err;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return MD_ERR_INPUT;
	err = buf_reserve(b, (size_t)n);
	if (err)
		return err;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return MD_OK;
}

enum md_err
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	enum md_err err;

	va_start(ap, fmt);
	err = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return err;
}

char *
buf_steal(struct buf *b)
{
	char *p = b->data;

	if (p == NULL)
		p = strdup("");
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
