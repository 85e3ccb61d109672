/*
 * test_verify_report.c: the verification report as the API and `sealpact
 * verify --json` render it (server/api/verify_report.c), on hand-made
 * reports: the exact text, nulls, and bytes that are not UTF-8. And
 * completion's merge into a stored report (verify_report_splice.c): the
 * splice writes what jansson's merge writes, byte for byte, on reports
 * k = 1..20 and on texts in any other shape (which it leaves to jansson).
 */
#include <check.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../support/report_chain.h"
#include "crypto.h"
#include "verify_report.h"

/* The renderer on a hand-made report: exact text, nulls, and bytes that are not UTF-8. */
START_TEST(report_json_is_exact_and_always_valid)
{
	struct crypto_sig_report sig;
	struct crypto_verify_report rep;
	char *t = NULL;
	size_t tl = 0;

	memset(&rep, 0, sizeof(rep));
	ck_assert_int_eq(verify_report_text(&rep, 4096, &t, &tl), SP_OK);
	ck_assert_str_eq(t,
			 "{\"verdict\":\"no_signature\",\"size\":0,\"revisions\":0,"
			 "\"last_revision_signed\":false,\"trailing_data\":false,\"reason\":null,"
			 "\"message\":\"no verifiable signature\",\"signatures\":[]}");
	ck_assert_uint_eq(tl, strlen(t));
	free(t);
	memset(&sig, 0, sizeof(sig));
	/* a truncated UTF-8 sequence and a stray continuation byte, a quote and a newline */
	snprintf(sig.field, sizeof(sig.field), "Sig\xe4\xb8\"\n\x80x");
	snprintf(sig.subfilter, sizeof(sig.subfilter), "/adbe.pkcs7.detached");
	snprintf(sig.reasons[0], sizeof(sig.reasons[0]), "bad_digest");
	sig.nreasons = 1;
	sig.verdict = CRYPTO_VERDICT_INVALID;
	sig.sig_obj = 7;
	sig.byte_range[1] = 10;
	sig.byte_range[2] = 20;
	sig.byte_range[3] = 5;
	sig.revision = 1;
	sig.structure_ok = 1;
	sig.digest_ok = 0;
	sig.signature_ok = sig.chain_ok = sig.timestamp_ok = sig.changes_ok = -1;
	sig.checked_at = 1700000000;
	rep.sigs = &sig;
	rep.nsigs = 1;
	rep.size = 25;
	rep.nrevisions = 1;
	rep.verdict = CRYPTO_VERDICT_INVALID;
	snprintf(rep.reason, sizeof(rep.reason), "unsigned_trailing_update");
	ck_assert_int_eq(verify_report_text(&rep, 4096, &t, &tl), SP_OK);
	ck_assert_str_eq(t,
			 "{\"verdict\":\"invalid\",\"size\":25,\"revisions\":1,"
			 "\"last_revision_signed\":false,\"trailing_data\":false,"
			 "\"reason\":\"unsigned_trailing_update\",\"message\":\"\",\"signatures\":"
			 "[{\"field\":\"Sig\xef\xbf\xbd\xef\xbf\xbd\\\"\\n\xef\xbf\xbdx\","
			 "\"object\":7,\"subfilter\":\"adbe.pkcs7.detached\",\"doc_timestamp\":"
			 "false,\"level\":null,\"revocation_embedded\":false,"
			 "\"certifying\":0,\"verdict\":\"invalid\",\"reasons\":[\"bad_digest\"],"
			 "\"message\":\"\",\"byte_range\":[0,10,20,5],\"revision\":1,\"checks\":"
			 "{\"structure\":true,\"digest\":false,\"signature\":null,\"chain\":null,"
			 "\"timestamp\":null,\"changes\":null},\"digest_algorithm\":\"\","
			 "\"signature_algorithm\":\"\",\"signer\":null,\"timestamp\":null,"
			 "\"checked_at\":\"2023-11-14T22:13:20Z\",\"changes\":{\"allowed\":0,"
			 "\"disallowed\":0,\"objects\":[]}}]}");
	free(t);
	ck_assert_int_eq(verify_report_text(&rep, 100, &t, &tl), SP_ERR_TOO_LARGE);
	ck_assert_ptr_null(t);
}
END_TEST

/*
 * Both merges of rep into the stored text base: the same result code and
 * the same bytes. Returns the splice's flag (1: the text was indexed);
 * want_spliced >= 0 asserts it. An indexed text is one jansson reads and
 * writes back unchanged (the shape the splice relies on). keep, when not
 * NULL, takes the merged text (the same bytes both ways; NULL when both
 * refused), so that a chain of merges does not make it a third time.
 */
static const char *what = ""; /* the case, for a failure's message */

static int
same_merge_keep(const char *base, const struct crypto_verify_report *rep, size_t max,
		int want_spliced, char **keep)
{
	json_t *j = json_loads(base, 0, NULL);
	struct verify_report_base *vb = NULL;
	char *a = NULL, *b = NULL, *back;
	void *idx = NULL;
	size_t al = 0, bl = 0, idxlen = 0;
	int ra, rb, spliced;
	json_int_t size = json_integer_value(json_object_get(j, "size"));

	ra = verify_report_merge_json(j, rep, max, &a, &al);
	ck_assert_int_eq(verify_report_base_open(base, &vb), SP_OK);
	spliced = verify_report_base_spliced(vb);
	/* completion's "covers" rule on the parsed report */
	ck_assert_int_eq(verify_report_base_covers(vb, (size_t)size), json_is_object(j));
	ck_assert_int_eq(verify_report_base_covers(vb, (size_t)size + 1), 0);
	rb = verify_report_base_merge(vb, rep, max, &b, &bl, &idx, &idxlen);
	ck_assert_msg(ra == rb, "jansson %d, splice %d on %.300s", ra, rb, base);
	/* the index the merge made of its result is what a scan of it finds */
	if (idx != NULL) {
		ck_assert_ptr_nonnull(b);
		ck_assert_msg(verify_report_index_matches(b, idx, idxlen), "index differs: %s", b);
	}
	free(idx);
	if (a == NULL) {
		ck_assert_ptr_null(b);
	} else {
		ck_assert_ptr_nonnull(b);
		ck_assert_msg(al == bl && memcmp(a, b, al) == 0 && strlen(b) == bl,
			      "splice differs:\n%s\n%s", a, b);
	}
	if (spliced) {
		back = json_dumps(j, JSON_COMPACT);
		ck_assert_ptr_nonnull(back);
		ck_assert_str_eq(back, base);
		free(back);
	}
	if (want_spliced >= 0)
		ck_assert_msg(spliced == want_spliced, "spliced %d, not %d (%s)", spliced,
			      want_spliced, what);
	verify_report_base_free(vb);
	json_decref(j);
	free(a);
	if (keep != NULL)
		*keep = b;
	else
		free(b);
	return spliced;
}

static int
same_merge(const char *base, const struct crypto_verify_report *rep, size_t max, int want_spliced)
{
	return same_merge_keep(base, rep, max, want_spliced, NULL);
}

/* The stored report after completion k of a chain (variant: report_chain.h), malloc'd. */
static char *
chain_report(size_t k, unsigned variant)
{
	struct crypto_verify_report rep;
	char *text = NULL, *next;
	size_t len, i;

	ck_assert_int_eq(chain_rep(&rep, 1, variant), 0);
	ck_assert_int_eq(verify_report_text(&rep, 1 << 24, &text, &len), SP_OK);
	chain_rep_free(&rep);
	for (i = 2; i <= k; i++) {
		ck_assert_int_eq(chain_rep(&rep, i, variant), 0);
		ck_assert_int_eq(verify_report_merge(text, &rep, 1 << 24, &next, &len), SP_OK);
		ck_assert_ptr_nonnull(next);
		chain_rep_free(&rep);
		free(text);
		text = next;
	}
	return text;
}

/*
 * A contract signed 20 times, every variant, each merge on the one before
 * as completion makes it (the index the merge made of it, kept with it):
 * the same text as the merge of the scanned text, an index at every
 * signing, and each index exactly what a scan of its text finds.
 */
START_TEST(kept_index_is_the_scan_k_1_to_20)
{
	struct crypto_verify_report rep;
	struct verify_report_base *vb;
	char *text, *next, *want;
	void *idx = NULL, *nidx;
	size_t k, len, idxlen = 0, nlen, wlen;
	unsigned variant;

	for (variant = 0; variant < 64; variant++) {
		text = chain_report(1, variant);
		for (k = 2; k <= 20; k++) {
			ck_assert_int_eq(chain_rep(&rep, k, variant), 0);
			ck_assert_int_eq(verify_report_base_open_indexed(text, strlen(text), idx,
									 idxlen, &vb),
					 SP_OK);
			ck_assert_int_eq(verify_report_base_merge(vb, &rep, 1 << 24, &next, &len,
								  &nidx, &nlen),
					 SP_OK);
			ck_assert_int_eq(verify_report_merge(text, &rep, 1 << 24, &want, &wlen),
					 SP_OK);
			ck_assert_ptr_nonnull(next);
			ck_assert_uint_eq(len, wlen);
			ck_assert_str_eq(next, want);
			ck_assert_ptr_nonnull(nidx);
			ck_assert(verify_report_index_matches(next, nidx, nlen));
			verify_report_base_free(vb);
			chain_rep_free(&rep);
			free(want);
			free(text);
			free(idx);
			text = next;
			idx = nidx;
			idxlen = nlen;
		}
		/* an index of another text is not taken for it: scanned */
		ck_assert_int_eq(verify_report_base_open_indexed(text, strlen(text) - 1, idx,
								 idxlen, &vb),
				 SP_OK);
		ck_assert(verify_report_base_spliced(vb));
		ck_assert(!verify_report_index_matches(text + 1, idx, idxlen));
		verify_report_base_free(vb);
		free(idx);
		idx = NULL;
		idxlen = 0;
		free(text);
	}
}
END_TEST

/* A contract signed 20 times, every variant: each completion's splice is jansson's merge. */
START_TEST(splice_is_jansson_k_1_to_20)
{
	struct crypto_verify_report rep;
	char *text, *next;
	size_t k;
	unsigned variant;

	for (variant = 0; variant < 64; variant++) {
		text = chain_report(1, variant);
		for (k = 2; k <= 20; k++) {
			ck_assert_int_eq(chain_rep(&rep, k, variant), 0);
			/* the next link is the merge both ways made (their bytes, length
			   and result compared there): not merged a third time */
			same_merge_keep(text, &rep, 1 << 24, 1, &next);
			ck_assert_ptr_nonnull(next);
			chain_rep_free(&rep);
			free(text);
			text = next;
		}
		if (variant == 0) {
			/* k - 1 earlier signatures, each with the 64 changes listed it may */
			ck_assert(strlen(text) > 50000);
			ck_assert_ptr_nonnull(strstr(text, "\"allowed\":95,\"disallowed\":0"));
		}
		free(text);
	}
}
END_TEST

/* Replace the first occurrence of from in s by to (malloc'd), or NULL when it is not there. */
static char *
edit(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
	char *r;

	if (at == NULL || (r = malloc(n)) == NULL)
		return NULL;
	snprintf(r, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	return r;
}

/*
 * Stored texts the server would not write (spaces, other escapes, other
 * number forms, members moved, added or missing) and reports the merge
 * must refuse (an earlier signature invalid, missing or doubled, an
 * unsigned last revision): the splice leaves the first to jansson and
 * refuses the second as jansson does; the result is the same either way.
 */
START_TEST(splice_odd_shapes_are_jansson)
{
	static const struct {
		const char *from, *to;
		int spliced; /* -1: either */
	} edits[] = {
		{ "{\"verdict\":", "{ \"verdict\":", 0 },
		{ ",\"size\":", ", \"size\":", 0 },
		{ "\"signatures\":[", "\"signatures\": [", 0 },
		{ "]}}]}", "]}}]}\n", 0 },
		{ "\"Signature1\"", "\"Signatur\\u0065\"", 0 },
		{ "\"Signature1\"", "\"Signature\\/1\"", 0 },
		{ "\"Signature1\"", "\"Signature\\u001F\"", 1 },
		{ "\"Signature1\"", "\"Signature\\u001f\"", 0 },
		{ "\"Signature1\"", "\"Signature\\u000A\"", 0 },
		{ "\"Signature1\"", "\"Signature\\u0000\"", 0 },
		{ "\"Signature1\"", "\"Signature\\ud834\\udd1e\"", 0 },
		{ "\"Signature1\"", "\"Signature\xf0\x9d\x84\x9e\"", 1 },
		{ "\"Signature1\"", "\"Signature\xed\xa0\x80\"", 0 },
		{ "\"Signature1\"", "\"Signature\xc0\xaf\"", 0 },
		{ "\"Signature1\"", "\"Signature\x1f\"", 0 },
		{ "\"Signature1\"", "\"Signature\x7f\"", 1 },
		{ "\"object\":101", "\"object\":-0", 0 },
		{ "\"object\":101", "\"object\":0101", 0 },
		{ "\"object\":101", "\"object\":101.0", 0 },
		{ "\"object\":101", "\"object\":1e2", 0 },
		{ "\"object\":101", "\"object\":-101", 1 },
		{ "\"object\":101", "\"object\":999999999999999999", 1 },
		{ "\"object\":101", "\"object\":9999999999999999999", 0 },
		{ "\"allowed\":", "\"allowed\":9223372036854775800", 0 },
		{ "\"allowed\":", "\"allowed\":9999999999999", 1 },
		{ "\"allowed\":", "\"allowed\":-", 1 },
		{ "\"level\":\"pades_b_t\"", "\"level\":null", 1 },
		{ "\"level\":\"pades_b_t\"", "\"level\":\"pades_b\"", 1 },
		{ "\"level\":\"pades_b_t\"", "\"level\":\"pades_b_lta\"", 1 },
		{ "\"level\":\"pades_b_t\"", "\"level\":7", 0 },
		{ "\"reasons\":[]", "\"reasons\":[\"x\"]", 1 },
		{ "\"reasons\":[]", "\"reasons\":null", 0 },
		{ "\"reasons\":[]", "\"reasons\":[],\"extra\":1", 0 },
		{ "\"verdict\":\"valid\"", "\"verdict\":\"indeterminate\"", 1 },
		{ "\"verdict\":\"valid\"", "\"verdict\":\"valid_with_allowed_changes\"", 1 },
		{ "\"byte_range\":[0,1000,1100,50]", "\"byte_range\":[0,2000,2100,100]", 1 },
		{ "\"byte_range\":[0,1000,1100,50]", "\"byte_range\":[0,1000,1100]", 0 },
		{ "\"byte_range\":[0,1000,1100,50]", "\"byte_range\":[0,1000,1100,50,0]", 0 },
		{ "\"last_revision_signed\":true", "\"last_revision_signed\":false", 1 },
		{ "\"trailing_data\":false", "\"trailing_data\":true", 1 },
		{ "\"revisions\":", "\"revisions\":9", 1 },
		{ "\"changes\":true},", "\"changes\":false},", 1 },
		{ "\"changes\":true},", "\"changes\":null},", 1 },
		{ "\"changes\":true},", "\"changes\":1},", 0 },
		{ "\"signer\":{", "\"signer\":null,\"x\":{", 0 },
		{ "\"timestamp\":{\"time\":", "\"timestamp\":{\"time\":null,\"t\":", 0 },
		{ "\"objects\":[{",
		  "\"objects\":[{\"revision\":1,\"object\":1,\"generation\":0,"
		  "\"allowed\":true,\"what\":\"x\"},{",
		  1 },
		{ "\"objects\":[{", "\"objects\":{}}", 0 },
		{ "\"message\":\"\",\"signatures\"", "\"signatures\"", 0 },
		{ "{\"verdict\":\"valid_with_allowed_changes\"", "{\"verdict\":1", 0 },
		{ ",\"signatures\":[{", ",\"signatures\":[{}]} ", 0 },
	};
	struct crypto_verify_report rep;
	char *text = chain_report(6, 0), *t, *u, *v;
	size_t i;

	ck_assert_int_eq(chain_rep(&rep, 7, 0), 0);
	same_merge(text, &rep, 1 << 24, 1);
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		t = edit(text, edits[i].from, edits[i].to);
		ck_assert_msg(t != NULL, "edit %zu: %s not found", i, edits[i].from);
		what = edits[i].to;
		same_merge(t, &rep, 1 << 24, edits[i].spliced);
		free(t);
	}
	/* a signature doubled, one missing, one the engine does not know (all refused) */
	t = edit(text, "{\"field\":\"Signature2\"", "{\"field\":\"Signature2\"");
	u = strstr(t, "{\"field\":\"Signature2\"");
	v = strstr(t, "{\"field\":\"Signature3\"");
	ck_assert_ptr_nonnull(u);
	ck_assert_ptr_nonnull(v);
	{
		size_t n = strlen(t) + (size_t)(v - u) + 1;
		char *d = malloc(n), *m = malloc(n);

		ck_assert_ptr_nonnull(d);
		ck_assert_ptr_nonnull(m);
		/* doubled: Signature2's text twice */
		snprintf(d, n, "%.*s%.*s%s", (int)(v - t), t, (int)(v - u), u, v);
		same_merge(d, &rep, 1 << 24, 1);
		/* missing: Signature2 cut out */
		snprintf(m, n, "%.*s%s", (int)(u - t), t, v);
		same_merge(m, &rep, 1 << 24, 1);
		free(d);
		free(m);
	}
	free(t);
	/* the engine's report: an earlier signature not valid, the new one not either */
	rep.sigs[2].verdict = CRYPTO_VERDICT_INDETERMINATE;
	same_merge(text, &rep, 1 << 24, 1);
	rep.sigs[2].verdict = CRYPTO_VERDICT_VALID;
	snprintf(rep.sigs[6].reasons[0], sizeof(rep.sigs[6].reasons[0]), "bad_digest");
	rep.sigs[6].nreasons = 1;
	same_merge(text, &rep, 1 << 24, 1);
	rep.sigs[6].nreasons = 0;
	/* an earlier signature the engine no longer finds (prior, not in the base) */
	rep.sigs[1].byte_range[3]++;
	same_merge(text, &rep, 1 << 24, 1);
	rep.sigs[1].byte_range[3]--;
	/* too large for max: both say so */
	same_merge(text, &rep, 1000, 1);
	same_merge(text, &rep, strlen(text), 1);
	/* no base at all, and texts that are not reports */
	same_merge("", &rep, 1 << 24, 0);
	same_merge("[]", &rep, 1 << 24, 0);
	same_merge("{\"verdict\":\"valid\"}", &rep, 1 << 24, 0);
	chain_rep_free(&rep);
	free(text);
}
END_TEST

/* Every ASCII character as jansson writes it in a string is in the shape; other escapes not. */
START_TEST(splice_strings_as_jansson_writes_them)
{
	struct crypto_verify_report rep;
	char *text = chain_report(3, 0), *t, *esc, repl[64], u[8];
	json_t *str;
	int c;

	ck_assert_int_eq(chain_rep(&rep, 4, 0), 0);
	for (c = 1; c < 0x80; c++) {
		u[0] = (char)c;
		u[1] = '\0';
		str = json_string(u);
		esc = json_dumps(str, JSON_ENCODE_ANY | JSON_COMPACT);
		ck_assert_ptr_nonnull(esc);
		/* "Signature1" -> "Signature1<c>" as jansson writes it */
		snprintf(repl, sizeof(repl), "\"Signature1%s", esc + 1);
		t = edit(text, "\"Signature1\"", repl);
		same_merge(t, &rep, 1 << 24, 1);
		free(t);
		/* and as \u00XX, which jansson writes only for some control characters */
		snprintf(repl, sizeof(repl), "\"Signature1\\u%04X\"", (unsigned)c);
		t = edit(text, "\"Signature1\"", repl);
		same_merge(t, &rep, 1 << 24, strcmp(esc + 1, repl + 11) == 0);
		free(t);
		free(esc);
		json_decref(str);
	}
	chain_rep_free(&rep);
	free(text);
}
END_TEST

/*
 * The scan tests plain string bytes eight at a time: any one byte at any
 * place in a long string (every offset within a word), raw, is in the shape
 * exactly when it is printable ASCII other than the quote and the backslash
 * (or starts a valid UTF-8 sequence, tested with "é" and a lone 0xC3); the
 * result is jansson's either way.
 */
START_TEST(splice_string_bytes_at_every_offset)
{
	struct crypto_verify_report rep;
	char *text = chain_report(3, 0), *t, repl[64];
	int c, at, plain;

	ck_assert_int_eq(chain_rep(&rep, 4, 0), 0);
	for (c = 1; c < 0x100; c++)
		for (at = 0; at < 17; at++) {
			/* "Signature1" -> "Signature1xxxxxxxxxxxxxxxxxxxx" with c at one place */
			snprintf(repl, sizeof(repl), "\"Signature1%s\"", "xxxxxxxxxxxxxxxxxxxx");
			repl[11 + at] = (char)c;
			t = edit(text, "\"Signature1\"", repl);
			plain = c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
			same_merge(t, &rep, 1 << 24, plain);
			free(t);
			if (c == 0xC3) {
				/* a two-byte sequence (the next byte 0xA9: "é") */
				repl[12 + at] = (char)0xA9;
				t = edit(text, "\"Signature1\"", repl);
				same_merge(t, &rep, 1 << 24, 1);
				free(t);
			}
		}
	chain_rep_free(&rep);
	free(text);
}
END_TEST

/*
 * The listed changes' numbers and allowed flags as jansson writes them:
 * zero, one digit and the next, the extremes of an int, negative ones, a
 * disallowed change; the count added to the base's too.
 */
START_TEST(splice_change_numbers_as_jansson)
{
	static const long long nums[] = { 0, 1, 9, 10, 99, 100, INT_MAX, INT_MIN, -1, -10 };
	const size_t nn = sizeof(nums) / sizeof(nums[0]);
	struct crypto_verify_report rep;
	char *text = chain_report(3, 8);
	size_t i, j, t;

	ck_assert_int_eq(chain_rep(&rep, 4, 8), 0);
	for (t = 0; t < nn; t++) {
		for (i = 0; i < rep.nsigs; i++)
			for (j = 0; j < rep.sigs[i].nchanges; j++) {
				struct crypto_change *c = &rep.sigs[i].changes[j];

				c->revision = (size_t)(nums[(t + j) % nn] & 0x7fffffff);
				c->obj = (int)nums[(t + j + 1) % nn];
				c->gen = (int)nums[(t + j + 2) % nn];
				c->allowed = (int)((t + j) % 2);
			}
		same_merge(text, &rep, 1 << 24, 1);
	}
	chain_rep_free(&rep);
	free(text);
}
END_TEST

/*
 * The new update's changes as each earlier signature lists them differ from
 * one signature to the next (a FieldMDP lock of one of them turns a change
 * disallowed and says so, another counts another revision or object): each
 * signature's list is its own in the result, not the one written before it
 * (the merge writes a change listed the same way for the signature before
 * once and copies it after).
 */
START_TEST(splice_changes_per_signature_as_jansson)
{
	struct crypto_verify_report rep;
	char *text = chain_report(5, 0);
	struct crypto_change *c;
	size_t i;

	ck_assert_int_eq(chain_rep(&rep, 6, 0), 0);
	ck_assert_uint_eq(rep.nsigs, 6);
	for (i = 0; i + 1 < rep.nsigs; i++)
		ck_assert_uint_eq(rep.sigs[i].nchanges, 5);
	/* signature 2: its 2nd change under a lock; 3: another object; 4: another
	   generation and revision; 5: the 1st not allowed, the list one shorter */
	c = &rep.sigs[1].changes[1];
	snprintf(c->what, sizeof(c->what),
		 "annotation (a field the FieldMDP lock of \"Signature1\" covers)");
	c->allowed = 0;
	rep.sigs[2].changes[2].obj++;
	rep.sigs[3].changes[3].gen++;
	rep.sigs[3].changes[4].revision--;
	rep.sigs[4].changes[0].allowed = 0;
	rep.sigs[4].nchanges = 4;
	same_merge(text, &rep, 1 << 24, 1);
	chain_rep_free(&rep);
	free(text);
}
END_TEST

/* Random damage to a stored report (a byte changed, inserted or removed): the same result. */
START_TEST(splice_damaged_texts_are_jansson)
{
	static const char bytes[] = "{}[],:\"\\0129-.etuaflsn \x01\x7f\xc3\xa9\xff";
	struct crypto_verify_report rep;
	char *text = chain_report(4, 1 | 2 | 4), *t;
	size_t len = strlen(text), at, i;
	unsigned long long x = 88172645463325252ull;
	int spliced = 0;

	ck_assert_int_eq(chain_rep(&rep, 5, 1 | 2 | 4), 0);
	ck_assert_ptr_nonnull(t = malloc(len + 2));
	for (i = 0; i < 3000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		at = (size_t)(x % len);
		memcpy(t, text, len + 1);
		switch ((x >> 32) % 3) {
		case 0:
			t[at] = bytes[(x >> 40) % (sizeof(bytes) - 1)];
			break;
		case 1:
			memmove(t + at + 1, t + at, len - at + 1);
			t[at] = bytes[(x >> 40) % (sizeof(bytes) - 1)];
			break;
		default:
			memmove(t + at, t + at + 1, len - at);
		}
		spliced += same_merge(t, &rep, 1 << 24, -1);
	}
	/* some edits keep the shape (a digit for a digit, a letter in a string) */
	ck_assert_int_gt(spliced, 0);
	free(t);
	chain_rep_free(&rep);
	free(text);
}
END_TEST

/* Signature i's (1-based) level in a report's text. */
static const char *
level_of(json_t *doc, size_t i)
{
	return json_string_value(
		json_object_get(json_array_get(json_object_get(doc, "signatures"), i - 1),
				"level"));
}

/*
 * A prior signature whose /VRI entry was already there when it was verified
 * (so it is not verified again) keeps the level that verification gave:
 * another tool's entry without revocation data left it at B-T, and the entry
 * alone must not make it B-LT at the next completion (a fresh verification
 * says B-T). At B-LT, a document timestamp over the entry still makes it
 * B-LTA. Both merges (jansson's and the splice) say so.
 */
START_TEST(prior_level_rests_on_what_base_found)
{
	static const struct {
		const char *base_level;
		int ltv_dss, ltv_archived;
		const char *want;
	} cases[] = {
		{ "pades_b_t", 1, 0, "pades_b_t" },   { "pades_b_t", 1, 1, "pades_b_t" },
		{ "pades_b_lt", 1, 0, "pades_b_lt" }, { "pades_b_lt", 1, 1, "pades_b_lta" },
		{ "pades_b_lt", 0, 0, "pades_b_t" },  { "pades_b_lta", 1, 1, "pades_b_lta" },
	};
	struct crypto_verify_report rep;
	char *text = chain_report(1, 0), *base, *merged;
	size_t i, len;
	json_t *doc;
	char from[64];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(from, sizeof(from), "\"level\":\"%s\"", cases[i].base_level);
		base = edit(text, "\"level\":\"pades_b_t\"", from);
		ck_assert_ptr_nonnull(base);
		ck_assert_int_eq(chain_rep(&rep, 2, 0), 0);
		ck_assert_int_eq(rep.sigs[0].prior, 1);
		rep.sigs[0].ltv_dss = cases[i].ltv_dss;
		rep.sigs[0].ltv_archived = cases[i].ltv_archived;
		what = cases[i].base_level;
		same_merge(base, &rep, 1 << 24, 1);
		ck_assert_int_eq(verify_report_merge(base, &rep, 1 << 24, &merged, &len), SP_OK);
		ck_assert_ptr_nonnull(doc = json_loads(merged, 0, NULL));
		ck_assert_msg(strcmp(level_of(doc, 1), cases[i].want) == 0,
			      "case %zu: base %s, /VRI %d, archived %d: %s, not %s", i,
			      cases[i].base_level, cases[i].ltv_dss, cases[i].ltv_archived,
			      level_of(doc, 1), cases[i].want);
		json_decref(doc);
		free(merged);
		free(base);
		chain_rep_free(&rep);
	}
	free(text);
}
END_TEST

static Suite *
report_suite(void)
{
	Suite *s = suite_create("verify_report");
	TCase *tc = tcase_create("render");

	TCase *tm = tcase_create("merge");

	tcase_add_test(tc, report_json_is_exact_and_always_valid);
	suite_add_tcase(s, tc);
	tcase_set_timeout(tm, 120);
	tcase_add_test(tm, splice_is_jansson_k_1_to_20);
	tcase_add_test(tm, kept_index_is_the_scan_k_1_to_20);
	tcase_add_test(tm, splice_odd_shapes_are_jansson);
	tcase_add_test(tm, splice_strings_as_jansson_writes_them);
	tcase_add_test(tm, splice_string_bytes_at_every_offset);
	tcase_add_test(tm, splice_change_numbers_as_jansson);
	tcase_add_test(tm, splice_changes_per_signature_as_jansson);
	tcase_add_test(tm, splice_damaged_texts_are_jansson);
	tcase_add_test(tm, prior_level_rests_on_what_base_found);
	suite_add_tcase(s, tm);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(report_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
