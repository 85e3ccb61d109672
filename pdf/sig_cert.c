/*
 * sig_cert.c: the certificates an adbe.x509.rsa_sha1 signature dictionary
 * carries in /Cert (ISO 32000-1 §12.8.1 Table 252). That kind of signature
 * is no CMS: its /Contents is a bare PKCS #1 signature value, so the signer's
 * certificate, and the chain up from it, can only come from here.
 */
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

void
pdf_blobs_free(struct pdf_blob *b, size_t n)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < n; i++)
		free(b[i].data);
	free(b);
}

/* One /Cert string into b (copied). */
static int
cert_string(qpdf_data q, qpdf_oh s, struct pdf_blob *b, struct sp_errinfo *ei)
{
	const char *bin;
	size_t len = 0;

	if (!qpdf_oh_is_string(q, s) || !(bin = qpdf_oh_get_binary_string_value(q, s, &len)) ||
	    len == 0)
		return sp_err(ei, SP_ERR_NOT_FOUND, "/Cert holds something other than a string");
	if (len > PDF_SIG_CERT_MAX)
		return sp_err(ei, SP_ERR_LIMIT, "a /Cert string is over %d bytes",
			      PDF_SIG_CERT_MAX);
	if (!(b->data = malloc(len)))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	memcpy(b->data, bin, len);
	b->len = len;
	return SP_OK;
}

int
pdf_sig_cert_read(struct pdf_doc *doc, int obj, int gen, struct pdf_blob **out, size_t *n,
		  struct sp_errinfo *ei)
{
	qpdf_data q = doc->q;
	qpdf_oh v = qpdf_get_object_by_id(q, obj, gen), c, it;
	struct pdf_blob *b = NULL;
	size_t i, cnt = 0;
	int r;

	*out = NULL;
	*n = 0;
	c = qpdf_oh_get_key_if_dict(q, v, "/Cert");
	if (qpdf_oh_is_string(q, c)) {
		cnt = 1;
	} else if (qpdf_oh_is_array(q, c) && qpdf_oh_get_array_n_items(q, c) > 0) {
		cnt = (size_t)qpdf_oh_get_array_n_items(q, c);
	} else {
		r = sp_err(ei, SP_ERR_NOT_FOUND, "the signature dictionary has no /Cert");
		goto out;
	}
	if (cnt > PDF_SIG_CERTS_MAX) {
		r = sp_err(ei, SP_ERR_LIMIT, "/Cert holds over %d certificates", PDF_SIG_CERTS_MAX);
		goto out;
	}
	if (!(b = calloc(cnt, sizeof(*b)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0, r = SP_OK; i < cnt && r == SP_OK; i++) {
		if (qpdf_oh_is_array(q, c)) {
			it = qpdf_oh_get_array_item(q, c, (int)i);
			r = cert_string(q, it, &b[i], ei);
			qpdf_oh_release(q, it);
		} else {
			r = cert_string(q, c, &b[i], ei);
		}
	}
	if (r == SP_OK) {
		*out = b;
		*n = cnt;
		b = NULL;
	}
out:
	pdf_blobs_free(b, cnt);
	qpdf_oh_release(q, c);
	qpdf_oh_release(q, v);
	return r;
}
