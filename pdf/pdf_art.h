/*
 * pdf_art.h: generated documents and pictures, from pdf.h (which includes it; include pdf.h).
 */
#ifndef SP_PDF_ART_H
#define SP_PDF_ART_H

/* ==== section: generated documents and pictures ==== */
/*
 * Documents and pictures the platform generates, set in a CJK font: an
 * OpenType/CFF face (Debian's fonts-noto-cjk NotoSansCJK-Regular.ttc, face
 * PDF_CJK_FONT_INDEX_SC for Simplified Chinese) shaped with HarfBuzz and
 * embedded as a subset made with hb-subset (Type0, Identity-H, CIDFontType0,
 * /ToUnicode, so the text can be searched and copied). Errors common to all:
 * SP_ERR_IO (reason font_unreadable) when the font file cannot be read,
 * SP_ERR_INVALID (font_index) for a face outside the collection,
 * SP_ERR_UNSUPPORTED (font_not_cff) for a font without CFF outlines,
 * SP_ERR_INVALID (font_missing_glyph) for a character the font lacks and
 * (text_invalid) for text that is empty where it may not be, too long, not
 * UTF-8 or holds control characters. Out buffers are malloc'd (the caller
 * frees them) and zeroed on failure. Deterministic: the same input gives the
 * same bytes. Pure CPU work: any thread, never on the event loop.
 */
#define PDF_CJK_FONT_DEFAULT "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
#define PDF_CJK_FONT_INDEX_SC 2

/* A generated seal picture: red ring, five-pointed star, org name along the upper arc,
 * type text below the star, optional code along the lower arc; transparent background. */
struct pdf_seal_art {
	const char *org_name;  /* UTF-8, 1..40 characters */
	const char *type_text; /* UTF-8, e.g. "合同专用章"; may be "" */
	const char *code;      /* UTF-8 digits/letters along the lower arc, or NULL */
	unsigned size_px;      /* square side, 120..1024 */
};
/*
 * A PNG (8-bit RGBA, straight alpha) of size_px x size_px. Besides the
 * common errors: SP_ERR_INVALID with reason seal_size (size out of range),
 * text_invalid (name empty or over 40 characters, type over 12), seal_code
 * (code not 1..20 ASCII digits and letters).
 */
int pdf_seal_round_png(const char *font_path, int font_index, const struct pdf_seal_art *a,
		       unsigned char **png, size_t *png_len, struct sp_errinfo *ei) SP_WUR;

/* The seal application form (申请表), one A4 page, Chinese+English labels, a box for
 * the physical stamp. All strings UTF-8. */
struct pdf_seal_form {
	const char *application_id, *org_name, *credit_code, *seal_name, *seal_type_text,
		*applicant, *date; /* date: YYYY-MM-DD */
};
/*
 * The form as a PDF. Each field is required: the application id 1..40
 * characters, the organization and seal names 1..100, the seal type 1..40,
 * the applicant 1..60, the credit code 1..32 printable ASCII,
 * and the date a real YYYY-MM-DD date: otherwise SP_ERR_INVALID (reason
 * text_invalid or form_date) naming the field. Long values are set smaller
 * so the form stays one page with room for the stamp.
 */
int pdf_seal_application_form(const char *font_path, int font_index, const struct pdf_seal_form *f,
			      unsigned char **pdf, size_t *pdf_len, struct sp_errinfo *ei) SP_WUR;

/*
 * The evidence report (出证报告) of a contract: its identity and document
 * hashes, the parties, every signature (certificate, seal with its picture,
 * times, level, verification result) and the audit trail with its hash chain,
 * bilingual (Chinese headings with English), A4, multi-page with page
 * numbers; the signed contract is embedded as an attachment (/EmbeddedFiles
 * and the catalog's /AF, /Subtype application/pdf, /Params /Size /CheckSum)
 * so the report can be checked alone. The output is an unsigned PDF with a
 * classic xref table, ready for pdf_sig_prepare() (the platform signs it).
 *
 * All strings are UTF-8 and borrowed for the call. Optional ones may be NULL
 * or "" (shown as "—"). Known codes are shown in both languages: contract
 * status (draft signing completed rejected cancelled expired), party role
 * (signer cc) and status (waiting pending received signed sent rejected),
 * verification result (valid invalid indeterminate); anything else as given.
 * Control characters are shown as spaces and characters the font lacks as
 * "?", so an odd name never stops a report.
 */
struct pdf_evidence_party {
	const char *role;         /* "signer" | "cc" | free text */
	const char *organization; /* required */
	const char *credit_code;
	const char *status;
	const char *time; /* when it reached its status, e.g. RFC 3339 */
};

struct pdf_evidence_signature {
	const char *signer_subject; /* required: the signing certificate's subject */
	const char *signer_serial, *signer_issuer;
	const char *seal_name, *seal_type, *seal_validity; /* e.g. "2026-01-01 至 2027-01-01" */
	const unsigned char *seal_png;                     /* the seal's picture (PNG), or NULL */
	size_t seal_png_len;
	const char *signing_time, *timestamp_time;
	const char *level;         /* "B-B" | "B-T" | "B-LT" | "B-LTA" */
	const char *result;        /* "valid" | "invalid" | "indeterminate" | free text */
	const char *result_detail; /* why, in a sentence */
};

struct pdf_evidence_event {
	const char *time, *actor, *action, *ip;
	const char *prev_hash, *hash; /* hex */
};

/* A further row of the contract's section: a Chinese and an English label, a value. */
struct pdf_evidence_fact {
	const char *zh, *en, *value;
};

struct pdf_evidence {
	const char *contract_number; /* required (up to 64 characters) */
	const char *contract_name;   /* required */
	const char *status;          /* required */
	const char *initiator;       /* required: the initiating organization */
	const char *initiator_credit_code;
	const char *generated_at; /* when the report was made (shown on each page) */
	const char *sha256_hex;   /* required: 64 hex digits, of contract_pdf */
	const char *sm3_hex;      /* 64 hex digits, or NULL */
	const struct pdf_evidence_party *parties;
	size_t nparties; /* 0..1000 */
	const struct pdf_evidence_signature *signatures;
	size_t nsignatures; /* 0..1000 */
	const struct pdf_evidence_event *events;
	size_t nevents;                    /* 0..100000 */
	const unsigned char *contract_pdf; /* required: attached byte for byte */
	size_t contract_pdf_len;
	const char *contract_filename;         /* NULL: "contract-<number>.pdf" */
	const struct pdf_evidence_fact *facts; /* shown after the attachment's row */
	size_t nfacts;                         /* 0..32 */
};

/*
 * Build the report. Besides the common errors: SP_ERR_INVALID (reason
 * evidence_invalid) for a missing required field, a hash that is not 64 hex
 * digits, counts over their caps or an attachment that is not a PDF, naming
 * the field; a bad seal picture fails as pdf_image errors do, prefixed with
 * the signature's number. On success *pdf (malloc'd, the caller frees) holds
 * the report. Deterministic; any thread, never on the event loop.
 */
int pdf_evidence_report(const char *font_path, int font_index, const struct pdf_evidence *e,
			unsigned char **pdf, size_t *pdf_len, struct sp_errinfo *ei) SP_WUR;
/* ==== end section: generated documents and pictures ==== */
#endif
