/*
 * Who is told what when a case changes. Every member of a joint case (art.
 * 14) gets each member notice, but addressed with THEIR own case number,
 * subject, name and thread: one member's wording of a request never reaches
 * another member, and each member's mail client keeps the case in the thread
 * it started. Staff notices name the case they are about.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deadline.h"
#include "log.h"
#include "msgstore.h"
#include "notify.h"
#include "workflow_int.h"

#define WF_MAX_VARS (WF_MAX_EXTRA_VARS + 12)
#define WF_MAX_RECIPIENTS 256

const char *
wf_via_name(enum wf_via via)
{
	switch (via) {
	case WF_VIA_MAIL:	return "mail";
	case WF_VIA_CLI:	return "cli";
	case WF_VIA_SYSTEM:	return "system";
	}
	return "system";
}

const char *
wf_actor_label(const struct wf_actor *a)
{
	if (a == NULL)
		return "system";
	if (a->address && *a->address)
		return a->address;
	if (a->name && *a->name)
		return a->name;
	return "system";
}

enum md_err
wf_date(struct wf_ctx *x, time_t t, struct buf *out)
{
	if (t == 0)
		return MD_OK;
	return deadline_format(t, x->env->cfg->timezone, x->lang, out);
}

/* The signature name: the configured name of the acting staff member, if any. */
static const char *
staff_name(struct wf_ctx *x)
{
	const struct staff_config *s;

	if (x->actor && x->actor->address &&
	    (s = config_find_staff(x->env->cfg, x->actor->address)) != NULL)
		return s->name;
	return "";
}

/*
 * Queue tmpl for case notice_case (whose number, subject and thread the
 * notice uses) to address to/to_name; the notice is filed with case
 * file_case (the joint case for joint members).
 */
static enum md_err
queue_one(struct wf_ctx *x, int64_t file_case, const struct case_record *nc, const char *to,
    const char *to_name, const char *signer, const char *tmpl,
    const struct template_var *extra, size_t nextra, enum notice_auto au)
{
	struct template_var vars[WF_MAX_VARS];
	struct notify_request rq;
	struct buf submitted;
	char tag[CASE_NUMBER_MAX + 2], *root = NULL;
	const char *refs[1];
	size_t n = 0, i;
	enum md_err err;

	if (nextra > WF_MAX_EXTRA_VARS)
		return MD_ERR_LIMIT;
	buf_init(&submitted, 128);
	err = wf_date(x, nc->submitted_at, &submitted);
	if (err)
		goto out;
	err = msgstore_thread_root(x->env->db, nc->id, &root);
	if (err)
		goto out;
	snprintf(tag, sizeof(tag), "[%s]", nc->number);
	vars[n].name = "case_number";		vars[n++].value = nc->number;
	vars[n].name = "case_tag";		vars[n++].value = tag;
	vars[n].name = "subject";		vars[n++].value = nc->subject;
	vars[n].name = "requester_name";	vars[n++].value = nc->requester_name;
	vars[n].name = "requester_unit";	vars[n++].value = nc->requester_unit;
	vars[n].name = "submitted_at";		vars[n++].value = submitted.data;
	vars[n].name = "staff_name";		vars[n++].value = signer;
	for (i = 0; i < nextra; i++)
		vars[n++] = extra[i];

	memset(&rq, 0, sizeof(rq));
	rq.case_id = file_case;
	rq.kind = tmpl;
	rq.template_name = tmpl;
	rq.lang = x->lang;
	rq.vars = vars;
	rq.nvars = n;
	rq.to_addr = to;
	rq.to_name = to_name && *to_name ? to_name : NULL;
	if (root) {
		refs[0] = root;
		rq.in_reply_to = root;
		rq.references = refs;
		rq.n_references = 1;
	}
	rq.thread_root = root;
	rq.thread_time = nc->created_at;
	rq.thread_topic = nc->subject;
	rq.auto_submitted = au;
	err = notify_queue(x->env->cfg, x->env->db, &rq, x->now, NULL);
	if (err == MD_OK)
		x->notices++;
out:
	free(root);
	buf_free(&submitted);
	return err;
}

static int
usable_address(const char *a)
{
	return a != NULL && *a && notice_address_valid(a);
}

enum md_err
wf_notify_requester(struct wf_ctx *x, const struct case_record *c,
    const struct case_record *notice_case, const char *tmpl,
    const struct template_var *vars, size_t nvars)
{
	if (!usable_address(notice_case->requester_email))
		return MD_OK;
	return queue_one(x, c->id, notice_case, notice_case->requester_email,
	    notice_case->requester_name, staff_name(x), tmpl, vars, nvars,
	    NOTICE_AUTO_GENERATED);
}

enum md_err
wf_notify_members(struct wf_ctx *x, const struct case_record *c, const char *tmpl,
    const struct template_var *vars, size_t nvars, enum notice_auto au)
{
	struct case_record *joint = NULL;
	const char *sent[WF_MAX_RECIPIENTS];
	size_t njoint = 0, nsent = 0, i, k;
	enum md_err err;

	err = case_list_joint(x->env->db, c->id, &joint, &njoint);
	if (err)
		return err;
	for (i = 0; i <= njoint && err == MD_OK; i++) {
		const struct case_record *nc = i == 0 ? c : &joint[i - 1];
		int dup = 0;

		if (!usable_address(nc->requester_email))
			continue;
		/* A member with two cases in one joint case hears it once. */
		for (k = 0; k < nsent; k++)
			if (strcasecmp(sent[k], nc->requester_email) == 0)
				dup = 1;
		if (dup)
			continue;
		if (nsent == WF_MAX_RECIPIENTS) {
			err = MD_ERR_LIMIT;
			break;
		}
		sent[nsent++] = nc->requester_email;
		err = queue_one(x, c->id, nc, nc->requester_email, nc->requester_name,
		    staff_name(x), tmpl, vars, nvars, au);
	}
	case_list_free(joint, njoint);
	return err;
}

enum md_err
wf_notify_staff(struct wf_ctx *x, const struct case_record *c, enum staff_role role,
    const char *tmpl, const struct template_var *vars, size_t nvars)
{
	const struct md_config *cfg = x->env->cfg;
	enum md_err err = MD_OK;
	size_t i;

	for (i = 0; i < cfg->n_staff && err == MD_OK; i++) {
		if (cfg->staff[i].role != role || !usable_address(cfg->staff[i].address))
			continue;
		err = queue_one(x, c->id, c, cfg->staff[i].address, cfg->staff[i].name,
		    cfg->staff[i].name, tmpl, vars, nvars, NOTICE_AUTO_GENERATED);
	}
	return err;
}
