/*
 * test_verify_java.c: the verifier on what the two Java libraries much of
 * the world signs with write (tests/support/WorldSigner.java, Debian's iText
 * 5, PDFBox 2 and BouncyCastle): before, between and after our signatures,
 * certifying, in an owner-password-encrypted file, with revocation data in
 * Adobe's signed attribute, in GM/T 0010's SM2 form, and Acrobat's oldest
 * kind, adbe.x509.rsa_sha1. Each valid file is also checked with pdfsig,
 * qpdf --check and, where it can, PDFBox with BouncyCastle. What other
 * signers put in a CMS, without Java: its part test_verify_cms_extras.c.
 */
#include <unistd.h>

#define TEST_PART_HOME
#define TEST_PART
#include "test_verify_countersign.h"

/* The tests of the part test_verify_cms_extras.c. */
void cms_extras_add(TCase *tc);

/*
 * The Java signers (tests/support/WorldSigner.java, Debian's iText 5, PDFBox 2
 * and BouncyCastle), compiled once per run into the PKI's directory, with
 * PKCS#12 keys (Java reads OpenSSL 3's default PBES2 files; an empty password
 * it does not). One JVM serves every call (WorldSigner serve, through two
 * FIFOs there): a JVM's start with the three libraries loading was seconds of
 * each of some 20 calls on a loaded machine. It ends with the fixture, or
 * when this process does. Both JVMs compile with C1 alone (TieredStopAtLevel=1,
 * as harness.py's): C2's optimizing compiles do not pay back in a run this
 * short (javac of WorldSigner 4.4 -> 2.5 CPU s).
 */
#define JAVA_CP \
	"/usr/share/java/itext5.jar:/usr/share/java/pdfbox2.jar:/usr/share/java/fontbox2.jar:" \
	"/usr/share/java/commons-logging.jar:/usr/share/java/bcprov.jar:" \
	"/usr/share/java/bcpkix.jar:/usr/share/java/bcutil.jar"

static void
java_setup(void)
{
	const char *src = getenv("SEALPACT_SOURCE_DIR");

	world_setup();
	ck_assert_ptr_nonnull(src);
	ck_assert_int_eq(run("cd %s && javac -J-XX:TieredStopAtLevel=1 -nowarn -cp " JAVA_CP
			     " -d . %s/tests/support/WorldSigner.java >>pki.log 2>&1 && "
			     "for k in rsa ec; do openssl pkcs12 -export "
			     "-inkey $k.key -in $k.pem -certfile ca.pem -passout pass:world "
			     "-out java_$k.p12 >>pki.log 2>&1 || exit 1; done && "
			     "mkfifo java.cmd java.rc && { java -XX:TieredStopAtLevel=1 -cp "
			     ".:" JAVA_CP
			     " WorldSigner serve java.cmd java.rc %ld </dev/null >>pki.log 2>&1 & "
			     "}",
			     vc_dir, src, (long)getpid()),
			 0);
}

static void
java_teardown(void)
{
	(void)run("cd %s && timeout 60 sh -c 'echo quit >java.cmd'", vc_dir);
	world_teardown();
}

/* WorldSigner ARGS in the serving JVM, its output appended to OUT: its exit status. */
static int
java(const char *out, const char *args)
{
	/* (a JVM that died leaves no reader: the time limit is the test's, not forever) */
	return run("cd %s && timeout 600 sh -c 'echo \"%s %s\" >java.cmd && read r <java.rc && "
		   "exit $r'",
		   vc_dir, out, args);
}

static unsigned char *
java_sign(const unsigned char *d, size_t n, const char *how, size_t *outn)
{
	write_file(vc_path("java_in.pdf"), d, n);
	ck_assert_msg(java("pki.log", how) == 0, "WorldSigner %s failed: see %s", how,
		      vc_path("pki.log"));
	return read_file(vc_path("java_out.pdf"), outn);
}

/* PDFBox and BouncyCastle verify each of the file's nsigs signatures (WorldSigner check-pdfbox). */
static void
pdfbox_agrees(const char *name, size_t nsigs)
{
	char how[128];
	size_t m, k = 0;
	char *out, *p;

	(void)unlink(vc_path("java_check.txt"));
	snprintf(how, sizeof(how), "check-pdfbox %s", name);
	ck_assert_int_eq(java("java_check.txt", how), 0);
	out = (char *)read_file(vc_path("java_check.txt"), &m);
	for (p = out; (p = strstr(p, " verify=true")) != NULL; p++)
		k++;
	ck_assert_msg(k == nsigs && !strstr(out, "verify=false"), "%s: %s", name, out);
	free(out);
}

/*
 * iText 5 signs in append mode after ours and rewrites the catalog with
 * /Version (the header's own) and the ESIC /Extensions: an allowed change,
 * as pyHanko and Adobe judge it; ours again after iText's. Each signature
 * intact, iText's CAdES with ESS and no signing-time PAdES B-B.
 */
START_TEST(itext_signs_between_ours)
{
	size_t n1, n2, n3;
	unsigned char *one = vc_sign(base, base_len, "ec", 1, 0, &n1), *two, *three;
	struct crypto_verify_report *r;

	two = java_sign(one, n1, "itext java_in.pdf java_out.pdf java_rsa.p12 world itext1", &n2);
	ck_assert_ptr_nonnull(memmem(two + n1, n2 - n1, "/Version", 8));
	assert_valid(two, n2, 2, "ours_itext.pdf");
	r = verify(two, n2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_str_eq(r->sigs[0].level, "pades_b_t");
	ck_assert_str_eq(r->sigs[1].field, "itext1");
	ck_assert_str_eq(r->sigs[1].subfilter, "/ETSI.CAdES.detached");
	ck_assert_str_eq(r->sigs[1].level, "pades_b");
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	three = vc_sign(two, n2, "rsa", 1, 0, &n3);
	assert_valid(three, n3, 3, "ours_itext_ours.pdf");
	pdfbox_agrees("ours_itext_ours.pdf", 3);
	r = verify(three, n3);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_int_eq(r->sigs[2].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	free(three);
	free(two);
	free(one);
}
END_TEST

/*
 * iText certifies (DocMDP P=2: form filling and signing), then PDFBox and
 * we sign: the certification holds with allowed changes. Then PDFBox's three
 * kinds of CMS, each followed by ours: ETSI.CAdES.detached with ESS and
 * without signing-time is PAdES B-B; with BouncyCastle's default
 * signing-time it is not PAdES (EN 319 142-1 §6.3 forbids the attribute);
 * adbe.pkcs7.detached is the legacy kind; RSASSA-PSS is PAdES B-B and named
 * so; without the dictionary's /M (PAdES requires it) it is not PAdES. All
 * intact and valid.
 */
START_TEST(itext_certifies_pdfbox_and_ours_sign)
{
	static const char *const kinds[] = { "cades", "cades-st", "pkcs7", "cades-pss",
					     "cades-nom" };
	static const char *const levels[] = { "pades_b", "not_pades", "not_pades", "pades_b",
					      "not_pades" };
	/* RSASSA-PSS is named as such, not as the RSA key's PKCS #1 v1.5 */
	static const char *const algs[] = { "ecdsa-with-SHA256", "ecdsa-with-SHA256",
					    "ecdsa-with-SHA256", "RSASSA-PSS",
					    "ecdsa-with-SHA256" };
	char how[160], name[64];
	size_t n1, n2, n3, k;
	unsigned char *one, *two, *three;
	struct crypto_verify_report *r;

	one = java_sign(base, base_len,
			"itext java_in.pdf java_out.pdf java_rsa.p12 world cert1 certify", &n1);
	two = java_sign(one, n1, "pdfbox java_in.pdf java_out.pdf java_ec.p12 world pb cades", &n2);
	three = vc_sign(two, n2, "rsa", 1, 0, &n3);
	assert_valid(three, n3, 3, "itext_cert_pdfbox_ours.pdf");
	pdfbox_agrees("itext_cert_pdfbox_ours.pdf", 3);
	r = verify(three, n3);
	ck_assert_int_eq(r->sigs[0].certifying, 2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_str_eq(r->sigs[1].level, "pades_b");
	ck_assert_str_eq(r->sigs[2].level, "pades_b_t");
	crypto_verify_report_free(r);
	free(three);
	free(two);
	free(one);
	for (k = 0; k < 5; k++) {
		snprintf(how, sizeof(how),
			 "pdfbox java_in.pdf java_out.pdf java_%s.p12 world pb %s",
			 k == 3 ? "rsa" : "ec", kinds[k]);
		one = java_sign(base, base_len, how, &n1);
		snprintf(name, sizeof(name), "pdfbox_%s.pdf", kinds[k]);
		assert_valid(one, n1, 1, name);
		r = verify(one, n1);
		ck_assert_msg(strcmp(r->sigs[0].level, levels[k]) == 0, "%s: level %s", kinds[k],
			      r->sigs[0].level);
		ck_assert_str_eq(r->sigs[0].sig_alg, algs[k]);
		ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID);
		crypto_verify_report_free(r);
		two = vc_sign(one, n1, "ec", 1, 0, &n2);
		snprintf(name, sizeof(name), "pdfbox_%s_ours.pdf", kinds[k]);
		assert_valid(two, n2, 2, name);
		free(two);
		free(one);
	}
}
END_TEST
/*
 * An unsigned update whose trailer is the last one's with /Prev set and
 * "/Encrypt" and "/ID" as given (NULL: left out), no object: d must end
 * with a classic trailer (as iText writes in append mode).
 */
static unsigned char *
trailer_update(const unsigned char *d, size_t n, const char *encrypt, const char *id, size_t *outn)
{
	const unsigned char *t = NULL, *p;
	long long prev = -1;
	int size = 0, root = 0, i;
	char *out;
	size_t cap = n + 512;

	for (p = d; (p = memmem(p, n - (size_t)(p - d), "trailer", 7)) != NULL; p++)
		t = p;
	ck_assert_ptr_nonnull(t);
	for (p = d; (p = memmem(p, n - (size_t)(p - d), "startxref", 9)) != NULL; p++)
		ck_assert_int_eq(sscanf((const char *)p + 9, "%lld", &prev), 1);
	p = memmem(t, n - (size_t)(t - d), "/Size", 5);
	ck_assert(p && sscanf((const char *)p + 5, "%d", &size) == 1);
	p = memmem(t, n - (size_t)(t - d), "/Root", 5);
	ck_assert(p && sscanf((const char *)p + 5, "%d", &root) == 1);
	out = malloc(cap);
	memcpy(out, d, n);
	i = snprintf(out + n, cap - n,
		     "xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size %d /Root %d 0 R /Prev %lld "
		     "%s%s%s%s>>\nstartxref\n%zu\n%%%%EOF\n",
		     size, root, prev, encrypt ? "/Encrypt " : "", encrypt ? encrypt : "",
		     id ? " /ID " : "", id ? id : "", n);
	ck_assert(i > 0 && (size_t)i < cap - n);
	*outn = n + (size_t)i;
	return (unsigned char *)out;
}

/*
 * A contract protected with an owner password only (AES-128, AES-256, RC4), as
 * the world sends them, signed twice by iText in its encryption: verified
 * (qpdf decrypts with the empty user password), each signature intact, the
 * first with allowed changes; then an unsigned update that writes on the
 * page, one that drops the encryption and one that changes the first /ID
 * (the key) are disallowed. Ours signs after iText's, in its encryption.
 */
START_TEST(encrypted_signed_by_itext)
{
	static const char *const how[] = {
		"--encrypt '' owner 128 --use-aes=y --", "--encrypt '' owner 256 --force-R5 --",
		"--allow-weak-crypto --encrypt '' owner 128 --use-aes=n --"
	};
	size_t n0, n1, n2, n3, k;
	unsigned char *b = qpdf_tool(base, base_len, how[_i], &n0), *one, *two, *three;
	struct crypto_verify_report *r;
	struct sp_errinfo ei;
	char enc[32];
	const unsigned char *e;

	ck_assert_ptr_nonnull(memmem(b, n0, "/Encrypt", 8));
	one = java_sign(b, n0, "itext java_in.pdf java_out.pdf java_rsa.p12 world s1 owner=owner",
			&n1);
	two = java_sign(one, n1, "itext java_in.pdf java_out.pdf java_rsa.p12 world s2 owner=owner",
			&n2);
	assert_valid(two, n2, 2, "encrypted_itext2.pdf");
	pdfbox_agrees("encrypted_itext2.pdf", 2);
	r = verify(two, n2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_str_eq(r->sigs[1].field, "s2");
	ck_assert_str_eq(r->sigs[1].level, "pades_b");
	crypto_verify_report_free(r);
	/* ours after iText's, in the same encryption: all three intact for PDFBox too */
	three = vc_sign_at(two, n2, "ec", 1, 0, 1, &n3);
	assert_valid(three, n3, 3, "encrypted_itext2_ours.pdf");
	pdfbox_agrees("encrypted_itext2_ours.pdf", 3);
	free(three);
	/* what a signature must not allow */
	write_file(vc_path("enc_in.pdf"), two, n2);
	ck_assert_int_eq(java("pki.log", "stamp enc_in.pdf enc_stamped.pdf owner"), 0);
	three = read_file(vc_path("enc_stamped.pdf"), &n3);
	r = verify(three, n3);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[1].reasons[0], "disallowed_changes");
	crypto_verify_report_free(r);
	free(three);
	e = memmem(two + n1, n2 - n1, "/Encrypt ", 9);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(sscanf((const char *)e + 9, "%31[0-9 R]", enc), 1);
	for (k = 0; k < 2; k++) {
		struct crypto_verify_opts o = { .trust = trust };
		int rc;
		three = trailer_update(two, n2, k ? enc : NULL,
				       k ? "[<00112233445566778899AABBCCDDEEFF> <00>]" : NULL, &n3);
		sp_errinfo_init(&ei);
		r = NULL;
		rc = crypto_pdf_verify(three, n3, &o, &r, &ei);
		/* another first /ID gives R4's key check another key: nothing opens then */
		if (rc != SP_OK) {
			ck_assert_msg(k == 1 && _i != 1 && !strcmp(ei.reason, "pdf_encrypted"),
				      "trailer %zu: %s", k, ei.msg);
		} else {
			ck_assert_uint_eq(r->nsigs, 2);
			ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_INVALID &&
					      r->sigs[1].ndisallowed >= 1,
				      "trailer %zu: %s", k,
				      crypto_verdict_name(r->sigs[1].verdict));
		}
		crypto_verify_report_free(r);
		free(three);
	}
	free(two);
	free(one);
	free(b);
}
END_TEST

/*
 * Acrobat's and iText's way to carry revocation data: inside the signature,
 * in the adbe-revocationInfoArchival signed attribute. With revocation
 * required and no network, a signature that carries a current CRL is valid
 * from it (revocation_embedded), one without is indeterminate, and one whose
 * CRL says the signer was revoked before it signed is invalid.
 */
START_TEST(adobe_revocation_archival)
{
	struct crypto_revocation_opts ro = { .require_revocation = 1 };
	const char *roots[1] = { vc_path("ca.pem") };
	struct crypto_trust *strict = NULL;
	struct crypto_verify_opts o;
	struct crypto_verify_report *r;
	struct sp_errinfo ei;
	unsigned char *one;
	size_t n1, k;
	static const char *const how[] = {
		"itext java_in.pdf java_out.pdf java_rsa.p12 world crl1 crl=good.crl",
		"itext java_in.pdf java_out.pdf java_rsa.p12 world nocrl",
		"itext java_in.pdf java_out.pdf java_rsa.p12 world crl2 crl=revoked.crl",
	};
	static const enum crypto_verdict want[] = { CRYPTO_VERDICT_VALID,
						    CRYPTO_VERDICT_INDETERMINATE,
						    CRYPTO_VERDICT_INVALID };

	sp_errinfo_init(&ei);
	ck_assert(crypto_trust_new(roots, 1, NULL, 0, NULL, 0, &ro, &strict, &ei) == SP_OK);
	/* a CRL of the root, then one after the rsa signer's revocation (openssl ca) */
	ck_assert_int_eq(run("cd %s && ( mkdir -p ca && : >ca/index.txt && echo 01 >ca/crlnumber "
			     "&& printf '[ca]\\ndefault_ca=c\\n[c]\\ndatabase=ca/index.txt\\n"
			     "crlnumber=ca/crlnumber\\ndefault_md=sha256\\ndefault_crl_days=7\\n' "
			     ">ca.cnf && openssl ca -batch -config ca.cnf -gencrl -keyfile ca.key "
			     "-cert ca.pem -out good.pem && openssl crl -in good.pem -outform DER "
			     "-out good.crl && openssl ca -batch -config ca.cnf -keyfile ca.key "
			     "-cert ca.pem -revoke rsa.pem && openssl ca -batch -config ca.cnf "
			     "-gencrl -keyfile ca.key -cert ca.pem -out revoked.pem && openssl crl "
			     "-in revoked.pem -outform DER -out revoked.crl ) >>pki.log 2>&1",
			     vc_dir),
			 0);
	for (k = 0; k < 3; k++) {
		one = java_sign(base, base_len, how[k], &n1);
		memset(&o, 0, sizeof(o));
		o.trust = strict;
		r = NULL;
		sp_errinfo_init(&ei);
		ck_assert_msg(crypto_pdf_verify(one, n1, &o, &r, &ei) == SP_OK, "%s", ei.msg);
		ck_assert_uint_eq(r->nsigs, 1);
		ck_assert_msg(r->sigs[0].verdict == want[k], "%s: %s %s", how[k],
			      crypto_verdict_name(r->sigs[0].verdict), r->sigs[0].message);
		ck_assert_int_eq(r->sigs[0].rev_dss, k == 0);
		ck_assert_uint_eq(r->sigs[0].rev_item, 0); /* not a DSS item */
		ck_assert_str_eq(r->sigs[0].reasons[0], k == 0   ? ""
							: k == 1 ? "revocation_unknown"
								 : "cert_revoked");
		crypto_verify_report_free(r);
		free(one);
	}
	crypto_trust_free(strict);
}
END_TEST

START_TEST(gmt0010_sm2_signature)
{
	size_t n1, n2, at;
	unsigned char *one, *two;
	struct crypto_verify_report *r;

	one = java_sign(base, base_len, "pdfbox-gm java_in.pdf java_out.pdf sm2.key sm2.pem", &n1);
	/* the GM/T 0010 signedData type (1.2.156.10197.6.1.4.2.2) opens the /Contents */
	ck_assert_ptr_nonnull(memmem(one + base_len, n1 - base_len, "/Contents <3082", 14));
	write_file(vc_path("gm.pdf"), one, n1);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null 2>&1", vc_path("gm.pdf")), 0);
	pdfbox_agrees("gm.pdf", 1);
	r = verify(one, n1);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_VALID, "%s", r->sigs[0].message);
	ck_assert_str_eq(r->sigs[0].digest_alg, "SM3");
	ck_assert_str_eq(r->sigs[0].sig_alg, "SM2-with-SM3");
	ck_assert_str_eq(r->sigs[0].level, "not_pades");
	crypto_verify_report_free(r);
	/* ours after it */
	two = vc_sign(one, n1, "rsa", 1, 0, &n2);
	r = verify(two, n2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	free(two);
	/* a byte of the signed range changed (in the header comment) */
	at = (size_t)((unsigned char *)memchr(one, '\n', n1) - one) + 2;
	one[at] ^= 0x01;
	r = verify(one, n1);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[0].reasons[0], "digest_mismatch");
	crypto_verify_report_free(r);
	free(one);
	/* the signature algorithm named SM2-1 (GM/T 0006), as many Chinese tools name it
	   (BouncyCastle cannot verify it under that name: no pdfbox_agrees) */
	one = java_sign(base, base_len, "pdfbox-gm java_in.pdf java_out.pdf sm2.key sm2.pem sm2-1",
			&n1);
	ck_assert_ptr_nonnull(memmem(one + base_len, n1 - base_len, "06092A811CCF5501822D01", 22));
	r = verify(one, n1);
	ck_assert_msg(r->sigs[0].verdict == CRYPTO_VERDICT_VALID, "%s", r->sigs[0].message);
	ck_assert_str_eq(r->sigs[0].sig_alg, "SM2-with-SM3");
	crypto_verify_report_free(r);
	free(one);
}
END_TEST

/*
 * A damaged file (every cross-reference offset off, as careless writers leave
 * them) that PDFBox signs as it is: its update's /Prev names the wrong offset
 * too, so the revisions cannot be told apart. The signature covers the whole
 * file and checks out (pdfsig agrees): indeterminate, not invalid, with its
 * checks reported; a byte changed is invalid. A second PDFBox signature
 * leaves the first with later bytes nobody can account for: invalid.
 */
START_TEST(damaged_file_signed_by_pdfbox)
{
	size_t n0, n1, n2, head;
	unsigned char *b, *one, *two;
	struct crypto_verify_report *r;

	head = (size_t)((unsigned char *)memchr(base, '\n', base_len) - base) + 1;
	b = malloc(base_len + 19);
	memcpy(b, base, head);
	memcpy(b + head, "%% written by hand\n", 19);
	memcpy(b + head + 19, base + head, base_len - head);
	n0 = base_len + 19;
	one = java_sign(b, n0, "pdfbox java_in.pdf java_out.pdf java_rsa.p12 world pb cades", &n1);
	write_file(vc_path("damaged_pdfbox.pdf"), one, n1);
	ck_assert_int_eq(run("cd %s && pdfsig damaged_pdfbox.pdf 2>&1 | grep -q 'Signature is "
			     "Valid'",
			     vc_dir),
			 0);
	r = verify(one, n1);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INDETERMINATE);
	ck_assert_uint_eq(r->sigs[0].nreasons, 1);
	ck_assert_str_eq(r->sigs[0].reasons[0], "revision_structure");
	ck_assert_int_eq(r->sigs[0].structure_ok, 1);
	ck_assert_int_eq(r->sigs[0].digest_ok, 1);
	ck_assert_int_eq(r->sigs[0].signature_ok, 1);
	ck_assert_int_eq(r->sigs[0].chain_ok, 1);
	ck_assert_int_eq(r->verdict, CRYPTO_VERDICT_INDETERMINATE);
	crypto_verify_report_free(r);

	two = java_sign(one, n1, "pdfbox java_in.pdf java_out.pdf java_ec.p12 world pb2 cades",
			&n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[0].reasons[0], "revision_structure");
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_INDETERMINATE);
	ck_assert_int_eq(r->sigs[1].signature_ok, 1);
	ck_assert_int_eq(r->verdict, CRYPTO_VERDICT_INVALID);
	crypto_verify_report_free(r);
	free(two);

	one[head + 3] = 'W'; /* "written" in the signed bytes */
	r = verify(one, n1);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[0].reasons[0], "digest_mismatch");
	crypto_verify_report_free(r);
	free(one);
	free(b);
}
END_TEST

/* The offset of the only occurrence of what in d (asserted). */
static size_t
only_at(const unsigned char *d, size_t n, const char *what)
{
	const unsigned char *p = memmem(d, n, what, strlen(what));

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(memmem(p + 1, n - (size_t)(p - d) - 1, what, strlen(what)));
	return (size_t)(p - d);
}

/*
 * adbe.x509.rsa_sha1 (ISO 32000-1 §12.8.3.2), as older Acrobat and signing
 * tools wrote it and PDFBox still can: a bare PKCS #1 signature, the
 * certificates in the dictionary's /Cert. pdfsig cannot check this kind; we
 * do. SHA-1 with one certificate: intact but indeterminate (weak digest);
 * SHA-256 with the chain: valid, and still valid with allowed changes after
 * our signature. Not PAdES. A byte changed in the signed dictionary, in the
 * signature value, a /Cert renamed, or the chain's root listed first: invalid,
 * each for its reason.
 */
START_TEST(x509_rsa_sha1)
{
	size_t n1, n2, at;
	unsigned char *one, *two;
	struct crypto_verify_report *r;

	one = java_sign(base, base_len,
			"pdfbox java_in.pdf java_out.pdf java_rsa.p12 world x1 x509", &n1);
	r = verify(one, n1);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_str_eq(r->sigs[0].subfilter, "/adbe.x509.rsa_sha1");
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INDETERMINATE);
	ck_assert_str_eq(r->sigs[0].reasons[0], "weak_algorithm");
	ck_assert_uint_eq(r->sigs[0].nreasons, 1);
	ck_assert_int_eq(r->sigs[0].digest_ok, 1);
	ck_assert_int_eq(r->sigs[0].signature_ok, 1);
	ck_assert_int_eq(r->sigs[0].chain_ok, 1);
	ck_assert_str_eq(r->sigs[0].digest_alg, "SHA1");
	ck_assert_str_eq(r->sigs[0].sig_alg, "RSA-SHA1");
	ck_assert_str_eq(r->sigs[0].level, "not_pades");
	ck_assert_int_eq(r->sigs[0].has_signer, 1);
	ck_assert_ptr_nonnull(strstr(r->sigs[0].signer.subject, "rsa"));
	crypto_verify_report_free(r);
	free(one);

	one = java_sign(base, base_len,
			"pdfbox java_in.pdf java_out.pdf java_rsa.p12 world x1 x509-256", &n1);
	r = verify(one, n1);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID);
	ck_assert_str_eq(r->sigs[0].sig_alg, "RSA-SHA256");
	ck_assert_str_eq(r->sigs[0].level, "not_pades");
	crypto_verify_report_free(r);
	two = vc_sign(one, n1, "ec", 1, 0, &n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	ck_assert_int_eq(r->verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
	crypto_verify_report_free(r);
	free(two);

	/* a byte of the signed dictionary */
	ck_assert_uint_gt(n1, 0);
	ck_assert_ptr_nonnull(two = malloc(n1));
	memcpy(two, one, n1);
	two[only_at(two, n1, "PDFBox countersignature")] = 'Q';
	r = verify(two, n1);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[0].reasons[0], "digest_mismatch");
	crypto_verify_report_free(r);
	/* a hex digit of the signature value, past its DER header (04 82 01 00) */
	memcpy(two, one, n1);
	r = verify(two, n1);
	at = (size_t)r->sigs[0].byte_range[1] + 1 + 8 + 20;
	crypto_verify_report_free(r);
	two[at] = two[at] == '0' ? '1' : '0';
	r = verify(two, n1);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[0].reasons[0], "bad_signature");
	ck_assert_int_eq(r->sigs[0].signature_ok, 0);
	crypto_verify_report_free(r);
	/* no /Cert: no signer to check it with */
	memcpy(two, one, n1);
	memcpy(two + only_at(two, n1, "/Cert"), "/Cerx", 5);
	r = verify(two, n1);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[0].reasons[0], "signer_cert_missing");
	crypto_verify_report_free(r);
	free(two);
	free(one);

	/* the root first: the signature is not the first certificate's */
	one = java_sign(base, base_len,
			"pdfbox java_in.pdf java_out.pdf java_rsa.p12 world x1 x509-rev", &n1);
	r = verify(one, n1);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[0].reasons[0], "bad_signature");
	crypto_verify_report_free(r);
	free(one);
}
END_TEST

/*
 * The RFC 8702 signatures with SHAKE (RSASSA-PSS and ECDSA, SHAKE128 and
 * SHAKE256: test_verify_world_shake.c) and SHA-224 and SHA-512/224 ones,
 * which pdfsig cannot judge: BouncyCastle 1.72 verifies each as we do, a
 * second implementation of RFC 8702's PSS encoding with a SHAKE mask beside
 * verify_cms_shake.c's.
 */
START_TEST(shake_and_sha224_bouncycastle_agrees)
{
	static const char *const who[] = { "shake:128/128/32:ec",   "shake:256/256/64:ec",
					   "shake:128/128/32:rsa",  "shake:256/256/64:rsa",
					   "openssl:ec@-md sha224", "openssl:rsa@-md sha512-224" };
	char name[32];
	size_t n1, n2;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;

	snprintf(name, sizeof(name), "bc_agrees_%d.pdf", _i);
	two = countersign(one, n1, VW_TABLE, 0, "/adbe.pkcs7.detached", who[_i], &n2);
	write_file(vc_path(name), two, n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_msg(r->sigs[1].verdict == CRYPTO_VERDICT_VALID, "%s: %s: %s", who[_i],
		      crypto_verdict_name(r->sigs[1].verdict), r->sigs[1].message);
	crypto_verify_report_free(r);
	pdfbox_agrees(name, 2);
	free(two);
	free(one);
}
END_TEST

/*
 * EdDSA without signed attributes (test_verify_world_algs.c's
 * eddsa_without_signed_attributes: PureEdDSA over the byte ranges joined),
 * judged by a second implementation: BouncyCastle 1.72 under PDFBox verifies
 * the Ed25519 and the Ed448 one as valid, and refuses one made by another
 * key of the kind, as we do. (pdfsig knows neither: "Document isn't signed
 * or corrupted data." for Ed25519, "Unknown Validation Failure." for Ed448.)
 */
START_TEST(eddsa_without_signed_attributes_bouncycastle_agrees)
{
	static const char *const who[] = { "eddsanoattr:ed", "eddsanoattr:ed448",
					   "eddsanoattr:ed:ed_other" };
	char name[32], how[64], *out;
	size_t n1, n2, m, i;
	unsigned char *one = vc_sign(base, base_len, "rsa", 1, 0, &n1), *two;
	struct crypto_verify_report *r;

	world_eddsa_signers();
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "bc_eddsa_%zu.pdf", i);
		two = countersign(one, n1, VW_TABLE, 0, "/adbe.pkcs7.detached", who[i], &n2);
		write_file(vc_path(name), two, n2);
		r = verify(two, n2);
		ck_assert_msg(r->sigs[1].verdict ==
				      (i < 2 ? CRYPTO_VERDICT_VALID : CRYPTO_VERDICT_INVALID),
			      "%s: %s: %s", who[i], crypto_verdict_name(r->sigs[1].verdict),
			      r->sigs[1].message);
		crypto_verify_report_free(r);
		free(two);
		if (i < 2) {
			pdfbox_agrees(name, 2);
			continue;
		}
		(void)unlink(vc_path("java_check.txt"));
		snprintf(how, sizeof(how), "check-pdfbox %s", name);
		ck_assert_int_ne(java("java_check.txt", how), 0);
		out = (char *)read_file(vc_path("java_check.txt"), &m);
		ck_assert_msg(strstr(out, "2 signature adbe.pkcs7.detached verify=false") != NULL,
			      "%s", out);
		free(out);
	}
	free(one);
}
END_TEST

/*
 * The document timestamps' TSA script (tsa.sh: `openssl ts -reply` with the
 * corpus TSA) and the root's CRL (ltv.crl, DER) that iText's LtvVerification
 * embeds, in the corpus directory.
 */
static void
ltv_tools(void)
{
	ck_assert_int_eq(
		run("cd %s && printf '[ tsa ]\\ndefault_tsa = t\\n[ t ]\\nserial = ltvserial\\n"
		    "signer_cert = tsa.pem\\nsigner_key = tsa.key\\nsigner_digest = sha256\\n"
		    "default_policy = 1.3.6.1.4.1.99999.2\\ndigests = sha256\\n"
		    "ess_cert_id_alg = sha256\\n' >ltv_tsa.cnf && echo 01 >ltvserial && "
		    "printf 'openssl ts -query -digest \"$1\" -sha256 -cert -out ltv.tsq && "
		    "openssl "
		    "ts -reply -config ltv_tsa.cnf -queryfile ltv.tsq -token_out -out "
		    "/dev/stdout\\n' >tsa.sh && ( mkdir -p ltvca && : >ltvca/index.txt && echo 01 "
		    ">ltvca/crlnumber && printf '[ca]\\ndefault_ca=c\\n[c]\\ndatabase=ltvca/"
		    "index.txt\\ncrlnumber=ltvca/crlnumber\\ndefault_md=sha256\\n"
		    "default_crl_days=7\\n' >ltvca.cnf && openssl ca -batch -config ltvca.cnf "
		    "-gencrl -keyfile ca.key -cert ca.pem -out ltv.crl.pem && openssl crl -in "
		    "ltv.crl.pem -outform DER -out ltv.crl ) >>pki.log 2>&1",
		    vc_dir),
		0);
}

/*
 * The world's LTV workflow on a PAdES B-B signature, every step by iText 5
 * (WorldSigner): its signature without a signature timestamp, a document
 * timestamp (LtvTimestamp, the token from `openssl ts -reply`), a DSS with
 * /VRI entries and the root's CRL for every chain (LtvVerification), a
 * second document timestamp. The signature is B-T once a valid document
 * timestamp covers it (ETSI EN 319 142-1 §6.3), B-LT once the DSS answers
 * its chain and that timestamp's TSA's, B-LTA under the second. Before, it
 * stayed "pades_b" at every step. PDFBox's document timestamp over the same
 * signature makes it B-T too, and one over an unsigned contract is a valid
 * document timestamp alone. PDFBox with BouncyCastle verifies each file
 * (pdfsig verifies no document timestamp: "Signature has not yet been
 * verified.").
 */
START_TEST(itext_ltv_over_document_timestamps)
{
	static const char *const steps[] = {
		"itext java_in.pdf java_out.pdf java_rsa.p12 world bb",
		"itext-docts java_in.pdf java_out.pdf tsa.sh",
		"itext-ltv java_in.pdf java_out.pdf ltv.crl",
		"itext-docts java_in.pdf java_out.pdf tsa.sh",
	};
	static const char *const level[] = { "pades_b", "pades_b_t", "pades_b_lt", "pades_b_lta" };
	static const char *const names[] = { "ltv1.pdf", "ltv2.pdf", "ltv3.pdf", "ltv4.pdf" };
	size_t n = base_len, m, i;
	unsigned char *d = malloc(base_len), *e;
	struct crypto_verify_report *r;

	memcpy(d, base, base_len);
	ltv_tools();
	for (i = 0; i < 4; i++) {
		e = java_sign(d, n, steps[i], &m);
		free(d);
		d = e;
		n = m;
		write_file(vc_path(names[i]), d, n);
		r = verify(d, n);
		ck_assert_str_eq(r->sigs[0].field, "bb");
		ck_assert_msg(!strcmp(r->sigs[0].level, level[i]), "%s: %s", names[i],
			      r->sigs[0].level);
		ck_assert_msg(r->sigs[0].verdict <= CRYPTO_VERDICT_VALID_ALLOWED_CHANGES, "%s: %s",
			      names[i], r->sigs[0].message);
		ck_assert_int_eq(r->sigs[r->nsigs - 1].verdict <=
					 CRYPTO_VERDICT_VALID_ALLOWED_CHANGES,
				 1);
		ck_assert_uint_eq(r->nsigs, i < 1 ? 1 : i < 3 ? 2 : 3);
		crypto_verify_report_free(r);
		ck_assert_int_eq(run("qpdf --check %s >/dev/null 2>&1", vc_path(names[i])), 0);
	}
	pdfbox_agrees("ltv4.pdf", 3);
	/* PDFBox's document timestamp over the B-B signature, and over the bare contract */
	e = read_file(vc_path("ltv1.pdf"), &m);
	free(d);
	d = java_sign(e, m, "pdfbox-docts java_in.pdf java_out.pdf tsa.sh", &n);
	free(e);
	write_file(vc_path("ltv_box.pdf"), d, n);
	r = verify(d, n);
	ck_assert_str_eq(r->sigs[0].level, "pades_b_t");
	ck_assert_int_eq(r->sigs[1].doc_timestamp, 1);
	ck_assert_int_eq(r->sigs[1].verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	pdfbox_agrees("ltv_box.pdf", 2);
	free(d);
	d = java_sign(base, base_len, "pdfbox-docts java_in.pdf java_out.pdf tsa.sh", &n);
	write_file(vc_path("ltv_bare.pdf"), d, n);
	r = verify(d, n);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_int_eq(r->sigs[0].doc_timestamp, 1);
	ck_assert_int_eq(r->verdict, CRYPTO_VERDICT_VALID);
	crypto_verify_report_free(r);
	pdfbox_agrees("ltv_bare.pdf", 1);
	free(d);
}
END_TEST

/*
 * iText's LtvVerification saved right after a PAdES B-B signature, with what
 * it and other LTV tools save beside the DSS in the same update: /Info's
 * ModDate and Producer and the catalog's ESIC extension level (always), XMP
 * metadata (as Acrobat's "LTV enable" keeps it), a new /Info /Title. The
 * document is signed as a reader sees it (pyHanko's default policy: /Info,
 * XMP and the DSS are all LTA_UPDATES), so valid with allowed changes. It
 * was indeterminate, "the last revision (3) is not covered by a signature":
 * only a revision of nothing but DSS changes was. Any other change in the
 * update still leaves it unsigned: text over page 1 (the signature invalid
 * too), an empty signature field (allowed after the signature, but no
 * validation data), /Info's /Title alone without a DSS.
 */
START_TEST(itext_ltv_with_metadata_after_the_signature)
{
	static const struct {
		const char *extra;
		int signed_;
	} c[] = { { "", 1 },      { "xmp", 1 },   { "title", 1 },
		  { "stamp", 0 }, { "field", 0 }, { "meta", 0 } };
	char how[96], name[32];
	size_t n1, n2, i;
	unsigned char *one, *two;
	struct crypto_verify_report *r;

	ltv_tools();
	one = java_sign(base, base_len, "itext java_in.pdf java_out.pdf java_rsa.p12 world bb",
			&n1);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(how, sizeof(how), "itext-ltv java_in.pdf java_out.pdf ltv.crl %s",
			 c[i].extra);
		two = java_sign(one, n1, how, &n2);
		snprintf(name, sizeof(name), "ltv_tail_%s.pdf", c[i].extra);
		write_file(vc_path(name), two, n2);
		r = verify(two, n2);
		ck_assert_uint_eq(r->nsigs, 1);
		ck_assert_msg(r->last_revision_signed == c[i].signed_, "%s: %s: %s", name,
			      crypto_verdict_name(r->verdict), r->message);
		if (c[i].signed_) {
			ck_assert_msg(r->verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES,
				      "%s: %s: %s", name, crypto_verdict_name(r->verdict),
				      r->message);
			ck_assert_str_eq(r->reason, "");
			ck_assert_str_eq(r->sigs[0].level, "pades_b");
		} else {
			ck_assert_str_eq(r->reason, "unsigned_trailing_update");
			ck_assert_int_ge(r->verdict, CRYPTO_VERDICT_INDETERMINATE);
		}
		ck_assert_int_eq(r->sigs[0].verdict,
				 !strcmp(c[i].extra, "stamp")
					 ? CRYPTO_VERDICT_INVALID
					 : CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
		crypto_verify_report_free(r);
		ck_assert_int_eq(run("qpdf --check %s >/dev/null 2>&1", vc_path(name)), 0);
		free(two);
	}
	pdfbox_agrees("ltv_tail_xmp.pdf", 1);
	free(one);
}
END_TEST

static Suite *
java_suite(void)
{
	Suite *s = suite_create("verify_java");
	TCase *tc = tcase_create("java");

	tcase_add_unchecked_fixture(tc, java_setup, java_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, itext_signs_between_ours);
	tcase_add_test(tc, itext_certifies_pdfbox_and_ours_sign);
	tcase_add_loop_test(tc, encrypted_signed_by_itext, 0, 3);
	tcase_add_test(tc, adobe_revocation_archival);
	cms_extras_add(tc);
	tcase_add_test(tc, gmt0010_sm2_signature);
	tcase_add_test(tc, x509_rsa_sha1);
	tcase_add_test(tc, damaged_file_signed_by_pdfbox);
	tcase_add_loop_test(tc, shake_and_sha224_bouncycastle_agrees, 0, 6);
	tcase_add_test(tc, itext_ltv_over_document_timestamps);
	tcase_add_test(tc, itext_ltv_with_metadata_after_the_signature);
	tcase_add_test(tc, eddsa_without_signed_attributes_bouncycastle_agrees);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(java_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
