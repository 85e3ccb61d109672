/*
 * text.c: names and reasons one organization writes are shown on the
 * terminals of others; a control or bidi character in them is refused here,
 * before anything is stored (the client also neutralizes what it prints).
 */
#include "api.h"

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
