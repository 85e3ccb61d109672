/*
 * content.c: a bounded tokenizer for PDF content streams and CMaps
 * (ISO 32000-1 §7.2, §7.3). It decodes names (#xx escapes), literal strings
 * (escapes, nested parentheses, line continuations) and hex strings into a
 * fixed scratch buffer, so a token never allocates and never exceeds
 * TEXT_MAX_TOKEN; anything longer or malformed is CT_BAD and the caller stops.
 */
#include <stdlib.h>
#include <string.h>

#include "text_int.h"

static int
is_ws(unsigned char c)
{
	return c == 0 || c == 9 || c == 10 || c == 12 || c == 13 || c == 32;
}

void
clex_init(struct clex *lx, const unsigned char *p, size_t len)
{
	lx->p = p;
	lx->len = len;
	lx->pos = 0;
}

static void
skip_ws(struct clex *lx)
{
	while (lx->pos < lx->len) {
		unsigned char c = lx->p[lx->pos];
		if (is_ws(c)) {
			lx->pos++;
		} else if (c == '%') {
			while (lx->pos < lx->len && lx->p[lx->pos] != '\n' &&
			       lx->p[lx->pos] != '\r')
				lx->pos++;
		} else {
			break;
		}
	}
}

static enum ctok_type
lex_literal(struct clex *lx, struct ctok *t)
{
	size_t n = 0;
	int depth = 1;

	lx->pos++; /* ( */
	while (lx->pos < lx->len) {
		unsigned char c = lx->p[lx->pos++];
		if (c == '(') {
			depth++;
		} else if (c == ')') {
			if (--depth == 0)
				goto done;
		} else if (c == '\\') {
			if (lx->pos >= lx->len)
				break;
			c = lx->p[lx->pos++];
			switch (c) {
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case '\r':
				/* a line continuation: no character */
				if (lx->pos < lx->len && lx->p[lx->pos] == '\n')
					lx->pos++;
				continue;
			case '\n':
				continue;
			default:
				if (c >= '0' && c <= '7') {
					int v = c - '0', k;
					for (k = 0; k < 2 && lx->pos < lx->len &&
						    lx->p[lx->pos] >= '0' && lx->p[lx->pos] <= '7';
					     k++)
						v = v * 8 + (lx->p[lx->pos++] - '0');
					c = (unsigned char)(v & 0xff);
				}
				/* otherwise the escaped character itself: \( \) \\ and unknown escapes */
				break;
			}
		}
		if (n >= sizeof(lx->scratch))
			return t->type = CT_BAD;
		lx->scratch[n++] = c;
	}
	/* an unterminated string at the end of the stream: keep what we have */
done:
	t->s = lx->scratch;
	t->len = n;
	return t->type = CT_STR;
}

static enum ctok_type
lex_hex(struct clex *lx, struct ctok *t)
{
	size_t n = 0;
	int hi = -1;

	lx->pos++; /* < */
	while (lx->pos < lx->len) {
		unsigned char c = lx->p[lx->pos++];
		int v;
		if (c == '>')
			break;
		if (is_ws(c))
			continue;
		if ((v = sp_hex_val(c)) < 0)
			return t->type = CT_BAD;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= sizeof(lx->scratch))
			return t->type = CT_BAD;
		lx->scratch[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0) { /* an odd digit count: the last digit is followed by 0 */
		if (n >= sizeof(lx->scratch))
			return t->type = CT_BAD;
		lx->scratch[n++] = (unsigned char)(hi << 4);
	}
	t->s = lx->scratch;
	t->len = n;
	return t->type = CT_STR;
}

static enum ctok_type
lex_name(struct clex *lx, struct ctok *t)
{
	size_t n = 0;

	lx->pos++; /* / */
	while (lx->pos < lx->len) {
		unsigned char c = lx->p[lx->pos];
		if (is_ws(c) || pdf_delim(c))
			break;
		lx->pos++;
		if (c == '#' && lx->pos + 1 < lx->len && sp_hex_val(lx->p[lx->pos]) >= 0 &&
		    sp_hex_val(lx->p[lx->pos + 1]) >= 0) {
			c = (unsigned char)(sp_hex_val(lx->p[lx->pos]) << 4 |
					    sp_hex_val(lx->p[lx->pos + 1]));
			lx->pos += 2;
		}
		if (n >= sizeof(lx->scratch))
			return t->type = CT_BAD;
		lx->scratch[n++] = c;
	}
	t->s = lx->scratch;
	t->len = n;
	return t->type = CT_NAME;
}

/* Numbers: [+-] digits [. digits]; PDF has no exponents. */
static int
lex_number(struct clex *lx, struct ctok *t)
{
	size_t i = lx->pos;
	double v = 0, scale = 0.1;
	int neg = 0, digits = 0, dot = 0;

	if (i < lx->len && (lx->p[i] == '+' || lx->p[i] == '-'))
		neg = lx->p[i++] == '-';
	for (; i < lx->len; i++) {
		unsigned char c = lx->p[i];
		if (c >= '0' && c <= '9') {
			if (!dot) {
				if (v < 1e15)
					v = v * 10 + (c - '0');
			} else if (scale > 1e-15) {
				v += (c - '0') * scale;
				scale /= 10;
			}
			digits++;
		} else if (c == '.' && !dot) {
			dot = 1;
		} else {
			/* anything else ends the number, a sign too ("5-3" style garbage
			   some writers emit) */
			break;
		}
	}
	if (!digits)
		return 0;
	if (i < lx->len && !is_ws(lx->p[i]) && !pdf_delim(lx->p[i]) && lx->p[i] != '-' &&
	    lx->p[i] != '+')
		return 0; /* e.g. "1abc": an operator-like token */
	lx->pos = i;
	t->num = neg ? -v : v;
	t->type = CT_NUM;
	return 1;
}

enum ctok_type
clex_next(struct clex *lx, struct ctok *t)
{
	unsigned char c;
	size_t n = 0;

	t->s = NULL;
	t->len = 0;
	t->num = 0;
	skip_ws(lx);
	if (lx->pos >= lx->len)
		return t->type = CT_EOF;
	c = lx->p[lx->pos];
	switch (c) {
	case '(':
		return lex_literal(lx, t);
	case '<':
		if (lx->pos + 1 < lx->len && lx->p[lx->pos + 1] == '<') {
			lx->pos += 2;
			return t->type = CT_DICT_OPEN;
		}
		return lex_hex(lx, t);
	case '>':
		if (lx->pos + 1 < lx->len && lx->p[lx->pos + 1] == '>') {
			lx->pos += 2;
			return t->type = CT_DICT_CLOSE;
		}
		lx->pos++;
		return t->type = CT_BAD;
	case '[':
		lx->pos++;
		return t->type = CT_ARR_OPEN;
	case ']':
		lx->pos++;
		return t->type = CT_ARR_CLOSE;
	case '/':
		return lex_name(lx, t);
	case ')':
	case '{':
	case '}':
		lx->pos++;
		return t->type = CT_BAD;
	default:
		break;
	}
	if ((c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-') {
		if (lex_number(lx, t))
			return t->type;
	}
	/* an operator keyword: a run of regular characters */
	while (lx->pos < lx->len && !is_ws(lx->p[lx->pos]) && !pdf_delim(lx->p[lx->pos])) {
		if (n >= sizeof(lx->scratch))
			return t->type = CT_BAD;
		lx->scratch[n++] = lx->p[lx->pos++];
	}
	if (n == 0) {
		lx->pos++;
		return t->type = CT_BAD;
	}
	t->s = lx->scratch;
	t->len = n;
	return t->type = CT_OP;
}

/*
 * Inline image data is binary and has no length we can trust, so, like
 * most readers, look for "EI" between white space (or at the end).
 */
void
clex_skip_inline_image(struct clex *lx)
{
	size_t i = lx->pos;

	if (i < lx->len && is_ws(lx->p[i]))
		i++; /* the single white-space byte after ID */
	for (; i + 1 < lx->len; i++) {
		if (lx->p[i] == 'E' && lx->p[i + 1] == 'I' && (i == 0 || is_ws(lx->p[i - 1])) &&
		    (i + 2 >= lx->len || is_ws(lx->p[i + 2]) || pdf_delim(lx->p[i + 2]))) {
			lx->pos = i + 2;
			return;
		}
	}
	lx->pos = lx->len;
}
