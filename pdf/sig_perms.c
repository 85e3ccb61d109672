/*
 * sig_perms.c: the permissions earlier signers set on a document (a
 * certification's DocMDP /P, a field's /Lock, a signature's FieldMDP
 * reference) as sig_fields.c reads a signature, and whether a new signature
 * may be added where they certified or locked it.
 *
 * Everything here reads attacker-controlled input: every loop is bounded
 * and anything that does not parse is an error, never a guess.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

/* DocMDP permissions of a certifying signature (/Reference), 0 when none. */
int
pdf_sig_docmdp_p(qpdf_data q, qpdf_oh sig)
{
	qpdf_oh refs = qpdf_oh_get_key_if_dict(q, sig, "/Reference"), ref, tp, p;
	int i, n, res = 0;

	n = qpdf_oh_is_array(q, refs) ? qpdf_oh_get_array_n_items(q, refs) : 0;
	for (i = 0; i < n && i < 16 && res == 0; i++) {
		ref = qpdf_oh_get_array_item(q, refs, i);
		if (qpdf_oh_is_name_and_equals(q,
					       qpdf_oh_get_key_if_dict(q, ref, "/TransformMethod"),
					       "/DocMDP")) {
			tp = qpdf_oh_get_key_if_dict(q, ref, "/TransformParams");
			p = qpdf_oh_get_key_if_dict(q, tp, "/P");
			res = 2; /* the default */
			if (qpdf_oh_is_integer(q, p)) {
				long long v = qpdf_oh_get_int_value(q, p);
				res = v >= 1 && v <= 3 ? (int)v
						       : 1; /* an unknown value: strictest */
			}
		}
		qpdf_oh_release(q, ref);
	}
	qpdf_oh_release(q, refs);
	return res;
}

/*
 * The DocMDP permissions of the signature dictionary sig that the catalog's
 * /Perms /DocMDP names: its DocMDP /Reference's, or 2 when it has none. ISO
 * 32000-2 Table 263 has a reader enforce the /P of a signature /Perms names,
 * and /P defaults to 2 (Table 257); a certifier's tool that left out the
 * transform still certified (pyHanko reads such a file as certified, with
 * no permission read).
 */
static int
perms_p(qpdf_data q, qpdf_oh sig)
{
	int p = pdf_sig_docmdp_p(q, sig);

	return p == 0 && qpdf_oh_is_dictionary(q, sig) ? 2 : p;
}

int
pdf_perms_docmdp_p(struct pdf_doc *doc, int obj, int gen)
{
	qpdf_data q = doc->q;
	qpdf_oh perms = qpdf_oh_get_key_if_dict(q, qpdf_get_root(q), "/Perms"),
		sig = qpdf_oh_get_key_if_dict(q, perms, "/DocMDP");
	int p = 0;

	if (obj > 0 && qpdf_oh_is_indirect(q, sig) && qpdf_oh_get_object_id(q, sig) == obj &&
	    qpdf_oh_get_generation(q, sig) == gen)
		p = perms_p(q, sig);
	qpdf_oh_release(q, sig);
	qpdf_oh_release(q, perms);
	return p;
}

int
pdf_docmdp_visible_check(struct pdf_doc *doc, struct sp_errinfo *ei)
{
	qpdf_data q = doc->q;
	qpdf_oh perms = qpdf_oh_get_key_if_dict(q, qpdf_get_root(q), "/Perms");
	char field[96];

	if (perms_p(q, qpdf_oh_get_key_if_dict(q, perms, "/DocMDP")) != 2)
		return SP_OK;
	/* an empty signature field the certifier left is where a seal may go */
	if (!pdf_sig_slot_first_empty(doc, field, sizeof(field)))
		field[0] = '\0';
	return sp_err_reason(ei, SP_ERR_INVALID, "docmdp_no_visible",
			     "the document is certified with DocMDP permissions P=2 (filling in "
			     "forms and signing): a new visible signature would be a change the "
			     "certification does not permit; sign it without placements (an "
			     "invisible signature)%s%s%s",
			     field[0] ? ", or into its empty signature field \"" : "", field,
			     field[0] ? "\" (placement mode field)" : "");
}

/* A FieldMDP parameters dictionary (/Action /Fields) into s's lock. */
static void
lock_read(qpdf_data q, qpdf_oh params, struct pdf_sig_field *s)
{
	qpdf_oh act = qpdf_oh_get_key_if_dict(q, params, "/Action"),
		f = qpdf_oh_get_key_if_dict(q, params, "/Fields"),
		p = qpdf_oh_get_key_if_dict(q, params, "/P"), it;
	size_t at = 0, l;
	int i, n;
	long long pv;

	s->lock_p = 0;
	if (qpdf_oh_is_integer(q, p)) {
		pv = qpdf_oh_get_int_value(q, p);
		s->lock_p = pv >= 1 && pv <= 3 ? (int)pv : 1; /* unknown: strictest */
	}

	/* an unknown action locks everything: fail closed */
	s->lock = qpdf_oh_is_name_and_equals(q, act, "/Include")   ? PDF_LOCK_INCLUDE
		  : qpdf_oh_is_name_and_equals(q, act, "/Exclude") ? PDF_LOCK_EXCLUDE
								   : PDF_LOCK_ALL;
	memset(s->lock_fields, 0, sizeof(s->lock_fields));
	if (s->lock == PDF_LOCK_ALL)
		return;
	n = qpdf_oh_is_array(q, f) ? qpdf_oh_get_array_n_items(q, f) : 0;
	for (i = 0; i < n; i++) {
		it = qpdf_oh_get_array_item(q, f, i);
		if (!qpdf_oh_is_string(q, it))
			continue;
		l = strlen(qpdf_oh_get_utf8_value(q, it));
		if (l == 0)
			continue;
		if (at + l + 2 > sizeof(s->lock_fields)) {
			/* an Include list cut short would unlock fields: lock all instead; an
			   Exclude list cut short only locks more */
			if (s->lock == PDF_LOCK_INCLUDE)
				s->lock = PDF_LOCK_ALL;
			return;
		}
		memcpy(s->lock_fields + at, qpdf_oh_get_utf8_value(q, it), l + 1);
		at += l + 1;
	}
}

/*
 * The FieldMDP lock a signature carries: its /Reference's, which replaces
 * the field's /Lock that pdf_sig_field_lock() read (the field and its signature
 * value may be read from different revisions).
 */
void
pdf_sig_ref_lock(qpdf_data q, qpdf_oh sig, struct pdf_sig_field *s)
{
	qpdf_oh refs = qpdf_oh_get_key_if_dict(q, sig, "/Reference"), ref;
	int i, n;

	n = qpdf_oh_is_array(q, refs) ? qpdf_oh_get_array_n_items(q, refs) : 0;
	for (i = 0; i < n && i < 16; i++) {
		ref = qpdf_oh_get_array_item(q, refs, i);
		if (qpdf_oh_is_name_and_equals(q,
					       qpdf_oh_get_key_if_dict(q, ref, "/TransformMethod"),
					       "/FieldMDP")) {
			lock_read(q, qpdf_oh_get_key_if_dict(q, ref, "/TransformParams"), s);
			return;
		}
	}
}

void
pdf_sig_field_lock(qpdf_data q, qpdf_oh field, struct pdf_sig_field *s)
{
	qpdf_oh lk = qpdf_oh_get_key_if_dict(q, field, "/Lock");

	s->lock = PDF_LOCK_NONE;
	s->lock_p = 0;
	memset(s->lock_fields, 0, sizeof(s->lock_fields));
	if (qpdf_oh_is_dictionary(q, lk))
		lock_read(q, lk, s);
}

/* name is field or one of its ancestors ("a.b" covers "a.b" and "a.b.c"). */
static int
covers(const char *name, const char *field)
{
	size_t l = strlen(name);

	return strncmp(name, field, l) == 0 && (field[l] == 0 || field[l] == '.');
}

int
pdf_sig_field_locks(const struct pdf_sig_field *s, const char *field)
{
	const char *p;

	if (s->lock == PDF_LOCK_NONE)
		return 0;
	if (s->lock == PDF_LOCK_ALL)
		return 1;
	for (p = s->lock_fields; *p; p += strlen(p) + 1)
		if (covers(p, field))
			return s->lock == PDF_LOCK_INCLUDE;
	return s->lock == PDF_LOCK_EXCLUDE;
}

/* The DocMDP permissions s sets for what follows it: its certification's, lowered by its lock's. */
static int
own_p(const struct pdf_sig_field *s)
{
	return s->lock_p > 0 && (s->docmdp_p == 0 || s->lock_p < s->docmdp_p) ? s->lock_p
									      : s->docmdp_p;
}

/*
 * SP_ERR_INVALID when one of s[0..n) forbids any change (docmdp_no_changes),
 * or what prep adds (NULL: nothing known yet) as the verifier judges it
 * after them (crypto/verify.c changes_after, permitted): new visible widgets
 * after P=2 (docmdp_no_visible), an empty field filled that a lock covers
 * (field_locked).
 */
static int
refuse(struct pdf_doc *doc, const struct pdf_sig_field *s, size_t n,
       const struct pdf_sig_prepared *prep, struct sp_errinfo *ei)
{
	char field[96];
	size_t i;

	for (i = 0; i < n && s[i].docmdp_p != 1 && s[i].lock_p != 1; i++)
		;
	if (i < n)
		return sp_err_reason(ei, SP_ERR_INVALID, "docmdp_no_changes",
				     "the document is %s by signature \"%.60s\" with DocMDP "
				     "permissions P=1 (no changes allowed): another signature "
				     "would invalidate %s",
				     s[i].docmdp_p == 1 ? "certified" : "locked", s[i].name,
				     s[i].docmdp_p == 1 ? "the certification" : "it");
	for (i = 0; prep != NULL && prep->visible_new > 0 && i < n; i++) {
		if (own_p(&s[i]) != 2)
			continue;
		if (!pdf_sig_slot_first_empty(doc, field, sizeof(field)))
			field[0] = '\0';
		return sp_err_reason(
			ei, SP_ERR_INVALID, "docmdp_no_visible",
			"the document is %s by signature \"%.60s\" with DocMDP permissions P=2 "
			"(filling in forms and signing): a new visible signature would be a "
			"change %s does not permit; sign it without placements (an invisible "
			"signature)%s%s%s",
			s[i].docmdp_p == 2 ? "certified" : "locked", s[i].name,
			s[i].docmdp_p == 2 ? "the certification" : "the lock",
			field[0] ? ", or into its empty signature field \"" : "", field,
			field[0] ? "\" (placement mode field)" : "");
	}
	for (i = 0; prep != NULL && prep->filled && i < n; i++)
		if (pdf_sig_field_locks(&s[i], prep->field))
			return sp_err_reason(ei, SP_ERR_INVALID, "field_locked",
					     "the signature field \"%.60s\" is locked by signature "
					     "\"%.60s\" (FieldMDP): signing it would invalidate "
					     "that "
					     "signature; sign without the field placement",
					     prep->field, s[i].name);
	return SP_OK;
}

int
pdf_docmdp_check_signable(struct pdf_doc *doc, const struct pdf_sig_prepared *prep,
			  struct sp_errinfo *ei)
{
	struct pdf_sig_field *s = NULL;
	size_t n = 0;
	int r;

	if ((r = pdf_sig_fields_list(doc, &s, &n, ei)) < 0)
		return r;
	r = refuse(doc, s, n, prep, ei);
	pdf_sig_fields_free(s, n);
	return r;
}

/* the read of kn[0..nkn) that is sig's object, or NULL */
static const struct pdf_sig_field *
known_read(const struct pdf_sig_field *kn, size_t nkn, const struct pdf_sig_field *sig)
{
	size_t i;

	for (i = 0; i < nkn; i++)
		if (kn[i].self_contained && kn[i].sig_obj == sig->sig_obj &&
		    kn[i].sig_gen == sig->sig_gen)
			return &kn[i];
	return NULL;
}

int
pdf_docmdp_check_signable_known(struct pdf_doc *doc, const struct pdf_sig_prepared *prep,
				const uint8_t *reads, size_t reads_len, struct sp_errinfo *ei)
{
	struct pdf_sig_field *kn = NULL, *s = NULL;
	const struct pdf_sig_field *k;
	struct sp_errinfo ign;
	size_t nkn = 0, n = 0, i;
	int r;

	sp_errinfo_init(&ign);
	if (reads == NULL || pdf_sig_reads_heads(reads, reads_len, &kn, &nkn, &ign) != SP_OK ||
	    nkn == 0) {
		pdf_sig_fields_free(kn, nkn);
		return pdf_docmdp_check_signable(doc, prep, ei);
	}
	/* the fields as the full list finds them, values left unread (only a field's
	   own /Lock is read with it) */
	if ((r = pdf_sig_fields_list_known(doc, kn, nkn, &s, &n, ei)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (!s[i].unread)
			continue;
		/*
		 * A known read is self-contained: a dictionary without /Reference,
		 * so it carries no DocMDP and no FieldMDP of its own (docmdp_p 0,
		 * the field's lock as just read), what reading it again would give.
		 */
		if ((k = known_read(kn, nkn, &s[i])) != NULL) {
			s[i].docmdp_p = k->docmdp_p;
			continue;
		}
		/* any other value is read as the full list reads it; a reference to no
		   object is no signature there either (its field's /Lock binds nothing) */
		sp_errinfo_init(&ign);
		if ((r = pdf_sig_field_read(doc, &s[i], &ign)) == SP_ERR_NOT_FOUND) {
			s[i].docmdp_p = s[i].lock_p = 0;
			continue;
		}
		if (r < 0) {
			*ei = ign;
			goto out;
		}
	}
	r = refuse(doc, s, n, prep, ei);
out:
	pdf_sig_fields_free(s, n);
	pdf_sig_fields_free(kn, nkn);
	return r;
}
