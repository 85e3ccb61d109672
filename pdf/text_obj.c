/*
 * text_obj.c: thin helpers over qpdf's C API for the text locator. They
 * never warn on wrong types (hostile files would fill qpdf's warning list),
 * and every handle they return is released by the caller, so a long
 * extraction does not grow qpdf's handle table.
 */
#include <stdlib.h>
#include <string.h>

#include "text_int.h"

qpdf_oh tobj_key(struct pdf_doc *doc, qpdf_oh d, const char *key)
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

double tobj_num(struct pdf_doc *doc, qpdf_oh d, const char *key, double def)
{
	qpdf_oh v = tobj_key(doc, d, key);
	double r = def;

	if (qpdf_oh_is_number(doc->q, v))
		r = qpdf_oh_get_numeric_value(doc->q, v);
	qpdf_oh_release(doc->q, v);
	return r;
}

int tobj_name(struct pdf_doc *doc, qpdf_oh d, const char *key, char *buf, size_t n)
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

int tobj_item_num(struct pdf_doc *doc, qpdf_oh a, int i, double *v)
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

void tobj_release(struct pdf_doc *doc, qpdf_oh o)
{
	if (o)
		qpdf_oh_release(doc->q, o);
}

void tobj_drain(struct pdf_doc *doc)
{
	int guard = 0;

	/* bounded: each call removes one warning */
	while (qpdf_more_warnings(doc->q) && guard++ < 1000000)
		(void)qpdf_next_warning(doc->q);
	if (qpdf_has_error(doc->q))
		(void)qpdf_get_error(doc->q);
}

int text_stream_data(struct pdf_doc *doc, qpdf_oh s, unsigned char **out, size_t *len,
		     struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	unsigned char *buf = NULL;
	size_t n = 0;
	QPDF_BOOL filtered = QPDF_FALSE;

	*out = NULL;
	*len = 0;
	if (!qpdf_oh_is_stream(doc->q, s)) {
		r = sp_err(ei, SP_ERR_PDF, "not a stream");
		goto out;
	}
	if (qpdf_oh_get_stream_data(doc->q, s, qpdf_dl_generalized, &filtered, &buf, &n) &
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
		r = sp_err(ei, SP_ERR_LIMIT, "stream decodes to %zu bytes, over the limit", n);
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
