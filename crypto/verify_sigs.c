/*
 * verify_sigs.c: the engine's list of signatures (verify.c): the final
 * revision's fields, those an earlier revision shows that the final one
 * hides, each signature dictionary read once in the revision that wrote it,
 * and the reads a caller hands forward from an earlier verification of the
 * same bytes (crypto_verify_opts.verified_sigs) or takes away (sigs_out).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf.h"
#include "verify_int.h"

/*
 * Room for n signatures in all, at once: the final list's k are added one by
 * one at a contract's k-th completion, and the four arrays grown by doubling
 * were moved by realloc each time (18,000 instructions at the 19th).
 */
int
engine_sigs_reserve(struct engine *e, size_t n, struct sp_errinfo *ei)
{
	void *nv;

	if (n <= e->capsigs)
		return SP_OK;
	if (!(nv = realloc(e->sigs, n * sizeof(*e->sigs))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	e->sigs = nv;
	if (!(nv = realloc(e->same, n * sizeof(*e->same))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	e->same = nv;
	if (!(nv = realloc(e->rd, n * sizeof(*e->rd))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	e->rd = nv;
	if (!(nv = realloc(e->lazy, n * sizeof(*e->lazy))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	e->lazy = nv;
	e->capsigs = n;
	return SP_OK;
}

int
engine_sigs_add(struct engine *e, struct pdf_sig_field *s, int rd, struct sp_errinfo *ei)
{
	int r;

	if (e->nsigs == e->capsigs &&
	    (r = engine_sigs_reserve(e, e->capsigs ? 2 * e->capsigs : 8, ei)) != SP_OK)
		return r;
	e->sigs[e->nsigs] = *s;
	e->rd[e->nsigs] = rd;
	e->lazy[e->nsigs] = s->unread;
	e->same[e->nsigs++] = -1;
	s->contents = NULL; /* transferred */
	return SP_OK;
}

/* Signatures revision k has that the final revision no longer shows (e.g. a replaced /Root). */
int
engine_sigs_hidden(struct engine *e, struct pdf_doc *d, struct sp_errinfo *ei)
{
	struct pdf_sig_field *rs = NULL;
	size_t nrs = 0, i, j;
	struct sp_errinfo ign;
	int r = SP_OK, *skip;

	if (!(skip = calloc(e->nsigs + 1, sizeof(*skip))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	for (i = 0; i < e->nsigs; i++)
		skip[i] = e->sigs[i].sig_obj;
	sp_errinfo_init(&ign);
	j = (size_t)pdf_sig_fields_list_new(d, skip, e->nsigs, &rs, &nrs, &ign);
	free(skip);
	if ((int)j != SP_OK)
		return SP_OK; /* an unreadable revision shows up in the diffs */
	/* its form walked: a signature field read costs about what a page does */
	engine_work_add(e, (unsigned long long)nrs * CRYPTO_VERIFY_PAGE_WORK);
	for (i = 0; i < nrs && r == SP_OK; i++) {
		for (j = 0; j < e->nsigs; j++)
			if (e->sigs[j].sig_obj == rs[i].sig_obj)
				break;
		if (j == e->nsigs && rs[i].sig_obj > 0)
			r = engine_sigs_add(e, &rs[i], -2, ei);
	}
	pdf_sig_fields_free(rs, nrs);
	return r;
}

/*
 * 1 when d is the given revision, all of whose listed signatures are known
 * (given_listed), and the final list has every one of them: then d shows no
 * signature the final revision hides, which engine_sigs_hidden() would walk its
 * form to find.
 */
int
engine_sigs_hide_none(const struct engine *e, const struct pdf_doc *d)
{
	size_t i, j;

	if (d != e->given || e->given_listed == NULL)
		return 0;
	for (i = 0; i < e->ngiven_listed; i++) {
		for (j = 0; j < e->nsigs; j++)
			if (e->sigs[j].sig_obj == e->given_listed[2 * i] &&
			    e->sigs[j].sig_gen == e->given_listed[2 * i + 1])
				break;
		if (j == e->nsigs)
			return 0;
	}
	return 1;
}

/*
 * s's /Contents, just copied for the engine to hold, counted as work at the
 * rate of the file's own allowance: a value's byte is two hex digits of the
 * file, so a unit every 2 x CRYPTO_VERIFY_BYTES_A_WORK bytes, and a file's
 * own signature values cost less than the allowance its bytes bring. But any
 * number of fields may name one signature dictionary, each read into its own
 * copy (1,000 fields over one 1 MB /Contents held about 1 GB). Past the
 * budget the reads stop, and the verification answers pdf_limit.
 */
static void
contents_charge(struct engine *e, const struct pdf_sig_field *s)
{
	/* and the bytes its second range will have hashed at the same rate: only the
	   first range continues one running digest across signatures (verify_ranges.c),
	   the second is hashed for each signature. A file's own second ranges end where
	   their revisions end, so together they are about the file; 1,000 fields naming
	   one signature whose second range covers 24 MB hashed 24 GB (review50) */
	long long tail = s->byterange[3];

	if (tail < 0 || (unsigned long long)tail > e->len)
		tail = (long long)e->len; /* past the file: refused before any hashing */
	engine_work_add(e, (unsigned long long)(s->contents_len + (size_t)tail) /
				   (2 * CRYPTO_VERIFY_BYTES_A_WORK));
}

/*
 * Read the final list's signatures that revision k's update wrote (k 0: the
 * original file) from revision k itself, where the diff parses them anyway:
 * each signature dictionary is parsed once, in its own revision, and reads
 * as the final revision has it (no later update lists it; one that does
 * reads it again and makes the signature's revision be compared anew).
 */
int
engine_sigs_read_written(struct engine *e, size_t k, struct pdf_doc *cur, struct sp_errinfo *ei)
{
	struct sp_errinfo nf;
	size_t i;
	int r;

	for (i = 0; i < e->nsigs; i++) {
		if (e->over_reads)
			return SP_OK; /* stopped for the budget: the caller answers pdf_limit */
		if (!e->lazy[i] || (k > 0 && !pdf_diff_lists(&e->diffs[k], e->sigs[i].sig_obj)))
			continue;
		sp_errinfo_init(&nf);
		r = pdf_sig_field_read(cur, &e->sigs[i], &nf);
		if (r == SP_ERR_NOT_FOUND) {
			if (k > 0) {
				/* freed by this update: as the final file has it, absent */
				e->sigs[i].unread = 1;
				e->rd[i] = -1;
			}
			continue;
		}
		if (r < 0)
			return sp_err(ei, r, "%s", nf.msg);
		contents_charge(e, &e->sigs[i]);
		/* certifying without a DocMDP /Reference when the catalog of the revision
		   that wrote it names it (/Perms /DocMDP), as that revision reads: a later
		   update's /Perms grants nothing to a signature made before it */
		if (e->sigs[i].docmdp_p == 0)
			e->sigs[i].docmdp_p =
				pdf_perms_docmdp_p(cur, e->sigs[i].sig_obj, e->sigs[i].sig_gen);
		e->rd[i] = (int)k;
		e->same[i] = -1;
	}
	return SP_OK;
}

/*
 * s read as k (a known read of its object) has it: the signature
 * dictionary's part (a self-contained read has no /Reference, so the lock
 * stays the field's, which s has from the final list). SP_OK, or 1 when k
 * holds no read of s's object (then it is parsed), or an error.
 */
static int
take_known(struct engine *e, struct pdf_doc *last, struct pdf_sig_field *s, struct sp_errinfo *ei)
{
	struct pdf_sig_field *k = NULL;
	size_t i;

	if (last == NULL || pdf_doc_damaged(last))
		return 1;
	for (i = 0; i < e->nknown && !k; i++)
		if (e->known[i].sig_obj == s->sig_obj && e->known[i].sig_gen == s->sig_gen)
			k = &e->known[i];
	/* its /Contents taken already, by another field whose value is the same dictionary:
	   this one reads it from the file, as without the read handed on */
	if (k == NULL || (k->contents == NULL && k->contents_len > 0))
		return 1;
	free(s->contents);
	/* the read's /Contents handed over, not copied (some 5 KB a signature, every earlier
	   signature at each completion): nothing reads e->known after this */
	if (k->contents_len > 0) {
		s->contents = k->contents;
		k->contents = NULL; /* transferred */
	} else if (!(s->contents = malloc(1))) {
		s->contents_len = 0;
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	}
	s->contents_len = k->contents_len;
	memcpy(s->type, k->type, sizeof(s->type));
	memcpy(s->filter, k->filter, sizeof(s->filter));
	memcpy(s->subfilter, k->subfilter, sizeof(s->subfilter));
	s->docmdp_p = k->docmdp_p;
	s->has_m = k->has_m;
	s->contents_state = k->contents_state;
	s->byterange_state = k->byterange_state;
	memcpy(s->byterange, k->byterange, sizeof(s->byterange));
	s->self_contained = 1;
	s->unread = 0;
	s->gap_ok = k->gap_ok; /* as the verification that read it found it */
	return SP_OK;
}

/*
 * Of arr[0..*n), the signature reads of a given revision (given, whose bytes
 * end at given_end), those that read in doc, a later revision of the same
 * file (revs[0..nrev) its revisions), as they did in given: self-contained
 * reads of objects that no update after given_end lists, in a file whose
 * later updates redefine no object stream of given (one could hold such an
 * object) and which reads undamaged. 1: arr kept in place, *n of them (the
 * others' contents freed); 0: this cannot be told, arr untouched; < 0 out
 * of memory. One rule for the engine (engine_sigs_known) and the long-term
 * data's update (ltv_pdf.c).
 */
int
sigs_still_read(struct pdf_doc *doc, struct pdf_doc *given, size_t given_end,
		const struct pdf_revision *revs, size_t nrev, struct pdf_sig_field *arr, size_t *n,
		struct sp_errinfo *ei)
{
	struct pdf_doc_info info;
	struct sp_errinfo ign;
	int *listed = NULL, *nums = NULL, r = 0, boundary = 0;
	size_t nl = 0, nn = 0, i, j, k;
	void *nv;

	sp_errinfo_init(&ign);
	if (pdf_doc_damaged(doc) || pdf_doc_damaged(given))
		return 0;
	for (k = 0; k < nrev; k++) {
		if (revs[k].end == given_end)
			boundary = 1;
		if (revs[k].end <= given_end)
			continue;
		if (pdf_revision_listed(doc, &revs[k], &nums, &nn, &ign) != SP_OK)
			goto out;
		if (nn > 0 && !(nv = realloc(listed, (nl + nn) * sizeof(*listed)))) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
		if (nn > 0)
			listed = nv;
		for (i = 0; i < nn; i++) {
			/* a redefined object stream of the given revision: anything may move */
			if (pdf_obj_is_objstm(given, nums[i]))
				goto out;
			listed[nl++] = nums[i];
		}
		free(nums);
		nums = NULL;
	}
	if (!boundary)
		goto out;
	pdf_doc_info_get(doc, &info);
	for (i = k = 0; i < *n; i++) {
		for (j = 0; j < nl && listed[j] != arr[i].sig_obj; j++)
			;
		if (j < nl || !arr[i].self_contained || arr[i].sig_obj >= info.size) {
			free(arr[i].contents);
			continue;
		}
		arr[k++] = arr[i];
	}
	*n = k;
	r = 1;
out:
	free(nums);
	free(listed);
	return r;
}

/*
 * opts->verified_sigs that read in the final revision doc as they did in
 * the given one (e->known), by sigs_still_read(). None (not an error) when
 * that cannot be told.
 */
int
engine_sigs_known(struct engine *e, struct pdf_doc *doc, const struct crypto_verify_opts *opts,
		  struct sp_errinfo *ei)
{
	struct pdf_sig_field *arr = NULL;
	struct sp_errinfo ign;
	int *gl = NULL, r;
	size_t n = 0, i;

	sp_errinfo_init(&ign);
	if (!e->given || pdf_sig_reads_unpack(opts->verified_sigs, opts->verified_sigs_len, &arr,
					      &n, &ign) != SP_OK)
		return SP_OK;
	/* all that the given revision lists: kept for revision_pass (no walk for hidden ones) */
	if (opts->verified_nlisted > 0 && n == opts->verified_nlisted &&
	    (gl = malloc(2 * n * sizeof(*gl))) != NULL) {
		for (i = 0; i < n; i++) {
			gl[2 * i] = arr[i].sig_obj;
			gl[2 * i + 1] = arr[i].sig_gen;
		}
	}
	r = sigs_still_read(doc, e->given, e->given_end, e->revs, e->nrev, arr, &n, ei);
	if (r <= 0) {
		free(gl);
		pdf_sig_fields_free(arr, n);
		return r < 0 ? r : SP_OK;
	}
	if (gl != NULL) {
		e->given_listed = gl;
		e->ngiven_listed = opts->verified_nlisted;
	}
	e->known = arr;
	e->nknown = n;
	return SP_OK;
}

/* The final list's signatures read from the final revision; those it lacks dropped. */
int
engine_sigs_read_final(struct engine *e, struct pdf_doc *last, int all, struct sp_errinfo *ei)
{
	struct sp_errinfo nf;
	size_t i, j;
	int r;

	for (i = j = 0; i < e->nsigs; i++) {
		/* once past the budget (contents_charge) no more is read: the caller
		   answers pdf_limit */
		if (e->lazy[i] && (all || e->sigs[i].unread) && !e->over_reads) {
			sp_errinfo_init(&nf);
			r = e->nknown > 0 ? take_known(e, last, &e->sigs[i], &nf) : 1;
			if (r == 1)
				r = last ? pdf_sig_field_read(last, &e->sigs[i], &nf)
					 : SP_ERR_NOT_FOUND;
			if (r < 0 && r != SP_ERR_NOT_FOUND)
				return sp_err(ei, r, "%s", nf.msg);
			if (r == SP_ERR_NOT_FOUND) {
				free(e->sigs[i].contents);
				continue; /* a signature field whose value is no object */
			}
			contents_charge(e, &e->sigs[i]);
			e->rd[i] = (int)e->nrev - 1;
			e->same[i] = -1;
		}
		e->sigs[j] = e->sigs[i];
		e->same[j] = e->same[i];
		e->rd[j] = e->rd[i];
		e->lazy[j++] = e->lazy[i];
	}
	e->nsigs = j;
	return SP_OK;
}

/*
 * The final list's signatures as read (not those only an earlier revision
 * shows), packed into opts->sigs_out; none when that fails (an optimisation
 * for the next verification, not part of this one's answer).
 */
void
engine_sigs_export(struct engine *e, const struct crypto_verify_opts *opts)
{
	struct pdf_sig_field *v;
	struct sp_errinfo ign;
	size_t i, n = 0;

	sp_errinfo_init(&ign);
	if (!(v = calloc(e->nsigs, sizeof(*v))))
		return;
	for (i = 0; i < e->nsigs; i++)
		if (e->rd[i] != -2 && !e->sigs[i].unread && e->sigs[i].self_contained)
			v[n++] = e->sigs[i]; /* shallow: packed below, not freed here */
	if (pdf_sig_reads_pack(v, n, opts->sigs_out, opts->sigs_out_len, &ign) != SP_OK) {
		*opts->sigs_out = NULL;
		*opts->sigs_out_len = 0;
	}
	free(v);
}

/*
 * 1 when gap[0..glen), a hex string's body between its < and >, spells
 * c[0..n) with PDF white space (NUL, HT, LF, FF, CR, SP) among its digits:
 * ISO 32000-2 §7.3.4.3 has a reader ignore white space in a hexadecimal
 * string and take a missing final digit as 0. Such a gap is still exactly
 * the /Contents string, all that §12.8.1 leaves out of the signed ranges;
 * anything else in it (a delimiter, a comment, any other byte, a digit
 * more or less) is not, and 0.
 */
int
verify_gap_spaced_hex(const unsigned char *gap, size_t glen, const unsigned char *c, size_t n)
{
	size_t i, k = 0; /* digits read */
	int v;

	for (i = 0; i < glen; i++) {
		/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): the five white-space bytes; NUL is tested apart */
		if (memchr(" \t\n\f\r", gap[i], 5) != NULL || gap[i] == '\0')
			continue;
		if ((v = sp_hex_val(gap[i])) < 0 || k >= 2 * n ||
		    ((k & 1) ? c[k / 2] & 15 : c[k / 2] >> 4) != v)
			return 0;
		k++;
	}
	return n > 0 && (k == 2 * n || (k == 2 * n - 1 && (c[n - 1] & 15) == 0));
}
