/*
 * test_verify_world_forms.c: sound signatures other PAdES stacks encode
 * otherwise than we do: a BER indefinite-length CMS (Adobe's), a CMS
 * without the signer's certificate, which a later /DSS carries. Each
 * verdict beside pdfsig's (poppler 22.12 over NSS). (Bytes after the CMS in
 * /Contents and a gap that is not exactly /Contents: test_verify_quirks.)
 */
#include "test_verify_countersign.h"

static void
setup(void)
{
	world_setup();
}

/* A DER header at p: its length (the content's) into *len, its size returned. */
static size_t
header(const unsigned char *p, size_t *len)
{
	size_t i, k;

	if (!(p[1] & 0x80)) {
		*len = p[1];
		return 2;
	}
	k = p[1] & 0x7f;
	for (*len = 0, i = 0; i < k; i++)
		*len = *len << 8 | p[2 + i];
	return 2 + k;
}

/*
 * The DER CMS as Adobe writes one: BER, the ContentInfo, its [0] and the
 * SignedData of indefinite length (each ended by two zero bytes).
 */
static size_t
indefinite(const unsigned char *der, size_t dl, unsigned char *out, size_t room, const void *arg)
{
	size_t len, h, oid, at = 0, o = 0;

	(void)arg;
	/* ContentInfo: SEQUENCE { OID, [0] { SignedData } } */
	h = header(der, &len);
	ck_assert(der[0] == 0x30 && h + len <= dl);
	oid = 2 + der[h + 1];
	out[o++] = 0x30, out[o++] = 0x80;
	memcpy(out + o, der + h, oid), o += oid;
	at = h + oid;
	h = header(der + at, &len);
	ck_assert(der[at] == 0xa0);
	out[o++] = 0xa0, out[o++] = 0x80;
	at += h;
	h = header(der + at, &len);
	ck_assert(der[at] == 0x30 && o + 2 + len + 6 <= room);
	out[o++] = 0x30, out[o++] = 0x80;
	memcpy(out + o, der + at + h, len), o += len;
	memset(out + o, 0, 6);
	return o + 6;
}

/* The verdict, first reason and message of report r's signature k (1-based), and pdfsig's. */
static void
says(struct crypto_verify_report *r, size_t k, const char *name, enum crypto_verdict verdict,
     const char *reason, const char *message, const char *pdfsig)
{
	const struct crypto_sig_report *s = &r->sigs[k - 1];
	char *line;

	ck_assert_uint_ge(r->nsigs, k);
	ck_assert_msg(s->verdict == verdict &&
			      (reason ? s->nreasons > 0 && !strcmp(s->reasons[0], reason)
				      : s->nreasons == 0),
		      "%s: %s [%s] %s", name, crypto_verdict_name(s->verdict),
		      s->nreasons ? s->reasons[0] : "", s->message);
	ck_assert_msg(strstr(s->message, message) != NULL, "%s: %s", name, s->message);
	crypto_verify_report_free(r);
	line = pdfsig_says(name, (int)k);
	ck_assert_msg(!strcmp(line, pdfsig), "%s: pdfsig: %s", name, line);
	free(line);
}

/*
 * Adobe writes its CMS in BER, the outer SEQUENCE, [0] and SignedData of
 * indefinite length (X.690 §8.1.3.6), which a DER-only reader refuses: valid
 * here and for pdfsig.
 */
START_TEST(ber_indefinite_length_cms)
{
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;

	two = countersign(one, n1, VW_TABLE, 0, "/adbe.pkcs7.detached", "openssl:rsa", &n2);
	contents_rewrite(two, n2, indefinite, NULL);
	ck_assert_ptr_nonnull(memmem(two, n2, "/Contents <3080", 15));
	write_file(vc_path("ber.pdf"), two, n2);
	says(verify(two, n2), 2, "ber.pdf", CRYPTO_VERDICT_VALID, NULL, "", "Signature is Valid.");
	free(two);
	free(one);
}
END_TEST

/*
 * A CMS that carries no certificate (openssl cms -nocerts; ISO 32000-1
 * §12.8.3.3.1 asks for the signer's): indeterminate, not invalid, since
 * nothing is proved without the key; its certificate in a later /DSS /Certs
 * (PAdES B-LT keeps validation material there), found there as EU DSS finds
 * it: valid with the DSS as the allowed change. pdfsig reads only the CMS:
 * "Unknown Validation Failure." for both. Before: invalid, "the CMS does not
 * carry the signer's certificate", for both.
 */
START_TEST(signer_certificate_only_in_the_dss)
{
	static const char *const certs[] = { "rsa" };
	size_t n1, n2, nlt;
	unsigned char *one = vc_sign(base, base_len, "ec", 1, 0, &n1), *two, *lt;
	struct crypto_verify_report *r;

	two = countersign(one, n1, VW_TABLE, 0, "/adbe.pkcs7.detached",
			  "openssl:rsa@-md sha256 -nocerts", &n2);
	write_file(vc_path("nocerts.pdf"), two, n2);
	says(verify(two, n2), 2, "nocerts.pdf", CRYPTO_VERDICT_INDETERMINATE, "signer_cert_missing",
	     "nor the document's /DSS", "Unknown Validation Failure.");
	lt = dss_without_roots(two, n2, certs, 1, NULL, 0, &nlt);
	write_file(vc_path("nocerts_dss.pdf"), lt, nlt);
	r = verify(lt, nlt);
	ck_assert_int_eq(r->sigs[1].chain_ok, 1);
	ck_assert_ptr_nonnull(strstr(r->sigs[1].signer.subject, "rsa signer"));
	says(r, 2, "nocerts_dss.pdf", CRYPTO_VERDICT_VALID_ALLOWED_CHANGES, NULL, "",
	     "Unknown Validation Failure.");
	free(lt);
	free(two);
	free(one);
}
END_TEST

/* rsa's certificate with another key put in, signed by that key: the same
   issuer and serial number (so the same SignerIdentifier), DER into *b */
static void
same_name_other_key(struct pdf_blob *b)
{
	X509 *x = vc_cert("rsa");
	EVP_PKEY *k = EVP_EC_gen("P-256");
	unsigned char *der = NULL;
	int len;

	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(X509_set_pubkey(x, k), 1);
	ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
	ck_assert_int_gt(len = i2d_X509(x, &der), 0);
	b->data = malloc((size_t)len);
	memcpy(b->data, der, (size_t)len);
	b->len = (size_t)len;
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	X509_free(x);
}

/*
 * d (whose last update wrote its /DSS, as pdf_dss_append writes one) plus
 * an update that anyone may append, since the DSS is signed by no one: the
 * DER certificate c as a new stream, put first in the DSS's /Certs, the
 * rest of the DSS as it was.
 */
static unsigned char *
dss_cert_first(const unsigned char *d, size_t n, const struct pdf_blob *c, size_t *outn)
{
	static const char dss[] = " 0 obj\n<</Type /DSS\n/Certs [";
	const unsigned char *at = NULL, *p = d, *num;
	char *objs[2], *hex;
	int nums[2];
	size_t i;
	unsigned char *out;

	while ((p = memmem(p, n - (size_t)(p - d), dss, sizeof(dss) - 1)) != NULL)
		at = p++;
	ck_assert_ptr_nonnull(at);
	for (num = at; num > d && num[-1] >= '0' && num[-1] <= '9'; num--)
		;
	nums[1] = atoi((const char *)num);
	nums[0] = 900;
	ck_assert_ptr_nonnull(hex = malloc(2 * c->len + 1));
	for (i = 0; i < c->len; i++)
		snprintf(hex + 2 * i, 3, "%02X", c->data[i]);
	ck_assert_int_gt(asprintf(&objs[0],
				  "<< /Length %zu /Filter /ASCIIHexDecode >>\nstream\n%s>"
				  "\nendstream",
				  2 * c->len + 1, hex),
			 0);
	p = (const unsigned char *)strstr((const char *)at, "\nendobj");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_gt(asprintf(&objs[1], "<</Type /DSS\n/Certs [900 0 R %.*s",
				  (int)(p - at) - (int)(sizeof(dss) - 1),
				  (const char *)at + sizeof(dss) - 1),
			 0);
	out = vc_update(d, n, nums, (const char *const *)objs, 2, 0, NULL, outn);
	free(objs[0]);
	free(objs[1]);
	free(hex);
	return out;
}

/*
 * review54: the signer's certificate only in the /DSS, after a certificate
 * anyone can make and append in a later update, since neither the DSS nor
 * the CMS's certificates are signed: the same issuer and serial number,
 * another key. The CMS names its signer by issuer and serial alone, so both
 * are candidates; the one whose key the signature verifies under is the
 * signer (EU DSS's CandidatesForSigningCertificate keeps the candidate whose
 * signature value is intact). Taking the first that matches reported a sound
 * signature invalid, "bad_signature", whatever the real certificate says.
 */
START_TEST(signer_certificate_among_two_in_the_dss)
{
	struct pdf_blob certs[2];
	X509 *real = vc_cert("rsa");
	unsigned char *der = NULL, *one, *two, *lt[3];
	size_t n1, n2, nlt[3], k;
	struct crypto_verify_report *r[2];
	int len;

	same_name_other_key(&certs[0]);
	ck_assert_int_gt(len = i2d_X509(real, &der), 0);
	certs[1].data = der;
	certs[1].len = (size_t)len;
	one = vc_sign(base, base_len, "ec", 1, 0, &n1);
	two = countersign(one, n1, VW_TABLE, 0, "/adbe.pkcs7.detached",
			  "openssl:rsa@-md sha256 -nocerts", &n2);
	/* one DSS [forged, real]; a sound DSS [real], then a later update that rewrites it
	   [forged, real] (an allowed change: validation data) */
	lt[0] = dss_with_blobs(two, n2, certs, 2, NULL, 0, &nlt[0]);
	lt[1] = dss_with_blobs(two, n2, certs + 1, 1, NULL, 0, &nlt[1]);
	lt[2] = dss_cert_first(lt[1], nlt[1], &certs[0], &nlt[2]);
	write_file(vc_path("nocerts_dss_two.pdf"), lt[0], nlt[0]);
	write_file(vc_path("nocerts_dss_later.pdf"), lt[2], nlt[2]);
	r[0] = verify(lt[0], nlt[0]);
	r[1] = verify(lt[2], nlt[2]);
	for (k = 0; k < 2; k++) {
		ck_assert_uint_eq(r[k]->nsigs, 2);
		ck_assert_msg(r[0]->sigs[1].verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES &&
				      r[1]->sigs[1].verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES,
			      "one DSS: %s [%s]; a later update: %s [%s]: %s",
			      crypto_verdict_name(r[0]->sigs[1].verdict),
			      r[0]->sigs[1].nreasons ? r[0]->sigs[1].reasons[0] : "",
			      crypto_verdict_name(r[1]->sigs[1].verdict),
			      r[1]->sigs[1].nreasons ? r[1]->sigs[1].reasons[0] : "",
			      r[1]->sigs[1].message);
		ck_assert_int_eq(r[k]->sigs[1].chain_ok, 1);
		ck_assert_ptr_nonnull(strstr(r[k]->sigs[1].signer.subject, "rsa signer"));
	}
	crypto_verify_report_free(r[1]);
	says(r[0], 2, "nocerts_dss_two.pdf", CRYPTO_VERDICT_VALID_ALLOWED_CHANGES, NULL, "",
	     "Unknown Validation Failure.");
	free(certs[0].data);
	OPENSSL_free(der);
	X509_free(real);
	for (k = 0; k < 3; k++)
		free(lt[k]);
	free(two);
	free(one);
}
END_TEST

/*
 * A CAdES signature whose ESS attribute is signing-certificate (v1), the
 * SHA-1 ESSCertID of RFC 2634 older stacks write (EN 319 122-1 keeps it
 * for SHA-1): valid when it names the signer, invalid when it names
 * another certificate (the substitution it guards against). pdfsig
 * reads no ESS attribute: "Signature is Valid." for both.
 */
START_TEST(signing_certificate_v1)
{
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "ec", 1, 0, &n1), *two;

	two = countersign(one, n1, VW_TABLE, 0, "/ETSI.CAdES.detached", "essv1of:rsa:rsa", &n2);
	write_file(vc_path("ess_v1.pdf"), two, n2);
	says(verify(two, n2), 2, "ess_v1.pdf", CRYPTO_VERDICT_VALID, NULL, "",
	     "Signature is Valid.");
	free(two);
	two = countersign(one, n1, VW_TABLE, 0, "/ETSI.CAdES.detached", "essv1of:ec:rsa", &n2);
	write_file(vc_path("ess_v1_other.pdf"), two, n2);
	says(verify(two, n2), 2, "ess_v1_other.pdf", CRYPTO_VERDICT_INVALID,
	     "signing_certificate_mismatch", "does not name the signer", "Signature is Valid.");
	free(two);
	free(one);
}
END_TEST

/*
 * Document timestamps (ETSI.RFC3161) another tool chains after a signature,
 * three deep, each over the one before, the first with the DSS and
 * /Extensions a PAdES tool writes beside it: each timestamp valid, the signature valid
 * with allowed changes, qpdf content with the file (pdfsig cannot judge a
 * document timestamp).
 */
START_TEST(document_timestamps_three_deep)
{
	size_t n[4], k;
	unsigned char *d[4];
	struct crypto_verify_report *r;

	d[0] = vc_sign(base, base_len, "rsa", 1, 0, &n[0]);
	for (k = 1; k < 4; k++)
		d[k] = countersign(d[k - 1], n[k - 1], VW_STREAM, k == 1, "/ETSI.RFC3161",
				   "doctsa:", &n[k]);
	write_file(vc_path("three_timestamps.pdf"), d[3], n[3]);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null 2>&1", vc_path("three_timestamps.pdf")),
			 0);
	r = verify(d[3], n[3]);
	ck_assert_uint_eq(r->nsigs, 4);
	ck_assert_msg(r->verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES, "%s: %s",
		      crypto_verdict_name(r->verdict), r->message);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	for (k = 1; k < 4; k++) {
		ck_assert_msg(r->sigs[k].verdict == (k < 3 ? CRYPTO_VERDICT_VALID_ALLOWED_CHANGES
							   : CRYPTO_VERDICT_VALID),
			      "timestamp %zu: %s: %s", k, crypto_verdict_name(r->sigs[k].verdict),
			      r->sigs[k].message);
		ck_assert_int_eq(r->sigs[k].doc_timestamp, 1);
		ck_assert_int_eq(r->sigs[k].timestamp_ok, 1);
	}
	crypto_verify_report_free(r);
	for (k = 0; k < 4; k++)
		free(d[k]);
}
END_TEST

static Suite *
forms_suite(void)
{
	Suite *s = suite_create("verify_world_forms");
	TCase *tc = tcase_create("forms");

	tcase_add_unchecked_fixture(tc, setup, world_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, ber_indefinite_length_cms);
	tcase_add_test(tc, signer_certificate_only_in_the_dss);
	tcase_add_test(tc, signer_certificate_among_two_in_the_dss);
	tcase_add_test(tc, signing_certificate_v1);
	tcase_add_test(tc, document_timestamps_three_deep);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(forms_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
