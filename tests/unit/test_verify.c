/*
 * test_verify.c: the verification engine (crypto_pdf_verify) on documents
 * signed through the real path, on the attack corpus built here from them
 * (universal signature forgery, incremental saving, signature wrapping,
 * shadow hide / replace / hide-and-replace, an unsigned trailing update),
 * and against poppler's pdfsig on the valid set. What a completion hands
 * forward to the next verification: its parts test_verify_handed.c (the
 * document's facts), test_verify_handed_sig.c (the checked signature and
 * digest) and test_verify_handed_reports.c (the earlier signatures).
 */
#define TEST_PART_HOME
#define TEST_PART
#include "test_verify.h"

START_TEST(one_signature_is_valid_and_pdfsig_agrees)
{
	struct crypto_verify_report *r = verify(good, good_len);
	char *ps;

	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_uint_eq(r->nrevisions, 2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID);
	assert_all_checks(&r->sigs[0], 1);
	ck_assert_uint_eq(r->sigs[0].revision, 2);
	ck_assert_str_eq(r->sigs[0].digest_alg, "SHA256");
	ck_assert_ptr_nonnull(strstr(r->sigs[0].signer.subject, "CN=rsa signer"));
	ck_assert_int_eq(r->last_revision_signed, 1);
	ck_assert_int_eq(vc_outcome(r), VC_VALID);
	ps = pdfsig(good, good_len);
	ck_assert_msg(strstr(ps, "Signature is Valid.") && strstr(ps, "Total document signed"),
		      "pdfsig: %s", ps);
	free(ps);
	crypto_verify_report_free(r);
}
END_TEST

START_TEST(rsa_ec_sm2_chain_of_signatures)
{
	size_t n2, n3;
	unsigned char *two = vc_sign(good, good_len, "ec", 1, 0, &n2);
	unsigned char *three = vc_sign(two, n2, "sm2", 1, 0, &n3);
	struct crypto_verify_report *r = verify(two, n2);
	char *ps;
	size_t i;

	/* two signatures: the first with allowed changes after it; pdfsig agrees on both */
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_uint_gt(r->sigs[0].nallowed, 0);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	ck_assert_int_eq(vc_outcome(r), VC_VALID);
	ps = pdfsig(two, n2);
	ck_assert_msg(count(ps, "Signature is Valid.") == 2, "pdfsig: %s", ps);
	free(ps);
	crypto_verify_report_free(r);
	/* SM2 (own verify path with the distinguishing ID) */
	r = verify(three, n3);
	ck_assert_uint_eq(r->nsigs, 3);
	for (i = 0; i < 3; i++)
		assert_all_checks(&r->sigs[i], 1);
	ck_assert_str_eq(r->sigs[2].sig_alg, "SM2-with-SM3");
	ck_assert_str_eq(r->sigs[2].digest_alg, "SM3");
	ck_assert_int_eq(r->sigs[2].verdict, CRYPTO_VERDICT_VALID);
	ck_assert_int_eq(r->verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_int_eq(vc_outcome(r), VC_VALID);
	crypto_verify_report_free(r);
	free(two);
	free(three);
}
END_TEST

/* The /Contents gap is read in either case, digit by digit, as its hex string is. */
START_TEST(gap_hex_in_either_case)
{
	size_t n2, i, k;
	unsigned char *two = vc_sign(good, good_len, "ec", 1, 0, &n2), *up;
	struct crypto_verify_report *r = verify(two, n2), *u;
	const struct crypto_sig_report *last = &r->sigs[r->nsigs - 1];

	ck_assert_int_eq(last->verdict, CRYPTO_VERDICT_VALID);
	ck_assert_ptr_nonnull(up = malloc(n2));
	for (k = 0; k < 2; k++) {
		memcpy(up, two, n2);
		/* k 0: every letter in the other case; k 1: every other digit's */
		for (i = (size_t)last->byte_range[1] + 1; i + 1 < (size_t)last->byte_range[2]; i++)
			if (isxdigit(up[i]) && !isdigit(up[i]) && (k == 0 || i % 2 == 0))
				up[i] = (unsigned char)(up[i] ^ 0x20);
		ck_assert_int_ne(memcmp(up, two, n2), 0);
		u = verify(up, n2);
		ck_assert_int_eq(u->sigs[u->nsigs - 1].verdict, CRYPTO_VERDICT_VALID);
		ck_assert_int_eq(u->sigs[u->nsigs - 1].structure_ok, 1);
		crypto_verify_report_free(u);
	}
	/* a gap that is another string of the same length than the /Contents the dictionary
	   holds (here: the document parsed from the bytes before one digit changed) */
	{
		struct crypto_verify_opts o = { .trust = trust };
		struct pdf_doc *d = NULL;
		struct sp_errinfo ei;
		/* a digit of the first block, of one further in, and of the last (shorter)
		   block: the gap is compared a block at a time */
		size_t ats[] = { (size_t)last->byte_range[1] + 7,
				 (size_t)last->byte_range[1] + 1 + 2 * 700 + 1,
				 (size_t)last->byte_range[2] - 2 },
		       a;

		sp_errinfo_init(&ei);
		ck_assert_int_eq(pdf_doc_open(two, n2, &d, &ei), SP_OK);
		for (a = 0; a < sizeof(ats) / sizeof(ats[0]); a++) {
			ck_assert(ats[a] < (size_t)last->byte_range[2] - 1);
			memcpy(up, two, n2);
			up[ats[a]] = (unsigned char)(up[ats[a]] == '0' ? '1' : '0');
			o.doc = d;
			u = NULL;
			ck_assert_int_eq(crypto_pdf_verify(up, n2, &o, &u, &ei), SP_OK);
			ck_assert_int_eq(u->sigs[u->nsigs - 1].verdict, CRYPTO_VERDICT_INVALID);
			ck_assert(has_reason(&u->sigs[u->nsigs - 1], "gap_not_contents"));
			crypto_verify_report_free(u);
		}
		pdf_doc_free(d);
	}
	/* a digit that is no hex digit: the gap is not the string */
	memcpy(up, two, n2);
	up[last->byte_range[1] + 5] = 'g';
	u = verify(up, n2);
	ck_assert_int_eq(u->sigs[u->nsigs - 1].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_int_eq(u->sigs[u->nsigs - 1].structure_ok, 0);
	crypto_verify_report_free(u);
	free(up);
	crypto_verify_report_free(r);
	free(two);
}
END_TEST

START_TEST(no_timestamp_unsigned_and_untrusted)
{
	size_t n, nb;
	unsigned char *base = vc_base(0, &nb), *d = vc_sign(base, nb, "ec", 0, 0, &n);
	struct crypto_verify_report *r = verify(d, n);
	struct crypto_verify_opts none = { 0 };
	struct sp_errinfo ei;

	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID);
	assert_all_checks(&r->sigs[0], 0);
	crypto_verify_report_free(r);
	/* no roots configured: nothing is proven wrong, nothing is trusted */
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_pdf_verify(d, n, &none, &r, &ei), SP_OK);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INDETERMINATE);
	ck_assert(has_reason(&r->sigs[0], "untrusted_issuer"));
	ck_assert_int_eq(vc_outcome(r), VC_INDETERMINATE);
	crypto_verify_report_free(r);
	free(d);
	/* a signer from another root */
	d = vc_sign(base, nb, "stranger", 1, 0, &n);
	r = verify(d, n);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INDETERMINATE);
	ck_assert(has_reason(&r->sigs[0], "untrusted_issuer"));
	ck_assert_int_eq(r->sigs[0].digest_ok, 1);
	crypto_verify_report_free(r);
	free(d);
	/* unsigned */
	r = verify(base, nb);
	ck_assert_uint_eq(r->nsigs, 0);
	ck_assert_int_eq(vc_outcome(r), VC_NO_SIGNATURE);
	crypto_verify_report_free(r);
	/* not a PDF */
	ck_assert_int_ne(crypto_pdf_verify((const unsigned char *)"hello", 5, &none, &r, &ei),
			 SP_OK);
	ck_assert_ptr_null(r);
	free(base);
}
END_TEST

/* Certification attacks: what DocMDP P=1 and P=2 forbid after a certifying signature. */
START_TEST(certification_attacks)
{
	size_t n1, n2, n;
	unsigned char *p1 = vc_certified(1, &n1), *p2 = vc_certified(2, &n2), *d;
	struct crypto_verify_report *r = verify(p1, n1);
	static const int nums[2] = { 3, 20 };
	static const char *const objs[2] = {
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
		"/Resources << /Font << /F1 5 0 R >> >> /Annots [6 0 R 20 0 R] >>",
		"<< /Type /Annot /Subtype /FreeText /Rect [72 690 300 720] /Contents (Pay 999 EUR) "
		"/DA (/Helv 12 Tf 0 g) >>"
	};

	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID);
	ck_assert_int_eq(r->sigs[0].certifying, 1);
	crypto_verify_report_free(r);
	/* P=1: no change at all, not even another signature */
	d = vc_sign(p1, n1, "ec", 1, 0, &n);
	r = verify(d, n);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert(has_reason(&r->sigs[0], "docmdp_violation"));
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	ck_assert_int_eq(vc_outcome(r), VC_INVALID);
	crypto_verify_report_free(r);
	free(d);
	/* P=2: an invisible approval signature is fine */
	d = vc_sign(p2, n2, "ec", 1, 0, &n);
	r = verify(d, n);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_int_eq(vc_outcome(r), VC_VALID);
	crypto_verify_report_free(r);
	free(d);
	/* P=2: a new visible signature widget (a seal painted over the content) is not
	   (another writer's: ours refuses to add one, docmdp_no_visible), here signed over
	   by an invisible signature */
	{
		static const int wnums[3] = { 1, 3, 20 };
		static const char *const wobjs[3] = {
			"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R 20 0 R] "
			"/SigFlags 3 >> /Perms << /DocMDP 7 0 R >> >>",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
			"/Resources << /Font << /F1 5 0 R >> >> /Annots [6 0 R 20 0 R] >>",
			"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Seal) /F 4 "
			"/Rect [300 300 420 420] /P 3 0 R >>"
		};
		unsigned char *w = vc_update(p2, n2, wnums, wobjs, 3, 0, NULL, &n);
		size_t nw = n;

		d = vc_sign(w, nw, "ec", 1, 0, &n);
		free(w);
	}
	write_file(vc_path("certified_visible.pdf"), d, n);
	r = verify(d, n);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert(has_reason(&r->sigs[0], "docmdp_violation"));
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	free(d);
	/* P=2: an annotation over the amount */
	d = vc_update(p2, n2, nums, objs, 2, 0, NULL, &n);
	r = verify(d, n);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert(has_reason(&r->sigs[0], "disallowed_changes"));
	ck_assert_int_eq(r->sigs[0].changes[0].obj, 3);
	crypto_verify_report_free(r);
	free(d);
	free(p1);
	free(p2);
}
END_TEST

/* A file with object streams: every update the writer adds then has an xref stream. */
START_TEST(xref_streams_and_object_streams)
{
	size_t nb, n1, n2, n3, ns;
	unsigned char *base = vc_base(0, &nb), *one, *two, *bad, *os;
	struct crypto_verify_report *r;
	static const int nums[1] = { 5 };
	static const char *const objs[1] = {
		"<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>"
	};

	write_file(vc_path("plain.pdf"), base, nb);
	ck_assert_int_eq(run("qpdf --object-streams=generate %s %s", vc_path("plain.pdf"),
			     vc_path("objstm.pdf")),
			 0);
	os = read_file(vc_path("objstm.pdf"), &ns);
	ck_assert_ptr_nonnull(memmem(os, ns, "/ObjStm", 7));
	one = vc_sign(os, ns, "rsa", 1, 0, &n1);
	two = vc_sign(one, n1, "ec", 1, 0, &n2);
	write_file(vc_path("xref_streams.pdf"), two,
		   n2); /* a fuzz seed, kept with SP_VERIFY_KEEP */
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES, "%s: %s",
		      crypto_verdict_name(r->sigs[0].verdict), r->sigs[0].message);
	ck_assert_uint_gt(r->sigs[0].nallowed, 0);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	/* a classic-table update over them replacing an object (the font, in an object stream) */
	bad = vc_update(two, n2, nums, objs, 1, 0, NULL, &n3);
	r = verify(bad, n3);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert(has_reason(&r->sigs[1], "disallowed_changes"));
	crypto_verify_report_free(r);
	free(bad);
	free(two);
	free(one);
	free(base);
	free(os);
}
END_TEST

START_TEST(document_timestamp)
{
	size_t n;
	unsigned char *d = vc_doc_timestamp(&n);
	struct crypto_verify_report *r = verify(d, n);

	write_file(vc_path("doc_timestamp.pdf"), d, n);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_int_eq(r->sigs[0].doc_timestamp, 1);
	ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_VALID, "%s", r->sigs[0].message);
	ck_assert_int_eq(r->sigs[0].timestamp_ok, 1);
	ck_assert_ptr_nonnull(strstr(r->sigs[0].tsa, "verify test TSA"));
	crypto_verify_report_free(r);
	/* one covered byte changed: the imprint no longer matches */
	memcpy(memmem(d, n, "Pay 100", 7), "Pay 900", 7);
	r = verify(d, n);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert(has_reason(&r->sigs[0], "ts_imprint_mismatch"));
	crypto_verify_report_free(r);
	free(d);
}
END_TEST

/* s with the first occurrence of what replaced by with (malloc'd). */
static char *
replaced(const char *s, const char *what, const char *with)
{
	const char *at = strstr(s, what);
	size_t n = strlen(s) - strlen(what) + strlen(with) + 1;
	char *o = malloc(n);

	ck_assert_ptr_nonnull(at);
	ck_assert_ptr_nonnull(o);
	snprintf(o, n, "%.*s%s%s", (int)(at - s), s, with, at + strlen(what));
	return o;
}

/*
 * /Fields may only grow by signature fields, every earlier entry in place:
 * an update that adds one after them is allowed; one that puts it first,
 * drops an entry, names an entry in another generation, or replaces a
 * reference by a copy of the dictionary it pointed to changes what the
 * signer signed. (The references are read from one unparse of the array
 * when every entry is one; a direct entry is compared item by item.)
 */
START_TEST(fields_grow_only_by_signature_fields)
{
	qpdf_data q = qpdf_init();
	qpdf_oh root, af, fields, first;
	char *holder = NULL, *arr = NULL, *ref = NULL, *body, *grown, *variant[8];
	const char *expect_ok[8] = { "ok",     "first", "dropped",    "generation",
				     "direct", "same",  "text field", "extra items" };
	int holder_obj, sig_obj, nums[2], i, n;
	const char *objs[2];
	struct crypto_verify_report *r;
	unsigned char *d;
	size_t dn;
	char newref[32], buf[4096];

	qpdf_silence_errors(q);
	ck_assert_int_eq(qpdf_read_memory(q, "good.pdf", (const char *)good, good_len, "") &
				 QPDF_ERRORS,
			 0);
	root = qpdf_get_root(q);
	af = qpdf_oh_get_key(q, root, "/AcroForm");
	/* the object that holds the /Fields array: the AcroForm's own, else the catalog */
	holder_obj = qpdf_oh_is_indirect(q, af) ? qpdf_oh_get_object_id(q, af)
						: qpdf_oh_get_object_id(q, root);
	holder = strdup(qpdf_oh_unparse_resolved(q, qpdf_oh_is_indirect(q, af) ? af : root));
	fields = qpdf_oh_get_key(q, af, "/Fields");
	ck_assert(!qpdf_oh_is_indirect(q, fields));
	n = qpdf_oh_get_array_n_items(q, fields);
	ck_assert_int_ge(n, 2); /* the text field and good's signature */
	arr = strdup(qpdf_oh_unparse(q, fields));
	first = qpdf_oh_get_array_item(q, fields, 0);
	ck_assert(qpdf_oh_is_indirect(q, first));
	snprintf(buf, sizeof(buf), "%d %d R", qpdf_oh_get_object_id(q, first),
		 qpdf_oh_get_generation(q, first));
	ref = strdup(buf);
	body = strdup(qpdf_oh_unparse_resolved(q, first));
	sig_obj = qpdf_oh_get_int_value_as_int(q, qpdf_oh_get_key(q, qpdf_get_trailer(q), "/Size"));
	qpdf_cleanup(&q);
	snprintf(newref, sizeof(newref), "%d 0 R", sig_obj);
	/* [ a b ... ] grown by the new field, and the hostile spellings of it */
	snprintf(buf, sizeof(buf), "%.*s %s ]", (int)(strrchr(arr, ']') - arr), arr, newref);
	grown = strdup(buf);
	variant[0] = strdup(grown);
	snprintf(buf, sizeof(buf), "[ %s %s", newref, arr + 1);
	variant[1] = strdup(buf);
	variant[2] = replaced(grown, ref, "");
	snprintf(buf, sizeof(buf), "%d 1 R", atoi(ref));
	variant[3] = replaced(grown, ref, buf);
	variant[4] = replaced(grown, ref, body);
	/* the array as it was (the holder written again), allowed; the earlier text field
	   appended again, or a direct item after the new one, are no signature fields */
	variant[5] = strdup(arr);
	snprintf(buf, sizeof(buf), "%.*s %s ]", (int)(strrchr(grown, ']') - grown), grown, ref);
	variant[6] = strdup(buf);
	snprintf(buf, sizeof(buf), "%.*s (x) ]", (int)(strrchr(grown, ']') - grown), grown);
	variant[7] = strdup(buf);
	for (i = 0; i < 8; i++) {
		char *h = replaced(holder, arr, variant[i]);

		nums[0] = holder_obj;
		objs[0] = h;
		nums[1] = sig_obj;
		objs[1] = "<< /FT /Sig /T (later) >>";
		d = vc_update(good, good_len, nums, objs, 2, 0, NULL, &dn);
		r = verify(d, dn);
		ck_assert_uint_eq(r->nsigs, 1);
		if (i == 0 || i == 5)
			ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES,
				      "%s: %s", expect_ok[i],
				      crypto_verdict_name(r->sigs[0].verdict));
		else {
			ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_INVALID, "%s: %s",
				      expect_ok[i], crypto_verdict_name(r->sigs[0].verdict));
			ck_assert(has_reason(&r->sigs[0], "disallowed_changes"));
		}
		crypto_verify_report_free(r);
		free(d);
		free(h);
		free(variant[i]);
	}
	free(grown);
	free(body);
	free(ref);
	free(arr);
	free(holder);
}
END_TEST

/*
 * A signed catalog's /AcroForm turned into something that is no dictionary
 * (or a dictionary of more keys than the comparison reads) is a disallowed
 * change, reported as such; the comparison gives back what it read of the
 * other side (the sanitizer build's leak check sees it).
 */
START_TEST(acroform_no_longer_a_dictionary)
{
	qpdf_data q = qpdf_init();
	const char *with[2] = { "[ ]", NULL };
	char *catalog, *afs, *many;
	struct crypto_verify_report *r;
	unsigned char *d;
	size_t dn, at;
	int root_obj, i;

	qpdf_silence_errors(q);
	ck_assert_int_eq(qpdf_read_memory(q, "good.pdf", (const char *)good, good_len, "") &
				 QPDF_ERRORS,
			 0);
	root_obj = qpdf_oh_get_object_id(q, qpdf_get_root(q));
	catalog = strdup(qpdf_oh_unparse_resolved(q, qpdf_get_root(q)));
	afs = strdup(qpdf_oh_unparse(q, qpdf_oh_get_key(q, qpdf_get_root(q), "/AcroForm")));
	qpdf_cleanup(&q);
	/* a dictionary of 200 keys */
	ck_assert_ptr_nonnull(many = malloc(200 * 16 + 8));
	at = (size_t)sprintf(many, "<<");
	for (i = 0; i < 200; i++)
		at += (size_t)sprintf(many + at, " /K%d %d", i, i);
	sprintf(many + at, " >>");
	with[1] = many;
	for (i = 0; i < 2; i++) {
		char *changed = replaced(catalog, afs, with[i]);
		const char *objs[1] = { changed };

		d = vc_update(good, good_len, &root_obj, objs, 1, 0, NULL, &dn);
		r = verify(d, dn);
		ck_assert_uint_eq(r->nsigs, 1);
		ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
		ck_assert(has_reason(&r->sigs[0], "disallowed_changes"));
		crypto_verify_report_free(r);
		free(d);
		free(changed);
	}
	free(many);
	free(afs);
	free(catalog);
}
END_TEST

/* ---- the attack corpus ---- */

struct attack {
	const char *name;
	const char *reason; /* expected on the first signature */
	enum crypto_verdict verdict;
	int changed_obj; /* an object that must be named as disallowed, 0 none */
};

static const struct attack attacks[] = {
	{ "usf_contents_missing", "contents_missing", CRYPTO_VERDICT_INVALID, 0 },
	{ "usf_contents_null", "contents_null", CRYPTO_VERDICT_INVALID, 0 },
	{ "usf_contents_indirect", "contents_indirect", CRYPTO_VERDICT_INVALID, 0 },
	{ "usf_contents_malformed", "contents_malformed", CRYPTO_VERDICT_INVALID, 0 },
	{ "usf_byterange_missing", "byterange_missing", CRYPTO_VERDICT_INVALID, 0 },
	{ "usf_byterange_null", "byterange_null", CRYPTO_VERDICT_INVALID, 0 },
	{ "usf_byterange_indirect", "byterange_indirect", CRYPTO_VERDICT_INVALID, 0 },
	{ "usf_byterange_malformed", "byterange_malformed", CRYPTO_VERDICT_INVALID, 0 },
	{ "usf_wrong_key", "bad_signature", CRYPTO_VERDICT_INVALID, 0 },
	{ "isa_content_changed", "disallowed_changes", CRYPTO_VERDICT_INVALID, 4 },
	{ "swa_gap_wider", "gap_not_contents", CRYPTO_VERDICT_INVALID, 0 },
	{ "swa_range_moved", "byterange_not_revision_end", CRYPTO_VERDICT_INVALID, 0 },
	{ "swa_redefined_range", "digest_mismatch", CRYPTO_VERDICT_INVALID, 0 },
	{ "shadow_hide_overlay", "disallowed_changes", CRYPTO_VERDICT_INVALID, 99 },
	{ "shadow_replace_form_value", "disallowed_changes", CRYPTO_VERDICT_INVALID, 7 },
	{ "shadow_replace_font", "disallowed_changes", CRYPTO_VERDICT_INVALID, 5 },
	{ "shadow_replace_xobject", "disallowed_changes", CRYPTO_VERDICT_INVALID, 6 },
	{ "shadow_hide_replace_root", "disallowed_changes", CRYPTO_VERDICT_INVALID, 0 },
	{ "shadow_hide_replace_pages", "disallowed_changes", CRYPTO_VERDICT_INVALID, 2 },
	{ "annotation_added", "disallowed_changes", CRYPTO_VERDICT_INVALID, 3 },
	{ "unsigned_trailing_update", NULL, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES, 0 },
	{ "trailing_garbage", NULL, CRYPTO_VERDICT_VALID, 0 },
};

/* The signature dictionary of good, rebuilt with its /Contents and /ByteRange replaced. */
static void
sigdict(const struct crypto_sig_report *s, const char *contents, const char *br, char *out,
	size_t cap)
{
	char hex[2 * PDF_SIG_CONTENTS_DEFAULT + 3], brs[128];
	size_t hl = (size_t)(s->byte_range[2] - s->byte_range[1]);

	ck_assert_uint_lt(hl, sizeof(hex));
	memcpy(hex, good + s->byte_range[1], hl);
	hex[hl] = 0;
	snprintf(brs, sizeof(brs), "[%lld %lld %lld %lld]", s->byte_range[0], s->byte_range[1],
		 s->byte_range[2], s->byte_range[3]);
	snprintf(out, cap,
		 "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached%s%s%s%s >>",
		 contents ? " /Contents " : "", contents ? (*contents ? contents : hex) : "",
		 br ? " /ByteRange " : "", br ? (*br ? br : brs) : "");
}

/* Rewrite good's /ByteRange in place (same width, as the writer pads it). */
static unsigned char *
rewrite_br(const long long br[4], size_t *n)
{
	unsigned char *d = malloc(good_len), *p;
	char s[64];

	memcpy(d, good, good_len);
	p = memmem(d, good_len, "/ByteRange [0 ", 14);
	ck_assert_ptr_nonnull(p);
	snprintf(s, sizeof(s), "%010lld %010lld %010lld]", br[1], br[2], br[3]);
	memcpy(p + 14, s, strlen(s));
	*n = good_len;
	return d;
}

static unsigned char *
build(const char *name, const struct crypto_sig_report *s, size_t *n)
{
	static char big[2][2 * PDF_SIG_CONTENTS_DEFAULT + 512];
	const char *objs[4];
	int nums[4], so = s->sig_obj;
	long long br[4];
	char brs[128];

	memcpy(br, s->byte_range, sizeof(br));
	nums[0] = so;
	objs[0] = big[0];
#define UPD(k, root, extra) vc_update(good, good_len, nums, objs, (k), (root), (extra), n)
	if (!strcmp(name, "usf_contents_missing")) {
		sigdict(s, NULL, "", big[0], sizeof(big[0]));
		return UPD(1, 0, NULL);
	}
	if (!strcmp(name, "usf_contents_null")) {
		sigdict(s, "null", "", big[0], sizeof(big[0]));
		return UPD(1, 0, NULL);
	}
	if (!strcmp(name, "usf_contents_indirect")) {
		sigdict(s, "40 0 R", "", big[0], sizeof(big[0]));
		sigdict(s, "", NULL, big[1], sizeof(big[1]));
		/* object 40: the original hex string alone */
		memmove(big[1], strchr(big[1], '<') + 0, strlen(strchr(big[1], '<')) + 1);
		memmove(big[1], strstr(big[1], "/Contents ") + 10,
			strlen(strstr(big[1], "/Contents ") + 10) + 1);
		*strrchr(big[1], '>') = 0;
		nums[1] = 40;
		objs[1] = big[1];
		return UPD(2, 0, NULL);
	}
	if (!strcmp(name, "usf_contents_malformed")) {
		sigdict(s, "123", "", big[0], sizeof(big[0]));
		return UPD(1, 0, NULL);
	}
	if (!strcmp(name, "usf_byterange_missing")) {
		sigdict(s, "", NULL, big[0], sizeof(big[0]));
		return UPD(1, 0, NULL);
	}
	if (!strcmp(name, "usf_byterange_null")) {
		sigdict(s, "", "null", big[0], sizeof(big[0]));
		return UPD(1, 0, NULL);
	}
	if (!strcmp(name, "usf_byterange_indirect")) {
		sigdict(s, "", "41 0 R", big[0], sizeof(big[0]));
		snprintf(brs, sizeof(brs), "[%lld %lld %lld %lld]", br[0], br[1], br[2], br[3]);
		nums[1] = 41;
		objs[1] = brs;
		return UPD(2, 0, NULL);
	}
	if (!strcmp(name, "usf_byterange_malformed")) {
		sigdict(s, "", "[0 -5 (x)]", big[0], sizeof(big[0]));
		return UPD(1, 0, NULL);
	}
	if (!strcmp(name, "usf_wrong_key")) {
		size_t nb;
		unsigned char *base = vc_base(0, &nb), *d = vc_sign(base, nb, "rsa", 1, 1, n);
		free(base);
		return d;
	}
	if (!strcmp(name, "isa_content_changed")) {
		nums[0] = 4;
		objs[0] = "<< /Length 42 >>\nstream\nBT /F1 12 Tf 72 700 Td (Pay 999 EUR) Tj "
			  "ET\nendstream";
		return UPD(1, 0, NULL);
	}
	if (!strcmp(name, "swa_gap_wider")) {
		br[1] -= 3;
		return rewrite_br(br, n);
	}
	if (!strcmp(name, "swa_range_moved")) {
		br[3] -= 7;
		return rewrite_br(br, n);
	}
	if (!strcmp(name, "swa_redefined_range")) {
		/* a new revision redefines the dictionary so its range reaches the new end */
		unsigned char *d;
		size_t len0;
		sigdict(s, "", "[0 0000000000 0000000000 0000000000]", big[0], sizeof(big[0]));
		d = UPD(1, 0, NULL);
		len0 = *n;
		free(d);
		snprintf(brs, sizeof(brs), "[0 %010lld %010lld %010lld]", br[1], br[2],
			 (long long)len0 - br[2]);
		sigdict(s, "", brs, big[0], sizeof(big[0]));
		return UPD(1, 0, NULL);
	}
	if (!strcmp(name, "shadow_hide_overlay")) {
		/* the victim signed a page that refers to a missing object 99 */
		size_t nb, ns;
		unsigned char *base = vc_base(1, &nb), *d = vc_sign(base, nb, "rsa", 1, 0, &ns), *o;
		nums[0] = 99;
		objs[0] = "<< /Length 25 >>\nstream\n1 1 1 rg 0 0 612 792 re f\nendstream";
		o = vc_update(d, ns, nums, objs, 1, 0, NULL, n);
		free(base);
		free(d);
		return o;
	}
	if (!strcmp(name, "shadow_replace_form_value")) {
		nums[0] = 7;
		objs[0] = "<< /Type /Annot /Subtype /Widget /FT /Tx /T (amount) /V (1000) "
			  "/Rect [72 600 200 620] /P 3 0 R >>";
		return UPD(1, 0, NULL);
	}
	if (!strcmp(name, "shadow_replace_font")) {
		nums[0] = 5;
		objs[0] = "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>";
		return UPD(1, 0, NULL);
	}
	if (!strcmp(name, "shadow_replace_xobject")) {
		nums[0] = 6;
		objs[0] = "<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Length 25 >>\n"
			  "stream\n1 1 1 rg 0 0 612 792 re f\nendstream";
		return UPD(1, 0, NULL);
	}
	if (!strcmp(name, "shadow_hide_replace_root")) {
		nums[0] = 50;
		objs[0] = "<< /Type /Catalog /Pages 51 0 R >>";
		nums[1] = 51;
		objs[1] = "<< /Type /Pages /Kids [52 0 R] /Count 1 >>";
		nums[2] = 52;
		objs[2] = "<< /Type /Page /Parent 51 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
			  "/Resources << /Font << /F1 5 0 R >> >> >>";
		return UPD(3, 50, NULL);
	}
	if (!strcmp(name, "shadow_hide_replace_pages")) {
		nums[0] = 2;
		objs[0] = "<< /Type /Pages /Kids [52 0 R] /Count 1 >>";
		nums[1] = 52;
		objs[1] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
			  "/Resources << /Font << /F1 5 0 R >> >> >>";
		return UPD(2, 0, NULL);
	}
	if (!strcmp(name, "annotation_added")) {
		/* page 3 as the signer left it plus a sticky note */
		struct pdf_doc *doc;
		struct sp_errinfo ei;
		sp_errinfo_init(&ei);
		ck_assert_int_eq(pdf_doc_open(good, good_len, &doc, &ei), SP_OK);
		pdf_doc_free(doc);
		nums[0] = 53;
		objs[0] = "<< /Type /Annot /Subtype /Square /Rect [0 0 612 792] /IC [1 1 1] >>";
		nums[1] = 3;
		snprintf(big[1], sizeof(big[1]),
			 "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
			 "/Resources << /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >> "
			 "/Annots [7 0 R 53 0 R] >>");
		objs[1] = big[1];
		return UPD(2, 0, NULL);
	}
	if (!strcmp(name, "unsigned_trailing_update")) {
		nums[0] = 54;
		objs[0] = "<< /Title (Changed title) /Producer (someone) >>";
		return UPD(1, 0, "/Info 54 0 R ");
	}
	if (!strcmp(name, "trailing_garbage")) {
		unsigned char *d = malloc(good_len + 32);
		memcpy(d, good, good_len);
		memcpy(d + good_len, "garbage after the end\n", 22);
		*n = good_len + 22;
		return d;
	}
#undef UPD
	ck_abort_msg("unknown attack %s", name);
	return NULL;
}

START_TEST(attack_corpus)
{
	const struct attack *a = &attacks[_i];
	struct crypto_verify_report *g = verify(good, good_len), *r;
	unsigned char *d;
	size_t n, i;
	int named = 0;

	d = build(a->name, &g->sigs[0], &n);
	write_file(vc_path(a->name), d, n);
	r = verify(d, n);
	ck_assert_msg(r->nsigs == 1, "%s: %zu signatures", a->name, r->nsigs);
	ck_assert_msg(r->sigs[0].verdict == a->verdict, "%s: verdict %s (%s: %s)", a->name,
		      crypto_verdict_name(r->sigs[0].verdict),
		      r->sigs[0].nreasons ? r->sigs[0].reasons[0] : "-", r->sigs[0].message);
	if (a->reason)
		ck_assert_msg(has_reason(&r->sigs[0], a->reason), "%s: reasons %s (%s)", a->name,
			      r->sigs[0].nreasons ? r->sigs[0].reasons[0] : "none",
			      r->sigs[0].message);
	for (i = 0; i < r->sigs[0].nchanges; i++)
		if (!r->sigs[0].changes[i].allowed && r->sigs[0].changes[i].obj == a->changed_obj)
			named = 1;
	ck_assert_msg(!a->changed_obj || named, "%s: object %d not named", a->name, a->changed_obj);
	if (a->verdict == CRYPTO_VERDICT_INVALID)
		ck_assert_int_eq(vc_outcome(r), VC_INVALID);
	if (!strcmp(a->name, "unsigned_trailing_update") || !strcmp(a->name, "trailing_garbage")) {
		ck_assert_int_eq(r->last_revision_signed, 0);
		ck_assert_str_eq(r->reason, "unsigned_trailing_update");
		ck_assert_int_eq(r->verdict, CRYPTO_VERDICT_INDETERMINATE);
		ck_assert_int_eq(vc_outcome(r), VC_INDETERMINATE);
	}
	crypto_verify_report_free(r);
	crypto_verify_report_free(g);
	free(d);
}
END_TEST

static Suite *
verify_suite(void)
{
	Suite *s = suite_create("verify");
	TCase *tc = tcase_create("engine");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, one_signature_is_valid_and_pdfsig_agrees);
	tcase_add_test(tc, rsa_ec_sm2_chain_of_signatures);
	verify_handed_add(tc);
	verify_handed_sig_add(tc);
	verify_handed_reports_add(tc);
	tcase_add_test(tc, gap_hex_in_either_case);
	tcase_add_test(tc, fields_grow_only_by_signature_fields);
	tcase_add_test(tc, acroform_no_longer_a_dictionary);
	tcase_add_test(tc, no_timestamp_unsigned_and_untrusted);
	tcase_add_test(tc, certification_attacks);
	tcase_add_test(tc, document_timestamp);
	tcase_add_test(tc, xref_streams_and_object_streams);
	tcase_add_loop_test(tc, attack_corpus, 0, (int)SP_ARRAY_LEN(attacks));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(verify_suite());
	int failed;

	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
