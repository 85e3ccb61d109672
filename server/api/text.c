/*
 * text.c: names and reasons one organization writes are shown on the
 * terminals and consoles of others; a control or bidi character in them, or
 * one shown as nothing, is refused here, before anything is stored (the
 * client also neutralizes what it prints).
 * And the one header value a route stores as text, Idempotency-Key.
 */
#include <string.h>

#include "api.h"

#define IDEMPOTENCY_KEY_MAX 128

int
api_idempotency_key(const struct request *r, const char **key, struct sp_errinfo *ei)
{
	const char *k = request_header(r, "Idempotency-Key");
	size_t i, n;

	*key = NULL;
	if (k == NULL)
		return SP_OK;
	n = strlen(k);
	for (i = 0; i < n && k[i] >= 0x21 && k[i] <= 0x7e; i++)
		;
	/* The rule of wf_idem_begin (003), checked before a byte that is not
	   UTF-8 makes PostgreSQL refuse the parameter with its own message. */
	if (n == 0 || n > IDEMPOTENCY_KEY_MAX || i != n)
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
				     "Idempotency-Key must be 1..%d printable ASCII characters",
				     IDEMPOTENCY_KEY_MAX);
	*key = k;
	return SP_OK;
}

int
api_query_text_ok(const char *s, size_t max_chars)
{
	size_t n = strlen(s), chars = 0, i;

	if (n == 0 || sp_text_check(s, n, NULL, NULL) != SP_OK)
		return 0;
	/* Well-formed UTF-8: a character is a byte that does not continue one. */
	for (i = 0; i < n; i++)
		chars += ((unsigned char)s[i] & 0xC0) != 0x80;
	return chars <= max_chars;
}

/* Well-formed text s: 1 with *at and *cp of the first code point shown as nothing (sec38). */
static int
invisible_at(const unsigned char *s, size_t n, size_t *at, uint32_t *cp)
{
	size_t k;

	for (*at = 0; *at < n; *at += k) {
		k = sp_utf8_next(s + *at, n - *at, cp);
		if (sp_text_cp_invisible(*cp))
			return 1;
	}
	return 0;
}

int
api_text_visible(const char *s, size_t n)
{
	size_t at;
	uint32_t cp;

	return sp_text_check(s, n, NULL, NULL) == SP_OK &&
	       !invisible_at((const unsigned char *)s, n, &at, &cp);
}

int
api_text_take(const char *field, json_t *v, struct sp_errinfo *ei)
{
	int r;

	if ((r = api_text_check(field, v, ei)) != SP_OK || !json_is_string(v))
		return r;
	return api_text_nfc(v, ei);
}

int
api_text_check(const char *field, json_t *v, struct sp_errinfo *ei)
{
	size_t at = 0;
	uint32_t cp = 0;

	const unsigned char *s;
	size_t n;

	if (!json_is_string(v))
		return SP_OK;
	s = (const unsigned char *)json_string_value(v);
	n = json_string_length(v);
	if (sp_text_check((const char *)s, n, &at, &cp) == SP_OK) {
		if (invisible_at(s, n, &at, &cp))
			return sp_err_reason(ei, SP_ERR_INVALID, "control_character",
					     "%s contains an invisible character (U+%04X "
					     "at byte %zu): names and reasons must be "
					     "text as it is shown",
					     field, (unsigned)cp, at);
		return SP_OK;
	}
	if (cp == 0xffffffffu)
		return sp_err_reason(ei, SP_ERR_INVALID, "control_character",
				     "%s is not valid UTF-8 (at byte %zu)", field, at);
	return sp_err_reason(ei, SP_ERR_INVALID, "control_character",
			     "%s contains a control or bidi character (U+%04X at byte %zu): "
			     "names and reasons must be printable text on one line",
			     field, (unsigned)cp, at);
}
