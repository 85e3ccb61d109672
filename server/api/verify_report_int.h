/*
 * verify_report_int.h: what verify_report.c lends verify_report_splice.c,
 * so that the pieces the splice writes from the engine's report are
 * rendered by the one renderer (the same jansson calls, the same text);
 * and what the scan of a stored report (verify_report_scan.c) lends the
 * merge (verify_report_splice.c).
 * Not for the CLI or the handlers: they use verify_report.h.
 */
#ifndef SP_VERIFY_REPORT_INT_H
#define SP_VERIFY_REPORT_INT_H

#include <jansson.h>

#include "crypto.h"

/*
 * The pieces of verify_report_json(): the document's members before
 * "signatures", one signature, one listed change. A failed allocation on
 * the way sets *bad (the value may be NULL or partial then).
 */
json_t *verify_report_head_json(const struct crypto_verify_report *rep, int *bad);
json_t *verify_report_sig_json(const struct crypto_sig_report *s, int *bad);
json_t *verify_report_change_json(const struct crypto_change *c, int *bad);

/*
 * The number of bytes of the valid UTF-8 sequence at p (n > 0 left), or 0:
 * jansson's rule (no overlong forms, surrogates or values past U+10FFFF).
 */
size_t verify_report_utf8_seq(const unsigned char *p, size_t n);

/* ---- the stored text as the merge reads it (verify_report_scan.c) ------------------------ */

/* One signature of the base: offsets into its text. */
struct base_sig {
	size_t start, end; /* the object */
	long long br[4];
	int valid;           /* verdict "valid" or "valid_with_allowed_changes", no reasons */
	int allowed_changes; /* verdict "valid_with_allowed_changes" */
	int ltv_level;       /* level "pades_b_lt" or "pades_b_lta" (see prior_json) */
	size_t level_at, level_end, verdict_at, verdict_end;
	size_t check_at, check_end; /* "checks": {... "changes": the value} */
	size_t changes_at;          /* "changes": {"allowed": ...} */
	size_t allowed_at, allowed_end, disallowed_at, disallowed_end;
	long long allowed, disallowed;
	size_t objs_end; /* the objects array's ']' */
	size_t nobjs;
};

struct verify_report_base {
	const char *text; /* borrowed; NULL: none */
	size_t len;
	int indexed; /* the exact shape: sigs below; else json */
	long long size, revisions;
	int last_signed, trailing;
	struct base_sig *sigs;
	size_t nsigs;
	int sigs_lent; /* sigs point into a kept index (verify_report_base_open_indexed) */
	json_t *json;  /* parsed (not indexed, or a merge the splice leaves to jansson) */
	int parsed;    /* json is the parse (NULL: the text did not parse) */
};

/* A scan of text: the next byte to read, and the end. */
struct scan {
	const char *p, *end;
};

/*
 * A merge's index of its result (verify_report_base_merge's *index): what
 * report_scan() finds in that text, found while writing it. Kept with the
 * text (doc_cache), it stands for the scan of the next completion's base,
 * whose ~57 KB at a 20th signing cost some 300,000 instructions to scan.
 */
struct kept_index {
	size_t len; /* the text's length (strlen) */
	long long size, revisions;
	int last_signed, trailing;
	size_t nsigs;
	struct base_sig sigs[];
};

/*
 * The scan's readers, each of one value in the exact shape: 1 when it was
 * there (s->p moved past it), else 0 (s->p anywhere). An integer into *v;
 * one listed change; one signature, its offsets into text in *b; the
 * document's members up to the signatures' '[', into b's fields.
 */
int verify_report_scan_integer(struct scan *s, long long *v);
int verify_report_scan_change(struct scan *s);
int verify_report_scan_sig(struct scan *s, const char *text, struct base_sig *b);
int verify_report_scan_head(struct scan *s, struct verify_report_base *b);

/* b's text parsed by jansson into b->json (NULL: it did not parse), once. */
void verify_report_base_parse(struct verify_report_base *b);

#endif /* SP_VERIFY_REPORT_INT_H */
