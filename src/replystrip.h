/*
 * The new words of a reply, without what the client quoted or appended:
 * ">" quotes, attribution lines ("On ... wrote:", "在 … 写道："), Outlook
 * and Foxmail/QQ/NetEase history blocks, forwarded-message separators,
 * "-- " signatures and "Sent from my iPhone" / "发自我的iPhone" lines.
 * What is relayed to a member, or read for feedback, must be what the
 * writer typed now, never the history under it (which may quote another
 * notice or another person).
 */
#ifndef MD_REPLYSTRIP_H
#define MD_REPLYSTRIP_H

#include <stddef.h>

#include "error.h"

/* Largest text looked at; longer input is refused rather than half stripped. */
#define REPLYSTRIP_MAX	(4u * 1024 * 1024)

/*
 * Strip the reply text (UTF-8, LF or CRLF line endings, NUL-terminated).
 * Everything from the first history marker or signature on is dropped;
 * quote lines are dropped wherever they are, so that an inline reply keeps
 * the writer's answers between the quotes. Lines keep their content but
 * lose trailing blanks; runs of blank lines become one; leading and
 * trailing blank lines go. *out (caller frees) may be "" when nothing new
 * was written.
 * Errors: MD_ERR_LIMIT (text longer than REPLYSTRIP_MAX), MD_ERR_NOMEM.
 */
enum md_err replystrip(const char *text, char **out);

#endif
