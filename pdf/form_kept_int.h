/*
 * form_kept_int.h: the AcroForm facts form_kept.c keeps per revision, shared
 * with form_pack.c, which packs them for a later open of the same bytes.
 */
#ifndef SP_FORM_KEPT_INT_H
#define SP_FORM_KEPT_INT_H

#include <stdint.h>

#include "pdf_int.h"

/* What the walks of one /Fields entry found. */
struct form_entry {
	int obj, gen;            /* the entry's object; obj 0: direct (walked at every update) */
	int is_dict;             /* a dictionary: form_read counts it in nfields */
	int nsigfields, nsigned; /* form_read's counts within the entry */
	size_t rf_nodes;         /* form_read's steps (its budget) */
	size_t ls_nodes;         /* the listing's nodes (its cap) */
	size_t nnames;           /* form_read's names, in order after the previous entry's */
	size_t nsig;             /* signed signature fields, likewise */
	size_t ndeps;            /* dependencies, likewise */
	int null_dep;            /* a dependency did not resolve (an object that may come) */
};

/* A signed signature field as the lazy listing gives it. */
struct form_sig {
	char name[128];
	int field_obj, sig_obj, sig_gen;
	/* the field has /Kids: a listing that does not know the value reads it (the walk
	   goes down the kids instead when it resolves to nothing) */
	int kids;
	enum pdf_lock lock; /* the field's own /Lock */
	int lock_p;
	char lock_fields[512];
};

struct form_kept {
	int has_acroform;
	struct form_entry *e;
	size_t ne, ecap;
	char *text; /* form_read's names, each NUL-terminated */
	size_t text_len, text_cap, nnames;
	struct form_sig *s;
	size_t ns, scap;
	int *deps;
	size_t ndeps, dcap;
	size_t rf_nodes, ls_nodes; /* the entries' sums */
	char **names;              /* pointers into text, made when installed in a document */
};

/*
 * form_pack.c: k packed for exactly the bytes sha256 names (doc_len long),
 * *out malloc'd: SP_OK or SP_ERR_NOMEM. The packing is this build's own
 * (its structures' bytes), read back only by form_kept_unpack.
 */
int form_kept_pack(const struct form_kept *k, const uint8_t sha256[32], size_t doc_len,
		   uint8_t **out, size_t *len) SP_WUR;
/*
 * form_pack.c: facts packed for exactly these bytes (sha256, doc_len), every
 * count and cap checked: 0 and *out (form_kept_free), or -1 (not these
 * bytes', malformed, or out of memory).
 */
int form_kept_unpack(const uint8_t *b, size_t len, const uint8_t sha256[32], size_t doc_len,
		     struct form_kept **out) SP_WUR;

#endif
