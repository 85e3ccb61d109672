/*
 * seals_int.h: what seals.c (applications, review, approve) and seals_art.c
 * (the application form, the generated round seal) share.
 */
#ifndef SP_SERVER_SEALS_INT_H
#define SP_SERVER_SEALS_INT_H

#include <jansson.h>
#include <stddef.h>

#include "sp.h"

struct config;

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

#endif /* SP_SERVER_SEALS_INT_H */
