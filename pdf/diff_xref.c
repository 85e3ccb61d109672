/*
 * diff_xref.c: an xref stream read by hand (dictionary via qpdf_oh_parse,
 * data via zlib and the PNG predictors of PDF 32000 §7.4.4.4), so that the
 * difference analysis can list what an update redefined even when qpdf does
 * not expose the xref stream as an object. Hostile input: every size capped.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "diff_int.h"

#define DICT_MAX 65536

static int
inflate_capped(const unsigned char *in, size_t n, unsigned char **out, size_t *outlen)
{
	z_stream z;
	unsigned char *b = NULL;
	size_t cap = 4096;
	int zr = Z_OK;

	memset(&z, 0, sizeof(z));
	if (n > UINT32_MAX || inflateInit(&z) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)in;
	z.avail_in = (unsigned)n;
	while (zr != Z_STREAM_END) {
		void *nb;
		if (!b || z.total_out == cap) {
			if (b)
				cap *= 2;
			if (cap > DIFF_XREF_STREAM_MAX || !(nb = realloc(b, cap)))
				goto fail;
			b = nb;
		}
		z.next_out = b + z.total_out;
		z.avail_out = (unsigned)(cap - z.total_out);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END)
			goto fail;
		if (zr == Z_OK && z.avail_in == 0 && z.avail_out > 0)
			goto fail; /* truncated */
	}
	*out = b;
	*outlen = z.total_out;
	inflateEnd(&z);
	return 0;
fail:
	inflateEnd(&z);
	free(b);
	return -1;
}

static int
paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Undo PNG predictors in place: rows of 1 + cols bytes become rows of cols. */
static int
unpredict(unsigned char *d, size_t *len, size_t cols)
{
	size_t rows, r, i, out = 0;
	unsigned char *prev = NULL, *row;

	if (cols == 0 || cols > 4096 || *len % (cols + 1))
		return -1;
	rows = *len / (cols + 1);
	for (r = 0; r < rows; r++) {
		int type = d[r * (cols + 1)];
		row = d + out;
		memmove(row, d + r * (cols + 1) + 1, cols);
		for (i = 0; i < cols; i++) {
			int left = i ? row[i - 1] : 0, up = prev ? prev[i] : 0,
			    ul = prev && i ? prev[i - 1] : 0;
			switch (type) {
			case 0:
				break;
			case 1:
				row[i] = (unsigned char)(row[i] + left);
				break;
			case 2:
				row[i] = (unsigned char)(row[i] + up);
				break;
			case 3:
				row[i] = (unsigned char)(row[i] + (left + up) / 2);
				break;
			case 4:
				row[i] = (unsigned char)(row[i] + paeth(left, up, ul));
				break;
			default:
				return -1;
			}
		}
		prev = row;
		out += cols;
	}
	*len = out;
	return 0;
}

int
diff_xref_stream_read(struct pdf_doc *doc, size_t p, qpdf_oh *dict, unsigned char **buf,
		      size_t *len)
{
	const unsigned char *d = doc->data, *s, *e;
	size_t n = doc->len, start, dl;
	char *text = NULL;
	qpdf_data q = doc->q;
	qpdf_oh lo, f, dp, pr, co;
	long long slen;
	unsigned char *raw = NULL;
	size_t rawlen;
	int r = -1;

	*buf = NULL;
	*len = 0;
	if (p >= n || !(s = memmem(d + p, n - p < 1024 ? n - p : 1024, "<<", 2)))
		return -1;
	if (!(e = memmem(s, n - (size_t)(s - d) < DICT_MAX ? n - (size_t)(s - d) : DICT_MAX,
			 "stream", 6)))
		return -1;
	dl = (size_t)(e - s);
	if (!(text = malloc(dl + 1)))
		return -1;
	memcpy(text, s, dl);
	text[dl] = 0;
	*dict = qpdf_oh_parse(q, text);
	free(text);
	if (qpdf_has_error(q) || !qpdf_oh_is_dictionary(q, *dict))
		return -1;
	start = (size_t)(e - d) + 6;
	if (start < n && d[start] == '\r')
		start++;
	if (start < n && d[start] == '\n')
		start++;
	lo = qpdf_oh_get_key_if_dict(q, *dict, "/Length");
	if (!qpdf_oh_is_integer(q, lo) || (slen = qpdf_oh_get_int_value(q, lo)) < 0 ||
	    (size_t)slen > n - start)
		return -1;
	f = qpdf_oh_get_key_if_dict(q, *dict, "/Filter");
	if (qpdf_oh_is_null(q, f)) {
		if (!(raw = malloc((size_t)slen ? (size_t)slen : 1)))
			return -1;
		memcpy(raw, d + start, (size_t)slen);
		rawlen = (size_t)slen;
	} else if (qpdf_oh_is_name_and_equals(q, f, "/FlateDecode")) {
		if (inflate_capped(d + start, (size_t)slen, &raw, &rawlen) < 0)
			return -1;
	} else {
		return -1;
	}
	dp = qpdf_oh_get_key_if_dict(q, *dict, "/DecodeParms");
	pr = qpdf_oh_get_key_if_dict(q, dp, "/Predictor");
	if (qpdf_oh_is_integer(q, pr) && qpdf_oh_get_int_value(q, pr) >= 10) {
		co = qpdf_oh_get_key_if_dict(q, dp, "/Columns");
		if (!qpdf_oh_is_integer(q, co) || qpdf_oh_get_int_value(q, co) < 1 ||
		    unpredict(raw, &rawlen, (size_t)qpdf_oh_get_int_value(q, co)) < 0)
			goto out;
	} else if (qpdf_oh_is_integer(q, pr) && qpdf_oh_get_int_value(q, pr) > 1) {
		goto out; /* TIFF predictor: not in xref streams anyone writes */
	}
	*buf = raw;
	*len = rawlen;
	raw = NULL; /* transferred */
	r = 0;
out:
	free(raw);
	return r;
}
