/*
 * text_obj.c: thin helpers over qpdf's C API for the text locator, and a
 * page's inputs for its interpreter (text.c): its resources and its decoded
 * content. They never warn on wrong types (hostile files would fill qpdf's
 * warning list), and every handle they return is released by the caller, so
 * a long extraction does not grow qpdf's handle table.
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

qpdf_oh
tobj_resource(struct pdf_doc *doc, qpdf_oh res, const char *category, const char *name)
{
	char key[256];
	qpdf_oh cat, v;

	if (!res || strlen(name) + 2 > sizeof(key))
		return qpdf_oh_new_null(doc->q);
	key[0] = '/';
	memcpy(key + 1, name, strlen(name) + 1);
	cat = tobj_key(doc, res, category);
	v = tobj_key(doc, cat, key);
	qpdf_oh_release(doc->q, cat);
	return v;
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
	/* one byte under the cap: the buffer's NUL then still fits in TEXT_MAX_STREAM
	   bytes (at the cap itself it would double to twice that) */
	sp_buf_init(&b, TEXT_MAX_STREAM - 1);
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

/*
 * The filters a bound is computed through (chain_bounded): hex and base-85
 * decoded leniently (bytes they do not know skipped, as many as qpdf makes
 * or more), RunLength capped; NULL when the output would pass the cap.
 */
static unsigned char *
ahx_decode(const unsigned char *p, size_t n, size_t *outlen)
{
	unsigned char *o = malloc(n / 2 + 1);
	size_t i, k = 0;
	int hi = -1;

	if (o == NULL)
		return NULL;
	for (i = 0; i < n && p[i] != '>'; i++) {
		int c = p[i], v = c >= '0' && c <= '9'                     ? c - '0'
				  : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
									   : -1;
		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			o[k++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		o[k++] = (unsigned char)(hi << 4);
	*outlen = k;
	return o;
}

static unsigned char *
a85_decode(const unsigned char *p, size_t n, size_t *outlen)
{
	unsigned char *o = malloc(4 * n + 4); /* 'z' is 4 bytes a byte */
	size_t i, k = 0, j;
	uint32_t v = 0;
	int c = 0;

	if (o == NULL)
		return NULL;
	for (i = 0; i < n && p[i] != '~'; i++) {
		if (p[i] == 'z' && c == 0) {
			memset(o + k, 0, 4);
			k += 4;
		} else if (p[i] >= '!' && p[i] <= 'u') {
			v = v * 85 + (uint32_t)(p[i] - '!');
			if (++c == 5) {
				for (j = 0; j < 4; j++)
					o[k++] = (unsigned char)(v >> (24 - 8 * j));
				v = 0;
				c = 0;
			}
		}
	}
	if (c > 1) {
		for (j = (size_t)c; j < 5; j++)
			v = v * 85 + 84;
		for (j = 0; j + 1 < (size_t)c; j++)
			o[k++] = (unsigned char)(v >> (24 - 8 * j));
	}
	*outlen = k;
	return o;
}

static unsigned char *
rl_decode(const unsigned char *p, size_t n, size_t *outlen)
{
	struct sp_buf b;
	size_t i = 0;
	unsigned char run[128], *out;

	sp_buf_init(&b, TEXT_MAX_STREAM - 1);
	while (i < n && p[i] != 128) {
		size_t len = p[i] < 128 ? (size_t)p[i] + 1 : 257 - (size_t)p[i];
		int ok;
		if (p[i] < 128) {
			ok = sp_buf_add(&b, p + i + 1, i + 1 + len <= n ? len : n - i - 1) == SP_OK;
			i += len + 1;
		} else {
			memset(run, i + 1 < n ? p[i + 1] : 0, len);
			ok = sp_buf_add(&b, run, len) == SP_OK;
			i += 2;
		}
		if (!ok) {
			sp_buf_cleanup(&b);
			return NULL;
		}
	}
	out = sp_buf_take(&b, outlen);
	sp_buf_cleanup(&b);
	return out != NULL ? out : calloc(1, 1);
}

/* 1 when name is one of the two spellings */
static int
is_filter(const char *name, const char *full, const char *abbrev)
{
	return strcmp(name, full) == 0 || strcmp(name, abbrev) == 0;
}

/*
 * A stream the text locator does not decode itself (a filter chain, LZW,
 * RunLength, Flate with /DecodeParms) goes to qpdf, which decodes it whole
 * into memory before anyone can look at its size: 4.8 GB for a 2 MB file of
 * Flate with a predictor of 1. Bound what qpdf would make first, through the
 * filters in order: Flate inflated (capped), hex, base-85 and RunLength
 * decoded here, all discarded after; past LZW (not decoded here) at most
 * 4096 bytes a 9-bit code and deflate's 1032:1 after it. SP_OK within
 * TEXT_MAX_STREAM, pdf_limit beyond; a filter qpdf's generalized level does
 * not decode ends the walk (qpdf leaves the stream encoded).
 */
static int
chain_bounded(struct pdf_doc *doc, qpdf_oh s, const unsigned char *raw, size_t n,
	      struct sp_errinfo *ei)
{
	qpdf_oh f = tobj_key(doc, s, "/Filter");
	unsigned char *cur = NULL;
	size_t curlen = n;
	double bound = (double)n;
	int r = SP_OK, i, nf = 1, exact = 1;

	if (qpdf_oh_is_array(doc->q, f))
		nf = qpdf_oh_get_array_n_items(doc->q, f);
	for (i = 0; i < nf && bound <= TEXT_MAX_STREAM; i++) {
		qpdf_oh it = qpdf_oh_is_array(doc->q, f) ? qpdf_oh_get_array_item(doc->q, f, i) : 0;
		qpdf_oh nm = it ? it : f;
		const char *name = qpdf_oh_is_name(doc->q, nm) ? qpdf_oh_get_name(doc->q, nm) : "";
		const unsigned char *in = cur ? cur : raw;
		unsigned char *dec = NULL;
		size_t dn = 0;
		int known = 1;

		if (!exact) {
			/* past LZW: bounds only */
			if (is_filter(name, "/FlateDecode", "/Fl"))
				bound *= 1032;
			else if (is_filter(name, "/RunLengthDecode", "/RL"))
				bound *= 128;
			else if (is_filter(name, "/LZWDecode", "/LZW"))
				bound = bound * 8 / 9 * 4096;
			else if (!is_filter(name, "/ASCIIHexDecode", "/AHx") &&
				 !is_filter(name, "/ASCII85Decode", "/A85"))
				known = 0;
		} else if (is_filter(name, "/FlateDecode", "/Fl")) {
			struct sp_errinfo iei;
			sp_errinfo_init(&iei);
			/* corrupt data ends the output: qpdf stops there too */
			if (inflate_capped(in, curlen, &dec, &dn, &iei) == SP_ERR_LIMIT)
				bound = (double)TEXT_MAX_STREAM + 1;
		} else if (is_filter(name, "/ASCIIHexDecode", "/AHx")) {
			dec = ahx_decode(in, curlen, &dn);
		} else if (is_filter(name, "/ASCII85Decode", "/A85")) {
			dec = a85_decode(in, curlen, &dn);
		} else if (is_filter(name, "/RunLengthDecode", "/RL")) {
			if ((dec = rl_decode(in, curlen, &dn)) == NULL)
				bound = (double)TEXT_MAX_STREAM + 1;
		} else if (is_filter(name, "/LZWDecode", "/LZW")) {
			bound = (double)curlen * 8 / 9 * 4096;
			exact = 0;
		} else {
			known = 0;
		}
		tobj_release(doc, it);
		if (!known)
			break;
		if (dec != NULL) {
			free(cur);
			cur = dec;
			curlen = dn;
			bound = (double)dn;
		}
	}
	if (bound > TEXT_MAX_STREAM)
		r = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
				  "stream may decode to more than %d bytes", TEXT_MAX_STREAM);
	free(cur);
	tobj_release(doc, f);
	return r;
}

/* qpdf's decode of s into *buf (which holds the raw data on entry: freed). */
static int
decoded_by_qpdf(struct pdf_doc *doc, qpdf_oh s, unsigned char **buf, size_t *n, QPDF_BOOL *filtered,
		struct sp_errinfo *ei)
{
	free(*buf);
	*buf = NULL;
	*n = 0;
	if (qpdf_oh_get_stream_data(doc->q, s, qpdf_dl_generalized, filtered, buf, n) &
	    QPDF_ERRORS) {
		qpdf_error e = qpdf_get_error(doc->q);
		return sp_err(ei, SP_ERR_PDF, "stream data: %s",
			      e ? qpdf_get_error_full_text(doc->q, e) : "unreadable");
	}
	return SP_OK;
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
	} else if (qpdf_oh_get_stream_data(doc->q, s, qpdf_dl_none, NULL, &buf, &n) & QPDF_ERRORS) {
		qpdf_error e = qpdf_get_error(doc->q);
		r = sp_err(ei, SP_ERR_PDF, "stream data: %s",
			   e ? qpdf_get_error_full_text(doc->q, e) : "unreadable");
		goto out;
	} else if ((r = chain_bounded(doc, s, buf, n, ei)) != SP_OK ||
		   (r = decoded_by_qpdf(doc, s, &buf, &n, &filtered, ei)) != SP_OK) {
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

/* /Resources of a page, inherited through /Parent; 0 if none. */
qpdf_oh
tobj_page_resources(struct pdf_doc *doc, qpdf_oh page)
{
	qpdf_oh node = qpdf_oh_new_object(doc->q, page), res, parent;
	int i;

	for (i = 0; i < 64; i++) {
		res = tobj_key(doc, node, "/Resources");
		if (qpdf_oh_is_dictionary(doc->q, res)) {
			qpdf_oh_release(doc->q, node);
			return res;
		}
		qpdf_oh_release(doc->q, res);
		parent = tobj_key(doc, node, "/Parent");
		qpdf_oh_release(doc->q, node);
		node = parent;
		if (!qpdf_oh_is_dictionary(doc->q, node))
			break;
	}
	qpdf_oh_release(doc->q, node);
	return 0;
}

/*
 * A page's /Contents (one stream or an array of them, joined by a newline
 * as the spec says), each decoded with the cap of text_stream_data.
 */
int
tobj_page_content(struct pdf_doc *doc, qpdf_oh page, unsigned char **out, size_t *len,
		  struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL, i, n;
	qpdf_oh c = tobj_key(doc, page, "/Contents"), it = 0;
	struct sp_buf b;
	unsigned char *d = NULL;
	size_t dn = 0;

	*out = NULL;
	*len = 0;
	sp_buf_init(&b, TEXT_MAX_STREAM);
	if (qpdf_oh_is_stream(doc->q, c)) {
		r = text_stream_data(doc, c, out, len, ei);
		goto out;
	}
	n = qpdf_oh_is_array(doc->q, c) ? qpdf_oh_get_array_n_items(doc->q, c) : 0;
	for (i = 0; i < n; i++) {
		it = qpdf_oh_get_array_item(doc->q, c, i);
		if (qpdf_oh_is_stream(doc->q, it)) {
			if ((r = text_stream_data(doc, it, &d, &dn, ei)) != SP_OK)
				goto out;
			if (sp_buf_add(&b, d, dn) != SP_OK || sp_buf_add(&b, "\n", 1) != SP_OK) {
				r = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
						  "content over %d bytes", TEXT_MAX_STREAM);
				goto out;
			}
			free(d);
			d = NULL;
		}
		qpdf_oh_release(doc->q, it);
		it = 0;
	}
	*out = sp_buf_take(&b, len);
	if (!*out && !(*out = calloc(1, 1))) {
		r = sp_err(ei, SP_ERR_NOMEM, "text: out of memory");
		goto out;
	}
	r = SP_OK;
out:
	free(d);
	sp_buf_cleanup(&b);
	tobj_release(doc, it);
	tobj_release(doc, c);
	return r;
}
