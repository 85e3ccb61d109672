/*
 * test_server_state_doc_cache.c: the stored documents a serving process
 * holds (server/state/doc_cache.c) and how prepare and completion use them
 * (server/api/signing_docs.c): one entry per contract, its newest revision;
 * past the byte bound a segmented LRU decides (a scan of new contracts does
 * not push out those asked for; a last signature's revision goes first); an
 * entry in use stays readable after it was replaced or evicted; threads
 * share it;
 * what the database says it sent decides whether the held bytes are used,
 * and a held entry the database does not match is dropped.
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "signing_int.h"
#include "state.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* A malloc'd document of len bytes, each the byte fill. */
static uint8_t *
doc(size_t len, int fill)
{
	uint8_t *d = malloc(len);

	ck_assert_ptr_nonnull(d);
	memset(d, fill, len);
	return d;
}

/* A malloc'd text of len letters. */
static char *
text(size_t len)
{
	char *t = malloc(len + 1);

	ck_assert_ptr_nonnull(t);
	memset(t, 'j', len);
	t[len] = '\0';
	return t;
}

/* Contract number holds revision seq of len bytes of fill; releases what it got. */
static int
holds(struct doc_cache *c, int64_t number, int seq, size_t len, int fill)
{
	const struct doc_cached *e = doc_cache_get(c, number);
	int ok;

	if (e == NULL)
		return 0;
	ok = e->number == number && e->seq == seq && e->len == len && e->data[0] == fill &&
	     e->data[len - 1] == fill;
	doc_cache_release(c, e);
	return ok;
}

START_TEST(one_entry_per_contract_newest_wins)
{
	const struct doc_cached *e;
	struct doc_cache *c = NULL;
	struct doc_cache_stats st;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(doc_cache_new(1 << 20, &c, &ei), SP_OK);
	ck_assert_ptr_null(doc_cache_get(c, 7));
	doc_cache_put_take(c, 7, 0, doc(100, 'a'), 100, SHA_A, NULL);
	ck_assert(holds(c, 7, 0, 100, 'a'));
	e = doc_cache_get(c, 7);
	ck_assert_str_eq(e->sha256_hex, SHA_A);
	doc_cache_release(c, e);
	/* a later revision replaces it; an older one does not come back */
	doc_cache_put_take(c, 7, 1, doc(150, 'b'), 150, SHA_B, NULL);
	ck_assert(holds(c, 7, 1, 150, 'b'));
	doc_cache_put_take(c, 7, 0, doc(100, 'a'), 100, SHA_A, NULL);
	ck_assert(holds(c, 7, 1, 150, 'b'));
	/* the same revision again (a reload after a mismatch) replaces it */
	doc_cache_put_take(c, 7, 1, doc(150, 'c'), 150, SHA_A, NULL);
	ck_assert(holds(c, 7, 1, 150, 'c'));
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.entries, 1);
	ck_assert_uint_eq(st.bytes, 150);
	/* what is refused is freed (ASan: no leak), not kept */
	doc_cache_put_take(c, 8, 0, doc(10, 'x'), 10, "short", NULL);
	doc_cache_put_take(c, 8, -1, doc(10, 'x'), 10, SHA_A, NULL);
	doc_cache_put_take(c, 8, 0, doc((2 << 20), 'x'), 2 << 20, SHA_A, NULL); /* over the bound */
	ck_assert_ptr_null(doc_cache_get(c, 8));
	doc_cache_free(c);
	/* 0 MiB: off; every call takes the NULL */
	ck_assert_int_eq(doc_cache_new(0, &c, &ei), SP_OK);
	ck_assert_ptr_null(c);
	doc_cache_put_take(c, 7, 0, doc(100, 'a'), 100, SHA_A, NULL);
	ck_assert_ptr_null(doc_cache_get(c, 7));
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.entries, 0);
}
END_TEST

/* d's revision of a contract no signer is left to open (a completion's last signature). */
static void
put_done(struct doc_cache *c, int64_t number, int seq, size_t len, int fill)
{
	doc_cache_put_parsed_take(c, number, seq, doc(len, fill), len, SHA_A, NULL, NULL, NULL, 0,
				  NULL, 0);
}

/* Contract number is not held (a get that finds nothing; nothing promoted). */
static int
gone(struct doc_cache *c, int64_t number)
{
	const struct doc_cached *e = doc_cache_get(c, number);

	doc_cache_release(c, e);
	return e == NULL;
}

/*
 * A scan of new contracts (uploads, loads) larger than the cache pushes out
 * only entries nobody asked for since they were put: the contracts a
 * prepare or a claim asked for stay (a plain LRU lost them all).
 */
START_TEST(a_scan_does_not_push_out_contracts_asked_for)
{
	struct doc_cache *c = NULL;
	struct doc_cache_stats st;
	struct sp_errinfo ei;
	int64_t n;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(doc_cache_new(1000, &c, &ei), SP_OK);
	doc_cache_put_take(c, 1, 0, doc(250, 1), 250, SHA_A, NULL);
	doc_cache_put_take(c, 2, 0, doc(250, 2), 250, SHA_A, NULL);
	ck_assert(holds(c, 1, 0, 250, 1) && holds(c, 2, 0, 250, 2)); /* asked for: protected */
	for (n = 10; n < 30; n++)
		doc_cache_put_take(c, n, 0, doc(250, (int)n), 250, SHA_A, NULL);
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.bytes, 1000);
	ck_assert_uint_eq(st.entries, 4);
	ck_assert_uint_eq(st.protected_bytes, 500);
	ck_assert_uint_eq(st.probation_bytes, 500); /* the scan's last two: 28, 29 */
	ck_assert_uint_eq(st.done_bytes, 0);
	ck_assert_uint_eq(st.evicted, 18);
	ck_assert(holds(c, 1, 0, 250, 1) && holds(c, 2, 0, 250, 2));
	ck_assert(holds(c, 28, 0, 250, 28) && holds(c, 29, 0, 250, 29));
	ck_assert(gone(c, 10) && gone(c, 27));
	doc_cache_free(c);
}
END_TEST

/*
 * Protected entries keep to their share (4/5 of the bound): past it the
 * least recently asked for goes back to probation, where the next new
 * entry pushes it out (a reference held across that stays readable). A
 * new contract's entry takes only probation's room and free room: larger,
 * it is not kept (admission by size); a contract asked for may take
 * protected room too.
 */
START_TEST(protected_share_and_admission_by_size)
{
	struct doc_cache *c = NULL;
	struct doc_cache_stats st;
	struct sp_errinfo ei;
	const struct doc_cached *kept;
	int64_t n;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(doc_cache_new(1000, &c, &ei), SP_OK);
	for (n = 1; n <= 4; n++)
		doc_cache_put_take(c, n, 0, doc(250, (int)n), 250, SHA_A, NULL);
	kept = doc_cache_get(c, 1);
	ck_assert_ptr_nonnull(kept);
	/* 2, 3, 4 asked for after 1: 1000 bytes protected, over 800: 1 back to probation */
	ck_assert(holds(c, 2, 0, 250, 2) && holds(c, 3, 0, 250, 3) && holds(c, 4, 0, 250, 4));
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.protected_bytes, 750);
	ck_assert_uint_eq(st.probation_bytes, 250);
	/* a new contract: 1 goes for it, its held reference stays good */
	doc_cache_put_take(c, 5, 0, doc(250, 5), 250, SHA_A, NULL);
	ck_assert(gone(c, 1));
	ck_assert(kept->len == 250 && kept->data[0] == 1 && kept->data[249] == 1);
	doc_cache_release(c, kept); /* freed now */
	/* a new contract larger than probation's 250 and no free room: not kept, and
	   nothing went for it */
	doc_cache_put_take(c, 6, 0, doc(700, 6), 700, SHA_A, NULL);
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.refused, 1);
	ck_assert_uint_eq(st.evicted, 1);
	ck_assert_uint_eq(st.entries, 4);
	ck_assert(gone(c, 6));
	/* a contract asked for (2, protected) replaced by a larger revision: probation (5)
	   goes first, then the least recently asked for (3); past the share, 4 back to
	   probation */
	doc_cache_put_take(c, 2, 1, doc(600, 'b'), 600, SHA_B, NULL);
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.bytes, 850);
	ck_assert_uint_eq(st.protected_bytes, 600);
	ck_assert_uint_eq(st.probation_bytes, 250);
	ck_assert_uint_eq(st.evicted, 3);
	ck_assert(gone(c, 5) && gone(c, 3));
	ck_assert(holds(c, 2, 1, 600, 'b'));
	doc_cache_free(c);
}
END_TEST

/*
 * A revision no signer is left to open (the last signature's) is kept only
 * in room nobody else needs: it pushes out nothing but such revisions, and
 * goes before anything else; asked for after all, it is an entry like any.
 */
START_TEST(the_last_revision_goes_first)
{
	struct doc_cache *c = NULL;
	struct doc_cache_stats st;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(doc_cache_new(1000, &c, &ei), SP_OK);
	doc_cache_put_take(c, 1, 0, doc(400, 1), 400, SHA_A, NULL); /* an upload, not asked for */
	doc_cache_put_take(c, 2, 0, doc(400, 2), 400, SHA_A, NULL);
	ck_assert(holds(c, 2, 0, 400, 2));
	put_done(c, 7, 1, 100, 7); /* free room */
	put_done(c, 8, 1, 150, 8); /* 50 free and 7's 100: 7 goes */
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.done_bytes, 150);
	ck_assert_uint_eq(st.evicted, 1);
	put_done(c, 9, 1, 300, 9); /* 50 free and 8's 150: not kept, nothing pushed out */
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.refused, 1);
	ck_assert_uint_eq(st.bytes, 950);
	ck_assert(gone(c, 9));
	/* a new contract takes the done room before probation's */
	doc_cache_put_take(c, 3, 0, doc(200, 3), 200, SHA_A, NULL);
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.done_bytes, 0);
	ck_assert_uint_eq(st.probation_bytes, 600); /* 1 and 3 */
	ck_assert(gone(c, 8));
	/* the last signature of a contract asked for: its entry replaced, counted as done */
	put_done(c, 2, 1, 100, 'z');
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.protected_bytes, 0);
	ck_assert_uint_eq(st.done_bytes, 100);
	/* asked for after all (a signer who joined since): protected */
	ck_assert(holds(c, 2, 1, 100, 'z'));
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.protected_bytes, 100);
	ck_assert_uint_eq(st.done_bytes, 0);
	ck_assert_uint_eq(st.protected_bytes + st.probation_bytes + st.done_bytes, st.bytes);
	doc_cache_free(c);
}
END_TEST

START_TEST(drop_forgets_while_held)
{
	struct doc_cache *c = NULL;
	struct doc_cache_stats st;
	struct sp_errinfo ei;
	const struct doc_cached *kept;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(doc_cache_new(1000, &c, &ei), SP_OK);
	doc_cache_put_take(c, 5, 0, doc(250, 5), 250, SHA_A, NULL);
	doc_cache_put_take(c, 6, 0, doc(700, 6), 700, SHA_A, NULL);
	/* drop: forgotten, while the holder's reference stays good */
	kept = doc_cache_get(c, 6);
	doc_cache_drop(c, kept);
	ck_assert(gone(c, 6));
	ck_assert(kept->data[699] == 6);
	doc_cache_drop(c, kept); /* twice: nothing more */
	doc_cache_release(c, kept);
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.entries, 1);
	ck_assert_uint_eq(st.bytes, 250);
	ck_assert_uint_eq(st.probation_bytes, 250);
	ck_assert_uint_eq(st.protected_bytes, 0);
	doc_cache_free(c);
}
END_TEST

START_TEST(session_notes)
{
	struct doc_cache *c = NULL;
	struct sp_errinfo ei;
	const struct doc_cached *h;
	const char *reply = "{\"seq\": 2, \"session\": \"0A1B2C3D-0000-4000-8000-00000000000F\", "
			    "\"expires_at\": \"2026-12-04T00:00:00Z\"}";

	sp_errinfo_init(&ei);
	ck_assert_int_eq(doc_cache_new(1 << 20, &c, &ei), SP_OK);
	doc_cache_put_take(c, 1000000000000000007LL, 2, doc(64, 'q'), 64, SHA_A, NULL);
	/* the stored prepare's reply names the session; its claim finds the contract's entry
	   whatever the case of the id in the path */
	signing_session_note(c, reply, strlen(reply), 1000000000000000007LL);
	ck_assert(doc_cache_session_number(c, "0a1b2c3d-0000-4000-8000-00000000000f") ==
		  1000000000000000007LL);
	h = signing_session_held(c, "0A1B2C3D-0000-4000-8000-00000000000F");
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(h->seq, 2);
	doc_cache_release(c, h);
	ck_assert_ptr_null(signing_session_held(c, "0a1b2c3d-0000-4000-8000-00000000000e"));
	ck_assert_ptr_null(signing_session_held(c, "short"));
	/* json's spacing too, and a reply without a session is no note */
	signing_session_note(c, "{\"session\":\"11111111-2222-4333-8444-555555555555\"}", 50, 9);
	ck_assert(doc_cache_session_number(c, "11111111-2222-4333-8444-555555555555") == 9);
	signing_session_note(c, "{\"seq\": 1}", 10, 10);
	doc_cache_free(c);
}
END_TEST

/*
 * What the statement said it sent decides: the held entry is used only for
 * the revision, length and digest it matched; when it sent everything, a
 * held entry is dropped; the document is whole either way.
 */
START_TEST(held_bytes_and_mismatch)
{
	struct doc_cache *c = NULL;
	struct sp_errinfo ei;
	struct db_revision_doc *base;
	struct db_doc_held hp;
	const struct doc_cached *h;
	const uint8_t *data;
	uint8_t sha[32];
	size_t len;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(doc_cache_new(1 << 20, &c, &ei), SP_OK);
	doc_cache_put_take(c, 42, 1, doc(100, 'h'), 100, SHA_A, NULL);
	h = doc_cache_get(c, 42);
	ck_assert_ptr_eq(signing_held(h, &hp), &hp);
	ck_assert(hp.seq == 1 && hp.len == 100 && strcmp(hp.sha256_hex, SHA_A) == 0);
	ck_assert_ptr_null(signing_held(NULL, &hp));
	/* a reply that claims another revision, length or digest than held: refused */
	ck_assert_int_eq(signing_held_check(c, &h, 0, 100, SHA_A), SP_ERR_INTERNAL);
	ck_assert_int_eq(signing_held_check(c, &h, 1, 99, SHA_A), SP_ERR_INTERNAL);
	ck_assert_int_eq(signing_held_check(c, &h, 1, 100, SHA_B), SP_ERR_INTERNAL);
	ck_assert_int_eq(signing_held_check(c, &h, 1, 100, SHA_A), SP_OK);

	/* the held revision and one update after it, joined on the worker */
	base = calloc(1, sizeof(*base));
	base->contract_number = 42;
	base->seq = 2;
	base->from_seq = 1;
	base->held_len = 100;
	base->data = doc(20, 'u');
	base->len = 20;
	base->length = 120;
	memset(sha, 0xbb, sizeof(sha)); /* the digest of the bytes, as prepare took it */
	snprintf(base->sha256, sizeof(base->sha256), "%s", SHA_B);
	ck_assert_int_eq(signing_base_bytes(base, h, &data, &len, &ei), SP_OK);
	ck_assert_int_eq((int)len, 120);
	ck_assert(data[0] == 'h' && data[99] == 'h' && data[100] == 'u' && data[119] == 'u');
	ck_assert_ptr_eq(data, base->data);
	/* kept as revision 2 (its digest is the stored one), in place of 1 */
	signing_base_keep(c, base, sha);
	ck_assert_ptr_null(base->data);
	db_revision_doc_free(base);
	doc_cache_release(c, h);
	h = doc_cache_get(c, 42);
	ck_assert(h->seq == 2 && h->len == 120 && h->data[0] == 'h' && h->data[119] == 'u');
	ck_assert_str_eq(h->sha256_hex, SHA_B);

	/* nothing after the held revision: its own bytes, no copy, nothing kept again */
	base = calloc(1, sizeof(*base));
	base->contract_number = 42;
	base->seq = 2;
	base->from_seq = 2;
	base->held_len = 120;
	base->data = malloc(1);
	base->length = 120;
	ck_assert_int_eq(signing_base_bytes(base, h, &data, &len, &ei), SP_OK);
	ck_assert_ptr_eq(data, h->data);
	ck_assert_int_eq((int)len, 120);
	db_revision_doc_free(base);

	/* the whole document came: a digest that is not the stored one is never kept */
	base = calloc(1, sizeof(*base));
	base->contract_number = 43;
	base->seq = 0;
	base->from_seq = -1;
	base->data = doc(30, 'w');
	base->len = base->length = 30;
	snprintf(base->sha256, sizeof(base->sha256), "%s", SHA_A);
	ck_assert_int_eq(signing_base_bytes(base, NULL, &data, &len, &ei), SP_OK);
	ck_assert_ptr_eq(data, base->data);
	signing_base_keep(c, base, sha); /* 0xbb..: not SHA_A */
	ck_assert_ptr_nonnull(base->data);
	ck_assert_ptr_null(doc_cache_get(c, 43));
	db_revision_doc_free(base);

	/* the statement sent everything although an entry was held: the entry goes */
	ck_assert_int_eq(signing_held_check(c, &h, -1, 0, ""), SP_OK);
	ck_assert_ptr_null(h);
	ck_assert_ptr_null(doc_cache_get(c, 42));
	/* and a reply that says it sent only what follows, when nothing is held, is refused */
	ck_assert_int_eq(signing_held_check(c, &h, 2, 120, SHA_B), SP_ERR_INTERNAL);
	doc_cache_free(c);
}
END_TEST

/*
 * Completion keeps the report it stored with the revision: held with the
 * document, counted in the bound, gone with the entry (a later revision
 * without one, or a reload, holds none), and the claim's parameter says so.
 */
START_TEST(report_held_with_the_document)
{
	struct doc_cache *c = NULL;
	struct doc_cache_stats st;
	struct sp_errinfo ei;
	struct db_doc_held hp;
	const struct doc_cached *h, *old;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(doc_cache_new(1000, &c, &ei), SP_OK);
	doc_cache_put_report_take(c, 9, 3, doc(100, 'r'), 100, SHA_A, NULL,
				  strdup("{\"verdict\":\"valid\"}"));
	h = doc_cache_get(c, 9);
	ck_assert_ptr_nonnull(h);
	ck_assert_str_eq(h->report, "{\"verdict\":\"valid\"}");
	ck_assert_uint_eq(h->report_len, 19);
	ck_assert_ptr_eq(signing_held(h, &hp), &hp);
	ck_assert_uint_eq(hp.report_len, 19);
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.bytes, 119);
	/* by part, as /metrics shows them (sealpact_doc_cache_bytes) */
	ck_assert_uint_eq(st.document_bytes, 100);
	ck_assert_uint_eq(st.report_bytes, 19);
	ck_assert_uint_eq(st.report_index_bytes + st.parse_bytes, 0);
	ck_assert_uint_eq(st.max_bytes, 1000);
	/* a later revision stored without a report: none held; the old entry stays readable */
	old = h;
	doc_cache_put_take(c, 9, 4, doc(120, 's'), 120, SHA_B, NULL);
	ck_assert_str_eq(old->report, "{\"verdict\":\"valid\"}");
	doc_cache_release(c, old);
	h = doc_cache_get(c, 9);
	ck_assert_ptr_null(h->report);
	ck_assert_uint_eq(h->report_len, 0);
	ck_assert_ptr_eq(signing_held(h, &hp), &hp);
	ck_assert_uint_eq(hp.report_len, 0);
	doc_cache_release(c, h);
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.bytes, 120);
	ck_assert_uint_eq(st.document_bytes, 120);
	ck_assert_uint_eq(st.report_bytes, 0);
	/* the report's bytes count: a new contract not asked for yet (10) goes to make room
	   for them */
	doc_cache_put_take(c, 10, 1, doc(600, 'x'), 600, SHA_A, NULL);
	doc_cache_put_report_take(c, 12, 1, doc(100, 'z'), 100, SHA_A, NULL, text(300));
	ck_assert(holds(c, 12, 1, 100, 'z'));
	ck_assert(holds(c, 9, 4, 120, 's'));
	ck_assert_ptr_null(doc_cache_get(c, 10));
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.bytes, 520);
	ck_assert_uint_eq(st.document_bytes, 220);
	ck_assert_uint_eq(st.report_bytes, 300);
	ck_assert_uint_eq(st.entries, 2);
	/* and a document with a report past the bound is not kept (both freed: ASan) */
	doc_cache_put_report_take(c, 11, 1, doc(500, 'y'), 500, SHA_A, NULL, text(501));
	ck_assert_ptr_null(doc_cache_get(c, 11));
	doc_cache_free(c);
}
END_TEST

/* Readers and writers on a few contracts at once: every read sees a whole entry. */
struct worker {
	struct doc_cache *c;
	int id, bad;
};

static void *
hammer(void *arg)
{
	struct worker *w = arg;
	const struct doc_cached *e;
	int i;
	size_t k;

	for (i = 0; i < 20000; i++) {
		int64_t n = 1 + (i * 7 + w->id) % 16;

		if (i % 5 == w->id % 5) {
			size_t len = 64 + (size_t)((i + w->id) % 512);
			int seq = i / 16;

			/* the fill is the seq's low byte and the length: one revision's bytes */
			doc_cache_put_take(w->c, n, seq, doc(len, seq & 0xff), len, SHA_A, NULL);
			continue;
		}
		if ((e = doc_cache_get(w->c, n)) == NULL)
			continue;
		if (e->number != n)
			w->bad++;
		for (k = 0; k < e->len; k++)
			if (e->data[k] != (e->seq & 0xff)) {
				w->bad++;
				break;
			}
		doc_cache_release(w->c, e);
	}
	return NULL;
}

START_TEST(threads_share_it)
{
	struct doc_cache *c = NULL;
	struct doc_cache_stats st;
	struct sp_errinfo ei;
	struct worker w[6];
	pthread_t t[6];
	int i;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(doc_cache_new(4096, &c, &ei), SP_OK); /* small: evictions under load */
	for (i = 0; i < 6; i++) {
		w[i].c = c;
		w[i].id = i;
		w[i].bad = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
	}
	for (i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(w[i].bad, 0);
	}
	doc_cache_stats(c, &st);
	ck_assert_uint_le(st.bytes, 4096);
	ck_assert_uint_eq(st.protected_bytes + st.probation_bytes + st.done_bytes, st.bytes);
	/* every entry replaced or evicted took its parts out with it */
	ck_assert_uint_eq(st.document_bytes + st.room_bytes + st.report_bytes +
				  st.report_index_bytes + st.parse_bytes,
			  st.bytes);
	ck_assert_uint_gt(st.hits, 0);
	doc_cache_free(c);
}
END_TEST

/* doc(cap, 0) with its first len bytes fill: a document with room after it */
static uint8_t *
roomy(size_t len, size_t cap, int fill)
{
	uint8_t *d = doc(cap, 0);

	memset(d, fill, len);
	return d;
}

/*
 * A completion writes its revision in the room after the held revision's
 * bytes (doc_cache_room_take) and keeps it on that buffer: the room is
 * lent to one completion at a time, the held revision's bytes read the same
 * throughout, and once a later revision's bytes follow them nobody may
 * write after the held one again (they would overwrite the later one's).
 */
START_TEST(room_lent_once_and_never_over_a_later_revision)
{
	const struct doc_cached *e0, *e1, *e2;
	struct doc_cache *c = NULL;
	struct doc_cache_stats st;
	struct sp_errinfo ei;
	uint8_t *p, *q;
	size_t cap = 0;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(doc_cache_new(1 << 20, &c, &ei), SP_OK);
	doc_cache_put_room_take(c, 7, 0, roomy(100, 300, 'a'), 100, 300, NULL, SHA_A, NULL, NULL,
				NULL, 0, NULL, 1);
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.document_bytes, 100);
	ck_assert_uint_eq(st.room_bytes, 200); /* held memory too, in the bound */
	ck_assert_uint_eq(st.bytes, 300);
	e0 = doc_cache_get(c, 7);
	ck_assert_ptr_nonnull(e0);
	ck_assert_ptr_null(doc_cache_room_take(c, e0, 201, &cap)); /* not that much */
	ck_assert_uint_eq(cap, 0);
	p = doc_cache_room_take(c, e0, 200, &cap);
	ck_assert_ptr_eq(p, e0->data);
	ck_assert_uint_eq(cap, 300);
	ck_assert_ptr_null(doc_cache_room_take(c, e0, 1, &cap)); /* lent once */
	/* given back (a completion that failed), lent again */
	doc_cache_room_return(c, e0);
	ck_assert_ptr_eq(doc_cache_room_take(c, e0, 1, &cap), p);
	memset(p + 100, 'b', 60);
	ck_assert(holds(c, 7, 0, 100, 'a'));
	/* kept on the room: the new revision is the old bytes and the update, in place */
	doc_cache_put_room_take(c, 7, 1, p, 160, 0, e0, SHA_B, NULL, NULL, NULL, 0, NULL, 1);
	e1 = doc_cache_get(c, 7);
	ck_assert_ptr_nonnull(e1);
	ck_assert_int_eq(e1->seq, 1);
	ck_assert_ptr_eq(e1->data, p);
	ck_assert_uint_eq(e1->len, 160);
	ck_assert_int_eq(e1->data[159], 'b');
	/* the replaced revision reads as it did, and its room is the new one's bytes */
	ck_assert_uint_eq(e0->len, 100);
	ck_assert_int_eq(e0->data[99], 'a');
	ck_assert_ptr_null(doc_cache_room_take(c, e0, 1, &cap));
	doc_cache_stats(c, &st);
	ck_assert_uint_eq(st.entries, 1);
	ck_assert_uint_eq(st.document_bytes, 160); /* one buffer, counted once */
	ck_assert_uint_eq(st.room_bytes, 140);
	/* the new one's room is what is left after it */
	ck_assert_ptr_null(doc_cache_room_take(c, e1, 141, &cap));
	q = doc_cache_room_take(c, e1, 140, &cap);
	ck_assert_ptr_eq(q, p);
	/* not kept (a newer revision landed meanwhile): the room is given back, the
	   buffer not freed (ASan: the entries still read it) */
	doc_cache_put_take(c, 7, 5, doc(50, 'n'), 50, SHA_A, NULL);
	memset(q + 160, 'c', 40);
	doc_cache_put_room_take(c, 7, 2, q, 200, 0, e1, SHA_B, NULL, NULL, NULL, 0, NULL, 1);
	ck_assert(holds(c, 7, 5, 50, 'n'));
	ck_assert_ptr_eq(doc_cache_room_take(c, e1, 140, &cap), p);
	doc_cache_room_return(c, e1);
	/* the newest entry holds a buffer of its own; the old two still read theirs */
	e2 = doc_cache_get(c, 7);
	ck_assert_ptr_ne(e2->data, p);
	ck_assert_int_eq(e0->data[0], 'a');
	ck_assert_int_eq(e1->data[159], 'b');
	doc_cache_release(c, e2);
	doc_cache_release(c, e0);
	doc_cache_release(c, e1); /* the last of the shared buffer's: freed here */
	doc_cache_free(c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server_state_doc_cache");
	TCase *tc = tcase_create("cache");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, one_entry_per_contract_newest_wins);
	tcase_add_test(tc, a_scan_does_not_push_out_contracts_asked_for);
	tcase_add_test(tc, protected_share_and_admission_by_size);
	tcase_add_test(tc, the_last_revision_goes_first);
	tcase_add_test(tc, drop_forgets_while_held);
	tcase_add_test(tc, session_notes);
	tcase_add_test(tc, held_bytes_and_mismatch);
	tcase_add_test(tc, report_held_with_the_document);
	tcase_add_test(tc, threads_share_it);
	tcase_add_test(tc, room_lent_once_and_never_over_a_later_revision);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
