/*
 * test_verify_shadow_p3.c: under a DocMDP P=3 certification, annotations
 * and their structure-tree tags: what a later party may change stays
 * valid, an object the page draws with listed as an annotation does not.
 * A part of test_verify_shadow (test_verify_shadow.h).
 */
#define TEST_PART
#include "test_verify_shadow.h"

/*
 * Under a DocMDP P=3 certification a later party may create, delete and
 * change annotations (ISO 32000-2 §12.8.2.2.2). The uploader of a contract
 * can list, among the page's annotations, an object the page draws with:
 * its font (with a /Rect, and its /Subtype /Type1 taken for an annotation's)
 * or its graphics state (a /Text annotation, whose /ca is an ExtGState's
 * fill opacity too). Rewritten "as an annotation" after the certification,
 * the font's /Differences draw "Pay 100 EUR" as "Pay 900 EUR", the graphics
 * state's /ca 0 makes the text vanish.
 */
#define P3_PAGE(res, annots) \
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources " res \
	" /Annots [6 0 R " annots "] >>"
#define HELV "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica"

/* vc_certified_parts(3, parts), then the updates objs[i] of object nums[i] (k, one each). */
static enum crypto_verdict
certified_then(const struct vc_parts *parts, const int *nums, const char *const *objs, size_t k,
	       size_t *ndisallowed)
{
	size_t n, m, i;
	unsigned char *d = vc_certified_parts(3, parts, &n), *u;
	enum crypto_verdict v;

	ck_assert_int_eq(verdict_of(d, n, ndisallowed), CRYPTO_VERDICT_VALID);
	for (i = 0; i < k; i++) {
		u = vc_update(d, n, &nums[i], &objs[i], 1, 0, NULL, &m);
		free(d);
		d = u;
		n = m;
	}
	v = verdict_of(d, n, ndisallowed);
	free(d);
	return v;
}

START_TEST(p3_font_doubling_as_annotation_rewritten_is_not_valid)
{
	struct vc_parts parts = { .page = P3_PAGE("<< /Font << /F1 5 0 R >> >>", "5 0 R"),
				  .obj5 = HELV " /Rect [0 0 0 0] >>" };
	int nums[1] = { 5 };
	const char *objs[1] = { HELV " /Rect [0 0 0 0] /Encoding << /Type /Encoding "
				     "/Differences [49 /nine] >> >>" };
	size_t nd;
	enum crypto_verdict v = certified_then(&parts, nums, objs, 1, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "the page now says \"Pay 900 EUR\": verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

START_TEST(p3_annotation_doubling_as_graphics_state_rewritten_is_not_valid)
{
	static const char annot[] = "<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] "
				    "/Contents (ok) /ca %d /P 3 0 R >>";
	char a1[128], a0[128];
	struct vc_parts parts = {
		.page = P3_PAGE("<< /Font << /F1 " HELV " >> >> /ExtGState << /GS1 5 0 R >> >>",
				"5 0 R"),
		.content = "q /GS1 gs BT /F1 12 Tf 72 700 Td (Pay 100 EUR) Tj ET Q",
		.obj5 = a1
	};
	int nums[1] = { 5 };
	const char *objs[1] = { a0 };
	size_t nd;
	enum crypto_verdict v;

	snprintf(a1, sizeof(a1), annot, 1);
	snprintf(a0, sizeof(a0), annot, 0);
	v = certified_then(&parts, nums, objs, 1, &nd);
	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "the page's text is painted transparent: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

/*
 * Control: a comment with its popup (whose /Parent names it), then a reply
 * added (/IRT names it), the comment edited, its popup opened (Acrobat saves
 * /Open): what P=3 permits, however many annotations point at the comment.
 */
START_TEST(p3_comment_with_popup_and_reply_edited_stays_valid)
{
	struct vc_parts parts = {
		.page = P3_PAGE("<< /Font << /F1 " HELV " >> >> >>", "5 0 R 8 0 R"),
		.obj5 = "<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents (ok) "
			"/Popup 8 0 R /P 3 0 R >>",
		.obj8 = "<< /Type /Annot /Subtype /Popup /Rect [30 30 200 100] /Parent 5 0 R "
			"/P 3 0 R >>",
	};
	int nums[4] = { 9, 3, 5, 8 };
	const char *objs[4] = {
		"<< /Type /Annot /Subtype /Text /Rect [10 40 30 60] /Contents (agreed) /IRT 5 0 R "
		"/P 3 0 R >>",
		P3_PAGE("<< /Font << /F1 " HELV " >> >> >>", "5 0 R 8 0 R 9 0 R"),
		"<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents (ok, paid) "
		"/Popup 8 0 R /P 3 0 R >>",
		"<< /Type /Annot /Subtype /Popup /Rect [30 30 200 100] /Parent 5 0 R /Open true "
		"/P 3 0 R >>",
	};
	size_t nd;
	enum crypto_verdict v = certified_then(&parts, nums, objs, 4, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES && nd == 0,
		      "a comment edited: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

/*
 * A tagged PDF (ISO 32000-2 §14.7): its structure tree names each
 * annotation once more, through an object reference (/OBJR) in the
 * annotation's structure element, as Acrobat and LibreOffice tag comments
 * and fields. That tags the comment and draws nothing with it: edited under
 * P=3, it is what P=3 permits. The page's graphics state stays a use.
 */
#define TAGGED_CATALOG "/MarkInfo << /Marked true >> /StructTreeRoot 8 0 R"
#define TAGGED_ROOT \
	"<< /Type /StructTreeRoot /K 9 0 R /ParentTree << /Nums [1 9 0 R] >> " \
	"/ParentTreeNextKey 2 >>"
#define TAGGED_ELEM \
	"<< /Type /StructElem /S /Annot /P 8 0 R /Pg 3 0 R /K << /Type /OBJR /Obj 5 0 R " \
	"/Pg 3 0 R >> >>"
#define TAGGED_NOTE \
	"<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents (%s) /ca %d " \
	"/StructParent 1 /P 3 0 R >>"

/*
 * The tagged comment (its /Contents and /ca: before, then after) on a page of
 * resources res drawing content (NULL: the corpus's), certified with P=3 and
 * rewritten in one update.
 */
static enum crypto_verdict
tagged_then(const char *res, const char *content, const char *text0, int ca0, const char *text1,
	    int ca1, size_t *nd)
{
	char a0[160], a1[160], page[256];
	struct vc_parts parts = { .page = page,
				  .content = content,
				  .obj5 = a0,
				  .obj8 = TAGGED_ROOT,
				  .obj9 = TAGGED_ELEM,
				  .catalog = TAGGED_CATALOG };
	int nums[1] = { 5 };
	const char *objs[1] = { a1 };

	snprintf(page, sizeof(page), P3_PAGE("%s", "5 0 R"), res);
	snprintf(a0, sizeof(a0), TAGGED_NOTE, text0, ca0);
	snprintf(a1, sizeof(a1), TAGGED_NOTE, text1, ca1);
	return certified_then(&parts, nums, objs, 1, nd);
}

START_TEST(p3_tagged_comment_edited_stays_valid)
{
	size_t nd;
	enum crypto_verdict v =
		tagged_then("<< /Font << /F1 " HELV " >> >> >>", NULL, "ok", 1, "ok, paid", 1, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES && nd == 0,
		      "a tagged comment edited: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

START_TEST(p3_tagged_comment_doubling_as_graphics_state_rewritten_is_not_valid)
{
	size_t nd;
	enum crypto_verdict v =
		tagged_then("<< /Font << /F1 " HELV " >> >> /ExtGState << /GS1 5 0 R >> >>",
			    "q /GS1 gs BT /F1 12 Tf 72 700 Td (Pay 100 EUR) Tj ET Q", "ok", 1, "ok",
			    0, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "the page's text is painted transparent: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

/*
 * A comment added to the tagged document under P=3 as Acrobat adds it: the
 * new annotation (10, /StructParent 2) in the page's /Annots, its own
 * structure element (11, an /Annot whose object reference names it) added
 * to the root's /K, keyed 2 in the /ParentTree, /ParentTreeNextKey raised
 * to 3. elem11: that element (NULL: the one described); root8: the root
 * (NULL: the one described); elem9: element 9 rewritten too (NULL: kept).
 */
#define TAGGED_ROOT_ADDED \
	"<< /Type /StructTreeRoot /K [9 0 R 11 0 R] /ParentTree << /Nums [1 9 0 R 2 11 0 R] >> " \
	"/ParentTreeNextKey 3 >>"
#define TAGGED_ELEM_ADDED \
	"<< /Type /StructElem /S /Annot /P 8 0 R /Pg 3 0 R /K << /Type /OBJR /Obj 10 0 R " \
	"/Pg 3 0 R >> >>"

static enum crypto_verdict
tagged_added(int p, const char *annot10, const char *elem11, const char *root8, const char *elem9,
	     size_t *nd)
{
	char a1[160];
	struct vc_parts parts = { .page = P3_PAGE("<< /Font << /F1 " HELV " >> >> >>", "5 0 R"),
				  .obj5 = a1,
				  .obj8 = TAGGED_ROOT,
				  .obj9 = TAGGED_ELEM,
				  .catalog = TAGGED_CATALOG };
	int nums[6] = { 10, 11, 3, 8, 1, 0 };
	const char *objs[6] = {
		annot10,
		elem11 ? elem11 : TAGGED_ELEM_ADDED,
		P3_PAGE("<< /Font << /F1 " HELV " >> >> >>", "5 0 R 10 0 R"),
		root8 ? root8 : TAGGED_ROOT_ADDED,
		/* a signature field is a field of the form too */
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R 10 0 R] /SigFlags 3 "
		">> " TAGGED_CATALOG " >>",
		NULL,
	};
	size_t n, m, k = p == 3 ? 4 : 5;
	unsigned char *d, *u;
	enum crypto_verdict v;

	if (elem9) {
		nums[k] = 9;
		objs[k++] = elem9;
	}
	snprintf(a1, sizeof(a1), TAGGED_NOTE, "ok", 1);
	d = vc_certified_parts(p, &parts, &n);
	ck_assert_int_eq(verdict_of(d, n, nd), CRYPTO_VERDICT_VALID);
	/* one update, as Acrobat saves one */
	u = vc_update(d, n, nums, objs, k, 0, NULL, &m);
	v = verdict_of(u, m, nd);
	free(u);
	free(d);
	return v;
}

/* The comment tagged_added() adds under P=3. */
#define TAGGED_COMMENT \
	"<< /Type /Annot /Subtype /Text /Rect [10 40 30 60] /Contents (agreed) " \
	"/StructParent 2 /P 3 0 R >>"

START_TEST(p3_tagged_comment_added_stays_valid)
{
	size_t nd;
	enum crypto_verdict v = tagged_added(3, TAGGED_COMMENT, NULL, NULL, NULL, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES && nd == 0,
		      "a comment added and tagged: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

/*
 * An update may not add what a viewer runs when a party opens the signed
 * document or clicks in it (sec49; pdf/active.c): a signature field with a
 * page-open script or a /Launch action, under an approval signature; under
 * P=3, a link that runs a script, a comment with a page-open trigger, a
 * comment edited to gain a /Launch action. _i 0..4.
 */
#define SIG_WIDGET_WITH(x) \
	"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Second) /F 132 /Rect [0 0 0 0] " \
	"/StructParent 2 /P 3 0 R " x " >>"
#define FORM_ELEM_ADDED \
	"<< /Type /StructElem /S /Form /P 8 0 R /Pg 3 0 R /K << /Type /OBJR /Obj 10 0 R " \
	"/Pg 3 0 R >> >>"

START_TEST(actions_added_after_signing_are_not_valid)
{
	static const char *const what[] = {
		"a signature field running a script on page open",
		"a signature field launching a program on a click",
		"a link running a script (P=3)",
		"a comment running a script on page open (P=3)",
		"a comment edited to launch a program (P=3)",
		"a 3D model added, running its scripts on page open (P=3)",
		"a movie added (P=3)",
		"a 3D model edited (P=3)",
	};
	size_t nd;
	enum crypto_verdict v;

	if (_i == 0)
		v = tagged_added(0,
				 SIG_WIDGET_WITH(
					 "/AA << /PO << /S /JavaScript /JS (app.alert\\(1\\)) "
					 ">> >>"),
				 FORM_ELEM_ADDED, NULL, NULL, &nd);
	else if (_i == 1)
		v = tagged_added(0, SIG_WIDGET_WITH("/A << /S /Launch /F (calc.exe) >>"),
				 FORM_ELEM_ADDED, NULL, NULL, &nd);
	else if (_i == 2)
		v = tagged_added(3,
				 "<< /Type /Annot /Subtype /Link /Rect [10 40 30 60] /StructParent "
				 "2 "
				 "/P 3 0 R /A << /S /JavaScript /JS (app.alert\\(1\\)) >> >>",
				 NULL, NULL, NULL, &nd);
	else if (_i == 3)
		v = tagged_added(3,
				 "<< /Type /Annot /Subtype /Text /Rect [10 40 30 60] /Contents "
				 "(ok) "
				 "/StructParent 2 /P 3 0 R /AA << /PO << /S /JavaScript /JS (1) >> "
				 ">> >>",
				 NULL, NULL, NULL, &nd);
	else if (_i == 4)
		v = tagged_then("<< /Font << /F1 " HELV " >> >> >>", NULL, "ok", 1,
				"ok) /A << /S /Launch /F (calc.exe) >> /NM (x", 1, &nd);
	else if (_i == 5)
		/* (its /3DD stream's /OnInstantiate script runs once /3DA activates it) */
		v = tagged_added(3,
				 "<< /Type /Annot /Subtype /3D /Rect [10 40 30 60] /StructParent 2 "
				 "/P 3 0 R /3DA << /A /PO >> >>",
				 NULL, NULL, NULL, &nd);
	else if (_i == 6)
		v = tagged_added(3,
				 "<< /Type /Annot /Subtype /Movie /Rect [10 40 30 60] "
				 "/StructParent "
				 "2 /P 3 0 R /Movie << /F (pay.mov) >> >>",
				 NULL, NULL, NULL, &nd);
	else
		/* the signed comment is a 3D annotation (the key's second value is read) */
		v = tagged_then("<< /Font << /F1 " HELV " >> >> >>", NULL,
				"ok) /Subtype /3D /NM (x", 1, "ok, paid) /Subtype /3D /NM (x", 1,
				&nd);
	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "case %d: %s: verdict %s, %zu disallowed changes", _i, what[_i],
		      crypto_verdict_name(v), nd);
}
END_TEST

/*
 * review50: a later signer's tool adds its signature field under a new
 * parent (sig_parent: "Parties.Countersignature"), itself under another new
 * parent. diff_grows_by_sigs asks pdf_actions_held of the /Fields item and of
 * each new /Annots item (the widget), not of the parents between them, whose
 * /AA a viewer takes for the widget's (ISO 32000-2 §12.7.4: a field's
 * inheritable entries; pdf.js collectActions reads /AA up every /Parent): a
 * script on page open in the middle parent. Control first: the same fields
 * without it stay valid.
 *
 * Case 1 (review51): the middle parent that no /Kids lists. "Parties" has
 * /Kids [13], while the widget's /Parent is 12, whose own /Parent is
 * "Parties": sig_parent walks /Kids down from /Fields and never meets 12,
 * in_form() climbs the /Parent chain to /Fields without asking what the
 * objects on the way run, and a viewer takes 12's /AA as the widget's
 * whatever lists it (getInheritableProperty follows /Parent), as active.c's
 * parents() reads it in an upload (review50 F2).
 */
START_TEST(approval_signature_field_under_a_parent_with_a_script_is_not_valid)
{
	static const char *const mid[2][2] = {
		{ "<< /T (Second) /Parent 10 0 R /Kids [13 0 R] >>",
		  "<< /T (Second) /Parent 10 0 R /Kids [13 0 R] /AA << /PO << /S /JavaScript /JS "
		  "(app.alert\\(1\\)) >> >> >>" },
		{ "<< /T (Second) /Parent 10 0 R >>",
		  "<< /T (Second) /Parent 10 0 R /AA << /PO << /S /JavaScript /JS "
		  "(app.alert\\(1\\)) >> >> >>" },
	};
	static const char *const top[2] = { "<< /T (Parties) /Kids [12 0 R] >>",
					    "<< /T (Parties) /Kids [13 0 R] >>" };
	static const char *const shape[2] = { "parent", "unlisted parent" };
	struct vc_parts parts = { .page = P3_PAGE("<< /Font << /F1 " HELV " >> >> >>", "5 0 R"),
				  .obj5 = "<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] "
					  "/Contents (ok) /P 3 0 R >>" };
	int nums[5] = { 10, 12, 13, 3, 1 };
	const char *objs[5] = {
		NULL,
		NULL,
		"<< /Type /Annot /Subtype /Widget /FT /Sig /Parent 12 0 R /F 132 /Rect [0 0 0 0] "
		"/P 3 0 R >>",
		P3_PAGE("<< /Font << /F1 " HELV " >> >> >>", "5 0 R 13 0 R"),
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R 10 0 R] /SigFlags 3 "
		">> >>",
	};
	size_t n, m, nd;
	unsigned char *d = vc_certified_parts(0, &parts, &n), *u;
	enum crypto_verdict v;
	int i;

	ck_assert_int_eq(verdict_of(d, n, &nd), CRYPTO_VERDICT_VALID);
	objs[0] = top[_i];
	for (i = 0; i < 2; i++) {
		objs[1] = mid[_i][i];
		u = vc_update(d, n, nums, objs, 5, 0, NULL, &m);
		v = verdict_of(u, m, &nd);
		free(u);
		if (i == 0)
			ck_assert_msg(v == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES && nd == 0,
				      "case %d: control, the fields alone: verdict %s, %zu "
				      "disallowed changes",
				      _i, crypto_verdict_name(v), nd);
		else
			ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
				      "case %d: a signature field whose %s runs a script on page "
				      "open: verdict %s, %zu disallowed changes",
				      _i, shape[_i], crypto_verdict_name(v), nd);
	}
	free(d);
}
END_TEST

/*
 * review50: a later signer's signature widget whose page-open trigger is
 * an array holding a script. pdf.js reads a trigger's value through arrays
 * (core_utils.js _collectJS) and runs the JavaScript action inside;
 * pdf_actions_held takes an array for a destination and finds nothing.
 */
START_TEST(approval_signature_widget_with_a_script_in_an_array_is_not_valid)
{
	size_t nd;
	enum crypto_verdict v =
		tagged_added(0,
			     SIG_WIDGET_WITH("/AA << /PO [<< /S /JavaScript /JS (app.alert\\(1\\)) "
					     ">>] >>"),
			     FORM_ELEM_ADDED, NULL, NULL, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "a signature field running a script (in an array) on page open: verdict "
		      "%s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

/* What stays: a link to a web address added under P=3 moves no content and runs nothing. */
START_TEST(p3_link_to_a_web_address_added_stays_valid)
{
	size_t nd;
	enum crypto_verdict v = tagged_added(3,
					     "<< /Type /Annot /Subtype /Link /Rect [10 40 30 60] "
					     "/StructParent 2 /P 3 "
					     "0 R /A << /S /URI /URI (https://bank.example/) >> >>",
					     NULL, NULL, NULL, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES && nd == 0,
		      "a /URI link added: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

/* A link that opens a remote share (a UNC path: no web or mail address) added under P=3
   hands the reader's credentials to whoever holds the share: not an allowed comment. */
START_TEST(p3_link_to_a_file_share_added_is_not_valid)
{
	size_t nd;
	enum crypto_verdict v = tagged_added(3,
					     "<< /Type /Annot /Subtype /Link /Rect [10 40 30 60] "
					     "/StructParent 2 /P 3 0 R /A << /S /URI /URI "
					     "(\\\\\\\\collector.example\\\\share\\\\x.png) >> >>",
					     NULL, NULL, NULL, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "a link to a file share added: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

/*
 * What tags may not do in that update: an old element's text for readers
 * and copying changed (/ActualText, "Pay 900 EUR"); the new element claiming
 * the page's marked content instead of the comment; the root's role map
 * changed; the /ParentTree's old key moved to the new element.
 */
START_TEST(p3_tagged_changes_beyond_tags_are_not_valid)
{
	static const struct {
		const char *elem11, *root8, *elem9;
	} c[] = {
		{ NULL, NULL,
		  "<< /Type /StructElem /S /Annot /P 8 0 R /Pg 3 0 R /ActualText (Pay 900 EUR) "
		  "/K << /Type /OBJR /Obj 5 0 R /Pg 3 0 R >> >>" },
		{ "<< /Type /StructElem /S /P /P 8 0 R /Pg 3 0 R /ActualText (Pay 900 EUR) /K 0 >>",
		  NULL, NULL },
		{ NULL,
		  "<< /Type /StructTreeRoot /K [9 0 R 11 0 R] /RoleMap << /Annot /Figure >> "
		  "/ParentTree << /Nums [1 9 0 R 2 11 0 R] >> /ParentTreeNextKey 3 >>",
		  NULL },
		{ NULL,
		  "<< /Type /StructTreeRoot /K [9 0 R 11 0 R] /ParentTree << /Nums [1 11 0 R] >> "
		  "/ParentTreeNextKey 3 >>",
		  NULL },
	};
	size_t nd;
	enum crypto_verdict v =
		tagged_added(3, TAGGED_COMMENT, c[_i].elem11, c[_i].root8, c[_i].elem9, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "case %d: verdict %s, %zu disallowed changes", _i, crypto_verdict_name(v),
		      nd);
}
END_TEST

/*
 * Under an approval signature, a later signer's tool adds its empty
 * signature field to the tagged document and tags it as Acrobat does (a
 * /Form element whose object reference names the widget): the signature
 * fields a later signer may add, tagged.
 */
START_TEST(approval_tagged_signature_field_added_stays_valid)
{
	size_t nd;
	enum crypto_verdict v =
		tagged_added(0,
			     "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Second) /F 132 "
			     "/Rect [0 0 0 0] /StructParent 2 /P 3 0 R >>",
			     "<< /Type /StructElem /S /Form /P 8 0 R /Pg 3 0 R /K << /Type /OBJR "
			     "/Obj 10 0 R /Pg 3 0 R >> >>",
			     NULL, NULL, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES && nd == 0,
		      "a signature field added and tagged: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

/*
 * The new element a later signer's tool adds to tag its signature field may
 * carry text readers take for the document's (review48): /ActualText
 * (ISO 32000-2 §14.9.4: the text that replaces the element's content when
 * text is extracted or read aloud) and /E (§14.9.5, an abbreviation's
 * expansion). A signature field needs neither, so "Pay 900 EUR" must not
 * enter the tree, read out to a screen reader's user, as an allowed
 * addition under an approval signature. _i 0 /ActualText, 1 /E.
 */
static enum crypto_verdict
tagged_field_with(const char *key, size_t *nd)
{
	char elem[256];

	snprintf(elem, sizeof(elem),
		 "<< /Type /StructElem /S /Form /P 8 0 R /Pg 3 0 R %s (Pay 900 EUR) /K << /Type "
		 "/OBJR /Obj 10 0 R /Pg 3 0 R >> >>",
		 key);
	return tagged_added(0,
			    "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Second) /F 132 "
			    "/Rect [0 0 0 0] /StructParent 2 /P 3 0 R >>",
			    elem, NULL, NULL, nd);
}

START_TEST(approval_tagged_signature_field_with_text_is_not_valid)
{
	static const char *const key[] = { "/ActualText", "/E" };
	size_t nd;
	enum crypto_verdict v = tagged_field_with(key[_i], &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "case %d: a signature field's tag carrying %s (Pay 900 EUR): verdict %s, "
		      "%zu disallowed changes",
		      _i, key[_i], crypto_verdict_name(v), nd);
}
END_TEST

/*
 * /Alt describes the element (§14.9.3): PDF/UA (ISO 14289-1 §7.18.4) asks
 * a form field for a /TU or its tag's /Alt, so a tool that tags the field it
 * adds writes one. It says no more than the widget's own /TU, which the
 * field's addition allows.
 */
START_TEST(approval_tagged_signature_field_described_stays_valid)
{
	size_t nd;
	enum crypto_verdict v = tagged_field_with("/Alt", &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES && nd == 0,
		      "a signature field's tag with /Alt: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
}
END_TEST

/*
 * A contract certified (P 3) whose page names missing object 99 in its
 * resources (/XObject << /X1 99 0 R >>, its contents drawing /X1: nothing
 * yet), then an update that defines object 99, a white form: the page is
 * painted white. _i 0: a plain file; 1 (review49): the same file with 25
 * bytes before its header, its offsets counting from there as ISO 32000-2
 * §7.5.2 and qpdf count them, and a comment before each object holding
 * "N 0 obj null endobj" 25 bytes before it (vc_parts' prefix). The signer
 * signs the bytes it was handed (a hash-signing service, a remote signature
 * of a prepared file): the whole signed revision is the preparer's.
 * pdf/diff_hidden.c reads each object at its offset taken from the file's
 * first byte, reads the comments instead, and says the file hides no
 * reference, so no walk sees object 99 fill one.
 */
START_TEST(p3_a_reference_filled_after_bytes_before_the_header_is_not_valid)
{
	struct vc_parts parts = { .page = P3_PAGE("<< /Font << /F1 5 0 R >> /XObject << /X1 99 0 R "
						  ">> >>",
						  ""),
				  .content = CONTENT,
				  .prefix = _i ? "X-Gateway: scanned, ok..\n" : NULL };
	int nums[1] = { 99 };
	const char *objs[1] = { "<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Length 25 "
				">>\nstream\n" WHITE "\nendstream" };
	size_t nd;
	enum crypto_verdict v = certified_then(&parts, nums, objs, 1, &nd);

	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "case %d: the page is painted white: verdict %s, %zu disallowed changes", _i,
		      crypto_verdict_name(v), nd);
}
END_TEST

void
verify_shadow_p3_add(TCase *tc)
{
	tcase_add_test(tc, p3_font_doubling_as_annotation_rewritten_is_not_valid);
	tcase_add_test(tc, p3_annotation_doubling_as_graphics_state_rewritten_is_not_valid);
	tcase_add_test(tc, p3_comment_with_popup_and_reply_edited_stays_valid);
	tcase_add_test(tc, p3_tagged_comment_edited_stays_valid);
	tcase_add_test(tc, p3_tagged_comment_added_stays_valid);
	tcase_add_loop_test(tc, actions_added_after_signing_are_not_valid, 0, 8);
	tcase_add_test(tc, p3_link_to_a_web_address_added_stays_valid);
	tcase_add_test(tc, p3_link_to_a_file_share_added_is_not_valid);
	tcase_add_loop_test(tc, approval_signature_field_under_a_parent_with_a_script_is_not_valid,
			    0, 2);
	tcase_add_test(tc, approval_signature_widget_with_a_script_in_an_array_is_not_valid);
	tcase_add_test(tc, approval_tagged_signature_field_added_stays_valid);
	tcase_add_loop_test(tc, approval_tagged_signature_field_with_text_is_not_valid, 0, 2);
	tcase_add_test(tc, approval_tagged_signature_field_described_stays_valid);
	tcase_add_loop_test(tc, p3_tagged_changes_beyond_tags_are_not_valid, 0, 4);
	tcase_add_test(tc, p3_tagged_comment_doubling_as_graphics_state_rewritten_is_not_valid);
	tcase_add_loop_test(tc, p3_a_reference_filled_after_bytes_before_the_header_is_not_valid, 0,
			    2);
}
