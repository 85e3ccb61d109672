/*
 * bench_chain.c: whether a contract's k-th signing costs what its 1st does,
 * in process (no HTTP, no database): one PDF signed N times in a row, each
 * signing doing the document work sealpactd does (prepare: open the stored
 * revision, build the update with a seal and a date placement without
 * copying the revision, check DocMDP with the earlier signatures as the
 * previous completion read them; complete: open the base and the new revision as views, count
 * their signed fields, run the engine over the new update only with the
 * object numbers (at the 1st, those the upload's normalization found), the
 * signature dictionaries and the signed-field count the previous completion
 * handed forward, the seal picture's image data made once). Prints the median over ROUNDS chains of the prepare and
 * complete milliseconds of the 1st, the middle and the N-th signing,
 * beside the same chain done the way sealpactd did before the verify-once
 * work (both documents opened whole, the base walked again, the picture
 * compressed at every prepare), the two interleaved so that a busy machine
 * slows both alike. The token's signature, the timestamp and the CMS are made but not
 * timed (bench_sign_local times those). The keys are those of the
 * development PKI (deploy/pki.sh): an ECDSA P-256 root and issuing CA, an
 * RSA-2048 signer and an ECDSA TSA under the CA; prepare checks the signer's
 * chain (crypto_cert_check) and completion the signature's and the
 * timestamp's chains against that trust, as sealpactd does.
 *
 *   bench_chain PDF SEAL.png [N (20)] [ROUNDS (5)]
 *   BENCH_CHAIN_NOW=1 bench_chain ...   only today's way (for a profile of it alone)
 *   BENCH_CHAIN_CG=1 valgrind --tool=callgrind --collect-atstart=no bench_chain ...
 *                                       each signing's prepare and complete dumped apart
 *   BENCH_CHAIN_WALK=1 bench_chain ...  today's way, but prepare walks the stored
 *                                       revision's page tree (as before srv24)
 *   BENCH_CHAIN_FORM=walk bench_chain ... today's way, but no form facts are kept: each
 *                                       prepare and completion walks the form (as before
 *                                       form26)
 *   BENCH_CHAIN_REFS=cold bench_chain ... today's way, but no completion is handed what
 *                                       the base refers to (sealpactd's revision_refs
 *                                       missed: another process, or a restart): the
 *                                       engine finds it in the base itself
 *   BENCH_CHAIN_REFS=stored bench_chain ... as cold, but each completion is handed the set
 *                                       the previous one packed (pdf_refs_pack), and the
 *                                       first the upload's as its creation packed it,
 *                                       unpacked for the base's digest: sealpactd's
 *                                       revisions.refs (migrations 067, 070), read with
 *                                       the claim in another process or after a restart
 *   BENCH_CHAIN_OUTSIDE=1,5,20 bench_chain ... after those signings (today's way, first
 *                                       chain), the whole file verified as one from outside
 *                                       (POST /api/v1/verify, `sealpact verify`: nothing
 *                                       handed on), timed apart and dumped as "outside K"
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "pdf.h"
#include "util.h"

/*
 * BENCH_CHAIN_CG=1 under valgrind --tool=callgrind --collect-atstart=no: the
 * instructions of each timed part collected alone and dumped under its name
 * ("prepare 1", "complete 20", ...), so that callgrind_annotate of the k-th
 * dump gives that signing's exact count and profile; outside valgrind the
 * requests cost nothing.
 */
#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif

static int cg; /* BENCH_CHAIN_CG=1 */

static void
cg_start(void)
{
#ifdef HAVE_CALLGRIND
	if (cg)
		CALLGRIND_TOGGLE_COLLECT;
#endif
}

static void
cg_stop(const char *what, int k)
{
#ifdef HAVE_CALLGRIND
	char name[64];

	if (!cg)
		return;
	CALLGRIND_TOGGLE_COLLECT;
	snprintf(name, sizeof(name), "%s %d", what, k);
	CALLGRIND_DUMP_STATS_AT(name);
#else
	(void)what;
	(void)k;
#endif
}

/* CPU time of this thread: others sharing the machine do not count */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct keys {
	EVP_PKEY *key;
	X509 *cert;
	struct crypto_tsa *tsa;
	X509_STORE *ts_trust;
	struct crypto_trust *trust;
};

/* The CMS of one signing over attrs, timestamped by the throwaway TSA. */
static void
make_cms(const struct keys *k, const uint8_t *attrs, size_t alen, uint64_t serial, uint8_t **cms,
	 size_t *cmslen)
{
	uint8_t *sig = NULL, *q = NULL, *resp = NULL, *tok = NULL;
	size_t siglen = (size_t)EVP_PKEY_get_size(k->key), qlen = 0, rlen = 0, toklen = 0;
	struct sp_errinfo ei;
	EVP_MD_CTX *md;

	sp_errinfo_init(&ei);
	if ((sig = malloc(siglen)) == NULL || (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, attrs, alen) != 1)
		bench_die("sign", NULL);
	EVP_MD_CTX_free(md);
	if (crypto_ts_query_new(sig, siglen, NULL, &q, &qlen, &ei) != SP_OK ||
	    crypto_tsa_respond(k->tsa, q, qlen, serial, 0, &resp, &rlen, &ei) != SP_OK ||
	    crypto_ts_response_check(resp, rlen, q, qlen, NULL, &tok, &toklen, NULL, &ei) !=
		    SP_OK ||
	    crypto_cms_assemble(k->cert, NULL, attrs, alen, sig, siglen, tok, toklen, cms, cmslen,
				&ei) != SP_OK)
		bench_die("cms", &ei);
	free(sig);
	free(q);
	free(resp);
	free(tok);
}

/*
 * Prepare's open of the stored revision as sealpactd's: the bytes hashed
 * ahead (their digest is the key of what the process keeps for them), the
 * page tree not walked when the pages are known (pages: the upload's from
 * its normalization, then handed forward by each completion), walked when
 * not (pages NULL; BENCH_CHAIN_WALK=1 always, the way before).
 */
static int
prep_open(const unsigned char *d, size_t len, const int *pages, size_t npages, const uint8_t *form,
	  size_t form_len, unsigned char dig[32], struct pdf_parsed *parsed, struct pdf_sha256 **bh,
	  struct pdf_doc **doc, struct sp_errinfo *ei)
{
	if (pdf_sha256_new(d, len, bh, dig, ei) != SP_OK) {
		pdf_parsed_free(parsed);
		return SP_ERR_CRYPTO;
	}
	/* the form from the facts kept for these bytes (none: walked, as before form26);
	   qpdf's parse of them as the last open left it (sealpactd's held document) */
	if (pages != NULL && pdf_doc_open_stored_kept_from(d, len, pages, npages, form, form_len,
							   dig, parsed, doc, ei) == SP_OK)
		return SP_OK;
	if (pages == NULL)
		pdf_parsed_free(parsed);
	return pdf_doc_open_stored(d, len, doc, ei);
}

static int walk;      /* BENCH_CHAIN_WALK=1: prepare walks the page tree (the way before) */
static int formwalk;  /* BENCH_CHAIN_FORM=walk: the form walked at every signing (before form26) */
static int cold_refs; /* BENCH_CHAIN_REFS=cold: no completion is handed the base's references */
static int stored_refs;     /* BENCH_CHAIN_REFS=stored: handed them as stored with the base */
static const char *outside; /* BENCH_CHAIN_OUTSIDE=K,K,...: verify from outside after those */

/* 1 when k is in the comma-separated list l */
static int
listed_k(const char *l, int k)
{
	char *e;
	long v;

	while (l != NULL && *l) {
		v = strtol(l, &e, 10);
		if (e == l)
			return 0;
		if (v == k)
			return 1;
		l = *e == ',' ? e + 1 : e;
	}
	return 0;
}

/*
 * The whole of d[0..len) verified as a file from outside is (POST
 * /api/v1/verify, public verify, `sealpact verify`): nothing opened or
 * known before, every signature and update read from the bytes. Each
 * signature must verify valid. Timed apart ("outside k", CPU ms printed).
 */
static void
verify_outside(const struct keys *k, const unsigned char *d, size_t len, int nsig)
{
	struct crypto_verify_opts vo;
	struct crypto_verify_report *rep = NULL;
	struct sp_errinfo ei;
	double t0;
	size_t s;

	sp_errinfo_init(&ei);
	memset(&vo, 0, sizeof(vo));
	vo.trust = k->trust;
	vo.ts_trust = k->ts_trust;
	t0 = now_ms();
	cg_start();
	if (crypto_pdf_verify(d, len, &vo, &rep, &ei) != SP_OK)
		bench_die("outside: verify", &ei);
	cg_stop("outside", nsig);
	printf("bench_chain: verified from outside with %d signatures: %.2f CPU ms\n", nsig,
	       now_ms() - t0);
	if ((int)rep->nsigs != nsig)
		bench_die("outside: not every signature found", NULL);
	/* the last valid, each earlier one valid with the later signatures' changes */
	for (s = 0; s < rep->nsigs; s++)
		if (rep->sigs[s].verdict != (s + 1 == rep->nsigs
						     ? CRYPTO_VERDICT_VALID
						     : CRYPTO_VERDICT_VALID_ALLOWED_CHANGES))
			bench_die("outside: a signature is not valid", NULL);
	crypto_verify_report_free(rep);
}

/* One chain of n signings; tp[k], tc[k]: prepare and complete ms of signing k + 1. */
static void
chain(const struct keys *k, const struct pdf_normalized *up, const unsigned char *png,
      size_t pnglen, int before, int n, double *tp, double *tc)
{
	unsigned char *enc = NULL;
	size_t enclen = 0, len = up->len;
	unsigned char *cur = malloc(len);
	size_t curlen = len;
	int *refs = NULL, i, nsigned = -1, *pages = NULL;
	size_t npages = 0;
	size_t nrefs = 0, nsigs = 0;
	uint8_t *sigs = NULL;
	/* the form's facts of cur (sealpactd's cache "form"), and cur's SHA-256 */
	uint8_t *form = NULL, cur_dig[32];
	/* BENCH_CHAIN_REFS=stored: the previous completion's set, packed for cur */
	uint8_t *packed = NULL;
	size_t packed_len = 0;
	/* qpdf's parse of cur, handed from open to open (sealpactd's held document) */
	struct pdf_parsed *held = NULL;
	size_t form_len = 0;
	struct sp_errinfo ei;

	if (cur == NULL)
		bench_die("oom", NULL);
	memcpy(cur, up->data, len);
	/* the upload's pages, as its normalization found them (sealpactd's cache) */
	if (!before && up->page_objs != NULL) {
		if ((pages = malloc(up->npage_objs * 2 * sizeof(int))) == NULL)
			bench_die("oom", NULL);
		memcpy(pages, up->page_objs, up->npage_objs * 2 * sizeof(int));
		npages = up->npage_objs;
	}
	/* what the upload refers to, as its normalization found it (sealpactd's cache) */
	if (!before && up->refs != NULL) {
		if ((refs = malloc(up->nrefs * sizeof(int))) == NULL)
			bench_die("oom", NULL);
		memcpy(refs, up->refs, up->nrefs * sizeof(int));
		nrefs = up->nrefs;
	}
	/* the upload's form facts, as its normalization kept them (sealpactd's cache) */
	if (!before && !formwalk && up->form != NULL) {
		if ((form = malloc(up->form_len)) == NULL)
			bench_die("oom", NULL);
		memcpy(form, up->form, up->form_len);
		form_len = up->form_len;
	}
	sp_errinfo_init(&ei);
	/* the upload's, as the statement that creates the contract stores it (070) */
	if (!before && stored_refs && up->refs != NULL &&
	    pdf_refs_pack(up->refs, up->nrefs, up->sha256, &packed, &packed_len, &ei) != SP_OK)
		bench_die("create: pack refs", &ei);
	for (i = 0; i < n; i++) {
		struct pdf_doc *doc = NULL, *base = NULL, *nw = NULL;
		struct pdf_sig_prepared prep;
		struct pdf_sig_params params;
		struct pdf_placement pl[2];
		struct pdf_seal seal;
		struct pdf_doc_info bi, ni;
		struct crypto_verify_opts vo;
		struct crypto_verify_report *rep = NULL;
		uint8_t *attrs = NULL, *cms = NULL;
		size_t alen = 0, cmslen = 0;
		int *nrefs_out = NULL;
		size_t nn = 0, nsigs_out = 0;
		uint8_t *sigs_out = NULL;
		struct pdf_sha256 *bh = NULL;
		unsigned char new_dig[32];
		double t0;

		memset(pl, 0, sizeof(pl));
		pl[0].mode = PDF_PLACE_NORMAL;
		pl[0].page = 1 + i % 10;
		pl[0].x = 100 + (i / 10 % 4) * 110;
		pl[0].y = 150 + (i / 40 % 6) * 110;
		pl[1].mode = PDF_PLACE_DATE;
		pl[1].page = pl[0].page;
		pl[1].x = pl[0].x;
		pl[1].y = pl[0].y - 30;
		memset(&seal, 0, sizeof(seal));
		seal.png = png;
		seal.png_len = pnglen;
		memset(&params, 0, sizeof(params));
		params.signing_time = time(NULL);
		params.contents_max = 8192;
		t0 = now_ms();
		cg_start();
		/* the signer's certificate against the trust, as sealpactd's prepare does */
		{
			struct crypto_cert_result res;

			if (crypto_cert_check(k->trust, k->cert, NULL, 0, &res, &ei) != SP_OK)
				bench_die("prepare: certificate", &ei);
			crypto_cert_result_cleanup(&res);
		}
		/* the picture's image data: made at the first prepare, then kept */
		if (!before && enc == NULL &&
		    pdf_seal_image_encode(png, pnglen, &enc, &enclen, &ei) != SP_OK)
			bench_die("seal image", &ei);
		seal.image = enc;
		seal.image_len = enclen;
		/* now: the update alone (the stored revision is not copied), the earlier
		   signatures' DocMDP as the previous completion read them (sealpactd's cache) */
		if ((before ? pdf_doc_open(cur, curlen, &doc, &ei) != SP_OK ||
				      pdf_docmdp_check_signable(doc, NULL, &ei) != SP_OK ||
				      pdf_sig_prepare(doc, &params, &seal, 1, pl, 2, &prep, &ei) !=
					      SP_OK
			    : prep_open(cur, curlen, walk ? NULL : pages, npages, form, form_len,
					cur_dig, held, &bh, &doc, &ei) != SP_OK ||
				      (params.orig_hash = bh,
				       pdf_sig_prepare_update(doc, &params, &seal, 1, pl, 2, &prep,
							      &ei)) != SP_OK ||
				      pdf_docmdp_check_signable_known(doc, NULL, sigs, nsigs,
								      &ei) != SP_OK) ||
		    crypto_cms_signed_attrs(k->cert, CRYPTO_SIGALG_RSA_SHA256, prep.sha256, 32,
					    &attrs, &alen, &ei) != SP_OK)
			bench_die("prepare", &ei);
		/* a form walked (no facts kept for cur): its facts kept, as sealpactd's prepare */
		if (!before && !formwalk && pdf_doc_form_walked(doc)) {
			free(form);
			form = NULL;
			if (pdf_doc_form_export(doc, cur_dig, &form, &form_len, &ei) != SP_OK)
				form = NULL;
		}
		held = before ? NULL : pdf_doc_parsed_take(doc); /* back with cur */
		pdf_doc_free(doc);
		pdf_sha256_free(bh);
		bh = NULL;
		tp[i] = now_ms() - t0;
		cg_stop(before ? "before prepare" : "prepare", i + 1);
		/* the whole new file, as completion's load assembles it (not timed) */
		if (!before) {
			if ((prep.data = malloc(prep.len)) == NULL)
				bench_die("oom", NULL);
			memcpy(prep.data, cur, curlen);
			memcpy(prep.data + curlen, prep.update, prep.update_len);
		}
		make_cms(k, attrs, alen, (uint64_t)i + 1, &cms, &cmslen);
		if (pdf_sig_fill(prep.data, prep.len, prep.contents_off, prep.contents_len, cms,
				 cmslen, &ei) != SP_OK)
			bench_die("fill", &ei);
		/* the stored bytes' digest, which sealpactd's completion takes anyway */
		if (!before && !formwalk) {
			unsigned int dl = 0;

			if (EVP_Digest(prep.data, prep.len, new_dig, &dl, EVP_sha256(), NULL) != 1)
				bench_die("sha256", NULL);
		}
		/*
		 * complete, as sealpactd does now: neither view walks its page tree
		 * (the base's page list handed forward from the previous completion,
		 * the new revision needs none), and the new revision's signed fields
		 * are counted by the engine's own listing, not by a walk of its form.
		 */
		t0 = now_ms();
		cg_start();
		if (before ? pdf_doc_open(prep.data, prep.orig_len, &base, &ei) != SP_OK ||
				     pdf_doc_open(prep.data, prep.len, &nw, &ei) != SP_OK
			   /* the base's pages as the previous completion handed them on; the
			      new revision's not read */
			   : (pages != NULL
				      ? pdf_doc_open_known_from(prep.data, prep.orig_len, pages,
								npages, held, &base, &ei)
				      : (pdf_parsed_free(held),
					 pdf_doc_open_view(prep.data, prep.orig_len, &base,
							   &ei))) != SP_OK ||
				     (pages == NULL &&
				      pdf_doc_page_objs(base, &pages, &npages, &ei) != SP_OK) ||
				     pdf_doc_open_known(prep.data, prep.len, NULL, 0, &nw, &ei) !=
					     SP_OK)
			bench_die("complete: open", &ei);
		/* the base's form facts, carried over the update to the new revision (sealpactd's
		   completion): the engine lists the new revision's fields from them */
		if (!before && !formwalk && form != NULL) {
			struct pdf_revision rv[PDF_REVISIONS_MAX];
			size_t nrv = 0;

			if (pdf_doc_form_load_kept(base, form, form_len, cur_dig, &ei) != SP_OK ||
			    pdf_revisions_find(prep.data, prep.len, rv, PDF_REVISIONS_MAX, &nrv,
					       &ei) != SP_OK ||
			    pdf_doc_form_keep(base, nw, rv, nrv, &ei) != SP_OK)
				bench_die("complete: form facts", &ei);
		}
		if (before) {
			if (pdf_doc_form_load(base, &ei) != SP_OK ||
			    pdf_doc_form_load(nw, &ei) != SP_OK)
				bench_die("complete: form", &ei);
			pdf_doc_info_get(base, &bi);
			pdf_doc_info_get(nw, &ni);
			if (ni.nsigned != bi.nsigned + 1)
				bench_die("complete: not one more signature", NULL);
		} else if (nsigned < 0) {
			/* the base's count: listed at the first, then handed forward */
			struct pdf_sig_field *ls = NULL;
			size_t nls = 0;

			if (pdf_sig_fields_list_lazy(base, &ls, &nls, &ei) != SP_OK)
				bench_die("complete: list", &ei);
			pdf_sig_fields_free(ls, nls);
			nsigned = (int)nls;
		}
		memset(&vo, 0, sizeof(vo));
		vo.trust = k->trust;
		vo.ts_trust = k->ts_trust;
		vo.verified_len = i > 0 ? prep.orig_len : 0;
		vo.doc = nw;
		vo.verified_doc = base;
		if (!before) {
			vo.given_len = prep.orig_len; /* the upload too: opened, not verified */
			vo.verified_refs = cold_refs ? NULL : refs;
			vo.nverified_refs = cold_refs ? 0 : nrefs;
			/* as sealpactd's claim reads it: bound to the base's digest */
			if (stored_refs && packed != NULL) {
				free(refs);
				refs = NULL;
				if (pdf_refs_unpack(packed, packed_len, cur_dig, &refs, &nrefs,
						    &ei) != SP_OK)
					bench_die("complete: stored refs", &ei);
				vo.verified_refs = refs;
				vo.nverified_refs = nrefs;
			}
			vo.refs_out = &nrefs_out;
			vo.nrefs_out = &nn;
			/* the earlier signatures as the previous completion read them */
			vo.verified_sigs = sigs;
			vo.verified_sigs_len = nsigs;
			vo.verified_nlisted = nsigned > 0 ? (size_t)nsigned : 0;
			vo.sigs_out = &sigs_out;
			vo.sigs_out_len = &nsigs_out;
		}
		if (crypto_pdf_verify(prep.data, prep.len, &vo, &rep, &ei) != SP_OK ||
		    rep->nsigs < 1 || pdf_doc_damaged(nw) || pdf_doc_damaged(base))
			bench_die("complete: verify", &ei);
		/* one more signed field, as the engine listed the new revision's (sealpactd) */
		if (!before) {
			if ((int)rep->nlisted != nsigned + 1)
				bench_die("complete: not one more signature", NULL);
			nsigned = (int)rep->nlisted;
		}
		/* what sealpactd requires of the new signature: valid, trusted, timestamped */
		if (rep->sigs[rep->nsigs - 1].verdict != CRYPTO_VERDICT_VALID ||
		    !rep->sigs[rep->nsigs - 1].chain_ok || !rep->sigs[rep->nsigs - 1].timestamp_ok)
			bench_die("complete: the new signature is not valid", NULL);
		/* and no earlier one became invalid (the page rules need the base's pages) */
		for (size_t s = 0; s + 1 < rep->nsigs; s++)
			if (rep->sigs[s].verdict == CRYPTO_VERDICT_INVALID)
				bench_die("complete: an earlier signature became invalid", NULL);
		/* the base's pages handed on when the update kept the tree (as sealpactd) */
		if (!before) {
			struct pdf_revision rv[PDF_REVISIONS_MAX];
			size_t nrv = 0;

			if (pdf_revisions_find(prep.data, prep.len, rv, PDF_REVISIONS_MAX, &nrv,
					       &ei) != SP_OK ||
			    nrv < 2 || !pdf_pages_kept(base, nw, &rv[nrv - 1])) {
				free(pages);
				pages = NULL;
			}
		}
		/* the new revision's facts, for the next prepare (its digest taken untimed) */
		free(form);
		form = NULL;
		if (!before && !formwalk &&
		    pdf_doc_form_export(nw, new_dig, &form, &form_len, &ei) != SP_OK)
			bench_die("complete: form export", &ei);
		/* the new revision's parse, kept with it for the next prepare (done_stored) */
		held = before ? NULL : pdf_doc_parsed_take(nw);
		pdf_doc_free(nw);
		pdf_doc_free(base);
		/* packed for the statement that stores the revision (done_refs_pack) */
		if (stored_refs && nrefs_out != NULL) {
			free(packed);
			packed = NULL;
			if (pdf_refs_pack(nrefs_out, nn, new_dig, &packed, &packed_len, &ei) !=
			    SP_OK)
				bench_die("complete: pack refs", &ei);
		}
		tc[i] = now_ms() - t0;
		cg_stop(before ? "before complete" : "complete", i + 1);
		crypto_verify_report_free(rep);
		free(refs);
		refs = nrefs_out;
		nrefs = nn;
		free(sigs);
		sigs = sigs_out;
		nsigs = nsigs_out;
		free(cur);
		cur = prep.data;
		curlen = prep.len;
		prep.data = NULL; /* transferred */
		pdf_sig_prepared_cleanup(&prep);
		free(attrs);
		free(cms);
		if (!before && outside != NULL && listed_k(outside, i + 1))
			verify_outside(k, cur, curlen, i + 1);
	}
	if (!before)
		outside = NULL; /* the first chain's only */
	/* BENCH_CHAIN_OUT=FILE: the chain's last signed revision, to look at */
	if (getenv("BENCH_CHAIN_OUT") != NULL) {
		FILE *o = fopen(getenv("BENCH_CHAIN_OUT"), "wb");

		if (o == NULL || fwrite(cur, 1, curlen, o) != curlen || fclose(o) != 0)
			bench_die("BENCH_CHAIN_OUT", NULL);
	}
	pdf_parsed_free(held); /* before cur, which it reads */
	free(refs);
	free(sigs);
	free(pages);
	free(form);
	free(packed);
	free(cur);
	free(enc);
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/sp-bench-chain.XXXXXX", path[512], tc[512], tk[512], ca[512], root[512];
	const char *roots[] = { root }, *inter[] = { ca }, *form, *refs;
	unsigned char *pdf = NULL, *png = NULL;
	size_t len = 0, pnglen = 0;
	int n = (int)bench_arg(argc, argv, 3, 20, 2, 200), i, r;
	int rounds = (int)bench_arg(argc, argv, 4, 5, 1, 100);
	double *tp, *tcm, *bp, *bcm, *col;
	struct sp_errinfo ei;
	struct pdf_normalized up;
	struct keys k;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_chain PDF SEAL.png [N (2..200)] [ROUNDS (1..100)]\n");
		return 64;
	}
	sp_errinfo_init(&ei);
	if (sp_file_read(argv[1], PDF_DOC_MAX_BYTES, &pdf, &len, &ei) != SP_OK)
		bench_die(argv[1], &ei);
	if (sp_file_read(argv[2], 4 << 20, &png, &pnglen, &ei) != SP_OK)
		bench_die(argv[2], &ei);
	/* root -> CA (ECDSA P-256) -> signer (RSA-2048) and TSA (ECDSA), as deploy/pki.sh */
	if (mkdtemp(dir) == NULL ||
	    bench_sh("cd %s && printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,"
		     "keyCertSign,cRLSign\n' >ca.ext && printf 'keyUsage=critical,digitalSignature,"
		     "nonRepudiation\n' >leaf.ext && printf 'keyUsage=critical,digitalSignature\n"
		     "extendedKeyUsage=critical,timeStamping\n' >tsa.ext && "
		     "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "
		     "rk.pem -out root.pem -days 2 -subj /CN=root -addext "
		     "basicConstraints=critical,CA:TRUE -addext "
		     "keyUsage=critical,keyCertSign,cRLSign "
		     ">/dev/null 2>&1 && "
		     "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "
		     "cak.pem -out ca.csr -subj /CN=ca >/dev/null 2>&1 && openssl x509 -req -in "
		     "ca.csr "
		     "-CA root.pem -CAkey rk.pem -set_serial 2 -days 2 -extfile ca.ext -out ca.pem "
		     ">/dev/null 2>&1 && "
		     "openssl req -new -newkey rsa:2048 -nodes -keyout k.pem -out c.csr -subj "
		     "/CN=bench >/dev/null 2>&1 && openssl x509 -req -in c.csr -CA ca.pem -CAkey "
		     "cak.pem -set_serial 3 -days 2 -extfile leaf.ext -out c.pem >/dev/null 2>&1 "
		     "&& "
		     "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "
		     "tk.pem -out t.csr -subj /CN=tsa >/dev/null 2>&1 && openssl x509 -req -in "
		     "t.csr "
		     "-CA ca.pem -CAkey cak.pem -set_serial 4 -days 2 -extfile tsa.ext -out tc.pem "
		     ">/dev/null 2>&1",
		     dir) != 0)
		bench_die("openssl req", NULL);
	memset(&k, 0, sizeof(k));
	snprintf(path, sizeof(path), "%s/k.pem", dir);
	if ((f = fopen(path, "r")) == NULL ||
	    (k.key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
		bench_die("key", NULL);
	fclose(f);
	snprintf(path, sizeof(path), "%s/c.pem", dir);
	if ((f = fopen(path, "r")) == NULL || (k.cert = PEM_read_X509(f, NULL, NULL, NULL)) == NULL)
		bench_die("cert", NULL);
	fclose(f);
	snprintf(tc, sizeof(tc), "%s/tc.pem", dir);
	snprintf(tk, sizeof(tk), "%s/tk.pem", dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(root, sizeof(root), "%s/root.pem", dir);
	if (crypto_tsa_new(tc, tk, ca, "1.3.6.1.4.1.99999.1.1", 1000, &k.tsa, &ei) != SP_OK)
		bench_die("tsa", &ei);
	if (crypto_trust_new(roots, 1, inter, 1, NULL, 0, NULL, &k.trust, &ei) != SP_OK ||
	    crypto_ts_trust_load(root, &k.ts_trust, &ei) != SP_OK)
		bench_die("trust", &ei);
	if ((tp = calloc((size_t)n * (size_t)rounds, sizeof(double))) == NULL ||
	    (tcm = calloc((size_t)n * (size_t)rounds, sizeof(double))) == NULL ||
	    (bp = calloc((size_t)n * (size_t)rounds, sizeof(double))) == NULL ||
	    (bcm = calloc((size_t)n * (size_t)rounds, sizeof(double))) == NULL ||
	    (col = calloc((size_t)rounds, sizeof(double))) == NULL)
		bench_die("oom", NULL);
	walk = getenv("BENCH_CHAIN_WALK") != NULL;
	cg = getenv("BENCH_CHAIN_CG") != NULL;
	refs = getenv("BENCH_CHAIN_REFS");
	stored_refs = refs != NULL && strcmp(refs, "stored") == 0;
	cold_refs = stored_refs || (refs != NULL && strcmp(refs, "cold") == 0);
	outside = getenv("BENCH_CHAIN_OUTSIDE");
	form = getenv("BENCH_CHAIN_FORM");
	formwalk = form != NULL && strcmp(form, "walk") == 0;
	/* both chains start from the stored upload, as sealpactd's do */
	if (pdf_upload_normalize(pdf, len, &up, &ei) != SP_OK)
		bench_die("normalize", &ei);
	for (r = 0; r < rounds; r++) {
		/* BENCH_CHAIN_NOW=1: only today's way (to profile it alone); "before" prints 0 */
		if (getenv("BENCH_CHAIN_NOW") == NULL)
			chain(&k, &up, png, pnglen, 1, n, bp + r * n, bcm + r * n);
		chain(&k, &up, png, pnglen, 0, n, tp + r * n, tcm + r * n);
	}
	pdf_normalized_cleanup(&up);
	printf("bench_chain: %s (%zu bytes) signed %d times in a row, median of %d chains, CPU "
	       "ms:\n",
	       argv[1], len, n, rounds);
	{
		int at[3] = { 0, n / 2 - 1, n - 1 }, a, b;
		const double *src[4] = { bp, bcm, tp, tcm };
		double m[4];
		printf("               before: prepare  complete     now: prepare  complete\n");
		for (a = 0; a < 3; a++) {
			for (b = 0; b < 4; b++) {
				for (i = 0; i < rounds; i++)
					col[i] = src[b][i * n + at[a]];
				qsort(col, (size_t)rounds, sizeof(double), bench_cmp_double);
				m[b] = col[rounds / 2];
			}
			printf("  signing %3d:        %7.2f   %7.2f         %7.2f   %7.2f\n",
			       at[a] + 1, m[0], m[1], m[2], m[3]);
		}
	}
	free(tp);
	free(tcm);
	free(bp);
	free(bcm);
	free(col);
	crypto_tsa_free(k.tsa);
	crypto_trust_free(k.trust);
	X509_STORE_free(k.ts_trust);
	EVP_PKEY_free(k.key);
	X509_free(k.cert);
	free(pdf);
	free(png);
	bench_sh("rm -rf %s", dir);
	return 0;
}
