/*
 * Private to automatic-mail detection (autodetect.c and autodetect_links.c):
 * the state of one check and the line helpers both files use.
 */
#ifndef MD_AUTODETECT_INT_H
#define MD_AUTODETECT_INT_H

#include <stddef.h>

#include "autodetect.h"
#include "error.h"
#include "message.h"

/* Indexes into autodetect.c's kinds[], most specific first. */
enum kind { K_LOOP, K_FEEDBACK, K_BOUNCE, K_AUTOREPLY, K_LIST, K_BULK, K_ROBOT, K_NONE };

/* One autodetect_check() call. */
struct ctx {
	const struct message *msg;
	const char *raw;
	size_t len;
	const struct autodetect_config *cfg;
	/* Top-level headers read from raw when msg is NULL. */
	struct message_header *rh;
	size_t n_rh;
	/* The headers in use: msg's or rh. */
	const struct message_header *hdrs;
	size_t n_hdrs;
	size_t body_off;
	enum kind kind;
	char reason[256];
	int n_signals;
	char note[200];         /* why a would-be signal was deliberately ignored */
};

/* The value of the first header called name (case-insensitive), or NULL. */
const char *ad_hdr_find(const struct ctx *c, const char *name);

/*
 * Line iterator over [*p, end): sets *line and *llen to the next line
 * without its CR LF and advances *p. Returns 0 at end.
 */
int ad_next_line(const char **p, const char *end, const char **line, size_t *llen);

/* Length of pfx when line starts with it (ASCII case-insensitive), else 0. */
size_t ad_prefix_ci(const char *line, size_t llen, const char *pfx);

/*
 * Fill v's bounce-linking fields (failed recipients, the original
 * Message-ID, delayed) from the message's headers, report parts, raw body
 * and text, within c->cfg's bounds. MD_OK or MD_ERR_NOMEM; what was found
 * before an error stays in v for autodetect_verdict_free().
 */
enum md_err autodetect_extract_links(struct ctx *c, struct auto_verdict *v);

#endif
