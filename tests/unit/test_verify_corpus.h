/*
 * test_verify_corpus.h: test-only helpers for test_verify*.c and the verify
 * benchmark: a dev PKI made with the openssl CLI, documents signed through
 * the real path (pdf_sig_prepare, token-style signature over the signed
 * attributes, built-in TSA, crypto_cms_assemble, pdf_sig_fill), and
 * hand-written incremental updates for the attack corpus. Header-only
 * (static) because each test is its own executable.
 */
#ifndef VERIFY_CORPUS_H
#define VERIFY_CORPUS_H

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "pdf.h"
#include "../fixtures/pdf-writer/pdfgen.h"
#include "support_part.h"
#include "support_tmp.h"

#define VC_FN static __attribute__((unused))

TEST_SHARED char vc_dir[320];
TEST_SHARED struct crypto_tsa *vc_tsa;

/* Root CA, RSA / EC P-256 / SM2 signers, a TSA, a stranger root and signer, a wrong key. */
VC_FN int
vc_pki_make(void)
{
	snprintf(vc_dir, sizeof(vc_dir), "%s", test_tmpdir_new("verify"));
	return run(
		"cd %s && ( openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem "
		"-subj '/CN=verify test root' -days 30 -addext basicConstraints=critical,CA:TRUE "
		"-addext keyUsage=critical,keyCertSign,cRLSign && "
		"openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem "
		"-subj '/CN=stranger root' -days 30 -addext basicConstraints=critical,CA:TRUE "
		"-addext keyUsage=critical,keyCertSign,cRLSign && "
		"printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature,"
		"nonRepudiation\\n' >leaf.ext && "
		"printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature\\n"
		"extendedKeyUsage=critical,timeStamping\\n' >tsa.ext && "
		"openssl req -new -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr "
		"-subj '/CN=rsa signer/O=Org A' && "
		"openssl req -new -newkey rsa:2048 -nodes -keyout stranger.key -out stranger.csr "
		"-subj '/CN=stranger/O=Org S' && "
		"openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out wrong.key && "
		"openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "
		"ec.key "
		"-out ec.csr -subj '/CN=ec signer/O=Org B' && "
		"openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out sm2.key && "
		"openssl req -new -key sm2.key -sm3 -sigopt distid:1234567812345678 -out sm2.csr "
		"-subj '/CN=sm2 signer/O=Org C' && "
		"openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		"-keyout tsa.key -out tsa.csr -subj '/CN=verify test TSA' && "
		"for n in rsa:2 ec:3; do openssl x509 -req -in ${n%%:*}.csr -CA ca.pem "
		"-CAkey ca.key -set_serial ${n#*:} -days 20 -extfile leaf.ext -out ${n%%:*}.pem "
		"|| exit 1; done && "
		"openssl x509 -req -in sm2.csr -vfyopt distid:1234567812345678 -CA ca.pem "
		"-CAkey ca.key -set_serial 4 -days 20 -extfile leaf.ext -out sm2.pem && "
		"openssl x509 -req -in stranger.csr -CA other.pem -CAkey other.key -set_serial 5 "
		"-days 20 -extfile leaf.ext -out stranger.pem && "
		"openssl x509 -req -in tsa.csr -CA ca.pem -CAkey ca.key -set_serial 6 -days 20 "
		"-extfile tsa.ext -out tsa.pem && "
		"mkdir nss && certutil -N -d sql:nss --empty-password && "
		"certutil -A -d sql:nss -n root -t CT,C,C -i ca.pem ) >pki.log 2>&1",
		vc_dir);
}

VC_FN void
vc_pki_free(void)
{
	crypto_tsa_free(vc_tsa);
	vc_tsa = NULL;
	/* SP_VERIFY_KEEP=1 keeps the PKI and the corpus for a look with pdfsig or sealpact */
	if (vc_dir[0] && !getenv("SP_VERIFY_KEEP"))
		(void)run("rm -rf %s", vc_dir);
}

VC_FN char *
vc_path(const char *name)
{
	static char p[8][512];
	static int i;

	i = (i + 1) % 8;
	snprintf(p[i], sizeof(p[i]), "%s/%s", vc_dir, name);
	return p[i];
}

/* The PKI (vc_pki_make) and a trust of its root alone; NULL when either fails. */
VC_FN struct crypto_trust *
vc_pki_trust(void)
{
	const char *roots[1];
	struct crypto_trust *t = NULL;
	struct sp_errinfo ei;

	if (vc_pki_make() != 0)
		return NULL;
	roots[0] = vc_path("ca.pem");
	sp_errinfo_init(&ei);
	if (crypto_trust_new(roots, 1, NULL, 0, NULL, 0, NULL, &t, &ei) != SP_OK)
		fprintf(stderr, "vc_pki_trust: %s\n", ei.msg);
	return t;
}

/*
 * A test file's trust in the PKI, and its checked fixture's setup and
 * teardown, which make and free them around each test:
 * tcase_add_checked_fixture(tc, setup, teardown), then vc_verify(trust, ...).
 */
#define VC_TRUST_FIXTURE \
	static struct crypto_trust *trust; \
	static void setup(void) \
	{ \
		ck_assert_ptr_nonnull(trust = vc_pki_trust()); \
	} \
	static void teardown(void) \
	{ \
		crypto_trust_free(trust); \
		vc_pki_free(); \
	}

/* d verified with trust t alone; NULL (and why on stderr) when the verifier fails. */
VC_FN struct crypto_verify_report *
vc_verify(struct crypto_trust *t, const unsigned char *d, size_t n)
{
	struct crypto_verify_opts o = { .trust = t };
	struct crypto_verify_report *r = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	if (crypto_pdf_verify(d, n, &o, &r, &ei) != SP_OK)
		fprintf(stderr, "vc_verify: %s\n", ei.msg);
	return r;
}

VC_FN X509 *
vc_cert(const char *name)
{
	char n[64];
	FILE *f;
	X509 *x;

	snprintf(n, sizeof(n), "%s.pem", name);
	if (!(f = fopen(vc_path(n), "r")))
		abort();
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

VC_FN EVP_PKEY *
vc_key(const char *name)
{
	char n[64];
	FILE *f;
	EVP_PKEY *k;

	snprintf(n, sizeof(n), "%s.key", name);
	if (!(f = fopen(vc_path(n), "r")))
		abort();
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

/* What the token does: sign tbs (the signed attributes) with the key, DER for EC/SM2. */
VC_FN size_t
vc_token_sign(EVP_PKEY *key, enum crypto_sigalg alg, const uint8_t *tbs, size_t n, uint8_t *sig)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	size_t siglen = CRYPTO_SIG_MAX;

	if (alg == CRYPTO_SIGALG_SM2_SM3) {
		pc = EVP_PKEY_CTX_new(key, NULL);
		if (!pc || EVP_PKEY_CTX_set1_id(pc, CRYPTO_SM2_ID, strlen(CRYPTO_SM2_ID)) != 1)
			abort();
		EVP_MD_CTX_set_pkey_ctx(m, pc);
	}
	if (EVP_DigestSignInit(m, NULL, alg == CRYPTO_SIGALG_SM2_SM3 ? EVP_sm3() : EVP_sha256(),
			       NULL, key) != 1 ||
	    EVP_DigestSign(m, sig, &siglen, tbs, n) != 1)
		abort();
	EVP_MD_CTX_free(m);
	EVP_PKEY_CTX_free(pc);
	return siglen;
}

/*
 * The verdict on the whole file, in the verifier's own terms: no signature;
 * valid when every signature is (allowed changes included) and the last
 * revision is signed; indeterminate; invalid.
 */
enum vc_outcome { VC_VALID, VC_INVALID, VC_INDETERMINATE, VC_NO_SIGNATURE };

static inline enum vc_outcome
vc_outcome(const struct crypto_verify_report *r)
{
	if (r == NULL || r->nsigs == 0)
		return VC_NO_SIGNATURE;
	switch (r->verdict) {
	case CRYPTO_VERDICT_VALID:
	case CRYPTO_VERDICT_VALID_ALLOWED_CHANGES:
		return r->last_revision_signed ? VC_VALID : VC_INDETERMINATE;
	case CRYPTO_VERDICT_INDETERMINATE:
		return VC_INDETERMINATE;
	default:
		return VC_INVALID;
	}
}

/*
 * Sign d (an existing revision) as `who` ("rsa", "ec", "sm2", "stranger")
 * through the real path, with a timestamp when ts. wrong_key: the token
 * signs with another RSA key (the CMS is then spliced by hand, as an
 * attacker would). Returns the new file (malloc'd).
 */
static unsigned char *vc_sign_at(const unsigned char *d, size_t n, const char *who, int ts,
				 int wrong_key, int visible, size_t *outn);

VC_FN unsigned char *
vc_sign(const unsigned char *d, size_t n, const char *who, int ts, int wrong_key, size_t *outn)
{
	return vc_sign_at(d, n, who, ts, wrong_key, 0, outn);
}

/* As vc_sign; visible: a seal widget on page 1 instead of an invisible one. */
VC_FN unsigned char *
vc_sign_at(const unsigned char *d, size_t n, const char *who, int ts, int wrong_key, int visible,
	   size_t *outn)
{
	struct pdf_placement pl = {
		.mode = PDF_PLACE_NORMAL, .seal = 0, .page = 1, .x = 300, .y = 300
	};
	struct pdf_seal seal = { 0 };
	struct pdf_sig_params par = { .signing_time = time(NULL), .utc_offset_min = 480 };
	struct pdf_sig_prepared p;
	struct sp_errinfo ei;
	struct pdf_doc *doc = NULL;
	enum crypto_sigalg alg;
	X509 *cert = vc_cert(who);
	EVP_PKEY *key = vc_key(who), *wk = NULL;
	uint8_t *attrs = NULL, sig[CRYPTO_SIG_MAX], wsig[CRYPTO_SIG_MAX], *q = NULL, *resp = NULL,
		*tok = NULL, *cms = NULL, *hit;
	size_t alen = 0, siglen, wlen, qlen, rlen, toklen = 0, cmslen = 0;
	unsigned char *out;

	sp_errinfo_init(&ei);
	if (!vc_tsa && crypto_tsa_new(vc_path("tsa.pem"), vc_path("tsa.key"), NULL,
				      "1.3.6.1.4.1.99999.2", 1000, &vc_tsa, &ei) != SP_OK)
		abort();
	if (crypto_sigalg_for_cert(cert, &alg, &ei) != SP_OK)
		abort();
	par.digest_sm3 = alg == CRYPTO_SIGALG_SM2_SM3;
	if (pdf_doc_open(d, n, &doc, &ei) != SP_OK ||
	    (visible && !(seal.png = make_seal_png(120, &seal.png_len))) ||
	    pdf_sig_prepare(doc, &par, visible ? &seal : NULL, visible ? 1 : 0,
			    visible ? &pl : NULL, visible ? 1 : 0, &p, &ei) != SP_OK ||
	    crypto_sigalg_for_cert(cert, &alg, &ei) != SP_OK ||
	    crypto_cms_signed_attrs(cert, alg, alg == CRYPTO_SIGALG_SM2_SM3 ? p.sm3 : p.sha256, 32,
				    &attrs, &alen, &ei) != SP_OK) {
		fprintf(stderr, "vc_sign: %s\n", ei.msg);
		abort();
	}
	pdf_doc_free(doc);
	free((void *)seal.png);
	siglen = vc_token_sign(key, alg, attrs, alen, sig);
	if (ts && (crypto_ts_query_new(sig, siglen, NULL, &q, &qlen, &ei) != SP_OK ||
		   crypto_tsa_respond(vc_tsa, q, qlen, 1, 0, &resp, &rlen, &ei) != SP_OK ||
		   crypto_ts_response_check(resp, rlen, q, qlen, NULL, &tok, &toklen, NULL, &ei) !=
			   SP_OK))
		abort();
	if (crypto_cms_assemble(cert, NULL, attrs, alen, sig, siglen, tok, toklen, &cms, &cmslen,
				&ei) != SP_OK) {
		fprintf(stderr, "vc_sign assemble: %s\n", ei.msg);
		abort();
	}
	if (wrong_key) {
		/* the signature value replaced by one from another key of the same size */
		wk = vc_key("wrong");
		wlen = vc_token_sign(wk, alg, attrs, alen, wsig);
		if (wlen != siglen || !(hit = memmem(cms, cmslen, sig, siglen)))
			abort();
		memcpy(hit, wsig, wlen);
	}
	if (pdf_sig_fill(p.data, p.len, p.contents_off, p.contents_len, cms, cmslen, &ei) != SP_OK)
		abort();
	out = p.data;
	*outn = p.len;
	p.data = NULL; /* transferred */
	pdf_sig_prepared_cleanup(&p);
	free(attrs);
	free(q);
	free(resp);
	free(tok);
	free(cms);
	X509_free(cert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(wk);
	return out;
}

/*
 * Append an incremental update (classic xref table) to d: objs[i] is the
 * body of object nums[i]; root (0: keep) replaces the trailer's /Root;
 * extra is more trailer text (may be NULL).
 */
VC_FN unsigned char *
vc_update(const unsigned char *d, size_t n, const int *nums, const char *const *objs, size_t k,
	  int root, const char *extra, size_t *outn)
{
	struct gbuf b = { malloc(n + 4096), 0, n + 4096 };
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info info;
	struct sp_errinfo ei;
	size_t *off = malloc((k + 1) * sizeof(*off)), xref, i;
	long long size;

	/* offsets count from the header (info.header bytes into d) */
	sp_errinfo_init(&ei);
	if (off == NULL || pdf_doc_open(d, n, &doc, &ei) != SP_OK)
		abort();
	pdf_doc_info_get(doc, &info);
	pdf_doc_free(doc);
	memcpy(b.p, d, n);
	b.n = n;
	size = info.size;
	for (i = 0; i < k; i++) {
		off[i] = b.n;
		gb_printf(&b, "%d 0 obj\n%s\nendobj\n", nums[i], objs[i]);
		if (nums[i] >= size)
			size = nums[i] + 1;
	}
	xref = b.n;
	gb_printf(&b, "xref\n0 1\n0000000000 65535 f \n");
	for (i = 0; i < k; i++)
		gb_printf(&b, "%d 1\n%010zu 00000 n \n", nums[i], off[i] - info.header);
	gb_printf(&b,
		  "trailer\n<< /Size %lld /Root %d 0 R /Prev %lld %s>>\nstartxref\n%zu\n%%%%EOF\n",
		  size, root ? root : info.root_obj, info.startxref, extra ? extra : "",
		  xref - info.header);
	free(off);
	*outn = b.n;
	return (unsigned char *)b.p;
}

/* The base contract: a text field, a font, an XObject and a content stream. */
VC_FN unsigned char *
vc_base(int dangling, size_t *n)
{
	static const char content[] = "BT /F1 12 Tf 72 700 Td (Pay 100 EUR) Tj ET q /X1 Do Q";
	static const char form[] = "0 0 1 rg 0 0 10 10 re f";
	char c4[256], c6[256], c3[512];
	const char *objs[7];

	snprintf(c3, sizeof(c3),
		 "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %s "
		 "/Resources << /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >> /Annots [7 0 R] "
		 ">>",
		 dangling ? "[4 0 R 99 0 R]" : "4 0 R");
	snprintf(c4, sizeof(c4), "<< /Length %zu >>\nstream\n%s\nendstream", strlen(content) + 1,
		 content);
	snprintf(c6, sizeof(c6),
		 "<< /Type /XObject /Subtype /Form /BBox [0 0 100 100] /Length %zu >>\nstream\n%s\n"
		 "endstream",
		 strlen(form) + 1, form);
	objs[0] = "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] >> >>";
	objs[1] = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
	objs[2] = c3;
	objs[3] = c4;
	objs[4] =
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";
	objs[5] = c6;
	objs[6] = "<< /Type /Annot /Subtype /Widget /FT /Tx /T (amount) /V (100) "
		  "/Rect [72 600 200 620] /P 3 0 R >>";
	return make_pdf_objs(objs, 7, n);
}

/*
 * A contract certified by "rsa" (DocMDP with permissions p), written by hand
 * since the writer makes approval signatures only: the signature dictionary
 * carries /Reference [/TransformMethod /DocMDP /TransformParams /P p] and
 * the catalog /Perms /DocMDP points at it.
 */
/*
 * What vc_certified_parts writes instead of vc_certified's own objects (NULL:
 * those): the page dictionary (object 3), the page's content (object 4, the
 * stream's data), object 5 (the font), objects 8 and 9 of its own (9 only
 * with 8), and more entries of the catalog (e.g. a tagged PDF's /MarkInfo and
 * /StructTreeRoot).
 */
/*
 * prefix (NULL: none): bytes before the header, whose length h is at least
 * 21; the file's offsets count from the header (ISO 32000-2 §7.5.2), and a
 * comment line before each object holds "N 0 obj null endobj" h bytes before
 * it, where the object's offset lands when counted from the file's first byte.
 */
struct vc_parts {
	const char *page, *content, *obj5, *obj8, *obj9, *catalog, *prefix;
};

static unsigned char *vc_handmade(int p, int doc_ts, const char *ref_lock, const char *field_lock,
				  const struct vc_parts *parts, size_t *len);

VC_FN unsigned char *
vc_certified(int p, size_t *len)
{
	return vc_handmade(p, 0, NULL, NULL, NULL, len);
}

/* As vc_certified, with the objects parts names written instead. */
VC_FN unsigned char *
vc_certified_parts(int p, const struct vc_parts *parts, size_t *len)
{
	return vc_handmade(p, 0, NULL, NULL, parts, len);
}

/*
 * A certified form: as vc_certified, plus two text fields on page 1, object
 * 8 "amount" (/V (100)) and object 9 "note" (/V (none)), both widgets in
 * /Annots (p 0: an approval signature, no DocMDP). ref_lock: FieldMDP
 * transform parameters the signature's
 * /Reference carries (e.g. "/Action /Include /Fields [(amount)]"), or NULL;
 * field_lock: the same as the signature field's /Lock, or NULL.
 */
VC_FN unsigned char *
vc_certified_form(int p, const char *ref_lock, const char *field_lock, size_t *len)
{
	return vc_handmade(p, 0, ref_lock ? ref_lock : "", field_lock ? field_lock : "", NULL, len);
}

/* A document timestamp (RFC 3161 over the byte ranges) by the built-in TSA, alone. */
VC_FN unsigned char *
vc_doc_timestamp(size_t *len)
{
	return vc_handmade(0, 1, NULL, NULL, NULL, len);
}

VC_FN unsigned char *
vc_handmade(int p, int doc_ts, const char *ref_lock, const char *field_lock,
	    const struct vc_parts *parts, size_t *len)
{
	/* ref_lock and field_lock non-NULL (maybe "") make the form */
	int form = ref_lock != NULL, nobj = form                   ? 9
					    : parts && parts->obj8 ? (parts->obj9 ? 9 : 8)
								   : 7;
	enum { HEX = 16384 };
	struct gbuf b = { malloc(65536), 0, 65536 };
	size_t off[10], xref, c0 = 0, br = 0, a, i, dlen, alen, siglen, cmslen;
	char num[80], *hex;
	struct crypto_digest_ctx *dc;
	struct sp_errinfo ei;
	uint8_t dg[CRYPTO_DIGEST_MAX], sig[CRYPTO_SIG_MAX], *attrs, *cms;
	X509 *cert = vc_cert("rsa");
	EVP_PKEY *key = vc_key("rsa");
	char page[256], mdp[160] = "", dec[32];
	size_t h = parts && parts->prefix ? strlen(parts->prefix) : 0;

	snprintf(page, sizeof(page),
		 "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
		 "/Resources << /Font << /F1 5 0 R >> >> /Annots [6 0 R%s] >>",
		 form ? " 8 0 R 9 0 R" : "");
	if (p > 0)
		snprintf(mdp, sizeof(mdp),
			 "<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type "
			 "/TransformParams /P %d /V /1.2 >> >>",
			 p);
	gb_printf(&b, "%s%%PDF-1.7\n", h ? parts->prefix : "");
	for (i = 1; i <= (size_t)nobj; i++) {
		if (h) {
			int dl = snprintf(dec, sizeof(dec), "%zu 0 obj null endobj", i);
			gb_printf(&b, "%%%*s\n", (int)h - 1, "");
			memcpy(b.p + b.n - h, dec, (size_t)dl);
		}
		off[i] = b.n;
		gb_printf(&b, "%zu 0 obj\n", i);
		switch (i) {
		case 1:
			gb_printf(&b,
				  "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R%s] "
				  "/SigFlags 3 >>%s %s>>",
				  form ? " 8 0 R 9 0 R" : "",
				  doc_ts || p == 0 ? "" : " /Perms << /DocMDP 7 0 R >>",
				  parts && parts->catalog ? parts->catalog : "");
			break;
		case 8:
			if (!form) {
				gb_printf(&b, "%s", parts->obj8);
				break;
			}
			gb_printf(&b,
				  "<< /Type /Annot /Subtype /Widget /FT /Tx /T (amount) /V (100) "
				  "/Rect [72 600 200 620] /P 3 0 R >>");
			break;
		case 9:
			if (!form) {
				gb_printf(&b, "%s", parts->obj9);
				break;
			}
			gb_printf(&b,
				  "<< /Type /Annot /Subtype /Widget /FT /Tx /T (note) /V (none) "
				  "/Rect [72 560 200 580] /P 3 0 R >>");
			break;
		case 2:
			gb_printf(&b, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
			break;
		case 3:
			gb_printf(&b, "%s", parts && parts->page ? parts->page : page);
			break;
		case 4:
			if (parts && parts->content)
				gb_printf(&b, "<< /Length %zu >>\nstream\n%s\nendstream",
					  strlen(parts->content), parts->content);
			else
				gb_printf(&b, "<< /Length 42 >>\nstream\nBT /F1 12 Tf 72 700 Td "
					      "(Pay 100 EUR) Tj ET\nendstream");
			break;
		case 5:
			gb_printf(&b, "%s",
				  parts && parts->obj5 ? parts->obj5
						       : "<< /Type /Font /Subtype /Type1 /BaseFont "
							 "/Helvetica >>");
			break;
		case 6:
			gb_printf(&b,
				  "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Certification) "
				  "/Rect [0 0 0 0] /F 132 /P 3 0 R /V 7 0 R%s%s%s >>",
				  field_lock && *field_lock ? " /Lock << /Type /SigFieldLock " : "",
				  field_lock ? field_lock : "",
				  field_lock && *field_lock ? " >>" : "");
			break;
		case 7:
			if (doc_ts)
				gb_printf(&b, "<< /Type /DocTimeStamp /Filter /Adobe.PPKLite "
					      "/SubFilter /ETSI.RFC3161 /ByteRange ");
			else
				gb_printf(&b,
					  "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter "
					  "/ETSI.CAdES.detached /Reference [%s%s%s%s] /ByteRange ",
					  mdp,
					  ref_lock && *ref_lock
						  ? " << /Type /SigRef /TransformMethod /FieldMDP "
						    "/TransformParams << /Type /TransformParams "
						  : "",
					  ref_lock ? ref_lock : "",
					  ref_lock && *ref_lock ? " /V /1.2 >> >>" : "");
			br = b.n;
			gb_printf(&b, "[0 %010d %010d %010d] /Contents <", 0, 0, 0);
			c0 = b.n - 1;
			for (a = 0; a < HEX; a++)
				gb_printf(&b, "0");
			gb_printf(&b, "> >>");
			break;
		}
		gb_printf(&b, "\nendobj\n");
	}
	xref = b.n;
	gb_printf(&b, "xref\n0 %d\n0000000000 65535 f \n", nobj + 1);
	for (i = 1; i <= (size_t)nobj; i++)
		gb_printf(&b, "%010zu 00000 n \n", off[i] - h);
	gb_printf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", nobj + 1,
		  xref - h);
	a = c0 + HEX + 2;
	snprintf(num, sizeof(num), "[0 %010zu %010zu %010zu]", c0, a, b.n - a);
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): the ByteRange patched in place */
	memcpy(b.p + br, num, strlen(num));
	sp_errinfo_init(&ei);
	if (doc_ts) {
		/* the token's imprint is over the signed bytes themselves */
		unsigned char *cat = malloc(b.n), *q, *resp;
		size_t qlen, rlen;
		if (!vc_tsa && crypto_tsa_new(vc_path("tsa.pem"), vc_path("tsa.key"), NULL,
					      "1.3.6.1.4.1.99999.2", 1000, &vc_tsa, &ei) != SP_OK)
			abort();
		memcpy(cat, b.p, c0);
		memcpy(cat + c0, b.p + a, b.n - a);
		if (crypto_ts_query_new(cat, c0 + b.n - a, NULL, &q, &qlen, &ei) != SP_OK ||
		    crypto_tsa_respond(vc_tsa, q, qlen, 2, 0, &resp, &rlen, &ei) != SP_OK ||
		    crypto_ts_response_check(resp, rlen, q, qlen, NULL, &cms, &cmslen, NULL, &ei) !=
			    SP_OK)
			abort();
		free(cat);
		free(q);
		free(resp);
		attrs = NULL;
		goto fill;
	}
	if (crypto_digest_ctx_new(CRYPTO_DIGEST_SHA256, &dc, &ei) != SP_OK ||
	    crypto_digest_ctx_update(dc, b.p, c0, &ei) != SP_OK ||
	    crypto_digest_ctx_update(dc, b.p + a, b.n - a, &ei) != SP_OK ||
	    crypto_digest_ctx_final(dc, dg, &dlen, &ei) != SP_OK ||
	    crypto_cms_signed_attrs(cert, CRYPTO_SIGALG_RSA_SHA256, dg, dlen, &attrs, &alen, &ei) !=
		    SP_OK)
		abort();
	crypto_digest_ctx_free(dc);
	siglen = vc_token_sign(key, CRYPTO_SIGALG_RSA_SHA256, attrs, alen, sig);
	if (crypto_cms_assemble(cert, NULL, attrs, alen, sig, siglen, NULL, 0, &cms, &cmslen,
				&ei) != SP_OK ||
	    2 * cmslen > HEX)
		abort();
fill:
	hex = malloc(2 * cmslen + 1);
	sp_hex(cms, cmslen, hex);
	memcpy(b.p + c0 + 1, hex, 2 * cmslen);
	free(hex);
	free(cms);
	free(attrs);
	X509_free(cert);
	EVP_PKEY_free(key);
	*len = b.n;
	return (unsigned char *)b.p;
}

/* The corpus TSA over a document timestamp's digest (crypto_ts_digest_fn). */
VC_FN int
vc_ts_digest(void *arg, const uint8_t sha256[32], uint8_t **tok, size_t *toklen, time_t *gen,
	     struct sp_errinfo *ei)
{
	uint8_t *q = NULL, *resp = NULL;
	size_t qlen = 0, rlen = 0;
	int r;

	(void)arg;
	*gen = time(NULL);
	if ((r = crypto_ts_query_new_digest(sha256, NULL, &q, &qlen, ei)) == SP_OK &&
	    (r = crypto_tsa_respond(vc_tsa, q, qlen, 7, 0, &resp, &rlen, ei)) == SP_OK)
		r = crypto_ts_response_check(resp, rlen, q, qlen, NULL, tok, toklen, NULL, ei);
	free(q);
	free(resp);
	return r;
}

/*
 * A CRL of the CA `by` ("ca": the root, "other": the stranger root; signed
 * with its key) issued at last, next update at next, listing serial (0:
 * none) revoked at `when`: its DER (malloc'd, *len bytes), NULL when it
 * cannot be made.
 */
VC_FN unsigned char *
vc_crl_by(const char *by, long serial, time_t when, time_t last, time_t next, size_t *len)
{
	X509 *ca = vc_cert(by);
	EVP_PKEY *key = vc_key(by);
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_set(NULL, last), *nx = ASN1_TIME_set(NULL, next);
	unsigned char *der = NULL, *out = NULL;
	int n = 0, ok;

	ok = ca && key && crl && t && nx && X509_CRL_set_version(crl, 1) &&
	     X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) &&
	     X509_CRL_set1_lastUpdate(crl, t) && X509_CRL_set1_nextUpdate(crl, nx);
	if (ok && serial) {
		X509_REVOKED *rv = X509_REVOKED_new();
		ASN1_INTEGER *sn = ASN1_INTEGER_new();
		ASN1_TIME *rt = ASN1_TIME_set(NULL, when);
		ok = rv && sn && rt && ASN1_INTEGER_set(sn, serial) &&
		     X509_REVOKED_set_serialNumber(rv, sn) &&
		     X509_REVOKED_set_revocationDate(rv, rt) && X509_CRL_add0_revoked(crl, rv);
		if (!ok)
			X509_REVOKED_free(rv);
		ASN1_INTEGER_free(sn);
		ASN1_TIME_free(rt);
	}
	ok = ok && X509_CRL_sort(crl) && X509_CRL_sign(crl, key, EVP_sha256()) > 0 &&
	     (n = i2d_X509_CRL(crl, &der)) > 0 && (out = malloc((size_t)n)) != NULL;
	if (ok) {
		memcpy(out, der, (size_t)n);
		*len = (size_t)n;
	}
	OPENSSL_free(der);
	ASN1_TIME_free(t);
	ASN1_TIME_free(nx);
	X509_CRL_free(crl);
	EVP_PKEY_free(key);
	X509_free(ca);
	return out;
}

/* vc_crl_by of the root CA. */
VC_FN unsigned char *
vc_crl_at(long serial, time_t when, time_t last, time_t next, size_t *len)
{
	return vc_crl_by("ca", serial, when, last, next, len);
}

/*
 * A trust of the root and a CRL of it that lists nothing, current for a day:
 * a DSS it gathers (crypto_ltv_add_dss) answers every corpus certificate.
 * NULL when it cannot be made (vc_pki_make first).
 */
VC_FN struct crypto_trust *
vc_crl_trust(void)
{
	const char *roots[1], *crls[1];
	struct crypto_trust *t = NULL;
	struct sp_errinfo ei;
	size_t n = 0;
	unsigned char *der = vc_crl_at(0, 0, time(NULL) - 60, time(NULL) + 86400, &n);
	char path[300];
	FILE *f = NULL;

	snprintf(path, sizeof(path), "%s", vc_path("ca-crl.der"));
	if (!der || !(f = fopen(path, "wb")) || fwrite(der, 1, n, f) != n) {
		if (f)
			fclose(f);
		free(der);
		return NULL;
	}
	fclose(f);
	free(der);
	roots[0] = vc_path("ca.pem");
	crls[0] = path;
	sp_errinfo_init(&ei);
	if (crypto_trust_new(roots, 1, NULL, 0, crls, 1, NULL, &t, &ei) != SP_OK)
		fprintf(stderr, "vc_crl_trust: %s\n", ei.msg);
	return t;
}

#endif /* VERIFY_CORPUS_H */
