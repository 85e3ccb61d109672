/*
 * text.c: names and reasons one organization writes are shown on the
 * terminals of others; a control or bidi character in them is refused here,
 * before anything is stored (the client also neutralizes what it prints).
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
api_text_check(const char *field, json_t *v, struct sp_errinfo *ei)
{
	size_t at = 0;
	uint32_t cp = 0;

	if (!json_is_string(v) ||
	    sp_text_check(json_string_value(v), json_string_length(v), &at, &cp) == SP_OK)
		return SP_OK;
	if (cp == 0xffffffffu)
		return sp_err_reason(ei, SP_ERR_INVALID, "control_character",
				     "%s is not valid UTF-8 (at byte %zu)", field, at);
	return sp_err_reason(ei, SP_ERR_INVALID, "control_character",
			     "%s contains a control or bidi character (U+%04X at byte %zu): "
			     "names and reasons must be printable text on one line",
			     field, (unsigned)cp, at);
}
