/*
 * date_font.c: the date stamp's font, a Type 3 font of our own (ISO 32000-2
 * §9.6.4) written into the update: "0" to "9" and "-" drawn as stroked
 * outlines, at Helvetica's widths (556 and 333 thousandths of an em, as
 * pdf_date_stamp_size() measures the stamp). The stamp named Helvetica, one
 * of the standard 14 fonts, which a file does not embed: PDF/A forbids that
 * (ISO 19005-2 §6.2.11.4.1: a signed PDF/A-2b contract was no longer one
 * after its first date stamp), and each viewer drew it with a font of its
 * own. A Type 3 font is its own program, in the file. The date stays text:
 * its glyphs have the standard names, from which readers (pdftotext) take
 * the characters.
 */
#include <stdio.h>
#include <string.h>

#include "pdf_int.h"

/* the glyphs' centre lines in a 1000-unit em, stroked 80 units wide, round ends */
static const struct {
	char c;
	const char *name, *path;
} glyphs[] = {
	{ '-', "hyphen", "75 277 m 258 277 l" },
	{ '0', "zero",
	  "441 358 m 441 531 368 671 278 671 c 188 671 115 531 115 358 c 115 185 188 45 "
	  "278 45 c 368 45 441 185 441 358 c h" },
	{ '1', "one", "160 540 m 230 575 285 615 305 671 c 305 45 l" },
	{ '2', "two",
	  "122 505 m 122 610 190 671 280 671 c 370 671 434 610 434 522 c 434 425 350 375 "
	  "265 320 c 175 262 120 190 118 45 c 441 45 l" },
	{ '3', "three",
	  "128 565 m 145 635 205 671 280 671 c 365 671 425 620 425 535 c 425 440 355 385 250 385 c "
	  "250 385 m 370 385 441 325 441 220 c 441 110 365 45 278 45 c 190 45 130 90 115 165 c" },
	{ '4', "four", "375 45 m 375 671 l 110 215 l 455 215 l" },
	{ '5', "five",
	  "425 671 m 165 671 l 138 395 l 180 433 230 452 288 452 c 383 452 441 378 441 258 "
	  "c 441 128 370 45 272 45 c 190 45 133 92 116 165 c" },
	{ '6', "six",
	  "441 230 m 441 332 368 415 278 415 c 188 415 115 332 115 230 c 115 128 188 45 278 "
	  "45 c 368 45 441 128 441 230 c h 425 575 m 405 635 355 671 290 671 c 175 671 115 "
	  "540 115 330 c 115 230 l" },
	{ '7', "seven", "115 671 m 441 671 l 335 520 255 330 228 45 c" },
	{ '8', "eight",
	  "421 523 m 421 605 357 671 278 671 c 199 671 135 605 135 523 c 135 441 199 375 "
	  "278 375 c 357 375 421 441 421 523 c h 441 207 m 441 296 368 369 278 369 c 188 "
	  "369 115 296 115 207 c 115 118 188 45 278 45 c 368 45 441 118 441 207 c h" },
	{ '9', "nine",
	  "441 486 m 441 588 368 671 278 671 c 188 671 115 588 115 486 c 115 384 188 301 "
	  "278 301 c 368 301 441 384 441 486 c h 131 141 m 151 81 201 45 266 45 c 381 45 "
	  "441 176 441 386 c 441 486 l" },
};

int
pdf_date_font_write(struct pdfw *w, const char *text, struct sp_errinfo *ei)
{
	int procs[sizeof(glyphs) / sizeof(glyphs[0])], font, r;
	char body[512];
	size_t i;

	for (i = 0; i < sizeof(glyphs) / sizeof(glyphs[0]); i++) {
		/* the glyphs the date draws, no more: each is an object every later
		   verification of the update reads (a date has five to eight of the eleven) */
		procs[i] = 0;
		if (strchr(text, glyphs[i].c) == NULL)
			continue;
		/* d0: the stroke is the text's colour (the stamp sets RG before it) */
		int n = snprintf(body, sizeof(body), "%d 0 d0 80 w 1 J 1 j %s S",
				 i == 0 ? 333 : 556, glyphs[i].path);

		if (n < 0 || (size_t)n >= sizeof(body))
			return sp_err(ei, SP_ERR_INTERNAL, "date glyph too long");
		procs[i] = pdfw_alloc(w);
		if ((r = pdfw_stream(w, procs[i], "", (const unsigned char *)body, (size_t)n, ei)) <
		    0)
			return r;
	}
	font = pdfw_alloc(w);
	if ((r = pdfw_begin(w, font, 0, ei)) < 0)
		return r;
	/* codes 45 ("-") to 57 ("9"); "." and "/" are not drawn */
	if (sp_buf_addstr(&w->b,
			  "<</Type /Font /Subtype /Type3 /FontBBox [0 0 556 720] "
			  "/FontMatrix [0.001 0 0 0.001 0 0] /FirstChar 45 /LastChar 57 "
			  "/Widths [333 0 0 556 556 556 556 556 556 556 556 556 556] "
			  "/Encoding <</Type /Encoding /Differences [45 /hyphen 48 /zero /one "
			  "/two /three /four /five /six /seven /eight /nine]>> /Resources << >> "
			  "/CharProcs <<") < 0)
		return sp_err(ei, SP_ERR_TOO_LARGE, "incremental update too large");
	for (i = 0; i < sizeof(glyphs) / sizeof(glyphs[0]); i++)
		if (procs[i] > 0 &&
		    sp_buf_printf(&w->b, "/%s %d 0 R ", glyphs[i].name, procs[i]) < 0)
			return sp_err(ei, SP_ERR_TOO_LARGE, "incremental update too large");
	if (sp_buf_addstr(&w->b, ">>>>") < 0 || pdfw_end(w) < 0)
		return sp_err(ei, SP_ERR_TOO_LARGE, "incremental update too large");
	return font;
}
