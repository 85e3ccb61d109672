/*
 * sig_fields.c: the signature fields of a document and their signatures'
 * dictionaries as a verifier reads them (contents, byte range, names; the
 * field locks and DocMDP permissions through sig_perms.c).
 *
 * Everything here reads attacker-controlled input: every loop is bounded
 * and anything that does not parse is an error, never a guess.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

static enum pdf_sig_key
key_state(qpdf_data q, qpdf_oh d, const char *key, int want_string)
{
	qpdf_oh v;
	enum pdf_sig_key s = PDF_SIG_KEY_OK;

	if (!qpdf_oh_has_key(q, d, key))
		return PDF_SIG_KEY_MISSING;
	v = qpdf_oh_get_key_if_dict(q, d, key);
	if (qpdf_oh_is_indirect(q, v))
		s = PDF_SIG_KEY_INDIRECT;
	else if (qpdf_oh_is_null(q, v))
		s = PDF_SIG_KEY_NULL;
	else if (want_string ? !qpdf_oh_is_string(q, v) : !qpdf_oh_is_array(q, v))
		s = PDF_SIG_KEY_MALFORMED;
	qpdf_oh_release(q, v);
	return s;
}

/*
 * qpdf reads a key whose value is null as absent; the reason code should
 * still say which it was. Looks at the last definition "N G obj" in the
 * file's text (an object in an object stream reads as missing: only the
 * reason's wording depends on this, never the verdict).
 */
static int
raw_key_null(const struct pdf_doc *doc, int obj, int gen, const char *key)
{
	char head[48];
	const unsigned char *d = doc->data, *p = NULL, *q, *end;
	size_t hl, kl = strlen(key), i;

	hl = (size_t)snprintf(head, sizeof(head), "%d %d obj", obj, gen);
	for (i = doc->len >= hl ? doc->len - hl + 1 : 0; i-- > 0;)
		if (memcmp(d + i, head, hl) == 0 && (i == 0 || pdf_space(d[i - 1]))) {
			p = d + i + hl;
			break;
		}
	if (!p || !(end = memmem(p, doc->len - (size_t)(p - d), "endobj", 6)))
		return 0;
	for (q = p; (q = memmem(q, (size_t)(end - q), key, kl)) != NULL; q += kl) {
		const unsigned char *v = q + kl;
		while (v < end && pdf_space(*v))
			v++;
		if (end - v >= 4 && memcmp(v, "null", 4) == 0)
			return 1;
	}
	return 0;
}

/*
 * In an encrypted file a signature dictionary's /Contents is written plain
 * (ISO 32000-2 §7.6.2), but qpdf leaves it undecrypted only in a dictionary
 * of /Type /Sig: a document timestamp's (/Type /DocTimeStamp) it decrypts
 * into noise. Its value is read here from the object's last definition in
 * the file's text, as raw_key_null looks, the first "/Contents" there and
 * the hex string after it: *out malloc'd. 0, or -1 when there is no such
 * definition or string (an object in an object stream: its strings are not
 * encrypted, and qpdf's value stands). The gap check then compares the
 * signature's gap with what this found, as with any signature.
 */
static int
raw_contents(const struct pdf_doc *doc, int obj, int gen, unsigned char **out, size_t *outlen)
{
	char head[48];
	const unsigned char *d = doc->data, *p = NULL, *q, *end, *h;
	size_t hl, i, n;

	*out = NULL;
	*outlen = 0;
	hl = (size_t)snprintf(head, sizeof(head), "%d %d obj", obj, gen);
	for (i = doc->len >= hl ? doc->len - hl + 1 : 0; i-- > 0;)
		if (memcmp(d + i, head, hl) == 0 && (i == 0 || pdf_space(d[i - 1]))) {
			p = d + i + hl;
			break;
		}
	if (!p || !(end = memmem(p, doc->len - (size_t)(p - d), "endobj", 6)) ||
	    !(q = memmem(p, (size_t)(end - p), "/Contents", 9)))
		return -1;
	for (q += 9; q < end && pdf_space(*q); q++)
		;
	if (q == end || *q != '<')
		return -1;
	for (h = ++q; h < end && isxdigit(*h); h++)
		;
	n = (size_t)(h - q);
	if (h == end || *h != '>' || n == 0 || n % 2 || n / 2 > PDF_SIG_CONTENTS_MAX ||
	    !(*out = malloc(n / 2)))
		return -1;
	if (sp_hex_decode((const char *)q, n, *out, n / 2, outlen) != SP_OK) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* 1 when d's key is absent or a direct object (reading it consults no other object). */
static int
key_direct(qpdf_data q, qpdf_oh d, const char *key)
{
	qpdf_oh v = qpdf_oh_get_key_if_dict(q, d, key);
	int direct = !qpdf_oh_is_indirect(q, v);

	qpdf_oh_release(q, v);
	return direct;
}

static void
copy_name(qpdf_data q, qpdf_oh d, const char *key, char *out, size_t cap)
{
	qpdf_oh v = qpdf_oh_get_key_if_dict(q, d, key);

	out[0] = 0;
	if (qpdf_oh_is_name(q, v))
		snprintf(out, cap, "%s", qpdf_oh_get_name(q, v));
	qpdf_oh_release(q, v);
}

/*
 * s is a date as ISO 32000-2 §7.9.4 spells one: D:YYYYMMDDHHmmSSOHH'mm, the
 * year required and each later field optional but only after all before it,
 * each in its range; O is Z, + or -, then the offset's hours and minutes,
 * the apostrophes after them as PDF 1.7 (both) or 2.0 (the last optional)
 * writes them. The "D:" that some writers leave out is not required: pdfsig
 * reads such dates too.
 */
static int
pdf_date_ok(const char *s)
{
	static const int lo[] = { 1, 1, 0, 0, 0 }, hi[] = { 12, 31, 23, 59, 59 };
	int i, v;

	if (s[0] == 'D' && s[1] == ':')
		s += 2;
	for (i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	s += 4;
	for (i = 0; i < 5 && s[0] >= '0' && s[0] <= '9'; i++, s += 2) {
		if (s[1] < '0' || s[1] > '9')
			return 0;
		v = (s[0] - '0') * 10 + (s[1] - '0');
		if (v < lo[i] || v > hi[i])
			return 0;
	}
	if (*s == '\0')
		return 1;
	if (*s != 'Z' && *s != '+' && *s != '-')
		return 0;
	s++;
	/* HH'mm' after the sign (Z00'00' too, as some writers put it) */
	for (i = 0; i < 2 && *s != '\0'; i++) {
		if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' ||
		    (s[0] - '0') * 10 + (s[1] - '0') > (i ? 59 : 23))
			return 0;
		s += 2;
		if (*s == '\'')
			s++;
	}
	return *s == '\0';
}

/* The dictionary's /M is a string that is a date (pdf_date_ok). */
static int
m_is_date(qpdf_data q, qpdf_oh d)
{
	qpdf_oh v = qpdf_oh_get_key_if_dict(q, d, "/M");
	int ok = qpdf_oh_is_string(q, v) && pdf_date_ok(qpdf_oh_get_utf8_value(q, v));

	qpdf_oh_release(q, v);
	return ok;
}

/* More /ByteRange entries than this are not read (a writer lists two pairs). */
#define BYTERANGE_ITEMS_MAX 64

/*
 * br, a /ByteRange array, as the two ranges around its one gap, into
 * out[4]: 1, or 0 when it is not an even count of at least four direct
 * non-negative integers whose pairs run in order, each starting where the
 * one before ends but at exactly one gap forward; why (wlen bytes) then
 * says which entry or pair broke which rule, in words that follow
 * "/ByteRange " (a signer's tool is fixed from that, not from a list of
 * every rule). ISO 32000-2 §12.8.1
 * gives /ByteRange as pairs of offset and length and asks that they cover
 * the file but the /Contents value; a writer may split a run into several
 * pairs (pdfsig, PDFBox and iText hash each pair in turn), and the bytes
 * hashed are then those of the two ranges read here, in the same order.
 * Overlapping, repeated or backward pairs, and empty ones past the first
 * two, are not read: a range that hashes bytes twice or out of their order
 * signs no sequence of the file's.
 */
static int
byterange_read(qpdf_data q, qpdf_oh br, long long out[4], char *why, size_t wlen)
{
	long long v[BYTERANGE_ITEMS_MAX];
	int n = qpdf_oh_get_array_n_items(q, br), i, gap = 0, ok = 1;
	qpdf_oh it;

	memset(out, 0, 4 * sizeof(out[0]));
	why[0] = 0;
	if (n < 4 || n % 2) {
		snprintf(why, wlen,
			 "has %d entr%s: two or more pairs of offset and length are needed", n,
			 n == 1 ? "y" : "ies");
		return 0;
	}
	if (n > BYTERANGE_ITEMS_MAX) {
		snprintf(why, wlen, "has %d entries, more than the %d read", n,
			 BYTERANGE_ITEMS_MAX);
		return 0;
	}
	for (i = 0; i < n && ok; i++) {
		it = qpdf_oh_get_array_item(q, br, i);
		if (qpdf_oh_is_indirect(q, it))
			snprintf(why, wlen, "entry %d of %d is an indirect reference", i + 1, n);
		else if (!qpdf_oh_is_integer(q, it))
			snprintf(why, wlen, "entry %d of %d is a%s %s, not an integer", i + 1, n,
				 strchr("aeiou", qpdf_oh_get_type_name(q, it)[0]) ? "n" : "",
				 qpdf_oh_get_type_name(q, it));
		else if ((v[i] = qpdf_oh_get_int_value(q, it)) < 0)
			snprintf(why, wlen, "entry %d of %d is negative (%lld)", i + 1, n, v[i]);
		ok = !*why;
		qpdf_oh_release(q, it);
	}
	if (!ok)
		return 0;
	if (n == 4) {
		/* as written: the verification judges the two ranges */
		memcpy(out, v, 4 * sizeof(v[0]));
		return 1;
	}
	for (i = 0; i < n; i += 2)
		if (v[i + 1] <= 0 || v[i] > LLONG_MAX - v[i + 1]) {
			snprintf(why, wlen, "pair %d of %d %s", i / 2 + 1, n / 2,
				 v[i + 1] <= 0 ? "has length 0" : "ends past any file");
			return 0;
		}
	for (i = 2; i < n; i += 2)
		if (v[i] != v[i - 2] + v[i - 1]) {
			if (v[i] < v[i - 2] + v[i - 1]) {
				snprintf(why, wlen,
					 "pair %d starts at %lld, before pair %d ends at %lld "
					 "(bytes hashed twice or out of order)",
					 i / 2 + 1, v[i], i / 2, v[i - 2] + v[i - 1]);
				return 0;
			}
			if (gap) {
				snprintf(why, wlen,
					 "pair %d leaves a second gap, from %lld (one, the "
					 "/Contents value, is allowed)",
					 i / 2 + 1, v[i - 2] + v[i - 1]);
				return 0;
			}
			gap = i;
		}
	if (!gap) {
		snprintf(why, wlen, "pairs run on without the gap of the /Contents value");
		return 0;
	}
	out[0] = v[0];
	out[1] = v[gap - 2] + v[gap - 1] - v[0];
	out[2] = v[gap];
	out[3] = v[n - 2] + v[n - 1] - v[gap];
	return 1;
}

const char *
pdf_sig_byterange_why(const struct pdf_sig_field *s)
{
	switch (s->byterange_state) {
	case PDF_SIG_KEY_OK:
		return "";
	case PDF_SIG_KEY_MISSING:
		return "is missing";
	case PDF_SIG_KEY_NULL:
		return "is null";
	case PDF_SIG_KEY_INDIRECT:
		return "is an indirect reference, not an array written in place";
	case PDF_SIG_KEY_MALFORMED:
		break;
	}
	return s->byterange_why[0] ? s->byterange_why : "is not an array";
}

/* s's signature dictionary v (in doc): its keys into s, field name and lock kept. */
static int
sig_read(struct pdf_doc *doc, qpdf_oh v, struct pdf_sig_field *s, struct sp_errinfo *ei)
{
	qpdf_data q = doc->q;
	qpdf_oh c, br;
	const char *bin;
	size_t blen;

	free(s->contents);
	s->contents = NULL;
	s->contents_len = 0;
	s->unread = 0;
	s->self_contained = 0;
	s->gap_ok = 0; /* these bytes' gap was not compared with this read */
	s->type[0] = s->filter[0] = s->subfilter[0] = 0;
	s->docmdp_p = s->has_m = 0;
	memset(s->byterange, 0, sizeof(s->byterange));
	s->byterange_why[0] = 0;
	if (!qpdf_oh_is_dictionary(q, v)) {
		s->contents_state = s->byterange_state = PDF_SIG_KEY_MALFORMED;
		return SP_OK;
	}
	copy_name(q, v, "/Type", s->type, sizeof(s->type));
	copy_name(q, v, "/Filter", s->filter, sizeof(s->filter));
	copy_name(q, v, "/SubFilter", s->subfilter, sizeof(s->subfilter));
	s->docmdp_p = pdf_sig_docmdp_p(q, v);
	s->has_m = m_is_date(q, v);
	pdf_sig_ref_lock(q, v, s);
	s->contents_state = key_state(q, v, "/Contents", 1);
	s->byterange_state = key_state(q, v, "/ByteRange", 0);
	if (s->contents_state == PDF_SIG_KEY_MISSING && s->sig_obj > 0 &&
	    raw_key_null(doc, s->sig_obj, s->sig_gen, "/Contents"))
		s->contents_state = PDF_SIG_KEY_NULL;
	if (s->byterange_state == PDF_SIG_KEY_MISSING && s->sig_obj > 0 &&
	    raw_key_null(doc, s->sig_obj, s->sig_gen, "/ByteRange"))
		s->byterange_state = PDF_SIG_KEY_NULL;
	if (s->contents_state == PDF_SIG_KEY_OK) {
		c = qpdf_oh_get_key_if_dict(q, v, "/Contents");
		bin = qpdf_oh_get_binary_string_value(q, c, &blen);
		if (!bin || blen == 0 || blen > PDF_SIG_CONTENTS_MAX) {
			s->contents_state = PDF_SIG_KEY_MALFORMED;
		} else if (qpdf_is_encrypted(q) && strcmp(s->type, "/Sig") != 0 &&
			   raw_contents(doc, s->sig_obj, s->sig_gen, &s->contents,
					&s->contents_len) == 0) {
			/* not decrypted: see raw_contents */
		} else if (!(s->contents = malloc(blen))) {
			return sp_err(ei, SP_ERR_NOMEM, "out of memory");
		} else {
			memcpy(s->contents, bin, blen);
			s->contents_len = blen;
		}
		qpdf_oh_release(q, c);
	}
	if (s->byterange_state == PDF_SIG_KEY_OK) {
		br = qpdf_oh_get_key_if_dict(q, v, "/ByteRange");
		if (!byterange_read(q, br, s->byterange, s->byterange_why,
				    sizeof(s->byterange_why)))
			s->byterange_state = PDF_SIG_KEY_MALFORMED;
		qpdf_oh_release(q, br);
	} else if (s->byterange_state == PDF_SIG_KEY_MALFORMED) {
		br = qpdf_oh_get_key_if_dict(q, v, "/ByteRange");
		snprintf(s->byterange_why, sizeof(s->byterange_why), "is a%s %s, not an array",
			 strchr("aeiou", qpdf_oh_get_type_name(q, br)[0]) ? "n" : "",
			 qpdf_oh_get_type_name(q, br));
		qpdf_oh_release(q, br);
	}
	s->self_contained = s->sig_obj > 0 && qpdf_oh_is_indirect(q, v) &&
			    !qpdf_oh_is_stream(q, v) && !qpdf_oh_has_key(q, v, "/Reference") &&
			    key_direct(q, v, "/Type") && key_direct(q, v, "/Filter") &&
			    key_direct(q, v, "/SubFilter") && s->contents_state == PDF_SIG_KEY_OK &&
			    s->byterange_state == PDF_SIG_KEY_OK;
	return SP_OK;
}

int
pdf_sig_read_value(struct pdf_doc *doc, qpdf_oh v, struct pdf_sig_field *s, struct sp_errinfo *ei)
{
	return sig_read(doc, v, s, ei);
}

int
pdf_sig_field_read(struct pdf_doc *doc, struct pdf_sig_field *s, struct sp_errinfo *ei)
{
	qpdf_oh v;

	if (s->sig_obj <= 0)
		return sp_err(ei, SP_ERR_NOT_FOUND, "no signature object");
	v = qpdf_get_object_by_id(doc->q, s->sig_obj, s->sig_gen);
	if (qpdf_oh_is_null(doc->q, v))
		return sp_err(ei, SP_ERR_NOT_FOUND, "object %d is not in this revision",
			      s->sig_obj);
	return sig_read(doc, v, s, ei);
}

static int
sig_add(struct pdf_doc *doc, qpdf_oh field, qpdf_oh v, const char *name, int lazy,
	struct pdf_sig_field **arr, size_t *n, size_t *cap, struct sp_errinfo *ei)
{
	qpdf_data q = doc->q;
	struct pdf_sig_field *s;

	if (*n == SIG_FIELDS_MAX)
		return sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit", "more than %d signatures",
				     SIG_FIELDS_MAX);
	if (*n == *cap) {
		void *nv = realloc(*arr, (*cap ? 2 * *cap : 8) * sizeof(**arr));
		if (!nv)
			return sp_err(ei, SP_ERR_NOMEM, "out of memory");
		*arr = nv;
		*cap = *cap ? 2 * *cap : 8;
	}
	s = &(*arr)[(*n)++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->field_obj = qpdf_oh_get_object_id(q, field);
	pdf_sig_field_lock(q, field, s);
	if (qpdf_oh_is_indirect(q, v)) {
		s->sig_obj = qpdf_oh_get_object_id(q, v);
		s->sig_gen = qpdf_oh_get_generation(q, v);
		if (lazy) {
			s->unread = 1;
			return SP_OK;
		}
	}
	return sig_read(doc, v, s, ei);
}

static int
known(const int *skip, size_t nskip, int id)
{
	size_t i;

	for (i = 0; i < nskip; i++)
		if (skip[i] == id)
			return 1;
	return 0;
}

static int list(struct pdf_doc *doc, const int *skip, size_t nskip, int lazy,
		const struct pdf_sig_field *kn, size_t nkn, struct pdf_sig_field **out,
		size_t *nout, struct sp_errinfo *ei);

int
pdf_sig_fields_list(struct pdf_doc *doc, struct pdf_sig_field **out, size_t *nout,
		    struct sp_errinfo *ei)
{
	return list(doc, NULL, 0, 0, NULL, 0, out, nout, ei);
}

int
pdf_sig_fields_list_lazy(struct pdf_doc *doc, struct pdf_sig_field **out, size_t *nout,
			 struct sp_errinfo *ei)
{
	return list(doc, NULL, 0, 1, NULL, 0, out, nout, ei);
}

int
pdf_sig_fields_list_known(struct pdf_doc *doc, const struct pdf_sig_field *known, size_t nknown,
			  struct pdf_sig_field **out, size_t *nout, struct sp_errinfo *ei)
{
	return list(doc, NULL, 0, 1, known, nknown, out, nout, ei);
}

int
pdf_sig_fields_list_new(struct pdf_doc *doc, const int *skip, size_t nskip,
			struct pdf_sig_field **out, size_t *nout, struct sp_errinfo *ei)
{
	return list(doc, skip, nskip, 0, NULL, 0, out, nout, ei);
}

/* 1 when v (indirect) is the object of one of kn[0..nkn): known to be a dictionary. */
static int
known_dict(qpdf_data q, qpdf_oh v, const struct pdf_sig_field *kn, size_t nkn)
{
	int id = qpdf_oh_get_object_id(q, v), gen = qpdf_oh_get_generation(q, v);
	size_t i;

	for (i = 0; i < nkn; i++)
		if (kn[i].self_contained && kn[i].sig_obj == id && kn[i].sig_gen == gen)
			return 1;
	return 0;
}

/*
 * pdf_sig_fields_list_new() from the form's kept facts (doc->kept): the
 * lazy listing they answer as the walk would (form_kept_list), each field
 * whose value skip names dropped (the walk goes no further there), every
 * other value read as the walk's sig_add() reads it, one that is no object
 * dropped (the walk adds no such field; the facts list a field with kids
 * only with its value read, and answer not when that value is none, which
 * the walk would go down the kids of). So the same fields, in the same
 * order, read the same; 1 when the facts do not answer (the caller walks).
 * The walk resolved every field dictionary of the revision: k of them in
 * each revision between the given and the final one at a contract's k-th
 * signing with long-term data (engine_sigs_hidden).
 */
static int
list_new_kept(struct pdf_doc *doc, const int *skip, size_t nskip, struct pdf_sig_field **out,
	      size_t *nout, struct sp_errinfo *ei)
{
	struct pdf_sig_field *arr = NULL;
	size_t n = 0, i, k = 0;
	qpdf_oh v;
	int r;

	if ((r = form_kept_list(doc, NULL, 0, skip, nskip, &arr, &n, ei)) != SP_OK)
		return r;
	for (i = 0; i < n; i++) {
		if (known(skip, nskip, arr[i].sig_obj)) {
			free(arr[i].contents);
			continue;
		}
		if (arr[i].unread) {
			v = qpdf_get_object_by_id(doc->q, arr[i].sig_obj, arr[i].sig_gen);
			if (qpdf_oh_is_null(doc->q, v))
				continue; /* unread: no kids (nothing allocated yet) */
			if ((r = pdf_sig_read_value(doc, v, &arr[i], ei)) < 0)
				goto fail;
		}
		arr[k++] = arr[i];
	}
	if (qpdf_has_error(doc->q)) {
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_unreadable",
				  "the form fields cannot be read");
		goto fail;
	}
	if (k == 0) {
		free(arr);
		arr = NULL;
	}
	*out = arr;
	*nout = k;
	return SP_OK;
fail:
	/* kept [0..k), not yet looked at [i..n): the others were moved or freed */
	for (; i < n; i++)
		free(arr[i].contents);
	pdf_sig_fields_free(arr, k);
	return r;
}

/* What list() walks with: its arguments and the fields it found. */
struct list_walk {
	struct pdf_doc *doc;
	const int *skip;
	size_t nskip;
	int lazy;
	const struct pdf_sig_field *kn;
	size_t nkn;
	struct pdf_sig_field *arr;
	size_t n, cap;
	size_t held; /* bytes of /Contents arr holds */
};

/* a signature field with a value is listed, and its kids are not walked */
static int
list_visit(void *arg, const struct pdf_field_node *f, struct sp_errinfo *ei)
{
	struct list_walk *w = arg;
	qpdf_data q = w->doc->q;
	int lz, r;

	/* a signature already known is not read again (its /Contents is large) */
	if (f->is_sig && w->nskip > 0 && qpdf_oh_is_indirect(q, f->v) &&
	    known(w->skip, w->nskip, qpdf_oh_get_object_id(q, f->v)))
		return PDF_FIELD_SKIP;
	/* lazy: an indirect value is not resolved (parsed) here, unless the field also
	   has kids, which a value that is no object would leave to be walked */
	lz = w->lazy && qpdf_oh_is_indirect(q, f->v) &&
	     (!qpdf_oh_is_array(q, f->kids) || (w->nkn > 0 && known_dict(q, f->v, w->kn, w->nkn)));
	if (!f->is_sig || (!lz && qpdf_oh_is_null(q, f->v)))
		return PDF_FIELD_DESCEND;
	if ((r = sig_add(w->doc, f->oh, f->v, f->name, lz, &w->arr, &w->n, &w->cap, ei)) < 0)
		return r;
	/* a file's own signature values are at most half its bytes (hex), but any number
	   of fields may name one signature dictionary, each read into its own copy (1,000
	   over one 1 MB /Contents held about 1 GB): past the file's size, refused */
	if ((w->held += w->arr[w->n - 1].contents_len) > w->doc->len)
		return sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
				     "the signature fields' values come to more than the file's "
				     "%zu bytes: fields share a signature dictionary",
				     w->doc->len);
	return PDF_FIELD_SKIP;
}

static int
list(struct pdf_doc *doc, const int *skip, size_t nskip, int lazy, const struct pdf_sig_field *kn,
     size_t nkn, struct pdf_sig_field **out, size_t *nout, struct sp_errinfo *ei)
{
	qpdf_data q = doc->q;
	struct list_walk w = { doc, skip, nskip, lazy, kn, nkn, NULL, 0, 0, 0 };
	size_t nodes = 0;
	qpdf_oh af;
	int r;

	*out = NULL;
	*nout = 0;
	/* the lazy listing from the form's kept facts (form_kept.c), when they answer */
	if (lazy && nskip == 0 && doc->kept != NULL &&
	    (r = form_kept_list(doc, kn, nkn, NULL, 0, out, nout, ei)) != 1)
		return r;
	if (!lazy && nskip > 0 && doc->kept != NULL &&
	    (r = list_new_kept(doc, skip, nskip, out, nout, ei)) != 1)
		return r;
	af = qpdf_oh_get_key_if_dict(q, qpdf_get_root(q), "/AcroForm");
	if ((r = pdf_field_walk(q, qpdf_oh_get_key_if_dict(q, af, "/Fields"), 1, &nodes, list_visit,
				&w, ei)) < 0)
		goto out;
	if (qpdf_has_error(q)) {
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_unreadable",
				  "the form fields cannot be read");
		goto out;
	}
	*out = w.arr;
	*nout = w.n;
	w.arr = NULL; /* transferred */
	r = SP_OK;
out:
	pdf_sig_fields_free(w.arr, w.n);
	return r;
}

void
pdf_sig_fields_free(struct pdf_sig_field *s, size_t n)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < n; i++)
		free(s[i].contents);
	free(s);
}

int
pdf_sig_field_same(struct pdf_doc *doc, const struct pdf_sig_field *s)
{
	qpdf_data q = doc->q;
	qpdf_oh v, c, br;
	const char *bin;
	unsigned char *raw = NULL;
	char type[32], why[128];
	long long two[4];
	size_t blen;
	int same = 0;

	if (s->sig_obj <= 0)
		return 0;
	v = qpdf_get_object_by_id(q, s->sig_obj, s->sig_gen);
	if (!qpdf_oh_is_dictionary(q, v))
		goto out;
	c = qpdf_oh_get_key_if_dict(q, v, "/Contents");
	br = qpdf_oh_get_key_if_dict(q, v, "/ByteRange");
	copy_name(q, v, "/Type", type, sizeof(type)); /* before bin: qpdf's one string buffer */
	bin = qpdf_oh_is_string(q, c) ? qpdf_oh_get_binary_string_value(q, c, &blen) : NULL;
	if (bin && qpdf_is_encrypted(q) && strcmp(type, "/Sig") != 0 &&
	    raw_contents(doc, s->sig_obj, s->sig_gen, &raw, &blen) == 0)
		bin = (const char *)raw; /* not decrypted: see raw_contents */
	if (!bin || blen != s->contents_len || memcmp(bin, s->contents, blen) != 0 ||
	    !qpdf_oh_is_array(q, br) || !byterange_read(q, br, two, why, sizeof(why)) ||
	    memcmp(two, s->byterange, sizeof(two)) != 0)
		goto out;
	same = 1;
out:
	free(raw);
	return same;
}
