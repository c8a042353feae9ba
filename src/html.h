/*
 * HTML mail bodies as readable text, with libxml2's forgiving HTML parser
 * (real mail has broken nesting, Word markup, conditional comments). Script,
 * style and head are dropped, blocks and <br> become line breaks, list
 * items get "- " or "1. ", links keep their text, entities are decoded,
 * runs of blank lines are collapsed.
 */
#ifndef MD_HTML_H
#define MD_HTML_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

/*
 * Convert the UTF-8 HTML html[0..len) (a <meta> charset inside is
 * ignored: the caller has converted already) and append the text to out.
 * MD_OK; MD_ERR_LIMIT when out filled up (the text so far is kept, cut on a
 * character boundary); MD_ERR_NOMEM; MD_ERR_INPUT when libxml2 could not
 * build any document (the caller keeps the part as an attachment).
 */
enum md_err html_to_text(const char *html, size_t len, struct buf *out);

/*
 * Set up libxml2 once, from the main thread, before html_to_text() runs
 * on other threads: libxml2 initialises itself on first use, and that is
 * not safe to race. Harmless when repeated.
 */
void html_library_init(void);

#endif
