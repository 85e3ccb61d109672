/*
 * diff.c: what one incremental update changed, object by object, and
 * whether a signature made before it may tolerate it (after pyHanko's
 * difference analysis and the PDF signature attack papers): only objects
 * the update's own xref section lists can change, so those are the ones
 * compared with the previous revision. Allowed: new objects nothing old
 * refers to, new signature fields and their widgets, the AcroForm entries
 * and page /Annots additions for them, /SigFlags, DSS, /Info and XMP
 * metadata. Everything else is disallowed and named: fail closed. The
 * form's and the annotations' judgements are diff_form.c's.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff_int.h"

/* AcroForm entries a signer's tool may set (ISO 32000-2 §12.7.3, §12.8.2.2). */
static const char *const af_free[] = { "/SigFlags", "/DA", "/DR", NULL };

static char *
unparse(qpdf_data q, qpdf_oh h)
{
	const char *s = qpdf_oh_unparse_resolved(q, h);

	return strdup(s ? s : "");
}

/*
 * Same value in both documents (references compared as references). A
 * reference is the same only when it resolves alike: qpdf reads one to a
 * missing object as null and lists no key that holds it, so no walk saw it,
 * and an update that defines the object changes what the key reads as.
 */
int
diff_same(qpdf_data qa, qpdf_oh a, qpdf_data qb, qpdf_oh b)
{
	int ia = qpdf_oh_is_indirect(qa, a), ib = qpdf_oh_is_indirect(qb, b), eq;
	const char *sa;
	char *x = NULL;

	if (ia || ib)
		return ia && ib && qpdf_oh_get_object_id(qa, a) == qpdf_oh_get_object_id(qb, b) &&
		       qpdf_oh_get_generation(qa, a) == qpdf_oh_get_generation(qb, b) &&
		       qpdf_oh_is_null(qa, a) == qpdf_oh_is_null(qb, b);
	sa = qpdf_oh_unparse(qa, a);
	x = strdup(sa ? sa : "");
	eq = x && strcmp(x, qpdf_oh_unparse(qb, b)) == 0;
	free(x);
	return eq;
}

/*
 * An update keeps the file's encryption as it was: the same /Encrypt and the
 * same first /ID, from which the key comes. A reader decrypts every object,
 * the signed revision's too, as the last trailer says: an update that adds,
 * drops or changes either changes what every earlier object reads as.
 */
static void
encryption_kept(struct pdf_diff *out, qpdf_data qo, qpdf_oh to, qpdf_data qn, qpdf_oh tn)
{
	int eo = qpdf_oh_has_key(qo, to, "/Encrypt"), en = qpdf_oh_has_key(qn, tn, "/Encrypt");
	qpdf_oh io = qpdf_oh_get_key_if_dict(qo, to, "/ID"),
		in = qpdf_oh_get_key_if_dict(qn, tn, "/ID");

	if (!eo && !en)
		return;
	if (!eo)
		diff_note(out, 0, 0, 0, 0, "encryption added");
	else if (!en)
		diff_note(out, 0, 0, 0, 0, "encryption removed");
	else if (!diff_same(qo, qpdf_oh_get_key_if_dict(qo, to, "/Encrypt"), qn,
			    qpdf_oh_get_key_if_dict(qn, tn, "/Encrypt")) ||
		 !qpdf_oh_is_array(qo, io) || !qpdf_oh_is_array(qn, in) ||
		 qpdf_oh_get_array_n_items(qo, io) < 1 || qpdf_oh_get_array_n_items(qn, in) < 1 ||
		 !diff_same(qo, qpdf_oh_get_array_item(qo, io, 0), qn,
			    qpdf_oh_get_array_item(qn, in, 0)))
		diff_note(out, 0, 0, 0, 0, "encryption changed (/Encrypt or the first /ID)");
}

/* A catalog /Version name's version as 10 * major + minor (/1.7: 17), -1 if none is. */
static int
version_of(qpdf_data q, qpdf_oh v)
{
	const char *n;

	if (!qpdf_oh_is_name(q, v))
		return -1;
	n = qpdf_oh_get_name(q, v);
	if (strlen(n) != 4 || n[0] != '/' || n[2] != '.' || n[1] < '1' || n[1] > '2' ||
	    n[3] < '0' || n[3] > '9')
		return -1;
	return 10 * (n[1] - '0') + (n[3] - '0');
}

/*
 * The catalog's /Version (ISO 32000-1 §7.2.2: the document's version when
 * later than its header's) may be added or raised by a later signer, as
 * iText does at every signature (even to the header's own version) and as
 * pyHanko and Adobe accept; never lowered below what the signer saw, nor made
 * something that is not a version.
 */
static int
version_not_lowered(qpdf_data qo, qpdf_oh a, qpdf_data qn, qpdf_oh b)
{
	int vo = qpdf_oh_is_null(qo, a) ? 0 : version_of(qo, a), vn = version_of(qn, b);

	return vo >= 0 && vn >= 0 && vn >= vo;
}

/* k among keys[0..n) (an entry NULL: a key whose copy failed, never equal) */
static int
key_listed(const char *const *keys, int n, const char *k)
{
	int i;

	for (i = 0; i < n; i++)
		if (keys[i] != NULL && strcmp(keys[i], k) == 0)
			return 1;
	return 0;
}

/*
 * Compare two dictionaries key by key; keys in `free_keys` may change at
 * will, /Fields and /Annots by grows_by_sigs, /AcroForm recursively.
 * Returns 1 when every difference is allowed; *what names the first that is not.
 */
static int
dict_allowed(struct diff_ctx *c, qpdf_oh old, qpdf_oh nw, const char *const *free_keys, int depth,
	     int *visible, const char **what)
{
	qpdf_data qo = c->o->q, qn = c->n->q;
	const char *keys[2][128];
	int nk[2] = { 0, 0 }, s, i, vis;
	size_t j;

	*what = NULL;
	if (depth > 2)
		return 0;
	for (s = 0; s < 2; s++) {
		qpdf_data q = s ? qn : qo;
		qpdf_oh h = s ? nw : old;
		if (qpdf_oh_is_null(q, h))
			continue;
		if (!qpdf_oh_is_dictionary(q, h))
			break; /* no longer (or not yet) a dictionary: refused */
		qpdf_oh_begin_dict_key_iter(q, h);
		while (qpdf_oh_dict_more_keys(q) && nk[s] < 128)
			keys[s][nk[s]++] = strdup(qpdf_oh_dict_next_key(q));
		if (qpdf_oh_dict_more_keys(q))
			break; /* more keys than are compared: refused */
	}
	/* refused with what was read of either side given back */
	s = s == 2;
	for (i = 0; i < nk[0] + nk[1] && s; i++) {
		const char *k = i < nk[0] ? keys[0][i] : keys[1][i - nk[0]];
		qpdf_oh a, b;
		int ok = 0, grows = k && (!strcmp(k, "/Fields") || !strcmp(k, "/Annots")),
		    tried = 0;
		/*
		 * A key both have was compared under old's keys: the same two values,
		 * so the same answer (nothing below depends on the order or on an
		 * earlier visit; visible widgets only count as some or none). Not
		 * compared again: /Fields and /Annots, k items each at a contract's
		 * k-th signing, were read twice per update.
		 */
		if (i >= nk[0] && k != NULL && key_listed(keys[0], nk[0], k))
			continue;
		a = qpdf_oh_get_key_if_dict(qo, old, k);
		b = qpdf_oh_get_key_if_dict(qn, nw, k);
		/*
		 * A free key is allowed whatever its value, and /Fields or /Annots
		 * written in place as arrays that diff_grows_by_sigs() accepts are allowed
		 * whether or not they are also the same: so those are settled before
		 * diff_same() unparses both values (/DR whole; the two arrays, k items
		 * each at a contract's k-th signing, which diff_grows_by_sigs() reads
		 * anyway when they differ). The answer is the one diff_same() first gave:
		 * diff_same() has no side effect, and two direct arrays that unparse
		 * alike hold the same items, so diff_grows_by_sigs() accepts them and
		 * finds no new one (nothing visible added). An indirect /Fields or
		 * /Annots is still diff_same() by its reference first (its object's
		 * change is classified on its own).
		 */
		for (j = 0; free_keys[j] && !ok && k; j++)
			ok = strcmp(free_keys[j], k) == 0;
		if (!ok && grows && !qpdf_oh_is_indirect(qo, a) && !qpdf_oh_is_indirect(qn, b) &&
		    qpdf_oh_is_array(qo, a) && qpdf_oh_is_array(qn, b)) {
			tried = 1;
			if (diff_grows_by_sigs(c, a, b, k, !strcmp(k, "/Annots"), &vis)) {
				ok = 1;
				*visible += vis;
			}
		}
		if (!k)
			s = 0;
		else if (!ok && diff_same(qo, a, qn, b))
			ok = 1;
		if (!ok && grows && !tried &&
		    diff_grows_by_sigs(c, a, b, k, !strcmp(k, "/Annots"), &vis)) {
			ok = 1;
			*visible += vis;
		}
		if (!ok && k && c->in_root && depth == 0 && !strcmp(k, "/Version") &&
		    version_not_lowered(qo, a, qn, b))
			ok = 1;
		/* a tagged document's page told to order its annotations by the structure
		   tree (PDF/UA-1 §7.18.3) as it gains a tagged widget: draws nothing */
		if (!ok && k && c->in_page && !strcmp(k, "/Tabs") && qpdf_oh_is_null(qo, a) &&
		    qpdf_oh_is_name_and_equals(qn, b, "/S") &&
		    qpdf_oh_has_key(qo, qpdf_get_root(qo), "/StructTreeRoot"))
			ok = 1;
		if (!ok && k && c->in_page && !strcmp(k, "/Annots") && diff_annots_edit(c, a, b)) {
			ok = 1;
			c->annots_edited = 1;
		}
		/* a viewer told to redraw appearances could repaint signed fields */
		if (!ok && k && !strcmp(k, "/NeedAppearances") && depth > 0 &&
		    !(qpdf_oh_is_bool(qn, b) && qpdf_oh_get_bool_value(qn, b)))
			ok = 1;
		if (!ok && k && !strcmp(k, "/AcroForm")) {
			const char *w2;
			int dnum = c->dnum;
			c->dnum = 0; /* a and b are no objects of their own, or other ones */
			ok = dict_allowed(c, a, b, af_free, depth + 1, visible, &w2);
			c->dnum = dnum;
		}
		if (!ok) {
			snprintf(c->key, sizeof(c->key), "%s", k ? k : "a key");
			*what = c->key;
			s = 0;
		}
	}
	for (i = 0; i < nk[0] + nk[1]; i++)
		free((void *)(i < nk[0] ? keys[0][i] : keys[1][i - nk[0]]));
	return s;
}

/* 1 when some revision up to older refers to object id. */
static int
used(const struct diff_ctx *c, int id)
{
	return id > 0 && (size_t)id < c->refs->n && REF_HAS(c->refs, id);
}

/*
 * 1 when some revision up to older refers to object id more than once: the
 * /Info, XMP metadata or DSS object it is may not change as such, for what else refers to it (a page's /Contents, /Resources, a
 * field's /Parent) would change with it.
 */
static int
shared(const struct diff_ctx *c, int id)
{
	return id > 0 && (size_t)id < c->refs->n && c->refs->multi != NULL &&
	       REF_MULTI(c->refs, id);
}

/*
 * The object the catalog nw's key (/Metadata, /DSS) names anew, when the
 * signed revision uses it already (it would be changed under that name
 * next); 0 otherwise.
 */
static int
role_taken(const struct diff_ctx *c, qpdf_oh old, qpdf_oh nw, const char *key)
{
	int id = diff_ref_id(c->n->q, nw, key);

	return id != diff_ref_id(c->o->q, old, key) && used(c, id) ? id : 0;
}

/*
 * 1 when dictionaries old and nw (not streams) cannot unparse alike: under
 * key (the /Fields of the AcroForm, the /Annots of a page: what a
 * signature's update grows, k items each at a contract's k-th signing)
 * both hold a direct array, of different lengths. Sound because an
 * unparsed dictionary lists each non-null value under its key, an array
 * with every item, in a syntax that reads back one way: texts that are
 * equal hold arrays of equal length. Only a difference is told this way;
 * anything else is compared whole, as before.
 */
static int
grown_array_differs(qpdf_data qo, qpdf_oh old, qpdf_data qn, qpdf_oh nw, const char *key)
{
	qpdf_oh a, b;

	if (qpdf_oh_get_type_code(qo, old) != ot_dictionary ||
	    qpdf_oh_get_type_code(qn, nw) != ot_dictionary)
		return 0;
	a = qpdf_oh_get_key_if_dict(qo, old, key);
	if (qpdf_oh_is_indirect(qo, a) || qpdf_oh_get_type_code(qo, a) != ot_array)
		return 0;
	b = qpdf_oh_get_key_if_dict(qn, nw, key);
	return !qpdf_oh_is_indirect(qn, b) && qpdf_oh_get_type_code(qn, b) == ot_array &&
	       qpdf_oh_get_array_n_items(qo, a) != qpdf_oh_get_array_n_items(qn, b);
}

/*
 * 1 when the DSS dictionaries old and nw cannot unparse alike: an item
 * array (/Certs, /OCSPs, /CRLs) of different lengths (grown_array_differs).
 * A DSS update adds the new signature's evidence there, and its /VRI entry:
 * compared whole, the /VRI dictionary's k values, objects of their own,
 * were each resolved by qpdf (its unparse leaves null values out) in both
 * revisions, only to find the two different.
 */
static int
dss_grown(qpdf_data qo, qpdf_oh old, qpdf_data qn, qpdf_oh nw)
{
	static const char *const items[] = { "/Certs", "/OCSPs", "/CRLs" };
	size_t i;

	for (i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		if (grown_array_differs(qo, old, qn, nw, items[i]))
			return 1;
	return 0;
}

/*
 * 1 when object num (generation gen) is older's DSS, rewritten with an
 * item array of another length, as the reads of it on both sides tell it
 * (older's told by pdf_doc_dss_tell, newer's c->dss_new; closed reads: each
 * count is its array's length, 0 for none) without qpdf parsing either:
 * the two cannot unparse alike (dss_grown's test), so classify() would list
 * it as the allowed DSS change. It is not /Info or the XMP metadata, which
 * classify() names first. 0: compared as before.
 */
static int
dss_told_grown(const struct diff_ctx *c, int num, int gen)
{
	const struct pdf_dss *nw = c->dss_new;
	size_t k;

	if (nw == NULL || num != c->dss || num == c->info || num == c->metadata || shared(c, num) ||
	    c->o->dss_obj != num || c->o->dss_gen != gen || !nw->present || !nw->closed ||
	    nw->encrypted || nw->dss_obj != num || nw->dss_gen != gen)
		return 0;
	for (k = 0; k < 3; k++)
		if (c->o->dss_n[k] != nw->n[k])
			return 1;
	return 0;
}

/*
 * 1 when object num is an object stream holding objects this update lists.
 * Nothing else is file structure by its /Type: the update's own xref
 * stream is not classified at all, and a content stream that says /Type
 * /XRef or /ObjStm is content (viewers draw it whatever it says).
 */
static int
holds_listed(const struct diff_ctx *c, int num)
{
	return c->nin > 0 && bsearch(&num, c->in, c->nin, sizeof(*c->in), diff_cmp_int) != NULL;
}

static int
cmp_xent(const void *a, const void *b)
{
	const struct diff_xent *x = a, *y = b;

	return x->num != y->num ? (x->num > y->num) - (x->num < y->num)
				: (x->type > y->type) - (x->type < y->type);
}

/*
 * 1 when x[0..n) lists an object in use twice, at two places (*num: it), 0
 * when not, -1 out of memory. Two listings alike (the same generation and
 * place: a table and its /XRefStm, or two subsections, repeating an entry)
 * are one object to every reader, so they are one listing.
 */
static int
listed_twice(const struct diff_xent *x, size_t n, int *num)
{
	struct diff_xent *s;
	size_t i;
	int r = 0;

	if (n < 2)
		return 0;
	if (!(s = malloc(n * sizeof(*s))))
		return -1;
	memcpy(s, x, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_xent);
	for (i = 1; i < n && !r; i++)
		if (s[i].num == s[i - 1].num && s[i].type != 0 && s[i - 1].type != 0 &&
		    (s[i].type != s[i - 1].type || s[i].gen != s[i - 1].gen ||
		     s[i].in != s[i - 1].in || s[i].off != s[i - 1].off ||
		     s[i].ix != s[i - 1].ix)) {
			*num = s[i].num;
			r = 1;
		}
	free(s);
	return r;
}

/* An object the update redefined: allowed or not, and why. */
static void
classify(struct diff_ctx *c, int num, int gen)
{
	qpdf_data qo = c->o->q, qn = c->n->q;
	qpdf_oh old = qpdf_get_object_by_id(qo, num, gen), nw = qpdf_get_object_by_id(qn, num, gen);
	unsigned char *ba = NULL, *bb = NULL;
	size_t la = 0, lb = 0;
	int fa = 0, fb = 0, page, vis = 0, eq, tag;
	char *ua, *ub;
	const char *what;
	/* what ISO 32000-2 §12.8.2.2 and PAdES let a later signer add to the catalog:
	   validation data, metadata, extension levels (ESIC) and permissions */
	static const char *const root_free[] = { "/DSS", "/Metadata", "/Extensions", "/Perms",
						 NULL };
	/* what signing an empty signature field changes (pyHanko's SigFieldModificationRule):
	   its value and its widget's appearance, in the field's object or its widget's */
	static const char *const sigfield_free[] = { "/V", "/AP", NULL };
	/* what filling in a field changes (ISO 32000-2 §12.7.4): its value, the
	   appearance state of a check box or radio button, the appearance */
	static const char *const fill_free[] = { "/V", "/AS", "/AP", NULL };
	char ft[32], ft2[32], name[128], name2[128], xmp[160];
	int ok;

	if (dss_told_grown(c, num, gen)) {
		diff_note(c->d, num, gen, 1, 0, "document security store (DSS)");
		diff_mark_ltv(c->d);
		return;
	}
	/* a page whose new version is its old bytes and our widgets (sign.c annots_splice),
	   told from both versions' bytes, not from qpdf's parse of their 2k-item /Annots
	   (neither null, then: each is a dictionary where qpdf reads it) */
	if (num != c->acroform && (page = diff_is_page(c, num)) > 0 &&
	    diff_page_grown_bytes(c, num, gen, page))
		return;
	if (qpdf_oh_is_null(qo, old)) {
		if (gen != 0 && !qpdf_oh_is_null(qo, qpdf_get_object_by_id(qo, num, 0)))
			diff_note(c->d, num, gen, 0, 0, "object %d redefined with generation %d",
				  num, gen);
		else if ((size_t)num < c->refs->n && REF_HAS(c->refs, num))
			diff_note(c->d, num, gen, 0, 0,
				  "new object %d fills a reference the signed revision already "
				  "made",
				  num);
		return; /* a new object: only what refers to it can show it */
	}
	if (qpdf_oh_is_null(qn, nw)) {
		diff_note(c->d, num, gen, 0, 0, "object %d deleted", num);
		return;
	}
	c->dnum = num;
	c->dgen = gen;
	/* the page a signature's widget is added to, the AcroForm its field is and the DSS
	   its evidence is: each unparsed whole, their k-item arrays too, only to be found
	   different */
	if ((num == c->acroform && grown_array_differs(qo, old, qn, nw, "/Fields")) ||
	    (num == c->dss && dss_grown(qo, old, qn, nw)) ||
	    (num != c->acroform && diff_is_page(c, num) > 0 &&
	     grown_array_differs(qo, old, qn, nw, "/Annots"))) {
		eq = 0;
	} else {
		ua = unparse(qo, old);
		ub = unparse(qn, nw);
		eq = ua && ub && strcmp(ua, ub) == 0;
		free(ua);
		free(ub);
	}
	if (eq && qpdf_oh_is_stream(qo, old)) {
		eq = qpdf_oh_is_stream(qn, nw) &&
		     qpdf_oh_get_stream_data(qo, old, qpdf_dl_none, &fa, &ba, &la) ==
			     QPDF_SUCCESS &&
		     qpdf_oh_get_stream_data(qn, nw, qpdf_dl_none, &fb, &bb, &lb) == QPDF_SUCCESS &&
		     la == lb && memcmp(ba, bb, la) == 0;
		free(ba);
		free(bb);
	}
	if (eq)
		return;
	if ((num == c->info || num == c->metadata || num == c->dss) && shared(c, num)) {
		diff_note(c->d, num, gen, 0, 0,
			  "%s changed, and the signed revision uses that object elsewhere too",
			  num == c->info       ? "document information (/Info)"
			  : num == c->metadata ? "XMP metadata"
					       : "document security store (DSS)");
	} else if (num == c->info) {
		diff_note(c->d, num, gen, 1, 0, "document information (/Info)");
		diff_mark_meta(c->d);
	} else if (num == c->metadata) {
		/* a packet that does not parse, or drops the PDF/A claim it made */
		ok = pdf_xmp_judge(qo, old, qn, nw, xmp, sizeof(xmp));
		diff_note(c->d, num, gen, ok, 0, "%s", xmp);
		if (ok)
			diff_mark_meta(c->d);
	} else if (num == c->dss) {
		/* the one the catalog names: an object merely typed /DSS is anything else */
		diff_note(c->d, num, gen, 1, 0, "document security store (DSS)");
		diff_mark_ltv(c->d);
	} else if (holds_listed(c, num)) {
		/* an object the older revision has (a new one returned above), made an object
		   stream: what the older read as it (content) or from it (the objects its
		   entries place there, which this update does not list) changes unseen */
		diff_note(c->d, num, gen, 0, 0,
			  "object %d redefined as an object stream (what the signed revision read "
			  "as it or from it changes)",
			  num);
	} else if (num == c->root) {
		/* what an LTV tool's update changes in the catalog (iText's LtvVerification:
		   /DSS, and the ESIC extension level 5 that declares it) */
		static const char *const dss_meta[] = { "/DSS", "/Metadata", "/Extensions", NULL };
		int v1 = 0, taken;
		c->in_root = 1;
		if ((taken = role_taken(c, old, nw, "/Metadata")) != 0 ||
		    (taken = role_taken(c, old, nw, "/DSS")) != 0)
			diff_note(c->d, num, gen, 0, 0,
				  "catalog (/Root) changed (its %s now names object %d, which the "
				  "signed revision uses)",
				  diff_ref_id(qn, nw, "/Metadata") == taken ? "/Metadata" : "/DSS",
				  taken);
		/* another XMP packet named: judged as one rewritten in place */
		else if (!diff_same(qo, qpdf_oh_get_key_if_dict(qo, old, "/Metadata"), qn,
				    qpdf_oh_get_key_if_dict(qn, nw, "/Metadata")) &&
			 !pdf_xmp_judge(qo, qpdf_oh_get_key_if_dict(qo, old, "/Metadata"), qn,
					qpdf_oh_get_key_if_dict(qn, nw, "/Metadata"), xmp,
					sizeof(xmp)))
			diff_note(c->d, num, gen, 0, 0, "catalog (/Root) changed (%s)", xmp);
		/* validation data or metadata only: /DSS, /Metadata, /Extensions (and a
		   /Version raised) are the keys that differ */
		else if (diff_same(qo, qpdf_oh_get_key_if_dict(qo, old, "/AcroForm"), qn,
				   qpdf_oh_get_key_if_dict(qn, nw, "/AcroForm")) &&
			 dict_allowed(c, old, nw, dss_meta, 0, &v1, &what) && v1 == 0) {
			if (diff_same(qo, qpdf_oh_get_key_if_dict(qo, old, "/DSS"), qn,
				      qpdf_oh_get_key_if_dict(qn, nw, "/DSS"))) {
				diff_note(c->d, num, gen, 1, 0, "catalog: metadata");
				diff_mark_meta(c->d);
			} else {
				diff_note(c->d, num, gen, 1, 0,
					  "catalog: document security store (DSS) added");
				diff_mark_ltv(c->d);
			}
		} else if (dict_allowed(c, old, nw, root_free, 0, &vis, &what))
			diff_note(c->d, num, gen, 1, vis,
				  "catalog: signature form entries, DSS or metadata");
		else
			diff_note(c->d, num, gen, 0, 0, "catalog (/Root) changed (%s)", what);
		c->in_root = 0;
	} else if (num == c->acroform) {
		if (dict_allowed(c, old, nw, af_free, 1, &vis, &what))
			diff_note(c->d, num, gen, 1, vis, "AcroForm: signature fields added");
		else
			diff_note(c->d, num, gen, 0, 0, "AcroForm changed (%s)", what);
	} else if (num == c->fields) {
		if (diff_grows_by_sigs(c, old, nw, "", 0, &vis))
			diff_note(c->d, num, gen, 1, vis,
				  "AcroForm /Fields: signature fields added");
		else
			diff_note(c->d, num, gen, 0, 0, "AcroForm /Fields changed");
	} else if ((page = diff_is_page(c, num)) > 0) {
		static const char *const page_free[] = { NULL };
		c->in_page = 1;
		c->annots_edited = 0;
		ok = dict_allowed(c, old, nw, page_free, 1, &vis, &what);
		c->in_page = 0;
		if (ok && c->annots_edited)
			diff_note_perm(c->d, num, gen, PDF_CHANGE_ANNOT, NULL,
				       "page %d: annotations added or removed", page);
		else if (ok)
			diff_note(c->d, num, gen, 1, vis, "page %d: signature widgets added", page);
		else
			diff_note(c->d, num, gen, 0, 0, "page %d changed (%s)", page, what);
	} else if ((page = diff_is_annots(c, num)) > 0) {
		if (diff_grows_by_sigs(c, old, nw, "", 1, &vis))
			diff_note(c->d, num, gen, 1, vis,
				  "page %d /Annots: signature widgets added", page);
		else if (diff_annots_edit(c, old, nw))
			diff_note_perm(c->d, num, gen, PDF_CHANGE_ANNOT, NULL,
				       "page %d /Annots: annotations added or removed", page);
		else
			diff_note(c->d, num, gen, 0, 0,
				  "page %d /Annots: annotations added or changed", page);
	} else if (qpdf_oh_is_name_and_equals(qo, qpdf_oh_get_key_if_dict(qo, old, "/FT"),
					      "/Sig") &&
		   !qpdf_oh_has_key(qo, old, "/V") && qpdf_oh_has_key(qn, nw, "/V") &&
		   dict_allowed(c, old, nw, sigfield_free, 1, &vis, &what)) {
		diff_field_of(qn, nw, ft, sizeof(ft), name, sizeof(name));
		diff_note_fill(c->d, num, gen, name, "empty signature field \"%.60s\" signed",
			       name);
	} else if (diff_sig_widget_filled(qo, old, qn, nw) &&
		   dict_allowed(c, old, nw, sigfield_free, 1, &vis, &what)) {
		diff_field_of(qn, nw, ft, sizeof(ft), name, sizeof(name));
		diff_note_fill(c->d, num, gen, name,
			       "the widget of empty signature field \"%.60s\" signed", name);
	} else if (!qpdf_oh_is_stream(qo, old) &&
		   diff_field_of(qo, old, ft, sizeof(ft), name, sizeof(name)) &&
		   strcmp(ft, "/Sig") != 0 &&
		   diff_field_of(qn, nw, ft2, sizeof(ft2), name2, sizeof(name2)) &&
		   !strcmp(ft, ft2) && !strcmp(name, name2) &&
		   dict_allowed(c, old, nw, fill_free, 1, &vis, &what)) {
		/* the same field, only its value and appearance changed (form filling) */
		diff_note_perm(c->d, num, gen, PDF_CHANGE_FORM_FILL, name,
			       "form field \"%.60s\" filled in", name);
	} else if (diff_is_markup_annot(qo, old) && diff_is_markup_annot(qn, nw) &&
		   diff_on_a_page(c, num) && !diff_actions_added(qo, old, qn, nw)) {
		/* an annotation the page also draws with (its graphics state, its
		   resources) is that too: changed, the page's content changes */
		if (diff_annot_shared(c, num))
			diff_note(c->d, num, gen, 0, 0,
				  "annotation %d changed, and the signed revision uses that object "
				  "elsewhere too",
				  num);
		else
			diff_note_perm(c->d, num, gen, PDF_CHANGE_ANNOT, NULL,
				       "annotation %d changed", num);
	} else if (diff_field_of(qo, old, ft, sizeof(ft), name, sizeof(name)) &&
		   !strcmp(ft, "/Sig") && qpdf_oh_has_key(qo, old, "/V") &&
		   qpdf_oh_has_key(qn, nw, "/V") &&
		   !diff_same(qo, qpdf_oh_get_key(qo, old, "/V"), qn,
			      qpdf_oh_get_key(qn, nw, "/V"))) {
		/* still disallowed: the earlier signature is gone from the form (viewers and
		   pdfsig list the new one alone), said as such rather than as any change */
		diff_note(c->d, num, gen, 0, 0,
			  "signature field \"%.60s\" signed again: its signature "
			  "replaced",
			  name);
	} else if ((tag = diff_tags_added(c, num, old, nw)) == 1) {
		diff_note(c->d, num, gen, 1, 0, "structure tree: signature fields tagged");
	} else if (tag == 2) {
		/* a comment's tag: as the comment, what DocMDP P=3 permits */
		diff_note_perm(c->d, num, gen, PDF_CHANGE_ANNOT, NULL,
			       "structure tree: annotations tagged");
	} else {
		diff_note(c->d, num, gen, 0, 0, "object %d changed (%s)", num,
			  qpdf_oh_is_stream(qo, old)
				  ? "a stream: content, image, font or form XObject"
				  : "not a signature, form or metadata entry");
	}
}

int
pdf_revision_diff(struct pdf_doc *older, struct pdf_doc *newer, const struct pdf_revision *rev,
		  struct pdf_refs *refs, struct pdf_diff *out, struct sp_errinfo *ei)
{
	return pdf_revision_diff_dss(older, newer, rev, NULL, refs, out, ei);
}

/*
 * An update's new objects (numbers the older revision has no object under),
 * its own cross-reference stream among them: one that an object the update
 * does not list names fills a reference the older revision made to an
 * object it did not have. qpdf reads such a reference as null and leaves a
 * dictionary's null values out of its keys, so no walk of the older
 * revision met it (/XObject << /X1 99 0 R >> without object 99), while in
 * the newer revision it names the new object, which the page then draws
 * (review46). Whether the update's own objects name it too tells nothing
 * (review47: object 99 naming itself, or an orphan [99 0 R]): only the
 * references of the objects the update leaves as they were are the older
 * revision's, and one walk of the newer revision reads those
 * (diff_fills_walk). An object the update lists is judged by classify(),
 * which compares it with its older self. No walk when no revision up to
 * the older one hides a reference (refs->no_hidden): the references the
 * older revision made are then the ones its walks saw, and classify()
 * judged a new object they name.
 */
static void
orphans_named(struct diff_ctx *c, const struct diff_xent *x, size_t nx)
{
	struct pdf_refs fills;
	struct sp_errinfo ign;
	size_t i;
	int walked = 0, ok = 0, num;

	if (c->refs->no_hidden)
		return;
	memset(&fills, 0, sizeof(fills));
	for (i = 0; i < nx; i++) {
		num = x[i].num;
		if (num <= 0 || x[i].type == 0 || (size_t)num > PDF_DOC_MAX_OBJECTS ||
		    !qpdf_oh_is_null(c->o->q, qpdf_get_object_by_id(c->o->q, num, x[i].gen)))
			continue;
		if (!walked) {
			walked = 1;
			sp_errinfo_init(&ign);
			ok = diff_fills_walk(c, &fills, &ign) == SP_OK;
		}
		if (!ok)
			diff_note(c->d, num, x[i].gen, 0, 0,
				  "new object %d: whether the signed revision refers to it cannot "
				  "be told",
				  num);
		else if ((size_t)num < fills.n && REF_HAS(&fills, num))
			diff_note(c->d, num, x[i].gen, 0, 0,
				  "new object %d fills a reference the signed revision already "
				  "made, to an object it did not have",
				  num);
	}
	pdf_refs_cleanup(&fills);
}

int
pdf_revision_diff_dss(struct pdf_doc *older, struct pdf_doc *newer, const struct pdf_revision *rev,
		      const struct pdf_dss *dss, struct pdf_refs *refs, struct pdf_diff *out,
		      struct sp_errinfo *ei)
{
	struct diff_ctx c;
	struct diff_xent *x = NULL;
	size_t nx = 0, i;
	int r = SP_ERR_INTERNAL, self = -1, counted, ni;
	qpdf_oh to, tn, h;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if (rev->xref < 0 || (size_t)rev->xref >= newer->len)
		return sp_err_reason(ei, SP_ERR_PDF, "revision_structure",
				     "xref outside the revision");
	c.o = older;
	c.n = newer;
	c.d = out;
	to = qpdf_get_trailer(older->q);
	tn = qpdf_get_trailer(newer->q);
	c.root = diff_ref_id(older->q, to, "/Root");
	c.info = diff_ref_id(older->q, to, "/Info");
	c.acroform = diff_ref_id(older->q, qpdf_get_root(older->q), "/AcroForm");
	c.fields =
		diff_ref_id(older->q,
			    qpdf_oh_get_key_if_dict(older->q, qpdf_get_root(older->q), "/AcroForm"),
			    "/Fields");
	c.metadata = diff_ref_id(older->q, qpdf_get_root(older->q), "/Metadata");
	c.dss = diff_ref_id(older->q, qpdf_get_root(older->q), "/DSS");
	if (diff_ref_id(newer->q, tn, "/Root") != c.root || c.root == 0)
		diff_note(out, 0, 0, 0, 0, "the trailer's /Root was replaced");
	encryption_kept(out, older->q, to, newer->q, tn);
	c.refs = refs;
	/* /Info, which an update may change, named anew: an object the signed revision uses
	   already would be changed under that name next (a shadow attack) */
	if ((ni = diff_ref_id(newer->q, tn, "/Info")) != 0 && ni != c.info && used(&c, ni))
		diff_note(out, 0, 0, 0, 0,
			  "the trailer's /Info now names object %d, which the signed revision uses",
			  ni);
	/* a read of newer's DSS, of these very bytes: its DSS object is judged (dss_told_grown)
	   and what its /VRI refers to taken from it */
	if (dss != NULL && !(dss->present && dss->dss_obj > 0 && dss->len == rev->end))
		dss = NULL;
	c.dss_new = dss;
	if (diff_xref_entries(newer, rev, &self, &x, &nx) < 0) {
		r = sp_err_reason(ei, SP_ERR_PDF, "revision_structure",
				  "the xref section at %lld cannot be read", rev->xref);
		goto out;
	}
	/* the update's own xref stream, which classify() skips, is a new object: under the
	   number of one the older revision has, it is that object's new definition */
	if (self > 0 && !qpdf_oh_is_null(older->q, qpdf_get_object_by_id(older->q, self, 0)))
		diff_note(out, self, 0, 0, 0,
			  "the update's cross-reference stream is object %d, which the signed "
			  "revision has",
			  self);
	/* nor one it lacks but refers to (an array's reference to a missing object, which
	   walks see): classify()'s test of any other new object, which orphans_named only
	   repeats where a revision may hide a reference */
	else if (self > 0 && (size_t)self < refs->n && REF_HAS(refs, self))
		diff_note(out, self, 0, 0, 0,
			  "the update's cross-reference stream is object %d, which fills a "
			  "reference the signed revision already made",
			  self);
	if (nx > 0 && !(c.in = malloc(nx * sizeof(*c.in)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nx; i++)
		if (x[i].type == 2)
			c.in[c.nin++] = x[i].in;
	if (c.nin > 0) /* c.in is NULL for an update of no entries: qsort's argument is nonnull */
		qsort(c.in, c.nin, sizeof(*c.in), diff_cmp_int);
	/* one update, one meaning: an object its table and its /XRefStm (or one section
	   twice) list at two places is read as one by some readers, the other by others
	   (qpdf and poppler the table's, Ghostscript the stream's) */
	if ((r = listed_twice(x, nx, &ni)) < 0) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (r > 0)
		diff_note(out, ni, 0, 0, 0,
			  "object %d is listed twice in one update, at two places: readers differ "
			  "on which one they read",
			  ni);
	for (i = 0; i < nx; i++) {
		if (x[i].num <= 0 || x[i].num == self)
			continue;
		if (x[i].type == 0) {
			if (!qpdf_oh_is_null(older->q,
					     qpdf_get_object_by_id(older->q, x[i].num, 0)) ||
			    (x[i].gen > 0 &&
			     !qpdf_oh_is_null(older->q, qpdf_get_object_by_id(older->q, x[i].num,
									      x[i].gen - 1))))
				diff_note(out, x[i].num, 0, 0, 0, "object %d deleted", x[i].num);
			continue;
		}
		classify(&c, x[i].num, x[i].gen);
	}
	if (nx > 0 && !(out->listed = malloc(nx * sizeof(*out->listed)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nx; i++)
		out->listed[i] = x[i].num;
	out->nlisted = nx;
	if (nx > 0) /* listed is NULL then, as c.in above */
		qsort(out->listed, nx, sizeof(*out->listed), diff_cmp_int);
	/* a role named anew is one more use of what it names (before the walks below, which leave
	   the catalog's and the trailer's references uncounted) */
	{
		qpdf_oh rn = qpdf_get_root(newer->q);
		int id[3] = { diff_ref_id(newer->q, tn, "/Info"),
			      diff_ref_id(newer->q, rn, "/Metadata"),
			      diff_ref_id(newer->q, rn, "/DSS") };
		int was[3] = { c.info, c.metadata, c.dss };
		for (i = 0; i < 3; i++)
			if (id[i] > 0 && id[i] != was[i] && id[i] <= PDF_DOC_MAX_OBJECTS &&
			    refs_mark(refs, id[i], 1) < 0) {
				r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
				goto out;
			}
	}
	/* what this update's objects refer to, for the next update's new objects: the DSS
	   from the read when it holds them all (not parsed: some 3k references at a B-LT
	   contract's k-th), the others walked */
	for (i = 0; i < nx; i++) {
		const struct pdf_dss *od =
			dss != NULL && x[i].num == dss->dss_obj && x[i].gen == dss->dss_gen ? dss
											    : NULL;
		if (x[i].num <= 0 || x[i].type == 0)
			continue;
		/* the catalog names again what it named (what it names anew is judged:
		   role_taken); a cross-reference stream repeats the trailer */
		counted = x[i].num != c.root && x[i].num != self;
		if (od != NULL && (r = diff_refs_dss(od, counted, refs, ei)) != 0) {
			if (r < 0)
				goto out;
			continue;
		}
		/* a page or the AcroForm (2k and k references at a contract's k-th signing) from
		   its bytes, when plainly written: not parsed by qpdf for its references */
		if (od == NULL && (x[i].num == c.acroform || diff_is_page(&c, x[i].num) > 0) &&
		    (r = diff_refs_bytes(newer, x[i].num, x[i].gen, counted, refs)) != 0) {
			if (r < 0) {
				r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
				goto out;
			}
			continue;
		}
		h = qpdf_get_object_by_id(newer->q, x[i].num, x[i].gen);
		if ((r = diff_refs_walk(newer->q, h, 0, newer, x[i].num, x[i].gen, od, counted,
					refs, NULL, ei)) < 0)
			goto out;
	}
	if ((r = diff_refs_walk(newer->q, qpdf_get_trailer(newer->q), 0, NULL, 0, 0, NULL, 0, refs,
				NULL, ei)) < 0)
		goto out;
	orphans_named(&c, x, nx);
	/* the newer revision hides no reference when the older hid none and the update names
	   no missing object */
	if (refs->no_hidden && diff_update_names_missing(newer, refs, x, nx, self))
		refs->no_hidden = 0;
	if (qpdf_has_error(older->q) || qpdf_has_error(newer->q)) {
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_unreadable",
				  "objects of the revisions cannot be read");
		goto out;
	}
	r = SP_OK;
out:
	free(x);
	free(c.in);
	pdf_refs_cleanup(c.annot_refs);
	free(c.annot_refs);
	free(c.fields_sorted);
	free(c.page_ix);
	free(c.annots_ix);
	pdf_refs_cleanup(&c.on_page);
	return r;
}

int
pdf_diff_lists(const struct pdf_diff *d, int num)
{
	return d->listed && bsearch(&num, d->listed, d->nlisted, sizeof(int), diff_cmp_int) != NULL;
}

void
pdf_diff_cleanup(struct pdf_diff *d)
{
	if (!d)
		return;
	free(d->listed);
	free(d->c);
	memset(d, 0, sizeof(*d));
}
