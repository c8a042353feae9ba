/*
 * Internals shared by workflow.c (the state machine) and workflow_notice.c
 * (who is told what). Not for other modules.
 */
#ifndef MD_WORKFLOW_INT_H
#define MD_WORKFLOW_INT_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "case.h"
#include "config.h"
#include "notice.h"
#include "template.h"
#include "workflow.h"

/* Extra template variables one notice may carry besides the case's own. */
#define WF_MAX_EXTRA_VARS 16

/* One action in progress. */
struct wf_ctx {
	const struct wf_env *env;
	const struct wf_actor *actor;
	time_t now;
	const char *lang;           /* "zh" or "en" */
	int zh;
	struct buf *out;            /* transcript line, may be NULL */
	int notices;                /* queued so far */
};

/* Start an action: language from the configuration, no notices yet. */
void wf_ctx_init(struct wf_ctx *x, const struct wf_env *env, const struct wf_actor *actor,
    time_t now, struct buf *out);

/* WF_REGISTER (workflow_register.c): a request taken on a member's behalf (art. 6). */
enum md_err wf_do_register(struct wf_ctx *x, const struct wf_command *cmd,
    struct wf_result *res);

/* The label of an art. 8 ground ("other" is also a type: wf_label() gives that one). */
const char *wf_ground_label(const char *ground, const char *lang);

/* Actor as stored in events: the address, else the name, else "system". */
const char *wf_actor_label(const struct wf_actor *a);
/* "mail", "cli" or "system". */
const char *wf_via_name(enum wf_via via);

/* Append the local date of t as notices print it; "" for t == 0. */
enum md_err wf_date(struct wf_ctx *x, time_t t, struct buf *out);

/*
 * Queue template tmpl to every member of case c: its requester and, for a
 * joint case, the requester of every case merged into it (each address
 * once, each greeted by their own name and thread). Members without a
 * valid address are skipped. vars are the template's own variables.
 */
enum md_err wf_notify_members(struct wf_ctx *x, const struct case_record *c, const char *tmpl,
    const struct template_var *vars, size_t nvars, enum notice_auto au);

/* Queue tmpl about c to one member case's requester only (e.g. "merged"). */
enum md_err wf_notify_requester(struct wf_ctx *x, const struct case_record *c,
    const struct case_record *notice_case, const char *tmpl,
    const struct template_var *vars, size_t nvars);

/* Queue tmpl about c to every configured staff member of role. */
enum md_err wf_notify_staff(struct wf_ctx *x, const struct case_record *c,
    enum staff_role role, const char *tmpl, const struct template_var *vars, size_t nvars);

#endif
