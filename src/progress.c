/*
 * Terminal progress line. Drawing costs a write(2) per update on an
 * unbuffered stderr, so updates are throttled by time rather than by
 * count: a fast loop draws ten times a second, a slow one every item.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

struct progress {
	FILE *fp;
	char label[PROGRESS_LABEL_MAX];
	long interval_ms;
	int64_t (*clock_ms)(void);
	int64_t last_ms;
	int drawn;		/* something is on the line */
	size_t width;		/* bytes of the last line, to blank it */
	size_t draws;
};

static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum md_err
progress_new(FILE *fp, const char *label, const struct progress_opts *opts,
    struct progress **out)
{
	struct progress *p;
	size_t i, j;

	*out = NULL;
	if (fp == NULL || ((opts == NULL || !opts->force) && !isatty(fileno(fp))))
		return MD_OK;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return MD_ERR_NOMEM;
	p->fp = fp;
	p->interval_ms = opts && opts->interval_ms > 0 ? opts->interval_ms :
	    PROGRESS_INTERVAL_MS;
	p->clock_ms = opts && opts->clock_ms ? opts->clock_ms : monotonic_ms;
	/* Control characters would move the cursor; cut at a character boundary. */
	for (i = j = 0; label && label[i] && j + 1 < sizeof(p->label); i++) {
		unsigned char c = (unsigned char)label[i];

		if (c < 0x20 || c == 0x7f)
			continue;
		p->label[j++] = (char)c;
	}
	if (label && label[i]) {
		while (j > 0 && ((unsigned char)p->label[j - 1] & 0xc0) == 0x80)
			j--;
		if (j > 0 && ((unsigned char)p->label[j - 1] & 0xc0) == 0xc0)
			j--;
	}
	p->label[j] = '\0';
	*out = p;
	return MD_OK;
}

static void
draw(struct progress *p, size_t done, size_t total)
{
	char line[PROGRESS_LABEL_MAX + 96];
	size_t n;

	if (total > 0)
		snprintf(line, sizeof(line), "%s %zu/%zu (%zu%%)", p->label, done, total,
		    done >= total ? 100 : (size_t)((double)done * 100.0 / (double)total));
	else
		snprintf(line, sizeof(line), "%s %zu", p->label, done);
	n = strlen(line);
	fprintf(p->fp, "\r%s", line);
	/* A shorter line leaves the tail of the longer one otherwise. */
	while (p->width > n) {
		fputc(' ', p->fp);
		p->width--;
	}
	p->width = n;
	fflush(p->fp);
	p->drawn = 1;
	p->draws++;
}

void
progress_update(struct progress *p, size_t done, size_t total)
{
	int64_t now;

	if (p == NULL)
		return;
	now = p->clock_ms();
	if (p->drawn && now - p->last_ms < p->interval_ms && !(total > 0 && done >= total))
		return;
	p->last_ms = now;
	draw(p, done, total);
}

void
progress_callback(void *arg, size_t done, size_t total)
{
	progress_update(arg, done, total);
}

void
progress_finish(struct progress *p)
{
	size_t i;

	if (p == NULL)
		return;
	if (p->drawn) {
		fputc('\r', p->fp);
		for (i = 0; i < p->width; i++)
			fputc(' ', p->fp);
		fputc('\r', p->fp);
		fflush(p->fp);
	}
	free(p);
}

size_t
progress_draws(const struct progress *p)
{
	return p ? p->draws : 0;
}
