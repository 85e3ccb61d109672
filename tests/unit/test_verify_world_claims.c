/*
 * test_verify_world_claims.c: what the verifier claims of files other
 * tools write, where a claim rests on more than the bytes: the PAdES level
 * a DSS supports when the timestamp's TSA is rooted apart from the signers
 * (a TSA trust of its own), the /Contents string another writer spells
 * with white space inside, and an issuing CA's unknown revocation status
 * when revocation is required, /M dates in odd forms, and signed files
 * JavaScript signers wrote (kept as fixtures). Each file is also judged by
 * pdfsig where it speaks to the point.
 */
#include "test_verify_countersign.h"

/* A store holding one corpus certificate (the TSA roots a deployment configures). */
static X509_STORE *
store_of(const char *who)
{
	X509_STORE *s = X509_STORE_new();
	X509 *x = vc_cert(who);

	ck_assert(s && x && X509_STORE_add_cert(s, x) == 1);
	X509_free(x);
	return s;
}

/*
 * A deployment whose TSA answers to a root of its own (tsa.trust apart from
 * trust.roots): the signer is the stranger's (root "other"), the timestamp
 * the corpus TSA's (root "ca"), and a DSS, as a tool that embeds no trust
 * anchors writes it, holds a current CRL of each root. The signature's
 * timestamp was checked against the TSA roots, and the level asks whether
 * the DSS answers the TSA's chain through the same roots: B-LT. It said
 * B-T, the TSA's issuer looked for among the signers' roots only.
 */
START_TEST(tsa_rooted_apart_reaches_b_lt)
{
	static const char *const certs[] = { "stranger", "tsa" };
	const char *roots[1] = { vc_path("other.pem") };
	struct crypto_trust *signers = NULL;
	struct crypto_verify_opts o;
	struct crypto_verify_report *r = NULL;
	struct pdf_blob crls[2];
	struct sp_errinfo ei;
	unsigned char *one, *lt;
	size_t n1, nlt;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_trust_new(roots, 1, NULL, 0, NULL, 0, NULL, &signers, &ei), SP_OK);
	one = vc_sign(base, base_len, "stranger", 1, 0, &n1);
	ck_assert_ptr_nonnull(crls[0].data = vc_crl_by("other", 0, 0, time(NULL) - 60,
						       time(NULL) + 86400, &crls[0].len));
	ck_assert_ptr_nonnull(crls[1].data = vc_crl_by("ca", 0, 0, time(NULL) - 60,
						       time(NULL) + 86400, &crls[1].len));
	lt = dss_without_roots(one, n1, certs, 2, crls, 2, &nlt);
	memset(&o, 0, sizeof(o));
	o.trust = signers;
	o.ts_trust = store_of("ca");
	ck_assert_msg(crypto_pdf_verify(lt, nlt, &o, &r, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES ||
			      r->sigs[0].verdict == CRYPTO_VERDICT_VALID,
		      "%s: %s", crypto_verdict_name(r->sigs[0].verdict), r->sigs[0].message);
	ck_assert_int_eq(r->sigs[0].timestamp_ok, 1);
	ck_assert_str_eq(r->sigs[0].level, "pades_b_lt");
	crypto_verify_report_free(r);
	/* without the TSA root's CRL the TSA's chain is not answered: B-T */
	free(lt);
	lt = dss_without_roots(one, n1, certs, 2, crls, 1, &nlt);
	ck_assert_msg(crypto_pdf_verify(lt, nlt, &o, &r, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_str_eq(r->sigs[0].level, "pades_b_t");
	crypto_verify_report_free(r);
	X509_STORE_free(o.ts_trust);
	crypto_trust_free(signers);
	free(crls[0].data);
	free(crls[1].data);
	free(lt);
	free(one);
}
END_TEST

/*
 * The gap of d's (only) signature: its offset after '<' and its length
 * (without the delimiters), found from /ByteRange as written.
 */
static void
gap_of(const unsigned char *d, size_t n, size_t *at, size_t *len)
{
	const char *p = memmem(d, n, "/ByteRange", 10);
	char arr[96];
	size_t k;
	long long a, b, c, e;

	ck_assert_ptr_nonnull(p);
	/* sscanf reads a string: the array's bytes copied and ended (d has no NUL; glibc's
	   sscanf measures its input first, past the end of d) */
	k = (size_t)((const char *)d + n - (p + 10));
	k = k < sizeof(arr) - 1 ? k : sizeof(arr) - 1;
	memcpy(arr, p + 10, k);
	arr[k] = '\0';
	ck_assert_int_eq(sscanf(arr, " [ %lld %lld %lld %lld", &a, &b, &c, &e), 4);
	ck_assert(d[b] == '<' && d[c - 1] == '>');
	*at = (size_t)b + 1;
	*len = (size_t)(c - b - 2);
}

/* The single verdict and first reason of d. */
static enum crypto_verdict
verdict_of(const unsigned char *d, size_t n, char reason[40])
{
	struct crypto_verify_report *r = verify(d, n);
	enum crypto_verdict v;

	ck_assert_uint_eq(r->nsigs, 1);
	v = r->sigs[0].verdict;
	snprintf(reason, 40, "%s", r->sigs[0].nreasons ? r->sigs[0].reasons[0] : "");
	crypto_verify_report_free(r);
	return v;
}

/*
 * Another writer's /Contents with white space among its hex digits (ISO
 * 32000-2 §7.3.4.3 ignores it): the same signature, its gap re-spelled in
 * place (a line break after every 64 digits, as a writer wrapping lines
 * would put it, paid for with padding zeros at the end), so the signed
 * bytes and the digest are unchanged. The gap is still exactly the
 * /Contents string (§12.8.1): valid, as iText 5 says (whole document,
 * verified) and pdfsig's signature line. We said invalid
 * (gap_not_contents). pdfsig adds "Not total document signed" and
 * PDFBox 2's getContents(file) throws "Invalid hex string": both take the
 * gap to be twice the value's length plus two, which the syntax does not
 * promise. Anything else in the gap stays invalid: a
 * comment, a delimiter, a byte that is no digit.
 */
START_TEST(contents_hex_with_white_space)
{
	static const char *const bad[] = { "%", ")", "g", "<" };
	unsigned char *one, *sp, *gap;
	size_t n, at, len, i, j, k, lines;

	char why[40];

	one = vc_sign(base, base_len, "rsa", 1, 0, &n);
	gap_of(one, n, &at, &len);
	/* the line breaks cost padding: the signature's own digits end well before */
	lines = len / 66;
	ck_assert_msg(strspn((const char *)one + at + len - 2 * lines, "0") == 2 * lines,
		      "not enough padding to re-spell the gap");
	sp = malloc(n);
	memcpy(sp, one, n);
	gap = sp + at;
	for (i = 0, j = 0, k = 0; j < len; i++) {
		gap[j++] = one[at + i];
		if (++k == 64 && j + 2 <= len) {
			gap[j++] = '\r';
			gap[j++] = '\n';
			k = 0;
		}
	}
	ck_assert(memchr(gap, '\n', len) != NULL);
	assert_valid(sp, n, 1, "contents_spaced.pdf");
	/* a pad digit pair turned into a space and a tab: the same again */
	memcpy(sp + at + len - 2, " \t", 2);
	ck_assert_int_eq(verdict_of(sp, n, why), CRYPTO_VERDICT_VALID);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(sp + at + len - 2, bad[i], 1);
		/* what qpdf cannot read as the string is no /Contents (contents_*); the
		   rest is not this signature's /Contents (gap_not_contents) */
		ck_assert_int_eq(verdict_of(sp, n, why), CRYPTO_VERDICT_INVALID);
		ck_assert_msg(!strcmp(why, "gap_not_contents") || !strncmp(why, "contents_", 9),
			      "%s: %s", bad[i], why);
		memcpy(sp + at + len - 2, " ", 1);
	}
	free(sp);
	free(one);
}
END_TEST

/* der[0..*n) written to the corpus directory as name (n read once der is made); its path. */
static const char *
put(const char *name, unsigned char *der, const size_t *n)
{
	ck_assert_ptr_nonnull(der);
	write_file(vc_path(name), der, *n);
	free(der);
	return vc_path(name);
}

/*
 * The verdict and first reason of d's one signature under a trust that
 * requires revocation: the root, the issuing CA "sub", the CRLs given.
 */
static enum crypto_verdict
strict_verdict(const unsigned char *d, size_t n, const char *const *crls, size_t ncrls,
	       char reason[40])
{
	struct crypto_revocation_opts ro = { .require_revocation = 1 };
	const char *roots[1] = { vc_path("ca.pem") }, *inter[1] = { vc_path("sub.pem") };
	struct crypto_trust *t = NULL;
	struct crypto_verify_opts o = { 0 };
	struct crypto_verify_report *r = NULL;
	struct sp_errinfo ei;
	enum crypto_verdict v;

	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_trust_new(roots, 1, inter, 1, crls, ncrls, &ro, &t, &ei) == SP_OK,
		      "%s", ei.msg);
	o.trust = t;
	ck_assert_msg(crypto_pdf_verify(d, n, &o, &r, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_uint_eq(r->nsigs, 1);
	v = r->sigs[0].verdict;
	snprintf(reason, 40, "%s", r->sigs[0].nreasons ? r->sigs[0].reasons[0] : "");
	crypto_verify_report_free(r);
	crypto_trust_free(t);
	return v;
}

/*
 * Revocation required, a signer under an issuing CA: its own status is
 * answered (a current CRL of the CA), the CA's by the root's CRL the
 * trust holds, out of date. A leaf whose only CRL is out of date is
 * refused as revocation_unknown; the CA was let through unchecked
 * (valid). Now the same: indeterminate, revocation_unknown. With no CRL
 * of the root held at all (an OCSP-only deployment: nothing speaks for a
 * CA there) it stays valid, and so with a current one.
 */
START_TEST(issuing_ca_with_a_stale_crl_is_unknown)
{
	const char *crls[2];
	unsigned char *one;
	size_t n, k;
	time_t now = time(NULL);
	char why[40];

	ck_assert_int_eq(
		run("cd %s && ( printf 'basicConstraints=critical,CA:TRUE,pathlen:0\\n"
		    "keyUsage=critical,keyCertSign,cRLSign\\n' >sub.ext && "
		    "openssl req -new -newkey rsa:2048 -nodes -keyout sub.key -out sub.csr "
		    "-subj '/CN=issuing CA' && openssl x509 -req -in sub.csr -CA ca.pem "
		    "-CAkey ca.key -set_serial 20 -days 20 -extfile sub.ext -out sub.pem && "
		    "openssl req -new -newkey rsa:2048 -nodes -keyout subleaf.key -out "
		    "subleaf.csr -subj '/CN=sub signer/O=Org D' && openssl x509 -req -in "
		    "subleaf.csr -CA sub.pem -CAkey sub.key -set_serial 21 -days 20 -extfile "
		    "leaf.ext -out subleaf.pem ) >>pki.log 2>&1",
		    vc_dir),
		0);
	one = vc_sign(base, base_len, "subleaf", 0, 0, &n);
	crls[0] = put("sub-crl.der", vc_crl_by("sub", 0, 0, now - 60, now + 86400, &k), &k);
	crls[1] =
		put("root-stale.der", vc_crl_by("ca", 0, 0, now - 2 * 86400, now - 86400, &k), &k);
	ck_assert_int_eq(strict_verdict(one, n, crls, 2, why), CRYPTO_VERDICT_INDETERMINATE);
	ck_assert_str_eq(why, "revocation_unknown");
	/* the leaf in the same state, for comparison: its CA's CRL out of date */
	crls[0] =
		put("sub-stale.der", vc_crl_by("sub", 0, 0, now - 2 * 86400, now - 86400, &k), &k);
	crls[1] = put("root-crl.der", vc_crl_by("ca", 0, 0, now - 60, now + 86400, &k), &k);
	ck_assert_int_eq(strict_verdict(one, n, crls, 2, why), CRYPTO_VERDICT_INDETERMINATE);
	ck_assert_str_eq(why, "revocation_unknown");
	crls[0] = vc_path("sub-crl.der");
	ck_assert_int_eq(strict_verdict(one, n, crls, 2, why), CRYPTO_VERDICT_VALID);
	ck_assert_int_eq(strict_verdict(one, n, crls, 1, why), CRYPTO_VERDICT_VALID);
	free(one);
}
END_TEST

/*
 * d's only signature made again as another tool makes it: its /ByteRange
 * rewritten in place as r[0..nr) (within the width it had), then openssl
 * cms over the bytes those pairs name, in their order, put in the gap the
 * signature had (upper-case hex, zeros after), SubFilter adbe.pkcs7.detached.
 * A copy (malloc'd, n bytes).
 */
static unsigned char *
resign(const unsigned char *d, size_t n, const long long *r, size_t nr)
{
	unsigned char *out = malloc(n), *cms;
	char *p, text[512], *hex;
	size_t at, len, w, i, m;
	FILE *f;

	memcpy(out, d, n);
	gap_of(out, n, &at, &len);
	/* openssl writes no ESS signing-certificate: the SubFilter of such a CMS */
	ck_assert_ptr_nonnull(p = memmem(out, n, "/ETSI.CAdES.detached", 20));
	memcpy(p, "/adbe.pkcs7.detached", 20);
	ck_assert_ptr_nonnull(p = memmem(out, n, "/ByteRange [", 12));
	p += 12;
	w = (size_t)((char *)memchr(p, ']', 64) - p);
	for (i = 0, m = 0; i < nr; i++)
		m += (size_t)snprintf(text + m, sizeof(text) - m, "%lld ", r[i]);
	ck_assert_uint_le(m, w);
	memset(p, ' ', w);
	memcpy(p, text, m);
	ck_assert_ptr_nonnull(f = fopen(vc_path("rs.bin"), "wb"));
	/* (a pair with a negative number names no bytes) */
	for (i = 0; i + 1 < nr; i += 2)
		ck_assert(r[i] < 0 || r[i + 1] < 0 ||
			  ((size_t)(r[i] + r[i + 1]) <= n &&
			   fwrite(out + r[i], 1, (size_t)r[i + 1], f) == (size_t)r[i + 1]));
	fclose(f);
	ck_assert_int_eq(run("cd %s && openssl cms -sign -binary -md sha256 -nosmimecap -in "
			     "rs.bin -signer rsa.pem -inkey rsa.key -outform DER -out rs.p7s",
			     vc_dir),
			 0);
	cms = read_file(vc_path("rs.p7s"), &m);
	ck_assert_uint_le(2 * m, len);
	hex = malloc(2 * m + 1);
	sp_hex_upper(cms, m, hex);
	memset(out + at, '0', len);
	memcpy(out + at, hex, 2 * m);
	free(hex);
	free(cms);
	return out;
}

/*
 * /ByteRange as other writers may give it, the file signed over it
 * (resign): ISO 32000-2 §12.8.1 has it list pairs of offset and length
 * that cover the file but the /Contents value. Pairs that run on
 * where the one before ends but at the one gap hash the same bytes as
 * two: valid, as pdfsig, PDFBox and iText verify it (iText says it does
 * not cover the whole file; its check counts two pairs). We said invalid
 * (byterange_malformed). Pairs that repeat bytes, go back, leave a second
 * gap or hold a negative number stay invalid: pdfsig verifies the first
 * two (it hashes what the pairs name, bytes twice included).
 */
START_TEST(byterange_pairs_other_writers_list)
{
	unsigned char *one, *two;
	long long br[4], r[6];
	size_t n, at, len;
	char why[40];

	one = vc_sign(base, base_len, "rsa", 1, 0, &n);
	gap_of(one, n, &at, &len);
	br[0] = 0, br[1] = (long long)at - 1, br[2] = (long long)at + (long long)len + 1;
	br[3] = (long long)n - br[2];
	/* as written, signed by openssl: the judge of the rest */
	two = resign(one, n, br, 4);
	assert_valid(two, n, 1, "br_openssl.pdf");
	free(two);
	/* the second range in two pairs: three in all */
	r[0] = 0, r[1] = br[1], r[2] = br[2], r[3] = 100, r[4] = br[2] + 100;
	r[5] = br[3] - 100;
	two = resign(one, n, r, 6);
	assert_valid(two, n, 1, "br_pairs.pdf");
	free(two);
	/* the first range twice, a pair going back, a second gap, a negative length */
	{
		const long long bad[][6] = {
			{ 0, br[1], br[2], br[3], 0, br[1] },
			{ 0, br[1], br[2], 100, br[2] + 50, br[3] - 50 },
			{ 0, br[1], br[2], 100, br[2] + 101, br[3] - 101 },
			{ 0, br[1], br[2], -br[3], 0, 0 },
		};
		size_t k;
		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			two = resign(one, n, bad[k], k == 3 ? 4 : 6);
			ck_assert_int_eq(verdict_of(two, n, why), CRYPTO_VERDICT_INVALID);
			ck_assert_str_eq(why, "byterange_malformed");
			free(two);
		}
	}
	free(one);
}
END_TEST

/*
 * What a /ByteRange that is not read is told as: the report's message
 * names the entry or pair and the rule it breaks (a signer's tool is fixed
 * from that), where it said "missing, null, indirect or not 4 non-negative
 * integers" of every one, though pairs past two are read since. The
 * signed file's "/ByteRange [...]" respelled in place (want follows
 * "/ByteRange " in the message); the reason codes stay.
 */
START_TEST(byterange_message_says_what_is_wrong)
{
	static const struct {
		const char *text, *reason, *want;
	} c[] = {
		{ "/ByteRange [0 10 20]", "byterange_malformed",
		  "has 3 entries: two or more pairs of offset and length are needed" },
		{ "/ByteRange [0 10 20 30.5]", "byterange_malformed",
		  "entry 4 of 4 is a real, not an integer" },
		{ "/ByteRange [0 -5 20 30]", "byterange_malformed",
		  "entry 2 of 4 is negative (-5)" },
		{ "/ByteRange [0 1 0 R 20 30]", "byterange_malformed",
		  "entry 2 of 4 is an indirect reference" },
		{ "/ByteRange [0 10 20 5 0 10]", "byterange_malformed",
		  "pair 3 starts at 0, before pair 2 ends at 25 (bytes hashed twice or out of "
		  "order)" },
		{ "/ByteRange [0 10 20 5 30 5]", "byterange_malformed",
		  "pair 3 leaves a second gap, from 25 (one, the /Contents value, is allowed)" },
		{ "/ByteRange [0 10 10 5 15 5]", "byterange_malformed",
		  "pairs run on without the gap of the /Contents value" },
		{ "/ByteRange [0 10 10 0 30 5]", "byterange_malformed",
		  "pair 2 of 3 has length 0" },
		{ "/ByteRange (0 10 20 30)", "byterange_malformed", "is a string, not an array" },
		{ "/ByteRange 1 0 R", "byterange_indirect",
		  "is an indirect reference, not an array written in place" },
		{ "/ByteRangX [0 10 20 30]", "byterange_missing", "is missing" },
	};
	unsigned char *one, *two;
	struct crypto_verify_report *r;
	char want[160], *p, *e;
	size_t n, i;

	one = vc_sign(base, base_len, "rsa", 1, 0, &n);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		two = malloc(n);
		memcpy(two, one, n);
		ck_assert_ptr_nonnull(p = memmem(two, n, "/ByteRange [", 12));
		e = memchr(p, ']', 80);
		ck_assert_uint_le(strlen(c[i].text), (size_t)(e + 1 - p));
		memset(p, ' ', (size_t)(e + 1 - p));
		memcpy(p, c[i].text, strlen(c[i].text));
		r = verify(two, n);
		ck_assert_uint_eq(r->nsigs, 1);
		ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
		ck_assert_str_eq(r->sigs[0].reasons[0], c[i].reason);
		snprintf(want, sizeof(want), "/ByteRange %s", c[i].want);
		ck_assert_msg(!strcmp(r->sigs[0].message, want), "%s: said \"%s\"", c[i].text,
			      r->sigs[0].message);
		crypto_verify_report_free(r);
		free(two);
	}
	free(one);
}
END_TEST

/*
 * Two ranges that read as pairs but do not lie where a signature's must
 * (ISO 32000-2 §12.8.1: from the file's first byte, around the /Contents
 * value, to a revision's end): the second running past the end of the
 * file, the first not starting at 0, the second ending short of the file's
 * end (no revision ends there). Each invalid with the reason and numbers,
 * the rule the ranges break named and where they break it;
 * the file's bytes are the signed file's but for the respelled array.
 * pdfsig's line says none of this: "Signature has not yet been verified."
 * past the end, "Digest Mismatch." for the other two (it hashes what the
 * pairs name).
 */
START_TEST(byterange_outside_the_file)
{
	unsigned char *one, *two;
	struct crypto_verify_report *r;
	long long br[4], c[3][4];
	const char *reason[3] = { "byterange_invalid", "byterange_invalid",
				  "byterange_not_revision_end" };
	const char *says[3] = { "Signature has not yet been verified.", "Digest Mismatch.",
				"Digest Mismatch." };
	char text[96], rule[3][160], *p, *e, *line;
	size_t n, at, len, i;

	one = vc_sign(base, base_len, "rsa", 1, 0, &n);
	gap_of(one, n, &at, &len);
	/* the rule each breaks, named, and where the ranges break it */
	snprintf(rule[0], sizeof(rule[0]),
		 "breaks ISO 32000-2 §12.8.1 (the ranges cover the whole file but /Contents): the "
		 "second range ends at byte %zu, past the file's end (%zu)",
		 n + 10, n);
	snprintf(rule[1], sizeof(rule[1]),
		 "breaks ISO 32000-2 §12.8.1 (the ranges cover the whole file but /Contents): the "
		 "first range starts at byte 10, not at the file's first (0)");
	snprintf(rule[2], sizeof(rule[2]), "which is not the end of a revision");
	br[0] = 0, br[1] = (long long)at - 1, br[2] = (long long)at + (long long)len + 1;
	br[3] = (long long)n - br[2];
	memcpy(c[0], (long long[]){ 0, br[1], br[2], br[3] + 10 }, sizeof(c[0]));
	memcpy(c[1], (long long[]){ 10, br[1] - 10, br[2], br[3] }, sizeof(c[1]));
	memcpy(c[2], (long long[]){ 0, br[1], br[2], br[3] - 10 }, sizeof(c[2]));
	for (i = 0; i < 3; i++) {
		two = malloc(n);
		memcpy(two, one, n);
		ck_assert_ptr_nonnull(p = memmem(two, n, "/ByteRange [", 12));
		e = memchr(p, ']', 80);
		snprintf(text, sizeof(text), "/ByteRange [%lld %lld %lld %lld]", c[i][0], c[i][1],
			 c[i][2], c[i][3]);
		ck_assert_uint_le(strlen(text), (size_t)(e + 1 - p));
		memset(p, ' ', (size_t)(e + 1 - p));
		memcpy(p, text, strlen(text));
		r = verify(two, n);
		ck_assert_uint_eq(r->nsigs, 1);
		ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
		ck_assert_msg(!strcmp(r->sigs[0].reasons[0], reason[i]), "%s: %s: %s", text,
			      r->sigs[0].reasons[0], r->sigs[0].message);
		ck_assert_msg(strstr(r->sigs[0].message, rule[i]) != NULL &&
				      (i == 2 || strstr(r->sigs[0].message, text + 11) != NULL),
			      "%s: %s", text, r->sigs[0].message);
		crypto_verify_report_free(r);
		snprintf(text, sizeof(text), "br_outside_%zu.pdf", i);
		write_file(vc_path(text), two, n);
		line = pdfsig_says(text, 1);
		ck_assert_msg(!strcmp(line, says[i]), "%s: pdfsig: %s", text, line);
		free(line);
		free(two);
	}
	free(one);
}
END_TEST

/*
 * A writer that puts the signature dictionary, like every dictionary it
 * can, into an (uncompressed) object stream listed by a cross-reference
 * stream (tests/support/objstm_signer.py; ISO 32000-2 §7.5.7 does not
 * exclude it): its /Contents is in the file's bytes as written and the
 * gap exactly that string. Valid for us, pdfsig, PDFBox and iText (iText
 * says it does not cover the whole file); qpdf --check clean. Then our
 * signature after it: both valid, the first with allowed changes.
 */
START_TEST(signature_dictionary_in_an_object_stream)
{
	const char *src = getenv("SEALPACT_SOURCE_DIR");
	struct crypto_verify_report *r;
	unsigned char *one, *two;
	size_t n, m;

	ck_assert_ptr_nonnull(src);
	ck_assert_int_eq(run("python3 %s/tests/support/objstm_signer.py %s %s %s", src,
			     vc_path("objstm.pdf"), vc_path("rsa.pem"), vc_path("rsa.key")),
			 0);
	one = read_file(vc_path("objstm.pdf"), &n);
	ck_assert_ptr_nonnull(memmem(one, n, "/Type /ObjStm", 13));
	assert_valid(one, n, 1, "objstm_signed.pdf");
	two = vc_sign(one, n, "ec", 1, 0, &m);
	assert_valid(two, m, 2, "objstm_then_ours.pdf");
	r = verify(two, m);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	crypto_verify_report_free(r);
	free(two);
	free(one);
}
END_TEST

/*
 * A signer no root of ours issued (the stranger's, its CA's certificate
 * nowhere in the file) with a DSS that names it (/VRI) and holds a CRL:
 * the level's question, whether the DSS answers the chain, met a
 * certificate whose issuer it could not find and read the certificate at
 * NULL: the verification crashed (SIGSEGV), for any file so made, as
 * POST /api/v1/verify is given. Now: untrusted, indeterminate, B-T at most.
 */
START_TEST(dss_for_an_unknown_issuer_is_no_crash)
{
	static const char *const certs[] = { "stranger" };
	struct crypto_verify_report *r;
	struct pdf_blob crl;
	unsigned char *one, *lt;
	size_t n1, nlt;

	one = vc_sign(base, base_len, "stranger", 1, 0, &n1);
	ck_assert_ptr_nonnull(
		crl.data = vc_crl_by("other", 0, 0, time(NULL) - 60, time(NULL) + 86400, &crl.len));
	lt = dss_without_roots(one, n1, certs, 1, &crl, 1, &nlt);
	r = verify(lt, nlt);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INDETERMINATE);
	ck_assert_str_ne(r->sigs[0].level, "pades_b_lt");
	crypto_verify_report_free(r);
	free(crl.data);
	free(lt);
	free(one);
}
END_TEST

/*
 * The signature dictionary's /M as writers spell it. /M is the claimed,
 * unverified time of signing (ISO 32000-2 §12.8.1), so no form of it makes
 * a signature more or less valid; PAdES asks it to be there (ETSI EN
 * 319 142-1 §5.3: the baseline levels need the claimed signing time), and a
 * date is what ISO 32000-2 §7.9.4 spells: "D:" and a year, the other fields
 * optional in order, the offset's apostrophes as PDF 1.7 or 2.0 write them
 * ("D:" itself left out by some writers, which pdfsig reads too). An /M
 * that is no date claims no time: that signature is not PAdES, still valid.
 * pdfsig calls every one "Signature is Valid.".
 */
START_TEST(m_dates_in_odd_forms)
{
	static const struct {
		const char *m, *level;
	} c[] = {
		{ "/M (D:20260101120000Z)", "pades_b" },
		{ "/M (D:2026)", "pades_b" },
		{ "/M (D:202601011200)", "pades_b" },
		{ "/M (20260101120000Z)", "pades_b" },
		{ "/M (D:20260101120000+08'00)", "pades_b" },
		{ "/M (D:20260101120000-05'30')", "pades_b" },
		{ "/M (D:20260101120000Z00'00')", "pades_b" },
		{ "/M <443a3230323630313031>", "pades_b" },
		{ "/M (yesterday)", "not_pades" },
		{ "/M (D:20261341120000Z)", "not_pades" },
		{ "/M ()", "not_pades" },
		{ "/M 20260101", "not_pades" },
		{ "/M /D:20260101", "not_pades" },
		{ "", "not_pades" },
	};
	size_t n1, n2, i;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;
	char name[32], *out;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		countersign_m = c[i].m;
		two = countersign(one, n1, VW_TABLE, 0, "/ETSI.CAdES.detached", "rsa", &n2);
		countersign_m = NULL;
		snprintf(name, sizeof(name), "m%zu.pdf", i);
		write_file(vc_path(name), two, n2);
		r = verify(two, n2);
		ck_assert_uint_eq(r->nsigs, 2);
		ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_VALID, "%s: %s: %s", c[i].m,
			      crypto_verdict_name(r->sigs[1].verdict), r->sigs[1].message);
		ck_assert_msg(!strcmp(r->sigs[1].level, c[i].level), "%s: level %s", c[i].m,
			      r->sigs[1].level);
		crypto_verify_report_free(r);
		(void)run("cd %s && pdfsig -nssdir sql:nss %s >pdfsig.txt 2>&1", vc_dir, name);
		out = (char *)read_file(vc_path("pdfsig.txt"), &n2);
		ck_assert_msg(strstr(strstr(out, "Signature #2") ?: out,
				     "Signature Validation: Signature is Valid.") != NULL,
			      "%s: pdfsig: %s", c[i].m, out);
		free(out);
		free(two);
	}
	free(one);
}
END_TEST

/*
 * Signed PDFs JavaScript services write, kept as fixtures
 * (tests/fixtures/writers/js, made once by its make.sh with the npm packages
 * it names, under a root of its own; tests/integration/test_world_writers.py
 * signs with @signpdf at test time the cases that need no fixture). Each
 * verdict beside what pdfsig says, and which is right:
 *  - signpdf_etsi.pdf: @signpdf/signer-p12 (node-forge PKCS #7 with
 *    content-type, signing-time and message-digest) under the SubFilter
 *    ETSI.CAdES.detached, as @signpdf's README offers for PAdES. pdfsig:
 *    valid. Here: indeterminate, signing_certificate_missing: CAdES needs
 *    the ESS signing-certificate attribute (ETSI EN 319 122-1 §5.1), which
 *    binds the signer's certificate; the bytes and the value are sound.
 *  - forge_noattrs.pdf: node-forge without authenticatedAttributes, the RSA
 *    signature over the ranges' SHA-256 itself (RFC 5652 §5.4),
 *    adbe.pkcs7.detached, which ISO 32000-1 §12.8.3.3.1 allows. pdfsig:
 *    valid. Here: valid, not PAdES (it was invalid, "no signed attributes").
 *  - forge_sha1.pdf: adbe.pkcs7.sha1, the SHA-1 of the ranges the
 *    SignedData's content (ISO 32000-1 §12.8.3.3.1). pdfsig: "Digest
 *    Mismatch.", wrong: poppler compares the message digest with the
 *    ranges' digest, not with the content's. Here: indeterminate,
 *    weak_algorithm (SHA-1 no longer proves integrity), all else sound.
 * A changed covered byte is invalid in each.
 */
START_TEST(javascript_signers)
{
	static const struct {
		const char *name;
		enum crypto_verdict verdict;
		const char *reason, *says, *pdfsig;
	} c[] = {
		{ "signpdf_etsi.pdf", CRYPTO_VERDICT_INDETERMINATE, "signing_certificate_missing",
		  "without the ESS signing-certificate attribute", "Signature is Valid." },
		{ "forge_noattrs.pdf", CRYPTO_VERDICT_VALID, NULL, NULL, "Signature is Valid." },
		{ "forge_sha1.pdf", CRYPTO_VERDICT_INDETERMINATE, "weak_algorithm",
		  "adbe.pkcs7.sha1 uses the weak digest SHA1", "Digest Mismatch." },
	};
	const char *s = getenv("SEALPACT_SOURCE_DIR");
	char js[512], root[600], path[700], *out, *p;
	const char *roots[1] = { root };
	struct crypto_trust *t = NULL;
	struct crypto_verify_report *r;
	struct sp_errinfo ei;
	unsigned char *d;
	size_t n, m;

	snprintf(js, sizeof(js), "%s/tests/fixtures/writers/js", s ? s : "..");
	snprintf(root, sizeof(root), "%s/root.pem", js);
	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_trust_new(roots, 1, NULL, 0, NULL, 0, NULL, &t, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_int_eq(run("cd %s && rm -rf jsnss && mkdir jsnss && certutil -N -d sql:jsnss "
			     "--empty-password && certutil -A -d sql:jsnss -n js -t CT,C,C -i %s",
			     vc_dir, root),
			 0);
	snprintf(path, sizeof(path), "%s/%s", js, c[_i].name);
	d = read_file(path, &n);
	r = vc_verify(t, d, n);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_msg(r->sigs[0].verdict == c[_i].verdict, "%s: %s: %s", c[_i].name,
		      crypto_verdict_name(r->sigs[0].verdict), r->sigs[0].message);
	if (c[_i].reason) {
		ck_assert_str_eq(r->sigs[0].reasons[0], c[_i].reason);
		ck_assert_msg(strstr(r->sigs[0].message, c[_i].says) != NULL, "%s: %s", c[_i].name,
			      r->sigs[0].message);
	}
	ck_assert_int_eq(r->sigs[0].digest_ok, 1);
	ck_assert_int_eq(r->sigs[0].signature_ok, 1);
	ck_assert_int_eq(r->sigs[0].chain_ok, 1);
	ck_assert_str_eq(r->sigs[0].level, "not_pades");
	ck_assert_int_eq(r->last_revision_signed, 1);
	crypto_verify_report_free(r);
	(void)run("pdfsig -nssdir sql:%s/jsnss %s >%s 2>&1", vc_dir, path, vc_path("pdfsig.txt"));
	out = (char *)read_file(vc_path("pdfsig.txt"), &m);
	p = strstr(out, "Signature Validation: ");
	ck_assert_msg(p && !strncmp(p + 22, c[_i].pdfsig, strlen(c[_i].pdfsig)), "%s: pdfsig: %s",
		      c[_i].name, out);
	free(out);
	/* the signer's /Name, a covered byte, changed */
	p = memmem(d, n, "/Name (js signer)", 17);
	ck_assert_ptr_nonnull(p);
	p[7] = 'J';
	r = vc_verify(t, d, n);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	crypto_verify_report_free(r);
	crypto_trust_free(t);
	free(d);
}
END_TEST

static Suite *
claims_suite(void)
{
	Suite *s = suite_create("verify_world_claims");
	TCase *tc = tcase_create("claims");

	tcase_add_unchecked_fixture(tc, world_setup, world_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, tsa_rooted_apart_reaches_b_lt);
	tcase_add_test(tc, dss_for_an_unknown_issuer_is_no_crash);
	tcase_add_test(tc, contents_hex_with_white_space);
	tcase_add_test(tc, issuing_ca_with_a_stale_crl_is_unknown);
	tcase_add_test(tc, byterange_pairs_other_writers_list);
	tcase_add_test(tc, byterange_message_says_what_is_wrong);
	tcase_add_test(tc, byterange_outside_the_file);
	tcase_add_test(tc, signature_dictionary_in_an_object_stream);
	tcase_add_test(tc, m_dates_in_odd_forms);
	tcase_add_loop_test(tc, javascript_signers, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(claims_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
