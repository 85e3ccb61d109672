/*
 * names.c: the forms an organization's name is kept and compared in (ICU).
 *
 * A certificate's O is shown to every organization that deals with it: in
 * to-do lists, on contracts, in the reviewers' console. Two spellings that
 * show alike must not name two organizations:
 *
 * - it is stored in NFC, the one canonical form (a precomposed "é" and "e"
 *   with a combining accent are the same text and now the same bytes); NFKC
 *   would rewrite what the certificate says (full-width letters, ligatures),
 *   so it is only part of the comparison;
 * - it is compared by a key: NFKC (full-width "ＢｕｙｅｒＣｏ" is "BuyerCo"),
 *   then the UTS #39 confusable skeleton (Cyrillic "а" in a Latin name is
 *   "a", "rn" is "m"), then case folded, white space runs made one space and
 *   trimmed. The skeleton goes before the folding: a capital Cyrillic "В"
 *   looks like "B", its small form "в" like no Latin letter. And a second
 *   key folds first: the skeleton makes a capital "I" an "l" and leaves a
 *   small "i", so "INTERNATIONAL" and "International" share only the second
 *   key, "Ilya" and "llya" only the first. Characters shown as nothing are
 *   dropped from both. No organization may register with a key another
 *   holds as either of its two (migrations 054, 062).
 *
 * The key is for equality only, never shown. Any thread: each call opens its
 * own spoof checker (a login is rare; no shared state).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>

#include "api.h"

/* UTF-16 units a name may take at any step (NFKC and skeletons grow text a little). */
#define NAME_UNITS_MAX 2048

/* s[0..n) in UTF-8 into out (cap bytes, NUL-terminated); 0 when it does not fit. */
static int
to_utf8(const UChar *s, int32_t n, char *out, size_t cap)
{
	UErrorCode st = U_ZERO_ERROR;
	int32_t len = 0;

	if (cap == 0 || cap > INT32_MAX)
		return 0;
	u_strToUTF8(out, (int32_t)cap - 1, &len, s, n, &st);
	if (U_FAILURE(st) || len >= (int32_t)cap)
		return 0;
	out[len] = '\0';
	return 1;
}

/* Runs of white space in s[0..n) made one space, none at either end: the new length. */
static int32_t
spaces_collapse(UChar *s, int32_t n)
{
	int32_t i = 0, o = 0;
	UChar32 c;

	while (i < n) {
		U16_NEXT(s, i, n, c);
		if (u_isUWhiteSpace(c)) {
			if (o > 0 && s[o - 1] != ' ')
				s[o++] = ' ';
			continue;
		}
		U16_APPEND_UNSAFE(s, o, c);
	}
	if (o > 0 && s[o - 1] == ' ')
		o--;
	return o;
}

/*
 * Characters shown as nothing (Default_Ignorable_Code_Point: variation
 * selectors, joiners, fillers) dropped from s[0..n), and U+2800 (braille
 * blank, shown as a space, not white space to ICU) made a space: the new
 * length. 052 refuses some of them in a certificate's O; the rest would keep
 * two names that show alike apart.
 */
static int32_t
invisibles_drop(UChar *s, int32_t n)
{
	int32_t i = 0, o = 0;
	UChar32 c;

	while (i < n) {
		U16_NEXT(s, i, n, c);
		if (u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
			continue;
		if (c == 0x2800)
			c = ' ';
		U16_APPEND_UNSAFE(s, o, c);
	}
	return o;
}

/* The comparison key of s[0..n) (NFKC, invisibles dropped) into key: its skeleton, case
   folded, white space collapsed. 0 when it does not fit (or ICU fails). */
static int
key_of(USpoofChecker *sc, const UChar *s, int32_t n, char *key, size_t key_cap)
{
	UChar x[NAME_UNITS_MAX], y[NAME_UNITS_MAX];
	UErrorCode st = U_ZERO_ERROR;

	n = uspoof_getSkeleton(sc, 0, s, n, x, NAME_UNITS_MAX, &st);
	if (U_FAILURE(st) || n >= NAME_UNITS_MAX)
		return 0;
	n = u_strFoldCase(y, NAME_UNITS_MAX, x, n, U_FOLD_CASE_DEFAULT, &st);
	if (U_FAILURE(st) || n >= NAME_UNITS_MAX)
		return 0;
	n = spaces_collapse(y, n);
	return to_utf8(y, n, key, key_cap);
}

int
api_name_forms(const char *name, char *nfc, size_t nfc_cap, char *key, char *key2, size_t key_cap)
{
	UChar in[NAME_UNITS_MAX], x[NAME_UNITS_MAX], y[NAME_UNITS_MAX];
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *c2, *k2;
	USpoofChecker *sc = NULL;
	int32_t n = 0;
	int r = SP_ERR_INVALID;

	if (name == NULL)
		return r;
	u_strFromUTF8(in, NAME_UNITS_MAX, &n, name, -1, &st);
	c2 = unorm2_getNFCInstance(&st);
	k2 = unorm2_getNFKCInstance(&st);
	if (U_FAILURE(st) || n >= NAME_UNITS_MAX)
		goto out;
	n = unorm2_normalize(c2, in, n, x, NAME_UNITS_MAX, &st);
	if (U_FAILURE(st) || n >= NAME_UNITS_MAX || !to_utf8(x, n, nfc, nfc_cap))
		goto out;
	n = unorm2_normalize(k2, x, n, y, NAME_UNITS_MAX, &st);
	if (U_FAILURE(st) || n >= NAME_UNITS_MAX)
		goto out;
	n = invisibles_drop(y, n);
	if ((sc = uspoof_open(&st)) == NULL || U_FAILURE(st) || !key_of(sc, y, n, key, key_cap))
		goto out;
	/* key2: the key of the name case folded first */
	n = u_strFoldCase(x, NAME_UNITS_MAX, y, n, U_FOLD_CASE_DEFAULT, &st);
	if (U_FAILURE(st) || n >= NAME_UNITS_MAX || !key_of(sc, x, n, key2, key_cap))
		goto out;
	r = SP_OK;
out:
	if (sc != NULL)
		uspoof_close(sc);
	return r;
}

int
api_text_nfc(json_t *v, struct sp_errinfo *ei)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *c2 = unorm2_getNFCInstance(&st);
	UChar *in = NULL, *out = NULL;
	int32_t nin = 0, nout, n8 = 0, cap;
	char *u8 = NULL;
	int r = SP_ERR_NOMEM;

	if (s == NULL)
		return SP_OK;
	/* NFC grows UTF-16 text at most threefold (Unicode's normalization stability) */
	if (U_FAILURE(st) || n >= INT32_MAX / 8)
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid", "text too long to normalize");
	cap = (int32_t)n + 1;
	if ((in = malloc((size_t)cap * sizeof(*in))) == NULL)
		goto out;
	u_strFromUTF8(in, cap, &nin, s, (int32_t)n, &st);
	if (U_FAILURE(st)) {
		/* cannot happen: api_text_check let only well-formed UTF-8 by */
		r = sp_err_reason(ei, SP_ERR_INVALID, "invalid", "text is not UTF-8");
		goto out;
	}
	if (unorm2_isNormalized(c2, in, nin, &st) && U_SUCCESS(st)) {
		r = SP_OK; /* nearly all text: nothing to rewrite */
		goto out;
	}
	st = U_ZERO_ERROR;
	cap = 3 * nin + 1;
	if ((out = malloc((size_t)cap * sizeof(*out))) == NULL)
		goto out;
	nout = unorm2_normalize(c2, in, nin, out, cap, &st);
	if (U_SUCCESS(st))
		u_strToUTF8(NULL, 0, &n8, out, nout, &st);
	if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st)) {
		r = sp_err(ei, SP_ERR_INTERNAL, "NFC: %s", u_errorName(st));
		goto out;
	}
	st = U_ZERO_ERROR;
	if ((u8 = malloc((size_t)n8 + 1)) == NULL)
		goto out;
	u_strToUTF8(u8, n8 + 1, NULL, out, nout, &st);
	if (U_FAILURE(st)) {
		r = sp_err(ei, SP_ERR_INTERNAL, "NFC: %s", u_errorName(st));
		goto out;
	}
	if (json_string_setn(v, u8, (size_t)n8) != 0)
		goto out;
	r = SP_OK;
out:
	if (r == SP_ERR_NOMEM)
		sp_err(ei, SP_ERR_NOMEM, "out of memory");
	free(in);
	free(out);
	free(u8);
	return r;
}
