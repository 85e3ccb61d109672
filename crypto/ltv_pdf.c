/*
 * ltv_pdf.c: the two incremental updates of long-term validation, shared by
 * the server (completion, archive renewal) and the offline client: a /DSS
 * with the evidence of every signature not yet covered by a /VRI entry
 * (PAdES B-LT), and a document timestamp over the whole file (B-LTA).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto_int.h"
#include "verify_int.h"

/*
 * The document timestamp's /Contents is sized from the timestamp tokens the
 * file already holds (a token of the same TSA has about the same size: its
 * certificates and signature do not depend on the digest), with room to
 * spare; without any, 8 KiB, which holds a token with a long chain.
 */
#define DOC_TS_CONTENTS_DEFAULT 8192
#define DOC_TS_CONTENTS_MIN 2048
#define DOC_TS_MARGIN 1024
/* room for a document timestamp's update beyond its /Contents (the signature dictionary,
   the field, page 1 and the form rewritten, the xref section) */
#define DOC_TS_ROOM (256 * 1024)
/* the /VRI keys handed to the verification with what they hash (crypto_ltv_known.vri_memo) */
#define DSS_MEMO_MAX ((size_t)64 * 1024 * 1024)

#include <openssl/cms.h>
#include <openssl/err.h>

/* The DER length of the TimeStampToken of one /Contents (CMS or token), 0 if none. */

int
crypto_vri_memo_find(const uint8_t *memo, size_t len, const unsigned char *c, size_t n,
		     char key[41])
{
	const uint8_t *p = memo, *end;
	size_t m;

	if (p == NULL || c == NULL)
		return 0;
	end = p + len;
	while (end - p >= 44) {
		m = sp_load_be32(p);
		if (m > (size_t)(end - p) - 44)
			return 0; /* not as packed */
		if (m == n && memcmp(p + 44, c, n) == 0) {
			memcpy(key, p + 4, 40);
			key[40] = '\0';
			return 1;
		}
		p += 44 + m;
	}
	return 0;
}

static size_t
token_len(const struct pdf_sig_field *s)
{
	const unsigned char *p = s->contents;
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	ASN1_TYPE *at;
	long n = 0;
	int tag, cls, idx;
	size_t out = 0, used = 0;

	if (strcmp(s->type, "/DocTimeStamp") == 0) {
		if (ASN1_get_object(&p, &n, &tag, &cls, (long)s->contents_len) & 0x80)
			goto out;
		out = (size_t)(p - s->contents) + (size_t)n;
		goto out;
	}
	/* only the unsigned attributes are read: the certificates are not decoded */
	/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): sigs_list returns no field it freed */
	if (!(cms = cert_cache_cms_d2i_bare(s->contents, s->contents_len, &used)) ||
	    sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)) != 1)
		goto out;
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	if ((idx = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1)) >= 0 &&
	    (at = X509_ATTRIBUTE_get0_type(CMS_unsigned_get_attr(si, idx), 0)) &&
	    at->type == V_ASN1_SEQUENCE)
		out = (size_t)at->value.sequence->length;
out:
	ERR_clear_error();
	CMS_ContentInfo_free(cms);
	return out > s->contents_len ? 0 : out;
}

/*
 * data opened for an update: whole, or as a stored document (CRYPTO_LTV_STORED),
 * with its page list when the caller knows it (pages: the tree is not walked
 * again; a list that is not data's fails, and the walk decides).
 */
static int
ltv_open(const uint8_t *data, size_t len, unsigned flags, const int *pages, size_t npages,
	 struct pdf_doc **doc, struct sp_errinfo *ei)
{
	struct sp_errinfo ign;

	sp_errinfo_init(&ign);
	if ((flags & CRYPTO_LTV_STORED) && pages != NULL && npages > 0 &&
	    pdf_doc_open_stored_known(data, len, pages, npages, doc, &ign) == SP_OK)
		return SP_OK;
	return (flags & CRYPTO_LTV_STORED) ? pdf_doc_open_stored(data, len, doc, ei)
					   : pdf_doc_open(data, len, doc, ei);
}

/*
 * The reads of kn that read in doc (data[0..len)) as they did in kn->given,
 * by the verification engine's rule (sigs_still_read). SP_OK with *n 0 when
 * that cannot be told.
 */
static int
known_reads(struct pdf_doc *doc, const uint8_t *data, size_t len, const struct crypto_ltv_known *kn,
	    struct pdf_sig_field **out, size_t *n, struct sp_errinfo *ei)
{
	struct pdf_revision *revs = NULL;
	struct pdf_sig_field *arr = NULL;
	struct sp_errinfo ign;
	size_t nrev = 0, na = 0;
	int r = SP_OK;

	*out = NULL;
	*n = 0;
	sp_errinfo_init(&ign);
	if (kn == NULL || kn->given == NULL || kn->reads == NULL || kn->given_len == 0 ||
	    kn->given_len > len ||
	    pdf_sig_reads_unpack(kn->reads, kn->reads_len, &arr, &na, &ign) != SP_OK || na == 0)
		goto none;
	/* the caller's view's revisions, found already (kn->revs), or found here */
	if (kn->revs != NULL && kn->nrevs > 0 && doc == kn->doc && len == kn->revs_len) {
		nrev = kn->nrevs;
	} else if (!(revs = malloc(PDF_REVISIONS_MAX * sizeof(*revs)))) {
		/* not zeroed (28 KiB): pdf_revisions_find() sets the nrev entries read */
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto none;
	} else if (pdf_revisions_find(data, len, revs, PDF_REVISIONS_MAX, &nrev, &ign) != SP_OK)
		goto none;
	if (nrev == 0 || (revs != NULL ? revs : kn->revs)[nrev - 1].end != len ||
	    (revs != NULL ? revs : kn->revs)[nrev - 1].trailing_garbage)
		goto none;
	if ((r = sigs_still_read(doc, kn->given, kn->given_len, revs != NULL ? revs : kn->revs,
				 nrev, arr, &na, ei)) <= 0) {
		r = r < 0 ? r : SP_OK;
		goto none;
	}
	*out = arr;
	*n = na;
	arr = NULL; /* transferred */
	na = 0;
	r = SP_OK;
none:
	pdf_sig_fields_free(arr, na);
	free(revs);
	return r;
}

/*
 * doc's signed fields as pdf_sig_fields_list() lists them, with kn's reads
 * (known_reads) taken as read instead of parsed again; *nlisted then the
 * count pdf_sig_fields_list_lazy() gives, else -1. Without usable reads, or
 * when the listing with them fails, the full listing decides (its answer,
 * its error): the list is the same either way.
 */
static int
sigs_list(struct pdf_doc *doc, const uint8_t *data, size_t len, const struct crypto_ltv_known *kn,
	  struct pdf_sig_field **out, size_t *n, int *nlisted, struct sp_errinfo *ei)
{
	struct pdf_sig_field *kr = NULL, *s = NULL;
	const struct pdf_sig_field *k;
	struct sp_errinfo ign;
	size_t nkr = 0, ns = 0, i, j, m;
	int r;

	*nlisted = -1;
	if ((r = known_reads(doc, data, len, kn, &kr, &nkr, ei)) != SP_OK)
		return r;
	sp_errinfo_init(&ign);
	if (nkr == 0 || pdf_sig_fields_list_known(doc, kr, nkr, &s, &ns, &ign) != SP_OK)
		goto full;
	for (i = m = 0; i < ns; i++) {
		if (s[i].unread) {
			for (k = NULL, j = 0; j < nkr && !k; j++)
				if (kr[j].sig_obj == s[i].sig_obj && kr[j].sig_gen == s[i].sig_gen)
					k = &kr[j];
			if (k != NULL) {
				/* the dictionary's part, as pdf_sig_field_read() would give it:
				   a self-contained read has no /Reference, the lock is the
				   field's, which the listing read */
				if (!(s[i].contents = malloc(k->contents_len))) {
					r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
					goto out;
				}
				memcpy(s[i].contents, k->contents, k->contents_len);
				s[i].contents_len = k->contents_len;
				memcpy(s[i].type, k->type, sizeof(s[i].type));
				memcpy(s[i].filter, k->filter, sizeof(s[i].filter));
				memcpy(s[i].subfilter, k->subfilter, sizeof(s[i].subfilter));
				s[i].docmdp_p = k->docmdp_p;
				s[i].has_m = k->has_m;
				s[i].contents_state = k->contents_state;
				s[i].byterange_state = k->byterange_state;
				memcpy(s[i].byterange, k->byterange, sizeof(s[i].byterange));
				s[i].self_contained = 1;
				s[i].unread = 0;
			} else if ((r = pdf_sig_field_read(doc, &s[i], &ign)) == SP_ERR_NOT_FOUND) {
				/* a value that is no object: no signature in the full listing */
				free(s[i].contents);
				continue;
			} else if (r != SP_OK) {
				/* the full listing answers: s[0..m) and s[i..ns) are what
				   is left to free (s[i..ns)'s contents here: s + i is no
				   array of its own, which pdf_sig_fields_free would free) */
				for (j = i; j < ns; j++)
					free(s[j].contents);
				ns = m;
				goto full;
			}
		}
		s[m++] = s[i];
	}
	*out = s;
	*n = m;
	*nlisted = (int)ns;
	s = NULL; /* transferred */
	ns = 0;
	r = SP_OK;
	goto out;
full:
	pdf_sig_fields_free(s, ns);
	s = NULL;
	ns = 0;
	r = pdf_sig_fields_list(doc, out, n, ei);
out:
	pdf_sig_fields_free(s, ns);
	pdf_sig_fields_free(kr, nkr);
	return r;
}

/*
 * data[0..len)'s DSS as pdf_dss_read() reads it, in doc (the caller's view
 * when kn->doc): with kn->dss_given, the read of a revision of data that
 * kn->revs (data's, doc's view's) has, through pdf_dss_read_known(), whose
 * answer is pdf_dss_read()'s; the objects the sections after it list are
 * read here (a completion's base: its signature's update).
 */
static int
dss_read(const struct crypto_ltv_known *kn, struct pdf_doc *doc, size_t len, struct pdf_dss *out,
	 struct sp_errinfo *ei)
{
	const struct pdf_dss *given = NULL;
	int *later = NULL, r;
	size_t nlater = 0;

	if (kn != NULL && kn->dss_given != NULL && kn->dss_given_len > 0 &&
	    kn->dss_given_len < len && doc == kn->doc && kn->revs != NULL && kn->nrevs > 0 &&
	    kn->revs_len == len && !pdf_doc_damaged(doc) &&
	    pdf_revisions_listed_after(doc, kn->revs, kn->nrevs, kn->dss_given_len, &later,
				       &nlater))
		given = kn->dss_given;
	r = pdf_dss_read_known(doc, given, later, nlater, out, ei);
	free(later);
	return r;
}

/*
 * The new file: data[0..len) and the update after it, in known's room when
 * it has room for it (*out is then known->room, and known->in_room 1), else
 * in a malloc'd copy.
 */
static int
dss_place(const uint8_t *data, size_t len, const unsigned char *upd, size_t updlen,
	  struct crypto_ltv_known *known, uint8_t **out, size_t *outlen)
{
	uint8_t *w;

	if (updlen > SIZE_MAX - len)
		return SP_ERR_TOO_LARGE;
	if (known != NULL && known->room == data && known->room_cap >= len &&
	    updlen <= known->room_cap - len) {
		w = known->room;
		known->in_room = 1;
	} else if ((w = malloc(len + updlen)) != NULL)
		memcpy(w, data, len);
	else
		return SP_ERR_NOMEM;
	memcpy(w + len, upd, updlen);
	*out = w;
	*outlen = len + updlen;
	return SP_OK;
}

int
crypto_ltv_add_dss(struct crypto_trust *t, X509_STORE *ts_store,
		   const struct crypto_evidence *extra, const uint8_t *data, size_t len,
		   unsigned flags, struct crypto_ltv_known *known, uint8_t **out, size_t *outlen,
		   struct sp_errinfo *ei)
{
	struct pdf_doc *doc = NULL;
	struct pdf_sig_field *sigs = NULL;
	struct pdf_dss dss, after;
	struct crypto_evidence ev;
	struct pdf_dss_add add;
	struct sp_errinfo ce;
	struct sp_buf memo;
	char(*vri)[41] = NULL;
	unsigned char *upd = NULL;
	size_t nsigs = 0, nvri = 0, i, k, updlen = 0;
	int r = SP_ERR_INTERNAL, nl = -1;

	*out = NULL;
	*outlen = 0;
	memset(&dss, 0, sizeof(dss));
	memset(&after, 0, sizeof(after));
	memset(&ev, 0, sizeof(ev));
	memset(&add, 0, sizeof(add));
	if (known != NULL) {
		known->nlisted = -1;
		known->vri_memo = NULL;
		known->vri_memo_len = 0;
		known->in_room = 0;
	}
	sp_buf_init(&memo, DSS_MEMO_MAX);
	/*
	 * The caller's open of data when it has one: sound, since the update is
	 * the same whatever open reads it (the DSS and the signatures' listing
	 * read the same objects of the same bytes; the form and page walks of an
	 * open of our own checked nothing the update depends on), and what it
	 * makes is verified whole before it is kept (CRYPTO_LTV_STORED: data is
	 * stored, or verifies whole afterwards).
	 */
	if (known != NULL && known->doc != NULL)
		doc = known->doc;
	else if ((r = ltv_open(data, len, flags, known ? known->pages : NULL,
			       known ? known->npages : 0, &doc, ei)) != SP_OK)
		goto out;
	if ((r = sigs_list(doc, data, len, known, &sigs, &nsigs, &nl, ei)) != SP_OK ||
	    (r = dss_read(known, doc, len, &dss, ei)) != SP_OK)
		goto out;
	if (nsigs > 0 && !(vri = calloc(nsigs, sizeof(*vri)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* the memo's size at once (every signature's /Contents): not copied again each time
	   a growing buffer doubled; one past DSS_MEMO_MAX is dropped below, as before */
	for (i = 0, k = 0; known != NULL && i < nsigs; i++)
		if (sigs[i].contents_state == PDF_SIG_KEY_OK && sigs[i].contents_len > 0 &&
		    sigs[i].contents_len <= DSS_MEMO_MAX)
			k += 44 + sigs[i].contents_len;
	if (k > 0 && k <= DSS_MEMO_MAX && sp_buf_reserve(&memo, k) < 0) {
		sp_buf_cleanup(&memo); /* best effort, as below */
		memo.max = 0;
	}
	for (i = 0; i < nsigs; i++) {
		const struct pdf_sig_field *s = &sigs[i];
		if (s->contents_state != PDF_SIG_KEY_OK || !s->contents_len)
			continue;
		/* hashed by an earlier completion (the same bytes, compared), or now */
		if ((known == NULL ||
		     !crypto_vri_memo_find(known->vri_given, known->vri_given_len, s->contents,
					   s->contents_len, vri[nvri])) &&
		    pdf_vri_key(s->contents, s->contents_len, vri[nvri]) != SP_OK) {
			r = sp_err(ei, SP_ERR_CRYPTO, "cannot hash a signature's /Contents");
			goto out;
		}
		/* the key with what it hashes, for the verification of the result (best
		   effort: a memo too large is not handed on) */
		if (known != NULL && memo.max > 0) {
			uint8_t l4[4];

			sp_store_be32(l4, (uint32_t)s->contents_len);
			if (s->contents_len > UINT32_MAX || sp_buf_add(&memo, l4, 4) < 0 ||
			    sp_buf_add(&memo, vri[nvri], 40) < 0 ||
			    sp_buf_add(&memo, s->contents, s->contents_len) < 0) {
				sp_buf_cleanup(&memo);
				memo.max = 0;
			}
		}
		if (pdf_dss_has_vri(&dss, vri[nvri]))
			continue;
		/* a signature this store cannot read (another tool's, malformed) gets no
		   /VRI entry; the others still get theirs */
		sp_errinfo_init(&ce);
		k = ev.unanswered;
		r = crypto_evidence_collect(t, ts_store, s->contents, s->contents_len,
					    strcmp(s->type, "/DocTimeStamp") == 0, &ev, &ce);
		if (r == SP_ERR_NOMEM) {
			*ei = ce;
			goto out;
		}
		if (r != SP_OK)
			continue;
		if ((flags & CRYPTO_LTV_ANSWERED) && ev.unanswered > k) {
			r = sp_err(ei, SP_ERR_UNAVAILABLE,
				   "a revocation service did not answer for a signature's chain "
				   "(and no CRL did): its validation data waits for it");
			goto out;
		}
		nvri++;
	}
	if (nvri == 0) {
		r = SP_OK; /* nothing new to prove: no update */
		goto out;
	}
	for (k = 0; extra && k < 3; k++)
		for (i = 0; i < extra->n[k]; i++)
			if ((r = crypto_evidence_add(&ev, (int)k, extra->item[k][i].data,
						     extra->item[k][i].len, ei)) != SP_OK)
				goto out;
	add.certs = ev.item[PDF_DSS_CERTS];
	add.ncerts = ev.n[PDF_DSS_CERTS];
	add.ocsps = ev.item[PDF_DSS_OCSPS];
	add.nocsps = ev.n[PDF_DSS_OCSPS];
	add.crls = ev.item[PDF_DSS_CRLS];
	add.ncrls = ev.n[PDF_DSS_CRLS];
	add.vri = (const char(*)[41])vri;
	add.nvri = nvri;
	/* the DSS as read above: its streams are not inflated a second time; and the read of
	   the new one as written, for the verification of the result */
	if ((r = pdf_dss_append_update(doc, &dss, &add, &upd, &updlen,
				       known != NULL && known->dss_out != NULL ? &after : NULL,
				       ei)) == SP_OK &&
	    pdf_doc_damaged(doc))
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_damaged",
				  "the signed PDF is damaged (qpdf had to repair it, "
				  "or guess at a trailer)");
	/* the update after data: in the caller's room, else in a copy */
	if (r == SP_OK && (r = dss_place(data, len, upd, updlen, known, out, outlen)) != SP_OK)
		r = sp_err(ei, r, "out of memory");
out:
	if (known != NULL && r == SP_OK && doc != NULL && !pdf_doc_damaged(doc))
		known->nlisted = nl;
	/* the caller's view of data, whose DSS the update rewrote: the checks of the update
	   (the caller's verification of the result, with the view as the revision before)
	   take that DSS from this read of it, not from a parse (pdf_doc_dss_tell) */
	if (known != NULL && r == SP_OK && *out != NULL && doc == known->doc)
		(void)pdf_doc_dss_tell(doc, &dss);
	if (known != NULL && r == SP_OK && memo.len > 0)
		known->vri_memo = sp_buf_take(&memo, &known->vri_memo_len);
	/* the DSS as read of data, or of what the update made of it when that is told (its
	   len says which), for the verification of the result */
	if (known != NULL && known->dss_out != NULL && r == SP_OK && doc != NULL &&
	    !pdf_doc_damaged(doc)) {
		pdf_dss_cleanup(known->dss_out);
		if (after.present && *out != NULL) {
			*known->dss_out = after;
			memset(&after, 0, sizeof(after)); /* moved */
		} else {
			*known->dss_out = dss;
			memset(&dss, 0, sizeof(dss)); /* moved */
		}
	}
	pdf_dss_cleanup(&after);
	sp_buf_cleanup(&memo);
	free(upd);
	free(vri);
	crypto_evidence_cleanup(&ev);
	pdf_dss_cleanup(&dss);
	pdf_sig_fields_free(sigs, nsigs);
	if (known == NULL || doc != known->doc)
		pdf_doc_free(doc);
	return r;
}

/* doc is data[0..len); known as crypto_ltv_add_dss's (its reads spare the parse) */
static size_t
doc_ts_contents(struct pdf_doc *doc, const uint8_t *data, size_t len,
		const struct crypto_ltv_known *known)
{
	struct pdf_sig_field *sigs = NULL;
	size_t n = 0, i, m = 0, k;
	struct sp_errinfo ei;
	int nl;

	sp_errinfo_init(&ei);
	if (sigs_list(doc, data, len, known, &sigs, &n, &nl, &ei) != SP_OK)
		return DOC_TS_CONTENTS_DEFAULT;
	for (i = 0; i < n; i++)
		if (sigs[i].contents_state == PDF_SIG_KEY_OK && (k = token_len(&sigs[i])) > m)
			m = k;
	pdf_sig_fields_free(sigs, n);
	if (m == 0)
		return DOC_TS_CONTENTS_DEFAULT;
	m += m / 4 + DOC_TS_MARGIN;
	return m < DOC_TS_CONTENTS_MIN    ? DOC_TS_CONTENTS_MIN
	       : m > PDF_SIG_CONTENTS_MAX ? PDF_SIG_CONTENTS_MAX
					  : m;
}

int
crypto_ltv_doc_timestamp(const struct crypto_trust *t, const uint8_t *data, size_t len,
			 unsigned flags, struct crypto_ltv_known *known, crypto_ts_digest_fn ts,
			 void *arg, uint8_t **out, size_t *outlen, time_t *tsa_until,
			 time_t *gen_time, struct sp_errinfo *ei)
{
	struct pdf_doc *doc = NULL;
	struct pdf_sig_params par;
	struct pdf_sig_prepared prep;
	struct pdf_sha256 *bh = NULL;
	uint8_t *tok = NULL, *whole = NULL, dig[32];
	/* room for the update after a copy of data: the copy is what the document is
	   opened on, so that the open can be handed out with the result */
	size_t toklen = 0, cap = len + 2 * (size_t)PDF_SIG_CONTENTS_MAX + DOC_TS_ROOM;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	*outlen = 0;
	*tsa_until = *gen_time = 0;
	if (known != NULL) {
		known->ts_doc = NULL;
		known->ts_doc_len = 0;
	}
	memset(&prep, 0, sizeof(prep));
	memset(&par, 0, sizeof(par));
	par.signing_time = time(NULL);
	par.doc_timestamp = 1;
	if (!(whole = malloc(cap))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(whole, data, len);
	if ((r = ltv_open(whole, len, flags, NULL, 0, &doc, ei)) != SP_OK)
		goto out;
	par.contents_max = doc_ts_contents(doc, whole, len, known);
	/* the file's digest on from the caller's hash of the bytes data starts with (the
	   state is read only where it is data's own prefix: the caller's word, as for the
	   verification's crypto_verify_opts.hashed); without it pdf_sig_prepare_update
	   hashes data itself. Either way data is not copied again to build the update. */
	if (known != NULL && known->hashed != NULL && known->hashed_len <= len &&
	    pdf_sha256_resume(whole, len, crypto_digest_ctx_evp(known->hashed), known->hashed_len,
			      &bh, dig, ei) != SP_OK) {
		sp_errinfo_init(ei);
		bh = NULL;
	}
	par.orig_hash = bh;
	if ((r = pdf_sig_prepare_update(doc, &par, NULL, 0, NULL, 0, &prep, ei)) != SP_OK ||
	    (r = ts(arg, prep.sha256, &tok, &toklen, gen_time, ei)) != SP_OK)
		goto out;
	if (prep.update_len > cap - len) {
		/* no room (a huge page dictionary rewritten): another copy, the open not
		   handed out (it reads the bytes freed here) */
		uint8_t *nw = malloc(prep.len);

		if (nw == NULL) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
		memcpy(nw, whole, len);
		pdf_doc_free(doc);
		doc = NULL;
		free(whole);
		whole = nw;
	}
	memcpy(whole + len, prep.update, prep.update_len);
	if ((r = pdf_sig_fill(whole, prep.len, prep.contents_off, prep.contents_len, tok, toklen,
			      ei)) != SP_OK ||
	    (r = crypto_ts_token_tsa_expiry(t, tok, toklen, tsa_until, ei)) != SP_OK)
		goto out;
	if (known != NULL && known->keep_ts_doc && doc != NULL) {
		known->ts_doc = doc;
		known->ts_doc_len = len;
		doc = NULL; /* transferred */
	}
	*out = whole;
	*outlen = prep.len;
	whole = NULL; /* transferred */
	r = SP_OK;
out:
	if (r != SP_OK)
		*tsa_until = *gen_time = 0;
	free(tok);
	pdf_sig_prepared_cleanup(&prep);
	pdf_sha256_free(bh);
	pdf_doc_free(doc); /* before the bytes it reads */
	free(whole);
	return r;
}
