/*
 * verify_ts.c: the RFC 3161 tokens of PDF signature verification, a
 * signature's timestamp (over its signature value, PAdES B-T) and a document
 * timestamp (over the byte ranges): the imprint, the TSA certificate's
 * critical timeStamping EKU, its chain at the token's own genTime against
 * the TSA roots (the trust's intermediates may complete it), its revocation
 * in the document's evidence, the ESS certificate id and the signature.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "verify_int.h"

/* The TSA certificate: a critical extendedKeyUsage of timeStamping only. */
static int
ts_eku_ok(X509 *x)
{
	int i = X509_get_ext_by_NID(x, NID_ext_key_usage, -1);

	return i >= 0 && (X509_get_extension_flags(x) & EXFLAG_XKUSAGE) &&
	       X509_EXTENSION_get_critical(X509_get_ext(x, i)) &&
	       X509_get_extended_key_usage(x) == XKU_TIMESTAMP;
}

/*
 * The TSA's certificate against the document's embedded revocation data
 * (PAdES B-LT keeps it for the timestamp's chain too): revoked before it
 * stamped is proof against the token. Without evidence nothing is asked
 * here (TSA revocation is then unknown, as before B-LT). 1 when it passes.
 */
static int
ts_revocation(const struct crypto_verify_opts *opts, X509_STORE_CTX *xc, X509 *tsa,
	      STACK_OF(X509) * untrusted, const struct crypto_evidence *ev,
	      struct crypto_sig_report *rep)
{
	STACK_OF(X509) *chain = NULL;
	struct trust_rev rev;
	struct sp_errinfo ei;
	int ok = 1;

	if (!ev || !opts->trust || (ev->n[PDF_DSS_OCSPS] == 0 && ev->n[PDF_DSS_CRLS] == 0))
		return 1;
	sp_errinfo_init(&ei);
	if ((chain = X509_STORE_CTX_get1_chain(xc)) && sk_X509_num(chain) > 1 &&
	    trust_evidence_status(opts->trust, ev, tsa, sk_X509_value(chain, 1), untrusted,
				  rep->ts_time, &rev, &ei) == SP_OK &&
	    rev.status == CRYPTO_REV_REVOKED && rev.revoked_at <= rep->ts_time) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "ts_revoked",
			    "the TSA certificate was revoked before it stamped (the document's "
			    "embedded revocation data says so)");
		ok = 0;
	}
	sk_X509_pop_free(chain, X509_free);
	return ok;
}

/*
 * The token's ESS signing-certificate attribute (v2, or v1, RFC 5816), which
 * RFC 3161 requires, names the TSA certificate (chain[0]) and only
 * certificates of its chain: 1 when it does, 0 when it names another one
 * (or cannot be read), -1 when the token has neither attribute.
 */
static int
ess_names_tsa(PKCS7 *p7, STACK_OF(X509) * chain)
{
	PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7), 0);
	ASN1_TYPE *t2 = PKCS7_get_signed_attribute(si, NID_id_smime_aa_signingCertificateV2),
		  *t1 = PKCS7_get_signed_attribute(si, NID_id_smime_aa_signingCertificate);
	ESS_SIGNING_CERT_V2 *v2 = NULL;
	ESS_SIGNING_CERT *v1 = NULL;
	const unsigned char *p;
	int ok = 0;

	if (!t2 && !t1)
		return -1;
	if ((t2 && t2->type != V_ASN1_SEQUENCE) || (t1 && t1->type != V_ASN1_SEQUENCE))
		goto out;
	if (t2 && (p = t2->value.sequence->data,
		   !(v2 = d2i_ESS_SIGNING_CERT_V2(NULL, &p, t2->value.sequence->length))))
		goto out;
	if (t1 && (p = t1->value.sequence->data,
		   !(v1 = d2i_ESS_SIGNING_CERT(NULL, &p, t1->value.sequence->length))))
		goto out;
	ok = chain != NULL && OSSL_ESS_check_signing_certs(v1, v2, chain, 1) > 0;
out:
	ESS_SIGNING_CERT_V2_free(v2);
	ESS_SIGNING_CERT_free(v1);
	return ok;
}

/*
 * Where the TSA certificate of a token that carries none may be found
 * (shared, up-ref'd): the certificates of the signature the token stamps
 * (sig_certs, NULL for a document timestamp; a signer's tool may put its
 * TSA's chain there, as pyHanko and iText do with the signer's own), the
 * document's DSS and the trust's intermediates. NULL out of memory.
 */
static STACK_OF(X509) * ts_cert_pool(const struct crypto_verify_opts *opts,
				     STACK_OF(X509) * sig_certs, const struct crypto_evidence *ev)
{
	struct crypto_evidence no_ev = { 0 };
	STACK_OF(X509) *untrusted = sig_certs ? sk_X509_dup(sig_certs) : sk_X509_new_null(),
		       *pool = NULL;
	int i;

	for (i = 0; untrusted && opts->trust && i < sk_X509_num(opts->trust->intermediates); i++)
		if (!sk_X509_push(untrusted, sk_X509_value(opts->trust->intermediates, i)))
			goto out;
	if (untrusted && opts->trust)
		pool = trust_evidence_certs(opts->trust, ev ? ev : &no_ev, untrusted);
	else if (untrusted && (pool = sk_X509_new_null()))
		for (i = 0; i < sk_X509_num(untrusted); i++)
			if (X509_up_ref(sk_X509_value(untrusted, i)) != 1 ||
			    !sk_X509_push(pool, sk_X509_value(untrusted, i))) {
				sk_X509_pop_free(pool, X509_free);
				pool = NULL;
				break;
			}
out:
	sk_X509_free(untrusted);
	return pool;
}

void
verify_ts_check(const struct crypto_verify_opts *opts, PKCS7 *p7, const uint8_t *what,
		size_t whatlen, STACK_OF(X509) * sig_certs, const struct verify_ranges *rg,
		const struct crypto_evidence *ev, struct crypto_sig_report *rep)
{
	TS_TST_INFO *info = NULL;
	TS_MSG_IMPRINT *mi;
	ASN1_OCTET_STRING *msg;
	const ASN1_OBJECT *alg;
	STACK_OF(X509) *signers = NULL, *untrusted = NULL, *extra = NULL;
	X509_STORE *store = NULL;
	int i;
	X509_STORE_CTX *xc = NULL;
	X509 *tsa;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;
	const EVP_MD *md;
	time_t now = opts->at ? opts->at : time(NULL);

	rep->has_timestamp = 1;
	rep->timestamp_ok = 0;
	if (!PKCS7_type_is_signed(p7) || !(info = PKCS7_to_TS_TST_INFO(p7))) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "ts_malformed",
			    "the timestamp is malformed");
		goto out;
	}
	rep->ts_time = trust_asn1_time(TS_TST_INFO_get_time(info));
	mi = TS_TST_INFO_get_msg_imprint(info);
	X509_ALGOR_get0(&alg, NULL, NULL, TS_MSG_IMPRINT_get_algo(mi));
	if (!digest_obj_ok(alg, rep, "the timestamp imprint"))
		goto out;
	msg = TS_MSG_IMPRINT_get_msg(mi);
	if (!(md = EVP_get_digestbynid(OBJ_obj2nid(alg))) ||
	    (what ? !verify_md_digest(md, what, whatlen, h, &hl)
		  : !ranges_digest(md, rg, h, &hl)) ||
	    (int)hl != ASN1_STRING_length(msg) || memcmp(h, ASN1_STRING_get0_data(msg), hl) != 0) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "ts_imprint_mismatch",
			    "the timestamp is not over %s",
			    what ? "this signature value" : "the signed bytes");
		goto out;
	}
	/* a token whose query asked no certificate carries none (RFC 3161 §2.4.1:
	   certReq false); its SignerInfo names the TSA's, found then among the
	   stamped signature's certificates, in the DSS or the trust's intermediates */
	if (sk_X509_num(p7->d.sign->cert) <= 0 && !(extra = ts_cert_pool(opts, sig_certs, ev))) {
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "ts_untrusted", "out of memory");
		goto out;
	}
	if (!(signers = PKCS7_get0_signers(p7, extra, 0)) || sk_X509_num(signers) != 1) {
		if (extra != NULL)
			verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "ts_tsa_cert_missing",
				    "the timestamp names its TSA certificate by reference only "
				    "(RFC 3161 §2.4.1), and that certificate is not in the token, "
				    "the signature's certificates, the document's DSS or the "
				    "trust: the timestamp cannot be checked");
		else
			verify_fail(rep, CRYPTO_VERDICT_INVALID, "ts_malformed",
				    "the timestamp does not carry its TSA certificate");
		goto out;
	}
	tsa = sk_X509_value(signers, 0);
	/* UTF-8 names stay text (X509_NAME_oneline escapes every non-ASCII byte). */
	if (trust_name_print(X509_get_subject_name(tsa), rep->tsa, sizeof(rep->tsa)) < 0)
		rep->tsa[0] = '\0';
	/* a certificate not issued for timestamps (RFC 3161 §2.3) makes the token
	   no timestamp, which proves nothing against the signature: as an
	   untrusted TSA, indeterminate */
	if (!ts_eku_ok(tsa)) {
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "ts_bad_eku",
			    "the TSA certificate lacks the critical extendedKeyUsage of "
			    "timeStamping alone (RFC 3161 §2.3): it was not issued for timestamps");
		goto out;
	}
	if (rep->ts_time == (time_t)-1 || rep->ts_time > now + TRUST_CLOCK_SKEW) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "ts_time_implausible",
			    "the timestamp's time is in the future or unreadable");
		goto out;
	}
	store = opts->ts_trust ? opts->ts_trust : (opts->trust ? opts->trust->store : NULL);
	if (!store) {
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "ts_untrusted",
			    "no TSA roots are configured");
		goto out;
	}
	/* the TSA's chain when it stamped */
	/* the token's certificates and the trust store's intermediates may complete the chain */
	untrusted = p7->d.sign->cert ? sk_X509_dup(p7->d.sign->cert) : sk_X509_new_null();
	if (!untrusted) {
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "ts_untrusted", "out of memory");
		goto out;
	}
	for (i = 0; opts->trust && i < sk_X509_num(opts->trust->intermediates); i++)
		if (!sk_X509_push(untrusted, sk_X509_value(opts->trust->intermediates, i)))
			break;
	for (i = 0; i < sk_X509_num(extra); i++)
		if (!sk_X509_push(untrusted, sk_X509_value(extra, i)))
			break;
	if (!(xc = X509_STORE_CTX_new()) || X509_STORE_CTX_init(xc, store, tsa, untrusted) != 1 ||
	    X509_STORE_CTX_set_purpose(xc, X509_PURPOSE_TIMESTAMP_SIGN) != 1) {
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "ts_untrusted",
			    "cannot set up the TSA chain check");
		goto out;
	}
	X509_STORE_CTX_set_time(xc, 0, rep->ts_time);
	if (X509_verify_cert(xc) != 1) {
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "ts_untrusted",
			    "the TSA is not trusted: %s",
			    X509_verify_cert_error_string(X509_STORE_CTX_get_error(xc)));
		goto out;
	}
	if (!ts_revocation(opts, xc, tsa, untrusted, ev, rep))
		goto out;
	/*
	 * The token's ESS certificate id and signature, and its version: what
	 * TS_RESP_verify_token() checks under TS_VFY_SIGNATURE | TS_VFY_VERSION,
	 * but against the chain verified above. TS_RESP_verify_signature() would
	 * build the chain again at today's time and from the roots and the
	 * token's certificates alone: a TSA certificate that expired since it
	 * stamped, or one under an intermediate of the trust, failed it.
	 */
	if (PKCS7_verify(p7, extra, NULL, NULL, NULL, PKCS7_NOVERIFY) != 1 ||
	    TS_TST_INFO_get_version(info) != 1) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "ts_bad_signature",
			    "the timestamp's signature does not verify");
		goto out;
	}
	switch (ess_names_tsa(p7, X509_STORE_CTX_get0_chain(xc))) {
	case -1:
		/* the TSA left out what binds its certificate: no proof against it */
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "ts_signing_cert_missing",
			    "the timestamp is without the ESS signing-certificate attribute "
			    "RFC 3161 §2.4.1 requires: which TSA certificate stamped is not bound");
		goto out;
	case 0:
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "ts_signing_cert_mismatch",
			    "the timestamp's ESS signing-certificate attribute names another "
			    "certificate than the TSA's that signed it");
		goto out;
	}
	/* what the token is signed with: the TSA's chain and key, and its digest; weak,
	   the time it proves is no proof */
	verify_chain_strength(X509_STORE_CTX_get0_chain(xc), "the TSA certificate", 1, rep);
	digest_ok(OBJ_obj2nid(sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7), 0)
				      ->digest_alg->algorithm),
		  rep, "the timestamp's signature");
	rep->timestamp_ok = 1;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(xc);
	sk_X509_free(untrusted);
	sk_X509_free(signers);
	sk_X509_pop_free(extra, X509_free);
	TS_TST_INFO_free(info);
}

void
verify_doc_timestamp(const struct crypto_verify_opts *opts, const struct verify_ranges *rg,
		     const uint8_t *tok, size_t toklen, const struct crypto_evidence *ev,
		     struct crypto_sig_report *rep)
{
	PKCS7 *p7 = NULL;
	size_t k, used = 0;

	rep->doc_timestamp = 1;
	if (toklen > LONG_MAX ||
	    !(p7 = cert_cache_pkcs7_d2i(opts->trust ? opts->trust->certs : NULL, tok, toklen,
					&used))) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "ts_malformed",
			    "the document timestamp is malformed");
		goto out;
	}
	for (k = used; k < toklen; k++)
		if (tok[k] != 0) {
			verify_fail(rep, CRYPTO_VERDICT_INVALID, "ts_malformed",
				    "/Contents holds data after the timestamp");
			goto out;
		}
	verify_ts_check(opts, p7, NULL, 0, NULL, rg, ev, rep);
	rep->digest_ok = rep->signature_ok = rep->timestamp_ok;
	rep->chain_ok = rep->timestamp_ok;
out:
	ERR_clear_error();
	PKCS7_free(p7);
}
