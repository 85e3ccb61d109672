/*
 * test_verify_fields.c: signing into the empty signature field another party
 * placed (a certifier, a form's author), as a field placement does: the
 * field's value set and each of its widgets given the seal where it sits, a
 * field shown on several pages too; what its seed values (/SV) ask of the
 * signature and its lock (/Lock); another writer's signature in a field of
 * two widgets. Judged by our verifier, pdfsig, qpdf --check and pdftoppm.
 * Split from test_verify_quirks.c, whose contract and helpers it shares
 * (test_verify_quirky.h).
 */
#include "test_verify_quirky.h"

/* the contract as LibreOffice wrote it, no quirk */
static const struct quirk as_written = { .name = "as_written" };

/*
 * A form whose one signature field is shown on every page (Acrobat's
 * "duplicate across pages": one field, a kid widget per page), on an A4
 * page, one shown landscape (/Rotate 90) and one cropped (a /CropBox inside
 * its /MediaBox). Signing into it fills the field and gives every widget the
 * seal, upright and where its author put it: the placement resolves to the
 * three widgets, in pdftoppm's picture each is seal-red (none before); the
 * signature valid for us and qpdf --check, pdfsig (which reads each kid as a
 * field of its own) finds it valid in all three; a later signature leaves it
 * valid with allowed changes. A kid that names itself (a field of its own)
 * is still refused. (Refused before as "more than one widget".)
 */
START_TEST(signed_into_a_field_on_every_page)
{
	static const char *const bodies[] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [10 0 R] /SigFlags 1 >> >>",
		"<< /Type /Pages /Kids [4 0 R 6 0 R 8 0 R] /Count 3 >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 "
		"3 0 R >> >> /Contents 5 0 R /Annots [11 0 R] >>",
		"<< /Length 39 >>\nstream\nBT /F1 24 Tf 60 700 Td (Page one) Tj ET\nendstream",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Rotate 90 /Resources << "
		"/Font << /F1 3 0 R >> >> /Contents 7 0 R /Annots [12 0 R] >>",
		"<< /Length 39 >>\nstream\nBT /F1 24 Tf 60 700 Td (Page two) Tj ET\nendstream",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /CropBox [50 40 545 800] "
		"/Resources << /Font << /F1 3 0 R >> >> /Contents 9 0 R /Annots [13 0 R] >>",
		"<< /Length 41 >>\nstream\nBT /F1 24 Tf 60 700 Td (Page three) Tj ET\nendstream",
		"<< /FT /Sig /T (Approval) /Kids [11 0 R 12 0 R 13 0 R] >>",
		"<< /Type /Annot /Subtype /Widget /Parent 10 0 R /F 4 /P 4 0 R /Rect [380 60 500 "
		"180] >>",
		"<< /Type /Annot /Subtype /Widget /Parent 10 0 R /F 4 /P 6 0 R /Rect [380 60 500 "
		"180] >>",
		"<< /Type /Annot /Subtype /Widget /Parent 10 0 R /F 4 /P 8 0 R /Rect [380 60 500 "
		"180] >>",
	};
	/* each page's width as shown: A4, A4 turned, the crop box's */
	static const double width[] = { 595, 842, 495 };
	struct pdf_placement into = { .mode = PDF_PLACE_FIELD, .field = "Approval" };
	struct pdf_placement normal = { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 200, .y = 400 };
	struct pdf_sig_params par = { .signing_time = time(NULL), .utc_offset_min = 480 };
	struct pdf_widget_rect *w = NULL, *w2 = NULL;
	struct crypto_verify_report *r;
	struct pdf_sig_prepared prep;
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	unsigned char *d, *one, *two, *bad;
	size_t n, n1, n2, nw, nw2, i;
	int valid, total;
	char *named;

	d = make_pdf_objs(bodies, 13, &n);
	write_file(vc_path("every_page.pdf"), d, n);
	one = sign_placed(d, n, "rsa", &into, 1, &w, &nw, &n1);
	ck_assert_uint_eq(nw, 3);
	assert_valid(one, n1, 1, "every_page_one.pdf");
	pdfsig_says("every_page_one.pdf", &valid, &total);
	ck_assert_int_eq(valid, 3);
	ck_assert_int_eq(total, 1);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(w[i].page, (int)i + 1);
		ck_assert_msg(red_share_on("every_page.pdf", (int)i + 1, width[i], w[i].view) <
				      0.01,
			      "page %zu: red before", i + 1);
		ck_assert_msg(red_share_on("every_page_one.pdf", (int)i + 1, width[i], w[i].view) >
				      0.1,
			      "page %zu: no seal in the widget at %.1f,%.1f", i + 1, w[i].view.x0,
			      w[i].view.y0);
	}
	/* shown where the author put it: turned with the page, moved with the crop */
	ck_assert(fabs(w[0].view.x0 - 380) < 0.01 && fabs(w[0].view.y0 - 60) < 0.01);
	ck_assert(fabs(w[1].view.x0 - 60) < 0.01 && fabs(w[1].view.y0 - 95) < 0.01);
	ck_assert(fabs(w[2].view.x0 - 330) < 0.01 && fabs(w[2].view.y0 - 20) < 0.01);
	two = sign_placed(one, n1, "ec", &normal, 1, &w2, &nw2, &n2);
	assert_valid(two, n2, 2, "every_page_two.pdf");
	r = verify(two, n2);
	ck_assert_str_eq(r->sigs[0].field, "Approval");
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	crypto_verify_report_free(r);
	/* a kid with a name of its own is a field, not this one's widget */
	bad = malloc(n + 1);
	memcpy(bad, d, n);
	named = memmem(bad, n, "/Parent 10 0 R /F 4 /P 6 0 R", 28);
	ck_assert_ptr_nonnull(named);
	memcpy(named, "/Parent 10 0 R /T(x)/P 6 0 R", 28);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(bad, n, &doc, &ei), SP_OK);
	ck_assert_int_eq(pdf_sig_prepare(doc, &par, &seal, 1, &into, 1, &prep, &ei),
			 SP_ERR_INVALID);
	ck_assert_str_eq(ei.reason, "field_unsupported");
	ck_assert_msg(strstr(ei.msg, "a kid is not its widget") != NULL, "%s", ei.msg);
	pdf_doc_free(doc);
	free(bad);
	free(w);
	free(w2);
	free(two);
	free(one);
	free(d);
}
END_TEST

/* ==== signing into the empty signature field another party placed ==== */

enum slot_case {
	SLOT_CERTIFIED,  /* certified P=2, the field and its widget one object: filled */
	SLOT_KID_WIDGET, /* an approval signature, the field's widget its kid: filled */
	SLOT_LOCKED,     /* certified P=2, its FieldMDP lock naming the field: refused */
	SLOT_NO_PERMS,   /* certified P=2 without the catalog's /Perms: a new seal refused */
	SLOT_LOCK_P2,    /* an approval signature whose field lock says /P 2: the same */
	SLOT_LOCK_ALL,   /* an approval signature locking all fields (no /P): a new seal taken */
	SLOT_CASES
};

/*
 * The contract signed by another writer who also placed an empty visible
 * signature field "Buyer" on page 1 for the next party (as a certifier
 * does in Acrobat, pyHanko or iText). Signing into it (a field placement)
 * sets its value and gives its widget our seal, where the field's author
 * put it: exactly what DocMDP P=2 permits (a new visible widget is not).
 * Both signatures valid for us and pdfsig, qpdf --check clean, the seal red
 * in pdftoppm's picture inside the field's box. Where our update would
 * break what the earlier signer locked, the check after the prepare
 * (pdf_docmdp_check_signable with the update) refuses it: the field named
 * by the certification's FieldMDP lock (field_locked), a new visible seal
 * after a certification the catalog's /Perms does not name, or after an
 * approval signature whose field lock says /P 2 (docmdp_no_visible: the
 * prepare alone looks at /Perms only). Each refused update, signed anyway,
 * is what the verifier calls invalid; pdfsig, which judges no DocMDP or
 * FieldMDP, calls both signatures valid. A lock of all fields without /P
 * keeps the form's fields as they were; a new signature field is no change
 * to them (ISO 32000-2 §12.8.2.4; pyHanko, stricter, counts a new visible
 * one as locked): our seal is taken and both signatures are valid.
 */
START_TEST(signed_into_an_empty_field)
{
	static const int nums[] = { 30, 1, 32, 33, 37, 38 };
	char catalog[512], sigdict[512], field[256], ext[256];
	const char *bodies[] = {
		catalog,
		"<</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
		"841.889763779528]/Contents 2 0 R/Annots [32 0 R 38 0 R]>>",
		ext,
		sigdict,
		field,
		"<< /Type /Annot /Subtype /Widget /Parent 37 0 R /F 4 /P 1 0 R "
		"/Rect [330 90 530 230] >>",
	};
	struct pdf_placement into = { .mode = PDF_PLACE_FIELD, .field = "Buyer" };
	struct pdf_placement normal = { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 150, .y = 160 };
	struct pdf_rect box = { 330, 90, 530, 230 };
	int cert = _i == SLOT_CERTIFIED || _i == SLOT_LOCKED || _i == SLOT_NO_PERMS;
	int kid = _i == SLOT_KID_WIDGET, fill = _i <= SLOT_LOCKED;
	int refused = _i == SLOT_LOCKED || _i == SLOT_NO_PERMS || _i == SLOT_LOCK_P2;
	struct pdf_normalized nz;
	struct pdf_widget_rect *w = NULL;
	struct pdf_sig_params par = { .signing_time = time(NULL), .utc_offset_min = 480 };
	struct pdf_sig_prepared prep;
	struct pdf_doc *doc = NULL;
	struct crypto_verify_report *r;
	const struct crypto_sig_report *theirs = NULL;
	struct sp_errinfo ei;
	size_t n, n0, n1, nw, i;
	unsigned char *d, *u, *one;
	int valid, total, rc;
	char name[64];

	snprintf(catalog, sizeof(catalog),
		 "<</Type/Catalog/Pages 7 0 R /OpenAction[1 0 R /XYZ null null 0] /Lang(en-US) "
		 "/AcroForm << /Fields [32 0 R 37 0 R] /SigFlags 3 >>%s >>",
		 cert && _i != SLOT_NO_PERMS ? " /Perms << /DocMDP 33 0 R >>" : "");
	snprintf(sigdict, sizeof(sigdict),
		 "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /M "
		 "(D:20261201120000Z)%s%s @SIG@ >>",
		 cert ? " /Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams "
			"<< /Type /TransformParams /P 2 /V /1.2 >> >>"
		      : "",
		 !cert               ? ""
		 : _i == SLOT_LOCKED ? " << /Type /SigRef /TransformMethod /FieldMDP "
				       "/TransformParams << /Type /TransformParams /Action "
				       "/Include /Fields [(Buyer)] /V /1.2 >> >>]"
				     : "]");
	snprintf(ext, sizeof(ext),
		 "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Ext) /F 132 /Rect [0 0 0 0] /P 1 "
		 "0 R /V 33 0 R%s >>",
		 _i == SLOT_LOCK_P2    ? " /Lock << /Type /SigFieldLock /Action /Include /Fields "
					 "[(Other)] /P 2 >>"
		 : _i == SLOT_LOCK_ALL ? " /Lock << /Type /SigFieldLock /Action /All >>"
				       : "");
	if (kid)
		snprintf(field, sizeof(field), "<< /FT /Sig /T (Buyer) /Kids [38 0 R] >>");
	else
		snprintf(field, sizeof(field),
			 "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Buyer) /F 4 /P 1 0 R "
			 "/Rect [330 90 530 230] >>");
	if (!kid) {
		/* the page's /Annots names the field's widget: the field itself */
		bodies[1] = "<</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 "
			    "595.303937007874 841.889763779528]/Contents 2 0 R/Annots [32 0 R 37 0 "
			    "R]>>";
	}
	d = write_quirky(&as_written, &n);
	u = ext_update(d, n, nums, bodies, kid ? 6 : 5, 0, &n0);
	ext_sign(u, n0, 0, 0, "");
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize(u, n0, &nz, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(nz.kept, 1);
	/* the update, and the check of the signatures before it */
	ck_assert_int_eq(pdf_doc_open(nz.data, nz.len, &doc, &ei), SP_OK);
	if (_i == SLOT_CERTIFIED) {
		/* what is refused, and the refusal of a new seal saying where one may go */
		static const struct {
			const char *field;
			int with_date, rc;
			const char *reason;
		} no[] = {
			{ "Nope", 0, SP_ERR_INVALID, "field_not_found" },
			{ "Ext", 0, SP_ERR_CONFLICT, "field_signed" },
			{ "Buyer", 1, SP_ERR_INVALID, "placement_field" },
			{ NULL, 0, SP_ERR_INVALID, "docmdp_no_visible" },
		};
		for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
			struct pdf_placement two[2] = {
				{ .mode = PDF_PLACE_FIELD, .field = no[i].field },
				{ .mode = PDF_PLACE_DATE, .page = 1, .x = 100, .y = 100 },
			};
			sp_errinfo_init(&ei);
			rc = pdf_sig_prepare(doc, &par, &seal, 1, no[i].field ? two : &normal,
					     no[i].with_date ? 2 : 1, &prep, &ei);
			ck_assert_int_eq(rc, no[i].rc);
			ck_assert_str_eq(ei.reason, no[i].reason);
		}
		ck_assert_msg(strstr(ei.msg, "or into its empty signature field \"Buyer\"") != NULL,
			      "%s", ei.msg);
		sp_errinfo_init(&ei);
	}
	ck_assert_msg(pdf_sig_prepare(doc, &par, &seal, 1, fill ? &into : &normal, 1, &prep, &ei) ==
			      SP_OK,
		      "%s", ei.msg);
	ck_assert_int_eq(prep.filled, fill);
	ck_assert_uint_eq(prep.visible_new, fill ? 0 : 1);
	if (fill)
		ck_assert_str_eq(prep.field, "Buyer");
	rc = pdf_docmdp_check_signable(doc, &prep, &ei);
	pdf_sig_prepared_cleanup(&prep);
	pdf_doc_free(doc);
	if (refused) {
		ck_assert_int_eq(rc, SP_ERR_INVALID);
		ck_assert_str_eq(ei.reason,
				 _i == SLOT_LOCKED ? "field_locked" : "docmdp_no_visible");
		ck_assert_msg(strstr(ei.msg, "\"Ext\"") != NULL, "%s", ei.msg);
	} else {
		ck_assert_msg(rc == SP_OK, "%s", ei.msg);
	}
	/* signed (the refused ones too, to see what every judge says of them) */
	one = sign_placed(nz.data, nz.len, "rsa", fill ? &into : &normal, 1, &w, &nw, &n1);
	ck_assert_uint_eq(nw, 1);
	snprintf(name, sizeof(name), "slot_%d.pdf", _i);
	if (fill && !refused) {
		ck_assert_int_eq(w[0].page, 1);
		ck_assert(fabs(w[0].view.x0 - 330) < 0.01 && fabs(w[0].view.y1 - 230) < 0.01);
		/* our field is theirs: no new field, no new widget on the page */
		ck_assert_ptr_null(memmem(one + nz.len, n1 - nz.len, "/T (Signature", 13));
		assert_valid(one, n1, 2, name);
		ck_assert_msg(red_share(name, 595.303937007874, box) > 0.1, "no seal in the field");
	} else if (!refused) {
		assert_valid(one, n1, 2, name);
	} else {
		write_file(vc_path(name), one, n1);
	}
	r = verify(one, n1);
	ck_assert_uint_eq(r->nsigs, 2);
	for (i = 0; i < 2; i++) {
		if (!strcmp(r->sigs[i].field, "Ext"))
			theirs = &r->sigs[i];
		else if (fill)
			ck_assert_str_eq(r->sigs[i].field, "Buyer");
		else
			ck_assert_msg(!strncmp(r->sigs[i].field, "Signature", 9), "%s",
				      r->sigs[i].field);
	}
	ck_assert_ptr_nonnull(theirs);
	ck_assert_int_eq(theirs->certifying, cert ? 2 : 0);
	if (!refused) {
		ck_assert_int_eq(theirs->verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
		ck_assert_int_eq(vc_outcome(r), VC_VALID);
	} else {
		ck_assert_int_eq(theirs->verdict, CRYPTO_VERDICT_INVALID);
		ck_assert_str_eq(theirs->reasons[0],
				 _i == SLOT_LOCKED ? "disallowed_changes" : "docmdp_violation");
	}
	crypto_verify_report_free(r);
	pdfsig_says(name, &valid, &total);
	ck_assert_int_eq(valid, 2);
	ck_assert_int_eq(total, 1);
	free(w);
	free(one);
	pdf_normalized_cleanup(&nz);
	free(u);
	free(d);
}
END_TEST

/* ==== what the field signed into asks of its signature: seed values, a lock ==== */

static const struct field_asks {
	const char *keys;   /* the field's /SV or /Lock */
	const char *reason; /* our /Reason */
	const char *why;    /* NULL: taken, else a part of the refusal's message */
} field_asks[] = {
	/* its /Lock: carried into our signature's FieldMDP reference */
	{ "/Lock << /Type /SigFieldLock /Action /Include /Fields [(Seller)] /P 2 >>", NULL, NULL },
	/* seed values without /Ff are hints (Acrobat and pyHanko pick from them, nothing
	   more): taken */
	{ "/SV << /Type /SV /SubFilter [/adbe.pkcs7.sha1] /DigestMethod [/SHA1] /Reasons "
	  "[(Approved)] >>",
	  NULL, NULL },
	{ "/SV << /SubFilter [/adbe.pkcs7.detached] /Ff 2 >>", NULL, "(/SubFilter)" },
	{ "/SV << /SubFilter [/ETSI.CAdES.detached /adbe.pkcs7.detached] /DigestMethod [/SHA512 "
	  "/SHA256] /Ff 66 >>",
	  NULL, NULL },
	/* the first format listed is the one to use (pyHanko holds a signature to it) */
	{ "/SV << /SubFilter [/adbe.pkcs7.detached /ETSI.CAdES.detached] /Ff 2 >>", NULL,
	  "(/SubFilter)" },
	{ "/SV << /DigestMethod [/SHA512] /Ff 64 >>", NULL, "other than SHA-256" },
	{ "/SV << /Filter /Entrust.PPKEF /Ff 1 >>", NULL, "(/Filter)" },
	{ "/SV << /Reasons [(Approved) (Reviewed)] /Ff 8 >>", NULL, "one of the reasons" },
	{ "/SV << /Reasons [(Approved) (Reviewed)] /Ff 8 >>", "Checked", "one of the reasons" },
	{ "/SV << /Reasons [(Approved) (Reviewed)] /Ff 8 >>", "Reviewed", NULL },
	{ "/SV << /Reasons [(.)] /Ff 8 >>", "Reviewed", "forbid a reason" },
	{ "/SV << /Reasons [(.)] /Ff 8 >>", NULL, NULL },
	{ "/SV << /MDP << /P 2 >> >>", NULL, "certification signature" },
	{ "/SV << /MDP << /P 0 >> >>", NULL, NULL },
	{ "/SV << /MDP 2 >>", NULL, NULL }, /* no dictionary: no certification asked */
	{ "/SV << /Cert << /Subject [<3082>] /Ff 1 >> >>", NULL, "(/Cert)" },
	{ "/SV << /Cert << /URL (https://ca.example/) >> >>", NULL, NULL },
	{ "/SV << /LockDocument /true /Ff 128 >>", NULL, "(/LockDocument)" },
	{ "/SV << /LockDocument /auto /Ff 128 >>", NULL, NULL },
	{ "/SV << /AddRevInfo true /Ff 32 >>", NULL, "(/AddRevInfo)" },
	{ "/SV << /AddRevInfo true >>", NULL, NULL },
	{ "/SV << /LegalAttestation [(No JavaScript)] /Ff 16 >>", NULL, "legal attestation" },
	{ "/SV << /AppearanceFilter (Seal) /Ff 256 >>", NULL, "(/AppearanceFilter)" },
	{ "/SV << /V 4 /Ff 4 >>", NULL, "version" },
	{ "/SV << /TimeStamp << /URL (https://tsa.example/) /Ff 1 >> >>", NULL, NULL },
	{ "/SV 12", NULL, "no dictionary" },
};

/*
 * A form template's two empty signature fields, "Buyer" (with the keys of
 * field_asks[_i]) and "Seller", and signing into "Buyer". Seed values (ISO
 * 32000-2 §12.7.5.5) whose /Ff bit makes them required bind the signer, as
 * Acrobat and pyHanko enforce them (pdfsig reads none): one our signature
 * cannot meet (another format or digest, a reason not listed or one given
 * where none may be, a certification, revocation data inside the signature,
 * a locked document, a named appearance, an attestation, an unknown version,
 * constraints on the certificate) is refused at the prepare (422
 * field_unsupported, saying which), anything else is signed. A field's
 * /Lock is copied into our signature's /Reference as a FieldMDP transform
 * (§12.8.2.4; what Acrobat and pyHanko write, and the only place pyHanko
 * reads a lock), so the field it locks may not be signed after us (ours
 * refuses, field_locked). Taken ones signed: valid for us, pdfsig and qpdf
 * --check, the seal red in the field's box.
 */
START_TEST(signed_into_a_field_that_asks)
{
	static const int nums[] = { 30, 1, 37, 39 };
	/* (Seller) as qpdf hands strings on: in hex */
	static const char lock[] = "/TransformParams << /Type /TransformParams /Action /Include "
				   "/Fields [<53656C6C6572>] /P 2 /V /1.2 >> /Data 30 0 R >>]";
	const struct field_asks *fa = &field_asks[_i];
	char buyer[512];
	const char *bodies[] = {
		"<</Type/Catalog/Pages 7 0 R /OpenAction[1 0 R /XYZ null null 0] /Lang(en-US) "
		"/AcroForm << /Fields [37 0 R 39 0 R] /SigFlags 1 >> >>",
		"<</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
		"841.889763779528]/Contents 2 0 R/Annots [37 0 R 39 0 R]>>",
		buyer,
		"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Seller) /F 4 /P 1 0 R "
		"/Rect [60 90 260 230] >>",
	};
	struct pdf_placement into = { .mode = PDF_PLACE_FIELD, .field = "Buyer" };
	struct pdf_placement seller = { .mode = PDF_PLACE_FIELD, .field = "Seller" };
	struct pdf_rect box = { 330, 90, 530, 230 };
	struct pdf_sig_params par = { .signing_time = time(NULL),
				      .utc_offset_min = 480,
				      .reason = fa->reason };
	struct pdf_sig_prepared prep;
	struct pdf_widget_rect *w = NULL;
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	unsigned char *d, *u, *one;
	size_t n, n0, n1, nw;
	const unsigned char *sd;
	int rc;
	char name[64];

	snprintf(buyer, sizeof(buyer),
		 "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Buyer) /F 4 /P 1 0 R "
		 "/Rect [330 90 530 230] %s >>",
		 fa->keys);
	d = write_quirky(&as_written, &n);
	u = ext_update(d, n, nums, bodies, 4, 0, &n0);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(u, n0, &doc, &ei), SP_OK);
	rc = pdf_sig_prepare(doc, &par, &seal, 1, &into, 1, &prep, &ei);
	if (fa->why) {
		ck_assert_int_eq(rc, SP_ERR_INVALID);
		ck_assert_str_eq(ei.reason, "field_unsupported");
		ck_assert_msg(strstr(ei.msg, "\"Buyer\"") && strstr(ei.msg, fa->why), "%s", ei.msg);
		pdf_doc_free(doc);
		free(u);
		free(d);
		return;
	}
	ck_assert_msg(rc == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(prep.filled, 1);
	/* the lock in our signature dictionary, as the field says it */
	sd = memmem(prep.data + n0, prep.len - n0, "/Type /Sig ", 11);
	ck_assert_ptr_nonnull(sd);
	sd = memmem(sd, prep.len - (size_t)(sd - prep.data), "/TransformMethod /FieldMDP", 26);
	ck_assert_int_eq(sd != NULL && sd < prep.data + prep.contents_off, _i == 0);
	if (_i == 0)
		ck_assert_msg(memmem(sd, prep.contents_off - (size_t)(sd - prep.data), lock,
				     sizeof(lock) - 1) != NULL,
			      "%.*s", (int)(prep.contents_off - (size_t)(sd - prep.data)), sd);
	pdf_sig_prepared_cleanup(&prep);
	pdf_doc_free(doc);
	if (fa->reason != NULL || _i > 3) {
		free(u);
		free(d);
		return;
	}
	one = sign_placed(u, n0, "rsa", &into, 1, &w, &nw, &n1);
	snprintf(name, sizeof(name), "asks_%d.pdf", _i);
	assert_valid(one, n1, 1, name);
	ck_assert_msg(red_share(name, 595.303937007874, box) > 0.1, "no seal in the field");
	/* the field our signature locked is not signed after it; the other one is */
	ck_assert_int_eq(pdf_doc_open(one, n1, &doc, &ei), SP_OK);
	ck_assert_msg(pdf_sig_prepare(doc, &par, &seal, 1, &seller, 1, &prep, &ei) == SP_OK, "%s",
		      ei.msg);
	rc = pdf_docmdp_check_signable(doc, &prep, &ei);
	if (_i == 0) {
		ck_assert_int_eq(rc, SP_ERR_INVALID);
		ck_assert_str_eq(ei.reason, "field_locked");
		ck_assert_msg(strstr(ei.msg, "\"Buyer\"") != NULL, "%s", ei.msg);
	} else {
		ck_assert_msg(rc == SP_OK, "%s", ei.msg);
	}
	pdf_sig_prepared_cleanup(&prep);
	pdf_doc_free(doc);
	free(w);
	free(one);
	free(u);
	free(d);
}
END_TEST

/*
 * Another writer's signature in a field of two widgets (ISO 32000-2 allows a
 * field several; our own multi-page seals write them), the value on the
 * field alone: valid for us, and ours after it too, theirs then valid with
 * allowed changes; qpdf --check clean. pdfsig 22.12 reads each kid widget
 * as a field of its own and calls both unsigned (poppler before 25: why
 * sign.c repeats /V on each kid of ours), and ours valid. The same field
 * empty is signed into, both widgets getting the seal and the value (it was
 * refused as "more than one widget", as pyHanko's signer refuses it; see
 * signed_into_a_field_on_every_page). (Passed as it was: coverage.)
 */
START_TEST(signed_elsewhere_in_a_field_of_two_widgets)
{
	static const int nums[] = { 30, 1, 32, 33, 40, 41 };
	const char *bodies[] = {
		"<</Type/Catalog/Pages 7 0 R /OpenAction[1 0 R /XYZ null null 0] /Lang(en-US) "
		"/AcroForm << /Fields [32 0 R] /SigFlags 3 >> >>",
		"<</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
		"841.889763779528]/Contents 2 0 R/Annots [40 0 R 41 0 R]>>",
		"<< /FT /Sig /T (Ext) /Kids [40 0 R 41 0 R] /V 33 0 R >>",
		"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /M "
		"(D:20261201120000Z) @SIG@ >>",
		"<< /Type /Annot /Subtype /Widget /Parent 32 0 R /F 4 /P 1 0 R /Rect [60 60 160 "
		"110] >>",
		"<< /Type /Annot /Subtype /Widget /Parent 32 0 R /F 4 /P 1 0 R /Rect [400 60 500 "
		"110] >>",
	};
	struct pdf_placement normal = { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 400 };
	struct pdf_placement into = { .mode = PDF_PLACE_FIELD, .field = "Ext" };
	struct pdf_sig_params par = { .signing_time = time(NULL), .utc_offset_min = 480 };
	struct pdf_sig_prepared prep;
	struct pdf_widget_rect *w = NULL;
	struct crypto_verify_report *r;
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	static const int enums[] = { 30, 1, 32, 40, 41 };
	const char *eb[] = { bodies[0], bodies[1], NULL, bodies[4], bodies[5] };
	unsigned char *d, *u, *two, *e;
	size_t n, n0, n2, nw, ne;
	int valid, total;

	d = write_quirky(&as_written, &n);
	u = ext_update(d, n, nums, bodies, 6, 0, &n0);
	ext_sign(u, n0, 0, 0, "");
	write_file(vc_path("two_widgets.pdf"), u, n0);
	r = verify(u, n0);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_str_eq(r->sigs[0].field, "Ext");
	ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_VALID, "%s", r->sigs[0].message);
	crypto_verify_report_free(r);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null 2>&1", vc_path("two_widgets.pdf")), 0);
	pdfsig_says("two_widgets.pdf", &valid, &total);
	ck_assert_int_eq(valid, 0);
	/* the same field empty (no /V): signed into, a seal in each of its two widgets */
	eb[2] = "<< /FT /Sig /T (Ext) /Kids [40 0 R 41 0 R] >>";
	e = ext_update(d, n, enums, eb, 5, 0, &ne);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(e, ne, &doc, &ei), SP_OK);
	ck_assert_msg(pdf_sig_prepare(doc, &par, &seal, 1, &into, 1, &prep, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_int_eq(prep.filled, 1);
	ck_assert_uint_eq(prep.nrects, 2);
	pdf_sig_prepared_cleanup(&prep);
	pdf_doc_free(doc);
	free(e);
	two = sign_placed(u, n0, "rsa", &normal, 1, &w, &nw, &n2);
	write_file(vc_path("two_widgets_then_ours.pdf"), two, n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null 2>&1",
			     vc_path("two_widgets_then_ours.pdf")),
			 0);
	pdfsig_says("two_widgets_then_ours.pdf", &valid, &total);
	ck_assert_int_eq(valid, 1);
	ck_assert_int_eq(total, 1);
	free(w);
	free(two);
	free(u);
	free(d);
}
END_TEST

static Suite *
fields_suite(void)
{
	Suite *s = suite_create("verify_fields");
	TCase *tc = tcase_create("fields");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, signed_into_an_empty_field, 0, SLOT_CASES);
	tcase_add_test(tc, signed_elsewhere_in_a_field_of_two_widgets);
	tcase_add_loop_test(tc, signed_into_a_field_that_asks, 0,
			    (int)(sizeof(field_asks) / sizeof(field_asks[0])));
	tcase_add_test(tc, signed_into_a_field_on_every_page);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(fields_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
