/*
 * Which case a message belongs to. The case tag in the subject is looked
 * for wherever clients left it (after any Re:/回复:/AW:/Re[2]: prefixes,
 * in full-width brackets, without brackets, with en dashes or blanks);
 * without a tag, In-Reply-To/References are matched against the
 * Message-IDs we recorded (incoming mail and our own notices), then our
 * plus-address (chamber+<case>.<token>@domain) in To/Cc/Delivered-To/
 * X-Original-To. Finding the case is not attaching to it: the participant
 * check decides whether the sender may add to the case at all, so that a
 * stranger's mail carrying a tag never lands in another member's case.
 */
#ifndef MD_THREAD_H
#define MD_THREAD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "case.h"
#include "config.h"
#include "db.h"
#include "error.h"
#include "message.h"

enum thread_via {
	THREAD_VIA_NONE,
	THREAD_VIA_TAG,
	THREAD_VIA_REFERENCES,
	THREAD_VIA_ADDRESS
};

struct thread_result {
	enum thread_via via;
	int64_t case_id;                    /* 0 when not known (no database) */
	char case_number[CASE_NUMBER_MAX];  /* "" when no case */
};

enum thread_party {
	THREAD_PARTY_NONE,      /* anyone else: never attached to the case */
	THREAD_PARTY_MEMBER,    /* the requester, the requester's member, a joint member */
	THREAD_PARTY_STAFF      /* a listed staff address */
};

/*
 * Find the first case tag for prefix in s (UTF-8) and write the canonical
 * number ("MD-2026-0001", the prefix as configured) to number (numberlen
 * bytes, CASE_NUMBER_MAX is enough). Returns nonzero when one was found.
 * The prefix is matched case-insensitively and must not be glued to a
 * preceding letter or digit; between its parts any of '-', '_', en/em
 * dash, full-width hyphen or blanks may stand (at most three).
 */
int thread_find_tag(const char *s, const char *prefix, char *number, size_t numberlen);

/*
 * The subject without the reply and forward prefixes clients add
 * (Re: RE: Fw: Fwd: AW: WG: SV: VS: Antw: 回复: 答复: 回覆: 转发: 轉寄: ..., with
 * ':' or '：', Re[2]:, Re^2:, repeated). Returns a pointer into subject.
 */
const char *thread_strip_prefixes(const char *subject);

/*
 * Find the case msg belongs to. With db NULL only the subject tag is
 * looked at (via "tag", case_id 0). With a database a tag counts only when
 * the case exists; a case merged into a joint case is followed to the
 * joint case. res->via is THREAD_VIA_NONE when nothing matched.
 * Errors: database errors, MD_ERR_NOMEM.
 */
enum md_err thread_find(const struct md_config *cfg, struct db *db, const struct message *msg,
    struct thread_result *res);

/*
 * May address add to case case_id? *party says as whom: staff when the
 * address is listed in cfg; member when it is the case's requester
 * address, an address of the requester's member record, or the requester
 * (or member) of a case merged into this joint case, or of the joint case
 * this one was merged into. Errors: MD_ERR_NOTFOUND (no such case),
 * database errors.
 */
enum md_err thread_participant(const struct md_config *cfg, struct db *db, int64_t case_id,
    const char *address, enum thread_party *party);

/* "tag", "references", "address", or NULL for THREAD_VIA_NONE. */
const char *thread_via_name(enum thread_via via);

/*
 * {"case": "MD-2026-0001" | null, "via": "tag" | "references" | "address" | null}
 * as a new reference, NULL only when memory ran out.
 */
json_t *thread_result_json(const struct thread_result *res);

#endif
