/*
 * test_verify_world.c: the verifier on files as the rest of the world writes
 * them: linearized (qpdf --linearize, with and without object streams),
 * startxref on the end-of-line before "xref", hybrid-reference updates
 * (/XRefStm), cross-reference stream updates, and a contract signed by
 * sealpact then countersigned by another writer that also adds what PAdES
 * tools add (catalog /Extensions, AcroForm /DA /DR /NeedAppearances, DSS),
 * and poppler's own signatures (pdfsig -add-signature) before and after ours,
 * and MuPDF's (mutool sign) in a field the contract brought. The Java
 * libraries (iText 5, PDFBox 2) are test_verify_java.c's. Each valid file is
 * also checked with pdfsig and qpdf --check.
 */
#include "test_verify_countersign.h"
#include "test_verify_signable.h"

static void
setup(void)
{
	world_setup();
}

START_TEST(linearized_signed_twice)
{
	static const char *const how[] = { "--linearize", "--linearize --object-streams=generate" };
	size_t nl, n1, n2;
	unsigned char *lin = qpdf_tool(base, base_len, how[_i], &nl), *one, *two;

	ck_assert_ptr_nonnull(memmem(lin, nl < 1024 ? nl : 1024, "/Linearized", 11));
	one = vc_sign(lin, nl, "rsa", 1, 0, &n1);
	assert_valid(one, n1, 1, "linearized1.pdf");
	two = vc_sign(one, n1, "ec", 1, 0, &n2);
	assert_valid(two, n2, 2, "linearized2.pdf");
	/* a forward /Prev anywhere but a linearized file's first section is still refused */
	free(two);
	free(one);
	free(lin);
}
END_TEST

START_TEST(forward_prev_outside_linearization_is_refused)
{
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *bad;
	struct crypto_verify_report *r = NULL;
	struct crypto_verify_opts o = { .trust = trust };
	struct sp_errinfo ei;
	char *p;
	static const int nums[1] = { 5 };
	static const char *const objs[1] = {
		"<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>"
	};

	/* an update whose /Prev points past itself: a loop, not a linearized file */
	bad = vc_update(one, n1, nums, objs, 1, 0, NULL, &n2);
	p = strstr((char *)bad + n1, "/Prev ");
	ck_assert_ptr_nonnull(p);
	p[6] = '9'; /* a larger offset with the same number of digits or more */
	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_pdf_verify(bad, n2, &o, &r, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_int_eq(r->verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[0].reasons[0], "revision_structure");
	ck_assert_int_eq(vc_outcome(r), VC_INVALID);
	crypto_verify_report_free(r);
	free(bad);
	free(one);
}
END_TEST

START_TEST(countersigned_by_another_writer)
{
	static const enum vw_xref kinds[] = { VW_TABLE, VW_TABLE_WS, VW_HYBRID, VW_STREAM };
	static const char *const names[] = { "counter_table.pdf", "counter_ws.pdf",
					     "counter_hybrid.pdf", "counter_stream.pdf" };
	size_t n1, n2, n3;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two, *three;
	char nm[64];

	two = countersign(one, n1, kinds[_i], 1, "/ETSI.CAdES.detached", NULL, &n2);
	assert_valid(two, n2, 2, names[_i]);
	/* and sealpact signs over the other writer's update */
	three = vc_sign(two, n2, "rsa", 1, 0, &n3); /* pdfsig has no SM2 */
	snprintf(nm, sizeof(nm), "then_sealpact_%s", names[_i]);
	assert_valid(three, n3, 3, nm);
	free(three);
	free(two);
	free(one);
}
END_TEST

/*
 * A legacy countersignature (adbe.pkcs7.detached, made by the openssl CLI:
 * no ESS signing-certificate attribute) is sound but not PAdES; the same CMS
 * claiming ETSI.CAdES.detached cannot be judged as PAdES: indeterminate.
 */
START_TEST(legacy_countersignature_is_not_pades_not_invalid)
{
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;

	two = countersign(one, n1, VW_TABLE, 1, "/adbe.pkcs7.detached", "openssl:ec", &n2);
	assert_valid(two, n2, 2, "legacy_pkcs7.pdf");
	r = verify(two, n2);
	ck_assert_str_eq(r->sigs[0].level, "pades_b_t");
	ck_assert_str_eq(r->sigs[1].level, "not_pades");
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	free(two);
	two = countersign(one, n1, VW_TABLE, 1, "/ETSI.CAdES.detached", "openssl:ec", &n2);
	r = verify(two, n2);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INDETERMINATE);
	ck_assert_int_eq(r->sigs[1].signature_ok, 1);
	ck_assert_str_eq(r->sigs[1].reasons[0], "signing_certificate_missing");
	crypto_verify_report_free(r);
	free(two);
	free(one);
}
END_TEST

/*
 * The certificates a signer's tool sends: its chain, and in a bridged PKI the
 * cross-certificates of its CA by every bridge it knows (the US federal
 * bridge's, the EU's) -- dozens, all of the same subject and key. A CMS with
 * 40 is judged on its chain; one past CRYPTO_CMS_CERTS_MAX stays bounded: its
 * chain is not built, indeterminate, with the count said.
 */
static void
cross_bundle(int n)
{
	ck_assert_int_eq(run("cd %s && [ -f bundle%d.pem ] || ( "
			     "printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,"
			     "keyCertSign,cRLSign\n' >cross.ext && "
			     "openssl req -new -key ca.key -subj '/CN=verify test root' "
			     "-out cross.csr && for i in $(seq %d); do openssl x509 -req -in "
			     "cross.csr -CA other.pem -CAkey other.key -set_serial $((1000 + i)) "
			     "-days 20 -extfile cross.ext || exit 1; done >bundle%d.pem ) "
			     ">>pki.log 2>&1",
			     vc_dir, n, n, n),
			 0);
}

START_TEST(cms_with_a_bundle_of_cross_certificates)
{
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;
	char who[32];

	cross_bundle(40);
	two = countersign(one, n1, VW_TABLE, 1, "/adbe.pkcs7.detached", "openssl:ec+40", &n2);
	assert_valid(two, n2, 2, "cross_bundle40.pdf");
	r = verify(two, n2);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	ck_assert_int_eq(r->sigs[1].chain_ok, 1);
	crypto_verify_report_free(r);
	free(two);
	/* past the bound: not built, not invalid */
	cross_bundle(CRYPTO_CMS_CERTS_MAX);
	snprintf(who, sizeof(who), "openssl:ec+%d", CRYPTO_CMS_CERTS_MAX);
	two = countersign(one, n1, VW_TABLE, 1, "/adbe.pkcs7.detached", who, &n2);
	r = verify(two, n2);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INDETERMINATE);
	ck_assert_int_eq(r->sigs[1].signature_ok, 1);
	ck_assert_msg(strstr(r->sigs[1].message, "certificates") != NULL, "%s", r->sigs[1].message);
	crypto_verify_report_free(r);
	free(two);
	free(one);
}
END_TEST

/* A signed attributes SET OF out of DER order is invalid, even when signed so. */
START_TEST(unsorted_signed_attributes_are_invalid)
{
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;

	two = countersign(one, n1, VW_TABLE, 0, "/ETSI.CAdES.detached", "unsorted:rsa", &n2);
	write_file(vc_path("unsorted_attrs.pdf"), two, n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[1].reasons[0], "signed_attrs_not_der");
	crypto_verify_report_free(r);
	free(two);
	free(one);
}
END_TEST

/*
 * A signature algorithm OpenSSL cannot run in CMS (an OID it does not know,
 * by an RSA key): no proof either way, so indeterminate, never invalid; the
 * digest over the bytes is still checked and a changed byte is still invalid.
 */
START_TEST(unknown_signature_algorithm_is_indeterminate)
{
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;

	two = countersign(one, n1, VW_TABLE, 0, "/adbe.pkcs7.detached", "unknownalg:rsa", &n2);
	write_file(vc_path("unknown_sigalg.pdf"), two, n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_INDETERMINATE, "%s: %s",
		      crypto_verdict_name(r->sigs[1].verdict), r->sigs[1].message);
	ck_assert_str_eq(r->sigs[1].reasons[0], "unsupported_algorithm");
	ck_assert_int_eq(r->sigs[1].digest_ok, 1);
	ck_assert_int_ne(r->sigs[1].signature_ok, 1);
	ck_assert_int_eq(vc_outcome(r), VC_INDETERMINATE);
	crypto_verify_report_free(r);
	/* a covered byte of the countersigned update changed: the digest proves it */
	assert_tampered_invalid(two, n1, n2, "digest_mismatch");
	free(two);
	free(one);
}
END_TEST

/*
 * adbe.pkcs7.sha1 (the SHA-1 of the ranges enveloped and signed): checked in
 * full, indeterminate for its weak digest; a changed covered byte is invalid.
 */
START_TEST(adbe_pkcs7_sha1)
{
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two, *p;
	struct crypto_verify_report *r;

	two = countersign(one, n1, VW_TABLE, 0, "/adbe.pkcs7.sha1", "opensha1:ec", &n2);
	write_file(vc_path("pkcs7_sha1.pdf"), two, n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_INDETERMINATE, "%s: %s",
		      crypto_verdict_name(r->sigs[1].verdict), r->sigs[1].message);
	ck_assert_str_eq(r->sigs[1].reasons[0], "weak_algorithm");
	ck_assert_int_eq(r->sigs[1].digest_ok, 1);
	ck_assert_int_eq(r->sigs[1].signature_ok, 1);
	ck_assert_int_eq(r->sigs[1].chain_ok, 1);
	crypto_verify_report_free(r);
	/* the countersigner's /M date is covered: one digit changed */
	p = memmem(two + n1, n2 - n1, "D:2026", 6);
	p[5] = '7';
	r = verify(two, n2);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[1].reasons[1], "digest_mismatch");
	crypto_verify_report_free(r);
	free(two);
	free(one);
}
END_TEST

/* A document timestamp (ETSI.RFC3161) another tool adds after sealpact's signature. */
START_TEST(document_timestamp_after_signature)
{
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;

	two = countersign(one, n1, VW_STREAM, 1, "/ETSI.RFC3161", "doctsa:", &n2);
	/* pdfsig cannot judge document timestamps ("Unimplemented Feature"): qpdf only */
	write_file(vc_path("doc_timestamp_after.pdf"), two, n2);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null 2>&1", vc_path("doc_timestamp_after.pdf")),
			 0);
	r = verify(two, n2);
	ck_assert_msg(r->verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES, "%s: %s / %s",
		      crypto_verdict_name(r->verdict), r->sigs[1].message, r->message);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	ck_assert_int_eq(r->sigs[1].doc_timestamp, 1);
	ck_assert_int_eq(r->sigs[1].timestamp_ok, 1);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	crypto_verify_report_free(r);
	free(two);
	free(one);
}
END_TEST

/* What a countersigner may not do: have viewers redraw fields, change a value. */
START_TEST(countersignature_with_disallowed_changes)
{
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;

	two = countersign(one, n1, VW_TABLE, 2 + _i, "/ETSI.CAdES.detached", NULL, &n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_INVALID, "%s: %s",
		      crypto_verdict_name(r->sigs[0].verdict), r->sigs[0].message);
	/* not certified: no DocMDP permits filling in the field */
	ck_assert_ptr_nonnull(
		strstr(r->sigs[0].message, _i ? "form field \"amount\" filled in" : "/AcroForm"));
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	free(two);
	free(one);
}
END_TEST

/* An update hiding a content change in its /XRefStm stream is still seen. */
START_TEST(hybrid_update_hides_nothing)
{
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *bad;
	struct crypto_verify_report *r;
	static const int nums[2] = { 6, 4 };
	static const char *const objs[2] = {
		"<< /Type /XObject /Subtype /Form /BBox [0 0 100 100] /Length 23 >>\nstream\n0 0 1 "
		"rg 0 0 10 10 re f\nendstream",
		"<< /Length 53 >>\nstream\nBT /F1 12 Tf 72 700 Td (Pay 900 EUR) Tj ET q /X1 Do "
		"Q\nendstream"
	};

	static const enum vw_xref kinds[] = { VW_HYBRID, VW_HYBRID_STRING, VW_HYBRID_DISGUISED };
	size_t k;

	/* also when the trailer spells the key in a string before the key itself, or
	   writes the key with a #-escape that readers decode */
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		bad = vw_update(one, n1, nums, objs, 2, kinds[k], NULL, &n2);
		r = verify(bad, n2);
		ck_assert_uint_eq(r->nsigs, 1);
		ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_INVALID, "kind %zu: %s: %s", k,
			      crypto_verdict_name(r->sigs[0].verdict), r->sigs[0].message);
		/* both objects: the form XObject the table lists, the page content the
		   stream lists (reading the key from the string saw the first only) */
		ck_assert_uint_eq(r->sigs[0].ndisallowed, 2);
		crypto_verify_report_free(r);
		free(bad);
	}
	free(one);
}
END_TEST

START_TEST(startxref_on_the_end_of_line)
{
	size_t n, n1;
	unsigned char *d = malloc(base_len + 16), *one;
	char *sx = (char *)memmem(base, base_len, "startxref\n", 10), tail[64];
	long long x;

	ck_assert_ptr_nonnull(sx);
	x = atoll(sx + 10);
	ck_assert(base[x - 1] == '\n');
	n = (size_t)(sx - (char *)base);
	memcpy(d, base, n);
	snprintf(tail, sizeof(tail), "startxref\n%lld\n%%%%EOF\n", x - 1);
	memcpy(d + n, tail, strlen(tail));
	n += strlen(tail);
	one = vc_sign(d, n, "rsa", 1, 0, &n1);
	assert_valid(one, n1, 1, "startxref_ws.pdf");
	free(one);
	free(d);
}
END_TEST

/* Signing refuses a document certified with DocMDP P=1, and only that. */
START_TEST(certified_p1_is_not_signable)
{
	size_t n;
	unsigned char *d = vc_certified(1 + _i, &n);
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	size_t nreads;
	int r;

	sp_errinfo_init(&ei);
	ck_assert(pdf_doc_open(d, n, &doc, &ei) == SP_OK);
	r = pdf_docmdp_check_signable(doc, NULL, &ei);
	if (_i == 0) {
		ck_assert_int_eq(r, SP_ERR_INVALID);
		ck_assert_str_eq(ei.reason, "docmdp_no_changes");
		ck_assert_ptr_nonnull(strstr(ei.msg, "P=1"));
		ck_assert_ptr_nonnull(strstr(ei.msg, "Certification"));
	} else {
		ck_assert_int_eq(r, SP_OK);
	}
	pdf_doc_free(doc);
	/* the same with a verification's reads: a certification (/Reference) is never
	   taken as read, it is read again */
	sp_errinfo_init(&ei);
	r = signable_known(trust, d, n, &ei, &nreads);
	ck_assert_uint_eq(nreads, 0);
	if (_i == 0) {
		ck_assert_int_eq(r, SP_ERR_INVALID);
		ck_assert_str_eq(ei.reason, "docmdp_no_changes");
		ck_assert_ptr_nonnull(strstr(ei.msg, "P=1"));
	} else {
		ck_assert_int_eq(r, SP_OK);
	}
	free(d);
}
END_TEST

/*
 * What the engine cannot parse proves nothing: it fails (the CLI's
 * "unreadable", exit 4, tested in integration.test_verify), never a report
 * that calls a signature invalid.
 */
START_TEST(unreadable_is_not_invalid)
{
	static const char garbage[] = "%PDF-1.7\nnothing here at all\n";
	struct crypto_verify_opts o;
	struct crypto_verify_report *r = NULL;
	struct sp_errinfo ei;
	unsigned char *d;
	size_t n;
	int rc;

	memset(&o, 0, sizeof(o));
	sp_errinfo_init(&ei);
	rc = crypto_pdf_verify((const unsigned char *)garbage, sizeof(garbage) - 1, &o, &r, &ei);
	ck_assert_msg(rc != SP_OK || vc_outcome(r) == VC_NO_SIGNATURE, "garbage: %d", rc);
	crypto_verify_report_free(r);
	r = NULL;
	/* unsigned, its xref table gone: qpdf reads it, there is nothing to verify */
	d = malloc(base_len);
	memcpy(d, base, base_len);
	n = (size_t)((unsigned char *)memmem(d, base_len, "xref", 4) - d);
	memcpy(d + n, "junk", 4);
	sp_errinfo_init(&ei);
	rc = crypto_pdf_verify(d, base_len, &o, &r, &ei);
	ck_assert_msg(rc != SP_OK || vc_outcome(r) == VC_NO_SIGNATURE, "damaged: %d", rc);
	crypto_verify_report_free(r);
	free(d);
}
END_TEST

/*
 * The base with its AcroForm an indirect object: poppler 22.12 adds its field
 * to an inline AcroForm's copy, not to the catalog it writes (pdfsig still
 * lists that orphan widget; a form-based verifier finds no signature).
 */
static unsigned char *
base_indirect_acroform(size_t *outn)
{
	static const int nums[] = { 1, 8 };
	static const char *const objs[] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm 8 0 R >>",
		"<< /Fields [7 0 R] >>",
	};
	size_t n;
	unsigned char *u = vc_update(base, base_len, nums, objs, 2, 0, NULL, &n), *flat;

	flat = qpdf_tool(u, n, "", outn); /* one revision, as an upload is */
	free(u);
	return flat;
}

/*
 * A signature poppler writes (pdfsig -add-signature: its own incremental
 * update, a visible-appearance font, NSS's CMS, adbe.pkcs7.detached with the
 * ESS attribute) as the first signature, and as the countersignature of one
 * of ours: both orders verify, each signature intact, the earlier one with
 * allowed changes only, and the legacy subfilter is not called PAdES.
 */

START_TEST(poppler_signature_either_order)
{
	size_t n0, n1, n2;
	unsigned char *b = base_indirect_acroform(&n0), *one, *two;
	struct crypto_verify_report *r;

	one = poppler_sign(b, n0, "poppler1", &n1);

	assert_valid(one, n1, 1, "poppler1.pdf");
	r = verify(one, n1);
	ck_assert_str_eq(r->sigs[0].field, "poppler1");
	ck_assert_str_eq(r->sigs[0].subfilter, "/adbe.pkcs7.detached");
	ck_assert_str_eq(r->sigs[0].level, "not_pades");
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID);
	ck_assert_int_eq(r->last_revision_signed, 1);
	crypto_verify_report_free(r);
	/* ours after poppler's */
	two = vc_sign(one, n1, "ec", 1, 0, &n2);
	assert_valid(two, n2, 2, "poppler1_ours.pdf");
	r = verify(two, n2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_str_eq(r->sigs[1].level, "pades_b_t");
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	free(two);
	free(one);
	/* poppler's after ours */
	one = vc_sign(b, n0, "ec", 1, 0, &n1);
	two = poppler_sign(one, n1, "poppler2", &n2);
	assert_valid(two, n2, 2, "ours_poppler2.pdf");
	r = verify(two, n2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_str_eq(r->sigs[0].level, "pades_b_t");
	ck_assert_str_eq(r->sigs[1].field, "poppler2");
	ck_assert_str_eq(r->sigs[1].level, "not_pades");
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	free(two);
	free(one);
	free(b);
}
END_TEST

/*
 * An incremental update d gains as object-stream writers save one: objects
 * nums[0..k) (bodies) in a new object stream, listed by a cross-reference
 * stream (/W [1 4 2], type 2 entries for them; ISO 32000-2 §7.5.7, §7.5.8),
 * /Prev the file's last section. Returns the new file (malloc'd).
 */
static unsigned char *
objstm_update(const unsigned char *d, size_t n, const int *nums, const char *const *bodies,
	      size_t k, size_t *outn)
{
	struct pdf_doc *doc;
	struct pdf_doc_info info;
	struct sp_errinfo ei;
	char head[256], tr[512];
	size_t i, hl = 0, bl = 0, cap = n + 65536, o = n, stm, xr;
	unsigned char *out = malloc(cap), row[7], *rows;
	int s;

	sp_errinfo_init(&ei);
	ck_assert(out && pdf_doc_open(d, n, &doc, &ei) == SP_OK);
	pdf_doc_info_get(doc, &info);
	pdf_doc_free(doc);
	s = (int)info.size;
	memcpy(out, d, n);
	for (i = 0; i < k; i++) {
		hl += (size_t)snprintf(head + hl, sizeof(head) - hl, "%d %zu ", nums[i], bl);
		bl += strlen(bodies[i]) + 1;
	}
	stm = o + 1;
	o += (size_t)sprintf((char *)out + o,
			     "\n%d 0 obj\n<< /Type /ObjStm /N %zu /First %zu "
			     "/Length %zu >>\nstream\n%s",
			     s, k, hl, hl + bl, head);
	for (i = 0; i < k; i++)
		o += (size_t)sprintf((char *)out + o, "%s\n", bodies[i]);
	o += (size_t)sprintf((char *)out + o, "\nendstream\nendobj\n");
	xr = o;
	/* entries in /Index order: the members (type 2: the stream, the index in it), the
	   stream and the section itself (type 1: offsets) */
	rows = malloc(7 * (k + 2));
	for (i = 0; i < k + 2; i++) {
		size_t f2 = i < k ? (size_t)s : i == k ? stm : xr;
		row[0] = i < k ? 2 : 1;
		row[1] = (unsigned char)(f2 >> 24);
		row[2] = (unsigned char)(f2 >> 16);
		row[3] = (unsigned char)(f2 >> 8);
		row[4] = (unsigned char)f2;
		row[5] = 0;
		row[6] = i < k ? (unsigned char)i : 0;
		memcpy(rows + 7 * i, row, 7);
	}
	hl = 0;
	for (i = 0; i < k; i++)
		hl += (size_t)snprintf(tr + hl, sizeof(tr) - hl, "%d 1 ", nums[i]);
	o += (size_t)sprintf((char *)out + o,
			     "%d 0 obj\n<< /Type /XRef /Size %d /Root %d %d R /Info %d %d R /Prev "
			     "%lld /W [1 4 2] /Index [%s%d 2] /Length %zu >>\nstream\n",
			     s + 1, s + 2, info.root_obj, info.root_gen, info.info_obj,
			     info.info_gen, info.startxref, tr, s, 7 * (k + 2));
	memcpy(out + o, rows, 7 * (k + 2));
	o += 7 * (k + 2);
	o += (size_t)sprintf((char *)out + o, "\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", xr);
	free(rows);
	*outn = o;
	return out;
}

/*
 * A Ghostscript-printed contract (pdfwrite, PDF/A-2b, a classic table) that
 * a later save rewrote as object-stream writers do (its catalog in an
 * object stream, a cross-reference stream), then signed by poppler (pdfsig
 * -add-signature) and after it by us: both signatures valid here, for
 * pdfsig and for qpdf --check; poppler's has allowed changes only.
 */
START_TEST(ghostscript_objstm_update_then_poppler)
{
	char path[600];
	const char *src = getenv("SEALPACT_SOURCE_DIR");
	size_t n, nu, n1, n2;
	unsigned char *d, *u, *one, *two;
	struct crypto_verify_report *r;
	struct pdf_doc *doc;
	struct pdf_doc_info info;
	struct sp_errinfo ei;
	char *cat, *cat2;
	int nums[1];
	const char *bodies[1];

	snprintf(path, sizeof(path), "%s/tests/fixtures/writers/ghostscript_pdfa2b_icc.pdf",
		 src ? src : "..");
	d = read_file(path, &n);
	sp_errinfo_init(&ei);
	ck_assert(pdf_doc_open(d, n, &doc, &ei) == SP_OK);
	pdf_doc_info_get(doc, &info);
	pdf_doc_free(doc);
	cat = obj_text(d, n, info.root_obj);
	cat2 = dict_add(cat, "/Lang (zh-CN)");
	nums[0] = info.root_obj;
	bodies[0] = cat2;
	u = objstm_update(d, n, nums, bodies, 1, &nu);
	write_file(vc_path("gs_objstm.pdf"), u, nu);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null 2>&1", vc_path("gs_objstm.pdf")), 0);
	ck_assert_ptr_nonnull(memmem(u + n, nu - n, "/Type /ObjStm", 13));
	one = poppler_sign(u, nu, "poppler1", &n1);
	assert_valid(one, n1, 1, "gs_objstm_poppler.pdf");
	two = vc_sign(one, n1, "ec", 1, 0, &n2);
	assert_valid(two, n2, 2, "gs_objstm_poppler_ours.pdf");
	r = verify(two, n2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	free(two);
	free(one);
	free(u);
	free(cat2);
	free(cat);
	free(d);
}
END_TEST

/*
 * MuPDF (mutool sign) fills an empty signature field the contract brought,
 * with its own writer, as adbe.pkcs7.detached over SHA-1: intact but weak
 * (indeterminate, not invalid, as the EU DSS validator judges SHA-1 now), and
 * our signature after it leaves it with allowed changes only.
 */
START_TEST(mupdf_fills_a_field_then_ours)
{
	static const int nums[] = { 1, 3, 8 };
	static const char *const objs[] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R 8 0 R] >> >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
		"/Resources << /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >> "
		"/Annots [7 0 R 8 0 R] >>",
		"<< /Type /Annot /Subtype /Widget /FT /Sig /T (mupdf) /Rect [72 500 272 550] /F 4 "
		"/P 3 0 R >>",
	};
	size_t n, n0, n1, n2;
	unsigned char *u = vc_update(base, base_len, nums, objs, 3, 0, NULL, &n), *b, *one, *two;
	struct crypto_verify_report *r;

	b = qpdf_tool(u, n, "", &n0);
	write_file(vc_path("mupdf_in.pdf"), b, n0);
	ck_assert_int_eq(run("cd %s && ( openssl pkcs12 -export -inkey rsa.key -in rsa.pem "
			     "-passout pass: -out mupdf.p12 && mutool sign -s mupdf.p12 -P '' "
			     "-o mupdf_out.pdf mupdf_in.pdf ) >>pki.log 2>&1",
			     vc_dir),
			 0);
	one = read_file(vc_path("mupdf_out.pdf"), &n1);
	r = verify(one, n1);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_str_eq(r->sigs[0].field, "mupdf");
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INDETERMINATE);
	ck_assert_str_eq(r->sigs[0].reasons[0], "weak_algorithm");
	ck_assert_int_eq(r->sigs[0].digest_ok, 1);
	ck_assert_int_eq(r->sigs[0].signature_ok, 1);
	ck_assert_str_eq(r->sigs[0].level, "not_pades");
	crypto_verify_report_free(r);
	two = vc_sign(one, n1, "ec", 1, 0, &n2);
	write_file(vc_path("mupdf_ours.pdf"), two, n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_uint_eq(r->sigs[0].ndisallowed, 0);
	ck_assert_int_eq(r->sigs[0].digest_ok, 1);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	ck_assert_str_eq(r->sigs[1].level, "pades_b_t");
	crypto_verify_report_free(r);
	/* poppler agrees that both are intact */
	ck_assert_int_eq(run("cd %s && pdfsig -nssdir sql:nss mupdf_ours.pdf 2>&1 | grep -c "
			     "'Signature Validation: Signature is Valid' | grep -qx 2",
			     vc_dir),
			 0);
	free(two);
	free(one);
	free(b);
	free(u);
}
END_TEST

/*
 * The catalog's /Version after a signature: added or raised is allowed,
 * lowered or not a version is a disallowed change.
 */
START_TEST(catalog_version_only_rises)
{
	static const int nums[] = { 1, 8 };
	static const char *const set[] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm 8 0 R /Version /1.6 >>",
		"<< /Type /Catalog /Pages 2 0 R /AcroForm 8 0 R /Version /2.0 >>",
		"<< /Type /Catalog /Pages 2 0 R /AcroForm 8 0 R /Version /1.3 >>",
		"<< /Type /Catalog /Pages 2 0 R /AcroForm 8 0 R /Version /9 >>",
		"<< /Type /Catalog /Pages 2 0 R /AcroForm 8 0 R /Version (1.7) >>",
		"<< /Type /Catalog /Pages 2 0 R /AcroForm 8 0 R >>",
	};
	/* (not static: set[0] is no constant expression in ISO C, and clang refuses it) */
	const char *const first[] = { set[0], "<< /Fields [7 0 R] >>" };
	static const int allowed[] = { 1, 1, 0, 0, 0, 0 };
	size_t n0, n1, n, m, k;
	unsigned char *b, *signed_, *t, *u;
	struct crypto_verify_report *r;

	/* the signer saw /Version /1.6; its signature changes the AcroForm, not the catalog */
	b = vc_update(base, base_len, nums, first, 2, 0, NULL, &n0);
	signed_ = vc_sign(b, n0, "ec", 1, 0, &n1);
	for (k = 0; k < 6; k++) {
		t = vc_update(signed_, n1, nums, &set[k], 1, 0, NULL, &n);
		/* then a signature over it, so only the change decides */
		u = vc_sign(t, n, "rsa", 1, 0, &m);
		r = verify(u, m);
		ck_assert_uint_eq(r->nsigs, 2);
		ck_assert_msg(r->sigs[0].ndisallowed == (allowed[k] ? 0U : 1U),
			      "%s: %zu disallowed", set[k], r->sigs[0].ndisallowed);
		ck_assert_int_eq(r->sigs[0].verdict, allowed[k]
							     ? CRYPTO_VERDICT_VALID_ALLOWED_CHANGES
							     : CRYPTO_VERDICT_INVALID);
		ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
		crypto_verify_report_free(r);
		free(u);
		free(t);
	}
	free(signed_);
	free(b);
}
END_TEST

static Suite *
world_suite(void)
{
	Suite *s = suite_create("verify_world");
	TCase *tc = tcase_create("world");

	tcase_add_unchecked_fixture(tc, setup, world_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, linearized_signed_twice, 0, 2);
	tcase_add_test(tc, forward_prev_outside_linearization_is_refused);
	tcase_add_loop_test(tc, countersigned_by_another_writer, 0, 4);
	tcase_add_loop_test(tc, countersignature_with_disallowed_changes, 0, 2);
	tcase_add_test(tc, legacy_countersignature_is_not_pades_not_invalid);
	tcase_add_test(tc, hybrid_update_hides_nothing);
	tcase_add_test(tc, unreadable_is_not_invalid);
	tcase_add_test(tc, unsorted_signed_attributes_are_invalid);
	tcase_add_test(tc, cms_with_a_bundle_of_cross_certificates);
	tcase_add_test(tc, unknown_signature_algorithm_is_indeterminate);
	tcase_add_test(tc, adbe_pkcs7_sha1);
	tcase_add_test(tc, document_timestamp_after_signature);
	tcase_add_loop_test(tc, certified_p1_is_not_signable, 0, 3);
	tcase_add_test(tc, startxref_on_the_end_of_line);
	tcase_add_test(tc, poppler_signature_either_order);
	tcase_add_test(tc, ghostscript_objstm_update_then_poppler);
	tcase_add_test(tc, mupdf_fills_a_field_then_ours);
	tcase_add_test(tc, catalog_version_only_rises);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(world_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}