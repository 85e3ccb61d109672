/* test_pdf_normalize.c: upload normalization (pdf/normalize.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <qpdf/qpdf-c.h>

#include "pdf.h"
#include "test_pdf_normalize.h"

void
add(struct pbuf *b, const char *s)
{
	size_t k = strlen(s);

	ck_assert(b->n + k < sizeof(b->d));
	memcpy(b->d + b->n, s, k);
	b->n += k;
}

/*
 * A classic one-revision PDF from object bodies objs[0] = object 1 ...; the
 * catalog is object 1. extra_obj, when set, is written but referenced by
 * nothing (the hidden material a rewrite must drop).
 */
void
make(struct pbuf *b, const char *const *objs, int n)
{
	size_t off[16];
	char line[128];
	int i;

	b->n = 0;
	add(b, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");
	for (i = 0; i < n; i++) {
		off[i] = b->n;
		snprintf(line, sizeof(line), "%d 0 obj\n", i + 1);
		add(b, line);
		add(b, objs[i]);
		add(b, "\nendobj\n");
	}
	snprintf(line, sizeof(line), "xref\n0 %d\n0000000000 65535 f \n", n + 1);
	{
		size_t xref = b->n;

		add(b, line);
		for (i = 0; i < n; i++) {
			snprintf(line, sizeof(line), "%010zu 00000 n \n", off[i]);
			add(b, line);
		}
		snprintf(line, sizeof(line),
			 "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", n + 1,
			 xref);
		add(b, line);
	}
}

const char *const unsigned_objs[UNSIGNED_OBJS] = {
	"<< /Type /Catalog /Pages 2 0 R >>",
	"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
	"(SHADOW-CONTENT-NOT-REFERENCED)",
};

const char *const signed_objs[SIGNED_OBJS] = {
	"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>",
	"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
	"<< /FT /Sig /T (Signature1) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R "
	"/V 5 0 R >>",
	"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
	"/ByteRange [0 0 0 0] /Contents <00> >>",
	"(UNREFERENCED-BUT-KEPT)",
};

START_TEST(unsigned_upload_rewritten_deterministically)
{
	struct pbuf b;
	struct pdf_normalized n1, n2;
	struct sp_errinfo ei;
	unsigned char sha[32];
	unsigned int sl = 0;

	make(&b, unsigned_objs, 5);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize((unsigned char *)b.d, b.n, &n1, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_int_eq(n1.kept, 0);
	ck_assert_int_eq(n1.pages, 2);
	ck_assert_ptr_null(memmem(n1.data, n1.len, "SHADOW-CONTENT", 14));
	ck_assert_ptr_nonnull(memmem(b.d, b.n, "SHADOW-CONTENT", 14));
	ck_assert_int_eq(EVP_Digest(n1.data, n1.len, sha, &sl, EVP_sha256(), NULL), 1);
	ck_assert_mem_eq(sha, n1.sha256, 32);
	/* The digest state kept going: more bytes after the stored ones hash as the whole. */
	{
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		unsigned char *whole = malloc(n1.len + 4), got[32];

		ck_assert_ptr_nonnull(n1.sha256_state);
		ck_assert_ptr_nonnull(whole);
		memcpy(whole, n1.data, n1.len);
		memcpy(whole + n1.len, "%EOF", 4);
		ck_assert_int_eq(EVP_MD_CTX_copy_ex(m, n1.sha256_state), 1);
		ck_assert_int_eq(EVP_DigestUpdate(m, "%EOF", 4), 1);
		ck_assert_int_eq(EVP_DigestFinal_ex(m, got, &sl), 1);
		ck_assert_int_eq(EVP_Digest(whole, n1.len + 4, sha, &sl, EVP_sha256(), NULL), 1);
		ck_assert_mem_eq(got, sha, 32);
		EVP_MD_CTX_free(m);
		free(whole);
	}
	/* Same input, same bytes (deterministic /ID): a repeat upload is recognisable. */
	ck_assert_int_eq(pdf_upload_normalize((unsigned char *)b.d, b.n, &n2, NULL), SP_OK);
	ck_assert_uint_eq(n1.len, n2.len);
	ck_assert_mem_eq(n1.data, n2.data, n1.len);
	pdf_normalized_cleanup(&n1);
	pdf_normalized_cleanup(&n2);
	ck_assert_ptr_null(n2.data);
	pdf_normalized_cleanup(NULL);
}
END_TEST

START_TEST(earlier_revisions_are_dropped)
{
	struct pbuf b;
	struct pdf_normalized n;
	char upd[512];
	unsigned char *two;
	size_t len, xref;
	int k;

	make(&b, unsigned_objs, 4);
	/* An incremental update replacing page 1 with one marked OVERLAY. */
	xref = b.n + strlen("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
			    "/OVERLAY true >>\nendobj\n");
	k = snprintf(upd, sizeof(upd),
		     "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /OVERLAY true "
		     ">>\nendobj\n"
		     "xref\n3 1\n%010zu 00000 n \ntrailer\n<< /Size 5 /Root 1 0 R /Prev %zu >>\n"
		     "startxref\n%zu\n%%%%EOF\n",
		     b.n, (size_t)(strstr(b.d, "xref\n0 ") - b.d), xref);
	two = malloc(b.n + (size_t)k);
	memcpy(two, b.d, b.n);
	memcpy(two + b.n, upd, (size_t)k);
	len = b.n + (size_t)k;
	ck_assert_int_eq(pdf_upload_normalize(two, len, &n, NULL), SP_OK);
	ck_assert_ptr_nonnull(memmem(n.data, n.len, "/OVERLAY", 8));
	/* One revision: a single %%EOF and no /Prev. */
	ck_assert_ptr_null(memmem(n.data, n.len, "/Prev", 5));
	ck_assert_ptr_eq(memmem(n.data, n.len, "%%EOF", 5),
			 memmem((unsigned char *)memmem(n.data, n.len, "%%EOF", 5), 5, "%%EOF", 5));
	pdf_normalized_cleanup(&n);
	free(two);
}
END_TEST

START_TEST(signed_upload_kept_byte_for_byte)
{
	struct pbuf b;
	struct pdf_normalized n;
	struct sp_errinfo ei;

	make(&b, signed_objs, 6);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize((unsigned char *)b.d, b.n, &n, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_int_eq(n.kept, 1);
	ck_assert_int_eq(n.pages, 1);
	ck_assert_uint_eq(n.len, b.n);
	ck_assert_mem_eq(n.data, b.d, b.n);
	pdf_normalized_cleanup(&n);
}
END_TEST

/* What a walk of data finds, as pdf_refs_export() gives it (the verifier's own way). */
static void
walked_refs(const unsigned char *data, size_t len, int **nums, size_t *n)
{
	struct pdf_doc *doc = NULL;
	struct pdf_refs refs;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_doc_open_view(data, len, &doc, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(pdf_refs_init(doc, &refs, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(pdf_refs_export(&refs, nums, n, &ei) == SP_OK, "%s", ei.msg);
	pdf_refs_cleanup(&refs);
	pdf_doc_free(doc);
}

/*
 * The references of the stored upload come with it, exactly the set the
 * first signature's verification would walk the upload for (the same
 * numbers from a separate view of the bytes stored), so that verification
 * can start from them; a kept signed upload, whose first revision is not
 * the whole file, has none.
 */
START_TEST(refs_of_the_upload_are_what_a_walk_finds)
{
	static const char *const fixtures[] = { "short.pdf", "contract30.pdf" };
	const char *src = getenv("SEALPACT_SOURCE_DIR");
	struct pdf_normalized n;
	struct sp_errinfo ei;
	struct pbuf b;
	unsigned char *pdf = NULL;
	size_t len = 0, nw = 0, i;
	char path[1024];
	int *w = NULL;

	sp_errinfo_init(&ei);
	for (i = 0; i <= SP_ARRAY_LEN(fixtures); i++) {
		if (i < SP_ARRAY_LEN(fixtures)) {
			snprintf(path, sizeof(path), "%s/tests/fixtures/contracts/%s",
				 src ? src : "../..", fixtures[i]);
			ck_assert_msg(sp_file_read(path, PDF_DOC_MAX_BYTES, &pdf, &len, &ei) ==
					      SP_OK,
				      "%s: %s", path, ei.msg);
		} else {
			make(&b, unsigned_objs, 5);
			ck_assert_ptr_nonnull(pdf = malloc(b.n));
			memcpy(pdf, b.d, b.n);
			len = b.n;
		}
		ck_assert_msg(pdf_upload_normalize(pdf, len, &n, &ei) == SP_OK, "%s", ei.msg);
		ck_assert_int_eq(n.kept, 0);
		walked_refs(n.data, n.len, &w, &nw);
		ck_assert_ptr_nonnull(n.refs);
		ck_assert_uint_gt(n.nrefs, 2); /* at least the catalog, the page tree, a page */
		/* and a last 0: the rewrite hides no reference (struct pdf_refs' no_hidden),
		   which the walk also tells from the bytes of a file qpdf wrote */
		ck_assert_uint_eq(n.nrefs, nw);
		ck_assert_mem_eq(n.refs, w, nw * sizeof(int));
		ck_assert_int_eq(n.refs[nw - 1], 0);
		free(w);
		/* and its pages, as a view of the stored bytes lists them */
		{
			struct pdf_doc *v = NULL, *k = NULL;
			int *po = NULL;
			size_t np = 0;
			ck_assert_int_eq(pdf_doc_open_view(n.data, n.len, &v, &ei), SP_OK);
			ck_assert_int_eq(pdf_doc_page_objs(v, &po, &np, &ei), SP_OK);
			ck_assert_ptr_nonnull(n.page_objs);
			ck_assert_uint_eq(n.npage_objs, (size_t)n.pages);
			ck_assert_uint_eq(n.npage_objs, np);
			ck_assert_mem_eq(n.page_objs, po, 2 * np * sizeof(int));
			ck_assert_int_eq(pdf_doc_open_known(n.data, n.len, n.page_objs,
							    n.npage_objs, &k, &ei),
					 SP_OK);
			ck_assert_int_eq(pdf_doc_page_count(k), n.pages);
			pdf_doc_free(k);
			pdf_doc_free(v);
			free(po);
		}
		pdf_normalized_cleanup(&n);
		ck_assert_ptr_null(n.refs);
		free(pdf);
	}

	make(&b, signed_objs, 6);
	ck_assert_int_eq(pdf_upload_normalize((unsigned char *)b.d, b.n, &n, &ei), SP_OK);
	ck_assert_int_eq(n.kept, 1);
	ck_assert_ptr_null(n.refs);
	ck_assert_uint_eq(n.nrefs, 0);
	pdf_normalized_cleanup(&n);
}
END_TEST

/*
 * Every cross-reference offset off by the bytes a careless writer put after
 * the header (viewers repair such files silently): an unsigned upload is
 * repaired by its rewrite (the same pages, a file that opens undamaged, the
 * unreferenced object dropped); a signed one cannot be rewritten and is
 * refused, as is a file without its end.
 */
START_TEST(damaged_unsigned_upload_repaired)
{
	static const char junk[] = "%%% a careless writer's comment\n";
	struct pbuf b, s;
	struct pdf_normalized n;
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info info;
	struct sp_errinfo ei;
	size_t head;
	int k;

	for (k = 0; k < 2; k++) {
		make(&b, k ? (const char *const *)signed_objs : unsigned_objs, k ? 6 : 5);
		head = (size_t)(strchr(b.d, '\n') + 1 - b.d);
		s.n = 0;
		memcpy(s.d, b.d, head);
		s.n = head;
		add(&s, junk);
		memcpy(s.d + s.n, b.d + head, b.n - head);
		s.n += b.n - head;
		sp_errinfo_init(&ei);
		ck_assert_int_eq(pdf_doc_open((unsigned char *)s.d, s.n, &doc, &ei), SP_OK);
		pdf_doc_info_get(doc, &info);
		ck_assert_int_eq(info.damaged, 1);
		pdf_doc_free(doc);
		doc = NULL;
		sp_errinfo_init(&ei);
		if (k) {
			ck_assert_int_eq(pdf_upload_normalize((unsigned char *)s.d, s.n, &n, &ei),
					 SP_ERR_PDF);
			ck_assert_str_eq(ei.reason, "pdf_damaged");
			ck_assert_ptr_nonnull(strstr(ei.msg, "signed"));
			continue;
		}
		ck_assert_msg(pdf_upload_normalize((unsigned char *)s.d, s.n, &n, &ei) == SP_OK,
			      "%s", ei.msg);
		ck_assert_int_eq(n.repaired, 1);
		ck_assert_int_eq(n.kept, 0);
		ck_assert_int_eq(n.pages, 2);
		ck_assert_ptr_null(memmem(n.data, n.len, "SHADOW", 6));
		ck_assert_int_eq(pdf_doc_open(n.data, n.len, &doc, &ei), SP_OK);
		pdf_doc_info_get(doc, &info);
		ck_assert_int_eq(info.damaged, 0);
		pdf_doc_free(doc);
		doc = NULL;
		pdf_normalized_cleanup(&n);
		/* the same file cut short: its end is gone */
		sp_errinfo_init(&ei);
		ck_assert_int_ne(pdf_upload_normalize((unsigned char *)s.d, s.n - 40, &n, &ei),
				 SP_OK);
	}
}
END_TEST

START_TEST(bad_uploads_refused_with_a_reason)
{
	struct pbuf b;
	struct pdf_normalized n;
	struct sp_errinfo ei;
	char path[] = "/tmp/sp-norm-XXXXXX", enc[64], cmd[256];
	unsigned char *data = NULL;
	size_t len = 0;
	FILE *f;
	int fd;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_upload_normalize((const unsigned char *)"hello", 5, &n, &ei),
			 SP_ERR_PDF);
	ck_assert_str_eq(ei.reason, "pdf_unreadable");
	ck_assert_ptr_null(n.data);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_upload_normalize(NULL, 0, &n, &ei), SP_ERR_PDF);

	/* Truncated: qpdf has to reconstruct it, so it is damaged or unreadable. */
	make(&b, unsigned_objs, 4);
	sp_errinfo_init(&ei);
	ck_assert_int_ne(pdf_upload_normalize((unsigned char *)b.d, b.n - 60, &n, &ei), SP_OK);
	ck_assert(strcmp(ei.reason, "pdf_damaged") == 0 ||
		  strcmp(ei.reason, "pdf_unreadable") == 0);

	/* Encrypted with qpdf's CLI. */
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b.d, b.n), (ssize_t)b.n);
	close(fd);
	snprintf(enc, sizeof(enc), "%s.enc", path);
	snprintf(cmd, sizeof(cmd), "qpdf --encrypt u o 256 -- %s %s", path, enc);
	ck_assert_int_eq(system(cmd), 0);
	f = fopen(enc, "rb");
	ck_assert_ptr_nonnull(f);
	data = malloc(65536);
	len = fread(data, 1, 65536, f);
	fclose(f);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_upload_normalize(data, len, &n, &ei), SP_ERR_UNSUPPORTED);
	ck_assert_str_eq(ei.reason, "pdf_encrypted");
	free(data);
	unlink(path);
	unlink(enc);
}
END_TEST

/*
 * XFA forms: a static one (the pages hold the content) is made a plain
 * AcroForm, its XFA stream gone with the key; a dynamic one (/NeedsRendering:
 * pages that only an XFA renderer fills) is refused with its reason.
 */
/* upload as qpdf --encrypt args writes it: the normalize's answer, *out its bytes */
static int
normalize_encrypted(const char *args, struct pdf_normalized *out, struct sp_errinfo *ei)
{
	struct pbuf b;
	char path[] = "/tmp/sp-norm-XXXXXX", enc[64], cmd[512];
	unsigned char *data = malloc(65536);
	size_t len;
	FILE *f;
	int fd, r;

	make(&b, unsigned_objs, 4);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b.d, b.n), (ssize_t)b.n);
	close(fd);
	snprintf(enc, sizeof(enc), "%s.enc", path);
	snprintf(cmd, sizeof(cmd), "qpdf %s %s %s", args, path, enc);
	ck_assert_int_eq(system(cmd), 0);
	f = fopen(enc, "rb");
	ck_assert_ptr_nonnull(f);
	len = fread(data, 1, 65536, f);
	fclose(f);
	sp_errinfo_init(ei);
	r = pdf_upload_normalize(data, len, out, ei);
	free(data);
	unlink(path);
	unlink(enc);
	return r;
}

/*
 * An owner password alone (an empty user password): rewritten in its own
 * encryption (the author's permissions kept), readable with the empty
 * password; one whose /P forbids signing is refused, saying so.
 */
START_TEST(owner_password_uploads)
{
	struct pdf_normalized n;
	struct sp_errinfo ei;
	struct pdf_doc *doc = NULL;

	ck_assert_msg(normalize_encrypted("--encrypt '' owner 128 --use-aes=y --", &n, &ei) ==
			      SP_OK,
		      "%s", ei.msg);
	ck_assert_ptr_nonnull(memmem(n.data, n.len, "/Encrypt", 8));
	ck_assert_int_eq(pdf_doc_open(n.data, n.len, &doc, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_page_count(doc), n.pages);
	pdf_doc_free(doc);
	pdf_normalized_cleanup(&n);
	ck_assert_int_eq(normalize_encrypted("--encrypt '' owner 256 --annotate=n --form=n --", &n,
					     &ei),
			 SP_ERR_UNSUPPORTED);
	ck_assert_str_eq(ei.reason, "pdf_signing_not_permitted");
	ck_assert_ptr_null(n.data);
}
END_TEST

START_TEST(xfa_forms)
{
	static const char *const xfa_objs[] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA 4 0 R /DA (/Helv 0 "
		"Tf 0 g) >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
		"<< /Length 31 >>\nstream\n<xdp:xdp>XFA-TEMPLATE</xdp:xdp>\nendstream",
	};
	const char *objs[4];
	struct pbuf b;
	struct pdf_normalized n;
	struct sp_errinfo ei;

	make(&b, xfa_objs, 4);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize((unsigned char *)b.d, b.n, &n, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_int_eq(n.xfa_removed, 1);
	ck_assert_int_eq(n.pages, 1);
	ck_assert_ptr_null(memmem(n.data, n.len, "/XFA", 4));
	ck_assert_ptr_null(memmem(n.data, n.len, "XFA-TEMPLATE", 12));
	ck_assert_ptr_nonnull(memmem(n.data, n.len, "/DA", 3));
	pdf_normalized_cleanup(&n);

	memcpy(objs, xfa_objs, sizeof(objs));
	objs[0] = "<< /Type /Catalog /Pages 2 0 R /NeedsRendering true /AcroForm << /Fields [] "
		  "/XFA 4 0 R >> >>";
	make(&b, objs, 4);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_upload_normalize((unsigned char *)b.d, b.n, &n, &ei),
			 SP_ERR_UNSUPPORTED);
	ck_assert_str_eq(ei.reason, "pdf_xfa_dynamic");
	ck_assert_ptr_null(n.data);

	/* an unsigned form without XFA is not touched by this */
	objs[0] = "<< /Type /Catalog /Pages 2 0 R /NeedsRendering true /AcroForm << /Fields [] "
		  ">> >>";
	make(&b, objs, 4);
	ck_assert_int_eq(pdf_upload_normalize((unsigned char *)b.d, b.n, &n, NULL), SP_OK);
	ck_assert_int_eq(n.xfa_removed, 0);
	pdf_normalized_cleanup(&n);
}
END_TEST

/*
 * Adobe's usage rights (/Perms /UR3, a signature by Adobe over the bytes as
 * the author saved them, enabling Reader's extended features): the rewrite
 * breaks that signature, and Reader would open the contract saying it was
 * changed and its features are gone. They go with the rewrite (as iText's
 * removeUsageRights does), /Perms with them when nothing else is in it; a
 * /DocMDP beside them stays.
 */
START_TEST(usage_rights_dropped)
{
	static const char *const ur_objs[] = {
		"<< /Type /Catalog /Pages 2 0 R /Perms << /UR3 4 0 R >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
		"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /Name (ARE "
		"Acrobat Product v8.0 P23 0002337) /ByteRange [0 10 20 30] /Contents <3082> "
		"/Reference [<< /Type /SigRef /TransformMethod /UR3 /TransformParams << /Type "
		"/TransformParams /V /2.2 /Document [/FullSave] /Form [/FillIn /Add] /Signature "
		"[/Modify] >> >>] >>",
	};
	const char *objs[4];
	struct pbuf b;
	struct pdf_normalized n;
	struct sp_errinfo ei;

	memcpy(objs, ur_objs, sizeof(objs));
	make(&b, objs, 4);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize((unsigned char *)b.d, b.n, &n, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_int_eq(n.kept, 0);
	ck_assert_ptr_null(memmem(n.data, n.len, "/UR3", 4));
	ck_assert_ptr_null(memmem(n.data, n.len, "/Perms", 6));
	ck_assert_ptr_null(memmem(n.data, n.len, "ARE Acrobat", 11));
	pdf_normalized_cleanup(&n);

	objs[0] = "<< /Type /Catalog /Pages 2 0 R /Perms << /UR 4 0 R /DocMDP 4 0 R >> >>";
	make(&b, objs, 4);
	ck_assert_int_eq(pdf_upload_normalize((unsigned char *)b.d, b.n, &n, NULL), SP_OK);
	ck_assert_ptr_null(memmem(n.data, n.len, "/UR ", 4));
	ck_assert_ptr_nonnull(memmem(n.data, n.len, "/DocMDP", 7));
	pdf_normalized_cleanup(&n);
}
END_TEST

/* b with pre put before its first byte and post after its last (into o). */
static void
wrap(const struct pbuf *b, const char *pre, const char *post, struct pbuf *o)
{
	o->n = 0;
	add(o, pre);
	ck_assert(o->n + b->n < sizeof(o->d));
	memcpy(o->d + o->n, b->d, b->n);
	o->n += b->n;
	add(o, post);
}

/* The normalized upload of d, checked as the signing step opens it (undamaged, no pre). */
static void
assert_normalized(const char *d, size_t len, int pages, const char *gone)
{
	struct pdf_normalized n;
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info info;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize((const unsigned char *)d, len, &n, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_int_eq(n.kept, 0);
	ck_assert_int_eq(n.pages, pages);
	ck_assert(memcmp(n.data, "%PDF-", 5) == 0);
	ck_assert_ptr_null(memmem(n.data, n.len, gone, strlen(gone)));
	ck_assert_int_eq(pdf_doc_open(n.data, n.len, &doc, &ei), SP_OK);
	pdf_doc_info_get(doc, &info);
	ck_assert_int_eq(info.damaged, 0);
	pdf_doc_free(doc);
	pdf_normalized_cleanup(&n);
}

/*
 * Bytes before %PDF- (a mail gateway's or web server's header, a byte order
 * mark: within the first 1024 bytes every viewer and qpdf read the file, its
 * offsets counted from the header): an unsigned upload is rewritten without
 * them, as every unsigned upload is rewritten; a signed one cannot be (its
 * signatures' byte ranges, and the offsets our update would write, would not
 * read the same in every validator) and is refused saying why.
 */
START_TEST(bytes_before_the_header)
{
	static const char pre[] = "Content-Type: application/pdf\r\n\r\n";
	struct pbuf b, s, big;
	struct pdf_normalized n;
	struct sp_errinfo ei;
	size_t i;

	make(&b, unsigned_objs, 5);
	wrap(&b, pre, "", &s);
	assert_normalized(s.d, s.n, 2, "Content-Type");
	wrap(&b, "\xef\xbb\xbf", "", &s); /* a UTF-8 byte order mark */
	assert_normalized(s.d, s.n, 2, "\xef\xbb\xbf");
	/* signed: refused, the header's place named */
	make(&b, signed_objs, 6);
	wrap(&b, pre, "", &s);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_upload_normalize((unsigned char *)s.d, s.n, &n, &ei), SP_ERR_PDF);
	ck_assert_str_eq(ei.reason, "pdf_unreadable");
	ck_assert_msg(strstr(ei.msg, "33 bytes before its %PDF- header") != NULL, "%s", ei.msg);
	ck_assert_ptr_null(n.data);
	/* past the first 1024 bytes it is no PDF, as before */
	make(&b, unsigned_objs, 5);
	big.n = 0;
	for (i = 0; i < 1100; i++)
		add(&big, " ");
	ck_assert(big.n + b.n < sizeof(big.d));
	memcpy(big.d + big.n, b.d, b.n);
	big.n += b.n;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_upload_normalize((unsigned char *)big.d, big.n, &n, &ei), SP_ERR_PDF);
	ck_assert_str_eq(ei.reason, "pdf_unreadable");
	ck_assert_str_eq(ei.msg, "the upload is not a PDF (no %PDF- header at its start)");
}
END_TEST

/*
 * What comes after the last %%EOF: a web application's page appended to the
 * download, more than the last KiB (where startxref is looked for), or a
 * writer that left out startxref: the file is whole, qpdf reconstructs it and
 * the rewrite repairs an unsigned upload. An update that starts after the
 * last %%EOF and has none of its own is a file cut short: refused, as is a
 * signed file that would need the repair.
 */
START_TEST(what_comes_after_the_end)
{
	struct pbuf b, s;
	struct pdf_normalized n;
	struct sp_errinfo ei;
	char *sx;
	size_t i;

	make(&b, unsigned_objs, 5);
	s = b;
	for (i = 0; i < 40; i++)
		add(&s, "<div class=\"footer\">Download complete</div>\n");
	assert_normalized(s.d, s.n, 2, "footer");
	/* no startxref: the %%EOF is there */
	s = b;
	sx = memmem(s.d, s.n, "startxref", 9);
	ck_assert_ptr_nonnull(sx);
	memmove(sx, strstr(sx, "%%EOF"), s.d + s.n - strstr(sx, "%%EOF"));
	s.n -= (size_t)(strstr(sx, "%%EOF") - sx);
	ck_assert_ptr_null(memmem(s.d, s.n, "startxref", 9));
	assert_normalized(s.d, s.n, 2, "SHADOW");
	/* an update after the last %%EOF that has no end of its own, past the last KiB
	   (qpdf reconstructs the file from every object it finds, the update's too):
	   cut short */
	s = b;
	add(&s,
	    "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] >>\nendobj\n6 0 obj\n(");
	for (i = 0; i < 1100; i++)
		add(&s, "x");
	add(&s, ")\nendobj\nxref\n0 1\n0000000000 65535 f \n3 1\n");
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_upload_normalize((unsigned char *)s.d, s.n, &n, &ei), SP_ERR_PDF);
	ck_assert_str_eq(ei.reason, "pdf_damaged");
	ck_assert_ptr_nonnull(strstr(ei.msg, "cut short"));
	/* signed, with the page appended: the repair would break its signature */
	make(&b, signed_objs, 6);
	s = b;
	for (i = 0; i < 40; i++)
		add(&s, "<div class=\"footer\">Download complete</div>\n");
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_upload_normalize((unsigned char *)s.d, s.n, &n, &ei), SP_ERR_PDF);
	ck_assert_str_eq(ei.reason, "pdf_damaged");
	ck_assert_ptr_nonnull(strstr(ei.msg, "signed"));
}
END_TEST

/* 1 when the normalized upload's AcroForm still has /NeedAppearances. */
static int
still_needs(const struct pdf_normalized *n)
{
	qpdf_data q = qpdf_init();
	int has;

	ck_assert(
		!(qpdf_read_memory(q, "n.pdf", (const char *)n->data, n->len, NULL) & QPDF_ERRORS));
	has = qpdf_oh_has_key(q, qpdf_oh_get_key(q, qpdf_get_root(q), "/AcroForm"),
			      "/NeedAppearances");
	qpdf_cleanup(&q);
	return has;
}

/*
 * A form that asks viewers to draw its fields (/NeedAppearances true): Adobe
 * Reader and poppler then draw no signature's seal either. When every field
 * with a value has its appearance the key goes with the rewrite (what every
 * other viewer shows stays); a value without one is refused, naming the field.
 */
START_TEST(forms_that_ask_viewers_to_draw_them)
{
	static const char *const drawn[] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /NeedAppearances "
		"true >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
		"<< /Type /Annot /Subtype /Widget /FT /Tx /T (amount) /V (1000 EUR) /Rect [300 100 "
		"450 120] /P 3 0 R /AP << /N 5 0 R >> >>",
		"<< /Type /XObject /Subtype /Form /BBox [0 0 150 20] /Length 0 >>\nstream\n\n"
		"endstream",
	};
	static const char *const undrawn[] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 5 0 R] "
		"/NeedAppearances true >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R 6 0 R] >>",
		/* an empty signature field and an empty text field need nothing drawn */
		"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Buyer) /Rect [0 0 0 0] /P 3 0 R >>",
		"<< /FT /Tx /T <FEFF753265B9> /V <FEFF5317 4EAC> /Kids [6 0 R] >>",
		"<< /Type /Annot /Subtype /Widget /Parent 5 0 R /Rect [300 100 450 120] /P 3 0 R "
		">>",
	};
	struct pbuf b;
	struct pdf_normalized n;
	struct sp_errinfo ei;

	make(&b, drawn, 5);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize((unsigned char *)b.d, b.n, &n, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_int_eq(still_needs(&n), 0);
	ck_assert_ptr_nonnull(memmem(n.data, n.len, "1000 EUR", 8));
	pdf_normalized_cleanup(&n);
	/* the value of a field its widget has no appearance for (a kid of the field) */
	make(&b, undrawn, 6);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_upload_normalize((unsigned char *)b.d, b.n, &n, &ei),
			 SP_ERR_UNSUPPORTED);
	ck_assert_str_eq(ei.reason, "pdf_need_appearances");
	ck_assert_msg(strstr(ei.msg, "field \"\xe7\x94\xb2\xe6\x96\xb9\" has a value") != NULL,
		      "%s", ei.msg);
	ck_assert_ptr_null(n.data);
	/* emptied, it needs nothing drawn: the key goes */
	{
		const char *e[6];
		memcpy(e, undrawn, sizeof(e));
		e[4] = "<< /FT /Tx /T (buyer) /V () /Kids [6 0 R] >>";
		make(&b, e, 6);
	}
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize((unsigned char *)b.d, b.n, &n, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_int_eq(still_needs(&n), 0);
	pdf_normalized_cleanup(&n);
	/* without the key nothing changes: an unsigned form with a value and no appearance */
	{
		const char *e[6];
		memcpy(e, undrawn, sizeof(e));
		e[0] = "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 5 0 R] >> >>";
		make(&b, e, 6);
	}
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize((unsigned char *)b.d, b.n, &n, &ei) == SP_OK, "%s",
		      ei.msg);
	pdf_normalized_cleanup(&n);
}
END_TEST

/*
 * LZWDecode data of rounds tables of a run of zeros (PDF's LZW, EarlyChange
 * 1): each table's 3,836 codes, some 5.8 KB, decode to 7.36 MB. Into *n.
 */
static unsigned char *
lzw_zeros(int rounds, size_t *n)
{
	unsigned char *b = malloc((size_t)rounds * 6000 + 16);
	unsigned long long bits = 0;
	int nb = 0, width = 9, next = 258, r, code, first;
	size_t k = 0;

	ck_assert_ptr_nonnull(b);
	for (r = 0; r <= rounds; r++) {
		/* a clear code, then 0, 258, 259, ... (each the one before and a zero) */
		for (code = r < rounds ? 256 : 257, first = 1; code != -1;) {
			bits = bits << width | (unsigned)code;
			nb += width;
			while (nb >= 8)
				b[k++] = (unsigned char)(bits >> (nb -= 8));
			bits &= (1ull << nb) - 1;
			if (code == 257)
				break;
			if (code == 256) {
				width = 9;
				next = 258;
				code = 0;
				continue;
			}
			next += !first;
			first = 0;
			if (next + 1 >= 1 << width && width < 12)
				width++;
			code = next < 4094 ? (code == 0 ? 258 : code + 1) : -1;
		}
	}
	if (nb > 0)
		b[k++] = (unsigned char)(bits << (8 - nb));
	*n = k;
	return b;
}

/*
 * review54: what a 1 MB upload costs the worker that normalizes it. qpdf's
 * writer, by default, decodes every stream in a filter it knows (LZW,
 * RunLength, hex, base-85) and compresses it again with Flate: 40 tables of
 * LZW (216 KB) are 294 MB of zeros inflated and deflated, 1.1 MB of LZW 5.2 s
 * of CPU. A seal application's scan (10 MB, any member, sec51) or a contract
 * (256 MB) is then minutes of a worker. Kept as it came, the stream costs
 * nothing.
 */
START_TEST(upload_of_a_compressed_bomb_is_cheap)
{
	static const char head[] = "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
				   "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
				   "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
				   "/Contents 4 0 R >>\nendobj\n";
	size_t n, k, off[4], xref;
	unsigned char *lzw = lzw_zeros(40, &n);
	char *pdf = malloc(n + 1024);
	struct pdf_normalized out;
	struct sp_errinfo ei;
	struct timespec t0, t1;
	double cpu;
	int rc;

	ck_assert_ptr_nonnull(pdf);
	memcpy(pdf, head, sizeof(head) - 1);
	k = sizeof(head) - 1;
	off[0] = 9;
	off[1] = (size_t)(strstr(pdf, "2 0 obj") - pdf);
	off[2] = (size_t)(strstr(pdf, "3 0 obj") - pdf);
	off[3] = k;
	k += (size_t)sprintf(pdf + k, "4 0 obj\n<< /Length %zu /Filter /LZWDecode >>\nstream\n", n);
	memcpy(pdf + k, lzw, n);
	k += n;
	k += (size_t)sprintf(pdf + k, "\nendstream\nendobj\n");
	xref = k;
	k += (size_t)sprintf(pdf + k, "xref\n0 5\n0000000000 65535 f \n");
	for (rc = 0; rc < 4; rc++)
		k += (size_t)sprintf(pdf + k, "%010zu 00000 n \n", off[rc]);
	k += (size_t)sprintf(pdf + k,
			     "trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", xref);
	sp_errinfo_init(&ei);
	memset(&out, 0, sizeof(out));
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	rc = pdf_upload_normalize((unsigned char *)pdf, k, &out, &ei);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	cpu = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(cpu < 0.25,
		      "a %zu-byte upload cost %.2f s of CPU to normalize (rc %d, %zu bytes stored)",
		      k, cpu, rc, out.len);
	pdf_normalized_cleanup(&out);
	free(pdf);
	free(lzw);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_normalize");
	TCase *tc = tcase_create("core"), *cost = tcase_create("cost");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, unsigned_upload_rewritten_deterministically);
	tcase_add_test(tc, earlier_revisions_are_dropped);
	tcase_add_test(tc, signed_upload_kept_byte_for_byte);
	tcase_add_test(tc, refs_of_the_upload_are_what_a_walk_finds);
	tcase_add_test(tc, bad_uploads_refused_with_a_reason);
	tcase_add_test(tc, damaged_unsigned_upload_repaired);
	tcase_add_test(tc, xfa_forms);
	tcase_add_test(tc, usage_rights_dropped);
	tcase_add_test(tc, owner_password_uploads);
	tcase_add_test(tc, bytes_before_the_header);
	tcase_add_test(tc, what_comes_after_the_end);
	tcase_add_test(tc, forms_that_ask_viewers_to_draw_them);
	pdf_normalize_active_add(tc);
	pdf_normalize_hidden_add(tc);
	suite_add_tcase(s, tc);
	/* measured in CPU seconds, which a loaded machine's wall clock may take many times */
	tcase_set_timeout(cost, 120);
	tcase_add_test(cost, upload_of_a_compressed_bomb_is_cheap);
	suite_add_tcase(s, cost);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
