/*
 * test_pdf_form_kept_hostile.c: the form's kept facts (pdf/form_kept.c) are
 * carried over no hostile update that changes what they say without being
 * walked again: a changed lock, rewritten fields, object streams, their
 * dictionary, a missing kid that arrives later. Helpers: test_pdf_form_kept.h.
 */
#include "test_pdf_form_kept.h"
#include "support_suite.h"

static unsigned char *
update(const unsigned char *d, size_t n, const int *nums, const char *const *objs, size_t k,
       size_t *outn)
{
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info info;
	struct sp_errinfo ei;
	size_t off[16], cap = n + 65536, len = n, xref, i;
	unsigned char *b = malloc(cap);
	long long size;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(d, n, &doc, &ei), SP_OK);
	pdf_doc_info_get(doc, &info);
	pdf_doc_free(doc);
	size = info.size;
	memcpy(b, d, n);
	for (i = 0; i < k; i++) {
		off[i] = len;
		len += (size_t)snprintf((char *)b + len, cap - len, "%d 0 obj\n%s\nendobj\n",
					nums[i], objs[i]);
		if (nums[i] >= size)
			size = nums[i] + 1;
	}
	xref = len;
	len += (size_t)snprintf((char *)b + len, cap - len, "xref\n");
	for (i = 0; i < k; i++)
		len += (size_t)snprintf((char *)b + len, cap - len, "%d 1\n%010zu 00000 n \n",
					nums[i], off[i]);
	len += (size_t)
		snprintf((char *)b + len, cap - len,
			 "trailer\n<< /Size %lld /Root %d %d R /Prev %lld >>\nstartxref\n%zu\n"
			 "%%%%EOF\n",
			 size, info.root_obj, info.root_gen, info.startxref, xref);
	*outn = len;
	return b;
}

/* The object body of num as the newest revision of d writes it (for rewriting it). */
static char *
body_of(const unsigned char *d, size_t n, int num)
{
	char head[32];
	const unsigned char *p = NULL, *e;
	size_t hl = (size_t)snprintf(head, sizeof(head), "\n%d 0 obj", num), i;

	for (i = n - hl; i-- > 0;)
		if (memcmp(d + i, head, hl) == 0) {
			p = d + i + hl;
			break;
		}
	ck_assert_ptr_nonnull(p);
	e = memmem(p, n - (size_t)(p - d), "endobj", 6);
	ck_assert_ptr_nonnull(e);
	return strndup((const char *)p, (size_t)(e - p));
}

/*
 * The object numbers of doc's /Fields entries, and the object that holds
 * the /Fields array: the array's own, else the AcroForm's (0: neither).
 */
static int
fields_obj(const unsigned char *d, size_t n, int *entries, int max, int *nentries, int *direct)
{
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	qpdf_oh af, f;
	int i, arr;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(d, n, &doc, &ei), SP_OK);
	af = qpdf_oh_get_key(doc->q, qpdf_get_root(doc->q), "/AcroForm");
	f = qpdf_oh_get_key(doc->q, af, "/Fields");
	*direct = !qpdf_oh_is_indirect(doc->q, f);
	arr = qpdf_oh_is_indirect(doc->q, f)    ? qpdf_oh_get_object_id(doc->q, f)
	      : qpdf_oh_is_indirect(doc->q, af) ? qpdf_oh_get_object_id(doc->q, af)
						: 0;
	*nentries = qpdf_oh_get_array_n_items(doc->q, f);
	for (i = 0; i < *nentries && i < max; i++)
		entries[i] = qpdf_oh_get_object_id(doc->q, qpdf_oh_get_array_item(doc->q, f, i));
	pdf_doc_free(doc);
	return arr;
}

START_TEST(hostile_lock_changed)
{
	size_t n, flen, hn, nflen;
	uint8_t *facts, *nf = NULL;
	unsigned char *d = two_signed(&n, &facts, &flen), *h;
	int e[8] = { 0 }, ne, nums[1], direct;
	char *body, *nb;
	const char *objs[1];
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;

	(void)fields_obj(d, n, e, 8, &ne, &direct);
	ck_assert_int_eq(ne, 2);
	/* the first field's dictionary rewritten with a /Lock whose /P forbids changes */
	body = body_of(d, n, e[0]);
	nb = malloc(strlen(body) + 128);
	ck_assert_ptr_nonnull(strstr(body, "<<"));
	snprintf(nb, strlen(body) + 128, "<< /Lock << /Type /SigFieldLock /Action /All /P 1 >> %s",
		 strstr(body, "<<") + 2);
	nums[0] = e[0];
	objs[0] = nb;
	h = update(d, n, nums, objs, 1, &hn);
	ck_assert_int_eq(carry(d, n, facts, flen, h, hn, &nf, &nflen), SP_OK);
	ck_assert(check_bytes(h, hn, nf, nflen));
	/* and the facts say what the walk says: no more signatures */
	sp_errinfo_init(&ei);
	{
		int *pages = NULL;
		size_t np = 0;
		uint8_t dig[32];
		struct pdf_doc *w = NULL;

		ck_assert_int_eq(pdf_doc_open_stored(h, hn, &w, &ei), SP_OK);
		ck_assert_int_eq(pdf_doc_page_objs(w, &pages, &np, &ei), SP_OK);
		pdf_doc_free(w);
		sha(h, hn, dig);
		ck_assert_int_eq(pdf_doc_open_stored_kept(h, hn, pages, np, nf, nflen, dig, &doc,
							  &ei),
				 SP_OK);
		ck_assert_int_eq(pdf_doc_form_walked(doc), 0);
		free(pages);
	}
	ck_assert_int_eq(pdf_docmdp_check_signable_known(doc, NULL, NULL, 0, &ei), SP_ERR_INVALID);
	ck_assert_str_eq(ei.reason, "docmdp_no_changes");
	pdf_doc_free(doc);
	/* the lock in an object of its own, changed by a later update that lists only it */
	{
		size_t h2n, h3n, f2len, f3len;
		unsigned char *h2, *h3;
		uint8_t *f2 = NULL, *f3 = NULL;
		struct pdf_doc *o = NULL;
		long long size;
		struct pdf_doc_info info;
		char *lockref = malloc(strlen(body) + 64);
		int nums2[2];
		const char *objs2[2];

		ck_assert_int_eq(pdf_doc_open(d, n, &o, &ei), SP_OK);
		pdf_doc_info_get(o, &info);
		size = info.size;
		pdf_doc_free(o);
		snprintf(lockref, strlen(body) + 64, "<< /Lock %lld 0 R %s", size,
			 strstr(body, "<<") + 2);
		nums2[0] = e[0];
		objs2[0] = lockref;
		nums2[1] = (int)size;
		objs2[1] = "<< /Type /SigFieldLock /Action /All >>";
		h2 = update(d, n, nums2, objs2, 2, &h2n);
		ck_assert_int_eq(carry(d, n, facts, flen, h2, h2n, &f2, &f2len), SP_OK);
		ck_assert(check_bytes(h2, h2n, f2, f2len));
		/* only the lock object is listed: the field's facts depend on it */
		nums2[0] = (int)size;
		objs2[0] = "<< /Type /SigFieldLock /Action /All /P 1 >>";
		h3 = update(h2, h2n, nums2, objs2, 1, &h3n);
		ck_assert_int_eq(carry(h2, h2n, f2, f2len, h3, h3n, &f3, &f3len), SP_OK);
		ck_assert(check_bytes(h3, h3n, f3, f3len));
		ck_assert_int_eq(signable(h2, h2n, f2, f2len), SP_OK);
		ck_assert_int_eq(signable(h3, h3n, f3, f3len), SP_ERR_INVALID);
		free(lockref);
		free(h2);
		free(h3);
		free(f2);
		free(f3);
	}
	free(body);
	free(nb);
	free(h);
	free(nf);
	free(facts);
	free(d);
}
END_TEST

START_TEST(hostile_fields_rewritten)
{
	size_t n, flen, hn, nflen;
	uint8_t *facts, *nf = NULL;
	unsigned char *d = two_signed(&n, &facts, &flen), *h;
	int e[8], ne, arr, nums[1], direct;
	char nb[256];
	const char *objs[1];
	/* the array alone, or the AcroForm holding it */
	const char *pre, *post;

	arr = fields_obj(d, n, e, 8, &ne, &direct);
	ck_assert_int_eq(ne, 2);
	ck_assert_int_gt(arr, 0);
	pre = direct ? "<< /SigFlags 3 /Fields " : "";
	post = direct ? " >>" : "";
	nums[0] = arr;
	objs[0] = nb;
	/* reordered, one twice */
	snprintf(nb, sizeof(nb), "%s[%d 0 R %d 0 R %d 0 R]%s", pre, e[1], e[0], e[1], post);
	h = update(d, n, nums, objs, 1, &hn);
	ck_assert_int_eq(carry(d, n, facts, flen, h, hn, &nf, &nflen), SP_OK);
	ck_assert(check_bytes(h, hn, nf, nflen));
	free(h);
	free(nf);
	/* the first dropped */
	snprintf(nb, sizeof(nb), "%s[%d 0 R]%s", pre, e[1], post);
	h = update(d, n, nums, objs, 1, &hn);
	ck_assert_int_eq(carry(d, n, facts, flen, h, hn, &nf, &nflen), SP_OK);
	ck_assert(check_bytes(h, hn, nf, nflen));
	free(h);
	free(nf);
	/* a direct field dictionary in place of the second */
	snprintf(nb, sizeof(nb),
		 "%s[%d 0 R << /FT /Sig /T (Direct) /V %d 0 R /Lock << /Action /All /P 1 >> >>]%s",
		 pre, e[0], e[0], post);
	h = update(d, n, nums, objs, 1, &hn);
	ck_assert_int_eq(carry(d, n, facts, flen, h, hn, &nf, &nflen), SP_OK);
	ck_assert(check_bytes(h, hn, nf, nflen));
	free(h);
	free(nf);
	free(facts);
	free(d);
}
END_TEST

static size_t
put_be(unsigned char *p, unsigned long long v, int w)
{
	int i;

	for (i = w; i-- > 0; v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
	return (size_t)w;
}

/*
 * d plus an update with a cross-reference stream that puts object field
 * (body) into a new object stream: listed itself, as type 2.
 */
static unsigned char *
objstm_update(const unsigned char *d, size_t n, int field, const char *body, int *stm, size_t *outn)
{
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info info;
	struct sp_errinfo ei;
	size_t cap = n + 65536, len = n, so, xo, hl;
	unsigned char *b = malloc(cap), xs[3 * 7];
	char hdr[32];
	int s, x;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(d, n, &doc, &ei), SP_OK);
	pdf_doc_info_get(doc, &info);
	pdf_doc_free(doc);
	s = (int)info.size;
	x = s + 1;
	memcpy(b, d, n);
	hl = (size_t)snprintf(hdr, sizeof(hdr), "%d 0 ", field);
	so = len;
	len += (size_t)
		snprintf((char *)b + len, cap - len,
			 "%d 0 obj\n<< /Type /ObjStm /N 1 /First %zu /Length %zu >>\nstream\n"
			 "%s%s\nendstream\nendobj\n",
			 s, hl, hl + strlen(body), hdr, body);
	xo = len;
	/* entries: field (type 2 in s, index 0), s (type 1), x (type 1) */
	put_be(xs, 2, 1), put_be(xs + 1, (unsigned)s, 4), put_be(xs + 5, 0, 2);
	put_be(xs + 7, 1, 1), put_be(xs + 8, so, 4), put_be(xs + 12, 0, 2);
	put_be(xs + 14, 1, 1), put_be(xs + 15, xo, 4), put_be(xs + 19, 0, 2);
	len += (size_t)snprintf((char *)b + len, cap - len,
				"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Index [%d 1 %d 2] "
				"/Root %d %d R /Prev %lld /Length 21 >>\nstream\n",
				x, x + 1, field, s, info.root_obj, info.root_gen, info.startxref);
	memcpy(b + len, xs, sizeof(xs));
	len += sizeof(xs);
	len += (size_t)snprintf((char *)b + len, cap - len,
				"\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", xo);
	*stm = s;
	*outn = len;
	return b;
}

START_TEST(hostile_object_streams)
{
	size_t n, flen, hn, nflen, h2n;
	uint8_t *facts, *nf = NULL, *f2 = NULL;
	unsigned char *d = two_signed(&n, &facts, &flen), *h, *h2;
	int e[8], ne, stm, nums[1], direct;
	char *body, *nb, *locked;
	const char *objs[1];

	(void)fields_obj(d, n, e, 8, &ne, &direct);
	ck_assert_int_eq(ne, 2);
	/* the first field moved into an object stream, with a lock forbidding changes */
	body = body_of(d, n, e[0]);
	nb = malloc(strlen(body) + 128);
	snprintf(nb, strlen(body) + 128, "<< /Lock << /Action /All /P 1 >> %s",
		 strstr(body, "<<") + 2);
	h = objstm_update(d, n, e[0], nb, &stm, &hn);
	/* the field is listed (in the new stream): walked again, its lock read there */
	ck_assert_int_eq(carry(d, n, facts, flen, h, hn, &nf, &nflen), SP_OK);
	ck_assert(check_bytes(h, hn, nf, nflen));
	ck_assert_int_eq(signable(h, hn, nf, nflen), SP_ERR_INVALID);
	/* that object stream redefined by a later update that lists only the stream: the
	   field changes without being listed, so nothing is carried over */
	locked = malloc(strlen(body) + 256);
	snprintf(locked, strlen(body) + 256,
		 "<< /Type /ObjStm /N 1 /First %zu /Length %zu >>\nstream\n%d 0 %s\nendstream",
		 (size_t)snprintf(NULL, 0, "%d 0 ", e[0]),
		 (size_t)snprintf(NULL, 0, "%d 0 ", e[0]) + strlen(body), e[0], body);
	nums[0] = stm;
	objs[0] = locked;
	h2 = update(h, hn, nums, objs, 1, &h2n);
	ck_assert_int_eq(carry(h, hn, nf, nflen, h2, h2n, &f2, &nflen), SP_ERR_UNSUPPORTED);
	ck_assert_ptr_null(f2);
	/* a walk of those bytes keeps what it finds (the stream's field without the lock) */
	ck_assert(check_bytes(h2, h2n, NULL, 0));
	/* what carrying h's facts over would have got wrong: the lock is gone */
	ck_assert_int_eq(signable(h2, h2n, NULL, 0), SP_OK);
	free(locked);
	free(h2);
	free(body);
	free(nb);
	free(h);
	free(nf);
	free(facts);
	free(d);
}
END_TEST

START_TEST(hostile_missing_kid_arrives)
{
	size_t n, flen, hn, h2n, nflen, f2len;
	uint8_t *facts, *nf = NULL, *f2 = NULL;
	unsigned char *d = two_signed(&n, &facts, &flen), *h, *h2;
	int e[8] = { 0 }, ne, nums[1], direct;
	char *body, *nb, kid[160];
	const char *objs[1];
	struct pdf_doc *o = NULL;
	struct pdf_doc_info info;
	struct sp_errinfo ei;

	(void)fields_obj(d, n, e, 8, &ne, &direct);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(d, n, &o, &ei), SP_OK);
	pdf_doc_info_get(o, &info);
	pdf_doc_free(o);
	/* the first field gets a kid that is no object yet (object /Size + 5) */
	body = body_of(d, n, e[0]);
	nb = malloc(strlen(body) + 64);
	snprintf(nb, strlen(body) + 64, "<< /Kids [%lld 0 R] %s", info.size + 5,
		 strstr(body, "<<") + 2);
	nums[0] = e[0];
	objs[0] = nb;
	h = update(d, n, nums, objs, 1, &hn);
	ck_assert_int_eq(carry(d, n, facts, flen, h, hn, &nf, &nflen), SP_OK);
	ck_assert(check_bytes(h, hn, nf, nflen));
	ck_assert_int_eq(signable(h, hn, nf, nflen), SP_OK);
	/* then it comes: a signed signature field locking everything, P=1 */
	snprintf(kid, sizeof(kid),
		 "<< /FT /Sig /T (Late) /V %d 0 R /Lock << /Action /All /P 1 >> >>", e[0]);
	nums[0] = (int)info.size + 5;
	objs[0] = kid;
	h2 = update(h, hn, nums, objs, 1, &h2n);
	ck_assert_int_eq(carry(h, hn, nf, nflen, h2, h2n, &f2, &f2len), SP_OK);
	ck_assert(check_bytes(h2, h2n, f2, f2len));
	free(body);
	free(nb);
	free(h);
	free(h2);
	free(nf);
	free(f2);
	free(facts);
	free(d);
}
END_TEST

/*
 * A kid that reads as missing because its cross-reference entry puts it in
 * an object that is no object stream (yet), then that object redefined as
 * an object stream holding it: the update lists neither the kid nor the
 * field, only an object the older revision has as a dictionary.
 */
START_TEST(hostile_missing_kid_in_stream)
{
	size_t n, flen, an, bn, aflen, bflen, cap, hl, o_e0, o_d, o_x, len;
	uint8_t *facts, *af = NULL, *bf = NULL;
	unsigned char *d = two_signed(&n, &facts, &flen), *a, xs[4 * 7];
	int e[8], ne, direct, nn, dd, xx, nums[1], r;
	char *body, kid[200], *stm;
	const char *objs[1];
	struct pdf_doc *o = NULL;
	struct pdf_doc_info info;
	struct sp_errinfo ei;

	(void)fields_obj(d, n, e, 8, &ne, &direct);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(d, n, &o, &ei), SP_OK);
	pdf_doc_info_get(o, &info);
	pdf_doc_free(o);
	nn = (int)info.size;
	dd = nn + 1;
	xx = nn + 2;
	body = body_of(d, n, e[0]);
	cap = n + strlen(body) + 4096;
	a = malloc(cap);
	memcpy(a, d, n);
	len = n;
	o_e0 = len;
	len += (size_t)snprintf((char *)a + len, cap - len,
				"%d 0 obj\n<< /Kids [%d 0 R] %s\nendobj\n", e[0], nn,
				strstr(body, "<<") + 2);
	o_d = len;
	len += (size_t)snprintf((char *)a + len, cap - len, "%d 0 obj\n<< /Plain true >>\nendobj\n",
				dd);
	o_x = len;
	put_be(xs, 1, 1), put_be(xs + 1, o_e0, 4), put_be(xs + 5, 0, 2);
	put_be(xs + 7, 2, 1), put_be(xs + 8, (unsigned)dd, 4), put_be(xs + 12, 0, 2);
	put_be(xs + 14, 1, 1), put_be(xs + 15, o_d, 4), put_be(xs + 19, 0, 2);
	put_be(xs + 21, 1, 1), put_be(xs + 22, o_x, 4), put_be(xs + 26, 0, 2);
	len += (size_t)snprintf((char *)a + len, cap - len,
				"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Index [%d 1 %d 3] "
				"/Root %d %d R /Prev %lld /Length 28 >>\nstream\n",
				xx, xx + 1, e[0], nn, info.root_obj, info.root_gen, info.startxref);
	memcpy(a + len, xs, sizeof(xs));
	len += sizeof(xs);
	len += (size_t)snprintf((char *)a + len, cap - len,
				"\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", o_x);
	an = len;
	/* a walk of that revision keeps its facts (the kid reads as nothing) when it can */
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(a, an, &o, &ei), SP_OK);
	r = pdf_doc_damaged(o);
	pdf_doc_free(o);
	ck_assert_int_eq(r, 0);
	ck_assert(check_bytes(a, an, NULL, 0));
	{
		unsigned char *b;

		af = facts_of(a, an, &aflen);
		/* the plain dictionary redefined as an object stream holding the kid: a signed
		   signature field locking everything */
		snprintf(kid, sizeof(kid),
			 "<< /FT /Sig /T (Late) /V %d 0 R /Lock << /Action /All /P 1 >> >>", e[0]);
		hl = (size_t)snprintf(NULL, 0, "%d 0 ", nn);
		stm = malloc(512);
		snprintf(stm, 512,
			 "<< /Type /ObjStm /N 1 /First %zu /Length %zu >>\nstream\n%d 0 "
			 "%s\nendstream",
			 hl, hl + strlen(kid), nn, kid);
		nums[0] = dd;
		objs[0] = stm;
		b = update(a, an, nums, objs, 1, &bn);
		r = carry(a, an, af, aflen, b, bn, &bf, &bflen);
		/* a's cross-reference stream names that object as an object stream: an
		   update that redefines it keeps nothing (the walk decides) */
		ck_assert_int_eq(r, SP_ERR_UNSUPPORTED);
		free(stm);
		free(b);
	}
	free(body);
	free(a);
	free(af);
	free(bf);
	free(facts);
	free(d);
}
END_TEST

/*
 * An object stream whose dictionary refers to another object (an indirect
 * /DecodeParms): an update that redefines that object changes how the
 * stream's objects decode without listing them (a predictor can bring a
 * locked signature field into view), so nothing is carried over it.
 */
START_TEST(hostile_object_stream_dictionary)
{
	size_t n, flen, an, bn, aflen, bflen = 0, cap, hl, o_s, o_p, o_x, len;
	uint8_t *facts, *af, *bf = NULL;
	unsigned char *d = two_signed(&n, &facts, &flen), *a, *b, xs[4 * 7];
	int ss, inner, pp, xx, nums[1];
	const char *objs[1];
	char obj[64];
	struct pdf_doc *o = NULL;
	struct pdf_doc_info info;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(d, n, &o, &ei), SP_OK);
	pdf_doc_info_get(o, &info);
	pdf_doc_free(o);
	ss = (int)info.size;
	inner = ss + 1;
	pp = ss + 2;
	xx = ss + 3;
	cap = n + 4096;
	a = malloc(cap);
	memcpy(a, d, n);
	len = n;
	snprintf(obj, sizeof(obj), "%d 0 << /Plain true >>", inner);
	hl = (size_t)snprintf(NULL, 0, "%d 0 ", inner);
	o_s = len;
	len += (size_t)snprintf((char *)a + len, cap - len,
				"%d 0 obj\n<< /Type /ObjStm /N 1 /First %zu /Length %zu "
				"/DecodeParms %d 0 R >>\nstream\n%s\nendstream\nendobj\n",
				ss, hl, strlen(obj), pp, obj);
	o_p = len;
	len += (size_t)snprintf((char *)a + len, cap - len, "%d 0 obj\n<< >>\nendobj\n", pp);
	o_x = len;
	put_be(xs, 1, 1), put_be(xs + 1, o_s, 4), put_be(xs + 5, 0, 2);
	put_be(xs + 7, 2, 1), put_be(xs + 8, (unsigned)ss, 4), put_be(xs + 12, 0, 2);
	put_be(xs + 14, 1, 1), put_be(xs + 15, o_p, 4), put_be(xs + 19, 0, 2);
	put_be(xs + 21, 1, 1), put_be(xs + 22, o_x, 4), put_be(xs + 26, 0, 2);
	len += (size_t)snprintf((char *)a + len, cap - len,
				"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Index [%d 4] "
				"/Root %d %d R /Prev %lld /Length 28 >>\nstream\n",
				xx, xx + 1, ss, info.root_obj, info.root_gen, info.startxref);
	memcpy(a + len, xs, sizeof(xs));
	len += sizeof(xs);
	len += (size_t)snprintf((char *)a + len, cap - len,
				"\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", o_x);
	an = len;
	ck_assert_int_eq(pdf_doc_open(a, an, &o, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_damaged(o), 0);
	pdf_doc_free(o);
	af = facts_of(a, an, &aflen);
	ck_assert_ptr_nonnull(af);
	/* the stream's /DecodeParms redefined (a dictionary, as before) */
	nums[0] = pp;
	objs[0] = "<< /Columns 4 >>";
	b = update(a, an, nums, objs, 1, &bn);
	ck_assert_int_eq(carry(a, an, af, aflen, b, bn, &bf, &bflen), SP_ERR_UNSUPPORTED);
	free(b);
	free(bf);
	free(af);
	free(a);
	free(facts);
	free(d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_form_kept_hostile");
	TCase *tc = tcase_create("hostile");

	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tcase_add_test(tc, hostile_lock_changed);
	tcase_add_test(tc, hostile_fields_rewritten);
	tcase_add_test(tc, hostile_object_streams);
	tcase_add_test(tc, hostile_object_stream_dictionary);
	tcase_add_test(tc, hostile_missing_kid_arrives);
	tcase_add_test(tc, hostile_missing_kid_in_stream);
	return test_suite_run(s);
}
