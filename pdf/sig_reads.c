/*
 * sig_reads.c: signature dictionaries as read (pdf_sig_field), packed into
 * one buffer and back: what a verification of some bytes hands the next
 * verification of bytes that start with them in the same process
 * (crypto_verify_opts.sigs_out), so that it does not read those
 * dictionaries again. Unpacking still checks every length against what is
 * left and bounds every count.
 */
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

/* One packed read: the entry (its pointer cleared) and then its /Contents. */
int
pdf_sig_reads_pack(const struct pdf_sig_field *s, size_t n, uint8_t **out, size_t *len,
		   struct sp_errinfo *ei)
{
	struct pdf_sig_field e;
	size_t i, total = 0;
	uint8_t *b, *w;

	*out = NULL;
	*len = 0;
	for (i = 0; i < n; i++)
		if (s[i].self_contained && s[i].contents_len <= PDF_SIG_CONTENTS_MAX)
			total += sizeof(e) + s[i].contents_len;
	if (total == 0)
		return SP_OK;
	if (!(b = malloc(total)))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	for (w = b, i = 0; i < n; i++) {
		if (!s[i].self_contained || s[i].contents_len > PDF_SIG_CONTENTS_MAX)
			continue;
		e = s[i];
		e.contents = NULL;
		memcpy(w, &e, sizeof(e));
		w += sizeof(e);
		if (e.contents_len > 0)
			memcpy(w, s[i].contents, e.contents_len);
		w += e.contents_len;
	}
	*out = b;
	*len = total;
	return SP_OK;
}

/*
 * Each packed read's place checked first and counted, then one array: grown
 * by realloc as they came, the k reads of a contract's k-th completion (some
 * 1 KB each) were moved at every doubling (35,000 instructions at the 19th).
 * contents 0: no /Contents copied (each entry's NULL, its length kept).
 */
static int
unpack(const uint8_t *b, size_t len, int contents, struct pdf_sig_field **out, size_t *n,
       struct sp_errinfo *ei)
{
	struct pdf_sig_field *arr = NULL, e;
	size_t cnt = 0, total = 0, off = 0;

	*out = NULL;
	*n = 0;
	while (off < len) {
		if (len - off < sizeof(e))
			goto bad;
		memcpy(&e, b + off, sizeof(e));
		off += sizeof(e);
		if (!e.self_contained || e.contents_len > PDF_SIG_CONTENTS_MAX ||
		    e.contents_len > len - off || e.sig_obj <= 0 || total == SIG_FIELDS_MAX)
			goto bad;
		off += e.contents_len;
		total++;
	}
	if (total > 0 && !(arr = malloc(total * sizeof(*arr))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	for (off = 0; cnt < total; cnt++) {
		memcpy(&e, b + off, sizeof(e));
		off += sizeof(e);
		e.name[sizeof(e.name) - 1] = 0;
		e.contents = NULL;
		if (contents && e.contents_len > 0) {
			if (!(e.contents = malloc(e.contents_len))) {
				pdf_sig_fields_free(arr, cnt);
				return sp_err(ei, SP_ERR_NOMEM, "out of memory");
			}
			memcpy(e.contents, b + off, e.contents_len);
		}
		off += e.contents_len;
		arr[cnt] = e;
	}
	*out = arr;
	*n = cnt;
	return SP_OK;
bad:
	return sp_err(ei, SP_ERR_INVALID, "not packed signature reads");
}

int
pdf_sig_reads_unpack(const uint8_t *b, size_t len, struct pdf_sig_field **out, size_t *n,
		     struct sp_errinfo *ei)
{
	return unpack(b, len, 1, out, n, ei);
}

int
pdf_sig_reads_heads(const uint8_t *b, size_t len, struct pdf_sig_field **out, size_t *n,
		    struct sp_errinfo *ei)
{
	return unpack(b, len, 0, out, n, ei);
}
