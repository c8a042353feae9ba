/*
 * Notice templates. A template is the file <dir>/<lang>/<name>.txt: the
 * first line is "Subject: ...", the second is blank, the rest is the body.
 * {{var}} inserts a value as plain text; {{#var}}...{{/var}} is shown only
 * when var is non-empty and {{^var}}...{{/var}} only when it is empty.
 *
 * The set of templates and the variables each one may use are fixed in
 * template.c (and documented in templates/README.md), so a typo in an
 * edited template is found when it is loaded (memberdeskd -n) instead of
 * silently producing an empty gap in a notice sent to a member.
 */
#ifndef MD_TEMPLATE_H
#define MD_TEMPLATE_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

/* Largest template file and largest rendered body, in bytes. */
#define TEMPLATE_MAX_FILE	(64 * 1024)
#define TEMPLATE_MAX_BODY	(1024 * 1024)
/* Largest rendered subject; a value inserted there is cut to this many bytes. */
#define TEMPLATE_MAX_SUBJECT	2048
#define TEMPLATE_MAX_SUBJECT_VALUE	300

/* The language used when the asked-for one has no such template. */
#define TEMPLATE_DEFAULT_LANG	"zh"

struct template_var {
	const char *name;    /* borrowed */
	const char *value;   /* borrowed, UTF-8; NULL is the same as "" */
};

/* A parsed and validated template (opaque). */
struct template;

/*
 * Nonzero when name is one of the templates memberdesk knows (ack,
 * accepted, ...). template_known_names() lists them, NULL-terminated.
 */
int template_is_known(const char *name);
const char *const *template_known_names(void);

/*
 * Nonzero when template name may use variable var. Lets callers and tests
 * check a variable list without rendering.
 */
int template_has_var(const char *name, const char *var);

/*
 * Parse the text of template name (len bytes). filename is used only in
 * error messages. On failure errbuf (may be NULL) receives one
 * "filename:line: problem" sentence.
 * Errors: MD_ERR_NOTFOUND (name is not a known template), MD_ERR_INPUT
 * (no Subject line, missing blank line, unknown placeholder, unbalanced
 * section, NUL byte, invalid UTF-8), MD_ERR_LIMIT (len > TEMPLATE_MAX_FILE),
 * MD_ERR_NOMEM.
 */
enum md_err template_parse(const char *name, const char *filename, const char *text,
    size_t len, char *errbuf, size_t errlen, struct template **out);

/*
 * Read and parse <dir>/<lang>/<name>.txt. When that file does not exist and
 * lang is not TEMPLATE_DEFAULT_LANG, the default language's file is used.
 * template_lang() tells which language was loaded.
 * Errors: as template_parse(), plus MD_ERR_INPUT for a lang that is not a
 * plain language tag, MD_ERR_NOTFOUND when neither file exists, MD_ERR_IO
 * when a file cannot be read.
 */
enum md_err template_load(const char *dir, const char *lang, const char *name,
    char *errbuf, size_t errlen, struct template **out);

/* The language of a loaded template ("" for template_parse() results). */
const char *template_lang(const struct template *t);
const char *template_name(const struct template *t);

/*
 * Expand t with vars. Variables the template may use but that are not in
 * vars expand to "". Each value is sanitised: invalid UTF-8 becomes U+FFFD,
 * control characters other than LF and TAB are removed from the body, and
 * in the subject every control character (CR, LF, TAB, ...) becomes a space
 * and a value is cut to TEMPLATE_MAX_SUBJECT_VALUE bytes at a character
 * boundary. *subject and *body are allocated (caller frees).
 * Errors: MD_ERR_INPUT (a var name the template does not know: a caller
 * bug, named in errbuf), MD_ERR_LIMIT (output too large), MD_ERR_NOMEM.
 */
enum md_err template_expand(const struct template *t, const struct template_var *vars,
    size_t nvars, char **subject, char **body, char *errbuf, size_t errlen);

/*
 * Load and expand in one call. used_lang (may be NULL) receives the
 * language actually used, at most usedlen bytes. Errors: as
 * template_load() and template_expand().
 */
enum md_err template_render(const char *dir, const char *lang, const char *name,
    const struct template_var *vars, size_t nvars, char **subject, char **body,
    char *used_lang, size_t usedlen, char *errbuf, size_t errlen);

/*
 * Loaded templates kept for reuse, so that a process sending many notices
 * reads and parses each file once instead of once per notice. An entry is
 * kept for the (dir, lang, name) asked for, whichever language was found;
 * changing dir empties the cache. Files edited after they were cached are
 * not seen until template_cache_clear(): the daemon clears it on reload.
 */
struct template_cache;

/* An empty cache. Errors: MD_ERR_NOMEM. */
enum md_err template_cache_new(struct template_cache **out);

/*
 * The template template_load(dir, lang, name) would give, loaded on the
 * first request and kept. *out is borrowed from the cache and stays valid
 * until template_cache_clear() or template_cache_free(). Failures are not
 * kept (a template added later is found). Errors: as template_load(),
 * plus MD_ERR_NOMEM.
 */
enum md_err template_cache_get(struct template_cache *c, const char *dir, const char *lang,
    const char *name, char *errbuf, size_t errlen, const struct template **out);

/* Forget every kept template (they are read again when next asked for). */
void template_cache_clear(struct template_cache *c);

/* Number of templates kept (for tests and diagnostics). */
size_t template_cache_size(const struct template_cache *c);

/* Free the cache and its templates; NULL is allowed. */
void template_cache_free(struct template_cache *c);

/*
 * Check a whole template directory for memberdeskd -n: every known template
 * must exist in TEMPLATE_DEFAULT_LANG, and every .txt file in every language
 * directory must be a known template that parses. Each problem is written
 * to errors (may be NULL) as one "file:line: problem" line.
 * Errors: MD_ERR_INPUT (some problem found), MD_ERR_IO (dir unreadable).
 */
enum md_err template_check_dir(const char *dir, FILE *errors);

void template_free(struct template *t);

#endif
