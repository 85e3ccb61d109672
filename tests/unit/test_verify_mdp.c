/*
 * test_verify_mdp.c: certified documents (DocMDP P=1, P=2, P=3) and FieldMDP
 * locks, after ISO 32000-2 §12.8.2.2-4: what a later party may do to a
 * certified form, each case a file of the corpus with the verdict the
 * certification signature must get. After the change a second party signs
 * (an invisible approval signature), as in a real workflow, so that the
 * file's own verdict is the certification's.
 *
 * P=1 permits nothing; P=2 filling in form fields and signing; P=3 also
 * creating, deleting and changing annotations. A FieldMDP lock (the
 * signature's /Reference, or its field's /Lock) keeps the fields it names
 * (Include), all (All) or all but those named (Exclude) as they were. Page
 * content, new form fields, a field's other entries and the signature
 * fields themselves stay disallowed whatever P is. An approval signature
 * alone permits none of it (stricter than the standard's default of P=3:
 * a changed form value is a shadow attack), unless its field lock carries a
 * PDF 2.0 /P, which may also lower what a certification granted.
 */
#include <check.h>

#include "support_suite.h"
#include "test_verify_corpus.h"
#include "test_verify_signable.h"

VC_TRUST_FIXTURE

/* What the later party does to the certified form (objects as vc_certified_form has them). */
enum change {
	FILL_AMOUNT,       /* amount's value 100 -> 900, with a new appearance */
	FILL_NOTE,         /* note's value */
	FILL_AMOUNT_MOVED, /* amount's value, and its widget moved */
	ANNOT_ADD,         /* a FreeText annotation on page 1 */
	ANNOT_ADD_EDIT,    /* ... then, in another update, its text changed */
	ANNOT_ADD_DELETE,  /* ... then removed from the page again */
	CONTENT,           /* the page's content stream */
	TEXT_FIELD_ADD,    /* a new text field's widget on the page */
	CERT_FIELD_VALUE,  /* the certification field's /V pointed elsewhere */
	OFFPAGE_EDIT,      /* an annotation-like object on no page added, then changed */
	APPROVAL_THEN_FILL /* an approval signature first, then amount filled in */
};

struct mdp_case {
	const char *file;
	int p;
	const char *ref_lock, *field_lock; /* FieldMDP parameters, or NULL */
	enum change change;
	int valid; /* 1: every signature valid (allowed changes); 0: the certification invalid */
	const char *reason; /* of the certification when invalid */
};

#define INCL_AMOUNT "/Action /Include /Fields [(amount)]"

static const struct mdp_case cases[] = {
	{ "p1_fill.pdf", 1, NULL, NULL, FILL_AMOUNT, 0, "docmdp_violation" },
	{ "p2_fill.pdf", 2, NULL, NULL, FILL_AMOUNT, 1, NULL },
	{ "p3_fill.pdf", 3, NULL, NULL, FILL_AMOUNT, 1, NULL },
	{ "p2_fill_moved.pdf", 2, NULL, NULL, FILL_AMOUNT_MOVED, 0, "disallowed_changes" },
	{ "p2_annot.pdf", 2, NULL, NULL, ANNOT_ADD, 0, "disallowed_changes" },
	{ "p3_annot.pdf", 3, NULL, NULL, ANNOT_ADD, 1, NULL },
	{ "p3_annot_edit.pdf", 3, NULL, NULL, ANNOT_ADD_EDIT, 1, NULL },
	{ "p3_annot_delete.pdf", 3, NULL, NULL, ANNOT_ADD_DELETE, 1, NULL },
	{ "p2_annot_edit.pdf", 2, NULL, NULL, ANNOT_ADD_EDIT, 0, "disallowed_changes" },
	{ "p3_content.pdf", 3, NULL, NULL, CONTENT, 0, "disallowed_changes" },
	{ "p3_new_text_field.pdf", 3, NULL, NULL, TEXT_FIELD_ADD, 0, "disallowed_changes" },
	{ "p3_cert_value.pdf", 3, NULL, NULL, CERT_FIELD_VALUE, 0, "disallowed_changes" },
	{ "p3_offpage_edit.pdf", 3, NULL, NULL, OFFPAGE_EDIT, 0, "disallowed_changes" },
	{ "p2_lock_include_locked.pdf", 2, INCL_AMOUNT, NULL, FILL_AMOUNT, 0,
	  "disallowed_changes" },
	{ "p2_lock_include_free.pdf", 2, INCL_AMOUNT, NULL, FILL_NOTE, 1, NULL },
	{ "p2_lock_exclude_free.pdf", 2, "/Action /Exclude /Fields [(note)]", NULL, FILL_NOTE, 1,
	  NULL },
	{ "p2_lock_exclude_locked.pdf", 2, "/Action /Exclude /Fields [(note)]", NULL, FILL_AMOUNT,
	  0, "disallowed_changes" },
	{ "p2_lock_all.pdf", 2, "/Action /All", NULL, FILL_NOTE, 0, "disallowed_changes" },
	{ "p2_field_lock_locked.pdf", 2, NULL, INCL_AMOUNT, FILL_AMOUNT, 0, "disallowed_changes" },
	{ "p2_field_lock_free.pdf", 2, NULL, INCL_AMOUNT, FILL_NOTE, 1, NULL },
	{ "p3_lock_include_locked.pdf", 3, INCL_AMOUNT, NULL, FILL_AMOUNT, 0,
	  "disallowed_changes" },
	{ "p2_approval_then_fill.pdf", 2, NULL, NULL, APPROVAL_THEN_FILL, 1, NULL },
	{ "p1_approval_then_fill.pdf", 1, NULL, NULL, APPROVAL_THEN_FILL, 0, "docmdp_violation" },
	/* not certified: an approval signature covers its form values (a shadow attack) ... */
	{ "approval_fill.pdf", 0, NULL, NULL, FILL_NOTE, 0, "disallowed_changes" },
	{ "approval_annot.pdf", 0, NULL, NULL, ANNOT_ADD, 0, "disallowed_changes" },
	/* ... unless its field lock grants permissions (PDF 2.0 /P), locks still holding */
	{ "approval_lock_p2_free.pdf", 0, NULL, INCL_AMOUNT " /P 2", FILL_NOTE, 1, NULL },
	{ "approval_lock_p2_locked.pdf", 0, NULL, INCL_AMOUNT " /P 2", FILL_AMOUNT, 0,
	  "disallowed_changes" },
	{ "approval_lock_p1.pdf", 0, NULL, "/Action /All /P 1", FILL_NOTE, 0, "docmdp_violation" },
	/* a lock's /P can deny what the certification granted, never add */
	{ "p3_lock_p2_annot.pdf", 3, NULL, INCL_AMOUNT " /P 2", ANNOT_ADD, 0,
	  "disallowed_changes" },
	{ "p2_lock_p3_annot.pdf", 2, NULL, INCL_AMOUNT " /P 3", ANNOT_ADD, 0,
	  "disallowed_changes" },
};

static const char amount_filled[] = "<< /Type /Annot /Subtype /Widget /FT /Tx /T (amount) /V (900) "
				    "/Rect [72 600 200 620] /P 3 0 R /AP << /N 20 0 R >> >>";
static const char amount_ap[] = "<< /Type /XObject /Subtype /Form /BBox [0 0 128 20] "
				"/Length 34 >>\nstream\nBT /F1 12 Tf 2 5 Td (900) Tj ET\nendstream";
static const char freetext[] = "<< /Type /Annot /Subtype /FreeText /Rect [72 690 300 720] "
			       "/Contents (Pay 999 EUR) /DA (/Helv 12 Tf 0 g) >>";

/* Page 1 with these /Annots, as vc_certified_form writes it otherwise. */
static void
page_with(char *buf, size_t cap, const char *annots)
{
	snprintf(buf, cap,
		 "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
		 "/Resources << /Font << /F1 5 0 R >> >> /Annots [%s] >>",
		 annots);
}

static unsigned char *
upd(unsigned char *d, size_t *n, const int *nums, const char *const *objs, size_t k)
{
	size_t nn;
	unsigned char *o = vc_update(d, *n, nums, objs, k, 0, NULL, &nn);

	free(d);
	*n = nn;
	return o;
}

static unsigned char *
apply(unsigned char *d, size_t *n, enum change ch)
{
	char page[512];
	int nums[3];
	const char *objs[3];
	size_t nn;
	unsigned char *o;

	switch (ch) {
	case FILL_AMOUNT:
	case APPROVAL_THEN_FILL:
		if (ch == APPROVAL_THEN_FILL) {
			o = vc_sign(d, *n, "ec", 1, 0, &nn);
			free(d);
			d = o;
			*n = nn;
		}
		nums[0] = 8;
		objs[0] = amount_filled;
		nums[1] = 20;
		objs[1] = amount_ap;
		return upd(d, n, nums, objs, 2);
	case FILL_NOTE:
		nums[0] = 9;
		objs[0] = "<< /Type /Annot /Subtype /Widget /FT /Tx /T (note) /V (paid) "
			  "/Rect [72 560 200 580] /P 3 0 R >>";
		return upd(d, n, nums, objs, 1);
	case FILL_AMOUNT_MOVED:
		nums[0] = 8;
		objs[0] = "<< /Type /Annot /Subtype /Widget /FT /Tx /T (amount) /V (900) "
			  "/Rect [72 300 200 320] /P 3 0 R >>";
		return upd(d, n, nums, objs, 1);
	case ANNOT_ADD:
	case ANNOT_ADD_EDIT:
	case ANNOT_ADD_DELETE:
		page_with(page, sizeof(page), "6 0 R 8 0 R 9 0 R 20 0 R");
		nums[0] = 3;
		objs[0] = page;
		nums[1] = 20;
		objs[1] = freetext;
		d = upd(d, n, nums, objs, 2);
		if (ch == ANNOT_ADD_EDIT) {
			nums[0] = 20;
			objs[0] = "<< /Type /Annot /Subtype /FreeText /Rect [72 690 300 720] "
				  "/Contents (Pay 100 EUR, agreed) /DA (/Helv 12 Tf 0 g) >>";
			d = upd(d, n, nums, objs, 1);
		} else if (ch == ANNOT_ADD_DELETE) {
			page_with(page, sizeof(page), "6 0 R 8 0 R 9 0 R");
			nums[0] = 3;
			objs[0] = page;
			d = upd(d, n, nums, objs, 1);
		}
		return d;
	case CONTENT:
		nums[0] = 4;
		objs[0] = "<< /Length 42 >>\nstream\nBT /F1 12 Tf 72 700 Td (Pay 900 EUR) Tj "
			  "ET\nendstream";
		return upd(d, n, nums, objs, 1);
	case TEXT_FIELD_ADD:
		page_with(page, sizeof(page), "6 0 R 8 0 R 9 0 R 20 0 R");
		nums[0] = 3;
		objs[0] = page;
		nums[1] = 20;
		objs[1] = "<< /Type /Annot /Subtype /Widget /FT /Tx /T (iban) /V (XX00 0000) "
			  "/Rect [72 520 200 540] /P 3 0 R >>";
		return upd(d, n, nums, objs, 2);
	case OFFPAGE_EDIT:
		/* what P=3 lets change is an annotation of a page, not whatever looks like one */
		nums[0] = 20;
		objs[0] = freetext;
		d = upd(d, n, nums, objs, 1);
		nums[0] = 20;
		objs[0] = "<< /Type /Annot /Subtype /FreeText /Rect [72 690 300 720] "
			  "/Contents (Pay 999 EUR) /DA (/Helv 14 Tf 0 g) >>";
		return upd(d, n, nums, objs, 1);
	case CERT_FIELD_VALUE:
		nums[0] = 6;
		objs[0] = "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Certification) "
			  "/Rect [0 0 0 0] /F 132 /P 3 0 R /V 20 0 R >>";
		nums[1] = 20;
		objs[1] = "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
			  "/ByteRange [0 0 0 0] /Contents <00> >>";
		return upd(d, n, nums, objs, 2);
	}
	return d;
}

static int
has_reason(const struct crypto_sig_report *s, const char *r)
{
	size_t i;

	for (i = 0; i < s->nreasons; i++)
		if (!strcmp(s->reasons[i], r))
			return 1;
	return 0;
}

START_TEST(certified_form_changes)
{
	const struct mdp_case *c = &cases[_i];
	struct crypto_verify_opts o = { .trust = trust };
	struct crypto_verify_report *r = NULL;
	const struct crypto_sig_report *cert;
	struct sp_errinfo ei;
	size_t n, nn, i;
	unsigned char *d = vc_certified_form(c->p, c->ref_lock, c->field_lock, &n), *s;

	/* the certified form alone is valid */
	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_pdf_verify(d, n, &o, &r, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(vc_outcome(r) == VC_VALID, "%s: certified form: %s", c->file, r->message);
	ck_assert_int_eq(r->sigs[0].certifying, c->p);
	crypto_verify_report_free(r);
	/* the change, then the second party's approval signature */
	d = apply(d, &n, c->change);
	s = vc_sign(d, n, "ec", 1, 0, &nn);
	free(d);
	write_file(vc_path(c->file), s, nn);
	ck_assert_msg(crypto_pdf_verify(s, nn, &o, &r, &ei) == SP_OK, "%s", ei.msg);
	/* a replaced certification value adds a (bogus) signature of its own */
	if (c->change != CERT_FIELD_VALUE)
		ck_assert_uint_eq(r->nsigs, c->change == APPROVAL_THEN_FILL ? 3 : 2);
	for (i = 0; i < r->nsigs && r->sigs[i].certifying != c->p; i++)
		;
	ck_assert_msg(i < r->nsigs, "%s: the certification is not reported", c->file);
	cert = &r->sigs[i];
	if (c->valid) {
		ck_assert_msg(cert->verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES, "%s: %s: %s",
			      c->file, crypto_verdict_name(cert->verdict), cert->message);
		ck_assert_msg(vc_outcome(r) == VC_VALID, "%s: %s", c->file, r->message);
		/* the change is listed, allowed, and says which permission allowed it */
		for (i = 0; i < cert->nchanges && !strstr(cert->changes[i].what, "DocMDP"); i++)
			;
		ck_assert_msg(i < cert->nchanges, "%s: no change permitted by DocMDP", c->file);
		ck_assert_int_eq(cert->changes[i].allowed, 1);
	} else {
		ck_assert_msg(cert->verdict == CRYPTO_VERDICT_INVALID, "%s: %s", c->file,
			      crypto_verdict_name(cert->verdict));
		ck_assert_msg(has_reason(cert, c->reason), "%s: %s", c->file, cert->message);
		ck_assert_int_eq(vc_outcome(r), VC_INVALID);
		/* a locked field says which lock */
		if ((c->ref_lock || c->field_lock) && c->change != ANNOT_ADD &&
		    !strcmp(c->reason, "disallowed_changes"))
			ck_assert_msg(strstr(cert->message, "FieldMDP lock of \"Certification\""),
				      "%s: %s", c->file, cert->message);
	}
	/* the second party's signature signs the final file as it is */
	for (i = 0; i < r->nsigs && r->sigs[i].revision != r->nrevisions; i++)
		;
	ck_assert_msg(i < r->nsigs && r->sigs[i].verdict == CRYPTO_VERDICT_VALID, "%s", c->file);
	crypto_verify_report_free(r);
	free(s);
}
END_TEST

/* A lock reads as written: Include/Exclude lists and ancestors of a field name. */
START_TEST(field_lock_names)
{
	struct pdf_sig_field s;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(pdf_sig_field_locks(&s, "amount"), 0);
	s.lock = PDF_LOCK_ALL;
	ck_assert_int_eq(pdf_sig_field_locks(&s, "anything"), 1);
	s.lock = PDF_LOCK_INCLUDE;
	memcpy(s.lock_fields, "buyer\0amount\0", 14);
	ck_assert_int_eq(pdf_sig_field_locks(&s, "amount"), 1);
	ck_assert_int_eq(pdf_sig_field_locks(&s, "buyer.name"), 1); /* a kid of a locked field */
	ck_assert_int_eq(pdf_sig_field_locks(&s, "buyername"), 0);
	ck_assert_int_eq(pdf_sig_field_locks(&s, "note"), 0);
	s.lock = PDF_LOCK_EXCLUDE;
	ck_assert_int_eq(pdf_sig_field_locks(&s, "amount"), 0);
	ck_assert_int_eq(pdf_sig_field_locks(&s, "note"), 1);
}
END_TEST

/*
 * Prepare a visible seal on page 1 of d[0..n) (as sealpactd's prepare does);
 * its answer, ei saying why when it is refused. check_first: the document is
 * asserted signable (pdf_docmdp_check_signable) before.
 */
static int
prepare_visible_seal(const unsigned char *d, size_t n, int check_first, struct sp_errinfo *ei)
{
	struct pdf_placement pl = { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 300 };
	struct pdf_sig_params par = { .signing_time = time(NULL), .utc_offset_min = 480 };
	struct pdf_seal seal = { 0 };
	struct pdf_sig_prepared p;
	struct pdf_doc *doc = NULL;
	int r;

	ck_assert_ptr_nonnull(seal.png = make_seal_png(120, &seal.png_len));
	ck_assert_int_eq(pdf_doc_open(d, n, &doc, ei), SP_OK);
	if (check_first)
		ck_assert_int_eq(pdf_docmdp_check_signable(doc, NULL, ei), SP_OK);
	memset(&p, 0, sizeof(p));
	r = pdf_sig_prepare(doc, &par, &seal, 1, &pl, 1, &p, ei);
	pdf_sig_prepared_cleanup(&p);
	pdf_doc_free(doc);
	free((void *)seal.png);
	return r;
}

/*
 * A seal after a certification: with P=2 (filling in forms and signing) the
 * verifier, as pyHanko by default, reads a new visible signature widget as a
 * change the certification does not permit, so a visible seal is refused
 * when the update is prepared (docmdp_no_visible, saying how to sign), and
 * an invisible signature keeps the certification valid; with P=3 the seal is
 * signed and every signature is valid.
 */
START_TEST(visible_seal_after_certification)
{
	struct crypto_verify_opts o = { .trust = trust };
	struct crypto_verify_report *r = NULL;
	struct sp_errinfo ei;
	int perm = _i ? 3 : 2, rc;
	size_t n, n1, i;
	unsigned char *d = vc_certified(perm, &n), *one;

	sp_errinfo_init(&ei);
	rc = prepare_visible_seal(d, n, 1, &ei);
	if (perm == 2) {
		ck_assert_int_eq(rc, SP_ERR_INVALID);
		ck_assert_str_eq(ei.reason, "docmdp_no_visible");
		ck_assert_msg(strstr(ei.msg, "sign it without placements") != NULL, "%s", ei.msg);
	} else {
		ck_assert_msg(rc == SP_OK, "%s", ei.msg);
	}
	one = vc_sign_at(d, n, "ec", 0, 0, perm == 3, &n1);
	ck_assert_int_eq(crypto_pdf_verify(one, n1, &o, &r, &ei), SP_OK);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_int_eq(r->sigs[0].certifying, perm);
	for (i = 0; i < 2; i++)
		ck_assert_msg(r->sigs[i].verdict == (i ? CRYPTO_VERDICT_VALID
						       : CRYPTO_VERDICT_VALID_ALLOWED_CHANGES),
			      "P=%d signature %zu: %s", perm, i, r->sigs[i].message);
	ck_assert_int_eq(vc_outcome(r), VC_VALID);
	crypto_verify_report_free(r);
	free(one);
	free(d);
}
END_TEST

/*
 * A certification the catalog names (/Perms /DocMDP) whose signature has no
 * DocMDP /Reference: ISO 32000-2 Table 263 has a reader enforce its /P,
 * whose default is 2 (Table 257), so it certifies with P=2 (pyHanko reads
 * it as certified too; PDFBox's SigUtils.getMDPPermission says 0): a
 * visible seal is refused when prepared, and a field filled in after it is
 * a change it permits (an approval signature's value would forbid it). A
 * /Perms that a later update adds does not make an approval signature
 * certifying: the permissions are those of the revision it signs.
 */
START_TEST(certified_by_perms_alone)
{
	struct crypto_verify_opts o = { .trust = trust };
	struct crypto_verify_report *r = NULL;
	struct sp_errinfo ei;
	size_t n, n1;
	int num[1] = { 1 };
	const char *cat[1] = { "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R 8 0 R "
			       "9 0 R] /SigFlags 3 >> /Perms << /DocMDP 7 0 R >> >>" };
	unsigned char *d = vc_certified_form(-1, NULL, NULL, &n), *one;

	sp_errinfo_init(&ei);
	ck_assert_ptr_nonnull(memmem(d, n, "/Perms << /DocMDP 7 0 R >>", 26));
	ck_assert_ptr_null(memmem(d, n, "/DocMDP /TransformParams", 24));
	ck_assert_int_eq(crypto_pdf_verify(d, n, &o, &r, &ei), SP_OK);
	ck_assert_int_eq(r->sigs[0].certifying, 2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	ck_assert_int_eq(prepare_visible_seal(d, n, 0, &ei), SP_ERR_INVALID);
	ck_assert_str_eq(ei.reason, "docmdp_no_visible");
	d = apply(d, &n, FILL_AMOUNT);
	one = vc_sign(d, n, "ec", 1, 0, &n1);
	ck_assert_int_eq(crypto_pdf_verify(one, n1, &o, &r, &ei), SP_OK);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_int_eq(r->sigs[0].certifying, 2);
	ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES, "%s",
		      r->sigs[0].message);
	crypto_verify_report_free(r);
	free(one);
	free(d);
	/* an approval signature, an update that names it in /Perms /DocMDP, a field filled */
	d = vc_certified_form(0, NULL, NULL, &n);
	one = vc_update(d, n, num, cat, 1, 0, NULL, &n1);
	free(d);
	d = apply(one, &n1, FILL_AMOUNT);
	one = vc_sign(d, n1, "ec", 1, 0, &n);
	ck_assert_int_eq(crypto_pdf_verify(one, n, &o, &r, &ei), SP_OK);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_int_eq(r->sigs[0].certifying, 0);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert(has_reason(&r->sigs[0], "disallowed_changes"));
	crypto_verify_report_free(r);
	free(one);
	free(d);
}
END_TEST

/*
 * r, a signability check's answer with ei, for the form certified with a
 * field lock /Action /All: refused as locked by the certification when
 * locked (the lock carries /P 1), else signable.
 */
static void
locked_by_certification(int r, const struct sp_errinfo *ei, int locked)
{
	if (locked) {
		ck_assert_int_eq(r, SP_ERR_INVALID);
		ck_assert_str_eq(ei->reason, "docmdp_no_changes");
		ck_assert_ptr_nonnull(strstr(ei->msg, "locked by signature \"Certification\""));
	} else {
		ck_assert_int_eq(r, SP_OK);
	}
}

/* sign refuses what a signature field lock's /P 1 forbids, as it does a P=1 certification. */
START_TEST(lock_p1_is_not_signable)
{
	size_t n;
	unsigned char *d =
		vc_certified_form(0, NULL, _i ? "/Action /All /P 1" : "/Action /All", &n);
	struct pdf_doc *doc;
	struct sp_errinfo ei;
	size_t nreads;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(d, n, &doc, &ei), SP_OK);
	locked_by_certification(pdf_docmdp_check_signable(doc, NULL, &ei), &ei, _i);
	pdf_doc_free(doc);
	/* the same with a verification's reads (this signature has a /Reference: it is
	   read again) */
	sp_errinfo_init(&ei);
	locked_by_certification(signable_known(trust, d, n, &ei, &nreads), &ei, _i);
	free(d);
}
END_TEST

/*
 * A signature the writer made (self-contained: taken as read by prepare's
 * check) whose field an update then gives a /Lock: with /P 1 the document is
 * not signable, with or without the reads, since the lock is the field's,
 * read from the file, never the signature's read.
 */
START_TEST(field_lock_p1_over_a_known_signature)
{
	size_t n, n1, n2, nsig = 0, nreads;
	unsigned char *base = vc_base(0, &n), *one = vc_sign(base, n, "rsa", 0, 0, &n1), *two;
	struct pdf_sig_field *sig = NULL;
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	char body[512];
	const char *objs[1];
	int nums[1], r;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(one, n1, &doc, &ei), SP_OK);
	ck_assert_int_eq(pdf_sig_fields_list(doc, &sig, &nsig, &ei), SP_OK);
	ck_assert_uint_eq(nsig, 1);
	ck_assert(sig[0].self_contained);
	pdf_doc_free(doc);
	nums[0] = sig[0].field_obj;
	snprintf(body, sizeof(body),
		 "<< /Type /Annot /Subtype /Widget /FT /Sig /T (%s) /V %d 0 R /F 132 /P 3 0 R "
		 "/Rect [0 0 0 0] /Lock << /Type /SigFieldLock /Action /All%s >> >>",
		 sig[0].name, sig[0].sig_obj, _i ? " /P 1" : "");
	objs[0] = body;
	two = vc_update(one, n1, nums, objs, 1, 0, NULL, &n2);
	ck_assert_int_eq(pdf_doc_open(two, n2, &doc, &ei), SP_OK);
	r = pdf_docmdp_check_signable(doc, NULL, &ei);
	pdf_doc_free(doc);
	ck_assert_int_eq(r, _i ? SP_ERR_INVALID : SP_OK);
	sp_errinfo_init(&ei);
	r = signable_known(trust, two, n2, &ei, &nreads);
	ck_assert_uint_eq(nreads, 1); /* the signature was taken as read */
	ck_assert_int_eq(r, _i ? SP_ERR_INVALID : SP_OK);
	if (_i) {
		ck_assert_str_eq(ei.reason, "docmdp_no_changes");
		ck_assert_ptr_nonnull(strstr(ei.msg, sig[0].name));
	}
	pdf_sig_fields_free(sig, nsig);
	free(two);
	free(one);
	free(base);
}
END_TEST

/*
 * Signature fields whose /V all name one signature dictionary (review49):
 * each field's read copies its /Contents, so 1,000 fields over one 1 MB
 * value held about 1 GB at a prepare's pdf_docmdp_check_signable, outside
 * the verification's work budget. A file's own values are at most half its
 * bytes: two fields over the certification's 8 KB value list (16 KB in a
 * 19 KB file), four are refused pdf_limit.
 */
START_TEST(fields_sharing_one_signature_are_bounded_by_the_file)
{
	static const int nfields[] = { 2, 4 };
	size_t n, n1, nsig = 0, i, k = (size_t)nfields[_i];
	unsigned char *base = vc_certified(2, &n), *one;
	struct pdf_sig_field *sig = NULL;
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	char cat[256], wid[3][160];
	const char *objs[4] = { cat, wid[0], wid[1], wid[2] };
	int nums[4] = { 1, 10, 11, 12 }, r;

	snprintf(cat, sizeof(cat),
		 "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R%s%s%s] /SigFlags 3 "
		 ">> /Perms << /DocMDP 7 0 R >> >>",
		 k > 1 ? " 10 0 R" : "", k > 2 ? " 11 0 R" : "", k > 3 ? " 12 0 R" : "");
	for (i = 0; i < 3; i++)
		snprintf(wid[i], sizeof(wid[i]),
			 "<< /Type /Annot /Subtype /Widget /FT /Sig /T (shared%zu) /Rect [0 0 0 0] "
			 "/P 3 0 R /V 7 0 R >>",
			 i);
	one = vc_update(base, n, nums, objs, k, 0, NULL, &n1);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(one, n1, &doc, &ei), SP_OK);
	r = pdf_sig_fields_list(doc, &sig, &nsig, &ei);
	if (k == 2) {
		ck_assert_msg(r == SP_OK && nsig == 2,
			      "two fields over one value: %d (%s), %zu listed", r, ei.msg, nsig);
		ck_assert_uint_eq(sig[1].contents_len, sig[0].contents_len);
	} else {
		ck_assert_msg(r == SP_ERR_LIMIT,
			      "%zu fields over one %zu-byte file's value: %d, %zu listed", k, n1, r,
			      nsig);
		ck_assert_str_eq(ei.reason, "pdf_limit");
	}
	pdf_sig_fields_free(sig, nsig);
	pdf_doc_free(doc);
	free(one);
	free(base);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("verify_mdp");
	TCase *tc = test_tcase(s, "mdp", setup, teardown, 0, 120);

	tcase_add_loop_test(tc, certified_form_changes, 0, (int)SP_ARRAY_LEN(cases));
	tcase_add_test(tc, field_lock_names);
	tcase_add_loop_test(tc, lock_p1_is_not_signable, 0, 2);
	tcase_add_loop_test(tc, visible_seal_after_certification, 0, 2);
	tcase_add_loop_test(tc, field_lock_p1_over_a_known_signature, 0, 2);
	tcase_add_test(tc, certified_by_perms_alone);
	tcase_add_loop_test(tc, fields_sharing_one_signature_are_bounded_by_the_file, 0, 2);
	return test_suite_run(s);
}
