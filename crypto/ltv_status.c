/*
 * ltv_status.c: answering revocation later from embedded long-term
 * validation evidence (PAdES B-LT, ETSI EN 319 142-1 §5.4: a DSS's OCSP
 * responses and CRLs), when the responder and the certificates may be long
 * gone. ltv.c gathers that evidence and says whether it covers a chain.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <openssl/err.h>

#include "crypto_int.h"

/* A store of t's roots whose checks run at time `at` (a response's own time). */
static X509_STORE *
roots_at(struct crypto_trust *t, time_t at)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(t->store);
	X509_STORE *s = X509_STORE_new();
	int i;

	if (!s)
		return NULL;
	for (i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
		if (x && !X509_STORE_add_cert(s, x)) {
			X509_STORE_free(s);
			return NULL;
		}
	}
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(s), at);
	/* the same roots: the signatures t's store verified need no second look */
	if (t->sigs != NULL)
		(void)cert_sigcache_attach(s, t->sigs);
	return s;
}

/*
 * Certificates that may complete a chain (a responder's, a signer's):
 * untrusted and the evidence's. Shared, not copied (read only, up-ref'd),
 * and the DSS's through t's certificate cache: this runs for every
 * certificate of every chain checked against a /DSS, and a copy or a decode
 * costs a provider key decoder each time.
 */
STACK_OF(X509) * trust_evidence_certs(struct crypto_trust *t, const struct crypto_evidence *ev,
				      STACK_OF(X509) * untrusted)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *x;
	size_t i;
	int k;

	for (k = 0; sk && k < sk_X509_num(untrusted); k++) {
		x = sk_X509_value(untrusted, k);
		if (X509_up_ref(x) != 1) {
			sk_X509_pop_free(sk, X509_free);
			return NULL;
		}
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			sk_X509_pop_free(sk, X509_free);
			return NULL;
		}
	}
	/* decoded once (crypto_evidence_decode): shared, one more reference each */
	for (k = 0; sk && ev->certs && k < sk_X509_num(ev->certs); k++) {
		x = sk_X509_value(ev->certs, k);
		if (X509_up_ref(x) == 1 && !sk_X509_push(sk, x))
			X509_free(x);
	}
	for (i = 0; sk && !ev->certs && i < ev->n[PDF_DSS_CERTS]; i++) {
		const unsigned char *p = ev->item[PDF_DSS_CERTS][i].data;
		/* what the cache does not take (over its size limit) is decoded as before */
		if ((x = trust_cert_get(t, p, ev->item[PDF_DSS_CERTS][i].len)) == NULL)
			x = d2i_X509(NULL, &p, (long)ev->item[PDF_DSS_CERTS][i].len);
		if (x && !sk_X509_push(sk, x))
			X509_free(x);
	}
	ERR_clear_error();
	return sk;
}

/* An answer issued at `issued`, current from `from` to `until` (0: open), speaks for `at`. */
static int
speaks_for(time_t issued, time_t from, time_t until, time_t at)
{
	if (issued != (time_t)-1 && issued + TRUST_CLOCK_SKEW >= at)
		return 1;
	return from != (time_t)-1 && from <= at + TRUST_CLOCK_SKEW &&
	       (until == 0 || (until != (time_t)-1 && at <= until + TRUST_CLOCK_SKEW));
}

/* What a verified response says about `at`, into rev: 0 when it cannot speak for it. */
static int
ocsp_status_answer(time_t produced, const struct ocsp_verified_status *st, time_t at,
		   struct trust_rev *rev)
{
	if (st->status == V_OCSP_CERTSTATUS_UNKNOWN)
		return 0;
	if (st->status == V_OCSP_CERTSTATUS_GOOD &&
	    !speaks_for(produced, st->this_update, st->next_update, at))
		return 0; /* too old to say anything about `at` */
	memset(rev, 0, sizeof(*rev));
	rev->reason = st->reason;
	rev->source = CRYPTO_REV_SRC_DSS;
	rev->status = st->status == V_OCSP_CERTSTATUS_GOOD ? CRYPTO_REV_GOOD : CRYPTO_REV_REVOKED;
	if (rev->status == CRYPTO_REV_REVOKED && (rev->revoked_at = st->revoked) == (time_t)-1)
		rev->revoked_at = 0;
	return 1;
}

/* crypto_int.h: the check of an embedded response, whoever parsed it (ocsp_answer, or
   the fetch that read it from its responder: ocsp.c) */
int
trust_ocsp_verified_keep(struct crypto_trust *t, const unsigned char *der, size_t len,
			 OCSP_BASICRESP *bs, STACK_OF(X509) * certs, time_t *produced)
{
	X509_STORE *st = NULL;
	int ok = 0;

	/* the responder's chain as it was when it answered */
	*produced = trust_asn1_time(OCSP_resp_get0_produced_at(bs));
	if (*produced != (time_t)-1 && (st = roots_at(t, *produced)) != NULL &&
	    OCSP_basic_verify(bs, certs, st, 0) == 1) {
		ocsp_verified_put(t->ocsps, der, len, bs, *produced);
		ok = 1;
	}
	ERR_clear_error();
	X509_STORE_free(st);
	return ok;
}

static int
ocsp_answer(struct crypto_trust *t, const struct pdf_blob *b, OCSP_CERTID *id,
	    STACK_OF(X509) * certs, time_t at, struct trust_rev *rev)
{
	const unsigned char *p = b->data;
	OCSP_RESPONSE *rsp = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_SINGLERESP *sr;
	struct ocsp_verified_status vs;
	int idx, ok = 0;
	time_t produced;

	/* verified before: what it says, without parsing or verifying it again */
	switch (ocsp_verified_get(t->ocsps, b->data, b->len, id, &produced, &vs)) {
	case 1:
		return ocsp_status_answer(produced, &vs, at, rev);
	case 0:
		return 0;
	}
	if (!(rsp = d2i_OCSP_RESPONSE(NULL, &p, (long)b->len)) ||
	    OCSP_response_status(rsp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    !(bs = OCSP_response_get1_basic(rsp)) || (idx = OCSP_resp_find(bs, id, -1)) < 0 ||
	    !(sr = OCSP_resp_get0(bs, idx)))
		goto out;
	if (!ocsp_single_status(sr, &vs) || vs.status == V_OCSP_CERTSTATUS_UNKNOWN ||
	    !trust_ocsp_verified_keep(t, b->data, b->len, bs, certs, &produced))
		goto out;
	ok = ocsp_status_answer(produced, &vs, at, rev);
out:
	ERR_clear_error();
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(rsp);
	return ok;
}

/*
 * What CRL item i of ev says of leaf at `at`, into rev: 0 when it cannot
 * speak for it. The item decoded once (crypto_evidence_decode), or here.
 */
static int
crl_answer(struct crypto_trust *t, const struct crypto_evidence *ev, size_t i, X509 *leaf,
	   X509 *issuer, time_t at, struct trust_rev *rev)
{
	const struct pdf_blob *b = &ev->item[PDF_DSS_CRLS][i];
	const unsigned char *p = b->data;
	X509_CRL *own = NULL, *crl;
	X509_REVOKED *entry = NULL;
	time_t upd, next;
	size_t used;
	int ok = 0;

	if (ev->crls != NULL) {
		crl = ev->crls[i].crl;
		used = ev->crls[i].used;
	} else {
		crl = own = d2i_X509_CRL(NULL, &p, (long)b->len);
		used = (size_t)(p - b->data);
	}
	if (!crl || X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0 ||
	    X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0 ||
	    X509_CRL_get_ext_by_NID(crl, NID_issuing_distribution_point, -1) >= 0 ||
	    (X509_get_key_usage(issuer) & KU_CRL_SIGN) == 0 ||
	    /* the same CRL under the same key verified once per process (cert_sig.c) */
	    !cert_sigcache_crl_ok(t != NULL ? t->sigs : NULL, crl, b->data, used, issuer))
		goto out;
	memset(rev, 0, sizeof(*rev));
	rev->reason = -1;
	rev->source = CRYPTO_REV_SRC_DSS;
	rev->status = CRYPTO_REV_GOOD;
	upd = trust_asn1_time(X509_CRL_get0_lastUpdate(crl));
	next = X509_CRL_get0_nextUpdate(crl) ? trust_asn1_time(X509_CRL_get0_nextUpdate(crl)) : 0;
	if (X509_CRL_get0_by_cert(crl, &entry, leaf) != 1 && !speaks_for(upd, upd, next, at))
		goto out; /* not listed, but too old to say anything about `at` */
	if (X509_CRL_get0_by_cert(crl, &entry, leaf) == 1) {
		rev->status = CRYPTO_REV_REVOKED;
		if ((rev->revoked_at = trust_asn1_time(X509_REVOKED_get0_revocationDate(entry))) ==
		    (time_t)-1)
			rev->revoked_at = 0;
	}
	ok = 1;
out:
	ERR_clear_error();
	X509_CRL_free(own);
	return ok;
}

int
trust_evidence_status(struct crypto_trust *t, const struct crypto_evidence *ev, X509 *leaf,
		      X509 *issuer, STACK_OF(X509) * untrusted, time_t at, struct trust_rev *rev,
		      struct sp_errinfo *ei)
{
	OCSP_CERTID *id = NULL;
	STACK_OF(X509) *certs = NULL;
	size_t i;
	int r = SP_ERR_NOT_FOUND, found = 0;

	memset(rev, 0, sizeof(*rev));
	rev->reason = -1;
	if (at == 0)
		at = time(NULL);
	if (!ev || (ev->n[PDF_DSS_OCSPS] == 0 && ev->n[PDF_DSS_CRLS] == 0))
		return sp_err(ei, SP_ERR_NOT_FOUND, "no embedded revocation data");
	if (ev->n[PDF_DSS_OCSPS] > 0 && (id = OCSP_cert_to_id(NULL, leaf, issuer)) &&
	    (certs = ev->certs != NULL ? ltv_certs_lent(untrusted, ev, NULL)
				       : trust_evidence_certs(t, ev, untrusted)))
		for (i = 0; i < ev->n[PDF_DSS_OCSPS] && !found; i++)
			if ((found = ocsp_answer(t, &ev->item[PDF_DSS_OCSPS][i], id, certs, at,
						 rev)))
				rev->item = &ev->item[PDF_DSS_OCSPS][i];
	/* a revoked answer from any source wins over a good one */
	for (i = 0; i < ev->n[PDF_DSS_CRLS] && !(found && rev->status == CRYPTO_REV_REVOKED); i++) {
		struct trust_rev cr;
		if (crl_answer(t, ev, i, leaf, issuer, at, &cr) &&
		    (!found || cr.status == CRYPTO_REV_REVOKED)) {
			*rev = cr;
			rev->item = &ev->item[PDF_DSS_CRLS][i];
			found = 1;
		}
	}
	if (found)
		r = SP_OK;
	else
		sp_err(ei, SP_ERR_NOT_FOUND, "no embedded OCSP response or CRL covers it");
	ERR_clear_error();
	OCSP_CERTID_free(id);
	if (ev->certs != NULL)
		sk_X509_free(certs);
	else
		sk_X509_pop_free(certs, X509_free);
	return r;
}
