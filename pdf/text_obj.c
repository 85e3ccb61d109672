/*
 * text_obj.c: thin helpers over qpdf's C API for the text locator. They
 * never warn on wrong types (hostile files would fill qpdf's warning list),
 * and every handle they return is released by the caller, so a long
 * extraction does not grow qpdf's handle table.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "text_int.h"

qpdf_oh
tobj_key(struct pdf_doc *doc, qpdf_oh d, const char *key)
{
	qpdf_oh dict, v;

	if (qpdf_oh_is_stream(doc->q, d)) {
		dict = qpdf_oh_get_dict(doc->q, d);
		v = qpdf_oh_get_key_if_dict(doc->q, dict, key);
		qpdf_oh_release(doc->q, dict);
		return v;
	}
	return qpdf_oh_get_key_if_dict(doc->q, d, key);
}

double
tobj_num(struct pdf_doc *doc, qpdf_oh d, const char *key, double def)
{
	qpdf_oh v = tobj_key(doc, d, key);
	double r = def;

	if (qpdf_oh_is_number(doc->q, v))
		r = qpdf_oh_get_numeric_value(doc->q, v);
	qpdf_oh_release(doc->q, v);
	return r;
}

int
tobj_name(struct pdf_doc *doc, qpdf_oh d, const char *key, char *buf, size_t n)
{
	qpdf_oh v = tobj_key(doc, d, key);
	int found = 0;

	buf[0] = '\0';
	if (qpdf_oh_is_name(doc->q, v)) {
		const char *s = qpdf_oh_get_name(doc->q, v);
		if (s && s[0] == '/')
			s++;
		if (s && strlen(s) < n) {
			memcpy(buf, s, strlen(s) + 1);
			found = 1;
		}
	}
	qpdf_oh_release(doc->q, v);
	return found;
}

int
tobj_item_num(struct pdf_doc *doc, qpdf_oh a, int i, double *v)
{
	qpdf_oh it;
	int ok = 0;

	if (!qpdf_oh_is_array(doc->q, a) || i < 0 || i >= qpdf_oh_get_array_n_items(doc->q, a))
		return 0;
	it = qpdf_oh_get_array_item(doc->q, a, i);
	if (qpdf_oh_is_number(doc->q, it)) {
		*v = qpdf_oh_get_numeric_value(doc->q, it);
		ok = 1;
	}
	qpdf_oh_release(doc->q, it);
	return ok;
}

void
tobj_release(struct pdf_doc *doc, qpdf_oh o)
{
	if (o)
		qpdf_oh_release(doc->q, o);
}

void
tobj_drain(struct pdf_doc *doc)
{
	int guard = 0;

	/* bounded: each call removes one warning */
	while (qpdf_more_warnings(doc->q) && guard++ < 1000000)
		(void)qpdf_next_warning(doc->q);
	if (qpdf_has_error(doc->q))
		(void)qpdf_get_error(doc->q);
}

/*
 * Inflate with a hard cap on the output: qpdf decodes a whole stream into
 * memory, so a small "deflate bomb" in a hostile upload would cost
 * gigabytes before any size check. Corrupt data after some output keeps
 * what decoded, as viewers do.
 */
static int
inflate_capped(const unsigned char *in, size_t n, unsigned char **out, size_t *outlen,
	       struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL, zr;
	z_stream z;
	struct sp_buf b;
	unsigned char chunk[16384];

	memset(&z, 0, sizeof(z));
	sp_buf_init(&b, TEXT_MAX_STREAM);
	if (inflateInit(&z) != Z_OK) {
		r = sp_err(ei, SP_ERR_NOMEM, "inflate: cannot start");
		goto out_noz;
	}
	z.next_in = (unsigned char *)in;
	z.avail_in = n > UINT_MAX ? UINT_MAX : (unsigned)n;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
			if (b.len == 0) {
				r = sp_err(ei, SP_ERR_PDF, "stream data: corrupt deflate data");
				goto out;
			}
			zr = Z_STREAM_END; /* keep the part that decoded */
		}
		if (sp_buf_add(&b, chunk, sizeof(chunk) - z.avail_out) != SP_OK) {
			r = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
					  "stream decodes to more than %d bytes", TEXT_MAX_STREAM);
			goto out;
		}
	} while (zr == Z_OK || (zr == Z_BUF_ERROR && z.avail_out == 0));
	*out = sp_buf_take(&b, outlen);
	if (!*out && !(*out = calloc(1, 1))) {
		r = sp_err(ei, SP_ERR_NOMEM, "inflate: out of memory");
		goto out;
	}
	r = SP_OK;
out:
	inflateEnd(&z);
out_noz:
	sp_buf_cleanup(&b);
	return r;
}

/* 1 when the stream is unfiltered (*flate 0) or plain /FlateDecode (*flate 1). */
static int
simple_filter(struct pdf_doc *doc, qpdf_oh s, int *flate)
{
	qpdf_oh f = tobj_key(doc, s, "/Filter"), parms = tobj_key(doc, s, "/DecodeParms"), one = 0;
	int ok = 0;

	*flate = 0;
	if (!qpdf_oh_is_null(doc->q, parms) && qpdf_oh_is_initialized(doc->q, parms))
		goto out; /* predictors and the like: leave them to qpdf */
	if (qpdf_oh_is_array(doc->q, f) && qpdf_oh_get_array_n_items(doc->q, f) == 1) {
		one = qpdf_oh_get_array_item(doc->q, f, 0);
		f = one;
		one = 0;
	}
	if (qpdf_oh_is_null(doc->q, f) || !qpdf_oh_is_initialized(doc->q, f) ||
	    (qpdf_oh_is_array(doc->q, f) && qpdf_oh_get_array_n_items(doc->q, f) == 0)) {
		ok = 1;
	} else if (qpdf_oh_is_name_and_equals(doc->q, f, "/FlateDecode") ||
		   qpdf_oh_is_name_and_equals(doc->q, f, "/Fl")) {
		*flate = 1;
		ok = 1;
	}
out:
	tobj_release(doc, one);
	tobj_release(doc, f);
	tobj_release(doc, parms);
	return ok;
}

int
text_stream_data(struct pdf_doc *doc, qpdf_oh s, unsigned char **out, size_t *len,
		 struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	unsigned char *buf = NULL;
	size_t n = 0;
	QPDF_BOOL filtered = QPDF_FALSE;
	int flate = 0;

	*out = NULL;
	*len = 0;
	if (!qpdf_oh_is_stream(doc->q, s)) {
		r = sp_err(ei, SP_ERR_PDF, "not a stream");
		goto out;
	}
	if (simple_filter(doc, s, &flate)) {
		/* the raw bytes are bounded by the file; decode them ourselves, capped */
		if (qpdf_oh_get_stream_data(doc->q, s, qpdf_dl_none, NULL, &buf, &n) &
		    QPDF_ERRORS) {
			qpdf_error e = qpdf_get_error(doc->q);
			r = sp_err(ei, SP_ERR_PDF, "stream data: %s",
				   e ? qpdf_get_error_full_text(doc->q, e) : "unreadable");
			goto out;
		}
		if (flate) {
			unsigned char *dec = NULL;
			size_t dn = 0;
			r = inflate_capped(buf, n, &dec, &dn, ei);
			free(buf);
			buf = dec;
			n = dn;
			if (r != SP_OK)
				goto out;
		}
		filtered = QPDF_TRUE;
	} else if (qpdf_oh_get_stream_data(doc->q, s, qpdf_dl_generalized, &filtered, &buf, &n) &
		   QPDF_ERRORS) {
		qpdf_error e = qpdf_get_error(doc->q);
		r = sp_err(ei, SP_ERR_PDF, "stream data: %s",
			   e ? qpdf_get_error_full_text(doc->q, e) : "unreadable");
		goto out;
	}
	if (!filtered) {
		/* an unsupported filter: the raw bytes are not content */
		r = sp_err(ei, SP_ERR_UNSUPPORTED, "stream uses an unsupported filter");
		goto out;
	}
	if (n > TEXT_MAX_STREAM) {
		r = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
				  "stream decodes to %zu bytes, over the limit", n);
		goto out;
	}
	*out = buf;
	buf = NULL; /* transferred */
	*len = n;
	r = SP_OK;
out:
	free(buf);
	return r;
}
