/*
 * test_pdf_revisions.c: the revisions of a PDF as pdf/ finds them (across
 * every white space, numbers as qpdf reads them, no trailer a reader would
 * guess at), extends what it found when updates are appended, their xref
 * entries and room, and the pages a stored revision hands on to the next
 * signing. The fixture and helpers: test_pdf.h.
 */
#include "test_pdf.h"
#include "support_suite.h"

/*
 * d plus one classic incremental update that redefines object num (body:
 * its dictionary), after the last trailer's /Size, /Root and startxref.
 */
static unsigned char *
append_update(const unsigned char *d, size_t n, int num, const char *body, size_t *outn)
{
	struct pdf_doc *doc = open_ok(d, n);
	struct pdf_doc_info in;
	size_t cap = n + strlen(body) + 512, at, xref;
	unsigned char *o = malloc(cap);
	long long size;

	pdf_doc_info_get(doc, &in);
	pdf_doc_free(doc);
	size = num >= in.size ? num + 1 : in.size;
	ck_assert_ptr_nonnull(o);
	memcpy(o, d, n);
	at = n + (size_t)snprintf((char *)o + n, cap - n, "\n");
	xref = at + (size_t)snprintf((char *)o + at, cap - at, "%d 0 obj\n%s\nendobj\n", num, body);
	*outn = xref + (size_t)snprintf((char *)o + xref, cap - xref,
					"xref\n0 1\n0000000000 65535 f \n%d 1\n%010zu 00000 n "
					"\ntrailer\n<< /Size %lld /Root %d 0 R /Prev %lld "
					">>\nstartxref\n%zu\n%%%%EOF\n",
					num, at, size, in.root_obj, in.startxref, xref);
	return o;
}

/* pages_kept over the last update of d (the revision before it is older's). */
static int
kept(struct pdf_doc *older, const unsigned char *d, size_t n)
{
	struct pdf_revision revs[16];
	struct pdf_doc *newer = NULL;
	struct sp_errinfo ei;
	size_t nrev = 0;
	int k;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_revisions_find(d, n, revs, 16, &nrev, &ei), SP_OK);
	ck_assert_uint_ge(nrev, 2);
	ck_assert_int_eq(pdf_doc_open_known(d, n, NULL, 0, &newer, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_page_count(newer), 0); /* no page list read */
	k = pdf_pages_kept(older, newer, &revs[nrev - 1]);
	pdf_doc_free(newer);
	return k;
}

/*
 * pdf_revisions_extend() of d[0..n) from pdf_revisions_find() of
 * d[0..known): when it gives revisions, exactly pdf_revisions_find()'s of
 * d[0..n). Returns what it answered (-1: the known bytes do not read).
 */
static int
extend_same(const unsigned char *d, size_t n, size_t known)
{
	struct pdf_revision kr[32], er[32], fr[32];
	size_t nk = 0, ne = 0, nf = 0, i;
	struct sp_errinfo ei;
	int got, fok;

	sp_errinfo_init(&ei);
	if (pdf_revisions_find(d, known, kr, 32, &nk, &ei) != SP_OK)
		return -1;
	got = pdf_revisions_extend(d, n, kr, nk, known, er, 32, &ne);
	sp_errinfo_init(&ei);
	fok = pdf_revisions_find(d, n, fr, 32, &nf, &ei) == SP_OK;
	if (!got)
		return 0;
	ck_assert_msg(fok, "extended where the whole file does not read: %s", ei.msg);
	ck_assert_uint_eq(ne, nf);
	for (i = 0; i < nf; i++) {
		ck_assert_int_eq(er[i].xref, fr[i].xref);
		ck_assert_int_eq(er[i].xref_stream, fr[i].xref_stream);
		ck_assert_int_eq(er[i].xrefstm, fr[i].xrefstm);
		ck_assert_int_eq(er[i].linearized_main, fr[i].linearized_main);
		ck_assert_uint_eq(er[i].eof_end, fr[i].eof_end);
		ck_assert_uint_eq(er[i].end, fr[i].end);
		ck_assert_int_eq(er[i].trailing_garbage, fr[i].trailing_garbage);
	}
	return 1;
}

/*
 * The revision chain read where qpdf reads it: qpdf skips NUL, VT and FF as
 * white space (ISO 32000-2 has NUL and FF), so a /Prev or a startxref after
 * one of them is the chain qpdf reads, not a chain that ends there.
 */
START_TEST(revisions_found_across_every_white_space)
{
	const char spaces[] = { 0, '\v', '\f', '\t', '\r' };
	const char *at[] = { "/Prev ", "startxref\n" };
	struct pdf_revision plain[8], odd[8];
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info in;
	struct sp_errinfo ei;
	unsigned char *b, *d, *m;
	size_t bn, n, nplain = 0, nodd = 0, i, j, k;

	b = make_plain_pdf(1, &bn);
	d = append_update(b, bn, 40, "<< /Update 1 >>", &n);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_revisions_find(d, n, plain, 8, &nplain, &ei), SP_OK);
	ck_assert_uint_eq(nplain, 2);
	ck_assert_ptr_nonnull(m = malloc(n));
	for (i = 0; i < sizeof(spaces); i++)
		for (j = 0; j < 2; j++) {
			const unsigned char *w = memmem(d + bn, n - bn, at[j], strlen(at[j]));

			ck_assert_ptr_nonnull(w);
			memcpy(m, d, n);
			m[(size_t)(w - d) + strlen(at[j]) - 1] = (unsigned char)spaces[i];
			/* qpdf reads it as it reads the plain file */
			ck_assert_int_eq(pdf_doc_open(m, n, &doc, &ei), SP_OK);
			pdf_doc_info_get(doc, &in);
			ck_assert_int_eq(in.damaged, 0);
			ck_assert_int_eq(in.startxref, plain[1].xref);
			pdf_doc_free(doc);
			/* and so do we */
			sp_errinfo_init(&ei);
			ck_assert_msg(pdf_revisions_find(m, n, odd, 8, &nodd, &ei) == SP_OK,
				      "byte %d after %s: %s", spaces[i], at[j], ei.msg);
			ck_assert_uint_eq(nodd, nplain);
			for (k = 0; k < nodd; k++) {
				ck_assert_int_eq(odd[k].xref, plain[k].xref);
				ck_assert_uint_eq(odd[k].end, plain[k].end);
			}
		}
	free(m);
	free(d);
	free(b);
}
END_TEST

/*
 * The newest startxref and /Prev written so that a byte scanner and qpdf may
 * read different things: digits run on into a word or a real ("startxref
 * 1234abc", "startxref1234", "1234.5"), a reference for /Prev, more than 15
 * digits with leading zeros. qpdf takes "startxref" only as a word followed
 * by an integer token, else goes back to the startxref before it (the base
 * revision's, read without a repair or a warning: the update silently
 * unseen) or repairs the file; it reads the leading zeros' number whole.
 * pdf_revisions_find() and pdf_doc_open()'s own startxref (doc.c) read each
 * as qpdf does or refuse it (revision_structure; damaged), never another
 * chain: they took 1234 from "startxref 1234abc" (two revisions where qpdf
 * reads one), and the first 15 digits of "/Prev 0000000000000000123" (one
 * revision where qpdf reads two).
 */
START_TEST(revisions_read_as_qpdf_reads_numbers)
{
	/* the newest update's "startxref\nN\n" (or "/Prev N "), written pre N post */
	static const struct {
		int prev;
		const char *pre, *post;
		int same; /* 1: read as the plain file, 0: refused */
	} cases[] = {
		{ 0, "startxref\n", "abc\n", 0 },
		{ 0, "startxref\n", ".5\n", 0 },
		{ 0, "startxref", "\n", 0 },
		{ 0, "startxref\n", ")\n", 1 },
		{ 0, "startxref\n0000000000000000000", "\n", 1 },
		{ 1, "/Prev ", "x ", 0 },
		{ 1, "/Prev ", " 0 R ", 0 },
		{ 1, "/Prev 00000000000000000000", " ", 1 },
	};
	struct pdf_revision plain[8], odd[8];
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info in;
	struct sp_errinfo ei, e2;
	unsigned char *b, *d, *m;
	size_t bn, n, nplain = 0, nodd = 0, i, k, mn;
	char from[64], to[64];
	const unsigned char *w;
	int rc;

	b = make_plain_pdf(1, &bn);
	d = append_update(b, bn, 40, "<< /Update 1 >>", &n);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_revisions_find(d, n, plain, 8, &nplain, &ei), SP_OK);
	ck_assert_uint_eq(nplain, 2);
	ck_assert_ptr_nonnull(m = malloc(n + 64));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long long v = cases[i].prev ? plain[0].xref : plain[1].xref;

		snprintf(from, sizeof(from), "%s%lld%s", cases[i].prev ? "/Prev " : "startxref\n",
			 v, cases[i].prev ? " " : "\n");
		snprintf(to, sizeof(to), "%s%lld%s", cases[i].pre, v, cases[i].post);
		ck_assert_ptr_nonnull(w = memmem(d + bn, n - bn, from, strlen(from)));
		k = (size_t)(w - d);
		memcpy(m, d, k);
		memcpy(m + k, to, strlen(to));
		memcpy(m + k + strlen(to), w + strlen(from), n - k - strlen(from));
		mn = n - strlen(from) + strlen(to);
		sp_errinfo_init(&ei);
		sp_errinfo_init(&e2);
		rc = pdf_revisions_find(m, mn, odd, 8, &nodd, &ei);
		if (pdf_doc_open(m, mn, &doc, &e2) != SP_OK) {
			/* refused at the open: no chain to disagree about */
			ck_assert_msg(!cases[i].same, "%s: %s", to, e2.msg);
			ck_assert_int_eq(rc, SP_ERR_PDF);
			continue;
		}
		pdf_doc_info_get(doc, &in);
		if (cases[i].same) {
			ck_assert_msg(rc == SP_OK, "%s: %s", to, ei.msg);
			ck_assert_uint_eq(nodd, 2);
			ck_assert_int_eq(odd[1].xref, plain[1].xref);
			ck_assert_int_eq(odd[0].xref, plain[0].xref);
			/* qpdf reads the update, as we do */
			ck_assert_msg(in.damaged == 0, "%s", to);
			ck_assert(qpdf_oh_is_dictionary(doc->q,
							qpdf_get_object_by_id(doc->q, 40, 0)));
		} else {
			ck_assert_msg(rc == SP_ERR_PDF, "%s: %zu revisions", to, nodd);
			ck_assert_str_eq(ei.reason, "revision_structure");
			/* nor signable: qpdf repaired it, or read the older revision alone */
			ck_assert_msg(in.damaged == 1, "%s: not damaged", to);
		}
		pdf_doc_free(doc);
	}
	free(m);
	free(d);
	free(b);
}
END_TEST

/*
 * A trailer whose hex string holds what no hex string may (a stray token
 * inside /ID, as a careless writer or an attacker leaves it): readers end
 * the string each their way, and where our scanner ended it the trailer's
 * /Prev was out of sight while qpdf went on to it (fuzz_xref_merged, CI). We
 * refuse the chain and qpdf's read of it counts as damage; the same trailer
 * with hex digits alone reads as before.
 */
START_TEST(revisions_refuse_a_trailer_readers_guess_at)
{
	const char *ids[] = { "/ID [<00112233 44556677> <0011>] ", "/ID [<0011 n 2233> <0011>] " };
	struct pdf_revision revs[8];
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info in;
	struct sp_errinfo ei;
	unsigned char *b, *d, *m;
	const unsigned char *w;
	size_t bn, n, nrevs = 0, i, at, idl;

	b = make_plain_pdf(1, &bn);
	d = append_update(b, bn, 40, "<< /Update 1 >>", &n);
	ck_assert_ptr_nonnull(w = memmem(d + bn, n - bn, "/Prev ", 6));
	at = (size_t)(w - d);
	for (i = 0; i < 2; i++) {
		idl = strlen(ids[i]);
		ck_assert_ptr_nonnull(m = malloc(n + idl));
		memcpy(m, d, at);
		memcpy(m + at, ids[i], idl);
		memcpy(m + at + idl, d + at, n - at);
		sp_errinfo_init(&ei);
		ck_assert_int_eq(pdf_revisions_find(m, n + idl, revs, 8, &nrevs, &ei),
				 i == 0 ? SP_OK : SP_ERR_PDF);
		if (i == 0)
			ck_assert_uint_eq(nrevs, 2);
		else
			ck_assert_str_eq(ei.reason, "revision_structure");
		ck_assert_int_eq(pdf_doc_open(m, n + idl, &doc, &ei), SP_OK);
		pdf_doc_info_get(doc, &in);
		ck_assert_int_eq(in.damaged, i == 1);
		pdf_doc_free(doc);
		doc = NULL;
		free(m);
	}
	free(d);
	free(b);
}
END_TEST

/*
 * Completion's revisions from the base's: a chain of updates (tables, and
 * an xref stream's) extends exactly as the whole file reads, and whatever
 * a byte of the newer updates is changed to, an extension it still gives
 * is the whole file's (else the file is found whole).
 */
START_TEST(revisions_extend_as_found_whole)
{
	struct pdf_placement pl = { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 100, .y = 100 };
	struct pdf_sig_prepared p1, p2;
	struct sp_errinfo ei;
	unsigned char *d[6], *o, *m, *g;
	size_t n[6], on, i, k, at;
	const char tries[] = "09 x\n\r<>/R%";
	char body[64];
	int extended = 0, tried = 0;

	d[0] = make_plain_pdf(2, &n[0]);
	for (i = 1; i < 6; i++) {
		snprintf(body, sizeof(body), "<< /Update %zu >>", i);
		d[i] = append_update(d[i - 1], n[i - 1], 40 + (int)i, body, &n[i]);
	}
	/* each older revision's end as known, the newest file whole */
	for (k = 0; k < 5; k++) {
		ck_assert_int_eq(extend_same(d[5], n[5], n[k]), 1);
		ck_assert_int_eq(extend_same(d[k + 1], n[k + 1], n[k]), 1);
	}
	/* nothing after the known: found whole */
	ck_assert_int_eq(extend_same(d[5], n[5], n[5]), 0);
	/* a known revision ending at its %%EOF, whose end-of-line the update brings */
	ck_assert(n[1] > 0 && d[1][n[1] - 1] == '\n');
	o = append_update(d[1], n[1] - 1, 50, "<< /Eol 1 >>", &on);
	ck_assert_int_eq(extend_same(o, on, n[1] - 1), 1);
	free(o);
	/* trailing bytes after the newest */
	g = malloc(n[5] + 8);
	memcpy(g, d[5], n[5]);
	memcpy(g + n[5], "garbage\n", 8);
	ck_assert_int_eq(extend_same(g, n[5] + 8, n[3]), 1);
	free(g);
	/* every byte of the two newest updates changed a few ways */
	m = malloc(n[5]);
	for (at = n[3]; at < n[5]; at++)
		for (i = 0; i < sizeof(tries) - 1; i++) {
			memcpy(m, d[5], n[5]);
			if (m[at] == (unsigned char)tries[i])
				continue;
			m[at] = (unsigned char)tries[i];
			tried++;
			extended += extend_same(m, n[5], n[3]) == 1;
		}
	ck_assert(tried > 0 && extended > 0 && extended < tried);
	free(m);
	for (i = 0; i < 6; i++)
		free(d[i]);
	/* an xref stream's updates (object streams), signed twice */
	d[0] = make_plain_pdf(2, &n[0]);
	o = qpdf_variant(d[0], n[0], "--object-streams=generate", &on);
	ck_assert_int_eq(prepare(o, on, &pl, 1, &p1, &ei), SP_OK);
	ck_assert_int_eq(prepare(p1.data, p1.len, &pl, 1, &p2, &ei), SP_OK);
	ck_assert_int_eq(extend_same(p2.data, p2.len, p1.len), 1);
	ck_assert_int_eq(extend_same(p2.data, p2.len, on), 1);
	pdf_sig_prepared_cleanup(&p1);
	pdf_sig_prepared_cleanup(&p2);
	free(o);
	free(d[0]);
}
END_TEST

/*
 * Completion's views: the base's page list read once (pdf_doc_page_objs)
 * opens the same bytes again without the tree walk, and is handed on to the
 * next revision only when its update leaves the page tree as it was.
 */
/*
 * What opening a revision reads (sec36): a table's entries as written, an xref
 * stream's /Index counts (the key spelled with #xx as a reader decodes it),
 * else its /Size, one whose dictionary does not read as many as a file may
 * hold; a hybrid's /XRefStm stream adds its own.
 */
START_TEST(revision_xref_entries)
{
	static const char table[] =
		"%PDF-1.7\nxref\n0 3\n0000000000 65535 f \n"
		"0000000010 00000 n \n0000000020 00000 n \n7 2\n"
		"0000000030 00000 n \n0000000040 00000 f \ntrailer\n<< /Size 9 >>\n";
	static const char *const streams[] = {
		"%PDF-1.7\n12 0 obj\n<< /Type /XRef /Size 50 /Index [0 4 10 6] /W [1 2 1] >>\n",
		"%PDF-1.7\n12 0 obj\n<< /Type /XRef /Size 50 /#49ndex [0 7] >>\n",
		"%PDF-1.7\n12 0 obj\n<< /Type /XRef /Size 50 /Extra << /Index [0 99] >> >>\n",
		"%PDF-1.7\n12 0 obj\n<< /Type /XRef /Size 50 /Index [0 1] /Index [0 2] >>\n",
	};
	/* the last: read as a stream of the most rows a file may hold */
	static const size_t want[] = { 10, 7, 50, PDF_SCAN_MAX_XREF };
	struct pdf_revision rev;
	size_t i, n;
	char both[512];

	memset(&rev, 0, sizeof(rev));
	rev.xref = 9;
	ck_assert_uint_eq(pdf_revision_xref_entries((const unsigned char *)table, strlen(table),
						    &rev),
			  5);
	rev.xref_stream = 1;
	for (i = 0; i < sizeof(streams) / sizeof(streams[0]); i++)
		ck_assert_uint_eq(pdf_revision_xref_entries((const unsigned char *)streams[i],
							    strlen(streams[i]), &rev),
				  want[i]);
	/* a hybrid table and its stream */
	n = (size_t)snprintf(both, sizeof(both), "%s%s", table, streams[0] + 9);
	rev.xref_stream = 0;
	rev.xrefstm = (long long)strlen(table);
	ck_assert_uint_eq(pdf_revision_xref_entries((const unsigned char *)both, n, &rev), 15);
}
END_TEST

/* sb_*: a file written piece by piece (room_check's test) */
struct sbuf {
	char *d;
	size_t n, cap;
};

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(b->d + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	ck_assert(k >= 0 && (size_t)k < b->cap - b->n);
	b->n += (size_t)k;
}

/* One small update of object 4 on b (whose last section starts at *prev), /Size size. */
static void
sb_update(struct sbuf *b, size_t *prev, size_t size)
{
	size_t o = b->n, x;

	sb_printf(b, "4 0 obj\n<< /Length 0 >>\nstream\n\nendstream\nendobj\n");
	x = b->n;
	sb_printf(b,
		  "xref\n0 1\n0000000000 65535 f \n4 1\n%010zu 00000 n \ntrailer\n<< /Size %zu "
		  "/Root 1 0 R /Prev %zu >>\nstartxref\n%zu\n%%%%EOF\n",
		  o, size, *prev, x);
	*prev = x;
}

/*
 * A contract stays verifiable as it grows (sec37): 31 revisions over a table
 * of 500,000 entries read 15,500,930 entries to verify once one more revision
 * is appended (every stored one opened); a signature's update with a DSS after
 * it opens the update too (+500,062: past the 16M budget), as does a renewal's
 * DSS before its document timestamp (+500,000 + PDF_LTV_UPDATE_ENTRIES).
 */
START_TEST(revisions_room_check)
{
	const size_t big = 500000;
	struct sbuf b = { NULL, 0, 16u << 20 }, u = { NULL, 0, 4096 };
	struct sp_errinfo ei;
	size_t prev, i, k, len, off[5];

	ck_assert_ptr_nonnull(b.d = malloc(b.cap));
	ck_assert_ptr_nonnull(u.d = malloc(u.cap));
	sb_printf(&b, "%%PDF-1.7\n");
	off[1] = b.n;
	sb_printf(&b, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	off[2] = b.n;
	sb_printf(&b, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
	off[3] = b.n;
	sb_printf(&b, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n");
	off[4] = b.n;
	sb_printf(&b, "4 0 obj\n<< /Length 0 >>\nstream\n\nendstream\nendobj\n");
	prev = b.n;
	sb_printf(&b, "xref\n0 %zu\n0000000000 65535 f \n", big);
	for (i = 1; i < big; i++)
		sb_printf(&b, i < 5 ? "%010zu 00000 n \n" : "0000000000 65535 f \n",
			  i < 5 ? off[i] : (size_t)0);
	sb_printf(&b, "trailer\n<< /Size %zu /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", big, prev);
	for (k = 0; k < 30; k++)
		sb_update(&b, &prev, big);
	len = b.n;
	/* the signature's update, written after len (its offsets the file's) */
	{
		struct sbuf t = b;

		sb_update(&t, &prev, big);
		memcpy(u.d, b.d + len, t.n - len);
		u.n = t.n - len;
	}
	sp_errinfo_init(&ei);
	/* B-T: the update is the file's last revision, every stored one opened */
	ck_assert_int_eq(pdf_revisions_room_check((unsigned char *)b.d, len, (unsigned char *)u.d,
						  u.n, 0, &ei),
			 SP_OK);
	/* B-LT: its DSS after it, the update opened too */
	ck_assert_int_eq(pdf_revisions_room_check((unsigned char *)b.d, len, (unsigned char *)u.d,
						  u.n, 1, &ei),
			 SP_ERR_LIMIT);
	ck_assert_str_eq(ei.reason, "pdf_limit");
	ck_assert_msg(strstr(ei.msg, "31 revisions and the 2 this appends") != NULL, "%s", ei.msg);
	/* a renewal: its DSS opened once its document timestamp follows */
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_revisions_room_check((unsigned char *)b.d, len, NULL, 0, 1, &ei),
			 SP_OK);
	ck_assert_int_eq(pdf_revisions_room_check((unsigned char *)b.d, len, NULL, 0, 2, &ei),
			 SP_ERR_LIMIT);
	/* the count a completion hands on: an earlier revision's, extended by the
	   revisions after it, is the whole file's, and answers as it does */
	{
		struct pdf_revision *revs = malloc(PDF_REVISIONS_MAX * sizeof(*revs));
		struct pdf_reads_count whole, ext;
		size_t n = 0;

		ck_assert_ptr_nonnull(revs);
		ck_assert_int_eq(pdf_revisions_find((unsigned char *)b.d, len, revs,
						    PDF_REVISIONS_MAX, &n, &ei),
				 SP_OK);
		ck_assert_uint_eq(n, 31);
		pdf_reads_count_of((unsigned char *)b.d, len, revs, n, &whole);
		pdf_reads_count_of((unsigned char *)b.d, revs[19].end, revs, 20, &ext);
		ck_assert(ext.reads < whole.reads);
		ck_assert_int_eq(pdf_reads_count_extend((unsigned char *)b.d, len, revs, n, &ext),
				 0);
		ck_assert_uint_eq(ext.reads, whole.reads);
		ck_assert_uint_eq(ext.chain, whole.chain);
		ck_assert_uint_eq(ext.nrevs, 31);
		/* revisions that do not extend it */
		ck_assert_int_eq(pdf_reads_count_extend((unsigned char *)b.d, len, revs, 30, &ext),
				 -1);
		sp_errinfo_init(&ei);
		ck_assert_int_eq(pdf_revisions_room_check_known(&whole, len, 0,
								(unsigned char *)u.d, u.n, 0, &ei),
				 SP_OK);
		ck_assert_int_eq(pdf_revisions_room_check_known(&whole, len, 0,
								(unsigned char *)u.d, u.n, 1, &ei),
				 SP_ERR_LIMIT);
		ck_assert_msg(strstr(ei.msg, "31 revisions and the 2 this appends") != NULL, "%s",
			      ei.msg);
		free(revs);
	}
	free(b.d);
	free(u.d);
}
END_TEST

START_TEST(known_pages_handed_on)
{
	struct pdf_placement pl = { .mode = PDF_PLACE_SEAM, .pages = "all", .y = 200 };
	struct pdf_sig_prepared p;
	struct pdf_page_info pi;
	struct sp_errinfo ei;
	struct pdf_doc *view, *known;
	unsigned char *d, *o, *u, der[64];
	char body[256];
	size_t n, on, un, np = 0, i;
	int *pages = NULL, kind, pages_node;
	qpdf_oh pn;

	memset(der, 0x30, sizeof(der));
	d = make_plain_pdf(3, &n);
	for (kind = 0; kind < 2; kind++) {
		o = kind ? qpdf_variant(d, n, "--object-streams=generate", &on) : d;
		if (!kind)
			on = n;
		sp_errinfo_init(&ei);
		ck_assert_int_eq(pdf_doc_open_view(o, on, &view, &ei), SP_OK);
		ck_assert_int_eq(pdf_doc_page_objs(view, &pages, &np, &ei), SP_OK);
		ck_assert_uint_eq(np, 3);
		ck_assert_int_eq(pdf_doc_open_known(o, on, pages, np, &known, &ei), SP_OK);
		ck_assert_int_eq(pdf_doc_page_count(known), 3);
		/* the same page objects, in order; no geometry was read */
		{
			int *again = NULL;
			size_t na = 0;
			ck_assert_int_eq(pdf_doc_page_objs(known, &again, &na, &ei), SP_OK);
			ck_assert_uint_eq(na, np);
			ck_assert_mem_eq(again, pages, 2 * np * sizeof(int));
			free(again);
		}
		ck_assert_int_eq(pdf_doc_page_info(known, 1, &pi, &ei), SP_ERR_INVALID);
		/* a page list that is not these bytes' is refused */
		{
			int bad[2] = { 100000, 0 };
			struct pdf_doc *x = NULL;
			ck_assert_int_eq(pdf_doc_open_known(o, on, bad, 1, &x, &ei),
					 SP_ERR_INVALID);
			ck_assert_ptr_null(x);
		}
		/* our signing update (every page gets a widget): the tree is kept */
		ck_assert_int_eq(prepare(o, on, &pl, 1, &p, &ei), SP_OK);
		ck_assert_int_eq(pdf_sig_fill(p.data, p.len, p.contents_off, p.contents_len, der,
					      sizeof(der), &ei),
				 SP_OK);
		ck_assert_int_eq(kept(known, p.data, p.len), 1);
		ck_assert_int_eq(kept(view, p.data, p.len), 1);
		pdf_sig_prepared_cleanup(&p);
		if (kind == 0) {
			/* an update adding an unrelated object keeps it too */
			u = append_update(o, on, 900, "<< /Foo 1 >>", &un);
			ck_assert_int_eq(kept(known, u, un), 1);
			free(u);
			/* a page that gains /Kids is a node now: not kept */
			snprintf(body, sizeof(body), "<< /Type /Page /Kids [] >>");
			u = append_update(o, on, pages[0], body, &un);
			ck_assert_int_eq(kept(known, u, un), 0);
			free(u);
			/* the /Pages node rewritten (its pages in another order): not kept */
			{
				qpdf_data q = qpdf_init();
				qpdf_silence_errors(q);
				ck_assert_int_eq(qpdf_read_memory(q, "o.pdf", (const char *)o, on,
								  "") &
							 QPDF_ERRORS,
						 0);
				pn = qpdf_oh_get_key(q, qpdf_get_root(q), "/Pages");
				pages_node = qpdf_oh_get_object_id(q, pn);
				qpdf_cleanup(&q);
			}
			snprintf(body, sizeof(body),
				 "<< /Type /Pages /Count 3 /Kids [%d 0 R %d 0 R %d 0 R] >>",
				 pages[4], pages[2], pages[0]);
			u = append_update(o, on, pages_node, body, &un);
			ck_assert_int_eq(kept(known, u, un), 0);
			free(u);
			/* a new /Root with another /Pages: not kept */
			snprintf(body, sizeof(body), "<< /Type /Catalog /Pages %d 0 R >>",
				 pages[0]);
			for (i = 0; i < 1; i++) {
				struct pdf_doc *b = open_ok(o, on);
				struct pdf_doc_info in;
				pdf_doc_info_get(b, &in);
				pdf_doc_free(b);
				u = append_update(o, on, in.root_obj, body, &un);
				ck_assert_int_eq(kept(known, u, un), 0);
				free(u);
			}
		}
		pdf_doc_free(known);
		pdf_doc_free(view);
		free(pages);
		pages = NULL;
		if (kind)
			free(o);
	}
	free(d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_revisions");
	TCase *tc = test_tcase(s, "revisions", setup, teardown, 1, 120);

	tcase_add_test(tc, known_pages_handed_on);
	tcase_add_test(tc, revisions_extend_as_found_whole);
	tcase_add_test(tc, revisions_found_across_every_white_space);
	tcase_add_test(tc, revisions_read_as_qpdf_reads_numbers);
	tcase_add_test(tc, revisions_refuse_a_trailer_readers_guess_at);
	tcase_add_test(tc, revision_xref_entries);
	tcase_add_test(tc, revisions_room_check);
	return test_suite_run(s);
}
