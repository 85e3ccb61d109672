/*
 * test_verify_world_algs.c: signatures other tools make with the algorithms
 * and certificates a demanding verifier (a CA, a bank) meets, each a
 * countersignature the openssl CLI's `openssl cms -sign` makes on a contract
 * sealpact signed: ECDSA over P-384 and P-521 with SHA-384/512, brainpool
 * curves, RSA-3072 with SHA-512, RSASSA-PSS with its salt lengths, SHA3
 * (ISO/TS 32001 adds it to PDF 2.0), keys too weak to prove anything (RSA-1024,
 * P-192), signer certificates without keyUsage, with a keyUsage that forbids
 * signing or with an unknown critical extension, and a signer whose issuing
 * CA is only in the DSS, only in the CMS, or nowhere. What pdfsig (poppler
 * 22.12 over NSS) says of each is asserted beside ours where it speaks.
 */
#include <openssl/ts.h>

#include "test_verify_countersign.h"

static void
setup(void)
{
	world_setup();
	/* more signers under the corpus root, and an issuing CA "sub" with its own signer */
	ck_assert_int_eq(
		run("cd %s && ( "
		    "for c in p384:P-384 p521:P-521 bp256:brainpoolP256r1 bp384:brainpoolP384r1 "
		    "p192:prime192v1; do openssl genpkey -algorithm EC -pkeyopt "
		    "ec_paramgen_curve:${c#*:} -out ${c%%:*}.key || exit 1; done && "
		    "for b in 1024 3072; do openssl genpkey -algorithm RSA -pkeyopt "
		    "rsa_keygen_bits:$b -out rsa$b.key || exit 1; done && "
		    "for k in noku encku critext twin; do cp rsa.key $k.key; done && "
		    "printf 'basicConstraints=critical,CA:FALSE\\n' >noku.ext && "
		    "printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,"
		    "keyEncipherment\\n' >encku.ext && "
		    "cp leaf.ext critext.ext && printf "
		    "'1.3.6.1.4.1.99999.9.1=critical,ASN1:NULL\\n' "
		    ">>critext.ext && "
		    "printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,"
		    "digitalSignature\\nextendedKeyUsage=timeStamping\\n' >tsanc.ext && "
		    "cp tsa.key tsanc.key && cp tsa.ext tsa1024.ext && cp rsa1024.key tsa1024.key "
		    "&& "
		    "printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=critical,keyCertSign,"
		    "cRLSign\\n' >sub.ext && openssl req -new -newkey rsa:2048 -nodes "
		    "-keyout sub.key -subj '/CN=verify test issuing CA' -out sub.csr && "
		    "openssl x509 -req -in sub.csr -CA ca.pem -CAkey ca.key -set_serial 40 "
		    "-days 20 -extfile sub.ext -out sub.pem && cp ec.key subleaf.key && "
		    /* issuing CAs that weaken the chain: one the root signed with SHA-1, one
		       with an RSA-1024 key; a signer (ec's key) under each, and one the root
		       itself signed with SHA-1 */
		    "openssl x509 -req -in sub.csr -CA ca.pem -CAkey ca.key -set_serial 60 "
		    "-days 20 -sha1 -extfile sub.ext -out subsha1.pem && cp sub.key subsha1.key && "
		    "openssl req -new -key rsa1024.key -subj '/CN=verify test weak CA' "
		    "-out sub1024.csr && openssl x509 -req -in sub1024.csr -CA ca.pem -CAkey "
		    "ca.key -set_serial 61 -days 20 -extfile sub.ext -out sub1024.pem && "
		    "cp rsa1024.key sub1024.key && "
		    "for k in undersha1:subsha1 under1024:sub1024 leafsha1:ca; do "
		    "cp ec.key ${k%%:*}.key && openssl req -new -key ec.key -subj "
		    "\"/CN=${k%%:*} signer/O=Org W\" -out ${k%%:*}.csr && openssl x509 -req "
		    "-in ${k%%:*}.csr -CA ${k#*:}.pem -CAkey ${k#*:}.key -set_serial $((70 + "
		    "${#k})) -days 20 -extfile leaf.ext $([ ${k%%:*} = leafsha1 ] && echo -sha1) "
		    "-out ${k%%:*}.pem || exit 1; done && "
		    "s=41; for k in p384 p521 bp256 bp384 p192 rsa1024 rsa3072 noku encku critext "
		    "twin tsanc tsa1024 subleaf; do s=$((s + 1)); e=leaf.ext; [ -f $k.ext ] && "
		    "e=$k.ext; "
		    "ca=ca; [ $k = subleaf ] && ca=sub; openssl req -new -key $k.key "
		    "-subj \"/CN=$k signer/O=Org W\" -out $k.csr && openssl x509 -req -in "
		    "$k.csr -CA $ca.pem -CAkey $ca.key -set_serial $s -days 20 -extfile $e "
		    "-out $k.pem || exit 1; done ) >>pki.log 2>&1",
		    vc_dir),
		0);
	world_eddsa_signers();
}

/* d countersigned by `who` (test_verify_writer.h's "openssl:WHO@ARGS"), its report. */
static struct crypto_verify_report *
countersigned(const unsigned char *one, size_t n1, const char *who, const char *name,
	      unsigned char **two, size_t *n2)
{
	*two = countersign(one, n1, VW_TABLE, 0, "/adbe.pkcs7.detached", who, n2);
	write_file(vc_path(name), *two, *n2);
	return verify(*two, *n2);
}

/*
 * Strong algorithms as other tools choose them: valid here, with the
 * algorithm reported as the CMS names it. pdfsig (NSS 3.87) agrees where NSS
 * knows the algorithm; it calls the brainpool signatures "Signature is
 * Invalid." (NSS has no brainpool curves: wrong, and PDFBox with
 * BouncyCastle verifies them) and the SHA-3 ones "Unknown Validation
 * Failure.". PDFBox with BouncyCastle verifies them all but RSASSA-PSS whose
 * MGF1 digest differs from the message digest (its provider has no such
 * algorithm), which RFC 4055 allows.
 */
#define V "Signature is Valid."
#define U "Unknown Validation Failure."
#define I "Signature is Invalid."
START_TEST(strong_algorithms_of_other_tools)
{
	static const struct {
		const char *who, *name, *digest, *sig_alg, *pdfsig;
	} c[] = {
		{ "openssl:p384@-md sha384", "p384_sha384.pdf", "SHA384", "ecdsa-with-SHA384", V },
		{ "openssl:p521@-md sha512", "p521_sha512.pdf", "SHA512", "ecdsa-with-SHA512", V },
		{ "openssl:bp256@-md sha256", "bp256.pdf", "SHA256", "ecdsa-with-SHA256", I },
		{ "openssl:bp384@-md sha384", "bp384.pdf", "SHA384", "ecdsa-with-SHA384", I },
		{ "openssl:rsa3072@-md sha512", "rsa3072_sha512.pdf", "SHA512", "rsaEncryption",
		  V },
		{ "openssl:rsa@-md sha256 -keyopt rsa_padding_mode:pss -keyopt "
		  "rsa_pss_saltlen:digest",
		  "pss_salt32.pdf", "SHA256", "RSASSA-PSS", V },
		{ "openssl:rsa@-md sha256 -keyopt rsa_padding_mode:pss -keyopt "
		  "rsa_pss_saltlen:max",
		  "pss_saltmax.pdf", "SHA256", "RSASSA-PSS", V },
		{ "openssl:rsa@-md sha512 -keyopt rsa_padding_mode:pss -keyopt "
		  "rsa_mgf1_md:sha256 -keyopt rsa_pss_saltlen:0",
		  "pss_sha512_mgf256_salt0.pdf", "SHA512", "RSASSA-PSS", V },
		{ "openssl:rsa@-md sha3-256", "rsa_sha3_256.pdf", "SHA3-256", "rsaEncryption", U },
		{ "openssl:rsa3072@-md sha3-512", "rsa_sha3_512.pdf", "SHA3-512", "rsaEncryption",
		  U },
		/* SHA-512/256 (FIPS 180-4, RFC 5754's identifiers): was indeterminate,
		   "unsupported digest (SHA512-256)" */
		{ "openssl:rsa@-md sha512-256", "rsa_sha512_256.pdf", "SHA512-256", "rsaEncryption",
		  U },
	};
	size_t n1, n2, i;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;
	char *line;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		r = countersigned(one, n1, c[i].who, c[i].name, &two, &n2);
		ck_assert_uint_eq(r->nsigs, 2);
		ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_VALID, "%s: %s: %s", c[i].name,
			      crypto_verdict_name(r->sigs[1].verdict), r->sigs[1].message);
		ck_assert_int_eq(r->sigs[1].chain_ok, 1);
		ck_assert_str_eq(r->sigs[1].digest_alg, c[i].digest);
		ck_assert_msg(strcmp(r->sigs[1].sig_alg, c[i].sig_alg) == 0, "%s: %s", c[i].name,
			      r->sigs[1].sig_alg);
		ck_assert_int_eq(vc_outcome(r), VC_VALID);
		crypto_verify_report_free(r);
		line = pdfsig_says(c[i].name, 2);
		ck_assert_msg(!strcmp(line, c[i].pdfsig), "%s: pdfsig: %s", c[i].name, line);
		free(line);
		free(two);
	}
	free(one);
}
END_TEST
#undef V
#undef U
#undef I

/* One countersignature by who: its verdict, first reason and message checked. */
static void
judged(const unsigned char *one, size_t n1, const char *who, const char *name,
       enum crypto_verdict verdict, const char *reason, const char *says, const char *pdfsig)
{
	struct crypto_verify_report *r;
	unsigned char *two;
	size_t n2;
	char *line;

	r = countersigned(one, n1, who, name, &two, &n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_msg(r->sigs[1].verdict == verdict && r->sigs[1].nreasons > 0 &&
			      !strcmp(r->sigs[1].reasons[0], reason),
		      "%s: %s [%s] %s", name, crypto_verdict_name(r->sigs[1].verdict),
		      r->sigs[1].nreasons ? r->sigs[1].reasons[0] : "", r->sigs[1].message);
	ck_assert_msg(strstr(r->sigs[1].message, says) != NULL, "%s: %s", name, r->sigs[1].message);
	/* the bytes and the signature value themselves are sound */
	ck_assert_int_eq(r->sigs[1].digest_ok, 1);
	ck_assert_int_eq(r->sigs[1].signature_ok, 1);
	crypto_verify_report_free(r);
	line = pdfsig_says(name, 2);
	ck_assert_msg(!strcmp(line, pdfsig), "%s: pdfsig: %s", name, line);
	free(line);
	free(two);
}

/*
 * A key under 112 bits of security proves nothing (RSA-1024 was factored
 * for less than a signature is worth; P-192 is as weak): indeterminate,
 * weak_algorithm, as a SHA-1 digest is, saying which key. It was valid.
 * pdfsig calls the RSA-1024 one valid and the P-192 one invalid (NSS
 * refuses the curve). A changed byte is still proof of a forgery.
 */
START_TEST(weak_keys_are_indeterminate)
{
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two, *c;
	struct crypto_verify_report *r;

	judged(one, n1, "openssl:rsa1024@-md sha256", "rsa1024.pdf", CRYPTO_VERDICT_INDETERMINATE,
	       "weak_algorithm", "1024-bit RSA key is too weak", "Signature is Valid.");
	judged(one, n1, "openssl:p192@-md sha256", "p192.pdf", CRYPTO_VERDICT_INDETERMINATE,
	       "weak_algorithm", "192-bit EC key is too weak", "Signature is Invalid.");
	two = countersign(one, n1, VW_TABLE, 0, "/adbe.pkcs7.detached",
			  "openssl:rsa1024@-md sha256", &n2);
	c = (unsigned char *)strstr((char *)two + n1, "/T (Countersignature)");
	ck_assert_ptr_nonnull(c);
	c[4] = 'c';
	r = verify(two, n2);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_uint_eq(r->sigs[1].nreasons, 2);
	ck_assert_str_eq(r->sigs[1].reasons[0], "weak_algorithm");
	ck_assert_str_eq(r->sigs[1].reasons[1], "digest_mismatch");
	crypto_verify_report_free(r);
	free(two);
	free(one);
}
END_TEST

/*
 * A SignerInfo without signed attributes (RFC 5652 §5.3 makes them optional;
 * the signature is then over the digest of the signed bytes itself), as
 * `openssl cms -sign -noattr` and node-forge without authenticatedAttributes
 * write it. ISO 32000-1 §12.8.3.3.1 asks none of adbe.pkcs7.detached: valid,
 * not PAdES. It was invalid ("no signed attributes"), which only proof may
 * be. Under ETSI.CAdES.detached, whose CAdES requires content-type,
 * message-digest and signing-certificate (ETSI EN 319 122-1 §5.1), the
 * signature still verifies and the verdict is indeterminate, as for any
 * CAdES signature without the ESS attribute. pdfsig calls all of them valid.
 * A changed covered byte is invalid.
 */
START_TEST(signed_attributes_absent)
{
	static const struct {
		const char *who, *name, *subfilter, *digest;
	} c[] = {
		{ "openssl:rsa@-md sha256 -noattr", "rsa_noattr.pdf", "/adbe.pkcs7.detached",
		  "SHA256" },
		{ "openssl:p384@-md sha384 -noattr", "p384_noattr.pdf", "/adbe.pkcs7.detached",
		  "SHA384" },
		{ "openssl:rsa@-md sha256 -noattr", "rsa_noattr_cades.pdf", "/ETSI.CAdES.detached",
		  "SHA256" },
	};
	size_t n1, n2, i;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;
	char *line;
	int cades;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		cades = strcmp(c[i].subfilter, "/ETSI.CAdES.detached") == 0;
		two = countersign(one, n1, VW_TABLE, 0, c[i].subfilter, c[i].who, &n2);
		write_file(vc_path(c[i].name), two, n2);
		r = verify(two, n2);
		ck_assert_uint_eq(r->nsigs, 2);
		ck_assert_msg(r->sigs[1].verdict ==
				      (cades ? CRYPTO_VERDICT_INDETERMINATE : CRYPTO_VERDICT_VALID),
			      "%s: %s: %s", c[i].name, crypto_verdict_name(r->sigs[1].verdict),
			      r->sigs[1].message);
		if (cades)
			ck_assert_str_eq(r->sigs[1].reasons[0], "signing_certificate_missing");
		ck_assert_int_eq(r->sigs[1].digest_ok, 1);
		ck_assert_int_eq(r->sigs[1].signature_ok, 1);
		ck_assert_int_eq(r->sigs[1].chain_ok, 1);
		ck_assert_str_eq(r->sigs[1].digest_alg, c[i].digest);
		ck_assert_str_eq(r->sigs[1].level, "not_pades");
		crypto_verify_report_free(r);
		line = pdfsig_says(c[i].name, 2);
		ck_assert_msg(!strcmp(line, "Signature is Valid."), "%s: pdfsig: %s", c[i].name,
			      line);
		free(line);
		/* a covered byte of the countersigned update changed */
		assert_tampered_invalid(two, n1, n2, "bad_signature");
		free(two);
	}
	free(one);
}
END_TEST

/*
 * A signer certificate its CA did not issue for signing (no keyUsage, which
 * sealpact asks of a signing certificate, or a keyUsage of keyEncipherment
 * alone) fails a constraint, not the signature: indeterminate (ETSI EN 319
 * 102-1, CHAIN_CONSTRAINTS_FAILURE), saying which. It was invalid, which only
 * proof of a forgery may be. One with a critical extension nobody here knows
 * (RFC 5280 §4.2: such a certificate must be rejected) is indeterminate,
 * naming it. pdfsig calls all three valid: NSS checks no key usage there.
 */
START_TEST(signer_certificate_constraints)
{
	size_t n1;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1);

	judged(one, n1, "openssl:noku@-md sha256", "noku.pdf", CRYPTO_VERDICT_INDETERMINATE,
	       "bad_key_usage", "has no keyUsage", "Signature is Valid.");
	judged(one, n1, "openssl:encku@-md sha256", "encku.pdf", CRYPTO_VERDICT_INDETERMINATE,
	       "bad_key_usage", "allows neither digitalSignature nor nonRepudiation",
	       "Signature is Valid.");
	judged(one, n1, "openssl:critext@-md sha256", "critext.pdf", CRYPTO_VERDICT_INDETERMINATE,
	       "chain_invalid", "unhandled critical extension", "Signature is Valid.");
	free(one);
}
END_TEST

/*
 * A signer under an issuing CA the trust does not hold ("sub", under the
 * root): with the CA in the CMS, valid; in neither the CMS nor the file,
 * indeterminate, saying whose issuer is missing and where it was looked
 * for; only in the /DSS /Certs a later update added (PAdES B-LT keeps the
 * validation material there, EN 319 142-1 §5.4.2), valid with the allowed
 * change. That one was indeterminate: the DSS's certificates answered
 * revocation but were not used to build the chain.
 */
START_TEST(issuing_ca_in_the_cms_the_dss_or_nowhere)
{
	static const char *const certs[] = { "sub" };
	size_t n1, n2, nlt;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two, *lt;
	struct crypto_verify_report *r;

	r = countersigned(one, n1, "openssl:subleaf@-md sha256 -certfile sub.pem", "sub_cms.pdf",
			  &two, &n2);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_VALID, "%s", r->sigs[1].message);
	crypto_verify_report_free(r);
	free(two);
	judged(one, n1, "openssl:subleaf@-md sha256", "sub_nowhere.pdf",
	       CRYPTO_VERDICT_INDETERMINATE, "untrusted_issuer",
	       "issuer (CN=verify test issuing CA) is neither", "Signature is Valid.");
	two = countersign(one, n1, VW_TABLE, 0, "/adbe.pkcs7.detached",
			  "openssl:subleaf@-md sha256", &n2);
	lt = dss_without_roots(two, n2, certs, 1, NULL, 0, &nlt);
	write_file(vc_path("sub_dss.pdf"), lt, nlt);
	r = verify(lt, nlt);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES, "%s: %s",
		      crypto_verdict_name(r->sigs[1].verdict), r->sigs[1].message);
	ck_assert_int_eq(r->sigs[1].chain_ok, 1);
	crypto_verify_report_free(r);
	free(lt);
	free(two);
	free(one);
}
END_TEST

/*
 * The substitution attack (RFC 5035 §1): the signer's key certified again,
 * for another name ("twin": rsa's key), and that certificate put in the CMS
 * in place of the one the signer signed for. The signature value verifies
 * with either; the signed signing-certificate-v2 attribute names the
 * original: invalid here, which pdfsig does not see (it checks no ESS
 * attribute: "Signature is Valid."). The same CMS naming its own
 * certificate is valid.
 */
START_TEST(substituted_signer_certificate)
{
	size_t n1;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;
	size_t n2;
	char *line;

	r = countersigned(one, n1, "essof:twin:twin", "ess_own.pdf", &two, &n2);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_VALID, "%s", r->sigs[1].message);
	crypto_verify_report_free(r);
	free(two);
	r = countersigned(one, n1, "essof:rsa:twin", "ess_substituted.pdf", &two, &n2);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[1].reasons[0], "signing_certificate_mismatch");
	ck_assert_int_eq(r->sigs[1].signature_ok, 1);
	crypto_verify_report_free(r);
	line = pdfsig_says("ess_substituted.pdf", 2);
	ck_assert_str_eq(line, "Signature is Valid.");
	free(line);
	free(two);
	free(one);
}
END_TEST

/*
 * Two SignerInfos in one signature's CMS (RFC 5652 allows several; a PDF
 * signature holds one: ISO 32000-1 §12.8.3.3.1, and PAdES): which of them
 * signs for the field cannot be told, and nothing is proven against either:
 * indeterminate, saying so. It was invalid. pdfsig judges the first one.
 */
START_TEST(two_signer_infos)
{
	size_t n1;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1);
	struct crypto_verify_report *r;
	unsigned char *two;
	size_t n2;
	char *line;

	r = countersigned(one, n1, "openssl:ec@-md sha256 -signer rsa.pem -inkey rsa.key",
			  "two_signers.pdf", &two, &n2);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_INDETERMINATE, "%s: %s",
		      crypto_verdict_name(r->sigs[1].verdict), r->sigs[1].message);
	ck_assert_str_eq(r->sigs[1].reasons[0], "cms_signer_count");
	ck_assert_msg(strstr(r->sigs[1].message, "2 SignerInfos") != NULL, "%s",
		      r->sigs[1].message);
	crypto_verify_report_free(r);
	line = pdfsig_says("two_signers.pdf", 2);
	ck_assert_str_eq(line, "Signature is Valid.");
	free(line);
	free(two);
	free(one);
}
END_TEST

/* cms_rewrite: the signature timestamp's TSTInfo signed again, by `tsa`'s certificate and key
   over digest md (NULL: SHA-256), with a signing-certificate-v2 attribute naming `ess`'s
   certificate (NULL: none) */
struct token_by {
	const char *tsa, *ess, *md;
};

static void
token_resigned(CMS_ContentInfo *cms, const void *arg)
{
	const struct token_by *by = arg;
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0), *tsi;
	int idx = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1), n, el;
	ASN1_TYPE *t;
	const unsigned char *p;
	unsigned char *der = NULL, *tok = NULL, *essder = NULL;
	PKCS7 *p7;
	TS_TST_INFO *info;
	CMS_ContentInfo *c;
	X509 *cert = vc_cert(by->tsa), *named = by->ess ? vc_cert(by->ess) : NULL;
	EVP_PKEY *key = vc_key(by->tsa);
	ESS_SIGNING_CERT_V2 *ess = NULL;
	BIO *b;

	ck_assert_int_ge(idx, 0);
	t = X509_ATTRIBUTE_get0_type(CMS_unsigned_get_attr(si, idx), 0);
	ck_assert(t && t->type == V_ASN1_SEQUENCE);
	p = t->value.sequence->data;
	ck_assert_ptr_nonnull(p7 = d2i_PKCS7(NULL, &p, t->value.sequence->length));
	ck_assert_ptr_nonnull(info = PKCS7_to_TS_TST_INFO(p7));
	ck_assert_int_gt(n = i2d_TS_TST_INFO(info, &der), 0);
	ck_assert_ptr_nonnull(b = BIO_new_mem_buf(der, n));
	ck_assert_ptr_nonnull(c = CMS_sign(NULL, NULL, NULL, NULL, CMS_BINARY | CMS_PARTIAL));
	ck_assert_int_eq(CMS_set1_eContentType(c, OBJ_nid2obj(NID_id_smime_ct_TSTInfo)), 1);
	ck_assert_ptr_nonnull(
		tsi = CMS_add1_signer(c, cert, key,
				      by->md ? EVP_get_digestbyname(by->md) : EVP_sha256(),
				      CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP));
	if (named) {
		ck_assert_ptr_nonnull(
			ess = OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(), named, NULL, 0));
		ck_assert_int_gt(el = i2d_ESS_SIGNING_CERT_V2(ess, &essder), 0);
		ck_assert_int_eq(CMS_signed_add1_attr_by_NID(tsi,
							     NID_id_smime_aa_signingCertificateV2,
							     V_ASN1_SEQUENCE, essder, el),
				 1);
	}
	ck_assert_int_eq(CMS_final(c, b, NULL, CMS_BINARY), 1);
	ck_assert_int_gt(n = i2d_CMS_ContentInfo(c, &tok), 0);
	X509_ATTRIBUTE_free(CMS_unsigned_delete_attr(si, idx));
	ck_assert_int_eq(CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken,
						       V_ASN1_SEQUENCE, tok, n),
			 1);
	OPENSSL_free(tok);
	OPENSSL_free(essder);
	OPENSSL_free(der);
	ESS_SIGNING_CERT_V2_free(ess);
	CMS_ContentInfo_free(c);
	BIO_free(b);
	TS_TST_INFO_free(info);
	PKCS7_free(p7);
	X509_free(cert);
	X509_free(named);
	EVP_PKEY_free(key);
}

/*
 * Signature timestamps RFC 3161 does not allow, each the TSTInfo of a real
 * token signed again: by a TSA certificate whose timeStamping EKU is not
 * critical (§2.3: it must be), or without the ESS signing-certificate
 * attribute (§2.4.1: it must be there): the token proves no time, but
 * nothing against the signature either: indeterminate, saying which. They
 * were invalid, the second as "the timestamp's signature does not verify",
 * which it does. One whose ESS attribute names another certificate than
 * the TSA's stays invalid, saying so. One by a TSA's RSA-1024 key, or
 * signed over SHA-1, proves no time (weak_algorithm, as the signer's would
 * be); they were valid. The same token properly signed is valid (the
 * rewrite changes nothing else). pdfsig checks no timestamp.
 */
START_TEST(timestamps_rfc3161_does_not_allow)
{
	static const struct {
		struct token_by by;
		enum crypto_verdict verdict;
		const char *reason, *says;
	} c[] = {
		{ { "tsa", "tsa", NULL }, CRYPTO_VERDICT_VALID, NULL, NULL },
		{ { "tsanc", "tsanc", NULL },
		  CRYPTO_VERDICT_INDETERMINATE,
		  "ts_bad_eku",
		  "was not issued for timestamps" },
		{ { "tsa", NULL, NULL },
		  CRYPTO_VERDICT_INDETERMINATE,
		  "ts_signing_cert_missing",
		  "without the ESS signing-certificate attribute" },
		{ { "tsa", "ca", NULL },
		  CRYPTO_VERDICT_INVALID,
		  "ts_signing_cert_mismatch",
		  "names another certificate than the TSA's" },
		{ { "tsa1024", "tsa1024", NULL },
		  CRYPTO_VERDICT_INDETERMINATE,
		  "weak_algorithm",
		  "the TSA certificate (O=Org W,CN=tsa1024 signer) has a 1024-bit RSA key" },
		{ { "tsa", "tsa", "sha1" },
		  CRYPTO_VERDICT_INDETERMINATE,
		  "weak_algorithm",
		  "the timestamp's signature uses the weak digest SHA1" },
	};
	struct crypto_verify_report *r;
	unsigned char *one;
	size_t n1, i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		one = vc_sign(base, base_len, "rsa", 1, 0, &n1);
		cms_rewrite(one, n1, token_resigned, &c[i].by);
		r = verify(one, n1);
		ck_assert_uint_eq(r->nsigs, 1);
		ck_assert_int_eq(r->sigs[0].has_timestamp, 1);
		ck_assert_msg(r->sigs[0].verdict == c[i].verdict, "%zu: %s: %s", i,
			      crypto_verdict_name(r->sigs[0].verdict), r->sigs[0].message);
		if (c[i].reason) {
			ck_assert_str_eq(r->sigs[0].reasons[0], c[i].reason);
			ck_assert_msg(strstr(r->sigs[0].message, c[i].says) != NULL, "%s",
				      r->sigs[0].message);
			ck_assert_int_eq(r->sigs[0].signature_ok, 1);
		} else {
			ck_assert_int_eq(r->sigs[0].timestamp_ok, 1);
		}
		crypto_verify_report_free(r);
		free(one);
	}
}
END_TEST

/*
 * A countersignature in a widget on page 1 whose field is reachable only
 * through a /Kids tree (a parent field "Parties" in /Fields, the signature
 * field its kid), or not at all (the widget in the page's /Annots, no field
 * of the form lists it). What the form reaches (ISO 32000-2 §12.7.4: a
 * field is the form's through /Fields and /Kids) is a signature: the first
 * is valid, named "Parties.Countersignature"; the second is no signature
 * of the document, and the file's last revision stays unsigned; its widget
 * is an annotation added after the first signature: invalid. pdfsig reads page widgets outside the form too, and lists
 * the second as a valid signature over the whole file. The first file's
 * new parent field "Parties", which gathers only the new signature field,
 * is an allowed change for the signature before it (it was judged a
 * disallowed change of the form).
 */
static unsigned char *
widget_signed(const unsigned char *one, size_t n1, int kids, size_t *n2)
{
	int f = next_obj(one, n1), nums[5];
	char *cat = obj_text(one, n1, 1), *page = obj_text(one, n1, 3), *c2 = NULL, *p2, fld[256],
	     sig[160], parent[96], ref[32];
	const char *objs[5];
	unsigned char *two;
	size_t k = 0;

	snprintf(ref, sizeof(ref), "%d 0 R", f);
	snprintf(parent, sizeof(parent), "/Parent %d 0 R", f + 2);
	snprintf(fld, sizeof(fld),
		 "<< /Type /Annot /Subtype /Widget /FT /Sig /T (%s) /F 132 /Rect [0 0 0 0] "
		 "/P 3 0 R /V %d 0 R %s >>",
		 kids ? "Countersignature" : "Orphan", f + 1, kids ? parent : "");
	snprintf(sig, sizeof(sig),
		 "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached "
		 "/M (D:20260101120000Z) @SIG@ >>");
	p2 = strstr(page, "/Annots") ? array_append(page, "/Annots", ref) : dict_add(page, "");
	nums[k] = f;
	objs[k++] = fld;
	nums[k] = f + 1;
	objs[k++] = sig;
	nums[k] = 3;
	objs[k++] = p2;
	if (kids) {
		/* kids 2: a parent that is a text field with a value of its own */
		snprintf(parent, sizeof(parent), "<< /T (Parties)%s /Kids [%d 0 R] >>",
			 kids == 2 ? " /FT /Tx /V (999)" : "", f);
		snprintf(ref, sizeof(ref), "%d 0 R", f + 2);
		c2 = array_append(cat, "/Fields", ref);
		nums[k] = f + 2;
		objs[k++] = parent;
		nums[k] = 1;
		objs[k++] = c2;
	}
	two = vw_update(one, n1, nums, objs, k, VW_TABLE, "openssl:ec", n2);
	free(cat);
	free(page);
	free(c2);
	free(p2);
	return two;
}

START_TEST(signature_fields_the_form_reaches)
{
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;
	char *out;

	two = widget_signed(one, n1, 1, &n2);
	write_file(vc_path("kids_field.pdf"), two, n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_str_eq(r->sigs[1].field, "Parties.Countersignature");
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_VALID, "%s", r->sigs[1].message);
	ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES &&
			      r->sigs[0].ndisallowed == 0,
		      "the first signature: %s (%s)", crypto_verdict_name(r->sigs[0].verdict),
		      r->sigs[0].message);
	crypto_verify_report_free(r);
	out = pdfsig_says("kids_field.pdf", 2);
	ck_assert_str_eq(out, "Signature is Valid.");
	free(out);
	free(two);
	/* a new parent that is more than a gathering of signatures stays a change of the form */
	two = widget_signed(one, n1, 2, &n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_INVALID && r->sigs[0].ndisallowed > 0,
		      "a text parent with a value: %s", crypto_verdict_name(r->sigs[0].verdict));
	crypto_verify_report_free(r);
	free(two);
	two = widget_signed(one, n1, 0, &n2);
	write_file(vc_path("orphan_widget.pdf"), two, n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_int_eq(r->last_revision_signed, 0);
	/* for the signature before it, a widget outside the form is an annotation added
	   (it was taken for a signature field's widget, an allowed change) */
	ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_INVALID && r->sigs[0].ndisallowed > 0,
		      "an orphan widget: %s", crypto_verdict_name(r->sigs[0].verdict));
	ck_assert_int_eq(vc_outcome(r), VC_INVALID);
	crypto_verify_report_free(r);
	(void)run("cd %s && pdfsig -nssdir sql:nss orphan_widget.pdf >pdfsig.txt 2>&1", vc_dir);
	out = (char *)read_file(vc_path("pdfsig.txt"), &n2);
	ck_assert_msg(strstr(out, "Signature #2:") && strstr(out, "Field Name: Orphan"), "%s", out);
	free(out);
	free(two);
	free(one);
}
END_TEST

/*
 * A chain that a weak algorithm holds together proves no more than its
 * weakest link: an issuing CA certificate signed with SHA-1, an issuing
 * CA's RSA-1024 key, or the signer's certificate signed with SHA-1 (each
 * CA in the signature's CMS). Indeterminate, weak_algorithm, naming the
 * certificate; they were valid (OpenSSL's chain check asks no strength).
 * pdfsig calls the signatures valid.
 */
START_TEST(weak_links_in_the_chain)
{
	static const struct {
		const char *who, *name, *says;
	} c[] = {
		{ "openssl:undersha1@-md sha256 -certfile subsha1.pem", "under_sha1_ca.pdf",
		  "(CN=verify test issuing CA) is signed with SHA1" },
		{ "openssl:under1024@-md sha256 -certfile sub1024.pem", "under_1024_ca.pdf",
		  "(CN=verify test weak CA) has a 1024-bit RSA key" },
		{ "openssl:leafsha1@-md sha256", "leaf_sha1.pdf",
		  "(O=Org W,CN=leafsha1 signer) is signed with SHA1" },
	};
	size_t n1, i;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1);

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		judged(one, n1, c[i].who, c[i].name, CRYPTO_VERDICT_INDETERMINATE, "weak_algorithm",
		       c[i].says, "Signature is Valid.");
	free(one);
}
END_TEST

/* r's countersignature (name, EdDSA sig_alg) valid in every part, not PAdES. */
static void
eddsa_valid(const struct crypto_verify_report *r, const char *name, const char *sig_alg)
{
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_VALID, "%s: %s: %s", name,
		      crypto_verdict_name(r->sigs[1].verdict), r->sigs[1].message);
	ck_assert_int_eq(r->sigs[1].digest_ok, 1);
	ck_assert_int_eq(r->sigs[1].signature_ok, 1);
	ck_assert_int_eq(r->sigs[1].chain_ok, 1);
	ck_assert_str_eq(r->sigs[1].sig_alg, sig_alg);
	ck_assert_str_eq(r->sigs[1].level, "not_pades");
}

/*
 * One bit flipped in the signature value of the countersignature that
 * starts at two[n1] (a CMS without unsigned attributes under a 2-byte
 * length: the value is its last bytes, which no digest covers).
 */
static void
flip_signature_bit(unsigned char *two, size_t n1)
{
	unsigned char *c0 = (unsigned char *)strstr((char *)two + n1, "/Contents <") + 11;
	size_t total, at;
	int h;

	ck_assert(c0[0] == '3' && c0[1] == '0' && c0[2] == '8' && c0[3] == '2');
	total = 4 +
		(size_t)strtoul((char[]){ (char)c0[4], (char)c0[5], (char)c0[6], (char)c0[7], 0 },
				NULL, 16);
	at = 2 * (total - 1);
	h = sp_hex_val(c0[at]);
	c0[at] = "0123456789abcdef"[h ^ 1];
}

/*
 * EdDSA (RFC 8419) made by another library: Ed25519 over a SHA-512 message
 * digest, Ed448 over SHAKE256 with 512 bits of output (RFC 8419 §2.3; the
 * digest the Ed448 signature was indeterminate for: "unsupported digest
 * (SHAKE256)"). Verified; a flipped bit of the signature or of the signed
 * bytes is caught. pdfsig (NSS 3.87) knows neither: "Document isn't signed
 * or corrupted data." for Ed25519, "Unknown Validation Failure." for Ed448;
 * PDFBox 2 with BouncyCastle 1.72 verifies both.
 */
START_TEST(eddsa_countersignature)
{
	static const struct {
		const char *who, *name, *digest, *sig_alg, *pdfsig;
	} c[] = {
		{ "eddsa:ed", "ed25519.pdf", "SHA512", "ED25519",
		  "Document isn't signed or corrupted data." },
		{ "eddsa:ed448", "ed448.pdf", "SHAKE256", "ED448", "Unknown Validation Failure." },
	};
	char *out, *p;
	size_t m;
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;

	two = countersign(one, n1, VW_TABLE, 0, "/adbe.pkcs7.detached", c[_i].who, &n2);
	write_file(vc_path(c[_i].name), two, n2);
	r = verify(two, n2);
	eddsa_valid(r, c[_i].name, c[_i].sig_alg);
	ck_assert_str_eq(r->sigs[1].digest_alg, c[_i].digest);
	(void)run("cd %s && pdfsig -nssdir sql:nss %s >pdfsig.txt 2>&1", vc_dir, c[_i].name);
	out = (char *)read_file(vc_path("pdfsig.txt"), &m);
	p = strstr(out, "Signature #2");
	p = p ? strstr(p, "Signature Validation: ") : NULL;
	ck_assert_msg(p && !strncmp(p + 22, c[_i].pdfsig, strlen(c[_i].pdfsig)), "%s: pdfsig: %s",
		      c[_i].name, out);
	free(out);
	flip_signature_bit(two, n1);
	crypto_verify_report_free(r);
	r = verify(two, n2);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[1].reasons[0], "bad_signature");
	crypto_verify_report_free(r);
	/* a covered byte of the update changed: the message digest proves it */
	assert_tampered_invalid(two, n1, n2, "digest_mismatch");
	free(two);
	free(one);
}
END_TEST

/*
 * EdDSA without signed attributes (RFC 8419 §3.1: PureEdDSA over the content
 * itself, here the two byte ranges joined; adbe.pkcs7.detached asks no
 * attribute, ISO 32000-1 §12.8.3.3.1). It was indeterminate ("the signature
 * has no signed attributes, and its algorithm (ED25519) cannot be checked
 * over the bytes' digest here"). Now verified over the ranges in memory:
 * valid, not PAdES; a flipped bit of the signature, a changed covered byte
 * and another key of the same kind each give bad_signature.
 */
START_TEST(eddsa_without_signed_attributes)
{
	static const struct {
		const char *who, *wrong, *name, *sig_alg;
	} c[] = {
		{ "eddsanoattr:ed", "eddsanoattr:ed:ed_other", "ed25519_noattr.pdf", "ED25519" },
		{ "eddsanoattr:ed448", "eddsanoattr:ed448:ed448_other", "ed448_noattr.pdf",
		  "ED448" },
	};
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;

	r = countersigned(one, n1, c[_i].who, c[_i].name, &two, &n2);
	eddsa_valid(r, c[_i].name, c[_i].sig_alg);
	ck_assert_int_eq(r->verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	crypto_verify_report_free(r);
	/* the signature value changed */
	flip_signature_bit(two, n1);
	r = verify(two, n2);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[1].reasons[0], "bad_signature");
	crypto_verify_report_free(r);
	flip_signature_bit(two, n1);
	/* a covered byte of the update changed: PureEdDSA proves it through the value */
	assert_tampered_invalid(two, n1, n2, "bad_signature");
	free(two);
	/* another key of the kind signed, under the certificate's name */
	r = countersigned(one, n1, c[_i].wrong, "eddsa_noattr_wrong.pdf", &two, &n2);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[1].reasons[0], "bad_signature");
	crypto_verify_report_free(r);
	free(two);
	free(one);
}
END_TEST

/*
 * RFC 8419 §3.1: an Ed25519 signature's message digest is SHA-512, an Ed448
 * one's SHAKE256. The same signatures over a SHA-256 message digest are
 * outside it (a tool's misuse, or a digest weaker than the key): no verdict
 * of ours either way, indeterminate, saying what the key asks. They were
 * valid.
 */
START_TEST(eddsa_over_another_digest_is_indeterminate)
{
	static const char *const who[] = { "eddsa256:ed", "eddsa256:ed448" };
	static const char *const want[] = { "SHA-512", "SHAKE256" };
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;

	two = countersign(one, n1, VW_TABLE, 0, "/adbe.pkcs7.detached", who[_i], &n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_INDETERMINATE, "%s: %s: %s", who[_i],
		      crypto_verdict_name(r->sigs[1].verdict), r->sigs[1].message);
	ck_assert_str_eq(r->sigs[1].reasons[0], "unsupported_algorithm");
	ck_assert_msg(strstr(r->sigs[1].message, want[_i]) != NULL, "%s", r->sigs[1].message);
	crypto_verify_report_free(r);
	free(two);
	free(one);
}
END_TEST

/*
 * SHAKE256 as a message digest is 512 bits (RFC 8419 §2.3, RFC 8702 §3.1),
 * and it is Ed448's or goes with RFC 8702's RSASSA-PSS or ECDSA with SHAKE256
 * (test_verify_world_shake.c): with an RSA key under another signature
 * algorithm (none named here) it is not defined, indeterminate, saying which
 * key; with the Ed448 key nothing is said.
 */
START_TEST(shake256_goes_with_ed448)
{
	struct crypto_sig_report *rep = calloc(1, sizeof(*rep));
	X509 *rsa = vc_cert("rsa"), *ed = vc_cert("ed448");

	ck_assert_uint_eq(verify_md_len(EVP_shake256()), 64);
	ck_assert_uint_eq(verify_md_len(EVP_sha512_256()), 32);
	ck_assert_int_eq(verify_md_key_ok(NID_shake256, ed, NULL, rep), 1);
	ck_assert_int_eq(rep->nreasons, 0);
	ck_assert_int_eq(verify_md_key_ok(NID_sha256, rsa, NULL, rep), 1);
	ck_assert_int_eq(rep->nreasons, 0);
	ck_assert_int_eq(verify_md_key_ok(NID_shake256, rsa, NULL, rep), 0);
	ck_assert_int_eq(rep->verdict, CRYPTO_VERDICT_INDETERMINATE);
	ck_assert_str_eq(rep->reasons[0], "unsupported_algorithm");
	ck_assert_msg(strstr(rep->message, "with the signer's RSA key") != NULL, "%s",
		      rep->message);
	X509_free(ed);
	X509_free(rsa);
	free(rep);
}
END_TEST

static Suite *
algs_suite(void)
{
	Suite *s = suite_create("verify_world_algs");
	TCase *tc = tcase_create("algs");

	tcase_add_unchecked_fixture(tc, setup, world_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, strong_algorithms_of_other_tools);
	tcase_add_test(tc, weak_keys_are_indeterminate);
	tcase_add_test(tc, signed_attributes_absent);
	tcase_add_test(tc, signer_certificate_constraints);
	tcase_add_test(tc, issuing_ca_in_the_cms_the_dss_or_nowhere);
	tcase_add_test(tc, substituted_signer_certificate);
	tcase_add_test(tc, two_signer_infos);
	tcase_add_test(tc, timestamps_rfc3161_does_not_allow);
	tcase_add_test(tc, signature_fields_the_form_reaches);
	tcase_add_test(tc, weak_links_in_the_chain);
	tcase_add_loop_test(tc, eddsa_countersignature, 0, 2);
	tcase_add_loop_test(tc, eddsa_without_signed_attributes, 0, 2);
	tcase_add_loop_test(tc, eddsa_over_another_digest_is_indeterminate, 0, 2);
	tcase_add_test(tc, shake256_goes_with_ed448);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(algs_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
