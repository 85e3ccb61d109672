/*
 * test_verify_quirky.h: what test_verify_quirks.c and test_verify_fields.c
 * share: the LibreOffice contract's objects written back with a careless
 * writer's quirks, another writer's update and signature made by hand, the
 * platform's signing in process, and what pdfsig and pdftoppm say of a file.
 * Helpers a file does not use are unused (VC_FN).
 */
#ifndef SEALPACT_TEST_VERIFY_QUIRKY_H
#define SEALPACT_TEST_VERIFY_QUIRKY_H

#include <qpdf/qpdf-c.h>

#include "test_verify_world.h"

/* ==== the contract's objects, and writing them back with quirks ==== */

struct obj {
	int num;
	unsigned char *body; /* between "N 0 obj" + EOL and the EOL before "endobj" */
	size_t len;
};

VC_FN struct obj objs[64];
VC_FN int nobjs;
VC_FN char trailer[512]; /* the dictionary, without "trailer" */

struct bbuf {
	unsigned char *p;
	size_t n, cap;
};

VC_FN void
put(struct bbuf *b, const void *p, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = 2 * (b->n + n) + 4096;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): b->p is set once cap > 0 */
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = 0;
}

VC_FN void
puts_(struct bbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

VC_FN void putf(struct bbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
VC_FN void
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

VC_FN int
cmp_off(const void *a, const void *b)
{
	const size_t *x = a, *y = b;

	return (x[0] > y[0]) - (x[0] < y[0]);
}

/* mixed.pdf's objects, read through its one xref table (offsets, in use). */
VC_FN void
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
	while (sscanf(p, "%zu %zu", &first, &cnt) == 2 && strncmp(p, "trailer", 7) != 0) {
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
VC_FN void
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

VC_FN void
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
	puts_(b, q->stream_cr ? "stream\r" : strcmp(eol, "\r") != 0 ? "stream" : "stream\r\n");
	if (!q->stream_cr && strcmp(eol, "\r") != 0)
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
VC_FN unsigned char *
hybridize(unsigned char *d, size_t *n)
{
	struct bbuf b = { 0 };
	unsigned char *o;
	char *xr, *line, *sx, *save = NULL, id[200];
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
	for (line = strtok_r(xr, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
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

VC_FN unsigned char *
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

VC_FN struct pdf_seal seal;

/*
 * Sign d as who with the placements (the in-process path of a prepare and a
 * completion: pdf_sig_prepare, the token's signature over the signed
 * attributes, the CMS, pdf_sig_fill). The widgets the placements resolved to
 * go to *w (the caller's, free()).
 */
VC_FN unsigned char *
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
VC_FN double
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

#define EXT_HEX 16384

/*
 * An incremental update to d as another writer writes it: object nums[i] is
 * bodies[i], where "@SIG@" becomes a /ByteRange and an empty /Contents; a
 * classic table, the trailer's /Info kept (info: another object instead).
 * Its offsets count from the header, as the file's (bytes before it).
 */
VC_FN unsigned char *
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
VC_FN void
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

/* What pdfsig says of file: how many signatures it calls valid, and whether one is total. */
VC_FN void
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

/* The share of seal-red pixels in view on page `page` of file (red_share's measure). */
VC_FN double
red_share_on(const char *file, int page, double width, struct pdf_rect view)
{
	char one[64];

	snprintf(one, sizeof(one), "page_%d_of_%s", page, file);
	ck_assert_int_eq(run("cd %s && qpdf --empty --pages %s %d -- %s", vc_dir, file, page, one),
			 0);
	return red_share(one, width, view);
}

VC_FN void
setup(void)
{
	world_setup();
	contract_read();
	ck_assert_ptr_nonnull(seal.png = make_seal_png(120, &seal.png_len));
}

VC_FN void
teardown(void)
{
	int i;

	for (i = 0; i < nobjs; i++)
		free(objs[i].body);
	nobjs = 0;
	free((void *)seal.png);
	world_teardown();
}

#endif
