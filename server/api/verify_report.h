/*
 * verify_report.h: the verification report of crypto_pdf_verify() as the
 * JSON document that POST /api/v1/verify answers and `sealpact verify --json`
 * prints. One renderer in its own small library (sp_verify_report) that
 * sealpactd and the CLI both link, so the two documents cannot drift apart
 * and crypto/ stays free of jansson.
 *
 * {"verdict": "valid"|"valid_with_allowed_changes"|"indeterminate"|"invalid"|
 *             "no_signature",
 *  "size": bytes, "revisions": n, "last_revision_signed": bool,
 *  "trailing_data": bool, "reason": "unsigned_trailing_update"|null, "message": ...,
 *  "signatures": [{"field", "object", "subfilter", "doc_timestamp", "certifying",
 *     "verdict", "reasons": [...], "message", "byte_range": [4], "revision",
 *     "checks": {"structure","digest","signature","chain","timestamp","changes"}
 *               (true, false or null when not reached),
 *     "digest_algorithm", "signature_algorithm",
 *     "signer": {"subject","issuer","serial","sha256","not_before","not_after"}|null,
 *     "timestamp": {"time","tsa"}|null, "checked_at",
 *     "changes": {"allowed": n, "disallowed": n,
 *                 "objects": [{"revision","object","generation","allowed","what"}]}}]}
 * Members in this order; times are RFC 3339 UTC ("2026-11-21T19:20:46Z") or
 * null when unknown. Text from the document that is not valid UTF-8 has each
 * bad byte replaced by U+FFFD, so the answer is always valid JSON.
 */
#ifndef SP_VERIFY_REPORT_H
#define SP_VERIFY_REPORT_H

#include <stddef.h>

#include <jansson.h>

#include "crypto.h"

/* The report as a new JSON object (the caller owns the reference); NULL when out of memory. */
json_t *verify_report_json(const struct crypto_verify_report *rep);

/*
 * The report as compact JSON text without a newline: malloc'd and
 * NUL-terminated in *out (*outlen bytes), the caller frees it. Returns
 * SP_OK, SP_ERR_TOO_LARGE (longer than max bytes) or SP_ERR_NOMEM. Any thread.
 */
int verify_report_text(const struct crypto_verify_report *rep, size_t max, char **out,
		       size_t *outlen) SP_WUR;

/*
 * The report of a whole file from two halves: base, the stored report (text)
 * of its first revisions, verified whole, and rep, the engine's report on the
 * file with those revisions as verified before (opts.verified_len = the
 * base's size: its signatures have prior = 1, judged only by the changes of
 * the new revisions). A prior signature takes what base says of its CMS,
 * chain and timestamp, the changes of both, and its level from base's B-T
 * and rep's evidence flags (ltv_dss, ltv_archived: a DSS or document
 * timestamp among the new revisions). A base signature rep verified again
 * (prior 0: a new DSS brought its revocation evidence) takes rep's report
 * with base's changes before rep's. The result is what a fresh verification
 * reports, so it is built only where that is certain: every signature
 * valid, rep diffing only revisions after base's (base's last revision
 * signed, or its DSS tail verified: opts.verified_tail) and every base
 * signature found in rep; otherwise *out is NULL with SP_OK (verify afresh
 * when reading). SP_ERR_NOMEM, or SP_ERR_TOO_LARGE past max bytes. Any
 * thread.
 */
int verify_report_merge(const char *base, const struct crypto_verify_report *rep, size_t max,
			char **out, size_t *outlen) SP_WUR;
/* As verify_report_merge, base already parsed (borrowed; NULL: none to build on). */
int verify_report_merge_json(json_t *base, const struct crypto_verify_report *rep, size_t max,
			     char **out, size_t *outlen) SP_WUR;

/*
 * A stored report to build on (completion's base; verify_report_splice.c).
 * Its text is indexed in place when it is exactly what this renderer
 * writes (the members in this order, compact, jansson's escapes): a merge
 * then copies the base's text with the new numbers put in, instead of
 * parsing ~3 KB per earlier signature and dumping it all again (the k-th
 * completion's report work no longer grows with k). Any other text is
 * parsed with jansson, as before. Either way the merge's result is
 * byte for byte verify_report_merge_json()'s on the parsed text.
 */
struct verify_report_base;
/* text: NUL-terminated, borrowed until the free (NULL: none to build on). SP_ERR_NOMEM. */
int verify_report_base_open(const char *text, struct verify_report_base **out) SP_WUR;
/* 1 when the base is a report whose "size" is len (it covers the first len bytes). */
int verify_report_base_covers(const struct verify_report_base *b, size_t len);
/* 1 when the base was indexed (merges splice text), 0 when it was parsed instead. */
int verify_report_base_spliced(const struct verify_report_base *b);
/*
 * verify_report_merge_json() on the base, by the splice when it is indexed.
 * With index (NULL: not asked), the splice's result comes with its index
 * (*index malloc'd, *index_len bytes; NULL when none: jansson's merge, or a
 * piece the scan would not take): what verify_report_base_open() of *out
 * would find, made while writing it, for the next merge on *out
 * (verify_report_base_open_indexed). Any thread.
 */
int verify_report_base_merge(struct verify_report_base *b, const struct crypto_verify_report *rep,
			     size_t max, char **out, size_t *outlen, void **index,
			     size_t *index_len) SP_WUR;
/*
 * verify_report_base_open() of text (len bytes, its strlen) with the index
 * a merge made of it (borrowed, like text, until the free): not scanned
 * again. An index that is not one of a text of len bytes is ignored (the
 * text is scanned). SP_ERR_NOMEM.
 */
int verify_report_base_open_indexed(const char *text, size_t len, const void *index,
				    size_t index_len, struct verify_report_base **out) SP_WUR;
/* 1 when index is exactly what verify_report_base_open() finds in text (tests, fuzzing). */
int verify_report_index_matches(const char *text, const void *index, size_t index_len);
void verify_report_base_free(struct verify_report_base *b); /* NULL is fine */

#endif /* SP_VERIFY_REPORT_H */
