/*
 * test_verify_quirks.c: the quirks real generators leave in their files and
 * validators tolerate, made from a LibreOffice contract (the fixture
 * mixed.pdf: TrueType subsets, Chinese keywords, two pages) rewritten the
 * way careless writers write: cross-reference offsets a few bytes off,
 * 19-byte entries, CRLF or CR-only line ends ("stream" followed by CR alone
 * too), a first subsection "1 N", startxref missing or wrong, a web page or a
 * second %%EOF after the end, bytes before %PDF-, object 0 of generation 0,
 * an object number listed twice, a wrong /Length, page attributes inherited
 * with /Rotate and a /CropBox, /UserUnit, /Annots as one indirect array two
 * pages share, an empty signature field, Word's hybrid reference (an xref
 * table and /XRefStm), WPS Office's /Info in UTF-16BE with a byte order
 * mark, /NeedAppearances true (PDFBOX-3738:
 * Adobe Reader and poppler then draw no seal). Each goes
 * the way an upload does (pdf_upload_normalize), is signed twice with
 * keyword, date and seam seals, and is checked as a person would: our
 * verifier, pdfsig and qpdf --check agree, and pdftoppm's picture shows the
 * seal where the keyword is.
 */
#include <qpdf/qpdf-c.h>

#include "test_verify_world.h"

/* ==== the contract's objects, and writing them back with quirks ==== */

struct obj {
	int num;
	unsigned char *body; /* between "N 0 obj" + EOL and the EOL before "endobj" */
	size_t len;
};

static struct obj objs[64];
static int nobjs;
static char trailer[512]; /* the dictionary, without "trailer" */

struct bbuf {
	unsigned char *p;
	size_t n, cap;
};

static void
put(struct bbuf *b, const void *p, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = 2 * (b->n + n) + 4096;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void
puts_(struct bbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void putf(struct bbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
putf(struct bbuf *b, const char *fmt, ...)
{
	char t[1024];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	ck_assert(k >= 0 && (size_t)k < sizeof(t));
	put(b, t, (size_t)k);
}

static int
cmp_off(const void *a, const void *b)
{
	const size_t *x = a, *y = b;

	return (x[0] > y[0]) - (x[0] < y[0]);
}

/* mixed.pdf's objects, read through its one xref table (offsets, in use). */
static void
contract_read(void)
{
	char path[512];
	unsigned char *d;
	size_t n, x, off[64][2], k = 0, i, end, first, cnt, j;
	const char *src = getenv("SEALPACT_SOURCE_DIR");
	char *p, *t;

	snprintf(path, sizeof(path), "%s/tests/fixtures/contracts/mixed.pdf", src ? src : "../..");
	d = read_file(path, &n);
	ck_assert_ptr_nonnull(d);
	p = (char *)d + n - 64;
	p = memmem(p, 64, "startxref", 9);
	ck_assert_ptr_nonnull(p);
	x = (size_t)atol(p + 10);
	ck_assert(memcmp(d + x, "xref\n", 5) == 0);
	p = (char *)d + x + 5;
	while (sscanf(p, "%zu %zu", &first, &cnt) == 2 && strncmp(p, "trailer", 7)) {
		p = strchr(p, '\n') + 1;
		for (j = 0; j < cnt; j++, p += 20)
			if (p[17] == 'n' && k < 64) {
				off[k][0] = (size_t)atol(p);
				off[k++][1] = first + j;
			}
	}
	t = strstr(p, "<<");
	ck_assert_ptr_nonnull(t);
	snprintf(trailer, sizeof(trailer), "%.*s", (int)(strstr(t, "startxref") - t - 1), t);
	qsort(off, k, sizeof(off[0]), cmp_off);
	for (i = 0; i < k; i++) {
		unsigned char *s = d + off[i][0], *e;
		end = i + 1 < k ? off[i + 1][0] : x;
		s = (unsigned char *)strchr((char *)s, '\n') + 1; /* after "N 0 obj" */
		for (e = d + end - 6; memcmp(e, "endobj", 6) != 0; e--)
			;
		while (e[-1] == '\n' || e[-1] == '\r')
			e--;
		objs[nobjs].num = (int)off[i][1];
		objs[nobjs].len = (size_t)(e - s);
		objs[nobjs].body = malloc(objs[nobjs].len + 1);
		memcpy(objs[nobjs].body, s, objs[nobjs].len);
		objs[nobjs].body[objs[nobjs].len] = 0;
		nobjs++;
	}
	free(d);
}

/* How a careless writer writes the contract back. */
struct quirk {
	const char *name;
	const char *eol;    /* line ends outside stream data: "\n" by default */
	const char *entry;  /* the two bytes ending an xref entry: " \n" by default */
	int stream_cr;      /* "stream" followed by CR alone (eol "\r") */
	int sub_first;      /* the first subsection's first number (1: old generators) */
	int off_delta;      /* added to every in-use entry's offset */
	const char *pre;    /* bytes before %PDF- (offsets still count from the header) */
	const char *post;   /* bytes after %%EOF */
	int startxref;      /* 0: as written; -1: left out; else added to its value */
	int free0_gen0;     /* object 0's entry of generation 0 */
	int dup;            /* a second subsection lists object 29 again, at another body */
	const char *set[6]; /* "N body": object N replaced or added (N > 31) */
	int hybrid;   /* Word's hybrid reference: object streams, an xref table for the rest whose
		       trailer's /XRefStm points at the xref stream */
	int no_kw2;   /* the second signer's keyword is too near the edge: seam only */
	int fields;   /* signature fields the file brings */
	int repaired; /* qpdf reconstructs it, or our startxref check fails: the rewrite repairs it */
	const char *title; /* /Info /Title as UTF-8, which the signed file still says */
};

/* Line ends of s (not stream data) made eol. */
static void
put_eol(struct bbuf *b, const unsigned char *s, size_t n, const char *eol)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		if (s[i] == '\n' || s[i] == '\r')
			puts_(b, eol);
		else
			put(b, s + i, 1);
	}
}

static void
put_body(struct bbuf *b, const unsigned char *s, size_t n, const struct quirk *q)
{
	const unsigned char *st = memmem(s, n, "stream\n", 7), *es;
	const char *eol = q->eol ? q->eol : "\n";

	es = st ? memmem(st, n - (size_t)(st - s), "endstream", 9) : NULL;
	for (; es && memmem(es + 9, n - (size_t)(es + 9 - s), "endstream", 9);)
		es = memmem(es + 9, n - (size_t)(es + 9 - s), "endstream", 9);
	if (!st || !es) {
		put_eol(b, s, n, eol);
		return;
	}
	put_eol(b, s, (size_t)(st - s), eol);
	/* ISO 32000-1 §7.3.8.1 wants CRLF or LF after "stream"; old Mac writers wrote CR */
	puts_(b, q->stream_cr ? "stream\r" : strcmp(eol, "\r") ? "stream" : "stream\r\n");
	if (!q->stream_cr && strcmp(eol, "\r"))
		puts_(b, eol);
	put(b, st + 7, (size_t)(es - (st + 7)));
	put_eol(b, es, n - (size_t)(es - s), eol);
}

/*
 * d (malloc'd, *n bytes) as Word writes it, a hybrid-reference file (ISO
 * 32000-1 §7.5.8.4): qpdf puts its objects in object streams listed by a
 * cross-reference stream; then a classic table lists the objects outside
 * them (not the others, which a reader of the table alone never sees) and
 * its trailer's /XRefStm points at the stream. Replaces d.
 */
static unsigned char *
hybridize(unsigned char *d, size_t *n)
{
	struct bbuf b = { 0 };
	unsigned char *o;
	char *xr, *line, *sx, id[200];
	size_t on, xn, off[64] = { 0 }, x;
	int num, gen, size = 0, i, run0;
	long long xs;
	qpdf_data q = qpdf_init();

	write_file(vc_path("hyb_in.pdf"), d, *n);
	free(d);
	ck_assert_int_eq(run("cd %s && qpdf --object-streams=generate --compress-streams=n "
			     "hyb_in.pdf "
			     "hyb_os.pdf && qpdf --show-xref hyb_os.pdf >hyb_xref.txt",
			     vc_dir),
			 0);
	o = read_file(vc_path("hyb_os.pdf"), &on);
	xr = (char *)read_file(vc_path("hyb_xref.txt"), &xn);
	for (line = strtok(xr, "\n"); line; line = strtok(NULL, "\n")) {
		ck_assert(sscanf(line, "%d/%d", &num, &gen) == 2 && num < 64);
		if (strstr(line, "uncompressed; offset = "))
			off[num] = (size_t)atol(strstr(line, "= ") + 2);
		if (num >= size)
			size = num + 1;
	}
	sx = memmem(o + on - 64, 64, "startxref", 9);
	ck_assert_ptr_nonnull(sx);
	xs = atoll(sx + 10);
	/* the table leaves out the xref stream itself, as Word's does */
	ck_assert(sscanf((char *)o + xs, "%d", &num) == 1);
	off[num] = 0;
	/* the trailer's /Root and /ID, from the stream's dictionary */
	ck_assert(!(qpdf_read_memory(q, "os.pdf", (const char *)o, on, NULL) & QPDF_ERRORS));
	snprintf(id, sizeof(id), "/Root %d 0 R /ID %s",
		 qpdf_oh_get_object_id(q, qpdf_oh_get_key(q, qpdf_get_trailer(q), "/Root")),
		 qpdf_oh_unparse(q, qpdf_oh_get_key(q, qpdf_get_trailer(q), "/ID")));
	qpdf_cleanup(&q);
	put(&b, o, (size_t)((unsigned char *)sx - o));
	x = b.n;
	puts_(&b, "xref\n0 1\n0000000000 65535 f \n");
	for (i = 1; i < size; i = run0) {
		for (; i < size && !off[i]; i++)
			;
		for (run0 = i; run0 < size && off[run0]; run0++)
			;
		if (run0 > i)
			putf(&b, "%d %d\n", i, run0 - i);
		for (num = i; num < run0; num++)
			putf(&b, "%010zu 00000 n \n", off[num]);
	}
	putf(&b, "trailer\n<< /Size %d %s /XRefStm %lld >>\nstartxref\n%zu\n%%%%EOF\n", size, id,
	     xs, x);
	free(o);
	free(xr);
	*n = b.n;
	return b.p;
}

static unsigned char *
write_quirky(const struct quirk *q, size_t *outn)
{
	struct bbuf b = { 0 };
	const char *eol = q->eol ? q->eol : "\n", *entry = q->entry ? q->entry : " \n";
	size_t off[64] = { 0 }, hdr, xref, alt = 0;
	int i, k, size = 0, nums[64];
	const unsigned char *body[64];
	size_t blen[64];

	for (i = 0; i < nobjs; i++) {
		nums[i] = objs[i].num;
		body[i] = objs[i].body;
		blen[i] = objs[i].len;
	}
	k = nobjs;
	for (i = 0; i < 6 && q->set[i]; i++) {
		int num = atoi(q->set[i]), j;
		const char *s = strchr(q->set[i], ' ') + 1;
		for (j = 0; j < k && nums[j] != num; j++)
			;
		if (j == k)
			k++;
		nums[j] = num;
		body[j] = (const unsigned char *)s;
		blen[j] = strlen(s);
	}
	if (q->pre)
		puts_(&b, q->pre);
	hdr = b.n;
	puts_(&b, "%PDF-1.6");
	puts_(&b, eol);
	puts_(&b, "%\xe2\xe3\xcf\xd3");
	puts_(&b, eol);
	for (i = 0; i < k; i++) {
		off[nums[i]] = b.n - hdr;
		putf(&b, "%d 0 obj%s", nums[i], eol);
		put_body(&b, body[i], blen[i], q);
		putf(&b, "%sendobj%s", eol, eol);
		if (nums[i] >= size)
			size = nums[i] + 1;
	}
	if (q->dup) {
		/* another object 29: every font the Latin one, which no reader should use */
		alt = b.n - hdr;
		putf(&b,
		     "29 0 obj%s<</Font<</F1 12 0 R/F2 12 0 R/F3 12 0 R/F4 12 0 R>> "
		     "/ProcSet[/PDF/Text] >>%sendobj%s",
		     eol, eol, eol);
	}
	xref = b.n - hdr;
	putf(&b, "xref%s%d %d%s", eol, q->sub_first, size, eol);
	putf(&b, "0000000000 %s f%s", q->free0_gen0 ? "00000" : "65535", entry);
	for (i = 1; i < size; i++) {
		if (off[i])
			putf(&b, "%010zu 00000 n%s", off[i] + (size_t)q->off_delta, entry);
		else
			putf(&b, "0000000000 65535 f%s", entry);
	}
	if (q->dup)
		putf(&b, "29 1%s%010zu 00000 n%s", eol, alt, entry);
	putf(&b, "trailer%s", eol);
	{
		/* the contract's trailer, its /Size what this file has */
		const char *sz = strstr(trailer, "/Size ");
		put_eol(&b, (const unsigned char *)trailer, (size_t)(sz - trailer), eol);
		putf(&b, "/Size %d", size);
		for (sz += 6; *sz >= '0' && *sz <= '9'; sz++)
			;
		put_eol(&b, (const unsigned char *)sz, strlen(sz), eol);
	}
	puts_(&b, eol);
	if (q->startxref != -1)
		putf(&b, "startxref%s%zu%s", eol, xref + (size_t)q->startxref, eol);
	putf(&b, "%%%%EOF%s", eol);
	if (q->post)
		puts_(&b, q->post);
	*outn = b.n;
	return q->hybrid ? hybridize(b.p, outn) : b.p;
}

/* ==== signing as the platform does, and looking at the result ==== */

static struct pdf_seal seal;

/*
 * Sign d as who with the placements (the in-process path of a prepare and a
 * completion: pdf_sig_prepare, the token's signature over the signed
 * attributes, the CMS, pdf_sig_fill). The widgets the placements resolved to
 * go to *w (the caller's, free()).
 */
static unsigned char *
sign_placed(const unsigned char *d, size_t n, const char *who, const struct pdf_placement *pl,
	    size_t npl, struct pdf_widget_rect **w, size_t *nw, size_t *outn)
{
	struct pdf_sig_params par = { .signing_time = time(NULL), .utc_offset_min = 480 };
	struct pdf_sig_prepared p;
	struct sp_errinfo ei;
	struct pdf_doc *doc = NULL;
	enum crypto_sigalg alg;
	X509 *cert = vc_cert(who);
	EVP_PKEY *key = vc_key(who);
	uint8_t *attrs = NULL, sig[CRYPTO_SIG_MAX], *cms = NULL;
	size_t alen = 0, siglen, cmslen = 0;
	unsigned char *out;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_sigalg_for_cert(cert, &alg, &ei), SP_OK);
	ck_assert_msg(pdf_doc_open(d, n, &doc, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(pdf_placements_resolve(doc, &seal, 1, pl, npl, w, nw, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_msg(pdf_sig_prepare(doc, &par, &seal, 1, pl, npl, &p, &ei) == SP_OK, "%s",
		      ei.msg);
	pdf_doc_free(doc);
	ck_assert_int_eq(crypto_cms_signed_attrs(cert, alg, p.sha256, 32, &attrs, &alen, &ei),
			 SP_OK);
	siglen = vc_token_sign(key, alg, attrs, alen, sig);
	ck_assert_int_eq(crypto_cms_assemble(cert, NULL, attrs, alen, sig, siglen, NULL, 0, &cms,
					     &cmslen, &ei),
			 SP_OK);
	ck_assert_int_eq(pdf_sig_fill(p.data, p.len, p.contents_off, p.contents_len, cms, cmslen,
				      &ei),
			 SP_OK);
	out = p.data;
	*outn = p.len;
	p.data = NULL; /* transferred */
	pdf_sig_prepared_cleanup(&p);
	free(attrs);
	free(cms);
	X509_free(cert);
	EVP_PKEY_free(key);
	return out;
}

/*
 * The share of seal-red pixels in view (displayed points, bottom-left origin)
 * of page 1 of file as pdftoppm draws it at 60 dpi, over a page of width
 * points shown (so /UserUnit scales both alike, whether the renderer applies
 * it or not).
 */
static double
red_share(const char *file, double width, struct pdf_rect view)
{
	unsigned char *px;
	size_t n, x, y, red = 0, total = 0, w, h, hdr;
	double s;
	char *p;

	ck_assert_int_eq(run("cd %s && pdftoppm -r 60 -f 1 -l 1 -singlefile %s render", vc_dir,
			     file),
			 0);
	px = read_file(vc_path("render.ppm"), &n);
	ck_assert(sscanf((char *)px, "P6 %zu %zu 255", &w, &h) == 2);
	p = strstr((char *)px, "255") + 4;
	hdr = (size_t)((unsigned char *)p - px);
	s = (double)w / width;
	for (y = (size_t)fmax(h - view.y1 * s, 0); y < (size_t)fmin(h - view.y0 * s, h); y++)
		for (x = (size_t)fmax(view.x0 * s, 0); x < (size_t)fmin(view.x1 * s, w); x++) {
			const unsigned char *c = px + hdr + 3 * (y * w + x);
			total++;
			red += c[0] > 150 && c[1] < 120 && c[2] < 120;
		}
	free(px);
	return total ? (double)red / (double)total : 0;
}

/* a portal's paragraph: eight of them put over 1 KiB after %%EOF */
#define PORTAL_P \
	"<p>Your download is complete. Thank you for using our document portal; " \
	"the contract above is the version the parties agreed.</p>"

/* The quirky contracts: each a careless writer's way of writing it. */
static const struct quirk quirks[] = {
	{ .name = "as_written" },
	{ .name = "offsets_3_late", .repaired = 1, .off_delta = 3 },
	{ .name = "entries_19_bytes", .entry = "\n" },
	{ .name = "crlf", .eol = "\r\n", .entry = "\r\n" },
	{ .name = "cr_only", .eol = "\r", .entry = " \r" },
	{ .name = "cr_only_stream_cr", .eol = "\r", .entry = " \r", .stream_cr = 1 },
	{ .name = "subsection_1_n", .repaired = 1, .sub_first = 1 },
	{ .name = "no_startxref", .repaired = 1, .startxref = -1 },
	{ .name = "startxref_wrong", .repaired = 1, .startxref = 7 },
	{ .name = "web_page_after_eof",
	  .repaired = 1,
	  .post = "<html><body>" PORTAL_P PORTAL_P PORTAL_P PORTAL_P PORTAL_P PORTAL_P PORTAL_P
		  PORTAL_P "</body></html>\n" },
	{ .name = "second_eof", .post = "\n%%EOF\n" },
	{ .name = "nuls_after_eof", .post = "\r\n\0\0\0\0" },
	{ .name = "bytes_before_header",
	  .repaired = 1,
	  .pre = "Content-Type: application/pdf\r\n\r\n" },
	{ .name = "free_object_0_generation_0", .free0_gen0 = 1 },
	{ .name = "object_listed_twice", .dup = 1 },
	{ .name = "length_short", .set = { "3 700" } },
	{ .name = "length_long", .set = { "3 800" } },
	{ .name = "inherited_rotate_crop",
	  .set = { "1 <</Type/Page/Parent 7 0 R/Contents 2 0 R/CropBox[40 60 560 800]>>",
		   "4 <</Type/Page/Parent 7 0 R/Contents 5 0 R>>",
		   "7 <</Type/Pages /Resources 29 0 R /MediaBox[ 0 0 595.303937007874 "
		   "841.889763779528 ] /Rotate 90 /Kids[ 1 0 R 4 0 R ] /Count 2>>" },
	  .no_kw2 = 1 },
	{ .name = "rotate_180_270",
	  .set = { "1 <</Type/Page/Parent 7 0 R/Contents 2 0 R/CropBox[40 60 560 800]/Rotate 180>>",
		   "4 <</Type/Page/Parent 7 0 R/Contents 5 0 R>>",
		   "7 <</Type/Pages /Resources 29 0 R /MediaBox[ 0 0 595.303937007874 "
		   "841.889763779528 ] /Rotate 270 /Kids[ 1 0 R 4 0 R ] /Count 2>>" },
	  .no_kw2 = 1 },
	{ .name = "user_unit",
	  .set = { "1 <</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
		   "841.889763779528]/UserUnit 2/Contents 2 0 R>>" } },
	{ .name = "annots_shared_indirect",
	  .set = { "1 <</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
		   "841.889763779528]/Annots 32 0 R/Contents 2 0 R>>",
		   "4 <</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
		   "841.889763779528]/Annots 32 0 R/Contents 5 0 R>>",
		   "32 [33 0 R]",
		   "33 <</Type/Annot/Subtype/Link/Rect[50 50 150 70]/Border[0 0 1]"
		   "/A<</S/URI/URI(https://example.com)>>>>" } },
	{ .name = "empty_signature_field",
	  .set = { "1 <</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
		   "841.889763779528]/Annots[32 0 R]/Contents 2 0 R>>",
		   "30 <</Type/Catalog/Pages 7 0 R /OpenAction[1 0 R /XYZ null null 0] "
		   "/Lang(en-US) /AcroForm<</Fields[32 0 R]/SigFlags 1>> >>",
		   "32 <</Type/Annot/Subtype/Widget/FT/Sig/T(Buyer)/F 4/Rect[300 100 450 160]/P 1 "
		   "0 "
		   "R/MK<</BC[0 0 1]>>>>" },
	  .fields = 1 },
	{ .name = "need_appearances",
	  .set = { "1 <</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
		   "841.889763779528]/Annots[32 0 R]/Contents 2 0 R>>",
		   "30 <</Type/Catalog/Pages 7 0 R /OpenAction[1 0 R /XYZ null null 0] "
		   "/Lang(en-US) /AcroForm<</Fields[32 0 R]/NeedAppearances true/DA(/Helv 0 Tf 0 "
		   "g)/DR<</Font<</Helv 33 0 R>>>> >> >>",
		   "32 <</Type/Annot/Subtype/Widget/FT/Tx/T(amount)/V(1000 EUR)/F 4/Rect[300 100 "
		   "450 120]/P 1 0 R/DA(/Helv 12 Tf 0 g)/AP<</N 34 0 R>>>>",
		   "33 <</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
		   "34 <</Type/XObject/Subtype/Form/BBox[0 0 150 20]/Resources<</Font<</Helv 33 0 "
		   "R>>>>/Length 39>>\nstream\nBT /Helv 12 Tf 2 5 Td (1000 EUR) Tj "
		   "ET\nendstream" } },
	{ .name = "hybrid_reference", .hybrid = 1 },
	/* WPS Office's /Info: UTF-16BE with a byte order mark, hex or octal-escaped */
	{ .name = "wps_info_utf16be",
	  .set = { "31 <</Title <FEFF670D52A1534F8BAE> /Author (\\376\\377\\000W\\000P\\000S) "
		   "/Creator <FEFF005700500053002065875B57> /Producer (WPS Office) "
		   "/CreationDate (D:20261201120000+08'00') /SourceModified "
		   "(D:20261201120000+08'00')>>" },
	  .title = "服务协议" },
};

/*
 * Uploaded (normalized as every upload is), signed with a keyword seal on
 * 甲方（盖章） (every page) and a date stamp, then by a second signer with a
 * keyword seal on 乙方（盖章） and a seam seal over both pages: both
 * signatures valid for us, pdfsig and qpdf --check, and the first keyword's
 * seal drawn red over its words in pdftoppm's picture, where it was not red
 * before.
 */
START_TEST(quirky_contract_uploaded_and_signed_twice)
{
	const struct quirk *q = &quirks[_i];
	struct pdf_placement p1[2] = {
		{ .mode = PDF_PLACE_KEYWORD, .keyword = "甲方（盖章）", .occurrences = "all" },
		{ .mode = PDF_PLACE_DATE, .page = 1, .x = 100, .y = 100 },
	};
	struct pdf_placement p2[2] = {
		{ .mode = PDF_PLACE_SEAM, .pages = "all", .y = 300 },
		{ .mode = PDF_PLACE_KEYWORD, .keyword = "乙方（盖章）", .occurrences = "all" },
	};
	struct pdf_normalized nz;
	struct pdf_widget_rect *w1 = NULL, *w2 = NULL;
	struct pdf_page_info pi;
	struct pdf_doc *doc = NULL;
	struct crypto_verify_report *r;
	struct sp_errinfo ei;
	size_t n, n1, n2, nw1, nw2, i, kw = 0;
	unsigned char *d = write_quirky(q, &n), *one, *two;
	char name[96], before[96];

	snprintf(name, sizeof(name), "q_%s.pdf", q->name);
	snprintf(before, sizeof(before), "q_%s_upload.pdf", q->name);
	write_file(vc_path(before), d, n);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize(d, n, &nz, &ei) == SP_OK, "%s: %s", q->name, ei.msg);
	ck_assert_int_eq(nz.pages, 2);
	ck_assert_msg(nz.repaired == q->repaired, "%s: repaired %d", q->name, nz.repaired);
	one = sign_placed(nz.data, nz.len, "rsa", p1, 2, &w1, &nw1, &n1);
	two = sign_placed(one, n1, "ec", p2, q->no_kw2 ? 1 : 2, &w2, &nw2, &n2);
	assert_valid(two, n2, 2, name);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_int_eq(r->last_revision_signed, 1);
	crypto_verify_report_free(r);
	/* the field the file brought is still there, empty, for its own signer */
	ck_assert_int_eq(pdf_doc_open(two, n2, &doc, &ei), SP_OK);
	{
		struct pdf_doc_info info;
		pdf_doc_info_get(doc, &info);
		ck_assert_int_eq(info.nsigfields, 2 + q->fields);
		ck_assert_int_eq(info.nsigned, 2);
	}
	ck_assert_int_eq(pdf_doc_page_info(doc, 1, &pi, &ei), SP_OK);
	pdf_doc_free(doc);
	if (q->title) {
		/* the document's information as its author's tool wrote it, through both updates */
		qpdf_data qd = qpdf_init();
		qpdf_oh info;

		ck_assert(!(qpdf_read_memory(qd, name, (const char *)two, n2, NULL) & QPDF_ERRORS));
		info = qpdf_oh_get_key(qd, qpdf_get_trailer(qd), "/Info");
		ck_assert_str_eq(qpdf_oh_get_utf8_value(qd, qpdf_oh_get_key(qd, info, "/Title")),
				 q->title);
		ck_assert_str_eq(qpdf_oh_get_utf8_value(qd, qpdf_oh_get_key(qd, info, "/Author")),
				 "WPS");
		qpdf_cleanup(&qd);
	}
	write_file(vc_path(before), nz.data, nz.len);
	for (i = 0; i < nw1; i++) {
		if (w1[i].mode != PDF_PLACE_KEYWORD || w1[i].page != 1)
			continue;
		kw++;
		ck_assert_msg(red_share(name, pi.width, w1[i].view) > 0.1,
			      "%s: no seal at %.0f,%.0f", q->name, w1[i].view.x0, w1[i].view.y0);
		ck_assert_msg(red_share(before, pi.width, w1[i].view) < 0.01,
			      "%s: red before signing", q->name);
	}
	ck_assert_uint_eq(kw, 1);
	free(w1);
	free(w2);
	free(two);
	free(one);
	pdf_normalized_cleanup(&nz);
	free(d);
}
END_TEST

/* ==== files another writer signed ==== */

#define EXT_HEX 16384

/*
 * An incremental update to d as another writer writes it: object nums[i] is
 * bodies[i], where "@SIG@" becomes a /ByteRange and an empty /Contents; a
 * classic table, the trailer's /Info kept (info: another object instead).
 * Its offsets count from the header, as the file's (bytes before it).
 */
static unsigned char *
ext_update(const unsigned char *d, size_t n, const int *nums, const char *const *bodies, size_t k,
	   int info, size_t *outn)
{
	struct bbuf b = { 0 };
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info di;
	struct sp_errinfo ei;
	size_t off[8], i, x, h = (size_t)((const unsigned char *)memmem(d, n, "%PDF-", 5) - d);
	long long size;
	const char *at;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(d, n, &doc, &ei), SP_OK);
	pdf_doc_info_get(doc, &di);
	pdf_doc_free(doc);
	put(&b, d, n);
	size = di.size;
	for (i = 0; i < k; i++) {
		off[i] = b.n - h;
		putf(&b, "%d 0 obj\n", nums[i]);
		if ((at = strstr(bodies[i], "@SIG@")) != NULL) {
			put(&b, bodies[i], (size_t)(at - bodies[i]));
			puts_(&b, "/ByteRange [0 0000000000 0000000000 0000000000] /Contents <");
			for (x = 0; x < EXT_HEX; x++)
				puts_(&b, "0");
			putf(&b, ">%s", at + 5);
		} else {
			puts_(&b, bodies[i]);
		}
		puts_(&b, "\nendobj\n");
		if (nums[i] >= size)
			size = nums[i] + 1;
	}
	x = b.n;
	puts_(&b, "xref\n0 1\n0000000000 65535 f \n");
	for (i = 0; i < k; i++)
		putf(&b, "%d 1\n%010zu 00000 n \n", nums[i], off[i]);
	putf(&b, "trailer\n<< /Size %lld /Root %d 0 R /Info %d 0 R /Prev %lld >>\n", size,
	     di.root_obj, info ? info : di.info_obj, di.startxref);
	putf(&b, "startxref\n%zu\n%%%%EOF\n", x - h);
	*outn = b.n;
	return b.p;
}

/*
 * Sign the last empty /Contents of d in place as the openssl CLI does (a
 * detached CMS by "rsa", adbe.pkcs7.detached): the byte range's gap is the
 * /Contents string moved by da at its start and db at its end, tail is
 * written after the CMS's hex digits, inside the string.
 */
static void
ext_sign(unsigned char *d, size_t n, long da, long db, const char *tail)
{
	unsigned char *c = NULL, *der;
	size_t a, e, i, dl;
	char br[40];
	FILE *f;

	for (i = n - 12; i-- > 0 && !c;)
		if (memcmp(d + i, "/Contents <0", 12) == 0)
			c = d + i + 10;
	ck_assert_ptr_nonnull(c);
	a = (size_t)(c - d) + (size_t)da;
	e = (size_t)(c - d) + EXT_HEX + 2 + (size_t)db;
	snprintf(br, sizeof(br), "[0 %010zu %010zu %010zu]", a, e, n - e);
	c = memmem(d, n, "[0 0000000000 0000000000 0000000000]", 36);
	ck_assert_ptr_nonnull(c);
	memcpy(c, br, 36);
	f = fopen(vc_path("x_tbs.bin"), "wb");
	ck_assert(f && fwrite(d, 1, a, f) == a && fwrite(d + e, 1, n - e, f) == n - e);
	fclose(f);
	ck_assert_int_eq(run("cd %s && openssl cms -sign -binary -md sha256 -in x_tbs.bin -signer "
			     "rsa.pem -inkey rsa.key -outform DER -out x_tbs.p7s",
			     vc_dir),
			 0);
	der = read_file(vc_path("x_tbs.p7s"), &dl);
	c = (unsigned char *)memmem(d, n, "/Contents <0", 12) + 11;
	for (i = n - 12; i-- > 0;)
		if (memcmp(d + i, "/Contents <0", 12) == 0) {
			c = d + i + 11;
			break;
		}
	ck_assert(2 * dl + strlen(tail) <= EXT_HEX);
	for (i = 0; i < dl; i++)
		sprintf((char *)c + 2 * i, "%02X", der[i]);
	memcpy(c + 2 * dl, tail, strlen(tail)); /* (over sprintf's NUL) */
	if (!tail[0])
		c[2 * dl] = '0';
	free(der);
}

/* The contract with another writer's signature field "Ext" and its placeholder. */
static const int ext_nums[] = { 30, 1, 32, 33 };
static const char *const ext_bodies[] = {
	"<</Type/Catalog/Pages 7 0 R /OpenAction[1 0 R /XYZ null null 0] /Lang(en-US) "
	"/AcroForm << /Fields [32 0 R] /SigFlags 3 >> >>",
	"<</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
	"841.889763779528]/Contents 2 0 R/Annots [32 0 R]>>",
	"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Ext) /F 132 /Rect [0 0 0 0] /P 1 0 R /V 33 "
	"0 R >>",
	"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /M "
	"(D:20261201120000Z) @SIG@ >>",
};

/*
 * The same, its signature dictionary in an object stream (unfiltered, so
 * that the gap can be its /Contents) listed by a cross-reference stream.
 */
static unsigned char *
ext_objstm(const unsigned char *d, size_t n, size_t *outn)
{
	struct bbuf b = { 0 }, os = { 0 };
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info di;
	struct sp_errinfo ei;
	size_t off[3], stm, xs, i;
	unsigned char row[7];
	const char *sig = ext_bodies[3], *at = strstr(sig, "@SIG@");

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(d, n, &doc, &ei), SP_OK);
	pdf_doc_info_get(doc, &di);
	pdf_doc_free(doc);
	put(&b, d, n);
	for (i = 0; i < 3; i++) {
		off[i] = b.n;
		putf(&b, "%d 0 obj\n%s\nendobj\n", ext_nums[i], ext_bodies[i]);
	}
	puts_(&os, "33 0 ");
	put(&os, sig, (size_t)(at - sig));
	puts_(&os, "/ByteRange [0 0000000000 0000000000 0000000000] /Contents <");
	for (i = 0; i < EXT_HEX; i++)
		puts_(&os, "0");
	putf(&os, ">%s", at + 5);
	stm = b.n;
	putf(&b, "34 0 obj\n<< /Type /ObjStm /N 1 /First 5 /Length %zu >>\nstream\n", os.n);
	put(&b, os.p, os.n);
	puts_(&b, "\nendstream\nendobj\n");
	xs = b.n;
	putf(&b,
	     "35 0 obj\n<< /Type /XRef /W [1 4 2] /Index [1 1 30 1 32 4] /Size 36 /Root %d 0 R "
	     "/Info %d 0 R /Prev %lld /Length 42 >>\nstream\n",
	     di.root_obj, di.info_obj, di.startxref);
	{
		const size_t o[6] = { off[1], off[0], off[2], 34, stm, xs };
		const int t[6] = { 1, 1, 1, 2, 1, 1 };
		for (i = 0; i < 6; i++) {
			row[0] = (unsigned char)t[i];
			row[1] = (unsigned char)(o[i] >> 24);
			row[2] = (unsigned char)(o[i] >> 16);
			row[3] = (unsigned char)(o[i] >> 8);
			row[4] = (unsigned char)o[i];
			row[5] = row[6] = 0;
			put(&b, row, 7);
		}
	}
	putf(&b, "\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", xs);
	free(os.p);
	*outn = b.n;
	return b.p;
}

/* What pdfsig says of file: how many signatures it calls valid, and whether one is total. */
static void
pdfsig_says(const char *file, int *valid, int *total)
{
	char *out, *p;
	size_t m;

	(void)run("cd %s && pdfsig -nssdir sql:nss %s >pdfsig.txt 2>&1", vc_dir, file);
	out = (char *)read_file(vc_path("pdfsig.txt"), &m);
	for (*valid = 0, p = out; (p = strstr(p, "Signature is Valid")) != NULL; p++)
		++*valid;
	*total = strstr(out, "- Total document signed") != NULL;
	free(out);
}

enum ext_kind {
	EXT_AS_SIGNED,
	EXT_GAP_HEX_ONLY,
	EXT_GAP_WIDER,
	EXT_GAP_NARROWER,
	EXT_BYTES_AFTER_CMS,
	EXT_ZEROS_AFTER_CMS,
	EXT_INFO_UPDATE,
	EXT_SIG_IN_OBJSTM,
	EXT_FIELD_SIGNED_AGAIN,
	EXT_BYTES_BEFORE_HEADER,
	EXT_BYTES_BEFORE_HEADER_TWICE,
	EXT_BYTES_PUT_BEFORE_AFTER,
	EXT_UPDATE_NO_XREF,
	EXT_KINDS
};

/*
 * Another writer's signature with a quirk, judged by us and by pdfsig. A gap
 * that is not exactly /Contents and bytes after the CMS in it: pdfsig checks
 * the CMS and calls the document not totally signed; we call it invalid,
 * as PDFBox's example validator does (the gap must be the /Contents string,
 * else the unsigned bytes can hold anything). An update that changes only
 * /Info: both see the signature intact and an unsigned update after it. A
 * signature dictionary in an object stream: valid for both. A field signed
 * again: pdfsig lists the new signature alone; we list both, the replaced
 * one invalid, saying so. Bytes before the header (a mail gateway's), the
 * offsets in the file counting from the header (ISO 32000-2 §7.5.2, qpdf,
 * poppler) and the ranges from the file's first byte, signed once or twice:
 * valid and total for pdfsig and for us. The same bytes put before a file
 * after it was signed: pdfsig finds the digest wrong and the document not
 * totally signed; we call it invalid, saying where the ranges went. A last
 * update with no xref section (a new page content and a trailer, startxref
 * at the trailer): poppler repairs the file and shows the new content,
 * pdfsig calls the signature valid and the document not totally signed; we
 * call it invalid (revision_structure: the chain of revisions is broken) and
 * the upload refuses it (pdf_damaged).
 */
START_TEST(signed_elsewhere_with_a_quirk)
{
	size_t n, n0, n1, n2, i;
	unsigned char *d = write_quirky(&quirks[0], &n), *u, *t = NULL;
	struct crypto_verify_report *r;
	const struct crypto_sig_report *mine = NULL;
	int valid, total;
	char name[64];

	u = ext_update(d, n, ext_nums, ext_bodies, 4, 0, &n0);
	switch (_i) {
	case EXT_GAP_HEX_ONLY:
		ext_sign(u, n0, 1, -1, "");
		break;
	case EXT_GAP_WIDER:
		ext_sign(u, n0, -10, 0, "");
		break;
	case EXT_GAP_NARROWER:
		ext_sign(u, n0, 0, -200, "");
		break;
	case EXT_BYTES_AFTER_CMS:
		ext_sign(u, n0, 0, 0, "DEADBEEF");
		break;
	case EXT_ZEROS_AFTER_CMS:
		ext_sign(u, n0, 0, 0, "0000");
		break;
	case EXT_SIG_IN_OBJSTM:
		free(u);
		u = ext_objstm(d, n, &n0);
		ext_sign(u, n0, 0, 0, "");
		break;
	case EXT_BYTES_BEFORE_HEADER:
	case EXT_BYTES_BEFORE_HEADER_TWICE:
	case EXT_BYTES_PUT_BEFORE_AFTER: {
		static const char pre[] = "Content-Type: application/pdf\r\n\r\n";
		if (_i == EXT_BYTES_PUT_BEFORE_AFTER)
			ext_sign(u, n0, 0, 0, "");
		t = malloc(n0 + sizeof(pre));
		memcpy(t, pre, sizeof(pre) - 1);
		memcpy(t + sizeof(pre) - 1, u, n0);
		free(u);
		u = t;
		t = NULL;
		n0 += sizeof(pre) - 1;
		if (_i != EXT_BYTES_PUT_BEFORE_AFTER)
			ext_sign(u, n0, 0, 0, "");
		break;
	}
	default:
		ext_sign(u, n0, 0, 0, "");
	}
	n1 = n0;
	if (_i == EXT_INFO_UPDATE) {
		static const int num[] = { 31 };
		static const char *const info[] = {
			"<< /Producer (Some Tool) /ModDate (D:20261202120000Z) >>"
		};
		t = ext_update(u, n0, num, info, 1, 0, &n1);
	} else if (_i == EXT_FIELD_SIGNED_AGAIN) {
		static const int num[] = { 32, 34 };
		static const char *const again[] = {
			"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Ext) /F 132 /Rect [0 0 0 0] "
			"/P "
			"1 0 R /V 34 0 R >>",
			"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /M "
			"(D:20261203120000Z) @SIG@ >>",
		};
		t = ext_update(u, n0, num, again, 2, 0, &n1);
		ext_sign(t, n1, 0, 0, "");
	} else if (_i == EXT_UPDATE_NO_XREF) {
		/* a changed page content appended with a trailer but no xref section:
		   startxref points at the trailer (readers repair the file) */
		static const char box[] = "1 0 0 rg 72 380 300 40 re f";
		struct bbuf b = { 0 };
		size_t tr;
		put(&b, u, n0);
		putf(&b, "2 0 obj\n<< /Length %zu >>\nstream\n%s\nendstream\nendobj\n", strlen(box),
		     box);
		tr = b.n;
		putf(&b, "trailer\n<< /Size 34 /Root 30 0 R >>\nstartxref\n%zu\n%%%%EOF\n", tr);
		t = b.p;
		n1 = b.n;
	} else if (_i == EXT_BYTES_BEFORE_HEADER_TWICE) {
		/* a second field and signature, the update's offsets from the header too */
		static const int num[] = { 30, 1, 37, 38 };
		static const char *const second[] = {
			"<</Type/Catalog/Pages 7 0 R /OpenAction[1 0 R /XYZ null null 0] "
			"/Lang(en-US) /AcroForm << /Fields [32 0 R 37 0 R] /SigFlags 3 >> >>",
			"<</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
			"841.889763779528]/Contents 2 0 R/Annots [32 0 R 37 0 R]>>",
			"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Ext2) /F 132 /Rect [0 0 0 "
			"0] "
			"/P 1 0 R /V 38 0 R >>",
			"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /M "
			"(D:20261203120000Z) @SIG@ >>",
		};
		t = ext_update(u, n0, num, second, 4, 0, &n1);
		ext_sign(t, n1, 0, 0, "");
	}
	snprintf(name, sizeof(name), "ext_%d.pdf", _i);
	write_file(vc_path(name), t ? t : u, n1);
	r = verify(t ? t : u, n1);
	pdfsig_says(name, &valid, &total);
	for (i = 0; i < r->nsigs; i++)
		if (r->sigs[i].byte_range[1] < (long long)n0 && r->sigs[i].byte_range[2] > 0 &&
		    !strcmp(r->sigs[i].field, "Ext") && r->sigs[i].byte_range[3] < 1000 &&
		    (mine == NULL || r->sigs[i].byte_range[1] < mine->byte_range[1]))
			mine = &r->sigs[i];
	ck_assert_ptr_nonnull(mine);
	switch (_i) {
	case EXT_AS_SIGNED:
	case EXT_ZEROS_AFTER_CMS:
	case EXT_SIG_IN_OBJSTM:
		ck_assert_msg(mine->verdict == CRYPTO_VERDICT_VALID, "%s", mine->message);
		ck_assert_int_eq(valid, 1);
		ck_assert_int_eq(total, 1);
		break;
	case EXT_GAP_HEX_ONLY:
	case EXT_GAP_WIDER:
	case EXT_GAP_NARROWER:
	case EXT_BYTES_AFTER_CMS:
		ck_assert_int_eq(mine->verdict, CRYPTO_VERDICT_INVALID);
		ck_assert_str_eq(mine->reasons[0],
				 _i == EXT_BYTES_AFTER_CMS ? "cms_malformed" : "gap_not_contents");
		ck_assert_int_eq(valid, 1);
		ck_assert_int_eq(total, 0);
		break;
	case EXT_INFO_UPDATE:
		ck_assert_int_eq(mine->verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
		ck_assert_uint_eq(mine->nallowed, 1);
		ck_assert_str_eq(r->reason, "unsigned_trailing_update");
		ck_assert_int_eq(vc_outcome(r), VC_INDETERMINATE);
		ck_assert_int_eq(valid, 1);
		ck_assert_int_eq(total, 0);
		break;
	case EXT_FIELD_SIGNED_AGAIN:
		ck_assert_uint_eq(r->nsigs, 2);
		ck_assert_int_eq(mine->verdict, CRYPTO_VERDICT_INVALID);
		ck_assert_msg(strstr(mine->message, "signature field \"Ext\" signed again") != NULL,
			      "%s", mine->message);
		for (i = 0; i < 2; i++)
			if (&r->sigs[i] != mine)
				ck_assert_int_eq(r->sigs[i].verdict, CRYPTO_VERDICT_VALID);
		ck_assert_int_eq(valid, 1);
		ck_assert_int_eq(total, 1);
		break;
	case EXT_BYTES_BEFORE_HEADER:
	case EXT_BYTES_BEFORE_HEADER_TWICE:
		ck_assert_uint_eq(r->nsigs, _i == EXT_BYTES_BEFORE_HEADER ? 1 : 2);
		ck_assert_uint_eq(r->nrevisions, r->nsigs + 1);
		for (i = 0; i < r->nsigs; i++)
			ck_assert_msg(r->sigs[i].verdict ==
					      (&r->sigs[i] == mine && r->nsigs == 2
						       ? CRYPTO_VERDICT_VALID_ALLOWED_CHANGES
						       : CRYPTO_VERDICT_VALID),
				      "%s: %s", r->sigs[i].field, r->sigs[i].message);
		ck_assert_int_eq(r->last_revision_signed, 1);
		ck_assert_int_eq(vc_outcome(r), VC_VALID);
		ck_assert_int_eq(valid, (int)r->nsigs);
		ck_assert_int_eq(total, 1);
		break;
	case EXT_UPDATE_NO_XREF: {
		/* poppler repairs it and shows the new content; pdfsig: valid, not total */
		struct pdf_normalized nz;
		struct sp_errinfo ei;
		ck_assert_int_eq(mine->verdict, CRYPTO_VERDICT_INVALID);
		ck_assert_str_eq(mine->reasons[0], "revision_structure");
		ck_assert_msg(strstr(mine->message, "no xref section at offset") != NULL, "%s",
			      mine->message);
		ck_assert_int_eq(vc_outcome(r), VC_INVALID);
		ck_assert_int_eq(valid, 1);
		ck_assert_int_eq(total, 0);
		/* nor is it taken: a repaired signed file cannot be rewritten */
		sp_errinfo_init(&ei);
		ck_assert_int_eq(pdf_upload_normalize(t, n1, &nz, &ei), SP_ERR_PDF);
		ck_assert_str_eq(ei.reason, "pdf_damaged");
		break;
	}
	case EXT_BYTES_PUT_BEFORE_AFTER:
		ck_assert_int_eq(mine->verdict, CRYPTO_VERDICT_INVALID);
		ck_assert_str_eq(mine->reasons[0], "gap_not_contents");
		ck_assert_msg(strstr(mine->message, "33 bytes before the file does") != NULL, "%s",
			      mine->message);
		ck_assert_int_eq(valid, 0);
		ck_assert_int_eq(total, 0);
		break;
	}
	crypto_verify_report_free(r);
	free(t);
	free(u);
	free(d);
	(void)n2;
}
END_TEST

/*
 * A form asking viewers to draw its fields, signed by another writer (an
 * approval signature, or a certification with DocMDP P=2 or P=3): kept as
 * it is at the upload, our signature's update leaves /NeedAppearances out
 * (every field with a value has its appearance), so that pdftoppm draws our
 * seal (it drew none before); both signatures valid for us and pdfsig. In a
 * certified form that is a form filler's change, which P=2 permits
 * (pyHanko's diff policy, modelled on Acrobat's, lets a form update change
 * the key); it was left in place, and the seal invisible, before. Under
 * P=2 our signature is invisible: a new visible signature widget is a change
 * the verifier (as pyHanko by default, stricter than Acrobat) says P=2
 * forbids, whatever the form asks.
 */
START_TEST(signed_elsewhere_form_needing_appearances)
{
	static const int nums[] = { 30, 1, 35, 36 };
	static const int perms[] = { 0, 2, 3 };
	char catalog[512], sigdict[512];
	const char *bodies[] = {
		catalog,
		"<</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
		"841.889763779528]/Annots[32 0 R 35 0 R]/Contents 2 0 R>>",
		"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Ext) /F 132 /Rect [0 0 0 0] /P 1 0 "
		"R "
		"/V 36 0 R >>",
		sigdict,
	};
	int p = perms[_i];
	struct pdf_placement p1[1] = {
		{ .mode = PDF_PLACE_KEYWORD, .keyword = "甲方（盖章）", .occurrences = "1" },
	};
	const struct quirk *q = NULL;
	struct pdf_normalized nz;
	struct pdf_widget_rect *w = NULL;
	struct pdf_page_info pi;
	struct pdf_doc *doc = NULL;
	struct crypto_verify_report *r;
	struct sp_errinfo ei;
	size_t n, n0, n1, nw, i;
	unsigned char *d, *u, *one;

	snprintf(catalog, sizeof(catalog),
		 "<</Type/Catalog/Pages 7 0 R /OpenAction[1 0 R /XYZ null null 0] /Lang(en-US) "
		 "/AcroForm<</Fields[32 0 R 35 0 R]/SigFlags 3/NeedAppearances true/DA(/Helv 0 "
		 "Tf 0 g)/DR<</Font<</Helv 33 0 R>>>> >>%s >>",
		 p ? " /Perms << /DocMDP 36 0 R >>" : "");
	snprintf(sigdict, sizeof(sigdict),
		 "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /M "
		 "(D:20261201120000Z)%s%.0d%s @SIG@ >>",
		 p ? " /Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams "
		     "<< /Type /TransformParams /P "
		   : "",
		 p, p ? " /V /1.2 >> >>]" : "");
	for (i = 0; i < sizeof(quirks) / sizeof(quirks[0]); i++)
		if (!strcmp(quirks[i].name, "need_appearances"))
			q = &quirks[i];
	ck_assert_ptr_nonnull(q);
	d = write_quirky(q, &n);
	u = ext_update(d, n, nums, bodies, 4, 0, &n0);
	ext_sign(u, n0, 0, 0, "");
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize(u, n0, &nz, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(nz.kept, 1);
	{
		/* signable: P=1 alone is refused */
		ck_assert_int_eq(pdf_doc_open(nz.data, nz.len, &doc, &ei), SP_OK);
		ck_assert_msg(pdf_docmdp_check_signable(doc, NULL, &ei) == SP_OK, "%s", ei.msg);
		pdf_doc_free(doc);
		doc = NULL;
	}
	one = sign_placed(nz.data, nz.len, "rsa", p1, p == 2 ? 0 : 1, &w, &nw, &n1);
	ck_assert_ptr_null(memmem(one + n0, n1 - n0, "/NeedAppearances", 16));
	write_file(vc_path("na_signed.pdf"), one, n1);
	r = verify(one, n1);
	ck_assert_uint_eq(r->nsigs, 2);
	for (i = 0; i < 2; i++) {
		ck_assert_msg(r->sigs[i].verdict ==
				      (strcmp(r->sigs[i].field, "Ext")
					       ? CRYPTO_VERDICT_VALID
					       : CRYPTO_VERDICT_VALID_ALLOWED_CHANGES),
			      "P=%d %s: %s", p, r->sigs[i].field, r->sigs[i].message);
		if (!strcmp(r->sigs[i].field, "Ext"))
			ck_assert_int_eq(r->sigs[i].certifying, p);
	}
	ck_assert_int_eq(vc_outcome(r), VC_VALID);
	crypto_verify_report_free(r);
	{
		int valid, total;
		pdfsig_says("na_signed.pdf", &valid, &total);
		ck_assert_int_ge(valid, 2);
	}
	ck_assert_int_eq(pdf_doc_open(one, n1, &doc, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_page_info(doc, 1, &pi, &ei), SP_OK);
	pdf_doc_free(doc);
	ck_assert_uint_eq(nw, p == 2 ? 0 : 1);
	if (p != 2)
		ck_assert_msg(red_share("na_signed.pdf", pi.width, w[0].view) > 0.1,
			      "P=%d: no seal drawn", p);
	free(w);
	free(one);
	pdf_normalized_cleanup(&nz);
	free(u);
	free(d);
}
END_TEST

/* ==== shadow attacks on a signature another writer made ==== */

enum shadow_case {
	SHADOW_HIDE,             /* the page's /Contents made to show a stream signed unused */
	SHADOW_REPLACE,          /* the page's content stream redefined */
	SHADOW_HIDE_AND_REPLACE, /* the catalog redefined onto a new page tree */
	SHADOW_CASES
};

/*
 * The shadow attacks of the PDF-Insecurity research (Mainka, Mladenov,
 * Rohlmann: hide, replace, hide-and-replace) on the contract another writer
 * signed: the signed revision carries an unused stream (a red box over the
 * text), and a later incremental update by someone else, itself a sound
 * update, makes the page show it, redefines the page's content, or
 * redefines the catalog onto a new page tree. Our verifier calls the
 * signature invalid (disallowed_changes, naming the object), pdfsig calls
 * it valid but not covering the whole document: we beat it, it does not
 * lie. The upload keeps such a file byte for byte (it carries a
 * signature), and a signature of ours on top is valid while theirs stays
 * invalid, as pdftoppm shows the red box the signer never saw.
 */
START_TEST(shadow_after_a_signature)
{
	static const int nums[] = { 30, 1, 32, 33, 39 };
	static const char box[] = "1 0 0 rg 72 380 300 40 re f";
	char hidden[128], page[256];
	const char *bodies[] = { ext_bodies[0], ext_bodies[1], ext_bodies[2], ext_bodies[3],
				 hidden };
	struct pdf_normalized nz;
	struct crypto_verify_report *r;
	struct pdf_widget_rect *w = NULL;
	struct sp_errinfo ei;
	struct pdf_rect red = { 80, 385, 360, 415 };
	struct pdf_placement pl = { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 450, .y = 150 };
	size_t n, n0, n1, n2, nw, i;
	unsigned char *d, *u, *t = NULL, *two;
	int valid, total;
	char name[64];
	const char *what;

	snprintf(hidden, sizeof(hidden), "<< /Length %zu >>\nstream\n%s\nendstream", strlen(box),
		 box);
	d = write_quirky(&quirks[0], &n);
	u = ext_update(d, n, nums, bodies, 5, 0, &n0);
	ext_sign(u, n0, 0, 0, "");
	if (_i == SHADOW_HIDE) {
		static const int num[] = { 1 };
		const char *upd[] = { page };
		snprintf(page, sizeof(page),
			 "<</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
			 "841.889763779528]/Contents [2 0 R 39 0 R]/Annots [32 0 R]>>");
		t = ext_update(u, n0, num, upd, 1, 0, &n1);
		what = "page 1 changed";
	} else if (_i == SHADOW_REPLACE) {
		static const int num[] = { 2 };
		const char *upd[] = { hidden };
		t = ext_update(u, n0, num, upd, 1, 0, &n1);
		what = "object 2 changed";
	} else {
		static const int num[] = { 30, 40, 41 };
		const char *upd[] = {
			"<</Type/Catalog/Pages 40 0 R /Lang(en-US) /AcroForm << /Fields [32 0 R] "
			"/SigFlags 3 >> >>",
			"<< /Type /Pages /Kids [41 0 R] /Count 1 >>",
			/* the new tree's one page: the box the signed revision hid, alone */
			"<</Type/Page/Parent 40 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
			"841.889763779528]/Contents 39 0 R/Annots [32 0 R]>>",
		};
		t = ext_update(u, n0, num, upd, 3, 0, &n1);
		what = "catalog (/Root) changed";
	}
	snprintf(name, sizeof(name), "shadow_%d.pdf", _i);
	write_file(vc_path(name), t, n1);
	r = verify(t, n1);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[0].reasons[0], "disallowed_changes");
	ck_assert_msg(strstr(r->sigs[0].message, what) != NULL, "%s", r->sigs[0].message);
	ck_assert_int_eq(r->sigs[0].digest_ok, 1);
	crypto_verify_report_free(r);
	pdfsig_says(name, &valid, &total);
	ck_assert_int_eq(valid, 1);
	ck_assert_int_eq(total, 0);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null 2>&1", vc_path(name)), 0);
	ck_assert_msg(red_share(name, 595.303937007874, red) > 0.5, "the box is not shown");
	/* uploaded and signed by us on top */
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize(t, n1, &nz, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(nz.kept, 1);
	two = sign_placed(nz.data, nz.len, "ec", &pl, 1, &w, &nw, &n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(r->sigs[i].verdict, strcmp(r->sigs[i].field, "Ext")
							     ? CRYPTO_VERDICT_VALID
							     : CRYPTO_VERDICT_INVALID);
	ck_assert_int_eq(vc_outcome(r), VC_INVALID);
	crypto_verify_report_free(r);
	free(w);
	free(two);
	pdf_normalized_cleanup(&nz);
	free(t);
	free(u);
	free(d);
}
END_TEST

/* ==== seals across pages of different sizes ==== */

/* The share of seal-red pixels in view on page `page` of file (red_share's measure). */
static double
red_share_on(const char *file, int page, double width, struct pdf_rect view)
{
	char one[64];

	snprintf(one, sizeof(one), "page_%d_of_%s", page, file);
	ck_assert_int_eq(run("cd %s && qpdf --empty --pages %s %d -- %s", vc_dir, file, page, one),
			 0);
	return red_share(one, width, view);
}

/*
 * A contract of mixed page sizes, as scanned annexes make them: A4, A3
 * landscape (a wide MediaBox), A3 portrait shown landscape (/Rotate 90),
 * A4. A seam seal across all four (Adobe-style: one slice per page at its
 * right edge, the same height) and then a multi-page seal on every page:
 * each slice sits flush with its own page's right edge and each seal is red
 * where the rectangles say, in pdftoppm's picture of every page; the
 * multi-page seal's widgets share one appearance per page rotation (two
 * Form XObjects for four pages). Both signatures valid for us, pdfsig and
 * qpdf --check.
 */
START_TEST(seals_across_mixed_page_sizes)
{
	static const char *const box[] = { "[0 0 595.28 841.89]", "[0 0 1190.55 841.89]",
					   "[0 0 841.89 1190.55]", "[0 0 595.28 841.89]" };
	static const double width[] = { 595.28, 1190.55, 1190.55, 595.28 };
	char bodies[11][256];
	const char *obj[11];
	struct pdf_placement seam = { .mode = PDF_PLACE_SEAM, .pages = "all", .y = 420 };
	struct pdf_placement multi = {
		.mode = PDF_PLACE_MULTI, .pages = "all", .x = 150, .y = 150
	};
	struct pdf_widget_rect *w1 = NULL, *w2 = NULL;
	size_t n, n1, n2, nw1, nw2, i, forms = 0;
	unsigned char *d, *one, *two, *p;

	snprintf(bodies[0], sizeof(bodies[0]), "<< /Type /Catalog /Pages 2 0 R >>");
	snprintf(bodies[1], sizeof(bodies[1]),
		 "<< /Type /Pages /Kids [4 0 R 6 0 R 8 0 R 10 0 R] /Count 4 >>");
	snprintf(bodies[2], sizeof(bodies[2]),
		 "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
	for (i = 0; i < 4; i++) {
		char text[96];
		snprintf(text, sizeof(text), "BT /F1 24 Tf 60 60 Td (Annex page %zu) Tj ET", i + 1);
		snprintf(bodies[3 + 2 * i], sizeof(bodies[0]),
			 "<< /Type /Page /Parent 2 0 R /MediaBox %s /Rotate %d /Resources << /Font "
			 "<< /F1 3 0 R >> >> /Contents %zu 0 R >>",
			 box[i], i == 2 ? 90 : 0, 5 + 2 * i);
		snprintf(bodies[4 + 2 * i], sizeof(bodies[0]),
			 "<< /Length %zu >>\nstream\n%s\nendstream", strlen(text), text);
	}
	for (i = 0; i < 11; i++)
		obj[i] = bodies[i];
	d = make_pdf_objs(obj, 11, &n);
	one = sign_placed(d, n, "rsa", &seam, 1, &w1, &nw1, &n1);
	two = sign_placed(one, n1, "ec", &multi, 1, &w2, &nw2, &n2);
	assert_valid(two, n2, 2, "mixed_sizes.pdf");
	ck_assert_uint_eq(nw1, 4);
	ck_assert_uint_eq(nw2, 4);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(w1[i].page, (int)i + 1);
		ck_assert_msg(fabs(w1[i].view.x1 - width[i]) < 0.01, "slice %zu ends at %.2f", i,
			      w1[i].view.x1);
		ck_assert(fabs(w1[i].view.y0 - w1[0].view.y0) < 0.01);
		ck_assert_msg(red_share_on("mixed_sizes.pdf", (int)i + 1, width[i], w1[i].view) >
				      0.1,
			      "page %zu: no seam slice", i + 1);
		ck_assert_msg(red_share_on("mixed_sizes.pdf", (int)i + 1, width[i], w2[i].view) >
				      0.1,
			      "page %zu: no seal", i + 1);
	}
	for (p = two + n1; (p = memmem(p, n2 - (size_t)(p - two), "/Subtype /Form", 14)) != NULL;
	     p++)
		forms++;
	ck_assert_uint_eq(forms, 2);
	free(w1);
	free(w2);
	free(two);
	free(one);
	free(d);
}
END_TEST

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
	d = write_quirky(&quirks[0], &n);
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
	d = write_quirky(&quirks[0], &n);
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

	d = write_quirky(&quirks[0], &n);
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

static void
setup(void)
{
	world_setup();
	contract_read();
	ck_assert_ptr_nonnull(seal.png = make_seal_png(120, &seal.png_len));
}

static void
teardown(void)
{
	int i;

	for (i = 0; i < nobjs; i++)
		free(objs[i].body);
	nobjs = 0;
	free((void *)seal.png);
	world_teardown();
}

static Suite *
quirks_suite(void)
{
	Suite *s = suite_create("verify_quirks");
	TCase *tc = tcase_create("upload");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, quirky_contract_uploaded_and_signed_twice, 0,
			    (int)(sizeof(quirks) / sizeof(quirks[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("elsewhere");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, signed_elsewhere_with_a_quirk, 0, EXT_KINDS);
	tcase_add_loop_test(tc, signed_elsewhere_form_needing_appearances, 0, 3);
	tcase_add_loop_test(tc, signed_into_an_empty_field, 0, SLOT_CASES);
	tcase_add_test(tc, signed_elsewhere_in_a_field_of_two_widgets);
	tcase_add_loop_test(tc, signed_into_a_field_that_asks, 0,
			    (int)(sizeof(field_asks) / sizeof(field_asks[0])));
	tcase_add_loop_test(tc, shadow_after_a_signature, 0, SHADOW_CASES);
	tcase_add_test(tc, seals_across_mixed_page_sizes);
	tcase_add_test(tc, signed_into_a_field_on_every_page);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(quirks_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
