/*
 * test_pdf_xmp.c: an XMP packet read as XML (pdf/xmp.c): well-formed or
 * not, and the PDF/A claim it makes, as elements (LibreOffice) or attributes
 * (Ghostscript), under whatever prefix binds the pdfaid namespace and only
 * that one. A packet that is not well-formed claims nothing.
 */
#include <check.h>
#include <string.h>

#include "pdf_int.h"
#include "support_suite.h"

#define NS "xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\""
#define RDF_OPEN \
	"<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n" \
	"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF " \
	"xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
#define RDF_CLOSE "</rdf:RDF></x:xmpmeta>\n<?xpacket end=\"w\"?>"

static const struct {
	const char *xml;
	int wellformed, part;
	const char *conformance;
} cases[] = {
	/* 0: LibreOffice's elements */
	{ RDF_OPEN "<rdf:Description rdf:about=\"\" " NS
		   "><pdfaid:part>2</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>"
		   "</rdf:Description>" RDF_CLOSE,
	  1, 2, "B" },
	/* 1: Ghostscript's attributes, single quotes, another prefix */
	{ RDF_OPEN
	  "<rdf:Description rdf:about='' "
	  "xmlns:a='http://www.aiim.org/pdfa/ns/id/' a:part='1' a:conformance='B'/>" RDF_CLOSE,
	  1, 1, "B" },
	/* 2: the name pdfaid bound to another namespace claims nothing */
	{ RDF_OPEN "<rdf:Description rdf:about='' xmlns:pdfaid='http://example.com/'>"
		   "<pdfaid:part>2</pdfaid:part></rdf:Description>" RDF_CLOSE,
	  1, 0, "" },
	/* 3: a binding ends with its element */
	{ RDF_OPEN "<rdf:Description rdf:about='' " NS "/><rdf:Description rdf:about=''>"
		   "<pdfaid:part>2</pdfaid:part></rdf:Description>" RDF_CLOSE,
	  1, 0, "" },
	/* 4: references, a comment, CDATA */
	{ RDF_OPEN "<rdf:Description rdf:about='' xmlns:dc='http://purl.org/dc/elements/1.1/'>"
		   "<dc:title>A &amp; B &lt;&#20013;&#x6587;&gt;</dc:title><!-- x --><dc:x>"
		   "<![CDATA[<not a tag>]]></dc:x></rdf:Description>" RDF_CLOSE,
	  1, 0, "" },
	/* 5: an element left open */
	{ RDF_OPEN "<rdf:Description rdf:about='' " NS "><pdfaid:part>2</pdfaid:part>" RDF_CLOSE, 0,
	  0, "" },
	/* 6: closed out of order */
	{ "<a><b></a></b>", 0, 0, "" },
	/* 7: two roots */
	{ "<a/><b/>", 0, 0, "" },
	/* 8: text outside the root */
	{ "<a/>text", 0, 0, "" },
	/* 9: an unknown entity (no DTD to declare it) */
	{ "<a>&nbsp;</a>", 0, 0, "" },
	/* 10: a DTD */
	{ "<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>", 0, 0, "" },
	/* 11: an attribute without quotes */
	{ "<a b=c/>", 0, 0, "" },
	/* 12: a character reference without digits */
	{ "<a>&#x;</a>", 0, 0, "" },
	/* 13: a part that is no number */
	{ "<a " NS "><pdfaid:part>two</pdfaid:part></a>", 1, -1, "" },
	/* 14: nothing */
	{ "", 0, 0, "" },
};

START_TEST(packets_read)
{
	struct pdf_xmp x;

	pdf_xmp_read((const unsigned char *)cases[_i].xml, strlen(cases[_i].xml), &x);
	ck_assert_msg(x.wellformed == cases[_i].wellformed && x.part == cases[_i].part &&
			      strcmp(x.conformance, cases[_i].conformance) == 0,
		      "case %d: well-formed %d, part %d, conformance '%s'", _i, x.wellformed,
		      x.part, x.conformance);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_xmp");
	TCase *t = test_tcase(s, "core", NULL, NULL, 1, 30);

	tcase_add_loop_test(t, packets_read, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	return test_suite_run(s);
}
