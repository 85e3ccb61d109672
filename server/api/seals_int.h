/*
 * seals_int.h: what seals.c (applications, issued seals), seals_review.c
 * (the review queue, approve, reject) and seals_art.c (the application form,
 * the generated round seal) share.
 */
#ifndef SP_SERVER_SEALS_INT_H
#define SP_SERVER_SEALS_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "sp.h"

struct config;
struct request;

/* ---- seals.c: what the member and reviewer routes share ---- */

/* A db/ JSON callback answering 200 with the document, or the error (arg: the request). */
void seals_reply_200(void *arg, json_t *doc, const struct sp_errinfo *err);
/* The {id} path parameter into *id: 1; else 404 answered and 0. */
int seals_path_id(struct request *r, int64_t *id);
/* SP_OK when every member of the object doc is named in allowed (NULL-terminated). */
int seals_members_only(json_t *doc, const char *const *allowed, struct sp_errinfo *ei) SP_WUR;

#define SEALS_PNG_MAX (1024u * 1024) /* bytes of an uploaded seal picture */
#define SEALS_SIDE_MIN 120           /* pixels: a seal picture's sides */
#define SEALS_SIDE_MAX 1024
#define SEALS_GENERATED_PX 512 /* the generated round seal's side */

/* The text under the star: "公章" (official) or "合同专用章" (contract). Static. */
const char *seals_type_text(const char *type);

/* The optional "code" member of doc: 1-20 digits or ASCII letters into buf ("" when absent). */
int seals_code_member(json_t *doc, char buf[21], struct sp_errinfo *ei) SP_WUR;

/*
 * The standard round seal of org_name (seals_art.c, pdf_seal_round_png with
 * seals.cjk_font): *png malloc'd. SP_ERR_UNAVAILABLE "font_unavailable" when
 * the font cannot be read. Worker threads.
 */
int seals_generated_png(const struct config *cfg, const char *org_name, const char *type_text,
			const char *code, unsigned char **png, size_t *len,
			struct sp_errinfo *ei) SP_WUR;

/*
 * The CJK font of seals.cjk_font, for every generated document (forms,
 * seals, evidence reports): seals_font_check() fails SP_ERR_UNAVAILABLE
 * "font_unavailable" when the file cannot be opened; seals_font_err() turns
 * pdf/'s error r (pei) into that for font trouble (the operator's) and
 * copies it into ei otherwise (text the font cannot carry stays the
 * caller's). Any thread.
 */
int seals_font_check(const struct config *cfg, struct sp_errinfo *ei) SP_WUR;
int seals_font_err(int r, const struct sp_errinfo *pei, struct sp_errinfo *ei) SP_WUR;

#endif /* SP_SERVER_SEALS_INT_H */
