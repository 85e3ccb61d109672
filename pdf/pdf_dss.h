/*
 * pdf_dss.h: document security store (PAdES B-LT), from pdf.h (which includes it; include pdf.h).
 */
#ifndef SP_PDF_DSS_H
#define SP_PDF_DSS_H

/* ==== section: document security store (PAdES B-LT) ==== */
/* One DER object (certificate, OCSP response, CRL). */
struct pdf_blob {
	unsigned char *data;
	size_t len;
};

/*
 * What a document's /DSS holds: item[0] certificates, item[1] OCSP
 * responses, item[2] CRLs (decoded stream bytes, each with its object number
 * in obj[k]), and the /VRI keys (40 uppercase hex digits of the SHA-1 of a
 * signature's /Contents). pdf_dss_cleanup() frees and zeroes it.
 */
struct pdf_dss {
	int present; /* the catalog has a /DSS dictionary */
	int dss_obj; /* its object number, 0 when direct */
	int dss_gen; /* and generation */
	struct pdf_blob *item[3];
	int *obj[3];
	size_t n[3];
	char (*vri)[41];
	size_t nvri;
	/* per item: its object's generation, and 1 when its stream's dictionary refers to
	   no other object (its decoded bytes are its object's own: pdf_dss_read_known) */
	int *gen[3];
	unsigned char *plain[3];
	long long size; /* the trailer /Size of the document read */
	int encrypted;  /* that document was (its streams decrypted with its trailer's key) */
	size_t len;     /* the length of the bytes read (0: not told) */
	/* per /VRI key: the object its value is and that object's generation (0 0: a direct
	   value) */
	int *vri_obj, *vri_gen;
	/* 1 when /VRI is a direct dictionary of the DSS (or there is none) whose every key
	   was read (40 uppercase hex digits) and every value is an indirect reference: its
	   next version is written from this read alone (pdf_dss_append), not from a parse */
	int vri_refs;
	/* 1 when the read followed no reference but to the DSS (an indirect object) and to
	   its items: the arrays and /VRI are direct, every array entry is a stream read here
	   whose dictionary refers to no other object, and the document is not encrypted.
	   Another document whose catalog names the same DSS object, which neither that
	   object nor an item of it changed in, reads the same (pdf_dss_read_known). */
	int closed;
	/* 1 when the DSS dictionary holds no key but /Type /DSS, the item arrays (direct,
	   n[k] references each) and /VRI (direct, the nvri references): a read of what
	   pdf_dss_append_read() wrote, or a copy of one taken whole (pdf_dss_read_known) */
	int keys_known;
};
#define PDF_DSS_CERTS 0
#define PDF_DSS_OCSPS 1
#define PDF_DSS_CRLS 2

/* Read doc's DSS into *out (zeroed when there is none). Any thread. */
int pdf_dss_read(struct pdf_doc *doc, struct pdf_dss *out, struct sp_errinfo *ei) SP_WUR;
/*
 * pdf_dss_read() of doc, whose bytes start with those known was read from
 * (known: pdf_dss_read() of a document of exactly those bytes; later[0..
 * nlater): every object number the cross-reference sections after them
 * list, none hybrid): an item of doc's DSS that is the same object (number
 * and generation) as one of known's, read from a stream whose dictionary
 * refers to no other object, that no later section lists, below both
 * /Sizes, is taken as known read it, not resolved and decoded again (each
 * is some 70,000 instructions: a B-LT(A) completion read every earlier
 * signer's evidence twice). Sound because that object is then the same
 * bytes at the same offset in both, and its decoding depends on nothing
 * else (neither document encrypted). A closed known (pdf_dss.closed) whose
 * DSS object doc's catalog names, which no later section lists (nor an item
 * of it, nor an object stream of known's document), is taken whole: the
 * DSS dictionary is not parsed again either. Anything else is read; the
 * result is pdf_dss_read()'s. known NULL: pdf_dss_read().
 */
int pdf_dss_read_known(struct pdf_doc *doc, const struct pdf_dss *known, const int *later,
		       size_t nlater, struct pdf_dss *out, struct sp_errinfo *ei) SP_WUR;
void pdf_dss_cleanup(struct pdf_dss *d);
/*
 * d packed into *out (malloc'd, the caller's) for pdf_dss_unpack(), which
 * gives it back field for field: a read of one completion's stored bytes
 * handed to the next (crypto_ltv_known.dss_given). SP_ERR_NOMEM.
 */
int pdf_dss_pack(const struct pdf_dss *d, uint8_t **out, size_t *len) SP_WUR;
/* pdf_dss_pack()'s p[0..len) into *out (its own copies; pdf_dss_cleanup()); SP_ERR_INVALID
   when it is not one, SP_ERR_NOMEM. */
int pdf_dss_unpack(const uint8_t *p, size_t len, struct pdf_dss *out) SP_WUR;
/* 1 when the DSS has a /VRI entry for hex (upper case). */
int pdf_dss_has_vri(const struct pdf_dss *d, const char hex[41]);
/* The /VRI key of a signature: uppercase hex SHA-1 of its whole /Contents string. */
int pdf_vri_key(const unsigned char *contents, size_t len, char out[41]) SP_WUR;

/*
 * The /Cert of signature dictionary obj gen as doc has it (ISO 32000-1
 * Table 252, required by adbe.x509.rsa_sha1): one byte string, or an array
 * of them with the signer's certificate first. *out (free with
 * pdf_blobs_free) has *n entries; SP_ERR_NOT_FOUND when the dictionary has
 * no such /Cert, SP_ERR_LIMIT beyond PDF_SIG_CERTS_MAX strings of at most
 * PDF_SIG_CERT_MAX bytes each. Any thread.
 */
#define PDF_SIG_CERTS_MAX 16
#define PDF_SIG_CERT_MAX (64 * 1024)
int pdf_sig_cert_read(struct pdf_doc *doc, int obj, int gen, struct pdf_blob **out, size_t *n,
		      struct sp_errinfo *ei) SP_WUR;
void pdf_blobs_free(struct pdf_blob *b, size_t n);

/* What one DSS update adds (all borrowed). */
struct pdf_dss_add {
	const struct pdf_blob *certs, *ocsps, *crls;
	size_t ncerts, nocsps, ncrls;
	const char (*vri)[41]; /* signatures whose /VRI entry lists all of the above */
	size_t nvri;
};

/*
 * One incremental update that writes a new version of doc's /DSS (or a new
 * DSS and catalog): the old items and /VRI entries kept, each new item once
 * (bytes already in the DSS are referenced, not copied), a /VRI entry per
 * key in add->vri. old is doc's DSS as pdf_dss_read() read it (the caller
 * read it to see which signatures need an entry: a DSS's every stream is
 * inflated by a read, so it is read once per update, not again here). *out
 * (malloc'd, *outlen bytes) is the whole new file; doc is not changed.
 * SP_ERR_PDF for a damaged document, SP_ERR_INVALID for a bad key or empty
 * item. Any thread.
 */
int pdf_dss_append(struct pdf_doc *doc, const struct pdf_dss *old, const struct pdf_dss_add *add,
		   unsigned char **out, size_t *outlen, struct sp_errinfo *ei) SP_WUR;
/*
 * pdf_dss_append(), and *after (may be NULL) the pdf_dss_read() of *out as
 * it would read (from what was written: the new DSS is not parsed), or
 * zeroed when that cannot be told without a read (old not closed, nor
 * holding its /VRI values as references; an encrypted document). The
 * caller's, pdf_dss_cleanup().
 */
int pdf_dss_append_read(struct pdf_doc *doc, const struct pdf_dss *old,
			const struct pdf_dss_add *add, unsigned char **out, size_t *outlen,
			struct pdf_dss *after, struct sp_errinfo *ei) SP_WUR;
/*
 * pdf_dss_append_read() where *out is the update alone: the bytes that
 * follow doc's own (doc->len of them) in the new file, written by the
 * caller where it keeps the document (a completion: in the room after it),
 * so that the document is not copied to be appended to. *after's length is
 * the whole new file's.
 */
int pdf_dss_append_update(struct pdf_doc *doc, const struct pdf_dss *old,
			  const struct pdf_dss_add *add, unsigned char **out, size_t *outlen,
			  struct pdf_dss *after, struct sp_errinfo *ei) SP_WUR;
/* ==== end section: document security store ==== */
#endif
