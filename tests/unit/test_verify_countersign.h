/*
 * test_verify_countersign.h: what other tools do to a file sealpact
 * signed: a second signature (test_verify_writer.h's vw_update), a new
 * signature field with an invisible widget, the catalog's /Fields grown
 * and, when asked, what PAdES tools add besides; a DSS update as a tool that
 * embeds no trust anchors writes it; a signature's CMS rewritten. Shared by
 * the tests of other writers' files (test_verify_world.c, _world_claims.c,
 * _world_algs.c, _cms_extras.c). Header-only, as test_verify_world.h.
 */
#ifndef TEST_VERIFY_COUNTERSIGN_H
#define TEST_VERIFY_COUNTERSIGN_H

#include <qpdf/qpdf-c.h>

#include "test_verify_world.h"

/* The text of object num as qpdf unparses it (malloc'd). */
VC_FN char *
obj_text(const unsigned char *d, size_t n, int num)
{
	qpdf_data q = qpdf_init();
	char *s;

	qpdf_silence_errors(q);
	ck_assert(!(qpdf_read_memory(q, "x.pdf", (const char *)d, n, "") & QPDF_ERRORS));
	s = strdup(qpdf_oh_unparse_resolved(q, qpdf_get_object_by_id(q, num, 0)));
	qpdf_cleanup(&q);
	return s;
}

/* s with `ins` inserted before the ']' that closes the array after `key` (malloc'd). */
VC_FN char *
array_append(const char *s, const char *key, const char *ins)
{
	const char *k = strstr(s, key), *e;
	char *o;

	ck_assert_msg(k != NULL, "%s not in %s", key, s);
	e = strchr(k, ']');
	o = malloc(strlen(s) + strlen(ins) + 2);
	sprintf(o, "%.*s %s%s", (int)(e - s), s, ins, e);
	return o;
}

/* s (a dictionary) with `ins` added after its opening "<<" (malloc'd). */
VC_FN char *
dict_add(const char *s, const char *ins)
{
	/* "<< " + ins + " " + the rest after "<<" + NUL */
	char *o = malloc(strlen(s) + strlen(ins) + 3);

	ck_assert(s[0] == '<' && s[1] == '<');
	sprintf(o, "<< %s %s", ins, s + 2);
	return o;
}

/* The size (next free object number) of d. */
VC_FN int
next_obj(const unsigned char *d, size_t n)
{
	struct pdf_doc *doc;
	struct pdf_doc_info info;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert(pdf_doc_open(d, n, &doc, &ei) == SP_OK);
	pdf_doc_info_get(doc, &info);
	pdf_doc_free(doc);
	return (int)info.size;
}

/*
 * two, one (n1 bytes) countersigned, with a covered byte of the
 * countersignature's update changed (its field's name): the countersignature
 * is invalid, `reason` first. The byte is put back.
 */
VC_FN void
assert_tampered_invalid(unsigned char *two, size_t n1, size_t n2, const char *reason)
{
	unsigned char *p = memmem(two + n1, n2 - n1, "/T (Countersignature)", 21);
	struct crypto_verify_report *r;

	ck_assert_ptr_nonnull(p);
	p[4] = 'c';
	r = verify(two, n2);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[1].reasons[0], reason);
	ck_assert_int_ne(r->sigs[1].signature_ok + r->sigs[1].digest_ok, 2);
	crypto_verify_report_free(r);
	p[4] = 'C';
}

/* The countersignature's /M entry (key and value), NULL: /M (D:20260101120000Z). */
TEST_SHARED const char *countersign_m;

/*
 * A countersignature by the other writer on d (signed by sealpact): a new
 * signature field with an invisible widget on page 1 (object 3), the
 * catalog (object 1) with its /Fields grown and, when extras, what PAdES
 * tools add: /Extensions (ESIC), AcroForm /DA /DR /NeedAppearances, a DSS;
 * extras 2: /NeedAppearances true, 3: also the amount field's value changed.
 */
VC_FN unsigned char *
countersign(const unsigned char *d, size_t n, enum vw_xref kind, int extras, const char *subfilter,
	    const char *signer, size_t *outn)
{
	int f = next_obj(d, n), nums[6];
	char *cat = obj_text(d, n, 1), *page = obj_text(d, n, 3), *c2, *c3, *p2, fld[256], sig[256],
	     ref[32];
	const char *objs[6];
	size_t k = 0;
	unsigned char *out;

	snprintf(ref, sizeof(ref), "%d 0 R", f);
	snprintf(fld, sizeof(fld),
		 "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Countersignature) /F 132 "
		 "/Rect [0 0 0 0] /P 3 0 R /V %d 0 R >>",
		 f + 1);
	snprintf(sig, sizeof(sig), "<< /Type %s /Filter /Adobe.PPKLite /SubFilter %s %s @SIG@ >>",
		 strcmp(subfilter, "/ETSI.RFC3161") ? "/Sig" : "/DocTimeStamp", subfilter,
		 countersign_m ? countersign_m : "/M (D:20260101120000Z)");
	c2 = array_append(cat, "/Fields", ref);
	if (extras) {
		c3 = dict_add(c2, "/Extensions << /ESIC << /BaseVersion /1.7 /ExtensionLevel 2 >> "
				  ">> /DSS << /Certs [] >>");
		free(c2);
		c2 = c3;
		c3 = array_append(c2, "/Fields", "");
		free(c2);
		/* AcroForm defaults a form filler writes */
		c2 = malloc(strlen(c3) + 200);
		{
			char *af = strstr(c3, "/AcroForm <<");
			ck_assert_ptr_nonnull(af);
			sprintf(c2,
				"%.*s/AcroForm << /DA (/Helv 0 Tf 0 g) /NeedAppearances %s "
				"/DR << /Font << /Helv << /Type /Font /Subtype /Type1 /BaseFont "
				"/Helvetica >> >> >> %s",
				(int)(af - c3), c3, extras == 2 ? "true" : "false", af + 12);
		}
		free(c3);
	}
	p2 = strstr(page, "/Annots") ? array_append(page, "/Annots", ref) : dict_add(page, "");
	nums[k] = 1;
	objs[k++] = c2;
	nums[k] = f;
	objs[k++] = fld;
	nums[k] = f + 1;
	objs[k++] = sig;
	nums[k] = 3;
	objs[k++] = p2;
	if (extras == 3) {
		/* the existing text field's value changed (no FieldMDP lets it) */
		nums[k] = 7;
		objs[k++] = "<< /Type /Annot /Subtype /Widget /FT /Tx /T (amount) /V (900) "
			    "/Rect [72 600 200 620] /P 3 0 R >>";
	}
	out = vw_update(d, n, nums, objs, k, kind, signer ? signer : "ec", outn);
	free(cat);
	free(page);
	free(c2);
	free(p2);
	return out;
}

/*
 * d plus a DSS update holding the certificates (DER, in that order) and the
 * CRLs given, and a /VRI entry for signature 0.
 */
VC_FN unsigned char *
dss_with_blobs(const unsigned char *d, size_t n, const struct pdf_blob *certs, size_t ncerts,
	       const struct pdf_blob *crls, size_t ncrls, size_t *outn)
{
	struct pdf_sig_field *f = NULL;
	struct pdf_dss_add add;
	struct pdf_dss old;
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	unsigned char *out = NULL;
	char vri[1][41];
	size_t nf = 0;

	sp_errinfo_init(&ei);
	ck_assert(pdf_doc_open(d, n, &doc, &ei) == SP_OK);
	ck_assert(pdf_sig_fields_list(doc, &f, &nf, &ei) == SP_OK && nf > 0);
	ck_assert(pdf_vri_key(f[0].contents, f[0].contents_len, vri[0]) == SP_OK);
	memset(&add, 0, sizeof(add));
	add.certs = certs;
	add.ncerts = ncerts;
	add.crls = crls;
	add.ncrls = ncrls;
	add.vri = (const char(*)[41])vri;
	add.nvri = 1;
	ck_assert(pdf_dss_read(doc, &old, &ei) == SP_OK);
	ck_assert_msg(pdf_dss_append(doc, &old, &add, &out, outn, &ei) == SP_OK, "%s", ei.msg);
	pdf_dss_cleanup(&old);
	pdf_sig_fields_free(f, nf);
	pdf_doc_free(doc);
	return out;
}

/*
 * d plus a DSS update written as a tool that embeds no trust anchors
 * writes it: the certificates named (none a root), the CRLs given and a
 * /VRI entry for signature 0.
 */
VC_FN unsigned char *
dss_without_roots(const unsigned char *d, size_t n, const char *const *who, size_t nwho,
		  const struct pdf_blob *crls, size_t ncrls, size_t *outn)
{
	struct pdf_blob certs[4];
	unsigned char *out, *der;
	size_t i;
	int len;

	ck_assert_uint_le(nwho, 4);
	for (i = 0; i < nwho; i++) {
		X509 *x = vc_cert(who[i]);
		der = NULL;
		ck_assert_int_gt(len = i2d_X509(x, &der), 0);
		certs[i].data = malloc((size_t)len);
		memcpy(certs[i].data, der, (size_t)len);
		certs[i].len = (size_t)len;
		OPENSSL_free(der);
		X509_free(x);
	}
	out = dss_with_blobs(d, n, certs, nwho, crls, ncrls, outn);
	for (i = 0; i < nwho; i++)
		free(certs[i].data);
	return out;
}

/*
 * The bytes of d's last signature's /Contents (the whole placeholder, its
 * zeros too) handed to fn, which writes what goes there instead into out
 * (room bytes at most) and returns how many; written back as hex, the rest
 * of the placeholder zeros.
 */
VC_FN void
contents_rewrite(unsigned char *d, size_t n,
		 size_t (*fn)(const unsigned char *, size_t, unsigned char *, size_t, const void *),
		 const void *arg)
{
	static const char hx[] = "0123456789ABCDEF";
	unsigned char *c = NULL, *der, *out;
	size_t i, h, dl, ol;

	for (i = n - 11; i-- > 0 && !c;)
		if (memcmp(d + i, "/Contents <", 11) == 0)
			c = d + i + 11;
	ck_assert_ptr_nonnull(c);
	for (h = 0; c + h < d + n && c[h] != '>'; h++)
		;
	ck_assert_uint_gt(h, 1); /* (malloc(0) may answer NULL) */
	ck_assert_ptr_nonnull(der = malloc(h / 2));
	ck_assert_ptr_nonnull(out = malloc(h / 2));
	ck_assert_int_eq(sp_hex_decode((const char *)c, h, der, h / 2, &dl), SP_OK);
	ol = fn(der, dl, out, h / 2, arg);
	ck_assert_uint_le(ol, h / 2);
	memset(c, '0', h);
	for (i = 0; i < ol; i++) {
		c[2 * i] = (unsigned char)hx[out[i] >> 4];
		c[2 * i + 1] = (unsigned char)hx[out[i] & 15];
	}
	free(out);
	free(der);
}

struct cms_fn {
	void (*fn)(CMS_ContentInfo *, const void *);
	const void *arg;
};

VC_FN size_t
cms_recoded(const unsigned char *der, size_t dl, unsigned char *out, size_t room, const void *arg)
{
	const struct cms_fn *f = arg;
	const unsigned char *p = der;
	unsigned char *enc = NULL;
	CMS_ContentInfo *cms;
	int ol;

	ck_assert_ptr_nonnull(cms = d2i_CMS_ContentInfo(NULL, &p, (long)dl));
	f->fn(cms, f->arg);
	ol = i2d_CMS_ContentInfo(cms, &enc);
	ck_assert(ol > 0 && (size_t)ol <= room);
	memcpy(out, enc, (size_t)ol);
	OPENSSL_free(enc);
	CMS_ContentInfo_free(cms);
	return (size_t)ol;
}

/* The CMS of d's last signature, changed by fn (which asserts what it does), written
   back into its /Contents (the placeholder's zeros after it). */
VC_FN void
cms_rewrite(unsigned char *d, size_t n, void (*fn)(CMS_ContentInfo *, const void *),
	    const void *arg)
{
	struct cms_fn f = { fn, arg };

	contents_rewrite(d, n, cms_recoded, &f);
}

/* pdfsig's "Signature Validation" line for signature k (1-based) of file name. */
VC_FN char *
pdfsig_says(const char *name, int k)
{
	char *out, *p, *e, *line;
	size_t m;
	int i;

	(void)run("cd %s && pdfsig -nssdir sql:nss %s >pdfsig.txt 2>&1", vc_dir, name);
	out = (char *)read_file(vc_path("pdfsig.txt"), &m);
	for (p = out, i = 0; p && i < k; i++)
		if ((p = strstr(p, "Signature Validation: ")) != NULL)
			p += 22;
	ck_assert_msg(p != NULL, "%s: pdfsig: %s", name, out);
	e = strchr(p, '\n');
	line = strndup(p, e ? (size_t)(e - p) : strlen(p));
	free(out);
	return line;
}

/* d signed by poppler (pdfsig -add-signature over NSS, the rsa signer imported once) in a
   new field `field`: the file (malloc'd). */
VC_FN unsigned char *
poppler_sign(const unsigned char *d, size_t n, const char *field, size_t *outn)
{
	write_file(vc_path("poppler_in.pdf"), d, n);
	ck_assert_int_eq(run("cd %s && ( certutil -L -d sql:nss -n rsa >/dev/null 2>&1 || "
			     "( openssl pkcs12 -export -inkey rsa.key -in rsa.pem -name rsa "
			     "-passout pass: -out rsa.p12 && pk12util -i rsa.p12 -d sql:nss "
			     "-W '' ) ) >>pki.log 2>&1",
			     vc_dir),
			 0);
	ck_assert_int_eq(run("cd %s && pdfsig -nssdir sql:nss -add-signature -nick rsa "
			     "-new-signature-field-name %s poppler_in.pdf poppler_out.pdf "
			     ">>pki.log 2>&1",
			     vc_dir, field),
			 0);
	return read_file(vc_path("poppler_out.pdf"), outn);
}

#endif /* TEST_VERIFY_COUNTERSIGN_H */
