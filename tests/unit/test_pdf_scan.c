/*
 * test_pdf_scan.c: pdf_bytes_check (pdf/scan.c), the pass over untrusted
 * bytes before qpdf reads them. What it counts must be what qpdf would
 * build: brackets inside strings, comments and stream data are no arrays;
 * an xref table's lines are entries, not objects; an object stream's
 * objects count as the file's. Every fixture contract passes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "pdf_int.h"

struct text {
	char *p;
	size_t n, cap;
};

static void
put(struct text *t, const void *p, size_t n)
{
	if (t->n + n > t->cap) {
		t->cap = (t->n + n) * 2;
		t->p = realloc(t->p, t->cap);
		ck_assert_ptr_nonnull(t->p);
	}
	memcpy(t->p + t->n, p, n);
	t->n += n;
}

static void
puts_(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

/* n copies of s */
static void
rep(struct text *t, const char *s, size_t n)
{
	while (n-- > 0)
		puts_(t, s);
}

static int
check(struct text *t, char *detail, size_t dn)
{
	struct sp_errinfo ei;
	int r;

	sp_errinfo_init(&ei);
	r = pdf_bytes_check((const unsigned char *)t->p, t->n, &ei);
	if (detail != NULL && dn > 0) {
		/* "reason|message", cut to dn */
		size_t k = strlen(ei.reason);
		if (k + 2 > dn)
			k = dn - 2;
		memcpy(detail, ei.reason, k);
		detail[k] = '|';
		strncpy(detail + k + 1, ei.msg, dn - k - 2);
		detail[dn - 1] = '\0';
	}
	return r;
}

START_TEST(array_items_counted_outside_strings_comments_and_streams)
{
	struct text t = { 0 };
	char d[1024];

	puts_(&t, "%PDF-1.7\n1 0 obj\n[");
	rep(&t, "1 ", PDF_SCAN_MAX_ARRAY - 1);
	puts_(&t, "]\nendobj\n");
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_OK);
	/* brackets and numbers in a string, a comment and stream data are not items */
	puts_(&t, "2 0 obj\n[(1 2 3 [ ] \\) (nested) 4) <00 11> % 1 2 3 [\n ]\nendobj\n");
	puts_(&t, "3 0 obj\n<< /Length 9 >>\nstream\n[1 2 3 4]\nendstream\nendobj\n");
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_OK);
	/* two more items in one array: refused, as pdf_limit */
	t.n = 0;
	puts_(&t, "%PDF-1.7\n1 0 obj\n[[1] ");
	rep(&t, "2 0 R ", PDF_SCAN_MAX_ARRAY / 3 + 1);
	puts_(&t, "]\nendobj\n");
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_ERR_LIMIT);
	ck_assert_msg(strncmp(d, "pdf_limit|", 10) == 0 && strstr(d, "array items"), "%s", d);
	free(t.p);
}
END_TEST

START_TEST(objects_counted_across_the_file_and_xref_tables_skipped)
{
	struct text t = { 0 };
	char d[1024];
	size_t i, per = PDF_SCAN_MAX_TOKENS / 8;

	puts_(&t, "%PDF-1.7\n");
	/* a classic table's lines are no objects: a million "n" entries' worth */
	puts_(&t, "xref\n0 900000\n");
	rep(&t, "0000000009 00000 n \n", 900000);
	puts_(&t, "trailer\n<< /Size 900000 >>\n");
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_OK);
	/* small arrays, many of them: the file's total counts */
	for (i = 0; i < 9; i++) {
		puts_(&t, "1 0 obj\n[");
		rep(&t, "1 ", per);
		puts_(&t, "]\nendobj\n");
	}
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_ERR_LIMIT);
	ck_assert_msg(strstr(d, "more objects") != NULL, "%s", d);
	free(t.p);
}
END_TEST

START_TEST(xref_entries_are_counted)
{
	struct text t = { 0 };
	char d[1024];

	puts_(&t, "%PDF-1.7\nxref\n0 600000\n");
	rep(&t, "0000000009 00000 n \n", 600000);
	puts_(&t, "trailer\n<< /Size 600000 >>\nxref\n0 600000\n");
	rep(&t, "0000000009 00000 n \n", 600000);
	puts_(&t, "trailer\n<< /Size 600000 >>\n");
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_ERR_LIMIT);
	ck_assert_msg(strstr(d, "cross-reference entries") != NULL, "%s", d);
	free(t.p);
}
END_TEST

/* "N 0 obj << dict /Length n >> stream" + deflate(data) + endstream */
static void
deflated_stream(struct text *t, const char *dict, const unsigned char *data, size_t n)
{
	uLongf zn = compressBound(n);
	unsigned char *z = malloc(zn);
	char head[256];

	ck_assert_ptr_nonnull(z);
	ck_assert_int_eq(compress2(z, &zn, data, n, 9), Z_OK);
	snprintf(head, sizeof(head), "9 0 obj\n<< %s /Length %lu >>\nstream\n", dict,
		 (unsigned long)zn);
	puts_(t, head);
	put(t, z, zn);
	puts_(t, "\nendstream\nendobj\n");
	free(z);
}

START_TEST(xref_and_object_streams_are_inflated_and_counted)
{
	struct text t = { 0 }, os = { 0 };
	char d[1024];
	size_t big = PDF_SCAN_MAX_INFLATE + 1;
	unsigned char *zero = calloc(big, 1);

	ck_assert_ptr_nonnull(zero);
	/* an xref stream that inflates past the cap */
	puts_(&t, "%PDF-1.7\n");
	deflated_stream(&t, "/Type /XRef /W [1 4 0] /Filter /FlateDecode", zero, big);
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_ERR_LIMIT);
	ck_assert_msg(strstr(d, "decompressed") != NULL, "%s", d);
	/* the same bytes in an image: stream data qpdf never inflates at open */
	t.n = 0;
	puts_(&t, "%PDF-1.7\n");
	deflated_stream(&t, "/Type /XObject /Subtype /Image /Filter /FlateDecode", zero, big);
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_OK);
	/* an xref stream of 5-byte rows: entries counted from its rows */
	t.n = 0;
	puts_(&t, "%PDF-1.7\n");
	deflated_stream(&t, "/Type /XRef /W [1 4 0] /Filter [/FlateDecode]", zero,
			(size_t)5 * (PDF_SCAN_MAX_XREF + 1));
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_ERR_LIMIT);
	ck_assert_msg(strstr(d, "cross-reference entries") != NULL, "%s", d);
	/* an object stream's objects are the file's */
	rep(&os, "1 ", PDF_SCAN_MAX_TOKENS + 1);
	t.n = 0;
	puts_(&t, "%PDF-1.7\n");
	deflated_stream(&t, "/Type /ObjStm /N 1 /First 0 /Filter /FlateDecode",
			(unsigned char *)os.p, os.n);
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_ERR_LIMIT);
	ck_assert_msg(strstr(d, "more objects") != NULL, "%s", d);
	/* a filter other than FlateDecode alone on an object stream: not read */
	t.n = 0;
	puts_(&t, "%PDF-1.7\n9 0 obj\n<< /Type /ObjStm /N 1 /First 0 /Filter [/ASCIIHexDecode "
		  "/FlateDecode] /Length 4 >>\nstream\n7801\nendstream\nendobj\n");
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_ERR_LIMIT);
	ck_assert_msg(strstr(d, "FlateDecode alone") != NULL, "%s", d);
	free(zero);
	free(os.p);
	free(t.p);
}
END_TEST

/*
 * What skips data (a stream's, an xref table's) skips only what qpdf does not
 * parse as objects: "/stream" is a name, "stream" in an array and "xref"
 * inside an object are words qpdf reads as strings, and an xref table ends
 * where its entries do.
 */
START_TEST(keywords_out_of_place_hide_nothing)
{
	static const char *const heads[] = {
		"1 0 obj\n<< /stream 1 >>\n[",                /* a name */
		"1 0 obj\n[ stream\n",                        /* "stream" in an array */
		"1 0 obj\n<< /A [1] >> [ xref\n0 1\n",        /* "xref" in an object */
		"xref\n0 1\n0000000000 65535 f \n2 0 obj\n[", /* after the table's entries */
	};
	size_t i;

	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		struct text t = { 0 };
		char d[1024];

		puts_(&t, "%PDF-1.7\n");
		puts_(&t, heads[i]);
		rep(&t, "7 ", PDF_SCAN_MAX_ARRAY + 1);
		puts_(&t, "]\nendstream\nendobj\ntrailer\n<< >>\n");
		ck_assert_msg(check(&t, d, sizeof(d)) == SP_ERR_LIMIT, "case %zu: %s", i, d);
		ck_assert_msg(strstr(d, "array items") != NULL, "case %zu: %s", i, d);
		free(t.p);
	}
}
END_TEST

/* path's bytes into t (appended) */
static void
slurp(struct text *t, const char *path)
{
	char buf[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	ck_assert_ptr_nonnull(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		put(t, buf, n);
	fclose(f);
}

/* A fixture contract through qpdf with args (--encrypt ...), into t. */
static void
qpdf_fixture(struct text *t, const char *name, const char *args)
{
	const char *src = getenv("SEALPACT_SOURCE_DIR");
	char out[] = "/tmp/sp-scan-XXXXXX", cmd[1024];
	int fd = mkstemp(out);

	ck_assert_ptr_nonnull(src);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "qpdf %s %s/tests/fixtures/contracts/%s %s", args, src, name,
		 out);
	ck_assert_int_eq(system(cmd), 0);
	t->n = 0;
	slurp(t, out);
	unlink(out);
}

/*
 * An encrypted file's object streams are decrypted and counted (the key is
 * at hand with an empty user password): a bomb in one, appended by our own
 * writer in the file's encryption (AES-256, AES-128, RC4), is refused as it
 * is in a plain file; the fixture contracts with generated object streams
 * in those encryptions pass.
 */
START_TEST(encrypted_object_streams_are_counted)
{
	static const char *const how[] = {
		"--object-streams=generate --encrypt '' owner 256 --",
		"--object-streams=generate --encrypt '' owner 128 --use-aes=y --",
		"--object-streams=generate --allow-weak-crypto --encrypt '' owner 128 --use-aes=n "
		"--",
	};
	struct text t = { 0 }, os = { 0 };
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	struct pdfw w;
	uLongf zn;
	unsigned char *z;
	char d[1024];
	int num;

	qpdf_fixture(&t, "contract30.pdf", how[_i]);
	ck_assert_ptr_nonnull(memmem(t.p, t.n, "/ObjStm", 7));
	ck_assert_msg(check(&t, d, sizeof(d)) == SP_OK, "%s", d);
	/* an object stream of more objects than the cap, in the file's encryption */
	rep(&os, "1 ", PDF_SCAN_MAX_TOKENS + 1);
	zn = compressBound(os.n);
	ck_assert_ptr_nonnull(z = malloc(zn));
	ck_assert_int_eq(compress2(z, &zn, (unsigned char *)os.p, os.n, 9), Z_OK);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open((unsigned char *)t.p, t.n, &doc, &ei), SP_OK);
	ck_assert_int_eq(pdfw_init(&w, doc, &ei), SP_OK);
	num = pdfw_alloc(&w);
	ck_assert_int_eq(pdfw_stream(&w, num, "/Type /ObjStm /N 1 /First 0 /Filter /FlateDecode", z,
				     zn, &ei),
			 SP_OK);
	ck_assert_int_eq(pdfw_finish(&w, doc, &ei), SP_OK);
	/* encrypted: the deflated bomb is not there as written */
	ck_assert_ptr_null(memmem(w.b.data + t.n, w.b.len - t.n, z, 64));
	t.n = 0;
	put(&t, w.b.data, w.b.len);
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_ERR_LIMIT);
	ck_assert_msg(strstr(d, "more objects") != NULL, "%s", d);
	pdfw_cleanup(&w);
	pdf_doc_free(doc);
	/* and an upload's open, which counts them with the key its own read derives */
	doc = NULL;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open((unsigned char *)t.p, t.n, &doc, &ei), SP_ERR_LIMIT);
	ck_assert_msg(strstr(ei.msg, "more objects") != NULL, "%s", ei.msg);
	ck_assert_ptr_null(doc);
	free(z);
	free(os.p);
	free(t.p);
}
END_TEST

/*
 * crypt33: qpdf reads an object stream's data to its /Length, not to the
 * first "endstream" in it, and an encrypted stream's bytes are whatever the
 * key makes of the plaintext: anyone with the file (the user password is
 * empty) can choose a plaintext whose ciphertext holds "endstream" in its
 * second block (a zlib stored block carries the bytes that takes, behind a
 * comment). The scan decrypted only up to there and counted none of the
 * bomb behind it.
 */
static void
zlib_with_block(struct text *z, const unsigned char p1[16], const struct text *os)
{
	unsigned char hdr[7] = { 0x78, 0x01, 0x00, 26, 0, (unsigned char)~26, 0xff }, tail[4];
	unsigned char raw[1 << 16];
	uLong ad = adler32(0L, Z_NULL, 0);
	z_stream d;
	int zr;

	z->n = 0;
	put(z, hdr, 7); /* zlib header; a stored block of 26 bytes, not the last */
	put(z, "%xxxxxxxx", 9);
	put(z, p1, 16); /* plaintext bytes 16..31: the second AES block */
	put(z, "\n", 1);
	ad = adler32(ad, (const unsigned char *)z->p + 7, 26);
	ad = adler32(ad, (const unsigned char *)os->p, (uInt)os->n);
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(deflateInit2(&d, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
	d.next_in = (unsigned char *)os->p;
	d.avail_in = (uInt)os->n;
	do {
		d.next_out = raw;
		d.avail_out = sizeof(raw);
		zr = deflate(&d, Z_FINISH);
		put(z, raw, sizeof(raw) - d.avail_out);
	} while (zr == Z_OK);
	ck_assert_int_eq(zr, Z_STREAM_END);
	deflateEnd(&d);
	tail[0] = (unsigned char)(ad >> 24);
	tail[1] = (unsigned char)(ad >> 16);
	tail[2] = (unsigned char)(ad >> 8);
	tail[3] = (unsigned char)ad;
	put(z, tail, 4);
}

static int
no_eol(const unsigned char p[16])
{
	return memchr(p, '\n', 16) == NULL && memchr(p, '\r', 16) == NULL;
}

static void
aes_block(const unsigned char *key, size_t kn, int enc, const unsigned char in[16],
	  unsigned char out[16])
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int l = 0;

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(EVP_CipherInit_ex2(x, kn == 16 ? EVP_aes_128_ecb() : EVP_aes_256_ecb(),
					    key, NULL, enc, NULL),
			 1);
	EVP_CIPHER_CTX_set_padding(x, 0);
	ck_assert_int_eq(EVP_CipherUpdate(x, out, &l, in, 16), 1);
	ck_assert_int_eq(l, 16);
	EVP_CIPHER_CTX_free(x);
}

START_TEST(encrypted_object_stream_with_endstream_in_its_ciphertext)
{
	static const char *const how[] = {
		"--object-streams=generate --encrypt '' owner 256 --",
		"--object-streams=generate --encrypt '' owner 128 --use-aes=y --",
		"--object-streams=generate --allow-weak-crypto --encrypt '' owner 128 --use-aes=n "
		"--",
	};
	static const char dict[] = "/Type /ObjStm /N 1 /First 0 /Filter /FlateDecode";
	struct text t = { 0 }, os = { 0 }, z = { 0 };
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	struct pdf_okey k;
	struct pdfw w;
	unsigned char c1[16], p1[16], iv[16], x[16], c0[16], *ct = NULL, *data;
	size_t ctn = 0, j, at = 32;
	char d[1024];
	int num, tries;

	qpdf_fixture(&t, "contract30.pdf", how[_i]);
	rep(&os, "1 ", PDF_SCAN_MAX_TOKENS + 1);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open((unsigned char *)t.p, t.n, &doc, &ei), SP_OK);
	ck_assert_ptr_nonnull(doc->crypt);
	ck_assert_int_eq(pdfw_init(&w, doc, &ei), SP_OK);
	num = pdfw_alloc(&w);
	pdf_crypt_objkey(doc->crypt, num, 0, &k);
	memcpy(c1, "endstream 000000", 16);
	memset(iv, 0x5a, 16);
	for (tries = 0;; tries++) {
		ck_assert_int_lt(tries, 1000);
		c1[15] = (unsigned char)('0' + tries % 10);
		c1[14] = (unsigned char)('0' + tries / 10 % 10);
		c1[13] = (unsigned char)('0' + tries / 100);
		if (k.m[1] == PDF_CM_RC4) {
			/* ciphertext = plaintext ^ keystream (RC4 of zeros): "endstream" at
			   byte 16 + at of the ciphertext, 'x' for the rest of the block */
			unsigned char zero[32] = { 0 }, *ks = NULL;
			size_t ksn = 0;
			ck_assert_int_lt(tries, 8);
			at = 16 + (size_t)tries;
			ck_assert_int_eq(pdf_crypt_encrypt(&k, 1, zero, 32, &ks, &ksn), SP_OK);
			for (j = 0; j < 16; j++)
				p1[j] = j + 16 >= at && j + 16 < at + 9
						? (unsigned char)("endstream"[j + 16 - at] ^
								  ks[16 + j])
						: 'x';
			free(ks);
		} else {
			/* CBC: P1 = D(C1) ^ C0, C0 = E(P0 ^ IV); P0 is the zlib stream's start */
			zlib_with_block(&z, c1, &os);
			for (j = 0; j < 16; j++)
				x[j] = (unsigned char)z.p[j] ^ iv[j];
			aes_block(k.k[1], k.n[1], 1, x, c0);
			aes_block(k.k[1], k.n[1], 0, c1, p1);
			for (j = 0; j < 16; j++)
				p1[j] ^= c0[j];
		}
		if (no_eol(p1))
			break;
	}
	zlib_with_block(&z, p1, &os);
	ck_assert_int_eq(pdfw_stream(&w, num, dict, (unsigned char *)z.p, z.n, &ei), SP_OK);
	ck_assert_int_eq(pdfw_finish(&w, doc, &ei), SP_OK);
	/* the stream's data as written: after the dictionary's "stream" and its EOL */
	data = memmem(w.b.data + t.n, w.b.len - t.n, dict, sizeof(dict) - 1);
	ck_assert_ptr_nonnull(data);
	data = memmem(data, w.b.len - (size_t)(data - w.b.data), "stream", 6);
	ck_assert_ptr_nonnull(data);
	data += 6;
	data += *data == '\r' ? 1 : 0;
	data += *data == '\n' ? 1 : 0;
	if (k.m[1] != PDF_CM_RC4) {
		/* the writer's IV is random: ours in its place, the same length */
		EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new();
		int l1 = 0, l2 = 0;
		ctn = 16 + (z.n / 16 + 1) * 16;
		ck_assert_ptr_nonnull(ct = malloc(ctn));
		memcpy(ct, iv, 16);
		memcpy(ct + 16, c0, 16);
		memcpy(ct + 32, c1, 16);
		ck_assert_int_eq(EVP_EncryptInit_ex2(e,
						     k.n[1] == 16 ? EVP_aes_128_cbc()
								  : EVP_aes_256_cbc(),
						     k.k[1], c1, NULL),
				 1);
		ck_assert_int_eq(EVP_EncryptUpdate(e, ct + 48, &l1, (unsigned char *)z.p + 32,
						   (int)(z.n - 32)),
				 1);
		ck_assert_int_eq(EVP_EncryptFinal_ex(e, ct + 48 + l1, &l2), 1);
		ck_assert_uint_eq(48 + (size_t)l1 + (size_t)l2, ctn);
		EVP_CIPHER_CTX_free(e);
		ck_assert_int_eq(memcmp(data + ctn, "\nendstream", 10), 0);
		memcpy(data, ct, ctn);
	}
	ck_assert_int_eq(memcmp(data + at, "endstream", 9), 0);
	t.n = 0;
	put(&t, w.b.data, w.b.len);
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_ERR_LIMIT);
	ck_assert_msg(strstr(d, "more objects") != NULL, "%s", d);
	OPENSSL_cleanse(&k, sizeof(k));
	pdfw_cleanup(&w);
	pdf_doc_free(doc);
	free(ct);
	free(z.p);
	free(os.p);
	free(t.p);
}
END_TEST

/*
 * sec32: qpdf reconstructs a damaged file from every line that starts
 * "N G obj", inside stream data too: those objects count; "obj" elsewhere in
 * the data (not a header at a line's start) does not, and an object stream
 * there is refused.
 */
START_TEST(objects_whose_headers_start_lines_in_stream_data_count)
{
	struct text t = { 0 }, inner = { 0 };
	char d[1024], len[64];
	const char *heads[] = { "2 0 obj [", "\r 7 12 obj\n[", "\n\t2  0\nobj[" };
	size_t i;

	for (i = 0; i < 3; i++) {
		inner.n = 0;
		puts_(&inner, "junk\n");
		puts_(&inner, heads[i]);
		rep(&inner, "1 ", PDF_SCAN_MAX_ARRAY + 1);
		puts_(&inner, "]\nendobj\n");
		t.n = 0;
		puts_(&t, "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
		snprintf(len, sizeof(len), "3 0 obj\n<< /Length %zu >>\nstream\n", inner.n);
		puts_(&t, len);
		put(&t, inner.p, inner.n);
		puts_(&t, "\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n");
		ck_assert_int_eq(check(&t, d, sizeof(d)), SP_ERR_LIMIT);
		ck_assert_msg(strncmp(d, "pdf_limit|", 10) == 0 && strstr(d, "array items"), "%s",
			      d);
	}
	/* not a header: "obj" inside a line, a word that only starts with it, no number */
	inner.n = 0;
	puts_(&inner, "x 2 0 obj [");
	rep(&inner, "1 ", PDF_SCAN_MAX_ARRAY + 1);
	puts_(&inner, "]\n2 0 objx [");
	rep(&inner, "1 ", PDF_SCAN_MAX_ARRAY + 1);
	puts_(&inner, "]\n0 obj [");
	rep(&inner, "1 ", PDF_SCAN_MAX_ARRAY + 1);
	puts_(&inner, "]\n");
	t.n = 0;
	puts_(&t, "%PDF-1.7\n");
	snprintf(len, sizeof(len), "3 0 obj\n<< /Length %zu >>\nstream\n", inner.n);
	puts_(&t, len);
	put(&t, inner.p, inner.n);
	puts_(&t, "\nendstream\nendobj\n");
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_OK);
	/* an object stream begun in stream data */
	t.n = 0;
	puts_(&t, "%PDF-1.7\n3 0 obj\n<< /Length 60 >>\nstream\n"
		  "4 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Length 9 >>\nstream\n0 0 null"
		  "\nendstream\nendobj\n");
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_ERR_LIMIT);
	ck_assert_msg(strstr(d, "object stream begins inside"), "%s", d);
	free(t.p);
	free(inner.p);
}
END_TEST

/* "N 0 obj << dict /Length n >> stream" + data + "endstream", plain. */
static void
plain_stream(struct text *t, int num, const char *dict, const char *data, size_t n)
{
	char head[256];

	snprintf(head, sizeof(head), "%d 0 obj\n<< %s /Length %zu >>\nstream\n", num, dict, n);
	puts_(t, head);
	put(t, data, n);
	puts_(t, "\nendstream\nendobj\n");
}

/*
 * Unfiltered xref and object streams are counted as deflated ones are, over
 * the /Length qpdf reads, whatever "endstream" the data holds: an object
 * stream of more objects than the cap, one whose objects follow a fake
 * "endstream ... stream" inside its data, an xref stream of more rows; one
 * whose /Length is not direct is not read. Contracts qpdf writes with
 * unfiltered object streams (QDF), plain and encrypted, pass.
 */
START_TEST(unfiltered_xref_and_object_streams_are_counted)
{
	struct text t = { 0 }, os = { 0 };
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	struct pdfw w;
	char d[1024];
	unsigned char *zero = calloc((size_t)5 * (PDF_SCAN_MAX_XREF + 1), 1);

	ck_assert_ptr_nonnull(zero);
	rep(&os, "1 ", PDF_SCAN_MAX_TOKENS + 1);
	puts_(&t, "%PDF-1.7\n");
	plain_stream(&t, 9, "/Type /ObjStm /N 1 /First 0", os.p, os.n);
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_ERR_LIMIT);
	ck_assert_msg(strstr(d, "more objects") != NULL, "%s", d);
	/* the objects behind a fake end, where the lexer would skip them as stream data */
	os.n = 0;
	puts_(&os, "1\nendstream\nendobj\n10 0 obj\n<< /Length 5 >>\nstream\n");
	rep(&os, "1 ", PDF_SCAN_MAX_TOKENS + 1);
	t.n = 0;
	puts_(&t, "%PDF-1.7\n");
	plain_stream(&t, 9, "/Type /ObjStm /N 1 /First 0", os.p, os.n);
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_ERR_LIMIT);
	ck_assert_msg(strstr(d, "more objects") != NULL, "%s", d);
	/* rows of an unfiltered xref stream */
	t.n = 0;
	puts_(&t, "%PDF-1.7\n");
	plain_stream(&t, 9, "/Type /XRef /W [1 4 0]", (const char *)zero,
		     (size_t)5 * (PDF_SCAN_MAX_XREF + 1));
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_ERR_LIMIT);
	ck_assert_msg(strstr(d, "cross-reference entries") != NULL, "%s", d);
	/* a /Length that is not a direct number: not read */
	t.n = 0;
	puts_(&t, "%PDF-1.7\n9 0 obj\n<< /Type /ObjStm /N 1 /First 0 /Length 10 0 R >>\nstream\n"
		  "1 \nendstream\nendobj\n");
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_ERR_LIMIT);
	ck_assert_msg(strstr(d, "/Length") != NULL, "%s", d);
	/* what qpdf writes unfiltered passes */
	qpdf_fixture(&t, "contract30.pdf", "--qdf --object-streams=generate");
	ck_assert_ptr_nonnull(memmem(t.p, t.n, "/ObjStm", 7));
	ck_assert_msg(check(&t, d, sizeof(d)) == SP_OK, "%s", d);
	qpdf_fixture(&t, "contract30.pdf",
		     "--qdf --object-streams=generate --encrypt '' owner 256 --");
	ck_assert_ptr_nonnull(memmem(t.p, t.n, "/ObjStm", 7));
	ck_assert_msg(check(&t, d, sizeof(d)) == SP_OK, "%s", d);
	/* and a bomb appended to it unfiltered, in its encryption, by our writer */
	os.n = 0;
	rep(&os, "1 ", PDF_SCAN_MAX_TOKENS + 1);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open((unsigned char *)t.p, t.n, &doc, &ei), SP_OK);
	ck_assert_int_eq(pdfw_init(&w, doc, &ei), SP_OK);
	ck_assert_int_eq(pdfw_stream(&w, pdfw_alloc(&w), "/Type /ObjStm /N 1 /First 0",
				     (unsigned char *)os.p, os.n, &ei),
			 SP_OK);
	ck_assert_int_eq(pdfw_finish(&w, doc, &ei), SP_OK);
	ck_assert_ptr_null(memmem(w.b.data + t.n, w.b.len - t.n, "1 1 1 1 ", 8));
	t.n = 0;
	put(&t, w.b.data, w.b.len);
	pdfw_cleanup(&w);
	pdf_doc_free(doc);
	ck_assert_int_eq(check(&t, d, sizeof(d)), SP_ERR_LIMIT);
	ck_assert_msg(strstr(d, "more objects") != NULL, "%s", d);
	free(zero);
	free(os.p);
	free(t.p);
}
END_TEST

START_TEST(fixture_contracts_pass)
{
	static const char *const names[] = { "short.pdf", "contract30.pdf", "mixed.pdf" };
	const char *src = getenv("SEALPACT_SOURCE_DIR");
	size_t i;

	ck_assert_ptr_nonnull(src);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[1024];
		struct text t = { 0 };
		char d[1024], buf[65536];
		size_t n;
		FILE *f;

		snprintf(path, sizeof(path), "%s/tests/fixtures/contracts/%s", src, names[i]);
		ck_assert_ptr_nonnull(f = fopen(path, "rb"));
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			put(&t, buf, n);
		fclose(f);
		ck_assert_msg(check(&t, d, sizeof(d)) == SP_OK, "%s: %s", names[i], d);
		free(t.p);
	}
}
END_TEST

/*
 * The byte classes every reader of the file's bytes tokenizes by (pdf_int.h,
 * one table): ISO 32000-2 §7.2.3's white space, NUL, HT, LF, FF, CR and SP,
 * with VT, which qpdf skips too; its ten delimiters; the digits. Every one
 * of the 256 bytes as the standard lists it.
 */
START_TEST(byte_classes_are_the_standards)
{
	int c;

	for (c = 0; c < 256; c++) {
		int sp = c == 0 || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' ||
			 c == ' ',
		    de = c != 0 && strchr("()<>[]{}/%", c) != NULL, dg = c >= '0' && c <= '9',
		    hx = dg || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		ck_assert_msg(!pdf_space((unsigned char)c) == !sp &&
				      !pdf_delim((unsigned char)c) == !de &&
				      !(pdf_char_class[c] & PDF_CH_DIGIT) == !dg &&
				      !(pdf_char_class[c] & PDF_CH_HEX) == !hx &&
				      !pdf_regular((unsigned char)c) == (sp || de),
			      "byte %d: space %d delimiter %d digit %d hex %d", c, sp, de, dg, hx);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("pdf_scan");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, array_items_counted_outside_strings_comments_and_streams);
	tcase_add_test(tc, objects_counted_across_the_file_and_xref_tables_skipped);
	tcase_add_test(tc, xref_entries_are_counted);
	tcase_add_test(tc, xref_and_object_streams_are_inflated_and_counted);
	tcase_add_test(tc, keywords_out_of_place_hide_nothing);
	tcase_add_test(tc, objects_whose_headers_start_lines_in_stream_data_count);
	tcase_add_test(tc, unfiltered_xref_and_object_streams_are_counted);
	tcase_add_test(tc, fixture_contracts_pass);
	tcase_add_test(tc, byte_classes_are_the_standards);
	tcase_add_loop_test(tc, encrypted_object_streams_are_counted, 0, 3);
	tcase_add_loop_test(tc, encrypted_object_stream_with_endstream_in_its_ciphertext, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
