/*
 * diff_xref.c: the entries an update's xref section lists (a table, a
 * hybrid file's /XRefStm, an xref stream), and an xref stream read by hand
 * (dictionary via qpdf_oh_parse, data via zlib and the PNG predictors of
 * PDF 32000 §7.4.4.4), so that the difference analysis can list what an
 * update redefined even when qpdf does not expose the xref stream as an
 * object. Hostile input: every size capped.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "diff_int.h"

#define DICT_MAX 65536
#define XREF_ENTRIES_MAX 1000000

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
		/* cppcheck-suppress nullPointerArithmeticRedundantCheck ; b was just allocated when NULL */
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

static long long
num_at(const unsigned char *d, size_t len, size_t *p)
{
	long long v = 0;
	int digits = 0;

	while (*p < len && pdf_space(d[*p]))
		(*p)++;
	while (*p < len && isdigit(d[*p]) && digits < 15) {
		v = v * 10 + (d[*p] - '0');
		(*p)++;
		digits++;
	}
	return digits ? v : -1;
}

static int
xadd(struct diff_xent **x, size_t *n, size_t *cap, int num, int gen, int type, int in,
     unsigned long long off, size_t hdr, long long ix)
{
	if (*n == XREF_ENTRIES_MAX)
		return -1;
	if (*n == *cap) {
		void *nv = realloc(*x, (*cap ? 2 * *cap : 64) * sizeof(**x));
		if (!nv)
			return -1;
		*x = nv;
		*cap = *cap ? 2 * *cap : 64;
	}
	(*x)[*n].num = num;
	(*x)[*n].gen = gen;
	(*x)[*n].in = in;
	(*x)[*n].off = type == 1 ? off + hdr : 0;
	(*x)[*n].ix = type == 2 ? ix : 0;
	(*x)[(*n)++].type = type;
	return 0;
}

/* The entries of a classic xref table at p. */
static int
table_entries(const unsigned char *d, size_t len, size_t hdr, size_t p, struct diff_xent **x,
	      size_t *n, size_t *cap)
{
	long long start, count, i, off, gen;

	p += 4;
	for (;;) {
		while (p < len && pdf_space(d[p]))
			p++;
		if (len - p >= 7 && memcmp(d + p, "trailer", 7) == 0)
			return 0;
		if ((start = num_at(d, len, &p)) < 0 || (count = num_at(d, len, &p)) < 0 ||
		    start > INT32_MAX || count > XREF_ENTRIES_MAX)
			return -1;
		for (i = 0; i < count; i++) {
			/* the offset: diff_hidden.c reads the object there */
			if ((off = num_at(d, len, &p)) < 0 || (gen = num_at(d, len, &p)) < 0 ||
			    gen > 65535)
				return -1;
			while (p < len && pdf_space(d[p]))
				p++;
			if (p >= len || (d[p] != 'n' && d[p] != 'f') || start + i > INT32_MAX)
				return -1;
			if (xadd(x, n, cap, (int)(start + i), (int)gen, d[p] == 'n', 0,
				 (unsigned long long)off, hdr, 0) < 0)
				return -1;
			p++;
		}
	}
}

/* The entries of an xref stream "N G obj" at p, decoded by qpdf. */
static int
stream_entries(struct pdf_doc *doc, size_t p, int *self, struct diff_xent **x, size_t *n,
	       size_t *cap)
{
	qpdf_data q = doc->q;
	long long num, gen, in, ix, w[3], idx[2 * 64], i, j, k;
	unsigned long long f2;
	qpdf_oh s, wa, ia, it;
	unsigned char *buf = NULL;
	size_t blen = 0, at = 0, row;
	int filtered = 0, nidx, r = -1;
	size_t p0 = p;

	if ((num = num_at(doc->data, doc->len, &p)) < 0 ||
	    (gen = num_at(doc->data, doc->len, &p)) < 0 || num > INT32_MAX || gen > 65535)
		return -1;
	*self = (int)num;
	s = qpdf_get_object_by_id(q, (int)num, (int)gen);
	if (qpdf_oh_is_stream(q, s)) {
		if (qpdf_oh_get_stream_data(q, s, qpdf_dl_generalized, &filtered, &buf, &blen) !=
			    QPDF_SUCCESS ||
		    !filtered)
			goto out;
		s = qpdf_oh_get_dict(q, s);
	} else if (diff_xref_stream_read(doc, p0, &s, &buf, &blen) < 0) {
		/* qpdf need not expose an xref stream that does not list itself */
		return -1;
	}
	wa = qpdf_oh_get_key_if_dict(q, s, "/W");
	ia = qpdf_oh_get_key_if_dict(q, s, "/Index");
	if (!qpdf_oh_is_array(q, wa) || qpdf_oh_get_array_n_items(q, wa) != 3)
		goto out;
	for (i = 0; i < 3; i++) {
		it = qpdf_oh_get_array_item(q, wa, (int)i);
		w[i] = qpdf_oh_is_integer(q, it) ? qpdf_oh_get_int_value(q, it) : -1;
		if (w[i] < 0 || w[i] > 8)
			goto out;
	}
	if (qpdf_oh_is_array(q, ia)) {
		nidx = qpdf_oh_get_array_n_items(q, ia);
		if (nidx % 2 || nidx > (int)SP_ARRAY_LEN(idx))
			goto out;
		for (i = 0; i < nidx; i++) {
			it = qpdf_oh_get_array_item(q, ia, (int)i);
			if (!qpdf_oh_is_integer(q, it) ||
			    (idx[i] = qpdf_oh_get_int_value(q, it)) < 0 ||
			    idx[i] > XREF_ENTRIES_MAX * 4LL)
				goto out;
		}
	} else {
		it = qpdf_oh_get_key_if_dict(q, s, "/Size");
		if (!qpdf_oh_is_integer(q, it))
			goto out;
		idx[0] = 0;
		idx[1] = qpdf_oh_get_int_value(q, it);
		nidx = 2;
	}
	row = (size_t)(w[0] + w[1] + w[2]);
	if (row == 0)
		goto out;
	for (i = 0; i < nidx; i += 2) {
		for (j = 0; j < idx[i + 1]; j++) {
			if (blen - at < row || idx[i] + j > INT32_MAX)
				goto out;
			k = w[0] ? (long long)sp_load_ben(buf + at, (size_t)w[0]) : 1;
			if (k < 0 || k > 2)
				goto out;
			gen = k == 1 ? (long long)sp_load_ben(buf + at + w[0] + w[1], (size_t)w[2])
				     : 0;
			/* field 2: an object stream's entry its stream's number, an object's
			   its offset; field 3: an object stream's entry its index there */
			f2 = w[1] ? sp_load_ben(buf + at + w[0], (size_t)w[1]) : 0;
			in = k == 2 ? (long long)f2 : 0;
			ix = k == 2 ? (long long)sp_load_ben(buf + at + w[0] + w[1], (size_t)w[2])
				    : 0;
			if (gen > 65535 || (k == 2 && f2 > INT32_MAX) ||
			    xadd(x, n, cap, (int)(idx[i] + j), (int)gen, (int)k, (int)in, f2,
				 doc->info.header, ix) < 0)
				goto out;
			at += row;
		}
	}
	r = 0;
out:
	free(buf);
	return r;
}

int
diff_xref_entries(struct pdf_doc *newer, const struct pdf_revision *rev, int *self,
		  struct diff_xent **x, size_t *n)
{
	size_t cap = 0;
	int rc;

	*x = NULL;
	*n = 0;
	*self = -1;
	if (rev->xref < 0 || (size_t)rev->xref >= newer->len)
		return -1;
	if (newer->len - (size_t)rev->xref >= 4 &&
	    memcmp(newer->data + rev->xref, "xref", 4) == 0) {
		rc = table_entries(newer->data, newer->len, newer->info.header, (size_t)rev->xref,
				   x, n, &cap);
		/* a hybrid-reference update lists more objects in its /XRefStm stream */
		if (rc == 0 && rev->xrefstm > 0)
			rc = stream_entries(newer, (size_t)rev->xrefstm, self, x, n, &cap);
	} else {
		rc = stream_entries(newer, (size_t)rev->xref, self, x, n, &cap);
	}
	return rc;
}

static int
cmp_num(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int
pdf_revision_listed(struct pdf_doc *doc, const struct pdf_revision *rev, int **nums, size_t *n,
		    struct sp_errinfo *ei)
{
	struct diff_xent *x = NULL;
	size_t nx = 0, i;
	int self = -1, *v;

	*nums = NULL;
	*n = 0;
	if (diff_xref_entries(doc, rev, &self, &x, &nx) != 0) {
		free(x);
		return sp_err_reason(ei, SP_ERR_PDF, "pdf_unreadable",
				     "an update's cross-reference section cannot be read");
	}
	if (!(v = malloc((nx + 1) * sizeof(*v)))) {
		free(x);
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < nx; i++)
		v[i] = x[i].num;
	if (self >= 0)
		v[nx++] = self;
	free(x);
	qsort(v, nx, sizeof(*v), cmp_num);
	*nums = v;
	*n = nx;
	return SP_OK;
}

int
pdf_obj_is_objstm(struct pdf_doc *doc, int num)
{
	qpdf_data q = doc->q;
	qpdf_oh o, d, t;
	int yes = 0;

	/* the DSS as a read of these bytes told it: a dictionary, not parsed for that */
	if (num > 0 && num == doc->dss_obj && doc->dss_gen == 0)
		return 0;
	/* a dictionary as these bytes plainly give it, no stream (pdf_doc_dict_bytes): not
	   parsed for that (a page with 2k references at a contract's k-th signing) */
	if (pdf_doc_dict_bytes(doc, num, 0, NULL))
		return 0;
	o = qpdf_get_object_by_id(q, num, 0);
	if (qpdf_oh_is_stream(q, o)) {
		d = qpdf_oh_get_dict(q, o);
		t = qpdf_oh_get_key_if_dict(q, d, "/Type");
		yes = qpdf_oh_is_name_and_equals(q, t, "/ObjStm");
		qpdf_oh_release(q, t);
		qpdf_oh_release(q, d);
	}
	qpdf_oh_release(q, o);
	return yes;
}

int
pdf_obj_compressed(struct pdf_doc *doc, int num)
{
	struct pdf_revision *revs;
	struct diff_xent *x = NULL;
	struct sp_errinfo ign;
	size_t n = 0, nx, i, k;
	int self, found = 0, r = -1;

	sp_errinfo_init(&ign);
	if (!(revs = malloc(PDF_REVISIONS_MAX * sizeof(*revs))))
		return -1;
	if (pdf_revisions_find(doc->data, doc->len, revs, PDF_REVISIONS_MAX, &n, &ign) != SP_OK)
		goto out;
	/* the newest section that lists it says where it is; in a hybrid file's section
	   the table's entry (listed first) wins over its /XRefStm's, as for qpdf */
	for (k = n; k-- > 0 && !found;) {
		free(x);
		x = NULL;
		if (diff_xref_entries(doc, &revs[k], &self, &x, &nx) != 0)
			goto out;
		for (i = 0; i < nx && !found; i++)
			if (x[i].num == num && (x[i].type != 0 || i + 1 == nx ||
						!(x[i + 1].num == num && x[i + 1].type == 2))) {
				found = 1;
				r = x[i].type == 2;
			}
	}
	if (!found)
		r = 0;
out:
	free(x);
	free(revs);
	return r;
}

/* SP_OK when every entry in use the update lists is of generation 0. */
int
diff_update_gens_zero(struct pdf_doc *newer, const struct pdf_revision *rev)
{
	struct diff_xent *x = NULL;
	size_t nx = 0, i;
	int self, r = SP_OK;

	if (diff_xref_entries(newer, rev, &self, &x, &nx) != 0)
		r = SP_ERR_UNSUPPORTED;
	for (i = 0; r == SP_OK && i < nx; i++)
		if (x[i].type != 0 && x[i].gen != 0)
			r = SP_ERR_UNSUPPORTED;
	free(x);
	return r;
}

/* Bounds of diff_objstm_reads(): object streams, and objects their dictionaries reach. */
#define OBJSTM_MAX 4096
#define OBJSTM_READS_MAX 4096

static int
int_in(const int *v, size_t n, int x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

/*
 * The objects that decide how older's object streams decode: each object
 * stream older's cross-reference streams name (type 2 entries) and every
 * object its dictionary reaches (an indirect /Filter, /DecodeParms, /Length,
 * /N, /First, and what they refer to). An update that redefines one of them
 * changes objects it does not list (reviewed: an indirect /DecodeParms
 * redefined with a predictor moved a locked field into view). *out is
 * malloc'd; SP_ERR_UNSUPPORTED past the bounds or when a section cannot be
 * read (the caller then keeps nothing).
 */
int
diff_objstm_reads(struct pdf_doc *older, const struct pdf_revision *revs, size_t nrevs, int **out,
		  size_t *nout)
{
	struct diff_xent *x = NULL;
	int *streams = NULL, *reads = NULL, self, r = SP_ERR_UNSUPPORTED;
	size_t nx, ns = 0, nr = 0, i, j, sp, steps = 0;
	qpdf_oh stack[64];

	*out = NULL;
	*nout = 0;
	if (!(streams = malloc(OBJSTM_MAX * sizeof(*streams))) ||
	    !(reads = malloc(OBJSTM_READS_MAX * sizeof(*reads)))) {
		r = SP_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < nrevs; i++) {
		if (!revs[i].xref_stream && revs[i].xrefstm == 0)
			continue; /* a table alone puts nothing in an object stream */
		if (diff_xref_entries(older, &revs[i], &self, &x, &nx) != 0)
			goto out;
		for (j = 0; j < nx; j++) {
			if (x[j].type != 2 || int_in(streams, ns, x[j].in))
				continue;
			if (x[j].in <= 0 || ns == OBJSTM_MAX)
				goto out;
			streams[ns++] = x[j].in;
		}
		free(x);
		x = NULL;
	}
	for (i = 0; i < ns; i++) {
		qpdf_oh o = qpdf_get_object_by_id(older->q, streams[i], 0);

		if (nr == OBJSTM_READS_MAX)
			goto out;
		reads[nr++] = streams[i];
		if (!qpdf_oh_is_stream(older->q, o))
			continue; /* no object stream: its objects do not resolve either way */
		sp = 0;
		stack[sp++] = qpdf_oh_get_dict(older->q, o);
		while (sp > 0) {
			qpdf_oh h = stack[--sp];
			enum qpdf_object_type_e t;
			int id, k, m;

			if (++steps > OBJSTM_READS_MAX)
				goto out;
			if (qpdf_oh_is_indirect(older->q, h)) {
				id = qpdf_oh_get_object_id(older->q, h);
				if (int_in(reads, nr, id))
					continue;
				if (nr == OBJSTM_READS_MAX)
					goto out;
				reads[nr++] = id;
			}
			t = qpdf_oh_get_type_code(older->q, h);
			if (t == ot_array) {
				m = qpdf_oh_get_array_n_items(older->q, h);
				for (k = 0; k < m; k++) {
					if (sp == sizeof(stack) / sizeof(stack[0]))
						goto out;
					stack[sp++] = qpdf_oh_get_array_item(older->q, h, k);
				}
			} else if (t == ot_dictionary || t == ot_stream) {
				qpdf_oh dict = t == ot_stream ? qpdf_oh_get_dict(older->q, h) : h;

				qpdf_oh_begin_dict_key_iter(older->q, dict);
				while (qpdf_oh_dict_more_keys(older->q)) {
					const char *key = qpdf_oh_dict_next_key(older->q);

					if (sp == sizeof(stack) / sizeof(stack[0]))
						goto out;
					stack[sp++] = qpdf_oh_get_key_if_dict(older->q, dict, key);
				}
			}
		}
	}
	*out = reads;
	*nout = nr;
	reads = NULL;
	r = SP_OK;
out:
	free(x);
	free(streams);
	free(reads);
	return r;
}

static int
listed_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int
pdf_revisions_listed_after(struct pdf_doc *doc, const struct pdf_revision *revs, size_t nrevs,
			   size_t end, int **nums, size_t *n)
{
	size_t i, j, m = 0;
	int *all = NULL, *one = NULL, *more;
	struct sp_errinfo ei;

	*nums = NULL;
	*n = 0;
	for (j = 0; j < nrevs && revs[j].end != end; j++)
		;
	if (j == nrevs)
		return 0;
	for (i = j + 1; i < nrevs; i++) {
		size_t k = 0;
		sp_errinfo_init(&ei);
		if (revs[i].xrefstm != 0 || revs[i].linearized_main != 0 ||
		    pdf_revision_listed(doc, &revs[i], &one, &k, &ei) != SP_OK ||
		    (k > 0 && !(more = realloc(all, (m + k) * sizeof(*all))))) {
			free(one);
			free(all);
			return 0;
		}
		if (k > 0) {
			all = more;
			memcpy(all + m, one, k * sizeof(*all));
			m += k;
		}
		free(one);
		one = NULL;
	}
	if (m > 1)
		qsort(all, m, sizeof(*all), listed_cmp);
	*nums = all;
	*n = m;
	return 1;
}
