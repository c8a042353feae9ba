/*
 * The fetch thread's queue (src/fetchq.c) with a stand-in source in place
 * of the IMAP connection: order and chunk ends, parsing on the thread,
 * marking only what was handed back, fetch and mark errors, stopping
 * early, spool mappings that stay valid while the caller has them, and
 * classification worked out ahead on the thread.
 * The IMAP side itself runs against Dovecot in the integration tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fetchq.h"
#include "testenv.h"
#include "triage.h"

#define MAX_CALLS 64

struct fake {
	size_t big_from;            /* UIDs >= this are handed over as "spool mappings" */
	uint32_t fail_at;           /* fetch() fails with fail_err before this UID; 0: never */
	enum md_err fail_err;
	enum md_err mark_err;
	uint32_t marked[4096];      /* every UID mark() was given, in order */
	size_t n_marked;
	size_t mark_calls;
	size_t largest_mark;        /* the most UIDs one mark() call was given */
	size_t fetch_calls;
	size_t handed;              /* messages handed to the queue */
	int overwritten_ok;         /* a mapping was still intact when its handler returned */
};

static void
message_text(uint32_t uid, char *buf, size_t len)
{
	snprintf(buf, len, "From: m%u@members.test\r\nTo: chamber@chamber.test\r\n"
	    "Subject: request %u\r\nMessage-ID: <r%u@members.test>\r\n\r\nbody %u\r\n",
	    (unsigned)uid, (unsigned)uid, (unsigned)uid, (unsigned)uid);
}

static enum md_err
fake_fetch(void *arg, const uint32_t *uids, size_t n, const struct imap_fetch_handler *h)
{
	struct fake *f = arg;
	enum md_err err = MD_OK;
	char small[512];
	size_t i;

	f->fetch_calls++;
	for (i = 0; i < n && err == MD_OK; i++) {
		if (f->fail_at && uids[i] >= f->fail_at)
			return f->fail_err;
		if (uids[i] >= f->big_from) {
			size_t len = IMAP_SPOOL_MIN + 100;
			char *map = malloc(len + 1);

			assert_non_null(map);
			message_text(uids[i], small, sizeof(small));
			memset(map, 'x', len);
			memcpy(map, small, strlen(small));
			map[len] = '\0';
			err = h->message(uids[i], map, len, h->arg);
			/* Like a spool file: gone once the handler returned. */
			f->overwritten_ok = err == MD_OK && map[len - 1] == 'x';
			memset(map, 'Z', len);
			free(map);
		} else {
			message_text(uids[i], small, sizeof(small));
			err = h->message(uids[i], small, strlen(small), h->arg);
			memset(small, 'Z', sizeof(small));
		}
		if (err == MD_OK)
			f->handed++;
	}
	return err;
}

static enum md_err
fake_mark(void *arg, const uint32_t *uids, size_t n)
{
	struct fake *f = arg;

	f->mark_calls++;
	if (f->mark_err)
		return f->mark_err;
	assert_true(f->n_marked + n <= sizeof(f->marked) / sizeof(f->marked[0]));
	memcpy(f->marked + f->n_marked, uids, n * sizeof(*uids));
	f->n_marked += n;
	if (n > f->largest_mark)
		f->largest_mark = n;
	return MD_OK;
}

static void
uids_from(uint32_t *uids, size_t n, uint32_t first)
{
	size_t i;

	for (i = 0; i < n; i++)
		uids[i] = first + (uint32_t)i;
}

/* Messages come in order, parsed, with a chunk end after every chunk; marks follow the caller. */
static void
test_order_chunks_and_marks(void **state)
{
	struct testenv *env = *state;
	struct fake f = { .big_from = UINT32_MAX };
	struct fetchq_source src = { fake_fetch, fake_mark, &f };
	struct fetchq *q;
	struct fetchq_item *it;
	uint32_t uids[250], chunk_uids[100];
	size_t got = 0, ends = 0, in_chunk = 0, i;
	char subject[64];

	uids_from(uids, 250, 1001);
	assert_int_equal(fetchq_start(&src, uids, 250, 100, env->cfg, NULL, &q), MD_OK);
	for (;;) {
		it = fetchq_next(q);
		if (it->kind == FETCHQ_END) {
			assert_int_equal(it->err, MD_OK);
			break;
		}
		if (it->kind == FETCHQ_CHUNK_END) {
			ends++;
			assert_int_equal(fetchq_mark(q, chunk_uids, in_chunk), MD_OK);
			in_chunk = 0;
		} else {
			assert_int_equal(it->kind, FETCHQ_MESSAGE);
			assert_int_equal(it->uid, uids[got]);
			assert_int_equal(it->prep_err, MD_OK);
			assert_non_null(it->prep.msg);
			snprintf(subject, sizeof(subject), "request %u", (unsigned)it->uid);
			assert_string_equal(it->prep.msg->subject, subject);
			assert_int_equal(strlen(it->prep.sha256), 64);
			assert_false(it->borrowed);
			chunk_uids[in_chunk++] = it->uid;
			got++;
		}
		fetchq_done(q, it);
	}
	assert_int_equal(got, 250);
	assert_int_equal(ends, 3);
	/* FETCHQ_END again when asked again. */
	assert_int_equal(fetchq_next(q)->kind, FETCHQ_END);
	assert_int_equal(fetchq_finish(q), MD_OK);
	assert_int_equal(f.fetch_calls, 3);
	assert_int_equal(f.n_marked, 250);
	for (i = 0; i < 250; i++)
		assert_int_equal(f.marked[i], uids[i]);
}

/*
 * Marks asked for chunk by chunk are gathered into a few large ones (each
 * MOVE costs the server a fixed time), in order, and none is left over.
 */
static void
test_marks_gathered(void **state)
{
	struct testenv *env = *state;
	struct fake f = { .big_from = UINT32_MAX };
	struct fetchq_source src = { fake_fetch, fake_mark, &f };
	struct fetchq *q;
	struct fetchq_item *it;
	uint32_t uids[2000], chunk_uids[100];
	size_t in_chunk = 0, i;

	uids_from(uids, 2000, 1);
	assert_int_equal(fetchq_start(&src, uids, 2000, 100, env->cfg, NULL, &q), MD_OK);
	while ((it = fetchq_next(q))->kind != FETCHQ_END) {
		if (it->kind == FETCHQ_CHUNK_END) {
			assert_int_equal(fetchq_mark(q, chunk_uids, in_chunk), MD_OK);
			in_chunk = 0;
		} else
			chunk_uids[in_chunk++] = it->uid;
		fetchq_done(q, it);
	}
	assert_int_equal(fetchq_finish(q), MD_OK);
	assert_int_equal(f.fetch_calls, 20);
	assert_int_equal(f.n_marked, 2000);
	for (i = 0; i < 2000; i++)
		assert_int_equal(f.marked[i], uids[i]);
	/* 20 chunks: 4 marks of 500 while fetching, the last chunks' as they come. */
	assert_true(f.largest_mark >= 500);
	assert_true(f.mark_calls <= 8);
}

/* A fetch failure ends the chunk, then the queue; what came before is delivered. */
static void
test_fetch_error(void **state)
{
	struct testenv *env = *state;
	struct fake f = { .big_from = UINT32_MAX, .fail_at = 130, .fail_err = MD_ERR_TEMP };
	struct fetchq_source src = { fake_fetch, fake_mark, &f };
	struct fetchq *q;
	struct fetchq_item *it;
	uint32_t uids[300];
	size_t got = 0, ends = 0;

	uids_from(uids, 300, 1);
	assert_int_equal(fetchq_start(&src, uids, 300, 100, env->cfg, NULL, &q), MD_OK);
	while ((it = fetchq_next(q))->kind != FETCHQ_END) {
		if (it->kind == FETCHQ_CHUNK_END)
			ends++;
		else
			got++;
		fetchq_done(q, it);
	}
	assert_int_equal(it->err, MD_ERR_TEMP);
	assert_int_equal(got, 129);
	assert_int_equal(ends, 2);
	assert_int_equal(fetchq_mark(q, uids, 100), MD_OK);
	/* The connection is reported lost; the marks asked for were still tried. */
	assert_int_equal(fetchq_finish(q), MD_ERR_TEMP);
	assert_int_equal(f.n_marked, 100);
}

/* Stopping early: what was fetched ahead is dropped and never marked. */
static void
test_finish_early(void **state)
{
	struct testenv *env = *state;
	struct fake f = { .big_from = UINT32_MAX };
	struct fetchq_source src = { fake_fetch, fake_mark, &f };
	struct fetchq *q;
	struct fetchq_item *it;
	uint32_t uids[1000];
	size_t i;

	uids_from(uids, 1000, 1);
	assert_int_equal(fetchq_start(&src, uids, 1000, 100, env->cfg, NULL, &q), MD_OK);
	for (i = 0; i < 5; i++) {
		it = fetchq_next(q);
		assert_int_equal(it->kind, FETCHQ_MESSAGE);
		fetchq_done(q, it);
	}
	assert_int_equal(fetchq_mark(q, uids, 5), MD_OK);
	assert_int_equal(fetchq_finish(q), MD_OK);
	assert_int_equal(f.n_marked, 5);
	/* One chunk ahead at most: the thread did not run through the mailbox. */
	assert_true(f.handed <= 300);
}

/* A spool mapping is handed over as is and stays valid until the caller is done. */
static void
test_mapping_kept_until_done(void **state)
{
	struct testenv *env = *state;
	struct fake f = { .big_from = 3 };
	struct fetchq_source src = { fake_fetch, fake_mark, &f };
	struct fetchq *q;
	struct fetchq_item *it;
	uint32_t uids[4];
	size_t n = 0;

	uids_from(uids, 4, 1);
	assert_int_equal(fetchq_start(&src, uids, 4, 100, env->cfg, NULL, &q), MD_OK);
	while ((it = fetchq_next(q))->kind != FETCHQ_END) {
		if (it->kind == FETCHQ_MESSAGE && it->uid >= 3) {
			assert_true(it->borrowed);
			assert_int_equal(it->len, IMAP_SPOOL_MIN + 100);
			/* The source would overwrite it on return: it has not yet. */
			assert_int_equal(it->raw[it->len - 1], 'x');
			assert_string_equal(it->prep.msg->from_addr, uids[n] == 3 ?
			    "m3@members.test" : "m4@members.test");
		}
		if (it->kind == FETCHQ_MESSAGE)
			n++;
		fetchq_done(q, it);
	}
	assert_int_equal(n, 4);
	assert_int_equal(fetchq_finish(q), MD_OK);
	assert_true(f.overwritten_ok);
}

/* A failed mark is reported by fetchq_finish(). */
static void
test_mark_error(void **state)
{
	struct testenv *env = *state;
	struct fake f = { .big_from = UINT32_MAX, .mark_err = MD_ERR_TEMP };
	struct fetchq_source src = { fake_fetch, fake_mark, &f };
	struct fetchq *q;
	struct fetchq_item *it;
	uint32_t uids[10];

	uids_from(uids, 10, 1);
	assert_int_equal(fetchq_start(&src, uids, 10, 100, env->cfg, NULL, &q), MD_OK);
	while ((it = fetchq_next(q))->kind != FETCHQ_END)
		fetchq_done(q, it);
	assert_int_equal(fetchq_mark(q, uids, 10), MD_OK);
	assert_int_equal(fetchq_finish(q), MD_ERR_TEMP);
	assert_true(f.mark_calls >= 1);
	assert_int_equal(f.n_marked, 0);
}

/*
 * Given a triage, the thread classifies each message ahead while the
 * caller classifies with the same triage (two threads reading it at
 * once), and what it worked out gives the caller's result.
 */
static void
test_classified_ahead(void **state)
{
	struct testenv *env = *state;
	struct fake f = { .big_from = 250 };
	struct fetchq_source src = { fake_fetch, fake_mark, &f };
	struct triage *t = NULL;
	struct classify_result *a, *b;
	struct fetchq *q;
	struct fetchq_item *it;
	uint32_t uids[260];
	size_t n = 0;
	char *ja, *jb;

	assert_int_equal(triage_load(env->cfg, NULL, stderr, &t), MD_OK);
	uids_from(uids, 260, 1);
	assert_int_equal(fetchq_start(&src, uids, 260, 100, env->cfg, t, &q), MD_OK);
	while ((it = fetchq_next(q))->kind != FETCHQ_END) {
		if (it->kind == FETCHQ_MESSAGE) {
			assert_int_equal(it->prep_err, MD_OK);
			assert_ptr_equal(it->prep.classified_by, t);
			/* The shipped rules never ask about membership. */
			assert_true(it->prep.classified.rules_done);
			assert_true(it->prep.classified.scores_done);
			assert_int_equal(triage_classify(t, env->cfg, NULL, it->prep.msg, NULL,
			    0, &a), MD_OK);
			assert_int_equal(triage_classify_precomputed(t, env->cfg, NULL,
			    it->prep.msg, NULL, &it->prep.classified, 0, &b), MD_OK);
			assert_non_null(ja = testenv_classify_json(a));
			assert_non_null(jb = testenv_classify_json(b));
			assert_string_equal(ja, jb);
			free(ja);
			free(jb);
			classify_result_free(a);
			classify_result_free(b);
			n++;
		}
		fetchq_done(q, it);
	}
	assert_int_equal(n, 260);
	assert_int_equal(fetchq_finish(q), MD_OK);
	triage_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_chunks_and_marks,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_fetch_error,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_finish_early,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_mapping_kept_until_done,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_marks_gathered, testenv_state_setup,
		    testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_mark_error,
		    testenv_state_setup, testenv_state_teardown),
		cmocka_unit_test_setup_teardown(test_classified_ahead,
		    testenv_state_setup, testenv_state_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
