/*
 * ltv.c: long-term validation evidence (PAdES B-LT, ETSI EN 319 142-1
 * §5.4): gathering the certificates, OCSP responses and CRLs that prove a
 * signature's and its timestamp's chains at signing time, and whether
 * such evidence covers a chain. ltv_status.c answers revocation from it.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "crypto_int.h"

#define EVIDENCE_MAX 1024 /* items of one kind */

static void
evidence_crls_drop(struct crypto_evidence *e)
{
	size_t i;

	for (i = 0; e->crls != NULL && i < e->n[PDF_DSS_CRLS]; i++)
		X509_CRL_free(e->crls[i].crl);
	free(e->crls);
	e->crls = NULL;
}

void
crypto_evidence_cleanup(struct crypto_evidence *e)
{
	size_t k;

	if (!e)
		return;
	evidence_crls_drop(e);
	for (k = 0; k < 3; k++)
		pdf_blobs_free(e->item[k], e->n[k]);
	sk_X509_pop_free(e->certs, X509_free);
	memset(e, 0, sizeof(*e));
}

void
crypto_evidence_decode(struct crypto_evidence *e, const struct crypto_trust *t)
{
	size_t i;
	X509 *x;

	/* each CRL is asked about every certificate of every chain checked: one decode */
	if (e->crls == NULL && e->n[PDF_DSS_CRLS] > 0 &&
	    (e->crls = calloc(e->n[PDF_DSS_CRLS], sizeof(*e->crls))) != NULL)
		for (i = 0; i < e->n[PDF_DSS_CRLS]; i++) {
			const unsigned char *p = e->item[PDF_DSS_CRLS][i].data;
			e->crls[i].crl = d2i_X509_CRL(NULL, &p, (long)e->item[PDF_DSS_CRLS][i].len);
			e->crls[i].used = (size_t)(p - e->item[PDF_DSS_CRLS][i].data);
		}
	ERR_clear_error();
	if (e->certs != NULL || (e->certs = sk_X509_new_null()) == NULL)
		return;
	for (i = 0; i < e->n[PDF_DSS_CERTS]; i++) {
		const unsigned char *p = e->item[PDF_DSS_CERTS][i].data;
		/* through t's certificate cache (the TSA's and CAs' recur in every DSS); what
		   it does not take is decoded here */
		if (t == NULL || (x = trust_cert_get(t, p, e->item[PDF_DSS_CERTS][i].len)) == NULL)
			x = d2i_X509(NULL, &p, (long)e->item[PDF_DSS_CERTS][i].len);
		if (x && !sk_X509_push(e->certs, x))
			X509_free(x);
	}
	ERR_clear_error();
}

int
crypto_evidence_add(struct crypto_evidence *e, int kind, const uint8_t *der, size_t len,
		    struct sp_errinfo *ei)
{
	struct pdf_blob *nv;
	size_t i;

	if (kind < 0 || kind > 2 || !der || len == 0)
		return sp_err(ei, SP_ERR_INVALID, "empty evidence");
	for (i = 0; i < e->n[kind]; i++)
		if (e->item[kind][i].len == len && memcmp(e->item[kind][i].data, der, len) == 0)
			return SP_OK;
	if (e->n[kind] >= EVIDENCE_MAX)
		return sp_err(ei, SP_ERR_LIMIT, "too much revocation evidence");
	if (kind == PDF_DSS_CRLS)
		evidence_crls_drop(e); /* one decoded for each item, or none */
	if (!(nv = realloc(e->item[kind], (e->n[kind] + 1) * sizeof(*nv))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	e->item[kind] = nv;
	if (!(nv[e->n[kind]].data = malloc(len)))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	memcpy(nv[e->n[kind]].data, der, len);
	nv[e->n[kind]].len = len;
	e->n[kind]++;
	return SP_OK;
}

static int
add_cert(struct crypto_evidence *e, X509 *x, struct sp_errinfo *ei)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der), r;

	if (n <= 0)
		return cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "cannot encode a certificate");
	r = crypto_evidence_add(e, PDF_DSS_CERTS, der, (size_t)n, ei);
	OPENSSL_free(der);
	return r;
}

/* A usable CRL of issuer from the store (the newest one), as DER; NULL when none. */
static X509_CRL *
store_crl(struct crypto_trust *t, X509 *issuer)
{
	X509_CRL *best = NULL;
	int i;

	for (i = 0; i < sk_X509_CRL_num(t->crls); i++) {
		X509_CRL *c = sk_X509_CRL_value(t->crls, i);
		if (X509_NAME_cmp(X509_CRL_get_issuer(c), X509_get_subject_name(issuer)) != 0 ||
		    !trust_crl_signature_ok(t, i, c, issuer))
			continue;
		if (!best || ASN1_TIME_compare(X509_CRL_get0_lastUpdate(c),
					       X509_CRL_get0_lastUpdate(best)) > 0)
			best = c;
	}
	ERR_clear_error();
	return best;
}

#define CRL_FETCH_MAX (4 * 1024 * 1024)

/*
 * A CRL of issuer from x's CRL distribution points (the first http(s) URI
 * that answers with a CRL the issuer signed), under t's URL policy; NULL
 * when none does.
 */
static X509_CRL *
fetch_crl(struct crypto_trust *t, X509 *x, X509 *issuer)
{
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	X509_CRL *crl = NULL;
	int i, j;

	for (i = 0; i < sk_DIST_POINT_num(dps) && !crl; i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		GENERAL_NAMES *names;
		if (!dp->distpoint || dp->distpoint->type != 0)
			continue;
		names = dp->distpoint->name.fullname;
		for (j = 0; j < sk_GENERAL_NAME_num(names) && !crl; j++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(names, j);
			struct crypto_http_req hq;
			struct crypto_http_resp resp;
			struct sp_errinfo ei;
			char url[1024];
			const unsigned char *p;
			int n;
			if (g->type != GEN_URI ||
			    (n = ASN1_STRING_length(g->d.uniformResourceIdentifier)) <= 0 ||
			    n >= (int)sizeof(url))
				continue;
			memcpy(url, ASN1_STRING_get0_data(g->d.uniformResourceIdentifier),
			       (size_t)n);
			url[n] = '\0';
			if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
				continue;
			memset(&hq, 0, sizeof(hq));
			hq.url = url;
			hq.who = "CRL distribution point";
			hq.timeout_ms = t->timeout_ms;
			hq.max_response = CRL_FETCH_MAX;
			hq.forbid_private = t->forbid_private;
			hq.allow = t->allow;
			sp_errinfo_init(&ei);
			if (crypto_http_get(&hq, &resp, &ei) == SP_OK && resp.status == 200 &&
			    resp.body.len > 0) {
				p = resp.body.data;
				crl = d2i_X509_CRL(NULL, &p, (long)resp.body.len);
				if (!crl) {
					BIO *bio =
						BIO_new_mem_buf(resp.body.data, (int)resp.body.len);
					crl = bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)
						  : NULL;
					BIO_free(bio);
				}
				if (crl && (X509_NAME_cmp(X509_CRL_get_issuer(crl),
							  X509_get_subject_name(issuer)) != 0 ||
					    cert_sigcache_crl_verify(t->sigs, crl, issuer) != 1)) {
					X509_CRL_free(crl);
					crl = NULL;
				}
			}
			crypto_http_resp_cleanup(&resp);
		}
	}
	ERR_clear_error();
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return crl;
}

static int
add_crl(struct crypto_evidence *e, X509_CRL *c, struct sp_errinfo *ei)
{
	unsigned char *der = NULL;
	int n = i2d_X509_CRL(c, &der), r;

	if (n <= 0)
		return cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "cannot encode a CRL");
	r = crypto_evidence_add(e, PDF_DSS_CRLS, der, (size_t)n, ei);
	OPENSSL_free(der);
	return r;
}

/* One definite-length element of tag/class at *p (before end); its content in *c, *clen. */
static int
der_enter(const unsigned char **p, const unsigned char *end, int want_tag, int want_cls,
	  const unsigned char **c, long *clen)
{
	const unsigned char *q = *p;
	int tag, cls, ret;

	if (*p >= end)
		return 0;
	ret = ASN1_get_object(&q, clen, &tag, &cls, end - *p);
	if ((ret & 0x80) || ret == 0x21 || tag != want_tag || cls != want_cls || *clen > end - q)
		return 0;
	*c = q;
	*p = q + *clen;
	return 1;
}

/*
 * The certificates of a BasicOCSPResponse (OCSPResponse DER) through t's
 * certificate cache, in order: the responder's certificate is the same in
 * every response, and decoding the response for it decoded it twice (the
 * response, then its basic response). 0 when the DER is not the plain shape
 * read here; *out then NULL.
 */
int
trust_ocsp_certs_cached(struct crypto_trust *t, const unsigned char *der, size_t len,
			STACK_OF(X509) * *out)
{
	const unsigned char *p = der, *end = der + len, *c, *e, *cert;
	STACK_OF(X509) *sk = NULL;
	ASN1_OBJECT *oid = NULL;
	long n;
	int ok = 0, i;
	X509 *x;

	*out = NULL;
	/* OCSPResponse { status, [0] { ResponseBytes { basic OID, OCTET STRING } } } */
	if (len > LONG_MAX || !der_enter(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &c, &n))
		return 0;
	p = c;
	end = c + n;
	if (!der_enter(&p, end, V_ASN1_ENUMERATED, V_ASN1_UNIVERSAL, &c, &n) ||
	    !der_enter(&p, end, 0, V_ASN1_CONTEXT_SPECIFIC, &c, &n))
		return 0;
	p = c;
	end = c + n;
	if (!der_enter(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &c, &n))
		return 0;
	p = c;
	end = c + n;
	e = p;
	if (!der_enter(&p, end, V_ASN1_OBJECT, V_ASN1_UNIVERSAL, &c, &n) ||
	    (oid = d2i_ASN1_OBJECT(NULL, &e, p - e)) == NULL)
		return 0;
	i = OBJ_obj2nid(oid);
	ASN1_OBJECT_free(oid);
	if (i != NID_id_pkix_OCSP_basic ||
	    !der_enter(&p, end, V_ASN1_OCTET_STRING, V_ASN1_UNIVERSAL, &c, &n))
		return 0;
	/* BasicOCSPResponse { tbsResponseData, signatureAlgorithm, signature, [0] { certs } } */
	p = c;
	end = c + n;
	if (!der_enter(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &c, &n))
		return 0;
	p = c;
	end = c + n;
	/* NOLINTNEXTLINE(misc-redundant-expression): each call enters one level deeper */
	if (!der_enter(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &c, &n) ||
	    !der_enter(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &c, &n) ||
	    !der_enter(&p, end, V_ASN1_BIT_STRING, V_ASN1_UNIVERSAL, &c, &n))
		return 0;
	if ((sk = sk_X509_new_null()) == NULL)
		return 0;
	if (p < end) {
		if (!der_enter(&p, end, 0, V_ASN1_CONTEXT_SPECIFIC, &c, &n) || p != end)
			goto out;
		p = c;
		end = c + n;
		if (!der_enter(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &c, &n) || p != end)
			goto out;
		for (p = c, end = c + n; p < end;) {
			cert = p;
			if (!der_enter(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &c, &n) ||
			    (x = trust_cert_get(t, cert, (size_t)(p - cert))) == NULL)
				goto out;
			if (!sk_X509_push(sk, x)) {
				X509_free(x);
				goto out;
			}
		}
	}
	*out = sk;
	sk = NULL; /* transferred */
	ok = 1;
out:
	sk_X509_pop_free(sk, X509_free);
	return ok;
}

/* The certificates an OCSP response carries (its responder's), as evidence too. */
static int
add_ocsp(struct crypto_trust *t, struct crypto_evidence *e, const unsigned char *der, size_t len,
	 struct sp_errinfo *ei)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *rsp = NULL;
	OCSP_BASICRESP *bs = NULL;
	STACK_OF(X509) *own = NULL;
	const STACK_OF(X509) * certs;
	int r, i;

	/* a response the trust parsed and verified: its certificates from the cache */
	if (trust_ocsp_certs_cached(t, der, len, &own)) {
		certs = own;
	} else {
		rsp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
		bs = rsp ? OCSP_response_get1_basic(rsp) : NULL;
		certs = bs ? OCSP_resp_get0_certs(bs) : NULL;
	}
	r = crypto_evidence_add(e, PDF_DSS_OCSPS, der, len, ei);
	for (i = 0; r == SP_OK && i < sk_X509_num(certs); i++)
		r = add_cert(e, sk_X509_value(certs, i), ei);
	sk_X509_pop_free(own, X509_free);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(rsp);
	ERR_clear_error();
	return r;
}

/*
 * Whether leaf's chain through store and untrusted verifies with the
 * validity periods aside, asked after a verification at the current time
 * failed on one (X509_verify_cert stops at its first error, before the
 * signatures below it). A flag, not a verify callback: with a callback of
 * its own a context does not use the store's signature cache (cert_sig.c).
 */
static int
anchored_any_time(X509_STORE *store, X509 *leaf, STACK_OF(X509) * untrusted)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok = 0;

	if (ctx != NULL && X509_STORE_CTX_init(ctx, store, leaf, untrusted)) {
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
		ok = X509_verify_cert(ctx) == 1;
	}
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/*
 * The chain of leaf through store (t's roots when NULL), t's intermediates
 * and extra (may be NULL): *chain, leaf first, and the untrusted pool it was
 * built from (*untrusted, shared references; sk_X509_free). Built at the
 * current time, and a chain that does not verify still gives what it could
 * find: evidence is not judgement. *anchored: the chain verifies up to a
 * root of store, its certificates' validity periods aside.
 */
static int
chain_build(struct crypto_trust *t, X509_STORE *store, X509 *leaf, STACK_OF(X509) * extra,
	    STACK_OF(X509) * *untrusted, STACK_OF(X509) * *chain, int *anchored,
	    struct sp_errinfo *ei)
{
	X509_STORE_CTX *ctx = NULL;
	int r = SP_ERR_INTERNAL, i;

	*chain = NULL;
	*anchored = 0;
	if (!(*untrusted = sk_X509_dup(t->intermediates))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; extra && i < sk_X509_num(extra); i++)
		if (!sk_X509_push(*untrusted, sk_X509_value(extra, i))) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
	if (!(ctx = X509_STORE_CTX_new()) ||
	    !X509_STORE_CTX_init(ctx, store ? store : t->store, leaf, *untrusted)) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "cannot set up the chain");
		goto out;
	}
	if (X509_verify_cert(ctx) == 1)
		*anchored = 1;
	else if (X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CERT_HAS_EXPIRED ||
		 X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CERT_NOT_YET_VALID)
		*anchored = anchored_any_time(store ? store : t->store, leaf, *untrusted);
	ERR_clear_error();
	if (!(*chain = X509_STORE_CTX_get1_chain(ctx)) || sk_X509_num(*chain) == 0) {
		r = sp_err(ei, SP_ERR_CRYPTO, "no chain for the certificate");
		goto out;
	}
	r = SP_OK;
out:
	if (r != SP_OK) {
		sk_X509_pop_free(*chain, X509_free);
		*chain = NULL;
	}
	X509_STORE_CTX_free(ctx);
	return r;
}

/*
 * A chain_walk visit that gathers (arg: the crypto_evidence): every
 * certificate, OCSP for the leaf (else a CRL), a CRL for each issuing CA.
 * The network (the leaf's OCSP responder, a CRL distribution point) is
 * asked only for a chain anchored in the store: the URLs of any other are
 * whoever made its certificates' choice (a signature in an uploaded file),
 * and each costs a responder's timeout at every completion (sec47: 3.09 s
 * against 0.10 s for one such signature whose responder never answers).
 */
static int
chain_evidence(struct crypto_trust *t, X509_STORE *store, X509 *leaf, STACK_OF(X509) * extra,
	       void *arg, struct sp_errinfo *ei)
{
	struct crypto_evidence *e = arg;
	STACK_OF(X509) *untrusted = NULL, *chain = NULL;
	struct trust_rev rev;
	struct sp_errinfo oe;
	unsigned char *der = NULL;
	size_t derlen = 0;
	X509_CRL *crl;
	int r = SP_ERR_INTERNAL, i, n, anchored;

	if ((r = chain_build(t, store, leaf, extra, &untrusted, &chain, &anchored, ei)) != SP_OK)
		goto out;
	n = sk_X509_num(chain);
	for (i = 0; i < n; i++)
		if ((r = add_cert(e, sk_X509_value(chain, i), ei)) != SP_OK)
			goto out;
	for (i = 0; i + 1 < n; i++) {
		X509 *x = sk_X509_value(chain, i), *issuer = sk_X509_value(chain, i + 1);
		int down = 0, q;
		if (i == 0 && t->ocsp && anchored) {
			sp_errinfo_init(&oe);
			q = trust_ocsp_query(t, x, issuer, untrusted, &rev, &der, &derlen, &oe);
			/* the service failed, not the certificate: a CRL may still answer */
			down = q == SP_ERR_UNAVAILABLE || q == SP_ERR_TIMEOUT;
			if (q == SP_OK && rev.status != CRYPTO_REV_UNKNOWN) {
				r = add_ocsp(t, e, der, derlen, ei);
				free(der);
				der = NULL;
				if (r != SP_OK)
					goto out;
				continue;
			}
			free(der);
			der = NULL;
		}
		if ((crl = store_crl(t, issuer))) {
			if ((r = add_crl(e, crl, ei)) != SP_OK)
				goto out;
		} else if (t->fetch_crls && anchored && (crl = fetch_crl(t, x, issuer))) {
			r = add_crl(e, crl, ei);
			X509_CRL_free(crl);
			if (r != SP_OK)
				goto out;
		} else if (down) {
			e->unanswered++;
		}
	}
	r = SP_OK;
out:
	free(der);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_free(untrusted);
	return r;
}

/* What chain_walk does with each chain: its leaf, the store and extra certificates. */
struct chain_visit {
	int (*fn)(struct crypto_trust *t, X509_STORE *store, X509 *leaf, STACK_OF(X509) * extra,
		  void *arg, struct sp_errinfo *ei);
	void *arg;
};

/* The TSA of a TimeStampToken: its signer certificate and the certificates it carries. */
static int
token_chain(struct crypto_trust *t, X509_STORE *ts_store, PKCS7 *p7, const struct chain_visit *v,
	    struct sp_errinfo *ei)
{
	STACK_OF(X509) *signers = NULL;
	int r;

	if (!PKCS7_type_is_signed(p7) || !(signers = PKCS7_get0_signers(p7, NULL, 0)) ||
	    sk_X509_num(signers) != 1) {
		sk_X509_free(signers);
		ERR_clear_error();
		return sp_err(ei, SP_ERR_INVALID, "the timestamp names no TSA certificate");
	}
	r = v->fn(t, ts_store, sk_X509_value(signers, 0), p7->d.sign->cert, v->arg, ei);
	sk_X509_free(signers);
	return r;
}

/*
 * The chains of one signature's /Contents, each visited once: the CMS
 * signer's and the TSA's of its signature timestamp (with token: der is a
 * document timestamp's TimeStampToken, its TSA's chain only).
 */
static int
chain_walk(struct crypto_trust *t, X509_STORE *ts_store, const uint8_t *der, size_t len, int token,
	   const struct chain_visit *v, struct sp_errinfo *ei)
{
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	size_t used = 0;
	STACK_OF(X509) *certs = NULL;
	PKCS7 *p7 = NULL;
	X509 *signer = NULL;
	int r = SP_ERR_INTERNAL, i, idx;

	if (!t) {
		r = sp_err(ei, SP_ERR_CONFIG, "no trust store to build chains with");
		goto out;
	}
	if (token) {
		if (!(p7 = cert_cache_pkcs7_d2i(t->certs, der, len, &used))) {
			r = sp_err(ei, SP_ERR_INVALID, "not a timestamp token");
			goto out;
		}
		r = token_chain(t, ts_store, p7, v, ei);
		goto out;
	}
	if (!(cms = cert_cache_cms_d2i(t->certs, der, len, &used)) ||
	    sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)) != 1) {
		r = sp_err(ei, SP_ERR_INVALID, "not a CMS signature with one signer");
		goto out;
	}
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	certs = CMS_get1_certs(cms);
	for (i = 0; i < sk_X509_num(certs) && !signer; i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
			signer = sk_X509_value(certs, i);
	if (!signer) {
		r = sp_err(ei, SP_ERR_INVALID, "the CMS does not carry its signer's certificate");
		goto out;
	}
	if ((r = v->fn(t, NULL, signer, certs, v->arg, ei)) != SP_OK)
		goto out;
	idx = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
	if (idx >= 0) {
		ASN1_TYPE *at = X509_ATTRIBUTE_get0_type(CMS_unsigned_get_attr(si, idx), 0);
		if (at && at->type == V_ASN1_SEQUENCE && at->value.sequence->length > 0)
			p7 = cert_cache_pkcs7_d2i(t->certs, at->value.sequence->data,
						  (size_t)at->value.sequence->length, &used);
		if (!p7) {
			r = sp_err(ei, SP_ERR_INVALID, "the signature timestamp is malformed");
			goto out;
		}
		if ((r = token_chain(t, ts_store, p7, v, ei)) != SP_OK)
			goto out;
	}
	r = SP_OK;
out:
	ERR_clear_error();
	PKCS7_free(p7);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	return r;
}

int
crypto_evidence_collect(struct crypto_trust *t, X509_STORE *ts_store, const uint8_t *der,
			size_t len, int token, struct crypto_evidence *e, struct sp_errinfo *ei)
{
	struct chain_visit v = { chain_evidence, e };

	return chain_walk(t, ts_store, der, len, token, &v, ei);
}

/* crypto_evidence_covers' question and its answer so far. */
struct covers {
	const struct crypto_evidence *ev;
	time_t at;
	int yes;
};

/* The issuer of x among pool, then store's certificates (borrowed), by X509_check_issued. */
static X509 *
issuer_of(X509 *x, STACK_OF(X509) * pool, X509_STORE *store)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(store);
	X509 *c;
	int i;

	for (i = 0; i < sk_X509_num(pool); i++)
		if (X509_check_issued(c = sk_X509_value(pool, i), x) == X509_V_OK)
			return c;
	for (i = 0; i < sk_X509_OBJECT_num(objs); i++)
		if ((c = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i))) != NULL &&
		    X509_check_issued(c, x) == X509_V_OK)
			return c;
	return NULL;
}

/*
 * a's, ev's decoded certificates (ev->certs: NULL when they are not) and
 * b's, in that order (the order trust_evidence_certs gives), in one stack
 * whose entries are lent, not up-ref'd: all three outlive the caller's use
 * of it, which frees it with sk_X509_free. NULL when out of memory. A DSS
 * holds every earlier signer's certificate: taking and giving back a
 * reference to each, for every certificate asked about, made the k-th
 * completion's checks of the new chain cost O(k) more (62,000 instructions
 * at a B-LT contract's 19th).
 */
STACK_OF(X509) *
	ltv_certs_lent(STACK_OF(X509) * a, const struct crypto_evidence *ev, STACK_OF(X509) * b)
{
	STACK_OF(X509) * from[3] = { a, ev->certs, b }, *sk = sk_X509_new_null();
	int k, i;

	for (k = 0; sk != NULL && k < 3; k++)
		for (i = 0; i < sk_X509_num(from[k]); i++)
			if (!sk_X509_push(sk, sk_X509_value(from[k], i))) {
				sk_X509_free(sk);
				return NULL;
			}
	return sk;
}

/*
 * A chain_walk visit that asks (arg: struct covers): leaf's chain, found
 * through the pool (extra, the evidence's certificates, t's intermediates)
 * and the store by names and key identifiers alone (the verification that
 * asks checked the chain's signatures already: building it again with
 * X509_verify_cert cost more than the question), reaches a self-signed
 * certificate and the evidence answers each certificate below it.
 */
static int
chain_covered(struct crypto_trust *t, X509_STORE *store, X509 *leaf, STACK_OF(X509) * extra,
	      void *arg, struct sp_errinfo *ei)
{
	struct covers *c = arg;
	STACK_OF(X509) *pool = NULL;
	struct trust_rev rev;
	struct sp_errinfo oe;
	X509 *x = leaf, *up;
	int i;

	/* lent when the evidence is decoded (the engine's), else each up-ref'd */
	if (c->ev->certs != NULL)
		pool = ltv_certs_lent(extra, c->ev, t->intermediates);
	else if ((pool = trust_evidence_certs(t, c->ev, extra)) != NULL)
		for (i = 0; i < sk_X509_num(t->intermediates); i++)
			if (X509_up_ref(sk_X509_value(t->intermediates, i)) == 1 &&
			    !sk_X509_push(pool, sk_X509_value(t->intermediates, i)))
				X509_free(sk_X509_value(t->intermediates, i));
	if (pool == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	/* at most as deep as a chain the verification accepts */
	for (i = 0; c->yes && i < 16 && !(X509_get_extension_flags(x) & EXFLAG_SS); i++, x = up) {
		sp_errinfo_init(&oe);
		if ((up = issuer_of(x, pool, store ? store : t->store)) == NULL ||
		    trust_evidence_status(t, c->ev, x, up, pool, c->at, &rev, &oe) != SP_OK)
			c->yes = 0;
	}
	/* x is NULL when a certificate's issuer was not found */
	if (x == NULL || !(X509_get_extension_flags(x) & EXFLAG_SS))
		c->yes = 0;
	ERR_clear_error();
	if (c->ev->certs != NULL)
		sk_X509_free(pool);
	else
		sk_X509_pop_free(pool, X509_free);
	return SP_OK;
}

int
crypto_evidence_covers(struct crypto_trust *t, X509_STORE *ts_store, const uint8_t *der, size_t len,
		       int token, const struct crypto_evidence *ev, time_t at)
{
	struct covers c = { ev, at, 1 };
	struct chain_visit v = { chain_covered, &c };
	struct sp_errinfo ei;

	if (t == NULL || ev == NULL || ev->n[PDF_DSS_OCSPS] + ev->n[PDF_DSS_CRLS] == 0)
		return 0;
	sp_errinfo_init(&ei);
	return chain_walk(t, ts_store, der, len, token, &v, &ei) == SP_OK && c.yes;
}
