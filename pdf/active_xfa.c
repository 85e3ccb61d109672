/*
 * active_xfa.c: what an XFA form (ISO 32000-1 §12.7.8, /AcroForm /XFA)
 * runs. Adobe's viewers run an XFA form's scripts in a static form as in a
 * dynamic one (XFA 3.3 §9: <script> in an <event>, a <calculate>, a
 * <validate> or <variables>), and an event may also send the form's data
 * (<submit>), call a web service (<execute>) or sign data (<signData>).
 * An unsigned upload loses its static XFA with the rewrite (normalize.c)
 * and a dynamic one is refused; a signed one is kept byte for byte, so its
 * XFA is read here, and one that runs anything, or shows what another
 * file or address holds (a usehref, an image's href, a data connection),
 * is refused as a signed upload's actions are (active.c).
 *
 * The packets are one XML document cut in pieces: viewers join them before
 * they parse (pdf.js XFAFactory, iText XfaForm), so they are joined here too
 * and read for element names alone (a namespace prefix aside): text that
 * merely contains "<script" (a CDATA section, a comment) refuses too, which
 * fails closed. So does XML this reader would misread: a packet in UTF-16 or
 * UTF-32 (NUL bytes), one that declares another encoding than UTF-8,
 * US-ASCII or ISO-8859-1 (UTF-7 writes '<' as "+ADw-"), and a document type
 * declaration, whose entities may spell an element in character references
 * (review51: "&#60;script>" in an internal entity). XFA needs none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "text_int.h"

/*
 * The XFA elements that run something (an <event> holds one of the next
 * four), and the packets that name what a form reaches outside itself: web
 * services, XML data files, databases (XFA 3.3 ch. 19 connectionSet, ch. 20
 * sourceSet), which a field's <connect> or an <execute> then reads or calls.
 */
static const char *const running[] = { "event",    "script",        "submit",    "execute",
				       "signData", "connectionSet", "sourceSet", NULL };

/* items of an /XFA array (a name and a stream a packet: a form holds about ten) */
#define XFA_PACKETS_MAX 256

static int
name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c >= 0x80;
}

/* the encoding an XML declaration at the start of b names, into enc ("" if none) */
static void
declared_encoding(const unsigned char *b, size_t n, char *enc, size_t cap)
{
	const unsigned char *end, *e;
	size_t k = 0;
	unsigned char quote;

	enc[0] = '\0';
	if (n >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0) {
		b += 3;
		n -= 3;
	}
	if (n < 5 || memcmp(b, "<?xml", 5) != 0 || (end = memmem(b, n, "?>", 2)) == NULL ||
	    (e = memmem(b, (size_t)(end - b), "encoding", 8)) == NULL)
		return;
	for (e += 8; e < end && (*e == ' ' || *e == '\t' || *e == '\r' || *e == '\n' || *e == '=');
	     e++)
		;
	if (e >= end || (*e != '"' && *e != '\''))
		return;
	quote = *e++;
	while (e < end && *e != quote && k + 1 < cap)
		enc[k++] = (char)*e++;
	enc[k] = '\0';
}

static int
space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * 1 when an attribute value v (n bytes) of a usehref names another
 * document, or of an href a file or address a viewer fetches: what the form
 * shows then comes from there, whatever was signed (and a share's \\host
 * answers with the reader's credentials). A usehref within the form starts
 * with '#' or ".#" (XFA 3.3 §7: "URL#id" or "URL#som(...)" elsewhere); an
 * image's relative name is looked up in the PDF's own /XFAImages first, as
 * Designer writes it, and stays. An entity (&#58; is ':') fails closed.
 */
static int
ref_external(int use, const unsigned char *v, size_t n)
{
	size_t i;

	while (n > 0 && space(*v)) {
		v++;
		n--;
	}
	if (memchr(v, '&', n) != NULL)
		return 1;
	if (use)
		return n > 0 && v[0] != '#' && !(n >= 2 && v[0] == '.' && v[1] == '#');
	if (n > 0 && (v[0] == '/' || v[0] == '\\'))
		return 1;
	/* a scheme (http:, file:) or a drive (C:) before any path separator */
	for (i = 0; i < n && v[i] != '/' && v[i] != '\\' && v[i] != '#'; i++)
		if (v[i] == ':')
			return 1;
	return 0;
}

/*
 * The text of the element whose start tag ends past b[k], up to the next
 * '<': a config <base> or <uri> (the base Adobe puts in front of the
 * template's relative names: review54, "\\host\share\" made an image's
 * "seal.png" a file on a share). 1 when it is an address outside the
 * file (ref_external), a folder on a drive aside (Designer writes the
 * author's own), into what.
 */
static int
base_text(const unsigned char *b, size_t n, size_t k, char *what, size_t cap)
{
	size_t e;

	while (k < n && b[k] != '>')
		k++;
	if (k >= n || (k > 0 && b[k - 1] == '/'))
		return 0;
	for (e = ++k; e < n && b[e] != '<'; e++)
		;
	while (k < e && space(b[k]))
		k++;
	if (k == e || (e - k >= 3 && ((b[k] | 0x20) >= 'a' && (b[k] | 0x20) <= 'z') &&
		       b[k + 1] == ':' && (b[k + 2] == '\\' || b[k + 2] == '/')))
		return 0;
	if (!ref_external(0, b + k, e - k))
		return 0;
	snprintf(what, cap, "%s", "an XFA base address for the form's references");
	return 1;
}

/*
 * The attributes of the tag whose local name is b[t..k): an href or
 * usehref (a namespace prefix aside) that ref_external() judges external,
 * or an xml:base, into what; an <a>'s href may be a web or mail address. 1
 * when one was found.
 */
static int
tag_refs(const unsigned char *b, size_t n, size_t t, size_t k, char *what, size_t cap)
{
	int link = k - t == 1 && b[t] == 'a';
	size_t s, e, v;
	unsigned char q;
	int use, href;

	for (;;) {
		while (k < n && space(b[k]))
			k++;
		if (k >= n || b[k] == '>' || b[k] == '/')
			return 0;
		for (s = k; k < n && (name_char(b[k]) || b[k] == ':'); k++)
			;
		if (k == s)
			return 0;
		for (e = k; e > s && b[e - 1] != ':'; e--)
			;
		use = k - e == 7 && memcmp(b + e, "usehref", 7) == 0;
		href = use || (k - e == 4 && memcmp(b + e, "href", 4) == 0) || /* the local name */
		       (k - e == 4 && memcmp(b + e, "base", 4) == 0);

		while (k < n && space(b[k]))
			k++;
		if (k >= n || b[k] != '=')
			return 0;
		for (k++; k < n && space(b[k]); k++)
			;
		if (k >= n || (b[k] != '"' && b[k] != '\''))
			return 0;
		q = b[k++];
		for (v = k; k < n && b[k] != q; k++)
			;
		/* an <a>'s href opens on a click only, as a /URI link a signed upload keeps
		   (review54: refusing it refused real Designer forms); no entity in it */
		if (href &&
		    !(link && !use && memchr(b + v, '&', k - v) == NULL &&
		      pdf_address_kept((const char *)b + v, k - v, 0)) &&
		    ref_external(use, b + v, k - v)) {
			snprintf(what, cap, "an XFA %s to another file or address",
				 use ? "usehref" : "href");
			return 1;
		}
		k++; /* past the closing quote */
	}
}

/* 0 when packet b is XML scan() reads; -1 when not, what says why */
static int
packet_readable(const unsigned char *b, size_t n, char *what, size_t cap)
{
	char enc[32];

	if (n > 0 && memchr(b, '\0', n) != NULL) { /* (an empty packet: no buffer) */
		snprintf(what, cap, "%s", "an XFA packet in UTF-16 or UTF-32");
		return -1;
	}
	declared_encoding(b, n, enc, sizeof(enc));
	if (enc[0] != '\0' && strcasecmp(enc, "UTF-8") != 0 && strcasecmp(enc, "US-ASCII") != 0 &&
	    strcasecmp(enc, "ISO-8859-1") != 0) {
		snprintf(what, cap, "an XFA packet in the encoding %s", enc);
		return -1;
	}
	return 0;
}

/* the first element of the joined packets b that runs something, or reference to another
   file (tag_refs), into what; "" when none */
static void
scan(const unsigned char *b, size_t n, char *what, size_t cap)
{
	size_t i, s, k;
	int j;

	if (memmem(b, n, "<!DOCTYPE", 9) != NULL || memmem(b, n, "<!ENTITY", 8) != NULL) {
		snprintf(what, cap, "%s", "an XFA form with a document type declaration");
		return;
	}
	for (i = 0; i < n; i++) {
		if (b[i] != '<')
			continue;
		/* a name, and after a prefix's colon the local name */
		for (s = i + 1, k = s; k < n && name_char(b[k]); k++)
			;
		if (k < n && b[k] == ':' && k > s)
			for (s = ++k; k < n && name_char(b[k]); k++)
				;
		if (k == s || (k < n && b[k] != '>' && b[k] != '/' && b[k] != ' ' && b[k] != '\t' &&
			       b[k] != '\r' && b[k] != '\n'))
			continue;
		for (j = 0; running[j] != NULL; j++)
			if (strlen(running[j]) == k - s && memcmp(b + s, running[j], k - s) == 0) {
				snprintf(what, cap, "an XFA <%s> element", running[j]);
				return;
			}
		if (tag_refs(b, n, s, k, what, cap) ||
		    (((k - s == 4 && memcmp(b + s, "base", 4) == 0) ||
		      (k - s == 3 && memcmp(b + s, "uri", 3) == 0)) &&
		     base_text(b, n, k, what, cap)))
			return;
	}
}

/* the packets joined, in the order of the form's array */
struct joined {
	unsigned char *b;
	size_t n;
};

/* room in j for n more bytes: the packets share one stream's cap (TEXT_MAX_STREAM),
   so that many packets, or one named many times, are not many times the work of one */
static int
grow(struct joined *j, size_t n, struct sp_errinfo *ei)
{
	unsigned char *nb;

	if (n > TEXT_MAX_STREAM || j->n > TEXT_MAX_STREAM - n)
		return sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
				     "the XFA form's packets decode to more than %d bytes",
				     TEXT_MAX_STREAM);
	if (n > 0 && (nb = realloc(j->b, j->n + n)) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	if (n > 0)
		j->b = nb;
	return SP_OK;
}

/* one packet stream decoded, judged readable (what says why not) and appended to j */
static int
packet(struct pdf_doc *doc, qpdf_oh s, struct joined *j, char *what, size_t cap,
       struct sp_errinfo *ei)
{
	unsigned char *b = NULL;
	size_t n = 0;
	int r;

	if (!qpdf_oh_is_stream(doc->q, s))
		return SP_OK; /* an array's names, or nothing */
	if ((r = text_stream_data(doc, s, &b, &n, ei)) == SP_OK &&
	    packet_readable(b, n, what, cap) == 0 && (r = grow(j, n, ei)) == SP_OK) {
		if (n > 0)
			memcpy(j->b + j->n, b, n);
		j->n += n;
	}
	free(b);
	return r;
}

int
pdf_xfa_active(struct pdf_doc *doc, char *what, size_t cap, struct sp_errinfo *ei)
{
	qpdf_data q = doc->q;
	qpdf_oh af = qpdf_oh_get_key_if_dict(q, qpdf_get_root(q), "/AcroForm");
	qpdf_oh xfa = qpdf_oh_get_key_if_dict(q, af, "/XFA");
	/* each stream's object number and where its bytes are in the joined document */
	struct {
		int id;
		size_t off, n;
	} seen[XFA_PACKETS_MAX];
	int i, j, n, nseen = 0, r = SP_OK;
	struct joined all = { NULL, 0 };

	what[0] = '\0';
	if (!qpdf_oh_is_array(q, xfa)) {
		r = packet(doc, xfa, &all, what, cap, ei);
		goto out;
	}
	if ((n = qpdf_oh_get_array_n_items(q, xfa)) > XFA_PACKETS_MAX) {
		snprintf(what, cap, "an XFA form of %d items", n);
		return SP_OK;
	}
	for (i = 0; i < n && r == SP_OK && what[0] == '\0'; i++) {
		qpdf_oh it = qpdf_oh_get_array_item(q, xfa, i);
		int id = qpdf_oh_get_object_id(q, it);

		/* a stream named twice is decoded once, and joined where each names it */
		for (j = 0; j < nseen && seen[j].id != id; j++)
			;
		if (j < nseen) {
			if ((r = grow(&all, seen[j].n, ei)) == SP_OK && seen[j].n > 0) {
				memcpy(all.b + all.n, all.b + seen[j].off, seen[j].n);
				all.n += seen[j].n;
			}
		} else {
			seen[nseen].id = id;
			seen[nseen].off = all.n;
			r = packet(doc, it, &all, what, cap, ei);
			seen[nseen].n = all.n - seen[nseen].off;
			nseen++;
		}
		qpdf_oh_release(q, it);
	}
out:
	if (r == SP_OK && what[0] == '\0' && all.n > 0) /* (memmem wants a buffer) */
		scan(all.b, all.n, what, cap);
	free(all.b);
	return r;
}
